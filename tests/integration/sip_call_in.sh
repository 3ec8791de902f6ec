#!/bin/bash
# An incoming call: the public peer calls the masqueraded contact of a registered phone and
# siproxd delivers it to the phone's real contact; the whole dialog completes.
set -eu
. "$(dirname "$0")/lib.sh"

sip_need_tools
netns_topology
siproxd_conf </dev/null
siproxd_start
wan_capture_start

wan_register reg alice "$LAN_IP" 5060 300
sipp_bg "$NS_LAN" phone call_uas.xml -i "$LAN_IP" -p 5060 -m 1 -s alice
wan_call caller alice
sipp_wait phone

sipp_message phone '^INVITE ' | head -n 1 | grep -q "^INVITE sip:alice@$LAN_IP:5060 " ||
	t_fail "the INVITE did not reach the phone addressed to its registered contact"
sipp_saw phone '^BYE ' || t_fail "the BYE did not reach the phone"
sipp_saw caller '^SIP/2.0 180 ' || t_fail "the 180 did not reach the caller"
assert_wan_clean caller
assert_wan_clean reg_registrar
wan_capture_check
siproxd_sanitizer_clean
t_pass
