/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * rx_ring: the receive path of a network controller.  The device takes
 * buffers from a ring of linked descriptors, each a block of a dma_pool
 * (coherent memory), writes a packet into the buffer and then the length
 * and RX_DESC_DONE into the descriptor, and follows the descriptor's next
 * link; rx_poll() hands completed packets to the caller and gives the
 * buffers back to the device.
 */
#ifndef EXAMPLE_RX_RING_H
#define EXAMPLE_RX_RING_H

#include <linux/types.h>
#include <linux/device.h>

#define RX_RING_SIZE	8
#define RX_BUF_SIZE	1536

/* One descriptor as the device sees it (little-endian). */
struct rx_desc {
	__le64 addr;	/* buffer DMA address, written by the driver */
	__le64 next;	/* DMA address of the next descriptor (a ring) */
	__le32 len;	/* buffer size when armed, packet length when done */
	__le32 status;	/* RX_DESC_DONE: the device filled the buffer */
};

#define RX_DESC_ALIGN	32	/* the device fetches 32-byte aligned blocks */

#define RX_DESC_DONE	0x1

struct rx_pkt {
	u32 len;
	u8 data[RX_BUF_SIZE];
};

struct rx_ring;

struct rx_ring *rx_ring_create(struct device *dev);
void rx_ring_destroy(struct rx_ring *ring);
/* What the driver programs into the device's ring base register: the
 * first descriptor. */
dma_addr_t rx_ring_dma(const struct rx_ring *ring);
/* The descriptors' dma_pool (for its counters) and descriptor i's DMA
 * address. */
struct dma_pool *rx_ring_pool(const struct rx_ring *ring);
dma_addr_t rx_ring_desc_dma(const struct rx_ring *ring, unsigned int i);
/* Copy up to budget completed packets to pkts[]; returns how many. */
int rx_poll(struct rx_ring *ring, struct rx_pkt *pkts, int budget);

#endif
