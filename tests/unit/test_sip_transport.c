/* Unit tests of the SIP transport on 127.0.0.1: UDP, TCP framing, connections, timers, limits. */
#include "build_config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "event_loop.h"
#include "log.h"
#include "sip_framing.h"
#include "sip_transport.h"
#include "unit_run.h"

#define MAX_RX 64

struct rx_msg {
	char *buf;
	size_t len;
	struct sip_peer from;
};

/* The fixture: one loop and one transport listening on 127.0.0.1, port chosen by the kernel. */
static struct event_loop *el;
static struct sip_transport *tp;
static struct config cfg;
static struct rx_msg rx[MAX_RX];
static size_t nrx;
static bool echo;        /* send every received message back to its sender */
static struct in_addr lo;
static uint16_t port;

/* Log lines containing log_pattern are counted, so tests can check what was said (and how often). */
static const char *log_pattern;
static size_t log_hits;

static void on_log(const char *line, size_t len, void *ud)
{
	if (log_pattern && memmem(line, len, log_pattern, strlen(log_pattern)))
		log_hits++;
}

static void on_rx(void *ud, const char *buf, size_t len, const struct sip_peer *from)
{
	ck_assert_int_eq(buf[len], '\0');
	ck_assert_uint_lt(nrx, MAX_RX);
	rx[nrx].buf = strndup(buf, len);
	rx[nrx].len = len;
	rx[nrx].from = *from;
	nrx++;
	if (echo)
		ck_assert_int_eq(sip_transport_send(tp, from, buf, len, NULL, NULL), 0);
}

static void default_config(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.tcp_timeout = 300;
	cfg.tcp_connect_timeout = 500;
	cfg.tcp_keepalive = 0;
	cfg.tcp_max_connections = 16;
	cfg.tcp_max_buffer = 65536;
}

static void start(void)
{
	lo.s_addr = htonl(INADDR_LOOPBACK);
	el = el_create();
	ck_assert_ptr_nonnull(el);
	tp = sip_transport_create(el, &cfg, on_rx, NULL);
	ck_assert_ptr_nonnull(tp);
	ck_assert_int_eq(sip_transport_listen(tp, &lo, 1, 0), 0);
	port = sip_transport_bound_port(tp);
	ck_assert_uint_ne(port, 0);
}

static void setup(void)
{
	default_config();
	nrx = 0;
	echo = false;
	log_pattern = NULL;
	log_hits = 0;
	log_set_sink(on_log, NULL);
	log_set_debug_pattern(DBCLASS_ALL);   /* the debug lines' formatting runs too */
	start();
}

static void teardown(void)
{
	sip_transport_destroy(tp);
	el_destroy(el);
	for (size_t i = 0; i < nrx; i++)
		free(rx[i].buf);
	nrx = 0;
}

/* Restarts the transport with the configuration changed by the test. */
static void restart(void)
{
	sip_transport_destroy(tp);
	el_destroy(el);
	start();
}

static struct sockaddr_in addr_of(uint16_t p)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(p), .sin_addr = lo };
	return a;
}

/* Runs the loop until *count reaches want or ms pass; returns whether it did. */
static bool run_until(const size_t *count, size_t want, int ms)
{
	for (int i = 0; i < ms / 5 && *count < want; i++)
		el_run_once(el, 5);
	return *count >= want;
}

static void run_for(int ms)
{
	for (int i = 0; i < ms / 5; i++)
		el_run_once(el, 5);
}

static int client_socket(int type)
{
	int fd = socket(AF_INET, type, 0);
	ck_assert_int_ge(fd, 0);
	return fd;
}

