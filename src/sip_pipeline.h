/* The SIP message path: raw checks, parse, checks, direction, REGISTER / request / response handling, next hop, send. */
#ifndef SIPROXD_SIP_PIPELINE_H
#define SIPROXD_SIP_PIPELINE_H

#include <netinet/in.h>
#include <osipparser2/osip_message.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_transport.h"

struct config;
struct registrar;
struct dns;
struct digest_auth;
struct event_loop;
struct sip_pipeline;

/* One message crossing between the LAN and the WAN, as the RTP relay needs to see it. */
struct sip_media_msg {
	osip_message_t *msg;
	const char *call_id;     /* as the phone knows it (Call-ID hiding undone): the same both ways */
	const char *leg;         /* the phone's IP address: a hairpin call passes twice, once per phone */
	bool from_wan;           /* the side it came from; its body goes to the other side */
};

/* Everything the pipeline talks to; main fills it from the running daemon, tests with fakes. */
struct sip_pipeline_ctx {
	const struct config *cfg;
	struct registrar *reg;
	struct dns *dns;               /* NULL: next hops that are names fail (503) */
	struct digest_auth *auth;      /* NULL when proxy_auth_realm is unset */
	struct event_loop *loop;       /* NULL: the clock comes from now() or time() */

	/*
	 * Sends one message, as sip_transport_send(): 0 when sent or queued, -1 when it failed at once;
	 * after 0, done (may be NULL) is called once with the outcome, at once when the message went
	 * out at once (not at all when the transport is destroyed first).
	 */
	int (*send)(void *ud, const struct sip_peer *to, const char *buf, size_t len, sip_sent_fn done,
		    void *done_ud);
	void *send_ud;

	struct in_addr inbound;        /* the LAN side address */
	struct in_addr outbound;       /* the WAN side address */
	struct in_addr public_addr;    /* host_outbound when set, else outbound: what the WAN sees */

	/*
	 * The RTP relay's part (NULL: none, media addresses pass unchanged). Called for every message
	 * that crosses between the sides, with a body or not (BYE, CANCEL and failures end media); it
	 * may replace the body. Returns 0, or the status to answer a request with (488 unusable SDP,
	 * 503 no relay ports, 500); such a response is dropped instead.
	 */
	int (*sdp_rewrite)(void *ud, const struct sip_media_msg *m);
	void *sdp_ud;

	/* Injectable for tests; NULL = getrandom() and the loop's wall clock. */
	void (*random)(void *ud, void *buf, size_t len);
	void *random_ud;
	int64_t (*now)(void *ud);
	void *now_ud;

	size_t max_transactions;       /* hidden Via stacks kept; 0 = 4 * max_registrations */
	size_t max_dns_waiting;        /* messages waiting for a DNS answer; 0 = 256 */
	size_t max_tcp_waiting;        /* TCP requests kept to answer a late send failure; 0 = 256 */
};

/* Copies ctx; initialises libosip2. Returns NULL on allocation failure. */
struct sip_pipeline *sip_pipeline_create(const struct sip_pipeline_ctx *ctx);
/* Cancels the DNS lookups still running. */
void sip_pipeline_destroy(struct sip_pipeline *p);

/* One complete message from the transport (matches sip_rx_fn with p as ud). */
void sip_pipeline_input(struct sip_pipeline *p, const char *buf, size_t len, const struct sip_peer *from);
void sip_pipeline_rx(void *p, const char *buf, size_t len, const struct sip_peer *from);

/* The addresses changed (an interface renumbered, host_outbound re-resolved). */
void sip_pipeline_set_addrs(struct sip_pipeline *p, struct in_addr inbound, struct in_addr outbound,
			    struct in_addr public_addr);

/* Once a second or so from main's timer: expired and never-confirmed bindings go. */
void sip_pipeline_tick(struct sip_pipeline *p);

/* Registration persistence for main: at start, on exit and on the autosave timer. */
int sip_pipeline_load_registrations(struct sip_pipeline *p);
int sip_pipeline_save_registrations(struct sip_pipeline *p);

#endif
