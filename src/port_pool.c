/* The free list of RTP port pairs: a ring of free pair indexes plus a taken flag per pair. */
#include "build_config.h"

#include "port_pool.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

struct port_pool {
	uint16_t first;      /* lowest even port of the pool */
	size_t n;            /* pairs */
	size_t head;         /* ring of free pair indexes: ring[head .. head+nfree) mod n */
	size_t nfree;
	uint32_t *ring;
	bool *taken;
};

struct port_pool *port_pool_create(int low, int high)
{
	if (low < 1 || high > 65535 || low > high) {
		errno = EINVAL;
		return NULL;
	}
	int first = low + (low & 1);
	if (first > high) {
		errno = EINVAL;
		return NULL;
	}
	struct port_pool *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->first = (uint16_t)first;
	/* As in the classic daemon, high bounds the RTP port; the top pair's RTCP may be high + 1. */
	p->n = (size_t)(high - first) / 2 + 1;
	p->ring = calloc(p->n, sizeof(*p->ring));
	p->taken = calloc(p->n, sizeof(*p->taken));
	if (p->ring == NULL || p->taken == NULL) {
		port_pool_destroy(p);
		errno = ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < p->n; i++)
		p->ring[i] = (uint32_t)i;
	p->nfree = p->n;
	return p;
}

void port_pool_destroy(struct port_pool *p)
{
	if (p == NULL)
		return;
	free(p->ring);
	free(p->taken);
	free(p);
}

uint16_t port_pool_take(struct port_pool *p)
{
	if (p->nfree == 0)
		return 0;
	uint32_t idx = p->ring[p->head];
	p->head = (p->head + 1) % p->n;
	p->nfree--;
	p->taken[idx] = true;
	return (uint16_t)(p->first + 2 * idx);
}

int port_pool_give(struct port_pool *p, uint16_t port)
{
	if (port < p->first || ((port - p->first) & 1) != 0)
		return -1;
	size_t idx = (size_t)(port - p->first) / 2;
	if (idx >= p->n || !p->taken[idx])
		return -1;
	p->taken[idx] = false;
	p->ring[(p->head + p->nfree) % p->n] = (uint32_t)idx;
	p->nfree++;
	return 0;
}

size_t port_pool_size(const struct port_pool *p) { return p->n; }
size_t port_pool_free(const struct port_pool *p) { return p->nfree; }
