/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Behaviour of dma_alloc_coherent()/dma_alloc_attrs()/dma_free_attrs() and
 * their helpers, checked against Linux 6.12 arm64 (and the other profiles):
 * every stage of the decision tree and its backend, attributes, gfp flags,
 * the CPU view of the buffers, masks, per-device pools, user mappings, the
 * kernel log lines of the failure paths, the decision-trace API and the
 * free paths.  Exact addresses come from the real-kernel oracle runs
 * (fixtures/oracle/20, 47, 49, 50, 54 and their .expected files) where a
 * fixture has them; small trees written to a temporary directory cover the
 * other profiles and zone layouts.
 *
 * Usage: test_coherent_alloc ORACLE_FIXTURE_DIR
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <dmapool.h>
#include <linux/dma-mapping.h>
#include <linux/dma-map-ops.h>
#include <linux/of_reserved_mem.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include "testutil.h"

#define ANY	((dma_addr_t)0xa11a11a11ULL)	/* "any DMA address" */
#define FAIL	DMA_MAPPING_ERROR		/* the allocation must fail */
#define SZ_4G	0x100000000ULL

static const char *oracle_dir;
static char tmpdir[64];

/* ------------------------------------------------------------------ */
/* Machines: every machine a test loads is destroyed by the per-test
 * teardown, even when an assertion fails half way. */

#define load_path	tu_load
#define unload		tu_unload
#define test_teardown	tu_teardown

/* An oracle fixture (<builddir>/fixtures/oracle/NAME.dtb). */
static struct dmapool_machine *load_oracle(const char *name, const char *bootargs)
{
	struct dmapool_config cfg = { .bootargs = bootargs };

	return tu_load_in(oracle_dir, name, "dtb", &cfg);
}

/* A tree of this file (written to tmpdir as NAME.dts, compiled by dtc). */
static struct dmapool_machine *load_dts(const char *name, const char *arch,
					uint64_t ram, const char *bootargs)
{
	struct dmapool_config cfg = { .arch = arch, .ram_size = ram, .bootargs = bootargs };

	return tu_load_in(tmpdir, name, "dts", &cfg);
}

#define dev(m, name)	tu_dev(m, name)

/* ------------------------------------------------------------------ */
/* Leak check per group (as tests/test_rmem_attach.c): no fd or mapping
 * may be left once every machine is destroyed. */

#define maps_now	tu_maps_now

static int group_setup(void **state)
{
	struct dmapool_machine *m;
	struct device *d;
	dma_addr_t h;
	void *p;

	(void)state;
	/* warm up libc, cmocka, dtc's fork path and the remap path */
	m = load_oracle("20-probe-allocs", NULL);
	d = dev(m, "probe@3");
	p = dma_alloc_coherent(d, 0x2000, &h, GFP_KERNEL);
	dma_free_coherent(d, 0x2000, p, h);
	unload(m);
	m = load_dts("simple", "riscv64", 0x40000000, NULL);
	unload(m);
	tu_leak_mark();
	return 0;
}

#define group_teardown	tu_leak_teardown

/* ------------------------------------------------------------------ */
/* Decisions and log helpers */

#define last		tu_last_decision
#define has_step	tu_has_step
#define dump_decision	tu_dump_decision

/*
 * Allocate and check the backend and, unless ANY, the DMA address; FAIL
 * expects NULL with backend "none".  The decision must agree with the
 * returned values (dma, phys on an identity-mapped device, cpu).
 */
static void *alloc_x(struct device *d, size_t size, gfp_t gfp,
		     unsigned long attrs, const char *backend, dma_addr_t want)
{
	dma_addr_t h = 0;
	void *p = dma_alloc_attrs(d, size, &h, gfp, attrs);
	struct dmapool_decision x = last(d);

	if (strcmp(x.backend, backend) || (want != ANY && want != FAIL && h != want) ||
	    (want == FAIL) != (p == NULL)) {
		fprintf(stderr, "%s size %#zx: got %p dma %#llx, want backend %s dma %#llx\n",
			dev_name(d), size, p, (unsigned long long)h, backend,
			(unsigned long long)want);
		dump_decision(&x);
	}
	assert_string_equal(x.backend, backend);
	assert_string_equal(x.op, "alloc");
	assert_int_equal(x.size, size);
	assert_int_equal(x.gfp, gfp);
	assert_int_equal(x.attrs, attrs);
	if (want == FAIL) {
		assert_null(p);
		assert_false(x.ok);
		return NULL;
	}
	assert_non_null(p);
	assert_true(x.ok);
	if (want != ANY)
		assert_int_equal(h, want);
	assert_int_equal(x.dma, h);
	assert_ptr_equal(x.cpu, p);
	return p;
}

static void *alloc_k(struct device *d, size_t size, const char *backend,
		     dma_addr_t want)
{
	return alloc_x(d, size, GFP_KERNEL, 0, backend, want);
}

static void *alloc_a(struct device *d, size_t size, const char *backend,
		     dma_addr_t want)
{
	return alloc_x(d, size, GFP_ATOMIC, 0, backend, want);
}

static dma_addr_t last_dma(struct device *d)
{
	return last(d).dma;
}

static size_t logn(struct dmapool_machine *m)
{
	return dmapool_log_count(m);
}

/* Lines equal to s since line from. */
static size_t log_count(struct dmapool_machine *m, size_t from, const char *s)
{
	size_t n = 0;

	for (size_t i = from; i < dmapool_log_count(m); i++)
		n += !strcmp(dmapool_log_line(m, i), s);
	return n;
}

/* Lines starting with prefix since line from. */
static size_t log_count_prefix(struct dmapool_machine *m, size_t from,
			       const char *prefix)
{
	size_t n = 0;

	for (size_t i = from; i < dmapool_log_count(m); i++)
		n += !strncmp(dmapool_log_line(m, i), prefix, strlen(prefix));
	return n;
}

static const char *log_find_prefix(struct dmapool_machine *m, const char *prefix)
{
	for (size_t i = 0; i < dmapool_log_count(m); i++)
		if (!strncmp(dmapool_log_line(m, i), prefix, strlen(prefix)))
			return dmapool_log_line(m, i);
	return NULL;
}

static bool all_bytes(const void *p, int v, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != (uint8_t)v)
			return false;
	return true;
}

static const char *const PAGE_ALLOC_WARN =
	"WARNING: CPU: 0 PID: 1 at mm/page_alloc.c:4832 __alloc_pages_noprof+0xb54/0xec8";
static const char *const POOL_WARN =
	"WARNING: CPU: 0 PID: 1 at kernel/dma/pool.c:282 dma_alloc_from_pool+0x1e8/0x200";

/* 20-probe-allocs: default CMA 32 MiB at 0x90000000, cma_dev 16 MiB at
 * 0x80000000, pool_a 1 MiB no-map at 0x70000000. */
#define CMA20_BASE	0x90000000ULL
#define CMA20_END	0x92000000ULL

static bool in_range(uint64_t a, uint64_t lo, uint64_t hi)
{
	return a >= lo && a < hi;
}

/* ------------------------------------------------------------------ */
/* Trees written to tmpdir */

static const struct {
	const char *name, *text;
} trees[] = {
	/* arm64 with a 1 GiB DMA window on /soc: ZONE_DMA 1..2 GiB,
	 * ZONE_DMA32 2..4 GiB, ZONE_NORMAL above (RAM from ram_size). */
	{ "zones", "/dts-v1/;\n"
	  "/ {\n"
	  "	#address-cells = <2>;\n"
	  "	#size-cells = <2>;\n"
	  "	soc {\n"
	  "		compatible = \"simple-bus\";\n"
	  "		#address-cells = <1>;\n"
	  "		#size-cells = <1>;\n"
	  "		ranges;\n"
	  "		dma-ranges = <0x0 0x0 0x40000000 0x40000000>;\n"
	  "		inner { compatible = \"test,dev\"; dma-coherent; };\n"
	  "	};\n"
	  "	dev64 { compatible = \"test,dev\"; dma-coherent; };\n"
	  "	dev32 { compatible = \"test,dev\"; dma-coherent; };\n"
	  "	nc { compatible = \"test,dev\"; };\n"
	  "};\n" },
	/* noMMU ARM: a linux,dma-default pool, one non-coherent and one
	 * coherent device.  RAM: 256 MiB at 0xc0000000 (ram_size). */
	{ "nommu", "/dts-v1/;\n"
	  "/ {\n"
	  "	#address-cells = <1>;\n"
	  "	#size-cells = <1>;\n"
	  "	reserved-memory {\n"
	  "		#address-cells = <1>;\n"
	  "		#size-cells = <1>;\n"
	  "		ranges;\n"
	  "		dma-default@c8000000 {\n"
	  "			compatible = \"shared-dma-pool\";\n"
	  "			reg = <0xc8000000 0x100000>;\n"
	  "			no-map;\n"
	  "			linux,dma-default;\n"
	  "		};\n"
	  "	};\n"
	  "	nc { compatible = \"test,dev\"; };\n"
	  "	coh { compatible = \"test,dev\"; dma-coherent; };\n"
	  "};\n" },
	/* the same devices, no reserved memory (32-bit cells) */
	{ "arm", "/dts-v1/;\n"
	  "/ {\n"
	  "	#address-cells = <1>;\n"
	  "	#size-cells = <1>;\n"
	  "	nc { compatible = \"test,dev\"; };\n"
	  "	coh { compatible = \"test,dev\"; dma-coherent; };\n"
	  "};\n" },
	/* riscv64 / x86_64: a device without a coherency property and one
	 * marked dma-noncoherent */
	{ "simple", "/dts-v1/;\n"
	  "/ {\n"
	  "	#address-cells = <2>;\n"
	  "	#size-cells = <2>;\n"
	  "	plain { compatible = \"test,dev\"; };\n"
	  "	nc { compatible = \"test,dev\"; dma-noncoherent; };\n"
	  "};\n" },
};

