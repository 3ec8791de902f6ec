/* The registration file: saving the table atomically and loading it, in the classic text format. */
#include "build_config.h"

#include "registrar.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* Each record starts with this; pfSense's status page looks for it. */
#define REG_FILE_MARK "****:"

struct save_ctx {
	FILE *f;
	int err;          /* errno of the first failed write */
};

static void save_one(const struct reg_binding *b, void *ud)
{
	struct save_ctx *c = ud;

	/* A pending binding is only a wish of the phone; after a restart nobody would confirm it. */
	if (c->err || !b->confirmed)
		return;
	if (fprintf(c->f, REG_FILE_MARK "1:%" PRId64 "\n%s\n%s\n%s\n", b->expires, b->true_url,
		    b->masq_url, b->aor) < 0)
		c->err = errno ? errno : EIO;
}

/* Makes the rename itself durable; the file is consistent (old or new) even if this fails. */
static void sync_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	if (!dir)
		return;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

int reg_save(const struct registrar *reg, const char *path)
{
	size_t len = strlen(path);
	char *tmp = malloc(len + sizeof ".tmp");
	struct save_ctx c = { 0 };
	bool created = false;
	int fd = -1;

	if (!tmp)
		return -1;
	memcpy(tmp, path, len);
	memcpy(tmp + len, ".tmp", sizeof ".tmp");

	/* A tmp file left by a crash is stale; O_EXCL then refuses to write through a planted link. */
	if (unlink(tmp) < 0 && errno != ENOENT)
		goto fail;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	created = true;
	c.f = fdopen(fd, "w");
	if (!c.f)
		goto fail;
	fd = -1;
	reg_foreach(reg, save_one, &c);
	if (c.err) {
		errno = c.err;
		goto fail;
	}
	if (fflush(c.f) != 0 || fsync(fileno(c.f)) != 0)
		goto fail;
	FILE *f = c.f;
	c.f = NULL;
	if (fclose(f) != 0 || rename(tmp, path) < 0)
		goto fail;
	sync_parent_dir(path);
	free(tmp);
	return 0;
fail:;
	int saved = errno;
	if (c.f)
		fclose(c.f);
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(tmp);
	free(tmp);
	errno = saved;
	return -1;
}

/* ---- loading ---- */

struct load_ctx {
	struct registrar *reg;
	const char *path;
	FILE *f;
	char *line;
	size_t cap;
	unsigned long lineno;
	bool held;        /* line holds a header read while looking for a record's URI lines */
	int loaded;
	unsigned long full;
};

/* The next line without its end-of-line; false at EOF or on a read error. */
static bool next_line(struct load_ctx *c)
{
	if (c->held) {
		c->held = false;
		return true;
	}
	ssize_t n = getline(&c->line, &c->cap, c->f);
	if (n < 0)
		return false;
	c->lineno++;
	while (n > 0 && (c->line[n - 1] == '\n' || c->line[n - 1] == '\r'))
		c->line[--n] = '\0';
	/* An embedded NUL would silently shorten the URI: mark the line as unusable instead. */
	if (strlen(c->line) != (size_t)n)
		c->line[0] = '\0';
	return true;
}

static bool is_header(const char *s) { return strncmp(s, REG_FILE_MARK, strlen(REG_FILE_MARK)) == 0; }

/* "****:<active>:<expires>" exactly. */
static bool parse_header(const char *s, long *active, int64_t *expires)
{
	char *end;

	if (!is_header(s))
		return false;
	s += strlen(REG_FILE_MARK);
	errno = 0;
	*active = strtol(s, &end, 10);
	if (errno || end == s || *end != ':')
		return false;
	s = end + 1;
	long long e = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return false;
	*expires = e;
	return true;
}

/* Reads the three URI lines after a header at line hdr. false when the record is unusable. */
static bool read_uris(struct load_ctx *c, unsigned long hdr, char *uri[3])
{
	for (int i = 0; i < 3; i++) {
		if (!next_line(c)) {
			log_warn("%s:%lu: record cut short by the end of the file, skipped", c->path, hdr);
			return false;
		}
		if (is_header(c->line)) {
			log_warn("%s:%lu: record cut short by the next one, skipped", c->path, hdr);
			c->held = true;
			return false;
		}
		uri[i] = strdup(c->line);
		if (!uri[i])
			return false;
	}
	return true;
}

static void load_record(struct load_ctx *c, unsigned long hdr, int64_t expires, int64_t now)
{
	char *uri[3] = { NULL, NULL, NULL };   /* true_url, masq_url, aor */

	if (!read_uris(c, hdr, uri))
		goto out;
	if (expires <= now) {
		log_debug(DBCLASS_REG, "%s:%lu: expired registration of %s dropped", c->path, hdr, uri[2]);
		goto out;
	}
	if (reg_bind(c->reg, uri[2], uri[0], uri[1], NULL, 0, expires, true)) {
		c->loaded += c->loaded < INT32_MAX;
	} else if (errno == ENOSPC) {
		c->full++;
	} else {
		log_warn("%s:%lu: unusable registration record skipped: %s", c->path, hdr,
			 errno == EINVAL ? "empty URI" : strerror(errno));
	}
out:
	for (int i = 0; i < 3; i++)
		free(uri[i]);
}

int reg_load(struct registrar *reg, const char *path, int64_t now)
{
	struct load_ctx c = { .reg = reg, .path = path };
	bool resync = false;

	c.f = fopen(path, "re");
	if (!c.f)
		return errno == ENOENT ? 0 : -1;
	while (next_line(&c)) {
		long active;
		int64_t expires;
		if (!c.line[0])
			continue;
		if (!parse_header(c.line, &active, &expires) || (active != 0 && active != 1)) {
			/* One warning per garbled stretch: its other lines are most likely its URIs. */
			if (!resync || is_header(c.line))
				log_warn("%s:%lu: not a registration record, skipped up to the next one", path, c.lineno);
			resync = true;
			continue;
		}
		resync = false;
		if (active == 1)
			load_record(&c, c.lineno, expires, now);
		/* active 0: an empty slot of the classic fixed table, nothing follows it */
	}
	int saved = errno;
	bool failed = ferror(c.f);
	free(c.line);
	fclose(c.f);
	if (c.full)
		log_warn("%s: registration table full, %lu bindings not loaded", path, c.full);
	if (failed) {
		errno = saved;
		return -1;
	}
	return c.loaded;
}
