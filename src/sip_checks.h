/* Sanity checks before and after parsing (reference §11, without its faults), Max-Forwards and loops. */
#ifndef SIPROXD_SIP_CHECKS_H
#define SIPROXD_SIP_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include "sip_ticket.h"

enum sipchk_raw_result {
	SIPCHK_RAW_OK,
	SIPCHK_RAW_KEEPALIVE,   /* CRLF or 4-byte NAT keep-alive: dropped without a word */
	SIPCHK_RAW_BAD,         /* dropped; *why says why */
};

enum sipchk_raw_result sipchk_raw(const char *buf, size_t len, const char **why);

/*
 * Checks of the parsed message, including that every Via, From, To, Contact and Request-URI has a
 * usable host and port. Returns 0 when it may go on, a status code to answer a request with (400,
 * 416), or -1 to drop it (no usable top Via to answer to, or a response). *why says why.
 */
int sipchk_parsed(const osip_message_t *m, const char **why);

/* A Via with a sane host and port that serialises and parses back. */
bool sipchk_via_ok(const osip_via_t *via);

/* RFC 3261 §16.3 step 3: 0 to go on, 483 when no hops are left (200 for OPTIONS, classic). */
int sipchk_max_forwards(const osip_message_t *m);

/* Our own Vias below the top one: more than two means the request came back to us (482). */
bool sipchk_loop(const struct sip_pipeline *p, const osip_message_t *m);

#endif
