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
 * Left out here: allocation policy details live with the allocation issue;
 * this file creates, attaches and releases pools.
 */
#include <sys/mman.h>

#include "internal.h"

struct dma_coherent_mem {
	void *virt_base;
	dma_addr_t device_base;
	phys_addr_t phys_base;
	uint64_t pages;
	unsigned long *bitmap;
	bool use_dev_dma_pfn_offset;
	bool io_backing;		/* outside RAM: private mapping */
	pthread_mutex_t lock;
	unsigned users;
};

/* dma_init_coherent_memory */
static int init_coherent_memory(struct dmapool_machine *m, phys_addr_t phys,
				dma_addr_t dev_addr, size_t size, bool use_offset,
				struct dma_coherent_mem **out)
{
	struct dma_coherent_mem *mem;
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
	mem = calloc(1, sizeof(*mem));
	if (!mem)
		goto nomem;
	mem->bitmap = calloc((pages + 63) / 64 + 1, sizeof(unsigned long));
	if (!mem->bitmap)
		goto nomem;
	if (physmem_dram(m, phys, size)) {
		mem->virt_base = physmem_map_alias(m, phys, size, DMAPOOL_ATTR_WC);
	} else {
		/* device memory outside RAM (SRAM, carve-outs): own backing */
		void *va = mmap(NULL, size, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		mem->virt_base = va == MAP_FAILED ? NULL : va;
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
		free(mem->bitmap);
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
	if (mem->io_backing)
		munmap(mem->virt_base, mem->pages << m->prof.page_shift);
	else
		physmem_unmap_alias(m, mem->virt_base);
	pthread_mutex_destroy(&mem->lock);
	free(mem->bitmap);
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
