/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Resident memory of a 64 GiB machine: it stays proportional to what is
 * touched.  A blob (written with libfdt) describes 64 GiB of RAM at
 * 0x40000000 and one coherent device; the command line asks for a
 * 512 MiB default CMA area.  The process's resident set (/proc/self/statm:
 * anonymous, file and shared-memory pages, so the simulated RAM's memfd
 * pages count) is read after the load, after 64 MiB and then 128 MiB of
 * coherent memory are allocated and written, and after they are freed and
 * the machine destroyed.
 *
 * RSS is not time: asserting it is deterministic enough, with margins.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <libfdt.h>

#include <dmapool.h>
#include <linux/dma-mapping.h>
#include "testutil.h"

#define MIB		(1024.0 * 1024.0)
/*
 * Bound on the growth at load.  Measured on the release build: 1.6 MiB
 * for the first 64 GiB load of the process, about 6 MiB for a later one
 * (glibc's heap, not the machine); the same as for a 16 GiB machine: what
 * a load touches does not depend on the RAM size.  16 MiB keeps a margin
 * for sanitizer builds and still fails a model that touched one byte per
 * 4 KiB page of the 64 GiB (16 MiB), kept a struct page per page (1 GiB)
 * or touched the simulated RAM itself.
 */
#define LOAD_MAX_MIB	16.0
/* Touching X MiB may add up to this on top (allocator metadata, the
 * cache model's bookkeeping, page-table pages of the host). */
#define SLACK_MIB	16.0

static double rss_mib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, res = 0;

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld %ld", &size, &res), 2);
	fclose(f);
	return (double)res * sysconf(_SC_PAGESIZE) / MIB;
}

static void ok(int err)
{
	assert_true(err >= 0);
}

/* 64 GiB of RAM and dev@0, coherent; NULL-terminated blob in buf. */
static size_t make_blob(void *buf, size_t len)
{
	fdt64_t reg[2] = { cpu_to_fdt64(0x40000000ULL), cpu_to_fdt64(64ULL << 30) };

	ok(fdt_create(buf, (int)len));
	ok(fdt_finish_reservemap(buf));
	ok(fdt_begin_node(buf, ""));
	ok(fdt_property_u32(buf, "#address-cells", 2));
	ok(fdt_property_u32(buf, "#size-cells", 2));
	ok(fdt_begin_node(buf, "chosen"));
	ok(fdt_property_string(buf, "bootargs", "cma=512M"));
	ok(fdt_end_node(buf));
	ok(fdt_begin_node(buf, "memory@40000000"));
	ok(fdt_property_string(buf, "device_type", "memory"));
	ok(fdt_property(buf, "reg", reg, sizeof(reg)));
	ok(fdt_end_node(buf));
	ok(fdt_begin_node(buf, "dev@0"));
	ok(fdt_property_string(buf, "compatible", "test,dev"));
	ok(fdt_property(buf, "dma-coherent", NULL, 0));
	ok(fdt_end_node(buf));
	ok(fdt_end_node(buf));
	ok(fdt_finish(buf));
	return fdt_totalsize(buf);
}

static struct dmapool_machine *load64(void)
{
	static char blob[4096];
	struct dmapool_machine *m = NULL;
	size_t size = make_blob(blob, sizeof(blob));
	int rc = dmapool_machine_load_blob(blob, size, NULL, &m);

	if (rc)
		fprintf(stderr, "load 64 GiB: %s\n", dmapool_strerror(rc));
	assert_int_equal(rc, 0);
	for (int i = 0; i < TU_MAX_LIVE; i++)
		if (!tu_live[i]) {
			tu_live[i] = m;
			break;
		}
	return m;
}

/* Allocate and write mib MiB of coherent memory; RSS grows by about that. */
static void *touch(struct device *d, size_t mib, dma_addr_t *h)
{
	size_t len = mib << 20;
	double before = rss_mib(), grew;
	void *p = dma_alloc_coherent(d, len, h, GFP_KERNEL);

	assert_non_null(p);
	memset(p, 0x5a, len);
	grew = rss_mib() - before;
	if (grew < mib * 0.95 || grew > mib + SLACK_MIB)
		fail_msg("allocating and writing %zu MiB grew RSS by %.1f MiB", mib, grew);
	return p;
}

static void rss_64g(void **state)
{
	double r0, r1, r2;
	struct dmapool_machine *m;
	struct device *d;
	dma_addr_t h64, h128;
	void *p64, *p128;

	(void)state;
	r0 = rss_mib();
	m = load64();
	r1 = rss_mib();
	if (r1 - r0 > LOAD_MAX_MIB)
		fail_msg("loading a 64 GiB machine grew RSS by %.1f MiB (bound %.0f)", r1 - r0,
			 LOAD_MAX_MIB);
	d = tu_dev(m, "dev@0");
	assert_int_equal(dma_set_mask_and_coherent(d, DMA_BIT_MASK(64)), 0);
	p64 = touch(d, 64, &h64);
	p128 = touch(d, 128, &h128);
	r2 = rss_mib();
	assert_true(r2 - r1 >= 192 * 0.95);
	dma_free_coherent(d, 128u << 20, p128, h128);
	dma_free_coherent(d, 64u << 20, p64, h64);
	assert_int_equal(dmapool_report_count(m), 0);
	tu_unload(m);
	/* the simulated RAM goes back to the host with the machine */
	if (rss_mib() - r0 > LOAD_MAX_MIB)
		fail_msg("RSS still %.1f MiB above the start after destroy", rss_mib() - r0);
}

/* The same machine twice: the second load costs what the first did (no
 * state grows across machines). */
static void rss_reload(void **state)
{
	double r0, r1;
	struct dmapool_machine *m;

	(void)state;
	tu_unload(load64());
	r0 = rss_mib();
	m = load64();
	r1 = rss_mib();
	tu_unload(m);
	if (r1 - r0 > LOAD_MAX_MIB)
		fail_msg("a second 64 GiB load grew RSS by %.1f MiB", r1 - r0);
	/* glibc may keep some of the freed heap (about 6 MiB seen); the
	 * simulated RAM itself must be gone */
	if (rss_mib() - r0 > 12)
		fail_msg("RSS %.1f MiB above the start after the second destroy", rss_mib() - r0);
}

static int group_setup(void **state)
{
	(void)state;
	tu_leak_mark();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(rss_64g, tu_teardown),
		cmocka_unit_test_teardown(rss_reload, tu_teardown),
	};

	return cmocka_run_group_tests_name("rss", tests, group_setup, tu_leak_teardown);
}
