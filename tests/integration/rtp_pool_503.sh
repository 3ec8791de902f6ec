#!/bin/bash
# An exhausted port pool: with one port pair (rtp_port_low = rtp_port_high = 7070 is the pair
# 7070/7071, RTCP on high + 1 as in the classic daemon), a second call while the first is up gets 503 from
# siproxd and never reaches the callee; the first call keeps its audio.
set -eu
. "$(dirname "$0")/rtp_helpers.bash"

rtp_need_tools
rtp_start <<<$'rtp_port_low = 7070\nrtp_port_high = 7070'
rtp_call_out 5000 rtp_uac.xml rtp_uas.xml
rtp_wait_msg 15 phone sent '^ACK'
RTP_SIPP_MP=6010 rtp_sipp_bg "$NS_LAN" phone2 rtp_uac_503.xml "$WAN_IP:5060" -i "$LAN_IP" -p 5062 -rsa "$RTR_LAN_IP:5060" -m 1 \
	-s callee -key rtpaddr "$LAN_IP" -key rtpport 7010
rtp_sipp_wait phone2
[ "$(rtp_count callee received '^INVITE')" = 1 ] || t_fail "the refused call reached the callee"
rtp_expect_audio 50
rtp_sipp_wait phone
rtp_sipp_wait callee
rtp_pass
