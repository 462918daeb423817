/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The CPU cache model (src/cache.c), the device's side (src/device.c) and
 * the traps (src/trap.c): every detection is produced by a scenario that
 * would read the right bytes, or make no report, without the model; every
 * direction on every profile's table; coherent devices without reports or
 * stale data; stress-mode eviction from a fixed seed; strict ownership.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <dmapool.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "testutil.h"

static char tmpdir[64];

/*
 * 256 MiB of RAM; nc is non-coherent, coh snoops; pd has a no-map pool.
 * swiotlb=noforce keeps every mapping direct unless a test asks.
 */
static const char tree[] =
	"/dts-v1/;\n"
	"/ {\n"
	"	#address-cells = <2>; #size-cells = <2>;\n"
	"	memory@40000000 { device_type = \"memory\"; reg = <0 0x40000000 0 0x10000000>; };\n"
	"	reserved-memory {\n"
	"		#address-cells = <2>; #size-cells = <2>; ranges;\n"
	"		nomap: pool@4f000000 { compatible = \"shared-dma-pool\";\n"
	"			reg = <0 0x4f000000 0 0x100000>; no-map; };\n"
	"	};\n"
	"	nc@1000 { compatible = \"vendor,nc\"; reg = <0 0x1000 0 0x100>; dma-noncoherent; };\n"
	"	coh@2000 { compatible = \"vendor,coh\"; reg = <0 0x2000 0 0x100>; dma-coherent; };\n"
	"	pd@3000 { compatible = \"vendor,pd\"; reg = <0 0x3000 0 0x100>;\n"
	"		memory-region = <&nomap>; };\n"
	"};\n";

static struct dmapool_machine *load_cfg(const char *arch, const char *bootargs,
					const char *knobs, unsigned flags,
					uint64_t seed)
{
	struct dmapool_config cfg = {
		.arch = arch, .bootargs = bootargs, .knobs = knobs,
		.flags = flags, .seed = seed,
	};
	struct dmapool_machine *m = tu_load_in(tmpdir, "cache", "dts", &cfg);

	dmapool_machine_use(m);
	return m;
}

static struct dmapool_machine *load(const char *arch)
{
	return load_cfg(arch, NULL, NULL, 0, 0);
}

#define dev(m, name)	tu_dev(m, name)

static void fill(void *p, size_t n, unsigned seed)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed * 37 + i * 11 + 1);
}

static bool is_pat(const void *p, size_t n, unsigned seed)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != (uint8_t)(seed * 37 + i * 11 + 1))
			return false;
	return true;
}

/* The device reads n bytes at a: the pattern seed? */
static bool dev_reads_pat(struct device *d, dma_addr_t a, size_t n, unsigned seed)
{
	uint8_t *b = malloc(n);
	bool r;

	assert_non_null(b);
	assert_int_equal(dmapool_dev_read(d, a, b, n), 0);
	r = is_pat(b, n, seed);
	free(b);
	return r;
}

static void dev_writes_pat(struct device *d, dma_addr_t a, size_t n, unsigned seed)
{
	uint8_t *b = malloc(n);

	assert_non_null(b);
	fill(b, n, seed);
	assert_int_equal(dmapool_dev_write(d, a, b, n), 0);
	free(b);
}

static size_t kinds(struct dmapool_machine *m, const char *kind)
{
	return dmapool_report_count_kind(m, kind);
}

#define rep(m, kind)	tu_report_of(m, kind)

/* ------------------------------------------------------------------ */
/* Detection 1: the device reads DRAM under a dirty line */

static void dirty_read_after_map(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *nc = dev(m, "nc@1000");
	uint8_t *p = kmalloc(1024, GFP_KERNEL);
	struct dmapool_report r;
	dma_addr_t a;

	(void)state;
	fill(p, 1024, 1);
	a = dma_map_single(nc, p, 1024, DMA_TO_DEVICE);
	assert_false(dma_mapping_error(nc, a));
	assert_true(dev_reads_pat(nc, a, 1024, 1));	/* written before the map */
	assert_int_equal(dmapool_report_check_none(m), 0);
	/* the driver changes a descriptor field after the map: not cleaned */
	p[100] = 0xee;
	p[101] = 0xef;
	assert_true(dev_reads_pat(nc, a, 1024, 1));	/* the old bytes */
	assert_int_equal(kinds(m, "cache-dirty-read"), 1);
	r = rep(m, "cache-dirty-read");
	assert_string_equal(r.device, "1000.nc");
	assert_int_equal(r.addr, a);
	assert_int_equal(r.size, 1024);
	assert_int_equal(r.line, (virt_to_phys(p) + 100) & ~63ULL);
	assert_non_null(strstr(r.text, "[device=1000.nc]"));
	assert_non_null(strstr(r.text, "[lines=1] [total=2]"));
	assert_non_null(strstr(r.text, "dma_sync_single_for_device()"));
	/* the fix: sync for the device, and the device sees the new bytes */
	dma_sync_single_for_device(nc, a, 1024, DMA_TO_DEVICE);
	assert_int_equal(dmapool_dev_compare(nc, a + 100, p + 100, 2, NULL), 0);
	assert_int_equal(kinds(m, "cache-dirty-read"), 1);
	dma_unmap_single(nc, a, 1024, DMA_TO_DEVICE);
	kfree(p);
}

