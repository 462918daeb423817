/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * bench_debug.c — target P3 of the project's performance targets: a
 * streaming map + unmap of 4 KiB with the DMA-API debug tracking of
 * src/debug.c (always on: the per-device treap of struct dbg_entry and
 * the machine's active-cacheline table) against glibc malloc(64)/free()
 * in mm/dmapool_test.c's batch pattern, measured side by side in one
 * process, with 1,000 and 256,000 other live mappings on the device.
 *
 * The bench machine on the arm64 profile (2 GiB of RAM, no swiotlb=force)
 * with dev@0 coherent (dma-coherent), mask 64 bits: every mapping is
 * direct and no cache maintenance happens, so what is left is the call
 * path and the tracking.  Decision tracing is off (dmapool_set_tracing).
 *
 * Subject: one round maps BATCH distinct 4 KiB pages (__get_free_pages
 * order 0) with dma_map_single + dma_mapping_error, then unmaps them all
 * with dma_unmap_single in the same order (a ring's pattern); figures are
 * ns per map + check + unmap, over batches of >= 100,000.  Twice: with
 * DMA_TO_DEVICE (no active-cacheline entry, as in the kernel) and with
 * DMA_FROM_DEVICE (one).  The other live mappings are 64 B slices of
 * 4 MiB blocks, one per cache line (no overlap), DMA_FROM_DEVICE, so both
 * the treap and the cacheline table hold them; a repetition times both
 * directions at 1,000, then at 256,000 live, then the baseline.  The
 * cacheline table never shrinks, so after the first repetition the 1,000
 * figures run on a table sized for 256,000, as a long-lived driver would.
 * Run-to-run noise on a shared machine is large at 256,000 live (its
 * figures miss the caches): compare the min-based ratios too.
 *
 * Baseline: malloc(64) + free in bench_dmapool's P1 64 B glibc pattern
 * (8,192 allocated, then all freed, in allocation order).
 *
 * Figures: ratio subject / baseline at 1,000 and at 256,000 live (target
 * <= 15), ratio 256,000 live / 1,000 live (target <= 1.3), and tracking
 * memory per live mapping (target <= 128 B): sizeof(struct dbg_entry),
 * its glibc chunk (malloc_usable_size + the 8 B header), the cacheline
 * table's share, and what mallinfo2() (in use + mmapped) grew by while
 * 256,000 live mappings were made, divided by 256,000, each on a fresh
 * machine (tables never shrink): with DMA_FROM_DEVICE mappings (entries
 * + cacheline table: the figure held to the target) and with
 * DMA_TO_DEVICE (entries only).
 *
 * Exit 3 when a figure misses its target by more than FAR; exit 1 when
 * the run is not what it claims (a report, a bounce, a wrong live count).
 */
#include <inttypes.h>
#include <malloc.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"		/* struct dbg_entry, struct dmapool_machine */
#include "benchutil.h"

#define REPS		11
#define FAR		3.0
#define TARGET		15.0		/* subject / baseline */
#define TARGET_SCALE	1.3		/* 256,000 live / 1,000 live */
#define TARGET_MEM	128.0		/* bytes per live mapping */
#define BATCH		64u		/* pages mapped, then unmapped, per round */
#define ROUNDS		1563u		/* 100,032 map + unmap per timing */
#define BASE_N		BENCH_MALLOC_N	/* bench_dmapool's P1 64 B batch */
#define BASE_ROUNDS	13u		/* 106,496 malloc + free per timing */
#define LIVE_SMALL	1000u
#define LIVE_LARGE	256000u
#define SLICE		64u		/* one live mapping per cache line */
#define BLOCK_ORDER	10u		/* 4 MiB blocks for the live set */
#define SLICES_PER_BLOCK ((4096u << BLOCK_ORDER) / SLICE)

static struct dmapool_machine *m;
static struct device *dev;

static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "bench_debug: %s\n", what);
	if (m)
		for (size_t i = 0; i < dmapool_report_count(m) && i < 5; i++)
			fprintf(stderr, "  report: %s\n", dmapool_report_text(m, i));
	exit(1);
}

