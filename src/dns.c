/* Asynchronous name resolution through c-ares inside the event loop, with a TTL cache and RFC 3263 next-hop lookups. */
#include "build_config.h"

#include "dns.h"

#include "event_loop.h"
#include "hmap.h"
#include "log.h"

#include <arpa/inet.h>
#include <ares.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/*
 * The cache bound. dns_create() has no parameter for it (its callers size max_pending only); 4096
 * names at ~100 bytes each is well under half a megabyte, and a proxy talks to far fewer distinct
 * hosts than that. When full, the entry stored longest ago goes first.
 */
#define DNS_CACHE_MAX 4096
/* TTLs are clamped so that a zero TTL does not mean a query per packet and a week-long one
 * does not pin a stale address. */
#define DNS_TTL_MIN_S 5
#define DNS_TTL_MAX_S 3600
/* "No such name / no such record" is remembered this long. */
#define DNS_NEG_TTL_S 30
/* A server failure or time-out is remembered briefly, so that a dead server costs one time-out
 * per name every few seconds instead of one per request. */
#define DNS_FAIL_TTL_S 5
/* Protocol sanity bounds, not tunables: one UDP answer holds about 30 A records, and a next hop
 * with more than 16 SRV targets or 16 addresses each is never tried that far. */
#define DNS_ADDR_MAX 16
#define DNS_SRV_MAX 16
#define DNS_NAME_MAX 253
#define SIP_DEFAULT_PORT 5060

enum dns_rtype { DNS_RT_A, DNS_RT_SRV };

struct dns_srv {
	uint16_t priority, weight, port;
	char *target;
};

/* An answer, positive or negative; shared by the cache and a delivery in progress (refs). */
struct dns_entry {
	char *key;                          /* see key_new() */
	size_t keylen;
	struct dns_entry *older, *newer;    /* cache insertion order, for eviction */
	bool cached;
	unsigned refs;
	uint64_t expires_ms;
	size_t n;                           /* 0: negative */
	struct in_addr *addrs;              /* DNS_RT_A */
	struct dns_srv *srvs;               /* DNS_RT_SRV */
};

struct dns_wait;

/* One c-ares query in flight; identical requests wait on the same one. */
struct dns_lookup {
	char *key;
	size_t keylen;
	struct dns *dns;
	struct dns_wait *waiters;
	bool in_table;
};

/* A query waiting on a lookup, for its SRV step (slot -1) or the address of one target. */
struct dns_wait {
	struct dns_wait *next, *prev;
	struct dns_lookup *lk;              /* NULL when not waiting */
	struct dns_query *q;
	int slot;
};

/* One name whose addresses the query needs, with the port its targets get. */
struct dns_slot {
	char *host;
	uint16_t port;
	struct dns_wait wait;
	struct in_addr *addrs;
	size_t n;
};

struct dns_query {
	struct dns *dns;
	struct dns_query *prev, *next;      /* all unfinished queries, for dns_destroy */
	dns_cb cb;
	void *ud;
	char host[DNS_NAME_MAX + 1];        /* lowercase, no trailing dot */
	uint16_t port;
	enum dns_proto proto;
	bool counted;                       /* counts against max_pending */
	bool starting;                      /* inside dns_resolve_*(): finishing must not free */
	bool finished;
	struct dns_wait srv_wait;
	struct dns_slot *slots;
	size_t nslots;
	size_t outstanding;                 /* slots without an answer yet */
};

struct dns {
	struct event_loop *el;
	ares_channel channel;
	size_t max_pending;
	size_t npending;
	size_t nlookups;                    /* in flight, also those nobody waits for any more */
	struct hmap cache;                  /* key → struct dns_entry */
	struct dns_entry *oldest, *newest;
	struct hmap lookups;                /* key → struct dns_lookup */
	struct dns_query *queries;
	struct el_timer timer;
	int *fds;                           /* sockets c-ares asked us to watch */
	size_t nfds, fds_cap;
	uint64_t rng;
	uint64_t (*clock)(void *ud);
	void *clock_ud;
};