static int write_trees(void)
{
	strcpy(tmpdir, "/tmp/test_coherent_alloc-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	for (size_t i = 0; i < sizeof(trees) / sizeof(trees[0]); i++)
		if (tu_tree_write(tmpdir, trees[i].name, trees[i].text))
			return -1;
	return 0;
}

static void remove_trees(void)
{
	for (size_t i = 0; i < sizeof(trees) / sizeof(trees[0]); i++)
		tu_tree_remove(tmpdir, trees[i].name);
	rmdir(tmpdir);
}

/* ================================================================== */
/* Group 1: every stage and its backend                               */
/* ================================================================== */

/* 20-probe-allocs probe@0 (pool_a, 256 pages at 0x70000000): the oracle's
 * exact sequence: order alignment, reuse after free, no fallback. */
static void dev_coherent_oracle_sequence(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d0 = dev(m, "probe@0");
	struct dmapool_decision x;
	void *p1;

	(void)state;
	assert_int_equal(dmapool_last_decision(d0, &x), -ENOENT);
	assert_int_equal(of_reserved_mem_device_init(d0), 0);
	alloc_k(d0, 0x1000, "dev-coherent", 0x70000000);
	x = last(d0);
	assert_int_equal(x.phys, 0x70000000);
	assert_int_equal(x.attr, DMAPOOL_ATTR_WC);
	assert_true(has_step(&x, "dev-coherent", "yes"));
	assert_false(has_step(&x, "buddy", NULL));
	p1 = alloc_k(d0, 0x3000, "dev-coherent", 0x70004000);	/* order 2 */
	alloc_k(d0, 0x1000, "dev-coherent", 0x70001000);
	alloc_k(d0, 0x100, "dev-coherent", 0x70002000);
	dma_free_coherent(d0, 0x3000, p1, 0x70004000);
	x = last(d0);
	assert_string_equal(x.op, "free");
	assert_string_equal(x.backend, "dev-coherent");
	alloc_k(d0, 0x2000, "dev-coherent", 0x70004000);	/* reuse */
	alloc_k(d0, 0x800, "dev-coherent", 0x70003000);
	alloc_k(d0, 0x100000, "none", FAIL);			/* no fallback */
	x = last(d0);
	assert_true(has_step(&x, "dev-coherent", "fail"));
	assert_false(has_step(&x, "buddy", NULL));
	assert_false(has_step(&x, "default-cma", NULL));
	alloc_k(d0, 0x80000, "dev-coherent", 0x70080000);
	alloc_k(d0, 0x40000, "dev-coherent", 0x70040000);
	alloc_k(d0, 0x20000, "dev-coherent", 0x70020000);
}

/* The order alignment counts from the pool start, not from physical 0. */
static void dev_coherent_alignment_relative_to_pool_start(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d = dev(m, "probe@2");

	(void)state;
	/* 8 pages of no-map memory starting at an odd page */
	assert_int_equal(dma_declare_coherent_memory(d, 0x70001000, 0x70001000, 0x8000), 0);
	alloc_k(d, 0x1000, "dev-coherent", 0x70001000);	/* page 0 */
	alloc_k(d, 0x2000, "dev-coherent", 0x70003000);	/* pages 2-3 */
	alloc_k(d, 0x4000, "dev-coherent", 0x70005000);	/* pages 4-7 */
	alloc_k(d, 0x1000, "dev-coherent", 0x70002000);	/* page 1 */
	alloc_k(d, 0x1000, "none", FAIL);			/* full */
	/* the declared pool hands out device_addr-based handles */
	dma_release_coherent_memory(d);
	assert_int_equal(dma_declare_coherent_memory(d, 0x70080000, 0x10000000, 0x10000), 0);
	alloc_k(d, 0x2000, "dev-coherent", 0x10000000);
	assert_int_equal(last(d).phys, 0x70080000);
	alloc_k(d, 0x1000, "dev-coherent", 0x10002000);
	assert_int_equal(last(d).phys, 0x70082000);
}

/* probe@4 has pool_a and cma_dev: a full pool gives NULL, CMA is not tried. */
static void dev_coherent_no_fallback_despite_cma(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d4 = dev(m, "probe@4"), *d1 = dev(m, "probe@1");
	struct dmapool_decision x;

	(void)state;
	assert_int_equal(of_reserved_mem_device_init_by_idx(d4, dev_of_node(d4), 0), 0);
	assert_int_equal(of_reserved_mem_device_init_by_idx(d4, dev_of_node(d4), 1), 0);
	alloc_k(d4, 0x100000, "dev-coherent", 0x70000000);	/* the whole pool */
	alloc_k(d4, 0x1000, "none", FAIL);
	x = last(d4);
	assert_false(has_step(&x, "dev-cma", NULL));
	assert_false(has_step(&x, "buddy", NULL));
	alloc_a(d4, 0x1000, "none", FAIL);
	alloc_k(d4, 0x2000000, "none", FAIL);		/* larger than the pool */
	/* the CMA area was never touched */
	assert_int_equal(of_reserved_mem_device_init(d1), 0);
	alloc_k(d1, 0x1000, "dev-cma", 0x80000000);
}

/* Two devices on one DT pool share one bitmap. */
static void dev_coherent_shared_bitmap(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d0 = dev(m, "probe@0"), *d4 = dev(m, "probe@4");
	void *a;

	(void)state;
	assert_int_equal(of_reserved_mem_device_init(d0), 0);
	assert_int_equal(of_reserved_mem_device_init(d4), 0);
	a = alloc_k(d0, 0x1000, "dev-coherent", 0x70000000);
	alloc_k(d4, 0x1000, "dev-coherent", 0x70001000);
	alloc_k(d4, 0x2000, "dev-coherent", 0x70002000);
	alloc_k(d0, 0x1000, "dev-coherent", 0x70004000);
	dma_free_coherent(d4, 0x1000, a, 0x70000000);	/* freed by the other user */
	alloc_k(d0, 0x1000, "dev-coherent", 0x70000000);
}

/* Size 0: the pool start, nothing reserved (get_order(0) region of no pages). */
static void dev_coherent_size_zero(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d0 = dev(m, "probe@0");
	void *z;

	(void)state;
	assert_int_equal(of_reserved_mem_device_init(d0), 0);
	z = alloc_k(d0, 0, "dev-coherent", 0x70000000);
	alloc_k(d0, 0x1000, "dev-coherent", 0x70000000);	/* nothing was taken */
	dma_free_coherent(d0, 0, z, 0x70000000);		/* frees nothing */
	alloc_k(d0, 0x1000, "dev-coherent", 0x70001000);
}

/* arm-nommu: non-coherent devices use the linux,dma-default pool only. */
static void global_coherent_arm_nommu(void **state)
{
	struct dmapool_machine *m = load_dts("nommu", "arm-nommu", 0x10000000, NULL);
	struct device *nc = dev(m, "nc"), *coh = dev(m, "coh");
	struct dmapool_decision x;
	void *p;

	(void)state;
	assert_int_equal(log_count(m, 0, "DMA: default coherent area is set"), 1);
	assert_false(dev_is_dma_coherent(nc));
	p = alloc_k(nc, 0x1000, "global-coherent", 0xc8000000);
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WC);
	assert_int_equal(last(nc).phys, 0xc8000000);
	alloc_k(nc, 0x3000, "global-coherent", 0xc8004000);	/* order 2 */
	alloc_a(nc, 0x1000, "global-coherent", 0xc8001000);	/* atomic too */
	alloc_k(nc, 0x100000, "none", FAIL);			/* no fallback */
	x = last(nc);
	assert_true(has_step(&x, "global-coherent", NULL));
	assert_false(has_step(&x, "buddy", NULL));
	assert_false(has_step(&x, "atomic", NULL));
	dma_free_coherent(nc, 0x1000, p, 0xc8000000);
	alloc_k(nc, 0x1000, "global-coherent", 0xc8000000);
	/* a coherent device never uses the global pool */
	p = alloc_k(coh, 0x2000, "buddy-normal", ANY);
	assert_false(in_range(last_dma(coh), 0xc8000000, 0xc8100000));
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WB);
}

/* arm-nommu without a global pool: a non-coherent device gets nothing. */
static void global_coherent_absent(void **state)
{
	struct dmapool_machine *m = load_dts("arm", "arm-nommu", 0x10000000, NULL);
	struct device *nc = dev(m, "nc");
	struct dmapool_decision x;

	(void)state;
	alloc_k(nc, 0x1000, "none", FAIL);
	x = last(nc);
	assert_true(has_step(&x, "global-coherent", "fail"));
	assert_false(has_step(&x, "buddy", NULL));
	alloc_k(dev(m, "coh"), 0x1000, "buddy-normal", ANY);
}

/* 54-probe-cma-align: per-device CMA takes every size, aligned to
 * min(get_order(size), 8); a failure prints the kernel's two lines and
 * falls back to the buddy allocator. */
static void dev_cma_oracle_sequence(void **state)
{
	struct dmapool_machine *m = load_oracle("54-probe-cma-align", NULL);
	struct device *d = dev(m, "probe@0");
	struct dmapool_decision x;
	void *p3;
	size_t n0;

	(void)state;
	assert_int_equal(of_reserved_mem_device_init(d), 0);
	alloc_k(d, 0x1000, "dev-cma", 0x80000000);
	x = last(d);
	assert_true(has_step(&x, "dev-cma", "ok"));
	assert_int_equal(x.attr, DMAPOOL_ATTR_WB);
	alloc_k(d, 0x3000, "dev-cma", 0x80004000);
	alloc_k(d, 0x5000, "dev-cma", 0x80008000);
	p3 = alloc_k(d, 0x200000, "dev-cma", 0x80100000);
	alloc_k(d, 0x400000, "dev-cma", 0x80300000);
	alloc_k(d, 0x3000, "dev-cma", 0x80010000);
	alloc_k(d, 0x1000, "dev-cma", 0x80001000);
	alloc_k(d, 0x800000, "dev-cma", 0x80700000);	/* align capped at 1 MiB */
	dma_free_coherent(d, 0x200000, p3, 0x80100000);
	alloc_k(d, 0x100000, "dev-cma", 0x80100000);
	n0 = logn(m);
	alloc_k(d, 0x180000, "buddy-dma", ANY);
	assert_false(in_range(last_dma(d), 0x80000000, 0x81000000));
	assert_true(last_dma(d) < SZ_4G);
	x = last(d);
	assert_true(has_step(&x, "dev-cma", "fail"));
	assert_int_equal(log_count(m, n0, "cma: __cma_alloc: cma-a@80000000: alloc failed, req-size: 384 pages, ret: -12"), 1);
	assert_int_equal(log_count(m, n0, "cma: number of available pages: 2@2+1@7+3@13+237@19+256@512+256@3840=> 755 free of 4096 total pages"), 1);
	alloc_k(d, 0x1000, "dev-cma", 0x80002000);
}

/* 20-probe-allocs probe@1: dev CMA for all sizes; a request larger than the
 * area fails silently in CMA, then the buddy warns for order 13, once. */
static void dev_cma_too_big_falls_back(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d1 = dev(m, "probe@1");
	size_t n0;

	(void)state;
	assert_int_equal(of_reserved_mem_device_init(d1), 0);
	alloc_k(d1, 0x1000, "dev-cma", 0x80000000);
	alloc_k(d1, 0x10000, "dev-cma", 0x80010000);
	alloc_k(d1, 0x300000, "dev-cma", 0x80100000);
	n0 = logn(m);
	alloc_k(d1, 0x2000000, "none", FAIL);
	assert_int_equal(log_count(m, n0, PAGE_ALLOC_WARN), 1);
	assert_int_equal(log_count_prefix(m, n0, "cma:"), 0);
	alloc_k(d1, 0x100, "dev-cma", 0x80001000);
}

/* 20-probe-allocs probe@2 then probe@3: one page from the buddy, more from
 * the default area, GFP_ATOMIC never from CMA; non-coherent atomic
 * allocations from the GFP_DMA pool (filled from CMA at boot). */
static void default_cma_and_atomic_oracle_sequence(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d2 = dev(m, "probe@2"), *d3 = dev(m, "probe@3");
	struct dmapool_decision x;
	void *p;

	(void)state;
	p = alloc_k(d2, 0x1000, "buddy-dma", ANY);
	x = last(d2);
	assert_true(has_step(&x, "default-cma", "skip"));
	assert_false(in_range(x.phys, CMA20_BASE, CMA20_END));
	assert_ptr_equal(p, dmapool_phys_to_virt(m, x.phys));
	alloc_k(d2, 0x2000, "default-cma", 0x900c0000);
	x = last(d2);
	assert_true(has_step(&x, "default-cma", "ok"));
	alloc_k(d2, 0x100000, "default-cma", 0x90100000);
	alloc_a(d2, 0x2000, "buddy-dma", ANY);
	x = last(d2);
	assert_true(has_step(&x, "cma", "skip"));
	assert_false(in_range(x.phys, CMA20_BASE, CMA20_END));

	assert_false(dev_is_dma_coherent(d3));
	p = alloc_a(d3, 0x1000, "atomic-dma", 0x90040000);
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WC);
	x = last(d3);
	assert_true(has_step(&x, "atomic", "yes"));
	alloc_a(d3, 0x8000, "atomic-dma", 0x90048000);
	p = alloc_k(d3, 0x4000, "default-cma", 0x900c4000);
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WC);
	x = last(d3);
	assert_true(has_step(&x, "remap", "yes"));
	assert_true(has_step(&x, "atomic", "no"));
	p = alloc_k(d3, 0x1000, "buddy-dma", ANY);
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WC);
	assert_false(in_range(last_dma(d3), CMA20_BASE, CMA20_END));
}

