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
 * Devices in a translating IOMMU domain go to dma-iommu (iommu.c) the
 * way the kernel's use_dma_iommu() dispatch does; the DMA-API debug
 * tracking and the ownership bookkeeping stay here for both paths.
 *
 * Left out: dma_map_ops backends other than dma-direct and dma-iommu,
 * managed (dmam_*) variants, dma_alloc_noncontiguous, tracepoints, and the
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

/* use_dma_iommu() and why not, for the trace (dma-direct follows). */
static void iommu_note(struct device *dev, struct dmapool_decision *d)
{
	if (!d)
		return;
	if (dev->iommu_group && !use_dma_iommu(dev))
		dt_step(d, "iommu", "use_dma_iommu", "no: identity domain",
			"the device is in iommu group %d with a passthrough (identity) domain: dma-direct",
			dev->iommu_group->id);
	else if (dev->iommu_node >= 0 && !dev->iommu_group)
		dt_step(d, "iommu", "use_dma_iommu", "no: not attached",
			"the device names an IOMMU in \"iommus\" but was not attached to it (no IOMMU driver for the node, stream ID out of range or already taken, or CONFIG_IOMMU_DMA off): dma-direct");
	else
		dt_step(d, "iommu", "use_dma_iommu", "no",
			"the device is not behind an IOMMU: dma-direct");
}

/* use_dma_iommu(), with the trace's step when it is. */
static bool via_iommu(struct device *dev, struct dmapool_decision *d)
{
	if (!use_dma_iommu(dev))
		return false;
	dt_step(d, "iommu", "use_dma_iommu", "yes",
		"the device is in iommu group %d (%s DMA domain): dma-iommu",
		dev->iommu_group->id, iommu_domain_mode(dev));
	return true;
}

/* ---- live entries (debug.c) and buffer ownership ---- */

/* Strict ownership mode: the CPU's pages of a device-owned buffer trap. */
static void own_strict(struct device *dev, struct dbg_entry *e, bool device_owns)
{
	if (!dev->m->prof.strict_ownership || !dbg_streaming(e) ||
	    e->strict == device_owns)
		return;
	physmem_strict(dev->m, e->orig, e->size, device_owns);
	e->strict = device_owns;
}

static void own(struct device *dev, struct dbg_entry *e, bool device_owns)
{
	if (!e)
		return;
	e->cpu_owned = !device_owns;
	own_strict(dev, e, device_owns);
}

static struct dbg_entry *track_ex(struct device *dev, int type, dma_addr_t dma,
				  size_t size, phys_addr_t orig, int dir,
				  const void *cpu, bool cpu_owned,
				  unsigned long attrs, int sg_call_ents)
{
	static const struct dbg_entry zero;
	struct dbg_entry t, *e;

	if (dma == DMA_ERR || !size)
		return NULL;
	t = zero;	/* a copy, not memset: GCC makes that a rep stos, slow here */
	t.type = type;
	t.dma = dma;
	t.size = size;
	t.orig = orig;
	t.dir = dir;
	t.cpu = cpu;
	t.cpu_owned = cpu_owned;
	t.sg_call_ents = sg_call_ents;
	t.map_err = type == DBG_SINGLE || type == DBG_RESOURCE ?
		MAP_ERR_NOT_CHECKED : MAP_ERR_NA;
	e = debug_add(dev, &t, attrs);
	if (e && !cpu_owned)
		own_strict(dev, e, true);
	return e;
}

static struct dbg_entry *track(struct device *dev, int type, dma_addr_t dma,
			       size_t size, phys_addr_t orig, int dir,
			       const void *cpu, bool cpu_owned)
{
	return track_ex(dev, type, dma, size, orig, dir, cpu, cpu_owned, 0, 0);
}

static void untrack(struct device *dev, struct dbg_entry *e)
{
	if (!e)
		return;
	own_strict(dev, e, false);
	debug_del(dev, e);
}

/* check_unmap() for one call, then forget the entry it frees. */
static struct dbg_entry *unmap_check(struct device *dev, int type, dma_addr_t dma,
				     size_t size, int dir, const void *cpu,
				     int sg_call_ents)
{
	struct dbg_ref ref = { type, dir, dma, size, cpu, sg_call_ents };

	return debug_check_unmap(dev, &ref);
}

