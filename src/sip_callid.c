/* Call-ID hiding toward the WAN and restoring from it: a host token, or the whole Call-ID sealed. */
#include "build_config.h"
#include "sip_callid.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registrar.h"
#include "sip_message.h"
#include "siphash.h"

#define CALLID_MARK "-lan"        /* number-lan<token>@public: the host was a LAN address */
#define CALLID_TOKEN_LEN 16
#define CALLID_SEAL "lanx"        /* lanx<tag><ciphertext>@public: the whole Call-ID, sealed */
#define CALLID_TAG_LEN 8

/* The per-process key, drawn at its first use; the seal's two keys are derived from it. */
static const unsigned char *callid_key(struct sip_pipeline *p)
{
	if (!p->callid_key_set) {
		sip_random(p, p->callid_key, sizeof(p->callid_key));
		p->callid_key_set = true;
	}
	return p->callid_key;
}

static void derived_key(struct sip_pipeline *p, unsigned char pad, unsigned char out[SIPHASH_KEY_LEN])
{
	const unsigned char *k = callid_key(p);

	for (size_t i = 0; i < SIPHASH_KEY_LEN; i++)
		out[i] = k[i] ^ pad;
}

/*
 * A LAN address, for a Call-ID: the sender's, our inbound address, or a registered phone's. Not any
 * private address: a provider's Call-ID naming its own 10.x host must cross unchanged.
 */
static bool addr_is_lan(const struct sip_pipeline *p, const struct sip_ticket *t, struct in_addr a)
{
	return a.s_addr == t->from.addr.sin_addr.s_addr || a.s_addr == p->ctx.inbound.s_addr ||
	       reg_find_source(p->ctx.reg, a) != NULL;
}

/*
 * Does s name a LAN address as a whole dotted quad: not inside a longer number or dotted run
 * ("110.0.0.5", "1.10.0.0.5", "10.0.0.5.6"), but "10.0.0.5..7" and "10.0.0.5.x" do name it.
 */
static bool text_names_lan(const struct sip_pipeline *p, const struct sip_ticket *t, const char *s)
{
	for (const char *q = s; q && *q; q++) {
		if (!isdigit((unsigned char)*q) || (q > s && (isdigit((unsigned char)q[-1]) || q[-1] == '.')))
			continue;
		size_t rest = strnlen(q, INET_ADDRSTRLEN);

		for (size_t n = 7; n <= rest && n < INET_ADDRSTRLEN; n++) {
			char quad[INET_ADDRSTRLEN];
			struct in_addr a;

			if (isdigit((unsigned char)q[n]) || (q[n] == '.' && isdigit((unsigned char)q[n + 1])))
				continue;
			memcpy(quad, q, n);
			quad[n] = '\0';
			if (inet_pton(AF_INET, quad, &a) == 1 && addr_is_lan(p, t, a))
				return true;
		}
	}
	return false;
}

/*
 * The host token: 16 hex digits, a tag, then the address XOR a keyed hash of the number, so the
 * WAN learns nothing about the address and each call's token differs. A token we did not make
 * (another proxy's, or ours from before a restart: the key is per process) fails the tag.
 */
static void token_make(struct sip_pipeline *p, const char *number, struct in_addr a, char out[CALLID_TOKEN_LEN + 1])
{
	uint64_t pad = siphash24(callid_key(p), number, strlen(number));

	snprintf(out, CALLID_TOKEN_LEN + 1, "%08x%08x", (unsigned)(pad >> 32), (unsigned)(ntohl(a.s_addr) ^ (uint32_t)pad));
}

static bool token_read(struct sip_pipeline *p, const char *number, size_t len, const char *token, struct in_addr *a)
{
	char hex[CALLID_TOKEN_LEN + 1];
	unsigned long long v;
	uint64_t pad;

	for (size_t i = 0; i < CALLID_TOKEN_LEN; i++)
		if (!isxdigit((unsigned char)token[i]))
			return false;
	memcpy(hex, token, CALLID_TOKEN_LEN);
	hex[CALLID_TOKEN_LEN] = '\0';
	v = strtoull(hex, NULL, 16);
	pad = siphash24(callid_key(p), number, len);
	if ((uint32_t)(v >> 32) != (uint32_t)(pad >> 32))
		return false;
	a->s_addr = htonl((uint32_t)v ^ (uint32_t)pad);
	return true;
}

/*
 * The seal: tag = SipHash(k1, plain); ciphertext = plain XOR SipHash(k2, tag || block number), 8
 * bytes per block. Deterministic (retransmissions and every message of the dialog agree), opaque
 * without the key, and a Call-ID that is not ours fails the tag when opened.
 */
static void seal_stream(struct sip_pipeline *p, uint64_t tag, unsigned char *buf, size_t len)
{
	unsigned char k2[SIPHASH_KEY_LEN], block[12];

	derived_key(p, 0x5c, k2);
	memcpy(block, &tag, sizeof(tag));
	for (size_t off = 0; off < len; off += 8) {
		uint32_t n = (uint32_t)(off / 8);
		uint64_t ks;

		memcpy(block + 8, &n, sizeof(n));
		ks = siphash24(k2, block, sizeof(block));
		for (size_t i = 0; i < 8 && off + i < len; i++)
			buf[off + i] ^= (unsigned char)(ks >> (8 * i));
	}
}

static uint64_t seal_tag(struct sip_pipeline *p, const unsigned char *plain, size_t len)
{
	unsigned char k1[SIPHASH_KEY_LEN];

	derived_key(p, 0x36, k1);
	return siphash24(k1, plain, len);
}

