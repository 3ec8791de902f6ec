/* The one event loop: epoll readiness, a binary min-heap of intrusive timers, and signals through one signalfd. */
#include "build_config.h"

#include "event_loop.h"
#include "log.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

/* First size of the epoll batch; it grows with the number of registered fds. */
#define EL_EVENTS_START 64

/* One registered fd; epoll_event.data.ptr points here, so dispatch needs no lookup. */
struct el_handler {
	int fd;
	unsigned events;
	el_fd_cb cb;
	void *ud;
	bool deleted;                /* removed while an event for it may still be pending */
	struct el_handler *next_dead;
};

struct el_signal {
	el_signal_cb cb;
	void *ud;
};

struct event_loop {
	int epfd;
	bool stop;
	uint64_t now_ms;
	int64_t wall_s;

	struct el_handler **by_fd;   /* indexed by fd: fds are small integers the kernel hands out densely */
	size_t by_fd_cap;
	size_t n_handlers;
	bool running;                /* inside el_run_once() */
	bool dispatching;            /* inside the fd callbacks of one epoll batch */
	struct el_handler *dead;     /* deleted during the batch, freed after it */

	struct epoll_event *events;
	size_t events_cap;

	struct el_timer **heap;
	size_t heap_len, heap_cap;
	uint64_t timer_seq;

	int sigfd;                   /* -1 until the first el_signal_add() */
	sigset_t sigmask;
	struct el_signal signals[NSIG];
};

/*
 * Returns arr grown by doubling to hold at least need items of elem bytes (new items zeroed),
 * or NULL when memory runs out (arr is then untouched).
 */
static void *grow_array(void *arr, size_t *cap, size_t need, size_t elem, size_t start)
{
	size_t n = *cap ? *cap : start;

	if (need <= *cap)
		return arr;
	while (n < need) {
		if (n > SIZE_MAX / 2 / elem)
			return NULL;
		n *= 2;
	}
	char *mem = realloc(arr, n * elem);
	if (!mem)
		return NULL;
	memset(mem + *cap * elem, 0, (n - *cap) * elem);
	*cap = n;
	return mem;
}

static void refresh_clock(struct event_loop *el)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	el->now_ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	el->wall_s = (int64_t)time(NULL);
}

struct event_loop *el_create(void)
{
	struct event_loop *el = calloc(1, sizeof *el);

	if (!el)
		return NULL;
	el->sigfd = -1;
	sigemptyset(&el->sigmask);
	el->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (el->epfd >= 0)
		el->events = grow_array(NULL, &el->events_cap, EL_EVENTS_START, sizeof *el->events, EL_EVENTS_START);
	if (el->epfd < 0 || !el->events) {
		int saved = errno;
		if (el->epfd >= 0)
			close(el->epfd);
		free(el);
		errno = saved;
		return NULL;
	}
	refresh_clock(el);
	return el;
}

static void free_dead(struct event_loop *el)
{
	while (el->dead) {
		struct el_handler *h = el->dead;
		el->dead = h->next_dead;
		free(h);
	}
}

/*
 * Signals stay blocked: unblocking one that arrived after the last read would run its default
 * action (SIGUSR1 and SIGTERM kill the process) while the daemon is tearing down.
 */
void el_destroy(struct event_loop *el)
{
	if (!el)
		return;
	for (size_t i = 0; i < el->heap_len; i++)
		el->heap[i]->heap_index = 0;
	for (size_t fd = 0; fd < el->by_fd_cap; fd++)
		free(el->by_fd[fd]);
	free_dead(el);
	if (el->sigfd >= 0)
		close(el->sigfd);
	close(el->epfd);
	free(el->by_fd);
	free(el->events);
	free(el->heap);
	free(el);
}

/* ---- fds ---- */

static uint32_t to_epoll(unsigned events)
{
	return ((events & EL_READ) ? EPOLLIN : 0u) | ((events & EL_WRITE) ? EPOLLOUT : 0u);
}

static unsigned from_epoll(uint32_t ev)
{
	return ((ev & EPOLLIN) ? EL_READ : 0u) | ((ev & EPOLLOUT) ? EL_WRITE : 0u) |
	       ((ev & (EPOLLERR | EPOLLHUP)) ? EL_ERROR : 0u);
}

static struct el_handler *handler_of(const struct event_loop *el, int fd)
{
	return (fd >= 0 && (size_t)fd < el->by_fd_cap) ? el->by_fd[fd] : NULL;
}

