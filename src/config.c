/* Loads siproxd.conf via the classic-syntax reader into a libconfuse tree, checks it, fills struct config. */
#include "build_config.h"

#include "config.h"

#include "config_compat.h"
#include "config_options.h"
#include "log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

struct load_ctx {
	struct config *cfg;
	struct config_store *store;
	int errors;
};

/* The plugins of the classic daemon; none of them is built into this version yet. */
static const char *const classic_plugins[] = {
	"plugin_demo", "plugin_logcall", "plugin_shortdial", "plugin_defaulttarget",
	"plugin_fix_bogus_via", "plugin_fix_DTAG", "plugin_stun", "plugin_prefix",
	"plugin_regex", "plugin_regex_body", "plugin_codecfilter", "plugin_stripheader",
	"plugin_siptrunk", "plugin_fix_fbox_anoncall", "plugin_stats", "plugin_blacklist",
};

/* Lists that are associated by index and so must have equal lengths. */
static const char *const paired_lists[][3] = {
	{ "outbound_domain_name", "outbound_domain_host", "outbound_domain_port" },
	{ "mask_host", "masked_host", NULL },
	{ "plugin_regex_desc", "plugin_regex_pattern", "plugin_regex_replace" },
	{ "plugin_regex_body_desc", "plugin_regex_body_pattern", "plugin_regex_body_replace" },
	{ "plugin_siptrunk_name", "plugin_siptrunk_account", "plugin_siptrunk_numbers_regex" },
};

/*
 * Decimal or 0x hex with an optional sign, nothing after it. A leading zero is decimal: the
 * classic reader took 046 as octal 38, which nobody writing a DSCP or port means.
 */
static int parse_long(const char *s, long *out)
{
	const char *p = s;
	bool neg = false;
	int base = 10;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!(base == 16 ? isxdigit((unsigned char)*p) : isdigit((unsigned char)*p)))
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(p, &end, base);
	if (errno || *end || v > (unsigned long long)LONG_MAX + neg)
		return -1;
	*out = neg ? (long)(0 - v) : (long)v;
	return 0;
}

static struct cfg_origin origin_of(const struct config_store *store, size_t idx, size_t elem)
{
	const struct copt_state *st = &store->st[idx];

	if (elem < st->n)
		return st->where[elem];
	return (struct cfg_origin){ .file = "default", .line = 0 };
}

static int origin_push(struct config_store *store, size_t idx, unsigned line)
{
	struct copt_state *st = &store->st[idx];
	struct cfg_origin *w = realloc(st->where, (st->n + 1) * sizeof *w);

	if (!w)
		return -1;
	st->where = w;
	w[st->n++] = (struct cfg_origin){ .file = store->path, .line = line };
	return 0;
}

/* Parses an integer value of option d; logs and returns -1 when it is not acceptable. */
static int record_int(const struct copt_def *d, const struct config_compat_record *rec, long *v)
{
	if (d->kind == COPT_DEBUG) {
		unsigned u;
		if (log_parse_pattern(rec->value, &u) < 0) {
			log_error("%s:%u: %s: \"%s\" is not a debug pattern (decimal, 0x hex or -1)",
				  rec->file, rec->line, d->name, rec->value);
			return -1;
		}
		*v = (long)u;
		return 0;
	}
	if (parse_long(rec->value, v) < 0) {
		log_error("%s:%u: %s: \"%s\" is not an integer (decimal or 0x hex)",
			  rec->file, rec->line, d->name, rec->value);
		return -1;
	}
	if (*v < d->min || *v > d->max) {
		log_error("%s:%u: %s = %ld is out of range %ld..%ld",
			  rec->file, rec->line, d->name, *v, d->min, d->max);
		return -1;
	}
	return 0;
}

/*
 * Options that older siproxd releases had and later dropped: distribution configs still carry
 * them, so they get a precise note instead of a "did you mean" guess.
 */
static const char *obsolete_option(const char *key)
{
	static const struct { const char *key, *note; } gone[] = {
		{ "log_calls", "calls are logged by plugin_logcall" },
	};
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
		if (strcmp(key, gone[i].key) == 0)
			return gone[i].note;
	return NULL;
}

