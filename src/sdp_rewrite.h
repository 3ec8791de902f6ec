/* SDP rewriting for the RTP relay: c=, o=, m= ports, a=rtcp, ICE removal, multipart bodies. */
#ifndef SIPROXD_SDP_REWRITE_H
#define SIPROXD_SDP_REWRITE_H

#include <stdbool.h>
#include <stddef.h>

#include "rtp_relay.h"

enum sdp_rw_status {
	SDP_RW_OK = 0,        /* *out holds the new body */
	SDP_RW_NONE,          /* no SDP in the body: forward it unchanged */
	SDP_RW_ERR_SDP,       /* unusable SDP (IPv6, no c=, garbage): answer 488 */
	SDP_RW_ERR_POOL,      /* no relay ports: answer 503 */
	SDP_RW_ERR_NOMEM,     /* answer 500 */
};

/*
 * Whether a message's body is rewritten: requests INVITE, ACK, PRACK, UPDATE; 1xx and 2xx
 * responses whose CSeq method is INVITE or UPDATE. method is the request's method (requests)
 * and status the response code (responses, 0 for requests).
 */
bool sdp_rewrite_applies(bool is_request, const char *method, int status, const char *cseq_method);

struct sdp_rw_msg {
	const char *call_id;
	const char *leg;            /* see rtp_relay.h: one string per dialog pass through the proxy */
	enum rtp_side from;         /* the side the message came from; the SDP goes to the other */
	const char *content_type;   /* NULL: the body is SDP */
	const char *body;           /* need not be NUL-terminated */
	size_t len;
};

/*
 * Rewrites the SDP (or the SDP part of a multipart body) so that media flows through the relay,
 * and tells the relay the addresses of the side it came from. On SDP_RW_OK *out is a new
 * NUL-terminated body of *out_len bytes (free() it; the caller recomputes Content-Length). On
 * an error nothing was changed, *out is NULL, and the Call-ID and the reason were logged (the
 * caller only answers). The relay's offer/answer state is updated only on success.
 */
enum sdp_rw_status sdp_rewrite(struct rtp_relay *r, const struct sdp_rw_msg *msg, char **out, size_t *out_len);

const char *sdp_rw_status_str(enum sdp_rw_status st);

#endif