int el_fd_add(struct event_loop *el, int fd, unsigned events, el_fd_cb cb, void *ud)
{
	if (fd < 0 || !cb) {
		errno = fd < 0 ? EBADF : EINVAL;
		return -1;
	}
	if (handler_of(el, fd)) {
		errno = EEXIST;
		return -1;
	}
	struct el_handler **by_fd = grow_array(el->by_fd, &el->by_fd_cap, (size_t)fd + 1, sizeof *by_fd, 64);
	if (!by_fd) {
		errno = ENOMEM;
		return -1;
	}
	el->by_fd = by_fd;
	struct el_handler *h = calloc(1, sizeof *h);
	if (!h)
		return -1;
	h->fd = fd;
	h->events = events;
	h->cb = cb;
	h->ud = ud;
	struct epoll_event ev = { .events = to_epoll(events), .data.ptr = h };
	if (epoll_ctl(el->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int saved = errno;
		free(h);
		errno = saved;
		return -1;
	}
	el->by_fd[fd] = h;
	el->n_handlers++;
	return 0;
}

int el_fd_modify(struct event_loop *el, int fd, unsigned events)
{
	struct el_handler *h = handler_of(el, fd);

	if (!h) {
		errno = ENOENT;
		return -1;
	}
	struct epoll_event ev = { .events = to_epoll(events), .data.ptr = h };
	if (epoll_ctl(el->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -1;
	h->events = events;
	return 0;
}

void el_fd_del(struct event_loop *el, int fd)
{
	struct el_handler *h = handler_of(el, fd);

	if (!h)
		return;
	/* Fails harmlessly when the caller already closed fd: the kernel dropped it then. */
	(void)epoll_ctl(el->epfd, EPOLL_CTL_DEL, fd, NULL);
	el->by_fd[fd] = NULL;
	el->n_handlers--;
	if (el->dispatching) {
		/* The current batch may still hold an event pointing at h. */
		h->deleted = true;
		h->next_dead = el->dead;
		el->dead = h;
	} else {
		free(h);
	}
}

size_t el_fd_count(const struct event_loop *el)
{
	/* The loop's own signalfd is not the caller's registration. */
	return el->n_handlers - (el->sigfd >= 0 ? 1u : 0u);
}

static void dispatch_fds(struct event_loop *el, int n)
{
	el->dispatching = true;
	for (int i = 0; i < n; i++) {
		struct el_handler *h = el->events[i].data.ptr;
		if (h->deleted)
			continue;
		/* Mask with the current interest: an earlier callback of this batch may have changed it. */
		unsigned ev = from_epoll(el->events[i].events) & (h->events | EL_ERROR);
		if (ev)
			h->cb(el, h->fd, ev, h->ud);
	}
	el->dispatching = false;
	free_dead(el);
}

/* ---- timers ---- */

static bool timer_before(const struct el_timer *a, const struct el_timer *b)
{
	return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->seq < b->seq);
}

static void heap_place(struct event_loop *el, size_t i, struct el_timer *t)
{
	el->heap[i] = t;
	t->heap_index = i + 1;
}

static void sift_up(struct event_loop *el, size_t i)
{
	struct el_timer *t = el->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!timer_before(t, el->heap[parent]))
			break;
		heap_place(el, i, el->heap[parent]);
		i = parent;
	}
	heap_place(el, i, t);
}

static void sift_down(struct event_loop *el, size_t i)
{
	struct el_timer *t = el->heap[i];

	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= el->heap_len)
			break;
		if (child + 1 < el->heap_len && timer_before(el->heap[child + 1], el->heap[child]))
			child++;
		if (!timer_before(el->heap[child], t))
			break;
		heap_place(el, i, el->heap[child]);
		i = child;
	}
	heap_place(el, i, t);
}

void el_timer_start(struct event_loop *el, struct el_timer *t, uint64_t ms, el_timer_cb cb, void *ud)
{
	t->due_ms = ms > UINT64_MAX - el->now_ms ? UINT64_MAX : el->now_ms + ms;
	t->seq = ++el->timer_seq;
	t->cb = cb;
	t->ud = ud;
	if (t->heap_index) {
		/* The new key may be earlier or later than the old one. */
		sift_up(el, t->heap_index - 1);
		sift_down(el, t->heap_index - 1);
		return;
	}
	struct el_timer **heap = grow_array(el->heap, &el->heap_cap, el->heap_len + 1, sizeof *heap, 64);
	if (!heap) {
		/* A timer that silently never fires would leak whatever it guards; there is no way on. */
		log_error("event loop: out of memory for %zu timers", el->heap_len + 1);
		abort();
	}
	el->heap = heap;
	el->heap[el->heap_len++] = t;
	sift_up(el, el->heap_len - 1);
}

