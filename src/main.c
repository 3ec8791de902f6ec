/* Command line, start-up order, the daemon's life cycle, and what the signals do. */
#include "build_config.h"

#include "config.h"
#include "daemon.h"
#include "debug_port.h"
#include "digest_auth.h"
#include "dns.h"
#include "event_loop.h"
#include "log.h"
#include "netif.h"
#include "registrar.h"
#include "rtp_relay.h"
#include "sip_media.h"
#include "sip_pipeline.h"
#include "sip_transport.h"
#include "siproxd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Lookups waiting for an answer at once; beyond it a lookup fails and the message gets an error. */
#define SX_DNS_MAX_PENDING 256
/* How often a host_outbound name is looked up again (a dynamic DNS name follows the line). */
#define SX_HOST_OUTBOUND_REFRESH_S 60
/* Descriptors beyond the RTP and TCP needs: listeners, netlink, epoll, signalfd, DNS, files. */
#define SX_FD_RESERVE 64

static void usage(FILE *out)
{
	fprintf(out,
		"usage: siproxd [options]\n"
		"  -c, --config FILE       read FILE instead of searching for siproxd.conf\n"
		"  -d, --debug PATTERN     debug classes: decimal, 0x hex, or -1 for all\n"
		"                          (overrides debug_level)\n"
		"  -p, --pid-file FILE     write the PID to FILE (overrides pid_file)\n"
		"  -t, --check-config      check the configuration, print it and exit\n"
		"  -f, --foreground        stay in the foreground (overrides daemonize)\n"
		"  -V, --version           print the version and exit\n"
		"  -h, --help              print this help and exit\n"
		"Signals: SIGHUP reloads the configuration, SIGUSR1 logs a status summary,\n"
		"SIGTERM and SIGINT stop the daemon.\n");
}

struct sx_args {
	const char *config;
	bool check_only;
};

/* Returns -1 to continue, or the exit code. */
static int parse_args(int argc, char **argv, struct siproxd *sx, struct sx_args *args)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "config", required_argument, NULL, 'c' },
		{ "debug", required_argument, NULL, 'd' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "check-config", no_argument, NULL, 't' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "hc:d:p:tfV", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'c':
			args->config = optarg;
			break;
		case 'd':
			if (log_parse_pattern(optarg, &sx->debug_cmdline) < 0) {
				fprintf(stderr, "siproxd: bad debug pattern '%s' (decimal, 0x hex or -1)\n", optarg);
				return 1;
			}
			sx->debug_from_cmdline = true;
			log_set_debug_pattern(sx->debug_cmdline);
			break;
		case 'p':
			sx->pid_file_cmdline = optarg;
			break;
		case 't':
			args->check_only = true;
			break;
		case 'f':
			sx->foreground = true;
			break;
		case 'V':
			printf("%s\n", PACKAGE_STRING);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "siproxd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 1;
	}
	return -1;
}

/* Logging settings that follow the file; -d from the command line keeps winning. */
static void sx_apply_logging(const struct siproxd *sx)
{
	log_set_debug_pattern(sx->debug_from_cmdline ? sx->debug_cmdline : sx->cfg->debug_level);
	log_set_silence(sx->cfg->silence_log);
}

/* The transport's receive callback: every SIP message goes through the pipeline. */
static void sx_sip_received(void *ud, const char *buf, size_t len, const struct sip_peer *from)
{
	struct siproxd *sx = ud;

	if (sx->pipeline)
		sip_pipeline_input(sx->pipeline, buf, len, from);
}

static int sx_sip_send(void *ud, const struct sip_peer *to, const char *buf, size_t len, sip_sent_fn done,
		       void *done_ud)
{
	struct siproxd *sx = ud;

	return sip_transport_send(sx->transport, to, buf, len, done, done_ud);
}

/* The relay may start after the pipeline (an interface without an address yet). */
static int sx_sip_media(void *ud, const struct sip_media_msg *m)
{
	struct siproxd *sx = ud;

	return sx->rtp ? sipmedia_relay(sx->rtp, m) : 0;
}

static int64_t sx_wall_clock(void *ud)
{
	struct siproxd *sx = ud;

	return el_wall_s(sx->el);
}

