/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * p1_dmapool.c — targets P1 and P1s: dma_pool_alloc()/dma_pool_free()
 * (src/dmapool.c, modelling mm/dmapool.c of 6.12) against glibc
 * malloc()/free() in the same batch pattern and against the list-walking
 * pool of the kernel before 2023 (baseline_dmapool.c), which is also the
 * differential oracle: for the same sequence on twin machines it must
 * hand out the same DMA addresses.
 *
 * A machine with 2 GiB of RAM and one coherent device with a 64-bit mask,
 * as mm/dmapool_test.c registers its "dmapool-test" device.
 *
 * P1 is dmapool_test: for each (size, align, boundary) of (16,16,0),
 * (64,64,0), (256,256,0), (1024,1024,0), (4096,4096,0), (68,32,4096),
 * blocks = clamp((4096 / size) * 512, 1024, 8192); one round allocates
 * `blocks` blocks and then frees them all in allocation order; a timing
 * is 100 rounds (NR_TESTS) after a warm-up round.  The machine's default
 * init_on_alloc zeroes every block handed out (Debian's kernel does too)
 * and glibc does not, so each set has a second figure from a machine
 * booted with "init_on_alloc=0".
 *
 * P1s is scaling: alloc + free pairs in the batch pattern (1,000 at a
 * time) on top of 1,000 ... 1,000,000 live 128-byte blocks (ratio
 * largest / smallest <= 1.5); the alloc-all-then-free-all pattern at
 * 1,000 ... 65,536 blocks against the list-walking pool (whose free walks
 * the page list: O(n) per op), and mpt3sas's 373,959 x 128 B from a
 * fresh pool in total milliseconds (target <= 50 ms; the kernel before
 * its 2023 rewrite took about 9 s).
 *
 * Self-checks (exit 1): every dma_pool_alloc() result; the first round of
 * every pool (and one after the timings) checks that the blocks are
 * distinct, do not overlap, are aligned, do not cross the boundary, match
 * their DMA address, and are zeroed exactly when init_on_alloc is on; the
 * pools do not grow while timed; no report is raised; the differential
 * rounds match.
 *
 * Left out: NUMA, the kernel test's printing.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dmapool.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>

#include "baseline.h"
#include "benchutil.h"
#include "harness.h"

#define NR_TESTS	100		/* rounds per timing, as dmapool_test */
#define RAM_MIB		2048
#define FILL		0x5a

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static struct dmapool_machine *m;	/* default machine (init_on_alloc on) */
static struct dmapool_machine *m0;	/* "init_on_alloc=0" */
static struct device *dev, *dev0;

static void __attribute__((noreturn, format(printf, 2, 3)))
die_m(struct dmapool_machine *mm, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (mm) {
		size_t n = dmapool_log_count(mm), r = dmapool_report_count(mm);

		for (size_t i = n > 8 ? n - 8 : 0; i < n; i++)
			fprintf(stderr, "  log: %s\n", dmapool_log_line(mm, i));
		for (size_t i = r > 4 ? r - 4 : 0; i < r; i++)
			fprintf(stderr, "  report: %s\n", dmapool_report_text(mm, i));
	}
	hx_fail("%s", buf);
}

struct blk {
	void *v;
	dma_addr_t dma;
};

static void __attribute__((noreturn))
alloc_failed(struct device *d, struct dma_pool *pool, size_t live)
{
	size_t active = 0, blocks = 0, bsize = 0, chunks = 0;

	dmapool_pool_stats(pool, &active, &blocks, &bsize, &chunks);
	die_m(dmapool_device_machine(d),
	      "dma_pool_alloc(GFP_KERNEL) returned NULL with %zu blocks live in this pool (%zu active, %zu carved, block %zu B, %zu chunks): the simulated RAM (%d MiB /memory node) has no room left for another chunk",
	      live, active, blocks, bsize, chunks, RAM_MIB);
}

/* One dmapool_test round: allocate n blocks, then free them all. */
static inline void pool_round(struct device *d, struct dma_pool *pool, struct blk *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		b[i].v = dma_pool_alloc(pool, GFP_KERNEL, &b[i].dma);
		if (__builtin_expect(!b[i].v, 0))
			alloc_failed(d, pool, i);
	}
	for (unsigned i = 0; i < n; i++)
		dma_pool_free(pool, b[i].v, b[i].dma);
}

