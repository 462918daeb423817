/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * dma-direct: coherent allocation and free without an IOMMU (models
 * kernel/dma/direct.c, kernel/dma/direct.h and the zone/page parts of
 * mm/page_alloc.c that they reach).
 *
 * dma_direct_alloc() walks the kernel's branches in order:
 * NO_KERNEL_MAPPING, the non-coherent strategies (arch allocator, global
 * pool, remap), the atomic pools for calls that cannot block, then
 * __dma_direct_alloc_pages(): CMA (device area, then the default area for
 * more than one page, only when blocking) and the buddy allocator with the
 * zone retries, every result checked by dma_coherent_ok().  A remapped
 * buffer is a second CPU mapping of the same pages with dma_pgprot()'s
 * attribute; the handle is phys_to_dma() through the device's range map.
 *
 * Left out: memory encryption (force_dma_unencrypted is false on every
 * profile), highmem (no modelled profile has it), NUMA nodes, and
 * ARCH_HAS_DMA_SET_UNCACHED (no modelled profile selects it).
 *
 * The streaming half (dma_direct_map_phys and its unmap, syncs and
 * scatter-gather, dma_direct_map_resource) follows kernel/dma/direct.h:
 * forced bouncing first, then dma_capable() and dma_kmalloc_needs_bounce()
 * decide between the buffer itself and a SWIOTLB slot, then the cache
 * maintenance of a non-coherent device.  dma-direct never merges
 * scatter-gather entries; a failing entry unwinds the ones before it.
 */
#include <sys/mman.h>

#include "internal.h"

uint64_t page_align(const struct dmapool_machine *m, uint64_t size)
{
	uint64_t ps = m->prof.page_size;

	if (size > UINT64_MAX - (ps - 1))
		return 0;	/* wraps like PAGE_ALIGN on the kernel's longs */
	return (size + ps - 1) & ~(ps - 1);
}

unsigned get_order_sz(const struct dmapool_machine *m, uint64_t size)
{
	/* get_order(0) is fls64(~0UL >> PAGE_SHIFT) = 64 - PAGE_SHIFT */
	uint64_t pages = (size - 1) >> m->prof.page_shift;

	return fls64_u(pages);
}

bool dev_is_dma_coherent_i(const struct device *dev)
{
	if (dev->m->prof.all_coherent)
		return true;
	return dev->coherent;
}

/* min_not_zero(coherent_dma_mask, bus_dma_limit) */
static uint64_t coherent_limit(const struct device *dev)
{
	return min_not_zero_u64(dev->coherent_dma_mask, dev->bus_dma_limit);
}

unsigned dma_direct_optimal_gfp_mask(const struct device *dev,
				     uint64_t *phys_limit)
{
	const struct dmapool_machine *m = dev->m;
	uint64_t limit = dma_to_phys(dev, coherent_limit(dev));

	*phys_limit = limit;
	/* a limit that does not translate (PHYS_NONE) is the widest one */
	if (m->prof.zone_dma && limit <= m->zone_dma_limit)
		return GFPI_DMA;
	if (m->prof.zone_dma32 && limit <= 0xffffffffULL)
		return GFPI_DMA32;
	return 0;
}

bool dma_coherent_ok(const struct device *dev, phys_addr_t phys, uint64_t size)
{
	dma_addr_t addr = phys_to_dma(dev, phys);

	if (addr == DMA_ERR)
		return false;
	if (size && addr + size - 1 < addr)
		return false;
	return addr + size - 1 <= coherent_limit(dev);
}

const char *buddy_backend_name(const struct dmapool_machine *m, phys_addr_t pa)
{
	uint64_t pfn = pa >> m->prof.page_shift;

	if (m->zones[ZONE_DMA].present && pfn >= m->zones[ZONE_DMA].start_pfn &&
	    pfn < m->zones[ZONE_DMA].end_pfn)
		return "buddy-dma";
	if (m->zones[ZONE_DMA32].present && pfn >= m->zones[ZONE_DMA32].start_pfn &&
	    pfn < m->zones[ZONE_DMA32].end_pfn)
		return "buddy-dma32";
	return "buddy-normal";
}

