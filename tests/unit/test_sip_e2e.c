/* End to end over real sockets: UDP transport + pipeline + registrar on loopback, a phone on the "LAN" and a provider on the "WAN". */
#include "build_config.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "event_loop.h"
#include "registrar.h"
#include "rtp_relay.h"
#include "sip_media.h"
#include "sip_pipeline.h"
#include "sip_transport.h"
#include "unit_run.h"

/* 127.0.0.0/8 is all loopback on Linux: two addresses make two sides. */
#define LAN_IP "127.0.0.1"
#define WAN_IP "127.0.0.2"
#define PHONE_IP "127.0.0.5"
#define PROVIDER_IP "127.0.0.10"

struct e2e {
	struct config cfg;
	struct event_loop *el;
	struct registrar *reg;
	struct sip_pipeline *p;
	struct sip_transport *t;
	struct rtp_relay *relay;       /* NULL: media passes unchanged */
	uint16_t port;                 /* the proxy's */
	int phone, provider;           /* UDP sockets */
	uint16_t phone_port, provider_port;
};

static int e2e_send(void *ud, const struct sip_peer *to, const char *buf, size_t len, sip_sent_fn done,
		    void *done_ud)
{
	struct e2e *e = ud;

	return sip_transport_send(e->t, to, buf, len, done, done_ud);
}

static int udp_socket(const char *ip, uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	inet_pton(AF_INET, ip, &sa.sin_addr);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void e2e_setup_media(struct e2e *e, bool media)
{
	struct sip_pipeline_ctx ctx = { 0 };
	struct in_addr addrs[2];

	memset(e, 0, sizeof(*e));
	e->cfg.default_expires = 3600;
	e->cfg.max_registrations = 16;
	e->cfg.tcp_timeout = 60;
	e->cfg.tcp_connect_timeout = 500;
	e->cfg.tcp_max_connections = 16;
	e->cfg.tcp_max_buffer = 65536;
	e->cfg.rtp_port_low = 31000;
	e->cfg.rtp_port_high = 31019;
	e->el = el_create();
	e->reg = reg_create(16);
	ck_assert_ptr_nonnull(e->el);
	ck_assert_ptr_nonnull(e->reg);
	inet_pton(AF_INET, LAN_IP, &addrs[0]);
	inet_pton(AF_INET, WAN_IP, &addrs[1]);
	ctx.cfg = &e->cfg;
	ctx.reg = e->reg;
	ctx.loop = e->el;
	ctx.send = e2e_send;
	ctx.send_ud = e;
	ctx.inbound = addrs[0];
	ctx.outbound = addrs[1];
	ctx.public_addr = addrs[1];
	if (media) {
		struct rtp_relay_addrs ra = { .inbound = addrs[0], .outbound = addrs[1], .public_addr = addrs[1] };

		e->cfg.rtp_proxy_enable = 1;
		e->relay = rtp_relay_create(e->el, &e->cfg, &ra);
		ck_assert_ptr_nonnull(e->relay);
		ctx.sdp_rewrite = sipmedia_relay;
		ctx.sdp_ud = e->relay;
	}
	e->p = sip_pipeline_create(&ctx);
	ck_assert_ptr_nonnull(e->p);
	e->t = sip_transport_create(e->el, &e->cfg, sip_pipeline_rx, e->p);
	ck_assert_ptr_nonnull(e->t);
	ck_assert_int_eq(sip_transport_listen(e->t, addrs, 2, 0), 0);
	e->port = sip_transport_bound_port(e->t);
	e->cfg.sip_listen_port = e->port;     /* what our Vias and Record-Routes say */
	e->phone = udp_socket(PHONE_IP, &e->phone_port);
	e->provider = udp_socket(PROVIDER_IP, &e->provider_port);
}

static void e2e_setup(struct e2e *e)
{
	e2e_setup_media(e, false);
}

static void e2e_teardown(struct e2e *e)
{
	close(e->phone);
	close(e->provider);
	sip_transport_destroy(e->t);
	sip_pipeline_destroy(e->p);
	rtp_relay_destroy(e->relay);
	reg_destroy(e->reg);
	el_destroy(e->el);
}

static void send_to_proxy(struct e2e *e, int fd, const char *side_ip, const char *msg)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(e->port) };

	inet_pton(AF_INET, side_ip, &sa.sin_addr);
	ck_assert_int_eq(sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sa, sizeof(sa)), (ssize_t)strlen(msg));
}

