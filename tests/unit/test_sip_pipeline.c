/* Unit tests of the pipeline's parts: raw checks, the Via stash, Max-Forwards, and the digest authentication flows. */
#include "build_config.h"

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "digest_auth.h"
#include "dns.h"
#include "event_loop.h"
#include "registrar.h"
#include "sip_checks.h"
#include "sip_message.h"
#include "sip_pipeline.h"
#include "via_stash.h"
#include "unit_run.h"

START_TEST(test_raw_keepalives_and_junk)
{
	const char *why = NULL;

	ck_assert_int_eq(sipchk_raw("\r\n\r\n", 4, &why), SIPCHK_RAW_KEEPALIVE);
	ck_assert_int_eq(sipchk_raw("\r\n", 2, &why), SIPCHK_RAW_KEEPALIVE);
	ck_assert_int_eq(sipchk_raw("\0\0\0\0", 4, &why), SIPCHK_RAW_KEEPALIVE);
	ck_assert_int_eq(sipchk_raw("INVITE x", 8, &why), SIPCHK_RAW_BAD);
	ck_assert_int_eq(sipchk_raw("INVITE  SIP/2.0\r\nVia: x\r\n\r\n", 27, &why), SIPCHK_RAW_BAD);
	ck_assert_int_eq(sipchk_raw("OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n", 35, &why), SIPCHK_RAW_OK);
	ck_assert_int_eq(sipchk_raw("SIP/2.0 200 OK fine\r\nVia: x\r\n\r\n", 31, &why), SIPCHK_RAW_OK);
	ck_assert_int_eq(sipchk_raw("SIP/2.0 200 \r\nVia: x\r\nX: y\r\n\r\n", 30, &why), SIPCHK_RAW_OK);
	ck_assert_int_eq(sipchk_raw("SIP/2.0 200\r\nVia: x\r\nX: yz\r\n\r\n", 30, &why), SIPCHK_RAW_OK);
	ck_assert_int_eq(sipchk_raw("SIP/2.0  200 OK\r\nVia: x\r\nX: \r\n\r\n", 32, &why), SIPCHK_RAW_BAD);
	ck_assert_int_eq(sipchk_raw("OPTIONS sip:a@b \r\nVia: x\r\nX: yz\r\n\r\n", 35, &why), SIPCHK_RAW_BAD);
}
END_TEST

/* libosip2 leaks a body part's first Content-Type when the part has a second one: refused raw. */
START_TEST(test_raw_part_with_two_content_types)
{
	static const char head[] = "INVITE sip:a@b SIP/2.0\r\nVia: x\r\n"
				   "Content-Type: multipart/mixed;boundary=xyz\r\n\r\n";
	static const char two[] = "--xyz\r\nContent-Type: application/sdp\r\ncontent-type: text/plain\r\n\r\n"
				  "v=0\r\n--xyz--\r\n";
	static const char two_prefix[] = "--xyz\r\nContent-Type: application/sdp\r\nContent-Type8 x:y\r\n\r\n"
					 "v=0\r\n--xyz--\r\n";
	static const char one[] = "--xyz\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n"
				  "--xyz\r\nContent-Type: text/plain\r\n\r\nContent-Type: not a header here\r\n--xyz--\r\n";
	char buf[512];
	const char *why = NULL;
	int n;

	n = snprintf(buf, sizeof(buf), "%s%s", head, two);
	ck_assert_int_eq(sipchk_raw(buf, (size_t)n, &why), SIPCHK_RAW_BAD);
	ck_assert_str_eq(why, "a body part with two Content-Type headers");
	n = snprintf(buf, sizeof(buf), "%s%s", head, two_prefix);
	ck_assert_int_eq(sipchk_raw(buf, (size_t)n, &why), SIPCHK_RAW_BAD);
	n = snprintf(buf, sizeof(buf), "%s%s", head, one);
	ck_assert_int_eq(sipchk_raw(buf, (size_t)n, &why), SIPCHK_RAW_OK);
	/* libosip2 also ends the header at a CRLF then a lone CR: no CRLFCRLF before the part. */
	n = snprintf(buf, sizeof(buf), "INVITE sip:a@b SIP/2.0\r\nVia: x\r\n"
		     "Content-Type: multipart/mixed;boundary=xyz\r\n\r]\n%s", two);
	ck_assert_int_eq(sipchk_raw(buf, (size_t)n, &why), SIPCHK_RAW_BAD);
	/* A lone CR ends the boundary parameter (libosip2 ends the header line there). */
	n = snprintf(buf, sizeof(buf), "INVITE sip:a@b SIP/2.0\r\nVia: x\r\n"
		     "Content-Type: multipart/mixed;boundary=xyz\r\x08X: y\r\n\r\n%s", two);
	ck_assert_int_eq(sipchk_raw(buf, (size_t)n, &why), SIPCHK_RAW_BAD);
	/* ... and a part's header lines at a lone CR. */
	n = snprintf(buf, sizeof(buf), "%s--xyz\r\nContent-Type: a/b\rContent-Type: c/d\r\n\r\nx\r\n--xyz--\r\n", head);
	ck_assert_int_eq(sipchk_raw(buf, (size_t)n, &why), SIPCHK_RAW_BAD);
	/* a DEL inside a part's Content-Type: libosip2 leaks the half-parsed header (fuzz finding) */
	static const char ctl[] = "--xyz\r\nContent-Type: applicati\x7fn/sdp\r\n\r\nv=0\r\n--xyz--\r\n";
	n = snprintf(buf, sizeof(buf), "%s%s", head, ctl);
	ck_assert_int_eq(sipchk_raw(buf, (size_t)n, &why), SIPCHK_RAW_BAD);
	ck_assert_str_eq(why, "a control character in a body part's header");
	/* the same part behind a spaced, quoted boundary parameter is found too */
	static const char head_spaced[] = "INVITE sip:a@b SIP/2.0\r\nVia: x\r\n"
					  "Content-Type: multipart/mixed; boundary = \"xyz\"\r\n\r\n";
	n = snprintf(buf, sizeof(buf), "%s%s", head_spaced, ctl);
	ck_assert_int_eq(sipchk_raw(buf, (size_t)n, &why), SIPCHK_RAW_BAD);
	/* a plain-text MESSAGE whose signature starts with "-- " has no body parts */
	static const char text[] = "MESSAGE sip:a@b SIP/2.0\r\nVia: x\r\nContent-Type: text/plain\r\n\r\n"
				   "see you\r\n-- \r\nBob, at the desk\r\n";
	ck_assert_int_eq(sipchk_raw(text, sizeof(text) - 1, &why), SIPCHK_RAW_OK);
	/* a tab is header text */
	static const char tab[] = "--xyz\r\nContent-Type:\tapplication/sdp\r\n\r\nv=0\r\n--xyz--\r\n";
	n = snprintf(buf, sizeof(buf), "%s%s", head, tab);
	ck_assert_int_eq(sipchk_raw(buf, (size_t)n, &why), SIPCHK_RAW_OK);
}
END_TEST

