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
 * Allocation (dma_alloc_from_pool) tries the pool the gfp zone points at,
 * then the kernel's fallback chain; a chunk that the device cannot reach
 * goes back and the next pool is tried.  When a pool's free space drops
 * below its boot size, the kernel schedules atomic_pool_work, which
 * doubles every pool that is below that size.  On the real kernel the work
 * runs whenever the allocating task sleeps; here it runs at defined
 * points, the ones the oracle shows: when a blocking allocation reaches
 * CMA (which sleeps), between two probe devices, and when the program
 * calls dmapool_flush_work().  Each expansion logs a "libdmapool:" line.
 *
 * Left out: debugfs (pool_size_*), memory encryption (set_memory_decrypted).
 */
#include "internal.h"
#include "bitmap.h"

/* ------------------------------------------------------------------ */
/* gen_pool: PAGE_SIZE granules, first_fit_order_align on bitmap.c */

struct gp_chunk {
	void *vaddr;
	phys_addr_t phys;
	uint64_t pages;
	struct rbitmap *bitmap;	/* 1 = allocated (bitmap.c) */
	void *owner;
	struct gp_chunk *next;
};

struct gen_pool {
	unsigned page_shift;
	struct gp_chunk *chunks;	/* newest first */
};

struct gen_pool *gen_pool_create_sim(unsigned page_shift)
{
	struct gen_pool *gp = calloc(1, sizeof(*gp));

	if (gp)
		gp->page_shift = page_shift;
	return gp;
}

void gen_pool_destroy_sim(struct gen_pool *gp)
{
	if (!gp)
		return;
	while (gp->chunks) {
		struct gp_chunk *c = gp->chunks;

		gp->chunks = c->next;
		rbitmap_destroy(c->bitmap);
		free(c);
	}
	free(gp);
}

int gen_pool_add_sim(struct gen_pool *gp, void *vaddr, phys_addr_t phys,
		     uint64_t size, void *owner)
{
	struct gp_chunk *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->pages = size >> gp->page_shift;
	c->bitmap = rbitmap_create(c->pages);
	if (!c->bitmap) {
		free(c);
		return -ENOMEM;
	}
	c->vaddr = vaddr;
	c->phys = phys;
	c->owner = owner;
	c->next = gp->chunks;
	gp->chunks = c;
	return 0;
}

