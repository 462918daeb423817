/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * baseline_bitmap.c — the kernel's linear bitmap scanners of lib/bitmap.c
 * and lib/find_bit.c, written from their descriptions, on plain 64-bit
 * words: the baseline of P2 and its differential oracle (src/bitmap.c
 * must return the same index for every input).
 *
 *   bitmap_find_free_region()        steps aligned regions from bit 0,
 *                                    find_next_bit() over each one;
 *   bitmap_find_next_zero_area_off() find_next_zero_bit(), align, then
 *                                    find_next_bit() over the area,
 *                                    restarting after the first conflict.
 *
 * Left out: unsigned long word order and the small-const optimisations.
 */
#include <stdlib.h>

#include "baseline.h"

int bl_bitmap_init(struct bl_bitmap *p, uint64_t nbits)
{
	p->n = nbits;
	p->w = calloc(nbits / 64 + 1, sizeof(uint64_t));
	return p->w ? 0 : -1;
}

void bl_bitmap_fini(struct bl_bitmap *p)
{
	free(p->w);
	p->w = NULL;
}

bool bl_bitmap_test(const struct bl_bitmap *p, uint64_t i)
{
	return i < p->n && ((p->w[i / 64] >> (i % 64)) & 1);
}

uint64_t bl_find_next(const uint64_t *w, uint64_t size, uint64_t off, bool zero)
{
	uint64_t idx, tmp, x;

	if (off >= size)
		return size;
	idx = off / 64;
	tmp = (zero ? ~w[idx] : w[idx]) & (~0ULL << (off % 64));
	while (!tmp) {
		if (++idx * 64 >= size)
			return size;
		tmp = zero ? ~w[idx] : w[idx];
	}
	x = idx * 64 + (uint64_t)__builtin_ctzll(tmp);
	return x < size ? x : size;
}

void bl_bitmap_assign(struct bl_bitmap *p, uint64_t start, uint64_t len, bool set)
{
	for (uint64_t i = start; i < start + len; ) {
		uint64_t bit = i % 64, n = 64 - bit < start + len - i ? 64 - bit : start + len - i;
		uint64_t m = (n == 64 ? ~0ULL : ((1ULL << n) - 1)) << bit;

		if (set)
			p->w[i / 64] |= m;
		else
			p->w[i / 64] &= ~m;
		i += n;
	}
}

int64_t bl_find_free_region(struct bl_bitmap *p, unsigned order, bool mark)
{
	uint64_t len = 1ULL << order;

	for (uint64_t pos = 0; pos + len <= p->n; pos += len) {
		if (bl_find_next(p->w, pos + len, pos, false) < pos + len)
			continue;
		if (mark)
			bl_bitmap_assign(p, pos, len, true);
		return (int64_t)pos;
	}
	return -1;
}

uint64_t bl_find_next_zero_area_off(const struct bl_bitmap *p, uint64_t start,
				    uint64_t nr, uint64_t mask, uint64_t off)
{
	for (;;) {
		uint64_t index = bl_find_next(p->w, p->n, start, true), end, i;

		index = ((index + off + mask) & ~mask) - off;
		end = index + nr;
		if (end > p->n)
			return end;
		i = bl_find_next(p->w, end, index, false);
		if (i < end) {
			start = i + 1;
			continue;
		}
		return index;
	}
}
