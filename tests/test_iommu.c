/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The IOMMU model (src/iommu.c, src/iova.c): IOVA placement under the
 * mask, range-cache reuse, sg merging, remapped coherent allocations,
 * permission and translation faults, use-after-unmap in strict and lazy
 * mode, passthrough, groups and stream IDs, and the 32-bit device that
 * reaches all of RAM without bouncing.  Expected IOVAs are the ones the
 * real kernel returned for the same requests (oracle case 23 and the
 * README of the oracle's IOMMU path).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>

#include <dmapool.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "testutil.h"

static char tmpdir[64];

/*
 * 8 GiB of RAM from 0x40000000 (so RAM above 4 GiB), QEMU's SMMUv3 and a
 * generic MMU-500:
 *   coh   coherent, stream 0x100        nc    non-coherent, stream 0x101
 *   dup   stream 0x100 again            far   stream 0x10000 (> 16 bits)
 *   plain no IOMMU                      g1/g2 one stream ID on the MMU-500
 *   two   two stream IDs (0x200, 0x201)
 */
static const char tree[] =
	"/dts-v1/;\n"
	"/ {\n"
	"	#address-cells = <2>; #size-cells = <2>;\n"
	"	memory@40000000 { device_type = \"memory\"; reg = <0 0x40000000 2 0>; };\n"
	"	smmu: smmuv3@9050000 { compatible = \"arm,smmu-v3\"; reg = <0 0x9050000 0 0x20000>;\n"
	"		#iommu-cells = <1>; dma-coherent; };\n"
	"	mmu500: iommu@9100000 { compatible = \"arm,mmu-500\"; reg = <0 0x9100000 0 0x10000>;\n"
	"		#iommu-cells = <1>; };\n"
	"	coh@1000 { compatible = \"vendor,coh\"; reg = <0 0x1000 0 0x100>; dma-coherent;\n"
	"		iommus = <&smmu 0x100>; };\n"
	"	nc@2000 { compatible = \"vendor,nc\"; reg = <0 0x2000 0 0x100>;\n"
	"		iommus = <&smmu 0x101>; };\n"
	"	dup@3000 { compatible = \"vendor,dup\"; reg = <0 0x3000 0 0x100>; dma-coherent;\n"
	"		iommus = <&smmu 0x100>; };\n"
	"	far@4000 { compatible = \"vendor,far\"; reg = <0 0x4000 0 0x100>; dma-coherent;\n"
	"		iommus = <&smmu 0x10000>; };\n"
	"	plain@5000 { compatible = \"vendor,plain\"; reg = <0 0x5000 0 0x100>; dma-coherent; };\n"
	"	g1@6000 { compatible = \"vendor,g\"; reg = <0 0x6000 0 0x100>; dma-coherent;\n"
	"		iommus = <&mmu500 0x5>; };\n"
	"	g2@7000 { compatible = \"vendor,g\"; reg = <0 0x7000 0 0x100>; dma-coherent;\n"
	"		iommus = <&mmu500 0x5>; };\n"
	"	two@8000 { compatible = \"vendor,two\"; reg = <0 0x8000 0 0x100>; dma-coherent;\n"
	"		iommus = <&smmu 0x200>, <&smmu 0x201>; };\n"
	"	pcie@10000000 { compatible = \"pci-host-ecam-generic\"; device_type = \"pci\";\n"
	"		reg = <0 0x10000000 0 0x1000000>; #address-cells = <3>; #size-cells = <2>;\n"
	"		ep: ep@0 { compatible = \"vendor,ep\"; reg = <0 0 0 0 0>; dma-coherent;\n"
	"			iommus = <&smmu 0x300>; };\n"
	"	};\n"
	"	port@20000000 { compatible = \"simple-bus\"; external-facing;\n"
	"		#address-cells = <2>; #size-cells = <2>; ranges;\n"
	"		ut@20001000 { compatible = \"vendor,ut\"; reg = <0 0x20001000 0 0x100>;\n"
	"			dma-coherent; iommus = <&smmu 0x400>; };\n"
	"	};\n"
	"};\n";

static struct dmapool_machine *load_cfg(const char *bootargs, const char *knobs,
					const char *passthrough)
{
	struct dmapool_config cfg = {
		.bootargs = bootargs, .knobs = knobs, .iommu_passthrough = passthrough,
	};
	struct dmapool_machine *m = tu_load_in(tmpdir, "iommu", "dts", &cfg);

	dmapool_machine_use(m);
	return m;
}

static struct dmapool_machine *load(void)
{
	return load_cfg(NULL, NULL, NULL);
}

#define dev(m, name)	tu_dev(m, name)

static void set_bits(struct device *d, unsigned bits)
{
	assert_int_equal(dma_set_mask_and_coherent(d, DMA_BIT_MASK(bits)), 0);
}

/* Mappings checked as a driver must (DMA-API debugging counts it). */
static dma_addr_t map_ck(struct device *d, void *p, size_t n, int dir)
{
	dma_addr_t a = dma_map_single(d, p, n, dir);

	dma_mapping_error(d, a);
	return a;
}

static dma_addr_t map_pg_ck(struct device *d, struct page *pg, size_t n, int dir)
{
	dma_addr_t a = dma_map_page(d, pg, 0, n, dir);

	dma_mapping_error(d, a);
	return a;
}

#define rep(m, kind)	tu_report_of(m, kind)

/* ------------------------------------------------------------------ */

/* The kernel's answers for a coherent 32-bit device: top-down from the
 * mask, n < 32 pages rounded up to a power of two, every range aligned to
 * its rounded size, gaps left behind. */
static void iova_placement_under_mask(void **state)
{
	static const size_t sizes[] = { 0x1000, 0x2000, 0x3000, 0x5000, 0x1f000,
					0x20000, 0x21000, 0x1000 };
	static const dma_addr_t want[] = { 0xfffff000, 0xffffc000, 0xffff8000, 0xffff0000,
					   0xfffc0000, 0xfffa0000, 0xfff40000, 0xfff3f000 };
	struct dmapool_machine *m = load();
	struct device *coh = dev(m, "coh@1000");
	struct dmapool_decision d;

	(void)state;
	set_bits(coh, 32);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		dma_addr_t h;
		void *p = dma_alloc_coherent(coh, sizes[i], &h, GFP_KERNEL);

		assert_non_null(p);
		assert_int_equal(h, want[i]);
	}
	d = tu_last_decision(coh);
	assert_string_equal(d.backend, "iommu-pages");
	assert_int_equal(d.iova, 0xfff3f000);
	assert_int_equal(d.iova_len, 0x1000);
	assert_string_equal(d.iommu_mode, "strict");
	assert_true(tu_has_step(&d, "iova", "tree"));
}

