/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Early physical memory layout (models mm/memblock.c).
 *
 * Two sorted lists of non-overlapping ranges: "memory" (RAM banks, split
 * where flags differ, MEMBLOCK_NOMAP marks ranges removed from the linear
 * map) and "reserved".  Allocation searches the free ranges (memory that
 * is neither nomap nor reserved) top-down by default, or bottom-up, with
 * the kernel's candidate rule: the highest (lowest) aligned address whose
 * block fits in a free range clipped to the window.
 *
 * Left out: NUMA node ids, hotplug, mirror flags, the current_limit that
 * only matters before paging_init (callers pass explicit windows).
 */
#include "internal.h"

static int type_reserve_slot(struct mb_type *t, size_t extra)
{
	if (t->n + extra <= t->cap)
		return 0;
	size_t ncap = t->cap ? t->cap : 16;
	while (ncap < t->n + extra)
		ncap *= 2;
	struct mb_region *nr = realloc(t->r, ncap * sizeof(*nr));
	if (!nr)
		return -ENOMEM;
	t->r = nr;
	t->cap = ncap;
	return 0;
}

static void type_insert(struct mb_type *t, size_t idx, struct mb_region r)
{
	memmove(&t->r[idx + 1], &t->r[idx], (t->n - idx) * sizeof(*t->r));
	t->r[idx] = r;
	t->n++;
}

static void type_remove(struct mb_type *t, size_t idx)
{
	memmove(&t->r[idx], &t->r[idx + 1], (t->n - idx - 1) * sizeof(*t->r));
	t->n--;
}

/* Merge neighbours that touch and have equal flags. */
static void type_merge(struct mb_type *t)
{
	for (size_t i = 0; i + 1 < t->n;) {
		struct mb_region *a = &t->r[i], *b = &t->r[i + 1];

		if (a->base + a->size == b->base && a->flags == b->flags) {
			a->size += b->size;
			type_remove(t, i + 1);
		} else {
			i++;
		}
	}
}

/* Add [base, base+size) to t; the parts already covered are left alone. */
static int type_add(struct mb_type *t, phys_addr_t base, phys_addr_t size,
		    unsigned flags, const char *owner)
{
	phys_addr_t end;

	if (!size)
		return 0;
	end = base + size;
	if (end < base)		/* wraps: clip to the top of the space */
		end = PHYS_NONE;
	/* worst case: one new region between every pair, plus one */
	if (type_reserve_slot(t, t->n + 1))
		return -ENOMEM;
	phys_addr_t cur = base;
	size_t i = 0;
	while (cur < end) {
		while (i < t->n && t->r[i].base + t->r[i].size <= cur)
			i++;
		if (i < t->n && t->r[i].base <= cur) {
			cur = t->r[i].base + t->r[i].size;
			continue;
		}
		phys_addr_t gap_end = end;
		if (i < t->n && t->r[i].base < gap_end)
			gap_end = t->r[i].base;
		struct mb_region r = { cur, gap_end - cur, flags, owner };
		type_insert(t, i, r);
		cur = gap_end;
	}
	type_merge(t);
	return 0;
}

/* Remove [base, base+size) from t. */
static int type_remove_range(struct mb_type *t, phys_addr_t base, phys_addr_t size)
{
	phys_addr_t end = base + size;

	if (!size)
		return 0;
	if (end < base)
		end = PHYS_NONE;
	if (type_reserve_slot(t, 1))
		return -ENOMEM;
	for (size_t i = 0; i < t->n;) {
		struct mb_region *r = &t->r[i];
		phys_addr_t rend = r->base + r->size;

		if (rend <= base || r->base >= end) {
			i++;
			continue;
		}
		if (r->base < base && rend > end) {	/* split in two */
			struct mb_region tail = { end, rend - end, r->flags, r->owner };
			r->size = base - r->base;
			type_insert(t, i + 1, tail);
			return 0;
		}
		if (r->base < base) {
			r->size = base - r->base;
			i++;
		} else if (rend > end) {
			r->size = rend - end;
			r->base = end;
			i++;
		} else {
			type_remove(t, i);
		}
	}
	return 0;
}

int memblock_add(struct memblock *mb, phys_addr_t base, phys_addr_t size)
{
	return type_add(&mb->memory, base, size, 0, "ram");
}

int memblock_reserve(struct memblock *mb, phys_addr_t base, phys_addr_t size,
		     const char *owner)
{
	return type_add(&mb->reserved, base, size, 0, owner);
}

int memblock_phys_free(struct memblock *mb, phys_addr_t base, phys_addr_t size)
{
	return type_remove_range(&mb->reserved, base, size);
}

