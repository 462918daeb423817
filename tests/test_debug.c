/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * DMA-API debugging (src/debug.c): one test per error class of
 * kernel/dma/debug.c, each checking the kernel's message text, plus the
 * switches (first error only, driver filter, counters) and the leak check
 * of dmapool_device_release().
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
#include <linux/dmapool.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "testutil.h"

static char tmpdir[64];

static const char tree[] =
	"/dts-v1/;\n"
	"/ {\n"
	"	#address-cells = <2>; #size-cells = <2>;\n"
	"	memory@40000000 { device_type = \"memory\"; reg = <0 0x40000000 0 0x10000000>; };\n"
	"	nc@1000 { compatible = \"vendor,nc\"; reg = <0 0x1000 0 0x100>; };\n"
	"	coh@2000 { compatible = \"vendor,coh\"; reg = <0 0x2000 0 0x100>; dma-coherent; };\n"
	"};\n";

static struct dmapool_machine *load(const char *bootargs)
{
	struct dmapool_config cfg = { .bootargs = bootargs };
	struct dmapool_machine *m = tu_load_in(tmpdir, "debug", "dts", &cfg);

	dmapool_machine_use(m);
	return m;
}

#define dev(m, name)	tu_dev(m, name)

/* The only report of that kind; its text must contain want. */
static void expect(struct dmapool_machine *m, const char *kind, const char *want)
{
	struct dmapool_report r;
	size_t n = 0;

	for (size_t i = 0; dmapool_report_get(m, i, &r) == 0; i++)
		if (!strcmp(r.kind, kind)) {
			n++;
			if (!strstr(r.text, want))
				fail_msg("%s: \"%s\" lacks \"%s\"", kind, r.text, want);
		}
	if (n != 1) {
		dmapool_report_check_none(m);
		fail_msg("%zu reports of kind %s", n, kind);
	}
}

static dma_addr_t map(struct device *d, void *p, size_t n, enum dma_data_direction dir)
{
	dma_addr_t a = dma_map_single(d, p, n, dir);

	assert_false(dma_mapping_error(d, a));
	return a;
}

/* ---- check_unmap ---- */

static void free_invalid(void **state)
{
	struct dmapool_machine *m = load(NULL);

	(void)state;
	dma_unmap_single(dev(m, "nc@1000"), DMA_MAPPING_ERROR, 64, DMA_TO_DEVICE);
	expect(m, "debug-free-invalid",
	       "DMA-API: platform 1000.nc: device driver tries to free an invalid DMA memory address");
	assert_int_equal(dmapool_report_count(m), 1);
}

static void free_unknown(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *nc = dev(m, "nc@1000");
	uint8_t *p = kmalloc(1024, GFP_KERNEL);
	dma_addr_t a = map(nc, p, 1024, DMA_TO_DEVICE);

	(void)state;
	dma_unmap_single(nc, a, 1024, DMA_TO_DEVICE);
	assert_int_equal(dmapool_report_count(m), 0);
	dma_unmap_single(nc, a, 1024, DMA_TO_DEVICE);	/* twice */
	expect(m, "debug-free-unknown", "device driver tries to free DMA memory it has not allocated [device address=0x00000000");
	expect(m, "debug-free-unknown", "[size=1024 bytes]");
	kfree(p);
}

static void free_size(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *nc = dev(m, "nc@1000");
	uint8_t *p = kmalloc(1024, GFP_KERNEL);
	dma_addr_t a = map(nc, p, 1024, DMA_TO_DEVICE);
	char want[160];

	(void)state;
	dma_unmap_single(nc, a, 512, DMA_TO_DEVICE);
	snprintf(want, sizeof(want),
		 "device driver frees DMA memory with different size [device address=0x%016llx] [map size=1024 bytes] [unmap size=512 bytes]",
		 (unsigned long long)a);
	expect(m, "debug-free-size", want);
	assert_int_equal(dmapool_debug_live(nc), 0);	/* freed anyway */
	kfree(p);
}

