/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * bench_swiotlb.c — target P5 of the project's performance targets:
 * bouncing through the SWIOTLB (src/swiotlb.c) against memcpy of the same
 * bytes, measured side by side in one process.
 *
 * A machine with 2 GiB of RAM and "swiotlb=force" (a 64 MiB pool,
 * every mapping bounces) and one coherent device.  Subject cycles, each
 * making exactly one copy per direction of the data:
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
 * rest up to 256 KiB).
 * The baseline is memcpy of the same bytes between two buffers of the same
 * simulated RAM (hot in the caches).  An extra line per figure times the
 * same copies into a destination that walks a 2 MiB area as the next-fit
 * cursor walks the pool, to separate the cost of cold destination lines
 * (the kernel's too) from the library's own overhead.  Figures are throughput ratios (memcpy time / subject
 * time; target >= 0.5 / 0.8 / 0.9), with the decision trace off
 * (dmapool_set_tracing) and, for reference, on.  The last figures map
 * 2 KiB buffers into a 64 MiB pool kept 95 % full with a hole every 20
 * slots against the same pool empty (target <= 2x), and the same full
 * test on a 1 GiB pool against the 64 MiB one (target <= 1.2x).
 *
 * "bench_swiotlb NAME" runs only the figures whose name contains NAME
 * (4KiB, 64KiB, 256KiB, cvm-mix, full).
 *
 * Exit 3 when a ratio misses its target by more than FAR.
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
#include <linux/dma-mapping.h>
#include <linux/slab.h>

#define REPS	7
#define FAR	3.0

static struct dmapool_machine *m;
static struct device *dev;
static volatile uint64_t sink;

/* Sizes of one batch: a fixed size, or the confidential-VM mix of the
 * anchors: 3.5 % <= 512 B, 57.7 % <= 2 KiB, 91.3 % <= 4 KiB, 96 % <= 16 KiB,
 * the rest up to 256 KiB. */
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

static void die(const char *what)
{
	fprintf(stderr, "bench_swiotlb: %s\n", what);
	exit(1);
}

/* One subject batch; returns ns per cycle. */
static double subject(void *buf, size_t size, unsigned n, bool from_device)
{
	double t0 = now_ns();

	for (unsigned i = 0; i < n; i++) {
		size_t sz = size ? size : mix_size(i);
		dma_addr_t h;

		if (from_device) {
			h = dma_map_single(dev, buf, sz, DMA_FROM_DEVICE);
			if (dma_mapping_error(dev, h))
				die("map failed");
			dma_sync_single_for_cpu(dev, h, sz, DMA_FROM_DEVICE);
			dma_unmap_single_attrs(dev, h, sz, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
		} else {
			h = dma_map_single(dev, buf, sz, DMA_TO_DEVICE);
			if (dma_mapping_error(dev, h))
				die("map failed");
			dma_unmap_single(dev, h, sz, DMA_TO_DEVICE);
		}
	}
	return (now_ns() - t0) / n;
}

static double baseline(uint8_t *dst, const uint8_t *src, size_t size, unsigned n,
		       unsigned copies)
{
	double t0 = now_ns();

	for (unsigned i = 0; i < n; i++) {
		size_t sz = size ? size : mix_size(i);

		for (unsigned c = 0; c < copies; c++) {
			memcpy(dst, src, sz);
			__asm__ volatile("" : : "r"(dst) : "memory");
		}
		sink += dst[sz - 1];
	}
	return (now_ns() - t0) / n;
}

/* memcpy into a destination that walks a 2 MiB area (the pool's size) the
 * way the next-fit cursor walks the slots: what the copy alone costs when
 * it lands in memory that is not in the nearest caches. */
static double baseline_walk(uint8_t *area, const uint8_t *src, size_t size,
			    unsigned n)
{
	size_t off = 0, area_size = 2u << 20;
	double t0 = now_ns();

	for (unsigned i = 0; i < n; i++) {
		size_t sz = size ? size : mix_size(i);
		size_t step = (sz + 2047) & ~(size_t)2047;

		if (sz >= 4096)
			off = (off + 4095) & ~(size_t)4095;
		if (off + sz > area_size)
			off = 0;
		memcpy(area + off, src, sz);
		__asm__ volatile("" : : "r"(area) : "memory");
		off += step;
	}
	return (now_ns() - t0) / n;
}

static unsigned ops_for(size_t size)
{
	size_t bytes = size ? size : 6000;
	unsigned n = (unsigned)(((size_t)400 << 20) / bytes / 8);

	return n < 2000 ? 2000 : n > 100000 ? 100000 : n;
}

static const char *only;	/* argv[1]: run the figures whose name has it */

static int figure(const char *name, size_t size, bool from_device, double target,
		  bool tracing)
{
	void *buf = kmalloc(size ? size : MIX_MAX, GFP_KERNEL);
	uint8_t *dst = kmalloc(size ? size : MIX_MAX, GFP_KERNEL);
	unsigned n = ops_for(size);
	double s[REPS], b[REPS], w[REPS], ratio, rmin;
	uint8_t *area = kmalloc(2u << 20, GFP_KERNEL);

	if (!buf || !dst || !area)
		die("kmalloc failed");
	if (only && !strstr(name, only)) {
		kfree(buf);
		kfree(dst);
		kfree(area);
		return 0;
	}
	memset(area, 0, 2u << 20);
	memset(buf, 0x5a, size ? size : MIX_MAX);
	dmapool_set_tracing(m, tracing);
	subject(buf, size, n / 4, from_device);			/* warm-up */
	baseline(dst, buf, size, n / 4, from_device ? 2 : 1);
	for (int r = 0; r < REPS; r++) {
		s[r] = subject(buf, size, n, from_device);
		b[r] = baseline(dst, buf, size, n, from_device ? 2 : 1);
		w[r] = baseline_walk(area, buf, size, n) * (from_device ? 2 : 1);
	}
	qsort(s, REPS, sizeof(*s), cmp_d);
	qsort(b, REPS, sizeof(*b), cmp_d);
	qsort(w, REPS, sizeof(*w), cmp_d);
	ratio = b[REPS / 2] / s[REPS / 2];
	rmin = b[0] / s[0];
	printf("P5 %s %s%s: subject %.0f ns/op, baseline %.0f ns/op, ratio %.2f (min-based %.2f) (target >= %.2f)\n",
	       name, from_device ? "from-device" : "to-device",
	       tracing ? " [trace on]" : "", s[REPS / 2], b[REPS / 2], ratio, rmin,
	       tracing ? 0.0 : target);
	if (!tracing)
		printf("   (same copies into a walking 2 MiB destination: %.0f ns/op, ratio %.2f)\n",
		       w[REPS / 2], w[REPS / 2] / s[REPS / 2]);
	kfree(area);
	kfree(buf);
	kfree(dst);
	dmapool_set_tracing(m, true);
	return !tracing && ratio * FAR < target;
}

static struct dmapool_machine *load(const char *bootargs)
{
	struct dmapool_machine *mm;

	if (bench_load(bootargs, &mm))
		die("cannot load the machine (is dtc installed?)");
	return mm;
}

static void use(struct dmapool_machine *mm)
{
	m = mm;
	dmapool_machine_use(m);
	dev = dmapool_device_find(m, "dev@0");
	if (!dev || dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)))
		die("no device");
}

