/* REGISTER handling (RFC 3261 §10) on top of the registration table: registrar mode and outbound-proxy mode. */
#include "build_config.h"
#include "sip_register.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "log.h"
#include "registrar.h"
#include "sip_message.h"
#include "sip_response.h"
#include "sip_rewrite.h"

#define SIPREG_URI_MAX 1024

bool sipreg_for_me(const struct sip_pipeline *p, const struct sip_ticket *t)
{
	const osip_uri_t *u = t->msg->req_uri;

	return u && sip_is_me(p, u->host, u->port);
}

/* The lifetime a Contact asks for: its expires parameter, the Expires header, default_expires. */
static long reg_lifetime(const struct sip_pipeline *p, const osip_message_t *m, const osip_contact_t *c)
{
	long e = c ? sipmsg_contact_expires(c) : -1;

	if (e < 0)
		e = sipmsg_expires_header(m);
	if (e < 0)
		e = p->ctx.cfg->default_expires;
	/* A value near LONG_MAX from the network would overflow now + lifetime; 2^31 s is forever enough. */
	return e > INT32_MAX ? INT32_MAX : e;
}

static bool contact_is_star(const osip_contact_t *c)
{
	/* libosip2 reads "Contact: *" as a display name "*" without a URI. */
	return c && (!c->url || !c->url->host) && c->displayname && strcmp(c->displayname, "*") == 0;
}

/* The host the WAN should see for this AoR: masked_host when its host is listed in mask_host. */
static const char *masq_host(const struct sip_pipeline *p, const osip_uri_t *aor)
{
	const struct config *cfg = p->ctx.cfg;

	for (size_t i = 0; aor->host && i < cfg->mask_host.n && i < cfg->masked_host.n; i++)
		if (strcasecmp(aor->host, cfg->mask_host.v[i]) == 0)
			return cfg->masked_host.v[i];
	return sip_seen_addr_str(p, true);
}

/*
 * The public URI of a phone's Contact: the AoR user at our public address. When another phone
 * already uses that URI, a hash of the phone's own URI keeps the two apart at the registrar.
 */
