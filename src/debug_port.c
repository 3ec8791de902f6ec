/* The TCP debug-log listener: a bounded queue per client, non-blocking writes, lost lines counted and announced. */
#include "build_config.h"

#include "debug_port.h"
#include "event_loop.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A client's queue starts this small and doubles up to queue_bytes, so idle clients cost little. */
#define DP_QUEUE_START 4096u
/* Per callback, so one busy socket cannot keep the loop to itself; level-triggered epoll calls again. */
#define DP_IO_ROUNDS 16
/* After running out of fds, listeners rest this long instead of spinning on a readable listener. */
#define DP_ACCEPT_PAUSE_MS 1000u

struct dp_client {
	struct debug_port *dp;
	int fd;
	char peer[INET_ADDRSTRLEN + 8];   /* "ip:port", for log lines */
	char *buf;                        /* ring buffer of cap bytes; pending data starts at head */
	size_t cap, head, len;
	unsigned long long dropped;       /* lines lost since the last marker */
	bool writing;                     /* EL_WRITE interest is on */
	struct dp_client *prev, *next;
};

struct debug_port {
	struct event_loop *el;
	int *listen_fds;
	size_t n_listen;
	uint16_t port;
	int max_clients;
	size_t queue_bytes;
	struct dp_client *clients;
	int n_clients;
	struct el_timer flush_timer;      /* sends what the sink queued, outside the sink */
	struct el_timer accept_timer;     /* resumes paused listeners */
	bool in_sink;
	bool sink_installed;
};

/* ---- the per-client queue ---- */

/* Makes room for n more bytes, growing the ring up to the limit; false when the client is full. */
static bool queue_room(struct dp_client *c, size_t n, size_t limit)
{
	if (n > limit - c->len)
		return false;
	if (c->len + n <= c->cap)
		return true;
	size_t cap = c->cap ? c->cap : DP_QUEUE_START;
	while (cap < c->len + n)
		cap = cap > limit / 2 ? limit : cap * 2;
	char *buf = malloc(cap);
	if (!buf)
		return false;
	/* Unwrap the pending bytes into the new ring. */
	size_t first = c->len < c->cap - c->head ? c->len : c->cap - c->head;
	if (c->len) {
		memcpy(buf, c->buf + c->head, first);
		memcpy(buf + first, c->buf, c->len - first);
	}
	free(c->buf);
	c->buf = buf;
	c->cap = cap;
	c->head = 0;
	return true;
}

/* Copies n bytes in; queue_room() must have said yes. */
static void queue_copy(struct dp_client *c, const char *p, size_t n)
{
	size_t tail = (c->head + c->len) % c->cap;
	size_t first = n < c->cap - tail ? n : c->cap - tail;

	memcpy(c->buf + tail, p, first);
	memcpy(c->buf, p + first, n - first);
	c->len += n;
}

/* Queues one line plus its newline, or nothing. */
static bool queue_line(struct dp_client *c, const char *line, size_t len)
{
	if (!queue_room(c, len + 1, c->dp->queue_bytes))
		return false;
	queue_copy(c, line, len);
	queue_copy(c, "\n", 1);
	return true;
}

/* Once there is room again, the client learns how many lines it missed, before any new line. */
static bool queue_drop_marker(struct dp_client *c)
{
	char marker[64];

	if (!c->dropped)
		return true;
	int n = snprintf(marker, sizeof marker, "siproxd: %llu lines dropped", c->dropped);
	if (n < 0 || (size_t)n >= sizeof marker || !queue_line(c, marker, (size_t)n))
		return false;
	c->dropped = 0;
	return true;
}

/* ---- clients ---- */

/* Unlinks and frees a client without logging (the log may be what is being torn down). */
static void client_free(struct dp_client *c)
{
	struct debug_port *dp = c->dp;

	if (c->prev)
		c->prev->next = c->next;
	else
		dp->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	dp->n_clients--;
	el_fd_del(dp->el, c->fd);
	close(c->fd);
	free(c->buf);
	free(c);
}

static void client_close(struct dp_client *c, const char *why)
{
	char peer[sizeof c->peer];

	memcpy(peer, c->peer, sizeof peer);
	/* Freed first, so the log line below cannot reach this client. */
	client_free(c);
	log_info("debug connection from %s closed: %s", peer, why);
}

