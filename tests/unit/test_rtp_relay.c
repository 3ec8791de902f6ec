/* Unit tests of the RTP relay over loopback: forwarding, latching, offer/answer, teardown, dejitter. */
#include "build_config.h"

#include "config.h"
#include "event_loop.h"
#include "log.h"
#include "rtp_relay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <check.h>
#include <stdbool.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "unit_run.h"

#define PORT_LOW 46100
#define PORT_HIGH 46199

static struct event_loop *el;
static struct rtp_relay *relay;
static struct config cfg;

static struct in_addr ip(const char *s)
{
	struct in_addr a;
	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void relay_start(void)
{
	struct rtp_relay_addrs addrs = {
		.inbound = ip("127.0.0.1"), .outbound = ip("127.0.0.2"), .public_addr = ip("203.0.113.7"),
	};
	el = el_create();
	ck_assert_ptr_nonnull(el);
	relay = rtp_relay_create(el, &cfg, &addrs);
	ck_assert_ptr_nonnull(relay);
}

static void setup(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.rtp_port_low = PORT_LOW;
	cfg.rtp_port_high = PORT_HIGH;
}

static void teardown(void)
{
	rtp_relay_destroy(relay);
	relay = NULL;
	el_destroy(el);
	el = NULL;
}

/* A phone's socket on addr; port 0 lets the kernel choose. */
static int phone(const char *addr, uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = ip(addr) };
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	socklen_t len = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void send_to(int fd, const char *addr, uint16_t port, const void *buf, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = ip(addr), .sin_port = htons(port) };
	ck_assert_int_eq(sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)), (ssize_t)len);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void pump(unsigned ms)
{
	uint64_t end = now_ms() + ms;
	while (now_ms() < end)
		el_run_once(el, 5);
}

/* Runs the loop until fd has a datagram (at most wait_ms); returns its length or -1. */
static ssize_t expect(int fd, void *buf, size_t size, struct sockaddr_in *src, unsigned wait_ms)
{
	uint64_t end = now_ms() + wait_ms;
	do {
		el_run_once(el, 5);
		socklen_t len = sizeof(*src);
		ssize_t n = recvfrom(fd, buf, size, 0, (struct sockaddr *)src, &len);
		if (n >= 0)
			return n;
	} while (now_ms() < end);
	return -1;
}

/* Sends payload from `from` to the relay's port at relay_ip; true when it reaches `to` in time. */
static bool passes(int from, const char *relay_ip, uint16_t port, int to, const char *payload, unsigned wait_ms)
{
	char buf[256];
	struct sockaddr_in src;
	size_t len = strlen(payload);
	send_to(from, relay_ip, port, payload, len);
	ssize_t n = expect(to, buf, sizeof(buf), &src, wait_ms);
	return n == (ssize_t)len && memcmp(buf, payload, len) == 0;
}

static struct rtp_media media(const char *addr, uint16_t port)
{
	struct rtp_media m = { .enabled = true, .addr = ip(addr), .rtp_port = port };
	return m;
}

/* An agreed call between a LAN phone at 127.0.0.10 and a WAN peer at 127.0.0.20. */
struct call {
	int lan, wan;                 /* the phones' sockets */
	uint16_t lan_port, wan_port;  /* their ports, as their SDP says */
	uint16_t port;                /* the relay's, the same on both sides */
};

static struct call call_up(const char *cid)
{
	struct call c;
	uint16_t p2;
	c.lan = phone("127.0.0.10", &c.lan_port);
	c.wan = phone("127.0.0.20", &c.wan_port);
	struct rtp_media m = media("127.0.0.10", c.lan_port);
	ck_assert_int_eq(rtp_relay_sdp(relay, cid, "a", RTP_SIDE_LAN, &m, 1, &c.port), 0);
	m = media("127.0.0.20", c.wan_port);
	ck_assert_int_eq(rtp_relay_sdp(relay, cid, "a", RTP_SIDE_WAN, &m, 1, &p2), 0);
	ck_assert_uint_ge(c.port, PORT_LOW);
	ck_assert_uint_le(c.port, PORT_HIGH);
	ck_assert_uint_eq(c.port, p2);   /* different bind addresses: one pair serves both sides */
	return c;
}