/* What the pipeline writes and recognises as its own; 0.0.0.0 while an interface has none. */
static void sx_pipeline_addrs(struct siproxd *sx)
{
	struct in_addr in = { 0 }, out = { 0 }, pub;

	netif_addr(sx->netif, NETIF_INBOUND, &in);
	netif_addr(sx->netif, NETIF_OUTBOUND, &out);
	if (netif_outbound_public(sx->netif, &pub) < 0)
		pub = out;
	sip_pipeline_set_addrs(sx->pipeline, in, out, pub);
}

static void sx_save_registrations(struct siproxd *sx)
{
	if (sip_pipeline_save_registrations(sx->pipeline) < 0)
		log_warn("cannot save the registrations to %s: %s", sx->cfg->registration_file, strerror(errno));
}

static void sx_sip_tick(struct event_loop *el, void *ud)
{
	struct siproxd *sx = ud;
	int64_t now = el_wall_s(el);

	sip_pipeline_tick(sx->pipeline);
	if (sx->next_autosave && now >= sx->next_autosave) {
		sx_save_registrations(sx);
		sx->next_autosave = now + sx->cfg->autosave_registrations;
	}
	el_timer_start(el, &sx->sip_timer, 1000, sx_sip_tick, sx);
}

static int sx_pipeline_create(struct siproxd *sx)
{
	struct sip_pipeline_ctx ctx = {
		.cfg = sx->cfg, .dns = sx->dns, .auth = sx->auth, .loop = sx->el,
		.send = sx_sip_send, .send_ud = sx, .now = sx_wall_clock, .now_ud = sx,
		.sdp_rewrite = sx->cfg->rtp_proxy_enable ? sx_sip_media : NULL, .sdp_ud = sx,
	};

	sx->reg = reg_create((size_t)sx->cfg->max_registrations);
	if (!sx->reg) {
		log_error("cannot create the registration table: %s", strerror(errno));
		return -1;
	}
	reg_set_clock(sx->reg, sx_wall_clock, sx);
	ctx.reg = sx->reg;
	sx->pipeline = sip_pipeline_create(&ctx);
	if (!sx->pipeline) {
		log_error("cannot create the SIP pipeline: out of memory");
		return -1;
	}
	sx_pipeline_addrs(sx);
	if (sx->cfg->autosave_registrations > 0)
		sx->next_autosave = el_wall_s(sx->el) + sx->cfg->autosave_registrations;
	el_timer_start(sx->el, &sx->sip_timer, 1000, sx_sip_tick, sx);
	return 0;
}

/* Adds addr to list unless it is already there (inbound and outbound may be the same). */
static void addr_add_unique(struct in_addr *list, size_t *n, struct in_addr addr)
{
	for (size_t i = 0; i < *n; i++)
		if (list[i].s_addr == addr.s_addr)
			return;
	list[(*n)++] = addr;
}

/* SIP listeners: the inbound address, the outbound address and 127.0.0.1 — never 0.0.0.0. */
static int sx_listen_sip(struct siproxd *sx)
{
	struct in_addr addrs[3], a;
	size_t n = 0;

	if (netif_addr(sx->netif, NETIF_INBOUND, &a) < 0) {
		log_error("if_inbound %s has no IPv4 address", sx->cfg->if_inbound ? sx->cfg->if_inbound : "(unset)");
		return -1;
	}
	addr_add_unique(addrs, &n, a);
	if (netif_addr(sx->netif, NETIF_OUTBOUND, &a) == 0)
		addr_add_unique(addrs, &n, a);
	else
		log_warn("if_outbound %s has no IPv4 address yet; listening there once it gets one",
			 sx->cfg->if_outbound ? sx->cfg->if_outbound : "(unset)");
	a.s_addr = htonl(INADDR_LOOPBACK);
	addr_add_unique(addrs, &n, a);
	return sip_transport_listen(sx->transport, addrs, n, (uint16_t)sx->cfg->sip_listen_port);
}

