# Benchmarks: built with the rest, run by hand (not timed tests). Results in bench/RESULTS.md.
noinst_PROGRAMS += bench/rtpload
bench_rtpload_SOURCES = bench/rtpload.c
bench_rtpload_LDADD = src/libsiproxd.a $(DEPS_LIBS)
noinst_PROGRAMS += bench/regbench
bench_regbench_SOURCES = bench/regbench.c
noinst_PROGRAMS += bench/callload
bench_callload_SOURCES = bench/callload.c
