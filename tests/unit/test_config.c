/* Unit tests of the configuration: classic syntax, typing, validation with file:line, printing. */
#include "build_config.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_options.h"
#include "log.h"
#include "unit_run.h"

static char tmpdir[64];
static char captured[1 << 16];
static size_t captured_len;

static void capture(const char *line, size_t len, void *ud)
{
	(void)ud;
	if (captured_len + len + 2 < sizeof captured) {
		memcpy(captured + captured_len, line, len);
		captured_len += len;
		captured[captured_len++] = '\n';
		captured[captured_len] = '\0';
	}
}

/* True when one captured line holds both needles (a level label and a message part). */
static bool logged(const char *label, const char *needle)
{
	const char *p = captured;
	while (*p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char line[2048];
		snprintf(line, sizeof line, "%.*s", (int)len, p);
		if (strstr(line, label) && strstr(line, needle))
			return true;
		p += len + (end != NULL);
	}
	return false;
}

static void setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/siproxd-cfgtest-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	captured_len = 0;
	captured[0] = '\0';
	log_set_sink(capture, NULL);
}

static void teardown(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	char p[512];

	log_set_sink(NULL, NULL);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || e->d_name[1] == '.'))
			continue;
		snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(tmpdir);
}

static const char *write_file(const char *name, const char *text)
{
	static char path[2][256];
	static int which;
	char *p = path[which ^= 1];

	snprintf(p, sizeof path[0], "%s/%s", tmpdir, name);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return p;
}

/* Loads text (after the two required interface lines) from t.conf; both are "lo". */
#define BASE "if_inbound = lo\nif_outbound = lo\n"
static int load_text(struct config *c, const char *text)
{
	return config_load(c, write_file("t.conf", text), true);
}

/* Asserts that loading body fails and that an ERROR names t.conf:line and the message. */
static void expect_error(const char *body, unsigned line, const char *msg)
{
	struct config c;
	char where[64];

	captured_len = 0;
	captured[0] = '\0';
	ck_assert_msg(load_text(&c, body) == -1, "accepted: %s", body);
	snprintf(where, sizeof where, "t.conf:%u:", line);
	ck_assert_msg(logged("ERROR", where) && logged(where, msg), "no \"%s %s\" in:\n%s", where, msg, captured);
	config_free(&c);
}

/* --- syntax --- */

START_TEST(comments_blanks_crlf_tabs)
{
	struct config c;
	int rc = load_text(&c, "# a comment\n"
			       "   # an indented comment\n"
			       "\n"
			       "\t if_inbound = lo   \r\n"
			       "if_outbound\t=\tlo # inline comment\n"
			       "ua_string = My\tAgent  1.0   \r\n"
			       "proxy_auth_realm = a=b\n"
			       "sip_listen_port = 5070 # port\r\n");
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(c.if_inbound, "lo");
	ck_assert_str_eq(c.if_outbound, "lo");
	ck_assert_str_eq(c.ua_string, "My\tAgent  1.0");
	ck_assert_str_eq(c.proxy_auth_realm, "a=b");
	ck_assert_int_eq(c.sip_listen_port, 5070);
	ck_assert_uint_eq(config_origin(&c, "if_outbound", 0).line, 5);
	ck_assert_uint_eq(config_origin(&c, "sip_listen_port", 0).line, 8);
	config_free(&c);
}
END_TEST

START_TEST(values_containing_other_keys)
{
	struct config c;
	ck_assert_int_eq(load_text(&c, BASE "registration_file = /home/user/daemonize_rtp_timeout\n"
					 "pid_file = /run/user/if_inbound.pid\n"), 0);
	ck_assert_str_eq(c.registration_file, "/home/user/daemonize_rtp_timeout");
	ck_assert_str_eq(c.pid_file, "/run/user/if_inbound.pid");
	ck_assert_ptr_null(c.user);
	ck_assert(!c.daemonize);
	ck_assert_int_eq(c.rtp_timeout, 300);
	config_free(&c);
}
END_TEST

