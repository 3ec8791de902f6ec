/* A hash map from byte-string keys to pointers: open addressing, linear probing, grows by rehashing. */
#ifndef SIPROXD_HMAP_H
#define SIPROXD_HMAP_H

#include <stddef.h>
#include <stdint.h>

/*
 * The map borrows its keys: a key's bytes must stay valid and unchanged while it is in the map
 * (keep them in the value). Zero-initialise a map or call hmap_init(); it allocates on first use.
 */
struct hmap_slot {
	uint64_t hash;
	const void *key;      /* NULL: empty slot */
	size_t len;
	void *val;
};

struct hmap {
	struct hmap_slot *slot;
	size_t cap;           /* a power of two, or 0 before the first insert */
	size_t count;
	uint64_t seed;        /* per-map, so that colliding keys cannot be prepared offline */
};

void hmap_init(struct hmap *m, uint64_t seed);
void hmap_fini(struct hmap *m);
/* Room for n entries in total: afterwards inserting up to n keys cannot fail. 0, or -1 ENOMEM. */
int hmap_reserve(struct hmap *m, size_t n);
void *hmap_get(const struct hmap *m, const void *key, size_t len);
/* Inserts or replaces. Returns 0, or -1 with errno ENOMEM (the map is then unchanged). */
int hmap_put(struct hmap *m, const void *key, size_t len, void *val);
/* Removes the key; returns its value or NULL when it was absent. */
void *hmap_del(struct hmap *m, const void *key, size_t len);
static inline size_t hmap_count(const struct hmap *m) { return m->count; }

/* A seed for hmap_init() from getrandom(), or from the clock when that is not ready yet. */
uint64_t hmap_random_seed(void);

/* Seeded FNV-1a with a final mix so that the low bits (the slot index) depend on every byte. */
uint64_t hmap_hash(uint64_t seed, const void *key, size_t len);

#endif
