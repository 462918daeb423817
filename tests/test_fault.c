/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Fault injection (src/fault.c): fail_nth swept across machine creation
 * and across a full driver scenario — at every n a clean error, no crash,
 * no leak, and a machine that still works afterwards — and the forced
 * failures a driver test arms.
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

static const char *oracle_dir;

static const char *const boards[] = {
	"20-probe-allocs", "22-probe-streaming", "03-dynamic", "10-too-many-cma",
};

static int load(const char *name, struct dmapool_machine **m)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s.dtb", oracle_dir, name);
	return dmapool_machine_load(path, NULL, m);
}

/* The machine works: a coherent allocation and a streaming map. */
static const char *where = "";

static void exercise(struct dmapool_machine *m, bool strict)
{
	struct device *d = NULL;

	for (size_t i = 0; i < dmapool_device_count(m) && !d; i++)
		if (strstr(dmapool_device_name(dmapool_device_at(m, i)), "probe"))
			d = dmapool_device_at(m, i);
	if (!d)
		return;
	dmapool_machine_use(m);
	{
		dma_addr_t h, a;
		void *c = dma_alloc_coherent(d, 8192, &h, GFP_KERNEL);
		void *p = kmalloc(4096, GFP_KERNEL);

		if (strict && (!c || !p))
			fail_msg("%s: the machine does not work (%s%s)", where,
				 c ? "" : "coherent allocation failed ",
				 p ? "" : "kmalloc failed");
		if (p) {
			a = dma_map_single(d, p, 4096, DMA_BIDIRECTIONAL);
			if (!dma_mapping_error(d, a))
				dma_unmap_single(d, a, 4096, DMA_BIDIRECTIONAL);
			else if (strict)
				fail_msg("map failed");
		}
		kfree(p);
		if (c)
			dma_free_coherent(d, 8192, c, h);
	}
}

/* In the quick loop, one fail_nth point in QUICK_STRIDE is tried. */
#define QUICK_STRIDE	6u

static void sweep_machine_creation(void **state)
{
	(void)state;
	for (size_t b = 0; b < sizeof(boards) / sizeof(boards[0]); b++) {
		unsigned long n;

		for (n = 1; n < 100000; n++) {
			struct dmapool_machine *m = NULL;
			long fds, maps;
			unsigned long left;
			int rc;

			/* the quick loop (tests/testutil.h): every QUICK_STRIDE-th
			 * point, a different residue per board; the loop still
			 * ends on the first sampled n the load never reaches */
			if (tu_quick() && (n + b) % QUICK_STRIDE)
				continue;
			fds = count_fds();
			maps = tu_maps_now();
			dmapool_fail_nth(n);
			rc = load(boards[b], &m);
			left = dmapool_fail_nth_get();
			dmapool_fail_nth(0);
			if (rc == 0) {
				char buf[128];

				snprintf(buf, sizeof(buf), "%s, fail_nth=%lu", boards[b], n);
				where = buf;
				exercise(m, true);
				dmapool_machine_destroy(m);
			} else if (rc != -ENOMEM) {
				fail_msg("%s, fail_nth=%lu: %s", boards[b], n, dmapool_strerror(rc));
			} else {
				assert_null(m);
			}
			if (count_fds() != fds || tu_maps_now() != maps)
				fail_msg("%s, fail_nth=%lu: leaked (fds %ld -> %ld, maps %ld -> %ld)",
					 boards[b], n, fds, count_fds(), maps, tu_maps_now());
			if (left)	/* the load never reached the n-th call */
				break;
		}
		assert_true(n > 10);
		if (tu_quick())
			print_message("%s: fewer than %lu allocation points during the load, every %uth tried\n",
				      boards[b], n, QUICK_STRIDE);
		else
			print_message("%s: %lu allocation points during the load\n", boards[b], n - 1);
	}
}

/* A driver's whole life under fail_nth: every call fails cleanly, the
 * machine stays usable and is destroyed without a leak. */
static void sweep_scenario(void **state)
{
	unsigned long n;

	(void)state;
	for (n = 1; n < 100000; n++) {
		struct dmapool_machine *m = NULL;
		long fds = count_fds(), maps = tu_maps_now();
		unsigned long left;

		assert_int_equal(load("22-probe-streaming", &m), 0);
		dmapool_machine_use(m);
		dmapool_fail_nth(n);
		{
			struct device *d = dmapool_device_find(m, "probe@1");
			struct dma_pool *pool;
			struct scatterlist sg[2];
			dma_addr_t h, a, hb;
			void *c, *p, *blk = NULL;

			c = dma_alloc_coherent(d, 8192, &h, GFP_KERNEL);
			p = kmalloc(8192, GFP_KERNEL);
			pool = dma_pool_create("sweep", d, 64, 64, 0);
			if (pool)
				blk = dma_pool_alloc(pool, GFP_KERNEL, &hb);
			if (p) {
				a = dma_map_single(d, p, 4096, DMA_FROM_DEVICE);
				if (!dma_mapping_error(d, a)) {
					dmapool_dev_write(d, a, "x", 1);
					dma_sync_single_for_cpu(d, a, 4096, DMA_FROM_DEVICE);
					dma_unmap_single(d, a, 4096, DMA_FROM_DEVICE);
				}
				sg_init_table(sg, 2);
				sg_set_buf(&sg[0], p, 4096);
				sg_set_buf(&sg[1], (char *)p + 4096, 4096);
				if (dma_map_sg(d, sg, 2, DMA_TO_DEVICE))
					dma_unmap_sg(d, sg, 2, DMA_TO_DEVICE);
			}
			if (blk)
				dma_pool_free(pool, blk, hb);
			dma_pool_destroy(pool);
			kfree(p);
			if (c)
				dma_free_coherent(d, 8192, c, h);
		}
		left = dmapool_fail_nth_get();
		dmapool_fail_nth(0);
		/* afterwards the machine still works */
		exercise(m, true);
		dmapool_machine_destroy(m);
		if (count_fds() != fds || tu_maps_now() != maps)
			fail_msg("fail_nth=%lu: leaked (fds %ld -> %ld, maps %ld -> %ld)",
				 n, fds, count_fds(), maps, tu_maps_now());
		if (left)
			break;
	}
	assert_true(n > 5);
	print_message("scenario: %lu allocation points\n", n - 1);
}

