/* The SIP message path: raw checks, parse, checks, direction, REGISTER / request / response handling, next hop, send. */
#include "build_config.h"
#include "sip_pipeline.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "acl.h"
#include "config.h"
#include "event_loop.h"
#include "log.h"
#include "registrar.h"
#include "sip_callid.h"
#include "sip_checks.h"
#include "sip_message.h"
#include "sip_obscure.h"
#include "sip_register.h"
#include "sip_response.h"
#include "sip_rewrite.h"
#include "sip_route.h"
#include "sip_ticket.h"
#include "sip_via.h"
#include "via_stash.h"

int64_t sip_now(const struct sip_pipeline *p)
{
	if (p->ctx.now)
		return p->ctx.now(p->ctx.now_ud);
	return p->ctx.loop ? el_wall_s(p->ctx.loop) : (int64_t)time(NULL);
}

void sip_random(const struct sip_pipeline *p, void *buf, size_t len)
{
	if (p->ctx.random) {
		p->ctx.random(p->ctx.random_ud, buf, len);
		return;
	}
	if (getrandom(buf, len, 0) != (ssize_t)len)
		memset(buf, 0x5a, len);     /* tags need to be unique, not secret */
}

const char *sip_ip_str(struct in_addr a, char *buf, size_t size)
{
	if (!inet_ntop(AF_INET, &a, buf, (socklen_t)size))
		buf[0] = '\0';
	return buf;
}

bool sip_is_me(const struct sip_pipeline *p, const char *host, const char *port)
{
	const struct config *cfg = p->ctx.cfg;
	struct in_addr a;

	if (!host || sipmsg_port(port) != cfg->sip_listen_port)
		return false;
	if (sipmsg_ipv4(host, &a))
		return a.s_addr == p->ctx.inbound.s_addr || a.s_addr == p->ctx.outbound.s_addr ||
		       a.s_addr == p->ctx.public_addr.s_addr;
	return cfg->host_outbound && strcasecmp(host, cfg->host_outbound) == 0;
}

struct in_addr sip_seen_addr(const struct sip_pipeline *p, bool toward_wan)
{
	return toward_wan ? p->ctx.public_addr : p->ctx.inbound;
}

const char *sip_seen_addr_str(const struct sip_pipeline *p, bool toward_wan)
{
	return toward_wan ? p->public_str : p->inbound_str;
}

static void addrs_text(struct sip_pipeline *p)
{
	sip_ip_str(p->ctx.inbound, p->inbound_str, sizeof(p->inbound_str));
	sip_ip_str(p->ctx.public_addr, p->public_str, sizeof(p->public_str));
}

struct sip_pipeline *sip_pipeline_create(const struct sip_pipeline_ctx *ctx)
{
	struct sip_pipeline *p = calloc(1, sizeof(*p));
	size_t max_tx;

	if (!p)
		return NULL;
	p->ctx = *ctx;
	addrs_text(p);
	if (p->ctx.max_dns_waiting == 0)
		p->ctx.max_dns_waiting = 256;
	if (p->ctx.max_tcp_waiting == 0)
		p->ctx.max_tcp_waiting = 256;
	max_tx = ctx->max_transactions ? ctx->max_transactions : 4 * (size_t)(ctx->cfg->max_registrations > 0 ? ctx->cfg->max_registrations : 1);
	p->stash = via_stash_create(max_tx);
	p->tcp_waits = siproute_tcp_waits_create(p->ctx.max_tcp_waiting);
	if (!p->stash || !p->tcp_waits) {
		via_stash_destroy(p->stash);
		free(p->tcp_waits);
		free(p);
		return NULL;
	}
	if (p->ctx.cfg->rtp_proxy_enable && !p->ctx.sdp_rewrite)
		log_warn("rtp_proxy_enable is set but there is no RTP relay: SDP media addresses pass unchanged");
	sipmsg_init();
	return p;
}

void sip_pipeline_destroy(struct sip_pipeline *p)
{
	if (!p)
		return;
	siproute_cancel_all(p);
	via_stash_destroy(p->stash);
	siproute_tcp_waits_destroy(p);
	free(p);
}

