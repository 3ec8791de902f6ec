/* A playout buffer for one direction of an RTP stream: bounded FIFO, send times from RTP timestamps. */
#include "build_config.h"

#include "rtp_dejitter.h"

#include <stdlib.h>
#include <string.h>

/* Room for twice the delay at the shortest usual packetisation (10 ms), plus slack for bursts. */
#define JB_MIN_PACKET_MS 10
#define JB_SLACK 8

void rtp_dejitter_init(struct rtp_dejitter *jb, uint32_t delay_ms, uint32_t clock_rate)
{
	memset(jb, 0, sizeof(*jb));
	jb->delay_ms = delay_ms;
	jb->clock_rate = clock_rate != 0 ? clock_rate : 8000;
}

void rtp_dejitter_fini(struct rtp_dejitter *jb)
{
	free(jb->q);
	jb->q = NULL;
	jb->cap = jb->count = jb->head = 0;
}

void rtp_dejitter_reset(struct rtp_dejitter *jb)
{
	jb->anchored = false;
}

uint64_t rtp_dejitter_due(struct rtp_dejitter *jb, const unsigned char *pkt, size_t len, uint64_t now_ms)
{
	uint64_t lo = now_ms, hi = now_ms + 2 * (uint64_t)jb->delay_ms;
	uint64_t due = now_ms + jb->delay_ms;

	if (len >= 12) {
		uint32_t ts = (uint32_t)pkt[4] << 24 | (uint32_t)pkt[5] << 16 | (uint32_t)pkt[6] << 8 | pkt[7];
		if (jb->anchored) {
			/* signed: a reordered packet has a timestamp before the origin */
			int64_t off_ms = (int64_t)(int32_t)(ts - jb->anchor_ts) * 1000 / jb->clock_rate;
			int64_t want = (int64_t)jb->anchor_ms + off_ms + jb->delay_ms;
			if (want >= (int64_t)lo && want <= (int64_t)hi)
				due = (uint64_t)want;
			else
				jb->anchored = false;   /* a jump (new talk spurt, clock drift): start over */
		}
		if (!jb->anchored) {
			jb->anchored = true;
			jb->anchor_ms = now_ms;
			jb->anchor_ts = ts;
		}
	}
	if (due < jb->last_due)
		due = jb->last_due;
	jb->last_due = due;
	return due;
}

int rtp_dejitter_push(struct rtp_dejitter *jb, uint64_t due_ms, const struct sockaddr_in *dst,
	const unsigned char *pkt, size_t len)
{
	if (len > RTP_PKT_MAX)
		return -1;
	if (jb->q == NULL) {
		size_t cap = 2 * (size_t)jb->delay_ms / JB_MIN_PACKET_MS + JB_SLACK;
		jb->q = malloc(cap * sizeof(*jb->q));
		if (jb->q == NULL)
			return -1;
		jb->cap = cap;
	}
	if (jb->count == jb->cap)
		return -1;
	struct rtp_jb_pkt *p = &jb->q[(jb->head + jb->count) % jb->cap];
	p->due_ms = due_ms;
	p->dst = *dst;
	p->len = len;
	memcpy(p->data, pkt, len);
	jb->count++;
	return 0;
}

struct rtp_jb_pkt *rtp_dejitter_head(struct rtp_dejitter *jb)
{
	return jb->count != 0 ? &jb->q[jb->head] : NULL;
}

void rtp_dejitter_pop(struct rtp_dejitter *jb)
{
	if (jb->count == 0)
		return;
	jb->head = (jb->head + 1) % jb->cap;
	jb->count--;
}