static void lookup_deliver(struct dns *dns, struct dns_lookup *lk, struct dns_entry *e);
static void query_srv_answer(struct dns_query *q, const struct dns_entry *e);
static void slot_answer(struct dns_query *q, struct dns_slot *s, const struct dns_entry *e);

static uint64_t now_ms(const struct dns *dns)
{
	return dns->clock ? dns->clock(dns->clock_ud) : el_now_ms(dns->el);
}

/*
 * Cache and lookup key: the record type as one letter, then the lowercase name ("Aexample.org",
 * "S_sip._udp.example.org"). The map borrows it from the entry that owns it.
 */
#define DNS_KEY_MAX (DNS_NAME_MAX + 32)

/* Writes the key of (type, name) to out; returns its length, 0 when it does not fit. */
static size_t key_fill(char *out, size_t cap, enum dns_rtype type, const char *name)
{
	size_t n = strlen(name);

	if (n + 2 > cap)
		return 0;
	out[0] = type == DNS_RT_A ? 'A' : 'S';
	memcpy(out + 1, name, n + 1);
	return n + 1;
}

static char *key_new(enum dns_rtype type, const char *name, size_t *len)
{
	char buf[DNS_KEY_MAX];

	*len = key_fill(buf, sizeof(buf), type, name);
	return *len ? strdup(buf) : NULL;
}

static enum dns_rtype key_type(const char *key) { return key[0] == 'A' ? DNS_RT_A : DNS_RT_SRV; }
static const char *key_name(const char *key) { return key + 1; }

/* ---- cache ---- */

static struct dns_entry *entry_new(enum dns_rtype type, const char *name)
{
	struct dns_entry *e = calloc(1, sizeof(*e));

	if (!e || !(e->key = key_new(type, name, &e->keylen))) {
		free(e);
		return NULL;
	}
	e->refs = 1;
	return e;
}

static void entry_unref(struct dns_entry *e)
{
	if (--e->refs > 0)
		return;
	for (size_t i = 0; e->srvs && i < e->n; i++)
		free(e->srvs[i].target);
	free(e->srvs);
	free(e->addrs);
	free(e->key);
	free(e);
}

static void cache_remove(struct dns *dns, struct dns_entry *e)
{
	hmap_del(&dns->cache, e->key, e->keylen);
	if (e->older)
		e->older->newer = e->newer;
	else
		dns->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		dns->newest = e->older;
	e->cached = false;
	entry_unref(e);
}

/* The live entry for (type, name); an expired one is dropped on the way. */
static struct dns_entry *cache_get(struct dns *dns, enum dns_rtype type, const char *name)
{
	char key[DNS_KEY_MAX];
	size_t len = key_fill(key, sizeof(key), type, name);
	struct dns_entry *e = len ? hmap_get(&dns->cache, key, len) : NULL;

	if (e && now_ms(dns) >= e->expires_ms) {
		cache_remove(dns, e);
		return NULL;
	}
	return e;
}

/* Takes a reference of its own; replaces an older answer for the same key. Out of memory: not cached. */
static void cache_put(struct dns *dns, struct dns_entry *e, uint32_t ttl_s)
{
	struct dns_entry *old = hmap_get(&dns->cache, e->key, e->keylen);

	if (old)
		cache_remove(dns, old);
	while (hmap_count(&dns->cache) >= DNS_CACHE_MAX && dns->oldest)
		cache_remove(dns, dns->oldest);
	if (hmap_put(&dns->cache, e->key, e->keylen, e) < 0)
		return;
	e->expires_ms = now_ms(dns) + (uint64_t)ttl_s * 1000u;
	e->refs++;
	e->cached = true;
	e->older = dns->newest;
	e->newer = NULL;
	if (dns->newest)
		dns->newest->newer = e;
	else
		dns->oldest = e;
	dns->newest = e;
}

