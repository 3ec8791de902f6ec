/* Header rewriting: Contact, Request-URI, Record-Route/Route, Max-Forwards, User-Agent, credentials, Call-ID and SDP origin hiding. */
#ifndef SIPROXD_SIP_REWRITE_H
#define SIPROXD_SIP_REWRITE_H

#include <stdbool.h>

#include "sip_ticket.h"

/* RFC 3261 §16.4: our own topmost Route goes; a strict router's R-URI pointing at us is restored. */
void siprw_route_preprocess(struct sip_pipeline *p, struct sip_ticket *t);
/* RFC 3261 §16.6 step 3: decrement, or add 70. */
int siprw_max_forwards(osip_message_t *m);
/* Our Record-Route, toward the LAN: at the top of requests, at the end of responses. */
int siprw_record_route_add(struct sip_pipeline *p, struct sip_ticket *t, bool top);
/* Toward the WAN nobody needs to see us in the route set: our entries go. */
void siprw_record_route_purge(struct sip_pipeline *p, struct sip_ticket *t);
/* ua_string: replaces User-Agent or adds it. */
int siprw_user_agent(struct sip_pipeline *p, struct sip_ticket *t);
/* Every Contact of a message from a phone gets its public form (the binding's masq_url). */
int siprw_contact_masquerade(struct sip_pipeline *p, struct sip_ticket *t);
/* Our own realm's Proxy-Authorization stays here: the next hop has no business with it. */
void siprw_strip_credentials(struct sip_pipeline *p, struct sip_ticket *t);
/*
 * A request from the WAN whose Request-URI user is a seal of ours (an unregistered phone's Contact
 * user that named a LAN address): the user as the phone wrote it. Returns 0, or -1 (no memory).
 */
int siprw_request_uri_open(struct sip_pipeline *p, struct sip_ticket *t);
/* Replaces the Request-URI. */
int siprw_request_uri(osip_message_t *m, const char *uri);
/* Replaces the URI of a Contact. */
int siprw_contact_uri(osip_contact_t *c, const char *uri);
/*
 * From and To naming the proxy's LAN address (registrar mode: sip:alice@10.0.0.1) name its public
 * address toward the WAN, and the LAN address again on the way back. Tags identify dialogs, so
 * the URIs may differ between the sides.
 */
void siprw_self_uris(struct sip_pipeline *p, struct sip_ticket *t, bool toward_wan);
/*
 * Toward the WAN: the sender's own address and our inbound address, where they still stand as a
 * whole token in From/To (not of a REGISTER: that is the AoR the registrar keys on) or in a header
 * the other steps do not handle (P-Asserted-Identity, Refer-To, Call-Info, ...), become the public
 * address. Returns 0, or -1 when out of memory.
 */
int siprw_hide_lan_addrs(struct sip_pipeline *p, struct sip_ticket *t);
/* The public address in SDP o= lines of messages toward the WAN; c=/m= are the RTP relay's. */
int siprw_sdp_origin(struct sip_pipeline *p, struct sip_ticket *t);

#endif
