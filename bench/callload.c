/* Call load tool: N calls set up through the real daemon over SIP, G.711-sized RTP both ways; loss, latency, daemon CPU and RSS. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * One process plays both sides: it opens its LAN sockets inside the phone namespace and its WAN
 * sockets inside the peer namespace (a socket keeps the namespace it was made in), so one clock
 * and one loop measure both directions. Every call is one INVITE from the LAN through the daemon
 * to the WAN, answered 200 with SDP, ACKed, streamed, and ended by a BYE.
 */

#define PKT_LEN 172              /* 12 bytes RTP header + 160 bytes G.711 (20 ms) */
#define PKT_INTERVAL_MS 20
#define BATCH 64
#define SIP_MAX 4096
#define SIP_WINDOW 64            /* transactions in flight while setting up / tearing down */
#define HIST_US 10               /* latency histogram bucket */
#define HIST_N 200000            /* 2 s */
#define SKIP_AFTER_MS 60         /* a generator further behind skips slots */

enum { LAN = 0, WAN = 1 };
enum call_state { C_IDLE, C_INVITING, C_UP, C_BYEING, C_DONE, C_FAILED };

struct call {
	enum call_state st;
	int tries;
	uint64_t sent_ns;                /* of the last INVITE / BYE */
	uint16_t relay_port[2];          /* the daemon's RTP port on each side */
	uint32_t seq;
	uint32_t got[2];                 /* RTP packets received on each side */
	char contact[256];               /* the 200's Contact URI (the request target of ACK, BYE) */
	char routes[512];                /* Route lines for in-dialog requests */
};

struct side {
	struct in_addr ip;               /* our address on this side */
	struct in_addr relay_ip;         /* the daemon's address on this side */
	int sip_fd;
	int *rtp_fd;
	uint16_t *rtp_port;
	uint64_t sent, recvd, misrouted;
	uint32_t *hist;                  /* latency of packets received on this side */
	uint64_t over;                   /* beyond the histogram */
};

struct load {
	unsigned ncalls, nsock, seconds;
	int pid;                         /* the daemon */
	struct call *c;
	struct side s[2];
	int epfd;
	uint64_t t0;
	char tag[32];
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void enter_netns(const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		die("cannot enter network namespace %s: %s", name, strerror(errno));
	close(fd);
}

static int udp_socket(struct in_addr ip, uint16_t port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = ip, .sin_port = htons(port) };
	int big = 4 << 20;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind %s:%u: %s", inet_ntoa(ip), port, strerror(errno));
	/* SO_RCVBUFFORCE needs root, which entering a namespace needed anyway */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	return fd;
}

/* ---- /proc ---- */

/* The daemon's user + system CPU time in seconds; *sys_s gets the system part. */
static double proc_cpu_s(int pid, double *sys_s)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15 */
	char *p = strrchr(buf, ')');
	unsigned long long ut = 0, st = 0;
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	*sys_s = (double)st / (double)sysconf(_SC_CLK_TCK);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long proc_rss_kb(int pid)
{
	char path[64], line[256];
	long kb = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb;
}

/* ---- SIP ---- */

/* The value of the first header `name` (or its compact form) in msg, copied to out. */
static bool sip_header(const char *msg, const char *name, char compact, char *out, size_t cap)
{
	size_t nl = strlen(name);
	for (const char *l = strstr(msg, "\r\n"); l != NULL && l[2] != '\r'; l = strstr(l + 2, "\r\n")) {
		const char *h = l + 2, *v = NULL;
		if (strncasecmp(h, name, nl) == 0 && (h[nl] == ':' || h[nl] == ' '))
			v = h + nl;
		else if (compact != 0 && (h[0] | 0x20) == compact && (h[1] == ':' || h[1] == ' '))
			v = h + 1;
		if (v == NULL)
			continue;
		while (*v == ' ' || *v == ':')
			v++;
		size_t len = strcspn(v, "\r\n");
		if (len >= cap)
			len = cap - 1;
		memcpy(out, v, len);
		out[len] = '\0';
		return true;
	}
	return false;
}

