/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Atomic pools (models kernel/dma/pool.c and the gen_pool parts of
 * lib/genalloc.c it uses).
 *
 * Three pools — GFP_KERNEL, GFP_KERNEL|GFP_DMA, GFP_KERNEL|GFP_DMA32 —
 * serve non-blocking allocations that need a remapped (non-cacheable)
 * buffer.  Each is sized by coherent_pool= or 128 KiB per GiB of managed
 * RAM (at least 128 KiB, at most MAX_PAGE_ORDER pages), rounded up to a
 * power of two by the page order used to fill it, and filled from the
 * default CMA area when that area lies in the pool's zone (as 6.12 does),
 * else from the buddy allocator, halving the order on failure.
 *
 * Left out here: allocation from the pools and background growth (they
 * come with the coherent-allocation decision tree).
 */
#include "internal.h"

struct pool_chunk {
	phys_addr_t phys;
	uint64_t size;
	void *vaddr;		/* WC alias (pgprot_dmacoherent) */
	bool from_cma;
	struct pool_chunk *next;
};

static unsigned get_order_bytes(const struct dmapool_machine *m, uint64_t size)
{
	unsigned order = 0;

	while ((m->prof.page_size << order) < size)
		order++;
	return order;
}

/* cma_in_zone */
static bool cma_in_zone(struct dmapool_machine *m, unsigned gfp_zone)
{
	struct cma_area *c = m->default_cma;
	phys_addr_t end;

	if (!c || !c->count || !c->activated)
		return false;
	end = c->base + (c->count << m->prof.page_shift) - 1;
	if (m->prof.zone_dma && (gfp_zone & GFPI_DMA))
		return end <= m->zone_dma_limit;
	if (m->prof.zone_dma32 && (gfp_zone & GFPI_DMA32))
		return end <= 0xffffffffULL;
	return true;
}

/* atomic_pool_expand */
static int atomic_pool_expand(struct dmapool_machine *m, struct atomic_pool *p,
			      uint64_t size)
{
	unsigned order = get_order_bytes(m, size);
	phys_addr_t pa = PHYS_NONE;
	bool from_cma = false;
	struct pool_chunk *c;

	if (order > m->prof.max_page_order)
		order = m->prof.max_page_order;
	for (;;) {
		if (cma_in_zone(m, p->gfp_zone)) {
			pa = cma_alloc(m, m->default_cma, 1ULL << order, order, true);
			from_cma = pa != PHYS_NONE;
		}
		if (pa == PHYS_NONE)
			pa = buddy_alloc(m, p->gfp_zone, order);
		if (pa != PHYS_NONE || !order)
			break;
		order--;
	}
	if (pa == PHYS_NONE)
		return -ENOMEM;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto undo;
	c->phys = pa;
	c->size = m->prof.page_size << order;
	c->from_cma = from_cma;
	c->vaddr = physmem_map_alias(m, pa, c->size, DMAPOOL_ATTR_WC);
	if (!c->vaddr)
		goto undo;
	c->next = p->chunks;
	p->chunks = c;
	p->size += c->size;
	return 0;
undo:
	free(c);
	if (from_cma)
		cma_release(m, m->default_cma, pa, 1ULL << order);
	else
		buddy_free(m, pa, order);
	return -ENOMEM;
}

static bool has_managed_pages(struct dmapool_machine *m, enum zone_type z)
{
	return m->zones[z].present && buddy_free_pages(m, z) > 0;
}

int dma_atomic_pool_init(struct dmapool_machine *m)
{
	static const struct { const char *name; unsigned gfp; } defs[3] = {
		{ "GFP_KERNEL", 0 },
		{ "GFP_KERNEL|GFP_DMA", GFPI_DMA },
		{ "GFP_KERNEL|GFP_DMA32", GFPI_DMA32 },
	};

	if (!m->prof.dma_direct_remap)
		return 0;
	if (m->bp.coherent_pool_set) {
		m->atomic_pool_size = m->bp.coherent_pool;
	} else {
		uint64_t pages = m->totalram_pages / (SZ_1G / (128 * SZ_1K));
		uint64_t maxp = 1ULL << m->prof.max_page_order;

		if (pages > maxp)
			pages = maxp;
		m->atomic_pool_size = pages << m->prof.page_shift;
		if (m->atomic_pool_size < m->prof.atomic_pool_min_kib * SZ_1K)
			m->atomic_pool_size = m->prof.atomic_pool_min_kib * SZ_1K;
	}
	for (int i = 0; i < 3; i++) {
		struct atomic_pool *p = &m->atomic[i];

		p->gfp_name = defs[i].name;
		p->gfp_zone = defs[i].gfp;
		if (i == 1 && (!m->prof.zone_dma || !has_managed_pages(m, ZONE_DMA)))
			continue;
		if (i == 2 && !m->prof.zone_dma32)
			continue;
		p->present = true;
		if (atomic_pool_expand(m, p, m->atomic_pool_size) < 0) {
			klog(m, "DMA: failed to allocate %llu KiB %s pool for atomic allocation",
			     (unsigned long long)(m->atomic_pool_size >> 10), p->gfp_name);
			continue;
		}
		klog(m, "DMA: preallocated %llu KiB %s pool for atomic allocations",
		     (unsigned long long)(p->size >> 10), p->gfp_name);
	}
	return 0;
}

void dma_atomic_pool_destroy(struct dmapool_machine *m)
{
	for (int i = 0; i < 3; i++) {
		struct pool_chunk *c = m->atomic[i].chunks;

		while (c) {
			struct pool_chunk *next = c->next;
			physmem_unmap_alias(m, c->vaddr);
			free(c);
			c = next;
		}
		m->atomic[i].chunks = NULL;
	}
}
