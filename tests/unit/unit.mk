# Each module's tests: tests/unit/test_<module>.c
check_PROGRAMS += tests/unit/test_daemon
tests_unit_test_daemon_SOURCES = tests/unit/test_daemon.c tests/unit/unit_run.h
tests_unit_test_daemon_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_daemon_LDADD = $(UNIT_LIBS)
check_PROGRAMS += tests/unit/test_netif
tests_unit_test_netif_SOURCES = tests/unit/test_netif.c tests/unit/unit_run.h
tests_unit_test_netif_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_netif_LDADD = $(UNIT_LIBS)