/* 49-probe-atomic-8G: a 64-bit mask uses the GFP_KERNEL pool, a 32-bit one
 * the GFP_DMA pool; set_mask refuses 30 and 24 bits; the refill work runs
 * between the devices (the oracle's addresses depend on it). */
static void atomic_pools_oracle_8g(void **state)
{
	struct dmapool_machine *m = load_oracle("49-probe-atomic-8G", NULL);
	struct device *d;
	void *p;

	(void)state;
	d = dev(m, "probe@0");
	assert_int_equal(dma_set_mask_and_coherent(d, DMA_BIT_MASK(64)), 0);
	p = alloc_a(d, 0x1000, "atomic-kernel", 0xfc000000);
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WC);
	alloc_a(d, 0x10000, "atomic-kernel", 0xfc010000);
	dmapool_flush_work(m);
	/* the GFP_KERNEL pool was below its size: one refill (a libdmapool note) */
	assert_int_equal(log_count_prefix(m, 0, "libdmapool: atomic pool"), 1);

	d = dev(m, "probe@1");
	assert_int_equal(dma_set_mask_and_coherent(d, DMA_BIT_MASK(30)), -EIO);
	assert_int_equal(dma_get_mask(d), DMA_BIT_MASK(32));
	alloc_a(d, 0x1000, "atomic-dma", 0xfc100000);
	alloc_a(d, 0x10000, "atomic-dma", 0xfc110000);
	dmapool_flush_work(m);

	d = dev(m, "probe@2");
	assert_int_equal(dma_set_mask_and_coherent(d, DMA_BIT_MASK(40)), 0);
	p = alloc_k(d, 0x2000, "default-cma", 0xfc500000);
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WC);
	d = dev(m, "probe@3");
	alloc_k(d, 0x2000, "default-cma", 0xfc502000);
	d = dev(m, "probe@4");
	assert_int_equal(dma_set_mask_and_coherent(d, DMA_BIT_MASK(24)), -EIO);
	alloc_k(d, 0x2000, "default-cma", 0xfc504000);
	d = dev(m, "probe@5");
	assert_int_equal(dma_set_mask_and_coherent(d, DMA_BIT_MASK(64)), 0);
	alloc_k(d, 0x2000, "default-cma", 0xfc506000);
	alloc_k(d, 0x100000, "default-cma", 0xfc600000);
}

/* 47-probe-atomic-exhaust, fresh: a 64-bit mask walks the fallback chain
 * kernel -> DMA32 -> DMA (each pool 256 KiB, filled from CMA at boot). */
static void atomic_fallback_chain(void **state)
{
	struct dmapool_machine *m = load_oracle("47-probe-atomic-exhaust", NULL);
	struct device *d = dev(m, "probe@1");
	struct dmapool_decision x;

	(void)state;
	assert_int_equal(dma_set_mask_and_coherent(d, DMA_BIT_MASK(64)), 0);
	alloc_a(d, 0x40000, "atomic-kernel", 0xb9a00000);
	alloc_a(d, 0x40000, "atomic-dma32", 0xb9a80000);
	x = last(d);
	assert_true(has_step(&x, "atomic-kernel", "full"));
	alloc_a(d, 0x40000, "atomic-dma", 0xb9a40000);
	x = last(d);
	assert_true(has_step(&x, "atomic-dma32", "full"));
	alloc_a(d, 0x1000, "none", FAIL);
}

/* arm64 8 GiB, cma=0, QEMU layout (ZONE_DMA up to 4 GiB): a 64-bit device
 * gets ZONE_NORMAL above 4 GiB, a 32-bit one memory below 4 GiB. */
static void buddy_zones_qemu_8g(void **state)
{
	struct dmapool_machine *m = load_oracle("50-probe-masks-8G-coherent", "cma=0");
	struct device *d64 = dev(m, "probe@4"), *d32 = dev(m, "probe@2");
	struct dmapool_decision x;
	void *p;

	(void)state;
	assert_null(log_find_prefix(m, "cma: Reserved"));
	assert_int_equal(dma_set_mask_and_coherent(d64, DMA_BIT_MASK(64)), 0);
	p = alloc_k(d64, 0x1000, "buddy-normal", ANY);
	x = last(d64);
	assert_true(x.phys >= SZ_4G);
	assert_true(has_step(&x, "zone", "no zone modifier"));
	assert_ptr_equal(p, dmapool_phys_to_virt(m, x.phys));
	alloc_k(d64, 0x4000, "buddy-normal", ANY);
	assert_true(last_dma(d64) >= SZ_4G);
	assert_int_equal(last_dma(d64) & 0x3fff, 0);	/* natural 2^order */
	alloc_k(d32, 0x1000, "buddy-dma", ANY);
	x = last(d32);
	assert_true(x.phys < SZ_4G);
	assert_true(has_step(&x, "zone", "GFP_DMA"));
	alloc_k(d32, 0x10000, "buddy-dma", ANY);
	assert_true(last_dma(d32) + 0x10000 <= SZ_4G);
}

/* arm64 8 GiB with a 1 GiB dma-ranges window: three zones, each picked by
 * the device's reach; the DMA address goes through the range map. */
static void buddy_zones_three(void **state)
{
	struct dmapool_machine *m = load_dts("zones", "arm64", 8 * 0x40000000ULL, "cma=0");
	struct device *d64 = dev(m, "dev64"), *d32 = dev(m, "dev32");
	struct device *in = dev(m, "/soc/inner"), *nc = dev(m, "nc");
	struct dmapool_decision x;

	(void)state;
	assert_non_null(log_find_prefix(m, "  DMA32    [mem 0x0000000080000000-0x00000000ffffffff]"));
	assert_int_equal(dma_set_mask_and_coherent(d64, DMA_BIT_MASK(64)), 0);
	alloc_k(d64, 0x1000, "buddy-normal", ANY);
	assert_true(last(d64).phys >= SZ_4G);
	alloc_k(d32, 0x1000, "buddy-dma32", ANY);
	x = last(d32);
	assert_true(in_range(x.phys, 0x80000000, SZ_4G));
	assert_true(has_step(&x, "zone", "GFP_DMA32"));
	alloc_k(in, 0x1000, "buddy-dma", ANY);
	x = last(in);
	assert_true(in_range(x.phys, 0x40000000, 0x80000000));
	assert_int_equal(x.dma, x.phys - 0x40000000);
	/* GFP_DMA32 is also the first atomic pool for a 32-bit mask here */
	alloc_a(nc, 0x1000, "atomic-dma32", ANY);
	assert_true(in_range(last(nc).phys, 0x80000000, SZ_4G));
}

/* 32-bit ARM: the arch allocator serves non-coherent devices. */
static void arch_arm_allocator(void **state)
{
	struct dmapool_machine *m = load_dts("arm", "arm", 0x40000000, NULL);
	struct device *nc = dev(m, "nc"), *coh = dev(m, "coh");
	const char *l = log_find_prefix(m, "cma: Reserved 16 MiB at ");
	unsigned long long cma;
	struct dmapool_decision x;
	void *p, *a;

	(void)state;
	assert_non_null(l);
	assert_int_equal(sscanf(l, "cma: Reserved 16 MiB at %llx", &cma), 1);
	assert_int_equal(log_count(m, 0, "DMA: preallocated 256 KiB pool for atomic coherent allocations"), 1);
	/* blocking + default CMA: the cma allocator, even for one page */
	p = alloc_k(nc, 0x1000, "default-cma", ANY);
	x = last(nc);
	assert_true(has_step(&x, "arch", "ok"));
	assert_true(in_range(x.phys, cma, cma + 0x1000000));
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WC);
	/* GFP_ATOMIC: the ARM atomic pool, carved from CMA at boot */
	a = alloc_a(nc, 0x1000, "arch", ANY);
	x = last(nc);
	assert_true(in_range(x.phys, cma, cma + 0x40000));
	assert_int_equal(dmapool_cpu_attr(m, a), DMAPOOL_ATTR_WC);
	dma_free_coherent(nc, 0x1000, a, x.dma);
	alloc_a(nc, 0x1000, "arch", x.dma);
	/* a coherent device is plain dma-direct */
	p = alloc_k(coh, 0x1000, "buddy-dma", ANY);
	x = last(coh);
	assert_false(has_step(&x, "arch", NULL));
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WB);
	alloc_k(coh, 0x2000, "default-cma", ANY);
	unload(m);

	/* no CMA: blocking -> remapped buddy pages, atomic -> pool from GFP_DMA */
	m = load_dts("arm", "arm", 0x40000000, "cma=0");
	nc = dev(m, "nc");
	assert_int_equal(log_count(m, 0, "DMA: preallocated 256 KiB pool for atomic coherent allocations"), 1);
	p = alloc_k(nc, 0x2000, "buddy-dma", ANY);
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WC);
	alloc_a(nc, 0x2000, "arch", ANY);
}

/* Failures: __GFP_COMP before everything, NULL device, order above
 * MAX_PAGE_ORDER without CMA. */
static void failures_return_none(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", "cma=0");
	struct device *d2 = dev(m, "probe@2"), *d0 = dev(m, "probe@0");
	struct dmapool_decision x;
	dma_addr_t h = 0;

	(void)state;
	assert_null(dma_alloc_coherent(d2, 0x1000, &h, GFP_KERNEL | __GFP_COMP));
	x = last(d2);
	assert_string_equal(x.backend, "none");
	assert_true(x.nsteps >= 1);
	assert_int_equal(strncmp(x.steps[x.nsteps - 1].answer, "refused", 7), 0);
	assert_false(has_step(&x, "buddy", NULL));
	assert_false(has_step(&x, "default-cma", NULL));
	/* refused before the per-device pool too */
	assert_int_equal(of_reserved_mem_device_init(d0), 0);
	alloc_x(d0, 0x1000, GFP_KERNEL | __GFP_COMP, 0, "none", FAIL);
	x = last(d0);
	assert_false(has_step(&x, "dev-coherent", NULL));
	alloc_k(d0, 0x1000, "dev-coherent", 0x70000000);
	/* no device */
	assert_null(dma_alloc_coherent(NULL, 0x1000, &h, GFP_KERNEL));
	/* 8 MiB = order 11 without CMA */
	alloc_k(d2, 0x800000, "none", FAIL);
	x = last(d2);
	assert_true(has_step(&x, "buddy", "fail"));
	alloc_k(d2, 0x400000, "buddy-dma", ANY);	/* order 10 is fine */
}

/* ================================================================== */
/* Group 2: attributes and gfp flags                                   */
/* ================================================================== */

