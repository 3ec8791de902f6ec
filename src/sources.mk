# The daemon: everything but main.c lives in a convenience library so that the unit tests,
# the fuzz targets and the benchmarks link the same code as the daemon.
noinst_LIBRARIES += src/libsiproxd.a
src_libsiproxd_a_SOURCES = \
	src/log.c src/log.h \
	src/event_loop.c src/event_loop.h \
	src/debug_port.c src/debug_port.h \
	src/hmap.c src/hmap.h \
	src/reg_key.c src/reg_key.h \
	src/registrar.c src/registrar.h \
	src/reg_file.c \
	src/port_pool.c src/port_pool.h \
	src/rtp_dejitter.c src/rtp_dejitter.h \
	src/rtp_relay.c src/rtp_relay.h \
	src/sdp_rewrite.c src/sdp_rewrite.h

sbin_PROGRAMS += src/siproxd
src_siproxd_SOURCES = src/main.c
src_siproxd_LDADD = src/libsiproxd.a $(DEPS_LIBS)