static double pool_rounds(struct device *d, struct dma_pool *pool, struct blk *b,
			  unsigned n, unsigned rounds)
{
	double t0 = hx_now();

	for (unsigned r = 0; r < rounds; r++)
		pool_round(d, pool, b, n);
	return (hx_now() - t0) / ((double)n * rounds);
}

/* The same with the list-walking pool. */
static double bl_rounds(struct bl_pool *pool, struct blk *b, unsigned n, unsigned rounds)
{
	double t0 = hx_now();

	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < n; i++) {
			uint64_t dma;

			b[i].v = bl_pool_alloc(pool, &dma);
			b[i].dma = dma;
			if (__builtin_expect(!b[i].v, 0))
				hx_fail("the list-walking pool got no chunk");
		}
		for (unsigned i = 0; i < n; i++)
			if (__builtin_expect(!bl_pool_free(pool, b[i].v, b[i].dma), 0))
				hx_fail("the list-walking pool lost a block");
	}
	return (hx_now() - t0) / ((double)n * rounds);
}

/* ------------------------------------------------------------------ */
/* sanity checks                                                       */

static uint64_t *sorted;	/* scratch for the distinctness check */

static void check_blocks(struct device *d, struct dma_pool *pool, const struct blk *b,
			 size_t n, size_t align, size_t boundary, const char *what)
{
	struct dmapool_machine *mm = dmapool_device_machine(d);
	size_t bsize = 0;

	dmapool_pool_stats(pool, NULL, NULL, &bsize, NULL);
	for (size_t i = 0; i < n; i++) {
		uint64_t a = b[i].dma;

		if (a % align || (uintptr_t)b[i].v % align)
			die_m(mm, "%s: block %zu at dma %#" PRIx64 " / %p is not %zu-aligned",
			      what, i, a, b[i].v, align);
		if (boundary && a / boundary != (a + bsize - 1) / boundary)
			die_m(mm, "%s: block %zu at dma %#" PRIx64 " (%zu B) crosses a %zu boundary",
			      what, i, a, bsize, boundary);
		if (dmapool_virt_to_phys(mm, b[i].v) != (phys_addr_t)a)
			die_m(mm, "%s: block %zu: vaddr %p is not at its dma %#" PRIx64,
			      what, i, b[i].v, a);
		sorted[i] = a;
	}
	qsort(sorted, n, sizeof(*sorted), cmp_u64);
	for (size_t i = 1; i < n; i++)
		if (sorted[i] - sorted[i - 1] < bsize)
			die_m(mm, "%s: blocks at dma %#" PRIx64 " and %#" PRIx64 " overlap (block size %zu)",
			      what, sorted[i - 1], sorted[i], bsize);
}

/* A round that checks instead of timing.  zeroed: 1 the blocks must be
 * zero (init_on_alloc), 0 they must still hold FILL, -1 unknown. */
static void check_round(struct device *d, struct dma_pool *pool, struct blk *b, unsigned n,
			size_t size, size_t align, size_t boundary, int zeroed, const char *what)
{
	struct dmapool_machine *mm = dmapool_device_machine(d);
	size_t live = 0, active = 0;

	dmapool_pool_stats(pool, &live, NULL, NULL, NULL);
	for (unsigned i = 0; i < n; i++) {
		b[i].v = dma_pool_alloc(pool, GFP_KERNEL, &b[i].dma);
		if (!b[i].v)
			alloc_failed(d, pool, i);
	}
	check_blocks(d, pool, b, n, align, boundary, what);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *p = b[i].v;

		if (zeroed >= 0)
			for (size_t j = 0; j < size; j++)
				if (p[j] != (zeroed ? 0 : FILL))
					die_m(mm, "%s: block %u byte %zu is %#04x after dma_pool_alloc, expected %#04x",
					      what, i, j, p[j], zeroed ? 0 : FILL);
		memset(b[i].v, FILL, size);
	}
	for (unsigned i = 0; i < n; i++)
		dma_pool_free(pool, b[i].v, b[i].dma);
	dmapool_pool_stats(pool, &active, NULL, NULL, NULL);
	if (active != live)
		die_m(mm, "%s: %zu blocks active after the round, %zu before it", what, active, live);
}

static size_t pool_chunks(const struct dma_pool *pool)
{
	size_t chunks = 0;

	dmapool_pool_stats(pool, NULL, NULL, NULL, &chunks);
	return chunks;
}

