#!/bin/bash
# A call after the outbound address changed (a PPP reconnect): the callee sees the new address in
# Via, Contact and the SDP, and the media relay's WAN sockets are bound there.
set -eu
. "$(dirname "$0")/lib.sh"

sip_need_tools
netns_topology
siproxd_conf </dev/null
siproxd_start

NEW_WAN=198.51.100.9
ip -n "$NS_RTR" addr del "$RTR_WAN_IP/24" dev wan0
ip -n "$NS_RTR" addr add "$NEW_WAN/24" dev wan0
listening_new() { ip netns exec "$NS_RTR" ss -Hlun "src $NEW_WAN:5060" | grep -q .; }
t_wait 5 listening_new || t_fail "no SIP listener on the new outbound address"

sipp_bg "$NS_WAN" callee call_uas.xml -i "$WAN_IP" -p 5060 -m 1 -s bob -mp 6000
sipp_run "$NS_LAN" phone call_uac.xml "$WAN_IP:5060" -i "$LAN_IP" -p 5060 -rsa "$PHONE_PROXY" \
	-m 1 -s bob -mp 6000
sipp_wait callee

sipp_header callee '^INVITE ' Via | grep -q "$NEW_WAN" || t_fail "the INVITE's Via does not name $NEW_WAN"
sipp_header callee '^INVITE ' Contact | grep -q "@$NEW_WAN" || t_fail "the INVITE's Contact is not on $NEW_WAN"
sipp_saw callee "^c=IN IP4 $NEW_WAN" || t_fail "the SDP sent to the callee does not carry $NEW_WAN"
sipp_saw callee "^c=IN IP4 $RTR_WAN_IP" && t_fail "the SDP still carries the old address $RTR_WAN_IP"
grep -q "cannot" "$T_TMP/siproxd.log" && t_fail "the daemon reported a failure"
RTR_WAN_IP=$NEW_WAN assert_wan_clean callee   # siproxd's Via is on the new address now
siproxd_sanitizer_clean
t_pass
