#!/bin/bash
# REGISTER through siproxd to a public registrar that challenges with 401 before it grants.
set -eu
. "$(dirname "$0")/lib.sh"

sip_need_tools
netns_topology
siproxd_conf </dev/null
siproxd_start
wan_capture_start

sipp_bg "$NS_WAN" registrar reg_uas_auth.xml -i "$WAN_IP" -p 5060 -m 1 \
	-key user alice -key secret alicepw
sipp_run "$NS_LAN" phone reg_uac.xml "$WAN_IP:5060" -i "$LAN_IP" -p 5060 -rsa "$PHONE_PROXY" -m 1 \
	-key user alice -key domain "$WAN_IP" -key expires 300 -au alice -ap alicepw -auth_uri "$WAN_IP"
sipp_wait registrar

sipp_saw phone '^SIP/2.0 401 ' || t_fail "the registrar's 401 challenge did not reach the phone"
sipp_header phone '^SIP/2.0 200 ' To | grep -q 'tag=' || t_fail "the phone's 200 lost its To tag"
# The registrar saw the masqueraded contact; the phone gets its own contact back.
sipp_header registrar '^REGISTER ' Contact | tail -n 1 | grep -q "@$RTR_WAN_IP" ||
	t_fail "the registrar did not see a contact on the router's public address"
sipp_header phone '^SIP/2.0 200 ' Contact | grep -q "<sip:alice@$LAN_IP:5060>;expires=300" ||
	t_fail "the 200 reaching the phone does not carry the phone's own contact with expires=300"
assert_wan_clean registrar
wan_capture_check
siproxd_sanitizer_clean
t_pass
