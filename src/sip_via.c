/* Via handling: received/rport, our Via with its RFC 3261 §16.11 branch, and the phones' Vias hidden from the WAN. */
#include "build_config.h"
#include "sip_via.h"

#include <arpa/inet.h>
#include <osipparser2/osip_md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "sip_message.h"
#include "sip_obscure.h"
#include "via_stash.h"

/* Longest Via or URI text we handle. */
#define SIPVIA_MAX 1024

int sipvia_received(struct sip_ticket *t)
{
	osip_via_t *via = osip_list_get(&t->msg->vias, 0);
	osip_generic_param_t *rport = NULL, *received;
	char ip[INET_ADDRSTRLEN], port[8];
	struct in_addr sent_by;
	bool moved;

	if (!via)
		return -1;
	osip_via_param_get_byname(via, "rport", &rport);
	/* Over TCP the response must find the connection again, and we keep no state: as if asked. */
	if (!rport && t->from.proto == SIP_PROTO_TCP) {
		osip_generic_param_add(&via->via_params, osip_strdup("rport"), NULL);
		osip_via_param_get_byname(via, "rport", &rport);
	}
	/*
	 * Values the sender put there itself are overwritten, not believed: responses follow them,
	 * and a forged received=10.x would send one into the LAN from the WAN side.
	 */
	if (rport) {
		snprintf(port, sizeof(port), "%u", ntohs(t->from.addr.sin_port));
		osip_free(rport->gvalue);
		rport->gvalue = osip_strdup(port);
	}
	/* RFC 3581 wants received with rport even when the address is the same. */
	moved = !sipmsg_ipv4(via->host, &sent_by) || sent_by.s_addr != t->from.addr.sin_addr.s_addr;
	received = NULL;
	osip_via_param_get_byname(via, "received", &received);
	if (received) {
		osip_free(received->gvalue);
		received->gvalue = osip_strdup(sip_ip_str(t->from.addr.sin_addr, ip, sizeof(ip)));
	} else if (moved || rport) {
		osip_via_set_received(via, osip_strdup(sip_ip_str(t->from.addr.sin_addr, ip, sizeof(ip))));
	}
	return 0;
}

static void md5_add(osip_MD5_CTX *ctx, const char *s)
{
	if (s)
		osip_MD5Update(ctx, (unsigned char *)s, (unsigned int)strlen(s));
	osip_MD5Update(ctx, (unsigned char *)"|", 1);
}

/* "z9hG4bK" and the digest in lower-case hex, cut to fit size; one snprintf per byte cost more than the digest. */
static void branch_text(const unsigned char *d, size_t dlen, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	static const char magic[] = "z9hG4bK";
	size_t n = 0;

	if (size == 0)
		return;
	for (; n < sizeof(magic) - 1 && n + 1 < size; n++)
		out[n] = magic[n];
	for (size_t i = 0; i < dlen && n + 2 < size; i++) {
		out[n++] = hex[d[i] >> 4];
		out[n++] = hex[d[i] & 0xf];
	}
	out[n] = '\0';
}

/*
 * RFC 3261 §16.11 stateless branch: a function of the received branch (or of the fields that
 * identify the transaction when the sender is pre-3261), so that retransmissions, CANCEL and a
 * non-2xx ACK get the same branch as the request they belong to.
 */
static void via_branch(const struct sip_ticket *t, char *out, size_t size)
{
	const osip_message_t *m = t->msg;
	osip_via_t *top = osip_list_get(&m->vias, 0);
	const char *br = sipmsg_via_param(top, "branch");
	osip_generic_param_t *tag;
	unsigned char d[16];
	char uri[SIPVIA_MAX], *vs = NULL;
	osip_MD5_CTX ctx;

	osip_MD5Init(&ctx);
	if (br && strncmp(br, "z9hG4bK", 7) == 0) {
		md5_add(&ctx, br);
	} else {
		if (top && osip_via_to_str(top, &vs) == 0)
			md5_add(&ctx, vs);
		osip_free(vs);
		tag = NULL;
		osip_to_get_tag(m->to, &tag);
		md5_add(&ctx, tag ? tag->gvalue : NULL);
		tag = NULL;
		osip_from_get_tag(m->from, &tag);
		md5_add(&ctx, tag ? tag->gvalue : NULL);
		md5_add(&ctx, t->call_id);
		md5_add(&ctx, m->cseq->number);
		md5_add(&ctx, sipmsg_uri_str(m->req_uri, uri, sizeof(uri)));
	}
	osip_MD5Final(d, &ctx);
	branch_text(d, sizeof(d), out, size);
}

