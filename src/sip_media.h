/* The pipeline's side of the RTP relay: which messages carry media to rewrite, and when media ends. */
#ifndef SIPROXD_SIP_MEDIA_H
#define SIPROXD_SIP_MEDIA_H

#include "sip_pipeline.h"

/*
 * The sdp_rewrite hook of struct sip_pipeline_ctx, with ud the struct rtp_relay. SDP of INVITE,
 * ACK, PRACK, UPDATE and their 1xx/2xx goes through sdp_rewrite(); BYE ends the call's media
 * 32 s later or at its 200, CANCEL at once, a failure to INVITE/UPDATE rolls the offer back.
 * Returns 0, or 488 / 503 / 500 for a request the media cannot be relayed for.
 */
int sipmedia_relay(void *relay, const struct sip_media_msg *m);

#endif
