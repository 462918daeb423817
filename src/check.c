/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * check.c — dmapool_machine_check(): the pools' accounting, checked
 * (no kernel twin: this is the library's own consistency check, for
 * tests and fuzzers).
 *
 * Wherever a module keeps a count beside the structure it counts, the two
 * must agree, so that free + used == total holds for every pool:
 *
 *   per-device, declared and global coherent pools   bitmap weight vs its bits
 *   CMA areas                                        use count (bitmap weight) vs its bits
 *   atomic pools and the ARM atomic pool             each gen_pool chunk's weight vs its bits
 *   SWIOTLB pools (default and restricted)           each area's used count vs the free mask
 *   buddy allocator                                  nr_free vs the per-order counts vs the maps
 *   dma_pools                                        free list length + nr_active == blocks,
 *                                                    and the in-use bits == nr_active
 *   DMA-API debugging                                each device's entry count vs its tree
 *                                                    (with its pending list) and its hash;
 *                                                    the active-cacheline count vs the
 *                                                    table's occupied slots; the free-entry
 *                                                    count vs the free list's length
 *
 * Each structure is read under its own lock, one at a time (the dma_pool
 * list lock is held over each pool's lock), so the check can run while
 * other threads allocate and free; it does not stop the machine, so two
 * structures are not compared with each other.  It must not race with
 * what creates or frees pools: a load, dmapool_machine_destroy(),
 * dma_declare_coherent_memory() / dma_release_coherent_memory(), the
 * first attach of a reserved-memory region, dma_pool_destroy() or
 * dmapool_device_release().
 *
 * Left out: what is stored once only (memblock, the slab caches, the
 * IOMMU's page tables and IOVA trees, the cache model), the summary
 * trees of the bitmaps and of the SWIOTLB (derived again on every
 * update) and cross-checks between allocators (a page that two of them
 * both think they own).
 */
#include "internal.h"
#include "bitmap.h"

struct ck {
	char *why;
	size_t len;
	int err;
};

static int fail(struct ck *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct ck *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err)
		return c->err;
	c->err = -EUCLEAN;
	if (c->why && c->len) {
		va_start(ap, fmt);
		vsnprintf(c->why, c->len, fmt, ap);
		va_end(ap);
	}
	return c->err;
}

/* A bitmap-backed pool: weight (used, kept) against its bits (counted). */
static int bitmap_pool(struct ck *c, const char *what, uint64_t total,
		       uint64_t bits, uint64_t weight, uint64_t counted)
{
	if (bits != total)
		return fail(c, "%s: bitmap of %llu bits for %llu pages", what,
			    (unsigned long long)bits, (unsigned long long)total);
	if (weight != counted || weight > total)
		return fail(c, "%s: free %llu + used %llu != total %llu pages (the bitmap has %llu bits set)",
			    what, (unsigned long long)(total - counted),
			    (unsigned long long)weight, (unsigned long long)total,
			    (unsigned long long)counted);
	return 0;
}

static int coherent_pool(struct ck *c, struct dma_coherent_mem *mem,
			 const char *kind, const char *name)
{
	uint64_t pages, bits, weight, counted;
	char what[160];

	dma_coherent_mem_acct(mem, &pages, &bits, &weight, &counted);
	snprintf(what, sizeof(what), "%s %s", kind, name);
	return bitmap_pool(c, what, pages, bits, weight, counted);
}

static int check_coherent(struct ck *c, struct dmapool_machine *m)
{
	for (size_t i = 0; i < m->n_rmem && !c->err; i++) {
		struct reserved_mem *r = &m->rmem[i];

		if ((r->kind == RMEM_DMA_POOL || r->kind == RMEM_GLOBAL_POOL) && r->priv)
			coherent_pool(c, r->priv, "coherent pool", r->name);
	}
	if (m->global_pool && !c->err)
		coherent_pool(c, m->global_pool, "coherent pool", "linux,dma-default (global)");
	/* pools a device declared itself (dma_declare_coherent_memory) */
	for (size_t i = 0; i < m->n_devs && !c->err; i++) {
		struct device *dev = m->devs[i];
		struct dma_coherent_mem *mem = dev->dma_mem;
		bool shared = mem == m->global_pool;

		for (size_t j = 0; j < m->n_rmem && mem && !shared; j++)
			shared = m->rmem[j].priv == mem;
		if (mem && !shared)
			coherent_pool(c, mem, "declared coherent pool of", dev->name);
	}
	return c->err;
}

static int check_cma(struct ck *c, struct dmapool_machine *m)
{
	for (size_t i = 0; i < m->n_cma && !c->err; i++) {
		struct cma_area *a = m->cma[i];
		uint64_t bits, weight, counted;
		char what[160];

		if (!a->activated || !a->bitmap)
			continue;
		pthread_mutex_lock(&a->lock);
		bits = rbitmap_size(a->bitmap);
		weight = rbitmap_weight(a->bitmap);
		counted = rbitmap_count(a->bitmap);
		pthread_mutex_unlock(&a->lock);
		snprintf(what, sizeof(what), "CMA area %s", a->name);
		bitmap_pool(c, what, a->count, bits, weight, counted);
	}
	return c->err;
}

static int gen_pool_chunks(struct ck *c, const char *pool,
			   int (*acct)(void *ctx, size_t i, phys_addr_t *phys,
				       uint64_t *pages, uint64_t *weight,
				       uint64_t *counted),
			   void *ctx)
{
	phys_addr_t phys;
	uint64_t pages, weight, counted;

	for (size_t i = 0; !c->err && acct(ctx, i, &phys, &pages, &weight, &counted) == 0; i++) {
		char what[160];

		snprintf(what, sizeof(what), "%s, chunk at %#llx", pool,
			 (unsigned long long)phys);
		bitmap_pool(c, what, pages, pages, weight, counted);
	}
	return c->err;
}

struct atomic_ctx {
	struct dmapool_machine *m;
	struct gen_pool *gp;
};

static int atomic_acct(void *ctx, size_t i, phys_addr_t *phys, uint64_t *pages,
		       uint64_t *weight, uint64_t *counted)
{
	struct atomic_ctx *a = ctx;
	int rc;

	pthread_mutex_lock(&a->m->pool_lock);
	rc = gen_pool_chunk_acct_sim(a->gp, i, phys, pages, weight, counted);
	pthread_mutex_unlock(&a->m->pool_lock);
	return rc;
}

static int arm_acct(void *ctx, size_t i, phys_addr_t *phys, uint64_t *pages,
		    uint64_t *weight, uint64_t *counted)
{
	return arm_dma_pool_acct(ctx, i, phys, pages, weight, counted);
}

static int check_atomic(struct ck *c, struct dmapool_machine *m)
{
	for (int i = 0; i < 3 && !c->err; i++) {
		struct atomic_ctx a = { m, m->atomic[i].gp };
		char what[96];

		if (!a.gp)
			continue;
		snprintf(what, sizeof(what), "atomic pool %s", m->atomic[i].gfp_name);
		gen_pool_chunks(c, what, atomic_acct, &a);
	}
	if (m->arm && !c->err)
		gen_pool_chunks(c, "ARM atomic pool", arm_acct, m);
	return c->err;
}

/* Free slots among [lo, hi) of a pool, from its per-segment free masks. */
static uint64_t swiotlb_free_slots(const struct io_tlb_pool *p, uint64_t lo,
				   uint64_t hi)
{
	uint64_t n = 0;

	while (lo < hi) {
		uint64_t g = lo / IO_TLB_SEGSIZE, off = lo % IO_TLB_SEGSIZE;
		uint64_t k = IO_TLB_SEGSIZE - off < hi - lo ? IO_TLB_SEGSIZE - off : hi - lo;
		unsigned __int128 mask = k >= 128 ? ~(unsigned __int128)0 :
			(((unsigned __int128)1 << k) - 1);
		unsigned __int128 v = (p->freemap[g] >> off) & mask;

		n += (uint64_t)__builtin_popcountll((uint64_t)v) +
		     (uint64_t)__builtin_popcountll((uint64_t)(v >> 64));
		lo += k;
	}
	return n;
}

static int swiotlb_pool(struct ck *c, struct io_tlb_pool *p, const char *name)
{
	if (!p->ready)
		return 0;
	pthread_mutex_lock(&p->lock);
	for (unsigned a = 0; a < p->nareas; a++) {
		uint64_t lo = (uint64_t)a * p->area_nslabs;
		uint64_t nfree = swiotlb_free_slots(p, lo, lo + p->area_nslabs);
		uint64_t used = p->areas[a].used;

		if (nfree + used != p->area_nslabs) {
			pthread_mutex_unlock(&p->lock);
			return fail(c, "SWIOTLB pool %s, area %u: free %llu + used %llu != total %llu slots",
				    name, a, (unsigned long long)nfree,
				    (unsigned long long)used,
				    (unsigned long long)p->area_nslabs);
		}
	}
	{
		char why[160];

		if (swiotlb_check(p, why, sizeof(why))) {
			pthread_mutex_unlock(&p->lock);
			return fail(c, "SWIOTLB pool %s: %s", name, why);
		}
	}
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static int check_swiotlb(struct ck *c, struct dmapool_machine *m)
{
	if (m->swiotlb.present)
		swiotlb_pool(c, &m->swiotlb, "default");
	for (size_t i = 0; i < m->n_rmem && !c->err; i++) {
		struct reserved_mem *r = &m->rmem[i];

		if (r->kind == RMEM_RESTRICTED && r->priv)
			swiotlb_pool(c, r->priv, r->name);
	}
	return c->err;
}

static int check_buddy(struct ck *c, struct dmapool_machine *m)
{
	for (int z = 0; z < MAX_NR_ZONES && !c->err; z++) {
		uint64_t nr_free, by_blocks, by_maps;
		char ord[48] = "";
		int bad;

		if (buddy_core_acct(m->buddy, (enum zone_type)z, &nr_free,
				    &by_blocks, &by_maps, &bad))
			continue;
		if (nr_free == by_blocks && by_blocks == by_maps && bad < 0)
			continue;
		if (bad >= 0)
			snprintf(ord, sizeof(ord), "; order %d's count and map disagree", bad);
		fail(c, "buddy allocator, zone %s: %llu free pages counted, the free lists' block counts add up to %llu, their maps to %llu%s",
		     zone_names[z], (unsigned long long)nr_free,
		     (unsigned long long)by_blocks, (unsigned long long)by_maps, ord);
	}
	return c->err;
}

struct pool_ctx {
	struct ck *c;
	struct device *dev;
};

static void one_dma_pool(void *ctx, const char *name, size_t blocks,
			 size_t active, size_t listed, size_t marked)
{
	struct pool_ctx *pc = ctx;

	if (listed + active != blocks || marked != active)
		fail(pc->c, "dma_pool %s of %s: free %zu%s + used %zu != total %zu blocks (%zu marked in use)",
		     name, pc->dev->name, listed, listed > blocks ? " (a cycle)" : "",
		     active, blocks, marked);
}

static int check_dma_pools(struct ck *c, struct dmapool_machine *m)
{
	for (size_t i = 0; i < m->n_devs && !c->err; i++) {
		struct pool_ctx pc = { c, m->devs[i] };

		dma_pool_acct_each(m->devs[i], one_dma_pool, &pc);
	}
	return c->err;
}

static int check_debug(struct ck *c, struct dmapool_machine *m)
{
	size_t kept, counted;

	for (size_t i = 0; i < m->n_devs && !c->err; i++) {
		size_t tree, hash;

		debug_acct(m->devs[i], &kept, &tree, &hash);
		if (kept != tree || kept != hash)
			fail(c, "DMA-API debug entries of %s: %zu counted, %zu in the tree, %zu in the hash",
			     m->devs[i]->name, kept, tree, hash);
	}
	if (c->err)
		return c->err;
	debug_cln_acct(m, &kept, &counted);
	if (kept != counted)
		fail(c, "DMA-API debug active-cacheline table: %zu lines counted, %zu slots in use",
		     kept, counted);
	if (c->err)
		return c->err;
	debug_free_acct(m, &kept, &counted);
	if (kept != counted)
		fail(c, "DMA-API debug free entries: %zu counted, %zu on the free list",
		     kept, counted);
	return c->err;
}

DMAPOOL_API int dmapool_machine_check(struct dmapool_machine *m, char *why,
				      size_t len)
{
	struct ck c = { why, len, 0 };

	if (why && len)
		why[0] = 0;
	if (!m)
		return -EINVAL;
	if (check_coherent(&c, m) || check_cma(&c, m) || check_atomic(&c, m) ||
	    check_swiotlb(&c, m) || check_buddy(&c, m) ||
	    check_dma_pools(&c, m) || check_debug(&c, m))
		return c.err;
	return 0;
}