static int tcp_client(void)
{
	int fd = client_socket(SOCK_STREAM);
	struct sockaddr_in a = addr_of(port);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void write_all(int fd, const char *s, size_t len)
{
	ck_assert_int_eq(write(fd, s, len), (ssize_t)len);
}

/*
 * Reads from a client socket while the loop runs, until want bytes or EOF or ms pass.
 * Returns the byte count, or -1 when EOF came first with nothing read.
 */
static ssize_t client_read(int fd, char *buf, size_t want, int ms)
{
	size_t got = 0;
	for (int i = 0; i < ms / 5 && got < want; i++) {
		el_run_once(el, 5);
		ssize_t n = recv(fd, buf + got, want - got, MSG_DONTWAIT);
		if (n == 0)
			return got ? (ssize_t)got : -1;
		if (n > 0)
			got += (size_t)n;
	}
	return (ssize_t)got;
}

static const char MSG_A[] = "OPTIONS sip:a@example.com SIP/2.0\r\nCall-ID: a1\r\nContent-Length: 0\r\n\r\n";
static const char MSG_B[] = "OPTIONS sip:b@example.com SIP/2.0\r\nCall-ID: b2\r\n\r\n";
static const char MSG_BODY[] = "MESSAGE sip:c@example.com SIP/2.0\r\nContent-Length: 11\r\n\r\nhello world";
static const char MSG_COMPACT[] = "MESSAGE sip:d@example.com SIP/2.0\r\ni: d4\r\nL : 5\r\n\r\nabcde";

#define S(lit) (lit), (sizeof(lit) - 1)

static void assert_rx(size_t i, const char *s, size_t len)
{
	ck_assert_uint_gt(nrx, i);
	ck_assert_uint_eq(rx[i].len, len);
	ck_assert_mem_eq(rx[i].buf, s, len);
}

/* ---- UDP ---- */

START_TEST(udp_echo)
{
	int fd = client_socket(SOCK_DGRAM);
	struct sockaddr_in a = addr_of(port);
	char buf[256];

	echo = true;
	ck_assert_int_eq(sendto(fd, S(MSG_A), 0, (struct sockaddr *)&a, sizeof(a)), (ssize_t)strlen(MSG_A));
	ck_assert(run_until(&nrx, 1, 1000));
	assert_rx(0, S(MSG_A));
	ck_assert_int_eq(rx[0].from.proto, SIP_PROTO_UDP);
	ck_assert_uint_eq(rx[0].from.local.s_addr, lo.s_addr);
	ck_assert_int_eq(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), (ssize_t)strlen(MSG_A));
	ck_assert_mem_eq(buf, MSG_A, strlen(MSG_A));
	close(fd);
}
END_TEST

/* With two addresses, a reply leaves from the address the request came in on. */
START_TEST(udp_reply_from_arrival_address)
{
	struct in_addr two[2];
	inet_pton(AF_INET, "127.0.0.2", &two[0]);
	inet_pton(AF_INET, "127.0.0.3", &two[1]);
	sip_transport_destroy(tp);
	tp = sip_transport_create(el, &cfg, on_rx, NULL);
	ck_assert_int_eq(sip_transport_listen(tp, two, 2, 0), 0);
	uint16_t p = sip_transport_bound_port(tp);
	int fd = client_socket(SOCK_DGRAM);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(p), .sin_addr = two[1] };
	struct sockaddr_in src;
	socklen_t slen = sizeof(src);
	char buf[256];

	echo = true;
	ck_assert_int_eq(sendto(fd, S(MSG_A), 0, (struct sockaddr *)&a, sizeof(a)), (ssize_t)strlen(MSG_A));
	ck_assert(run_until(&nrx, 1, 1000));
	ck_assert_uint_eq(rx[0].from.local.s_addr, two[1].s_addr);
	ck_assert_int_eq(recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&src, &slen),
			 (ssize_t)strlen(MSG_A));
	ck_assert_uint_eq(src.sin_addr.s_addr, two[1].s_addr);
	ck_assert_uint_eq(src.sin_port, htons(p));
	close(fd);
}
END_TEST

/*
 * An address change: listening on a second address joins the port, and unlisten closes both of
 * its listeners while the connection accepted there stays; listening again is idempotent.
 */
START_TEST(unlisten_closes_listeners_keeps_connections)
{
	struct in_addr two;
	inet_pton(AF_INET, "127.0.0.2", &two);
	ck_assert(!sip_transport_listening(tp, two));
	ck_assert_int_eq(sip_transport_listen(tp, &two, 1, 0), 0);
	ck_assert_uint_eq(sip_transport_bound_port(tp), port);
	ck_assert(sip_transport_listening(tp, two));
	ck_assert_int_eq(sip_transport_listen(tp, &two, 1, port), 0);   /* already there: skipped */

	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = two };
	int conn = client_socket(SOCK_STREAM);
	ck_assert_int_eq(connect(conn, (struct sockaddr *)&a, sizeof(a)), 0);
	for (int i = 0; i < 200 && sip_transport_tcp_count(tp) < 1; i++)
		el_run_once(el, 5);
	ck_assert_uint_eq(sip_transport_tcp_count(tp), 1);

	ck_assert_int_eq(sip_transport_unlisten(tp, two), 0);
	ck_assert(!sip_transport_listening(tp, two));
	errno = 0;
	ck_assert_int_eq(sip_transport_unlisten(tp, two), -1);
	ck_assert_int_eq(errno, ENOENT);

	/* both ports on 127.0.0.2 are free again: nothing of ours is bound there */
	int probe = client_socket(SOCK_DGRAM);
	ck_assert_int_eq(bind(probe, (struct sockaddr *)&a, sizeof(a)), 0);
	close(probe);
	int late = client_socket(SOCK_STREAM);
	ck_assert_int_eq(connect(late, (struct sockaddr *)&a, sizeof(a)), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	close(late);

	/* the accepted connection still delivers, and 127.0.0.1 still listens */
	write_all(conn, S(MSG_A));
	ck_assert(run_until(&nrx, 1, 1000));
	assert_rx(0, S(MSG_A));
	ck_assert_uint_eq(rx[0].from.local.s_addr, two.s_addr);
	int udp = client_socket(SOCK_DGRAM);
	struct sockaddr_in l = addr_of(port);
	ck_assert_int_eq(sendto(udp, S(MSG_B), 0, (struct sockaddr *)&l, sizeof(l)), (ssize_t)strlen(MSG_B));
	ck_assert(run_until(&nrx, 2, 1000));
	assert_rx(1, S(MSG_B));
	close(udp);

	/* the address comes back (a reconnect to the old address): listening there works again */
	ck_assert_int_eq(sip_transport_listen(tp, &two, 1, port), 0);
	ck_assert(sip_transport_listening(tp, two));
	close(conn);
}
END_TEST