/* Header lines must be "name: value": libosip2 turns "Via> x" into odd values (fuzz finding). */
START_TEST(test_raw_header_lines)
{
	static const char bad[] = "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
				  "Via> SIP/2.0/UDP 10.0.0.5:5060\r\nCall-ID: c\r\n\r\n";
	static const char lf_only[] = "INVITE sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\n"
				      "Subject: folded\n  on two lines\nContent-Length: 4\n\nv=0\n";
	const char *why = NULL;

	ck_assert_int_eq(sipchk_raw(bad, sizeof(bad) - 1, &why), SIPCHK_RAW_BAD);
	ck_assert_str_eq(why, "a header line that is not 'name: value'");
	ck_assert_int_eq(sipchk_raw(lf_only, sizeof(lf_only) - 1, &why), SIPCHK_RAW_OK);
	/* a lone CR ends a line for libosip2: the line after it would escape the checks */
	static const char lone_cr[] = "INVITE sip:a@b SIP/2.0\rexpires 10.0.0.5:5060\r\n"
				      "Via: SIP/2.0/UDP h;branch=z9hG4bKx\r\nCall-ID: c\r\n\r\n";
	ck_assert_int_eq(sipchk_raw(lone_cr, sizeof(lone_cr) - 1, &why), SIPCHK_RAW_BAD);
	ck_assert_str_eq(why, "a CR without LF in the header");
}
END_TEST

START_TEST(test_raw_long_line_and_nul)
{
	size_t n = 6000;
	char *buf = malloc(n);
	const char *why = NULL;

	memset(buf, 'a', n);
	memcpy(buf, "OPTIONS sip:a@b SIP/2.0\r\nX: ", 28);
	memcpy(buf + n - 4, "\r\n\r\n", 4);
	ck_assert_int_eq(sipchk_raw(buf, n, &why), SIPCHK_RAW_BAD);
	memcpy(buf + 28, "b\r\nY: ", 6);
	buf[40] = '\0';
	ck_assert_int_eq(sipchk_raw(buf, n, &why), SIPCHK_RAW_BAD);
	free(buf);
}
END_TEST