/* ------------------------------------------------------------------ */
/* Detection 2: device data never invalidated for the CPU */

static void stale_cpu_missing_sync_for_cpu(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *nc = dev(m, "nc@1000");
	uint8_t *p = kmalloc(2048, GFP_KERNEL);
	dma_addr_t a;

	(void)state;
	fill(p, 2048, 1);
	a = dma_map_single(nc, p, 2048, DMA_FROM_DEVICE);
	assert_false(dma_mapping_error(nc, a));
	dev_writes_pat(nc, a, 2048, 2);
	/* no dma_sync_single_for_cpu(): the CPU reads its stale lines */
	assert_true(is_pat(p, 2048, 1));
	assert_int_equal(dmapool_report_check_none(m), 0);
	/* handing the buffer back tells: the device's bytes never reached it */
	dma_sync_single_for_device(nc, a, 2048, DMA_FROM_DEVICE);
	assert_int_equal(kinds(m, "cache-stale-cpu"), 1);
	assert_non_null(strstr(rep(m, "cache-stale-cpu").text, "[lines=32] [total=2048]"));
	assert_true(is_pat(p, 2048, 1));
	/* the correct protocol on the next round */
	dev_writes_pat(nc, a, 2048, 3);
	dma_sync_single_for_cpu(nc, a, 2048, DMA_FROM_DEVICE);
	assert_true(is_pat(p, 2048, 3));
	dma_unmap_single(nc, a, 2048, DMA_FROM_DEVICE);
	assert_int_equal(dmapool_report_count(m), 1);
	kfree(p);
}

/* Every non-coherent table tells, whether its sync_for_device cleans
 * (arm64, riscv64: the CPU keeps its stale lines) or invalidates (arm
 * FROM_DEVICE: the CPU sees the device's bytes, too late). */
static void stale_cpu_every_table(void **state)
{
	static const struct {
		const char *arch;
		bool cpu_sees_late;
	} want[] = { { "arm64", false }, { "arm", true }, { "riscv64", false } };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct dmapool_machine *m = load(want[i].arch);
		struct device *nc = dev(m, "nc@1000");
		uint8_t *p = kmalloc(1024, GFP_KERNEL);
		dma_addr_t a;

		uint8_t before[1024];

		/* (arm's map invalidates: the CPU's pattern is gone already) */
		fill(p, 1024, 1);
		a = dma_map_single(nc, p, 1024, DMA_FROM_DEVICE);
		assert_false(dma_mapping_error(nc, a));
		memcpy(before, p, sizeof(before));
		dev_writes_pat(nc, a, 1024, 2);
		assert_memory_equal(p, before, sizeof(before));
		dma_sync_single_for_device(nc, a, 1024, DMA_FROM_DEVICE);
		if (kinds(m, "cache-stale-cpu") != 1)
			fail_msg("%s: no cache-stale-cpu report", want[i].arch);
		if (want[i].cpu_sees_late)
			assert_true(is_pat(p, 1024, 2));
		else
			assert_memory_equal(p, before, sizeof(before));
		dma_unmap_single(nc, a, 1024, DMA_FROM_DEVICE);
		kfree(p);
		tu_unload(m);
	}
}

/* Through a bounce buffer the same mistake leaves the original as it was. */
static void stale_cpu_bounced(void **state)
{
	struct dmapool_machine *m = load_cfg(NULL, "swiotlb=force", NULL, 0, 0);
	struct device *nc = dev(m, "nc@1000");
	uint8_t *p = kmalloc(512, GFP_KERNEL);
	dma_addr_t a;

	(void)state;
	fill(p, 512, 1);
	a = dma_map_single(nc, p, 512, DMA_FROM_DEVICE);
	assert_false(dma_mapping_error(nc, a));
	assert_true(virt_to_phys(p) != a);		/* a slot */
	dev_writes_pat(nc, a, 512, 2);
	assert_true(is_pat(p, 512, 1));
	dma_sync_single_for_device(nc, a, 512, DMA_FROM_DEVICE);
	assert_int_equal(kinds(m, "cache-stale-cpu"), 1);
	dev_writes_pat(nc, a, 512, 3);
	dma_unmap_single(nc, a, 512, DMA_FROM_DEVICE);
	assert_true(is_pat(p, 512, 3));
	assert_int_equal(dmapool_report_count(m), 1);
	kfree(p);
}

