/* Tests of sip_media: the SIP pipeline with a fake transport driving a real RTP relay on loopback addresses. */
#include "build_config.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "event_loop.h"
#include "registrar.h"
#include "rtp_relay.h"
#include "sip_media.h"
#include "sip_pipeline.h"
#include "unit_run.h"

#define NOW 1000000
#define LAN "127.0.0.21"          /* inbound */
#define WAN "127.0.0.22"          /* outbound */
#define PUBLIC "203.0.113.9"
#define PHONE "127.0.0.31"
#define PHONE_B "127.0.0.32"
#define PROVIDER "198.51.100.7"
#define PORT_LOW 46600            /* test_rtp_relay uses 46100-46199 and 46300-46501 */
#define PORT_HIGH 46619
#define MAX_SENT 16

struct sent {
	char to[64];                  /* "a.b.c.d:port" */
	char *text;
};

static struct config cfg;
static struct event_loop *el;
static struct rtp_relay *relay;
static struct registrar *reg;
static struct sip_pipeline *pipe_;
static struct sent sent[MAX_SENT];
static size_t nsent;
static const char *fail_to;       /* "a.b.c.d:port" a send to fails at once; NULL: none */

static int fake_send(void *ud, const struct sip_peer *to, const char *buf, size_t len, sip_sent_fn done,
		     void *done_ud)
{
	char a[INET_ADDRSTRLEN];

	(void)ud;
	(void)done;
	(void)done_ud;
	ck_assert_uint_lt(nsent, MAX_SENT);
	inet_ntop(AF_INET, &to->addr.sin_addr, a, sizeof(a));
	snprintf(sent[nsent].to, sizeof(sent[nsent].to), "%s:%u", a, ntohs(to->addr.sin_port));
	if (fail_to && strcmp(fail_to, sent[nsent].to) == 0)
		return -1;
	sent[nsent].text = strndup(buf, len);
	nsent++;
	return 0;
}

static int64_t fake_now(void *ud)
{
	(void)ud;
	return NOW;
}

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void clear_sent(void)
{
	for (size_t i = 0; i < nsent; i++)
		free(sent[i].text);
	nsent = 0;
}

static void start(int port_low, int port_high)
{
	struct rtp_relay_addrs addrs = { .inbound = ip(LAN), .outbound = ip(WAN), .public_addr = ip(PUBLIC) };
	struct sip_pipeline_ctx ctx = { 0 };
	struct sockaddr_in src = { .sin_family = AF_INET, .sin_port = htons(5062), .sin_addr = ip(PHONE_B) };

	memset(&cfg, 0, sizeof(cfg));
	cfg.sip_listen_port = 5060;
	cfg.default_expires = 3600;
	cfg.max_registrations = 8;
	cfg.rtp_proxy_enable = 1;
	cfg.rtp_port_low = port_low;
	cfg.rtp_port_high = port_high;
	cfg.rtp_timeout = 300;
	cfg.rtp_hold_timeout = 3600;
	el = el_create();
	ck_assert_ptr_nonnull(el);
	relay = rtp_relay_create(el, &cfg, &addrs);
	ck_assert_ptr_nonnull(relay);
	reg = reg_create(8);
	ck_assert_ptr_nonnull(reg);
	reg_set_clock(reg, fake_now, NULL);
	/* phone B, for calls from the WAN */
	ck_assert_ptr_nonnull(reg_bind(reg, "sip:bob@" PROVIDER, "sip:bob@" PHONE_B ":5062", "sip:bob@" PUBLIC ":5060",
				       &src, 0, NOW + 600, true));
	ctx.cfg = &cfg;
	ctx.reg = reg;
	ctx.send = fake_send;
	ctx.now = fake_now;
	ctx.inbound = ip(LAN);
	ctx.outbound = ip(WAN);
	ctx.public_addr = ip(PUBLIC);
	ctx.sdp_rewrite = sipmedia_relay;
	ctx.sdp_ud = relay;
	pipe_ = sip_pipeline_create(&ctx);
	ck_assert_ptr_nonnull(pipe_);
}

static void setup(void)
{
	start(PORT_LOW, PORT_HIGH);
}

static void teardown(void)
{
	fail_to = NULL;
	clear_sent();
	sip_pipeline_destroy(pipe_);
	rtp_relay_destroy(relay);
	reg_destroy(reg);
	el_destroy(el);
}

