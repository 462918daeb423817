/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * baseline_malloc.c — glibc malloc()/free() in the batch pattern of the
 * kernel's mm/dmapool_test.c (allocate N, then free all N in allocation
 * order): the baseline of P1, and, as malloc(64) + free, of P3 and P4.
 *
 * Left out: nothing of the pattern; glibc's own tunables stay default.
 */
#include <stdio.h>
#include <stdlib.h>

#include "baseline.h"
#include "harness.h"

double bl_malloc_rounds(void **p, size_t size, size_t align, unsigned n, unsigned rounds)
{
	double t0 = hx_now();

	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < n; i++) {
			p[i] = align > 16 ? aligned_alloc(align, (size + align - 1) / align * align)
					  : malloc(size);
			if (__builtin_expect(!p[i], 0))
				hx_fail("malloc(%zu) failed", size);
			__asm__ volatile("" : : "r"(p[i]) : "memory");
		}
		for (unsigned i = 0; i < n; i++)
			free(p[i]);
	}
	return (hx_now() - t0) / ((double)n * rounds);
}

double bl_malloc64_pairs(unsigned rounds)
{
	static void *ptrs[BL_MALLOC_N];

	return bl_malloc_rounds(ptrs, 64, 0, BL_MALLOC_N, rounds);
}