static void call_down(struct call *c)
{
	close(c->lan);
	close(c->wan);
}

START_TEST(test_both_ways)
{
	relay_start();
	struct call c = call_up("c1");
	char buf[256];
	struct sockaddr_in src;

	send_to(c.lan, "127.0.0.1", c.port, "hello-wan", 9);
	ck_assert_int_eq(expect(c.wan, buf, sizeof(buf), &src, 1000), 9);
	ck_assert_mem_eq(buf, "hello-wan", 9);
	ck_assert_str_eq(inet_ntoa(src.sin_addr), "127.0.0.2");
	ck_assert_uint_eq(ntohs(src.sin_port), c.port);

	send_to(c.wan, "127.0.0.2", c.port, "hi-lan", 6);
	ck_assert_int_eq(expect(c.lan, buf, sizeof(buf), &src, 1000), 6);
	ck_assert_str_eq(inet_ntoa(src.sin_addr), "127.0.0.1");
	ck_assert_uint_eq(ntohs(src.sin_port), c.port);

	struct rtp_session_info info;
	ck_assert_int_eq(rtp_relay_session_info(relay, "c1", "a", 0, &info), 0);
	ck_assert_uint_eq(info.from[RTP_SIDE_LAN].packets, 1);
	ck_assert_uint_eq(info.from[RTP_SIDE_LAN].bytes, 9);
	ck_assert_uint_eq(info.from[RTP_SIDE_LAN].relayed, 1);
	ck_assert_uint_eq(info.from[RTP_SIDE_WAN].packets, 1);
	ck_assert_uint_eq(info.from[RTP_SIDE_WAN].relayed, 1);
	ck_assert(info.latched[RTP_SIDE_LAN] && info.latched[RTP_SIDE_WAN]);
	call_down(&c);
}
END_TEST