phys_addr_t alloc_pages_i(struct dmapool_machine *m, unsigned gfp, unsigned order)
{
	if (order > m->prof.max_page_order) {
		/* WARN_ON_ONCE_GFP(order > MAX_PAGE_ORDER, gfp) */
		if (!(gfp & __GFP_NOWARN)) {
			bool first;

			pthread_mutex_lock(&m->zone_lock);
			first = !m->warned_page_order;
			m->warned_page_order = true;
			pthread_mutex_unlock(&m->zone_lock);
			if (first)
				klog(m, "WARNING: CPU: 0 PID: 1 at mm/page_alloc.c:4832 __alloc_pages_noprof+0xb54/0xec8");
		}
		return PHYS_NONE;
	}
	return buddy_alloc(m, gfp & (GFPI_DMA | GFPI_DMA32 | GFPI_HIGHMEM), order);
}

static const char *zone_gfp_str(unsigned gfp)
{
	if (gfp & GFPI_DMA)
		return "GFP_DMA";
	if (gfp & GFPI_DMA32)
		return "GFP_DMA32";
	return "no zone modifier";
}

void arch_dma_prep_coherent_i(struct dmapool_machine *m, phys_addr_t pa,
			      uint64_t size)
{
	/*
	 * arm64 cleans (riscv and arm clean and invalidate) the cacheable
	 * linear alias so that no dirty line is written back over the
	 * device's data later (cache.c).
	 */
	cache_prep_coherent(m, pa, (size_t)size);
}

phys_addr_t dma_direct_alloc_pages_i(struct device *dev, uint64_t size,
				     unsigned gfp, struct dmapool_decision *d,
				     const char **backend)
{
	struct dmapool_machine *m = dev->m;
	uint64_t phys_limit;
	unsigned zone, order;
	struct cma_area *area = NULL;
	phys_addr_t pa;

	*backend = "none";
	if (dev->restricted) {
		dt_step(d, "restricted-swiotlb", "__dma_direct_alloc_pages",
			"yes: swiotlb_alloc",
			"device is attached to a restricted-dma-pool (is_swiotlb_for_alloc)");
		pa = swiotlb_alloc(dev, size, d);
		if (pa != PHYS_NONE && !dma_coherent_ok(dev, pa, size)) {
			dt_step(d, "restricted-swiotlb", "dma_coherent_ok", "no",
				"pool memory at %#llx is beyond the coherent mask",
				(unsigned long long)pa);
			swiotlb_free(dev, pa, size);
			return PHYS_NONE;
		}
		if (pa != PHYS_NONE)
			*backend = "restricted-swiotlb";
		return pa;
	}
	zone = dma_direct_optimal_gfp_mask(dev, &phys_limit);
	gfp |= zone;
	dt_step(d, "zone", "dma_direct_optimal_gfp_mask", zone_gfp_str(zone),
		"reach min_not_zero(coherent_dma_mask %#llx, bus_dma_limit %#llx) = phys %#llx: ZONE_DMA ends at %#llx, ZONE_DMA32 at 0xffffffff",
		(unsigned long long)dev->coherent_dma_mask,
		(unsigned long long)dev->bus_dma_limit,
		(unsigned long long)phys_limit,
		(unsigned long long)m->zone_dma_limit);

	pa = dma_alloc_contiguous(dev, size, gfp, d, &area);
	if (pa != PHYS_NONE) {
		if (dma_coherent_ok(dev, pa, size)) {
			*backend = area == m->default_cma && area != dev->cma_area ?
				"default-cma" : "dev-cma";
			return pa;
		}
		dt_step(d, "cma", "dma_coherent_ok", "no: released",
			"CMA pages at %#llx..%#llx within the device's reach %#llx",
			(unsigned long long)pa, (unsigned long long)(pa + size - 1),
			(unsigned long long)coherent_limit(dev));
		dma_free_contiguous(dev, pa, size);
	}

	order = get_order_sz(m, size);
	for (;;) {
		pa = alloc_pages_i(m, gfp, order);
		if (pa == PHYS_NONE) {
			dt_step(d, "buddy", "alloc_pages_node", "fail",
				"2^%u pages (order %u) with %s%s", order, order,
				zone_gfp_str(gfp),
				order > m->prof.max_page_order ?
				", order above MAX_PAGE_ORDER" : "");
			return PHYS_NONE;
		}
		if (dma_coherent_ok(dev, pa, size)) {
			dt_step(d, "buddy", "alloc_pages_node", "ok",
				"2^%u pages (order %u) with %s: got %#llx, within reach",
				order, order, zone_gfp_str(gfp), (unsigned long long)pa);
			*backend = buddy_backend_name(m, pa);
			return pa;
		}
		dt_step(d, "buddy", "dma_coherent_ok", "no: freed, retry",
			"pages at %#llx (%s) within the device's reach %#llx",
			(unsigned long long)pa, zone_gfp_str(gfp),
			(unsigned long long)coherent_limit(dev));
		buddy_free(m, pa, order);
		if (m->prof.zone_dma32 && phys_limit < UINT64_MAX &&
		    !(gfp & (GFPI_DMA32 | GFPI_DMA))) {
			gfp |= GFPI_DMA32;
			continue;
		}
		if (m->prof.zone_dma && !(gfp & GFPI_DMA)) {
			gfp = (gfp & ~GFPI_DMA32) | GFPI_DMA;
			continue;
		}
		dt_step(d, "buddy", "__dma_direct_alloc_pages", "fail",
			"no lower zone left to retry in");
		return PHYS_NONE;
	}
}

