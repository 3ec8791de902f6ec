#!/usr/bin/env bash
# A new outbound address (a PPP reconnect) is noticed over netlink, logged, and SIP listens on it;
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
siproxd_log_wait 5 "interface wan0 address changed $RTR_WAN_IP -> 198\.51\.100\.9|interface wan0 address changed none -> 198\.51\.100\.9" ||
	t_fail "address change not logged"
listening_new() { ip netns exec "$NS_RTR" ss -Hlun "sport = :5060" | grep -q "198.51.100.9:5060"; }
t_wait 5 listening_new || t_fail "no SIP listener on the new outbound address"
# SIGHUP: host_outbound becomes a name, looked up through the resolver (/etc/hosts first).
sed -i 's/^host_outbound.*/host_outbound = localhost/' "$T_TMP/siproxd.conf"
kill -HUP "$SIPROXD_PID"
siproxd_log_wait 5 "host_outbound localhost is 127\.0\.0\.1" || t_fail "host_outbound name not resolved after SIGHUP"
kill -USR1 "$SIPROXD_PID"
siproxd_log_wait 5 "public address 127\.0\.0\.1" || t_fail "resolved host_outbound not used as the public address"
siproxd_stop || t_fail "siproxd did not stop on SIGTERM"
siproxd_sanitizer_clean
t_pass
