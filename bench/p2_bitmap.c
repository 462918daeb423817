/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * p2_bitmap.c — target P2: the coherent-pool and CMA bitmap searches of
 * src/bitmap.c (which models lib/bitmap.c) against the kernel's linear
 * scanners of baseline_bitmap.c, which are also its differential oracle.
 *
 * Pools of 64 MiB, 128 MiB, 256 MiB, 512 MiB and 1 GiB (16,384 to 262,144
 * pages), each pre-fragmented three ways (90 % prefix full, checkerboard,
 * random 50 %), requests of order 0-4, several of which must fail.
 * Functions:
 *
 *   find_free_region         subject rbitmap_find_free_region() + release,
 *                            baseline region stepping (bitmap_find_free_
 *                            region) + bitmap_clear();
 *   find_next_zero_area_off  subject rbitmap_find_next_zero_area_off(0,
 *                            2^order, 2^order - 1, 0), baseline the same
 *                            region stepping without marking; and, for
 *                            information, the kernel's restart loop of
 *                            bitmap_find_next_zero_area_off().
 *
 * Every call of subject and baseline is checked against the answer the
 * baselines agree on, and a random alloc / release / search sequence is
 * run on both sides (exit 1 on any mismatch).  The worst case of a pool
 * size, per repetition, is the slowest of its 15 scenarios.  Figures: the
 * worst case against the baseline's worst case (target <= 0.02, i.e.
 * >= 50x faster) per pool size, and the subject's worst case from 64 MiB
 * to 1 GiB (target <= 2).  Baseline batches are shorter where one call
 * costs up to a millisecond (sized from a timed call).
 *
 * Left out: zeroing of the allocation (a memset) and locking.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "baseline.h"
#include "harness.h"

#define MAX_ORDER	4
#define NSIZE		5
#define NPAT		3
#define NPOOL		(NSIZE * NPAT)
#define NSCEN		(NPOOL * (MAX_ORDER + 1))

enum { F_REGION, F_AREA, NFUNC };
enum { B_STEP, B_STEP_SEARCH, B_FIRSTFIT, NBASE };

static const uint64_t sizes[NSIZE] = { 16384, 32768, 65536, 131072, 262144 };
static const char *const size_names[NSIZE] = { "64MiB", "128MiB", "256MiB", "512MiB", "1GiB" };
static const char *const patterns[NPAT] = { "prefix90", "checkerboard", "random50" };

struct pool {
	int size_idx;
	const char *pattern;
	uint64_t pages;
	struct rbitmap *b;
	struct bl_bitmap p;
};

struct scen {
	struct pool *pool;
	unsigned order;
	int64_t want;			/* region answer, -1 when it must fail */
	uint64_t want_area;		/* zero-area answer (kernel value on failure) */
	unsigned long base_ops[NBASE];
	double subj[NFUNC][HX_MAXREP], base[NBASE][HX_MAXREP];
};

static struct pool pools[NPOOL];
static struct scen scens[NSCEN];
static unsigned long subj_ops;
static uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void pool_mark(struct pool *pl, uint64_t start, uint64_t len)
{
	rbitmap_set(pl->b, start, len);
	bl_bitmap_assign(&pl->p, start, len, true);
}

static void pool_init(struct pool *pl, int size_idx, int pattern)
{
	uint64_t pages = sizes[size_idx];

	pl->size_idx = size_idx;
	pl->pattern = patterns[pattern];
	pl->pages = pages;
	pl->b = rbitmap_create(pages);
	if (!pl->b || bl_bitmap_init(&pl->p, pages))
		hx_fail("out of host memory");
	switch (pattern) {
	case 0:
		pool_mark(pl, 0, pages / 10 * 9);
		break;
	case 1:
		for (uint64_t i = 0; i < pages; i += 2)
			pool_mark(pl, i, 1);
		break;
	default:
		for (uint64_t i = 0; i < pages; i++)
			if (rnd() & 1)
				pool_mark(pl, i, 1);
		break;
	}
}

static void pool_fini(struct pool *pl)
{
	rbitmap_destroy(pl->b);
	bl_bitmap_fini(&pl->p);
}

/* Bitmap and plain words still agree bit for bit. */
static void pool_check(const struct pool *pl)
{
	for (uint64_t i = 0; i < pl->pages; i++)
		if (rbitmap_test(pl->b, i) != bl_bitmap_test(&pl->p, i))
			hx_fail("%s %s: state diverged at page %" PRIu64,
				size_names[pl->size_idx], pl->pattern, i);
}

static void __attribute__((noreturn))
mismatch(const struct scen *sc, const char *who, int64_t got, int64_t want)
{
	hx_fail("MISMATCH %s %s order %u, %s: got %" PRId64 ", expected %" PRId64,
		size_names[sc->pool->size_idx], sc->pool->pattern, sc->order, who, got, want);
}

