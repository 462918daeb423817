/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Per-device and global coherent pools (models kernel/dma/coherent.c).
 *
 * A pool is a bitmap of pages over a reserved range, mapped for the CPU
 * with memremap(MEMREMAP_WC): a write-combining alias of the same
 * simulated pages.  memremap refuses ranges that are System RAM (not
 * no-map), which is why a mapped pool fails to attach on arm64.  A DT pool
 * is created when the first device attaches and shared by every device
 * that attaches it later (one bitmap).
 *
 * Allocation takes the lowest free run of 2^get_order(size) pages whose
 * start is a multiple of its own size counted from the pool start
 * (bitmap_find_free_region), zeroes only the requested size, and never
 * falls back to another allocator: a device with a pool gets NULL when the
 * pool is full.  Release frees get_order(size) pages from the caller's
 * size, so a wrong size frees the wrong amount, as in the kernel.
 *
 * Left out: the DMA_GLOBAL_POOL "redefined" warning for a second
 * linux,dma-default node (the first one wins here, silently).
 */
#include <sys/mman.h>

#include "internal.h"
#include "bitmap.h"

struct dma_coherent_mem {
	void *virt_base;
	dma_addr_t device_base;
	phys_addr_t phys_base;
	uint64_t pages;
	struct rbitmap *bitmap;		/* one bit per page (bitmap.c) */
	bool use_dev_dma_pfn_offset;
	bool io_backing;		/* outside RAM: private mapping */
	pthread_mutex_t lock;
	unsigned users;
	bool declared;			/* dma_declare_coherent_memory: owned by the device */
};

/* dma_init_coherent_memory */
static int init_coherent_memory(struct dmapool_machine *m, phys_addr_t phys,
				dma_addr_t dev_addr, size_t size, bool use_offset,
				struct dma_coherent_mem **out)
{
	struct dma_coherent_mem *mem = NULL;
	uint64_t pages = size >> m->prof.page_shift;
	int ram;
	char pa[24];

	if (!size)
		return -EINVAL;
	ram = memblock_ram_intersects(&m->mb, phys, size);
	if (ram == 1) {
		klog(m, "memremap attempted on ram %s size: %#lx",
		     fmt_pa(m, phys, pa), (unsigned long)size);
		klog(m, "WARNING: CPU: 0 PID: 1 at kernel/iomem.c:104 memremap+0x23c/0x288");
		return -EINVAL;
	}
	if (ram == 2) {
		klog(m, "memremap attempted on mixed range %s size: %#lx",
		     fmt_pa(m, phys, pa), (unsigned long)size);
		return -EINVAL;
	}
	/*
	 * Not System RAM: ioremap_wc(), which refuses (WARN_ON) a start page
	 * that is in the linear map, e.g. the partial first page of a no-map
	 * region whose base is not page aligned.
	 */
	if (memblock_is_map_memory(&m->mb, phys & ~(phys_addr_t)(m->prof.page_size - 1))) {
		klog(m, "WARNING: CPU: 0 PID: 1 at arch/arm64/mm/ioremap.c:27 __ioremap_prot+0x80/0xb8");
		return -EINVAL;
	}
	/* the bitmap and the backing are host memory: a pool larger than
	 * the RAM ceiling fails as the kernel's bitmap_zalloc() would */
	if (size > m->ram_limit)
		goto nomem;
	mem = calloc(1, sizeof(*mem));
	if (!mem)
		goto nomem;
	mem->bitmap = rbitmap_create(pages);
	if (!mem->bitmap)
		goto nomem;
	if (physmem_dram(m, phys, size)) {
		mem->virt_base = physmem_map_alias(m, phys, size, DMAPOOL_ATTR_WC);
	} else {
		/* device memory outside RAM (SRAM, carve-outs): own backing,
		 * which the device reaches at the same physical address */
		mem->virt_base = physmem_map_io(m, phys, size, DMAPOOL_ATTR_WC);
		mem->io_backing = true;
	}
	if (!mem->virt_base)
		goto nomem;
	mem->device_base = dev_addr;
	mem->phys_base = phys;
	mem->pages = pages;
	mem->use_dev_dma_pfn_offset = use_offset;
	pthread_mutex_init(&mem->lock, NULL);
	*out = mem;
	return 0;
nomem:
	if (mem) {
		rbitmap_destroy(mem->bitmap);
		free(mem);
	}
	klog(m, "Reserved memory: failed to init DMA memory pool at %s, size %lu MiB",
	     fmt_pa(m, phys, pa), (unsigned long)(size / SZ_1M));
	return -ENOMEM;
}

