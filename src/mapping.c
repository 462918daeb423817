/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The public entry points of the DMA API (models kernel/dma/mapping.c):
 * dispatch only.  Each allocation or free opens a decision record, runs
 * the per-device pool first (which answers even when it is full), then
 * dma-direct, and files the record as the device's last decision.
 *
 * Also here: the mask calls of §13 (dma_set_mask, dma_supported,
 * dma_get_required_mask, dma_addressing_limited, dma_max_mapping_size)
 * and the user-mapping calls (dma_mmap_attrs, dma_get_sgtable_attrs,
 * dma_can_mmap).
 *
 * Left out: dma_map_ops backends other than dma-direct (the IOMMU backend
 * comes with the IOMMU model: until then a device with an "iommus"
 * property is served by dma-direct and the trace says so), managed
 * (dmam_*) variants, dma_alloc_noncontiguous, tracepoints, and the
 * dma-debug bookkeeping (kernel/dma/debug.c has its own module).
 */
#include <sys/mman.h>

#include "internal.h"

/* WARN_ON_ONCE() that the kernel prints at a call site; here a libdmapool
 * note, since the kernel's headline names an address we cannot know. */
static void warn_once(struct dmapool_machine *m, bool *flag, const char *what)
{
	bool first;

	pthread_mutex_lock(&m->dec_lock);
	first = !*flag;
	*flag = true;
	pthread_mutex_unlock(&m->dec_lock);
	if (first)
		klog(m, "libdmapool: WARN_ON_ONCE: %s", what);
}

static void iommu_note(struct device *dev, struct dmapool_decision *d)
{
	if (dev->iommu_node >= 0)
		dt_step(d, "iommu", "use_dma_iommu", "no: not modelled yet",
			"the device has an \"iommus\" reference; the IOMMU backend is not modelled, dma-direct serves it");
	else
		dt_step(d, "iommu", "use_dma_iommu", "no",
			"the device is not behind an IOMMU: dma-direct");
}

DMAPOOL_API void *dma_alloc_attrs(struct device *dev, size_t size,
				  dma_addr_t *dma_handle, gfp_t flag,
				  unsigned long attrs)
{
	struct dmapool_decision d;
	struct dmapool_machine *m;
	dma_addr_t handle = DMA_ERR;
	void *cpu = NULL;

	if (!dev)
		return NULL;
	m = dev->m;
	dt_begin(&d, dev, "alloc", size, flag, attrs);
	if (!dev->coherent_dma_mask) {
		warn_once(m, &m->warned_zero_mask,
			  "dma_alloc_attrs: the device's coherent_dma_mask is 0");
		dt_step(&d, "mask", "dma_alloc_attrs", "warned, continues",
			"coherent_dma_mask is 0");
	}
	if (flag & __GFP_COMP) {
		warn_once(m, &m->warned_comp, "dma_alloc_attrs: __GFP_COMP is not allowed");
		dt_step(&d, "gfp", "dma_alloc_attrs", "refused", "gfp contains __GFP_COMP");
		goto out;
	}
	if (dma_alloc_from_dev_coherent(dev, size, &handle, &cpu, &d))
		goto out;
	flag &= ~(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM);
	iommu_note(dev, &d);
	cpu = dma_direct_alloc(dev, size, &handle, flag, attrs, &d);
out:
	if (dma_handle)
		*dma_handle = cpu ? handle : DMA_ERR;
	if (!cpu)
		dt_result(&d, "none", PHYS_NONE, DMA_ERR, NULL, DMAPOOL_ATTR_NONE);
	dt_end(dev, &d);
	return cpu;
}

DMAPOOL_API void dma_free_attrs(struct device *dev, size_t size,
				void *cpu_addr, dma_addr_t dma_handle,
				unsigned long attrs)
{
	struct dmapool_decision d;
	struct dmapool_machine *m;

	if (!dev)
		return;
	m = dev->m;
	dt_begin(&d, dev, "free", size, 0, attrs);
	if (dma_release_from_dev_coherent(dev, get_order_sz(m, size), cpu_addr)) {
		dt_step(&d, "dev-coherent", "dma_release_from_dev_coherent", "released",
			"the address lies in the device's coherent pool: 2^%u pages back to its bitmap",
			get_order_sz(m, size));
		dt_result(&d, "dev-coherent", PHYS_NONE, dma_handle, cpu_addr, DMAPOOL_ATTR_NONE);
		goto out;
	}
	if (!cpu_addr) {
		dt_step(&d, "free", "dma_free_attrs", "nothing to do", "cpu_addr is NULL");
		goto out;
	}
	iommu_note(dev, &d);
	dma_direct_free(dev, size, cpu_addr, dma_handle, attrs, &d);
	d.ok = true;
	d.backend = "direct";
	d.dma = dma_handle;
	d.phys = dma_to_phys(dev, dma_handle);
out:
	dt_end(dev, &d);
}

