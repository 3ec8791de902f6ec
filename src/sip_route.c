/* The next hop: phones by their binding, the WAN by Route, outbound proxies or the Request-URI, responses by Via; then sending, through DNS when needed. */
#include "build_config.h"
#include "sip_route.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "dns.h"
#include "log.h"
#include "registrar.h"
#include "sip_message.h"
#include "sip_response.h"

#define SIPROUTE_URI_MAX 1024

static bool binding_routable(const struct reg_binding *b, int64_t now)
{
	return b && b->confirmed && b->expires > now;
}

static struct reg_binding *find_by_aor(struct sip_pipeline *p, const osip_uri_t *u, int64_t now)
{
	struct reg_binding *b = NULL;
	char uri[SIPROUTE_URI_MAX];

	if (sipmsg_uri_str(u, uri, sizeof(uri)) && reg_find_aor_routable(p->ctx.reg, uri, now, &b, 1) > 0)
		return b;
	if (u && u->username && reg_find_user_routable(p->ctx.reg, u->username, now, &b, 1) > 0)
		return b;
	return NULL;
}

struct reg_binding *siproute_find_phone(struct sip_pipeline *p, const struct sip_ticket *t)
{
	const osip_message_t *m = t->msg;
	char uri[SIPROUTE_URI_MAX];
	struct reg_binding *b = NULL;

	if (sipmsg_uri_str(m->req_uri, uri, sizeof(uri))) {
		b = reg_find_masq(p->ctx.reg, uri);
		if (binding_routable(b, t->now))
			return b;
		b = reg_find_contact(p->ctx.reg, uri);
		if (binding_routable(b, t->now))
			return b;
	}
	b = find_by_aor(p, m->req_uri, t->now);
	return b ? b : find_by_aor(p, m->to->url, t->now);
}

bool siproute_for_phone_contact(struct sip_pipeline *p, const struct sip_ticket *t)
{
	char uri[SIPROUTE_URI_MAX];

	return sipmsg_uri_str(t->msg->req_uri, uri, sizeof(uri)) &&
	       binding_routable(reg_find_contact(p->ctx.reg, uri), t->now);
}

static int hop_set(struct sip_pipeline *p, struct sip_ticket *t, const char *host, uint16_t port,
		   enum sip_proto proto, bool lan);
static enum sip_proto uri_proto(const osip_uri_t *u, enum sip_proto dflt);

/* A binding loaded from the file has no source yet: its contact URI says where the phone is. */
static int hop_contact(struct sip_pipeline *p, struct sip_ticket *t, const struct reg_binding *b)
{
	enum sip_proto proto = b->transport == SIP_PROTO_TCP ? SIP_PROTO_TCP : SIP_PROTO_UDP;
	osip_uri_t *u;
	int rc = -1;

	if (osip_uri_init(&u) != 0)
		return -1;
	if (osip_uri_parse(u, b->true_url) == 0 && u->host && sipmsg_port(u->port))
		rc = hop_set(p, t, u->host, u->port ? sipmsg_port(u->port) : 0, uri_proto(u, proto), true);
	osip_uri_free(u);
	return rc;
}

int siproute_to_phone(struct sip_pipeline *p, struct sip_ticket *t, const struct reg_binding *b)
{
	if (b->source.sin_addr.s_addr == INADDR_ANY)
		return hop_contact(p, t, b);
	snprintf(t->hop_host, sizeof(t->hop_host), "%s", inet_ntoa(b->source.sin_addr));
	t->hop_port = ntohs(b->source.sin_port);
	t->hop_proto = b->transport == SIP_PROTO_TCP ? SIP_PROTO_TCP : SIP_PROTO_UDP;
	t->to.addr = b->source;
	t->to.proto = t->hop_proto;
	t->to.conn_id = 0;
	t->to.local = p->ctx.inbound;
	t->hop_known = true;
	t->hop_lan = true;
	return 0;
}

/* port 0: none given (DNS may use SRV). */
static int hop_set(struct sip_pipeline *p, struct sip_ticket *t, const char *host, uint16_t port,
		   enum sip_proto proto, bool lan)
{
	struct in_addr a;
	int n = snprintf(t->hop_host, sizeof(t->hop_host), "%s", host ? host : "");