/* 2 KiB maps into an empty pool, then into the same pool kept 95 % full
 * with a hole every 20 slots; returns the full/empty ratio. */
static double fullness(const char *bootargs, uint64_t slots, double *full_ns,
		       double *empty_ns)
{
	uint64_t hold = slots * 95 / 100, nheld = 0;
	dma_addr_t *held = malloc(hold * sizeof(*held));
	struct dmapool_machine *old = m;
	void *small;
	unsigned n = 50000;
	double e[REPS], f[REPS];

	use(load(bootargs));
	small = kmalloc(2048, GFP_KERNEL);
	if (!held || !small)
		die("out of memory");
	dmapool_set_tracing(m, false);
	subject(small, 2048, n / 4, false);
	for (int r = 0; r < REPS; r++)
		e[r] = subject(small, 2048, n, false);
	while (nheld < hold) {
		dma_addr_t h = dma_map_single(dev, small, 2048, DMA_TO_DEVICE);

		if (dma_mapping_error(dev, h))
			break;
		held[nheld++] = h;
	}
	for (uint64_t i = 0; i < nheld; i += 20) {
		dma_unmap_single(dev, held[i], 2048, DMA_TO_DEVICE);
		held[i] = DMA_MAPPING_ERROR;
	}
	for (int r = 0; r < REPS; r++)
		f[r] = subject(small, 2048, n, false);
	for (uint64_t i = 0; i < nheld; i++)
		if (held[i] != DMA_MAPPING_ERROR)
			dma_unmap_single(dev, held[i], 2048, DMA_TO_DEVICE);
	qsort(e, REPS, sizeof(*e), cmp_d);
	qsort(f, REPS, sizeof(*f), cmp_d);
	*full_ns = f[REPS / 2];
	*empty_ns = e[REPS / 2];
	kfree(small);
	free(held);
	dmapool_machine_destroy(m);
	use(old);
	return *full_ns / *empty_ns;
}

static int scaling(void)
{
	double f64, e64, f1g, e1g, r64, r1g;
	int bad = 0;

	if (only && !strstr("full", only))
		return 0;
	r64 = fullness("swiotlb=32768,force", 32768, &f64, &e64);
	printf("P5 95%%-full 64 MiB pool (2 KiB maps into holes): full %.0f ns/op, empty %.0f ns/op, ratio %.2f (target <= 2.00)\n",
	       f64, e64, r64);
	r1g = fullness("swiotlb=524288,force", 524288, &f1g, &e1g);
	printf("P5 95%%-full 1 GiB pool vs 64 MiB pool: %.0f ns/op vs %.0f ns/op, ratio %.2f (target <= 1.20)\n",
	       f1g, f64, f1g / f64);
	bad |= r64 > 2.0 * FAR;
	bad |= f1g / f64 > 1.2 * FAR;
	(void)e1g;
	(void)r1g;
	return bad;
}

int main(int argc, char **argv)
{
	int bad = 0;

	only = argc > 1 ? argv[1] : NULL;
	use(load("swiotlb=force"));
	bad |= figure("4KiB", 4096, false, 0.5, false);
	bad |= figure("4KiB", 4096, true, 0.5, false);
	bad |= figure("64KiB", 65536, false, 0.8, false);
	bad |= figure("64KiB", 65536, true, 0.8, false);
	bad |= figure("256KiB", 262144, false, 0.9, false);
	bad |= figure("256KiB", 262144, true, 0.9, false);
	bad |= figure("cvm-mix", 0, false, 0.5, false);
	bad |= figure("4KiB", 4096, false, 0.5, true);
	bad |= scaling();
	dmapool_machine_destroy(m);
	return bad ? 3 : 0;
}
