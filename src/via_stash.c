/* Topology hiding: the phones' Via stacks removed from requests sent to the WAN, kept by our branch until the responses come back. */
#include "build_config.h"
#include "via_stash.h"

#include <stdlib.h>
#include <string.h>

struct stash_entry {
	char *key;
	char *vias;
	int64_t until;
	size_t chain;          /* next entry in the same bucket, index + 1; 0 ends the chain */
};

/* Entries live in a ring in insertion order, so the oldest one is always at head. */
struct via_stash {
	struct stash_entry *ring;
	size_t max, head, count;
	size_t *buckets;       /* index + 1 of the first entry, 0 = empty */
	size_t nbuckets;
};

static size_t stash_hash(const struct via_stash *s, const char *key)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ull;
	return (size_t)(h & (s->nbuckets - 1));
}

struct via_stash *via_stash_create(size_t max)
{
	struct via_stash *s = calloc(1, sizeof(*s));

	if (!s || max == 0)
		goto fail;
	s->max = max;
	for (s->nbuckets = 16; s->nbuckets < max; s->nbuckets <<= 1)
		;
	s->ring = calloc(max, sizeof(*s->ring));
	s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
	if (!s->ring || !s->buckets)
		goto fail;
	return s;
fail:
	via_stash_destroy(s);
	return NULL;
}

void via_stash_destroy(struct via_stash *s)
{
	if (!s)
		return;
	if (s->ring)
		for (size_t i = 0; i < s->max; i++) {
			free(s->ring[i].key);
			free(s->ring[i].vias);
		}
	free(s->ring);
	free(s->buckets);
	free(s);
}

static struct stash_entry *stash_find(struct via_stash *s, const char *key)
{
	for (size_t i = s->buckets[stash_hash(s, key)]; i; i = s->ring[i - 1].chain)
		if (strcmp(s->ring[i - 1].key, key) == 0)
			return &s->ring[i - 1];
	return NULL;
}

static void stash_drop_oldest(struct via_stash *s)
{
	struct stash_entry *e = &s->ring[s->head];
	size_t *link = &s->buckets[stash_hash(s, e->key)];

	while (*link != s->head + 1)
		link = &s->ring[*link - 1].chain;
	*link = e->chain;
	free(e->key);
	free(e->vias);
	memset(e, 0, sizeof(*e));
	s->head = (s->head + 1) % s->max;
	s->count--;
}

int via_stash_put(struct via_stash *s, const char *branch, const char *vias, int64_t now, int64_t ttl)
{
	struct stash_entry *e = stash_find(s, branch);
	char *copy = strdup(vias);
	size_t slot, b;

	if (!copy)
		return -1;
	if (e) {
		free(e->vias);
		e->vias = copy;
		e->until = now + ttl;
		return 0;
	}
	while (s->count > 0 && (s->count == s->max || now > s->ring[s->head].until))
		stash_drop_oldest(s);
	slot = (s->head + s->count) % s->max;
	e = &s->ring[slot];
	e->key = strdup(branch);
	if (!e->key) {
		free(copy);
		return -1;
	}
	e->vias = copy;
	e->until = now + ttl;
	b = stash_hash(s, branch);
	e->chain = s->buckets[b];
	s->buckets[b] = slot + 1;
	s->count++;
	return 0;
}

const char *via_stash_get(struct via_stash *s, const char *branch, int64_t now)
{
	struct stash_entry *e = stash_find(s, branch);

	if (!e || now > e->until)
		return NULL;
	return e->vias;
}

size_t via_stash_count(const struct via_stash *s)
{
	return s->count;
}
