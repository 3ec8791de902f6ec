# Each module's tests: tests/unit/test_<module>.c

check_PROGRAMS += tests/unit/test_registrar
tests_unit_test_registrar_SOURCES = tests/unit/test_registrar.c
tests_unit_test_registrar_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_registrar_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_hmap
tests_unit_test_hmap_SOURCES = tests/unit/test_hmap.c
tests_unit_test_hmap_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hmap_LDADD = $(UNIT_LIBS)