enum dmapool_attr dma_pgprot_attr(const struct device *dev, unsigned long attrs)
{
	const struct dmapool_profile *p = &dev->m->prof;

	if (dev_is_dma_coherent_i(dev))
		return DMAPOOL_ATTR_WB;
	if (p->dma_write_combine && (attrs & DMA_ATTR_WRITE_COMBINE))
		return DMAPOOL_ATTR_WC;
	return p->dmacoherent_attr;
}

static void *direct_from_pool(struct device *dev, uint64_t size,
			      dma_addr_t *handle, unsigned gfp,
			      struct dmapool_decision *d)
{
	uint64_t phys_limit;
	void *cpu = NULL;
	phys_addr_t pa;

	gfp |= dma_direct_optimal_gfp_mask(dev, &phys_limit);
	pa = dma_alloc_from_pool(dev, size, &cpu, gfp, d);
	if (pa == PHYS_NONE)
		return NULL;
	*handle = phys_to_dma(dev, pa);
	return cpu;
}

void *dma_direct_alloc(struct device *dev, uint64_t size, dma_addr_t *handle,
		       unsigned gfp, unsigned long attrs,
		       struct dmapool_decision *d)
{
	struct dmapool_machine *m = dev->m;
	bool coherent = dev_is_dma_coherent_i(dev);
	bool blocking = (gfp & __GFP_DIRECT_RECLAIM) != 0;
	bool remap = false;
	const char *backend;
	phys_addr_t pa;
	void *cpu;

	size = page_align(m, size);
	if (attrs & DMA_ATTR_NO_WARN)
		gfp |= __GFP_NOWARN;

	if ((attrs & DMA_ATTR_NO_KERNEL_MAPPING) && !dev->restricted) {
		dt_step(d, "no-kernel-mapping", "dma_direct_alloc_no_mapping", "yes",
			"DMA_ATTR_NO_KERNEL_MAPPING: pages only, no CPU mapping, not zeroed");
		pa = dma_direct_alloc_pages_i(dev, size, gfp & ~__GFP_ZERO, d, &backend);
		if (pa == PHYS_NONE)
			return NULL;
		arch_dma_prep_coherent_i(m, pa, size);
		*handle = phys_to_dma(dev, pa);
		cpu = dmapool_pfn_to_page(m, pa >> m->prof.page_shift);
		dt_result(d, backend, pa, *handle, cpu, DMAPOOL_ATTR_NONE);
		return cpu;
	}

	if (!coherent) {
		if (m->prof.arch_dma_alloc && !dev->restricted) {
			dt_step(d, "arch", "dma_direct_alloc", "yes: arch_dma_alloc",
				"non-coherent device and CONFIG_ARCH_HAS_DMA_ALLOC (32-bit ARM)");
			return arch_dma_alloc(dev, size, handle, gfp, attrs, d);
		}
		if (m->prof.dma_global_pool) {
			dt_step(d, "global-coherent", "dma_direct_alloc",
				"yes: the global pool, no fallback",
				"non-coherent device and CONFIG_DMA_GLOBAL_POOL");
			return dma_alloc_from_global_coherent(dev, size, handle, d);
		}
		if (!m->prof.dma_direct_remap) {
			bool first;

			pthread_mutex_lock(&m->dec_lock);
			first = !m->warned_no_coherent;
			m->warned_no_coherent = true;
			pthread_mutex_unlock(&m->dec_lock);
			if (first)
				klog(m, "coherent DMA allocations not supported on this platform.");
			dt_step(d, "direct", "dma_direct_alloc", "fail",
				"non-coherent device, but no DMA_DIRECT_REMAP, ARCH_HAS_DMA_SET_UNCACHED or global pool");
			return NULL;
		}
		remap = true;
		dt_step(d, "remap", "dma_direct_alloc", "yes",
			"non-coherent device and CONFIG_DMA_DIRECT_REMAP: the buffer gets a non-cacheable mapping");
	} else {
		dt_step(d, "coherent", "dev_is_dma_coherent", "yes",
			"the device snoops the CPU caches: the linear (cacheable) address is used");
	}