/* memblock_remove(): RAM goes (a range that wraps stops at the top). */
int memblock_remove(struct memblock *mb, phys_addr_t base, phys_addr_t size)
{
	return type_remove_range(&mb->memory, base, size);
}

/* Set or clear a flag on the memory regions inside [base, base+size). */
static int memory_set_flag(struct memblock *mb, phys_addr_t base,
			   phys_addr_t size, unsigned flag, bool on)
{
	struct mb_type *t = &mb->memory;
	phys_addr_t end = base + size;

	if (end < base)
		end = PHYS_NONE;
	if (type_reserve_slot(t, 2))
		return -ENOMEM;
	/* isolate: split regions at base and end */
	for (size_t i = 0; i < t->n; i++) {
		struct mb_region *r = &t->r[i];
		phys_addr_t rend = r->base + r->size;
		phys_addr_t cut = 0;

		if (r->base < base && rend > base)
			cut = base;
		else if (r->base < end && rend > end)
			cut = end;
		if (cut) {
			if (type_reserve_slot(t, 1))
				return -ENOMEM;
			r = &t->r[i];
			struct mb_region tail = { cut, rend - cut, r->flags, r->owner };
			r->size = cut - r->base;
			type_insert(t, i + 1, tail);
		}
	}
	for (size_t i = 0; i < t->n; i++) {
		struct mb_region *r = &t->r[i];

		if (r->base >= base && r->base + r->size <= end) {
			if (on)
				r->flags |= flag;
			else
				r->flags &= ~flag;
		}
	}
	type_merge(t);
	return 0;
}

int memblock_mark_nomap(struct memblock *mb, phys_addr_t base, phys_addr_t size)
{
	return memory_set_flag(mb, base, size, MEMBLOCK_NOMAP, true);
}

int memblock_clear_nomap(struct memblock *mb, phys_addr_t base, phys_addr_t size)
{
	return memory_set_flag(mb, base, size, MEMBLOCK_NOMAP, false);
}

static bool type_overlaps(const struct mb_type *t, phys_addr_t base, phys_addr_t size)
{
	phys_addr_t end = base + size;

	if (end < base)
		end = PHYS_NONE;
	for (size_t i = 0; i < t->n; i++)
		if (t->r[i].base < end && t->r[i].base + t->r[i].size > base)
			return true;
	return false;
}

bool memblock_is_region_reserved(const struct memblock *mb, phys_addr_t base,
				 phys_addr_t size)
{
	return type_overlaps(&mb->reserved, base, size);
}

bool memblock_overlaps_memory(const struct memblock *mb, phys_addr_t base,
			      phys_addr_t size)
{
	return type_overlaps(&mb->memory, base, size);
}

phys_addr_t memblock_start_of_dram(const struct memblock *mb)
{
	return mb->memory.n ? mb->memory.r[0].base : 0;
}

phys_addr_t memblock_end_of_dram(const struct memblock *mb)
{
	const struct mb_type *t = &mb->memory;

	return t->n ? t->r[t->n - 1].base + t->r[t->n - 1].size : 0;
}

phys_addr_t memblock_phys_mem_size(const struct memblock *mb)
{
	phys_addr_t s = 0;

	for (size_t i = 0; i < mb->memory.n; i++)
		s += mb->memory.r[i].size;
	return s;
}

phys_addr_t memblock_mapped_size(const struct memblock *mb)
{
	phys_addr_t s = 0;

	for (size_t i = 0; i < mb->memory.n; i++)
		if (!(mb->memory.r[i].flags & MEMBLOCK_NOMAP))
			s += mb->memory.r[i].size;
	return s;
}

bool memblock_is_map_memory(const struct memblock *mb, phys_addr_t addr)
{
	for (size_t i = 0; i < mb->memory.n; i++) {
		const struct mb_region *r = &mb->memory.r[i];

		if (addr >= r->base && addr - r->base < r->size)
			return !(r->flags & MEMBLOCK_NOMAP);
	}
	return false;
}

int memblock_ram_intersects(const struct memblock *mb, phys_addr_t base,
			    phys_addr_t size)
{
	phys_addr_t covered = 0, end;

	/* a range that wraps is clipped at the top of the address space */
	if (__builtin_add_overflow(base, size, &end))
		end = PHYS_NONE;

	for (size_t i = 0; i < mb->memory.n; i++) {
		const struct mb_region *r = &mb->memory.r[i];
		phys_addr_t s, e;

		phys_addr_t rb, re;

		if (r->flags & MEMBLOCK_NOMAP)
			continue;
		/* "System RAM" resources are whole pages: PFN_UP(base) to
		 * PFN_DOWN(end) of each mapped region */
		if (__builtin_add_overflow(r->base, 0xfff, &rb))
			continue;
		rb &= ~(phys_addr_t)0xfff;
		re = (r->base + r->size) & ~(phys_addr_t)0xfff;
		if (re <= rb)
			continue;
		s = rb > base ? rb : base;
		e = re < end ? re : end;
		if (e > s)
			covered += e - s;
	}
	if (!covered)
		return 0;
	return covered == end - base ? 1 : 2;
}