START_TEST(keys_match_whole_words)
{
	struct config c;
	ck_assert_int_eq(load_text(&c, BASE "xxif_inbound = eth9\n"), 0);
	ck_assert_str_eq(c.if_inbound, "lo");
	ck_assert(logged("WARNING", "t.conf:3: unknown option \"xxif_inbound\""));
	ck_assert(logged("WARNING", "did you mean \"if_inbound\""));
	config_free(&c);
}
END_TEST

START_TEST(obsolete_key_explained)
{
	struct config c;
	/* log_calls stands in the example file of older siproxd releases */
	ck_assert_int_eq(load_text(&c, BASE "log_calls = 1\n"), 0);
	ck_assert(logged("t.conf:3:", "option \"log_calls\" of older siproxd versions ignored"));
	ck_assert(!logged("t.conf:3:", "did you mean"));
	config_free(&c);
}
END_TEST

START_TEST(unknown_key_suggests_closest)
{
	struct config c;
	ck_assert_int_eq(load_text(&c, BASE "rtp_port_hihg = 8000\nsilence_logs = 2\n"), 0);
	ck_assert(logged("t.conf:3:", "did you mean \"rtp_port_high\""));
	ck_assert(logged("t.conf:4:", "did you mean \"silence_log\""));
	ck_assert_int_eq(c.silence_log, 1);
	config_free(&c);
}
END_TEST

START_TEST(repeated_keys)
{
	struct config c;
	ck_assert_int_eq(load_text(&c, BASE "mask_host = a.example\n"
					 "user = first\n"
					 "mask_host = b.example\n"
					 "masked_host = x.example\n"
					 "user = second\n"
					 "masked_host = y.example\n"), 0);
	ck_assert_uint_eq(c.mask_host.n, 2);
	ck_assert_str_eq(c.mask_host.v[0], "a.example");
	ck_assert_str_eq(c.mask_host.v[1], "b.example");
	ck_assert_str_eq(c.masked_host.v[1], "y.example");
	ck_assert_uint_eq(config_origin(&c, "mask_host", 1).line, 5);
	ck_assert_uint_eq(config_origin(&c, "masked_host", 1).line, 8);
	ck_assert_str_eq(c.user, "second");
	ck_assert_uint_eq(config_origin(&c, "user", 0).line, 7);
	ck_assert(logged("WARNING", "t.conf:7: user is set again (first at line 4)"));
	config_free(&c);
}
END_TEST

START_TEST(integers_hex_leading_zero_negative)
{
	struct config c;
	ck_assert_int_eq(load_text(&c, BASE "rtp_dscp = 046\n"
					 "sip_listen_port = 0x13c4\n"
					 "debug_level = -1\n"
					 "default_expires = 0600\n"
					 "plugin_stats_to_syslog = -1\n"), 0);
	ck_assert_int_eq(c.rtp_dscp, 46);
	ck_assert_int_eq(c.sip_listen_port, 5060);
	ck_assert_uint_eq(c.debug_level, 0xffffffffu);
	ck_assert_int_eq(c.default_expires, 600);
	ck_assert_int_eq(config_plugin_int(&c, "plugin_stats_to_syslog", 7), -1);
	config_free(&c);
	ck_assert_int_eq(load_text(&c, BASE "debug_level = 0x104\n"), 0);
	ck_assert_uint_eq(c.debug_level, 0x104u);
	config_free(&c);
}
END_TEST

START_TEST(long_line_is_one_line)
{
	struct config c;
	size_t n = 5000;
	char *text = malloc(n + 200);
	int pos = snprintf(text, n + 200, BASE "ua_string = ");
	memset(text + pos, 'x', n);
	snprintf(text + pos + n, 200, "\nuser = nobody\n");
	ck_assert_int_eq(load_text(&c, text), 0);
	ck_assert_uint_eq(strlen(c.ua_string), n);
	ck_assert_str_eq(c.user, "nobody");
	ck_assert_uint_eq(config_origin(&c, "user", 0).line, 4);
	config_free(&c);
	free(text);
}
END_TEST