static void attr_write_combine(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *nc = dev(m, "probe@3"), *coh = dev(m, "probe@2");
	dma_addr_t h, a;
	void *p;

	(void)state;
	p = alloc_k(nc, 0x2000, "default-cma", 0x900c0000);
	dma_free_coherent(nc, 0x2000, p, 0x900c0000);
	p = dma_alloc_wc(nc, 0x2000, &h, GFP_KERNEL);
	assert_non_null(p);
	assert_int_equal(h, 0x900c0000);	/* same place as without */
	assert_string_equal(last(nc).backend, "default-cma");
	assert_int_equal(last(nc).attrs, DMA_ATTR_WRITE_COMBINE);
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WC);
	assert_int_equal(last(nc).attr, DMAPOOL_ATTR_WC);
	dma_free_wc(nc, 0x2000, p, h);
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_NONE);	/* vunmapped */
	/* coherent device: the attribute changes nothing, WB linear map */
	p = alloc_k(coh, 0x2000, "default-cma", ANY);
	a = last_dma(coh);
	dma_free_coherent(coh, 0x2000, p, a);
	p = dma_alloc_wc(coh, 0x2000, &h, GFP_KERNEL);
	assert_int_equal(h, a);
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WB);
	assert_ptr_equal(p, dmapool_phys_to_virt(m, h));
	/* GFP_ATOMIC on the non-coherent device: the pool, WC either way */
	p = dma_alloc_wc(nc, 0x1000, &h, GFP_ATOMIC);
	assert_string_equal(last(nc).backend, "atomic-dma");
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WC);
}

/* DMA_ATTR_NO_KERNEL_MAPPING: a struct page cookie, memory not zeroed. */
static void attr_no_kernel_mapping(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *coh = dev(m, "probe@2"), *nc = dev(m, "probe@3");
	uint8_t buf[0x2000];
	struct dmapool_decision x;
	dma_addr_t h;
	void *p, *cookie;

	(void)state;
	p = alloc_k(coh, 0x2000, "default-cma", 0x900c0000);
	memset(p, 0xa5, 0x2000);
	dma_free_coherent(coh, 0x2000, p, 0x900c0000);
	cookie = alloc_x(coh, 0x2000, GFP_KERNEL, DMA_ATTR_NO_KERNEL_MAPPING,
			 "default-cma", 0x900c0000);
	x = last(coh);
	assert_true(has_step(&x, "no-kernel-mapping", "yes"));
	assert_int_equal(page_to_phys((struct page *)cookie), 0x900c0000);
	assert_int_equal(dmapool_cpu_attr(m, cookie), DMAPOOL_ATTR_NONE);
	assert_int_equal(dmapool_dev_read(coh, 0x900c0000, buf, sizeof(buf)), 0);
	assert_true(all_bytes(buf, 0xa5, sizeof(buf)));		/* not zeroed */
	dma_free_attrs(coh, 0x2000, cookie, 0x900c0000, DMA_ATTR_NO_KERNEL_MAPPING);
	p = alloc_k(coh, 0x2000, "default-cma", 0x900c0000);	/* freed */
	assert_true(all_bytes(p, 0, 0x2000));			/* normal path zeroes */
	/* non-coherent device: still a page, no remapping */
	cookie = dma_alloc_attrs(nc, 0x1000, &h, GFP_KERNEL, DMA_ATTR_NO_KERNEL_MAPPING);
	assert_non_null(cookie);
	assert_int_equal(page_to_phys((struct page *)cookie), h);
	assert_ptr_equal(page_address((struct page *)cookie), dmapool_phys_to_virt(m, h));
	x = last(nc);
	assert_false(has_step(&x, "remap", NULL));
	assert_int_equal(x.attr, DMAPOOL_ATTR_NONE);
	dma_free_attrs(nc, 0x1000, cookie, h, DMA_ATTR_NO_KERNEL_MAPPING);
}

/* __GFP_NOWARN / DMA_ATTR_NO_WARN silence CMA and the page allocator. */
static void attr_no_warn(void **state)
{
	struct dmapool_machine *m = load_oracle("54-probe-cma-align", NULL);
	struct device *d = dev(m, "probe@0");
	dma_addr_t h;
	size_t n0;

	(void)state;
	assert_int_equal(of_reserved_mem_device_init(d), 0);
	alloc_k(d, 0x800000, "dev-cma", 0x80000000);
	alloc_k(d, 0x800000, "dev-cma", 0x80800000);	/* the area is full */
	n0 = logn(m);
	assert_non_null(dma_alloc_coherent(d, 0x2000, &h, GFP_KERNEL | __GFP_NOWARN));
	assert_int_equal(last(d).attrs, DMA_ATTR_NO_WARN);
	assert_string_equal(last(d).backend, "buddy-dma");
	alloc_x(d, 0x2000, GFP_KERNEL, DMA_ATTR_NO_WARN, "buddy-dma", ANY);
	alloc_x(d, 0x800000, GFP_KERNEL, DMA_ATTR_NO_WARN, "none", FAIL);
	assert_null(dma_alloc_coherent(d, 0x800000, &h, GFP_KERNEL | __GFP_NOWARN));
	assert_int_equal(logn(m), n0);				/* silent */
	/* the same without NOWARN: two CMA lines each time, WARNING once */
	alloc_k(d, 0x800000, "none", FAIL);
	assert_int_equal(log_count(m, n0, "cma: __cma_alloc: cma-a@80000000: alloc failed, req-size: 2048 pages, ret: -12"), 1);
	assert_int_equal(log_count(m, n0, "cma: number of available pages: => 0 free of 4096 total pages"), 1);
	assert_int_equal(log_count(m, n0, PAGE_ALLOC_WARN), 1);
	alloc_k(d, 0x800000, "none", FAIL);
	assert_int_equal(log_count_prefix(m, n0, "cma: __cma_alloc: "), 2);
	assert_int_equal(log_count(m, n0, PAGE_ALLOC_WARN), 1);
}

/*
 * __GFP_NOWARN also silences the atomic pool's WARN: 6.12's
 * dma_alloc_from_pool() warns "DMA pool exhausted" only when the gfp lacks
 * __GFP_NOWARN, and dma_direct_alloc() turns DMA_ATTR_NO_WARN into it.
 */
static void attr_no_warn_atomic_pool(void **state)
{
	struct dmapool_machine *m = load_oracle("47-probe-atomic-exhaust", NULL);
	struct device *d = dev(m, "probe@0");
	dma_addr_t h;
	size_t n0;

	(void)state;
	alloc_a(d, 0x40000, "atomic-dma", 0xb9a40000);	/* the whole DMA pool */
	n0 = logn(m);
	assert_null(dma_alloc_coherent(d, 0x1000, &h, GFP_ATOMIC | __GFP_NOWARN));
	alloc_x(d, 0x1000, GFP_ATOMIC, DMA_ATTR_NO_WARN, "none", FAIL);
	assert_int_equal(log_count_prefix(m, n0, "DMA pool exhausted"), 0);
	assert_int_equal(log_count(m, n0, POOL_WARN), 0);
	alloc_a(d, 0x1000, "none", FAIL);
	assert_int_equal(log_count(m, n0, "DMA pool exhausted for probe@0"), 1);
	assert_int_equal(log_count(m, n0, POOL_WARN), 1);
}

/* FORCE_CONTIGUOUS and ALLOC_SINGLE_PAGES are accepted and change nothing
 * on the direct path. */
static void attr_force_contiguous_single_pages(void **state)
{
	static const unsigned long attrs[] = {
		0, DMA_ATTR_FORCE_CONTIGUOUS, DMA_ATTR_ALLOC_SINGLE_PAGES,
		DMA_ATTR_FORCE_CONTIGUOUS | DMA_ATTR_ALLOC_SINGLE_PAGES,
	};
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	const char *names[] = { "probe@2", "probe@3" };

	(void)state;
	for (int k = 0; k < 2; k++) {
		struct device *d = dev(m, names[k]);
		enum dmapool_attr want = k ? DMAPOOL_ATTR_WC : DMAPOOL_ATTR_WB;

		for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
			void *p = alloc_x(d, 0x4000, GFP_KERNEL, attrs[i],
					  "default-cma", 0x900c0000);

			assert_int_equal(dmapool_cpu_attr(m, p), want);
			assert_true(all_bytes(p, 0, 0x4000));
			memset(p, 0x11, 0x4000);
			dma_free_attrs(d, 0x4000, p, 0x900c0000, attrs[i]);
		}
	}
}

/* Non-blocking calls never reach CMA, even the device's own area. */
static void gfp_atomic_never_reaches_cma(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d1 = dev(m, "probe@1");
	struct dmapool_decision x;

	(void)state;
	assert_int_equal(of_reserved_mem_device_init(d1), 0);
	alloc_a(d1, 0x2000, "buddy-dma", ANY);
	x = last(d1);
	assert_true(has_step(&x, "cma", "skip"));
	assert_false(in_range(x.phys, 0x80000000, 0x81000000));
	alloc_x(d1, 0x1000, GFP_NOWAIT, 0, "buddy-dma", ANY);
	assert_false(in_range(last_dma(d1), 0x80000000, 0x81000000));
	alloc_k(d1, 0x2000, "dev-cma", 0x80000000);
}

/* __GFP_COMP is refused; zone modifiers passed by the caller are ignored;
 * __GFP_ZERO is accepted. */
static void gfp_flags(void **state)
{
	struct dmapool_machine *m = load_oracle("50-probe-masks-8G-coherent", "cma=0");
	struct device *d = dev(m, "probe@4");
	const gfp_t zone[] = { GFP_DMA, GFP_DMA32, __GFP_HIGHMEM, GFP_DMA | GFP_DMA32 };
	struct dmapool_decision x;
	dma_addr_t a, h;
	void *p;

	(void)state;
	assert_int_equal(dma_set_mask_and_coherent(d, DMA_BIT_MASK(64)), 0);
	p = alloc_k(d, 0x1000, "buddy-normal", ANY);
	a = last_dma(d);
	assert_true(a >= SZ_4G);
	for (size_t i = 0; i < sizeof(zone) / sizeof(zone[0]); i++) {
		dma_free_coherent(d, 0x1000, p, a);
		p = alloc_x(d, 0x1000, GFP_KERNEL | zone[i], 0, "buddy-normal", a);
		x = last(d);
		assert_true(has_step(&x, "zone", "no zone modifier"));
	}
	assert_true(last(d).gfp & __GFP_DMA);	/* recorded as passed */
	alloc_x(d, 0x1000, GFP_KERNEL | __GFP_COMP, 0, "none", FAIL);
	/* __GFP_ZERO: accepted, the buffer is zero */
	memset(p, 0x77, 0x1000);
	dma_free_coherent(d, 0x1000, p, a);
	p = dma_alloc_coherent(d, 0x1000, &h, GFP_KERNEL | __GFP_ZERO);
	assert_non_null(p);
	assert_int_equal(h, a);
	assert_true(all_bytes(p, 0, 0x1000));
}

/* ================================================================== */
/* Group 3: the CPU side                                               */
/* ================================================================== */