START_TEST(udp_large_datagram_whole)
{
	int fd = client_socket(SOCK_DGRAM);
	struct sockaddr_in a = addr_of(port);
	size_t len = 30000;
	char *big = malloc(len);

	memset(big, 'x', len);
	memcpy(big, MSG_B, strlen(MSG_B));
	ck_assert_int_eq(sendto(fd, big, len, 0, (struct sockaddr *)&a, sizeof(a)), (ssize_t)len);
	ck_assert(run_until(&nrx, 1, 1000));
	assert_rx(0, big, len);
	free(big);
	close(fd);
}
END_TEST

START_TEST(udp_keepalives_dropped)
{
	int fd = client_socket(SOCK_DGRAM);
	struct sockaddr_in a = addr_of(port);
	static const char zeros[4] = { 0 };

	ck_assert_int_eq(sendto(fd, S("\r\n\r\n"), 0, (struct sockaddr *)&a, sizeof(a)), 4);
	ck_assert_int_eq(sendto(fd, S("\r\n"), 0, (struct sockaddr *)&a, sizeof(a)), 2);
	ck_assert_int_eq(sendto(fd, zeros, 4, 0, (struct sockaddr *)&a, sizeof(a)), 4);
	ck_assert_int_eq(sendto(fd, S(" \r\n \r\n\t"), 0, (struct sockaddr *)&a, sizeof(a)), 7);
	ck_assert_int_eq(sendto(fd, S(MSG_B), 0, (struct sockaddr *)&a, sizeof(a)), (ssize_t)strlen(MSG_B));
	ck_assert(run_until(&nrx, 1, 1000));
	run_for(50);
	ck_assert_uint_eq(nrx, 1);
	assert_rx(0, S(MSG_B));
	close(fd);
}
END_TEST

START_TEST(listen_refuses_any)
{
	struct in_addr any = { .s_addr = htonl(INADDR_ANY) };
	ck_assert_int_eq(sip_transport_listen(tp, &any, 1, 0), -1);
}
END_TEST

/* ---- TCP framing ---- */

START_TEST(tcp_two_messages_one_write)
{
	int fd = tcp_client();
	char both[256];

	snprintf(both, sizeof(both), "%s%s", MSG_A, MSG_B);
	write_all(fd, both, strlen(both));
	ck_assert(run_until(&nrx, 2, 1000));
	assert_rx(0, S(MSG_A));
	assert_rx(1, S(MSG_B));
	ck_assert_int_eq(rx[0].from.proto, SIP_PROTO_TCP);
	ck_assert_uint_ne(rx[0].from.conn_id, 0);
	ck_assert_uint_eq(rx[0].from.conn_id, rx[1].from.conn_id);
	ck_assert_uint_eq(rx[0].from.local.s_addr, lo.s_addr);
	ck_assert_uint_eq(sip_transport_tcp_count(tp), 1);
	close(fd);
}
END_TEST

START_TEST(tcp_message_in_five_byte_pieces)
{
	int fd = tcp_client();
	size_t len = strlen(MSG_BODY);

	for (size_t off = 0; off < len; off += 5) {
		ck_assert_uint_eq(nrx, 0);
		write_all(fd, MSG_BODY + off, len - off < 5 ? len - off : 5);
		run_for(10);
	}
	ck_assert(run_until(&nrx, 1, 1000));
	assert_rx(0, S(MSG_BODY));
	close(fd);
}
END_TEST

START_TEST(tcp_body_and_compact_length)
{
	int fd = tcp_client();
	char all[512];

	/* Leading CRLFs between messages are skipped; bodies are cut by Content-Length only. */
	snprintf(all, sizeof(all), "\r\n%s\r\n%s%s", MSG_BODY, MSG_COMPACT, MSG_A);
	write_all(fd, all, strlen(all));
	ck_assert(run_until(&nrx, 3, 1000));
	assert_rx(0, S(MSG_BODY));
	assert_rx(1, S(MSG_COMPACT));
	assert_rx(2, S(MSG_A));
	close(fd);
}
END_TEST