START_TEST(test_stash_put_get_expire_evict)
{
	struct via_stash *s = via_stash_create(2);

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(via_stash_put(s, "b1", "v1\n", 100, 64), 0);
	ck_assert_str_eq(via_stash_get(s, "b1", 110), "v1\n");
	ck_assert_ptr_null(via_stash_get(s, "b1", 165));        /* past its 64 s */
	ck_assert_int_eq(via_stash_put(s, "b1", "v1b\n", 120, 64), 0); /* retransmission: replaced */
	ck_assert_str_eq(via_stash_get(s, "b1", 170), "v1b\n");  /* and lives on */
	ck_assert_int_eq(via_stash_put(s, "b2", "v2\n", 121, 64), 0);
	ck_assert_int_eq(via_stash_put(s, "b3", "v3\n", 122, 64), 0); /* full: b1 goes */
	ck_assert_uint_eq(via_stash_count(s), 2);
	ck_assert_ptr_null(via_stash_get(s, "b1", 122));
	ck_assert_str_eq(via_stash_get(s, "b2", 122), "v2\n");
	ck_assert_str_eq(via_stash_get(s, "b3", 122), "v3\n");
	ck_assert_int_eq(via_stash_put(s, "b4", "v4\n", 500, 64), 0); /* both expired ones go */
	ck_assert_uint_eq(via_stash_count(s), 1);
	via_stash_destroy(s);
}
END_TEST

static osip_message_t *parse_text(const char *text)
{
	osip_message_t *m;

	sipmsg_init();
	m = sipmsg_parse(text, strlen(text));
	ck_assert_ptr_nonnull(m);
	return m;
}

START_TEST(test_max_forwards)
{
	osip_message_t *m = parse_text("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nMax-Forwards: 0\r\n"
				       "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n");

	ck_assert_int_eq(sipchk_max_forwards(m), 200);
	osip_free(m->sip_method);
	m->sip_method = osip_strdup("INVITE");
	ck_assert_int_eq(sipchk_max_forwards(m), 483);
	sipmsg_header_set(m, "Max-Forwards", "1");
	ck_assert_int_eq(sipchk_max_forwards(m), 0);
	sipmsg_header_set(m, "Max-Forwards", "junk");
	ck_assert_int_eq(sipchk_max_forwards(m), 0);
	osip_message_free(m);
}
END_TEST

/* A pipeline with proxy authentication and a transport that keeps the last message sent. */
struct auth_env {
	struct config cfg;
	struct registrar *reg;
	struct digest_auth *auth;
	struct sip_pipeline *p;
	char last[8192];
	struct sip_peer last_to;
	int sent;
};

static int keep_last(void *ud, const struct sip_peer *to, const char *buf, size_t len, sip_sent_fn done,
		     void *done_ud)
{
	struct auth_env *e = ud;

	(void)done;
	(void)done_ud;
	e->last_to = *to;
	ck_assert_uint_lt(len, sizeof(e->last));
	memcpy(e->last, buf, len);
	e->last[len] = '\0';
	e->sent++;
	return 0;
}

static void auth_env_init(struct auth_env *e, bool all)
{
	struct sip_pipeline_ctx ctx = { 0 };

	memset(e, 0, sizeof(*e));
	e->cfg.sip_listen_port = 5060;
	e->cfg.default_expires = 3600;
	e->cfg.max_registrations = 8;
	e->cfg.proxy_auth_realm = "test.realm";
	e->cfg.proxy_auth_all = all;
	e->reg = reg_create(8);
	ctx.cfg = &e->cfg;
	ctx.reg = e->reg;
	e->auth = ctx.auth = auth_create("test.realm", "secret", NULL, 300);
	ck_assert_ptr_nonnull(ctx.auth);
	ctx.send = keep_last;
	ctx.send_ud = e;
	inet_pton(AF_INET, "10.0.0.1", &ctx.inbound);
	inet_pton(AF_INET, "192.0.2.1", &ctx.outbound);
	ctx.public_addr = ctx.outbound;
	e->p = sip_pipeline_create(&ctx);
	ck_assert_ptr_nonnull(e->p);
}

static void auth_env_free(struct auth_env *e)
{
	sip_pipeline_destroy(e->p);
	auth_destroy(e->auth);
	reg_destroy(e->reg);
}

static void auth_env_input(struct auth_env *e, const char *text)
{
	struct sip_peer from = { .proto = SIP_PROTO_UDP };

	from.addr.sin_family = AF_INET;
	from.addr.sin_port = htons(5060);
	inet_pton(AF_INET, "10.0.0.5", &from.addr.sin_addr);
	inet_pton(AF_INET, "10.0.0.1", &from.local);
	e->sent = 0;
	sip_pipeline_input(e->p, text, strlen(text), &from);
}