static void cpu_noncoherent_remap(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d = dev(m, "probe@3");
	uint8_t buf[0x3000], *p, *lin;
	dma_addr_t h;

	(void)state;
	/* dirty the pages first, through the linear map */
	lin = dmapool_phys_to_virt(m, 0x900c0000);
	assert_non_null(lin);
	memset(lin, 0xee, 0x4000);
	p = dma_alloc_coherent(d, 0x2800, &h, GFP_KERNEL);
	assert_non_null(p);
	assert_int_equal(h, 0x900c0000);
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WC);
	assert_int_equal(dmapool_cpu_attr(m, lin), DMAPOOL_ATTR_WB);
	assert_true(p != lin);
	assert_int_equal(dmapool_virt_to_phys(m, p), h);
	assert_true(all_bytes(p, 0, 0x2800));
	for (int i = 0; i < 0x2800; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(dmapool_report_count(m), 0);
	/*
	 * The cacheable linear alias of a remapped buffer: the CPU gets in
	 * (each page once, reported), and sees what its cache held, not the
	 * bytes written through the WC mapping.
	 */
	for (int i = 0, same = 0; i < 0x2800; i++)
		if ((same += p[i] == lin[i]) == 0x2800)
			fail_msg("the linear alias sees the WC writes");
	assert_int_equal(dmapool_report_count_kind(m, "cpu-alias-access"), 3);
	assert_true(all_bytes(lin + 0x3000, 0xee, 0x1000));	/* not beyond */
	assert_int_equal(dmapool_report_count(m), 3);
	assert_int_equal(dmapool_dev_read(d, h, buf, 0x2800), 0);
	assert_int_equal(memcmp(buf, p, 0x2800), 0);
	memset(buf, 0x3c, 0x100);
	assert_int_equal(dmapool_dev_write(d, h + 0x1000, buf, 0x100), 0);
	assert_true(all_bytes(p + 0x1000, 0x3c, 0x100));
	assert_int_equal(dmapool_report_count(m), 3);
	dma_free_coherent(d, 0x2800, p, h);
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_NONE);
	/* freed: the linear alias shows DRAM again, no trap */
	assert_int_equal(lin[0x1000], 0x3c);
	assert_int_equal(lin[5], (uint8_t)(5 * 7 + 3));
	assert_int_equal(dmapool_report_count(m), 3);
}

static void cpu_coherent_linear(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d = dev(m, "probe@2");
	uint8_t buf[16], *p;
	dma_addr_t h;

	(void)state;
	memset(dmapool_phys_to_virt(m, 0x900c0000), 0xee, 0x4000);
	p = dma_alloc_coherent(d, 0x2800, &h, GFP_KERNEL);
	assert_non_null(p);
	assert_int_equal(h, 0x900c0000);
	assert_ptr_equal(p, dmapool_phys_to_virt(m, h));
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WB);
	assert_int_equal(dmapool_virt_to_phys(m, p), h);
	assert_true(all_bytes(p, 0, 0x3000));
	assert_true(all_bytes(p + 0x3000, 0xee, 0x1000));
	memcpy(p + 0x20, "coherent buffer", 16);
	assert_int_equal(dmapool_dev_read(d, h + 0x20, buf, 16), 0);
	assert_memory_equal(buf, "coherent buffer", 16);
	/* one page from the buddy: also the linear address */
	p = alloc_k(d, 0x1000, "buddy-dma", ANY);
	assert_ptr_equal(p, dmapool_phys_to_virt(m, last_dma(d)));
}

/* Per-device pool memory is WC (memremap), whatever the device's
 * coherency, and only the requested size is zeroed. */
static void cpu_dev_pool_wc(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d = dev(m, "probe@0");
	uint8_t buf[0x1000], *p;

	(void)state;
	assert_true(dev_is_dma_coherent(d));
	assert_int_equal(of_reserved_mem_device_init(d), 0);
	p = alloc_k(d, 0x1000, "dev-coherent", 0x70000000);
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WC);
	assert_int_equal(dmapool_virt_to_phys(m, p), 0x70000000);
	/* no-map: __va() is arithmetic and the address a hole of the linear
	 * map; touching it faults in the kernel, and is reported here */
	assert_int_equal(dmapool_cpu_attr(m, dmapool_phys_to_virt(m, 0x70000000)),
			 DMAPOOL_ATTR_NONE);
	assert_int_equal(((volatile uint8_t *)dmapool_phys_to_virt(m, 0x70000000))[8], 0);
	assert_int_equal(dmapool_report_count_kind(m, "cpu-nomap-access"), 1);
	dmapool_report_clear(m);
	assert_true(all_bytes(p, 0, 0x1000));
	memset(p, 0xff, 0x1000);
	assert_int_equal(dmapool_dev_read(d, 0x70000000, buf, sizeof(buf)), 0);
	assert_true(all_bytes(buf, 0xff, sizeof(buf)));
	dma_free_coherent(d, 0x1000, p, 0x70000000);
	p = alloc_k(d, 0x100, "dev-coherent", 0x70000000);
	assert_true(all_bytes(p, 0, 0x100));
	assert_true(all_bytes(p + 0x100, 0xff, 0xf00));	/* memset(size) only */
}

/* A pool declared on memory outside RAM (on-chip SRAM style) is mapped
 * with memremap(MEMREMAP_WC) -> ioremap_wc: the CPU pointer is WC too. */
static void cpu_declared_pool_outside_ram_wc(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d = dev(m, "probe@2");
	void *p;

	(void)state;
	assert_int_equal(dma_declare_coherent_memory(d, 0x0e000000, 0x0e000000, 0x10000), 0);
	p = alloc_k(d, 0x1000, "dev-coherent", 0x0e000000);
	assert_int_equal(last(d).attr, DMAPOOL_ATTR_WC);
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WC);
}

/* ================================================================== */
/* Group 4: masks (spec §13)                                           */
/* ================================================================== */

static void masks_2g(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d = dev(m, "probe@2");

	(void)state;
	assert_int_equal(dma_get_mask(d), DMA_BIT_MASK(32));
	assert_int_equal(dma_get_coherent_mask(d), DMA_BIT_MASK(32));
	assert_int_equal(dma_set_mask(d, DMA_BIT_MASK(24)), -EIO);
	assert_int_equal(dma_set_mask(d, DMA_BIT_MASK(30)), -EIO);
	assert_int_equal(dma_get_mask(d), DMA_BIT_MASK(32));	/* kept */
	assert_int_equal(dma_set_coherent_mask(d, DMA_BIT_MASK(30)), -EIO);
	assert_int_equal(dma_get_coherent_mask(d), DMA_BIT_MASK(32));
	assert_false(dma_supported(d, DMA_BIT_MASK(24)));
	assert_false(dma_supported(d, DMA_BIT_MASK(30)));
	/* RAM ends at 0xbfffffff: 31 bits are not enough either */
	assert_false(dma_supported(d, DMA_BIT_MASK(31)));
	assert_true(dma_supported(d, DMA_BIT_MASK(32)));
	assert_int_equal(dma_set_mask(d, DMA_BIT_MASK(40)), 0);
	assert_int_equal(dma_get_mask(d), DMA_BIT_MASK(40));
	assert_int_equal(dma_get_coherent_mask(d), DMA_BIT_MASK(32));	/* separate */
	assert_int_equal(dma_set_coherent_mask(d, DMA_BIT_MASK(64)), 0);
	assert_int_equal(dma_get_coherent_mask(d), DMA_BIT_MASK(64));
	assert_int_equal(dma_set_mask(d, DMA_BIT_MASK(64)), 0);
	assert_int_equal(dma_set_mask_and_coherent(d, DMA_BIT_MASK(32)), 0);
	assert_int_equal(dma_get_mask(d), DMA_BIT_MASK(32));
	assert_int_equal(dma_get_coherent_mask(d), DMA_BIT_MASK(32));
	assert_int_equal(dma_coerce_mask_and_coherent(d, DMA_BIT_MASK(40)), 0);
	assert_int_equal(dma_get_mask(d), DMA_BIT_MASK(40));
	assert_int_equal(dma_get_coherent_mask(d), DMA_BIT_MASK(40));
	/* 2 GiB at 0x40000000: the top byte is 0xbfffffff */
	assert_int_equal(dma_get_required_mask(d), 0xffffffffULL);
	assert_int_equal(dma_set_mask_and_coherent(d, DMA_BIT_MASK(32)), 0);
	assert_false(dma_addressing_limited(d));
	/* the SWIOTLB exists (2 MiB, for unaligned kmalloc) but the device is
	 * not limited: no cap */
	assert_non_null(log_find_prefix(m, "software IO TLB: mapped"));
	assert_int_equal(dma_max_mapping_size(d), SIZE_MAX);
}

static void masks_8g(void **state)
{
	struct dmapool_machine *m = load_oracle("49-probe-atomic-8G", NULL);
	struct device *d32 = dev(m, "probe@3"), *d64 = dev(m, "probe@5");

	(void)state;
	assert_non_null(log_find_prefix(m, "software IO TLB: mapped"));
	assert_int_equal(dma_get_required_mask(d32), 0x3ffffffffULL);
	assert_int_equal(dma_set_mask_and_coherent(d32, DMA_BIT_MASK(30)), -EIO);
	assert_int_equal(dma_set_mask_and_coherent(d32, DMA_BIT_MASK(24)), -EIO);
	assert_int_equal(dma_set_mask_and_coherent(d32, DMA_BIT_MASK(32)), 0);
	assert_true(dma_addressing_limited(d32));
	assert_int_equal(dma_max_mapping_size(d32), 0x40000);
	assert_int_equal(dma_set_mask_and_coherent(d64, DMA_BIT_MASK(64)), 0);
	assert_false(dma_addressing_limited(d64));
	assert_int_equal(dma_max_mapping_size(d64), SIZE_MAX);
	/* 34 bits are exactly enough on this machine, 33 are not */
	assert_int_equal(dma_set_mask(d64, DMA_BIT_MASK(34)), 0);
	assert_false(dma_addressing_limited(d64));
	assert_int_equal(dma_set_mask(d64, DMA_BIT_MASK(33)), 0);
	assert_true(dma_addressing_limited(d64));
}

/* ================================================================== */
/* Group 5: per-device pools API                                       */
/* ================================================================== */

static void declare_coherent_memory_api(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d2 = dev(m, "probe@2"), *d3 = dev(m, "probe@3");
	size_t n0;
	void *p;

	(void)state;
	assert_int_equal(dma_declare_coherent_memory(d2, 0x70000000, 0x70000000, 0x80000), 0);
	p = alloc_k(d2, 0x1000, "dev-coherent", 0x70000000);
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WC);
	alloc_k(d2, 0x4000, "dev-coherent", 0x70004000);
	assert_int_equal(dma_declare_coherent_memory(d2, 0x70080000, 0x70080000, 0x80000), -EBUSY);
	alloc_k(d2, 0x1000, "dev-coherent", 0x70001000);	/* first pool kept */
	assert_int_equal(dma_declare_coherent_memory(d3, 0x70080000, 0x70080000, 0), -EINVAL);
	n0 = logn(m);
	assert_int_equal(dma_declare_coherent_memory(d3, 0x50000000, 0x50000000, 0x100000), -EINVAL);
	assert_int_equal(log_count(m, n0, "memremap attempted on ram 0x0000000050000000 size: 0x100000"), 1);
	alloc_a(d3, 0x1000, "atomic-dma", ANY);		/* d3 still has no pool */
	assert_int_equal(dma_declare_coherent_memory(NULL, 0x70080000, 0x70080000, 0x80000), -ENODEV);
	/* the pool is the only source: full -> NULL */
	alloc_k(d2, 0x80000, "none", FAIL);
	/* release: back to dma-direct */
	dma_free_coherent(d2, 0x1000, p, 0x70000000);
	dma_release_coherent_memory(d2);
	alloc_k(d2, 0x1000, "buddy-dma", ANY);
	assert_false(in_range(last_dma(d2), 0x70000000, 0x70100000));
	/* and the range can be declared again */
	assert_int_equal(dma_declare_coherent_memory(d2, 0x70000000, 0x70000000, 0x80000), 0);
	alloc_k(d2, 0x1000, "dev-coherent", 0x70000000);
}

