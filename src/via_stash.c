/* Topology hiding: the phones' Via stacks removed from requests sent to the WAN, kept by our branch until the responses come back. */
#include "build_config.h"
#include "via_stash.h"

#include <stdlib.h>
#include <string.h>

/* key and vias share one allocation ("key\0vias\0"): one malloc and one free per request. */
struct stash_entry {
	char *key;
	char *vias;
	uint64_t hash;         /* of key: a chain walk compares keys only when the hashes agree */
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

static uint64_t stash_hash(const char *key)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ull;
	return h;
}

static size_t *stash_bucket(struct via_stash *s, uint64_t h)
{
	return &s->buckets[h & (s->nbuckets - 1)];
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
		for (size_t i = 0; i < s->max; i++)
			free(s->ring[i].key);
	free(s->ring);
	free(s->buckets);
	free(s);
}

static struct stash_entry *stash_find(struct via_stash *s, const char *key, uint64_t h)
{
	for (size_t i = *stash_bucket(s, h); i; i = s->ring[i - 1].chain)
		if (s->ring[i - 1].hash == h && strcmp(s->ring[i - 1].key, key) == 0)
			return &s->ring[i - 1];
	return NULL;
}

static void stash_drop_oldest(struct via_stash *s)
{
	struct stash_entry *e = &s->ring[s->head];
	size_t *link = stash_bucket(s, e->hash);

	while (*link != s->head + 1)
		link = &s->ring[*link - 1].chain;
	*link = e->chain;
	free(e->key);
	memset(e, 0, sizeof(*e));
	s->head = (s->head + 1) % s->max;
	s->count--;
}

/* "key\0vias\0" in one block. */
static char *stash_text(const char *key, const char *vias)
{
	size_t kl = strlen(key) + 1, vl = strlen(vias) + 1;
	char *block = malloc(kl + vl);

	if (block) {
		memcpy(block, key, kl);
		memcpy(block + kl, vias, vl);
	}
	return block;
}

int via_stash_put(struct via_stash *s, const char *branch, const char *vias, int64_t now, int64_t ttl)
{
	uint64_t h = stash_hash(branch);
	struct stash_entry *e = stash_find(s, branch, h);
	char *block = stash_text(branch, vias);
	size_t slot, *bucket;

	if (!block)
		return -1;
	if (e) {
		free(e->key);
		e->key = block;
		e->vias = block + strlen(branch) + 1;
		e->until = now + ttl;
		return 0;
	}
	while (s->count > 0 && (s->count == s->max || now > s->ring[s->head].until))
		stash_drop_oldest(s);
	slot = (s->head + s->count) % s->max;
	e = &s->ring[slot];
	e->key = block;
	e->vias = block + strlen(branch) + 1;
	e->hash = h;
	e->until = now + ttl;
	bucket = stash_bucket(s, h);
	e->chain = *bucket;
	*bucket = slot + 1;
	s->count++;
	return 0;
}

const char *via_stash_get(struct via_stash *s, const char *branch, int64_t now)
{
	struct stash_entry *e = stash_find(s, branch, stash_hash(branch));

	if (!e || now > e->until)
		return NULL;
	return e->vias;
}

size_t via_stash_count(const struct via_stash *s)
{
	return s->count;
}
