/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * libdmapool: include/linux/vmalloc.h of Linux 6.12.  vmalloc memory is
 * virtually contiguous only: it is not in the linear map, so
 * dma_map_single() refuses it ("rejecting DMA map of vmalloc memory");
 * map its pages with vmalloc_to_page() and dma_map_page() or an sg_table.
 */
#ifndef DMAPOOL_COMPAT_LINUX_VMALLOC_H
#define DMAPOOL_COMPAT_LINUX_VMALLOC_H

#include <linux/types.h>
#include <dmapool-kapi.h>

#endif
