/* The RTP relay: media sessions, their sockets in the event loop, latching, forwarding, timeouts. */
#include "build_config.h"

#include "rtp_relay.h"

#include "config.h"
#include "event_loop.h"
#include "hmap.h"
#include "log.h"
#include "port_pool.h"
#include "rtp_dejitter.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Datagrams per recvmmsg/sendmmsg call, and per socket and wake-up, so that SIP is never starved. */
#define RELAY_BATCH 32
#define RELAY_MAX_PER_WAKEUP 64

enum { K_RTP = 0, K_RTCP = 1 };

struct rtp_peer {
	struct sockaddr_in addr[2];    /* RTP, RTCP as the SDP gives them */
	bool hold;
	uint32_t clock_rate;
};

struct rtp_endpoint;

/* The event loop's user data of one socket: which endpoint, RTP or RTCP. */
struct rtp_sockref {
	struct rtp_endpoint *ep;
	int kind;
};

/* One side of a session: its sockets, the peer there, and what it sent us. */
struct rtp_endpoint {
	struct rtp_session *s;
	enum rtp_side side;
	uint16_t port;                 /* our RTP port on this side */
	int fd[2];
	struct rtp_sockref ref[2];
	struct rtp_peer cur;           /* the addresses in use */
	struct rtp_peer agreed;        /* the last answered ones, for a failed offer */
	bool latched[2];
	struct sockaddr_in latch[2];
	struct rtp_counters ctr;       /* packets received from this side */
	struct rtp_dejitter jb;        /* packets waiting to be sent to this side */
	struct el_timer jb_timer;
};

struct rtp_session {
	struct rtp_call *call;
	unsigned index;
	struct rtp_endpoint ep[2];
	int pending;                   /* side whose offer awaits an answer, -1: none */
	bool agreed;                   /* an answer was seen at least once */
	uint64_t last_ms;
	struct el_timer idle;
	struct rtp_session *prev, *next;   /* the relay's list, for the status summary */
};

struct rtp_call {
	struct rtp_relay *r;
	struct el_timer end_timer;
	size_t nsess;                  /* non-NULL entries of sess */
	bool confirmed;                /* a 2xx to INVITE was seen */
	size_t cap;
	struct rtp_session **sess;     /* by m-line index */
	size_t key_len;
	const char *leg;               /* points into key */
	char key[];                    /* call_id NUL leg NUL */
};

struct rtp_relay {
	struct event_loop *el;
	struct rtp_relay_addrs addrs;
	bool shared_ports;             /* inbound != outbound: one port pair serves both sides */
	struct port_pool *pool;
	uint64_t timeout_ms, hold_timeout_ms;
	size_t max_streams;            /* rtp_max_streams: one SDP cannot take the whole pool */
	int tos;                       /* IP_TOS value, 0: leave alone */
	uint32_t delay_ms[2];          /* playout delay of packets sent to the LAN / to the WAN */
	struct hmap calls;
	size_t nsess;
	struct rtp_session *list;

	/* batch buffers shared by all sockets: the loop runs one callback at a time */
	struct mmsghdr rx[RELAY_BATCH], tx[RELAY_BATCH];
	struct iovec rx_iov[RELAY_BATCH], tx_iov[RELAY_BATCH];
	struct sockaddr_in rx_addr[RELAY_BATCH], tx_addr[RELAY_BATCH];
	unsigned char buf[RELAY_BATCH][RTP_PKT_MAX];
};

static const char *const side_name[2] = { "lan", "wan" };

static bool addr_eq(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

static bool peer_eq(const struct rtp_peer *a, const struct rtp_peer *b)
{
	return addr_eq(&a->addr[0], &b->addr[0]) && addr_eq(&a->addr[1], &b->addr[1]) &&
		a->hold == b->hold && a->clock_rate == b->clock_rate;
}

static const char *call_id_of(const struct rtp_call *c) { return c->key; }

/* ---- sockets ---- */

static void relay_on_readable(struct event_loop *el, int fd, unsigned events, void *ud);

static int open_socket(struct rtp_relay *r, struct in_addr addr, uint16_t port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = addr, .sin_port = htons(port) };
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	/* every relayed packet leaves through one of these sockets, so each carries the DSCP */
	if (r->tos != 0 && setsockopt(fd, IPPROTO_IP, IP_TOS, &r->tos, sizeof(r->tos)) < 0)
		log_warn("rtp: cannot set DSCP on port %u: %s", port, strerror(errno));
	return fd;
}

