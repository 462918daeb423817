/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * libdmapool: page and address helpers of include/linux/mm.h and asm/io.h.
 * struct page pointers are opaque tokens: compare them, never dereference.
 */
#ifndef DMAPOOL_COMPAT_LINUX_MM_H
#define DMAPOOL_COMPAT_LINUX_MM_H

#include <linux/types.h>
#include <dmapool-kdefs.h>	/* struct vm_area_struct, pgprot_t */

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))
#define PAGE_ALIGN(x)	(((x) + PAGE_SIZE - 1) & PAGE_MASK)
#define PFN_DOWN(x)	((unsigned long)((x) >> PAGE_SHIFT))
#define PFN_UP(x)	((unsigned long)(((x) + PAGE_SIZE - 1) >> PAGE_SHIFT))
#define PFN_PHYS(x)	((phys_addr_t)(x) << PAGE_SHIFT)
#define offset_in_page(p)	((unsigned long)(p) & ~PAGE_MASK)

static inline phys_addr_t virt_to_phys(const volatile void *x)
{
	return dmapool_any_virt_to_phys((const void *)(uintptr_t)x);
}

static inline void *phys_to_virt(phys_addr_t pa)
{
	return dmapool_any_phys_to_virt(pa);
}

static inline unsigned long page_to_pfn(const struct page *page)
{
	return (unsigned long)dmapool_page_to_pfn(page);
}

static inline struct page *pfn_to_page(unsigned long pfn)
{
	return dmapool_pfn_to_page(NULL, pfn);
}

static inline struct page *virt_to_page(const void *addr)
{
	return dmapool_virt_to_page(addr);
}

static inline void *page_address(const struct page *page)
{
	return dmapool_page_address(page);
}

static inline phys_addr_t page_to_phys(const struct page *page)
{
	return PFN_PHYS(page_to_pfn(page));
}

static inline unsigned int get_order(unsigned long size)
{
	unsigned int order = 0;

	size = (size - 1) >> PAGE_SHIFT;
	while (size) {
		order++;
		size >>= 1;
	}
	return order;
}

#endif
