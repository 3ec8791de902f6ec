/* The one event loop: epoll over every socket, a timer heap, and signals through signalfd. */
#ifndef SIPROXD_EVENT_LOOP_H
#define SIPROXD_EVENT_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_loop;

/* Readiness bits passed to el_fd_add()/el_fd_modify() and to the callback. */
#define EL_READ  0x1u
#define EL_WRITE 0x2u
#define EL_ERROR 0x4u   /* only reported: EPOLLERR or EPOLLHUP */

typedef void (*el_fd_cb)(struct event_loop *el, int fd, unsigned events, void *ud);
typedef void (*el_timer_cb)(struct event_loop *el, void *ud);
typedef void (*el_signal_cb)(struct event_loop *el, int signo, void *ud);

/*
 * A timer lives in its owner's memory (intrusive, like libuv's): starting one allocates
 * nothing, and stopping a timer that is not running is harmless. Zero-initialise it.
 */
struct el_timer {
	uint64_t due_ms;     /* loop clock, see el_now_ms() */
	uint64_t seq;        /* start order: timers due at the same ms fire in start order */
	size_t heap_index;   /* position in the heap + 1; 0 when not running */
	el_timer_cb cb;
	void *ud;
};

struct event_loop *el_create(void);
/* Closes nothing the caller registered; it only frees the loop's own state. */
void el_destroy(struct event_loop *el);

/* fd must be non-blocking. One registration per fd. Returns 0, or -1 with errno set. */
int el_fd_add(struct event_loop *el, int fd, unsigned events, el_fd_cb cb, void *ud);
int el_fd_modify(struct event_loop *el, int fd, unsigned events);
/* Safe to call from inside any callback, also for an fd whose event is still pending. */
void el_fd_del(struct event_loop *el, int fd);

/* One-shot timer after ms milliseconds; re-starting a running timer moves it. */
void el_timer_start(struct event_loop *el, struct el_timer *t, uint64_t ms, el_timer_cb cb, void *ud);
void el_timer_stop(struct event_loop *el, struct el_timer *t);
static inline bool el_timer_active(const struct el_timer *t) { return t->heap_index != 0; }

/* Blocks signo for the process and delivers it through the loop. */
int el_signal_add(struct event_loop *el, int signo, el_signal_cb cb, void *ud);

/* Monotonic milliseconds, refreshed once per loop iteration (cheap to call). */
uint64_t el_now_ms(const struct event_loop *el);
/* Wall-clock seconds (time(NULL)), refreshed with el_now_ms. */
int64_t el_wall_s(const struct event_loop *el);

/* Runs until el_stop(); returns 0, or -1 if epoll itself failed. */
int el_run(struct event_loop *el);
/* Runs one iteration, waiting at most timeout_ms (-1: until an event or timer). For tests.
 * Not from inside a callback: that returns -1 with errno EBUSY. */
int el_run_once(struct event_loop *el, int timeout_ms);
void el_stop(struct event_loop *el);

/* Number of registered fds and running timers (for the status summary). */
size_t el_fd_count(const struct event_loop *el);
size_t el_timer_count(const struct event_loop *el);

#endif
