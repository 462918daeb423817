/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * p5_swiotlb.c — target P5: bouncing through the SWIOTLB (src/swiotlb.c,
 * modelling kernel/dma/swiotlb.c) against memcpy of the same bytes
 * (baseline_memcpy.c), measured side by side in one process.
 *
 * A machine with 2 GiB of RAM and "swiotlb=force" (every mapping bounces)
 * and one coherent device.  All its RAM is in ZONE_DMA, so arm64's
 * mem_init() shrinks the default pool to 1 MiB per GiB of RAM: 2 MiB,
 * 1,024 slots, as the kernel does (swiotlb_adjust_size(); an explicit
 * "swiotlb=N" with N other than the default 32768 keeps its size).  Subject cycles, each making
 * exactly one copy per direction of the data:
 *
 *   to-device    dma_map_single(TO_DEVICE)      copies buffer -> slot
 *                dma_unmap_single()             no copy
 *   from-device  dma_map_single(FROM_DEVICE)    copies buffer -> slot
 *                                               (6.12 does, for every direction)
 *                dma_sync_single_for_cpu()      copies slot -> buffer
 *                dma_unmap_single(SKIP_CPU_SYNC) no copy
 *                (two copies: its baseline is two memcpy)
 *
 * for 4 KiB, 64 KiB and 256 KiB buffers and the confidential-VM size mix
 * (3.5 % <= 512 B, 57.7 % <= 2 KiB, 91.3 % <= 4 KiB, 96 % <= 16 KiB, the
 * rest up to 256 KiB).  The baseline is memcpy of the same bytes between
 * two buffers of the same simulated RAM (hot in the caches).  Figures are
 * throughput ratios, memcpy time / subject time (target >= 0.5 / 0.8 /
 * 0.9; the mix is held to 0.5), with the decision trace off and, for
 * reference, on.  An informational figure times the same copies into a
 * destination walking a 2 MiB area as the next-fit cursor walks the pool.
 *
 * Fullness: 2 KiB maps into a pool kept 95 % full with a hole every 20
 * slots against the same-sized pool empty, on twin machines timed
 * alternately (target <= 2), for pools of 128 MiB, 512 MiB and 1 GiB
 * ("swiotlb=65536,force" and up: not 32768, which is the default size and
 * would be shrunk as above); the full pool's cost from 128 MiB to 1 GiB is
 * held to <= 2 (O(log n)).
 *
 * Self-checks (exit 1): every mapping succeeds; the bounced bytes arrive.
 *
 * Left out: the restricted-DMA pools, multiple areas per CPU.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dmapool.h>
#include <linux/dma-mapping.h>
#include <linux/slab.h>

#include "baseline.h"
#include "benchutil.h"
#include "harness.h"

static struct dmapool_machine *m;
static struct device *dev;

#define MIX_MAX	(256 * 1024)
static size_t mix_size(unsigned i)
{
	unsigned r = (i * 2654435761u) % 1000;

	if (r < 35)
		return 64 + (r * 37) % (512 - 64);
	if (r < 577)
		return 513 + (r * 41) % (2048 - 513);
	if (r < 913)
		return 2049 + (r * 53) % 2047;
	if (r < 960)
		return 4097 + (r * 97) % (16384 - 4097);
	return 16385 + (r * 1031) % (MIX_MAX - 16385);
}