START_TEST(test_rtcp)
{
	int lan, wan;
	relay_start();
	/* the RTCP sockets of the phones sit on their RTP port + 1, as the SDP implies */
	uint16_t p;
	struct rtp_media m = media("127.0.0.10", 46300);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = ip("127.0.0.20"), .sin_port = htons(46303) };
	wan = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert_int_eq(bind(wan, (struct sockaddr *)&sa, sizeof(sa)), 0);
	sa.sin_addr = ip("127.0.0.10");
	sa.sin_port = htons(46301);
	lan = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert_int_eq(bind(lan, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(rtp_relay_sdp(relay, "c2", "a", RTP_SIDE_LAN, &m, 1, &p), 0);
	m = media("127.0.0.20", 46302);
	ck_assert_int_eq(rtp_relay_sdp(relay, "c2", "a", RTP_SIDE_WAN, &m, 1, &p), 0);

	char buf[64];
	struct sockaddr_in src;
	send_to(wan, "127.0.0.2", (uint16_t)(p + 1), "rtcp", 4);
	ck_assert_int_eq(expect(lan, buf, sizeof(buf), &src, 1000), 4);
	ck_assert_uint_eq(ntohs(src.sin_port), p + 1);
	close(lan);
	close(wan);
}
END_TEST

START_TEST(test_latching_drops_others)
{
	uint16_t xp, yp;
	relay_start();
	struct call c = call_up("c3");
	int stranger = phone("127.0.0.99", &xp);
	int same_ip = phone("127.0.0.10", &yp);     /* the phone's address, another port */

	ck_assert(passes(c.lan, "127.0.0.1", c.port, c.wan, "one", 1000));
	send_to(stranger, "127.0.0.1", c.port, "evil", 4);
	ck_assert(!passes(same_ip, "127.0.0.1", c.port, c.wan, "evil", 200));
	ck_assert(passes(c.lan, "127.0.0.1", c.port, c.wan, "two", 1000));

	struct rtp_session_info info;
	ck_assert_int_eq(rtp_relay_session_info(relay, "c3", "a", 0, &info), 0);
	ck_assert_uint_eq(info.from[RTP_SIDE_LAN].drop_source, 2);
	ck_assert_uint_eq(info.from[RTP_SIDE_LAN].packets, 2);
	ck_assert_uint_eq(info.from[RTP_SIDE_LAN].relayed, 2);
	close(stranger);
	close(same_ip);
	call_down(&c);
}
END_TEST

/* A stranger sending before the real peer does not take the stream. */
START_TEST(test_stranger_first_not_latched)
{
	uint16_t xp;
	relay_start();
	struct call c = call_up("c3s");
	int stranger = phone("127.0.0.99", &xp);

	ck_assert(!passes(stranger, "127.0.0.2", c.port, c.lan, "evil", 200));
	ck_assert(passes(c.wan, "127.0.0.2", c.port, c.lan, "real", 1000));
	ck_assert(passes(c.lan, "127.0.0.1", c.port, c.wan, "back", 1000));

	struct rtp_session_info info;
	ck_assert_int_eq(rtp_relay_session_info(relay, "c3s", "a", 0, &info), 0);
	ck_assert_uint_eq(info.from[RTP_SIDE_WAN].drop_source, 1);
	ck_assert_uint_eq(ntohs(info.latched_addr[RTP_SIDE_WAN].sin_port), c.wan_port);
	close(stranger);
	call_down(&c);
}
END_TEST

/* c=0.0.0.0 from a side that was latched: nothing is sent to it until it names an address again. */
START_TEST(test_hold_overrides_latch)
{
	uint16_t q;
	relay_start();
	struct call c = call_up("c3h");

	ck_assert(passes(c.wan, "127.0.0.2", c.port, c.lan, "to-lan", 1000));
	ck_assert(passes(c.lan, "127.0.0.1", c.port, c.wan, "latch", 1000));
	struct rtp_media m = media("0.0.0.0", c.lan_port);
	ck_assert_int_eq(rtp_relay_sdp(relay, "c3h", "a", RTP_SIDE_LAN, &m, 1, &q), 0);
	ck_assert(passes(c.lan, "127.0.0.1", c.port, c.wan, "moh", 1000));   /* music on hold goes out */
	ck_assert(!passes(c.wan, "127.0.0.2", c.port, c.lan, "held", 200));
	m = media("127.0.0.10", c.lan_port);
	ck_assert_int_eq(rtp_relay_sdp(relay, "c3h", "a", RTP_SIDE_LAN, &m, 1, &q), 0);
	ck_assert(passes(c.wan, "127.0.0.2", c.port, c.lan, "resumed", 1000));
	call_down(&c);
}
END_TEST

START_TEST(test_latch_real_source)
{
	uint16_t sdp_port, real_port, wp, p;
	relay_start();
	int sdp_sock = phone("127.0.0.10", &sdp_port);   /* what the SDP claims */
	int real = phone("127.0.0.10", &real_port);      /* where the phone really sends from */
	int wan = phone("127.0.0.20", &wp);
	struct rtp_media m = media("127.0.0.10", sdp_port);
	ck_assert_int_eq(rtp_relay_sdp(relay, "c4", "a", RTP_SIDE_LAN, &m, 1, &p), 0);
	m = media("127.0.0.20", wp);
	ck_assert_int_eq(rtp_relay_sdp(relay, "c4", "a", RTP_SIDE_WAN, &m, 1, &p), 0);
	char buf[64];

	ck_assert(passes(real, "127.0.0.1", p, wan, "out", 1000));
	ck_assert(passes(wan, "127.0.0.2", p, real, "back", 1000));
	ck_assert_int_eq(recv(sdp_sock, buf, sizeof(buf), MSG_DONTWAIT), -1);
	close(sdp_sock);
	close(real);
	close(wan);
}
END_TEST

START_TEST(test_relatch_after_sdp_change)
{
	uint16_t np, q;
	relay_start();
	struct call c = call_up("c13");
	int moved = phone("127.0.0.10", &np);

	ck_assert(passes(c.lan, "127.0.0.1", c.port, c.wan, "a", 1000));
	ck_assert(!passes(moved, "127.0.0.1", c.port, c.wan, "b", 200));    /* latched elsewhere */
	/* a re-INVITE from the LAN phone moves its media to the new port: latched anew */
	struct rtp_media m = media("127.0.0.10", np);
	ck_assert_int_eq(rtp_relay_sdp(relay, "c13", "a", RTP_SIDE_LAN, &m, 1, &q), 0);
	ck_assert(passes(moved, "127.0.0.1", c.port, c.wan, "c", 1000));
	ck_assert(!passes(c.lan, "127.0.0.1", c.port, c.wan, "d", 200));
	close(moved);
	call_down(&c);
}
END_TEST

START_TEST(test_dscp)
{
	int on = 1;
	cfg.rtp_dscp = 46;    /* EF */
	relay_start();
	struct call c = call_up("c14");
	ck_assert_int_eq(setsockopt(c.wan, IPPROTO_IP, IP_RECVTOS, &on, sizeof(on)), 0);
	send_to(c.lan, "127.0.0.1", c.port, "tos", 3);

	char buf[64], cbuf[256];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	ssize_t n = -1;
	for (int i = 0; i < 200 && n < 0; i++) {
		el_run_once(el, 5);
		n = recvmsg(c.wan, &mh, MSG_DONTWAIT);
	}
	ck_assert_int_eq(n, 3);
	int tos = -1;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_TOS)
			tos = *(unsigned char *)CMSG_DATA(cm);
	ck_assert_int_eq(tos, 46 << 2);
	call_down(&c);
}
END_TEST