/* RFC 2617 qop=auth answer to the challenge in a 407 (the digest itself is test_digest_auth's business). */
static void digest_answer(const char *challenge, const char *method, const char *uri, char *hdr, size_t size)
{
	char nonce[128] = "", resp[33];
	const char *n = strstr(challenge, "nonce=\"");
	struct auth_digest_input in = { .username = "alice", .realm = "test.realm", .password = "secret",
					.nonce = nonce, .nc = "00000001", .cnonce = "c0ffee", .qop = "auth",
					.method = method, .uri = uri };

	ck_assert_ptr_nonnull(n);
	sscanf(n + 7, "%127[^\"]", nonce);
	auth_digest_compute(&in, resp);
	snprintf(hdr, size,
		 "Proxy-Authorization: Digest username=\"alice\", realm=\"test.realm\", nonce=\"%s\", uri=\"%s\", "
		 "response=\"%s\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"c0ffee\"\r\n", nonce, uri, resp);
}

typedef void (*build_fn)(char *out, size_t size, const char *method, int cseq, const char *cred);

/* The request without credentials must get a 407; the one with the answer is left in e->last. */
static void challenge_then_answer(struct auth_env *e, build_fn build, const char *method, const char *uri)
{
	char msg[2048], cred[1024];

	build(msg, sizeof(msg), method, 1, "");
	auth_env_input(e, msg);
	ck_assert_int_eq(e->sent, 1);
	ck_assert_msg(strncmp(e->last, "SIP/2.0 407 ", 12) == 0, "%s", e->last);
	ck_assert_ptr_nonnull(strstr(e->last, "Proxy-Authenticate: Digest"));
	ck_assert_ptr_nonnull(strstr(e->last, ">;tag="));
	digest_answer(e->last, method, uri, cred, sizeof(cred));
	build(msg, sizeof(msg), method, 2, cred);
	auth_env_input(e, msg);
	ck_assert_int_eq(e->sent, 1);
}

static void build_register(char *out, size_t size, const char *method, int cseq, const char *cred)
{
	snprintf(out, size, "%s sip:10.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKa%d\r\n"
		 "Max-Forwards: 70\r\nFrom: <sip:alice@10.0.0.1>;tag=f\r\nTo: <sip:alice@10.0.0.1>\r\nCall-ID: auth-1\r\n"
		 "CSeq: %d %s\r\nContact: <sip:alice@10.0.0.5:5060>\r\n%sContent-Length: 0\r\n\r\n",
		 method, cseq, cseq, method, cred);
}

static void build_invite(char *out, size_t size, const char *method, int cseq, const char *cred)
{
	snprintf(out, size, "%s sip:bob@203.0.113.20 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKi%d\r\n"
		 "Max-Forwards: 70\r\nFrom: <sip:alice@10.0.0.1>;tag=f\r\nTo: <sip:bob@203.0.113.20>\r\nCall-ID: auth-2\r\n"
		 "CSeq: %d %s\r\n%sContent-Length: 0\r\n\r\n", method, cseq, cseq, method, cred);
}

/* Which Call-IDs leave sealed: our addresses as whole tokens only, never a provider's private host. */
START_TEST(test_callid_address_tokens)
{
	static const struct {
		const char *call_id;
		const char *leaves;   /* "sealed", "token" (host hidden), or NULL: unchanged */
	} cases[] = {
		{ "a10.0.0.5b@example.net", "sealed" },
		{ "10.0.0.5..721", "sealed" },
		{ "10.0.0.5.x", "sealed" },
		{ "x@10.0.0.5:5060", "sealed" },
		{ "x-10.0.0.1@example.net", "sealed" },        /* our inbound address */
		{ "x@10.0.0.5", "token" },
		{ "x@10.0.0.1", "token" },
		{ "110.0.0.5-1.10.0.0.5@example.net", NULL },  /* inside a longer number or dotted run */
		{ "10.0.0.5.6@example.net", NULL },
		{ "10.0.0.55@example.net", NULL },
		{ "x@10.20.30.40", NULL },                     /* a private address that is not ours */
	};
	struct auth_env e;
	char msg[1024], want[256];

	auth_env_init(&e, false);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(msg, sizeof(msg),
			 "OPTIONS sip:bob@203.0.113.20 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKtok%zu\r\n"
			 "Max-Forwards: 70\r\nFrom: <sip:alice@203.0.113.10>;tag=t%zu\r\nTo: <sip:bob@203.0.113.20>\r\n"
			 "Call-ID: %s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
			 i, i, cases[i].call_id);
		auth_env_input(&e, msg);
		ck_assert_int_eq(e.sent, 1);
		if (!cases[i].leaves)
			snprintf(want, sizeof(want), "\r\nCall-ID: %s\r\n", cases[i].call_id);
		else if (strcmp(cases[i].leaves, "sealed") == 0)
			snprintf(want, sizeof(want), "\r\nCall-ID: lanx");
		else
			snprintf(want, sizeof(want), "\r\nCall-ID: x-lan");
		ck_assert_msg(strstr(e.last, want), "Call-ID %s: expected %s, sent:\n%s", cases[i].call_id,
			      cases[i].leaves ? cases[i].leaves : "unchanged", e.last);
		ck_assert_msg(!cases[i].leaves || strstr(e.last, "@192.0.2.1\r\n"), "Call-ID %s: host not public",
			      cases[i].call_id);
	}
	auth_env_free(&e);
}
END_TEST

