/* SDP rewriting for the RTP relay: c=, o=, m= ports, a=rtcp, ICE removal, multipart bodies. */
#include "build_config.h"

#include "sdp_rewrite.h"

#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <osipparser2/osip_port.h>
#include <osipparser2/sdp_message.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What the checks found in one SDP, before anything is changed. */
struct sdp_plan {
	size_t n;
	struct rtp_media *media;
	uint16_t *ports;
	const char *reason;         /* why the SDP is unusable */
};

bool sdp_rewrite_applies(bool is_request, const char *method, int status, const char *cseq_method)
{
	static const char *const req[] = { "INVITE", "ACK", "PRACK", "UPDATE" };

	if (is_request) {
		for (size_t i = 0; method != NULL && i < sizeof(req) / sizeof(req[0]); i++)
			if (strcmp(method, req[i]) == 0)
				return true;
		return false;
	}
	/* PRACK too: RFC 3262 §5 answers an offer in a PRACK in its 200, which must not carry LAN addresses */
	return status >= 100 && status < 300 && cseq_method != NULL &&
		(strcmp(cseq_method, "INVITE") == 0 || strcmp(cseq_method, "UPDATE") == 0 ||
		 strcmp(cseq_method, "PRACK") == 0);
}

const char *sdp_rw_status_str(enum sdp_rw_status st)
{
	switch (st) {
	case SDP_RW_OK: return "ok";
	case SDP_RW_NONE: return "no SDP";
	case SDP_RW_ERR_SDP: return "unusable SDP";
	case SDP_RW_ERR_POOL: return "no RTP ports";
	case SDP_RW_ERR_NOMEM: return "out of memory";
	}
	return "?";
}

/* ---- checks ---- */