static void no_reports(struct dmapool_machine *mm, const char *what)
{
	if (dmapool_report_count(mm))
		die_m(mm, "%s: the library raised %zu report(s)", what, dmapool_report_count(mm));
}

static struct dmapool_machine *load(const char *bootargs)
{
	struct dmapool_machine *mm;
	int err = bench_load(bootargs, &mm);

	if (err)
		hx_fail("cannot load the machine (\"%s\"): %s (is dtc installed?)", bootargs,
			dmapool_strerror(err));
	return mm;
}

static struct device *device_of(struct dmapool_machine *mm)
{
	struct device *d = dmapool_device_find(mm, "dev@0");

	if (!d || dma_set_mask_and_coherent(d, DMA_BIT_MASK(64)))
		hx_fail("no device, or dma_set_mask_and_coherent(64) failed");
	return d;
}

/* ------------------------------------------------------------------ */
/* differential: the library's pool and the list-walking one on twins  */

static int cmp_blk(const void *a, const void *b)
{
	return cmp_u64(&((const struct blk *)a)->dma, &((const struct blk *)b)->dma);
}

/*
 * Twin machines (same tree, same boot): `rounds` rounds of n allocations
 * then n frees in allocation order, on the library's pool on one and the
 * list-walking pool on the other.  Both designs carve the same blocks
 * and, in this pattern, hand them out in the same order (first round:
 * page after page, in address order; later rounds: the reverse of the
 * frees, newest page first) as long as every page is full, i.e. n is a
 * multiple of the blocks per page.  From the third round on, 6.12's
 * pool-wide free list and 6.3's per-page lists legitimately differ in
 * order (6.12 hands out the block freed last, 6.3 the newest page's
 * first), and only the sets of addresses are compared.  When the last
 * page is partial, 6.3 fills it up before going back to older pages, so
 * even the sets differ after the first round, which alone is compared.
 * Returns whether every page was full.
 */
static bool differential(size_t size, size_t align, size_t boundary, unsigned n,
			 unsigned rounds, const char *what)
{
	struct dmapool_machine *ma = load(""), *mb = load("");
	struct device *da = device_of(ma), *db = device_of(mb);
	struct dma_pool *pa = dma_pool_create("differential", da, size, align, boundary);
	struct bl_pool *pb = bl_pool_create(db, size, align, boundary, true);
	struct blk *a = malloc(n * sizeof(*a)), *b = malloc(n * sizeof(*b));
	size_t bsize = 0, per_page;
	bool exact;

	if (!pa || !pb || !a || !b)
		hx_fail("%s: pool creation or host memory failed", what);
	dmapool_pool_stats(pa, NULL, NULL, &bsize, NULL);
	/* blocks per page, with the boundary segments of both designs */
	{
		size_t alloc = bsize > 4096 ? bsize : 4096, bnd = boundary ? boundary : alloc;

		if (bnd > alloc)
			bnd = alloc;
		per_page = alloc / bnd * (bnd / bsize);
	}
	exact = n % per_page == 0;
	for (unsigned r = 0; r < rounds; r++) {
		bool in_order;

		dmapool_machine_use(ma);
		for (unsigned i = 0; i < n; i++) {
			a[i].v = dma_pool_alloc(pa, GFP_KERNEL, &a[i].dma);
			if (!a[i].v)
				alloc_failed(da, pa, i);
		}
		dmapool_machine_use(mb);
		for (unsigned i = 0; i < n; i++) {
			uint64_t dma;

			b[i].v = bl_pool_alloc(pb, &dma);
			b[i].dma = dma;
			if (!b[i].v)
				hx_fail("%s: the list-walking pool got no chunk", what);
		}
		in_order = r == 0 || (exact && r < 2);
		if (!in_order && !exact)
			goto free_all;
		if (!in_order) {
			qsort(a, n, sizeof(*a), cmp_blk);
			qsort(b, n, sizeof(*b), cmp_blk);
		}
		for (unsigned i = 0; i < n; i++)
			if (a[i].dma != b[i].dma)
				hx_fail("MISMATCH %s round %u %s %u: dma_pool_alloc %#" PRIx64
					", list-walking pool %#" PRIx64, what, r + 1,
					in_order ? "allocation" : "sorted address", i,
					(uint64_t)a[i].dma, (uint64_t)b[i].dma);
free_all:
		dmapool_machine_use(ma);
		for (unsigned i = 0; i < n; i++)
			dma_pool_free(pa, a[i].v, a[i].dma);
		dmapool_machine_use(mb);
		for (unsigned i = 0; i < n; i++)
			if (!bl_pool_free(pb, b[i].v, b[i].dma))
				hx_fail("%s: the list-walking pool lost a block", what);
	}
	if (pool_chunks(pa) != bl_pool_pages(pb))
		hx_fail("%s: %zu chunks in the library's pool, %zu pages in the list-walking one",
			what, pool_chunks(pa), bl_pool_pages(pb));
	no_reports(ma, what);
	no_reports(mb, what);
	dmapool_machine_use(mb);
	bl_pool_destroy(pb);
	dmapool_machine_use(ma);
	dma_pool_destroy(pa);
	dmapool_machine_destroy(ma);
	dmapool_machine_destroy(mb);
	free(a);
	free(b);
	return exact;
}

