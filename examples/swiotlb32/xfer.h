/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * xfer: the data path of a simple DMA engine driver: streaming transfers
 * to and from kmalloc() buffers, and a command buffer mapped for the
 * driver's lifetime and passed back and forth with the syncs.
 */
#ifndef EXAMPLE_XFER_H
#define EXAMPLE_XFER_H

#include <linux/types.h>
#include <linux/device.h>

#define XFER_CMD_SIZE	4096

struct xfer;

/* Probe with the engine's address width (32 or 64 bits); NULL on error. */
struct xfer *xfer_probe(struct device *dev, unsigned int addr_bits);
void xfer_remove(struct xfer *x);

/* Lend buf to the device for one transfer; DMA_MAPPING_ERROR on failure.
 * The _done calls end it (the data of a receive is in buf afterwards). */
dma_addr_t xfer_tx_start(struct xfer *x, void *buf, size_t len);
void xfer_tx_done(struct xfer *x, dma_addr_t dma, size_t len);
dma_addr_t xfer_rx_start(struct xfer *x, void *buf, size_t len);
void xfer_rx_done(struct xfer *x, dma_addr_t dma, size_t len);

/* The command buffer: the CPU's pointer and the device's address. */
void *xfer_cmd(struct xfer *x);
dma_addr_t xfer_cmd_dma(struct xfer *x);
/* The CPU wrote a request into the command buffer: hand it over. */
void xfer_cmd_post(struct xfer *x);
/* The device wrote its reply: take the buffer back to read it. */
void xfer_cmd_complete(struct xfer *x);

#endif
