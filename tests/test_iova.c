/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * src/iova.c against itself: the gap-skipping walk must give exactly the
 * addresses of the kernel's plain walk (__alloc_and_insert_iova_range,
 * iova_linear_walk) over long random sequences of allocations and frees
 * with sizes inside and beyond the range caches, 32-bit and 48-bit
 * limits and small spaces that fill up (failures, retries, the
 * max32_alloc_size hint, the cache flush on failure).  Plus the range
 * caches' LIFO order and the kernel's placement example.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"
#include "testutil.h"

struct live {
	uint64_t pfn, size;
};

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t alloc_on(struct iova_domain *d, bool linear, uint64_t size,
			 uint64_t limit)
{
	uint64_t pfn;

	iova_linear_walk = linear;
	pfn = alloc_iova_fast(d, size, limit, true, NULL);
	iova_linear_walk = false;
	return pfn;
}

static void differential(uint64_t seed, uint64_t space_pfns, unsigned ops)
{
	struct iova_domain *a = iova_domain_create(4096, 1);
	struct iova_domain *b = iova_domain_create(4096, 1);
	struct live *lv = calloc(ops, sizeof(*lv));
	size_t n = 0, fails = 0;

	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(lv);
	rng = seed;
	for (unsigned i = 0; i < ops; i++) {
		uint64_t r = rnd();

		if (n && r % 100 < 45) {
			size_t k = (size_t)(rnd() % n);

			free_iova_fast(a, lv[k].pfn, lv[k].size);
			free_iova_fast(b, lv[k].pfn, lv[k].size);
			lv[k] = lv[--n];
		} else {
			static const uint64_t sizes[] = { 1, 1, 1, 2, 3, 4, 5, 8, 16, 17, 31,
							  32, 33, 64, 100, 128, 200 };
			uint64_t size = sizes[rnd() % (sizeof(sizes) / sizeof(sizes[0]))];
			uint64_t limit = r & 1 ? space_pfns - 1 :
				(space_pfns > (1ULL << 20) ? (1ULL << 20) - 1 : space_pfns / 2);
			uint64_t pa = alloc_on(a, true, size, limit);
			uint64_t pb = alloc_on(b, false, size, limit);

			if (pa != pb)
				fail_msg("seed %llu op %u: size %llu limit %#llx: plain walk %#llx, skipping walk %#llx",
					 (unsigned long long)seed, i, (unsigned long long)size,
					 (unsigned long long)limit, (unsigned long long)pa,
					 (unsigned long long)pb);
			if (pa) {
				lv[n].pfn = pa;
				lv[n].size = size;
				n++;
			} else {
				fails++;
			}
		}
	}
	{
		struct iova_stats sa, sb;

		iova_get_stats(a, &sa);
		iova_get_stats(b, &sb);
		assert_int_equal(sa.live, sb.live);
		/* the point of the jumps */
		assert_true(sb.walk_steps <= sa.walk_steps);
	}
	if (space_pfns < (1ULL << 16))
		assert_true(fails > 0);	/* the small space did fill up */
	iova_domain_destroy(a);
	iova_domain_destroy(b);
	free(lv);
}

static void same_answers_large_space(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 4; seed++)
		differential(seed * 0x9e3779b97f4a7c15ULL, 1ULL << 36, 6000);
}

static void same_answers_small_space(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 6; seed++)
		differential(seed * 0xd1b54a32d192ed03ULL, 1ULL << 12, 6000);
}

/* The kernel's answers for a 32-bit device (the oracle's README). */
static void kernel_placement(void **state)
{
	static const uint64_t pages[] = { 1, 2, 3, 5, 31, 32, 33, 1 };
	static const uint64_t want[] = { 0xfffff, 0xffffc, 0xffff8, 0xffff0,
					 0xfffc0, 0xfffa0, 0xfff40, 0xfff3f };
	struct iova_domain *d = iova_domain_create(4096, 1);

	(void)state;
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(alloc_iova_fast(d, pages[i], 0xfffff, true, NULL), want[i]);
	iova_domain_destroy(d);
}

/* Freed ranges come back newest first, per size class, and only under
 * the limit; a miss falls to the tree. */
static void range_cache_lifo(void **state)
{
	struct iova_domain *d = iova_domain_create(4096, 1);
	struct iova_stats st;
	bool hit;

	(void)state;
	assert_int_equal(alloc_iova_fast(d, 1, 0xfffff, true, &hit), 0xfffff);
	assert_false(hit);
	assert_int_equal(alloc_iova_fast(d, 1, 0xfffff, true, NULL), 0xffffe);
	assert_int_equal(alloc_iova_fast(d, 1, 0xfffff, true, NULL), 0xffffd);
	free_iova_fast(d, 0xfffff, 1);
	free_iova_fast(d, 0xffffd, 1);
	assert_int_equal(alloc_iova_fast(d, 1, 0xfffff, true, &hit), 0xffffd);
	assert_true(hit);
	/* a lower limit skips the cached range above it */
	assert_int_equal(alloc_iova_fast(d, 1, 0xffffe, true, &hit), 0xffffc);
	assert_false(hit);
	assert_int_equal(alloc_iova_fast(d, 1, 0xfffff, true, &hit), 0xfffff);
	assert_true(hit);
	/* 3 granules are the 4-granule class: the 1-granule cache is not used */
	free_iova_fast(d, 0xffffe, 1);
	assert_int_equal(alloc_iova_fast(d, 3, 0xfffff, true, &hit), 0xffff8);
	assert_false(hit);
	iova_get_stats(d, &st);
	assert_int_equal(st.cached, 1);
	assert_int_equal(st.live, 5);
	iova_domain_destroy(d);
}

static int group_setup(void **state)
{
	(void)state;
	tu_leak_mark();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kernel_placement),
		cmocka_unit_test(range_cache_lifo),
		cmocka_unit_test(same_answers_large_space),
		cmocka_unit_test(same_answers_small_space),
	};

	return cmocka_run_group_tests(tests, group_setup, tu_leak_teardown);
}