START_TEST(empty_value_keeps_default)
{
	struct config c;
	ck_assert_int_eq(load_text(&c, BASE "sip_listen_port =\nuser = # nobody\n"), 0);
	ck_assert_int_eq(c.sip_listen_port, 5060);
	ck_assert_ptr_null(c.user);
	ck_assert(logged("WARNING", "t.conf:3: sip_listen_port has an empty value"));
	ck_assert(logged("WARNING", "t.conf:4: user has an empty value"));
	config_free(&c);
}
END_TEST

START_TEST(defaults)
{
	struct config c;
	ck_assert_int_eq(load_text(&c, BASE), 0);
	ck_assert_int_eq(c.rtp_port_low, 7070);
	ck_assert_int_eq(c.rtp_port_high, 7089);  /* kept: RTP up to 7088, its RTCP on 7089 */
	ck_assert_int_eq(c.rtp_timeout, 300);
	ck_assert_int_eq(c.rtp_hold_timeout, 3600);
	ck_assert_int_eq(c.tcp_keepalive, 0);
	ck_assert_int_eq(c.sip_listen_port, 5060);
	ck_assert_int_eq(c.default_expires, 3600);
	ck_assert_int_eq(c.silence_log, 1);
	ck_assert_int_eq(c.tcp_timeout, 300);
	ck_assert_int_eq(c.tcp_connect_timeout, 500);
	ck_assert_int_eq(c.rtp_proxy_enable, 1);
	ck_assert_int_eq(c.debug_max_clients, 4);
	ck_assert_int_eq(c.tcp_max_connections, 1024);
	ck_assert_int_eq(c.tcp_max_buffer, 65536);
	ck_assert(!c.proxy_auth_all);
	ck_assert_int_eq(c.proxy_auth_nonce_ttl, 300);
	ck_assert_int_eq(c.max_registrations, 10000);
	ck_assert_uint_eq(c.debug_listen.n, 0);
	ck_assert(acl_empty(&c.acls.allow_reg));
	ck_assert_str_eq(config_origin(&c, "rtp_timeout", 0).file, "default");
	ck_assert_uint_eq(config_origin(&c, "rtp_timeout", 0).line, 0);
	ck_assert(!logged("WARNING", ""));
	config_free(&c);
}
END_TEST

START_TEST(odd_rtp_ports_rounded)
{
	struct config c;
	ck_assert_int_eq(load_text(&c, BASE "rtp_port_low = 7001\nrtp_port_high = 7011\n"), 0);
	ck_assert_int_eq(c.rtp_port_low, 7002);
	ck_assert_int_eq(c.rtp_port_high, 7011);   /* kept as written */
	ck_assert(logged("WARNING", "t.conf:3: rtp_port_low 7001 is odd, rounded up to 7002"));
	/* an odd high is the classic way to say "RTCP of the top pair may use it": no warning */
	ck_assert(!logged("WARNING", "rtp_port_high"));
	config_free(&c);
}
END_TEST

/* --- validation errors, each with its file:line --- */

