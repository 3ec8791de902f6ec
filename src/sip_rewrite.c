/* Header rewriting: Contact, Request-URI, Record-Route/Route, Max-Forwards, User-Agent, credentials, Call-ID and SDP origin hiding. */
#include "build_config.h"
#include "sip_rewrite.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "registrar.h"
#include "sip_message.h"
#include "sip_seal.h"

/* Longest URI or header value we build or keep. */
#define SIPRW_MAX 1024

static bool uri_is_me(const struct sip_pipeline *p, const osip_uri_t *u)
{
	return u && sip_is_me(p, u->host, u->port);
}

void siprw_route_preprocess(struct sip_pipeline *p, struct sip_ticket *t)
{
	osip_message_t *m = t->msg;
	osip_route_t *r;
	int n = osip_list_size(&m->routes);

	if (n <= 0)
		return;
	/*
	 * A strict router put our Record-Route (user "siproxd") into the R-URI; the real one is the
	 * last Route. An AoR at our address (registrar mode) is not that.
	 */
	if (uri_is_me(p, m->req_uri) && m->req_uri->username && strcmp(m->req_uri->username, "siproxd") == 0) {
		r = osip_list_get(&m->routes, n - 1);
		osip_list_remove(&m->routes, n - 1);
		osip_uri_free(m->req_uri);
		m->req_uri = r->url;
		r->url = NULL;
		osip_route_free(r);
	}
	r = osip_list_get(&m->routes, 0);
	if (r && uri_is_me(p, r->url)) {
		osip_list_remove(&m->routes, 0);
		osip_route_free(r);
	}
}

int siprw_max_forwards(osip_message_t *m)
{
	long n = sipmsg_number(sipmsg_header(m, "max-forwards"));
	char v[8];

	if (n < 0 || n > 255)
		n = 70;
	else if (n > 0)
		n--;
	snprintf(v, sizeof(v), "%ld", n);
	return sipmsg_header_set(m, "Max-Forwards", v);
}

int siprw_record_route_add(struct sip_pipeline *p, struct sip_ticket *t, bool top)
{
	osip_record_route_t *rr;
	char ip[INET_ADDRSTRLEN], value[96];

	snprintf(value, sizeof(value), "<sip:siproxd@%s:%d;lr>", sip_ip_str(p->ctx.inbound, ip, sizeof(ip)),
		 p->ctx.cfg->sip_listen_port);
	if (osip_record_route_init(&rr) != 0)
		return -1;
	if (osip_record_route_parse(rr, value) != 0 ||
	    osip_list_add(&t->msg->record_routes, rr, top ? 0 : -1) < 0) {
		osip_record_route_free(rr);
		return -1;
	}
	return 0;
}

void siprw_record_route_purge(struct sip_pipeline *p, struct sip_ticket *t)
{
	osip_list_t *l = &t->msg->record_routes;

	for (int i = 0; i < osip_list_size(l);) {
		osip_record_route_t *rr = osip_list_get(l, i);

		if (rr && uri_is_me(p, rr->url)) {
			osip_list_remove(l, i);
			osip_record_route_free(rr);
		} else {
			i++;
		}
	}
}

int siprw_user_agent(struct sip_pipeline *p, struct sip_ticket *t)
{
	const char *ua = p->ctx.cfg->ua_string;

	if (!ua || !*ua)
		return 0;
	return sipmsg_header_set(t->msg, "User-Agent", ua);
}

void siprw_strip_credentials(struct sip_pipeline *p, struct sip_ticket *t)
{
	const char *realm = p->ctx.cfg->proxy_auth_realm;
	osip_list_t *l = &t->msg->proxy_authorizations;
	size_t n = realm ? strlen(realm) : 0;

	for (int i = 0; realm && i < osip_list_size(l);) {
		osip_proxy_authorization_t *a = osip_list_get(l, i);
		const char *r = a ? a->realm : NULL;

		if (r && *r == '"')
			r++;
		if (r && strncmp(r, realm, n) == 0 && (r[n] == '"' || r[n] == '\0')) {
			osip_list_remove(l, i);
			osip_proxy_authorization_free(a);
		} else {
			i++;
		}
	}
}

