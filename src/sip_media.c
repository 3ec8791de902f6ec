/* The pipeline's side of the RTP relay: which messages carry media to rewrite, and when media ends. */
#include "build_config.h"
#include "sip_media.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "rtp_relay.h"
#include "sdp_rewrite.h"
#include "sip_message.h"

/* The relay keeps a BYE's media this long, for retransmissions and late answers (64*T1). */
#define SIPMEDIA_BYE_GRACE_MS 32000

/* Sessions end or roll back with the dialog's requests and final responses. */
static void media_lifecycle(struct rtp_relay *r, const struct sip_media_msg *m)
{
	const osip_message_t *msg = m->msg;
	const char *cseq = sipmsg_cseq_method(msg);

	if (sipmsg_is_method(msg, "BYE"))
		rtp_relay_end_later(r, m->call_id, m->leg, SIPMEDIA_BYE_GRACE_MS);
	else if (sipmsg_is_method(msg, "CANCEL"))
		rtp_relay_end(r, m->call_id, m->leg);
	else if (MSG_IS_RESPONSE(msg) && msg->status_code < 300 && msg->status_code >= 200 && strcmp(cseq, "BYE") == 0)
		rtp_relay_end(r, m->call_id, m->leg);
	/* Never agreed sessions (an initial INVITE) end, others go back to the last agreement. */
	else if (MSG_IS_RESPONSE(msg) && msg->status_code >= 300 &&
		 (strcmp(cseq, "INVITE") == 0 || strcmp(cseq, "UPDATE") == 0))
		rtp_relay_offer_failed(r, m->call_id, m->leg);
}

/* One SDP body (a whole body, or a part of a multipart one) through sdp_rewrite(). */
static int media_body(struct rtp_relay *r, const struct sip_media_msg *m, osip_body_t *body)
{
	struct sdp_rw_msg in = { .call_id = m->call_id, .leg = m->leg, .from = m->from_wan ? RTP_SIDE_WAN : RTP_SIDE_LAN,
				 .body = body->body, .len = body->length };
	char *out = NULL;
	size_t out_len = 0;
	int rc;

	switch (sdp_rewrite(r, &in, &out, &out_len)) {
	case SDP_RW_OK:
		rc = sipmsg_body_replace(m->msg, body, out, out_len) == 0 ? 0 : 500;
		free(out);
		return rc;
	case SDP_RW_NONE:
		return 0;
	case SDP_RW_ERR_SDP:
		return 488;
	case SDP_RW_ERR_POOL:
		return 503;
	case SDP_RW_ERR_NOMEM:
		break;
	}
	return 500;
}

int sipmedia_relay(void *relay, const struct sip_media_msg *m)
{
	struct rtp_relay *r = relay;
	osip_message_t *msg = m->msg;
	bool req = MSG_IS_REQUEST(msg), multipart;
	int rc = 0;

	media_lifecycle(r, m);
	if (!sdp_rewrite_applies(req, req ? msg->sip_method : NULL, msg->status_code, sipmsg_cseq_method(msg)))
		return 0;
	/* libosip2 splits a multipart body into its parts, each with its own Content-Type. */
	multipart = msg->content_type && msg->content_type->type &&
		    strcasecmp(msg->content_type->type, "multipart") == 0;
	for (int i = 0; rc == 0 && i < osip_list_size(&msg->bodies); i++) {
		osip_body_t *body = osip_list_get(&msg->bodies, i);

		if (body && body->body && sipmsg_is_sdp(multipart ? body->content_type : msg->content_type))
			rc = media_body(r, m, body);
	}
	return rc;
}
