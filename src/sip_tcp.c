/* SIP over TCP: listeners, the connection table, framed receiving, queued sending, connect/idle timers. */
#include "build_config.h"

#include "sip_tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "event_loop.h"
#include "hmap.h"
#include "log.h"
#include "sip_framing.h"

/* Work done per wake-up on one socket, so one busy peer cannot starve the others. */
#define TCP_READ_BATCH   16
#define TCP_ACCEPT_BATCH 64
/* After accept() ran out of file descriptors, listeners rest this long instead of spinning. */
#define TCP_ACCEPT_PAUSE_MS 1000
#define TCP_LIMIT_LOG_MS 60000

/* One message (or the unsent rest of one) waiting for the socket to take it. */
struct tcp_out {
	struct tcp_out *next;
	size_t len, off;
	sip_sent_fn done;
	void *done_ud;
	char data[];
};

struct tcp_conn {
	struct sip_tcp *tcp;
	int fd;
	uint64_t id;
	struct sockaddr_in peer;
	struct in_addr local;
	bool connecting;
	bool closed;            /* unlinked and fd closed; freed when busy drops to 0 */
	unsigned busy;          /* callers up the stack still using this struct */
	unsigned events;        /* what the loop watches for us */
	unsigned char addr_key[6];   /* peer address and port, the by_addr key */
	struct tcp_conn *prev, *next; /* every open connection, for shutdown */
	struct sip_rxbuf rx;
	struct tcp_out *out_head, *out_tail;
	size_t out_bytes;
	struct el_timer timer;  /* connect timeout, then idle close and keep-alive */
	uint64_t last_traffic_ms, last_ka_ms;
};

struct tcp_listener {
	struct sip_tcp *tcp;
	int fd;
	struct in_addr addr;
};

struct sip_tcp {
	struct event_loop *el;
	sip_rx_fn rx;
	void *rx_ud;
	size_t max_buffer, max_conns;
	uint64_t connect_ms, idle_ms, keepalive_ms;   /* 0 = off */
	int dscp;

	struct tcp_listener **ls;
	size_t nls;
	bool accept_paused;
	struct el_timer accept_resume;

	/* The connection table: two maps over the same entries. */
	struct hmap by_id, by_addr;
	struct tcp_conn *all;
	size_t count;
	uint64_t next_id;
	size_t refused;       /* connections refused at the limit since it was last logged */
	bool refuse_logged;
	uint64_t refuse_log_ms;
};

/* ---- connection table ---- */

static void addr_key(struct tcp_conn *c)
{
	memcpy(c->addr_key, &c->peer.sin_addr.s_addr, 4);
	memcpy(c->addr_key + 4, &c->peer.sin_port, 2);
}

/* Makes room in both maps first, so that linking cannot fail half-way. */
static int table_link(struct sip_tcp *tcp, struct tcp_conn *c)
{
	if (hmap_reserve(&tcp->by_id, tcp->count + 1) < 0 || hmap_reserve(&tcp->by_addr, tcp->count + 1) < 0)
		return -1;
	hmap_put(&tcp->by_id, &c->id, sizeof(c->id), c);
	/* Two connections with one peer address (ours out, theirs in) are rare: the newer one is found. */
	hmap_put(&tcp->by_addr, c->addr_key, sizeof(c->addr_key), c);
	c->next = tcp->all;
	if (tcp->all)
		tcp->all->prev = c;
	tcp->all = c;
	return 0;
}

