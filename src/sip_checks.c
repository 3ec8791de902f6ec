/* Sanity checks before and after parsing (reference §11, without its faults), Max-Forwards and loops. */
#include "build_config.h"
#include "sip_checks.h"

#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "sip_message.h"

/* No header line of a sane message is longer; longer ones are an attack on the parser. */
#define SIPCHK_MAX_LINE 4096
#define SIPCHK_MIN_LEN 16

static bool raw_is_blank(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != '\r' && buf[i] != '\n' && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\0')
			return false;
	return true;
}

/*
 * "METHOD URI SIP/2.0" or "SIP/2.0 CODE REASON": words that are not empty, one space apart (an
 * empty Request-URI once sent libosip2 into a loop). A reason phrase may be empty or hold spaces.
 */
static bool raw_first_line_ok(const char *buf, size_t len)
{
	const char *eol = memchr(buf, '\n', len);
	bool response = len > 8 && memcmp(buf, "SIP/2.0 ", 8) == 0;
	size_t n, words = 0, i = 0;

	if (!eol)
		return false;
	n = (size_t)(eol - buf);
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	while (words < 3) {
		size_t start = i;

		while (i < n && buf[i] != ' ')
			i++;
		if (i == start)
			return false;
		if (++words == 2 && response)
			return true;
		if (i == n)
			break;
		i++;
	}
	return words == 3;
}

/* The line at s (up to end), without its line break; returns where the next line starts. */
static const char *raw_line(const char *s, const char *end, size_t *n)
{
	const char *nl = memchr(s, '\n', (size_t)(end - s));
	const char *stop = nl ? nl : end;

	*n = (size_t)(stop - s);
	if (*n > 0 && s[*n - 1] == '\r')
		(*n)--;
	return nl ? nl + 1 : end;
}

/* A control character (other than tab) in header text: no SIP or MIME header has one. */
static bool raw_has_ctl(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return true;
	}
	return false;
}

/* "name: value" with an RFC 3261 token as name (a folded continuation line starts with a blank). */
static bool raw_header_line_ok(const char *s, size_t n)
{
	size_t i = 0;

	if (s[0] == ' ' || s[0] == '\t')
		return true;
	while (i < n && (isalnum((unsigned char)s[i]) || strchr("-.!%*_+`'~", s[i]) != NULL))
		i++;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i > 0 && i < n && s[i] == ':';
}

/*
 * The multipart boundary named in the header block (the Content-Type's boundary parameter, quoted
 * or not), copied to out; false when there is none: then libosip2 parses no body parts either.
 */
static bool raw_boundary(const char *head, size_t len, char *out, size_t size)
{
	const char *end = head + len, *s = head;
	size_t n;

	while (s < end) {
		const char *line = s, *p, *lend;

		s = raw_line(s, end, &n);
		lend = line + n;
		if (!((n >= 13 && strncasecmp(line, "content-type:", 13) == 0) ||
		      (n >= 2 && strncasecmp(line, "c:", 2) == 0)))
			continue;
		const char *eq = NULL;
		for (p = line; !eq && p + 8 <= lend; p++) {
			if (strncasecmp(p, "boundary", 8) != 0)
				continue;
			const char *q = p + 8;
			while (q < lend && (*q == ' ' || *q == '\t'))
				q++;
			if (q < lend && *q == '=')
				eq = q;
		}
		if (!eq)
			continue;
		p = eq + 1;
		while (p < lend && (*p == ' ' || *p == '\t'))
			p++;
		bool quoted = p < lend && *p == '"';
		p += quoted;
		size_t k = 0;
		/* A control character ends it too: libosip2 ends the header line at a lone CR. */
		while (p < lend && k + 1 < size && (unsigned char)*p >= 0x20 && *p != 0x7f &&
		       (quoted ? *p != '"' : (*p != ';' && *p != ' ')))
			out[k++] = *p++;
		out[k] = '\0';
		return k > 0;
	}
	return false;
}

/*
 * The header block of a body part (after a "--boundary" line) that libosip2 would mishandle: two
 * Content-Type headers (valid MIME has one; libosip2 loses the first one's memory when it meets
 * the second, and any header whose name begins with "Content-Type" counts), a control character
 * or a line that is no header (libosip2 loses a half-parsed Content-Type). Each is a leak any peer
 * could repeat with every packet. Returns the reason, or NULL.
 */
