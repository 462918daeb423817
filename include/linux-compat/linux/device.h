/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * libdmapool: struct device for driver code.  The structure is opaque:
 * devices come from dmapool_device_find() (one per enabled DT node).
 */
#ifndef DMAPOOL_COMPAT_LINUX_DEVICE_H
#define DMAPOOL_COMPAT_LINUX_DEVICE_H

#include <linux/types.h>

struct device;
struct device_node;

#ifdef __cplusplus
extern "C" {
#endif
DMAPOOL_API struct device_node *dev_of_node(struct device *dev);
DMAPOOL_API const char *dev_name(const struct device *dev);
#ifdef __cplusplus
}
#endif

#endif
