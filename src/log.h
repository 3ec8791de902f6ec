/* Log levels, the fourteen classic debug classes, and the sinks: stderr, syslog, debug port. */
#ifndef SIPROXD_LOG_H
#define SIPROXD_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Debug classes: the classic bit values (debug_level, -d). */
#define DBCLASS_BABBLE  0x00000001u
#define DBCLASS_NET     0x00000002u
#define DBCLASS_SIP     0x00000004u
#define DBCLASS_REG     0x00000008u
#define DBCLASS_NOSPEC  0x00000010u
#define DBCLASS_PROXY   0x00000020u
#define DBCLASS_DNS     0x00000040u
#define DBCLASS_NETTRAF 0x00000080u
#define DBCLASS_CONFIG  0x00000100u
#define DBCLASS_RTP     0x00000200u
#define DBCLASS_ACCESS  0x00000400u
#define DBCLASS_AUTH    0x00000800u
#define DBCLASS_PLUGIN  0x00001000u
#define DBCLASS_RTPBABL 0x00002000u
#define DBCLASS_ALL     0xffffffffu

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/*
 * A sink receives every formatted line ("HH:MM:SS.mmm LABELfile:line text", no newline). Line ends
 * inside the text arrive as blanks and other control characters as dots, so a line is one line.
 */
typedef void (*log_sink_fn)(const char *line, size_t len, void *ud);

void log_init(const char *ident);               /* openlog(ident, LOG_PID|LOG_NDELAY, LOG_DAEMON) */
void log_set_debug_pattern(unsigned pattern);
unsigned log_debug_pattern(void);
void log_set_stderr(bool on);                   /* on while in the foreground */
void log_set_silence(int silence_log);          /* classic syslog filter 0..4 */
/* One extra sink (the debug port); NULL removes it. */
void log_set_sink(log_sink_fn fn, void *ud);

void log_msg(enum log_level lvl, unsigned dbclass, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void log_vmsg(enum log_level lvl, unsigned dbclass, const char *file, int line, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
/* Hex + ASCII dump of a buffer to stderr and the debug sink (never syslog). */
void log_dump(unsigned dbclass, const char *file, int line, const void *buf, size_t len);

static inline bool log_debug_on(unsigned dbclass) { return (log_debug_pattern() & dbclass) != 0; }

#define log_error(...) log_msg(LOG_LVL_ERROR, 0, __FILE__, __LINE__, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, 0, __FILE__, __LINE__, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, 0, __FILE__, __LINE__, __VA_ARGS__)
#define log_debug(cls, ...) \
	do { if (log_debug_on(cls)) log_msg(LOG_LVL_DEBUG, (cls), __FILE__, __LINE__, __VA_ARGS__); } while (0)
#define log_dump_buf(cls, buf, len) \
	do { if (log_debug_on(cls)) log_dump((cls), __FILE__, __LINE__, (buf), (len)); } while (0)

/*
 * Parses a debug pattern as given to -d or debug_level: decimal, 0x hex, or -1 for all.
 * Returns 0 and sets *out, or -1 on anything else (trailing garbage included).
 */
int log_parse_pattern(const char *s, unsigned *out);

#endif