/* ------------------------------------------------------------------ */
/* Detection 3: a buffer sharing its edge lines with other data */

struct shared {
	uint8_t *page;
	dma_addr_t a;
};

/* A 256-byte buffer at byte 32 of a page: lines 0 and 4 are shared. */
static struct shared shared_setup(struct dmapool_machine *m, struct device *nc)
{
	struct shared s;

	s.page = (uint8_t *)__get_free_pages(GFP_KERNEL, 0);
	assert_non_null(s.page);
	fill(s.page, 4096, 1);
	s.a = dma_map_single(nc, s.page + 32, 256, DMA_FROM_DEVICE);
	assert_false(dma_mapping_error(nc, s.a));
	assert_int_equal(s.a, virt_to_phys(s.page) + 32);	/* direct */
	/* the CPU keeps using its other data next to the buffer */
	memset(s.page, 0xc1, 32);
	memset(s.page + 288, 0xc2, 16);
	dev_writes_pat(nc, s.a, 256, 2);
	dma_sync_single_for_cpu(nc, s.a, 256, DMA_FROM_DEVICE);
	(void)m;
	return s;
}

static bool all(const uint8_t *p, int v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static void shared_line_arm64(void **state)
{
	struct dmapool_machine *m = load("arm64");
	struct device *nc = dev(m, "nc@1000");
	struct shared s = shared_setup(m, nc);
	uint8_t expect[256];
	struct dmapool_report r;

	(void)state;
	/*
	 * dcache_inval_poc cleans and invalidates the edge lines: the CPU's
	 * neighbours survive, the device's bytes in those lines do not.
	 */
	assert_true(all(s.page, 0xc1, 32));
	assert_true(all(s.page + 288, 0xc2, 16));
	fill(expect, 256, 2);
	assert_memory_equal(s.page + 64, expect + 32, 192);	/* full lines */
	assert_memory_not_equal(s.page + 32, expect, 32);	/* first edge */
	assert_memory_not_equal(s.page + 256, expect + 224, 32);	/* last edge */
	assert_int_equal(kinds(m, "cache-shared-line"), 1);
	r = rep(m, "cache-shared-line");
	assert_int_equal(r.line, virt_to_phys(s.page));
	assert_non_null(strstr(r.text, "[lines=2]"));
	assert_non_null(strstr(r.text, "over the bytes the device had written"));
	dma_unmap_single(nc, s.a, 256, DMA_FROM_DEVICE);
	free_pages((unsigned long)s.page, 0);
}

static void shared_line_riscv(void **state)
{
	struct dmapool_machine *m = load("riscv64");
	struct device *nc = dev(m, "nc@1000");
	struct shared s;
	uint8_t expect[4096];
	struct dmapool_report r;

	(void)state;
	assert_false(dev_is_dma_coherent(nc));
	s = shared_setup(m, nc);
	/* cbo.inval drops the edge lines whole: the CPU's neighbours are
	 * back to what DRAM held, the device's bytes all arrived */
	fill(expect, 4096, 1);
	assert_memory_equal(s.page, expect, 32);
	assert_memory_equal(s.page + 288, expect + 288, 16);
	assert_true(is_pat(s.page + 32, 256, 2));
	assert_int_equal(kinds(m, "cache-shared-line"), 1);
	r = rep(m, "cache-shared-line");
	assert_non_null(strstr(r.text, "[bytes=0-31] [lines=2] [total=48]"));
	assert_non_null(strstr(r.text, "threw away the CPU's dirty bytes outside the buffer"));
	dma_unmap_single(nc, s.a, 256, DMA_FROM_DEVICE);
	free_pages((unsigned long)s.page, 0);
}

/* An aligned, padded buffer has no shared line. */
static void no_shared_line_when_aligned(void **state)
{
	struct dmapool_machine *m = load("riscv64");
	struct device *nc = dev(m, "nc@1000");
	uint8_t *page = (uint8_t *)__get_free_pages(GFP_KERNEL, 0);
	dma_addr_t a;

	(void)state;
	a = dma_map_single(nc, page + 64, 256, DMA_FROM_DEVICE);
	assert_false(dma_mapping_error(nc, a));
	memset(page, 0xc1, 64);
	memset(page + 320, 0xc2, 64);
	dev_writes_pat(nc, a, 256, 2);
	dma_unmap_single(nc, a, 256, DMA_FROM_DEVICE);
	assert_true(all(page, 0xc1, 64));
	assert_true(all(page + 320, 0xc2, 64));
	assert_true(is_pat(page + 64, 256, 2));
	assert_int_equal(dmapool_report_check_none(m), 0);
	free_pages((unsigned long)page, 0);
}

/* ------------------------------------------------------------------ */
/* Detection 4: CPU writes while the device owns the buffer */

/* Without stress the invalidate throws the CPU's bytes away. */
static void cpu_write_lost(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *nc = dev(m, "nc@1000");
	uint8_t *p = kmalloc(4096, GFP_KERNEL);
	dma_addr_t a;

	(void)state;
	a = dma_map_single(nc, p, 4096, DMA_FROM_DEVICE);
	assert_false(dma_mapping_error(nc, a));
	memset(p + 512, 0x77, 100);			/* the bug */
	dev_writes_pat(nc, a, 4096, 2);
	dma_unmap_single(nc, a, 4096, DMA_FROM_DEVICE);
	assert_true(is_pat(p, 4096, 2));
	assert_int_equal(kinds(m, "cache-cpu-write-lost"), 1);
	assert_non_null(strstr(rep(m, "cache-cpu-write-lost").text, "[total=100]"));
	assert_int_equal(kinds(m, "cache-evict-overwrite"), 0);
	kfree(p);
}

struct evict_run {
	size_t evicted_lines, lost_lines, cpu_lines_seen;
	char text[1024];
};

static struct evict_run evict_once(uint64_t seed)
{
	struct dmapool_machine *m = load_cfg(NULL, NULL, NULL, DMAPOOL_F_CACHE_STRESS, seed);
	struct device *nc = dev(m, "nc@1000");
	uint8_t *p = kmalloc(4096, GFP_KERNEL);
	struct evict_run r;
	dma_addr_t a;

	memset(&r, 0, sizeof(r));
	fill(p, 4096, 1);
	a = dma_map_single(nc, p, 4096, DMA_FROM_DEVICE);
	assert_false(dma_mapping_error(nc, a));
	memset(p, 0x77, 4096);				/* the bug */
	dev_writes_pat(nc, a, 4096, 2);
	dma_unmap_single(nc, a, 4096, DMA_FROM_DEVICE);
	for (size_t l = 0; l < 64; l++)
		r.cpu_lines_seen += all(p + l * 64, 0x77, 64);
	/* one report per eviction point: after the device's write, before
	 * the invalidate of the unmap */
	for (size_t i = 0; i < dmapool_report_count(m); i++) {
		struct dmapool_report e;
		const char *l;

		assert_int_equal(dmapool_report_get(m, i, &e), 0);
		if (strcmp(e.kind, "cache-evict-overwrite"))
			continue;
		l = strstr(e.text, "[lines=");
		r.evicted_lines += l ? strtoul(l + 7, NULL, 10) : 0;
		snprintf(r.text + strlen(r.text), sizeof(r.text) - strlen(r.text),
			 "%s", strstr(e.text, "[line="));
	}
	if (kinds(m, "cache-cpu-write-lost")) {
		const char *l = strstr(rep(m, "cache-cpu-write-lost").text, "[lines=");

		r.lost_lines = l ? strtoul(l + 7, NULL, 10) : 0;
	}
	kfree(p);
	tu_unload(m);
	return r;
}

static void stress_eviction_seeded(void **state)
{
	struct evict_run a = evict_once(42), b = evict_once(42), c = evict_once(7);

	(void)state;
	/* evicted lines carry the CPU's bytes over the device's: the CPU
	 * sees its own writes there after the invalidate; the rest were
	 * thrown away and it sees the device's */
	assert_true(a.evicted_lines > 0 && a.evicted_lines < 64);
	assert_int_equal(a.evicted_lines + a.lost_lines, 64);
	assert_int_equal(a.cpu_lines_seen, a.evicted_lines);
	assert_non_null(strstr(a.text, "overwrote the data the device had written"));
	/* the same seed, the same run; another seed, another */
	assert_int_equal(a.evicted_lines, b.evicted_lines);
	assert_string_equal(a.text, b.text);
	assert_true(strcmp(a.text, c.text) != 0);
}

/* Stress on: a driver that keeps the rules never sees an eviction. */
static void stress_correct_driver_no_reports(void **state)
{
	struct dmapool_machine *m = load_cfg(NULL, NULL, NULL, DMAPOOL_F_CACHE_STRESS, 5);
	struct device *nc = dev(m, "nc@1000");
	uint8_t *p = kmalloc(4096, GFP_KERNEL);
	dma_addr_t a;

	(void)state;
	for (unsigned round = 0; round < 4; round++) {
		fill(p, 4096, round);
		a = dma_map_single(nc, p, 4096, DMA_BIDIRECTIONAL);
		assert_false(dma_mapping_error(nc, a));
		assert_true(dev_reads_pat(nc, a, 4096, round));
		dev_writes_pat(nc, a, 4096, round + 10);
		dma_unmap_single(nc, a, 4096, DMA_BIDIRECTIONAL);
		assert_true(is_pat(p, 4096, round + 10));
	}
	assert_int_equal(dmapool_report_check_none(m), 0);
	kfree(p);
}

/* ------------------------------------------------------------------ */
/* Detection 5: the linear map where the kernel has none, or a
 * cacheable alias of a non-cacheable buffer */

static void trap_nomap(void **state)
{
	struct dmapool_machine *m = load(NULL);
	volatile uint8_t *v = phys_to_virt(0x4f000000);
	struct dmapool_report r;

	(void)state;
	assert_true(v != NULL);
	v[0x10] = 5;					/* a data abort in the kernel */
	assert_int_equal(v[0x10], 5);
	assert_int_equal(kinds(m, "cpu-nomap-access"), 1);
	r = rep(m, "cpu-nomap-access");
	assert_int_equal(r.phys, 0x4f000010);
	assert_non_null(strstr(r.text, "CPU write through the linear map of no-map"));
	/* one report per page: the page is open now */
	v[0x20] = 6;
	assert_int_equal(dmapool_report_count(m), 1);
}

static void trap_mismatched_alias(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *nc = dev(m, "nc@1000");
	dma_addr_t h;
	uint8_t *p = dma_alloc_coherent(nc, 8192, &h, GFP_KERNEL);
	uint8_t *lin;

	(void)state;
	assert_non_null(p);
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WC);
	memset(p, 0x5a, 8192);
	assert_true(dev_reads_pat(nc, h, 0, 0));	/* zero bytes: trivially */
	lin = phys_to_virt((phys_addr_t)h);		/* no dma-ranges: dma == phys */
	lin[4096 + 3] = 1;				/* through the cacheable alias */
	assert_int_equal(kinds(m, "cpu-alias-access"), 1);
	assert_int_equal(rep(m, "cpu-alias-access").phys, (phys_addr_t)h + 4096 + 3);
	/* the device and the WC pointer never see it */
	assert_int_equal(p[4096 + 3], 0x5a);
	assert_int_equal(dmapool_dev_compare(nc, h + 4096 + 3, "\x5a", 1, NULL), 0);
	dma_free_coherent(nc, 8192, p, h);
	/* freed: the alias is ordinary memory again */
	assert_int_equal(lin[4096 + 3], 0x5a);
	assert_int_equal(dmapool_report_count(m), 1);
}

