/* Call-ID hiding: a phone's LAN address in a Call-ID never reaches the WAN, and comes back restored. */
#ifndef SIPROXD_SIP_CALLID_H
#define SIPROXD_SIP_CALLID_H

#include "sip_ticket.h"

/*
 * Toward the WAN. A LAN address here is the sender's, our inbound address, or a registered phone's:
 * a private address that is none of these (a provider's own, in a Call-ID it made) is left alone,
 * since the dialog it names must keep its Call-ID byte for byte.
 *  - "abc@10.0.0.5", the host a LAN address: "abc-lan<token>@<public>", the token hiding the
 *    address under a keyed hash of the number.
 *  - a LAN address anywhere else ("10.0.0.5-77@pbx", "abc@10.0.0.5:5060"): the whole Call-ID is
 *    sealed, "lanx<hex>@<public>", encrypted and authenticated under the same per-process key.
 * Both are stateless: every message of the dialog, in either direction, brings the form back.
 * Returns 0, or -1 when out of memory.
 */
int sipcallid_hide(struct sip_pipeline *p, struct sip_ticket *t);
/* From the WAN: a token or a sealed Call-ID that we made gets the original back; others stay. */
int sipcallid_restore(struct sip_pipeline *p, struct sip_ticket *t);

#endif