static void free_function(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *nc = dev(m, "nc@1000");
	uint8_t *p = kmalloc(1024, GFP_KERNEL);
	struct scatterlist sg[1];

	(void)state;
	sg_init_one(sg, p, 1024);
	assert_int_equal(dma_map_sg(nc, sg, 1, DMA_FROM_DEVICE), 1);
	dma_unmap_single(nc, sg_dma_address(sg), 1024, DMA_FROM_DEVICE);
	expect(m, "debug-free-function", "device driver frees DMA memory with wrong function");
	expect(m, "debug-free-function", "[mapped as scatter-gather] [unmapped as single]");
	kfree(p);
}

static void free_cpu_address(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *nc = dev(m, "nc@1000");
	dma_addr_t h;
	uint8_t *p = dma_alloc_coherent(nc, 8192, &h, GFP_KERNEL);
	char want[200];

	(void)state;
	snprintf(want, sizeof(want),
		 "device driver frees DMA memory with different CPU address [device address=0x%016llx] [size=8192 bytes] [cpu alloc address=0x%016llx] [cpu free address=0x%016llx]",
		 (unsigned long long)h, (unsigned long long)h,
		 (unsigned long long)h + 4096);
	dma_free_coherent(nc, 8192, p + 4096, h);
	expect(m, "debug-free-cpu-address", want);
}

static void free_sg_count(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *nc = dev(m, "nc@1000");
	uint8_t *p = (uint8_t *)__get_free_pages(GFP_KERNEL, 1);
	struct scatterlist sg[2];

	(void)state;
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], p, 4096);
	sg_set_buf(&sg[1], p + 4096, 4096);
	assert_int_equal(dma_map_sg(nc, sg, 2, DMA_TO_DEVICE), 2);
	dma_unmap_sg(nc, sg, 1, DMA_TO_DEVICE);
	expect(m, "debug-free-sg-count",
	       "device driver frees DMA sg list with different entry count [map count=2] [unmap count=1]");
	free_pages((unsigned long)p, 1);
}

static void free_direction(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *nc = dev(m, "nc@1000");
	uint8_t *p = kmalloc(1024, GFP_KERNEL);
	dma_addr_t a = map(nc, p, 1024, DMA_TO_DEVICE);

	(void)state;
	dma_unmap_single(nc, a, 1024, DMA_FROM_DEVICE);
	expect(m, "debug-free-direction",
	       "device driver frees DMA memory with different direction");
	expect(m, "debug-free-direction",
	       "[size=1024 bytes] [mapped with DMA_TO_DEVICE] [unmapped with DMA_FROM_DEVICE]");
	kfree(p);
}

static void map_error_unchecked(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *nc = dev(m, "nc@1000");
	uint8_t *p = kmalloc(1024, GFP_KERNEL);
	dma_addr_t a = dma_map_single(nc, p, 1024, DMA_TO_DEVICE);
	char want[160];

	(void)state;
	dma_unmap_single(nc, a, 1024, DMA_TO_DEVICE);
	/* the kernel's text has no space before the bracket */
	snprintf(want, sizeof(want),
		 "device driver failed to check map error[device address=0x%016llx] [size=1024 bytes] [mapped as single]",
		 (unsigned long long)a);
	expect(m, "debug-map-error-unchecked", want);
	/* checked: nothing */
	a = dma_map_single(nc, p, 1024, DMA_TO_DEVICE);
	if (dma_mapping_error(nc, a))
		fail();
	dma_unmap_single(nc, a, 1024, DMA_TO_DEVICE);
	assert_int_equal(dmapool_report_count(m), 1);
	kfree(p);
}

/* ---- check_sync ---- */

static void sync_unknown(void **state)
{
	struct dmapool_machine *m = load(NULL);

	(void)state;
	dma_sync_single_for_cpu(dev(m, "nc@1000"), 0x48000000, 64, DMA_FROM_DEVICE);
	expect(m, "debug-sync-unknown",
	       "device driver tries to sync DMA memory it has not allocated [device address=0x0000000048000000] [size=64 bytes]");
}

