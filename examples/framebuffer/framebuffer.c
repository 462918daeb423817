/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * framebuffer: dma_alloc_wc() memory drawn by the CPU and read by a
 * non-coherent display controller.  The CPU must draw through the pointer
 * dma_alloc_wc() returned: that mapping is not cached, so every pixel
 * lands in DRAM where the scan-out engine fetches it.
 *
 * Built once per variant:
 *   (none)            the correct driver
 *   BUG_LINEAR_ALIAS  draws through the kernel's cacheable linear alias of
 *                     the same pages; the pixels stay in the CPU's cache
 *                     and the display shows whatever DRAM held
 */
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "framebuffer.h"

struct fb {
	struct device *dev;
	void *vaddr;		/* what dma_alloc_wc() returned */
	dma_addr_t dma;
	size_t size;
	unsigned int width, height, pitch;
	u8 *screen;		/* where the driver draws */
};

struct fb *fb_create(struct device *dev, unsigned int width,
		     unsigned int height)
{
	struct fb *fb;

	fb = kzalloc(sizeof(*fb), GFP_KERNEL);
	if (!fb)
		return NULL;
	fb->dev = dev;
	fb->width = width;
	fb->height = height;
	fb->pitch = width * FB_CPP;
	fb->size = PAGE_ALIGN((size_t)fb->pitch * height);
	fb->vaddr = dma_alloc_wc(dev, fb->size, &fb->dma, GFP_KERNEL);
	if (!fb->vaddr) {
		kfree(fb);
		return NULL;
	}
#ifdef BUG_LINEAR_ALIAS
	/*
	 * BUG: the linear-map address of the buffer, which is cacheable.
	 * (It also takes the DMA address for the physical one, which holds
	 * only on a bus without dma-ranges or IOMMU.)
	 */
	fb->screen = phys_to_virt(fb->dma);
#else
	fb->screen = fb->vaddr;
#endif
	return fb;
}

void fb_destroy(struct fb *fb)
{
	if (!fb)
		return;
	dma_free_wc(fb->dev, fb->size, fb->vaddr, fb->dma);
	kfree(fb);
}

dma_addr_t fb_dma(const struct fb *fb)
{
	return fb->dma;
}

unsigned int fb_pitch(const struct fb *fb)
{
	return fb->pitch;
}

void fb_fill_rect(struct fb *fb, unsigned int x, unsigned int y,
		  unsigned int w, unsigned int h, u32 color)
{
	unsigned int i, j;

	if (x >= fb->width || y >= fb->height)
		return;
	if (w > fb->width - x)
		w = fb->width - x;
	if (h > fb->height - y)
		h = fb->height - y;
	for (j = y; j < y + h; j++) {
		u32 *line = (u32 *)(fb->screen + (size_t)j * fb->pitch);

		for (i = x; i < x + w; i++)
			line[i] = color;
	}
}
