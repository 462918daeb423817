/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * dmapool_machine_check() (src/check.c): a loaded fixture passes before,
 * during and after allocations from every kind of pool (per-device pool,
 * per-device and default CMA, buddy, atomic pool, SWIOTLB, dma_pool),
 * also while other threads allocate and free; and each counter the check
 * compares, corrupted through the internal header, makes it fail with a
 * reason that names the pool.
 *
 * Usage: test_check ORACLE_FIXTURE_DIR
 */
#define virt_to_phys	dmapool_internal_virt_to_phys
#define phys_to_virt	dmapool_internal_phys_to_virt
#include "internal.h"
#undef virt_to_phys
#undef phys_to_virt

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <dmapool.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <linux/gfp.h>
#include <linux/of_reserved_mem.h>
#include <linux/slab.h>
#include "testutil.h"

static const char *oracle_dir;

/*
 * Fixture 20 (2 GiB at 0x40000000): probe@0 coherent with pool_a (1 MiB
 * no-map per-device pool), probe@1 coherent with cma_dev (16 MiB per-device
 * CMA), probe@2 coherent without a region (buddy, default CMA), probe@3
 * non-coherent (GFP_ATOMIC: the atomic pools).  swiotlb=force bounces
 * every streaming map through the default SWIOTLB.
 */
struct scene {
	struct dmapool_machine *m;
	struct device *d[4];
	void *cpu[6];
	dma_addr_t h[6];
	size_t size[6];
	struct device *dev[6];
	void *kbuf;
	dma_addr_t kdma;
	struct dma_pool *pool;
	void *blk[5];
	dma_addr_t bh[5];
};

static void expect_ok(struct dmapool_machine *m)
{
	char why[256] = "x";
	int rc = dmapool_machine_check(m, why, sizeof(why));

	if (rc)
		fail_msg("dmapool_machine_check: %d: %s", rc, why);
	assert_string_equal(why, "");
}

/* The check fails, and its reason contains `names`. */
static void expect_bad(struct dmapool_machine *m, const char *names)
{
	char why[256] = "";

	assert_int_equal(dmapool_machine_check(m, why, sizeof(why)), -EUCLEAN);
	if (!strstr(why, names))
		fail_msg("reason \"%s\" does not name \"%s\"", why, names);
	/* no buffer at all is fine too */
	assert_int_equal(dmapool_machine_check(m, NULL, 0), -EUCLEAN);
}

static void alloc_one(struct scene *s, int i, int dev, size_t size, gfp_t gfp)
{
	s->dev[i] = s->d[dev];
	s->size[i] = size;
	s->cpu[i] = dma_alloc_coherent(s->d[dev], size, &s->h[i], gfp);
	assert_non_null(s->cpu[i]);
}

static void scene_up(struct scene *s)
{
	static const char *const names[4] = { "probe@0", "probe@1", "probe@2", "probe@3" };
	struct dmapool_config cfg = { .bootargs = "swiotlb=force" };

	memset(s, 0, sizeof(*s));
	s->m = tu_load_in(oracle_dir, "20-probe-allocs", "dtb", &cfg);
	dmapool_machine_use(s->m);
	expect_ok(s->m);
	for (int i = 0; i < 4; i++) {
		s->d[i] = tu_dev(s->m, names[i]);
		assert_int_equal(dma_set_mask_and_coherent(s->d[i], DMA_BIT_MASK(32)), 0);
	}
	assert_int_equal(of_reserved_mem_device_init(s->d[0]), 0);
	assert_int_equal(of_reserved_mem_device_init(s->d[1]), 0);
	alloc_one(s, 0, 0, 0x3000, GFP_KERNEL);		/* pool_a */
	alloc_one(s, 1, 1, 0x10000, GFP_KERNEL);	/* cma_dev */
	alloc_one(s, 2, 2, 0x1000, GFP_KERNEL);		/* buddy */
	alloc_one(s, 3, 2, 0x100000, GFP_KERNEL);	/* default CMA */
	alloc_one(s, 4, 3, 0x2000, GFP_ATOMIC);		/* atomic pool */
	alloc_one(s, 5, 3, 0x1000, GFP_ATOMIC);
	s->kbuf = kmalloc(3000, GFP_KERNEL);
	assert_non_null(s->kbuf);
	s->kdma = dma_map_single(s->d[3], s->kbuf, 3000, DMA_BIDIRECTIONAL);
	assert_false(dma_mapping_error(s->d[3], s->kdma));
	assert_int_not_equal(s->m->swiotlb.areas[0].used, 0);	/* bounced */
	s->pool = dma_pool_create("chk", s->d[2], 200, 8, 0);
	assert_non_null(s->pool);
	for (int i = 0; i < 5; i++) {
		s->blk[i] = dma_pool_alloc(s->pool, GFP_KERNEL, &s->bh[i]);
		assert_non_null(s->blk[i]);
	}
}

