/* Cuts a SIP-over-TCP byte stream into messages by Content-Length, skipping CRLFs and spotting pings. */
#include "build_config.h"

#include "sip_framing.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* First allocation of a receive buffer; most SIP messages fit, larger ones grow it up to max. */
#define RXBUF_INITIAL 4096u

void sip_rxbuf_init(struct sip_rxbuf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void sip_rxbuf_free(struct sip_rxbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->cap = b->start = b->end = b->scanned = b->msg_len = 0;
}

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

int sip_rxbuf_space(struct sip_rxbuf *b, char **p, size_t *n)
{
	/* A big message made the buffer grow: give the memory back once it has been consumed. */
	if (b->start == b->end && b->cap > RXBUF_INITIAL + 1) {
		free(b->data);
		b->data = NULL;
		b->cap = 0;
	}
	size_t usable = b->cap ? b->cap - 1 : 0;
	size_t room = usable - b->end;

	/* Move the unconsumed tail to the front once it is worth it, not after every message. */
	if (b->start > 0 && room < usable / 4 + 1) {
		memmove(b->data, b->data + b->start, b->end - b->start);
		b->end -= b->start;
		b->start = 0;
		room = usable - b->end;
	}
	if (room < usable / 4 + 1 && usable < b->max) {
		size_t want = min_size(b->max, usable ? usable * 2 : min_size(RXBUF_INITIAL, b->max));
		char *nd = realloc(b->data, want + 1);
		if (!nd)
			return -1;
		b->data = nd;
		b->cap = want + 1;
		room = want - b->end;
	}
	if (room == 0)
		return -1;   /* cannot happen: next() fails a stream before max bytes wait unframed */
	*p = b->data + b->end;
	*n = room;
	return 0;
}

void sip_rxbuf_commit(struct sip_rxbuf *b, size_t n)
{
	b->end += n;
}

static void consume(struct sip_rxbuf *b, size_t n)
{
	b->start += n;
	b->scanned = 0;
	b->msg_len = 0;
	if (b->start == b->end)
		b->start = b->end = 0;   /* the data stays put: a message just returned points into it */
}

/*
 * Length of the header block including its empty line (CRLFCRLF, or LFLF from sloppy peers),
 * or 0 when it is not complete yet; *scanned remembers how far the search got.
 */
static size_t header_end(const char *p, size_t avail, size_t *scanned)
{
	size_t i = *scanned;

	while (i < avail) {
		const char *nl = memchr(p + i, '\n', avail - i);
		if (!nl)
			break;
		size_t k = (size_t)(nl - p);
		if (k + 1 >= avail || (p[k + 1] == '\r' && k + 2 >= avail)) {
			*scanned = k;   /* look at this LF again once more bytes are in */
			return 0;
		}
		if (p[k + 1] == '\n')
			return k + 2;
		if (p[k + 1] == '\r' && p[k + 2] == '\n')
			return k + 3;
		i = k + 1;
	}
	*scanned = avail;
	return 0;
}

static bool is_blank(char c) { return c == ' ' || c == '\t'; }
/* Blank, or the line break of a folded header line (RFC 3261 7.3.1). */
static bool is_lws(char c) { return is_blank(c) || c == '\r' || c == '\n'; }

/* Parses the digits of one Content-Length value; -1 when malformed or larger than limit. */
static int parse_length_value(const char *v, const char *e, size_t limit, size_t *out, const char **why)
{
	size_t val = 0;
	bool any = false;

	while (v < e && is_lws(*v))
		v++;
	while (e > v && is_lws(e[-1]))
		e--;
	for (; v < e; v++) {
		if (*v < '0' || *v > '9') {
			*why = "malformed Content-Length";
			return -1;
		}
		val = val * 10 + (size_t)(*v - '0');
		if (val > limit) {
			*why = "Content-Length larger than tcp_max_buffer allows";
			return -1;
		}
		any = true;
	}
	if (!any) {
		*why = "malformed Content-Length";
		return -1;
	}
	*out = val;
	return 0;
}

/* True when the header name [n, e) is Content-Length or its compact form "l". */
static bool is_length_name(const char *n, const char *e)
{
	while (e > n && is_blank(e[-1]))
		e--;
	size_t len = (size_t)(e - n);
	return (len == 14 && strncasecmp(n, "Content-Length", 14) == 0) || (len == 1 && (*n == 'l' || *n == 'L'));
}

/*
 * Finds Content-Length in the header block [p, p + hdr_len). Missing means 0 (a TCP message
 * without one has no body); several must agree. Returns 0 or -1 with *why.
 */
static int content_length(const char *p, size_t hdr_len, size_t limit, size_t *out, const char **why)
{
	const char *end = p + hdr_len;
	const char *line = memchr(p, '\n', hdr_len);   /* skip the start line */
	bool found = false;

	*out = 0;
	while (line && ++line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		/* A folded header goes on while the next line starts with a blank. */
		while (eol && eol + 1 < end && is_blank(eol[1]))
			eol = memchr(eol + 1, '\n', (size_t)(end - eol - 1));
		if (!eol)
			eol = end;
		const char *colon = is_blank(*line) ? NULL : memchr(line, ':', (size_t)(eol - line));
		if (colon && is_length_name(line, colon)) {
			size_t val;
			if (parse_length_value(colon + 1, eol, limit, &val, why) < 0)
				return -1;
			if (found && val != *out) {
				*why = "conflicting Content-Length headers";
				return -1;
			}
			*out = val;
			found = true;
		}
		line = eol < end ? eol : NULL;
	}
	return 0;
}

/*
 * Between messages: returns 1 with *kind for a ping or an incomplete CRLF run, 0 when CR/LF bytes
 * were skipped (look again), -1 when a message starts here.
 */
static int between_messages(struct sip_rxbuf *b, enum sip_frame_kind *kind)
{
	static const char ping[] = "\r\n\r\n";
	const char *p = b->data + b->start;
	size_t avail = b->end - b->start;

	if (p[0] != '\r' && p[0] != '\n')
		return -1;
	if (avail >= 4 && memcmp(p, ping, 4) == 0) {
		consume(b, 4);
		*kind = SIP_FRAME_PING;
		return 1;
	}
	if (avail < 4 && memcmp(p, ping, avail) == 0) {
		*kind = SIP_FRAME_MORE;   /* may still become a ping */
		return 1;
	}
	consume(b, (p[0] == '\r' && p[1] == '\n') ? 2 : 1);
	return 0;
}

enum sip_frame_kind sip_rxbuf_next(struct sip_rxbuf *b, char **msg, size_t *len, const char **why)
{
	for (;;) {
		size_t avail = b->end - b->start;
		char *p = b->data + b->start;

		if (b->msg_len == 0) {
			enum sip_frame_kind kind;
			if (avail == 0)
				return SIP_FRAME_MORE;
			if (b->scanned == 0) {
				int r = between_messages(b, &kind);
				if (r == 0)
					continue;
				if (r == 1)
					return kind;
			}
			size_t hdr = header_end(p, avail, &b->scanned);
			if (hdr == 0 && avail < b->max)
				return SIP_FRAME_MORE;
			if (hdr == 0 || hdr > b->max) {
				*why = "header block larger than tcp_max_buffer";
				return SIP_FRAME_ERROR;
			}
			size_t body;
			if (content_length(p, hdr, b->max - hdr, &body, why) < 0)
				return SIP_FRAME_ERROR;
			b->msg_len = hdr + body;
		}
		if (avail < b->msg_len)
			return SIP_FRAME_MORE;
		*msg = p;
		*len = b->msg_len;
		consume(b, b->msg_len);
		return SIP_FRAME_MSG;
	}
}

void sip_rxbuf_drop_pending_crlf(struct sip_rxbuf *b)
{
	size_t avail = b->end - b->start;

	if (b->msg_len == 0 && b->scanned == 0 && avail > 0 && avail < 4 &&
	    memcmp(b->data + b->start, "\r\n\r\n", avail) == 0)
		consume(b, avail);
}