	if (remap) {
		if (!blocking && !dev->restricted) {
			dt_step(d, "atomic", "dma_direct_use_pool", "yes",
				"the call cannot block (no __GFP_DIRECT_RECLAIM), so it cannot vmap: atomic pool");
			return direct_from_pool(dev, size, handle, gfp, d);
		}
		dt_step(d, "atomic", "dma_direct_use_pool", "no",
			"the call may block (or the device has a restricted pool)");
	}

	pa = dma_direct_alloc_pages_i(dev, size, gfp & ~__GFP_ZERO, d, &backend);
	if (pa == PHYS_NONE)
		return NULL;

	if (remap) {
		enum dmapool_attr attr = dma_pgprot_attr(dev, attrs);

		arch_dma_prep_coherent_i(m, pa, size);
		cpu = physmem_map_alias(m, pa, size, attr);
		if (!cpu) {
			dt_step(d, "remap", "dma_common_contiguous_remap", "fail",
				"vmap of %#llx bytes", (unsigned long long)size);
			dma_free_contiguous(dev, pa, size);
			return NULL;
		}
		dt_step(d, "remap", "dma_common_contiguous_remap", "ok",
			"linear alias cleaned (arch_dma_prep_coherent), pages mapped %s (dma_pgprot%s)",
			dmapool_attr_name(attr),
			(attrs & DMA_ATTR_WRITE_COMBINE) ? ", WRITE_COMBINE" : "");
		memset(cpu, 0, size);
		*handle = phys_to_dma(dev, pa);
		dt_result(d, backend, pa, *handle, cpu, attr);
		return cpu;
	}
	cpu = phys_to_virt(m, pa);
	if (!cpu) {	/* cannot happen: buddy and CMA pages are mapped */
		dma_free_contiguous(dev, pa, size);
		return NULL;
	}
	memset(cpu, 0, size);
	*handle = phys_to_dma(dev, pa);
	dt_result(d, backend, pa, *handle, cpu, DMAPOOL_ATTR_WB);
	return cpu;
}

void dma_direct_free(struct device *dev, uint64_t size, void *cpu,
		     dma_addr_t handle, unsigned long attrs,
		     struct dmapool_decision *d)
{
	struct dmapool_machine *m = dev->m;
	bool coherent = dev_is_dma_coherent_i(dev);
	phys_addr_t pa;

	if ((attrs & DMA_ATTR_NO_KERNEL_MAPPING) && !dev->restricted) {
		pa = dma_to_phys(dev, handle);
		dt_step(d, "no-kernel-mapping", "dma_direct_free", "yes",
			"DMA_ATTR_NO_KERNEL_MAPPING: the cookie is a struct page; free the pages");
		dma_free_contiguous(dev, pa, size);
		return;
	}
	if (m->prof.arch_dma_alloc && !coherent && !dev->restricted) {
		dt_step(d, "arch", "dma_direct_free", "yes: arch_dma_free",
			"non-coherent device and CONFIG_ARCH_HAS_DMA_ALLOC");
		arch_dma_free(dev, size, cpu, handle, attrs);
		return;
	}
	if (m->prof.dma_global_pool && !coherent) {
		int owned = dma_release_from_global_coherent(m, get_order_sz(m, size), cpu);

		dt_step(d, "global-coherent", "dma_release_from_global_coherent",
			owned ? "released" : "not in the pool (WARN_ON_ONCE)",
			"non-coherent device and CONFIG_DMA_GLOBAL_POOL");
		if (!owned)
			report(m, "free-not-in-pool", dev, handle, size,
			       "DMA-API: %s %s: freeing memory not in the global coherent pool [device address=%#llx] [size=%llu bytes]",
			       dev_driver_string(dev), dev->name,
			       (unsigned long long)handle, (unsigned long long)size);
		return;
	}
	if (m->prof.dma_direct_remap &&
	    dma_free_from_pool(dev, cpu, page_align(m, size))) {
		dt_step(d, "atomic", "dma_free_from_pool", "released",
			"the address belongs to an atomic pool");
		return;
	}
	if (m->prof.dma_direct_remap && dma_in_atomic_pool(m, cpu)) {
		/* a size that runs past the pool's chunk: the kernel would
		 * vunmap the pool's whole remap and free pages it does not own */
		klog(m, "libdmapool: %s %s: dma_free_attrs(%p, %#llx): the buffer is in an atomic pool but %#llx bytes run past its chunk; the free is ignored",
		     dev_driver_string(dev), dev->name, cpu, (unsigned long long)handle,
		     (unsigned long long)size);
		dt_step(d, "atomic", "dma_free_from_pool", "ignored",
			"the address is in an atomic pool, but not %#llx bytes of it",
			(unsigned long long)size);
		return;
	}
	if (physmem_is_alias(m, cpu)) {
		dt_step(d, "remap", "vunmap", "yes", "the CPU address is a remapping");
		physmem_unmap_alias(m, cpu);
	}
	pa = dma_to_phys(dev, handle);
	if (swiotlb_free(dev, pa, page_align(m, size))) {
		dt_step(d, "restricted-swiotlb", "swiotlb_free", "freed",
			"pages at %#llx belong to the device's restricted pool",
			(unsigned long long)pa);
		return;
	}
	dt_step(d, "pages", "__dma_direct_free_pages", "freed",
		"pages at %#llx found from the handle (CMA area, else buddy)",
		(unsigned long long)pa);
	dma_free_contiguous(dev, pa, size);
}

