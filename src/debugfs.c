/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * debugfs.c — dmapool_region_usage(): the memory map with what is in use,
 * as the kernel's debugfs and sysfs views show it: /proc/iomem (System
 * RAM, Kernel code, reserved regions), /sys/kernel/debug/cma/<area>/bitmap
 * and used, /sys/kernel/debug/swiotlb/io_tlb_used (and the restricted
 * pools' own directories), the coherent pools' bitmaps, the atomic pools'
 * gen_pool chunks (pool_size_*) and /proc/zoneinfo's free pages.
 *
 * Each structure is read under its own lock, one at a time, as check.c
 * does; the result is packed into one block the caller frees.
 *
 * Left out: the ARM atomic pool of the "arm" profile, dma_pools (their
 * blocks live inside coherent allocations; dmapool_pool_stats() has their
 * counters), slab and per-page buddy detail (zones are totals), IOMMU
 * page tables and IOVA space.
 */
#include "internal.h"
#include "bitmap.h"

struct ent {
	struct dmapool_region_usage u;
	struct dmapool_usage_run *runs;
	size_t nruns, cap;
	const char **devs;
	size_t ndevs;
};

struct acc {
	struct ent *e;
	size_t n, cap;
	bool oom;
};

static struct ent *add(struct acc *a, const char *name, const char *kind,
		       uint64_t base, uint64_t size)
{
	struct ent *e;

	if (a->oom)
		return NULL;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		struct ent *ne = realloc(a->e, cap * sizeof(*ne));

		if (!ne) {
			a->oom = true;
			return NULL;
		}
		a->e = ne;
		a->cap = cap;
	}
	e = &a->e[a->n++];
	memset(e, 0, sizeof(*e));
	e->u.name = name;
	e->u.kind = kind;
	e->u.base = base;
	e->u.size = size;
	return e;
}

static void add_run(struct acc *a, struct ent *e, uint64_t start, uint64_t size)
{
	if (!e || a->oom || !size)
		return;
	e->u.used += size;
	/* merge with the previous run when contiguous */
	if (e->nruns && e->runs[e->nruns - 1].start + e->runs[e->nruns - 1].size == start) {
		e->runs[e->nruns - 1].size += size;
		return;
	}
	if (e->nruns == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 8;
		struct dmapool_usage_run *nr = realloc(e->runs, cap * sizeof(*nr));

		if (!nr) {
			a->oom = true;
			return;
		}
		e->runs = nr;
		e->cap = cap;
	}
	e->runs[e->nruns].start = start;
	e->runs[e->nruns].size = size;
	e->nruns++;
}

/* The set runs of a page bitmap starting at base. */
static void bitmap_runs(struct acc *a, struct ent *e, const struct rbitmap *bm,
			uint64_t nbits, phys_addr_t base, unsigned shift)
{
	uint64_t i = 0;

	if (!e || !bm)
		return;
	e->u.tracked = true;
	e->u.unit = 1ULL << shift;
	if (nbits > rbitmap_size(bm))
		nbits = rbitmap_size(bm);
	if (!rbitmap_weight(bm))
		return;
	while (i < nbits) {
		uint64_t j;

		if (!rbitmap_test(bm, i)) {
			i++;
			continue;
		}
		for (j = i; j < nbits && rbitmap_test(bm, j); j++)
			;
		add_run(a, e, base + (i << shift), (j - i) << shift);
		i = j;
	}
}

struct coh_ctx {
	struct acc *a;
	struct ent *e;
	unsigned shift;
};

static void coh_fn(void *ctx, phys_addr_t base, uint64_t pages,
		   const struct rbitmap *bm)
{
	struct coh_ctx *c = ctx;

	bitmap_runs(c->a, c->e, bm, pages, base, c->shift);
}

static void coherent_runs(struct acc *a, struct ent *e,
			  struct dmapool_machine *m, struct dma_coherent_mem *mem)
{
	struct coh_ctx c = { a, e, m->prof.page_shift };

	if (e && mem)
		dma_coherent_mem_read(mem, coh_fn, &c);
}

