/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * p4_iommu.c — target P4: a streaming map + unmap of 4 KiB through the
 * IOMMU model (src/iommu.c, modelling drivers/iommu/dma-iommu.c: IOVA
 * allocation through the range caches of src/iova.c, the page-table walk
 * and leaf entry, the strict IOTLB invalidation on unmap) against glibc
 * malloc(64)/free() in mm/dmapool_test.c's batch pattern (the P3
 * baseline, baseline_malloc.c), measured side by side in one process.
 *
 * The machine: the arm64 profile, 4 GiB of RAM, QEMU's SMMUv3 and one
 * coherent device dev@0 behind it (iommus = <&smmu 0x100>), default
 * bootargs (the strict DMA domain of the arm64 profile), 64-bit masks,
 * decision tracing off.
 *
 * Figures (ns per map + unmap over batches of >= 100,000; one round maps
 * BATCH, then unmaps them all in the same order):
 *  1. the IOMMU layer alone, without the DMA-API debug tracking:
 *     iommu_dma_map_phys() + iommu_dma_unmap_phys() of 4 KiB, every IOVA
 *     from the range cache (checked).  Target <= 6 x the baseline.
 *  2. the same through the public DMA API, which adds the always-on
 *     DMA-API debug tracking: informational, held to P3's <= 15.
 *  3. IOVA cache hit: alloc_iova_fast() + free_iova_fast() of 1 granule
 *     on a bare domain, every allocation a range-cache hit (checked).
 *     "<= 15 ns-equivalent" is read as ratio <= 1.0 against the
 *     malloc(64) + free pair.
 *  4. scaling: figures 1 and 2 and the tree path (256 KiB: above the
 *     range caches' 32 granules, so every map walks and inserts in the
 *     IOVA tree) with 1,000 ... 1,000,000 other live IOVAs in the
 *     device's domain; ratio 1 M / 1 K <= 3.
 *
 * Self-checks (exit 1): a report, a domain that is not strict, a mapping
 * that is not an IOVA translating to its page, a wrong live count, an
 * IOTLB invalidation missing, a range-cache miss where hits are claimed
 * or a hit where the tree is claimed.
 *
 * Left out: the flush queue (lazy mode), multiple devices per group.
 */
#include <inttypes.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"		/* iommu_dma_*, iova_*, struct dmapool_machine */
#include "baseline.h"
#include "benchutil.h"
#include "harness.h"

#define TARGET_IOMMU	6.0		/* figure 1 / baseline */
#define TARGET_API	15.0		/* figure 2 / baseline: P3's, by analogy */
#define TARGET_HIT	1.0		/* "<= 15 ns-equivalent" */
#define TARGET_SCALE	3.0		/* 1,000,000 live / 1,000 live */
#define BATCH		64u		/* mappings made, then unmapped, per round */
#define ROUNDS		1563u		/* 100,032 map + unmap per timing */
#define TREE_PAGES	64u		/* 256 KiB: not range-cached */
#define TREE_ORDER	6u
#define BASE_N		BL_MALLOC_N	/* bench_dmapool's P1 64 B batch */
#define BASE_ROUNDS	13u		/* 106,496 malloc + free per timing */
#define HIT_ROUNDS	1563u		/* 100,032 alloc + free per timing */
#define LIVE_SMALL	1000u
#define LIVE_LARGE	1000000u
#define RAM_BASE	0x40000000ULL
#define RAM_SIZE	0x100000000ULL	/* 4 GiB */
#define PG		4096u

static struct dmapool_machine *m;
static struct device *dev;

/* ------------------------------------------------------------------ */
/* the machine                                                          */

static const char dts[] =
	"/dts-v1/;\n"
	"/ {\n"
	"	#address-cells = <2>; #size-cells = <2>;\n"
	"	chosen { bootargs = \"\"; };\n"
	"	memory@40000000 { device_type = \"memory\"; reg = <0x0 0x40000000 0x1 0x0>; };\n"
	"	smmu: smmuv3@9050000 { compatible = \"arm,smmu-v3\"; reg = <0x0 0x9050000 0x0 0x20000>;\n"
	"		#iommu-cells = <1>; dma-coherent; };\n"
	"	dev@0 { compatible = \"bench,dev\"; dma-coherent; iommus = <&smmu 0x100>; };\n"
	"};\n";

static struct dmapool_iommu_stats stats(void)
{
	struct dmapool_iommu_stats s;

	if (dmapool_iommu_stats(dev, &s))
		bench_die(m, "dev@0 is not behind an IOMMU");
	return s;
}