START_TEST(tcp_ping_gets_pong)
{
	int fd = tcp_client();
	char buf[8];

	write_all(fd, S("\r\n\r\n"));
	ck_assert_int_eq(client_read(fd, buf, 2, 1000), 2);
	ck_assert_mem_eq(buf, "\r\n", 2);
	run_for(30);
	ck_assert_int_eq(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);   /* exactly one CRLF */
	ck_assert_uint_eq(nrx, 0);
	ck_assert_uint_eq(sip_transport_tcp_count(tp), 1);
	close(fd);
}
END_TEST

/* Sends a bad stream and expects the connection to be closed and nothing delivered. */
static void expect_closed_after(const char *stream, size_t len)
{
	int fd = tcp_client();
	char buf[8];

	log_pattern = "TCP from 127.0.0.1:";   /* the warning names the peer */
	write_all(fd, stream, len);
	ck_assert_int_eq(client_read(fd, buf, sizeof(buf), 1000), -1);
	ck_assert_uint_eq(log_hits, 1);
	ck_assert_uint_eq(nrx, 0);
	ck_assert_uint_eq(sip_transport_tcp_count(tp), 0);
	close(fd);
}

START_TEST(tcp_oversize_header_closes)
{
	cfg.tcp_max_buffer = 1024;
	restart();
	char big[1500];
	memset(big, 'a', sizeof(big));
	memcpy(big, "OPTIONS sip:x SIP/2.0\r\nX: ", 26);
	expect_closed_after(big, sizeof(big));
}
END_TEST

START_TEST(tcp_oversize_length_closes)
{
	cfg.tcp_max_buffer = 1024;
	restart();
	expect_closed_after(S("OPTIONS sip:x SIP/2.0\r\nContent-Length: 990\r\n\r\n"));
}
END_TEST

START_TEST(tcp_malformed_length_closes)
{
	expect_closed_after(S("OPTIONS sip:x SIP/2.0\r\nContent-Length: 12x\r\n\r\n"));
}
END_TEST

/* ---- TCP connections ---- */

struct done_log {
	int status[8];
	int err[8];
	size_t n;
};

static void on_done(void *ud, int status, int err)
{
	struct done_log *d = ud;
	ck_assert_uint_lt(d->n, 8);
	d->status[d->n] = status;
	d->err[d->n] = err;
	d->n++;
}

START_TEST(tcp_reply_on_conn_id)
{
	int fd = tcp_client();
	char buf[256];

	write_all(fd, S(MSG_A));
	ck_assert(run_until(&nrx, 1, 1000));
	/* A wrong address: only the conn_id can lead the reply back into this connection. */
	struct sip_peer to = { .addr = addr_of(1), .proto = SIP_PROTO_TCP, .conn_id = rx[0].from.conn_id };
	struct done_log d = { 0 };
	/* It goes out at once on an open connection: done says so before the send returns. */
	ck_assert_int_eq(sip_transport_send(tp, &to, S(MSG_B), on_done, &d), 0);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_int_eq(d.status[0], 0);
	ck_assert_int_eq(client_read(fd, buf, strlen(MSG_B), 1000), (ssize_t)strlen(MSG_B));
	ck_assert_mem_eq(buf, MSG_B, strlen(MSG_B));
	ck_assert_uint_eq(sip_transport_tcp_count(tp), 1);
	close(fd);
}
END_TEST

/* Enough connections to make the table grow; each reply must reach its own client. */
START_TEST(tcp_many_connections_by_id)
{
	enum { N = 40 };
	int fds[N];
	char msg[128], buf[128];

	cfg.tcp_max_connections = N;
	restart();
	for (int i = 0; i < N; i++) {
		fds[i] = tcp_client();
		int n = snprintf(msg, sizeof(msg), "OPTIONS sip:%d@h SIP/2.0\r\nCall-ID: %d\r\n\r\n", i, i);
		write_all(fds[i], msg, (size_t)n);
	}
	ck_assert(run_until(&nrx, N, 2000));
	ck_assert_uint_eq(sip_transport_tcp_count(tp), N);
	for (size_t k = 0; k < N; k++) {
		struct sip_peer to = rx[k].from;
		to.addr = addr_of(1);   /* only the id may find the connection */
		ck_assert_int_eq(sip_transport_send(tp, &to, rx[k].buf, rx[k].len, NULL, NULL), 0);
	}
	for (int i = 0; i < N; i++) {
		int n = snprintf(msg, sizeof(msg), "OPTIONS sip:%d@h SIP/2.0\r\nCall-ID: %d\r\n\r\n", i, i);
		ck_assert_int_eq(client_read(fds[i], buf, (size_t)n, 1000), n);
		ck_assert_mem_eq(buf, msg, (size_t)n);
		close(fds[i]);
	}
	run_for(50);
	ck_assert_uint_eq(sip_transport_tcp_count(tp), 0);
}
END_TEST

/* A plain listening socket standing for a remote SIP server. */
static int remote_listener_backlog(uint16_t *p, int backlog)
{
	int fd = client_socket(SOCK_STREAM);
	struct sockaddr_in a = addr_of(0);
	socklen_t alen = sizeof(a);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, backlog), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	*p = ntohs(a.sin_port);
	return fd;
}