static void sync_range(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *nc = dev(m, "nc@1000");
	uint8_t *p = kmalloc(1024, GFP_KERNEL);
	dma_addr_t a = map(nc, p, 1024, DMA_FROM_DEVICE);

	(void)state;
	dma_sync_single_range_for_cpu(nc, a, 1000, 100, DMA_FROM_DEVICE);
	expect(m, "debug-sync-range",
	       "device driver syncs DMA memory outside allocated range");
	expect(m, "debug-sync-range", "[allocation size=1024 bytes] [sync offset+size=1100]");
	dma_unmap_single(nc, a, 1024, DMA_FROM_DEVICE);
	kfree(p);
}

static void sync_direction(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *nc = dev(m, "nc@1000");
	uint8_t *p = kmalloc(1024, GFP_KERNEL);
	dma_addr_t t = map(nc, p, 512, DMA_TO_DEVICE);
	dma_addr_t f = map(nc, p + 512, 512, DMA_FROM_DEVICE);
	dma_addr_t b;

	(void)state;
	/* for the CPU, a TO_DEVICE mapping synced FROM_DEVICE: read-only */
	dma_sync_single_for_cpu(nc, t, 512, DMA_FROM_DEVICE);
	expect(m, "debug-sync-direction",
	       "device driver syncs DMA memory with different direction [device address=");
	expect(m, "debug-sync-read-only",
	       "device driver syncs device read-only DMA memory for cpu");
	expect(m, "debug-sync-read-only", "[mapped with DMA_TO_DEVICE] [synced with DMA_FROM_DEVICE]");
	dmapool_report_clear(m);
	/* for the device, a FROM_DEVICE mapping synced TO_DEVICE: write-only */
	dma_sync_single_for_device(nc, f, 512, DMA_TO_DEVICE);
	expect(m, "debug-sync-write-only",
	       "device driver syncs device write-only DMA memory to device");
	assert_int_equal(dmapool_report_count_kind(m, "debug-sync-direction"), 1);
	dmapool_report_clear(m);
	/* BIDIRECTIONAL mappings take any sync direction */
	dma_unmap_single(nc, t, 512, DMA_TO_DEVICE);
	b = map(nc, p, 512, DMA_BIDIRECTIONAL);
	dma_sync_single_for_cpu(nc, b, 512, DMA_TO_DEVICE);
	dma_sync_single_for_device(nc, b, 512, DMA_FROM_DEVICE);
	assert_int_equal(dmapool_report_count(m), 0);
	dma_unmap_single(nc, b, 512, DMA_BIDIRECTIONAL);
	dma_unmap_single(nc, f, 512, DMA_FROM_DEVICE);
	kfree(p);
}

static void sync_sg_count(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *nc = dev(m, "nc@1000");
	uint8_t *p = (uint8_t *)__get_free_pages(GFP_KERNEL, 1);
	struct scatterlist sg[2];

	(void)state;
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], p, 4096);
	sg_set_buf(&sg[1], p + 4096, 4096);
	assert_int_equal(dma_map_sg(nc, sg, 2, DMA_FROM_DEVICE), 2);
	dma_sync_sg_for_cpu(nc, sg, 1, DMA_FROM_DEVICE);
	expect(m, "debug-sync-sg-count",
	       "device driver syncs DMA sg list with different entry count [map count=2] [sync count=1]");
	dma_unmap_sg(nc, sg, 2, DMA_FROM_DEVICE);
	assert_int_equal(dmapool_report_count(m), 1);
	free_pages((unsigned long)p, 1);
}

/* ---- at map time ---- */

