/* Prints the effective configuration in siproxd.conf syntax and compares two for what needs a restart. */
#include "build_config.h"

#include "config.h"

#include "config_options.h"
#include "log.h"

#include <string.h>

static void print_origin(FILE *out, const struct config_store *store, size_t idx, size_t elem)
{
	const struct copt_state *st = &store->st[idx];

	if (elem < st->n)
		fprintf(out, "\t# %s:%u\n", st->where[elem].file, st->where[elem].line);
	else
		fprintf(out, "\t# default\n");
}

static void print_value(FILE *out, const struct copt_def *d, cfg_opt_t *opt, unsigned k)
{
	switch (d->kind) {
	case COPT_STR:
	case COPT_STR_LIST:
		fprintf(out, "%s = %s", d->name, cfg_opt_getnstr(opt, k));
		break;
	case COPT_DEBUG:
		fprintf(out, "%s = 0x%lx", d->name, (unsigned long)(unsigned)cfg_opt_getnint(opt, k));
		break;
	default:
		fprintf(out, "%s = %ld", d->name, cfg_opt_getnint(opt, k));
		break;
	}
}

void config_print(const struct config *cfg, FILE *out)
{
	const struct config_store *store = config_store_of(cfg);
	const char *section = NULL;

	if (!store)
		return;
	fprintf(out, "# siproxd effective configuration, read from %s\n", store->path);
	for (size_t i = 0; i < copt_count; i++) {
		const struct copt_def *d = &copt_table[i];
		cfg_opt_t *opt = cfg_getopt(store->tree, d->name);
		unsigned n = cfg_opt_size(opt);

		if (!section || strcmp(section, d->section) != 0) {
			section = d->section;
			fprintf(out, "\n# --- %s ---\n", section);
		}
		/* An unset option is printed as a comment so that the output reads back the same. */
		if (n == 0 || (d->kind == COPT_STR && !cfg_opt_getnstr(opt, 0))) {
			fprintf(out, "# %s =\t# not set\n", d->name);
			continue;
		}
		for (unsigned k = 0; k < n; k++) {
			print_value(out, d, opt, k);
			print_origin(out, store, i, k);
		}
	}
}

static bool opt_same(const struct copt_def *d, cfg_opt_t *a, cfg_opt_t *b)
{
	unsigned n = cfg_opt_size(a);

	if (n != cfg_opt_size(b))
		return false;
	for (unsigned k = 0; k < n; k++) {
		if (d->kind == COPT_STR || d->kind == COPT_STR_LIST) {
			const char *x = cfg_opt_getnstr(a, k), *y = cfg_opt_getnstr(b, k);
			if ((x == NULL) != (y == NULL) || (x && strcmp(x, y) != 0))
				return false;
		} else if (cfg_opt_getnint(a, k) != cfg_opt_getnint(b, k)) {
			return false;
		}
	}
	return true;
}

int config_restart_needed(const struct config *old_cfg, const struct config *new_cfg)
{
	const struct config_store *a = config_store_of(old_cfg), *b = config_store_of(new_cfg);
	int changed = 0;

	if (!a || !b)
		return 0;
	for (size_t i = 0; i < copt_count; i++) {
		const struct copt_def *d = &copt_table[i];
		if (!(d->flags & COPT_RESTART))
			continue;
		if (!opt_same(d, cfg_getopt(a->tree, d->name), cfg_getopt(b->tree, d->name))) {
			log_warn("option %s changed: restart needed", d->name);
			changed++;
		}
	}
	return changed;
}