static void endpoint_close(struct rtp_relay *r, struct rtp_endpoint *ep)
{
	for (int k = 0; k < 2; k++) {
		if (ep->fd[k] >= 0) {
			el_fd_del(r->el, ep->fd[k]);
			close(ep->fd[k]);
			ep->fd[k] = -1;
		}
	}
}

/* Binds RTP on port and RTCP on port + 1 at addr and registers both in the loop. */
static int endpoint_open(struct rtp_relay *r, struct rtp_endpoint *ep, struct in_addr addr, uint16_t port)
{
	for (int k = 0; k < 2; k++) {
		ep->fd[k] = open_socket(r, addr, (uint16_t)(port + k));
		if (ep->fd[k] < 0 ||
		    el_fd_add(r->el, ep->fd[k], EL_READ, relay_on_readable, &ep->ref[k]) < 0) {
			if (ep->fd[k] >= 0) {
				close(ep->fd[k]);
				ep->fd[k] = -1;
			}
			endpoint_close(r, ep);
			return -1;
		}
	}
	ep->port = port;
	return 0;
}

static struct in_addr side_bind_addr(const struct rtp_relay *r, enum rtp_side side)
{
	return side == RTP_SIDE_LAN ? r->addrs.inbound : r->addrs.outbound;
}

/*
 * Takes ports from the pool until the sockets bind (another program may hold a port of the
 * range); a port that failed goes back to the end of the pool. Bounded by the pool's size.
 */
