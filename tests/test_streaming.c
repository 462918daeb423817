/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Behaviour of the streaming DMA API (dma_map_single/page/sg/resource,
 * the syncs, the unmaps and their limits), checked against Linux 6.12
 * arm64: every branch of dma-direct's map decision (forced bouncing, a
 * buffer out of reach with and without a SWIOTLB, the small-kmalloc rule),
 * the SWIOTLB slot allocator (next-fit cursor, segments, areas, page
 * alignment, the segment boundary, min_align_mask, "buffer is full" and
 * its rate limit, restricted pools), the bounce copies of every direction
 * and sync, the cache maintenance each profile records, scatter-gather
 * tables, and the kmalloc/alloc_pages/vmalloc memory drivers map.
 *
 * Exact addresses and log lines come from the real-kernel oracle runs:
 * fixtures/oracle/22-probe-streaming and the recorded cases 60-67
 * (fixtures/oracle/recorded/cases/logs), replayed here through the API on
 * the oracle fixtures (the same memory layout; the bootargs of each run)
 * or on 22's tree with the buses of cases 62, 65 and 67 grafted on.  A
 * differential test drives the library's slot search and a plain reference of the kernel's swiotlb_search_pool_area() with
 * the same pseudo-random sequence of maps and unmaps.
 *
 * Usage: test_streaming ORACLE_FIXTURE_DIR
 */

/*
 * internal.h gives the SWIOTLB's geometry and counters (m->swiotlb); its
 * two-argument virt_to_phys()/phys_to_virt() would clash with the
 * kernel-style ones of <linux/mm.h>, so they are renamed away here (this
 * file never calls them).
 */
#define virt_to_phys	dmapool_internal_virt_to_phys
#define phys_to_virt	dmapool_internal_phys_to_virt
#include "internal.h"
#undef virt_to_phys
#undef phys_to_virt

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <dmapool.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/highmem.h>
#include "testutil.h"

#define FAILED	((dma_addr_t)0xfa11fa11fa11ULL)	/* the map must fail */
#define DIRECT	((dma_addr_t)0xd1ec7d1ec7ULL)	/* mapped in place: dma == phys */
#define PNONE	((phys_addr_t)-1)
#define BI	DMA_BIDIRECTIONAL
#define TO	DMA_TO_DEVICE
#define FROM	DMA_FROM_DEVICE

static const char *oracle_dir;
static char tmpdir[64];

/* ------------------------------------------------------------------ */
/* Machines (testutil.h: tu_load, tu_unload, tu_teardown): every machine
 * a test loads is destroyed by the per-test teardown, even when an
 * assertion fails half way.  kmalloc(), alloc_pages() and vmalloc() act on
 * the calling thread's machine: the one loaded last, unless a test says
 * otherwise. */

/* An oracle fixture (<builddir>/fixtures/oracle/NAME.dtb); bootargs NULL
 * keeps the fixture's own. */
static struct dmapool_machine *load_oracle(const char *name, const char *bootargs)
{
	struct dmapool_config cfg = { .bootargs = bootargs };
	struct dmapool_machine *m = tu_load_in(oracle_dir, name, "dtb", &cfg);

	dmapool_machine_use(m);
	return m;
}

/* A tree of this file (tmpdir/NAME.dts, compiled by dtc). */
static struct dmapool_machine *load_tree(const char *name, const char *arch,
					 uint64_t ram, const char *bootargs,
					 const char *knobs)
{
	struct dmapool_config cfg = {
		.arch = arch, .ram_size = ram, .bootargs = bootargs, .knobs = knobs,
	};
	struct dmapool_machine *m = tu_load_in(tmpdir, name, "dts", &cfg);

	dmapool_machine_use(m);
	return m;
}

#define unload		tu_unload
#define test_teardown	tu_teardown

#define dev(m, name)	tu_dev(m, name)

/* ------------------------------------------------------------------ */
/* Trees written to tmpdir.  "window22" and "restricted22" are the oracle
 * fixture 22-probe-streaming (QEMU virt, 2 GiB) decompiled, with the
 * fragment below appended, as the oracle itself appends a case's .dtsi to
 * QEMU's tree: the kernel's memory layout with extra nodes. */

static const char window_fragment[] =
	"\n/ {\n"
	"	bounce@b0000000 {\n"
	"		compatible = \"simple-bus\";\n"
	"		#address-cells = <1>;\n"
	"		#size-cells = <1>;\n"
	"		ranges;\n"
	"		dma-ranges = <0xb0000000 0x0 0xb0000000 0x10000000>;\n"
	"		probe@0 { compatible = \"libdmapool,probe\"; };\n"
	"		probe@1 { compatible = \"libdmapool,probe\"; dma-coherent; };\n"
	"	};\n"
	"};\n";

/* 65-probe-window-24-30: three buses with dma-ranges at bus address 0;
 * the lowest window end (0x40ffffff) becomes the ZONE_DMA limit. */
static const char windows65_fragment[] =
	"\n/ {\n"
	"	win24@40000000 {\n"
	"		compatible = \"simple-bus\";\n"
	"		#address-cells = <1>;\n"
	"		#size-cells = <1>;\n"
	"		ranges;\n"
	"		dma-ranges = <0x0 0x0 0x40000000 0x1000000>;\n"
	"		probe@0 { compatible = \"libdmapool,probe\"; dma-coherent; };\n"
	"		probe@1 { compatible = \"libdmapool,probe\"; };\n"
	"	};\n"
	"	win30@40000000 {\n"
	"		compatible = \"simple-bus\";\n"
	"		#address-cells = <1>;\n"
	"		#size-cells = <1>;\n"
	"		ranges;\n"
	"		dma-ranges = <0x0 0x0 0x40000000 0x40000000>;\n"
	"		probe@2 { compatible = \"libdmapool,probe\"; };\n"
	"	};\n"
	"	win24@80000000 {\n"
	"		compatible = \"simple-bus\";\n"
	"		#address-cells = <1>;\n"
	"		#size-cells = <1>;\n"
	"		ranges;\n"
	"		dma-ranges = <0x0 0x0 0x80000000 0x1000000>;\n"
	"		probe@3 { compatible = \"libdmapool,probe\"; dma-coherent; };\n"
	"	};\n"
	"};\n";

static const char restricted_fragment[] =
	"\n/ {\n"
	"	reserved-memory {\n"
	"		#address-cells = <2>;\n"
	"		#size-cells = <2>;\n"
	"		ranges;\n"
	"		rpool: restricted@80000000 {\n"
	"			compatible = \"restricted-dma-pool\";\n"
	"			reg = <0x0 0x80000000 0x0 0x400000>;\n"
	"		};\n"
	"	};\n"
	"	probe@2 { compatible = \"libdmapool,probe\"; memory-region = <&rpool>; };\n"
	"	probe@3 { compatible = \"libdmapool,probe\"; dma-coherent;\n"
	"		  memory-region = <&rpool>; };\n"
	"};\n";