/* 64 bits: the 48-bit aperture; 20 bits: below 1 MiB until IOVA 0 would
 * be needed; 12 bits: nothing fits, silently. */
static void iova_masks(void **state)
{
	struct dmapool_machine *m = load();
	struct device *coh = dev(m, "coh@1000");
	struct device *nc = dev(m, "nc@2000");
	dma_addr_t h;
	void *p;

	(void)state;
	set_bits(nc, 64);
	p = dma_alloc_coherent(nc, 0x1000, &h, GFP_KERNEL);
	assert_non_null(p);
	assert_int_equal(h, 0xfffffffff000ULL);
	set_bits(coh, 20);
	p = dma_alloc_coherent(coh, 0x1000, &h, GFP_KERNEL);
	assert_non_null(p);
	assert_int_equal(h, 0xff000);
	/* 128 pages aligned to 128: [0x80000, 0x100000) holds 0xff000 */
	assert_null(dma_alloc_coherent(coh, 0x80000, &h, GFP_KERNEL));
	assert_int_equal(h, DMA_MAPPING_ERROR);
	p = dma_alloc_coherent(coh, 0x40000, &h, GFP_KERNEL);
	assert_non_null(p);
	assert_int_equal(h, 0x80000);
	set_bits(coh, 12);	/* accepted: the mask only limits the IOVA */
	assert_null(dma_alloc_coherent(coh, 0x1000, &h, GFP_KERNEL));
	assert_int_equal(dmapool_report_count(m), 0);
}

/* A 32-bit device reaches buffers above 4 GiB without the SWIOTLB. */
static void no_bounce_for_addressing(void **state)
{
	struct dmapool_machine *m = load();
	struct device *coh = dev(m, "coh@1000");
	struct page *pg = alloc_pages(GFP_KERNEL, 0);
	struct dmapool_decision d;
	phys_addr_t pa;
	dma_addr_t a;

	(void)state;
	set_bits(coh, 32);
	assert_non_null(pg);
	pa = page_to_phys(pg);
	assert_true(pa >= 0x100000000ULL);	/* the page allocator's top zone */
	assert_int_equal(dma_max_mapping_size(coh), SIZE_MAX);
	assert_false(dma_addressing_limited(coh));
	a = map_pg_ck(coh, pg, 0x1000, DMA_BIDIRECTIONAL);
	assert_int_equal(a, 0xfffff000);
	d = tu_last_decision(coh);
	assert_string_equal(d.backend, "iommu");
	assert_int_equal(d.bounce, (phys_addr_t)-1);
	assert_int_equal(d.phys, pa);
	dma_unmap_page(coh, a, 0x1000, DMA_BIDIRECTIONAL);
	__free_pages(pg, 0);
	assert_int_equal(dmapool_report_count(m), 0);
}

/* Freed ranges of up to 32 pages come back LIFO from the range cache;
 * coherent and streaming share it; larger ranges go back to the tree. */