static const char *raw_part_headers_bad(const char *head, size_t head_len, const char *body, const char *end)
{
	char boundary[256];
	const char *s = body;
	size_t n, blen;

	if (!raw_boundary(head, head_len, boundary, sizeof(boundary)))
		return NULL;
	blen = strlen(boundary);
	while (s < end) {
		const char *line = s;
		unsigned types = 0;

		s = raw_line(s, end, &n);
		if (n < 2 + blen || memcmp(line, "--", 2) != 0 || memcmp(line + 2, boundary, blen) != 0)
			continue;
		while (s < end) {
			line = s;
			s = raw_line(s, end, &n);
			if (n == 0)
				break;
			if (raw_has_ctl(line, n))
				return "a control character in a body part's header";
			if (!raw_header_line_ok(line, n))
				return "a malformed header in a body part";
			/* libosip2 compares only the first 12 characters of a part's header name. */
			if (n >= 12 && strncasecmp(line, "content-type", 12) == 0 && ++types > 1)
				return "a body part with two Content-Type headers";
		}
	}
	return NULL;
}

/*
 * Every line of the header (up to the first empty line, CRLF or LF) after the start line is a
 * header or a folded continuation: libosip2 turns a line such as "Via> x" into odd header values
 * that no check downstream can see through.
 */
static bool raw_headers_ok(const char *buf, const char *end)
{
	size_t n;
	const char *s = raw_line(buf, end, &n);

	while (s < end) {
		const char *line = s;

		s = raw_line(s, end, &n);
		if (n == 0)
			return true;
		if (!raw_header_line_ok(line, n))
			return false;
	}
	return true;
}

enum sipchk_raw_result sipchk_raw(const char *buf, size_t len, const char **why)
{
	size_t line = 0, head_end = len;
	const char *end;

	if (raw_is_blank(buf, len))
		return SIPCHK_RAW_KEEPALIVE;
	if (len < SIPCHK_MIN_LEN) {
		*why = "shorter than 16 bytes";
		return SIPCHK_RAW_BAD;
	}
	if (!raw_first_line_ok(buf, len)) {
		*why = "malformed first line";
		return SIPCHK_RAW_BAD;
	}
	end = memmem(buf, len, "\r\n\r\n", 4);
	if (end)
		head_end = (size_t)(end - buf);
	for (size_t i = 0; i < head_end; i++) {
		if (buf[i] == '\0') {
			*why = "NUL byte in the header";
			return SIPCHK_RAW_BAD;
		}
		/* libosip2 ends a line at a lone CR, which would hide a line from these checks. */
		if (buf[i] == '\r' && (i + 1 >= len || buf[i + 1] != '\n')) {
			*why = "a CR without LF in the header";
			return SIPCHK_RAW_BAD;
		}
		line = buf[i] == '\n' ? 0 : line + 1;
		if (line > SIPCHK_MAX_LINE) {
			*why = "header line longer than 4096 bytes";
			return SIPCHK_RAW_BAD;
		}
	}
	if (!raw_headers_ok(buf, buf + len)) {
		*why = "a header line that is not 'name: value'";
		return SIPCHK_RAW_BAD;
	}
	/*
	 * The parts are looked for in the whole message, not only after the first CRLFCRLF: libosip2
	 * ends the header elsewhere too (a CRLF then a lone CR), and its body then starts earlier.
	 */
	if ((*why = raw_part_headers_bad(buf, head_end, buf, buf + len)) != NULL)
		return SIPCHK_RAW_BAD;
	return SIPCHK_RAW_OK;
}

/* A host we could send to or name in a header: a token of name characters, or an IPv6 reference. */
static bool host_ok(const char *h)
{
	size_t n = h ? strlen(h) : 0;

	if (n == 0 || n > 255)
		return false;
	if (h[0] == '[')
		return n > 2 && h[n - 1] == ']' && strspn(h + 1, "0123456789abcdefABCDEF:.") == n - 2;
	return strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == n;
}

/* An RFC 3261 token, as a media type and subtype must be. */
static bool token_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~") == n;
}

/*
 * Media type parameters are "name=value" (RFC 3261 m-parameter). libosip2 cannot write one without
 * a value: it leaves "Content-Type: " unfinished and the next header line runs into it. One
 * boundary at most.
 */