/* The knob turns the traps off: no handler, no reports, views differ. */
static void traps_off(void **state)
{
	struct dmapool_machine *m = load_cfg(NULL, NULL, NULL, DMAPOOL_F_NO_TRAPS, 0);
	struct device *nc = dev(m, "nc@1000");
	dma_addr_t h;
	uint8_t *p = dma_alloc_coherent(nc, 4096, &h, GFP_KERNEL);
	uint8_t *lin = phys_to_virt((phys_addr_t)h);

	(void)state;
	p[0] = 9;
	lin[0] = 3;
	assert_int_equal(p[0], 9);
	assert_int_equal(dmapool_report_count(m), 0);
	dma_free_coherent(nc, 4096, p, h);
}

/* ------------------------------------------------------------------ */
/* Strict ownership */

static void strict_ownership_traps(void **state)
{
	struct dmapool_machine *m = load_cfg(NULL, NULL, NULL, DMAPOOL_F_STRICT_OWNERSHIP, 0);
	struct device *nc = dev(m, "nc@1000");
	uint8_t *p = (uint8_t *)__get_free_pages(GFP_KERNEL, 1);
	struct dmapool_report r;
	dma_addr_t a;

	(void)state;
	a = dma_map_single(nc, p, 8192, DMA_FROM_DEVICE);
	assert_false(dma_mapping_error(nc, a));
	dev_writes_pat(nc, a, 8192, 2);
	p[4096 + 8] = 1;				/* while the device owns it */
	assert_int_equal(kinds(m, "cpu-access-device-owned"), 1);
	r = rep(m, "cpu-access-device-owned");
	assert_string_equal(r.device, "1000.nc");
	assert_int_equal(r.addr, a);
	assert_int_equal(r.phys, virt_to_phys(p) + 4096 + 8);
	assert_non_null(strstr(r.text, "CPU write to a buffer the device owns"));
	dma_sync_single_for_cpu(nc, a, 8192, DMA_FROM_DEVICE);
	assert_int_equal(p[0], (uint8_t)(2 * 37 + 1));	/* CPU owns it: no trap */
	p[0] = 0;
	dma_sync_single_for_device(nc, a, 8192, DMA_FROM_DEVICE);
	(void)*(volatile uint8_t *)(p + 100);		/* device owns it again */
	assert_int_equal(kinds(m, "cpu-access-device-owned"), 2);
	dma_unmap_single(nc, a, 8192, DMA_FROM_DEVICE);
	p[100] = 1;
	assert_int_equal(kinds(m, "cpu-access-device-owned"), 2);
	free_pages((unsigned long)p, 1);
}

