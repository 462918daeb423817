/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * xfer: a DMA engine whose address bus may be narrower than the machine's
 * physical addresses.  The driver declares the width with
 * dma_set_mask_and_coherent(); kernel/dma/direct.c then checks every
 * streaming mapping (dma_capable) and, for a buffer the device cannot
 * reach, bounces it through the SWIOTLB (kernel/dma/swiotlb.c): the
 * device gets the address of a slot below its limit and the kernel copies
 * between the slot and the buffer at map, unmap and sync time.  The
 * driver does not change: the same calls serve a 32-bit and a 64-bit
 * engine; the cost differs.
 *
 * Left out: the engine's registers and descriptors (the test's device
 * model reads and writes the DMA addresses directly), scatter-gather.
 */
#include <linux/dma-mapping.h>
#include <linux/slab.h>

#include "xfer.h"

struct xfer {
	struct device *dev;
	void *cmd;			/* kmalloc(): the command buffer */
	dma_addr_t cmd_dma;		/* mapped DMA_BIDIRECTIONAL */
};

struct xfer *xfer_probe(struct device *dev, unsigned int addr_bits)
{
	struct xfer *x;

	if (addr_bits < 32 || addr_bits > 64)
		return NULL;
	if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(addr_bits)))
		return NULL;
	x = kzalloc(sizeof(*x), GFP_KERNEL);
	if (!x)
		return NULL;
	x->dev = dev;
	x->cmd = kzalloc(XFER_CMD_SIZE, GFP_KERNEL);
	if (!x->cmd)
		goto err;
	x->cmd_dma = dma_map_single(dev, x->cmd, XFER_CMD_SIZE,
				    DMA_BIDIRECTIONAL);
	if (dma_mapping_error(dev, x->cmd_dma))
		goto err;
	/* the CPU writes the first request: it takes the buffer first */
	dma_sync_single_for_cpu(dev, x->cmd_dma, XFER_CMD_SIZE, DMA_BIDIRECTIONAL);
	return x;
err:
	kfree(x->cmd);
	kfree(x);
	return NULL;
}

void xfer_remove(struct xfer *x)
{
	if (!x)
		return;
	dma_unmap_single(x->dev, x->cmd_dma, XFER_CMD_SIZE, DMA_BIDIRECTIONAL);
	kfree(x->cmd);
	kfree(x);
}

static dma_addr_t start(struct xfer *x, void *buf, size_t len,
			enum dma_data_direction dir)
{
	dma_addr_t dma = dma_map_single(x->dev, buf, len, dir);

	return dma_mapping_error(x->dev, dma) ? DMA_MAPPING_ERROR : dma;
}

dma_addr_t xfer_tx_start(struct xfer *x, void *buf, size_t len)
{
	return start(x, buf, len, DMA_TO_DEVICE);
}

void xfer_tx_done(struct xfer *x, dma_addr_t dma, size_t len)
{
	dma_unmap_single(x->dev, dma, len, DMA_TO_DEVICE);
}

dma_addr_t xfer_rx_start(struct xfer *x, void *buf, size_t len)
{
	return start(x, buf, len, DMA_FROM_DEVICE);
}

void xfer_rx_done(struct xfer *x, dma_addr_t dma, size_t len)
{
	dma_unmap_single(x->dev, dma, len, DMA_FROM_DEVICE);
}

void *xfer_cmd(struct xfer *x)
{
	return x->cmd;
}

dma_addr_t xfer_cmd_dma(struct xfer *x)
{
	return x->cmd_dma;
}

void xfer_cmd_post(struct xfer *x)
{
	dma_sync_single_for_device(x->dev, x->cmd_dma, XFER_CMD_SIZE,
				   DMA_BIDIRECTIONAL);
}

void xfer_cmd_complete(struct xfer *x)
{
	dma_sync_single_for_cpu(x->dev, x->cmd_dma, XFER_CMD_SIZE,
				DMA_BIDIRECTIONAL);
}
