/* The registration table: bindings of AoRs to phones, found by hash, bounded, expiring, saved in the classic file format. */
#ifndef SIPROXD_REGISTRAR_H
#define SIPROXD_REGISTRAR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct registrar;

/*
 * One binding = one Contact of one AoR (RFC 3261 §10). Fields are read-only outside registrar.c.
 * URIs are kept as strings ("sip:user@host:port;params"); keys are derived from them:
 *   AoR key:      scheme, user (case-sensitive), host (case-insensitive); port and params ignored
 *   contact key:  the same plus the port (5060 when absent)
 */
struct reg_binding {
	char *aor;           /* reg_url: the To URI of the REGISTER */
	char *true_url;      /* the Contact URI the phone sent: where it really is */
	char *masq_url;      /* the Contact URI shown on the WAN side */
	struct sockaddr_in source;   /* address the REGISTER came from (the phone's NAT mapping) */
	int transport;       /* 0 UDP, 1 TCP: how the phone reached us */
	int64_t expires;     /* absolute, wall-clock seconds */
	bool confirmed;      /* a registrar's 2xx confirmed it, or we are the registrar */
};

/* max_bindings from max_registrations. */
struct registrar *reg_create(size_t max_bindings);
void reg_destroy(struct registrar *reg);

/*
 * Adds or refreshes the binding (aor, true_url). A new binding in outbound-proxy mode is
 * pending (confirmed = false) until reg_confirm(); in registrar mode pass confirmed = true.
 * Returns the binding, or NULL when the table is full (the caller answers 503).
 */
struct reg_binding *reg_bind(struct registrar *reg, const char *aor, const char *true_url,
			     const char *masq_url, const struct sockaddr_in *source, int transport,
			     int64_t expires, bool confirmed);
/* A 2xx listed masq_url with this lifetime (expires <= 0 removes it). Returns the binding or NULL. */
struct reg_binding *reg_confirm(struct registrar *reg, const char *aor, const char *masq_url, int64_t expires);
/* The registrar rejected or never answered: pending (never confirmed) bindings of aor go away. */
void reg_reject_pending(struct registrar *reg, const char *aor);
void reg_unbind(struct registrar *reg, const char *aor, const char *true_url);
void reg_unbind_all(struct registrar *reg, const char *aor);

/* Lookups, all O(1) on average. Only confirmed, unexpired bindings are returned by *_routable. */
size_t reg_find_aor_routable(struct registrar *reg, const char *aor, int64_t now,
			     struct reg_binding **out, size_t max);
/* By the user part alone (providers that rewrite the host); same rules. */
size_t reg_find_user_routable(struct registrar *reg, const char *user, int64_t now,
			      struct reg_binding **out, size_t max);
struct reg_binding *reg_find_masq(struct registrar *reg, const char *masq_url);
struct reg_binding *reg_find_contact(struct registrar *reg, const char *true_url);
/* Is this source address a phone with a binding (any state)? */
struct reg_binding *reg_find_source(struct registrar *reg, struct in_addr addr);

/* Drops expired bindings (with the classic 5 s grace) and pending ones older than 32 s. */
size_t reg_expire(struct registrar *reg, int64_t now);
size_t reg_count(const struct registrar *reg);

/* The classic registration file (reference §3.10): written to path.tmp, fsync, rename. */
int reg_save(const struct registrar *reg, const char *path);
/* Loads the file; expired entries are dropped. Missing file: 0 and nothing loaded. */
int reg_load(struct registrar *reg, const char *path, int64_t now);

typedef void (*reg_visit_fn)(const struct reg_binding *b, void *ud);
void reg_foreach(const struct registrar *reg, reg_visit_fn fn, void *ud);

#endif
