/* Unit tests for digest_auth.c: challenges, verification outcomes, nonce-count replay, the password file. */
#include "build_config.h"

#include "digest_auth.h"
#include "log.h"

#include <check.h>
#include <ctype.h>
#include <osipparser2/osip_md5.h>
#include <osipparser2/osip_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit_run.h"

#define REALM "home.example"
#define T0 1700000000

/* Every log line of the test, to check what was (and was not) written. */
static char logbuf[65536];
static size_t loglen;

static void capture(const char *line, size_t len, void *ud)
{
	(void)ud;
	if (loglen + len + 2 < sizeof(logbuf)) {
		memcpy(logbuf + loglen, line, len);
		loglen += len;
		logbuf[loglen++] = '\n';
		logbuf[loglen] = '\0';
	}
}

static void setup(void)
{
	loglen = 0;
	logbuf[0] = '\0';
	log_set_sink(capture, NULL);
	log_set_debug_pattern(DBCLASS_ALL);
}

static void teardown(void) { log_set_sink(NULL, NULL); }

/* ---- the client side, written from RFC 2617 independently of digest_auth.c ---- */

static void md5hex(const char *s, char out[33])
{
	osip_MD5_CTX ctx;
	unsigned char d[16];

	osip_MD5Init(&ctx);
	osip_MD5Update(&ctx, (unsigned char *)s, (unsigned int)strlen(s));
	osip_MD5Final(d, &ctx);
	for (int i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void client_digest(const char *user, const char *realm, const char *pass, const char *method,
			  const char *uri, const char *nonce, const char *nc, const char *cnonce, char out[33])
{
	char buf[4096], ha1[33], ha2[33];

	snprintf(buf, sizeof(buf), "%s:%s:%s", user, realm, pass);
	md5hex(buf, ha1);
	snprintf(buf, sizeof(buf), "%s:%s", method, uri);
	md5hex(buf, ha2);
	if (nc)
		snprintf(buf, sizeof(buf), "%s:%s:%s:%s:auth:%s", ha1, nonce, nc, cnonce, ha2);
	else
		snprintf(buf, sizeof(buf), "%s:%s:%s", ha1, nonce, ha2);
	md5hex(buf, out);
}

static osip_message_t *make_request(const char *method, const char *ruri)
{
	char text[1024];
	osip_message_t *m;

	snprintf(text, sizeof(text),
		 "%s %s SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK776asdhds\r\n"
		 "Max-Forwards: 70\r\n"
		 "To: <sip:alice@home.example>\r\n"
		 "From: <sip:alice@home.example>;tag=1928301774\r\n"
		 "Call-ID: a84b4c76e66710@pc33\r\n"
		 "CSeq: 1 %s\r\n"
		 "Contact: <sip:alice@192.168.1.10>\r\n"
		 "Content-Length: 0\r\n\r\n",
		 method, ruri, method);
	ck_assert_int_eq(osip_message_init(&m), 0);
	ck_assert_int_eq(osip_message_parse(m, text, strlen(text)), 0);
	return m;
}

static char *header_of_challenge(struct digest_auth *a, bool stale, int64_t now)
{
	osip_message_t *resp;
	osip_proxy_authenticate_t *pa = NULL;
	char *s = NULL;

	ck_assert_int_eq(osip_message_init(&resp), 0);
	ck_assert_int_eq(auth_challenge(a, resp, stale, now), 0);
	ck_assert_int_eq(osip_message_get_proxy_authenticate(resp, 0, &pa), 0);
	ck_assert_int_eq(osip_proxy_authenticate_to_str(pa, &s), 0);
	osip_message_free(resp);
	return s;
}

/* The nonce of a fresh challenge. */
static void challenge_nonce(struct digest_auth *a, int64_t now, char *out, size_t len)
{
	char *h = header_of_challenge(a, false, now);
	char *p = strstr(h, "nonce=\"");

	ck_assert_ptr_nonnull(p);
	p += 7;
	char *q = strchr(p, '"');
	ck_assert_ptr_nonnull(q);
	ck_assert_uint_lt((size_t)(q - p), len);
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
	osip_free(h);
}

/* Adds a Proxy-Authorization computed by the client side above; nc NULL = no qop. */
static void add_credentials(osip_message_t *m, const char *user, const char *realm, const char *pass,
			    const char *method, const char *uri, const char *nonce, const char *nc)
{
	char resp[33], hdr[1024];

	client_digest(user, realm, pass, method, uri, nonce, nc, "0a4f113b", resp);
	if (nc)
		snprintf(hdr, sizeof(hdr),
			 "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", response=\"%s\", "
			 "algorithm=MD5, qop=auth, nc=%s, cnonce=\"0a4f113b\"",
			 user, realm, nonce, uri, resp, nc);
	else
		snprintf(hdr, sizeof(hdr),
			 "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", response=\"%s\"",
			 user, realm, nonce, uri, resp);
	ck_assert_int_eq(osip_message_set_proxy_authorization(m, hdr), 0);
}

/* One request with credentials, checked at time now; the nonce is issued at T0. */
static enum auth_result try_auth(struct digest_auth *a, const char *nonce, const char *req_method,
				 const char *cred_method, const char *user, const char *pass, const char *realm,
				 const char *uri, const char *nc, int64_t now)
{
	osip_message_t *m = make_request(req_method, "sip:home.example");
	add_credentials(m, user, realm, pass, cred_method, uri, nonce, nc);
	enum auth_result r = auth_check(a, m, now);
	osip_message_free(m);
	return r;
}

/* The common case: a REGISTER for sip:home.example with credentials for REALM. */
static enum auth_result reg(struct digest_auth *a, const char *nonce, const char *user, const char *pass,
			    const char *nc, int64_t now)
{
	return try_auth(a, nonce, "REGISTER", "REGISTER", user, pass, REALM, "sip:home.example", nc, now);
}

static struct digest_auth *shared_pw(void)
{
	struct digest_auth *a = auth_create(REALM, "s3cret", NULL, 300);
	ck_assert_ptr_nonnull(a);
	return a;
}

static char *write_file(const char *text)
{
	static char path[64];
	strcpy(path, "/tmp/test_digest_pw.XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* ---- tests ---- */

START_TEST(rfc2617_example_vector)
{
	/* RFC 2617 §3.5. */
	struct auth_digest_input in = {
		.username = "Mufasa", .realm = "testrealm@host.com", .password = "Circle Of Life",
		.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093", .nc = "00000001", .cnonce = "0a4f113b",
		.qop = "auth", .method = "GET", .uri = "/dir/index.html",
	};
	char out[33], mine[33];

	auth_digest_compute(&in, out);
	ck_assert_str_eq(out, "6629fae49393a05397450978507c4ef1");
	client_digest("Mufasa", "testrealm@host.com", "Circle Of Life", "GET", "/dir/index.html",
		      "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b", mine);
	ck_assert_str_eq(mine, out);

	in.qop = NULL;
	auth_digest_compute(&in, out);
	client_digest("Mufasa", "testrealm@host.com", "Circle Of Life", "GET", "/dir/index.html",
		      "dcd98b7102dd2f0e8b11d0f600bfb0c093", NULL, NULL, mine);
	ck_assert_str_eq(out, mine);
}
END_TEST

START_TEST(challenge_header)
{
	struct digest_auth *a = shared_pw();
	char *h = header_of_challenge(a, false, T0);

	ck_assert_msg(strncmp(h, "Digest realm=\"home.example\", nonce=\"", 36) == 0, "%s", h);
	ck_assert_ptr_nonnull(strstr(h, "qop=\"auth\""));
	ck_assert_ptr_nonnull(strstr(h, "algorithm=MD5"));
	ck_assert_ptr_null(strstr(h, "stale"));
	osip_free(h);
	h = header_of_challenge(a, true, T0);
	ck_assert_ptr_nonnull(strstr(h, "stale=true"));
	osip_free(h);

	char n1[128], n2[128];
	challenge_nonce(a, T0, n1, sizeof(n1));
	challenge_nonce(a, T0, n2, sizeof(n2));
	ck_assert_str_ne(n1, n2);   /* same second, still distinct nonces */
	auth_destroy(a);
}
END_TEST

START_TEST(missing_credentials)
{
	struct digest_auth *a = shared_pw();
	osip_message_t *m = make_request("REGISTER", "sip:home.example");

	ck_assert_int_eq(auth_check(a, m, T0), AUTH_MISSING);
	osip_message_free(m);
	auth_destroy(a);
}
END_TEST

START_TEST(good_without_qop)
{
	struct digest_auth *a = shared_pw();
	char nonce[128];

	challenge_nonce(a, T0, nonce, sizeof(nonce));
	ck_assert_int_eq(reg(a, nonce, "alice", "s3cret", NULL, T0 + 10), AUTH_OK);
	/* RFC 2069 style carries no count: the nonce may be used again within its TTL. */
	ck_assert_int_eq(reg(a, nonce, "alice", "s3cret", NULL, T0 + 20), AUTH_OK);
	ck_assert_int_eq(reg(a, nonce, "alice", "s3cret", NULL, T0 + 301), AUTH_STALE);
	auth_destroy(a);
}
END_TEST

START_TEST(good_with_qop_and_nc)
{
	struct digest_auth *a = shared_pw();
	char nonce[128];

	challenge_nonce(a, T0, nonce, sizeof(nonce));
	ck_assert_int_eq(reg(a, nonce, "alice", "s3cret", "00000001", T0), AUTH_OK);
	ck_assert_int_eq(reg(a, nonce, "alice", "s3cret", "00000002", T0 + 1), AUTH_OK);
	/* replay of an old count and of the same count */
	ck_assert_int_eq(reg(a, nonce, "alice", "s3cret", "00000001", T0 + 2), AUTH_BAD_CREDENTIALS);
	ck_assert_int_eq(reg(a, nonce, "alice", "s3cret", "00000002", T0 + 2), AUTH_BAD_CREDENTIALS);
	ck_assert_int_eq(reg(a, nonce, "alice", "s3cret", "0000000a", T0 + 3), AUTH_OK);
	/* counts start at 1 */
	char fresh[128];
	challenge_nonce(a, T0, fresh, sizeof(fresh));
	ck_assert_int_eq(reg(a, fresh, "alice", "s3cret", "00000000", T0 + 3), AUTH_MALFORMED);
	/* another nonce has its own count */
	char other[128];
	challenge_nonce(a, T0, other, sizeof(other));
	ck_assert_int_eq(reg(a, other, "bob", "s3cret", "00000001", T0 + 3), AUTH_OK);
	auth_destroy(a);
}
END_TEST

START_TEST(bad_password_and_unknown_user)
{
	char *path = write_file("alice wonderland\nbob builder\n");
	struct digest_auth *a = auth_create(REALM, NULL, path, 300);
	char nonce[128];

	ck_assert_ptr_nonnull(a);
	challenge_nonce(a, T0, nonce, sizeof(nonce));
	ck_assert_int_eq(reg(a, nonce, "alice", "wonderland", "00000001", T0), AUTH_OK);
	ck_assert_int_eq(reg(a, nonce, "alice", "builder", "00000002", T0), AUTH_BAD_CREDENTIALS);
	ck_assert_int_eq(reg(a, nonce, "carol", "builder", "00000003", T0), AUTH_BAD_CREDENTIALS);
	/* a failed attempt does not consume the count */
	ck_assert_int_eq(reg(a, nonce, "alice", "wonderland", "00000002", T0), AUTH_OK);
	auth_destroy(a);
	unlink(path);
}
END_TEST

START_TEST(stale_nonce)
{
	struct digest_auth *a = shared_pw();
	char nonce[128];

	challenge_nonce(a, T0, nonce, sizeof(nonce));
	ck_assert_int_eq(reg(a, nonce, "alice", "s3cret", "00000001", T0 + 300), AUTH_OK);
	ck_assert_int_eq(reg(a, nonce, "alice", "s3cret", "00000002", T0 + 301), AUTH_STALE);
	/* an old nonce with a wrong password is a failure, not a reason to retry */
	ck_assert_int_eq(reg(a, nonce, "alice", "nope", "00000003", T0 + 301), AUTH_BAD_CREDENTIALS);
	auth_destroy(a);
}
END_TEST

START_TEST(forged_nonce)
{
	struct digest_auth *a = shared_pw();
	struct digest_auth *before_restart = shared_pw();
	char nonce[128], forged[128];

	/* invented by the client */
	ck_assert_int_eq(reg(a, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "alice", "s3cret", "00000001", T0), AUTH_STALE);
	/* issued by a previous process (other secret): right password → stale, retry transparently */
	challenge_nonce(before_restart, T0, nonce, sizeof(nonce));
	ck_assert_int_eq(reg(a, nonce, "alice", "s3cret", "00000001", T0), AUTH_STALE);
	ck_assert_int_eq(reg(a, nonce, "alice", "guess", "00000001", T0), AUTH_BAD_CREDENTIALS);
	/* a genuine nonce with its timestamp moved forward no longer verifies */
	challenge_nonce(a, T0, nonce, sizeof(nonce));
	snprintf(forged, sizeof(forged), "%s", nonce);
	forged[0] = forged[0] == 'f' ? 'e' : 'f';
	ck_assert_int_eq(reg(a, forged, "alice", "s3cret", "00000001", T0), AUTH_STALE);
	ck_assert_int_eq(reg(a, nonce, "alice", "s3cret", "00000001", T0), AUTH_OK);
	auth_destroy(before_restart);
	auth_destroy(a);
}
END_TEST

START_TEST(wrong_realm_uri_method)
{
	struct digest_auth *a = shared_pw();
	char nonce[128];

	challenge_nonce(a, T0, nonce, sizeof(nonce));
	/* credentials for another realm belong to another proxy: we still have to challenge */
	ck_assert_int_eq(try_auth(a, nonce, "REGISTER", "REGISTER", "alice", "s3cret", "other.example",
				  "sip:home.example", "00000001", T0), AUTH_MISSING);
	/* digest-uri naming another resource */
	ck_assert_int_eq(try_auth(a, nonce, "REGISTER", "REGISTER", "alice", "s3cret", REALM, "sip:evil.example",
				  "00000001", T0), AUTH_MALFORMED);
	/* credentials computed for INVITE presented with a REGISTER */
	ck_assert_int_eq(try_auth(a, nonce, "REGISTER", "INVITE", "alice", "s3cret", REALM, "sip:home.example",
				  "00000001", T0), AUTH_BAD_CREDENTIALS);
	/* the method is the request's own, not hard-wired REGISTER */
	ck_assert_int_eq(try_auth(a, nonce, "INVITE", "INVITE", "alice", "s3cret", REALM, "sip:home.example",
				  "00000001", T0), AUTH_OK);
	auth_destroy(a);
}
END_TEST

START_TEST(invite_with_user_uri)
{
	struct digest_auth *a = shared_pw();
	char nonce[128], resp[33], hdr[1024];
	const char *uri = "sip:bob@example.org;transport=udp";
	osip_message_t *m = make_request("INVITE", uri);

	challenge_nonce(a, T0, nonce, sizeof(nonce));
	client_digest("alice", REALM, "s3cret", "INVITE", uri, nonce, "00000001", "abc", resp);
	/* qop quoted, upper-case hex response, a foreign realm's header first */
	snprintf(hdr, sizeof(hdr),
		 "Digest username=\"alice\", realm=\"upstream\", nonce=\"x\", uri=\"%s\", response=\"%s\"", uri, resp);
	ck_assert_int_eq(osip_message_set_proxy_authorization(m, hdr), 0);
	for (char *p = resp; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	snprintf(hdr, sizeof(hdr),
		 "Digest username=\"alice\", realm=\"" REALM "\", nonce=\"%s\", uri=\"%s\", response=\"%s\", "
		 "qop=\"auth\", nc=00000001, cnonce=\"abc\"", nonce, uri, resp);
	ck_assert_int_eq(osip_message_set_proxy_authorization(m, hdr), 0);
	ck_assert_int_eq(auth_check(a, m, T0), AUTH_OK);
	osip_message_free(m);
	auth_destroy(a);
}
END_TEST

START_TEST(md5_sess)
{
	struct digest_auth *a = shared_pw();
	char nonce[128], buf[512], ha1[33], ha2[33], resp[33], hdr[1024];

	challenge_nonce(a, T0, nonce, sizeof(nonce));
	snprintf(buf, sizeof(buf), "alice:" REALM ":s3cret");
	md5hex(buf, ha1);
	snprintf(buf, sizeof(buf), "%s:%s:c0ffee", ha1, nonce);       /* RFC 2617 §3.2.2.2 */
	md5hex(buf, ha1);
	md5hex("REGISTER:sip:home.example", ha2);
	snprintf(buf, sizeof(buf), "%s:%s:00000001:c0ffee:auth:%s", ha1, nonce, ha2);
	md5hex(buf, resp);
	snprintf(hdr, sizeof(hdr),
		 "Digest username=\"alice\", realm=\"" REALM "\", nonce=\"%s\", uri=\"sip:home.example\", "
		 "response=\"%s\", algorithm=MD5-sess, qop=auth, nc=00000001, cnonce=\"c0ffee\"", nonce, resp);
	osip_message_t *m = make_request("REGISTER", "sip:home.example");
	ck_assert_int_eq(osip_message_set_proxy_authorization(m, hdr), 0);
	ck_assert_int_eq(auth_check(a, m, T0), AUTH_OK);
	osip_message_free(m);
	auth_destroy(a);
}
END_TEST

static enum auth_result check_header(struct digest_auth *a, const char *hdr)
{
	osip_message_t *m = make_request("REGISTER", "sip:home.example");
	ck_assert_int_eq(osip_message_set_proxy_authorization(m, hdr), 0);
	enum auth_result r = auth_check(a, m, T0);
	osip_message_free(m);
	return r;
}

START_TEST(malformed_headers)
{
	struct digest_auth *a = shared_pw();
	const char *r32 = "0123456789abcdef0123456789abcdef";
	char hdr[512];

	ck_assert_int_eq(check_header(a, "Digest username=\"alice\", realm=\"" REALM "\""), AUTH_MALFORMED);
	snprintf(hdr, sizeof(hdr), "Digest realm=\"" REALM "\", nonce=\"1:1:ab\", uri=\"sip:home.example\", "
		 "response=\"%s\"", r32);
	ck_assert_int_eq(check_header(a, hdr), AUTH_MALFORMED);          /* no username */
	snprintf(hdr, sizeof(hdr), "Digest username=\"alice\", realm=\"" REALM "\", nonce=\"1:1:ab\", "
		 "uri=\"sip:home.example\"");
	ck_assert_int_eq(check_header(a, hdr), AUTH_MALFORMED);          /* no response */
	snprintf(hdr, sizeof(hdr), "Digest username=\"alice\", realm=\"" REALM "\", nonce=\"1:1:ab\", "
		 "uri=\"sip:home.example\", response=\"%s\", qop=auth, cnonce=\"c\"", r32);
	ck_assert_int_eq(check_header(a, hdr), AUTH_MALFORMED);          /* qop without nc */
	snprintf(hdr, sizeof(hdr), "Digest username=\"alice\", realm=\"" REALM "\", nonce=\"1:1:ab\", "
		 "uri=\"sip:home.example\", response=\"%s\", qop=auth, nc=1, cnonce=\"c\"", r32);
	ck_assert_int_eq(check_header(a, hdr), AUTH_MALFORMED);          /* nc not 8 hex digits */
	snprintf(hdr, sizeof(hdr), "Digest username=\"alice\", realm=\"" REALM "\", nonce=\"1:1:ab\", "
		 "uri=\"sip:home.example\", response=\"%s\", algorithm=SHA-512-256", r32);
	ck_assert_int_eq(check_header(a, hdr), AUTH_MALFORMED);
	snprintf(hdr, sizeof(hdr), "Digest username=\"alice\", realm=\"" REALM "\", nonce=\"1:1:ab\", "
		 "uri=\"sip:home.example\", response=\"abc\"");
	ck_assert_int_eq(check_header(a, hdr), AUTH_MALFORMED);          /* short response */
	snprintf(hdr, sizeof(hdr), "Digest username=\"alice\", nonce=\"1:1:ab\", uri=\"sip:home.example\", "
		 "response=\"%s\"", r32);
	ck_assert_int_eq(check_header(a, hdr), AUTH_MALFORMED);          /* no realm at all */
	/* another scheme is not ours */
	ck_assert_int_eq(check_header(a, "Basic realm=\"" REALM "\""), AUTH_MISSING);
	auth_destroy(a);
}
END_TEST

START_TEST(no_secrets_in_logs)
{
	struct digest_auth *a = shared_pw();
	char nonce[128], resp[33];

	challenge_nonce(a, T0, nonce, sizeof(nonce));
	ck_assert_int_eq(reg(a, nonce, "alice", "s3cret", "00000001", T0), AUTH_OK);
	ck_assert_int_eq(reg(a, nonce, "alice", "wrongpw", "00000002", T0), AUTH_BAD_CREDENTIALS);
	client_digest("alice", REALM, "wrongpw", "REGISTER", "sip:home.example", nonce, "00000002", "0a4f113b", resp);
	ck_assert_ptr_nonnull(strstr(logbuf, "alice"));
	ck_assert_ptr_null(strstr(logbuf, "s3cret"));
	ck_assert_ptr_null(strstr(logbuf, "wrongpw"));
	ck_assert_ptr_null(strstr(logbuf, resp));
	auth_destroy(a);
}
END_TEST

START_TEST(pwfile_parsing_and_reload)
{
	char longpw[3000];
	memset(longpw, 'p', sizeof(longpw) - 1);
	longpw[sizeof(longpw) - 1] = '\0';
	char *text;
	ck_assert_int_ge(asprintf(&text,
				  "# users of the house\n"
				  "\n"
				  "   # indented comment\n"
				  "alice\twonderland\n"
				  "lonely\n"
				  "long %s\n"
				  "bob first\n"
				  "  bob   second  \r\n",
				  longpw), 0);
	char *path = write_file(text);
	free(text);
	struct digest_auth *a = auth_create(REALM, NULL, path, 300);
	char nonce[128], where[128];

	ck_assert_ptr_nonnull(a);
	snprintf(where, sizeof(where), "%s:5:", path);
	ck_assert_msg(strstr(logbuf, where) != NULL, "no warning for the one-token line: %s", logbuf);
	snprintf(where, sizeof(where), "%s:8:", path);
	ck_assert_msg(strstr(logbuf, where) != NULL, "no warning for the duplicate: %s", logbuf);

	challenge_nonce(a, T0, nonce, sizeof(nonce));
	ck_assert_int_eq(reg(a, nonce, "alice", "wonderland", NULL, T0), AUTH_OK);
	ck_assert_int_eq(reg(a, nonce, "long", longpw, NULL, T0), AUTH_OK);
	ck_assert_int_eq(reg(a, nonce, "bob", "first", NULL, T0), AUTH_BAD_CREDENTIALS);
	ck_assert_int_eq(reg(a, nonce, "bob", "second", NULL, T0), AUTH_OK);
	ck_assert_int_eq(reg(a, nonce, "lonely", "", NULL, T0), AUTH_BAD_CREDENTIALS);
	ck_assert_ptr_null(strstr(logbuf, "wonderland"));

	/* reload picks up a changed file */
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("alice changed\ncarol new\n", f);
	fclose(f);
	ck_assert_int_eq(auth_reload(a), 0);
	ck_assert_int_eq(reg(a, nonce, "alice", "wonderland", NULL, T0), AUTH_BAD_CREDENTIALS);
	ck_assert_int_eq(reg(a, nonce, "carol", "new", NULL, T0), AUTH_OK);

	/* a file that went away: the old table stays */
	unlink(path);
	ck_assert_int_eq(auth_reload(a), -1);
	ck_assert_int_eq(reg(a, nonce, "carol", "new", NULL, T0), AUTH_OK);
	auth_destroy(a);
}
END_TEST

START_TEST(create_errors)
{
	ck_assert_ptr_null(auth_create(NULL, "x", NULL, 300));
	ck_assert_ptr_null(auth_create(REALM, NULL, NULL, 300));
	ck_assert_ptr_null(auth_create(REALM, "x", NULL, 0));
	ck_assert_ptr_null(auth_create(REALM, NULL, "/nonexistent/siproxd_passwd", 300));
	ck_assert_ptr_nonnull(strstr(logbuf, "/nonexistent/siproxd_passwd"));
}
END_TEST

START_TEST(nc_table_bounded)
{
	/* More nonces in use than the table holds: every first use still works, nothing leaks. */
	struct digest_auth *a = shared_pw();
	char nonce[128], first[128];

	challenge_nonce(a, T0, first, sizeof(first));
	ck_assert_int_eq(reg(a, first, "alice", "s3cret", "00000001", T0), AUTH_OK);
	for (int i = 0; i < 1100; i++) {
		challenge_nonce(a, T0, nonce, sizeof(nonce));
		ck_assert_int_eq(reg(a, nonce, "alice", "s3cret", "00000001", T0), AUTH_OK);
	}
	ck_assert_int_eq(reg(a, nonce, "alice", "s3cret", "00000001", T0), AUTH_BAD_CREDENTIALS);
	/*
	 * The first nonce was pushed out of the table: a captured request with it must not become
	 * replayable. A forgotten nonce is stale, so the phone gets a fresh challenge.
	 */
	ck_assert_int_eq(reg(a, first, "alice", "s3cret", "00000001", T0 + 1), AUTH_STALE);
	ck_assert_int_eq(reg(a, first, "alice", "s3cret", "00000002", T0 + 1), AUTH_STALE);
	/* a nonce issued after the eviction still works on first use */
	challenge_nonce(a, T0 + 1, nonce, sizeof(nonce));
	ck_assert_int_eq(reg(a, nonce, "alice", "s3cret", "00000001", T0 + 1), AUTH_OK);
	auth_destroy(a);
}
END_TEST

static Suite *digest_suite(void)
{
	Suite *s = suite_create("digest_auth");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, rfc2617_example_vector);
	tcase_add_test(tc, challenge_header);
	tcase_add_test(tc, missing_credentials);
	tcase_add_test(tc, good_without_qop);
	tcase_add_test(tc, good_with_qop_and_nc);
	tcase_add_test(tc, bad_password_and_unknown_user);
	tcase_add_test(tc, stale_nonce);
	tcase_add_test(tc, forged_nonce);
	tcase_add_test(tc, wrong_realm_uri_method);
	tcase_add_test(tc, invite_with_user_uri);
	tcase_add_test(tc, md5_sess);
	tcase_add_test(tc, malformed_headers);
	tcase_add_test(tc, no_secrets_in_logs);
	tcase_add_test(tc, pwfile_parsing_and_reload);
	tcase_add_test(tc, create_errors);
	tcase_add_test(tc, nc_table_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	parser_init();
	return unit_run(digest_suite());
}