	if (!host || !*host || n < 0 || (size_t)n >= sizeof(t->hop_host))
		return -1;
	t->hop_port = port;
	t->hop_proto = proto;
	t->hop_lan = lan;
	memset(&t->to, 0, sizeof(t->to));
	t->to.proto = proto;
	t->to.local = lan ? p->ctx.inbound : p->ctx.outbound;
	t->hop_known = sipmsg_ipv4(host, &a);
	if (t->hop_known) {
		t->to.addr.sin_family = AF_INET;
		t->to.addr.sin_addr = a;
		t->to.addr.sin_port = htons(port ? port : 5060);
	}
	return 0;
}

static enum sip_proto uri_proto(const osip_uri_t *u, enum sip_proto dflt)
{
	const char *tr = sipmsg_uri_param(u, "transport");

	if (tr && strcasecmp(tr, "tcp") == 0)
		return SIP_PROTO_TCP;
	if (tr && strcasecmp(tr, "udp") == 0)
		return SIP_PROTO_UDP;
	return dflt;
}

static int hop_uri(struct sip_pipeline *p, struct sip_ticket *t, const osip_uri_t *u)
{
	uint16_t port = u->port && *u->port ? sipmsg_port(u->port) : 0;

	if (u->port && *u->port && port == 0)
		return -1;
	return hop_set(p, t, u->host, port, uri_proto(u, t->from.proto), false);
}

int siproute_request(struct sip_pipeline *p, struct sip_ticket *t)
{
	const struct config *cfg = p->ctx.cfg;
	osip_message_t *m = t->msg;
	osip_route_t *r = osip_list_get(&m->routes, 0);
	const char *from_host = m->from->url->host;

	if (r && r->url)
		return hop_uri(p, t, r->url);
	for (size_t i = 0; i < cfg->outbound_domain_name.n && i < cfg->outbound_domain_host.n; i++)
		if (from_host && strcasecmp(from_host, cfg->outbound_domain_name.v[i]) == 0)
			return hop_set(p, t, cfg->outbound_domain_host.v[i],
				       cfg->outbound_domain_port ? (uint16_t)cfg->outbound_domain_port[i] : 0,
				       t->from.proto, false);
	if (cfg->outbound_proxy_host && *cfg->outbound_proxy_host)
		return hop_set(p, t, cfg->outbound_proxy_host, (uint16_t)cfg->outbound_proxy_port, t->from.proto, false);
	return hop_uri(p, t, m->req_uri);
}

int siproute_response(struct sip_pipeline *p, struct sip_ticket *t)
{
	osip_via_t *via = osip_list_get(&t->msg->vias, 0);
	const char *received, *rport;
	enum sip_proto proto;
	uint16_t port;
	long rp;

	if (!via || !via->host)
		return -1;
	received = sipmsg_via_param(via, "received");
	rport = sipmsg_via_param(via, "rport");
	rp = sipmsg_number(rport);
	port = rp > 0 && rp <= 65535 ? (uint16_t)rp : sipmsg_port(via->port);
	if (port == 0)
		return -1;
	proto = via->protocol && strcasecmp(via->protocol, "TCP") == 0 ? SIP_PROTO_TCP : SIP_PROTO_UDP;
	return hop_set(p, t, received && *received ? received : via->host, port, proto,
		       t->dir == SIP_DIR_INCOMING);
}

/* A message waiting for its next hop's address. */
struct dns_wait {
	struct sip_pipeline *p;
	struct dns_query *q;
	struct dns_wait *prev, *next;
	struct sip_peer to;
	char *buf;                /* the message to send */
	size_t len;
	char *raw;                /* the request as received, to answer 503; NULL for responses */
	size_t raw_len;
	struct sip_peer from;
	bool from_wan;
	char host[256];
	char media_call_id[128];  /* see struct sip_ticket */
	bool in_call, finished;
};

static void wait_free(struct dns_wait *w)
{
	struct sip_pipeline *p = w->p;

	if (w->prev)
		w->prev->next = w->next;
	else
		p->waits = w->next;
	if (w->next)
		w->next->prev = w->prev;
	p->dns_waiting--;
	osip_free(w->buf);
	free(w->raw);
	free(w);
}