static void scene_down(struct scene *s, bool check_each)
{
	for (int i = 0; i < 5; i++) {
		dma_pool_free(s->pool, s->blk[i], s->bh[i]);
		if (check_each)
			expect_ok(s->m);
	}
	dma_pool_destroy(s->pool);
	dma_unmap_single(s->d[3], s->kdma, 3000, DMA_BIDIRECTIONAL);
	kfree(s->kbuf);
	for (int i = 0; i < 6; i++) {
		dma_free_coherent(s->dev[i], s->size[i], s->cpu[i], s->h[i]);
		if (check_each)
			expect_ok(s->m);
	}
	assert_int_equal(dmapool_report_count(s->m), 0);
}

/* ------------------------------------------------------------------ */

static void bad_arguments(void **state)
{
	char why[8] = "x";

	(void)state;
	assert_int_equal(dmapool_machine_check(NULL, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "");
	assert_string_equal(dmapool_strerror(-EUCLEAN), "pool accounting is inconsistent");
}

/* Every kind of pool in use: consistent after each step. */
static void consistent_in_use(void **state)
{
	struct scene s;

	(void)state;
	scene_up(&s);
	expect_ok(s.m);
	/* a double free and a dma_pool double free are reported, not
	 * counted twice */
	dma_pool_free(s.pool, s.blk[0], s.bh[0]);
	dma_pool_free(s.pool, s.blk[0], s.bh[0]);
	assert_int_equal(dmapool_report_count_kind(s.m, "dma-pool-double-free"), 1);
	expect_ok(s.m);
	s.blk[0] = dma_pool_alloc(s.pool, GFP_KERNEL, &s.bh[0]);
	assert_non_null(s.blk[0]);
	dmapool_report_clear(s.m);
	scene_down(&s, true);
	expect_ok(s.m);
	tu_unload(s.m);
}

/* Each compared counter, off by one: the check fails and names it. */
static void corrupted_counters(void **state)
{
	struct scene s;
	struct cma_area *cma;
	struct io_tlb_pool *p;
	struct dbg_entry *e;
	size_t n;

	(void)state;
	scene_up(&s);

	p = &s.m->swiotlb;
	p->areas[0].used++;
	expect_bad(s.m, "SWIOTLB pool default, area 0: free ");
	p->areas[0].used--;
	expect_ok(s.m);

	cma = s.d[1]->cma_area;
	assert_non_null(cma);
	cma->count++;
	expect_bad(s.m, "CMA area cma-dev@80000000");
	cma->count--;
	expect_ok(s.m);

	s.d[2]->dbg_n++;
	expect_bad(s.m, "DMA-API debug entries of probe@2");
	s.d[2]->dbg_n--;
	expect_ok(s.m);

	/* an entry lost from the pending list (not yet in the treap) */
	e = s.d[2]->dbg_pend;
	assert_non_null(e);
	assert_false(e->in_tree);
	s.d[2]->dbg_pend = e->r;
	expect_bad(s.m, "DMA-API debug entries of probe@2");
	s.d[2]->dbg_pend = e;
	expect_ok(s.m);

	/* a containment query moves them into the treap; lose it there */
	e = debug_find(s.d[2], s.h[2], 1, -1);
	assert_non_null(e);
	assert_int_equal(e->dma, s.h[2]);
	assert_null(s.d[2]->dbg_pend);
	e = s.d[2]->dbg_root;
	assert_non_null(e);
	assert_true(e->in_tree);
	s.d[2]->dbg_root = NULL;
	expect_bad(s.m, "DMA-API debug entries of probe@2");
	s.d[2]->dbg_root = e;
	expect_ok(s.m);

	/* the free entries' count against the free list */
	assert_int_not_equal(s.m->dbg_nfree, 0);
	s.m->dbg_nfree++;
	expect_bad(s.m, "DMA-API debug free entries");
	s.m->dbg_nfree--;
	expect_ok(s.m);

	n = s.m->cln.n;
	assert_int_not_equal(n, 0);
	s.m->cln.n = n + 1;
	expect_bad(s.m, "active-cacheline table");
	s.m->cln.n = n;
	expect_ok(s.m);

	scene_down(&s, false);
	expect_ok(s.m);
	tu_unload(s.m);
}

/* Other threads allocate and free while the check runs: every answer is
 * 0, because each structure is read under its own lock. */
struct worker {
	struct device *dev;
	int kind;
};

static int running;

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 1000; i++) {
		dma_addr_t h;

		if (w->kind == 0) {
			void *c = dma_alloc_coherent(w->dev, 0x1000 << (i % 4), &h,
						     i % 3 ? GFP_KERNEL : GFP_ATOMIC);

			if (c)
				dma_free_coherent(w->dev, 0x1000 << (i % 4), c, h);
		} else {
			void *b = kmalloc(100 + i * 7, GFP_KERNEL);

			if (!b)
				continue;
			h = dma_map_single(w->dev, b, 100 + i * 7, DMA_TO_DEVICE);
			if (!dma_mapping_error(w->dev, h))
				dma_unmap_single(w->dev, h, 100 + i * 7, DMA_TO_DEVICE);
			kfree(b);
		}
	}
	__atomic_sub_fetch(&running, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void concurrent(void **state)
{
	struct scene s;
	struct worker w[3];
	pthread_t t[3];
	int bad = 0, checks = 0;
	char why[256];

	(void)state;
	scene_up(&s);
	w[0] = (struct worker){ s.d[0], 0 };
	w[1] = (struct worker){ s.d[3], 0 };
	w[2] = (struct worker){ s.d[3], 1 };
	running = 3;
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	/* check until the last worker is done */
	while (__atomic_load_n(&running, __ATOMIC_ACQUIRE) > 0 || !checks) {
		if (dmapool_machine_check(s.m, why, sizeof(why)) && !bad++)
			fprintf(stderr, "check during work: %s\n", why);
		checks++;
	}
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(bad, 0);
	expect_ok(s.m);
	scene_down(&s, false);
	tu_unload(s.m);
}

static pthread_barrier_t warm_barrier;

static void *warm(void *arg)
{
	void *p = malloc(100);

	pthread_barrier_wait(&warm_barrier);	/* all three at once */
	free(p);
	return arg;
}

static int group_setup(void **state)
{
	pthread_t t[3];

	(void)state;
	/* glibc keeps the stacks of joined threads (made here, before the
	 * leak mark, for `concurrent` to reuse) and would give each thread
	 * its own malloc arena: one arena for all */
	mallopt(M_ARENA_MAX, 1);
	pthread_barrier_init(&warm_barrier, NULL, 3);
	for (int i = 0; i < 3; i++)
		if (pthread_create(&t[i], NULL, warm, NULL))
			return -1;
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&warm_barrier);
	tu_leak_mark();
	return 0;
}

int main(int argc, char **argv)
{
#define T(f) cmocka_unit_test_teardown(f, tu_teardown)
	const struct CMUnitTest tests[] = {
		T(bad_arguments),
		T(consistent_in_use),
		T(corrupted_counters),
		T(concurrent),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s ORACLE_FIXTURE_DIR\n", argv[0]);
		return 2;
	}
	oracle_dir = argv[1];
	return cmocka_run_group_tests_name("check", tests, group_setup, tu_leak_teardown);
}
