/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Regression tests for what the libFuzzer targets (tests/fuzz/) found in
 * the library, one test per finding, on the fuzz board
 * (tests/fuzz/api_board.dts).  The inputs that found them are kept in
 * tests/fuzz/corpus/ as regress-* files.
 *
 * Usage: test_fuzz_findings FUZZ_BOARD.dtb
 */
#define virt_to_phys	dmapool_internal_virt_to_phys
#define phys_to_virt	dmapool_internal_phys_to_virt
#include "internal.h"
#include "bitmap.h"
#undef virt_to_phys
#undef phys_to_virt

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <dmapool.h>
#include <linux/dma-mapping.h>
#include <linux/of_reserved_mem.h>
#include <linux/slab.h>
#include "testutil.h"

static const char *board;

static struct dmapool_machine *load_args(const char *knobs, const char *bootargs)
{
	struct dmapool_config cfg = { .knobs = knobs, .bootargs = bootargs };
	struct dmapool_machine *m = tu_load(board, &cfg);

	dmapool_machine_use(m);
	return m;
}

static struct dmapool_machine *load(const char *knobs)
{
	return load_args(knobs, NULL);
}

static void check_ok(struct dmapool_machine *m)
{
	char why[256];

	if (dmapool_machine_check(m, why, sizeof(why)))
		fail_msg("dmapool_machine_check: %s", why);
}

static size_t n_aliases(struct dmapool_machine *m)
{
	size_t n = 0;

	pthread_mutex_lock(&m->pm.lock);
	for (struct pm_alias *a = m->pm.aliases; a; a = a->next)
		n++;
	pthread_mutex_unlock(&m->pm.lock);
	return n;
}

/*
 * Finding 1: dma_free_coherent() of memory the device never allocated at
 * that address (another device's per-device pool, a buffer freed already,
 * a CPU address that is not the allocation's) went on into
 * dma_direct_free(), which unmapped whatever alias the CPU address was:
 * the pool's whole memremap, so its next allocation crashed.  Now the
 * DMA-API report is made and the free is ignored.
 */
static void free_of_foreign_memory(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *d0 = tu_dev(m, "dev0@1000"), *d2 = tu_dev(m, "dev2@3000");
	struct device *d3 = tu_dev(m, "dev3@4000");
	dma_addr_t ha, hb, hc;
	uint8_t *a, *b, *c;
	size_t logs;

	(void)state;
	assert_int_equal(of_reserved_mem_device_init(d0), 0);
	a = dma_alloc_coherent(d0, 0x2000, &ha, GFP_KERNEL);	/* pool0 */
	assert_non_null(a);
	assert_int_equal(ha, 0x70000000);

	/* another device frees it: reported, ignored */
	logs = dmapool_log_count(m);
	dma_free_coherent(d2, 0, a, ha);
	assert_int_equal(dmapool_report_count_kind(m, "debug-free-unknown"), 1);
	assert_int_equal(tu_log_count_sub(m, logs, "the free is ignored"), 1);
	memset(a, 0x11, 0x2000);			/* still mapped */
	b = dma_alloc_coherent(d0, 0x1000, &hb, GFP_KERNEL);
	assert_non_null(b);
	memset(b, 0x22, 0x1000);
	check_ok(m);

	/* a non-coherent device's remapped buffer freed twice */
	c = dma_alloc_coherent(d3, 0x3000, &hc, GFP_KERNEL);
	assert_non_null(c);
	assert_int_equal(dmapool_cpu_attr(m, c), DMAPOOL_ATTR_WC);
	dma_free_coherent(d3, 0x3000, c, hc);
	dma_free_coherent(d3, 0x3000, c, hc);
	assert_int_equal(dmapool_report_count_kind(m, "debug-free-unknown"), 2);
	check_ok(m);

	/* the right handle with another allocation's CPU address (the pool's
	 * first page): reported, ignored, the pool stays mapped */
	c = dma_alloc_coherent(d3, 0x3000, &hc, GFP_KERNEL);
	assert_non_null(c);
	dma_free_coherent(d3, 0x3000, a, hc);
	assert_int_equal(dmapool_report_count_kind(m, "debug-free-cpu-address"), 1);
	memset(a, 0x33, 0x2000);
	dma_free_coherent(d3, 0x3000, c, hc);		/* the real free still works */
	assert_int_equal(dmapool_debug_live(d3), 0);

	dma_free_coherent(d0, 0x1000, b, hb);
	dma_free_coherent(d0, 0x2000, a, ha);
	assert_int_equal(dmapool_debug_live(d0), 0);
	check_ok(m);
	tu_unload(m);
}

/*
 * Finding 2: a coherent allocation far larger than RAM through the IOMMU
 * (blocking, so the page-array path) made the library calloc() the page
 * array first: 64 GiB of host memory for a 32 TiB request.  Now it fails
 * before, as the page allocator would.
 */
