/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * rproc: the memory side of a remote-processor driver.  The remote
 * processor's vrings and buffers come from a reserved "shared-dma-pool"
 * named by its memory-region; several remote processors may name the same
 * pool and then allocate from one bitmap.
 */
#ifndef EXAMPLE_RPROC_H
#define EXAMPLE_RPROC_H

#include <linux/types.h>
#include <linux/device.h>

/* One piece of shared memory: vring or buffer area. */
struct rproc_mem {
	void *va;		/* CPU address (write-combining) */
	dma_addr_t da;		/* what the remote processor is told */
	size_t len;		/* bytes obtained */
	size_t want;		/* bytes asked for */
};

/* Probe: attach memory-region[0] and set a 32-bit DMA mask; 0 or -errno. */
int rproc_probe(struct device *dev);
/* Remove: detach the pool (every piece freed first). */
void rproc_remove(struct device *dev);
/*
 * Allocate `want` bytes; when the pool cannot hold them, retry with half
 * as much, down to `min`.  0 with *mem filled, or -ENOMEM (*mem zeroed).
 */
int rproc_mem_alloc(struct device *dev, size_t want, size_t min,
		    struct rproc_mem *mem);
void rproc_mem_free(struct device *dev, struct rproc_mem *mem);

#endif
