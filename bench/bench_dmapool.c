/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * bench_dmapool.c — targets P1 and P1s of the project's performance
 * targets: dma_pool_alloc()/dma_pool_free() (src/dmapool.c) against glibc
 * malloc()/free() in the same batch pattern, measured side by side in one
 * process.
 *
 * A machine with 2 GiB of RAM and one coherent device with a 64-bit mask,
 * as mm/dmapool_test.c registers its "dmapool-test" device.
 *
 * P1 is dmapool_test: for each (size, align, boundary) of (16,16,0),
 * (64,64,0), (256,256,0), (1024,1024,0), (4096,4096,0), (68,32,4096),
 * blocks = clamp((4096 / size) * 512, 1024, 8192); one round allocates
 * `blocks` blocks with dma_pool_alloc(GFP_KERNEL) and then frees them all,
 * in allocation order.  A pool is created once per set and warmed up with
 * one round (so its chunks exist); a timing is 100 rounds (NR_TESTS).  The
 * baseline is malloc(size) / free in the same pattern, timed in the same
 * repetition.  Figures are ns per alloc + free pair and their ratio
 * (target <= 2 at 16 and 64 B and for the 68 B set, <= 0.5 at 256 B,
 * <= 0.2 at 1 KiB, <= 0.05 at 4 KiB).  The machine's default
 * init_on_alloc zeroes every block handed out (Debian's kernel does too)
 * and glibc does not, so each set has a second line from a machine booted
 * with "init_on_alloc=0".  An indented line gives the kernel test's own
 * figure (microseconds for the 100 rounds, median).
 *
 * P1s is scaling: (a) alloc + free pairs in the batch pattern (1,000 at a
 * time) on top of 1,000 and of 1,000,000 live 128-byte blocks (align 128)
 * of one pool, ratio large / small (target <= 1.5); (b) mpt3sas's pattern,
 * 373,959 allocations of 128 B from a fresh pool (chunks included) then
 * freeing them all, in total milliseconds (target <= 50 ms, best of REPS;
 * the kernel before its 2023 rewrite took about 9 s), with glibc doing
 * the same as a reference.
 *
 * The benchmark is also a sanity check: every dma_pool_alloc() result is
 * checked, and the first round of every pool (and one after the timings)
 * checks that the blocks are distinct, do not overlap, are aligned, do not
 * cross the boundary, match their DMA address, and are zeroed exactly when
 * init_on_alloc is on.  No report may be raised.
 *
 * "bench_dmapool NAME" runs only the figures whose name contains NAME
 * (16B, 64B, 256B, 1KiB, 4KiB, 68B, live, mpt3sas, P1s).
 *
 * Exit 3 when a ratio misses its target by more than FAR.
 */
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dmapool.h>
#include "benchutil.h"
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>

#define REPS		7
#define FAR		3.0
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
	va_list ap;

	fprintf(stderr, "bench_dmapool: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (mm) {
		size_t n = dmapool_log_count(mm), r = dmapool_report_count(mm);

		for (size_t i = n > 8 ? n - 8 : 0; i < n; i++)
			fprintf(stderr, "  log: %s\n", dmapool_log_line(mm, i));
		for (size_t i = r > 4 ? r - 4 : 0; i < r; i++)
			fprintf(stderr, "  report: %s\n", dmapool_report_text(mm, i));
	}
	exit(1);
}

#define die(...) die_m(NULL, __VA_ARGS__)

struct blk {
	void *v;
	dma_addr_t dma;
};

/* dma_pool_alloc() returned NULL: say why it matters and stop. */
static void __attribute__((noreturn))
alloc_failed(struct device *d, struct dma_pool *pool, size_t live)
{
	size_t active = 0, blocks = 0, bsize = 0, chunks = 0;

	dmapool_pool_stats(pool, &active, &blocks, &bsize, &chunks);
	die_m(dmapool_device_machine(d),
	      "dma_pool_alloc(GFP_KERNEL) returned NULL with %zu blocks live in this pool (%zu active, %zu carved, block %zu B, %zu chunks = %.1f MiB from dma_alloc_coherent): the simulated RAM (%d MiB /memory node) or the buddy/CMA allocator has no room left for another chunk",
	      live, active, blocks, bsize, chunks,
	      chunks * (double)(bsize > 4096 ? bsize : 4096) / (1 << 20), RAM_MIB);
}

/* ------------------------------------------------------------------ */
/* the patterns                                                        */

/* One dmapool_test round: allocate n blocks, then free them all. */
static inline void pool_round(struct device *d, struct dma_pool *pool,
			      struct blk *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		b[i].v = dma_pool_alloc(pool, GFP_KERNEL, &b[i].dma);
		if (__builtin_expect(!b[i].v, 0))
			alloc_failed(d, pool, i);
	}
	for (unsigned i = 0; i < n; i++)
		dma_pool_free(pool, b[i].v, b[i].dma);
}