/* Appends every line of msg's header section whose header is `name` (or compact) to out. */
static size_t sip_copy_headers(const char *msg, const char *name, char compact, char *out, size_t cap, size_t off)
{
	size_t nl = strlen(name);
	for (const char *l = strstr(msg, "\r\n"); l != NULL && l[2] != '\r'; l = strstr(l + 2, "\r\n")) {
		const char *h = l + 2;
		if (!((strncasecmp(h, name, nl) == 0 && (h[nl] == ':' || h[nl] == ' ')) ||
		      (compact != 0 && (h[0] | 0x20) == compact && (h[1] == ':' || h[1] == ' '))))
			continue;
		size_t len = strcspn(h, "\r\n");
		if (off + len + 3 > cap)
			break;
		memcpy(out + off, h, len);
		memcpy(out + off + len, "\r\n", 3);
		off += len + 2;
	}
	return off;
}

/* The RTP port and address of the first m=audio line of an SDP body. */
static bool sdp_media(const char *msg, uint16_t *port, struct in_addr *addr)
{
	const char *body = strstr(msg, "\r\n\r\n");
	if (body == NULL)
		return false;
	const char *c = strstr(body, "\nc=IN IP4 "), *m = strstr(body, "\nm=audio ");
	unsigned p;
	char ip[32];
	if (c == NULL || m == NULL || sscanf(m, "\nm=audio %u", &p) != 1 || p == 0 || p > 65535 ||
	    sscanf(c, "\nc=IN IP4 %31[0-9.]", ip) != 1 || inet_pton(AF_INET, ip, addr) != 1)
		return false;
	*port = (uint16_t)p;
	return true;
}

static long call_index(const struct load *L, const char *msg)
{
	char cid[128];
	unsigned idx;
	char tag[32];
	if (!sip_header(msg, "Call-ID", 'i', cid, sizeof(cid)) || sscanf(cid, "cl%u-%31[^@]", &idx, tag) != 2 ||
	    strcmp(tag, L->tag) != 0 || idx >= L->ncalls)
		return -1;
	return idx;
}

static void sip_send(struct side *s, const struct sockaddr_in *to, const char *msg, size_t len)
{
	if (sendto(s->sip_fd, msg, len, 0, (const struct sockaddr *)to, sizeof(*to)) < 0)
		fprintf(stderr, "callload: SIP send: %s\n", strerror(errno));
}

static struct sockaddr_in proxy_addr(const struct load *L)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = L->s[LAN].relay_ip, .sin_port = htons(5060) };
	return sa;
}

static void send_invite(struct load *L, unsigned i)
{
	char sdp[256], msg[SIP_MAX];
	struct side *lan = &L->s[LAN], *wan = &L->s[WAN];
	char lip[16], wip[16];
	inet_ntop(AF_INET, &lan->ip, lip, sizeof(lip));
	inet_ntop(AF_INET, &wan->ip, wip, sizeof(wip));
	int sl = snprintf(sdp, sizeof(sdp), "v=0\r\no=phone%u 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
		"m=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n", i, lip, lip, lan->rtp_port[i % L->nsock]);
	int ml = snprintf(msg, sizeof(msg), "INVITE sip:bob%u@%s:5060 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-inv-%u-%s\r\nMax-Forwards: 70\r\n"
		"From: <sip:phone%u@example.com>;tag=f%u\r\nTo: <sip:bob%u@%s>\r\n"
		"Call-ID: cl%u-%s@bench\r\nCSeq: 1 INVITE\r\nContact: <sip:phone%u@%s:5060>\r\n"
		"Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
		i, wip, lip, i, L->tag, i, i, i, wip, i, L->tag, i, lip, sl, sdp);
	struct sockaddr_in to = proxy_addr(L);
	sip_send(lan, &to, msg, (size_t)ml);
	L->c[i].sent_ns = now_ns();
}

