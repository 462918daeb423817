/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * p3_debug.c — target P3: a streaming map + unmap of 4 KiB with the
 * DMA-API debug tracking of src/debug.c (always on: the per-device
 * tracking of struct dbg_entry and the machine's active-cacheline table,
 * modelling kernel/dma/debug.c) against glibc malloc(64)/free() in
 * mm/dmapool_test.c's batch pattern (baseline_malloc.c), measured side by
 * side in one process, with 1,000 ... 256,000 other live mappings.
 *
 * The bench machine on the arm64 profile (2 GiB of RAM, no swiotlb=force)
 * with dev@0 coherent, mask 64 bits: every mapping is direct and no cache
 * maintenance happens, so what is left is the call path and the tracking.
 * Decision tracing is off (dmapool_set_tracing).
 *
 * Subject: one round maps BATCH distinct 4 KiB pages with dma_map_single
 * + dma_mapping_error, then unmaps them all in the same order (a ring's
 * pattern); ns per map + check + unmap, over batches of >= 100,000.
 * Twice: DMA_TO_DEVICE (no active-cacheline entry, as in the kernel) and
 * DMA_FROM_DEVICE (one).  The other live mappings are 64 B slices of
 * 4 MiB blocks, one per cache line, DMA_FROM_DEVICE, so both the tracking
 * and the cacheline table hold them.  A repetition times both directions
 * at each live count, growing, then the baseline.
 *
 * Figures: ratio subject / baseline at each live count (target <= 15),
 * 256,000 live / 1,000 live (target <= 1.3), and the tracking memory per
 * live mapping (target <= 128 B): what mallinfo2() (in use + mmapped)
 * grew by while 256,000 live mappings were made on a fresh machine.
 *
 * Self-checks (exit 1): a report, a mapping that is not direct or that
 * made cache maintenance, a wrong live count.
 *
 * Left out: the debug code's own printing and filters.
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
#include "baseline.h"
#include "benchutil.h"
#include "harness.h"

#define TARGET		15.0		/* subject / baseline */
#define TARGET_SCALE	1.3		/* 256,000 live / 1,000 live */
#define TARGET_MEM	128.0		/* bytes per live mapping */
#define BATCH		64u		/* pages mapped, then unmapped, per round */
#define ROUNDS		1563u		/* 100,032 map + unmap per timing */
#define BASE_N		BL_MALLOC_N	/* bench_dmapool's P1 64 B batch */
#define BASE_ROUNDS	13u		/* 106,496 malloc + free per timing */
#define LIVE_SMALL	1000u
#define LIVE_LARGE	256000u
#define SLICE		64u		/* one live mapping per cache line */
#define BLOCK_ORDER	10u		/* 4 MiB blocks for the live set */
#define SLICES_PER_BLOCK ((4096u << BLOCK_ORDER) / SLICE)

static struct dmapool_machine *m;
static struct device *dev;

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
			bench_die(m, "__get_free_pages failed (live set)");
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
		bench_die(m, "cannot load the machine (is dtc installed?)");
	dmapool_machine_use(m);
	dev = dmapool_device_find(m, "dev@0");
	if (!dev || dma_set_mask(dev, DMA_BIT_MASK(64)) ||
	    dma_set_coherent_mask(dev, DMA_BIT_MASK(64)))
		bench_die(m, "no device, or a 64-bit mask refused");
	if (!dev_is_dma_coherent(dev))
		bench_die(m, "dev@0 is not coherent");
	if (strcmp(m->prof.arch, "arm64") || m->prof.cache_line != SLICE)
		bench_die(m, "not the arm64 profile with 64 B cache lines");
	live_blocks();
	dmapool_set_tracing(m, false);
}

static void machine_down(void)
{
	if (dmapool_report_count(m))
		bench_die(m, "the run made reports");
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
		if (bench_map_error(dev, live[nlive]))
			bench_die(m, "dma_map_single failed (live set)");
		nlive++;
	}
	while (nlive > want) {
		nlive--;
		dma_unmap_page_attrs(dev, live[nlive], SLICE, live_dir, 0);
	}
	if (dmapool_debug_live(dev) != want)
		bench_die(m, "the device's live-entry count is not the live set's");
}

/* ------------------------------------------------------------------ */
/* subject and baseline                                                */

static void *pages[BATCH];
static dma_addr_t handles[BATCH];

/* ns per map + check + unmap over `rounds` rounds of BATCH. */
static __attribute__((noinline)) double subject(enum dma_data_direction dir,
						unsigned rounds)
{
	double t0 = hx_now();

	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < BATCH; i++) {
			handles[i] = dma_map_single_attrs(dev, pages[i], 4096, dir, 0);
			if (__builtin_expect(bench_map_error(dev, handles[i]) != 0, 0))
				bench_die(m, "dma_map_single failed");
		}
		for (unsigned i = 0; i < BATCH; i++)
			dma_unmap_page_attrs(dev, handles[i], 4096, dir, 0);
	}
	return (hx_now() - t0) / ((double)BATCH * rounds);
}

