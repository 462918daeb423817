/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * rx_ring: a receive ring with streaming DMA buffers, the pattern of most
 * network drivers.  Each buffer is kmalloc() memory mapped once with
 * dma_map_single(DMA_FROM_DEVICE) and then passed back and forth with the
 * syncs: dma_sync_single_for_cpu() before the CPU reads a packet,
 * dma_sync_single_for_device() before the device may write the buffer
 * again.  The descriptors are small blocks of a dma_pool (mm/dmapool.c),
 * linked into a ring by their next field, as DMA engines with linked-list
 * descriptors use them.
 *
 * Left out: the NIC's registers and interrupts, NAPI, page recycling.
 *
 * Built once per variant:
 *   (none)                  the correct driver
 *   BUG_NO_SYNC_FOR_CPU     copies the packet out without
 *                           dma_sync_single_for_cpu()
 *   BUG_NO_SYNC_FOR_DEVICE  re-arms the buffer without
 *                           dma_sync_single_for_device()
 *   BUG_UNMAP_WRONG_SIZE    unmaps each buffer with the length of the last
 *                           packet it received instead of the mapped size
 */
#include <string.h>

#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <linux/slab.h>

#include "rx_ring.h"

struct rx_ring {
	struct device *dev;
	struct dma_pool *pool;		/* the descriptors' blocks */
	struct rx_desc *desc[RX_RING_SIZE];	/* coherent: the device reads and writes them */
	dma_addr_t desc_dma[RX_RING_SIZE];
	void *buf[RX_RING_SIZE];
	dma_addr_t buf_dma[RX_RING_SIZE];
	u32 last_len[RX_RING_SIZE];	/* length of the last packet received */
	unsigned int next;		/* next descriptor to complete */
};

/* Give descriptor i back to the device: address and size, then status. */
static void rx_arm(struct rx_ring *ring, unsigned int i)
{
	ring->desc[i]->addr = cpu_to_le64(ring->buf_dma[i]);
	ring->desc[i]->len = cpu_to_le32(RX_BUF_SIZE);
	dma_wmb();
	ring->desc[i]->status = 0;
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
	ring->pool = dma_pool_create("rx_desc", dev, sizeof(struct rx_desc),
				     RX_DESC_ALIGN, 0);
	if (!ring->pool)
		goto err;
	for (i = 0; i < RX_RING_SIZE; i++) {
		ring->desc[i] = dma_pool_zalloc(ring->pool, GFP_KERNEL,
						&ring->desc_dma[i]);
		if (!ring->desc[i])
			goto err;
	}
	for (i = 0; i < RX_RING_SIZE; i++)
		ring->desc[i]->next =
			cpu_to_le64(ring->desc_dma[(i + 1) % RX_RING_SIZE]);
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
		size_t size = RX_BUF_SIZE;

		if (!ring->buf[i])
			continue;
#ifdef BUG_UNMAP_WRONG_SIZE
		/* BUG: the length the device received, not the mapped size */
		if (ring->last_len[i])
			size = ring->last_len[i];
#endif
		dma_unmap_single(ring->dev, ring->buf_dma[i], size,
				 DMA_FROM_DEVICE);
		kfree(ring->buf[i]);
	}
	for (i = 0; i < RX_RING_SIZE; i++)
		if (ring->desc[i])
			dma_pool_free(ring->pool, ring->desc[i], ring->desc_dma[i]);
	dma_pool_destroy(ring->pool);	/* NULL is a no-op */
	kfree(ring);
}

dma_addr_t rx_ring_dma(const struct rx_ring *ring)
{
	return ring->desc_dma[0];
}

struct dma_pool *rx_ring_pool(const struct rx_ring *ring)
{
	return ring->pool;
}

dma_addr_t rx_ring_desc_dma(const struct rx_ring *ring, unsigned int i)
{
	return ring->desc_dma[i % RX_RING_SIZE];
}

int rx_poll(struct rx_ring *ring, struct rx_pkt *pkts, int budget)
{
	struct device *dev = ring->dev;
	int done = 0;

	while (done < budget) {
		unsigned int i = ring->next;
		u32 len;

		if (!(le32_to_cpu(ring->desc[i]->status) & RX_DESC_DONE))
			break;
		dma_rmb();			/* status before the rest */
		len = le32_to_cpu(ring->desc[i]->len);
		if (len > RX_BUF_SIZE)
			len = RX_BUF_SIZE;
#ifndef BUG_NO_SYNC_FOR_CPU
		dma_sync_single_for_cpu(dev, ring->buf_dma[i], RX_BUF_SIZE,
					DMA_FROM_DEVICE);
#endif
		pkts[done].len = len;
		ring->last_len[i] = len;
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
