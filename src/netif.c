/* Interface names to IPv4 addresses, address-change notices over netlink, and the public WAN address. */
#include "build_config.h"

#include "netif.h"

#include "dns.h"
#include "event_loop.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* After a failed host_outbound lookup, try again this much sooner than the regular refresh. */
#define NETIF_RETRY_S 10

struct netif_watch {
	char *name;                 /* NULL: not configured */
	struct in_addr addr;        /* 0.0.0.0: none */
	bool lost;                  /* had an address once and lost it */
};

struct netif {
	struct event_loop *el;
	struct dns *dns;
	int nl_fd;
	struct netif_watch side[2];
	netif_change_fn cb;
	void *cb_ud;

	char *host;                 /* host_outbound; NULL when unset */
	bool host_literal;
	struct in_addr host_addr;   /* 0.0.0.0 until resolved */
	unsigned refresh_s;
	struct el_timer host_timer;
	struct dns_query *host_query;
	bool host_resolving;
};

static const char *const side_name[] = { [NETIF_INBOUND] = "if_inbound", [NETIF_OUTBOUND] = "if_outbound" };

int netif_lookup(const char *ifname, struct in_addr *out)
{
	struct ifaddrs *list;
	int rc = -1;

	if (!ifname || getifaddrs(&list) < 0)
		return -1;
	for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr && ifa->ifa_addr->sa_family == AF_INET && strcmp(ifa->ifa_name, ifname) == 0) {
			*out = ((const struct sockaddr_in *)(const void *)ifa->ifa_addr)->sin_addr;
			rc = 0;
			break;
		}
	}
	freeifaddrs(list);
	return rc;
}

/* Re-reads both interfaces; logs and reports each address that changed. */
static void netif_refresh(struct netif *n)
{
	for (int s = NETIF_INBOUND; s <= NETIF_OUTBOUND; s++) {
		struct netif_watch *w = &n->side[s];
		struct in_addr now = { 0 };

		if (!w->name)
			continue;
		netif_lookup(w->name, &now);
		if (now.s_addr == w->addr.s_addr)
			continue;
		char was_s[INET_ADDRSTRLEN], now_s[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &w->addr, was_s, sizeof was_s);
		inet_ntop(AF_INET, &now, now_s, sizeof now_s);
		/* A PPP link that drops says so once at WARN; its return is worth an INFO of its own. */
		if (!now.s_addr)
			log_warn("interface %s (%s) lost its address %s; SIP and new calls on that side wait for it",
				 w->name, side_name[s], was_s);
		else if (!w->addr.s_addr && w->lost)
			log_info("interface %s (%s) is back: address changed none -> %s", w->name, side_name[s], now_s);
		else
			log_info("interface %s address changed %s -> %s", w->name, w->addr.s_addr ? was_s : "none", now_s);
		if (!now.s_addr)
			w->lost = true;
		struct in_addr old = w->addr;
		w->addr = now;
		if (n->cb)
			n->cb(n->cb_ud, (enum netif_side)s, old, now);
	}
}

static void netif_netlink_readable(struct event_loop *el, int fd, unsigned events, void *ud)
{
	struct netif *n = ud;
	char buf[8192];
	bool any = false;

	/* The content does not matter: any address or link notice means "look again". Drain first so
	 * a burst of notices costs one getifaddrs(). */
	for (;;) {
		ssize_t r = recv(fd, buf, sizeof buf, 0);
		if (r > 0) {
			any = true;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == ENOBUFS) {
			any = true;   /* notices were lost: the refresh below catches up */
			continue;
		}
		break;
	}
	if (any)
		netif_refresh(n);
}

static int netif_netlink_open(struct netif *n)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_LINK };

	n->nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (n->nl_fd < 0) {
		log_error("netlink socket: %s", strerror(errno));
		return -1;
	}
	if (bind(n->nl_fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    el_fd_add(n->el, n->nl_fd, EL_READ, netif_netlink_readable, n) < 0) {
		log_error("netlink socket: %s", strerror(errno));
		close(n->nl_fd);
		n->nl_fd = -1;
		return -1;
	}
	return 0;
}

static void netif_host_resolve(struct netif *n);

static void netif_host_timer(struct event_loop *el, void *ud)
{
	netif_host_resolve(ud);
}

