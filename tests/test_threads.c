/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Thread stress: 2, 4 and 8 threads run the DMA API at once on one
 * machine, each on its own devices ("separate") or all on the same ones
 * ("shared"): coherent allocations (GFP_KERNEL and GFP_ATOMIC), dma pages,
 * streaming maps in every direction with syncs, scatter-gather maps and
 * dma_pools, allocations that fail and log the kernel's lines while other
 * threads read the log, with the device reading and writing every buffer
 * through dmapool_dev_read/_write.  The devices cover every path that takes a lock:
 * coherent and non-coherent dma-direct (buddy, CMA, atomic pools, the
 * cache model), a no-map per-device pool, a 32-bit device bouncing through
 * SWIOTLB, two devices behind an SMMUv3 and two that share one domain on a
 * generic IOMMU.
 *
 * Each thread's operations come from its own generator, seeded from the
 * run's seed (DMAPOOL_SEED, else a fixed one), so a run repeats the same
 * operations; only their interleaving varies.
 *
 * What must hold, whatever the interleaving: every byte the device reads
 * is what the CPU wrote and the reverse (no torn or lost data), no report
 * is filed (no false debug or cache-model finding), and at the end, with
 * everything freed, the accounting is back where it started, exactly:
 * buddy free pages per zone, CMA pages, SWIOTLB slots, atomic pool bytes,
 * IOMMU pages mapped, live DMA-API entries, and the whole per-device pool
 * can be allocated again in one piece.  dmapool_machine_check() agrees.
 *
 * The test is run in CI under ThreadSanitizer (build-tsan in run-tests)
 * as well as in the plain and ASan builds.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

/* internal.h's virt_to_phys/phys_to_virt take a machine; the driver
 * headers' do not (this file calls neither). */
#define virt_to_phys	dmapool_internal_virt_to_phys
#define phys_to_virt	dmapool_internal_phys_to_virt
#include "internal.h"
#include "bitmap.h"
#undef virt_to_phys
#undef phys_to_virt
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "testutil.h"

static char tmpdir[64];
static uint64_t run_seed = 0x5eed2026;
static unsigned ops_per_thread = 1500;

/*
 * 4 GiB of RAM from 0x40000000 (so some of it is above 4 GiB), a 32 MiB
 * default CMA area, a 1 MiB no-map pool for "pooled", QEMU's SMMUv3 and a
 * generic MMU-500 whose two devices share a stream ID (one group).
 */
static const char tree[] =
	"/dts-v1/;\n"
	"/ {\n"
	"	#address-cells = <2>; #size-cells = <2>;\n"
	"	memory@40000000 { device_type = \"memory\"; reg = <0 0x40000000 1 0>; };\n"
	"	reserved-memory { #address-cells = <2>; #size-cells = <2>; ranges;\n"
	"		linux,cma { compatible = \"shared-dma-pool\"; reusable;\n"
	"			size = <0 0x2000000>; linux,cma-default; };\n"
	"		devpool: pool@50000000 { compatible = \"shared-dma-pool\"; no-map;\n"
	"			reg = <0 0x50000000 0 0x100000>; };\n"
	"	};\n"
	"	smmu: smmuv3@9050000 { compatible = \"arm,smmu-v3\"; reg = <0 0x9050000 0 0x20000>;\n"
	"		#iommu-cells = <1>; dma-coherent; };\n"
	"	mmu500: iommu@9100000 { compatible = \"arm,mmu-500\"; reg = <0 0x9100000 0 0x10000>;\n"
	"		#iommu-cells = <1>; };\n"
	"	coh@1000 { compatible = \"vendor,coh\"; reg = <0 0x1000 0 0x100>; dma-coherent; };\n"
	"	nc@2000 { compatible = \"vendor,nc\"; reg = <0 0x2000 0 0x100>; };\n"
	"	pooled@3000 { compatible = \"vendor,pooled\"; reg = <0 0x3000 0 0x100>;\n"
	"		memory-region = <&devpool>; };\n"
	"	low@4000 { compatible = \"vendor,low\"; reg = <0 0x4000 0 0x100>; dma-coherent; };\n"
	"	io1@5000 { compatible = \"vendor,io1\"; reg = <0 0x5000 0 0x100>; dma-coherent;\n"
	"		iommus = <&smmu 0x100>; };\n"
	"	io2@6000 { compatible = \"vendor,io2\"; reg = <0 0x6000 0 0x100>;\n"
	"		iommus = <&smmu 0x101>; };\n"
	"	g1@7000 { compatible = \"vendor,g\"; reg = <0 0x7000 0 0x100>; dma-coherent;\n"
	"		iommus = <&mmu500 0x5>; };\n"
	"	g2@8000 { compatible = \"vendor,g\"; reg = <0 0x8000 0 0x100>; dma-coherent;\n"
	"		iommus = <&mmu500 0x5>; };\n"
	"};\n";

