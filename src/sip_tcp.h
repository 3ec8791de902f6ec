/* Inside the SIP transport: the TCP half (listeners, connection table, sending) and shared socket helpers. */
#ifndef SIPROXD_SIP_TCP_H
#define SIPROXD_SIP_TCP_H

#include "sip_transport.h"

struct sip_tcp;

struct sip_tcp *sip_tcp_create(struct event_loop *el, const struct config *cfg, sip_rx_fn rx, void *rx_ud);
/* Closes every listener and connection; queued messages are dropped without their callbacks. */
void sip_tcp_destroy(struct sip_tcp *tcp);

/* Takes over a bound, listening, non-blocking socket. Returns 0, or -1 with errno. */
int sip_tcp_add_listener(struct sip_tcp *tcp, int fd, struct in_addr addr);
/* Closes the listener on addr; its accepted connections stay. Returns 0, or -1 (ENOENT). */
int sip_tcp_remove_listener(struct sip_tcp *tcp, struct in_addr addr);

/* See sip_transport_send(); to->proto is not looked at. */
int sip_tcp_send(struct sip_tcp *tcp, const struct sip_peer *to, const char *buf, size_t len,
		 sip_sent_fn done, void *done_ud);
size_t sip_tcp_count(const struct sip_tcp *tcp);

/* Sets the DSCP bits (0..63) on a socket; failures only logged at debug (a nicety, not a need). */
void sip_socket_set_dscp(int fd, int dscp);
/* "a.b.c.d:port" for log lines. */
const char *sip_addr_str(const struct sockaddr_in *a, char *buf, size_t len);
#define SIP_ADDR_STRLEN 24

#endif