START_TEST(test_registrar_challenge_then_accept)
{
	struct auth_env e;

	auth_env_init(&e, false);
	challenge_then_answer(&e, build_register, "REGISTER", "sip:10.0.0.1");
	ck_assert_msg(strncmp(e.last, "SIP/2.0 200 ", 12) == 0, "%s", e.last);
	ck_assert_uint_eq(reg_count(e.reg), 1);
	auth_env_free(&e);
}
END_TEST

static void build_register_huge_expires(char *out, size_t size, const char *method, int cseq, const char *cred)
{
	snprintf(out, size, "%s sip:10.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKh%d\r\n"
		 "Max-Forwards: 70\r\nFrom: <sip:alice@10.0.0.1>;tag=f\r\nTo: <sip:alice@10.0.0.1>\r\nCall-ID: auth-3\r\n"
		 "CSeq: %d %s\r\nContact: <sip:alice@10.0.0.5:5060>;expires=9223372036854775807\r\n"
		 "Expires: 9223372036854775806\r\n%sContent-Length: 0\r\n\r\n", method, cseq, cseq, method, cred);
}

/* An expires near LONG_MAX from the network must not overflow the binding's end time (UBSan aborts). */
START_TEST(test_register_huge_expires)
{
	struct auth_env e;
	struct reg_binding *b = NULL;

	auth_env_init(&e, false);
	challenge_then_answer(&e, build_register_huge_expires, "REGISTER", "sip:10.0.0.1");
	ck_assert_msg(strncmp(e.last, "SIP/2.0 200 ", 12) == 0, "%s", e.last);
	ck_assert_uint_eq(reg_find_aor_routable(e.reg, "sip:alice@10.0.0.1", time(NULL), &b, 1), 1);
	ck_assert(b->expires > time(NULL));
	auth_env_free(&e);
}
END_TEST

START_TEST(test_auth_all_challenges_invite_not_ack)
{
	struct auth_env e;
	char msg[2048];

	auth_env_init(&e, true);
	challenge_then_answer(&e, build_invite, "INVITE", "sip:bob@203.0.113.20");
	ck_assert_msg(strncmp(e.last, "INVITE sip:bob@203.0.113.20 ", 28) == 0, "%s", e.last);
	ck_assert_msg(strstr(e.last, "Proxy-Authorization") == NULL, "our credentials leaked: %s", e.last);
	build_invite(msg, sizeof(msg), "ACK", 1, "");
	auth_env_input(&e, msg);
	ck_assert_int_eq(e.sent, 1);
	ck_assert_msg(strncmp(e.last, "ACK sip:bob@203.0.113.20 ", 25) == 0, "%s", e.last);
	auth_env_free(&e);
}
END_TEST

/* A pipeline whose outbound proxy is a name; the resolver asks nobody but the hosts file. */
struct dns_env {
	struct auth_env e;
	struct event_loop *el;
	struct dns *dns;
};

static void dns_env_init(struct dns_env *d, const char *proxy)
{
	struct sip_pipeline_ctx ctx = { 0 };

	memset(d, 0, sizeof(*d));
	d->el = el_create();
	ck_assert_ptr_nonnull(d->el);
	d->dns = dns_create(d->el, 8);
	ck_assert_ptr_nonnull(d->dns);
	ck_assert_int_eq(dns_set_servers(d->dns, "127.0.0.1:9"), 0);
	d->e.cfg.sip_listen_port = 5060;
	d->e.cfg.max_registrations = 8;
	d->e.cfg.outbound_proxy_host = (char *)proxy;
	d->e.cfg.outbound_proxy_port = 5070;
	d->e.reg = reg_create(8);
	ctx.cfg = &d->e.cfg;
	ctx.reg = d->e.reg;
	ctx.dns = d->dns;
	ctx.loop = d->el;
	ctx.send = keep_last;
	ctx.send_ud = &d->e;
	inet_pton(AF_INET, "10.0.0.1", &ctx.inbound);
	inet_pton(AF_INET, "192.0.2.1", &ctx.outbound);
	ctx.public_addr = ctx.outbound;
	d->e.p = sip_pipeline_create(&ctx);
	ck_assert_ptr_nonnull(d->e.p);
}