static const char *const dev_names[] = {
	"coh@1000", "nc@2000", "pooled@3000", "low@4000",
	"io1@5000", "io2@6000", "g1@7000", "g2@8000",
};
#define NDEV	(sizeof(dev_names) / sizeof(dev_names[0]))

/* ------------------------------------------------------------------ */
/* Accounting snapshot */

#define MAX_CMA 8

struct acct {
	uint64_t buddy[MAX_NR_ZONES];
	uint64_t cma[MAX_CMA];
	uint64_t swiotlb_used;
	uint64_t atomic_used[3];
	uint64_t atomic_size;	/* bytes, all pools: they grow, never shrink */
};

static void acct_take(struct dmapool_machine *m, struct acct *a)
{
	memset(a, 0, sizeof(*a));
	for (int z = 0; z < MAX_NR_ZONES; z++)
		a->buddy[z] = buddy_free_pages(m, (enum zone_type)z);
	for (size_t i = 0; i < m->n_cma && i < MAX_CMA; i++) {
		pthread_mutex_lock(&m->cma[i]->lock);
		a->cma[i] = m->cma[i]->bitmap ? rbitmap_weight(m->cma[i]->bitmap) : 0;
		pthread_mutex_unlock(&m->cma[i]->lock);
	}
	if (m->swiotlb.present && m->swiotlb.ready) {
		pthread_mutex_lock(&m->swiotlb.lock);
		for (unsigned i = 0; i < m->swiotlb.nareas; i++)
			a->swiotlb_used += m->swiotlb.areas[i].used;
		pthread_mutex_unlock(&m->swiotlb.lock);
	}
	for (size_t i = 0; i < ARRAY_SIZE(m->atomic) && i < 3; i++) {
		if (!m->atomic[i].present)
			continue;
		pthread_mutex_lock(&m->pool_lock);
		a->atomic_used[i] = gen_pool_size_sim(m->atomic[i].gp) -
				    gen_pool_avail_sim(m->atomic[i].gp);
		a->atomic_size += gen_pool_size_sim(m->atomic[i].gp);
		pthread_mutex_unlock(&m->pool_lock);
	}
}

/*
 * The atomic pools may have grown on the way (atomic_pool_expand(), from
 * CMA or the buddy allocator, as in the kernel: they never shrink), so
 * buddy and CMA pages are compared together, less what the pools took:
 * per zone and per area only when no pool grew.
 */
static void acct_compare(const struct acct *a, const struct acct *b,
			 unsigned page_shift)
{
	int64_t used_a = 0, used_b = 0;

	for (int z = 0; z < MAX_NR_ZONES; z++) {
		used_a -= (int64_t)a->buddy[z];
		used_b -= (int64_t)b->buddy[z];
	}
	for (int i = 0; i < MAX_CMA; i++) {
		used_a += (int64_t)a->cma[i];
		used_b += (int64_t)b->cma[i];
	}
	used_a -= (int64_t)(a->atomic_size >> page_shift);
	used_b -= (int64_t)(b->atomic_size >> page_shift);
	if (used_a != used_b)
		fail_msg("pages in use (buddy and CMA, less the atomic pools): %lld before, %lld after",
			 (long long)used_a, (long long)used_b);
	if (a->atomic_size == b->atomic_size) {
		for (int z = 0; z < MAX_NR_ZONES; z++)
			if (a->buddy[z] != b->buddy[z])
				fail_msg("buddy zone %d: %llu free pages before, %llu after", z,
					 (unsigned long long)a->buddy[z],
					 (unsigned long long)b->buddy[z]);
		for (int i = 0; i < MAX_CMA; i++)
			if (a->cma[i] != b->cma[i])
				fail_msg("CMA area %d: %llu pages used before, %llu after", i,
					 (unsigned long long)a->cma[i],
					 (unsigned long long)b->cma[i]);
	}
	if (a->swiotlb_used != b->swiotlb_used)
		fail_msg("SWIOTLB: %llu slots used before, %llu after",
			 (unsigned long long)a->swiotlb_used,
			 (unsigned long long)b->swiotlb_used);
	for (int i = 0; i < 3; i++)
		if (a->atomic_used[i] != b->atomic_used[i])
			fail_msg("atomic pool %d: %llu bytes used before, %llu after", i,
				 (unsigned long long)a->atomic_used[i],
				 (unsigned long long)b->atomic_used[i]);
}

