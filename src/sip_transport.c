/* SIP transport front: binds UDP and TCP per address, receives datagrams, and routes sends to UDP or TCP. */
#include "build_config.h"

#include "sip_transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "event_loop.h"
#include "log.h"
#include "sip_tcp.h"

/* The largest UDP payload IPv4 can carry fits in this; nothing is cut short. */
#define UDP_MAX_DATAGRAM 65535
/* Datagrams read per wake-up, so that UDP cannot starve TCP and RTP sockets. */
#define UDP_READ_BATCH 64
/*
 * Datagrams per recvmmsg call: one system call, and no failing call at the end when the queue
 * holds fewer, instead of one recvfrom per datagram. Each needs a whole-datagram buffer.
 */
#define UDP_MMSG 8
/* Port 0 (tests) picks a UDP port that must also be free for TCP: tries this many. */
#define EPHEMERAL_TRIES 16

struct udp_sock {
	struct sip_transport *t;
	int fd;
	struct in_addr addr;
};

struct sip_transport {
	struct event_loop *el;
	int dscp;
	sip_rx_fn rx;
	void *rx_ud;
	struct sip_tcp *tcp;
	struct udp_sock **udp;
	size_t nudp;
	uint16_t port;
	char *udp_buf;   /* UDP_MMSG buffers of UDP_MAX_DATAGRAM + 1 (the terminating NUL) */
};

const char *sip_addr_str(const struct sockaddr_in *a, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	if (!inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	snprintf(buf, len, "%s:%u", ip, (unsigned)ntohs(a->sin_port));
	return buf;
}

void sip_socket_set_dscp(int fd, int dscp)
{
	int tos = dscp << 2;

	if (dscp > 0 && setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) < 0)
		log_debug(DBCLASS_NET, "cannot set DSCP %d: %s", dscp, strerror(errno));
}

struct sip_transport *sip_transport_create(struct event_loop *el, const struct config *cfg,
					   sip_rx_fn rx, void *rx_ud)
{
	struct sip_transport *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->el = el;
	t->dscp = cfg->sip_dscp;
	t->rx = rx;
	t->rx_ud = rx_ud;
	t->udp_buf = malloc(UDP_MMSG * (size_t)(UDP_MAX_DATAGRAM + 1));
	t->tcp = sip_tcp_create(el, cfg, rx, rx_ud);
	if (!t->udp_buf || !t->tcp) {
		sip_transport_destroy(t);
		return NULL;
	}
	return t;
}

void sip_transport_destroy(struct sip_transport *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nudp; i++) {
		el_fd_del(t->el, t->udp[i]->fd);
		close(t->udp[i]->fd);
		free(t->udp[i]);
	}
	free(t->udp);
	sip_tcp_destroy(t->tcp);
	free(t->udp_buf);
	free(t);
}

/* Keep-alives some UAs send over UDP: CRLFs (RFC 5626), or a few blanks or NULs (older phones). */
static bool udp_is_keepalive(const char *b, size_t n)
{
	if (n >= 16)
		return false;
	for (size_t i = 0; i < n; i++)
		if (b[i] != '\r' && b[i] != '\n' && b[i] != ' ' && b[i] != '\t' && b[i] != '\0')
			return false;
	return true;
}

/* One received datagram: keep-alives go, the rest to the receiver as a NUL-terminated string. */
static void udp_deliver(struct sip_transport *t, struct udp_sock *s, char *buf, size_t n,
			const struct sockaddr_in *src)
{
	struct sip_peer from = { .local = s->addr, .proto = SIP_PROTO_UDP, .addr = *src };
	char a[SIP_ADDR_STRLEN];

	if (udp_is_keepalive(buf, n)) {
		log_debug(DBCLASS_BABBLE, "UDP keep-alive from %s dropped", sip_addr_str(&from.addr, a, sizeof(a)));
		return;
	}
	buf[n] = '\0';
	t->rx(t->rx_ud, buf, n, &from);
}

