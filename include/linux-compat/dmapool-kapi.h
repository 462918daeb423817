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

/* Streaming DMA (linux/dma-mapping.h) */
DMAPOOL_API dma_addr_t dma_map_page_attrs(struct device *dev, struct page *page,
					  size_t offset, size_t size,
					  enum dma_data_direction dir,
					  unsigned long attrs);
DMAPOOL_API void dma_unmap_page_attrs(struct device *dev, dma_addr_t addr,
				      size_t size, enum dma_data_direction dir,
				      unsigned long attrs);
/* An inline in the kernel; a function here (it checks the pointer). */
/* dma_mapping_error()'s half of DMA-API debugging (src/debug.c) */
DMAPOOL_API void dmapool_debug_mapping_error(struct device *dev, dma_addr_t dma);
DMAPOOL_API dma_addr_t dma_map_single_attrs(struct device *dev, void *ptr,
					    size_t size,
					    enum dma_data_direction dir,
					    unsigned long attrs);
DMAPOOL_API dma_addr_t dma_map_resource(struct device *dev, phys_addr_t phys_addr,
					size_t size, enum dma_data_direction dir,
					unsigned long attrs);
DMAPOOL_API void dma_unmap_resource(struct device *dev, dma_addr_t addr,
				    size_t size, enum dma_data_direction dir,
				    unsigned long attrs);
DMAPOOL_API unsigned int dma_map_sg_attrs(struct device *dev,
					  struct scatterlist *sg, int nents,
					  enum dma_data_direction dir,
					  unsigned long attrs);
DMAPOOL_API void dma_unmap_sg_attrs(struct device *dev, struct scatterlist *sg,
				    int nents, enum dma_data_direction dir,
				    unsigned long attrs);
DMAPOOL_API int dma_map_sgtable(struct device *dev, struct sg_table *sgt,
				enum dma_data_direction dir, unsigned long attrs);
DMAPOOL_API void dma_sync_single_for_cpu(struct device *dev, dma_addr_t addr,
					 size_t size, enum dma_data_direction dir);
DMAPOOL_API void dma_sync_single_for_device(struct device *dev, dma_addr_t addr,
					    size_t size, enum dma_data_direction dir);
DMAPOOL_API void dma_sync_sg_for_cpu(struct device *dev, struct scatterlist *sg,
				     int nelems, enum dma_data_direction dir);
DMAPOOL_API void dma_sync_sg_for_device(struct device *dev, struct scatterlist *sg,
					int nelems, enum dma_data_direction dir);
DMAPOOL_API unsigned int dma_get_max_seg_size(struct device *dev);
DMAPOOL_API int dma_set_max_seg_size(struct device *dev, unsigned int size);
DMAPOOL_API unsigned long dma_get_seg_boundary(struct device *dev);
DMAPOOL_API void dma_set_seg_boundary(struct device *dev, unsigned long mask);
DMAPOOL_API void dma_set_min_align_mask(struct device *dev,
					unsigned int min_align_mask);
DMAPOOL_API unsigned int dma_get_min_align_mask(struct device *dev);
DMAPOOL_API int sg_alloc_table_from_pages_segment(struct sg_table *sgt,
						  struct page **pages,
						  unsigned int n_pages,
						  unsigned int offset,
						  unsigned long size,
						  unsigned int max_segment,
						  gfp_t gfp_mask);
DMAPOOL_API int sg_alloc_table_from_pages(struct sg_table *sgt,
					  struct page **pages,
					  unsigned int n_pages,
					  unsigned int offset,
					  unsigned long size, gfp_t gfp_mask);

/* Memory (linux/slab.h, linux/gfp.h, linux/vmalloc.h): the calling
 * thread's machine (dmapool_machine_use(), else the newest). */
struct kmem_cache;
DMAPOOL_API void *kmalloc(size_t size, gfp_t flags);
DMAPOOL_API void *kzalloc(size_t size, gfp_t flags);
DMAPOOL_API void *kcalloc(size_t n, size_t size, gfp_t flags);
DMAPOOL_API void *kmalloc_array(size_t n, size_t size, gfp_t flags);
DMAPOOL_API void kfree(const void *objp);
DMAPOOL_API size_t ksize(const void *objp);
DMAPOOL_API size_t kmalloc_size_roundup(size_t size);
DMAPOOL_API struct kmem_cache *kmem_cache_create(const char *name,
						 unsigned int size,
						 unsigned int align,
						 unsigned int flags,
						 void (*ctor)(void *));
DMAPOOL_API void *kmem_cache_alloc(struct kmem_cache *cachep, gfp_t flags);
DMAPOOL_API void *kmem_cache_zalloc(struct kmem_cache *cachep, gfp_t flags);
DMAPOOL_API void kmem_cache_free(struct kmem_cache *cachep, void *objp);
DMAPOOL_API void kmem_cache_destroy(struct kmem_cache *cachep);
DMAPOOL_API struct page *alloc_pages(gfp_t gfp, unsigned int order);
DMAPOOL_API void __free_pages(struct page *page, unsigned int order);
DMAPOOL_API unsigned long __get_free_pages(gfp_t gfp, unsigned int order);
DMAPOOL_API unsigned long get_zeroed_page(gfp_t gfp);
DMAPOOL_API void free_pages(unsigned long addr, unsigned int order);
DMAPOOL_API void *vmalloc(unsigned long size);
DMAPOOL_API void *vzalloc(unsigned long size);
DMAPOOL_API void vfree(const void *addr);
DMAPOOL_API bool is_vmalloc_addr(const void *x);
DMAPOOL_API struct page *vmalloc_to_page(const void *addr);
DMAPOOL_API unsigned long vmalloc_to_pfn(const void *addr);
/* linux/dmapool.h */
struct dma_pool;
DMAPOOL_API struct dma_pool *dma_pool_create_node(const char *name,
						  struct device *dev,
						  size_t size, size_t align,
						  size_t boundary, int node);
DMAPOOL_API struct dma_pool *dma_pool_create(const char *name, struct device *dev,
					     size_t size, size_t align,
					     size_t boundary);
DMAPOOL_API void dma_pool_destroy(struct dma_pool *pool);
DMAPOOL_API void *dma_pool_alloc(struct dma_pool *pool, gfp_t mem_flags,
				 dma_addr_t *handle);
DMAPOOL_API void dma_pool_free(struct dma_pool *pool, void *vaddr,
			       dma_addr_t addr);
DMAPOOL_API struct dma_pool *dmam_pool_create(const char *name,
					      struct device *dev, size_t size,
					      size_t align, size_t allocation);
DMAPOOL_API void dmam_pool_destroy(struct dma_pool *pool);

/* linux/highmem.h */
DMAPOOL_API bool PageHighMem(const struct page *page);
DMAPOOL_API void *kmap(struct page *page);
DMAPOOL_API void kunmap(struct page *page);
DMAPOOL_API void *kmap_local_page(struct page *page);
DMAPOOL_API void kunmap_local(const void *addr);

#ifdef __cplusplus
}
#endif

#endif
