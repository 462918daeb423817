/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Architecture profiles: the kernel configuration that decides which DMA
 * mechanisms exist (kernel/dma/Kconfig, arch/{arm64,arm,riscv,x86}/Kconfig,
 * Debian's 6.12 config for arm64).
 *
 * Left out: every knob that does not change a DMA decision.  Other profiles
 * than arm64 change only what the kernel's own Kconfig changes (spec §15).
 */
#include <ctype.h>

#include "internal.h"

static void base_arm64(struct dmapool_profile *p)
{
	memset(p, 0, sizeof(*p));
	strcpy(p->arch, "arm64");
	p->page_shift = 12;
	p->page_size = 4096;
	p->max_page_order = 10;
	p->pageblock_size = 2 * SZ_1M;
	p->cma = true;
	p->cma_size_mbytes = 64;	/* Debian: CONFIG_CMA_SIZE_MBYTES=64 */
	p->cma_alignment = 8;
	p->cma_areas = 20;		/* Debian 6.12: CONFIG_CMA_AREAS=20 */
	p->max_reserved_regions = 64;
	p->dma_direct_remap = true;
	p->dma_global_pool = false;
	p->dma_restricted_pool = false;	/* not set in Debian's arm64 config */
	p->arch_dma_alloc = false;
	p->arm32_nomap_required = false;
	p->swiotlb = true;
	p->bounce_unaligned_kmalloc = true;
	/* Debian: "mem auto-init: ... heap alloc:on, heap free:off" */
	p->init_on_alloc = true;
	p->default_coherent = false;
	p->all_coherent = false;
	p->zone_dma = true;
	p->zone_dma32 = true;
	p->zone_dma_limit = 0xffffffffULL;
	p->arm64_zone_rules = true;
	p->arch_dma_minalign = 128;
	p->cache_line = 64;
	p->smp_cache_bytes = 64;
	p->kmalloc_min = 8;
	p->phys_digits = 16;
	p->kernel_offset = 0x200000;
	p->kernel_size = 0x2b30000;	/* 6.12 Debian Image: 0x40200000..0x42d2ffff */
	p->early_allocs = true;
	p->struct_page_size = 64;
	p->early_fixed = 2 * SZ_1M;
	p->nr_cpus = 1;
	p->numa_node_msg = true;
	p->atomic_pool_min_kib = 128;
	p->dma_write_combine = false;
	p->dmacoherent_attr = DMAPOOL_ATTR_WC;	/* Normal non-cacheable */
	p->arm_coherent_pool = 256 * SZ_1K;
	/* the cache model (cache.c, trap.c, device.c) */
	p->inval_edge_flush = true;	/* dcache_inval_poc: dc civac at the edges */
	p->inval_for_device_fromdevice = false;
	p->cpu_traps = true;
	p->cache_stress = false;
	p->cache_seed = 0;
	p->strict_ownership = false;
	p->dev_read_fromdevice_bug = false;
	p->iommu_dma = true;
	p->iommu_default_strict = true;	/* Debian: IOMMU_DEFAULT_DMA_STRICT */
	p->iommu_granule = 4096;
}

int profile_init(struct dmapool_profile *p, const char *arch)
{
	if (!arch || !*arch)
		arch = "arm64";
	base_arm64(p);
	if (!strcmp(arch, "arm64"))
		return 0;
	if (!strcmp(arch, "arm")) {
		strcpy(p->arch, "arm");
		p->iommu_dma = false;	/* arm_iommu_* ops, not modelled */
		p->inval_for_device_fromdevice = true;
		p->pageblock_size = 4 * SZ_1M;	/* pageblock_order = MAX_PAGE_ORDER on arm */
		p->cma_size_mbytes = 16;
		p->cma_areas = 7;
		p->dma_direct_remap = false;	/* arm has its own arch_dma_alloc */
		p->arch_dma_alloc = true;
		p->arm32_nomap_required = true;
		p->swiotlb = false;
		p->bounce_unaligned_kmalloc = false;
		p->zone_dma32 = false;
		p->arm64_zone_rules = false;
		p->arch_dma_minalign = 64;
		p->kmalloc_min = 64;
		/* VMSPLIT_3G: 768 MiB of lowmem (vmalloc_min 0xf0000000) */
		p->lowmem_size = 0x30000000ULL;
		p->phys_digits = 8;
		p->kernel_offset = 0x8000;
		p->kernel_size = 0x1000000;
		p->struct_page_size = 32;
		p->numa_node_msg = true;
		return 0;
	}
	if (!strcmp(arch, "arm-nommu")) {
		strcpy(p->arch, "arm-nommu");
		p->iommu_dma = false;
		p->inval_for_device_fromdevice = true;
		p->pageblock_size = 4 * SZ_1M;
		p->cma = false;
		p->cma_size_mbytes = 0;
		p->dma_direct_remap = false;
		p->dma_global_pool = true;
		p->arm32_nomap_required = true;
		p->swiotlb = false;
		p->bounce_unaligned_kmalloc = false;
		p->dmacoherent_attr = DMAPOOL_ATTR_UC;
		p->zone_dma = false;
		p->zone_dma32 = false;
		p->arm64_zone_rules = false;
		p->arch_dma_minalign = 32;
		p->cache_line = 32;
		p->smp_cache_bytes = 32;
		p->kmalloc_min = 32;
		p->phys_digits = 8;
		p->kernel_offset = 0;
		p->kernel_size = 0;		/* XIP from flash */
		p->early_allocs = false;
		p->struct_page_size = 32;
		return 0;
	}
	if (!strcmp(arch, "riscv64")) {
		strcpy(p->arch, "riscv64");
		p->cma_size_mbytes = 16;
		p->cma_areas = 8;
		p->default_coherent = true;	/* ARCH_DMA_DEFAULT_COHERENT */
		p->dmacoherent_attr = DMAPOOL_ATTR_UC;	/* pgprot_noncached */
		p->zone_dma = false;
		p->zone_dma32 = true;
		p->arm64_zone_rules = false;
		p->arch_dma_minalign = 64;
		p->kernel_offset = 0x200000;
		p->kernel_size = 0x1600000;
		p->inval_edge_flush = false;	/* cbo.inval: whole lines dropped */
		return 0;
	}
	if (!strcmp(arch, "x86_64")) {
		strcpy(p->arch, "x86_64");
		p->iommu_default_strict = false;	/* Debian amd64: lazy */
		p->zone_dma_limit = 0xffffffULL;	/* ZONE_DMA: the first 16 MiB */
		p->cma_size_mbytes = 0;
		p->dma_direct_remap = false;
		p->bounce_unaligned_kmalloc = false;
		p->default_coherent = true;
		p->all_coherent = true;
		p->arm64_zone_rules = false;
		p->arch_dma_minalign = 64;
		p->kernel_offset = 0x1000000;
		p->kernel_size = 0x2000000;
		p->early_allocs = false;
		return 0;
	}
	return -EINVAL;
}

struct knob {
	const char *name;
	size_t off;
	char type;	/* 'b' bool, 'u' unsigned, 'q' uint64 */
};

#define K(n, t) { #n, offsetof(struct dmapool_profile, n), t }
static const struct knob knobs[] = {
	K(page_shift, 'u'), K(max_page_order, 'u'), K(pageblock_size, 'q'),
	K(cma, 'b'), K(cma_size_mbytes, 'q'), K(cma_alignment, 'u'),
	K(cma_areas, 'u'), K(max_reserved_regions, 'u'),
	K(dma_direct_remap, 'b'), K(dma_global_pool, 'b'),
	K(dma_restricted_pool, 'b'), K(arch_dma_alloc, 'b'),
	K(arm32_nomap_required, 'b'), K(swiotlb, 'b'),
	K(bounce_unaligned_kmalloc, 'b'), K(default_coherent, 'b'),
	K(all_coherent, 'b'), K(zone_dma, 'b'), K(zone_dma32, 'b'), K(lowmem_size, 'q'),
	K(init_on_alloc, 'b'), K(dmapool_debug, 'b'),
	K(zone_dma_limit, 'q'), K(arch_dma_minalign, 'u'), K(cache_line, 'u'),
	K(smp_cache_bytes, 'u'), K(kmalloc_min, 'u'), K(kernel_offset, 'q'),
	K(kernel_size, 'q'), K(early_allocs, 'b'), K(early_fixed, 'q'),
	K(nr_cpus, 'u'), K(dma_write_combine, 'b'), K(arm_coherent_pool, 'q'),
	K(inval_edge_flush, 'b'), K(inval_for_device_fromdevice, 'b'), K(cpu_traps, 'b'), K(cache_stress, 'b'),
	K(cache_seed, 'q'), K(strict_ownership, 'b'), K(dev_read_fromdevice_bug, 'b'),
	K(iommu_dma, 'b'), K(iommu_default_strict, 'b'), K(iommu_granule, 'q'),
};
#undef K

int profile_apply_knobs(struct dmapool_profile *p, const char *spec,
			char *bad, size_t badlen)
{
	const char *s = spec;

	while (s && *s) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		char item[96];
		char *eq;
		const char *val_end;
		const struct knob *k = NULL;
		uint64_t v;

		if (len == 0) {
			s = end ? end + 1 : NULL;
			continue;
		}
		if (len >= sizeof(item))
			goto bad_item;
		memcpy(item, s, len);
		item[len] = 0;
		eq = strchr(item, '=');
		if (!eq)
			goto bad_item;
		*eq = 0;
		for (size_t i = 0; i < ARRAY_SIZE(knobs); i++)
			if (!strcmp(knobs[i].name, item))
				k = &knobs[i];
		if (!k)
			goto bad_item;
		if (!strcmp(eq + 1, "y") || !strcmp(eq + 1, "true"))
			v = 1;
		else if (!strcmp(eq + 1, "n") || !strcmp(eq + 1, "false"))
			v = 0;
		else {
			const char *e;
			v = memparse(eq + 1, &e);
			val_end = e;
			if (val_end == eq + 1 || *val_end)
				goto bad_item;
		}
		switch (k->type) {
		case 'b': *(bool *)((char *)p + k->off) = v != 0; break;
		case 'u':
			if (v > 0xffffffffULL)
				goto bad_item;
			*(unsigned *)((char *)p + k->off) = (unsigned)v;
			break;
		default: *(uint64_t *)((char *)p + k->off) = v; break;
		}
		s = end ? end + 1 : NULL;
		continue;
bad_item:
		snprintf(bad, badlen, "%.*s", (int)(len > 60 ? 60 : len), s);
		return -EINVAL;
	}
	if (p->page_shift < 12 || p->page_shift > 16 || p->max_page_order > 16 ||
	    !is_pow2_u64(p->pageblock_size) || p->cma_alignment > 12 ||
	    p->cma_areas > DMAPOOL_MAX_CMA || !p->cache_line ||
	    !is_pow2_u64(p->cache_line) ||
	    (p->iommu_granule != 4096 && p->iommu_granule != 16384 &&
	     p->iommu_granule != 65536)) {
		snprintf(bad, badlen, "out-of-range knob value");
		return -EINVAL;
	}
	p->page_size = 1ULL << p->page_shift;
	return 0;
}