/* Runs the loop until fd has a datagram (at most 2 s); returns it NUL-terminated and who sent it. */
static void wait_recv(struct e2e *e, int fd, char *buf, size_t size, char *from_ip)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	ssize_t n = -1;

	for (int i = 0; i < 40 && n < 0; i++) {
		el_run_once(e->el, 50);
		n = recvfrom(fd, buf, size - 1, MSG_DONTWAIT, (struct sockaddr *)&sa, &sl);
	}
	ck_assert_msg(n > 0, "nothing arrived");
	buf[n] = '\0';
	inet_ntop(AF_INET, &sa.sin_addr, from_ip, INET_ADDRSTRLEN);
}

/* The value of the first header called name ("Via"), up to the end of its line. */
static void header(const char *msg, const char *name, char *out, size_t size)
{
	char pat[64];
	const char *h, *end;

	snprintf(pat, sizeof(pat), "\r\n%s: ", name);
	h = strstr(msg, pat);
	ck_assert_msg(h != NULL, "no %s in %s", name, msg);
	h += strlen(pat);
	end = strstr(h, "\r\n");
	snprintf(out, size, "%.*s", (int)(end - h), h);
}

static int count(const char *msg, const char *what)
{
	int n = 0;

	for (const char *s = strstr(msg, what); s; s = strstr(s + 1, what))
		n++;
	return n;
}

/* The next datagram on fd must come from the proxy's side_ip and start with start. */
static void expect_arrival(struct e2e *e, int fd, char *got, size_t size, const char *side_ip, const char *start)
{
	char from_ip[INET_ADDRSTRLEN];

	wait_recv(e, fd, got, size, from_ip);
	ck_assert_str_eq(from_ip, side_ip);
	ck_assert_msg(strncmp(got, start, strlen(start)) == 0, "expected %s: %s", start, got);
}

/* The first Contact must read <sip:user@ip:port>suffix; it is copied to contact. */
static void expect_contact(const char *got, const char *user, const char *ip, unsigned port, const char *suffix,
			   char *contact, size_t size)
{
	char want[256];

	header(got, "Contact", contact, size);
	snprintf(want, sizeof(want), "<sip:%s@%s:%u>%s", user, ip, port, suffix);
	ck_assert_str_eq(contact, want);
}

