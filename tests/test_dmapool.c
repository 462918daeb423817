/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * dma_pool (mm/dmapool.c of Linux 6.12): dma_pool_create()'s checks, the
 * block layout inside a chunk (steps of `size`, never across `boundary`),
 * the order blocks come out (address order from a new chunk, LIFO after a
 * free), chunks taken through dma_alloc_coherent() (so they follow the
 * device's decision tree: a per-device pool here), zeroing
 * (init_on_alloc, __GFP_ZERO), DMAPOOL_DEBUG poisoning and its dev_err
 * lines, the always-on checks (double free, a block of another pool, a
 * CPU address that does not match), dma_pool_destroy() of a busy pool,
 * and the managed form.
 *
 * Usage: test_dmapool ORACLE_FIXTURE_DIR
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
#include <linux/of_reserved_mem.h>
#include "testutil.h"

static const char *oracle_dir;

/* Fixture 22 (2 GiB): probe@0 coherent, probe@1 non-coherent.  Fixture 20:
 * probe@0 has a 1 MiB per-device pool at 0x70000000. */
static struct dmapool_machine *load(const char *name, const char *bootargs,
				    const char *knobs)
{
	struct dmapool_config cfg = { .bootargs = bootargs, .knobs = knobs };
	struct dmapool_machine *m = tu_load_in(oracle_dir, name, "dtb", &cfg);

	dmapool_machine_use(m);
	return m;
}

static struct device *dev_of(struct dmapool_machine *m, const char *name)
{
	struct device *d = dmapool_device_find(m, name);

	assert_non_null(d);
	assert_int_equal(dma_set_mask_and_coherent(d, DMA_BIT_MASK(32)), 0);
	return d;
}

static size_t stat_active(const struct dma_pool *p)
{
	size_t a = 0;

	assert_int_equal(dmapool_pool_stats(p, &a, NULL, NULL, NULL), 0);
	return a;
}

/* ------------------------------------------------------------------ */

/* The checks of dma_pool_create(), in the kernel's order. */
static void create_checks(void **state)
{
	struct dmapool_machine *m = load("22-probe-streaming", NULL, NULL);
	struct device *d = dev_of(m, "probe@0");
	struct dma_pool *p;
	size_t bs = 0, blocks = 1;

	(void)state;
	assert_null(dma_pool_create("x", NULL, 64, 64, 0));		/* no device */
	assert_null(dma_pool_create("x", d, 64, 3, 0));		/* align not 2^n */
	assert_null(dma_pool_create("x", d, 0, 8, 0));		/* size 0 */
	assert_null(dma_pool_create("x", d, (size_t)INT32_MAX + 1, 8, 0));
	assert_null(dma_pool_create("x", d, 128, 8, 64));	/* boundary < size */
	assert_null(dma_pool_create("x", d, 64, 8, 96));	/* boundary not 2^n */
	/* align 0 -> 1; size below sizeof(struct dma_block) -> 16 */
	p = dma_pool_create("tiny", d, 1, 0, 0);
	assert_non_null(p);
	assert_int_equal(dmapool_pool_stats(p, NULL, &blocks, &bs, NULL), 0);
	assert_int_equal(bs, 16);
	assert_int_equal(blocks, 0);		/* nothing carved before use */
	dma_pool_destroy(p);
	/* size rounded up to align */
	p = dma_pool_create("r", d, 20, 32, 0);
	assert_non_null(p);
	assert_int_equal(dmapool_pool_stats(p, NULL, NULL, &bs, NULL), 0);
	assert_int_equal(bs, 32);
	dma_pool_destroy(p);
	dma_pool_destroy(NULL);				/* no-op */
	assert_int_equal(dmapool_pool_stats(NULL, NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(dmapool_report_count(m), 0);
}

/* A 4 KiB chunk of 64-byte blocks: address order, then a new chunk. */
static void layout_and_order(void **state)
{
	struct dmapool_machine *m = load("22-probe-streaming", NULL, NULL);
	struct device *d = dev_of(m, "probe@0");
	struct dma_pool *p = dma_pool_create("ring", d, 64, 64, 0);
	struct dmapool_decision dec;
	dma_addr_t dma[65], again;
	uint8_t *v[65], *w;
	size_t blocks, chunks;

	(void)state;
	assert_non_null(p);
	for (int i = 0; i < 65; i++) {
		v[i] = dma_pool_alloc(p, GFP_KERNEL, &dma[i]);
		assert_non_null(v[i]);
		if (i == 0) {
			/* the chunk came from dma_alloc_coherent() */
			assert_int_equal(dmapool_last_decision(d, &dec), 0);
			assert_string_equal(dec.op, "alloc");
			assert_int_equal(dec.size, 4096);
			assert_int_equal(dec.dma, dma[0]);
			assert_int_equal(dma[0] & 0xfff, 0);
		}
	}
	for (int i = 1; i < 64; i++) {
		assert_int_equal(dma[i], dma[0] + 64 * (dma_addr_t)i);
		assert_ptr_equal(v[i], v[0] + 64 * i);
	}
	/* the 65th block starts a second chunk */
	assert_int_equal(dma[64] & 0xfff, 0);
	assert_true(dma[64] < dma[0] || dma[64] >= dma[0] + 4096);
	assert_int_equal(dmapool_pool_stats(p, NULL, &blocks, NULL, &chunks), 0);
	assert_int_equal(blocks, 128);
	assert_int_equal(chunks, 2);
	assert_int_equal(stat_active(p), 65);
	/* LIFO: the last block freed comes back first */
	dma_pool_free(p, v[3], dma[3]);
	dma_pool_free(p, v[7], dma[7]);
	w = dma_pool_alloc(p, GFP_KERNEL, &again);
	assert_ptr_equal(w, v[7]);
	assert_int_equal(again, dma[7]);
	w = dma_pool_alloc(p, GFP_KERNEL, &again);
	assert_ptr_equal(w, v[3]);
	/* then the rest of the newest chunk, in address order */
	w = dma_pool_alloc(p, GFP_KERNEL, &again);
	assert_int_equal(again, dma[64] + 64);
	assert_int_equal(stat_active(p), 66);
	for (int i = 0; i < 65; i++)
		dma_pool_free(p, v[i], dma[i]);
	dma_pool_free(p, w, again);
	assert_int_equal(stat_active(p), 0);
	dma_pool_destroy(p);
	assert_int_equal(dmapool_report_count(m), 0);
}

/* Blocks never cross the boundary; 96-byte blocks, 1 KiB boundary: ten per
 * kilobyte, the eleventh at offset 1024. */
static void boundary_layout(void **state)
{
	struct dmapool_machine *m = load("22-probe-streaming", NULL, NULL);
	struct device *d = dev_of(m, "probe@0");
	struct dma_pool *p = dma_pool_create("bd", d, 68, 32, 1024);
	dma_addr_t dma[41], base = 0;
	void *v[41];
	size_t blocks;

	(void)state;
	assert_non_null(p);
	for (int i = 0; i < 41; i++) {
		v[i] = dma_pool_alloc(p, GFP_KERNEL, &dma[i]);
		assert_non_null(v[i]);
		if (i == 0)
			base = dma[0];
		if (i < 40) {
			dma_addr_t off = dma[i] - base;

			assert_int_equal(off, (dma_addr_t)(i / 10) * 1024 + (i % 10) * 96);
			assert_int_equal(off / 1024, (off + 96 - 1) / 1024);
		}
	}
	assert_int_equal(dmapool_pool_stats(p, NULL, &blocks, NULL, NULL), 0);
	assert_int_equal(blocks, 80);			/* 40 per chunk */
	assert_true(dma[40] < base || dma[40] >= base + 4096);
	for (int i = 0; i < 41; i++)
		dma_pool_free(p, v[i], dma[i]);
	dma_pool_destroy(p);
}

/* A block larger than a page: the chunk is the block (not page-rounded:
 * dma_alloc_coherent rounds it), one block per chunk. */
static void big_blocks(void **state)
{
	struct dmapool_machine *m = load("22-probe-streaming", NULL, NULL);
	struct device *d = dev_of(m, "probe@0");
	struct dma_pool *p = dma_pool_create("big", d, 5000, 8, 0);
	struct dmapool_decision dec;
	dma_addr_t a, b;
	void *va, *vb;
	size_t chunks;

	(void)state;
	assert_non_null(p);
	va = dma_pool_alloc(p, GFP_KERNEL, &a);
	assert_non_null(va);
	assert_int_equal(dmapool_last_decision(d, &dec), 0);
	assert_int_equal(dec.size, 5000);
	vb = dma_pool_alloc(p, GFP_KERNEL, &b);
	assert_non_null(vb);
	assert_int_not_equal(a, b);
	assert_int_equal(dmapool_pool_stats(p, NULL, NULL, NULL, &chunks), 0);
	assert_int_equal(chunks, 2);
	dma_pool_free(p, va, a);
	dma_pool_free(p, vb, b);
	dma_pool_destroy(p);
}

/* Chunks follow the device's decision tree: a per-device pool here. */
static void chunks_from_device_pool(void **state)
{
	struct dmapool_machine *m = load("20-probe-allocs", NULL, NULL);
	struct device *d = dev_of(m, "probe@0");
	struct dma_pool *p;
	struct dmapool_decision dec;
	dma_addr_t a;
	void *v;

	(void)state;
	assert_int_equal(of_reserved_mem_device_init_by_idx(d, dev_of_node(d), 0), 0);
	p = dma_pool_create("dp", d, 256, 256, 0);
	v = dma_pool_alloc(p, GFP_KERNEL, &a);
	assert_non_null(v);
	assert_int_equal(a, 0x70000000);
	assert_int_equal(dmapool_last_decision(d, &dec), 0);
	assert_string_equal(dec.backend, "dev-coherent");
	dma_pool_free(p, v, a);
	dma_pool_destroy(p);
	/* the chunk went back to the per-device pool: the next page-sized
	 * allocation gets its first page again */
	v = dma_alloc_coherent(d, 4096, &a, GFP_KERNEL);
	assert_int_equal(a, 0x70000000);
	dma_free_coherent(d, 4096, v, a);
}

/* init_on_alloc (Debian's default) zeroes every block; with
 * init_on_alloc=0 a reused block keeps its bytes, dma_pool_zalloc zeroes. */
static void zeroing(void **state)
{
	struct dmapool_machine *m = load("22-probe-streaming", NULL, NULL);
	struct device *d = dev_of(m, "probe@0");
	struct dma_pool *p = dma_pool_create("z", d, 64, 64, 0);
	uint8_t zero[64] = { 0 };
	dma_addr_t a;
	uint8_t *v;

	(void)state;
	v = dma_pool_alloc(p, GFP_KERNEL, &a);
	memset(v, 0x5a, 64);
	dma_pool_free(p, v, a);
	v = dma_pool_alloc(p, GFP_KERNEL, &a);
	assert_memory_equal(v, zero, 64);
	dma_pool_free(p, v, a);
	dma_pool_destroy(p);
	tu_unload(m);

	m = load("22-probe-streaming", "init_on_alloc=0", NULL);
	d = dev_of(m, "probe@0");
	p = dma_pool_create("z", d, 64, 64, 0);
	v = dma_pool_alloc(p, GFP_KERNEL, &a);
	memset(v, 0x5a, 64);
	dma_pool_free(p, v, a);
	v = dma_pool_alloc(p, GFP_KERNEL, &a);
	assert_int_equal(v[0], 0x5a);
	assert_int_equal(v[63], 0x5a);
	dma_pool_free(p, v, a);
	v = dma_pool_zalloc(p, GFP_KERNEL, &a);
	assert_memory_equal(v, zero, 64);
	dma_pool_free(p, v, a);
	dma_pool_destroy(p);
}

/* DMAPOOL_DEBUG: 0xa9 when allocated, 0xa7 when free, and a free block
 * written to is reported at its next allocation. */
static void debug_poison(void **state)
{
	struct dmapool_machine *m = load("22-probe-streaming", "init_on_alloc=0",
					 "dmapool_debug=y");
	struct device *d = dev_of(m, "probe@0");
	struct dma_pool *p = dma_pool_create("poison", d, 64, 64, 0);
	dma_addr_t a, b;
	uint8_t *v, *w;
	size_t n0;
	char want[96];

	(void)state;
	v = dma_pool_alloc(p, GFP_KERNEL, &a);
	for (int i = 0; i < 64; i++)
		assert_int_equal(v[i], 0xa9);
	w = dma_pool_alloc(p, GFP_KERNEL, &b);
	dma_pool_free(p, v, a);
	for (int i = 0; i < 64; i++)
		assert_int_equal(v[i], 0xa7);
	/* write after free, inside the checked range (from byte 16) */
	v[20] = 0x00;
	n0 = dmapool_log_count(m);
	assert_ptr_equal(dma_pool_alloc(p, GFP_KERNEL, &a), v);
	snprintf(want, sizeof(want), "pool_check_block poison, %016llx (corrupted)",
		 (unsigned long long)a);
	assert_int_equal(tu_log_count_sub(m, n0, want), 1);
	assert_int_equal(tu_log_count_sub(m, n0, "00000000: a7 a7"), 1);
	assert_int_equal(tu_log_count_sub(m, n0, "00000010: a7 a7 a7 a7 00 a7"), 1);
	assert_int_equal(dmapool_report_count(m), 1);
	assert_non_null(strstr(dmapool_report_text(m, 0), "byte 20 is 0x00"));
	for (int i = 0; i < 64; i++)
		assert_int_equal(v[i], 0xa9);
	/* zalloc: checked, then zeroed instead of 0xa9 */
	dma_pool_free(p, v, a);
	v = dma_pool_zalloc(p, GFP_KERNEL, &a);
	assert_int_equal(v[0], 0);
	assert_int_equal(dmapool_report_count(m), 1);
	dma_pool_free(p, v, a);
	dma_pool_free(p, w, b);
	dma_pool_destroy(p);
}

/* Double free, a block of another pool, a CPU address that does not match:
 * always a report and nothing freed; with DMAPOOL_DEBUG also the kernel's
 * pool_block_err lines. */
static void bad_frees(void **state)
{
	struct dmapool_machine *m = load("22-probe-streaming", NULL, "dmapool_debug=y");
	struct device *d = dev_of(m, "probe@0");
	struct dma_pool *p = dma_pool_create("one", d, 64, 64, 0);
	struct dma_pool *q = dma_pool_create("two", d, 64, 64, 0);
	dma_addr_t a, b, c, x, y;
	uint8_t *va, *vb, *vc, *vx, *vy;
	size_t n0 = dmapool_log_count(m);
	char want[96];

	(void)state;
	va = dma_pool_alloc(p, GFP_KERNEL, &a);
	vb = dma_pool_alloc(p, GFP_KERNEL, &b);
	vc = dma_pool_alloc(q, GFP_KERNEL, &c);
	dma_pool_free(p, va, a);
	dma_pool_free(p, va, a);			/* double free */
	snprintf(want, sizeof(want), "pool_block_err one, dma 0x%016llx already free",
		 (unsigned long long)a);
	assert_int_equal(tu_log_count_sub(m, n0, want), 1);
	assert_int_equal(dmapool_report_count(m), 1);
	assert_non_null(strstr(dmapool_report_text(m, 0), "already free"));
	/* the block went back once: two allocations give two blocks */
	vx = dma_pool_alloc(p, GFP_KERNEL, &x);
	vy = dma_pool_alloc(p, GFP_KERNEL, &y);
	assert_ptr_equal(vx, va);
	assert_int_not_equal(x, y);
	assert_int_equal(stat_active(p), 3);

	dma_pool_free(p, vc, c);			/* q's block into p */
	snprintf(want, sizeof(want), "pool_block_err one, %016llx/0x%016llx (bad dma)",
		 (unsigned long long)c, (unsigned long long)c);
	assert_int_equal(tu_log_count_sub(m, n0, want), 1);
	assert_int_equal(dmapool_report_count(m), 2);
	assert_non_null(strstr(dmapool_report_text(m, 1), "in no chunk of this pool"));
	assert_int_equal(stat_active(q), 1);

	dma_pool_free(p, vb + 8, b);			/* CPU address off by 8 */
	dma_pool_free(p, vb, b + 8);			/* not a block start */
	assert_int_equal(dmapool_report_count(m), 4);
	assert_non_null(strstr(dmapool_report_text(m, 3), "not the start of a block"));
	assert_int_equal(stat_active(p), 3);

	dma_pool_free(p, vb, b);
	dma_pool_free(p, vx, x);
	dma_pool_free(p, vy, y);
	dma_pool_free(q, vc, c);
	dma_pool_destroy(p);
	dma_pool_destroy(q);
	assert_int_equal(dmapool_report_count(m), 4);
}

/* Without DMAPOOL_DEBUG the kernel prints nothing; the library still
 * reports and keeps its free list intact. */
static void bad_frees_quiet(void **state)
{
	struct dmapool_machine *m = load("22-probe-streaming", NULL, NULL);
	struct device *d = dev_of(m, "probe@0");
	struct dma_pool *p = dma_pool_create("q", d, 64, 64, 0);
	size_t n0 = dmapool_log_count(m);
	dma_addr_t a;
	void *v;

	(void)state;
	v = dma_pool_alloc(p, GFP_KERNEL, &a);
	dma_pool_free(p, v, a);
	dma_pool_free(p, v, a);
	assert_int_equal(dmapool_log_count(m), n0);
	assert_int_equal(dmapool_report_count(m), 1);
	assert_int_equal(stat_active(p), 0);
	dma_pool_destroy(p);
}

/* A busy pool: "dma_pool_destroy NAME busy", chunks leaked (the pages
 * stay allocated); an idle pool gives its chunks back. */
static void destroy_busy(void **state)
{
	struct dmapool_machine *m = load("20-probe-allocs", NULL, NULL);
	struct device *d = dev_of(m, "probe@0");
	struct dma_pool *p;
	size_t n0;
	dma_addr_t a;
	void *v;

	(void)state;
	assert_int_equal(of_reserved_mem_device_init_by_idx(d, dev_of_node(d), 0), 0);
	p = dma_pool_create("busy", d, 128, 128, 0);
	v = dma_pool_alloc(p, GFP_KERNEL, &a);
	assert_int_equal(a, 0x70000000);
	n0 = dmapool_log_count(m);
	dma_pool_destroy(p);
	assert_int_equal(tu_log_count(m, n0, "dmaprobe probe@0: dma_pool_destroy busy busy"), 1);
	/* the chunk is leaked: the pool's first page stays taken */
	v = dma_alloc_coherent(d, 4096, &a, GFP_KERNEL);
	assert_int_equal(a, 0x70001000);
	dma_free_coherent(d, 4096, v, a);
}

/* Managed pools die with the device; so does the bookkeeping of a pool
 * the driver forgot (the group teardown checks nothing leaked). */
static void managed_pools(void **state)
{
	struct dmapool_machine *m = load("22-probe-streaming", NULL, NULL);
	struct device *d = dev_of(m, "probe@0");
	struct dma_pool *p = dmam_pool_create("managed", d, 32, 32, 0);
	struct dma_pool *q = dma_pool_create("forgotten", d, 32, 32, 0);
	dma_addr_t a;

	(void)state;
	assert_non_null(p);
	assert_non_null(dma_pool_alloc(p, GFP_KERNEL, &a));
	assert_non_null(dma_pool_alloc(q, GFP_KERNEL, &a));
	/* dmam_pool_destroy of a managed pool is silent */
	{
		struct dma_pool *r = dmam_pool_create("r", d, 32, 32, 0);
		size_t n0 = dmapool_log_count(m);

		dmam_pool_destroy(r);
		assert_int_equal(dmapool_log_count(m), n0);
	}
	tu_unload(m);	/* releases p (busy: the kernel's line) and q */
}

/* Many blocks: distinct addresses, every one freed, counters right. */
static void many_blocks(void **state)
{
	struct dmapool_machine *m = load("22-probe-streaming", "init_on_alloc=0", NULL);
	struct device *d = dev_of(m, "probe@0");
	struct dma_pool *p = dma_pool_create("many", d, 128, 128, 0);
	enum { N = 20000 };
	dma_addr_t *dma = calloc(N, sizeof(*dma));
	void **v = calloc(N, sizeof(*v));
	size_t blocks;

	(void)state;
	assert_non_null(dma);
	assert_non_null(v);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < N; i++) {
			v[i] = dma_pool_alloc(p, GFP_KERNEL, &dma[i]);
			assert_non_null(v[i]);
			*(uint32_t *)v[i] = (uint32_t)i;
		}
		for (int i = 0; i < N; i++)
			assert_int_equal(*(uint32_t *)v[i], (uint32_t)i);
		for (int i = N - 1; i >= 0; i -= 2)
			dma_pool_free(p, v[i], dma[i]);
		for (int i = N - 2; i >= 0; i -= 2)
			dma_pool_free(p, v[i], dma[i]);
		assert_int_equal(stat_active(p), 0);
	}
	assert_int_equal(dmapool_pool_stats(p, NULL, &blocks, NULL, NULL), 0);
	assert_int_equal(blocks, N);		/* chunks reused, never grown */
	assert_int_equal(dmapool_report_count(m), 0);
	dma_pool_destroy(p);
	free(dma);
	free(v);
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
		T(create_checks),
		T(layout_and_order),
		T(boundary_layout),
		T(big_blocks),
		T(chunks_from_device_pool),
		T(zeroing),
		T(debug_poison),
		T(bad_frees),
		T(bad_frees_quiet),
		T(destroy_busy),
		T(managed_pools),
		T(many_blocks),
	};

	if (argc < 2)
		return 2;
	oracle_dir = argv[1];
	unsetenv("DMAPOOL_ARCH");
	unsetenv("DMAPOOL_BOOTARGS");
	unsetenv("DMAPOOL_KNOBS");
	return cmocka_run_group_tests_name("dma_pool", tests, group_setup, tu_leak_teardown);
}
