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

/* Expired bindings stay this long (classic REGISTER_GRACE) for responses still under way. */
#define REG_GRACE_S 5
/* An unconfirmed binding whose registrar has not answered for this long is dropped. */
#define REG_PENDING_MAX_S 32

/* max_bindings from max_registrations (0 admits none). NULL on ENOMEM. */
struct registrar *reg_create(size_t max_bindings);
void reg_destroy(struct registrar *reg);

/*
 * Where reg_bind() and reg_confirm() read "now" (wall-clock seconds); the default is time(NULL).
 * The daemon passes a wrapper of el_wall_s(), the tests a fake clock. NULL restores the default.
 */
typedef int64_t (*reg_clock_fn)(void *ud);
void reg_set_clock(struct registrar *reg, reg_clock_fn fn, void *ud);

/*
 * Adds or refreshes the binding (aor, true_url). A new binding in outbound-proxy mode is
 * pending (confirmed = false) until reg_confirm(); in registrar mode pass confirmed = true.
 * expires is absolute. Refreshing: the strings, source and transport are replaced and the
 * binding moves to the front of every lookup; confirmed = true sets expires; confirmed = false
 * on a pending binding sets expires and restarts its 32 s wait, on a confirmed one it keeps
 * both the confirmation and the lifetime (only the registrar's 2xx changes them).
 * source may be NULL or 0.0.0.0 (unknown): reg_find_source() then finds the binding by its
 * contact host when that is a literal IPv4 address (the classic rule).
 * Returns the binding, or NULL with errno: ENOSPC the table is full (the caller answers 503),
 * EINVAL a NULL or empty string or one holding CR/LF (it could not be saved), ENOMEM.
 * A URI libosip2 cannot parse is accepted and keyed by its whole text.
 */
struct reg_binding *reg_bind(struct registrar *reg, const char *aor, const char *true_url,
			     const char *masq_url, const struct sockaddr_in *source, int transport,
			     int64_t expires, bool confirmed);
/*
 * A 2xx listed masq_url with this lifetime in seconds (relative: the Contact's expires= or the
 * Expires header). Every binding of aor whose masq key equals masq_url's becomes confirmed and
 * expires at now + lifetime (now from the clock); lifetime <= 0 removes them. Returns the most
 * recently bound of them, or NULL when none matched or they were removed.
 */
struct reg_binding *reg_confirm(struct registrar *reg, const char *aor, const char *masq_url, int64_t lifetime);
/* The registrar rejected or never answered: pending (never confirmed) bindings of aor go away. */
void reg_reject_pending(struct registrar *reg, const char *aor);
/* The same for the pending bindings of aor that one phone (the REGISTER's source) asked for; NULL: all. */
void reg_reject_pending_source(struct registrar *reg, const char *aor, const struct sockaddr_in *source);
void reg_unbind(struct registrar *reg, const char *aor, const char *true_url);
void reg_unbind_all(struct registrar *reg, const char *aor);

/*
 * Lookups, all O(1) on average. Only confirmed, unexpired bindings are returned by *_routable,
 * most recently bound first. The single-result lookups return the most recently bound binding
 * of that key in any state (pending, or expired within the grace).
 */
size_t reg_find_aor_routable(struct registrar *reg, const char *aor, int64_t now,
			     struct reg_binding **out, size_t max);
/* By the user part alone (providers that rewrite the host); same rules. */
size_t reg_find_user_routable(struct registrar *reg, const char *user, int64_t now,
			      struct reg_binding **out, size_t max);
struct reg_binding *reg_find_masq(struct registrar *reg, const char *masq_url);
struct reg_binding *reg_find_contact(struct registrar *reg, const char *true_url);
/* Is this source address a phone with a binding (any state)? See reg_bind() for source 0. */
struct reg_binding *reg_find_source(struct registrar *reg, struct in_addr addr);

/*
 * Drops bindings with now > expires + REG_GRACE_S and pending ones whose last REGISTER is more
 * than REG_PENDING_MAX_S old. Costs O(removed * log n). Returns how many went.
 */
size_t reg_expire(struct registrar *reg, int64_t now);
size_t reg_count(const struct registrar *reg);

/*
 * The classic registration file (reference §3.10), one record per confirmed binding:
 * "****:1:<expires>", true_url, masq_url, aor. Written to path.tmp, fsync, rename, so the old
 * file survives any failure. Returns 0, or -1 with errno (the tmp file is then removed).
 */
int reg_save(const struct registrar *reg, const char *path);
/*
 * Loads the file into confirmed bindings with unknown source (0) and transport UDP; entries
 * with expires <= now are dropped, a garbled record is skipped with a warning naming file:line,
 * classic "****:0:" slots are ignored, bindings beyond max_bindings are counted in one warning. Returns how many bindings were loaded (missing file: 0), or -1 with errno when
 * the file cannot be read.
 */
int reg_load(struct registrar *reg, const char *path, int64_t now);

/* Every binding, in no particular order; fn must not change the table. */
typedef void (*reg_visit_fn)(const struct reg_binding *b, void *ud);
void reg_foreach(const struct registrar *reg, reg_visit_fn fn, void *ud);

#endif