static int masq_build(const struct sip_pipeline *p, const osip_uri_t *aor, const char *true_url, char *out,
		      size_t size)
{
	const char *user = aor->username, *host = masq_host(p, aor);
	struct reg_binding *other;
	uint32_t h = 2166136261u;
	int n;

	n = snprintf(out, size, "sip:%s%s%s:%d", user ? user : "", user ? "@" : "", host, p->ctx.cfg->sip_listen_port);
	if (n < 0 || (size_t)n >= size)
		return -1;
	other = reg_find_masq(p->ctx.reg, out);
	if (!other || strcmp(other->true_url, true_url) == 0)
		return 0;
	for (const char *s = true_url; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	n = snprintf(out, size, "sip:%s-%08x@%s:%d", user ? user : "", (unsigned)h, host, p->ctx.cfg->sip_listen_port);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Applies one Contact of a REGISTER to the table; returns 0, or the status to answer with. */
static int reg_apply_contact(struct sip_pipeline *p, struct sip_ticket *t, const char *aor, osip_contact_t *c,
			     bool registrar)
{
	char true_url[SIPREG_URI_MAX], masq[SIPREG_URI_MAX];
	long life = reg_lifetime(p, t->msg, c);
	struct reg_binding *b;

	if (!sipmsg_uri_str(c->url, true_url, sizeof(true_url)))
		return 400;
	/* Built afresh each time: after a change of the public address the registrar learns the new one. */
	if (masq_build(p, t->msg->to->url, true_url, masq, sizeof(masq)) != 0)
		return 400;
	if (life == 0) {
		reg_unbind(p->ctx.reg, aor, true_url);
	} else {
		b = reg_bind(p->ctx.reg, aor, true_url, masq, &t->from.addr, (int)t->from.proto, t->now + life,
			     registrar);
		if (!b && errno == ENOSPC) {
			log_warn("registration table full (max_registrations), %s from %s refused", aor, true_url);
			return 503;
		}
		if (!b)
			return errno == EINVAL ? 400 : 500;
	}
	log_debug(DBCLASS_REG, "%s %s -> %s (%s), %ld s", life ? "bind" : "unbind", aor, true_url, masq, life);
	/* The registrar must see the public URI, also for a removal. */
	if (!registrar && siprw_contact_uri(c, masq) != 0)
		return 400;
	return 0;
}

/* Contacts of a REGISTER in order; 0 or the status code to answer with. */
static int reg_apply(struct sip_pipeline *p, struct sip_ticket *t, bool registrar)
{
	osip_list_t *l = &t->msg->contacts;
	char aor[SIPREG_URI_MAX];
	osip_contact_t *first = osip_list_get(l, 0);

	if (!sipmsg_uri_str(t->msg->to->url, aor, sizeof(aor)))
		return 400;
	if (contact_is_star(first)) {
		/* RFC 3261 §10.3 step 6: "*" only with Expires: 0 and alone. */
		if (osip_list_size(l) != 1 || sipmsg_expires_header(t->msg) != 0)
			return 400;
		reg_unbind_all(p->ctx.reg, aor);
		log_debug(DBCLASS_REG, "unbind all of %s", aor);
		return 0;
	}
	for (int i = 0; i < osip_list_size(l); i++) {
		osip_contact_t *c = osip_list_get(l, i);
		int rc;

		if (!c || !c->url || !c->url->host)
			return 400;
		rc = reg_apply_contact(p, t, aor, c, registrar);
		if (rc)
			return rc;
	}
	return 0;
}

/* RFC 3261 §10.3 step 8: the 200 lists every current binding of the AoR with its lifetime. */
static int reg_list_bindings(struct sip_pipeline *p, const struct sip_ticket *t, osip_message_t *r)
{
	size_t max = 4, n;
	struct reg_binding **v = NULL;
	char aor[SIPREG_URI_MAX], value[SIPREG_URI_MAX + 32];
	int rc = 0;

	if (!sipmsg_uri_str(t->msg->to->url, aor, sizeof(aor)))
		return 0;
	/* Grows with the AoR's bindings, never with the table. */
	do {
		struct reg_binding **bigger = realloc(v, (max *= 2) * sizeof(*v));

		if (!bigger) {
			free(v);
			return -1;
		}
		v = bigger;
		n = reg_find_aor_routable(p->ctx.reg, aor, t->now, v, max);
	} while (n == max);
	for (size_t i = 0; i < n && rc == 0; i++) {
		snprintf(value, sizeof(value), "<%s>;expires=%lld", v[i]->true_url,
			 (long long)(v[i]->expires > t->now ? v[i]->expires - t->now : 0));
		rc = osip_message_set_contact(r, value) == 0 ? 0 : -1;
	}
	free(v);
	return rc;
}

enum sip_verdict sipreg_registrar(struct sip_pipeline *p, struct sip_ticket *t)
{
	osip_message_t *r;
	int code;

	if (p->ctx.auth && !sipresp_authorize(p, t))
		return SIP_DONE;
	code = reg_apply(p, t, true);
	if (code) {
		sipresp_reply(p, t, code, "REGISTER refused");
		return SIP_DONE;
	}
	r = sipresp_build(p, t, 200);
	if (!r || reg_list_bindings(p, t, r) != 0) {
		log_error("out of memory answering REGISTER, Call-ID %s", t->call_id);
		if (r)
			osip_message_free(r);
		return SIP_DONE;
	}
	sipresp_send(p, t, r);
	return SIP_DONE;
}

enum sip_verdict sipreg_outbound(struct sip_pipeline *p, struct sip_ticket *t)
{
	int code = reg_apply(p, t, false);

	if (code) {
		sipresp_reply(p, t, code, "REGISTER refused");
		return SIP_DONE;
	}
	return SIP_RELAY;
}

/*
 * The phone the answered REGISTER came from: the Via it put (our hidden copy, now back on top),
 * received/rport as we stamped them. That is the source its bindings were stored with.
 */
static const struct sockaddr_in *reg_answered_phone(const struct sip_ticket *t, struct sockaddr_in *sa)
{
	osip_via_t *via = osip_list_get(&t->msg->vias, 0);
	const char *received = sipmsg_via_param(via, "received");
	long rport = sipmsg_number(sipmsg_via_param(via, "rport"));
	uint16_t port = rport > 0 && rport <= 65535 ? (uint16_t)rport : via ? sipmsg_port(via->port) : 0;

	memset(sa, 0, sizeof(*sa));
	if (!via || port == 0 || !sipmsg_ipv4(received && *received ? received : via->host, &sa->sin_addr))
		return NULL;
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	return sa;
}

void sipreg_response(struct sip_pipeline *p, struct sip_ticket *t)
{
	struct sockaddr_in phone_buf;
	const struct sockaddr_in *phone = reg_answered_phone(t, &phone_buf);
	osip_message_t *m = t->msg;
	osip_list_t *l = &m->contacts;
	char aor[SIPREG_URI_MAX], masq[SIPREG_URI_MAX], true_url[SIPREG_URI_MAX];

	if (!sipmsg_uri_str(m->to->url, aor, sizeof(aor)))
		return;
	if (m->status_code < 200)
		return;
	if (m->status_code >= 300) {
		/* Not confirmed: incoming requests never reach a binding the registrar refused. */
		reg_reject_pending_source(p->ctx.reg, aor, phone);
		return;
	}
	for (int i = 0; i < osip_list_size(l); i++) {
		osip_contact_t *c = osip_list_get(l, i);
		struct reg_binding *b;
		long life;

		if (!c || !c->url || !sipmsg_uri_str(c->url, masq, sizeof(masq)))
			continue;
		b = reg_find_masq(p->ctx.reg, masq);
		if (!b || strcmp(b->aor, aor) != 0)
			continue;     /* another device of the AoR, not behind us */
		snprintf(true_url, sizeof(true_url), "%s", b->true_url);
		life = reg_lifetime(p, m, c);
		reg_confirm(p->ctx.reg, aor, masq, life);
		log_debug(DBCLASS_REG, "registrar confirmed %s -> %s for %ld s", aor, true_url, life);
		siprw_contact_uri(c, true_url);
	}
	/* This phone's pending bindings the 2xx does not list were not accepted. */
	reg_reject_pending_source(p->ctx.reg, aor, phone);
}