static void on_udp(struct event_loop *el, int fd, unsigned events, void *ud)
{
	struct udp_sock *s = ud;
	struct sip_transport *t = s->t;
	struct mmsghdr mm[UDP_MMSG];
	struct iovec iov[UDP_MMSG];
	struct sockaddr_in src[UDP_MMSG];

	for (int done = 0; done < UDP_READ_BATCH;) {
		unsigned want = UDP_READ_BATCH - done < UDP_MMSG ? (unsigned)(UDP_READ_BATCH - done) : UDP_MMSG;
		int got;

		for (unsigned i = 0; i < want; i++) {
			iov[i] = (struct iovec){ .iov_base = t->udp_buf + i * (size_t)(UDP_MAX_DATAGRAM + 1),
						 .iov_len = UDP_MAX_DATAGRAM };
			mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &src[i], .msg_namelen = sizeof(src[i]),
							       .msg_iov = &iov[i], .msg_iovlen = 1 } };
		}
		got = recvmmsg(fd, mm, want, 0, NULL);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_debug(DBCLASS_NET, "UDP receive on %s: %s", inet_ntoa(s->addr), strerror(errno));
			return;
		}
		for (int i = 0; i < got; i++)
			udp_deliver(t, s, iov[i].iov_base, mm[i].msg_len, &src[i]);
		done += got;
		/* Fewer than asked for: the queue is empty, no need for a call that fails with EAGAIN. */
		if ((unsigned)got < want)
			return;
	}
}

/*
 * A non-blocking socket bound to addr:port (listening when a stream); *bound gets the port.
 * Returns the fd or -1 with errno.
 */
static int socket_bound(int type, struct in_addr addr, uint16_t port, int dscp, uint16_t *bound)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = addr };
	socklen_t slen = sizeof(sa);
	int one = 1;
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	/* TCP only: lets a restarted daemon bind while old connections sit in TIME_WAIT. */
	if ((type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, SOMAXCONN) < 0) ||
	    getsockname(fd, (struct sockaddr *)&sa, &slen) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	sip_socket_set_dscp(fd, dscp);
	*bound = ntohs(sa.sin_port);
	return fd;
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/*
 * Opens UDP and TCP sockets on every address at port (0: the port the first UDP socket got).
 * On failure nothing stays open, *failed names the address and protocol, errno says why.
 */
static int open_all(struct sip_transport *t, const struct in_addr *addrs, size_t n, uint16_t *port,
		    int *udp_fds, int *tcp_fds, char *failed, size_t flen)
{
	for (size_t i = 0; i < n; i++)
		udp_fds[i] = tcp_fds[i] = -1;
	for (size_t i = 0; i < n; i++) {
		uint16_t bound;
		const char *proto = "UDP";
		udp_fds[i] = socket_bound(SOCK_DGRAM, addrs[i], *port, t->dscp, &bound);
		if (udp_fds[i] >= 0) {
			*port = bound;
			proto = "TCP";
			tcp_fds[i] = socket_bound(SOCK_STREAM, addrs[i], *port, t->dscp, &bound);
		}
		if (tcp_fds[i] < 0) {
			int e = errno;
			snprintf(failed, flen, "%s %s:%u", proto, inet_ntoa(addrs[i]), (unsigned)*port);
			close_fds(udp_fds, i + 1);
			close_fds(tcp_fds, i + 1);
			errno = e;
			return -1;
		}
	}
	return 0;
}

static int add_udp(struct sip_transport *t, int fd, struct in_addr addr)
{
	struct udp_sock **nu = realloc(t->udp, (t->nudp + 1) * sizeof(*nu));
	if (!nu)
		return -1;
	t->udp = nu;
	struct udp_sock *s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	s->t = t;
	s->fd = fd;
	s->addr = addr;
	if (el_fd_add(t->el, fd, EL_READ, on_udp, s) < 0) {
		free(s);
		return -1;
	}
	t->udp[t->nudp++] = s;
	return 0;
}

static struct udp_sock *udp_find(const struct sip_transport *t, struct in_addr addr, size_t *at)
{
	for (size_t i = 0; i < t->nudp; i++) {
		if (t->udp[i]->addr.s_addr == addr.s_addr) {
			if (at)
				*at = i;
			return t->udp[i];
		}
	}
	return NULL;
}

bool sip_transport_listening(const struct sip_transport *t, struct in_addr addr)
{
	return udp_find(t, addr, NULL) != NULL;
}