DMAPOOL_API struct page *dma_alloc_pages(struct device *dev, size_t size,
					 dma_addr_t *dma_handle,
					 enum dma_data_direction dir, gfp_t gfp)
{
	struct dmapool_decision d;
	struct dmapool_machine *m;
	const char *backend;
	struct page *page = NULL;
	phys_addr_t pa;

	(void)dir;
	if (!dev)
		return NULL;
	m = dev->m;
	dt_begin(&d, dev, "alloc_pages", size, gfp, 0);
	if (!dev->coherent_dma_mask || (gfp & (__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM | __GFP_COMP))) {
		warn_once(m, &m->warned_comp,
			  "__dma_alloc_pages: zero coherent mask, zone modifier or __GFP_COMP");
		dt_step(&d, "gfp", "__dma_alloc_pages", "refused",
			"coherent_dma_mask is 0, or gfp has a zone modifier or __GFP_COMP");
		goto out;
	}
	dt_step(&d, "dev-coherent", "__dma_alloc_pages", "skip",
		"the per-device coherent pool is never consulted for pages");
	iommu_note(dev, &d);
	size = page_align(m, size);
	pa = dma_direct_alloc_pages_i(dev, size, gfp, &d, &backend);
	if (pa == PHYS_NONE)
		goto out;
	memset(phys_to_virt(m, pa), 0, size);
	page = dmapool_pfn_to_page(m, pa >> m->prof.page_shift);
	if (dma_handle)
		*dma_handle = phys_to_dma(dev, pa);
	dt_result(&d, backend, pa, phys_to_dma(dev, pa), phys_to_virt(m, pa),
		  DMAPOOL_ATTR_WB);
out:
	if (!page) {
		if (dma_handle)
			*dma_handle = DMA_ERR;
		dt_result(&d, "none", PHYS_NONE, DMA_ERR, NULL, DMAPOOL_ATTR_NONE);
	}
	dt_end(dev, &d);
	return page;
}

DMAPOOL_API void dma_free_pages(struct device *dev, size_t size,
				struct page *page, dma_addr_t dma_handle,
				enum dma_data_direction dir)
{
	struct dmapool_decision d;
	phys_addr_t pa;

	(void)dir;
	if (!dev || !page)
		return;
	dt_begin(&d, dev, "free_pages", size, 0, 0);
	pa = dma_to_phys(dev, dma_handle);
	dt_step(&d, "pages", "dma_direct_free_pages", "freed",
		"pages at %#llx (from the handle): CMA area, else buddy",
		(unsigned long long)pa);
	dma_free_contiguous(dev, pa, page_align(dev->m, size));
	d.ok = true;
	d.backend = "direct";
	d.phys = pa;
	d.dma = dma_handle;
	dt_end(dev, &d);
}

DMAPOOL_API void *dma_alloc_noncoherent(struct device *dev, size_t size,
					dma_addr_t *dma_handle,
					enum dma_data_direction dir, gfp_t gfp)
{
	struct page *page = dma_alloc_pages(dev, size, dma_handle, dir, gfp);

	return page ? dmapool_page_address(page) : NULL;
}

DMAPOOL_API void dma_free_noncoherent(struct device *dev, size_t size,
				      void *vaddr, dma_addr_t dma_handle,
				      enum dma_data_direction dir)
{
	if (!vaddr)
		return;
	dma_free_pages(dev, size, dmapool_virt_to_page(vaddr), dma_handle, dir);
}

/* ------------------------------------------------------------------ */
/* User mappings */

DMAPOOL_API bool dma_can_mmap(struct device *dev)
{
	if (!dev)
		return false;
	/* dma-direct: coherent, or CONFIG_DMA_NONCOHERENT_MMAP (selected by
	 * DMA_DIRECT_REMAP, default y without an MMU, y on arm) */
	return dev_is_dma_coherent_i(dev) || dev->m->prof.dma_direct_remap ||
	       dev->m->prof.arch_dma_alloc || dev->m->prof.dma_global_pool;
}

