#!/bin/bash
# SIGHUP re-reads proxy_auth_pwfile: after a password change the new password registers and the
# old one gets 403; a user removed from the file gets 403 too.
set -eu
. "$(dirname "$0")/lib.sh"

sip_need_tools
netns_topology
printf '# user password\nalice oldpw\nbob bobpw\n' >"$T_TMP/passwd"
siproxd_conf <<CONF
proxy_auth_realm = siproxd.test
proxy_auth_pwfile = $T_TMP/passwd
CONF
siproxd_start

# register RUN SCENARIO USER PASSWORD : REGISTER with siproxd itself (registrar mode).
register() {
	sipp_run "$NS_LAN" "$1" "$2" "$RTR_LAN_IP:5060" -i "$LAN_IP" -p 5060 -m 1 \
		-key user "$3" -key domain "$RTR_LAN_IP" -key expires 300 \
		-au "$3" -ap "$4" -auth_uri "$RTR_LAN_IP"
}

register before reg_uac.xml alice oldpw
register bob_before reg_uac.xml bob bobpw

printf '# user password\nalice newpw\n' >"$T_TMP/passwd"
kill -HUP "$SIPROXD_PID"
siproxd_log_wait 5 "proxy_auth_pwfile .*: 1 users" || t_fail "password file not re-read on SIGHUP"
siproxd_log_wait 5 "configuration reloaded" || t_fail "SIGHUP not completed"

register new_pw reg_uac.xml alice newpw
sipp_saw new_pw '^SIP/2.0 200 ' || t_fail "the new password was not accepted"
register old_pw reg_uac_forbidden.xml alice oldpw
sipp_saw old_pw '^SIP/2.0 403 ' || t_fail "the old password was not refused with 403"
register bob_gone reg_uac_forbidden.xml bob bobpw

# A password file that cannot be read keeps the passwords in force.
chmod 000 "$T_TMP/passwd"
mv "$T_TMP/passwd" "$T_TMP/passwd.moved"
kill -HUP "$SIPROXD_PID"
siproxd_log_wait 5 "password file .* not re-read; the old one stays" || t_fail "unreadable password file not reported"
register kept reg_uac.xml alice newpw
siproxd_sanitizer_clean
t_pass