static uint64_t roundup_pow2(uint64_t x)
{
	uint64_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

void *gen_pool_alloc_sim(struct gen_pool *gp, uint64_t size, phys_addr_t *phys)
{
	uint64_t nr = (size + (1ULL << gp->page_shift) - 1) >> gp->page_shift;

	if (!size)
		return NULL;
	for (struct gp_chunk *c = gp->chunks; c; c = c->next) {
		uint64_t s;

		if (nr > c->pages - rbitmap_weight(c->bitmap))
			continue;
		/* gen_pool_first_fit_order_align */
		s = rbitmap_find_next_zero_area_off(c->bitmap, 0, nr,
						    roundup_pow2(nr) - 1, 0);
		if (s >= c->pages || nr > c->pages - s)
			continue;
		rbitmap_set(c->bitmap, s, nr);
		*phys = c->phys + (s << gp->page_shift);
		return (uint8_t *)c->vaddr + (s << gp->page_shift);
	}
	return NULL;
}

static struct gp_chunk *gp_chunk_of(struct gen_pool *gp, const void *vaddr,
				    uint64_t size)
{
	const uint8_t *p = vaddr;

	for (struct gp_chunk *c = gp->chunks; c; c = c->next) {
		const uint8_t *b = c->vaddr;

		if (p >= b && p + size <= b + (c->pages << gp->page_shift) &&
		    p + size >= p)
			return c;
	}
	return NULL;
}

bool gen_pool_has_addr_sim(struct gen_pool *gp, const void *vaddr, uint64_t size)
{
	return gp && gp_chunk_of(gp, vaddr, size) != NULL;
}

void gen_pool_free_sim(struct gen_pool *gp, const void *vaddr, uint64_t size)
{
	struct gp_chunk *c = gp_chunk_of(gp, vaddr, size);
	uint64_t nr = (size + (1ULL << gp->page_shift) - 1) >> gp->page_shift;
	uint64_t s;

	if (!c)
		return;
	s = (uint64_t)((const uint8_t *)vaddr - (const uint8_t *)c->vaddr) >> gp->page_shift;
	rbitmap_clear(c->bitmap, s, nr);
}

uint64_t gen_pool_avail_sim(const struct gen_pool *gp)
{
	uint64_t n = 0;

	for (const struct gp_chunk *c = gp ? gp->chunks : NULL; c; c = c->next)
		n += c->pages - rbitmap_weight(c->bitmap);
	return gp ? n << gp->page_shift : 0;
}

uint64_t gen_pool_size_sim(const struct gen_pool *gp)
{
	uint64_t n = 0;

	for (const struct gp_chunk *c = gp ? gp->chunks : NULL; c; c = c->next)
		n += c->pages;
	return gp ? n << gp->page_shift : 0;
}

int gen_pool_chunk_acct_sim(const struct gen_pool *gp, size_t i,
			    phys_addr_t *phys, uint64_t *pages, uint64_t *weight,
			    uint64_t *counted)
{
	const struct rbitmap *bm;
	int err = gen_pool_chunk_bitmap_sim(gp, i, phys, pages, &bm);

	if (err)
		return err;
	*weight = rbitmap_weight(bm);
	*counted = rbitmap_count(bm);
	return 0;
}

int gen_pool_chunk_bitmap_sim(const struct gen_pool *gp, size_t i,
			      phys_addr_t *phys, uint64_t *pages,
			      const struct rbitmap **bm)
{
	const struct gp_chunk *c = gp ? gp->chunks : NULL;

	while (c && i--)
		c = c->next;
	if (!c)
		return -ENOENT;
	*phys = c->phys;
	*pages = c->pages;
	*bm = c->bitmap;
	return 0;
}

void gen_pool_for_each_chunk(struct gen_pool *gp,
			     void (*fn)(void *ctx, void *vaddr, phys_addr_t phys,
					uint64_t size, void *owner),
			     void *ctx)
{
	for (struct gp_chunk *c = gp ? gp->chunks : NULL; c; c = c->next)
		fn(ctx, c->vaddr, c->phys, c->pages << gp->page_shift, c->owner);
}

/* ------------------------------------------------------------------ */
/* The atomic pools */

struct pool_chunk {		/* owner record of one gen_pool chunk */
	phys_addr_t phys;
	uint64_t size;
	void *vaddr;		/* WC alias (pgprot_dmacoherent) */
	bool from_cma;
};

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
	unsigned order = get_order_sz(m, size);
	phys_addr_t pa = PHYS_NONE;
	bool from_cma = false;
	struct pool_chunk *c;

	if (order > m->prof.max_page_order)
		order = m->prof.max_page_order;
	for (;;) {
		if (cma_in_zone(m, p->gfp_zone)) {
			pa = dma_alloc_from_contiguous(m, NULL, 1ULL << order, order, true);
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
	arch_dma_prep_coherent_i(m, pa, c->size);
	c->vaddr = physmem_map_alias(m, pa, c->size, m->prof.dmacoherent_attr);
	if (!c->vaddr)
		goto undo;
	if (gen_pool_add_sim(p->gp, c->vaddr, pa, c->size, c) < 0) {
		physmem_unmap_alias(m, c->vaddr);
		goto undo;
	}
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
	static const struct {
		const char *name, *backend;
		unsigned gfp;
	} defs[3] = {
		{ "GFP_KERNEL", "atomic-kernel", 0 },
		{ "GFP_KERNEL|GFP_DMA", "atomic-dma", GFPI_DMA },
		{ "GFP_KERNEL|GFP_DMA32", "atomic-dma32", GFPI_DMA32 },
	};

	if (!m->prof.dma_direct_remap)
		return 0;
	/* coherent_pool=0 leaves atomic_pool_size 0: the default, as unset */
	if (m->bp.coherent_pool_set && m->bp.coherent_pool) {
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
		p->backend = defs[i].backend;
		p->gfp_zone = defs[i].gfp;
		if (i == 1 && (!m->prof.zone_dma || !has_managed_pages(m, ZONE_DMA)))
			continue;
		if (i == 2 && !m->prof.zone_dma32)
			continue;
		p->gp = gen_pool_create_sim(m->prof.page_shift);
		if (!p->gp)
			return -ENOMEM;
		if (atomic_pool_expand(m, p, m->atomic_pool_size) < 0) {
			klog(m, "DMA: failed to allocate %llu KiB %s pool for atomic allocation",
			     (unsigned long long)(m->atomic_pool_size >> 10), p->gfp_name);
			gen_pool_destroy_sim(p->gp);
			p->gp = NULL;
			continue;
		}
		p->present = true;
		klog(m, "DMA: preallocated %llu KiB %s pool for atomic allocations",
		     (unsigned long long)(gen_pool_size_sim(p->gp) >> 10), p->gfp_name);
	}
	return 0;
}

static void drop_chunk(void *ctx, void *vaddr, phys_addr_t phys, uint64_t size,
		       void *owner)
{
	struct dmapool_machine *m = ctx;

	(void)phys;
	(void)size;
	physmem_unmap_alias(m, vaddr);
	free(owner);
}

void dma_atomic_pool_destroy(struct dmapool_machine *m)
{
	for (int i = 0; i < 3; i++) {
		struct atomic_pool *p = &m->atomic[i];

		if (!p->gp)
			continue;
		gen_pool_for_each_chunk(p->gp, drop_chunk, m);
		gen_pool_destroy_sim(p->gp);
		p->gp = NULL;
		p->present = false;
	}
}

static struct atomic_pool *pool_kernel(struct dmapool_machine *m)
{
	return m->atomic[0].present ? &m->atomic[0] : NULL;
}

static struct atomic_pool *pool_dma(struct dmapool_machine *m)
{
	return m->atomic[1].present ? &m->atomic[1] : NULL;
}

static struct atomic_pool *pool_dma32(struct dmapool_machine *m)
{
	return m->atomic[2].present ? &m->atomic[2] : NULL;
}

/* dma_guess_pool(prev, gfp) */
static struct atomic_pool *guess_pool(struct dmapool_machine *m,
				      struct atomic_pool *prev, unsigned gfp)
{
	if (!prev) {
		if (m->prof.zone_dma32 && (gfp & GFPI_DMA32))
			return pool_dma32(m);
		if (pool_dma(m) && (gfp & GFPI_DMA))
			return pool_dma(m);
		return pool_kernel(m);
	}
	if (prev == pool_kernel(m))
		return pool_dma32(m) ? pool_dma32(m) : pool_dma(m);
	if (prev == pool_dma32(m))
		return pool_dma(m);
	return NULL;
}

phys_addr_t dma_alloc_from_pool(struct device *dev, uint64_t size, void **cpu,
				unsigned gfp, struct dmapool_decision *d)
{
	struct dmapool_machine *m = dev->m;
	struct atomic_pool *p = NULL;

	while ((p = guess_pool(m, p, gfp))) {
		phys_addr_t pa;
		void *va;

		pthread_mutex_lock(&m->pool_lock);
		/* dmapool_fail_atomic_pool(): every pool acts full */
		va = __atomic_load_n(&m->fail_atomic, __ATOMIC_RELAXED) ? NULL :
			gen_pool_alloc_sim(p->gp, size, &pa);
		pthread_mutex_unlock(&m->pool_lock);
		if (!va) {
			dt_step(d, p->backend, "dma_alloc_from_pool", "full",
				"%s pool: no free run of %#llx bytes at a multiple of its power-of-two size (%llu of %llu KiB free)",
				p->gfp_name, (unsigned long long)size,
				(unsigned long long)(gen_pool_avail_sim(p->gp) >> 10),
				(unsigned long long)(gen_pool_size_sim(p->gp) >> 10));
			continue;
		}
		/* dma-iommu passes no address check: the IOMMU maps it */
		if (!use_dma_iommu(dev) && !dma_coherent_ok(dev, pa, size)) {
			pthread_mutex_lock(&m->pool_lock);
			gen_pool_free_sim(p->gp, va, size);
			pthread_mutex_unlock(&m->pool_lock);
			dt_step(d, p->backend, "dma_coherent_ok", "no: given back",
				"%s pool chunk at %#llx within the device's reach",
				p->gfp_name, (unsigned long long)pa);
			continue;
		}
		pthread_mutex_lock(&m->pool_lock);
		if (gen_pool_avail_sim(p->gp) < m->atomic_pool_size)
			m->atomic_work_pending = true;
		pthread_mutex_unlock(&m->pool_lock);
		memset(va, 0, size);
		dt_step(d, p->backend, "dma_alloc_from_pool", "ok",
			"%s pool: first fit, aligned to the request's power-of-two size",
			p->gfp_name);
		dt_result(d, p->backend, pa, phys_to_dma(dev, pa), va,
			  m->prof.dmacoherent_attr);
		*cpu = va;
		return pa;
	}
	/* WARN(!(gfp & __GFP_NOWARN), ...) on every failure; with no pool at
	 * all the kernel says "Failed to get suitable pool" instead */
	if (!guess_pool(m, NULL, gfp)) {
		klog(m, "Failed to get suitable pool for %s", dev->name);
	} else if (!(gfp & __GFP_NOWARN)) {
		klog(m, "DMA pool exhausted for %s", dev->name);
		klog(m, "WARNING: CPU: 0 PID: 1 at kernel/dma/pool.c:282 dma_alloc_from_pool+0x1e8/0x200");
	}
	dt_step(d, "atomic", "dma_alloc_from_pool", "fail",
		"no atomic pool in the fallback chain could serve %#llx bytes",
		(unsigned long long)size);
	return PHYS_NONE;
}

bool dma_free_from_pool(struct device *dev, void *cpu, uint64_t size)
{
	struct dmapool_machine *m = dev->m;
	struct atomic_pool *p = NULL;
	bool done = false;

	pthread_mutex_lock(&m->pool_lock);
	while ((p = guess_pool(m, p, 0))) {
		if (!gen_pool_has_addr_sim(p->gp, cpu, size))
			continue;
		gen_pool_free_sim(p->gp, cpu, size);
		done = true;
		break;
	}
	pthread_mutex_unlock(&m->pool_lock);
	return done;
}

bool dma_in_atomic_pool(struct dmapool_machine *m, const void *cpu)
{
	bool in = false;

	pthread_mutex_lock(&m->pool_lock);
	for (int i = 0; i < 3 && !in; i++)
		in = m->atomic[i].gp && gen_pool_has_addr_sim(m->atomic[i].gp, cpu, 1);
	pthread_mutex_unlock(&m->pool_lock);
	return in;
}

DMAPOOL_API void dmapool_flush_work(struct dmapool_machine *m)
{
	if (m)
		atomic_pool_run_work(m);
}

/* atomic_pool_work_fn: DMA, then DMA32, then the kernel pool. */
void atomic_pool_run_work(struct dmapool_machine *m)
{
	static const int order[3] = { 1, 2, 0 };
	uint64_t before[3] = { 0 }, after[3] = { 0 };

	pthread_mutex_lock(&m->pool_lock);
	if (!m->atomic_work_pending) {
		pthread_mutex_unlock(&m->pool_lock);
		return;
	}
	m->atomic_work_pending = false;
	for (int k = 0; k < 3; k++) {
		struct atomic_pool *p = &m->atomic[order[k]];

		if (!p->present || gen_pool_avail_sim(p->gp) >= m->atomic_pool_size)
			continue;
		before[k] = gen_pool_size_sim(p->gp);
		if (atomic_pool_expand(m, p, before[k]) == 0) {
			p->grown++;
			after[k] = gen_pool_size_sim(p->gp);
		}
	}
	pthread_mutex_unlock(&m->pool_lock);
	/* the kernel is silent; the note goes out with no lock held */
	for (int k = 0; k < 3; k++)
		if (after[k])
			klog(m, "libdmapool: atomic pool %s grown by %llu KiB to %llu KiB (atomic_pool_work)",
			     m->atomic[order[k]].gfp_name,
			     (unsigned long long)((after[k] - before[k]) >> 10),
			     (unsigned long long)(after[k] >> 10));
}
