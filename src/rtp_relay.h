/* The RTP relay: media sessions, their sockets in the event loop, latching, forwarding, timeouts. */
#ifndef SIPROXD_RTP_RELAY_H
#define SIPROXD_RTP_RELAY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_loop;
struct config;
struct rtp_relay;

/* The two sides of the proxy: the LAN (inbound interface) and the WAN (outbound interface). */
enum rtp_side { RTP_SIDE_LAN = 0, RTP_SIDE_WAN = 1 };

struct rtp_relay_addrs {
	struct in_addr inbound;       /* LAN-side sockets are bound here; written into SDP sent to the LAN */
	struct in_addr outbound;      /* WAN-side sockets are bound here (the real interface address) */
	struct in_addr public_addr;   /* written into SDP sent to the WAN: host_outbound, else outbound */
};

/*
 * Reads rtp_port_low/high, rtp_timeout, rtp_hold_timeout, rtp_dscp and the two dejitter values
 * from cfg (only while creating; a later SIGHUP needs a new relay). Returns NULL with errno
 * EINVAL for an unusable port range, ENOMEM otherwise.
 */
struct rtp_relay *rtp_relay_create(struct event_loop *el, const struct config *cfg,
	const struct rtp_relay_addrs *addrs);
/* Ends every session (one log line each), closes all sockets. */
void rtp_relay_destroy(struct rtp_relay *r);

/*
 * The addresses changed (an interface renumbered, host_outbound re-resolved): sessions opened
 * from now on bind and announce the new ones. Running sessions keep their sockets until they
 * end (after a PPP reconnect their old address is gone and they time out); an SDP of theirs
 * that passes later (a re-INVITE) announces the new addresses.
 */
void rtp_relay_set_addrs(struct rtp_relay *r, const struct rtp_relay_addrs *addrs);

/* The address to write into an SDP that is sent towards side `to`. */
struct in_addr rtp_relay_sdp_addr(const struct rtp_relay *r, enum rtp_side to);

/* One m= line of an SDP as the relay needs it. */
struct rtp_media {
	bool enabled;              /* false for port 0: no relay, nothing allocated */
	struct in_addr addr;       /* where that side receives RTP; 0.0.0.0 = hold, send nothing */
	uint16_t rtp_port;
	uint16_t rtcp_port;        /* a=rtcp:, else rtp_port + 1 */
	bool hold;                 /* c=0.0.0.0, a=sendonly/recvonly/inactive: rtp_hold_timeout applies */
	uint32_t clock_rate;       /* of the first payload, for the dejitter clock; 0 = 8000 */
};

/*
 * The key of a session: (call_id, leg, m-line index). `leg` tells apart the passes of one
 * Call-ID through the proxy (a hairpin call passes twice): it must be the same string for every
 * message of one dialog in both directions, for example the initial INVITE's From-tag plus the
 * side its caller is on. Forked answers within one leg update the same sessions.
 */

/*
 * An SDP from side `from` with n m= lines. All or nothing: on success ports[i] is the relay's
 * RTP port (RTCP is +1) on the other side for m-line i, 0 for a disabled one, and 0 is returned.
 * On failure nothing changed and -1 is returned with errno ENOSPC (port pool exhausted or no
 * port could be bound: answer 503), ENOMEM, or EINVAL (empty call_id). Ports stay the same for
 * a session across re-INVITEs and retransmissions.
 *
 * Offer/answer is tracked per session: the first SDP after an agreement is an offer, the next
 * one from the other side its answer; an SDP identical to the agreed one is a repeat. A changed
 * address re-latches that side.
 */
int rtp_relay_sdp(struct rtp_relay *r, const char *call_id, const char *leg, enum rtp_side from,
	const struct rtp_media *m, size_t n, uint16_t *ports);

/*
 * A failure response to a re-INVITE/UPDATE: sessions with a pending offer go back to the last
 * agreed addresses; sessions that were never agreed (new m= lines) end.
 */
void rtp_relay_offer_failed(struct rtp_relay *r, const char *call_id, const char *leg);

/*
 * Ends every session of (call_id, leg), one log line each with its counters: on the 200 to
 * BYE, on CANCEL of an unanswered INVITE, on a failure response to the initial INVITE.
 */
void rtp_relay_end(struct rtp_relay *r, const char *call_id, const char *leg);
/* On a BYE: ends the sessions after ms (32000) unless rtp_relay_end() came first. */
void rtp_relay_end_later(struct rtp_relay *r, const char *call_id, const char *leg, uint32_t ms);

/*
 * Whether (call_id, leg) has sessions: tells which party of a dialog is the caller. A 2xx to
 * an INVITE confirms the call: from then on a failure response to INVITE is a re-INVITE's and
 * a CANCEL no longer ends it.
 */
bool rtp_relay_has_call(const struct rtp_relay *r, const char *call_id, const char *leg);
void rtp_relay_confirm(struct rtp_relay *r, const char *call_id, const char *leg);
bool rtp_relay_confirmed(const struct rtp_relay *r, const char *call_id, const char *leg);

/* Counters of one direction of a session: packets received from one side. */
struct rtp_counters {
	uint64_t packets, bytes;       /* accepted from this side (RTP + RTCP) */
	uint64_t relayed;              /* sent on to the other side */
	uint64_t drop_source;          /* from another address or port than the latched one */
	uint64_t drop_nodest;          /* the other side has no address yet, or is on hold */
	uint64_t drop_send;            /* sendmmsg refused them */
	uint64_t dejitter_forced;      /* the playout buffer was full: sent at once */
};

struct rtp_session_info {
	unsigned index;                /* m-line */
	uint16_t port;                 /* LAN-side RTP port */
	uint16_t wan_port;             /* WAN-side RTP port */
	bool latched[2];               /* per side (RTP) */
	struct sockaddr_in latched_addr[2];
	struct rtp_counters from[2];   /* indexed by enum rtp_side */
	uint64_t last_activity_ms;     /* loop clock */
	bool hold;
};

/* Counters of session (call_id, leg, index). Returns 0, or -1 when there is no such session. */
int rtp_relay_session_info(const struct rtp_relay *r, const char *call_id, const char *leg,
	unsigned index, struct rtp_session_info *out);

size_t rtp_relay_session_count(const struct rtp_relay *r);
size_t rtp_relay_ports_free(const struct rtp_relay *r);   /* port pairs */
/* The status summary: one line per session with its counters, and the totals. */
void rtp_relay_log_status(const struct rtp_relay *r);

#endif
