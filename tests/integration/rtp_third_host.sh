#!/bin/bash
# Packets injected from a third host to the relay's WAN port are not relayed to the phone; the
# callee's own packets are.
set -eu
. "$(dirname "$0")/rtp_helpers.bash"

rtp_need_tools
rtp_start </dev/null
ip -n "$NS_WAN" addr add 198.51.100.3/24 dev eth0
rtp_call_out 5000 rtp_uac.xml rtp_uas.xml
rtp_wait_msg 15 phone sent '^ACK'
rtp_sdp callee
rtp_send_bg "$NS_LAN" listen "$LAN_IP" "$PHONE_RTP" "$RTR_LAN_IP" 9 0 20 2500
rtp_send_bg "$NS_WAN" intruder 198.51.100.3 "$CALLEE_RTP" "$RTR_WAN_IP" "$RTP_SDP_PORT" 50 20 300
rtp_received intruder
rtp_received listen
[ "$RTP_RX" = 0 ] || t_fail "the phone received $RTP_RX packets injected by a third host"
rtp_expect_audio 50
rtp_sipp_wait phone
rtp_sipp_wait callee
rtp_pass
