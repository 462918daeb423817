/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Probe scenarios against the real kernel: every oracle fixture whose tree
 * has "libdmapool,probe" nodes is booted, its probes are run
 * (dmapool_run_probes, what "dmapool run" prints) and the kernel lines are
 * compared with the lines Linux 6.12 printed for the same tree, in order.
 *
 * The one tolerated difference is the address of memory that the page
 * allocator served: it varies on the real kernel too.  A line is let
 * through only if this library's decision was a buddy backend (for an
 * allocation; also an atomic pool whose memory came from the page
 * allocator rather than CMA) or a direct mapping of a kmalloc / alloc_pages buffer (for
 * "map", "map_page" and "map_sg" lines), and the kernel's address lies
 * outside every CMA area, reserved region and the SWIOTLB (so the kernel
 * did not use a pool or bounce either); a later "free #N" / "unmap #N"
 * line of the same entry is matched the same way.
 *
 *   test_probe_run FIXTURE_DIR NAME...
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <cmocka.h>

#include "internal.h"
#include "testutil.h"

static const char *fixture_dir;

/* The lines regen-oracle-fixtures.py keeps from a probe run. */
static bool kept(const char *s)
{
	static const char *const pfx[] = {
		"Reserved memory: ", "OF: reserved mem: ", "cma: ", "software IO TLB: ",
		"DMA: ", "Zone ranges:", "  DMA ", "  DMA32 ", "  Normal ", "  node   0: ",
		"dmaprobe ", "memremap attempted on ram ", "WARNING: CPU: 0 PID: 1 at ",
		"iommu: ", "arm-smmu-v3 ",
	};

	for (size_t i = 0; i < ARRAY_SIZE(pfx); i++)
		if (!strncmp(s, pfx[i], strlen(pfx[i])))
			return true;
	return strstr(s, "DMA pool exhausted") != NULL ||
	       strstr(s, ") overlaps with ") != NULL;
}

struct alloc_rec {
	const char *backend;
	dma_addr_t dma;
};

struct rec_list {
	struct alloc_rec *a;
	size_t n;
};

struct run_ctx {
	struct rec_list alloc, map;
};

static void rec_add(struct rec_list *l, const struct dmapool_decision *d)
{
	l->a = realloc(l->a, (l->n + 1) * sizeof(*l->a));
	if (!l->a)
		abort();
	l->a[l->n].backend = d->backend;
	l->a[l->n].dma = d->dma;
	l->n++;
}

static void on_decision(void *ctx, const struct dmapool_decision *d)
{
	struct run_ctx *rc = ctx;

	if (!strcmp(d->op, "alloc"))
		rec_add(&rc->alloc, d);
	else if (!strcmp(d->op, "map") || !strcmp(d->op, "map_sg"))
		rec_add(&rc->map, d);
}

/* "... -> ok dma=0x..." : prefix length up to "dma=", and the address */
static bool split_dma(const char *s, size_t *pfx, uint64_t *addr)
{
	const char *p = strstr(s, "dma=0x");

	if (!p)
		return false;
	*pfx = (size_t)(p - s);
	*addr = strtoull(p + 4, NULL, 16);
	return true;
}

static bool in_some_pool(struct dmapool_machine *m, uint64_t pa)
{
	if (cma_area_of(m, pa))
		return true;
	if (m->swiotlb.present && pa >= m->swiotlb.start && pa < m->swiotlb.end)
		return true;
	for (size_t i = 0; i < m->n_rmem; i++)
		if (pa >= m->rmem[i].base && pa - m->rmem[i].base < m->rmem[i].size)
			return true;
	return false;
}

/* device name and index of an "alloc #N" or "free #N" line */
static bool line_index(const char *s, const char *what, char *dev, size_t devlen,
		       unsigned *idx)
{
	const char *p = strstr(s, what);
	const char *colon = strchr(s, ':');

	if (!p || !colon || strncmp(s, "dmaprobe ", 9))
		return false;
	snprintf(dev, devlen, "%.*s", (int)(colon - s - 9), s + 9);
	*idx = (unsigned)strtoul(p + strlen(what), NULL, 10);
	return true;
}

struct exempt {
	char dev[64];
	unsigned idx;
	uint64_t ours, theirs;
};

