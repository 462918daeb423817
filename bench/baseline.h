/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * baseline.h — the reference implementations the benchmarks measure the
 * library against, written from the algorithm descriptions: they are the
 * baselines of the ratios and, where the kernel's result is
 * deterministic, differential oracles (same inputs, same addresses).
 *
 *   baseline_bitmap.c   the kernel's linear bitmap scanners:
 *                       bitmap_find_free_region() (region stepping) and
 *                       bitmap_find_next_zero_area_off() (restart loop)
 *   baseline_dmapool.c  the list-walking dma_pool of the kernel before
 *                       its 2023 rewrite (Linux 6.3 mm/dmapool.c)
 *   baseline_malloc.c   glibc malloc/free in mm/dmapool_test.c's batch
 *                       pattern (allocate N, then free all N)
 *   baseline_memcpy.c   memcpy of the same bytes, hot and walking
 */
#ifndef DMAPOOL_BENCH_BASELINE_H
#define DMAPOOL_BENCH_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- bitmaps: plain 64-bit words, 1 = allocated ---- */

struct bl_bitmap {
	uint64_t n;
	uint64_t *w;
};

/* 0, or -1 when host memory runs out. */
int bl_bitmap_init(struct bl_bitmap *p, uint64_t nbits);
void bl_bitmap_fini(struct bl_bitmap *p);
bool bl_bitmap_test(const struct bl_bitmap *p, uint64_t i);
/* bitmap_set() / bitmap_clear() of [start, start + len). */
void bl_bitmap_assign(struct bl_bitmap *p, uint64_t start, uint64_t len, bool set);
/* find_next_bit() (zero false) / find_next_zero_bit() (zero true). */
uint64_t bl_find_next(const uint64_t *w, uint64_t size, uint64_t off, bool zero);
/* bitmap_find_free_region(): aligned regions stepped from bit 0; marks
 * the region when mark; -1 when none fits. */
int64_t bl_find_free_region(struct bl_bitmap *p, unsigned order, bool mark);
/* bitmap_find_next_zero_area_off(): restart after the first conflict. */
uint64_t bl_find_next_zero_area_off(const struct bl_bitmap *p, uint64_t start,
				    uint64_t nr, uint64_t mask, uint64_t off);

/* ---- the pre-2023 list-walking dma_pool ---- */

struct device;
struct bl_pool;

/* dma_pool_create() of Linux 6.3 (size aligned up to align, allocation =
 * max(size, 4096), boundary clipped to it); chunks come from
 * dma_alloc_attrs(dev, allocation) as in the library; zero: clear each
 * block handed out (init_on_alloc).  NULL on bad arguments or no host
 * memory. */
struct bl_pool *bl_pool_create(struct device *dev, size_t size, size_t align,
			       size_t boundary, bool zero);
/* dma_pool_alloc(): walk the page list from its head for a page with a
 * free block; a new page goes at the head. NULL when no chunk comes. */
void *bl_pool_alloc(struct bl_pool *pool, uint64_t *dma);
/* dma_pool_free(): walk the page list for the page holding dma; false
 * when no page holds it (the kernel would print an error). */
bool bl_pool_free(struct bl_pool *pool, void *vaddr, uint64_t dma);
/* Free every chunk and the pool. */
void bl_pool_destroy(struct bl_pool *pool);
size_t bl_pool_pages(const struct bl_pool *pool);

/* ---- glibc malloc/free in the batch pattern ---- */

/* ns per malloc(size) + free pair over `rounds` rounds of n (allocate n,
 * then free all n in allocation order); p holds n pointers.  align > 16
 * uses aligned_alloc. */
double bl_malloc_rounds(void **p, size_t size, size_t align, unsigned n, unsigned rounds);

/* P3's and P4's baseline: malloc(64) + free, BL_MALLOC_N per round. */
#define BL_MALLOC_N	8192u
double bl_malloc64_pairs(unsigned rounds);

/* ---- memcpy ---- */

/* ns per op: `copies` memcpy of size bytes (size 0: sizes from
 * size_of(i)) from src to dst, n ops. */
double bl_memcpy(uint8_t *dst, const uint8_t *src, size_t size, size_t (*size_of)(unsigned),
		 unsigned n, unsigned copies);
/* The same into a destination walking a 2 MiB area as a next-fit cursor. */
double bl_memcpy_walk(uint8_t *area, size_t area_size, const uint8_t *src, size_t size,
		      size_t (*size_of)(unsigned), unsigned n);

#endif