static double run_subject(struct scen *sc, int f, unsigned long ops)
{
	struct rbitmap *b = sc->pool->b;
	uint64_t nr = 1ULL << sc->order;
	double t0 = hx_now();

	for (unsigned long k = 0; k < ops; k++) {
		if (f == F_REGION) {
			int64_t pos = rbitmap_find_free_region(b, sc->order);

			if (pos != sc->want)
				mismatch(sc, "rbitmap_find_free_region", pos, sc->want);
			if (pos >= 0)
				rbitmap_release_region(b, (uint64_t)pos, sc->order);
		} else {
			uint64_t r = rbitmap_find_next_zero_area_off(b, 0, nr, nr - 1, 0);

			if (r != sc->want_area)
				mismatch(sc, "rbitmap_find_next_zero_area_off", (int64_t)r,
					 (int64_t)sc->want_area);
		}
	}
	return (hx_now() - t0) / ops;
}

static double run_base(struct scen *sc, int which, unsigned long ops)
{
	struct bl_bitmap *p = &sc->pool->p;
	uint64_t nr = 1ULL << sc->order;
	double t0 = hx_now();

	for (unsigned long k = 0; k < ops; k++) {
		if (which == B_FIRSTFIT) {
			uint64_t r = bl_find_next_zero_area_off(p, 0, nr, nr - 1, 0);

			if (r != sc->want_area)
				mismatch(sc, "kernel zero-area loop", (int64_t)r, (int64_t)sc->want_area);
		} else {
			int64_t pos = bl_find_free_region(p, sc->order, which == B_STEP);

			if (pos != sc->want)
				mismatch(sc, "region stepping", pos, sc->want);
			if (pos >= 0 && which == B_STEP)
				bl_bitmap_assign(p, (uint64_t)pos, nr, false);
		}
	}
	return (hx_now() - t0) / ops;
}

/*
 * Differential run: a random sequence of region allocations and releases
 * and of zero-area searches (random start, length, power-of-two mask and
 * offset) on a random 50 % bitmap of `pages`, both sides checked equal at
 * every step.
 */
static void differential(uint64_t pages, unsigned steps)
{
	struct rbitmap *b = rbitmap_create(pages);
	struct bl_bitmap p;
	int64_t *held = malloc(steps * sizeof(*held));
	unsigned *held_o = malloc(steps * sizeof(*held_o));
	unsigned nheld = 0;

	if (!b || bl_bitmap_init(&p, pages) || !held || !held_o)
		hx_fail("out of host memory");
	for (uint64_t i = 0; i < pages; i++)
		if (rnd() % 100 < 50) {
			rbitmap_set(b, i, 1);
			bl_bitmap_assign(&p, i, 1, true);
		}
	for (unsigned s = 0; s < steps; s++) {
		unsigned what = (unsigned)(rnd() % 3), order = (unsigned)(rnd() % 6);

		if (what == 0) {
			int64_t a = rbitmap_find_free_region(b, order);
			int64_t e = bl_find_free_region(&p, order, true);

			if (a != e)
				hx_fail("MISMATCH differential step %u: find_free_region order %u: %" PRId64
					", region stepping %" PRId64, s, order, a, e);
			if (a >= 0) {
				held[nheld] = a;
				held_o[nheld++] = order;
			}
		} else if (what == 1 && nheld) {
			unsigned k = (unsigned)(rnd() % nheld);

			rbitmap_release_region(b, (uint64_t)held[k], held_o[k]);
			bl_bitmap_assign(&p, (uint64_t)held[k], 1ULL << held_o[k], false);
			held[k] = held[--nheld];
			held_o[k] = held_o[nheld];
		} else {
			uint64_t start = rnd() % pages, nr = 1 + rnd() % 40;
			uint64_t mask = (1ULL << (rnd() % 6)) - 1, off = rnd() % 8;
			uint64_t a = rbitmap_find_next_zero_area_off(b, start, nr, mask, off);
			uint64_t e = bl_find_next_zero_area_off(&p, start, nr, mask, off);

			if (a != e)
				hx_fail("MISMATCH differential step %u: find_next_zero_area_off(start %" PRIu64
					", nr %" PRIu64 ", mask %#" PRIx64 ", off %" PRIu64 "): %" PRIu64
					", kernel loop %" PRIu64, s, start, nr, mask, off, a, e);
		}
	}
	for (uint64_t i = 0; i < pages; i++)
		if (rbitmap_test(b, i) != bl_bitmap_test(&p, i))
			hx_fail("differential: state diverged at page %" PRIu64, i);
	rbitmap_destroy(b);
	bl_bitmap_fini(&p);
	free(held);
	free(held_o);
}

/* Per repetition, the slowest scenario of a pool size (subject function
 * f, or baseline `base` when f < 0). */