static void machine_up(void)
{
	char path[512], file[600];
	struct dmapool_iommu_stats s;
	FILE *f;
	int fd, err;

	bench_tmp_template(path, sizeof(path));
	fd = mkstemp(path);
	if (fd < 0)
		bench_die(m, "cannot make a temporary file");
	close(fd);
	unlink(path);
	snprintf(file, sizeof(file), "%s.dts", path);
	f = fopen(file, "w");
	if (!f)
		bench_die(m, "cannot write the temporary tree");
	fputs(dts, f);
	fclose(f);
	err = dmapool_machine_load(file, NULL, &m);
	unlink(file);
	if (err)
		bench_die(m, "cannot load the machine (is dtc installed?)");
	dmapool_machine_use(m);
	dev = dmapool_device_find(m, "dev@0");
	/* dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)) */
	if (!dev || dma_set_mask(dev, DMA_BIT_MASK(64)) ||
	    dma_set_coherent_mask(dev, DMA_BIT_MASK(64)))
		bench_die(m, "no device, or a 64-bit mask refused");
	if (strcmp(m->prof.arch, "arm64"))
		bench_die(m, "not the arm64 profile");
	s = stats();		/* probes the device: attached to the SMMU */
	if (!dev_is_dma_coherent(dev) || !use_dma_iommu(dev))
		bench_die(m, "dev@0 is not coherent, or not in a translating DMA domain");
	if (strcmp(s.mode, "strict") || s.granule != PG)
		bench_die(m, "the DMA domain is not strict with 4 KiB granules");
	dmapool_set_tracing(m, false);
}

/* ------------------------------------------------------------------ */
/* the other live IOVAs: one page mapped again and again               */

static phys_addr_t live_pa;
static void *live_page;
static dma_addr_t *live;
static unsigned nlive;

/* IOMMU pages mapped and IOVA ranges allocated outside the caches must
 * both be the live set's (the benchmark's own mappings are all undone). */
static void check_live(unsigned want)
{
	struct dmapool_iommu_stats s = stats();

	if (s.pt_mapped != want || s.iova_live - s.iova_cached != want || s.fq_pending)
		bench_die(m, "the domain's mapped pages or live IOVAs are not the live set's");
}

static void live_set(unsigned want)
{
	while (nlive < want) {
		live[nlive] = iommu_dma_map_phys(dev, live_pa, PG, DMA_TO_DEVICE, 0, NULL);
		if (live[nlive] == DMA_ERR)
			bench_die(m, "iommu_dma_map_phys failed (live set)");
		nlive++;
	}
	while (nlive > want) {
		nlive--;
		iommu_dma_unmap_phys(dev, live[nlive], PG, DMA_TO_DEVICE, 0, NULL);
	}
	check_live(want);
}

/* ------------------------------------------------------------------ */
/* subjects and baseline                                                */

static void *pages[BATCH];
static phys_addr_t pas[BATCH];
static void *blocks[BATCH];		/* 256 KiB each */
static phys_addr_t bpas[BATCH];
static dma_addr_t handles[BATCH];

/* Figure 1: ns per iommu_dma_map_phys + iommu_dma_unmap_phys of 4 KiB. */
static __attribute__((noinline)) double subject_iommu(unsigned rounds)
{
	double t0 = hx_now();

	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < BATCH; i++) {
			handles[i] = iommu_dma_map_phys(dev, pas[i], PG, DMA_TO_DEVICE, 0, NULL);
			if (__builtin_expect(handles[i] == DMA_ERR, 0))
				bench_die(m, "iommu_dma_map_phys failed");
		}
		for (unsigned i = 0; i < BATCH; i++)
			iommu_dma_unmap_phys(dev, handles[i], PG, DMA_TO_DEVICE, 0, NULL);
	}
	return (hx_now() - t0) / ((double)BATCH * rounds);
}

/* Figure 2: ns per dma_map_single + dma_mapping_error + dma_unmap_single. */
static __attribute__((noinline)) double subject_api(unsigned rounds)
{
	double t0 = hx_now();

	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < BATCH; i++) {
			handles[i] = dma_map_single_attrs(dev, pages[i], PG, DMA_TO_DEVICE, 0);
			if (__builtin_expect(bench_map_error(dev, handles[i]) != 0, 0))
				bench_die(m, "dma_map_single failed");
		}
		for (unsigned i = 0; i < BATCH; i++)
			dma_unmap_page_attrs(dev, handles[i], PG, DMA_TO_DEVICE, 0);
	}
	return (hx_now() - t0) / ((double)BATCH * rounds);
}