static void table_unlink(struct sip_tcp *tcp, struct tcp_conn *c)
{
	hmap_del(&tcp->by_id, &c->id, sizeof(c->id));
	if (hmap_get(&tcp->by_addr, c->addr_key, sizeof(c->addr_key)) == c)
		hmap_del(&tcp->by_addr, c->addr_key, sizeof(c->addr_key));
	if (c->prev)
		c->prev->next = c->next;
	else
		tcp->all = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

static struct tcp_conn *find_by_addr(const struct sip_tcp *tcp, const struct sockaddr_in *a)
{
	unsigned char key[6];

	memcpy(key, &a->sin_addr.s_addr, 4);
	memcpy(key + 4, &a->sin_port, 2);
	return hmap_get(&tcp->by_addr, key, sizeof(key));
}

static struct tcp_conn *find_by_id(const struct sip_tcp *tcp, uint64_t id)
{
	return hmap_get(&tcp->by_id, &id, sizeof(id));
}

/* ---- connection life cycle ---- */

static void on_conn_event(struct event_loop *el, int fd, unsigned events, void *ud);
static void on_conn_timer(struct event_loop *el, void *ud);
static void listeners_resume(struct sip_tcp *tcp);

static void conn_free(struct tcp_conn *c)
{
	sip_rxbuf_free(&c->rx);
	free(c);
}

/* Drops a reference taken with busy++; frees a connection closed meanwhile. */
static void conn_unref(struct tcp_conn *c)
{
	if (--c->busy == 0 && c->closed)
		conn_free(c);
}

/* Refusals at the connection limit come in floods: one line per minute at most, with the count. */
static void limit_refuse(struct sip_tcp *tcp, const struct sockaddr_in *peer, const char *what)
{
	char a[SIP_ADDR_STRLEN];
	uint64_t now = el_now_ms(tcp->el);

	tcp->refused++;
	if (tcp->refuse_logged && now - tcp->refuse_log_ms < TCP_LIMIT_LOG_MS)
		return;
	log_warn("TCP: tcp_max_connections (%zu) reached, %s %s (%zu refused since the last notice)",
		 tcp->max_conns, what, sip_addr_str(peer, a, sizeof(a)), tcp->refused);
	tcp->refused = 0;
	tcp->refuse_logged = true;
	tcp->refuse_log_ms = now;
}

/*
 * Closes a connection: it leaves the table at once, and every message still queued on it fails
 * (err). The struct itself lives on while a caller up the stack holds it.
 */
static void conn_close(struct tcp_conn *c, int err, const char *why)
{
	struct sip_tcp *tcp = c->tcp;
	char a[SIP_ADDR_STRLEN];

	if (c->closed)
		return;
	log_debug(DBCLASS_NET, "TCP connection %llu to %s closed: %s", (unsigned long long)c->id,
		  sip_addr_str(&c->peer, a, sizeof(a)), why);
	c->closed = true;
	table_unlink(tcp, c);
	tcp->count--;
	el_fd_del(tcp->el, c->fd);
	close(c->fd);
	el_timer_stop(tcp->el, &c->timer);
	if (tcp->accept_paused)
		listeners_resume(tcp);

	c->busy++;
	while (c->out_head) {
		struct tcp_out *o = c->out_head;
		c->out_head = o->next;
		if (o->done)
			o->done(o->done_ud, -1, err);
		free(o);
	}
	c->out_tail = NULL;
	c->out_bytes = 0;
	conn_unref(c);
}

static struct tcp_conn *conn_new(struct sip_tcp *tcp, int fd, const struct sockaddr_in *peer,
				 struct in_addr local, bool connecting)
{
	struct tcp_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->tcp = tcp;
	c->fd = fd;
	c->id = tcp->next_id++;
	c->peer = *peer;
	addr_key(c);
	c->local = local;
	c->connecting = connecting;
	c->events = connecting ? EL_WRITE : EL_READ;
	c->last_traffic_ms = c->last_ka_ms = el_now_ms(tcp->el);
	sip_rxbuf_init(&c->rx, tcp->max_buffer);
	if (table_link(tcp, c) < 0) {
		free(c);
		return NULL;
	}
	if (el_fd_add(tcp->el, fd, c->events, on_conn_event, c) < 0) {
		int e = errno;
		table_unlink(tcp, c);
		free(c);
		errno = e;
		return NULL;
	}
	tcp->count++;
	return c;
}

/* Idle close and keep-alive share one timer: it fires at whichever is due first. */
static void conn_arm_timer(struct tcp_conn *c)
{
	struct sip_tcp *tcp = c->tcp;
	uint64_t due = UINT64_MAX, now = el_now_ms(tcp->el);

	if (tcp->idle_ms)
		due = c->last_traffic_ms + tcp->idle_ms;
	if (tcp->keepalive_ms && c->last_ka_ms + tcp->keepalive_ms < due)
		due = c->last_ka_ms + tcp->keepalive_ms;
	if (due != UINT64_MAX)
		el_timer_start(tcp->el, &c->timer, due > now ? due - now : 0, on_conn_timer, c);
}

static void conn_watch(struct tcp_conn *c)
{
	unsigned want = c->connecting ? EL_WRITE : EL_READ | (c->out_head ? EL_WRITE : 0u);

	if (want != c->events && el_fd_modify(c->tcp->el, c->fd, want) == 0)
		c->events = want;
}

/* ---- sending ---- */

/*
 * Writes what the socket takes now and queues the rest. Returns 0 when all was written, 1 when
 * (part of) it was queued (done will be called), -1 with errno: ENOBUFS when the queue would
 * exceed tcp_max_buffer, else the socket failed.
 */
static int conn_write(struct tcp_conn *c, const char *buf, size_t len, sip_sent_fn done, void *done_ud)
{
	size_t off = 0;

	if (c->out_bytes + len > c->tcp->max_buffer) {
		errno = ENOBUFS;
		return -1;
	}
	if (!c->connecting && !c->out_head) {
		ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		off = n > 0 ? (size_t)n : 0;
		if (off == len)
			return 0;
	}
	struct tcp_out *o = malloc(sizeof(*o) + (len - off));
	if (!o) {
		errno = ENOMEM;
		return -1;   /* with part of a message on the wire the stream is lost anyway */
	}
	o->next = NULL;
	o->len = len - off;
	o->off = 0;
	o->done = done;
	o->done_ud = done_ud;
	memcpy(o->data, buf + off, len - off);
	if (c->out_tail)
		c->out_tail->next = o;
	else
		c->out_head = o;
	c->out_tail = o;
	c->out_bytes += o->len;
	conn_watch(c);
	return 1;
}

/* Writes queued messages until the socket is full. Returns 0, or -1 with errno. Caller holds c. */
static int conn_flush(struct tcp_conn *c)
{
	while (c->out_head && !c->closed) {
		struct tcp_out *o = c->out_head;
		ssize_t n = send(c->fd, o->data + o->off, o->len - o->off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			return -1;
		}
		o->off += (size_t)n;
		c->out_bytes -= (size_t)n;
		if (o->off < o->len)
			continue;
		c->out_head = o->next;
		if (!c->out_head)
			c->out_tail = NULL;
		if (o->done)
			o->done(o->done_ud, 0, 0);
		free(o);
	}
	if (!c->closed)
		conn_watch(c);
	return 0;
}

/* ---- receiving ---- */

static void conn_deliver(struct tcp_conn *c)
{
	struct sip_tcp *tcp = c->tcp;
	struct sip_peer from = { .addr = c->peer, .local = c->local, .proto = SIP_PROTO_TCP, .conn_id = c->id };
	char a[SIP_ADDR_STRLEN];

	while (!c->closed) {
		char *msg = NULL;
		size_t len = 0;
		const char *why = NULL;

		switch (sip_rxbuf_next(&c->rx, &msg, &len, &why)) {
		case SIP_FRAME_MORE:
			return;
		case SIP_FRAME_ERROR:
			log_warn("TCP from %s: %s, closing the connection", sip_addr_str(&c->peer, a, sizeof(a)), why);
			conn_close(c, EPROTO, why);
			return;
		case SIP_FRAME_PING:
			/* A peer that pings wants the flow kept (RFC 5626): it counts as traffic. */
			c->last_traffic_ms = c->last_ka_ms = el_now_ms(tcp->el);
			if (conn_write(c, "\r\n", 2, NULL, NULL) < 0)
				conn_close(c, errno, "cannot answer keep-alive");
			break;
		case SIP_FRAME_MSG: {
			c->last_traffic_ms = c->last_ka_ms = el_now_ms(tcp->el);
			char saved = msg[len];
			msg[len] = '\0';
			tcp->rx(tcp->rx_ud, msg, len, &from);
			msg[len] = saved;
			break;
		}
		}
	}
}

static void conn_read(struct tcp_conn *c)
{
	for (int i = 0; i < TCP_READ_BATCH && !c->closed; i++) {
		char *p;
		size_t room;

		if (sip_rxbuf_space(&c->rx, &p, &room) < 0) {
			conn_close(c, ENOMEM, "no memory for the receive buffer");
			return;
		}
		ssize_t n = recv(c->fd, p, room, 0);
		if (n == 0) {
			conn_close(c, ECONNRESET, "closed by peer");
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_close(c, errno, strerror(errno));
			return;
		}
		sip_rxbuf_commit(&c->rx, (size_t)n);
		conn_deliver(c);
		if ((size_t)n < room)
			return;   /* drained; the loop tells us when more arrives */
	}
}

static void conn_connected(struct tcp_conn *c)
{
	struct sip_tcp *tcp = c->tcp;
	int err = 0;
	socklen_t elen = sizeof(err);
	struct sockaddr_in local;
	socklen_t llen = sizeof(local);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		err = errno;
	if (err) {
		conn_close(c, err, strerror(err));
		return;
	}
	c->connecting = false;
	if (getsockname(c->fd, (struct sockaddr *)&local, &llen) == 0)
		c->local = local.sin_addr;
	c->last_traffic_ms = c->last_ka_ms = el_now_ms(tcp->el);
	el_timer_stop(tcp->el, &c->timer);
	conn_arm_timer(c);
	if (conn_flush(c) < 0)
		conn_close(c, errno, strerror(errno));
}

static void on_conn_event(struct event_loop *el, int fd, unsigned events, void *ud)
{
	struct tcp_conn *c = ud;

	c->busy++;
	if (c->connecting) {
		if (events & (EL_WRITE | EL_ERROR))
			conn_connected(c);
	} else {
		if (events & (EL_READ | EL_ERROR))
			conn_read(c);
		if (!c->closed && (events & EL_WRITE) && conn_flush(c) < 0)
			conn_close(c, errno, strerror(errno));
	}
	conn_unref(c);
}

static void on_conn_timer(struct event_loop *el, void *ud)
{
	struct tcp_conn *c = ud;
	struct sip_tcp *tcp = c->tcp;
	uint64_t now = el_now_ms(el);

	c->busy++;
	if (c->connecting) {
		conn_close(c, ETIMEDOUT, "connect timed out (tcp_connect_timeout)");
	} else if (tcp->idle_ms && now >= c->last_traffic_ms + tcp->idle_ms) {
		conn_close(c, ETIMEDOUT, "idle (tcp_timeout)");
	} else {
		if (tcp->keepalive_ms && now >= c->last_ka_ms + tcp->keepalive_ms) {
			/* Data still queued means the flow is not idle; no ping needed then. */
			sip_rxbuf_drop_pending_crlf(&c->rx);
			if (!c->out_head && conn_write(c, "\r\n\r\n", 4, NULL, NULL) < 0)
				conn_close(c, errno, "keep-alive failed");
			c->last_ka_ms = now;
		}
		if (!c->closed)
			conn_arm_timer(c);
	}
	conn_unref(c);
}

/* ---- listeners ---- */

static void on_listener(struct event_loop *el, int fd, unsigned events, void *ud);

static void on_accept_resume(struct event_loop *el, void *ud)
{
	listeners_resume(ud);
}

static void listeners_pause(struct sip_tcp *tcp)
{
	for (size_t i = 0; i < tcp->nls; i++)
		el_fd_del(tcp->el, tcp->ls[i]->fd);
	tcp->accept_paused = true;
	el_timer_start(tcp->el, &tcp->accept_resume, TCP_ACCEPT_PAUSE_MS, on_accept_resume, tcp);
}

static void listeners_resume(struct sip_tcp *tcp)
{
	tcp->accept_paused = false;
	el_timer_stop(tcp->el, &tcp->accept_resume);
	for (size_t i = 0; i < tcp->nls; i++)
		if (el_fd_add(tcp->el, tcp->ls[i]->fd, EL_READ, on_listener, tcp->ls[i]) < 0)
			log_error("TCP: cannot watch listener again: %s", strerror(errno));
}

static void accept_one(struct tcp_listener *l, int fd, const struct sockaddr_in *peer)
{
	struct sip_tcp *tcp = l->tcp;
	char a[SIP_ADDR_STRLEN];

	if (tcp->count >= tcp->max_conns) {
		limit_refuse(tcp, peer, "refusing connection from");
		close(fd);
		return;
	}
	sip_socket_set_dscp(fd, tcp->dscp);
	struct tcp_conn *c = conn_new(tcp, fd, peer, l->addr, false);
	if (!c) {
		log_warn("TCP: cannot take connection from %s: %s", sip_addr_str(peer, a, sizeof(a)), strerror(errno));
		close(fd);
		return;
	}
	log_debug(DBCLASS_NET, "TCP connection %llu from %s", (unsigned long long)c->id, sip_addr_str(peer, a, sizeof(a)));
	conn_arm_timer(c);
}

static void on_listener(struct event_loop *el, int fd, unsigned events, void *ud)
{
	struct tcp_listener *l = ud;

	for (int i = 0; i < TCP_ACCEPT_BATCH; i++) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof(peer);
		int cfd = accept4(fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd >= 0) {
			accept_one(l, cfd, &peer);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			log_warn("TCP: accept failed (%s), not accepting for %d ms", strerror(errno), TCP_ACCEPT_PAUSE_MS);
			listeners_pause(l->tcp);
		} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
			log_warn("TCP: accept failed: %s", strerror(errno));
		}
		return;
	}
}