static int set_str(char **field, const char *s, size_t len)
{
	char *copy = osip_malloc(len + 1);

	if (!copy)
		return -1;
	memcpy(copy, s, len);
	copy[len] = '\0';
	osip_free(*field);
	*field = copy;
	return 0;
}

static int seal(struct sip_pipeline *p, osip_call_id_t *c)
{
	static const char hexd[] = "0123456789abcdef";
	size_t nlen = strlen(c->number), hlen = c->host ? strlen(c->host) + 1 : 0, len = nlen + hlen;
	size_t prefix = strlen(CALLID_SEAL), out_len = prefix + 2 * (CALLID_TAG_LEN + len);
	unsigned char *plain = osip_malloc(len + 1);
	char *out = osip_malloc(out_len + 1), ip[INET_ADDRSTRLEN];
	uint64_t tag;
	int rc = -1;

	if (plain && out) {
		snprintf((char *)plain, len + 1, "%s%s%s", c->number, c->host ? "@" : "", c->host ? c->host : "");
		tag = seal_tag(p, plain, len);
		seal_stream(p, tag, plain, len);
		memcpy(out, CALLID_SEAL, prefix);
		for (size_t i = 0; i < CALLID_TAG_LEN + len; i++) {
			unsigned b = i < CALLID_TAG_LEN ? (unsigned)(tag >> (8 * i)) & 0xff : plain[i - CALLID_TAG_LEN];

			out[prefix + 2 * i] = hexd[b >> 4];
			out[prefix + 2 * i + 1] = hexd[b & 15];
		}
		out[out_len] = '\0';
		sip_ip_str(p->ctx.public_addr, ip, sizeof(ip));
		if (set_str(&c->host, ip, strlen(ip)) == 0) {
			osip_free(c->number);
			c->number = out;
			out = NULL;
			rc = 0;
		}
	}
	osip_free(plain);
	osip_free(out);
	return rc;
}

static int hexval(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* A sealed number of ours: the original Call-ID back into number and host. 1 opened, 0 not ours, -1 memory. */
static int unseal(struct sip_pipeline *p, osip_call_id_t *c)
{
	size_t prefix = strlen(CALLID_SEAL), hex_len = strlen(c->number) - prefix, len;
	const char *hex = c->number + prefix;
	unsigned char *plain;
	uint64_t tag = 0;
	const char *at;
	int rc = 0;

	if (hex_len % 2 != 0 || hex_len <= 2 * CALLID_TAG_LEN)
		return 0;
	len = hex_len / 2 - CALLID_TAG_LEN;
	plain = osip_malloc(len + 1);
	if (!plain)
		return -1;
	for (size_t i = 0; i < hex_len / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			goto out;
		if (i < CALLID_TAG_LEN)
			tag |= (uint64_t)(hi << 4 | lo) << (8 * i);
		else
			plain[i - CALLID_TAG_LEN] = (unsigned char)(hi << 4 | lo);
	}
	seal_stream(p, tag, plain, len);
	if (seal_tag(p, plain, len) != tag || memchr(plain, '\0', len))
		goto out;
	plain[len] = '\0';
	at = strchr((char *)plain, '@');
	rc = -1;
	if (set_str(&c->number, (char *)plain, at ? (size_t)(at - (char *)plain) : len) != 0)
		goto out;
	if (at)
		rc = set_str(&c->host, at + 1, strlen(at + 1)) == 0 ? 1 : -1;
	else {
		osip_free(c->host);
		c->host = NULL;
		rc = 1;
	}
out:
	osip_free(plain);
	return rc;
}

int sipcallid_hide(struct sip_pipeline *p, struct sip_ticket *t)
{
	osip_call_id_t *c = t->msg->call_id;
	char ip[INET_ADDRSTRLEN], token[CALLID_TOKEN_LEN + 1];
	struct in_addr a;
	bool host_lan;

	if (!c || !c->number)
		return 0;
	host_lan = c->host && sipmsg_ipv4(c->host, &a) && addr_is_lan(p, t, a);
	if (text_names_lan(p, t, c->number) || (c->host && !host_lan && text_names_lan(p, t, c->host)))
		return seal(p, c);
	if (!host_lan)
		return 0;
	token_make(p, c->number, a, token);
	if (sipmsg_callid_append(c, CALLID_MARK, token) != 0)
		return -1;
	sip_ip_str(p->ctx.public_addr, ip, sizeof(ip));
	return set_str(&c->host, ip, strlen(ip));
}

int sipcallid_restore(struct sip_pipeline *p, struct sip_ticket *t)
{
	osip_call_id_t *c = t->msg->call_id;
	size_t n = c && c->number ? strlen(c->number) : 0, mark = strlen(CALLID_MARK), base;
	char ip[INET_ADDRSTRLEN];
	struct in_addr a;

	if (!n || !c->host || strcmp(c->host, sip_ip_str(p->ctx.public_addr, ip, sizeof(ip))) != 0)
		return 0;
	if (strncmp(c->number, CALLID_SEAL, strlen(CALLID_SEAL)) == 0) {
		int rc = unseal(p, c);

		if (rc != 0)
			return rc > 0 ? 0 : -1;
	}
	if (n < mark + CALLID_TOKEN_LEN)
		return 0;
	base = n - CALLID_TOKEN_LEN - mark;
	if (strncmp(c->number + base, CALLID_MARK, mark) != 0 ||
	    !token_read(p, c->number, base, c->number + base + mark, &a))
		return 0;
	sip_ip_str(a, ip, sizeof(ip));
	if (set_str(&c->host, ip, strlen(ip)) != 0)
		return -1;
	c->number[base] = '\0';
	return 0;
}