static int remote_listener(uint16_t *p) { return remote_listener_backlog(p, 8); }

START_TEST(tcp_outgoing_queue_in_order)
{
	uint16_t rp;
	int lfd = remote_listener(&rp);
	struct sip_peer to = { .addr = addr_of(rp), .proto = SIP_PROTO_TCP };
	struct done_log d = { 0 };
	char expect[512], buf[512];

	ck_assert_int_eq(sip_transport_send(tp, &to, S(MSG_A), on_done, &d), 0);
	ck_assert_int_eq(sip_transport_send(tp, &to, S(MSG_BODY), on_done, &d), 0);
	ck_assert_int_eq(sip_transport_send(tp, &to, S(MSG_B), on_done, &d), 0);
	ck_assert_uint_eq(sip_transport_tcp_count(tp), 1);   /* one connection per peer */
	ck_assert(run_until(&d.n, 3, 1000));
	for (size_t i = 0; i < 3; i++)
		ck_assert_int_eq(d.status[i], 0);

	int cfd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(cfd, 0);
	snprintf(expect, sizeof(expect), "%s%s%s", MSG_A, MSG_BODY, MSG_B);
	ck_assert_int_eq(client_read(cfd, buf, strlen(expect), 1000), (ssize_t)strlen(expect));
	ck_assert_mem_eq(buf, expect, strlen(expect));

	/* The peer answers on the same connection: it arrives with that connection's id. */
	write_all(cfd, S(MSG_COMPACT));
	ck_assert(run_until(&nrx, 1, 1000));
	assert_rx(0, S(MSG_COMPACT));
	ck_assert_uint_eq(rx[0].from.addr.sin_port, htons(rp));
	ck_assert_uint_eq(sip_transport_tcp_count(tp), 1);
	close(cfd);
	close(lfd);
}
END_TEST

START_TEST(tcp_connect_refused_fails_queue)
{
	uint16_t rp;
	int lfd = remote_listener(&rp);
	close(lfd);   /* nothing listens there now */
	struct sip_peer to = { .addr = addr_of(rp), .proto = SIP_PROTO_TCP };
	struct done_log d = { 0 };

	ck_assert_int_eq(sip_transport_send(tp, &to, S(MSG_A), on_done, &d), 0);
	ck_assert_int_eq(sip_transport_send(tp, &to, S(MSG_B), on_done, &d), 0);
	ck_assert(run_until(&d.n, 2, 1000));
	ck_assert_int_eq(d.status[0], -1);
	ck_assert_int_eq(d.err[0], ECONNREFUSED);
	ck_assert_int_eq(d.status[1], -1);
	ck_assert_uint_eq(sip_transport_tcp_count(tp), 0);
}
END_TEST

START_TEST(tcp_connect_timeout_fails_queue)
{
	cfg.tcp_connect_timeout = 200;
	restart();
	/* A listener whose accept queue is full drops further SYNs: our connect hangs. */
	uint16_t rp;
	int lfd = remote_listener_backlog(&rp, 0);
	struct sockaddr_in a = addr_of(rp);
	int filler = client_socket(SOCK_STREAM);
	ck_assert_int_eq(connect(filler, (struct sockaddr *)&a, sizeof(a)), 0);

	struct sip_peer to = { .addr = a, .proto = SIP_PROTO_TCP };
	struct done_log d = { 0 };
	ck_assert_int_eq(sip_transport_send(tp, &to, S(MSG_A), on_done, &d), 0);
	run_for(100);
	ck_assert_uint_eq(d.n, 0);
	ck_assert(run_until(&d.n, 1, 1000));
	ck_assert_int_eq(d.status[0], -1);
	ck_assert_int_eq(d.err[0], ETIMEDOUT);
	ck_assert_uint_eq(sip_transport_tcp_count(tp), 0);
	close(filler);
	close(lfd);
}
END_TEST

START_TEST(tcp_queue_bounded_while_connecting)
{
	cfg.tcp_max_buffer = 1024;
	restart();
	uint16_t rp;
	int lfd = remote_listener(&rp);
	struct sip_peer to = { .addr = addr_of(rp), .proto = SIP_PROTO_TCP };
	char msg[600];
	memset(msg, 'x', sizeof(msg));

	ck_assert_int_eq(sip_transport_send(tp, &to, msg, sizeof(msg), NULL, NULL), 0);
	ck_assert_int_eq(sip_transport_send(tp, &to, msg, sizeof(msg), NULL, NULL), -1);
	ck_assert_int_eq(sip_transport_send(tp, &to, msg, 400, NULL, NULL), 0);
	close(lfd);
}
END_TEST

