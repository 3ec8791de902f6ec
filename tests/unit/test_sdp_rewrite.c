/* Unit tests of the SDP rewriting: golden in/out pairs in tests/golden/sdp, errors, multipart. */
#include "build_config.h"

#include "config.h"
#include "event_loop.h"
#include "log.h"
#include "rtp_relay.h"
#include "sdp_rewrite.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit_run.h"

#define GOLDEN_DIR TEST_SRCDIR "/golden/sdp/"

static struct event_loop *el;
static struct rtp_relay *relay;

static void relay_start(int low, int high)
{
	struct config cfg;
	struct rtp_relay_addrs addrs;
	memset(&cfg, 0, sizeof(cfg));
	cfg.rtp_port_low = low;
	cfg.rtp_port_high = high;
	inet_pton(AF_INET, "127.0.0.1", &addrs.inbound);
	inet_pton(AF_INET, "127.0.0.2", &addrs.outbound);
	inet_pton(AF_INET, "203.0.113.7", &addrs.public_addr);
	el = el_create();
	relay = rtp_relay_create(el, &cfg, &addrs);
	ck_assert_ptr_nonnull(relay);
}

static void setup(void) { relay_start(46400, 46499); }

static void teardown(void)
{
	rtp_relay_destroy(relay);
	el_destroy(el);
}

/* A golden file with its LF line ends turned into the CRLF of SIP bodies. */
static char *load(const char *name, const char *ext)
{
	char path[512];
	snprintf(path, sizeof(path), GOLDEN_DIR "%s.%s", name, ext);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	char *out = malloc(65536);
	size_t n = 0;
	int c;
	while ((c = fgetc(f)) != EOF && n + 2 < 65536) {
		if (c == '\n')
			out[n++] = '\r';
		out[n++] = (char)c;
	}
	out[n] = '\0';
	fclose(f);
	return out;
}