/* linux/dma-mapping.h's dma_mapping_error() (its header and internal.h
 * cannot meet in one file) */
static inline int map_error(struct device *d, dma_addr_t h)
{
	dmapool_debug_mapping_error(d, h);
	return h == DMA_MAPPING_ERROR ? -12 : 0;
}

/* ------------------------------------------------------------------ */
/* the other live mappings                                             */

static uint8_t *blocks[(LIVE_LARGE + SLICES_PER_BLOCK - 1) / SLICES_PER_BLOCK];
static dma_addr_t *live;
static unsigned nlive;
static enum dma_data_direction live_dir = DMA_FROM_DEVICE;

static void live_blocks(void)
{
	for (unsigned i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
		blocks[i] = (uint8_t *)__get_free_pages(GFP_KERNEL, BLOCK_ORDER);
		if (!blocks[i])
			die("__get_free_pages failed (live set)");
	}
}

static void live_blocks_free(void)
{
	for (unsigned i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
		free_pages((unsigned long)blocks[i], BLOCK_ORDER);
}

/* The bench machine on arm64 with a coherent dev@0, 64-bit masks, the
 * live set's blocks allocated, tracing off. */
static void machine_up(void)
{
	if (bench_load_dev("", 1, &m))
		die("cannot load the machine (is dtc installed?)");
	dmapool_machine_use(m);
	dev = dmapool_device_find(m, "dev@0");
	if (!dev || dma_set_mask(dev, DMA_BIT_MASK(64)) ||
	    dma_set_coherent_mask(dev, DMA_BIT_MASK(64)))
		die("no device, or a 64-bit mask refused");
	if (!dev_is_dma_coherent(dev))
		die("dev@0 is not coherent");
	if (strcmp(m->prof.arch, "arm64") || m->prof.cache_line != SLICE)
		die("not the arm64 profile with 64 B cache lines");
	live_blocks();
	dmapool_set_tracing(m, false);
}

static void machine_down(void)
{
	if (dmapool_report_count(m))
		die("the run made reports");
	live_blocks_free();
	dmapool_machine_destroy(m);
	m = NULL;
	dev = NULL;
}

/* Grow or shrink the live set to `want` mappings (and check the count). */
static void live_set(unsigned want)
{
	while (nlive < want) {
		uint8_t *p = blocks[nlive / SLICES_PER_BLOCK] +
			     (size_t)(nlive % SLICES_PER_BLOCK) * SLICE;

		live[nlive] = dma_map_single_attrs(dev, p, SLICE, live_dir, 0);
		if (map_error(dev, live[nlive]))
			die("dma_map_single failed (live set)");
		nlive++;
	}
	while (nlive > want) {
		nlive--;
		dma_unmap_page_attrs(dev, live[nlive], SLICE, live_dir, 0);
	}
	if (dmapool_debug_live(dev) != want)
		die("the device's live-entry count is not the live set's");
}

/* ------------------------------------------------------------------ */
/* subject and baseline                                                */

static void *pages[BATCH];
static dma_addr_t handles[BATCH];

/* ns per map + check + unmap over `rounds` rounds of BATCH. */
static __attribute__((noinline)) double subject(enum dma_data_direction dir,
						unsigned rounds)
{
	double t0 = now_ns();

	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < BATCH; i++) {
			handles[i] = dma_map_single_attrs(dev, pages[i], 4096, dir, 0);
			if (__builtin_expect(map_error(dev, handles[i]) != 0, 0))
				die("dma_map_single failed");
		}
		for (unsigned i = 0; i < BATCH; i++)
			dma_unmap_page_attrs(dev, handles[i], 4096, dir, 0);
	}
	return (now_ns() - t0) / ((double)BATCH * rounds);
}

/* P3's baseline: malloc(64) + free in the batch pattern (benchutil.h) */
static double baseline(unsigned rounds)
{
	return bench_malloc64_pairs(rounds);
}

