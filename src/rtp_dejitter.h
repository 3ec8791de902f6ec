/* A playout buffer for one direction of an RTP stream: bounded FIFO, send times from RTP timestamps. */
#ifndef SIPROXD_RTP_DEJITTER_H
#define SIPROXD_RTP_DEJITTER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest datagram the relay reads; longer ones are counted and dropped as truncated. */
#define RTP_PKT_MAX 2048

struct rtp_jb_pkt {
	uint64_t due_ms;
	struct sockaddr_in dst;
	size_t len;
	unsigned char data[RTP_PKT_MAX];
};

struct rtp_dejitter {
	uint32_t delay_ms;         /* 0: off */
	size_t cap;                /* packets; from the delay, allocated on first use */
	size_t head, count;
	struct rtp_jb_pkt *q;
	bool anchored;
	uint64_t anchor_ms;        /* arrival of the packet that set the timestamp origin */
	uint32_t anchor_ts;
	uint64_t last_due;         /* send times never go backwards: the buffer is a FIFO */
	uint32_t clock_rate;       /* RTP timestamp units per second */
};

/* delay_ms 0 turns the buffer off. Allocates nothing yet. */
void rtp_dejitter_init(struct rtp_dejitter *jb, uint32_t delay_ms, uint32_t clock_rate);
void rtp_dejitter_fini(struct rtp_dejitter *jb);
/* A new timestamp origin (the sender changed): the next packet starts a new schedule. */
void rtp_dejitter_reset(struct rtp_dejitter *jb);

/*
 * When the packet should leave: arrival + delay, moved by how early or late its RTP timestamp
 * says it is, kept within [now, now + 2 * delay] and never before the previous packet.
 */
uint64_t rtp_dejitter_due(struct rtp_dejitter *jb, const unsigned char *pkt, size_t len, uint64_t now_ms);

static inline bool rtp_dejitter_full(const struct rtp_dejitter *jb) { return jb->cap != 0 && jb->count == jb->cap; }
static inline bool rtp_dejitter_empty(const struct rtp_dejitter *jb) { return jb->count == 0; }
/* Queues a copy. Returns 0, or -1 when the buffer is full or cannot be allocated. */
int rtp_dejitter_push(struct rtp_dejitter *jb, uint64_t due_ms, const struct sockaddr_in *dst,
	const unsigned char *pkt, size_t len);
/* The oldest packet, or NULL. */
struct rtp_jb_pkt *rtp_dejitter_head(struct rtp_dejitter *jb);
void rtp_dejitter_pop(struct rtp_dejitter *jb);

#endif
