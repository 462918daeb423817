/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * CMA areas (models kernel/dma/contiguous.c and mm/cma.c).
 *
 * An area is a range of reserved pages with a bitmap (one bit per page,
 * order_per_bit 0 as for every DMA area).  The default area comes from a
 * "linux,cma-default" node or from dma_contiguous_reserve() (cma= or
 * CONFIG_CMA_SIZE_MBYTES).  Allocation is first fit from the area base with
 * the kernel's alignment mask and base offset, on a bitmap with a summary
 * tree (bitmap.c) so that a search is O(log n) in the area size.  A failed
 * allocation prints the kernel's two lines: "__cma_alloc: NAME: alloc
 * failed, req-size: N pages, ret: -12" and the free-range dump, unless the
 * request is larger than the whole area (then cma_alloc gives up before
 * searching, silently) or __GFP_NOWARN is set.
 *
 * Left out: page migration (an area's pages are never lent to movable
 * allocations, so -EBUSY retries never happen), per-NUMA areas, dma-heaps,
 * debugfs.  Where the kernel oopses (an area outside RAM), the area is
 * refused with a clear message instead.
 */
#include "internal.h"
#include "bitmap.h"

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

/* cma_init_reserved_areas: the pages become a usable area, or are refused. */
void cma_activate_areas(struct dmapool_machine *m)
{
	for (size_t i = 0; i < m->n_cma; i++) {
		struct cma_area *c = m->cma[i];
		phys_addr_t start = c->base, end;
		bool in_ram = false;
		int zone_start = -1, zone_end = -1;
		/* an area that runs past the top (cma=SIZE@BASE wrapping) is
		 * no RAM: the "not inside RAM" refusal below */
		bool wraps = __builtin_add_overflow(c->base, c->count << m->prof.page_shift, &end);

		for (size_t b = 0; b < m->mb.memory.n && !wraps; b++) {
			const struct mb_region *r = &m->mb.memory.r[b];

			if (r->base <= start && r->base + r->size >= end)
				in_ram = true;
		}
		/* a range made of several adjacent memory regions is still RAM */
		if (!in_ram && !wraps) {
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
		c->bitmap = rbitmap_create(c->count);
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
			rbitmap_set(c->bitmap, first, last - first);
			klog(m, "libdmapool: CMA area %s overlaps no-map memory %#llx..%#llx: those pages are never allocated (Linux 6.12 oopses when it touches them)",
			     c->name, (unsigned long long)s0, (unsigned long long)e0 - 1);
		}
	}
}

/* cma_debug_show_areas(): "len@first+len@first...=> F free of T total
 * pages"; malloc'd (NULL on ENOMEM), built under the area lock. */
static char *cma_show_areas(struct cma_area *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	uint64_t i = 0, nfree = 0;
	bool first = true;

	if (!f)
		return NULL;
	while (i < c->count) {
		uint64_t s;

		while (i < c->count && rbitmap_test(c->bitmap, i))
			i++;
		if (i >= c->count)
			break;
		s = i;
		while (i < c->count && !rbitmap_test(c->bitmap, i))
			i++;
		fprintf(f, "%s%llu@%llu", first ? "" : "+", (unsigned long long)(i - s),
			(unsigned long long)s);
		first = false;
		nfree += i - s;
	}
	fprintf(f, "=> %llu free of %llu total pages", (unsigned long long)nfree,
		(unsigned long long)c->count);
	if (fclose(f)) {
		free(heap_adopt(buf));	/* libc's buffer: into the count, then out */
		return NULL;
	}
	return heap_adopt(buf);
}

phys_addr_t cma_alloc(struct dmapool_machine *m, struct cma_area *c,
		      uint64_t count, unsigned align, bool no_warn)
{
	uint64_t mask, offset, pfn_base, s;

	if (!c || !c->activated || !count)
		return PHYS_NONE;
	if (count > c->count)
		return PHYS_NONE;	/* bitmap_count > bitmap_maxno: no message */
	mask = (1ULL << align) - 1;
	pfn_base = c->base >> m->prof.page_shift;
	offset = pfn_base & mask;	/* the kernel aligns absolute pfns */
	pthread_mutex_lock(&c->lock);
	s = rbitmap_find_next_zero_area_off(c->bitmap, 0, count, mask, offset);
	if (s >= c->count || s + count > c->count) {
		char *dump = no_warn ? NULL : cma_show_areas(c);

		pthread_mutex_unlock(&c->lock);
		if (!no_warn) {
			klog(m, "cma: __cma_alloc: %s: alloc failed, req-size: %llu pages, ret: %d",
			     c->name, (unsigned long long)count, -ENOMEM);
			if (dump)
				klog(m, "cma: number of available pages: %s", dump);
		}
		free(dump);
		return PHYS_NONE;
	}
	rbitmap_set(c->bitmap, s, count);
	pthread_mutex_unlock(&c->lock);
	return (pfn_base + s) << m->prof.page_shift;
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
	rbitmap_clear(c->bitmap, pfn - base, count);
	pthread_mutex_unlock(&c->lock);
	return true;
}