/* Returns ns per alloc + free pair over `rounds` rounds. */
static double pool_rounds(struct device *d, struct dma_pool *pool,
			  struct blk *b, unsigned n, unsigned rounds)
{
	double t0 = now_ns();

	for (unsigned r = 0; r < rounds; r++)
		pool_round(d, pool, b, n);
	return (now_ns() - t0) / ((double)n * rounds);
}

/* The same with glibc. */
static double malloc_rounds(void **p, size_t size, unsigned n, unsigned rounds)
{
	double t0 = now_ns();

	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < n; i++) {
			p[i] = malloc(size);
			if (__builtin_expect(!p[i], 0))
				die("malloc(%zu) failed", size);
			__asm__ volatile("" : : "r"(p[i]) : "memory");
		}
		for (unsigned i = 0; i < n; i++)
			free(p[i]);
	}
	return (now_ns() - t0) / ((double)n * rounds);
}

/* ------------------------------------------------------------------ */
/* sanity checks                                                       */

static uint64_t *sorted;	/* scratch for the distinctness check */

/* The n live blocks of pool are distinct, non-overlapping, aligned, inside
 * their boundary and at their DMA address. */
static void check_blocks(struct device *d, struct dma_pool *pool,
			 const struct blk *b, size_t n, size_t align,
			 size_t boundary, const char *what)
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
			die_m(mm, "%s: block %zu: vaddr %p is at phys %#" PRIx64 ", its dma is %#" PRIx64,
			      what, i, b[i].v, (uint64_t)dmapool_virt_to_phys(mm, b[i].v), a);
		sorted[i] = a;
	}
	qsort(sorted, n, sizeof(*sorted), cmp_u64);
	for (size_t i = 1; i < n; i++)
		if (sorted[i] - sorted[i - 1] < bsize)
			die_m(mm, "%s: blocks at dma %#" PRIx64 " and %#" PRIx64 " overlap (block size %zu)%s",
			      what, sorted[i - 1], sorted[i], bsize,
			      sorted[i] == sorted[i - 1] ? ": handed out twice" : "");
}

/* A round that checks instead of timing.  zeroed: 1 the blocks must be
 * zero (init_on_alloc), 0 they must still hold FILL, -1 unknown.  Every
 * block is then filled with FILL. */
static void check_round(struct device *d, struct dma_pool *pool, struct blk *b,
			unsigned n, size_t size, size_t align, size_t boundary,
			int zeroed, const char *what)
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
					die_m(mm, "%s: block %u byte %zu is %#04x after dma_pool_alloc, expected %#04x (init_on_alloc %s)",
					      what, i, j, p[j], zeroed ? 0 : FILL,
					      zeroed ? "on" : "off");
		memset(b[i].v, FILL, size);
	}
	for (unsigned i = 0; i < n; i++)
		dma_pool_free(pool, b[i].v, b[i].dma);
	dmapool_pool_stats(pool, &active, NULL, NULL, NULL);
	if (active != live)
		die_m(mm, "%s: %zu blocks active after the round, %zu before it",
		      what, active, live);
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
		die_m(mm, "%s: the library raised %zu report(s)", what,
		      dmapool_report_count(mm));
}

/* ------------------------------------------------------------------ */
/* machines                                                            */

static struct dmapool_machine *load(const char *bootargs)
{
	struct dmapool_machine *mm;
	int err = bench_load(bootargs, &mm);

	if (err)
		die("cannot load the machine (\"%s\"): %s (is dtc installed?)",
		    bootargs, dmapool_strerror(err));
	return mm;
}

static struct device *device_of(struct dmapool_machine *mm)
{
	struct device *d = dmapool_device_find(mm, "dev@0");

	if (!d || dma_set_mask_and_coherent(d, DMA_BIT_MASK(64)))
		die("no device, or dma_set_mask_and_coherent(64) failed");
	return d;
}

static const char *only;	/* argv[1]: run the figures whose name has it */

