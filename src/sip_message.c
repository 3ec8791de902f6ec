/* Thin helpers over libosip2: parsing, serialising, header access, URIs and Via parameters. */
#include "build_config.h"
#include "sip_message.h"

#include <arpa/inet.h>
#include <osipparser2/osip_port.h>
#include <stdarg.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

/* libosip2's own complaints about a message go to our log as SIP debug lines, not to stderr. */
static void sipmsg_trace(const char *file, int line, osip_trace_level_t level, const char *fmt, va_list ap)
{
	(void)level;
	if (log_debug_on(DBCLASS_SIP))
		log_vmsg(LOG_LVL_DEBUG, DBCLASS_SIP, file, line, fmt, ap);
}

void sipmsg_init(void)
{
	static bool done;

	if (!done) {
		parser_init();
		osip_trace_initialize_func(OSIP_INFO1, sipmsg_trace);
		done = true;
	}
}

osip_message_t *sipmsg_parse(const char *buf, size_t len)
{
	osip_message_t *m;

	if (osip_message_init(&m) != 0)
		return NULL;
	if (osip_message_parse(m, buf, len) != 0) {
		osip_message_free(m);
		return NULL;
	}
	return m;
}

bool sipmsg_parses(const char *buf, size_t len)
{
	osip_message_t *m = sipmsg_parse(buf, len);

	if (!m)
		return false;
	osip_message_free(m);
	return true;
}

int sipmsg_serialize(osip_message_t *m, char **out, size_t *len)
{
	/* libosip2 would hand back the original text unless told that the structure changed. */
	char *cl, *digits;

	osip_message_force_update(m);
	if (osip_message_to_str(m, out, len) != 0)
		return -1;
	/* libosip2 pads the Content-Length it fills in ("Content-Length:    96"); some phones choke. */
	cl = strstr(*out, "\r\nContent-Length: ");
	if (cl) {
		cl += strlen("\r\nContent-Length: ");
		for (digits = cl; *digits == ' '; digits++)
			;
		if (digits > cl) {
			memmove(cl, digits, *len - (size_t)(digits - *out) + 1);
			*len -= (size_t)(digits - cl);
		}
	}
	return 0;
}

bool sipmsg_is_method(const osip_message_t *m, const char *method)
{
	return MSG_IS_REQUEST(m) && m->sip_method && strcmp(m->sip_method, method) == 0;
}

const char *sipmsg_cseq_method(const osip_message_t *m)
{
	return m->cseq && m->cseq->method ? m->cseq->method : "";
}

const char *sipmsg_call_id(const osip_message_t *m, char *buf, size_t size)
{
	const char *num = m->call_id && m->call_id->number ? m->call_id->number : "";
	const char *host = m->call_id ? m->call_id->host : NULL;

	snprintf(buf, size, "%s%s%s", num, host ? "@" : "", host ? host : "");
	return buf;
}

const char *sipmsg_header(const osip_message_t *m, const char *name)
{
	osip_header_t *h = NULL;

	if (osip_message_header_get_byname(m, name, 0, &h) < 0 || !h)
		return NULL;
	return h->hvalue;
}

int sipmsg_header_set(osip_message_t *m, const char *name, const char *value)
{
	osip_header_t *h = NULL;

	if (osip_message_header_get_byname(m, name, 0, &h) >= 0 && h) {
		char *v = osip_strdup(value);

		char *n = osip_strdup(name);

		if (!v || !n) {
			osip_free(v);
			osip_free(n);
			return -1;
		}
		osip_free(h->hvalue);
		h->hvalue = v;
		/* libosip2 keeps parsed names in lower case; ours read as the RFC writes them. */
		osip_free(h->hname);
		h->hname = n;
		return 0;
	}
	return osip_message_set_header(m, name, value) == 0 ? 0 : -1;
}