int sip_transport_listen(struct sip_transport *t, const struct in_addr *given, size_t ngiven, uint16_t port)
{
	char failed[64] = "";
	int rc = -1;
	size_t n = 0;

	if (ngiven == 0) {
		log_error("SIP transport: no address to listen on");
		return -1;
	}
	for (size_t i = 0; i < ngiven; i++) {
		if (given[i].s_addr == htonl(INADDR_ANY)) {
			/* One socket per address is what tells us which interface a message came in on. */
			log_error("SIP transport: will not listen on 0.0.0.0, only on interface addresses");
			return -1;
		}
	}
	struct in_addr *addrs = calloc(ngiven, sizeof(*addrs));
	int *udp_fds = calloc(ngiven, sizeof(int)), *tcp_fds = calloc(ngiven, sizeof(int));
	if (!addrs || !udp_fds || !tcp_fds) {
		log_error("SIP transport: out of memory");
		goto out;
	}
	/* An address already served (inbound == outbound, a change back to an old address) is skipped. */
	for (size_t i = 0; i < ngiven; i++) {
		bool dup = sip_transport_listening(t, given[i]);
		for (size_t j = 0; j < n && !dup; j++)
			dup = addrs[j].s_addr == given[i].s_addr;
		if (!dup)
			addrs[n++] = given[i];
	}
	if (n == 0) {
		rc = 0;
		goto out;
	}
	/* Later listeners join the port the first ones got (port 0 in tests). */
	if (port == 0 && t->nudp > 0)
		port = t->port;
	for (int tries = 0; tries < (port ? 1 : EPHEMERAL_TRIES); tries++) {
		uint16_t p = port;
		rc = open_all(t, addrs, n, &p, udp_fds, tcp_fds, failed, sizeof(failed));
		if (rc == 0) {
			t->port = p;
			break;
		}
		if (errno != EADDRINUSE)
			break;
	}
	if (rc < 0) {
		log_error("SIP transport: cannot listen on %s: %s", failed, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		bool udp_ok = add_udp(t, udp_fds[i], addrs[i]) == 0;
		if (!udp_ok)
			close(udp_fds[i]);
		if (!udp_ok || sip_tcp_add_listener(t->tcp, tcp_fds[i], addrs[i]) < 0) {
			log_error("SIP transport: cannot watch sockets on %s: %s", inet_ntoa(addrs[i]), strerror(errno));
			close_fds(tcp_fds + i, n - i);
			close_fds(udp_fds + i + 1, n - i - 1);
			rc = -1;
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++)
		log_info("SIP transport: listening on %s, UDP and TCP port %u", inet_ntoa(addrs[i]), (unsigned)t->port);
out:
	free(addrs);
	free(udp_fds);
	free(tcp_fds);
	return rc;
}

uint16_t sip_transport_bound_port(const struct sip_transport *t) { return t->port; }

int sip_transport_unlisten(struct sip_transport *t, struct in_addr addr)
{
	size_t i;
	struct udp_sock *s = udp_find(t, addr, &i);
	bool found = s != NULL;

	if (s) {
		el_fd_del(t->el, s->fd);
		close(s->fd);
		free(s);
		memmove(t->udp + i, t->udp + i + 1, (t->nudp - i - 1) * sizeof(*t->udp));
		t->nudp--;
	}
	if (sip_tcp_remove_listener(t->tcp, addr) == 0)
		found = true;
	if (!found) {
		errno = ENOENT;
		return -1;
	}
	log_info("SIP transport: no longer listening on %s", inet_ntoa(addr));
	return 0;
}

static int udp_send(struct sip_transport *t, const struct sip_peer *to, const char *buf, size_t len)
{
	char a[SIP_ADDR_STRLEN];

	if (t->nudp == 0) {
		errno = ENOTCONN;
		return -1;
	}
	struct udp_sock *s = t->udp[0];
	/* A handful of interface addresses at most: a scan is cheaper than any table here. */
	for (size_t i = 0; i < t->nudp; i++)
		if (t->udp[i]->addr.s_addr == to->local.s_addr)
			s = t->udp[i];
	if (sendto(s->fd, buf, len, 0, (const struct sockaddr *)&to->addr, sizeof(to->addr)) >= 0)
		return 0;
	if (errno == ECONNREFUSED)
		return 0;   /* an ICMP error left over from an earlier datagram, not about this one */
	log_debug(DBCLASS_NET, "UDP send to %s: %s", sip_addr_str(&to->addr, a, sizeof(a)), strerror(errno));
	return -1;
}

int sip_transport_send(struct sip_transport *t, const struct sip_peer *to, const char *buf, size_t len,
		       sip_sent_fn done, void *done_ud)
{
	struct sip_peer dst = *to;

	dst.addr.sin_family = AF_INET;   /* callers fill in address and port; the family is ours to know */
	if (dst.proto == SIP_PROTO_TCP)
		return sip_tcp_send(t->tcp, &dst, buf, len, done, done_ud);
	if (udp_send(t, &dst, buf, len) != 0)
		return -1;
	if (done)
		done(done_ud, 0, 0);
	return 0;
}

size_t sip_transport_tcp_count(const struct sip_transport *t) { return sip_tcp_count(t->tcp); }
