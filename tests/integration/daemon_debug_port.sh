#!/usr/bin/env bash
# The debug port streams live log lines to a TCP client on the inbound side, and by default is not
# reachable on the outbound (WAN) address.
set -eu
. "$(dirname "$0")/lib.sh"

netns_topology
siproxd_conf <<<"debug_port = 5099"
siproxd_start
ip netns exec "$NS_RTR" ss -Hlnt "sport = :5099" >"$T_TMP/ss"
grep -q "$RTR_LAN_IP:5099" "$T_TMP/ss" || t_fail "debug port not on the inbound address"
grep -q "127.0.0.1:5099" "$T_TMP/ss" || t_fail "debug port not on 127.0.0.1"
if grep -q "$RTR_WAN_IP:5099" "$T_TMP/ss"; then t_fail "debug port listens on the outbound address"; fi

# A client on the LAN side: SIGUSR1 produces status lines that must arrive live.
t_bg ip netns exec "$NS_LAN" timeout 10 nc "$RTR_LAN_IP" 5099 >"$T_TMP/debug.txt" </dev/null
nc_pid=$T_LAST_PID
debug_client_connected() { ip netns exec "$NS_RTR" ss -Hnt state established "sport = :5099" | grep -q 5099; }
t_wait 5 debug_client_connected || t_fail "debug client did not connect"
kill -USR1 "$SIPROXD_PID"
t_wait 5 grep -q "status:" "$T_TMP/debug.txt" || t_fail "no live log lines on the debug port"
kill "$nc_pid" 2>/dev/null || true

# From the WAN side the port is closed.
if ip netns exec "$NS_WAN" timeout 3 nc -z "$RTR_WAN_IP" 5099; then t_fail "debug port reachable from the WAN"; fi
siproxd_stop || t_fail "siproxd did not stop on SIGTERM"
siproxd_sanitizer_clean
t_pass