/* Feeds text (LF header lines; the body after the empty line as it is) from src "ip:port" arriving on local. */
static void input(const char *src, const char *local, const char *text)
{
	char buf[4096], host[32];
	const char *body = strstr(text, "\n\n");
	size_t len = 0, head = body ? (size_t)(body - text) + 2 : strlen(text);
	unsigned port;
	struct sip_peer from = { .proto = SIP_PROTO_UDP };

	ck_assert(sscanf(src, "%31[^:]:%u", host, &port) == 2);
	from.addr.sin_family = AF_INET;
	from.addr.sin_addr = ip(host);
	from.addr.sin_port = htons((uint16_t)port);
	from.local = ip(local);
	for (size_t i = 0; i < head; i++) {
		if (text[i] == '\n')
			buf[len++] = '\r';
		buf[len++] = text[i];
		ck_assert_uint_lt(len, sizeof(buf) - 8);
	}
	if (body) {
		ck_assert_uint_lt(len + strlen(body + 2), sizeof(buf));
		memcpy(buf + len, body + 2, strlen(body + 2));
		len += strlen(body + 2);
	} else {
		memcpy(buf + len, "\r\n", 2);
		len += 2;
	}
	buf[len] = '\0';
	sip_pipeline_input(pipe_, buf, len, &from);
}

static char *sdp(const char *addr, unsigned port, const char *extra)
{
	static char b[512];
	char body[400];
	int n = snprintf(body, sizeof(body),
			 "v=0\r\no=x 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %u RTP/AVP 8\r\n%s", addr,
			 addr, port, extra);

	snprintf(b, sizeof(b), "Content-Type: application/sdp\nContent-Length: %d\n\n%s", n, body);
	return b;
}

/* An INVITE (or re-INVITE with to_tag) from the LAN phone toward the provider. */
static void phone_invite(const char *call_id, const char *to_tag, int cseq, const char *media_addr, unsigned port,
			 const char *extra)
{
	char m[2048];

	snprintf(m, sizeof(m),
		 "INVITE sip:carol@" PROVIDER " SIP/2.0\n"
		 "Via: SIP/2.0/UDP " PHONE ":5062;branch=z9hG4bKa%d%s\n"
		 "Max-Forwards: 70\n"
		 "From: <sip:alice@" PROVIDER ">;tag=fa\n"
		 "To: <sip:carol@" PROVIDER ">%s%s\n"
		 "Call-ID: %s\n"
		 "CSeq: %d INVITE\n"
		 "Contact: <sip:alice@" PHONE ":5062>\n"
		 "%s",
		 cseq, call_id, to_tag ? ";tag=" : "", to_tag ? to_tag : "", call_id, cseq,
		 media_addr ? sdp(media_addr, port, extra) : "Content-Length: 0\n");
	input(PHONE ":5062", LAN, m);
}

/* The last message sent; its first line must start with head. */
static const char *last_sent(const char *to, const char *head)
{
	ck_assert_uint_gt(nsent, 0);
	ck_assert_msg(strcmp(sent[nsent - 1].to, to) == 0, "sent to %s, not %s", sent[nsent - 1].to, to);
	ck_assert_msg(strncmp(sent[nsent - 1].text, head, strlen(head)) == 0, "sent %.40s, not %s",
		      sent[nsent - 1].text, head);
	return sent[nsent - 1].text;
}

/* A response to the request req as it was sent: its Via lines, From, To (tag added), Call-ID, CSeq. */
static void respond(const char *req, const char *from_src, const char *local, int code, const char *to_tag,
		    const char *body)
{
	char m[4096];
	size_t len = (size_t)snprintf(m, sizeof(m), "SIP/2.0 %d X\n", code);
	const char *line = req;

	while (line && *line && !(line[0] == '\r' && line[1] == '\n')) {
		const char *end = strstr(line, "\r\n");
		size_t n = (size_t)(end - line);

		if (!strncmp(line, "Via:", 4) || !strncmp(line, "From:", 5) || !strncmp(line, "Call-ID:", 8) ||
		    !strncmp(line, "CSeq:", 5))
			len += (size_t)snprintf(m + len, sizeof(m) - len, "%.*s\n", (int)n, line);
		else if (!strncmp(line, "To:", 3))
			len += (size_t)snprintf(m + len, sizeof(m) - len, "%.*s%s%s\n", (int)n, line,
						strstr(line, "tag=") || !to_tag ? "" : ";tag=",
						strstr(line, "tag=") || !to_tag ? "" : to_tag);
		line = end + 2;
	}
	snprintf(m + len, sizeof(m) - len, "%s", body ? body : "Content-Length: 0\n");
	input(from_src, local, m);
}

