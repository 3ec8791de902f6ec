#!/usr/bin/env bash
# A phone on the LAN registers with a provider on the WAN through siproxd and then receives a
# call: the provider sees exactly one Via (siproxd's) and no LAN address in any message; the
# phone sees its own Via and Contact back, and the call reaches it at its registered contact.
set -eu
. "$(dirname "$0")/lib.sh"

netns_topology
siproxd_conf </dev/null
siproxd_start

# The provider: answers the REGISTER, then calls the public contact it was given.
cat >"$T_TMP/provider.py" <<'PY'
import socket, sys
RTR_WAN, LAN_NET = sys.argv[1], "10.77.1."
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5060)); s.settimeout(10)
def check(msg, what):
    if LAN_NET in msg: sys.exit("provider: LAN address in " + what + ":\n" + msg)
    vias = [l for l in msg.split("\r\n") if l.lower().startswith("via:")]
    if what.startswith("REGISTER") and len(vias) != 1: sys.exit("provider: %d Vias in %s" % (len(vias), what))
def header(msg, name):
    return [l for l in msg.split("\r\n") if l.lower().startswith(name.lower() + ":")][0].split(":", 1)[1].strip()
reg, peer = s.recvfrom(65535); reg = reg.decode()
check(reg, "REGISTER")
contact = header(reg, "Contact")
s.sendto(("SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\nTo: %s;tag=prov\r\nCall-ID: %s\r\nCSeq: %s\r\n"
          "Contact: %s;expires=300\r\nContent-Length: 0\r\n\r\n" % (header(reg, "Via"), header(reg, "From"),
          header(reg, "To"), header(reg, "Call-ID"), header(reg, "CSeq"), contact)).encode(), peer)
uri = contact.strip("<>")
s.sendto(("INVITE %s SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bKprov1;rport\r\n"
          "Max-Forwards: 70\r\nFrom: <sip:bob@198.51.100.2>;tag=b1\r\nTo: <sip:alice@198.51.100.2>\r\n"
          "Call-ID: call-1\r\nCSeq: 1 INVITE\r\nContact: <sip:bob@198.51.100.2:5060>\r\nContent-Length: 0\r\n\r\n"
          % uri).encode(), (RTR_WAN, 5060))
ok, _ = s.recvfrom(65535); ok = ok.decode()
if not ok.startswith("SIP/2.0 200"): sys.exit("provider: expected 200 to INVITE:\n" + ok)
check(ok, "200 to INVITE")
if header(ok, "Contact") != contact: sys.exit("provider: Contact %s, registered %s" % (header(ok, "Contact"), contact))
print("provider: ok")
PY

# The phone: registers, then answers the call.
cat >"$T_TMP/phone.py" <<'PY'
import socket, sys
RTR_LAN = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.1.2", 5062)); s.settimeout(10)
s.sendto(("REGISTER sip:198.51.100.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.77.1.2:5062;branch=z9hG4bKph1;rport\r\n"
          "Max-Forwards: 70\r\nFrom: <sip:alice@198.51.100.2>;tag=a1\r\nTo: <sip:alice@198.51.100.2>\r\n"
          "Call-ID: reg-1@10.77.1.2\r\nCSeq: 1 REGISTER\r\nContact: <sip:alice@10.77.1.2:5062>\r\n"
          "Content-Length: 0\r\n\r\n").encode(), (RTR_LAN, 5060))
ok, _ = s.recvfrom(65535); ok = ok.decode()
if not ok.startswith("SIP/2.0 200") or "branch=z9hG4bKph1" not in ok or "<sip:alice@10.77.1.2:5062>" not in ok \
   or "reg-1@10.77.1.2" not in ok:
    sys.exit("phone: unexpected answer to REGISTER:\n" + ok)
inv, peer = s.recvfrom(65535); inv = inv.decode()
if not inv.startswith("INVITE sip:alice@10.77.1.2:5062 SIP/2.0"): sys.exit("phone: unexpected:\n" + inv)
lines = inv.split("\r\n")
keep = [l for l in lines if l.split(":")[0].lower() in ("via", "from", "to", "call-id", "cseq", "record-route")]
s.sendto(("SIP/2.0 200 OK\r\n" + "\r\n".join(l + (";tag=a2" if l.lower().startswith("to:") else "") for l in keep) +
          "\r\nContact: <sip:alice@10.77.1.2:5062>\r\nContent-Length: 0\r\n\r\n").encode(), peer)
print("phone: ok")
PY

t_bg ip netns exec "$NS_WAN" python3 "$T_TMP/provider.py" "$RTR_WAN_IP"
provider=$T_LAST_PID
sleep 0.3
ip netns exec "$NS_LAN" timeout 20 python3 "$T_TMP/phone.py" "$RTR_LAN_IP" || t_fail "the phone's side failed"
wait "$provider" || t_fail "the provider's side failed"
siproxd_stop || t_fail "siproxd did not stop on SIGTERM"
siproxd_sanitizer_clean
t_pass
