# The daemon: everything but main.c lives in a convenience library so that the unit tests,
# the fuzz targets and the benchmarks link the same code as the daemon.
noinst_LIBRARIES += src/libsiproxd.a
src_libsiproxd_a_SOURCES = \
	src/log.c src/log.h \
	src/daemon.c src/daemon.h \
	src/netif.c src/netif.h \
	src/status.c src/siproxd.h \
	src/sip_message.c src/sip_message.h \
	src/sip_checks.c src/sip_checks.h \
	src/sip_response.c src/sip_response.h \
	src/sip_rewrite.c src/sip_rewrite.h \
	src/sip_callid.c src/sip_callid.h \
	src/sip_seal.c src/sip_seal.h \
	src/sip_via.c src/sip_via.h \
	src/sip_media.c src/sip_media.h \
	src/sip_register.c src/sip_register.h \
	src/sip_route.c src/sip_route.h \
	src/sip_pipeline.c src/sip_pipeline.h src/sip_ticket.h \
	src/via_stash.c src/via_stash.h \
	src/siphash.c src/siphash.h \
	src/sip_obscure.c src/sip_obscure.h \
	src/event_loop.c src/event_loop.h \
	src/debug_port.c src/debug_port.h \
	src/hmap.c src/hmap.h \
	src/reg_key.c src/reg_key.h \
	src/registrar.c src/registrar.h \
	src/reg_file.c
src_libsiproxd_a_SOURCES += src/acl.c src/acl.h
src_libsiproxd_a_SOURCES += src/config.c src/config.h src/config_compat.c src/config_compat.h
src_libsiproxd_a_SOURCES += src/config_options.c src/config_options.h src/config_print.c
src_libsiproxd_a_SOURCES += src/digest_auth.c src/digest_auth.h
src_libsiproxd_a_SOURCES += src/dns.c src/dns.h
src_libsiproxd_a_SOURCES += src/port_pool.c src/port_pool.h
src_libsiproxd_a_SOURCES += src/rtp_relay.c src/rtp_relay.h src/rtp_dejitter.c src/rtp_dejitter.h
src_libsiproxd_a_SOURCES += src/sdp_rewrite.c src/sdp_rewrite.h
src_libsiproxd_a_SOURCES += src/sip_framing.c src/sip_framing.h src/sip_tcp.c src/sip_tcp.h
src_libsiproxd_a_SOURCES += src/sip_transport.c src/sip_transport.h

sbin_PROGRAMS += src/siproxd
src_siproxd_SOURCES = src/main.c
src_siproxd_LDADD = src/libsiproxd.a $(DEPS_LIBS)