static void forced_failures(void **state)
{
	struct dmapool_machine *m = NULL;
	struct device *d;
	dma_addr_t h, a;
	void *c, *p;

	(void)state;
	assert_int_equal(load("22-probe-streaming", &m), 0);
	dmapool_machine_use(m);
	d = dmapool_device_find(m, "probe@1");
	p = kmalloc(4096, GFP_KERNEL);
	assert_int_equal(dmapool_fail_next_map(d), 0);
	a = dma_map_single(d, p, 4096, DMA_TO_DEVICE);
	assert_true(dma_mapping_error(d, a));
	a = dma_map_single(d, p, 4096, DMA_TO_DEVICE);	/* consumed */
	assert_false(dma_mapping_error(d, a));
	dma_unmap_single(d, a, 4096, DMA_TO_DEVICE);
	assert_int_equal(dmapool_fail_next_alloc(d, 0x10000), 0);
	c = dma_alloc_coherent(d, 4096, &h, GFP_KERNEL);	/* below: fine */
	assert_non_null(c);
	dma_free_coherent(d, 4096, c, h);
	assert_null(dma_alloc_coherent(d, 0x10000, &h, GFP_KERNEL));
	assert_int_equal(h, DMA_MAPPING_ERROR);
	c = dma_alloc_coherent(d, 0x10000, &h, GFP_KERNEL);
	assert_non_null(c);
	dma_free_coherent(d, 0x10000, c, h);
	assert_int_equal(dmapool_fail_atomic_pool(m, true), 0);
	assert_null(dma_alloc_coherent(d, 4096, &h, GFP_ATOMIC));
	assert_int_equal(dmapool_fail_atomic_pool(m, false), 0);
	c = dma_alloc_coherent(d, 4096, &h, GFP_ATOMIC);
	assert_non_null(c);
	dma_free_coherent(d, 4096, c, h);
	assert_int_equal(dmapool_fail_next_map(NULL), -EINVAL);
	assert_int_equal(dmapool_fail_next_alloc(NULL, 1), -EINVAL);
	assert_int_equal(dmapool_fail_atomic_pool(NULL, true), -EINVAL);
	kfree(p);
	dmapool_machine_destroy(m);
}

static void forced_failures_from_env(void **state)
{
	struct dmapool_machine *m = NULL;
	struct device *d;
	dma_addr_t h, a;
	void *p;

	(void)state;
	setenv("DMAPOOL_FAIL_MAP", "probe@1", 1);
	setenv("DMAPOOL_FAIL_ALLOC", "probe@1:4096", 1);
	assert_int_equal(load("22-probe-streaming", &m), 0);
	unsetenv("DMAPOOL_FAIL_MAP");
	unsetenv("DMAPOOL_FAIL_ALLOC");
	dmapool_machine_use(m);
	d = dmapool_device_find(m, "probe@1");
	p = kmalloc(4096, GFP_KERNEL);
	a = dma_map_single(d, p, 4096, DMA_TO_DEVICE);
	assert_true(dma_mapping_error(d, a));
	assert_null(dma_alloc_coherent(d, 4096, &h, GFP_KERNEL));
	kfree(p);
	dmapool_machine_destroy(m);
	/* DMAPOOL_FAIL_NTH arms the loading thread */
	setenv("DMAPOOL_FAIL_NTH", "1", 1);
	m = NULL;
	assert_int_equal(load("22-probe-streaming", &m), -ENOMEM);
	unsetenv("DMAPOOL_FAIL_NTH");
	assert_null(m);
	assert_int_equal(dmapool_fail_nth_get(), 0);
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
		cmocka_unit_test(forced_failures),
		cmocka_unit_test(forced_failures_from_env),
		cmocka_unit_test(sweep_machine_creation),
		cmocka_unit_test(sweep_scenario),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s ORACLE_FIXTURE_DIR\n", argv[0]);
		return 2;
	}
	oracle_dir = argv[1];
	return cmocka_run_group_tests(tests, group_setup, tu_leak_teardown);
}
