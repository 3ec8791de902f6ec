#!/usr/bin/env bash
# The PID file holds the daemon's PID and stays locked; a second instance with the same PID file
# refuses to start and names the running PID; SIGTERM removes the file.
set -eu
. "$(dirname "$0")/lib.sh"

netns_topology
siproxd_conf </dev/null
siproxd_start
pidfile="$T_TMP/siproxd.pid"
t_wait 5 test -s "$pidfile" || t_fail "no PID file"
[ "$(cat "$pidfile")" = "$SIPROXD_PID" ] || t_fail "PID file says $(cat "$pidfile"), daemon is $SIPROXD_PID"
if flock -n "$pidfile" true; then t_fail "PID file is not locked"; fi

# Second instance: other port so that only the PID file stands in its way.
sed 's/^sip_listen_port.*/sip_listen_port = 5070/' "$T_TMP/siproxd.conf" >"$T_TMP/second.conf"
set +e
timeout 10 ip netns exec "$NS_RTR" "$SIPROXD" -f -c "$T_TMP/second.conf" >"$T_TMP/second.log" 2>&1
rc=$?
set -e
cat "$T_TMP/second.log" >&2
[ "$rc" = 1 ] || t_fail "second instance did not refuse with exit 1 (exit $rc)"
grep -q "pid $SIPROXD_PID" "$T_TMP/second.log" || t_fail "refusal does not name pid $SIPROXD_PID"
[ "$(cat "$pidfile")" = "$SIPROXD_PID" ] || t_fail "second instance touched the PID file"

# -p overrides pid_file.
siproxd_stop || t_fail "siproxd did not stop on SIGTERM"
[ ! -e "$pidfile" ] || t_fail "PID file left behind after SIGTERM"
siproxd_start -p "$T_TMP/other.pid"
t_wait 5 test -s "$T_TMP/other.pid" || t_fail "-p was not used"
[ ! -e "$pidfile" ] || t_fail "pid_file written despite -p"
siproxd_stop || t_fail "siproxd did not stop on SIGTERM"
[ ! -e "$T_TMP/other.pid" ] || t_fail "-p PID file left behind"
siproxd_sanitizer_clean
t_pass
