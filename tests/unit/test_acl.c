/* Unit tests of the CIDR access lists: parsing, matching and the classic acl_check semantics. */
#include "build_config.h"

#include <arpa/inet.h>
#include <check.h>
#include <string.h>

#include "acl.h"
#include "unit_run.h"

static struct in_addr ip(const char *s)
{
	struct in_addr a;
	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

START_TEST(parse_list_with_blanks)
{
	struct acl acl;
	char err[200];

	ck_assert_int_eq(acl_parse(&acl, " 10.0.0.0/8 ,192.168.1.5,\t172.16.0.0/12 ", err, sizeof err), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(acl.n, 3);
	ck_assert_uint_eq(acl.entries[0].net, 0x0a000000u);
	ck_assert_uint_eq(acl.entries[0].mask, 0xff000000u);
	ck_assert_uint_eq(acl.entries[1].net, 0xc0a80105u);
	ck_assert_uint_eq(acl.entries[1].mask, 0xffffffffu);
	ck_assert(acl_match(&acl, ip("10.200.3.4")));
	ck_assert(acl_match(&acl, ip("192.168.1.5")));
	ck_assert(!acl_match(&acl, ip("192.168.1.6")));
	ck_assert(acl_match(&acl, ip("172.31.255.255")));
	ck_assert(!acl_match(&acl, ip("172.32.0.0")));
	acl_free(&acl);
}
END_TEST

START_TEST(parse_empty)
{
	struct acl acl;
	char err[100];

	ck_assert_int_eq(acl_parse(&acl, NULL, err, sizeof err), 0);
	ck_assert(acl_empty(&acl));
	ck_assert_int_eq(acl_parse(&acl, "  ", err, sizeof err), 0);
	ck_assert(acl_empty(&acl));
	ck_assert(!acl_match(&acl, ip("1.2.3.4")));
	acl_free(&acl);
}
END_TEST

START_TEST(parse_errors)
{
	static const struct {
		const char *text, *expect;
	} bad[] = {
		{ "10.0.0.0/33", "out of range 0..32" },
		{ "10.0.0.0/", "mask must be a number" },
		{ "10.0.0.0/8x", "mask must be a number" },
		{ "10.0.0.0/-1", "mask must be a number" },
		{ "10.0.0/8", "not a numeric IPv4 address" },
		{ "host.example.org/32", "not a numeric IPv4 address" },
		{ "1.2.3.4,,5.6.7.8", "empty entry" },
		{ "1.2.3.4,", "empty entry" },
		{ "1.2.3.4 5.6.7.8", "not a numeric IPv4 address" },
		{ "::1/128", "not a numeric IPv4 address" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct acl acl;
		char err[200] = "";
		ck_assert_msg(acl_parse(&acl, bad[i].text, err, sizeof err) == -1, "accepted %s", bad[i].text);
		ck_assert_msg(strstr(err, bad[i].expect) != NULL, "%s: %s", bad[i].text, err);
		ck_assert(acl_empty(&acl));
	}
}
END_TEST

START_TEST(host_bits_are_masked_with_a_note)
{
	struct acl acl;
	char err[200];

	ck_assert_int_eq(acl_parse(&acl, "10.1.2.3/8", err, sizeof err), 0);
	ck_assert_ptr_nonnull(strstr(err, "using 10.0.0.0/8"));
	ck_assert_uint_eq(acl.entries[0].net, 0x0a000000u);
	ck_assert(acl_match(&acl, ip("10.9.9.9")));
	acl_free(&acl);
}
END_TEST

START_TEST(mask_edges)
{
	struct acl acl;
	char err[100];

	ck_assert_int_eq(acl_parse(&acl, "0.0.0.0/0", err, sizeof err), 0);
	ck_assert(acl_match(&acl, ip("255.255.255.255")));
	ck_assert(acl_match(&acl, ip("0.0.0.1")));
	acl_free(&acl);
	ck_assert_int_eq(acl_parse(&acl, "192.168.1.128/25", err, sizeof err), 0);
	ck_assert(acl_match(&acl, ip("192.168.1.255")));
	ck_assert(!acl_match(&acl, ip("192.168.1.127")));
	acl_free(&acl);
}
END_TEST

static void set_parse(struct acl_set *s, const char *deny, const char *allow_sip, const char *allow_reg)
{
	char err[100];
	ck_assert_int_eq(acl_parse(&s->deny_sip, deny, err, sizeof err), 0);
	ck_assert_int_eq(acl_parse(&s->allow_sip, allow_sip, err, sizeof err), 0);
	ck_assert_int_eq(acl_parse(&s->allow_reg, allow_reg, err, sizeof err), 0);
}

static void set_free(struct acl_set *s)
{
	acl_free(&s->deny_sip);
	acl_free(&s->allow_sip);
	acl_free(&s->allow_reg);
}

START_TEST(check_all_empty_allows_everything)
{
	struct acl_set s;
	set_parse(&s, NULL, NULL, NULL);
	ck_assert_uint_eq(acl_check(&s, ip("8.8.8.8")), ACL_ALLOW_SIP | ACL_ALLOW_REG);
	set_free(&s);
}
END_TEST

START_TEST(check_deny_wins)
{
	struct acl_set s;
	set_parse(&s, "192.168.1.66", "192.168.1.0/24", "192.168.1.0/24");
	ck_assert_uint_eq(acl_check(&s, ip("192.168.1.66")), 0);
	ck_assert_uint_eq(acl_check(&s, ip("192.168.1.65")), ACL_ALLOW_SIP | ACL_ALLOW_REG);
	set_free(&s);
}
END_TEST

START_TEST(check_allow_reg_grants_sip)
{
	struct acl_set s;
	/* allow_sip lists only the provider; a LAN host in allow_reg still gets SIP. */
	set_parse(&s, NULL, "203.0.113.0/24", "192.168.1.0/24");
	ck_assert_uint_eq(acl_check(&s, ip("192.168.1.10")), ACL_ALLOW_SIP | ACL_ALLOW_REG);
	ck_assert_uint_eq(acl_check(&s, ip("203.0.113.5")), ACL_ALLOW_SIP);
	ck_assert_uint_eq(acl_check(&s, ip("198.51.100.1")), 0);
	set_free(&s);
}
END_TEST

START_TEST(check_allow_reg_only)
{
	struct acl_set s;
	set_parse(&s, NULL, NULL, "192.168.1.0/24");
	ck_assert_uint_eq(acl_check(&s, ip("192.168.1.10")), ACL_ALLOW_SIP | ACL_ALLOW_REG);
	ck_assert_uint_eq(acl_check(&s, ip("198.51.100.1")), ACL_ALLOW_SIP);
	set_free(&s);
}
END_TEST

START_TEST(check_deny_only)
{
	struct acl_set s;
	set_parse(&s, "10.0.0.0/8", NULL, NULL);
	ck_assert_uint_eq(acl_check(&s, ip("10.1.1.1")), 0);
	ck_assert_uint_eq(acl_check(&s, ip("11.1.1.1")), ACL_ALLOW_SIP | ACL_ALLOW_REG);
	set_free(&s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("acl");
	TCase *tc = tcase_create("acl");

	tcase_add_test(tc, parse_list_with_blanks);
	tcase_add_test(tc, parse_empty);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, host_bits_are_masked_with_a_note);
	tcase_add_test(tc, mask_edges);
	tcase_add_test(tc, check_all_empty_allows_everything);
	tcase_add_test(tc, check_deny_wins);
	tcase_add_test(tc, check_allow_reg_grants_sip);
	tcase_add_test(tc, check_allow_reg_only);
	tcase_add_test(tc, check_deny_only);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