static void map_stack_rodata_invalid_vmalloc(void **state)
{
	static const char rodata[256] = "constant";
	struct dmapool_machine *m = load(NULL);
	struct device *nc = dev(m, "nc@1000");
	char stack_buf[256];
	void *heap = malloc(256);
	void *v = vmalloc(8192);

	(void)state;
	assert_true(dma_mapping_error(nc, dma_map_single(nc, stack_buf, 256, DMA_TO_DEVICE)));
	expect(m, "debug-map-stack", "device driver maps memory from stack [probable addr=");
	assert_true(dma_mapping_error(nc, dma_map_single(nc, (void *)(uintptr_t)rodata, 256,
							 DMA_TO_DEVICE)));
	expect(m, "debug-map-rodata", "device driver maps memory from kernel text or rodata [addr=");
	assert_true(dma_mapping_error(nc, dma_map_single(nc, heap, 256, DMA_TO_DEVICE)));
	expect(m, "map-not-linear", "device driver maps memory from invalid area [addr=");
	assert_true(dma_mapping_error(nc, dma_map_single(nc, v, 256, DMA_TO_DEVICE)));
	expect(m, "map-vmalloc", "device driver maps memory from vmalloc area [addr=");
	assert_int_equal(dmapool_report_count(m), 4);
	free(heap);
	vfree(v);
}

/* add_dma_entry(): only without SWIOTLB's small-kmalloc bouncing, only
 * for mappings the device writes, not with DMA_ATTR_SKIP_CPU_SYNC. */
static void overlapping_cachelines(void **state)
{
	struct dmapool_machine *m = load("swiotlb=noforce");
	struct device *nc = dev(m, "nc@1000");
	uint8_t *p = (uint8_t *)__get_free_pages(GFP_KERNEL, 0);
	dma_addr_t a, b, c, t1, t2;

	(void)state;
	t1 = map(nc, p, 256, DMA_TO_DEVICE);
	t2 = map(nc, p, 256, DMA_TO_DEVICE);
	assert_int_equal(dmapool_report_count(m), 0);
	a = map(nc, p, 256, DMA_FROM_DEVICE);
	b = map(nc, p + 32, 256, DMA_FROM_DEVICE);	/* same first line */
	expect(m, "debug-overlap", "DMA-API: platform 1000.nc: cacheline tracking EEXIST, overlapping mappings aren't supported");
	c = dma_map_single_attrs(nc, p, 256, DMA_BIDIRECTIONAL, DMA_ATTR_SKIP_CPU_SYNC);
	assert_false(dma_mapping_error(nc, c));
	assert_int_equal(dmapool_report_count(m), 1);
	dma_unmap_single_attrs(nc, c, 256, DMA_BIDIRECTIONAL, DMA_ATTR_SKIP_CPU_SYNC);
	dma_unmap_single(nc, b, 256, DMA_FROM_DEVICE);
	dma_unmap_single(nc, a, 256, DMA_FROM_DEVICE);
	/* the line is free again */
	a = map(nc, p, 256, DMA_FROM_DEVICE);
	assert_int_equal(dmapool_report_count(m), 1);
	dma_unmap_single(nc, a, 256, DMA_FROM_DEVICE);
	dma_unmap_single(nc, t1, 256, DMA_TO_DEVICE);
	dma_unmap_single(nc, t2, 256, DMA_TO_DEVICE);
	free_pages((unsigned long)p, 0);
}

static void overlapping_cachelines_with_swiotlb(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *nc = dev(m, "nc@1000");
	uint8_t *p = (uint8_t *)__get_free_pages(GFP_KERNEL, 0);
	dma_addr_t a, b;

	(void)state;
	a = map(nc, p, 256, DMA_FROM_DEVICE);
	b = map(nc, p, 256, DMA_FROM_DEVICE);
	assert_int_equal(dmapool_report_count(m), 0);
	dma_unmap_single(nc, b, 256, DMA_FROM_DEVICE);
	dma_unmap_single(nc, a, 256, DMA_FROM_DEVICE);
	free_pages((unsigned long)p, 0);
}

