/* Interface names to IPv4 addresses, address-change notices over netlink, and the public WAN address. */
#ifndef SIPROXD_NETIF_H
#define SIPROXD_NETIF_H

#include <netinet/in.h>
#include <stdbool.h>

struct event_loop;
struct dns;
struct netif;

enum netif_side { NETIF_INBOUND, NETIF_OUTBOUND };
/* Only in change notices: the host_outbound name now resolves to another address. */
#define NETIF_PUBLIC ((enum netif_side)2)

/*
 * An interface got a new address, or host_outbound resolved to a new one (side NETIF_PUBLIC);
 * old or new may be 0.0.0.0: none. Called from the loop.
 */
typedef void (*netif_change_fn)(void *ud, enum netif_side side, struct in_addr old_addr,
				struct in_addr new_addr);

/*
 * Watches if_inbound and if_outbound (either may be NULL). host_outbound (may be NULL) is an
 * address literal or a name resolved through dns and refreshed every refresh_s seconds.
 * An interface without an address is not an error here: netif_addr() reports it.
 * Returns NULL with the reason logged (netlink socket, bad host_outbound without dns).
 */
struct netif *netif_create(struct event_loop *el, struct dns *dns, const char *if_inbound,
			   const char *if_outbound, const char *host_outbound, unsigned refresh_s,
			   netif_change_fn cb, void *ud);
void netif_destroy(struct netif *n);

/* The first IPv4 address of the configured interface; 0, or -1 when it has none. */
int netif_addr(const struct netif *n, enum netif_side side, struct in_addr *out);
/* The address to show on the WAN side: host_outbound when known, else the outbound interface's. */
int netif_outbound_public(const struct netif *n, struct in_addr *out);
/* SIGHUP: a changed host_outbound (NULL: none). Returns 0, or -1 (logged) and keeps the old one. */
int netif_set_host_outbound(struct netif *n, const char *host_outbound);

/* Looks up the first IPv4 address of ifname (an alias label like "eth0:1" works too). */
int netif_lookup(const char *ifname, struct in_addr *out);

#endif
