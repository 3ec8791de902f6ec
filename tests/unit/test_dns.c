/* Unit tests for dns.c against a small fake DNS server on 127.0.0.1 served by the same event loop. */
#include "build_config.h"

#include "dns.h"
#include "event_loop.h"
#include "log.h"

#include <arpa/inet.h>
#include <check.h>
#include <ctype.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "unit_run.h"

/* ---- the fake server ---- */

enum { RR_A = 1, RR_SRV = 33 };

struct rr {
	const char *name;
	int type;
	uint32_t ttl;
	const char *addr;                 /* A */
	uint16_t prio, weight, port;      /* SRV */
	const char *target;
};

#define A_RR(n, t, a) { .name = (n), .type = RR_A, .ttl = (t), .addr = (a) }
#define SRV_RR(n, t, p, w, port_, tgt) \
	{ .name = (n), .type = RR_SRV, .ttl = (t), .prio = (p), .weight = (w), .port = (port_), .target = (tgt) }

static const struct rr zone[] = {
	A_RR("a.test", 60, "10.0.0.1"),
	A_RR("a.test", 60, "10.0.0.2"),
	A_RR("short.test", 1, "10.0.0.7"),
	A_RR("plain.test", 60, "10.0.0.3"),
	A_RR("srv.test", 60, "10.0.0.9"),
	SRV_RR("_sip._udp.srv.test", 60, 20, 0, 5072, "t2.test"),
	SRV_RR("_sip._udp.srv.test", 60, 10, 0, 5071, "t1.test"),
	SRV_RR("_sip._tcp.srv.test", 60, 10, 0, 5073, "t2.test"),
	A_RR("t1.test", 60, "10.0.1.1"),
	A_RR("t2.test", 60, "10.0.1.2"),
	SRV_RR("_sip._udp.weighted.test", 60, 10, 50, 5080, "t1.test"),
	SRV_RR("_sip._udp.weighted.test", 60, 10, 50, 5081, "t2.test"),
	SRV_RR("_sip._udp.deadsrv.test", 60, 10, 0, 5060, "nx.test"),
	SRV_RR("_sip._udp.closed.test", 60, 0, 0, 0, ""),
	A_RR("b.test", 60, "10.0.0.11"),
	A_RR("c.test", 60, "10.0.0.12"),
};

struct qcount {
	char name[256];
	int type;
	int n;
};

static struct {
	int fd;
	uint16_t port;
	struct qcount counts[64];
	size_t ncounts;
	int total;
	int drop;               /* leave this many queries unanswered */
} fake;

static int queries_for(const char *name, int type)
{
	for (size_t i = 0; i < fake.ncounts; i++)
		if (strcmp(fake.counts[i].name, name) == 0 && fake.counts[i].type == type)
			return fake.counts[i].n;
	return 0;
}

static void count_query(const char *name, int type)
{
	fake.total++;
	for (size_t i = 0; i < fake.ncounts; i++)
		if (strcmp(fake.counts[i].name, name) == 0 && fake.counts[i].type == type) {
			fake.counts[i].n++;
			return;
		}
	if (fake.ncounts == 64)
		return;                 /* only the first 64 names are counted one by one */
	snprintf(fake.counts[fake.ncounts].name, sizeof(fake.counts[0].name), "%s", name);
	fake.counts[fake.ncounts].type = type;
	fake.counts[fake.ncounts++].n = 1;
}

static size_t put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
	return 2;
}

static size_t put32(unsigned char *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
	return 4;
}

/* Dotted name → DNS labels; "" is the root. */
static size_t put_name(unsigned char *p, const char *name)
{
	size_t n = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);
		p[n++] = (unsigned char)len;
		memcpy(p + n, name, len);
		n += len;
		name += len + (dot ? 1 : 0);
	}
	p[n++] = 0;
	return n;
}