/* Debug port listeners: debug_listen, by default the inbound address and 127.0.0.1. */
static int sx_open_debug_port(struct siproxd *sx)
{
	const struct config *cfg = sx->cfg;
	size_t max = cfg->debug_listen.n ? cfg->debug_listen.n : 2;
	struct in_addr *addrs;
	size_t n = 0;
	int rc = -1;

	if (cfg->debug_port <= 0)
		return 0;
	addrs = calloc(max, sizeof *addrs);
	if (!addrs) {
		log_error("debug port: out of memory");
		return -1;
	}
	if (cfg->debug_listen.n) {
		for (size_t i = 0; i < cfg->debug_listen.n; i++) {
			struct in_addr a;
			if (inet_pton(AF_INET, cfg->debug_listen.v[i], &a) != 1) {
				struct cfg_origin o = config_origin(cfg, "debug_listen", (unsigned)i);
				log_error("%s:%u: debug_listen '%s' is not an IPv4 address", o.file ? o.file : "?",
					  o.line, cfg->debug_listen.v[i]);
				goto out;
			}
			addr_add_unique(addrs, &n, a);
		}
	} else {
		struct in_addr a;
		if (netif_addr(sx->netif, NETIF_INBOUND, &a) == 0)
			addr_add_unique(addrs, &n, a);
		a.s_addr = htonl(INADDR_LOOPBACK);
		addr_add_unique(addrs, &n, a);
	}
	sx->debug = debug_port_create(sx->el, addrs, n, (uint16_t)cfg->debug_port, cfg->debug_max_clients, 0);
	rc = sx->debug ? 0 : -1;
out:
	free(addrs);
	return rc;
}

/* Every RTP port pair, every TCP connection and some reserve must fit under RLIMIT_NOFILE. */
static void sx_raise_fd_limit(const struct config *cfg)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)cfg->tcp_max_connections + SX_FD_RESERVE;

	if (cfg->rtp_proxy_enable && cfg->rtp_port_high >= cfg->rtp_port_low)
		need += (rlim_t)(cfg->rtp_port_high - cfg->rtp_port_low + 2) * 2;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
		return;
	rlim_t want = need;
	if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
		want = rl.rlim_max;
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warn("cannot raise the descriptor limit to %llu: %s", (unsigned long long)want, strerror(errno));
	if (want < need)
		log_warn("descriptor limit %llu is below the %llu that rtp_port_low..rtp_port_high and "
			 "tcp_max_connections need; calls may fail when it runs out",
			 (unsigned long long)want, (unsigned long long)need);
}

/*
 * The media relay, once both sides have an address (a PPP link may come up after the daemon).
 * Returns -1 (logged) only for a configuration it cannot work with.
 */
static int sx_rtp_create(struct siproxd *sx)
{
	struct rtp_relay_addrs addrs;

	if (!sx->cfg->rtp_proxy_enable || sx->rtp)
		return 0;
	if (netif_addr(sx->netif, NETIF_INBOUND, &addrs.inbound) < 0 ||
	    netif_addr(sx->netif, NETIF_OUTBOUND, &addrs.outbound) < 0) {
		log_warn("RTP relay waits until if_inbound and if_outbound have an address");
		return 0;
	}
	if (netif_outbound_public(sx->netif, &addrs.public_addr) < 0)
		addrs.public_addr = addrs.outbound;
	sx->rtp = rtp_relay_create(sx->el, sx->cfg, &addrs);
	if (!sx->rtp) {
		log_error("cannot start the RTP relay: %s", errno == EINVAL ?
			  "rtp_port_low..rtp_port_high is not a usable port range" : strerror(errno));
		return -1;
	}
	return 0;
}

/* Whether SIP should listen on addr: the current inbound or outbound address, or 127.0.0.1. */
static bool sx_sip_wants(const struct siproxd *sx, struct in_addr addr)
{
	struct in_addr a;

	return addr.s_addr == htonl(INADDR_LOOPBACK) ||
	       (netif_addr(sx->netif, NETIF_INBOUND, &a) == 0 && a.s_addr == addr.s_addr) ||
	       (netif_addr(sx->netif, NETIF_OUTBOUND, &a) == 0 && a.s_addr == addr.s_addr);
}

/* New calls bind and announce the current addresses; kept while a side has none (nothing to bind). */
static void sx_rtp_addrs(struct siproxd *sx)
{
	struct rtp_relay_addrs addrs;

	if (!sx->rtp || netif_addr(sx->netif, NETIF_INBOUND, &addrs.inbound) < 0 ||
	    netif_addr(sx->netif, NETIF_OUTBOUND, &addrs.outbound) < 0)
		return;
	if (netif_outbound_public(sx->netif, &addrs.public_addr) < 0)
		addrs.public_addr = addrs.outbound;
	rtp_relay_set_addrs(sx->rtp, &addrs);
}

