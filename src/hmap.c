/* A hash map from byte-string keys to pointers: open addressing, linear probing, grows by rehashing. */
#include "build_config.h"

#include "hmap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define HMAP_MIN_CAP 16

uint64_t hmap_hash(uint64_t seed, const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ull ^ seed;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	/* FNV's low bits mix poorly; the slot index is taken from them (murmur3 finaliser). */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

uint64_t hmap_random_seed(void)
{
	uint64_t seed;
	struct timespec ts;

	if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) == (ssize_t)sizeof seed)
		return seed;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)(uintptr_t)&seed;
}

void hmap_init(struct hmap *m, uint64_t seed)
{
	memset(m, 0, sizeof *m);
	m->seed = seed;
}

void hmap_fini(struct hmap *m)
{
	free(m->slot);
	m->slot = NULL;
	m->cap = m->count = 0;
}

static bool slot_matches(const struct hmap_slot *s, uint64_t h, const void *key, size_t len)
{
	return s->hash == h && s->len == len && memcmp(s->key, key, len) == 0;
}

/* The slot holding key, or the empty slot where it would go. cap must be > 0. */
static size_t find_slot(const struct hmap *m, uint64_t h, const void *key, size_t len)
{
	size_t mask = m->cap - 1;
	size_t i = (size_t)h & mask;

	while (m->slot[i].key && !slot_matches(&m->slot[i], h, key, len))
		i = (i + 1) & mask;
	return i;
}

int hmap_reserve(struct hmap *m, size_t n)
{
	/* Load factor at most 1/2 keeps linear-probing runs short. */
	if (n <= m->cap / 2)
		return 0;
	size_t cap = m->cap ? m->cap : HMAP_MIN_CAP;
	while (cap / 2 < n) {
		if (cap > SIZE_MAX / 2 / sizeof(struct hmap_slot)) {
			errno = ENOMEM;
			return -1;
		}
		cap *= 2;
	}
	struct hmap_slot *slot = calloc(cap, sizeof *slot);
	if (!slot)
		return -1;
	struct hmap old = *m;
	m->slot = slot;
	m->cap = cap;
	for (size_t i = 0; i < old.cap; i++) {
		if (old.slot[i].key)
			m->slot[find_slot(m, old.slot[i].hash, old.slot[i].key, old.slot[i].len)] = old.slot[i];
	}
	free(old.slot);
	return 0;
}

void *hmap_get(const struct hmap *m, const void *key, size_t len)
{
	if (m->count == 0)
		return NULL;
	uint64_t h = hmap_hash(m->seed, key, len);
	size_t i = find_slot(m, h, key, len);
	return m->slot[i].key ? m->slot[i].val : NULL;
}

int hmap_put(struct hmap *m, const void *key, size_t len, void *val)
{
	if (hmap_reserve(m, m->count + 1) < 0)
		return -1;
	uint64_t h = hmap_hash(m->seed, key, len);
	size_t i = find_slot(m, h, key, len);
	if (!m->slot[i].key)
		m->count++;
	m->slot[i] = (struct hmap_slot){ .hash = h, .key = key, .len = len, .val = val };
	return 0;
}

void *hmap_del(struct hmap *m, const void *key, size_t len)
{
	if (m->count == 0)
		return NULL;
	uint64_t h = hmap_hash(m->seed, key, len);
	size_t mask = m->cap - 1;
	size_t i = find_slot(m, h, key, len);
	if (!m->slot[i].key)
		return NULL;
	void *val = m->slot[i].val;

	/*
	 * Backward-shift deletion: later members of the probe run move up into the hole unless
	 * their home slot lies cyclically after the hole, so no tombstones are ever needed.
	 */
	for (size_t j = i;;) {
		j = (j + 1) & mask;
		if (!m->slot[j].key)
			break;
		size_t home = (size_t)m->slot[j].hash & mask;
		bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
		if (stays)
			continue;
		m->slot[i] = m->slot[j];
		i = j;
	}
	m->slot[i] = (struct hmap_slot){ 0 };
	m->count--;
	return val;
}
