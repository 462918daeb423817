/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * 32-bit ARM's own coherent allocator (models arch/arm/mm/dma-mapping.c,
 * profile "arm": CONFIG_ARCH_HAS_DMA_ALLOC).  dma-direct hands it every
 * allocation of a non-coherent device.  __dma_alloc picks, in order:
 *   1. a blocking call with a CMA area (the device's, else the default):
 *      the cma allocator, any size, aligned to get_order(size) capped at
 *      CONFIG_CMA_ALIGNMENT;
 *   2. a blocking call: the remap allocator (buddy pages, remapped);
 *   3. otherwise the ARM atomic pool (coherent_pool=, default 256 KiB),
 *      filled at boot from the default CMA area if there is one, else
 *      from GFP_DMA pages, first fit aligned to the request's order.
 * A mask below 4 GiB adds GFP_DMA.  Every buffer is kept in a list with
 * its allocator; freeing an unknown address prints "Freeing invalid
 * buffer".
 *
 * Left out: the remap allocator returns the tail pages of its power-of-two
 * block to the buddy in the kernel (split_page); here the whole block stays
 * allocated until the free.  The cma allocator changes the attributes of
 * the linear mapping in place (__dma_remap); here the CPU pointer is a
 * separate non-cacheable alias of the same pages.  The "coherent
 * allocation too big" check exists only with CONFIG_DMA_API_DEBUG.
 */
#include "internal.h"

enum arm_allocator { ARM_CMA, ARM_REMAP, ARM_POOL };

struct arm_buf {
	void *cpu;
	phys_addr_t pa;
	uint64_t size;
	unsigned order;
	enum arm_allocator alloc;
	struct cma_area *cma;
	struct arm_buf *next;
};

struct arm_dma_state {
	struct gen_pool *pool;		/* NULL: not initialised */
	void *pool_va;
	phys_addr_t pool_pa;
	uint64_t pool_size;
	bool pool_from_cma;
	unsigned pool_order;
	struct arm_buf *bufs;
	pthread_mutex_t lock;
};

int arm_dma_init(struct dmapool_machine *m)
{
	struct arm_dma_state *st;
	uint64_t size = m->bp.coherent_pool_set ? m->bp.coherent_pool :
			m->prof.arm_coherent_pool;
	unsigned order;
	phys_addr_t pa = PHYS_NONE;

	if (!m->prof.arch_dma_alloc)
		return 0;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	pthread_mutex_init(&st->lock, NULL);
	m->arm = st;
	/* atomic_pool_init (postcore_initcall) */
	order = get_order_sz(m, size);
	if (m->default_cma && m->default_cma->activated) {
		pa = dma_alloc_from_contiguous(m, NULL, page_align(m, size) >> m->prof.page_shift,
					       order, false);
		st->pool_from_cma = pa != PHYS_NONE;
	} else if (order <= m->prof.max_page_order) {
		pa = buddy_alloc(m, GFPI_DMA, order);
	}
	if (pa != PHYS_NONE) {
		st->pool = gen_pool_create_sim(m->prof.page_shift);
		st->pool_va = physmem_map_alias(m, pa, page_align(m, size),
						m->prof.dmacoherent_attr);
		if (!st->pool || !st->pool_va ||
		    gen_pool_add_sim(st->pool, st->pool_va, pa, page_align(m, size), NULL)) {
			gen_pool_destroy_sim(st->pool);
			st->pool = NULL;
			if (st->pool_va)
				physmem_unmap_alias(m, st->pool_va);
			st->pool_va = NULL;
		}
	}
	if (st->pool) {
		st->pool_pa = pa;
		st->pool_size = page_align(m, size);
		st->pool_order = order;
		klog(m, "DMA: preallocated %llu KiB pool for atomic coherent allocations",
		     (unsigned long long)(size >> 10));
	} else {
		if (pa != PHYS_NONE) {
			if (st->pool_from_cma)
				cma_release(m, m->default_cma, pa, page_align(m, size) >> m->prof.page_shift);
			else
				buddy_free(m, pa, order);
		}
		klog(m, "DMA: failed to allocate %llu KiB pool for atomic coherent allocation",
		     (unsigned long long)(size >> 10));
	}
	return 0;
}

void arm_dma_destroy(struct dmapool_machine *m)
{
	struct arm_dma_state *st = m->arm;

	if (!st)
		return;
	while (st->bufs) {
		struct arm_buf *b = st->bufs;

		st->bufs = b->next;
		if (b->alloc != ARM_POOL)
			physmem_unmap_alias(m, b->cpu);
		free(b);
	}
	if (st->pool_va)
		physmem_unmap_alias(m, st->pool_va);
	gen_pool_destroy_sim(st->pool);
	pthread_mutex_destroy(&st->lock);
	free(st);
	m->arm = NULL;
}

int arm_dma_pool_acct(struct dmapool_machine *m, size_t i, phys_addr_t *phys,
		      uint64_t *pages, uint64_t *weight, uint64_t *counted)
{
	struct arm_dma_state *st = m->arm;
	int rc;

	if (!st)
		return -ENOENT;
	pthread_mutex_lock(&st->lock);
	rc = gen_pool_chunk_acct_sim(st->pool, i, phys, pages, weight, counted);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

void *arch_dma_alloc(struct device *dev, uint64_t size, dma_addr_t *handle,
		     unsigned gfp, unsigned long attrs,
		     struct dmapool_decision *d)
{
	struct dmapool_machine *m = dev->m;
	struct arm_dma_state *st = m->arm;
	uint64_t mask = min_not_zero_u64(dev->coherent_dma_mask, dev->bus_dma_limit);
	bool blocking = (gfp & __GFP_DIRECT_RECLAIM) != 0;
	struct cma_area *cma = blocking ? dev_get_cma_area(dev) : NULL;
	enum dmapool_attr attr = dma_pgprot_attr(dev, attrs);
	struct arm_buf *b;
	const char *backend;
	phys_addr_t pa = PHYS_NONE;
	void *cpu = NULL;

	if (!st)
		return NULL;
	size = page_align(m, size);
	if (mask < 0xffffffffULL)
		gfp |= GFPI_DMA;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->size = size;
	b->order = get_order_sz(m, size);
	if (cma && cma->activated) {
		b->alloc = ARM_CMA;
		b->cma = cma;
		pa = dma_alloc_from_contiguous(m, dev, size >> m->prof.page_shift,
					       b->order, (gfp & __GFP_NOWARN) != 0);
		backend = cma == dev->cma_area ? "dev-cma" : "default-cma";
		dt_step(d, "arch", "__alloc_from_contiguous", pa == PHYS_NONE ? "fail" : "ok",
			"blocking call and a CMA area (%s): cma allocator", cma->name);
	} else if (blocking) {
		b->alloc = ARM_REMAP;
		pa = alloc_pages_i(m, gfp, b->order);
		backend = pa == PHYS_NONE ? "none" : buddy_backend_name(m, pa);
		dt_step(d, "arch", "__alloc_remap_buffer", pa == PHYS_NONE ? "fail" : "ok",
			"blocking call, no CMA area: buddy pages (%s), remapped",
			(gfp & GFPI_DMA) ? "GFP_DMA" : "any zone");
	} else {
		b->alloc = ARM_POOL;
		backend = "arch";
		if (!st->pool) {
			klog(m, "coherent pool not initialised!");
			dt_step(d, "arch", "__alloc_from_pool", "fail",
				"the ARM atomic pool does not exist");
		} else {
			pthread_mutex_lock(&st->lock);
			cpu = gen_pool_alloc_sim(st->pool, size, &pa);
			pthread_mutex_unlock(&st->lock);
			dt_step(d, "arch", "__alloc_from_pool", cpu ? "ok" : "full",
				"call cannot block: the ARM atomic pool (%llu KiB), first fit aligned to the request's order",
				(unsigned long long)(st->pool_size >> 10));
			if (!cpu)
				pa = PHYS_NONE;
			attr = m->prof.dmacoherent_attr;
		}
	}
	if (pa == PHYS_NONE) {
		free(b);
		return NULL;
	}
	if (!cpu) {
		arch_dma_prep_coherent_i(m, pa, size);
		cpu = physmem_map_alias(m, pa, size, attr);
		if (!cpu) {
			if (b->alloc == ARM_CMA)
				cma_release(m, b->cma, pa, size >> m->prof.page_shift);
			else
				buddy_free(m, pa, b->order);
			free(b);
			return NULL;
		}
	}
	memset(cpu, 0, size);
	b->cpu = cpu;
	b->pa = pa;
	pthread_mutex_lock(&st->lock);
	b->next = st->bufs;
	st->bufs = b;
	pthread_mutex_unlock(&st->lock);
	*handle = phys_to_dma(dev, pa);
	dt_result(d, backend, pa, *handle, cpu, attr);
	return cpu;
}

void arch_dma_free(struct device *dev, uint64_t size, void *cpu,
		   dma_addr_t handle, unsigned long attrs)
{
	struct dmapool_machine *m = dev->m;
	struct arm_dma_state *st = m->arm;
	struct arm_buf **pp, *b = NULL;

	(void)handle;
	(void)attrs;
	if (!st)
		return;
	pthread_mutex_lock(&st->lock);
	for (pp = &st->bufs; *pp; pp = &(*pp)->next)
		if ((*pp)->cpu == cpu) {
			b = *pp;
			*pp = b->next;
			break;
		}
	pthread_mutex_unlock(&st->lock);
	if (!b) {
		klog(m, "Freeing invalid buffer %p", cpu);
		return;
	}
	(void)size;
	switch (b->alloc) {
	case ARM_POOL:
		pthread_mutex_lock(&st->lock);
		gen_pool_free_sim(st->pool, cpu, b->size);
		pthread_mutex_unlock(&st->lock);
		break;
	case ARM_CMA:
		physmem_unmap_alias(m, cpu);
		cma_release(m, b->cma, b->pa, b->size >> m->prof.page_shift);
		break;
	case ARM_REMAP:
		physmem_unmap_alias(m, cpu);
		buddy_free(m, b->pa, b->order);
		break;
	}
	free(b);
}