/* Sends an INVITE from the phone and runs the loop until something was sent (at most 5 s). */
static void dns_env_invite(struct dns_env *d)
{
	char msg[2048];

	build_invite(msg, sizeof(msg), "INVITE", 1, "");
	auth_env_input(&d->e, msg);
	for (int i = 0; i < 50 && d->e.sent == 0; i++)
		el_run_once(d->el, 100);
	ck_assert_int_eq(d->e.sent, 1);
}

static void dns_env_free(struct dns_env *d)
{
	sip_pipeline_destroy(d->e.p);
	dns_destroy(d->dns);
	el_destroy(d->el);
	reg_destroy(d->e.reg);
}

START_TEST(test_next_hop_name_resolved_in_loop)
{
	struct dns_env d;
	char ip[INET_ADDRSTRLEN];

	dns_env_init(&d, "localhost");
	dns_env_invite(&d);
	ck_assert_msg(strncmp(d.e.last, "INVITE sip:bob@203.0.113.20 ", 28) == 0, "%s", d.e.last);
	inet_ntop(AF_INET, &d.e.last_to.addr.sin_addr, ip, sizeof(ip));
	ck_assert_str_eq(ip, "127.0.0.1");
	ck_assert_uint_eq(ntohs(d.e.last_to.addr.sin_port), 5070);
	dns_env_free(&d);
}
END_TEST

START_TEST(test_next_hop_name_unresolvable_503)
{
	struct dns_env d;

	dns_env_init(&d, "no-such-host.invalid");
	dns_env_invite(&d);
	ck_assert_msg(strncmp(d.e.last, "SIP/2.0 503 ", 12) == 0, "%s", d.e.last);
	ck_assert_ptr_nonnull(strstr(d.e.last, "Retry-After:"));
	dns_env_free(&d);
}
END_TEST

/* Destroying the pipeline while a message waits for DNS cancels the lookup and frees the message. */
START_TEST(test_destroy_with_lookup_pending)
{
	struct dns_env d;
	char msg[2048];

	dns_env_init(&d, "no-such-host.invalid");
	build_invite(msg, sizeof(msg), "INVITE", 1, "");
	auth_env_input(&d.e, msg);
	ck_assert_int_eq(d.e.sent, 0);
	ck_assert_uint_eq(dns_pending(d.dns), 1);
	dns_env_free(&d);
}
END_TEST

/* ---- RFC 3263 failover: a name with two addresses, the first one failing ---- */

#define FAILOVER_BAD "127.0.0.21"
#define FAILOVER_GOOD "127.0.0.22"

/* A DNS server that answers every A question with the two addresses, in this order. */
static void on_two_addresses(struct event_loop *el, int fd, unsigned events, void *ud)
{
	unsigned char q[512], r[600];
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	ssize_t len = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);
	size_t o = 12;

	(void)el;
	(void)events;
	(void)ud;
	while (len > 0 && o < (size_t)len && q[o] != 0)
		o += 1 + q[o];
	o += 5;                                     /* root label, type, class */
	if (len < 17 || o > (size_t)len || q[o - 4] != 0 || q[o - 3] != 1)
		return;                                 /* only A questions get an answer */
	memcpy(r, q, o);
	r[2] = 0x81;
	r[3] = 0x80;
	r[6] = 0;
	r[7] = 2;                                   /* two answers */
	r[8] = r[9] = r[10] = r[11] = 0;
	for (int i = 0; i < 2; i++) {
		static const unsigned char head[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4 };

		memcpy(r + o, head, sizeof(head));
		inet_pton(AF_INET, i ? FAILOVER_GOOD : FAILOVER_BAD, r + o + sizeof(head));
		o += sizeof(head) + 4;
	}
	sendto(fd, r, o, 0, (struct sockaddr *)&from, flen);
}

/* UDP to the first address fails at once; TCP to it is queued, then its connect fails. */
static int fail_first(void *ud, const struct sip_peer *to, const char *buf, size_t len, sip_sent_fn done,
		      void *done_ud)
{
	struct in_addr bad;

	inet_pton(AF_INET, FAILOVER_BAD, &bad);
	if (to->addr.sin_addr.s_addr == bad.s_addr && to->proto == SIP_PROTO_UDP)
		return -1;
	if (to->addr.sin_addr.s_addr == bad.s_addr) {
		ck_assert_ptr_nonnull(done);
		done(done_ud, -1, ECONNREFUSED);
		return 0;
	}
	return keep_last(ud, to, buf, len, done, done_ud);
}

