/* Unit tests of the RTP port pool: range edges, exhaustion, FIFO reuse, bad give-backs. */
#include "build_config.h"

#include "port_pool.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include "unit_run.h"

START_TEST(test_range)
{
	struct port_pool *p = port_pool_create(7070, 7089);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(port_pool_size(p), 10);
	ck_assert_uint_eq(port_pool_take(p), 7070);
	port_pool_destroy(p);

	/* odd low: the first pair starts at the next even port; odd high closes a pair */
	p = port_pool_create(7071, 7075);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(port_pool_size(p), 2);
	ck_assert_uint_eq(port_pool_take(p), 7072);
	ck_assert_uint_eq(port_pool_take(p), 7074);
	ck_assert_uint_eq(port_pool_take(p), 0);
	port_pool_destroy(p);

	/* high bounds the RTP port: the top pair's RTCP is high + 1 (classic semantics) */
	p = port_pool_create(7070, 7072);
	ck_assert_uint_eq(port_pool_size(p), 2);
	port_pool_destroy(p);

	p = port_pool_create(65534, 65535);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(port_pool_take(p), 65534);
	port_pool_destroy(p);

	/* the smallest pool: one pair, 7070/7071 */
	p = port_pool_create(7070, 7070);
	ck_assert_uint_eq(port_pool_size(p), 1);
	port_pool_destroy(p);

	errno = 0;
	ck_assert_ptr_null(port_pool_create(65535, 65535));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(port_pool_create(0, 100));
	ck_assert_ptr_null(port_pool_create(100, 65536));
	ck_assert_ptr_null(port_pool_create(200, 100));
}
END_TEST

START_TEST(test_exhaust_and_fifo)
{
	struct port_pool *p = port_pool_create(10000, 10009);   /* 5 pairs */
	uint16_t got[5];
	bool seen[5] = { false };

	for (int i = 0; i < 5; i++) {
		got[i] = port_pool_take(p);
		ck_assert_uint_ge(got[i], 10000);
		ck_assert_uint_le(got[i], 10008);
		ck_assert_uint_eq(got[i] % 2, 0);
		ck_assert(!seen[(got[i] - 10000) / 2]);
		seen[(got[i] - 10000) / 2] = true;
	}
	ck_assert_uint_eq(port_pool_free(p), 0);
	ck_assert_uint_eq(port_pool_take(p), 0);

	/* given back in the order 3, 1: taken again in that order */
	ck_assert_int_eq(port_pool_give(p, got[3]), 0);
	ck_assert_int_eq(port_pool_give(p, got[1]), 0);
	ck_assert_uint_eq(port_pool_free(p), 2);
	ck_assert_uint_eq(port_pool_take(p), got[3]);
	ck_assert_uint_eq(port_pool_take(p), got[1]);
	ck_assert_uint_eq(port_pool_take(p), 0);

	/* a released port goes to the back: the others free for longer come first */
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(port_pool_give(p, got[i]), 0);
	ck_assert_uint_eq(port_pool_take(p), got[0]);
	ck_assert_int_eq(port_pool_give(p, got[0]), 0);
	ck_assert_uint_eq(port_pool_take(p), got[1]);
	port_pool_destroy(p);
}
END_TEST

START_TEST(test_bad_give)
{
	struct port_pool *p = port_pool_create(10000, 10009);
	uint16_t a = port_pool_take(p);

	ck_assert_int_eq(port_pool_give(p, (uint16_t)(a + 1)), -1);   /* odd: an RTCP port */
	ck_assert_int_eq(port_pool_give(p, 9998), -1);                /* below the range */
	ck_assert_int_eq(port_pool_give(p, 10010), -1);               /* above the range */
	ck_assert_int_eq(port_pool_give(p, 10002), -1);               /* free, not taken */
	ck_assert_int_eq(port_pool_give(p, a), 0);
	ck_assert_int_eq(port_pool_give(p, a), -1);                   /* twice */
	ck_assert_uint_eq(port_pool_free(p), 5);
	port_pool_destroy(p);
}
END_TEST

START_TEST(test_large)
{
	/* the whole port space: no compile-time limit, and take/give stay consistent */
	struct port_pool *p = port_pool_create(1024, 65535);
	size_t n = port_pool_size(p);
	ck_assert_uint_eq(n, (65535 - 1024 + 1) / 2);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_ne(port_pool_take(p), 0);
	ck_assert_uint_eq(port_pool_take(p), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(port_pool_give(p, (uint16_t)(1024 + 2 * i)), 0);
	ck_assert_uint_eq(port_pool_free(p), n);
	port_pool_destroy(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("port_pool");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_range);
	tcase_add_test(tc, test_exhaust_and_fifo);
	tcase_add_test(tc, test_bad_give);
	tcase_add_test(tc, test_large);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