/* The port of the first m= line and whether c= names addr. */
static unsigned sdp_port(const char *msg, const char *addr)
{
	char c[64];
	const char *m = strstr(msg, "\r\nm=audio ");

	snprintf(c, sizeof(c), "c=IN IP4 %s\r\n", addr);
	ck_assert_msg(strstr(msg, c) != NULL, "no %s in\n%s", c, msg);
	ck_assert_ptr_nonnull(m);
	return (unsigned)atoi(m + 10);
}

/* Content-Length matches the body. */
static void check_length(const char *msg)
{
	const char *cl = strstr(msg, "Content-Length: "), *body = strstr(msg, "\r\n\r\n");

	ck_assert_ptr_nonnull(cl);
	ck_assert_ptr_nonnull(body);
	ck_assert_uint_eq((size_t)atoi(cl + 16), strlen(body + 4));
}

/* An outgoing call up to its 200: returns the forwarded INVITE (to free). */
static char *call_up(const char *call_id)
{
	char *inv;
	const char *ok;
	struct rtp_session_info info;
	unsigned wan_port, lan_port;

	phone_invite(call_id, NULL, 1, "10.77.0.5", 4000, "");
	inv = strdup(last_sent(PROVIDER ":5060", "INVITE "));
	ck_assert_msg(strstr(inv, "10.77.") == NULL, "LAN media address toward the WAN:\n%s", inv);
	wan_port = sdp_port(inv, PUBLIC);
	check_length(inv);
	respond(inv, PROVIDER ":5060", WAN, 200, "tc", sdp(PROVIDER, 5000, ""));
	ok = last_sent(PHONE ":5062", "SIP/2.0 200");
	lan_port = sdp_port(ok, LAN);
	ck_assert(strstr(ok, PROVIDER) == NULL || strstr(ok, "c=IN IP4 " PROVIDER) == NULL);
	check_length(ok);
	ck_assert_int_eq(rtp_relay_session_info(relay, call_id, "fa/L", 0, &info), 0);
	ck_assert_uint_eq(info.wan_port, wan_port);
	ck_assert_uint_eq(info.port, lan_port);
	ck_assert(lan_port >= PORT_LOW && lan_port <= PORT_HIGH);
	return inv;
}

/* A request from the phone inside the dialog (To-tag tc). */
static void phone_request(const char *method, const char *call_id, int cseq)
{
	char m[1024];

	snprintf(m, sizeof(m),
		 "%s sip:carol@" PROVIDER " SIP/2.0\n"
		 "Via: SIP/2.0/UDP " PHONE ":5062;branch=z9hG4bK%s%d\n"
		 "Max-Forwards: 70\n"
		 "From: <sip:alice@" PROVIDER ">;tag=fa\n"
		 "To: <sip:carol@" PROVIDER ">%s\n"
		 "Call-ID: %s\n"
		 "CSeq: %d %s\n"
		 "Content-Length: 0\n",
		 method, method, cseq, strcmp(method, "CANCEL") ? ";tag=tc" : "", call_id, cseq, method);
	input(PHONE ":5062", LAN, m);
}

START_TEST(test_outgoing_call_and_bye)
{
	char *inv = call_up("c1@callhost");

	ck_assert_uint_eq(rtp_relay_session_count(relay), 1);
	phone_request("BYE", "c1@callhost", 2);
	ck_assert_uint_eq(rtp_relay_session_count(relay), 1);     /* until its answer */
	respond(last_sent(PROVIDER ":5060", "BYE "), PROVIDER ":5060", WAN, 200, NULL, NULL);
	last_sent(PHONE ":5062", "SIP/2.0 200");
	ck_assert_uint_eq(rtp_relay_session_count(relay), 0);
	free(inv);
}
END_TEST

/* The Call-ID names the phone: hidden toward the WAN, yet both directions find the same streams. */
START_TEST(test_hidden_call_id)
{
	char *inv = call_up("c2@" PHONE);

	ck_assert(strstr(inv, "Call-ID: c2-lan") != NULL);
	ck_assert_uint_eq(rtp_relay_session_count(relay), 1);
	free(inv);
}
END_TEST