DMAPOOL_API int dma_mmap_attrs(struct device *dev, struct vm_area_struct *vma,
			       void *cpu_addr, dma_addr_t dma_addr, size_t size,
			       unsigned long attrs)
{
	struct dmapool_machine *m;
	uint64_t user_count, count, off;
	int ret = -ENXIO;

	if (!dev || !vma || vma->vm_end < vma->vm_start)
		return -EINVAL;
	m = dev->m;
	vma->vm_page_prot.pgprot = dma_pgprot_attr(dev, attrs);
	if (dma_mmap_from_dev_coherent(dev, vma, cpu_addr, size, &ret))
		return ret;
	if (m->prof.dma_global_pool && !dev_is_dma_coherent_i(dev) &&
	    dma_mmap_from_global_coherent(dev, vma, cpu_addr, size, &ret))
		return ret;
	if (!dma_can_mmap(dev))
		return -ENXIO;
	user_count = (vma->vm_end - vma->vm_start) >> m->prof.page_shift;
	count = page_align(m, size) >> m->prof.page_shift;
	off = vma->vm_pgoff;
	if (off >= count || user_count > count - off)
		return -ENXIO;
	return remap_pfn_range_i(m, vma, dma_to_phys(dev, dma_addr) +
				 (off << m->prof.page_shift),
				 user_count << m->prof.page_shift);
}

DMAPOOL_API int dma_mmap_pages(struct device *dev, struct vm_area_struct *vma,
			       size_t size, struct page *page)
{
	struct dmapool_machine *m;
	uint64_t count, user_count;

	if (!dev || !vma || !page)
		return -EINVAL;
	m = dev->m;
	count = page_align(m, size) >> m->prof.page_shift;
	user_count = (vma->vm_end - vma->vm_start) >> m->prof.page_shift;
	if (vma->vm_pgoff >= count || user_count > count - vma->vm_pgoff)
		return -ENXIO;
	vma->vm_page_prot.pgprot = DMAPOOL_ATTR_WB;
	return remap_pfn_range_i(m, vma,
				 ((phys_addr_t)dmapool_page_to_pfn(page) + vma->vm_pgoff)
				 << m->prof.page_shift,
				 user_count << m->prof.page_shift);
}

DMAPOOL_API int dmapool_munmap(struct vm_area_struct *vma)
{
	struct dmapool_machine *m;
	int ret;

	if (!vma || !vma->vm_start)
		return -EINVAL;
	m = machine_registry_find_va((void *)vma->vm_start);
	if (!m)
		return -ENOENT;
	ret = physmem_unmap_alias(m, (void *)vma->vm_start);
	if (ret == 0)
		vma->vm_start = vma->vm_end = 0;
	return ret;
}

DMAPOOL_API int dma_get_sgtable_attrs(struct device *dev, struct sg_table *sgt,
				      void *cpu_addr, dma_addr_t dma_addr,
				      size_t size, unsigned long attrs)
{
	struct dmapool_machine *m;
	phys_addr_t pa;
	int ret;

	(void)cpu_addr;
	(void)attrs;
	if (!dev || !sgt)
		return -EINVAL;
	m = dev->m;
	pa = dma_to_phys(dev, dma_addr);
	if (pa == PHYS_NONE)
		return -ENXIO;
	ret = sg_alloc_table(sgt, 1, GFP_KERNEL);
	if (ret)
		return ret;
	sgt->sgl[0].page_link = (unsigned long)dmapool_pfn_to_page(m, pa >> m->prof.page_shift) |
				SG_END;
	sgt->sgl[0].offset = 0;
	sgt->sgl[0].length = (unsigned int)page_align(m, size);
	return 0;
}

DMAPOOL_API int sg_alloc_table(struct sg_table *table, unsigned int nents,
			       gfp_t gfp_mask)
{
	(void)gfp_mask;
	if (!table)
		return -EINVAL;
	memset(table, 0, sizeof(*table));
	if (!nents)
		return -EINVAL;
	table->sgl = calloc(nents, sizeof(*table->sgl));
	if (!table->sgl)
		return -ENOMEM;
	table->sgl[nents - 1].page_link = SG_END;
	table->nents = table->orig_nents = nents;
	return 0;
}

DMAPOOL_API void sg_free_table(struct sg_table *table)
{
	if (!table)
		return;
	free(table->sgl);
	memset(table, 0, sizeof(*table));
}

DMAPOOL_API void sg_init_table(struct scatterlist *sgl, unsigned int nents)
{
	if (!sgl || !nents)
		return;
	memset(sgl, 0, sizeof(*sgl) * nents);
	sgl[nents - 1].page_link = SG_END;
}

/* ------------------------------------------------------------------ */
/* Masks (§13) */