START_TEST(test_register_then_call_in)
{
	struct e2e e;
	char msg[4096], got[4096], via[512], contact[512], want[128];

	e2e_setup(&e);
	/* The phone registers with the provider through the proxy. */
	snprintf(msg, sizeof(msg),
		 "REGISTER sip:%s:%u SIP/2.0\r\nVia: SIP/2.0/UDP %s:%u;branch=z9hG4bKe2e1;rport\r\n"
		 "Max-Forwards: 70\r\nFrom: <sip:alice@%s>;tag=e1\r\nTo: <sip:alice@%s>\r\nCall-ID: e2e-1\r\n"
		 "CSeq: 1 REGISTER\r\nContact: <sip:alice@%s:%u>\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n",
		 PROVIDER_IP, e.provider_port, PHONE_IP, e.phone_port, PROVIDER_IP, PROVIDER_IP, PHONE_IP, e.phone_port);
	send_to_proxy(&e, e.phone, LAN_IP, msg);
	expect_arrival(&e, e.provider, got, sizeof(got), WAN_IP, "REGISTER ");   /* out of the WAN socket */
	ck_assert_int_eq(count(got, "\r\nVia: "), 1);
	ck_assert_msg(strstr(got, PHONE_IP) == NULL, "LAN address leaked: %s", got);
	expect_contact(got, "alice", WAN_IP, e.port, "", contact, sizeof(contact));

	/* The provider accepts. */
	header(got, "Via", via, sizeof(via));
	snprintf(msg, sizeof(msg),
		 "SIP/2.0 200 OK\r\nVia: %s\r\nFrom: <sip:alice@%s>;tag=e1\r\nTo: <sip:alice@%s>;tag=p1\r\n"
		 "Call-ID: e2e-1\r\nCSeq: 1 REGISTER\r\nContact: %s;expires=300\r\nContent-Length: 0\r\n\r\n",
		 via, PROVIDER_IP, PROVIDER_IP, contact);
	send_to_proxy(&e, e.provider, WAN_IP, msg);
	expect_arrival(&e, e.phone, got, sizeof(got), LAN_IP, "SIP/2.0 200 ");
	header(got, "Via", via, sizeof(via));
	ck_assert_msg(strstr(via, "branch=z9hG4bKe2e1") != NULL, "phone's Via not restored: %s", got);
	expect_contact(got, "alice", PHONE_IP, e.phone_port, ";expires=300", contact, sizeof(contact));

	/* A call from the provider to the public contact reaches the phone. */
	snprintf(msg, sizeof(msg),
		 "INVITE sip:alice@%s:%u SIP/2.0\r\nVia: SIP/2.0/UDP %s:%u;branch=z9hG4bKp2\r\nMax-Forwards: 70\r\n"
		 "From: <sip:bob@%s>;tag=b1\r\nTo: <sip:alice@%s>\r\nCall-ID: e2e-2\r\nCSeq: 1 INVITE\r\n"
		 "Contact: <sip:bob@%s:%u>\r\nContent-Length: 0\r\n\r\n",
		 WAN_IP, e.port, PROVIDER_IP, e.provider_port, PROVIDER_IP, PROVIDER_IP, PROVIDER_IP, e.provider_port);
	send_to_proxy(&e, e.provider, WAN_IP, msg);
	snprintf(want, sizeof(want), "INVITE sip:alice@%s:%u SIP/2.0\r\n", PHONE_IP, e.phone_port);
	expect_arrival(&e, e.phone, got, sizeof(got), LAN_IP, want);
	ck_assert_int_eq(count(got, "\r\nVia: "), 2);

	/* The phone answers; the provider sees the public contact and only its own Via. */
	snprintf(msg, sizeof(msg), "SIP/2.0 200 OK\r\n");
	for (const char *v = strstr(got, "\r\nVia: "); v; v = strstr(v + 2, "\r\nVia: ")) {
		const char *end = strstr(v + 2, "\r\n");

		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), "%.*s\r\n", (int)(end - v - 2), v + 2);
	}
	snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
		 "From: <sip:bob@%s>;tag=b1\r\nTo: <sip:alice@%s>;tag=a1\r\nCall-ID: e2e-2\r\nCSeq: 1 INVITE\r\n"
		 "Contact: <sip:alice@%s:%u>\r\nContent-Length: 0\r\n\r\n",
		 PROVIDER_IP, PROVIDER_IP, PHONE_IP, e.phone_port);
	send_to_proxy(&e, e.phone, LAN_IP, msg);
	expect_arrival(&e, e.provider, got, sizeof(got), WAN_IP, "SIP/2.0 200 ");
	ck_assert_int_eq(count(got, "\r\nVia: "), 1);
	ck_assert_msg(strstr(got, PHONE_IP) == NULL, "LAN address leaked: %s", got);
	expect_contact(got, "alice", WAN_IP, e.port, "", contact, sizeof(contact));
	e2e_teardown(&e);
}
END_TEST

/* Reads from a connected TCP socket while the loop runs (at most 2 s). */
static void wait_tcp(struct e2e *e, int fd, char *buf, size_t size)
{
	ssize_t n = -1;

	for (int i = 0; i < 40 && n <= 0; i++) {
		el_run_once(e->el, 50);
		n = recv(fd, buf, size - 1, MSG_DONTWAIT);
	}
	ck_assert_msg(n > 0, "nothing arrived on the TCP connection");
	buf[n] = '\0';
}

/* A phone on TCP: the registrar's answer comes back on the phone's own connection. */
START_TEST(test_register_over_tcp)
{
	struct e2e e;
	struct sockaddr_in sa = { .sin_family = AF_INET }, me = { .sin_family = AF_INET };
	socklen_t sl = sizeof(me);
	char msg[4096], got[4096], via[512];
	int fd;

	e2e_setup(&e);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	inet_pton(AF_INET, PHONE_IP, &me.sin_addr);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	sa.sin_port = htons(e.port);
	inet_pton(AF_INET, LAN_IP, &sa.sin_addr);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&me, &sl), 0);
	snprintf(msg, sizeof(msg),
		 "REGISTER sip:%s:%u;transport=udp SIP/2.0\r\nVia: SIP/2.0/TCP %s:5090;branch=z9hG4bKt1\r\n"
		 "Max-Forwards: 70\r\nFrom: <sip:carol@%s>;tag=t1\r\nTo: <sip:carol@%s>\r\nCall-ID: e2e-tcp\r\n"
		 "CSeq: 1 REGISTER\r\nContact: <sip:carol@%s:5090;transport=tcp>\r\nContent-Length: 0\r\n\r\n",
		 PROVIDER_IP, e.provider_port, PHONE_IP, PROVIDER_IP, PROVIDER_IP, PHONE_IP);
	ck_assert_int_eq(send(fd, msg, strlen(msg), 0), (ssize_t)strlen(msg));
	expect_arrival(&e, e.provider, got, sizeof(got), WAN_IP, "REGISTER ");
	ck_assert_msg(strstr(got, PHONE_IP) == NULL, "LAN address leaked: %s", got);
	header(got, "Via", via, sizeof(via));
	snprintf(msg, sizeof(msg),
		 "SIP/2.0 200 OK\r\nVia: %s\r\nFrom: <sip:carol@%s>;tag=t1\r\nTo: <sip:carol@%s>;tag=p9\r\n"
		 "Call-ID: e2e-tcp\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n", via, PROVIDER_IP, PROVIDER_IP);
	send_to_proxy(&e, e.provider, WAN_IP, msg);
	wait_tcp(&e, fd, got, sizeof(got));
	ck_assert_msg(strncmp(got, "SIP/2.0 200 ", 12) == 0, "%s", got);
	snprintf(msg, sizeof(msg), "rport=%u;received=%s", ntohs(me.sin_port), PHONE_IP);
	ck_assert_msg(strstr(got, msg) != NULL, "%s", got);
	close(fd);
	e2e_teardown(&e);
}
END_TEST

