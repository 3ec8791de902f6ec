# Each module's tests: tests/unit/test_<module>.c
check_PROGRAMS += tests/unit/test_daemon
tests_unit_test_daemon_SOURCES = tests/unit/test_daemon.c tests/unit/unit_run.h
tests_unit_test_daemon_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_daemon_LDADD = $(UNIT_LIBS)
check_PROGRAMS += tests/unit/test_netif
tests_unit_test_netif_SOURCES = tests/unit/test_netif.c tests/unit/unit_run.h
tests_unit_test_netif_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_netif_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_event_loop
tests_unit_test_event_loop_SOURCES = tests/unit/test_event_loop.c
tests_unit_test_event_loop_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_event_loop_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_log
tests_unit_test_log_SOURCES = tests/unit/test_log.c
tests_unit_test_log_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_log_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=openlog,--wrap=syslog,--wrap=__syslog_chk
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

check_PROGRAMS += tests/unit/test_port_pool
tests_unit_test_port_pool_SOURCES = tests/unit/test_port_pool.c
tests_unit_test_port_pool_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_port_pool_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_rtp_relay
tests_unit_test_rtp_relay_SOURCES = tests/unit/test_rtp_relay.c
tests_unit_test_rtp_relay_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_rtp_relay_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_sdp_rewrite
tests_unit_test_sdp_rewrite_SOURCES = tests/unit/test_sdp_rewrite.c
tests_unit_test_sdp_rewrite_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_sdp_rewrite_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_acl
tests_unit_test_acl_SOURCES = tests/unit/test_acl.c
tests_unit_test_acl_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_acl_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_config
tests_unit_test_config_SOURCES = tests/unit/test_config.c
tests_unit_test_config_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_config_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_digest_auth
tests_unit_test_digest_auth_SOURCES = tests/unit/test_digest_auth.c
tests_unit_test_digest_auth_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_digest_auth_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_dns
tests_unit_test_dns_SOURCES = tests/unit/test_dns.c
tests_unit_test_dns_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_dns_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_sip_golden
tests_unit_test_sip_golden_SOURCES = tests/unit/test_sip_golden.c
tests_unit_test_sip_golden_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_sip_golden_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_sip_pipeline
tests_unit_test_sip_pipeline_SOURCES = tests/unit/test_sip_pipeline.c
tests_unit_test_sip_pipeline_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_sip_pipeline_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_sip_transport
tests_unit_test_sip_transport_SOURCES = tests/unit/test_sip_transport.c
tests_unit_test_sip_transport_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_sip_transport_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_sip_e2e
tests_unit_test_sip_e2e_SOURCES = tests/unit/test_sip_e2e.c
tests_unit_test_sip_e2e_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_sip_e2e_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_sip_media
tests_unit_test_sip_media_SOURCES = tests/unit/test_sip_media.c
tests_unit_test_sip_media_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_sip_media_LDADD = $(UNIT_LIBS)
