/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * bench_bitmap.c — target P2 of the project's performance targets:
 * the coherent-pool and CMA bitmap searches of src/bitmap.c, which models
 * lib/bitmap.c, against the kernel's linear algorithms written here from
 * their descriptions.
 *
 * Pools of 64 MiB (16,384 pages) and 1 GiB (262,144 pages), each filled
 * three ways (90 % prefix full, checkerboard, random 50 %), requests of
 * order 0-4, several of which must fail.  Figures:
 *
 *   find_free_region         subject rbitmap_find_free_region() + release,
 *                            baseline region stepping (bitmap_find_free_region:
 *                            pos += 2^order from 0, find_next_bit per region)
 *                            + bitmap_clear();
 *   find_next_zero_area_off  subject rbitmap_find_next_zero_area_off(0,
 *                            2^order, 2^order - 1, 0), baseline the same region
 *                            stepping without marking, and a second baseline,
 *                            the kernel's restart loop of
 *                            bitmap_find_next_zero_area_off().
 *
 * Every call of subject and baseline is checked against the answer the
 * baselines agree on (exit 1 on any mismatch).  Repetitions interleave
 * subject and baseline batches in one process; the baseline batches are
 * shorter where one call costs up to a millisecond (printed).
 *
 * Left out: zeroing of the allocation (a memset, target G2 separately) and
 * locking.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bitmap.h"

#define REPS		7		/* timed repetitions after one warm-up */
#define SUBJ_OPS	100000		/* subject calls per batch */
#define BASE_MIN_OPS	8		/* baseline calls per batch, at least */
#define BASE_BATCH_NS	8e6		/* baseline batch length aimed at */
#define FAR		5.0		/* exit 3 when a ratio misses by this factor */
#define MAX_ORDER	4

enum { F_REGION, F_AREA, NFUNC };
enum { B_STEP, B_STEP_SEARCH, B_FIRSTFIT, NBASE };

static const char *const func_names[NFUNC] = { "find_free_region", "find_next_zero_area_off" };
static const char *const base_names[NBASE] = {
	"region-step alloc+clear", "region-step search", "kernel zero-area loop",
};

/* ------------------------------------------------------------------ */
/* Baseline: plain words and the kernel's linear algorithms */

struct plain {
	uint64_t n;
	uint64_t *w;
};

/* find_next_bit(addr, size, offset) / find_next_zero_bit(), a word at a time */
static inline uint64_t k_find_next(const uint64_t *w, uint64_t size, uint64_t off, bool zero)
{
	uint64_t idx, tmp, x;

	if (off >= size)
		return size;
	idx = off / 64;
	tmp = (zero ? ~w[idx] : w[idx]) & (~0ULL << (off % 64));
	while (!tmp) {
		if (++idx * 64 >= size)
			return size;
		tmp = zero ? ~w[idx] : w[idx];
	}
	x = idx * 64 + (uint64_t)__builtin_ctzll(tmp);
	return x < size ? x : size;
}

static void plain_assign(struct plain *p, uint64_t start, uint64_t len, bool set)
{
	for (uint64_t i = start; i < start + len; ) {
		uint64_t bit = i % 64, n = 64 - bit < start + len - i ? 64 - bit : start + len - i;
		uint64_t m = (n == 64 ? ~0ULL : ((1ULL << n) - 1)) << bit;

		if (set)
			p->w[i / 64] |= m;
		else
			p->w[i / 64] &= ~m;
		i += n;
	}
}

/* bitmap_find_free_region(): one aligned region at a time from bit 0. */
static int64_t base_region(struct plain *p, unsigned order, bool mark)
{
	uint64_t len = 1ULL << order;

	for (uint64_t pos = 0; pos + len <= p->n; pos += len) {
		if (k_find_next(p->w, pos + len, pos, false) < pos + len)
			continue;
		if (mark)
			plain_assign(p, pos, len, true);
		return (int64_t)pos;
	}
	return -1;
}

/* bitmap_find_next_zero_area_off(): restart after the first conflict. */
static uint64_t base_area(const struct plain *p, uint64_t start, uint64_t nr,
			  uint64_t mask, uint64_t off)
{
	for (;;) {
		uint64_t index = k_find_next(p->w, p->n, start, true), end, i;

		index = ((index + off + mask) & ~mask) - off;
		end = index + nr;
		if (end > p->n)
			return end;
		i = k_find_next(p->w, end, index, false);
		if (i < end) {
			start = i + 1;
			continue;
		}
		return index;
	}
}

