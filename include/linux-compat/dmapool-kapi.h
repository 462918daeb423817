/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * libdmapool: the prototypes of the kernel-named DMA API functions the
 * library exports (Linux 6.12 names and signatures; u64 is uint64_t).
 * Included by the linux/ headers for driver code and by the library
 * itself, so both sides see one declaration.
 */
#ifndef DMAPOOL_COMPAT_KAPI_H
#define DMAPOOL_COMPAT_KAPI_H

#include "dmapool-kdefs.h"

struct device;
struct device_node;
struct page;

#ifdef __cplusplus
extern "C" {
#endif

/* linux/device.h */
DMAPOOL_API struct device_node *dev_of_node(struct device *dev);
DMAPOOL_API const char *dev_name(const struct device *dev);

/* linux/of_reserved_mem.h */
DMAPOOL_API int of_reserved_mem_device_init_by_idx(struct device *dev,
						   struct device_node *np, int idx);
DMAPOOL_API int of_reserved_mem_device_init_by_name(struct device *dev,
						    struct device_node *np,
						    const char *name);
DMAPOOL_API void of_reserved_mem_device_release(struct device *dev);

/* linux/dma-mapping.h, linux/dma-map-ops.h, linux/scatterlist.h */

DMAPOOL_API void *dma_alloc_attrs(struct device *dev, size_t size,
				  dma_addr_t *dma_handle, gfp_t flag,
				  unsigned long attrs);
DMAPOOL_API void dma_free_attrs(struct device *dev, size_t size,
				void *cpu_addr, dma_addr_t dma_handle,
				unsigned long attrs);
DMAPOOL_API struct page *dma_alloc_pages(struct device *dev, size_t size,
					 dma_addr_t *dma_handle,
					 enum dma_data_direction dir, gfp_t gfp);
DMAPOOL_API void dma_free_pages(struct device *dev, size_t size,
				struct page *page, dma_addr_t dma_handle,
				enum dma_data_direction dir);
DMAPOOL_API void *dma_alloc_noncoherent(struct device *dev, size_t size,
					dma_addr_t *dma_handle,
					enum dma_data_direction dir, gfp_t gfp);
DMAPOOL_API void dma_free_noncoherent(struct device *dev, size_t size,
				      void *vaddr, dma_addr_t dma_handle,
				      enum dma_data_direction dir);
DMAPOOL_API int dma_mmap_attrs(struct device *dev, struct vm_area_struct *vma,
			       void *cpu_addr, dma_addr_t dma_addr, size_t size,
			       unsigned long attrs);
DMAPOOL_API int dma_mmap_pages(struct device *dev, struct vm_area_struct *vma,
			       size_t size, struct page *page);
DMAPOOL_API int dma_get_sgtable_attrs(struct device *dev, struct sg_table *sgt,
				      void *cpu_addr, dma_addr_t dma_addr,
				      size_t size, unsigned long attrs);
DMAPOOL_API bool dma_can_mmap(struct device *dev);
DMAPOOL_API int dmapool_munmap(struct vm_area_struct *vma);
DMAPOOL_API int sg_alloc_table(struct sg_table *table, unsigned int nents,
			       gfp_t gfp_mask);
DMAPOOL_API void sg_free_table(struct sg_table *table);
DMAPOOL_API void sg_init_table(struct scatterlist *sgl, unsigned int nents);
DMAPOOL_API int dma_set_mask(struct device *dev, uint64_t mask);
DMAPOOL_API int dma_set_coherent_mask(struct device *dev, uint64_t mask);
DMAPOOL_API int dma_supported(struct device *dev, uint64_t mask);
DMAPOOL_API uint64_t dma_get_mask(struct device *dev);
DMAPOOL_API uint64_t dma_get_coherent_mask(struct device *dev);
DMAPOOL_API int dma_coerce_mask_and_coherent(struct device *dev, uint64_t mask);
DMAPOOL_API uint64_t dma_get_required_mask(struct device *dev);
DMAPOOL_API size_t dma_max_mapping_size(struct device *dev);
DMAPOOL_API size_t dma_opt_mapping_size(struct device *dev);
DMAPOOL_API bool dma_addressing_limited(struct device *dev);
DMAPOOL_API bool dma_need_sync(struct device *dev, dma_addr_t dma_addr);
DMAPOOL_API bool dev_is_dma_coherent(struct device *dev);
DMAPOOL_API int dma_declare_coherent_memory(struct device *dev,
					    phys_addr_t phys_addr,
					    dma_addr_t device_addr, size_t size);
DMAPOOL_API void dma_release_coherent_memory(struct device *dev);

#ifdef __cplusplus
}
#endif

#endif
