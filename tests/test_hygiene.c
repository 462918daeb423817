/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Resource hygiene: dmapool_machine_destroy() gives back every mapping,
 * memfd and heap block.  1,000 machines are loaded from the demo board,
 * used (a coherent allocation on every device, a streaming map, a
 * remapped write-combined buffer, a dma_pool, an IOMMU attach where the
 * board has one) and destroyed; the process's descriptor count and
 * mapping count (/proc/self/fd, /proc/self/maps) and the library's heap
 * figures (dmapool_heap_stats) must be what they were before the first.
 *
 * A second test does the same with machines left half-used: every
 * allocation still live at destroy time (a driver that never frees).
 *
 * Usage: test_hygiene BOARD.dtb [COUNT]
 */
#include <errno.h>
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
#include <linux/dmapool.h>
#include <linux/gfp.h>
#include <linux/slab.h>

#include "testutil.h"

static const char *board;
static unsigned count = 1000;

/* Use the machine as a driver would; free everything when tidy. */
static void use(struct dmapool_machine *m, bool tidy)
{
	size_t n = dmapool_device_count(m);

	dmapool_machine_use(m);
	for (size_t i = 0; i < n; i++) {
		struct device *d = dmapool_device_at(m, i);
		dma_addr_t h, s;
		void *p = dma_alloc_coherent(d, 8192, &h, GFP_KERNEL);
		void *wc = dma_alloc_wc(d, 4096, &s, GFP_KERNEL);
		void *buf = kmalloc(512, GFP_KERNEL);
		struct dma_pool *pool = dma_pool_create("hygiene", d, 64, 64, 0);
		void *blk = NULL;
		dma_addr_t a = DMA_MAPPING_ERROR, bh;

		if (buf) {
			a = dma_map_single(d, buf, 512, DMA_TO_DEVICE);
			if (dma_mapping_error(d, a))
				a = DMA_MAPPING_ERROR;
		}
		if (pool)
			blk = dma_pool_alloc(pool, GFP_KERNEL, &bh);
		if (!tidy)
			continue;	/* everything stays live */
		if (blk)
			dma_pool_free(pool, blk, bh);
		dma_pool_destroy(pool);
		if (a != DMA_MAPPING_ERROR)
			dma_unmap_single(d, a, 512, DMA_TO_DEVICE);
		kfree(buf);
		if (wc)
			dma_free_wc(d, 4096, wc, s);
		if (p)
			dma_free_coherent(d, 8192, p, h);
	}
}

static void cycle(bool tidy)
{
	long fds0, maps0;
	struct dmapool_heap_stats h0, h1;
	struct dmapool_config cfg = { 0 };	/* log discarded */
	struct dmapool_machine *m = NULL;

	/* one machine first: process-wide state (the trap handler, libc's
	 * stdio and locale) exists before counting */
	assert_int_equal(dmapool_machine_load(board, &cfg, &m), 0);
	use(m, tidy);
	dmapool_machine_destroy(m);
	fds0 = count_fds();
	maps0 = tu_maps_now();
	dmapool_heap_stats(&h0);

	for (unsigned i = 0; i < count; i++) {
		int rc = dmapool_machine_load(board, &cfg, &m);

		if (rc)
			fail_msg("machine %u: %s", i, dmapool_strerror(rc));
		use(m, tidy);
		dmapool_machine_destroy(m);
	}
	dmapool_heap_stats(&h1);
	print_message("%u machines (%s): fds %ld -> %ld, mappings %ld -> %ld, heap blocks %llu -> %llu (%llu allocated in all)\n",
		      count, tidy ? "tidy" : "left live", fds0, count_fds(), maps0,
		      tu_maps_now(), (unsigned long long)h0.blocks,
		      (unsigned long long)h1.blocks,
		      (unsigned long long)(h1.allocs - h0.allocs));
	assert_int_equal(count_fds(), fds0);
	assert_int_equal(tu_maps_now(), maps0);
	assert_int_equal(h1.blocks, h0.blocks);
	assert_int_equal(h1.bytes, h0.bytes);
	assert_true(h1.allocs > h0.allocs);	/* the count did see them */
}

static void machines_tidy(void **state)
{
	(void)state;
	cycle(true);
}

static void machines_left_live(void **state)
{
	(void)state;
	cycle(false);
}

static int group_setup(void **state)
{
	(void)state;
	tu_leak_mark();
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(machines_tidy),
		cmocka_unit_test(machines_left_live),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s BOARD.dtb [COUNT]\n", argv[0]);
		return 2;
	}
	board = argv[1];
	if (argc > 2)
		count = (unsigned)strtoul(argv[2], NULL, 0);
	/* the quick loop (tests/testutil.h): a sample of the soak's 1,000 */
	if (tu_quick() && count > 30)
		count = 30;
	return cmocka_run_group_tests_name("hygiene", tests, group_setup, tu_leak_teardown);
}
