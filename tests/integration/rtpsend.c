/* Test tool: sends N RTP packets from a local address:port to a destination and counts the packets it receives meanwhile. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * rtpsend LOCAL_IP LOCAL_PORT DEST_IP DEST_PORT COUNT [INTERVAL_MS [LINGER_MS]]
 * COUNT 0 only listens. Prints "sent S received R from ADDR:PORT" (the first sender seen, or
 * "-") and exits 0; any setup error exits 2.
 */
static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int addr_parse(const char *ip, const char *port, struct sockaddr_in *sa)
{
	char *end;
	long p = strtol(port, &end, 10);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (*end || p < 0 || p > 65535 || inet_pton(AF_INET, ip, &sa->sin_addr) != 1)
		return -1;
	sa->sin_port = htons((uint16_t)p);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in local, dest, first = { 0 };
	long count, interval = 20, linger = 500;
	unsigned char pkt[172];
	unsigned long sent = 0, received = 0;
	uint64_t next, end;
	int fd;

	if (argc < 6 || addr_parse(argv[1], argv[2], &local) != 0 || addr_parse(argv[3], argv[4], &dest) != 0) {
		fprintf(stderr, "usage: rtpsend LOCAL_IP LOCAL_PORT DEST_IP DEST_PORT COUNT [INTERVAL_MS [LINGER_MS]]\n");
		return 2;
	}
	count = atol(argv[5]);
	if (argc > 6)
		interval = atol(argv[6]);
	if (argc > 7)
		linger = atol(argv[7]);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local)) != 0) {
		fprintf(stderr, "rtpsend: bind %s:%s: %s\n", argv[1], argv[2], strerror(errno));
		return 2;
	}
	/* RTP version 2, PCMU, a fixed SSRC; sequence and timestamp advance per packet. */
	memset(pkt, 0xff, sizeof(pkt));
	pkt[0] = 0x80;
	pkt[1] = 0;
	memcpy(pkt + 8, "\x12\x34\x56\x78", 4);
	next = now_ms();
	end = next + (uint64_t)(count * interval) + (uint64_t)linger;
	for (;;) {
		uint64_t t = now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int wait;

		if ((long)sent < count && t >= next) {
			uint32_t ts = htonl((uint32_t)sent * 160u);
			uint16_t seq = htons((uint16_t)sent);

			memcpy(pkt + 2, &seq, 2);
			memcpy(pkt + 4, &ts, 4);
			/* a refused send (ICMP from a closed port) still counts as sent: the relay dropped it */
			if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&dest, sizeof(dest)) != (ssize_t)sizeof(pkt))
				fprintf(stderr, "rtpsend: sendto: %s\n", strerror(errno));
			sent++;
			next += (uint64_t)interval;
			continue;
		}
		if (t >= end)
			break;
		wait = (int)(((long)sent < count ? next : end) - t);
		if (poll(&pfd, 1, wait) > 0) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			unsigned char buf[2048];

			if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl) > 0) {
				if (received++ == 0)
					first = from;
			}
		}
	}
	if (received) {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &first.sin_addr, a, sizeof(a));
		printf("sent %lu received %lu from %s:%u\n", sent, received, a, ntohs(first.sin_port));
	} else {
		printf("sent %lu received 0 from -\n", sent);
	}
	close(fd);
	return 0;
}