static void iova_cache_hits_and_misses(void **state)
{
	struct dmapool_machine *m = load();
	struct device *coh = dev(m, "coh@1000");
	struct dmapool_iommu_stats st;
	void *b1 = kmalloc(0x1000, GFP_KERNEL), *b2 = kmalloc(0x1000, GFP_KERNEL);
	dma_addr_t a1, a2, a3, h;
	void *p;

	(void)state;
	set_bits(coh, 32);
	a1 = map_ck(coh, b1, 0x1000, DMA_TO_DEVICE);
	a2 = map_ck(coh, b2, 0x1000, DMA_TO_DEVICE);
	assert_int_equal(a1, 0xfffff000);
	assert_int_equal(a2, 0xffffe000);
	dma_unmap_single(coh, a1, 0x1000, DMA_TO_DEVICE);
	dma_unmap_single(coh, a2, 0x1000, DMA_TO_DEVICE);
	assert_int_equal(dmapool_iommu_stats(coh, &st), 0);
	assert_int_equal(st.iova_cached, 2);
	assert_int_equal(st.iova_live, 2);
	assert_int_equal(st.iova_cache_hits, 0);
	/* LIFO: the last freed comes first, for a coherent allocation too */
	p = dma_alloc_coherent(coh, 0x1000, &h, GFP_KERNEL);
	assert_int_equal(h, 0xffffe000);
	a3 = map_ck(coh, b1, 0x1000, DMA_TO_DEVICE);
	assert_int_equal(a3, 0xfffff000);
	assert_int_equal(dmapool_iommu_stats(coh, &st), 0);
	assert_int_equal(st.iova_cache_hits, 2);
	assert_int_equal(st.iova_cached, 0);
	{
		struct dmapool_decision d = tu_last_decision(coh);

		assert_true(tu_has_step(&d, "iova", "range cache hit"));
	}
	/* a 2-page class is a different size: a miss, from the tree */
	{
		void *q = dma_alloc_coherent(coh, 0x2000, &h, GFP_KERNEL);

		assert_non_null(q);
		assert_int_equal(h, 0xffffc000);
		dma_free_coherent(coh, 0x2000, q, h);
	}
	/* 33 pages: not cached; the freed range is found again by the walk */
	{
		dma_addr_t big;
		void *q = dma_alloc_coherent(coh, 0x21000, &big, GFP_KERNEL);

		assert_non_null(q);
		assert_int_equal(big, 0xfffc0000);	/* 64-aligned below the 2-page */
		dma_free_coherent(coh, 0x21000, q, big);
		assert_int_equal(dmapool_iommu_stats(coh, &st), 0);
		assert_int_equal(st.iova_live, 3);	/* a3, p, the cached 2-page */
		q = dma_alloc_coherent(coh, 0x21000, &h, GFP_KERNEL);
		assert_int_equal(h, big);
		dma_free_coherent(coh, 0x21000, q, h);
	}
	dma_unmap_single(coh, a3, 0x1000, DMA_TO_DEVICE);
	dma_free_coherent(coh, 0x1000, p, 0xffffe000);
	kfree(b1);
	kfree(b2);
	assert_int_equal(dmapool_report_count(m), 0);
}

static struct sg_table *pages_sgt(struct sg_table *sgt, struct page **pg, unsigned n)
{
	assert_int_equal(sg_alloc_table(sgt, n, GFP_KERNEL), 0);
	for (unsigned i = 0; i < n; i++)
		sg_set_page(&sgt->sgl[i], pg[i], 0x1000, 0);
	return sgt;
}

/* One IOVA range for the list; segments cut at max_seg_size (64 KiB):
 * 20 pages -> 0x10000 + 0x4000, as on the kernel. */
static void sg_merging(void **state)
{
	struct dmapool_machine *m = load();
	struct device *coh = dev(m, "coh@1000");
	struct page *pg[20];
	struct sg_table sgt;
	struct dmapool_decision d;
	uint8_t buf[64];

	(void)state;
	set_bits(coh, 32);
	/* separate pages: every other page of a run, so none are adjacent */
	for (unsigned i = 0; i < 20; i++) {
		pg[i] = alloc_pages(GFP_KERNEL, 1);
		assert_non_null(pg[i]);
	}
	pages_sgt(&sgt, pg, 20);
	assert_int_equal(dma_map_sgtable(coh, &sgt, DMA_BIDIRECTIONAL, 0), 0);
	assert_int_equal(sgt.nents, 2);
	assert_int_equal(sg_dma_address(&sgt.sgl[0]), 0xfffe0000);
	assert_int_equal(sg_dma_len(&sgt.sgl[0]), 0x10000);
	assert_int_equal(sg_dma_address(&sgt.sgl[1]), 0xffff0000);
	assert_int_equal(sg_dma_len(&sgt.sgl[1]), 0x4000);
	assert_int_equal(sg_dma_len(&sgt.sgl[2]), 0);
	d = tu_last_decision(coh);
	assert_string_equal(d.backend, "iommu");
	assert_int_equal(d.iova, 0xfffe0000);
	assert_int_equal(d.iova_len, 0x14000);	/* mapped: 20 pages (of 32) */
	assert_true(tu_has_step(&d, "merge", "segments"));
	/* the device sees page 17 at IOVA + 17 pages */
	memset(page_address(pg[17]), 0x5a, sizeof(buf));
	assert_int_equal(dmapool_dev_read(coh, 0xfffe0000 + 17 * 0x1000, buf, sizeof(buf)), 0);
	assert_int_equal(buf[0], 0x5a);
	assert_int_equal(buf[63], 0x5a);
	dma_unmap_sgtable(coh, &sgt, DMA_BIDIRECTIONAL, 0);
	sg_free_table(&sgt);

	/* an entry that starts inside a page is not merged with the one
	 * before it */
	assert_int_equal(sg_alloc_table(&sgt, 3, GFP_KERNEL), 0);
	sg_set_page(&sgt.sgl[0], pg[0], 0x1000, 0);
	sg_set_page(&sgt.sgl[1], pg[1], 0x800, 0x800);
	sg_set_page(&sgt.sgl[2], pg[2], 0x1000, 0);
	assert_int_equal(dma_map_sgtable(coh, &sgt, DMA_TO_DEVICE, 0), 0);
	assert_int_equal(sgt.nents, 2);
	assert_int_equal(sg_dma_len(&sgt.sgl[0]), 0x1000);
	assert_int_equal(sg_dma_address(&sgt.sgl[1]) & 0xfff, 0x800);
	assert_int_equal(sg_dma_len(&sgt.sgl[1]), 0x1800);
	dma_unmap_sgtable(coh, &sgt, DMA_TO_DEVICE, 0);
	sg_free_table(&sgt);
	for (unsigned i = 0; i < 20; i++)
		__free_pages(pg[i], 1);
	assert_int_equal(dmapool_report_count(m), 0);
}

