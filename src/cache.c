/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * cache.c — the CPU cache maintenance that streaming DMA asks for (models
 * arch/arm64/mm/dma-mapping.c and cache.S, arch/arm/mm/dma-mapping.c with
 * cache-v7.S, arch/riscv/mm/dma-noncoherent.c).
 *
 * arch_sync_dma_for_device() / arch_sync_dma_for_cpu() pick the operation
 * from the profile's table (spec §8.6) and hand it to the cache layer with
 * the exact physical range; every call is recorded in the decision trace
 * and counted per machine (dmapool_cache_ops()).
 *
 *             for_device                      for_cpu
 *   arm64     clean (every direction)         TO_DEVICE: none, else invalidate
 *   arm       TO_DEVICE/BIDIR clean,          TO_DEVICE: none, else invalidate
 *             FROM_DEVICE invalidate
 *   riscv64   clean (every direction)         TO_DEVICE: none, else invalidate
 *   x86_64    no hooks (every device is coherent)
 *
 * An invalidate of a range whose ends are not cache-line aligned cleans
 * and invalidates the partial lines at the edges (dcache_inval_poc,
 * v7_dma_inv_range): the trace says so.
 *
 * Left out: the cache contents themselves.  This module records and
 * counts the maintenance; the model that keeps a CPU view apart from DRAM
 * (so that a missing clean or invalidate shows up as a wrong byte) is not
 * built yet, and until it is the CPU view and DRAM are one memory.
 * cpu_copy_phys() is the kernel's memcpy through the linear map, the one
 * place where the library itself moves data as the CPU.
 */
#include "internal.h"

static const char *const op_names[] = {
	[DMAPOOL_CACHE_NONE] = "none",
	[DMAPOOL_CACHE_CLEAN] = "clean",
	[DMAPOOL_CACHE_INVAL] = "invalidate",
	[DMAPOOL_CACHE_FLUSH] = "clean+invalidate",
};

DMAPOOL_API const char *dmapool_cache_op_name(enum dmapool_cache_op op)
{
	return (unsigned)op < ARRAY_SIZE(op_names) ? op_names[op] : "?";
}

enum dmapool_cache_op cache_op_for_device(const struct dmapool_profile *p,
					  enum dma_data_direction dir)
{
	if (p->all_coherent)
		return DMAPOOL_CACHE_NONE;
	if (!strncmp(p->arch, "arm", 3) && strcmp(p->arch, "arm64"))
		return dir == DMA_FROM_DEVICE ? DMAPOOL_CACHE_INVAL :
			DMAPOOL_CACHE_CLEAN;
	return DMAPOOL_CACHE_CLEAN;
}

enum dmapool_cache_op cache_op_for_cpu(const struct dmapool_profile *p,
				       enum dma_data_direction dir)
{
	if (p->all_coherent || dir == DMA_TO_DEVICE)
		return DMAPOOL_CACHE_NONE;
	return DMAPOOL_CACHE_INVAL;
}

/* The cache layer: one maintenance operation on [pa, pa + size). */
static void cache_maintain(struct dmapool_machine *m, enum dmapool_cache_op op,
			   phys_addr_t pa, size_t size)
{
	if (op == DMAPOOL_CACHE_NONE || !size)
		return;
	__atomic_fetch_add(&m->cache_ops[op], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&m->cache_bytes[op], size, __ATOMIC_RELAXED);
}

static void record(struct dmapool_machine *m, struct dmapool_decision *d,
		   const char *func, enum dmapool_cache_op op, phys_addr_t pa,
		   size_t size, enum dma_data_direction dir)
{
	uint64_t line = m->prof.cache_line;
	bool partial = op == DMAPOOL_CACHE_INVAL &&
		((pa & (line - 1)) || ((pa + size) & (line - 1)));

	if (d && d->ncache < DMAPOOL_DECISION_MAX_CACHE) {
		d->cache[d->ncache].op = op;
		d->cache[d->ncache].phys = pa;
		d->cache[d->ncache].size = size;
		d->cache[d->ncache].for_device = !strcmp(func, "arch_sync_dma_for_device");
		d->ncache++;
	}
	dt_step(d, "cache", func, dmapool_cache_op_name(op),
		"%s [%#llx, %#llx) %s on %s%s", dir_name(dir),
		(unsigned long long)pa, (unsigned long long)(pa + size),
		op == DMAPOOL_CACHE_NONE ? "needs nothing" : "to the point of coherency",
		m->prof.arch,
		partial ? "; partial lines at the edges are cleaned and invalidated" : "");
}

void arch_sync_dma_for_device(struct dmapool_machine *m, phys_addr_t pa,
			      size_t size, enum dma_data_direction dir,
			      struct dmapool_decision *d)
{
	enum dmapool_cache_op op = cache_op_for_device(&m->prof, dir);

	record(m, d, "arch_sync_dma_for_device", op, pa, size, dir);
	cache_maintain(m, op, pa, size);
}

void arch_sync_dma_for_cpu(struct dmapool_machine *m, phys_addr_t pa,
			   size_t size, enum dma_data_direction dir,
			   struct dmapool_decision *d)
{
	enum dmapool_cache_op op = cache_op_for_cpu(&m->prof, dir);

	record(m, d, "arch_sync_dma_for_cpu", op, pa, size, dir);
	cache_maintain(m, op, pa, size);
}

void cpu_copy_phys(struct dmapool_machine *m, phys_addr_t dst, phys_addr_t src,
		   size_t len)
{
	uint8_t *s, *t;

	if (!len)
		return;
	/* through the linear map, as the kernel's memcpy does; memory that
	 * has none (no-map) through the device view */
	s = phys_to_virt(m, src);
	t = phys_to_virt(m, dst);
	if (!s || !physmem_dram(m, src, len))
		s = physmem_dram(m, src, len);
	if (!t || !physmem_dram(m, dst, len))
		t = physmem_dram(m, dst, len);
	if (s && t)
		memmove(t, s, len);
}

DMAPOOL_API uint64_t dmapool_cache_ops(struct dmapool_machine *m,
				       enum dmapool_cache_op op)
{
	if (!m || (unsigned)op >= ARRAY_SIZE(op_names))
		return 0;
	return __atomic_load_n(&m->cache_ops[op], __ATOMIC_RELAXED);
}
