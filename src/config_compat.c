/* Reads the classic siproxd.conf syntax line by line and hands each "key = value" to a callback. */
#include "build_config.h"

#include "config_compat.h"

#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Trims blanks (and a CR left by CRLF line ends) from both ends, in place. */
static char *trim(char *s)
{
	while (is_blank(*s))
		s++;
	size_t n = strlen(s);
	while (n && (is_blank(s[n - 1]) || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

/* Handles one line; returns 1 for a syntax error, 0 otherwise. */
static int parse_line(char *line, const char *name, unsigned lineno, config_compat_record_fn fn, void *ud)
{
	char *s = trim(line);

	if (!*s || *s == '#')
		return 0;
	char *eq = strchr(s, '=');
	char *hash = strchr(s, '#');
	if (!eq || (hash && hash < eq)) {
		log_error("%s:%u: syntax error, expected \"key = value\": %.60s", name, lineno, s);
		return 1;
	}
	*eq = '\0';
	char *key = trim(s);
	char *value = eq + 1;
	/* Everything from '#' on is a comment, so a value can never contain '#'. */
	char *comment = strchr(value, '#');
	if (comment)
		*comment = '\0';
	value = trim(value);
	if (!*key || key[strcspn(key, " \t")] != '\0') {
		log_error("%s:%u: syntax error, \"%.60s\" is not a single option name", name, lineno, key);
		return 1;
	}
	struct config_compat_record rec = { .key = key, .value = value, .file = name, .line = lineno };
	fn(&rec, ud);
	return 0;
}

int config_compat_read_stream(FILE *in, const char *name, config_compat_record_fn fn, void *ud)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int errors = 0;

	/* getline: no fixed buffer, a long line stays one line. */
	while (getline(&line, &cap, in) >= 0)
		errors += parse_line(line, name, ++lineno, fn, ud);
	if (ferror(in)) {
		log_error("%s:%u: read error: %s", name, lineno, strerror(errno));
		errors++;
	}
	free(line);
	return errors;
}

int config_compat_read_file(const char *path, config_compat_record_fn fn, void *ud)
{
	FILE *in = fopen(path, "r");

	if (!in) {
		log_error("%s: cannot open configuration file: %s", path, strerror(errno));
		return -1;
	}
	int errors = config_compat_read_stream(in, path, fn, ud);
	fclose(in);
	return errors;
}
