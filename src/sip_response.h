/* Responses the proxy makes itself (RFC 3261 §8.2.6): the request's Via stack, a To-tag, sent per §18.2.2. */
#ifndef SIPROXD_SIP_RESPONSE_H
#define SIPROXD_SIP_RESPONSE_H

#include "sip_ticket.h"

/* Builds the response to t->msg; NULL on allocation failure. */
osip_message_t *sipresp_build(struct sip_pipeline *p, const struct sip_ticket *t, int code);
/* Sends a response built for t back to the request's sender, and frees it. */
void sipresp_send(struct sip_pipeline *p, const struct sip_ticket *t, osip_message_t *resp);
/* Build and send in one go; never answers ACK. reason goes to the log. */
void sipresp_reply(struct sip_pipeline *p, const struct sip_ticket *t, int code, const char *reason);

/* Answers code to a request from its raw text (after the parsed one was rewritten). */
void sipresp_reply_raw(struct sip_pipeline *p, const char *raw, size_t len, const struct sip_peer *from,
		       int code, const char *reason);
/*
 * Digest authentication of t's request: true when it may go on; otherwise the answer (407 with a
 * challenge, 403, 400) has been sent.
 */
bool sipresp_authorize(struct sip_pipeline *p, const struct sip_ticket *t);

#endif
