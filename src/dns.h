/* Asynchronous name resolution through c-ares inside the event loop, with a TTL cache and RFC 3263 next-hop lookups. */
#ifndef SIPROXD_DNS_H
#define SIPROXD_DNS_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct event_loop;
struct dns;
struct dns_query;

enum dns_proto { DNS_PROTO_UDP, DNS_PROTO_TCP };

struct dns_target {
	struct in_addr addr;
	uint16_t port;                    /* host byte order */
};

/*
 * status 0: n >= 1 targets in preference order (SRV priority/weight, then A order).
 * status -1: the name does not resolve or the lookup failed; n = 0.
 * The callback may run synchronously from inside dns_resolve_*() when the answer is a literal
 * address or cached, or when the request fails at once (not a host name, max_pending reached);
 * the query handle is then already finished (NULL is returned).
 */
typedef void (*dns_cb)(void *ud, int status, const struct dns_target *targets, size_t n);

/* max_pending bounds the lookups waiting for an answer; beyond it a request fails at once. */
struct dns *dns_create(struct event_loop *el, size_t max_pending);
void dns_destroy(struct dns *dns);

/* A records of host; port is copied into each target. */
struct dns_query *dns_resolve_host(struct dns *dns, const char *host, uint16_t port, dns_cb cb, void *ud);
/*
 * RFC 3263 for a SIP URI host: a literal address or an explicit port gives A only (port 5060 when
 * none); otherwise SRV _sip._udp / _sip._tcp first, then A on port 5060.
 */
struct dns_query *dns_resolve_sip(struct dns *dns, const char *host, uint16_t port, enum dns_proto proto,
				  dns_cb cb, void *ud);
/* The callback of a cancelled query never runs. */
void dns_cancel(struct dns_query *q);

/*
 * Callbacks must not call dns_destroy(); they may start and cancel other queries. A query's
 * handle is dead once its callback has been called.
 */

/* Replaces the name servers ("host:port,host:port"); for tests and diagnostics. Returns 0 or -1. */
int dns_set_servers(struct dns *dns, const char *csv);
/* Replaces the clock the cache ages by (default el_now_ms()); for tests. */
void dns_set_clock(struct dns *dns, uint64_t (*clock)(void *ud), void *ud);

/* Counters for the status summary. */
size_t dns_cache_size(const struct dns *dns);
size_t dns_pending(const struct dns *dns);

#endif