/* ACK (CSeq 1) or BYE (CSeq 2) within the dialog of call i, through the outbound proxy. */
static void send_in_dialog(struct load *L, unsigned i, const char *method, unsigned cseq)
{
	struct call *c = &L->c[i];
	struct side *lan = &L->s[LAN];
	char msg[SIP_MAX], lip[16], wip[16];
	inet_ntop(AF_INET, &lan->ip, lip, sizeof(lip));
	inet_ntop(AF_INET, &L->s[WAN].ip, wip, sizeof(wip));
	int ml = snprintf(msg, sizeof(msg), "%s %s SIP/2.0\r\n"
		"Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-%s-%u-%s\r\nMax-Forwards: 70\r\n%s"
		"From: <sip:phone%u@example.com>;tag=f%u\r\nTo: <sip:bob%u@%s>;tag=t%u\r\n"
		"Call-ID: cl%u-%s@bench\r\nCSeq: %u %s\r\nContact: <sip:phone%u@%s:5060>\r\nContent-Length: 0\r\n\r\n",
		method, c->contact, lip, method, i, L->tag, c->routes, i, i, i, wip, i, i, L->tag, cseq, method, i, lip);
	struct sockaddr_in to = proxy_addr(L);
	sip_send(lan, &to, msg, (size_t)ml);
	c->sent_ns = now_ns();
}

/* The peer answers a request: 200 with the request's Via, Record-Route, From, To (+tag), Call-ID, CSeq. */
static void wan_answer(struct load *L, unsigned i, const char *req, const struct sockaddr_in *from, bool with_sdp)
{
	struct side *wan = &L->s[WAN];
	char msg[SIP_MAX], to[256], wip[16];
	size_t off = 0;
	inet_ntop(AF_INET, &wan->ip, wip, sizeof(wip));
	off += (size_t)snprintf(msg, sizeof(msg), "SIP/2.0 200 OK\r\n");
	off = sip_copy_headers(req, "Via", 'v', msg, sizeof(msg), off);
	if (with_sdp)
		off = sip_copy_headers(req, "Record-Route", 0, msg, sizeof(msg), off);
	off = sip_copy_headers(req, "From", 'f', msg, sizeof(msg), off);
	off = sip_copy_headers(req, "Call-ID", 'i', msg, sizeof(msg), off);
	off = sip_copy_headers(req, "CSeq", 0, msg, sizeof(msg), off);
	if (!sip_header(req, "To", 't', to, sizeof(to)))
		return;
	char sdp[256] = "";
	int sl = 0;
	if (with_sdp)
		sl = snprintf(sdp, sizeof(sdp), "v=0\r\no=bob%u 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
			"m=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n", i, wip, wip, wan->rtp_port[i % L->nsock]);
	char tag[32] = "";
	if (strstr(to, "tag=") == NULL)
		snprintf(tag, sizeof(tag), ";tag=t%u", i);
	off += (size_t)snprintf(msg + off, sizeof(msg) - off, "To: %s%s\r\nContact: <sip:bob%u@%s:5060>\r\n"
		"%sContent-Length: %d\r\n\r\n%s", to, tag, i, wip,
		with_sdp ? "Content-Type: application/sdp\r\n" : "", sl, sdp);
	if (off >= sizeof(msg))
		return;
	sip_send(wan, from, msg, off);
}

static void on_wan_sip(struct load *L, const char *msg, const struct sockaddr_in *from)
{
	long i = call_index(L, msg);
	if (i < 0)
		return;
	struct call *c = &L->c[i];
	if (strncmp(msg, "INVITE ", 7) == 0) {
		struct in_addr a;
		if (sdp_media(msg, &c->relay_port[WAN], &a))
			L->s[WAN].relay_ip = a;
		wan_answer(L, (unsigned)i, msg, from, true);
	} else if (strncmp(msg, "BYE ", 4) == 0) {
		wan_answer(L, (unsigned)i, msg, from, false);
	}
	/* ACK needs nothing */
}