/*
 * How long responses may come: 64*T1 (Timer F) for most requests; an INVITE may ring for Timer C
 * (more than 3 minutes) before its final response.
 */
static int64_t via_ttl(const osip_message_t *m)
{
	return sipmsg_is_method(m, "INVITE") ? 200 : 64;
}

/*
 * Keeps every Via in the stash as lines, under our branch; hide also takes them out of the
 * message. The response then gets exactly these Vias back, whatever its sender put below ours.
 */
static int via_keep(struct sip_pipeline *p, struct sip_ticket *t, const char *branch, bool hide)
{
	osip_list_t *l = &t->msg->vias;
	char local[SIPVIA_MAX];      /* enough for the usual one or two Vias; longer stacks go to the heap */
	size_t cap = sizeof(local), used = 0;
	char *lines = local, *v;
	int rc = -1;

	lines[0] = '\0';
	for (int i = 0; i < osip_list_size(l); i++) {
		size_t n;

		if (osip_via_to_str(osip_list_get(l, i), &v) != 0)
			goto out;
		n = strlen(v);
		if (used + n + 2 > cap) {
			size_t bigger_cap = 2 * (used + n + 2);
			char *bigger = lines == local ? malloc(bigger_cap) : realloc(lines, bigger_cap);

			if (!bigger) {
				osip_free(v);
				goto out;
			}
			if (lines == local)
				memcpy(bigger, local, used + 1);
			lines = bigger;
			cap = bigger_cap;
		}
		memcpy(lines + used, v, n);
		used += n;
		lines[used++] = '\n';
		lines[used] = '\0';
		osip_free(v);
	}
	if (via_stash_put(p->stash, branch, lines, t->now, via_ttl(t->msg)) != 0)
		goto out;
	while (hide && sipmsg_via_count(t->msg) > 0)
		sipmsg_via_pop(t->msg);
	rc = 0;
out:
	if (lines != local)
		free(lines);
	return rc;
}

int sipvia_add(struct sip_pipeline *p, struct sip_ticket *t, bool toward_wan, bool hide, bool keep)
{
	char branch[48], value[160];
	int rport_bit = toward_wan ? 2 : 1;
	bool is_ack = sipmsg_is_method(t->msg, "ACK");

	via_branch(t, branch, sizeof(branch));
	/* An ACK for a 2xx gets no response: nothing to keep for it. */
	if ((hide || keep) && !is_ack && via_keep(p, t, branch, hide) != 0)
		return -1;
	if (hide && is_ack)
		while (sipmsg_via_count(t->msg) > 0)
			sipmsg_via_pop(t->msg);
	/* The phone's response must get back the Call-ID marker obscure_loops cut. */
	snprintf(value, sizeof(value), "SIP/2.0/%s %s:%d;branch=%s%s%s", t->hop_proto == SIP_PROTO_TCP ? "TCP" : "UDP",
		 sip_seen_addr_str(p, toward_wan), p->ctx.cfg->sip_listen_port, branch,
		 (p->ctx.cfg->use_rport & rport_bit) ? ";rport" : "",
		 !toward_wan && t->callid_cut ? ";" SIPOBS_VIA_PARAM : "");
	return sipmsg_via_push(t->msg, value);
}

int sipvia_remove(struct sip_pipeline *p, struct sip_ticket *t)
{
	osip_via_t *via = osip_list_get(&t->msg->vias, 0);
	const char *branch, *lines, *nl;
	char copy[SIPVIA_MAX];

	if (!via || !sip_is_me(p, via->host, via->port))
		return -1;
	branch = sipmsg_via_param(via, "branch");
	lines = branch ? via_stash_get(p->stash, branch, t->now) : NULL;
	sipmsg_via_pop(t->msg);
	if (!lines)
		return sipmsg_via_count(t->msg) > 0 ? 0 : -1;
	/* What the sender wrote below our Via is not trusted: the kept Vias replace it. */
	while (sipmsg_via_count(t->msg) > 0)
		sipmsg_via_pop(t->msg);
	for (int pos = 0; *lines; lines = nl + 1, pos++) {
		osip_via_t *v;
		size_t n;

		nl = strchr(lines, '\n');
		if (!nl)
			break;
		n = (size_t)(nl - lines);
		if (n >= sizeof(copy) || osip_via_init(&v) != 0)
			return -1;
		memcpy(copy, lines, n);
		copy[n] = '\0';
		if (osip_via_parse(v, copy) != 0 || osip_list_add(&t->msg->vias, v, pos) < 0) {
			osip_via_free(v);
			return -1;
		}
	}
	return 1;
}