static void apply_record(const struct config_compat_record *rec, void *ud)
{
	struct load_ctx *ctx = ud;
	size_t idx;
	const struct copt_def *d = copt_find(rec->key, &idx);

	if (!d) {
		const char *note = obsolete_option(rec->key);
		if (note)
			log_warn("%s:%u: option \"%s\" of older siproxd versions ignored: %s",
				 rec->file, rec->line, rec->key, note);
		else
			log_warn("%s:%u: unknown option \"%s\" ignored (did you mean \"%s\"?)",
				 rec->file, rec->line, rec->key, copt_closest(rec->key));
		return;
	}
	if (!*rec->value) {
		log_warn("%s:%u: %s has an empty value, default kept", rec->file, rec->line, d->name);
		return;
	}
	cfg_opt_t *opt = cfg_getopt(ctx->store->tree, d->name);
	struct copt_state *st = &ctx->store->st[idx];
	bool is_list = d->kind == COPT_STR_LIST || d->kind == COPT_INT_LIST;
	long v = 0;

	if (d->kind != COPT_STR && d->kind != COPT_STR_LIST && record_int(d, rec, &v) < 0) {
		ctx->errors++;
		return;
	}
	unsigned at = is_list ? cfg_opt_size(opt) : 0;
	if (!is_list && st->n) {
		log_warn("%s:%u: %s is set again (first at line %u), the last one wins",
			 rec->file, rec->line, d->name, st->where[0].line);
		st->n = 0;
	}
	int rc = (d->kind == COPT_STR || d->kind == COPT_STR_LIST) ? cfg_opt_setnstr(opt, rec->value, at)
								     : cfg_opt_setnint(opt, v, at);
	if (rc != 0 || origin_push(ctx->store, idx, rec->line) < 0) {
		log_error("%s:%u: %s: cannot store the value", rec->file, rec->line, d->name);
		ctx->errors++;
	}
}

static cfg_opt_t *build_schema(void)
{
	cfg_opt_t *opts = calloc(copt_count + 1, sizeof *opts);

	if (!opts)
		return NULL;
	for (size_t i = 0; i < copt_count; i++) {
		const struct copt_def *d = &copt_table[i];
		bool str = d->kind == COPT_STR || d->kind == COPT_STR_LIST;
		opts[i].name = d->name;
		opts[i].type = str ? CFGT_STR : CFGT_INT;
		if (d->kind == COPT_STR_LIST || d->kind == COPT_INT_LIST)
			opts[i].flags = CFGF_LIST;
		else if (str && !d->sdef)
			opts[i].flags = CFGF_NODEFAULT;
		opts[i].def.number = d->def;
		opts[i].def.string = d->sdef;
	}
	opts[copt_count].type = CFGT_NONE;  /* the CFG_END() sentinel */
	return opts;
}

/* Copies the typed values out of the tree into the fields of struct config. */
static int fill_fields(struct config *cfg, struct config_store *store)
{
	for (size_t i = 0; i < copt_count; i++) {
		const struct copt_def *d = &copt_table[i];
		cfg_opt_t *opt = cfg_getopt(store->tree, d->name);
		unsigned n = cfg_opt_size(opt);

		if (d->kind == COPT_STR_LIST) {
			const char **items = calloc(n + 1, sizeof *items);
			if (!items)
				return -1;
			for (unsigned k = 0; k < n; k++)
				items[k] = cfg_opt_getnstr(opt, k);
			store->st[i].items = items;
		}
		if (d->field == COPT_NOFIELD)
			continue;
		/* Only now: for COPT_NOFIELD the offset is SIZE_MAX and the sum would be undefined. */
		char *f = (char *)cfg + d->field;
		switch (d->kind) {
		case COPT_INT:
			*(int *)(void *)f = (int)cfg_opt_getnint(opt, 0);
			break;
		case COPT_BOOL:
			*(bool *)(void *)f = cfg_opt_getnint(opt, 0) != 0;
			break;
		case COPT_DEBUG:
			*(unsigned *)(void *)f = (unsigned)cfg_opt_getnint(opt, 0);
			break;
		case COPT_STR:
			*(char **)(void *)f = cfg_opt_getnstr(opt, 0);
			break;
		case COPT_STR_LIST: {
			struct str_list *l = (struct str_list *)(void *)f;
			l->n = n;
			l->v = (char **)store->st[i].items;
			break;
		}
		case COPT_INT_LIST: {
			int *a = calloc(n + 1, sizeof *a);
			if (!a)
				return -1;
			for (unsigned k = 0; k < n; k++)
				a[k] = (int)cfg_opt_getnint(opt, k);
			*(int **)(void *)f = a;
			break;
		}
		}
	}
	return 0;
}

static size_t opt_index(const char *name)
{
	size_t idx = 0;

	copt_find(name, &idx);
	return idx;
}

