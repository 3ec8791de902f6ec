#!/usr/bin/env bash
# A new outbound address (a PPP reconnect) is noticed over netlink, logged, and SIP listens on it
# and no longer on the old one (several changes, a drop and a return: `ss` shows exactly the set);
# host_outbound (an address, then after SIGHUP a name) is the public address the status reports.
set -eu
. "$(dirname "$0")/lib.sh"

netns_topology
siproxd_conf <<<"host_outbound = 203.0.113.7"
siproxd_start
kill -USR1 "$SIPROXD_PID"
siproxd_log_wait 5 "public address 203\.0\.113\.7" || t_fail "host_outbound not used as the public address"

ip -n "$NS_RTR" addr del "$RTR_WAN_IP/24" dev wan0
ip -n "$NS_RTR" addr add 198.51.100.9/24 dev wan0
siproxd_log_wait 5 "interface wan0 .*address changed ($RTR_WAN_IP|none) -> 198\.51\.100\.9" ||
	t_fail "address change not logged"
# The SIP listeners (UDP and TCP) must be exactly the inbound, the current outbound and 127.0.0.1.
sip_addrs() { ip netns exec "$NS_RTR" ss -Hln"$1" "sport = :5060" | awk '{ sub(/:5060$/, "", $4); print $4 }' | sort | xargs; }
listening_exactly() {
	local want
	want=$(printf '%s\n' "$@" | sort | xargs)
	[ "$(sip_addrs u)" = "$want" ] && [ "$(sip_addrs t)" = "$want" ]
}
wan_renumber() {   # wan_renumber OLD NEW: a PPP reconnect with a new address
	ip -n "$NS_RTR" addr del "$1/24" dev wan0
	ip -n "$NS_RTR" addr add "$2/24" dev wan0
	t_wait 5 listening_exactly "$RTR_LAN_IP" 127.0.0.1 "$2" ||
		t_fail "after $1 -> $2 SIP listens on UDP: $(sip_addrs u); TCP: $(sip_addrs t)"
}
t_wait 5 listening_exactly "$RTR_LAN_IP" 127.0.0.1 198.51.100.9 ||
	t_fail "after the first change SIP listens on UDP: $(sip_addrs u); TCP: $(sip_addrs t)"
wan_renumber 198.51.100.9 198.51.100.10
wan_renumber 198.51.100.10 198.51.100.11
wan_renumber 198.51.100.11 "$RTR_WAN_IP"   # back to the first address: it can be bound again
# The link drops (no address at all): one WARN, the listener goes; it comes back: INFO.
ip -n "$NS_RTR" addr del "$RTR_WAN_IP/24" dev wan0
t_wait 5 listening_exactly "$RTR_LAN_IP" 127.0.0.1 ||
	t_fail "with wan0 down SIP listens on UDP: $(sip_addrs u); TCP: $(sip_addrs t)"
siproxd_log_wait 5 "WARNING:.*interface wan0 \(if_outbound\) lost its address $RTR_WAN_IP" ||
	t_fail "losing the outbound address not warned about"
# More netlink traffic while it is down (link flaps, another address family) says nothing new.
ip -n "$NS_RTR" link set wan0 down
ip -n "$NS_RTR" link set wan0 up
ip -n "$NS_RTR" addr add 2001:db8::1/64 dev wan0 nodad
ip -n "$NS_RTR" addr add 198.51.100.12/24 dev wan0
t_wait 5 listening_exactly "$RTR_LAN_IP" 127.0.0.1 198.51.100.12 || t_fail "no listener once wan0 is back"
siproxd_log_wait 5 "INFO:.*interface wan0 \(if_outbound\) is back: address changed none -> 198\.51\.100\.12" ||
	t_fail "the outbound address coming back not logged"
# Every del above is one loss (five), logged once each, and every return after one is "back".
[ "$(grep -c 'lost its address' "$T_TMP/siproxd.log")" = 5 ] || t_fail "each loss not logged exactly once"
[ "$(grep -c 'is back: address changed' "$T_TMP/siproxd.log")" = 5 ] || t_fail "each return not logged once"
[ "$(grep -c 'SIP transport: no longer listening on' "$T_TMP/siproxd.log")" = 5 ] ||
	t_fail "expected five listeners closed, log says otherwise"
# SIGHUP: host_outbound becomes a name, looked up through the resolver (/etc/hosts first).
sed -i 's/^host_outbound.*/host_outbound = localhost/' "$T_TMP/siproxd.conf"
kill -HUP "$SIPROXD_PID"
siproxd_log_wait 5 "host_outbound localhost is 127\.0\.0\.1" || t_fail "host_outbound name not resolved after SIGHUP"
kill -USR1 "$SIPROXD_PID"
siproxd_log_wait 5 "public address 127\.0\.0\.1" || t_fail "resolved host_outbound not used as the public address"
siproxd_stop || t_fail "siproxd did not stop on SIGTERM"
siproxd_sanitizer_clean
t_pass
