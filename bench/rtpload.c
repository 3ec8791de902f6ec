/* RTP load tool: N calls through the relay (in a child process), 50 packets/s each way; loss, latency, CPU, RSS. */
#include "build_config.h"

#include "config.h"
#include "event_loop.h"
#include "log.h"
#include "rtp_relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PKT_LEN 172              /* 12 bytes RTP header + 160 bytes G.711 (20 ms) */
#define PKT_INTERVAL_MS 20
#define GROUPS 4                 /* the calls are sent in 4 groups, 5 ms apart, not in one burst */
#define BATCH 64
#define PORT_BASE 20000

struct load {
	struct event_loop *el;
	unsigned ncalls;
	uint16_t *relay_port;
	int fd[2];                   /* the generator's LAN and WAN sockets */
	uint16_t gen_port[2];
	struct el_timer tick;
	unsigned group;
	uint32_t seq;
	uint64_t end_ms;
	uint64_t sent[2], recvd[2];  /* by the side the packet was sent from */
	uint32_t *lat_us;            /* latency samples */
	size_t nlat, caplat;
};

struct relay_report {
	double cpu_s;
	uint64_t relayed;
	long maxrss_kb;
	long rss_kb;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long vm_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb;
}

static int gen_socket(const char *addr, uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int big = 8 << 20;
	inet_pton(AF_INET, addr, &sa.sin_addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("generator socket");
		exit(1);
	}
	/* SO_RCVBUFFORCE needs root; the plain option is the fallback */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	socklen_t len = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* ---- the relay process ---- */

static void on_term(struct event_loop *el, int signo, void *ud) { el_stop(el); }

static void run_relay(unsigned ncalls, const uint16_t gen_port[2], int report_fd)
{
	struct config cfg;
	struct rtp_relay_addrs addrs;
	memset(&cfg, 0, sizeof(cfg));
	cfg.rtp_port_low = PORT_BASE;
	cfg.rtp_port_high = PORT_BASE + 2 * (int)ncalls + 19;   /* some spare for ports in use */
	inet_pton(AF_INET, "127.0.0.1", &addrs.inbound);
	inet_pton(AF_INET, "127.0.0.2", &addrs.outbound);
	addrs.public_addr = addrs.outbound;
	struct event_loop *el = el_create();
	struct rtp_relay *r = rtp_relay_create(el, &cfg, &addrs);
	if (el == NULL || r == NULL || el_signal_add(el, SIGTERM, on_term, NULL) < 0) {
		perror("relay");
		exit(1);
	}
	uint16_t *ports = calloc(ncalls, sizeof(*ports));
	for (unsigned i = 0; i < ncalls; i++) {
		char cid[32];
		struct rtp_media m = { .enabled = true, .rtp_port = gen_port[0] };
		uint16_t p;
		snprintf(cid, sizeof(cid), "bench-%u", i);
		inet_pton(AF_INET, "127.0.0.10", &m.addr);
		if (rtp_relay_sdp(r, cid, "leg", RTP_SIDE_LAN, &m, 1, &p) < 0) {
			perror("rtp_relay_sdp");
			exit(1);
		}
		m.rtp_port = gen_port[1];
		inet_pton(AF_INET, "127.0.0.20", &m.addr);
		rtp_relay_sdp(r, cid, "leg", RTP_SIDE_WAN, &m, 1, &ports[i]);
	}
	if (write(report_fd, ports, ncalls * sizeof(*ports)) != (ssize_t)(ncalls * sizeof(*ports)))
		exit(1);
	struct rusage ru0, ru1;
	getrusage(RUSAGE_SELF, &ru0);
	el_run(el);
	getrusage(RUSAGE_SELF, &ru1);

	struct relay_report rep = { 0 };
	rep.cpu_s = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
		(double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
	for (unsigned i = 0; i < ncalls; i++) {
		char cid[32];
		struct rtp_session_info info;
		snprintf(cid, sizeof(cid), "bench-%u", i);
		if (rtp_relay_session_info(r, cid, "leg", 0, &info) == 0)
			rep.relayed += info.from[0].relayed + info.from[1].relayed;
	}
	rep.maxrss_kb = ru1.ru_maxrss;
	rep.rss_kb = vm_rss_kb();
	if (write(report_fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		exit(1);
	log_set_stderr(false);     /* the per-session teardown lines are not the report */
	rtp_relay_destroy(r);
	el_destroy(el);
	free(ports);
	exit(0);
}

/* ---- the generator ---- */

static void send_group(struct load *L)
{
	static struct mmsghdr msg[BATCH];
	static struct iovec iov[BATCH];
	static struct sockaddr_in dst[BATCH];
	static unsigned char pkt[BATCH][PKT_LEN];
	const char *relay_addr[2] = { "127.0.0.1", "127.0.0.2" };

	for (int side = 0; side < 2; side++) {
		unsigned n = 0;
		for (unsigned c = L->group; c < L->ncalls; c += GROUPS) {
			unsigned char *p = pkt[n];
			uint64_t t = mono_ns();
			memset(p, 0, PKT_LEN);
			p[0] = 0x80;
			memcpy(p + 2, &L->seq, sizeof(L->seq));
			memcpy(p + 12, &t, sizeof(t));
			memcpy(p + 20, &c, sizeof(c));
			iov[n] = (struct iovec){ .iov_base = p, .iov_len = PKT_LEN };
			dst[n] = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(L->relay_port[c]) };
			inet_pton(AF_INET, relay_addr[side], &dst[n].sin_addr);
			memset(&msg[n], 0, sizeof(msg[n]));
			msg[n].msg_hdr.msg_name = &dst[n];
			msg[n].msg_hdr.msg_namelen = sizeof(dst[n]);
			msg[n].msg_hdr.msg_iov = &iov[n];
			msg[n].msg_hdr.msg_iovlen = 1;
			n++;
			if (n == BATCH || c + GROUPS >= L->ncalls) {
				unsigned off = 0;
				while (off < n) {
					int s = sendmmsg(L->fd[side], msg + off, n - off, 0);
					if (s < 0) {
						if (errno == EAGAIN || errno == ENOBUFS)
							break;   /* counted as lost: the generator could not keep up */
						perror("sendmmsg");
						exit(1);
					}
					off += (unsigned)s;
				}
				L->sent[side] += off;
				n = 0;
			}
		}
	}
}

static void on_tick(struct event_loop *el, void *ud)
{
	struct load *L = ud;
	if (el_now_ms(el) >= L->end_ms) {
		el_stop(el);
		return;
	}
	send_group(L);
	L->group = (L->group + 1) % GROUPS;
	if (L->group == 0)
		L->seq++;
	el_timer_start(el, &L->tick, PKT_INTERVAL_MS / GROUPS, on_tick, L);
}

static void on_recv(struct event_loop *el, int fd, unsigned events, void *ud)
{
	struct load *L = ud;
	static struct mmsghdr msg[BATCH];
	static struct iovec iov[BATCH];
	static unsigned char buf[BATCH][256];
	/* what arrives on the WAN socket was sent from the LAN side, and the other way round */
	int from = fd == L->fd[1] ? 0 : 1;

	for (int round = 0; round < 8; round++) {
		for (unsigned i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ .iov_base = buf[i], .iov_len = sizeof(buf[i]) };
			memset(&msg[i], 0, sizeof(msg[i]));
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
		}
		int n = recvmmsg(fd, msg, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		uint64_t now = mono_ns();
		for (int i = 0; i < n; i++) {
			uint64_t t;
			if (msg[i].msg_len != PKT_LEN)
				continue;
			memcpy(&t, buf[i] + 12, sizeof(t));
			L->recvd[from]++;
			if (L->nlat < L->caplat)
				L->lat_us[L->nlat++] = (uint32_t)((now - t) / 1000);
		}
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	unsigned ncalls = argc > 1 ? (unsigned)atoi(argv[1]) : 100;
	unsigned secs = argc > 2 ? (unsigned)atoi(argv[2]) : 10;
	struct load L = { .ncalls = ncalls };
	int pipefd[2];

	if (ncalls == 0 || ncalls > 15000 || secs == 0) {
		fprintf(stderr, "usage: rtpload [calls (1..15000)] [seconds]\n");
		return 2;
	}
	log_set_silence(4);
	L.fd[0] = gen_socket("127.0.0.10", &L.gen_port[0]);
	L.fd[1] = gen_socket("127.0.0.20", &L.gen_port[1]);
	if (pipe(pipefd) < 0)
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		close(L.fd[0]);
		close(L.fd[1]);
		run_relay(ncalls, L.gen_port, pipefd[1]);
	}
	close(pipefd[1]);
	L.relay_port = calloc(ncalls, sizeof(*L.relay_port));
	if (read(pipefd[0], L.relay_port, ncalls * sizeof(*L.relay_port)) != (ssize_t)(ncalls * sizeof(*L.relay_port))) {
		fprintf(stderr, "relay did not start\n");
		return 1;
	}
	L.caplat = (size_t)ncalls * 2 * (1000 / PKT_INTERVAL_MS) * secs + 1024;
	L.lat_us = malloc(L.caplat * sizeof(*L.lat_us));
	L.el = el_create();
	el_fd_add(L.el, L.fd[0], EL_READ, on_recv, &L);
	el_fd_add(L.el, L.fd[1], EL_READ, on_recv, &L);
	el_run_once(L.el, 0);
	L.end_ms = el_now_ms(L.el) + 1000ull * secs;
	el_timer_start(L.el, &L.tick, 0, on_tick, &L);
	el_run(L.el);
	/* late packets: give the relay 200 ms to drain */
	uint64_t drain = el_now_ms(L.el) + 200;
	while (el_now_ms(L.el) < drain)
		el_run_once(L.el, 10);

	kill(pid, SIGTERM);
	struct relay_report rep;
	if (read(pipefd[0], &rep, sizeof(rep)) != (ssize_t)sizeof(rep)) {
		fprintf(stderr, "no report from the relay\n");
		return 1;
	}
	waitpid(pid, NULL, 0);

	qsort(L.lat_us, L.nlat, sizeof(*L.lat_us), cmp_u32);
	uint32_t p50 = L.nlat ? L.lat_us[L.nlat / 2] : 0, p99 = L.nlat ? L.lat_us[L.nlat * 99 / 100] : 0;
	printf("calls %u, %u s, %u packets/s per direction per call, %d-byte packets\n",
		ncalls, secs, 1000 / PKT_INTERVAL_MS, PKT_LEN);
	for (int side = 0; side < 2; side++)
		printf("%s->%s: sent %llu received %llu loss %.3f%%\n", side ? "wan" : "lan", side ? "lan" : "wan",
			(unsigned long long)L.sent[side], (unsigned long long)L.recvd[side],
			L.sent[side] ? 100.0 * (double)(L.sent[side] - L.recvd[side]) / (double)L.sent[side] : 0.0);
	printf("latency p50 %u us, p99 %u us (generator -> relay -> generator, loopback)\n", p50, p99);
	printf("relay: %llu packets relayed, CPU %.3f s = %.2f us per packet, %.1f%% of one core\n",
		(unsigned long long)rep.relayed, rep.cpu_s,
		rep.relayed ? rep.cpu_s * 1e6 / (double)rep.relayed : 0.0, 100.0 * rep.cpu_s / secs);
	printf("relay: RSS %ld kB (max %ld kB)\n", rep.rss_kb, rep.maxrss_kb);
	free(L.lat_us);
	free(L.relay_port);
	el_destroy(L.el);
	return 0;
}
