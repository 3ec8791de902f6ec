#!/bin/bash
# A phone whose RTP leaves from another port than its SDP names (7002 instead of 7000) still gets
# two-way audio: the relay latches onto where the packets really come from.
set -eu
. "$(dirname "$0")/rtp_helpers.bash"

rtp_need_tools
rtp_start </dev/null
rtp_call_out 4000 rtp_uac.xml rtp_uas.xml
rtp_wait_msg 15 phone sent '^ACK'
rtp_expect_audio 50 7002
rtp_sipp_wait phone
rtp_sipp_wait callee
rtp_pass