/* One mapping with tracing on: direct, not bounced, no cache op. */
static void check_direct(enum dma_data_direction dir)
{
	struct dmapool_decision d;
	dma_addr_t h;

	dmapool_set_tracing(m, true);
	h = dma_map_single_attrs(dev, pages[0], 4096, dir, 0);
	if (map_error(dev, h))
		die("dma_map_single failed");
	if (dmapool_last_decision(dev, &d) || strcmp(d.op, "map") ||
	    strcmp(d.backend, "direct") || d.bounce != (phys_addr_t)-1 || d.ncache)
		die("the mapping is not direct, or made cache maintenance");
	dma_unmap_page_attrs(dev, h, 4096, dir, 0);
	dmapool_set_tracing(m, false);
}

/* ------------------------------------------------------------------ */
/* tracking memory                                                     */

static size_t heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* Bytes the heap grew by per mapping while LIVE_LARGE were made in dir,
 * on a fresh machine (the tables that never shrink start empty). */
static double mem_per_live(enum dma_data_direction dir, size_t *cln_cap)
{
	size_t before, after;

	machine_up();
	live_dir = dir;
	before = heap_bytes();
	live_set(LIVE_LARGE);
	after = heap_bytes();
	*cln_cap = m->cln.cap;
	live_set(0);
	live_dir = DMA_FROM_DEVICE;
	machine_down();
	return ((double)after - (double)before) / LIVE_LARGE;
}

/* ------------------------------------------------------------------ */

struct row {
	char name[64];
	double s_med, s_min, b_med, b_min, ratio, rmin, target;
	bool pass;
};

static struct row rows[16];
static unsigned nrows;

static struct row *add_row(const char *name, double *s, double *b, double target)
{
	struct row *row = &rows[nrows++];

	qsort(s, REPS, sizeof(*s), cmp_d);
	qsort(b, REPS, sizeof(*b), cmp_d);
	snprintf(row->name, sizeof(row->name), "%s", name);
	row->s_med = s[REPS / 2];
	row->s_min = s[0];
	row->b_med = b[REPS / 2];
	row->b_min = b[0];
	row->ratio = row->s_med / row->b_med;
	row->rmin = row->s_min / row->b_min;
	row->target = target;
	row->pass = row->ratio <= target;
	printf("P3 %s: subject %.1f ns/op, baseline %.1f ns/op, ratio %.3f (min-based %.3f) (target <= %.2f) %s\n",
	       row->name, row->s_med, row->b_med, row->ratio, row->rmin, target,
	       row->pass ? "PASS" : "MISS");
	fflush(stdout);
	return row;
}