static void on_fake_query(struct event_loop *el, int fd, unsigned events, void *ud)
{
	unsigned char q[512], r[1024];
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	ssize_t len = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);
	char name[256];
	size_t p = 12, n = 0;

	if (len < 17)
		return;
	while (p < (size_t)len && q[p] != 0) {          /* question name */
		size_t l = q[p++];
		if (n)
			name[n++] = '.';
		for (size_t i = 0; i < l && p < (size_t)len; i++)
			name[n++] = (char)tolower(q[p++]);
	}
	name[n] = '\0';
	p++;
	int qtype = q[p] << 8 | q[p + 1];
	size_t qend = p + 4;
	count_query(name, qtype);
	if (fake.drop > 0) {
		fake.drop--;
		return;
	}

	bool exists = false;
	unsigned an = 0;
	size_t o = qend;
	memcpy(r, q, qend);
	for (size_t i = 0; i < sizeof(zone) / sizeof(zone[0]); i++) {
		if (strcmp(zone[i].name, name) != 0)
			continue;
		exists = true;
		if (zone[i].type != qtype)
			continue;
		an++;
		o += put16(r + o, 0xc00c);
		o += put16(r + o, (unsigned)qtype);
		o += put16(r + o, 1);
		o += put32(r + o, zone[i].ttl);
		if (qtype == RR_A) {
			o += put16(r + o, 4);
			inet_pton(AF_INET, zone[i].addr, r + o);
			o += 4;
		} else {
			unsigned char rdata[300];
			size_t rl = put16(rdata, zone[i].prio);
			rl += put16(rdata + rl, zone[i].weight);
			rl += put16(rdata + rl, zone[i].port);
			rl += put_name(rdata + rl, zone[i].target);
			o += put16(r + o, (unsigned)rl);
			memcpy(r + o, rdata, rl);
			o += rl;
		}
	}
	r[2] = 0x81;                                   /* QR, RD */
	r[3] = (unsigned char)(0x80 | (exists ? 0 : 3)); /* RA, NOERROR / NXDOMAIN */
	put16(r + 4, 1);
	put16(r + 6, an);
	put16(r + 8, 0);
	put16(r + 10, 0);
	sendto(fd, r, o, 0, (struct sockaddr *)&from, flen);
}

/* ---- fixture ---- */

static struct event_loop *el;
static struct dns *dns;
static uint64_t fake_now;

static uint64_t test_clock(void *ud) { return fake_now; }

static void fake_start(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);

	memset(&fake, 0, sizeof(fake));
	fake.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(fake.fd, 0);
	ck_assert_int_eq(bind(fake.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fake.fd, (struct sockaddr *)&sa, &len), 0);
	fake.port = ntohs(sa.sin_port);
	ck_assert_int_eq(el_fd_add(el, fake.fd, EL_READ, on_fake_query, NULL), 0);
}

static struct dns *make_dns(size_t max_pending)
{
	char csv[64];
	struct dns *d = dns_create(el, max_pending);

	ck_assert_ptr_nonnull(d);
	snprintf(csv, sizeof(csv), "127.0.0.1:%u", fake.port);
	ck_assert_int_eq(dns_set_servers(d, csv), 0);
	dns_set_clock(d, test_clock, NULL);
	return d;
}

static void setup(void)
{
	el = el_create();
	ck_assert_ptr_nonnull(el);
	fake_start();
	fake_now = 1000000;
	dns = make_dns(16);
}

static void teardown(void)
{
	dns_destroy(dns);
	el_fd_del(el, fake.fd);
	close(fake.fd);
	el_destroy(el);
}

struct result {
	int calls;
	int status;
	size_t n;
	struct dns_target t[8];
	struct dns_query *cancel_me;   /* cancelled from inside the callback */
	const char *then_resolve;      /* looked up from inside the callback, answer into *then */
	struct result *then;
};

