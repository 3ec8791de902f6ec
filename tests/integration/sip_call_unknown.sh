#!/bin/bash
# An incoming call for a user nobody registered is refused by siproxd with 404; a registered
# phone on the LAN is not disturbed.
set -eu
. "$(dirname "$0")/lib.sh"

sip_need_tools
netns_topology
siproxd_conf </dev/null
siproxd_start

wan_register reg alice "$LAN_IP" 5060 300
sipp_run "$NS_WAN" caller call_uac_reject.xml "$RTR_WAN_SIP" -i "$WAN_IP" -p 5070 -m 1 -s nobody
sipp_saw caller '^SIP/2.0 404 ' || t_fail "the call for an unknown user was not answered with 404"
assert_wan_clean caller
siproxd_sanitizer_clean
t_pass
