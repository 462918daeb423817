/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * p7_machine.c — target P7: machine creation.  A blob written here with
 * libfdt's sequential-write API: 16 GiB of RAM, 50 reserved-memory
 * regions (no-map carve-outs, static no-map and reusable shared-dma-pool
 * regions, dynamic ones placed by size and alignment) and 200 devices
 * under a simple-bus, every fourth with a memory-region.
 *
 * Subject: dmapool_machine_load_blob() + dmapool_machine_destroy(), what
 * the boot of drivers/of/fdt.c, of_reserved_mem.c, memblock, the buddy
 * allocator, CMA, SWIOTLB and the atomic pools costs in the model.
 * Baseline: fdt_check_full() + a walk of every node and every property
 * of the same blob (reading each value).  Target ratio <= 20.
 *
 * Resident memory: a fresh process (this program again, with the hidden
 * option --p7-rss) generates the blob, reads its RSS (/proc/self/statm's
 * resident pages: anonymous, file and shared-memory pages, so the
 * simulated RAM's memfd pages count too), loads the machine, reads it
 * again, destroys it and reads it a third time.  Target: the growth at
 * load, before any allocation, <= 8 MiB.
 *
 * Self-checks (exit 1): the blob is valid; the machine loads with its 200
 * devices and 50 regions placed (none "failed"); no report.
 *
 * Left out: dtc's text parsing (dmapool_machine_load of a .dts adds it).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libfdt.h>

#include <dmapool.h>

#include "harness.h"

#define NREGIONS	50
#define NDEVICES	200
#define BLOB_MAX	(256 * 1024)

static int region_phandle(int i)
{
	return 0x100 + i;
}

/* The kind of region i: 0 no-map carve-out, 1 static no-map coherent
 * pool, 2 static CMA, 3 dynamic CMA, 4 dynamic no-map coherent pool. */
static int region_kind(int i)
{
	return i % 5;
}

static void chk(int err, const char *what)
{
	if (err < 0)
		hx_fail("building the P7 blob: %s: %s", what, fdt_strerror(err));
}

static void prop_u64x2(void *fdt, const char *name, uint64_t a, uint64_t b)
{
	fdt64_t v[2] = { cpu_to_fdt64(a), cpu_to_fdt64(b) };

	chk(fdt_property(fdt, name, v, sizeof(v)), name);
}

static void *make_blob(size_t *size)
{
	void *fdt = malloc(BLOB_MAX);
	char name[64];

	if (!fdt)
		hx_fail("out of host memory");
	chk(fdt_create(fdt, BLOB_MAX), "fdt_create");
	chk(fdt_finish_reservemap(fdt), "reservemap");
	chk(fdt_begin_node(fdt, ""), "root");
	chk(fdt_property_u32(fdt, "#address-cells", 2), "cells");
	chk(fdt_property_u32(fdt, "#size-cells", 2), "cells");
	chk(fdt_property_string(fdt, "compatible", "bench,p7"), "compatible");
	chk(fdt_property_string(fdt, "model", "P7 machine: 16 GiB, 50 regions, 200 devices"),
	    "model");

	chk(fdt_begin_node(fdt, "chosen"), "chosen");
	chk(fdt_property_string(fdt, "bootargs", ""), "bootargs");
	chk(fdt_end_node(fdt), "chosen");

	chk(fdt_begin_node(fdt, "memory@40000000"), "memory");
	chk(fdt_property_string(fdt, "device_type", "memory"), "device_type");
	prop_u64x2(fdt, "reg", 0x40000000ULL, 16ULL << 30);
	chk(fdt_end_node(fdt), "memory");

	chk(fdt_begin_node(fdt, "reserved-memory"), "reserved-memory");
	chk(fdt_property_u32(fdt, "#address-cells", 2), "cells");
	chk(fdt_property_u32(fdt, "#size-cells", 2), "cells");
	chk(fdt_property(fdt, "ranges", NULL, 0), "ranges");
	for (int i = 0; i < NREGIONS; i++) {
		/* static regions every 32 MiB from 4 GiB */
		uint64_t base = 0x100000000ULL + (uint64_t)i * (32u << 20);

		switch (region_kind(i)) {
		case 0:
			snprintf(name, sizeof(name), "carveout@%" PRIx64, base);
			chk(fdt_begin_node(fdt, name), name);
			prop_u64x2(fdt, "reg", base, 1u << 20);
			chk(fdt_property(fdt, "no-map", NULL, 0), "no-map");
			break;
		case 1:
			snprintf(name, sizeof(name), "dma-pool@%" PRIx64, base);
			chk(fdt_begin_node(fdt, name), name);
			chk(fdt_property_string(fdt, "compatible", "shared-dma-pool"), "compatible");
			prop_u64x2(fdt, "reg", base, 2u << 20);
			chk(fdt_property(fdt, "no-map", NULL, 0), "no-map");
			break;
		case 2:
			snprintf(name, sizeof(name), "cma@%" PRIx64, base);
			chk(fdt_begin_node(fdt, name), name);
			chk(fdt_property_string(fdt, "compatible", "shared-dma-pool"), "compatible");
			prop_u64x2(fdt, "reg", base, 16u << 20);
			chk(fdt_property(fdt, "reusable", NULL, 0), "reusable");
			break;
		case 3:
			snprintf(name, sizeof(name), "dyn-cma%d", i);
			chk(fdt_begin_node(fdt, name), name);
			chk(fdt_property_string(fdt, "compatible", "shared-dma-pool"), "compatible");
			chk(fdt_property_u64(fdt, "size", 8u << 20), "size");
			chk(fdt_property_u64(fdt, "alignment", 4u << 20), "alignment");
			chk(fdt_property(fdt, "reusable", NULL, 0), "reusable");
			break;
		default:
			snprintf(name, sizeof(name), "dyn-pool%d", i);
			chk(fdt_begin_node(fdt, name), name);
			chk(fdt_property_string(fdt, "compatible", "shared-dma-pool"), "compatible");
			chk(fdt_property_u64(fdt, "size", 1u << 20), "size");
			chk(fdt_property_u64(fdt, "alignment", 1u << 20), "alignment");
			chk(fdt_property(fdt, "no-map", NULL, 0), "no-map");
			break;
		}
		chk(fdt_property_u32(fdt, "phandle", region_phandle(i)), "phandle");
		chk(fdt_end_node(fdt), name);
	}
	chk(fdt_end_node(fdt), "reserved-memory");

	chk(fdt_begin_node(fdt, "soc"), "soc");
	chk(fdt_property_string(fdt, "compatible", "simple-bus"), "compatible");
	chk(fdt_property_u32(fdt, "#address-cells", 2), "cells");
	chk(fdt_property_u32(fdt, "#size-cells", 2), "cells");
	chk(fdt_property(fdt, "ranges", NULL, 0), "ranges");
	for (int d = 0; d < NDEVICES; d++) {
		uint64_t reg = 0x10000000ULL + (uint64_t)d * 0x1000;

		snprintf(name, sizeof(name), "dev@%" PRIx64, reg);
		chk(fdt_begin_node(fdt, name), name);
		chk(fdt_property_string(fdt, "compatible", "bench,dev"), "compatible");
		prop_u64x2(fdt, "reg", reg, 0x1000);
		if (d % 2)
			chk(fdt_property(fdt, "dma-coherent", NULL, 0), "dma-coherent");
		if (d % 4 == 0) {
			/* a region with a compatible: kinds 1-4 */
			int r = (d / 4) % NREGIONS;

			if (region_kind(r) == 0)
				r++;
			chk(fdt_property_u32(fdt, "memory-region", region_phandle(r)),
			    "memory-region");
		}
		chk(fdt_end_node(fdt), name);
	}
	chk(fdt_end_node(fdt), "soc");
	chk(fdt_end_node(fdt), "root");
	chk(fdt_finish(fdt), "fdt_finish");
	*size = fdt_totalsize(fdt);
	return fdt;
}

static volatile uint64_t sink;

/* fdt_check_full + every node and property, each value read. */
static void walk(const void *fdt, size_t size)
{
	int node, depth = 0, n = 0;
	uint64_t sum = 0;

	if (fdt_check_full(fdt, size))
		hx_fail("fdt_check_full refused the P7 blob");
	for (node = 0; node >= 0; node = fdt_next_node(fdt, node, &depth)) {
		int prop, len;
		const char *nm = fdt_get_name(fdt, node, &len);

		sum += nm ? (uint64_t)len : 0;
		fdt_for_each_property_offset(prop, fdt, node) {
			const char *pname;
			const uint8_t *v = fdt_getprop_by_offset(fdt, prop, &pname, &len);

			for (int i = 0; v && i < len; i++)
				sum += v[i];
			sum += (uint64_t)(uintptr_t)pname;
		}
		n++;
	}
	if (n < NREGIONS + NDEVICES)
		hx_fail("the walk saw %d nodes", n);
	sink += sum;
}

static void load_check(const void *blob, size_t size, struct dmapool_machine **out)
{
	int err = dmapool_machine_load_blob(blob, size, NULL, out);

	if (err)
		hx_fail("dmapool_machine_load_blob: %s", dmapool_strerror(err));
}

/* The machine is what the blob describes. */
static void check_machine(struct dmapool_machine *m)
{
	struct dmapool_region_usage *u;
	size_t n, regions = 0;

	if (dmapool_device_count(m) < NDEVICES)
		hx_fail("the machine has %zu devices, the blob %d", dmapool_device_count(m), NDEVICES);
	if (dmapool_region_usage(m, &u, &n))
		hx_fail("dmapool_region_usage failed");
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(u[i].kind, "failed"))
			hx_fail("reserved-memory region %s failed to be placed", u[i].name);
		if (!strcmp(u[i].kind, "dma-pool") || !strcmp(u[i].kind, "cma") ||
		    !strcmp(u[i].kind, "plain") || !strcmp(u[i].kind, "default-cma") ||
		    !strcmp(u[i].kind, "global-pool"))
			regions += u[i].size != 0;
	}
	free(u);
	if (regions < NREGIONS)
		hx_fail("%zu reserved-memory regions placed, the blob has %d", regions, NREGIONS);
	if (dmapool_report_count(m))
		hx_fail("loading the machine made reports");
}

