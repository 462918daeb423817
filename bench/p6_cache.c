/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * p6_cache.c — target P6: the cache model's maintenance (src/cache.c,
 * modelling arch/arm64/mm/cache.S's dcache_clean_poc / dcache_inval_poc
 * as reached from arch_sync_dma_for_{device,cpu}()) on the syncs of a
 * direct streaming mapping, against memcpy of the same bytes, measured
 * side by side in one process.
 *
 * The bench machine on the arm64 profile (2 GiB of RAM) with dev@0
 * non-coherent: every mapping is direct and every sync reaches the cache
 * model.  Buffers come from __get_free_pages() (4 KiB ... 4 MiB), mapped
 * once.  Four subjects per size, each cycle timing only the sync:
 *
 *   dev-dirty    map TO_DEVICE; cycle: sync_for_cpu, CPU memset of the
 *                whole buffer [untimed], dma_sync_single_for_device
 *                -> clean of dirty lines
 *   dev-clean    the same without the memset: clean of clean lines
 *   cpu-devwrote map FROM_DEVICE; cycle: sync_for_device [untimed],
 *                dmapool_dev_write of the whole buffer [untimed],
 *                dma_sync_single_for_cpu -> invalidate of stale lines
 *   cpu-clean    the same without the device write
 *
 * for 4 KiB, 16 KiB, 64 KiB, 256 KiB, 1 MiB and 4 MiB.  The baseline is a
 * warm memcpy of the same size between two host buffers, timed in
 * batches; the syncs are timed one by one (untimed steps sit between
 * them) and the cost of a clock pair, measured before each batch, is
 * taken off.  Figures are
 * throughput ratios (memcpy time / sync time; target >= 0.5) with the
 * decision trace off and, for reference, on at 4 KiB.
 *
 * Scaling (perf-targets.md's rule for every path): the 4 KiB dev-dirty
 * and cpu-devwrote syncs with 1, 1,000, 16,000 and 256,000 live mappings
 * on the device; P6 sets no number for it: 1,000 -> 256,000 is held to
 * P3's 1.3x, the same lookups.
 *
 * Self-checks (exit 1): a report, a bounce, no cache operation, the CPU
 * not seeing what the device wrote.
 *
 * Left out: the outer cache levels' timing (the model has none).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dmapool.h>
#include "benchutil.h"
#include "harness.h"
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>

#define TARGET	0.5
#define MAXSZ	((size_t)4 << 20)

static struct dmapool_machine *m;
static struct device *dev;
static uint8_t *host_src, *host_dst;	/* baseline buffers (host memory) */
static uint8_t *dev_src[2];		/* what the device writes, alternately */
static double clock_ns;			/* cost of one hx_now() pair */
static volatile uint64_t sink;

enum kind { DEV_DIRTY, DEV_CLEAN, CPU_DEVWROTE, CPU_CLEAN, NKIND };

static const struct {
	const char *name;
	bool for_device;	/* the timed sync */
	bool changed;		/* the CPU / the device wrote before it */
	const char *op;		/* what the model does */
} kinds[NKIND] = {
	[DEV_DIRTY] = { "dev-dirty", true, true, "clean, CPU wrote all" },
	[DEV_CLEAN] = { "dev-clean", true, false, "clean, nothing changed" },
	[CPU_DEVWROTE] = { "cpu-devwrote", false, true, "inval, device wrote all" },
	[CPU_CLEAN] = { "cpu-clean", false, false, "inval, nothing changed" },
};

/* A page-allocated buffer mapped once for the whole figure. */
struct sbuf {
	uint8_t *cpu;
	unsigned order;
	size_t size;
	dma_addr_t h;
	enum dma_data_direction dir;
};

static unsigned order_of(size_t size)
{
	unsigned o = 0;

	while (((size_t)4096 << o) < size)
		o++;
	return o;
}

static void sbuf_get(struct sbuf *b, size_t size, enum dma_data_direction dir,
		     bool tracing)
{
	struct dmapool_decision d;

	b->size = size;
	b->order = order_of(size);
	b->dir = dir;
	b->cpu = (uint8_t *)__get_free_pages(GFP_KERNEL, b->order);
	if (!b->cpu)
		bench_die(m, "__get_free_pages failed");
	memset(b->cpu, 0x11, size);
	dmapool_set_tracing(m, true);	/* for the check below */
	b->h = dma_map_single(dev, b->cpu, size, dir);
	dmapool_set_tracing(m, tracing);
	if (dma_mapping_error(dev, b->h))
		bench_die(m, "dma_map_single failed");
	/* direct, not bounced: the syncs are the cache model's alone */
	if (dmapool_last_decision(dev, &d) || strcmp(d.op, "map") ||
	    strcmp(d.backend, "direct") || d.bounce != (phys_addr_t)-1)
		bench_die(m, "the mapping is not direct");
}

static void sbuf_put(struct sbuf *b)
{
	dma_unmap_single(dev, b->h, b->size, b->dir);
	free_pages((unsigned long)b->cpu, b->order);
}

/* One batch of n cycles of kind k on b; returns ns per timed sync. */
static double subject(enum kind k, struct sbuf *b, unsigned n)
{
	double sum = 0;

	for (unsigned i = 0; i < n; i++) {
		double t0, t1;

		if (kinds[k].for_device) {
			dma_sync_single_for_cpu(dev, b->h, b->size, b->dir);
			if (kinds[k].changed)
				memset(b->cpu, (int)(i * 7 + 1) & 0xff, b->size);
			t0 = hx_now();
			dma_sync_single_for_device(dev, b->h, b->size, b->dir);
			t1 = hx_now();
		} else {
			dma_sync_single_for_device(dev, b->h, b->size, b->dir);
			if (kinds[k].changed &&
			    dmapool_dev_write(dev, b->h, dev_src[i & 1], b->size))
				bench_die(m, "dmapool_dev_write failed");
			t0 = hx_now();
			dma_sync_single_for_cpu(dev, b->h, b->size, b->dir);
			t1 = hx_now();
			if (kinds[k].changed && b->cpu[b->size - 1] != dev_src[i & 1][b->size - 1])
				bench_die(m, "the CPU does not see what the device wrote");
		}
		sum += t1 - t0;
	}
	return sum / n - clock_ns;
}

/* Warm memcpy between two host buffers, n in one timed batch (the
 * clock is read twice per batch, not per copy). */
static double baseline(size_t size, unsigned n)
{
	double t0 = hx_now();

	for (unsigned i = 0; i < n; i++) {
		memcpy(host_dst, host_src, size);
		__asm__ volatile("" : : "r"(host_dst) : "memory");
	}
	sink += host_dst[size - 1];
	return (hx_now() - t0) / n;
}

/* The cost of one clock pair, the least of 3 batches of 20,000: taken
 * off every per-op subject timing, measured again before each of them. */
static void measure_clock(void)
{
	double c[5];

	for (int r = 0; r < 3; r++) {
		double sum = 0;

		for (int i = 0; i < 20000; i++) {
			double t0 = hx_now(), t1 = hx_now();

			sum += t1 - t0;
		}
		c[r] = sum / 20000;
	}
	clock_ns = hx_min(c, 3);
}

/* Cycles per batch: 100,000 (perf-targets.md), or 1 GiB of timed syncs
 * for the big sizes to keep the run short. */
static unsigned ops_for(size_t size)
{
	size_t n = ((size_t)1 << 30) / size;

	n = n > 100000 ? 100000 : n;
	return (unsigned)hx_ops(n, 20, 50);
}

static void size_name(size_t size, char *buf, size_t len)
{
	if (size >= (1u << 20))
		snprintf(buf, len, "%uMiB", (unsigned)(size >> 20));
	else
		snprintf(buf, len, "%uKiB", (unsigned)(size >> 10));
}

static void figure(enum kind k, size_t size, bool tracing)
{
	enum dma_data_direction dir = kinds[k].for_device ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
	enum dmapool_cache_op want = kinds[k].for_device ? DMAPOOL_CACHE_CLEAN : DMAPOOL_CACHE_INVAL;
	unsigned n = ops_for(size);
	double s[HX_MAXREP], bl[HX_MAXREP];
	int reps = hx_reps();
	char sz[24], name[160];
	struct sbuf b;
	uint64_t ops0;

	size_name(size, sz, sizeof(sz));
	dmapool_set_tracing(m, tracing);
	sbuf_get(&b, size, dir, tracing);
	ops0 = dmapool_cache_ops(m, want);
	subject(k, &b, n / 4 + 1);			/* warm-up */
	if (dmapool_cache_ops(m, want) == ops0)
		bench_die(m, "the sync did no cache maintenance (coherent device?)");
	baseline(size, n / 4 + 1);
	for (int r = 0; r < reps; r++) {
		measure_clock();
		s[r] = subject(k, &b, n);
		bl[r] = baseline(size, n);
	}
	sbuf_put(&b);
	dmapool_set_tracing(m, true);
	if (tracing) {
		snprintf(name, sizeof(name), "P6 %s %s [trace on] vs memcpy", kinds[k].name, sz);
		hx_figure(name, s, bl, reps, HX_GE, TARGET, HX_NOTARGET);
	} else {
		snprintf(name, sizeof(name), "P6 %s sync (%s) vs memcpy", kinds[k].name, kinds[k].op);
		hx_point(name, size, s, bl, reps, HX_GE, TARGET, 0);
	}
}

/* ---- scaling: the 4 KiB syncs with more live mappings ---- */

#define SCALE_MAX	256000u
#define SLICE		64u
#define SLICES_PER_BLOCK ((unsigned)(MAXSZ / SLICE))

static uint8_t *extra_blocks[(SCALE_MAX + SLICES_PER_BLOCK - 1) / SLICES_PER_BLOCK];
static dma_addr_t *extra;
static unsigned nextra;

/* Grow or shrink the extra live 64 B mappings to `want`. */
static void live_extra(unsigned want)
{
	while (nextra < want) {
		unsigned blk = nextra / SLICES_PER_BLOCK, off = nextra % SLICES_PER_BLOCK;

		if (!extra_blocks[blk]) {
			extra_blocks[blk] = (uint8_t *)__get_free_pages(GFP_KERNEL, order_of(MAXSZ));
			if (!extra_blocks[blk])
				bench_die(m, "__get_free_pages failed (extra mappings)");
		}
		extra[nextra] = dma_map_single(dev, extra_blocks[blk] + (size_t)off * SLICE,
					       SLICE, DMA_TO_DEVICE);
		if (dma_mapping_error(dev, extra[nextra]))
			bench_die(m, "dma_map_single failed (extra mappings)");
		nextra++;
	}
	while (nextra > want) {
		nextra--;
		dma_unmap_single(dev, extra[nextra], SLICE, DMA_TO_DEVICE);
	}
}

static void scaling(void)
{
	static const unsigned live[] = { 1, 1000, 16000, SCALE_MAX };
	enum { NL = sizeof(live) / sizeof(live[0]) };
	static const enum kind sk[] = { DEV_DIRTY, CPU_DEVWROTE };
	unsigned n = (unsigned)hx_ops(100000, 20, 500);
	int reps = hx_reps();

	extra = malloc(SCALE_MAX * sizeof(*extra));
	if (!extra)
		bench_die(m, "out of memory");
	dmapool_set_tracing(m, false);
	for (unsigned j = 0; j < sizeof(sk) / sizeof(sk[0]); j++) {
		double t[NL][HX_MAXREP], bl[NL][HX_MAXREP];
		enum kind k = sk[j];
		char series[128];
		struct sbuf b;

		sbuf_get(&b, 4096, kinds[k].for_device ? DMA_TO_DEVICE : DMA_FROM_DEVICE, false);
		subject(k, &b, n / 4);			/* warm-up */
		/* repetitions interleave the live counts and the baseline */
		for (int r = 0; r < reps; r++) {
			for (int l = 0; l < NL; l++) {
				live_extra(live[l] - 1);
				measure_clock();
				t[l][r] = subject(k, &b, n);
				bl[l][r] = baseline(4096, n);
			}
			live_extra(0);
		}
		sbuf_put(&b);
		snprintf(series, sizeof(series), "P6 %s 4KiB sync with live mappings vs memcpy",
			 kinds[k].name);
		for (int l = 0; l < NL; l++)
			hx_point(series, live[l], t[l], bl[l], reps, HX_GE, TARGET, 0);
		hx_scaling(series, live[1], t[1], live[NL - 1], t[NL - 1], reps, 1.3, 0);
	}
	for (unsigned i = 0; i < sizeof(extra_blocks) / sizeof(extra_blocks[0]); i++)
		if (extra_blocks[i]) {
			free_pages((unsigned long)extra_blocks[i], order_of(MAXSZ));
			extra_blocks[i] = NULL;
		}
	free(extra);
	extra = NULL;
	dmapool_set_tracing(m, true);
}

int bench_p6(void)
{
	static const size_t sizes[] = {
		4096, 16384, 65536, 262144, 1u << 20, 4u << 20,
	};

	hx_pin_cpu();
	setenv("DMAPOOL_ARCH", "arm64", 1);
	if (bench_load_dev("", 0, &m))
		bench_die(m, "cannot load the machine (is dtc installed?)");
	dmapool_machine_use(m);
	dev = dmapool_device_find(m, "dev@0");
	if (!dev || dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)))
		bench_die(m, "no device");
	if (dev_is_dma_coherent(dev))
		bench_die(m, "dev@0 is coherent");
	host_src = aligned_alloc(4096, MAXSZ);
	host_dst = aligned_alloc(4096, MAXSZ);
	dev_src[0] = aligned_alloc(4096, MAXSZ);
	dev_src[1] = aligned_alloc(4096, MAXSZ);
	if (!host_src || !host_dst || !dev_src[0] || !dev_src[1])
		bench_die(m, "out of memory");
	memset(host_src, 0x5a, MAXSZ);
	memset(host_dst, 0, MAXSZ);
	memset(dev_src[0], 0xa5, MAXSZ);
	memset(dev_src[1], 0x3c, MAXSZ);
	measure_clock();
	hx_note("P6: arm64, non-coherent dev@0, direct mappings; subject timed per sync, a clock pair (%.1f ns at the start, measured again before each batch) taken off; memcpy timed in batches; ratio = memcpy time / sync time (throughput, higher is better); n = buffer bytes",
		clock_ns);
	for (int k = 0; k < NKIND; k++)
		for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			figure(k, sizes[i], false);
	figure(DEV_DIRTY, 4096, true);
	figure(CPU_DEVWROTE, 4096, true);
	scaling();
	if (dmapool_report_count(m))
		bench_die(m, "the run made reports");
	free(host_src);
	free(host_dst);
	free(dev_src[0]);
	free(dev_src[1]);
	dmapool_machine_destroy(m);
	m = NULL;
	return 0;
}