/* Even RTP ports: the pair is (even RTP, odd RTCP), so the low end rounds up and the high end down. */
static void check_rtp_ports(struct config *cfg, struct load_ctx *ctx)
{
	struct config_store *store = ctx->store;
	size_t lo_i = opt_index("rtp_port_low"), hi_i = opt_index("rtp_port_high");
	struct cfg_origin lo = origin_of(store, lo_i, 0), hi = origin_of(store, hi_i, 0);

	/*
	 * rtp_port_high bounds the RTP (even) port and the top pair's RTCP may use high + 1, so an odd
	 * high such as the classic 7070-7089 is kept as written (the port pool takes even ports only).
	 */
	if (cfg->rtp_port_low & 1) {
		if (lo.line)
			log_warn("%s:%u: rtp_port_low %d is odd, rounded up to %d", lo.file, lo.line,
				 cfg->rtp_port_low, cfg->rtp_port_low + 1);
		cfg->rtp_port_low++;
		cfg_opt_setnint(cfg_getopt(store->tree, "rtp_port_low"), cfg->rtp_port_low, 0);
	}
	if (cfg->rtp_port_low > cfg->rtp_port_high) {
		char hi_at[32];
		if (hi.line)
			snprintf(hi_at, sizeof hi_at, "line %u", hi.line);
		else
			snprintf(hi_at, sizeof hi_at, "default");
		log_error("%s:%u: rtp_port_low %d is above rtp_port_high %d (%s)", store->path, lo.line ? lo.line : hi.line,
			  cfg->rtp_port_low, cfg->rtp_port_high, hi_at);
		ctx->errors++;
	}
}

/* "2 (lines 4, 9)" into buf, for the paired-list message. */
static void describe_list(const struct config_store *store, size_t idx, char *buf, size_t len)
{
	const struct copt_state *st = &store->st[idx];
	size_t pos = (size_t)snprintf(buf, len, "%zu", st->n);

	for (size_t k = 0; k < st->n && pos < len; k++)
		pos += (size_t)snprintf(buf + pos, len - pos, "%s%u", k ? ", " : (st->n > 1 ? " (lines " : " (line "),
					st->where[k].line);
	if (st->n && pos < len)
		snprintf(buf + pos, len - pos, ")");
}

static void check_paired_lists(struct load_ctx *ctx)
{
	const struct config_store *store = ctx->store;

	for (size_t g = 0; g < sizeof paired_lists / sizeof paired_lists[0]; g++) {
		size_t idx[3], parts = paired_lists[g][2] ? 3 : 2;
		bool equal = true;
		for (size_t k = 0; k < parts; k++) {
			idx[k] = opt_index(paired_lists[g][k]);
			equal = equal && store->st[idx[k]].n == store->st[idx[0]].n;
		}
		if (equal)
			continue;
		/* Point at the last entry of the longest list: the one without partners. */
		char desc[3][256];
		size_t longest = 0;
		for (size_t k = 0; k < parts; k++) {
			describe_list(store, idx[k], desc[k], sizeof desc[k]);
			if (store->st[idx[k]].n > store->st[idx[longest]].n)
				longest = k;
		}
		const struct copt_state *lst = &store->st[idx[longest]];
		unsigned line = lst->where[lst->n - 1].line;
		log_error("%s:%u: %s and %s%s%s must have the same number of entries: %s has %s, %s has %s%s%s%s%s",
			  store->path, line, paired_lists[g][0], paired_lists[g][1], parts == 3 ? " and " : "",
			  parts == 3 ? paired_lists[g][2] : "", paired_lists[g][0], desc[0], paired_lists[g][1],
			  desc[1], parts == 3 ? ", " : "", parts == 3 ? paired_lists[g][2] : "",
			  parts == 3 ? " has " : "", parts == 3 ? desc[2] : "");
		ctx->errors++;
	}
}

static struct acl *acl_target(struct config *cfg, const char *name)
{
	if (strcmp(name, "hosts_allow_reg") == 0)
		return &cfg->acls.allow_reg;
	if (strcmp(name, "hosts_allow_sip") == 0)
		return &cfg->acls.allow_sip;
	if (strcmp(name, "hosts_deny_sip") == 0)
		return &cfg->acls.deny_sip;
	return NULL;
}

