/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * framebuffer: a linear XRGB8888 framebuffer in write-combining memory
 * from the display controller's own reserved pool, scanned out by DMA,
 * and the fill-rectangle primitive of a console or of a dumb-buffer KMS
 * driver.
 */
#ifndef EXAMPLE_FRAMEBUFFER_H
#define EXAMPLE_FRAMEBUFFER_H

#include <linux/types.h>
#include <linux/device.h>

#define FB_CPP		4	/* bytes per pixel */

struct fb;

/* Probe: attach the display's memory-region pool, set the DMA mask.
 * 0 or the negative errno of of_reserved_mem_device_init(). */
int fb_dev_init(struct device *dev);
/* Remove: detach the pool (every framebuffer freed first). */
void fb_dev_exit(struct device *dev);
/* A width x height framebuffer, zeroed; NULL when the pool cannot hold it. */
struct fb *fb_create(struct device *dev, unsigned int width,
		     unsigned int height);
void fb_destroy(struct fb *fb);
/* What the driver programs into the scan-out base register. */
dma_addr_t fb_dma(const struct fb *fb);
/* The CPU pointer dma_alloc_wc() returned, and the buffer's size. */
void *fb_vaddr(const struct fb *fb);
size_t fb_size(const struct fb *fb);
unsigned int fb_pitch(const struct fb *fb);
/* Fill a rectangle (clipped to the screen) with one colour. */
void fb_fill_rect(struct fb *fb, unsigned int x, unsigned int y,
		  unsigned int w, unsigned int h, u32 color);

#endif
