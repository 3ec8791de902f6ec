#!/bin/bash
# Hold and resume by re-INVITE: the phone puts the call on hold (c=0.0.0.0, a=sendonly), so
# nothing reaches it; after the resuming re-INVITE both directions flow again on the same ports.
set -eu
. "$(dirname "$0")/rtp_helpers.bash"

rtp_need_tools
rtp_start </dev/null
rtp_call_out 4000 rtp_uac_hold.xml rtp_uas_hold.xml
rtp_wait_msg 15 phone sent '^ACK' 1
rtp_expect_audio 50
rtp_wait_msg 15 phone sent '^ACK' 2
awk '/message received/ { rx = 1 } /message sent/ { rx = 0 } rx && /^[ \t]*c=IN IP4 0\.0\.0\.0/' "$T_TMP/callee.msg" |
	grep -q . || t_fail "the hold (c=0.0.0.0) did not reach the callee"
rtp_exchange 50
[ "$RX_PHONE" = 0 ] || t_fail "the phone on hold received $RX_PHONE packets"
rtp_wait_msg 15 phone sent '^ACK' 3
rtp_expect_audio 50
rtp_sipp_wait phone
rtp_sipp_wait callee
rtp_pass
