/* The pipeline's shared types: its state and the ticket one message carries through the steps. */
#ifndef SIPROXD_SIP_TICKET_H
#define SIPROXD_SIP_TICKET_H

#include <osipparser2/osip_message.h>
#include <stdbool.h>
#include <stdint.h>

#include "sip_pipeline.h"

struct via_stash;

enum sip_dir {
	SIP_DIR_OUTGOING,   /* from a phone on the LAN toward the WAN */
	SIP_DIR_INCOMING,   /* from the WAN toward a phone */
};

/* What a step decided. */
enum sip_verdict {
	SIP_RELAY,          /* go on: route and send the (rewritten) message */
	SIP_DONE,           /* answered locally or dropped (and logged) */
};

struct sip_pipeline {
	struct sip_pipeline_ctx ctx;
	struct via_stash *stash;
	size_t dns_waiting;
	struct dns_wait *waits;      /* lookups in flight, to cancel on destroy */
	struct tcp_wait *tcp_waits;  /* ring of max_tcp_waiting requests sent over TCP */
	size_t tcp_next;             /* where the search for a free slot starts */
	/* ctx.inbound and ctx.public_addr as text, kept with them: our Vias and Contacts need them per message. */
	char inbound_str[INET_ADDRSTRLEN], public_str[INET_ADDRSTRLEN];
	unsigned char seal_key[16];     /* keys the Call-ID token and the seal (sip_seal.c); drawn at its first use */
	bool seal_key_set;
};

struct sip_ticket {
	const char *raw;
	size_t raw_len;
	struct sip_peer from;
	osip_message_t *msg;
	enum sip_dir dir;
	bool from_wan;               /* arrived from the WAN side (fixed by the classification) */
	unsigned acl;                /* ACL_ALLOW_* of the source */
	bool callid_cut;             /* obscure_loops: the marker was cut on the way to the phone */
	bool our_route;              /* obscure_loops: the request carried our Route (a dialog's) */
	int64_t now;
	char call_id[128];           /* for log lines */
	char media_call_id[128];     /* the relay's key (the phone's Call-ID) once it saw the message; "" before */

	/* next hop */
	char hop_host[256];
	uint16_t hop_port;
	enum sip_proto hop_proto;
	struct sip_peer to;          /* filled when hop_host is a literal address or resolved */
	bool hop_known;              /* to is complete (no DNS needed) */
	bool hop_lan;                /* the next hop is a phone */
};

int64_t sip_now(const struct sip_pipeline *p);
void sip_random(const struct sip_pipeline *p, void *buf, size_t len);
/* Is this host:port one of our own addresses with the listen port? */
bool sip_is_me(const struct sip_pipeline *p, const char *host, const char *port);
/* Our address as seen by the side a message goes to: inbound toward the LAN, public toward the WAN. */
struct in_addr sip_seen_addr(const struct sip_pipeline *p, bool toward_wan);
/* The same as text. */
const char *sip_seen_addr_str(const struct sip_pipeline *p, bool toward_wan);
/* Text form of an address for log lines and headers. */
const char *sip_ip_str(struct in_addr a, char *buf, size_t size);

#endif