void dma_coherent_mem_free(struct dmapool_machine *m, struct dma_coherent_mem *mem)
{
	if (!mem)
		return;
	physmem_unmap_alias(m, mem->virt_base);
	pthread_mutex_destroy(&mem->lock);
	rbitmap_destroy(mem->bitmap);
	free(mem);
}

/* rmem_dma_device_init: first device creates the pool, others share it. */
int rmem_dma_device_init(struct reserved_mem *rmem, struct device *dev)
{
	struct dmapool_machine *m = dev->m;
	struct dma_coherent_mem *mem = rmem->priv;
	int ret;

	if (!mem) {
		ret = init_coherent_memory(m, rmem->base, rmem->base, rmem->size,
					   true, &mem);
		if (ret)
			return ret;
		rmem->priv = mem;
	}
	if (rmem->base + rmem->size - 1 >
	    min_not_zero_u64(dev->coherent_dma_mask, dev->bus_dma_limit))
		dev_klog(dev, "reserved memory is beyond device's set DMA address range");
	if (dev->dma_mem)
		return -EBUSY;
	dev->dma_mem = mem;
	mem->users++;
	return 0;
}

void rmem_dma_device_release(struct reserved_mem *rmem, struct device *dev)
{
	if (dev && dev->dma_mem == rmem->priv) {
		dev->dma_mem = NULL;
		if (rmem->priv)
			((struct dma_coherent_mem *)rmem->priv)->users--;
	}
}

void coherent_free_all(struct dmapool_machine *m)
{
	for (size_t i = 0; i < m->n_rmem; i++) {
		struct reserved_mem *r = &m->rmem[i];

		if ((r->kind == RMEM_DMA_POOL || r->kind == RMEM_GLOBAL_POOL) && r->priv) {
			dma_coherent_mem_free(m, r->priv);
			r->priv = NULL;
		}
	}
	if (m->global_pool) {
		dma_coherent_mem_free(m, m->global_pool);
		m->global_pool = NULL;
	}
}

/* dma_init_reserved_memory (core_initcall): the global pool. */
int dma_init_global_pool(struct dmapool_machine *m)
{
	if (!m->prof.dma_global_pool || !m->global_pool_size)
		return 0;
	if (init_coherent_memory(m, m->global_pool_base, m->global_pool_base,
				 m->global_pool_size, true, &m->global_pool) == 0)
		klog(m, "DMA: default coherent area is set");
	return 0;
}

uint64_t dma_coherent_mem_pages(const struct dma_coherent_mem *mem)
{
	return mem ? mem->pages : 0;
}

phys_addr_t dma_coherent_mem_base(const struct dma_coherent_mem *mem)
{
	return mem ? mem->phys_base : PHYS_NONE;
}

void dma_coherent_mem_acct(struct dma_coherent_mem *mem, uint64_t *pages,
			   uint64_t *bits, uint64_t *weight, uint64_t *counted)
{
	pthread_mutex_lock(&mem->lock);
	*pages = mem->pages;
	*bits = rbitmap_size(mem->bitmap);
	*weight = rbitmap_weight(mem->bitmap);
	*counted = rbitmap_count(mem->bitmap);
	pthread_mutex_unlock(&mem->lock);
}

/* debugfs.c: fn sees the pool's start, pages and bitmap under its lock. */
void dma_coherent_mem_read(struct dma_coherent_mem *mem,
			   void (*fn)(void *ctx, phys_addr_t base, uint64_t pages,
				      const struct rbitmap *bm),
			   void *ctx)
{
	pthread_mutex_lock(&mem->lock);
	fn(ctx, mem->phys_base, mem->pages, mem->bitmap);
	pthread_mutex_unlock(&mem->lock);
}

/* ------------------------------------------------------------------ */
/* Allocation: __dma_alloc_from_coherent and friends */

/*
 * bitmap_find_free_region() / bitmap_release_region() as 6.12 computes
 * them: the region length is BIT(order) stored in an unsigned int, so an
 * order of 32 or more (get_order(0) is 52) is a region of no pages at all:
 * the search "finds" page 0 and marks nothing, and the release clears
 * nothing.  The kernel really returns the pool start for a size-0
 * allocation (seen on the oracle).
 */
static int64_t pool_find_free_region(struct dma_coherent_mem *mem, unsigned order)
{
	if (order >= 32)
		return 0;
	return rbitmap_find_free_region(mem->bitmap, order);
}

