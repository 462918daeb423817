/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * of_reserved_mem_device_init*() attach pools as Linux 6.12 does: the
 * expected lines and return codes come from the real kernel's probe runs
 * (fixtures/oracle/20-probe-allocs and 21-probe-dma-mask).
 *
 * Usage: test_rmem_attach ORACLE_FIXTURE_DIR
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

#include "internal.h"
#include <linux/of_reserved_mem.h>
#include "testutil.h"

static const char *dir;

struct ctx {
	struct dmapool_machine *m;
	char *log[512];
	size_t nlog;
};

static void sink(void *c, const char *line)
{
	struct ctx *x = c;

	if (x->nlog < 512)
		x->log[x->nlog++] = strdup(line);
}

static bool logged(struct ctx *x, const char *line)
{
	for (size_t i = 0; i < x->nlog; i++)
		if (!strcmp(x->log[i], line))
			return true;
	return false;
}

static struct ctx *load(const char *name)
{
	struct ctx *x = calloc(1, sizeof(*x));
	struct dmapool_config cfg = { .log_sink = sink };
	char path[1024];

	assert_non_null(x);
	cfg.log_ctx = x;
	snprintf(path, sizeof(path), "%s/%s.dtb", dir, name);
	assert_int_equal(dmapool_machine_load(path, &cfg, &x->m), 0);
	return x;
}

static void unload(struct ctx *x)
{
	dmapool_machine_destroy(x->m);
	for (size_t i = 0; i < x->nlog; i++)
		free(x->log[i]);
	free(x);
}


static int group_setup(void **state)
{
	/* warm up libc and cmocka allocations before counting */
	struct ctx *x = load("20-probe-allocs");

	unload(x);
	tu_leak_mark();
	return 0;
}

static void per_device_pool(void **state)
{
	struct ctx *x = load("20-probe-allocs");
	struct device *d0 = dmapool_device_find(x->m, "probe@0");
	struct device *d4 = dmapool_device_find(x->m, "/probe@4");

	assert_non_null(d0);
	assert_non_null(d4);
	assert_null(d0->dma_mem);
	assert_int_equal(of_reserved_mem_device_init(d0), 0);
	assert_true(logged(x, "dmaprobe probe@0: assigned reserved memory node pool-a@70000000"));
	assert_non_null(d0->dma_mem);
	assert_int_equal(dma_coherent_mem_base(d0->dma_mem), 0x70000000);
	assert_int_equal(dma_coherent_mem_pages(d0->dma_mem), 256);
	/* a second device shares the same pool object (one bitmap) */
	assert_int_equal(of_reserved_mem_device_init_by_idx(d4, dev_of_node(d4), 0), 0);
	assert_ptr_equal(d4->dma_mem, d0->dma_mem);
	assert_int_equal(of_reserved_mem_device_init_by_idx(d4, dev_of_node(d4), 1), 0);
	assert_true(logged(x, "dmaprobe probe@4: assigned reserved memory node cma-dev@80000000"));
	assert_non_null(d4->cma_area);
	/* one pool per device */
	assert_int_equal(of_reserved_mem_device_init_by_idx(d4, dev_of_node(d4), 0), -EBUSY);
	/* no such index */
	assert_int_equal(of_reserved_mem_device_init_by_idx(d4, dev_of_node(d4), 2), -ENODEV);
	of_reserved_mem_device_release(d4);
	assert_null(d4->dma_mem);
	assert_null(d4->cma_area);
	assert_non_null(d0->dma_mem);
	unload(x);
}

static void mapped_pool_refused(void **state)
{
	struct ctx *x = load("20-probe-allocs");
	struct device *d5 = dmapool_device_find(x->m, "probe@5");

	assert_non_null(d5);
	/* arm64: memremap(MEMREMAP_WC) refuses System RAM -> -EINVAL */
	assert_int_equal(of_reserved_mem_device_init(d5), -EINVAL);
	assert_true(logged(x, "memremap attempted on ram 0x0000000070100000 size: 0x100000"));
	assert_true(logged(x, "WARNING: CPU: 0 PID: 1 at kernel/iomem.c:104 memremap+0x23c/0x288"));
	assert_null(d5->dma_mem);
	unload(x);
}

static void device_without_region(void **state)
{
	struct ctx *x = load("20-probe-allocs");
	struct device *d2 = dmapool_device_find(x->m, "probe@2");

	assert_non_null(d2);
	assert_int_equal(of_reserved_mem_device_init(d2), -ENODEV);
	assert_int_equal(of_reserved_mem_device_init_by_name(d2, dev_of_node(d2), "x"), -ENODEV);
	assert_int_equal(of_reserved_mem_device_init_by_idx(NULL, NULL, 0), -EINVAL);
	unload(x);
}

static void beyond_mask_warning(void **state)
{
	struct ctx *x = load("21-probe-dma-mask");
	struct device *d0 = dmapool_device_find(x->m, "probe@0");
	size_t i, warn = 0, assigned = 0;

	assert_non_null(d0);
	assert_int_equal(of_reserved_mem_device_init(d0), 0);
	/* the warning comes first, then the assignment (kernel order) */
	for (i = 0; i < x->nlog; i++) {
		if (!strcmp(x->log[i], "dmaprobe probe@0: reserved memory is beyond device's set DMA address range"))
			warn = i + 1;
		if (!strcmp(x->log[i], "dmaprobe probe@0: assigned reserved memory node pool-hi@100000000"))
			assigned = i + 1;
	}
	assert_true(warn && assigned && warn < assigned);
	unload(x);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(per_device_pool),
		cmocka_unit_test(mapped_pool_refused),
		cmocka_unit_test(device_without_region),
		cmocka_unit_test(beyond_mask_warning),
	};

	if (argc < 2)
		return 2;
	dir = argv[1];
	return cmocka_run_group_tests_name("rmem_attach", tests, group_setup, tu_leak_teardown);
}