START_TEST(error_lines)
{
	expect_error(BASE "sip_listen_port = 5060x\n", 3, "not an integer");
	expect_error(BASE "rtp_timeout = 1.5\n", 3, "not an integer");
	expect_error(BASE "rtp_timeout = 0x\n", 3, "not an integer");
	expect_error(BASE "debug_level = 12abc\n", 3, "not a debug pattern");
	expect_error(BASE "\n\nsip_listen_port = 70000\n", 5, "out of range 1..65535");
	expect_error(BASE "sip_listen_port = 0\n", 3, "out of range 1..65535");
	expect_error(BASE "debug_port = 65536\n", 3, "out of range 0..65535");
	expect_error(BASE "outbound_proxy_port = -1\n", 3, "out of range 0..65535");
	expect_error(BASE "rtp_dscp = 64\n", 3, "out of range 0..63");
	expect_error(BASE "sip_dscp = -1\n", 3, "out of range 0..63");
	expect_error(BASE "rtp_port_low = 8000\nrtp_port_high = 7000\n", 3,
		     "rtp_port_low 8000 is above rtp_port_high 7000");
	expect_error(BASE "silence_log = 5\n", 3, "out of range 0..4");
	expect_error(BASE "rtp_proxy_enable = 2\n", 3, "out of range 0..1");
	expect_error(BASE "rtp_input_dejitter = 1500001\n", 3, "out of range 0..1500000");
	expect_error(BASE "rtp_timeout = -5\n", 3, "out of range");
	expect_error(BASE "tcp_timeout = -1\n", 3, "out of range");
	expect_error(BASE "outbound_domain_port = 70000\n", 3, "out of range 0..65535");
	expect_error(BASE "just some words\n", 3, "syntax error");
	expect_error(BASE "two words = x\n", 3, "not a single option name");
	expect_error(BASE " = x\n", 3, "not a single option name");
	expect_error(BASE "user # = nobody\n", 3, "syntax error");
	expect_error(BASE "hosts_allow_reg = 10.0.0.0/33\n", 3, "hosts_allow_reg: ACL entry \"10.0.0.0/33\"");
	expect_error(BASE "hosts_deny_sip = evil.example.org\n", 3, "not a numeric IPv4 address");
	expect_error(BASE "plugin_fix_DTAG_networks = 1.2.3.4/x\n", 3, "plugin_fix_DTAG_networks");
	expect_error(BASE "load_plugin = plugin_nonsense.la\n", 3, "unknown plugin");
	expect_error(BASE "debug_listen = localhost\n", 3, "not a numeric IPv4 address");
	expect_error(BASE "debug_listen = ::1\n", 3, "not a numeric IPv4 address");
}
END_TEST

START_TEST(syntax_errors_do_not_echo_values)
{
	/* A mistyped password line is still a password: the message names the option, not the rest. */
	expect_error(BASE "proxy_auth_passwd s3cr3tpw\n", 3, "syntax error");
	ck_assert_msg(logged("ERROR", "proxy_auth_passwd"), "option not named in:\n%s", captured);
	ck_assert_msg(!strstr(captured, "s3cr3tpw"), "value echoed:\n%s", captured);
	expect_error(BASE "proxy_auth_passwd s3cr=3tpw\n", 3, "not a single option name");
	ck_assert_msg(!strstr(captured, "s3cr"), "value echoed:\n%s", captured);
	/* A line that does not start with an option may be a stray secret itself. */
	expect_error(BASE "hunter2pw\n", 3, "syntax error");
	ck_assert_msg(!strstr(captured, "hunter2pw"), "line echoed:\n%s", captured);
}
END_TEST

START_TEST(all_errors_are_reported)
{
	struct config c;
	ck_assert_int_eq(load_text(&c, BASE "rtp_dscp = 99\nsilence_log = x\nbroken line\n"), -1);
	ck_assert(logged("ERROR", "t.conf:3:"));
	ck_assert(logged("ERROR", "t.conf:4:"));
	ck_assert(logged("ERROR", "t.conf:5:"));
	ck_assert(logged("ERROR", "3 errors"));
	config_free(&c);
}
END_TEST

START_TEST(paired_lists_unequal)
{
	expect_error(BASE "outbound_domain_name = a.example\n"
			  "outbound_domain_host = proxy.a.example\n"
			  "outbound_domain_name = b.example\n"
			  "outbound_domain_port = 5060\n",
		     5, "outbound_domain_name has 2 (lines 3, 5), outbound_domain_host has 1 (line 4), "
			"outbound_domain_port has 1 (line 6)");
	expect_error(BASE "mask_host = a\n", 3, "mask_host has 1 (line 3), masked_host has 0");
	expect_error(BASE "plugin_regex_desc = d\nplugin_regex_pattern = p\n", 3, "plugin_regex_replace has 0");
	expect_error(BASE "plugin_regex_body_desc = d\n", 3, "plugin_regex_body_pattern has 0");
	expect_error(BASE "plugin_siptrunk_name = n\nplugin_siptrunk_account = a\n", 3,
		     "plugin_siptrunk_numbers_regex has 0");
}
END_TEST

