/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * CMA areas (models kernel/dma/contiguous.c and mm/cma.c).
 *
 * An area is a range of reserved pages with a bitmap (one bit per page,
 * order_per_bit 0 as for every DMA area).  The default area comes from a
 * "linux,cma-default" node or from dma_contiguous_reserve() (cma= or
 * CONFIG_CMA_SIZE_MBYTES).  Allocation is first fit from the area base with
 * the kernel's alignment mask and base offset.
 *
 * Left out: page migration (an area's pages are never lent to movable
 * allocations, so -EBUSY retries never happen), per-NUMA areas, dma-heaps,
 * debugfs.  Where the kernel oopses (an area outside RAM), the area is
 * refused with a clear message instead.
 */
#include "internal.h"

int cma_init_reserved_mem(struct dmapool_machine *m, phys_addr_t base,
			  phys_addr_t size, const char *name,
			  struct cma_area **out)
{
	struct cma_area *c;

	if (m->n_cma >= m->prof.cma_areas) {
		klog(m, "cma: Not enough slots for CMA reserved regions!");
		return -ENOSPC;
	}
	if (!size || !memblock_is_region_reserved(&m->mb, base, size))
		return -EINVAL;
	if ((base | size) & (m->prof.pageblock_size - 1))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->name = strdup(name);
	if (!c->name) {
		free(c);
		return -ENOMEM;
	}
	c->base = base;
	c->count = size >> m->prof.page_shift;
	pthread_mutex_init(&c->lock, NULL);
	m->cma[m->n_cma++] = c;
	*out = c;
	return 0;
}

/* cma_declare_contiguous_nid */
static int cma_declare_contiguous(struct dmapool_machine *m, phys_addr_t base,
				  phys_addr_t size, phys_addr_t limit,
				  bool fixed, const char *name,
				  struct cma_area **out)
{
	phys_addr_t align = m->prof.pageblock_size;
	phys_addr_t end = memblock_end_of_dram(&m->mb);
	char a[24], b[24], c[24];
	int ret;

	if (m->n_cma >= m->prof.cma_areas) {
		klog(m, "cma: Not enough slots for CMA reserved regions!");
		return -ENOSPC;
	}
	if (!size)
		return -EINVAL;
	if (fixed && (base & (align - 1))) {
		klog(m, "cma: Region at %s must be aligned to %s bytes",
		     fmt_pa(m, base, a), fmt_pa(m, align, b));
		ret = -EINVAL;
		goto err;
	}
	base = ALIGN_UP(base, align);
	size = ALIGN_UP(size, align);
	limit &= ~(align - 1);
	if (!base)
		fixed = false;
	if (limit == 0 || limit > end)
		limit = end;
	if (base + size > limit) {
		klog(m, "cma: Size (%s) of region at %s exceeds limit (%s)",
		     fmt_pa(m, size, a), fmt_pa(m, base, b), fmt_pa(m, limit, c));
		ret = -EINVAL;
		goto err;
	}
	if (fixed) {
		if (memblock_is_region_reserved(&m->mb, base, size) ||
		    memblock_reserve(&m->mb, base, size, name) < 0) {
			ret = -EBUSY;
			goto err;
		}
	} else {
		phys_addr_t addr = 0;

		/* bottom-up above 4 GiB first when there is room */
		if (end >= SZ_4G + size) {
			m->mb.bottom_up = true;
			addr = memblock_alloc_range(&m->mb, size, align, SZ_4G, limit, name);
			m->mb.bottom_up = false;
		}
		if (!addr)
			addr = memblock_alloc_range(&m->mb, size, align, base, limit, name);
		if (!addr) {
			ret = -ENOMEM;
			goto err;
		}
		base = addr;
	}
	ret = cma_init_reserved_mem(m, base, size, name, out);
	if (ret) {
		memblock_phys_free(&m->mb, base, size);
		goto err;
	}
	if (m->prof.numa_node_msg)
		klog(m, "cma: Reserved %lu MiB at %s on node -1",
		     (unsigned long)(size / SZ_1M), fmt_pa(m, base, a));
	else
		klog(m, "cma: Reserved %lu MiB at %s", (unsigned long)(size / SZ_1M),
		     fmt_pa(m, base, a));
	return 0;
err:
	if (m->prof.numa_node_msg)
		klog(m, "cma: Failed to reserve %lu MiB on node -1",
		     (unsigned long)(size / SZ_1M));
	else
		klog(m, "cma: Failed to reserve %lu MiB", (unsigned long)(size / SZ_1M));
	return ret;
}

