/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * libdmapool: include/linux/slab.h of Linux 6.12 — kmalloc and kmem_cache
 * on simulated RAM.  Objects live in the linear map, so they are DMA-able
 * with dma_map_single().  The calls act on the calling thread's machine
 * (dmapool_machine_use(), else the newest).
 */
#ifndef DMAPOOL_COMPAT_LINUX_SLAB_H
#define DMAPOOL_COMPAT_LINUX_SLAB_H

#include <linux/types.h>
#include <linux/gfp.h>
#include <dmapool-kapi.h>

#define ZERO_SIZE_PTR		((void *)16)
#define ZERO_OR_NULL_PTR(x)	((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)

#define SLAB_HWCACHE_ALIGN	0x00002000U
#define SLAB_CACHE_DMA		0x00004000U

#endif
