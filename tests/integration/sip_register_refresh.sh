#!/bin/bash
# Registration life cycle through siproxd: REGISTER, re-REGISTER (same Call-ID, higher CSeq),
# un-REGISTER (expires 0), and the wildcard "Contact: *". After each removal an incoming call
# for the user must be refused with 404, after each (re-)registration it must reach the phone.
set -eu
. "$(dirname "$0")/lib.sh"

sip_need_tools
netns_topology
siproxd_conf </dev/null
siproxd_start

cid="refresh-$$@$LAN_IP"
call_reaches_phone() {
	sipp_bg "$NS_LAN" "$1_phone" call_uas.xml -i "$LAN_IP" -p 5060 -m 1 -s alice
	wan_call "$1_caller" alice
	sipp_wait "$1_phone"
}
call_refused() {
	sipp_run "$NS_WAN" "$1" call_uac_reject.xml "$RTR_WAN_SIP" -i "$WAN_IP" -p 5070 -m 1 -s alice
	sipp_saw "$1" '^SIP/2.0 404 ' || t_fail "$2: the call was not refused with 404"
}

wan_register reg alice "$LAN_IP" 5060 300 -cid_str "$cid" -base_cseq 1
call_reaches_phone first
wan_register rereg alice "$LAN_IP" 5060 600 -cid_str "$cid" -base_cseq 10
# siproxd may hide the phone's Call-ID, but the registrar must see one Call-ID for both.
[ "$(sipp_header reg_registrar '^REGISTER ' Call-ID)" = "$(sipp_header rereg_registrar '^REGISTER ' Call-ID)" ] ||
	t_fail "the registrar did not see the re-REGISTER with the Call-ID of the REGISTER"
call_reaches_phone second

wan_register unreg alice "$LAN_IP" 5060 0 -cid_str "$cid" -base_cseq 20
call_refused after_unreg "after the un-REGISTER"

wan_register again alice "$LAN_IP" 5060 300 -cid_str "$cid" -base_cseq 30
call_reaches_phone third
sipp_bg "$NS_WAN" star_registrar reg_uas.xml -i "$WAN_IP" -p 5060 -m 1
sipp_run "$NS_LAN" star unreg_star_uac.xml "$WAN_IP:5060" -i "$LAN_IP" -p 5060 -rsa "$PHONE_PROXY" \
	-m 1 -key user alice -key domain "$WAN_IP" -cid_str "$cid" -base_cseq 40
sipp_wait star_registrar
sipp_header star_registrar '^REGISTER ' Contact | grep -qx '\*' ||
	t_fail "the registrar did not get the wildcard Contact"
call_refused after_star "after Contact: *"
assert_wan_clean reg_registrar
assert_wan_clean star_registrar
siproxd_sanitizer_clean
t_pass