/* ------------------------------------------------------------------ */
/* Pools and scenarios */

struct pool {
	const char *name;
	const char *pattern;
	uint64_t pages;
	struct rbitmap *b;
	struct plain p;
};

struct stat {
	double med, min;
};

struct scen {
	struct pool *pool;
	unsigned order;
	int64_t want;			/* region answer, -1 when it must fail */
	uint64_t want_area;		/* zero-area answer (kernel value on failure) */
	unsigned long base_ops[NBASE];
	double subj[NFUNC][REPS], base[NBASE][REPS];
	struct stat s[NFUNC], bs[NBASE];
};

static uint64_t rng = 0x1234567887654321ULL;

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
	plain_assign(&pl->p, start, len, true);
}

static void pool_init(struct pool *pl, const char *name, uint64_t pages, int pattern)
{
	static const char *const patterns[] = { "prefix90", "checkerboard", "random50" };

	pl->name = name;
	pl->pattern = patterns[pattern];
	pl->pages = pages;
	pl->b = rbitmap_create(pages);
	pl->p.n = pages;
	pl->p.w = calloc(pages / 64 + 1, sizeof(uint64_t));
	if (!pl->b || !pl->p.w) {
		fprintf(stderr, "bench_bitmap: out of memory\n");
		exit(1);
	}
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
	free(pl->p.w);
}

/* Bitmap and plain words still agree bit for bit. */
static void pool_check(const struct pool *pl)
{
	for (uint64_t i = 0; i < pl->pages; i++) {
		bool v = (pl->p.w[i / 64] >> (i % 64)) & 1;

		if (rbitmap_test(pl->b, i) != v) {
			fprintf(stderr, "bench_bitmap: %s %s: state diverged at page %" PRIu64 "\n",
				pl->name, pl->pattern, i);
			exit(1);
		}
	}
}

static void mismatch(const struct scen *sc, const char *who, int64_t got, int64_t want)
{
	fprintf(stderr, "bench_bitmap: MISMATCH %s %s order %u, %s: got %" PRId64
		", expected %" PRId64 "\n", sc->pool->name, sc->pool->pattern, sc->order,
		who, got, want);
	exit(1);
}

/* ------------------------------------------------------------------ */
/* Timed batches */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double run_subject(struct scen *sc, int f, unsigned long ops)
{
	struct rbitmap *b = sc->pool->b;
	uint64_t nr = 1ULL << sc->order;
	double t0 = now_ns();

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
	return (now_ns() - t0) / ops;
}

