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

#include <dmapool-kapi.h>	/* dev_of_node(), dev_name() */

#endif
