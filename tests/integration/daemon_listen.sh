#!/usr/bin/env bash
# The daemon in the router namespace listens for SIP on the inbound address, the outbound address
# and 127.0.0.1 only — never on 0.0.0.0 — and stops cleanly on SIGTERM.
set -eu
. "$(dirname "$0")/lib.sh"

netns_topology
siproxd_conf </dev/null
siproxd_start
ip netns exec "$NS_RTR" ss -Hlntu >"$T_TMP/ss"
cat "$T_TMP/ss" >&2
for addr in "$RTR_LAN_IP" "$RTR_WAN_IP" 127.0.0.1; do
	grep -q "^udp .* $addr:5060 " "$T_TMP/ss" || t_fail "no UDP listener on $addr:5060"
	grep -q "^tcp .* $addr:5060 " "$T_TMP/ss" || t_fail "no TCP listener on $addr:5060"
done
if grep -qE ' (0\.0\.0\.0|\*|\[::\]):[0-9]+ ' "$T_TMP/ss"; then t_fail "a socket listens on a wildcard address"; fi
siproxd_stop || t_fail "siproxd did not stop on SIGTERM"
grep -q "terminat" "$T_TMP/siproxd.log" || t_fail "no clean termination logged"
siproxd_sanitizer_clean
t_pass
