# Each module's tests: tests/unit/test_<module>.c

check_PROGRAMS += tests/unit/test_sip_transport
tests_unit_test_sip_transport_SOURCES = tests/unit/test_sip_transport.c
tests_unit_test_sip_transport_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_sip_transport_LDADD = $(UNIT_LIBS)
