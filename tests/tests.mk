# Unit tests (Check), one program per module; integration tests are run by scripts/test.
if ENABLE_TESTS
UNIT_LIBS = src/libsiproxd.a $(DEPS_LIBS) $(CHECK_LIBS)
UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -DTEST_SRCDIR='"$(abs_top_srcdir)/tests"'
include $(srcdir)/tests/unit/unit.mk
TESTS += $(check_PROGRAMS)
endif
EXTRA_DIST += tests/integration scripts .ci/run

# Directories that arrive with later issues are shipped when they exist; naming a missing one in
# EXTRA_DIST would break `make dist`.
DIST_OPTIONAL_DIRS = tests/golden tests/fuzz contrib bench
dist-hook:
	for d in $(DIST_OPTIONAL_DIRS); do \
		if test -d "$(srcdir)/$$d"; then \
			mkdir -p "$(distdir)/$$d" && cp -pR "$(srcdir)/$$d/." "$(distdir)/$$d/" && \
			chmod -R u+w "$(distdir)/$$d"; \
		fi; \
	done
