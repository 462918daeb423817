/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Unit tests for device.c and fdt.c: which nodes become devices, the
 * kernel's dev_name() (of_device_make_bus_id), labels and aliases,
 * coherency inheritance (of_dma_is_coherent), masks and range maps from
 * dma-ranges (of_dma_get_range / of_dma_configure_id), memory-region and
 * iommus parsing, of_dma_get_max_cpu_address, and device-side access.
 *
 * Trees are built in memory with libfdt's sequential-write API, so the
 * tests need no dtc.  Not covered here: the restricted-dma-pool attachment
 * (needs CONFIG_DMA_RESTRICTED_POOL, off in the arm64 profile).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"
#include "testutil.h"

#include <libfdt.h>

#define BLOB_SIZE	(64 * 1024)

/* ------------------------------------------------------------------ */
/* Tree building */

static void prop_cells(void *fdt, const char *name, int n, ...)
{
	uint32_t v[32];
	va_list ap;

	assert_true(n >= 0 && n <= 32);
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		v[i] = cpu_to_fdt32(va_arg(ap, uint32_t));
	va_end(ap);
	assert_int_equal(fdt_property(fdt, name, v, n * 4), 0);
}

static void prop_str(void *fdt, const char *name, const char *s)
{
	assert_int_equal(fdt_property_string(fdt, name, s), 0);
}

static void prop_empty(void *fdt, const char *name)
{
	assert_int_equal(fdt_property(fdt, name, NULL, 0), 0);
}

static void begin(void *fdt, const char *name)
{
	assert_int_equal(fdt_begin_node(fdt, name), 0);
}

static void end(void *fdt)
{
	assert_int_equal(fdt_end_node(fdt), 0);
}

/* Root with 2/2 cells and 1 GiB of RAM at 0x40000000. */
static void *tree_start(void)
{
	void *fdt = calloc(1, BLOB_SIZE);

	assert_non_null(fdt);
	assert_int_equal(fdt_create(fdt, BLOB_SIZE), 0);
	assert_int_equal(fdt_finish_reservemap(fdt), 0);
	begin(fdt, "");
	prop_cells(fdt, "#address-cells", 1, 2);
	prop_cells(fdt, "#size-cells", 1, 2);
	prop_str(fdt, "compatible", "linux,dummy-virt");

	begin(fdt, "memory@40000000");
	prop_str(fdt, "device_type", "memory");
	prop_cells(fdt, "reg", 4, 0, 0x40000000, 0, 0x40000000);
	end(fdt);
	return fdt;
}

static void tree_finish(void *fdt)
{
	end(fdt);	/* root */
	assert_int_equal(fdt_finish(fdt), 0);
}

static struct dmapool_machine *load(void **state, void *fdt)
{
	struct dmapool_machine *m = NULL;
	int err;

	err = dmapool_machine_load_blob(fdt, fdt_totalsize(fdt), NULL, &m);
	free(fdt);
	assert_int_equal(err, 0);
	assert_non_null(m);
	*state = m;
	return m;
}

static int teardown(void **state)
{
	dmapool_machine_destroy(*state);
	*state = NULL;
	return 0;
}