static void cma_runs(struct acc *a, struct ent *e, struct dmapool_machine *m,
		     struct cma_area *c)
{
	if (!e || !c || !c->activated || c->failed || !c->bitmap)
		return;
	pthread_mutex_lock(&c->lock);
	bitmap_runs(a, e, c->bitmap, c->count, c->base, m->prof.page_shift);
	pthread_mutex_unlock(&c->lock);
}

static void swiotlb_runs(struct acc *a, struct ent *e, struct io_tlb_pool *p)
{
	if (!e || !p || !p->ready || !p->freemap)
		return;
	e->u.tracked = true;
	e->u.unit = IO_TLB_SIZE;
	pthread_mutex_lock(&p->lock);
	for (uint64_t i = 0; i < p->nslabs;) {
		uint64_t j = i;

		while (j < p->nslabs &&
		       !((p->freemap[j / IO_TLB_SEGSIZE] >> (j % IO_TLB_SEGSIZE)) & 1))
			j++;
		if (j > i) {
			add_run(a, e, p->start + i * IO_TLB_SIZE, (j - i) * IO_TLB_SIZE);
			i = j;
		} else {
			i++;
		}
	}
	pthread_mutex_unlock(&p->lock);
}

/* Devices whose memory-region list names the node. */
static void region_devices(struct acc *a, struct ent *e,
			   struct dmapool_machine *m, int node)
{
	size_t n = 0;

	if (!e || node < 0)
		return;
	for (size_t i = 0; i < m->n_devs; i++)
		for (size_t k = 0; k < m->devs[i]->n_mr; k++)
			if (m->devs[i]->mr_nodes[k] == node) {
				n++;
				break;
			}
	if (!n)
		return;
	e->devs = malloc(n * sizeof(*e->devs));
	if (!e->devs) {
		a->oom = true;
		return;
	}
	for (size_t i = 0; i < m->n_devs; i++)
		for (size_t k = 0; k < m->devs[i]->n_mr; k++)
			if (m->devs[i]->mr_nodes[k] == node) {
				e->devs[e->ndevs++] = m->devs[i]->name;
				break;
			}
}

static bool cma_is_region(struct dmapool_machine *m, const struct cma_area *c)
{
	for (size_t i = 0; i < m->n_rmem; i++)
		if (m->rmem[i].kind == RMEM_CMA && m->rmem[i].priv == c)
			return true;
	return false;
}

