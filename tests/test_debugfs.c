/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * dmapool_region_usage() (src/debugfs.c): the memory map and the used
 * runs of every kind of pool, checked against the addresses the
 * allocations themselves returned: a per-device no-map pool, a
 * per-device CMA area, the default CMA area (and the atomic pools carved
 * from it), the atomic pools, the default SWIOTLB, the global coherent
 * pool and a restricted pool; everything back to the boot state after
 * the frees.
 *
 * Usage: test_debugfs ORACLE_FIXTURE_DIR
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <dmapool.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/of_reserved_mem.h>
#include <linux/slab.h>
#include "testutil.h"

static const char *oracle_dir;
static char tmpdir[256];

struct usage {
	struct dmapool_region_usage *u;
	size_t n;
};

static void usage_get(struct dmapool_machine *m, struct usage *us)
{
	assert_int_equal(dmapool_region_usage(m, &us->u, &us->n), 0);
	assert_non_null(us->u);
	assert_true(us->n > 0);
}

static void usage_put(struct usage *us)
{
	free(us->u);
	us->u = NULL;
	us->n = 0;
}

/* The entry of that name and kind (the test fails when there is none). */
static const struct dmapool_region_usage *entry(const struct usage *us,
						const char *name, const char *kind)
{
	for (size_t i = 0; i < us->n; i++)
		if (!strcmp(us->u[i].name, name) && !strcmp(us->u[i].kind, kind))
			return &us->u[i];
	fail_msg("no entry %s (%s)", name, kind);
	return NULL;
}

/* The entry of that kind containing [pa, pa + len). */
static const struct dmapool_region_usage *entry_at(const struct usage *us,
						   const char *kind,
						   uint64_t pa, uint64_t len)
{
	for (size_t i = 0; i < us->n; i++)
		if (!strcmp(us->u[i].kind, kind) && pa >= us->u[i].base &&
		    pa + len <= us->u[i].base + us->u[i].size)
			return &us->u[i];
	fail_msg("no %s entry holds %#llx", kind, (unsigned long long)pa);
	return NULL;
}

static bool has_device(const struct dmapool_region_usage *e, const char *dev)
{
	for (size_t i = 0; i < e->ndevices; i++)
		if (!strcmp(e->devices[i], dev))
			return true;
	return false;
}

/* Runs inside the extent, in address order, not touching, summing to used. */
static void runs_sane(const struct dmapool_region_usage *e)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < e->nruns; i++) {
		const struct dmapool_usage_run *r = &e->runs[i];

		assert_true(r->size > 0);
		assert_true(r->start >= e->base);
		assert_true(r->start + r->size <= e->base + e->size);
		if (e->unit)
			assert_int_equal(r->size % e->unit, 0);
		if (i)
			assert_true(e->runs[i - 1].start + e->runs[i - 1].size < r->start);
		sum += r->size;
	}
	if (strcmp(e->kind, "zone"))	/* zones are totals */
		assert_int_equal(sum, e->used);
}

static bool has_run(const struct dmapool_region_usage *e, uint64_t start,
		    uint64_t size)
{
	for (size_t i = 0; i < e->nruns; i++)
		if (e->runs[i].start == start && e->runs[i].size == size)
			return true;
	return false;
}

