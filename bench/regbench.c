/* REGISTER load generator and trivial registrar for measuring siproxd's cost per relayed REGISTER (libc only). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * regbench registrar ADDR PORT SECONDS
 *   answers every REGISTER with 200 OK (Vias, From, To with a tag, Call-ID, CSeq echoed; the
 *   Contact with its lifetime), for at most SECONDS.
 * regbench client PROXY PORT DOMAIN LOCAL_FIRST NADDR LPORT PHONES WINDOW SECONDS [PID]
 *   PHONES phones on NADDR consecutive local addresses from LOCAL_FIRST (one socket on LPORT each),
 *   AoR sip:pN@DOMAIN, Contact sip:pN@addr:LPORT. Registers every phone once, then re-registers them
 *   round robin for SECONDS with WINDOW transactions in flight. With PID, reads that process's
 *   utime+stime from /proc/PID/stat around the steady phase and prints the CPU per transaction.
 */

#define MSG_MAX 4096
#define RETRY_MS 2000           /* a transaction unanswered this long is counted lost and sent anew */
#define EXPIRES_S 3600

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int udp_socket(struct in_addr addr, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = addr };
	int buf = 4 << 20;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "regbench: bind %s:%u: %s\n", inet_ntoa(addr), port, strerror(errno));
		exit(2);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	return fd;
}

/* Is line (up to its CRLF) the header name (or its compact form)? Returns the value or NULL. */
static const char *header_value(const char *line, const char *name, char compact)
{
	size_t n = strlen(name);
	const char *v = NULL;

	if (strncasecmp(line, name, n) == 0)
		v = line + n;
	else if (compact && (line[0] == compact || line[0] == (compact ^ 0x20)) && (line[1] == ':' || line[1] == ' '))
		v = line + 1;
	if (!v)
		return NULL;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v != ':')
		return NULL;
	for (v++; *v == ' ' || *v == '\t'; v++)
		;
	return v;
}

static size_t line_len(const char *s)
{
	const char *e = strstr(s, "\r\n");

	return e ? (size_t)(e - s) : strlen(s);
}

/* Appends printf output to out[*len]; returns -1 when it does not fit. */
static int append(char *out, size_t size, size_t *len, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int append(char *out, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *len)
		return -1;
	*len += (size_t)n;
	return 0;
}

/* The 200 OK for one REGISTER; returns its length or 0 when the request is not one we answer. */
static size_t registrar_answer(char *req, char *out, size_t size)
{
	size_t len = 0;
	long expires = EXPIRES_S;
	const char *contact = NULL, *v;
	size_t contact_len = 0;
	int ok = 0;

	if (strncmp(req, "REGISTER ", 9) != 0)
		return 0;
	if (append(out, size, &len, "SIP/2.0 200 OK\r\n") != 0)
		return 0;
	for (char *l = strstr(req, "\r\n"); l && l[2] != '\r' && l[2] != '\0'; l = strstr(l + 2, "\r\n")) {
		char *line = l + 2;
		size_t n = line_len(line);

		if (header_value(line, "Via", 'v') || header_value(line, "From", 'f') ||
		    header_value(line, "Call-ID", 'i') || header_value(line, "CSeq", 0)) {
			ok += header_value(line, "Call-ID", 'i') != NULL;
			if (append(out, size, &len, "%.*s\r\n", (int)n, line) != 0)
				return 0;
		} else if (header_value(line, "To", 't')) {
			if (append(out, size, &len, "%.*s;tag=regbench\r\n", (int)n, line) != 0)
				return 0;
		} else if ((v = header_value(line, "Contact", 'm')) != NULL) {
			contact = v;
			contact_len = n - (size_t)(v - line);
		} else if ((v = header_value(line, "Expires", 0)) != NULL) {
			expires = strtol(v, NULL, 10);
		}
	}
	if (!ok)
		return 0;
	if (contact) {
		const char *e = strstr(contact, "expires=");

		if (e && e < contact + contact_len)
			expires = strtol(e + 8, NULL, 10);
		if (e && e < contact + contact_len) {
			if (append(out, size, &len, "Contact: %.*s\r\n", (int)contact_len, contact) != 0)
				return 0;
		} else if (append(out, size, &len, "Contact: %.*s;expires=%ld\r\n", (int)contact_len, contact,
				  expires) != 0) {
			return 0;
		}
	}
	if (append(out, size, &len, "Content-Length: 0\r\n\r\n") != 0)
		return 0;
	return len;
}