/* Route lines for in-dialog requests: the 200's Record-Route entries in reverse order. */
static void make_routes(struct call *c, const char *msg)
{
	char rr[8][256];
	int n = 0;
	for (const char *l = strstr(msg, "\r\n"); l != NULL && l[2] != '\r' && n < 8; l = strstr(l + 2, "\r\n")) {
		const char *h = l + 2;
		if (strncasecmp(h, "Record-Route:", 13) != 0)
			continue;
		h += 13;
		while (*h == ' ')
			h++;
		size_t len = strcspn(h, "\r\n");
		if (len >= sizeof(rr[n]))
			len = sizeof(rr[n]) - 1;
		memcpy(rr[n], h, len);
		rr[n++][len] = '\0';
	}
	size_t off = 0;
	c->routes[0] = '\0';
	for (int k = n - 1; k >= 0; k--) {
		int w = snprintf(c->routes + off, sizeof(c->routes) - off, "Route: %s\r\n", rr[k]);
		if (w < 0 || (size_t)w >= sizeof(c->routes) - off)
			break;
		off += (size_t)w;
	}
}

static void on_lan_sip(struct load *L, const char *msg)
{
	long i = call_index(L, msg);
	unsigned code;
	char cseq[64];
	if (i < 0 || sscanf(msg, "SIP/2.0 %u", &code) != 1 || !sip_header(msg, "CSeq", 0, cseq, sizeof(cseq)))
		return;
	struct call *c = &L->c[i];
	if (code < 200)
		return;
	if (strstr(cseq, "INVITE") != NULL) {
		if (c->st != C_INVITING && c->st != C_UP)
			return;
		if (code >= 300) {
			fprintf(stderr, "callload: call %ld: INVITE answered %u\n", i, code);
			c->st = C_FAILED;
			return;
		}
		struct in_addr a;
		char contact[256];
		if (!sdp_media(msg, &c->relay_port[LAN], &a) || !sip_header(msg, "Contact", 'm', contact, sizeof(contact))) {
			c->st = C_FAILED;
			return;
		}
		L->s[LAN].relay_ip = a;
		char *lt = strchr(contact, '<'), *gt = lt ? strchr(lt, '>') : NULL;
		if (lt != NULL && gt != NULL)
			snprintf(c->contact, sizeof(c->contact), "%.*s", (int)(gt - lt - 1), lt + 1);
		else
			snprintf(c->contact, sizeof(c->contact), "%s", contact);
		make_routes(c, msg);
		send_in_dialog(L, (unsigned)i, "ACK", 1);   /* again for a retransmitted 200 */
		c->st = C_UP;
	} else if (strstr(cseq, "BYE") != NULL && c->st == C_BYEING) {
		c->st = code < 300 ? C_DONE : C_FAILED;
	}
}

static void sip_drain(struct load *L, int timeout_ms)
{
	struct pollfd pfd[2] = { { L->s[LAN].sip_fd, POLLIN, 0 }, { L->s[WAN].sip_fd, POLLIN, 0 } };
	if (poll(pfd, 2, timeout_ms) <= 0)
		return;
	for (int side = 0; side < 2; side++) {
		for (;;) {
			char msg[SIP_MAX + 1];
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(L->s[side].sip_fd, msg, SIP_MAX, 0, (struct sockaddr *)&from, &fl);
			if (n <= 0)
				break;
			msg[n] = '\0';
			if (side == WAN)
				on_wan_sip(L, msg, &from);
			else
				on_lan_sip(L, msg);
		}
	}
}

/*
 * Moves every call from state `from` to `to` by sending `what` (INVITE or BYE), at most
 * SIP_WINDOW in flight, retransmitting after 1 s, giving up after 4 tries. Returns the count
 * that reached `done`.
 */