static void check_probe(void **state)
{
	const char *name = *state;
	struct dmapool_machine *m = NULL;
	struct lines file = { 0 }, exp = { 0 }, got = { 0 };
	struct run_ctx rc = { 0 };
	struct exempt ex[256];
	size_t nex = 0, alloc_no = 0, map_no = 0, buddy_lines = 0;
	size_t sg_map = 0;	/* map record of the last "map_sg" line, + 1 */
	char path[1024];
	int ret;

	snprintf(path, sizeof(path), "%s/%s.expected", fixture_dir, name);
	lines_read(path, &file);
	for (size_t i = 0; i < file.n; i++)
		if (file.v[i][0] != '#')
			lines_add(&exp, file.v[i]);
	lines_free(&file);

	snprintf(path, sizeof(path), "%s/%s.dtb", fixture_dir, name);
	assert_int_equal(dmapool_machine_load(path, NULL, &m), 0);
	dmapool_set_decision_sink(m, on_decision, &rc);
	ret = dmapool_run_probes(m);
	assert_true(ret > 0);
	/* the IOMMU core's lines are on every boot; the oracle keeps them
	 * only for machines with an IOMMU */
	bool iommu_lines = lines_have_prefix(&exp, "iommu: ");
	for (size_t i = 0; i < dmapool_log_count(m); i++) {
		const char *l = dmapool_log_line(m, i);

		if (!iommu_lines && !strncmp(l, "iommu: ", 7))
			continue;
		if (kept(l) && strncmp(l, "libdmapool: ", 12))
			lines_add(&got, l);
	}

	for (size_t i = 0; i < exp.n || i < got.n; i++) {
		const char *e = i < exp.n ? exp.v[i] : "(end)";
		const char *g = i < got.n ? got.v[i] : "(end)";
		size_t pe, pg;
		uint64_t ae, ag;
		char dev[64];
		unsigned idx;
		bool is_alloc = i < got.n && strstr(g, ": dmaprobe: alloc #");
		bool is_map = i < got.n && (strstr(g, ": dmaprobe: map #") ||
					    strstr(g, ": dmaprobe: map_page #") ||
					    (strstr(g, ": dmaprobe: map_sg #") &&
					     strstr(g, " nents="))) &&
			      !strstr(g, "(no buffer)");
		bool is_seg = i < got.n && strstr(g, ": dmaprobe: map_sg #") &&
			      strstr(g, " seg ");

		if (is_alloc)
			alloc_no++;
		if (is_map) {
			map_no++;
			sg_map = strstr(g, "map_sg #") ? map_no : 0;
		}
		if (!strcmp(e, g))
			continue;
		if (i < exp.n && i < got.n && split_dma(e, &pe, &ae) && split_dma(g, &pg, &ag) &&
		    pe == pg && !strncmp(e, g, pe)) {
			bool page_alloc =
				(is_alloc && strstr(g, "-> ok ") && alloc_no <= rc.alloc.n &&
				 (!strncmp(rc.alloc.a[alloc_no - 1].backend, "buddy-", 6) ||
				  (!strncmp(rc.alloc.a[alloc_no - 1].backend, "atomic-", 7) &&
				   !in_some_pool(m, ag))) &&
				 rc.alloc.a[alloc_no - 1].dma == ag &&
				 line_index(g, "alloc #", dev, sizeof(dev), &idx)) ||
				(is_map && strstr(g, "-> ok ") && map_no <= rc.map.n &&
				 !strcmp(rc.map.a[map_no - 1].backend, "direct") &&
				 rc.map.a[map_no - 1].dma == ag &&
				 (line_index(g, "map #", dev, sizeof(dev), &idx) ||
				  line_index(g, "map_page #", dev, sizeof(dev), &idx) ||
				  line_index(g, "map_sg #", dev, sizeof(dev), &idx))) ||
				(is_seg && sg_map && sg_map <= rc.map.n &&
				 !strcmp(rc.map.a[sg_map - 1].backend, "direct") &&
				 line_index(g, "map_sg #", dev, sizeof(dev), &idx));

			if (page_alloc && !in_some_pool(m, ae) && nex < ARRAY_SIZE(ex)) {
				if (is_seg) {
					buddy_lines++;
					continue;
				}
				snprintf(ex[nex].dev, sizeof(ex[nex].dev), "%s", dev);
				ex[nex].idx = idx;
				ex[nex].ours = ag;
				ex[nex].theirs = ae;
				nex++;
				buddy_lines++;
				continue;
			}
			if (line_index(g, "free #", dev, sizeof(dev), &idx) ||
			    line_index(g, "unmap #", dev, sizeof(dev), &idx)) {
				bool ok = false;

				for (size_t k = 0; k < nex; k++)
					if (!strcmp(ex[k].dev, dev) && ex[k].idx == idx &&
					    ex[k].ours == ag && ex[k].theirs == ae)
						ok = true;
				if (ok)
					continue;
			}
		}
		fail_msg("%s: line %zu differs\n  kernel:     %s\n  libdmapool: %s",
			 name, i + 1, e, g);
	}
	print_message("%s: %zu lines equal, %zu page-allocator address(es) tolerated\n",
		      name, exp.n, buddy_lines);
	dmapool_machine_destroy(m);
	lines_free(&exp);
	lines_free(&got);
	free(rc.alloc.a);
	free(rc.map.a);
}

/* Every machine was destroyed: no descriptor, mapping or heap block is
 * left. */
static int group_setup(void **state)
{
	(void)state;
	tu_leak_mark();
	return 0;
}

int main(int argc, char **argv)
{
	struct CMUnitTest *tests;
	int n = argc - 2, rc;

	if (argc < 3) {
		fprintf(stderr, "usage: %s FIXTURE_DIR NAME...\n", argv[0]);
		return 2;
	}
	fixture_dir = argv[1];
	tests = calloc((size_t)n, sizeof(*tests));
	if (!tests)
		return 1;
	for (int i = 0; i < n; i++) {
		tests[i].name = argv[i + 2];
		tests[i].test_func = check_probe;
		tests[i].initial_state = argv[i + 2];
	}
	rc = _cmocka_run_group_tests("probe_run", tests, (size_t)n, group_setup,
				     tu_leak_teardown);
	free(tests);
	return rc;
}