/* The media port the SDP in got offers on m=audio, after checking its c= address. */
static unsigned sdp_port(const char *got, const char *ip)
{
	char c[64];
	unsigned port = 0;
	const char *m = strstr(got, "\r\nm=audio ");

	snprintf(c, sizeof(c), "\r\nc=IN IP4 %s\r\n", ip);
	ck_assert_msg(strstr(got, c) != NULL, "expected %s in %s", c + 2, got);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(sscanf(m + 10, "%u", &port), 1);
	return port;
}

/* A call out with the RTP relay: each side sees the relay's address and ports; BYE ends the media. */
START_TEST(test_call_out_media_relayed)
{
	struct e2e e;
	char msg[4096], got[4096], via[512], body[256], tag_line[64];
	unsigned port;

	e2e_setup_media(&e, true);
	snprintf(body, sizeof(body), "v=0\r\no=a 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
		 "m=audio 4000 RTP/AVP 0\r\n", PHONE_IP, PHONE_IP);
	snprintf(msg, sizeof(msg),
		 "INVITE sip:bob@%s:%u SIP/2.0\r\nVia: SIP/2.0/UDP %s:%u;branch=z9hG4bKm1;rport\r\nMax-Forwards: 70\r\n"
		 "From: <sip:alice@%s>;tag=m1\r\nTo: <sip:bob@%s>\r\nCall-ID: media-1\r\nCSeq: 1 INVITE\r\n"
		 "Contact: <sip:alice@%s:%u>\r\nContent-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
		 PROVIDER_IP, e.provider_port, PHONE_IP, e.phone_port, PROVIDER_IP, PROVIDER_IP, PHONE_IP, e.phone_port,
		 strlen(body), body);
	send_to_proxy(&e, e.phone, LAN_IP, msg);
	expect_arrival(&e, e.provider, got, sizeof(got), WAN_IP, "INVITE ");
	ck_assert_msg(strstr(got, PHONE_IP) == NULL, "LAN address leaked: %s", got);
	port = sdp_port(got, WAN_IP);
	ck_assert_msg(port >= 31000 && port <= 31019, "%s", got);

	header(got, "Via", via, sizeof(via));
	snprintf(body, sizeof(body), "v=0\r\no=b 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
		 "m=audio 6000 RTP/AVP 0\r\n", PROVIDER_IP, PROVIDER_IP);
	snprintf(tag_line, sizeof(tag_line), "To: <sip:bob@%s>;tag=m2", PROVIDER_IP);
	snprintf(msg, sizeof(msg),
		 "SIP/2.0 200 OK\r\nVia: %s\r\nFrom: <sip:alice@%s>;tag=m1\r\n%s\r\nCall-ID: media-1\r\n"
		 "CSeq: 1 INVITE\r\nContact: <sip:bob@%s:%u>\r\nContent-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
		 via, PROVIDER_IP, tag_line, PROVIDER_IP, e.provider_port, strlen(body), body);
	send_to_proxy(&e, e.provider, WAN_IP, msg);
	expect_arrival(&e, e.phone, got, sizeof(got), LAN_IP, "SIP/2.0 200 ");
	port = sdp_port(got, LAN_IP);
	ck_assert_msg(port >= 31000 && port <= 31019, "%s", got);
	ck_assert_uint_eq(rtp_relay_session_count(e.relay), 1);

	/* The phone hangs up; the provider's 200 ends the media at once. */
	snprintf(msg, sizeof(msg),
		 "BYE sip:bob@%s:%u SIP/2.0\r\nVia: SIP/2.0/UDP %s:%u;branch=z9hG4bKm3;rport\r\nMax-Forwards: 70\r\n"
		 "From: <sip:alice@%s>;tag=m1\r\n%s\r\nCall-ID: media-1\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
		 PROVIDER_IP, e.provider_port, PHONE_IP, e.phone_port, PROVIDER_IP, tag_line);
	send_to_proxy(&e, e.phone, LAN_IP, msg);
	expect_arrival(&e, e.provider, got, sizeof(got), WAN_IP, "BYE ");
	header(got, "Via", via, sizeof(via));
	snprintf(msg, sizeof(msg),
		 "SIP/2.0 200 OK\r\nVia: %s\r\nFrom: <sip:alice@%s>;tag=m1\r\n%s\r\nCall-ID: media-1\r\n"
		 "CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n", via, PROVIDER_IP, tag_line);
	send_to_proxy(&e, e.provider, WAN_IP, msg);
	expect_arrival(&e, e.phone, got, sizeof(got), LAN_IP, "SIP/2.0 200 ");
	ck_assert_uint_eq(rtp_relay_session_count(e.relay), 0);
	e2e_teardown(&e);
}
END_TEST

