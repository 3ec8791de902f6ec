#!/bin/bash
# An outgoing call with RTP both ways through the relay: the callee's SDP names the router's public
# address and a relay port, the phone's the router's LAN address; packets are counted on each side.
# After the BYE and its 200 the streams are gone: nothing is relayed any more.
set -eu
. "$(dirname "$0")/rtp_helpers.bash"

rtp_need_tools
rtp_start </dev/null
rtp_call_out 4000 rtp_uac.xml rtp_uas.xml
rtp_wait_msg 15 phone sent '^ACK'
awk '/message received/ { rx = 1 } /message sent/ { rx = 0 } rx && /^[ \t]*[oc]=.*10\.77\./' "$T_TMP/callee.msg" |
	grep -q . && t_fail "a LAN address reached the callee's SDP"
rtp_expect_audio 50
rtp_sipp_wait phone
rtp_sipp_wait callee
rtp_expect_silence 20
rtp_pass