START_TEST(tcp_partial_writes_flushed)
{
	/* More than the kernel's largest send plus receive buffers: the socket must say "full". */
	size_t len = 4u << 20, total = 3 * len;
	cfg.tcp_max_buffer = (int)(4 * len);
	restart();
	uint16_t rp;
	int lfd = remote_listener(&rp);
	struct sip_peer to = { .addr = addr_of(rp), .proto = SIP_PROTO_TCP };
	char *msg = malloc(len), *got = malloc(total);
	struct done_log d = { 0 };

	for (int i = 0; i < 3; i++) {
		memset(msg, 'a' + i, len);
		ck_assert_int_eq(sip_transport_send(tp, &to, msg, len, on_done, &d), 0);
	}
	run_for(50);
	int cfd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(cfd, 0);
	ck_assert_int_eq(client_read(cfd, got, total, 5000), (ssize_t)total);
	for (size_t i = 0; i < total; i += 4096)
		ck_assert_int_eq(got[i], 'a' + (int)(i / len));
	ck_assert_int_eq(got[total - 1], 'c');
	ck_assert(run_until(&d.n, 3, 1000));
	for (size_t i = 0; i < 3; i++)
		ck_assert_int_eq(d.status[i], 0);
	free(msg);
	free(got);
	close(cfd);
	close(lfd);
}
END_TEST

START_TEST(tcp_idle_timeout_closes)
{
	cfg.tcp_timeout = 1;
	restart();
	int fd = tcp_client();
	char buf[8];

	write_all(fd, S(MSG_A));
	ck_assert(run_until(&nrx, 1, 1000));
	ck_assert_uint_eq(sip_transport_tcp_count(tp), 1);
	run_for(500);
	ck_assert_uint_eq(sip_transport_tcp_count(tp), 1);   /* not before tcp_timeout */
	ck_assert_int_eq(client_read(fd, buf, sizeof(buf), 1500), -1);
	ck_assert_uint_eq(sip_transport_tcp_count(tp), 0);
	close(fd);
}
END_TEST

START_TEST(tcp_keepalive_sent_when_idle)
{
	cfg.tcp_keepalive = 1;
	restart();
	int fd = tcp_client();
	char buf[8];

	write_all(fd, S(MSG_A));
	ck_assert(run_until(&nrx, 1, 1000));
	ck_assert_int_eq(client_read(fd, buf, 4, 2000), 4);
	ck_assert_mem_eq(buf, "\r\n\r\n", 4);
	close(fd);
}
END_TEST