void el_timer_stop(struct event_loop *el, struct el_timer *t)
{
	if (!t->heap_index)
		return;
	size_t i = t->heap_index - 1;
	struct el_timer *last = el->heap[--el->heap_len];
	t->heap_index = 0;
	if (i < el->heap_len) {
		heap_place(el, i, last);
		sift_up(el, i);
		sift_down(el, last->heap_index - 1);
	}
}

size_t el_timer_count(const struct event_loop *el)
{
	return el->heap_len;
}

/*
 * Fires every timer due now, in (due, start order). Timers (re)started by these callbacks wait
 * for the next iteration, so a timer restarting itself with 0 ms cannot starve the loop.
 */
static void run_timers(struct event_loop *el)
{
	uint64_t started_before = el->timer_seq;

	while (el->heap_len) {
		struct el_timer *t = el->heap[0];
		if (t->due_ms > el->now_ms || t->seq > started_before)
			break;
		el_timer_stop(el, t);
		t->cb(el, t->ud);
	}
}

/* Milliseconds epoll may sleep: until the first timer, at most limit_ms (-1: no limit). */
static int wait_timeout(const struct event_loop *el, int limit_ms)
{
	if (!el->heap_len)
		return limit_ms;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	uint64_t due = el->heap[0]->due_ms;
	uint64_t wait = due > now ? due - now : 0;
	if (wait > INT_MAX)
		wait = INT_MAX;
	if (limit_ms >= 0 && (uint64_t)limit_ms < wait)
		wait = (uint64_t)limit_ms;
	return (int)wait;
}

/* ---- signals ---- */

static void on_signalfd(struct event_loop *el, int fd, unsigned events, void *ud)
{
	struct signalfd_siginfo si;

	for (;;) {
		ssize_t n = read(fd, &si, sizeof si);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof si)
			return;
		int signo = (int)si.ssi_signo;
		if (signo > 0 && signo < NSIG && el->signals[signo].cb)
			el->signals[signo].cb(el, signo, el->signals[signo].ud);
	}
}

int el_signal_add(struct event_loop *el, int signo, el_signal_cb cb, void *ud)
{
	sigset_t one, mask, old;

	/* SIGKILL and SIGSTOP cannot be blocked, so signalfd would never see them. */
	if (signo <= 0 || signo >= NSIG || signo == SIGKILL || signo == SIGSTOP || !cb) {
		errno = EINVAL;
		return -1;
	}
	sigemptyset(&one);
	if (sigaddset(&one, signo) < 0 || sigprocmask(SIG_BLOCK, &one, &old) < 0)
		return -1;
	mask = el->sigmask;
	sigaddset(&mask, signo);
	/* With an existing fd, signalfd() replaces its mask in place. */
	int fd = signalfd(el->sigfd, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd >= 0 && el->sigfd < 0 && el_fd_add(el, fd, EL_READ, on_signalfd, NULL) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		fd = -1;
	}
	if (fd < 0) {
		/* Nobody would read it: give the signal back its old disposition. */
		int saved = errno;
		if (!sigismember(&old, signo))
			sigprocmask(SIG_UNBLOCK, &one, NULL);
		errno = saved;
		return -1;
	}
	el->sigfd = fd;
	el->sigmask = mask;
	el->signals[signo].cb = cb;
	el->signals[signo].ud = ud;
	return 0;
}

/* ---- clock and running ---- */

uint64_t el_now_ms(const struct event_loop *el)
{
	return el->now_ms;
}

int64_t el_wall_s(const struct event_loop *el)
{
	return el->wall_s;
}

int el_run_once(struct event_loop *el, int timeout_ms)
{
	/* A nested run from a callback would overwrite the batch the outer run is walking. */
	if (el->running) {
		errno = EBUSY;
		return -1;
	}
	el->running = true;
	/* A batch as large as the registrations; if growing fails the smaller batch still works. */
	struct epoll_event *events = grow_array(el->events, &el->events_cap, el->n_handlers,
						sizeof *events, EL_EVENTS_START);
	if (events)
		el->events = events;
	int cap = el->events_cap > INT_MAX ? INT_MAX : (int)el->events_cap;
	int n = epoll_wait(el->epfd, el->events, cap, wait_timeout(el, timeout_ms));
	int saved = errno;

	refresh_clock(el);
	if (n < 0) {
		if (saved != EINTR) {
			el->running = false;
			errno = saved;
			return -1;
		}
		n = 0;
	}
	dispatch_fds(el, n);
	run_timers(el);
	el->running = false;
	return 0;
}

int el_run(struct event_loop *el)
{
	int rc = 0;

	while (!el->stop) {
		if (el_run_once(el, -1) < 0) {
			rc = -1;
			break;
		}
	}
	el->stop = false;
	return rc;
}

void el_stop(struct event_loop *el)
{
	el->stop = true;
}
