/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * libdmapool: include/linux/dmapool.h of Linux 6.12 — small coherent
 * blocks carved from dma_alloc_coherent() chunks (docs/api.md).
 */
#ifndef DMAPOOL_COMPAT_LINUX_DMAPOOL_H
#define DMAPOOL_COMPAT_LINUX_DMAPOOL_H

#include <linux/types.h>
#include <linux/device.h>
#include <linux/gfp.h>
#include <dmapool-kapi.h>

static inline void *dma_pool_zalloc(struct dma_pool *pool, gfp_t mem_flags,
				    dma_addr_t *handle)
{
	return dma_pool_alloc(pool, mem_flags | __GFP_ZERO, handle);
}

#endif
