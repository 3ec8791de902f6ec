/* SIP over UDP and TCP: the listeners, TCP framing and connection table, and sending. */
#ifndef SIPROXD_SIP_TRANSPORT_H
#define SIPROXD_SIP_TRANSPORT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_loop;
struct config;
struct sip_transport;

enum sip_proto { SIP_PROTO_UDP = 0, SIP_PROTO_TCP = 1 };

/* Where a message came from or goes to. */
struct sip_peer {
	struct sockaddr_in addr;      /* remote address */
	struct in_addr local;         /* local address it arrived on (0 when unknown) */
	enum sip_proto proto;
	uint64_t conn_id;             /* TCP: the connection it arrived on, 0 = none/any */
};

/*
 * One complete SIP message (a datagram, or one Content-Length framed TCP message). buf[len] is
 * a NUL byte; buf is valid only during the call. The callback may send, but must not destroy
 * the transport.
 */
typedef void (*sip_rx_fn)(void *ud, const char *buf, size_t len, const struct sip_peer *from);
/* Outcome of a send that had to wait (TCP connect): status 0 sent, -1 failed (errno-like in err). */
typedef void (*sip_sent_fn)(void *ud, int status, int err);

/* Queued messages still waiting at destroy are dropped without calling their done callbacks. */
struct sip_transport *sip_transport_create(struct event_loop *el, const struct config *cfg,
					   sip_rx_fn rx, void *rx_ud);
void sip_transport_destroy(struct sip_transport *t);

/*
 * Binds UDP and TCP on each address (never 0.0.0.0) at port; an address already listened on is
 * skipped. Returns 0 or -1 (logged). Port 0 picks one free port for all of them (tests), and a
 * later call with port 0 joins it; sip_transport_bound_port() tells which.
 */
int sip_transport_listen(struct sip_transport *t, const struct in_addr *addrs, size_t n, uint16_t port);
uint16_t sip_transport_bound_port(const struct sip_transport *t);

/*
 * An interface lost addr (a PPP reconnect, a new DHCP lease): closes the UDP and TCP listeners
 * on it. TCP connections accepted on it stay until the peer closes them, a send fails or
 * tcp_timeout ends them: a renumbered interface cannot carry them anyway, and an address that
 * is still there keeps serving its established connections. Returns 0, or -1 with errno ENOENT
 * when nothing listened on addr.
 */
int sip_transport_unlisten(struct sip_transport *t, struct in_addr addr);
/* Whether SIP listens on addr. */
bool sip_transport_listening(const struct sip_transport *t, struct in_addr addr);

/*
 * Sends one message. UDP: sent at once from the listener bound to `to->local` (or the first one).
 * TCP: on `to->conn_id` when it is still open, else on an open connection to to->addr, else a new
 * non-blocking connect; the message waits in a bounded queue meanwhile. Returns 0 when sent or
 * queued, -1 when it failed at once. After 0, done (may be NULL) is called exactly once with the
 * outcome: before the return when the message went out at once, later for a queued one (except
 * at destroy, see above), so its caller can own state until done. After -1 it is not called.
 */
int sip_transport_send(struct sip_transport *t, const struct sip_peer *to, const char *buf, size_t len,
		       sip_sent_fn done, void *done_ud);

size_t sip_transport_tcp_count(const struct sip_transport *t);

#endif
