/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * baseline_memcpy.c — memcpy of the same bytes: the baseline of P5 (the
 * SWIOTLB's bounce copies) and P6 (cache maintenance), hot in the host's
 * caches, and, for reference, into a destination that walks an area the
 * way the SWIOTLB's next-fit cursor walks its slots.
 *
 * Left out: non-temporal copies.
 */
#include <string.h>

#include "baseline.h"
#include "harness.h"

static volatile uint64_t sink;

double bl_memcpy(uint8_t *dst, const uint8_t *src, size_t size, size_t (*size_of)(unsigned),
		 unsigned n, unsigned copies)
{
	double t0 = hx_now();

	for (unsigned i = 0; i < n; i++) {
		size_t sz = size ? size : size_of(i);

		for (unsigned c = 0; c < copies; c++) {
			memcpy(dst, src, sz);
			__asm__ volatile("" : : "r"(dst) : "memory");
		}
		sink += dst[sz - 1];
	}
	return (hx_now() - t0) / n;
}

double bl_memcpy_walk(uint8_t *area, size_t area_size, const uint8_t *src, size_t size,
		      size_t (*size_of)(unsigned), unsigned n)
{
	size_t off = 0;
	double t0 = hx_now();

	for (unsigned i = 0; i < n; i++) {
		size_t sz = size ? size : size_of(i);
		size_t step = (sz + 2047) & ~(size_t)2047;

		if (sz >= 4096)
			off = (off + 4095) & ~(size_t)4095;
		if (off + sz > area_size)
			off = 0;
		memcpy(area + off, src, sz);
		__asm__ volatile("" : : "r"(area) : "memory");
		off += step;
	}
	return (hx_now() - t0) / n;
}