static int run_registrar(struct in_addr addr, uint16_t port, int seconds)
{
	int fd = udp_socket(addr, port);
	int64_t end = now_ms() + (int64_t)seconds * 1000;
	char req[MSG_MAX + 1], resp[MSG_MAX];
	unsigned long answered = 0;

	while (!stop_flag && now_ms() < end) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n;
		size_t rl;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		while ((n = recvfrom(fd, req, MSG_MAX, 0, (struct sockaddr *)&from, &fl)) > 0) {
			req[n] = '\0';
			rl = registrar_answer(req, resp, sizeof(resp));
			if (rl && sendto(fd, resp, rl, 0, (struct sockaddr *)&from, fl) == (ssize_t)rl)
				answered++;
			fl = sizeof(from);
		}
	}
	fprintf(stderr, "regbench registrar: %lu REGISTERs answered\n", answered);
	close(fd);
	return 0;
}

struct client {
	struct sockaddr_in proxy;
	const char *domain;
	int *fds;
	struct in_addr *addrs;
	unsigned naddr;
	uint16_t lport;
	unsigned phones;
	unsigned window;
	uint32_t *cseq;          /* per phone: the CSeq in flight (0 = none) */
	int64_t *sent;           /* per phone: when it was sent */
	unsigned next;           /* round robin */
	unsigned long done, errors, lost;
};

static void client_send(struct client *c, unsigned i)
{
	char msg[MSG_MAX], a[INET_ADDRSTRLEN];
	unsigned k = i % c->naddr;
	uint32_t cs = ++c->cseq[i] ? c->cseq[i] : ++c->cseq[i];
	int n;

	inet_ntop(AF_INET, &c->addrs[k], a, sizeof(a));
	n = snprintf(msg, sizeof(msg),
		     "REGISTER sip:%s SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK-rb%u-%u;rport\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <sip:p%u@%s>;tag=t%u\r\n"
		     "To: <sip:p%u@%s>\r\n"
		     "Call-ID: rb%u@%s\r\n"
		     "CSeq: %u REGISTER\r\n"
		     "Contact: <sip:p%u@%s:%u>\r\n"
		     "Expires: %d\r\n"
		     "Content-Length: 0\r\n\r\n",
		     c->domain, a, c->lport, i, cs, i, c->domain, i, i, c->domain, i, a, cs, i, a, c->lport, EXPIRES_S);
	c->sent[i] = now_ms();
	sendto(c->fds[k], msg, (size_t)n, 0, (struct sockaddr *)&c->proxy, sizeof(c->proxy));
}

/* A response: returns the phone index whose transaction it ends, or -1. */
static long client_response(struct client *c, char *buf)
{
	unsigned long idx, cs;
	const char *cid = NULL, *cseq = NULL;
	int status;

	if (sscanf(buf, "SIP/2.0 %d", &status) != 1 || status < 200)
		return -1;
	for (char *l = strstr(buf, "\r\n"); l && l[2] != '\r' && l[2] != '\0'; l = strstr(l + 2, "\r\n")) {
		const char *v;

		if ((v = header_value(l + 2, "Call-ID", 'i')) != NULL)
			cid = v;
		else if ((v = header_value(l + 2, "CSeq", 0)) != NULL)
			cseq = v;
	}
	/* "rbN@..." or, hidden and restored by the proxy, the same. */
	if (!cid || !cseq || sscanf(cid, "rb%lu", &idx) != 1 || idx >= c->phones)
		return -1;
	cs = strtoul(cseq, NULL, 10);
	if (c->sent[idx] == 0 || cs != c->cseq[idx])
		return -1;
	c->sent[idx] = 0;
	if (status >= 300)
		c->errors++;
	else
		c->done++;
	return (long)idx;
}

/* Runs until `until` passes or (first pass) every phone has been answered once. */
static void client_phase(struct client *c, int64_t until, bool once)
{
	unsigned inflight = 0, started = 0;
	unsigned long done0 = c->done + c->errors;
	int64_t last_scan = now_ms();
	char buf[MSG_MAX + 1];
	struct pollfd *pf = calloc(c->naddr, sizeof(*pf));

	for (unsigned k = 0; k < c->naddr; k++)
		pf[k] = (struct pollfd){ .fd = c->fds[k], .events = POLLIN };
	while (!stop_flag && now_ms() < until) {
		while (inflight < c->window && (!once || started < c->phones)) {
			unsigned i = c->next;

			c->next = (c->next + 1) % c->phones;
			if (c->sent[i])
				continue;
			client_send(c, i);
			inflight++;
			started++;
		}
		if (once && c->done + c->errors - done0 >= c->phones)
			break;
		if (poll(pf, c->naddr, 50) < 0 && errno != EINTR)
			break;
		for (unsigned k = 0; k < c->naddr; k++) {
			ssize_t n;

			if (!(pf[k].revents & POLLIN))
				continue;
			while ((n = recv(c->fds[k], buf, MSG_MAX, 0)) > 0) {
				buf[n] = '\0';
				if (client_response(c, buf) >= 0)
					inflight--;
			}
		}
		if (now_ms() - last_scan >= 200) {
			/* Lost ones: O(phones) but five times a second at most. */
			int64_t t = now_ms();

			last_scan = t;
			for (unsigned i = 0; i < c->phones; i++)
				if (c->sent[i] && t - c->sent[i] > RETRY_MS) {
					c->lost++;
					client_send(c, i);
				}
		}
	}
	free(pf);
}

