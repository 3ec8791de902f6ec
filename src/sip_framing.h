/* Cuts a SIP-over-TCP byte stream into messages by Content-Length (RFC 3261 18.3, RFC 5626 pings). */
#ifndef SIPROXD_SIP_FRAMING_H
#define SIPROXD_SIP_FRAMING_H

#include <stddef.h>

enum sip_frame_kind {
	SIP_FRAME_MORE,   /* no complete unit yet: read more bytes */
	SIP_FRAME_MSG,    /* one complete message */
	SIP_FRAME_PING,   /* an RFC 5626 CRLFCRLF keep-alive: answer with one CRLF */
	SIP_FRAME_ERROR,  /* the stream cannot be framed: close the connection */
};

/*
 * A connection's receive buffer with the framer's progress. Bytes [start, end) are unconsumed;
 * one byte past `end` is always allocated so a message can be NUL-terminated in place.
 */
struct sip_rxbuf {
	char *data;
	size_t cap;       /* allocated bytes, at most max + 1 */
	size_t start, end;
	size_t max;       /* largest message (header block + body) accepted */
	size_t scanned;   /* bytes after start already searched for the header end */
	size_t msg_len;   /* length of the pending message once its header is parsed, else 0 */
};

void sip_rxbuf_init(struct sip_rxbuf *b, size_t max);
void sip_rxbuf_free(struct sip_rxbuf *b);

/* Free space to read into (grows the buffer up to max). Returns 0, or -1 when out of memory. */
int sip_rxbuf_space(struct sip_rxbuf *b, char **p, size_t *n);
/* Marks n bytes just read into the space as received. */
void sip_rxbuf_commit(struct sip_rxbuf *b, size_t n);

/*
 * Takes the next unit off the buffer. For SIP_FRAME_MSG, *msg and *len point into the buffer
 * (valid until the next call) and msg[len] is readable. For SIP_FRAME_ERROR, *why says what
 * was wrong. CR/LF bytes between messages are skipped silently.
 */
enum sip_frame_kind sip_rxbuf_next(struct sip_rxbuf *b, char **msg, size_t *len, const char **why);

/*
 * Forgets CR/LF bytes waiting to become a ping. Called before we send a keep-alive: what waits
 * then is the pong to our previous one, and must not pair up with the next pong into a "ping".
 */
void sip_rxbuf_drop_pending_crlf(struct sip_rxbuf *b);

#endif