static void netif_host_resolved(void *ud, int status, const struct dns_target *targets, size_t count)
{
	struct netif *n = ud;
	unsigned next_s = n->refresh_s;

	n->host_resolving = false;
	n->host_query = NULL;
	if (status == 0 && count > 0) {
		if (targets[0].addr.s_addr != n->host_addr.s_addr) {
			char was_s[INET_ADDRSTRLEN], now_s[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &n->host_addr, was_s, sizeof was_s);
			inet_ntop(AF_INET, &targets[0].addr, now_s, sizeof now_s);
			if (n->host_addr.s_addr)
				log_info("host_outbound %s address changed %s -> %s", n->host, was_s, now_s);
			else
				log_info("host_outbound %s is %s", n->host, now_s);
			struct in_addr old = n->host_addr;
			n->host_addr = targets[0].addr;
			if (n->cb)
				n->cb(n->cb_ud, NETIF_PUBLIC, old, n->host_addr);
		}
	} else {
		log_warn("host_outbound %s does not resolve; %s", n->host,
			 n->host_addr.s_addr ? "keeping the last address" : "using the outbound interface address");
		next_s = NETIF_RETRY_S < n->refresh_s ? NETIF_RETRY_S : n->refresh_s;
	}
	el_timer_start(n->el, &n->host_timer, (uint64_t)next_s * 1000u, netif_host_timer, n);
}

static void netif_host_resolve(struct netif *n)
{
	if (!n->host || n->host_literal || n->host_resolving)
		return;
	n->host_resolving = true;
	struct dns_query *q = dns_resolve_host(n->dns, n->host, 0, netif_host_resolved, n);
	if (n->host_resolving) {
		if (q)
			n->host_query = q;
		else   /* refused without calling back */
			netif_host_resolved(n, -1, NULL, 0);
	}
}

/* Replaces host_outbound; the lookup of a name starts at once. */
static int netif_host_apply(struct netif *n, const char *host)
{
	struct in_addr literal = { 0 };
	bool is_literal = host && inet_pton(AF_INET, host, &literal) == 1;
	char *copy = NULL;

	if (host && *host) {
		if (!is_literal && !n->dns) {
			log_error("host_outbound %s is a name, but no resolver is available", host);
			return -1;
		}
		copy = strdup(host);
		if (!copy) {
			log_error("host_outbound: out of memory");
			return -1;
		}
	}
	struct in_addr was = { 0 }, now = { 0 };
	netif_outbound_public(n, &was);
	if (n->host_query)
		dns_cancel(n->host_query);
	n->host_query = NULL;
	n->host_resolving = false;
	el_timer_stop(n->el, &n->host_timer);
	free(n->host);
	n->host = copy;
	n->host_literal = is_literal;
	n->host_addr = is_literal ? literal : (struct in_addr){ 0 };
	/* A literal, or no host_outbound at all, changes the public address at once; a name does
	 * when its lookup answers. */
	netif_outbound_public(n, &now);
	if (n->cb && (is_literal || !copy) && now.s_addr != was.s_addr)
		n->cb(n->cb_ud, NETIF_PUBLIC, was, now);
	netif_host_resolve(n);
	return 0;
}

struct netif *netif_create(struct event_loop *el, struct dns *dns, const char *if_inbound,
			   const char *if_outbound, const char *host_outbound, unsigned refresh_s,
			   netif_change_fn cb, void *ud)
{
	struct netif *n = calloc(1, sizeof *n);

	if (!n) {
		log_error("netif: out of memory");
		return NULL;
	}
	n->el = el;
	n->dns = dns;
	n->nl_fd = -1;
	n->cb = cb;
	n->cb_ud = ud;
	n->refresh_s = refresh_s ? refresh_s : 60;
	const char *names[2] = { if_inbound, if_outbound };
	for (int s = NETIF_INBOUND; s <= NETIF_OUTBOUND; s++) {
		if (names[s] && *names[s]) {
			n->side[s].name = strdup(names[s]);
			if (!n->side[s].name) {
				log_error("netif: out of memory");
				goto fail;
			}
			netif_lookup(n->side[s].name, &n->side[s].addr);
		}
	}
	if (netif_netlink_open(n) < 0 || netif_host_apply(n, host_outbound) < 0)
		goto fail;
	return n;
fail:
	netif_destroy(n);
	return NULL;
}

void netif_destroy(struct netif *n)
{
	if (!n)
		return;
	if (n->nl_fd >= 0) {
		el_fd_del(n->el, n->nl_fd);
		close(n->nl_fd);
	}
	if (n->host_query)
		dns_cancel(n->host_query);
	el_timer_stop(n->el, &n->host_timer);
	free(n->host);
	free(n->side[NETIF_INBOUND].name);
	free(n->side[NETIF_OUTBOUND].name);
	free(n);
}

int netif_addr(const struct netif *n, enum netif_side side, struct in_addr *out)
{
	if (!n->side[side].addr.s_addr)
		return -1;
	*out = n->side[side].addr;
	return 0;
}

int netif_outbound_public(const struct netif *n, struct in_addr *out)
{
	if (n->host && n->host_addr.s_addr) {
		*out = n->host_addr;
		return 0;
	}
	return netif_addr(n, NETIF_OUTBOUND, out);
}

int netif_set_host_outbound(struct netif *n, const char *host_outbound)
{
	const char *now = n->host ? n->host : "";
	const char *want = host_outbound ? host_outbound : "";

	if (strcmp(now, want) == 0)
		return 0;
	return netif_host_apply(n, host_outbound);
}
