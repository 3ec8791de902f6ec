/* The daemon's configuration: every classic option and the new ones, typed and validated. */
#ifndef SIPROXD_CONFIG_H
#define SIPROXD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "acl.h"

struct str_list {
	size_t n;
	char **v;
};

/* Where a value came from, for messages: "file:line", or "default". */
struct cfg_origin {
	const char *file;   /* owned by the config */
	unsigned line;      /* 0 for a default */
};

struct config {
	const char *path;                 /* the file that was read */

	/* logging */
	unsigned debug_level;
	int debug_port;                   /* 0 = off */
	struct str_list debug_listen;     /* addresses; empty = inbound address and 127.0.0.1 */
	int debug_max_clients;            /* default 4 */
	int silence_log;                  /* 0..4, default 1 */

	/* daemon */
	bool daemonize;
	char *pid_file;
	char *user;
	char *chrootjail;
	int thread_stack_size;            /* accepted for compatibility; no threads here */

	/* network */
	char *if_inbound;
	char *if_outbound;
	char *host_outbound;
	int sip_listen_port;              /* default 5060 */
	int sip_dscp;                     /* 0..63 */
	int tcp_timeout;                  /* s, default 300 */
	int tcp_connect_timeout;          /* ms, default 500 */
	int tcp_keepalive;                /* s, 0 = off */
	int tcp_max_connections;          /* default 1024 */
	int tcp_max_buffer;               /* bytes buffered per connection, default 65536 */

	/* RTP */
	int rtp_proxy_enable;             /* 0 or 1 */
	int rtp_port_low, rtp_port_high;  /* default 7070..7089 */
	int rtp_timeout;                  /* s, default 300 */
	int rtp_hold_timeout;             /* s, default 3600 */
	int rtp_max_streams;              /* m= lines one SDP may have relayed, default 16 */
	int rtp_dscp;                     /* 0..63 */
	int rtp_input_dejitter;           /* µs, 0..1500000 */
	int rtp_output_dejitter;

	/* access */
	char *hosts_allow_reg, *hosts_allow_sip, *hosts_deny_sip;
	struct acl_set acls;              /* the three lists, parsed */

	/* authentication */
	char *proxy_auth_realm;
	char *proxy_auth_passwd;
	char *proxy_auth_pwfile;
	bool proxy_auth_all;
	int proxy_auth_nonce_ttl;         /* s, default 300 */

	/* registrations */
	struct str_list mask_host, masked_host;       /* paired by index */
	char *registration_file;
	int default_expires;              /* default 3600 */
	int autosave_registrations;       /* s, 0 = at exit only */
	int max_registrations;            /* default 10000 */

	/* routing and rewriting */
	char *outbound_proxy_host;
	int outbound_proxy_port;          /* 0 = 5060 */
	struct str_list outbound_domain_name, outbound_domain_host;
	int *outbound_domain_port;        /* n = outbound_domain_name.n */
	char *ua_string;
	int use_rport;                    /* bit 1: incoming requests, bit 2: outgoing */
	bool obscure_loops;

	/* plugins */
	char *plugindir;
	struct str_list load_plugin;

	/* Private to config.c: the libconfuse tree (plugin options, printing) and where each value came from. */
	void *cfg;
};

/*
 * Reads a classic siproxd.conf. Every problem is reported through the log with file:line;
 * returns 0 when the configuration is usable, -1 when at least one error was found (all of them
 * are reported, not only the first). Warnings (unknown key, plugin not built) do not fail.
 * check_interfaces: also require that if_inbound/if_outbound exist on this machine.
 */
int config_load(struct config *cfg, const char *path, bool check_interfaces);
void config_free(struct config *cfg);

/* Without -c: the classic search order; returns the first readable file or NULL. */
const char *config_find_default(char *buf, size_t len);

/* Where option name (list element idx) was set; {"default", 0} when not set in the file. */
struct cfg_origin config_origin(const struct config *cfg, const char *name, unsigned idx);

/* Prints the effective configuration in siproxd.conf syntax (for -t). */
void config_print(const struct config *cfg, FILE *out);

/* Options that cannot change on SIGHUP: logs each one that differs, returns their count. */
int config_restart_needed(const struct config *old_cfg, const struct config *new_cfg);

/*
 * Plugin options are read by name from the same tree. An unset string is NULL, an unset list
 * is empty; an integer option gives its documented default. def is returned only for a name
 * that is not an integer option. List items stay valid until config_free.
 */
const char *config_plugin_str(const struct config *cfg, const char *name);
long config_plugin_int(const struct config *cfg, const char *name, long def);
size_t config_plugin_list(const struct config *cfg, const char *name, const char ***items);

#endif
