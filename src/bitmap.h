/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * bitmap.h — allocation bitmap with an O(log n) search summary
 * (models the allocation helpers of lib/bitmap.c and include/linux/bitmap.h).
 *
 * One bit per page, 1 = allocated.  The coherent pools search it with
 * bitmap_find_free_region() and CMA with bitmap_find_next_zero_area_off();
 * the kernel scans the bitmap linearly for both.  Here a binary tree over
 * the 64-bit words keeps, per node, the free run at its left edge, at its
 * right edge, the longest free run inside it and the largest free naturally
 * aligned power-of-two block inside it, so both searches descend the tree
 * instead of scanning.  Results are bit-for-bit those of the kernel
 * algorithms, including the value find_next_zero_area_off returns when
 * nothing fits.
 *
 * Left out: every other lib/bitmap.c operation (logic ops, parsing,
 * printing, remapping), unsigned long word order (words are uint64_t on
 * every host) and locking: the caller serialises access, as the kernel's
 * callers do with their spinlocks.
 */
#ifndef DMAPOOL_BITMAP_H
#define DMAPOOL_BITMAP_H

#include <stdbool.h>
#include <stdint.h>

/* Largest bitmap rbitmap_create() accepts (node counters are 32-bit). */
#define RBITMAP_MAX_BITS	((uint64_t)UINT32_MAX)

struct rbitmap;

/*
 * rbitmap_create - a bitmap of @nbits bits, all free (0).
 * Returns the bitmap, or NULL with errno ENOMEM when memory runs out or
 * EINVAL when @nbits > RBITMAP_MAX_BITS.  @nbits == 0 is allowed (nothing
 * ever fits).
 */
__attribute__((malloc, warn_unused_result))
struct rbitmap *rbitmap_create(uint64_t nbits);

/* rbitmap_destroy - free @b; NULL is ignored. */
void rbitmap_destroy(struct rbitmap *b);

/* rbitmap_size - number of bits @b was created with. */
uint64_t rbitmap_size(const struct rbitmap *b);

/* rbitmap_weight - number of bits set (allocated). O(1). */
uint64_t rbitmap_weight(const struct rbitmap *b);

/*
 * rbitmap_count - bits set, counted in the words now (O(size / 64)): what
 * rbitmap_weight() keeps (dmapool_machine_check() compares the two).
 */
uint64_t rbitmap_count(const struct rbitmap *b);

/* rbitmap_test - bit @i; false when @i >= size. O(1). */
bool rbitmap_test(const struct rbitmap *b, uint64_t i);

/*
 * rbitmap_set / rbitmap_clear - mark [@start, @start + @n) allocated / free,
 * clipped to the size (bits that are already in that state are fine).
 * O(n / 64 + log size).
 */
void rbitmap_set(struct rbitmap *b, uint64_t start, uint64_t n);
void rbitmap_clear(struct rbitmap *b, uint64_t start, uint64_t n);

/*
 * rbitmap_find_free_region - bitmap_find_free_region(): the lowest pos that
 * is a multiple of 2^@order with pos + 2^@order <= size and bits
 * [pos, pos + 2^@order) all free.  Marks them and returns pos; returns -1
 * and changes nothing when there is none (the kernel returns -ENOMEM).
 * A trailing partial region never fits, as in the kernel.
 * O(log size + 2^order / 64).
 */
int64_t rbitmap_find_free_region(struct rbitmap *b, unsigned order);

/*
 * rbitmap_release_region - bitmap_release_region(): clear
 * [@pos, @pos + 2^@order), clipped to the size.  O(2^order / 64 + log size).
 */
void rbitmap_release_region(struct rbitmap *b, uint64_t pos, unsigned order);

/*
 * rbitmap_find_next_zero_area_off - bitmap_find_next_zero_area_off(map,
 * size, @start, @nr, @align_mask, @align_offset) with size = rbitmap_size().
 *
 * Returns the lowest index >= @start with ((index + @align_offset) &
 * @align_mask) == 0, [index, index + @nr) all free and index + @nr <= size.
 * When there is none it returns a value > size - @nr, namely exactly what
 * the kernel's loop returns (its last index + @nr).  @nr == 0 returns the
 * first free bit at or after @start, aligned up (size if none, aligned up).
 * Marks nothing.
 *
 * @align_mask is 2^k - 1 (k = 0 for no alignment).  Cost: O(log size) when
 * @nr is a power of two, @align_mask == @nr - 1 and the offset is a multiple
 * of @nr (the CMA case); otherwise O(log size) per free run of length >=
 * @nr that the alignment defeats before the answer.  Any other mask, or a
 * mask or @nr of 2^40 or more, runs the kernel's own loop (restart after
 * each conflict) with word-skipping primitives; where that loop never ends
 * in the kernel (masks whose arithmetic wraps), this returns size + 1.
 */
uint64_t rbitmap_find_next_zero_area_off(const struct rbitmap *b, uint64_t start,
					 uint64_t nr, uint64_t align_mask,
					 uint64_t align_offset);

#endif /* DMAPOOL_BITMAP_H */
