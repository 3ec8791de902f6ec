#!/usr/bin/env bash
# daemonize = 1: the command returns once the daemon is ready; the daemon is a grandchild in its own
# session (not its leader), the PID file holds its PID, and it stops on SIGTERM.
set -eu
. "$(dirname "$0")/lib.sh"

netns_topology
siproxd_conf </dev/null
sed -i 's/^daemonize.*/daemonize = 1/' "$T_TMP/siproxd.conf"
started=$SECONDS
timeout 20 ip netns exec "$NS_RTR" "$SIPROXD" -c "$T_TMP/siproxd.conf" >"$T_TMP/start.log" 2>&1 ||
	t_fail "start in daemon mode failed: $(cat "$T_TMP/start.log")"
[ $((SECONDS - started)) -lt 15 ] || t_fail "the starting command did not return promptly"
# Ready means listening, without waiting.
siproxd_listening || t_fail "not listening when the starting command returned"
pid=$(cat "$T_TMP/siproxd.pid")
T_PIDS+=("$pid")
kill -0 "$pid" 2>/dev/null || t_fail "PID file names $pid, which does not run"
ip netns exec "$NS_RTR" ss -Hlnup "sport = :5060" | grep -q "pid=$pid," || t_fail "pid $pid is not the listener"
read -r -a stat <"/proc/$pid/stat"
# Fields after "(comm)": state ppid pgrp session.
sid=${stat[5]}
[ "$sid" != "$pid" ] || t_fail "the daemon is a session leader (no second fork)"
[ "$sid" != "$(ps -o sid= $$ | tr -d ' ')" ] || t_fail "the daemon kept the caller's session"
[ "$(readlink "/proc/$pid/cwd")" = / ] || t_fail "working directory is $(readlink "/proc/$pid/cwd")"
[ "$(readlink "/proc/$pid/fd/0")" = /dev/null ] || t_fail "stdin not /dev/null"

# A failing daemon start reports failure to the caller.
set +e
timeout 20 ip netns exec "$NS_RTR" "$SIPROXD" -c "$T_TMP/siproxd.conf" >"$T_TMP/second.log" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || t_fail "second daemon start exited $rc, expected 1"
grep -q "pid $pid" "$T_TMP/second.log" || t_fail "refusal does not name pid $pid: $(cat "$T_TMP/second.log")"

siproxd_stop "$pid" || t_fail "daemon did not stop on SIGTERM"
[ ! -e "$T_TMP/siproxd.pid" ] || t_fail "PID file left behind"
t_pass
