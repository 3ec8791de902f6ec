# The daemon: everything but main.c lives in a convenience library so that the unit tests,
# the fuzz targets and the benchmarks link the same code as the daemon.
noinst_LIBRARIES += src/libsiproxd.a
src_libsiproxd_a_SOURCES = \
	src/log.c src/log.h \
	src/daemon.c src/daemon.h \
	src/netif.c src/netif.h \
	src/status.c src/siproxd.h \
	src/event_loop.c src/event_loop.h \
	src/debug_port.c src/debug_port.h \
	src/hmap.c src/hmap.h \
	src/reg_key.c src/reg_key.h \
	src/registrar.c src/registrar.h \
	src/reg_file.c

sbin_PROGRAMS += src/siproxd
src_siproxd_SOURCES = src/main.c
src_siproxd_LDADD = src/libsiproxd.a $(DEPS_LIBS)