/* max_pfn: the pfn after the last page of RAM */
static uint64_t top_ram(const struct dmapool_machine *m)
{
	return (m->max_pfn - 1) << m->prof.page_shift;
}

DMAPOOL_API int dma_supported(struct device *dev, uint64_t mask)
{
	struct dmapool_machine *m;
	uint64_t min_mask;

	if (!dev)
		return 0;
	m = dev->m;
	/* dma_direct_supported() */
	if (mask >= DMA_BIT_MASK(32))
		return 1;
	min_mask = top_ram(m);
	if (m->prof.zone_dma && m->zone_dma_limit < min_mask)
		min_mask = m->zone_dma_limit;
	return mask >= phys_to_dma(dev, min_mask);
}

DMAPOOL_API int dma_set_mask(struct device *dev, uint64_t mask)
{
	if (!dev || !dev->dma_mask || !dma_supported(dev, mask))
		return -EIO;
	*dev->dma_mask = mask;
	return 0;
}

DMAPOOL_API int dma_set_coherent_mask(struct device *dev, uint64_t mask)
{
	if (!dev || !dma_supported(dev, mask))
		return -EIO;
	dev->coherent_dma_mask = mask;
	return 0;
}

static int dma_set_mask_and_coherent_i(struct device *dev, uint64_t mask)
{
	int rc = dma_set_mask(dev, mask);

	if (rc == 0)
		dma_set_coherent_mask(dev, mask);
	return rc;
}

DMAPOOL_API int dma_coerce_mask_and_coherent(struct device *dev, uint64_t mask)
{
	if (!dev)
		return -EIO;
	dev->dma_mask = &dev->coherent_dma_mask;
	return dma_set_mask_and_coherent_i(dev, mask);
}

DMAPOOL_API uint64_t dma_get_mask(struct device *dev)
{
	if (dev && dev->dma_mask && *dev->dma_mask)
		return *dev->dma_mask;
	return DMA_BIT_MASK(32);
}

DMAPOOL_API uint64_t dma_get_coherent_mask(struct device *dev)
{
	return dev ? dev->coherent_dma_mask : 0;
}

DMAPOOL_API uint64_t dma_get_required_mask(struct device *dev)
{
	uint64_t max_dma;

	if (!dev)
		return DMA_BIT_MASK(32);
	max_dma = phys_to_dma(dev, top_ram(dev->m));
	return (1ULL << (fls64_u(max_dma) - 1)) * 2 - 1;
}

/* dma_direct_all_ram_mapped(): every System RAM range lies in the map */
static bool all_ram_mapped(const struct device *dev)
{
	const struct dmapool_machine *m = dev->m;

	if (!dev->dma_range_map)
		return true;
	for (size_t i = 0; i < m->pm.nbanks; i++) {
		phys_addr_t s = m->pm.banks[i].base;
		phys_addr_t e = s + m->pm.banks[i].size;

		while (s < e) {
			const struct bus_dma_region *r = NULL;

			for (const struct bus_dma_region *q = dev->dma_range_map; q->size; q++)
				if (s >= q->cpu_start && s - q->cpu_start < q->size)
					r = q;
			if (!r)
				return false;
			s = r->cpu_start + r->size;
		}
	}
	return true;
}

DMAPOOL_API bool dma_addressing_limited(struct device *dev)
{
	if (!dev)
		return false;
	if (min_not_zero_u64(dma_get_mask(dev), dev->bus_dma_limit) <
	    dma_get_required_mask(dev))
		return true;
	return !all_ram_mapped(dev);
}

DMAPOOL_API size_t dma_max_mapping_size(struct device *dev)
{
	struct io_tlb_pool *p;

	if (!dev)
		return SIZE_MAX;
	p = dev->restricted ? dev->restricted : &dev->m->swiotlb;
	/* dma_direct_max_mapping_size(): is_swiotlb_active and (limited or
	 * forced bouncing) -> IO_TLB_SIZE * IO_TLB_SEGSIZE */
	if (p->present && p->nslabs &&
	    (dma_addressing_limited(dev) || p->force || dev->restricted))
		return (size_t)2048 * 128;
	return SIZE_MAX;
}

DMAPOOL_API size_t dma_opt_mapping_size(struct device *dev)
{
	return dma_max_mapping_size(dev);
}

DMAPOOL_API bool dma_need_sync(struct device *dev, dma_addr_t dma_addr)
{
	(void)dma_addr;
	return dev && !dev_is_dma_coherent_i(dev);
}

DMAPOOL_API bool dev_is_dma_coherent(struct device *dev)
{
	return dev && dev_is_dma_coherent_i(dev);
}