START_TEST(test_reinvite_keeps_ports)
{
	uint16_t q;
	relay_start();
	struct call c = call_up("c5");

	/* a retransmitted answer, then a re-INVITE from the WAN with a new port, and its answer */
	struct rtp_media m = media("127.0.0.20", c.wan_port);
	ck_assert_int_eq(rtp_relay_sdp(relay, "c5", "a", RTP_SIDE_WAN, &m, 1, &q), 0);
	ck_assert_uint_eq(q, c.port);
	m = media("127.0.0.20", (uint16_t)(c.wan_port + 10));
	ck_assert_int_eq(rtp_relay_sdp(relay, "c5", "a", RTP_SIDE_WAN, &m, 1, &q), 0);
	ck_assert_uint_eq(q, c.port);
	m = media("127.0.0.10", c.lan_port);
	ck_assert_int_eq(rtp_relay_sdp(relay, "c5", "a", RTP_SIDE_LAN, &m, 1, &q), 0);
	ck_assert_uint_eq(q, c.port);
	ck_assert_uint_eq(rtp_relay_session_count(relay), 1);
	call_down(&c);
}
END_TEST

START_TEST(test_failed_reinvite_keeps_media)
{
	uint16_t q, np;
	relay_start();
	struct call c = call_up("c6");
	int moved = phone("127.0.0.21", &np);
	char buf[64];

	ck_assert(passes(c.wan, "127.0.0.2", c.port, c.lan, "x", 1000));
	/* re-INVITE from the WAN moving its media, then rejected (say 488) */
	struct rtp_media m = media("127.0.0.21", np);
	ck_assert_int_eq(rtp_relay_sdp(relay, "c6", "a", RTP_SIDE_WAN, &m, 1, &q), 0);
	rtp_relay_offer_failed(relay, "c6", "a");
	ck_assert_uint_eq(rtp_relay_session_count(relay), 1);

	ck_assert(passes(c.lan, "127.0.0.1", c.port, c.wan, "still", 1000));
	ck_assert_int_eq(recv(moved, buf, sizeof(buf), MSG_DONTWAIT), -1);

	/* a session never answered ends when its offer fails (new m= line or initial INVITE) */
	m = media("127.0.0.10", c.lan_port);
	ck_assert_int_eq(rtp_relay_sdp(relay, "c7", "a", RTP_SIDE_LAN, &m, 1, &q), 0);
	ck_assert_uint_eq(rtp_relay_session_count(relay), 2);
	rtp_relay_offer_failed(relay, "c7", "a");
	ck_assert_uint_eq(rtp_relay_session_count(relay), 1);
	close(moved);
	call_down(&c);
}
END_TEST