START_TEST(tcp_connection_limit)
{
	cfg.tcp_max_connections = 2;
	restart();
	int fds[4];
	char buf[8];

	log_pattern = "tcp_max_connections";
	for (int i = 0; i < 4; i++) {
		fds[i] = tcp_client();
		run_for(20);   /* accepted in order */
	}
	ck_assert_uint_eq(sip_transport_tcp_count(tp), 2);
	ck_assert_int_eq(client_read(fds[2], buf, sizeof(buf), 500), -1);
	ck_assert_int_eq(client_read(fds[3], buf, sizeof(buf), 500), -1);
	ck_assert_uint_eq(log_hits, 1);   /* one line for the burst, not one per refusal */
	ck_assert_int_eq(recv(fds[0], buf, sizeof(buf), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);

	/* Outgoing connections count against the same limit. */
	uint16_t rp;
	int lfd = remote_listener(&rp);
	struct sip_peer to = { .addr = addr_of(rp), .proto = SIP_PROTO_TCP };
	ck_assert_int_eq(sip_transport_send(tp, &to, S(MSG_A), NULL, NULL), -1);

	/* Once one closes, there is room again. */
	close(fds[0]);
	run_for(50);
	ck_assert_uint_eq(sip_transport_tcp_count(tp), 1);
	ck_assert_int_eq(sip_transport_send(tp, &to, S(MSG_A), NULL, NULL), 0);
	ck_assert_uint_eq(sip_transport_tcp_count(tp), 2);
	close(lfd);
	for (int i = 1; i < 4; i++)
		close(fds[i]);
}
END_TEST

/* ---- the framer alone ---- */

/* Deterministic generator, so a failure can be replayed. */
static uint32_t rng_state;
static uint32_t rng(void)
{
	rng_state = rng_state * 1664525u + 1013904223u;
	return rng_state >> 8;
}

struct frame_out {
	char *stream;
	size_t len;
	size_t off[64], mlen[64];
	size_t nmsg, npings;
};

/* A valid stream: messages of several shapes, with pings and stray CRLFs between them. */
static void build_stream(struct frame_out *f)
{
	f->stream = malloc(64 * 2048);
	f->len = f->nmsg = f->npings = 0;
	for (int i = 0; i < 40; i++) {
		switch (rng() % 4) {
		case 0:
			memcpy(f->stream + f->len, "\r\n\r\n", 4);
			f->len += 4;
			f->npings++;
			break;
		case 1:
			memcpy(f->stream + f->len, "\r\n", 2);
			f->len += 2;
			break;
		default:
			break;
		}
		size_t body = rng() % 300;
		const char *name = (rng() & 1) ? "l" : "content-length";
		int n = sprintf(f->stream + f->len, "INFO sip:u%d@h SIP/2.0\r\nCall-ID: %d\r\n%s: %zu\r\n\r\n", i, i, name, body);
		f->off[f->nmsg] = f->len;
		f->len += (size_t)n;
		for (size_t k = 0; k < body; k++)
			f->stream[f->len++] = (char)('A' + rng() % 26);
		f->mlen[f->nmsg++] = (size_t)n + body;
	}
}

START_TEST(framer_random_splits)
{
	rng_state = 12345u + (uint32_t)_i;
	struct frame_out f;
	build_stream(&f);

	struct sip_rxbuf b;
	sip_rxbuf_init(&b, 1024);
	size_t pos = 0, got = 0, pings = 0;
	while (pos < f.len) {
		char *p;
		size_t room;
		ck_assert_int_eq(sip_rxbuf_space(&b, &p, &room), 0);
		size_t n = 1 + rng() % 200;
		if (n > room)
			n = room;
		if (n > f.len - pos)
			n = f.len - pos;
		memcpy(p, f.stream + pos, n);
		pos += n;
		sip_rxbuf_commit(&b, n);
		for (;;) {
			char *msg;
			size_t len;
			const char *why = NULL;
			enum sip_frame_kind k = sip_rxbuf_next(&b, &msg, &len, &why);
			ck_assert_msg(k != SIP_FRAME_ERROR, "framing error: %s", why);
			if (k == SIP_FRAME_MORE)
				break;
			if (k == SIP_FRAME_PING) {
				pings++;
				continue;
			}
			ck_assert_uint_lt(got, f.nmsg);
			ck_assert_uint_eq(len, f.mlen[got]);
			ck_assert_mem_eq(msg, f.stream + f.off[got], len);
			got++;
		}
	}
	ck_assert_uint_eq(got, f.nmsg);
	ck_assert_uint_eq(pings, f.npings);
	sip_rxbuf_free(&b);
	free(f.stream);
}
END_TEST

/* Random bytes rich in the framer's special characters: it must never crash or overrun max. */
START_TEST(framer_random_garbage)
{
	static const char alphabet[] = "\r\n\r\n: lL0123456789Content-Length\t";
	struct sip_rxbuf b;
	size_t max = 512;

	rng_state = 777u + (uint32_t)_i;
	sip_rxbuf_init(&b, max);
	for (int round = 0; round < 2000; round++) {
		char *p, *msg;
		size_t room, len;
		const char *why;
		ck_assert_int_eq(sip_rxbuf_space(&b, &p, &room), 0);
		size_t n = 1 + rng() % 64;
		if (n > room)
			n = room;
		for (size_t k = 0; k < n; k++)
			p[k] = alphabet[rng() % (sizeof(alphabet) - 1)];
		sip_rxbuf_commit(&b, n);
		enum sip_frame_kind k;
		while ((k = sip_rxbuf_next(&b, &msg, &len, &why)) == SIP_FRAME_MSG || k == SIP_FRAME_PING)
			if (k == SIP_FRAME_MSG)
				ck_assert_uint_le(len, max);
		if (k == SIP_FRAME_ERROR) {   /* a connection would close here: start a new one */
			sip_rxbuf_free(&b);
			sip_rxbuf_init(&b, max);
		}
	}
	sip_rxbuf_free(&b);
}
END_TEST

/* Feeds s (as much as fits) and returns what the framer makes of it first. */
static enum sip_frame_kind frame_once(const char *s, size_t max, size_t *len)
{
	struct sip_rxbuf b;
	char *p, *msg;
	size_t room, n = strlen(s);
	const char *why;

	sip_rxbuf_init(&b, max);
	ck_assert_int_eq(sip_rxbuf_space(&b, &p, &room), 0);
	if (n > room)
		n = room;
	memcpy(p, s, n);
	sip_rxbuf_commit(&b, n);
	*len = 0;
	enum sip_frame_kind k = sip_rxbuf_next(&b, &msg, len, &why);
	sip_rxbuf_free(&b);
	return k;
}

START_TEST(framer_edge_cases)
{
	static const char lf_only[] = "A sip:x SIP/2.0\nl: 2\n\nxy";
	static const char lookalike[] = "A sip:x SIP/2.0\r\nX-Content-Length: 5\r\n\r\n";
	static const char exact[] = "A sip:x SIP/2.0\r\nl: 4\r\n\r\nabcd";
	static const char folded[] = "A sip:x SIP/2.0\r\nContent-Length:\r\n  3\r\nX: y\r\n\r\nabc";
	size_t len;

	ck_assert_int_eq(frame_once(lf_only, 1024, &len), SIP_FRAME_MSG);
	ck_assert_uint_eq(len, strlen(lf_only));
	ck_assert_int_eq(frame_once("A sip:x SIP/2.0\r\nl: 2\r\nContent-Length: 3\r\n\r\nxyz", 1024, &len),
			 SIP_FRAME_ERROR);
	ck_assert_int_eq(frame_once("A sip:x SIP/2.0\r\nContent-Length:\r\n\r\n", 1024, &len), SIP_FRAME_ERROR);
	ck_assert_int_eq(frame_once("A sip:x SIP/2.0\r\nContent-Length: 99999999999999999999999\r\n\r\n", 1024, &len),
			 SIP_FRAME_ERROR);
	/* A header merely ending in the name is not it. */
	ck_assert_int_eq(frame_once(lookalike, 1024, &len), SIP_FRAME_MSG);
	ck_assert_uint_eq(len, strlen(lookalike));
	ck_assert_int_eq(frame_once(folded, 1024, &len), SIP_FRAME_MSG);
	ck_assert_uint_eq(len, strlen(folded));
	ck_assert_int_eq(frame_once("\r\n\r", 1024, &len), SIP_FRAME_MORE);
	ck_assert_int_eq(frame_once("A sip:x SIP/2.0\r\nl: 5\r\n\r\nab", 1024, &len), SIP_FRAME_MORE);
	/* A message of exactly max bytes fits; one byte less of room does not. */
	ck_assert_int_eq(frame_once(exact, strlen(exact), &len), SIP_FRAME_MSG);
	ck_assert_uint_eq(len, strlen(exact));
	ck_assert_int_eq(frame_once(exact, strlen(exact) - 1, &len), SIP_FRAME_ERROR);
}
END_TEST

/* Two pongs to our keep-alives, one interval apart, must not look like a ping. */
START_TEST(framer_pongs_do_not_pair)
{
	struct sip_rxbuf b;
	char *p, *msg;
	size_t room, len;
	const char *why;

	sip_rxbuf_init(&b, 1024);
	for (int pong = 0; pong < 2; pong++) {
		sip_rxbuf_drop_pending_crlf(&b);
		ck_assert_int_eq(sip_rxbuf_space(&b, &p, &room), 0);
		memcpy(p, "\r\n", 2);
		sip_rxbuf_commit(&b, 2);
		ck_assert_int_eq(sip_rxbuf_next(&b, &msg, &len, &why), SIP_FRAME_MORE);
	}
	/* Without the drop, the same bytes are a ping. */
	ck_assert_int_eq(sip_rxbuf_space(&b, &p, &room), 0);
	memcpy(p, "\r\n", 2);
	sip_rxbuf_commit(&b, 2);
	ck_assert_int_eq(sip_rxbuf_next(&b, &msg, &len, &why), SIP_FRAME_PING);
	sip_rxbuf_free(&b);
}
END_TEST

static Suite *transport_suite(void)
{
	Suite *s = suite_create("sip_transport");
	TCase *tc = tcase_create("sockets");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, udp_echo);
	tcase_add_test(tc, udp_reply_from_arrival_address);
	tcase_add_test(tc, unlisten_closes_listeners_keeps_connections);
	tcase_add_test(tc, udp_large_datagram_whole);
	tcase_add_test(tc, udp_keepalives_dropped);
	tcase_add_test(tc, listen_refuses_any);
	tcase_add_test(tc, tcp_two_messages_one_write);
	tcase_add_test(tc, tcp_message_in_five_byte_pieces);
	tcase_add_test(tc, tcp_body_and_compact_length);
	tcase_add_test(tc, tcp_ping_gets_pong);
	tcase_add_test(tc, tcp_oversize_header_closes);
	tcase_add_test(tc, tcp_oversize_length_closes);
	tcase_add_test(tc, tcp_malformed_length_closes);
	tcase_add_test(tc, tcp_reply_on_conn_id);
	tcase_add_test(tc, tcp_many_connections_by_id);
	tcase_add_test(tc, tcp_outgoing_queue_in_order);
	tcase_add_test(tc, tcp_connect_refused_fails_queue);
	tcase_add_test(tc, tcp_connect_timeout_fails_queue);
	tcase_add_test(tc, tcp_queue_bounded_while_connecting);
	tcase_add_test(tc, tcp_partial_writes_flushed);
	tcase_add_test(tc, tcp_idle_timeout_closes);
	tcase_add_test(tc, tcp_keepalive_sent_when_idle);
	tcase_add_test(tc, tcp_connection_limit);
	suite_add_tcase(s, tc);

	TCase *fr = tcase_create("framer");
	tcase_add_loop_test(fr, framer_random_splits, 0, 50);
	tcase_add_loop_test(fr, framer_random_garbage, 0, 20);
	tcase_add_test(fr, framer_edge_cases);
	tcase_add_test(fr, framer_pongs_do_not_pair);
	suite_add_tcase(s, fr);
	return s;
}

int main(void)
{
	return unit_run(transport_suite());
}
