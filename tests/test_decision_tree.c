/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The decision trees as data (src/decision_tree.c) against the code that
 * records the traces.
 *
 *  - the tables are well formed: one entry, unique ids, edges to known
 *    stages, every stage reachable from the entry and leading to a
 *    backend, no two successors of a stage that one step could match;
 *  - every dt_step() call of the library's sources with a literal stage and function is
 *    a stage of a table, or one of the calls the tables leave out;
 *  - a workload of allocations, frees and maps over every fixture board,
 *    several profiles, masks and kernel command lines: every recorded
 *    alloc, free and map decision walks its tree (each step follows an
 *    edge from the one before, the backend is a leaf of a visited stage),
 *    and the other calls' steps name known stages;
 *  - every stage and backend of the tables was visited by that workload,
 *    except the few listed below with the reason.
 *
 * Usage: test_decision_tree SRC_DIR DTB_OR_DIR...
 */
#include <dirent.h>
#include <errno.h>
#include <regex.h>
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
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/of_reserved_mem.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include "testutil.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *src_dir;
static struct lines dtbs;

/* Stages of the calls the tables leave out (unmap, sync, map_sg,
 * map_resource, dma_alloc_pages): stage name and function. */
static const char *const other_calls[][2] = {
	{ "skip-sync", "dma_dev_need_sync" },
	{ "entry", NULL },
	{ "unwind", "dma_direct_unmap_sg" },
	{ "merge", "__finalise_sg" },
	{ "sync", NULL },
	{ "direct", "dma_unmap_resource" },
	{ "memory", "dma_to_phys" },
	{ "reach", "dma_capable" },
	{ "dev-coherent", "__dma_alloc_pages" },
	{ "gfp", "__dma_alloc_pages" },
	{ "pages", "dma_direct_free_pages" },
	{ "pgtable", "iommu_iova_to_phys" },
	{ "pgtable", "iommu_unmap" },
	{ "pgtable", "iommu_map_sg" },
	{ "bounce", "dev_use_sg_swiotlb" },
	{ "bounce-copy", "swiotlb_sync_single_for_device" },
	{ "bounce-copy", "swiotlb_sync_single_for_cpu" },
	{ "bounce-copy", "swiotlb_bounce" },
	{ "swiotlb", "swiotlb_release_slots" },
	{ "cache", NULL },
	{ "restricted-swiotlb", "swiotlb_alloc" },
};

/*
 * Stages the workload does not reach, and why.  Each is still checked by
 * the table test and the source scan.
 */
static const char *const unreached[][3] = {
	{ "alloc", "track", "the debug tracking out of memory: needs a failing host malloc at that point" },
	{ "alloc", "trace", "more than DMAPOOL_DECISION_MAX_STEPS steps: no allocation takes that many" },
	{ "free", "trace", "more than DMAPOOL_DECISION_MAX_STEPS steps: no free takes that many" },
	{ "free", "iommu-free", "freeing an unknown address behind an IOMMU: the debug check stops it first" },
	{ "map", "track", "the debug tracking out of memory: needs a failing host malloc at that point" },
	{ "map", "trace", "more than DMAPOOL_DECISION_MAX_STEPS steps: no map takes that many" },
	{ "map", "slot-reach", "a SWIOTLB slot beyond the device's reach: the whole profile x board matrix reaches it, this quicker workload does not" },
};

static bool is_unreached(enum dmapool_tree t, const char *id)
{
	for (size_t i = 0; i < ARRAY_SIZE(unreached); i++)
		if (!strcmp(unreached[i][0], dmapool_tree_name(t)) &&
		    !strcmp(unreached[i][1], id))
			return true;
	return false;
}

static bool other_call_stage(const char *stage, const char *func)
{
	for (size_t i = 0; i < ARRAY_SIZE(other_calls); i++)
		if (!strcmp(other_calls[i][0], stage) &&
		    (!other_calls[i][1] || (func && !strcmp(other_calls[i][1], func))))
			return true;
	return false;
}

