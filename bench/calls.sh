#!/bin/bash
# Call load benchmark: builds siproxd -O2 without sanitizers, runs it in the test namespaces and
# drives bench/callload at each level (calls set up over SIP, RTP both ways); prints the figures.
#
#   bench/calls.sh [LEVEL...]          default levels 100 500 1000 2000
#   SECONDS_PER_LEVEL=15               streaming time per level
#   BUILD_DIR=/tmp/siproxd-bench-build the -O2 build (a copy of this tree's tracked files)
#   BENCH_SIPROXD=PATH                 run this daemon binary instead (A/B comparisons)
#   PERF=1                             perf record -g on the daemon while the last level streams
#   PERF_DATA=/tmp/siproxd-bench-perf.data  where it goes (and a flat report in PERF_DATA.txt)
# Needs root (network namespaces). Not part of `make check`.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/integration/lib.sh"
t_need_root

LEVELS=${*:-100 500 1000 2000}
STREAM=${SECONDS_PER_LEVEL:-15}
BUILD_DIR=${BUILD_DIR:-/tmp/siproxd-bench-build}
PERF_DATA=${PERF_DATA:-/tmp/siproxd-bench-perf.data}

# The build: this tree's source files (as they are in the working tree, so uncommitted changes
# count), configured once, then rebuilt incrementally.
mkdir -p "$BUILD_DIR"
(cd "$TOP" && git ls-files -z -co --exclude-standard | xargs -0 cp -pu --parents -t "$BUILD_DIR")
(
	cd "$BUILD_DIR"
	if [ ! -f config.status ]; then
		./autogen.sh >/dev/null 2>&1
		./configure CFLAGS="-O2 -g" >/dev/null
	fi
	make -j2 src/siproxd bench/callload >/dev/null
) || t_fail "the -O2 build failed (in $BUILD_DIR)"
SIPROXD=${BENCH_SIPROXD:-$BUILD_DIR/src/siproxd}
LOAD=$BUILD_DIR/bench/callload
t_log "build: $(grep -m1 '^CFLAGS = ' "$BUILD_DIR/Makefile")"

# 2000 calls need 8000 sockets in the daemon: as many as the hard limit allows
ulimit -n "$(ulimit -Hn)"

netns_topology
{
	echo "if_inbound  = lan0"
	echo "if_outbound = wan0"
	echo "sip_listen_port = 5060"
	echo "daemonize = 0"
	echo "silence_log = 4"
	echo "rtp_port_low = 10000"
	echo "rtp_port_high = 60000"
	echo "rtp_timeout = 300"
	echo "pid_file = $T_TMP/siproxd.pid"
} >"$T_TMP/siproxd.conf"

last=${LEVELS##* }
for n in $LEVELS; do
	siproxd_start
	perf_pid=
	if [ -n "${PERF:-}" ] && [ "$n" = "$last" ]; then
		# the SIP set-up takes a few seconds; record a window of the streaming phase
		( sleep $((n / 200 + 3)); exec perf record -g -F 999 -p "$SIPROXD_PID" -o "$PERF_DATA" \
			-- sleep $((STREAM - 3)) ) >/dev/null 2>&1 &
		perf_pid=$!
		T_PIDS+=("$perf_pid")
	fi
	t_log "level $n: $STREAM s of streaming"
	rc=0
	timeout $((STREAM + 240)) "$LOAD" "$NS_LAN" "$NS_WAN" "$SIPROXD_PID" "$n" "$STREAM" || rc=$?
	[ "$rc" = 0 ] || t_log "level $n: callload exit status $rc"
	if [ -n "$perf_pid" ]; then
		wait "$perf_pid" || true
		perf report -i "$PERF_DATA" --no-children --stdio -g none --percent-limit 0.5 2>/dev/null |
			grep -v '^$' >"$PERF_DATA.txt" || true
		t_log "perf profile in $PERF_DATA (flat: $PERF_DATA.txt)"
	fi
	siproxd_stop || t_fail "siproxd did not stop"
	grep -qE 'Sanitizer|runtime error:|crash|SIGSEGV' "$T_TMP/siproxd.log" && t_fail "daemon trouble at level $n"
done
t_pass