/* Parses the three access lists into cfg->acls and checks the plugins' network lists. */
static void check_acls(struct config *cfg, struct load_ctx *ctx)
{
	for (size_t i = 0; i < copt_count; i++) {
		const struct copt_def *d = &copt_table[i];
		if (!(d->flags & COPT_ACL))
			continue;
		const char *text = cfg_opt_getnstr(cfg_getopt(ctx->store->tree, d->name), 0);
		struct acl tmp, *target = acl_target(cfg, d->name);
		struct cfg_origin o = origin_of(ctx->store, i, 0);
		char msg[256];

		if (!target)
			target = &tmp;
		if (acl_parse(target, text, msg, sizeof msg) < 0) {
			log_error("%s:%u: %s: %s", o.file, o.line, d->name, msg);
			ctx->errors++;
			continue;
		}
		if (msg[0])
			log_info("%s:%u: %s: %s", o.file, o.line, d->name, msg);
		if (target == &tmp)
			acl_free(&tmp);
	}
}

static void check_debug_listen(struct config *cfg, struct load_ctx *ctx)
{
	size_t idx = opt_index("debug_listen");

	for (size_t k = 0; k < cfg->debug_listen.n; k++) {
		struct in_addr buf;
		const char *a = cfg->debug_listen.v[k];
		/* Numeric IPv4 only: no DNS here, and the debug port binds IPv4 listeners. */
		if (inet_pton(AF_INET, a, &buf) == 1)
			continue;
		struct cfg_origin o = origin_of(ctx->store, idx, k);
		log_error("%s:%u: debug_listen: \"%s\" is not a numeric IPv4 address", o.file, o.line, a);
		ctx->errors++;
	}
}

/* load_plugin names may carry the classic ".la" or a ".so"; the classic set is known but not built. */
static void check_plugins(struct load_ctx *ctx)
{
	size_t idx = opt_index("load_plugin");
	const struct copt_state *st = &ctx->store->st[idx];

	for (size_t k = 0; st->items && st->items[k]; k++) {
		const char *name = st->items[k];
		size_t len = strlen(name);
		if (len > 3 && (strcmp(name + len - 3, ".la") == 0 || strcmp(name + len - 3, ".so") == 0))
			len -= 3;
		struct cfg_origin o = origin_of(ctx->store, idx, k);
		bool known = false;
		for (size_t p = 0; p < sizeof classic_plugins / sizeof classic_plugins[0]; p++)
			known = known || (strlen(classic_plugins[p]) == len && strncmp(classic_plugins[p], name, len) == 0);
		if (known) {
			log_warn("%s:%u: plugin %.*s is not available in this version, ignored", o.file, o.line,
				 (int)len, name);
		} else {
			log_error("%s:%u: load_plugin: unknown plugin \"%s\"", o.file, o.line, name);
			ctx->errors++;
		}
	}
}

/* Names of the interfaces this machine has, "lo, eth0", for the message about a missing one. */
static void list_interfaces(char *buf, size_t len)
{
	struct if_nameindex *ifs = if_nameindex();
	size_t pos = 0;

	buf[0] = '\0';
	if (!ifs) {
		snprintf(buf, len, "(cannot list interfaces: %s)", strerror(errno));
		return;
	}
	for (struct if_nameindex *i = ifs; i->if_index != 0 && pos < len; i++)
		pos += (size_t)snprintf(buf + pos, len - pos, "%s%s", pos ? ", " : "", i->if_name);
	if_freenameindex(ifs);
}

static void check_interfaces_exist(struct config *cfg, struct load_ctx *ctx, bool strict)
{
	const char *names[2] = { "if_inbound", "if_outbound" };
	const char *values[2] = { cfg->if_inbound, cfg->if_outbound };

	for (int k = 0; k < 2; k++) {
		if (!values[k]) {
			log_error("%s: %s is not set; it is required", ctx->store->path, names[k]);
			ctx->errors++;
			continue;
		}
		if (if_nametoindex(values[k]) != 0)
			continue;
		struct cfg_origin o = origin_of(ctx->store, opt_index(names[k]), 0);
		char have[512];
		list_interfaces(have, sizeof have);
		if (strict) {
			log_error("%s:%u: %s: interface %s does not exist; this machine has: %s", o.file, o.line,
				  names[k], values[k], have);
			ctx->errors++;
		} else {
			log_warn("%s:%u: %s: interface %s does not exist here (this machine has: %s)", o.file,
				 o.line, names[k], values[k], have);
		}
	}
}

