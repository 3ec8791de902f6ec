/* The registration table: bindings indexed by hash tables, ordered for expiry by a min-heap. */
#include "build_config.h"

#include "registrar.h"

#include "hmap.h"
#include "reg_key.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The indexes that group bindings by one key each; every group is a list, most recent first. */
enum reg_index {
	RIX_AOR,        /* AoR key: the bindings of one AoR */
	RIX_CONTACT,    /* contact key of true_url: one phone may serve several AoRs */
	RIX_MASQ,       /* contact key of masq_url */
	RIX_SOURCE,     /* 4 bytes of IPv4: several phones behind one NAT share it */
	RIX_USER,       /* user part of the AoR */
	RIX_COUNT
};

struct reg_entry;

struct reg_group {
	struct reg_entry *head;
	size_t len;
	char key[];                 /* the hmap borrows it */
};

struct reg_link {
	struct reg_group *group;    /* NULL: the entry has no key in this index */
	struct reg_entry *prev, *next;
};

struct reg_entry {
	struct reg_binding b;       /* first member: a reg_binding pointer converts back */
	char *pair_key;             /* "<AoR key>\n<contact key>": the binding's identity */
	size_t pair_len, aor_len;
	struct reg_link link[RIX_COUNT];
	int64_t pending_since;      /* clock time of the last unconfirmed REGISTER */
	int64_t deadline;           /* reg_expire removes the entry once now > deadline */
	size_t heap_pos;
};

struct registrar {
	size_t max_bindings;
	struct hmap pairs;                  /* pair key -> entry */
	struct hmap index[RIX_COUNT];       /* key -> struct reg_group */
	struct reg_entry **heap;            /* min-heap by deadline; also the list of all entries */
	size_t heap_len, heap_cap;
	reg_clock_fn clock;
	void *clock_ud;
};

/* The keys of one binding, derived once per call. */
struct reg_keys {
	struct reg_key aor, contact, masq;
	char *pair;
	size_t pair_len;
	struct in_addr src;                 /* what RIX_SOURCE files it under; 0: not filed */
};

static int64_t wall_clock(void *ud)
{
	(void)ud;
	return (int64_t)time(NULL);
}

