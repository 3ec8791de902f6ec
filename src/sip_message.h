/* Thin helpers over libosip2: parsing, serialising, header access, URIs and Via parameters. */
#ifndef SIPROXD_SIP_MESSAGE_H
#define SIPROXD_SIP_MESSAGE_H

#include <osipparser2/osip_message.h>
#include <osipparser2/osip_parser.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Initialises libosip2's parser tables once per process. */
void sipmsg_init(void);

/* Does buf parse as a SIP message? libosip2 accepts text it cannot write back the same way. */
bool sipmsg_parses(const char *buf, size_t len);

/* Parses buf (not NUL-terminated). Returns the message or NULL. */
osip_message_t *sipmsg_parse(const char *buf, size_t len);
/* Serialises m after any change; *out is freed with osip_free(). Returns 0 or -1. */
int sipmsg_serialize(osip_message_t *m, char **out, size_t *len);

bool sipmsg_is_method(const osip_message_t *m, const char *method);
/* The CSeq method (for responses: the method answered), or "". */
const char *sipmsg_cseq_method(const osip_message_t *m);
const char *sipmsg_call_id(const osip_message_t *m, char *buf, size_t size);

/* Value of the first generic header called name (case-insensitive), or NULL. */
const char *sipmsg_header(const osip_message_t *m, const char *name);
/* Replaces the value of the first header called name, or adds it. Returns 0 or -1. */
int sipmsg_header_set(osip_message_t *m, const char *name, const char *value);

/* "sip:user@host:port;params" in buf; returns buf, or NULL when it does not fit or uri is NULL. */
const char *sipmsg_uri_str(const osip_uri_t *uri, char *buf, size_t size);
/* Port of a URI or Via port string: 5060 when absent, 0 when invalid. */
uint16_t sipmsg_port(const char *port);
/* Parses a dotted IPv4 literal; false for names. */
bool sipmsg_ipv4(const char *host, struct in_addr *out);
/* A URI / generic parameter value ("" for a flag), or NULL when absent. */
const char *sipmsg_uri_param(const osip_uri_t *uri, const char *name);
const char *sipmsg_via_param(const osip_via_t *via, const char *name);

/* Via list: insert a parsed header value at the top, remove the top. Return 0 or -1. */
int sipmsg_via_push(osip_message_t *m, const char *value);
void sipmsg_via_pop(osip_message_t *m);
size_t sipmsg_via_count(const osip_message_t *m);

/* The Expires header as a number, or -1 when absent or invalid. */
long sipmsg_expires_header(const osip_message_t *m);
/* The expires parameter of a Contact, or -1 when absent or invalid. */
long sipmsg_contact_expires(const osip_contact_t *c);

/*
 * Replaces the text of body (one part of m) with a copy of buf; Content-Length follows when m is
 * serialised. Returns 0 or -1.
 */
int sipmsg_body_replace(osip_message_t *m, osip_body_t *body, const char *buf, size_t len);
/* Is this content type application/sdp? */
bool sipmsg_is_sdp(const osip_content_type_t *ct);

/* Parses a non-negative decimal that fits in long; -1 otherwise. */
long sipmsg_number(const char *s);
/* The Call-ID number becomes <number><mark><suffix>. Returns 0, or -1 when out of memory. */
int sipmsg_callid_append(osip_call_id_t *c, const char *mark, const char *suffix);

#endif