/* A run covers [pa, pa + len). */
static bool run_covers(const struct dmapool_region_usage *e, uint64_t pa,
		       uint64_t len)
{
	for (size_t i = 0; i < e->nruns; i++)
		if (pa >= e->runs[i].start &&
		    pa + len <= e->runs[i].start + e->runs[i].size)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */

static void bad_arguments(void **state)
{
	struct dmapool_region_usage *u = (void *)1;
	size_t n = 7;

	(void)state;
	assert_int_equal(dmapool_region_usage(NULL, &u, &n), -EINVAL);
	assert_null(u);
	assert_int_equal(n, 0);
}

/*
 * Fixture 20 (2 GiB at 0x40000000): pool-a@70000000 1 MiB no-map for
 * probe@0 and probe@4, cma-dev@80000000 16 MiB for probe@1 and probe@4,
 * a 32 MiB default CMA at 0x90000000; swiotlb=force.
 */
static void boot_map(void **state)
{
	struct dmapool_config cfg = { .bootargs = "swiotlb=force" };
	struct dmapool_machine *m;
	const struct dmapool_region_usage *e;
	struct usage us;
	size_t atomic_from_cma = 0;

	(void)state;
	m = tu_load_in(oracle_dir, "20-probe-allocs", "dtb", &cfg);
	usage_get(m, &us);
	/* the order: RAM banks and the kernel first */
	assert_string_equal(us.u[0].kind, "ram");
	assert_int_equal(us.u[0].base, 0x40000000);
	assert_int_equal(us.u[0].size, 0x80000000);
	e = entry(&us, "Kernel", "kernel");
	assert_true(e->base >= 0x40000000 && e->size > 0);

	e = entry(&us, "pool-a@70000000", "dma-pool");
	assert_int_equal(e->base, 0x70000000);
	assert_int_equal(e->size, 0x100000);
	assert_true(e->nomap);
	assert_false(e->tracked);	/* no device attached it yet */
	assert_int_equal(e->used, 0);
	assert_int_equal(e->ndevices, 2);
	assert_true(has_device(e, "probe@0"));
	assert_true(has_device(e, "probe@4"));
	assert_false(has_device(e, "probe@1"));

	e = entry(&us, "cma-dev@80000000", "cma");
	assert_true(e->tracked);
	assert_int_equal(e->used, 0);
	assert_int_equal(e->nruns, 0);
	assert_int_equal(e->unit, 4096);

	/* the atomic pools are carved from the default CMA area: each of
	 * their chunks is a used run of it */
	e = entry(&us, "linux,cma@90000000", "default-cma");
	runs_sane(e);
	for (size_t i = 0; i < us.n; i++) {
		const struct dmapool_region_usage *a = &us.u[i];

		if (strcmp(a->kind, "atomic"))
			continue;
		assert_non_null(a->pool);
		assert_true(a->tracked);
		assert_int_equal(a->used, 0);
		assert_int_equal(a->from_cma, a->base >= e->base && a->base < e->base + e->size);
		if (a->from_cma) {
			assert_true(run_covers(e, a->base, a->size));
			atomic_from_cma++;
		}
	}
	assert_true(atomic_from_cma > 0);

	e = entry(&us, "default", "swiotlb");
	assert_true(e->tracked);
	assert_int_equal(e->unit, 2048);
	assert_int_equal(e->used, 0);

	/* zones: totals, no runs */
	e = entry(&us, "DMA", "zone");
	assert_int_equal(e->nruns, 0);
	assert_true(e->used > 0 && e->used < e->size);
	usage_put(&us);
	tu_unload(m);
}

/* Allocations from each pool are the runs reported, exactly. */
static void runs_follow_allocations(void **state)
{
	struct dmapool_config cfg = { .bootargs = "swiotlb=force" };
	struct dmapool_machine *m;
	struct device *d0, *d1, *d2, *d3;
	const struct dmapool_region_usage *e;
	struct dmapool_decision dec;
	struct usage boot, us;
	dma_addr_t h[6], kdma;
	void *cpu[6], *kbuf;
	uint64_t cma_used0;

	(void)state;
	m = tu_load_in(oracle_dir, "20-probe-allocs", "dtb", &cfg);
	dmapool_machine_use(m);
	d0 = tu_dev(m, "probe@0");
	d1 = tu_dev(m, "probe@1");
	d2 = tu_dev(m, "probe@2");
	d3 = tu_dev(m, "probe@3");
	usage_get(m, &boot);
	cma_used0 = entry(&boot, "linux,cma@90000000", "default-cma")->used;
	assert_int_equal(of_reserved_mem_device_init(d0), 0);
	assert_int_equal(of_reserved_mem_device_init(d1), 0);

	cpu[0] = dma_alloc_coherent(d0, 0x3000, &h[0], GFP_KERNEL);	/* 4 pages */
	cpu[1] = dma_alloc_coherent(d0, 0x1000, &h[1], GFP_KERNEL);	/* the next */
	cpu[2] = dma_alloc_coherent(d1, 0x10000, &h[2], GFP_KERNEL);
	cpu[3] = dma_alloc_coherent(d2, 0x100000, &h[3], GFP_KERNEL);
	cpu[4] = dma_alloc_coherent(d3, 0x2000, &h[4], GFP_ATOMIC);
	for (int i = 0; i < 5; i++)
		assert_non_null(cpu[i]);
	kbuf = kmalloc(3000, GFP_KERNEL);
	assert_non_null(kbuf);
	kdma = dma_map_single(d3, kbuf, 3000, DMA_TO_DEVICE);
	assert_false(dma_mapping_error(d3, kdma));
	assert_int_equal(dmapool_last_decision(d3, &dec), 0);
	assert_string_equal(dec.backend, "swiotlb");

	usage_get(m, &us);
	for (size_t i = 0; i < us.n; i++)
		runs_sane(&us.u[i]);

	/* pool-a: the 4-page block then the page after it, one run */
	e = entry(&us, "pool-a@70000000", "dma-pool");
	assert_true(e->tracked);
	assert_int_equal(h[1], h[0] + 0x4000);
	assert_int_equal(e->nruns, 1);
	assert_true(has_run(e, h[0], 0x5000));
	assert_int_equal(e->used, 0x5000);

	e = entry(&us, "cma-dev@80000000", "cma");
	assert_int_equal(e->nruns, 1);
	assert_true(has_run(e, h[2], 0x10000));

	e = entry(&us, "linux,cma@90000000", "default-cma");
	assert_int_equal(e->used, cma_used0 + 0x100000);
	assert_true(run_covers(e, h[3], 0x100000));

	e = entry_at(&us, "atomic", h[4], 0x2000);
	assert_int_equal(e->used, 0x2000);
	assert_true(has_run(e, h[4], 0x2000));

	e = entry(&us, "default", "swiotlb");
	assert_int_equal(e->nruns, 1);
	assert_true(has_run(e, dec.bounce, 4096));	/* two 2 KiB slots */
	usage_put(&us);

	dma_unmap_single(d3, kdma, 3000, DMA_TO_DEVICE);
	kfree(kbuf);
	dma_free_coherent(d0, 0x3000, cpu[0], h[0]);
	dma_free_coherent(d0, 0x1000, cpu[1], h[1]);
	dma_free_coherent(d1, 0x10000, cpu[2], h[2]);
	dma_free_coherent(d2, 0x100000, cpu[3], h[3]);
	dma_free_coherent(d3, 0x2000, cpu[4], h[4]);

	/* back to the boot state, pool-a now tracked and empty */
	usage_get(m, &us);
	assert_int_equal(us.n, boot.n);
	for (size_t i = 0; i < us.n; i++) {
		assert_string_equal(us.u[i].name, boot.u[i].name);
		assert_int_equal(us.u[i].base, boot.u[i].base);
		assert_int_equal(us.u[i].nruns, boot.u[i].nruns);
		if (strcmp(us.u[i].kind, "zone"))
			assert_int_equal(us.u[i].used, boot.u[i].used);
	}
	assert_true(entry(&us, "pool-a@70000000", "dma-pool")->tracked);
	usage_put(&us);
	usage_put(&boot);
	assert_int_equal(dmapool_report_count(m), 0);
	tu_unload(m);
}

/*
 * The global coherent pool (DMA_GLOBAL_POOL) and a restricted pool
 * (DMA_RESTRICTED_POOL), both turned on by knobs on arm64.
 */
static const char tree[] =
	"/dts-v1/;\n"
	"/ {\n"
	"  #address-cells = <2>; #size-cells = <2>;\n"
	"  memory@40000000 { device_type = \"memory\"; reg = <0 0x40000000 0 0x40000000>; };\n"
	"  reserved-memory {\n"
	"    #address-cells = <2>; #size-cells = <2>; ranges;\n"
	"    gpool: global@50000000 { compatible = \"shared-dma-pool\";\n"
	"      reg = <0 0x50000000 0 0x100000>; no-map; linux,dma-default; };\n"
	"    rpool: restricted@51000000 { compatible = \"restricted-dma-pool\";\n"
	"      reg = <0 0x51000000 0 0x400000>; };\n"
	"  };\n"
	"  nc@1000 { compatible = \"acme,nc\"; reg = <0 0x1000 0 0x100>; };\n"
	"  wifi@2000 { compatible = \"acme,wifi\"; reg = <0 0x2000 0 0x100>;\n"
	"    dma-coherent; memory-region = <&rpool>; };\n"
	"};\n";

static void global_and_restricted(void **state)
{
	struct dmapool_config cfg = {
		.knobs = "dma_global_pool=1,dma_restricted_pool=1",
	};
	const struct dmapool_region_usage *e;
	struct dmapool_machine *m;
	struct device *nc, *wifi;
	struct dmapool_decision dec;
	struct usage us;
	dma_addr_t h[2], kdma;
	void *cpu[2], *kbuf;

	(void)state;
	m = tu_load_in(tmpdir, "debugfs", "dts", &cfg);
	dmapool_machine_use(m);
	nc = tu_dev(m, "nc@1000");
	wifi = tu_dev(m, "wifi@2000");
	assert_int_equal(of_reserved_mem_device_init(wifi), 0);

	usage_get(m, &us);
	e = entry(&us, "global@50000000", "global-pool");
	assert_true(e->tracked);
	assert_int_equal(e->used, 0);
	e = entry(&us, "restricted@51000000", "restricted");
	assert_true(e->tracked);
	assert_int_equal(e->unit, 2048);
	assert_int_equal(e->ndevices, 1);
	assert_string_equal(e->devices[0], "2000.wifi");	/* dev_name() */
	usage_put(&us);

	cpu[0] = dma_alloc_coherent(nc, 0x2000, &h[0], GFP_KERNEL);
	assert_non_null(cpu[0]);
	assert_int_equal(dmapool_last_decision(nc, &dec), 0);
	assert_string_equal(dec.backend, "global-coherent");
	cpu[1] = dma_alloc_coherent(wifi, 0x4000, &h[1], GFP_KERNEL);
	assert_non_null(cpu[1]);
	assert_int_equal(dmapool_last_decision(wifi, &dec), 0);
	assert_string_equal(dec.backend, "restricted-swiotlb");
	kbuf = kmalloc(512, GFP_KERNEL);
	assert_non_null(kbuf);
	kdma = dma_map_single(wifi, kbuf, 512, DMA_FROM_DEVICE);
	assert_false(dma_mapping_error(wifi, kdma));
	assert_int_equal(dmapool_last_decision(wifi, &dec), 0);
	assert_string_equal(dec.backend, "restricted-swiotlb");

	usage_get(m, &us);
	e = entry(&us, "global@50000000", "global-pool");
	runs_sane(e);
	assert_int_equal(e->nruns, 1);
	assert_true(has_run(e, h[0], 0x2000));
	e = entry(&us, "restricted@51000000", "restricted");
	runs_sane(e);
	assert_int_equal(e->used, 0x4000 + 2048);
	assert_true(run_covers(e, h[1], 0x4000));
	assert_true(run_covers(e, dec.bounce, 2048));
	usage_put(&us);

	dma_unmap_single(wifi, kdma, 512, DMA_FROM_DEVICE);
	kfree(kbuf);
	dma_free_coherent(nc, 0x2000, cpu[0], h[0]);
	dma_free_coherent(wifi, 0x4000, cpu[1], h[1]);
	usage_get(m, &us);
	assert_int_equal(entry(&us, "global@50000000", "global-pool")->used, 0);
	assert_int_equal(entry(&us, "restricted@51000000", "restricted")->nruns, 0);
	usage_put(&us);
	tu_unload(m);
}

/* Out of memory at every step: -ENOMEM, nothing leaked, then success. */
static void out_of_memory(void **state)
{
	struct dmapool_config cfg = { .bootargs = "swiotlb=force" };
	struct dmapool_machine *m;
	struct usage us = { 0 };
	int rc = -ENOMEM;

	(void)state;
	m = tu_load_in(oracle_dir, "20-probe-allocs", "dtb", &cfg);
	for (unsigned long nth = 1; rc == -ENOMEM && nth < 200; nth++) {
		dmapool_fail_nth(nth);
		rc = dmapool_region_usage(m, &us.u, &us.n);
		dmapool_fail_nth(0);
		if (rc == -ENOMEM) {
			assert_null(us.u);
			assert_int_equal(us.n, 0);
		}
	}
	assert_int_equal(rc, 0);
	usage_put(&us);
	tu_unload(m);
}

static int group_setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_debugfs-XXXXXX", t && *t ? t : P_tmpdir);
	if (!mkdtemp(tmpdir) || tu_tree_write(tmpdir, "debugfs", tree))
		return -1;
	tu_leak_mark();
	return 0;
}

static int group_teardown(void **state)
{
	int rc = tu_leak_teardown(state);

	tu_tree_remove(tmpdir, "debugfs");
	rmdir(tmpdir);
	return rc;
}

int main(int argc, char **argv)
{
#define T(f) cmocka_unit_test_teardown(f, tu_teardown)
	const struct CMUnitTest tests[] = {
		T(bad_arguments),
		T(boot_map),
		T(runs_follow_allocations),
		T(global_and_restricted),
		T(out_of_memory),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s ORACLE_FIXTURE_DIR\n", argv[0]);
		return 2;
	}
	oracle_dir = argv[1];
	return cmocka_run_group_tests_name("debugfs", tests, group_setup, group_teardown);
}