static void failover_case(enum sip_proto proto)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	struct sip_peer from = { .proto = proto };
	struct dns_env d;
	char msg[2048], servers[64], ip[INET_ADDRSTRLEN];
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	dns_env_init(&d, "two.example");
	sip_pipeline_destroy(d.e.p);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	ck_assert_int_eq(el_fd_add(d.el, fd, EL_READ, on_two_addresses, NULL), 0);
	snprintf(servers, sizeof(servers), "127.0.0.1:%u", ntohs(sa.sin_port));
	ck_assert_int_eq(dns_set_servers(d.dns, servers), 0);
	{
		struct sip_pipeline_ctx ctx = { .cfg = &d.e.cfg, .reg = d.e.reg, .dns = d.dns, .loop = d.el,
						.send = fail_first, .send_ud = &d.e };

		inet_pton(AF_INET, "10.0.0.1", &ctx.inbound);
		inet_pton(AF_INET, "192.0.2.1", &ctx.outbound);
		ctx.public_addr = ctx.outbound;
		d.e.p = sip_pipeline_create(&ctx);
		ck_assert_ptr_nonnull(d.e.p);
	}
	build_invite(msg, sizeof(msg), "INVITE", 1, "");
	from.addr.sin_family = AF_INET;
	from.addr.sin_port = htons(5060);
	inet_pton(AF_INET, "10.0.0.5", &from.addr.sin_addr);
	inet_pton(AF_INET, "10.0.0.1", &from.local);
	sip_pipeline_input(d.e.p, msg, strlen(msg), &from);
	for (int i = 0; i < 50 && d.e.sent == 0; i++)
		el_run_once(d.el, 100);
	ck_assert_int_eq(d.e.sent, 1);
	ck_assert_msg(strncmp(d.e.last, "INVITE sip:bob@203.0.113.20 ", 28) == 0, "%s", d.e.last);
	inet_ntop(AF_INET, &d.e.last_to.addr.sin_addr, ip, sizeof(ip));
	ck_assert_str_eq(ip, FAILOVER_GOOD);
	ck_assert_uint_eq(ntohs(d.e.last_to.addr.sin_port), 5070);
	el_fd_del(d.el, fd);
	close(fd);
	dns_env_free(&d);
}

START_TEST(test_failover_udp_send_fails_at_once) { failover_case(SIP_PROTO_UDP); }
END_TEST

START_TEST(test_failover_tcp_connect_fails) { failover_case(SIP_PROTO_TCP); }
END_TEST

/* A TCP transport whose connects never finish: it keeps every done callback for the test to call. */
struct hold_env {
	struct auth_env e;
	sip_sent_fn done[4];
	void *done_ud[4];
	int held;
	int64_t now;
};

static int hold_tcp(void *ud, const struct sip_peer *to, const char *buf, size_t len, sip_sent_fn done,
		    void *done_ud)
{
	struct hold_env *h = ud;

	if (to->proto == SIP_PROTO_TCP) {
		ck_assert_int_lt(h->held, 4);
		h->done[h->held] = done;
		h->done_ud[h->held++] = done_ud;
	}
	return keep_last(&h->e, to, buf, len, NULL, NULL);
}

static int64_t hold_now(void *ud) { return ((struct hold_env *)ud)->now; }

static void hold_input(struct hold_env *h, const char *call_id, const char *phone)
{
	struct sip_peer from = { .proto = SIP_PROTO_UDP };
	char msg[1024];

	snprintf(msg, sizeof(msg), "INVITE sip:bob@203.0.113.20;transport=tcp SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK%s\r\nMax-Forwards: 70\r\nFrom: <sip:alice@10.0.0.1>;tag=f\r\n"
		 "To: <sip:bob@203.0.113.20>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
		 phone, call_id, call_id);
	from.addr.sin_family = AF_INET;
	from.addr.sin_port = htons(5060);
	inet_pton(AF_INET, phone, &from.addr.sin_addr);
	inet_pton(AF_INET, "10.0.0.1", &from.local);
	sip_pipeline_input(h->e.p, msg, strlen(msg), &from);
}

/*
 * A connect that never finishes (a peer that accepts but never reads) keeps its slot for as long
 * as it takes: a newer request never shares it, so the late failure answers the right sender.
 */