/* ---- driver unbind ---- */

static void release_leaks(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *nc = dev(m, "nc@1000");
	uint8_t *p = kmalloc(1024, GFP_KERNEL);
	struct dma_pool *managed, *plain;
	dma_addr_t a, h, hb;
	void *c, *blk;
	struct dmapool_report r;
	char want[300];

	(void)state;
	a = map(nc, p, 1024, DMA_FROM_DEVICE);
	c = dma_alloc_coherent(nc, 4096, &h, GFP_KERNEL);
	managed = dmam_pool_create("managed", nc, 64, 64, 0);
	blk = dma_pool_alloc(managed, GFP_KERNEL, &hb);
	assert_non_null(blk);
	dma_pool_free(managed, blk, hb);		/* idle: devres frees its chunk */
	plain = dma_pool_create("plain", nc, 64, 64, 0);
	blk = dma_pool_alloc(plain, GFP_KERNEL, &hb);
	assert_non_null(blk);
	assert_non_null(c);
	assert_int_equal(dmapool_debug_live(nc), 4);	/* 1 map, 3 coherent */
	/* the managed pool goes with devres; the rest leaks */
	assert_int_equal(dmapool_device_release(nc), 3);
	assert_int_equal(dmapool_report_count_kind(m, "debug-leak"), 3);
	assert_int_equal(dmapool_report_get(m, 0, &r), 0);
	snprintf(want, sizeof(want),
		 "device driver has pending DMA allocations while released from device [count=3]\nOne of leaked entries details: [device address=0x%016llx] [size=1024 bytes] [mapped with DMA_FROM_DEVICE] [mapped as single]",
		 (unsigned long long)a);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(dmapool_report_get(m, i, &r), 0);
		if (strstr(r.text, want))
			break;
		if (i == 2)
			fail_msg("no leak report for the mapping");
	}
	assert_int_equal(dmapool_debug_live(nc), 0);
	assert_int_equal(dmapool_device_release(nc), 0);
	assert_int_equal(dmapool_device_release(NULL), -EINVAL);
	kfree(p);
}

/* ---- switches ---- */

static void first_error_only_and_filter(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *nc = dev(m, "nc@1000"), *coh = dev(m, "coh@2000");

	(void)state;
	dmapool_debug_set_all_errors(m, false);
	dma_unmap_single(nc, 0x48000000, 64, DMA_TO_DEVICE);
	dma_unmap_single(nc, 0x48001000, 64, DMA_TO_DEVICE);
	assert_int_equal(dmapool_report_count(m), 1);		/* shown */
	assert_int_equal(dmapool_debug_error_count(m, nc), 2);	/* counted */
	dmapool_debug_set_all_errors(m, true);
	dmapool_report_clear(m);
	assert_int_equal(dmapool_debug_set_driver_filter(m, "other"), 0);
	dma_unmap_single(coh, 0x48000000, 64, DMA_TO_DEVICE);
	assert_int_equal(dmapool_report_count(m), 0);
	assert_int_equal(dmapool_debug_error_count(m, coh), 1);
	assert_int_equal(dmapool_debug_set_driver_filter(m, "platform"), 0);
	dma_unmap_single(coh, 0x48000000, 64, DMA_TO_DEVICE);
	assert_int_equal(dmapool_report_count(m), 1);
	assert_int_equal(dmapool_debug_set_driver_filter(m, NULL), 0);
	assert_int_equal(dmapool_debug_error_count(m, NULL), 4);
	assert_int_equal(dmapool_debug_error_count(m, coh), 2);
	assert_int_equal(dmapool_debug_set_driver_filter(NULL, "x"), -EINVAL);
}