void dma_contiguous_reserve(struct dmapool_machine *m, phys_addr_t limit)
{
	phys_addr_t size = 0, base = 0, sel_limit = limit;
	bool fixed = false;
	struct cma_area *c;

	if (!m->prof.cma)
		return;
	if (m->bp.cma_set) {
		size = m->bp.cma_size;
		base = m->bp.cma_base;
		sel_limit = min_not_zero_u64(m->bp.cma_limit, limit);
		fixed = m->bp.cma_fixed;
	} else {
		size = m->prof.cma_size_mbytes * SZ_1M;
	}
	if (size && !m->default_cma)
		if (cma_declare_contiguous(m, base, size, sel_limit, fixed, "reserved", &c) == 0)
			m->default_cma = c;
}

static bool bit_test(const unsigned long *bm, uint64_t i)
{
	return bm[i / 64] >> (i % 64) & 1;
}

static void bits_set(unsigned long *bm, uint64_t start, uint64_t n, bool v)
{
	for (uint64_t i = start; i < start + n; i++) {
		if (v)
			bm[i / 64] |= 1UL << (i % 64);
		else
			bm[i / 64] &= ~(1UL << (i % 64));
	}
}

/* cma_init_reserved_areas: the pages become a usable area, or are refused. */
void cma_activate_areas(struct dmapool_machine *m)
{
	for (size_t i = 0; i < m->n_cma; i++) {
		struct cma_area *c = m->cma[i];
		phys_addr_t start = c->base;
		phys_addr_t end = c->base + (c->count << m->prof.page_shift);
		bool in_ram = false;
		int zone_start = -1, zone_end = -1;

		for (size_t b = 0; b < m->mb.memory.n; b++) {
			const struct mb_region *r = &m->mb.memory.r[b];

			if (r->base <= start && r->base + r->size >= end)
				in_ram = true;
		}
		/* a range made of several adjacent memory regions is still RAM */
		if (!in_ram) {
			phys_addr_t cur = start;
			for (size_t b = 0; b < m->mb.memory.n && cur < end; b++) {
				const struct mb_region *r = &m->mb.memory.r[b];
				if (r->base <= cur && r->base + r->size > cur)
					cur = r->base + r->size;
			}
			in_ram = cur >= end;
		}
		if (!in_ram) {
			klog(m, "libdmapool: CMA area %s (%#llx..%#llx) is not inside RAM: refused (Linux 6.12 oopses in cma_init_reserved_areas here)",
			     c->name, (unsigned long long)start, (unsigned long long)end - 1);
			c->failed = true;
			continue;
		}
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			uint64_t s = m->zones[z].start_pfn << m->prof.page_shift;
			uint64_t e = m->zones[z].end_pfn << m->prof.page_shift;

			if (s == e)
				continue;
			if (start >= s && start < e)
				zone_start = z;
			if (end - 1 >= s && end - 1 < e)
				zone_end = z;
		}
		if (zone_start != zone_end) {
			klog(m, "cma: CMA area %s could not be activated", c->name);
			c->failed = true;
			continue;
		}
		c->bitmap = calloc((c->count + 63) / 64 + 1, sizeof(unsigned long));
		if (!c->bitmap) {
			c->failed = true;
			continue;
		}
		c->activated = true;
		/*
		 * no-map pages inside an area: the kernel activates the area
		 * but oopses when an allocation touches them (seen with
		 * cma=64M@ over a no-map pool); they are never handed out here.
		 */
		for (size_t b = 0; b < m->mb.memory.n; b++) {
			const struct mb_region *r = &m->mb.memory.r[b];
			phys_addr_t s0, e0;

			if (!(r->flags & MEMBLOCK_NOMAP))
				continue;
			s0 = r->base > start ? r->base : start;
			e0 = r->base + r->size < end ? r->base + r->size : end;
			if (e0 <= s0)
				continue;
			uint64_t first = (s0 - start) >> m->prof.page_shift;
			uint64_t last = (e0 - start + m->prof.page_size - 1) >> m->prof.page_shift;
			bits_set(c->bitmap, first, last - first, true);
			c->used += last - first;
			klog(m, "libdmapool: CMA area %s overlaps no-map memory %#llx..%#llx: those pages are never allocated (Linux 6.12 oopses when it touches them)",
			     c->name, (unsigned long long)s0, (unsigned long long)e0 - 1);
		}
	}
}

