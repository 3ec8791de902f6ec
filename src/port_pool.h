/* The free list of RTP port pairs (even RTP port, RTCP on the next): O(1) take and give back. */
#ifndef SIPROXD_PORT_POOL_H
#define SIPROXD_PORT_POOL_H

#include <stddef.h>
#include <stdint.h>

struct port_pool;

/*
 * A pool over the even ports in [low, high], each with RTCP on the odd port above it (which may be
 * high + 1, as in the classic daemon: 7070-7089 is ten pairs, 7070-7070 one). Returns NULL
 * with errno EINVAL for an empty or invalid range (low < 1, high > 65535, low > high), ENOMEM
 * when allocation fails. The size of the pool comes from the range only.
 */
struct port_pool *port_pool_create(int low, int high);
void port_pool_destroy(struct port_pool *p);

/*
 * Takes the pair that has been free the longest (a FIFO, so that a port just released is reused
 * last and late packets of an ended call do not reach a new one). Returns the even RTP port, or
 * 0 when the pool is exhausted.
 */
uint16_t port_pool_take(struct port_pool *p);
/* Gives a pair back. Returns 0, or -1 when port is not a taken pair of this pool (ignored). */
int port_pool_give(struct port_pool *p, uint16_t port);

size_t port_pool_size(const struct port_pool *p);     /* pairs in the pool */
size_t port_pool_free(const struct port_pool *p);     /* pairs free now */

#endif