/* Blocking allocations are separate pages: contiguous for the CPU and at
 * the IOVA, not in physical memory. */
static void noncontiguous_alloc_contiguous_view(void **state)
{
	struct dmapool_machine *m = load();
	struct device *coh = dev(m, "coh@1000");
	struct page *hole[16];
	struct sg_table sgt;
	uint8_t *p, buf[0x8000];
	dma_addr_t h;

	(void)state;
	set_bits(coh, 32);
	/* fragment the page allocator: keep every other page */
	for (unsigned i = 0; i < 16; i++)
		hole[i] = alloc_pages(GFP_KERNEL, 0);
	for (unsigned i = 0; i < 16; i += 2)
		__free_pages(hole[i], 0);
	p = dma_alloc_coherent(coh, 0x8000, &h, GFP_KERNEL);
	assert_non_null(p);
	assert_int_equal(h, 0xffff8000);
	for (size_t i = 0; i < sizeof(buf); i++)
		p[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(dmapool_dev_read(coh, h, buf, sizeof(buf)), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], (uint8_t)(i * 7 + 3));
	assert_int_equal(dma_get_sgtable(coh, &sgt, p, h, 0x8000), 0);
	assert_true(sgt.nents > 1);	/* the real page list is not one run */
	sg_free_table(&sgt);
	{
		struct dmapool_decision d = tu_last_decision(coh);

		assert_string_equal(d.backend, "iommu-pages");
		assert_int_equal(d.attr, DMAPOOL_ATTR_WB);
	}
	dma_free_coherent(coh, 0x8000, p, h);
	for (unsigned i = 1; i < 16; i += 2)
		__free_pages(hole[i], 0);
	assert_int_equal(dmapool_report_count(m), 0);
}

/* TO_DEVICE is read-only for the device, FROM_DEVICE write-only: the
 * other access is an F_PERMISSION fault and transfers nothing. */
static void permission_faults(void **state)
{
	struct dmapool_machine *m = load();
	struct device *coh = dev(m, "coh@1000");
	uint8_t *b = kmalloc(0x1000, GFP_KERNEL), v[16];
	struct dmapool_report r;
	dma_addr_t a;

	(void)state;
	set_bits(coh, 32);
	memset(b, 0x11, 0x1000);
	a = map_ck(coh, b, 0x1000, DMA_TO_DEVICE);
	assert_int_equal(dmapool_dev_read(coh, a, v, sizeof(v)), 0);
	assert_int_equal(v[0], 0x11);
	memset(v, 0x22, sizeof(v));
	assert_int_equal(dmapool_dev_write(coh, a, v, sizeof(v)), -EFAULT);
	assert_int_equal(b[0], 0x11);	/* nothing transferred */
	r = rep(m, "iommu-fault");
	assert_non_null(strstr(r.text, "F_PERMISSION"));
	assert_non_null(strstr(r.text, "[sid=0x100]"));
	assert_non_null(strstr(r.text, "[write]"));
	assert_true(tu_log_count_sub(m, 0, "event 0x13 received") == 1);
	dma_unmap_single(coh, a, 0x1000, DMA_TO_DEVICE);
	dmapool_report_clear(m);

	a = map_ck(coh, b, 0x1000, DMA_FROM_DEVICE);
	assert_int_equal(dmapool_dev_read(coh, a, v, sizeof(v)), -EFAULT);
	assert_non_null(strstr(rep(m, "iommu-fault").text, "[read]"));
	assert_int_equal(dmapool_dev_write(coh, a, v, sizeof(v)), 0);
	dma_unmap_single(coh, a, 0x1000, DMA_FROM_DEVICE);
	assert_int_equal(b[0], 0x22);
	dmapool_report_clear(m);

	a = map_ck(coh, b, 0x1000, DMA_BIDIRECTIONAL);
	assert_int_equal(dmapool_dev_read(coh, a, v, sizeof(v)), 0);
	assert_int_equal(dmapool_dev_write(coh, a, v, sizeof(v)), 0);
	/* an access that runs into an unmapped page faults as a whole */
	assert_int_equal(dmapool_dev_read(coh, a - 8, v, sizeof(v)), -EFAULT);
	assert_non_null(strstr(rep(m, "iommu-fault").text, "F_TRANSLATION"));
	dma_unmap_single(coh, a, 0x1000, DMA_BIDIRECTIONAL);
	kfree(b);
}

