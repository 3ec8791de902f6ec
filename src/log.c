/* Formats log lines once and hands them to the sinks: stderr, syslog (filtered by silence_log), the debug port. */
#include "build_config.h"

#include "log.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

/* Upper bound of one formatted line; longer messages are cut and marked. */
#define LOG_LINE_MAX 2048

/* The log is process-wide by nature (every module writes to it): its state is this one struct. */
static struct {
	unsigned pattern;
	bool to_stderr;
	int silence;            /* classic silence_log: 0 all ... 4 nothing */
	bool syslog_open;
	log_sink_fn sink;
	void *sink_ud;
} log_state = { .silence = 1 };

static const char *const level_label[] = {
	[LOG_LVL_ERROR] = "ERROR:", [LOG_LVL_WARN] = "WARNING:", [LOG_LVL_INFO] = "INFO:", [LOG_LVL_DEBUG] = "",
};

void log_init(const char *ident)
{
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_state.syslog_open = true;
}

void log_set_debug_pattern(unsigned pattern) { log_state.pattern = pattern; }
unsigned log_debug_pattern(void) { return log_state.pattern; }
void log_set_stderr(bool on) { log_state.to_stderr = on; }
void log_set_silence(int silence_log) { log_state.silence = silence_log; }

void log_set_sink(log_sink_fn fn, void *ud)
{
	log_state.sink = fn;
	log_state.sink_ud = ud;
}

/* "HH:MM:SS.mmm " in local time. */
static size_t format_stamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	int n = snprintf(buf, len, "%02d:%02d:%02d.%03ld ", tm.tm_hour, tm.tm_min, tm.tm_sec,
			 ts.tv_nsec / 1000000L);
	return n < 0 ? 0 : (size_t)n;
}

static const char *base_name(const char *file)
{
	const char *slash = strrchr(file, '/');
	return slash ? slash + 1 : file;
}

/* Classic mapping: which levels reach syslog at a given silence_log. */
static int syslog_priority(enum log_level lvl, int silence)
{
	switch (lvl) {
	case LOG_LVL_DEBUG: return silence < 1 ? LOG_DEBUG : -1;
	case LOG_LVL_INFO:  return silence < 2 ? LOG_NOTICE : -1;
	case LOG_LVL_WARN:  return silence < 3 ? LOG_NOTICE : -1;
	case LOG_LVL_ERROR: return silence < 4 ? LOG_ERR : -1;
	}
	return -1;
}

static void emit(const char *line, size_t len)
{
	if (log_state.to_stderr) {
		fwrite(line, 1, len, stderr);
		fputc('\n', stderr);
	}
	if (log_state.sink)
		log_state.sink(line, len, log_state.sink_ud);
}

void log_vmsg(enum log_level lvl, unsigned dbclass, const char *file, int line, const char *fmt, va_list ap)
{
	char buf[LOG_LINE_MAX];
	int saved_errno = errno;

	if (lvl == LOG_LVL_DEBUG && !(log_state.pattern & dbclass))
		return;
	size_t stamp = format_stamp(buf, sizeof buf);
	int n = snprintf(buf + stamp, sizeof buf - stamp, "%s%s:%d ", level_label[lvl], base_name(file), line);
	size_t head = stamp + (n < 0 ? 0 : (size_t)n);
	if (head >= sizeof buf)
		head = sizeof buf - 1;
	n = vsnprintf(buf + head, sizeof buf - head, fmt, ap);
	size_t len = head + (n < 0 ? 0 : (size_t)n);
	if (len >= sizeof buf) {
		static const char cut[] = "...[cut]";
		len = sizeof buf - 1;
		memcpy(buf + len - (sizeof cut - 1), cut, sizeof cut - 1);
		buf[len] = '\0';
	}
	/* Drop trailing newlines so every sink sees exactly one line. */
	while (len > head && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	/*
	 * Messages quote peers' data: an embedded line end would let a peer start a forged line of
	 * its own, and escape sequences would reach a terminal. Line ends become blanks, other
	 * control characters dots; a tab stays.
	 */
	for (size_t i = head; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c == '\n' || c == '\r')
			buf[i] = ' ';
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			buf[i] = '.';
	}

	emit(buf, len);

	int prio = syslog_priority(lvl, log_state.silence);
	if (log_state.syslog_open && prio >= 0)
		syslog(prio, "%s", buf + stamp);
	errno = saved_errno;
}

void log_msg(enum log_level lvl, unsigned dbclass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, dbclass, file, line, fmt, ap);
	va_end(ap);
}

/* Appends to a line of size len at *pos; a cut-off write leaves *pos at the end of the buffer. */
static void line_add(char *out, size_t len, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void line_add(char *out, size_t len, size_t *pos, const char *fmt, ...)
{
	va_list ap;

	if (*pos >= len - 1)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(out + *pos, len - *pos, fmt, ap);
	va_end(ap);
	*pos = n < 0 ? *pos : (size_t)n >= len - *pos ? len - 1 : *pos + (size_t)n;
}

void log_dump(unsigned dbclass, const char *file, int line, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	/* Stamp, a file name of up to 64 characters, line, offset, 16 bytes as hex and as text. */
	char out[256];

	if (!(log_state.pattern & dbclass) || (!log_state.to_stderr && !log_state.sink))
		return;
	for (size_t off = 0; off < len; off += 16) {
		size_t pos = format_stamp(out, sizeof out);
		line_add(out, sizeof out, &pos, "%.64s:%d %04zx ", base_name(file), line, off);
		for (size_t i = 0; i < 16; i++) {
			if (off + i < len)
				line_add(out, sizeof out, &pos, "%02x ", p[off + i]);
			else
				line_add(out, sizeof out, &pos, "   ");
		}
		for (size_t i = 0; i < 16 && off + i < len && pos < sizeof out - 1; i++)
			out[pos++] = (p[off + i] >= 0x20 && p[off + i] < 0x7f) ? (char)p[off + i] : '.';
		out[pos] = '\0';
		emit(out, pos);
	}
}

int log_parse_pattern(const char *s, unsigned *out)
{
	char *end;

	if (!s || !*s)
		return -1;
	errno = 0;
	if (s[0] == '-') {
		long v = strtol(s, &end, 10);
		if (errno || *end || v != -1)
			return -1;
		*out = DBCLASS_ALL;
		return 0;
	}
	int base = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10;
	unsigned long v = strtoul(s, &end, base);
	if (errno || *end || end == s || v > UINT_MAX)
		return -1;
	*out = (unsigned)v;
	return 0;
}
