/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/* libdmapool: device-tree nodes as driver code sees them (opaque). */
#ifndef DMAPOOL_COMPAT_LINUX_OF_H
#define DMAPOOL_COMPAT_LINUX_OF_H

#include <linux/types.h>

struct device_node;

#endif