/* The tree path: ns per map + unmap of 256 KiB through the IOMMU layer. */
static __attribute__((noinline)) double subject_tree(unsigned rounds)
{
	double t0 = hx_now();

	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < BATCH; i++) {
			handles[i] = iommu_dma_map_phys(dev, bpas[i], PG * TREE_PAGES,
							DMA_TO_DEVICE, 0, NULL);
			if (__builtin_expect(handles[i] == DMA_ERR, 0))
				bench_die(m, "iommu_dma_map_phys failed (256 KiB)");
		}
		for (unsigned i = 0; i < BATCH; i++)
			iommu_dma_unmap_phys(dev, handles[i], PG * TREE_PAGES, DMA_TO_DEVICE, 0, NULL);
	}
	return (hx_now() - t0) / ((double)BATCH * rounds);
}

/* P3's baseline: malloc(64) + free in the batch pattern */
static double baseline(unsigned rounds)
{
	return bl_malloc64_pairs(rounds);
}

/* Figure 3: alloc_iova_fast + free_iova_fast of one granule on a bare
 * domain, BATCH allocated then freed per round. */
static struct iova_domain *iovad;
static uint64_t hit_limit;
static uint64_t pfns[BATCH];

static __attribute__((noinline)) double subject_hit(unsigned rounds)
{
	double t0 = hx_now();

	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < BATCH; i++) {
			pfns[i] = alloc_iova_fast(iovad, 1, hit_limit, true, NULL);
			if (__builtin_expect(!pfns[i], 0))
				bench_die(m, "alloc_iova_fast failed");
		}
		for (unsigned i = 0; i < BATCH; i++)
			free_iova_fast(iovad, pfns[i], 1);
	}
	return (hx_now() - t0) / ((double)BATCH * rounds);
}

/* ------------------------------------------------------------------ */
/* what the run claims                                                  */

/* A round of each kind, checked mapping by mapping: an IOVA above RAM
 * that translates to its page (not a physical address), nothing bounced,
 * the range cache (or the tree) used as claimed; with tracing on, one
 * public map must say "iommu" in strict mode, with no bounce and no
 * cache maintenance. */
static void check_round(void)
{
	struct dmapool_iommu_stats a, b;
	struct dmapool_decision d;
	dma_addr_t h;

	a = stats();
	for (unsigned i = 0; i < BATCH; i++) {
		handles[i] = iommu_dma_map_phys(dev, pas[i], PG, DMA_TO_DEVICE, 0, NULL);
		if (handles[i] == DMA_ERR || handles[i] == pas[i] ||
		    handles[i] < RAM_BASE + RAM_SIZE || (handles[i] & (PG - 1)) ||
		    iommu_iova_to_phys(dev, handles[i]) != pas[i])
			bench_die(m, "a 4 KiB mapping is not an IOVA translating to its page");
	}
	b = stats();
	if (b.pt_mapped != a.pt_mapped + BATCH)
		bench_die(m, "a 4 KiB mapping did not map one IOMMU page");
	for (unsigned i = 0; i < BATCH; i++)
		iommu_dma_unmap_phys(dev, handles[i], PG, DMA_TO_DEVICE, 0, NULL);
	for (unsigned i = 0; i < BATCH; i++)
		if (iommu_iova_to_phys(dev, handles[i]) != PHYS_NONE)
			bench_die(m, "an unmapped IOVA still translates");
	b = stats();
	if (b.iotlb_syncs != a.iotlb_syncs + BATCH || b.fq_pending)
		bench_die(m, "an unmap did not invalidate the IOTLB at once (strict)");

	a = b;
	for (unsigned i = 0; i < BATCH; i++) {
		handles[i] = iommu_dma_map_phys(dev, bpas[i], PG * TREE_PAGES, DMA_TO_DEVICE,
						0, NULL);
		if (handles[i] == DMA_ERR || handles[i] < RAM_BASE + RAM_SIZE ||
		    (handles[i] & (PG * TREE_PAGES - 1)) ||
		    iommu_iova_to_phys(dev, handles[i] + PG * (TREE_PAGES - 1)) !=
		    bpas[i] + PG * (TREE_PAGES - 1))
			bench_die(m, "a 256 KiB mapping is not a size-aligned IOVA range translating to its block");
	}
	b = stats();
	if (b.iova_cache_misses != a.iova_cache_misses + BATCH ||
	    b.iova_cache_hits != a.iova_cache_hits || b.pt_mapped != a.pt_mapped + BATCH * TREE_PAGES)
		bench_die(m, "a 256 KiB mapping did not come from the IOVA tree");
	for (unsigned i = 0; i < BATCH; i++)
		iommu_dma_unmap_phys(dev, handles[i], PG * TREE_PAGES, DMA_TO_DEVICE, 0, NULL);

	dmapool_set_tracing(m, true);
	h = dma_map_single_attrs(dev, pages[0], PG, DMA_TO_DEVICE, 0);
	if (bench_map_error(dev, h))
		bench_die(m, "dma_map_single failed");
	if (dmapool_last_decision(dev, &d) || strcmp(d.op, "map") || !d.backend ||
	    strcmp(d.backend, "iommu") || !d.iommu_mode || strcmp(d.iommu_mode, "strict") ||
	    d.bounce != (phys_addr_t)-1 || d.ncache || h == pas[0] ||
	    iommu_iova_to_phys(dev, h) != pas[0])
		bench_die(m, "the public map did not go through the strict IOMMU domain unbounced");
	dma_unmap_page_attrs(dev, h, PG, DMA_TO_DEVICE, 0);
	dmapool_set_tracing(m, false);
	if (dmapool_report_count(m))
		bench_die(m, "the run made reports");
}