DMAPOOL_API void dmapool_debug_mapping_error(struct device *dev, dma_addr_t dma)
{
	if (dev)
		debug_mapping_error(dev, dma);
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
	iommu_dev_probe(dev);
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
	if (fault_take_alloc(dev, size)) {
		dt_step(&d, "fault", "dmapool_fail_next_alloc", "forced failure",
			"the test armed a failure of this device's next allocation of %#zx bytes or more",
			size);
		goto out;
	}
	if (dma_alloc_from_dev_coherent(dev, size, &handle, &cpu, &d))
		goto out;
	flag &= ~(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM);
	if (use_dma_iommu(dev)) {
		cpu = iommu_dma_alloc(dev, size, &handle, flag, attrs, &d);
		goto out;
	}
	iommu_note(dev, &d);
	cpu = dma_direct_alloc(dev, size, &handle, flag, attrs, &d);
out:
	if (dma_handle)
		*dma_handle = cpu ? handle : DMA_ERR;
	if (cpu && size && handle != DMA_ERR &&
	    !track(dev, DBG_COHERENT, handle, size, dma_to_phys(dev, handle),
			  DMA_BIDIRECTIONAL, cpu, false)) {
		/* no memory to track it: give it back, fail cleanly */
		struct dmapool_decision u;

		dt_begin(&u, dev, "free", size, 0, attrs);
		if (dma_release_from_dev_coherent(dev, get_order_sz(m, size), cpu))
			;
		else if (use_dma_iommu(dev))
			iommu_dma_free(dev, size, cpu, handle, attrs, &u);
		else
			dma_direct_free(dev, size, cpu, handle, attrs, &u);
		cpu = NULL;
		if (dma_handle)
			*dma_handle = DMA_ERR;
		dt_step(&d, "track", "debug_dma_alloc_coherent", "out of memory",
			"the allocation could not be tracked and was freed again");
	}
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
	struct dbg_entry *e;

	if (!dev)
		return;
	m = dev->m;
	dt_begin(&d, dev, "free", size, 0, attrs);
	e = dev_coherent_contains(dev, cpu_addr) ?
		debug_find_start(dev, dma_handle, DBG_COHERENT) : NULL;
	debug_unlink(dev, e);	/* before the pages can be taken again */
	if (dma_release_from_dev_coherent(dev, get_order_sz(m, size), cpu_addr)) {
		/* the kernel's DMA-API debugging never sees the per-device
		 * pool; the device-side checks do */
		untrack(dev, e);
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
	e = unmap_check(dev, DBG_COHERENT, dma_handle, size, DMA_BIDIRECTIONAL,
			cpu_addr, 0);
	if (!e || e->cpu != cpu_addr) {
		/* the kernel would go on and vunmap and free memory this
		 * device never got at that address (another device's
		 * allocation or pool, a freed buffer): a crash there */
		klog(m, "libdmapool: %s %s: dma_free_attrs(%p, %#llx): not a live allocation of this device at that CPU address; the free is ignored",
		     dev_driver_string(dev), dev->name, cpu_addr,
		     (unsigned long long)dma_handle);
		dt_step(&d, "free", "debug_dma_free_coherent", "ignored",
			"no live coherent allocation of this device at DMA address %#llx with CPU address %p",
			(unsigned long long)dma_handle, cpu_addr);
		goto out;
	}
	untrack(dev, e);
	if (via_iommu(dev, &d)) {
		iommu_dma_free(dev, size, cpu_addr, dma_handle, attrs, &d);
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

	if (!dev)
		return NULL;
	m = dev->m;
	iommu_dev_probe(dev);
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
	size = page_align(m, size);
	if (via_iommu(dev, &d)) {
		/* dma_common_alloc_pages(): CMA, else the page allocator,
		 * mapped through the IOMMU without a sync */
		struct cma_area *area = NULL;
		dma_addr_t iova;

		backend = "iommu-cma";
		pa = dma_alloc_contiguous(dev, size, gfp, &d, &area);
		if (pa == PHYS_NONE) {
			backend = "iommu-buddy";
			pa = alloc_pages_i(m, gfp, get_order_sz(m, size));
		}
		if (pa == PHYS_NONE)
			goto out;
		iova = iommu_dma_map_phys(dev, pa, size, dir, DMA_ATTR_SKIP_CPU_SYNC, &d);
		if (iova == DMA_ERR) {
			dma_free_contiguous(dev, pa, size);
			goto out;
		}
		memset(physmem_cpu(m, pa, size), 0, size);
		page = dmapool_pfn_to_page(m, pa >> m->prof.page_shift);
		if (!track(dev, DBG_NONCOHERENT, iova, size, pa, dir, page, true)) {
			iommu_dma_unmap_phys(dev, iova, size, dir, DMA_ATTR_SKIP_CPU_SYNC, NULL);
			dma_free_contiguous(dev, pa, size);
			page = NULL;
			goto out;
		}
		if (dma_handle)
			*dma_handle = iova;
		dt_result(&d, backend, pa, iova, phys_to_virt(m, pa), DMAPOOL_ATTR_WB);
		goto out;
	}
	iommu_note(dev, &d);
	pa = dma_direct_alloc_pages_i(dev, size, gfp, &d, &backend);
	if (pa == PHYS_NONE)
		goto out;
	memset(physmem_cpu(m, pa, size), 0, size);
	page = dmapool_pfn_to_page(m, pa >> m->prof.page_shift);
	if (dma_handle)
		*dma_handle = phys_to_dma(dev, pa);
	/* the CPU owns the pages until dma_sync_single_for_device() */
	if (size && phys_to_dma(dev, pa) != DMA_ERR &&
	    !track(dev, DBG_NONCOHERENT, phys_to_dma(dev, pa), size, pa, dir,
		   dmapool_pfn_to_page(m, pa >> m->prof.page_shift), true)) {
		dma_free_contiguous(dev, pa, size);
		page = NULL;
		goto out;
	}
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

	if (!dev || !page)
		return;
	dt_begin(&d, dev, "free_pages", size, 0, 0);
	untrack(dev, unmap_check(dev, DBG_NONCOHERENT, dma_handle, page_align(dev->m, size),
				 dir, page, 0));
	if (via_iommu(dev, &d)) {
		pa = (phys_addr_t)dmapool_page_to_pfn(page) << dev->m->prof.page_shift;
		iommu_dma_unmap_phys(dev, dma_handle, page_align(dev->m, size), dir,
				     DMA_ATTR_SKIP_CPU_SYNC, &d);
	} else {
		pa = dma_to_phys(dev, dma_handle);
	}
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
	if (use_dma_iommu(dev)) {
		/* iommu_dma_mmap(): page by page */
		phys_addr_t *pages;
		size_t n;
		int rc = iommu_dma_alloc_pages_of(dev, cpu_addr, dma_addr, &pages, &n);

		if (rc)
			return rc;
		rc = 0;
		for (uint64_t i = 0; i < user_count && rc == 0; i++) {
			struct vm_area_struct one = *vma;

			one.vm_start = vma->vm_start + (i << m->prof.page_shift);
			one.vm_end = one.vm_start + m->prof.page_size;
			rc = off + i < n ? remap_pfn_range_i(m, &one, pages[off + i],
							     m->prof.page_size) : -ENXIO;
		}
		free(pages);
		return rc;
	}
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
	if (use_dma_iommu(dev)) {
		/* iommu_dma_get_sgtable(): the allocation's real pages */
		phys_addr_t *pages;
		struct page **pp;
		size_t n;

		ret = iommu_dma_alloc_pages_of(dev, cpu_addr, dma_addr, &pages, &n);
		if (ret)
			return ret;
		pp = malloc(n * sizeof(*pp));
		if (!pp) {
			free(pages);
			return -ENOMEM;
		}
		for (size_t i = 0; i < n; i++)
			pp[i] = dmapool_pfn_to_page(m, pages[i] >> m->prof.page_shift);
		ret = sg_alloc_table_from_pages(sgt, pp, (unsigned)n, 0,
						page_align(m, size), GFP_KERNEL);
		free(pp);
		free(pages);
		return ret;
	}
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
	iommu_dev_probe(dev);
	/* the IOMMU can reach every address: any mask (the IOVA follows it) */
	if (use_dma_iommu(dev))
		return 1;
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
	/* dma_setup_need_sync(): dma-direct skips syncs on coherent devices
	 * until the first SWIOTLB mapping */
	__atomic_store_n(&dev->dma_skip_sync, dev_is_dma_coherent_i(dev), __ATOMIC_RELAXED);
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
	if (use_dma_iommu(dev))
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
	iommu_dev_probe(dev);
	if (min_not_zero_u64(dma_get_mask(dev), dev->bus_dma_limit) <
	    dma_get_required_mask(dev))
		return true;
	if (use_dma_iommu(dev))
		return false;
	return !all_ram_mapped(dev);
}

DMAPOOL_API size_t dma_max_mapping_size(struct device *dev)
{
	if (!dev)
		return SIZE_MAX;
	iommu_dev_probe(dev);
	/* iommu_dma_max_mapping_size(): only untrusted devices bounce
	 * whole buffers */
	if (use_dma_iommu(dev))
		return dev->untrusted && is_swiotlb_active(dev) ?
			swiotlb_max_mapping_size(dev) : SIZE_MAX;
	/* dma_direct_max_mapping_size(): is_swiotlb_active and (limited or
	 * forced bouncing) -> swiotlb_max_mapping_size() */
	if (is_swiotlb_active(dev) &&
	    (dma_addressing_limited(dev) || is_swiotlb_force_bounce(dev)))
		return swiotlb_max_mapping_size(dev);
	return SIZE_MAX;
}

DMAPOOL_API size_t dma_opt_mapping_size(struct device *dev)
{
	size_t max = dma_max_mapping_size(dev);

	/* iommu_dma_opt_mapping_size(): the largest size the IOVA range
	 * caches hold, PAGE_SIZE << (IOVA_RANGE_CACHE_MAX_SIZE - 1) */
	if (dev && use_dma_iommu(dev)) {
		size_t opt = (size_t)dev->m->prof.page_size << (IOVA_RANGE_CACHE_MAX_SIZE - 1);

		return opt < max ? opt : max;
	}
	return max;
}

DMAPOOL_API bool dma_need_sync(struct device *dev, dma_addr_t dma_addr)
{
	if (!dev || __atomic_load_n(&dev->dma_skip_sync, __ATOMIC_RELAXED))
		return false;
	if (use_dma_iommu(dev))
		return true;
	/* dma_direct_need_sync() */
	return !dev_is_dma_coherent_i(dev) ||
	       swiotlb_find_pool(dev, dma_to_phys(dev, dma_addr)) != NULL;
}

DMAPOOL_API bool dev_is_dma_coherent(struct device *dev)
{
	return dev && dev_is_dma_coherent_i(dev);
}

/* ------------------------------------------------------------------ */
/* Streaming mappings                                                  */

/* Decisions are recorded unless tracing was switched off. */
static bool trace_on(const struct device *dev)
{
	return dev && !__atomic_load_n(&dev->m->trace_off, __ATOMIC_RELAXED);
}

phys_addr_t sg_phys_i(struct dmapool_machine *m, const struct scatterlist *sg)
{
	struct page *pg = (struct page *)(sg->page_link & ~SG_PAGE_LINK_MASK);

	return ((phys_addr_t)dmapool_page_to_pfn(pg) << m->prof.page_shift) + sg->offset;
}

static bool valid_dir(int dir)
{
	return dir == DMA_BIDIRECTIONAL || dir == DMA_TO_DEVICE ||
	       dir == DMA_FROM_DEVICE;
}

/* BUG_ON(!valid_dma_direction(dir)): the kernel oopses; here a log line,
 * a report, and the call does nothing. */
static bool check_dir(struct device *dev, int dir, const char *func,
		      uint64_t addr, uint64_t size)
{
	if (valid_dir(dir))
		return true;
	klog(dev->m, "libdmapool: %s %s: BUG_ON(!valid_dma_direction(%d)) in %s: the kernel oopses here; the call is ignored",
	     dev_driver_string(dev), dev->name, dir, func);
	report(dev->m, "bad-direction", dev, addr, size,
	       "DMA-API: %s %s: %s with an invalid direction %d (kernel BUG)",
	       dev_driver_string(dev), dev->name, func, dir);
	return false;
}

/* WARN_ON_ONCE(!dev->dma_mask) */
static bool check_mask(struct device *dev)
{
	if (dev->dma_mask)
		return true;
	warn_once(dev->m, &dev->m->once.map_no_mask,
		  "!dev->dma_mask in a streaming DMA call (no DMA mask pointer)");
	return false;
}

/* Record and file a streaming decision. */
static void stream_end(struct device *dev, struct dmapool_decision *d)
{
	if (d)
		dt_end(dev, d);
}

/* dmapool_fail_next_map(): consumed here, and the trace says so. */
static bool forced_map_failure(struct device *dev, struct dmapool_decision *d,
			       phys_addr_t phys)
{
	if (!fault_take_map(dev))
		return false;
	dt_step(d, "fault", "dmapool_fail_next_map", "forced failure",
		"the test armed a failure of this device's next map");
	dt_result(d, "none", phys, DMA_ERR, NULL, DMAPOOL_ATTR_NONE);
	return true;
}

static dma_addr_t map_phys_i(struct device *dev, phys_addr_t phys, size_t size,
			     enum dma_data_direction dir, unsigned long attrs,
			     struct dmapool_decision *d, int type)
{
	dma_addr_t dma;
	bool io = via_iommu(dev, d);

	if (!io)
		iommu_note(dev, d);
	cache_entry_ctx = NULL;
	if (forced_map_failure(dev, d, phys))
		return DMA_ERR;
	if (io) {
		dma = iommu_dma_map_phys(dev, phys, size, dir, attrs, d);
		if (d)
			dt_result(d, dma == DMA_ERR ? "none" :
				  d->bounce != PHYS_NONE ? "iommu-swiotlb" : "iommu",
				  phys, dma, NULL, DMAPOOL_ATTR_NONE);
	} else {
		dma = dma_direct_map_phys(dev, phys, size, dir, attrs, false, d);
	}
	if (dma != DMA_ERR && size &&
	    !track_ex(dev, type, dma, size, phys, dir, NULL, false, attrs, 0)) {
		/* no memory to track it: undo, fail cleanly */
		if (io)
			iommu_dma_unmap_phys(dev, dma, size, dir,
					     attrs | DMA_ATTR_SKIP_CPU_SYNC, NULL);
		else
			dma_direct_unmap_phys(dev, dma, size, dir,
					      attrs | DMA_ATTR_SKIP_CPU_SYNC, NULL);
		dt_step(d, "track", "debug_dma_map_page", "out of memory",
			"the mapping could not be tracked and was undone");
		return DMA_ERR;
	}
	return dma;
}

DMAPOOL_API dma_addr_t dma_map_page_attrs(struct device *dev, struct page *page,
					  size_t offset, size_t size,
					  enum dma_data_direction dir,
					  unsigned long attrs)
{
	struct dmapool_decision dd_, *d = trace_on(dev) ? &dd_ : NULL;
	struct dmapool_machine *m;
	phys_addr_t phys;
	dma_addr_t dma;

	if (!dev)
		return DMA_MAPPING_ERROR;
	m = dev->m;
	iommu_dev_probe(dev);
	if (!check_dir(dev, dir, "dma_map_page_attrs", 0, size) || !check_mask(dev))
		return DMA_MAPPING_ERROR;
	dt_begin_map(d, dev, "map", size, dir, attrs);
	if (!page || !physmem_is_page(m, page)) {
		dt_step(d, "memory", "page_to_phys", "not a page",
			"%p is not a struct page of this machine", (void *)page);
		report(m, "map-bad-page", dev, 0, size,
		       "DMA-API: %s %s: dma_map_page(%p): not a struct page of this machine (use alloc_pages() or virt_to_page() of kmalloc memory)",
		       dev_driver_string(dev), dev->name, (void *)page);
		stream_end(dev, d);
		return DMA_MAPPING_ERROR;
	}
	phys = ((phys_addr_t)dmapool_page_to_pfn(page) << m->prof.page_shift) + offset;
	if (!size || !physmem_dram(m, phys, size)) {
		dt_step(d, "memory", "page_to_phys", "not RAM",
			"[%#llx, +%#zx) is not simulated RAM", (unsigned long long)phys, size);
		if (size)
			report(m, "map-not-ram", dev, phys, size,
			       "DMA-API: %s %s: dma_map_page: [%#llx, +%#zx) runs past the end of RAM",
			       dev_driver_string(dev), dev->name,
			       (unsigned long long)phys, size);
		if (!size) {
			dma = dma_direct_map_phys(dev, phys, size, dir, attrs, false, d);
			stream_end(dev, d);
			return dma;
		}
		stream_end(dev, d);
		return DMA_MAPPING_ERROR;
	}
	dt_step(d, "memory", "page_to_phys", "ok", "page at %#llx + offset %#zx",
		(unsigned long long)(phys - offset), offset);
	dma = map_phys_i(dev, phys, size, dir, attrs, d, DBG_SINGLE);
	stream_end(dev, d);
	return dma;
}

DMAPOOL_API dma_addr_t dma_map_single_attrs(struct device *dev, void *ptr,
					    size_t size,
					    enum dma_data_direction dir,
					    unsigned long attrs)
{
	struct dmapool_decision dd_, *d = trace_on(dev) ? &dd_ : NULL;
	struct dmapool_machine *m;
	phys_addr_t phys;
	dma_addr_t dma;

	if (!dev)
		return DMA_MAPPING_ERROR;
	m = dev->m;
	iommu_dev_probe(dev);
	phys = ptr ? physmem_linear_to_phys(m, ptr) : PHYS_NONE;
	if (ptr && phys == PHYS_NONE && physmem_attr(m, ptr) != DMAPOOL_ATTR_NONE) {
		/* dev_WARN_ONCE(dev, is_vmalloc_addr(ptr), ...) */
		dev_warn_once_i(dev, &m->once.map_vmalloc,
				"rejecting DMA map of vmalloc memory");
		debug_err(dev, "map-vmalloc", (uint64_t)(uintptr_t)ptr, size,
			  "device driver maps memory from vmalloc area [addr=%p] [len=%zu]; vmalloc (or remapped) memory is not in the linear map: map its pages with dma_map_page(vmalloc_to_page(...)) or use kmalloc()",
			  ptr, size);
		dt_begin_map(d, dev, "map", size, dir, attrs);
		dt_step(d, "memory", "is_vmalloc_addr", "yes: rejected",
			"the buffer is in the vmalloc area (vmalloc or a remapped buffer)");
		stream_end(dev, d);
		return DMA_MAPPING_ERROR;
	}
	if (phys == PHYS_NONE || (size && physmem_linear_to_phys(m, (char *)ptr + size - 1) !=
				  phys + size - 1)) {
		dt_begin_map(d, dev, "map", size, dir, attrs);
		dt_step(d, "memory", "virt_to_page", "not in the linear map", "%s",
			phys == PHYS_NONE ? "the buffer is not memory of this machine's linear map" :
			"the buffer runs past the end of this machine's linear map");
		klog(m, "libdmapool: %s %s: dma_map_single(%p, %#zx): not in the simulated linear map; allocate the buffer with kmalloc(), __get_free_pages() or alloc_pages()",
		     dev_driver_string(dev), dev->name, ptr, size);
		/* debug_dma_map_single() / check_for_stack() /
		 * check_for_illegal_area(), with the kernel's words */
		if (debug_on_stack(ptr))
			debug_err(dev, "debug-map-stack", (uint64_t)(uintptr_t)ptr, size,
				  "device driver maps memory from stack [probable addr=%p]; the stack is not in the simulated linear map: allocate the buffer with kmalloc(), __get_free_pages() or alloc_pages()",
				  ptr);
		else if (debug_in_rodata(ptr))
			debug_err(dev, "debug-map-rodata", (uint64_t)(uintptr_t)ptr, size,
				  "device driver maps memory from kernel text or rodata [addr=%p] [len=%zu]; constant data is not in the simulated linear map: copy it into a kmalloc() buffer",
				  ptr, size);
		else
			debug_err(dev, "map-not-linear", (uint64_t)(uintptr_t)ptr, size,
				  "device driver maps memory from invalid area [addr=%p] [len=%zu]; the buffer is not in the simulated linear map (host malloc memory?): allocate it with kmalloc(), __get_free_pages() or alloc_pages()",
				  ptr, size);
		stream_end(dev, d);
		return DMA_MAPPING_ERROR;
	}
	if (!check_dir(dev, dir, "dma_map_page_attrs", phys, size) || !check_mask(dev))
		return DMA_MAPPING_ERROR;
	dt_begin_map(d, dev, "map", size, dir, attrs);
	dt_step(d, "memory", "virt_to_page", "linear map",
		"the buffer is linear-map memory at phys %#llx", (unsigned long long)phys);
	dma = map_phys_i(dev, phys, size, dir, attrs, d, DBG_SINGLE);
	stream_end(dev, d);
	return dma;
}

DMAPOOL_API void dma_unmap_page_attrs(struct device *dev, dma_addr_t addr,
				      size_t size, enum dma_data_direction dir,
				      unsigned long attrs)
{
	struct dmapool_decision dd_, *d = trace_on(dev) ? &dd_ : NULL;
	struct dbg_entry *e;
	bool io;

	if (!dev || !check_dir(dev, dir, "dma_unmap_page_attrs", addr, size))
		return;
	dt_begin_map(d, dev, "unmap", size, dir, attrs);
	io = via_iommu(dev, d);
	if (!io)
		iommu_note(dev, d);
	e = unmap_check(dev, DBG_SINGLE, addr, size, dir, NULL, 0);
	debug_unlink(dev, e);	/* before the address can be mapped again */
	if ((attrs & DMA_ATTR_SKIP_CPU_SYNC) && dir != DMA_TO_DEVICE &&
	    !dev_is_dma_coherent_i(dev)) {
		phys_addr_t pa = io ? iommu_iova_to_phys(dev, addr) : dma_to_phys(dev, addr);

		if (pa != PHYS_NONE)
			cache_check_stale(dev, e, pa, size);
	}
	cache_entry_ctx = e;
	if (io) {
		phys_addr_t pa = iommu_iova_to_phys(dev, addr);

		iommu_dma_unmap_phys(dev, addr, size, dir, attrs, d);
		dt_result(d, "iommu", pa, addr, NULL, DMAPOOL_ATTR_NONE);
	} else {
		dma_direct_unmap_phys(dev, addr, size, dir, attrs, d);
	}
	cache_entry_ctx = NULL;
	untrack(dev, e);
	stream_end(dev, d);
}

DMAPOOL_API dma_addr_t dma_map_resource(struct device *dev, phys_addr_t phys,
					size_t size, enum dma_data_direction dir,
					unsigned long attrs)
{
	struct dmapool_decision dd_, *d = trace_on(dev) ? &dd_ : NULL;
	struct dmapool_machine *m;
	dma_addr_t dma = phys;

	if (!dev)
		return DMA_MAPPING_ERROR;
	m = dev->m;
	if (!check_dir(dev, dir, "dma_map_resource", phys, size) || !check_mask(dev))
		return DMA_MAPPING_ERROR;
	iommu_dev_probe(dev);
	dt_begin_map(d, dev, "map_resource", size, dir, attrs);
	if (via_iommu(dev, d)) {
		dma = iommu_dma_map_resource(dev, phys, size, dir, attrs, d);
		if (dma != DMA_ERR && size &&
		    !track_ex(dev, DBG_RESOURCE, dma, size, phys, dir, NULL, false, attrs, 0)) {
			iommu_dma_unmap_phys(dev, dma, size, dir, DMA_ATTR_SKIP_CPU_SYNC, NULL);
			dma = DMA_ERR;
		}
		dt_result(d, dma == DMA_ERR ? "none" : "iommu", phys, dma, NULL, DMAPOOL_ATTR_NONE);
		stream_end(dev, d);
		return dma;
	}
	iommu_note(dev, d);
	/* dma_direct_map_resource(): the bus address is the physical one */
	if (!dma_capable(dev, dma, size)) {
		dt_step(d, "reach", "dma_capable", "no",
			"MMIO %#llx+%#zx is beyond min_not_zero(dma_mask %#llx, bus_dma_limit %#llx)",
			(unsigned long long)phys, size,
			(unsigned long long)*dev->dma_mask,
			(unsigned long long)dev->bus_dma_limit);
		if (dev_warn_once_i(dev, &m->once.resource_overflow,
				    "DMA addr 0x%016llx+%zu overflow (mask %llx, bus limit %llx).",
				    (unsigned long long)dma, size,
				    (unsigned long long)*dev->dma_mask,
				    (unsigned long long)dev->bus_dma_limit))
			klog(m, "libdmapool: WARN_ON_ONCE: dma_direct_map_resource: overflow");
		dt_result(d, "none", phys, DMA_ERR, NULL, DMAPOOL_ATTR_NONE);
		stream_end(dev, d);
		return DMA_MAPPING_ERROR;
	}
	dt_step(d, "reach", "dma_capable", "yes",
		"MMIO %#llx+%#zx mapped untranslated, no cache maintenance",
		(unsigned long long)phys, size);
	if (size && !track_ex(dev, DBG_RESOURCE, dma, size, phys, dir, NULL, false, attrs, 0))
		dma = DMA_ERR;		/* out of memory: nothing to undo */
	dt_result(d, dma == DMA_ERR ? "none" : "direct", phys, dma, NULL, DMAPOOL_ATTR_NONE);
	stream_end(dev, d);
	return dma;
}

DMAPOOL_API void dma_unmap_resource(struct device *dev, dma_addr_t addr,
				    size_t size, enum dma_data_direction dir,
				    unsigned long attrs)
{
	struct dmapool_decision dd_, *d = trace_on(dev) ? &dd_ : NULL;

	if (!dev || !check_dir(dev, dir, "dma_unmap_resource", addr, size))
		return;
	dt_begin_map(d, dev, "unmap_resource", size, dir, attrs);
	untrack(dev, unmap_check(dev, DBG_RESOURCE, addr, size, dir, NULL, 0));
	if (via_iommu(dev, d)) {
		iommu_dma_unmap_phys(dev, addr, size, dir, DMA_ATTR_SKIP_CPU_SYNC, d);
		dt_result(d, "iommu", PHYS_NONE, addr, NULL, DMAPOOL_ATTR_NONE);
		stream_end(dev, d);
		return;
	}
	dt_step(d, "direct", "dma_unmap_resource", "nothing to do",
		"dma-direct keeps no state for a resource mapping");
	dt_result(d, "direct", addr, addr, NULL, DMAPOOL_ATTR_NONE);
	stream_end(dev, d);
}

/* dma_dev_need_sync(): CONFIG_DMA_API_DEBUG is off in Debian, so a
 * device whose syncs were found unnecessary skips them entirely. */
static bool need_sync(struct device *dev, struct dmapool_decision *d)
{
	if (!__atomic_load_n(&dev->dma_skip_sync, __ATOMIC_RELAXED))
		return true;
	dt_step(d, "skip-sync", "dma_dev_need_sync", "no: nothing to do",
		"coherent device that has never bounced through SWIOTLB (dma_skip_sync)");
	return false;
}

static void sync_single_i(struct device *dev, dma_addr_t addr, size_t size,
			  int dir, bool for_device, struct dmapool_decision *d)
{
	phys_addr_t pa;

	if (need_sync(dev, d)) {
		if (!check_dir(dev, dir, for_device ? "__dma_sync_single_for_device" :
			       "__dma_sync_single_for_cpu", addr, size))
			return;
		if (use_dma_iommu(dev)) {
			via_iommu(dev, d);
			pa = iommu_iova_to_phys(dev, addr);
			iommu_dma_sync_single(dev, addr, size, dir, for_device, d);
			dt_result(d, pa != PHYS_NONE && swiotlb_find_pool(dev, pa) ?
				  "iommu-swiotlb" : "iommu", pa, addr, NULL, DMAPOOL_ATTR_NONE);
			stream_end(dev, d);
			return;
		}
		pa = dma_to_phys(dev, addr);
		if (pa == PHYS_NONE || !physmem_dram(dev->m, pa, size ? size : 1)) {
			dt_step(d, "memory", "dma_to_phys", "not RAM",
				"DMA address %#llx+%#zx does not translate to simulated RAM",
				(unsigned long long)addr, size);
			report(dev->m, "sync-not-ram", dev, addr, size,
			       "DMA-API: %s %s: sync of DMA address %#llx+%#zx, which is not RAM the device can reach",
			       dev_driver_string(dev), dev->name,
			       (unsigned long long)addr, size);
			stream_end(dev, d);
			return;
		}
		if (for_device)
			dma_direct_sync_single_for_device(dev, addr, size, dir, d);
		else
			dma_direct_sync_single_for_cpu(dev, addr, size, dir, d);
		if (d) {	/* untraced: no pool lookups for the record */
			dt_result(d, swiotlb_find_pool(dev, pa) ? swiotlb_backend_name(dev) : "direct",
				  pa, addr, NULL, DMAPOOL_ATTR_NONE);
			if (swiotlb_find_pool(dev, pa))
				dt_result_phys(d, pa);
		}
	} else {
		dt_result(d, "direct", dma_to_phys(dev, addr), addr, NULL,
			  DMAPOOL_ATTR_NONE);
	}
	stream_end(dev, d);
}

static void sync_single(struct device *dev, dma_addr_t addr, size_t size,
			int dir, bool for_device)
{
	struct dmapool_decision dd_, *d = trace_on(dev) ? &dd_ : NULL;
	struct dbg_entry *e;

	if (!dev)
		return;
	dt_begin_map(d, dev, for_device ? "sync_for_device" : "sync_for_cpu",
		     size, dir, 0);
	/* check_sync(); ownership changes hands whether or not the sync has
	 * work to do */
	e = NULL;
	if (valid_dir(dir)) {	/* a bad direction is a BUG_ON before this */
		struct dbg_ref ref = { DBG_SINGLE, dir, addr, size, NULL, 0 };

		e = debug_check_sync(dev, &ref, !for_device);
	}
	if (e && !dbg_streaming(e))
		e = NULL;	/* no ownership, no cache context */
	if (!for_device)
		own(dev, e, false);
	cache_entry_ctx = e;
	sync_single_i(dev, addr, size, dir, for_device, d);
	cache_entry_ctx = NULL;
	if (for_device)
		own(dev, e, true);
}

DMAPOOL_API void dma_sync_single_for_cpu(struct device *dev, dma_addr_t addr,
					 size_t size, enum dma_data_direction dir)
{
	sync_single(dev, addr, size, dir, false);
}

DMAPOOL_API void dma_sync_single_for_device(struct device *dev, dma_addr_t addr,
					    size_t size, enum dma_data_direction dir)
{
	sync_single(dev, addr, size, dir, true);
}

/* ---- scatter-gather ---- */

/*
 * check_sg_segment() of kernel/dma/debug.c, always on here: a segment
 * longer than dma_get_max_seg_size() or crossing dma_get_seg_boundary()
 * is what the device said it cannot take.  Reports only: Debian's kernel
 * has no DMA-API debugging, so it prints nothing.
 */
static void check_sg_segment(struct device *dev, const struct scatterlist *sg)
{
	uint64_t start = sg->dma_address, end = start + sg->dma_length - 1;
	uint64_t boundary = dev->seg_boundary ? dev->seg_boundary : ~0ULL;

	if (sg->dma_length > dev->max_seg_size)
		debug_err(dev, "sg-segment-too-long", start, sg->dma_length,
			  "mapping sg segment longer than device claims to support [len=%u] [max=%u]",
			  sg->dma_length, (unsigned int)dev->max_seg_size);
	if (sg->dma_length && ((start ^ end) & ~boundary))
		debug_err(dev, "sg-segment-boundary", start, sg->dma_length,
			  "mapping sg segment across boundary [start=0x%016llx] [end=0x%016llx] [boundary=0x%016llx]",
			  (unsigned long long)start, (unsigned long long)end,
			  (unsigned long long)boundary);
}

static int map_sg_i(struct device *dev, struct scatterlist *sgl, int nents,
		    enum dma_data_direction dir, unsigned long attrs)
{
	struct dmapool_decision dd_, *d = trace_on(dev) ? &dd_ : NULL, e;
	struct dmapool_machine *m = dev->m;
	struct scatterlist *sg = sgl;
	int i, ret = nents;
	const char *backend = "direct";

	dt_begin_map(d, dev, "map_sg", 0, dir, attrs);
	if (use_dma_iommu(dev)) {
		via_iommu(dev, d);
		for (i = 0, sg = sgl; i < nents && sg; i++, sg = sg_next_i(sg)) {
			struct page *pg = (struct page *)(sg->page_link & ~SG_PAGE_LINK_MASK);

			if (d) d->size += sg->length;
			if (!pg || !physmem_is_page(m, pg)) {
				report(m, "map-bad-page", dev, 0, sg->length,
				       "DMA-API: %s %s: dma_map_sg entry %d: not a struct page of this machine",
				       dev_driver_string(dev), dev->name, i);
				dt_step(d, "entry", "iommu_dma_map_sg", "not a page",
					"entry %d has no page of this machine", i);
				dt_result(d, "none", PHYS_NONE, DMA_ERR, NULL, DMAPOOL_ATTR_NONE);
				stream_end(dev, d);
				return -EINVAL;
			}
		}
		if (forced_map_failure(dev, d, PHYS_NONE)) {
			stream_end(dev, d);
			return -ENOMEM;
		}
		ret = iommu_dma_map_sg(dev, sgl, nents, dir, attrs, d);
		for (i = 0, sg = sgl; ret > 0 && i < ret && sg; i++, sg = sg_next_i(sg)) {
			phys_addr_t phys = sg_phys_i(m, sg);

			check_sg_segment(dev, sg);
			if (sg->dma_length &&
			    !track_ex(dev, DBG_SG, sg->dma_address, sg->dma_length, phys, dir,
				      NULL, false, attrs, nents)) {
				struct scatterlist *u = sgl;

				for (int k = 0; k < i && u; k++, u = sg_next_i(u))
					untrack(dev, debug_find_start(dev, u->dma_address, DBG_SG));
				iommu_dma_unmap_sg(dev, sgl, nents, dir,
						   attrs | DMA_ATTR_SKIP_CPU_SYNC, NULL);
				ret = -ENOMEM;
			}
		}
		if (ret > 0) {
			dt_result(d, "iommu", PHYS_NONE, sgl->dma_address, NULL,
				  DMAPOOL_ATTR_NONE);
		} else {
			dt_result(d, "none", PHYS_NONE, DMA_ERR, NULL, DMAPOOL_ATTR_NONE);
		}
		stream_end(dev, d);
		return ret;
	}
	iommu_note(dev, d);
	if (forced_map_failure(dev, d, PHYS_NONE)) {
		stream_end(dev, d);
		return -ENOMEM;
	}
	for (i = 0; i < nents && sg; i++, sg = sg_next_i(sg)) {
		struct page *pg = (struct page *)(sg->page_link & ~SG_PAGE_LINK_MASK);
		phys_addr_t phys;

		if (d) d->size += sg->length;
		if (!pg || !physmem_is_page(m, pg)) {
			report(m, "map-bad-page", dev, 0, sg->length,
			       "DMA-API: %s %s: dma_map_sg entry %d: not a struct page of this machine",
			       dev_driver_string(dev), dev->name, i);
			dt_step(d, "entry", "dma_direct_map_sg", "not a page",
				"entry %d has no page of this machine", i);
			ret = -EINVAL;
			break;
		}
		phys = sg_phys_i(m, sg);
		dt_begin_map(&e, dev, "map", sg->length, dir, attrs);
		sg->dma_address = dma_direct_map_phys(dev, phys, sg->length, dir, attrs, true,
						      d ? &e : NULL);
		if (i < DMAPOOL_DECISION_MAX_STEPS - 4)
			dt_step(d, "entry", "dma_direct_map_phys",
				e.ok ? e.backend : "failed: -EIO",
				"entry %d: phys %#llx len %#x -> dma %#llx", i,
				(unsigned long long)phys, sg->length,
				(unsigned long long)sg->dma_address);
		if (sg->dma_address == DMA_MAPPING_ERROR) {
			ret = -EIO;
			break;
		}
		if (d && strcmp(e.backend, "direct"))
			backend = e.backend;
		sg->dma_length = sg->length;
		check_sg_segment(dev, sg);
		if (sg->dma_length &&
		    !track_ex(dev, DBG_SG, sg->dma_address, sg->dma_length, phys, dir,
			      NULL, false, attrs, nents)) {
			/* no memory to track it: undo this one, unwind the rest */
			dma_direct_unmap_phys(dev, sg->dma_address, sg->dma_length, dir,
					      attrs | DMA_ATTR_SKIP_CPU_SYNC, NULL);
			ret = -ENOMEM;
			break;
		}
	}
	if (ret < 0) {
		/* unwind the mapped entries without syncing */
		struct scatterlist *u = sgl;

		for (int k = 0; k < i && u; k++, u = sg_next_i(u)) {
			untrack(dev, debug_find_start(dev, u->dma_address, DBG_SG));
			dma_direct_unmap_phys(dev, u->dma_address, u->dma_length, dir,
					      attrs | DMA_ATTR_SKIP_CPU_SYNC, NULL);
		}
		dt_step(d, "unwind", "dma_direct_unmap_sg", "unmapped",
			"%d entries mapped before the failure were unmapped (DMA_ATTR_SKIP_CPU_SYNC)", i);
		dt_result(d, "none", PHYS_NONE, DMA_ERR, NULL, DMAPOOL_ATTR_NONE);
	} else {
		dt_result(d, backend, nents ? dma_to_phys(dev, sgl->dma_address) : PHYS_NONE,
			  nents ? sgl->dma_address : DMA_ERR, NULL, DMAPOOL_ATTR_NONE);
	}
	stream_end(dev, d);
	return ret;
}

/* __dma_map_sg_attrs(): > 0 entries, or a negative errno. */
static int dma_map_sg_i(struct device *dev, struct scatterlist *sg, int nents,
			enum dma_data_direction dir, unsigned long attrs)
{
	if (!dev || !check_dir(dev, dir, "__dma_map_sg_attrs", 0, 0))
		return -EINVAL;
	iommu_dev_probe(dev);
	if (!check_mask(dev))
		return 0;
	if (!sg || nents <= 0) {
		report(dev->m, "map-sg-empty", dev, 0, 0,
		       "DMA-API: %s %s: dma_map_sg with %d entries",
		       dev_driver_string(dev), dev->name, nents);
		return -EINVAL;
	}
	return map_sg_i(dev, sg, nents, dir, attrs);
}

DMAPOOL_API unsigned int dma_map_sg_attrs(struct device *dev,
					  struct scatterlist *sg, int nents,
					  enum dma_data_direction dir,
					  unsigned long attrs)
{
	int ret = dma_map_sg_i(dev, sg, nents, dir, attrs);

	return ret < 0 ? 0 : (unsigned int)ret;
}

DMAPOOL_API int dma_map_sgtable(struct device *dev, struct sg_table *sgt,
				enum dma_data_direction dir, unsigned long attrs)
{
	int nents;

	if (!sgt)
		return -EINVAL;
	nents = dma_map_sg_i(dev, sgt->sgl, (int)sgt->orig_nents, dir, attrs);
	if (nents < 0)
		return nents;
	sgt->nents = (unsigned int)nents;
	return 0;
}

DMAPOOL_API void dma_unmap_sg_attrs(struct device *dev, struct scatterlist *sgl,
				    int nents, enum dma_data_direction dir,
				    unsigned long attrs)
{
	struct dmapool_decision dd_, *d = trace_on(dev) ? &dd_ : NULL;
	struct scatterlist *sg = sgl;

	if (!dev || !check_dir(dev, dir, "dma_unmap_sg_attrs", 0, 0))
		return;
	dt_begin_map(d, dev, "unmap_sg", 0, dir, attrs);
	if (use_dma_iommu(dev)) {
		via_iommu(dev, d);
		/* debug_dma_unmap_sg(): the mapped segments */
		for (int i = 0; i < nents && sg && sg->dma_length; i++, sg = sg_next_i(sg)) {
			if (d) d->size += sg->dma_length;
			untrack(dev, unmap_check(dev, DBG_SG, sg->dma_address, sg->dma_length,
						 dir, NULL, nents));
		}
		iommu_dma_unmap_sg(dev, sgl, nents, dir, attrs, d);
		dt_result(d, "iommu", PHYS_NONE, sgl ? sgl->dma_address : DMA_ERR, NULL,
			  DMAPOOL_ATTR_NONE);
		stream_end(dev, d);
		return;
	}
	for (int i = 0; i < nents && sg; i++, sg = sg_next_i(sg)) {
		struct dbg_entry *e = unmap_check(dev, DBG_SG, sg->dma_address,
						  sg->dma_length, dir, NULL, nents);

		debug_unlink(dev, e);	/* before the address can be mapped again */
		if (d) d->size += sg->dma_length;
		if ((attrs & DMA_ATTR_SKIP_CPU_SYNC) && dir != DMA_TO_DEVICE &&
		    !dev_is_dma_coherent_i(dev))
			cache_check_stale(dev, e, dma_to_phys(dev, sg->dma_address),
					  sg->dma_length);
		cache_entry_ctx = e;
		dma_direct_unmap_phys(dev, sg->dma_address, sg->dma_length, dir,
				      attrs, i < 4 ? d : NULL);
		cache_entry_ctx = NULL;
		untrack(dev, e);
	}
	dt_result(d, "direct", PHYS_NONE, sgl ? sgl->dma_address : DMA_ERR, NULL,
		  DMAPOOL_ATTR_NONE);
	stream_end(dev, d);
}

static void sync_sg(struct device *dev, struct scatterlist *sgl, int nelems,
		    int dir, bool for_device)
{
	struct dmapool_decision dd_, *d = trace_on(dev) ? &dd_ : NULL;
	struct scatterlist *sg = sgl;

	if (!dev)
		return;
	dt_begin_map(d, dev, for_device ? "sync_sg_for_device" : "sync_sg_for_cpu",
		     0, dir, 0);
	bool work = need_sync(dev, d) &&
		check_dir(dev, dir, for_device ? "__dma_sync_sg_for_device" :
			  "__dma_sync_sg_for_cpu", 0, 0);

	if (use_dma_iommu(dev)) {
		struct dbg_entry *first = NULL;

		via_iommu(dev, d);
		/* debug: the mapped segments change hands */
		for (int i = 0; i < nelems && sg && sg->dma_length; i++, sg = sg_next_i(sg)) {
			struct dbg_ref ref = { DBG_SG, dir, sg->dma_address, sg->dma_length,
					       NULL, nelems };
			struct dbg_entry *e = valid_dir(dir) ?
				debug_check_sync(dev, &ref, !for_device) : NULL;

			if (!i)
				first = e;
			if (e && dbg_streaming(e) && !for_device)
				own(dev, e, false);
		}
		if (work) {
			/* the cache model's reports name the mapping: the
			 * list's first DMA segment (one segment when the
			 * IOVA range merged, as it usually does) */
			cache_entry_ctx = first;
			iommu_dma_sync_sg(dev, sgl, nelems, dir, for_device, d);
			cache_entry_ctx = NULL;
		}
		for (sg = sgl; for_device && sg && sg->dma_length; sg = sg_next_i(sg)) {
			struct dbg_entry *e = debug_find_start(dev, sg->dma_address, DBG_SG);

			if (e)
				own(dev, e, true);
		}
		dt_result(d, "iommu", PHYS_NONE, sgl ? sgl->dma_address : DMA_ERR, NULL,
			  DMAPOOL_ATTR_NONE);
		stream_end(dev, d);
		return;
	}

	for (int i = 0; i < nelems && sg; i++, sg = sg_next_i(sg)) {
		struct dmapool_decision *dd = i < 4 ? d : NULL;
		struct dbg_ref ref = { DBG_SG, dir, sg->dma_address, sg->length, NULL, nelems };
		struct dbg_entry *e = valid_dir(dir) ?
			debug_check_sync(dev, &ref, !for_device) : NULL;

		if (e && !dbg_streaming(e))
			e = NULL;

		if (!for_device)
			own(dev, e, false);
		cache_entry_ctx = e;
		if (d && work) d->size += sg->length;
		if (work && for_device)
			dma_direct_sync_single_for_device(dev, sg->dma_address,
							  sg->length, dir, dd);
		else if (work)
			dma_direct_sync_single_for_cpu(dev, sg->dma_address,
						       sg->length, dir, dd);
		cache_entry_ctx = NULL;
		if (for_device)
			own(dev, e, true);
	}
	dt_result(d, "direct", PHYS_NONE, sgl ? sgl->dma_address : DMA_ERR, NULL,
		  DMAPOOL_ATTR_NONE);
	stream_end(dev, d);
}

DMAPOOL_API void dma_sync_sg_for_cpu(struct device *dev, struct scatterlist *sg,
				     int nelems, enum dma_data_direction dir)
{
	sync_sg(dev, sg, nelems, dir, false);
}

DMAPOOL_API void dma_sync_sg_for_device(struct device *dev, struct scatterlist *sg,
					int nelems, enum dma_data_direction dir)
{
	sync_sg(dev, sg, nelems, dir, true);
}

/* ---- limits ---- */

DMAPOOL_API unsigned int dma_get_max_seg_size(struct device *dev)
{
	return dev ? (unsigned int)dev->max_seg_size : 65536;
}

DMAPOOL_API int dma_set_max_seg_size(struct device *dev, unsigned int size)
{
	if (!dev)
		return -EIO;
	dev->max_seg_size = size;
	return 0;
}

DMAPOOL_API unsigned long dma_get_seg_boundary(struct device *dev)
{
	return dev && dev->seg_boundary ? (unsigned long)dev->seg_boundary : ~0UL;
}

DMAPOOL_API void dma_set_seg_boundary(struct device *dev, unsigned long mask)
{
	if (dev)
		dev->seg_boundary = mask;
}

DMAPOOL_API void dma_set_min_align_mask(struct device *dev,
					unsigned int min_align_mask)
{
	if (dev)
		dev->min_align_mask = min_align_mask;
}

DMAPOOL_API unsigned int dma_get_min_align_mask(struct device *dev)
{
	return dev ? (unsigned int)dev->min_align_mask : 0;
}

/*
 * sg_alloc_table_from_pages_segment() (lib/scatterlist.c): physically
 * contiguous runs of pages become one entry of at most max_seg (rounded
 * down to pages), the first entry starts at offset, the last ends where
 * size ends.  sg_alloc_table_from_pages() is the same with UINT_MAX.
 */
DMAPOOL_API int sg_alloc_table_from_pages_segment(struct sg_table *sgt,
						  struct page **pages,
						  unsigned int n_pages,
						  unsigned int offset,
						  unsigned long size,
						  unsigned int max_seg,
						  gfp_t gfp_mask)
{
	unsigned int chunks = 1, cur = 0, k = 0;
	struct dmapool_machine *m;
	uint64_t seg_len = 0, ps, max_segment;
	int ret;

	if (!sgt)
		return -EINVAL;
	memset(sgt, 0, sizeof(*sgt));
	if (!pages || !n_pages || !pages[0])
		return -EINVAL;
	m = machine_registry_find_va(pages[0]);
	if (!m)
		return -EINVAL;
	ps = m->prof.page_size;
	max_segment = ALIGN_DOWN((uint64_t)max_seg, ps);
	if (max_segment < ps)	/* WARN_ON(max_segment < PAGE_SIZE) */
		return -EINVAL;
	if (offset >= ps || size > n_pages * ps - offset)
		return -EINVAL;
	for (unsigned int i = 0; i < n_pages; i++)
		if (!pages[i] || !physmem_is_page(m, pages[i]))
			return -EINVAL;
	for (unsigned int i = 1; i < n_pages; i++) {
		seg_len += ps;
		if (seg_len >= max_segment ||
		    dmapool_page_to_pfn(pages[i]) != dmapool_page_to_pfn(pages[i - 1]) + 1) {
			chunks++;
			seg_len = 0;
		}
	}
	ret = sg_alloc_table(sgt, chunks, gfp_mask);
	if (ret)
		return ret;
	for (unsigned int i = 0; i < chunks; i++) {
		unsigned int j;
		uint64_t chunk;
		struct scatterlist *s = &sgt->sgl[k++];

		seg_len = 0;
		for (j = cur + 1; j < n_pages; j++) {
			seg_len += ps;
			if (seg_len >= max_segment ||
			    dmapool_page_to_pfn(pages[j]) != dmapool_page_to_pfn(pages[j - 1]) + 1)
				break;
		}
		chunk = (uint64_t)(j - cur) * ps - offset;
		s->page_link = (s->page_link & SG_PAGE_LINK_MASK) |
			       (unsigned long)(uintptr_t)pages[cur];
		s->offset = offset;
		s->length = (unsigned int)(size < chunk ? size : chunk);
		size -= size < chunk ? size : chunk;
		offset = 0;
		cur = j;
	}
	return 0;
}

DMAPOOL_API int sg_alloc_table_from_pages(struct sg_table *sgt,
					  struct page **pages,
					  unsigned int n_pages,
					  unsigned int offset,
					  unsigned long size, gfp_t gfp_mask)
{
	return sg_alloc_table_from_pages_segment(sgt, pages, n_pages, offset,
						 size, UINT32_MAX, gfp_mask);
}
