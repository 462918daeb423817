/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Absurd arguments to the DMA API: sizes of 0, 1, 2^64 - 1, 2^64 - 4095,
 * 2^63 and 2^52 + 1, DMA addresses near 2^64, alignments and boundaries of
 * 2^63, masks of 0 and 1, on every device of a dma-direct board, an IOMMU
 * board and a board with RAM above 4 GiB.  Nothing may crash, wrap, hang
 * or allocate host memory in proportion to a size; what cannot be done
 * fails the way the kernel fails it (NULL, DMA_MAPPING_ERROR), and the
 * library's own helpers refuse lengths no buffer can have.  Run under
 * ASan and UBSan in CI.
 *
 * Usage: test_absurd ORACLE_FIXTURE_DIR DEMO_BOARD.dtb
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

static const char *oracle_dir, *demo;

static const size_t sizes[] = {
	0, 1, SIZE_MAX, SIZE_MAX - 4095, (size_t)1 << 63, ((size_t)1 << 52) + 1,
};
static const dma_addr_t addrs[] = {
	0, ~0ull, ~0ull - 10, 1ull << 63, 0xfffffffffffff000ull,
};
#define N(a)	(sizeof(a) / sizeof((a)[0]))

static bool huge(size_t n)
{
	return n >= ((size_t)1 << 52);
}

static void absurd_on(struct device *d)
{
	for (size_t s = 0; s < N(sizes); s++) {
		size_t n = sizes[s];
		dma_addr_t h = 0;
		void *p = dma_alloc_coherent(d, n, &h, GFP_KERNEL);
		struct page *pg;
		struct dma_pool *pool;
		void *buf;
		dma_addr_t a;

		if (huge(n))
			assert_null(p);
		if (p)
			dma_free_coherent(d, n, p, h);
		p = dma_alloc_attrs(d, n, &h, GFP_ATOMIC, 0);
		if (huge(n))
			assert_null(p);
		if (p)
			dma_free_attrs(d, n, p, h, 0);
		pg = dma_alloc_pages(d, n, &h, DMA_TO_DEVICE, GFP_KERNEL);
		if (huge(n))
			assert_null(pg);
		if (pg)
			dma_free_pages(d, n, pg, h, DMA_TO_DEVICE);

		buf = kmalloc(64, GFP_KERNEL);
		assert_non_null(buf);
		/* dma-direct maps what dma_capable() accepts, and a size that
		 * wraps passes it (as in the kernel); behind an IOMMU a size
		 * that overflows the IOVA space is refused */
		a = dma_map_single(d, buf, n, DMA_TO_DEVICE);
		if (n >= SIZE_MAX - 4095 && dmapool_iommu_group_id(d) >= 0)
			assert_true(dma_mapping_error(d, a));
		if (!dma_mapping_error(d, a))
			dma_unmap_single(d, a, n, DMA_TO_DEVICE);
		kfree(buf);

		pool = dma_pool_create("absurd", d, n, 8, 0);
		if (huge(n))
			assert_null(pool);	/* size > INT_MAX */
		if (pool) {
			void *b = dma_pool_alloc(pool, GFP_KERNEL, &h);

			if (b)
				dma_pool_free(pool, b, h);
			dma_pool_destroy(pool);
		}
		/* huge alignments and boundaries: a pool whose chunk can
		 * never be allocated, as in the kernel */
		pool = dma_pool_create("absurd-align", d, 64, n, n);
		if (pool) {
			void *b = dma_pool_alloc(pool, GFP_KERNEL, &h);

			if (huge(n))
				assert_null(b);
			if (b)
				dma_pool_free(pool, b, h);
			dma_pool_destroy(pool);
		}

		for (size_t i = 0; i < N(addrs); i++) {
			uint8_t tmp[64];
			dma_addr_t r;

			dmapool_dev_read(d, addrs[i], tmp, n < sizeof(tmp) ? n : sizeof(tmp));
			dmapool_dev_write(d, addrs[i], tmp, 8);
			if (huge(n)) {
				assert_int_equal(dmapool_dev_fill(d, addrs[i], 0, n), -EINVAL);
				assert_int_equal(dmapool_dev_compare(d, addrs[i], tmp, n, NULL), -EINVAL);
			} else {
				dmapool_dev_fill(d, addrs[i], 0, n);
			}
			dma_sync_single_for_cpu(d, addrs[i], n, DMA_FROM_DEVICE);
			dma_sync_single_for_device(d, addrs[i], n, DMA_TO_DEVICE);
			dma_unmap_single(d, addrs[i], n, DMA_TO_DEVICE);
			dma_free_coherent(d, n, NULL, addrs[i]);
			r = dma_map_resource(d, addrs[i], n, DMA_TO_DEVICE, 0);
			if (!dma_mapping_error(d, r))
				dma_unmap_resource(d, r, n, DMA_TO_DEVICE, 0);
		}
	}
	dma_set_mask(d, 0);
	dma_set_mask(d, ~0ull);
	dma_set_coherent_mask(d, 1);
	assert_int_equal(dma_set_mask_and_coherent(d, DMA_BIT_MASK(64)), 0);
}

static void absurd_cfg(const char *path, const struct dmapool_config *cfg)
{
	struct dmapool_machine *m = tu_load(path, cfg);

	dmapool_machine_use(m);
	for (size_t i = 0; i < dmapool_device_count(m); i++)
		absurd_on(dmapool_device_at(m, i));
	dmapool_report_clear(m);
	tu_unload(m);
}

static void absurd(const char *path)
{
	absurd_cfg(path, NULL);
}

static void demo_board(void **state)
{
	(void)state;
	absurd(demo);
}

static void fixture(const char *name)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s.dtb", oracle_dir, name);
	absurd(path);
}

static void iommu_board(void **state)
{
	(void)state;
	fixture("23-probe-iommu");
}

/* lazy mode: unmaps save the old entries for the flush queue */
static void iommu_board_lazy(void **state)
{
	struct dmapool_config cfg = { .bootargs = "iommu.strict=0" };
	char path[1024];

	(void)state;
	snprintf(path, sizeof(path), "%s/23-probe-iommu.dtb", oracle_dir);
	absurd_cfg(path, &cfg);
}

static void ram_above_4g(void **state)
{
	(void)state;
	fixture("61-probe-32bit-8G");
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
		cmocka_unit_test_teardown(demo_board, tu_teardown),
		cmocka_unit_test_teardown(iommu_board, tu_teardown),
		cmocka_unit_test_teardown(iommu_board_lazy, tu_teardown),
		cmocka_unit_test_teardown(ram_above_4g, tu_teardown),
	};

	if (argc < 3) {
		fprintf(stderr, "usage: %s ORACLE_FIXTURE_DIR DEMO_BOARD.dtb\n", argv[0]);
		return 2;
	}
	oracle_dir = argv[1];
	demo = argv[2];
	return cmocka_run_group_tests_name("absurd", tests, group_setup, tu_leak_teardown);
}