/* Parses uri into a new osip_uri_t that replaces *slot. */
static int uri_replace(osip_uri_t **slot, const char *uri)
{
	osip_uri_t *u;

	if (osip_uri_init(&u) != 0)
		return -1;
	if (osip_uri_parse(u, uri) != 0) {
		osip_uri_free(u);
		return -1;
	}
	osip_uri_free(*slot);
	*slot = u;
	return 0;
}

int siprw_request_uri(osip_message_t *m, const char *uri)
{
	return uri_replace(&m->req_uri, uri);
}

int siprw_contact_uri(osip_contact_t *c, const char *uri)
{
	return uri_replace(&c->url, uri);
}

static int replace_addrs(char **text, const char *const from[], size_t nfrom, const char *to);
static int replace_in_params(osip_list_t *l, const char *keep, const char *const from[], size_t nfrom,
			     const char *to);

/*
 * A Contact we know no binding of keeps its URI but points at our public address. A user part
 * naming a LAN address is sealed (the WAN sends it back as a request target, and
 * siprw_request_uri_open() opens it); LAN addresses elsewhere in the URI become the public one.
 */
static int contact_fallback(struct sip_pipeline *p, struct sip_ticket *t, osip_contact_t *c)
{
	char ip[INET_ADDRSTRLEN], sender[INET_ADDRSTRLEN], inbound[INET_ADDRSTRLEN], port[8];
	const char *lan[2] = { sip_ip_str(t->from.addr.sin_addr, sender, sizeof(sender)),
			       sip_ip_str(p->ctx.inbound, inbound, sizeof(inbound)) };
	osip_uri_t *u = c->url;

	sip_ip_str(p->ctx.public_addr, ip, sizeof(ip));
	snprintf(port, sizeof(port), "%d", p->ctx.cfg->sip_listen_port);
	if (u->username && sipseal_names_lan(p, t, u->username)) {
		char *sealed = sipseal_make(p, u->username, strlen(u->username));

		if (!sealed)
			return -1;
		osip_free(u->username);
		u->username = sealed;
	}
	if (replace_addrs(&u->password, lan, 2, ip) != 0 || replace_in_params(&u->url_params, NULL, lan, 2, ip) != 0 ||
	    replace_in_params(&u->url_headers, NULL, lan, 2, ip) != 0)
		return -1;
	osip_free(u->host);
	u->host = osip_strdup(ip);
	osip_free(u->port);
	u->port = osip_strdup(port);
	return u->host && u->port ? 0 : -1;
}

int siprw_request_uri_open(struct sip_pipeline *p, struct sip_ticket *t)
{
	osip_uri_t *u = t->msg->req_uri;
	char *plain = NULL;
	int rc;

	if (!u || !u->username || !sip_is_me(p, u->host, u->port))
		return 0;
	rc = sipseal_open(p, u->username, &plain);
	if (rc <= 0)
		return rc;
	osip_free(u->username);
	u->username = plain;
	return 0;
}

int siprw_contact_masquerade(struct sip_pipeline *p, struct sip_ticket *t)
{
	osip_list_t *l = &t->msg->contacts;
	char uri[SIPRW_MAX];

	for (int i = 0; i < osip_list_size(l); i++) {
		osip_contact_t *c = osip_list_get(l, i);
		struct reg_binding *b;

		if (!c || !c->url || !c->url->host)
			continue;      /* Contact: * */
		if (!sipmsg_uri_str(c->url, uri, sizeof(uri)))
			return -1;
		b = reg_find_contact(p->ctx.reg, uri);
		if ((b ? siprw_contact_uri(c, b->masq_url) : contact_fallback(p, t, c)) != 0)
			return -1;
	}
	return 0;
}

/*
 * The address of an origin line's value "<user> <id> <version> IN IP4 <address>" (from o= to the
 * line end): the sixth field. Lenient readers split at any run of blanks, so this does too:
 * "IN  IP4" must not let the address through.
 */