static void on_result(void *ud, int status, const struct dns_target *t, size_t n)
{
	struct result *r = ud;

	r->calls++;
	r->status = status;
	r->n = n;
	for (size_t i = 0; i < n && i < 8; i++)
		r->t[i] = t[i];
	if (r->cancel_me)
		dns_cancel(r->cancel_me);
	if (r->then_resolve)
		dns_resolve_host(dns, r->then_resolve, 9, on_result, r->then);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Runs the loop until *calls reaches want or max_ms pass. */
static void run_until_ms(const int *calls, int want, int max_ms)
{
	uint64_t end = mono_ms() + (uint64_t)max_ms;

	while (*calls < want && mono_ms() < end)
		el_run_once(el, 50);
	ck_assert_int_eq(*calls, want);
}

static void run_until(const int *calls, int want) { run_until_ms(calls, want, 2000); }

/* Runs the loop for about ms milliseconds. */
static void run_for(int ms)
{
	uint64_t end = mono_ms() + (uint64_t)ms;

	while (mono_ms() < end)
		el_run_once(el, 10);
}

static void assert_target(const struct result *r, size_t i, const char *addr, uint16_t port)
{
	char buf[INET_ADDRSTRLEN];

	ck_assert_uint_lt(i, r->n);
	inet_ntop(AF_INET, &r->t[i].addr, buf, sizeof(buf));
	ck_assert_str_eq(buf, addr);
	ck_assert_uint_eq(r->t[i].port, port);
}

/* Starts a lookup that must go to the network, waits for its answer and checks status and count. */
static void resolve_wait(const char *host, uint16_t port, bool sip, enum dns_proto proto, struct result *r,
			 int status, size_t n)
{
	memset(r, 0, sizeof(*r));
	struct dns_query *q = sip ? dns_resolve_sip(dns, host, port, proto, on_result, r)
				  : dns_resolve_host(dns, host, port, on_result, r);
	ck_assert_ptr_nonnull(q);
	run_until(&r->calls, 1);
	ck_assert_int_eq(r->status, status);
	ck_assert_uint_eq(r->n, n);
}

/* ---- tests ---- */

START_TEST(literal_address)
{
	struct result r = { 0 };

	ck_assert_ptr_null(dns_resolve_host(dns, "192.0.2.1", 5070, on_result, &r));
	ck_assert_int_eq(r.calls, 1);
	ck_assert_int_eq(r.status, 0);
	assert_target(&r, 0, "192.0.2.1", 5070);

	memset(&r, 0, sizeof(r));
	ck_assert_ptr_null(dns_resolve_sip(dns, "192.0.2.2", 0, DNS_PROTO_UDP, on_result, &r));
	ck_assert_int_eq(r.calls, 1);
	assert_target(&r, 0, "192.0.2.2", 5060);
	run_for(20);
	ck_assert_int_eq(fake.total, 0);
}
END_TEST

START_TEST(a_records)
{
	struct result r = { 0 };

	ck_assert_ptr_nonnull(dns_resolve_host(dns, "A.Test", 5080, on_result, &r));
	ck_assert_uint_eq(dns_pending(dns), 1);
	run_until(&r.calls, 1);
	ck_assert_int_eq(r.status, 0);
	ck_assert_uint_eq(r.n, 2);
	assert_target(&r, 0, "10.0.0.1", 5080);
	assert_target(&r, 1, "10.0.0.2", 5080);
	ck_assert_uint_eq(dns_pending(dns), 0);
	ck_assert_int_eq(queries_for("a.test", RR_A), 1);
}
END_TEST

START_TEST(srv_two_targets_in_priority_order)
{
	struct result r = { 0 };

	resolve_wait("srv.test", 0, true, DNS_PROTO_UDP, &r, 0, 2);
	assert_target(&r, 0, "10.0.1.1", 5071);
	assert_target(&r, 1, "10.0.1.2", 5072);
	ck_assert_int_eq(queries_for("_sip._udp.srv.test", RR_SRV), 1);
	ck_assert_int_eq(queries_for("srv.test", RR_A), 0);

	/* TCP asks for _sip._tcp */
	resolve_wait("srv.test", 0, true, DNS_PROTO_TCP, &r, 0, 1);
	assert_target(&r, 0, "10.0.1.2", 5073);
	ck_assert_int_eq(queries_for("_sip._tcp.srv.test", RR_SRV), 1);
}
END_TEST

START_TEST(srv_equal_priority_uses_both)
{
	struct result r = { 0 };

	resolve_wait("weighted.test", 0, true, DNS_PROTO_UDP, &r, 0, 2);
	ck_assert(r.t[0].port + r.t[1].port == 5080 + 5081);

	/* equal weights: over 64 cached answers each target comes first at least once (RFC 2782) */
	int first_5080 = 0;
	for (int i = 0; i < 64; i++) {
		ck_assert_ptr_null(dns_resolve_sip(dns, "weighted.test", 0, DNS_PROTO_UDP, on_result, &r));
		first_5080 += r.t[0].port == 5080;
	}
	ck_assert_int_gt(first_5080, 0);
	ck_assert_int_lt(first_5080, 64);
}
END_TEST

START_TEST(srv_absent_falls_back_to_a)
{
	struct result r = { 0 };

	resolve_wait("plain.test", 0, true, DNS_PROTO_UDP, &r, 0, 1);
	assert_target(&r, 0, "10.0.0.3", 5060);
	ck_assert_int_eq(queries_for("_sip._udp.plain.test", RR_SRV), 1);
	ck_assert_int_eq(queries_for("plain.test", RR_A), 1);
}
END_TEST

START_TEST(srv_targets_failing_or_refused)
{
	struct result r = { 0 };

	/* SRV exists but its only target does not resolve: no fallback to A (RFC 3263) */
	resolve_wait("deadsrv.test", 0, true, DNS_PROTO_UDP, &r, -1, 0);
	ck_assert_int_eq(queries_for("deadsrv.test", RR_A), 0);

	/* target "." : the service is not offered */
	resolve_wait("closed.test", 0, true, DNS_PROTO_UDP, &r, -1, 0);
}
END_TEST

START_TEST(explicit_port_skips_srv)
{
	struct result r = { 0 };

	resolve_wait("srv.test", 5090, true, DNS_PROTO_UDP, &r, 0, 1);
	assert_target(&r, 0, "10.0.0.9", 5090);
	ck_assert_int_eq(queries_for("_sip._udp.srv.test", RR_SRV), 0);
}
END_TEST

START_TEST(cache_hit_and_expiry)
{
	struct result r = { 0 };

	resolve_wait("a.test", 1, false, DNS_PROTO_UDP, &r, 0, 2);
	ck_assert_uint_eq(dns_cache_size(dns), 1);

	/* answered from the cache, synchronously, without a query */
	fake_now += 59000;
	ck_assert_ptr_null(dns_resolve_host(dns, "a.test", 2, on_result, &r));
	ck_assert_int_eq(r.calls, 2);
	ck_assert_uint_eq(r.n, 2);
	assert_target(&r, 0, "10.0.0.1", 2);
	run_for(20);
	ck_assert_int_eq(queries_for("a.test", RR_A), 1);

	/* TTL 60 s is over */
	fake_now += 2000;
	ck_assert_ptr_nonnull(dns_resolve_host(dns, "a.test", 3, on_result, &r));
	run_until(&r.calls, 3);
	ck_assert_int_eq(queries_for("a.test", RR_A), 2);

	/* a 1 s TTL is held for the 5 s minimum */
	ck_assert_ptr_nonnull(dns_resolve_host(dns, "short.test", 3, on_result, &r));
	run_until(&r.calls, 4);
	fake_now += 4000;
	ck_assert_ptr_null(dns_resolve_host(dns, "short.test", 3, on_result, &r));
	ck_assert_int_eq(r.calls, 5);
	fake_now += 1500;
	ck_assert_ptr_nonnull(dns_resolve_host(dns, "short.test", 3, on_result, &r));
	run_until(&r.calls, 6);
	ck_assert_int_eq(queries_for("short.test", RR_A), 2);

	/* SRV answers and the targets' addresses are cached too */
	ck_assert_ptr_nonnull(dns_resolve_sip(dns, "srv.test", 0, DNS_PROTO_UDP, on_result, &r));
	run_until(&r.calls, 7);
	ck_assert_ptr_null(dns_resolve_sip(dns, "srv.test", 0, DNS_PROTO_UDP, on_result, &r));
	ck_assert_int_eq(r.calls, 8);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_int_eq(queries_for("_sip._udp.srv.test", RR_SRV), 1);
	ck_assert_int_eq(queries_for("t1.test", RR_A), 1);
	fake_now += 61000;   /* the SRV records' own TTL (60 s) */
	ck_assert_ptr_nonnull(dns_resolve_sip(dns, "srv.test", 0, DNS_PROTO_UDP, on_result, &r));
	run_until(&r.calls, 9);
	ck_assert_int_eq(queries_for("_sip._udp.srv.test", RR_SRV), 2);
}
END_TEST

START_TEST(nxdomain_and_negative_cache)
{
	struct result r = { 0 };

	resolve_wait("nx.test", 5060, false, DNS_PROTO_UDP, &r, -1, 0);
	int first = queries_for("nx.test", RR_A);
	ck_assert_int_ge(first, 1);

	fake_now += 29000;
	ck_assert_ptr_null(dns_resolve_host(dns, "nx.test", 5060, on_result, &r));
	ck_assert_int_eq(r.calls, 2);
	ck_assert_int_eq(r.status, -1);
	run_for(20);
	ck_assert_int_eq(queries_for("nx.test", RR_A), first);

	fake_now += 2000;
	ck_assert_ptr_nonnull(dns_resolve_host(dns, "nx.test", 5060, on_result, &r));
	run_until(&r.calls, 3);
	ck_assert_int_gt(queries_for("nx.test", RR_A), first);
}
END_TEST

START_TEST(concurrent_identical_share_one_query)
{
	struct result r1 = { 0 }, r2 = { 0 }, r3 = { 0 };

	ck_assert_ptr_nonnull(dns_resolve_host(dns, "a.test", 1, on_result, &r1));
	ck_assert_ptr_nonnull(dns_resolve_host(dns, "a.test", 2, on_result, &r2));
	ck_assert_ptr_nonnull(dns_resolve_sip(dns, "a.test", 3, DNS_PROTO_UDP, on_result, &r3));
	ck_assert_uint_eq(dns_pending(dns), 3);
	run_until(&r3.calls, 1);
	ck_assert_int_eq(r1.calls, 1);
	ck_assert_int_eq(r2.calls, 1);
	assert_target(&r1, 0, "10.0.0.1", 1);
	assert_target(&r2, 0, "10.0.0.1", 2);
	assert_target(&r3, 1, "10.0.0.2", 3);
	ck_assert_int_eq(queries_for("a.test", RR_A), 1);
	ck_assert_uint_eq(dns_pending(dns), 0);
}
END_TEST

START_TEST(cancel)
{
	struct result r = { 0 }, other = { 0 };

	struct dns_query *q = dns_resolve_host(dns, "a.test", 1, on_result, &r);
	ck_assert_ptr_nonnull(q);
	ck_assert_ptr_nonnull(dns_resolve_host(dns, "plain.test", 1, on_result, &other));
	dns_cancel(q);
	ck_assert_uint_eq(dns_pending(dns), 1);
	run_until(&other.calls, 1);
	run_for(50);
	ck_assert_int_eq(queries_for("a.test", RR_A), 1);
	ck_assert_int_eq(r.calls, 0);
	ck_assert_uint_eq(dns_pending(dns), 0);

	/* cancelled by another callback while the same answer is being handed out */
	struct result first = { 0 }, second = { 0 };
	fake_now += 3600 * 1000;
	struct dns_query *q1 = dns_resolve_host(dns, "b.test", 1, on_result, &first);
	struct dns_query *q2 = dns_resolve_host(dns, "b.test", 2, on_result, &second);
	ck_assert_ptr_nonnull(q1);
	ck_assert_ptr_nonnull(q2);
	first.cancel_me = q2;
	second.cancel_me = q1;
	uint64_t end = mono_ms() + 2000;
	while (first.calls + second.calls == 0 && mono_ms() < end)
		el_run_once(el, 50);
	run_for(20);
	ck_assert_int_eq(first.calls + second.calls, 1);
	ck_assert_uint_eq(dns_pending(dns), 0);

	/* a SIP query cancelled while its SRV targets are being resolved (fresh cache) */
	fake_now += 3600 * 1000;
	struct result s = { 0 };
	struct dns_query *qs = dns_resolve_sip(dns, "srv.test", 0, DNS_PROTO_UDP, on_result, &s);
	ck_assert_ptr_nonnull(qs);
	end = mono_ms() + 2000;
	while (queries_for("t1.test", RR_A) == 0 && mono_ms() < end)
		el_run_once(el, 5);
	dns_cancel(qs);
	run_for(50);
	ck_assert_int_eq(s.calls, 0);
}
END_TEST

START_TEST(resolve_from_a_callback)
{
	/* The answer being handed out is already cached; another name starts its own lookup. */
	struct result first = { 0 }, same = { 0 }, other = { 0 }, r2 = { 0 };

	first.then_resolve = "a.test";
	first.then = &same;
	r2.then_resolve = "plain.test";
	r2.then = &other;
	ck_assert_ptr_nonnull(dns_resolve_host(dns, "a.test", 1, on_result, &first));
	ck_assert_ptr_nonnull(dns_resolve_host(dns, "a.test", 2, on_result, &r2));
	run_until(&first.calls, 1);
	ck_assert_int_eq(same.calls, 1);
	ck_assert_uint_eq(same.n, 2);
	run_until(&other.calls, 1);
	assert_target(&other, 0, "10.0.0.3", 9);
	ck_assert_int_eq(queries_for("a.test", RR_A), 1);
	ck_assert_uint_eq(dns_pending(dns), 0);
}
END_TEST

START_TEST(cache_is_bounded)
{
	/* 4096 entries at most (DNS_CACHE_MAX); the one stored first goes first. */
	struct result r = { 0 };
	char name[32];

	for (int i = 0; i <= 4096; i++) {
		snprintf(name, sizeof(name), "n%d.test", i);
		resolve_wait(name, 1, false, DNS_PROTO_UDP, &r, -1, 0);
	}
	ck_assert_uint_eq(dns_cache_size(dns), 4096);
	ck_assert_ptr_null(dns_resolve_host(dns, "n4096.test", 1, on_result, &r));   /* still cached */
	resolve_wait("n0.test", 1, false, DNS_PROTO_UDP, &r, -1, 0);                  /* evicted */
	ck_assert_int_eq(queries_for("n0.test", RR_A), 2);
	ck_assert_int_eq(queries_for("n1.test", RR_A), 1);
	ck_assert_uint_eq(dns_cache_size(dns), 4096);
}
END_TEST

START_TEST(max_pending)
{
	struct dns *small = make_dns(2);
	struct result r1 = { 0 }, r2 = { 0 }, r3 = { 0 }, r4 = { 0 }, r5 = { 0 };

	ck_assert_ptr_nonnull(dns_resolve_host(small, "a.test", 1, on_result, &r1));
	ck_assert_ptr_nonnull(dns_resolve_host(small, "b.test", 1, on_result, &r2));
	ck_assert_uint_eq(dns_pending(small), 2);
	ck_assert_ptr_null(dns_resolve_host(small, "c.test", 1, on_result, &r3));
	ck_assert_int_eq(r3.calls, 1);
	ck_assert_int_eq(r3.status, -1);
	/* an answer already cached does not need a slot */
	ck_assert_ptr_null(dns_resolve_host(small, "10.1.1.1", 1, on_result, &r4));
	ck_assert_int_eq(r4.status, 0);
	run_until(&r2.calls, 1);
	run_until(&r1.calls, 1);
	ck_assert_uint_eq(dns_pending(small), 0);
	ck_assert_ptr_nonnull(dns_resolve_host(small, "c.test", 1, on_result, &r5));
	run_until(&r5.calls, 1);
	ck_assert_int_eq(r5.status, 0);
	ck_assert_int_eq(queries_for("c.test", RR_A), 1);
	dns_destroy(small);
}
END_TEST

START_TEST(hosts_file_and_bad_names)
{
	struct result r = { 0 };

	/* /etc/hosts is read before DNS */
	struct dns_query *q = dns_resolve_host(dns, "localhost", 7, on_result, &r);
	if (q)
		run_until(&r.calls, 1);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_int_eq(r.status, 0);
	assert_target(&r, 0, "127.0.0.1", 7);
	ck_assert_int_eq(queries_for("localhost", RR_A), 0);

	memset(&r, 0, sizeof(r));
	ck_assert_ptr_null(dns_resolve_host(dns, "bad name\n.test", 1, on_result, &r));
	ck_assert_int_eq(r.status, -1);
	ck_assert_ptr_null(dns_resolve_host(dns, "", 1, on_result, &r));
	ck_assert_int_eq(r.calls, 2);
	char longname[400];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_ptr_null(dns_resolve_sip(dns, longname, 0, DNS_PROTO_UDP, on_result, &r));
	ck_assert_int_eq(r.calls, 3);
	ck_assert_int_eq(fake.total, 0);
}
END_TEST

START_TEST(destroy_with_pending_queries)
{
	struct dns *d = make_dns(8);
	struct result r1 = { 0 }, r2 = { 0 };

	ck_assert_ptr_nonnull(dns_resolve_host(d, "a.test", 1, on_result, &r1));
	ck_assert_ptr_nonnull(dns_resolve_sip(d, "srv.test", 0, DNS_PROTO_UDP, on_result, &r2));
	dns_destroy(d);
	run_for(50);
	ck_assert_int_eq(r1.calls + r2.calls, 0);
	ck_assert_uint_eq(el_timer_count(el), 0);
}
END_TEST

START_TEST(lost_answer_is_retried)
{
	/* Nothing comes back for the first query: c-ares' retry timer, run by the loop, asks again. */
	struct result r = { 0 };

	fake.drop = 1;
	ck_assert_ptr_nonnull(dns_resolve_host(dns, "a.test", 1, on_result, &r));
	ck_assert_uint_ge(el_timer_count(el), 1);
	run_until_ms(&r.calls, 1, 12000);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(queries_for("a.test", RR_A), 2);
}
END_TEST

static Suite *dns_suite(void)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, literal_address);
	tcase_add_test(tc, a_records);
	tcase_add_test(tc, srv_two_targets_in_priority_order);
	tcase_add_test(tc, srv_equal_priority_uses_both);
	tcase_add_test(tc, srv_absent_falls_back_to_a);
	tcase_add_test(tc, srv_targets_failing_or_refused);
	tcase_add_test(tc, explicit_port_skips_srv);
	tcase_add_test(tc, cache_hit_and_expiry);
	tcase_add_test(tc, nxdomain_and_negative_cache);
	tcase_add_test(tc, concurrent_identical_share_one_query);
	tcase_add_test(tc, cancel);
	tcase_add_test(tc, resolve_from_a_callback);
	tcase_add_test(tc, cache_is_bounded);
	tcase_add_test(tc, max_pending);
	tcase_add_test(tc, hosts_file_and_bad_names);
	tcase_add_test(tc, destroy_with_pending_queries);
	tcase_add_test(tc, lost_answer_is_retried);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(dns_suite());
}
