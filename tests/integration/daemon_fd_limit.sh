#!/usr/bin/env bash
# RLIMIT_NOFILE: the daemon raises its soft descriptor limit to what rtp_port_low..rtp_port_high
# (two sockets per port, RTP and RTCP) and tcp_max_connections need; under a hard limit that is
# too low it takes the hard limit and warns.
set -eu
. "$(dirname "$0")/lib.sh"

netns_topology
LOW=30000 HIGH=37999 TCP_MAX=1024
siproxd_conf <<CONF
rtp_port_low = $LOW
rtp_port_high = $HIGH
tcp_max_connections = $TCP_MAX
CONF
# What the port range and the TCP connections need, without the daemon's own small reserve.
NEED=$(( (HIGH - LOW + 2) * 2 + TCP_MAX ))
limit_of() { awk -v col="$2" '/^Max open files/ { print $col }' "/proc/$1/limits"; }

HARD=$(ulimit -Hn)
[ "$HARD" = unlimited ] || [ "$HARD" -ge $((NEED + 100)) ] || t_skip "hard descriptor limit $HARD is below $NEED"
ulimit -Sn 1024   # the usual default, far below what the range needs
siproxd_start
soft=$(limit_of "$SIPROXD_PID" 4)
[ "$soft" -ge "$NEED" ] || t_fail "soft descriptor limit $soft, the configuration needs $NEED"
[ "$soft" -lt $((NEED + 1000)) ] || t_fail "soft descriptor limit $soft raised far beyond the $NEED needed"
[ "$(limit_of "$SIPROXD_PID" 5)" = "$(ulimit -Hn)" ] || t_fail "the hard limit changed"
grep -q 'descriptor limit' "$T_TMP/siproxd.log" && t_fail "warned about the limit although it could be raised"
siproxd_stop || t_fail "siproxd did not stop on SIGTERM"
siproxd_sanitizer_clean

# A hard limit below the need: the daemon takes all it may and says calls may fail.
ulimit -Hn 4096
siproxd_start
[ "$(limit_of "$SIPROXD_PID" 4)" = 4096 ] || t_fail "soft limit not raised to the hard limit 4096"
siproxd_log_wait 5 "WARNING:.*descriptor limit 4096 is below" || t_fail "a too low hard limit not warned about"
siproxd_stop || t_fail "siproxd did not stop on SIGTERM"
siproxd_sanitizer_clean
t_pass