START_TEST(paired_lists_equal)
{
	struct config c;
	ck_assert_int_eq(load_text(&c, BASE "outbound_domain_name = a.example\n"
					 "outbound_domain_host = proxy.a.example\n"
					 "outbound_domain_port = 5062\n"), 0);
	ck_assert_uint_eq(c.outbound_domain_name.n, 1);
	ck_assert_str_eq(c.outbound_domain_host.v[0], "proxy.a.example");
	ck_assert_int_eq(c.outbound_domain_port[0], 5062);
	config_free(&c);
}
END_TEST

START_TEST(missing_interfaces)
{
	struct config c;
	ck_assert_int_eq(load_text(&c, "user = x\n"), -1);
	ck_assert(logged("ERROR", "if_inbound is not set"));
	ck_assert(logged("ERROR", "if_outbound is not set"));
	config_free(&c);
}
END_TEST

START_TEST(interface_that_does_not_exist)
{
	struct config c;
	const char *path = write_file("i.conf", "if_inbound = lo\nif_outbound = nosuchif0\n");

	ck_assert_int_eq(config_load(&c, path, true), -1);
	ck_assert(logged("ERROR", "i.conf:2: if_outbound: interface nosuchif0 does not exist"));
	ck_assert(logged("ERROR", "this machine has: lo"));
	config_free(&c);
	captured_len = 0;
	captured[0] = '\0';
	ck_assert_int_eq(config_load(&c, path, false), 0);
	ck_assert(logged("WARNING", "i.conf:2: if_outbound: interface nosuchif0 does not exist"));
	ck_assert(!logged("ERROR", ""));
	config_free(&c);
}
END_TEST

START_TEST(acls_are_parsed)
{
	struct config c;
	ck_assert_int_eq(load_text(&c, BASE "hosts_allow_reg = 192.168.1.0/24, 10.0.0.1\n"
					 "hosts_deny_sip = 10.0.0.2\n"
					 "hosts_allow_sip = 10.1.2.3/8\n"), 0);
	ck_assert_uint_eq(c.acls.allow_reg.n, 2);
	ck_assert_uint_eq(c.acls.deny_sip.n, 1);
	ck_assert_uint_eq(c.acls.allow_sip.entries[0].net, 0x0a000000u);
	ck_assert(logged("INFO", "t.conf:5: hosts_allow_sip: ACL entry \"10.1.2.3/8\" has host bits set"));
	config_free(&c);
}
END_TEST

/* --- distributions' files and plugins --- */

START_TEST(distribution_config_with_plugins)
{
	struct config c;
	ck_assert_int_eq(load_text(&c, BASE "plugindir = /usr/lib/siproxd/\n"
					 "load_plugin = plugin_logcall.la\n"
					 "load_plugin = plugin_stun.so\n"
					 "load_plugin = plugin_fix_DTAG\n"
					 "plugin_stun_server = stun.example.org\n"
					 "plugin_stun_period = 600\n"
					 "plugin_shortdial_akey = *00\n"
					 "plugin_shortdial_entry = 123\n"
					 "plugin_shortdial_entry = 456\n"
					 "plugin_fix_DTAG_networks = 217.0.0.0/13, 80.156.0.0/16\n"
					 "thread_stack_size = 512\n"), 0);
	ck_assert(logged("WARNING", "t.conf:4: plugin plugin_logcall is not available in this version, ignored"));
	ck_assert(logged("WARNING", "t.conf:5: plugin plugin_stun is not available"));
	ck_assert(logged("WARNING", "t.conf:6: plugin plugin_fix_DTAG is not available"));
	ck_assert_uint_eq(c.load_plugin.n, 0);
	ck_assert_str_eq(config_plugin_str(&c, "plugin_stun_server"), "stun.example.org");
	ck_assert_int_eq(config_plugin_int(&c, "plugin_stun_period", 1), 600);
	ck_assert_int_eq(config_plugin_int(&c, "plugin_stun_port", 1), 3478);
	ck_assert_int_eq(config_plugin_int(&c, "plugin_nonexistent", 42), 42);
	ck_assert_ptr_null(config_plugin_str(&c, "plugin_prefix_akey"));
	ck_assert_str_eq(config_plugin_str(&c, "plugin_blacklist_db_sync_mode"), "OFF");
	const char **items;
	ck_assert_uint_eq(config_plugin_list(&c, "plugin_shortdial_entry", &items), 2);
	ck_assert_str_eq(items[0], "123");
	ck_assert_str_eq(items[1], "456");
	ck_assert_uint_eq(config_plugin_list(&c, "plugin_codecfilter_blacklist", &items), 0);
	config_free(&c);
}
END_TEST