static void iommu_alloc_beyond_ram(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *d5 = tu_dev(m, "dev5@6000");
	struct dmapool_decision d;
	dma_addr_t h;
	bool found = false;

	(void)state;
	assert_int_equal(dma_set_mask_and_coherent(d5, DMA_BIT_MASK(48)), 0);
	assert_null(dma_alloc_coherent(d5, (size_t)1 << 45, &h, GFP_KERNEL));
	assert_int_equal(h, DMA_MAPPING_ERROR);
	d = tu_last_decision(d5);
	for (unsigned i = 0; i < d.nsteps; i++)
		found |= !strcmp(d.steps[i].stage, "pages") &&
			 strstr(d.steps[i].cond, "more than the machine's") != NULL;
	if (!found)
		tu_dump_decision(&d);
	assert_true(found);
	check_ok(m);
	tu_unload(m);
}

/*
 * Finding 3: physmem_cpu_from_dram() asked SEEK_HOLE for the end of each
 * data run, and the kernel walks the whole run however far past the range
 * it goes: freeing a non-coherent IOMMU buffer page by page cost ~1 ms a
 * page (an input took 23 s).  Short ranges now ask page by page.  The
 * result must not change: the CPU's view equals DRAM over the range (data
 * copied, holes punched) and nothing past the range is touched.
 */
static void cpu_from_dram_range(void **state)
{
	struct dmapool_machine *m = load(NULL);
	size_t ps = m->prof.page_size;

	(void)state;
	for (int big = 0; big < 2; big++) {
		size_t npg = big ? 96 : 8;	/* both sides of the 64-page rule */
		phys_addr_t pa = buddy_alloc(m, 0, 7);	/* 128 pages */
		struct pm_bank *b;
		uint64_t off;

		assert_int_not_equal(pa, PHYS_NONE);
		b = physmem_bank(m, pa, 128 * ps);
		assert_non_null(b);
		off = pa - b->base;
		/* DRAM: holes, then data in pages 0, 1, 3 and npg (past the
		 * range, so that its data run goes on beyond it) */
		assert_int_equal(fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					   (off_t)off, (off_t)(128 * ps)), 0);
		for (size_t p = 0; p < 128; p++)
			memset(b->cview + off + p * ps, 0xee, ps);	/* stale CPU view */
		memset(b->dram + off, 0x01, 2 * ps);
		memset(b->dram + off + 3 * ps, 0x03, ps);
		memset(b->dram + off + npg * ps, 0x05, 2 * ps);

		physmem_cpu_from_dram(b, off, npg * ps);

		for (size_t p = 0; p < npg; p++) {
			uint8_t want = p < 2 ? 0x01 : p == 3 ? 0x03 : 0;

			for (size_t i = 0; i < ps; i += 511)
				if (b->cview[off + p * ps + i] != want)
					fail_msg("%s range, page %zu byte %zu: %#x, not %#x",
						 big ? "long" : "short", p, i,
						 b->cview[off + p * ps + i], want);
		}
		/* DRAM's holes stay holes; past the range nothing changed */
		assert_int_not_equal(lseek(b->fd, (off_t)(off + 2 * ps), SEEK_DATA),
				     (off_t)(off + 2 * ps));
		assert_int_equal(b->cview[off + npg * ps], 0xee);
		buddy_free(m, pa, 7);
	}
	tu_unload(m);
}

/*
 * Finding 4: an IOMMU remapped coherent allocation (blocking, not
 * FORCE_CONTIGUOUS) mapped its pages for the CPU one alias per page: a
 * 512 MiB buffer was 131072 aliases, and freeing it walked the alias list
 * once per page (a timeout).  Now each run of physically contiguous chunks
 * is one alias (with DMA_ATTR_ALLOC_SINGLE_PAGES too: single pages from the
 * buddy allocator mostly follow each other); the CPU and the device still
 * see the same bytes.
 */
static void iommu_remap_by_chunk(void **state)
{
	struct dmapool_machine *m = load(NULL);
	const char *devs[2] = { "dev5@6000", "dev6@7000" };	/* WB, WC */
	size_t size = 64u << 20;

	(void)state;
	for (int i = 0; i < 4; i++) {
		struct device *d = tu_dev(m, devs[i % 2]);
		unsigned long attrs = i < 2 ? 0 : DMA_ATTR_ALLOC_SINGLE_PAGES;
		size_t before = n_aliases(m);
		dma_addr_t h;
		uint8_t *c, got[64];

		c = dma_alloc_attrs(d, size, &h, GFP_KERNEL, attrs);
		assert_non_null(c);
		/* 64 MiB in chunks of the SMMU's 2 MiB block size (or single
		 * pages), merged where contiguous: at most 32 */
		assert_in_range(n_aliases(m) - before, 1, 32);
		for (size_t off = 0; off < size; off += (4u << 20) - 32) {
			memset(c + off, (int)(off >> 20) + 1, 64);
			assert_int_equal(dmapool_dev_read(d, h + off, got, 64), 0);
			for (int k = 0; k < 64; k++)
				assert_int_equal(got[k], (uint8_t)((off >> 20) + 1));
		}
		dma_free_attrs(d, size, c, h, attrs);
		assert_int_equal(n_aliases(m), before);
		check_ok(m);
	}
	tu_unload(m);
}

