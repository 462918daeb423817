/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * libdmapool: the parts of include/linux/dma-map-ops.h a driver or
 * platform code calls (Linux 6.12): per-device coherent memory and the
 * coherency query.
 */
#ifndef DMAPOOL_COMPAT_LINUX_DMA_MAP_OPS_H
#define DMAPOOL_COMPAT_LINUX_DMA_MAP_OPS_H

#include <linux/types.h>
#include <linux/device.h>

/* dma_declare_coherent_memory(): 0; -EINVAL (size 0, or memremap refuses
 * System RAM); -ENOMEM; -ENODEV (no device); -EBUSY (the device already
 * has a pool).  dma_release_coherent_memory(), dev_is_dma_coherent(). */
#include <dmapool-kapi.h>

#endif
