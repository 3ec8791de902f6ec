/* Puts the proxy together once both interfaces have an address: the RTP relay, the registrar, the SIP pipeline and their tick. */
#include "build_config.h"

#include "siproxd.h"

#include "config.h"
#include "event_loop.h"
#include "log.h"
#include "netif.h"
#include "registrar.h"
#include "rtp_relay.h"
#include "sip_media.h"
#include "sip_pipeline.h"
#include "sip_transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

/* Expiry of registrations and the autosave check run this often. */
#define PROXY_TICK_MS 1000

static int proxy_send(void *ud, const struct sip_peer *to, const char *buf, size_t len, sip_sent_fn done,
		      void *done_ud)
{
	struct siproxd *sx = ud;

	return sip_transport_send(sx->transport, to, buf, len, done, done_ud);
}

/* The registrar returns errors; they are logged here, once per attempt. */
static void proxy_save_registrations(struct siproxd *sx)
{
	if (sip_pipeline_save_registrations(sx->pipeline) < 0)
		log_warn("cannot save the registrations to %s: %s", sx->cfg->registration_file, strerror(errno));
}

static void proxy_tick(struct event_loop *el, void *ud)
{
	struct siproxd *sx = ud;
	int64_t now = el_wall_s(el);

	sip_pipeline_tick(sx->pipeline);
	if (sx->cfg->autosave_registrations > 0 && now >= sx->next_autosave) {
		proxy_save_registrations(sx);
		sx->next_autosave = now + sx->cfg->autosave_registrations;
	}
	el_timer_start(el, &sx->tick, PROXY_TICK_MS, proxy_tick, sx);
}

static int proxy_rtp_create(struct siproxd *sx, const struct rtp_relay_addrs *addrs)
{
	if (!sx->cfg->rtp_proxy_enable)
		return 0;
	sx->rtp = rtp_relay_create(sx->el, sx->cfg, addrs);
	if (!sx->rtp) {
		log_error("cannot start the RTP relay: %s", errno == EINVAL ?
			  "rtp_port_low..rtp_port_high is not a usable port range" : strerror(errno));
		return -1;
	}
	return 0;
}

int proxy_start(struct siproxd *sx)
{
	struct rtp_relay_addrs addrs;

	if (sx->pipeline)
		return 0;
	if (netif_addr(sx->netif, NETIF_INBOUND, &addrs.inbound) < 0 ||
	    netif_addr(sx->netif, NETIF_OUTBOUND, &addrs.outbound) < 0) {
		log_warn("SIP and RTP are relayed once if_inbound and if_outbound have an address");
		return 0;
	}
	if (netif_outbound_public(sx->netif, &addrs.public_addr) < 0)
		addrs.public_addr = addrs.outbound;
	if (!sx->rtp && proxy_rtp_create(sx, &addrs) < 0)
		return -1;
	if (!sx->reg) {
		sx->reg = reg_create((size_t)sx->cfg->max_registrations);
		if (!sx->reg) {
			log_error("cannot create the registration table: %s", strerror(errno));
			return -1;
		}
	}
	struct sip_pipeline_ctx ctx = {
		.cfg = sx->cfg,
		.reg = sx->reg,
		.dns = sx->dns,
		.auth = sx->auth,
		.loop = sx->el,
		.send = proxy_send,
		.send_ud = sx,
		.inbound = addrs.inbound,
		.outbound = addrs.outbound,
		.public_addr = addrs.public_addr,
		.sdp_rewrite = sx->rtp ? sipmedia_relay : NULL,
		.sdp_ud = sx->rtp,
	};
	sx->pipeline = sip_pipeline_create(&ctx);
	if (!sx->pipeline) {
		log_error("cannot create the SIP pipeline: out of memory");
		return -1;
	}
	/* Started late (an interface came up after the daemon): privileges are already dropped, so
	 * the registration file can be read now; otherwise proxy_load_registrations() does it. */
	if (sx->running)
		proxy_load_registrations(sx);
	sx->next_autosave = el_wall_s(sx->el) + sx->cfg->autosave_registrations;
	el_timer_start(sx->el, &sx->tick, PROXY_TICK_MS, proxy_tick, sx);
	return 0;
}

void proxy_load_registrations(struct siproxd *sx)
{
	/* Like the classic daemon: after chroot, so the path is inside the jail. */
	if (!sx->pipeline)
		return;
	int n = sip_pipeline_load_registrations(sx->pipeline);
	if (n < 0)
		log_warn("registrations from %s not loaded (%s); starting with an empty table",
			 sx->cfg->registration_file, strerror(errno));
	else if (n > 0)
		log_info("%d registrations loaded from %s", n, sx->cfg->registration_file);
}

void proxy_input(void *ud, const char *buf, size_t len, const struct sip_peer *from)
{
	struct siproxd *sx = ud;

	if (sx->pipeline) {
		sip_pipeline_input(sx->pipeline, buf, len, from);
		return;
	}
	char peer[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &from->addr.sin_addr, peer, sizeof peer);
	log_debug(DBCLASS_NET, "%zu bytes from %s:%u dropped: an interface has no address yet", len, peer,
		  ntohs(from->addr.sin_port));
}

void proxy_public_changed(struct siproxd *sx)
{
	struct in_addr pub;

	if (sx->pipeline && netif_outbound_public(sx->netif, &pub) == 0)
		sip_pipeline_set_public(sx->pipeline, pub);
}

void proxy_stop(struct siproxd *sx)
{
	if (sx->el)
		el_timer_stop(sx->el, &sx->tick);
	if (sx->pipeline) {
		proxy_save_registrations(sx);
		sip_pipeline_destroy(sx->pipeline);
		sx->pipeline = NULL;
	}
	if (sx->rtp) {
		rtp_relay_destroy(sx->rtp);
		sx->rtp = NULL;
	}
	if (sx->reg) {
		reg_destroy(sx->reg);
		sx->reg = NULL;
	}
}