/*
 * Finding 5: a coherent allocation of 0 bytes from a device with a
 * restricted pool computed swiotlb_alloc()'s alignment as
 * 1 << (get_order(0) + PAGE_SHIFT), a shift by 64 (undefined behaviour;
 * the sanitizer build stops there).  Now the allocation just fails.
 */
static void restricted_alloc_of_zero(void **state)
{
	struct dmapool_machine *m = load("dma_restricted_pool=y");
	struct device *d4 = tu_dev(m, "dev4@5000");
	struct dmapool_decision d;
	dma_addr_t h;
	void *c;

	(void)state;
	assert_null(dma_alloc_coherent(d4, 0, &h, GFP_KERNEL));
	d = tu_last_decision(d4);
	assert_true(tu_has_step(&d, "restricted-swiotlb", "fail"));
	c = dma_alloc_coherent(d4, 0x1000, &h, GFP_KERNEL);	/* the pool works */
	assert_non_null(c);
	assert_true(tu_has_step((d = tu_last_decision(d4), &d), "restricted-swiotlb", "ok"));
	dma_free_coherent(d4, 0x1000, c, h);
	check_ok(m);
	tu_unload(m);
}

/*
 * Finding 6: bitmap_find_next_zero_area_off() on a CMA area of 33280 pages
 * (cma=129M; the atomic pools' first allocation, 1024 pages aligned to
 * 1024 with the area's pfn offset of 512) read past the end of the bitmap
 * (ASan: heap-buffer-overflow in next_bit()).  find_next_bit() climbed to
 * a group that holds the sentinel, which looks allocated, and descended
 * past it.  The answers were right (clamped to the size); the reads were
 * not.  Empty bitmaps of every shape, the search with an offset: the
 * kernel's answer, and no read out of bounds (the sanitizer build).
 */
static uint64_t align_off(uint64_t x, uint64_t mask, uint64_t off)
{
	return ((x + off + mask) & ~mask) - off;
}

static void bitmap_search_past_end(void **state)
{
	static const struct { uint64_t nr, mask, off; } q[] = {
		{ 1024, 1023, 512 }, { 1, 0, 0 }, { 64, 63, 17 }, { 100, 127, 5 },
		{ 1024, 1023, 0 }, { 3, 3, 1 },
	};

	(void)state;
	for (uint64_t words = 1; words <= 1100; words++)
		for (int tail = 0; tail < 2; tail++) {
			uint64_t nbits = words * 64 - (tail ? 13 : 0);
			struct rbitmap *b = rbitmap_create(nbits);

			assert_non_null(b);
			for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
				uint64_t p = align_off(0, q[i].mask, q[i].off & q[i].mask);
				uint64_t want = p + q[i].nr <= nbits ? p : p + q[i].nr;

				assert_int_equal(rbitmap_find_next_zero_area_off(b, 0, q[i].nr,
						 q[i].mask, q[i].off), want);
			}
			rbitmap_destroy(b);
		}
}

/*
 * Finding 7: a non-blocking allocation of a non-coherent device comes
 * from an atomic pool; freed with a size that runs past the pool's chunk,
 * dma_free_from_pool() does not claim it, and dma_direct_free() went on to
 * unmap the CPU address as if it were the buffer's own remap: the whole
 * chunk's mapping, so the pool's next allocation crashed.  Now the free is
 * ignored (the DMA-API report says the size differs).
 */
static void atomic_free_past_chunk(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *d3 = tu_dev(m, "dev3@4000");
	struct dmapool_decision d;
	dma_addr_t h, h2;
	uint8_t *c, *c2;
	size_t logs;

	(void)state;
	c = dma_alloc_coherent(d3, 0x1000, &h, GFP_ATOMIC);
	assert_non_null(c);
	d = tu_last_decision(d3);
	assert_true(!strncmp(d.backend, "atomic-", 7));
	logs = dmapool_log_count(m);
	dma_free_coherent(d3, 2u << 20, c, h);
	assert_int_equal(dmapool_report_count_kind(m, "debug-free-size"), 1);
	assert_int_equal(tu_log_count_sub(m, logs, "run past its chunk; the free is ignored"), 1);
	c2 = dma_alloc_coherent(d3, 0x2000, &h2, GFP_ATOMIC);
	assert_non_null(c2);
	memset(c2, 0x44, 0x2000);		/* the pool is still mapped */
	memset(c, 0x45, 0x1000);
	dma_free_coherent(d3, 0x2000, c2, h2);
	check_ok(m);
	tu_unload(m);
}