void sip_pipeline_set_addrs(struct sip_pipeline *p, struct in_addr inbound, struct in_addr outbound,
			    struct in_addr public_addr)
{
	p->ctx.inbound = inbound;
	p->ctx.outbound = outbound;
	p->ctx.public_addr = public_addr;
	addrs_text(p);
}

void sip_pipeline_tick(struct sip_pipeline *p)
{
	size_t gone = reg_expire(p->ctx.reg, sip_now(p));

	if (gone)
		log_debug(DBCLASS_REG, "%zu bindings expired", gone);
}

int sip_pipeline_load_registrations(struct sip_pipeline *p)
{
	const char *path = p->ctx.cfg->registration_file;

	return path && *path ? reg_load(p->ctx.reg, path, sip_now(p)) : 0;
}

int sip_pipeline_save_registrations(struct sip_pipeline *p)
{
	const char *path = p->ctx.cfg->registration_file;

	return path && *path ? reg_save(p->ctx.reg, path) : 0;
}

static const char *peer_str(const struct sip_peer *from, char *buf, size_t size)
{
	char a[INET_ADDRSTRLEN];

	snprintf(buf, size, "%s:%u/%s", sip_ip_str(from->addr.sin_addr, a, sizeof(a)), ntohs(from->addr.sin_port),
		 from->proto == SIP_PROTO_TCP ? "tcp" : "udp");
	return buf;
}

/* Raw checks (§11) and the source's ACL rights, before the parser sees anything. */
static enum sip_verdict step_receive(struct sip_pipeline *p, struct sip_ticket *t)
{
	const char *why = "";
	char peer[64];

	switch (sipchk_raw(t->raw, t->raw_len, &why)) {
	case SIPCHK_RAW_KEEPALIVE:
		return SIP_DONE;
	case SIPCHK_RAW_BAD:
		log_info("dropped %zu bytes from %s: %s", t->raw_len, peer_str(&t->from, peer, sizeof(peer)), why);
		return SIP_DONE;
	case SIPCHK_RAW_OK:
		break;
	}
	t->acl = acl_check(&p->ctx.cfg->acls, t->from.addr.sin_addr);
	return SIP_RELAY;
}

static enum sip_verdict step_parse(struct sip_pipeline *p, struct sip_ticket *t)
{
	char peer[64];

	t->msg = sipmsg_parse(t->raw, t->raw_len);
	if (!t->msg) {
		/* No dump: the text may carry credentials. */
		log_warn("unparsable message (%zu bytes) from %s", t->raw_len, peer_str(&t->from, peer, sizeof(peer)));
		return SIP_DONE;
	}
	sipmsg_call_id(t->msg, t->call_id, sizeof(t->call_id));
	return SIP_RELAY;
}

/* Checks of the parsed message, ACLs (§7), Max-Forwards (483) and loops (482). */
static enum sip_verdict step_check(struct sip_pipeline *p, struct sip_ticket *t)
{
	const char *why = "";
	char peer[64];
	unsigned need = sipmsg_is_method(t->msg, "REGISTER") ? ACL_ALLOW_REG : ACL_ALLOW_SIP;
	int code = sipchk_parsed(t->msg, &why);

	/* Requests are answered; broken or unwelcome responses just go. */
	if (MSG_IS_RESPONSE(t->msg) && code == 0 && !(t->acl & ACL_ALLOW_SIP))
		why = "not allowed by the ACLs";
	else if (MSG_IS_RESPONSE(t->msg) && code == 0)
		return SIP_RELAY;
	if (MSG_IS_RESPONSE(t->msg) || code < 0) {
		log_info("dropped a message from %s: %s", peer_str(&t->from, peer, sizeof(peer)), why);
		return SIP_DONE;
	}
	if (code > 0)
		sipresp_reply(p, t, code, why);
	else if (!(t->acl & need))
		sipresp_reply(p, t, 403, "source not allowed by the ACLs");
	else if ((code = sipchk_max_forwards(t->msg)) != 0)
		sipresp_reply(p, t, code, "Max-Forwards reached 0");
	else if (sipchk_loop(p, t->msg))
		sipresp_reply(p, t, 482, "loop");
	else
		return SIP_RELAY;
	return SIP_DONE;
}

