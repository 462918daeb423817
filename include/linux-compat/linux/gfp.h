/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * libdmapool: the gfp flags of include/linux/gfp_types.h (Linux 6.12) that
 * DMA code passes.  The zone modifiers pick ZONE_DMA / ZONE_DMA32; a mask
 * without __GFP_DIRECT_RECLAIM cannot block, so it never reaches CMA or the
 * sleeping remap path.
 */
#ifndef DMAPOOL_COMPAT_LINUX_GFP_H
#define DMAPOOL_COMPAT_LINUX_GFP_H

#include <linux/types.h>
#include <dmapool-kdefs.h>

#include <dmapool-kapi.h>	/* alloc_pages, __get_free_pages, free_pages */

#define GFP_HIGHUSER		(GFP_USER | __GFP_HIGHMEM)

static inline struct page *alloc_page(gfp_t gfp)
{
	return alloc_pages(gfp, 0);
}

static inline void __free_page(struct page *page)
{
	__free_pages(page, 0);
}

#define __get_free_page(gfp)	__get_free_pages((gfp), 0)
#define free_page(addr)		free_pages((addr), 0)

static inline bool gfpflags_allow_blocking(const gfp_t gfp_flags)
{
	return !!(gfp_flags & __GFP_DIRECT_RECLAIM);
}

#endif
