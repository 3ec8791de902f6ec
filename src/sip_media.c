/* The glue between the SIP pipeline and the RTP relay: SDP rewriting, stream keys and teardown per SIP event. */
#include "build_config.h"
#include "sip_media.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "rtp_relay.h"
#include "sdp_rewrite.h"
#include "sip_message.h"

/* How long the streams outlive a BYE nobody answers (64 * T1, RFC 3261 Timer F). */
#define MEDIA_BYE_WAIT_MS 32000u

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
 * The From party sent the request: for a request it is on the side the message came from, for a
 * response on the other one. It is the caller when its leg has streams; otherwise the To party
 * is the caller when that leg has streams; with neither (the initial INVITE, no SDP yet) the
 * From party is, as in every dialog-creating request. Tags are random, so the two candidates
 * never name the same streams, and a hairpin call's two passes differ in the side.
 */
char *sip_media_leg(const struct rtp_relay *r, const osip_message_t *msg, const char *call_id, bool from_wan)
{
	bool from_party_wan = MSG_IS_REQUEST(msg) ? from_wan : !from_wan;
	const char *ftag = tag_of(msg->from), *ttag = tag_of(msg->to);
	char *leg = leg_make(ftag ? ftag : "", from_party_wan), *other;

	if (!leg || !ttag || rtp_relay_has_call(r, call_id, leg))
		return leg;
	other = leg_make(ttag, !from_party_wan);
	if (other && rtp_relay_has_call(r, call_id, other)) {
		free(leg);
		return other;
	}
	free(other);
	return leg;
}

static char *content_type_str(osip_content_type_t *ct)
{
	char *s = NULL;

	if (ct && osip_content_type_to_str(ct, &s) != 0)
		s = NULL;
	return s;
}

static bool is_multipart(const osip_content_type_t *ct)
{
	return ct && ct->type && strcasecmp(ct->type, "multipart") == 0;
}

/*
 * The body to rewrite: the only one, or in a multipart body (which osip splits into parts) the
 * first application/sdp part. NULL when there is none.
 */
static osip_body_t *sdp_body(const osip_message_t *msg, osip_content_type_t **ct)
{
	osip_body_t *b;

	if (!is_multipart(msg->content_type)) {
		*ct = msg->content_type;
		return osip_list_get(&msg->bodies, 0);
	}
	for (int i = 0; (b = osip_list_get(&msg->bodies, i)) != NULL; i++) {
		osip_content_type_t *pct = b->content_type;

		if (pct && pct->type && pct->subtype && strcasecmp(pct->type, "application") == 0 &&
		    strcasecmp(pct->subtype, "sdp") == 0) {
			*ct = pct;
			return b;
		}
	}
	return NULL;
}

/* Replaces the body with out (malloc'ed, out_len bytes) and recomputes Content-Length. */
static int body_replace(osip_message_t *msg, osip_body_t *b, char *out, size_t out_len)
{
	char *nb = osip_malloc(out_len + 1), len_str[24];
	size_t total = 0;
	osip_body_t *part;

	if (!nb)
		return -1;
	memcpy(nb, out, out_len + 1);
	osip_free(b->body);
	b->body = nb;
	b->length = out_len;
	osip_content_length_free(msg->content_length);
	msg->content_length = NULL;
	/* osip writes a multipart body's length itself; a single body's is its own. */
	if (is_multipart(msg->content_type))
		return 0;
	for (int i = 0; (part = osip_list_get(&msg->bodies, i)) != NULL; i++)
		total += part->length;
	snprintf(len_str, sizeof(len_str), "%zu", total);
	return osip_message_set_content_length(msg, len_str) == 0 ? 0 : -1;
}