/*
 * First zero run of `count` bits whose start s satisfies
 * ((s + offset) & mask) == 0, searching from `start`.
 */
static uint64_t find_zero_area_off(const unsigned long *bm, uint64_t size,
				   uint64_t start, uint64_t count,
				   uint64_t mask, uint64_t offset)
{
	uint64_t s = start;

	for (;;) {
		while (s < size && bit_test(bm, s))
			s++;
		s = ((s + offset + mask) & ~mask) - offset;
		if (s + count > size)
			return size;
		uint64_t j;
		for (j = s; j < s + count; j++)
			if (bit_test(bm, j))
				break;
		if (j == s + count)
			return s;
		s = j + 1;
	}
}

phys_addr_t cma_alloc(struct dmapool_machine *m, struct cma_area *c,
		      uint64_t count, unsigned align, bool no_warn)
{
	uint64_t mask, offset, pfn_base, s;

	if (!c || !c->activated || !count || count > c->count)
		goto fail;
	mask = (1ULL << align) - 1;
	pfn_base = c->base >> m->prof.page_shift;
	offset = pfn_base & mask;	/* the kernel aligns absolute pfns */
	pthread_mutex_lock(&c->lock);
	if (count > c->count - c->used) {
		pthread_mutex_unlock(&c->lock);
		goto fail;
	}
	s = find_zero_area_off(c->bitmap, c->count, 0, count, mask, offset);
	if (s >= c->count) {
		pthread_mutex_unlock(&c->lock);
		goto fail;
	}
	bits_set(c->bitmap, s, count, true);
	c->used += count;
	pthread_mutex_unlock(&c->lock);
	return (pfn_base + s) << m->prof.page_shift;
fail:
	if (!no_warn && c)
		klog(m, "cma: cma_alloc: %s: alloc failed, req-size: %llu pages, ret: %d",
		     c->name, (unsigned long long)count, -12);
	return PHYS_NONE;
}

bool cma_release(struct dmapool_machine *m, struct cma_area *c, phys_addr_t pa,
		 uint64_t count)
{
	uint64_t pfn, base;

	if (!c || !c->activated || pa == PHYS_NONE)
		return false;
	pfn = pa >> m->prof.page_shift;
	base = c->base >> m->prof.page_shift;
	if (pfn < base || pfn + count > base + c->count)
		return false;
	pthread_mutex_lock(&c->lock);
	bits_set(c->bitmap, pfn - base, count, false);
	c->used -= count;
	pthread_mutex_unlock(&c->lock);
	return true;
}

void cma_free_all(struct dmapool_machine *m)
{
	for (size_t i = 0; i < m->n_cma; i++) {
		pthread_mutex_destroy(&m->cma[i]->lock);
		free(m->cma[i]->bitmap);
		free(m->cma[i]->name);
		free(m->cma[i]);
	}
	m->n_cma = 0;
	m->default_cma = NULL;
}
