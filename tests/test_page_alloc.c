/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Unit tests for the standalone buddy core (src/page_alloc.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#include <cmocka.h>
#include "testutil.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#define NONE		UINT64_MAX
#define SHIFT		12
#define MAXO		10
#define MAXBLK		(1ULL << MAXO)

/* DMA [0, 2048), DMA32 [2048, 4096), NORMAL [4096, 8192) pfns. */
static const struct zone_info std_zones[MAX_NR_ZONES] = {
	[ZONE_DMA] = { 0, 2048, true },
	[ZONE_DMA32] = { 2048, 4096, true },
	[ZONE_NORMAL] = { 4096, 8192, true },
};

struct fx {
	struct buddy *b;
	uint64_t initial[MAX_NR_ZONES];
	uint64_t top[MAX_NR_ZONES];
};

static int fx_setup_with(void **state, const struct zone_info *zones,
			 uint64_t start, uint64_t end)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->b = buddy_create(zones, SHIFT, MAXO);
	if (!f->b || buddy_core_add_range(f->b, start, end)) {
		buddy_core_destroy(f->b);
		free(f);
		return -1;
	}
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		f->initial[z] = buddy_core_free_pages(f->b, z);
		f->top[z] = buddy_core_free_blocks(f->b, z, MAXO);
	}
	*state = f;
	return 0;
}

static int fx_setup(void **state)
{
	return fx_setup_with(state, std_zones, 0, 8192);
}

/* Teardown: everything handed out must have come back, fully merged. */
static int fx_teardown(void **state)
{
	struct fx *f = *state;

	for (int z = 0; z < MAX_NR_ZONES; z++) {
		assert_int_equal(buddy_core_free_pages(f->b, z), f->initial[z]);
		assert_int_equal(buddy_core_free_blocks(f->b, z, MAXO), f->top[z]);
	}
	buddy_core_destroy(f->b);
	free(f);
	return 0;
}

static void test_initial_layout(void **state)
{
	struct fx *f = *state;

	assert_int_equal(f->initial[ZONE_DMA], 2048);
	assert_int_equal(f->initial[ZONE_DMA32], 2048);
	assert_int_equal(f->initial[ZONE_NORMAL], 4096);
	assert_int_equal(f->top[ZONE_DMA], 2);
	assert_int_equal(f->top[ZONE_DMA32], 2);
	assert_int_equal(f->top[ZONE_NORMAL], 4);
	/* Pages already known are refused, state unchanged. */
	assert_int_equal(buddy_core_add_range(f->b, 100, 101), -EEXIST);
	assert_int_equal(buddy_core_add_range(f->b, 8000, 9000), -EEXIST);
	assert_int_equal(buddy_core_free_pages(f->b, ZONE_NORMAL), 4096);
}

static void test_zone_fallback(void **state)
{
	struct fx *f = *state;
	uint64_t got[8];
	int n = 0;

	/* No zone bits: NORMAL, then DMA32, then DMA. */
	for (;;) {
		uint64_t p = buddy_core_alloc(f->b, 0, MAXO);

		if (p == NONE)
			break;
		assert_true(n < 8);
		got[n++] = p;
	}
	assert_int_equal(n, 8);
	assert_int_equal(got[0], 4096);
	assert_int_equal(got[3], 7168);
	assert_int_equal(got[4], 2048);
	assert_int_equal(got[5], 3072);
	assert_int_equal(got[6], 0);
	assert_int_equal(got[7], 1024);
	for (int i = 0; i < n; i++)
		assert_int_equal(buddy_core_free(f->b, got[i], MAXO), 0);

	/* GFP_DMA32: DMA32 then DMA, never NORMAL. */
	n = 0;
	for (uint64_t p; (p = buddy_core_alloc(f->b, GFPI_DMA32, MAXO)) != NONE;)
		got[n++] = p;
	assert_int_equal(n, 4);
	assert_int_equal(got[0], 2048);
	assert_int_equal(got[2], 0);
	assert_int_equal(buddy_core_free_pages(f->b, ZONE_NORMAL), 4096);
	for (int i = 0; i < n; i++)
		assert_int_equal(buddy_core_free(f->b, got[i], MAXO), 0);

	/* GFP_DMA: DMA only. */
	n = 0;
	for (uint64_t p; (p = buddy_core_alloc(f->b, GFPI_DMA, MAXO)) != NONE;)
		got[n++] = p;
	assert_int_equal(n, 2);
	assert_int_equal(got[0], 0);
	assert_int_equal(got[1], 1024);
	assert_int_equal(buddy_core_free_pages(f->b, ZONE_DMA32), 2048);
	for (int i = 0; i < n; i++)
		assert_int_equal(buddy_core_free(f->b, got[i], MAXO), 0);
}

