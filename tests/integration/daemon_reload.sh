#!/usr/bin/env bash
# SIGHUP: a changed debug_level takes effect, a broken config keeps the running one, and an option
# that needs a restart is named in the log.
set -eu
. "$(dirname "$0")/lib.sh"

netns_topology
siproxd_conf <<<"debug_level = 0"
cp "$T_TMP/siproxd.conf" "$T_TMP/base.conf"
siproxd_start

# debug class CONFIG (0x100) on: the reload's own debug line must appear.
{ cat "$T_TMP/base.conf"; echo "debug_level = 0x100"; } >"$T_TMP/siproxd.conf"
kill -HUP "$SIPROXD_PID"
siproxd_log_wait 5 "reload: the running configuration is now" || t_fail "debug_level change did not take effect"

# Broken file: logged, the daemon keeps running with the old values.
{ cat "$T_TMP/base.conf"; echo "sip_listen_port = banana"; } >"$T_TMP/siproxd.conf"
kill -HUP "$SIPROXD_PID"
siproxd_log_wait 5 "keeping the running configuration" || t_fail "broken config not reported"
kill -0 "$SIPROXD_PID" 2>/dev/null || t_fail "daemon died on a broken config"
siproxd_listening || t_fail "daemon stopped listening after a broken reload"

# A restart-only option.
{ cat "$T_TMP/base.conf"; echo "sip_listen_port = 5070"; } | sed '/^sip_listen_port = 5060/d' >"$T_TMP/siproxd.conf"
kill -HUP "$SIPROXD_PID"
siproxd_log_wait 5 "restart" || t_fail "restart-only option change not logged"
siproxd_listening || t_fail "listen port changed without a restart"
# Still pending on the next reload, because the daemon still runs on 5060.
kill -HUP "$SIPROXD_PID"
restart_logged_twice() { [ "$(grep -c 'sip_listen_port changed: restart needed' "$T_TMP/siproxd.log")" -ge 2 ]; }
t_wait 5 restart_logged_twice || t_fail "pending restart-only change not named again"
# And back: nothing pending any more.
cp "$T_TMP/base.conf" "$T_TMP/siproxd.conf"
kill -HUP "$SIPROXD_PID"
reloads_done() { [ "$(grep -c 'configuration reloaded' "$T_TMP/siproxd.log")" -ge 4 ]; }
t_wait 5 reloads_done || t_fail "fourth reload not done"
[ "$(grep -c 'sip_listen_port changed: restart needed' "$T_TMP/siproxd.log")" = 2 ] ||
	t_fail "restart named although the file is back to the running value"
siproxd_stop || t_fail "siproxd did not stop on SIGTERM"
siproxd_sanitizer_clean
t_pass