START_TEST(test_bye_teardown)
{
	relay_start();
	size_t free0 = rtp_relay_ports_free(relay);
	struct call c = call_up("c8");
	ck_assert_uint_eq(rtp_relay_ports_free(relay), free0 - 1);
	rtp_relay_end(relay, "c8", "other-leg");    /* another leg: nothing */
	ck_assert_uint_eq(rtp_relay_session_count(relay), 1);
	rtp_relay_end(relay, "c8", "a");
	ck_assert_uint_eq(rtp_relay_session_count(relay), 0);
	ck_assert_uint_eq(rtp_relay_ports_free(relay), free0);
	ck_assert_int_eq(rtp_relay_session_info(relay, "c8", "a", 0, &(struct rtp_session_info){ 0 }), -1);
	call_down(&c);

	/* BYE without an answer: ended after the delay */
	c = call_up("c9");
	rtp_relay_end_later(relay, "c9", "a", 50);
	pump(10);
	ck_assert_uint_eq(rtp_relay_session_count(relay), 1);
	pump(150);
	ck_assert_uint_eq(rtp_relay_session_count(relay), 0);
	call_down(&c);
}
END_TEST

START_TEST(test_timeout_teardown)
{
	cfg.rtp_timeout = 1;
	relay_start();
	struct call c = call_up("c10");
	char buf[64];
	struct sockaddr_in src;

	/* traffic keeps it alive past the timeout */
	for (int i = 0; i < 4; i++) {
		pump(300);
		send_to(c.lan, "127.0.0.1", c.port, "k", 1);
		ck_assert_int_eq(expect(c.wan, buf, sizeof(buf), &src, 500), 1);
	}
	ck_assert_uint_eq(rtp_relay_session_count(relay), 1);
	/* packets from a stranger are dropped and do not keep it alive */
	uint16_t xp;
	int stranger = phone("127.0.0.99", &xp);
	for (int i = 0; i < 13; i++) {
		send_to(stranger, "127.0.0.1", c.port, "x", 1);
		pump(100);
	}
	close(stranger);
	ck_assert_uint_eq(rtp_relay_session_count(relay), 0);
	ck_assert_uint_eq(rtp_relay_ports_free(relay), (PORT_HIGH - PORT_LOW + 1) / 2);
	call_down(&c);
}
END_TEST

START_TEST(test_hold_timeout)
{
	uint16_t p;
	cfg.rtp_timeout = 1;
	cfg.rtp_hold_timeout = 3;
	relay_start();
	struct rtp_media m = media("127.0.0.10", 5000);
	ck_assert_int_eq(rtp_relay_sdp(relay, "c12", "a", RTP_SIDE_LAN, &m, 1, &p), 0);
	m = media("127.0.0.20", 6000);
	m.hold = true;    /* a=sendonly, a=inactive or c=0.0.0.0 in the SDP */
	ck_assert_int_eq(rtp_relay_sdp(relay, "c12", "a", RTP_SIDE_WAN, &m, 1, &p), 0);
	pump(1500);
	ck_assert_uint_eq(rtp_relay_session_count(relay), 1);   /* rtp_timeout does not apply */
	pump(2000);
	ck_assert_uint_eq(rtp_relay_session_count(relay), 0);   /* rtp_hold_timeout does */
}
END_TEST

