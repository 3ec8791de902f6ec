/* The glue between the SIP pipeline and the RTP relay: SDP rewriting, stream keys and teardown per SIP event. */
#ifndef SIPROXD_SIP_MEDIA_H
#define SIPROXD_SIP_MEDIA_H

#include <osipparser2/osip_message.h>
#include <stdbool.h>
#include <stddef.h>

#include "sip_transport.h"

struct rtp_relay;

/*
 * The pipeline's ctx.sdp_rewrite hook (rtp_proxy_enable = 1; with 0 main installs none); ud is
 * the struct rtp_relay. It sees every relayed request and response, bodyless ones included:
 *  - INVITE, ACK, PRACK, UPDATE and 1xx/2xx answers to INVITE/UPDATE: the SDP goes through
 *    sdp_rewrite() and Content-Length is recomputed;
 *  - BYE: the streams end after 32 s unless its 200 (or 481) comes first;
 *  - CANCEL of an unconfirmed INVITE and a failure response to the initial INVITE end them;
 *  - a failure response to a re-INVITE or UPDATE goes back to the agreed media.
 * Messages between two phones on the LAN (or two WAN hosts) are left alone: no relay between
 * them. Returns 0; for a request whose media cannot be relayed the status to answer (488 unusable
 * SDP, 503 no relay ports, 500 out of memory), nothing having been changed; for such a response
 * or ACK -1: the pipeline drops it (see sip_media.c why). Failures are logged with the Call-ID.
 */
int sip_media_hook(void *relay, osip_message_t *msg, const char *call_id, const struct sip_peer *from,
	bool from_wan, bool toward_wan);

/*
 * The stream key's leg for msg (see rtp_relay.h): the initial INVITE's From-tag and the side its
 * caller is on ("tag/L", "tag/W"), the same for both directions of one dialog. Exposed for the
 * tests. Returns a malloc'ed string, NULL when out of memory.
 */
char *sip_media_leg(const struct rtp_relay *r, const osip_message_t *msg, const char *call_id, bool from_wan);

#endif