/* A driver that keeps every rule: not one report. */
static void clean_driver(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *nc = dev(m, "nc@1000");
	uint8_t *p = (uint8_t *)__get_free_pages(GFP_KERNEL, 1);
	struct scatterlist sg[2];
	dma_addr_t h, a;
	void *c = dma_alloc_coherent(nc, 4096, &h, GFP_KERNEL);

	(void)state;
	a = map(nc, p, 2048, DMA_BIDIRECTIONAL);
	dma_sync_single_for_cpu(nc, a, 2048, DMA_BIDIRECTIONAL);
	dma_sync_single_range_for_device(nc, a, 1024, 1024, DMA_BIDIRECTIONAL);
	dma_unmap_single(nc, a, 2048, DMA_BIDIRECTIONAL);
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], p, 4096);
	sg_set_buf(&sg[1], p + 4096, 4096);
	assert_int_equal(dma_map_sg(nc, sg, 2, DMA_FROM_DEVICE), 2);
	dma_sync_sg_for_cpu(nc, sg, 2, DMA_FROM_DEVICE);
	dma_sync_sg_for_device(nc, sg, 2, DMA_FROM_DEVICE);
	dma_unmap_sg(nc, sg, 2, DMA_FROM_DEVICE);
	dma_free_coherent(nc, 4096, c, h);
	assert_int_equal(dmapool_device_release(nc), 0);
	assert_int_equal(dmapool_report_check_none(m), 0);
	assert_int_equal(dmapool_debug_error_count(m, NULL), 0);
	free_pages((unsigned long)p, 1);
}

/*
 * The exact-address hash under churn: 10,000 addresses each mapped
 * twice, unmapped in a scrambled order down to 40 (tombstones, then a
 * rebuild for what is left), with dma_mapping_error() and the unmap
 * checks finding every one and dmapool_machine_check() agreeing with
 * the counts along the way.
 */
static void hash_churn(void **state)
{
	struct dmapool_machine *m = load("");
	struct device *coh = dev(m, "coh@2000");
	enum { N = 10000 };
	static dma_addr_t hs[2 * N];
	uint8_t *buf;

	(void)state;
	dmapool_set_tracing(m, false);
	buf = (uint8_t *)__get_free_pages(GFP_KERNEL, 10);	/* 4 MiB */
	assert_non_null(buf);
	for (int i = 0; i < N; i++)
		for (int k = 0; k < 2; k++) {
			/* 256-byte buffers: two mappings of one address */
			hs[2 * i + k] = dma_map_single(coh, buf + (size_t)i * 256, 256,
						       DMA_TO_DEVICE);
			assert_false(dma_mapping_error(coh, hs[2 * i + k]));
		}
	assert_int_equal(dmapool_debug_live(coh), 2 * N);
	assert_int_equal(dmapool_machine_check(m, NULL, 0), 0);
	/* unmap all but the first 40, in an order that jumps around */
	for (unsigned j = 0; j < 2 * N; j++) {
		unsigned i = (unsigned)(((uint64_t)j * 7919) % (2 * N));

		if (i < 40)
			continue;
		dma_unmap_single(coh, hs[i], 256, DMA_TO_DEVICE);
		if (j % 4999 == 0)
			assert_int_equal(dmapool_machine_check(m, NULL, 0), 0);
	}
	assert_int_equal(dmapool_debug_live(coh), 40);
	assert_int_equal(dmapool_machine_check(m, NULL, 0), 0);
	/* the survivors are still found, and new mappings still go in */
	for (int i = 0; i < 40; i++)
		dma_unmap_single(coh, hs[i], 256, DMA_TO_DEVICE);
	for (int i = 0; i < 64; i++) {
		hs[i] = dma_map_single(coh, buf + (size_t)i * 256, 256, DMA_TO_DEVICE);
		assert_false(dma_mapping_error(coh, hs[i]));
	}
	for (int i = 0; i < 64; i++)
		dma_unmap_single(coh, hs[i], 256, DMA_TO_DEVICE);
	assert_int_equal(dmapool_debug_live(coh), 0);
	assert_int_equal(dmapool_report_count(m), 0);
	assert_int_equal(dmapool_machine_check(m, NULL, 0), 0);
	free_pages((unsigned long)buf, 10);
}