static void test_empty_zone_skipped(void **state)
{
	/* DMA32 absent, NORMAL empty: DMA32 requests fall to DMA. */
	struct zone_info z[MAX_NR_ZONES] = {
		[ZONE_DMA] = { 0x100, 0x200, true },
		[ZONE_DMA32] = { 0, 0, false },
		[ZONE_NORMAL] = { 0x400, 0x400, true },
	};
	struct buddy *b = buddy_create(z, SHIFT, MAXO);

	(void)state;
	assert_non_null(b);
	assert_int_equal(buddy_core_add_range(b, 0, 0x1000), 0);
	assert_int_equal(buddy_core_free_pages(b, ZONE_DMA), 0x100);
	assert_int_equal(buddy_core_free_pages(b, ZONE_NORMAL), 0);
	assert_int_equal(buddy_core_alloc(b, 0, 0), 0x100);
	assert_int_equal(buddy_core_alloc(b, GFPI_DMA32, 0), 0x101);
	assert_int_equal(buddy_core_free(b, 0x100, 0), 0);
	assert_int_equal(buddy_core_free(b, 0x101, 0), 0);
	assert_int_equal(buddy_core_free_blocks(b, ZONE_DMA, 8), 1);
	buddy_core_destroy(b);
}

static void test_lowest_address(void **state)
{
	struct fx *f = *state;

	assert_int_equal(buddy_core_alloc(f->b, 0, 0), 4096);
	assert_int_equal(buddy_core_alloc(f->b, 0, 0), 4097);
	assert_int_equal(buddy_core_alloc(f->b, 0, 0), 4098);
	/* Smallest sufficient order first: order-1 hole at 4100. */
	assert_int_equal(buddy_core_alloc(f->b, 0, 1), 4100);
	assert_int_equal(buddy_core_alloc(f->b, 0, 0), 4099);
	assert_int_equal(buddy_core_free(f->b, 4097, 0), 0);
	assert_int_equal(buddy_core_alloc(f->b, 0, 0), 4097);
	assert_int_equal(buddy_core_alloc(f->b, 0, 0), 4102);
	assert_int_equal(buddy_core_alloc(f->b, 0, 3), 4104);
	assert_int_equal(buddy_core_free(f->b, 4096, 0), 0);
	assert_int_equal(buddy_core_free(f->b, 4097, 0), 0);
	assert_int_equal(buddy_core_free(f->b, 4098, 0), 0);
	assert_int_equal(buddy_core_free(f->b, 4099, 0), 0);
	assert_int_equal(buddy_core_free(f->b, 4100, 1), 0);
	assert_int_equal(buddy_core_free(f->b, 4102, 0), 0);
	assert_int_equal(buddy_core_free(f->b, 4104, 3), 0);
}

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

struct blk {
	uint64_t pfn;
	unsigned order;
};

/* Random allocations and frees; no two live blocks overlap. */
static size_t run_random(struct buddy *b, uint64_t seed, struct blk *live,
			 size_t cap, uint64_t *trace, size_t ntrace)
{
	uint8_t *owner = calloc(8192, 1);
	size_t n = 0;

	assert_non_null(owner);
	for (size_t step = 0; step < ntrace; step++) {
		uint64_t r = lcg(&seed);

		if (n && (r % 3 == 0 || n == cap)) {
			size_t i = (size_t)(lcg(&seed) % n);

			for (uint64_t p = 0; p < (1ULL << live[i].order); p++)
				owner[live[i].pfn + p] = 0;
			assert_int_equal(buddy_core_free(b, live[i].pfn,
							 live[i].order), 0);
			live[i] = live[--n];
			trace[step] = 0;
		} else {
			unsigned order = (unsigned)(lcg(&seed) % 6);
			unsigned bits = (unsigned)(r % 4) == 0 ? GFPI_DMA : 0;
			uint64_t p = buddy_core_alloc(b, bits, order);

			trace[step] = p;
			if (p == NONE)
				continue;
			assert_int_equal(p & ((1ULL << order) - 1), 0);
			assert_true(p + (1ULL << order) <= 8192);
			for (uint64_t q = 0; q < (1ULL << order); q++) {
				assert_int_equal(owner[p + q], 0);
				owner[p + q] = 1;
			}
			live[n].pfn = p;
			live[n++].order = order;
		}
	}
	free(owner);
	return n;
}