/*
 * LAN or WAN, from the address the message arrived on; when both sides share an address, a
 * sender with a binding, or the proxy's own host, is a phone.
 */
static void step_classify(struct sip_pipeline *p, struct sip_ticket *t)
{
	const struct sip_pipeline_ctx *c = &p->ctx;
	struct in_addr src = t->from.addr.sin_addr;

	if (c->inbound.s_addr != c->outbound.s_addr && t->from.local.s_addr == c->inbound.s_addr)
		t->dir = SIP_DIR_OUTGOING;
	else if (c->inbound.s_addr != c->outbound.s_addr && t->from.local.s_addr == c->outbound.s_addr)
		t->dir = SIP_DIR_INCOMING;
	else if (reg_find_source(c->reg, src) || ntohl(src.s_addr) == INADDR_LOOPBACK ||
		 src.s_addr == c->inbound.s_addr || src.s_addr == c->outbound.s_addr)
		t->dir = SIP_DIR_OUTGOING;
	else
		t->dir = SIP_DIR_INCOMING;
	t->from_wan = t->dir == SIP_DIR_INCOMING;
}

/* netif reports 0.0.0.0 while the outbound interface has no address: nothing can reach the WAN. */
static bool wan_up(const struct sip_pipeline *p)
{
	return p->ctx.outbound.s_addr != INADDR_ANY;
}

/* What every message from a phone toward the WAN gets. */
static int rewrite_toward_wan(struct sip_pipeline *p, struct sip_ticket *t, bool contacts)
{
	/* Hidden first: a marker after the token keeps the LAN address out of a looped call. */
	if ((contacts && siprw_contact_masquerade(p, t) != 0) || sipcallid_hide(p, t) != 0 ||
	    sipobs_toward_wan(p, t) != 0)
		return -1;
	siprw_self_uris(p, t, true);
	if (siprw_hide_lan_addrs(p, t) != 0)
		return -1;
	siprw_record_route_purge(p, t);
	return siprw_user_agent(p, t);
}

/* Only these put a Record-Route to use (RFC 3261 §12.1, RFC 6665, RFC 3515). */
static bool creates_dialog(const char *method)
{
	return strcmp(method, "INVITE") == 0 || strcmp(method, "SUBSCRIBE") == 0 || strcmp(method, "REFER") == 0 ||
	       strcmp(method, "NOTIFY") == 0;
}

/* A request to a phone: 404 when nobody is registered for it. */
static enum sip_verdict request_to_phone(struct sip_pipeline *p, struct sip_ticket *t)
{
	struct reg_binding *b = siproute_find_phone(p, t);

	if (!b) {
		sipresp_reply(p, t, 404, "no registered user");
		return SIP_DONE;
	}
	if (siprw_request_uri(t->msg, b->true_url) != 0 || siproute_to_phone(p, t, b) != 0) {
		sipresp_reply(p, t, 500, "cannot route to the registered contact");
		return SIP_DONE;
	}
	return SIP_RELAY;
}

static enum sip_verdict step_request_incoming(struct sip_pipeline *p, struct sip_ticket *t)
{
	/* After the lookup: a 404 must echo the To it was sent. Media sees the phone's Call-ID. */
	sipobs_toward_phone(p, t);
	if (sipcallid_restore(p, t) != 0 || siprw_request_uri_open(p, t) != 0) {
		sipresp_reply(p, t, 500, "out of memory");
		return SIP_DONE;
	}
	if (request_to_phone(p, t) != SIP_RELAY)
		return SIP_DONE;
	siprw_self_uris(p, t, false);
	if ((creates_dialog(t->msg->sip_method) && siprw_record_route_add(p, t, true) != 0) ||
	    siprw_max_forwards(t->msg) != 0) {
		sipresp_reply(p, t, 500, "out of memory");
		return SIP_DONE;
	}
	return SIP_RELAY;
}

static enum sip_verdict step_request_outgoing(struct sip_pipeline *p, struct sip_ticket *t)
{
	const struct config *cfg = p->ctx.cfg;
	bool reg = sipmsg_is_method(t->msg, "REGISTER");
	bool exempt = sipmsg_is_method(t->msg, "ACK") || sipmsg_is_method(t->msg, "CANCEL");

