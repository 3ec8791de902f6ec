/* The SIGUSR1 summary: uptime, descriptors, timers, addresses, connections, media sessions, DNS cache. */
#include "build_config.h"

#include "siproxd.h"

#include "config.h"
#include "debug_port.h"
#include "dns.h"
#include "event_loop.h"
#include "log.h"
#include "netif.h"
#include "registrar.h"
#include "rtp_relay.h"
#include "sip_transport.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

/* Open descriptors of the process; -1 when /proc is not reachable (e.g. inside a chroot). */
static long status_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	long n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3;   /* ".", ".." and the directory's own descriptor */
}

static void status_addr(const struct siproxd *sx, enum netif_side side, char *buf, size_t len)
{
	struct in_addr a;

	if (sx->netif && netif_addr(sx->netif, side, &a) == 0)
		inet_ntop(AF_INET, &a, buf, (socklen_t)len);
	else
		snprintf(buf, len, "none");
}

void status_log(const struct siproxd *sx)
{
	int64_t up = (int64_t)time(NULL) - sx->started;
	struct rlimit rl = { 0 };
	char in_s[INET_ADDRSTRLEN], out_s[INET_ADDRSTRLEN], pub_s[INET_ADDRSTRLEN] = "none";
	struct in_addr pub;

	getrlimit(RLIMIT_NOFILE, &rl);
	log_info("status: %s up %lldd %02lld:%02lld:%02lld, debug pattern 0x%x", PACKAGE_STRING,
		 (long long)(up / 86400), (long long)(up / 3600 % 24), (long long)(up / 60 % 60),
		 (long long)(up % 60), log_debug_pattern());
	long fds = status_open_fds();
	char fds_s[24] = "?";
	if (fds >= 0)
		snprintf(fds_s, sizeof fds_s, "%ld", fds);
	log_info("status: %s open descriptors (limit %llu), %zu watched by the loop, %zu timers running",
		 fds_s, (unsigned long long)rl.rlim_cur, el_fd_count(sx->el), el_timer_count(sx->el));
	status_addr(sx, NETIF_INBOUND, in_s, sizeof in_s);
	status_addr(sx, NETIF_OUTBOUND, out_s, sizeof out_s);
	if (sx->netif && netif_outbound_public(sx->netif, &pub) == 0)
		inet_ntop(AF_INET, &pub, pub_s, sizeof pub_s);
	log_info("status: inbound %s %s, outbound %s %s, public address %s",
		 sx->cfg->if_inbound ? sx->cfg->if_inbound : "-", in_s,
		 sx->cfg->if_outbound ? sx->cfg->if_outbound : "-", out_s, pub_s);
	if (sx->reg)
		log_info("status: %zu registrations (limit %d)", reg_count(sx->reg), sx->cfg->max_registrations);
	if (sx->transport)
		log_info("status: %zu SIP TCP connections (limit %d)", sip_transport_tcp_count(sx->transport),
			 sx->cfg->tcp_max_connections);
	if (sx->debug)
		log_info("status: %zu debug port clients", debug_port_client_count(sx->debug));
	if (sx->rtp)
		rtp_relay_log_status(sx->rtp);   /* one line per session and the totals */
	if (sx->dns)
		log_info("status: DNS cache %zu entries, %zu lookups pending", dns_cache_size(sx->dns),
			 dns_pending(sx->dns));
}