START_TEST(test_rejected_reinvite_keeps_media)
{
	char *inv = call_up("c3@callhost");
	struct rtp_session_info before, after;

	ck_assert_int_eq(rtp_relay_session_info(relay, "c3@callhost", "fa/L", 0, &before), 0);
	phone_invite("c3@callhost", "tc", 2, "10.77.0.6", 4100, "");
	respond(last_sent(PROVIDER ":5060", "INVITE "), PROVIDER ":5060", WAN, 491, NULL, NULL);
	last_sent(PHONE ":5062", "SIP/2.0 491");
	ck_assert_int_eq(rtp_relay_session_info(relay, "c3@callhost", "fa/L", 0, &after), 0);
	ck_assert_uint_eq(before.port, after.port);
	ck_assert_uint_eq(before.wan_port, after.wan_port);
	free(inv);
}
END_TEST

START_TEST(test_hold_preserved)
{
	char *inv = call_up("c4@callhost");
	const char *fwd;

	phone_invite("c4@callhost", "tc", 2, "0.0.0.0", 4000, "a=sendonly\r\n");
	fwd = last_sent(PROVIDER ":5060", "INVITE ");
	ck_assert_msg(strstr(fwd, "c=IN IP4 0.0.0.0\r\n") != NULL, "hold lost:\n%s", fwd);
	check_length(fwd);
	ck_assert_uint_eq(rtp_relay_session_count(relay), 1);
	free(inv);
}
END_TEST

START_TEST(test_cancel_ends)
{
	phone_invite("c5@callhost", NULL, 1, "10.77.0.5", 4000, "");
	last_sent(PROVIDER ":5060", "INVITE ");
	ck_assert_uint_eq(rtp_relay_session_count(relay), 1);
	phone_request("CANCEL", "c5@callhost", 1);
	last_sent(PROVIDER ":5060", "CANCEL ");
	ck_assert_uint_eq(rtp_relay_session_count(relay), 0);
}
END_TEST

/* A CANCEL crossing the 200 does not end the answered call's media. */
START_TEST(test_cancel_after_answer_keeps)
{
	char *inv = call_up("c11@callhost");

	phone_request("CANCEL", "c11@callhost", 1);
	ck_assert_uint_eq(rtp_relay_session_count(relay), 1);
	free(inv);
}
END_TEST

START_TEST(test_initial_invite_rejected_ends)
{
	phone_invite("c6@callhost", NULL, 1, "10.77.0.5", 4000, "");
	respond(last_sent(PROVIDER ":5060", "INVITE "), PROVIDER ":5060", WAN, 486, "tc", NULL);
	last_sent(PHONE ":5062", "SIP/2.0 486");
	ck_assert_uint_eq(rtp_relay_session_count(relay), 0);
}
END_TEST

START_TEST(test_unusable_sdp_488)
{
	char m[1024];
	const char *body = "v=0\r\no=x 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\n";

	snprintf(m, sizeof(m),
		 "INVITE sip:carol@" PROVIDER " SIP/2.0\nVia: SIP/2.0/UDP " PHONE ":5062;branch=z9hG4bKv6\n"
		 "Max-Forwards: 70\nFrom: <sip:alice@" PROVIDER ">;tag=fa\nTo: <sip:carol@" PROVIDER ">\n"
		 "Call-ID: c7@callhost\nCSeq: 1 INVITE\nContent-Type: application/sdp\nContent-Length: %zu\n\n%s",
		 strlen(body), body);
	input(PHONE ":5062", LAN, m);
	ck_assert_uint_eq(nsent, 1);
	ck_assert(strstr(last_sent(PHONE ":5062", "SIP/2.0 488"), "Call-ID: c7@callhost") != NULL);
	ck_assert_uint_eq(rtp_relay_session_count(relay), 0);
}
END_TEST

/* An answer that cannot be relayed is dropped, not forwarded with an address nobody reaches. */
START_TEST(test_unusable_answer_dropped)
{
	const char *v6 = "Content-Type: application/sdp\nContent-Length: 75\n\n"
			 "v=0\r\no=x 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 8\r\n";
	size_t before;

	phone_invite("c10@callhost", NULL, 1, "10.77.0.5", 4000, "");
	before = nsent;
	ck_assert_uint_eq(rtp_relay_session_count(relay), 1);
	respond(last_sent(PROVIDER ":5060", "INVITE "), PROVIDER ":5060", WAN, 200, "tc", v6);
	ck_assert_uint_eq(nsent, before);
	ck_assert_uint_eq(rtp_relay_session_count(relay), 0);    /* the offer is void */
}
END_TEST

