/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The probe driver (models the oracle's test module, dmaprobe.ko, which
 * the real kernel runs on "libdmapool,probe" nodes).  It is what
 * "dmapool run" executes, so that one device tree gives the same lines on
 * the real kernel and here.
 *
 * For each probe device, in tree order: dma_set_mask_and_coherent() with
 * probe,dma-bits (default 32), of_reserved_mem_device_init_by_idx() for
 * probe,region-index or for every memory-region entry, then the
 * probe,ops pairs: 1 SIZE dma_alloc_coherent(GFP_KERNEL), 2 SIZE
 * dma_alloc_coherent(GFP_ATOMIC), 9 SIZE dma_alloc_attrs(GFP_KERNEL,
 * WRITE_COMBINE), 3 IDX free allocation #IDX, 4/6/7 SIZE kmalloc +
 * dma_map_single (BIDIRECTIONAL / TO_DEVICE / FROM_DEVICE), 8 SIZE
 * alloc_pages(get_order(SIZE)) + dma_map_page(BIDIRECTIONAL), 10 N N
 * order-0 pages in an sg_table + dma_map_sgtable(BIDIRECTIONAL), 5 IDX
 * unmap mapping #IDX and free its buffer.  Every creating op takes the
 * next index of one list of at most 64 entries, failed ones included.
 * The lines are the module's dev_info() lines.
 *
 * Left out: nothing is released at the end (the oracle never removes the
 * driver); the machine's destruction frees everything.
 */
#include <libfdt.h>

#include "internal.h"

#define PROBE_MAX_ENTRIES 64

#define PROBE_MAX_SG	1024

enum probe_kind {
	PE_NONE, PE_COHERENT, PE_COHERENT_ATTRS, PE_MAP_SINGLE, PE_MAP_PAGE,
	PE_MAP_SG, PE_FREED,
};

struct probe_entry {
	enum probe_kind kind;
	void *cpu;
	phys_addr_t page;		/* op 8: the pages' physical address */
	struct sg_table sgt;		/* op 10 */
	dma_addr_t dma;
	uint32_t size;
	unsigned long attrs;
	enum dma_data_direction dir;
};

static void probe_map(struct device *dev, struct probe_entry *e, int idx,
		      uint32_t op, uint32_t size)
{
	struct dmapool_machine *m = dev->m;
	enum dma_data_direction dir = op == 6 ? DMA_TO_DEVICE :
				      op == 7 ? DMA_FROM_DEVICE : DMA_BIDIRECTIONAL;
	char what[64];
	dma_addr_t h;

	e->kind = PE_NONE;
	e->size = size;
	e->dir = dir;
	e->dma = 0;
	if (op == 8)
		snprintf(what, sizeof(what), "map_page #%d size=0x%x", idx, size);
	else
		snprintf(what, sizeof(what), "map #%d size=0x%x dir=%s", idx, size,
			 dir_name(dir));
	if (op == 8) {
		e->page = alloc_pages_i(m, GFP_KERNEL | __GFP_NOWARN, get_order_sz(m, size));
		if (e->page == PHYS_NONE) {
			dev_klog(dev, "dmaprobe: %s -> FAILED (no buffer)", what);
			return;
		}
		h = dma_map_page_attrs(dev, dmapool_pfn_to_page(m, e->page >> m->prof.page_shift),
				       0, size, dir, 0);
	} else {
		e->cpu = kmalloc_sim(m, size, 0);
		if (!e->cpu || e->cpu == KMALLOC_ZERO_SIZE_PTR) {
			e->cpu = NULL;
			dev_klog(dev, "dmaprobe: %s -> FAILED (no buffer)", what);
			return;
		}
		h = dma_map_single_attrs(dev, e->cpu, size, dir, 0);
	}
	if (h == DMA_MAPPING_ERROR) {
		dev_klog(dev, "dmaprobe: %s -> FAILED", what);
		if (op == 8)
			buddy_free(m, e->page, get_order_sz(m, size));
		else
			kfree_sim(m, e->cpu);
		e->cpu = NULL;
		e->page = PHYS_NONE;
		return;
	}
	e->kind = op == 8 ? PE_MAP_PAGE : PE_MAP_SINGLE;
	e->dma = h;
	dev_klog(dev, "dmaprobe: %s -> ok dma=0x%016llx", what, (unsigned long long)h);
}

static void sg_free_pages(struct dmapool_machine *m, struct sg_table *sgt)
{
	for (unsigned i = 0; i < sgt->orig_nents; i++) {
		struct page *pg = (struct page *)(sgt->sgl[i].page_link & ~SG_PAGE_LINK_MASK);

		if (pg)
			buddy_free(m, (phys_addr_t)dmapool_page_to_pfn(pg) << m->prof.page_shift, 0);
	}
	sg_free_table(sgt);
}