/*
 * The relay took the request's SDP before it turned out that the request cannot go: the media
 * sees our answer as if the far side had sent it, so the sessions end (or a re-INVITE's offer
 * rolls back) now rather than holding their ports until rtp_timeout. call_id is the relay's key,
 * the phone's Call-ID: raw may carry the hidden or loop-marked one.
 */
static void media_void(struct sip_pipeline *p, const char *raw, size_t raw_len, bool from_wan, const char *call_id,
		       int code)
{
	struct sip_ticket t = { .raw = raw, .raw_len = raw_len, .now = sip_now(p) };
	osip_message_t *r;

	if (!p->ctx.sdp_rewrite || !call_id[0] || !(t.msg = sipmsg_parse(raw, raw_len)))
		return;
	if (MSG_IS_REQUEST(t.msg) && (r = sipresp_build(p, &t, code)) != NULL) {
		struct sip_media_msg m = { .msg = r, .call_id = call_id, .leg = "", .from_wan = !from_wan };

		p->ctx.sdp_rewrite(p->ctx.sdp_ud, &m);
		osip_message_free(r);
	}
	osip_message_free(t.msg);
}

void siproute_media_void(struct sip_pipeline *p, const struct sip_ticket *t, int code)
{
	media_void(p, t->raw, t->raw_len, t->from_wan, t->media_call_id, code);
}

/* A message that cannot go: the request's sender learns it (503), a response is dropped. */
static void send_failed(struct sip_pipeline *p, const char *raw, size_t raw_len, const struct sip_peer *from,
			bool from_wan, const char *media_call_id, const char *host, const char *why)
{
	log_warn("cannot send to %s: %s", host, why);
	if (raw) {
		sipresp_reply_raw(p, raw, raw_len, from, 503, why);
		media_void(p, raw, raw_len, from_wan, media_call_id, 503);
	}
}

/*
 * A TCP request that waits for its connection. The transport calls done exactly once for every
 * send it accepted (at once when the message went out at once), so a slot stays taken until
 * then: a late report can only ever reach its own request, never a newer one in a reused slot.
 * When every slot is taken, the request goes without a report.
 * A request sent after a lookup keeps the message and the lookup's other targets: a failed
 * connect tries the next one (RFC 3263 §4.3) before the sender gets its 503.
 */
struct tcp_wait {
	struct sip_pipeline *p;
	char *raw;                /* NULL: free */
	size_t raw_len;
	struct sip_peer from;
	bool from_wan;
	char media_call_id[128];  /* see struct sip_ticket */
	struct failover *next;    /* NULL: no other target */
};

/* What trying the next target of a lookup needs. */
struct failover {
	struct sip_peer to;
	char *buf;
	size_t len;
	char host[256];
	size_t n;                 /* targets left */
	struct dns_target targets[];
};

static void failover_free(struct failover *f)
{
	if (f)
		free(f->buf);
	free(f);
}

/* The targets after the first one, with a copy of the message; NULL when there are none (or no memory). */
static struct failover *failover_make(const struct sip_peer *to, const char *buf, size_t len, const char *host,
				      const struct dns_target *targets, size_t n)
{
	struct failover *f;

	if (n < 2 || !(f = calloc(1, sizeof(*f) + (n - 1) * sizeof(*targets))))
		return NULL;
	f->buf = malloc(len);
	if (!f->buf) {
		free(f);
		return NULL;
	}
	memcpy(f->buf, buf, len);
	f->len = len;
	f->to = *to;
	f->n = n - 1;
	memcpy(f->targets, targets + 1, (n - 1) * sizeof(*targets));
	snprintf(f->host, sizeof(f->host), "%s", host);
	return f;
}

/* Moves f->to to the next target; false when none is left. */
static bool failover_next(struct failover *f)
{
	char ip[INET_ADDRSTRLEN];

	if (!f || f->n == 0)
		return false;
	f->to.addr.sin_addr = f->targets[0].addr;
	f->to.addr.sin_port = htons(f->targets[0].port);
	memmove(f->targets, f->targets + 1, (f->n - 1) * sizeof(f->targets[0]));
	f->n--;
	log_info("trying the next address of %s: %s:%u", f->host, sip_ip_str(f->to.addr.sin_addr, ip, sizeof(ip)),
		 ntohs(f->to.addr.sin_port));
	return true;
}