/*
 * Finding 8 (seen in a load_blob input, not a crash): coherent_pool=0 made
 * the atomic pools 4 MiB each (get_order(0) capped at MAX_PAGE_ORDER); the
 * kernel leaves atomic_pool_size at 0 and sizes them as if it were unset:
 * 128 KiB per GiB, here 256 KiB.
 */
static void coherent_pool_zero(void **state)
{
	struct dmapool_machine *m = load_args(NULL, "coherent_pool=0");

	(void)state;
	assert_int_equal(tu_log_count(m, 0, "DMA: preallocated 256 KiB GFP_KERNEL pool for atomic allocations"), 1);
	check_ok(m);
	tu_unload(m);
}

/*
 * Finding 9 (dmapool_machine_check(), after the harness learned to unmap
 * at an address inside a mapping): swiotlb_release_slots() frees as many
 * slots as the first one's recorded size says and takes them all off the
 * area's count, free or not.  An unmap inside a bounced mapping frees its
 * tail; the unmap at the start then took the tail off again and the count
 * wrapped below zero (the kernel does the same).  Now only the slots still
 * in use are counted off.
 */
static void swiotlb_unmap_inside(void **state)
{
	struct dmapool_machine *m = load_args(NULL, "swiotlb=force");
	struct device *d3 = tu_dev(m, "dev3@4000");
	dma_addr_t h;
	void *buf;

	(void)state;
	buf = kmalloc(0x1000, GFP_KERNEL);
	assert_non_null(buf);
	h = dma_map_single(d3, buf, 0x1000, DMA_TO_DEVICE);
	assert_false(dma_mapping_error(d3, h));
	assert_int_equal(m->swiotlb.areas[0].used, 2);		/* 2 KiB slots */
	dma_unmap_single(d3, h + 0x900, 0x6ff, DMA_TO_DEVICE);	/* the tail */
	assert_int_equal(dmapool_report_count_kind(m, "debug-free-unknown"), 1);
	assert_int_equal(m->swiotlb.areas[0].used, 1);
	dma_unmap_single(d3, h, 0x1000, DMA_TO_DEVICE);
	assert_int_equal(m->swiotlb.areas[0].used, 0);
	check_ok(m);
	kfree(buf);
	tu_unload(m);
}

/*
 * Finding 10 (fuzz_load_blob): a blob whose header says version 9 crashed
 * in libfdt 1.6's fdt_check_full(): before version 16 node names are full
 * paths, fdt_get_name() fails on the root's empty name and the check
 * dereferences the NULL it returns.  Such blobs are refused first, with a
 * line that says why.
 */
static void sink(void *ctx, const char *line)
{
	lines_add(ctx, line);
}

static void old_blob_version(void **state)
{
	struct lines log = { 0 };
	struct dmapool_config cfg = { .log_sink = sink, .log_ctx = &log };
	struct dmapool_machine *m = NULL;
	FILE *f = fopen(board, "rb");
	uint8_t blob[16384];
	size_t n;

	(void)state;
	assert_non_null(f);
	n = fread(blob, 1, sizeof(blob), f);
	fclose(f);
	assert_true(n > 40 && n < sizeof(blob));
	blob[20] = blob[21] = blob[22] = 0;	/* version 9 */
	blob[23] = 9;
	assert_int_equal(dmapool_machine_load_blob(blob, n, &cfg, &m), -EINVAL);
	assert_null(m);
	assert_true(lines_have_prefix(&log, "libdmapool: device tree blob version 9: versions before 16 are not supported"));
	lines_free(&log);
}

static int group_setup(void **state)
{
	(void)state;
	tu_leak_mark();
	return 0;
}

int main(int argc, char **argv)
{
#define T(f) cmocka_unit_test_teardown(f, tu_teardown)
	const struct CMUnitTest tests[] = {
		T(free_of_foreign_memory),
		T(iommu_alloc_beyond_ram),
		T(cpu_from_dram_range),
		T(iommu_remap_by_chunk),
		T(restricted_alloc_of_zero),
		T(bitmap_search_past_end),
		T(atomic_free_past_chunk),
		T(coherent_pool_zero),
		T(swiotlb_unmap_inside),
		T(old_blob_version),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s FUZZ_BOARD.dtb\n", argv[0]);
		return 2;
	}
	board = argv[1];
	return cmocka_run_group_tests_name("fuzz_findings", tests, group_setup,
					   tu_leak_teardown);
}