static unsigned sip_phase(struct load *L, enum call_state from, enum call_state mid, enum call_state done,
	void (*send)(struct load *, unsigned), unsigned limit_s)
{
	uint64_t end = now_ns() + (uint64_t)limit_s * 1000000000u;
	unsigned next = 0;
	for (;;) {
		unsigned inflight = 0, ok = 0, pending = 0;
		uint64_t t = now_ns();
		for (unsigned i = 0; i < L->ncalls; i++) {
			struct call *c = &L->c[i];
			if (c->st == mid) {
				if (t - c->sent_ns > 1000000000u) {
					if (++c->tries >= 4) {
						c->st = C_FAILED;
						continue;
					}
					send(L, i);
				}
				inflight++;
			} else if (c->st == done) {
				ok++;
			}
		}
		while (next < L->ncalls && inflight < SIP_WINDOW) {
			struct call *c = &L->c[next++];
			if (c->st != from)
				continue;
			c->st = mid;
			c->tries = 0;
			send(L, (unsigned)(c - L->c));
			inflight++;
		}
		for (unsigned i = next; i < L->ncalls; i++)
			pending += L->c[i].st == from;
		if ((inflight == 0 && pending == 0) || now_ns() > end)
			return ok;
		sip_drain(L, 5);
	}
}

static void send_bye(struct load *L, unsigned i) { send_in_dialog(L, i, "BYE", 2); }

/* ---- RTP ---- */

struct rtp_payload {
	uint8_t hdr[12];
	uint32_t call;
	uint32_t seq;
	uint64_t t_ns;
};

struct batch {
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in to[BATCH];
	unsigned char pkt[BATCH][PKT_LEN];
	unsigned n;
};

static void batch_flush(struct side *s, int fd, struct batch *b)
{
	unsigned off = 0;
	while (off < b->n) {
		int k = sendmmsg(fd, b->m + off, b->n - off, 0);
		if (k < 0) {
			if (errno == EAGAIN || errno == ENOBUFS) {
				struct pollfd p = { fd, POLLOUT, 0 };
				poll(&p, 1, 1);
				continue;
			}
			off++;   /* refused: counted as sent, so it shows as loss */
			s->sent++;
			continue;
		}
		off += (unsigned)k;
		s->sent += (unsigned)k;
	}
	b->n = 0;
}

static void batch_add(struct side *s, int fd, struct batch *b, struct sockaddr_in to, uint32_t call, uint32_t seq,
	uint64_t t)
{
	unsigned j = b->n++;
	struct rtp_payload *p = (struct rtp_payload *)b->pkt[j];
	p->hdr[0] = 0x80;
	p->hdr[1] = 0;                   /* PCMU */
	p->hdr[2] = (uint8_t)(seq >> 8);
	p->hdr[3] = (uint8_t)seq;
	uint32_t ts = htonl(seq * 160), ssrc = htonl(call);
	memcpy(p->hdr + 4, &ts, 4);
	memcpy(p->hdr + 8, &ssrc, 4);
	p->call = call;
	p->seq = seq;
	p->t_ns = t;
	b->to[j] = to;
	b->iov[j].iov_base = b->pkt[j];
	b->iov[j].iov_len = PKT_LEN;
	memset(&b->m[j].msg_hdr, 0, sizeof(b->m[j].msg_hdr));
	b->m[j].msg_hdr.msg_name = &b->to[j];
	b->m[j].msg_hdr.msg_namelen = sizeof(b->to[j]);
	b->m[j].msg_hdr.msg_iov = &b->iov[j];
	b->m[j].msg_hdr.msg_iovlen = 1;
	if (b->n == BATCH)
		batch_flush(s, fd, b);
}

static struct {
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in from[BATCH];
	unsigned char pkt[BATCH][256];
} rx;