struct tcp_wait *siproute_tcp_waits_create(size_t n)
{
	return calloc(n, sizeof(struct tcp_wait));
}

void siproute_tcp_waits_destroy(struct sip_pipeline *p)
{
	for (size_t i = 0; p->tcp_waits && i < p->ctx.max_tcp_waiting; i++) {
		free(p->tcp_waits[i].raw);
		failover_free(p->tcp_waits[i].next);
	}
	free(p->tcp_waits);
}

static void tcp_wait_release(struct tcp_wait *w)
{
	free(w->raw);
	w->raw = NULL;
	failover_free(w->next);
	w->next = NULL;
}

/* A free slot, searched from the one after the last taken; NULL when all wait for their report. */
static struct tcp_wait *tcp_wait_take(struct sip_pipeline *p, const char *raw, size_t raw_len,
				      const struct sip_peer *from, bool from_wan, const char *media_call_id)
{
	size_t n = p->ctx.max_tcp_waiting;
	struct tcp_wait *w = NULL;
	char *copy;

	for (size_t i = 0; i < n && !w; i++) {
		struct tcp_wait *s = &p->tcp_waits[(p->tcp_next + i) % n];
		if (!s->raw)
			w = s;
	}
	if (!w || !(copy = malloc(raw_len)))
		return NULL;
	memcpy(copy, raw, raw_len);
	*w = (struct tcp_wait){ .p = p, .raw = copy, .raw_len = raw_len, .from = *from, .from_wan = from_wan };
	snprintf(w->media_call_id, sizeof(w->media_call_id), "%s", media_call_id);
	p->tcp_next = (size_t)(w - p->tcp_waits + 1) % n;
	return w;
}

static void tcp_sent(void *ud, int status, int err)
{
	struct tcp_wait *w = ud;
	struct failover *f = w->next;

	if (!w->raw)
		return;
	if (status != 0) {
		log_warn("TCP send failed: %s", strerror(err));
		/* The slot stays ours: a report for this send comes here again. */
		while (failover_next(f)) {
			if (w->p->ctx.send(w->p->ctx.send_ud, &f->to, f->buf, f->len, tcp_sent, w) == 0)
				return;
		}
		sipresp_reply_raw(w->p, w->raw, w->raw_len, &w->from, 503, "TCP send failed");
		media_void(w->p, w->raw, w->raw_len, w->from_wan, w->media_call_id, 503);
	}
	tcp_wait_release(w);
}

/* f (taken over, may be NULL): the lookup's other targets to try when this send fails. */
static void send_now(struct sip_pipeline *p, const struct sip_peer *to, const char *buf, size_t len,
		     const char *raw, size_t raw_len, const struct sip_peer *from, bool from_wan,
		     const char *media_call_id, const char *host, struct failover *f)
{
	struct tcp_wait *w = raw && to->proto == SIP_PROTO_TCP ?
			     tcp_wait_take(p, raw, raw_len, from, from_wan, media_call_id) : NULL;

	if (w)
		w->next = f;
	for (;;) {
		if (p->ctx.send(p->ctx.send_ud, to, buf, len, w ? tcp_sent : NULL, w) == 0) {
			if (!w)
				failover_free(f);
			return;
		}
		if (!failover_next(f))
			break;
		to = &f->to;
		buf = f->buf;
		len = f->len;
	}
	if (w)
		tcp_wait_release(w);
	else
		failover_free(f);
	send_failed(p, raw, raw_len, from, from_wan, media_call_id, host, "send failed");
}

