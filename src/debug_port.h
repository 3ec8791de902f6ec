/* The TCP debug-log listener: every log line goes to each connected client, never blocking the daemon. */
#ifndef SIPROXD_DEBUG_PORT_H
#define SIPROXD_DEBUG_PORT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct event_loop;
struct debug_port;

#define DEBUG_PORT_DEFAULT_CLIENTS 4
#define DEBUG_PORT_DEFAULT_QUEUE   (256u * 1024u)

/*
 * Listens on port at each of addrs (n_addrs 0: every interface; port 0: an ephemeral port, the
 * same for every address) and installs itself as the log sink. max_clients <= 0 and
 * queue_bytes 0 (the per-client backlog) take the defaults above. Returns NULL with the error logged.
 */
struct debug_port *debug_port_create(struct event_loop *el, const struct in_addr *addrs, size_t n_addrs,
				     uint16_t port, int max_clients, size_t queue_bytes);
/* Removes the log sink, sends what it can without waiting, closes every client and listener. */
void debug_port_destroy(struct debug_port *dp);

/* The port the listeners are bound to (tells the tests which ephemeral port they got). */
uint16_t debug_port_bound_port(const struct debug_port *dp);
size_t debug_port_client_count(const struct debug_port *dp);

#endif