static void test_split_coalesce_random(void **state)
{
	struct fx *f = *state;
	struct blk live[600];
	uint64_t trace1[3000], trace2[3000];
	size_t n;

	n = run_random(f->b, 42, live, ARRAY_SIZE(live), trace1,
		       ARRAY_SIZE(trace1));
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(buddy_core_free(f->b, live[i].pfn,
						 live[i].order), 0);
	/* Everything merged back into max-order blocks. */
	assert_int_equal(buddy_core_free_blocks(f->b, ZONE_NORMAL, MAXO), 4);
	for (unsigned k = 0; k < MAXO; k++)
		assert_int_equal(buddy_core_free_blocks(f->b, ZONE_NORMAL, k), 0);

	/* Determinism: the same sequence gives the same addresses. */
	n = run_random(f->b, 42, live, ARRAY_SIZE(live), trace2,
		       ARRAY_SIZE(trace2));
	assert_memory_equal(trace1, trace2, sizeof(trace1));
	for (size_t i = 0; i < n; i++)
		assert_int_equal(buddy_core_free(f->b, live[i].pfn,
						 live[i].order), 0);
}

static void test_alignment_odd_zones(void **state)
{
	/* Zone edges on odd pfns: blocks never cross a zone edge. */
	struct zone_info z[MAX_NR_ZONES] = {
		[ZONE_DMA] = { 3, 1001, true },
		[ZONE_DMA32] = { 1001, 2999, true },
		[ZONE_NORMAL] = { 2999, 5001, true },
	};
	struct buddy *b = buddy_create(z, SHIFT, MAXO);
	uint64_t init[MAX_NR_ZONES];

	(void)state;
	assert_non_null(b);
	/* Added in pieces that must merge across the seams. */
	assert_int_equal(buddy_core_add_range(b, 1500, 2100), 0);
	assert_int_equal(buddy_core_add_range(b, 0, 1500), 0);
	assert_int_equal(buddy_core_add_range(b, 2100, 6000), 0);
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		init[i] = buddy_core_free_pages(b, i);
		assert_int_equal(init[i], z[i].end_pfn - z[i].start_pfn);
	}
	assert_int_equal(buddy_core_free_blocks(b, ZONE_DMA32, MAXO), 1);
	for (unsigned order = 0; order <= MAXO; order++) {
		for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
			unsigned bits = zi == ZONE_DMA ? GFPI_DMA :
					zi == ZONE_DMA32 ? GFPI_DMA32 : 0;
			uint64_t p = buddy_core_alloc(b, bits, order);

			if (p == NONE)
				continue;
			assert_int_equal(p % (1ULL << order), 0);
			assert_true(p >= z[ZONE_DMA].start_pfn);
			/* Inside one zone. */
			for (int k = 0; k < MAX_NR_ZONES; k++)
				if (p >= z[k].start_pfn && p < z[k].end_pfn)
					assert_true(p + (1ULL << order) <= z[k].end_pfn);
			assert_int_equal(buddy_core_free(b, p, order), 0);
		}
	}
	/* The only max-order block of DMA32: [2048, 3072) crosses 2999. */
	assert_int_equal(buddy_core_alloc(b, GFPI_DMA32, MAXO), 1024);
	assert_int_equal(buddy_core_free(b, 1024, MAXO), 0);
	for (int i = 0; i < MAX_NR_ZONES; i++)
		assert_int_equal(buddy_core_free_pages(b, i), init[i]);
	buddy_core_destroy(b);
}