/*
 * Entries made and never queried are found by the first query that
 * needs the address order (a sync inside a mapping, a release), and a
 * steady-state map + unmap takes no heap block (entries are reused).
 */
static void lazy_order_and_reuse(void **state)
{
	struct dmapool_machine *m = load("");
	struct device *coh = dev(m, "coh@2000");
	struct dmapool_heap_stats h0, h1, h2, h3;
	enum { N = 200 };
	dma_addr_t hs[N];
	uint8_t *buf;

	(void)state;
	dmapool_set_tracing(m, false);
	buf = (uint8_t *)__get_free_pages(GFP_KERNEL, 6);	/* 256 KiB */
	assert_non_null(buf);
	for (int round = 0; round < 2; round++) {
		dmapool_heap_stats(&h0);
		for (int i = 0; i < N; i++) {
			hs[i] = dma_map_single(coh, buf + i * 1024, 1000, DMA_BIDIRECTIONAL);
			assert_false(dma_mapping_error(coh, hs[i]));
		}
		dmapool_heap_stats(&h1);
		assert_int_equal(dmapool_debug_live(coh), N);
		assert_int_equal(dmapool_machine_check(m, NULL, 0), 0);
		/* inside the 7th mapping, past its start: a containment query */
		dma_sync_single_for_cpu(coh, hs[7] + 100, 800, DMA_BIDIRECTIONAL);
		dma_sync_single_for_device(coh, hs[7] + 100, 800, DMA_BIDIRECTIONAL);
		assert_int_equal(dmapool_report_count(m), 0);
		/* past its end (the gap before the next one): not mapped */
		dma_sync_single_for_cpu(coh, hs[7] + 1000, 16, DMA_BIDIRECTIONAL);
		expect(m, "debug-sync-unknown", "tries to sync DMA memory it has not allocated");
		dmapool_report_clear(m);
		assert_int_equal(dmapool_machine_check(m, NULL, 0), 0);
		dmapool_heap_stats(&h2);
		for (int i = N - 1; i >= 0; i--)
			dma_unmap_single(coh, hs[i], 1000, DMA_BIDIRECTIONAL);
		dmapool_heap_stats(&h3);
		assert_int_equal(dmapool_debug_live(coh), 0);
		/* the first round's maps take heap blocks (the entries'
		 * slabs, the hash); the second round reuses them */
		if (round == 0)
			assert_true(h1.allocs > h0.allocs);
		else
			assert_int_equal(h1.allocs - h0.allocs + h3.allocs - h2.allocs, 0);
	}
	assert_int_equal(dmapool_machine_check(m, NULL, 0), 0);
	assert_int_equal(dmapool_report_count(m), 0);
	free_pages((unsigned long)buf, 6);
}

/* ------------------------------------------------------------------ */

static int group_setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/test_debug-XXXXXX");
	if (!mkdtemp(tmpdir) || tu_tree_write(tmpdir, "debug", tree))
		return -1;
	tu_leak_mark();
	return 0;
}

static int group_teardown(void **state)
{
	int rc = tu_leak_teardown(state);

	tu_tree_remove(tmpdir, "debug");
	rmdir(tmpdir);
	return rc;
}

#define T(f) cmocka_unit_test_teardown(f, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(free_invalid),
		T(free_unknown),
		T(free_size),
		T(free_function),
		T(free_cpu_address),
		T(free_sg_count),
		T(free_direction),
		T(map_error_unchecked),
		T(sync_unknown),
		T(sync_range),
		T(sync_direction),
		T(sync_sg_count),
		T(map_stack_rodata_invalid_vmalloc),
		T(overlapping_cachelines),
		T(overlapping_cachelines_with_swiotlb),
		T(release_leaks),
		T(first_error_only_and_filter),
		T(clean_driver),
		T(hash_churn),
		T(lazy_order_and_reuse),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