/* Some stage of some tree records (stage, func); func NULL: any. */
static bool in_some_tree(const char *stage, const char *func)
{
	struct dmapool_decision_step st = { .stage = stage, .func = func };

	for (int t = 0; t < DMAPOOL_TREE_COUNT; t++) {
		size_t n;
		const struct dmapool_stage *s = dmapool_decision_stages(t, &n);

		for (size_t i = 0; i < n; i++) {
			if (func ? dmapool_stage_matches(&s[i], &st) :
			    (s[i].stage && s[i].kind != DMAPOOL_STAGE_BACKEND &&
			     !strcmp(s[i].stage, stage)))
				return true;
		}
	}
	return false;
}

/* ---- the tables ---- */

static bool words_overlap(const char *a, const char *b)
{
	char buf[256], *save = NULL;

	if (!a || !b)
		return true;
	snprintf(buf, sizeof(buf), "%s", a);
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		struct dmapool_stage s = { .kind = DMAPOOL_STAGE_STEP, .stage = "x", .funcs = b };
		struct dmapool_decision_step st = { .stage = "x", .func = w };

		if (dmapool_stage_matches(&s, &st))
			return true;
	}
	return false;
}

static void table_well_formed(void **state)
{
	(void)state;
	assert_null(dmapool_decision_stages(DMAPOOL_TREE_COUNT, NULL));
	assert_null(dmapool_tree_name(DMAPOOL_TREE_COUNT));
	assert_int_equal(dmapool_tree_for_op("alloc"), DMAPOOL_TREE_ALLOC);
	assert_int_equal(dmapool_tree_for_op("free"), DMAPOOL_TREE_FREE);
	assert_int_equal(dmapool_tree_for_op("map"), DMAPOOL_TREE_MAP);
	assert_int_equal(dmapool_tree_for_op("sync_for_cpu"), -ENOENT);
	assert_int_equal(dmapool_tree_for_op(NULL), -EINVAL);
	assert_int_equal(dmapool_stage_index(DMAPOOL_TREE_ALLOC, "no such stage"), -ENOENT);
	for (int t = 0; t < DMAPOOL_TREE_COUNT; t++) {
		size_t n, entries = 0;
		const struct dmapool_stage *s = dmapool_decision_stages(t, &n);
		bool reach[128] = { false }, leads[128] = { false }, more;

		assert_non_null(s);
		assert_true(n > 4 && n < 128);
		for (size_t i = 0; i < n; i++) {
			const struct dmapool_stage *a = &s[i];

			assert_non_null(a->id);
			assert_int_equal(dmapool_stage_index(t, a->id), (int)i);
			assert_non_null(a->desc);
			if (a->kind == DMAPOOL_STAGE_ENTRY) {
				entries++;
				reach[i] = true;
			}
			if (a->kind == DMAPOOL_STAGE_BACKEND) {
				leads[i] = true;
				assert_null(a->next[0].to);
				assert_non_null(a->stage);
				continue;
			}
			if (a->kind != DMAPOOL_STAGE_ENTRY) {
				assert_non_null(a->stage);
				assert_non_null(a->funcs);
			}
			assert_non_null(a->kfunc);
			assert_non_null(a->kfile);
			assert_non_null(a->file);
			for (int e = 0; e < DMAPOOL_STAGE_MAX_NEXT && a->next[e].to; e++) {
				int k = dmapool_stage_index(t, a->next[e].to);

				if (k < 0)
					fail_msg("%s: %s -> %s: no such stage",
						 dmapool_tree_name(t), a->id, a->next[e].to);
				assert_non_null(a->next[e].label);
				assert_int_not_equal(s[k].kind, DMAPOOL_STAGE_ENTRY);
				assert_int_not_equal(s[k].kind, DMAPOOL_STAGE_ANY);
				/* one step matches at most one successor */
				for (int f = 0; f < e; f++) {
					int j = dmapool_stage_index(t, a->next[f].to);

					if (j == k)
						fail_msg("%s: %s has two edges to %s",
							 dmapool_tree_name(t), a->id, s[k].id);
					if (s[j].kind == DMAPOOL_STAGE_STEP &&
					    s[k].kind == DMAPOOL_STAGE_STEP &&
					    !strcmp(s[j].stage, s[k].stage) &&
					    words_overlap(s[j].funcs, s[k].funcs))
						fail_msg("%s: successors %s and %s of %s match the same step",
							 dmapool_tree_name(t), s[j].id, s[k].id, a->id);
				}
			}
		}
		assert_int_equal(entries, 1);
		/* reachable from the entry, and leading to a backend */
		do {
			more = false;
			for (size_t i = 0; i < n; i++)
				for (int e = 0; e < DMAPOOL_STAGE_MAX_NEXT && s[i].next[e].to; e++) {
					int k = dmapool_stage_index(t, s[i].next[e].to);

					if (reach[i] && !reach[k])
						reach[k] = more = true;
					if (leads[k] && !leads[i])
						leads[i] = more = true;
				}
		} while (more);
		for (size_t i = 0; i < n; i++) {
			if (s[i].kind == DMAPOOL_STAGE_ANY)
				continue;
			if (!reach[i])
				fail_msg("%s: %s is not reachable from the entry",
					 dmapool_tree_name(t), s[i].id);
			if (!leads[i])
				fail_msg("%s: %s leads to no backend", dmapool_tree_name(t), s[i].id);
		}
	}
}

