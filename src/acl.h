/* Comma-separated IPv4 CIDR lists (hosts_allow_*, hosts_deny_sip, plugin *_networks) and their matching. */
#ifndef SIPROXD_ACL_H
#define SIPROXD_ACL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

struct acl_entry {
	uint32_t net;   /* host byte order, already masked */
	uint32_t mask;  /* host byte order */
};

struct acl {
	struct acl_entry *entries;
	size_t n;
};

/*
 * Parses "10.0.0.0/8,192.168.1.5/32,..." (blanks around entries tolerated). An address without
 * /mask means /32. Only numeric addresses: matching never needs DNS. Returns 0, or -1 and writes
 * a message naming the bad entry to err. An empty or NULL string gives an empty list.
 * On success err is empty or holds a note for the caller to log: an address with host bits set
 * beyond its mask (10.1.2.3/8) is masked to its network, which is accepted but worth saying.
 */
int acl_parse(struct acl *acl, const char *text, char *err, size_t errlen);
void acl_free(struct acl *acl);
bool acl_match(const struct acl *acl, struct in_addr addr);
static inline bool acl_empty(const struct acl *acl) { return acl->n == 0; }

/* What a source may do, classic semantics (reference §7). */
#define ACL_ALLOW_SIP 0x1u
#define ACL_ALLOW_REG 0x2u
struct acl_set {
	struct acl deny_sip, allow_sip, allow_reg;
};
unsigned acl_check(const struct acl_set *set, struct in_addr addr);

#endif