START_TEST(example_file_parses)
{
	struct config c;
	ck_assert_int_eq(config_load(&c, TEST_SRCDIR "/../siproxd.conf.example", false), 0);
	ck_assert(!logged("ERROR", ""));
	ck_assert_str_eq(c.if_inbound, "eth0");
	ck_assert(c.daemonize);
	config_free(&c);
}
END_TEST

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	char *buf = NULL;
	size_t cap = 0;
	ck_assert(getdelim(&buf, &cap, '\0', f) > 0);
	fclose(f);
	return buf;
}

/* The example and the man page are the documentation: neither may miss an option. */
START_TEST(every_option_is_documented)
{
	char *example = slurp(TEST_SRCDIR "/../siproxd.conf.example");
	char *man = slurp(TEST_SRCDIR "/../doc/siproxd.conf.5");

	for (size_t i = 0; i < copt_count; i++) {
		ck_assert_msg(strstr(example, copt_table[i].name), "%s missing in siproxd.conf.example",
			      copt_table[i].name);
		ck_assert_msg(strstr(man, copt_table[i].name), "%s missing in siproxd.conf.5", copt_table[i].name);
	}
	free(example);
	free(man);
}
END_TEST

/* --- printing and reloading --- */

static const char every_option[] =
	"debug_level = 0x21\n"
	"debug_port = 5050\n"
	"debug_listen = 127.0.0.1\n"
	"debug_listen = 127.0.0.2\n"
	"debug_max_clients = 2\n"
	"silence_log = 2\n"
	"daemonize = 1\n"
	"pid_file = /run/siproxd.pid\n"
	"user = nobody\n"
	"chrootjail = /var/lib/siproxd\n"
	"thread_stack_size = 0\n"
	"if_inbound = lo\n"
	"if_outbound = lo\n"
	"host_outbound = public.example.org\n"
	"sip_listen_port = 5070\n"
	"sip_dscp = 46\n"
	"tcp_timeout = 600\n"
	"tcp_connect_timeout = 250\n"
	"tcp_keepalive = 20\n"
	"tcp_max_connections = 200\n"
	"tcp_max_buffer = 32768\n"
	"rtp_proxy_enable = 1\n"
	"rtp_port_low = 8000\n"
	"rtp_port_high = 8100\n"
	"rtp_timeout = 120\n"
	"rtp_hold_timeout = 1800\n"
	"rtp_max_streams = 4\n"
	"rtp_dscp = 34\n"
	"rtp_input_dejitter = 1000\n"
	"rtp_output_dejitter = 2000\n"
	"hosts_allow_reg = 192.168.1.0/24\n"
	"hosts_allow_sip = 192.168.0.0/16, 203.0.113.0/24\n"
	"hosts_deny_sip = 192.168.1.66\n"
	"proxy_auth_realm = Example Realm\n"
	"proxy_auth_passwd = secret\n"
	"proxy_auth_pwfile = /etc/siproxd_passwd.cfg\n"
	"proxy_auth_all = 1\n"
	"proxy_auth_nonce_ttl = 120\n"
	"mask_host = internal.example\n"
	"masked_host = public.example\n"
	"registration_file = /var/lib/siproxd/regs\n"
	"default_expires = 600\n"
	"autosave_registrations = 300\n"
	"max_registrations = 500\n"
	"outbound_proxy_host = proxy.example.org\n"
	"outbound_proxy_port = 5080\n"
	"outbound_domain_name = a.example\n"
	"outbound_domain_host = proxy.a.example\n"
	"outbound_domain_port = 5090\n"
	"ua_string = Example UA 1.0\n"
	"use_rport = 3\n"
	"obscure_loops = 1\n"
	"plugindir = /usr/lib/siproxd/\n"
	"load_plugin = plugin_logcall.la\n"
	"plugin_demo_string = demo\n"
	"plugin_shortdial_akey = *00\n"
	"plugin_shortdial_entry = 123\n"
	"plugin_defaulttarget_target = sip:a@192.168.1.2\n"
	"plugin_defaulttarget_log = 1\n"
	"plugin_fix_bogus_via_networks = 10.0.0.0/8\n"
	"plugin_fix_DTAG_networks = 217.0.0.0/13\n"
	"plugin_stun_server = stun.example.org\n"
	"plugin_stun_port = 3479\n"
	"plugin_stun_period = 60\n"
	"plugin_prefix_akey = 0\n"
	"plugin_regex_desc = d\n"
	"plugin_regex_pattern = ^(sips?:)00\n"
	"plugin_regex_replace = \\1+\n"
	"plugin_regex_body_desc = bd\n"
	"plugin_regex_body_pattern = x\n"
	"plugin_regex_body_replace = y\n"
	"plugin_codecfilter_blacklist = GSM\n"
	"plugin_stripheader_remove = Allow-Events\n"
	"plugin_siptrunk_name = trunk\n"
	"plugin_siptrunk_account = sip:acct@provider.example\n"
	"plugin_siptrunk_numbers_regex = ^123\n"
	"plugin_fix_fbox_anoncall_networks = 192.168.0.0/16\n"
	"plugin_stats_to_syslog = -1\n"
	"plugin_stats_to_file = 60\n"
	"plugin_stats_filename = /tmp/stats\n"
	"plugin_blacklist_dbpath = /tmp/bl.sqlite\n"
	"plugin_blacklist_db_sync_mode = NORMAL\n"
	"plugin_blacklist_simulate = 1\n"
	"plugin_blacklist_duration = 60\n"
	"plugin_blacklist_hitcount = 5\n"
	"plugin_blacklist_register_window = 10\n";

