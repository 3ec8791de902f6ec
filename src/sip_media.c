/* The pipeline's side of the RTP relay: which messages carry media to rewrite, the streams' key, and when media ends. */
#include "build_config.h"
#include "sip_media.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "rtp_relay.h"
#include "sdp_rewrite.h"
#include "sip_message.h"

/* The relay keeps a BYE's media this long, for retransmissions and late answers (64*T1). */
#define SIPMEDIA_BYE_GRACE_MS 32000

static const char *tag_of(const osip_from_t *f)
{
	osip_generic_param_t *tag = NULL;

	if (!f || osip_from_get_tag((osip_from_t *)f, &tag) != 0 || !tag || !tag->gvalue)
		return NULL;
	return tag->gvalue;
}

static char *leg_make(const char *tag, bool caller_on_wan)
{
	size_t n = strlen(tag) + 3;
	char *leg = malloc(n);

	if (leg)
		snprintf(leg, n, "%s/%c", tag, caller_on_wan ? 'W' : 'L');
	return leg;
}

/*
 * Why not the phone's address (m->leg): two lines of one device share it, and a hairpin call
 * between them would share streams; and a phone's Contact host need not be its source address.
 * The From party sent the request: for a request it is on the side the message came from, for
 * a response on the other one. It is the caller when its leg has streams; otherwise the To party
 * is when that leg has streams; with neither (the initial INVITE, or no SDP so far) the From
 * party is, as in every dialog-creating request. Tags are random, so the two candidates never
 * name the same streams, and the two passes of a hairpin call differ in the side.
 */
char *sipmedia_leg(const struct rtp_relay *r, const struct sip_media_msg *m)
{
	bool from_party_wan = MSG_IS_REQUEST(m->msg) ? m->from_wan : !m->from_wan;
	const char *ftag = tag_of(m->msg->from), *ttag = tag_of(m->msg->to);
	char *leg = leg_make(ftag ? ftag : "", from_party_wan), *other;

	if (!leg || !ttag || rtp_relay_has_call(r, m->call_id, leg))
		return leg;
	other = leg_make(ttag, !from_party_wan);
	if (other && rtp_relay_has_call(r, m->call_id, other)) {
		free(leg);
		return other;
	}
	free(other);
	return leg;
}

/*
 * Sessions end or roll back with the dialog's requests and final responses. A 2xx to INVITE
 * confirms the call: a CANCEL crossing it has no effect on the dialog, and a later failure
 * answers a re-INVITE, whose rejection keeps the agreed media.
 */
static void media_lifecycle(struct rtp_relay *r, const struct sip_media_msg *m, const char *leg)
{
	const osip_message_t *msg = m->msg;
	const char *cseq = sipmsg_cseq_method(msg);
	int status = msg->status_code;

	if (MSG_IS_REQUEST(msg)) {
		if (sipmsg_is_method(msg, "BYE"))
			rtp_relay_end_later(r, m->call_id, leg, SIPMEDIA_BYE_GRACE_MS);
		else if (sipmsg_is_method(msg, "CANCEL") && !rtp_relay_confirmed(r, m->call_id, leg))
			rtp_relay_end(r, m->call_id, leg);
		return;
	}
	if (!cseq)
		return;
	if (strcmp(cseq, "BYE") == 0 && ((status >= 200 && status < 300) || status == 481))
		rtp_relay_end(r, m->call_id, leg);
	else if (strcmp(cseq, "INVITE") == 0 && status >= 200 && status < 300)
		rtp_relay_confirm(r, m->call_id, leg);
	else if (strcmp(cseq, "INVITE") == 0 && status >= 300 && !rtp_relay_confirmed(r, m->call_id, leg))
		rtp_relay_end(r, m->call_id, leg);
	else if ((strcmp(cseq, "INVITE") == 0 || strcmp(cseq, "UPDATE") == 0) && status >= 300)
		rtp_relay_offer_failed(r, m->call_id, leg);
}

/* One SDP body (a whole body, or a part of a multipart one) through sdp_rewrite(). */
static int media_body(struct rtp_relay *r, const struct sip_media_msg *m, const char *leg, osip_body_t *body)
{
	struct sdp_rw_msg in = { .call_id = m->call_id, .leg = leg, .from = m->from_wan ? RTP_SIDE_WAN : RTP_SIDE_LAN,
				 .body = body->body, .len = body->length };
	char *out = NULL;
	size_t out_len = 0;
	int rc;

	switch (sdp_rewrite(r, &in, &out, &out_len)) {
	case SDP_RW_OK:
		rc = sipmsg_body_replace(m->msg, body, out, out_len) == 0 ? 0 : 500;
		free(out);
		if (rc != 0) {
			/* The relay took the SDP but the message cannot carry it: that offer is void. */
			log_warn("media: Call-ID %s: out of memory replacing the SDP", m->call_id);
			rtp_relay_offer_failed(r, m->call_id, leg);
		}
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

static int media_sdp(struct rtp_relay *r, const struct sip_media_msg *m, const char *leg)
{
	osip_message_t *msg = m->msg;
	/* libosip2 splits a multipart body into its parts, each with its own Content-Type. */
	bool multipart = msg->content_type && msg->content_type->type &&
			 strcasecmp(msg->content_type->type, "multipart") == 0;
	int rc = 0;

	for (int i = 0; rc == 0 && i < osip_list_size(&msg->bodies); i++) {
		osip_body_t *body = osip_list_get(&msg->bodies, i);

		if (body && body->body && sipmsg_is_sdp(multipart ? body->content_type : msg->content_type))
			rc = media_body(r, m, leg, body);
	}
	return rc;
}

int sipmedia_relay(void *relay, const struct sip_media_msg *m)
{
	struct rtp_relay *r = relay;
	osip_message_t *msg = m->msg;
	bool req = MSG_IS_REQUEST(msg);
	char *leg;
	int rc = 0;

	if (!m->call_id || !*m->call_id)
		return 0;
	leg = sipmedia_leg(r, m);
	if (!leg) {
		log_warn("media: Call-ID %s: out of memory", m->call_id);
		return 500;
	}
	if (sdp_rewrite_applies(req, req ? msg->sip_method : NULL, msg->status_code, sipmsg_cseq_method(msg)))
		rc = media_sdp(r, m, leg);
	if (rc == 0) {
		media_lifecycle(r, m, leg);
	} else if (!req || sipmsg_is_method(msg, "ACK")) {
		/*
		 * An answer whose media cannot be relayed (sdp_rewrite logged why): forwarded, it
		 * would hand the caller an address it cannot reach, so the pipeline drops it (and
		 * logs that); the caller's INVITE times out and the callee stops retransmitting. An
		 * ACK (a late offer's answer) cannot be answered either. The offer is void.
		 */
		rtp_relay_offer_failed(r, m->call_id, leg);
	}
	free(leg);
	return rc;
}
