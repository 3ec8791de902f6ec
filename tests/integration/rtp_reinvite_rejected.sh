#!/bin/bash
# A re-INVITE the callee rejects (488) keeps the agreed media: audio goes on to the old ports.
set -eu
. "$(dirname "$0")/rtp_helpers.bash"

rtp_need_tools
rtp_start </dev/null
rtp_call_out 4000 rtp_uac_reinvite_rejected.xml rtp_uas_reinvite_rejected.xml
rtp_wait_msg 15 phone sent '^ACK' 1
rtp_expect_audio 50
rtp_wait_msg 15 phone sent '^ACK' 2
rtp_expect_audio 50
rtp_sipp_wait phone
rtp_sipp_wait callee
rtp_pass
