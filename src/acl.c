/* Parses comma-separated IPv4 CIDR lists and answers whether an address may send SIP or REGISTER. */
#include "build_config.h"

#include "acl.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest entry we accept: "255.255.255.255/32" plus room to name a bad entry in full. */
#define ACL_ENTRY_MAX 64

static uint32_t prefix_mask(unsigned bits)
{
	return bits == 0 ? 0 : 0xffffffffu << (32 - bits);
}

/* One "a.b.c.d[/nn]" entry, already trimmed, of length len. */
static int parse_entry(const char *s, size_t len, struct acl_entry *out, char *note, size_t notelen,
		       char *err, size_t errlen)
{
	char buf[ACL_ENTRY_MAX];
	unsigned bits = 32;

	if (len >= sizeof buf) {
		snprintf(err, errlen, "ACL entry \"%.*s...\" is too long", 20, s);
		return -1;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	struct in_addr a;
	if (inet_pton(AF_INET, buf, &a) != 1) {
		snprintf(err, errlen, "ACL entry \"%.*s\": not a numeric IPv4 address", (int)len, s);
		return -1;
	}
	if (slash) {
		const char *m = slash + 1;
		if (!*m || strlen(m) > 2 || !isdigit((unsigned char)m[0]) ||
		    (m[1] && !isdigit((unsigned char)m[1]))) {
			snprintf(err, errlen, "ACL entry \"%.*s\": mask must be a number 0..32", (int)len, s);
			return -1;
		}
		bits = (unsigned)atoi(m);
		if (bits > 32) {
			snprintf(err, errlen, "ACL entry \"%.*s\": mask %u is out of range 0..32", (int)len, s, bits);
			return -1;
		}
	}
	uint32_t host = ntohl(a.s_addr);
	out->mask = prefix_mask(bits);
	out->net = host & out->mask;
	if (out->net != host && note && notelen && !note[0]) {
		struct in_addr n = { .s_addr = htonl(out->net) };
		char nbuf[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &n, nbuf, sizeof nbuf);
		snprintf(note, notelen, "ACL entry \"%.*s\" has host bits set, using %s/%u", (int)len, s, nbuf, bits);
	}
	return 0;
}

int acl_parse(struct acl *acl, const char *text, char *err, size_t errlen)
{
	char note[160] = "";

	acl->entries = NULL;
	acl->n = 0;
	if (err && errlen)
		err[0] = '\0';
	if (!text)
		return 0;
	/* An all-blank string is an empty list, like an unset option. */
	const char *p = text;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return 0;

	size_t cap = 1;
	for (const char *c = text; *c; c++)
		cap += *c == ',';
	acl->entries = calloc(cap, sizeof *acl->entries);
	if (!acl->entries) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p = text;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		while (len && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0) {
			snprintf(err, errlen, "empty entry in ACL list \"%s\"", text);
			acl_free(acl);
			return -1;
		}
		if (parse_entry(p, len, &acl->entries[acl->n], note, sizeof note, err, errlen) < 0) {
			acl_free(acl);
			return -1;
		}
		acl->n++;
		if (!end)
			break;
		p = end + 1;
	}
	if (err && errlen)
		snprintf(err, errlen, "%s", note);
	return 0;
}

void acl_free(struct acl *acl)
{
	free(acl->entries);
	acl->entries = NULL;
	acl->n = 0;
}

bool acl_match(const struct acl *acl, struct in_addr addr)
{
	uint32_t host = ntohl(addr.s_addr);

	for (size_t i = 0; i < acl->n; i++)
		if ((host & acl->entries[i].mask) == acl->entries[i].net)
			return true;
	return false;
}

unsigned acl_check(const struct acl_set *set, struct in_addr addr)
{
	unsigned rights = 0;

	/* Deny wins over everything; then an empty allow list means "everyone". */
	if (!acl_empty(&set->deny_sip) && acl_match(&set->deny_sip, addr))
		return 0;
	if (acl_empty(&set->allow_sip) || acl_match(&set->allow_sip, addr))
		rights |= ACL_ALLOW_SIP;
	if (acl_empty(&set->allow_reg))
		rights |= ACL_ALLOW_REG;
	else if (acl_match(&set->allow_reg, addr))
		rights |= ACL_ALLOW_REG | ACL_ALLOW_SIP;  /* a registering host may also send SIP */
	return rights;
}