/* Two buffers on one page: touching the CPU's is not reported, even
 * though the device's keeps the page protected. */
static void strict_ownership_shared_page(void **state)
{
	struct dmapool_machine *m = load_cfg(NULL, NULL, NULL, DMAPOOL_F_STRICT_OWNERSHIP, 0);
	struct device *nc = dev(m, "nc@1000");
	uint8_t *page = (uint8_t *)__get_free_pages(GFP_KERNEL, 0);
	dma_addr_t a, b;

	(void)state;
	a = dma_map_single(nc, page, 2048, DMA_FROM_DEVICE);
	assert_false(dma_mapping_error(nc, a));
	b = dma_map_single(nc, page + 2048, 2048, DMA_FROM_DEVICE);
	assert_false(dma_mapping_error(nc, b));
	dma_sync_single_for_cpu(nc, a, 2048, DMA_FROM_DEVICE);
	page[10] = 1;					/* a is the CPU's */
	assert_int_equal(dmapool_report_count(m), 0);
	dma_sync_single_for_device(nc, a, 2048, DMA_FROM_DEVICE);
	page[2048 + 10] = 1;				/* b is the device's */
	assert_int_equal(kinds(m, "cpu-access-device-owned"), 1);
	assert_int_equal(rep(m, "cpu-access-device-owned").addr, b);
	dma_unmap_single(nc, a, 2048, DMA_FROM_DEVICE);
	dma_unmap_single(nc, b, 2048, DMA_FROM_DEVICE);
	free_pages((unsigned long)page, 0);
}