static void rtp_packet(unsigned char *pkt, uint16_t seq, uint32_t ts)
{
	memset(pkt, 0, 172);
	pkt[0] = 0x80;
	pkt[2] = (unsigned char)(seq >> 8);
	pkt[3] = (unsigned char)seq;
	pkt[4] = (unsigned char)(ts >> 24);
	pkt[5] = (unsigned char)(ts >> 16);
	pkt[6] = (unsigned char)(ts >> 8);
	pkt[7] = (unsigned char)ts;
}

START_TEST(test_dejitter_delays_never_drops)
{
	cfg.rtp_output_dejitter = 100000;   /* 100 ms, LAN to WAN */
	relay_start();
	struct call c = call_up("c11");
	unsigned char pkt[172], buf[256];
	struct sockaddr_in src;

	rtp_packet(pkt, 1, 160);
	uint64_t t0 = now_ms();
	send_to(c.lan, "127.0.0.1", c.port, pkt, sizeof(pkt));
	ck_assert_int_eq(expect(c.wan, buf, sizeof(buf), &src, 50), -1);
	ck_assert_int_eq(expect(c.wan, buf, sizeof(buf), &src, 1000), 172);
	ck_assert_uint_ge(now_ms() - t0, 90);

	/* the other direction is not delayed */
	send_to(c.wan, "127.0.0.2", c.port, pkt, sizeof(pkt));
	t0 = now_ms();
	ck_assert_int_eq(expect(c.lan, buf, sizeof(buf), &src, 1000), 172);
	ck_assert_uint_lt(now_ms() - t0, 80);

	/* a burst larger than the buffer: everything arrives, in order, some of it early */
	int n = 100;
	for (int i = 0; i < n; i++) {
		rtp_packet(pkt, (uint16_t)(2 + i), 320 + 160 * (uint32_t)i);
		send_to(c.lan, "127.0.0.1", c.port, pkt, sizeof(pkt));
		if (i % 20 == 19)
			el_run_once(el, 0);   /* keep the socket buffer from overflowing */
	}
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(expect(c.wan, buf, sizeof(buf), &src, 3000), 172);
		ck_assert_uint_eq((unsigned)buf[2] << 8 | buf[3], 2 + i);
	}
	struct rtp_session_info info;
	ck_assert_int_eq(rtp_relay_session_info(relay, "c11", "a", 0, &info), 0);
	ck_assert_uint_eq(info.from[RTP_SIDE_LAN].relayed, 1 + (unsigned)n);
	ck_assert_uint_gt(info.from[RTP_SIDE_LAN].dejitter_forced, 0);
	ck_assert_uint_eq(info.from[RTP_SIDE_LAN].drop_send + info.from[RTP_SIDE_LAN].drop_nodest, 0);
	call_down(&c);
}
END_TEST