static void pool_release_region(struct dma_coherent_mem *mem, uint64_t pos,
				unsigned order)
{
	if (order >= 32)
		return;
	rbitmap_release_region(mem->bitmap, pos, order);
}

/* _dma_get_device_base() */
static dma_addr_t pool_device_base(const struct device *dev,
				   const struct dma_coherent_mem *mem)
{
	if (mem->use_dev_dma_pfn_offset)
		return phys_to_dma(dev, mem->phys_base);
	return mem->device_base;
}

static void *alloc_from_coherent(struct device *dev, struct dma_coherent_mem *mem,
				 uint64_t size, dma_addr_t *handle,
				 struct dmapool_decision *d, const char *backend)
{
	struct dmapool_machine *m = dev->m;
	unsigned order = get_order_sz(m, size);
	uint64_t bytes = mem->pages << m->prof.page_shift;
	int64_t pageno = -1;
	void *ret;

	pthread_mutex_lock(&mem->lock);
	if (size <= bytes)
		pageno = pool_find_free_region(mem, order);
	pthread_mutex_unlock(&mem->lock);
	if (pageno < 0) {
		dt_step(d, backend, "__dma_alloc_from_coherent", "fail: no fallback",
			"%s: 2^%u pages at a multiple of 2^%u from the pool start (%llu pages at %#llx)",
			size > bytes ? "larger than the pool" : "no free aligned run",
			order, order, (unsigned long long)mem->pages,
			(unsigned long long)mem->phys_base);
		return NULL;
	}
	*handle = pool_device_base(dev, mem) + ((uint64_t)pageno << m->prof.page_shift);
	ret = (uint8_t *)mem->virt_base + ((uint64_t)pageno << m->prof.page_shift);
	memset(ret, 0, size);
	dt_step(d, backend, "__dma_alloc_from_coherent", "ok",
		"bitmap_find_free_region: 2^%u pages at page %lld of the pool (%llu pages at %#llx); memset of %#llx bytes only",
		order, (long long)pageno, (unsigned long long)mem->pages,
		(unsigned long long)mem->phys_base, (unsigned long long)size);
	dt_result(d, backend, mem->phys_base + ((uint64_t)pageno << m->prof.page_shift),
		  *handle, ret, DMAPOOL_ATTR_WC);
	return ret;
}

int dma_alloc_from_dev_coherent(struct device *dev, uint64_t size,
				dma_addr_t *handle, void **ret,
				struct dmapool_decision *d)
{
	struct dma_coherent_mem *mem = dev->dma_mem;

	if (!mem) {
		dt_step(d, "dev-coherent", "dma_alloc_from_dev_coherent", "no",
			"the device has no per-device coherent pool (dev->dma_mem)");
		return 0;
	}
	dt_step(d, "dev-coherent", "dma_alloc_from_dev_coherent", "yes",
		"the device has a per-device coherent pool at %#llx (%llu pages%s)",
		(unsigned long long)mem->phys_base, (unsigned long long)mem->pages,
		mem->users > 1 ? ", shared" : "");
	*ret = alloc_from_coherent(dev, mem, size, handle, d, "dev-coherent");
	return 1;
}

/* vaddr lies in the pool's CPU mapping. */
static bool mem_contains(const struct dmapool_machine *m,
			 const struct dma_coherent_mem *mem, const void *vaddr)
{
	const uint8_t *p = vaddr, *base = mem->virt_base;

	return p && p >= base && p < base + (mem->pages << m->prof.page_shift);
}

static int release_from_coherent(struct dmapool_machine *m,
				 struct dma_coherent_mem *mem, unsigned order,
				 void *vaddr)
{
	uint8_t *p = vaddr, *base = mem->virt_base;

	if (mem_contains(m, mem, vaddr)) {
		uint64_t page = (uint64_t)(p - base) >> m->prof.page_shift;

		pthread_mutex_lock(&mem->lock);
		pool_release_region(mem, page, order);
		pthread_mutex_unlock(&mem->lock);
		return 1;
	}
	return 0;
}

bool dev_coherent_contains(const struct device *dev, const void *vaddr)
{
	return dev->dma_mem && mem_contains(dev->m, dev->dma_mem, vaddr);
}

int dma_release_from_dev_coherent(struct device *dev, unsigned order, void *vaddr)
{
	if (!dev->dma_mem)
		return 0;
	return release_from_coherent(dev->m, dev->dma_mem, order, vaddr);
}

void *dma_alloc_from_global_coherent(struct device *dev, uint64_t size,
				     dma_addr_t *handle,
				     struct dmapool_decision *d)
{
	struct dma_coherent_mem *mem = dev->m->global_pool;

