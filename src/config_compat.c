/* Reads the classic siproxd.conf syntax line by line and hands each "key = value" to a callback. */
#include "build_config.h"

#include "config_compat.h"

#include "config_options.h"
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

/*
 * For a message about a bad line: ' (line starts with option "name")' when its first word is a
 * known option, else "". Nothing else of the line is shown: it may hold a password.
 */
static const char *line_hint(const char *s, char *buf, size_t len)
{
	size_t n = strcspn(s, " \t=#:");
	char word[64];

	buf[0] = '\0';
	if (n == 0 || n >= sizeof word)
		return buf;
	memcpy(word, s, n);
	word[n] = '\0';
	if (copt_find(word, NULL))
		snprintf(buf, len, " (line starts with option \"%s\")", word);
	return buf;
}

/* Handles one line; returns 1 for a syntax error, 0 otherwise. */
static int parse_line(char *line, const char *name, unsigned lineno, config_compat_record_fn fn, void *ud)
{
	char *s = trim(line);

	if (!*s || *s == '#')
		return 0;
	char *eq = strchr(s, '=');
	char *hash = strchr(s, '#');
	char hint[96];
	if (!eq || (hash && hash < eq)) {
		log_error("%s:%u: syntax error, expected \"key = value\"%s", name, lineno,
			  line_hint(s, hint, sizeof hint));
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
		log_error("%s:%u: syntax error, the text before '=' is not a single option name%s", name, lineno,
			  line_hint(key, hint, sizeof hint));
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
