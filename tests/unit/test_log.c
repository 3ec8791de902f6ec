/* Unit tests of logging: debug patterns, class filtering, syslog mapping, and the TCP debug port with its clients. */
#include "build_config.h"

#include "debug_port.h"
#include "event_loop.h"
#include "log.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>
#include "unit_run.h"

/* ---- debug patterns ---- */

START_TEST(parse_pattern_accepts)
{
	unsigned v = 7;

	ck_assert_int_eq(log_parse_pattern("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(log_parse_pattern("12", &v), 0);
	ck_assert_uint_eq(v, 12);
	ck_assert_int_eq(log_parse_pattern("0x1F", &v), 0);
	ck_assert_uint_eq(v, 0x1f);
	ck_assert_int_eq(log_parse_pattern("0X2000", &v), 0);
	ck_assert_uint_eq(v, DBCLASS_RTPBABL);
	ck_assert_int_eq(log_parse_pattern("-1", &v), 0);
	ck_assert_uint_eq(v, DBCLASS_ALL);
	ck_assert_int_eq(log_parse_pattern("4294967295", &v), 0);
	ck_assert_uint_eq(v, 0xffffffffu);
}
END_TEST

START_TEST(parse_pattern_rejects)
{
	static const char *const bad[] = {
		"", "abc", "12abc", "1 ", "-2", "-1x", "0x", "0xzz", "0x1g", "4294967296", "99999999999999999999",
	};
	unsigned v = 7;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(log_parse_pattern(bad[i], &v) == -1, "accepted \"%s\"", bad[i]);
		ck_assert_uint_eq(v, 7);
	}
	ck_assert_int_eq(log_parse_pattern(NULL, &v), -1);
}
END_TEST

/* ---- class filtering, seen through a capturing sink ---- */

static char captured[4096];
static size_t captured_len;
static int captured_lines;

static void capture_sink(const char *line, size_t len, void *ud)
{
	if (captured_len + len + 1 < sizeof captured) {
		memcpy(captured + captured_len, line, len);
		captured_len += len;
		captured[captured_len++] = '\n';
		captured[captured_len] = '\0';
	}
	captured_lines++;
}

static void capture_reset(void)
{
	captured_len = 0;
	captured[0] = '\0';
	captured_lines = 0;
}

START_TEST(debug_class_filtering)
{
	log_set_sink(capture_sink, NULL);
	log_set_debug_pattern(DBCLASS_SIP | DBCLASS_REG);
	ck_assert(log_debug_on(DBCLASS_SIP));
	ck_assert(!log_debug_on(DBCLASS_NET));

	capture_reset();
	log_debug(DBCLASS_SIP, "sip %d", 1);
	log_debug(DBCLASS_NET, "net %d", 2);
	log_debug(DBCLASS_REG, "reg %d", 3);
	log_info("info %d", 4);
	log_warn("warn %d", 5);
	log_error("error %d", 6);
	ck_assert_int_eq(captured_lines, 5);
	ck_assert_ptr_nonnull(strstr(captured, "sip 1\n"));
	ck_assert_ptr_null(strstr(captured, "net 2"));
	ck_assert_ptr_nonnull(strstr(captured, "reg 3\n"));
	ck_assert_ptr_nonnull(strstr(captured, " INFO:test_log.c:"));
	ck_assert_ptr_nonnull(strstr(captured, " WARNING:test_log.c:"));
	ck_assert_ptr_nonnull(strstr(captured, " ERROR:test_log.c:"));

	/* Pattern 0: no debug line at all, not even through log_msg directly; dumps neither. */
	log_set_debug_pattern(0);
	capture_reset();
	log_debug(DBCLASS_SIP, "sip again");
	log_msg(LOG_LVL_DEBUG, DBCLASS_PROXY, __FILE__, __LINE__, "direct");
	log_dump_buf(DBCLASS_NETTRAF, "abc", 3);
	ck_assert_int_eq(captured_lines, 0);

	/* Dumps follow their class: 20 bytes make two lines, printable bytes shown as text. */
	log_set_debug_pattern(DBCLASS_NETTRAF);
	log_dump_buf(DBCLASS_NETTRAF, "INVITE sip:a@b SIP/2", 20);
	ck_assert_int_eq(captured_lines, 2);
	ck_assert_ptr_nonnull(strstr(captured, "49 4e 56"));
	ck_assert_ptr_nonnull(strstr(captured, "INVITE sip:a@b S"));

	/* -1 enables every class; trailing newlines of a message are not doubled. */
	log_set_debug_pattern(DBCLASS_ALL);
	capture_reset();
	log_debug(DBCLASS_RTPBABL, "babble\n");
	ck_assert_int_eq(captured_lines, 1);
	ck_assert_ptr_nonnull(strstr(captured, " babble\n"));
	ck_assert_ptr_null(strstr(captured, "\n\n"));

	log_set_sink(NULL, NULL);
	log_set_debug_pattern(0);
}
END_TEST

START_TEST(one_message_is_one_line)
{
	/*
	 * Messages quote peers' data (a malformed packet, a header): an embedded line end must not
	 * let a peer start a line of its own, with a forged time and label, on any sink.
	 */
	log_set_sink(capture_sink, NULL);
	capture_reset();
	log_warn("bad packet from 192.0.2.1: %s", "x\r\n05:00:00.000 ERROR:forged.c:1 admin logged in\x1b[2J");
	ck_assert_int_eq(captured_lines, 1);
	ck_assert_ptr_null(strchr(captured, '\r'));
	ck_assert_ptr_null(strchr(captured, '\x1b'));
	ck_assert_ptr_eq(strchr(captured, '\n'), captured + captured_len - 1);
	ck_assert_ptr_nonnull(strstr(captured, "admin logged in"));
	/* a tab stays a tab */
	capture_reset();
	log_info("a\tb");
	ck_assert_ptr_nonnull(strstr(captured, "a\tb\n"));
	log_set_sink(NULL, NULL);
}
END_TEST

/* ---- syslog, seen through the linker's --wrap (see unit.mk) ---- */

static int syslog_prio[8];
static int syslog_calls;
static char syslog_last[256];

static void syslog_record(int prio, const char *fmt, va_list ap)
{
	if (syslog_calls < 8)
		syslog_prio[syslog_calls] = prio;
	syslog_calls++;
	vsnprintf(syslog_last, sizeof syslog_last, fmt, ap);
}

void __wrap_openlog(const char *ident, int option, int facility);
void __wrap_syslog(int prio, const char *fmt, ...);
void __wrap___syslog_chk(int prio, int flag, const char *fmt, ...);

static int openlog_option = -1, openlog_facility = -1;
void __wrap_openlog(const char *ident, int option, int facility)
{
	(void)ident;
	openlog_option = option;
	openlog_facility = facility;
}

void __wrap_syslog(int prio, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	syslog_record(prio, fmt, ap);
	va_end(ap);
}

/* What syslog() becomes under _FORTIFY_SOURCE. */
void __wrap___syslog_chk(int prio, int flag, const char *fmt, ...)
{
	va_list ap;
	(void)flag;
	va_start(ap, fmt);
	syslog_record(prio, fmt, ap);
	va_end(ap);
}

/* Logs one line of each level at silence_log s; returns how many reached syslog. */
static int syslog_lines_at(int s)
{
	syslog_calls = 0;
	log_set_silence(s);
	log_debug(DBCLASS_SIP, "d");
	log_info("i");
	log_warn("w");
	log_error("e");
	return syslog_calls;
}

START_TEST(syslog_facility_and_silence_log)
{
	log_init("siproxd-test");
	ck_assert_int_eq(openlog_facility, LOG_DAEMON);
	ck_assert(openlog_option & LOG_PID);
	log_set_debug_pattern(DBCLASS_ALL);

	/* classic mapping: 0 everything, 1 info and up, 2 warnings and up, 3 errors, 4 nothing */
	ck_assert_int_eq(syslog_lines_at(0), 4);
	ck_assert_int_eq(syslog_prio[0], LOG_DEBUG);
	ck_assert_int_eq(syslog_prio[1], LOG_NOTICE);
	ck_assert_int_eq(syslog_prio[2], LOG_NOTICE);
	ck_assert_int_eq(syslog_prio[3], LOG_ERR);
	ck_assert_int_eq(syslog_lines_at(1), 3);
	ck_assert_int_eq(syslog_prio[0], LOG_NOTICE);
	ck_assert_int_eq(syslog_lines_at(2), 2);
	ck_assert_int_eq(syslog_prio[0], LOG_NOTICE);
	ck_assert_int_eq(syslog_lines_at(3), 1);
	ck_assert_int_eq(syslog_prio[0], LOG_ERR);
	ck_assert_int_eq(syslog_lines_at(4), 0);

	/* syslog stamps lines itself: ours carries label and file:line, not the time */
	syslog_lines_at(3);
	ck_assert_int_eq(strncmp(syslog_last, "ERROR:test_log.c:", 17), 0);
	ck_assert_ptr_nonnull(strstr(syslog_last, " e"));

	/* buffer dumps never go to syslog */
	syslog_calls = 0;
	log_set_silence(0);
	log_dump_buf(DBCLASS_NETTRAF, "abc", 3);
	ck_assert_int_eq(syslog_calls, 0);
	log_set_silence(1);
	log_set_debug_pattern(0);
}
END_TEST

START_TEST(dump_with_long_file_name)
{
	/* The file name is the caller's: a long one must cost the line its tail, not overrun it. */
	static const char file[] = "a_source_file_with_a_name_long_enough_to_fill_the_dump_line_on_its_own.c";
	log_set_sink(capture_sink, NULL);
	log_set_debug_pattern(DBCLASS_NETTRAF);
	capture_reset();
	log_dump(DBCLASS_NETTRAF, file, 12345, "INVITE sip:a@b SIP/2", 20);
	ck_assert_int_eq(captured_lines, 2);
	ck_assert_ptr_nonnull(strstr(captured, "49 4e 56"));
	ck_assert_ptr_nonnull(strstr(captured, "INVITE sip:a@b S"));
	/* An offset past 0xffff takes more digits; the line still ends with the text column. */
	static char big[0x10010];
	memset(big, 'x', sizeof big);
	capture_reset();
	log_dump(DBCLASS_NETTRAF, file, 12345, big, sizeof big);
	ck_assert_int_eq(captured_lines, (int)(sizeof big / 16));
	log_set_sink(NULL, NULL);
	log_set_debug_pattern(0);
}
END_TEST

/* ---- the debug port ---- */

static struct event_loop *el;
static struct debug_port *dp;

static void port_setup(void)
{
	el = el_create();
	ck_assert_ptr_nonnull(el);
	dp = NULL;
}

static void port_teardown(void)
{
	debug_port_destroy(dp);
	dp = NULL;
	el_destroy(el);
	el = NULL;
}

static struct debug_port *port_create(int max_clients, size_t queue_bytes)
{
	struct in_addr lo = { .s_addr = htonl(INADDR_LOOPBACK) };
	struct debug_port *p = debug_port_create(el, &lo, 1, 0, max_clients, queue_bytes);

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_ne(debug_port_bound_port(p), 0);
	return p;
}

/* A test client: reads what the port sends and keeps counts of the lines it recognises. */
struct tclient {
	int fd;
	bool eof;
	char part[4096];           /* an incomplete line */
	size_t part_len;
	char text[16384];          /* the first lines verbatim, for comparisons */
	size_t text_len;
	int banners, accepted, refused, too_many;
	long seq_lines, next_seq;  /* "seq=N" lines */
	bool seq_in_order;         /* every seq line is after the previous one */
	bool seq_contiguous;       /* ... and directly after it */
	unsigned long long dropped;
	int markers;
};

static void tclient_connect_with(struct tclient *c, struct in_addr to, int rcvbuf)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(debug_port_bound_port(dp)), .sin_addr = to };

	memset(c, 0, sizeof *c);
	c->seq_in_order = c->seq_contiguous = true;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(c->fd, 0);
	/* Set before connecting so the window is small from the start. */
	if (rcvbuf)
		ck_assert_int_eq(setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf), 0);
	ck_assert_int_eq(connect(c->fd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(fcntl(c->fd, F_SETFL, O_NONBLOCK), 0);
}

static void tclient_connect(struct tclient *c, int rcvbuf)
{
	tclient_connect_with(c, (struct in_addr){ .s_addr = htonl(INADDR_LOOPBACK) }, rcvbuf);
}

static void tclient_connect_to(struct tclient *c, struct in_addr to)
{
	tclient_connect_with(c, to, 0);
}

static void tclient_close(struct tclient *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static void tclient_line(struct tclient *c, const char *line)
{
	unsigned long long n;
	const char *seq = strstr(line, "seq=");

	if (c->text_len + strlen(line) + 2 < sizeof c->text)
		c->text_len += (size_t)snprintf(c->text + c->text_len, sizeof c->text - c->text_len, "%s\n", line);
	if (strncmp(line, PACKAGE_STRING " debug log", strlen(PACKAGE_STRING " debug log")) == 0)
		c->banners++;
	else if (strstr(line, "INFO:debug_port.c:") && strstr(line, "accepted debug connection from 127.0.0.1:"))
		c->accepted++;
	else if (strstr(line, "WARNING:debug_port.c:") && strstr(line, "refused debug connection from 127.0.0.1:"))
		c->refused++;
	else if (strcmp(line, "siproxd: too many debug clients") == 0)
		c->too_many++;
	else if (sscanf(line, "siproxd: %llu lines dropped", &n) == 1) {
		c->dropped += n;
		c->markers++;
	} else if (seq) {
		long v = strtol(seq + 4, NULL, 10);
		if (v < c->next_seq)
			c->seq_in_order = false;
		if (v != c->next_seq)
			c->seq_contiguous = false;
		c->next_seq = v + 1;
		c->seq_lines++;
	}
}

/* Reads whatever is there without waiting. */
static void tclient_read(struct tclient *c)
{
	char buf[65536];

	while (c->fd >= 0 && !c->eof) {
		ssize_t n = recv(c->fd, buf, sizeof buf, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			c->eof = true;
		if (n <= 0)
			return;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				/* Not ck_assert: Check records every assertion, far too slow per byte. */
				if (c->part_len >= sizeof c->part - 1)
					ck_abort_msg("line longer than %zu bytes", sizeof c->part);
				c->part[c->part_len++] = buf[i];
				continue;
			}
			c->part[c->part_len] = '\0';
			tclient_line(c, c->part);
			c->part_len = 0;
		}
	}
}

/* Runs the loop and reads the given clients until cond holds; fails after about five seconds. */
#define PUMP_UNTIL(cond, ...) do { \
	struct tclient *pump_[] = { __VA_ARGS__ }; \
	int i_; \
	for (i_ = 0; i_ < 1000 && !(cond); i_++) { \
		ck_assert_int_eq(el_run_once(el, 5), 0); \
		for (size_t k_ = 0; k_ < sizeof pump_ / sizeof pump_[0]; k_++) \
			tclient_read(pump_[k_]); \
	} \
	ck_assert_msg((cond), "timed out waiting for: %s", #cond); \
} while (0)

START_TEST(two_clients_get_the_same_lines)
{
	struct tclient a, b;

	dp = port_create(0, 0);
	tclient_connect(&a, 0);
	PUMP_UNTIL(a.accepted == 1, &a);
	tclient_connect(&b, 0);
	PUMP_UNTIL(a.accepted == 2 && b.accepted == 1, &a, &b);
	ck_assert_uint_eq(debug_port_client_count(dp), 2);

	log_info("hello %d", 42);
	log_warn("second line");
	PUMP_UNTIL(strstr(a.text, "second line\n") && strstr(b.text, "second line\n"), &a, &b);

	/* Each starts with the banner; from the first common line on, both transcripts are equal. */
	ck_assert_int_eq(a.banners, 1);
	ck_assert_int_eq(b.banners, 1);
	ck_assert(strncmp(a.text, PACKAGE_STRING, strlen(PACKAGE_STRING)) == 0);
	ck_assert(strncmp(b.text, PACKAGE_STRING, strlen(PACKAGE_STRING)) == 0);
	const char *from_a = strstr(a.text, "INFO:test_log.c");
	const char *from_b = strstr(b.text, "INFO:test_log.c");
	ck_assert_ptr_nonnull(from_a);
	ck_assert_ptr_nonnull(from_b);
	ck_assert_str_eq(from_a, from_b);
	ck_assert_ptr_nonnull(strstr(from_a, "hello 42\n"));

	/* What a client sends is read and thrown away; it stays connected. */
	static const char junk[] = "debug_level 0xffffffff\r\nquit\r\n";
	for (int i = 0; i < 200; i++)
		ck_assert_int_eq(send(a.fd, junk, sizeof junk - 1, MSG_NOSIGNAL), (ssize_t)(sizeof junk - 1));
	log_info("third line");
	PUMP_UNTIL(strstr(a.text, "third line\n"), &a);
	ck_assert(!a.eof);
	ck_assert_uint_eq(debug_port_client_count(dp), 2);
	ck_assert_uint_eq(log_debug_pattern(), 0);

	/* A client that hangs up is closed and no longer counted. */
	tclient_close(&a);
	PUMP_UNTIL(debug_port_client_count(dp) == 1 && strstr(b.text, "closed: closed by peer"), &b);
	tclient_close(&b);
}
END_TEST

#define FLOOD_LINES 100000
#define FLOOD_BURST 500

START_TEST(stalled_client_does_not_block)
{
	struct tclient fast, slow;

	dp = port_create(0, 0);
	tclient_connect(&fast, 0);
	tclient_connect(&slow, 4096);
	PUMP_UNTIL(debug_port_client_count(dp) == 2 && fast.banners && slow.banners, &fast, &slow);

	/*
	 * From here on the slow client reads nothing. The fast one must get every line in order:
	 * a blocking write to the slow one would hang this loop (and the test would time out).
	 */
	long logged = 0;
	for (int burst = 0; burst < FLOOD_LINES / FLOOD_BURST; burst++) {
		for (int i = 0; i < FLOOD_BURST; i++)
			log_info("flood seq=%ld", logged++);
		PUMP_UNTIL(fast.next_seq == logged, &fast);
	}
	ck_assert_int_eq(fast.seq_lines, FLOOD_LINES);
	ck_assert(fast.seq_contiguous);
	ck_assert_int_eq(fast.markers, 0);

	/* Now the slow client reads: it gets what fitted, then the count of what did not. */
	PUMP_UNTIL(slow.markers >= 1 && slow.seq_lines + (long)slow.dropped == FLOOD_LINES, &slow);
	ck_assert(slow.seq_in_order);
	ck_assert_int_gt(slow.seq_lines, 0);
	ck_assert_uint_gt(slow.dropped, 0);

	/* Once caught up, the slow client gets new lines again, without a new marker. */
	int markers = slow.markers;
	log_info("flood seq=%d", FLOOD_LINES);
	PUMP_UNTIL(slow.next_seq == FLOOD_LINES + 1, &slow);
	ck_assert_int_eq(slow.markers, markers);
	tclient_close(&fast);
	tclient_close(&slow);
}
END_TEST

START_TEST(client_limit)
{
	struct tclient a, b, c;

	dp = port_create(2, 0);
	tclient_connect(&a, 0);
	tclient_connect(&b, 0);
	PUMP_UNTIL(a.banners && b.banners, &a, &b);
	tclient_connect(&c, 0);
	PUMP_UNTIL(c.eof, &c);
	ck_assert_int_eq(c.too_many, 1);
	ck_assert_int_eq(c.banners, 0);
	ck_assert_uint_eq(debug_port_client_count(dp), 2);

	/* The admitted clients keep working and learn about the refusal. */
	log_info("still here");
	PUMP_UNTIL(strstr(a.text, "still here") && strstr(b.text, "still here"), &a, &b);
	ck_assert_int_eq(a.refused, 1);
	ck_assert(!a.eof && !b.eof);

	/* A freed slot can be taken again. */
	tclient_close(&a);
	PUMP_UNTIL(debug_port_client_count(dp) == 1, &b);
	tclient_close(&c);
	tclient_connect(&c, 0);
	PUMP_UNTIL(c.banners == 1, &c);
	ck_assert_uint_eq(debug_port_client_count(dp), 2);
	tclient_close(&b);
	tclient_close(&c);
}
END_TEST

START_TEST(destroy_closes_clients)
{
	struct tclient a, b;

	dp = port_create(0, 0);
	tclient_connect(&a, 0);
	tclient_connect(&b, 0);
	PUMP_UNTIL(a.banners && b.banners && debug_port_client_count(dp) == 2, &a, &b);

	/* Queued but not yet sent when the port goes: destroy sends what it can, then closes. */
	log_info("last words");
	debug_port_destroy(dp);
	dp = NULL;
	log_info("nobody hears this");   /* the sink is gone: must not touch freed memory */
	ck_assert_uint_eq(el_fd_count(el), 0);
	ck_assert_uint_eq(el_timer_count(el), 0);
	PUMP_UNTIL(a.eof && b.eof, &a, &b);
	ck_assert_ptr_nonnull(strstr(a.text, "last words"));
	ck_assert_ptr_nonnull(strstr(b.text, "last words"));
	ck_assert_ptr_null(strstr(a.text, "nobody hears"));
	tclient_close(&a);
	tclient_close(&b);
}
END_TEST

/* One listener per address, all on the same (here ephemeral) port. */
START_TEST(listens_on_every_address)
{
	struct in_addr addrs[2] = { { .s_addr = htonl(INADDR_LOOPBACK) }, { .s_addr = htonl(0x7f000002) } };
	struct tclient a, b;

	dp = debug_port_create(el, addrs, 2, 0, 0, 0);
	ck_assert_ptr_nonnull(dp);
	ck_assert_uint_eq(el_fd_count(el), 2);
	tclient_connect(&a, 0);
	PUMP_UNTIL(a.banners == 1, &a);
	tclient_connect_to(&b, addrs[1]);
	PUMP_UNTIL(b.banners == 1 && a.accepted == 2, &a, &b);
	ck_assert_uint_eq(debug_port_client_count(dp), 2);
	tclient_close(&a);
	tclient_close(&b);
}
END_TEST

START_TEST(port_in_use_is_an_error)
{
	struct in_addr lo = { .s_addr = htonl(INADDR_LOOPBACK) };
	struct tclient a;

	dp = port_create(0, 0);
	ck_assert_ptr_null(debug_port_create(el, &lo, 1, debug_port_bound_port(dp), 0, 0));
	ck_assert_uint_eq(el_fd_count(el), 1);
	/* The failed attempt left the working port's sink in place. */
	tclient_connect(&a, 0);
	PUMP_UNTIL(a.accepted == 1, &a);
	tclient_close(&a);
}
END_TEST

static int count_lines_with(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Out of fds: the listener rests for a while instead of failing accept() on every iteration. */
START_TEST(accept_pauses_when_out_of_fds)
{
	struct tclient a, b, c;
	struct rlimit saved, tight;

	dp = port_create(0, 0);
	tclient_connect(&a, 0);
	PUMP_UNTIL(a.banners == 1, &a);

	/* b's socket exists; then no new fd can be made, so accepting b fails with EMFILE. */
	tclient_connect(&b, 0);
	int lowest_free = dup(0);
	ck_assert_int_ge(lowest_free, 0);
	close(lowest_free);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
	tight = saved;
	tight.rlim_cur = (rlim_t)lowest_free;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &tight), 0);
	for (int i = 0; i < 50; i++) {
		ck_assert_int_eq(el_run_once(el, 2), 0);
		tclient_read(&a);
	}
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
	ck_assert_int_eq(count_lines_with(a.text, "accept failed, pausing"), 1);
	ck_assert_uint_eq(debug_port_client_count(dp), 1);

	/*
	 * After the pause new connections are taken again. (b itself is waiting in the backlog, but
	 * under valgrind, which enforces the limit by closing the accepted fd, it is gone.)
	 */
	tclient_connect(&c, 0);
	PUMP_UNTIL(c.banners == 1, &b, &c);
	ck_assert_uint_ge(debug_port_client_count(dp), 2);
	tclient_close(&a);
	tclient_close(&b);
	tclient_close(&c);
}
END_TEST

