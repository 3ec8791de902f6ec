#!/bin/bash
# An outgoing call through siproxd: INVITE, 100, 180, 200, ACK, BYE, 200 between the phone and a
# public callee; the callee sees only siproxd's Via and no LAN address.
set -eu
. "$(dirname "$0")/lib.sh"

sip_need_tools
netns_topology
siproxd_conf </dev/null
siproxd_start
wan_capture_start

sipp_bg "$NS_WAN" callee call_uas.xml -i "$WAN_IP" -p 5060 -m 1 -s bob -mp 6000
sipp_run "$NS_LAN" phone call_uac.xml "$WAN_IP:5060" -i "$LAN_IP" -p 5060 -rsa "$PHONE_PROXY" \
	-m 1 -s bob -mp 6000
sipp_wait callee

sipp_saw phone '^SIP/2.0 180 ' || t_fail "the 180 did not reach the phone"
sipp_saw callee '^ACK ' || t_fail "the ACK did not reach the callee"
sipp_header callee '^INVITE ' Contact | grep -q "@$RTR_WAN_IP" ||
	t_fail "the callee did not see a contact on the router's public address"
assert_wan_clean callee
wan_capture_check
siproxd_sanitizer_clean
t_pass
