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
	# T_KEEP=1 keeps the traces of a run for a post-mortem.
	if [ -n "${T_KEEP:-}" ]; then t_log "traces kept in $T_TMP"; else rm -rf "$T_TMP"; fi
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

# ---------------------------------------------------------------------------------------------
# SIPp helpers. Every SIPp run is bounded three ways: the scenario's -m call count, SIPp's own
# global -timeout (an expiry is an error), and an outer `timeout` in case SIPp itself hangs.
# Each run is named; its traces are $T_TMP/NAME.msg (every message sent and received),
# NAME.err (unexpected messages, failed checks) and NAME.out (SIPp's screen output).
T_SCEN=$T_TOP/tests/integration/scenarios

# Skips the test unless SIPp, the capture tools and a built siproxd are there.
sip_need_tools() {
	local cmd
	for cmd in sipp tcpdump tshark; do
		command -v "$cmd" >/dev/null || t_skip "$cmd is not installed"
	done
	[ -x "$SIPROXD" ] || t_skip "no siproxd binary at $SIPROXD"
}
SIPP_TIMEOUT=${SIPP_TIMEOUT:-20}
# The phone uses siproxd as its outbound proxy: every request goes to the router's LAN address
# whatever the Request-URI says.
PHONE_PROXY="$RTR_LAN_IP:5060"
# Where the public side reaches a registered phone: its masqueraded contact on the router.
RTR_WAN_SIP="$RTR_WAN_IP:5060"

sipp_cmd() {
	local ns=$1 name=$2 scen=$3; shift 3
	timeout $((SIPP_TIMEOUT + 10)) ip netns exec "$ns" sipp -sf "$T_SCEN/$scen" -nostdin \
		-default_behaviors all,-bye \
		-timeout "${SIPP_TIMEOUT}s" -timeout_error -trace_err -error_file "$T_TMP/$name.err" \
		-trace_msg -message_file "$T_TMP/$name.msg" "$@" </dev/null >"$T_TMP/$name.out" 2>&1
}

# sipp_run NS NAME SCENARIO SIPP-ARGS... : runs SIPp in the foreground; fails the test unless
# every call of the scenario succeeded.
sipp_run() {
	local rc=0
	sipp_cmd "$@" || rc=$?
	[ "$rc" = 0 ] || sipp_fail "$2" "exit status $rc"
}

# sipp_bg NS NAME SCENARIO SIPP-ARGS... : starts a SIPp server in the background and waits until
# its socket listens (-i/-p must be given, -t t1 for TCP). Sets SIPP_PID_<NAME>.
sipp_bg() {
	local ns=$1 name=$2 ip port proto=u arg prev=
	for arg in "$@"; do
		case "$prev" in
		-i) ip=$arg ;; -p) port=$arg ;; -t) [ "$arg" = u1 ] || proto=t ;;
		esac
		prev=$arg
	done
	sipp_cmd "$@" &
	T_PIDS+=("$!")
	printf -v "SIPP_PID_$name" %s "$!"
	t_wait 5 sipp_listening "$ns" "$proto" "$ip" "$port" || sipp_fail "$name" "did not start listening"
}
sipp_listening() { ip netns exec "$1" ss -Hln"$2" "src $3:$4" | grep -q .; }

# sipp_wait NAME : waits for a background SIPp (bounded by its own timeouts) and checks its result.
sipp_wait() {
	local pidvar="SIPP_PID_$1" rc=0
	wait "${!pidvar}" || rc=$?
	[ "$rc" = 0 ] || sipp_fail "$1" "exit status $rc"
}

sipp_fail() {
	t_log "SIPp run '$1' failed: $2"
	[ -s "$T_TMP/$1.err" ] && tail -n 30 "$T_TMP/$1.err" >&2
	[ -s "$T_TMP/$1.msg" ] && tail -n 40 "$T_TMP/$1.msg" >&2
	t_fail "SIPp run '$1': $2"
}

# sipp_received NAME [sent] : prints every message run NAME received (or sent), each after a
# line "@@".
sipp_received() {
	awk -v way=" message ${2:-received}" '/^----------------/ { keep=0; next } index($0, way) { keep=2; print "@@"; next }
		keep == 2 && /^[ \t\r]*$/ { next } keep { keep=1; print }' \
		"$T_TMP/$1.msg"
}

# sipp_saw NAME REGEX : true if run NAME received a message with a line matching REGEX.
sipp_saw() { sipp_received "$1" | grep -Eq -- "$2"; }

