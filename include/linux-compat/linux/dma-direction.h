/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/* libdmapool: include/linux/dma-direction.h of Linux 6.12. */
#ifndef DMAPOOL_COMPAT_LINUX_DMA_DIRECTION_H
#define DMAPOOL_COMPAT_LINUX_DMA_DIRECTION_H

#include <dmapool-kdefs.h>

static inline int valid_dma_direction(enum dma_data_direction dir)
{
	return dir == DMA_BIDIRECTIONAL || dir == DMA_TO_DEVICE ||
	       dir == DMA_FROM_DEVICE;
}

#endif
