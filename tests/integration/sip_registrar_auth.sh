#!/bin/bash
# siproxd as registrar with proxy authentication (proxy_auth_realm + proxy_auth_pwfile): a REGISTER
# is challenged with 407 and granted with 200 (with a To tag); a wrong password and an unknown
# user get 403; a replayed credentials header gets 403 or a 407 with stale=true. Nothing of it
# goes to the public side.
set -eu
. "$(dirname "$0")/lib.sh"

sip_need_tools
netns_topology
printf '# user password\nalice alicepw\nbob bobpw\n' >"$T_TMP/passwd"
siproxd_conf <<CONF
proxy_auth_realm = siproxd.test
proxy_auth_pwfile = $T_TMP/passwd
CONF
siproxd_start
wan_capture_start

# register RUN SCENARIO USER PASSWORD [SIPP-ARGS...] : REGISTER with siproxd itself.
register() {
	local run=$1 scen=$2 user=$3 pw=$4
	shift 4
	sipp_run "$NS_LAN" "$run" "$scen" "$RTR_LAN_IP:5060" -i "$LAN_IP" -p 5060 -m 1 \
		-key user "$user" -key domain "$RTR_LAN_IP" -key expires 300 \
		-au "$user" -ap "$pw" -auth_uri "$RTR_LAN_IP" "$@"
}

register good reg_uac.xml alice alicepw
sipp_header good '^SIP/2.0 407 ' Proxy-Authenticate | grep -q 'realm="siproxd.test"' ||
	t_fail "the first REGISTER was not challenged with 407 for realm siproxd.test"
sipp_header good '^SIP/2.0 200 ' To | grep -q ';tag=' || t_fail "the 200 has no To tag"
sipp_header good '^SIP/2.0 200 ' Contact | grep -q "sip:alice@$LAN_IP:5060" ||
	t_fail "the 200 does not list the phone's binding"

register wrong reg_uac_forbidden.xml alice not-the-password
register unknown reg_uac_forbidden.xml mallory alicepw

creds=$(sipp_header good '^REGISTER ' Proxy-Authorization sent)
[ -n "$creds" ] || t_fail "no Proxy-Authorization header found in the phone's trace"
register replay reg_uac_replay.xml alice alicepw -key replayed_auth "Proxy-Authorization: $creds"
if sipp_saw replay '^SIP/2.0 407 '; then
	sipp_header replay '^SIP/2.0 407 ' Proxy-Authenticate | grep -qi 'stale="\?true' ||
		t_fail "the replayed credentials were challenged without stale=true"
fi

wan_capture_stop
[ "$(wan_capture_count sip)" = 0 ] || t_fail "registrar-mode REGISTERs leaked to the public side"
siproxd_sanitizer_clean
t_pass