static uint32_t clamp_ttl(uint32_t ttl)
{
	return ttl < DNS_TTL_MIN_S ? DNS_TTL_MIN_S : ttl > DNS_TTL_MAX_S ? DNS_TTL_MAX_S : ttl;
}

/* ---- c-ares in the loop ---- */

static void dns_rearm(struct dns *dns);

static void on_ares_fd(struct event_loop *el, int fd, unsigned events, void *ud)
{
	struct dns *dns = ud;

	ares_process_fd(dns->channel, (events & (EL_READ | EL_ERROR)) ? fd : ARES_SOCKET_BAD,
			(events & EL_WRITE) ? fd : ARES_SOCKET_BAD);
	dns_rearm(dns);
}

static void on_ares_timer(struct event_loop *el, void *ud)
{
	struct dns *dns = ud;

	ares_process_fd(dns->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_rearm(dns);
}

/* One timer follows c-ares' own next deadline (retries and time-outs). */
static void dns_rearm(struct dns *dns)
{
	struct timeval tv;

	if (!ares_timeout(dns->channel, NULL, &tv)) {
		el_timer_stop(dns->el, &dns->timer);
		return;
	}
	uint64_t ms = (uint64_t)tv.tv_sec * 1000u + ((uint64_t)tv.tv_usec + 999u) / 1000u;
	el_timer_start(dns->el, &dns->timer, ms, on_ares_timer, dns);
}

static ssize_t fd_index(const struct dns *dns, int fd)
{
	for (size_t i = 0; i < dns->nfds; i++)   /* c-ares keeps one socket per server: a handful */
		if (dns->fds[i] == fd)
			return (ssize_t)i;
	return -1;
}

static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns *dns = data;
	unsigned events = (readable ? EL_READ : 0) | (writable ? EL_WRITE : 0);
	ssize_t i = fd_index(dns, fd);

	if (!events) {
		if (i >= 0) {
			el_fd_del(dns->el, fd);
			dns->fds[i] = dns->fds[--dns->nfds];
		}
		return;
	}
	if (i >= 0) {
		if (el_fd_modify(dns->el, fd, events) < 0)
			log_error("dns: cannot watch resolver socket %d: %s", fd, strerror(errno));
		return;
	}
	if (dns->nfds == dns->fds_cap) {
		size_t cap = dns->fds_cap ? dns->fds_cap * 2 : 4;
		int *fds = realloc(dns->fds, cap * sizeof(*fds));
		if (!fds) {
			log_error("dns: out of memory watching resolver socket %d", fd);
			return;
		}
		dns->fds = fds;
		dns->fds_cap = cap;
	}
	if (el_fd_add(dns->el, fd, events, on_ares_fd, dns) < 0) {
		/* The query then times out inside c-ares and its waiters get -1. */
		log_error("dns: cannot watch resolver socket %d: %s", fd, strerror(errno));
		return;
	}
	dns->fds[dns->nfds++] = fd;
}

/* ---- answers from c-ares ---- */

static uint32_t failure_ttl(int status)
{
	return (status == ARES_ENOTFOUND || status == ARES_ENODATA || status == ARES_ENONAME) ?
	       DNS_NEG_TTL_S : DNS_FAIL_TTL_S;
}

/* Caches e (unless the channel is going away) and hands it to the waiters. */
static void lookup_finish(struct dns_lookup *lk, struct dns_entry *e, int status, uint32_t ttl_s)
{
	struct dns *dns = lk->dns;

	if (status != ARES_EDESTRUCTION && status != ARES_ECANCELLED)
		cache_put(dns, e, ttl_s);
	log_debug(DBCLASS_DNS, "dns: %s %s: %zu record(s), %s, kept %u s", key_type(e->key) == DNS_RT_A ? "A" : "SRV",
		  key_name(e->key), e->n, ares_strerror(status), ttl_s);
	lookup_deliver(dns, lk, e);
	entry_unref(e);
}

