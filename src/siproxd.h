/* The running daemon's state: one struct that main() owns and hands to whoever needs it. */
#ifndef SIPROXD_SIPROXD_H
#define SIPROXD_SIPROXD_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"
#include "event_loop.h"
#include "sip_transport.h"

struct config;
struct event_loop;
struct dns;
struct netif;
struct sip_transport;
struct debug_port;
struct digest_auth;
struct rtp_relay;
struct registrar;
struct sip_pipeline;

struct siproxd {
	struct config *cfg;             /* the active configuration; its contents are swapped on SIGHUP,
					 * the struct itself stays where it is */
	struct config *boot;            /* the start-up configuration after the first reload: the
					 * options that need a restart keep pointing into it */
	char *config_path;              /* absolute, so a reload works after chdir("/") */
	struct event_loop *el;
	struct dns *dns;
	struct netif *netif;
	struct sip_transport *transport;
	struct debug_port *debug;       /* NULL when debug_port = 0 */
	struct digest_auth *auth;       /* NULL when proxy_auth_realm is unset */
	/* The proxy proper (proxy_setup.c); all NULL until both interfaces have an address. */
	struct rtp_relay *rtp;          /* also NULL with rtp_proxy_enable = 0 */
	struct registrar *reg;
	struct sip_pipeline *pipeline;  /* fed by proxy_input(), the transport's receive callback */
	struct el_timer tick;           /* registration expiry and autosave */
	int64_t next_autosave;          /* wall clock */
	bool running;                   /* start-up is over: privileges dropped, loop entered */
	char *pid_path;                 /* absolute; NULL when no PID file is wanted */
	struct pidfile pidfile;

	/* From the command line; they win over the file, also after a reload. */
	bool foreground;
	bool debug_from_cmdline;
	unsigned debug_cmdline;
	const char *pid_file_cmdline;

	int64_t started;                /* wall clock seconds, for the uptime */
	int detach_fd;                  /* readiness pipe to the waiting parent; -1 when none */
};

/* SIGUSR1: a summary of the daemon's state to the log (status.c). */
void status_log(const struct siproxd *sx);

/*
 * proxy_setup.c. proxy_start() creates the RTP relay, the registrar and the SIP pipeline when
 * both interfaces have an address (else it waits: call it again when one changes); -1 (logged)
 * only for a fatal problem. proxy_input() is the transport's receive callback (ud = sx).
 */
int proxy_start(struct siproxd *sx);
void proxy_load_registrations(struct siproxd *sx);
void proxy_input(void *ud, const char *buf, size_t len, const struct sip_peer *from);
void proxy_public_changed(struct siproxd *sx);
/* Saves the registrations and takes the proxy down; safe when it never started. */
void proxy_stop(struct siproxd *sx);

#endif