	if (p->ctx.auth && cfg->proxy_auth_all && !exempt) {
		if (!sipresp_authorize(p, t))
			return SIP_DONE;
		siprw_strip_credentials(p, t);
	}
	/* Before the table: a REGISTER that cannot leave must not hold a pending binding. */
	if (reg && !wan_up(p)) {
		sipresp_reply(p, t, 408, "outbound interface down");
		return SIP_DONE;
	}
	if (reg && sipreg_outbound(p, t) != SIP_RELAY)
		return SIP_DONE;
	/* Phone to phone through the proxy: the target is a binding. */
	if (!reg && osip_list_size(&t->msg->routes) == 0 &&
	    (sip_is_me(p, t->msg->req_uri->host, t->msg->req_uri->port) || siproute_for_phone_contact(p, t)))
		return request_to_phone(p, t) == SIP_RELAY && siprw_max_forwards(t->msg) == 0 ? SIP_RELAY : SIP_DONE;
	if (rewrite_toward_wan(p, t, !reg) != 0 || siprw_max_forwards(t->msg) != 0) {
		sipresp_reply(p, t, 500, "out of memory");
		return SIP_DONE;
	}
	return SIP_RELAY;
}

/* Is the next Via (received, else sent-by) a phone with a binding? */
static bool response_to_phone(struct sip_pipeline *p, const struct sip_ticket *t)
{
	osip_via_t *via = osip_list_get(&t->msg->vias, 0);
	const char *received = sipmsg_via_param(via, "received");
	struct in_addr a;

	return via && sipmsg_ipv4(received && *received ? received : via->host, &a) && reg_find_source(p->ctx.reg, a);
}

static bool names_lan_host(struct sip_pipeline *p, const struct sip_ticket *t, const char *s)
{
	struct in_addr a;

	return sipmsg_ipv4(s, &a) && (a.s_addr == t->from.addr.sin_addr.s_addr || a.s_addr == p->ctx.inbound.s_addr ||
				      reg_find_source(p->ctx.reg, a));
}

/*
 * Does a Via left on a response from the LAN name a LAN host (the sender, our inbound address, a
 * phone with a binding) as its host or in a parameter? The requester on the WAN cannot have written
 * that, and we hide our phones' Vias on the way out, so such a response is forged or garbled;
 * sending it would leak the address.
 */
static bool response_via_names_lan(struct sip_pipeline *p, const struct sip_ticket *t)
{
	for (int i = 0; i < osip_list_size(&t->msg->vias); i++) {
		osip_via_t *via = osip_list_get(&t->msg->vias, i);

		if (!via)
			continue;
		if (names_lan_host(p, t, via->host))
			return true;
		for (int j = 0; j < osip_list_size(&via->via_params); j++) {
			osip_generic_param_t *gp = osip_list_get(&via->via_params, j);

			if (gp && names_lan_host(p, t, gp->gvalue))
				return true;
		}
	}
	return false;
}

static enum sip_verdict step_response(struct sip_pipeline *p, struct sip_ticket *t)
{
	osip_via_t *ours = osip_list_get(&t->msg->vias, 0);
	char peer[64];
	bool cut;