static bool sdp_origin_addr(const char *q, const char *end, const char **addr, size_t *alen)
{
	static const char blanks[] = " \t\v\f";
	const char *field[6];
	size_t flen[6], n = 0;

	while (q < end && n < 6) {
		while (q < end && memchr(blanks, *q, sizeof(blanks) - 1))
			q++;
		if (q == end)
			break;
		field[n] = q;
		while (q < end && !memchr(blanks, *q, sizeof(blanks) - 1))
			q++;
		flen[n] = (size_t)(q - field[n]);
		n++;
	}
	if (n < 6 || flen[3] != 2 || memcmp(field[3], "IN", 2) != 0 || flen[4] != 3 || memcmp(field[4], "IP4", 3) != 0)
		return false;
	*addr = field[5];
	*alen = flen[5];
	return true;
}

/* A new body (malloc'd) whose first "o=" line carries public_ip; NULL when there is none. */
static char *sdp_origin_rewrite(const char *body, size_t len, const char *public_ip, size_t *out_len)
{
	const char *o = NULL, *end, *addr;
	size_t alen, plen = strlen(public_ip);
	char *out;

	for (const char *s = body; s && s < body + len; s = memchr(s, '\n', (size_t)(body + len - s)), s = s ? s + 1 : s)
		if ((size_t)(body + len - s) > 2 && s[0] == 'o' && s[1] == '=') {
			o = s;
			break;
		}
	if (!o)
		return NULL;
	/* A bare CR ends the line too: lenient readers take it so, and the address must not hide behind it. */
	for (end = o; end < body + len && *end != '\n' && *end != '\r'; end++)
		;
	if (!sdp_origin_addr(o + 2, end, &addr, &alen))
		return NULL;
	end = addr + alen;
	out = malloc(len - alen + plen + 1);
	if (!out)
		return NULL;
	memcpy(out, body, (size_t)(addr - body));
	memcpy(out + (addr - body), public_ip, plen);
	memcpy(out + (addr - body) + plen, end, (size_t)(body + len - end));
	*out_len = len - alen + plen;
	return out;
}

/* One SDP body (the whole body, or a part of a multipart one) gets public_ip in its o= line. */
static int sdp_origin_body(osip_message_t *m, osip_body_t *body, const char *public_ip)
{
	size_t new_len;
	char *nb;
	int rc;

	nb = sdp_origin_rewrite(body->body, body->length, public_ip, &new_len);
	if (!nb)
		return 0;
	rc = sipmsg_body_replace(m, body, nb, new_len);
	free(nb);
	return rc;
}

int siprw_sdp_origin(struct sip_pipeline *p, struct sip_ticket *t)
{
	osip_message_t *m = t->msg;
	char ip[INET_ADDRSTRLEN];
	/* libosip2 splits a multipart body into its parts, each with its own Content-Type. */
	bool multipart = m->content_type && m->content_type->type &&
			 strcasecmp(m->content_type->type, "multipart") == 0;
	int rc = 0;

	sip_ip_str(p->ctx.public_addr, ip, sizeof(ip));
	for (int i = 0; rc == 0 && i < osip_list_size(&m->bodies); i++) {
		osip_body_t *body = osip_list_get(&m->bodies, i);

		/*
		 * Every part of a multipart body: a part with a garbled type or first line is still
		 * read as SDP by some peer, and "o=... IN IP4 <address>" at a line start is SDP's alone.
		 */
		if (body && body->body && (multipart || sipmsg_is_sdp(m->content_type)))
			rc = sdp_origin_body(m, body, ip);
	}
	return rc;
}

static void self_uri(osip_uri_t *u, struct in_addr from, struct in_addr to)
{
	char ip[INET_ADDRSTRLEN];
	struct in_addr a;
	char *host;

	if (!u || !sipmsg_ipv4(u->host, &a) || a.s_addr != from.s_addr)
		return;
	host = osip_strdup(sip_ip_str(to, ip, sizeof(ip)));
	if (host) {
		osip_free(u->host);
		u->host = host;
	}
}

