#!/usr/bin/env bash
# user = nobody: real, effective, saved and filesystem IDs all switch and no supplementary group of
# root stays; chrootjail: the process root is the jail. Sockets are bound before the switch.
set -eu
. "$(dirname "$0")/lib.sh"

id nobody >/dev/null 2>&1 || t_skip "no user nobody"
netns_topology
uid=$(id -u nobody) gid=$(id -g nobody)
mkdir -p "$T_TMP/jail"
siproxd_conf <<EOF2
user = nobody
chrootjail = $T_TMP/jail
EOF2
# LeakSanitizer cannot trace a process that switched users and has no /proc in its jail.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
siproxd_start
status=/proc/$SIPROXD_PID/status
grep -qE "^Uid:[[:space:]]+${uid}[[:space:]]+${uid}[[:space:]]+${uid}[[:space:]]+${uid}$" "$status" ||
	t_fail "Uid not all $uid: $(grep ^Uid "$status")"
grep -qE "^Gid:[[:space:]]+${gid}[[:space:]]+${gid}[[:space:]]+${gid}[[:space:]]+${gid}$" "$status" ||
	t_fail "Gid not all $gid: $(grep ^Gid "$status")"
grep -qE "^Groups:[[:space:]]+${gid}[[:space:]]*$" "$status" || t_fail "supplementary groups: $(grep ^Groups "$status")"
[ "$(readlink "/proc/$SIPROXD_PID/root")" = "$T_TMP/jail" ] ||
	t_fail "root is $(readlink "/proc/$SIPROXD_PID/root"), not the jail"
siproxd_listening || t_fail "not listening after the switch"
# The PID file outside the jail cannot be removed; the daemon says so and empties it.
siproxd_stop || t_fail "siproxd did not stop on SIGTERM"
grep -q "PID file" "$T_TMP/siproxd.log" || t_fail "no word on the PID file that could not be removed"
[ ! -s "$T_TMP/siproxd.pid" ] || t_fail "PID file still names a process"

# A user that does not exist is fatal.
siproxd_conf <<<"user = no-such-user-siproxd"
set +e
timeout 10 ip netns exec "$NS_RTR" "$SIPROXD" -f -c "$T_TMP/siproxd.conf" >"$T_TMP/bad.log" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || t_fail "unknown user: exit $rc, expected 1"
grep -q "no-such-user-siproxd" "$T_TMP/bad.log" || t_fail "unknown user not named"
siproxd_sanitizer_clean
t_pass
