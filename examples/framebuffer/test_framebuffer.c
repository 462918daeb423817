/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The test plays the display controller of framebuffer: once the driver
 * has drawn a frame, the scan-out engine fetches it by DMA address and
 * the test compares it with the same scene drawn by a reference renderer.
 * It also checks where the framebuffer comes from: the display's own
 * no-map pool (64 KiB at 0x4f000000 in board.dts), with the kernel's
 * placement (order-aligned first fit) and no fallback when it is full.
 * Built with the driver's variant: the correct driver's frame is exact
 * with no report; drawing through the linear map of the no-map pool leaves
 * the display black and each page touched is a "cpu-nomap-access" report.
 *
 * Usage: test_framebuffer BOARD.dtb
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dmapool.h>
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include "testutil.h"

#include "framebuffer.h"

#define DISPLAY		"display@9020000"	/* non-coherent */
#define POOL_BASE	0x4f000000ULL		/* display_pool in board.dts */
#define POOL_SIZE	0x10000ULL		/* 16 pages */
#define WIDTH		64
#define HEIGHT		32
#define FB_BYTES	(WIDTH * HEIGHT * FB_CPP)	/* two pages */

static const char *board;

/* The scene, drawn by the driver and by the reference renderer. */
static const struct {
	unsigned int x, y, w, h;
	u32 color;
} scene[] = {
	{ 0, 0, WIDTH, HEIGHT, 0x00202060 },	/* background */
	{ 4, 2, 20, 10, 0x00ff0000 },
	{ 30, 12, 40, 8, 0x0000ff00 },		/* clipped; across the pages */
	{ 10, 24, 8, 8, 0x00ffffff },
};

static u32 expect[HEIGHT][WIDTH];

/* The reference renderer. */
static void ref_fill_rect(unsigned int x0, unsigned int y0, unsigned int w,
			  unsigned int h, u32 color)
{
	for (unsigned int y = y0; y < y0 + h && y < HEIGHT; y++)
		for (unsigned int x = x0; x < x0 + w && x < WIDTH; x++)
			expect[y][x] = color;
}

static void draw_scene(struct fb *fb)
{
	for (size_t k = 0; k < sizeof(scene) / sizeof(scene[0]); k++) {
		fb_fill_rect(fb, scene[k].x, scene[k].y, scene[k].w, scene[k].h,
			     scene[k].color);
		ref_fill_rect(scene[k].x, scene[k].y, scene[k].w, scene[k].h,
			      scene[k].color);
	}
}

static struct fb *probe(struct dmapool_machine **mp, struct device **devp)
{
	struct dmapool_config cfg = { .arch = "arm64" };
	struct fb *fb;

	*mp = tu_load(board, &cfg);
	dmapool_machine_use(*mp);
	*devp = dmapool_device_find(*mp, DISPLAY);
	assert_non_null(*devp);
	assert_int_equal(fb_dev_init(*devp), 0);
	fb = fb_create(*devp, WIDTH, HEIGHT);
	assert_non_null(fb);
	assert_int_equal(fb_pitch(fb), WIDTH * FB_CPP);
	assert_int_equal(fb_size(fb), FB_BYTES);
	return fb;
}

static void remove_fb(struct device *dev, struct fb *fb)
{
	fb_destroy(fb);
	fb_dev_exit(dev);
}

#ifndef BUG_LINEAR_ALIAS

/* Correct: the scan-out engine sees exactly the scene, no report. */
static void fb_correct(void **state)
{
	struct dmapool_machine *m;
	struct device *dev;
	struct fb *fb = probe(&m, &dev);
	dma_addr_t base = fb_dma(fb), px_dma;
	size_t diff = 0;
	u32 px;

	(void)state;
	draw_scene(fb);
	/* no sync: the WC mapping put every pixel in DRAM */
	assert_int_equal(dmapool_dev_compare(dev, base, expect, FB_BYTES, &diff), 0);
	/* one pixel of the green rectangle, in the second page */
	px_dma = base + 17 * fb_pitch(fb) + 35 * FB_CPP;
	assert_int_equal(dmapool_dev_read_u32(dev, px_dma, &px), 0);
	assert_int_equal(px, 0x0000ff00);
	remove_fb(dev, fb);
	assert_int_equal(dmapool_report_check_none(m), 0);
}