/* ------------------------------------------------------------------ */
/* Streaming: kernel/dma/direct.h and the map/sync parts of direct.c   */

bool dma_kmalloc_needs_bounce(const struct device *dev, size_t size,
			      enum dma_data_direction dir)
{
	struct dmapool_machine *m = dev->m;

	/* dma_kmalloc_safe() */
	if (!m->prof.bounce_unaligned_kmalloc || dev_is_dma_coherent_i(dev) ||
	    dir == DMA_TO_DEVICE)
		return false;
	/* dma_kmalloc_size_aligned(): dma_get_cache_alignment() is the
	 * cache line on arm64 (cache_line_size()) */
	if (size >= 2ULL * m->prof.arch_dma_minalign)
		return false;
	return kmalloc_size_roundup_sim(m, size) % m->prof.cache_line != 0;
}

dma_addr_t dma_direct_map_phys(struct device *dev, phys_addr_t phys,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs, bool sg,
			       struct dmapool_decision *d)
{
	struct dmapool_machine *m = dev->m;
	dma_addr_t dma = phys_to_dma(dev, phys);
	uint64_t mask = dev->dma_mask ? *dev->dma_mask : 0;
	bool capable, kb;

	if (is_swiotlb_force_bounce(dev)) {
		dt_step(d, "force-bounce", "is_swiotlb_force_bounce", "yes: swiotlb_map",
			dev->restricted ? "the device has a restricted-dma-pool: every mapping bounces" :
			"swiotlb=force: every mapping bounces");
		dma = swiotlb_map(dev, phys, size, dir, attrs, d);
		dt_result(d, dma == DMA_ERR ? "none" : swiotlb_backend_name(dev), phys, dma,
			  NULL, DMAPOOL_ATTR_NONE);
		return dma;
	}
	capable = dma_capable(dev, dma, size);
	if (dma == DMA_ERR)
		dt_step(d, "reach", "dma_capable", "no",
			"phys %#llx lies outside every dma-ranges window of the device",
			(unsigned long long)phys);
	else
		dt_step(d, "reach", "dma_capable", capable ? "yes" : "no",
			"bus address %#llx+%#zx within min_not_zero(dma_mask %#llx, bus_dma_limit %#llx)",
			(unsigned long long)dma, size, (unsigned long long)mask,
			(unsigned long long)dev->bus_dma_limit);
	kb = capable && dma_kmalloc_needs_bounce(dev, size, dir);
	if (capable && d) {
		size_t cls = kmalloc_size_roundup_sim(m, size);

		if (!m->prof.bounce_unaligned_kmalloc)
			dt_step(d, "kmalloc-bounce", "dma_kmalloc_needs_bounce", "no",
				"CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC is not set on %s", m->prof.arch);
		else if (dev_is_dma_coherent_i(dev))
			dt_step(d, "kmalloc-bounce", "dma_kmalloc_needs_bounce", "no",
				"coherent device: sharing a cache line with other data is harmless");
		else if (dir == DMA_TO_DEVICE)
			dt_step(d, "kmalloc-bounce", "dma_kmalloc_needs_bounce", "no",
				"TO_DEVICE: nothing is invalidated, neighbouring data is safe");
		else if (size >= 2ULL * m->prof.arch_dma_minalign)
			dt_step(d, "kmalloc-bounce", "dma_kmalloc_needs_bounce", "no",
				"size %#zx >= 2 * ARCH_DMA_MINALIGN (%u)", size,
				2 * m->prof.arch_dma_minalign);
		else
			dt_step(d, "kmalloc-bounce", "dma_kmalloc_needs_bounce", kb ? "yes" : "no",
				"non-coherent device, %s, size %#zx: kmalloc class %zu %s a multiple of the %u-byte cache line",
				dir_name(dir), size, cls, cls % m->prof.cache_line ? "is not" : "is",
				m->prof.cache_line);
	}
	if (!capable || kb) {
		if (is_swiotlb_active(dev)) {
			dt_step(d, "swiotlb", "is_swiotlb_active", "yes: swiotlb_map",
				"%s", kb ? "bounce the possibly shared cache lines of a small kmalloc buffer" :
				"bounce the buffer into reach");
			dma = swiotlb_map(dev, phys, size, dir, attrs, d);
			dt_result(d, dma == DMA_ERR ? "none" : swiotlb_backend_name(dev), phys,
				  dma, NULL, DMAPOOL_ATTR_NONE);
			return dma;
		}
		dt_step(d, "swiotlb", "is_swiotlb_active", "no: fail",
			"no SWIOTLB pool to bounce through");
		if (dev_warn_once_i(dev, sg ? &m->once.sg_overflow : &m->once.map_overflow,
				    "DMA addr 0x%016llx+%zu overflow (mask %llx, bus limit %llx).",
				    (unsigned long long)dma, size, (unsigned long long)mask,
				    (unsigned long long)dev->bus_dma_limit))
			klog(m, "WARNING: CPU: 0 PID: 1 at kernel/dma/direct.h:103 %s",
			     sg ? "dma_direct_map_sg+0x2d0/0x2f8" :
				  "dma_map_page_attrs+0x338/0x358");
		dt_result(d, "none", phys, DMA_ERR, NULL, DMAPOOL_ATTR_NONE);
		return DMA_ERR;
	}
	if (!dev_is_dma_coherent_i(dev) && !(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		arch_sync_dma_for_device(dev, phys, size, dir, d);
	else
		dt_step(d, "cache", "arch_sync_dma_for_device", "skipped", "%s",
			dev_is_dma_coherent_i(dev) ? "coherent device: the interconnect snoops the caches" :
			"DMA_ATTR_SKIP_CPU_SYNC");
	dt_result(d, "direct", phys, dma, NULL, DMAPOOL_ATTR_NONE);
	return dma;
}

void dma_direct_sync_single_for_cpu(struct device *dev, dma_addr_t addr,
				    size_t size, enum dma_data_direction dir,
				    struct dmapool_decision *d)
{
	phys_addr_t pa = dma_to_phys(dev, addr);

	if (!dev_is_dma_coherent_i(dev))
		arch_sync_dma_for_cpu(dev, pa, size, dir, d);
	if (swiotlb_find_pool(dev, pa))
		swiotlb_sync_single(dev, pa, size, dir, false, d);
}

void dma_direct_sync_single_for_device(struct device *dev, dma_addr_t addr,
				       size_t size, enum dma_data_direction dir,
				       struct dmapool_decision *d)
{
	phys_addr_t pa = dma_to_phys(dev, addr);

	if (swiotlb_find_pool(dev, pa))
		swiotlb_sync_single(dev, pa, size, dir, true, d);
	if (!dev_is_dma_coherent_i(dev))
		arch_sync_dma_for_device(dev, pa, size, dir, d);
}

void dma_direct_unmap_phys(struct device *dev, dma_addr_t addr, size_t size,
			   enum dma_data_direction dir, unsigned long attrs,
			   struct dmapool_decision *d)
{
	phys_addr_t pa = dma_to_phys(dev, addr);

	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		dma_direct_sync_single_for_cpu(dev, addr, size, dir, d);
	if (pa != PHYS_NONE && swiotlb_find_pool(dev, pa)) {
		swiotlb_tbl_unmap_single(dev, pa, size, dir,
					 attrs | DMA_ATTR_SKIP_CPU_SYNC, d);
		dt_result(d, swiotlb_backend_name(dev), pa, addr, NULL, DMAPOOL_ATTR_NONE);
		dt_result_phys(d, pa);
	} else {
		dt_result(d, "direct", pa, addr, NULL, DMAPOOL_ATTR_NONE);
	}
}
