/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * libdmapool: include/linux/highmem.h of Linux 6.12.  On 32-bit ARM
 * (profile "arm") RAM above the 768 MiB of lowmem is ZONE_HIGHMEM: its
 * pages have no linear address (page_address() is NULL), dma_map_page()
 * maps them, and the CPU reaches them through kmap_local_page() or kmap().
 * On every other profile these return the linear address.
 */
#ifndef DMAPOOL_COMPAT_LINUX_HIGHMEM_H
#define DMAPOOL_COMPAT_LINUX_HIGHMEM_H

#include <linux/types.h>
#include <linux/mm.h>
#include <linux/gfp.h>
#include <dmapool-kapi.h>

static inline void *kmap_atomic(struct page *page)
{
	return kmap_local_page(page);
}

static inline void kunmap_atomic(const void *addr)
{
	kunmap_local(addr);
}

#endif