/* ------------------------------------------------------------------ */
/* The device's checks */

static void device_checks(void **state)
{
	struct dmapool_machine *m = load_cfg(NULL, NULL, "dev_read_fromdevice_bug=y", 0, 0);
	struct device *nc = dev(m, "nc@1000");
	uint8_t *p = kmalloc(1024, GFP_KERNEL), b[16] = { 1, 2, 3, 4 };
	dma_addr_t t, f;

	(void)state;
	t = dma_map_single(nc, p, 512, DMA_TO_DEVICE);
	assert_false(dma_mapping_error(nc, t));
	f = dma_map_single(nc, p + 512, 512, DMA_FROM_DEVICE);
	assert_false(dma_mapping_error(nc, f));
	assert_int_equal(dmapool_dev_write(nc, t, b, 4), 0);
	assert_int_equal(kinds(m, "dev-write-to-device"), 1);
	assert_int_equal(dmapool_dev_read(nc, f, b, 4), 0);
	assert_int_equal(kinds(m, "dev-read-from-device"), 1);
	/* past t's end, into f: still an overrun of t */
	assert_int_equal(dmapool_dev_read(nc, t + 500, b, 16), 0);
	assert_int_equal(kinds(m, "dev-overrun"), 1);
	assert_non_null(strstr(rep(m, "dev-overrun").text, "crosses the end of the mapping by 4 bytes"));
	dma_unmap_single(nc, f, 512, DMA_FROM_DEVICE);
	assert_int_equal(dmapool_dev_read(nc, f, b, 4), 0);
	assert_int_equal(kinds(m, "dev-unmapped"), 1);
	/* the CPU owns it between sync_for_cpu and sync_for_device */
	dma_sync_single_for_cpu(nc, t, 512, DMA_TO_DEVICE);
	assert_int_equal(dmapool_dev_read(nc, t, b, 4), 0);
	assert_int_equal(kinds(m, "dev-cpu-owned"), 1);
	dma_sync_single_for_device(nc, t, 512, DMA_TO_DEVICE);
	assert_int_equal(dmapool_dev_read(nc, t, b, 4), 0);
	assert_int_equal(kinds(m, "dev-cpu-owned"), 1);
	/* beyond the mask: refused */
	assert_int_equal(dma_set_mask(nc, DMA_BIT_MASK(31)), 0);
	assert_int_equal(dmapool_dev_read(nc, 0x80000000, b, 4), -EFAULT);
	assert_int_equal(kinds(m, "dev-beyond-mask"), 1);
	dma_unmap_single(nc, t, 512, DMA_TO_DEVICE);
	/* one of each, and the device's write into t was never shown to
	 * the CPU (no invalidate for TO_DEVICE) */
	assert_int_equal(kinds(m, "cache-stale-cpu"), 1);
	assert_int_equal(dmapool_report_count(m), 7);
	kfree(p);
}