/*
 * lib/cmdline.c memparse() over lib/kstrtox.c simple_strtoull(): base 16
 * after "0x" followed by a hex digit, 8 after another leading 0, else 10;
 * no sign and no blanks are taken ("-1" is 0 with the end at the '-'); an
 * overflowing number wraps, as the kernel's does; then one K/M/G/T/P/E
 * suffix (shifts that wrap too).
 */
uint64_t memparse(const char *s, const char **end)
{
	const char *p = s;
	unsigned base = 10;
	uint64_t v = 0;

	if (p[0] == '0') {
		if ((p[1] == 'x' || p[1] == 'X') && isxdigit((unsigned char)p[2])) {
			base = 16;
			p += 2;
		} else {
			base = 8;
		}
	}
	for (;; p++) {
		unsigned d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (*p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			break;
		if (d >= base)
			break;
		v = v * base + d;	/* wraps on overflow, as the kernel's */
	}
	switch (*p) {
	case 'E': case 'e': v <<= 10; /* fallthrough */
	case 'P': case 'p': v <<= 10; /* fallthrough */
	case 'T': case 't': v <<= 10; /* fallthrough */
	case 'G': case 'g': v <<= 10; /* fallthrough */
	case 'M': case 'm': v <<= 10; /* fallthrough */
	case 'K': case 'k': v <<= 10; p++; break;
	default: break;
	}
	if (end)
		*end = p;
	return v;
}