int config_load(struct config *cfg, const char *path, bool check_interfaces)
{
	memset(cfg, 0, sizeof *cfg);
	struct config_store *store = calloc(1, sizeof *store);
	cfg_opt_t *schema = build_schema();

	if (store) {
		store->path = strdup(path);
		store->st = calloc(copt_count, sizeof *store->st);
	}
	if (!store || !schema || !store->path || !store->st ||
	    !(store->tree = cfg_init(schema, CFGF_NONE))) {
		/* cfg_init copies the schema, so ours is freed either way. */
		free(schema);
		log_error("%s: out of memory reading the configuration", path);
		cfg->cfg = store;
		config_free(cfg);
		return -1;
	}
	free(schema);
	cfg->cfg = store;
	cfg->path = store->path;

	struct load_ctx ctx = { .cfg = cfg, .store = store };
	int syntax = config_compat_read_file(path, apply_record, &ctx);
	if (syntax < 0)
		return -1;
	ctx.errors += syntax;
	if (fill_fields(cfg, store) < 0) {
		log_error("%s: out of memory reading the configuration", path);
		return -1;
	}
	check_rtp_ports(cfg, &ctx);
	check_paired_lists(&ctx);
	check_acls(cfg, &ctx);
	check_debug_listen(cfg, &ctx);
	check_plugins(&ctx);
	check_interfaces_exist(cfg, &ctx, check_interfaces);
	if (store->st[opt_index("thread_stack_size")].n)
		log_debug(DBCLASS_CONFIG, "%s:%u: thread_stack_size is accepted for compatibility and ignored "
			  "(no threads here)", path, store->st[opt_index("thread_stack_size")].where[0].line);
	if (ctx.errors)
		log_error("%s: %d error%s in the configuration", path, ctx.errors, ctx.errors == 1 ? "" : "s");
	return ctx.errors ? -1 : 0;
}

void config_free(struct config *cfg)
{
	struct config_store *store = config_store_of(cfg);

	acl_free(&cfg->acls.deny_sip);
	acl_free(&cfg->acls.allow_sip);
	acl_free(&cfg->acls.allow_reg);
	free(cfg->outbound_domain_port);
	if (store) {
		for (size_t i = 0; store->st && i < copt_count; i++) {
			free(store->st[i].where);
			free(store->st[i].items);
		}
		free(store->st);
		if (store->tree)
			cfg_free(store->tree);
		free(store->path);
		free(store);
	}
	memset(cfg, 0, sizeof *cfg);
}

const char *config_find_default(char *buf, size_t len)
{
	static const char *const fixed[] = {
		SYSCONFDIR "/siproxd.conf", "/etc/siproxd.conf", "/etc/siproxd/siproxd.conf",
		"/usr/etc/siproxd.conf", "/usr/local/etc/siproxd.conf",
	};
	const char *home = getenv("HOME");

	if (home && *home) {
		int n = snprintf(buf, len, "%s/.siproxdrc", home);
		if (n > 0 && (size_t)n < len && access(buf, R_OK) == 0)
			return buf;
	}
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		int n = snprintf(buf, len, "%s", fixed[i]);
		if (n > 0 && (size_t)n < len && access(buf, R_OK) == 0)
			return buf;
	}
	return NULL;
}

struct cfg_origin config_origin(const struct config *cfg, const char *name, unsigned idx)
{
	size_t i;
	const struct config_store *store = config_store_of(cfg);

	if (!store || !copt_find(name, &i))
		return (struct cfg_origin){ .file = "default", .line = 0 };
	return origin_of(store, i, idx);
}

static cfg_opt_t *plugin_opt(const struct config *cfg, const char *name, const struct copt_def **d)
{
	const struct config_store *store = config_store_of(cfg);

	*d = copt_find(name, NULL);
	if (!store || !*d)
		return NULL;
	return cfg_getopt(store->tree, name);
}

const char *config_plugin_str(const struct config *cfg, const char *name)
{
	const struct copt_def *d;
	cfg_opt_t *opt = plugin_opt(cfg, name, &d);

	if (!opt || d->kind != COPT_STR)
		return NULL;
	return cfg_opt_getnstr(opt, 0);
}

long config_plugin_int(const struct config *cfg, const char *name, long def)
{
	const struct copt_def *d;
	cfg_opt_t *opt = plugin_opt(cfg, name, &d);

	if (!opt || (d->kind != COPT_INT && d->kind != COPT_BOOL))
		return def;
	return cfg_opt_getnint(opt, 0);
}

size_t config_plugin_list(const struct config *cfg, const char *name, const char ***items)
{
	size_t idx;
	const struct config_store *store = config_store_of(cfg);
	const struct copt_def *d = copt_find(name, &idx);

	*items = NULL;
	if (!store || !d || d->kind != COPT_STR_LIST || !store->st[idx].items)
		return 0;
	*items = store->st[idx].items;
	return cfg_opt_size(cfg_getopt(store->tree, name));
}