/* A coherent allocation is shared: no ownership, no direction. */
static void device_coherent_alloc_access(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *nc = dev(m, "nc@1000");
	dma_addr_t h;
	uint32_t v32;
	uint64_t v64;
	size_t at = 99;
	uint8_t *p = dma_alloc_coherent(nc, 4096, &h, GFP_KERNEL);

	(void)state;
	assert_int_equal(dmapool_dev_write_u32(nc, h, 0x11223344), 0);
	assert_int_equal(p[0], 0x44);
	assert_int_equal(p[3], 0x11);
	assert_int_equal(dmapool_dev_write_u64(nc, h + 8, 0x0102030405060708ULL), 0);
	assert_int_equal(p[8], 0x08);
	p[16] = 0xaa;
	p[17] = 0xbb;
	assert_int_equal(dmapool_dev_read_u32(nc, h + 16, &v32), 0);
	assert_int_equal(v32, 0xbbaa);
	assert_int_equal(dmapool_dev_read_u64(nc, h + 8, &v64), 0);
	assert_int_equal(v64, 0x0102030405060708ULL);
	assert_int_equal(dmapool_dev_fill(nc, h + 100, 0x3c, 50), 0);
	assert_true(all(p + 100, 0x3c, 50));
	assert_int_equal(dmapool_dev_compare(nc, h + 100, p + 100, 50, &at), 0);
	p[120] = 0;
	assert_int_equal(dmapool_dev_compare(nc, h + 100, "\x3c\x3c", 2, &at), 0);
	memset(p + 200, 0x3c, 50);
	p[210] = 1;
	assert_int_equal(dmapool_dev_compare(nc, h + 100, p + 200, 50, &at), 1);
	assert_int_equal(at, 10);
	assert_int_equal(dmapool_dev_compare(NULL, h, p, 1, NULL), -EINVAL);
	assert_int_equal(dmapool_dev_read_u32(nc, h, NULL), -EINVAL);
	assert_int_equal(dmapool_report_check_none(m), 0);
	dma_free_coherent(nc, 4096, p, h);
	assert_int_equal(dmapool_dev_read_u32(nc, h, &v32), 0);
	assert_int_equal(kinds(m, "dev-unmapped"), 1);
}

/* ------------------------------------------------------------------ */
/* Every direction on every profile's table, and coherent devices */

static const char *const arches[] = { "arm64", "arm", "riscv64", "x86_64" };
static const int dirs[] = { DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_BIDIRECTIONAL };

/* The correct protocol: right bytes both ways, no report. */
static void protocol_every_table(void **state)
{
	(void)state;
	for (size_t ai = 0; ai < 4; ai++)
		for (int coh = 0; coh < 2; coh++) {
			struct dmapool_machine *m = load(arches[ai]);
			struct device *d = dev(m, coh ? "coh@2000" : "nc@1000");

			for (size_t di = 0; di < 3; di++) {
				int dir = dirs[di];
				uint8_t *p = kmalloc(4096, GFP_KERNEL);
				dma_addr_t a;

				fill(p, 4096, 1);
				a = dma_map_single(d, p, 4096, dir);
				assert_false(dma_mapping_error(d, a));
				if (dir != DMA_FROM_DEVICE && !dev_reads_pat(d, a, 4096, 1))
					fail_msg("%s %s dir %d: device read stale data",
						 arches[ai], coh ? "coherent" : "non-coherent", dir);
				if (dir != DMA_TO_DEVICE) {
					dev_writes_pat(d, a, 4096, 2);
					dma_sync_single_for_cpu(d, a, 4096, dir);
					if (!is_pat(p, 4096, 2))
						fail_msg("%s dir %d: CPU read stale data", arches[ai], dir);
					fill(p, 4096, 3);
					dma_sync_single_for_device(d, a, 4096, dir);
					if (dir == DMA_BIDIRECTIONAL)
						assert_true(dev_reads_pat(d, a, 4096, 3));
					dev_writes_pat(d, a, 4096, 4);
				}
				dma_unmap_single(d, a, 4096, dir);
				if (dir != DMA_TO_DEVICE && !is_pat(p, 4096, 4))
					fail_msg("%s dir %d: CPU missed the last write", arches[ai], dir);
				kfree(p);
			}
			if (dmapool_report_check_none(m))
				fail_msg("%s: reports on the correct protocol", arches[ai]);
			tu_unload(m);
		}
}

/*
 * The tables differ where a driver breaks the rules: writing a buffer
 * after mapping it.  arm64 and riscv clean for every direction at the
 * next sync_for_device; 32-bit ARM invalidates for FROM_DEVICE and the
 * CPU's bytes are gone.  x86 has no cache maintenance and snoops.
 */
