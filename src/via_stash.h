/* Topology hiding: the phones' Via stacks removed from requests sent to the WAN, kept by our branch until the responses come back. */
#ifndef SIPROXD_VIA_STASH_H
#define SIPROXD_VIA_STASH_H

#include <stddef.h>
#include <stdint.h>

struct via_stash;

/* At most max entries: the oldest one is dropped first. */
struct via_stash *via_stash_create(size_t max);
void via_stash_destroy(struct via_stash *s);

/* Keeps vias (the header values, one per line) under branch for ttl seconds; a retransmission replaces it. */
int via_stash_put(struct via_stash *s, const char *branch, const char *vias, int64_t now, int64_t ttl);
/* The stored Via lines, or NULL when unknown or expired. Valid until the next put. */
const char *via_stash_get(struct via_stash *s, const char *branch, int64_t now);
size_t via_stash_count(const struct via_stash *s);

#endif