/* A queue smaller than one line: every line is dropped and counted, nothing breaks. */
START_TEST(tiny_queue_counts_drops)
{
	struct tclient a;

	dp = port_create(0, 64);
	tclient_connect(&a, 0);
	/* Its own "accepted" line is the first one lost. */
	PUMP_UNTIL(a.banners == 1 && a.dropped == 1, &a);
	for (int i = 0; i < 10; i++)
		log_info("this line is longer than the sixty-four byte queue of the client %d", i);
	PUMP_UNTIL(a.dropped == 11, &a);
	ck_assert_int_ge(a.markers, 2);
	ck_assert_int_eq(a.accepted, 0);
	tclient_close(&a);
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("patterns");
	tcase_add_test(tc, parse_pattern_accepts);
	tcase_add_test(tc, parse_pattern_rejects);
	tcase_add_test(tc, debug_class_filtering);
	tcase_add_test(tc, dump_with_long_file_name);
	tcase_add_test(tc, one_message_is_one_line);
	tcase_add_test(tc, syslog_facility_and_silence_log);
	suite_add_tcase(s, tc);

	tc = tcase_create("debug_port");
	tcase_add_checked_fixture(tc, port_setup, port_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, two_clients_get_the_same_lines);
	tcase_add_test(tc, stalled_client_does_not_block);
	tcase_add_test(tc, client_limit);
	tcase_add_test(tc, destroy_closes_clients);
	tcase_add_test(tc, listens_on_every_address);
	tcase_add_test(tc, port_in_use_is_an_error);
	tcase_add_test(tc, tiny_queue_counts_drops);
	tcase_add_test(tc, accept_pauses_when_out_of_fds);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(log_suite());
}
