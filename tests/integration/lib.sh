# Shared helpers for the integration tests: throw-away network namespaces, the daemon, clean-up.
# Source it from a test script; every test runs under `set -eu` and ends through `t_pass`/`t_fail`.
#
# Topology made by netns_topology (names carry a per-run prefix so parallel runs never collide):
#   $NS_LAN  phone   veth 10.77.1.2/24  ── 10.77.1.1/24 (if "lan0")  $NS_RTR  router running siproxd
#   $NS_WAN  peer    veth 198.51.100.2/24 ── 198.51.100.1/24 (if "wan0") $NS_RTR
# Nothing is connected to a real interface. The router does not forward IP between its legs,
# so the only way from LAN to WAN is through siproxd.

T_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
T_NAME=$(basename "$0" .sh)
T_PREFIX="sx$$"
T_TMP=$(mktemp -d "/tmp/siproxd-${T_NAME}.XXXXXX")
T_PIDS=()
T_NETNS=()
SIPROXD=${SIPROXD:-$T_TOP/src/siproxd}

LAN_IP=10.77.1.2   RTR_LAN_IP=10.77.1.1
WAN_IP=198.51.100.2 RTR_WAN_IP=198.51.100.1

t_log() { printf '[%s] %s\n' "$T_NAME" "$*" >&2; }

t_cleanup() {
	local pid ns
	for pid in "${T_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${T_PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	done
	for ns in "${T_NETNS[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$T_TMP"
}
trap t_cleanup EXIT

t_pass() { t_log "PASS"; exit 0; }
t_fail() { t_log "FAIL: $*"; [ -f "$T_TMP/siproxd.log" ] && tail -n 40 "$T_TMP/siproxd.log" >&2; exit 1; }
t_skip() { t_log "SKIP: $*"; exit 77; }
t_need_root() { [ "$(id -u)" = 0 ] || t_skip "needs root for network namespaces"; }

# Remember a background process for clean-up: t_bg CMD... ; sets T_LAST_PID
t_bg() { "$@" & T_LAST_PID=$!; T_PIDS+=("$T_LAST_PID"); }

# Wait (bounded) until a command succeeds: t_wait SECONDS CMD...
t_wait() {
	local limit=$1; shift
	local end=$((SECONDS + limit))
	until "$@" 2>/dev/null; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

netns_add() { ip netns add "$1"; T_NETNS+=("$1"); ip -n "$1" link set lo up; }

# netns_link NS_A IF_A ADDR_A NS_B IF_B ADDR_B  (addresses with /prefix)
netns_link() {
	ip link add "$T_PREFIX$2" type veth peer name "$T_PREFIX$5"
	ip link set "$T_PREFIX$2" netns "$1"; ip -n "$1" link set "$T_PREFIX$2" name "$2"
	ip link set "$T_PREFIX$5" netns "$4"; ip -n "$4" link set "$T_PREFIX$5" name "$5"
	ip -n "$1" addr add "$3" dev "$2"; ip -n "$1" link set "$2" up
	ip -n "$4" addr add "$6" dev "$5"; ip -n "$4" link set "$5" up
}

netns_topology() {
	t_need_root
	NS_LAN="${T_PREFIX}lan" NS_RTR="${T_PREFIX}rtr" NS_WAN="${T_PREFIX}wan"
	netns_add "$NS_LAN"; netns_add "$NS_RTR"; netns_add "$NS_WAN"
	netns_link "$NS_LAN" eth0 "$LAN_IP/24" "$NS_RTR" lan0 "$RTR_LAN_IP/24"
	netns_link "$NS_WAN" eth0 "$WAN_IP/24" "$NS_RTR" wan0 "$RTR_WAN_IP/24"
	ip netns exec "$NS_RTR" sysctl -qw net.ipv4.ip_forward=0
	ip -n "$NS_LAN" route add default via "$RTR_LAN_IP"
	ip -n "$NS_WAN" route add default via "$RTR_WAN_IP"
}

# Writes a minimal config for the router namespace to $T_TMP/siproxd.conf; extra lines on stdin.
siproxd_conf() {
	{
		echo "if_inbound  = lan0"
		echo "if_outbound = wan0"
		echo "sip_listen_port = 5060"
		echo "daemonize = 0"
		echo "silence_log = 4"
		echo "rtp_port_low = 7070"
		echo "rtp_port_high = 7089"
		echo "pid_file = $T_TMP/siproxd.pid"
		cat
	} > "$T_TMP/siproxd.conf"
}

# Starts siproxd in the router namespace in the foreground (log in $T_TMP/siproxd.log) and waits
# until it listens on UDP 5060. Extra arguments go to siproxd. Sets SIPROXD_PID.
siproxd_start() {
	ip netns exec "$NS_RTR" "$SIPROXD" -f -c "$T_TMP/siproxd.conf" "$@" >"$T_TMP/siproxd.log" 2>&1 &
	SIPROXD_PID=$!
	T_PIDS+=("$SIPROXD_PID")
	t_wait 10 siproxd_listening || t_fail "siproxd did not start listening"
}
siproxd_listening() { ip netns exec "$NS_RTR" ss -Hlun "sport = :5060" | grep -q 5060; }

# True when process $1 is gone (a zombie child of this shell counts as gone).
t_gone() { [ ! -e "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# Waits (bounded) until the daemon's log matches an extended regex: siproxd_log_wait SECONDS REGEX
siproxd_log_wait() { t_wait "$1" grep -qE "$2" "$T_TMP/siproxd.log"; }

# SIGTERM to the daemon (default $SIPROXD_PID) and a bounded wait until it is gone.
siproxd_stop() {
	local pid=${1:-$SIPROXD_PID}
	kill -TERM "$pid" 2>/dev/null || true
	t_wait 10 t_gone "$pid"
}

# Fails the test when the daemon's log holds a sanitizer report (ASan, UBSan, LeakSanitizer).
siproxd_sanitizer_clean() {
	if grep -qE 'Sanitizer|runtime error:' "$T_TMP/siproxd.log"; then
		t_fail "sanitizer report in the daemon's log"
	fi
}