/* Sends as much as the socket takes. Returns 0, or -1 with errno set when the client is dead. */
static int client_send(struct dp_client *c)
{
	for (int round = 0; round < DP_IO_ROUNDS; round++) {
		(void)queue_drop_marker(c);
		if (!c->len)
			return 0;
		size_t chunk = c->len < c->cap - c->head ? c->len : c->cap - c->head;
		ssize_t n = send(c->fd, c->buf + c->head, chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
		}
		c->head = (c->head + (size_t)n) % c->cap;
		c->len -= (size_t)n;
	}
	return 0;
}

/* Sends, then asks for EL_WRITE exactly while something is left. Returns -1 if the client was closed. */
static int client_flush(struct dp_client *c)
{
	if (client_send(c) < 0) {
		client_close(c, strerror(errno));
		return -1;
	}
	bool want = c->len > 0;
	if (want != c->writing) {
		if (el_fd_modify(c->dp->el, c->fd, EL_READ | (want ? EL_WRITE : 0u)) < 0) {
			client_close(c, strerror(errno));
			return -1;
		}
		c->writing = want;
	}
	return 0;
}

/* Input is read and thrown away; the pattern cannot be changed over the socket. */
static void client_read(struct dp_client *c)
{
	char scratch[512];

	for (int round = 0; round < DP_IO_ROUNDS; round++) {
		ssize_t n = recv(c->fd, scratch, sizeof scratch, MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n == 0) {
			client_close(c, "closed by peer");
		} else if (errno == EINTR) {
			continue;
		} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
			client_close(c, strerror(errno));
		}
		return;
	}
}

static void on_client(struct event_loop *el, int fd, unsigned events, void *ud)
{
	struct dp_client *c = ud;

	if (events & EL_WRITE) {
		if (client_flush(c) < 0)
			return;
	}
	if (events & (EL_READ | EL_ERROR))
		client_read(c);
}

static void on_flush_timer(struct event_loop *el, void *ud)
{
	struct debug_port *dp = ud;
	struct dp_client *next;

	for (struct dp_client *c = dp->clients; c; c = next) {
		next = c->next;
		if (!c->writing)
			(void)client_flush(c);
	}
}

static void flush_soon(struct debug_port *dp)
{
	if (!el_timer_active(&dp->flush_timer))
		el_timer_start(dp->el, &dp->flush_timer, 0, on_flush_timer, dp);
}

/*
 * The log sink: only queues, never touches a socket, so it cannot block and cannot fail in a way
 * that would itself log. A line arriving while the sink runs counts as dropped instead of recursing.
 */
static void dp_sink(const char *line, size_t len, void *ud)
{
	struct debug_port *dp = ud;

	if (dp->in_sink) {
		for (struct dp_client *c = dp->clients; c; c = c->next)
			c->dropped++;
		return;
	}
	dp->in_sink = true;
	for (struct dp_client *c = dp->clients; c; c = c->next) {
		if (!queue_drop_marker(c) || !queue_line(c, line, len))
			c->dropped++;
	}
	if (dp->clients)
		flush_soon(dp);
	dp->in_sink = false;
}

static void client_open(struct debug_port *dp, int fd, const struct sockaddr_in *sa)
{
	char ip[INET_ADDRSTRLEN], banner[128];
	struct dp_client *c = calloc(1, sizeof *c);

	inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof ip);
	if (!c) {
		log_error("debug port: out of memory for the connection from %s:%u", ip, ntohs(sa->sin_port));
		close(fd);
		return;
	}
	c->dp = dp;
	c->fd = fd;
	snprintf(c->peer, sizeof c->peer, "%s:%u", ip, ntohs(sa->sin_port));
	if (el_fd_add(dp->el, fd, EL_READ, on_client, c) < 0) {
		log_error("debug port: cannot take the connection from %s: %s", c->peer, strerror(errno));
		free(c);
		close(fd);
		return;
	}
	int n = snprintf(banner, sizeof banner, "%s debug log, debug pattern 0x%08x", PACKAGE_STRING,
			 log_debug_pattern());
	if (n > 0 && (size_t)n < sizeof banner)
		(void)queue_line(c, banner, (size_t)n);
	c->next = dp->clients;
	if (dp->clients)
		dp->clients->prev = c;
	dp->clients = c;
	dp->n_clients++;
	flush_soon(dp);
	log_info("accepted debug connection from %s", c->peer);
}

/* ---- listeners ---- */