const char *sipmsg_uri_str(const osip_uri_t *uri, char *buf, size_t size)
{
	char *s = NULL;
	size_t n;

	if (!uri || osip_uri_to_str(uri, &s) != 0 || !s)
		return NULL;
	n = strlen(s);
	if (n >= size) {
		osip_free(s);
		return NULL;
	}
	memcpy(buf, s, n + 1);
	osip_free(s);
	return buf;
}

int sipmsg_body_replace(osip_message_t *m, osip_body_t *body, const char *buf, size_t len)
{
	/* A buffer with a length, not a string: SDP may carry NUL bytes. */
	char *copy = osip_malloc(len + 1);

	if (!copy)
		return -1;
	memcpy(copy, buf, len);
	copy[len] = '\0';
	osip_free(body->body);
	body->body = copy;
	body->length = len;
	/* libosip2 writes the length it serialises when the header is absent. */
	osip_content_length_free(m->content_length);
	m->content_length = NULL;
	return 0;
}

bool sipmsg_is_sdp(const osip_content_type_t *ct)
{
	return ct && ct->type && ct->subtype && strcasecmp(ct->type, "application") == 0 &&
	       strcasecmp(ct->subtype, "sdp") == 0;
}

long sipmsg_number(const char *s)
{
	char *end;
	long v;

	if (!s)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (errno != 0 || *end != '\0')
		return -1;
	return v;
}

uint16_t sipmsg_port(const char *port)
{
	long v;

	if (!port || !*port)
		return 5060;
	v = sipmsg_number(port);
	return v > 0 && v <= 65535 ? (uint16_t)v : 0;
}

bool sipmsg_ipv4(const char *host, struct in_addr *out)
{
	return host && inet_pton(AF_INET, host, out) == 1;
}

const char *sipmsg_uri_param(const osip_uri_t *uri, const char *name)
{
	osip_uri_param_t *p = NULL;

	if (!uri || osip_uri_param_get_byname((osip_list_t *)&uri->url_params, (char *)name, &p) != 0 || !p)
		return NULL;
	return p->gvalue ? p->gvalue : "";
}

const char *sipmsg_via_param(const osip_via_t *via, const char *name)
{
	osip_generic_param_t *p = NULL;

	if (!via || osip_via_param_get_byname((osip_via_t *)via, (char *)name, &p) != 0 || !p)
		return NULL;
	return p->gvalue ? p->gvalue : "";
}

int sipmsg_via_push(osip_message_t *m, const char *value)
{
	osip_via_t *via;

	if (osip_via_init(&via) != 0)
		return -1;
	if (osip_via_parse(via, value) != 0 || osip_list_add(&m->vias, via, 0) < 0) {
		osip_via_free(via);
		return -1;
	}
	return 0;
}

void sipmsg_via_pop(osip_message_t *m)
{
	osip_via_t *via = osip_list_get(&m->vias, 0);

	if (via) {
		osip_list_remove(&m->vias, 0);
		osip_via_free(via);
	}
}

size_t sipmsg_via_count(const osip_message_t *m)
{
	int n = osip_list_size(&m->vias);

	return n > 0 ? (size_t)n : 0;
}

long sipmsg_expires_header(const osip_message_t *m)
{
	return sipmsg_number(sipmsg_header(m, "expires"));
}

long sipmsg_contact_expires(const osip_contact_t *c)
{
	osip_generic_param_t *p = NULL;

	if (osip_contact_param_get_byname((osip_contact_t *)c, "expires", &p) != 0 || !p)
		return -1;
	return sipmsg_number(p->gvalue);
}

int sipmsg_callid_append(osip_call_id_t *c, const char *mark, const char *suffix)
{
	size_t n = strlen(c->number) + strlen(mark) + strlen(suffix) + 1;
	char *num = osip_malloc(n);

	if (!num)
		return -1;
	snprintf(num, n, "%s%s%s", c->number, mark, suffix);
	osip_free(c->number);
	c->number = num;
	return 0;
}
