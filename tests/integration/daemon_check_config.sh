#!/usr/bin/env bash
# siproxd -t: a good config prints the effective configuration and exits 0; a bad one names every
# error with file:line and exits 1. Also -h, -V and a bad -d pattern.
set -eu
. "$(dirname "$0")/lib.sh"

siproxd_conf </dev/null
good="$T_TMP/siproxd.conf"
out=$("$SIPROXD" -t -c "$good" 2>"$T_TMP/err") || t_fail "-t on a good config exited $?: $(cat "$T_TMP/err")"
grep -q "if_inbound" <<<"$out" || t_fail "-t did not print the configuration"
grep -q "lan0" <<<"$out" || t_fail "-t output lacks the configured if_inbound"

# Line 10 and 11 (after the 8 lines siproxd_conf writes and one comment) are wrong.
{
	cat "$good"
	echo "# two faults follow"
	echo "sip_listen_port = banana"
	echo "hosts_allow_sip = 10.0.0.0/33"
} >"$T_TMP/bad.conf"
set +e
"$SIPROXD" -t -c "$T_TMP/bad.conf" >"$T_TMP/bad.out" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || t_fail "-t on a bad config exited $rc, expected 1"
grep -q "bad.conf:10" "$T_TMP/bad.out" || t_fail "no bad.conf:10 in: $(cat "$T_TMP/bad.out")"
grep -q "bad.conf:11" "$T_TMP/bad.out" || t_fail "not every error reported (bad.conf:11 missing): $(cat "$T_TMP/bad.out")"

# A config path longer than the classic 63 characters is used as given.
long="$T_TMP/a-directory-name-that-is-long-enough-to-break-the-classic-64-byte-buffer"
mkdir -p "$long"
cp "$good" "$long/siproxd.conf"
"$SIPROXD" -t -c "$long/siproxd.conf" >/dev/null 2>&1 || t_fail "-t with a long -c path failed"

"$SIPROXD" -h >"$T_TMP/help" 2>/dev/null || t_fail "-h did not exit 0"
grep -q -- "--check-config" "$T_TMP/help" || t_fail "-h usage not on stdout"
"$SIPROXD" -V | grep -q "siproxd" || t_fail "-V printed no version"
if "$SIPROXD" -t -d banana -c "$good" >/dev/null 2>&1; then t_fail "-d banana accepted"; fi
"$SIPROXD" -t -d 0x20 -c "$good" >/dev/null 2>&1 || t_fail "-d 0x20 (hex) refused"
"$SIPROXD" -t -d -1 -c "$good" >/dev/null 2>&1 || t_fail "-d -1 refused"
t_pass
