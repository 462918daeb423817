/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Unit tests for the summarised allocation bitmap (src/bitmap.c, which
 * models the allocation helpers of lib/bitmap.c).
 *
 * Every answer is checked against a plain byte-per-bit model searched the
 * way the kernel searches: region stepping for bitmap_find_free_region()
 * and the restart loop of bitmap_find_next_zero_area_off(), including the
 * value that loop returns when nothing fits.  All randomness is seeded.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"

#include <cmocka.h>

#include "testutil.h"

#define N_ELEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* Bookkeeping: every bitmap a test creates must be destroyed. */

static unsigned long n_created, n_destroyed;

static struct rbitmap *tb_create(uint64_t nbits)
{
	struct rbitmap *b = rbitmap_create(nbits);

	assert_non_null(b);
	n_created++;
	return b;
}

static void tb_destroy(struct rbitmap *b)
{
	rbitmap_destroy(b);
	n_destroyed++;
}

static int group_teardown(void **state)
{
	if (n_created != n_destroyed) {
		fprintf(stderr, "leak: %lu bitmaps created, %lu destroyed\n",
			n_created, n_destroyed);
		tu_group_failed();
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Reference model: one byte per bit, kernel algorithms written plainly. */

struct model {
	uint64_t n;
	uint8_t *bit;
};

static void model_init(struct model *m, uint64_t n)
{
	m->n = n;
	m->bit = calloc(n ? n : 1, 1);
	assert_non_null(m->bit);
}

static void model_fini(struct model *m)
{
	free(m->bit);
	m->bit = NULL;
}

static void model_assign(struct model *m, uint64_t start, uint64_t n, uint8_t v)
{
	for (uint64_t i = start; i < m->n && i - start < n; i++)
		m->bit[i] = v;
}

static uint64_t model_weight(const struct model *m)
{
	uint64_t w = 0;

	for (uint64_t i = 0; i < m->n; i++)
		w += m->bit[i];
	return w;
}

/* bitmap_find_free_region(): step region by region from bit 0. */
static int64_t ref_find_free_region(struct model *m, unsigned order)
{
	uint64_t len;

	if (order >= 63)
		return -1;
	len = 1ULL << order;
	for (uint64_t pos = 0; pos + len <= m->n; pos += len) {
		uint64_t i;

		for (i = pos; i < pos + len && !m->bit[i]; i++)
			;
		if (i == pos + len) {
			model_assign(m, pos, len, 1);
			return (int64_t)pos;
		}
	}
	return -1;
}

/*
 * bitmap_find_next_zero_area_off(), restart loop and all, in 64-bit
 * modular arithmetic.  A loop that never ends returns size + 1, as the
 * subject documents.
 */
static uint64_t ref_area(const struct model *m, uint64_t start, uint64_t nr,
			 uint64_t mask, uint64_t off)
{
	uint64_t size = m->n;

	for (uint64_t iter = 0; iter <= size + 1; iter++) {
		uint64_t index = start, end, i;

		if (index > size)
			index = size;
		while (index < size && m->bit[index])
			index++;
		index = ((index + off + mask) & ~mask) - off;
		end = index + nr;
		if (end > size)
			return end;
		for (i = index; i < end && !m->bit[i]; i++)
			;
		if (i < end) {
			start = i + 1;
			continue;
		}
		return index;
	}
	return size + 1;
}

/* ------------------------------------------------------------------ */
/* Helpers */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* Bitmap and model must agree bit for bit. */
static void check_same(const struct rbitmap *b, const struct model *m)
{
	assert_int_equal(rbitmap_size(b), m->n);
	assert_int_equal(rbitmap_weight(b), model_weight(m));
	for (uint64_t i = 0; i < m->n; i++)
		if (rbitmap_test(b, i) != m->bit[i])
			fail_msg("bit %llu: bitmap %d, model %d", (unsigned long long)i,
				 rbitmap_test(b, i), m->bit[i]);
}

static void check_area(const struct rbitmap *b, const struct model *m, uint64_t start,
		       uint64_t nr, uint64_t mask, uint64_t off)
{
	uint64_t want = ref_area(m, start, nr, mask, off);
	uint64_t got = rbitmap_find_next_zero_area_off(b, start, nr, mask, off);

	if (got != want)
		fail_msg("size %llu start %llu nr %llu mask %#llx off %#llx: got %llu, kernel %llu",
			 (unsigned long long)m->n, (unsigned long long)start,
			 (unsigned long long)nr, (unsigned long long)mask,
			 (unsigned long long)off, (unsigned long long)got,
			 (unsigned long long)want);
}

static int64_t check_region(struct rbitmap *b, struct model *m, unsigned order)
{
	int64_t want = ref_find_free_region(m, order);
	int64_t got = rbitmap_find_free_region(b, order);

	if (got != want)
		fail_msg("size %llu order %u: got %lld, kernel %lld",
			 (unsigned long long)m->n, order, (long long)got, (long long)want);
	return got;
}

/* Allocate a region as the kernel would, then give it back. */
static void region_and_back(struct rbitmap *b, struct model *m, unsigned order)
{
	int64_t pos = check_region(b, m, order);

	if (pos >= 0) {
		rbitmap_release_region(b, (uint64_t)pos, order);
		model_assign(m, (uint64_t)pos, 1ULL << order, 0);
	}
}

/* A random query, biased towards the CMA shape (nr = 2^k, mask = nr - 1). */
static void random_area_query(const struct rbitmap *b, const struct model *m)
{
	uint64_t n = m->n, start, nr, mask, off;
	unsigned k = (unsigned)rnd_below(11);

	start = rnd_below(4) ? 0 : rnd_below(n + 3);
	switch (rnd_below(4)) {
	case 0:
	case 1:
		nr = 1ULL << k;
		mask = nr - 1;
		off = rnd_below(3) ? 0 : rnd_below(4) * nr;
		break;
	case 2:
		nr = 1ULL << k;
		mask = nr - 1;
		off = rnd_below(nr + 5);
		break;
	default:
		nr = 1 + rnd_below(rnd_below(2) ? 8 : 300);
		mask = (1ULL << rnd_below(11)) - 1;
		off = rnd_below(3) ? rnd_below(mask + 1) : rnd();
		break;
	}
	check_area(b, m, start, nr, mask, off);
}

/* ------------------------------------------------------------------ */
/* Tests */

static void test_create(void **state)
{
	static const uint64_t sizes[] = { 0, 1, 63, 64, 65, 127, 128, 1000, 4096, 262149 };

	for (size_t s = 0; s < N_ELEMS(sizes); s++) {
		struct rbitmap *b = tb_create(sizes[s]);

		assert_int_equal(rbitmap_size(b), sizes[s]);
		assert_int_equal(rbitmap_weight(b), 0);
		for (uint64_t i = 0; i < sizes[s] + 70; i++)
			assert_false(rbitmap_test(b, i));
		tb_destroy(b);
	}
	errno = 0;
	assert_null(rbitmap_create(RBITMAP_MAX_BITS + 1));
	assert_int_equal(errno, EINVAL);
	rbitmap_destroy(NULL);
}

/* Every bitmap of up to 8 bits, every small query. */
static void test_exhaustive_small(void **state)
{
	static const uint64_t masks[] = { 0, 1, 3, 7, 15 };
	static const uint64_t offs[] = { 0, 1, 2, 3, 6, 0x10000000005ULL };

	for (uint64_t n = 0; n <= 8; n++) {
		struct rbitmap *b = tb_create(n);
		struct model m;

		model_init(&m, n);
		for (uint64_t pat = 0; pat < (1ULL << n); pat++) {
			for (uint64_t i = 0; i < n; i++) {
				m.bit[i] = (pat >> i) & 1;
				if (m.bit[i])
					rbitmap_set(b, i, 1);
				else
					rbitmap_clear(b, i, 1);
			}
			assert_int_equal(rbitmap_weight(b), model_weight(&m));
			for (uint64_t q = 0; q < (n + 3) * (n + 3) * 30; q++)
				check_area(b, &m, q / ((n + 3) * 30), q / 30 % (n + 3),
					   masks[q % 30 / 6], offs[q % 6]);
			check_area(b, &m, UINT64_MAX, 1, 0, 0);
			for (unsigned order = 0; order <= 4; order++)
				region_and_back(b, &m, order);
			check_same(b, &m);
		}
		model_fini(&m);
		tb_destroy(b);
	}
}

/* Random operation sequences against the model. */
static void run_random(uint64_t n, unsigned ops, unsigned queries, uint64_t seed)
{
	struct rbitmap *b = tb_create(n);
	struct model m;
	struct { uint64_t pos; unsigned order; } live[64];
	unsigned nlive = 0;

	rng_state = seed;
	model_init(&m, n);
	for (unsigned op = 0; op < ops; op++) {
		uint64_t start, len;

		switch (rnd_below(6)) {
		case 0:
		case 1: {
			unsigned order = (unsigned)rnd_below(11);
			int64_t pos;

			pos = check_region(b, &m, order);
			if (pos >= 0 && nlive < 64) {
				live[nlive].pos = (uint64_t)pos;
				live[nlive++].order = order;
			}
			break;
		}
		case 2:
			if (nlive) {
				unsigned k = (unsigned)rnd_below(nlive);

				rbitmap_release_region(b, live[k].pos, live[k].order);
				model_assign(&m, live[k].pos, 1ULL << live[k].order, 0);
				live[k] = live[--nlive];
			}
			break;
		case 3:
		case 4:
			start = rnd_below(n + 2);
			len = rnd_below(3) ? rnd_below(20) : rnd_below(n / 4 + 2);
			if (rnd_below(2)) {
				rbitmap_set(b, start, len);
				model_assign(&m, start, len, 1);
			} else {
				rbitmap_clear(b, start, len);
				model_assign(&m, start, len, 0);
			}
			break;
		default:
			/* fragment: every other bit over a stretch */
			start = rnd_below(n + 1);
			len = rnd_below(600);
			for (uint64_t i = start; i < start + len && i < n; i += 2) {
				rbitmap_set(b, i, 1);
				m.bit[i] = 1;
			}
			break;
		}
		assert_int_equal(rbitmap_weight(b), model_weight(&m));
		if (op % (ops / queries + 1) == 0)
			random_area_query(b, &m);
	}
	check_same(b, &m);
	for (unsigned q = 0; q < queries; q++)
		random_area_query(b, &m);
	/* small bitmaps: allocate single pages until full, in the same order */
	for (;;) {
		int64_t want = ref_find_free_region(&m, 0);

		assert_int_equal(rbitmap_find_free_region(b, 0), want);
		if (want < 0 || n > 5000)
			break;
	}
	if (n <= 5000)
		assert_int_equal(rbitmap_weight(b), n);
	model_fini(&m);
	tb_destroy(b);
}

static void test_random_sizes(void **state)
{
	static const uint64_t sizes[] = { 1, 2, 63, 64, 65, 100, 129, 1000, 4097, 20000 };

	for (size_t s = 0; s < N_ELEMS(sizes); s++)
		run_random(sizes[s], 600, 300, 0x5eed0000 + s);
}

static void test_random_large(void **state)
{
	run_random(262144 + 5, 300, 60, 0xb16b00b5);
	run_random(262144, 200, 40, 0xdecafbad);
}

/* Runs of set and free bits of random lengths: many windows that nearly fit. */
static void test_runs_queries(void **state)
{
	static const uint64_t sizes[] = { 65, 200, 1000, 5000, 70000 };

	for (size_t s = 0; s < N_ELEMS(sizes); s++) {
		uint64_t n = sizes[s];
		struct rbitmap *b = tb_create(n);
		struct model m;

		rng_state = 0xabcdef + s;
		model_init(&m, n);
		for (unsigned round = 0; round < 8; round++) {
			uint64_t i = 0;
			uint64_t scale = 1 + rnd_below(round < 4 ? 10 : 200);

			while (i < n) {
				uint64_t len = 1 + rnd_below(scale);
				uint8_t v = (uint8_t)rnd_below(2);

				if (v)
					rbitmap_set(b, i, len);
				else
					rbitmap_clear(b, i, len);
				model_assign(&m, i, len, v);
				i += len;
			}
			check_same(b, &m);
			for (unsigned q = 0; q < (n > 10000 ? 40 : 200); q++)
				random_area_query(b, &m);
			for (unsigned order = 0; order <= 10; order++)
				check_region(b, &m, order);
			check_same(b, &m);
		}
		model_fini(&m);
		tb_destroy(b);
	}
}

static void test_edges(void **state)
{
	struct rbitmap *b;
	struct model m;

	/* full bitmap */
	b = tb_create(1000);
	model_init(&m, 1000);
	rbitmap_set(b, 0, 1000);
	model_assign(&m, 0, 1000, 1);
	assert_int_equal(rbitmap_weight(b), 1000);
	for (unsigned order = 0; order < 12; order++)
		assert_int_equal(rbitmap_find_free_region(b, order), -1);
	assert_int_equal(rbitmap_weight(b), 1000);
	for (uint64_t nr = 0; nr < 4; nr++)
		check_area(b, &m, 0, nr, 0, 0);
	check_area(b, &m, 0, 8, 7, 3);
	/* one free bit at the very end */
	rbitmap_clear(b, 999, 1);
	model_assign(&m, 999, 1, 0);
	check_area(b, &m, 0, 1, 0, 0);
	check_area(b, &m, 0, 1, 1, 1);
	check_area(b, &m, 0, 2, 1, 1);
	assert_int_equal(rbitmap_find_free_region(b, 1), -1);
	assert_int_equal(rbitmap_find_free_region(b, 0), 999);
	model_fini(&m);
	tb_destroy(b);

	/* order larger than the bitmap, trailing partial region */
	b = tb_create(100);
	assert_int_equal(rbitmap_find_free_region(b, 7), -1);
	assert_int_equal(rbitmap_find_free_region(b, 200), -1);
	assert_int_equal(rbitmap_find_free_region(b, 6), 0);
	assert_int_equal(rbitmap_find_free_region(b, 6), -1);	/* 64..127 > 100 */
	assert_int_equal(rbitmap_find_free_region(b, 5), 64);
	assert_int_equal(rbitmap_find_free_region(b, 2), 96);
	assert_int_equal(rbitmap_find_free_region(b, 0), -1);
	assert_int_equal(rbitmap_weight(b), 100);
	/* release clipped to the size, and huge orders */
	rbitmap_release_region(b, 96, 6);
	assert_int_equal(rbitmap_weight(b), 96);
	rbitmap_release_region(b, 1000, 3);
	rbitmap_release_region(b, 50, 64);
	assert_int_equal(rbitmap_weight(b), 50);
	rbitmap_release_region(b, 0, 200);
	assert_int_equal(rbitmap_weight(b), 0);
	/* set/clear clipped too */
	rbitmap_set(b, 90, UINT64_MAX);
	assert_int_equal(rbitmap_weight(b), 10);
	rbitmap_set(b, 100, 5);
	rbitmap_clear(b, 200, 5);
	rbitmap_set(b, 0, 0);
	assert_int_equal(rbitmap_weight(b), 10);
	assert_false(rbitmap_test(b, 100));
	tb_destroy(b);

	/* size 0 */
	b = tb_create(0);
	model_init(&m, 0);
	assert_int_equal(rbitmap_find_free_region(b, 0), -1);
	check_area(b, &m, 0, 0, 0, 0);
	check_area(b, &m, 0, 1, 0, 0);
	check_area(b, &m, 5, 0, 3, 1);
	model_fini(&m);
	tb_destroy(b);

	/* start beyond the size, nr 0, nr larger than the size, offsets */
	b = tb_create(300);
	model_init(&m, 300);
	rbitmap_set(b, 10, 5);
	model_assign(&m, 10, 5, 1);
	for (uint64_t start = 295; start < 310; start++) {
		check_area(b, &m, start, 0, 0, 0);
		check_area(b, &m, start, 0, 7, 0);
		check_area(b, &m, start, 1, 0, 0);
		check_area(b, &m, start, 3, 3, 2);
	}
	check_area(b, &m, UINT64_MAX, 0, 0, 0);
	check_area(b, &m, UINT64_MAX, 4, 3, 0);
	check_area(b, &m, 0, 301, 0, 0);
	check_area(b, &m, 0, 300, 0, 0);
	check_area(b, &m, 15, 285, 0, 0);
	check_area(b, &m, 15, 286, 0, 0);
	check_area(b, &m, 0, 1ULL << 45, 0, 0);
	for (uint64_t off = 0; off < 20; off++) {
		check_area(b, &m, 0, 8, 7, off);
		check_area(b, &m, 3, 5, 15, off);
		check_area(b, &m, 9, 1, 3, off);
		check_area(b, &m, 0, 16, 15, off);
	}
	model_fini(&m);
	tb_destroy(b);
}

/* Masks and sizes outside the fast path run the kernel's own loop. */
static void test_pathological(void **state)
{
	static const uint64_t masks[] = {
		5, 6, (1ULL << 40) - 1, (1ULL << 62) - 1, UINT64_MAX >> 1, UINT64_MAX,
	};
	static const uint64_t nrs[] = { 0, 1, 2, 7, 1ULL << 40, UINT64_MAX - 3, UINT64_MAX };
	static const uint64_t offs[] = { 0, 1, 5, UINT64_MAX, 1ULL << 63 };

	for (uint64_t n = 1; n <= 70; n += 23) {
		struct rbitmap *b = tb_create(n);
		struct model m;

		rng_state = n;
		model_init(&m, n);
		for (unsigned round = 0; round < 6; round++) {
			for (uint64_t i = 0; i < n; i++) {
				uint8_t v = rnd_below(3) == 0;

				m.bit[i] = v;
				if (v)
					rbitmap_set(b, i, 1);
				else
					rbitmap_clear(b, i, 1);
			}
			for (size_t mi = 0; mi < N_ELEMS(masks); mi++)
				for (size_t ni = 0; ni < N_ELEMS(nrs); ni++)
					for (size_t q = 0; q < 3 * N_ELEMS(offs); q++)
						check_area(b, &m, q / N_ELEMS(offs) * n / 2,
							   nrs[ni], masks[mi],
							   offs[q % N_ELEMS(offs)]);
		}
		model_fini(&m);
		tb_destroy(b);
	}
}

/*
 * One or two free runs in a full bitmap, placed across word and group
 * boundaries, queried with nr just below, at and above the run length.
 */
static void test_boundary_runs(void **state)
{
	static const uint64_t lens[] = { 1, 2, 3, 63, 64, 65, 127, 128, 129, 255, 256, 257, 700 };
	static const int64_t nudge[] = { -3, -1, 0, 1, 2 };
	const uint64_t n = 5000;
	struct rbitmap *b = tb_create(n);
	struct model m;

	model_init(&m, n);
	for (unsigned l = 0; l <= 6; l++) {
		for (size_t d = 0; d < N_ELEMS(nudge); d++) {
			uint64_t a = (uint64_t)((int64_t)(64 << l) + nudge[d]);

			for (size_t li = 0; li < N_ELEMS(lens); li++) {
				uint64_t len = lens[li];

				for (int two = 0; two < 2; two++) {
					rbitmap_set(b, 0, n);
					model_assign(&m, 0, n, 1);
					rbitmap_clear(b, a, len);
					model_assign(&m, a, len, 0);
					if (two) {
						/* a shorter run first, a longer one far right */
						uint64_t a2 = a + len + 1 + 64 * l;

						rbitmap_clear(b, a2, len + 1);
						model_assign(&m, a2, len + 1, 0);
					}
					for (uint64_t nr = len - 1; nr <= len + 1; nr++) {
						check_area(b, &m, 0, nr, 0, 0);
						check_area(b, &m, a + 1, nr, 0, 0);
						check_area(b, &m, 0, nr, 3, 1);
						check_area(b, &m, 0, nr, 63, 0);
					}
					if (len > 1 && !(len & (len - 1))) {
						check_area(b, &m, 0, len, len - 1, 0);
						check_area(b, &m, 0, len / 2, len / 2 - 1, 0);
					}
					for (unsigned order = 0; order <= 9; order++)
						region_and_back(b, &m, order);
				}
			}
		}
	}
	check_same(b, &m);
	model_fini(&m);
	tb_destroy(b);
}

/* Weight follows overlapping sets and clears exactly. */
static void test_weight(void **state)
{
	struct rbitmap *b = tb_create(5000);
	struct model m;

	rng_state = 42;
	model_init(&m, 5000);
	for (unsigned i = 0; i < 2000; i++) {
		uint64_t start = rnd_below(5100), len = rnd_below(rnd_below(2) ? 70 : 3000);
		uint8_t v = (uint8_t)rnd_below(2);

		if (v)
			rbitmap_set(b, start, len);
		else
			rbitmap_clear(b, start, len);
		model_assign(&m, start, len, v);
		assert_int_equal(rbitmap_weight(b), model_weight(&m));
	}
	check_same(b, &m);
	rbitmap_clear(b, 0, 5000);
	assert_int_equal(rbitmap_weight(b), 0);
	assert_int_equal(rbitmap_find_free_region(b, 12), 0);
	assert_int_equal(rbitmap_weight(b), 4096);
	assert_int_equal(rbitmap_find_free_region(b, 12), -1);
	assert_int_equal(rbitmap_find_free_region(b, 9), 4096);
	model_fini(&m);
	tb_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_exhaustive_small),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_weight),
		cmocka_unit_test(test_pathological),
		cmocka_unit_test(test_boundary_runs),
		cmocka_unit_test(test_runs_queries),
		cmocka_unit_test(test_random_sizes),
		cmocka_unit_test(test_random_large),
	};

	return cmocka_run_group_tests_name("bitmap", tests, NULL, group_teardown);
}