/* ---- the source scan ---- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = 0;
	fclose(f);
	return buf;
}

static void source_names_in_table(void **state)
{
	regex_t re;
	DIR *dir;
	struct dirent *de;
	char path[1024];
	unsigned calls = 0, bad = 0;

	(void)state;
	assert_int_equal(regcomp(&re, "dt_step\\([ \t\n]*&?[a-z_]+,[ \t\n]*\"([^\"]+)\",[ \t\n]*\"([^\"]+)\"",
				 REG_EXTENDED), 0);
	dir = opendir(src_dir);
	assert_non_null(dir);
	while ((de = readdir(dir))) {
		size_t len = strlen(de->d_name);
		char *text, *p;
		regmatch_t mt[3];

		if (len < 3 || strcmp(de->d_name + len - 2, ".c") ||
		    !strcmp(de->d_name, "decision.c"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", src_dir, de->d_name);
		text = slurp(path);
		for (p = text; !regexec(&re, p, 3, mt, 0); p += mt[0].rm_eo) {
			char stage[64], func[96];

			snprintf(stage, sizeof(stage), "%.*s", (int)(mt[1].rm_eo - mt[1].rm_so),
				 p + mt[1].rm_so);
			snprintf(func, sizeof(func), "%.*s", (int)(mt[2].rm_eo - mt[2].rm_so),
				 p + mt[2].rm_so);
			calls++;
			if (!in_some_tree(stage, func) && !other_call_stage(stage, func)) {
				fprintf(stderr, "%s: dt_step(\"%s\", \"%s\") is in no decision tree\n",
					de->d_name, stage, func);
				bad++;
			}
		}
		free(text);
	}
	closedir(dir);
	regfree(&re);
	assert_true(calls > 100);	/* the scan found the call sites */
	assert_int_equal(bad, 0);
}

/* ---- the workload ---- */

#define MAX_NODES 128

struct seen {
	bool node[DMAPOOL_TREE_COUNT][MAX_NODES];
	unsigned decisions[DMAPOOL_TREE_COUNT];
	unsigned others, bad;
};

static struct seen seen;

static void dump(const struct dmapool_decision *d, const char *why)
{
	fprintf(stderr, "%s: op %s on %s, backend %s:\n", why, d->op, d->device,
		d->backend ? d->backend : "(null)");
	for (unsigned i = 0; i < d->nsteps; i++)
		fprintf(stderr, "   %s [%s] -> %s\n", d->steps[i].stage, d->steps[i].func,
			d->steps[i].answer);
}

