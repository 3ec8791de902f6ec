/* Unit tests of the event loop: fd readiness and deletion, timer order, signals, stopping. */
#include "build_config.h"

#include "event_loop.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "unit_run.h"

static struct event_loop *el;

static void setup(void)
{
	el = el_create();
	ck_assert_ptr_nonnull(el);
}

static void teardown(void)
{
	el_destroy(el);
	el = NULL;
}

static void nonblocking_pair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
}

/* ---- fds ---- */

struct fd_seen {
	int calls;
	unsigned events;
	int fd;
};

static void record_fd(struct event_loop *loop, int fd, unsigned events, void *ud)
{
	struct fd_seen *s = ud;
	s->calls++;
	s->events |= events;
	s->fd = fd;
}

START_TEST(fd_read_readiness)
{
	int sv[2];
	struct fd_seen seen = { 0 };

	nonblocking_pair(sv);
	ck_assert_int_eq(el_fd_add(el, sv[0], EL_READ, record_fd, &seen), 0);
	ck_assert_uint_eq(el_fd_count(el), 1);
	ck_assert_int_eq(el_run_once(el, 0), 0);
	ck_assert_int_eq(seen.calls, 0);

	ck_assert_int_eq(write(sv[1], "x", 1), 1);
	ck_assert_int_eq(el_run_once(el, 1000), 0);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_int_eq(seen.fd, sv[0]);
	ck_assert_uint_eq(seen.events, EL_READ);

	/* A second registration of the same fd is refused. */
	ck_assert_int_eq(el_fd_add(el, sv[0], EL_READ, record_fd, &seen), -1);
	ck_assert_int_eq(errno, EEXIST);
	el_fd_del(el, sv[0]);
	ck_assert_uint_eq(el_fd_count(el), 0);
	ck_assert_int_eq(el_run_once(el, 0), 0);
	ck_assert_int_eq(seen.calls, 1);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(fd_write_and_modify)
{
	int sv[2];
	struct fd_seen seen = { 0 };

	nonblocking_pair(sv);
	ck_assert_int_eq(el_fd_add(el, sv[0], 0, record_fd, &seen), 0);
	ck_assert_int_eq(el_run_once(el, 0), 0);
	ck_assert_int_eq(seen.calls, 0);
	ck_assert_int_eq(el_fd_modify(el, sv[0], EL_WRITE), 0);
	ck_assert_int_eq(el_run_once(el, 1000), 0);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_uint_eq(seen.events, EL_WRITE);

	close(sv[1]);
	seen = (struct fd_seen){ 0 };
	ck_assert_int_eq(el_fd_modify(el, sv[0], EL_READ), 0);
	ck_assert_int_eq(el_run_once(el, 1000), 0);
	ck_assert_uint_eq(seen.events & EL_ERROR, EL_ERROR);

	ck_assert_int_eq(el_fd_modify(el, 12345, EL_READ), -1);
	el_fd_del(el, 12345);   /* unknown fd: harmless */
	el_fd_del(el, sv[0]);
	close(sv[0]);
}
END_TEST

/*
 * Two readable fds end up in one epoll batch; whichever callback runs first deletes both, closes
 * the other fd and registers a new fd that reuses its number. The stale pending event must
 * reach neither the deleted handler nor the new one (ASan catches a use after free).
 */
struct del_ctx {
	int fds[2];
	int calls[2];
	int reused_fd;                /* the closed number, now a new socket */
	struct fd_seen reused;
	int pair[2];
};

static void delete_both(struct event_loop *loop, int fd, unsigned events, void *ud)
{
	struct del_ctx *d = ud;
	int me = fd == d->fds[0] ? 0 : 1;
	int other = d->fds[1 - me];

	d->calls[me]++;
	el_fd_del(loop, fd);
	el_fd_del(loop, other);
	close(other);
	nonblocking_pair(d->pair);
	/* Force the number: the kernel would reuse it anyway, but only if nothing lower is free. */
	if (d->pair[0] != other) {
		ck_assert_int_eq(dup2(d->pair[0], other), other);
		close(d->pair[0]);
		d->pair[0] = other;
	}
	d->reused_fd = other;
	ck_assert_int_eq(el_fd_add(loop, d->pair[0], EL_READ, record_fd, &d->reused), 0);
}

START_TEST(fd_del_pending_in_callback)
{
	int a[2], b[2];
	struct del_ctx d = { .reused_fd = -1 };

	nonblocking_pair(a);
	nonblocking_pair(b);
	d.fds[0] = a[0];
	d.fds[1] = b[0];
	ck_assert_int_eq(el_fd_add(el, a[0], EL_READ, delete_both, &d), 0);
	ck_assert_int_eq(el_fd_add(el, b[0], EL_READ, delete_both, &d), 0);
	ck_assert_int_eq(write(a[1], "x", 1), 1);
	ck_assert_int_eq(write(b[1], "x", 1), 1);
	ck_assert_int_eq(el_run_once(el, 1000), 0);

	ck_assert_int_eq(d.calls[0] + d.calls[1], 1);
	ck_assert_int_eq(d.reused.calls, 0);
	ck_assert_uint_eq(el_fd_count(el), 1);

	/* The reused number works normally afterwards. */
	ck_assert_int_eq(write(d.pair[1], "y", 1), 1);
	ck_assert_int_eq(el_run_once(el, 1000), 0);
	ck_assert_int_eq(d.reused.calls, 1);

	int mine = d.calls[0] ? a[0] : b[0];
	close(mine);
	el_fd_del(el, d.pair[0]);
	close(d.pair[0]);
	close(d.pair[1]);
	close(a[1]);
	close(b[1]);
}
END_TEST

/* A callback deleting its own fd (twice) with read and write both pending is called once. */
static void self_delete(struct event_loop *loop, int fd, unsigned events, void *ud)
{
	int *calls = ud;
	(*calls)++;
	el_fd_del(loop, fd);
	el_fd_del(loop, fd);   /* twice: still harmless */
}

START_TEST(fd_del_self)
{
	int sv[2], calls = 0;

	nonblocking_pair(sv);
	ck_assert_int_eq(el_fd_add(el, sv[0], EL_READ | EL_WRITE, self_delete, &calls), 0);
	ck_assert_int_eq(write(sv[1], "x", 1), 1);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(el_run_once(el, 0), 0);
	ck_assert_int_eq(calls, 1);
	ck_assert_uint_eq(el_fd_count(el), 0);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* Whichever of two writable fds runs first drops the other's interest while its event is pending. */
struct modify_ctx {
	int fds[2];
	int calls[2];
};

static void quiet_other(struct event_loop *loop, int fd, unsigned events, void *ud)
{
	struct modify_ctx *m = ud;
	int me = fd == m->fds[0] ? 0 : 1;

	m->calls[me]++;
	ck_assert_int_eq(el_fd_modify(loop, m->fds[1 - me], 0), 0);
}

START_TEST(fd_modify_pending_in_callback)
{
	int a[2], b[2];

	nonblocking_pair(a);
	nonblocking_pair(b);
	struct modify_ctx m = { .fds = { a[0], b[0] } };
	ck_assert_int_eq(el_fd_add(el, a[0], EL_WRITE, quiet_other, &m), 0);
	ck_assert_int_eq(el_fd_add(el, b[0], EL_WRITE, quiet_other, &m), 0);
	ck_assert_int_eq(el_run_once(el, 1000), 0);
	ck_assert_int_eq(m.calls[0] + m.calls[1], 1);
	int first = m.calls[0] ? 0 : 1;
	ck_assert_int_eq(el_run_once(el, 0), 0);
	ck_assert_int_eq(m.calls[first], 2);
	ck_assert_int_eq(m.calls[1 - first], 0);
	el_fd_del(el, a[0]);
	el_fd_del(el, b[0]);
	for (int i = 0; i < 2; i++) {
		close(a[i]);
		close(b[i]);
	}
}
END_TEST

START_TEST(fd_add_rejects_bad_arguments)
{
	struct fd_seen seen = { 0 };

	ck_assert_int_eq(el_fd_add(el, -1, EL_READ, record_fd, &seen), -1);
	ck_assert_int_eq(el_fd_add(el, 0, EL_READ, NULL, &seen), -1);
	/* epoll refuses regular files; the loop must not keep a half registration. */
	int fd = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(el_fd_add(el, fd, EL_READ, record_fd, &seen), -1);
	ck_assert_uint_eq(el_fd_count(el), 0);
	ck_assert_int_eq(el_fd_modify(el, fd, EL_READ), -1);
	close(fd);
}
END_TEST

/* ---- timers ---- */

struct fire_log {
	int order[16];
	int n;
};

struct tagged_timer {
	struct el_timer t;
	int tag;
	struct fire_log *log;
};

static void log_fire(struct event_loop *loop, void *ud)
{
	struct tagged_timer *tt = ud;
	if (tt->log->n < 16)
		tt->log->order[tt->log->n++] = tt->tag;
}

static void run_until_no_timers(void)
{
	for (int i = 0; i < 1000 && el_timer_count(el); i++)
		ck_assert_int_eq(el_run_once(el, 1000), 0);
	ck_assert_uint_eq(el_timer_count(el), 0);
}

START_TEST(timers_fire_in_order)
{
	struct fire_log log = { .n = 0 };
	struct tagged_timer tt[5];
	static const uint64_t delay[5] = { 30, 10, 20, 10, 0 };

	for (int i = 0; i < 5; i++) {
		tt[i] = (struct tagged_timer){ .tag = i, .log = &log };
		el_timer_start(el, &tt[i].t, delay[i], log_fire, &tt[i]);
		ck_assert(el_timer_active(&tt[i].t));
	}
	uint64_t t0 = el_now_ms(el);
	run_until_no_timers();
	ck_assert_uint_ge(el_now_ms(el) - t0, 30);
	ck_assert_int_eq(log.n, 5);
	/* 4 (0 ms), then the two 10 ms ties in start order, then 20 and 30 ms. */
	static const int want[5] = { 4, 1, 3, 2, 0 };
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(log.order[i], want[i]);
	for (int i = 0; i < 5; i++)
		ck_assert(!el_timer_active(&tt[i].t));
}
END_TEST

START_TEST(timers_stop_and_restart)
{
	struct fire_log log = { .n = 0 };
	struct tagged_timer tt[4];

	for (int i = 0; i < 4; i++) {
		tt[i] = (struct tagged_timer){ .tag = i, .log = &log };
		el_timer_start(el, &tt[i].t, 5, log_fire, &tt[i]);
	}
	el_timer_stop(el, &tt[1].t);
	el_timer_stop(el, &tt[1].t);                       /* stopping twice is harmless */
	el_timer_start(el, &tt[0].t, 5, log_fire, &tt[0]); /* same delay, now started last */
	el_timer_start(el, &tt[3].t, 1, log_fire, &tt[3]); /* moved earlier */
	ck_assert_uint_eq(el_timer_count(el), 3);

	struct el_timer never = { 0 };
	el_timer_stop(el, &never);                         /* never started: harmless */

	run_until_no_timers();
	ck_assert_int_eq(log.n, 3);
	ck_assert_int_eq(log.order[0], 3);
	ck_assert_int_eq(log.order[1], 2);
	ck_assert_int_eq(log.order[2], 0);
}
END_TEST

struct self_restart {
	struct el_timer t;
	int fired;
	int limit;
};

static void restart_self(struct event_loop *loop, void *ud)
{
	struct self_restart *s = ud;
	s->fired++;
	if (s->fired < s->limit)
		el_timer_start(loop, &s->t, 0, restart_self, s);
}

START_TEST(timer_restarts_itself)
{
	struct self_restart s = { .limit = 5 };

	el_timer_start(el, &s.t, 0, restart_self, &s);
	/* A 0 ms restart waits for the next iteration: one firing per iteration, no endless loop. */
	for (int i = 1; i <= 5; i++) {
		ck_assert_int_eq(el_run_once(el, 0), 0);
		ck_assert_int_eq(s.fired, i);
	}
	ck_assert(!el_timer_active(&s.t));
	ck_assert_int_eq(el_run_once(el, 0), 0);
	ck_assert_int_eq(s.fired, 5);
}
END_TEST

/* A callback stopping a timer due in the same iteration prevents it from firing. */
struct stopper {
	struct el_timer a, b;
	int a_fired, b_fired;
};

static void b_cb(struct event_loop *loop, void *ud) { ((struct stopper *)ud)->b_fired++; }

static void a_stops_b(struct event_loop *loop, void *ud)
{
	struct stopper *s = ud;
	s->a_fired++;
	el_timer_stop(loop, &s->b);
}

START_TEST(timer_stops_other_due_timer)
{
	struct stopper s = { .a_fired = 0 };

	el_timer_start(el, &s.a, 0, a_stops_b, &s);
	el_timer_start(el, &s.b, 0, b_cb, &s);
	ck_assert_int_eq(el_run_once(el, 0), 0);
	ck_assert_int_eq(s.a_fired, 1);
	ck_assert_int_eq(s.b_fired, 0);
	ck_assert_uint_eq(el_timer_count(el), 0);
}
END_TEST

#define MANY 10000

struct many_ctx {
	uint64_t last_due, last_seq;
	int fired;
	bool in_order;
	unsigned char *hit;
	struct el_timer *timers;
};

static struct many_ctx many;

static void many_cb(struct event_loop *loop, void *ud)
{
	struct el_timer *t = ud;
	size_t i = (size_t)(t - many.timers);

	if (t->due_ms < many.last_due || (t->due_ms == many.last_due && t->seq < many.last_seq))
		many.in_order = false;
	many.last_due = t->due_ms;
	many.last_seq = t->seq;
	many.hit[i]++;
	many.fired++;
}

START_TEST(ten_thousand_timers)
{
	unsigned rnd = 12345;

	many = (struct many_ctx){ .in_order = true };
	many.timers = calloc(MANY, sizeof *many.timers);
	many.hit = calloc(MANY, 1);
	ck_assert_ptr_nonnull(many.timers);
	ck_assert_ptr_nonnull(many.hit);
	for (size_t i = 0; i < MANY; i++) {
		rnd = rnd * 1103515245u + 12345u;
		el_timer_start(el, &many.timers[i], (rnd >> 16) % 40, many_cb, &many.timers[i]);
	}
	/* Stop every third, restart every seventh (moves it to the back of its tie group). */
	int stopped = 0;
	for (size_t i = 0; i < MANY; i += 3) {
		el_timer_stop(el, &many.timers[i]);
		stopped++;
	}
	for (size_t i = 1; i < MANY; i += 7) {
		if (el_timer_active(&many.timers[i]))
			el_timer_start(el, &many.timers[i], (i * 7) % 40, many_cb, &many.timers[i]);
	}
	ck_assert_uint_eq(el_timer_count(el), MANY - stopped);
	run_until_no_timers();
	ck_assert(many.in_order);
	ck_assert_int_eq(many.fired, MANY - stopped);
	for (size_t i = 0; i < MANY; i++)
		ck_assert_int_eq(many.hit[i], i % 3 == 0 ? 0 : 1);
	free(many.timers);
	free(many.hit);
}
END_TEST

/* ---- signals and stopping ---- */

static void record_signal(struct event_loop *loop, int signo, void *ud)
{
	int *got = ud;
	*got = signo;
}

START_TEST(signal_through_signalfd)
{
	int got1 = 0, got2 = 0;

	ck_assert_int_eq(el_signal_add(el, SIGUSR1, record_signal, &got1), 0);
	ck_assert_int_eq(el_signal_add(el, SIGUSR2, record_signal, &got2), 0);
	ck_assert_uint_eq(el_fd_count(el), 0);   /* the loop's own signalfd is not counted */
	ck_assert_int_eq(raise(SIGUSR1), 0);     /* blocked, so it waits for the loop instead of killing us */
	ck_assert_int_eq(el_run_once(el, 1000), 0);
	ck_assert_int_eq(got1, SIGUSR1);
	ck_assert_int_eq(got2, 0);
	ck_assert_int_eq(raise(SIGUSR2), 0);
	ck_assert_int_eq(el_run_once(el, 1000), 0);
	ck_assert_int_eq(got2, SIGUSR2);
	ck_assert_int_eq(el_signal_add(el, 0, record_signal, &got1), -1);
	ck_assert_int_eq(el_signal_add(el, SIGKILL, record_signal, &got1), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

static void nested_run(struct event_loop *loop, void *ud)
{
	int *rc = ud;
	*rc = el_run_once(loop, 0);
}

START_TEST(nested_run_refused)
{
	struct el_timer t = { 0 };
	int rc = 0;

	el_timer_start(el, &t, 0, nested_run, &rc);
	ck_assert_int_eq(el_run_once(el, 0), 0);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(el_run_once(el, 0), 0);   /* the outer run is not left marked busy */
}
END_TEST

static void stop_loop(struct event_loop *loop, void *ud)
{
	int *fired = ud;
	(*fired)++;
	el_stop(loop);
}

static void count_fire(struct event_loop *loop, void *ud) { (*(int *)ud)++; }

START_TEST(wait_bounded_by_timeout_and_timers)
{
	struct el_timer t = { 0 };
	int fired = 0;

	/* Nothing registered: the caller's timeout bounds the wait. */
	uint64_t t0 = el_now_ms(el);
	ck_assert_int_eq(el_run_once(el, 30), 0);
	ck_assert_uint_ge(el_now_ms(el) - t0, 29);

	/* With no limit, the first timer does: a 25 ms timer ends an endless wait in time. */
	t0 = el_now_ms(el);
	el_timer_start(el, &t, 25, count_fire, &fired);
	ck_assert_int_eq(el_run_once(el, -1), 0);
	ck_assert_int_eq(fired, 1);
	ck_assert_uint_ge(el_now_ms(el) - t0, 25);
	ck_assert_uint_lt(el_now_ms(el) - t0, 1000);
}
END_TEST

START_TEST(run_until_stop)
{
	struct el_timer t = { 0 };
	int fired = 0;

	el_timer_start(el, &t, 10, stop_loop, &fired);
	ck_assert_int_eq(el_run(el), 0);
	ck_assert_int_eq(fired, 1);
	/* The loop can run again after a stop. */
	el_timer_start(el, &t, 0, stop_loop, &fired);
	ck_assert_int_eq(el_run(el), 0);
	ck_assert_int_eq(fired, 2);
}
END_TEST

START_TEST(clock_and_destroy_with_running_timer)
{
	struct el_timer t = { 0 };
	int fired = 0;

	ck_assert_uint_gt(el_now_ms(el), 0);
	ck_assert_int_gt(el_wall_s(el), 1600000000);
	el_timer_start(el, &t, 60000, stop_loop, &fired);
	el_destroy(el);
	el = el_create();
	/* The destroyed loop let go of the timer: it reads as stopped. */
	ck_assert(!el_timer_active(&t));
}
END_TEST

static Suite *event_loop_suite(void)
{
	Suite *s = suite_create("event_loop");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, fd_read_readiness);
	tcase_add_test(tc, fd_write_and_modify);
	tcase_add_test(tc, fd_del_pending_in_callback);
	tcase_add_test(tc, fd_del_self);
	tcase_add_test(tc, fd_modify_pending_in_callback);
	tcase_add_test(tc, fd_add_rejects_bad_arguments);
	tcase_add_test(tc, timers_fire_in_order);
	tcase_add_test(tc, timers_stop_and_restart);
	tcase_add_test(tc, timer_restarts_itself);
	tcase_add_test(tc, timer_stops_other_due_timer);
	tcase_add_test(tc, ten_thousand_timers);
	tcase_add_test(tc, signal_through_signalfd);
	tcase_add_test(tc, wait_bounded_by_timeout_and_timers);
	tcase_add_test(tc, run_until_stop);
	tcase_add_test(tc, nested_run_refused);
	tcase_add_test(tc, clock_and_destroy_with_running_timer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(event_loop_suite());
}