phys_addr_t memblock_reserved_size(const struct memblock *mb)
{
	phys_addr_t s = 0;

	for (size_t i = 0; i < mb->reserved.n; i++)
		s += mb->reserved.r[i].size;
	return s;
}

struct range_vec {
	phys_addr_t (*v)[2];
	size_t n, cap;
	bool oom;
};

static void range_push(struct range_vec *rv, phys_addr_t a, phys_addr_t b)
{
	if (rv->oom)
		return;
	if (rv->n == rv->cap) {
		size_t ncap = rv->cap ? rv->cap * 2 : 16;
		phys_addr_t (*nv)[2] = realloc(rv->v, ncap * sizeof(*nv));

		if (!nv) {
			rv->oom = true;
			return;
		}
		rv->v = nv;
		rv->cap = ncap;
	}
	rv->v[rv->n][0] = a;
	rv->v[rv->n][1] = b;
	rv->n++;
}

size_t memblock_free_ranges(const struct memblock *mb, phys_addr_t (**out)[2])
{
	const struct mb_type *mem = &mb->memory, *res = &mb->reserved;
	struct range_vec rv = { 0 };

	*out = NULL;
	for (size_t i = 0; i < mem->n; i++) {
		if (mem->r[i].flags & MEMBLOCK_NOMAP)
			continue;
		phys_addr_t cur = mem->r[i].base, end = cur + mem->r[i].size;

		for (size_t j = 0; j < res->n && cur < end; j++) {
			phys_addr_t rb = res->r[j].base, re = rb + res->r[j].size;

			if (re <= cur || rb >= end)
				continue;
			if (rb > cur)
				range_push(&rv, cur, rb);
			cur = re;
		}
		if (cur < end)
			range_push(&rv, cur, end);
	}
	if (rv.oom || !rv.n) {
		free(rv.v);
		/* an empty result is still a valid (allocated) answer */
		*out = rv.oom ? NULL : calloc(1, sizeof(**out));
		return 0;
	}
	*out = rv.v;
	return rv.n;
}

phys_addr_t memblock_alloc_range(struct memblock *mb, phys_addr_t size,
				 phys_addr_t align, phys_addr_t start,
				 phys_addr_t end, const char *owner)
{
	phys_addr_t (*fr)[2];
	size_t n;
	phys_addr_t found = 0;

	if (!align)
		align = 1;
	/*
	 * A zero size is not refused: like the kernel, the search then
	 * "finds" the (aligned) end of the highest free range, and nothing is
	 * reserved (a dynamic region of size 0 lands at the top of RAM).
	 */
	/* memblock never hands out the first page */
	if (start < 4096)
		start = 4096;
	if (end < start)
		return 0;
	n = memblock_free_ranges(mb, &fr);
	if (!fr)
		return 0;
	if (!mb->bottom_up) {
		for (size_t k = n; k-- > 0;) {
			phys_addr_t ts = fr[k][0] < start ? start : fr[k][0];
			phys_addr_t te = fr[k][1] > end ? end : fr[k][1];

			if (te <= ts || te < size)
				continue;
			phys_addr_t cand = ALIGN_DOWN(te - size, align);
			if (cand >= ts) {
				found = cand;
				break;
			}
		}
	} else {
		for (size_t k = 0; k < n; k++) {
			phys_addr_t ts = fr[k][0] < start ? start : fr[k][0];
			phys_addr_t te = fr[k][1] > end ? end : fr[k][1];

			phys_addr_t cand;

			if (te <= ts)
				continue;
			/* ALIGN_UP without wrapping past the top */
			if (__builtin_add_overflow(ts, align - 1, &cand))
				break;
			cand = ALIGN_DOWN(cand, align);
			if (cand < te && te - cand >= size) {
				found = cand;
				break;
			}
		}
	}
	free(fr);
	if (found && size && memblock_reserve(mb, found, size, owner))
		return 0;
	return found;
}

void memblock_free_all(struct memblock *mb)
{
	free(mb->memory.r);
	free(mb->reserved.r);
	memset(mb, 0, sizeof(*mb));
}
