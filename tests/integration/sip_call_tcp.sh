#!/bin/bash
# An outgoing call over TCP (SIPp -t t1 on both ends): siproxd relays it over TCP connections to
# the public callee and the responses come back the same way.
set -eu
. "$(dirname "$0")/lib.sh"

sip_need_tools
netns_topology
siproxd_conf </dev/null
siproxd_start
wan_capture_start

sipp_bg "$NS_WAN" callee call_uas.xml -t t1 -i "$WAN_IP" -p 5060 -m 1 -s bob
sipp_run "$NS_LAN" phone call_uac.xml "$WAN_IP:5060" -t t1 -i "$LAN_IP" -p 5060 \
	-rsa "$PHONE_PROXY" -m 1 -s bob
sipp_wait callee

grep -q '^TCP message received' "$T_TMP/callee.msg" || t_fail "the callee did not receive over TCP"
sipp_header callee '^INVITE ' Via | grep -q '^SIP/2.0/TCP ' || t_fail "siproxd's Via is not TCP"
sipp_saw callee '^BYE ' || t_fail "the BYE did not reach the callee"
assert_wan_clean callee
wan_capture_check
siproxd_sanitizer_clean
t_pass
