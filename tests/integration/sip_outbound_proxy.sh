#!/bin/bash
# With outbound_proxy_host set, siproxd sends the phone's requests to that second public host
# (198.51.100.3) whatever their Request-URI says (198.51.100.2, where nothing listens).
set -eu
. "$(dirname "$0")/lib.sh"

OBP_IP=198.51.100.3
sip_need_tools
netns_topology
wan_add_host "$OBP_IP"
siproxd_conf <<CONF
outbound_proxy_host = $OBP_IP
outbound_proxy_port = 5060
CONF
siproxd_start

sipp_bg "$NS_WAN" obproxy call_uas.xml -i "$OBP_IP" -p 5060 -m 1 -s bob
sipp_run "$NS_LAN" phone call_uac.xml "$WAN_IP:5060" -i "$LAN_IP" -p 5060 -rsa "$PHONE_PROXY" \
	-m 1 -s bob
sipp_wait obproxy

sipp_message obproxy '^INVITE ' | head -n 1 | grep -q "^INVITE sip:bob@$WAN_IP:5060 " ||
	t_fail "the INVITE for $WAN_IP did not arrive at the outbound proxy unchanged"
sipp_saw obproxy '^BYE ' || t_fail "the BYE did not go through the outbound proxy"
assert_wan_clean obproxy
siproxd_sanitizer_clean
t_pass