/* ------------------------------------------------------------------ */
/* P1                                                                  */

struct p1_set {
	size_t size, align, boundary;
	double target;
	const char *name;
};

static const struct p1_set p1_sets[] = {
	{ 16, 16, 0, 2.0, "P1 16B align 16" },
	{ 64, 64, 0, 2.0, "P1 64B align 64" },
	{ 256, 256, 0, 0.5, "P1 256B align 256" },
	{ 1024, 1024, 0, 0.2, "P1 1KiB align 1024" },
	{ 4096, 4096, 0, 0.05, "P1 4KiB align 4096" },
	{ 68, 32, 4096, 2.0, "P1 68B align 32 boundary 4096" },
};

static struct blk *blks;
static void **ptrs;

static void machines_up(void)
{
	hx_pin_cpu();
	blks = malloc(8192 * sizeof(*blks));
	ptrs = malloc(400000 * sizeof(*ptrs));
	sorted = malloc(1000000 * sizeof(*sorted));
	if (!blks || !ptrs || !sorted)
		hx_fail("out of host memory");
	m = load("");
	m0 = load("init_on_alloc=0");
	dev = device_of(m);
	dev0 = device_of(m0);
	dmapool_machine_use(m);
}

static void machines_down(void)
{
	dmapool_machine_destroy(m0);
	dmapool_machine_destroy(m);
	m = m0 = NULL;
	free(blks);
	free(ptrs);
	free(sorted);
}

static void p1(const struct p1_set *t)
{
	unsigned n = (unsigned)(4096 / t->size * 512), rounds = hx_quick() ? 10 : NR_TESTS;
	int reps = hx_reps();
	struct dma_pool *pd, *p0;
	struct bl_pool *pl;
	double sd[HX_MAXREP], s0[HX_MAXREP], b[HX_MAXREP], l[HX_MAXREP];
	char what[160];
	size_t cd, c0;
	bool exact;

	n = n < 1024 ? 1024 : n > 8192 ? 8192 : n;
	snprintf(what, sizeof(what), "%s differential", t->name);
	exact = differential(t->size, t->align, t->boundary, n, 3, what);
	pd = dma_pool_create("dmapool-test", dev, t->size, t->align, t->boundary);
	p0 = dma_pool_create("dmapool-test", dev0, t->size, t->align, t->boundary);
	pl = bl_pool_create(dev, t->size, t->align, t->boundary, true);
	if (!pd || !p0 || !pl)
		hx_fail("%s: dma_pool_create failed", t->name);

	/* warm-up: the first round carves the chunks, and is checked */
	snprintf(what, sizeof(what), "%s first round", t->name);
	dmapool_machine_use(m0);
	check_round(dev0, p0, blks, n, t->size, t->align, t->boundary, -1, what);
	dmapool_machine_use(m);
	check_round(dev, pd, blks, n, t->size, t->align, t->boundary, 1, what);
	bl_rounds(pl, blks, n, 1);
	bl_malloc_rounds(ptrs, t->size, 0, n, 1);
	cd = pool_chunks(pd);
	c0 = pool_chunks(p0);

	for (int r = 0; r < reps; r++) {
		sd[r] = pool_rounds(dev, pd, blks, n, rounds);
		b[r] = bl_malloc_rounds(ptrs, t->size, 0, n, rounds);
		dmapool_machine_use(m0);
		s0[r] = pool_rounds(dev0, p0, blks, n, rounds);
		dmapool_machine_use(m);
		l[r] = bl_rounds(pl, blks, n, rounds);
	}

	snprintf(what, sizeof(what), "%s after the timings", t->name);
	check_round(dev, pd, blks, n, t->size, t->align, t->boundary, 1, what);
	dmapool_machine_use(m0);
	check_round(dev0, p0, blks, n, t->size, t->align, t->boundary, 0, what);
	dmapool_machine_use(m);
	if (pool_chunks(pd) != cd || pool_chunks(p0) != c0)
		hx_fail("%s: the pools grew from %zu/%zu to %zu/%zu chunks with no more than %u blocks live",
			t->name, cd, c0, pool_chunks(pd), pool_chunks(p0), n);
	dma_pool_destroy(pd);
	dma_pool_destroy(p0);
	bl_pool_destroy(pl);
	no_reports(m, t->name);
	no_reports(m0, t->name);

	hx_note("%s: %u blocks per round, %u rounds per timing; differential against the list-walking pool on twin machines: 3 rounds, %s",
		t->name, n, rounds, exact ? "same addresses in the same order in rounds 1-2, the same set in round 3" :
		"same addresses in the same order in round 1 (the last page is partial: later rounds legitimately differ)");
	hx_figure(t->name, sd, b, reps, HX_LE, t->target, 0);
	snprintf(what, sizeof(what), "%s [init_on_alloc=0]", t->name);
	hx_figure(what, s0, b, reps, HX_LE, t->target, 0);
	snprintf(what, sizeof(what), "%s vs list-walking pool", t->name);
	hx_figure(what, sd, l, reps, HX_LE, 0, HX_NOTARGET);
}