/* Strict: the unmap invalidates at once, the device faults.  Lazy: the
 * IOTLB keeps the translation until the flush queue is flushed. */
static void use_after_unmap_strict(void **state)
{
	struct dmapool_machine *m = load();
	struct device *coh = dev(m, "coh@1000");
	uint8_t *b = kmalloc(0x1000, GFP_KERNEL), v[8];
	dma_addr_t a;

	(void)state;
	set_bits(coh, 32);
	a = map_ck(coh, b, 0x1000, DMA_FROM_DEVICE);
	dma_unmap_single(coh, a, 0x1000, DMA_FROM_DEVICE);
	memset(v, 0x33, sizeof(v));
	b[0] = 0;
	assert_int_equal(dmapool_dev_write(coh, a, v, sizeof(v)), -EFAULT);
	assert_int_equal(b[0], 0);
	assert_non_null(strstr(rep(m, "iommu-fault").text, "F_TRANSLATION"));
	assert_int_equal(dmapool_report_count_kind(m, "iommu-stale-iotlb"), 0);
	kfree(b);
}

static void use_after_unmap_lazy(void **state)
{
	struct dmapool_machine *m = load_cfg("iommu.strict=0", NULL, NULL);
	struct device *coh = dev(m, "coh@1000");
	uint8_t *b = kmalloc(0x1000, GFP_KERNEL), v[8];
	struct dmapool_iommu_stats st;
	dma_addr_t a, a2;

	(void)state;
	assert_int_equal(tu_log_count(m, 0,
		"iommu: DMA domain TLB invalidation policy: lazy mode (set via kernel command line)"), 1);
	set_bits(coh, 32);
	a = map_ck(coh, b, 0x1000, DMA_FROM_DEVICE);
	dma_unmap_single(coh, a, 0x1000, DMA_FROM_DEVICE);
	/* the IOVA is not reused before the flush */
	a2 = map_ck(coh, b, 0x1000, DMA_FROM_DEVICE);
	assert_int_equal(a2, a - 0x1000);
	memset(v, 0x44, sizeof(v));
	b[0] = 0;
	assert_int_equal(dmapool_dev_write(coh, a, v, sizeof(v)), 0);
	assert_int_equal(b[0], 0x44);	/* it went through */
	assert_non_null(strstr(rep(m, "iommu-stale-iotlb").text,
			       "would fault after IOTLB flush"));
	assert_int_equal(dmapool_iommu_stats(coh, &st), 0);
	assert_string_equal(st.mode, "lazy");
	assert_int_equal(st.fq_pending, 1);
	assert_int_equal(dmapool_iommu_flush(coh), 0);
	assert_int_equal(dmapool_dev_write(coh, a, v, sizeof(v)), -EFAULT);
	assert_int_equal(dmapool_report_count_kind(m, "iommu-fault"), 1);
	assert_int_equal(dmapool_iommu_stats(coh, &st), 0);
	assert_int_equal(st.fq_pending, 0);
	assert_int_equal(st.fq_flushes, 1);
	/* after the flush the freed IOVA comes back */
	dma_unmap_single(coh, a2, 0x1000, DMA_FROM_DEVICE);
	dmapool_iommu_flush(coh);
	a2 = map_ck(coh, b, 0x1000, DMA_FROM_DEVICE);
	assert_int_equal(a2, a - 0x1000);
	dma_unmap_single(coh, a2, 0x1000, DMA_FROM_DEVICE);
	kfree(b);
}

/* iommu.passthrough=1: groups, but dma-direct (dma == phys, masks refused
 * again); the config list does it for one device. */
