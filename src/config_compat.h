/* The classic siproxd.conf syntax: splits a file into (key, value, file, line) records. */
#ifndef SIPROXD_CONFIG_COMPAT_H
#define SIPROXD_CONFIG_COMPAT_H

#include <stdio.h>

struct config_compat_record {
	const char *key;     /* the word before '=' */
	const char *value;   /* after '=', comment removed, blanks trimmed; may be "" */
	const char *file;
	unsigned line;
};

/* Called once per record, in file order; valid only during the call. */
typedef void (*config_compat_record_fn)(const struct config_compat_record *rec, void *ud);

/*
 * Syntax: "key = value" per line, lines of any length, CR LF or LF ends. Blank lines and lines
 * whose first non-blank character is '#' are skipped; in a value everything from '#' on is a
 * comment. Blanks (space, tab) around key and value are trimmed; the value keeps inner blanks.
 * A line without '=' or with a key that is not a single word is an error, logged with file:line
 * and the option its first word names, never the rest of the line (it may hold a password).
 * Returns the number of syntax errors, or -1 (logged) when the file cannot be read.
 */
int config_compat_read_file(const char *path, config_compat_record_fn fn, void *ud);
int config_compat_read_stream(FILE *in, const char *name, config_compat_record_fn fn, void *ud);

#endif