	t->callid_cut = sipmsg_via_param(ours, SIPOBS_VIA_PARAM) != NULL;
	int kept = sipvia_remove(p, t);
	if (kept < 0) {
		log_info("dropped a %d response from %s: not sent through us, or its request expired, Call-ID %s",
			 t->msg->status_code, peer_str(&t->from, peer, sizeof(peer)), t->call_id);
		return SIP_DONE;
	}
	if (t->dir == SIP_DIR_OUTGOING && response_to_phone(p, t)) {
		t->dir = SIP_DIR_INCOMING;     /* phone to phone: stays on the LAN as it is */
		return SIP_RELAY;
	}
	/*
	 * Every request we relay keeps its Vias under our branch: a response without them is a stray
	 * (or its request expired), and the Vias its sender wrote could name any LAN host and port.
	 */
	if (kept != 1) {
		log_info("dropped a %d response from %s: its request is not known (expired?), Call-ID %s",
			 t->msg->status_code, peer_str(&t->from, peer, sizeof(peer)), t->call_id);
		return SIP_DONE;
	}
	if (t->dir == SIP_DIR_OUTGOING && response_via_names_lan(p, t)) {
		log_info("dropped a %d response from %s: a Via toward the WAN names a LAN host, Call-ID %s",
			 t->msg->status_code, peer_str(&t->from, peer, sizeof(peer)), t->call_id);
		return SIP_DONE;
	}
	if (t->dir == SIP_DIR_OUTGOING)
		return rewrite_toward_wan(p, t, true) == 0 ? SIP_RELAY : SIP_DONE;
	cut = sipobs_toward_phone(p, t);
	if (sipcallid_restore(p, t) != 0)
		return SIP_DONE;
	siprw_self_uris(p, t, false);
	if (strcmp(sipmsg_cseq_method(t->msg), "REGISTER") == 0)
		sipreg_response(p, t);
	else if (creates_dialog(sipmsg_cseq_method(t->msg)) &&
		 (siprw_record_route_add(p, t, false) != 0 || (cut && sipobs_mark_record_route(t) != 0)))
		return SIP_DONE;
	return SIP_RELAY;
}

/*
 * Relaying REGISTERs that reach us from the Internet would let anybody register with a provider
 * through us, and taking them as the registrar would let anybody fill the table or add a contact
 * to a phone's AoR; only a hosts_allow_reg list that names the source allows it. With one shared
 * address for both sides the arrival address cannot tell, and the ACLs alone decide.
 */
static bool register_from_wan(const struct sip_pipeline *p, const struct sip_ticket *t)
{
	const struct sip_pipeline_ctx *c = &p->ctx;

	return c->inbound.s_addr != c->outbound.s_addr && t->from.local.s_addr == c->outbound.s_addr &&
	       acl_empty(&c->cfg->acls.allow_reg);
}

/* REGISTER, request or response; the request kinds first get received/rport and Route processing. */
static enum sip_verdict step_handle(struct sip_pipeline *p, struct sip_ticket *t)
{
	if (MSG_IS_RESPONSE(t->msg))
		return step_response(p, t);
	sipvia_received(t);
	if (t->dir == SIP_DIR_OUTGOING)
		sipobs_route_seen(p, t);
	siprw_route_preprocess(p, t);
	/* OPTIONS to the proxy itself (no user part): a keep-alive or a probe, answered here. */
	if (sipmsg_is_method(t->msg, "OPTIONS") && !t->msg->req_uri->username &&
	    sip_is_me(p, t->msg->req_uri->host, t->msg->req_uri->port)) {
		sipresp_reply(p, t, 200, "OPTIONS for the proxy");
		return SIP_DONE;
	}
	if (sipmsg_is_method(t->msg, "REGISTER")) {
		/* Also for us as the registrar: every binding is treated as a phone on the LAN. */
		if (register_from_wan(p, t)) {
			sipresp_reply(p, t, 403, "REGISTER from the WAN side");
			return SIP_DONE;
		}
		if (sipreg_for_me(p, t))
			return sipreg_registrar(p, t);
		t->dir = SIP_DIR_OUTGOING;    /* only phones register through us */
	}
	return t->dir == SIP_DIR_INCOMING ? step_request_incoming(p, t) : step_request_outgoing(p, t);
}

static enum sip_verdict step_next_hop(struct sip_pipeline *p, struct sip_ticket *t)
{
	char peer[64];

	if (MSG_IS_RESPONSE(t->msg)) {
		if (siproute_response(p, t) != 0) {
			log_info("dropped a %d response from %s: unusable Via, Call-ID %s", t->msg->status_code,
				 peer_str(&t->from, peer, sizeof(peer)), t->call_id);
			return SIP_DONE;
		}
		if (t->hop_lan || wan_up(p))
			return SIP_RELAY;
		log_info("dropped a %d response for %s: the outbound interface has no address, Call-ID %s",
			 t->msg->status_code, t->hop_host, t->call_id);
		return SIP_DONE;
	}
	if (t->hop_known && t->hop_lan)
		return SIP_RELAY;
	/* The classic answer while the line is down; the phone retries later. */
	if (!wan_up(p)) {
		sipresp_reply_raw(p, t->raw, t->raw_len, &t->from, 408, "outbound interface down");
		return SIP_DONE;
	}
	if (siproute_request(p, t) == 0)
		return SIP_RELAY;
	sipresp_reply_raw(p, t->raw, t->raw_len, &t->from, 400, "no usable next hop");
	return SIP_DONE;
}