static void passthrough(void **state)
{
	struct dmapool_machine *m = load_cfg("iommu.passthrough=1", NULL, NULL);
	struct device *coh = dev(m, "coh@1000");
	uint8_t *b = kmalloc(0x1000, GFP_KERNEL);
	struct dmapool_iommu_stats st;
	dma_addr_t a;

	(void)state;
	assert_int_equal(tu_log_count(m, 0,
		"iommu: Default domain type: Passthrough (set via kernel command line)"), 1);
	assert_int_equal(tu_log_count_sub(m, 0, "TLB invalidation policy"), 0);
	assert_int_equal(dmapool_iommu_group_id(coh), 0);
	assert_int_equal(dmapool_iommu_stats(coh, &st), 0);
	assert_string_equal(st.mode, "passthrough");
	set_bits(coh, 64);
	a = map_ck(coh, b, 0x1000, DMA_TO_DEVICE);
	assert_int_equal(a, virt_to_phys(b));
	assert_string_equal(tu_last_decision(coh).backend, "direct");
	dma_unmap_single(coh, a, 0x1000, DMA_TO_DEVICE);
	assert_int_equal(dma_set_mask(coh, DMA_BIT_MASK(24)), -EIO);
	kfree(b);
	tu_unload(m);

	m = load_cfg(NULL, NULL, "nc@2000");
	coh = dev(m, "coh@1000");
	b = kmalloc(0x1000, GFP_KERNEL);
	set_bits(dev(m, "nc@2000"), 64);
	a = map_ck(dev(m, "nc@2000"), b, 0x1000, DMA_BIDIRECTIONAL);
	assert_int_equal(a, virt_to_phys(b));
	dma_unmap_single(dev(m, "nc@2000"), a, 0x1000, DMA_BIDIRECTIONAL);
	set_bits(coh, 32);
	a = map_ck(coh, b, 0x1000, DMA_BIDIRECTIONAL);
	assert_int_equal(a, 0xfffff000);
	dma_unmap_single(coh, a, 0x1000, DMA_BIDIRECTIONAL);
	assert_int_equal(dmapool_iommu_set_passthrough(coh, true), -EBUSY);
	kfree(b);
}

/* A shared stream ID on a generic IOMMU shares the group and its IOVA
 * space; on the SMMUv3 the second device is refused and stays direct;
 * beyond 16 bits there is no group; two stream IDs make one group. */
static void groups_and_stream_ids(void **state)
{
	struct dmapool_machine *m = load();
	struct device *g1 = dev(m, "g1@6000"), *g2 = dev(m, "g2@7000");
	struct device *coh = dev(m, "coh@1000"), *dup = dev(m, "dup@3000");
	struct device *far = dev(m, "far@4000"), *two = dev(m, "two@8000");
	dma_addr_t h1, h2;
	void *p1, *p2;

	(void)state;
	set_bits(g1, 32);
	set_bits(g2, 32);
	assert_int_equal(dmapool_iommu_group_id(g1), 0);
	assert_int_equal(dmapool_iommu_group_id(g2), 0);
	assert_int_equal(tu_log_count_sub(m, 0, "6000.g1: Adding to iommu group 0"), 1);
	assert_int_equal(tu_log_count_sub(m, 0, "7000.g2: Adding to iommu group 0"), 1);
	p1 = dma_alloc_coherent(g1, 0x1000, &h1, GFP_KERNEL);
	p2 = dma_alloc_coherent(g2, 0x1000, &h2, GFP_KERNEL);
	assert_int_equal(h1, 0xfffff000);
	assert_int_equal(h2, 0xffffe000);	/* one domain, one IOVA space */
	dma_free_coherent(g1, 0x1000, p1, h1);
	dma_free_coherent(g2, 0x1000, p2, h2);

	assert_int_equal(dmapool_iommu_group_id(coh), 1);
	assert_int_equal(dmapool_iommu_group_id(dup), -ENODEV);
	assert_int_equal(tu_log_count_sub(m, 0, "3000.dup: stream 256 already in tree from dev 1000.coh"), 1);
	assert_int_equal(dmapool_iommu_group_id(far), -ENODEV);
	assert_int_equal(tu_log_count_sub(m, 0, "4000.far"), 0);	/* silently */
	assert_int_equal(dmapool_iommu_group_id(two), 2);
	assert_int_equal(dmapool_iommu_group_id(dev(m, "plain@5000")), -ENODEV);
	{
		uint8_t *b = kmalloc(0x1000, GFP_KERNEL);
		dma_addr_t a;

		set_bits(dup, 64);
		a = map_ck(dup, b, 0x1000, DMA_TO_DEVICE);
		assert_int_equal(a, virt_to_phys(b));	/* dma-direct */
		dma_unmap_single(dup, a, 0x1000, DMA_TO_DEVICE);
		kfree(b);
	}
}

/* Non-coherent: a small kmalloc buffer is bounced into a page-aligned
 * slot mapped at a page-aligned IOVA; GFP_ATOMIC comes from the atomic
 * pool; FORCE_CONTIGUOUS from CMA; the data still arrives. */
