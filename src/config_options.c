/* The table of every siproxd.conf option: name, type, default, range, and where it lands in struct config. */
#include "build_config.h"

#include "config_options.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define F(field) offsetof(struct config, field)
#define NOF COPT_NOFIELD
#define R COPT_RESTART
#define ANY LONG_MIN, LONG_MAX
#define NONNEG 0, INT_MAX
#define PORT 1, 65535
#define PORT0 0, 65535

/* Variadic so that the range may be given as PORT or NONNEG: lo, hi, flags, field, section. */
#define INT(n, d, ...)                { n, COPT_INT, d, NULL, __VA_ARGS__ }
#define BOOL(n, d, fl, f, s)          { n, COPT_BOOL, d, NULL, ANY, fl, f, s }
#define STR(n, d, fl, f, s)           { n, COPT_STR, 0, d, 0, 0, fl, f, s }
#define SLIST(n, fl, f, s)            { n, COPT_STR_LIST, 0, NULL, 0, 0, fl, f, s }
#define ILIST(n, ...)                 { n, COPT_INT_LIST, 0, NULL, __VA_ARGS__ }

#define P COPT_PLUGIN
#define PACL (COPT_PLUGIN | COPT_ACL)

/* Table order is the order of config_print and of the man page. */
const struct copt_def copt_table[] = {
	{ "debug_level", COPT_DEBUG, 0, NULL, ANY, 0, F(debug_level), "logging" },
	INT("debug_port", 0, PORT0, R, F(debug_port), "logging"),
	SLIST("debug_listen", R, F(debug_listen), "logging"),
	INT("debug_max_clients", 4, 1, INT_MAX, R, F(debug_max_clients), "logging"),
	INT("silence_log", 1, 0, 4, 0, F(silence_log), "logging"),

	BOOL("daemonize", 0, R, F(daemonize), "daemon"),
	STR("pid_file", NULL, R, F(pid_file), "daemon"),
	STR("user", NULL, R, F(user), "daemon"),
	STR("chrootjail", NULL, R, F(chrootjail), "daemon"),
	INT("thread_stack_size", 0, INT_MIN, INT_MAX, 0, F(thread_stack_size), "daemon"),

	STR("if_inbound", NULL, R, F(if_inbound), "network"),
	STR("if_outbound", NULL, R, F(if_outbound), "network"),
	STR("host_outbound", NULL, 0, F(host_outbound), "network"),
	INT("sip_listen_port", 5060, PORT, R, F(sip_listen_port), "network"),
	INT("sip_dscp", 0, 0, 63, R, F(sip_dscp), "network"),
	INT("tcp_timeout", 300, NONNEG, 0, F(tcp_timeout), "network"),
	INT("tcp_connect_timeout", 500, NONNEG, 0, F(tcp_connect_timeout), "network"),
	INT("tcp_keepalive", 0, NONNEG, 0, F(tcp_keepalive), "network"),
	INT("tcp_max_connections", 1024, 1, INT_MAX, R, F(tcp_max_connections), "network"),
	INT("tcp_max_buffer", 65536, 1024, INT_MAX, R, F(tcp_max_buffer), "network"),

	INT("rtp_proxy_enable", 1, 0, 1, R, F(rtp_proxy_enable), "rtp"),
	INT("rtp_port_low", 7070, PORT, R, F(rtp_port_low), "rtp"),
	INT("rtp_port_high", 7089, PORT, R, F(rtp_port_high), "rtp"),
	INT("rtp_timeout", 300, NONNEG, 0, F(rtp_timeout), "rtp"),
	INT("rtp_hold_timeout", 3600, NONNEG, 0, F(rtp_hold_timeout), "rtp"),
	INT("rtp_max_streams", 16, 1, 1000, 0, F(rtp_max_streams), "rtp"),
	INT("rtp_dscp", 0, 0, 63, 0, F(rtp_dscp), "rtp"),
	INT("rtp_input_dejitter", 0, 0, 1500000, 0, F(rtp_input_dejitter), "rtp"),
	INT("rtp_output_dejitter", 0, 0, 1500000, 0, F(rtp_output_dejitter), "rtp"),

	STR("hosts_allow_reg", NULL, COPT_ACL, F(hosts_allow_reg), "access"),
	STR("hosts_allow_sip", NULL, COPT_ACL, F(hosts_allow_sip), "access"),
	STR("hosts_deny_sip", NULL, COPT_ACL, F(hosts_deny_sip), "access"),

	STR("proxy_auth_realm", NULL, 0, F(proxy_auth_realm), "authentication"),
	STR("proxy_auth_passwd", NULL, 0, F(proxy_auth_passwd), "authentication"),
	STR("proxy_auth_pwfile", NULL, R, F(proxy_auth_pwfile), "authentication"),
	BOOL("proxy_auth_all", 0, 0, F(proxy_auth_all), "authentication"),
	INT("proxy_auth_nonce_ttl", 300, 1, INT_MAX, 0, F(proxy_auth_nonce_ttl), "authentication"),

	SLIST("mask_host", 0, F(mask_host), "registrations"),
	SLIST("masked_host", 0, F(masked_host), "registrations"),
	STR("registration_file", NULL, R, F(registration_file), "registrations"),
	INT("default_expires", 3600, NONNEG, 0, F(default_expires), "registrations"),
	INT("autosave_registrations", 0, NONNEG, 0, F(autosave_registrations), "registrations"),
	INT("max_registrations", 10000, 1, INT_MAX, R, F(max_registrations), "registrations"),

	STR("outbound_proxy_host", NULL, 0, F(outbound_proxy_host), "routing"),
	INT("outbound_proxy_port", 0, PORT0, 0, F(outbound_proxy_port), "routing"),
	SLIST("outbound_domain_name", 0, F(outbound_domain_name), "routing"),
	SLIST("outbound_domain_host", 0, F(outbound_domain_host), "routing"),
	ILIST("outbound_domain_port", PORT0, 0, F(outbound_domain_port), "routing"),
	STR("ua_string", NULL, 0, F(ua_string), "routing"),
	INT("use_rport", 0, 0, 3, 0, F(use_rport), "routing"),
	BOOL("obscure_loops", 0, 0, F(obscure_loops), "routing"),

	STR("plugindir", NULL, R, F(plugindir), "plugins"),
	SLIST("load_plugin", R, NOF, "plugins"),
	STR("plugin_demo_string", NULL, P, NOF, "plugins"),
	STR("plugin_shortdial_akey", NULL, P, NOF, "plugins"),
	SLIST("plugin_shortdial_entry", P, NOF, "plugins"),
	STR("plugin_defaulttarget_target", NULL, P, NOF, "plugins"),
	BOOL("plugin_defaulttarget_log", 0, P, NOF, "plugins"),
	STR("plugin_fix_bogus_via_networks", NULL, PACL, NOF, "plugins"),
	STR("plugin_fix_DTAG_networks", NULL, PACL, NOF, "plugins"),
	STR("plugin_stun_server", NULL, P, NOF, "plugins"),
	INT("plugin_stun_port", 3478, PORT, P, NOF, "plugins"),
	INT("plugin_stun_period", 300, NONNEG, P, NOF, "plugins"),
	STR("plugin_prefix_akey", NULL, P, NOF, "plugins"),
	SLIST("plugin_regex_desc", P, NOF, "plugins"),
	SLIST("plugin_regex_pattern", P, NOF, "plugins"),
	SLIST("plugin_regex_replace", P, NOF, "plugins"),
	SLIST("plugin_regex_body_desc", P, NOF, "plugins"),
	SLIST("plugin_regex_body_pattern", P, NOF, "plugins"),
	SLIST("plugin_regex_body_replace", P, NOF, "plugins"),
	SLIST("plugin_codecfilter_blacklist", P, NOF, "plugins"),
	SLIST("plugin_stripheader_remove", P, NOF, "plugins"),
	SLIST("plugin_siptrunk_name", P, NOF, "plugins"),
	SLIST("plugin_siptrunk_account", P, NOF, "plugins"),
	SLIST("plugin_siptrunk_numbers_regex", P, NOF, "plugins"),
	STR("plugin_fix_fbox_anoncall_networks", NULL, PACL, NOF, "plugins"),
	INT("plugin_stats_to_syslog", 0, -1, INT_MAX, P, NOF, "plugins"),
	INT("plugin_stats_to_file", 0, -1, INT_MAX, P, NOF, "plugins"),
	STR("plugin_stats_filename", NULL, P, NOF, "plugins"),
	STR("plugin_blacklist_dbpath", "/var/lib/siproxd/blacklist.sqlite", P, NOF, "plugins"),
	STR("plugin_blacklist_db_sync_mode", "OFF", P, NOF, "plugins"),
	BOOL("plugin_blacklist_simulate", 0, P, NOF, "plugins"),
	INT("plugin_blacklist_duration", 3600, NONNEG, P, NOF, "plugins"),
	INT("plugin_blacklist_hitcount", 10, NONNEG, P, NOF, "plugins"),
	INT("plugin_blacklist_register_window", 30, NONNEG, P, NOF, "plugins"),
};
const size_t copt_count = sizeof copt_table / sizeof copt_table[0];

const struct copt_def *copt_find(const char *name, size_t *index)
{
	for (size_t i = 0; i < copt_count; i++) {
		if (strcmp(copt_table[i].name, name) == 0) {
			if (index)
				*index = i;
			return &copt_table[i];
		}
	}
	return NULL;
}

/* Edit distance with two rows; names are short, a key of any length is cut at 64. */
static size_t levenshtein(const char *a, const char *b)
{
	size_t la = strnlen(a, 64), lb = strnlen(b, 64);
	size_t row[2][65];

	for (size_t j = 0; j <= lb; j++)
		row[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t *prev = row[(i - 1) & 1], *cur = row[i & 1];
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = prev[j - 1] + (a[i - 1] != b[j - 1]);
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			cur[j] = best;
		}
	}
	return row[la & 1][lb];
}

const char *copt_closest(const char *name)
{
	const char *best = copt_table[0].name;
	size_t best_d = (size_t)-1;

	for (size_t i = 0; i < copt_count; i++) {
		size_t d = levenshtein(name, copt_table[i].name);
		if (d < best_d) {
			best_d = d;
			best = copt_table[i].name;
		}
	}
	return best;
}
