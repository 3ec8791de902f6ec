/* Unit tests of the registration table when memory runs out: every failing allocation leaves it unchanged. */
#include "build_config.h"

#include "registrar.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "unit_run.h"

/*
 * Linked with -Wl,--wrap for the allocators the table calls: the n-th allocation from now fails.
 * libosip2's own allocations are not wrapped; they sit inside osip_uri_parse, which reports them.
 */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);

static long fail_countdown = -1;

static bool fail_now(void)
{
	if (fail_countdown < 0)
		return false;
	if (fail_countdown-- > 0)
		return false;
	errno = ENOMEM;
	return true;
}

void *__wrap_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { return fail_now() ? NULL : __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t n) { return fail_now() ? NULL : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { return fail_now() ? NULL : __real_strdup(s); }

static struct sockaddr_in src(uint32_t host)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(host) };
}

/* What the lookups say about one binding, to compare before and after a failed call. */
static void expect_intact(struct registrar *reg, size_t count)
{
	struct reg_binding *out[4];

	ck_assert_uint_eq(reg_count(reg), count);
	ck_assert_uint_eq(reg_find_aor_routable(reg, "sip:a@x", 100, out, 4), 1);
	ck_assert_str_eq(out[0]->masq_url, "sip:a@wan");
	ck_assert_ptr_eq(reg_find_masq(reg, "sip:a@wan"), out[0]);
	ck_assert_ptr_eq(reg_find_contact(reg, "sip:a@10.0.0.1"), out[0]);
	ck_assert_ptr_eq(reg_find_source(reg, src(0x0a000001).sin_addr), out[0]);
	ck_assert_uint_eq(reg_find_user_routable(reg, "a", 100, out, 4), 1);
}

static void after_failed_add(struct registrar *reg)
{
	expect_intact(reg, 1);
	ck_assert_ptr_null(reg_find_masq(reg, "sip:b@wan"));
	ck_assert_ptr_null(reg_find_source(reg, src(0x0a000002).sin_addr));
}

static void after_failed_refresh(struct registrar *reg)
{
	expect_intact(reg, 2);
	ck_assert_ptr_null(reg_find_masq(reg, "sip:a@wan2"));
	ck_assert_ptr_null(reg_find_source(reg, src(0x0a000009).sin_addr));
}

/*
 * Fails the 1st, 2nd, ... allocation of reg_bind until it succeeds; after each failure check()
 * confirms that nothing changed. Returns how many failures were tried.
 */
static int bind_under_failures(struct registrar *reg, const char *aor, const char *contact, const char *masq,
			       uint32_t from, void (*check)(struct registrar *))
{
	struct sockaddr_in s = src(from);

	for (long n = 0;; n++) {
		fail_countdown = n;
		struct reg_binding *b = reg_bind(reg, aor, contact, masq, &s, 0, 2000, true);
		fail_countdown = -1;
		if (b)
			return (int)n;
		ck_assert_int_eq(errno, ENOMEM);
		check(reg);
	}
}

START_TEST(test_add_and_refresh_under_failures)
{
	struct registrar *reg = reg_create(100);
	struct sockaddr_in s1 = src(0x0a000001);
	ck_assert_ptr_nonnull(reg_bind(reg, "sip:a@x", "sip:a@10.0.0.1", "sip:a@wan", &s1, 0, 1000, true));

	/* a new binding with keys in every index, all of them new groups */
	ck_assert_int_gt(bind_under_failures(reg, "sip:b@y", "sip:b@10.0.0.2", "sip:b@wan", 0x0a000002,
					     after_failed_add), 5);
	ck_assert_uint_eq(reg_count(reg), 2);

	/* a refresh that moves the binding to a new masq key and a new source */
	ck_assert_int_gt(bind_under_failures(reg, "sip:a@x", "sip:a@10.0.0.1", "sip:a@wan2", 0x0a000009,
					     after_failed_refresh), 3);
	ck_assert_ptr_null(reg_find_masq(reg, "sip:a@wan"));
	ck_assert_ptr_nonnull(reg_find_masq(reg, "sip:a@wan2"));
	ck_assert_ptr_nonnull(reg_find_source(reg, src(0x0a000009).sin_addr));
	ck_assert_ptr_null(reg_find_source(reg, s1.sin_addr));
	reg_destroy(reg);
}
END_TEST

/* Growth of the tables fails at some point while many bindings go in; all that went in stays found. */
START_TEST(test_growth_under_failures)
{
	struct registrar *reg = reg_create(1000);
	char aor[32], contact[32];
	size_t added = 0;

	for (int i = 0; i < 300; i++) {
		snprintf(aor, sizeof aor, "sip:u%d@x", i);
		snprintf(contact, sizeof contact, "sip:u%d@10.0.%d.%d", i, i / 256, i % 256);
		struct sockaddr_in s = src(0x0a000000u | (uint32_t)i);
		fail_countdown = i % 13 == 0 ? i % 7 : -1;
		struct reg_binding *b = reg_bind(reg, aor, contact, "sip:m@wan", &s, 0, 1000, true);
		fail_countdown = -1;
		added += b != NULL;
	}
	ck_assert_uint_eq(reg_count(reg), added);
	ck_assert_uint_lt(added, 300);
	int wrong = 0;
	for (int i = 0; i < 300; i++) {
		struct reg_binding *out[1];
		snprintf(aor, sizeof aor, "sip:u%d@x", i);
		size_t n = reg_find_aor_routable(reg, aor, 100, out, 1);
		wrong += (n == 1) != (reg_find_source(reg, src(0x0a000000u | (uint32_t)i).sin_addr) != NULL);
	}
	ck_assert_int_eq(wrong, 0);
	reg_destroy(reg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("registrar_nomem");
	TCase *tc = tcase_create("nomem");
	tcase_add_test(tc, test_add_and_refresh_under_failures);
	tcase_add_test(tc, test_growth_under_failures);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
