/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * libdmapool: the barriers of arch/arm64/include/asm/barrier.h that DMA
 * drivers use to order descriptor accesses against the device, as C11
 * fences.  The simulated device runs on the caller's thread, so these
 * only keep the compiler (and the host CPU) from reordering.
 */
#ifndef DMAPOOL_COMPAT_ASM_BARRIER_H
#define DMAPOOL_COMPAT_ASM_BARRIER_H

#define mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define rmb()		__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define wmb()		__atomic_thread_fence(__ATOMIC_RELEASE)
#define dma_mb()	mb()
#define dma_rmb()	rmb()
#define dma_wmb()	wmb()

#endif