/* SDP rewriting; returns 0 or the status a request is answered with. */
static int media_sdp(struct rtp_relay *r, osip_message_t *msg, const char *call_id, const char *leg, bool from_wan)
{
	osip_content_type_t *ct = NULL;
	osip_body_t *b = sdp_body(msg, &ct);
	char *ct_str, *out = NULL;
	size_t out_len = 0;
	enum sdp_rw_status st;
	struct sdp_rw_msg m = {
		.call_id = call_id, .leg = leg, .from = from_wan ? RTP_SIDE_WAN : RTP_SIDE_LAN,
	};

	if (!b || !b->body || b->length == 0)
		return 0;
	ct_str = content_type_str(ct);
	if (ct && !ct_str)
		return 500;
	m.content_type = ct_str;
	m.body = b->body;
	m.len = b->length;
	st = sdp_rewrite(r, &m, &out, &out_len);
	osip_free(ct_str);
	switch (st) {
	case SDP_RW_NONE:
		return 0;
	case SDP_RW_OK:
		break;
	case SDP_RW_ERR_SDP:
		return 488;
	case SDP_RW_ERR_POOL:
		return 503;
	case SDP_RW_ERR_NOMEM:
		return 500;
	}
	if (body_replace(msg, b, out, out_len) != 0) {
		/*
		 * The relay already took the SDP; the message cannot go out half-rewritten, and what
		 * the relay learnt ends with the offer's failure.
		 */
		free(out);
		log_warn("media: Call-ID %s: out of memory replacing the SDP", call_id);
		rtp_relay_offer_failed(r, call_id, leg);
		return 500;
	}
	free(out);
	return 0;
}

/* Teardown and rollback by the message's method and status. */
static void media_lifecycle(struct rtp_relay *r, const osip_message_t *msg, const char *call_id, const char *leg)
{
	const char *cseq = sipmsg_cseq_method(msg);
	int status = msg->status_code;

	if (MSG_IS_REQUEST(msg)) {
		if (sipmsg_is_method(msg, "BYE"))
			rtp_relay_end_later(r, call_id, leg, MEDIA_BYE_WAIT_MS);
		else if (sipmsg_is_method(msg, "CANCEL") && !rtp_relay_confirmed(r, call_id, leg))
			rtp_relay_end(r, call_id, leg);
		return;
	}
	if (!cseq)
		return;
	if (strcmp(cseq, "BYE") == 0 && ((status >= 200 && status < 300) || status == 481))
		rtp_relay_end(r, call_id, leg);
	else if (strcmp(cseq, "INVITE") == 0 && status >= 200 && status < 300)
		rtp_relay_confirm(r, call_id, leg);
	else if (strcmp(cseq, "INVITE") == 0 && status >= 300 && !rtp_relay_confirmed(r, call_id, leg))
		rtp_relay_end(r, call_id, leg);
	else if ((strcmp(cseq, "INVITE") == 0 || strcmp(cseq, "UPDATE") == 0) && status >= 300)
		rtp_relay_offer_failed(r, call_id, leg);
}

int sip_media_hook(void *relay, osip_message_t *msg, const char *call_id, const struct sip_peer *from,
	bool from_wan, bool toward_wan)
{
	struct rtp_relay *r = relay;
	bool is_req = MSG_IS_REQUEST(msg);
	char *leg;
	int code = 0;

	(void)from;
	/* Both ends on one side reach each other without us. */
	if (from_wan == toward_wan || !call_id || !*call_id)
		return 0;
	leg = sip_media_leg(r, msg, call_id, from_wan);
	if (!leg) {
		log_warn("media: Call-ID %s: out of memory", call_id);
		return is_req ? 500 : -1;
	}
	if (sdp_rewrite_applies(is_req, msg->sip_method, msg->status_code, sipmsg_cseq_method(msg)))
		code = media_sdp(r, msg, call_id, leg, from_wan);
	if (code == 0)
		media_lifecycle(r, msg, call_id, leg);
	else if (!is_req || sipmsg_is_method(msg, "ACK")) {
		/*
		 * An answer whose media cannot be relayed: forwarding it would hand the caller an
		 * address it cannot reach, so it is dropped (sdp_rewrite logged why); the caller's
		 * INVITE times out and the callee gives up retransmitting. The pending offer goes.
		 * An ACK (a late offer's answer) cannot be answered either.
		 */
		log_warn("media: Call-ID %s: dropped %s %d whose media cannot be relayed", call_id,
			 is_req ? "an ACK" : "a response", msg->status_code);
		rtp_relay_offer_failed(r, call_id, leg);
		code = -1;
	} else {
		log_info("media: Call-ID %s: %s refused with %d", call_id, msg->sip_method, code);
	}
	free(leg);
	return code;
}