static void on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct dns_lookup *lk = arg;
	struct dns_entry *e = entry_new(DNS_RT_A, key_name(lk->key));
	uint32_t ttl = UINT32_MAX;
	size_t n = 0;

	if (status == ARES_SUCCESS && e && res) {
		for (struct ares_addrinfo_node *ai = res->nodes; ai; ai = ai->ai_next)
			n += ai->ai_family == AF_INET;
		n = n > DNS_ADDR_MAX ? DNS_ADDR_MAX : n;
		e->addrs = n ? calloc(n, sizeof(*e->addrs)) : NULL;
		for (struct ares_addrinfo_node *ai = res->nodes; ai && e->addrs && e->n < n; ai = ai->ai_next) {
			if (ai->ai_family != AF_INET)
				continue;
			e->addrs[e->n++] = ((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr;
			if (ai->ai_ttl >= 0 && (uint32_t)ai->ai_ttl < ttl)
				ttl = (uint32_t)ai->ai_ttl;
		}
	}
	if (res)
		ares_freeaddrinfo(res);
	if (!e) {
		lookup_deliver(lk->dns, lk, NULL);
		return;
	}
	if (status == ARES_SUCCESS && e->n == 0)
		status = ARES_ENODATA;
	lookup_finish(lk, e, status, status == ARES_SUCCESS ? clamp_ttl(ttl) : failure_ttl(status));
}

/* The smallest TTL of the SRV records in an answer; ares_parse_srv_reply() does not report it. */
static int srv_answer_ttl(const unsigned char *abuf, int alen, uint32_t *ttl)
{
	char *name;
	long len;

	if (alen < 12)
		return -1;
	const unsigned char *p = abuf + 12, *end = abuf + alen;
	unsigned qd = (unsigned)abuf[4] << 8 | abuf[5], an = (unsigned)abuf[6] << 8 | abuf[7];
	for (unsigned i = 0; i < qd + an; i++) {
		if (ares_expand_name(p, abuf, alen, &name, &len) != ARES_SUCCESS)
			return -1;
		ares_free_string(name);
		p += len;
		if (i < qd) {
			p += 4;            /* QTYPE, QCLASS */
			if (p > end)
				return -1;
			continue;
		}
		if (end - p < 10)
			return -1;
		unsigned type = (unsigned)p[0] << 8 | p[1];
		uint32_t rr_ttl = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
		unsigned rdlen = (unsigned)p[8] << 8 | p[9];
		p += 10;
		if ((size_t)(end - p) < rdlen)
			return -1;
		p += rdlen;
		if (type == 33 && rr_ttl < *ttl)   /* T_SRV */
			*ttl = rr_ttl;
	}
	return 0;
}

static void on_srv(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_lookup *lk = arg;
	struct dns_entry *e = entry_new(DNS_RT_SRV, key_name(lk->key));
	struct ares_srv_reply *reply = NULL;
	uint32_t ttl = UINT32_MAX;

	if (!e) {
		lookup_deliver(lk->dns, lk, NULL);
		return;
	}
	if (status == ARES_SUCCESS)
		status = ares_parse_srv_reply(abuf, alen, &reply);
	if (status == ARES_SUCCESS && srv_answer_ttl(abuf, alen, &ttl) < 0)
		status = ARES_EBADRESP;
	if (status == ARES_SUCCESS) {
		size_t n = 0;
		for (struct ares_srv_reply *r = reply; r; r = r->next)
			n++;
		n = n > DNS_SRV_MAX ? DNS_SRV_MAX : n;
		e->srvs = calloc(n ? n : 1, sizeof(*e->srvs));
		for (struct ares_srv_reply *r = reply; r && e->srvs && e->n < n; r = r->next) {
			struct dns_srv *s = &e->srvs[e->n];
			if (!(s->target = strdup(r->host)))
				break;
			for (char *c = s->target; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			s->priority = r->priority;
			s->weight = r->weight;
			s->port = r->port;
			e->n++;
		}
		if (e->n == 0)
			status = ARES_ENODATA;
	}
	if (reply)
		ares_free_data(reply);
	lookup_finish(lk, e, status, status == ARES_SUCCESS ? clamp_ttl(ttl) : failure_ttl(status));
}

/* ---- lookups and waiting ---- */

static void wait_unlink(struct dns_wait *w)
{
	if (!w->lk)
		return;
	if (w->prev)
		w->prev->next = w->next;
	else
		w->lk->waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->lk = NULL;
	w->next = w->prev = NULL;
}

/*
 * Fans e out to every waiter. Each waiter is taken off the list before it runs, so a callback
 * may cancel any query, including ones still waiting here; the lookup has already left the
 * table, so a new request for the same name is served from the cache instead of joining it.
 */
static void lookup_deliver(struct dns *dns, struct dns_lookup *lk, struct dns_entry *e)
{
	if (lk->in_table) {
		hmap_del(&dns->lookups, lk->key, lk->keylen);
		lk->in_table = false;
	}
	while (lk->waiters) {
		struct dns_wait *w = lk->waiters;
		wait_unlink(w);
		struct dns_query *q = w->q;
		if (w->slot < 0)
			query_srv_answer(q, e);
		else
			slot_answer(q, &q->slots[w->slot], e);
	}
	dns->nlookups--;
	free(lk->key);
	free(lk);
}

/* Makes w wait for (type, name), joining a lookup in flight or starting one. -1: not possible. */
static int wait_on(struct dns *dns, struct dns_wait *w, enum dns_rtype type, const char *name)
{
	struct dns_query *q = w->q;
	char key[DNS_KEY_MAX];
	size_t keylen = key_fill(key, sizeof(key), type, name);
	struct dns_lookup *lk = keylen ? hmap_get(&dns->lookups, key, keylen) : NULL;

	if (!q->counted) {
		if (dns->npending >= dns->max_pending) {
			log_debug(DBCLASS_DNS, "dns: %zu lookups pending, refusing %s", dns->npending, name);
			return -1;
		}
		q->counted = true;
		dns->npending++;
	}
	bool start = !lk;
	if (start) {
		if (!keylen || dns->nlookups >= dns->max_pending)
			return -1;
		lk = calloc(1, sizeof(*lk));
		if (!lk || !(lk->key = key_new(type, name, &lk->keylen)) ||
		    hmap_put(&dns->lookups, lk->key, lk->keylen, lk) < 0) {
			if (lk)
				free(lk->key);
			free(lk);
			return -1;
		}
		lk->dns = dns;
		lk->in_table = true;
		dns->nlookups++;
	}
	w->lk = lk;
	w->prev = NULL;
	w->next = lk->waiters;
	if (lk->waiters)
		lk->waiters->prev = w;
	lk->waiters = w;
	if (start) {
		/* c-ares may answer at once (hosts file, bad name): the waiter is already listed. */
		log_debug(DBCLASS_DNS, "dns: query %s %s", type == DNS_RT_A ? "A" : "SRV", name);
		if (type == DNS_RT_A) {
			struct ares_addrinfo_hints hints = { .ai_family = AF_INET };
			ares_getaddrinfo(dns->channel, name, NULL, &hints, on_addrinfo, lk);
		} else {
			ares_query(dns->channel, name, 1 /* C_IN */, 33 /* T_SRV */, on_srv, lk);
		}
		dns_rearm(dns);
	}
	return 0;
}

/* ---- queries ---- */

static void query_unlist(struct dns_query *q)
{
	struct dns *dns = q->dns;

	if (q->prev)
		q->prev->next = q->next;
	else if (dns->queries == q)
		dns->queries = q->next;
	if (q->next)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
	if (q->counted) {
		dns->npending--;
		q->counted = false;
	}
}

static void query_free(struct dns_query *q)
{
	wait_unlink(&q->srv_wait);
	for (size_t i = 0; i < q->nslots; i++) {
		wait_unlink(&q->slots[i].wait);
		free(q->slots[i].host);
		free(q->slots[i].addrs);
	}
	free(q->slots);
	free(q);
}

/* Calls back with every address of every slot in slot order, then frees the query. */
static void query_finish(struct dns_query *q)
{
	size_t n = 0, k = 0;

	for (size_t i = 0; i < q->nslots; i++)
		n += q->slots[i].n;
	struct dns_target *t = n ? calloc(n, sizeof(*t)) : NULL;
	for (size_t i = 0; t && i < q->nslots; i++)
		for (size_t j = 0; j < q->slots[i].n; j++)
			t[k++] = (struct dns_target){ .addr = q->slots[i].addrs[j], .port = q->slots[i].port };
	q->finished = true;
	query_unlist(q);
	q->cb(q->ud, k ? 0 : -1, k ? t : NULL, k);
	free(t);
	if (!q->starting)
		query_free(q);
}

static void slot_fill(struct dns_slot *s, const struct in_addr *addrs, size_t n)
{
	s->addrs = n ? malloc(n * sizeof(*s->addrs)) : NULL;
	s->n = s->addrs ? n : 0;
	if (s->n)
		memcpy(s->addrs, addrs, n * sizeof(*addrs));
}

static void slot_answer(struct dns_query *q, struct dns_slot *s, const struct dns_entry *e)
{
	if (e)
		slot_fill(s, e->addrs, e->n);
	if (--q->outstanding == 0)
		query_finish(q);
}

static bool host_is_literal(const char *host, struct in_addr *addr)
{
	return inet_pton(AF_INET, host, addr) == 1;
}

/*
 * Resolves every slot from a literal, the cache, or a lookup. outstanding carries one extra
 * count until the loop is done, so that answers arriving at once cannot finish (and free) the
 * query under the loop.
 */
static void query_addr_phase(struct dns_query *q)
{
	q->outstanding = q->nslots + 1;
	for (size_t i = 0; i < q->nslots && !q->finished; i++) {
		struct dns_slot *s = &q->slots[i];
		struct in_addr lit;
		struct dns_entry *e;
		if (host_is_literal(s->host, &lit)) {
			slot_fill(s, &lit, 1);
			q->outstanding--;
		} else if ((e = cache_get(q->dns, DNS_RT_A, s->host))) {
			slot_fill(s, e->addrs, e->n);
			q->outstanding--;
		} else {
			s->wait.q = q;
			s->wait.slot = (int)i;
			if (wait_on(q->dns, &s->wait, DNS_RT_A, s->host) < 0)
				q->outstanding--;
		}
	}
	if (--q->outstanding == 0)
		query_finish(q);
}

static int query_set_slots(struct dns_query *q, size_t n)
{
	q->slots = calloc(n, sizeof(*q->slots));
	q->nslots = q->slots ? n : 0;
	return q->slots ? 0 : -1;
}

static uint64_t rng_next(struct dns *dns)
{
	uint64_t x = dns->rng;   /* xorshift64: only to spread load over equal-priority targets */

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return dns->rng = x;
}

/* RFC 2782 order: priority ascending; within one priority, a weighted random draw. */
static void srv_order(struct dns *dns, struct dns_srv *v, size_t n)
{
	for (size_t i = 1; i < n; i++)          /* insertion sort by priority, zero weights first */
		for (size_t j = i; j > 0; j--) {
			struct dns_srv *a = &v[j - 1], *b = &v[j];
			if (a->priority < b->priority || (a->priority == b->priority && (a->weight == 0 || b->weight != 0)))
				break;
			struct dns_srv tmp = *a;
			*a = *b;
			*b = tmp;
		}
	for (size_t start = 0; start < n;) {
		size_t end = start;
		while (end < n && v[end].priority == v[start].priority)
			end++;
		for (size_t i = start; i + 1 < end; i++) {
			uint64_t total = 0;
			for (size_t j = i; j < end; j++)
				total += v[j].weight;
			uint64_t pick = total ? rng_next(dns) % (total + 1) : 0, sum = 0;
			size_t j = i;
			for (; j < end; j++) {
				sum += v[j].weight;
				if (sum >= pick)
					break;
			}
			if (j == end)
				j = end - 1;
			struct dns_srv tmp = v[i];
			v[i] = v[j];
			v[j] = tmp;
		}
		start = end;
	}
}

/* The SRV step is over: the targets (or the host itself on 5060 when there are none) become slots. */
static void query_srv_answer(struct dns_query *q, const struct dns_entry *e)
{
	struct dns_srv order[DNS_SRV_MAX];
	size_t n = e ? e->n : 0;

	if (n == 1 && (e->srvs[0].target[0] == '\0' || strcmp(e->srvs[0].target, ".") == 0)) {
		/* RFC 2782: target "." means the service is decidedly not offered. */
		query_finish(q);
		return;
	}
	if (n == 0) {
		if (query_set_slots(q, 1) == 0 && (q->slots[0].host = strdup(q->host)))
			q->slots[0].port = SIP_DEFAULT_PORT;
		else
			q->nslots = 0;
		query_addr_phase(q);
		return;
	}
	memcpy(order, e->srvs, n * sizeof(*order));
	srv_order(q->dns, order, n);
	if (query_set_slots(q, n) < 0) {
		query_finish(q);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (!(q->slots[i].host = strdup(order[i].target))) {
			q->nslots = i;
			break;
		}
		q->slots[i].port = order[i].port;
	}
	query_addr_phase(q);
}

static void query_srv_phase(struct dns_query *q)
{
	char name[DNS_NAME_MAX + 16];
	struct dns_entry *e;

	snprintf(name, sizeof(name), "_sip._%s.%s", q->proto == DNS_PROTO_TCP ? "tcp" : "udp", q->host);
	if ((e = cache_get(q->dns, DNS_RT_SRV, name))) {
		query_srv_answer(q, e);
		return;
	}
	q->srv_wait.q = q;
	q->srv_wait.slot = -1;
	if (wait_on(q->dns, &q->srv_wait, DNS_RT_SRV, name) < 0)
		query_srv_answer(q, NULL);
}

/* A usable host name: letters, digits, '-', '_', '.'; lowercased into out without a trailing dot. */
static bool host_normalise(const char *host, char out[DNS_NAME_MAX + 1])
{
	size_t len = host ? strlen(host) : 0;

	if (len > 0 && host[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)host[i];
		if (!isalnum(c) && c != '-' && c != '_' && c != '.')
			return false;
		out[i] = (char)tolower(c);
	}
	out[len] = '\0';
	return true;
}

static void deliver_now(dns_cb cb, void *ud, const struct in_addr *addr, uint16_t port)
{
	struct dns_target t = { .port = port };

	if (!addr) {
		cb(ud, -1, NULL, 0);
		return;
	}
	t.addr = *addr;
	cb(ud, 0, &t, 1);
}

static struct dns_query *resolve(struct dns *dns, const char *host, uint16_t port, bool srv,
				 enum dns_proto proto, dns_cb cb, void *ud)
{
	struct in_addr lit;
	struct dns_query *q;

	if (host && host_is_literal(host, &lit)) {
		deliver_now(cb, ud, &lit, port);
		return NULL;
	}
	if (!(q = calloc(1, sizeof(*q))) || !host_normalise(host, q->host)) {
		if (q)
			log_debug(DBCLASS_DNS, "dns: not a host name: %.80s", host ? host : "(null)");
		free(q);
		deliver_now(cb, ud, NULL, 0);
		return NULL;
	}
	q->dns = dns;
	q->cb = cb;
	q->ud = ud;
	q->port = port;
	q->proto = proto;
	q->starting = true;
	q->next = dns->queries;
	if (dns->queries)
		dns->queries->prev = q;
	dns->queries = q;

	if (srv) {
		query_srv_phase(q);
	} else {
		if (query_set_slots(q, 1) == 0 && (q->slots[0].host = strdup(q->host)))
			q->slots[0].port = port;
		else
			q->nslots = 0;
		query_addr_phase(q);
	}
	q->starting = false;
	if (q->finished) {
		query_free(q);
		return NULL;
	}
	return q;
}

struct dns_query *dns_resolve_host(struct dns *dns, const char *host, uint16_t port, dns_cb cb, void *ud)
{
	return resolve(dns, host, port, false, DNS_PROTO_UDP, cb, ud);
}

struct dns_query *dns_resolve_sip(struct dns *dns, const char *host, uint16_t port, enum dns_proto proto,
				  dns_cb cb, void *ud)
{
	/* RFC 3263 §4.2: an explicit port (or a literal, handled in resolve) means A records only. */
	return resolve(dns, host, port ? port : SIP_DEFAULT_PORT, port == 0, proto, cb, ud);
}

void dns_cancel(struct dns_query *q)
{
	if (!q || q->finished)
		return;
	query_unlist(q);
	query_free(q);
}

/* ---- life cycle ---- */

int dns_set_servers(struct dns *dns, const char *csv)
{
	int rc = ares_set_servers_ports_csv(dns->channel, csv);

	if (rc != ARES_SUCCESS) {
		log_error("dns: servers \"%s\": %s", csv, ares_strerror(rc));
		return -1;
	}
	return 0;
}

void dns_set_clock(struct dns *dns, uint64_t (*clock)(void *ud), void *ud)
{
	dns->clock = clock;
	dns->clock_ud = ud;
}

struct dns *dns_create(struct event_loop *el, size_t max_pending)
{
	struct dns *dns = calloc(1, sizeof(*dns));
	struct ares_options opts = { 0 };
	int rc;

	if (!dns) {
		log_error("dns: out of memory");
		return NULL;
	}
	dns->el = el;
	dns->max_pending = max_pending;
	uint64_t seed[3];
	if (getrandom(seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed[0] = seed[1] = seed[2] = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)dns;
	/* Seeded maps: names come from SIP messages, and colliding ones must not be preparable. */
	hmap_init(&dns->cache, seed[0]);
	hmap_init(&dns->lookups, seed[1]);
	dns->rng = seed[2] | 1u;
	if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		log_error("dns: c-ares: %s", ares_strerror(rc));
		goto fail;
	}
	opts.sock_state_cb = on_sock_state;
	opts.sock_state_cb_data = dns;
	opts.lookups = (char *)"fb";           /* /etc/hosts first, then DNS */
	rc = ares_init_options(&dns->channel, &opts, ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS);
	if (rc != ARES_SUCCESS) {
		log_error("dns: c-ares initialisation: %s", ares_strerror(rc));
		ares_library_cleanup();
		goto fail;
	}
	return dns;
fail:
	free(dns);
	return NULL;
}

void dns_destroy(struct dns *dns)
{
	if (!dns)
		return;
	while (dns->queries)
		dns_cancel(dns->queries);
	/* Runs the callbacks of the lookups still in flight (ARES_EDESTRUCTION); nobody waits on them. */
	ares_destroy(dns->channel);
	ares_library_cleanup();
	for (size_t i = 0; i < dns->nfds; i++)
		el_fd_del(dns->el, dns->fds[i]);
	el_timer_stop(dns->el, &dns->timer);
	while (dns->oldest)
		cache_remove(dns, dns->oldest);
	free(dns->fds);
	hmap_fini(&dns->cache);
	hmap_fini(&dns->lookups);
	free(dns);
}

size_t dns_cache_size(const struct dns *dns) { return hmap_count(&dns->cache); }
size_t dns_pending(const struct dns *dns) { return dns->npending; }