static void worst(int size_idx, int f, int base, double *out, int reps)
{
	for (int r = 0; r < reps; r++) {
		double w = 0;

		for (int i = 0; i < NSCEN; i++) {
			const struct scen *sc = &scens[i];
			double v = f >= 0 ? sc->subj[f][r] : sc->base[base][r];

			if (sc->pool->size_idx == size_idx && v > w)
				w = v;
		}
		out[r] = w;
	}
}

int bench_p2(void)
{
	static const int base_of[NFUNC] = { B_STEP, B_STEP_SEARCH };
	static const char *const series[NFUNC] = {
		"P2 find_free_region worst-case vs region stepping",
		"P2 find_next_zero_area_off worst-case vs region stepping",
	};
	double batch_ns = hx_quick() ? 1e6 : 8e6;
	int reps = hx_reps(), ns = 0;
	double ws[NFUNC][NSIZE][HX_MAXREP], wb[NFUNC][NSIZE][HX_MAXREP];
	double wk[HX_MAXREP];

	rng = 0x1234567887654321ULL;
	subj_ops = hx_ops(100000, 10, 1000);
	for (int s = 0; s < NSIZE; s++)
		for (int p = 0; p < NPAT; p++)
			pool_init(&pools[s * NPAT + p], s, p);

	/* answers: both baselines must agree; the subject is checked per call */
	for (int i = 0; i < NPOOL; i++) {
		for (unsigned o = 0; o <= MAX_ORDER; o++) {
			struct scen *sc = &scens[ns++];
			uint64_t nr = 1ULL << o;

			sc->pool = &pools[i];
			sc->order = o;
			sc->want = bl_find_free_region(&pools[i].p, o, false);
			sc->want_area = bl_find_next_zero_area_off(&pools[i].p, 0, nr, nr - 1, 0);
			if ((sc->want < 0) != (sc->want_area > pools[i].pages - nr) ||
			    (sc->want >= 0 && (uint64_t)sc->want != sc->want_area))
				mismatch(sc, "baselines disagree", sc->want, (int64_t)sc->want_area);
		}
	}
	differential(20000, hx_quick() ? 20000 : 200000);

	/* warm-up, and baseline batch sizes from one timed call */
	for (int i = 0; i < NSCEN; i++) {
		struct scen *sc = &scens[i];

		for (int f = 0; f < NFUNC; f++)
			run_subject(sc, f, subj_ops / 10);
		for (int k = 0; k < NBASE; k++) {
			double t = run_base(sc, k, 2);
			double n = batch_ns / (t > 1 ? t : 1);

			sc->base_ops[k] = n < 8 ? 8 : n > subj_ops ? subj_ops : (unsigned long)n;
		}
	}

	/* repetitions: subject, baseline, alternating which goes first */
	for (int rep = 0; rep < reps; rep++) {
		for (int i = 0; i < NSCEN; i++) {
			struct scen *sc = &scens[i];

			for (int f = 0; f < NFUNC; f++) {
				int k = base_of[f];

				if (rep & 1)
					sc->base[k][rep] = run_base(sc, k, sc->base_ops[k]);
				sc->subj[f][rep] = run_subject(sc, f, subj_ops);
				if (!(rep & 1))
					sc->base[k][rep] = run_base(sc, k, sc->base_ops[k]);
			}
			sc->base[B_FIRSTFIT][rep] = run_base(sc, B_FIRSTFIT, sc->base_ops[B_FIRSTFIT]);
		}
	}
	for (int i = 0; i < NPOOL; i++)
		pool_check(&pools[i]);

	hx_note("P2: %d scenarios (5 pool sizes x 3 patterns x orders 0-4); subject batches %lu calls, "
		"baseline batches sized for ~%.0f ms; every call checked against the baselines' answer; "
		"random differential run: 20,000 pages, %u steps, equal",
		NSCEN, subj_ops, batch_ns / 1e6, hx_quick() ? 20000 : 200000);
	for (int f = 0; f < NFUNC; f++) {
		for (int s = 0; s < NSIZE; s++) {
			worst(s, f, -1, ws[f][s], reps);
			worst(s, -1, base_of[f], wb[f][s], reps);
			hx_point(series[f], sizes[s], ws[f][s], wb[f][s], reps, HX_LE, 0.02, 0);
		}
		hx_scaling(series[f], sizes[0], ws[f][0], sizes[NSIZE - 1], ws[f][NSIZE - 1],
			   reps, 2.0, 0);
	}
	worst(NSIZE - 1, -1, B_FIRSTFIT, wk, reps);
	hx_figure("P2 find_next_zero_area_off 1GiB worst-case vs the kernel's zero-area loop",
		  ws[F_AREA][NSIZE - 1], wk, reps, HX_LE, 0.02, HX_INFO);
	for (int i = 0; i < NPOOL; i++)
		pool_fini(&pools[i]);
	return 0;
}
