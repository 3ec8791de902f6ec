/* The next hop: phones by their binding, the WAN by Route, outbound proxies or the Request-URI, responses by Via; then sending, through DNS when needed. */
#ifndef SIPROXD_SIP_ROUTE_H
#define SIPROXD_SIP_ROUTE_H

#include <stdbool.h>

#include "sip_ticket.h"

struct reg_binding;

/* The binding an incoming request is for (by public contact, AoR, To, user), or NULL: 404. */
struct reg_binding *siproute_find_phone(struct sip_pipeline *p, const struct sip_ticket *t);
/* Next hop = where the phone registered from, on its transport (else its contact). 0 or -1. */
int siproute_to_phone(struct sip_pipeline *p, struct sip_ticket *t, const struct reg_binding *b);
/* Is the Request-URI the contact of a phone behind us? */
bool siproute_for_phone_contact(struct sip_pipeline *p, const struct sip_ticket *t);
/* Request toward the WAN: topmost Route, per-domain then global outbound proxy, Request-URI. */
int siproute_request(struct sip_pipeline *p, struct sip_ticket *t);
/* Response: the topmost Via, honouring received and rport. */
int siproute_response(struct sip_pipeline *p, struct sip_ticket *t);

/*
 * Serialises t->msg and sends it to the next hop, resolving a name first (the message waits,
 * bounded). A request that cannot be sent is answered 503; a response is dropped with a log line.
 */
void siproute_send(struct sip_pipeline *p, struct sip_ticket *t);
/*
 * The relay saw t (t->media_call_id set) but we answer it ourselves with code: the relay sees the
 * answer too, so the streams it opened end now. No-op when the relay did not see t.
 */
void siproute_media_void(struct sip_pipeline *p, const struct sip_ticket *t, int code);
/* Cancels lookups in flight (pipeline destruction). */
void siproute_cancel_all(struct sip_pipeline *p);

/* The ring of TCP requests whose sending may still fail (and then be answered 503). */
struct tcp_wait *siproute_tcp_waits_create(size_t n);
void siproute_tcp_waits_destroy(struct sip_pipeline *p);

#endif
