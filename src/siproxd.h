/* The running daemon's state: one struct that main() owns and hands to whoever needs it. */
#ifndef SIPROXD_SIPROXD_H
#define SIPROXD_SIPROXD_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"

struct config;
struct event_loop;
struct dns;
struct netif;
struct sip_transport;
struct debug_port;
struct digest_auth;
struct rtp_relay;

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
	struct rtp_relay *rtp;          /* NULL with rtp_proxy_enable = 0, or until both sides have
					 * an address */
	/*
	 * The SIP pipeline (sip_pipeline.h) belongs here: created in main.c's sx_pipeline_create()
	 * and fed by sx_sip_received(), the transport's receive callback.
	 */
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

#endif
