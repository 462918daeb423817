/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * libdmapool: include/linux/of_reserved_mem.h of Linux 6.12.
 *
 * A device's memory-region entries are attached only when its driver calls
 * these, except restricted-dma-pool (attached when the machine is built).
 * Returns 0; -EINVAL (no dev/np, region unknown or without a handler, or
 * its handler refused, e.g. a mapped pool on arm64); -ENODEV (no such
 * memory-region index or name); -EBUSY (the device already has a pool).
 * A disabled target returns 0 and attaches nothing.
 */
#ifndef DMAPOOL_COMPAT_LINUX_OF_RESERVED_MEM_H
#define DMAPOOL_COMPAT_LINUX_OF_RESERVED_MEM_H

#include <linux/device.h>
#include <linux/of.h>

#include <dmapool-kapi.h>	/* the _by_idx, _by_name and _release calls */

static inline int of_reserved_mem_device_init(struct device *dev)
{
	return of_reserved_mem_device_init_by_idx(dev, dev_of_node(dev), 0);
}

#endif
