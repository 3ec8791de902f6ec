/* Reversible hiding of LAN text toward the WAN: which text names a LAN address, and the seal that hides it. */
#ifndef SIPROXD_SIP_SEAL_H
#define SIPROXD_SIP_SEAL_H

#include <stdbool.h>
#include <stdint.h>

#include "sip_ticket.h"

#define SIPSEAL_PREFIX "lanx"

/*
 * A LAN address that the WAN must not learn: the sender's, our inbound address, or a registered
 * phone's. Not any private address: a provider's Call-ID naming its own 10.x host must cross
 * unchanged.
 */
bool sipseal_addr_is_lan(const struct sip_pipeline *p, const struct sip_ticket *t, struct in_addr a);
/*
 * Does s name such an address as a whole dotted quad: not inside a longer number or dotted run
 * ("110.0.0.5", "1.10.0.0.5", "10.0.0.5.6"), but "10.0.0.5..7" and "10.0.0.5.x" do name it.
 */
bool sipseal_names_lan(const struct sip_pipeline *p, const struct sip_ticket *t, const char *s);

/* The per-process key (drawn at its first use) that the seal and the Call-ID host token use. */
const unsigned char *sipseal_key(struct sip_pipeline *p);

/*
 * "lanx" followed by hex: a SipHash tag of plain, then plain XOR a SipHash keystream. Deterministic
 * (every message of a dialog agrees), opaque without the key, stateless. Returns an osip_malloc'd
 * string, or NULL when out of memory.
 */
char *sipseal_make(struct sip_pipeline *p, const char *plain, size_t len);
/*
 * Opens a sealed text of ours: 1 and *plain (osip_malloc'd, NUL-terminated) when it is one, 0 when
 * it is not (other text, a bad tag, a key from before a restart), -1 when out of memory.
 */
int sipseal_open(struct sip_pipeline *p, const char *sealed, char **plain);

#endif
