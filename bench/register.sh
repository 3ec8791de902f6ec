#!/usr/bin/env bash
# REGISTER benchmark: throughput through siproxd and its CPU time per relayed REGISTER with 100, 10,000 and 100,000 phones registered.
#
#   bench/register.sh              the daemon at $SIPROXD (default src/siproxd) in the router namespace
#   bench/register.sh --direct     no daemon: the phones talk straight to regbench's registrar in the
#                                  router namespace (checks the harness; the CPU figure is the registrar's)
#
# Environment: BENCH_PHONES ("100 10000 100000"), BENCH_SECONDS (steady phase, 20), BENCH_WINDOW
# (transactions in flight, 64). Needs root (network namespaces). The registrar stops by itself, the
# client runs under timeout(1), and lib.sh removes the namespaces and processes on exit.
# Not part of the test command.
set -eu

. "$(dirname "${BASH_SOURCE[0]}")/../tests/integration/lib.sh"

DIRECT=0
[ "${1:-}" = --direct ] && DIRECT=1
PHONE_COUNTS=${BENCH_PHONES:-"100 10000 100000"}
STEADY=${BENCH_SECONDS:-20}
WINDOW=${BENCH_WINDOW:-64}
NADDR=100                   # LAN addresses 10.77.1.10 .. 10.77.1.109, one phone socket each
LPORT=5070
REGBENCH=$T_TMP/regbench

t_need_root
cc -O2 -std=gnu11 -Wall -Wextra -o "$REGBENCH" "$T_TOP/bench/regbench.c" || t_fail "cannot build regbench"
if [ "$DIRECT" = 0 ]; then
	[ -x "$SIPROXD" ] || t_fail "no daemon at $SIPROXD (build it, or set SIPROXD)"
fi

netns_topology
for i in $(seq 10 $((10 + NADDR - 1))); do
	ip -n "$NS_LAN" addr add "10.77.1.$i/24" dev eth0
done

echo "# REGISTER benchmark $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r)"
echo "# window $WINDOW, steady phase $STEADY s, $NADDR LAN addresses; mode: $([ "$DIRECT" = 1 ] && echo "direct (no daemon)" || echo "through $SIPROXD")"
echo "# targets: <= 11 us daemon CPU per REGISTER (request + response), the same at 100 and 100,000 registrations;"
echo "#          classic siproxd 0.8: about 55 us, at most 512 registrations"

for n in $PHONE_COUNTS; do
	# A fresh daemon and registrar for each size, so the table holds exactly n bindings.
	bound=$((STEADY + 330))
	if [ "$DIRECT" = 1 ]; then
		ip netns exec "$NS_RTR" "$REGBENCH" registrar "$RTR_LAN_IP" 5060 "$bound" \
			2>"$T_TMP/registrar.log" &
		target_pid=$!
		T_PIDS+=("$target_pid")
		reg_pid=$target_pid
		t_wait 5 siproxd_listening || t_fail "the registrar did not start"
	else
		ip netns exec "$NS_WAN" "$REGBENCH" registrar "$WAN_IP" 5060 "$bound" \
			2>"$T_TMP/registrar.log" &
		reg_pid=$!
		T_PIDS+=("$reg_pid")
		siproxd_conf <<-EOF
			max_registrations = $((n + 10000))
			default_expires = 3600
			hosts_allow_reg = 10.77.1.0/24
		EOF
		siproxd_start
		target_pid=$SIPROXD_PID
	fi
	sleep 0.5
	echo "## $n phones"
	ip netns exec "$NS_LAN" timeout "$bound" "$REGBENCH" client "$RTR_LAN_IP" 5060 "$WAN_IP" 10.77.1.10 \
		"$NADDR" "$LPORT" "$n" "$WINDOW" "$STEADY" "$target_pid" || t_fail "regbench client failed ($n phones)"
	for pid in "$target_pid" "$reg_pid"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	cat "$T_TMP/registrar.log"
done
t_pass