/*
 * An interface renumbered or host_outbound re-resolved (netif logged it): SIP leaves the old
 * address and listens on the new one, and the pipeline and new RTP sessions use the new ones.
 */
static void sx_netif_changed(void *ud, enum netif_side side, struct in_addr old_addr, struct in_addr new_addr)
{
	struct siproxd *sx = ud;
	const char *name = side == NETIF_INBOUND ? "inbound" : "outbound";

	if (sx->pipeline)
		sx_pipeline_addrs(sx);
	sx_rtp_addrs(sx);
	if (side == NETIF_PUBLIC || !sx->transport)
		return;
	/* The other side may have the same address (one interface for both): then it stays. */
	if (old_addr.s_addr && !sx_sip_wants(sx, old_addr) && sip_transport_listening(sx->transport, old_addr) &&
	    sip_transport_unlisten(sx->transport, old_addr) < 0)
		log_warn("cannot stop listening for SIP on the old %s address %s: %s", name, inet_ntoa(old_addr),
			 strerror(errno));
	if (new_addr.s_addr &&
	    sip_transport_listen(sx->transport, &new_addr, 1, (uint16_t)sx->cfg->sip_listen_port) < 0)
		log_warn("cannot listen for SIP on the new %s address %s", name, inet_ntoa(new_addr));
	if (new_addr.s_addr)
		sx_rtp_create(sx);
}

/*
 * Options used only while starting (sockets, privileges, PID file, table sizes, plugins, the
 * authenticator) keep the values the daemon started with, so that no module acts on a value the
 * daemon does not run with. Their strings point into the start-up configuration, which therefore
 * stays allocated until exit (sx->boot).
 */
static void sx_keep_startup_options(struct config *fresh, const struct config *boot)
{
#define SX_KEEP(field) (fresh->field = boot->field)
	SX_KEEP(if_inbound);
	SX_KEEP(if_outbound);
	SX_KEEP(sip_listen_port);
	SX_KEEP(sip_dscp);
	SX_KEEP(debug_port);
	SX_KEEP(debug_listen);
	SX_KEEP(debug_max_clients);
	SX_KEEP(daemonize);
	SX_KEEP(pid_file);
	SX_KEEP(user);
	SX_KEEP(chrootjail);
	SX_KEEP(tcp_max_connections);
	SX_KEEP(tcp_max_buffer);
	SX_KEEP(rtp_proxy_enable);
	SX_KEEP(rtp_port_low);
	SX_KEEP(rtp_port_high);
	SX_KEEP(proxy_auth_realm);
	SX_KEEP(proxy_auth_passwd);
	SX_KEEP(proxy_auth_pwfile);
	SX_KEEP(max_registrations);
	SX_KEEP(registration_file);
	SX_KEEP(plugindir);
	SX_KEEP(load_plugin);
#undef SX_KEEP
}

/* The authenticator holds its own copy of realm and password: a change needs a restart. */
static int sx_auth_restart_needed(const struct config *boot, const struct config *fresh)
{
	static const char *const names[] = { "proxy_auth_realm", "proxy_auth_passwd" };
	const char *was[] = { boot->proxy_auth_realm, boot->proxy_auth_passwd };
	const char *now[] = { fresh->proxy_auth_realm, fresh->proxy_auth_passwd };
	int changed = 0;

	for (size_t i = 0; i < 2; i++) {
		if ((was[i] == NULL) != (now[i] == NULL) || (was[i] && strcmp(was[i], now[i]) != 0)) {
			log_warn("option %s changed: restart needed", names[i]);
			changed++;
		}
	}
	return changed;
}