static void tables_differ_for_device(void **state)
{
	static const struct {
		const char *arch;
		bool survives;		/* CPU bytes reach DRAM at sync_for_device */
	} want[] = {
		{ "arm64", true }, { "arm", false }, { "riscv64", true }, { "x86_64", true },
	};

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct dmapool_machine *m = load(want[i].arch);
		struct device *nc = dev(m, "nc@1000");
		uint8_t *p = kmalloc(4096, GFP_KERNEL);
		dma_addr_t a;

		fill(p, 4096, 1);
		a = dma_map_single(nc, p, 4096, DMA_FROM_DEVICE);
		assert_false(dma_mapping_error(nc, a));
		fill(p, 4096, 5);			/* after the map */
		dma_sync_single_for_device(nc, a, 4096, DMA_FROM_DEVICE);
		if (dev_reads_pat(nc, a, 4096, 5) != want[i].survives)
			fail_msg("%s: CPU bytes %s DRAM", want[i].arch,
				 want[i].survives ? "did not reach" : "reached");
		dma_unmap_single(nc, a, 4096, DMA_FROM_DEVICE);
		kfree(p);
		tu_unload(m);
	}
}

/* Coherent devices: the CPU sees device writes at once, even unsynced. */
static void coherent_sees_everything(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *coh = dev(m, "coh@2000");
	uint8_t *p = kmalloc(1024, GFP_KERNEL);
	dma_addr_t a;

	(void)state;
	a = dma_map_single(coh, p, 1024, DMA_BIDIRECTIONAL);
	assert_false(dma_mapping_error(coh, a));
	fill(p, 1024, 1);				/* after the map: fine */
	assert_true(dev_reads_pat(coh, a, 1024, 1));
	dev_writes_pat(coh, a, 1024, 2);
	assert_true(is_pat(p, 1024, 2));		/* no sync needed */
	dma_unmap_single(coh, a, 1024, DMA_BIDIRECTIONAL);
	assert_int_equal(dmapool_report_check_none(m), 0);
	kfree(p);
}

/* ------------------------------------------------------------------ */
/* The report API */

static void report_api(void **state)
{
	struct dmapool_machine *m = load(NULL);
	struct device *nc = dev(m, "nc@1000");
	struct dmapool_report r;
	uint8_t b[4];
	pid_t pid;
	int st;

	(void)state;
	assert_int_equal(dmapool_report_get(m, 0, &r), -ENOENT);
	assert_int_equal(dmapool_report_get(NULL, 0, &r), -EINVAL);
	assert_int_equal(dmapool_report_get(m, 0, NULL), -EINVAL);
	assert_int_equal(dmapool_dev_read(nc, 0x48000000, b, 4), 0);	/* unmapped */
	assert_int_equal(dmapool_report_get(m, 0, &r), 0);
	assert_string_equal(r.kind, "dev-unmapped");
	assert_int_equal(r.addr, 0x48000000);
	assert_int_equal(r.size, 4);
	assert_int_equal(r.phys, 0x48000000);
	assert_string_equal(r.text, dmapool_report_text(m, 0));
	assert_int_equal(dmapool_report_count_kind(m, "dev-unmapped"), 1);
	assert_int_equal(dmapool_report_count_kind(m, "nothing"), 0);
	assert_int_equal(dmapool_report_count_kind(m, NULL), 0);
	assert_int_equal(dmapool_report_check_none(m), 1);	/* and printed */
	dmapool_report_clear(m);
	assert_int_equal(dmapool_report_count(m), 0);
	assert_int_equal(dmapool_report_check_none(m), 0);
	/* fatal: the next report aborts (in a child) */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fclose(stderr);
		dmapool_report_set_fatal(m, true);
		dmapool_dev_read(nc, 0x48000000, b, 4);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	dmapool_report_set_fatal(m, false);
	assert_int_equal(dmapool_dev_read(nc, 0x48000000, b, 4), 0);
	assert_int_equal(dmapool_report_count(m), 1);
}

/* ------------------------------------------------------------------ */

static int write_tree(void)
{
	strcpy(tmpdir, "/tmp/test_cache-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	return tu_tree_write(tmpdir, "cache", tree);
}

static void remove_tree(void)
{
	tu_tree_remove(tmpdir, "cache");
	rmdir(tmpdir);
}

static int group_setup(void **state)
{
	(void)state;
	tu_leak_mark();
	return 0;
}

#define T(f) cmocka_unit_test_teardown(f, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(dirty_read_after_map),
		T(stale_cpu_missing_sync_for_cpu),
		T(stale_cpu_every_table),
		T(stale_cpu_bounced),
		T(shared_line_arm64),
		T(shared_line_riscv),
		T(no_shared_line_when_aligned),
		T(cpu_write_lost),
		T(stress_eviction_seeded),
		T(stress_correct_driver_no_reports),
		T(trap_nomap),
		T(trap_mismatched_alias),
		T(traps_off),
		T(strict_ownership_traps),
		T(strict_ownership_shared_page),
		T(device_checks),
		T(device_coherent_alloc_access),
		T(protocol_every_table),
		T(tables_differ_for_device),
		T(coherent_sees_everything),
		T(report_api),
	};
	int rc;

	if (write_tree())
		return 1;
	rc = cmocka_run_group_tests(tests, group_setup, tu_leak_teardown);
	remove_tree();
	return rc;
}
