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

/* include/linux/byteorder/generic.h: descriptors are little-endian */
#include <endian.h>
#ifndef cpu_to_le32
#define cpu_to_le16(x)	((uint16_t)htole16(x))
#define cpu_to_le32(x)	((uint32_t)htole32(x))
#define cpu_to_le64(x)	((uint64_t)htole64(x))
#define le16_to_cpu(x)	((uint16_t)le16toh(x))
#define le32_to_cpu(x)	((uint32_t)le32toh(x))
#define le64_to_cpu(x)	((uint64_t)le64toh(x))
#endif

#endif