/* Reads everything waiting on socket k of side `side` (packets that crossed the relay towards it). */
static void rtp_receive(struct load *L, int side, unsigned k)
{
	struct side *s = &L->s[side];
	for (;;) {
		for (unsigned j = 0; j < BATCH; j++) {
			rx.iov[j].iov_base = rx.pkt[j];
			rx.iov[j].iov_len = sizeof(rx.pkt[j]);
			memset(&rx.m[j].msg_hdr, 0, sizeof(rx.m[j].msg_hdr));
			rx.m[j].msg_hdr.msg_name = &rx.from[j];
			rx.m[j].msg_hdr.msg_namelen = sizeof(rx.from[j]);
			rx.m[j].msg_hdr.msg_iov = &rx.iov[j];
			rx.m[j].msg_hdr.msg_iovlen = 1;
		}
		int n = recvmmsg(s->rtp_fd[k], rx.m, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		uint64_t t = now_ns();
		for (int j = 0; j < n; j++) {
			struct rtp_payload p;
			if (rx.m[j].msg_len != PKT_LEN)
				continue;
			memcpy(&p, rx.pkt[j], sizeof(p));
			if (p.call >= L->ncalls || ntohs(rx.from[j].sin_port) != L->c[p.call].relay_port[side]) {
				s->misrouted++;
				continue;
			}
			s->recvd++;
			L->c[p.call].got[side]++;
			uint64_t us = (t - p.t_ns) / 1000;
			if (us / HIST_US < HIST_N)
				s->hist[us / HIST_US]++;
			else
				s->over++;
		}
		if (n < BATCH)
			return;
	}
}

static void rtp_poll(struct load *L, int timeout_ms)
{
	struct epoll_event ev[64];
	int n = epoll_wait(L->epfd, ev, 64, timeout_ms);
	for (int j = 0; j < n; j++) {
		uint32_t id = ev[j].data.u32;
		rtp_receive(L, (int)(id >> 16), id & 0xffff);
	}
}

static double hist_pct(const struct side *s, double q)
{
	uint64_t total = s->over;
	for (unsigned b = 0; b < HIST_N; b++)
		total += s->hist[b];
	uint64_t want = (uint64_t)(q * (double)total), acc = 0;
	for (unsigned b = 0; b < HIST_N; b++) {
		acc += s->hist[b];
		if (acc > want)
			return (b * HIST_US + HIST_US / 2) / 1000.0;
	}
	return HIST_N * HIST_US / 1000.0;
}

/*
 * Streams seconds × 50 packets per call and direction: every millisecond the calls of one of 20
 * slots (call index mod 20) send, so the load is spread over the 20 ms packet interval.
 */
static uint64_t rtp_stream(struct load *L, double *behind_ms, uint64_t *skipped)
{
	static struct batch b[2];
	uint64_t start = now_ns(), slots = (uint64_t)L->seconds * 1000u, done = 0;
	*behind_ms = 0;
	*skipped = 0;
	while (done < slots) {
		uint64_t t = now_ns(), due = (t - start) / 1000000u + 1;
		if (due > slots)
			due = slots;
		if (due > done + 1 && (double)(due - done) > *behind_ms)
			*behind_ms = (double)(due - done);
		/*
		 * A generator that lost the CPU for a while skips what it missed rather than sending it
		 * in one burst: a phone does not send 100 ms of audio at once, and the burst would
		 * overflow the relay's socket buffers and show up as loss that real calls never cause.
		 */
		if (due > done + SKIP_AFTER_MS) {
			*skipped += due - 1 - done;
			done = due - 1;
		}
		for (; done < due; done++) {
			unsigned slot = (unsigned)(done % PKT_INTERVAL_MS);
			uint32_t seq = (uint32_t)(done / PKT_INTERVAL_MS);
			/* per socket k, every call i with i % 20 == slot and i % nsock == k */
			for (unsigned k = 0; k < L->nsock; k++) {
				for (unsigned i = slot; i < L->ncalls; i += PKT_INTERVAL_MS) {
					if (i % L->nsock != k || L->c[i].st != C_UP)
						continue;
					uint64_t ts = now_ns();
					for (int side = 0; side < 2; side++) {
						struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = L->s[side].relay_ip,
							.sin_port = htons(L->c[i].relay_port[side]) };
						batch_add(&L->s[side], L->s[side].rtp_fd[k], &b[side], to, i, seq, ts);
					}
				}
				for (int side = 0; side < 2; side++)
					batch_flush(&L->s[side], L->s[side].rtp_fd[k], &b[side]);
			}
		}
		uint64_t next = start + (done + 1) * 1000000u, t2 = now_ns();
		rtp_poll(L, t2 >= next ? 0 : (int)((next - t2) / 1000000u));
	}
	/* let the last packets in */
	uint64_t end = now_ns() + 300000000u;
	while (now_ns() < end)
		rtp_poll(L, 10);
	return done;
}

/* ---- main ---- */