	if (!mem) {
		dt_step(d, "global-coherent", "dma_alloc_from_global_coherent", "fail",
			"there is no global pool (no linux,dma-default shared-dma-pool)");
		return NULL;
	}
	return alloc_from_coherent(dev, mem, size, handle, d, "global-coherent");
}

int dma_release_from_global_coherent(struct dmapool_machine *m, unsigned order,
				     void *vaddr)
{
	if (!m->global_pool)
		return 0;
	return release_from_coherent(m, m->global_pool, order, vaddr);
}

int remap_pfn_range_i(struct dmapool_machine *m, struct vm_area_struct *vma,
		      phys_addr_t pa, uint64_t len)
{
	void *at = NULL, *va;

	if (vma->vm_start && !(vma->vm_start & (m->prof.page_size - 1)))
		at = (void *)vma->vm_start;
	va = physmem_map_alias_at(m, pa, len, (enum dmapool_attr)vma->vm_page_prot.pgprot, at);
	if (!va)
		return -EAGAIN;
	vma->vm_start = (unsigned long)va;
	vma->vm_end = vma->vm_start + len;
	return 0;
}

static int mmap_from_coherent(struct dmapool_machine *m,
			      struct dma_coherent_mem *mem,
			      struct vm_area_struct *vma, void *vaddr,
			      uint64_t size, int *ret)
{
	uint8_t *p = vaddr, *base = mem->virt_base;

	if (p >= base && p + size <= base + (mem->pages << m->prof.page_shift)) {
		uint64_t off = vma->vm_pgoff;
		uint64_t start = (uint64_t)(p - base) >> m->prof.page_shift;
		uint64_t user_count = (vma->vm_end - vma->vm_start) >> m->prof.page_shift;
		uint64_t count = page_align(m, size) >> m->prof.page_shift;

		*ret = -ENXIO;
		if (mem->io_backing)
			return 1;	/* device memory outside RAM: not mappable here */
		if (off < count && user_count <= count - off)
			*ret = remap_pfn_range_i(m, vma, mem->phys_base +
						 ((start + off) << m->prof.page_shift),
						 user_count << m->prof.page_shift);
		return 1;
	}
	return 0;
}

int dma_mmap_from_dev_coherent(struct device *dev, struct vm_area_struct *vma,
			       void *vaddr, uint64_t size, int *ret)
{
	if (!dev->dma_mem)
		return 0;
	return mmap_from_coherent(dev->m, dev->dma_mem, vma, vaddr, size, ret);
}

int dma_mmap_from_global_coherent(struct device *dev,
				  struct vm_area_struct *vma, void *vaddr,
				  uint64_t size, int *ret)
{
	if (!dev->m->global_pool)
		return 0;
	return mmap_from_coherent(dev->m, dev->m->global_pool, vma, vaddr, size, ret);
}

/* ------------------------------------------------------------------ */
/* dma_declare_coherent_memory() / dma_release_coherent_memory() */

DMAPOOL_API int dma_declare_coherent_memory(struct device *dev,
					    phys_addr_t phys_addr,
					    dma_addr_t device_addr, size_t size)
{
	struct dma_coherent_mem *mem;
	int ret;

	/* the kernel builds the pool first, then assigns it to the device */
	if (!size)
		return -EINVAL;
	if (!dev) {
		struct dmapool_machine *m = machine_current();

		if (m) {
			ret = init_coherent_memory(m, phys_addr, device_addr, size, false, &mem);
			if (ret)
				return ret;
			dma_coherent_mem_free(m, mem);
		}
		return -ENODEV;
	}
	ret = init_coherent_memory(dev->m, phys_addr, device_addr, size, false, &mem);
	if (ret)
		return ret;
	if (dev->dma_mem) {
		dma_coherent_mem_free(dev->m, mem);
		return -EBUSY;
	}
	mem->declared = true;
	mem->users = 1;
	dev->dma_mem = mem;
	return 0;
}

DMAPOOL_API void dma_release_coherent_memory(struct device *dev)
{
	if (!dev || !dev->dma_mem)
		return;
	if (dev->dma_mem->declared)
		dma_coherent_mem_free(dev->m, dev->dma_mem);
	else
		dev->dma_mem->users--;
	dev->dma_mem = NULL;
}

void coherent_release_declared(struct device *dev)
{
	if (dev->dma_mem && dev->dma_mem->declared) {
		dma_coherent_mem_free(dev->m, dev->dma_mem);
		dev->dma_mem = NULL;
	}
}