static bool wanted(const char *name)
{
	return !only || strstr(name, only);
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

static int p1(const struct p1_set *t)
{
	unsigned n = (unsigned)(4096 / t->size * 512);
	struct dma_pool *pd, *p0;
	double sd[REPS], s0[REPS], b[REPS];
	size_t cd, c0;
	char what[96];
	int bad = 0;

	if (!wanted(t->name))
		return 0;
	n = n < 1024 ? 1024 : n > 8192 ? 8192 : n;
	pd = dma_pool_create("dmapool-test", dev, t->size, t->align, t->boundary);
	p0 = dma_pool_create("dmapool-test", dev0, t->size, t->align, t->boundary);
	if (!pd || !p0)
		die("%s: dma_pool_create failed", t->name);

	/* warm-up: the first round carves the chunks, and is checked */
	snprintf(what, sizeof(what), "%s first round", t->name);
	check_round(dev, pd, blks, n, t->size, t->align, t->boundary, 1, what);
	check_round(dev0, p0, blks, n, t->size, t->align, t->boundary, -1, what);
	malloc_rounds(ptrs, t->size, n, 1);
	cd = pool_chunks(pd);
	c0 = pool_chunks(p0);

	for (int r = 0; r < REPS; r++) {
		sd[r] = pool_rounds(dev, pd, blks, n, NR_TESTS);
		s0[r] = pool_rounds(dev0, p0, blks, n, NR_TESTS);
		b[r] = malloc_rounds(ptrs, t->size, n, NR_TESTS);
	}

	snprintf(what, sizeof(what), "%s after the timings", t->name);
	check_round(dev, pd, blks, n, t->size, t->align, t->boundary, 1, what);
	check_round(dev0, p0, blks, n, t->size, t->align, t->boundary, 0, what);
	if (pool_chunks(pd) != cd || pool_chunks(p0) != c0)
		die("%s: the pools grew from %zu/%zu to %zu/%zu chunks with no more than %u blocks live",
		    t->name, cd, c0, pool_chunks(pd), pool_chunks(p0), n);
	dma_pool_destroy(pd);
	dma_pool_destroy(p0);
	no_reports(m, t->name);
	no_reports(m0, t->name);

	qsort(sd, REPS, sizeof(*sd), cmp_d);
	qsort(s0, REPS, sizeof(*s0), cmp_d);
	qsort(b, REPS, sizeof(*b), cmp_d);
	printf("%s: subject %.1f ns/op, baseline %.1f ns/op, ratio %.3f (min-based %.3f) (target <= %.2f)\n",
	       t->name, sd[REPS / 2], b[REPS / 2], sd[REPS / 2] / b[REPS / 2],
	       sd[0] / b[0], t->target);
	printf("%s [init_on_alloc=0]: subject %.1f ns/op, baseline %.1f ns/op, ratio %.3f (min-based %.3f) (target <= %.2f)\n",
	       t->name, s0[REPS / 2], b[REPS / 2], s0[REPS / 2] / b[REPS / 2],
	       s0[0] / b[0], t->target);
	printf("   (dmapool_test: size:%-4zu align:%-4zu blocks:%-4u time:%.0f us for %d rounds; init_on_alloc=0 %.0f us; glibc %.0f us; median)\n",
	       t->size, t->align, n, sd[REPS / 2] * n * NR_TESTS / 1e3, NR_TESTS,
	       s0[REPS / 2] * n * NR_TESTS / 1e3, b[REPS / 2] * n * NR_TESTS / 1e3);
	bad |= sd[REPS / 2] / b[REPS / 2] > t->target * FAR;
	bad |= s0[REPS / 2] / b[REPS / 2] > t->target * FAR;
	return bad;
}

/* ------------------------------------------------------------------ */
/* P1s                                                                 */

#define P1S_SIZE	128
#define LIVE_SMALL	1000u
#define LIVE_LARGE	1000000u
#define TOP		1000u		/* blocks per round on top of the live ones */
#define TOP_ROUNDS	100u		/* 100,000 pairs per timing */
#define MPT3SAS		373959u

/* Allocate n live blocks and check them. */
static void fill_live(struct dma_pool *pool, struct blk *b, size_t n,
		      const char *what)
{
	for (size_t i = 0; i < n; i++) {
		b[i].v = dma_pool_alloc(pool, GFP_KERNEL, &b[i].dma);
		if (!b[i].v)
			alloc_failed(dev, pool, i);
	}
	check_blocks(dev, pool, b, n, P1S_SIZE, 0, what);
}

static void free_live(struct dma_pool *pool, struct blk *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dma_pool_free(pool, b[i].v, b[i].dma);
}

static int p1s_live(void)
{
	const char *name = "P1s live 1M vs 1K (128B, alloc+free pairs on top)";
	struct blk *ls, *ll, *top;
	struct dma_pool *ps, *pl;
	double s[REPS], l[REPS], ratio;

	if (!wanted(name))
		return 0;
	ls = malloc(LIVE_SMALL * sizeof(*ls));
	ll = malloc(LIVE_LARGE * sizeof(*ll));
	top = malloc(TOP * sizeof(*top));
	ps = dma_pool_create("p1s-1k", dev, P1S_SIZE, P1S_SIZE, 0);
	pl = dma_pool_create("p1s-1m", dev, P1S_SIZE, P1S_SIZE, 0);
	if (!ls || !ll || !top)
		die("out of host memory");
	if (!ps || !pl)
		die("P1s: dma_pool_create failed");
	fill_live(ps, ls, LIVE_SMALL, "P1s 1,000 live blocks");
	fill_live(pl, ll, LIVE_LARGE, "P1s 1,000,000 live blocks");
	check_round(dev, ps, top, TOP, P1S_SIZE, P1S_SIZE, 0, -1, "P1s first round on 1,000 live");
	check_round(dev, pl, top, TOP, P1S_SIZE, P1S_SIZE, 0, -1, "P1s first round on 1,000,000 live");
	for (int r = 0; r < REPS; r++) {
		s[r] = pool_rounds(dev, ps, top, TOP, TOP_ROUNDS);
		l[r] = pool_rounds(dev, pl, top, TOP, TOP_ROUNDS);
	}
	free_live(ps, ls, LIVE_SMALL);
	free_live(pl, ll, LIVE_LARGE);
	dma_pool_destroy(ps);
	dma_pool_destroy(pl);
	no_reports(m, name);
	free(ls);
	free(ll);
	free(top);

	qsort(s, REPS, sizeof(*s), cmp_d);
	qsort(l, REPS, sizeof(*l), cmp_d);
	ratio = l[REPS / 2] / s[REPS / 2];
	printf("%s: subject %.1f ns/op, baseline %.1f ns/op, ratio %.3f (min-based %.3f) (target <= 1.50)\n",
	       name, l[REPS / 2], s[REPS / 2], ratio, l[0] / s[0]);
	return ratio > 1.5 * FAR;
}

static int p1s_mpt3sas(void)
{
	const char *name = "P1s mpt3sas 373959 x 128B alloc then free all";
	struct blk *b = malloc(MPT3SAS * sizeof(*b));
	void **p = malloc(MPT3SAS * sizeof(*p));
	double s[REPS], g[REPS];

	if (!wanted(name))
		goto out;
	if (!b || !p)
		die("out of host memory");
	malloc_rounds(p, P1S_SIZE, MPT3SAS, 1);
	for (int r = 0; r < REPS; r++) {
		/* mpt3sas: dma_pool_create("chain pool", dev, 128, 16, 0) */
		struct dma_pool *pool = dma_pool_create("chain pool", dev, P1S_SIZE, 16, 0);

		if (!pool)
			die("P1s: dma_pool_create failed");
		if (r == 0) {
			check_round(dev, pool, b, MPT3SAS, P1S_SIZE, 16, 0, 1,
				    "P1s mpt3sas first round");
			dma_pool_destroy(pool);
			pool = dma_pool_create("chain pool", dev, P1S_SIZE, 16, 0);
			if (!pool)
				die("P1s: dma_pool_create failed");
		}
		s[r] = pool_rounds(dev, pool, b, MPT3SAS, 1) * MPT3SAS / 1e6;
		dma_pool_destroy(pool);
		g[r] = malloc_rounds(p, P1S_SIZE, MPT3SAS, 1) * MPT3SAS / 1e6;
	}
	no_reports(m, name);
	qsort(s, REPS, sizeof(*s), cmp_d);
	qsort(g, REPS, sizeof(*g), cmp_d);
	printf("%s: subject %.1f ns/op, baseline %.1f ns/op, ratio %.3f (min-based %.3f); whole pattern best %.1f ms, median %.1f ms (target <= 50 ms)\n",
	       name, s[REPS / 2] * 1e6 / MPT3SAS, g[REPS / 2] * 1e6 / MPT3SAS,
	       s[REPS / 2] / g[REPS / 2], s[0] / g[0], s[0], s[REPS / 2]);
	free(b);
	free(p);
	return s[0] > 50.0 * FAR;
out:
	free(b);
	free(p);
	return 0;
}

int main(int argc, char **argv)
{
	int bad = 0, cpu = sched_getcpu();
	cpu_set_t set;

	only = argc > 1 ? argv[1] : NULL;
	if (cpu >= 0) {		/* stay on one CPU when allowed to */
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	blks = malloc(8192 * sizeof(*blks));
	ptrs = malloc(8192 * sizeof(*ptrs));
	sorted = malloc(LIVE_LARGE * sizeof(*sorted));
	if (!blks || !ptrs || !sorted)
		die("out of host memory");
	m = load("");
	m0 = load("init_on_alloc=0");
	dev = device_of(m);
	dev0 = device_of(m0);
	dmapool_machine_use(m);
	for (size_t i = 0; i < sizeof(p1_sets) / sizeof(p1_sets[0]); i++)
		bad |= p1(&p1_sets[i]);
	bad |= p1s_live();
	bad |= p1s_mpt3sas();
	dmapool_machine_destroy(m0);
	dmapool_machine_destroy(m);
	free(blks);
	free(ptrs);
	free(sorted);
	return bad ? 3 : 0;
}