/* SIGHUP: read the file again; on any error the running configuration stays untouched. */
static void sx_reload(struct siproxd *sx)
{
	struct config *fresh = calloc(1, sizeof *fresh);

	log_info("SIGHUP: reloading %s", sx->config_path);
	if (!fresh) {
		log_error("reload: out of memory; keeping the running configuration");
		return;
	}
	if (config_load(fresh, sx->config_path, false) < 0) {
		log_error("reload of %s failed; keeping the running configuration", sx->config_path);
		config_free(fresh);
		free(fresh);
		return;
	}
	/* Compared with what the daemon started with, so a change is named on every reload until a
	 * restart applies it. */
	const struct config *boot = sx->boot ? sx->boot : sx->cfg;
	int restart = config_restart_needed(boot, fresh) + sx_auth_restart_needed(boot, fresh);
	if (restart > 0)
		log_warn("%d changed option(s) take effect only after a restart of siproxd", restart);
	if (netif_set_host_outbound(sx->netif, fresh->host_outbound) < 0) {
		log_error("reload: keeping the running configuration");
		config_free(fresh);
		free(fresh);
		return;
	}
	sx_keep_startup_options(fresh, boot);
	/* Swap contents, not pointers: modules keep a pointer to the struct. The contents replaced
	 * are kept when they are the start-up configuration, freed otherwise. */
	struct config old = *sx->cfg;
	*sx->cfg = *fresh;
	*fresh = old;
	if (!sx->boot) {
		sx->boot = fresh;
	} else {
		config_free(fresh);
		free(fresh);
	}
	sx_apply_logging(sx);
	if (sx->auth && auth_reload(sx->auth) < 0)
		log_error("reload: password file %s not re-read; the old one stays",
			  sx->cfg->proxy_auth_pwfile ? sx->cfg->proxy_auth_pwfile : "-");
	log_info("configuration reloaded, debug pattern 0x%x", log_debug_pattern());
	log_debug(DBCLASS_CONFIG, "reload: the running configuration is now %s", sx->config_path);
}

static void sx_signal(struct event_loop *el, int signo, void *ud)
{
	struct siproxd *sx = ud;

	switch (signo) {
	case SIGTERM:
	case SIGINT:
		log_info("%s received, terminating", strsignal(signo));
		el_stop(el);
		break;
	case SIGHUP:
		sx_reload(sx);
		break;
	case SIGUSR1:
		status_log(sx);
		break;
	}
}