int bench_p1(void)
{
	machines_up();
	for (size_t i = 0; i < sizeof(p1_sets) / sizeof(p1_sets[0]); i++)
		p1(&p1_sets[i]);
	machines_down();
	return 0;
}

/* ------------------------------------------------------------------ */
/* P1s                                                                 */

#define P1S_SIZE	128
#define TOP		1000u		/* blocks per round on top of the live ones */
#define MPT3SAS		373959u

static void fill_live(struct dma_pool *pool, struct blk *b, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++) {
		b[i].v = dma_pool_alloc(pool, GFP_KERNEL, &b[i].dma);
		if (!b[i].v)
			alloc_failed(dev, pool, i);
	}
	check_blocks(dev, pool, b, n, P1S_SIZE, 0, what);
}

/* alloc + free pairs on top of n live blocks, library and list-walking. */
static void p1s_live(void)
{
	static const unsigned live[] = { 1000, 10000, 100000, 1000000 };
	const char *series = "P1s pairs on top of live 128B blocks vs list-walking pool";
	int reps = hx_reps(), nl = sizeof(live) / sizeof(live[0]);
	unsigned top_rounds = (unsigned)hx_ops(100, 10, 10);
	double s[4][HX_MAXREP], l[4][HX_MAXREP];
	struct blk *ll = malloc(live[nl - 1] * sizeof(*ll));
	struct blk *lb = malloc(live[nl - 1] * sizeof(*lb));
	struct blk *top = malloc(TOP * sizeof(*top));

	if (!ll || !lb || !top)
		hx_fail("out of host memory");
	for (int k = 0; k < nl; k++) {
		struct dma_pool *p = dma_pool_create("p1s-live", dev, P1S_SIZE, P1S_SIZE, 0);
		struct bl_pool *q = bl_pool_create(dev, P1S_SIZE, P1S_SIZE, 0, true);
		char what[96];

		if (!p || !q)
			hx_fail("P1s: pool creation failed");
		snprintf(what, sizeof(what), "P1s %u live blocks", live[k]);
		fill_live(p, ll, live[k], what);
		for (unsigned i = 0; i < live[k]; i++) {
			uint64_t dma;

			lb[i].v = bl_pool_alloc(q, &dma);
			lb[i].dma = dma;
			if (!lb[i].v)
				hx_fail("the list-walking pool got no chunk");
		}
		check_round(dev, p, top, TOP, P1S_SIZE, P1S_SIZE, 0, -1, what);
		bl_rounds(q, top, TOP, 1);
		for (int r = 0; r < reps; r++) {
			s[k][r] = pool_rounds(dev, p, top, TOP, top_rounds);
			l[k][r] = bl_rounds(q, top, TOP, top_rounds);
		}
		for (unsigned i = 0; i < live[k]; i++) {
			dma_pool_free(p, ll[i].v, ll[i].dma);
			if (!bl_pool_free(q, lb[i].v, lb[i].dma))
				hx_fail("the list-walking pool lost a block");
		}
		dma_pool_destroy(p);
		bl_pool_destroy(q);
		no_reports(m, what);
		hx_point(series, live[k], s[k], l[k], reps, HX_LE, 0, HX_NOTARGET);
	}
	hx_scaling(series, live[0], s[0], live[nl - 1], s[nl - 1], reps, 1.5, 0);
	free(ll);
	free(lb);
	free(top);
}

