#!/bin/bash
# Two phones with different users on two LAN addresses register through siproxd; incoming calls
# for each user reach that user's phone and no other.
set -eu
. "$(dirname "$0")/lib.sh"

LAN_IP2=10.77.1.3
sip_need_tools
netns_topology
lan_add_host "$LAN_IP2"
siproxd_conf </dev/null
siproxd_start
wan_capture_start

wan_register reg_alice alice "$LAN_IP" 5060 300
wan_register reg_bob bob "$LAN_IP2" 5062 300
sipp_header reg_bob_registrar '^REGISTER ' Contact | grep -q "<sip:bob@$RTR_WAN_IP" ||
	t_fail "bob's contact was not masqueraded as bob on the router's public address"

# Both phones listen at once; each must get exactly its own call.
sipp_bg "$NS_LAN" alice call_uas.xml -i "$LAN_IP" -p 5060 -m 1 -s alice
sipp_bg "$NS_LAN" bob call_uas.xml -i "$LAN_IP2" -p 5062 -m 1 -s bob
wan_call call_bob bob
sipp_wait bob
wan_call call_alice alice
sipp_wait alice
sipp_message bob '^INVITE ' | head -n 1 | grep -q "^INVITE sip:bob@$LAN_IP2:5062 " ||
	t_fail "bob's call did not reach bob's contact"
sipp_message alice '^INVITE ' | head -n 1 | grep -q "^INVITE sip:alice@$LAN_IP:5060 " ||
	t_fail "alice's call did not reach alice's contact"
assert_wan_clean reg_alice_registrar
assert_wan_clean reg_bob_registrar
assert_wan_clean call_bob
wan_capture_check
siproxd_sanitizer_clean
t_pass