/*
 * Where the framebuffer comes from: the display's pool, through the
 * per-device pool of the decision tree, write-combining for the CPU.
 * bitmap_find_free_region() takes 2^get_order(size) pages at a multiple
 * of that many pages from the pool start, first fit:
 *   8 KiB  (order 1) -> pages 0-1   = POOL_BASE
 *   32 KiB (order 3) -> pages 8-15  = POOL_BASE + 0x8000 (0-7 hold page 0-1)
 *   32 KiB again     -> no free run of 8 pages at a multiple of 8: NULL,
 *                       though the pool has 6 free pages and RAM plenty
 * Freeing the first one frees pages 0-7, where the 32 KiB one now fits.
 */
static void fb_from_device_pool(void **state)
{
	struct dmapool_machine *m;
	struct device *dev;
	struct fb *fb = probe(&m, &dev), *big, *big2;
	struct dmapool_decision d;
	phys_addr_t pa;

	(void)state;
	assert_int_equal(dmapool_last_decision(dev, &d), 0);
	assert_string_equal(d.op, "alloc");
	assert_string_equal(d.backend, "dev-coherent");
	assert_true(d.ok);
	assert_true(d.attrs & DMA_ATTR_WRITE_COMBINE);
	assert_int_equal(d.attr, DMAPOOL_ATTR_WC);
	assert_int_equal(fb_dma(fb), POOL_BASE);	/* no dma-ranges: dma == phys */
	assert_int_equal(d.phys, POOL_BASE);
	pa = dmapool_virt_to_phys(m, fb_vaddr(fb));
	assert_int_equal(pa, POOL_BASE);
	assert_true(pa >= POOL_BASE && pa + FB_BYTES <= POOL_BASE + POOL_SIZE);
	assert_int_equal(dmapool_cpu_attr(m, fb_vaddr(fb)), DMAPOOL_ATTR_WC);

	big = fb_create(dev, 128, 64);			/* 32 KiB, order 3 */
	assert_non_null(big);
	assert_int_equal(fb_dma(big), POOL_BASE + 8 * PAGE_SIZE);
	assert_int_equal(dmapool_last_decision(dev, &d), 0);
	assert_string_equal(d.backend, "dev-coherent");

	/* full for this size: no fallback to CMA or the page allocator */
	assert_null(fb_create(dev, 128, 64));
	assert_int_equal(dmapool_last_decision(dev, &d), 0);
	assert_string_equal(d.op, "alloc");
	assert_false(d.ok);
	assert_string_equal(d.backend, "none");
	assert_string_equal(d.steps[d.nsteps - 1].stage, "dev-coherent");

	/* pages 0-7 free again: the same request fits at the pool start */
	fb_destroy(fb);
	big2 = fb_create(dev, 128, 64);
	assert_non_null(big2);
	assert_int_equal(fb_dma(big2), POOL_BASE);
	fb_destroy(big2);
	remove_fb(dev, big);
	assert_int_equal(dmapool_report_check_none(m), 0);
}

/* Without of_reserved_mem_device_init() the region is not the device's:
 * dma_alloc_wc() walks on to dma-direct and remaps pages from elsewhere. */