START_TEST(test_tcp_wait_slot_kept_until_done)
{
	struct hold_env h = { .now = 1000 };
	struct sip_pipeline_ctx ctx = { .cfg = &h.e.cfg, .send = hold_tcp, .send_ud = &h, .now = hold_now,
					.now_ud = &h, .max_tcp_waiting = 1 };
	char ip[INET_ADDRSTRLEN];

	h.e.cfg.sip_listen_port = 5060;
	h.e.cfg.default_expires = 3600;
	h.e.cfg.max_registrations = 8;
	h.e.reg = ctx.reg = reg_create(8);
	inet_pton(AF_INET, "10.0.0.1", &ctx.inbound);
	inet_pton(AF_INET, "192.0.2.1", &ctx.outbound);
	ctx.public_addr = ctx.outbound;
	h.e.p = sip_pipeline_create(&ctx);
	ck_assert_ptr_nonnull(h.e.p);

	hold_input(&h, "wait-a", "10.0.0.5");
	ck_assert_int_eq(h.held, 1);
	ck_assert_ptr_nonnull(h.done[0]);
	h.now += 600;                                  /* far past any connect timeout */
	hold_input(&h, "wait-b", "10.0.0.6");
	ck_assert_int_eq(h.held, 2);
	ck_assert_ptr_null(h.done[1]);                 /* the only slot still waits for a's report */

	h.e.sent = 0;
	h.done[0](h.done_ud[0], -1, ECONNRESET);
	ck_assert_int_eq(h.e.sent, 1);
	ck_assert_msg(strncmp(h.e.last, "SIP/2.0 503 ", 12) == 0, "%s", h.e.last);
	ck_assert_msg(strstr(h.e.last, "Call-ID: wait-a\r\n") != NULL, "%s", h.e.last);
	inet_ntop(AF_INET, &h.e.last_to.addr.sin_addr, ip, sizeof(ip));
	ck_assert_str_eq(ip, "10.0.0.5");

	hold_input(&h, "wait-c", "10.0.0.7");          /* the report freed the slot */
	ck_assert_int_eq(h.held, 3);
	ck_assert_ptr_nonnull(h.done[2]);
	h.e.sent = 0;
	h.done[2](h.done_ud[2], 0, 0);                 /* sent: nobody is answered */
	ck_assert_int_eq(h.e.sent, 0);
	hold_input(&h, "wait-d", "10.0.0.8");
	ck_assert_ptr_nonnull(h.done[3]);
	sip_pipeline_destroy(h.e.p);
	reg_destroy(h.e.reg);
}
END_TEST

/* Every message of the fuzz seed corpus, from the LAN and from the WAN, with a phone registered: the sanitizers watch. */
START_TEST(test_fuzz_corpus_replay)
{
	DIR *dir = opendir(TEST_SRCDIR "/fuzz/corpus");
	struct auth_env e;
	struct dirent *de;
	struct sockaddr_in phone = { .sin_family = AF_INET, .sin_port = htons(5060) };
	size_t files = 0;

	ck_assert_ptr_nonnull(dir);
	auth_env_init(&e, false);
	inet_pton(AF_INET, "10.0.0.5", &phone.sin_addr);
	ck_assert_ptr_nonnull(reg_bind(e.reg, "sip:alice@203.0.113.10", "sip:alice@10.0.0.5:5060",
				       "sip:alice@192.0.2.1:5060", &phone, 0, time(NULL) + 600, true));
	while ((de = readdir(dir))) {
		char path[512], buf[65536];
		struct sip_peer from = { .proto = SIP_PROTO_UDP };
		FILE *f;
		size_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", TEST_SRCDIR "/fuzz/corpus", de->d_name);
		f = fopen(path, "rb");
		ck_assert_ptr_nonnull(f);
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		from.addr.sin_family = AF_INET;
		from.addr.sin_port = htons(5060);
		for (int side = 0; side < 2; side++) {
			inet_pton(AF_INET, side ? "203.0.113.10" : "10.0.0.5", &from.addr.sin_addr);
			inet_pton(AF_INET, side ? "192.0.2.1" : "10.0.0.1", &from.local);
			sip_pipeline_input(e.p, buf, n, &from);
		}
		files++;
	}
	closedir(dir);
	ck_assert_uint_gt(files, 10);
	auth_env_free(&e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sip_pipeline");
	TCase *tc = tcase_create("parts");

	tcase_add_test(tc, test_callid_address_tokens);
	tcase_add_test(tc, test_raw_keepalives_and_junk);
	tcase_add_test(tc, test_tcp_wait_slot_kept_until_done);
	tcase_add_test(tc, test_raw_header_lines);
	tcase_add_test(tc, test_raw_long_line_and_nul);
	tcase_add_test(tc, test_raw_part_with_two_content_types);
	tcase_add_test(tc, test_stash_put_get_expire_evict);
	tcase_add_test(tc, test_max_forwards);
	tcase_add_test(tc, test_registrar_challenge_then_accept);
	tcase_add_test(tc, test_auth_all_challenges_invite_not_ack);
	tcase_add_test(tc, test_register_huge_expires);
	tcase_add_test(tc, test_next_hop_name_resolved_in_loop);
	tcase_add_test(tc, test_next_hop_name_unresolvable_503);
	tcase_add_test(tc, test_destroy_with_lookup_pending);
	tcase_add_test(tc, test_failover_udp_send_fails_at_once);
	tcase_add_test(tc, test_failover_tcp_connect_fails);
	tcase_add_test(tc, test_fuzz_corpus_replay);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