static int sx_signals(struct siproxd *sx)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };

	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		if (el_signal_add(sx->el, sigs[i], sx_signal, sx) < 0) {
			log_error("cannot watch signal %s: %s", strsignal(sigs[i]), strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Paths must survive the daemon's chdir("/"): relative ones are taken from the start directory. */
static char *absolute_path(const char *path)
{
	char cwd[PATH_MAX];

	if (path[0] == '/' || !getcwd(cwd, sizeof cwd))
		return strdup(path);
	size_t len = strlen(cwd) + 1 + strlen(path) + 1;
	char *abs = malloc(len);
	if (abs)
		snprintf(abs, len, "%s/%s", cwd, path);
	return abs;
}

/* Where the PID goes: -p, else pid_file (already absolute, see main()). */
static int sx_pidfile(struct siproxd *sx)
{
	char err[PATH_MAX + 128];

	if (!sx->pid_path)
		return 0;
	if (pidfile_create(&sx->pidfile, sx->pid_path, getpid(), err, sizeof err) < 0) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

/* Everything up to the point where the daemon waits for events; -1 on a fatal error (logged). */
static int sx_start(struct siproxd *sx)
{
	char err[512];

	if (sx->pid_path && pidfile_check(sx->pid_path, err, sizeof err) < 0) {
		log_error("%s", err);
		return -1;
	}
	sx->el = el_create();
	if (!sx->el) {
		log_error("cannot create the event loop: %s", strerror(errno));
		return -1;
	}
	sx->dns = dns_create(sx->el, SX_DNS_MAX_PENDING);
	if (!sx->dns)
		return -1;
	sx->netif = netif_create(sx->el, sx->dns, sx->cfg->if_inbound, sx->cfg->if_outbound,
				 sx->cfg->host_outbound, SX_HOST_OUTBOUND_REFRESH_S, sx_netif_changed, sx);
	if (!sx->netif)
		return -1;
	if (sx->cfg->proxy_auth_realm && *sx->cfg->proxy_auth_realm) {
		/* Read the password file now: it is usually outside a chroot jail. */
		sx->auth = auth_create(sx->cfg->proxy_auth_realm, sx->cfg->proxy_auth_passwd,
				       sx->cfg->proxy_auth_pwfile, sx->cfg->proxy_auth_nonce_ttl);
		if (!sx->auth)
			return -1;
	}
	sx->transport = sip_transport_create(sx->el, sx->cfg, sx_sip_received, sx);
	if (!sx->transport || sx_listen_sip(sx) < 0 || sx_open_debug_port(sx) < 0)
		return -1;
	sx_raise_fd_limit(sx->cfg);
	if (sx_rtp_create(sx) < 0 || sx_pipeline_create(sx) < 0)
		return -1;

	if (!sx->foreground && sx->cfg->daemonize) {
		sx->detach_fd = daemon_detach();
		if (sx->detach_fd < 0) {
			log_error("cannot fork into the background: %s", strerror(errno));
			return -1;
		}
	}
	if (sx_pidfile(sx) < 0)
		return -1;
	if (daemon_drop_privileges(sx->cfg->user, sx->cfg->chrootjail, err, sizeof err) < 0) {
		log_error("%s", err);
		return -1;
	}
	/* As the classic: the file is read inside the jail, as the unprivileged user. */
	if (sip_pipeline_load_registrations(sx->pipeline) < 0)
		log_warn("cannot read the registrations from %s: %s", sx->cfg->registration_file, strerror(errno));
	return sx_signals(sx);
}

static void sx_stop(struct siproxd *sx)
{
	/* Reverse order of sx_start(); each destroy accepts NULL. */
	if (sx->pipeline) {
		sx_save_registrations(sx);
		el_timer_stop(sx->el, &sx->sip_timer);
		sip_pipeline_destroy(sx->pipeline);
	}
	if (sx->reg)
		reg_destroy(sx->reg);
	if (sx->rtp)
		rtp_relay_destroy(sx->rtp);
	if (sx->transport)
		sip_transport_destroy(sx->transport);
	if (sx->debug)
		debug_port_destroy(sx->debug);
	if (sx->auth)
		auth_destroy(sx->auth);
	netif_destroy(sx->netif);
	if (sx->dns)
		dns_destroy(sx->dns);
	if (sx->el)
		el_destroy(sx->el);
	pidfile_release(&sx->pidfile);
}

int main(int argc, char **argv)
{
	struct siproxd sx = { .detach_fd = -1, .pidfile = { .fd = -1 } };
	struct sx_args args = { 0 };
	struct config cfg = { 0 };
	char found[PATH_MAX];
	int rc;

	log_init("siproxd");
	log_set_stderr(true);
	signal(SIGPIPE, SIG_IGN);
	rc = parse_args(argc, argv, &sx, &args);
	if (rc >= 0)
		return rc;

	const char *path = args.config;
	if (!path) {
		path = config_find_default(found, sizeof found);
		if (!path) {
			log_error("no configuration file found (tried ~/.siproxdrc, %s/siproxd.conf, /etc/siproxd.conf, "
				  "/etc/siproxd/siproxd.conf, /usr/etc/siproxd.conf, /usr/local/etc/siproxd.conf); "
				  "use -c FILE", SYSCONFDIR);
			return 1;
		}
	}
	if (config_load(&cfg, path, false) < 0) {
		log_error("%s: configuration has errors%s", path, args.check_only ? "" : ", not starting");
		config_free(&cfg);
		return 1;
	}
	if (args.check_only) {
		config_print(&cfg, stdout);
		config_free(&cfg);
		return 0;
	}
	sx.cfg = &cfg;
	sx.config_path = absolute_path(path);
	const char *pid_path = sx.pid_file_cmdline ? sx.pid_file_cmdline : cfg.pid_file;
	sx.pid_path = pid_path && *pid_path ? absolute_path(pid_path) : NULL;
	if (!sx.config_path || (pid_path && *pid_path && !sx.pid_path)) {
		log_error("out of memory");
		return 1;
	}
	sx.started = (int64_t)time(NULL);
	sx_apply_logging(&sx);
	rc = sx_start(&sx);
	/* Syslog always (filtered by silence_log); stderr while someone can read it: up to here also
	 * in daemon mode, so that start-up errors reach the terminal. */
	if (sx.detach_fd >= 0 && rc == 0)
		log_set_stderr(false);
	daemon_detach_done(sx.detach_fd, rc == 0);
	if (rc == 0) {
		log_info("%s started, pid %ld", PACKAGE_STRING, (long)getpid());
		rc = el_run(sx.el);
		log_info("%s terminated", PACKAGE_STRING);
	} else {
		log_error("start-up failed, exiting");
	}
	sx_stop(&sx);
	config_free(&cfg);
	if (sx.boot) {
		config_free(sx.boot);
		free(sx.boot);
	}
	free(sx.config_path);
	free(sx.pid_path);
	return rc == 0 ? 0 : 1;
}
