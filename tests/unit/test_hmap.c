/* Unit tests of the hash map: insert, replace, delete (backward shift), growth, against a plain array. */
#include "build_config.h"

#include "hmap.h"
#include "siphash.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit_run.h"

START_TEST(test_basic)
{
	struct hmap m;
	int a = 1, b = 2;

	hmap_init(&m, 42);
	ck_assert_ptr_null(hmap_get(&m, "x", 1));
	ck_assert_ptr_null(hmap_del(&m, "x", 1));
	ck_assert_int_eq(hmap_put(&m, "alpha", 5, &a), 0);
	ck_assert_int_eq(hmap_put(&m, "alphabet", 8, &b), 0);
	ck_assert_ptr_eq(hmap_get(&m, "alpha", 5), &a);
	ck_assert_ptr_eq(hmap_get(&m, "alphabet", 8), &b);
	ck_assert_ptr_null(hmap_get(&m, "alph", 4));
	ck_assert_ptr_null(hmap_get(&m, "ALPHA", 5));
	ck_assert_int_eq(hmap_put(&m, "alpha", 5, &b), 0);       /* replaces */
	ck_assert_uint_eq(hmap_count(&m), 2);
	ck_assert_ptr_eq(hmap_get(&m, "alpha", 5), &b);
	ck_assert_int_eq(hmap_put(&m, "", 0, &a), 0);             /* the empty key is a key */
	ck_assert_ptr_eq(hmap_get(&m, "", 0), &a);
	ck_assert_ptr_eq(hmap_del(&m, "alpha", 5), &b);
	ck_assert_ptr_null(hmap_get(&m, "alpha", 5));
	ck_assert_ptr_eq(hmap_get(&m, "alphabet", 8), &b);
	ck_assert_uint_eq(hmap_count(&m), 2);
	hmap_fini(&m);
}
END_TEST

START_TEST(test_seed_changes_hash)
{
	ck_assert_uint_ne(hmap_hash(1, "key", 3), hmap_hash(2, "key", 3));
	ck_assert_uint_eq(hmap_hash(1, "key", 3), hmap_hash(1, "key", 3));
	ck_assert_uint_ne(hmap_hash(1, "key", 3), hmap_hash(1, "kez", 3));
}
END_TEST

#define REF_MAX 2000

/*
 * Random inserts and deletes over n keys, checked against a plain array. Small n keeps the
 * table small, and the seed moves the keys around, so probe runs often wrap around its end.
 */
static void random_against_reference(uint64_t seed, int n, int steps, int check_every)
{
	static char keys[REF_MAX][16];
	static int present[REF_MAX];
	struct hmap m;

	hmap_init(&m, seed);
	srand((unsigned)seed);
	for (int i = 0; i < n; i++) {
		snprintf(keys[i], sizeof keys[i], "k%d", i);
		present[i] = 0;
	}
	/* Check records every assertion with the parent process: count mismatches, assert once. */
	int wrong = 0;
	for (int step = 0; step < steps; step++) {
		int i = rand() % n;
		size_t len = strlen(keys[i]);
		if (rand() % 3) {
			wrong += hmap_put(&m, keys[i], len, keys[i]) != 0;
			present[i] = 1;
		} else {
			void *v = hmap_del(&m, keys[i], len);
			wrong += v != (present[i] ? keys[i] : NULL);
			present[i] = 0;
		}
		if (step % check_every == 0) {
			size_t count = 0;
			for (int j = 0; j < n; j++) {
				count += present[j];
				wrong += hmap_get(&m, keys[j], strlen(keys[j])) != (present[j] ? keys[j] : NULL);
			}
			wrong += hmap_count(&m) != count;
		}
	}
	ck_assert_int_eq(wrong, 0);
	/* emptying it completely leaves every slot free */
	for (int j = 0; j < n; j++)
		hmap_del(&m, keys[j], strlen(keys[j]));
	ck_assert_uint_eq(hmap_count(&m), 0);
	for (size_t s = 0; s < m.cap; s++)
		wrong += m.slot[s].key != NULL;
	ck_assert_int_eq(wrong, 0);
	hmap_fini(&m);
}

START_TEST(test_random_small)
{
	for (uint64_t seed = 1; seed <= 300; seed++)
		random_against_reference(seed, 12, 200, 1);
}
END_TEST

START_TEST(test_random_large) { random_against_reference(7, REF_MAX, 60000, 601); }
END_TEST

/* The reference vectors of the SipHash paper (appendix A): key 00..0f, messages 00..(n-1). */
START_TEST(test_siphash_vectors)
{
	unsigned char key[SIPHASH_KEY_LEN], msg[64];

	for (int i = 0; i < 64; i++)
		msg[i] = (unsigned char)i;
	for (int i = 0; i < SIPHASH_KEY_LEN; i++)
		key[i] = (unsigned char)i;
	ck_assert_uint_eq(siphash24(key, msg, 0), 0x726fdb47dd0e0e31ull);
	ck_assert_uint_eq(siphash24(key, msg, 15), 0xa129ca6149be45e5ull);
	ck_assert_uint_eq(siphash24(key, msg, 8), 0x93f5f5799a932462ull);
}
END_TEST

START_TEST(test_reserve)
{
	struct hmap m;

	hmap_init(&m, 0);
	ck_assert_int_eq(hmap_reserve(&m, 1000), 0);
	size_t cap = m.cap;
	ck_assert_uint_ge(cap, 2000);
	static char keys[1000][8];
	for (int i = 0; i < 1000; i++) {
		snprintf(keys[i], sizeof keys[i], "%d", i);
		if (hmap_put(&m, keys[i], strlen(keys[i]), keys[i]) != 0)
			ck_abort_msg("hmap_put failed after hmap_reserve");
	}
	ck_assert_uint_eq(m.cap, cap);     /* reserved: no rehash happened */
	hmap_fini(&m);
}
END_TEST

static Suite *hmap_suite(void)
{
	Suite *s = suite_create("hmap");
	TCase *tc = tcase_create("map");
	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_seed_changes_hash);
	tcase_add_test(tc, test_random_small);
	tcase_add_test(tc, test_random_large);
	tcase_add_test(tc, test_reserve);
	tcase_add_test(tc, test_siphash_vectors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(hmap_suite());
}