START_TEST(test_pool_exhausted_503)
{
	teardown();
	start(46620, 46621);      /* one port pair */
	phone_invite("c8@callhost", NULL, 1, "10.77.0.5", 4000, "");
	last_sent(PROVIDER ":5060", "INVITE ");
	clear_sent();
	phone_invite("c9@" PHONE, NULL, 1, "10.77.0.5", 4002, "");
	ck_assert_uint_eq(nsent, 1);    /* nothing forwarded */
	/* the phone sees its own Call-ID, not the hidden one */
	ck_assert(strstr(last_sent(PHONE ":5062", "SIP/2.0 503"), "Call-ID: c9@" PHONE "\r\n") != NULL);
	ck_assert_uint_eq(rtp_relay_session_count(relay), 1);
}
END_TEST

/* The next hop is a name and there is no resolver: the 503 ends the streams the relay took at once. */
static void unresolvable_case(const char *call_id)
{
	char m[2048];

	snprintf(m, sizeof(m),
		 "INVITE sip:carol@nowhere.invalid SIP/2.0\n"
		 "Via: SIP/2.0/UDP " PHONE ":5062;branch=z9hG4bKnx1\n"
		 "Max-Forwards: 70\n"
		 "From: <sip:alice@" PROVIDER ">;tag=fa\n"
		 "To: <sip:carol@nowhere.invalid>\n"
		 "Call-ID: %s\n"
		 "CSeq: 1 INVITE\n"
		 "Contact: <sip:alice@" PHONE ":5062>\n"
		 "%s",
		 call_id, sdp("10.77.0.5", 4000, ""));
	input(PHONE ":5062", LAN, m);
	ck_assert_uint_eq(nsent, 1);
	last_sent(PHONE ":5062", "SIP/2.0 503");
	ck_assert_uint_eq(rtp_relay_session_count(relay), 0);
}

START_TEST(test_unresolvable_503_ends) { unresolvable_case("nx@callhost"); }
END_TEST

/* The same with a Call-ID that names the phone, hidden toward the WAN. */
START_TEST(test_unresolvable_503_ends_hidden_call_id) { unresolvable_case("nx@" PHONE); }
END_TEST

/* A call from the WAN to phone B: the INVITE reaches the LAN with our inbound address. */
static char *incoming_invite(const char *call_id, const char *from_tag, const char *src)
{
	char m[2048];

	snprintf(m, sizeof(m),
		 "INVITE sip:bob@" PUBLIC ":5060 SIP/2.0\n"
		 "Via: SIP/2.0/UDP %s;branch=z9hG4bKin%s\n"
		 "Max-Forwards: 70\n"
		 "From: <sip:dave@" PROVIDER ">;tag=%s\n"
		 "To: <sip:bob@" PROVIDER ">\n"
		 "Call-ID: %s\n"
		 "CSeq: 1 INVITE\n"
		 "Contact: <sip:dave@%s>\n"
		 "%s",
		 src, from_tag, from_tag, call_id, src, sdp(PROVIDER, 6000, ""));
	input(src, WAN, m);
	return strdup(last_sent(PHONE_B ":5062", "INVITE "));
}

START_TEST(test_incoming_call)
{
	char *inv = incoming_invite("in1@" PROVIDER, "fd", PROVIDER ":5060");
	const char *ok;
	struct rtp_session_info info;
	unsigned lan_port = sdp_port(inv, LAN);

	respond(inv, PHONE_B ":5062", LAN, 200, "tb", sdp("10.77.0.9", 4010, ""));
	ok = last_sent(PROVIDER ":5060", "SIP/2.0 200");
	ck_assert(strstr(ok, "10.77.") == NULL);
	ck_assert_int_eq(rtp_relay_session_info(relay, "in1@" PROVIDER, "fd/W", 0, &info), 0);
	ck_assert_uint_eq(info.port, lan_port);
	ck_assert_uint_eq(info.wan_port, sdp_port(ok, PUBLIC));
	/* the callee hangs up: its BYE names the caller in To */
	input(PHONE_B ":5062", LAN,
	      "BYE sip:dave@" PROVIDER " SIP/2.0\nVia: SIP/2.0/UDP " PHONE_B ":5062;branch=z9hG4bKbye\n"
	      "Max-Forwards: 70\nFrom: <sip:bob@" PROVIDER ">;tag=tb\nTo: <sip:dave@" PROVIDER ">;tag=fd\n"
	      "Call-ID: in1@" PROVIDER "\nCSeq: 5 BYE\nContent-Length: 0\n");
	respond(last_sent(PROVIDER ":5060", "BYE "), PROVIDER ":5060", WAN, 200, NULL, NULL);
	ck_assert_uint_eq(rtp_relay_session_count(relay), 0);
	free(inv);
}
END_TEST

