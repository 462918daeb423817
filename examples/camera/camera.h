/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * camera: the capture-buffer side of a camera driver behind an IOMMU.
 * Each buffer is a set of separate pages described by an sg_table and
 * mapped for the device with dma_map_sgtable(); the IOMMU makes them one
 * contiguous range of IOVA, so the capture engine takes one base address.
 */
#ifndef EXAMPLE_CAMERA_H
#define EXAMPLE_CAMERA_H

#include <linux/types.h>
#include <linux/device.h>
#include <linux/scatterlist.h>

#define CAM_WIDTH	128
#define CAM_HEIGHT	128
#define CAM_CPP		4	/* XRGB8888 */
#define CAM_FRAME_SIZE	(CAM_WIDTH * CAM_HEIGHT * CAM_CPP)	/* 64 KiB */
#define CAM_PAGES	(CAM_FRAME_SIZE / PAGE_SIZE)		/* 16 */

/* What the driver asks of the hardware: stop the capture engine (it
 * finishes the frame in flight first). */
struct cam_hw_ops {
	void (*stop)(void *ctx);
	void *ctx;
};

struct cam_buf {
	struct page *pages[CAM_PAGES];
	struct sg_table sgt;
};

struct camera;

struct camera *cam_create(struct device *dev, const struct cam_hw_ops *hw);
void cam_destroy(struct camera *cam);
/* Allocate and map the capture buffer; 0 or -errno. */
int cam_stream_on(struct camera *cam);
/* Stop the hardware, unmap and free the buffer. */
void cam_stream_off(struct camera *cam);
/* What the driver programs into the engine's base register: the IOVA. */
dma_addr_t cam_dma(const struct camera *cam);
struct cam_buf *cam_buffer(struct camera *cam);
/* A frame is complete: copy it out of the buffer (len CAM_FRAME_SIZE),
 * then hand the buffer back to the device. */
void cam_dequeue(struct camera *cam, void *frame);

#endif