int sip_tcp_add_listener(struct sip_tcp *tcp, int fd, struct in_addr addr)
{
	struct tcp_listener **nls = realloc(tcp->ls, (tcp->nls + 1) * sizeof(*nls));
	if (!nls)
		return -1;
	tcp->ls = nls;
	struct tcp_listener *l = calloc(1, sizeof(*l));
	if (!l)
		return -1;
	l->tcp = tcp;
	l->fd = fd;
	l->addr = addr;
	if (!tcp->accept_paused && el_fd_add(tcp->el, fd, EL_READ, on_listener, l) < 0) {
		free(l);
		return -1;
	}
	tcp->ls[tcp->nls++] = l;
	return 0;
}

int sip_tcp_remove_listener(struct sip_tcp *tcp, struct in_addr addr)
{
	for (size_t i = 0; i < tcp->nls; i++) {
		struct tcp_listener *l = tcp->ls[i];
		if (l->addr.s_addr != addr.s_addr)
			continue;
		if (!tcp->accept_paused)
			el_fd_del(tcp->el, l->fd);
		close(l->fd);
		free(l);
		memmove(tcp->ls + i, tcp->ls + i + 1, (tcp->nls - i - 1) * sizeof(*tcp->ls));
		tcp->nls--;
		return 0;
	}
	errno = ENOENT;
	return -1;
}