static int parse_port(const char *s, uint16_t *out)
{
	if (s == NULL || *s == '\0' || strlen(s) > 5)
		return -1;
	unsigned v = 0;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* A c= line the relay can use: IN IP4 with a unicast literal (or 0.0.0.0 for hold). */
static const char *check_conn(const sdp_connection_t *c, struct in_addr *addr)
{
	if (c->c_nettype == NULL || strcasecmp(c->c_nettype, "IN") != 0)
		return "c= network type is not IN";
	if (c->c_addrtype == NULL || strcasecmp(c->c_addrtype, "IP4") != 0)
		return "c= is not IPv4";
	if (c->c_addr == NULL || inet_pton(AF_INET, c->c_addr, addr) != 1)
		return "c= address is not an IPv4 literal";
	if ((ntohl(addr->s_addr) >> 28) == 0xe || c->c_addr_multicast_ttl != NULL)
		return "c= is multicast";
	return NULL;
}

static bool is_hold_attr(const char *field)
{
	return field != NULL && (strcmp(field, "sendonly") == 0 || strcmp(field, "recvonly") == 0 ||
		strcmp(field, "inactive") == 0);
}

static bool attrs_hold(const osip_list_t *attrs)
{
	for (int i = 0; i < osip_list_size(attrs); i++) {
		const sdp_attribute_t *a = osip_list_get(attrs, i);
		if (is_hold_attr(a->a_att_field))
			return true;
	}
	return false;
}

/* The clock of the first payload: rtpmap if given, else 8000 (the static audio types). */
static uint32_t media_clock(const sdp_media_t *m)
{
	const char *pt = osip_list_get(&m->m_payloads, 0);
	size_t ptlen = pt != NULL ? strlen(pt) : 0;
	for (int i = 0; ptlen != 0 && i < osip_list_size(&m->a_attributes); i++) {
		const sdp_attribute_t *a = osip_list_get(&m->a_attributes, i);
		const char *v = a->a_att_value;
		if (a->a_att_field == NULL || strcmp(a->a_att_field, "rtpmap") != 0 || v == NULL)
			continue;
		if (strncmp(v, pt, ptlen) != 0 || v[ptlen] != ' ')
			continue;
		const char *slash = strchr(v, '/');
		unsigned long clock = slash != NULL ? strtoul(slash + 1, NULL, 10) : 0;
		return clock > 0 && clock <= 1000000 ? (uint32_t)clock : 0;
	}
	return 0;
}

static const sdp_attribute_t *find_attr(const osip_list_t *attrs, const char *field)
{
	for (int i = 0; i < osip_list_size(attrs); i++) {
		const sdp_attribute_t *a = osip_list_get(attrs, i);
		if (a->a_att_field != NULL && strcmp(a->a_att_field, field) == 0)
			return a;
	}
	return NULL;
}

/* Fills plan->media from the SDP; -1 (unusable) or -2 (no memory) with plan->reason set. */
static int plan_media(sdp_message_t *sdp, struct sdp_plan *plan)
{
	struct in_addr sess_addr = { 0 };
	bool have_sess = sdp->c_connection != NULL;
	bool sess_hold = attrs_hold(&sdp->a_attributes);

	if (have_sess && (plan->reason = check_conn(sdp->c_connection, &sess_addr)) != NULL)
		return -1;
	if (sdp->o_addrtype != NULL && strcasecmp(sdp->o_addrtype, "IP4") != 0) {
		plan->reason = "o= is not IPv4";
		return -1;
	}
	plan->n = (size_t)osip_list_size(&sdp->m_medias);
	if (plan->n == 0) {
		plan->reason = "no m= line";
		return -1;
	}
	plan->media = calloc(plan->n, sizeof(*plan->media));
	plan->ports = calloc(plan->n, sizeof(*plan->ports));
	if (plan->media == NULL || plan->ports == NULL) {
		plan->reason = "out of memory";
		return -2;
	}
	for (size_t i = 0; i < plan->n; i++) {
		sdp_media_t *m = osip_list_get(&sdp->m_medias, (int)i);
		struct rtp_media *rm = &plan->media[i];
		uint16_t port;
		if (parse_port(m->m_port, &port) < 0) {
			plan->reason = "m= port is not a number";
			return -1;
		}
		if (m->m_number_of_port != NULL && strcmp(m->m_number_of_port, "1") != 0) {
			plan->reason = "m= with a port count";
			return -1;
		}
		if (port == 0)
			continue;          /* a disabled stream: left alone */
		const sdp_connection_t *mc = osip_list_get(&m->c_connections, 0);
		if (mc != NULL) {
			if ((plan->reason = check_conn(mc, &rm->addr)) != NULL)
				return -1;
		} else if (have_sess) {
			rm->addr = sess_addr;
		} else {
			plan->reason = "no c= line for an m= line";
			return -1;
		}
		rm->enabled = true;
		rm->rtp_port = port;
		rm->hold = sess_hold || attrs_hold(&m->a_attributes) || rm->addr.s_addr == INADDR_ANY;
		rm->clock_rate = media_clock(m);
		const sdp_attribute_t *rtcp = find_attr(&m->a_attributes, "rtcp");
		if (rtcp != NULL) {
			char num[8] = "";
			if (rtcp->a_att_value == NULL || sscanf(rtcp->a_att_value, "%7[0-9]", num) != 1 ||
			    parse_port(num, &rm->rtcp_port) < 0 || rm->rtcp_port == 0) {
				plan->reason = "a=rtcp: without a port";
				return -1;
			}
		}
	}
	return 0;
}

/* ---- changes ---- */

static int set_str(char **field, const char *value)
{
	char *v = osip_strdup(value);
	if (v == NULL)
		return -1;
	osip_free(*field);
	*field = v;
	return 0;
}

static bool is_ice_attr(const char *field)
{
	return field != NULL && (strcmp(field, "candidate") == 0 || strncmp(field, "ice-", 4) == 0 ||
		strcmp(field, "remote-candidates") == 0 || strcmp(field, "end-of-candidates") == 0);
}

/* The relay is the media path: candidates would let the phones try to bypass it. */
static void remove_ice(osip_list_t *attrs)
{
	for (int i = 0; i < osip_list_size(attrs);) {
		sdp_attribute_t *a = osip_list_get(attrs, i);
		if (is_ice_attr(a->a_att_field)) {
			osip_list_remove(attrs, i);
			sdp_attribute_free(a);
		} else {
			i++;
		}
	}
}

static int set_conn(sdp_connection_t *c, const char *addr)
{
	/* 0.0.0.0 is hold (RFC 2543): the other side must keep seeing it */
	if (c == NULL || c->c_addr == NULL || strcmp(c->c_addr, "0.0.0.0") == 0)
		return 0;
	return set_str(&c->c_addr, addr);
}

static int apply_plan(sdp_message_t *sdp, const struct sdp_plan *plan, struct in_addr our)
{
	char addr[INET_ADDRSTRLEN], num[8], rtcp_val[64];

	inet_ntop(AF_INET, &our, addr, sizeof(addr));
	if (set_conn(sdp->c_connection, addr) < 0)
		return -1;
	if (sdp->o_addr != NULL && set_str(&sdp->o_addr, addr) < 0)
		return -1;
	remove_ice(&sdp->a_attributes);
	for (size_t i = 0; i < plan->n; i++) {
		sdp_media_t *m = osip_list_get(&sdp->m_medias, (int)i);
		remove_ice(&m->a_attributes);
		/* a disabled stream gets no ports, but its c= and a=rtcp must not show the LAN either */
		bool enabled = plan->media[i].enabled;
		snprintf(num, sizeof(num), "%u", plan->ports[i]);
		if (enabled && set_str(&m->m_port, num) < 0)
			return -1;
		for (int k = 0; k < osip_list_size(&m->c_connections); k++)
			if (set_conn(osip_list_get(&m->c_connections, k), addr) < 0)
				return -1;
		sdp_attribute_t *rtcp = (sdp_attribute_t *)find_attr(&m->a_attributes, "rtcp");
		if (rtcp != NULL && rtcp->a_att_value != NULL) {
			/* keep the RFC 3605 form: with an address only if the phone gave one */
			unsigned port = enabled ? plan->ports[i] + 1u : (unsigned)strtoul(rtcp->a_att_value, NULL, 10);
			bool with_addr = strchr(rtcp->a_att_value, ' ') != NULL;
			if (with_addr)
				snprintf(rtcp_val, sizeof(rtcp_val), "%u IN IP4 %s", port, addr);
			else
				snprintf(rtcp_val, sizeof(rtcp_val), "%u", port);
			if (set_str(&rtcp->a_att_value, rtcp_val) < 0)
				return -1;
		}
	}
	return 0;
}

static enum sdp_rw_status fail(const struct sdp_rw_msg *msg, enum sdp_rw_status st, const char *reason)
{
	log_warn("sdp: Call-ID %s from the %s: %s (%s)", msg->call_id,
		msg->from == RTP_SIDE_LAN ? "LAN" : "WAN", sdp_rw_status_str(st), reason);
	return st;
}

/* Rewrites one SDP text of len bytes into a new malloc'ed string. */
static enum sdp_rw_status rewrite_sdp(struct rtp_relay *r, const struct sdp_rw_msg *msg,
	const char *text, size_t len, char **out)
{
	struct sdp_plan plan = { 0 };
	sdp_message_t *sdp = NULL;
	enum sdp_rw_status st = SDP_RW_OK;
	char *copy = malloc(len + 1), *str = NULL;

	*out = NULL;
	if (copy == NULL || sdp_message_init(&sdp) != 0) {
		st = fail(msg, SDP_RW_ERR_NOMEM, "parsing");
		goto done;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	if (memchr(text, '\0', len) != NULL || sdp_message_parse(sdp, copy) != 0) {
		st = fail(msg, SDP_RW_ERR_SDP, "not parseable");
		goto done;
	}
	int rc = plan_media(sdp, &plan);
	if (rc < 0) {
		st = fail(msg, rc == -2 ? SDP_RW_ERR_NOMEM : SDP_RW_ERR_SDP, plan.reason);
		goto done;
	}
	if (rtp_relay_sdp(r, msg->call_id, msg->leg, msg->from, plan.media, plan.n, plan.ports) < 0) {
		if (errno == ENOSPC)
			st = fail(msg, SDP_RW_ERR_POOL, "RTP port pool exhausted or ports not bindable");
		else if (errno == ENOMEM)
			st = fail(msg, SDP_RW_ERR_NOMEM, "relay session");
		else if (errno == E2BIG)
			st = fail(msg, SDP_RW_ERR_SDP, "more media streams than rtp_max_streams");
		else
			st = fail(msg, SDP_RW_ERR_SDP, "relay refused the session");
		goto done;
	}
	if (apply_plan(sdp, &plan, rtp_relay_sdp_addr(r, !msg->from)) < 0 ||
	    sdp_message_to_str(sdp, &str) != 0 || str == NULL) {
		st = fail(msg, SDP_RW_ERR_NOMEM, "writing the SDP");
		goto done;
	}
	/* osip's allocator may not be malloc: hand the caller a malloc'ed copy */
	*out = strdup(str);
	if (*out == NULL)
		st = fail(msg, SDP_RW_ERR_NOMEM, "writing the SDP");
done:
	osip_free(str);
	if (sdp != NULL)
		sdp_message_free(sdp);
	free(plan.media);
	free(plan.ports);
	free(copy);
	return st;
}

/* ---- bodies ---- */

static bool has_prefix_ci(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && strncasecmp(s, prefix, n) == 0;
}

/* Whether a Content-Type value (possibly with parameters) names the type. */
static bool type_is(const char *ct, size_t len, const char *type)
{
	while (len > 0 && (*ct == ' ' || *ct == '\t'))
		ct++, len--;
	size_t n = strlen(type);
	return has_prefix_ci(ct, len, type) &&
		(len == n || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t' || ct[n] == '\r' || ct[n] == '\n');
}

/* The boundary parameter of a multipart Content-Type; 0 when there is none usable. */
static size_t mp_boundary(const char *ct, char *buf, size_t size)
{
	const char *p = strcasestr(ct, "boundary=");
	if (p == NULL)
		return 0;
	p += strlen("boundary=");
	size_t n = 0;
	if (*p == '"') {
		p++;
		while (p[n] != '\0' && p[n] != '"')
			n++;
	} else {
		while (p[n] != '\0' && p[n] != ';' && p[n] != ' ' && p[n] != '\t')
			n++;
	}
	/* RFC 2046 limits a boundary to 70 characters */
	if (n == 0 || n > 70 || n + 3 > size)
		return 0;
	buf[0] = '-';
	buf[1] = '-';
	memcpy(buf + 2, p, n);
	buf[n + 2] = '\0';
	return n + 2;
}

/* The next delimiter line at or after `from` (at the body's start or after a newline). */
static const char *mp_next_delim(const char *body, size_t len, const char *from, const char *delim, size_t dlen)
{
	const char *end = body + len;
	while (from < end) {
		const char *p = memmem(from, (size_t)(end - from), delim, dlen);
		if (p == NULL)
			return NULL;
		if (p == body || p[-1] == '\n')
			return p;
		from = p + 1;
	}
	return NULL;
}

/* Where the part's body starts (after the blank line), and whether its Content-Type is SDP. */
static const char *mp_part_body(const char *part, const char *end, bool *is_sdp)
{
	const char *line = part;
	*is_sdp = false;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			return NULL;
		size_t llen = (size_t)(nl - line);
		if (llen == 0 || (llen == 1 && line[0] == '\r'))
			return nl + 1;
		if (has_prefix_ci(line, llen, "content-type:"))
			*is_sdp = type_is(line + 13, llen - 13, "application/sdp");
		else if (has_prefix_ci(line, llen, "c:"))
			*is_sdp = type_is(line + 2, llen - 2, "application/sdp");
		line = nl + 1;
	}
	return NULL;
}

/* Finds the first application/sdp part: its body is [*start, *stop). Returns -1 when none. */
static int mp_find_sdp(const struct sdp_rw_msg *msg, const char **start, const char **stop)
{
	char delim[80];
	size_t dlen = mp_boundary(msg->content_type, delim, sizeof(delim));
	const char *body = msg->body, *end = msg->body + msg->len;
	if (dlen == 0)
		return -1;
	const char *d = mp_next_delim(body, msg->len, body, delim, dlen);
	while (d != NULL) {
		const char *after = d + dlen;
		if (end - after >= 2 && after[0] == '-' && after[1] == '-')
			return -1;     /* the closing delimiter */
		const char *nl = memchr(after, '\n', (size_t)(end - after));
		if (nl == NULL)
			return -1;
		const char *next = mp_next_delim(body, msg->len, nl + 1, delim, dlen);
		if (next == NULL)
			return -1;
		/* the newline before the next delimiter belongs to the delimiter */
		const char *part_end = next;
		if (part_end > nl + 1 && part_end[-1] == '\n')
			part_end--;
		if (part_end > nl + 1 && part_end[-1] == '\r')
			part_end--;
		bool is_sdp;
		const char *pb = mp_part_body(nl + 1, part_end, &is_sdp);
		if (pb != NULL && is_sdp) {
			*start = pb;
			*stop = part_end;
			return 0;
		}
		d = next;
	}
	return -1;
}

enum sdp_rw_status sdp_rewrite(struct rtp_relay *r, const struct sdp_rw_msg *msg, char **out, size_t *out_len)
{
	const char *start = msg->body, *stop = msg->body + msg->len;
	const char *ct = msg->content_type;
	char *sdp = NULL;

	*out = NULL;
	*out_len = 0;
	if (msg->body == NULL || msg->len == 0)
		return SDP_RW_NONE;
	if (ct != NULL && has_prefix_ci(ct, strlen(ct), "multipart/")) {
		if (mp_find_sdp(msg, &start, &stop) < 0)
			return SDP_RW_NONE;
	} else if (ct != NULL && !type_is(ct, strlen(ct), "application/sdp")) {
		return SDP_RW_NONE;
	}
	enum sdp_rw_status st = rewrite_sdp(r, msg, start, (size_t)(stop - start), &sdp);
	if (st != SDP_RW_OK)
		return st;
	size_t head = (size_t)(start - msg->body), tail = (size_t)(msg->body + msg->len - stop);
	size_t n = strlen(sdp);
	/* osip ends the SDP with CRLF; a multipart part without one keeps the layout around it */
	if (tail > 0 && stop[-1] != '\n' && n >= 2 && sdp[n - 2] == '\r' && sdp[n - 1] == '\n')
		n -= 2;
	char *body = malloc(head + n + tail + 1);
	if (body == NULL) {
		free(sdp);
		return fail(msg, SDP_RW_ERR_NOMEM, "assembling the body");
	}
	memcpy(body, msg->body, head);
	memcpy(body + head, sdp, n);
	memcpy(body + head + n, stop, tail);
	body[head + n + tail] = '\0';
	free(sdp);
	*out = body;
	*out_len = head + n + tail;
	return SDP_RW_OK;
}