static void sink(void *ctx, const struct dmapool_decision *d)
{
	struct seen *s = ctx;
	int t = dmapool_tree_for_op(d->op), node[DMAPOOL_DECISION_MAX_STEPS], leaf;

	if (t < 0) {
		s->others++;
		for (unsigned i = 0; i < d->nsteps; i++)
			if (!in_some_tree(d->steps[i].stage, d->steps[i].func) &&
			    !other_call_stage(d->steps[i].stage, d->steps[i].func)) {
				if (s->bad++ < 20)
					dump(d, "a stage in no tree");
				break;
			}
		return;
	}
	s->decisions[t]++;
	if (dmapool_decision_walk(d, t, node, &leaf)) {
		if (s->bad++ < 20) {
			unsigned i = 0;

			while (i < d->nsteps && node[i] >= 0)
				i++;
			fprintf(stderr, "step %u does not follow the %s tree (backend leaf %d)\n",
				i, dmapool_tree_name(t), leaf);
			dump(d, "off the tree");
		}
		return;
	}
	for (unsigned i = 0; i < d->nsteps; i++)
		s->node[t][node[i]] = true;
	s->node[t][leaf] = true;
}

static struct device *dev_at(struct dmapool_machine *m, size_t i)
{
	return dmapool_device_at(m, i);
}

static void alloc_free(struct device *dev, size_t size, gfp_t gfp, unsigned long attrs)
{
	dma_addr_t h;
	void *p = dma_alloc_attrs(dev, size, &h, gfp, attrs);

	if (p)
		dma_free_attrs(dev, size, p, h, attrs);
}

static void map_unmap(struct device *dev, void *buf, size_t size,
		      enum dma_data_direction dir, unsigned long attrs)
{
	dma_addr_t h = dma_map_single_attrs(dev, buf, size, dir, attrs);

	if (!dma_mapping_error(dev, h))
		dma_unmap_single_attrs(dev, h, size, dir, attrs);
}

static void drive_device(struct dmapool_machine *m, struct device *dev, bool full)
{
	static const size_t sizes[] = { 0x1000, 0x4000, 0x100000, 0x800000 };
	static const unsigned long attrs[] = {
		0, DMA_ATTR_NO_KERNEL_MAPPING, DMA_ATTR_FORCE_CONTIGUOUS, DMA_ATTR_WRITE_COMBINE,
	};
	static const size_t msizes[] = { 0x20, 0x1000, 0x10000 };
	static const enum dma_data_direction dirs[] = {
		DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_BIDIRECTIONAL,
	};
	void *keep[8];
	dma_addr_t kh[8];
	size_t nkeep = 0;

	(void)m;
	for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
		alloc_free(dev, sizes[s], GFP_KERNEL | __GFP_NOWARN, 0);
		alloc_free(dev, sizes[s], GFP_ATOMIC | __GFP_NOWARN, 0);
	}
	for (size_t a = 1; full && a < ARRAY_SIZE(attrs); a++) {
		alloc_free(dev, 0x4000, GFP_KERNEL | __GFP_NOWARN, attrs[a]);
		alloc_free(dev, 0x4000, GFP_ATOMIC | __GFP_NOWARN, attrs[a]);
	}
	if (full) {
		alloc_free(dev, 0x1000, GFP_KERNEL | __GFP_COMP, 0);
		alloc_free(dev, 0, GFP_KERNEL, 0);
		if (!dmapool_fail_next_alloc(dev, 0))
			alloc_free(dev, 0x1000, GFP_KERNEL, 0);
		/* fill the pools: the fallbacks and the failures */
		while (nkeep < ARRAY_SIZE(keep) &&
		       (keep[nkeep] = dma_alloc_attrs(dev, 0x40000, &kh[nkeep],
						      GFP_ATOMIC | __GFP_NOWARN, 0)))
			nkeep++;
		alloc_free(dev, 0x40000, GFP_ATOMIC | __GFP_NOWARN, 0);
		alloc_free(dev, 0x4000000, GFP_KERNEL | __GFP_NOWARN, 0);
		while (nkeep)
			dma_free_attrs(dev, 0x40000, keep[nkeep - 1], kh[nkeep - 1], 0), nkeep--;
		/* a free of memory the device never got, and of NULL */
		{
			void *p = kmalloc(0x100, GFP_KERNEL);

			dma_free_attrs(dev, 0x100, p, 0x1234000, 0);
			dma_free_attrs(dev, 0x100, NULL, 0, 0);
			kfree(p);
		}
	}
	for (size_t s = 0; s < ARRAY_SIZE(msizes); s++)
		for (size_t d = 0; d < ARRAY_SIZE(dirs); d++) {
			void *buf = kmalloc(msizes[s], GFP_KERNEL);

			if (!buf)
				continue;
			map_unmap(dev, buf, msizes[s], dirs[d], 0);
			if (full)
				map_unmap(dev, buf, msizes[s], dirs[d], DMA_ATTR_SKIP_CPU_SYNC);
			kfree(buf);
		}
	if (full) {
		void *v = vmalloc(0x2000);
		struct page *pg = alloc_pages(GFP_KERNEL, 0);
		void *buf = kmalloc(0x1000, GFP_KERNEL);

		if (v)
			map_unmap(dev, v, 0x2000, DMA_TO_DEVICE, 0);
		vfree(v);
		if (pg) {
			dma_addr_t h = dma_map_page(dev, pg, 0, 0x1000, DMA_FROM_DEVICE);

			if (!dma_mapping_error(dev, h))
				dma_unmap_page(dev, h, 0x1000, DMA_FROM_DEVICE);
			__free_pages(pg, 0);
		}
		if (buf && !dmapool_fail_next_map(dev))
			map_unmap(dev, buf, 0x1000, DMA_TO_DEVICE, 0);
		{
			/* a large map: fills the SWIOTLB when it bounces */
			void *big = kmalloc(0x40000, GFP_KERNEL);

			if (big)
				map_unmap(dev, big, 0x40000, DMA_BIDIRECTIONAL, 0);
			kfree(big);
		}
		kfree(buf);
	}
}

