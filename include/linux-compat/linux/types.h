/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/* libdmapool: the kernel's basic types for driver code built on a host. */
#ifndef DMAPOOL_COMPAT_LINUX_TYPES_H
#define DMAPOOL_COMPAT_LINUX_TYPES_H

/* the host's uapi types first: host headers include <linux/types.h> too */
#if defined(__has_include_next)
#if __has_include_next(<linux/types.h>)
#include_next <linux/types.h>
#endif
#endif
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dmapool.h>	/* dma_addr_t, phys_addr_t */

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef unsigned int gfp_t;	/* also in dmapool-kdefs.h */
typedef phys_addr_t resource_size_t;

#endif