# assert_wan_clean NAME : the messages the public peer of run NAME received carry exactly one
# Via each (a request: siproxd's own, a response: the peer's own) and no LAN address at all.
assert_wan_clean() {
	local bad
	if [ ! -s "$T_TMP/$1.msg" ] || ! sipp_saw "$1" '^(SIP/2.0|[A-Z]+ sip)'; then
		t_fail "public peer '$1' received nothing"
	fi
	if sipp_received "$1" | grep -q '10\.77\.'; then
		sipp_received "$1" | grep -n '10\.77\.' >&2
		t_fail "a LAN address leaked to the public side (run $1)"
	fi
	bad=$(sipp_received "$1" | awk -v me="$RTR_WAN_IP" '
		/^@@/ { if (n != "" && (vias != 1 || (req && !mine))) print first; first=""; n=0; vias=0; mine=0; next }
		n == 0 && first == "" { first=$0; req = ($0 !~ /^SIP\//); n=1 }
		tolower($0) ~ /^(via|v)[ \t]*:/ { vias += 1 + gsub(/,/, ",")
			if (index($0, "SIP/2.0/UDP " me ":") || index($0, "SIP/2.0/TCP " me ":")) mine=1 }
		END { if (first != "" && (vias != 1 || (req && !mine))) print first }')
	[ -z "$bad" ] || t_fail "public peer '$1' got messages without exactly siproxd's Via: $bad"
}

# A packet capture on the public peer's interface (eth0 of $NS_WAN).
wan_capture_start() {
	ip netns exec "$NS_WAN" tcpdump -i eth0 -n -U --immediate-mode -s 0 -w "$T_TMP/wan.pcap" \
		>/dev/null 2>"$T_TMP/tcpdump.log" &
	WAN_CAPTURE_PID=$!
	T_PIDS+=("$WAN_CAPTURE_PID")
	t_wait 5 grep -q 'listening on' "$T_TMP/tcpdump.log" || t_fail "tcpdump did not start"
}

# wan_capture_stop : ends the capture (letting the last packets in first).
wan_capture_stop() {
	sleep 0.2
	kill -INT "$WAN_CAPTURE_PID" 2>/dev/null || true
	wait "$WAN_CAPTURE_PID" 2>/dev/null || true
}

# wan_capture_count FILTER : how many captured packets match the tshark display FILTER.
wan_capture_count() { tshark -n -r "$T_TMP/wan.pcap" -Y "$1" 2>/dev/null | wc -l; }

# wan_capture_check : stops the capture; fails unless it holds SIP traffic and no LAN address
# (neither in an IP header nor anywhere in a payload).
wan_capture_check() {
	local sip leaks
	wan_capture_stop
	sip=$(wan_capture_count sip)
	[ "$sip" -gt 0 ] || t_fail "the capture on the public side holds no SIP message"
	leaks=$(wan_capture_count 'ip.addr == 10.77.0.0/16 or frame contains "10.77."')
	[ "$leaks" = 0 ] || t_fail "$leaks captured packets on the public side carry a LAN address"
	t_log "capture: $sip SIP packets on the public side, none with a LAN address"
}

# wan_add_host IP : an extra address on the public peer's interface (a second public host).
wan_add_host() { ip -n "$NS_WAN" addr add "$1/24" dev eth0; }

# sipp_message NAME REGEX [sent] : prints the last message run NAME received (or sent) whose
# first line matches REGEX.
sipp_message() {
	sipp_received "$1" "${3:-received}" | awk -v re="$2" '
		/^@@/ { if (hit) last = cur; cur = ""; hit = 0; first = 1; next }
		first { hit = ($0 ~ re); first = 0 }
		{ cur = cur $0 "\n" }
		END { if (hit) last = cur; printf "%s", last }'
}

# sipp_header NAME FIRSTLINE-REGEX HEADER [sent] : the values of HEADER in that message, one per
# line.
sipp_header() {
	sipp_message "$1" "$2" "${4:-received}" | awk -v h="$3" '
		BEGIN { h = tolower(h) }
		/^[ \t]*$/ { exit }
		{ i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == h) {
			v = substr($0, i + 1); sub(/^[ \t]+/, "", v); sub(/\r$/, "", v); print v } }'
}

# lan_add_host IP : an extra address on the phone's interface (a second phone).
lan_add_host() { ip -n "$NS_LAN" addr add "$1/24" dev eth0; }

# wan_register RUN USER IP PORT EXPIRES [SIPP-ARGS...] : the phone USER at IP:PORT registers
# through siproxd with a public registrar (reg_uas.xml, started for this one REGISTER); the run
# names are RUN and RUN_registrar. Extra arguments go to the phone's SIPp (e.g. -cid_str).
wan_register() {
	local run=$1 user=$2 ip=$3 port=$4 exp=$5
	shift 5
	sipp_bg "$NS_WAN" "${run}_registrar" reg_uas.xml -i "$WAN_IP" -p 5060 -m 1
	sipp_run "$NS_LAN" "$run" reg_uac.xml "$WAN_IP:5060" -i "$ip" -p "$port" \
		-rsa "$PHONE_PROXY" -m 1 -key user "$user" -key domain "$WAN_IP" -key expires "$exp" "$@"
	sipp_wait "${run}_registrar"
}

# wan_call RUN USER [SIPP-ARGS...] : the public peer calls USER at the router's public address
# (the masqueraded contact) with call_uac.xml; the run must succeed.
wan_call() {
	local run=$1 user=$2
	shift 2
	sipp_run "$NS_WAN" "$run" call_uac.xml "$RTR_WAN_SIP" -i "$WAN_IP" -p 5070 -m 1 -s "$user" "$@"
}