struct run {
	const char *arch, *bootargs, *knobs;
	int mask_bits;		/* 0: leave the masks; -1: a zero coherent mask */
	bool full;		/* the whole workload, else the common calls */
	bool all;		/* every board, else the few of `subset` */
};

/* Boards with a bit of everything: pools, IOMMUs, restricted pools,
 * memory above 4 GiB. */
static const char *const subset[] = {
	"demo-board.dtb", "02-dma-default-and-mapped.dtb", "22-probe-streaming.dtb",
	"23-probe-iommu.dtb", "42-probe-multi-region.dtb", "49-probe-atomic-8G.dtb",
	"61-probe-32bit-8G.dtb", "62-probe-swiotlb-areas.dtb",
	"75-probe-iommu-noncoherent.dtb", "76-probe-iommu-pool.dtb",
	"mediatek-mt8192-asurada-spherion.dtb", "52-probe-dma-ranges.dtb",
	"65-probe-window-24-30.dtb", "rpi4b-bcm2711.dtb",
};

/* The quick test loop (tests/testutil.h) drives these only. */
static const char *const quick_subset[] = {
	"demo-board.dtb", "61-probe-32bit-8G.dtb",
};

static bool in_list(const char *path, const char *const *v, size_t n)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(base, v[i]))
			return true;
	return false;
}

static bool in_subset(const char *path)
{
	if (tu_quick())
		return in_list(path, quick_subset, ARRAY_SIZE(quick_subset));
	return in_list(path, subset, ARRAY_SIZE(subset));
}