/* P3's baseline: malloc(64) + free in the batch pattern */
static double baseline(unsigned rounds)
{
	return bl_malloc64_pairs(rounds);
}

/* One mapping with tracing on: direct, not bounced, no cache op. */
static void check_direct(enum dma_data_direction dir)
{
	struct dmapool_decision d;
	dma_addr_t h;

	dmapool_set_tracing(m, true);
	h = dma_map_single_attrs(dev, pages[0], 4096, dir, 0);
	if (bench_map_error(dev, h))
		bench_die(m, "dma_map_single failed");
	if (dmapool_last_decision(dev, &d) || strcmp(d.op, "map") ||
	    strcmp(d.backend, "direct") || d.bounce != (phys_addr_t)-1 || d.ncache)
		bench_die(m, "the mapping is not direct, or made cache maintenance");
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

int bench_p3(void)
{
	static const enum dma_data_direction dirs[2] = { DMA_TO_DEVICE, DMA_FROM_DEVICE };
	static const char *const dname[2] = { "TO_DEVICE", "FROM_DEVICE" };
	static const unsigned lives[] = { LIVE_SMALL, 4000, 16000, 64000, LIVE_LARGE };
	enum { NL = sizeof(lives) / sizeof(lives[0]) };
	static double s[2][NL][HX_MAXREP];
	double b[HX_MAXREP];
	double mem_to, mem_from, chunk, per_live;
	size_t cap_to, cap_from, usable;
	unsigned rounds = (unsigned)hx_ops(ROUNDS, 10, 16);
	unsigned base_rounds = (unsigned)hx_ops(BASE_ROUNDS, 10, 2);
	int reps = hx_reps();
	void *probe;

	hx_pin_cpu();
	setenv("DMAPOOL_ARCH", "arm64", 1);
	live = malloc(LIVE_LARGE * sizeof(*live));
	if (!live)
		bench_die(m, "out of host memory");

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
			bench_die(m, "__get_free_pages failed");
		memset(pages[i], 0x5a, 4096);
	}
	check_direct(DMA_TO_DEVICE);
	check_direct(DMA_FROM_DEVICE);

	hx_note("P3: arm64, coherent dev@0, direct mappings, tracing off; subject: map + dma_mapping_error + unmap of 4 KiB, %u pages per round (map all, unmap all), %u ops per timing; baseline: malloc(64) + free, %u per round, %u ops per timing; live set: 64 B FROM_DEVICE slices, one per cache line",
		BATCH, BATCH * rounds, BASE_N, BASE_N * base_rounds);

	/* warm-up */
	live_set(LIVE_SMALL);
	for (int d = 0; d < 2; d++)
		subject(dirs[d], rounds / 4 + 1);
	baseline(base_rounds / 4 + 1);
	for (int r = 0; r < reps; r++) {
		for (int k = 0; k < NL; k++) {
			live_set(lives[k]);
			for (int d = 0; d < 2; d++)
				s[d][k][r] = subject(dirs[d], rounds);
		}
		live_set(LIVE_SMALL);
		/* glibc's heap is busy after the live set shrank: an untimed
		 * batch first, so the timed one measures the batch pattern */
		baseline(base_rounds);
		b[r] = baseline(base_rounds);
	}
	live_set(0);

	for (int d = 0; d < 2; d++) {
		char series[96];

		snprintf(series, sizeof(series), "P3 map+unmap 4KiB %s debug tracking vs malloc(64)+free",
			 dname[d]);
		for (int k = 0; k < NL; k++)
			hx_point(series, lives[k], s[d][k], b, reps, HX_LE, TARGET, 0);
		hx_scaling(series, LIVE_SMALL, s[d][0], LIVE_LARGE, s[d][NL - 1], reps,
			   TARGET_SCALE, 0);
	}
	hx_value("P3 tracking memory per live mapping", per_live, per_live, "B/mapping", HX_LE,
		 TARGET_MEM, 0);
	hx_note("P3 memory: struct dbg_entry %zu B, glibc chunk %.0f B (usable %zu); active-cacheline table %zu slots x %zu B = %.1f B per mapping at 256K; heap growth per mapping, fresh machine each: FROM_DEVICE %.1f B (entry + cacheline slot), TO_DEVICE %.1f B (entry only; table %zu slots)",
		sizeof(struct dbg_entry), chunk, usable, cap_from, sizeof(*m->cln.key),
		(double)cap_from * sizeof(*m->cln.key) / LIVE_LARGE, mem_from, mem_to, cap_to);

	if (dmapool_report_count(m))
		bench_die(m, "the run made reports");
	for (unsigned i = 0; i < BATCH; i++)
		free_pages((unsigned long)pages[i], 0);
	machine_down();
	free(live);
	nlive = 0;
	return 0;
}