void siprw_self_uris(struct sip_pipeline *p, struct sip_ticket *t, bool toward_wan)
{
	struct in_addr lan = p->ctx.inbound, wan = p->ctx.public_addr;
	osip_message_t *m = t->msg;

	self_uri(m->from->url, toward_wan ? lan : wan, toward_wan ? wan : lan);
	self_uri(m->to->url, toward_wan ? lan : wan, toward_wan ? wan : lan);
}

/* Whether an address literal starts at s (not inside a longer number or address). */
static bool addr_token_at(const char *start, const char *s, size_t n)
{
	bool digit_before = s > start && (s[-1] == '.' || (s[-1] >= '0' && s[-1] <= '9'));
	bool digit_after = (s[n] >= '0' && s[n] <= '9') || (s[n] == '.' && s[n + 1] >= '0' && s[n + 1] <= '9');

	return !digit_before && !digit_after;
}

/*
 * Replaces every whole-token occurrence of the addresses in from[] in *text by to. The string is
 * osip-allocated; it is replaced only when something changed. Returns 0, or -1 (no memory).
 */
static int replace_addrs(char **text, const char *const from[], size_t nfrom, const char *to)
{
	size_t hits = 0, len, tolen = strlen(to);

	if (!*text)
		return 0;
	len = strlen(*text);
	for (size_t k = 0; k < nfrom; k++)
		for (const char *s = *text; (s = strstr(s, from[k])) != NULL; s += strlen(from[k]))
			hits += addr_token_at(*text, s, strlen(from[k]));
	if (hits == 0)
		return 0;
	char *out = osip_malloc(len + hits * tolen + 1), *w = out;
	if (!out)
		return -1;
	for (const char *s = *text; *s;) {
		size_t k, n = 0;

		for (k = 0; k < nfrom; k++) {
			n = strlen(from[k]);
			if (strncmp(s, from[k], n) == 0 && addr_token_at(*text, s, n))
				break;
		}
		if (k < nfrom) {
			memcpy(w, to, tolen);
			w += tolen;
			s += n;
		} else {
			*w++ = *s++;
		}
	}
	*w = '\0';
	osip_free(*text);
	*text = out;
	return 0;
}

static int replace_in_call_infos(osip_list_t *l, const char *const from[], size_t nfrom, const char *to)
{
	for (int i = 0; i < osip_list_size(l); i++) {
		osip_call_info_t *ci = osip_list_get(l, i);

		if (replace_addrs(&ci->element, from, nfrom, to) != 0)
			return -1;
	}
	return 0;
}

/*
 * Names and values of a parameter list. The one named keep stays as written: a From/To tag keys
 * the dialog and must come back as it was; a multipart boundary must match the body's delimiters.
 */
static int replace_in_params(osip_list_t *l, const char *keep, const char *const from[], size_t nfrom,
			     const char *to)
{
	for (int i = 0; i < osip_list_size(l); i++) {
		osip_generic_param_t *gp = osip_list_get(l, i);

		if (keep && gp->gname && osip_strcasecmp(gp->gname, keep) == 0)
			continue;
		if (replace_addrs(&gp->gname, from, nfrom, to) != 0 || replace_addrs(&gp->gvalue, from, nfrom, to) != 0)
			return -1;
	}
	return 0;
}

/*
 * A name-addr header (From, To, Contact): display name and header parameters, and with uri the
 * URI's user, password ("sip:user:secret@host", which osip splits off the user), host and parameters. A Contact URI is siprw_contact_masquerade()'s: the WAN sends
 * it back as the target of the dialog, so it is not touched here.
 */
static int replace_in_name_addr(osip_from_t *h, bool uri, const char *const from[], size_t nfrom,
				const char *to)
{
	if (!h)
		return 0;
	if (replace_addrs(&h->displayname, from, nfrom, to) != 0 ||
	    replace_in_params(&h->gen_params, uri ? "tag" : NULL, from, nfrom, to) != 0)
		return -1;
	if (uri && h->url &&
	    (replace_addrs(&h->url->username, from, nfrom, to) != 0 ||
	     replace_addrs(&h->url->password, from, nfrom, to) != 0 ||
	     replace_addrs(&h->url->host, from, nfrom, to) != 0 ||
	     replace_in_params(&h->url->url_params, NULL, from, nfrom, to) != 0 ||
	     replace_in_params(&h->url->url_headers, NULL, from, nfrom, to) != 0))
		return -1;
	return 0;
}

