# Helpers of the RTP relay tests (rtp_*.sh), on top of lib.sh: the rtpsend tool, SIPp runs whose
# message logs give the relay ports, and RTP exchanges counted on both sides.
# The phone (LAN) and the callee (WAN) are SIPp; their RTP is rtpsend, on ports named in the SDP
# through -key rtpport (SIPp's own media socket stays on -mp 6000, out of the way).
# (Not named *.sh: scripts/test runs every tests/integration/*.sh as a test.)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RTP_SCEN=$T_TOP/tests/integration/scenarios
RTP_SIPP_TIMEOUT=${RTP_SIPP_TIMEOUT:-30}
PHONE_RTP=7000      # in the phone's SDP
CALLEE_RTP=8000     # in the callee's SDP

# Builds rtpsend into $T_TMP and checks the tools; without a daemon the test fails (never skips).
rtp_need_tools() {
	command -v sipp >/dev/null || t_skip "sipp is not installed"
	command -v cc >/dev/null || t_skip "no C compiler for rtpsend"
	[ -x "$SIPROXD" ] || t_fail "no siproxd binary at $SIPROXD"
	cc -O2 -o "$T_TMP/rtpsend" "$T_TOP/tests/integration/rtpsend.c" || t_fail "cannot build rtpsend"
}

# The standard topology and a daemon with the relay on; extra configuration lines on stdin.
rtp_start() {
	netns_topology
	{ echo "rtp_proxy_enable = 1"; cat; } | siproxd_conf
	siproxd_start
}

# rtp_sipp_bg NS NAME SCENARIO SIPP-ARGS... : SIPp in the background, bounded in time; its
# messages go to $T_TMP/NAME.msg; its own media socket on RTP_SIPP_MP (6000). Sets RTP_PID_NAME.
rtp_sipp_bg() {
	local ns=$1 name=$2 scen=$3; shift 3
	timeout $((RTP_SIPP_TIMEOUT + 10)) ip netns exec "$ns" sipp -sf "$RTP_SCEN/$scen" -nostdin \
		-timeout "${RTP_SIPP_TIMEOUT}s" -timeout_error -trace_err -error_file "$T_TMP/$name.err" \
		-trace_msg -message_file "$T_TMP/$name.msg" -mp "${RTP_SIPP_MP:-6000}" "$@" </dev/null >"$T_TMP/$name.out" 2>&1 &
	T_PIDS+=("$!")
	printf -v "RTP_PID_$name" %s "$!"
}

# rtp_sipp_wait NAME : waits for a background SIPp; fails the test unless its calls succeeded.
rtp_sipp_wait() {
	local pid_var="RTP_PID_$1" rc=0
	wait "${!pid_var}" || rc=$?
	if [ "$rc" != 0 ]; then
		cat "$T_TMP/$1.err" >&2 2>/dev/null || true
		t_fail "SIPp $1 ended with status $rc"
	fi
}

# rtp_count NAME DIRECTION PATTERN : how many messages NAME sent/received whose first line matches.
rtp_count() {
	awk -v dir="$2" -v pat="$3" '
		/message (sent|received)/ { want = ($0 ~ dir); first = 1; next }
		first && NF > 0 { if (want && $0 ~ pat) n++; first = 0 }
		END { print n + 0 }' "$T_TMP/$1.msg" 2>/dev/null || echo 0
}

# rtp_wait_msg SECONDS NAME DIRECTION PATTERN [COUNT] : until NAME has COUNT (1) such messages.
rtp_wait_msg() {
	local limit=$1 name=$2 dir=$3 pat=$4 count=${5:-1}
	local end=$((SECONDS + limit))
	until [ "$(rtp_count "$name" "$dir" "$pat")" -ge "$count" ]; do
		[ "$SECONDS" -lt "$end" ] || t_fail "$name: no $dir '$pat' (#$count) within ${limit}s"
		sleep 0.1
	done
}