/*
 * The hairpin's second leg arrives from the WAN with the hidden Call-ID, and phone B cannot be
 * reached: the 503 ends the streams the relay opened under the phone's Call-ID at once.
 */
START_TEST(test_send_to_phone_fails_hidden_call_id)
{
	char *out = call_up("hf@" PHONE), *hidden, m[2048];
	const char *cid = strstr(out, "Call-ID: ");

	hidden = strndup(cid + 9, strcspn(cid + 9, "\r"));
	ck_assert_msg(strstr(hidden, PHONE) == NULL, "not hidden: %s", hidden);
	fail_to = PHONE_B ":5062";
	snprintf(m, sizeof(m),
		 "INVITE sip:bob@" PUBLIC ":5060 SIP/2.0\nVia: SIP/2.0/UDP " PROVIDER ":5060;branch=z9hG4bKhf\n"
		 "Max-Forwards: 70\nFrom: <sip:dave@" PROVIDER ">;tag=fa\nTo: <sip:bob@" PROVIDER ">\nCall-ID: %s\n"
		 "CSeq: 1 INVITE\nContact: <sip:dave@" PROVIDER ":5060>\n%s",
		 hidden, sdp(PROVIDER, 6000, ""));
	input(PROVIDER ":5060", WAN, m);
	ck_assert(strstr(last_sent(PROVIDER ":5060", "SIP/2.0 503"), hidden) != NULL);
	ck_assert(!rtp_relay_has_call(relay, "hf@" PHONE, "fa/W"));
	ck_assert(rtp_relay_has_call(relay, "hf@" PHONE, "fa/L"));   /* the first leg stays */
	ck_assert_uint_eq(rtp_relay_session_count(relay), 1);
	free(hidden);
	free(out);
}
END_TEST

/* LAN phone -> provider -> back to another LAN phone: one Call-ID, two legs, two sessions. */
START_TEST(test_hairpin_two_legs)
{
	char *out = call_up("hp@" PHONE), *back, *hidden, *in;
	const char *cid;

	cid = strstr(out, "Call-ID: ");
	hidden = strndup(cid + 9, strcspn(cid + 9, "\r"));
	in = incoming_invite(hidden, "fa", PROVIDER ":5060");
	back = strstr(in, "Call-ID: hp@" PHONE "\r\n");
	ck_assert_msg(back != NULL, "Call-ID not restored:\n%s", in);
	ck_assert_uint_eq(rtp_relay_session_count(relay), 2);
	ck_assert(rtp_relay_has_call(relay, "hp@" PHONE, "fa/L"));
	ck_assert(rtp_relay_has_call(relay, "hp@" PHONE, "fa/W"));
	free(hidden);
	free(in);
	free(out);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sip_media");
	TCase *tc = tcase_create("pipeline");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_outgoing_call_and_bye);
	tcase_add_test(tc, test_hidden_call_id);
	tcase_add_test(tc, test_rejected_reinvite_keeps_media);
	tcase_add_test(tc, test_hold_preserved);
	tcase_add_test(tc, test_cancel_ends);
	tcase_add_test(tc, test_cancel_after_answer_keeps);
	tcase_add_test(tc, test_initial_invite_rejected_ends);
	tcase_add_test(tc, test_unusable_sdp_488);
	tcase_add_test(tc, test_unusable_answer_dropped);
	tcase_add_test(tc, test_pool_exhausted_503);
	tcase_add_test(tc, test_unresolvable_503_ends);
	tcase_add_test(tc, test_unresolvable_503_ends_hidden_call_id);
	tcase_add_test(tc, test_incoming_call);
	tcase_add_test(tc, test_hairpin_two_legs);
	tcase_add_test(tc, test_send_to_phone_fails_hidden_call_id);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
