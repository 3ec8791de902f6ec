#!/usr/bin/env bash
# The daemon feeds what the transport receives into the SIP pipeline and sends its answers: an
# OPTIONS for the proxy from the LAN is answered 200. At SIGTERM the registrations are saved.
set -eu
. "$(dirname "$0")/lib.sh"

netns_topology
siproxd_conf <<EOF2
registration_file = $T_TMP/registrations
EOF2
siproxd_start
# stdin stays open a second longer so that nc is still there when the answer comes.
{
	printf 'OPTIONS sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:5060;rport;branch=z9hG4bKpipe1\r\nMax-Forwards: 70\r\n' \
		"$RTR_LAN_IP" "$LAN_IP"
	printf 'From: <sip:phone@%s>;tag=t1\r\nTo: <sip:%s>\r\nCall-ID: pipe-1@%s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n' \
		"$LAN_IP" "$RTR_LAN_IP" "$LAN_IP"
	sleep 1
} | ip netns exec "$NS_LAN" timeout 5 nc -u -w 2 "$RTR_LAN_IP" 5060 >"$T_TMP/reply" || true
cat "$T_TMP/reply" >&2
grep -q "^SIP/2.0 200" "$T_TMP/reply" || t_fail "no 200 answer to OPTIONS"
grep -q "pipe-1@$LAN_IP" "$T_TMP/reply" || t_fail "answer is not for our Call-ID"
siproxd_stop || t_fail "siproxd did not stop on SIGTERM"
[ -f "$T_TMP/registrations" ] || t_fail "registration file not written at exit"
siproxd_sanitizer_clean
t_pass