static double run_base(struct scen *sc, int which, unsigned long ops)
{
	struct plain *p = &sc->pool->p;
	uint64_t nr = 1ULL << sc->order;
	double t0 = now_ns();

	for (unsigned long k = 0; k < ops; k++) {
		if (which == B_FIRSTFIT) {
			uint64_t r = base_area(p, 0, nr, nr - 1, 0);

			if (r != sc->want_area)
				mismatch(sc, base_names[which], (int64_t)r, (int64_t)sc->want_area);
		} else {
			int64_t pos = base_region(p, sc->order, which == B_STEP);

			if (pos != sc->want)
				mismatch(sc, base_names[which], pos, sc->want);
			if (pos >= 0 && which == B_STEP)
				plain_assign(p, (uint64_t)pos, nr, false);
		}
	}
	return (now_ns() - t0) / ops;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static struct stat summarise(const double *v)
{
	double s[REPS];
	struct stat st;

	memcpy(s, v, sizeof(s));
	qsort(s, REPS, sizeof(double), cmp_double);
	st.med = s[REPS / 2];
	st.min = s[0];
	return st;
}

/* ------------------------------------------------------------------ */
/* Figures */

static bool far_miss;

static void figure(const char *name, double subj, double base, double target)
{
	double r = subj / base;

	printf("%s: subject %.1f ns/op, baseline %.1f ns/op, ratio %.5f (target <= %g)\n",
	       name, subj, base, r, target);
	if (r > target * FAR)
		far_miss = true;
}

#define NPOOL	6
#define NSCEN	(NPOOL * (MAX_ORDER + 1))

static struct pool pools[NPOOL];
static struct scen scens[NSCEN];

/* Worst (largest) median or minimum over the scenarios of one pool size. */
static double worst(const char *pool, int f, int base, bool use_min)
{
	double w = 0;

	for (int i = 0; i < NSCEN; i++) {
		const struct scen *sc = &scens[i];
		struct stat st = base < 0 ? sc->s[f] : sc->bs[base];
		double v = use_min ? st.min : st.med;

		if (!strcmp(sc->pool->name, pool) && v > w)
			w = v;
	}
	return w;
}

static const struct scen *find_scen(const char *pool, const char *pattern, unsigned order)
{
	for (int i = 0; i < NSCEN; i++)
		if (!strcmp(scens[i].pool->name, pool) &&
		    !strcmp(scens[i].pool->pattern, pattern) && scens[i].order == order)
			return &scens[i];
	return NULL;
}

int main(void)
{
	static const int base_of[NFUNC] = { B_STEP, B_STEP_SEARCH };
	double t_start = now_ns();
	char name[160];
	int ns = 0;

	for (int i = 0; i < NPOOL; i++)
		pool_init(&pools[i], i < 3 ? "64MiB" : "1GiB", i < 3 ? 16384 : 262144, i % 3);

	/* answers: both baselines must agree, the subject is checked per call */
	for (int i = 0; i < NPOOL; i++) {
		for (unsigned o = 0; o <= MAX_ORDER; o++) {
			struct scen *sc = &scens[ns++];
			uint64_t nr = 1ULL << o;

			sc->pool = &pools[i];
			sc->order = o;
			sc->want = base_region(&pools[i].p, o, false);
			sc->want_area = base_area(&pools[i].p, 0, nr, nr - 1, 0);
			if ((sc->want < 0) != (sc->want_area > pools[i].pages - nr) ||
			    (sc->want >= 0 && (uint64_t)sc->want != sc->want_area))
				mismatch(sc, "baselines disagree", sc->want,
					 (int64_t)sc->want_area);
		}
	}

	/* warm-up, and baseline batch sizes from one timed call */
	for (int i = 0; i < NSCEN; i++) {
		struct scen *sc = &scens[i];

		for (int f = 0; f < NFUNC; f++)
			run_subject(sc, f, SUBJ_OPS / 10);
		for (int k = 0; k < NBASE; k++) {
			double t = run_base(sc, k, 2);
			double n = BASE_BATCH_NS / (t > 1 ? t : 1);

			sc->base_ops[k] = n < BASE_MIN_OPS ? BASE_MIN_OPS :
					  n > SUBJ_OPS ? SUBJ_OPS : (unsigned long)n;
		}
	}

	for (int rep = 0; rep < REPS; rep++) {
		for (int i = 0; i < NSCEN; i++) {
			struct scen *sc = &scens[i];

			/* alternate which side runs first */
			for (int f = 0; f < NFUNC; f++) {
				int k = base_of[f];

				if (rep & 1)
					sc->base[k][rep] = run_base(sc, k, sc->base_ops[k]);
				sc->subj[f][rep] = run_subject(sc, f, SUBJ_OPS);
				if (!(rep & 1))
					sc->base[k][rep] = run_base(sc, k, sc->base_ops[k]);
			}
			sc->base[B_FIRSTFIT][rep] = run_base(sc, B_FIRSTFIT,
							     sc->base_ops[B_FIRSTFIT]);
		}
	}
	for (int i = 0; i < NPOOL; i++)
		pool_check(&pools[i]);

	for (int i = 0; i < NSCEN; i++) {
		struct scen *sc = &scens[i];

		for (int f = 0; f < NFUNC; f++)
			sc->s[f] = summarise(sc->subj[f]);
		for (int k = 0; k < NBASE; k++)
			sc->bs[k] = summarise(sc->base[k]);
	}

	printf("# P2 bitmap search: %d repetitions after a warm-up, median (min) ns/op.\n"
	       "# Subject batches: %d calls.  Baseline batches: fewer where one call is\n"
	       "# slow, sized for ~%.0f ms and at least %d calls; calls per batch in ( ).\n",
	       REPS, SUBJ_OPS, BASE_BATCH_NS / 1e6, BASE_MIN_OPS);
	printf("# %-5s %-12s %-2s %-9s | %-19s %-19s | %-19s %-19s | %s\n", "pool", "pattern",
	       "o", "answer", "region subj", "region-step (ops)", "area subj",
	       "step-search (ops)", "zero-area loop (ops)");
	for (int i = 0; i < NSCEN; i++) {
		const struct scen *sc = &scens[i];
		char ans[24];

		if (sc->want < 0)
			snprintf(ans, sizeof(ans), "fail");
		else
			snprintf(ans, sizeof(ans), "%" PRId64, sc->want);
		printf("# %-5s %-12s %-2u %-9s | %7.1f (%7.1f)   %9.0f (%6lu)    | %7.1f (%7.1f)"
		       "   %9.0f (%6lu)    | %9.0f (%6lu)\n",
		       sc->pool->name, sc->pool->pattern, sc->order, ans,
		       sc->s[F_REGION].med, sc->s[F_REGION].min,
		       sc->bs[B_STEP].med, sc->base_ops[B_STEP],
		       sc->s[F_AREA].med, sc->s[F_AREA].min,
		       sc->bs[B_STEP_SEARCH].med, sc->base_ops[B_STEP_SEARCH],
		       sc->bs[B_FIRSTFIT].med, sc->base_ops[B_FIRSTFIT]);
	}

	printf("# worst case = the largest per-scenario figure over the 3 patterns x orders 0-4\n");
	for (int f = 0; f < NFUNC; f++) {
		for (int m = 0; m < 2; m++) {
			const char *stat = m ? "min" : "median";

			for (int pl = 0; pl < 2; pl++) {
				const char *pool = pl ? "1GiB" : "64MiB";

				snprintf(name, sizeof(name), "P2 %s %s worst-case vs %s (%s)",
					 func_names[f], pool, base_names[base_of[f]], stat);
				figure(name, worst(pool, f, -1, m),
				       worst(pool, -1, base_of[f], m), 0.02);
			}
			if (f != F_AREA)
				continue;
			snprintf(name, sizeof(name), "P2 %s 1GiB worst-case vs %s (%s)",
				 func_names[f], base_names[B_FIRSTFIT], stat);
			figure(name, worst("1GiB", f, -1, m), worst("1GiB", -1, B_FIRSTFIT, m),
			       1.0 / 300);
		}
	}
	for (int m = 0; m < 2; m++) {
		const char *stat = m ? "min" : "median";
		const struct scen *a = find_scen("1GiB", "prefix90", 0);
		const struct scen *c = find_scen("1GiB", "checkerboard", 1);

		snprintf(name, sizeof(name),
			 "P2 find_free_region 1GiB prefix90 order 0 (%s)", stat);
		figure(name, m ? a->s[F_REGION].min : a->s[F_REGION].med,
		       m ? a->bs[B_STEP].min : a->bs[B_STEP].med, 0.02);
		snprintf(name, sizeof(name),
			 "P2 find_free_region 1GiB checkerboard order 1, fails (%s)", stat);
		figure(name, m ? c->s[F_REGION].min : c->s[F_REGION].med,
		       m ? c->bs[B_STEP].min : c->bs[B_STEP].med, 1.0 / 30);
	}
	printf("# scaling: subject = 1 GiB worst case, baseline = 64 MiB worst case,"
	       " same function\n");
	for (int f = 0; f < NFUNC; f++) {
		for (int m = 0; m < 2; m++) {
			snprintf(name, sizeof(name), "P2 scaling %s worst-case 64MiB->1GiB (%s)",
				 func_names[f], m ? "min" : "median");
			figure(name, worst("1GiB", f, -1, m), worst("64MiB", f, -1, m), 2.0);
		}
	}
	printf("# all %d scenarios: subject == baseline on every call; run took %.1f s\n",
	       NSCEN, (now_ns() - t_start) / 1e9);

	for (int i = 0; i < NPOOL; i++)
		pool_fini(&pools[i]);
	if (far_miss) {
		fprintf(stderr, "bench_bitmap: a ratio missed its target by more than %gx\n", FAR);
		return 3;
	}
	return 0;
}
