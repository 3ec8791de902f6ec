/* Responses the proxy makes itself (RFC 3261 §8.2.6): the request's Via stack, a To-tag, sent per §18.2.2. */
#include "build_config.h"
#include "sip_response.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "digest_auth.h"
#include "sip_checks.h"
#include "sip_message.h"

static int resp_add_to_tag(struct sip_pipeline *p, osip_message_t *r)
{
	osip_generic_param_t *tag = NULL;
	unsigned char rnd[8];
	char hex[2 * sizeof(rnd) + 1];

	if (osip_to_get_tag(r->to, &tag) == 0 && tag)
		return 0;
	sip_random(p, rnd, sizeof(rnd));
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	return osip_to_set_tag(r->to, osip_strdup(hex)) == 0 ? 0 : -1;
}

/* The request's Vias that would read back (sipchk_parsed() lets a request with a broken lower one get a 400). */
static int resp_copy_vias(const osip_message_t *req, osip_message_t *r)
{
	for (int i = 0; i < osip_list_size(&req->vias); i++) {
		osip_via_t *via = osip_list_get(&req->vias, i), *copy;

		if (!sipchk_via_ok(via))
			continue;
		if (osip_via_clone(via, &copy) != 0)
			return -1;
		if (osip_list_add(&r->vias, copy, -1) < 0) {
			osip_via_free(copy);
			return -1;
		}
	}
	return osip_list_size(&r->vias) > 0 ? 0 : -1;
}

/* A From/To port that would serialise into unparsable text ("host:") is left out of our answer. */
static void resp_drop_bad_port(osip_uri_t *u)
{
	if (u && u->port && (!u->port[0] || sipmsg_port(u->port) == 0)) {
		osip_free(u->port);
		u->port = NULL;
	}
}

osip_message_t *sipresp_build(struct sip_pipeline *p, const struct sip_ticket *t, int code)
{
	const osip_message_t *req = t->msg;
	osip_message_t *r;

	if (osip_message_init(&r) != 0)
		return NULL;
	osip_message_set_version(r, osip_strdup("SIP/2.0"));
	osip_message_set_status_code(r, code);
	osip_message_set_reason_phrase(r, osip_strdup(osip_message_get_reason(code)));
	if (resp_copy_vias(req, r) != 0 || osip_from_clone(req->from, &r->from) != 0 || osip_to_clone(req->to, &r->to) != 0 ||
	    osip_call_id_clone(req->call_id, &r->call_id) != 0 || osip_cseq_clone(req->cseq, &r->cseq) != 0 ||
	    (code > 100 && resp_add_to_tag(p, r) != 0) || osip_message_set_content_length(r, "0") != 0) {
		osip_message_free(r);
		return NULL;
	}
	resp_drop_bad_port(r->from->url);
	resp_drop_bad_port(r->to->url);
	return r;
}

/*
 * §18.2.2 and RFC 3581: over TCP back on the connection; over UDP to the address the request came
 * from (that is what received would say), at the rport when asked for, else the sent-by port.
 */
static void resp_destination(const struct sip_ticket *t, struct sip_peer *to)
{
	osip_via_t *via = osip_list_get(&t->msg->vias, 0);

	*to = t->from;
	if (t->from.proto == SIP_PROTO_TCP || !via || sipmsg_via_param(via, "rport"))
		return;
	uint16_t port = sipmsg_port(via->port);
	if (port)
		to->addr.sin_port = htons(port);
}

void sipresp_send(struct sip_pipeline *p, const struct sip_ticket *t, osip_message_t *resp)
{
	struct sip_peer to;
	char *buf = NULL;
	size_t len = 0;

	resp_destination(t, &to);
	if (sipmsg_serialize(resp, &buf, &len) != 0) {
		log_error("cannot serialise a %d response, Call-ID %s", resp->status_code, t->call_id);
	} else if (!sipmsg_parses(buf, len)) {
		/* Text copied from a garbled request; nobody could read the answer. */
		log_warn("not sending a %d response that would not parse, Call-ID %s", resp->status_code,
			 t->call_id);
	} else if (p->ctx.send(p->ctx.send_ud, &to, buf, len, NULL, NULL) != 0) {
		char a[INET_ADDRSTRLEN];

		log_warn("sending %d to %s:%u failed, Call-ID %s", resp->status_code,
			 sip_ip_str(to.addr.sin_addr, a, sizeof(a)), ntohs(to.addr.sin_port), t->call_id);
	}
	osip_free(buf);
	osip_message_free(resp);
}

void sipresp_reply(struct sip_pipeline *p, const struct sip_ticket *t, int code, const char *reason)
{
	char a[INET_ADDRSTRLEN];
	osip_message_t *r;

	log_info("%s from %s:%u answered %d (%s), Call-ID %s", t->msg->sip_method,
		 sip_ip_str(t->from.addr.sin_addr, a, sizeof(a)), ntohs(t->from.addr.sin_port), code, reason,
		 t->call_id);
	if (sipmsg_is_method(t->msg, "ACK"))
		return;
	r = sipresp_build(p, t, code);
	if (!r) {
		log_error("out of memory building a %d response", code);
		return;
	}
	if (code == 503)
		osip_message_set_header(r, "Retry-After", "30");
	sipresp_send(p, t, r);
}

void sipresp_reply_raw(struct sip_pipeline *p, const char *raw, size_t len, const struct sip_peer *from,
		       int code, const char *reason)
{
	struct sip_ticket t = { .raw = raw, .raw_len = len, .from = *from, .now = sip_now(p) };

	t.msg = sipmsg_parse(raw, len);
	if (!t.msg)
		return;
	sipmsg_call_id(t.msg, t.call_id, sizeof(t.call_id));
	if (MSG_IS_REQUEST(t.msg))
		sipresp_reply(p, &t, code, reason);
	osip_message_free(t.msg);
}

bool sipresp_authorize(struct sip_pipeline *p, const struct sip_ticket *t)
{
	enum auth_result res = auth_check(p->ctx.auth, t->msg, t->now);
	osip_message_t *r;

	switch (res) {
	case AUTH_OK:
		return true;
	case AUTH_BAD_CREDENTIALS:
		sipresp_reply(p, t, 403, "wrong credentials");
		return false;
	case AUTH_MALFORMED:
		sipresp_reply(p, t, 400, "malformed Proxy-Authorization");
		return false;
	case AUTH_MISSING:
	case AUTH_STALE:
		break;
	}
	r = sipresp_build(p, t, 407);
	if (!r || auth_challenge(p->ctx.auth, r, res == AUTH_STALE, t->now) != 0) {
		log_error("cannot build a challenge, Call-ID %s", t->call_id);
		if (r)
			osip_message_free(r);
		return false;
	}
	log_debug(DBCLASS_AUTH, "challenging %s, Call-ID %s%s", t->msg->sip_method, t->call_id,
		  res == AUTH_STALE ? " (stale nonce)" : "");
	sipresp_send(p, t, r);
	return false;
}