static void test_take_range(void **state)
{
	struct fx *f = *state;
	uint64_t p = buddy_core_alloc(f->b, 0, 2);	/* 4096..4099 */

	assert_int_equal(p, 4096);
	/* Allocated page inside: refused, nothing changes. */
	assert_int_equal(buddy_core_take_range(f->b, 4098, 4200), -EBUSY);
	assert_int_equal(buddy_core_take_range(f->b, 4000, 4097), -EBUSY);
	assert_int_equal(buddy_core_free_pages(f->b, ZONE_NORMAL), 4096 - 4);
	assert_int_equal(buddy_core_free(f->b, p, 2), 0);

	/* Unaligned range across the DMA32/NORMAL edge. */
	assert_int_equal(buddy_core_take_range(f->b, 4000, 4500), 0);
	assert_int_equal(buddy_core_free_pages(f->b, ZONE_DMA32), 2048 - 96);
	assert_int_equal(buddy_core_free_pages(f->b, ZONE_NORMAL), 4096 - 404);
	/* Taking pages the allocator does not hold is a no-op. */
	assert_int_equal(buddy_core_take_range(f->b, 4100, 4200), 0);
	assert_int_equal(buddy_core_take_range(f->b, 9000, 10000), 0);
	assert_int_equal(buddy_core_free_pages(f->b, ZONE_NORMAL), 4096 - 404);
	/* Never handed out any more. */
	for (int i = 0; i < 64; i++) {
		uint64_t q = buddy_core_alloc(f->b, 0, 0);

		assert_true(q < 4000 || q >= 4500);
		assert_int_equal(buddy_core_free(f->b, q, 0), 0);
	}
	assert_int_equal(buddy_core_alloc(f->b, 0, 0), 4500);
	assert_int_equal(buddy_core_free(f->b, 4500, 0), 0);
	/* Frees of taken pages are refused. */
	assert_int_equal(buddy_core_free(f->b, 4200, 0), -EINVAL);
	/* Give them back: everything merges again (checked by teardown). */
	assert_int_equal(buddy_core_add_range(f->b, 4000, 4500), 0);
}

static void test_bad_free(void **state)
{
	struct fx *f = *state;
	uint64_t p = buddy_core_alloc(f->b, 0, 3);
	uint64_t q = buddy_core_alloc(f->b, 0, 0);

	assert_int_equal(p, 4096);
	assert_int_equal(q, 4104);
	/* Wrong order, interior page, unaligned, out of range, free page. */
	assert_int_equal(buddy_core_free(f->b, p, 2), -EINVAL);
	assert_int_equal(buddy_core_free(f->b, p, 4), -EINVAL);
	assert_int_equal(buddy_core_free(f->b, p + 4, 2), -EINVAL);
	assert_int_equal(buddy_core_free(f->b, p + 1, 3), -EINVAL);
	assert_int_equal(buddy_core_free(f->b, 1ULL << 40, 0), -EINVAL);
	assert_int_equal(buddy_core_free(f->b, 5000, 0), -EINVAL);
	assert_int_equal(buddy_core_free(f->b, p, MAXO + 1), -EINVAL);
	assert_int_equal(buddy_core_free_pages(f->b, ZONE_NORMAL), 4096 - 9);
	assert_int_equal(buddy_core_free(f->b, p, 3), 0);
	/* Double free. */
	assert_int_equal(buddy_core_free(f->b, p, 3), -EINVAL);
	assert_int_equal(buddy_core_free(f->b, q, 0), 0);
	assert_int_equal(buddy_core_free(f->b, q, 0), -EINVAL);
	assert_int_equal(buddy_core_alloc(f->b, 0, MAXO + 1), NONE);
}

static void test_bad_create(void **state)
{
	struct zone_info overlap[MAX_NR_ZONES] = {
		[ZONE_DMA] = { 0, 100, true },
		[ZONE_NORMAL] = { 50, 200, true },
	};

	(void)state;
	assert_null(buddy_create(overlap, SHIFT, MAXO));
	assert_null(buddy_create(std_zones, SHIFT, 64));
	assert_null(buddy_create(NULL, SHIFT, MAXO));
	assert_int_equal(buddy_core_alloc(NULL, 0, 0), NONE);
	assert_int_equal(buddy_core_free(NULL, 0, 0), -EINVAL);
	assert_int_equal(buddy_core_add_range(NULL, 0, 1), -EINVAL);
	buddy_core_destroy(NULL);
}

/* ------------------------------------------------------------------ */
/* A 16 GiB machine: RAM at 1 GiB..17 GiB, ZONE_DMA below 4 GiB. */

#define BIG_START	(SZ_1G >> SHIFT)
#define BIG_END		((17 * SZ_1G) >> SHIFT)
#define BIG_SPLIT	(SZ_4G >> SHIFT)