/* One subject batch; returns ns per cycle. */
static double subject(void *buf, size_t size, unsigned n, bool from_device)
{
	double t0 = hx_now();

	for (unsigned i = 0; i < n; i++) {
		size_t sz = size ? size : mix_size(i);
		dma_addr_t h;

		if (from_device) {
			h = dma_map_single(dev, buf, sz, DMA_FROM_DEVICE);
			if (dma_mapping_error(dev, h))
				hx_fail("dma_map_single(FROM_DEVICE, %zu) failed", sz);
			dma_sync_single_for_cpu(dev, h, sz, DMA_FROM_DEVICE);
			dma_unmap_single_attrs(dev, h, sz, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
		} else {
			h = dma_map_single(dev, buf, sz, DMA_TO_DEVICE);
			if (dma_mapping_error(dev, h))
				hx_fail("dma_map_single(TO_DEVICE, %zu) failed", sz);
			dma_unmap_single(dev, h, sz, DMA_TO_DEVICE);
		}
	}
	return (hx_now() - t0) / n;
}

static unsigned ops_for(size_t size)
{
	size_t bytes = size ? size : 6000;
	unsigned n = (unsigned)(((size_t)400 << 20) / bytes / 8);

	n = n < 2000 ? 2000 : n > 100000 ? 100000 : n;
	return (unsigned)hx_ops(n, 10, 200);
}

static struct dmapool_machine *load(const char *bootargs)
{
	struct dmapool_machine *mm;

	if (bench_load(bootargs, &mm))
		hx_fail("cannot load the machine \"%s\" (is dtc installed?)", bootargs);
	return mm;
}

static void use(struct dmapool_machine *mm)
{
	m = mm;
	dmapool_machine_use(m);
	dev = dmapool_device_find(m, "dev@0");
	if (!dev || dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)))
		hx_fail("no device dev@0, or a 64-bit mask refused");
}

/* The bytes of buf arrive in the bounce slot and come back. */
static void check_bounce(void *buf, size_t size)
{
	dma_addr_t h;
	size_t diff;

	memset(buf, 0x5a, size);
	h = dma_map_single(dev, buf, size, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, h))
		hx_fail("dma_map_single failed");
	if (dmapool_virt_to_phys(m, buf) == (phys_addr_t)h)
		hx_fail("swiotlb=force did not bounce a %zu B mapping", size);
	if (dmapool_dev_compare(dev, h, buf, size, &diff))
		hx_fail("the bounce slot does not hold the buffer's bytes (first difference at %zu)",
			diff);
	dma_unmap_single(dev, h, size, DMA_TO_DEVICE);
}

static void figure(const char *name, size_t size, bool from_device, double target, bool tracing)
{
	size_t bsz = size ? size : MIX_MAX;
	void *buf = kmalloc(bsz, GFP_KERNEL);
	uint8_t *dst = kmalloc(bsz, GFP_KERNEL);
	uint8_t *area = kmalloc(2u << 20, GFP_KERNEL);
	unsigned n = ops_for(size), copies = from_device ? 2 : 1;
	double s[HX_MAXREP], b[HX_MAXREP], w[HX_MAXREP];
	int reps = hx_reps();
	char full[160];

	if (!buf || !dst || !area)
		hx_fail("kmalloc failed");
	memset(area, 0, 2u << 20);
	check_bounce(buf, size ? size : 2048);
	memset(buf, 0x5a, bsz);
	dmapool_set_tracing(m, tracing);
	subject(buf, size, n / 4 + 1, from_device);		/* warm-up */
	bl_memcpy(dst, buf, size, mix_size, n / 4 + 1, copies);
	for (int r = 0; r < reps; r++) {
		s[r] = subject(buf, size, n, from_device);
		b[r] = bl_memcpy(dst, buf, size, mix_size, n, copies);
		w[r] = bl_memcpy_walk(area, 2u << 20, buf, size, mix_size, n) * copies;
	}
	snprintf(full, sizeof(full), "P5 %s %s%s vs memcpy", name,
		 from_device ? "from-device" : "to-device", tracing ? " [trace on]" : "");
	hx_figure(full, s, b, reps, HX_GE, target, tracing ? HX_NOTARGET : 0);
	if (!tracing) {
		snprintf(full, sizeof(full), "P5 %s %s vs memcpy into a walking 2 MiB area", name,
			 from_device ? "from-device" : "to-device");
		hx_figure(full, s, w, reps, HX_GE, target, HX_NOTARGET);
	}
	kfree(area);
	kfree(buf);
	kfree(dst);
	dmapool_set_tracing(m, true);
}