/* SDP the relay cannot use (IPv6) is refused with 488 to the phone; nothing reaches the provider. */
START_TEST(test_unusable_sdp_488)
{
	struct e2e e;
	char msg[4096], got[4096], body[256];

	e2e_setup_media(&e, true);
	snprintf(body, sizeof(body), "v=0\r\no=a 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\n"
		 "m=audio 4000 RTP/AVP 0\r\n");
	snprintf(msg, sizeof(msg),
		 "INVITE sip:bob@%s:%u SIP/2.0\r\nVia: SIP/2.0/UDP %s:%u;branch=z9hG4bKv6;rport\r\nMax-Forwards: 70\r\n"
		 "From: <sip:alice@%s>;tag=v6\r\nTo: <sip:bob@%s>\r\nCall-ID: media-v6\r\nCSeq: 1 INVITE\r\n"
		 "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
		 PROVIDER_IP, e.provider_port, PHONE_IP, e.phone_port, PROVIDER_IP, PROVIDER_IP, strlen(body), body);
	send_to_proxy(&e, e.phone, LAN_IP, msg);
	expect_arrival(&e, e.phone, got, sizeof(got), LAN_IP, "SIP/2.0 488 ");
	ck_assert_int_eq(recv(e.provider, got, sizeof(got), MSG_DONTWAIT), -1);
	ck_assert_uint_eq(rtp_relay_session_count(e.relay), 0);
	e2e_teardown(&e);
}
END_TEST

/*
 * The relay took the INVITE's SDP, then the INVITE could not go (here: a name and no resolver):
 * the phone gets 503 and the session ends with it instead of holding its ports until rtp_timeout.
 */
START_TEST(test_send_failure_ends_media)
{
	struct e2e e;
	char msg[4096], got[4096], body[256];

	e2e_setup_media(&e, true);
	snprintf(body, sizeof(body), "v=0\r\no=a 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
		 "m=audio 4000 RTP/AVP 0\r\n", PHONE_IP, PHONE_IP);
	snprintf(msg, sizeof(msg),
		 "INVITE sip:bob@provider.invalid SIP/2.0\r\nVia: SIP/2.0/UDP %s:%u;branch=z9hG4bKsf;rport\r\n"
		 "Max-Forwards: 70\r\nFrom: <sip:alice@provider.invalid>;tag=sf\r\nTo: <sip:bob@provider.invalid>\r\n"
		 "Call-ID: media-sf\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@%s:%u>\r\n"
		 "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
		 PHONE_IP, e.phone_port, PHONE_IP, e.phone_port, strlen(body), body);
	send_to_proxy(&e, e.phone, LAN_IP, msg);
	expect_arrival(&e, e.phone, got, sizeof(got), LAN_IP, "SIP/2.0 503 ");
	ck_assert_uint_eq(rtp_relay_session_count(e.relay), 0);
	ck_assert_uint_eq(rtp_relay_ports_free(e.relay), 10);
	e2e_teardown(&e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sip_e2e");
	TCase *tc = tcase_create("loopback");

	tcase_add_test(tc, test_register_then_call_in);
	tcase_add_test(tc, test_register_over_tcp);
	tcase_add_test(tc, test_call_out_media_relayed);
	tcase_add_test(tc, test_unusable_sdp_488);
	tcase_add_test(tc, test_send_failure_ends_media);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
