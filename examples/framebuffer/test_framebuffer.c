/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The test plays the display controller of framebuffer: once the driver
 * has drawn a frame, the scan-out engine fetches it by DMA address and
 * the test compares it with the same scene drawn by a reference renderer.
 * Built with the driver's variant: the correct driver's frame is exact
 * with no report; drawing through the cacheable linear alias leaves the
 * display black and each page touched is a "cpu-alias-access" report.
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
	fb = fb_create(*devp, WIDTH, HEIGHT);
	assert_non_null(fb);
	assert_int_equal(fb_pitch(fb), WIDTH * FB_CPP);
	return fb;
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
	assert_int_equal(dmapool_dev_compare(dev, base, expect, FB_BYTES, &diff), 0);
	/* one pixel of the green rectangle, in the second page */
	px_dma = base + 17 * fb_pitch(fb) + 35 * FB_CPP;
	assert_int_equal(dmapool_dev_read_u32(dev, px_dma, &px), 0);
	assert_int_equal(px, 0x0000ff00);
	fb_destroy(fb);
	assert_int_equal(dmapool_report_check_none(m), 0);
}

#define TESTS	cmocka_unit_test_teardown(fb_correct, tu_teardown)

#else

/*
 * Drawing through the linear alias: the pixels go into the CPU's cache,
 * which the display never reads, so it shows the zeroed buffer (black).
 * The CPU's first access to each page through the alias traps and is
 * reported; the page then stays open for the rest of the drawing.
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
	assert_int_equal(dmapool_report_count_kind(m, "cpu-alias-access"),
			 FB_BYTES / PAGE_SIZE);
	assert_int_equal(dmapool_report_count(m), FB_BYTES / PAGE_SIZE);
	assert_int_equal(dmapool_report_get(m, 0, &r), 0);
	assert_int_equal(r.phys, base);		/* no dma-ranges: phys == dma */
	fb_destroy(fb);
}

#define TESTS	cmocka_unit_test_teardown(fb_bug_linear_alias, tu_teardown)

#endif

/* Leak check (testutil.h): nothing may be left once the machines are gone. */
static int group_setup(void **state)
{
	struct dmapool_machine *m;
	struct device *dev;

	(void)state;
	fb_destroy(probe(&m, &dev));	/* warm up */
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
