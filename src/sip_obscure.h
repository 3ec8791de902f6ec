/* obscure_loops: Call-IDs of the phones' own calls carry "-siproxd<tag>" on the WAN, so a call that loops back through the provider to another phone is two calls. */
#ifndef SIPROXD_SIP_OBSCURE_H
#define SIPROXD_SIP_OBSCURE_H

#include "sip_ticket.h"

/*
 * From a phone toward the WAN (not REGISTER): a request without the marker gets -siproxd<From
 * tag> when it starts something (no Route to us) or when its dialog's Route to us says the phone
 * made the dialog; a response whose request had its marker cut on the way in (our Via says so)
 * gets -siproxd<To tag> back. So a dialog the WAN started keeps its Call-ID both ways.
 * 0, or -1 out of memory. A no-op unless obscure_loops is set.
 */
int sipobs_toward_wan(struct sip_pipeline *p, struct sip_ticket *t);
/*
 * From the WAN toward a phone, before anything looks at the Call-ID (the RTP relay must see the
 * phone's own Call-ID, or a remote BYE would not end the media): a request's marker is cut unless
 * it names the request's own From tag (the looped call, as the second phone knows it); a
 * response's marker is cut when it names the From tag (the phone that called). Sets
 * t->callid_cut for requests. Returns whether it cut.
 */
bool sipobs_toward_phone(struct sip_pipeline *p, struct sip_ticket *t);
/* Before our Route goes (siprw_route_preprocess): does the phone's request carry our Route, marked? */
void sipobs_route_seen(struct sip_pipeline *p, struct sip_ticket *t);
/* The Record-Route we just added at the bottom of a cut 2xx: the phone made this dialog. 0 or -1. */
int sipobs_mark_record_route(struct sip_ticket *t);
/* The Via parameter that carries t->callid_cut from a request to its response; also the
 * Record-Route URI parameter naming a dialog the phone made. */
#define SIPOBS_VIA_PARAM "siproxd-cut"

#endif