static void drive_machine(const char *path, const struct run *r)
{
	struct dmapool_config cfg = { .arch = r->arch, .bootargs = r->bootargs,
				      .knobs = r->knobs };
	struct dmapool_machine *m = NULL;

	if (dmapool_machine_load(path, &cfg, &m))
		return;	/* the broken boards of the corpus */
	dmapool_machine_use(m);
	dmapool_set_decision_sink(m, sink, &seen);
	/* every board: its first devices (the corpus has boards with
	 * hundreds); the subset: all of them */
	for (size_t i = 0; i < dmapool_device_count(m) && (!r->all || i < 12); i++) {
		struct device *dev = dev_at(m, i);

		for (int k = 0; k < 4; k++)
			if (of_reserved_mem_device_init_by_idx(dev, dev_of_node(dev), k))
				break;
		if (r->mask_bits > 0)
			(void)dma_set_mask_and_coherent(dev, DMA_BIT_MASK(r->mask_bits));
		if (r->mask_bits < 0)	/* a zero coherent mask: warned, goes on */
			(void)dma_set_coherent_mask(dev, 0);
		drive_device(m, dev, r->full);
	}
	dmapool_set_decision_sink(m, NULL, NULL);
	dmapool_machine_destroy(m);
}

static void traces_follow_tree(void **state)
{
	static const struct run runs[] = {
		{ NULL, NULL, NULL, 0, false, true },
		{ NULL, NULL, NULL, 0, true, false },
		{ NULL, NULL, NULL, 30, false, false },
		{ NULL, NULL, NULL, 31, false, false },
		{ NULL, NULL, NULL, 64, false, false },
		{ NULL, "swiotlb=force", NULL, 0, false, false },
		{ NULL, NULL, "dma_restricted_pool=y", 0, true, false },
		{ NULL, NULL, "dma_direct_remap=n", 0, false, false },
		{ "arm", NULL, NULL, 0, true, false },
		{ "arm", NULL, "cma=n", 0, false, false },
		{ "arm-nommu", NULL, NULL, 0, true, false },
		{ "riscv64", NULL, NULL, 0, false, false },
		{ "x86_64", NULL, NULL, 0, false, false },
		{ NULL, NULL, NULL, -1, false, false },
	};

	(void)state;
	assert_true(dtbs.n > 0);
	/* the quick loop: every third run, on the quick subset */
	for (size_t r = 0; r < ARRAY_SIZE(runs); r += tu_quick() ? 3 : 1)
		for (size_t i = 0; i < dtbs.n; i++)
			if ((runs[r].all && !tu_quick()) || in_subset(dtbs.v[i]))
				drive_machine(dtbs.v[i], &runs[r]);
	fprintf(stderr, "decisions: alloc %u, free %u, map %u, other calls %u\n",
		seen.decisions[DMAPOOL_TREE_ALLOC], seen.decisions[DMAPOOL_TREE_FREE],
		seen.decisions[DMAPOOL_TREE_MAP], seen.others);
	for (int t = 0; t < DMAPOOL_TREE_COUNT; t++)
		assert_true(seen.decisions[t] > 100);
	assert_int_equal(seen.bad, 0);
}

static void every_stage_visited(void **state)
{
	unsigned missing = 0;

	(void)state;
	if (tu_quick()) {	/* coverage needs the whole workload: soak setup */
		print_message("every stage visited: checked in the soak setup only\n");
		skip();
	}
	assert_true(seen.decisions[DMAPOOL_TREE_ALLOC] > 0);	/* after the workload */
	for (int t = 0; t < DMAPOOL_TREE_COUNT; t++) {
		size_t n;
		const struct dmapool_stage *s = dmapool_decision_stages(t, &n);

		for (size_t i = 0; i < n; i++) {
			bool listed = is_unreached(t, s[i].id);

			if (s[i].kind == DMAPOOL_STAGE_ENTRY)
				continue;
			if (!seen.node[t][i] && !listed) {
				fprintf(stderr, "%s: stage %s was never visited\n",
					dmapool_tree_name(t), s[i].id);
				missing++;
			} else if (seen.node[t][i] && listed) {
				fprintf(stderr, "%s: stage %s is listed as unreached but was visited: update the list\n",
					dmapool_tree_name(t), s[i].id);
				missing++;
			}
		}
	}
	assert_int_equal(missing, 0);
}

