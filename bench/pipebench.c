/* REGISTER cost of the SIP pipeline alone, without sockets: user CPU per relayed REGISTER (request plus 200 OK) at a given table size. */
/*
 *   bench/pipebench PHONES SECONDS
 *
 * One process: a pipeline with a real registrar (max_registrations PHONES + 10,000) whose send
 * hook keeps the last message instead of sending it. PHONES phones on 100 LAN addresses register
 * through it with distinct AoRs and Contacts; the registrar's 200 OK is made from the relayed
 * request text (first line replaced, To tagged, Contact given its lifetime) and fed back from the
 * WAN side. Then the phones re-REGISTER round robin for SECONDS; the figure is the process's user
 * + system CPU (getrusage) over that phase per transaction. The kernel's share of the daemon (four
 * datagrams per transaction) is what bench/register.sh measures on top of this.
 */
#include "build_config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "config.h"
#include "registrar.h"
#include "sip_pipeline.h"

#define PB_LAN "10.77.1.1"
#define PB_WAN "198.51.100.1"
#define PB_REGISTRAR "198.51.100.2"
#define PB_MSG_MAX 4096

struct pb {
	char out[PB_MSG_MAX];      /* the last message the pipeline sent */
	size_t out_len;
	struct sip_peer out_to;
	unsigned long sent;
};

static int pb_send(void *ud, const struct sip_peer *to, const char *buf, size_t len, sip_sent_fn done,
		   void *done_ud)
{
	struct pb *b = ud;

	(void)done;
	(void)done_ud;
	if (len >= sizeof(b->out))
		return -1;
	memcpy(b->out, buf, len);
	b->out[len] = '\0';
	b->out_len = len;
	b->out_to = *to;
	b->sent++;
	return 0;
}

static int64_t pb_now(void *ud)
{
	(void)ud;
	return (int64_t)time(NULL);
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

/* The registrar's 200 OK for the relayed REGISTER in req; its length, 0 when req is not one. */
static size_t pb_answer(const char *req, char *out, size_t size)
{
	const char *line = strstr(req, "\r\n");
	size_t len = 0;
	int n = snprintf(out, size, "SIP/2.0 200 OK\r\n");

	if (strncmp(req, "REGISTER ", 9) != 0 || !line || n < 0)
		return 0;
	len = (size_t)n;
	for (line += 2; *line && strncmp(line, "\r\n", 2) != 0;) {
		const char *end = strstr(line, "\r\n");
		const char *extra = "";
		size_t l;

		if (!end)
			return 0;
		l = (size_t)(end - line);
		if (strncasecmp(line, "To:", 3) == 0)
			extra = ";tag=pb";
		else if (strncasecmp(line, "Contact:", 8) == 0)
			extra = ";expires=3600";
		n = snprintf(out + len, size - len, "%.*s%s\r\n", (int)l, line, extra);
		if (n < 0 || (size_t)n >= size - len)
			return 0;
		len += (size_t)n;
		line = end + 2;
	}
	n = snprintf(out + len, size - len, "\r\n");
	return n < 0 || (size_t)n >= size - len ? 0 : len + (size_t)n;
}

/* One transaction: phone i's REGISTER in, the relayed one answered, the 200 OK back out. 0 when both went. */
static int pb_register(struct pb *b, struct sip_pipeline *p, unsigned i, unsigned cseq, struct in_addr wan)
{
	char msg[PB_MSG_MAX], ans[PB_MSG_MAX], ip[INET_ADDRSTRLEN];
	struct sip_peer from = { .proto = SIP_PROTO_UDP };
	unsigned long before = b->sent;
	size_t alen;
	int n;

	snprintf(ip, sizeof(ip), "10.77.1.%u", 10 + i % 100);
	n = snprintf(msg, sizeof(msg),
		     "REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:5070;branch=z9hG4bK-pb%u-%u;rport\r\n"
		     "Max-Forwards: 70\r\nFrom: <sip:p%u@%s>;tag=t%u\r\nTo: <sip:p%u@%s>\r\n"
		     "Call-ID: pb%u@%s\r\nCSeq: %u REGISTER\r\nContact: <sip:p%u@%s:5070>\r\n"
		     "Expires: 3600\r\nContent-Length: 0\r\n\r\n",
		     PB_REGISTRAR, ip, i, cseq, i, PB_REGISTRAR, i, i, PB_REGISTRAR, i, ip, cseq, i, ip);
	from.addr.sin_family = AF_INET;
	from.addr.sin_port = htons(5070);
	inet_pton(AF_INET, ip, &from.addr.sin_addr);
	inet_pton(AF_INET, PB_LAN, &from.local);
	sip_pipeline_input(p, msg, (size_t)n, &from);
	if (b->sent != before + 1 || (alen = pb_answer(b->out, ans, sizeof(ans))) == 0)
		return -1;
	from.addr = b->out_to.addr;
	from.local = wan;
	sip_pipeline_input(p, ans, alen, &from);
	return b->sent == before + 2 && strncmp(b->out, "SIP/2.0 200", 11) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct pb b = { .sent = 0 };
	struct config cfg;
	struct sip_pipeline_ctx ctx = { 0 };
	struct sip_pipeline *p;
	unsigned phones = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 10000, cseq = 1, done = 0;
	double seconds = argc > 2 ? strtod(argv[2], NULL) : 5, t0, t1;
	time_t end;

	if (phones == 0) {
		fprintf(stderr, "usage: %s PHONES SECONDS\n", argv[0]);
		return 2;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.default_expires = 3600;
	cfg.max_registrations = (int)phones + 10000;
	cfg.sip_listen_port = 5060;
	ctx.cfg = &cfg;
	ctx.reg = reg_create((size_t)cfg.max_registrations);
	ctx.send = pb_send;
	ctx.send_ud = &b;
	ctx.now = pb_now;
	inet_pton(AF_INET, PB_LAN, &ctx.inbound);
	inet_pton(AF_INET, PB_WAN, &ctx.outbound);
	ctx.public_addr = ctx.outbound;
	p = ctx.reg ? sip_pipeline_create(&ctx) : NULL;
	if (!p) {
		fprintf(stderr, "pipebench: out of memory\n");
		return 1;
	}
	for (unsigned i = 0; i < phones; i++)
		if (pb_register(&b, p, i, cseq, ctx.outbound) != 0) {
			fprintf(stderr, "pipebench: phone %u did not register\n", i);
			return 1;
		}
	end = time(NULL) + (time_t)seconds;
	t0 = cpu_s();
	while (time(NULL) < end) {
		/* A batch between clock reads: time() is cheap, but not free. */
		for (unsigned k = 0; k < 1000; k++, done++) {
			if (done % phones == 0)
				cseq++;
			if (pb_register(&b, p, done % phones, cseq, ctx.outbound) != 0) {
				fprintf(stderr, "pipebench: REGISTER %u failed\n", done);
				return 1;
			}
		}
	}
	t1 = cpu_s();
	printf("pipebench: %u phones, %u REGISTERs in %.1f s: %.2f us CPU per REGISTER (request + response)\n",
	       phones, done, t1 - t0, (t1 - t0) * 1e6 / done);
	sip_pipeline_destroy(p);
	reg_destroy(ctx.reg);
	return 0;
}