static void listeners_set(struct debug_port *dp, unsigned events)
{
	for (size_t i = 0; i < dp->n_listen; i++) {
		if (el_fd_modify(dp->el, dp->listen_fds[i], events) < 0)
			log_error("debug port: cannot %s listener: %s", events ? "resume" : "pause", strerror(errno));
	}
}

static void on_accept_timer(struct event_loop *el, void *ud)
{
	listeners_set(ud, EL_READ);
}

static void refuse(struct debug_port *dp, int fd, const struct sockaddr_in *sa)
{
	static const char msg[] = "siproxd: too many debug clients\n";
	char ip[INET_ADDRSTRLEN];

	(void)send(fd, msg, sizeof msg - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
	inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof ip);
	log_warn("refused debug connection from %s:%u: already %d clients", ip, ntohs(sa->sin_port),
		 dp->max_clients);
}

static void on_listener(struct event_loop *el, int fd, unsigned events, void *ud)
{
	struct debug_port *dp = ud;

	for (int round = 0; round < DP_IO_ROUNDS; round++) {
		struct sockaddr_in sa;
		socklen_t sl = sizeof sa;
		int cfd = accept4(fd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			log_warn("debug port: accept failed, pausing for %u ms: %s", DP_ACCEPT_PAUSE_MS,
				 strerror(errno));
			listeners_set(dp, 0);
			el_timer_start(el, &dp->accept_timer, DP_ACCEPT_PAUSE_MS, on_accept_timer, dp);
			return;
		}
		if (dp->n_clients >= dp->max_clients)
			refuse(dp, cfd, &sa);
		else
			client_open(dp, cfd, &sa);
	}
}

/* Binds one listener; *port 0 is replaced by the port the kernel chose. Returns the fd or -1. */
static int listener_open(struct debug_port *dp, struct in_addr addr, uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = addr, .sin_port = htons(*port) };
	socklen_t sl = sizeof sa;
	char ip[INET_ADDRSTRLEN];
	int one = 1;

	inet_ntop(AF_INET, &addr, ip, sizeof ip);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0 ||
	    el_fd_add(dp->el, fd, EL_READ, on_listener, dp) < 0) {
		log_error("debug port: cannot listen on %s:%u: %s", ip, *port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

struct debug_port *debug_port_create(struct event_loop *el, const struct in_addr *addrs, size_t n_addrs,
				     uint16_t port, int max_clients, size_t queue_bytes)
{
	struct in_addr any = { .s_addr = htonl(INADDR_ANY) };
	struct debug_port *dp = calloc(1, sizeof *dp);

	if (n_addrs == 0) {
		addrs = &any;
		n_addrs = 1;
	}
	if (dp)
		dp->listen_fds = calloc(n_addrs, sizeof *dp->listen_fds);
	if (!dp || !dp->listen_fds) {
		log_error("debug port: out of memory");
		free(dp);
		return NULL;
	}
	dp->el = el;
	dp->max_clients = max_clients > 0 ? max_clients : DEBUG_PORT_DEFAULT_CLIENTS;
	dp->queue_bytes = queue_bytes ? queue_bytes : DEBUG_PORT_DEFAULT_QUEUE;
	dp->port = port;
	for (size_t i = 0; i < n_addrs; i++) {
		int fd = listener_open(dp, addrs[i], &dp->port);
		if (fd < 0) {
			debug_port_destroy(dp);
			return NULL;
		}
		dp->listen_fds[dp->n_listen++] = fd;
	}
	log_set_sink(dp_sink, dp);
	dp->sink_installed = true;
	return dp;
}

void debug_port_destroy(struct debug_port *dp)
{
	if (!dp)
		return;
	if (dp->sink_installed)
		log_set_sink(NULL, NULL);
	el_timer_stop(dp->el, &dp->flush_timer);
	el_timer_stop(dp->el, &dp->accept_timer);
	while (dp->clients) {
		/* Whatever the socket takes now; waiting is not an option at shutdown. */
		(void)client_send(dp->clients);
		client_free(dp->clients);
	}
	for (size_t i = 0; i < dp->n_listen; i++) {
		el_fd_del(dp->el, dp->listen_fds[i]);
		close(dp->listen_fds[i]);
	}
	free(dp->listen_fds);
	free(dp);
}

uint16_t debug_port_bound_port(const struct debug_port *dp)
{
	return dp->port;
}

size_t debug_port_client_count(const struct debug_port *dp)
{
	return (size_t)dp->n_clients;
}