static int session_open_sockets(struct rtp_relay *r, struct rtp_session *s)
{
	size_t tries = port_pool_free(r->pool);
	int side = 0;

	while (side < 2 && tries > 0) {
		uint16_t port = port_pool_take(r->pool);
		tries--;
		if (endpoint_open(r, &s->ep[side], side_bind_addr(r, side), port) < 0) {
			port_pool_give(r->pool, port);
			continue;
		}
		if (r->shared_ports) {
			if (endpoint_open(r, &s->ep[1], side_bind_addr(r, 1), port) < 0) {
				endpoint_close(r, &s->ep[0]);
				port_pool_give(r->pool, port);
				continue;
			}
			side = 2;
		} else {
			side++;
		}
	}
	if (side < 2) {
		if (side == 1) {
			endpoint_close(r, &s->ep[0]);
			port_pool_give(r->pool, s->ep[0].port);
		}
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

static void session_give_ports(struct rtp_relay *r, struct rtp_session *s)
{
	/*
	 * The session's own ports decide, not r->shared_ports: an address change may have switched
	 * between shared and separate pairs since it opened, and two separate pairs never share a port.
	 */
	port_pool_give(r->pool, s->ep[0].port);
	if (s->ep[1].port != s->ep[0].port)
		port_pool_give(r->pool, s->ep[1].port);
}

/* ---- sending ---- */

/* Sends tx[0..n) on fd; failed datagrams are counted on ctr, sent ones too. */
static void send_batch(struct rtp_relay *r, int fd, unsigned n, struct rtp_counters *ctr)
{
	unsigned off = 0;
	while (off < n) {
		int sent = sendmmsg(fd, r->tx + off, n - off, 0);
		if (sent < 0) {
			if (errno == EINTR)
				continue;
			/* the first datagram is the one refused; go on with the rest */
			ctr->drop_send++;
			off++;
			continue;
		}
		ctr->relayed += (unsigned)sent;
		off += (unsigned)sent;
	}
}

static void tx_set(struct rtp_relay *r, unsigned j, const struct sockaddr_in *dst, void *data, size_t len)
{
	/* the headers point at tx_addr[j] and tx_iov[j] since batch_init(); only those change */
	r->tx_addr[j] = *dst;
	r->tx_iov[j].iov_base = data;
	r->tx_iov[j].iov_len = len;
}

static void jb_arm(struct rtp_relay *r, struct rtp_endpoint *to);

/* Sends every queued packet that is due (all of them when flush) from the buffer towards `to`. */
static void jb_send_due(struct rtp_relay *r, struct rtp_endpoint *to, bool flush)
{
	struct rtp_endpoint *from = &to->s->ep[!to->side];
	uint64_t now = el_now_ms(r->el);

	for (;;) {
		unsigned n = 0;
		size_t idx = to->jb.head;
		for (size_t i = 0; i < to->jb.count && n < RELAY_BATCH; i++) {
			struct rtp_jb_pkt *p = &to->jb.q[(idx + i) % to->jb.cap];
			if (!flush && p->due_ms > now)
				break;
			tx_set(r, n++, &p->dst, p->data, p->len);
		}
		if (n == 0)
			break;
		send_batch(r, to->fd[K_RTP], n, &from->ctr);
		for (unsigned i = 0; i < n; i++)
			rtp_dejitter_pop(&to->jb);
	}
	jb_arm(r, to);
}

static void jb_on_timer(struct event_loop *el, void *ud)
{
	struct rtp_endpoint *to = ud;
	jb_send_due(to->s->call->r, to, false);
}

static void jb_arm(struct rtp_relay *r, struct rtp_endpoint *to)
{
	struct rtp_jb_pkt *head = rtp_dejitter_head(&to->jb);
	if (head == NULL) {
		el_timer_stop(r->el, &to->jb_timer);
		return;
	}
	uint64_t now = el_now_ms(r->el);
	el_timer_start(r->el, &to->jb_timer, head->due_ms > now ? head->due_ms - now : 0, jb_on_timer, to);
}

/* Queues one RTP packet for playout; a full buffer sends its oldest packet at once. */
static void jb_queue(struct rtp_relay *r, struct rtp_endpoint *from, struct rtp_endpoint *to,
	const struct sockaddr_in *dst, unsigned char *pkt, size_t len)
{
	uint64_t due = rtp_dejitter_due(&to->jb, pkt, len, el_now_ms(r->el));
	if (rtp_dejitter_full(&to->jb)) {
		struct rtp_jb_pkt *old = rtp_dejitter_head(&to->jb);
		tx_set(r, 0, &old->dst, old->data, old->len);
		send_batch(r, to->fd[K_RTP], 1, &from->ctr);
		rtp_dejitter_pop(&to->jb);
		from->ctr.dejitter_forced++;
	}
	if (rtp_dejitter_push(&to->jb, due, dst, pkt, len) < 0) {
		/* no memory for the buffer: forwarding late beats not forwarding */
		tx_set(r, 0, dst, pkt, len);
		send_batch(r, to->fd[K_RTP], 1, &from->ctr);
		from->ctr.dejitter_forced++;
		return;
	}
	if (!el_timer_active(&to->jb_timer))
		jb_arm(r, to);
}

/* ---- receiving ---- */

/* RFC 1918 and RFC 6598 space: an address the far side cannot be reached at. */
static bool addr_private(in_addr_t a)
{
	uint32_t h = ntohl(a);
	return (h >> 24) == 10 || (h >> 20) == (172u << 4 | 1) || (h >> 16) == (192u << 8 | 168) ||
		(h >> 22) == (100u << 2 | 1);
}

/*
 * Who may be latched: a source at the address the SDP named, from any port (phones and NATs
 * that send from another port than they announce). A stranger racing the real peer's first
 * packet must not take the stream. Only when the SDP gives no usable address (hold, or a
 * private address announced on the WAN side by a peer behind its own NAT) does the first
 * source win.
 */
static bool latch_allowed(const struct rtp_endpoint *from, int kind, const struct sockaddr_in *src)
{
	in_addr_t sdp = from->cur.addr[kind].sin_addr.s_addr;
	return sdp == src->sin_addr.s_addr || sdp == INADDR_ANY ||
		(from->side == RTP_SIDE_WAN && addr_private(sdp));
}

/* Latching and counting for one received datagram; returns the destination or NULL to drop it. */
static const struct sockaddr_in *accept_packet(struct rtp_endpoint *from, struct rtp_endpoint *to,
	int kind, const struct sockaddr_in *src, size_t len)
{
	if (!from->latched[kind] && !latch_allowed(from, kind, src)) {
		from->ctr.drop_source++;
		return NULL;
	}
	if (!from->latched[kind]) {
		from->latched[kind] = true;
		from->latch[kind] = *src;
		log_debug(DBCLASS_RTP, "rtp: Call-ID %s m=%u %s %s latched to %s:%u",
			call_id_of(from->s->call), from->s->index, side_name[from->side],
			kind == K_RTP ? "RTP" : "RTCP", inet_ntoa(src->sin_addr), ntohs(src->sin_port));
	} else if (!addr_eq(&from->latch[kind], src)) {
		from->ctr.drop_source++;
		return NULL;
	}
	from->ctr.packets++;
	from->ctr.bytes += len;
	/* only accepted packets keep a session alive: strangers cannot hold its ports */
	from->s->last_ms = el_now_ms(from->s->call->r->el);
	/* symmetric RTP: answer to where the other side really sends from */
	const struct sockaddr_in *dst = to->latched[kind] ? &to->latch[kind] : &to->cur.addr[kind];
	/* c=0.0.0.0 says "send nothing", even to a side that sends (music on hold) and so is latched */
	if (to->cur.addr[kind].sin_addr.s_addr == INADDR_ANY || dst->sin_addr.s_addr == INADDR_ANY ||
		dst->sin_port == 0) {
		from->ctr.drop_nodest++;
		return NULL;
	}
	return dst;
}

/* Relays the n datagrams in rx[] that arrived on `from`'s socket of the given kind. */
static void relay_batch(struct rtp_relay *r, struct rtp_endpoint *from, int kind, unsigned n)
{
	struct rtp_session *s = from->s;
	struct rtp_endpoint *to = &s->ep[!from->side];
	bool dejitter = kind == K_RTP && to->jb.delay_ms != 0;
	unsigned j = 0;

	for (unsigned i = 0; i < n; i++) {
		struct msghdr *h = &r->rx[i].msg_hdr;
		size_t len = r->rx[i].msg_len;
		if (h->msg_namelen != sizeof(struct sockaddr_in) || (h->msg_flags & MSG_TRUNC) != 0) {
			from->ctr.drop_source++;
			continue;
		}
		const struct sockaddr_in *dst = accept_packet(from, to, kind, &r->rx_addr[i], len);
		if (dst == NULL)
			continue;
		if (dejitter)
			jb_queue(r, from, to, dst, r->buf[i], len);
		else
			tx_set(r, j++, dst, r->buf[i], len);
	}
	if (j > 0)
		send_batch(r, to->fd[kind], j, &from->ctr);
}

static void relay_on_readable(struct event_loop *el, int fd, unsigned events, void *ud)
{
	struct rtp_sockref *ref = ud;
	struct rtp_relay *r = ref->ep->s->call->r;
	unsigned budget = RELAY_MAX_PER_WAKEUP;

	while (budget > 0) {
		unsigned want = budget < RELAY_BATCH ? budget : RELAY_BATCH;
		int n = recvmmsg(fd, r->rx, want, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;   /* EAGAIN, or ICMP errors of earlier sends (ECONNREFUSED): nothing to do */
		relay_batch(r, ref->ep, ref->kind, (unsigned)n);
		/* recvmmsg wrote the address lengths of the headers it filled: give them back */
		for (int i = 0; i < n; i++)
			r->rx[i].msg_hdr.msg_namelen = sizeof(r->rx_addr[i]);
		budget -= (unsigned)n;
		if ((unsigned)n < want)
			break;
	}
}

/* ---- sessions ---- */

static void session_log(const struct rtp_session *s, const char *what)
{
	const struct rtp_counters *l = &s->ep[RTP_SIDE_LAN].ctr, *w = &s->ep[RTP_SIDE_WAN].ctr;
	uint64_t idle_ms = el_now_ms(s->call->r->el) - s->last_ms;
	log_info("rtp: %s Call-ID %s leg %s m=%u ports lan %u wan %u, idle %llu s; from lan: %llu pkts %llu bytes "
		"%llu relayed, drops %llu source %llu nodest %llu send, %llu dejitter-forced; from wan: "
		"%llu pkts %llu bytes %llu relayed, drops %llu source %llu nodest %llu send, %llu dejitter-forced",
		what, call_id_of(s->call), s->call->leg, s->index, s->ep[0].port, s->ep[1].port,
		(unsigned long long)(idle_ms / 1000),
		(unsigned long long)l->packets, (unsigned long long)l->bytes, (unsigned long long)l->relayed,
		(unsigned long long)l->drop_source, (unsigned long long)l->drop_nodest,
		(unsigned long long)l->drop_send, (unsigned long long)l->dejitter_forced,
		(unsigned long long)w->packets, (unsigned long long)w->bytes, (unsigned long long)w->relayed,
		(unsigned long long)w->drop_source, (unsigned long long)w->drop_nodest,
		(unsigned long long)w->drop_send, (unsigned long long)w->dejitter_forced);
}

static void session_on_idle(struct event_loop *el, void *ud);

static uint64_t session_limit_ms(const struct rtp_relay *r, const struct rtp_session *s)
{
	return s->ep[0].cur.hold || s->ep[1].cur.hold ? r->hold_timeout_ms : r->timeout_ms;
}

static void session_arm_idle(struct rtp_relay *r, struct rtp_session *s)
{
	uint64_t now = el_now_ms(r->el), limit = session_limit_ms(r, s);
	uint64_t idle = now - s->last_ms;
	el_timer_start(r->el, &s->idle, idle >= limit ? 0 : limit - idle, session_on_idle, s);
}

/* A session with sockets and ports but not yet in a call's table (all-or-nothing setup). */
static struct rtp_session *session_new(struct rtp_relay *r, struct rtp_call *c, unsigned index)
{
	struct rtp_session *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->call = c;
	s->index = index;
	s->pending = -1;
	for (int side = 0; side < 2; side++) {
		struct rtp_endpoint *ep = &s->ep[side];
		ep->s = s;
		ep->side = (enum rtp_side)side;
		for (int k = 0; k < 2; k++) {
			ep->fd[k] = -1;
			ep->ref[k].ep = ep;
			ep->ref[k].kind = k;
		}
		rtp_dejitter_init(&ep->jb, r->delay_ms[side], 0);
	}
	if (session_open_sockets(r, s) < 0) {
		free(s);
		errno = ENOSPC;
		return NULL;
	}
	return s;
}

/* Closes and frees a session that is not (or no longer) in any table. */
static void session_free(struct rtp_relay *r, struct rtp_session *s)
{
	el_timer_stop(r->el, &s->idle);
	for (int side = 0; side < 2; side++) {
		endpoint_close(r, &s->ep[side]);
		el_timer_stop(r->el, &s->ep[side].jb_timer);
		rtp_dejitter_fini(&s->ep[side].jb);
	}
	session_give_ports(r, s);
	free(s);
}

static void call_free(struct rtp_relay *r, struct rtp_call *c)
{
	hmap_del(&r->calls, c->key, c->key_len);
	el_timer_stop(r->el, &c->end_timer);
	free(c->sess);
	free(c);
}

static void session_end(struct rtp_relay *r, struct rtp_session *s, const char *why)
{
	struct rtp_call *c = s->call;

	/* what is still in the playout buffer was accepted: send it rather than lose it */
	for (int side = 0; side < 2; side++)
		jb_send_due(r, &s->ep[side], true);
	session_log(s, why);
	c->sess[s->index] = NULL;
	c->nsess--;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		r->list = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	r->nsess--;
	session_free(r, s);
	if (c->nsess == 0)
		call_free(r, c);
}

static void session_on_idle(struct event_loop *el, void *ud)
{
	struct rtp_session *s = ud;
	struct rtp_relay *r = s->call->r;
	if (el_now_ms(el) - s->last_ms >= session_limit_ms(r, s))
		session_end(r, s, "timeout, ended");
	else
		session_arm_idle(r, s);
}

static void endpoint_set_peer(struct rtp_endpoint *ep, const struct rtp_peer *p)
{
	if (peer_eq(&ep->cur, p))
		return;
	ep->cur = *p;
	/* new SDP from this side: its packets may come from elsewhere now */
	ep->latched[K_RTP] = ep->latched[K_RTCP] = false;
	/* the clock of packets sent to the other side changed with this side's codec */
	struct rtp_endpoint *other = &ep->s->ep[!ep->side];
	other->jb.clock_rate = p->clock_rate != 0 ? p->clock_rate : 8000;
	rtp_dejitter_reset(&other->jb);
}

/* Offer/answer bookkeeping for one SDP from `side`. */
static void session_update(struct rtp_relay *r, struct rtp_session *s, enum rtp_side side,
	const struct rtp_peer *p)
{
	struct rtp_endpoint *ep = &s->ep[side];

	if (s->pending < 0) {
		if (s->agreed && peer_eq(&ep->agreed, p) && peer_eq(&ep->cur, p))
			goto done;               /* a repeat of the agreed SDP (183 then 200, retransmission) */
		s->pending = (int)side;
		endpoint_set_peer(ep, p);
	} else if (s->pending == (int)side) {
		endpoint_set_peer(ep, p);    /* the offer again, or changed before the answer */
	} else {
		endpoint_set_peer(ep, p);    /* the answer */
		s->ep[0].agreed = s->ep[0].cur;
		s->ep[1].agreed = s->ep[1].cur;
		s->agreed = true;
		s->pending = -1;
	}
done:
	/* signalling about a session shows it is alive */
	s->last_ms = el_now_ms(r->el);
	session_arm_idle(r, s);
}

/* ---- calls ---- */

static char *make_key(const char *call_id, const char *leg, size_t *len)
{
	size_t a = strlen(call_id), b = strlen(leg);
	char *k = malloc(a + b + 2);
	if (k == NULL)
		return NULL;
	memcpy(k, call_id, a + 1);
	memcpy(k + a + 1, leg, b + 1);
	*len = a + 1 + b;
	return k;
}

static struct rtp_call *call_find(const struct rtp_relay *r, const char *call_id, const char *leg)
{
	size_t len;
	char *k = make_key(call_id, leg != NULL ? leg : "", &len);
	if (k == NULL)
		return NULL;
	struct rtp_call *c = hmap_get(&r->calls, k, len);
	free(k);
	return c;
}

static struct rtp_call *call_new(struct rtp_relay *r, const char *call_id, const char *leg)
{
	size_t a = strlen(call_id), b = strlen(leg);
	struct rtp_call *c = calloc(1, sizeof(*c) + a + b + 2);
	if (c == NULL)
		return NULL;
	c->r = r;
	memcpy(c->key, call_id, a + 1);
	memcpy(c->key + a + 1, leg, b + 1);
	c->key_len = a + 1 + b;
	c->leg = c->key + a + 1;
	if (hmap_put(&r->calls, c->key, c->key_len, c) < 0) {
		free(c);
		return NULL;
	}
	return c;
}

static int call_reserve(struct rtp_call *c, size_t n)
{
	if (n <= c->cap)
		return 0;
	struct rtp_session **v = realloc(c->sess, n * sizeof(*v));
	if (v == NULL)
		return -1;
	memset(v + c->cap, 0, (n - c->cap) * sizeof(*v));
	c->sess = v;
	c->cap = n;
	return 0;
}

static void peer_from_media(struct rtp_peer *p, const struct rtp_media *m)
{
	memset(p, 0, sizeof(*p));
	for (int k = 0; k < 2; k++) {
		p->addr[k].sin_family = AF_INET;
		p->addr[k].sin_addr = m->addr;
	}
	p->addr[K_RTP].sin_port = htons(m->rtp_port);
	p->addr[K_RTCP].sin_port = htons(m->rtcp_port != 0 ? m->rtcp_port : (uint16_t)(m->rtp_port + 1));
	p->hold = m->hold || m->addr.s_addr == INADDR_ANY;
	p->clock_rate = m->clock_rate;
}

int rtp_relay_sdp(struct rtp_relay *r, const char *call_id, const char *leg, enum rtp_side from,
	const struct rtp_media *m, size_t n, uint16_t *ports)
{
	if (call_id == NULL || call_id[0] == '\0' || (from != RTP_SIDE_LAN && from != RTP_SIDE_WAN)) {
		errno = EINVAL;
		return -1;
	}
	size_t enabled = 0;
	for (size_t i = 0; i < n; i++)
		enabled += m[i].enabled;
	if (enabled > r->max_streams) {
		errno = E2BIG;
		return -1;
	}
	if (leg == NULL)
		leg = "";
	struct rtp_call *c = call_find(r, call_id, leg);
	bool created = false;
	if (c == NULL) {
		c = call_new(r, call_id, leg);
		if (c == NULL) {
			errno = ENOMEM;
			return -1;
		}
		created = true;
	}
	struct rtp_session **fresh = calloc(n != 0 ? n : 1, sizeof(*fresh));
	if (fresh == NULL || call_reserve(c, n) < 0) {
		errno = ENOMEM;
		goto fail;
	}
	/* first everything that can fail: sockets for new m-lines */
	for (size_t i = 0; i < n; i++) {
		if (!m[i].enabled || c->sess[i] != NULL)
			continue;
		fresh[i] = session_new(r, c, (unsigned)i);
		if (fresh[i] == NULL)
			goto fail;
	}
	/* then nothing fails */
	for (size_t i = 0; i < n; i++) {
		ports[i] = 0;
		if (fresh[i] != NULL) {
			struct rtp_session *s = fresh[i];
			c->sess[i] = s;
			c->nsess++;
			s->next = r->list;
			if (r->list != NULL)
				r->list->prev = s;
			r->list = s;
			r->nsess++;
			log_debug(DBCLASS_RTP, "rtp: Call-ID %s leg %s m=%zu new session, ports lan %u wan %u",
				call_id, leg, i, s->ep[0].port, s->ep[1].port);
		}
		struct rtp_session *s = c->sess[i];
		if (!m[i].enabled || s == NULL)
			continue;
		struct rtp_peer p;
		peer_from_media(&p, &m[i]);
		session_update(r, s, from, &p);
		ports[i] = s->ep[!from].port;
	}
	free(fresh);
	if (c->nsess == 0)
		call_free(r, c);      /* only disabled m-lines: nothing to keep */
	return 0;

fail:;
	int saved = errno;
	if (fresh != NULL) {
		for (size_t i = 0; i < n; i++)
			if (fresh[i] != NULL)
				session_free(r, fresh[i]);
		free(fresh);
	}
	if (created)
		call_free(r, c);
	errno = saved;
	return -1;
}

void rtp_relay_offer_failed(struct rtp_relay *r, const char *call_id, const char *leg)
{
	struct rtp_call *c = call_find(r, call_id, leg);
	if (c == NULL)
		return;
	/* ending the last session frees the call: walk a count, not the call */
	size_t cap = c->cap, left = c->nsess;
	for (size_t i = 0; i < cap && left > 0; i++) {
		struct rtp_session *s = c->sess[i];
		if (s == NULL)
			continue;
		left--;
		if (s->pending < 0)
			continue;
		if (!s->agreed) {
			session_end(r, s, "offer failed, ended");
			continue;
		}
		for (int side = 0; side < 2; side++)
			endpoint_set_peer(&s->ep[side], &s->ep[side].agreed);
		s->pending = -1;
		session_arm_idle(r, s);
		log_debug(DBCLASS_RTP, "rtp: Call-ID %s m=%u offer failed, back to the agreed media",
			call_id, s->index);
	}
}

bool rtp_relay_has_call(const struct rtp_relay *r, const char *call_id, const char *leg)
{
	return call_find(r, call_id, leg) != NULL;
}

void rtp_relay_confirm(struct rtp_relay *r, const char *call_id, const char *leg)
{
	struct rtp_call *c = call_find(r, call_id, leg);
	if (c != NULL)
		c->confirmed = true;
}

bool rtp_relay_confirmed(const struct rtp_relay *r, const char *call_id, const char *leg)
{
	const struct rtp_call *c = call_find(r, call_id, leg);
	return c != NULL && c->confirmed;
}

static void call_end_all(struct rtp_relay *r, struct rtp_call *c, const char *why)
{
	size_t cap = c->cap, left = c->nsess;
	for (size_t i = 0; i < cap && left > 0; i++) {
		if (c->sess[i] != NULL) {
			left--;
			session_end(r, c->sess[i], why);
		}
	}
}

void rtp_relay_end(struct rtp_relay *r, const char *call_id, const char *leg)
{
	struct rtp_call *c = call_find(r, call_id, leg);
	if (c != NULL)
		call_end_all(r, c, "ended");
}

static void call_on_end_timer(struct event_loop *el, void *ud)
{
	struct rtp_call *c = ud;
	call_end_all(c->r, c, "no answer to BYE, ended");
}

void rtp_relay_end_later(struct rtp_relay *r, const char *call_id, const char *leg, uint32_t ms)
{
	struct rtp_call *c = call_find(r, call_id, leg);
	if (c != NULL && !el_timer_active(&c->end_timer))
		el_timer_start(r->el, &c->end_timer, ms, call_on_end_timer, c);
}

/* ---- the relay ---- */

/*
 * Points every batch header at its own address, iovec and buffer once, so that a wake-up, which
 * with 50 packets/s per socket mostly carries one datagram, touches only what it uses.
 */
static void batch_init(struct rtp_relay *r)
{
	for (unsigned i = 0; i < RELAY_BATCH; i++) {
		r->rx_iov[i].iov_base = r->buf[i];
		r->rx_iov[i].iov_len = sizeof(r->buf[i]);
		r->rx[i].msg_hdr.msg_name = &r->rx_addr[i];
		r->rx[i].msg_hdr.msg_namelen = sizeof(r->rx_addr[i]);
		r->rx[i].msg_hdr.msg_iov = &r->rx_iov[i];
		r->rx[i].msg_hdr.msg_iovlen = 1;
		r->tx[i].msg_hdr.msg_name = &r->tx_addr[i];
		r->tx[i].msg_hdr.msg_namelen = sizeof(r->tx_addr[i]);
		r->tx[i].msg_hdr.msg_iov = &r->tx_iov[i];
		r->tx[i].msg_hdr.msg_iovlen = 1;
	}
}

struct rtp_relay *rtp_relay_create(struct event_loop *el, const struct config *cfg,
	const struct rtp_relay_addrs *addrs)
{
	struct rtp_relay *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->pool = port_pool_create(cfg->rtp_port_low, cfg->rtp_port_high);
	if (r->pool == NULL) {
		int saved = errno;
		free(r);
		errno = saved;
		return NULL;
	}
	r->el = el;
	r->addrs = *addrs;
	r->shared_ports = addrs->inbound.s_addr != addrs->outbound.s_addr;
	r->timeout_ms = (uint64_t)(cfg->rtp_timeout > 0 ? cfg->rtp_timeout : 300) * 1000;
	r->hold_timeout_ms = (uint64_t)(cfg->rtp_hold_timeout > 0 ? cfg->rtp_hold_timeout : 3600) * 1000;
	r->max_streams = cfg->rtp_max_streams > 0 ? (size_t)cfg->rtp_max_streams : 16;
	r->tos = (cfg->rtp_dscp & 0x3f) << 2;
	/* input: from the WAN towards the LAN phone; output: from the LAN towards the WAN */
	r->delay_ms[RTP_SIDE_LAN] = (uint32_t)(cfg->rtp_input_dejitter > 0 ? cfg->rtp_input_dejitter : 0) / 1000;
	r->delay_ms[RTP_SIDE_WAN] = (uint32_t)(cfg->rtp_output_dejitter > 0 ? cfg->rtp_output_dejitter : 0) / 1000;
	hmap_init(&r->calls, hmap_random_seed());
	batch_init(r);
	return r;
}

void rtp_relay_destroy(struct rtp_relay *r)
{
	if (r == NULL)
		return;
	while (r->list != NULL)
		session_end(r, r->list, "shutdown, ended");
	hmap_fini(&r->calls);
	port_pool_destroy(r->pool);
	free(r);
}

void rtp_relay_set_addrs(struct rtp_relay *r, const struct rtp_relay_addrs *addrs)
{
	r->addrs = *addrs;
	r->shared_ports = addrs->inbound.s_addr != addrs->outbound.s_addr;
}

struct in_addr rtp_relay_sdp_addr(const struct rtp_relay *r, enum rtp_side to)
{
	return to == RTP_SIDE_LAN ? r->addrs.inbound : r->addrs.public_addr;
}

int rtp_relay_session_info(const struct rtp_relay *r, const char *call_id, const char *leg,
	unsigned index, struct rtp_session_info *out)
{
	struct rtp_call *c = call_find(r, call_id, leg);
	if (c == NULL || index >= c->cap || c->sess[index] == NULL)
		return -1;
	const struct rtp_session *s = c->sess[index];
	memset(out, 0, sizeof(*out));
	out->index = index;
	out->port = s->ep[RTP_SIDE_LAN].port;
	out->wan_port = s->ep[RTP_SIDE_WAN].port;
	for (int side = 0; side < 2; side++) {
		out->latched[side] = s->ep[side].latched[K_RTP];
		out->latched_addr[side] = s->ep[side].latch[K_RTP];
		out->from[side] = s->ep[side].ctr;
	}
	out->last_activity_ms = s->last_ms;
	out->hold = s->ep[0].cur.hold || s->ep[1].cur.hold;
	return 0;
}

size_t rtp_relay_session_count(const struct rtp_relay *r) { return r->nsess; }
size_t rtp_relay_ports_free(const struct rtp_relay *r) { return port_pool_free(r->pool); }

void rtp_relay_log_status(const struct rtp_relay *r)
{
	log_info("rtp: %zu sessions, %zu of %zu port pairs free", r->nsess,
		port_pool_free(r->pool), port_pool_size(r->pool));
	for (const struct rtp_session *s = r->list; s != NULL; s = s->next)
		session_log(s, "active");
}
