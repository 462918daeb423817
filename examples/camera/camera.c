/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * camera: scatter-gather capture buffers of a camera behind an IOMMU
 * (the pattern of videobuf2's dma-sg memory, drivers/media/common/
 * videobuf2/videobuf2-dma-sg.c).  The buffer is CAM_PAGES separate pages
 * from alloc_page(), gathered with sg_alloc_table_from_pages() and mapped
 * with dma_map_sgtable(DMA_FROM_DEVICE): dma-iommu gives the whole list
 * one IOVA range and merges it into one DMA segment (iommu_dma_map_sg,
 * __finalise_sg), whatever the pages' physical addresses.  The camera does
 * not snoop the CPU's caches, so each frame is read after
 * dma_sync_sgtable_for_cpu() and the buffer goes back to the device with
 * dma_sync_sgtable_for_device().
 *
 * Left out: V4L2, the buffer queue (one buffer here), the sensor, and
 * the hardware's registers (the test's model plays them).
 *
 * Built once per variant:
 *   (none)                 the correct driver
 *   BUG_UNMAP_BEFORE_STOP  stream-off unmaps the buffer before it stops
 *                          the capture engine
 *   BUG_NO_SYNC_FOR_CPU    reads the frame without dma_sync_sgtable_for_cpu()
 */
#include <errno.h>
#include <string.h>

#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/slab.h>

#include "camera.h"

struct camera {
	struct device *dev;
	struct cam_hw_ops hw;
	struct cam_buf buf;
	bool mapped;
};

struct camera *cam_create(struct device *dev, const struct cam_hw_ops *hw)
{
	struct camera *cam;

	if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32)))
		return NULL;
	cam = kzalloc(sizeof(*cam), GFP_KERNEL);
	if (!cam)
		return NULL;
	cam->dev = dev;
	cam->hw = *hw;
	return cam;
}

void cam_destroy(struct camera *cam)
{
	if (!cam)
		return;
	cam_stream_off(cam);
	kfree(cam);
}

static void free_pages_of(struct cam_buf *buf)
{
	for (unsigned int i = 0; i < CAM_PAGES; i++) {
		if (buf->pages[i])
			__free_page(buf->pages[i]);
		buf->pages[i] = NULL;
	}
}

int cam_stream_on(struct camera *cam)
{
	struct cam_buf *buf = &cam->buf;
	int ret;

	if (cam->mapped)
		return -EBUSY;
	for (unsigned int i = 0; i < CAM_PAGES; i++) {
		buf->pages[i] = alloc_page(GFP_KERNEL);
		if (!buf->pages[i]) {
			free_pages_of(buf);
			return -ENOMEM;
		}
	}
	/* physically contiguous neighbours share an entry, the rest do not */
	ret = sg_alloc_table_from_pages(&buf->sgt, buf->pages, CAM_PAGES, 0,
					CAM_FRAME_SIZE, GFP_KERNEL);
	if (ret) {
		free_pages_of(buf);
		return ret;
	}
	ret = dma_map_sgtable(cam->dev, &buf->sgt, DMA_FROM_DEVICE, 0);
	if (ret) {
		sg_free_table(&buf->sgt);
		free_pages_of(buf);
		return ret;
	}
	cam->mapped = true;
	return 0;
}

void cam_stream_off(struct camera *cam)
{
	struct cam_buf *buf = &cam->buf;

	if (!cam->mapped)
		return;
#ifdef BUG_UNMAP_BEFORE_STOP
	/* BUG: the engine may still be writing the frame in flight */
	dma_unmap_sgtable(cam->dev, &buf->sgt, DMA_FROM_DEVICE, 0);
	cam->hw.stop(cam->hw.ctx);
#else
	cam->hw.stop(cam->hw.ctx);
	dma_unmap_sgtable(cam->dev, &buf->sgt, DMA_FROM_DEVICE, 0);
#endif
	sg_free_table(&buf->sgt);
	free_pages_of(buf);
	cam->mapped = false;
}

dma_addr_t cam_dma(const struct camera *cam)
{
	/* one DMA segment: the first one's address is the whole range's */
	return sg_dma_address(cam->buf.sgt.sgl);
}

struct cam_buf *cam_buffer(struct camera *cam)
{
	return &cam->buf;
}

void cam_dequeue(struct camera *cam, void *frame)
{
	struct cam_buf *buf = &cam->buf;
	u8 *out = frame;

#ifndef BUG_NO_SYNC_FOR_CPU
	dma_sync_sgtable_for_cpu(cam->dev, &buf->sgt, DMA_FROM_DEVICE);
#endif
	/* the pages through their linear addresses, in order */
	for (unsigned int i = 0; i < CAM_PAGES; i++)
		memcpy(out + i * PAGE_SIZE, page_address(buf->pages[i]), PAGE_SIZE);
	dma_sync_sgtable_for_device(cam->dev, &buf->sgt, DMA_FROM_DEVICE);
}