/* The relay's view of a message that crosses sides: one Call-ID and one leg for both ways. */
static int media_hook(struct sip_pipeline *p, struct sip_ticket *t, bool toward_wan)
{
	struct sip_media_msg m = { .msg = t->msg, .from_wan = t->from_wan };
	char call_id[sizeof(t->call_id)], leg[INET_ADDRSTRLEN];

	if (!p->ctx.sdp_rewrite || t->from_wan == toward_wan)
		return 0;
	/* From the WAN the Call-ID has been restored by now; from the LAN it is the one received. */
	m.call_id = t->from_wan ? sipmsg_call_id(t->msg, call_id, sizeof(call_id)) : t->call_id;
	m.leg = t->from_wan ? t->hop_host : sip_ip_str(t->from.addr.sin_addr, leg, sizeof(leg));
	/* Kept for a failure further on: the raw request may carry the hidden Call-ID, the relay knows this one. */
	snprintf(t->media_call_id, sizeof(t->media_call_id), "%s", m.call_id);
	return p->ctx.sdp_rewrite(p->ctx.sdp_ud, &m);
}

/*
 * The body, once the next hop is known: the RTP relay rewrites media addresses (SDP c=/m=) of
 * messages crossing sides; toward the WAN the SDP o= line gets our public address here.
 */
static enum sip_verdict step_body(struct sip_pipeline *p, struct sip_ticket *t)
{
	bool toward_wan = !t->hop_lan;
	int code = media_hook(p, t, toward_wan);

	if (code == 0 && toward_wan && siprw_sdp_origin(p, t) != 0) {
		code = 500;
		if (MSG_IS_REQUEST(t->msg))
			siproute_media_void(p, t, code);   /* the relay took it; its own failures it undid */
	}
	if (code == 0)
		return SIP_RELAY;
	if (MSG_IS_REQUEST(t->msg))
		sipresp_reply_raw(p, t->raw, t->raw_len, &t->from, code, "media not relayed");
	else
		log_info("dropped a %d response: media not relayed, Call-ID %s", t->msg->status_code, t->call_id);
	return SIP_DONE;
}

/*
 * Our Via on requests, then out. Toward the WAN the phones' Vias are hidden; toward a phone the
 * WAN requester's Vias are kept aside, so its response carries exactly those back.
 */
static void step_send(struct sip_pipeline *p, struct sip_ticket *t)
{
	bool toward_wan = !t->hop_lan;

	if (MSG_IS_REQUEST(t->msg) &&
	    sipvia_add(p, t, toward_wan, toward_wan && t->dir == SIP_DIR_OUTGOING, !toward_wan) != 0) {
		sipresp_reply_raw(p, t->raw, t->raw_len, &t->from, 500, "cannot add our Via");
		siproute_media_void(p, t, 500);
		return;
	}
	siproute_send(p, t);
}

void sip_pipeline_input(struct sip_pipeline *p, const char *buf, size_t len, const struct sip_peer *from)
{
	struct sip_ticket t = { .raw = buf, .raw_len = len, .from = *from, .now = sip_now(p) };

	if (step_receive(p, &t) != SIP_RELAY || step_parse(p, &t) != SIP_RELAY)
		return;
	if (step_check(p, &t) == SIP_RELAY) {
		step_classify(p, &t);
		if (step_handle(p, &t) == SIP_RELAY && step_next_hop(p, &t) == SIP_RELAY &&
		    step_body(p, &t) == SIP_RELAY)
			step_send(p, &t);
	}
	osip_message_free(t.msg);
}

void sip_pipeline_rx(void *p, const char *buf, size_t len, const struct sip_peer *from)
{
	sip_pipeline_input(p, buf, len, from);
}