static void probe_map_sg(struct device *dev, struct probe_entry *e, int idx,
			 uint32_t nents)
{
	struct dmapool_machine *m = dev->m;
	struct sg_table *sgt = &e->sgt;
	uint64_t total = 0;
	int ret;

	e->kind = PE_NONE;
	e->size = nents;
	e->dir = DMA_BIDIRECTIONAL;
	e->dma = 0;
	memset(sgt, 0, sizeof(*sgt));
	if (nents < 1 || nents > PROBE_MAX_SG || sg_alloc_table(sgt, nents, GFP_KERNEL)) {
		memset(sgt, 0, sizeof(*sgt));
		dev_klog(dev, "dmaprobe: map_sg #%d nents=%u -> FAILED (no buffer)", idx, nents);
		return;
	}
	for (unsigned i = 0; i < nents; i++) {
		phys_addr_t pa = alloc_pages_i(m, GFP_KERNEL | __GFP_NOWARN, 0);
		struct scatterlist *sg = &sgt->sgl[i];

		if (pa == PHYS_NONE) {
			sg_free_pages(m, sgt);
			dev_klog(dev, "dmaprobe: map_sg #%d nents=%u -> FAILED (no buffer)", idx, nents);
			return;
		}
		sg->page_link = (sg->page_link & SG_PAGE_LINK_MASK) |
			(unsigned long)(uintptr_t)dmapool_pfn_to_page(m, pa >> m->prof.page_shift);
		sg->offset = 0;
		sg->length = (unsigned int)m->prof.page_size;
	}
	ret = dma_map_sgtable(dev, sgt, DMA_BIDIRECTIONAL, 0);
	if (ret) {
		dev_klog(dev, "dmaprobe: map_sg #%d nents=%u -> FAILED ret=%d", idx, nents, ret);
		sg_free_pages(m, sgt);
		return;
	}
	for (unsigned i = 0; i < sgt->nents; i++)
		total += sgt->sgl[i].dma_length;
	e->kind = PE_MAP_SG;
	e->dma = sgt->sgl[0].dma_address;
	dev_klog(dev, "dmaprobe: map_sg #%d nents=%u -> ok mapped=%u dma=0x%016llx len=0x%llx",
		 idx, nents, sgt->nents, (unsigned long long)e->dma,
		 (unsigned long long)total);
	for (unsigned i = 0; i < sgt->nents; i++)
		dev_klog(dev, "dmaprobe: map_sg #%d seg %u dma=0x%016llx len=0x%x", idx, i,
			 (unsigned long long)sgt->sgl[i].dma_address,
			 sgt->sgl[i].dma_length);
}

static void probe_unmap(struct device *dev, struct probe_entry *e)
{
	struct dmapool_machine *m = dev->m;

	if (e->kind == PE_MAP_SG) {
		dma_unmap_sg_attrs(dev, e->sgt.sgl, (int)e->sgt.orig_nents, e->dir, 0);
		sg_free_pages(m, &e->sgt);
	} else if (e->kind == PE_MAP_PAGE) {
		dma_unmap_page_attrs(dev, e->dma, e->size, e->dir, 0);
		buddy_free(m, e->page, get_order_sz(m, e->size));
	} else {
		dma_unmap_page_attrs(dev, e->dma, e->size, e->dir, 0);
		kfree_sim(m, e->cpu);
	}
	e->kind = PE_FREED;
	e->cpu = NULL;
	e->page = PHYS_NONE;
}

static void probe_alloc(struct device *dev, struct probe_entry *e, int idx,
			uint32_t op, uint32_t size)
{
	unsigned gfp = op == 2 ? GFP_ATOMIC : GFP_KERNEL;
	unsigned long attrs = op == 9 ? DMA_ATTR_WRITE_COMBINE : 0;
	dma_addr_t h = 0;
	void *v;

	/* dma_alloc_coherent() passes DMA_ATTR_NO_WARN only for __GFP_NOWARN */
	v = dma_alloc_attrs(dev, size, &h, gfp, attrs);
	e->kind = v ? (op == 9 ? PE_COHERENT_ATTRS : PE_COHERENT) : PE_NONE;
	e->cpu = v;
	e->dma = v ? h : 0;
	e->size = size;
	e->attrs = attrs;
	if (op == 9)
		dev_klog(dev, "dmaprobe: alloc #%d size=0x%x gfp=KERNEL attrs=WRITE_COMBINE -> %s dma=0x%016llx",
			 idx, size, v ? "ok" : "FAILED", (unsigned long long)e->dma);
	else
		dev_klog(dev, "dmaprobe: alloc #%d size=0x%x gfp=%s -> %s dma=0x%016llx",
			 idx, size, op == 1 ? "KERNEL" : "ATOMIC",
			 v ? "ok" : "FAILED", (unsigned long long)e->dma);
}

