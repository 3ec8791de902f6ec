/* Private to the config module: the table of every option and the state kept beside the libconfuse tree. */
#ifndef SIPROXD_CONFIG_OPTIONS_H
#define SIPROXD_CONFIG_OPTIONS_H

#include <confuse.h>
#include <stddef.h>

#include "config.h"

enum copt_kind {
	COPT_INT,       /* integer, range checked */
	COPT_BOOL,      /* integer, non-zero = true */
	COPT_DEBUG,     /* debug class pattern: decimal, 0x hex or -1 */
	COPT_STR,
	COPT_STR_LIST,  /* repeated key appends */
	COPT_INT_LIST,
};

#define COPT_RESTART 0x1u   /* cannot change on SIGHUP */
#define COPT_ACL     0x2u   /* string holding a CIDR list */
#define COPT_PLUGIN  0x4u   /* read by a plugin, not by the core */
#define COPT_NOFIELD ((size_t)-1)

struct copt_def {
	const char *name;
	enum copt_kind kind;
	long def;               /* integer default */
	const char *sdef;       /* string default, NULL = unset */
	long min, max;          /* integer range, list elements too */
	unsigned flags;
	size_t field;           /* offset in struct config, or COPT_NOFIELD */
	const char *section;    /* heading in the printed configuration */
};

extern const struct copt_def copt_table[];
extern const size_t copt_count;

const struct copt_def *copt_find(const char *name, size_t *index);
/* The known option name closest to name (Levenshtein distance). */
const char *copt_closest(const char *name);

/* Per option: where each value (list element) came from, and list values as a C array. */
struct copt_state {
	struct cfg_origin *where;
	size_t n;
	const char **items;     /* string lists: pointers into the tree, for config_plugin_list */
};

struct config_store {
	cfg_t *tree;
	char *path;             /* the file name every origin points to */
	struct copt_state *st;  /* copt_count entries */
};

static inline struct config_store *config_store_of(const struct config *cfg)
{
	return (struct config_store *)cfg->cfg;
}

#endif