static void usage(void)
{
	fprintf(stderr, "usage: callload LAN_NS WAN_NS DAEMON_PID CALLS SECONDS [SOCKETS]\n"
		"  The phone side is 10.77.1.2 (proxy 10.77.1.1:5060), the peer 198.51.100.2 (both as in\n"
		"  tests/integration/lib.sh); SOCKETS RTP sockets per side carry all calls (default 16).\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 6 || argc > 7)
		usage();
	struct load L = { 0 };
	L.pid = atoi(argv[3]);
	L.ncalls = (unsigned)atoi(argv[4]);
	L.seconds = (unsigned)atoi(argv[5]);
	L.nsock = argc > 6 ? (unsigned)atoi(argv[6]) : 16;
	if (L.pid <= 0 || L.ncalls == 0 || L.seconds == 0 || L.nsock == 0 || L.nsock > 1000)
		usage();
	snprintf(L.tag, sizeof(L.tag), "%d", (int)getpid());
	L.c = calloc(L.ncalls, sizeof(*L.c));
	inet_pton(AF_INET, "10.77.1.2", &L.s[LAN].ip);
	inet_pton(AF_INET, "10.77.1.1", &L.s[LAN].relay_ip);
	inet_pton(AF_INET, "198.51.100.2", &L.s[WAN].ip);
	inet_pton(AF_INET, "198.51.100.1", &L.s[WAN].relay_ip);
	L.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (L.c == NULL || L.epfd < 0)
		die("out of memory");
	const char *ns[2] = { argv[1], argv[2] };
	for (int side = 0; side < 2; side++) {
		struct side *s = &L.s[side];
		enter_netns(ns[side]);
		s->sip_fd = udp_socket(s->ip, 5060);
		s->rtp_fd = calloc(L.nsock, sizeof(int));
		s->rtp_port = calloc(L.nsock, sizeof(uint16_t));
		s->hist = calloc(HIST_N, sizeof(uint32_t));
		if (s->rtp_fd == NULL || s->rtp_port == NULL || s->hist == NULL)
			die("out of memory");
		for (unsigned k = 0; k < L.nsock; k++) {
			s->rtp_port[k] = (uint16_t)((side == LAN ? 20000 : 30000) + 2 * k);
			s->rtp_fd[k] = udp_socket(s->ip, s->rtp_port[k]);
			struct epoll_event ev = { .events = EPOLLIN, .data.u32 = ((uint32_t)side << 16) | k };
			if (epoll_ctl(L.epfd, EPOLL_CTL_ADD, s->rtp_fd[k], &ev) < 0)
				die("epoll_ctl: %s", strerror(errno));
		}
	}

	uint64_t t = now_ns();
	unsigned up = sip_phase(&L, C_IDLE, C_INVITING, C_UP, send_invite, 120);
	double setup_s = (double)(now_ns() - t) / 1e9;
	fprintf(stderr, "callload: %u of %u calls up in %.1f s\n", up, L.ncalls, setup_s);
	if (up == 0)
		die("no call came up");
	/* a moment for the last ACKs */
	sip_drain(&L, 200);

	long rss0 = proc_rss_kb(L.pid);
	double sys0, sys1, cpu0 = proc_cpu_s(L.pid, &sys0);
	struct rusage ru0, ru1;
	getrusage(RUSAGE_SELF, &ru0);
	uint64_t s0 = now_ns();
	double behind;
	uint64_t skipped;
	rtp_stream(&L, &behind, &skipped);
	double wall = (double)(now_ns() - s0) / 1e9;
	double cpu1 = proc_cpu_s(L.pid, &sys1);
	long rss1 = proc_rss_kb(L.pid);
	getrusage(RUSAGE_SELF, &ru1);

	unsigned closed = sip_phase(&L, C_UP, C_BYEING, C_DONE, send_bye, 60);

	uint64_t relayed = L.s[LAN].recvd + L.s[WAN].recvd;
	uint64_t nominal = (uint64_t)up * 50u * L.seconds;
	double gen_cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
		(double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
	double dcpu = cpu1 - cpu0;
	unsigned both = 0;
	for (unsigned i = 0; i < L.ncalls; i++)
		both += L.c[i].got[LAN] > 0 && L.c[i].got[WAN] > 0;
	/* LAN → WAN packets are sent on the LAN side and received on the WAN side */
	printf("calls %u (up %u, media both ways %u, closed %u, setup %.1f s)\n", L.ncalls, up, both, closed, setup_s);
	printf("sent lan->wan %llu wan->lan %llu (nominal %llu each; generator at most %.0f ms behind, "
		"skipped %llu of %u ms slots)\n", (unsigned long long)L.s[LAN].sent, (unsigned long long)L.s[WAN].sent,
		(unsigned long long)nominal, behind, (unsigned long long)skipped, L.seconds * 1000);
	printf("loss lan->wan %.4f %% wan->lan %.4f %% (misrouted %llu)\n",
		L.s[LAN].sent ? 100.0 * (double)(L.s[LAN].sent - L.s[WAN].recvd) / (double)L.s[LAN].sent : 0.0,
		L.s[WAN].sent ? 100.0 * (double)(L.s[WAN].sent - L.s[LAN].recvd) / (double)L.s[WAN].sent : 0.0,
		(unsigned long long)(L.s[LAN].misrouted + L.s[WAN].misrouted));
	printf("latency lan->wan p50 %.2f ms p99 %.2f ms; wan->lan p50 %.2f ms p99 %.2f ms\n",
		hist_pct(&L.s[WAN], 0.5), hist_pct(&L.s[WAN], 0.99), hist_pct(&L.s[LAN], 0.5), hist_pct(&L.s[LAN], 0.99));
	printf("daemon cpu %.2f s in %.1f s (%.1f %% of a core), %.2f us per relayed packet (%llu relayed)\n",
		dcpu, wall, 100.0 * dcpu / wall, relayed ? dcpu * 1e6 / (double)relayed : 0.0, (unsigned long long)relayed);
	printf("daemon cpu in the kernel %.1f %%\n", dcpu > 0 ? 100.0 * (sys1 - sys0) / dcpu : 0.0);
	printf("daemon rss %ld kB before streaming, %ld kB after\n", rss0, rss1);
	char la[64] = "?";
	FILE *lf = fopen("/proc/loadavg", "r");
	if (lf != NULL) {
		if (fgets(la, sizeof(la), lf) != NULL)
			la[strcspn(la, "\n")] = '\0';
		fclose(lf);
	}
	printf("machine load average (other work included): %s\n", la);
	printf("generator cpu %.2f s (%.1f %% of a core)\n", gen_cpu, 100.0 * gen_cpu / wall);
	printf("RESULT calls=%u up=%u both=%u loss_lw=%.4f loss_wl=%.4f p50_lw=%.2f p99_lw=%.2f p50_wl=%.2f p99_wl=%.2f "
		"cpu_us=%.2f cpu_pct=%.1f sys_pct=%.1f rss_kb=%ld sent=%llu nominal=%llu gen_pct=%.1f\n",
		L.ncalls, up, both,
		L.s[LAN].sent ? 100.0 * (double)(L.s[LAN].sent - L.s[WAN].recvd) / (double)L.s[LAN].sent : 0.0,
		L.s[WAN].sent ? 100.0 * (double)(L.s[WAN].sent - L.s[LAN].recvd) / (double)L.s[WAN].sent : 0.0,
		hist_pct(&L.s[WAN], 0.5), hist_pct(&L.s[WAN], 0.99), hist_pct(&L.s[LAN], 0.5), hist_pct(&L.s[LAN], 0.99),
		relayed ? dcpu * 1e6 / (double)relayed : 0.0, 100.0 * dcpu / wall,
		dcpu > 0 ? 100.0 * (sys1 - sys0) / dcpu : 0.0, rss1,
		(unsigned long long)(L.s[LAN].sent + L.s[WAN].sent), (unsigned long long)(2 * nominal), 100.0 * gen_cpu / wall);
	return up == L.ncalls ? 0 : 1;
}