/* dma_declare_coherent_memory() builds the pool before it looks at the
 * device (dma_init_coherent_memory, then dma_assign_coherent_memory):
 * a bad region is -EINVAL, with the memremap lines, even for a NULL dev. */
static void declare_checks_region_before_device(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	size_t n0 = logn(m);

	(void)state;
	assert_int_equal(dma_declare_coherent_memory(NULL, 0x70000000, 0x70000000, 0), -EINVAL);
	assert_int_equal(dma_declare_coherent_memory(NULL, 0x50000000, 0x50000000, 0x100000), -EINVAL);
	assert_int_equal(log_count(m, n0, "memremap attempted on ram 0x0000000050000000 size: 0x100000"), 1);
}

static void rmem_device_init_release(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d0 = dev(m, "probe@0"), *d4 = dev(m, "probe@4");
	void *a, *b;

	(void)state;
	assert_int_equal(of_reserved_mem_device_init(d0), 0);
	a = alloc_k(d0, 0x1000, "dev-coherent", 0x70000000);
	of_reserved_mem_device_release(d0);
	b = alloc_k(d0, 0x1000, "buddy-dma", ANY);
	assert_false(in_range(last_dma(d0), 0x70000000, 0x70100000));
	dma_free_coherent(d0, 0x1000, b, last_dma(d0));
	/* attached again: the same pool object, its bitmap kept */
	assert_int_equal(of_reserved_mem_device_init(d0), 0);
	alloc_k(d0, 0x1000, "dev-coherent", 0x70001000);
	dma_free_coherent(d0, 0x1000, a, 0x70000000);
	alloc_k(d0, 0x1000, "dev-coherent", 0x70000000);
	/* a CMA region by index, then released */
	assert_int_equal(of_reserved_mem_device_init_by_idx(d4, dev_of_node(d4), 1), 0);
	alloc_k(d4, 0x2000, "dev-cma", 0x80000000);
	alloc_k(d4, 0x1000, "dev-cma", 0x80002000);	/* any size */
	of_reserved_mem_device_release(d4);
	alloc_k(d4, 0x2000, "default-cma", 0x900c0000);
	alloc_k(d4, 0x1000, "buddy-dma", ANY);
}

/* ================================================================== */
/* Group 6: user mappings                                              */
/* ================================================================== */

static void mmap_noncoherent(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d = dev(m, "probe@3");
	struct vm_area_struct vma;
	uint8_t *p, *u;
	dma_addr_t h;
	long maps;

	(void)state;
	assert_true(dma_can_mmap(d));
	p = dma_alloc_coherent(d, 0x3000, &h, GFP_KERNEL);
	assert_non_null(p);
	maps = maps_now();
	memset(&vma, 0, sizeof(vma));
	vma.vm_end = 0x3000;
	assert_int_equal(dma_mmap_coherent(d, &vma, p, h, 0x3000), 0);
	u = (uint8_t *)vma.vm_start;
	assert_non_null(u);
	assert_int_equal(vma.vm_start & 0xfff, 0);
	assert_int_equal(vma.vm_end - vma.vm_start, 0x3000);
	assert_true(u != p);
	assert_int_equal(vma.vm_page_prot.pgprot, DMAPOOL_ATTR_WC);
	assert_int_equal(dmapool_cpu_attr(m, u), DMAPOOL_ATTR_WC);
	memcpy(u + 0x1005, "user", 4);
	assert_memory_equal(p + 0x1005, "user", 4);
	memcpy(p + 0x2ffc, "kern", 4);
	assert_memory_equal(u + 0x2ffc, "kern", 4);
	assert_int_equal(dmapool_munmap(&vma), 0);
	assert_int_equal(vma.vm_start, 0);
	assert_int_equal(maps_now(), maps);
	/* an offset into the buffer */
	memset(&vma, 0, sizeof(vma));
	vma.vm_end = 0x2000;
	vma.vm_pgoff = 1;
	assert_int_equal(dma_mmap_coherent(d, &vma, p, h, 0x3000), 0);
	u = (uint8_t *)vma.vm_start;
	assert_memory_equal(u + 5, "user", 4);
	assert_int_equal(dmapool_munmap(&vma), 0);
	dma_free_coherent(d, 0x3000, p, h);
}

static void mmap_bounds_and_others(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *nc = dev(m, "probe@3"), *coh = dev(m, "probe@2");
	struct device *pd = dev(m, "probe@0");
	struct vm_area_struct vma;
	uint8_t *p, *q, *r;
	dma_addr_t h, hq, hr;
	long maps = maps_now();

	(void)state;
	p = dma_alloc_coherent(nc, 0x2800, &h, GFP_KERNEL);	/* 3 pages */
	assert_non_null(p);
	maps = maps_now();
	memset(&vma, 0, sizeof(vma));
	vma.vm_end = 0x1000;
	vma.vm_pgoff = 3;
	assert_int_equal(dma_mmap_coherent(nc, &vma, p, h, 0x2800), -ENXIO);
	vma.vm_pgoff = 0;
	vma.vm_end = 0x4000;
	assert_int_equal(dma_mmap_coherent(nc, &vma, p, h, 0x2800), -ENXIO);
	vma.vm_pgoff = 2;
	vma.vm_end = 0x2000;
	assert_int_equal(dma_mmap_coherent(nc, &vma, p, h, 0x2800), -ENXIO);
	assert_int_equal(maps_now(), maps);		/* nothing mapped */
	vma.vm_end = 0x1000;
	assert_int_equal(dma_mmap_coherent(nc, &vma, p, h, 0x2800), 0);
	assert_int_equal(dmapool_munmap(&vma), 0);
	/* coherent device: a cacheable user mapping */
	q = dma_alloc_coherent(coh, 0x2000, &hq, GFP_KERNEL);
	memset(&vma, 0, sizeof(vma));
	vma.vm_end = 0x2000;
	assert_int_equal(dma_mmap_coherent(coh, &vma, q, hq, 0x2000), 0);
	assert_int_equal(vma.vm_page_prot.pgprot, DMAPOOL_ATTR_WB);
	assert_int_equal(dmapool_cpu_attr(m, (void *)vma.vm_start), DMAPOOL_ATTR_WB);
	((uint8_t *)vma.vm_start)[0x1234] = 0x5a;
	assert_int_equal(q[0x1234], 0x5a);
	assert_int_equal(dmapool_munmap(&vma), 0);
	/* a per-device pool buffer maps from the pool; bounds are checked */
	assert_int_equal(of_reserved_mem_device_init(pd), 0);
	r = dma_alloc_coherent(pd, 0x2000, &hr, GFP_KERNEL);
	assert_int_equal(hr, 0x70000000);
	memset(&vma, 0, sizeof(vma));
	vma.vm_end = 0x2000;
	assert_int_equal(dma_mmap_coherent(pd, &vma, r, hr, 0x2000), 0);
	((uint8_t *)vma.vm_start)[0x1fff] = 0xa5;
	assert_int_equal(r[0x1fff], 0xa5);
	assert_int_equal(dmapool_munmap(&vma), 0);
	memset(&vma, 0, sizeof(vma));
	vma.vm_end = 0x3000;
	assert_int_equal(dma_mmap_coherent(pd, &vma, r, hr, 0x2000), -ENXIO);
	assert_true(dmapool_munmap(&vma) < 0);		/* nothing mapped */
	dma_free_coherent(nc, 0x2800, p, h);
	dma_free_coherent(coh, 0x2000, q, hq);
	dma_free_coherent(pd, 0x2000, r, hr);
}

static void get_sgtable_one_entry(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d = dev(m, "probe@3");
	struct sg_table t;
	struct scatterlist *sg;
	dma_addr_t h;
	void *p;

	(void)state;
	p = dma_alloc_coherent(d, 0x1800, &h, GFP_KERNEL);
	assert_non_null(p);
	memset(&t, 0, sizeof(t));
	assert_int_equal(dma_get_sgtable(d, &t, p, h, 0x1800), 0);
	assert_int_equal(t.nents, 1);
	assert_int_equal(t.orig_nents, 1);
	sg = t.sgl;
	assert_non_null(sg);
	assert_true(sg_is_last(sg));
	assert_null(sg_next(sg));
	assert_int_equal(page_to_phys(sg_page(sg)), h);
	assert_int_equal(sg_phys(sg), h);
	assert_int_equal(sg->length, 0x2000);	/* PAGE_ALIGN(size) */
	assert_int_equal(sg->offset, 0);
	/* the page's own (linear) address, not the WC remapping */
	assert_ptr_equal(sg_virt(sg), dmapool_phys_to_virt(m, h));
	assert_true(sg_virt(sg) != p);
	sg_free_table(&t);
	assert_null(t.sgl);
	assert_int_equal(t.nents, 0);
	dma_free_coherent(d, 0x1800, p, h);
}

static void can_mmap_everywhere(void **state)
{
	static const struct {
		const char *tree, *arch, *devs[2];
		uint64_t ram;
	} cases[] = {
		{ "simple", "riscv64", { "plain", "nc" }, 0x40000000 },
		{ "simple", "x86_64", { "plain", "nc" }, 0x40000000 },
		{ "arm", "arm", { "nc", "coh" }, 0x40000000 },
		{ "arm", "arm-nommu", { "nc", "coh" }, 0x10000000 },
	};

	(void)state;
	assert_false(dma_can_mmap(NULL));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dmapool_machine *m = load_dts(cases[i].tree, cases[i].arch,
						     cases[i].ram, NULL);

		assert_true(dma_can_mmap(dev(m, cases[i].devs[0])));
		assert_true(dma_can_mmap(dev(m, cases[i].devs[1])));
		unload(m);
	}
}

/* ================================================================== */
/* Group 7: profiles                                                   */
/* ================================================================== */

/* riscv64: ARCH_DMA_DEFAULT_COHERENT; dma-noncoherent devices are remapped
 * uncached (pgprot_noncached); no ZONE_DMA, so 32 bits means DMA32. */
static void profile_riscv64(void **state)
{
	struct dmapool_machine *m = load_dts("simple", "riscv64", 0x80000000, NULL);
	struct device *pl = dev(m, "plain"), *nc = dev(m, "nc");
	void *p;

	(void)state;
	assert_true(dev_is_dma_coherent(pl));
	assert_false(dev_is_dma_coherent(nc));
	p = alloc_k(pl, 0x1000, "buddy-dma32", ANY);
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WB);
	assert_ptr_equal(p, dmapool_phys_to_virt(m, last_dma(pl)));
	p = alloc_k(nc, 0x1000, "buddy-dma32", ANY);
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_UC);
	assert_true(p != dmapool_phys_to_virt(m, last_dma(nc)));
	p = alloc_a(nc, 0x2000, "atomic-dma32", ANY);
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_UC);
	assert_int_equal(log_count_prefix(m, 0, "DMA: preallocated"), 2);	/* no DMA pool */
	alloc_k(pl, 0x2000, "default-cma", ANY);
	alloc_a(pl, 0x2000, "buddy-dma32", ANY);
}

