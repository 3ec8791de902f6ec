/* Call-ID hiding toward the WAN and restoring from it: a host token, or the whole Call-ID sealed. */
#include "build_config.h"
#include "sip_callid.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_message.h"
#include "sip_seal.h"
#include "siphash.h"

#define CALLID_MARK "-lan"        /* number-lan<token>@public: the host was a LAN address */
#define CALLID_TOKEN_LEN 16

/*
 * The host token: 16 hex digits, a tag, then the address XOR a keyed hash of the number, so the
 * WAN learns nothing about the address and each call's token differs. A token we did not make
 * (another proxy's, or ours from before a restart: the key is per process) fails the tag.
 */
static void token_make(struct sip_pipeline *p, const char *number, struct in_addr a, char out[CALLID_TOKEN_LEN + 1])
{
	uint64_t pad = siphash24(sipseal_key(p), number, strlen(number));

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
	pad = siphash24(sipseal_key(p), number, len);
	if ((uint32_t)(v >> 32) != (uint32_t)(pad >> 32))
		return false;
	a->s_addr = htonl((uint32_t)v ^ (uint32_t)pad);
	return true;
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

/* The whole Call-ID, sealed, becomes the number; the host our public address. */
static int seal(struct sip_pipeline *p, osip_call_id_t *c)
{
	size_t nlen = strlen(c->number), len = nlen + (c->host ? strlen(c->host) + 1 : 0);
	char *plain = osip_malloc(len + 1), *sealed, ip[INET_ADDRSTRLEN];

	if (!plain)
		return -1;
	snprintf(plain, len + 1, "%s%s%s", c->number, c->host ? "@" : "", c->host ? c->host : "");
	sealed = sipseal_make(p, plain, len);
	osip_free(plain);
	sip_ip_str(p->ctx.public_addr, ip, sizeof(ip));
	if (!sealed || set_str(&c->host, ip, strlen(ip)) != 0) {
		osip_free(sealed);
		return -1;
	}
	osip_free(c->number);
	c->number = sealed;
	return 0;
}

/* A sealed number of ours: the original Call-ID back into number and host. 1 opened, 0 not ours, -1 memory. */
static int unseal(struct sip_pipeline *p, osip_call_id_t *c)
{
	char *plain = NULL, *at;
	int rc = sipseal_open(p, c->number, &plain);

	if (rc <= 0)
		return rc;
	at = strchr(plain, '@');
	rc = set_str(&c->number, plain, at ? (size_t)(at - plain) : strlen(plain)) == 0 ? 1 : -1;
	if (rc == 1 && at)
		rc = set_str(&c->host, at + 1, strlen(at + 1)) == 0 ? 1 : -1;
	else if (rc == 1) {
		osip_free(c->host);
		c->host = NULL;
	}
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
	host_lan = c->host && sipmsg_ipv4(c->host, &a) && sipseal_addr_is_lan(p, t, a);
	if (sipseal_names_lan(p, t, c->number) || (c->host && !host_lan && sipseal_names_lan(p, t, c->host)))
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
	if (strncmp(c->number, SIPSEAL_PREFIX, strlen(SIPSEAL_PREFIX)) == 0) {
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