START_TEST(test_pool_exhausted_all_or_nothing)
{
	uint16_t ports[2];
	cfg.rtp_port_low = 46200;
	cfg.rtp_port_high = 46203;   /* two pairs */
	relay_start();
	struct rtp_media m[2] = { media("127.0.0.10", 5000), media("127.0.0.10", 5002) };

	ck_assert_int_eq(rtp_relay_sdp(relay, "d1", "a", RTP_SIDE_LAN, m, 1, ports), 0);
	errno = 0;
	ck_assert_int_eq(rtp_relay_sdp(relay, "d2", "a", RTP_SIDE_LAN, m, 2, ports), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_uint_eq(rtp_relay_session_count(relay), 1);
	ck_assert_uint_eq(rtp_relay_ports_free(relay), 1);
	/* a disabled m= line needs no port */
	m[1].enabled = false;
	ck_assert_int_eq(rtp_relay_sdp(relay, "d2", "a", RTP_SIDE_LAN, m, 2, ports), 0);
	ck_assert_uint_eq(ports[1], 0);
	ck_assert_uint_eq(rtp_relay_ports_free(relay), 0);
}
END_TEST

/* rtp_max_streams: an SDP with more enabled m= lines is refused whole, before any port is taken. */
START_TEST(test_max_streams)
{
	uint16_t ports[3];
	cfg.rtp_max_streams = 2;
	relay_start();
	size_t free_before = rtp_relay_ports_free(relay);
	struct rtp_media m[3] = { media("127.0.0.10", 5000), media("127.0.0.10", 5002),
				  media("127.0.0.10", 5004) };

	errno = 0;
	ck_assert_int_eq(rtp_relay_sdp(relay, "m1", "a", RTP_SIDE_LAN, m, 3, ports), -1);
	ck_assert_int_eq(errno, E2BIG);
	ck_assert_uint_eq(rtp_relay_session_count(relay), 0);
	ck_assert_uint_eq(rtp_relay_ports_free(relay), free_before);
	/* a disabled third stream does not count */
	m[2].enabled = false;
	ck_assert_int_eq(rtp_relay_sdp(relay, "m1", "a", RTP_SIDE_LAN, m, 3, ports), 0);
	ck_assert_uint_eq(rtp_relay_ports_free(relay), free_before - 2);
}
END_TEST

/* The log lines of a test, to check what the status summary and the teardown say. */
static char logged[8192];

static void capture(const char *line, size_t len, void *ud)
{
	size_t used = strlen(logged);
	if (used + len + 2 < sizeof(logged)) {
		memcpy(logged + used, line, len);
		logged[used + len] = '\n';
		logged[used + len + 1] = '\0';
	}
}

START_TEST(test_status_and_teardown_lines)
{
	relay_start();
	struct call c = call_up("status-call");
	ck_assert(passes(c.lan, "127.0.0.1", c.port, c.wan, "12345", 1000));
	logged[0] = '\0';
	log_set_sink(capture, NULL);
	rtp_relay_log_status(relay);
	ck_assert_ptr_nonnull(strstr(logged, "1 sessions"));
	ck_assert_ptr_nonnull(strstr(logged, "active Call-ID status-call leg a m=0"));
	ck_assert_ptr_nonnull(strstr(logged, "from lan: 1 pkts 5 bytes 1 relayed"));
	logged[0] = '\0';
	rtp_relay_end(relay, "status-call", "a");
	log_set_sink(NULL, NULL);
	ck_assert_ptr_nonnull(strstr(logged, "ended Call-ID status-call leg a m=0"));
	ck_assert_ptr_nonnull(strstr(logged, "from wan: 0 pkts"));
	call_down(&c);
}
END_TEST

START_TEST(test_hairpin_legs)
{
	uint16_t p1, p2;
	relay_start();
	struct rtp_media m = media("127.0.0.10", 5000);
	ck_assert_int_eq(rtp_relay_sdp(relay, "h1", "tagA/lan", RTP_SIDE_LAN, &m, 1, &p1), 0);
	m = media("198.51.100.1", 6000);
	ck_assert_int_eq(rtp_relay_sdp(relay, "h1", "tagA/wan", RTP_SIDE_WAN, &m, 1, &p2), 0);
	ck_assert_uint_ne(p1, p2);
	ck_assert_uint_eq(rtp_relay_session_count(relay), 2);
	rtp_relay_end(relay, "h1", "tagA/lan");
	ck_assert_uint_eq(rtp_relay_session_count(relay), 1);
	rtp_relay_log_status(relay);
}
END_TEST

START_TEST(test_single_address_two_pairs)
{
	/* inbound == outbound (one interface): each side needs its own pair */
	struct rtp_relay_addrs addrs = {
		.inbound = ip("127.0.0.1"), .outbound = ip("127.0.0.1"), .public_addr = ip("203.0.113.7"),
	};
	uint16_t p1, p2;
	el = el_create();
	relay = rtp_relay_create(el, &cfg, &addrs);
	ck_assert_ptr_nonnull(relay);
	struct rtp_media m = media("127.0.0.10", 5000);
	ck_assert_int_eq(rtp_relay_sdp(relay, "s1", "a", RTP_SIDE_LAN, &m, 1, &p1), 0);
	m = media("127.0.0.20", 5000);
	ck_assert_int_eq(rtp_relay_sdp(relay, "s1", "a", RTP_SIDE_WAN, &m, 1, &p2), 0);
	ck_assert_uint_ne(p1, p2);
	ck_assert_uint_eq(rtp_relay_ports_free(relay), (PORT_HIGH - PORT_LOW + 1) / 2 - 2);
}
END_TEST

START_TEST(test_set_addrs_new_calls_only)
{
	/* a PPP reconnect: the outbound address and the public one change while a call runs */
	relay_start();
	struct call old = call_up("old");
	size_t pairs = (PORT_HIGH - PORT_LOW + 1) / 2;
	struct rtp_relay_addrs na = {
		.inbound = ip("127.0.0.1"), .outbound = ip("127.0.0.3"), .public_addr = ip("203.0.113.8"),
	};
	rtp_relay_set_addrs(relay, &na);
	ck_assert_str_eq(inet_ntoa(rtp_relay_sdp_addr(relay, RTP_SIDE_WAN)), "203.0.113.8");
	ck_assert_str_eq(inet_ntoa(rtp_relay_sdp_addr(relay, RTP_SIDE_LAN)), "127.0.0.1");
	/* the running call keeps its sockets on the old address */
	ck_assert(passes(old.wan, "127.0.0.2", old.port, old.lan, "old-call", 1000));

	/* a new call binds its WAN side on the new address */
	struct call c = call_up("new");
	ck_assert(passes(c.wan, "127.0.0.3", c.port, c.lan, "new-call", 1000));
	ck_assert(!passes(c.wan, "127.0.0.2", c.port, c.lan, "stale", 100));

	/* both sides on one address now: separate pairs; every port goes back when the calls end */
	na.outbound = na.inbound;
	rtp_relay_set_addrs(relay, &na);
	uint16_t p1, p2;
	struct rtp_media m = media("127.0.0.10", 5000);
	ck_assert_int_eq(rtp_relay_sdp(relay, "one", "a", RTP_SIDE_LAN, &m, 1, &p1), 0);
	m = media("127.0.0.20", 5000);
	ck_assert_int_eq(rtp_relay_sdp(relay, "one", "a", RTP_SIDE_WAN, &m, 1, &p2), 0);
	ck_assert_uint_ne(p1, p2);
	ck_assert_uint_eq(rtp_relay_ports_free(relay), pairs - 4);
	/* and apart again before the calls end: the separate pairs of "one" must not leak */
	na.outbound = ip("127.0.0.3");
	rtp_relay_set_addrs(relay, &na);
	rtp_relay_end(relay, "old", "a");
	rtp_relay_end(relay, "new", "a");
	rtp_relay_end(relay, "one", "a");
	ck_assert_uint_eq(rtp_relay_ports_free(relay), pairs);
	call_down(&old);
	call_down(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rtp_relay");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 20);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_both_ways);
	tcase_add_test(tc, test_rtcp);
	tcase_add_test(tc, test_latching_drops_others);
	tcase_add_test(tc, test_stranger_first_not_latched);
	tcase_add_test(tc, test_hold_overrides_latch);
	tcase_add_test(tc, test_latch_real_source);
	tcase_add_test(tc, test_relatch_after_sdp_change);
	tcase_add_test(tc, test_dscp);
	tcase_add_test(tc, test_reinvite_keeps_ports);
	tcase_add_test(tc, test_failed_reinvite_keeps_media);
	tcase_add_test(tc, test_bye_teardown);
	tcase_add_test(tc, test_timeout_teardown);
	tcase_add_test(tc, test_hold_timeout);
	tcase_add_test(tc, test_dejitter_delays_never_drops);
	tcase_add_test(tc, test_pool_exhausted_all_or_nothing);
	tcase_add_test(tc, test_max_streams);
	tcase_add_test(tc, test_status_and_teardown_lines);
	tcase_add_test(tc, test_hairpin_legs);
	tcase_add_test(tc, test_single_address_two_pairs);
	tcase_add_test(tc, test_set_addrs_new_calls_only);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