static void wait_resolved(void *ud, int status, const struct dns_target *targets, size_t n)
{
	struct dns_wait *w = ud;

	if (status == 0 && n > 0) {
		w->to.addr.sin_family = AF_INET;
		w->to.addr.sin_addr = targets[0].addr;
		w->to.addr.sin_port = htons(targets[0].port);
		/* Only requests fail over: a response has nobody to tell (RFC 3263 §5 retries are not done). */
		send_now(w->p, &w->to, w->buf, w->len, w->raw, w->raw_len, &w->from, w->from_wan, w->media_call_id, w->host,
			 w->raw ? failover_make(&w->to, w->buf, w->len, w->host, targets, n) : NULL);
	} else {
		send_failed(w->p, w->raw, w->raw_len, &w->from, w->from_wan, w->media_call_id, w->host,
			    "name does not resolve");
	}
	w->finished = true;
	if (!w->in_call)
		wait_free(w);
}

static void send_after_dns(struct sip_pipeline *p, struct sip_ticket *t, char *buf, size_t len)
{
	bool req = MSG_IS_REQUEST(t->msg);
	struct dns_wait *w;
	struct dns_query *q;

	if (!p->ctx.dns || p->dns_waiting >= p->ctx.max_dns_waiting) {
		osip_free(buf);
		send_failed(p, req ? t->raw : NULL, t->raw_len, &t->from, t->from_wan, t->media_call_id, t->hop_host,
			    p->ctx.dns ? "too many messages wait for DNS" : "no resolver");
		return;
	}
	w = calloc(1, sizeof(*w));
	if (w && req) {
		w->raw = malloc(t->raw_len);
		if (w->raw)
			memcpy(w->raw, t->raw, t->raw_len);
	}
	if (!w || (req && !w->raw)) {
		if (w)
			free(w);
		osip_free(buf);
		send_failed(p, req ? t->raw : NULL, t->raw_len, &t->from, t->from_wan, t->media_call_id, t->hop_host,
			    "out of memory");
		return;
	}
	*w = (struct dns_wait){ .p = p, .to = t->to, .buf = buf, .len = len, .raw = w->raw, .raw_len = t->raw_len,
				.from = t->from, .from_wan = t->from_wan, .next = p->waits, .in_call = true };
	snprintf(w->host, sizeof(w->host), "%s", t->hop_host);
	snprintf(w->media_call_id, sizeof(w->media_call_id), "%s", t->media_call_id);
	if (p->waits)
		p->waits->prev = w;
	p->waits = w;
	p->dns_waiting++;
	q = dns_resolve_sip(p->ctx.dns, t->hop_host, t->hop_port,
			    t->hop_proto == SIP_PROTO_TCP ? DNS_PROTO_TCP : DNS_PROTO_UDP, wait_resolved, w);
	w->in_call = false;
	if (w->finished) {
		wait_free(w);
	} else if (!q) {
		send_failed(p, w->raw, w->raw_len, &w->from, w->from_wan, w->media_call_id, w->host,
			    "lookup failed to start");
		wait_free(w);
	} else {
		w->q = q;
	}
}

void siproute_send(struct sip_pipeline *p, struct sip_ticket *t)
{
	bool req = MSG_IS_REQUEST(t->msg);
	char *buf = NULL;
	size_t len = 0;

	if (sipmsg_serialize(t->msg, &buf, &len) != 0) {
		log_error("cannot serialise the message, Call-ID %s", t->call_id);
		return;
	}
	/* The last guard: a garbled header libosip2 took in may come out as text no one can read. */
	if (!sipmsg_parses(buf, len)) {
		osip_free(buf);
		log_warn("not relaying a %s that would not parse after rewriting, Call-ID %s",
			 req ? t->msg->sip_method : "response", t->call_id);
		if (req) {
			sipresp_reply_raw(p, t->raw, t->raw_len, &t->from, 400, "unusable header");
			siproute_media_void(p, t, 400);
		}
		return;
	}
	if (!t->hop_known) {
		send_after_dns(p, t, buf, len);
		return;
	}
	send_now(p, &t->to, buf, len, req ? t->raw : NULL, t->raw_len, &t->from, t->from_wan, t->media_call_id,
		 t->hop_host, NULL);
	osip_free(buf);
}

void siproute_cancel_all(struct sip_pipeline *p)
{
	while (p->waits) {
		if (p->waits->q)
			dns_cancel(p->waits->q);
		wait_free(p->waits);
	}
}
