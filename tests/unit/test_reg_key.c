/* Unit tests of the registration keys: the plain-URI fast path gives exactly what libosip2's parse gives. */
#include "build_config.h"

#include "reg_key.h"
#include "unit_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * uri takes the fast path; uri with a parameter added cannot (';' is not a plain character) and
 * goes through osip_uri_parse. Parameters are not part of a key, so both keys must be equal.
 */
static void same_key_both_ways(const char *uri, bool with_port, const char *want)
{
	char slow_uri[512];
	struct reg_key fast, slow;

	snprintf(slow_uri, sizeof(slow_uri), "%s;transport=udp", uri);
	ck_assert_int_eq(reg_key_make(&fast, uri, with_port), 0);
	ck_assert_int_eq(reg_key_make(&slow, slow_uri, with_port), 0);
	ck_assert_str_eq(fast.str, want);
	ck_assert_str_eq(slow.str, want);
	ck_assert_uint_eq(fast.len, slow.len);
	ck_assert_uint_eq(fast.user_off, slow.user_off);
	ck_assert_uint_eq(fast.user_len, slow.user_len);
	ck_assert_uint_eq(fast.host_off, slow.host_off);
	ck_assert_uint_eq(fast.host_len, slow.host_len);
	ck_assert(fast.parsed && slow.parsed);
	reg_key_clear(&fast);
	reg_key_clear(&slow);
}

START_TEST(test_fast_path_matches_libosip2)
{
	same_key_both_ways("sip:p1@198.51.100.2", false, "sip:p1@198.51.100.2");
	same_key_both_ways("sip:p1@198.51.100.2", true, "sip:p1@198.51.100.2:5060");
	same_key_both_ways("SIP:Alice@Example.COM", true, "sip:Alice@example.com:5060");
	same_key_both_ways("sips:+4930123.x_y~z-1@host-a.example:5070", true, "sips:+4930123.x_y~z-1@host-a.example:5070");
	same_key_both_ways("sip:bob@10.0.0.1:05060", true, "sip:bob@10.0.0.1:5060");
	same_key_both_ways("sip:bob@10.0.0.1:99999", true, "sip:bob@10.0.0.1:99999");
	same_key_both_ways("sip:bob@10.0.0.1:5070", false, "sip:bob@10.0.0.1");
}
END_TEST

START_TEST(test_other_forms_still_parsed)
{
	struct reg_key k;

	/* No user part, or no host: through libosip2, as before. */
	ck_assert_int_eq(reg_key_make(&k, "sip:10.0.0.1:5070", true), 0);
	ck_assert_str_eq(k.str, "sip:@10.0.0.1:5070");
	ck_assert_uint_eq(k.user_len, 0);
	reg_key_clear(&k);
	ck_assert_int_eq(reg_key_make(&k, "tel:+4930123", true), 0);
	ck_assert_str_eq(k.str, "tel:+4930123");     /* no host: verbatim */
	ck_assert(!k.parsed);
	reg_key_clear(&k);
}
END_TEST

static Suite *reg_key_suite(void)
{
	Suite *s = suite_create("reg_key");
	TCase *tc = tcase_create("keys");
	tcase_add_test(tc, test_fast_path_matches_libosip2);
	tcase_add_test(tc, test_other_forms_still_parsed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(reg_key_suite());
}