/* The printed configuration without its "# origin" comments, for comparison. */
static char *print_values(const struct config *c)
{
	char *buf = NULL, *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	config_print(c, f);
	fclose(f);
	out = calloc(1, len + 1);
	size_t o = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '#')
			continue;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		o += (size_t)sprintf(out + o, "%s\n", line);
	}
	free(buf);
	return out;
}

START_TEST(every_option_round_trips)
{
	struct config a, b;

	ck_assert_int_eq(load_text(&a, every_option), 0);
	for (size_t i = 0; i < copt_count; i++)
		ck_assert_msg(config_origin(&a, copt_table[i].name, 0).line != 0, "%s not in the test file",
			      copt_table[i].name);
	ck_assert_uint_eq(config_origin(&a, "debug_listen", 1).line, 4);
	ck_assert_str_eq(config_origin(&a, "debug_listen", 1).file, a.path);

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	config_print(&a, f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "debug_listen = 127.0.0.2\t# "));
	ck_assert_ptr_nonnull(strstr(buf, "t.conf:4\n"));
	const char *printed = write_file("printed.conf", buf);
	free(buf);

	ck_assert_int_eq(config_load(&b, printed, true), 0);
	char *va = print_values(&a), *vb = print_values(&b);
	ck_assert_str_eq(va, vb);
	ck_assert_int_eq(config_restart_needed(&a, &b), 0);
	ck_assert_int_eq(b.sip_listen_port, 5070);
	ck_assert_int_eq(b.outbound_domain_port[0], 5090);
	ck_assert_uint_eq(b.debug_level, 0x21u);
	free(va);
	free(vb);
	config_free(&a);
	config_free(&b);
}
END_TEST