static void fb_pool_not_attached(void **state)
{
	struct dmapool_config cfg = { .arch = "arm64" };
	struct dmapool_machine *m = tu_load(board, &cfg);
	struct device *dev = dmapool_device_find(m, DISPLAY);
	struct dmapool_decision d;
	struct fb *fb;

	(void)state;
	dmapool_machine_use(m);
	assert_non_null(dev);
	assert_int_equal(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32)), 0);
	fb = fb_create(dev, WIDTH, HEIGHT);
	assert_non_null(fb);
	assert_int_equal(dmapool_last_decision(dev, &d), 0);
	assert_string_not_equal(d.backend, "dev-coherent");
	assert_true(d.ok);
	assert_true(fb_dma(fb) + FB_BYTES <= POOL_BASE ||
		    fb_dma(fb) >= POOL_BASE + POOL_SIZE);
	assert_int_equal(dmapool_cpu_attr(m, fb_vaddr(fb)), DMAPOOL_ATTR_WC);
	fb_destroy(fb);
	assert_int_equal(dmapool_report_check_none(m), 0);
}

#define TESTS	cmocka_unit_test_teardown(fb_correct, tu_teardown), \
		cmocka_unit_test_teardown(fb_from_device_pool, tu_teardown), \
		cmocka_unit_test_teardown(fb_pool_not_attached, tu_teardown)

#else

/*
 * Drawing through the linear map of the no-map pool: the kernel has no
 * mapping there and takes a data abort at the first pixel.  The library
 * reports the CPU's first access to each page ("cpu-nomap-access") and
 * lets it go on into the CPU's cache, which the display never reads: it
 * shows the zeroed buffer (black) while the CPU sees its picture.
 */
static void fb_bug_linear_alias(void **state)
{
	struct dmapool_machine *m;
	struct device *dev;
	struct fb *fb = probe(&m, &dev);
	dma_addr_t base = fb_dma(fb);
	static u32 frame[HEIGHT][WIDTH];
	struct dmapool_report r;
	size_t diff = ~(size_t)0;
	u32 *alias;

	(void)state;
	assert_int_equal(base, POOL_BASE);
	draw_scene(fb);
	assert_int_equal(dmapool_dev_compare(dev, base, expect, FB_BYTES, &diff), 1);
	assert_int_equal(diff, 0);		/* from the first pixel */
	assert_int_equal(dmapool_dev_read(dev, base, frame, FB_BYTES), 0);
	for (int y = 0; y < HEIGHT; y++)
		for (int x = 0; x < WIDTH; x++)
			assert_int_equal(frame[y][x], 0);
	/* the CPU, through its cache, sees the picture it drew */
	alias = phys_to_virt(base);
	assert_memory_equal(alias, expect, FB_BYTES);
	assert_int_equal(dmapool_report_count_kind(m, "cpu-nomap-access"),
			 FB_BYTES / PAGE_SIZE);
	assert_int_equal(dmapool_report_count(m), FB_BYTES / PAGE_SIZE);
	assert_int_equal(dmapool_report_get(m, 0, &r), 0);
	assert_int_equal(r.phys, base);		/* no dma-ranges: phys == dma */
	printf("report: %s\n", r.text);
	assert_int_equal(dmapool_report_get(m, 1, &r), 0);
	assert_int_equal(r.phys, base + PAGE_SIZE);
	remove_fb(dev, fb);
}

#define TESTS	cmocka_unit_test_teardown(fb_bug_linear_alias, tu_teardown)

#endif

/* Leak check (testutil.h): nothing may be left once the machines are gone. */
static int group_setup(void **state)
{
	struct dmapool_machine *m;
	struct device *dev;
	struct fb *fb;

	(void)state;
	fb = probe(&m, &dev);		/* warm up */
	remove_fb(dev, fb);
	tu_unload(m);
	tu_leak_mark();
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = { TESTS };

	if (argc < 2) {
		fprintf(stderr, "usage: %s BOARD.dtb\n", argv[0]);
		return 2;
	}
	board = argv[1];
	/* the environment must not change the profile under test */
	unsetenv("DMAPOOL_KNOBS");
	unsetenv("DMAPOOL_BOOTARGS");
	return cmocka_run_group_tests_name("framebuffer", tests, group_setup,
					    tu_leak_teardown);
}
