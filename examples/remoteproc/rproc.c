/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * rproc: vrings and buffer areas of remote processors (a DSP, an MCU)
 * carved from a no-map "shared-dma-pool" that their memory-region
 * properties share, as drivers/remoteproc does with its vdev buffers.
 * of_reserved_mem_device_init() attaches the pool: the first device makes
 * it (rmem_dma_device_init), the second one gets the same
 * struct dma_coherent_mem, so both allocate from one bitmap
 * (kernel/dma/coherent.c).  dma_alloc_coherent() then never leaves the
 * pool: when it is full the driver gets NULL, and this driver retries
 * with smaller sizes before it gives up with -ENOMEM.
 *
 * Left out: firmware loading, resource tables, the vring layout and the
 * mailbox that kicks the remote side.
 *
 * Built once per variant:
 *   (none)                 the correct driver
 *   BUG_FREE_WRONG_SIZE    frees a buffer with the size it asked for, not
 *                          the smaller size the retry obtained
 */
#include <errno.h>
#include <string.h>

#include <linux/dma-mapping.h>
#include <linux/of_reserved_mem.h>

#include "rproc.h"

int rproc_probe(struct device *dev)
{
	int ret;

	ret = of_reserved_mem_device_init(dev);
	if (ret)
		return ret;
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32));
	if (ret)
		of_reserved_mem_device_release(dev);
	return ret;
}

void rproc_remove(struct device *dev)
{
	of_reserved_mem_device_release(dev);
}

int rproc_mem_alloc(struct device *dev, size_t want, size_t min,
		    struct rproc_mem *mem)
{
	size_t len;

	memset(mem, 0, sizeof(*mem));
	for (len = want; len >= min && len; len /= 2) {
		/* __GFP_NOWARN: a failure here is expected and handled */
		mem->va = dma_alloc_coherent(dev, len, &mem->da,
					     GFP_KERNEL | __GFP_NOWARN);
		if (mem->va) {
			mem->len = len;
			mem->want = want;
			return 0;
		}
	}
	return -ENOMEM;
}

void rproc_mem_free(struct device *dev, struct rproc_mem *mem)
{
	if (!mem->va)
		return;
#ifdef BUG_FREE_WRONG_SIZE
	/* BUG: the size asked for; the pool frees get_order(size) pages */
	dma_free_coherent(dev, mem->want, mem->va, mem->da);
#else
	dma_free_coherent(dev, mem->len, mem->va, mem->da);
#endif
	memset(mem, 0, sizeof(*mem));
}