START_TEST(defaults_round_trip)
{
	struct config a, b;

	ck_assert_int_eq(load_text(&a, BASE), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	config_print(&a, f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "rtp_timeout = 300\t# default\n"));
	ck_assert_ptr_nonnull(strstr(buf, "# user =\t# not set\n"));
	ck_assert_int_eq(config_load(&b, write_file("printed.conf", buf), true), 0);
	free(buf);
	char *va = print_values(&a), *vb = print_values(&b);
	ck_assert_str_eq(va, vb);
	free(va);
	free(vb);
	config_free(&a);
	config_free(&b);
}
END_TEST

START_TEST(restart_needed)
{
	struct config a, b;

	ck_assert_int_eq(config_load(&a, write_file("a.conf", BASE "sip_listen_port = 5060\nrtp_timeout = 60\n"
							      "user = a\n"), true), 0);
	ck_assert_int_eq(config_load(&b, write_file("b.conf", BASE "sip_listen_port = 5070\nrtp_timeout = 90\n"
							      "user = b\n"), true), 0);
	ck_assert_int_eq(config_restart_needed(&a, &b), 2);
	ck_assert(logged("WARNING", "option sip_listen_port changed: restart needed"));
	ck_assert(logged("WARNING", "option user changed: restart needed"));
	ck_assert(!logged("WARNING", "option rtp_timeout changed"));
	config_free(&a);
	config_free(&b);
}
END_TEST

START_TEST(find_default_prefers_home)
{
	char buf[256];
	char *old = getenv("HOME") ? strdup(getenv("HOME")) : NULL;

	write_file(".siproxdrc", BASE);
	setenv("HOME", tmpdir, 1);
	ck_assert_ptr_nonnull(config_find_default(buf, sizeof buf));
	ck_assert_ptr_nonnull(strstr(buf, "/.siproxdrc"));
	/* No candidate fits in 8 bytes: a cut path is never returned. */
	ck_assert_ptr_null(config_find_default(buf, 8));
	if (old)
		setenv("HOME", old, 1);
	free(old);
}
END_TEST

START_TEST(missing_file)
{
	struct config c;
	ck_assert_int_eq(config_load(&c, "/nonexistent/siproxd.conf", false), -1);
	ck_assert(logged("ERROR", "/nonexistent/siproxd.conf: cannot open"));
	config_free(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, comments_blanks_crlf_tabs);
	tcase_add_test(tc, values_containing_other_keys);
	tcase_add_test(tc, keys_match_whole_words);
	tcase_add_test(tc, unknown_key_suggests_closest);
	tcase_add_test(tc, obsolete_key_explained);
	tcase_add_test(tc, repeated_keys);
	tcase_add_test(tc, integers_hex_leading_zero_negative);
	tcase_add_test(tc, long_line_is_one_line);
	tcase_add_test(tc, empty_value_keeps_default);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, odd_rtp_ports_rounded);
	tcase_add_test(tc, error_lines);
	tcase_add_test(tc, syntax_errors_do_not_echo_values);
	tcase_add_test(tc, all_errors_are_reported);
	tcase_add_test(tc, paired_lists_unequal);
	tcase_add_test(tc, paired_lists_equal);
	tcase_add_test(tc, missing_interfaces);
	tcase_add_test(tc, interface_that_does_not_exist);
	tcase_add_test(tc, acls_are_parsed);
	tcase_add_test(tc, distribution_config_with_plugins);
	tcase_add_test(tc, example_file_parses);
	tcase_add_test(tc, every_option_is_documented);
	tcase_add_test(tc, every_option_round_trips);
	tcase_add_test(tc, defaults_round_trip);
	tcase_add_test(tc, restart_needed);
	tcase_add_test(tc, find_default_prefers_home);
	tcase_add_test(tc, missing_file);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