static void walk_rejects(void **state)
{
	struct dmapool_decision d;
	int node[DMAPOOL_DECISION_MAX_STEPS], leaf;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.op = "alloc";
	d.backend = "dev-cma";
	assert_int_equal(dmapool_decision_walk(NULL, DMAPOOL_TREE_ALLOC, node, &leaf), -EINVAL);
	assert_int_equal(dmapool_decision_walk(&d, DMAPOOL_TREE_COUNT, node, &leaf), -EINVAL);
	/* no step: the entry does not lead to dev-cma */
	assert_int_equal(dmapool_decision_walk(&d, DMAPOOL_TREE_ALLOC, node, &leaf), -ENOENT);
	assert_int_equal(leaf, -1);
	/* zone before the dev-coherent check: off the tree */
	d.nsteps = 2;
	d.steps[0].stage = "zone";
	d.steps[0].func = "dma_direct_optimal_gfp_mask";
	d.steps[1].stage = "dev-cma";
	d.steps[1].func = "cma_alloc";
	assert_int_equal(dmapool_decision_walk(&d, DMAPOOL_TREE_ALLOC, node, &leaf), -ENOENT);
	assert_int_equal(node[0], -1);
	/* the right order walks, and the backend is dev-cma's leaf */
	d.nsteps = 5;
	d.steps[0] = (struct dmapool_decision_step){ .stage = "dev-coherent", .func = "dma_alloc_from_dev_coherent" };
	d.steps[1] = (struct dmapool_decision_step){ .stage = "iommu", .func = "use_dma_iommu" };
	d.steps[2] = (struct dmapool_decision_step){ .stage = "coherent", .func = "dev_is_dma_coherent" };
	d.steps[3] = (struct dmapool_decision_step){ .stage = "zone", .func = "dma_direct_optimal_gfp_mask" };
	d.steps[4] = (struct dmapool_decision_step){ .stage = "dev-cma", .func = "cma_alloc" };
	assert_int_equal(dmapool_decision_walk(&d, DMAPOOL_TREE_ALLOC, node, &leaf), 0);
	assert_int_equal(node[4], dmapool_stage_index(DMAPOOL_TREE_ALLOC, "dev-cma"));
	assert_int_equal(leaf, dmapool_stage_index(DMAPOOL_TREE_ALLOC, "backend:dev-cma"));
	/* a function the stage does not record */
	d.steps[4].func = "alloc_pages_node";
	assert_int_equal(dmapool_decision_walk(&d, DMAPOOL_TREE_ALLOC, node, &leaf), -ENOENT);
	assert_int_equal(node[4], -1);
}

static int strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_dtbs(const char *arg)
{
	size_t len = strlen(arg);
	DIR *d;
	struct dirent *de;
	struct lines names = { 0 };

	if (len > 4 && !strcmp(arg + len - 4, ".dtb")) {
		lines_add(&dtbs, arg);
		return;
	}
	d = opendir(arg);
	if (!d) {
		fprintf(stderr, "%s: %s\n", arg, strerror(errno));
		exit(2);
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l > 4 && !strcmp(de->d_name + l - 4, ".dtb")) {
			char path[1024];

			snprintf(path, sizeof(path), "%s/%s", arg, de->d_name);
			lines_add(&names, path);
		}
	}
	closedir(d);
	/* a stable order */
	qsort(names.v, names.n, sizeof(*names.v), strcmp_ptr);
	for (size_t i = 0; i < names.n; i++)
		lines_add(&dtbs, names.v[i]);
	lines_free(&names);
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
		cmocka_unit_test(table_well_formed),
		cmocka_unit_test(walk_rejects),
		cmocka_unit_test(source_names_in_table),
		cmocka_unit_test_teardown(traces_follow_tree, tu_teardown),
		cmocka_unit_test(every_stage_visited),
	};
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: %s SRC_DIR DTB_OR_DIR...\n", argv[0]);
		return 2;
	}
	src_dir = argv[1];
	for (int i = 2; i < argc; i++)
		add_dtbs(argv[i]);
	rc = cmocka_run_group_tests_name("decision_tree", tests, group_setup, tu_leak_teardown);
	lines_free(&dtbs);
	return rc;
}