static long statm_resident(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, res = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &res) != 2)
		res = -1;
	fclose(f);
	return res < 0 ? -1 : res * sysconf(_SC_PAGESIZE);
}

/* --p7-rss: in a fresh process, print "before after destroyed" in bytes. */
int bench_p7_rss_child(void)
{
	struct dmapool_machine *m;
	size_t size;
	void *blob = make_blob(&size);
	long before, after, destroyed;

	walk(blob, size);
	before = statm_resident();
	load_check(blob, size, &m);
	after = statm_resident();
	check_machine(m);
	dmapool_machine_destroy(m);
	destroyed = statm_resident();
	free(blob);
	printf("%ld %ld %ld\n", before, after, destroyed);
	return before < 0 ? 1 : 0;
}

static double rss_once(long *destroyed_growth)
{
	char exe[4096], cmd[4200];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	long before, after, destroyed;
	FILE *p;
	int got;

	if (len <= 0)
		hx_fail("cannot find this program to start the RSS probe");
	exe[len] = 0;
	snprintf(cmd, sizeof(cmd), "'%s' --p7-rss", exe);
	p = popen(cmd, "r");
	if (!p)
		hx_fail("cannot start the RSS probe: %s", strerror(errno));
	got = fscanf(p, "%ld %ld %ld", &before, &after, &destroyed);
	if (pclose(p) != 0 || got != 3)
		hx_fail("the RSS probe failed");
	*destroyed_growth = destroyed - before;
	return (double)(after - before);
}