/* Replaces @PORTi@ / @RTCPi@ in the expected text by the relay's ports towards `to`. */
static char *expand(const char *tmpl, const char *call_id, enum rtp_side to)
{
	char *out = malloc(strlen(tmpl) + 64), *o = out;
	const char *p = tmpl;
	while (*p != '\0') {
		unsigned i;
		int used = 0;
		if (sscanf(p, "@PORT%u@%n", &i, &used) == 1 && used > 0) {
			struct rtp_session_info info;
			ck_assert_int_eq(rtp_relay_session_info(relay, call_id, "leg", i, &info), 0);
			o += sprintf(o, "%u", to == RTP_SIDE_WAN ? info.wan_port : info.port);
			p += used;
		} else if (sscanf(p, "@RTCP%u@%n", &i, &used) == 1 && used > 0) {
			struct rtp_session_info info;
			ck_assert_int_eq(rtp_relay_session_info(relay, call_id, "leg", i, &info), 0);
			o += sprintf(o, "%u", (to == RTP_SIDE_WAN ? info.wan_port : info.port) + 1u);
			p += used;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

static enum sdp_rw_status run(const char *name, const char *call_id, enum rtp_side from,
	const char *ctype, char **out, size_t *out_len)
{
	char *in = load(name, "in");
	struct sdp_rw_msg msg = {
		.call_id = call_id, .leg = "leg", .from = from, .content_type = ctype,
		.body = in, .len = strlen(in),
	};
	enum sdp_rw_status st = sdp_rewrite(relay, &msg, out, out_len);
	free(in);
	return st;
}

struct golden {
	const char *name;
	const char *prelude;        /* run first in the same call (the offer before an answer) */
	enum rtp_side from;
	const char *ctype;
};

static const struct golden goldens[] = {
	{ "offer_lan", NULL, RTP_SIDE_LAN, "application/sdp" },
	{ "answer_wan", "offer_lan", RTP_SIDE_WAN, "application/sdp" },
	{ "hold_c0", "offer_lan", RTP_SIDE_LAN, "application/SDP" },
	{ "sendonly", NULL, RTP_SIDE_LAN, NULL },
	{ "port0", NULL, RTP_SIDE_LAN, "application/sdp" },
	{ "port0_conn", NULL, RTP_SIDE_LAN, "application/sdp" },
	{ "two_mlines", NULL, RTP_SIDE_WAN, "application/sdp" },
	{ "ice_removed", NULL, RTP_SIDE_LAN, "application/sdp" },
	{ "rtcp_attr", NULL, RTP_SIDE_LAN, "application/sdp" },
	{ "multipart", NULL, RTP_SIDE_LAN, "multipart/mixed;boundary=unique-boundary-1" },
};

START_TEST(test_golden)
{
	const struct golden *g = &goldens[_i];
	char *out = NULL;
	size_t len;

	if (g->prelude != NULL) {
		ck_assert_int_eq(run(g->prelude, "golden", !g->from, "application/sdp", &out, &len), SDP_RW_OK);
		free(out);
	}
	ck_assert_int_eq(run(g->name, "golden", g->from, g->ctype, &out, &len), SDP_RW_OK);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(len, strlen(out));
	char *tmpl = load(g->name, "out");
	char *want = expand(tmpl, "golden", !g->from);
	ck_assert_msg(strcmp(out, want) == 0, "%s: got\n%s\nwant\n%s", g->name, out, want);
	free(tmpl);
	free(want);
	free(out);
}
END_TEST

START_TEST(test_sdp_errors)
{
	static const char *const bad[] = { "ipv6", "garbage", "no_conn", "hostname" };
	char *out = (char *)1;
	size_t len;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(run(bad[i], "bad", RTP_SIDE_LAN, "application/sdp", &out, &len), SDP_RW_ERR_SDP);
		ck_assert_ptr_null(out);
	}
	ck_assert_uint_eq(rtp_relay_session_count(relay), 0);
	/* a NUL inside the body is not SDP either */
	struct sdp_rw_msg msg = { .call_id = "nul", .leg = "leg", .from = RTP_SIDE_LAN,
		.body = "v=0\r\n\0o=x\r\n", .len = 11 };
	ck_assert_int_eq(sdp_rewrite(relay, &msg, &out, &len), SDP_RW_ERR_SDP);
}
END_TEST

START_TEST(test_pool_exhausted)
{
	char *out = (char *)1;
	size_t len;

	teardown();
	relay_start(46500, 46501);   /* one pair: enough for one m= line, not for two */
	ck_assert_int_eq(run("two_mlines", "pool", RTP_SIDE_LAN, "application/sdp", &out, &len), SDP_RW_ERR_POOL);
	ck_assert_ptr_null(out);
	ck_assert_uint_eq(rtp_relay_session_count(relay), 0);
	ck_assert_uint_eq(rtp_relay_ports_free(relay), 1);
	/* with one m= line it fits */
	ck_assert_int_eq(run("offer_lan", "pool", RTP_SIDE_LAN, "application/sdp", &out, &len), SDP_RW_OK);
	free(out);
}
END_TEST

START_TEST(test_no_sdp)
{
	char *out;
	size_t len;
	struct sdp_rw_msg msg = { .call_id = "x", .leg = "leg", .from = RTP_SIDE_LAN,
		.content_type = "text/plain", .body = "hello", .len = 5 };

	ck_assert_int_eq(sdp_rewrite(relay, &msg, &out, &len), SDP_RW_NONE);
	msg.content_type = "application/sdp";
	msg.len = 0;
	ck_assert_int_eq(sdp_rewrite(relay, &msg, &out, &len), SDP_RW_NONE);
	msg.content_type = "multipart/mixed; boundary=\"zz\"";
	msg.body = "--zz\r\nContent-Type: text/plain\r\n\r\nhi\r\n--zz--\r\n";
	msg.len = strlen(msg.body);
	ck_assert_int_eq(sdp_rewrite(relay, &msg, &out, &len), SDP_RW_NONE);
	msg.content_type = "multipart/mixed";   /* no boundary */
	ck_assert_int_eq(sdp_rewrite(relay, &msg, &out, &len), SDP_RW_NONE);
	ck_assert_uint_eq(rtp_relay_session_count(relay), 0);
}
END_TEST

START_TEST(test_applies)
{
	ck_assert(sdp_rewrite_applies(true, "INVITE", 0, "INVITE"));
	ck_assert(sdp_rewrite_applies(true, "ACK", 0, "ACK"));
	ck_assert(sdp_rewrite_applies(true, "PRACK", 0, "PRACK"));
	ck_assert(sdp_rewrite_applies(true, "UPDATE", 0, "UPDATE"));
	ck_assert(!sdp_rewrite_applies(true, "MESSAGE", 0, "MESSAGE"));
	ck_assert(!sdp_rewrite_applies(true, "BYE", 0, "BYE"));
	ck_assert(sdp_rewrite_applies(false, NULL, 183, "INVITE"));
	ck_assert(sdp_rewrite_applies(false, NULL, 200, "UPDATE"));
	/* RFC 3262 §5: an offer in a PRACK is answered in its 200 */
	ck_assert(sdp_rewrite_applies(false, NULL, 200, "PRACK"));
	ck_assert(!sdp_rewrite_applies(false, NULL, 200, "MESSAGE"));
	ck_assert(!sdp_rewrite_applies(false, NULL, 488, "INVITE"));
	ck_assert(!sdp_rewrite_applies(false, NULL, 200, NULL));
}
END_TEST

START_TEST(test_retransmission_same_ports)
{
	char *a, *b;
	size_t la, lb;
	ck_assert_int_eq(run("offer_lan", "rt", RTP_SIDE_LAN, "application/sdp", &a, &la), SDP_RW_OK);
	ck_assert_int_eq(run("offer_lan", "rt", RTP_SIDE_LAN, "application/sdp", &b, &lb), SDP_RW_OK);
	ck_assert_str_eq(a, b);
	ck_assert_uint_eq(rtp_relay_session_count(relay), 1);
	free(a);
	free(b);
}
END_TEST

/*
 * Never crash on network input: mutated golden inputs (bytes flipped, cut short, lines
 * doubled) under ASan. Every result must be a status, and an error must leave no output.
 */
START_TEST(test_mutations)
{
	static const char *const names[] = { "offer_lan", "ice_removed", "rtcp_attr", "two_mlines", "multipart" };
	static const char *const junk = "\r\n\0 =:/0123456789abcmIP46.-";
	uint32_t rnd = 12345;

	for (int iter = 0; iter < 3000; iter++) {
		size_t which = (size_t)iter % (sizeof(names) / sizeof(names[0]));
		char *in = load(names[which], "in");
		size_t len = strlen(in);
		for (int k = 0; k < 1 + iter % 4; k++) {
			rnd = rnd * 1103515245u + 12345u;
			size_t pos = (rnd >> 8) % (len + 1);
			if (pos < len)
				in[pos] = junk[(rnd >> 20) % strlen(junk)];
			else
				len = (rnd >> 20) % (len + 1);    /* cut short */
		}
		char cid[32];
		snprintf(cid, sizeof(cid), "m%d", iter % 7);   /* some calls see several SDPs */
		struct sdp_rw_msg msg = { .call_id = cid, .leg = "leg", .from = (enum rtp_side)(iter & 1),
			.content_type = which == 4 ? "multipart/mixed;boundary=unique-boundary-1" : "application/sdp",
			.body = in, .len = len };
		char *out = (char *)1;
		size_t out_len = 0;
		enum sdp_rw_status st = sdp_rewrite(relay, &msg, &out, &out_len);
		ck_assert(st == SDP_RW_OK || st == SDP_RW_NONE || st == SDP_RW_ERR_SDP || st == SDP_RW_ERR_POOL);
		if (st == SDP_RW_OK)
			ck_assert_uint_eq(strlen(out), out_len);
		else
			ck_assert_ptr_null(out);
		free(out);
		free(in);
	}
}
END_TEST

int main(void)
{
	log_set_stderr(getenv("TEST_LOG") != NULL);
	Suite *s = suite_create("sdp_rewrite");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_golden, 0, (int)(sizeof(goldens) / sizeof(goldens[0])));
	tcase_add_test(tc, test_sdp_errors);
	tcase_add_test(tc, test_pool_exhausted);
	tcase_add_test(tc, test_no_sdp);
	tcase_add_test(tc, test_applies);
	tcase_add_test(tc, test_retransmission_same_ports);
	tcase_add_test(tc, test_mutations);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