static int replace_in_media_type(osip_content_type_t *ct, const char *const from[], size_t nfrom, const char *to)
{
	if (!ct)
		return 0;
	if (replace_addrs(&ct->type, from, nfrom, to) != 0 || replace_addrs(&ct->subtype, from, nfrom, to) != 0 ||
	    replace_in_params(&ct->gen_params, "boundary", from, nfrom, to) != 0)
		return -1;
	return 0;
}

/*
 * The headers osip parses into their own fields rather than the list of other headers:
 * Content-Type, Accept, Accept-Encoding, Accept-Language, Allow, Content-Encoding, MIME-Version.
 */
static int replace_in_parsed_headers(osip_message_t *m, const char *const from[], size_t nfrom, const char *to)
{
	osip_list_t *const encodings[] = { &m->accept_encodings, &m->accept_languages };
	osip_list_t *const values[] = { &m->allows, &m->content_encodings };

	if (replace_in_media_type(m->content_type, from, nfrom, to) != 0 ||
	    (m->mime_version && replace_addrs(&m->mime_version->value, from, nfrom, to) != 0))
		return -1;
	for (int i = 0; i < osip_list_size(&m->accepts); i++)
		if (replace_in_media_type(osip_list_get(&m->accepts, i), from, nfrom, to) != 0)
			return -1;
	for (size_t k = 0; k < 2; k++)
		for (int i = 0; i < osip_list_size(encodings[k]); i++) {
			osip_accept_encoding_t *e = osip_list_get(encodings[k], i);

			if (replace_addrs(&e->element, from, nfrom, to) != 0 ||
			    replace_in_params(&e->gen_params, NULL, from, nfrom, to) != 0)
				return -1;
		}
	for (size_t k = 0; k < 2; k++)
		for (int i = 0; i < osip_list_size(values[k]); i++) {
			osip_content_length_t *v = osip_list_get(values[k], i);

			if (replace_addrs(&v->value, from, nfrom, to) != 0)
				return -1;
		}
	return 0;
}

int siprw_hide_lan_addrs(struct sip_pipeline *p, struct sip_ticket *t)
{
	char sender[INET_ADDRSTRLEN], inbound[INET_ADDRSTRLEN], pub[INET_ADDRSTRLEN];
	const char *from[2] = { sip_ip_str(t->from.addr.sin_addr, sender, sizeof(sender)),
				sip_ip_str(p->ctx.inbound, inbound, sizeof(inbound)) };
	size_t nfrom = strcmp(sender, inbound) == 0 ? 1 : 2;
	osip_message_t *m = t->msg;

	sip_ip_str(p->ctx.public_addr, pub, sizeof(pub));
	if (!(MSG_IS_REQUEST(m) && sipmsg_is_method(m, "REGISTER")) &&
	    (replace_in_name_addr(m->from, true, from, nfrom, pub) != 0 ||
	     replace_in_name_addr(m->to, true, from, nfrom, pub) != 0))
		return -1;
	/* The Contact URI host is siprw_contact_masquerade()'s; the rest is the phone's text. */
	for (int i = 0; i < osip_list_size(&m->contacts); i++)
		if (replace_in_name_addr(osip_list_get(&m->contacts, i), false, from, nfrom, pub) != 0)
			return -1;
	for (int i = 0; i < osip_list_size(&m->headers); i++) {
		osip_header_t *h = osip_list_get(&m->headers, i);

		if (replace_addrs(&h->hvalue, from, nfrom, pub) != 0)
			return -1;
	}
	if (replace_in_parsed_headers(m, from, nfrom, pub) != 0 ||
	    replace_in_call_infos(&m->call_infos, from, nfrom, pub) != 0 ||
	    replace_in_call_infos(&m->alert_infos, from, nfrom, pub) != 0 ||
	    replace_in_call_infos(&m->error_infos, from, nfrom, pub) != 0)
		return -1;
	return 0;
}