/* Fill a pool with 2 KiB maps to 95 %, a hole every 20 slots. */
static dma_addr_t *fill95(void *small, uint64_t slots, uint64_t *nheld)
{
	uint64_t hold = slots * 95 / 100;
	dma_addr_t *held = malloc(hold * sizeof(*held));

	if (!held)
		hx_fail("out of host memory");
	*nheld = 0;
	while (*nheld < hold) {
		dma_addr_t h = dma_map_single(dev, small, 2048, DMA_TO_DEVICE);

		if (dma_mapping_error(dev, h))
			break;
		held[(*nheld)++] = h;
	}
	if (*nheld < hold * 99 / 100) {
		size_t nl = dmapool_log_count(m);

		hx_note("P5 fullness: a %" PRIu64 "-slot pool took only %" PRIu64
			" 2 KiB maps (%s); measured at that fill",
			slots, *nheld, nl ? dmapool_log_line(m, nl - 1) : "no log line");
	}
	for (uint64_t i = 0; i < *nheld; i += 20) {
		dma_unmap_single(dev, held[i], 2048, DMA_TO_DEVICE);
		held[i] = DMA_MAPPING_ERROR;
	}
	return held;
}

static void fullness(void)
{
	/* not 32768: "swiotlb=32768" is the default size, which arm64 shrinks
	 * on a machine whose RAM is all in ZONE_DMA (see the top) */
	static const uint64_t slots[] = { 65536, 262144, 524288 };
	enum { NS = sizeof(slots) / sizeof(slots[0]) };
	const char *series = "P5 2KiB maps into a 95%-full pool vs the empty pool";
	double f[NS][HX_MAXREP], e[NS][HX_MAXREP];
	unsigned n = (unsigned)hx_ops(50000, 10, 2000);
	struct dmapool_machine *old = m;
	int reps = hx_reps();

	for (int k = 0; k < NS; k++) {
		struct dmapool_machine *me, *mf;
		char bootargs[64];
		void *se, *sf;
		dma_addr_t *held;
		uint64_t nheld;

		snprintf(bootargs, sizeof(bootargs), "swiotlb=%" PRIu64 ",force", slots[k]);
		me = load(bootargs);
		mf = load(bootargs);
		use(me);
		se = kmalloc(2048, GFP_KERNEL);
		use(mf);
		sf = kmalloc(2048, GFP_KERNEL);
		if (!se || !sf)
			hx_fail("kmalloc failed");
		memset(se, 0x11, 2048);
		memset(sf, 0x11, 2048);
		held = fill95(sf, slots[k], &nheld);
		dmapool_set_tracing(mf, false);
		dmapool_set_tracing(me, false);
		use(me);
		subject(se, 2048, n / 4, false);
		use(mf);
		subject(sf, 2048, n / 4, false);
		for (int r = 0; r < reps; r++) {
			use(mf);
			f[k][r] = subject(sf, 2048, n, false);
			use(me);
			e[k][r] = subject(se, 2048, n, false);
		}
		use(mf);
		for (uint64_t i = 0; i < nheld; i++)
			if (held[i] != DMA_MAPPING_ERROR)
				dma_unmap_single(dev, held[i], 2048, DMA_TO_DEVICE);
		if (dmapool_report_count(mf) || dmapool_report_count(me))
			hx_fail("%s: the run made reports", bootargs);
		kfree(sf);
		use(me);
		kfree(se);
		free(held);
		dmapool_machine_destroy(mf);
		dmapool_machine_destroy(me);
		hx_point(series, slots[k], f[k], e[k], reps, HX_LE, 2.0, 0);
	}
	hx_scaling(series, slots[0], f[0], slots[NS - 1], f[NS - 1], reps, 2.0, 0);
	use(old);
}

int bench_p5(void)
{
	hx_pin_cpu();
	use(load("swiotlb=force"));
	hx_note("P5: swiotlb=force (the 2 MiB pool arm64 gives a 2 GiB machine whose RAM is all in ZONE_DMA), coherent dev@0; ratio = memcpy time / subject time (throughput, higher is better); batches of 100,000 cycles or 50 MiB of data, at least 2,000");
	figure("4KiB", 4096, false, 0.5, false);
	figure("4KiB", 4096, true, 0.5, false);
	figure("64KiB", 65536, false, 0.8, false);
	figure("64KiB", 65536, true, 0.8, false);
	figure("256KiB", 262144, false, 0.9, false);
	figure("256KiB", 262144, true, 0.9, false);
	figure("cvm-mix", 0, false, 0.5, false);
	figure("cvm-mix", 0, true, 0.5, false);
	figure("4KiB", 4096, false, 0.5, true);
	if (dmapool_report_count(m))
		hx_fail("the run made reports");
	fullness();
	dmapool_machine_destroy(m);
	m = NULL;
	return 0;
}
