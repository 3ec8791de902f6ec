# Each module's tests: tests/unit/test_<module>.c

check_PROGRAMS += tests/unit/test_event_loop
tests_unit_test_event_loop_SOURCES = tests/unit/test_event_loop.c
tests_unit_test_event_loop_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_event_loop_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_log
tests_unit_test_log_SOURCES = tests/unit/test_log.c
tests_unit_test_log_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_log_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_registrar
tests_unit_test_registrar_SOURCES = tests/unit/test_registrar.c
tests_unit_test_registrar_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_registrar_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_hmap
tests_unit_test_hmap_SOURCES = tests/unit/test_hmap.c
tests_unit_test_hmap_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hmap_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_registrar_nomem
tests_unit_test_registrar_nomem_SOURCES = tests/unit/test_registrar_nomem.c
tests_unit_test_registrar_nomem_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_registrar_nomem_LDFLAGS = $(AM_LDFLAGS) \
	-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup
tests_unit_test_registrar_nomem_LDADD = $(UNIT_LIBS)
