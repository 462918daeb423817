/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * framebuffer: the framebuffer of a display controller that has its own
 * memory, a no-map "shared-dma-pool" reserved region named by the
 * display's memory-region (kernel/dma/coherent.c).  The probe attaches the
 * region with of_reserved_mem_device_init(); from then on dma_alloc_wc()
 * takes the framebuffer from that pool (dma_alloc_from_dev_coherent), mapped
 * write-combining, and never from anywhere else.  The CPU must draw through
 * the pointer dma_alloc_wc() returned: that mapping is not cached, so every
 * pixel lands in DRAM where the non-coherent scan-out engine fetches it.
 *
 * Left out: mode setting, the display's registers, double buffering, and
 * the user mapping (dma_mmap_wc()) a DRM driver would offer.
 *
 * Built once per variant:
 *   (none)            the correct driver
 *   BUG_LINEAR_ALIAS  draws through the kernel's linear-map address of the
 *                     pool (phys_to_virt of the DMA address); a no-map
 *                     region has no linear mapping, so the kernel takes a
 *                     data abort there, and the display never sees the pixels
 */
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/of_reserved_mem.h>
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

int fb_dev_init(struct device *dev)
{
	int ret;

	/* memory-region[0]: the shared-dma-pool becomes dev->dma_mem */
	ret = of_reserved_mem_device_init(dev);
	if (ret)
		return ret;
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32));
	if (ret)
		of_reserved_mem_device_release(dev);
	return ret;
}

void fb_dev_exit(struct device *dev)
{
	of_reserved_mem_device_release(dev);
}

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
	 * BUG: the linear-map address of the buffer.  The pool is no-map:
	 * the kernel has no linear mapping there at all.  (It also takes the
	 * DMA address for the physical one, which holds only on a bus
	 * without dma-ranges or IOMMU.)
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

void *fb_vaddr(const struct fb *fb)
{
	return fb->vaddr;
}

size_t fb_size(const struct fb *fb)
{
	return fb->size;
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