# rtp_sdp NAME : sets RTP_SDP_ADDR and RTP_SDP_PORT from the last SDP NAME received (c=, m=audio).
rtp_sdp() {
	local out
	out=$(awk '
		/message (sent|received)/ { rx = ($0 ~ /received/); next }
		rx && /^[ \t]*c=IN IP4 / { sub(/\r$/, ""); c = $3 }
		rx && /^[ \t]*m=audio / { m = $2 }
		END { print c, m }' "$T_TMP/$1.msg")
	RTP_SDP_ADDR=${out% *}
	RTP_SDP_PORT=${out#* }
	[ -n "$RTP_SDP_PORT" ] || t_fail "$1 received no SDP with an m=audio line"
}

# rtp_send_bg NS NAME LOCAL_IP LOCAL_PORT DEST_IP DEST_PORT COUNT [INTERVAL_MS [LINGER_MS]] :
# rtpsend in the background, its result line in $T_TMP/NAME.rtp. Sets RTP_PID_NAME.
rtp_send_bg() {
	local ns=$1 name=$2; shift 2
	timeout 30 ip netns exec "$ns" "$T_TMP/rtpsend" "$@" >"$T_TMP/$name.rtp" 2>"$T_TMP/$name.rtperr" &
	T_PIDS+=("$!")
	printf -v "RTP_PID_$name" %s "$!"
}

# rtp_received NAME : waits for rtpsend NAME; sets RTP_RX to how many packets it received.
rtp_received() {
	local pid_var="RTP_PID_$1"
	wait "${!pid_var}" || t_fail "rtpsend $1 failed: $(cat "$T_TMP/$1.rtperr")"
	RTP_RX=$(awk '{ print $4 }' "$T_TMP/$1.rtp")
	[ -n "$RTP_RX" ] || t_fail "rtpsend $1 printed nothing"
}

# rtp_exchange N [PHONE_SRC_PORT] : phone and callee send N packets each to the relay ports from
# the SDP they received (the phone from PHONE_SRC_PORT, default the port in its own SDP); sets
# RX_PHONE and RX_CALLEE to what each received.
rtp_exchange() {
	local n=$1 src=${2:-$PHONE_RTP} lan_port wan_port
	# a side on hold (c=0.0.0.0) names no address: its relay port is the one seen before
	rtp_sdp phone
	if [ "$RTP_SDP_ADDR" != 0.0.0.0 ]; then
		[ "$RTP_SDP_ADDR" = "$RTR_LAN_IP" ] || t_fail "the phone's SDP names $RTP_SDP_ADDR, not $RTR_LAN_IP"
		RTP_LAN_PORT=$RTP_SDP_PORT
	fi
	rtp_sdp callee
	if [ "$RTP_SDP_ADDR" != 0.0.0.0 ]; then
		[ "$RTP_SDP_ADDR" = "$RTR_WAN_IP" ] || t_fail "the callee's SDP names $RTP_SDP_ADDR, not $RTR_WAN_IP"
		RTP_WAN_PORT=$RTP_SDP_PORT
	fi
	lan_port=${RTP_LAN_PORT:?the phone never received a relay port}
	wan_port=${RTP_WAN_PORT:?the callee never received a relay port}
	rtp_send_bg "$NS_LAN" rtp_phone "$LAN_IP" "$src" "$RTR_LAN_IP" "$lan_port" "$n" 20 800
	rtp_send_bg "$NS_WAN" rtp_callee "$WAN_IP" "$CALLEE_RTP" "$RTR_WAN_IP" "$wan_port" "$n" 20 800
	rtp_received rtp_phone
	RX_PHONE=$RTP_RX
	rtp_received rtp_callee
	RX_CALLEE=$RTP_RX
	t_log "RTP: phone received $RX_PHONE, callee received $RX_CALLEE of $n each"
}

# rtp_expect_audio N : both directions carried at least 80% of N packets.
rtp_expect_audio() {
	rtp_exchange "$@"
	[ "$RX_PHONE" -ge $(($1 * 8 / 10)) ] || t_fail "the phone received only $RX_PHONE of $1 packets"
	[ "$RX_CALLEE" -ge $(($1 * 8 / 10)) ] || t_fail "the callee received only $RX_CALLEE of $1 packets"
}

# rtp_expect_silence N : nothing relayed either way.
rtp_expect_silence() {
	rtp_exchange "$@"
	[ "$RX_PHONE" = 0 ] && [ "$RX_CALLEE" = 0 ] ||
		t_fail "packets relayed after the streams should have ended ($RX_PHONE / $RX_CALLEE)"
}

# The phone calls the callee through siproxd; each pause of the phone's scenario lasts PAUSE_MS.
# rtp_call_out PAUSE_MS UAC-SCENARIO UAS-SCENARIO [extra UAC args...]
rtp_call_out() {
	local callms=$1 uac=$2 uas=$3; shift 3
	rtp_sipp_bg "$NS_WAN" callee "$uas" -i "$WAN_IP" -p 5060 -m 1 -key rtpaddr "$WAN_IP" -key rtpport "$CALLEE_RTP"
	t_wait 5 rtp_listening "$NS_WAN" "$WAN_IP" 5060 || t_fail "the callee SIPp did not start"
	rtp_sipp_bg "$NS_LAN" phone "$uac" "$WAN_IP:5060" -i "$LAN_IP" -p 5060 -rsa "$RTR_LAN_IP:5060" -m 1 \
		-s callee -key rtpaddr "$LAN_IP" -key rtpport "$PHONE_RTP" -d "$callms" "$@"
}
rtp_listening() { ip netns exec "$1" ss -Hlnu "src $2:$3" | grep -q .; }

# The end of every RTP test: the daemon still runs and its log shows no sanitizer report.
rtp_pass() {
	kill -0 "$SIPROXD_PID" 2>/dev/null || t_fail "siproxd is no longer running"
	! grep -q "AddressSanitizer\|runtime error:" "$T_TMP/siproxd.log" || t_fail "sanitizer report in the daemon's log"
	t_pass
}