/* ---- outgoing connections and the public side ---- */

static struct tcp_conn *conn_connect(struct sip_tcp *tcp, const struct sip_peer *to)
{
	char a[SIP_ADDR_STRLEN];

	if (tcp->count >= tcp->max_conns) {
		limit_refuse(tcp, &to->addr, "cannot connect to");
		errno = EMFILE;
		return NULL;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	sip_socket_set_dscp(fd, tcp->dscp);
	if (to->local.s_addr != htonl(INADDR_ANY)) {
		/* Leave from the interface the SIP layer chose, so the peer sees the address in our Via. */
		struct sockaddr_in src = { .sin_family = AF_INET, .sin_addr = to->local };
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0)
			log_debug(DBCLASS_NET, "TCP to %s: cannot bind to the local address: %s",
				  sip_addr_str(&to->addr, a, sizeof(a)), strerror(errno));
	}
	if (connect(fd, (const struct sockaddr *)&to->addr, sizeof(to->addr)) < 0 && errno != EINPROGRESS) {
		int e = errno;
		log_debug(DBCLASS_NET, "TCP connect to %s: %s", sip_addr_str(&to->addr, a, sizeof(a)), strerror(e));
		close(fd);
		errno = e;
		return NULL;
	}
	/* Even a connect that completed at once is finished by the writable event, like the others. */
	struct tcp_conn *c = conn_new(tcp, fd, &to->addr, to->local, true);
	if (!c) {
		int e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	log_debug(DBCLASS_NET, "TCP connection %llu to %s", (unsigned long long)c->id, sip_addr_str(&to->addr, a, sizeof(a)));
	if (tcp->connect_ms)
		el_timer_start(tcp->el, &c->timer, tcp->connect_ms, on_conn_timer, c);
	return c;
}

int sip_tcp_send(struct sip_tcp *tcp, const struct sip_peer *to, const char *buf, size_t len,
		 sip_sent_fn done, void *done_ud)
{
	char a[SIP_ADDR_STRLEN];
	struct tcp_conn *c = to->conn_id ? find_by_id(tcp, to->conn_id) : NULL;

	if (len > tcp->max_buffer) {
		log_debug(DBCLASS_NET, "TCP to %s: %zu byte message exceeds tcp_max_buffer",
			  sip_addr_str(&to->addr, a, sizeof(a)), len);
		errno = EMSGSIZE;
		return -1;
	}
	if (!c)
		c = find_by_addr(tcp, &to->addr);
	if (!c)
		c = conn_connect(tcp, to);
	if (!c || c->closed)
		return -1;
	int r = conn_write(c, buf, len, done, done_ud);
	if (r < 0) {
		int e = errno;
		log_debug(DBCLASS_NET, "TCP to %s: %s", sip_addr_str(&c->peer, a, sizeof(a)), strerror(e));
		if (e != ENOBUFS)
			conn_close(c, e, strerror(e));
		errno = e;
		return -1;
	}
	if (!c->connecting)
		c->last_traffic_ms = c->last_ka_ms = el_now_ms(tcp->el);
	if (r == 0 && done)
		done(done_ud, 0, 0);   /* it went out at once: its owner learns it like a queued one */
	return 0;
}

size_t sip_tcp_count(const struct sip_tcp *tcp) { return tcp->count; }

static uint64_t positive_ms(int v, uint64_t scale) { return v > 0 ? (uint64_t)v * scale : 0; }

struct sip_tcp *sip_tcp_create(struct event_loop *el, const struct config *cfg, sip_rx_fn rx, void *rx_ud)
{
	struct sip_tcp *tcp = calloc(1, sizeof(*tcp));
	if (!tcp)
		return NULL;
	tcp->el = el;
	tcp->rx = rx;
	tcp->rx_ud = rx_ud;
	tcp->max_buffer = cfg->tcp_max_buffer > 0 ? (size_t)cfg->tcp_max_buffer : 0;
	tcp->max_conns = cfg->tcp_max_connections > 0 ? (size_t)cfg->tcp_max_connections : 0;
	tcp->connect_ms = positive_ms(cfg->tcp_connect_timeout, 1);
	tcp->idle_ms = positive_ms(cfg->tcp_timeout, 1000);
	tcp->keepalive_ms = positive_ms(cfg->tcp_keepalive, 1000);
	tcp->dscp = cfg->sip_dscp;
	tcp->next_id = 1;
	hmap_init(&tcp->by_id, hmap_random_seed());
	hmap_init(&tcp->by_addr, hmap_random_seed());
	return tcp;
}

void sip_tcp_destroy(struct sip_tcp *tcp)
{
	if (!tcp)
		return;
	/* Queued messages are dropped without their callbacks: their owners are shutting down too. */
	while (tcp->all) {
		struct tcp_conn *c = tcp->all;
		while (c->out_head) {
			struct tcp_out *o = c->out_head;
			c->out_head = o->next;
			free(o);
		}
		c->out_tail = NULL;
		conn_close(c, ECANCELED, "shutting down");
	}
	for (size_t i = 0; i < tcp->nls; i++) {
		if (!tcp->accept_paused)
			el_fd_del(tcp->el, tcp->ls[i]->fd);
		close(tcp->ls[i]->fd);
		free(tcp->ls[i]);
	}
	el_timer_stop(tcp->el, &tcp->accept_resume);
	free(tcp->ls);
	hmap_fini(&tcp->by_addr);
	hmap_fini(&tcp->by_id);
	free(tcp);
}