int main(void)
{
	static const enum dma_data_direction dirs[2] = { DMA_TO_DEVICE, DMA_FROM_DEVICE };
	static const char *const dname[2] = { "TO_DEVICE", "FROM_DEVICE" };
	double s[2][2][REPS], b[REPS], t0 = now_ns();
	double mem_to, mem_from, chunk, per_live;
	size_t cap_to, cap_from, usable;
	int bad = 0, cpu = sched_getcpu();
	cpu_set_t set;
	void *probe;

	if (cpu >= 0) {		/* stay on one CPU when allowed to */
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	setenv("DMAPOOL_ARCH", "arm64", 1);
	live = malloc(LIVE_LARGE * sizeof(*live));
	if (!live)
		die("out of host memory");

	/* tracking memory, each direction on a machine of its own */
	mem_to = mem_per_live(DMA_TO_DEVICE, &cap_to);
	mem_from = mem_per_live(DMA_FROM_DEVICE, &cap_from);
	probe = malloc(sizeof(struct dbg_entry));
	usable = malloc_usable_size(probe);
	free(probe);
	chunk = usable + sizeof(size_t);
	per_live = mem_from;

	/* the timings */
	machine_up();
	for (unsigned i = 0; i < BATCH; i++) {
		pages[i] = (void *)__get_free_pages(GFP_KERNEL, 0);
		if (!pages[i])
			die("__get_free_pages failed");
		memset(pages[i], 0x5a, 4096);
	}
	check_direct(DMA_TO_DEVICE);
	check_direct(DMA_FROM_DEVICE);

	printf("# P3 DMA-API debug tracking, arm64, coherent dev@0, direct mappings, tracing off; %d repetitions after a warm-up;\n"
	       "# subject: map + dma_mapping_error + unmap of 4 KiB, %u pages per round (map all, unmap all), %u ops per timing;\n"
	       "# baseline: malloc(64) + free, %u per round, %u ops per timing; live set: 64 B FROM_DEVICE slices, one per cache line\n",
	       REPS, BATCH, BATCH * ROUNDS, BASE_N, BASE_N * BASE_ROUNDS);

	/* warm-up */
	live_set(LIVE_SMALL);
	for (int d = 0; d < 2; d++)
		subject(dirs[d], ROUNDS / 4);
	baseline(BASE_ROUNDS / 4 + 1);
	for (int r = 0; r < REPS; r++) {
		live_set(LIVE_SMALL);
		for (int d = 0; d < 2; d++)
			s[d][0][r] = subject(dirs[d], ROUNDS);
		live_set(LIVE_LARGE);
		for (int d = 0; d < 2; d++)
			s[d][1][r] = subject(dirs[d], ROUNDS);
		b[r] = baseline(BASE_ROUNDS);
	}
	live_set(0);

	for (int d = 0; d < 2; d++) {
		char name[64];
		struct row *lo, *hi;
		double sl[REPS], sh[REPS];

		snprintf(name, sizeof(name), "map+unmap 4KiB %s 1K live", dname[d]);
		lo = add_row(name, s[d][0], b, TARGET);
		snprintf(name, sizeof(name), "map+unmap 4KiB %s 256K live", dname[d]);
		hi = add_row(name, s[d][1], b, TARGET);
		bad |= lo->ratio > TARGET * FAR || hi->ratio > TARGET * FAR;

		/* scaling: the 256K figures against the 1K ones */
		memcpy(sl, s[d][0], sizeof(sl));
		memcpy(sh, s[d][1], sizeof(sh));
		snprintf(name, sizeof(name), "scaling %s 256K vs 1K live", dname[d]);
		hi = add_row(name, sh, sl, TARGET_SCALE);
		bad |= hi->ratio > TARGET_SCALE * FAR;
	}

	printf("P3 tracking memory per live mapping: %.1f B (target <= %.0f) %s\n",
	       per_live, TARGET_MEM, per_live <= TARGET_MEM ? "PASS" : "MISS");
	printf("   (struct dbg_entry %zu B, glibc chunk %.0f B (usable %zu); active-cacheline table %zu slots x %zu B = %.1f B per mapping at 256K;\n"
	       "    heap growth per mapping, fresh machine each: FROM_DEVICE %.1f B (entry + cacheline slot), TO_DEVICE %.1f B (entry only; table %zu slots))\n",
	       sizeof(struct dbg_entry), chunk, usable, cap_from,
	       sizeof(*m->cln.key),
	       (double)cap_from * sizeof(*m->cln.key) / LIVE_LARGE,
	       mem_from, mem_to, cap_to);
	bad |= per_live > TARGET_MEM * FAR;

	if (dmapool_report_count(m))
		die("the run made reports");

	printf("\n# %-40s %12s %12s %8s %8s %7s  %s\n", "figure", "subject ns", "baseline ns",
	       "ratio", "min-rat", "target", "verdict");
	for (unsigned i = 0; i < nrows; i++)
		printf("# %-40s %12.1f %12.1f %8.3f %8.3f %7.2f  %s\n", rows[i].name,
		       rows[i].s_med, rows[i].b_med, rows[i].ratio, rows[i].rmin,
		       rows[i].target, rows[i].pass ? "PASS" : "MISS");
	printf("# %-40s %12.1f %12s %8s %8s %7.0f  %s\n", "tracking B per live mapping",
	       per_live, "-", "-", "-", TARGET_MEM, per_live <= TARGET_MEM ? "PASS" : "MISS");
	printf("# run took %.1f s\n", (now_ns() - t0) / 1e9);

	for (unsigned i = 0; i < BATCH; i++)
		free_pages((unsigned long)pages[i], 0);
	machine_down();
	free(live);
	return bad ? 3 : 0;
}
