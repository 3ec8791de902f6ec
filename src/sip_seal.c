/* Which text names a LAN address, and the keyed seal that hides such text toward the WAN reversibly. */
#include "build_config.h"
#include "sip_seal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "registrar.h"
#include "siphash.h"

#define SEAL_TAG_LEN 8

bool sipseal_addr_is_lan(const struct sip_pipeline *p, const struct sip_ticket *t, struct in_addr a)
{
	return a.s_addr == t->from.addr.sin_addr.s_addr || a.s_addr == p->ctx.inbound.s_addr ||
	       reg_find_source(p->ctx.reg, a) != NULL;
}

bool sipseal_names_lan(const struct sip_pipeline *p, const struct sip_ticket *t, const char *s)
{
	for (const char *q = s; q && *q; q++) {
		size_t rest;

		if (!isdigit((unsigned char)*q) || (q > s && (isdigit((unsigned char)q[-1]) || q[-1] == '.')))
			continue;
		rest = strnlen(q, INET_ADDRSTRLEN);
		for (size_t n = 7; n <= rest && n < INET_ADDRSTRLEN; n++) {
			char quad[INET_ADDRSTRLEN];
			struct in_addr a;

			if (isdigit((unsigned char)q[n]) || (q[n] == '.' && isdigit((unsigned char)q[n + 1])))
				continue;
			memcpy(quad, q, n);
			quad[n] = '\0';
			if (inet_pton(AF_INET, quad, &a) == 1 && sipseal_addr_is_lan(p, t, a))
				return true;
		}
	}
	return false;
}

const unsigned char *sipseal_key(struct sip_pipeline *p)
{
	if (!p->seal_key_set) {
		sip_random(p, p->seal_key, sizeof(p->seal_key));
		p->seal_key_set = true;
	}
	return p->seal_key;
}

/* The seal's two keys, derived from the per-process one so that neither output tells of the other. */
static void derived_key(struct sip_pipeline *p, unsigned char pad, unsigned char out[SIPHASH_KEY_LEN])
{
	const unsigned char *k = sipseal_key(p);

	for (size_t i = 0; i < SIPHASH_KEY_LEN; i++)
		out[i] = k[i] ^ pad;
}

/* XOR with SipHash(k2, tag || block number), 8 bytes per block: its own inverse. */
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

char *sipseal_make(struct sip_pipeline *p, const char *plain, size_t len)
{
	static const char hexd[] = "0123456789abcdef";
	size_t prefix = strlen(SIPSEAL_PREFIX), out_len = prefix + 2 * (SEAL_TAG_LEN + len);
	unsigned char *buf = osip_malloc(len + 1);
	char *out = osip_malloc(out_len + 1);
	uint64_t tag;

	if (!buf || !out) {
		osip_free(buf);
		osip_free(out);
		return NULL;
	}
	memcpy(buf, plain, len);
	tag = seal_tag(p, buf, len);
	seal_stream(p, tag, buf, len);
	memcpy(out, SIPSEAL_PREFIX, prefix);
	for (size_t i = 0; i < SEAL_TAG_LEN + len; i++) {
		unsigned b = i < SEAL_TAG_LEN ? (unsigned)(tag >> (8 * i)) & 0xff : buf[i - SEAL_TAG_LEN];

		out[prefix + 2 * i] = hexd[b >> 4];
		out[prefix + 2 * i + 1] = hexd[b & 15];
	}
	out[out_len] = '\0';
	osip_free(buf);
	return out;
}

static int hexval(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

int sipseal_open(struct sip_pipeline *p, const char *sealed, char **plain)
{
	size_t prefix = strlen(SIPSEAL_PREFIX), hex_len, len;
	const char *hex;
	unsigned char *buf;
	uint64_t tag = 0;

	if (!sealed || strncmp(sealed, SIPSEAL_PREFIX, prefix) != 0)
		return 0;
	hex = sealed + prefix;
	hex_len = strlen(hex);
	if (hex_len % 2 != 0 || hex_len <= 2 * SEAL_TAG_LEN)
		return 0;
	len = hex_len / 2 - SEAL_TAG_LEN;
	buf = osip_malloc(len + 1);
	if (!buf)
		return -1;
	for (size_t i = 0; i < hex_len / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			osip_free(buf);
			return 0;
		}
		if (i < SEAL_TAG_LEN)
			tag |= (uint64_t)(hi << 4 | lo) << (8 * i);
		else
			buf[i - SEAL_TAG_LEN] = (unsigned char)(hi << 4 | lo);
	}
	seal_stream(p, tag, buf, len);
	if (seal_tag(p, buf, len) != tag || memchr(buf, '\0', len)) {
		osip_free(buf);
		return 0;
	}
	buf[len] = '\0';
	*plain = (char *)buf;
	return 1;
}