/* x86_64: every device coherent, no remapping, no atomic pools. */
static void profile_x86_64_all_coherent(void **state)
{
	struct dmapool_machine *m = load_dts("simple", "x86_64", 0x80000000, NULL);
	struct device *pl = dev(m, "plain"), *nc = dev(m, "nc");
	struct dmapool_decision x;
	dma_addr_t h;
	void *p;

	(void)state;
	assert_true(dev_is_dma_coherent(pl));
	assert_true(dev_is_dma_coherent(nc));	/* dma-noncoherent is ignored */
	assert_null(log_find_prefix(m, "cma: Reserved"));	/* CMA_SIZE_MBYTES 0 */
	p = dma_alloc_coherent(nc, 0x2000, &h, GFP_ATOMIC);
	assert_non_null(p);
	x = last(nc);
	assert_int_equal(strncmp(x.backend, "buddy-", 6), 0);
	assert_false(has_step(&x, "atomic", NULL));
	assert_false(has_step(&x, "remap", NULL));
	assert_true(has_step(&x, "coherent", "yes"));
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WB);
	assert_ptr_equal(p, dmapool_phys_to_virt(m, h));
	p = dma_alloc_coherent(nc, 0x4000, &h, GFP_KERNEL);
	assert_non_null(p);
	assert_int_equal(strncmp(last(nc).backend, "buddy-", 6), 0);	/* no CMA */
	assert_ptr_equal(p, dmapool_phys_to_virt(m, h));
}

/* x86_64's ZONE_DMA is the ISA 16 MiB (zone_dma_limit DMA_BIT_MASK(24),
 * spec §2.1): a 32-bit device allocates from ZONE_DMA32 and a 24-bit mask
 * is accepted (spec §13: "x86 with >16 MiB RAM accepts 24-bit masks"). */
static void profile_x86_64_zone_dma(void **state)
{
	struct dmapool_machine *m = load_dts("simple", "x86_64", 0x80000000, NULL);
	struct device *pl = dev(m, "plain"), *nc = dev(m, "nc");

	(void)state;
	alloc_k(pl, 0x1000, "buddy-dma32", ANY);
	assert_true(last_dma(pl) >= 0x1000000);
	assert_int_equal(dma_set_mask_and_coherent(nc, DMA_BIT_MASK(24)), 0);
	alloc_k(nc, 0x1000, "buddy-dma", ANY);
	assert_true(last_dma(nc) < 0x1000000);
}

/* ================================================================== */
/* Group 8: failure paths and their kernel lines                       */
/* ================================================================== */

/* 47-probe-atomic-exhaust, the oracle's full sequence and lines. */
static void atomic_exhaustion_oracle_sequence(void **state)
{
	static const char *const exhausted0 = "DMA pool exhausted for probe@0";
	static const char *const exhausted1 = "DMA pool exhausted for probe@1";
	struct dmapool_machine *m = load_oracle("47-probe-atomic-exhaust", NULL);
	struct device *d0 = dev(m, "probe@0"), *d1 = dev(m, "probe@1");
	void *b1, *c0;
	size_t n0, i;

	(void)state;
	alloc_a(d0, 0x10000, "atomic-dma", 0xb9a40000);
	b1 = alloc_a(d0, 0x10000, "atomic-dma", 0xb9a50000);
	alloc_a(d0, 0x10000, "atomic-dma", 0xb9a60000);
	alloc_a(d0, 0x8000, "atomic-dma", 0xb9a70000);
	alloc_a(d0, 0x4000, "atomic-dma", 0xb9a78000);
	alloc_a(d0, 0x2000, "atomic-dma", 0xb9a7c000);
	alloc_a(d0, 0x1000, "atomic-dma", 0xb9a7e000);
	alloc_a(d0, 0x1000, "atomic-dma", 0xb9a7f000);
	n0 = logn(m);
	alloc_a(d0, 0x1000, "none", FAIL);
	/* the two lines, in this order, right after the call */
	assert_int_equal(logn(m), n0 + 2);
	assert_string_equal(dmapool_log_line(m, n0), exhausted0);
	assert_string_equal(dmapool_log_line(m, n0 + 1), POOL_WARN);
	dma_free_coherent(d0, 0x10000, b1, 0xb9a50000);
	alloc_a(d0, 0x10000, "atomic-dma", 0xb9a50000);
	alloc_a(d0, 0x1000, "none", FAIL);
	alloc_a(d0, 0x40000, "none", FAIL);
	alloc_a(d0, 0x100000, "none", FAIL);
	/* each failure prints both lines again (a WARN, not WARN_ONCE) */
	assert_int_equal(log_count(m, n0, exhausted0), 4);
	assert_int_equal(log_count(m, n0, POOL_WARN), 4);
	for (i = n0; i < logn(m); i++)
		if (!strcmp(dmapool_log_line(m, i), exhausted0))
			assert_string_equal(dmapool_log_line(m, i + 1), POOL_WARN);
	/* between the devices the refill work runs: the DMA pool doubles */
	dmapool_flush_work(m);
	assert_int_equal(dma_set_mask_and_coherent(d1, DMA_BIT_MASK(64)), 0);
	c0 = alloc_a(d1, 0x40000, "atomic-kernel", 0xb9a00000);
	alloc_a(d1, 0x40000, "atomic-dma32", 0xb9a80000);
	alloc_a(d1, 0x40000, "atomic-dma", 0xb9ac0000);
	n0 = logn(m);
	alloc_a(d1, 0x40000, "none", FAIL);
	alloc_a(d1, 0x40000, "none", FAIL);
	alloc_a(d1, 0x1000, "none", FAIL);
	assert_int_equal(log_count(m, n0, exhausted1), 3);
	assert_int_equal(log_count(m, n0, POOL_WARN), 3);
	dma_free_coherent(d1, 0x40000, c0, 0xb9a00000);
	alloc_a(d1, 0x1000, "atomic-kernel", 0xb9a00000);
}

/* The order > MAX_PAGE_ORDER warning is WARN_ON_ONCE: once per machine. */
static void page_order_warning_once_per_machine(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", "cma=0");
	struct device *d = dev(m, "probe@2");

	(void)state;
	alloc_k(d, 0x800000, "none", FAIL);
	assert_int_equal(log_count(m, 0, PAGE_ALLOC_WARN), 1);
	alloc_k(d, 0x1000000, "none", FAIL);
	alloc_a(d, 0x800000, "none", FAIL);
	assert_int_equal(log_count(m, 0, PAGE_ALLOC_WARN), 1);
	unload(m);
	m = load_oracle("20-probe-allocs", "cma=0");	/* a new boot warns again */
	d = dev(m, "probe@2");
	alloc_k(d, 0x800000, "none", FAIL);
	assert_int_equal(log_count(m, 0, PAGE_ALLOC_WARN), 1);
}

/* ================================================================== */
/* Group 9: the decision trace API                                     */
/* ================================================================== */

struct sink_ctx {
	unsigned calls;
	uint64_t first_seq, last_seq;
	bool monotonic;
	char backends[8][32];
};

static void sink(void *c, const struct dmapool_decision *d)
{
	struct sink_ctx *x = c;

	if (x->calls == 0)
		x->first_seq = d->seq;
	else if (d->seq != x->last_seq + 1)
		x->monotonic = false;
	if (x->calls < 8)
		snprintf(x->backends[x->calls], sizeof(x->backends[0]), "%s", d->backend);
	x->last_seq = d->seq;
	x->calls++;
}

static void decision_last_fields(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d = dev(m, "probe@3");
	struct dmapool_decision x;
	dma_addr_t h;
	void *p;

	(void)state;
	assert_int_equal(dmapool_last_decision(d, &x), -ENOENT);
	assert_int_equal(dmapool_last_decision(NULL, &x), -EINVAL);
	assert_int_equal(dmapool_last_decision(d, NULL), -EINVAL);
	p = dma_alloc_attrs(d, 0x3000, &h, GFP_KERNEL, DMA_ATTR_WRITE_COMBINE);
	assert_non_null(p);
	x = last(d);
	assert_int_equal(x.seq, 1);
	assert_string_equal(x.op, "alloc");
	assert_string_equal(x.device, "probe@3");
	assert_int_equal(x.size, 0x3000);
	assert_int_equal(x.gfp, GFP_KERNEL);
	assert_int_equal(x.attrs, DMA_ATTR_WRITE_COMBINE);
	assert_string_equal(x.backend, "default-cma");
	assert_true(x.ok);
	assert_int_equal(x.phys, 0x900c0000);
	assert_int_equal(x.dma, h);
	assert_ptr_equal(x.cpu, p);
	assert_int_equal(x.attr, DMAPOOL_ATTR_WC);
	assert_true(x.nsteps > 3 && x.nsteps <= DMAPOOL_DECISION_MAX_STEPS);
	assert_string_equal(x.steps[0].stage, "dev-coherent");
	assert_string_equal(x.steps[0].func, "dma_alloc_from_dev_coherent");
	assert_true(has_step(&x, "remap", "ok"));
	dma_free_coherent(d, 0x3000, p, h);
	x = last(d);
	assert_int_equal(x.seq, 2);
	assert_string_equal(x.op, "free");
	assert_true(x.ok);
	assert_int_equal(x.dma, h);
	assert_true(has_step(&x, "remap", NULL));	/* vunmap */
	/* a failure */
	assert_null(dma_alloc_coherent(d, 0x100000, &h, GFP_ATOMIC));
	x = last(d);
	assert_int_equal(x.seq, 3);
	assert_false(x.ok);
	assert_string_equal(x.backend, "none");
	assert_int_equal(x.phys, (phys_addr_t)-1);
	assert_int_equal(x.dma, DMA_MAPPING_ERROR);
	assert_null(x.cpu);
	/* another device: its own last record, machine-wide seq */
	alloc_k(dev(m, "probe@2"), 0x1000, "buddy-dma", ANY);
	assert_int_equal(last(dev(m, "probe@2")).seq, 4);
	assert_int_equal(last(d).seq, 3);
}

static void decision_sink_seq(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d0 = dev(m, "probe@0"), *d3 = dev(m, "probe@3");
	struct sink_ctx c = { .monotonic = true };
	dma_addr_t h;
	void *p, *q;

	(void)state;
	assert_int_equal(of_reserved_mem_device_init(d0), 0);
	p = alloc_k(d0, 0x1000, "dev-coherent", 0x70000000);	/* seq 1, unseen */
	dmapool_set_decision_sink(m, sink, &c);
	q = alloc_a(d3, 0x1000, "atomic-dma", ANY);
	h = last_dma(d3);
	dma_free_coherent(d3, 0x1000, q, h);
	dma_free_coherent(d0, 0x1000, p, 0x70000000);
	alloc_k(d0, 0x200000, "none", FAIL);
	assert_int_equal(c.calls, 4);
	assert_int_equal(c.first_seq, 2);
	assert_int_equal(c.last_seq, 5);
	assert_true(c.monotonic);
	assert_string_equal(c.backends[0], "atomic-dma");
	assert_string_equal(c.backends[2], "dev-coherent");
	assert_string_equal(c.backends[3], "none");
	dmapool_set_decision_sink(m, NULL, NULL);
	alloc_k(d0, 0x1000, "dev-coherent", 0x70000000);
	assert_int_equal(c.calls, 4);
}

