/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * rx_ring: a receive ring with streaming DMA buffers, the pattern of most
 * network drivers.  Each buffer is kmalloc() memory mapped once with
 * dma_map_single(DMA_FROM_DEVICE) and then passed back and forth with the
 * syncs: dma_sync_single_for_cpu() before the CPU reads a packet,
 * dma_sync_single_for_device() before the device may write the buffer
 * again.
 *
 * Built once per variant:
 *   (none)                  the correct driver
 *   BUG_NO_SYNC_FOR_CPU     copies the packet out without
 *                           dma_sync_single_for_cpu()
 *   BUG_NO_SYNC_FOR_DEVICE  re-arms the buffer without
 *                           dma_sync_single_for_device()
 */
#include <string.h>

#include <linux/dma-mapping.h>
#include <linux/slab.h>

#include "rx_ring.h"

struct rx_ring {
	struct device *dev;
	struct rx_desc *desc;		/* coherent: the device reads and writes it */
	dma_addr_t desc_dma;
	void *buf[RX_RING_SIZE];
	dma_addr_t buf_dma[RX_RING_SIZE];
	unsigned int next;		/* next descriptor to complete */
};

/* Give descriptor i back to the device: address and size, then status. */
static void rx_arm(struct rx_ring *ring, unsigned int i)
{
	ring->desc[i].addr = cpu_to_le64(ring->buf_dma[i]);
	ring->desc[i].len = cpu_to_le32(RX_BUF_SIZE);
	dma_wmb();
	ring->desc[i].status = 0;
}

struct rx_ring *rx_ring_create(struct device *dev)
{
	struct rx_ring *ring;
	unsigned int i;

	if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32)))
		return NULL;
	ring = kzalloc(sizeof(*ring), GFP_KERNEL);
	if (!ring)
		return NULL;
	ring->dev = dev;
	ring->desc = dma_alloc_coherent(dev, RX_RING_SIZE * sizeof(*ring->desc),
					&ring->desc_dma, GFP_KERNEL);
	if (!ring->desc)
		goto err;
	for (i = 0; i < RX_RING_SIZE; i++) {
		ring->buf[i] = kmalloc(RX_BUF_SIZE, GFP_KERNEL);
		if (!ring->buf[i])
			goto err;
		ring->buf_dma[i] = dma_map_single(dev, ring->buf[i], RX_BUF_SIZE,
						  DMA_FROM_DEVICE);
		if (dma_mapping_error(dev, ring->buf_dma[i])) {
			kfree(ring->buf[i]);
			ring->buf[i] = NULL;
			goto err;
		}
		rx_arm(ring, i);
	}
	return ring;
err:
	rx_ring_destroy(ring);
	return NULL;
}

void rx_ring_destroy(struct rx_ring *ring)
{
	unsigned int i;

	if (!ring)
		return;
	for (i = 0; i < RX_RING_SIZE; i++) {
		if (!ring->buf[i])
			continue;
		dma_unmap_single(ring->dev, ring->buf_dma[i], RX_BUF_SIZE,
				 DMA_FROM_DEVICE);
		kfree(ring->buf[i]);
	}
	if (ring->desc)
		dma_free_coherent(ring->dev, RX_RING_SIZE * sizeof(*ring->desc),
				  ring->desc, ring->desc_dma);
	kfree(ring);
}

dma_addr_t rx_ring_dma(const struct rx_ring *ring)
{
	return ring->desc_dma;
}

int rx_poll(struct rx_ring *ring, struct rx_pkt *pkts, int budget)
{
	struct device *dev = ring->dev;
	int done = 0;

	while (done < budget) {
		unsigned int i = ring->next;
		u32 len;

		if (!(le32_to_cpu(ring->desc[i].status) & RX_DESC_DONE))
			break;
		dma_rmb();			/* status before the rest */
		len = le32_to_cpu(ring->desc[i].len);
		if (len > RX_BUF_SIZE)
			len = RX_BUF_SIZE;
#ifndef BUG_NO_SYNC_FOR_CPU
		dma_sync_single_for_cpu(dev, ring->buf_dma[i], RX_BUF_SIZE,
					DMA_FROM_DEVICE);
#endif
		pkts[done].len = len;
		memcpy(pkts[done].data, ring->buf[i], len);
#ifndef BUG_NO_SYNC_FOR_DEVICE
		dma_sync_single_for_device(dev, ring->buf_dma[i], RX_BUF_SIZE,
					   DMA_FROM_DEVICE);
#endif
		rx_arm(ring, i);
		ring->next = (i + 1) % RX_RING_SIZE;
		done++;
	}
	return done;
}
