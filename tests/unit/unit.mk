# Each module's tests: tests/unit/test_<module>.c

check_PROGRAMS += tests/unit/test_digest_auth
tests_unit_test_digest_auth_SOURCES = tests/unit/test_digest_auth.c
tests_unit_test_digest_auth_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_digest_auth_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_dns
tests_unit_test_dns_SOURCES = tests/unit/test_dns.c
tests_unit_test_dns_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_dns_LDADD = $(UNIT_LIBS)
