#!/bin/bash
# An incoming call: the phone registers through siproxd, the WAN side calls its masqueraded
# contact; the INVITE reaching the phone carries the router's LAN address, the 200 reaching the
# caller the public one, and RTP flows both ways.
set -eu
. "$(dirname "$0")/rtp_helpers.bash"

rtp_need_tools
rtp_start </dev/null
rtp_sipp_bg "$NS_WAN" registrar rtp_reg_uas.xml -i "$WAN_IP" -p 5060 -m 1
t_wait 5 rtp_listening "$NS_WAN" "$WAN_IP" 5060 || t_fail "the registrar SIPp did not start"
rtp_sipp_bg "$NS_LAN" register rtp_reg_uac.xml "$WAN_IP:5060" -i "$LAN_IP" -p 5060 -rsa "$RTR_LAN_IP:5060" \
	-m 1 -s phone
rtp_sipp_wait register
rtp_sipp_wait registrar

# the phone answers (LAN), the caller is on the WAN: SIPp names follow the sides
rtp_sipp_bg "$NS_LAN" phone rtp_uas.xml -i "$LAN_IP" -p 5060 -m 1 -key rtpaddr "$LAN_IP" -key rtpport "$PHONE_RTP"
t_wait 5 rtp_listening "$NS_LAN" "$LAN_IP" 5060 || t_fail "the phone SIPp did not start"
rtp_sipp_bg "$NS_WAN" callee rtp_uac.xml "$RTR_WAN_IP:5060" -i "$WAN_IP" -p 5060 -m 1 -s phone \
	-key rtpaddr "$WAN_IP" -key rtpport "$CALLEE_RTP" -d 4000
rtp_wait_msg 15 callee sent '^ACK'
rtp_expect_audio 50
rtp_sipp_wait callee
rtp_sipp_wait phone
rtp_expect_silence 20
rtp_pass