/* A small JSON parser: true when s is exactly one JSON value. */
static const char *json_ws(const char *s)
{
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	return s;
}

static const char *json_value(const char *s, int depth);

static const char *json_string(const char *s)
{
	if (*s++ != '"')
		return NULL;
	while (*s && *s != '"') {
		if ((unsigned char)*s < 0x20)
			return NULL;
		if (*s == '\\') {
			s++;
			if (*s == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
						return NULL;
				s += 4;
			} else if (!*s || !strchr("\"\\/bfnrt", *s)) {
				return NULL;
			}
		}
		s++;
	}
	return *s == '"' ? s + 1 : NULL;
}

static const char *json_value(const char *s, int depth)
{
	s = json_ws(s);
	if (depth > 32)
		return NULL;
	if (*s == '{' || *s == '[') {
		char close = *s == '{' ? '}' : ']';
		bool obj = *s == '{';

		s = json_ws(s + 1);
		if (*s == close)
			return s + 1;
		for (;;) {
			if (obj) {
				s = json_string(json_ws(s));
				if (!s)
					return NULL;
				s = json_ws(s);
				if (*s++ != ':')
					return NULL;
			}
			s = json_value(s, depth + 1);
			if (!s)
				return NULL;
			s = json_ws(s);
			if (*s == close)
				return s + 1;
			if (*s++ != ',')
				return NULL;
		}
	}
	if (*s == '"')
		return json_string(s);
	if (!strncmp(s, "true", 4))
		return s + 4;
	if (!strncmp(s, "false", 5))
		return s + 5;
	if (!strncmp(s, "null", 4))
		return s + 4;
	if (*s == '-' || (*s >= '0' && *s <= '9')) {
		char *e;

		strtod(s, &e);
		return e != s ? e : NULL;
	}
	return NULL;
}

static bool json_valid(const char *s)
{
	const char *e = json_value(s, 0);

	return e && !*json_ws(e);
}

static void decision_text_and_json(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d = dev(m, "probe@3");
	struct dmapool_decision x;
	char *t, *j;

	(void)state;
	assert_false(json_valid("{\"a\":1,}"));	/* the checker itself */
	assert_true(json_valid("{\"a\":[1,\"b\\n\",null]}"));
	alloc_a(d, 0x2000, "atomic-dma", ANY);
	x = last(d);
	t = dmapool_decision_text(&x);
	assert_non_null(t);
	assert_non_null(strstr(t, "dma_alloc_attrs(probe@3"));
	assert_non_null(strstr(t, "atomic-dma"));
	for (unsigned i = 0; i < x.nsteps; i++)
		assert_non_null(strstr(t, x.steps[i].stage));
	assert_non_null(strstr(t, "dev-coherent"));
	assert_non_null(strstr(t, "remap"));
	free(t);
	j = dmapool_decision_json(&x);
	assert_non_null(j);
	assert_true(json_valid(j));
	assert_non_null(strstr(j, "\"backend\""));
	assert_non_null(strstr(j, "\"atomic-dma\""));
	assert_non_null(strstr(j, "\"steps\""));
	free(j);
	/* a failed allocation serialises too */
	alloc_a(d, 0x200000, "none", FAIL);
	x = last(d);
	j = dmapool_decision_json(&x);
	assert_non_null(j);
	assert_true(json_valid(j));
	assert_non_null(strstr(j, "\"none\""));
	free(j);
	t = dmapool_decision_text(&x);
	assert_non_null(strstr(t, "none"));
	free(t);
	assert_null(dmapool_decision_text(NULL));
	assert_null(dmapool_decision_json(NULL));
}

/* ================================================================== */
/* Group 10: free paths                                                */
/* ================================================================== */

static void free_dev_pool(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d = dev(m, "probe@0");
	void *p;

	(void)state;
	assert_int_equal(of_reserved_mem_device_init(d), 0);
	p = alloc_k(d, 0x10000, "dev-coherent", 0x70000000);
	alloc_k(d, 0x1000, "dev-coherent", 0x70010000);
	dma_free_coherent(d, 0x10000, p, 0x70000000);
	assert_string_equal(last(d).backend, "dev-coherent");
	alloc_k(d, 0x10000, "dev-coherent", 0x70000000);
}

static void free_cma(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d1 = dev(m, "probe@1"), *d2 = dev(m, "probe@2");
	struct dmapool_decision x;
	void *p;

	(void)state;
	assert_int_equal(of_reserved_mem_device_init(d1), 0);
	p = alloc_k(d1, 0x1000, "dev-cma", 0x80000000);
	alloc_k(d1, 0x1000, "dev-cma", 0x80001000);
	dma_free_coherent(d1, 0x1000, p, 0x80000000);
	x = last(d1);
	assert_string_equal(x.op, "free");
	assert_true(has_step(&x, "pages", "freed"));
	alloc_k(d1, 0x1000, "dev-cma", 0x80000000);
	p = alloc_k(d2, 0x100000, "default-cma", 0x90100000);
	alloc_k(d2, 0x2000, "default-cma", 0x900c0000);
	dma_free_coherent(d2, 0x100000, p, 0x90100000);
	alloc_k(d2, 0x80000, "default-cma", 0x90100000);
	alloc_k(d2, 0x80000, "default-cma", 0x90180000);
}

static void free_atomic_pool(void **state)
{
	struct dmapool_machine *m = load_oracle("20-probe-allocs", NULL);
	struct device *d = dev(m, "probe@3");
	struct dmapool_decision x;
	void *p;

	(void)state;
	p = alloc_a(d, 0x4000, "atomic-dma", 0x90040000);
	assert_true(all_bytes(p, 0, 0x4000));
	alloc_a(d, 0x1000, "atomic-dma", 0x90044000);
	memset(p, 0x5a, 0x4000);
	dma_free_coherent(d, 0x4000, p, 0x90040000);
	x = last(d);
	assert_true(has_step(&x, "atomic", "released"));
	assert_false(has_step(&x, "pages", NULL));	/* not given to the buddy */
	/* the pool's mapping stays valid after a free */
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WC);
	assert_ptr_equal(alloc_a(d, 0x4000, "atomic-dma", 0x90040000), p);
	assert_true(all_bytes(p, 0, 0x4000));		/* zeroed again */
}

static void free_buddy(void **state)
{
	struct dmapool_machine *m = load_oracle("50-probe-masks-8G-coherent", "cma=0");
	struct device *d = dev(m, "probe@2");
	struct device *nc;
	struct dmapool_decision x;
	dma_addr_t a;
	void *p;

	(void)state;
	p = alloc_k(d, 0x4000, "buddy-dma", ANY);
	a = last_dma(d);
	dma_free_coherent(d, 0x4000, p, a);
	x = last(d);
	assert_string_equal(x.op, "free");
	assert_true(has_step(&x, "pages", "freed"));
	assert_false(has_step(&x, "remap", NULL));	/* linear address: no vunmap */
	alloc_k(d, 0x4000, "buddy-dma", a);
	unload(m);
	/* a non-coherent buddy buffer: the remapping goes, the pages return */
	m = load_oracle("20-probe-allocs", NULL);
	nc = dev(m, "probe@3");
	p = alloc_k(nc, 0x1000, "buddy-dma", ANY);
	a = last_dma(nc);
	dma_free_coherent(nc, 0x1000, p, a);
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_NONE);
	alloc_k(nc, 0x1000, "buddy-dma", a);
}

/* ------------------------------------------------------------------ */

#define T(f) cmocka_unit_test_teardown(f, test_teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest stages[] = {
		T(dev_coherent_oracle_sequence),
		T(dev_coherent_alignment_relative_to_pool_start),
		T(dev_coherent_no_fallback_despite_cma),
		T(dev_coherent_shared_bitmap),
		T(dev_coherent_size_zero),
		T(global_coherent_arm_nommu),
		T(global_coherent_absent),
		T(dev_cma_oracle_sequence),
		T(dev_cma_too_big_falls_back),
		T(default_cma_and_atomic_oracle_sequence),
		T(atomic_pools_oracle_8g),
		T(atomic_fallback_chain),
		T(buddy_zones_qemu_8g),
		T(buddy_zones_three),
		T(arch_arm_allocator),
		T(failures_return_none),
	};
	const struct CMUnitTest attrs[] = {
		T(attr_write_combine),
		T(attr_no_kernel_mapping),
		T(attr_no_warn),
		T(attr_no_warn_atomic_pool),
		T(attr_force_contiguous_single_pages),
		T(gfp_atomic_never_reaches_cma),
		T(gfp_flags),
	};
	const struct CMUnitTest cpu[] = {
		T(cpu_noncoherent_remap),
		T(cpu_coherent_linear),
		T(cpu_dev_pool_wc),
		T(cpu_declared_pool_outside_ram_wc),
	};
	const struct CMUnitTest masks[] = {
		T(masks_2g),
		T(masks_8g),
	};
	const struct CMUnitTest pools[] = {
		T(declare_coherent_memory_api),
		T(declare_checks_region_before_device),
		T(rmem_device_init_release),
	};
	const struct CMUnitTest user[] = {
		T(mmap_noncoherent),
		T(mmap_bounds_and_others),
		T(get_sgtable_one_entry),
		T(can_mmap_everywhere),
	};
	const struct CMUnitTest profiles[] = {
		T(profile_riscv64),
		T(profile_x86_64_all_coherent),
		T(profile_x86_64_zone_dma),
	};
	const struct CMUnitTest failures[] = {
		T(atomic_exhaustion_oracle_sequence),
		T(page_order_warning_once_per_machine),
	};
	const struct CMUnitTest decisions[] = {
		T(decision_last_fields),
		T(decision_sink_seq),
		T(decision_text_and_json),
	};
	const struct CMUnitTest frees[] = {
		T(free_dev_pool),
		T(free_cma),
		T(free_atomic_pool),
		T(free_buddy),
	};
	int fails = 0;

	if (argc < 2)
		return 2;
	oracle_dir = argv[1];
	/* the environment must not change the profiles under test */
	unsetenv("DMAPOOL_ARCH");
	unsetenv("DMAPOOL_BOOTARGS");
	unsetenv("DMAPOOL_RAM_SIZE");
	unsetenv("DMAPOOL_KNOBS");
	unsetenv("DMAPOOL_RAM_LIMIT");
	if (write_trees()) {
		perror("test_coherent_alloc: temporary trees");
		return 2;
	}
	fails += cmocka_run_group_tests_name("stages", stages, group_setup, group_teardown);
	fails += cmocka_run_group_tests_name("attrs_gfp", attrs, group_setup, group_teardown);
	fails += cmocka_run_group_tests_name("cpu_side", cpu, group_setup, group_teardown);
	fails += cmocka_run_group_tests_name("masks", masks, group_setup, group_teardown);
	fails += cmocka_run_group_tests_name("pools_api", pools, group_setup, group_teardown);
	fails += cmocka_run_group_tests_name("user_mappings", user, group_setup, group_teardown);
	fails += cmocka_run_group_tests_name("profiles", profiles, group_setup, group_teardown);
	fails += cmocka_run_group_tests_name("failure_lines", failures, group_setup, group_teardown);
	fails += cmocka_run_group_tests_name("decisions", decisions, group_setup, group_teardown);
	fails += cmocka_run_group_tests_name("free_paths", frees, group_setup, group_teardown);
	remove_trees();
	return fails ? 1 : 0;
}
