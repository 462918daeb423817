/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * SWIOTLB default bounce pool, boot part (models kernel/dma/swiotlb.c
 * swiotlb_init_remap, swiotlb_adjust_size, setup_io_tlb_npages and arm64's
 * mem_init decision).
 *
 * arm64 6.12: a full pool (64 MiB) when RAM reaches beyond the DMA zone,
 * otherwise 1 MiB per GiB of RAM for unaligned-kmalloc bouncing ("adjusted
 * to 2MB" at 2 GiB).  The pool comes from memblock below the DMA limit,
 * top-down, halving on failure down to 1 MiB.
 *
 * Left out here: slot allocation and bouncing (the streaming issue), the
 * dynamic pools of CONFIG_SWIOTLB_DYNAMIC (off in Debian).
 */
#include <ctype.h>

#include "internal.h"

#define IO_TLB_SHIFT	11
#define IO_TLB_SEGSIZE	128
#define IO_TLB_DEFAULT	((64 * SZ_1M) >> IO_TLB_SHIFT)
#define IO_TLB_MIN	((SZ_1M) >> IO_TLB_SHIFT)

static uint64_t roundup_pow2(uint64_t x)
{
	uint64_t r = 1;

	while (r < x)
		r <<= 1;
	return r;
}

/* swiotlb_adjust_nareas + round_up_default_nslabs */
static void adjust_nareas(struct dmapool_machine *m, unsigned nareas)
{
	struct io_tlb_pool *p = &m->swiotlb;

	if (!nareas)
		nareas = 1;
	else if (!is_pow2_u64(nareas))
		nareas = (unsigned)roundup_pow2(nareas);
	p->nareas = nareas;
	klog(m, "software IO TLB: area num %u.", nareas);
	if (p->nslabs < (uint64_t)IO_TLB_SEGSIZE * nareas) {
		p->nslabs = (uint64_t)IO_TLB_SEGSIZE * nareas;
	} else if (is_pow2_u64(p->nslabs)) {
		return;
	} else {
		p->nslabs = roundup_pow2(p->nslabs);
	}
	klog(m, "software IO TLB: SWIOTLB bounce buffer size roundup to %lluMB",
	     (unsigned long long)((p->nslabs << IO_TLB_SHIFT) >> 20));
}

void swiotlb_parse_param(struct dmapool_machine *m, const char *val)
{
	struct io_tlb_pool *p = &m->swiotlb;
	const char *s = val;

	if (!p->nslabs)
		p->nslabs = IO_TLB_DEFAULT;
	if (isdigit((unsigned char)*s)) {
		char *e;
		uint64_t n = strtoull(s, &e, 0);

		s = e;

		p->nslabs = ALIGN_UP(n, IO_TLB_SEGSIZE);
		m->bp.swiotlb_nslabs_set = true;
	}
	if (*s == ',')
		s++;
	if (isdigit((unsigned char)*s)) {
		char *e;
		unsigned na = (unsigned)strtoul(s, &e, 0);

		s = e;

		m->bp.swiotlb_nareas = na ? na : 1;
		adjust_nareas(m, na);
	}
	if (*s == ',')
		s++;
	if (!strcmp(s, "force"))
		m->bp.swiotlb_force = true;
	else if (!strcmp(s, "noforce"))
		m->bp.swiotlb_noforce = true;
}

void swiotlb_init(struct dmapool_machine *m)
{
	struct io_tlb_pool *p = &m->swiotlb;
	bool needed;
	uint64_t nslabs;
	phys_addr_t base = 0;
	char a[24], b[24];

	if (!m->prof.swiotlb)
		return;
	if (!p->nslabs)
		p->nslabs = IO_TLB_DEFAULT;
	/* arm64 mem_init */
	needed = m->max_pfn > (m->dma_phys_limit >> m->prof.page_shift);
	if (m->prof.bounce_unaligned_kmalloc && !needed) {
		uint64_t size = (memblock_phys_mem_size(&m->mb) + 1023) / 1024;

		if (p->nslabs == IO_TLB_DEFAULT) {	/* swiotlb_adjust_size */
			uint64_t def = IO_TLB_DEFAULT << IO_TLB_SHIFT;

			if (size > def)
				size = def;
			size = ALIGN_UP(size, 1ULL << IO_TLB_SHIFT);
			p->nslabs = ALIGN_UP(size >> IO_TLB_SHIFT, IO_TLB_SEGSIZE);
			klog(m, "software IO TLB: SWIOTLB bounce buffer size adjusted to %lluMB",
			     (unsigned long long)(size >> 20));
		}
		needed = true;
	}
	if (!needed && !m->bp.swiotlb_force)
		return;
	if (m->bp.swiotlb_noforce)
		return;
	if (!p->nareas)
		adjust_nareas(m, m->prof.nr_cpus);
	nslabs = p->nslabs;
	for (;;) {
		uint64_t bytes = ALIGN_UP(nslabs << IO_TLB_SHIFT, m->prof.page_size);

		/* memblock_alloc_low: below ARCH_LOW_ADDRESS_LIMIT (inclusive) */
		base = memblock_alloc_range(&m->mb, bytes, m->prof.page_size, 0,
					    m->dma_phys_limit - 1, "swiotlb");
		if (base)
			break;
		klog(m, "software IO TLB: swiotlb_memblock_alloc: Failed to allocate %llu bytes tlb structure",
		     (unsigned long long)bytes);
		if (nslabs <= IO_TLB_MIN)
			return;
		nslabs = ALIGN_UP(nslabs >> 1, IO_TLB_SEGSIZE);
	}
	if (nslabs != p->nslabs) {
		klog(m, "software IO TLB: SWIOTLB bounce buffer size adjusted %llu -> %llu slabs",
		     (unsigned long long)p->nslabs, (unsigned long long)nslabs);
		p->nslabs = nslabs;
	}
	p->start = base;
	p->end = base + (nslabs << IO_TLB_SHIFT);
	p->present = true;
	p->force = m->bp.swiotlb_force;
	klog(m, "software IO TLB: mapped [mem %s-%s] (%lluMB)", fmt_pa(m, p->start, a),
	     fmt_pa(m, p->end, b), (unsigned long long)((nslabs << IO_TLB_SHIFT) >> 20));
}