static const struct zone_info big_zones[MAX_NR_ZONES] = {
	[ZONE_DMA] = { BIG_START, BIG_SPLIT, true },
	[ZONE_DMA32] = { 0, 0, false },
	[ZONE_NORMAL] = { BIG_SPLIT, BIG_END, true },
};

static int big_setup(void **state)
{
	return fx_setup_with(state, big_zones, BIG_START, BIG_END);
}

static long resident_kib(void)
{
	long pages = -1, size;
	FILE *fp = fopen("/proc/self/statm", "r");

	if (!fp)
		return -1;
	if (fscanf(fp, "%ld %ld", &size, &pages) != 2)
		pages = -1;
	fclose(fp);
	return pages < 0 ? -1 : pages * (sysconf(_SC_PAGESIZE) / 1024);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_big_create_destroy(void **state)
{
	long before = resident_kib(), after;
	double t0 = now_s();
	struct buddy *b = buddy_create(big_zones, SHIFT, MAXO);

	(void)state;
	assert_non_null(b);
	assert_int_equal(buddy_core_add_range(b, BIG_START, BIG_END), 0);
	after = resident_kib();
	assert_int_equal(buddy_core_free_pages(b, ZONE_DMA), 3 * (SZ_1G >> SHIFT));
	assert_int_equal(buddy_core_free_pages(b, ZONE_NORMAL),
			 13 * (SZ_1G >> SHIFT));
	assert_int_equal(buddy_core_free_blocks(b, ZONE_NORMAL, MAXO),
			 13 * (SZ_1G >> SHIFT) / MAXBLK);
	buddy_core_destroy(b);
	if (!RUNNING_ON_VALGRIND) {
		assert_true(now_s() - t0 < 1.0);
		if (before > 0 && after > 0)
			assert_true(after - before <= 8 * 1024);
	}
}

static void test_big_alloc_pattern(void **state)
{
	struct fx *f = *state;
	uint64_t pages[512], top;

	/* Lowest NORMAL page first, DMA from the bottom of RAM. */
	for (int i = 0; i < 512; i++) {
		pages[i] = buddy_core_alloc(f->b, i & 1 ? GFPI_DMA : 0, 0);
		assert_int_equal(pages[i], (i & 1 ? BIG_START : BIG_SPLIT) + i / 2);
	}
	top = buddy_core_alloc(f->b, 0, MAXO);
	assert_int_equal(top, BIG_SPLIT + MAXBLK);
	assert_int_equal(buddy_core_take_range(f->b, BIG_END - 3 * MAXBLK - 7,
					       BIG_END - 5), 0);
	assert_int_equal(buddy_core_take_range(f->b, BIG_SPLIT, BIG_END), -EBUSY);
	assert_int_equal(buddy_core_add_range(f->b, BIG_END - 3 * MAXBLK - 7,
					      BIG_END - 5), 0);
	assert_int_equal(buddy_core_free(f->b, top, MAXO), 0);
	for (int i = 0; i < 512; i++)
		assert_int_equal(buddy_core_free(f->b, pages[i], 0), 0);
}

static int group_setup(void **state)
{
	(void)state;
	tu_leak_mark();
	return 0;
}

int main(void)
{
	const struct CMUnitTest std_tests[] = {
		cmocka_unit_test_setup_teardown(test_initial_layout, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_zone_fallback, fx_setup, fx_teardown),
		cmocka_unit_test(test_empty_zone_skipped),
		cmocka_unit_test_setup_teardown(test_lowest_address, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_split_coalesce_random, fx_setup, fx_teardown),
		cmocka_unit_test(test_alignment_odd_zones),
		cmocka_unit_test_setup_teardown(test_take_range, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_free, fx_setup, fx_teardown),
		cmocka_unit_test(test_bad_create),
	};
	const struct CMUnitTest big_tests[] = {
		cmocka_unit_test(test_big_create_destroy),
		cmocka_unit_test_setup_teardown(test_big_alloc_pattern, big_setup, fx_teardown),
	};
	int rc = 0;

	rc |= cmocka_run_group_tests_name("buddy_std", std_tests, group_setup, tu_leak_teardown);
	rc |= cmocka_run_group_tests_name("buddy_16g", big_tests, group_setup, tu_leak_teardown);
	return rc;
}