static void noncoherent_paths(void **state)
{
	struct dmapool_machine *m = load_cfg("cma=16M", NULL, NULL);
	struct device *nc = dev(m, "nc@2000");
	uint8_t *b = kmalloc(0x20, GFP_KERNEL), v[0x20];
	struct dmapool_decision d;
	dma_addr_t a, h;
	void *p;

	(void)state;
	set_bits(nc, 64);
	memset(b, 0x66, 0x20);
	/* TO_DEVICE is kmalloc-safe; BIDIRECTIONAL bounces (6.12) */
	a = map_ck(nc, b, 0x20, DMA_TO_DEVICE);
	assert_string_equal(tu_last_decision(nc).backend, "iommu");
	dma_unmap_single(nc, a, 0x20, DMA_TO_DEVICE);
	a = map_ck(nc, b, 0x20, DMA_BIDIRECTIONAL);
	assert_int_equal(a, 0xfffffffff000ULL);
	d = tu_last_decision(nc);
	assert_string_equal(d.backend, "iommu-swiotlb");
	assert_int_equal(d.bounce & 0xfff, 0);
	assert_int_equal(dmapool_dev_read(nc, a, v, sizeof(v)), 0);
	assert_int_equal(v[0], 0x66);
	assert_int_equal(v[0x1f], 0x66);
	dma_unmap_single(nc, a, 0x20, DMA_BIDIRECTIONAL);

	p = dma_alloc_coherent(nc, 0x1000, &h, GFP_ATOMIC);
	assert_non_null(p);
	assert_int_equal(h, 0xfffffffff000ULL);	/* the freed IOVA again */
	d = tu_last_decision(nc);
	assert_string_equal(d.backend, "iommu-atomic");
	dma_free_coherent(nc, 0x1000, p, h);

	p = dma_alloc_attrs(nc, 0x4000, &h, GFP_KERNEL, DMA_ATTR_FORCE_CONTIGUOUS);
	assert_non_null(p);
	d = tu_last_decision(nc);
	assert_string_equal(d.backend, "iommu-cma");
	assert_int_equal(d.attr, DMAPOOL_ATTR_WC);	/* non-coherent: remapped */
	memset(p, 0x77, 0x4000);
	assert_int_equal(dmapool_dev_read(nc, h + 0x3ff0, v, 16), 0);
	assert_int_equal(v[15], 0x77);
	dma_free_attrs(nc, 0x4000, p, h, DMA_ATTR_FORCE_CONTIGUOUS);
	kfree(b);
	assert_int_equal(dmapool_report_count(m), 0);
}

/* The SMMU's queues come from the default CMA area at boot and each
 * 256-stream block takes 16 KiB on its first attach, as on the kernel. */
static void smmu_memory(void **state)
{
	struct dmapool_machine *m = load_cfg("cma=64M", NULL, NULL);
	struct device *plain = dev(m, "plain@5000");
	dma_addr_t h;
	void *p;

	(void)state;
	assert_int_equal(tu_log_count_sub(m, 0, "allocated 65536 entries for cmdq"), 1);
	assert_int_equal(tu_log_count_sub(m, 0, "allocated 32768 entries for evtq"), 1);
	set_bits(plain, 32);
	p = dma_alloc_coherent(plain, 0x4000, &h, GFP_KERNEL);
	assert_non_null(p);
	/* first attach in stream block 0x1xx: its 16 KiB table from CMA */
	set_bits(dev(m, "coh@1000"), 32);
	{
		dma_addr_t h2;
		void *q = dma_alloc_coherent(plain, 0x4000, &h2, GFP_KERNEL);

		assert_non_null(q);
		assert_int_equal(h2, h + 0x8000);	/* the table came between */
		dma_free_coherent(plain, 0x4000, q, h2);
	}
	dma_free_coherent(plain, 0x4000, p, h);
}

/* Bad input never crashes: accesses that wrap, outside the aperture,
 * unmaps of what was never mapped. */
static void faults_never_crash(void **state)
{
	struct dmapool_machine *m = load();
	struct device *coh = dev(m, "coh@1000");
	uint8_t v[16];

	(void)state;
	set_bits(coh, 64);
	assert_int_equal(dmapool_dev_read(coh, ~0ULL - 4, v, sizeof(v)), -EFAULT);
	assert_int_equal(dmapool_dev_read(coh, 0x1000000000000ULL, v, sizeof(v)), -EFAULT);
	assert_int_equal(dmapool_dev_write(coh, 0, v, sizeof(v)), -EFAULT);
	assert_true(dmapool_report_count_kind(m, "iommu-fault") +
		    dmapool_report_count_kind(m, "dev-beyond-mask") >= 3);
	dma_unmap_single(coh, 0x12345000, 0x1000, DMA_TO_DEVICE);
	assert_true(dmapool_report_count(m) >= 4);	/* the debug check */
}

/* A device below a PCI host bridge tries below 4 GiB first; when that
 * space is full it says so once and uses the whole range. */
static void pci_32bit_first(void **state)
{
	struct dmapool_machine *m = load();
	struct device *ep = dev(m, "/pcie@10000000/ep@0");
	dma_addr_t h;
	void *p;

	(void)state;
	set_bits(ep, 64);
	p = dma_alloc_coherent(ep, 0x1000, &h, GFP_KERNEL);
	assert_non_null(p);
	assert_int_equal(h, 0xfffff000);
	/* a 2 GiB range, 2 GiB-aligned, would need IOVA 0 below 4 GiB: the
	 * device switches to the full range for good */
	h = dma_map_resource(ep, 0x4000000000ULL, 0x80000000, DMA_BIDIRECTIONAL, 0);
	dma_mapping_error(ep, h);
	assert_int_equal(h, 0xffff80000000ULL);
	assert_int_equal(tu_log_count_sub(m, 0, "Using 48-bit DMA addresses"), 1);
	p = dma_alloc_coherent(ep, 0x1000, &h, GFP_KERNEL);
	assert_int_equal(h, 0xffff7ffff000ULL);	/* below the last range */
	assert_int_equal(tu_log_count_sub(m, 0, "Using 48-bit DMA addresses"), 1);
	tu_unload(m);

	m = load_cfg("iommu.forcedac=1", NULL, NULL);
	ep = dev(m, "/pcie@10000000/ep@0");
	set_bits(ep, 64);
	p = dma_alloc_coherent(ep, 0x1000, &h, GFP_KERNEL);
	assert_int_equal(h, 0xfffffffff000ULL);
}