int bench_p7(void)
{
	int reps = hx_reps();
	unsigned long loads = hx_ops(40, 10, 3), walks;
	double s[HX_MAXREP], b[HX_MAXREP], rss[HX_MAXREP], t;
	struct dmapool_machine *m;
	size_t size;
	void *blob;
	long dg = 0;

	hx_pin_cpu();
	blob = make_blob(&size);
	walk(blob, size);
	load_check(blob, size, &m);
	check_machine(m);
	dmapool_machine_destroy(m);

	/* warm-up, and a baseline batch as long as a subject batch */
	t = hx_now();
	for (unsigned long i = 0; i < loads; i++) {
		load_check(blob, size, &m);
		dmapool_machine_destroy(m);
	}
	t = (hx_now() - t) / loads;
	{
		double w = hx_now();

		for (int i = 0; i < 20; i++)
			walk(blob, size);
		w = (hx_now() - w) / 20;
		walks = (unsigned long)(t * loads / (w > 1 ? w : 1));
		walks = walks < 100 ? 100 : walks > 100000 ? 100000 : walks;
	}
	for (int r = 0; r < reps; r++) {
		double t0 = hx_now();

		for (unsigned long i = 0; i < loads; i++) {
			load_check(blob, size, &m);
			dmapool_machine_destroy(m);
		}
		s[r] = (hx_now() - t0) / loads;
		t0 = hx_now();
		for (unsigned long i = 0; i < walks; i++)
			walk(blob, size);
		b[r] = (hx_now() - t0) / walks;
	}
	hx_note("P7: blob of %zu bytes (16 GiB RAM, %d reserved-memory regions, %d devices); subject: dmapool_machine_load_blob + destroy, %lu per timing; baseline: fdt_check_full + walk of every node and property, %lu per timing",
		size, NREGIONS, NDEVICES, loads, walks);
	hx_figure("P7 machine load+destroy vs fdt_check_full+walk", s, b, reps, HX_LE, 20, 0);
	{
		double ms[HX_MAXREP];

		for (int r = 0; r < reps; r++)
			ms[r] = s[r] / 1e6;
		hx_value("P7 machine load+destroy, absolute (median)", hx_median(ms, reps),
			 hx_min(ms, reps), "ms", HX_LE, 5, HX_INFO);
	}
	for (int r = 0; r < reps; r++)
		rss[r] = rss_once(&dg) / (1 << 20);
	hx_value("P7 resident memory after load, before any allocation (median)",
		 hx_median(rss, reps), hx_min(rss, reps), "MiB", HX_LE, 8, 0);
	hx_note("P7 RSS probe (fresh process each): growth at load %.2f MiB median; after destroy %+.2f MiB against before the load",
		hx_median(rss, reps), dg / 1048576.0);
	free(blob);
	return 0;
}