uint64_t cma_used_pages(struct cma_area *c)
{
	uint64_t n;

	if (!c || !c->bitmap)
		return 0;
	pthread_mutex_lock(&c->lock);
	n = rbitmap_weight(c->bitmap);
	pthread_mutex_unlock(&c->lock);
	return n;
}

void cma_free_all(struct dmapool_machine *m)
{
	for (size_t i = 0; i < m->n_cma; i++) {
		pthread_mutex_destroy(&m->cma[i]->lock);
		rbitmap_destroy(m->cma[i]->bitmap);
		free(m->cma[i]->name);
		free(m->cma[i]);
	}
	m->n_cma = 0;
	m->default_cma = NULL;
}

/* ------------------------------------------------------------------ */
/* Allocation side: kernel/dma/contiguous.c */

struct cma_area *dev_get_cma_area(const struct device *dev)
{
	if (dev && dev->cma_area)
		return dev->cma_area;
	return dev ? dev->m->default_cma : NULL;
}

struct cma_area *cma_area_of(struct dmapool_machine *m, phys_addr_t pa)
{
	for (size_t i = 0; i < m->n_cma; i++) {
		struct cma_area *c = m->cma[i];

		if (pa >= c->base && pa < c->base + (c->count << m->prof.page_shift))
			return c;
	}
	return NULL;
}

/* cma_alloc_aligned(): align order min(get_order(size), CONFIG_CMA_ALIGNMENT) */
static unsigned cma_align_order(const struct dmapool_machine *m, uint64_t size)
{
	unsigned align = get_order_sz(m, size);

	return align > m->prof.cma_alignment ? m->prof.cma_alignment : align;
}

phys_addr_t dma_alloc_contiguous(struct device *dev, uint64_t size, unsigned gfp,
				 struct dmapool_decision *d,
				 struct cma_area **area)
{
	struct dmapool_machine *m = dev->m;
	struct cma_area *c;
	phys_addr_t pa;
	unsigned align;

	*area = NULL;
	if (!m->prof.cma) {
		dt_step(d, "cma", "dma_alloc_contiguous", "skip",
			"CONFIG_DMA_CMA is off in this profile");
		return PHYS_NONE;
	}
	if (!(gfp & __GFP_DIRECT_RECLAIM)) {
		dt_step(d, "cma", "dma_alloc_contiguous", "skip",
			"the call cannot block; CMA may migrate pages and sleep");
		return PHYS_NONE;
	}
	/*
	 * CMA sleeps (its mutex, page migration): the deferred atomic pool
	 * work gets to run first, as the oracle shows.
	 */
	atomic_pool_run_work(m);
	align = cma_align_order(m, size);
	if (dev->cma_area) {
		c = dev->cma_area;
		pa = cma_alloc(m, c, size >> m->prof.page_shift, align,
			       (gfp & __GFP_NOWARN) != 0);
		dt_step(d, "dev-cma", "cma_alloc", pa == PHYS_NONE ? "fail" : "ok",
			"device CMA area %s (any size): %llu pages aligned to 2^%u pages, first fit",
			c->name, (unsigned long long)(size >> m->prof.page_shift), align);
		if (pa != PHYS_NONE)
			*area = c;
		return pa;
	}
	dt_step(d, "dev-cma", "dma_alloc_contiguous", "no",
		"the device has no CMA area of its own (dev->cma_area)");
	if (size <= m->prof.page_size) {
		dt_step(d, "default-cma", "dma_alloc_contiguous", "skip",
			"%#llx bytes is one page or less: single pages never come from the shared area",
			(unsigned long long)size);
		return PHYS_NONE;
	}
	c = m->default_cma;
	if (!c || !c->activated) {
		dt_step(d, "default-cma", "dma_alloc_contiguous", "skip",
			"there is no default CMA area");
		return PHYS_NONE;
	}
	pa = cma_alloc(m, c, size >> m->prof.page_shift, align,
		       (gfp & __GFP_NOWARN) != 0);
	dt_step(d, "default-cma", "cma_alloc", pa == PHYS_NONE ? "fail" : "ok",
		"default CMA area %s: %llu pages aligned to 2^%u pages, first fit",
		c->name, (unsigned long long)(size >> m->prof.page_shift), align);
	if (pa != PHYS_NONE)
		*area = c;
	return pa;
}

void dma_free_contiguous(struct device *dev, phys_addr_t pa, uint64_t size)
{
	struct dmapool_machine *m = dev->m;
	uint64_t count = page_align(m, size) >> m->prof.page_shift;

	if (dev->cma_area) {
		if (cma_release(m, dev->cma_area, pa, count))
			return;
	} else if (cma_release(m, m->default_cma, pa, count)) {
		return;
	}
	buddy_free(m, pa, get_order_sz(m, size));
}

phys_addr_t dma_alloc_from_contiguous(struct dmapool_machine *m,
				      struct device *dev, uint64_t count,
				      unsigned align, bool no_warn)
{
	struct cma_area *c = dev ? dev_get_cma_area(dev) : m->default_cma;

	if (align > m->prof.cma_alignment)
		align = m->prof.cma_alignment;
	return cma_alloc(m, c, count, align, no_warn);
}
