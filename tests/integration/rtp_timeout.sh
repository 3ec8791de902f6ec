#!/bin/bash
# rtp_timeout: streams without packets for that long end; later packets are not relayed.
set -eu
. "$(dirname "$0")/rtp_helpers.bash"

rtp_need_tools
rtp_start <<<"rtp_timeout = 2"
rtp_call_out 12000 rtp_uac.xml rtp_uas.xml
rtp_wait_msg 15 phone sent '^ACK'
rtp_expect_audio 25
sleep 4
rtp_expect_silence 25
rtp_sipp_wait phone
rtp_sipp_wait callee
rtp_pass