/* ------------------------------------------------------------------ */

int bench_p4(void)
{
	static const unsigned lives[] = { LIVE_SMALL, 10000, 100000, LIVE_LARGE };
	enum { NL = sizeof(lives) / sizeof(lives[0]) };
	static double s_io[NL][HX_MAXREP], s_api[NL][HX_MAXREP], s_tree[NL][HX_MAXREP];
	double b[HX_MAXREP], hit[HX_MAXREP];
	struct dmapool_iommu_stats st0, st1, at[NL];
	struct iova_stats is0, is1;
	uint64_t io_maps = 0, tree_maps = 0, unmaps;
	unsigned rounds = (unsigned)hx_ops(ROUNDS, 10, 16);
	unsigned tree_rounds = (unsigned)hx_ops(ROUNDS / 4, 10, 8);
	unsigned base_rounds = (unsigned)hx_ops(BASE_ROUNDS, 10, 2);
	unsigned hit_rounds = (unsigned)hx_ops(HIT_ROUNDS, 10, 16);
	int reps = hx_reps();

	hx_pin_cpu();
	setenv("DMAPOOL_ARCH", "arm64", 1);
	live = malloc(LIVE_LARGE * sizeof(*live));
	if (!live)
		bench_die(m, "out of host memory");

	machine_up();
	live_page = (void *)__get_free_pages(GFP_KERNEL, 0);
	if (!live_page)
		bench_die(m, "__get_free_pages failed (live page)");
	live_pa = virt_to_phys(m, live_page);
	for (unsigned i = 0; i < BATCH; i++) {
		pages[i] = (void *)__get_free_pages(GFP_KERNEL, 0);
		blocks[i] = (void *)__get_free_pages(GFP_KERNEL, TREE_ORDER);
		if (!pages[i] || !blocks[i])
			bench_die(m, "__get_free_pages failed");
		memset(pages[i], 0x5a, PG);
		pas[i] = virt_to_phys(m, pages[i]);
		bpas[i] = virt_to_phys(m, blocks[i]);
		if (pas[i] == PHYS_NONE || bpas[i] == PHYS_NONE)
			bench_die(m, "no physical address for a page");
	}

	/* the bare IOVA domain of figure 3: the device's limit (48 bits) */
	iovad = iova_domain_create(PG, 1);
	if (!iovad)
		bench_die(m, "iova_domain_create failed");
	hit_limit = DMA_BIT_MASK(48) >> 12;

	hx_note("P4: arm64, SMMUv3, coherent dev@0 (strict DMA domain, 4 KiB granule, 64-bit mask), tracing off; subjects: %u mappings per round (map all, unmap all), %u ops per timing (256 KiB tree path: %u); baseline: malloc(64) + free, %u per round, %u ops per timing; live set: one page mapped n times (4 KiB TO_DEVICE)",
		BATCH, BATCH * rounds, BATCH * tree_rounds, BASE_N, BASE_N * base_rounds);

	/* warm-up (the range caches fill with the batch's IOVAs) */
	live_set(LIVE_SMALL);
	check_round();
	subject_iommu(rounds / 4 + 1);
	subject_api(rounds / 4 + 1);
	subject_tree(tree_rounds / 4 + 1);
	baseline(base_rounds / 4 + 1);
	subject_hit(hit_rounds / 4 + 1);

	st0 = stats();
	iova_get_stats(iovad, &is0);
	for (int rep = 0; rep < reps; rep++) {
		for (int n = 0; n < NL; n++) {
			struct dmapool_iommu_stats a, c;

			live_set(lives[n]);
			check_round();
			a = stats();
			s_io[n][rep] = subject_iommu(rounds);
			c = stats();
			/* every 4 KiB map of the timed part is a cache hit */
			if (c.iova_cache_hits - a.iova_cache_hits != (uint64_t)BATCH * rounds ||
			    c.iova_cache_misses != a.iova_cache_misses)
				bench_die(m, "a timed 4 KiB map missed the IOVA range cache");
			s_api[n][rep] = subject_api(rounds);
			a = stats();
			s_tree[n][rep] = subject_tree(tree_rounds);
			c = stats();
			/* every 256 KiB map of the timed part walks the tree */
			if (c.iova_cache_misses - a.iova_cache_misses != (uint64_t)BATCH * tree_rounds ||
			    c.iova_cache_hits != a.iova_cache_hits)
				bench_die(m, "a timed 256 KiB map did not walk the IOVA tree");
			io_maps += 2ull * BATCH * rounds;
			tree_maps += (uint64_t)BATCH * tree_rounds;
			check_live(nlive);
			at[n] = stats();
		}
		live_set(LIVE_SMALL);
		/* glibc's heap is busy after the live set shrank: an untimed
		 * batch first, so the timed one measures the batch pattern */
		baseline(base_rounds);
		b[rep] = baseline(base_rounds);
		hit[rep] = subject_hit(hit_rounds);
	}
	st1 = stats();
	iova_get_stats(iovad, &is1);
	unmaps = io_maps + tree_maps;
	/* the strict flush: one IOTLB invalidation per timed unmap */
	if (st1.iotlb_syncs - st0.iotlb_syncs < unmaps)
		bench_die(m, "fewer IOTLB invalidations than unmaps: not strict");
	if (is1.hits - is0.hits != (uint64_t)reps * BATCH * hit_rounds || is1.misses != is0.misses)
		bench_die(m, "a timed alloc_iova_fast missed the range cache");
	live_set(0);
	hx_note("P4 domain in the last repetition: at 1K live %" PRIu64 " IOVA ranges in the tree, %" PRIu64 " of them in the range caches, %" PRIu64 " page-table tables; at 1M live %" PRIu64 " ranges, %" PRIu64 " cached, %" PRIu64 " tables",
		at[0].iova_live, at[0].iova_cached, at[0].pt_tables,
		at[NL - 1].iova_live, at[NL - 1].iova_cached, at[NL - 1].pt_tables);

	for (int n = 0; n < NL; n++)
		hx_point("P4 map+unmap 4KiB via IOMMU (no debug) vs malloc(64)+free", lives[n],
			 s_io[n], b, reps, HX_LE, TARGET_IOMMU, 0);
	hx_scaling("P4 map+unmap 4KiB via IOMMU (no debug) vs malloc(64)+free", LIVE_SMALL,
		   s_io[0], LIVE_LARGE, s_io[NL - 1], reps, TARGET_SCALE, 0);
	for (int n = 0; n < NL; n++)
		hx_point("P4 dma_map_single+unmap via IOMMU (debug) vs malloc(64)+free", lives[n],
			 s_api[n], b, reps, HX_LE, TARGET_API, HX_INFO);
	hx_scaling("P4 dma_map_single+unmap via IOMMU (debug) vs malloc(64)+free", LIVE_SMALL,
		   s_api[0], LIVE_LARGE, s_api[NL - 1], reps, TARGET_SCALE, HX_INFO);
	for (int n = 0; n < NL; n++)
		hx_point("P4 map+unmap 256KiB tree path vs malloc(64)+free", lives[n], s_tree[n], b,
			 reps, HX_LE, 0, HX_NOTARGET);
	hx_scaling("P4 map+unmap 256KiB tree path vs malloc(64)+free", LIVE_SMALL, s_tree[0],
		   LIVE_LARGE, s_tree[NL - 1], reps, TARGET_SCALE, 0);
	hx_figure("P4 IOVA cache hit alloc+free 1 granule vs malloc(64)+free", hit, b, reps,
		  HX_LE, TARGET_HIT, 0);
	hx_value("P4 IOVA cache hit alloc+free 1 granule, absolute (median)", hx_median(hit, reps),
		 hx_min(hit, reps), "ns", HX_LE, 15, 0);

	if (dmapool_report_count(m))
		bench_die(m, "the run made reports");
	iova_domain_destroy(iovad);
	for (unsigned i = 0; i < BATCH; i++) {
		free_pages((unsigned long)pages[i], 0);
		free_pages((unsigned long)blocks[i], TREE_ORDER);
	}
	free_pages((unsigned long)live_page, 0);
	if (dmapool_report_count(m))
		bench_die(m, "the run made reports");
	dmapool_machine_destroy(m);
	m = NULL;
	free(live);
	nlive = 0;
	return 0;
}