/* ------------------------------------------------------------------ */
/* One thread */

struct worker {
	pthread_t tid;
	struct dmapool_machine *m;
	struct device *devs[NDEV];
	size_t ndevs;			/* the devices this thread uses */
	uint64_t rng;
	unsigned ops;
	/* results, read after the join */
	unsigned long done, alloc_failed, map_failed;
	char err[256];
};

static uint64_t rnd(struct worker *w)
{
	uint64_t x = w->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	w->rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

#define MAX_LIVE 8

struct live {
	struct device *dev;
	void *cpu;
	dma_addr_t dma;
	size_t size;
	uint8_t pat;
};

/* A finding: the first one is kept, and the thread stops. */
#define CHECK(w, cond, ...)						\
	do {								\
		if (!(cond)) {						\
			snprintf((w)->err, sizeof((w)->err), __VA_ARGS__); \
			return false;					\
		}							\
	} while (0)

static bool dev_sees(struct worker *w, struct device *d, dma_addr_t a,
		     size_t n, uint8_t pat)
{
	uint8_t buf[512];

	for (size_t off = 0; off < n; off += sizeof(buf)) {
		size_t k = n - off < sizeof(buf) ? n - off : sizeof(buf);

		CHECK(w, dmapool_dev_read(d, a + off, buf, k) == 0,
		      "%s: device read of %#llx failed", dmapool_device_name(d),
		      (unsigned long long)(a + off));
		for (size_t i = 0; i < k; i++)
			CHECK(w, buf[i] == pat, "%s: device read %#x at %#llx, CPU wrote %#x",
			      dmapool_device_name(d), buf[i],
			      (unsigned long long)(a + off + i), pat);
	}
	return true;
}

static bool cpu_sees(struct worker *w, struct device *d, const uint8_t *p,
		     size_t n, uint8_t pat)
{
	for (size_t i = 0; i < n; i++)
		CHECK(w, p[i] == pat, "%s: CPU read %#x at byte %zu, device wrote %#x",
		      dmapool_device_name(d), p[i], i, pat);
	return true;
}

static bool op_coherent(struct worker *w, struct device *d, struct live *lv)
{
	static const size_t sizes[] = { 64, 200, 4096, 5000, 16384, 65536 };
	size_t n = sizes[rnd(w) % 6];
	gfp_t gfp = rnd(w) % 4 == 0 ? GFP_ATOMIC : GFP_KERNEL;
	struct live *slot = NULL;

	for (int i = 0; i < MAX_LIVE; i++)
		if (!lv[i].cpu) {
			slot = &lv[i];
			break;
		}
	if (!slot) {		/* free one instead */
		slot = &lv[rnd(w) % MAX_LIVE];
		if (!dev_sees(w, slot->dev, slot->dma, slot->size, slot->pat))
			return false;
		dma_free_coherent(slot->dev, slot->size, slot->cpu, slot->dma);
		slot->cpu = NULL;
		return true;
	}
	slot->cpu = dma_alloc_coherent(d, n, &slot->dma, gfp);
	if (!slot->cpu) {
		w->alloc_failed++;
		return true;
	}
	slot->dev = d;
	slot->size = n;
	slot->pat = (uint8_t)rnd(w);
	memset(slot->cpu, slot->pat, n);
	if (!dev_sees(w, d, slot->dma, n, slot->pat))
		return false;
	/* the device writes, the CPU reads (coherent memory: no sync) */
	slot->pat ^= 0x5a;
	CHECK(w, dmapool_dev_fill(d, slot->dma, slot->pat, n) == 0,
	      "%s: device fill failed", dmapool_device_name(d));
	return cpu_sees(w, d, slot->cpu, n, slot->pat);
}

static bool op_streaming(struct worker *w, struct device *d)
{
	static const size_t sizes[] = { 32, 100, 1500, 4096, 9000 };
	size_t n = sizes[rnd(w) % 5];
	int dir = (int)(rnd(w) % 3);	/* BIDIRECTIONAL, TO_DEVICE, FROM_DEVICE */
	uint8_t pat = (uint8_t)rnd(w);
	uint8_t *buf = kmalloc(n, GFP_KERNEL);
	dma_addr_t a;
	bool ok = true;

	CHECK(w, buf, "kmalloc(%zu) failed", n);
	memset(buf, pat, n);
	a = dma_map_single(d, buf, n, (enum dma_data_direction)dir);
	if (dma_mapping_error(d, a)) {
		w->map_failed++;
		kfree(buf);
		return true;
	}
	if (dir != DMA_FROM_DEVICE)
		ok = dev_sees(w, d, a, n, pat);
	if (ok && dir != DMA_TO_DEVICE) {
		pat ^= 0xa5;
		if (dmapool_dev_fill(d, a, pat, n)) {
			snprintf(w->err, sizeof(w->err), "%s: device fill failed",
				 dmapool_device_name(d));
			ok = false;
		}
		if (ok && rnd(w) % 2) {
			/* the buffer goes back and forth once more */
			dma_sync_single_for_cpu(d, a, n, (enum dma_data_direction)dir);
			ok = cpu_sees(w, d, buf, n, pat);
			dma_sync_single_for_device(d, a, n, (enum dma_data_direction)dir);
			if (ok && dmapool_dev_fill(d, a, pat, n))
				ok = false;
		}
	}
	dma_unmap_single(d, a, n, (enum dma_data_direction)dir);
	if (ok && dir != DMA_TO_DEVICE)
		ok = cpu_sees(w, d, buf, n, pat);
	kfree(buf);
	return ok;
}

static bool op_sg(struct worker *w, struct device *d)
{
	struct scatterlist sg[3];
	uint8_t *buf[3];
	size_t len[3];
	uint8_t pat = (uint8_t)rnd(w);
	struct scatterlist *s;
	bool ok = true;
	int nents, i;

	sg_init_table(sg, 3);
	for (i = 0; i < 3; i++) {
		len[i] = 256 + rnd(w) % 6000;
		buf[i] = kmalloc(len[i], GFP_KERNEL);
		if (!buf[i]) {
			while (i--)
				kfree(buf[i]);
			CHECK(w, false, "kmalloc failed");
		}
		memset(buf[i], 0, len[i]);
		sg_set_buf(&sg[i], buf[i], (unsigned int)len[i]);
	}
	nents = dma_map_sg(d, sg, 3, DMA_FROM_DEVICE);
	if (nents <= 0) {
		w->map_failed++;
	} else {
		for_each_sg(sg, s, nents, i)
			if (dmapool_dev_fill(d, sg_dma_address(s), pat, sg_dma_len(s))) {
				snprintf(w->err, sizeof(w->err), "%s: sg device fill failed",
					 dmapool_device_name(d));
				ok = false;
			}
		dma_unmap_sg(d, sg, 3, DMA_FROM_DEVICE);
		for (i = 0; ok && i < 3; i++)
			ok = cpu_sees(w, d, buf[i], len[i], pat);
	}
	for (i = 0; i < 3; i++)
		kfree(buf[i]);
	return ok;
}

static bool op_pages(struct worker *w, struct device *d)
{
	size_t n = ((size_t)1 + rnd(w) % 4) << 12;
	dma_addr_t a;
	struct page *pg = dma_alloc_pages(d, n, &a, DMA_BIDIRECTIONAL, GFP_KERNEL);
	uint8_t pat = (uint8_t)rnd(w);
	bool ok;

	if (!pg) {
		w->alloc_failed++;
		return true;
	}
	memset(page_address(pg), pat, n);
	dma_sync_single_for_device(d, a, n, DMA_BIDIRECTIONAL);
	ok = dev_sees(w, d, a, n, pat);
	dma_free_pages(d, n, pg, a, DMA_BIDIRECTIONAL);
	return ok;
}

static bool op_dmapool(struct worker *w, struct device *d)
{
	struct dma_pool *pool = dma_pool_create("stress", d, 64 + rnd(w) % 200, 16, 0);
	void *blk[12];
	dma_addr_t h[12];
	uint8_t pat = (uint8_t)rnd(w);
	size_t bs, active, blocks, bsize, chunks;
	bool ok = true;
	int n = 0;

	if (!pool) {
		w->alloc_failed++;
		return true;
	}
	bs = 64;
	for (int i = 0; i < 12; i++) {
		blk[n] = dma_pool_alloc(pool, GFP_KERNEL, &h[n]);
		if (!blk[n]) {
			w->alloc_failed++;
			continue;
		}
		memset(blk[n], pat, bs);
		n++;
	}
	for (int i = 0; ok && i < n; i++)
		ok = dev_sees(w, d, h[i], bs, pat);
	if (ok && dmapool_pool_stats(pool, &active, &blocks, &bsize, &chunks) == 0 && active != (size_t)n) {
		snprintf(w->err, sizeof(w->err), "dma_pool: %zu active, %d allocated",
			 active, n);
		ok = false;
	}
	while (n--)
		dma_pool_free(pool, blk[n], h[n]);
	dma_pool_destroy(pool);
	return ok;
}

/* An allocation a dma-direct device cannot get (larger than its pool,
 * the CMA area and the largest buddy block): the kernel's failure lines
 * are logged from several threads at once while others read the log.
 * (Behind an IOMMU it would succeed, page by page.) */
static bool op_fail_and_log(struct worker *w, struct device *d)
{
	struct dmapool_machine *m = dmapool_device_machine(d);
	size_t n = dmapool_log_count(m);
	dma_addr_t h;
	void *p;

	if (dmapool_iommu_group_id(d) >= 0)
		return op_pages(w, d);
	p = dma_alloc_coherent(d, (size_t)64 << 20, &h, GFP_KERNEL);
	if (p) {
		dma_free_coherent(d, (size_t)64 << 20, p, h);
		CHECK(w, false, "%s: a 64 MiB coherent allocation succeeded",
		      dmapool_device_name(d));
	}
	w->alloc_failed++;
	CHECK(w, n == 0 || dmapool_log_line(m, n - 1) != NULL, "log line %zu vanished", n - 1);
	return true;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct live lv[MAX_LIVE] = { 0 };
	bool ok = true;

	dmapool_machine_use(w->m);
	for (unsigned i = 0; ok && i < w->ops; i++) {
		struct device *d = w->devs[rnd(w) % w->ndevs];

		switch (rnd(w) % 10) {
		case 0: case 1: case 2:
			ok = op_coherent(w, d, lv);
			break;
		case 3: case 4: case 5:
			ok = op_streaming(w, d);
			break;
		case 6: case 7:
			ok = op_sg(w, d);
			break;
		case 8:
			if (rnd(w) % 8)
				ok = op_pages(w, d);
			else
				ok = op_fail_and_log(w, d);
			break;
		default:
			ok = op_dmapool(w, d);
			break;
		}
		w->done += ok;
	}
	for (int i = 0; i < MAX_LIVE; i++)
		if (lv[i].cpu) {
			if (ok)
				ok = dev_sees(w, lv[i].dev, lv[i].dma, lv[i].size, lv[i].pat);
			dma_free_coherent(lv[i].dev, lv[i].size, lv[i].cpu, lv[i].dma);
		}
	return NULL;
}

/* ------------------------------------------------------------------ */

/*
 * Threads run on stacks of this file and malloc keeps one arena
 * (M_ARENA_MAX in the group setup), so that the group's mapping count
 * sees the library's mappings only: glibc caches the stacks of joined
 * threads and gives each contending thread an arena of its own, mappings
 * that outlive the test.
 */
#define MAX_THREADS	8
#define STACK_SIZE	(1u << 20)
static uint8_t stacks[MAX_THREADS][STACK_SIZE] __attribute__((aligned(4096)));

static int start_thread(pthread_t *t, unsigned i, void *(*fn)(void *), void *arg)
{
	pthread_attr_t at;
	int rc;

	if (i >= MAX_THREADS)
		return EINVAL;
	pthread_attr_init(&at);
	pthread_attr_setstack(&at, stacks[i], STACK_SIZE);
	rc = pthread_create(t, &at, fn, arg);
	pthread_attr_destroy(&at);
	return rc;
}

static struct dmapool_machine *load(void)
{
	struct dmapool_machine *m = tu_load_in(tmpdir, "threads", "dts", NULL);

	dmapool_machine_use(m);
	for (size_t i = 0; i < NDEV; i++) {
		struct device *d = tu_dev(m, dev_names[i]);

		assert_int_equal(dma_set_mask_and_coherent(d,
				 DMA_BIT_MASK(strncmp(dev_names[i], "low", 3) ? 64 : 32)), 0);
	}
	return m;
}

static void stress(unsigned nthreads, bool shared)
{
	struct dmapool_machine *m = load();
	struct worker *w = calloc(nthreads, sizeof(*w));
	struct acct before, after;
	unsigned long done = 0, failed = 0;
	char why[256];
	void *p;
	dma_addr_t h;

	assert_non_null(w);
	/* attach every IOMMU device first, so that the SMMU's own tables
	 * are in "before" (the kernel allocates them at driver bind) */
	for (size_t i = 0; i < NDEV; i++) {
		struct device *d = tu_dev(m, dev_names[i]);

		p = dma_alloc_coherent(d, 4096, &h, GFP_KERNEL);
		assert_non_null(p);
		dma_free_coherent(d, 4096, p, h);
	}
	dmapool_flush_work(m);
	acct_take(m, &before);

	for (unsigned t = 0; t < nthreads; t++) {
		w[t].m = m;
		w[t].ops = ops_per_thread;
		w[t].rng = run_seed * 1000003u + t * 7919u + nthreads * 104729u + shared;
		if (!w[t].rng)
			w[t].rng = 1;
		if (shared) {
			for (size_t i = 0; i < NDEV; i++)
				w[t].devs[i] = tu_dev(m, dev_names[i]);
			w[t].ndevs = NDEV;
		} else {
			/* two devices per thread: thread t owns t and t + 4 (mod 8) */
			w[t].devs[0] = tu_dev(m, dev_names[t % NDEV]);
			w[t].devs[1] = tu_dev(m, dev_names[(t + 4) % NDEV]);
			w[t].ndevs = 2;
		}
	}
	for (unsigned t = 0; t < nthreads; t++)
		assert_int_equal(start_thread(&w[t].tid, t, worker_main, &w[t]), 0);
	for (unsigned t = 0; t < nthreads; t++)
		pthread_join(w[t].tid, NULL);
	for (unsigned t = 0; t < nthreads; t++) {
		if (w[t].err[0])
			fail_msg("thread %u: %s", t, w[t].err);
		done += w[t].done;
		failed += w[t].alloc_failed + w[t].map_failed;
	}
	print_message("threads %u %s: %lu operations, %lu refused allocations or maps\n",
		      nthreads, shared ? "shared" : "separate", done, failed);
	assert_int_equal(done, (unsigned long)nthreads * ops_per_thread);

	/* nothing was found wrong */
	if (dmapool_report_count(m))
		dmapool_report_check_none(m);
	assert_int_equal(dmapool_report_count(m), 0);

	/* the accounting is back where it was */
	dmapool_flush_work(m);
	for (size_t i = 0; i < NDEV; i++) {
		struct device *d = tu_dev(m, dev_names[i]);
		struct dmapool_iommu_stats st;

		assert_int_equal(dmapool_debug_live(d), 0);
		if (dmapool_iommu_stats(d, &st) == 0) {
			dmapool_iommu_flush(d);
			assert_int_equal(dmapool_iommu_stats(d, &st), 0);
			assert_int_equal(st.pt_mapped, 0);
			assert_int_equal(st.fq_pending, 0);
		}
	}
	acct_take(m, &after);
	acct_compare(&before, &after, m->prof.page_shift);
	if (after.atomic_size != before.atomic_size)
		print_message("atomic pools grew from %llu to %llu KiB\n",
			      (unsigned long long)before.atomic_size >> 10,
			      (unsigned long long)after.atomic_size >> 10);
	if (dmapool_machine_check(m, why, sizeof(why)))
		fail_msg("dmapool_machine_check: %s", why);
	/* the whole per-device pool is free again */
	p = dma_alloc_coherent(tu_dev(m, "pooled@3000"), 0x100000, &h, GFP_KERNEL);
	assert_non_null(p);
	dma_free_coherent(tu_dev(m, "pooled@3000"), 0x100000, p, h);

	free(w);
	tu_unload(m);
}

static void threads2_separate(void **state) { (void)state; stress(2, false); }
static void threads2_shared(void **state) { (void)state; stress(2, true); }
static void threads4_separate(void **state) { (void)state; stress(4, false); }
static void threads4_shared(void **state) { (void)state; stress(4, true); }
static void threads8_separate(void **state) { (void)state; stress(8, false); }
static void threads8_shared(void **state) { (void)state; stress(8, true); }

/* Every machine gets its own lock set: machines on different threads do
 * not share state (load, use and destroy at once). */
static void *load_destroy(void *arg)
{
	struct dmapool_machine *m = NULL;
	char path[128];
	int *rc = arg;

	snprintf(path, sizeof(path), "%s/threads.dts", tmpdir);
	for (int i = 0; i < 3 && !*rc; i++) {
		void *p;
		dma_addr_t h;

		*rc = dmapool_machine_load(path, NULL, &m);
		if (*rc)
			break;
		dmapool_machine_use(m);
		p = dma_alloc_coherent(dmapool_device_find(m, "io1@5000"), 8192, &h, GFP_KERNEL);
		if (!p)
			*rc = -ENOMEM;
		else
			dma_free_coherent(dmapool_device_find(m, "io1@5000"), 8192, p, h);
		dmapool_machine_destroy(m);
	}
	return NULL;
}

static void machines_in_parallel(void **state)
{
	pthread_t t[4];
	int rc[4] = { 0 };

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(start_thread(&t[i], (unsigned)i, load_destroy, &rc[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(rc[i], 0);
	}
}

static int group_setup(void **state)
{
	const char *s = getenv("DMAPOOL_SEED"), *n = getenv("DMAPOOL_STRESS_OPS");

	(void)state;
	mallopt(M_ARENA_MAX, 1);
	if (s && *s)
		run_seed = strtoull(s, NULL, 0);
	if (tu_quick())		/* the quick loop (tests/testutil.h) */
		ops_per_thread = 300;
	if (n && *n)
		ops_per_thread = (unsigned)strtoul(n, NULL, 0);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/dmapool-threads-XXXXXX");
	if (!mkdtemp(tmpdir) || tu_tree_write(tmpdir, "threads", tree))
		return -1;
	print_message("seed %#llx, %u operations per thread\n",
		      (unsigned long long)run_seed, ops_per_thread);
	/* one load first: process-wide state (the trap handler) exists */
	{
		struct dmapool_machine *m = NULL;
		char path[128];

		snprintf(path, sizeof(path), "%s/threads.dts", tmpdir);
		if (dmapool_machine_load(path, NULL, &m))
			return -1;
		dmapool_machine_destroy(m);
	}
	tu_leak_mark();
	return 0;
}

static int group_teardown(void **state)
{
	int rc = tu_leak_teardown(state);

	tu_tree_remove(tmpdir, "threads");
	rmdir(tmpdir);
	return rc;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(threads2_separate, tu_teardown),
		cmocka_unit_test_teardown(threads2_shared, tu_teardown),
		cmocka_unit_test_teardown(threads4_separate, tu_teardown),
		cmocka_unit_test_teardown(threads4_shared, tu_teardown),
		cmocka_unit_test_teardown(threads8_separate, tu_teardown),
		cmocka_unit_test_teardown(threads8_shared, tu_teardown),
		cmocka_unit_test_teardown(machines_in_parallel, tu_teardown),
	};

	return cmocka_run_group_tests_name("threads", tests, group_setup, group_teardown);
}
