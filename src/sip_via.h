/* Via handling: received/rport, our Via with its RFC 3261 §16.11 branch, and the phones' Vias hidden from the WAN. */
#ifndef SIPROXD_SIP_VIA_H
#define SIPROXD_SIP_VIA_H

#include <stdbool.h>

#include "sip_ticket.h"

/* RFC 3261 §18.2.1 and RFC 3581: received (and the rport value) on the sender's Via. */
int sipvia_received(struct sip_ticket *t);

/*
 * Our Via on a relayed request, branch per RFC 3261 §16.11. hide: the Vias below go into the
 * stash under our branch so that the WAN sees only ours. keep: a copy goes into the stash and
 * the Vias stay (every request toward the LAN), so the phone's response cannot add to them.
 */
int sipvia_add(struct sip_pipeline *p, struct sip_ticket *t, bool toward_wan, bool hide, bool keep);
/*
 * Our Via off a response. 1: the kept Vias replaced everything below ours; 0: nothing was kept
 * for it and the Vias below ours stay as sent; -1: not ours, or nothing left to route by (drop).
 */
int sipvia_remove(struct sip_pipeline *p, struct sip_ticket *t);

#endif