static bool log_has(struct dmapool_machine *m, const char *text)
{
	for (size_t i = 0; i < dmapool_log_count(m); i++)
		if (strstr(dmapool_log_line(m, i), text))
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Which nodes become devices, and their names */

static void build_basic(void *fdt)
{
	begin(fdt, "chosen");
	begin(fdt, "framebuffer@0");
	prop_str(fdt, "compatible", "simple-framebuffer");
	end(fdt);
	end(fdt);

	begin(fdt, "aliases");
	prop_str(fdt, "serial0", "/pl011@9000000");
	end(fdt);

	begin(fdt, "cpus");
	prop_cells(fdt, "#address-cells", 1, 1);
	prop_cells(fdt, "#size-cells", 1, 0);
	begin(fdt, "cpu@0");
	prop_str(fdt, "compatible", "arm,cortex-a57");
	prop_cells(fdt, "reg", 1, 0);
	end(fdt);
	end(fdt);

	begin(fdt, "reserved-memory");
	prop_cells(fdt, "#address-cells", 1, 2);
	prop_cells(fdt, "#size-cells", 1, 2);
	prop_empty(fdt, "ranges");
	begin(fdt, "pool@50000000");
	prop_str(fdt, "compatible", "shared-dma-pool");
	prop_cells(fdt, "reg", 4, 0, 0x50000000, 0, 0x100000);
	prop_empty(fdt, "no-map");
	prop_cells(fdt, "phandle", 1, 0x10);
	end(fdt);
	end(fdt);

	begin(fdt, "pl011@9000000");
	prop_str(fdt, "compatible", "arm,pl011");
	prop_cells(fdt, "reg", 4, 0, 0x9000000, 0, 0x1000);
	end(fdt);

	begin(fdt, "probe@0");
	prop_str(fdt, "compatible", "libdmapool,probe");
	prop_empty(fdt, "dma-coherent");
	prop_cells(fdt, "memory-region", 2, 0x10, 0x1234);
	assert_int_equal(fdt_property(fdt, "memory-region-names",
				      "pool\0gone", 10), 0);
	end(fdt);

	begin(fdt, "nocompat@1");	/* no compatible: no device */
	end(fdt);

	begin(fdt, "off-bus");
	prop_str(fdt, "compatible", "simple-bus");
	prop_str(fdt, "status", "disabled");
	begin(fdt, "child");
	prop_str(fdt, "compatible", "vendor,child");
	end(fdt);
	end(fdt);

	begin(fdt, "ok-dev");
	prop_str(fdt, "compatible", "vendor,ok");
	prop_str(fdt, "status", "ok");
	end(fdt);

	begin(fdt, "__symbols__");
	prop_str(fdt, "uart0", "/pl011@9000000");
	prop_str(fdt, "probe0", "/probe@0");
	end(fdt);
}

static void test_device_set(void **state)
{
	void *fdt = tree_start();
	struct dmapool_machine *m;

	build_basic(fdt);
	tree_finish(fdt);
	m = load(state, fdt);

	/* pl011, probe@0, ok-dev: nothing from /chosen, /cpus,
	 * /reserved-memory, a disabled subtree or a node without compatible */
	assert_int_equal(dmapool_device_count(m), 3);
	assert_string_equal(dmapool_device_name(dmapool_device_at(m, 0)),
			    "9000000.pl011");
	assert_string_equal(dmapool_device_name(dmapool_device_at(m, 1)),
			    "probe@0");
	assert_string_equal(dmapool_device_name(dmapool_device_at(m, 2)),
			    "ok-dev");
	assert_null(dmapool_device_at(m, 3));
	assert_string_equal(dmapool_device_path(dmapool_device_at(m, 0)),
			    "/pl011@9000000");
	assert_ptr_equal(dmapool_device_machine(dmapool_device_at(m, 0)), m);
	assert_null(dmapool_device_find(m, "child"));
	assert_null(dmapool_device_find(m, "framebuffer@0"));
	assert_null(dmapool_device_find(m, "cpu@0"));
	assert_null(dmapool_device_find(m, "pool@50000000"));
}

static void test_find(void **state)
{
	void *fdt = tree_start();
	struct dmapool_machine *m;
	struct device *uart, *probe;

	build_basic(fdt);
	tree_finish(fdt);
	m = load(state, fdt);

	uart = dmapool_device_find(m, "/pl011@9000000");
	probe = dmapool_device_find(m, "probe@0");
	assert_non_null(uart);
	assert_non_null(probe);
	assert_ptr_equal(dmapool_device_find(m, "pl011@9000000"), uart);
	assert_ptr_equal(dmapool_device_find(m, "9000000.pl011"), uart);
	assert_ptr_equal(dmapool_device_find(m, "uart0"), uart);
	assert_ptr_equal(dmapool_device_find(m, "serial0"), uart);
	assert_ptr_equal(dmapool_device_find(m, "probe0"), probe);
	assert_string_equal(uart->label, "uart0");
	assert_string_equal(probe->label, "probe0");
	assert_null(dmapool_device_find(m, "nosuch"));
	assert_null(dmapool_device_find(m, ""));
	assert_null(dmapool_device_find(m, NULL));
	assert_null(dmapool_device_find(NULL, "probe@0"));
}

static void test_defaults(void **state)
{
	void *fdt = tree_start();
	struct dmapool_machine *m;
	struct device *uart, *probe;

	build_basic(fdt);
	tree_finish(fdt);
	m = load(state, fdt);

	uart = dmapool_device_find(m, "uart0");
	probe = dmapool_device_find(m, "probe@0");
	assert_int_equal(uart->coherent_dma_mask, 0xffffffffULL);
	assert_ptr_equal(uart->dma_mask, &uart->dma_mask_store);
	assert_int_equal(*uart->dma_mask, 0xffffffffULL);
	assert_int_equal(uart->bus_dma_limit, 0);
	assert_null(uart->dma_range_map);
	assert_int_equal(uart->n_ranges, 0);
	assert_int_equal(uart->max_seg_size, 65536);
	assert_true(uart->seg_boundary == ~0ULL);
	assert_false(uart->coherent);		/* arm64: not coherent by default */
	assert_false(uart->is_probe);
	assert_int_equal(uart->iommu_node, -1);
	assert_int_equal(uart->n_mr, 0);

	assert_true(probe->coherent);
	assert_true(probe->is_probe);
	assert_string_equal(dev_driver_string(probe), "dmaprobe");
	assert_string_equal(dev_driver_string(uart), "platform");

	/* identity translation without dma-ranges */
	assert_int_equal(phys_to_dma(uart, 0x40001000), 0x40001000);
	assert_int_equal(dma_to_phys(uart, 0x40001000), 0x40001000);
	assert_true(dma_capable(uart, 0xfffff000, 0x1000));
	assert_false(dma_capable(uart, 0xfffff001, 0x1000));
	assert_false(dma_capable(uart, DMA_ERR, 1));
	assert_true(of_dma_get_max_cpu_address(m) == UINT64_MAX);
}

static void test_memory_region(void **state)
{
	void *fdt = tree_start();
	struct dmapool_machine *m;
	struct device *probe;

	build_basic(fdt);
	tree_finish(fdt);
	m = load(state, fdt);

	probe = dmapool_device_find(m, "probe@0");
	assert_int_equal(probe->n_mr, 2);
	assert_int_equal(probe->mr_nodes[0],
			 fdt_path_offset(m->fdt, "/reserved-memory/pool@50000000"));
	assert_int_equal(probe->mr_nodes[1], -1);	/* dangling phandle */
	assert_int_equal(probe->n_mr_names, 2);
	assert_string_equal(probe->mr_names[0], "pool");
	assert_string_equal(probe->mr_names[1], "gone");
}

/* ------------------------------------------------------------------ */
/* Buses: names, coherency, dma-ranges */

static void build_buses(void *fdt)
{
	/* reg-less bus: children are named "<bus>:<child>" */
	begin(fdt, "dmabus@0");
	prop_str(fdt, "compatible", "simple-bus");
	prop_cells(fdt, "#address-cells", 1, 1);
	prop_cells(fdt, "#size-cells", 1, 1);
	prop_empty(fdt, "ranges");
	prop_empty(fdt, "dma-coherent");
	begin(fdt, "probe@1");
	prop_str(fdt, "compatible", "libdmapool,probe");
	end(fdt);
	begin(fdt, "nc@2");
	prop_str(fdt, "compatible", "vendor,nc");
	prop_empty(fdt, "dma-noncoherent");
	end(fdt);
	end(fdt);

	/* bus 0x0 -> CPU 0x40000000 for 1 GiB; MMIO at 0x10000000 */
	begin(fdt, "soc");
	prop_str(fdt, "compatible", "simple-bus");
	prop_cells(fdt, "#address-cells", 1, 1);
	prop_cells(fdt, "#size-cells", 1, 1);
	prop_cells(fdt, "ranges", 4, 0x0, 0x0, 0x10000000, 0x100000);
	prop_cells(fdt, "dma-ranges", 4, 0x0, 0x0, 0x40000000, 0x40000000);
	begin(fdt, "dev@1000");
	prop_str(fdt, "compatible", "vendor,dev");
	prop_cells(fdt, "reg", 2, 0x1000, 0x100);
	end(fdt);
	/* an empty dma-ranges below passes the parent's map through */
	begin(fdt, "sub");
	prop_str(fdt, "compatible", "simple-bus");
	prop_cells(fdt, "#address-cells", 1, 1);
	prop_cells(fdt, "#size-cells", 1, 1);
	prop_empty(fdt, "ranges");
	prop_empty(fdt, "dma-ranges");
	begin(fdt, "leaf@2000");
	prop_str(fdt, "compatible", "vendor,leaf");
	prop_cells(fdt, "reg", 2, 0x2000, 0x100);
	end(fdt);
	end(fdt);
	/* no dma-ranges on the direct parent is allowed... */
	begin(fdt, "plain");
	prop_str(fdt, "compatible", "simple-bus");
	prop_cells(fdt, "#address-cells", 1, 1);
	prop_cells(fdt, "#size-cells", 1, 1);
	begin(fdt, "leaf");
	prop_str(fdt, "compatible", "vendor,leaf");
	end(fdt);
	/* ...but not on a second level */
	begin(fdt, "deeper");
	prop_str(fdt, "compatible", "simple-bus");
	prop_cells(fdt, "#address-cells", 1, 1);
	prop_cells(fdt, "#size-cells", 1, 1);
	begin(fdt, "leaf");
	prop_str(fdt, "compatible", "vendor,leaf");
	end(fdt);
	end(fdt);
	end(fdt);
	end(fdt);

	/* a length given as a mask: end = 0xfffffffe */
	begin(fdt, "maskbus");
	prop_str(fdt, "compatible", "simple-bus");
	prop_cells(fdt, "#address-cells", 1, 1);
	prop_cells(fdt, "#size-cells", 1, 1);
	prop_cells(fdt, "dma-ranges", 4, 0x0, 0x0, 0x0, 0xffffffff);
	begin(fdt, "m");
	prop_str(fdt, "compatible", "vendor,m");
	end(fdt);
	end(fdt);
}

static void test_bus_names_and_coherency(void **state)
{
	void *fdt = tree_start();
	struct dmapool_machine *m;
	struct device *d;

	build_buses(fdt);
	tree_finish(fdt);
	m = load(state, fdt);

	d = dmapool_device_find(m, "dmabus@0");
	assert_non_null(d);
	assert_string_equal(d->name, "dmabus@0");
	assert_true(d->coherent);

	d = dmapool_device_find(m, "/dmabus@0/probe@1");
	assert_non_null(d);
	assert_string_equal(d->name, "dmabus@0:probe@1");
	assert_ptr_equal(dmapool_device_find(m, "dmabus@0:probe@1"), d);
	assert_true(d->coherent);		/* inherited from the bus */

	d = dmapool_device_find(m, "nc@2");
	assert_false(d->coherent);		/* nearest property wins */

	d = dmapool_device_find(m, "/soc/dev@1000");
	assert_string_equal(d->name, "10001000.dev");
	d = dmapool_device_find(m, "/soc/sub/leaf@2000");
	assert_string_equal(d->name, "10002000.leaf");
	d = dmapool_device_find(m, "/soc/plain/leaf");
	assert_string_equal(d->name, "soc:plain:leaf");
	assert_ptr_equal(dmapool_device_find(m, "leaf"), d);	/* first in tree order */
}

static void test_dma_ranges_offset(void **state)
{
	void *fdt = tree_start();
	struct dmapool_machine *m;
	struct device *d;

	build_buses(fdt);
	tree_finish(fdt);
	m = load(state, fdt);

	d = dmapool_device_find(m, "dev@1000");
	assert_non_null(d->dma_range_map);
	assert_int_equal(d->n_ranges, 1);
	assert_int_equal(d->dma_range_map[0].cpu_start, 0x40000000);
	assert_int_equal(d->dma_range_map[0].dma_start, 0);
	assert_int_equal(d->dma_range_map[0].size, 0x40000000);
	assert_int_equal(d->dma_range_map[1].size, 0);	/* terminator */
	assert_int_equal(d->bus_dma_limit, 0x3fffffff);
	assert_int_equal(d->coherent_dma_mask, 0x3fffffff);
	assert_int_equal(*d->dma_mask, 0x3fffffff);

	assert_int_equal(phys_to_dma(d, 0x40001000), 0x1000);
	assert_true(phys_to_dma(d, 0x3000) == DMA_ERR);
	assert_true(phys_to_dma(d, 0x80000000) == DMA_ERR);
	assert_int_equal(dma_to_phys(d, 0x1000), 0x40001000);
	assert_true(dma_to_phys(d, 0x40000000) == PHYS_NONE);
	assert_true(dma_capable(d, 0x3ffff000, 0x1000));
	assert_false(dma_capable(d, 0x3ffff001, 0x1000));

	/* the lowest reach of any dma-ranges: soc ends at 0x7fffffff */
	assert_int_equal(of_dma_get_max_cpu_address(m), 0x7fffffff);
}

static void test_dma_ranges_walk(void **state)
{
	void *fdt = tree_start();
	struct dmapool_machine *m;
	struct device *d;

	build_buses(fdt);
	tree_finish(fdt);
	m = load(state, fdt);

	/* empty dma-ranges on the parent: the grandparent's map */
	d = dmapool_device_find(m, "leaf@2000");
	assert_int_equal(d->n_ranges, 1);
	assert_int_equal(d->dma_range_map[0].cpu_start, 0x40000000);
	assert_int_equal(d->bus_dma_limit, 0x3fffffff);

	/* the parent may lack the property */
	d = dmapool_device_find(m, "/soc/plain/leaf");
	assert_int_equal(d->n_ranges, 1);
	assert_int_equal(d->bus_dma_limit, 0x3fffffff);

	/* a second node without it stops the walk: no map, 32-bit */
	d = dmapool_device_find(m, "/soc/plain/deeper/leaf");
	assert_null(d->dma_range_map);
	assert_int_equal(d->bus_dma_limit, 0);
	assert_int_equal(d->coherent_dma_mask, 0xffffffff);

	/* the buses themselves sit on the root: no dma-ranges above */
	d = dmapool_device_find(m, "/soc");
	assert_null(d->dma_range_map);

	/* a mask-style length */
	d = dmapool_device_find(m, "/maskbus/m");
	assert_int_equal(d->bus_dma_limit, 0xfffffffe);
	assert_int_equal(d->coherent_dma_mask, 0xffffffff);
}

static void test_dma_ranges_untranslatable(void **state)
{
	void *fdt = tree_start();
	struct dmapool_machine *m;
	struct device *d;

	/* outer maps bus 0x0 -> CPU 0x40000000 (256 MiB); inner's entry
	 * points at outer bus address 0x80000000, outside that window */
	begin(fdt, "outer");
	prop_str(fdt, "compatible", "simple-bus");
	prop_cells(fdt, "#address-cells", 1, 1);
	prop_cells(fdt, "#size-cells", 1, 1);
	prop_cells(fdt, "dma-ranges", 4, 0x0, 0x0, 0x40000000, 0x10000000);
	begin(fdt, "inner");
	prop_str(fdt, "compatible", "simple-bus");
	prop_cells(fdt, "#address-cells", 1, 1);
	prop_cells(fdt, "#size-cells", 1, 1);
	prop_cells(fdt, "dma-ranges", 3, 0x0, 0x80000000, 0x1000);
	begin(fdt, "dev");
	prop_str(fdt, "compatible", "vendor,dev");
	end(fdt);
	end(fdt);
	end(fdt);
	tree_finish(fdt);
	m = load(state, fdt);

	d = dmapool_device_find(m, "/outer/inner/dev");
	assert_non_null(d);
	assert_null(d->dma_range_map);
	assert_int_equal(d->bus_dma_limit, 0);
	assert_true(log_has(m, "OF: translation of DMA address(0) to CPU address failed node(/outer/inner)"));

	/* the inner bus translates through outer's dma-ranges */
	d = dmapool_device_find(m, "/outer/inner");
	assert_int_equal(d->n_ranges, 1);
	assert_int_equal(d->dma_range_map[0].cpu_start, 0x40000000);
	assert_int_equal(d->bus_dma_limit, 0x0fffffff);
}

static void test_iommus(void **state)
{
	void *fdt = tree_start();
	struct dmapool_machine *m;
	struct device *d;

	begin(fdt, "smmuv3@9050000");
	prop_str(fdt, "compatible", "arm,smmu-v3");
	prop_cells(fdt, "reg", 4, 0, 0x9050000, 0, 0x20000);
	prop_cells(fdt, "#iommu-cells", 1, 1);
	prop_cells(fdt, "phandle", 1, 0x8004);
	end(fdt);
	begin(fdt, "nocells");
	prop_str(fdt, "compatible", "vendor,iommu");
	prop_cells(fdt, "phandle", 1, 0x8005);
	end(fdt);
	begin(fdt, "probe@0");
	prop_str(fdt, "compatible", "libdmapool,probe");
	prop_cells(fdt, "iommus", 2, 0x8004, 0x100);
	end(fdt);
	begin(fdt, "probe@1");
	prop_str(fdt, "compatible", "libdmapool,probe");
	prop_cells(fdt, "iommus", 2, 0x9999, 0x100);
	end(fdt);
	begin(fdt, "probe@2");
	prop_str(fdt, "compatible", "libdmapool,probe");
	prop_cells(fdt, "iommus", 1, 0x8005);
	end(fdt);
	tree_finish(fdt);
	m = load(state, fdt);

	d = dmapool_device_find(m, "smmuv3@9050000");
	assert_string_equal(d->name, "9050000.smmuv3");
	d = dmapool_device_find(m, "probe@0");
	assert_int_equal(d->iommu_node, fdt_path_offset(m->fdt, "/smmuv3@9050000"));
	assert_int_equal(d->iommu_nargs, 1);
	assert_int_equal(d->iommu_args[0], 0x100);
	d = dmapool_device_find(m, "probe@1");	/* dangling */
	assert_int_equal(d->iommu_node, -1);
	d = dmapool_device_find(m, "probe@2");	/* no #iommu-cells */
	assert_int_equal(d->iommu_node, -1);
}

/* ------------------------------------------------------------------ */
/* fdt.c helpers */

static void test_fdt_helpers(void **state)
{
	void *fdt = tree_start();
	struct dmapool_machine *m;
	uint32_t two[2] = { cpu_to_fdt32(0x1), cpu_to_fdt32(0x80000000) };
	uint32_t three[3] = { cpu_to_fdt32(0x2000000), cpu_to_fdt32(0x6),
			      cpu_to_fdt32(0x10) };
	char buf[64];
	uint64_t a;
	int soc, dev, nr;

	build_buses(fdt);
	begin(fdt, "noranges");
	prop_cells(fdt, "#address-cells", 1, 1);
	prop_cells(fdt, "#size-cells", 1, 1);
	begin(fdt, "x@10");
	prop_cells(fdt, "reg", 2, 0x10, 0x10);
	end(fdt);
	end(fdt);
	tree_finish(fdt);
	m = load(state, fdt);
	fdt = m->fdt;

	assert_int_equal(fdt_read_cells(two, 1), 1);
	assert_int_equal(fdt_read_cells(two, 2), 0x180000000ULL);
	assert_int_equal(fdt_read_cells(three, 3), 0x600000010ULL);

	soc = fdt_path_offset(fdt, "/soc");
	dev = fdt_path_offset(fdt, "/soc/dev@1000");
	nr = fdt_path_offset(fdt, "/noranges/x@10");
	assert_int_equal(fdt_cells(fdt, soc, "#address-cells", 2), 1);
	assert_int_equal(fdt_cells(fdt, dev, "#address-cells", 2), 2);
	assert_int_equal(fdt_bus_cells(fdt, dev, "#size-cells"), 1);
	assert_int_equal(fdt_n_cells(fdt, soc, "#address-cells"), 2);
	assert_string_equal(fdt_path(fdt, dev, buf, sizeof(buf)), "/soc/dev@1000");
	assert_string_equal(fdt_path(fdt, dev, buf, 4), "?");

	assert_int_equal(fdt_translate_address(fdt, dev, 0x1000, &a), 0);
	assert_int_equal(a, 0x10001000);
	assert_int_equal(fdt_translate_address(fdt, dev, 0x200000, &a), -ENOENT);
	/* a bus without "ranges" does not translate */
	assert_int_equal(fdt_translate_address(fdt, nr, 0x10, &a), -ENOENT);
	/* but a missing dma-ranges is 1:1 */
	assert_int_equal(fdt_translate_address_prop(fdt, nr, 0x10, "dma-ranges", &a), 0);
	assert_int_equal(a, 0x10);
	/* the root has no parent bus */
	assert_int_equal(fdt_translate_address(fdt, 0, 0, &a), -ENOENT);

	assert_true(fdt_node_is_available(fdt, soc));
	assert_true(fdt_node_is_available(fdt, fdt_path_offset(fdt, "/noranges")));
}

/* ------------------------------------------------------------------ */
/* Device-side access */

static void test_dev_access(void **state)
{
	void *fdt = tree_start();
	struct dmapool_machine *m;
	struct device *d, *root_dev;
	uint8_t out[16], in[16];
	size_t before;

	build_buses(fdt);
	tree_finish(fdt);
	m = load(state, fdt);

	d = dmapool_device_find(m, "dev@1000");
	root_dev = dmapool_device_find(m, "dmabus@0");
	for (int i = 0; i < 16; i++)
		out[i] = (uint8_t)(0xa0 + i);

	/*
	 * Bus address 0x1000 is CPU 0x40001000 for the offset device.  The
	 * coherent bus device writes through the cache and DRAM; the
	 * non-coherent one reads DRAM.  Neither address is mapped: each
	 * access is reported, and still happens, as on hardware.
	 */
	assert_int_equal(dmapool_dev_write(root_dev, 0x40001000, out, sizeof(out)), 0);
	memset(in, 0, sizeof(in));
	assert_int_equal(dmapool_dev_read(d, 0x1000, in, sizeof(in)), 0);
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(dmapool_report_count_kind(m, "dev-unmapped"), 2);
	assert_non_null(strstr(dmapool_report_text(m, 1),
			       "[device=10001000.dev] [dma=0x1000] [phys=0x40001000] [size=16] device accessed unmapped DMA address"));

	before = dmapool_report_count(m);
	assert_int_equal(dmapool_dev_read(d, 0x40000000, in, 4), -EFAULT);
	assert_int_equal(dmapool_dev_read(root_dev, 0x1000, in, 4), -EFAULT);
	/* straddling the end of the window */
	assert_int_equal(dmapool_dev_write(d, 0x3ffffffe, out, 4), -EFAULT);
	assert_int_equal(dmapool_report_count(m), before + 3);
	/* past the window is past the mask that dma-ranges set: refused */
	assert_non_null(strstr(dmapool_report_text(m, before),
			       "[device=10001000.dev] [dma=0x40000000] [size=4] [mask=0x3fffffff] [bus_dma_limit=0x3fffffff] device accessed a DMA address beyond its DMA mask"));
	assert_non_null(strstr(dmapool_report_text(m, before + 1),
			       "[device=dmabus@0] [dma=0x1000] [size=4] device accessed unmapped DMA address: it translates to no RAM"));
	assert_int_equal(dmapool_report_count_kind(m, "dev-beyond-mask"), 2);

	assert_int_equal(dmapool_dev_read(NULL, 0, in, 4), -EINVAL);
	assert_int_equal(dmapool_dev_read(d, 0x1000, NULL, 4), -EINVAL);
	assert_int_equal(dmapool_dev_write(d, 0x1000, NULL, 4), -EINVAL);
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
		cmocka_unit_test_teardown(test_device_set, teardown),
		cmocka_unit_test_teardown(test_find, teardown),
		cmocka_unit_test_teardown(test_defaults, teardown),
		cmocka_unit_test_teardown(test_memory_region, teardown),
		cmocka_unit_test_teardown(test_bus_names_and_coherency, teardown),
		cmocka_unit_test_teardown(test_dma_ranges_offset, teardown),
		cmocka_unit_test_teardown(test_dma_ranges_walk, teardown),
		cmocka_unit_test_teardown(test_dma_ranges_untranslatable, teardown),
		cmocka_unit_test_teardown(test_iommus, teardown),
		cmocka_unit_test_teardown(test_fdt_helpers, teardown),
		cmocka_unit_test_teardown(test_dev_access, teardown),
	};

	return cmocka_run_group_tests_name("device", tests, group_setup, tu_leak_teardown);
}