static int64_t add_sat(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

struct registrar *reg_create(size_t max_bindings)
{
	struct registrar *reg = calloc(1, sizeof *reg);
	if (!reg)
		return NULL;
	reg->max_bindings = max_bindings;
	reg->clock = wall_clock;
	hmap_init(&reg->pairs, hmap_random_seed());
	for (int ix = 0; ix < RIX_COUNT; ix++)
		hmap_init(&reg->index[ix], hmap_random_seed());
	return reg;
}

void reg_set_clock(struct registrar *reg, reg_clock_fn fn, void *ud)
{
	reg->clock = fn ? fn : wall_clock;
	reg->clock_ud = fn ? ud : NULL;
}

/* ---- the expiry heap ---- */

static void heap_place(struct registrar *reg, size_t pos, struct reg_entry *e)
{
	reg->heap[pos] = e;
	e->heap_pos = pos;
}

static void heap_sift_up(struct registrar *reg, size_t pos)
{
	struct reg_entry *e = reg->heap[pos];

	while (pos > 0) {
		size_t parent = (pos - 1) / 2;
		if (reg->heap[parent]->deadline <= e->deadline)
			break;
		heap_place(reg, pos, reg->heap[parent]);
		pos = parent;
	}
	heap_place(reg, pos, e);
}

static void heap_sift_down(struct registrar *reg, size_t pos)
{
	struct reg_entry *e = reg->heap[pos];

	for (;;) {
		size_t child = 2 * pos + 1;
		if (child >= reg->heap_len)
			break;
		if (child + 1 < reg->heap_len && reg->heap[child + 1]->deadline < reg->heap[child]->deadline)
			child++;
		if (e->deadline <= reg->heap[child]->deadline)
			break;
		heap_place(reg, pos, reg->heap[child]);
		pos = child;
	}
	heap_place(reg, pos, e);
}

static int heap_reserve(struct registrar *reg, size_t n)
{
	if (n <= reg->heap_cap)
		return 0;
	size_t cap = reg->heap_cap ? reg->heap_cap : 16;
	while (cap < n) {
		if (cap > SIZE_MAX / 2 / sizeof *reg->heap) {
			errno = ENOMEM;
			return -1;
		}
		cap *= 2;
	}
	struct reg_entry **heap = realloc(reg->heap, cap * sizeof *heap);
	if (!heap)
		return -1;
	reg->heap = heap;
	reg->heap_cap = cap;
	return 0;
}

/* Capacity was reserved beforehand, so this cannot fail. */
static void heap_push(struct registrar *reg, struct reg_entry *e)
{
	heap_place(reg, reg->heap_len++, e);
	heap_sift_up(reg, e->heap_pos);
}

static void heap_remove(struct registrar *reg, struct reg_entry *e)
{
	size_t pos = e->heap_pos;
	struct reg_entry *last = reg->heap[--reg->heap_len];

	if (last == e)
		return;
	heap_place(reg, pos, last);
	heap_sift_up(reg, pos);
	heap_sift_down(reg, last->heap_pos);
}

/* Confirmed: the classic 5 s grace after expires. Pending: also gone 32 s after the REGISTER. */
static void entry_set_deadline(struct registrar *reg, struct reg_entry *e)
{
	int64_t d = add_sat(e->b.expires, REG_GRACE_S);

	if (!e->b.confirmed) {
		int64_t p = add_sat(e->pending_since, REG_PENDING_MAX_S);
		if (p < d)
			d = p;
	}
	e->deadline = d;
	heap_sift_up(reg, e->heap_pos);
	heap_sift_down(reg, e->heap_pos);
}

/* ---- the grouping indexes ---- */

static struct reg_group *group_find(const struct registrar *reg, int ix, const void *key, size_t len)
{
	return hmap_get(&reg->index[ix], key, len);
}

/* The group for key, created empty when missing. NULL on ENOMEM, with nothing changed. */
static struct reg_group *group_obtain(struct registrar *reg, int ix, const void *key, size_t len)
{
	struct reg_group *g = group_find(reg, ix, key, len);
	if (g)
		return g;
	g = malloc(sizeof *g + len);
	if (!g)
		return NULL;
	g->head = NULL;
	g->len = len;
	memcpy(g->key, key, len);
	if (hmap_put(&reg->index[ix], g->key, len, g) == 0)
		return g;
	free(g);
	return NULL;
}

static void group_drop_if_empty(struct registrar *reg, int ix, struct reg_group *g)
{
	if (!g || g->head)
		return;
	hmap_del(&reg->index[ix], g->key, g->len);
	free(g);
}

static void link_detach(struct registrar *reg, struct reg_entry *e, int ix)
{
	struct reg_link *l = &e->link[ix];
	struct reg_group *g = l->group;

	if (!g)
		return;
	if (l->prev)
		l->prev->link[ix].next = l->next;
	else
		g->head = l->next;
	if (l->next)
		l->next->link[ix].prev = l->prev;
	l->group = NULL;
	l->prev = l->next = NULL;
	group_drop_if_empty(reg, ix, g);
}

/* Files e at the head of g (moving it there when it already is in g). */
static void link_attach(struct registrar *reg, struct reg_entry *e, int ix, struct reg_group *g)
{
	struct reg_link *l = &e->link[ix];

	if (l->group == g && g->head == e)
		return;
	if (l->group == g) {
		/* Unlink by hand: link_detach would free the group if e were its only member. */
		l->prev->link[ix].next = l->next;
		if (l->next)
			l->next->link[ix].prev = l->prev;
	} else {
		link_detach(reg, e, ix);
	}
	l->group = g;
	l->prev = NULL;
	l->next = g->head;
	if (g->head)
		g->head->link[ix].prev = e;
	g->head = e;
}

/* ---- keys ---- */

static void keys_clear(struct reg_keys *k)
{
	reg_key_clear(&k->aor);
	reg_key_clear(&k->contact);
	reg_key_clear(&k->masq);
	free(k->pair);
	memset(k, 0, sizeof *k);
}

/* After a load the REGISTER's source is unknown: a literal IPv4 host of the contact stands in. */
static struct in_addr contact_ipv4(const struct reg_key *contact)
{
	struct in_addr a = { 0 };
	char host[INET_ADDRSTRLEN];

	if (contact->parsed && contact->host_len > 0 && contact->host_len < sizeof host) {
		memcpy(host, contact->str + contact->host_off, contact->host_len);
		host[contact->host_len] = '\0';
		if (inet_pton(AF_INET, host, &a) != 1)
			a.s_addr = 0;
	}
	return a;
}

static int keys_make(struct reg_keys *k, const char *aor, const char *true_url, const char *masq_url,
		     const struct sockaddr_in *source)
{
	memset(k, 0, sizeof *k);
	if (reg_key_make(&k->aor, aor, false) < 0 || reg_key_make(&k->contact, true_url, true) < 0 ||
	    (masq_url && reg_key_make(&k->masq, masq_url, true) < 0))
		goto fail;
	k->pair_len = k->aor.len + 1 + k->contact.len;
	k->pair = malloc(k->pair_len + 1);
	if (!k->pair)
		goto fail;
	memcpy(k->pair, k->aor.str, k->aor.len);
	k->pair[k->aor.len] = '\n';
	memcpy(k->pair + k->aor.len + 1, k->contact.str, k->contact.len + 1);
	if (source && source->sin_addr.s_addr != 0)
		k->src = source->sin_addr;
	else
		k->src = contact_ipv4(&k->contact);
	return 0;
fail:
	keys_clear(k);
	errno = ENOMEM;
	return -1;
}

static struct reg_entry *entry_by_pair(const struct registrar *reg, const struct reg_keys *k)
{
	return hmap_get(&reg->pairs, k->pair, k->pair_len);
}

/* ---- removal ---- */

static void entry_free(struct reg_entry *e)
{
	free(e->b.aor);
	free(e->b.true_url);
	free(e->b.masq_url);
	free(e->pair_key);
	free(e);
}

static void entry_remove(struct registrar *reg, struct reg_entry *e)
{
	for (int ix = 0; ix < RIX_COUNT; ix++)
		link_detach(reg, e, ix);
	hmap_del(&reg->pairs, e->pair_key, e->pair_len);
	heap_remove(reg, e);
	entry_free(e);
}

void reg_destroy(struct registrar *reg)
{
	if (!reg)
		return;
	while (reg->heap_len > 0)
		entry_remove(reg, reg->heap[reg->heap_len - 1]);
	free(reg->heap);
	hmap_fini(&reg->pairs);
	for (int ix = 0; ix < RIX_COUNT; ix++)
		hmap_fini(&reg->index[ix]);
	free(reg);
}

/* ---- binding ---- */

static bool uri_ok(const char *s)
{
	return s && *s && !strpbrk(s, "\r\n");
}

/*
 * The groups an entry belongs to under keys k. Obtained before anything changes so that an
 * ENOMEM leaves the table as it was; groups created for nothing are dropped again.
 */
static int groups_obtain(struct registrar *reg, const struct reg_keys *k, struct reg_group *g[RIX_COUNT])
{
	memset(g, 0, RIX_COUNT * sizeof g[0]);
	g[RIX_AOR] = group_obtain(reg, RIX_AOR, k->aor.str, k->aor.len);
	g[RIX_CONTACT] = group_obtain(reg, RIX_CONTACT, k->contact.str, k->contact.len);
	bool ok = g[RIX_AOR] && g[RIX_CONTACT];
	if (ok && k->masq.str)
		ok = (g[RIX_MASQ] = group_obtain(reg, RIX_MASQ, k->masq.str, k->masq.len)) != NULL;
	if (ok && k->src.s_addr)
		ok = (g[RIX_SOURCE] = group_obtain(reg, RIX_SOURCE, &k->src, sizeof k->src)) != NULL;
	if (ok && k->aor.user_len)
		ok = (g[RIX_USER] = group_obtain(reg, RIX_USER, k->aor.str + k->aor.user_off,
						 k->aor.user_len)) != NULL;
	if (ok)
		return 0;
	for (int ix = 0; ix < RIX_COUNT; ix++)
		group_drop_if_empty(reg, ix, g[ix]);
	errno = ENOMEM;
	return -1;
}

static void groups_attach(struct registrar *reg, struct reg_entry *e, struct reg_group *g[RIX_COUNT])
{
	for (int ix = 0; ix < RIX_COUNT; ix++) {
		if (g[ix])
			link_attach(reg, e, ix, g[ix]);
		else
			link_detach(reg, e, ix);
	}
}

static struct reg_binding *entry_refresh(struct registrar *reg, struct reg_entry *e, struct reg_keys *k,
					 const char *aor, const char *true_url, const char *masq_url,
					 int transport, int64_t expires, bool confirmed)
{
	struct reg_group *g[RIX_COUNT];

	/* The strings may differ from the stored ones in what the keys ignore (params, case). */
	char *a = strdup(aor), *t = strdup(true_url), *m = strdup(masq_url);
	if (!a || !t || !m || groups_obtain(reg, k, g) < 0) {
		free(a);
		free(t);
		free(m);
		errno = ENOMEM;
		return NULL;
	}
	free(e->b.aor);
	free(e->b.true_url);
	free(e->b.masq_url);
	e->b.aor = a;
	e->b.true_url = t;
	e->b.masq_url = m;
	groups_attach(reg, e, g);
	e->b.transport = transport;
	if (confirmed) {
		e->b.confirmed = true;
		e->b.expires = expires;
	} else if (!e->b.confirmed) {
		/* A retry (e.g. with credentials) restarts the wait for the registrar's answer. */
		e->b.expires = expires;
		e->pending_since = reg->clock(reg->clock_ud);
	}
	/* else: a confirmed binding keeps its lifetime until the registrar's 2xx says otherwise */
	entry_set_deadline(reg, e);
	return &e->b;
}

static struct reg_binding *entry_add(struct registrar *reg, struct reg_keys *k, const char *aor,
				     const char *true_url, const char *masq_url, int transport,
				     int64_t expires, bool confirmed)
{
	struct reg_group *g[RIX_COUNT];

	if (reg->heap_len >= reg->max_bindings) {
		errno = ENOSPC;
		return NULL;
	}
	struct reg_entry *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->b.aor = strdup(aor);
	e->b.true_url = strdup(true_url);
	e->b.masq_url = strdup(masq_url);
	if (!e->b.aor || !e->b.true_url || !e->b.masq_url || heap_reserve(reg, reg->heap_len + 1) < 0 ||
	    hmap_reserve(&reg->pairs, hmap_count(&reg->pairs) + 1) < 0 || groups_obtain(reg, k, g) < 0) {
		entry_free(e);
		errno = ENOMEM;
		return NULL;
	}
	e->pair_key = k->pair;
	e->pair_len = k->pair_len;
	e->aor_len = k->aor.len;
	k->pair = NULL;
	hmap_put(&reg->pairs, e->pair_key, e->pair_len, e);    /* reserved: cannot fail */
	groups_attach(reg, e, g);
	e->b.transport = transport;
	e->b.expires = expires;
	e->b.confirmed = confirmed;
	e->pending_since = reg->clock(reg->clock_ud);
	heap_push(reg, e);
	entry_set_deadline(reg, e);
	return &e->b;
}

struct reg_binding *reg_bind(struct registrar *reg, const char *aor, const char *true_url,
			     const char *masq_url, const struct sockaddr_in *source, int transport,
			     int64_t expires, bool confirmed)
{
	struct reg_keys k;
	struct reg_binding *b;

	if (!uri_ok(aor) || !uri_ok(true_url) || !uri_ok(masq_url)) {
		errno = EINVAL;
		return NULL;
	}
	if (keys_make(&k, aor, true_url, masq_url, source) < 0)
		return NULL;
	struct reg_entry *e = entry_by_pair(reg, &k);
	if (e)
		b = entry_refresh(reg, e, &k, aor, true_url, masq_url, transport, expires, confirmed);
	else
		b = entry_add(reg, &k, aor, true_url, masq_url, transport, expires, confirmed);
	int saved = errno;
	keys_clear(&k);
	errno = saved;
	if (b) {
		/* The truth, also when unknown (0): the source index may have used the contact instead. */
		b->source = source ? *source : (struct sockaddr_in){ .sin_family = AF_INET };
	}
	return b;
}

/* ---- by AoR ---- */

/* The group of uri's AoR key, or NULL. */
static struct reg_group *aor_group(const struct registrar *reg, const char *aor, struct reg_key *key)
{
	memset(key, 0, sizeof *key);
	if (!aor || reg_key_make(key, aor, false) < 0)
		return NULL;
	return group_find(reg, RIX_AOR, key->str, key->len);
}

static bool same_aor(const struct reg_entry *e, const struct reg_key *aor)
{
	return e->aor_len == aor->len && memcmp(e->pair_key, aor->str, aor->len) == 0;
}

struct reg_binding *reg_confirm(struct registrar *reg, const char *aor, const char *masq_url, int64_t lifetime)
{
	struct reg_key ak, mk;
	struct reg_entry *found = NULL;

	if (!aor || !masq_url || reg_key_make(&ak, aor, false) < 0)
		return NULL;
	if (reg_key_make(&mk, masq_url, true) < 0) {
		reg_key_clear(&ak);
		return NULL;
	}
	int64_t now = reg->clock(reg->clock_ud);
	struct reg_group *g = group_find(reg, RIX_MASQ, mk.str, mk.len);
	for (struct reg_entry *e = g ? g->head : NULL, *next; e; e = next) {
		next = e->link[RIX_MASQ].next;
		if (!same_aor(e, &ak))
			continue;
		if (lifetime <= 0) {
			/* may free g with its last member; next was read before */
			entry_remove(reg, e);
			continue;
		}
		e->b.confirmed = true;
		e->b.expires = add_sat(now, lifetime);
		entry_set_deadline(reg, e);
		if (!found)
			found = e;
	}
	reg_key_clear(&ak);
	reg_key_clear(&mk);
	return found ? &found->b : NULL;
}

/* Removes the AoR's bindings, all of them or only those never confirmed. */
static void aor_remove(struct registrar *reg, const char *aor, bool pending_only)
{
	struct reg_key key;
	struct reg_group *g = aor_group(reg, aor, &key);

	for (struct reg_entry *e = g ? g->head : NULL, *next; e; e = next) {
		next = e->link[RIX_AOR].next;
		if (!pending_only || !e->b.confirmed)
			entry_remove(reg, e);
	}
	reg_key_clear(&key);
}

void reg_reject_pending(struct registrar *reg, const char *aor) { aor_remove(reg, aor, true); }

void reg_reject_pending_source(struct registrar *reg, const char *aor, const struct sockaddr_in *source)
{
	struct reg_key key;
	struct reg_group *g;

	if (!source) {
		aor_remove(reg, aor, true);
		return;
	}
	g = aor_group(reg, aor, &key);
	/* Other phones of the AoR wait for their own registrar's answer (RFC 3261 §10). */
	for (struct reg_entry *e = g ? g->head : NULL, *next; e; e = next) {
		next = e->link[RIX_AOR].next;
		if (!e->b.confirmed && e->b.source.sin_addr.s_addr == source->sin_addr.s_addr &&
		    e->b.source.sin_port == source->sin_port)
			entry_remove(reg, e);
	}
	reg_key_clear(&key);
}
void reg_unbind_all(struct registrar *reg, const char *aor) { aor_remove(reg, aor, false); }

void reg_unbind(struct registrar *reg, const char *aor, const char *true_url)
{
	struct reg_keys k;

	if (!aor || !true_url || keys_make(&k, aor, true_url, NULL, NULL) < 0)
		return;
	struct reg_entry *e = entry_by_pair(reg, &k);
	if (e)
		entry_remove(reg, e);
	keys_clear(&k);
}

/* ---- lookups ---- */

static bool routable(const struct reg_entry *e, int64_t now)
{
	return e->b.confirmed && e->b.expires > now;
}

static size_t collect_routable(const struct reg_group *g, int ix, int64_t now, struct reg_binding **out, size_t max)
{
	size_t n = 0;

	for (struct reg_entry *e = g ? g->head : NULL; e && n < max; e = e->link[ix].next) {
		if (routable(e, now))
			out[n++] = &e->b;
	}
	return n;
}

size_t reg_find_aor_routable(struct registrar *reg, const char *aor, int64_t now,
			     struct reg_binding **out, size_t max)
{
	struct reg_key key;
	size_t n = collect_routable(aor_group(reg, aor, &key), RIX_AOR, now, out, max);

	reg_key_clear(&key);
	return n;
}

size_t reg_find_user_routable(struct registrar *reg, const char *user, int64_t now,
			      struct reg_binding **out, size_t max)
{
	if (!user || !*user)
		return 0;
	return collect_routable(group_find(reg, RIX_USER, user, strlen(user)), RIX_USER, now, out, max);
}

static struct reg_binding *find_by_contact_key(struct registrar *reg, int ix, const char *uri)
{
	struct reg_key key;

	if (!uri || reg_key_make(&key, uri, true) < 0)
		return NULL;
	struct reg_group *g = group_find(reg, ix, key.str, key.len);
	reg_key_clear(&key);
	return g ? &g->head->b : NULL;
}

struct reg_binding *reg_find_masq(struct registrar *reg, const char *masq_url)
{
	return find_by_contact_key(reg, RIX_MASQ, masq_url);
}

struct reg_binding *reg_find_contact(struct registrar *reg, const char *true_url)
{
	return find_by_contact_key(reg, RIX_CONTACT, true_url);
}

struct reg_binding *reg_find_source(struct registrar *reg, struct in_addr addr)
{
	if (addr.s_addr == 0)
		return NULL;
	struct reg_group *g = group_find(reg, RIX_SOURCE, &addr, sizeof addr);
	return g ? &g->head->b : NULL;
}

/* ---- expiry and the whole table ---- */

size_t reg_expire(struct registrar *reg, int64_t now)
{
	size_t n = 0;

	while (reg->heap_len > 0 && reg->heap[0]->deadline < now) {
		entry_remove(reg, reg->heap[0]);
		n++;
	}
	return n;
}

size_t reg_count(const struct registrar *reg) { return reg->heap_len; }

void reg_foreach(const struct registrar *reg, reg_visit_fn fn, void *ud)
{
	for (size_t i = 0; i < reg->heap_len; i++)
		fn(&reg->heap[i]->b, ud);
}
