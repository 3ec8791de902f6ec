/* SDP rewriting for the RTP relay: c=, o=, m= ports, a=rtcp, ICE removal, multipart bodies. */
#ifndef SIPROXD_SDP_REWRITE_H
#define SIPROXD_SDP_REWRITE_H

#include <stdbool.h>
#include <stddef.h>

#include "rtp_relay.h"

/*
 * How the SIP pipeline drives the relay (rtp_proxy_enable = 1), message by message:
 *  - sdp_rewrite_applies() and a body: sdp_rewrite(). OK: replace the body, recompute
 *    Content-Length. NONE: forward unchanged. ERR_SDP on a request: answer 488; ERR_POOL: 503
 *    (on a response there is no one to answer: the pipeline decides, the body is unchanged).
 *  - BYE: rtp_relay_end_later(32000); its 200: rtp_relay_end().
 *  - CANCEL of an unanswered INVITE, failure response to the initial INVITE: rtp_relay_end().
 *  - failure response to a re-INVITE or UPDATE: rtp_relay_offer_failed().
 */

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
