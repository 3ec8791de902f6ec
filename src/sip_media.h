/* The pipeline's side of the RTP relay: which messages carry media to rewrite, the streams' key, and when media ends. */
#ifndef SIPROXD_SIP_MEDIA_H
#define SIPROXD_SIP_MEDIA_H

#include "sip_pipeline.h"

struct rtp_relay;

/*
 * The sdp_rewrite hook of struct sip_pipeline_ctx (rtp_proxy_enable = 1; with 0 main installs
 * none), with ud the struct rtp_relay. It sees every message crossing sides, bodyless ones too:
 *  - INVITE, ACK, PRACK, UPDATE and 1xx/2xx to INVITE/UPDATE: the SDP goes through
 *    sdp_rewrite(), Content-Length follows the new body;
 *  - BYE: the streams end 32 s later unless its 2xx (or 481) comes first;
 *  - CANCEL of an unconfirmed INVITE, a failure response to the initial INVITE: they end;
 *  - a failure response to a re-INVITE or UPDATE: back to the agreed media.
 * Returns 0, or for a request the status to answer instead (488 unusable SDP, 503 no relay ports,
 * 500 out of memory); nothing was changed then. A response (or ACK) whose media cannot be relayed
 * gets a nonzero value too: the pipeline drops it (see sip_media.c why). The Call-ID and the
 * reason are logged.
 */
int sipmedia_relay(void *relay, const struct sip_media_msg *m);

/*
 * The streams' leg for m (see rtp_relay.h): the initial INVITE's From-tag and the side its caller
 * is on ("tag/L", "tag/W"), the same in both directions of one dialog. Exposed for the tests.
 * Returns a malloc'ed string, NULL when out of memory.
 */
char *sipmedia_leg(const struct rtp_relay *r, const struct sip_media_msg *m);

#endif
