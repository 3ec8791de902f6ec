#!/bin/bash
# Access control: a phone refused by hosts_deny_sip, then by a hosts_allow_sip that lists another
# phone only, gets a 403 or no answer, and nothing of its call reaches the public side; the
# allowed phone's call goes through.
set -eu
. "$(dirname "$0")/lib.sh"

LAN_IP2=10.77.1.3
sip_need_tools
netns_topology
lan_add_host "$LAN_IP2"

# refused_then_allowed CASE : the phone at $LAN_IP must be refused, the one at $LAN_IP2 served.
refused_then_allowed() {
	wan_capture_start
	sipp_bg "$NS_WAN" "$1_callee" call_uas.xml -i "$WAN_IP" -p 5060 -m 1 -s bob
	sipp_run "$NS_LAN" "$1_refused" call_uac_acl.xml "$WAN_IP:5060" -i "$LAN_IP" -p 5060 \
		-rsa "$PHONE_PROXY" -m 1 -s bob -cid_str "refused-%u-%p"
	sipp_run "$NS_LAN" "$1_allowed" call_uac.xml "$WAN_IP:5060" -i "$LAN_IP2" -p 5060 \
		-rsa "$PHONE_PROXY" -m 1 -s bob -cid_str "allowed-%u-%p"
	sipp_wait "$1_callee"
	if sipp_saw "$1_refused" '^SIP/2.0 403 '; then t_log "$1: refused with 403"
	else t_log "$1: refused silently"; fi
	! sipp_saw "$1_refused" '^SIP/2.0 [12]' || t_fail "$1: the refused phone got an answer"
	sipp_header "$1_callee" '^INVITE ' Call-ID | grep -q '^allowed-' ||
		t_fail "$1: the allowed phone's call did not reach the callee"
	wan_capture_stop
	[ "$(wan_capture_count 'frame contains "refused-"')" = 0 ] ||
		t_fail "$1: the refused phone's call appeared on the public side"
}

siproxd_conf <<CONF
hosts_deny_sip = $LAN_IP/32
CONF
siproxd_start
refused_then_allowed deny
siproxd_stop
siproxd_sanitizer_clean

siproxd_conf <<CONF
hosts_allow_sip = $LAN_IP2/32,198.51.100.0/24
CONF
siproxd_start
refused_then_allowed allow
siproxd_sanitizer_clean
t_pass