/* Untrusted (behind an external-facing port): strict even in lazy mode,
 * every buffer not aligned to the granule bounced, padding zeroed. */
static void untrusted_device(void **state)
{
	struct dmapool_machine *m = load_cfg("iommu.strict=0", NULL, NULL);
	struct device *ut = dev(m, "ut@20001000");
	struct dmapool_iommu_stats st;
	uint8_t *b = kmalloc(0x1000, GFP_KERNEL), v[0x1000];
	dma_addr_t a;

	(void)state;
	set_bits(ut, 64);
	assert_int_equal(dmapool_iommu_stats(ut, &st), 0);
	assert_string_equal(st.mode, "strict");
	assert_true(dma_max_mapping_size(ut) < SIZE_MAX);
	memset(b, 0x5c, 0x1000);
	a = map_ck(ut, b, 0x1000, DMA_TO_DEVICE);	/* aligned: no bounce */
	assert_string_equal(tu_last_decision(ut).backend, "iommu");
	dma_unmap_single(ut, a, 0x1000, DMA_TO_DEVICE);
	a = map_ck(ut, b, 0x800, DMA_TO_DEVICE);	/* size unaligned: bounce */
	assert_string_equal(tu_last_decision(ut).backend, "iommu-swiotlb");
	assert_int_equal(a & 0xfff, 0);
	assert_int_equal(dmapool_dev_read(ut, a, v, sizeof(v)), 0);
	assert_int_equal(v[0x7ff], 0x5c);
	assert_int_equal(v[0x800], 0);	/* the padding is zeroed */
	dma_unmap_single(ut, a, 0x800, DMA_TO_DEVICE);
	kfree(b);
	/* reading the padding ran past the mapping: said, but allowed */
	assert_int_equal(dmapool_report_count_kind(m, "dev-overrun"), 1);
	assert_int_equal(dmapool_report_count(m), 1);
}

/* IOMMU pages of 16 KiB and 64 KiB (knob iommu_granule): the IOVA
 * granule follows, allocations are made of whole IOMMU pages. */
static void granules(void **state)
{
	static const uint64_t g[] = { 0x4000, 0x10000 };

	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		char knobs[64];
		struct dmapool_machine *m;
		struct device *coh;
		struct dmapool_iommu_stats st;
		uint8_t *b;
		dma_addr_t h, a;
		void *p;

		snprintf(knobs, sizeof(knobs), "iommu_granule=%llu", (unsigned long long)g[i]);
		m = load_cfg(NULL, knobs, NULL);
		coh = dev(m, "coh@1000");
		set_bits(coh, 32);
		p = dma_alloc_coherent(coh, 0x1000, &h, GFP_KERNEL);
		assert_non_null(p);
		assert_int_equal(h, 0x100000000ULL - g[i]);
		b = kmalloc(0x100, GFP_KERNEL);
		a = map_ck(coh, b, 0x100, DMA_TO_DEVICE);
		/* the next granule down, plus the buffer's offset in its granule */
		assert_int_equal(a, 0x100000000ULL - 2 * g[i] + (virt_to_phys(b) & (g[i] - 1)));
		assert_int_equal(dmapool_iommu_stats(coh, &st), 0);
		assert_int_equal(st.granule, g[i]);
		assert_int_equal(st.pt_mapped, 2);
		dma_unmap_single(coh, a, 0x100, DMA_TO_DEVICE);
		dma_free_coherent(coh, 0x1000, p, h);
		assert_int_equal(dmapool_iommu_stats(coh, &st), 0);
		assert_int_equal(st.pt_mapped, 0);
		kfree(b);
		assert_int_equal(dmapool_report_count(m), 0);
		tu_unload(m);
	}
}

static int write_tree(void)
{
	strcpy(tmpdir, "/tmp/test_iommu-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	return tu_tree_write(tmpdir, "iommu", tree);
}

static int group_setup(void **state)
{
	(void)state;
	tu_leak_mark();
	return 0;
}

#define T(f) cmocka_unit_test_teardown(f, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(iova_placement_under_mask),
		T(iova_masks),
		T(no_bounce_for_addressing),
		T(iova_cache_hits_and_misses),
		T(sg_merging),
		T(noncontiguous_alloc_contiguous_view),
		T(permission_faults),
		T(use_after_unmap_strict),
		T(use_after_unmap_lazy),
		T(passthrough),
		T(groups_and_stream_ids),
		T(noncoherent_paths),
		T(smmu_memory),
		T(faults_never_crash),
		T(pci_32bit_first),
		T(untrusted_device),
		T(granules),
	};
	int rc;

	if (write_tree())
		return 1;
	rc = cmocka_run_group_tests(tests, group_setup, tu_leak_teardown);
	tu_tree_remove(tmpdir, "iommu");
	rmdir(tmpdir);
	return rc;
}