static const struct {
	const char *name, *text;
} trees[] = {
	/* 32-bit ARM: one non-coherent and one coherent device (RAM from
	 * ram_size) */
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

static const char *const generated[] = { "base22", "window22", "restricted22", "windows65" };

static int run_dtc_decompile(const char *out, const char *in)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0)
			dup2(fd, 2);
		execlp("dtc", "dtc", "-q", "-I", "dtb", "-O", "dts", "-o", out, in,
		       (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int write_text(const char *name, const char *a, size_t alen, const char *b)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.dts", tmpdir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fwrite(a, 1, alen, f);
	if (b)
		fputs(b, f);
	return fclose(f);
}

static int write_trees(void)
{
	char in[1024], out[256];
	char *base = NULL;
	size_t len = 0;
	FILE *f;
	int rc = -1;

	strcpy(tmpdir, "/tmp/test_streaming-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	for (size_t i = 0; i < sizeof(trees) / sizeof(trees[0]); i++)
		if (write_text(trees[i].name, trees[i].text, strlen(trees[i].text), NULL))
			return -1;
	snprintf(in, sizeof(in), "%s/22-probe-streaming.dtb", oracle_dir);
	snprintf(out, sizeof(out), "%s/base22.dts", tmpdir);
	if (run_dtc_decompile(out, in))
		return -1;
	f = fopen(out, "r");
	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) == 0 && (len = (size_t)ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (base = malloc(len)) &&
	    fread(base, 1, len, f) == len)
		rc = write_text("window22", base, len, window_fragment) ||
		     write_text("restricted22", base, len, restricted_fragment) ||
		     write_text("windows65", base, len, windows65_fragment) ? -1 : 0;
	fclose(f);
	free(base);
	return rc;
}

static void remove_trees(void)
{
	char path[256];

	for (size_t i = 0; i < sizeof(trees) / sizeof(trees[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.dts", tmpdir, trees[i].name);
		unlink(path);
	}
	for (size_t i = 0; i < sizeof(generated) / sizeof(generated[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.dts", tmpdir, generated[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

/* ------------------------------------------------------------------ */
/* Leak check per group (testutil.h): no fd or mapping may be left once
 * every machine is destroyed. */

static int group_setup(void **state)
{
	struct dmapool_machine *m;
	struct device *d;
	struct sg_table sgt;
	dma_addr_t a;
	void *p, *v;

	(void)state;
	/* warm up libc, cmocka, dtc's fork path, kmalloc, vmalloc, sg */
	m = load_oracle("22-probe-streaming", NULL);
	d = dev(m, "probe@1");
	p = kmalloc(0x20, GFP_KERNEL);
	a = dma_map_single(d, p, 0x20, BI);
	dma_unmap_single(d, a, 0x20, BI);
	v = vmalloc(0x3000);
	vfree(v);
	assert_int_equal(sg_alloc_table(&sgt, 2, GFP_KERNEL), 0);
	sg_free_table(&sgt);
	unload(m);
	m = load_tree("window22", NULL, 0, NULL, NULL);
	unload(m);
	tu_leak_mark();
	return 0;
}

#define group_teardown	tu_leak_teardown

/* ------------------------------------------------------------------ */
/* Helpers */

#define last		tu_last_decision
#define has_step	tu_has_step
#define dump_decision	tu_dump_decision

static size_t logn(struct dmapool_machine *m)
{
	return dmapool_log_count(m);
}

#define log_count	tu_log_count
#define log_count_sub	tu_log_count_sub
#define dump_log	tu_dump_log

static const char *log_after(struct dmapool_machine *m, size_t from, const char *s)
{
	for (size_t i = from; i + 1 < dmapool_log_count(m); i++)
		if (!strcmp(dmapool_log_line(m, i), s))
			return dmapool_log_line(m, i + 1);
	return "";
}

/*
 * Reports, leaving out DMA-API debugging's "failed to check map error":
 * these tests map and unmap without dma_mapping_error() on every map to
 * keep the paths short; test_debug.c covers that check.
 */
static size_t reports(struct dmapool_machine *m)
{
	return dmapool_report_count(m) -
	       dmapool_report_count_kind(m, "debug-map-error-unchecked");
}

static const char *report_last(struct dmapool_machine *m)
{
	struct dmapool_report r;

	for (size_t n = dmapool_report_count(m); n--;)
		if (!dmapool_report_get(m, n, &r) &&
		    strcmp(r.kind, "debug-map-error-unchecked"))
			return r.text;
	return "";
}

static void fill(void *p, size_t n, unsigned seed)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed * 37 + i * 7 + (i >> 8));
}

static bool is_pat(const void *p, size_t n, unsigned seed)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != (uint8_t)(seed * 37 + i * 7 + (i >> 8)))
			return false;
	return true;
}

/* The device reads n bytes at DMA address a: do they equal cpu[0..n)? */
static bool dev_sees(struct device *d, dma_addr_t a, const void *cpu, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);
	bool same;

	assert_non_null(b);
	assert_int_equal(dmapool_dev_read(d, a, b, n), 0);
	same = !memcmp(b, cpu, n);
	free(b);
	return same;
}

/* The device writes pattern seed over [a, a + n). */
static void dev_fill(struct device *d, dma_addr_t a, size_t n, unsigned seed)
{
	uint8_t *b = malloc(n);

	assert_non_null(b);
	fill(b, n, seed);
	assert_int_equal(dmapool_dev_write(d, a, b, n), 0);
	free(b);
}

static void *kbuf(size_t n, unsigned seed)
{
	void *p = kmalloc(n, GFP_KERNEL);

	assert_non_null(p);
	fill(p, n, seed);
	return p;
}

static uint64_t swiotlb_used_now(struct dmapool_machine *m)
{
	return swiotlb_used(&m->swiotlb);
}

/*
 * The cache maintenance of one side (arch_sync_dma_for_device, else
 * _for_cpu) a decision recorded: NONE when it recorded none; at most one
 * record per side, on [pa, pa + size) unless pa is PNONE.
 */
static enum dmapool_cache_op cache_of(const struct dmapool_decision *x,
				      bool for_device, phys_addr_t pa, uint64_t size)
{
	enum dmapool_cache_op op = DMAPOOL_CACHE_NONE;
	unsigned n = 0;

	for (unsigned i = 0; i < x->ncache; i++) {
		if (x->cache[i].for_device != for_device)
			continue;
		n++;
		op = x->cache[i].op;
		if (op != DMAPOOL_CACHE_NONE && pa != PNONE) {
			assert_int_equal(x->cache[i].phys, pa);
			assert_int_equal(x->cache[i].size, size);
		}
	}
	assert_true(n <= 1);
	return op;
}

struct cache_count {
	uint64_t clean, inval, flush;
};

static struct cache_count cache_now(struct dmapool_machine *m)
{
	struct cache_count c = {
		dmapool_cache_ops(m, DMAPOOL_CACHE_CLEAN),
		dmapool_cache_ops(m, DMAPOOL_CACHE_INVAL),
		dmapool_cache_ops(m, DMAPOOL_CACHE_FLUSH),
	};

	return c;
}

static void cache_delta(struct dmapool_machine *m, struct cache_count c0,
			uint64_t clean, uint64_t inval)
{
	struct cache_count c = cache_now(m);

	assert_int_equal(c.clean - c0.clean, clean);
	assert_int_equal(c.inval - c0.inval, inval);
	assert_int_equal(c.flush - c0.flush, 0);
}

/* ------------------------------------------------------------------ */
/* Replays of the oracle's probe ops through the API.  Each step makes a
 * mapping (kmalloc + dma_map_single, alloc_pages + dma_map_page, or N
 * separate pages in an sg_table + dma_map_sgtable, all BIDIRECTIONAL
 * unless said) and checks the DMA address the kernel printed, or unmaps
 * the mapping a former step made.  A failing step must print exactly the
 * kernel's "swiotlb buffer is full" line; any other step none. */

struct rstep {
	int dev;		/* index into the replay's devices; -1 for unmap */
	char op;		/* 'm' map_single, 'p' map_page, 's' sg, 'u' unmap */
	uint64_t arg;		/* bytes; pages for 's'; the step to undo for 'u' */
	int dir;
	dma_addr_t want;	/* FAILED, DIRECT or the bounce address */
	const char *full;	/* a failure's "swiotlb buffer is full (" text */
};

#define RMAP(dv, sz, dr, w)	{ (dv), 'm', (sz), (dr), (w), NULL }
#define RMAPF(dv, sz, dr, f)	{ (dv), 'm', (sz), (dr), FAILED, (f) }
#define RPAGE(dv, sz, w)	{ (dv), 'p', (sz), BI, (w), NULL }
#define RPAGEF(dv, sz, f)	{ (dv), 'p', (sz), BI, FAILED, (f) }
#define RSG(dv, n, w)		{ (dv), 's', (n), BI, (w), NULL }
#define RSGF(dv, n, f)		{ (dv), 's', (n), BI, FAILED, (f) }
#define RUNMAP(k)		{ -1, 'u', (k), 0, 0, NULL }
#define NSTEPS(a)		(sizeof(a) / sizeof((a)[0]))

#define MAX_REC 64

struct rrec {
	char op;
	struct device *d;
	void *buf;
	struct page *pg;
	unsigned order;
	struct sg_table sgt;
	struct page **pages;
	unsigned npages;
	dma_addr_t dma;
	size_t size;
	int dir;
	bool live;
};

struct replay {
	struct dmapool_machine *m;
	struct device *devs[4];
	const char *backend;	/* of a bounced map: "swiotlb" or "restricted-swiotlb" */
	uint64_t phys_off;	/* the devices' dma-ranges offset: phys = dma + off */
	struct rrec rec[MAX_REC];
	int n;
};

static void replay_init(struct replay *r, struct dmapool_machine *m,
			struct device *d0, struct device *d1, struct device *d2)
{
	memset(r, 0, sizeof(*r));
	r->m = m;
	r->devs[0] = d0;
	r->devs[1] = d1;
	r->devs[2] = d2;
	r->backend = "swiotlb";
}

static void replay_free_sg(struct rrec *c)
{
	for (unsigned i = 0; i < c->npages; i++)
		__free_page(c->pages[i]);
	free(c->pages);
	c->pages = NULL;
	c->npages = 0;
	sg_free_table(&c->sgt);
}

static void replay_check_single(struct replay *r, int idx, const struct rstep *s,
				dma_addr_t got, phys_addr_t pa, const void *cpu)
{
	struct rrec *c = &r->rec[idx];
	struct dmapool_decision x = last(c->d);
	dma_addr_t want = s->want == DIRECT ? pa - r->phys_off : s->want;

	if (s->want == FAILED ? got != DMA_MAPPING_ERROR : got != want) {
		fprintf(stderr, "step %d: %c %#llx dir %d on %s: dma %#llx, want %#llx\n",
			idx, s->op, (unsigned long long)s->arg, s->dir, dev_name(c->d),
			(unsigned long long)got,
			(unsigned long long)(s->want == FAILED ? DMA_MAPPING_ERROR : want));
		dump_decision(&x);
	}
	assert_string_equal(x.op, "map");
	assert_int_equal(x.dir, s->dir);
	assert_int_equal(x.size, s->arg);
	if (s->want == FAILED) {
		assert_int_equal(got, DMA_MAPPING_ERROR);
		assert_string_equal(x.backend, "none");
		assert_false(x.ok);
		return;
	}
	assert_int_equal(got, want);
	assert_int_equal(x.dma, got);
	assert_int_equal(x.phys, pa);
	if (s->want == DIRECT) {
		assert_string_equal(x.backend, "direct");
		assert_int_equal(x.bounce, PNONE);
	} else {
		assert_string_equal(x.backend, r->backend);
		assert_int_equal(x.bounce, want + r->phys_off);
		/* the original was copied into the slot */
		assert_true(dev_sees(c->d, got, cpu, s->arg < 256 ? s->arg : 256));
		assert_true(dev_sees(c->d, got + s->arg - 16 * (s->arg >= 16),
				     (const uint8_t *)cpu + s->arg - 16 * (s->arg >= 16),
				     s->arg >= 16 ? 16 : 0));
	}
	c->live = true;
}

static void replay_unmap(struct rrec *c)
{
	switch (c->op) {
	case 'm':
		dma_unmap_single(c->d, c->dma, c->size, c->dir);
		break;
	case 'p':
		dma_unmap_page(c->d, c->dma, c->size, c->dir);
		break;
	case 's':
		dma_unmap_sgtable(c->d, &c->sgt, c->dir, 0);
		replay_free_sg(c);
		break;
	}
	c->live = false;
}

static void replay_run(struct replay *r, const struct rstep *steps, size_t n)
{
	char line[256];

	for (size_t k = 0; k < n; k++) {
		const struct rstep *s = &steps[k];
		int idx = r->n++;
		struct rrec *c = &r->rec[idx];
		size_t n0 = logn(r->m);

		assert_true(idx < MAX_REC);
		c->op = s->op;
		c->dir = s->dir;
		c->size = s->arg;
		if (s->op != 'u')
			c->d = r->devs[s->dev];
		switch (s->op) {
		case 'm':
			c->buf = kbuf(s->arg, (unsigned)idx);
			c->dma = dma_map_single(c->d, c->buf, s->arg, s->dir);
			replay_check_single(r, idx, s, c->dma, virt_to_phys(c->buf), c->buf);
			break;
		case 'p':
			c->order = get_order(s->arg);
			c->pg = alloc_pages(GFP_KERNEL, c->order);
			assert_non_null(c->pg);
			c->buf = page_address(c->pg);
			fill(c->buf, s->arg, (unsigned)idx);
			c->dma = dma_map_page(c->d, c->pg, 0, s->arg, BI);
			replay_check_single(r, idx, s, c->dma, page_to_phys(c->pg), c->buf);
			break;
		case 's': {
			struct scatterlist *sg;
			unsigned i;
			int ret;

			c->npages = (unsigned)s->arg;
			c->pages = calloc(c->npages, sizeof(*c->pages));
			assert_non_null(c->pages);
			assert_int_equal(sg_alloc_table(&c->sgt, c->npages, GFP_KERNEL), 0);
			for_each_sgtable_sg(&c->sgt, sg, i) {
				c->pages[i] = alloc_page(GFP_KERNEL);
				assert_non_null(c->pages[i]);
				fill(page_address(c->pages[i]), PAGE_SIZE, (unsigned)(idx + i));
				sg_set_page(sg, c->pages[i], PAGE_SIZE, 0);
			}
			ret = dma_map_sgtable(c->d, &c->sgt, BI, 0);
			if (s->want == FAILED) {
				assert_int_equal(ret, -EIO);
				replay_free_sg(c);
				break;
			}
			if (ret)
				fprintf(stderr, "step %d: sg of %u pages: %d\n", idx, c->npages, ret);
			assert_int_equal(ret, 0);
			assert_int_equal(c->sgt.nents, c->npages);
			for_each_sgtable_dma_sg(&c->sgt, sg, i) {
				if (sg_dma_address(sg) != s->want + (dma_addr_t)i * PAGE_SIZE)
					fprintf(stderr, "step %d: sg entry %u at %#llx, want %#llx\n",
						idx, i, (unsigned long long)sg_dma_address(sg),
						(unsigned long long)(s->want + (dma_addr_t)i * PAGE_SIZE));
				assert_int_equal(sg_dma_address(sg), s->want + (dma_addr_t)i * PAGE_SIZE);
				assert_int_equal(sg_dma_len(sg), PAGE_SIZE);
				assert_true(dev_sees(c->d, sg_dma_address(sg),
						     page_address(c->pages[i]), 64));
			}
			c->dma = sg_dma_address(c->sgt.sgl);
			c->live = true;
			break;
		}
		case 'u':
			assert_true(s->arg < (uint64_t)idx && r->rec[s->arg].live);
			replay_unmap(&r->rec[s->arg]);
			break;
		}
		if (s->full) {
			snprintf(line, sizeof(line), "dmaprobe %s: swiotlb buffer is full (%s",
				 dev_name(c->d), s->full);
			if (log_count(r->m, n0, line) != 1) {
				fprintf(stderr, "step %d: want \"%s\"\n", idx, line);
				dump_log(r->m, n0);
			}
			assert_int_equal(log_count(r->m, n0, line), 1);
		}
		assert_int_equal(log_count_sub(r->m, n0, "swiotlb buffer is full"),
				 s->full ? 1 : 0);
	}
}

/* Unmap whatever is still mapped; every slot goes back. */
static void replay_finish(struct replay *r)
{
	for (int i = 0; i < r->n; i++)
		if (r->rec[i].live)
			replay_unmap(&r->rec[i]);
	if (r->m->swiotlb.present)
		assert_int_equal(swiotlb_used_now(r->m), 0);
}

/* ================================================================== */
/* Group 1: the branches of dma_direct_map_phys()                     */
/* ================================================================== */

/* 22-probe-streaming: 2 GiB, a 32-bit mask reaches all RAM: a coherent
 * device maps in place whatever the size; so does a non-coherent one for
 * sizes the small-kmalloc rule leaves alone.  Oracle: dma == phys. */
static void map_direct_in_reach(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", NULL);
	struct device *coh = dev(m, "probe@0"), *nc = dev(m, "probe@1");
	struct dmapool_decision x;
	void *p;
	dma_addr_t a;

	(void)state;
	assert_int_equal(dma_set_mask_and_coherent(coh, DMA_BIT_MASK(32)), 0);
	assert_int_equal(dma_set_mask_and_coherent(nc, DMA_BIT_MASK(32)), 0);
	p = kbuf(0x10000, 1);
	a = dma_map_single(coh, (char *)p + 0x123, 0x8000, BI);
	assert_int_equal(a, virt_to_phys(p) + 0x123);
	x = last(coh);
	assert_string_equal(x.op, "map");
	assert_string_equal(x.backend, "direct");
	assert_true(x.ok);
	assert_int_equal(x.dir, BI);
	assert_int_equal(x.size, 0x8000);
	assert_int_equal(x.phys, virt_to_phys(p) + 0x123);
	assert_int_equal(x.bounce, PNONE);
	assert_true(has_step(&x, "reach", "yes"));
	assert_true(has_step(&x, "kmalloc-bounce", "no"));
	assert_false(has_step(&x, "swiotlb", NULL));
	assert_false(dma_mapping_error(coh, a));
	dma_unmap_single(coh, a, 0x8000, BI);
	x = last(coh);
	assert_string_equal(x.op, "unmap");
	assert_string_equal(x.backend, "direct");
	/* non-coherent, 0x40: kmalloc class 64, a cache-line multiple */
	p = kbuf(0x40, 2);
	a = dma_map_single(nc, p, 0x40, FROM);
	assert_int_equal(a, virt_to_phys(p));
	assert_string_equal(last(nc).backend, "direct");
	dma_unmap_single(nc, a, 0x40, FROM);
	/* dma_map_page with an offset */
	{
		struct page *pg = alloc_pages(GFP_KERNEL, 1);

		assert_non_null(pg);
		a = dma_map_page(nc, pg, 0x1100, 0x400, TO);
		assert_int_equal(a, page_to_phys(pg) + 0x1100);
		x = last(nc);
		assert_string_equal(x.backend, "direct");
		assert_int_equal(x.phys, page_to_phys(pg) + 0x1100);
		dma_unmap_page(nc, a, 0x400, TO);
		__free_pages(pg, 1);
	}
	assert_int_equal(swiotlb_used_now(m), 0);
	assert_int_equal(reports(m), 0);
}

/* swiotlb=force (case 63's boot): every mapping of every device bounces,
 * whatever the mask, coherency or direction; 'swiotlb=1024,2 force' with a
 * space does not force (the oracle notes 'force' is then a separate,
 * unknown parameter). */
static void map_force_bounce(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", "swiotlb=force");
	struct device *coh = dev(m, "probe@0"), *nc = dev(m, "probe@1");
	struct dmapool_decision x;
	void *p, *q;
	dma_addr_t a, b;

	(void)state;
	assert_int_equal(log_count(m, 0, "software IO TLB: mapped [mem 0x00000000b9600000-0x00000000b9800000] (2MB)"), 1);
	assert_int_equal(dma_set_mask_and_coherent(nc, DMA_BIT_MASK(64)), 0);
	p = kbuf(0x1000, 3);
	a = dma_map_single(coh, p, 0x1000, BI);
	assert_int_equal(a, 0xb9600000);
	x = last(coh);
	assert_string_equal(x.backend, "swiotlb");
	assert_int_equal(x.bounce, 0xb9600000);
	assert_int_equal(x.phys, virt_to_phys(p));
	assert_true(has_step(&x, "force-bounce", "yes"));
	assert_false(has_step(&x, "reach", NULL));
	q = kbuf(0x1000, 4);
	b = dma_map_single(nc, q, 0x1000, TO);		/* 64-bit, TO_DEVICE */
	assert_int_equal(b, 0xb9601000);
	assert_string_equal(last(nc).backend, "swiotlb");
	assert_int_equal(swiotlb_used_now(m), 4);
	dma_unmap_single(coh, a, 0x1000, BI);
	dma_unmap_single(nc, b, 0x1000, TO);
	assert_int_equal(swiotlb_used_now(m), 0);
	assert_int_equal(dma_max_mapping_size(coh), 0x40000);
	assert_int_equal(dma_max_mapping_size(nc), 0x40000);
	unload(m);

	m = load_oracle("22-probe-streaming", "swiotlb=1024,2 force");
	coh = dev(m, "probe@0");
	assert_int_equal(log_count(m, 0, "software IO TLB: area num 2."), 1);
	p = kbuf(0x1000, 5);
	a = dma_map_single(coh, p, 0x1000, BI);
	assert_int_equal(a, virt_to_phys(p));
	assert_string_equal(last(coh).backend, "direct");
	assert_int_equal(dma_max_mapping_size(coh), SIZE_MAX);
}

/* 61-probe-32bit-8G replayed on 49-probe-atomic-8G (the same 8 GiB QEMU
 * layout: 64 MiB SWIOTLB at 0xf8000000): kmalloc and alloc_pages buffers
 * lie above 4 GiB, so every mapping of a 32-bit device bounces, any
 * direction; a 64-bit non-coherent device bounces only small kmalloc
 * sizes.  probe@3 plays the oracle's probe@0 (coherent there; coherency
 * does not change a bounce for reach), probe@2 (set to 32 bits) its
 * probe@1, probe@0 (64 bits) its probe@2. */
static void map_out_of_reach_bounces_8g(void **state)
{
	static const struct rstep s[] = {
		/*  0 */ RMAP(0, 0x40, BI, 0xf8000000),
		/*  1 */ RMAP(0, 0x1000, BI, 0xf8001000),
		/*  2 */ RMAP(0, 0x10000, BI, 0xf8002000),
		/*  3 */ RMAP(0, 0x40000, BI, 0xf8040000),
		/*  4 */ RMAPF(0, 0x41000, BI, "sz: 266240 bytes), total 32768 (slots), used 163 (slots)"),
		/*  5 */ RMAP(0, 0x40, TO, 0xf8080000),
		/*  6 */ RMAP(0, 0x1000, TO, 0xf8081000),
		/*  7 */ RMAPF(0, 0x41000, TO, "sz: 266240 bytes), total 32768 (slots), used 166 (slots)"),
		/*  8 */ RMAP(0, 0x40, FROM, 0xf8082000),
		/*  9 */ RMAP(0, 0x1000, FROM, 0xf8083000),
		/* 10 */ RMAP(0, 0x40000, FROM, 0xf80c0000),
		/* 11 */ RPAGE(0, 0x1000, 0xf8100000),
		/* 12 */ RPAGE(0, 0x40000, 0xf8140000),
		/* 13 */ RPAGEF(0, 0x41000, "sz: 266240 bytes), total 32768 (slots), used 427 (slots)"),
		/* 14 */ RUNMAP(0),
		/* 15 */ RUNMAP(1),
		/* 16 */ RMAP(0, 0x40, BI, 0xf8180000),
		/* 17 */ RUNMAP(12),
		/* 18 */ RPAGE(0, 0x2000, 0xf8181000),
		/* 19 */ RSG(0, 4, 0xf8183000),
		/* 20 */ RSG(0, 40, 0xf8187000),
		/* 21 */ RUNMAP(20),
		/* 22 */ RSG(0, 2, 0xf81af000),
		/* 23 */ RMAP(1, 0x40, BI, 0xf81b1000),
		/* 24 */ RMAP(1, 0x1000, BI, 0xf81b2000),
		/* 25 */ RMAP(1, 0x10000, BI, 0xf81c0000),
		/* 26 */ RMAP(1, 0x40000, BI, 0xf8200000),
		/* 27 */ RMAPF(1, 0x41000, BI, "sz: 266240 bytes), total 32768 (slots), used 476 (slots)"),
		/* 28 */ RMAP(1, 0x40, TO, 0xf8240000),
		/* 29 */ RMAP(1, 0x40, FROM, 0xf8240800),
		/* 30 */ RPAGE(1, 0x1000, 0xf8241000),
		/* 31 */ RPAGE(1, 0x40000, 0xf8280000),
		/* 32 */ RUNMAP(23),
		/* 33 */ RMAP(1, 0x40, BI, 0xf82c0000),
		/* 34 */ RSG(1, 4, 0xf82c1000),
		/* 35 */ RMAP(2, 0x20, BI, 0xf82c5000),
		/* 36 */ RMAP(2, 0x41, FROM, 0xf82c5800),
		/* 37 */ RPAGE(2, 0x20, 0xf82c6000),
		/* 38 */ RMAP(2, 0x40, BI, DIRECT),
		/* 39 */ RMAP(2, 0x1000, TO, DIRECT),
	};
	struct dmapool_machine *m = load_oracle("49-probe-atomic-8G", NULL);
	struct device *d0 = dev(m, "probe@3"), *d1 = dev(m, "probe@2"), *d2 = dev(m, "probe@0");
	struct replay r;
	struct dmapool_decision x;
	void *p;
	dma_addr_t a;

	(void)state;
	assert_int_equal(log_count(m, 0, "software IO TLB: mapped [mem 0x00000000f8000000-0x00000000fc000000] (64MB)"), 1);
	assert_int_equal(dma_set_mask_and_coherent(d0, DMA_BIT_MASK(32)), 0);
	assert_int_equal(dma_set_mask_and_coherent(d1, DMA_BIT_MASK(32)), 0);
	assert_int_equal(dma_set_mask_and_coherent(d2, DMA_BIT_MASK(64)), 0);
	assert_int_equal(dma_max_mapping_size(d0), 0x40000);
	assert_int_equal(dma_max_mapping_size(d2), SIZE_MAX);
	/* why: the buffer is beyond the mask */
	p = kbuf(0x100, 9);
	assert_true(virt_to_phys(p) >= 0x100000000ULL);
	a = dma_map_single(d0, p, 0x100, TO);
	assert_int_equal(a, 0xf8000000);
	x = last(d0);
	assert_true(has_step(&x, "reach", "no"));
	assert_true(has_step(&x, "swiotlb", "yes"));
	assert_false(has_step(&x, "force-bounce", NULL));
	dma_unmap_single(d0, a, 0x100, TO);
	/* the cursor moved past slot 0: start the oracle sequence afresh */
	unload(m);
	m = load_oracle("49-probe-atomic-8G", NULL);
	d0 = dev(m, "probe@3");
	d1 = dev(m, "probe@2");
	d2 = dev(m, "probe@0");
	assert_int_equal(dma_set_mask_and_coherent(d1, DMA_BIT_MASK(32)), 0);
	assert_int_equal(dma_set_mask_and_coherent(d2, DMA_BIT_MASK(64)), 0);
	replay_init(&r, m, d0, d1, d2);
	replay_run(&r, s, NSTEPS(s));
	replay_finish(&r);
	assert_int_equal(reports(m), 0);
}

/* 8 GiB with swiotlb=noforce: a 32-bit device cannot reach its buffer and
 * there is nothing to bounce through: once per boot the kernel prints the
 * overflow line and the WARNING of kernel/dma/direct.h:103, then fails
 * silently; a 64-bit device still maps in place. */
static void map_out_of_reach_no_swiotlb(void **state)
{
	struct dmapool_machine *m = load_oracle("49-probe-atomic-8G", "swiotlb=noforce");
	struct device *d3 = dev(m, "probe@3"), *d2 = dev(m, "probe@2"), *d0 = dev(m, "probe@0");
	char line[160];
	size_t n0;
	void *p, *q;
	dma_addr_t a;

	(void)state;
	assert_int_equal(log_count_sub(m, 0, "software IO TLB: mapped"), 0);
	assert_int_equal(dma_set_mask_and_coherent(d0, DMA_BIT_MASK(64)), 0);
	assert_int_equal(dma_max_mapping_size(d3), SIZE_MAX);
	p = kbuf(0x1000, 1);
	assert_true(virt_to_phys(p) >= 0x100000000ULL);
	n0 = logn(m);
	a = dma_map_single(d3, p, 0x1000, BI);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	assert_int_equal(dma_mapping_error(d3, a), -ENOMEM);
	assert_string_equal(last(d3).backend, "none");
	snprintf(line, sizeof(line),
		 "dmaprobe probe@3: DMA addr 0x%016llx+4096 overflow (mask ffffffff, bus limit 0).",
		 (unsigned long long)virt_to_phys(p));
	assert_int_equal(log_count(m, n0, line), 1);
	assert_string_equal(log_after(m, n0, line),
			    "WARNING: CPU: 0 PID: 1 at kernel/dma/direct.h:103 dma_map_page_attrs+0x338/0x358");
	assert_int_equal(logn(m), n0 + 2);
	/* later failures are silent, on any device */
	q = kbuf(0x40, 2);
	assert_int_equal(dma_map_single(d2, q, 0x40, TO), DMA_MAPPING_ERROR);
	assert_int_equal(dma_map_single(d3, q, 0x40, FROM), DMA_MAPPING_ERROR);
	assert_int_equal(logn(m), n0 + 2);
	/* a 64-bit device maps the same buffer in place */
	a = dma_map_single(d0, p, 0x1000, BI);
	assert_int_equal(a, virt_to_phys(p));
	dma_unmap_single(d0, a, 0x1000, BI);
	assert_int_equal(reports(m), 0);
}

/* 67-probe-noforce on 22's layout: the devices sit on a bus whose
 * dma-ranges window (0xb0000000-0xbfffffff) holds none of the kmalloc or
 * alloc_pages buffers; without a SWIOTLB the translation fails (DMA
 * address all ones) with the kernel's one-time lines, every later map
 * fails silently, and coherent allocations (default CMA, inside the
 * window) still work. */
static void map_outside_window_no_swiotlb(void **state)
{
	struct dmapool_machine *m = load_tree("window22", NULL, 0, "swiotlb=noforce", NULL);
	struct device *nc = dev(m, "/bounce@b0000000/probe@0");
	struct device *coh = dev(m, "/bounce@b0000000/probe@1");
	struct dmapool_decision x;
	struct page *pg;
	size_t n0;
	dma_addr_t h;
	void *p;

	(void)state;
	assert_string_equal(dev_name(nc), "bounce@b0000000:probe@0");
	assert_int_equal(log_count(m, 0, "software IO TLB: SWIOTLB bounce buffer size adjusted to 2MB"), 1);
	assert_int_equal(log_count_sub(m, 0, "software IO TLB: mapped"), 0);
	assert_int_equal(dma_set_mask_and_coherent(nc, DMA_BIT_MASK(32)), 0);
	assert_int_equal(dma_set_mask_and_coherent(coh, DMA_BIT_MASK(64)), 0);
	assert_int_equal(dma_max_mapping_size(nc), SIZE_MAX);
	assert_int_equal(dma_max_mapping_size(coh), SIZE_MAX);
	/* without a SWIOTLB the smallest kmalloc class is the cache line */
	assert_int_equal(kmalloc_size_roundup(0x20), 64);
	n0 = logn(m);
	p = kbuf(0x20, 1);
	assert_true(virt_to_phys(p) < 0xb0000000);
	assert_int_equal(dma_map_single(nc, p, 0x20, BI), DMA_MAPPING_ERROR);
	x = last(nc);
	assert_string_equal(x.backend, "none");
	assert_true(has_step(&x, "reach", "no"));
	assert_true(has_step(&x, "swiotlb", "no"));
	assert_int_equal(log_count(m, n0, "dmaprobe bounce@b0000000:probe@0: DMA addr 0xffffffffffffffff+32 overflow (mask ffffffff, bus limit bfffffff)."), 1);
	assert_string_equal(log_after(m, n0, "dmaprobe bounce@b0000000:probe@0: DMA addr 0xffffffffffffffff+32 overflow (mask ffffffff, bus limit bfffffff)."),
			    "WARNING: CPU: 0 PID: 1 at kernel/dma/direct.h:103 dma_map_page_attrs+0x338/0x358");
	assert_int_equal(logn(m), n0 + 2);
	assert_int_equal(dma_map_single(nc, kbuf(0x1000, 2), 0x1000, BI), DMA_MAPPING_ERROR);
	pg = alloc_page(GFP_KERNEL);
	assert_non_null(pg);
	assert_int_equal(dma_map_page(nc, pg, 0, 0x1000, BI), DMA_MAPPING_ERROR);
	assert_int_equal(dma_map_single(coh, kbuf(0x40, 3), 0x40, BI), DMA_MAPPING_ERROR);
	assert_int_equal(dma_map_single(coh, kbuf(0x40000, 4), 0x40000, BI), DMA_MAPPING_ERROR);
	assert_int_equal(logn(m), n0 + 2);
	/* the oracle's coherent allocations: default CMA, inside the window */
	p = dma_alloc_coherent(nc, 0x2000, &h, GFP_KERNEL);
	assert_non_null(p);
	assert_int_equal(h, 0xb9ac0000);
	p = dma_alloc_coherent(coh, 0x2000, &h, GFP_KERNEL);
	assert_non_null(p);
	assert_int_equal(h, 0xb9ac2000);
}

/* 67 again: the first failing sg list prints the overflow line once more
 * from dma_direct_map_sg()'s own call site, with that site's WARNING, and
 * dma_map_sgtable() returns -EIO. */
static void map_sg_outside_window_warns_once(void **state)
{
	struct dmapool_machine *m = load_tree("window22", NULL, 0, "swiotlb=noforce", NULL);
	struct device *nc = dev(m, "/bounce@b0000000/probe@0");
	static const char ovf_sg[] =
		"dmaprobe bounce@b0000000:probe@0: DMA addr 0xffffffffffffffff+4096 overflow (mask ffffffff, bus limit bfffffff).";
	struct scatterlist *sg;
	struct sg_table sgt;
	struct page *pg[2];
	unsigned i;
	size_t n0, n1;

	(void)state;
	assert_int_equal(dma_map_single(nc, kbuf(0x20, 1), 0x20, BI), DMA_MAPPING_ERROR);
	assert_int_equal(sg_alloc_table(&sgt, 2, GFP_KERNEL), 0);
	for_each_sgtable_sg(&sgt, sg, i) {
		pg[i] = alloc_page(GFP_KERNEL);
		assert_non_null(pg[i]);
		sg_set_page(sg, pg[i], PAGE_SIZE, 0);
	}
	n0 = logn(m);
	assert_int_equal(dma_map_sgtable(nc, &sgt, BI, 0), -EIO);
	assert_int_equal(sgt.nents, 2);		/* untouched on failure */
	assert_int_equal(log_count(m, n0, ovf_sg), 1);
	n1 = logn(m);
	assert_int_equal(dma_map_sg(nc, sgt.sgl, 2, BI), 0);	/* silent now */
	assert_int_equal(logn(m), n1);
	assert_string_equal(log_after(m, n0, ovf_sg),
			    "WARNING: CPU: 0 PID: 1 at kernel/dma/direct.h:103 dma_direct_map_sg+0x2d0/0x2f8");
	assert_int_equal(n1, n0 + 2);
	sg_free_table(&sgt);
}

/*
 * The replay script of 62-probe-swiotlb-areas: the oracle's coherent
 * probe@0 (device 0) fills area 0 and spills into the next areas, unmaps
 * and remaps, fails a 0x40001 and maps four whole segments; the
 * non-coherent probe@1 (device 1) follows the shared cursors.  Three
 * boots: 'swiotlb=1024,4,force', 'swiotlb=force' and 'swiotlb=512,2'
 * (not forced: the devices sit behind the bus window).
 */
#define AREAS_SCRIPT(a0, a1, a2, a3, a4, a5, a7, f8, p9, p10, p11, p12, n13, n14) \
	RMAP(0, 0x40000, BI, a0), RMAP(0, 0x800, BI, a1),			\
	RMAP(0, 0x40000, BI, a2), RMAP(0, 0x3f000, BI, a3),			\
	RMAP(0, 0x800, BI, a4), RMAP(0, 0x1000, BI, a5), RUNMAP(0),		\
	RMAP(0, 0x1000, BI, a7), RMAPF(0, 0x40001, BI, f8), p9, p10, p11, p12,	\
	RMAP(1, 0x800, BI, n13), RMAP(1, 0x1000, BI, n14)

static void swiotlb_areas(void **state)
{
	static const struct rstep four[] = { AREAS_SCRIPT(
		0xb9600000, 0xb9640000, 0xb9680000, 0xb9641000, 0xb9640800, 0xb96c0000,
		0xb9600000, "sz: 262145 bytes), total 1024 (slots), used 260 (slots)",
		RPAGE(0, 0x40000, 0xb9700000), RPAGE(0, 0x40000, 0xb9740000),
		RPAGE(0, 0x40000, 0xb9780000), RPAGE(0, 0x40000, 0xb97c0000),
		0xb9601000, 0xb9602000) };
	static const struct rstep one[] = { AREAS_SCRIPT(
		0xb9600000, 0xb9640000, 0xb9680000, 0xb96c0000, 0xb96ff000, 0xb9700000,
		0xb9701000, "sz: 262145 bytes), total 1024 (slots), used 260 (slots)",
		RPAGE(0, 0x40000, 0xb9740000), RPAGE(0, 0x40000, 0xb9780000),
		RPAGE(0, 0x40000, 0xb97c0000), RPAGE(0, 0x40000, 0xb9600000),
		0xb9640800, 0xb9641000) };
	static const struct rstep two[] = { AREAS_SCRIPT(
		0xb9700000, 0xb9740000, 0xb9780000, 0xb9741000, 0xb9740800, 0xb97c0000,
		0xb9700000, "sz: 262145 bytes), total 512 (slots), used 260 (slots)",
		RPAGEF(0, 0x40000, "sz: 262144 bytes), total 512 (slots), used 260 (slots)"),
		RPAGEF(0, 0x40000, "sz: 262144 bytes), total 512 (slots), used 260 (slots)"),
		RPAGEF(0, 0x40000, "sz: 262144 bytes), total 512 (slots), used 260 (slots)"),
		RPAGEF(0, 0x40000, "sz: 262144 bytes), total 512 (slots), used 260 (slots)"),
		0xb9701000, 0xb9702000) };
	struct dmapool_machine *m;
	struct device *c, *n;
	struct replay r;

	(void)state;
	m = load_oracle("22-probe-streaming", "swiotlb=1024,4,force");
	assert_int_equal(log_count(m, 0, "software IO TLB: area num 4."), 1);
	assert_int_equal(log_count(m, 0, "software IO TLB: mapped [mem 0x00000000b9600000-0x00000000b9800000] (2MB)"), 1);
	replay_init(&r, m, dev(m, "probe@0"), dev(m, "probe@1"), NULL);
	replay_run(&r, four, NSTEPS(four));
	replay_finish(&r);
	unload(m);

	m = load_oracle("22-probe-streaming", "swiotlb=force");
	assert_int_equal(log_count(m, 0, "software IO TLB: SWIOTLB bounce buffer size adjusted to 2MB"), 1);
	assert_int_equal(log_count(m, 0, "software IO TLB: area num 1."), 1);
	replay_init(&r, m, dev(m, "probe@0"), dev(m, "probe@1"), NULL);
	replay_run(&r, one, NSTEPS(one));
	replay_finish(&r);
	unload(m);

	/* not forced: outside the window, so out of reach, so bounced */
	m = load_tree("window22", NULL, 0, "swiotlb=512,2", NULL);
	assert_int_equal(log_count(m, 0, "software IO TLB: area num 2."), 1);
	assert_int_equal(log_count(m, 0, "software IO TLB: mapped [mem 0x00000000b9700000-0x00000000b9800000] (1MB)"), 1);
	c = dev(m, "/bounce@b0000000/probe@1");
	n = dev(m, "/bounce@b0000000/probe@0");
	assert_int_equal(dma_max_mapping_size(c), 0x40000);
	assert_int_equal(dma_max_mapping_size(n), 0x40000);
	replay_init(&r, m, c, n, NULL);
	replay_run(&r, two, NSTEPS(two));
	{
		struct dmapool_decision x = last(n);

		assert_true(has_step(&x, "reach", "no"));
		assert_false(has_step(&x, "force-bounce", NULL));
	}
	replay_finish(&r);
}

/* 65-probe-window-24-30 on 22's layout: windows at bus address 0 lower
 * ZONE_DMA to 16 MiB, the SWIOTLB shrinks to 2 MiB at 0x40000000 and its
 * slots have bus addresses from 0x0 (a valid DMA address); buffers outside
 * the 24-bit window bounce in every direction, small ones of the 30-bit
 * device by the kmalloc rule; for the bus whose window misses the SWIOTLB
 * no slot has a bus address: "buffer is full" with the pool's real use. */
static void swiotlb_offset_windows(void **state)
{
	static const struct rstep s[] = {
		/*  0 */ RMAP(0, 0x40, BI, 0x0),
		/*  1 */ RMAP(0, 0x1000, BI, 0x1000),
		/*  2 */ RPAGE(0, 0x2000, 0x2000),
		/*  3 */ RSG(0, 2, 0x4000),
		/*  4 */ RUNMAP(0),
		/*  5 */ RMAP(0, 0x40, BI, 0x6000),
		/*  6 */ RMAP(1, 0x20, BI, 0x6800),
		/*  7 */ RMAP(1, 0x40, TO, 0x7000),
		/*  8 */ RMAP(2, 0x20, BI, 0x7800),
		/*  9 */ RMAP(2, 0x60, BI, 0x8000),
		/* 10 */ RMAP(2, 0x20, FROM, 0x8800),
		/* 11 */ RPAGE(2, 0x20, 0x9000),
		/* 12 */ RMAPF(3, 0x40, BI, "sz: 64 bytes), total 1024 (slots), used 17 (slots)"),
		/* 13 */ RMAPF(3, 0x1000, BI, "sz: 4096 bytes), total 1024 (slots), used 17 (slots)"),
		/* 14 */ RPAGEF(3, 0x1000, "sz: 4096 bytes), total 1024 (slots), used 17 (slots)"),
	};
	struct dmapool_machine *m = load_tree("windows65", NULL, 0, NULL, NULL);
	struct device *d0 = dev(m, "/win24@40000000/probe@0");
	struct device *d1 = dev(m, "/win24@40000000/probe@1");
	struct device *d2 = dev(m, "/win30@40000000/probe@2");
	struct device *d3 = dev(m, "/win24@80000000/probe@3");
	struct replay r;
	dma_addr_t h;

	(void)state;
	assert_string_equal(dev_name(d3), "win24@80000000:probe@3");
	assert_int_equal(log_count(m, 0, "  DMA      [mem 0x0000000040000000-0x0000000040ffffff]"), 1);
	assert_int_equal(log_count(m, 0, "software IO TLB: SWIOTLB bounce buffer size adjusted 32768 -> 1024 slabs"), 1);
	assert_int_equal(log_count(m, 0, "software IO TLB: mapped [mem 0x0000000040000000-0x0000000040200000] (2MB)"), 1);
	assert_int_equal(dma_set_mask_and_coherent(d0, DMA_BIT_MASK(24)), 0);
	assert_int_equal(dma_set_mask_and_coherent(d1, DMA_BIT_MASK(24)), 0);
	assert_int_equal(dma_set_mask_and_coherent(d2, DMA_BIT_MASK(30)), 0);
	assert_int_equal(dma_set_mask_and_coherent(d3, DMA_BIT_MASK(24)), -EIO);
	assert_int_equal(dma_max_mapping_size(d0), 0x40000);
	assert_int_equal(dma_max_mapping_size(d2), 0x40000);
	assert_int_equal(dma_max_mapping_size(d3), 0x40000);
	replay_init(&r, m, d0, d1, d2);
	r.devs[3] = d3;
	r.phys_off = 0x40000000;
	replay_run(&r, s, 1);
	assert_int_equal(dma_mapping_error(d0, r.rec[0].dma), 0);	/* 0x0 is valid */
	replay_run(&r, s + 1, NSTEPS(s) - 1);
	/* ZONE_DMA holds only the SWIOTLB and the kernel: no coherent memory */
	assert_null(dma_alloc_coherent(d0, 0x1000, &h, GFP_KERNEL));
	assert_null(dma_alloc_coherent(d3, 0x2000, &h, GFP_KERNEL));
	replay_finish(&r);
}

/* 60-probe-small-kmalloc (and its exploratory boots) on 22: a
 * non-coherent device bounces sizes whose kmalloc class is not a multiple
 * of the 64-byte line (1-0x20, 0x41-0x60) unless TO_DEVICE, map_page
 * included, whatever its mask; nothing else moves the slot cursor. */
static void map_small_kmalloc_rule(void **state)
{
	static const struct rstep a[] = {
		/*  0 */ RMAP(0, 1, BI, 0xb9600000),
		/*  1 */ RMAP(0, 8, BI, 0xb9600800),
		/*  2 */ RMAP(0, 0x10, BI, 0xb9601000),
		/*  3 */ RMAP(0, 0x20, BI, 0xb9601800),
		/*  4 */ RMAP(0, 0x41, BI, 0xb9602000),
		/*  5 */ RMAP(0, 0x60, BI, 0xb9602800),
		/*  6 */ RMAP(0, 0x21, BI, DIRECT), RMAP(0, 0x28, BI, DIRECT),
		/*  8 */ RMAP(0, 0x40, BI, DIRECT), RMAP(0, 0x61, BI, DIRECT),
		/* 10 */ RMAP(0, 0x80, BI, DIRECT), RMAP(0, 0xc0, BI, DIRECT),
		/* 12 */ RMAP(0, 0xff, BI, DIRECT), RMAP(0, 0x100, BI, DIRECT),
		/* 14 */ RMAP(0, 0x40, FROM, DIRECT), RMAP(0, 0x20, TO, DIRECT),
		/* 16 */ RMAP(0, 0x41, TO, DIRECT), RMAP(0, 1, TO, DIRECT),
		/* 18 */ RPAGE(0, 0x61, DIRECT), RPAGE(0, 0x100, DIRECT),
		/* 20 */ RMAP(1, 0x20, BI, DIRECT), RMAP(1, 0x41, FROM, DIRECT),
		/* 22 */ RMAP(0, 0x20, FROM, 0xb9603000),
		/* 23 */ RMAP(0, 0x41, FROM, 0xb9603800),
		/* 24 */ RMAP(0, 0x60, FROM, 0xb9604000),
		/* 25 */ RPAGE(0, 0x20, 0xb9604800),
		/* 26 */ RPAGE(0, 0x41, 0xb9605000),
		/* 27 */ RPAGE(0, 0x60, 0xb9605800),
		/* 28 */ RUNMAP(0),
		/* 29 */ RMAP(0, 0x20, BI, 0xb9606000),
	};
	static const struct rstep b[] = {	/* the same device, 64-bit */
		/* 30 */ RMAP(0, 0x20, BI, 0xb9606800),
		/* 31 */ RMAP(0, 0x60, BI, 0xb9607000),
		/* 32 */ RMAP(0, 0x40, BI, DIRECT),
	};
	struct dmapool_machine *m = load_oracle("22-probe-streaming", NULL);
	struct device *nc = dev(m, "probe@1"), *coh = dev(m, "probe@0");
	struct dmapool_decision x;
	struct replay r;

	(void)state;
	assert_int_equal(dma_set_mask_and_coherent(nc, DMA_BIT_MASK(32)), 0);
	assert_int_equal(dma_max_mapping_size(nc), SIZE_MAX);
	replay_init(&r, m, nc, coh, NULL);
	replay_run(&r, a, 1);
	x = last(nc);
	assert_true(has_step(&x, "reach", "yes"));
	assert_true(has_step(&x, "kmalloc-bounce", "yes"));
	assert_true(has_step(&x, "swiotlb", "yes"));
	replay_run(&r, a + 1, NSTEPS(a) - 1);
	assert_int_equal(dma_set_mask_and_coherent(nc, DMA_BIT_MASK(64)), 0);
	assert_int_equal(dma_max_mapping_size(nc), SIZE_MAX);
	replay_run(&r, b, NSTEPS(b));
	replay_finish(&r);
	assert_int_equal(reports(m), 0);
}

/* swiotlb=noforce at 2 GiB: no SWIOTLB, so the smallest kmalloc class is
 * the cache line and nothing counts as an unaligned small buffer. */
static void map_small_kmalloc_noforce(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", "swiotlb=noforce");
	struct device *nc = dev(m, "probe@1");
	void *p = kbuf(0x20, 1);
	dma_addr_t a;

	(void)state;
	assert_int_equal(log_count_sub(m, 0, "software IO TLB: mapped"), 0);
	assert_int_equal(ksize(p), 64);
	assert_int_equal(virt_to_phys(p) % 64, 0);
	a = dma_map_single(nc, p, 0x20, BI);
	assert_int_equal(a, virt_to_phys(p));
	{
		struct dmapool_decision x = last(nc);

		assert_string_equal(x.backend, "direct");
		assert_true(has_step(&x, "kmalloc-bounce", "no"));
	}
	dma_unmap_single(nc, a, 0x20, BI);
	assert_int_equal(dma_max_mapping_size(nc), SIZE_MAX);
}

/* ================================================================== */
/* Group 2: bounce copies and syncs                                   */
/* ================================================================== */

/* BIDIRECTIONAL: map copies in; sync_for_cpu copies back; sync_for_device
 * copies in again; unmap copies back. */
static void copies_bidirectional(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", "swiotlb=force");
	struct device *nc = dev(m, "probe@1");
	uint8_t *p = kbuf(0x300, 1);
	dma_addr_t a;

	(void)state;
	a = dma_map_single(nc, p, 0x300, BI);
	assert_int_equal(a, 0xb9600000);
	assert_true(dev_sees(nc, a, p, 0x300));
	dev_fill(nc, a, 0x300, 2);		/* the device writes */
	assert_true(is_pat(p, 0x300, 1));	/* the CPU buffer is untouched */
	dma_sync_single_for_cpu(nc, a, 0x300, BI);
	assert_true(is_pat(p, 0x300, 2));
	assert_string_equal(last(nc).op, "sync_for_cpu");
	assert_string_equal(last(nc).backend, "swiotlb");
	fill(p, 0x300, 3);			/* the CPU writes */
	assert_false(dev_sees(nc, a, p, 0x300));
	dma_sync_single_for_device(nc, a, 0x300, BI);
	assert_true(dev_sees(nc, a, p, 0x300));
	dev_fill(nc, a, 0x300, 4);
	dma_unmap_single(nc, a, 0x300, BI);
	assert_true(is_pat(p, 0x300, 4));
	assert_string_equal(last(nc).backend, "swiotlb");
	assert_int_equal(swiotlb_used_now(m), 0);
}

/* TO_DEVICE: map and sync_for_device copy in; nothing ever copies back. */
static void copies_to_device(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", "swiotlb=force");
	struct device *nc = dev(m, "probe@1");
	uint8_t *p = kbuf(0x300, 1);
	dma_addr_t a;

	(void)state;
	a = dma_map_single(nc, p, 0x300, TO);
	assert_true(dev_sees(nc, a, p, 0x300));
	fill(p, 0x300, 2);
	dma_sync_single_for_device(nc, a, 0x300, TO);
	assert_true(dev_sees(nc, a, p, 0x300));
	dev_fill(nc, a, 0x300, 3);		/* a misbehaving device */
	dma_sync_single_for_cpu(nc, a, 0x300, TO);
	assert_true(is_pat(p, 0x300, 2));
	dma_unmap_single(nc, a, 0x300, TO);
	assert_true(is_pat(p, 0x300, 2));
	assert_int_equal(swiotlb_used_now(m), 0);
}

/* FROM_DEVICE: 6.12 copies the original in at map time too (so a partial
 * device write does not return stale slot bytes); sync_for_device copies
 * nothing; sync_for_cpu and unmap copy the whole slot back. */
static void copies_from_device(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", "swiotlb=force");
	struct device *nc = dev(m, "probe@1");
	uint8_t *p = kbuf(0x300, 1), want[0x300];
	dma_addr_t a;

	(void)state;
	a = dma_map_single(nc, p, 0x300, FROM);
	assert_true(dev_sees(nc, a, p, 0x300));
	fill(want, 0x300, 1);
	fill(p, 0x300, 2);			/* CPU writes after the map */
	dma_sync_single_for_device(nc, a, 0x300, FROM);
	assert_true(dev_sees(nc, a, want, 0x300));	/* not copied */
	dev_fill(nc, a, 0x100, 3);		/* the device writes the first 0x100 */
	dma_sync_single_for_cpu(nc, a, 0x300, FROM);
	fill(want, 0x100, 3);
	assert_memory_equal(p, want, 0x300);	/* device bytes + the original */
	dev_fill(nc, a, 0x300, 4);
	dma_unmap_single(nc, a, 0x300, FROM);
	assert_true(is_pat(p, 0x300, 4));
	assert_int_equal(swiotlb_used_now(m), 0);
}

/* DMA_ATTR_SKIP_CPU_SYNC: the map still copies in (6.12 copies at map
 * time unconditionally) but no cache maintenance happens, and the unmap
 * neither copies back nor maintains. */
static void copies_skip_cpu_sync(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", "swiotlb=force");
	struct device *nc = dev(m, "probe@1");
	uint8_t *p = kbuf(0x300, 1);
	struct cache_count c0 = cache_now(m);
	struct dmapool_decision x;
	dma_addr_t a;

	(void)state;
	a = dma_map_single_attrs(nc, p, 0x300, BI, DMA_ATTR_SKIP_CPU_SYNC);
	assert_int_equal(a, 0xb9600000);
	x = last(nc);
	/* the copy sits in the CPU's cache: the device reads stale DRAM */
	assert_false(dev_sees(nc, a, p, 0x300));
	assert_int_equal(dmapool_report_count_kind(m, "cache-dirty-read"), 1);
	assert_int_equal(x.attrs, DMA_ATTR_SKIP_CPU_SYNC);
	assert_int_equal(x.ncache, 0);
	dev_fill(nc, a, 0x300, 2);
	dma_unmap_single_attrs(nc, a, 0x300, BI, DMA_ATTR_SKIP_CPU_SYNC);
	assert_true(is_pat(p, 0x300, 1));	/* no copy back */
	/* what the device wrote never reached the CPU */
	assert_int_equal(dmapool_report_count_kind(m, "cache-stale-cpu"), 1);
	assert_int_equal(reports(m), 2);
	dmapool_report_clear(m);
	x = last(nc);
	assert_string_equal(x.op, "unmap");
	assert_int_equal(x.ncache, 0);
	cache_delta(m, c0, 0, 0);
	assert_int_equal(swiotlb_used_now(m), 0);	/* the slot is released */
	/* the same without the attribute copies back */
	a = dma_map_single(nc, p, 0x300, BI);
	dev_fill(nc, a, 0x300, 3);
	dma_unmap_single(nc, a, 0x300, BI);
	assert_true(is_pat(p, 0x300, 3));
	cache_delta(m, c0, 1, 1);
	unload(m);
	/* a direct non-coherent mapping: no maintenance either */
	m = load_oracle("22-probe-streaming", NULL);
	nc = dev(m, "probe@1");
	p = kbuf(0x1000, 4);
	c0 = cache_now(m);
	a = dma_map_single_attrs(nc, p, 0x1000, FROM, DMA_ATTR_SKIP_CPU_SYNC);
	assert_int_equal(a, virt_to_phys(p));
	assert_int_equal(last(nc).ncache, 0);
	dma_unmap_single_attrs(nc, a, 0x1000, FROM, DMA_ATTR_SKIP_CPU_SYNC);
	assert_int_equal(last(nc).ncache, 0);
	cache_delta(m, c0, 0, 0);
}

/* dma_sync_single_range_for_*(): only the range at the offset is copied;
 * a range running past the mapping is cut at its end with the kernel's
 * one-time "Buffer overflow detected" line. */
static void sync_single_range_offset(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", "swiotlb=force");
	struct device *nc = dev(m, "probe@1");
	uint8_t *p = kbuf(0x4000, 1), *want = malloc(0x4000);
	size_t n0;
	dma_addr_t a;

	(void)state;
	assert_non_null(want);
	assert_int_equal(ksize(p), 0x4000);
	a = dma_map_single(nc, p, 0x3000, BI);
	assert_int_equal(a, 0xb9600000);
	dev_fill(nc, a, 0x3000, 2);
	dma_sync_single_range_for_cpu(nc, a, 0x1000, 0x100, FROM);
	fill(want, 0x4000, 1);
	{
		uint8_t dv[0x3000];

		fill(dv, 0x3000, 2);
		memcpy(want + 0x1000, dv + 0x1000, 0x100);
		assert_memory_equal(p, want, 0x4000);
		/* the CPU fills [0x2000, 0x2080) and pushes only that */
		memset(p + 0x2000, 0xa5, 0x80);
		dma_sync_single_range_for_device(nc, a, 0x2000, 0x80, TO);
		assert_true(dev_sees(nc, a + 0x2000, p + 0x2000, 0x80));
		assert_true(dev_sees(nc, a + 0x2080, dv + 0x2080, 0x100));
		assert_true(dev_sees(nc, a + 0x1f00, dv + 0x1f00, 0x100));
		/* 0x200 bytes at 0x2f00: only 0x100 belong to the mapping */
		n0 = logn(m);
		memcpy(want, p, 0x4000);
		dma_sync_single_range_for_cpu(nc, a, 0x2f00, 0x200, FROM);
		memcpy(want + 0x2f00, dv + 0x2f00, 0x100);
		assert_memory_equal(p, want, 0x4000);
	}
	assert_int_equal(log_count(m, n0, "dmaprobe probe@1: Buffer overflow detected. Allocation size: 256. Mapping size: 512."), 1);
	dma_sync_single_range_for_cpu(nc, a, 0x2f00, 0x200, FROM);
	assert_int_equal(log_count_sub(m, n0, "Buffer overflow detected"), 1);	/* once */
	dma_unmap_single(nc, a, 0x3000, BI);
	free(want);
}

/* A direct mapping's syncs copy nothing (there is no second buffer) and
 * only record the cache maintenance on the buffer itself. */
static void sync_direct_no_copy(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", NULL);
	struct device *nc = dev(m, "probe@1");
	uint8_t *p = kbuf(0x1000, 1);
	phys_addr_t pa = virt_to_phys(p);
	struct dmapool_decision x;
	dma_addr_t a;

	(void)state;
	a = dma_map_single(nc, p, 0x1000, BI);
	assert_int_equal(a, pa);
	dma_sync_single_for_cpu(nc, a, 0x1000, BI);
	x = last(nc);
	assert_string_equal(x.op, "sync_for_cpu");
	assert_string_equal(x.backend, "direct");
	assert_int_equal(x.bounce, PNONE);
	assert_int_equal(cache_of(&x, false, pa, 0x1000), DMAPOOL_CACHE_INVAL);
	assert_false(has_step(&x, "bounce-copy", NULL));
	dma_sync_single_range_for_device(nc, a, 0x800, 0x100, BI);
	x = last(nc);
	assert_string_equal(x.op, "sync_for_device");
	assert_int_equal(cache_of(&x, true, pa + 0x800, 0x100), DMAPOOL_CACHE_CLEAN);
	assert_true(is_pat(p, 0x1000, 1));
	dma_unmap_single(nc, a, 0x1000, BI);
	assert_true(is_pat(p, 0x1000, 1));
}

/* ================================================================== */
/* Group 3: scatter-gather                                            */
/* ================================================================== */

/* dma-direct maps every entry on its own: physically contiguous pages
 * stay separate DMA segments; each entry gets its own cache maintenance;
 * a small kmalloc entry of a non-coherent device bounces on its own and
 * is copied back at unmap. */
static void sg_direct_never_merges(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", NULL);
	struct device *nc = dev(m, "probe@1");
	struct page *pg = alloc_pages(GFP_KERNEL, 2);
	unsigned long pfn = page_to_pfn(pg);
	struct scatterlist *sg, list[3];
	struct sg_table sgt;
	struct cache_count c0;
	struct dmapool_decision x;
	uint8_t *b0, *b1, *b2;
	unsigned i, total = 0;

	(void)state;
	assert_int_equal(sg_alloc_table(&sgt, 4, GFP_KERNEL), 0);
	assert_int_equal(sgt.orig_nents, 4);
	for_each_sgtable_sg(&sgt, sg, i)
		sg_set_page(sg, pfn_to_page(pfn + i), PAGE_SIZE, 0);
	c0 = cache_now(m);
	assert_int_equal(dma_map_sgtable(nc, &sgt, BI, 0), 0);
	assert_int_equal(sgt.nents, 4);
	for_each_sgtable_dma_sg(&sgt, sg, i) {
		assert_int_equal(sg_dma_address(sg), (dma_addr_t)(pfn + i) << PAGE_SHIFT);
		assert_int_equal(sg_dma_len(sg), PAGE_SIZE);
		total += sg_dma_len(sg);
	}
	assert_int_equal(total, 4 * PAGE_SIZE);
	x = last(nc);
	assert_string_equal(x.op, "map_sg");
	assert_string_equal(x.backend, "direct");
	assert_int_equal(x.dma, (dma_addr_t)pfn << PAGE_SHIFT);
	cache_delta(m, c0, 4, 0);
	dma_sync_sgtable_for_cpu(nc, &sgt, BI);
	cache_delta(m, c0, 4, 4);
	dma_sync_sgtable_for_device(nc, &sgt, BI);
	cache_delta(m, c0, 8, 4);
	dma_unmap_sgtable(nc, &sgt, BI, 0);
	cache_delta(m, c0, 8, 8);
	sg_free_table(&sgt);
	__free_pages(pg, 2);

	/* a plain list of kmalloc buffers; the 0x20 one bounces */
	b0 = kbuf(0x100, 1);
	b1 = kbuf(0x20, 2);
	b2 = kbuf(0x200, 3);
	sg_init_table(list, 3);
	sg_set_buf(&list[0], b0, 0x100);
	sg_set_buf(&list[1], b1, 0x20);
	sg_set_buf(&list[2], b2, 0x200);
	assert_int_equal(dma_map_sg(nc, list, 3, BI), 3);
	assert_int_equal(sg_dma_address(&list[0]), virt_to_phys(b0));
	assert_int_equal(sg_dma_address(&list[1]), 0xb9600000);
	assert_int_equal(sg_dma_address(&list[2]), virt_to_phys(b2));
	assert_int_equal(sg_dma_len(&list[1]), 0x20);
	assert_string_equal(last(nc).backend, "swiotlb");
	assert_true(dev_sees(nc, 0xb9600000, b1, 0x20));
	dev_fill(nc, 0xb9600000, 0x20, 4);
	dma_unmap_sg(nc, list, 3, BI);
	assert_true(is_pat(b1, 0x20, 4));
	assert_true(is_pat(b0, 0x100, 1));
	assert_int_equal(swiotlb_used_now(m), 0);
}

/* 63-probe-swiotlb-large on 22 with swiotlb=force: large and odd sizes,
 * failures, sg lists bounced entry by entry, and a 400-page list that runs
 * out of slots part-way: dma_map_sgtable() returns -EIO, the entries
 * mapped before the failure are unmapped (their slots come back) and
 * dma_map_sg() returns 0 for the same list. */
static void sg_bounced_and_partial_failure(void **state)
{
	static const struct rstep s[] = {
		/*  0 */ RMAP(0, 0x800, BI, 0xb9600000),
		/*  1 */ RMAP(0, 0x801, BI, 0xb9600800),
		/*  2 */ RMAP(0, 0x1000, BI, 0xb9602000),
		/*  3 */ RMAP(0, 0x3f000, BI, 0xb9640000),
		/*  4 */ RMAP(0, 0x40000, BI, 0xb9680000),
		/*  5 */ RMAPF(0, 0x40001, BI, "sz: 262145 bytes), total 1024 (slots), used 259 (slots)"),
		/*  6 */ RMAPF(0, 0x80000, BI, "sz: 524288 bytes), total 1024 (slots), used 259 (slots)"),
		/*  7 */ RMAP(0, 0x800, BI, 0xb96c0000),
		/*  8 */ RPAGE(0, 0x2000, 0xb96c1000),
		/*  9 */ RMAP(1, 0x20, TO, 0xb96c3000),
		/* 10 */ RMAP(1, 0x1000, BI, 0xb96c4000),
		/* 11 */ RPAGE(1, 0x3000, 0xb96c5000),
		/* 12 */ RSG(1, 4, 0xb96c8000),
		/* 13 */ RSG(1, 40, 0xb96cc000),
		/* 14 */ RUNMAP(12),
		/* 15 */ RSG(1, 3, 0xb96f4000),
	};
	static const struct rstep fail[] = {
		/* 16 */ RSGF(1, 400, "sz: 4096 bytes), total 1024 (slots), used 1021 (slots)"),
	};
	struct dmapool_machine *m = load_oracle("22-probe-streaming", "swiotlb=force");
	struct device *d1 = dev(m, "probe@1");
	struct scatterlist *sg;
	struct sg_table sgt;
	struct page **pages;
	struct replay r;
	uint64_t used;
	unsigned i;
	size_t n0;

	(void)state;
	assert_int_equal(dma_set_mask_and_coherent(d1, DMA_BIT_MASK(64)), 0);
	replay_init(&r, m, dev(m, "probe@0"), d1, NULL);
	replay_run(&r, s, NSTEPS(s));
	used = swiotlb_used_now(m);
	assert_int_equal(used, 359);
	replay_run(&r, fail, NSTEPS(fail));
	assert_int_equal(swiotlb_used_now(m), used);
	assert_string_equal(last(d1).backend, "none");

	/* the same list through dma_map_sg(): 0, slots released again */
	pages = calloc(400, sizeof(*pages));
	assert_non_null(pages);
	assert_int_equal(sg_alloc_table(&sgt, 400, GFP_KERNEL), 0);
	for_each_sgtable_sg(&sgt, sg, i) {
		pages[i] = alloc_page(GFP_KERNEL);
		assert_non_null(pages[i]);
		sg_set_page(sg, pages[i], PAGE_SIZE, 0);
	}
	n0 = logn(m);
	assert_int_equal(dma_map_sg(d1, sgt.sgl, (int)sgt.orig_nents, BI), 0);
	assert_int_equal(swiotlb_used_now(m), used);
	assert_int_equal(log_count_sub(m, n0, "dmaprobe probe@1: swiotlb buffer is full (sz: 4096 bytes), total 1024 (slots), used "), 1);
	/* a short list still fits afterwards */
	sgt.orig_nents = 2;
	sg_mark_end(&sgt.sgl[1]);
	assert_int_equal(dma_map_sgtable(d1, &sgt, BI, 0), 0);
	assert_int_equal(sgt.nents, 2);
	assert_int_equal(swiotlb_used_now(m), used + 4);
	dma_unmap_sgtable(d1, &sgt, BI, 0);
	assert_int_equal(swiotlb_used_now(m), used);
	sgt.orig_nents = 400;
	sg_free_table(&sgt);
	for (i = 0; i < 400; i++)
		__free_page(pages[i]);
	free(pages);
	replay_finish(&r);
}

/* sg_alloc_table_from_pages() merges physically contiguous pages into one
 * entry (the first starting at the offset, the last ending with size);
 * dma-direct then maps each merged entry as one segment. */
static void sg_table_from_pages_merges(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", NULL);
	struct device *coh = dev(m, "probe@0");
	struct page *p4 = alloc_pages(GFP_KERNEL, 2), *q2 = alloc_pages(GFP_KERNEL, 1);
	unsigned long pp, qp;
	struct page *pages[6];
	struct scatterlist *sg;
	struct sg_table sgt;
	unsigned i;

	(void)state;
	assert_non_null(p4);
	assert_non_null(q2);
	pp = page_to_pfn(p4);
	qp = page_to_pfn(q2);
	pages[0] = pfn_to_page(pp);
	pages[1] = pfn_to_page(pp + 1);
	pages[2] = pfn_to_page(pp + 2);
	pages[3] = pfn_to_page(qp);
	pages[4] = pfn_to_page(qp + 1);
	pages[5] = pfn_to_page(pp + 3);
	assert_int_equal(sg_alloc_table_from_pages(&sgt, pages, 6, 0x100,
						   6 * PAGE_SIZE - 0x300, GFP_KERNEL), 0);
	assert_int_equal(sgt.orig_nents, 3);
	assert_int_equal(sgt.nents, 3);
	sg = sgt.sgl;
	assert_ptr_equal(sg_page(sg), pages[0]);
	assert_int_equal(sg->offset, 0x100);
	assert_int_equal(sg->length, 3 * PAGE_SIZE - 0x100);
	assert_int_equal(sg_phys(sg), ((phys_addr_t)pp << PAGE_SHIFT) + 0x100);
	sg = sg_next(sg);
	assert_ptr_equal(sg_page(sg), pages[3]);
	assert_int_equal(sg->offset, 0);
	assert_int_equal(sg->length, 2 * PAGE_SIZE);
	sg = sg_next(sg);
	assert_ptr_equal(sg_page(sg), pages[5]);
	assert_int_equal(sg->length, PAGE_SIZE - 0x200);
	assert_true(sg_is_last(sg));
	assert_null(sg_next(sg));
	assert_ptr_equal(sg_virt(sgt.sgl), (char *)page_address(p4) + 0x100);
	assert_int_equal(dma_map_sgtable(coh, &sgt, TO, 0), 0);
	assert_int_equal(sgt.nents, 3);
	for_each_sgtable_dma_sg(&sgt, sg, i) {
		assert_int_equal(sg_dma_address(sg), sg_phys(sg));
		assert_int_equal(sg_dma_len(sg), sg->length);
	}
	dma_unmap_sgtable(coh, &sgt, TO, 0);
	sg_free_table(&sgt);
	assert_null(sgt.sgl);
	/* a reversed pair is not contiguous: two entries */
	pages[0] = pfn_to_page(pp + 1);
	pages[1] = pfn_to_page(pp);
	assert_int_equal(sg_alloc_table_from_pages(&sgt, pages, 2, 0, 2 * PAGE_SIZE, GFP_KERNEL), 0);
	assert_int_equal(sgt.orig_nents, 2);
	sg_free_table(&sgt);
	/* bad arguments */
	assert_int_equal(sg_alloc_table_from_pages(&sgt, pages, 2, PAGE_SIZE, 0x100, GFP_KERNEL), -EINVAL);
	assert_int_equal(sg_alloc_table_from_pages(&sgt, pages, 2, 0x10, 2 * PAGE_SIZE, GFP_KERNEL), -EINVAL);
	__free_pages(p4, 2);
	__free_pages(q2, 1);
}

/* sg_alloc_table_from_pages_segment() caps merged entries at the
 * segment size (rounded down to pages); mapping a segment longer than
 * dma_get_max_seg_size() or across dma_get_seg_boundary() still works but
 * gets the DMA-API debugging report (Debian's kernel prints nothing). */
static void sg_segment_limits(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", NULL);
	struct device *coh = dev(m, "probe@0");
	struct page *blk = alloc_pages(GFP_KERNEL, 3), *pages[5];
	unsigned long pfn = page_to_pfn(blk);
	struct sg_table sgt;
	struct scatterlist *sg;
	char want[200];
	size_t r0;
	unsigned i;

	(void)state;
	for (i = 0; i < 5; i++)
		pages[i] = pfn_to_page(pfn + i);
	assert_int_equal(sg_alloc_table_from_pages_segment(&sgt, pages, 5, 0, 5 * PAGE_SIZE,
							   0x2fff, GFP_KERNEL), 0);
	assert_int_equal(sgt.orig_nents, 3);
	assert_int_equal(sgt.sgl[0].length, 0x2000);
	assert_int_equal(sgt.sgl[1].length, 0x2000);
	assert_int_equal(sgt.sgl[2].length, 0x1000);
	assert_ptr_equal(sg_page(&sgt.sgl[1]), pages[2]);
	r0 = reports(m);
	assert_int_equal(dma_map_sgtable(coh, &sgt, TO, 0), 0);
	assert_int_equal(reports(m), r0);		/* 8 KiB <= 64 KiB */
	dma_unmap_sgtable(coh, &sgt, TO, 0);
	sg_free_table(&sgt);
	assert_int_equal(sg_alloc_table_from_pages_segment(&sgt, pages, 5, 0, 5 * PAGE_SIZE,
							   0x800, GFP_KERNEL), -EINVAL);
	/* one merged 20 KiB entry against a 4 KiB max_seg_size */
	assert_int_equal(sg_alloc_table_from_pages(&sgt, pages, 5, 0, 5 * PAGE_SIZE, GFP_KERNEL), 0);
	assert_int_equal(sgt.orig_nents, 1);
	assert_int_equal(dma_set_max_seg_size(coh, 0x1000), 0);
	assert_int_equal(dma_map_sgtable(coh, &sgt, TO, 0), 0);
	assert_int_equal(sg_dma_address(sgt.sgl), (dma_addr_t)pfn << PAGE_SHIFT);
	assert_int_equal(sg_dma_len(sgt.sgl), 0x5000);
	assert_int_equal(reports(m), r0 + 1);
	assert_non_null(strstr(report_last(m),
		"mapping sg segment longer than device claims to support [len=20480] [max=4096]"));
	dma_unmap_sgtable(coh, &sgt, TO, 0);
	/* and across a 8 KiB boundary (the block is 32 KiB aligned) */
	assert_int_equal(dma_set_max_seg_size(coh, 0x10000), 0);
	dma_set_seg_boundary(coh, 0x1fff);
	assert_int_equal(dma_map_sgtable(coh, &sgt, TO, 0), 0);
	assert_int_equal(reports(m), r0 + 2);
	snprintf(want, sizeof(want),
		 "mapping sg segment across boundary [start=0x%016llx] [end=0x%016llx] [boundary=0x0000000000001fff]",
		 (unsigned long long)pfn << PAGE_SHIFT,
		 ((unsigned long long)pfn << PAGE_SHIFT) + 0x4fff);
	assert_non_null(strstr(report_last(m), want));
	dma_unmap_sgtable(coh, &sgt, TO, 0);
	sg_free_table(&sgt);
	/* entries within both limits: no report */
	assert_int_equal(sg_alloc_table(&sgt, 2, GFP_KERNEL), 0);
	for_each_sgtable_sg(&sgt, sg, i)
		sg_set_page(sg, pages[2 * i], 0x2000, 0);
	assert_int_equal(dma_map_sgtable(coh, &sgt, TO, 0), 0);
	assert_int_equal(reports(m), r0 + 2);
	dma_unmap_sgtable(coh, &sgt, TO, 0);
	sg_free_table(&sgt);
	__free_pages(blk, 3);
}

/* ================================================================== */
/* Group 4: cache maintenance per profile                             */
/* ================================================================== */

/*
 * Map, sync_for_cpu, sync_for_device and unmap a direct page-sized
 * kmalloc buffer in each direction: the for_device and for_cpu operation
 * recorded in the decision (on the buffer's range) and the machine's
 * counters must follow the profile's table (spec §8.6).
 */
static void check_cache_table(struct dmapool_machine *m, struct device *d,
			      const enum dmapool_cache_op dev_op[3],
			      const enum dmapool_cache_op cpu_op[3])
{
	static const int dirs[3] = { BI, TO, FROM };

	for (int k = 0; k < 3; k++) {
		int dir = dirs[k];
		void *p = kbuf(0x1000, (unsigned)k);
		phys_addr_t pa = virt_to_phys(p);
		struct cache_count c0 = cache_now(m);
		uint64_t clean = 0, inval = 0;
		struct dmapool_decision x;
		dma_addr_t a;

		a = dma_map_single(d, p, 0x1000, dir);
		assert_int_equal(a, pa);
		x = last(d);
		assert_int_equal(cache_of(&x, true, pa, 0x1000), dev_op[dir]);
		assert_int_equal(cache_of(&x, false, pa, 0x1000), DMAPOOL_CACHE_NONE);
		dma_sync_single_for_cpu(d, a, 0x1000, dir);
		x = last(d);
		assert_int_equal(cache_of(&x, false, pa, 0x1000), cpu_op[dir]);
		assert_int_equal(cache_of(&x, true, pa, 0x1000), DMAPOOL_CACHE_NONE);
		dma_sync_single_for_device(d, a, 0x1000, dir);
		x = last(d);
		assert_int_equal(cache_of(&x, true, pa, 0x1000), dev_op[dir]);
		dma_unmap_single(d, a, 0x1000, dir);
		x = last(d);
		assert_int_equal(cache_of(&x, false, pa, 0x1000), cpu_op[dir]);
		assert_int_equal(cache_of(&x, true, pa, 0x1000), DMAPOOL_CACHE_NONE);
		clean = 2 * (dev_op[dir] == DMAPOOL_CACHE_CLEAN) + 2 * (cpu_op[dir] == DMAPOOL_CACHE_CLEAN);
		inval = 2 * (dev_op[dir] == DMAPOOL_CACHE_INVAL) + 2 * (cpu_op[dir] == DMAPOOL_CACHE_INVAL);
		cache_delta(m, c0, clean, inval);
		kfree(p);
	}
}

/* index: enum dma_data_direction (BIDIRECTIONAL, TO_DEVICE, FROM_DEVICE) */
static const enum dmapool_cache_op ALL_CLEAN[3] = {
	DMAPOOL_CACHE_CLEAN, DMAPOOL_CACHE_CLEAN, DMAPOOL_CACHE_CLEAN };
static const enum dmapool_cache_op INVAL_UNLESS_TO[3] = {
	DMAPOOL_CACHE_INVAL, DMAPOOL_CACHE_NONE, DMAPOOL_CACHE_INVAL };
static const enum dmapool_cache_op ARM_FOR_DEVICE[3] = {
	DMAPOOL_CACHE_CLEAN, DMAPOOL_CACHE_CLEAN, DMAPOOL_CACHE_INVAL };
static const enum dmapool_cache_op NO_OPS[3] = {
	DMAPOOL_CACHE_NONE, DMAPOOL_CACHE_NONE, DMAPOOL_CACHE_NONE };

/* arm64: clean for the device whatever the direction; invalidate for the
 * CPU unless TO_DEVICE.  Coherent devices: nothing. */
static void cache_arm64(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", NULL);

	(void)state;
	assert_false(dev_is_dma_coherent(dev(m, "probe@1")));
	check_cache_table(m, dev(m, "probe@1"), ALL_CLEAN, INVAL_UNLESS_TO);
	assert_true(dev_is_dma_coherent(dev(m, "probe@0")));
	check_cache_table(m, dev(m, "probe@0"), NO_OPS, NO_OPS);
	assert_string_equal(dmapool_cache_op_name(DMAPOOL_CACHE_CLEAN), "clean");
	assert_string_equal(dmapool_cache_op_name(DMAPOOL_CACHE_INVAL), "invalidate");
}

/* 32-bit ARM: FROM_DEVICE invalidates for the device (v7 dma_inv_range),
 * the other directions clean; for the CPU as arm64. */
static void cache_arm(void **state)
{
	struct dmapool_machine *m = load_tree("arm", "arm", 0x10000000, NULL, NULL);

	(void)state;
	assert_false(dev_is_dma_coherent(dev(m, "nc")));
	check_cache_table(m, dev(m, "nc"), ARM_FOR_DEVICE, INVAL_UNLESS_TO);
	check_cache_table(m, dev(m, "coh"), NO_OPS, NO_OPS);
}

/* riscv64 (Zicbom): clean for the device in every direction (the
 * invalidate is deferred to for_cpu), like arm64; devices are coherent
 * unless marked dma-noncoherent. */
static void cache_riscv64(void **state)
{
	struct dmapool_machine *m = load_tree("simple", "riscv64", 0x40000000, NULL, NULL);

	(void)state;
	assert_false(dev_is_dma_coherent(dev(m, "nc")));
	assert_true(dev_is_dma_coherent(dev(m, "plain")));
	check_cache_table(m, dev(m, "nc"), ALL_CLEAN, INVAL_UNLESS_TO);
	check_cache_table(m, dev(m, "plain"), NO_OPS, NO_OPS);
}

/* x86_64: every device is coherent, even one marked dma-noncoherent; no
 * maintenance at all. */
static void cache_x86_64(void **state)
{
	struct dmapool_machine *m = load_tree("simple", "x86_64", 0x40000000, NULL, NULL);

	(void)state;
	assert_true(dev_is_dma_coherent(dev(m, "nc")));
	check_cache_table(m, dev(m, "nc"), NO_OPS, NO_OPS);
	check_cache_table(m, dev(m, "plain"), NO_OPS, NO_OPS);
	assert_int_equal(dmapool_cache_ops(m, DMAPOOL_CACHE_CLEAN), 0);
	assert_int_equal(dmapool_cache_ops(m, DMAPOOL_CACHE_INVAL), 0);
}

/* A bounced mapping of a non-coherent device is maintained on the SLOT,
 * not on the original; a bounced coherent device gets nothing. */
static void cache_bounced_on_slot(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", NULL);
	struct device *nc = dev(m, "probe@1");
	void *p = kbuf(0x20, 1);
	struct cache_count c0 = cache_now(m);
	struct dmapool_decision x;
	dma_addr_t a;

	(void)state;
	a = dma_map_single(nc, p, 0x20, BI);
	assert_int_equal(a, 0xb9600000);
	x = last(nc);
	assert_int_equal(cache_of(&x, true, 0xb9600000, 0x20), DMAPOOL_CACHE_CLEAN);
	dma_sync_single_for_cpu(nc, a, 0x20, BI);
	x = last(nc);
	assert_int_equal(x.bounce, 0xb9600000);
	assert_int_equal(cache_of(&x, false, 0xb9600000, 0x20), DMAPOOL_CACHE_INVAL);
	dma_sync_single_for_device(nc, a, 0x20, BI);
	x = last(nc);
	assert_int_equal(cache_of(&x, true, 0xb9600000, 0x20), DMAPOOL_CACHE_CLEAN);
	dma_unmap_single(nc, a, 0x20, BI);
	x = last(nc);
	assert_string_equal(x.backend, "swiotlb");
	assert_int_equal(cache_of(&x, false, 0xb9600000, 0x20), DMAPOOL_CACHE_INVAL);
	cache_delta(m, c0, 2, 2);
	unload(m);

	m = load_oracle("22-probe-streaming", "swiotlb=force");
	p = kbuf(0x1000, 2);
	c0 = cache_now(m);
	a = dma_map_single(dev(m, "probe@0"), p, 0x1000, BI);
	assert_int_equal(a, 0xb9600000);
	assert_int_equal(last(dev(m, "probe@0")).ncache, 0);
	dma_unmap_single(dev(m, "probe@0"), a, 0x1000, BI);
	assert_int_equal(last(dev(m, "probe@0")).ncache, 0);
	cache_delta(m, c0, 0, 0);
}

/* ================================================================== */
/* Group 5: the SWIOTLB slot allocator                                */
/* ================================================================== */

/* 22-probe-streaming, the kernel's exact sequence: probe@0 (coherent)
 * maps in place, probe@1 (non-coherent) bounces 0x20 BIDIRECTIONAL /
 * FROM_DEVICE, 0x41 and map_page 0x20 into consecutive 2 KiB slots, and
 * after the unmap of the first slot the next one is 0xb9602000 (next
 * fit: the freed slot is not reused). */
static void swiotlb_case22_sequence(void **state)
{
	static const struct rstep s[] = {
		/*  0 */ RMAP(0, 0x40, BI, DIRECT),
		/*  1 */ RMAP(0, 0x1000, BI, DIRECT),
		/*  2 */ RMAP(0, 0x10000, BI, DIRECT),
		/*  3 */ RPAGE(0, 0x1000, DIRECT),
		/*  4 */ RUNMAP(0),
		/*  5 */ RUNMAP(3),
		/*  6 */ RMAP(1, 0x40, BI, DIRECT),
		/*  7 */ RMAP(1, 0x1000, BI, DIRECT),
		/*  8 */ RMAP(1, 0x20, BI, 0xb9600000),
		/*  9 */ RMAP(1, 0x20, FROM, 0xb9600800),
		/* 10 */ RMAP(1, 0x20, TO, DIRECT),
		/* 11 */ RMAP(1, 0x41, BI, 0xb9601000),
		/* 12 */ RPAGE(1, 0x1000, DIRECT),
		/* 13 */ RPAGE(1, 0x20, 0xb9601800),
		/* 14 */ RUNMAP(8),
		/* 15 */ RMAP(1, 0x20, BI, 0xb9602000),
	};
	struct dmapool_machine *m = load_oracle("22-probe-streaming", NULL);
	struct device *d0 = dev(m, "probe@0"), *d1 = dev(m, "probe@1");
	struct replay r;

	(void)state;
	assert_int_equal(log_count(m, 0, "software IO TLB: mapped [mem 0x00000000b9600000-0x00000000b9800000] (2MB)"), 1);
	assert_int_equal(m->swiotlb.start, 0xb9600000);
	assert_int_equal(m->swiotlb.nslabs, 1024);
	assert_int_equal(dma_set_mask_and_coherent(d0, DMA_BIT_MASK(32)), 0);
	assert_int_equal(dma_set_mask_and_coherent(d1, DMA_BIT_MASK(32)), 0);
	assert_int_equal(dma_max_mapping_size(d0), SIZE_MAX);
	assert_int_equal(dma_max_mapping_size(d1), SIZE_MAX);
	replay_init(&r, m, d0, d1, NULL);
	replay_run(&r, s, NSTEPS(s));
	assert_int_equal(swiotlb_used_now(m), 4);
	replay_finish(&r);
	assert_int_equal(reports(m), 0);
}

/* 66-probe-slot-reuse (swiotlb=512,force: 1 MiB at 0xb9700000, 4
 * segments): the pool filled exactly, the slot skipped by page alignment
 * taken after the wrap, "buffer is full" with used 512, unmaps, and the
 * next-fit reuse after the wrap; the cursor is shared by both devices. */
static void swiotlb_full_and_wrap(void **state)
{
	static const struct rstep s[] = {
		/*  0 */ RMAP(0, 0x20000, BI, 0xb9700000),
		/*  1 */ RMAP(0, 0x20000, BI, 0xb9720000),
		/*  2 */ RMAP(0, 0x40000, BI, 0xb9740000),
		/*  3 */ RMAP(0, 0x10000, BI, 0xb9780000),
		/*  4 */ RMAP(0, 0x30000, BI, 0xb9790000),
		/*  5 */ RMAP(0, 0x800, BI, 0xb97c0000),
		/*  6 */ RMAP(0, 0x3f000, BI, 0xb97c1000),
		/*  7 */ RMAP(0, 0x800, BI, 0xb97c0800),
		/*  8 */ RMAPF(0, 0x800, BI, "sz: 2048 bytes), total 512 (slots), used 512 (slots)"),
		/*  9 */ RUNMAP(0),
		/* 10 */ RUNMAP(3),
		/* 11 */ RMAP(0, 0x800, BI, 0xb9700000),
		/* 12 */ RMAP(0, 0x10000, BI, 0xb9701000),
		/* 13 */ RMAP(1, 0x10000, BI, 0xb9780000),
		/* 14 */ RMAP(1, 0x20, BI, 0xb9700800),
		/* 15 */ RMAPF(1, 0x40000, BI, "sz: 262144 bytes), total 512 (slots), used 482 (slots)"),
		/* 16 */ RUNMAP(13),
		/* 17 */ RMAP(1, 0x10000, BI, 0xb9780000),
	};
	struct dmapool_machine *m = load_oracle("22-probe-streaming", "swiotlb=512,force");
	struct device *d0 = dev(m, "probe@0"), *d1 = dev(m, "probe@1");
	struct replay r;

	(void)state;
	assert_int_equal(log_count(m, 0, "software IO TLB: mapped [mem 0x00000000b9700000-0x00000000b9800000] (1MB)"), 1);
	assert_int_equal(dma_set_mask_and_coherent(d1, DMA_BIT_MASK(64)), 0);
	assert_int_equal(dma_max_mapping_size(d0), 0x40000);
	assert_int_equal(dma_max_mapping_size(d1), 0x40000);
	replay_init(&r, m, d0, d1, NULL);
	replay_run(&r, s, NSTEPS(s));
	replay_finish(&r);
}

/* "swiotlb buffer is full" is rate limited: 10 lines per pool here (the
 * kernel's 10 per 5 s, for an instantaneous run); DMA_ATTR_NO_WARN maps
 * print nothing and do not count. */
static void swiotlb_full_line_limit(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", "swiotlb=force");
	struct device *d0 = dev(m, "probe@0");
	static const char line[] =
		"dmaprobe probe@0: swiotlb buffer is full (sz: 262145 bytes), total 1024 (slots), used 0 (slots)";
	void *p = kbuf(0x40001, 1);
	size_t n0 = logn(m);

	(void)state;
	assert_int_equal(dma_map_single_attrs(d0, p, 0x40001, BI, DMA_ATTR_NO_WARN),
			 DMA_MAPPING_ERROR);
	assert_int_equal(logn(m), n0);
	for (int i = 0; i < 12; i++)
		assert_int_equal(dma_map_single(d0, p, 0x40001, TO), DMA_MAPPING_ERROR);
	assert_int_equal(log_count(m, n0, line), 10);
	assert_int_equal(logn(m), n0 + 10);
	/* a mapping that fits still works */
	assert_int_equal(dma_map_single(d0, p, 0x40000, TO), 0xb9600000);
}

/* dma_set_seg_boundary(): a bounce buffer never crosses the device's
 * segment boundary (here 16 KiB = 8 slots; iommu_is_span_boundary), and a
 * buffer larger than the boundary never fits. */
static void swiotlb_seg_boundary(void **state)
{
	static const struct rstep s[] = {
		/* 0 */ RMAP(0, 0x800, BI, 0xb9600000),
		/* 1 */ RMAP(0, 0x4000, BI, 0xb9604000),	/* not 0xb9601000 */
		/* 2 */ RMAP(0, 0x800, BI, 0xb9608000),
		/* 3 */ RMAP(0, 0x2000, BI, 0xb9609000),
		/* 4 */ RMAP(0, 0x3000, BI, 0xb960c000),	/* not 0xb960b000 */
		/* 5 */ RMAPF(0, 0x4800, BI, "sz: 18432 bytes), total 1024 (slots), used 20 (slots)"),
	};
	static const struct rstep after[] = {
		/* 6 */ RMAP(0, 0x4800, BI, 0xb960f000),
	};
	static const struct rstep control[] = {
		RMAP(0, 0x800, BI, 0xb9600000), RMAP(0, 0x4000, BI, 0xb9601000),
	};
	struct dmapool_machine *m = load_oracle("22-probe-streaming", "swiotlb=force");
	struct device *d0 = dev(m, "probe@0");
	struct replay r;

	(void)state;
	assert_int_equal(dma_get_seg_boundary(d0), ~0UL);
	assert_int_equal(dma_get_seg_boundary_nr_pages(d0, PAGE_SHIFT), (~0UL >> PAGE_SHIFT) + 1);
	dma_set_seg_boundary(d0, 0x3fff);
	assert_int_equal(dma_get_seg_boundary(d0), 0x3fff);
	assert_int_equal(dma_get_seg_boundary_nr_pages(d0, PAGE_SHIFT), 4);
	replay_init(&r, m, d0, NULL, NULL);
	replay_run(&r, s, NSTEPS(s));
	dma_set_seg_boundary(d0, ~0UL);
	replay_run(&r, after, NSTEPS(after));
	replay_finish(&r);
	unload(m);

	m = load_oracle("22-probe-streaming", "swiotlb=force");
	replay_init(&r, m, dev(m, "probe@0"), NULL, NULL);
	replay_run(&r, control, NSTEPS(control));
	replay_finish(&r);
}

/* dma_set_min_align_mask(0xfff) (NVMe style): the bounce address keeps
 * the original's offset bits under the mask (the slot offset inside its
 * 2 KiB slot, bit 11 through the slot choice), a 4 KiB mapping is no
 * longer page aligned, and the maximum mapping shrinks by 4 KiB. */
static void swiotlb_min_align_mask(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", "swiotlb=force");
	struct device *d0 = dev(m, "probe@0");
	uint8_t *b = kbuf(0x2000, 1);
	static const struct {
		size_t off, size;
		dma_addr_t want;
	} s[] = {
		{ 0x234, 0x100, 0xb9600234 },	/* slot 0 (bit 11 clear) */
		{ 0xa34, 0x100, 0xb9600a34 },	/* slot 1 (bit 11 set) */
		{ 0x234, 0x1000, 0xb9601234 },	/* slots 2-4 */
		{ 0x810, 0x10, 0xb9602810 },	/* slot 5 */
		{ 0x800, 0x1000, 0xb9603800 },	/* slots 7-8: not page aligned */
	};
	dma_addr_t a[5];

	(void)state;
	assert_int_equal(virt_to_phys(b) & 0x1fff, 0);
	assert_int_equal(dma_get_min_align_mask(d0), 0);
	assert_int_equal(dma_max_mapping_size(d0), 0x40000);
	dma_set_min_align_mask(d0, 0xfff);
	assert_int_equal(dma_get_min_align_mask(d0), 0xfff);
	assert_int_equal(dma_max_mapping_size(d0), 0x3f000);
	for (int i = 0; i < 5; i++) {
		a[i] = dma_map_single(d0, b + s[i].off, s[i].size, BI);
		if (a[i] != s[i].want)
			fprintf(stderr, "map %d: %#llx, want %#llx\n", i,
				(unsigned long long)a[i], (unsigned long long)s[i].want);
		assert_int_equal(a[i], s[i].want);
		assert_int_equal(a[i] & 0xfff, virt_to_phys(b + s[i].off) & 0xfff);
		assert_true(dev_sees(d0, a[i], b + s[i].off, s[i].size));
	}
	assert_int_equal(swiotlb_used_now(m), 1 + 1 + 3 + 1 + 2);
	/* the device writes through its address; unmap copies back in place
	 * (the overlapping mappings go first: their copy-back would cover
	 * these bytes again) */
	dev_fill(d0, a[3], 0x10, 7);
	for (int i = 4; i >= 0; i--)
		if (i != 3)
			dma_unmap_single(d0, a[i], s[i].size, BI);
	assert_int_equal(swiotlb_used_now(m), 1);
	assert_true(is_pat(b, 0x2000, 1));
	dma_unmap_single(d0, a[3], s[3].size, BI);
	assert_int_equal(swiotlb_used_now(m), 0);
	{
		uint8_t w[0x10];

		fill(w, 0x10, 7);
		assert_memory_equal(b + 0x810, w, 0x10);
		assert_true(is_pat(b, 0x810, 1));
	}
	/* the cursor stayed at slot 9: the next even slot is 10 */
	a[0] = dma_map_single(d0, b, 0x100, TO);
	assert_int_equal(a[0], 0xb9605000);
}

/*
 * The kernel's walk (swiotlb_search_pool_area) counts the slots it steps
 * over, and after a wrap it stops one stride short when the cursor was not
 * aligned for the request: with min_align_mask 0xfff a request whose
 * original has bit 11 set needs an odd slot; from an even cursor c the
 * walk never looks at slot c - 1.  Setup (swiotlb=512,force, one area):
 * fill all 512 slots, free slots 2 and 3, map a 2-slot buffer there
 * (cursor -> 4), unmap it; the only free slots are 2 and 3; an odd
 * request then fails in the kernel ("used 510"), slot 3 unexamined.
 */
static void swiotlb_stride_wrap_quirk(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", "swiotlb=512,force");
	struct device *d0 = dev(m, "probe@0");
	uint8_t *b = kbuf(0x2000, 1);
	dma_addr_t *a = calloc(512, sizeof(*a)), two, odd;
	size_t n0;

	(void)state;
	assert_non_null(a);
	assert_int_equal(m->swiotlb.start, 0xb9700000);
	dma_set_min_align_mask(d0, 0xfff);
	for (int i = 0; i < 512; i++) {
		a[i] = dma_map_single(d0, b + (i & 1) * 0x800, 0x100, TO);
		assert_int_equal(a[i], 0xb9700000 + (dma_addr_t)i * 0x800);
	}
	dma_unmap_single(d0, a[2], 0x100, TO);
	dma_unmap_single(d0, a[3], 0x100, TO);
	two = dma_map_single(d0, b, 0x1000, TO);
	assert_int_equal(two, 0xb9701000);
	dma_unmap_single(d0, two, 0x1000, TO);
	assert_int_equal(swiotlb_used_now(m), 510);
	n0 = logn(m);
	odd = dma_map_single(d0, b + 0x800, 0x100, TO);
	/* slot 3 is free and odd, but the kernel's walk never reaches it */
	assert_int_equal(odd, DMA_MAPPING_ERROR);
	assert_int_equal(log_count(m, n0, "dmaprobe probe@0: swiotlb buffer is full (sz: 256 bytes), total 512 (slots), used 510 (slots)"), 1);
	free(a);
}

/*
 * 32-bit ARM with 1 GiB of RAM: the first 768 MiB are lowmem, the rest is
 * ZONE_HIGHMEM.  A GFP_HIGHUSER page comes from highmem, has no linear
 * address, maps with dma_map_page() (the only way in) and is reached by
 * the CPU through kmap_local_page(); kmalloc and GFP_KERNEL pages stay in
 * lowmem; vmalloc takes highmem pages first.  On arm64 the same calls see
 * no highmem.
 */
static void highmem_arm(void **state)
{
	struct dmapool_machine *m = load_tree("arm", "arm", 0x40000000ULL, NULL, NULL);
	struct device *nc = dev(m, "nc");
	struct dmapool_decision x;
	struct page *hp, *lp;
	uint8_t *k, *v, back[64];
	phys_addr_t ram0, hpa;
	dma_addr_t h;
	size_t n0;

	(void)state;
	dmapool_machine_use(m);
	assert_int_not_equal(m->highmem_start, PHYS_NONE);
	ram0 = (phys_addr_t)m->min_pfn << 12;
	assert_int_equal(m->highmem_start, ram0 + 0x30000000ULL);
	n0 = 0;
	assert_non_null(log_after(m, n0, "  Normal   empty"));
	/* the zone lines: DMA up to the lowmem limit, HighMem above */
	{
		char want[96];

		snprintf(want, sizeof(want), "  HighMem  [mem 0x%08llx-0x%08llx]",
			 (unsigned long long)(ram0 + 0x30000000ULL),
			 (unsigned long long)(ram0 + 0x40000000ULL - 1));
		assert_int_equal(log_count(m, 0, want), 1);
	}

	hp = alloc_pages(GFP_HIGHUSER, 0);
	assert_non_null(hp);
	hpa = page_to_phys(hp);
	assert_true(hpa >= m->highmem_start);
	assert_true(PageHighMem(hp));
	assert_null(page_address(hp));
	lp = alloc_page(GFP_KERNEL);
	assert_non_null(lp);
	assert_false(PageHighMem(lp));
	assert_true(page_to_phys(lp) < m->highmem_start);
	assert_ptr_equal(kmap_local_page(lp), page_address(lp));
	kunmap_local(page_address(lp));

	/* the CPU writes through a temporary mapping; the device reads it */
	k = kmap_local_page(hp);
	assert_non_null(k);
	assert_int_equal(dmapool_cpu_attr(m, k), DMAPOOL_ATTR_WB);
	fill(k, 64, 7);
	h = dma_map_page(nc, hp, 0, 64, DMA_TO_DEVICE);
	assert_int_equal(h, hpa);
	x = last(nc);
	assert_string_equal(x.backend, "direct");
	assert_int_equal(x.ncache, 1);
	assert_int_equal(x.cache[0].op, DMAPOOL_CACHE_CLEAN);
	assert_int_equal(x.cache[0].phys, hpa);
	assert_int_equal(dmapool_dev_read(nc, h, back, 64), 0);
	assert_true(is_pat(back, 64, 7));
	dma_unmap_page(nc, h, 64, DMA_TO_DEVICE);
	/* the device writes, the CPU reads after unmap (arm: invalidate) */
	h = dma_map_page(nc, hp, 0, 64, DMA_FROM_DEVICE);
	assert_int_equal(h, hpa);
	assert_int_equal(last(nc).cache[0].op, DMAPOOL_CACHE_INVAL);
	dev_fill(nc, h, 64, 9);
	dma_unmap_page(nc, h, 64, DMA_FROM_DEVICE);
	assert_int_equal(last(nc).cache[0].op, DMAPOOL_CACHE_INVAL);
	assert_true(is_pat(k, 64, 9));
	kunmap_local(k);
	assert_int_equal(dmapool_cpu_attr(m, k), DMAPOOL_ATTR_NONE);

	/* kmalloc never returns highmem; a highmem page cannot be mapped
	 * with dma_map_single (it has no linear address to pass) */
	v = kmalloc(4096, GFP_KERNEL);
	assert_non_null(v);
	assert_true(virt_to_phys(v) < m->highmem_start);
	kfree(v);
	v = vmalloc(8192);
	assert_non_null(v);
	assert_true(PageHighMem(vmalloc_to_page(v)));
	assert_true(PageHighMem(vmalloc_to_page(v + 4096)));
	vfree(v);
	__free_page(lp);
	__free_pages(hp, 0);
	assert_int_equal(reports(m), 0);
}

/* arm64 has no highmem: every page has a linear address. */
static void highmem_none_arm64(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", NULL);
	struct page *p;

	(void)state;
	dmapool_machine_use(m);
	assert_int_equal(m->highmem_start, PHYS_NONE);
	p = alloc_pages(GFP_HIGHUSER, 0);
	assert_non_null(p);
	assert_false(PageHighMem(p));
	assert_non_null(page_address(p));
	assert_ptr_equal(kmap(p), page_address(p));
	kunmap(p);
	__free_pages(p, 0);
}

/* ------------------------------------------------------------------ */
/* A reference of the kernel's slot search, written from
 * kernel/dma/swiotlb.c (6.12) as a plain walk: per-slot "list" counts of
 * free slots up to the end of the 128-slot segment, the walk from the
 * area cursor stepping 1 over misaligned slots and "stride" otherwise,
 * the wrap to index 0, next cursor = found + nslots, areas tried from 0
 * (one CPU), release merging with the free slots around. */

#define REF_SHIFT	11
#define REF_SEG		128
#define REF_MAX_SLOTS	1024
#define REF_MAX_AREAS	8

struct ref_pool {
	uint64_t start;			/* bus address of slot 0 */
	unsigned nslabs, nareas, area_nslabs;
	unsigned list[REF_MAX_SLOTS];
	size_t alloc_size[REF_MAX_SLOTS];
	unsigned index[REF_MAX_AREAS], used[REF_MAX_AREAS];
	unsigned wraps;			/* searches that found a slot below the cursor */
};

static unsigned ref_nr_slots(uint64_t v)
{
	return (unsigned)((v + (1u << REF_SHIFT) - 1) >> REF_SHIFT);
}

static uint64_t ref_max_slots(uint64_t mask)
{
	return (mask >> REF_SHIFT) + 1;
}

static bool ref_span_boundary(unsigned index, unsigned nr, uint64_t shift,
			      uint64_t boundary_size)
{
	shift = (shift + index) & (boundary_size - 1);
	return shift + nr > boundary_size;
}

static unsigned ref_wrap(const struct ref_pool *p, unsigned index)
{
	return index >= p->area_nslabs ? 0 : index;
}

static void ref_init(struct ref_pool *p, uint64_t start, unsigned nslabs,
		     unsigned nareas)
{
	memset(p, 0, sizeof(*p));
	assert_true(nslabs <= REF_MAX_SLOTS && nareas <= REF_MAX_AREAS);
	p->start = start;
	p->nslabs = nslabs;
	p->nareas = nareas;
	p->area_nslabs = nslabs / nareas;
	for (unsigned i = 0; i < nslabs; i++) {
		unsigned left = REF_SEG - (i % REF_SEG);

		p->list[i] = left < nslabs - i ? left : nslabs - i;
	}
}

static int ref_search_area(struct ref_pool *p, unsigned area, uint64_t orig,
			   size_t alloc_size, uint64_t min_align_mask,
			   uint64_t boundary_mask)
{
	uint64_t tbl_dma_addr = p->start & boundary_mask;
	uint64_t max_slots = ref_max_slots(boundary_mask);
	uint64_t iotlb_align_mask = min_align_mask, alloc_align_mask = 0;
	unsigned nslots = ref_nr_slots(alloc_size), stride;
	unsigned offset = (unsigned)(orig & min_align_mask & ((1u << REF_SHIFT) - 1));
	unsigned index, slots_checked, slot_base, slot_index = 0, count = 0;

	if (!alloc_align_mask && !iotlb_align_mask && alloc_size >= PAGE_SIZE)
		alloc_align_mask = PAGE_SIZE - 1;
	alloc_align_mask |= (1u << REF_SHIFT) - 1;
	iotlb_align_mask &= ~alloc_align_mask;
	stride = (unsigned)ref_max_slots(alloc_align_mask > iotlb_align_mask ?
					 alloc_align_mask : iotlb_align_mask);
	if (nslots > p->area_nslabs - p->used[area])
		return -1;
	slot_base = area * p->area_nslabs;
	index = p->index[area];
	for (slots_checked = 0; slots_checked < p->area_nslabs; ) {
		uint64_t tlb_addr;

		slot_index = slot_base + index;
		tlb_addr = tbl_dma_addr + ((uint64_t)slot_index << REF_SHIFT);
		if ((tlb_addr & alloc_align_mask) ||
		    (orig && (tlb_addr & iotlb_align_mask) != (orig & iotlb_align_mask))) {
			index = ref_wrap(p, index + 1);
			slots_checked++;
			continue;
		}
		if (!ref_span_boundary(slot_index, nslots, ref_nr_slots(tbl_dma_addr),
				       max_slots) &&
		    p->list[slot_index] >= nslots)
			goto found;
		index = ref_wrap(p, index + stride);
		slots_checked += stride;
	}
	return -1;
found:
	for (unsigned i = slot_index; i < slot_index + nslots; i++) {
		p->list[i] = 0;
		p->alloc_size[i] = alloc_size - (offset + ((size_t)(i - slot_index) << REF_SHIFT));
	}
	for (int i = (int)slot_index - 1;
	     (i & (REF_SEG - 1)) != REF_SEG - 1 && p->list[i]; i--)
		p->list[i] = ++count;
	if (index < p->index[area])
		p->wraps++;
	p->index[area] = ref_wrap(p, index + nslots);
	p->used[area] += nslots;
	return (int)slot_index;
}

/* swiotlb_tbl_map_single() for a streaming map: the bus address, or
 * DMA_MAPPING_ERROR. */
static dma_addr_t ref_map(struct ref_pool *p, uint64_t orig, size_t size,
			  uint64_t min_align_mask, uint64_t boundary_mask)
{
	unsigned offset = (unsigned)(orig & min_align_mask & ((1u << REF_SHIFT) - 1));

	for (unsigned a = 0; a < p->nareas; a++) {
		int idx = ref_search_area(p, a, orig, size + offset, min_align_mask,
					  boundary_mask);

		if (idx >= 0)
			return p->start + ((uint64_t)idx << REF_SHIFT) + offset;
	}
	return DMA_MAPPING_ERROR;
}

/* swiotlb_release_slots() */
static void ref_unmap(struct ref_pool *p, dma_addr_t tlb, uint64_t min_align_mask)
{
	unsigned offset = (unsigned)(tlb & min_align_mask & ((1u << REF_SHIFT) - 1));
	unsigned index = (unsigned)((tlb - offset - p->start) >> REF_SHIFT);
	unsigned nslots = ref_nr_slots(p->alloc_size[index] + offset);
	unsigned area = index / p->area_nslabs, count;
	int i;

	if (index + nslots < (index + 1 + REF_SEG - 1) / REF_SEG * REF_SEG)
		count = p->list[index + nslots];
	else
		count = 0;
	for (i = (int)(index + nslots - 1); i >= (int)index; i--) {
		p->list[i] = ++count;
		p->alloc_size[i] = 0;
	}
	for (i = (int)index - 1; (i & (REF_SEG - 1)) != REF_SEG - 1 && p->list[i]; i--)
		p->list[i] = ++count;
	p->used[area] -= nslots;
}

static uint64_t rnd_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* 1 .. 300 KiB: single slots, whole pages, mid sizes, near and over a
 * segment (256 KiB) */
static size_t rnd_size(uint64_t *s)
{
	unsigned r = (unsigned)(rnd_next(s) % 100);

	if (r < 30)
		return 1 + rnd_next(s) % 0x800;
	if (r < 50)
		return (1 + rnd_next(s) % 8) * PAGE_SIZE;
	if (r < 75)
		return 0x801 + rnd_next(s) % (0x10000 - 0x800);
	return 0x10000 + rnd_next(s) % (300 * 1024 - 0x10000 + 1);
}

#define DIFF_LIVE 48
#define DIFF_SRC (512 * 1024)

/*
 * nops random maps (dma_map_single of 1..300 KiB at a random place of a
 * 512 KiB buffer, random direction) and unmaps of a random live mapping,
 * on the library and on the reference; every map must give the same
 * address or both must fail.  Returns the number of failed maps.
 */
static unsigned differential(struct dmapool_machine *m, struct device *d,
			     struct ref_pool *ref, uint64_t seed, unsigned nops,
			     uint64_t min_align_mask, uint64_t boundary_mask)
{
	uint8_t *src = (uint8_t *)__get_free_pages(GFP_KERNEL, 7);
	struct {
		dma_addr_t a;
		size_t size;
		int dir;
	} lv[DIFF_LIVE];
	unsigned nlive = 0, nfail = 0, nok = 0;

	assert_non_null(src);
	fill(src, DIFF_SRC, 9);
	for (unsigned op = 0; op < nops; op++) {
		bool map = nlive == 0 ||
			   (nlive < DIFF_LIVE && rnd_next(&seed) % 100 < 55);

		if (map) {
			size_t size = rnd_size(&seed);
			size_t off = (size_t)(rnd_next(&seed) % (DIFF_SRC - size + 1));
			int dir = (int)(rnd_next(&seed) % 3);
			uint8_t *ptr = src + off;
			dma_addr_t got = dma_map_single(d, ptr, size, dir);
			dma_addr_t want = ref_map(ref, virt_to_phys(ptr), size,
						  min_align_mask, boundary_mask);

			if (got != want) {
				fprintf(stderr, "op %u: map %#zx of phys %#llx: library %#llx, reference %#llx (live %u)\n",
					op, size, (unsigned long long)virt_to_phys(ptr),
					(unsigned long long)got, (unsigned long long)want, nlive);
				free_pages((unsigned long)src, 7);
			}
			assert_int_equal(got, want);
			if (got == DMA_MAPPING_ERROR) {
				nfail++;
				continue;
			}
			nok++;
			assert_true(dev_sees(d, got, ptr, size < 16 ? size : 16));
			assert_true(dev_sees(d, got + size - (size < 16 ? size : 16),
					     ptr + size - (size < 16 ? size : 16),
					     size < 16 ? size : 16));
			lv[nlive].a = got;
			lv[nlive].size = size;
			lv[nlive].dir = dir;
			nlive++;
		} else {
			unsigned k = (unsigned)(rnd_next(&seed) % nlive);

			dma_unmap_single(d, lv[k].a, lv[k].size, lv[k].dir);
			ref_unmap(ref, lv[k].a, min_align_mask);
			lv[k] = lv[--nlive];
		}
		/* the search summaries stay true to the slots as they change */
		if (op % 61 == 0) {
			char why[256] = "";

			if (dmapool_machine_check(m, why, sizeof(why)))
				fprintf(stderr, "op %u: %s\n", op, why);
			assert_int_equal(dmapool_machine_check(m, why, sizeof(why)), 0);
		}
	}
	while (nlive) {
		nlive--;
		dma_unmap_single(d, lv[nlive].a, lv[nlive].size, lv[nlive].dir);
		ref_unmap(ref, lv[nlive].a, min_align_mask);
	}
	/* both end empty, with the same cursors */
	assert_int_equal(swiotlb_used_now(m), 0);
	for (unsigned a = 0; a < ref->nareas; a++) {
		assert_int_equal(ref->used[a], 0);
		assert_int_equal(m->swiotlb.areas[a].index, ref->index[a]);
	}
	/* the sequence exercised success, failure and the wrap */
	assert_true(nok > nops / 4);
	assert_true(nfail > nops / 50);
	assert_true(ref->wraps >= 10);
	free_pages((unsigned long)src, 7);
	return nfail;
}

/* swiotlb=1024,2,force: 2 MiB in two areas of 512 slots. */
static void slot_search_differential(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", "swiotlb=1024,2,force");
	struct device *d0 = dev(m, "probe@0");
	struct ref_pool *ref = malloc(sizeof(*ref));
	size_t n0 = logn(m);
	unsigned nfail;

	(void)state;
	assert_non_null(ref);
	assert_int_equal(log_count(m, 0, "software IO TLB: area num 2."), 1);
	assert_int_equal(m->swiotlb.nslabs, 1024);
	assert_int_equal(m->swiotlb.nareas, 2);
	ref_init(ref, m->swiotlb.start, 1024, 2);
	nfail = differential(m, d0, ref, 0x9e3779b97f4a7c15ULL, 3000, 0, ~0ULL);
	assert_int_equal(log_count_sub(m, n0, "dmaprobe probe@0: swiotlb buffer is full (sz: "),
			 nfail < 10 ? nfail : 10);
	free(ref);
}

/* The same with min_align_mask 0xfff and a 128 KiB segment boundary, in
 * one area of 1024 slots. */
static void slot_search_differential_min_align(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", "swiotlb=1024,force");
	struct device *d0 = dev(m, "probe@0");
	struct ref_pool *ref = malloc(sizeof(*ref));

	(void)state;
	assert_non_null(ref);
	assert_int_equal(m->swiotlb.nareas, 1);
	dma_set_min_align_mask(d0, 0xfff);
	dma_set_seg_boundary(d0, 0x1ffff);
	ref_init(ref, m->swiotlb.start, 1024, 1);
	differential(m, d0, ref, 0x2545f4914f6cdd1dULL, 3000, 0xfff, 0x1ffff);
	free(ref);
}

/*
 * dmapool_machine_check() holds the slot search's summaries to the slots:
 * a max-tree leaf that disagrees with its segment's free mask, an inner
 * node that is not the larger of its children, each is named; put back,
 * the check passes again.  The summaries it checks are the ones a mix of
 * maps left partly used.
 */
static void swiotlb_summary_check(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", "swiotlb=1024,force");
	struct device *d0 = dev(m, "probe@0");
	struct io_tlb_pool *p = &m->swiotlb;
	uint8_t *buf = (uint8_t *)__get_free_pages(GFP_KERNEL, 6);
	dma_addr_t h[6];
	size_t sizes[6] = { 0x800, 0x1000, 0x3000, 0x800, 0x20000, 0x1800 };
	char why[256];
	uint64_t leaf, node;
	uint8_t keep;

	(void)state;
	assert_non_null(buf);
	for (int i = 0; i < 6; i++) {
		h[i] = dma_map_single(d0, buf + i * 0x8000, sizes[i], DMA_TO_DEVICE);
		assert_false(dma_mapping_error(d0, h[i]));
	}
	dma_unmap_single(d0, h[1], sizes[1], DMA_TO_DEVICE);	/* a hole */
	assert_int_equal(dmapool_machine_check(m, why, sizeof(why)), 0);
	/* segment 0 is partly used: its leaf holds less than a segment */
	leaf = p->tree_leaves;
	assert_true(p->segtree[leaf] < IO_TLB_SEGSIZE);
	keep = p->segtree[leaf];
	p->segtree[leaf] = (uint8_t)(keep + 1);
	assert_int_not_equal(dmapool_machine_check(m, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "SWIOTLB pool default: segment 0: the max tree says"));
	p->segtree[leaf] = keep;
	assert_int_equal(dmapool_machine_check(m, why, sizeof(why)), 0);
	/* the root: the longest free run anywhere (a wholly free segment) */
	node = 1;
	assert_int_equal(p->segtree[node], IO_TLB_SEGSIZE);
	p->segtree[node] = 7;
	assert_int_not_equal(dmapool_machine_check(m, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "max tree node 1 holds 7"));
	p->segtree[node] = IO_TLB_SEGSIZE;
	assert_int_equal(dmapool_machine_check(m, why, sizeof(why)), 0);
	for (int i = 0; i < 6; i++)
		if (i != 1)
			dma_unmap_single(d0, h[i], sizes[i], DMA_TO_DEVICE);
	/* all free again: every leaf a whole segment */
	for (uint64_t g = 0; g < p->nsegs; g++)
		assert_int_equal(p->segtree[p->tree_leaves + g], IO_TLB_SEGSIZE);
	assert_int_equal(dmapool_machine_check(m, why, sizeof(why)), 0);
	free_pages((unsigned long)buf, 6);
}

/* ================================================================== */
/* Group 6: restricted DMA pools                                      */
/* ================================================================== */

/* With CONFIG_DMA_RESTRICTED_POOL (knob dma_restricted_pool), a device
 * whose memory-region is a restricted-dma-pool is attached at load: its
 * maps bounce through that pool (forced), dma_alloc_coherent() comes from
 * it aligned to the allocation's order, frees give the slots back, and
 * the default SWIOTLB and other devices are untouched. */
static void restricted_pool_map_alloc_free(void **state)
{
	struct dmapool_machine *m = load_tree("restricted22", NULL, 0, NULL, "dma_restricted_pool=y");
	struct device *r2 = dev(m, "probe@2"), *r3 = dev(m, "probe@3"), *d0 = dev(m, "probe@0");
	struct dmapool_decision x;
	void *p, *c, *c2;
	dma_addr_t a, h, h2, b;

	(void)state;
	assert_int_equal(log_count(m, 0, "software IO TLB: Reserved memory: created restricted DMA pool at 0x0000000080000000, size 4 MiB"), 1);
	assert_int_equal(log_count(m, 0, "dmaprobe probe@2: assigned reserved memory node restricted@80000000"), 1);
	assert_int_equal(log_count(m, 0, "dmaprobe probe@3: assigned reserved memory node restricted@80000000"), 1);
	assert_int_equal(dma_max_mapping_size(r2), 0x40000);
	assert_int_equal(dma_max_mapping_size(d0), SIZE_MAX);
	/* a map of the non-coherent device: the pool's first slot */
	p = kbuf(0x100, 1);
	a = dma_map_single(r2, p, 0x100, BI);
	assert_int_equal(a, 0x80000000);
	x = last(r2);
	assert_string_equal(x.backend, "restricted-swiotlb");
	assert_int_equal(x.bounce, 0x80000000);
	assert_true(has_step(&x, "force-bounce", "yes"));
	assert_int_equal(cache_of(&x, true, 0x80000000, 0x100), DMAPOOL_CACHE_CLEAN);
	assert_true(dev_sees(r2, a, p, 0x100));
	assert_true(dma_need_sync(r2, a));
	/* a coherent allocation: 0x3000 is order 2, 16 KiB aligned */
	c = dma_alloc_coherent(r2, 0x3000, &h, GFP_KERNEL);
	assert_non_null(c);
	assert_int_equal(h, 0x80004000);
	x = last(r2);
	assert_string_equal(x.backend, "restricted-swiotlb");
	assert_int_equal(x.phys, 0x80004000);
	assert_int_equal(dmapool_cpu_attr(m, c), DMAPOOL_ATTR_WC);	/* remapped */
	memset(c, 0x3c, 0x3000);
	/* the coherent device shares the pool and its cursor (slot 14, after
	 * the 6 slots at 8) */
	b = dma_map_single(r3, kbuf(0x1000, 2), 0x1000, TO);
	assert_int_equal(b, 0x80007000);
	assert_string_equal(last(r3).backend, "restricted-swiotlb");
	c2 = dma_alloc_coherent(r3, 0x1000, &h2, GFP_KERNEL);
	assert_non_null(c2);
	assert_int_equal(h2, 0x80008000);
	assert_int_equal(dmapool_cpu_attr(m, c2), DMAPOOL_ATTR_WB);
	/* free: slots back; the next allocation is next-fit, not the hole */
	dma_free_coherent(r2, 0x3000, c, h);
	x = last(r2);
	assert_string_equal(x.op, "free");
	assert_true(has_step(&x, "restricted-swiotlb", "freed"));
	c = dma_alloc_coherent(r2, 0x3000, &h, GFP_KERNEL);
	assert_non_null(c);
	assert_int_equal(h, 0x8000c000);
	/* more than a segment never fits, and there is no fallback */
	assert_null(dma_alloc_coherent(r2, 0x80000, &h, GFP_KERNEL));
	assert_int_equal(h, DMA_MAPPING_ERROR);
	assert_string_equal(last(r2).backend, "none");
	assert_int_equal(log_count_sub(m, 0, "swiotlb buffer is full"), 0);
	/* unmaps copy back and release */
	dev_fill(r2, a, 0x100, 5);
	dma_unmap_single(r2, a, 0x100, BI);
	assert_true(is_pat(p, 0x100, 5));
	dma_unmap_single(r3, b, 0x1000, TO);
	dma_free_coherent(r2, 0x3000, c, h);
	dma_free_coherent(r3, 0x1000, c2, h2);
	/* the default SWIOTLB was never used; probe@0 maps in place */
	assert_int_equal(swiotlb_used_now(m), 0);
	p = kbuf(0x1000, 6);
	assert_int_equal(dma_map_single(d0, p, 0x1000, BI), virt_to_phys(p));
}

/* Without the knob (Debian's arm64 config) the region is only reserved:
 * no pool, no attachment, normal direct maps and allocations. */
static void restricted_pool_needs_knob(void **state)
{
	struct dmapool_machine *m = load_tree("restricted22", NULL, 0, NULL, NULL);
	struct device *r2 = dev(m, "probe@2");
	void *p = kbuf(0x100, 1), *c;
	dma_addr_t h;

	(void)state;
	assert_int_equal(log_count(m, 0, "OF: reserved mem: 0x0000000080000000..0x00000000803fffff (4096 KiB) map non-reusable restricted@80000000"), 1);
	assert_int_equal(log_count_sub(m, 0, "restricted DMA pool"), 0);
	assert_int_equal(log_count_sub(m, 0, "assigned reserved memory node"), 0);
	assert_int_equal(dma_map_single(r2, p, 0x100, BI), virt_to_phys(p));
	assert_string_equal(last(r2).backend, "direct");
	assert_int_equal(dma_max_mapping_size(r2), SIZE_MAX);
	c = dma_alloc_coherent(r2, 0x3000, &h, GFP_KERNEL);
	assert_non_null(c);
	assert_string_not_equal(last(r2).backend, "restricted-swiotlb");
	assert_false(h >= 0x80000000 && h < 0x80400000);
}

/* ================================================================== */
/* Group 7: the rest of the streaming API                             */
/* ================================================================== */

/* dma_map_resource(): MMIO is mapped untranslated, never bounced (even
 * with swiotlb=force) and never cache-maintained; beyond the mask it fails
 * with the kernel's overflow line, once. */
static void map_resource(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", "swiotlb=force");
	struct device *nc = dev(m, "probe@1");
	static const char ovf[] =
		"dmaprobe probe@1: DMA addr 0x0000004010000000+4096 overflow (mask ffffffff, bus limit 0).";
	struct dmapool_decision x;
	size_t n0;
	dma_addr_t a;

	(void)state;
	a = dma_map_resource(nc, 0x09000000, 0x1000, BI, 0);
	assert_int_equal(a, 0x09000000);
	x = last(nc);
	assert_string_equal(x.op, "map_resource");
	assert_string_equal(x.backend, "direct");
	assert_int_equal(x.ncache, 0);
	assert_int_equal(x.bounce, PNONE);
	assert_int_equal(swiotlb_used_now(m), 0);
	dma_unmap_resource(nc, a, 0x1000, BI, 0);
	assert_string_equal(last(nc).op, "unmap_resource");
	n0 = logn(m);
	assert_int_equal(dma_map_resource(nc, 0x4010000000ULL, 0x1000, TO, 0), DMA_MAPPING_ERROR);
	assert_int_equal(log_count(m, n0, ovf), 1);
	assert_string_equal(last(nc).backend, "none");
	assert_int_equal(dma_map_resource(nc, 0x4010000000ULL, 0x1000, TO, 0), DMA_MAPPING_ERROR);
	assert_int_equal(log_count(m, n0, ovf), 1);
	/* a 64-bit mask reaches it */
	assert_int_equal(dma_set_mask_and_coherent(nc, DMA_BIT_MASK(64)), 0);
	assert_int_equal(dma_map_resource(nc, 0x4010000000ULL, 0x1000, TO, 0), 0x4010000000ULL);
}

/* dma_need_sync(): non-coherent devices always; coherent devices never
 * after dma_set_mask() (dma_skip_sync) until their first SWIOTLB mapping,
 * and then only for addresses in the pool; skipped syncs do nothing. */
static void need_sync(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", "swiotlb=force");
	struct device *coh = dev(m, "probe@0"), *nc = dev(m, "probe@1");
	void *p = kbuf(0x100, 1);
	dma_addr_t a;

	(void)state;
	assert_true(dma_need_sync(nc, 0x40000000));
	assert_true(dma_need_sync(coh, 0xb9600000));	/* no dma_set_mask() yet */
	assert_false(dma_need_sync(coh, 0x40000000));
	assert_int_equal(dma_set_mask_and_coherent(coh, DMA_BIT_MASK(32)), 0);
	assert_false(dma_need_sync(coh, 0xb9600000));
	assert_false(dma_need_sync(coh, 0x40000000));
	assert_int_equal(dma_set_mask_and_coherent(nc, DMA_BIT_MASK(32)), 0);
	assert_true(dma_need_sync(nc, 0x40000000));
	a = dma_map_single(coh, p, 0x100, BI);
	assert_int_equal(a, 0xb9600000);
	assert_true(dma_need_sync(coh, a));
	assert_false(dma_need_sync(coh, 0x40000000));
	/* the bounced mapping's syncs now copy */
	dev_fill(coh, a, 0x100, 2);
	dma_sync_single_for_cpu(coh, a, 0x100, BI);
	assert_true(is_pat(p, 0x100, 2));
	dma_unmap_single(coh, a, 0x100, BI);
	unload(m);

	/* without a bounce a coherent device's syncs are skipped */
	m = load_oracle("22-probe-streaming", NULL);
	coh = dev(m, "probe@0");
	assert_int_equal(dma_set_mask_and_coherent(coh, DMA_BIT_MASK(32)), 0);
	p = kbuf(0x100, 3);
	a = dma_map_single(coh, p, 0x100, BI);
	assert_int_equal(a, virt_to_phys(p));
	dma_sync_single_for_cpu(coh, a, 0x100, BI);
	{
		struct dmapool_decision x = last(coh);

		assert_string_equal(x.op, "sync_for_cpu");
		assert_true(has_step(&x, "skip-sync", NULL));
		assert_int_equal(x.ncache, 0);
	}
}

/* dma_max_mapping_size(): 256 KiB when the device has a SWIOTLB and is
 * addressing-limited or forced (minus min_align_mask rounded to a slot);
 * else SIZE_MAX, also for a non-coherent device that bounces small
 * buffers or one without a SWIOTLB. */
static void max_mapping_size(void **state)
{
	struct dmapool_machine *m;
	struct device *d;

	(void)state;
	m = load_oracle("22-probe-streaming", NULL);
	assert_int_equal(dma_max_mapping_size(dev(m, "probe@0")), SIZE_MAX);
	assert_int_equal(dma_max_mapping_size(dev(m, "probe@1")), SIZE_MAX);
	assert_int_equal(dma_opt_mapping_size(dev(m, "probe@1")), SIZE_MAX);
	unload(m);
	m = load_oracle("22-probe-streaming", "swiotlb=force");
	d = dev(m, "probe@1");
	assert_int_equal(dma_max_mapping_size(d), 0x40000);
	dma_set_min_align_mask(d, 0x7ff);
	assert_int_equal(dma_max_mapping_size(d), 0x40000 - 0x800);
	dma_set_min_align_mask(d, 0x1fff);
	assert_int_equal(dma_max_mapping_size(d), 0x40000 - 0x2000);
	unload(m);
	m = load_oracle("49-probe-atomic-8G", NULL);
	d = dev(m, "probe@3");
	assert_int_equal(dma_max_mapping_size(d), 0x40000);
	assert_int_equal(dma_set_mask_and_coherent(d, DMA_BIT_MASK(64)), 0);
	assert_int_equal(dma_max_mapping_size(d), SIZE_MAX);
	unload(m);
	m = load_oracle("49-probe-atomic-8G", "swiotlb=noforce");
	assert_int_equal(dma_max_mapping_size(dev(m, "probe@3")), SIZE_MAX);
}

/* The segment limits a driver sets and reads back. */
static void seg_limits_api(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", NULL);
	struct device *d = dev(m, "probe@1");

	(void)state;
	assert_int_equal(dma_get_max_seg_size(d), 65536);
	assert_int_equal(dma_set_max_seg_size(d, 0x100000), 0);
	assert_int_equal(dma_get_max_seg_size(d), 0x100000);
	assert_int_equal(dma_get_seg_boundary(d), ~0UL);
	dma_set_seg_boundary(d, 0xffffffff);
	assert_int_equal(dma_get_seg_boundary(d), 0xffffffff);
	assert_int_equal(dma_get_seg_boundary_nr_pages(d, PAGE_SHIFT), 0x100000);
	dma_set_min_align_mask(d, 0xfff);
	assert_int_equal(dma_get_min_align_mask(d), 0xfff);
	assert_int_equal(dma_get_max_seg_size(dev(m, "probe@0")), 65536);
}

/* ================================================================== */
/* Group 8: memory a driver maps                                      */
/* ================================================================== */

/* kmalloc on arm64 6.12 with a SWIOTLB: classes from 8 bytes, 96 and 192
 * included; objects aligned to their class (96 to 32); the buffers are
 * cacheable linear-map memory of this machine. */
static void kmalloc_classes(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", NULL);
	static const size_t in[] = { 1, 8, 9, 0x20, 0x21, 0x41, 0x60, 0x61, 0x81,
				     0xc1, 0x101, 0x801, 0x1001, 0x2001, 0 };
	static const size_t out[] = { 8, 8, 16, 32, 64, 96, 96, 128, 192,
				      256, 512, 4096, 8192, 16384, 0 };
	uint8_t *a, *b, *z, *p;
	size_t r0;

	(void)state;
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		if (kmalloc_size_roundup(in[i]) != out[i])
			fprintf(stderr, "roundup(%#zx) = %zu, want %zu\n", in[i],
				kmalloc_size_roundup(in[i]), out[i]);
		assert_int_equal(kmalloc_size_roundup(in[i]), out[i]);
	}
	p = kmalloc(0x41, GFP_KERNEL);
	assert_int_equal(ksize(p), 96);
	assert_int_equal((uintptr_t)p % 32, 0);
	assert_int_equal(virt_to_phys(p) % 32, 0);
	p = kmalloc(0x1000, GFP_KERNEL);
	assert_int_equal(virt_to_phys(p) % 0x1000, 0);
	assert_int_equal(dmapool_cpu_attr(m, p), DMAPOOL_ATTR_WB);
	assert_true(virt_to_phys(p) >= 0x40000000 && virt_to_phys(p) < 0xc0000000);
	assert_ptr_equal(phys_to_virt(virt_to_phys(p)), p);
	assert_ptr_equal(page_address(virt_to_page(p + 0x123)), p);
	p = kmalloc(0x3000, GFP_KERNEL);	/* above the caches: pages */
	assert_int_equal(ksize(p), 0x4000);
	assert_int_equal(virt_to_phys(p) % 0x4000, 0);
	/* the lowest free object comes back first; kzalloc zeroes it */
	a = kmalloc(0x80, GFP_KERNEL);
	b = kmalloc(0x80, GFP_KERNEL);
	memset(a, 0xff, 0x80);
	kfree(a);
	z = kzalloc(0x80, GFP_KERNEL);
	assert_ptr_equal(z, a);
	for (int i = 0; i < 0x80; i++)
		assert_int_equal(z[i], 0);
	assert_ptr_not_equal(b, a);
	z = kcalloc(4, 0x10, GFP_KERNEL);
	assert_int_equal(ksize(z), 64);
	assert_null(kcalloc(SIZE_MAX / 2, 4, GFP_KERNEL));
	assert_ptr_equal(kmalloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	kfree(ZERO_SIZE_PTR);
	kfree(NULL);
	/* a double free is reported, nothing is freed twice */
	r0 = reports(m);
	kfree(b);
	kfree(b);
	assert_int_equal(reports(m), r0 + 1);
	assert_non_null(strstr(report_last(m), "kfree("));
	unload(m);

	/* 8 GiB: GFP_KERNEL buffers above 4 GiB, GFP_DMA ones below */
	m = load_oracle("49-probe-atomic-8G", NULL);
	p = kmalloc(0x100, GFP_KERNEL);
	assert_true(virt_to_phys(p) >= 0x100000000ULL);
	p = kmalloc(0x100, GFP_KERNEL | GFP_DMA);
	assert_true(virt_to_phys(p) < 0x100000000ULL);
	unload(m);

	/* no SWIOTLB: the smallest class is the 64-byte line; 96 is gone */
	m = load_oracle("22-probe-streaming", "swiotlb=noforce");
	assert_int_equal(kmalloc_size_roundup(1), 64);
	assert_int_equal(kmalloc_size_roundup(0x41), 128);
	assert_int_equal(kmalloc_size_roundup(0x81), 192);
}

static int ctor_calls;

static void obj_ctor(void *p)
{
	ctor_calls++;
	memset(p, 0x5a, 100);
}

/* kmem_cache: objects of at least the requested alignment from the
 * kmalloc classes, the constructor on every allocation, reuse after free,
 * DMA-mappable like kmalloc memory. */
static void kmem_cache_basics(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", NULL);
	struct device *nc = dev(m, "probe@1");
	struct kmem_cache *c = kmem_cache_create("stream_obj", 100, 64, SLAB_HWCACHE_ALIGN, obj_ctor);
	struct kmem_cache *z = kmem_cache_create("stream_zero", 24, 0, 0, NULL);
	uint8_t *o1, *o2, *o3, *zo, host[8];
	size_t r0;
	dma_addr_t a;

	(void)state;
	assert_non_null(c);
	assert_non_null(z);
	assert_null(kmem_cache_create("bad", 100, 3, 0, NULL));
	assert_null(kmem_cache_create("bad", 0, 8, 0, NULL));
	o1 = kmem_cache_alloc(c, GFP_KERNEL);
	assert_non_null(o1);
	assert_int_equal(ctor_calls, 1);
	assert_int_equal(o1[99], 0x5a);
	assert_int_equal((uintptr_t)o1 % 64, 0);
	assert_true(ksize(o1) >= 128);
	o2 = kmem_cache_alloc(c, GFP_KERNEL);
	assert_ptr_not_equal(o1, o2);
	kmem_cache_free(c, o1);
	o3 = kmem_cache_alloc(c, GFP_KERNEL);
	assert_ptr_equal(o3, o1);
	assert_int_equal(ctor_calls, 3);
	zo = kmem_cache_alloc(z, GFP_KERNEL);
	memset(zo, 0xee, 24);
	kmem_cache_free(z, zo);
	zo = kmem_cache_zalloc(z, GFP_KERNEL);
	for (int i = 0; i < 24; i++)
		assert_int_equal(zo[i], 0);
	a = dma_map_single(nc, o2, 100, TO);
	assert_int_equal(a, virt_to_phys(o2));
	dma_unmap_single(nc, a, 100, TO);
	r0 = reports(m);
	kmem_cache_free(c, host);
	assert_int_equal(reports(m), r0 + 1);
	assert_non_null(strstr(report_last(m), "kmem_cache_free(stream_obj"));
	kmem_cache_free(c, o2);
	kmem_cache_free(c, o3);
	kmem_cache_free(z, zo);
	kmem_cache_destroy(c);
	kmem_cache_destroy(z);
}

/* alloc_pages and friends: naturally aligned blocks, struct page tokens
 * that step by pfn, the buddy's exact reuse, zeroing only when asked,
 * double frees reported. */
static void alloc_pages_basics(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", NULL);
	struct page *pg = alloc_pages(GFP_KERNEL, 2), *again, *one;
	unsigned long pfn, va;
	uint8_t *z;
	size_t r0;

	(void)state;
	assert_non_null(pg);
	pfn = page_to_pfn(pg);
	assert_int_equal(pfn % 4, 0);
	assert_int_equal(page_to_phys(pg), (phys_addr_t)pfn << PAGE_SHIFT);
	assert_int_equal((uintptr_t)page_address(pg) % PAGE_SIZE, 0);
	assert_ptr_equal(pfn_to_page(pfn), pg);
	assert_ptr_not_equal(pfn_to_page(pfn + 1), pg);
	assert_ptr_equal(page_address(pfn_to_page(pfn + 1)), (char *)page_address(pg) + PAGE_SIZE);
	assert_int_equal(dmapool_cpu_attr(m, page_address(pg)), DMAPOOL_ATTR_WB);
	memset(page_address(pg), 0x77, 4 * PAGE_SIZE);
	__free_pages(pg, 2);
	again = alloc_pages(GFP_KERNEL, 2);
	assert_ptr_equal(again, pg);
	__free_pages(again, 2);
	again = alloc_pages(GFP_KERNEL | __GFP_ZERO, 2);
	assert_ptr_equal(again, pg);
	z = page_address(again);
	for (size_t i = 0; i < 4 * PAGE_SIZE; i++)
		assert_int_equal(z[i], 0);
	one = alloc_page(GFP_KERNEL);
	assert_non_null(one);
	__free_page(one);
	assert_ptr_equal(alloc_page(GFP_KERNEL), one);
	va = __get_free_pages(GFP_KERNEL, 1);
	assert_int_not_equal(va, 0);
	assert_int_equal(va % PAGE_SIZE, 0);
	assert_int_equal(virt_to_phys((void *)va) % (2 * PAGE_SIZE), 0);
	free_pages(va, 1);
	va = get_zeroed_page(GFP_KERNEL);
	z = (uint8_t *)va;
	for (size_t i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(z[i], 0);
	free_page(va);
	r0 = reports(m);
	__free_page(one);
	__free_page(one);
	assert_int_equal(reports(m), r0 + 1);
	assert_non_null(strstr(report_last(m), "__free_pages("));
	__free_pages(again, 2);
}

/* vmalloc: virtually contiguous memory outside the linear map, its pages
 * reachable through vmalloc_to_page() (and DMA-mappable that way); vfree
 * of anything else is reported. */
static void vmalloc_basics(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", NULL);
	struct device *coh = dev(m, "probe@0");
	uint8_t *v = vmalloc(3 * PAGE_SIZE + 100), *z, *k;
	struct page *p0, *p1;
	size_t n0, r0;
	dma_addr_t a;

	(void)state;
	assert_non_null(v);
	assert_true(is_vmalloc_addr(v));
	assert_true(is_vmalloc_addr(v + 3 * PAGE_SIZE + 99));
	k = kmalloc(64, GFP_KERNEL);
	assert_false(is_vmalloc_addr(k));
	p0 = vmalloc_to_page(v);
	p1 = vmalloc_to_page(v + PAGE_SIZE + 5);
	assert_non_null(p0);
	assert_non_null(p1);
	assert_ptr_not_equal(p0, p1);
	assert_null(vmalloc_to_page(k));
	assert_int_equal(vmalloc_to_pfn(v + PAGE_SIZE), page_to_pfn(p1));
	/* the linear alias of the page sees what the vmalloc address wrote */
	assert_ptr_not_equal(page_address(p1), v + PAGE_SIZE);
	memset(v + PAGE_SIZE, 0x42, PAGE_SIZE);
	assert_int_equal(((uint8_t *)page_address(p1))[17], 0x42);
	/* mapped page by page */
	a = dma_map_page(coh, p1, 0x10, 0x100, TO);
	assert_int_equal(a, page_to_phys(p1) + 0x10);
	dma_unmap_page(coh, a, 0x100, TO);
	z = vzalloc(2 * PAGE_SIZE);
	for (size_t i = 0; i < 2 * PAGE_SIZE; i++)
		assert_int_equal(z[i], 0);
	assert_null(vmalloc(0));
	vfree(z);
	vfree(v);
	vfree(NULL);
	n0 = logn(m);
	r0 = reports(m);
	vfree(k);
	assert_int_equal(log_count_sub(m, n0, "Trying to vfree() nonexistent vm area"), 1);
	assert_int_equal(reports(m), r0 + 1);
}

/* ================================================================== */
/* Group 9: misuse                                                    */
/* ================================================================== */

/* dma_map_single() of vmalloc memory, or of a remapped coherent buffer,
 * is refused: "rejecting DMA map of vmalloc memory" once per boot, a
 * report every time, DMA_MAPPING_ERROR. */
static void misuse_vmalloc(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", NULL);
	struct device *nc = dev(m, "probe@1"), *coh = dev(m, "probe@0");
	void *v = vmalloc(0x2000), *c;
	size_t n0 = logn(m), r0 = reports(m);
	dma_addr_t a, h;

	(void)state;
	a = dma_map_single(nc, v, 0x100, TO);
	assert_int_equal(a, DMA_MAPPING_ERROR);
	assert_int_equal(dma_mapping_error(nc, a), -ENOMEM);
	assert_int_equal(log_count(m, n0, "dmaprobe probe@1: rejecting DMA map of vmalloc memory"), 1);
	assert_int_equal(reports(m), r0 + 1);
	assert_non_null(strstr(report_last(m), "vmalloc"));
	assert_string_equal(last(nc).backend, "none");
	assert_int_equal(dma_map_single(coh, (char *)v + 0x1000, 0x100, BI), DMA_MAPPING_ERROR);
	assert_int_equal(log_count_sub(m, n0, "rejecting DMA map of vmalloc memory"), 1);
	assert_int_equal(reports(m), r0 + 2);
	c = dma_alloc_coherent(nc, 0x2000, &h, GFP_KERNEL);	/* remapped (WC) */
	assert_non_null(c);
	assert_int_equal(dmapool_cpu_attr(m, c), DMAPOOL_ATTR_WC);
	assert_int_equal(dma_map_single(nc, c, 0x100, TO), DMA_MAPPING_ERROR);
	assert_int_equal(reports(m), r0 + 3);
	assert_int_equal(swiotlb_used_now(m), 0);
	/* the right way: its pages */
	a = dma_map_page(nc, vmalloc_to_page(v), 0, PAGE_SIZE, TO);
	assert_int_equal(a, page_to_phys(vmalloc_to_page(v)));
	dma_unmap_page(nc, a, PAGE_SIZE, TO);
	dma_free_coherent(nc, 0x2000, c, h);
	vfree(v);
}

/* Host memory (malloc, the stack) and another machine's memory are not in
 * this machine's linear map: DMA_MAPPING_ERROR and a report that says so
 * and names kmalloc(). */
static void misuse_host_memory(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", NULL), *other;
	struct device *nc = dev(m, "probe@1");
	char stack_buf[128];
	void *heap = malloc(256), *foreign;
	size_t r0 = reports(m);

	(void)state;
	assert_non_null(heap);
	assert_int_equal(dma_map_single(nc, heap, 256, TO), DMA_MAPPING_ERROR);
	assert_int_equal(reports(m), r0 + 1);
	assert_non_null(strstr(report_last(m), "not in the simulated linear map"));
	assert_non_null(strstr(report_last(m), "kmalloc()"));
	assert_string_equal(last(nc).backend, "none");
	assert_int_equal(dma_map_single(nc, stack_buf, sizeof(stack_buf), FROM), DMA_MAPPING_ERROR);
	assert_int_equal(reports(m), r0 + 2);
	assert_non_null(strstr(report_last(m), "kmalloc()"));
	free(heap);
	other = load_oracle("22-probe-streaming", NULL);
	foreign = kbuf(0x100, 1);		/* other is the current machine */
	assert_int_equal(dma_map_single(nc, foreign, 0x100, TO), DMA_MAPPING_ERROR);
	assert_int_equal(reports(m), r0 + 3);
	assert_int_equal(reports(other), 0);
	assert_int_equal(swiotlb_used_now(m), 0);
}

/* An invalid direction (DMA_NONE, or 7) is the kernel's BUG_ON: here no
 * crash, a report, DMA_MAPPING_ERROR (0 for dma_map_sg, -EINVAL for
 * dma_map_sgtable), and unmaps and syncs are ignored. */
static void misuse_bad_direction(void **state)
{
	struct dmapool_machine *m = load_oracle("22-probe-streaming", NULL);
	struct device *nc = dev(m, "probe@1");
	uint8_t *p = kbuf(0x20, 1);
	struct page *pg = alloc_page(GFP_KERNEL);
	struct scatterlist sg[1];
	struct sg_table sgt;
	size_t r0 = reports(m);
	dma_addr_t a;

	(void)state;
	assert_int_equal(dma_map_single(nc, p, 0x20, DMA_NONE), DMA_MAPPING_ERROR);
	assert_int_equal(reports(m), r0 + 1);
	assert_non_null(strstr(report_last(m), "direction"));
	assert_int_equal(dma_map_single(nc, p, 0x20, (enum dma_data_direction)7), DMA_MAPPING_ERROR);
	assert_int_equal(dma_map_page(nc, pg, 0, 0x100, DMA_NONE), DMA_MAPPING_ERROR);
	assert_int_equal(reports(m), r0 + 3);
	assert_int_equal(swiotlb_used_now(m), 0);
	/* a real (bounced) mapping survives a bad unmap and a bad sync */
	a = dma_map_single(nc, p, 0x20, BI);
	assert_int_equal(a, 0xb9600000);
	dma_unmap_single(nc, a, 0x20, DMA_NONE);
	assert_int_equal(reports(m), r0 + 4);
	assert_int_equal(swiotlb_used_now(m), 1);
	dev_fill(nc, a, 0x20, 2);
	dma_sync_single_for_cpu(nc, a, 0x20, (enum dma_data_direction)7);
	assert_int_equal(reports(m), r0 + 5);
	assert_true(is_pat(p, 0x20, 1));	/* nothing copied */
	dma_sync_single_for_device(nc, a, 0x20, DMA_NONE);
	assert_int_equal(reports(m), r0 + 6);
	dma_unmap_single(nc, a, 0x20, BI);
	assert_true(is_pat(p, 0x20, 2));
	assert_int_equal(swiotlb_used_now(m), 0);
	/* scatter-gather */
	sg_init_one(sg, p, 0x20);
	assert_int_equal(dma_map_sg(nc, sg, 1, DMA_NONE), 0);
	assert_int_equal(sg_alloc_table(&sgt, 1, GFP_KERNEL), 0);
	sg_set_page(sgt.sgl, pg, PAGE_SIZE, 0);
	assert_int_equal(dma_map_sgtable(nc, &sgt, (enum dma_data_direction)7, 0), -EINVAL);
	assert_int_equal(dma_map_sgtable(nc, &sgt, TO, 0), 0);
	dma_sync_sgtable_for_cpu(nc, &sgt, DMA_NONE);
	dma_unmap_sgtable(nc, &sgt, DMA_NONE, 0);
	assert_int_equal(reports(m), r0 + 10);
	dma_unmap_sgtable(nc, &sgt, TO, 0);
	sg_free_table(&sgt);
	assert_int_equal(swiotlb_used_now(m), 0);
	__free_page(pg);
}

/* ------------------------------------------------------------------ */

#define T(f) cmocka_unit_test_teardown(f, test_teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest direct[] = {
		T(map_direct_in_reach),
		T(map_force_bounce),
		T(map_out_of_reach_bounces_8g),
		T(map_out_of_reach_no_swiotlb),
		T(map_outside_window_no_swiotlb),
		T(map_sg_outside_window_warns_once),
		T(map_small_kmalloc_rule),
		T(map_small_kmalloc_noforce),
	};
	const struct CMUnitTest copies[] = {
		T(copies_bidirectional),
		T(copies_to_device),
		T(copies_from_device),
		T(copies_skip_cpu_sync),
		T(sync_single_range_offset),
		T(sync_direct_no_copy),
	};
	const struct CMUnitTest sg[] = {
		T(sg_direct_never_merges),
		T(sg_bounced_and_partial_failure),
		T(sg_table_from_pages_merges),
		T(sg_segment_limits),
	};
	const struct CMUnitTest cache[] = {
		T(cache_arm64),
		T(cache_arm),
		T(cache_riscv64),
		T(cache_x86_64),
		T(cache_bounced_on_slot),
	};
	const struct CMUnitTest swiotlb[] = {
		T(swiotlb_case22_sequence),
		T(swiotlb_full_and_wrap),
		T(swiotlb_areas),
		T(swiotlb_offset_windows),
		T(swiotlb_full_line_limit),
		T(swiotlb_seg_boundary),
		T(swiotlb_min_align_mask),
		T(swiotlb_stride_wrap_quirk),
		T(slot_search_differential),
		T(slot_search_differential_min_align),
		T(swiotlb_summary_check),
	};
	const struct CMUnitTest restricted[] = {
		T(restricted_pool_map_alloc_free),
		T(restricted_pool_needs_knob),
	};
	const struct CMUnitTest api[] = {
		T(map_resource),
		T(need_sync),
		T(max_mapping_size),
		T(seg_limits_api),
	};
	const struct CMUnitTest memory[] = {
		T(kmalloc_classes),
		T(kmem_cache_basics),
		T(alloc_pages_basics),
		T(vmalloc_basics),
		T(highmem_arm),
		T(highmem_none_arm64),
	};
	const struct CMUnitTest misuse[] = {
		T(misuse_vmalloc),
		T(misuse_host_memory),
		T(misuse_bad_direction),
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
		perror("test_streaming: temporary trees");
		remove_trees();
		return 2;
	}
	fails += cmocka_run_group_tests_name("direct_map", direct, group_setup, group_teardown);
	fails += cmocka_run_group_tests_name("copies_syncs", copies, group_setup, group_teardown);
	fails += cmocka_run_group_tests_name("scatterlist", sg, group_setup, group_teardown);
	fails += cmocka_run_group_tests_name("cache", cache, group_setup, group_teardown);
	fails += cmocka_run_group_tests_name("swiotlb", swiotlb, group_setup, group_teardown);
	fails += cmocka_run_group_tests_name("restricted", restricted, group_setup, group_teardown);
	fails += cmocka_run_group_tests_name("api", api, group_setup, group_teardown);
	fails += cmocka_run_group_tests_name("memory", memory, group_setup, group_teardown);
	fails += cmocka_run_group_tests_name("misuse", misuse, group_setup, group_teardown);
	remove_trees();
	return fails ? 1 : 0;
}
