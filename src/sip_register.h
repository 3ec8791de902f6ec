/* REGISTER handling (RFC 3261 §10) on top of the registration table: registrar mode and outbound-proxy mode. */
#ifndef SIPROXD_SIP_REGISTER_H
#define SIPROXD_SIP_REGISTER_H

#include <stdbool.h>

#include "sip_ticket.h"

/* Is the REGISTER addressed to this proxy (its R-URI host:port is ours)? Then we are the registrar. */
bool sipreg_for_me(const struct sip_pipeline *p, const struct sip_ticket *t);

/*
 * Registrar mode: updates the table and answers (200 with the bindings, 407, 403, 400, 503).
 * Returns SIP_DONE.
 */
enum sip_verdict sipreg_registrar(struct sip_pipeline *p, struct sip_ticket *t);

/*
 * Outbound-proxy mode: each Contact becomes a pending binding and is masqueraded; Contact: *
 * removes the AoR's bindings. SIP_RELAY, or SIP_DONE when it was answered (503 table full, 400).
 */
enum sip_verdict sipreg_outbound(struct sip_pipeline *p, struct sip_ticket *t);

/* A REGISTER response from the registrar: 2xx confirms the listed bindings, others drop the pending ones. */
void sipreg_response(struct sip_pipeline *p, struct sip_ticket *t);

#endif