/* Allocate n from a fresh pool, then free all: library vs list-walking. */
static void p1s_batch(void)
{
	static const unsigned ns[] = { 1024, 4096, 16384, 65536 };
	const char *series = "P1s alloc-all-then-free-all 128B vs list-walking pool";
	int reps = hx_reps(), nn = sizeof(ns) / sizeof(ns[0]);
	double s[4][HX_MAXREP], l[4][HX_MAXREP];
	struct blk *b = malloc(ns[nn - 1] * sizeof(*b));

	if (!b)
		hx_fail("out of host memory");
	if (!differential(P1S_SIZE, 16, 0, 16384, 2, "P1s 16,384 x 128B differential"))
		hx_fail("P1s differential: 16,384 blocks do not fill whole pages");
	for (int k = 0; k < nn; k++) {
		for (int r = -1; r < reps; r++) {	/* r = -1: warm-up */
			struct dma_pool *p = dma_pool_create("chain pool", dev, P1S_SIZE, 16, 0);
			struct bl_pool *q = bl_pool_create(dev, P1S_SIZE, 16, 0, true);
			double ts, tl;

			if (!p || !q)
				hx_fail("P1s: pool creation failed");
			ts = pool_rounds(dev, p, b, ns[k], 1);
			tl = bl_rounds(q, b, ns[k], 1);
			dma_pool_destroy(p);
			bl_pool_destroy(q);
			if (r >= 0) {
				s[k][r] = ts;
				l[k][r] = tl;
			}
		}
		hx_point(series, ns[k], s[k], l[k], reps, HX_LE, 0, HX_NOTARGET);
	}
	hx_scaling(series, ns[0], s[0], ns[nn - 1], s[nn - 1], reps, 1.5, 0);
	no_reports(m, series);
	free(b);
}

static void p1s_mpt3sas(void)
{
	const char *name = "P1s mpt3sas 373959 x 128B alloc then free all vs glibc";
	struct blk *b = malloc(MPT3SAS * sizeof(*b));
	void **p = malloc(MPT3SAS * sizeof(*p));
	double s[HX_MAXREP], g[HX_MAXREP], ms[HX_MAXREP];
	int reps = hx_reps();

	if (!b || !p)
		hx_fail("out of host memory");
	bl_malloc_rounds(p, P1S_SIZE, 0, MPT3SAS, 1);
	for (int r = 0; r < reps; r++) {
		/* mpt3sas: dma_pool_create("chain pool", dev, 128, 16, 0) */
		struct dma_pool *pool = dma_pool_create("chain pool", dev, P1S_SIZE, 16, 0);

		if (!pool)
			hx_fail("P1s: dma_pool_create failed");
		if (r == 0) {
			check_round(dev, pool, b, MPT3SAS, P1S_SIZE, 16, 0, 1,
				    "P1s mpt3sas first round");
			dma_pool_destroy(pool);
			pool = dma_pool_create("chain pool", dev, P1S_SIZE, 16, 0);
			if (!pool)
				hx_fail("P1s: dma_pool_create failed");
		}
		s[r] = pool_rounds(dev, pool, b, MPT3SAS, 1);
		dma_pool_destroy(pool);
		g[r] = bl_malloc_rounds(p, P1S_SIZE, 0, MPT3SAS, 1);
		ms[r] = s[r] * MPT3SAS / 1e6;
	}
	no_reports(m, name);
	hx_figure(name, s, g, reps, HX_LE, 0, HX_NOTARGET);
	hx_value("P1s mpt3sas whole pattern (median)", hx_median(ms, reps), hx_min(ms, reps),
		 "ms", HX_LE, 50, 0);
	free(b);
	free(p);
}

int bench_p1s(void)
{
	machines_up();
	p1s_live();
	p1s_batch();
	p1s_mpt3sas();
	machines_down();
	return 0;
}