static void collect(struct acc *a, struct dmapool_machine *m)
{
	unsigned ps = m->prof.page_shift;
	bool global_done = false;
	struct ent *e;

	for (size_t i = 0; i < m->pm.nbanks; i++)
		add(a, "System RAM", "ram", m->pm.banks[i].base, m->pm.banks[i].size);
	if (m->kernel_end > m->kernel_start)
		add(a, "Kernel", "kernel", m->kernel_start, m->kernel_end - m->kernel_start);

	for (size_t i = 0; i < m->n_rmem; i++) {
		struct reserved_mem *r = &m->rmem[i];

		e = add(a, r->name, rmem_kind_name(m, r), r->base, r->size);
		if (!e)
			return;
		e->u.nomap = r->nomap;
		switch (r->kind) {
		case RMEM_DMA_POOL:
			coherent_runs(a, e, m, r->priv);
			break;
		case RMEM_GLOBAL_POOL:
			if (m->global_pool && m->global_pool_base == r->base) {
				coherent_runs(a, e, m, m->global_pool);
				global_done = true;
			} else {
				coherent_runs(a, e, m, r->priv);
			}
			break;
		case RMEM_CMA:
			cma_runs(a, e, m, r->priv);
			break;
		case RMEM_RESTRICTED:
			swiotlb_runs(a, e, r->priv);
			break;
		default:
			break;
		}
		region_devices(a, e, m, r->node);
	}
	for (size_t i = 0; i < m->n_cma; i++) {
		struct cma_area *c = m->cma[i];

		if (cma_is_region(m, c))
			continue;
		e = add(a, c->name, c == m->default_cma ? "default-cma" : "cma",
			c->base, c->count << ps);
		cma_runs(a, e, m, c);
	}
	if (m->global_pool && !global_done) {
		e = add(a, "linux,dma-default", "global-pool", m->global_pool_base,
			m->global_pool_size);
		coherent_runs(a, e, m, m->global_pool);
	}
	if (m->swiotlb.present) {
		e = add(a, "default", "swiotlb", m->swiotlb.start,
			m->swiotlb.end - m->swiotlb.start);
		swiotlb_runs(a, e, &m->swiotlb);
	}
	for (size_t p = 0; p < ARRAY_SIZE(m->atomic); p++) {
		struct atomic_pool *ap = &m->atomic[p];

		if (!ap->present || !ap->gp)
			continue;
		pthread_mutex_lock(&m->pool_lock);
		for (size_t k = 0;; k++) {
			const struct rbitmap *bm;
			phys_addr_t phys;
			uint64_t pages;

			if (gen_pool_chunk_bitmap_sim(ap->gp, k, &phys, &pages, &bm))
				break;
			e = add(a, ap->backend, "atomic", phys, pages << ps);
			if (!e)
				break;
			e->u.pool = ap->gfp_name;
			e->u.from_cma = cma_area_of(m, phys) != NULL;
			bitmap_runs(a, e, bm, pages, phys, ps);
		}
		pthread_mutex_unlock(&m->pool_lock);
	}
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		const struct zone_info *zi = &m->zones[z];
		uint64_t nr_free, by_blocks, by_maps;
		int bad;

		if (!zone_configured(&m->prof, z) || zi->end_pfn <= zi->start_pfn)
			continue;
		e = add(a, zone_names[z], "zone", zi->start_pfn << ps,
			(zi->end_pfn - zi->start_pfn) << ps);
		if (!e)
			return;
		if (buddy_core_acct(m->buddy, (enum zone_type)z, &nr_free, &by_blocks,
				    &by_maps, &bad))
			nr_free = 0;
		e->u.tracked = true;
		e->u.unit = 1ULL << ps;
		e->u.used = e->u.size - (nr_free << ps < e->u.size ? nr_free << ps : e->u.size);
	}
}

static void acc_free(struct acc *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->e[i].runs);
		free(a->e[i].devs);
	}
	free(a->e);
}

DMAPOOL_API int dmapool_region_usage(struct dmapool_machine *m,
				     struct dmapool_region_usage **out,
				     size_t *n)
{
	struct acc a = { 0 };
	size_t nruns = 0, ndevs = 0, bytes;
	struct dmapool_region_usage *u;
	struct dmapool_usage_run *rp;
	const char **dp;

	if (out)
		*out = NULL;
	if (n)
		*n = 0;
	if (!m || !out || !n)
		return -EINVAL;
	collect(&a, m);
	if (a.oom) {
		acc_free(&a);
		return -ENOMEM;
	}
	for (size_t i = 0; i < a.n; i++) {
		nruns += a.e[i].nruns;
		ndevs += a.e[i].ndevs;
	}
	bytes = a.n * sizeof(*u) + nruns * sizeof(*rp) + ndevs * sizeof(*dp);
	u = malloc(bytes ? bytes : 1);
	if (!u) {
		acc_free(&a);
		return -ENOMEM;
	}
	rp = (struct dmapool_usage_run *)(u + a.n);
	dp = (const char **)(rp + nruns);
	for (size_t i = 0; i < a.n; i++) {
		struct ent *e = &a.e[i];

		u[i] = e->u;
		u[i].nruns = e->nruns;
		u[i].runs = e->nruns ? rp : NULL;
		if (e->nruns)
			memcpy(rp, e->runs, e->nruns * sizeof(*rp));
		rp += e->nruns;
		u[i].ndevices = e->ndevs;
		u[i].devices = e->ndevs ? dp : NULL;
		if (e->ndevs)
			memcpy(dp, e->devs, e->ndevs * sizeof(*dp));
		dp += e->ndevs;
	}
	*n = a.n;
	acc_free(&a);
	*out = heap_release(u);	/* the caller frees it */
	return 0;
}