static long proc_cpu_ticks(long pid)
{
	char path[64], buf[2048], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');   /* the command name may hold spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

static int run_client(char **av, int ac)
{
	struct client c = { 0 };
	struct in_addr first;
	int seconds;
	long pid = ac > 10 ? strtol(av[10], NULL, 10) : 0, t0 = -1, t1 = -1;
	int64_t start, end;

	c.proxy.sin_family = AF_INET;
	if (!inet_aton(av[1], &c.proxy.sin_addr) || !inet_aton(av[4], &first))
		return 2;
	c.proxy.sin_port = htons((uint16_t)atoi(av[2]));
	c.domain = av[3];
	c.naddr = (unsigned)atoi(av[5]);
	c.lport = (uint16_t)atoi(av[6]);
	c.phones = (unsigned)atoi(av[7]);
	c.window = (unsigned)atoi(av[8]);
	seconds = atoi(av[9]);
	if (c.naddr == 0 || c.phones == 0 || c.window == 0 || seconds <= 0)
		return 2;
	if (c.window > c.phones)
		c.window = c.phones;
	c.fds = calloc(c.naddr, sizeof(*c.fds));
	c.addrs = calloc(c.naddr, sizeof(*c.addrs));
	c.cseq = calloc(c.phones, sizeof(*c.cseq));
	c.sent = calloc(c.phones, sizeof(*c.sent));
	if (!c.fds || !c.addrs || !c.cseq || !c.sent)
		return 2;
	for (unsigned k = 0; k < c.naddr; k++) {
		c.addrs[k].s_addr = htonl(ntohl(first.s_addr) + k);
		c.fds[k] = udp_socket(c.addrs[k], c.lport);
	}

	start = now_ms();
	client_phase(&c, start + 300 * 1000, true);
	printf("preregister: %u phones, %lu ok, %lu errors, %lu lost, %.1f s\n", c.phones, c.done, c.errors, c.lost,
	       (double)(now_ms() - start) / 1000);
	c.done = c.errors = c.lost = 0;

	if (pid)
		t0 = proc_cpu_ticks(pid);
	start = now_ms();
	client_phase(&c, start + (int64_t)seconds * 1000, false);
	end = now_ms();
	if (pid)
		t1 = proc_cpu_ticks(pid);
	{
		double s = (double)(end - start) / 1000;
		double hz = (double)sysconf(_SC_CLK_TCK);

		printf("steady: phones=%u window=%u %.1f s: %lu ok, %lu errors, %lu lost, %.0f REGISTER/s", c.phones,
		       c.window, s, c.done, c.errors, c.lost, (double)c.done / s);
		if (t0 >= 0 && t1 >= 0 && c.done)
			printf(", cpu of pid %ld: %.2f s = %.1f us/REGISTER", pid, (double)(t1 - t0) / hz,
			       (double)(t1 - t0) / hz * 1e6 / (double)c.done);
		printf("\n");
	}
	for (unsigned k = 0; k < c.naddr; k++)
		close(c.fds[k]);
	free(c.fds);
	free(c.addrs);
	free(c.cseq);
	free(c.sent);
	return 0;
}

int main(int argc, char **argv)
{
	struct in_addr a;

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (argc == 5 && strcmp(argv[1], "registrar") == 0 && inet_aton(argv[2], &a))
		return run_registrar(a, (uint16_t)atoi(argv[3]), atoi(argv[4]));
	if ((argc == 11 || argc == 12) && strcmp(argv[1], "client") == 0)
		return run_client(argv + 1, argc - 1);
	fprintf(stderr, "usage: regbench registrar ADDR PORT SECONDS\n"
			"       regbench client PROXY PORT DOMAIN LOCAL_FIRST NADDR LPORT PHONES WINDOW SECONDS [PID]\n");
	return 2;
}
