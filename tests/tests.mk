# Unit tests (Check), one program per module; integration tests are run by scripts/test.
if ENABLE_TESTS
UNIT_LIBS = src/libsiproxd.a $(DEPS_LIBS) $(CHECK_LIBS)
UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -DTEST_SRCDIR='"$(abs_top_srcdir)/tests"'
include $(srcdir)/tests/unit/unit.mk
TESTS += $(check_PROGRAMS)
endif
EXTRA_DIST += tests/integration tests/golden tests/fuzz scripts contrib bench