static bool media_params_ok(const osip_list_t *params)
{
	int boundaries = 0;

	for (int i = 0; i < osip_list_size(params); i++) {
		const osip_generic_param_t *gp = osip_list_get(params, i);

		if (!gp || !gp->gname || !gp->gname[0] || !gp->gvalue || !gp->gvalue[0])
			return false;
		/* Two boundaries: which one delimits the parts is anybody's guess (and both pass unchanged). */
		if (strcasecmp(gp->gname, "boundary") == 0 && ++boundaries > 1)
			return false;
	}
	return true;
}

/* Absent, or a number 1..65535 (an empty port, as in "host:", serialises into text no parser takes). */
static bool port_ok(const char *port)
{
	return !port || (port[0] && sipmsg_port(port) != 0);
}

static bool uri_ok(const osip_uri_t *u)
{
	return u && host_ok(u->host) && port_ok(u->port);
}

bool sipchk_via_ok(const osip_via_t *via)
{
	osip_via_t *again = NULL;
	char *s = NULL;
	bool ok;

	if (!via || !via->protocol || !host_ok(via->host) || !port_ok(via->port) ||
	    osip_via_to_str(via, &s) != 0)
		return false;
	/* What we copy into a response or keep in a relayed request must read back as a Via. */
	ok = osip_via_init(&again) == 0 && osip_via_parse(again, s) == 0 && again->host &&
	     strcmp(again->host, via->host) == 0;
	osip_via_free(again);
	osip_free(s);
	return ok;
}

int sipchk_parsed(const osip_message_t *m, const char **why)
{
	bool req = MSG_IS_REQUEST(m);
	int bad = req ? 400 : -1;
	size_t vias = sipmsg_via_count(m);

	if (vias == 0) {
		*why = "no Via";
		return -1;
	}
	/* Without a usable top Via there is nowhere sane to answer; broken lower ones get a 400. */
	if (!sipchk_via_ok(osip_list_get(&m->vias, 0))) {
		*why = "unusable top Via";
		return -1;
	}
	for (size_t i = 1; i < vias; i++)
		if (!sipchk_via_ok(osip_list_get(&m->vias, (int)i))) {
			*why = "unusable Via";
			return bad;
		}
	if (!m->call_id || !m->call_id->number || !m->call_id->number[0]) {
		*why = "no Call-ID";
		return bad;
	}
	if (!m->cseq || !m->cseq->method || sipmsg_number(m->cseq->number) < 0) {
		*why = "bad CSeq";
		return bad;
	}
	if (!m->from || !uri_ok(m->from->url) || !m->to || !uri_ok(m->to->url)) {
		*why = "From or To without a usable host and port";
		return bad;
	}
	if (m->content_type && (!token_ok(m->content_type->type) || !token_ok(m->content_type->subtype) ||
				!media_params_ok(&m->content_type->gen_params))) {
		*why = "unusable Content-Type";
		return bad;
	}
	for (int i = 0; i < osip_list_size(&m->contacts); i++) {
		const osip_contact_t *c = osip_list_get(&m->contacts, i);

		/* "Contact: *" has no URI. */
		if (c && c->url && !uri_ok(c->url)) {
			*why = "Contact without a usable host and port";
			return bad;
		}
	}
	if (!req)
		return 0;
	if (!m->sip_method || strcmp(m->sip_method, m->cseq->method) != 0) {
		*why = "CSeq method differs from the request method";
		return 400;
	}
	if (!m->req_uri || !m->req_uri->scheme || strcasecmp(m->req_uri->scheme, "sip") != 0 ||
	    !uri_ok(m->req_uri)) {
		*why = "Request-URI is not a sip: URI with a usable host and port";
		return 416;
	}
	return 0;
}

int sipchk_max_forwards(const osip_message_t *m)
{
	const char *v = sipmsg_header(m, "max-forwards");
	long n = sipmsg_number(v);

	if (!v || n < 0 || n > 255 || n > 0)
		return 0;
	return sipmsg_is_method(m, "OPTIONS") ? 200 : 483;
}

bool sipchk_loop(const struct sip_pipeline *p, const osip_message_t *m)
{
	size_t own = 0, n = sipmsg_via_count(m);

	/* The hairpin phone → us → registrar → us → phone legitimately passes us twice. */
	for (size_t i = 1; i < n; i++) {
		osip_via_t *via = osip_list_get(&m->vias, (int)i);

		if (via && sip_is_me(p, via->host, via->port))
			own++;
	}
	return own > 2;
}