static void run_one(struct device *dev)
{
	struct dmapool_machine *m = dev->m;
	const void *fdt = m->fdt;
	struct probe_entry *e;
	const fdt32_t *ops;
	uint32_t bits = 32;
	int len = 0, nops, n = 0, ret;
	const fdt32_t *p;

	e = calloc(PROBE_MAX_ENTRIES, sizeof(*e));
	if (!e) {
		dev_klog(dev, "dmaprobe: probe failed: -12");
		return;
	}
	ops = fdt_getprop(fdt, dev->node, "probe,ops", &len);
	nops = ops && len > 0 ? len / 4 : 0;

	p = fdt_getprop(fdt, dev->node, "probe,dma-bits", &len);
	if (p && len >= 4)
		bits = fdt32_to_cpu(p[0]);
	{
		uint64_t mask = bits >= 64 ? ~0ULL : (1ULL << bits) - 1;

		ret = dma_set_mask(dev, mask);
		if (ret == 0)
			dma_set_coherent_mask(dev, mask);
	}
	dev_klog(dev, "dmaprobe: dma-bits=%u set_mask ret=%d coherent=%d",
		 bits, ret, dev->coherent ? 1 : 0);
	for (int i = 0; i + 1 < nops; i += 2)
		if (fdt32_to_cpu(ops[i]) >= 4) {
			dev_klog(dev, "dmaprobe: swiotlb=%d max_mapping_size=0x%zx",
				 is_swiotlb_active(dev) ? 1 : 0, dma_max_mapping_size(dev));
			break;
		}

	p = fdt_getprop(fdt, dev->node, "probe,region-index", &len);
	if (p && len >= 4) {
		uint32_t idx = fdt32_to_cpu(p[0]);

		ret = of_reserved_mem_device_init_by_idx(dev, &dev->of_node, (int)idx);
		dev_klog(dev, "dmaprobe: memory-region[%u] init ret=%d", idx, ret);
	} else {
		for (size_t i = 0; i < dev->n_mr; i++) {
			ret = of_reserved_mem_device_init_by_idx(dev, &dev->of_node, (int)i);
			dev_klog(dev, "dmaprobe: memory-region[%zu] init ret=%d", i, ret);
		}
	}

	for (int i = 0; i + 1 < nops; i += 2) {
		uint32_t op = fdt32_to_cpu(ops[i]), arg = fdt32_to_cpu(ops[i + 1]);

		switch (op) {
		case 1: case 2: case 9:
			if (n >= PROBE_MAX_ENTRIES)
				goto done;
			probe_alloc(dev, &e[n], n, op, arg);
			n++;
			break;
		case 4: case 6: case 7: case 8:
			if (n >= PROBE_MAX_ENTRIES)
				goto done;
			probe_map(dev, &e[n], n, op, arg);
			n++;
			break;
		case 10:
			if (n >= PROBE_MAX_ENTRIES)
				goto done;
			probe_map_sg(dev, &e[n], n, arg);
			n++;
			break;
		case 3:
			if (arg < (uint32_t)n && (e[arg].kind == PE_COHERENT ||
						  e[arg].kind == PE_COHERENT_ATTRS)) {
				dma_free_attrs(dev, e[arg].size, e[arg].cpu, e[arg].dma,
					       e[arg].attrs);
				e[arg].kind = PE_FREED;
				dev_klog(dev, "dmaprobe: free #%u dma=0x%016llx", arg,
					 (unsigned long long)e[arg].dma);
			} else {
				dev_klog(dev, "dmaprobe: free #%u: nothing to free", arg);
			}
			break;
		case 5:
			if (arg < (uint32_t)n && (e[arg].kind == PE_MAP_SINGLE ||
						  e[arg].kind == PE_MAP_PAGE ||
						  e[arg].kind == PE_MAP_SG)) {
				probe_unmap(dev, &e[arg]);
				dev_klog(dev, "dmaprobe: unmap #%u dma=0x%016llx", arg,
					 (unsigned long long)e[arg].dma);
			} else {
				dev_klog(dev, "dmaprobe: unmap #%u: nothing to unmap", arg);
			}
			break;
		default:
			break;
		}
	}
done:
	dev_klog(dev, "dmaprobe: done");
	/* mappings stay (the driver is never removed); their tables are
	 * host memory */
	for (int i = 0; i < n; i++)
		if (e[i].kind == PE_MAP_SG)
			sg_free_table(&e[i].sgt);
	free(e);
}

DMAPOOL_API int dmapool_run_probes(struct dmapool_machine *m)
{
	int count = 0;

	if (!m)
		return -EINVAL;
	for (size_t i = 0; i < m->n_devs; i++) {
		struct device *dev = m->devs[i];

		if (!dev->is_probe)
			continue;
		run_one(dev);
		/* the driver core moves on to the next device: the workqueue
		 * gets the CPU (atomic pool refills happen here on the oracle) */
		atomic_pool_run_work(m);
		count++;
	}
	return count;
}
