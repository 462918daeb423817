/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Hostile and malformed device trees, generated here from the fixture
 * blobs (the real-board corpus and the recorded oracle cases): each
 * variant is a copy of one fixture changed with libfdt's read-write API,
 * deterministically (fixed seeds, fixed lists).
 *
 * Mutation kinds (one cmocka test each, counted separately):
 *   root-cells   root #address-cells / #size-cells of 0, 3, 5, -1,
 *                missing, of the wrong length
 *   rmem-cells   the same in /reserved-memory, its ranges removed
 *   truncated    reg, size, alignment, alloc-ranges, memory-region,
 *                dma-ranges, iommus, phandle, compatible and bootargs
 *                without NUL, /memory reg, status, initrd ... cut short
 *   huge         sizes near 2^64 (reg, /memory, dynamic size and
 *                alignment, alloc-ranges, initrd, /memreserve/, CMA),
 *                alignment 0 or not a power of two
 *   overlap      overlapping and wrapping ranges: /memory banks,
 *                reserved regions, regions crossing the end of RAM,
 *                dma-ranges and ranges that wrap, far-apart banks
 *   phandle      memory-region / iommus / interrupt-parent loops,
 *                self and root references, dangling, 0 and 0xffffffff,
 *                duplicate phandles, absurd #iommu-cells
 *   many         thousands of regions, banks, nodes, entries, tokens
 *   names        long names, '@' without unit address, non-ASCII,
 *                empty names, duplicates, format characters, new lines
 *   bootargs     cma=, swiotlb=, iommu.*=, mem=, coherent_pool= with
 *                huge, negative and garbage values
 *   random       random DMA-relevant properties on random nodes
 *
 * Every variant must load or fail with -EINVAL or -E2BIG.  A refusal must
 * come with a "libdmapool:" log line (and, where the generator knows what
 * is broken, that line names the node or argument); some variants check
 * an exact kernel or library line.  A machine that loads must give its
 * JSON document, attach its devices' first memory-region entries, make
 * and free a 4 KiB coherent allocation on every device, run its probe
 * nodes (phandle, bootargs and random kinds) and be destroyed; no variant
 * may take more than 10 s (a watchdog ends the run after 60).  The group
 * teardown checks that no descriptor, mapping or library heap block is
 * left (testutil.h).  The last test prints the summary line and asserts
 * at least 500 variants.
 *
 * Usage: test_hostile DTB...   (NAME.expected next to NAME.dtb, if any,
 * gives the board's architecture as test_bootlog reads it)
 *
 * For debugging: HOSTILE_KIND=name runs one kind; HOSTILE_SHOW=text prints
 * the whole log of the variants whose description contains text;
 * HOSTILE_DUMP=text writes such a variant to ./hostile.dtb; HOSTILE_SLOW=1
 * names the variants that take long to generate.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <libfdt.h>

#include "dmapool.h"
#include "testutil.h"
#include <linux/dma-mapping.h>
#include <linux/of_reserved_mem.h>

/* ------------------------------------------------------------------ */
/* The fixture blobs                                                   */

#define MAX_BASES	160
#define MAX_PATHS	48

struct base {
	char name[96];
	const char *arch;
	void *blob;
	size_t size;
	int ac, sc;			/* root cells, 1 when absent */
	char *rmem[MAX_PATHS];		/* /reserved-memory children */
	bool rdyn[MAX_PATHS];		/* ... with "size" and no "reg" */
	int nrmem;
	char *dev[MAX_PATHS];		/* nodes that become devices */
	bool dev_mr[MAX_PATHS];		/* ... with memory-region */
	int ndev;
	char *mem[8];			/* /memory nodes */
	int nmem;
	uint64_t ram_base, ram_end;	/* of the first /memory reg entry */
	uint64_t ram_total;		/* every entry of the first node */
	bool has_rmem, probes, iommus, dma_ranges;
};

static struct base bases[MAX_BASES];
static int nbases;

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		abort();
	return d;
}

static uint64_t rd_cells(const void *p, int n)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	for (int i = 0; i < n; i++, b += 4)
		v = v << 32 | (uint64_t)b[0] << 24 | (uint64_t)b[1] << 16 |
		    (uint64_t)b[2] << 8 | b[3];
	return v;
}

static int blob_cells(const void *fdt, int node, const char *name)
{
	int len;
	const fdt32_t *p = fdt_getprop(fdt, node, name, &len);

	return p && len == 4 ? (int)fdt32_to_cpu(*p) : 1;
}

static bool skipped_top(const char *name)
{
	static const char *const skip[] = {
		"reserved-memory", "chosen", "aliases", "cpus", "memory",
		"__symbols__", "__fixups__", "__local_fixups__",
	};
	size_t bl = strcspn(name, "@");

	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (strlen(skip[i]) == bl && !strncmp(name, skip[i], bl))
			return true;
	return false;
}

static const char *arch_of(const char *dtb)
{
	char path[1024];
	size_t n = strlen(dtb);
	const char *arch = "arm64";
	struct lines exp = { 0 };

	if (n < 4 || n + 16 > sizeof(path))
		return arch;
	snprintf(path, sizeof(path), "%.*s.expected", (int)(n - 4), dtb);
	if (access(path, R_OK))
		return arch;
	lines_read(path, &exp);
	for (size_t i = 0; i < exp.n; i++) {
		const char *s = exp.v[i];

		if (strncmp(s, "# Kernel model:", 15))
			continue;
		arch = strstr(s, "noMMU") ? "arm-nommu" : strstr(s, "ARM 32-bit") ? "arm" :
		       strstr(s, "riscv64") ? "riscv64" : "arm64";
		break;
	}
	lines_free(&exp);
	return arch;
}

static void base_scan(struct base *b)
{
	const void *fdt = b->blob;
	char path[1024];
	int node, depth = 0, skip = -1;

	b->ac = blob_cells(fdt, 0, "#address-cells");
	b->sc = blob_cells(fdt, 0, "#size-cells");
	node = fdt_path_offset(fdt, "/reserved-memory");
	/* only a /reserved-memory the kernel accepts (same cells, ranges) */
	b->has_rmem = node >= 0 && blob_cells(fdt, node, "#address-cells") == b->ac &&
		      blob_cells(fdt, node, "#size-cells") == b->sc &&
		      fdt_getprop(fdt, node, "#address-cells", NULL) &&
		      fdt_getprop(fdt, node, "#size-cells", NULL) &&
		      fdt_getprop(fdt, node, "ranges", NULL);
	if (b->has_rmem) {
		int child;

		fdt_for_each_subnode(child, fdt, node) {
			const char *st = fdt_getprop(fdt, child, "status", NULL);

			if (b->nrmem == MAX_PATHS)
				break;
			if (st && strcmp(st, "okay") && strcmp(st, "ok"))
				continue;
			if (fdt_get_path(fdt, child, path, sizeof(path)))
				continue;
			b->rdyn[b->nrmem] = !fdt_getprop(fdt, child, "reg", NULL) &&
					    fdt_getprop(fdt, child, "size", NULL);
			b->rmem[b->nrmem++] = xstrdup(path);
		}
	}
	for (node = 0; node >= 0; node = fdt_next_node(fdt, node, &depth)) {
		const char *name = fdt_get_name(fdt, node, NULL);
		const char *type = fdt_getprop(fdt, node, "device_type", NULL);

		if (skip >= 0 && depth > skip)
			continue;
		skip = -1;
		if (depth == 0 || !name)
			continue;
		if (depth == 1 && type && !strcmp(type, "memory") && b->nmem < 8 &&
		    !fdt_get_path(fdt, node, path, sizeof(path))) {
			int len;
			const void *reg = fdt_getprop(fdt, node, "reg", &len);

			if (!b->nmem && reg && len >= 4 * (b->ac + b->sc)) {
				int one = 4 * (b->ac + b->sc);

				b->ram_base = rd_cells(reg, b->ac);
				b->ram_end = b->ram_base +
					     rd_cells((const uint8_t *)reg + 4 * b->ac, b->sc);
				for (int k = 0; k + one <= len; k += one)
					b->ram_total += rd_cells((const uint8_t *)reg + k + 4 * b->ac, b->sc);
			}
			b->mem[b->nmem++] = xstrdup(path);
		}
		if (depth == 1 && (skipped_top(name) || (type && !strcmp(type, "memory")))) {
			skip = depth;
			continue;
		}
		if (fdt_getprop(fdt, node, "iommus", NULL))
			b->iommus = true;
		if (fdt_getprop(fdt, node, "dma-ranges", NULL))
			b->dma_ranges = true;
		if (!fdt_getprop(fdt, node, "compatible", NULL))
			continue;
		if (!fdt_node_check_compatible(fdt, node, "libdmapool,probe"))
			b->probes = true;
		if (b->ndev < MAX_PATHS && !fdt_get_path(fdt, node, path, sizeof(path))) {
			b->dev_mr[b->ndev] = fdt_getprop(fdt, node, "memory-region", NULL) != NULL;
			b->dev[b->ndev++] = xstrdup(path);
		}
	}
}

static int base_load(const char *path)
{
	struct base *b;
	FILE *f;
	long n;
	const char *slash, *dot;

	if (nbases == MAX_BASES)
		return -1;
	b = &bases[nbases];
	memset(b, 0, sizeof(*b));
	f = fopen(path, "rb");
	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -1;
	}
	b->blob = malloc((size_t)n);
	if (!b->blob || fread(b->blob, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(b->blob);
		return -1;
	}
	fclose(f);
	b->size = (size_t)n;
	if (fdt_check_full(b->blob, b->size)) {
		free(b->blob);
		return -1;
	}
	slash = strrchr(path, '/');
	slash = slash ? slash + 1 : path;
	dot = strrchr(slash, '.');
	snprintf(b->name, sizeof(b->name), "%.*s",
		 (int)(dot ? dot - slash : (long)strlen(slash)), slash);
	b->arch = arch_of(path);
	base_scan(b);
	nbases++;
	return 0;
}

static void bases_free(void)
{
	for (int i = 0; i < nbases; i++) {
		struct base *b = &bases[i];

		for (int k = 0; k < b->nrmem; k++)
			free(b->rmem[k]);
		for (int k = 0; k < b->ndev; k++)
			free(b->dev[k]);
		for (int k = 0; k < b->nmem; k++)
			free(b->mem[k]);
		free(b->blob);
	}
	nbases = 0;
}

/* ------------------------------------------------------------------ */
/* One variant                                                         */

#define WANT_ANY	1

struct mctx {
	const struct base *b;
	void *fdt;			/* the working copy */
	size_t cap;			/* its buffer */
	unsigned idx;			/* variant number for this base */
	uint64_t rng;
	/* set by the mutation */
	char desc[320];
	char bootargs[512];		/* config bootargs ("" none) */
	const char *knobs;
	uint64_t ram_limit;
	int want_rc;			/* WANT_ANY, 0 or a negative errno */
	char want_line[4096];		/* a log line equal to this */
	char want_prefix[256];		/* a log line starting with this */
	char want_sub[256];		/* the refusal's libdmapool: line has it */
	char want_has[256];		/* some log line contains this */
	bool probes;			/* run the probe nodes */
};

static uint64_t rnd(struct mctx *c)
{
	/* xorshift64* */
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return c->rng * 0x2545f4914f6cdd1dULL;
}

static void desc(struct mctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void desc(struct mctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->desc, sizeof(c->desc), fmt, ap);
	va_end(ap);
}

#define SETF(buf, ...)	snprintf((buf), sizeof(buf), __VA_ARGS__)

/* The result of a mutation: 0 ready, SKIP not applicable here, or a
 * libfdt error (-FDT_ERR_NOSPACE makes the caller retry with more room). */
#define SKIP	1

/* The node at path, each component matched exactly first (libfdt takes
 * "name" for the first "name@unit" sibling when that comes first). */
static int off_of(struct mctx *c, const char *path)
{
	int off = 0;

	if (path[0] != '/')
		return -FDT_ERR_BADPATH;
	while (*path) {
		const char *q;
		int n, child, exact = -1;

		while (*path == '/')
			path++;
		if (!*path)
			break;
		q = strchr(path, '/');
		n = q ? (int)(q - path) : (int)strlen(path);
		fdt_for_each_subnode(child, c->fdt, off) {
			int len;
			const char *nm = fdt_get_name(c->fdt, child, &len);

			if (nm && len == n && !memcmp(nm, path, (size_t)n)) {
				exact = child;
				break;
			}
		}
		off = exact >= 0 ? exact : fdt_subnode_offset_namelen(c->fdt, off, path, n);
		if (off < 0)
			return off;
		path += n;
	}
	return off;
}

static int setprop(struct mctx *c, const char *path, const char *name,
		   const void *val, int len)
{
	int off = off_of(c, path);

	return off < 0 ? off : fdt_setprop(c->fdt, off, name, val, len);
}

static int setu32(struct mctx *c, const char *path, const char *name, uint32_t v)
{
	fdt32_t x = cpu_to_fdt32(v);

	return setprop(c, path, name, &x, 4);
}

static int setstr(struct mctx *c, const char *path, const char *name, const char *s)
{
	return setprop(c, path, name, s, (int)strlen(s) + 1);
}

static int delprop(struct mctx *c, const char *path, const char *name)
{
	int off = off_of(c, path), err;

	if (off < 0)
		return off;
	err = fdt_delprop(c->fdt, off, name);
	return err == -FDT_ERR_NOTFOUND ? 0 : err;
}

static void put_cells(uint8_t *out, int n, uint64_t v)
{
	for (int i = n - 1; i >= 0; i--) {
		uint32_t w = i >= n - 2 ? (uint32_t)v : 0;

		out[4 * i] = (uint8_t)(w >> 24);
		out[4 * i + 1] = (uint8_t)(w >> 16);
		out[4 * i + 2] = (uint8_t)(w >> 8);
		out[4 * i + 3] = (uint8_t)w;
		if (i >= n - 2)
			v >>= 32;
	}
}

/* A property of (a, s) pairs with na and ns cells. */
static int setpairs(struct mctx *c, const char *path, const char *name, int na,
		    int ns, const uint64_t *v, int npairs)
{
	uint8_t buf[64 * 16];
	int one = 4 * (na + ns);

	if (npairs * one > (int)sizeof(buf))
		return -FDT_ERR_BADVALUE;
	for (int i = 0; i < npairs; i++) {
		put_cells(buf + i * one, na, v[2 * i]);
		put_cells(buf + i * one + 4 * na, ns, v[2 * i + 1]);
	}
	return setprop(c, path, name, buf, npairs * one);
}

static int setreg(struct mctx *c, const char *path, uint64_t base, uint64_t size)
{
	uint64_t v[2] = { base, size };

	return setpairs(c, path, "reg", c->b->ac, c->b->sc, v, 1);
}

static int setcells(struct mctx *c, const char *path, const char *name, int n,
		    uint64_t v)
{
	uint8_t buf[16];

	put_cells(buf, n, v);
	return setprop(c, path, name, buf, 4 * n);
}

/* Cut a property to len bytes (it must exist: SKIP otherwise). */
static int truncprop(struct mctx *c, const char *path, const char *name, int len)
{
	uint8_t buf[4096];
	int off = off_of(c, path), have;
	const void *p;

	if (off < 0)
		return off;
	p = fdt_getprop(c->fdt, off, name, &have);
	if (!p || have <= 0)
		return SKIP;
	if (len < 0)
		len = have + len;
	if (len < 0 || len >= have || have > (int)sizeof(buf))
		return SKIP;
	memcpy(buf, p, (size_t)len);
	return fdt_setprop(c->fdt, off, name, buf, len);
}

static int propsize(struct mctx *c, const char *path, const char *name)
{
	int off = off_of(c, path), len;

	if (off < 0 || !fdt_getprop(c->fdt, off, name, &len))
		return -1;
	return len;
}

/* A new child of parent; returns its offset (or a libfdt error). */
static int addnode(struct mctx *c, const char *parent, const char *name)
{
	int off = off_of(c, parent);

	return off < 0 ? off : fdt_add_subnode(c->fdt, off, name);
}

/* The node's phandle, made if it has none. */
static int phandle_of(struct mctx *c, const char *path, uint32_t *ph)
{
	int off = off_of(c, path), len, err;
	const fdt32_t *p;

	if (off < 0)
		return off;
	p = fdt_getprop(c->fdt, off, "phandle", &len);
	if (p && len == 4 && fdt32_to_cpu(*p) && fdt32_to_cpu(*p) != ~0u) {
		*ph = fdt32_to_cpu(*p);
		return 0;
	}
	err = fdt_generate_phandle(c->fdt, ph);
	if (err == -FDT_ERR_BADPHANDLE || err == -FDT_ERR_NOPHANDLES) {
		uint32_t max = 0;
		int n;

		/* a tree that already holds 0xffffffff: pick one by hand */
		for (n = fdt_next_node(c->fdt, -1, NULL); n >= 0;
		     n = fdt_next_node(c->fdt, n, NULL)) {
			const fdt32_t *q = fdt_getprop(c->fdt, n, "phandle", &len);

			if (q && len == 4 && fdt32_to_cpu(*q) != ~0u &&
			    fdt32_to_cpu(*q) > max)
				max = fdt32_to_cpu(*q);
		}
		*ph = max + 1;
		err = 0;
	}
	if (err)
		return err;
	return fdt_setprop_u32(c->fdt, off, "phandle", *ph);
}

/*
 * Thousands of new children for one node, written in one pass: the tree
 * is copied with the sequential-write API and emit() writes child i
 * (fdt_begin_node ... fdt_end_node) at the end of parent.  fdt_add_subnode
 * would look every sibling up on each call (quadratic).
 */
typedef int (*emit_fn)(struct mctx *c, void *sw, int i);

static int inject_props(struct mctx *c, const char *parent, int n, emit_fn emit,
			emit_fn props)
{
	int target = off_of(c, parent), offset = 0, next, depth = 0, tdepth = -1, err = 0;
	void *out;

	if (target < 0)
		return target;
	out = malloc(c->cap);
	assert_non_null(out);
	err = fdt_create(out, (int)c->cap);
	for (int i = 0; !err && i < fdt_num_mem_rsv(c->fdt); i++) {
		uint64_t a, sz;

		err = fdt_get_mem_rsv(c->fdt, i, &a, &sz) ?: fdt_add_reservemap_entry(out, a, sz);
	}
	if (!err)
		err = fdt_finish_reservemap(out);
	while (!err) {
		uint32_t tag = fdt_next_tag(c->fdt, offset, &next);

		if (tag == FDT_END)
			break;
		switch (tag) {
		case FDT_BEGIN_NODE:
			err = fdt_begin_node(out, fdt_get_name(c->fdt, offset, NULL));
			depth++;
			if (offset == target) {
				tdepth = depth;
				if (props && !err)
					err = props(c, out, 0);
			}
			break;
		case FDT_PROP: {
			int len;
			const struct fdt_property *pr = fdt_get_property_by_offset(c->fdt, offset, &len);

			err = pr ? fdt_property(out, fdt_string(c->fdt, (int)fdt32_to_cpu(pr->nameoff)),
						pr->data, len) : -FDT_ERR_BADSTRUCTURE;
			break;
		}
		case FDT_END_NODE:
			if (depth == tdepth) {
				for (int i = 0; !err && i < n; i++)
					err = emit(c, out, i);
				tdepth = -1;
			}
			if (!err)
				err = fdt_end_node(out);
			depth--;
			break;
		case FDT_NOP:
			break;
		default:
			err = -FDT_ERR_BADSTRUCTURE;
		}
		offset = next;
	}
	if (!err)
		err = fdt_finish(out);
	if (!err)
		err = fdt_open_into(out, c->fdt, (int)c->cap);
	free(out);
	return err;
}

static int inject(struct mctx *c, const char *parent, int n, emit_fn emit)
{
	return inject_props(c, parent, n, emit, NULL);
}

static const char *node_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* A device: prefer one with memory-region when mr. */
static const char *pick_dev(struct mctx *c, bool mr)
{
	const struct base *b = c->b;

	if (!b->ndev)
		return NULL;
	if (mr)
		for (int k = 0; k < b->ndev; k++) {
			int i = (int)((c->idx + (unsigned)k) % (unsigned)b->ndev);

			if (b->dev_mr[i])
				return b->dev[i];
		}
	return b->dev[c->idx % (unsigned)b->ndev];
}

/* A reserved-memory child: static (reg) or dynamic (size). */
static const char *pick_rmem(struct mctx *c, int dynamic)
{
	const struct base *b = c->b;

	for (int k = 0; k < b->nrmem; k++) {
		int i = (int)((c->idx + (unsigned)k) % (unsigned)b->nrmem);

		if (dynamic < 0 || (bool)dynamic == b->rdyn[i])
			return b->rmem[i];
	}
	return NULL;
}

static const char *chosen(struct mctx *c)
{
	if (off_of(c, "/chosen") < 0 && addnode(c, "/", "chosen") < 0)
		return NULL;
	return "/chosen";
}

static uint64_t ones(int cells)
{
	return cells >= 2 ? ~0ULL : 0xffffffffULL;
}

/* ------------------------------------------------------------------ */
/* Running a variant                                                   */

struct kind_stats {
	unsigned total, loaded, refused, skipped, failures;
	unsigned exact, subs;		/* exact lines and names checked */
	double secs, slowest, gen_secs;
	uint64_t heap_max;		/* largest heap of a loaded machine */
	char slowest_desc[320];
};

static struct lines logv;
static struct mctx *running;		/* for the watchdog */

static void sink(void *ctx, const char *line)
{
	lines_add(ctx, line);
}

static void watchdog(int sig)
{
	static const char msg[] = "test_hostile: a variant ran for 60 s (hang): ";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0 ||
	    (running && write(2, running->desc, strlen(running->desc)) < 0) ||
	    write(2, "\n", 1) < 0)
		_exit(3);
	_exit(3);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static bool log_has(const char *line)
{
	for (size_t i = 0; i < logv.n; i++)
		if (!strcmp(logv.v[i], line))
			return true;
	return false;
}

static const char *log_prefixed(const char *pfx)
{
	for (size_t i = 0; i < logv.n; i++)
		if (!strncmp(logv.v[i], pfx, strlen(pfx)))
			return logv.v[i];
	return NULL;
}

static void dump_log(void)
{
	size_t from = logv.n > 40 ? logv.n - 40 : 0;

	for (size_t i = from; i < logv.n; i++)
		fprintf(stderr, "    | %.300s\n", logv.v[i]);
}

/* What a driver does with every device: attach its first regions, one
 * coherent page, free, release. */
static void exercise(struct dmapool_machine *m, bool probes, const char *what)
{
	char *json = dmapool_machine_json(m);

	if (!json)
		fail_msg("%s: dmapool_machine_json returned NULL", what);
	free(json);
	for (size_t i = 0; i < dmapool_device_count(m); i++) {
		struct device *d = dmapool_device_at(m, i);
		dma_addr_t h = 0;
		void *p;

		assert_non_null(d);
		of_reserved_mem_device_init_by_idx(d, dev_of_node(d), 0);
		of_reserved_mem_device_init_by_idx(d, dev_of_node(d), 1);
		p = dma_alloc_coherent(d, 4096, &h, GFP_KERNEL);
		if (p)
			dma_free_coherent(d, 4096, p, h);
		of_reserved_mem_device_release(d);
		assert_true(dmapool_device_find(m, dmapool_device_path(d)) != NULL);
	}
	if (probes)
		assert_true(dmapool_run_probes(m) >= 0);
}

/* The heap a loaded machine may hold (bitmaps of a 1 TiB RAM span are
 * about 130 MiB; a value from the tree must not push it further). */
#define MAX_HEAP	(512ULL << 20)

/* Load, check, use, destroy.  Returns false on a failed expectation. */
static bool run_variant(struct mctx *c, struct kind_stats *st)
{
	struct dmapool_config cfg;
	struct dmapool_machine *m = (struct dmapool_machine *)1;
	struct dmapool_heap_stats heap0;
	const char *why = NULL;
	char whybuf[600];
	double t0 = now(), dt;
	int rc;

	lines_free(&logv);
	memset(&cfg, 0, sizeof(cfg));
	cfg.arch = c->b->arch;
	cfg.log_sink = sink;
	cfg.log_ctx = &logv;
	cfg.bootargs = c->bootargs[0] ? c->bootargs : NULL;
	cfg.knobs = c->knobs;
	cfg.ram_limit = c->ram_limit;
	running = c;
	alarm(60);
	dmapool_heap_stats(&heap0);
	rc = dmapool_machine_load_blob(c->fdt, fdt_totalsize(c->fdt), &cfg, &m);
	if ((rc == 0) != (m != NULL)) {
		SETF(whybuf, "rc %d but machine %p", rc, (void *)m);
		why = whybuf;
		m = NULL;
	} else if (rc && rc != -EINVAL && rc != -E2BIG) {
		SETF(whybuf, "rc %d (%s): not -EINVAL or -E2BIG", rc, dmapool_strerror(rc));
		why = whybuf;
	} else if (c->want_rc != WANT_ANY && rc != c->want_rc) {
		SETF(whybuf, "rc %d, expected %d", rc, c->want_rc);
		why = whybuf;
	} else if (rc) {
		const char *l = log_prefixed("libdmapool:");

		if (!l || strlen(l) <= strlen("libdmapool: ")) {
			why = "refused without a 'libdmapool:' line";
		} else if (c->want_sub[0]) {
			/* the line that says why names the node or argument */
			bool named = false;

			for (size_t i = 0; i < logv.n; i++)
				if (!strncmp(logv.v[i], "libdmapool:", 11) &&
				    strstr(logv.v[i], c->want_sub))
					named = true;
			if (!named) {
				SETF(whybuf, "no 'libdmapool:' line names '%s'", c->want_sub);
				why = whybuf;
			}
			st->subs++;
		}
	}
	if (!why && c->want_line[0]) {
		if (!log_has(c->want_line)) {
			SETF(whybuf, "missing line '%.300s'", c->want_line);
			why = whybuf;
		}
		st->exact++;
	}
	if (!why && c->want_prefix[0] && !log_prefixed(c->want_prefix)) {
		SETF(whybuf, "no line starting '%.200s'", c->want_prefix);
		why = whybuf;
	}

	if (rc == 0 && m) {
		struct dmapool_heap_stats h;

		/* no host memory in proportion to a size in the tree */
		dmapool_heap_stats(&h);
		if (h.bytes - heap0.bytes > st->heap_max)
			st->heap_max = h.bytes - heap0.bytes;
		if (h.bytes - heap0.bytes > MAX_HEAP && !why) {
			SETF(whybuf, "the machine holds %llu MiB of host heap",
			     (unsigned long long)((h.bytes - heap0.bytes) >> 20));
			why = whybuf;
		}
		if (dmapool_log_count(m) != logv.n && !why) {
			SETF(whybuf, "dmapool_log_count %zu, the sink saw %zu",
			     dmapool_log_count(m), logv.n);
			why = whybuf;
		}
		exercise(m, c->probes, c->desc);
		dmapool_machine_destroy(m);
		st->loaded++;
	} else {
		st->refused++;
	}
	/* lines of the boot or of the drivers' calls after it */
	if (!why && c->want_has[0]) {
		bool found = false;

		for (size_t i = 0; i < logv.n && !found; i++)
			found = strstr(logv.v[i], c->want_has) != NULL;
		if (!found) {
			SETF(whybuf, "no line containing '%.200s'", c->want_has);
			why = whybuf;
		}
		st->exact++;
	}
	alarm(0);
	running = NULL;
	dt = now() - t0;
	st->total++;
	st->secs += dt;
	if (dt > st->slowest) {
		st->slowest = dt;
		SETF(st->slowest_desc, "%s", c->desc);
	}
	if (dt > 10.0 && !why) {
		SETF(whybuf, "took %.1f s", dt);
		why = whybuf;
	}
	if (getenv("HOSTILE_SHOW") && strstr(c->desc, getenv("HOSTILE_SHOW"))) {
		/* HOSTILE_SHOW=text: the whole log of the variants named so */
		fprintf(stderr, "  %s: rc %d\n", c->desc, rc);
		for (size_t i = 0; i < logv.n; i++)
			fprintf(stderr, "    | %.300s\n", logv.v[i]);
	}
	if (why) {
		fprintf(stderr, "  FAIL %s: %s\n", c->desc, why);
		dump_log();
		st->failures++;
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Kinds                                                               */

typedef int (*mut_fn)(struct mctx *c);

struct kind {
	const char *name;
	mut_fn fn;
	unsigned nvar;			/* variants tried per base */
	const char *const *only;	/* these bases (NULL: every base) */
	size_t extra;			/* room beyond the base blob */
	struct kind_stats st;
};

/* In the quick loop, one variant in QUICK_STRIDE runs (the same ones
 * every time: the sample depends on nothing but the order). */
#define QUICK_STRIDE	10

static uint64_t seed_of(unsigned kind, unsigned base, unsigned idx)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL * (kind + 1) ^
		     0xbf58476d1ce4e5b9ULL * (base + 1) ^ 0x94d049bb133111ebULL * (idx + 1);

	x ^= x >> 31;
	return x ? x : 1;
}

static void run_kind(struct kind *k, unsigned kno)
{
	/* a fixture renamed or dropped must not shrink the run unnoticed */
	for (const char *const *o = k->only; o && *o; o++) {
		bool given = false;

		for (int bi = 0; bi < nbases; bi++)
			given |= !strcmp(bases[bi].name, *o);
		if (!given)
			fail_msg("%s: fixture %s.dtb not given on the command line", k->name, *o);
	}
	unsigned seen = 0;

	for (int bi = 0; bi < nbases; bi++) {
		const struct base *b = &bases[bi];
		bool take = !k->only;

		for (const char *const *o = k->only; o && *o; o++)
			if (!strcmp(*o, b->name))
				take = true;
		if (!take)
			continue;
		for (unsigned idx = 0; idx < k->nvar; idx++) {
			size_t cap = b->size + k->extra + 4096;
			struct mctx c;
			double t0;
			void *buf;
			int err;

			/* the quick loop (tests/testutil.h): every
			 * QUICK_STRIDE-th variant of each kind */
			if (tu_quick() && seen++ % QUICK_STRIDE)
				continue;
			for (;;) {
				buf = malloc(cap);
				assert_non_null(buf);
				memset(&c, 0, sizeof(c));
				c.b = b;
				c.idx = idx;
				c.rng = seed_of(kno, (unsigned)bi, idx);
				c.want_rc = WANT_ANY;
				c.fdt = buf;
				c.cap = cap;
				assert_int_equal(fdt_open_into(b->blob, buf, (int)cap), 0);
				t0 = now();
				err = k->fn(&c);
				t0 = now() - t0;
				k->st.gen_secs += t0;
				if (getenv("HOSTILE_SLOW") && t0 > 0.05)
					print_message("generating %s/%s #%u took %.3f s\n", k->name,
						      b->name, idx, t0);
				if (err != -FDT_ERR_NOSPACE || cap > (256u << 20))
					break;
				free(buf);
				cap *= 2;
			}
			if (err == SKIP) {
				k->st.skipped++;
				free(buf);
				continue;
			}
			if (err) {
				free(buf);
				fail_msg("%s/%s #%u: the generator failed: %s", k->name,
					 b->name, idx, fdt_strerror(err));
			}
			/* the prefix every report starts with */
			{
				char d[320];

				SETF(d, "%.12s/%.50s #%u: %.200s", k->name, b->name, idx, c.desc);
				memcpy(c.desc, d, sizeof(c.desc));
			}
			fdt_pack(buf);
			if (getenv("HOSTILE_DUMP") && strstr(c.desc, getenv("HOSTILE_DUMP"))) {
				/* HOSTILE_DUMP=text: write that variant to hostile.dtb */
				FILE *f = fopen("hostile.dtb", "wb");

				if (f) {
					fwrite(buf, 1, fdt_totalsize(buf), f);
					fclose(f);
				}
				print_message("wrote hostile.dtb: %s\n", c.desc);
			}
			run_variant(&c, &k->st);
			free(buf);
		}
	}
	lines_free(&logv);
	print_message("%-11s %4u variants, %4u loaded, %4u refused, %3u exact lines, %3u names checked, %.2f s (generating %.2f s; slowest %.3f s: %s; largest heap %llu KiB)\n",
		      k->name, k->st.total, k->st.loaded, k->st.refused, k->st.exact,
		      k->st.subs, k->st.secs, k->st.gen_secs, k->st.slowest, k->st.slowest_desc,
		      (unsigned long long)(k->st.heap_max >> 10));
	if (k->st.failures)
		fail_msg("%s: %u of %u variants failed", k->name, k->st.failures, k->st.total);
}

/* ------------------------------------------------------------------ */
/* Mutations                                                           */

#define PFX	"OF: reserved mem: "

/* %pa as the library prints it for the base's architecture */
static const char *pa(const struct mctx *c, uint64_t v, char buf[24])
{
	bool narrow = !strcmp(c->b->arch, "arm") || !strcmp(c->b->arch, "arm-nommu");

	snprintf(buf, 24, "0x%0*llx", narrow ? 8 : 16, (unsigned long long)v);
	return buf;
}

static bool is_arm64(const struct mctx *c)
{
	return !strcmp(c->b->arch, "arm64");
}

/* The first (base, size) of a node's reg, with the root's cells. */
static bool first_reg(struct mctx *c, const char *path, uint64_t *base, uint64_t *size)
{
	int off = off_of(c, path), len;
	const uint8_t *p = off >= 0 ? fdt_getprop(c->fdt, off, "reg", &len) : NULL;

	if (!p || len < 4 * (c->b->ac + c->b->sc))
		return false;
	*base = rd_cells(p, c->b->ac);
	*size = rd_cells(p + 4 * c->b->ac, c->b->sc);
	return true;
}

/* /reserved-memory, made (root cells, empty ranges) when absent. */
static const char *rmem_node(struct mctx *c)
{
	int off = off_of(c, "/reserved-memory");

	if (off < 0) {
		off = addnode(c, "/", "reserved-memory");
		if (off < 0 || fdt_setprop_u32(c->fdt, off, "#address-cells", (uint32_t)c->b->ac) ||
		    fdt_setprop_u32(c->fdt, off, "#size-cells", (uint32_t)c->b->sc) ||
		    fdt_setprop(c->fdt, off, "ranges", NULL, 0))
			return NULL;
	}
	return "/reserved-memory";
}

/* A new static reserved region; path in out. */
static int new_region(struct mctx *c, const char *name, uint64_t base, uint64_t size,
		      bool nomap, char out[128])
{
	const char *r = rmem_node(c);
	int off;

	if (!r)
		return -FDT_ERR_NOSPACE;
	snprintf(out, 128, "/reserved-memory/%s", name);
	off = addnode(c, r, name);
	if (off < 0)
		return off;
	if (nomap && fdt_setprop(c->fdt, off, "no-map", NULL, 0))
		return -FDT_ERR_NOSPACE;
	return setreg(c, out, base, size);
}

/* A bus of 2/2 cells under the root with one device (hostile tests of
 * ranges and dma-ranges); dev_out gets the device's path. */
static int new_bus(struct mctx *c, const char *ranges, int rlen,
		   const char *dmaranges, int dlen)
{
	int bus = addnode(c, "/", "hbus@0"), dev;

	if (bus < 0)
		return bus;
	if (fdt_setprop_u32(c->fdt, bus, "#address-cells", 2) ||
	    fdt_setprop_u32(c->fdt, bus, "#size-cells", 2) ||
	    fdt_setprop_string(c->fdt, bus, "compatible", "simple-bus") ||
	    fdt_setprop(c->fdt, bus, "ranges", ranges, rlen))
		return -FDT_ERR_NOSPACE;
	if (dmaranges && fdt_setprop(c->fdt, bus, "dma-ranges", dmaranges, dlen))
		return -FDT_ERR_NOSPACE;
	dev = fdt_add_subnode(c->fdt, bus, "hdev@1000");
	if (dev < 0)
		return dev;
	{
		uint8_t reg[16];

		put_cells(reg, 2, 0x1000);
		put_cells(reg + 8, 2, 0x1000);
		if (fdt_setprop_string(c->fdt, dev, "compatible", "hostile,dev") ||
		    fdt_setprop(c->fdt, dev, "reg", reg, 16))
			return -FDT_ERR_NOSPACE;
	}
	return 0;
}

/* dma-ranges / ranges entries for hbus: (child 2 cells, parent with the
 * root's cells, size 2 cells). */
static int bus_entries(const struct mctx *c, uint8_t *out, const uint64_t *v, int n)
{
	int one = 4 * (2 + c->b->ac + 2);

	for (int i = 0; i < n; i++) {
		put_cells(out + i * one, 2, v[3 * i]);
		put_cells(out + i * one + 8, c->b->ac, v[3 * i + 1]);
		put_cells(out + i * one + 8 + 4 * c->b->ac, 2, v[3 * i + 2]);
	}
	return n * one;
}

/* ---- root-cells ---- */

static int mut_root_cells(struct mctx *c)
{
	static const uint32_t vals[] = { 0, 3, 5, 0xffffffffu };
	bool size = c->idx & 1;
	const char *prop = size ? "#size-cells" : "#address-cells";
	unsigned k = c->idx / 2;
	int ac = c->b->ac, sc = c->b->sc;
	uint8_t eight[8] = { 0, 0, 0, 0, 0, 0, 0, 2 };

	if (k < 4) {
		if (size)
			sc = (int)vals[k];
		else
			ac = (int)vals[k];
		desc(c, "root %s = %d", prop, (int)vals[k]);
		c->want_rc = -EINVAL;
		SETF(c->want_line, "libdmapool: /: unsupported #address-cells=%d #size-cells=%d (1 or 2 expected)",
		     ac, sc);
		SETF(c->want_sub, "/: unsupported #address-cells");
		return setu32(c, "/", prop, vals[k]);
	}
	if (k == 4) {
		desc(c, "root %s missing", prop);
		return delprop(c, "/", prop);
	}
	if (k == 5) {
		desc(c, "root %s 8 bytes long", prop);
		return setprop(c, "/", prop, eight, 8);
	}
	desc(c, "root %s empty", prop);
	return setprop(c, "/", prop, NULL, 0);
}

/* ---- rmem-cells ---- */

static int mut_rmem_cells(struct mctx *c)
{
	static const uint32_t vals[] = { 0, 3, 5 };
	const char *r = "/reserved-memory";
	bool size = c->idx & 1;
	const char *prop = size ? "#size-cells" : "#address-cells";
	unsigned k = c->idx / 2;
	int err;

	if (!c->b->has_rmem)
		return SKIP;
	/* __reserved_mem_check_root fails: both scans say so and go on */
	c->want_rc = 0;
	SETF(c->want_line, PFX "Reserved memory: unsupported node format, ignoring");
	if (k < 3) {
		desc(c, "/reserved-memory %s = %u", prop, vals[k]);
		return setu32(c, r, prop, vals[k]);
	}
	if (k == 3) {
		desc(c, "/reserved-memory %s missing", prop);
		return delprop(c, r, prop);
	}
	switch (c->idx) {
	case 8:
		desc(c, "/reserved-memory without ranges");
		return delprop(c, r, "ranges");
	case 9: {
		uint8_t v[8] = { 0, 0, 0, 0, 0, 0, 0, 2 };

		desc(c, "/reserved-memory #size-cells 8 bytes long");
		return setprop(c, r, "#size-cells", v, 8);
	}
	case 10: {
		uint8_t v[48];
		uint64_t e[6] = { 0, 0x1000, 0x1000, 0x2000, 0x4000, 0x1000 };

		c->want_line[0] = 0;	/* only its presence is checked */
		desc(c, "/reserved-memory with non-empty ranges");
		for (int i = 0; i < 3; i++)
			put_cells(v + 8 * i, 2, e[2 * i]);
		return setprop(c, r, "ranges", v, 24);
	}
	default:
		c->want_line[0] = 0;
		desc(c, "every reserved-memory child with #address-cells = 3");
		for (int i = 0; i < c->b->nrmem; i++)
			if ((err = setu32(c, c->b->rmem[i], "#address-cells", 3)))
				return err;
		return 0;
	}
}

/* ---- truncated ---- */

/* The first node with a non-empty property name, or NULL. */
static const char *find_with(struct mctx *c, const char *name, char out[512])
{
	int len;

	for (int n = fdt_next_node(c->fdt, -1, NULL); n >= 0; n = fdt_next_node(c->fdt, n, NULL))
		if (fdt_getprop(c->fdt, n, name, &len) && len > 0 &&
		    !fdt_get_path(c->fdt, n, out, 512))
			return out;
	return NULL;
}

/* The node the first phandle of path's property points at. */
static const char *target_of(struct mctx *c, const char *path, const char *name,
			     char out[512])
{
	int off = off_of(c, path), len, t;
	const fdt32_t *p = off >= 0 ? fdt_getprop(c->fdt, off, name, &len) : NULL;

	if (!p || len < 4)
		return NULL;
	t = fdt_node_offset_by_phandle(c->fdt, fdt32_to_cpu(p[0]));
	if (t < 0 || fdt_get_path(c->fdt, t, out, 512))
		return NULL;
	return out;
}

static int mut_truncated(struct mctx *c)
{
	const struct base *b = c->b;
	const char *s = pick_rmem(c, 0), *d = pick_rmem(c, 1), *dev = pick_dev(c, true);
	char path[512], big[3001];
	int len;

	switch (c->idx) {
	case 0:
		if (!s || propsize(c, s, "reg") < 8)
			return SKIP;
		desc(c, "%s reg 4 bytes short", s);
		c->want_rc = 0;
		SETF(c->want_line, PFX "Reserved memory: invalid reg property in '%s', skipping node.",
		     node_name(s));
		return truncprop(c, s, "reg", -4);
	case 1:
		if (!s)
			return SKIP;
		desc(c, "%s reg empty", s);
		c->want_rc = 0;
		return truncprop(c, s, "reg", 0);
	case 2:
		if (!s)
			return SKIP;
		desc(c, "%s reg 1 byte", s);
		c->want_rc = 0;
		SETF(c->want_line, PFX "Reserved memory: invalid reg property in '%s', skipping node.",
		     node_name(s));
		return truncprop(c, s, "reg", 1);
	case 3:
	case 4:
		if (!d)
			return SKIP;
		desc(c, "%s size %u bytes", d, c->idx == 3 ? 1 : 0);
		c->want_rc = 0;
		SETF(c->want_line, PFX "invalid size property in '%s' node.", node_name(d));
		return setprop(c, d, "size", "\x01", c->idx == 3 ? 1 : 0);
	case 5:
		if (!d)
			return SKIP;
		desc(c, "%s alignment 3 bytes", d);
		c->want_rc = 0;
		SETF(c->want_line, PFX "invalid alignment property in '%s' node.", node_name(d));
		return setprop(c, d, "alignment", "\0\x10\0", 3);
	case 6:
		if (!d)
			return SKIP;
		desc(c, "%s alloc-ranges 5 bytes", d);
		c->want_rc = 0;
		SETF(c->want_line, PFX "invalid alloc-ranges property in '%s', skipping node.",
		     node_name(d));
		return setprop(c, d, "alloc-ranges", "\0\0\0\0\x40", 5);
	case 7:
		if (!dev)
			return SKIP;
		desc(c, "%s memory-region 3 bytes", dev);
		c->want_rc = 0;
		if (propsize(c, dev, "memory-region") < 4)
			return setprop(c, dev, "memory-region", "\0\0\x01", 3);
		return truncprop(c, dev, "memory-region", 3);
	case 8: {
		uint8_t v[5] = { 0 };
		int off;
		const void *p;

		if (!dev || (off = off_of(c, dev)) < 0)
			return SKIP;
		p = fdt_getprop(c->fdt, off, "memory-region", &len);
		if (!p || len < 4)
			return SKIP;
		memcpy(v, p, 4);
		desc(c, "%s memory-region one phandle and a stray byte", dev);
		c->want_rc = 0;
		return setprop(c, dev, "memory-region", v, 5);
	}
	case 9:
		if (!find_with(c, "dma-ranges", path))
			return SKIP;
		desc(c, "%s dma-ranges 4 bytes short", path);
		c->want_rc = 0;
		return truncprop(c, path, "dma-ranges", -4);
	case 10:
	case 11:
		if (!find_with(c, "iommus", path))
			return SKIP;
		desc(c, "%s iommus %s", path, c->idx == 10 ? "2 bytes" : "only the phandle");
		c->want_rc = 0;
		return truncprop(c, path, "iommus", c->idx == 10 ? 2 : 4);
	case 12:
	case 13: {
		char t[512];
		uint8_t v[8] = { 0 };
		int off;
		const void *p;

		if (!dev || !target_of(c, dev, "memory-region", t))
			return SKIP;
		desc(c, "%s (memory-region target) phandle %s", t,
		     c->idx == 12 ? "2 bytes" : "8 bytes");
		c->want_rc = 0;
		if (c->idx == 12)
			return truncprop(c, t, "phandle", 2);
		off = off_of(c, t);
		p = fdt_getprop(c->fdt, off, "phandle", &len);
		if (!p || len != 4)
			return SKIP;
		memcpy(v, p, 4);
		return setprop(c, t, "phandle", v, 8);
	}
	case 14:
		if (!s && !d)
			return SKIP;
		desc(c, "%s compatible without NUL", s ? s : d);
		c->want_rc = 0;
		return setprop(c, s ? s : d, "compatible", "shared-dma-pool", 15);
	case 15:
		if (!dev)
			return SKIP;
		desc(c, "%s compatible without NUL", dev);
		c->want_rc = 0;
		return setprop(c, dev, "compatible", "hostile,x", 9);
	case 16:
		if (!chosen(c))
			return -FDT_ERR_NOSPACE;
		desc(c, "bootargs \"cma=32M\" without NUL");
		/* early_init_dt_scan_chosen: strscpy(cmdline, p, min(l, 2048)) */
		c->want_rc = 0;
		SETF(c->want_line, "Kernel command line: cma=32");
		return setprop(c, "/chosen", "bootargs", "cma=32M", 7);
	case 17:
		if (!chosen(c))
			return -FDT_ERR_NOSPACE;
		desc(c, "bootargs of 3000 bytes without NUL");
		memset(big, 'x', 3000);
		c->want_rc = 0;
		/* cut at COMMAND_LINE_SIZE - 1: 2048 on arm64, 1024 on arm and riscv */
		SETF(c->want_line, "Kernel command line: %.*s",
		     is_arm64(c) ? 2047 : 1023, big);
		return setprop(c, "/chosen", "bootargs", big, 3000);
	case 18: {
		int t = 4 * (b->ac + b->sc);

		if (!b->nmem)
			return SKIP;
		desc(c, "%s reg 4 bytes", b->mem[0]);
		SETF(c->want_line, "libdmapool: %s: reg is 4 bytes, shorter than one (address, size) pair of %d bytes (#address-cells=%d #size-cells=%d): node ignored",
		     node_name(b->mem[0]), t, b->ac, b->sc);
		if (b->nmem == 1) {
			c->want_rc = -EINVAL;
			SETF(c->want_sub, "/memory");
		}
		if (propsize(c, b->mem[0], "linux,usable-memory") > 0)
			return SKIP;
		return truncprop(c, b->mem[0], "reg", 4);
	}
	case 19:
		if (!b->nmem)
			return SKIP;
		desc(c, "%s reg 4 bytes short", b->mem[0]);
		return truncprop(c, b->mem[0], "reg", -4);
	case 20:
		if (!s)
			return SKIP;
		desc(c, "%s status \"okay\" without NUL", s);
		c->want_rc = 0;
		return setprop(c, s, "status", "okay", 4);
	case 21:
		if (!b->nmem)
			return SKIP;
		desc(c, "%s device_type \"memory\" without NUL", b->mem[0]);
		return setprop(c, b->mem[0], "device_type", "memory", 6);
	case 22:
		if (!chosen(c))
			return -FDT_ERR_NOSPACE;
		desc(c, "linux,initrd-start 3 bytes, linux,initrd-end 12 bytes");
		c->want_rc = 0;
		if (setprop(c, "/chosen", "linux,initrd-start", "\x40\0\0", 3))
			return -FDT_ERR_NOSPACE;
		return setprop(c, "/chosen", "linux,initrd-end", "\0\0\0\0\0\0\0\0\x48\0\0\0", 12);
	case 23:
		if (!dev)
			return SKIP;
		desc(c, "%s memory-region-names without NUL", dev);
		c->want_rc = 0;
		return setprop(c, dev, "memory-region-names", "abc", 3);
	case 24:
		if (!b->has_rmem)
			return SKIP;
		desc(c, "/reserved-memory #size-cells 2 bytes");
		c->want_rc = 0;
		SETF(c->want_line, PFX "Reserved memory: unsupported node format, ignoring");
		return setprop(c, "/reserved-memory", "#size-cells", "\0\x02", 2);
	case 25: {
		char p2[512];

		if (!find_with(c, "iommus", path) || !target_of(c, path, "iommus", p2))
			return SKIP;
		desc(c, "%s #iommu-cells 2 bytes", p2);
		c->want_rc = 0;
		return setprop(c, p2, "#iommu-cells", "\0\x01", 2);
	}
	case 26:
		if (!dev || propsize(c, dev, "reg") < 4)
			return SKIP;
		desc(c, "%s reg 3 bytes", dev);
		c->want_rc = 0;
		return truncprop(c, dev, "reg", 3);
	case 27: {
		int off, parent;

		if (!dev || (off = off_of(c, dev)) < 0 ||
		    (parent = fdt_parent_offset(c->fdt, off)) <= 0 ||
		    fdt_get_path(c->fdt, parent, path, sizeof(path)) ||
		    propsize(c, path, "ranges") <= 0)
			return SKIP;
		desc(c, "%s ranges 5 bytes", path);
		c->want_rc = 0;
		return truncprop(c, path, "ranges", 5);
	}
	case 28:
		if (!s)
			return SKIP;
		desc(c, "%s (static) size 1 byte", s);
		c->want_rc = 0;
		return setprop(c, s, "size", "\x10", 1);
	default:
		if (!b->nmem)
			return SKIP;
		desc(c, "%s reg empty", b->mem[0]);
		if (b->nmem == 1 && propsize(c, b->mem[0], "linux,usable-memory") <= 0) {
			c->want_rc = -EINVAL;
			SETF(c->want_sub, "/memory");
		}
		return setprop(c, b->mem[0], "reg", NULL, 0);
	}
}

/* ---- huge ---- */

static int mut_huge(struct mctx *c)
{
	const struct base *b = c->b;
	const char *s = pick_rmem(c, 0), *d = pick_rmem(c, 1);
	bool wide = b->ac == 2 && b->sc == 2;
	char a[24], rp[128];
	uint64_t base, size;
	int err;

	switch (c->idx) {
	case 0:
		if (!s || !first_reg(c, s, &base, &size))
			return SKIP;
		desc(c, "%s reg size all ones", s);
		c->want_rc = 0;
		if (wide)
			/* base + size wraps: refused as the library documents */
			SETF(c->want_line, PFX "Reserved memory: failed to reserve memory for node '%s': base %s, size %lu MiB",
			     node_name(s), pa(c, base, a), (unsigned long)(~0ULL / (1 << 20)));
		return setreg(c, s, base, ones(b->sc));
	case 1:
		if (!s || !first_reg(c, s, &base, &size))
			return SKIP;
		desc(c, "%s reg size 2^63 (or 0xfffff000)", s);
		/* all RAM above the region reserved: the kernel's early page
		 * table allocations fail (it panics), refused */
		SETF(c->want_sub, "early allocations");
		return setreg(c, s, base, wide ? 1ULL << 63 : 0xfffff000);
	case 2:
		if (!b->nmem || !wide)
			return SKIP;
		desc(c, "%s reg size all ones", b->mem[0]);
		c->want_rc = -E2BIG;
		SETF(c->want_sub, "exceeds the simulated RAM ceiling");
		delprop(c, b->mem[0], "linux,usable-memory");
		return setreg(c, b->mem[0], b->ram_base, ~0ULL);
	case 3:
		if (!b->nmem || b->ac != 2)
			return SKIP;
		desc(c, "%s reg at 0xfffffffffffff000 size 0x2000 (wraps)", b->mem[0]);
		/* capped at the top it is less than a page: no RAM at all */
		c->want_rc = -EINVAL;
		SETF(c->want_sub, "/memory");
		for (int i = 1; i < b->nmem; i++)
			delprop(c, b->mem[i], "device_type");
		delprop(c, b->mem[0], "linux,usable-memory");
		return setreg(c, b->mem[0], 0xfffffffffffff000ULL, 0x2000);
	case 4: {
		uint64_t v[4] = { b->ram_base, b->ram_end - b->ram_base, 1ULL << 47, 1ULL << 30 };

		if (!b->nmem || !wide || b->ram_end <= b->ram_base)
			return SKIP;
		desc(c, "%s second bank at 128 TiB", b->mem[0]);
		/* the page map of 128 TiB of span: refused */
		c->want_rc = -E2BIG;
		SETF(c->want_sub, "RAM spans");
		delprop(c, b->mem[0], "linux,usable-memory");
		return setpairs(c, b->mem[0], "reg", 2, 2, v, 2);
	}
	case 5:
	case 6:
		if (!d)
			return SKIP;
		size = c->idx == 5 ? ones(b->sc) : wide ? 1ULL << 63 : 0x80000000ULL;
		desc(c, "%s size %#llx", d, (unsigned long long)size);
		c->want_rc = 0;
		if (c->idx == 5 || wide)
			SETF(c->want_line, PFX "failed to allocate memory for node '%s': size %lu MiB",
			     node_name(d), (unsigned long)(size / (1 << 20)));
		if ((err = delprop(c, d, "alloc-ranges")))
			return err;
		return setcells(c, d, "size", b->sc, size);
	case 7:
	case 8:
	case 12:
		if (!d)
			return SKIP;
		size = c->idx == 7 ? ones(b->ac) : c->idx == 8 ? (b->ac == 2 ? 1ULL << 63 : 0x80000000ULL) :
		       (b->ac == 2 ? 0x8000000000000001ULL : 0x80000001ULL);
		desc(c, "%s alignment %#llx", d, (unsigned long long)size);
		c->want_rc = 0;
		if (b->ac == 2 && first_reg(c, d, &base, &base) == false) {
			int off = off_of(c, d), len;
			const uint8_t *p = fdt_getprop(c->fdt, off, "size", &len);

			if (p && len == 4 * b->sc)
				SETF(c->want_line, PFX "failed to allocate memory for node '%s': size %lu MiB",
				     node_name(d), (unsigned long)(rd_cells(p, b->sc) / (1 << 20)));
		}
		return setcells(c, d, "alignment", b->ac, size);
	case 9:
	case 10:
	case 11:
		if (!d)
			return SKIP;
		size = c->idx == 9 ? 0 : c->idx == 10 ? 3 : 0x1001;
		desc(c, "%s alignment %#llx", d, (unsigned long long)size);
		c->want_rc = 0;
		return setcells(c, d, "alignment", b->ac, size);
	case 13:
	case 14:
	case 15:
	case 16: {
		uint64_t v[2];
		int off, len;
		const uint8_t *p;

		if (!d)
			return SKIP;
		if (c->idx == 13) {
			v[0] = ones(b->ac) - 0xfff;
			v[1] = 0x2000;
		} else if (c->idx == 14) {
			v[0] = b->ram_base;
			v[1] = ones(b->sc);
		} else if (c->idx == 15) {
			v[0] = 0;
			v[1] = 0;
		} else {
			if (!wide)
				return SKIP;
			v[0] = 0xffffffff00000000ULL;
			v[1] = 0x100000000ULL;
		}
		desc(c, "%s alloc-ranges <%#llx %#llx>", d, (unsigned long long)v[0],
		     (unsigned long long)v[1]);
		c->want_rc = 0;
		off = off_of(c, d);
		p = fdt_getprop(c->fdt, off, "size", &len);
		/* end below start (13 and 14 when it wraps): nothing found,
		 * as memblock does (end = max(start, end)) */
		if (p && len == 4 * b->sc && (c->idx == 13 ? b->ac == 2 : c->idx == 14 && wide))
			SETF(c->want_line, PFX "failed to allocate memory for node '%s': size %lu MiB",
			     node_name(d), (unsigned long)(rd_cells(p, b->sc) / (1 << 20)));
		return setpairs(c, d, "alloc-ranges", b->ac, b->sc, v, 1);
	}
	case 17:
		if (!d)
			return SKIP;
		desc(c, "%s size 0", d);
		c->want_rc = 0;
		return setcells(c, d, "size", b->sc, 0);
	case 18:
		desc(c, "new region at the top of the address space, 1 MiB (wraps to 0)");
		c->want_rc = 0;
		if (b->ac == 2)
			SETF(c->want_prefix, PFX "Reserved memory: failed to reserve memory for node 'top@fff00000'");
		return new_region(c, "top@fff00000", ones(b->ac) - 0xfffff, 0x100000, false, rp);
	case 19:
	case 20: {
		uint64_t st = c->idx == 19 ? 0xfffffffffffff000ULL : 0, en = ~0ULL;

		if (!chosen(c))
			return -FDT_ERR_NOSPACE;
		desc(c, "initrd %#llx..%#llx", (unsigned long long)st, (unsigned long long)en);
		c->want_rc = 0;
		if (is_arm64(c))
			SETF(c->want_line, "initrd not fully accessible via the linear mapping -- please check your bootloader ...");
		if ((err = setcells(c, "/chosen", "linux,initrd-start", 2, st)))
			return err;
		return setcells(c, "/chosen", "linux,initrd-end", 2, en);
	}
	case 21: {
		int off;

		if (!wide || !b->nmem)
			return SKIP;
		desc(c, "reusable shared-dma-pool of 4 EiB at the end of RAM");
		c->want_rc = 0;
		SETF(c->want_prefix, "libdmapool: CMA area cma-huge (");
		if ((err = new_region(c, "cma-huge", (b->ram_end + 0x3fffff) & ~0x3fffffULL,
				      1ULL << 62, false, rp)))
			return err;
		off = off_of(c, rp);
		if (fdt_setprop_string(c->fdt, off, "compatible", "shared-dma-pool") ||
		    fdt_setprop(c->fdt, off, "reusable", NULL, 0))
			return -FDT_ERR_NOSPACE;
		return 0;
	}
	case 22:
		desc(c, "/memreserve/ 0x50000000 size all ones");
		SETF(c->want_sub, "early allocations");
		return fdt_add_mem_rsv(c->fdt, 0x50000000, ~0ULL);
	case 23:
		if (!b->nmem)
			return SKIP;
		desc(c, "%s linux,usable-memory size all ones", b->mem[0]);
		{
			uint64_t v[2] = { b->ram_base, ones(b->sc) };

			return setpairs(c, b->mem[0], "linux,usable-memory", b->ac, b->sc, v, 1);
		}
	case 24:
	case 25: {
		const char *dev = pick_dev(c, false);
		uint32_t ph;
		int off;

		if (!dev || !wide)
			return SKIP;
		/* 24: a restricted pool over 2^62 bytes; 25: a per-device
		 * pool of 1 TiB outside RAM */
		desc(c, "%s memory-region -> %s", dev,
		     c->idx == 24 ? "restricted-dma-pool of 4 EiB from the last 16 MiB of RAM" :
				    "no-map shared-dma-pool of 1 TiB at 1 TiB");
		c->want_rc = 0;
		if (c->idx == 24)
			c->knobs = "dma_restricted_pool=y";
		else	/* the pool's bitmap would be host memory: bounded */
			SETF(c->want_has, "Reserved memory: failed to init DMA memory pool at 0x0000010000000000, size 1048576 MiB");
		err = new_region(c, c->idx == 24 ? "restricted-huge" : "pool-huge",
				 c->idx == 24 ? b->ram_end - 0x1000000 : 1ULL << 40,
				 c->idx == 24 ? 1ULL << 62 : 1ULL << 40, c->idx == 25, rp);
		if (err)
			return err;
		off = off_of(c, rp);
		if (fdt_setprop_string(c->fdt, off, "compatible",
				       c->idx == 24 ? "restricted-dma-pool" : "shared-dma-pool"))
			return -FDT_ERR_NOSPACE;
		if ((err = phandle_of(c, rp, &ph)))
			return err;
		return setu32(c, dev, "memory-region", ph);
	}
	case 26:
	case 27: {
		const char *dev = NULL;
		static const uint32_t ops[] = {
			1, 0xffffffffu, 2, 0xffffffffu, 9, 0xfffff000u, 4, 0xffffffffu,
			8, 0xffffffffu, 10, 0xffffffffu, 10, 0, 3, 0, 5, 1, 3, 99,
			5, 0xffffffffu, 6, 0, 7, 0x7fffffffu, 77, 1, 1, 0x1000,
		};
		fdt32_t v[sizeof(ops) / sizeof(ops[0])];

		for (int i = 0; i < b->ndev && !dev; i++) {
			int off = off_of(c, b->dev[i]);

			if (off >= 0 && !fdt_node_check_compatible(c->fdt, off, "libdmapool,probe"))
				dev = b->dev[i];
		}
		if (!dev)
			return SKIP;
		for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			v[i] = cpu_to_fdt32(ops[i]);
		c->want_rc = 0;
		c->probes = true;
		if (c->idx == 26) {
			desc(c, "%s probe,ops with sizes near 4 GiB", dev);
			return setprop(c, dev, "probe,ops", v, sizeof(v));
		}
		desc(c, "%s probe,dma-bits 200, probe,region-index 0xffffffff", dev);
		if ((err = setu32(c, dev, "probe,dma-bits", 200)))
			return err;
		return setu32(c, dev, "probe,region-index", 0xffffffffu);
	}
	case 28:
	case 29: {
		/* arm64: RAM above 2^48 goes silently; RAM beyond the 2^47
		 * bytes of linear map goes with the kernel's warning */
		uint64_t v[4] = { b->ram_base, b->ram_end - b->ram_base,
				  c->idx == 28 ? 1ULL << 50 : (1ULL << 47) + (2ULL << 30), 1ULL << 30 };

		if (!b->nmem || !wide || !is_arm64(c) || b->ram_end <= b->ram_base)
			return SKIP;
		desc(c, "%s second bank at %#llx", b->mem[0], (unsigned long long)v[2]);
		c->want_rc = 0;
		if (c->idx == 29)
			SETF(c->want_line, "Memory doesn't fit in the linear mapping, VA_BITS too small");
		delprop(c, b->mem[0], "linux,usable-memory");
		return setpairs(c, b->mem[0], "reg", 2, 2, v, 2);
	}
	case 31:
		if (!b->nmem || b->ac != 2 || !is_arm64(c))
			return SKIP;
		/* above PHYS_MASK_SHIFT: arm64_memblock_init drops it all */
		desc(c, "%s only at 1 PiB", b->mem[0]);
		c->want_rc = -EINVAL;
		SETF(c->want_sub, "physical address space");
		for (int i = 1; i < b->nmem; i++)
			delprop(c, b->mem[i], "device_type");
		delprop(c, b->mem[0], "linux,usable-memory");
		return setreg(c, b->mem[0], 1ULL << 50, 1ULL << 30);
	case 30: {
		/* early_init_dt_add_memory_arch: less than the rest of a page */
		uint64_t v[4] = { b->ram_base, b->ram_end - b->ram_base, 0x800, 0x100 };

		if (!b->nmem || b->ram_end <= b->ram_base || b->ram_base < 0x1000)
			return SKIP;
		desc(c, "%s a second entry of 0x100 bytes at 0x800", b->mem[0]);
		c->want_rc = 0;
		SETF(c->want_line, "OF: fdt: Ignoring memory block 0x800 - 0x900");
		delprop(c, b->mem[0], "linux,usable-memory");
		return setpairs(c, b->mem[0], "reg", b->ac, b->sc, v, 2);
	}
	default:
		return SKIP;
	}
}

/* ---- overlap ---- */

static int mut_overlap(struct mctx *c)
{
	const struct base *b = c->b;
	const char *s = pick_rmem(c, 0);
	uint64_t rb = b->ram_base, re = b->ram_end, base, size;
	char rp[128], rp2[128];
	uint8_t ent[8 * 24];
	int err, n, off;

	if (!b->nmem || re <= rb)
		return SKIP;
	switch (c->idx) {
	case 0:
		desc(c, "a second /memory node with the same reg");
		c->want_rc = 0;
		if ((off = addnode(c, "/", "memory@dup")) < 0)
			return off;
		if ((err = setstr(c, "/memory@dup", "device_type", "memory")))
			return err;
		return setreg(c, "/memory@dup", rb, re - rb);
	case 1:
	case 2:
	case 3: {
		uint64_t v[4] = { rb, re - rb, rb, re - rb };

		if (c->idx == 2) {
			v[2] = rb + (re - rb) / 4;
			v[3] = (re - rb) / 4;
		} else if (c->idx == 3) {
			v[2] = re - 0x1000;
			v[3] = 0x100000;
		}
		desc(c, "%s reg: a bank %s", b->mem[0],
		     c->idx == 1 ? "twice" : c->idx == 2 ? "and a bank inside it" : "and one crossing its end");
		c->want_rc = 0;
		delprop(c, b->mem[0], "linux,usable-memory");
		return setpairs(c, b->mem[0], "reg", b->ac, b->sc, v, 2);
	}
	case 4:
	case 5: {
		int nomap;

		if (!s || !first_reg(c, s, &base, &size) || !size)
			return SKIP;
		off = off_of(c, s);
		nomap = fdt_getprop(c->fdt, off, "no-map", NULL) != NULL;
		desc(c, "a region %s %s", c->idx == 4 ? "equal to" : "overlapping half of", s);
		c->want_rc = 0;
		if (c->idx == 5 && size >= 2)
			SETF(c->want_line, PFX "OVERLAP DETECTED!");
		return new_region(c, c->idx == 4 ? "dup-region" : "half-region",
				  c->idx == 4 ? base : base + size / 2, size, nomap, rp);
	}
	case 6:
		desc(c, "a region crossing the end of RAM");
		c->want_rc = 0;
		return new_region(c, "cross-end", re - 0x100000, 0x200000, false, rp);
	case 7:
	case 8:
		desc(c, "a %sregion covering all of RAM", c->idx == 8 ? "no-map " : "");
		/* nothing left for the kernel's page tables: refused (the
		 * kernel panics), except where the profile models none */
		SETF(c->want_sub, "early allocations");
		if (b->nmem == 1)
			delprop(c, b->mem[0], "linux,usable-memory");
		return new_region(c, "all-ram", rb, b->ram_total, c->idx == 8, rp);
	case 9:
		desc(c, "a region at 0 of one page");
		c->want_rc = 0;
		return new_region(c, "zero@0", 0, 0x1000, true, rp);
	case 10: {
		uint64_t v[4] = { rb, (re - rb) / 2, rb + (re - rb) / 2 + 0x200000,
				  (re - rb) / 2 - 0x200000 };

		desc(c, "two banks and a region spanning both and the hole");
		c->want_rc = 0;
		delprop(c, b->mem[0], "linux,usable-memory");
		if ((err = setpairs(c, b->mem[0], "reg", b->ac, b->sc, v, 2)))
			return err;
		return new_region(c, "span", rb + (re - rb) / 2 - 0x100000, 0x400000, true, rp);
	}
	case 11: {
		uint64_t v[6] = { rb + 0x1000000, 0x100000, rb + 0x1080000, 0x100000,
				  rb + 0x1000000, 0x200000 };

		desc(c, "a region with three overlapping reg entries");
		c->want_rc = 0;
		SETF(c->want_line, PFX "fdt_scan_reserved_mem_reg_nodes() ignores 2 regions in node 'three'");
		if ((err = new_region(c, "three", 0, 0, false, rp)))
			return err;
		return setpairs(c, rp, "reg", b->ac, b->sc, v, 3);
	}
	case 12: {
		uint64_t v[2];

		if (!s || !first_reg(c, s, &base, &size) || !size)
			return SKIP;
		v[0] = base;
		v[1] = size;
		desc(c, "a dynamic region whose alloc-ranges is exactly %s", s);
		c->want_rc = 0;
		if ((err = new_region(c, "dyn-in", 0, 0, false, rp)))
			return err;
		if ((err = delprop(c, rp, "reg")) || (err = setcells(c, rp, "size", b->sc, 0x1000)))
			return err;
		return setpairs(c, rp, "alloc-ranges", b->ac, b->sc, v, 1);
	}
	case 13:
		desc(c, "five dynamic regions of half of RAM each");
		c->want_rc = 0;
		SETF(c->want_prefix, PFX "failed to allocate memory for node 'big");
		for (int i = 0; i < 5; i++) {
			char name[16];

			snprintf(name, sizeof(name), "big%d", i);
			if ((err = new_region(c, name, 0, 0, false, rp)))
				return err;
			if ((err = delprop(c, rp, "reg")) ||
			    (err = setcells(c, rp, "size", b->sc, (b->ram_total / 2) & ~0xfffffULL)))
				return err;
		}
		return 0;
	case 14:
	case 15:
	case 16:
	case 17:
	case 18: {
		uint64_t v[9], r3[3] = { 0, 0, 1ULL << 40 };
		int nent = 1;
		uint8_t rng[64];
		int rl;

		switch (c->idx) {
		case 14:	/* child addresses wrap */
			v[0] = ~0ULL - 0xfff; v[1] = rb; v[2] = 0x2000;
			break;
		case 15:	/* CPU addresses wrap */
			v[0] = 0; v[1] = ones(b->ac) - 0xfff; v[2] = 0x2000;
			break;
		case 16:	/* sizes 0 and all ones */
			v[0] = 0; v[1] = rb; v[2] = 0;
			v[3] = 0x1000; v[4] = rb; v[5] = ~0ULL;
			nent = 2;
			break;
		case 17:	/* contiguous entries whose merged size wraps */
			v[0] = 0; v[1] = 0; v[2] = 1ULL << 63;
			v[3] = 1ULL << 63; v[4] = b->ac == 2 ? 1ULL << 63 : 0; v[5] = 1ULL << 63;
			nent = 2;
			break;
		default:	/* everything onto CPU address 0 */
			v[0] = 0; v[1] = 0; v[2] = ~0ULL;
			v[3] = 0x1000; v[4] = 0; v[5] = 0x1000;
			v[6] = ~0ULL; v[7] = ones(b->ac); v[8] = 1;
			nent = 3;
			break;
		}
		desc(c, "hbus@0 dma-ranges case %u", c->idx - 14);
		c->want_rc = 0;
		n = bus_entries(c, ent, v, nent);
		rl = bus_entries(c, rng, r3, 1);
		return new_bus(c, (const char *)rng, rl, (const char *)ent, n);
	}
	case 19: {
		uint64_t v[3] = { ~0ULL - 0xfff, 0, 0x2000 };
		uint8_t reg[16];

		desc(c, "hbus@0 ranges that wrap, device at the top");
		c->want_rc = 0;
		n = bus_entries(c, ent, v, 1);
		if ((err = new_bus(c, (const char *)ent, n, NULL, 0)))
			return err;
		put_cells(reg, 2, ~0ULL - 0x7ff);
		put_cells(reg + 8, 2, 0x100);
		return setprop(c, "/hbus@0/hdev@1000", "reg", reg, 16);
	}
	case 20:
		if (!s || !first_reg(c, s, &base, &size))
			return SKIP;
		desc(c, "cma=64M at %s", s);
		c->want_rc = 0;
		SETF(c->bootargs, "cma=64M@%#llx", (unsigned long long)base);
		return 0;
	case 21:
		desc(c, "/memreserve/ over the kernel image and a region");
		c->want_rc = 0;
		if ((err = fdt_add_mem_rsv(c->fdt, rb, 0x4000000)))
			return err;
		if (s && first_reg(c, s, &base, &size))
			return fdt_add_mem_rsv(c->fdt, base, size ? size : 1);
		return 0;
	case 22: {
		uint64_t v[4] = { 0, 0x1000, rb, re - rb };

		if (!rb)
			return SKIP;
		desc(c, "a one-page bank at 0 below RAM");
		c->want_rc = 0;
		delprop(c, b->mem[0], "linux,usable-memory");
		return setpairs(c, b->mem[0], "reg", b->ac, b->sc, v, 2);
	}
	case 23: {
		uint64_t v[4] = { rb, 0, rb + 0x1000000, 0 };

		desc(c, "every /memory entry of size 0");
		for (int i = 1; i < b->nmem; i++)
			delprop(c, b->mem[i], "device_type");
		delprop(c, b->mem[0], "linux,usable-memory");
		c->want_rc = -EINVAL;
		SETF(c->want_line, "libdmapool: the tree has no usable /memory node and no RAM size was configured (ram_size, DMAPOOL_RAM_SIZE or --mem)");
		SETF(c->want_sub, "/memory");
		return setpairs(c, b->mem[0], "reg", b->ac, b->sc, v, 2);
	}
	case 24: {
		uint64_t v[4] = { rb, re - rb, (1ULL << 39) + rb, 1ULL << 30 };

		if (b->ac != 2)
			return SKIP;
		desc(c, "a second bank 512 GiB above the first");
		c->want_rc = 0;
		delprop(c, b->mem[0], "linux,usable-memory");
		return setpairs(c, b->mem[0], "reg", b->ac, b->sc, v, 2);
	}
	case 26:
	case 27: {
		/* cell counts that overflow or go negative: a bus of
		 * #address-cells 0x40000001 (reg * 4 overflows an int), one
		 * of -4 with #size-cells 5 (dma-ranges indexes before the
		 * property) */
		uint8_t z[48] = { 0 };
		int bus;

		desc(c, "hbus@0 with #address-cells %s", c->idx == 26 ? "0x40000001" : "-4, #size-cells 5");
		c->want_rc = 0;
		if ((err = new_bus(c, NULL, 0, (const char *)z, 12)))
			return err;
		bus = off_of(c, "/hbus@0");
		if (c->idx == 26)
			return fdt_setprop_u32(c->fdt, bus, "#address-cells", 0x40000001);
		return fdt_setprop_u32(c->fdt, bus, "#address-cells", 0xfffffffcu) ?:
		       fdt_setprop_u32(c->fdt, bus, "#size-cells", 5);
	}
	case 28:
		/* no early allocation model: the SMMU's queues find no RAM,
		 * the driver core's line, devices go without it */
		desc(c, "a region covering all of RAM, early_allocs=n");
		c->want_rc = 0;
		c->knobs = "early_allocs=n";
		if (strstr(b->name, "iommu"))
			SETF(c->want_has, "arm-smmu-v3 9050000.smmuv3: probe with driver arm-smmu-v3 failed with error -12");
		if (b->nmem == 1)
			delprop(c, b->mem[0], "linux,usable-memory");
		return new_region(c, "all-ram", rb, b->ram_total, false, rp);
	default:
		if (!s || !first_reg(c, s, &base, &size) || !size)
			return SKIP;
		/* a second name for the same region, nomap on the first */
		desc(c, "two no-map regions at %s, one reusable", s);
		c->want_rc = 0;
		if ((err = new_region(c, "twin-a", base, size, true, rp)) ||
		    (err = new_region(c, "twin-b", base, size, true, rp2)))
			return err;
		off = off_of(c, rp2);
		if (fdt_setprop_string(c->fdt, off, "compatible", "shared-dma-pool") ||
		    fdt_setprop(c->fdt, off, "reusable", NULL, 0))
			return -FDT_ERR_NOSPACE;
		return 0;
	}
}

/* ---- phandle ---- */

static int set_phandles(struct mctx *c, const char *path, const char *name,
			const uint32_t *v, int n)
{
	fdt32_t buf[64];

	for (int i = 0; i < n && i < 64; i++)
		buf[i] = cpu_to_fdt32(v[i]);
	return setprop(c, path, name, buf, 4 * (n < 64 ? n : 64));
}

static int mut_phandle(struct mctx *c)
{
	const struct base *b = c->b;
	const char *dev = pick_dev(c, true), *r = pick_rmem(c, -1), *e;
	uint32_t pd = 0, pr = 0, pe = 0, v[64];
	char rp[128];
	int err, off;

	if (!dev)
		return SKIP;
	e = b->dev[(c->idx + 1) % (unsigned)b->ndev];
	c->want_rc = 0;
	c->probes = b->probes;
	switch (c->idx) {
	case 0:
		if (!r)
			return SKIP;
		desc(c, "memory-region loop %s <-> %s", dev, r);
		if ((err = phandle_of(c, dev, &pd)) || (err = phandle_of(c, r, &pr)) ||
		    (err = setu32(c, r, "memory-region", pd)))
			return err;
		return setu32(c, dev, "memory-region", pr);
	case 1:
		desc(c, "%s memory-region -> itself", dev);
		if ((err = phandle_of(c, dev, &pd)))
			return err;
		return setu32(c, dev, "memory-region", pd);
	case 2:
		desc(c, "%s memory-region -> /", dev);
		if ((err = phandle_of(c, "/", &pd)))
			return err;
		return setu32(c, dev, "memory-region", pd);
	case 3:
	case 4:
	case 5:
		v[0] = c->idx == 3 ? 0x7ffffff0u : c->idx == 4 ? 0 : 0xffffffffu;
		desc(c, "%s memory-region <%#x>", dev, v[0]);
		return set_phandles(c, dev, "memory-region", v, 1);
	case 6:
	case 7:
	case 8: {
		const char *t = c->idx == 6 ? b->mem[0] : c->idx == 7 ? chosen(c) : rmem_node(c);

		if (!t)
			return b->nmem ? -FDT_ERR_NOSPACE : SKIP;
		desc(c, "%s memory-region -> %s", dev, t);
		if ((err = phandle_of(c, t, &pd)))
			return err;
		return setu32(c, dev, "memory-region", pd);
	}
	case 9:
		if (!r)
			return SKIP;
		desc(c, "%s memory-region -> disabled %s", dev, r);
		if ((err = phandle_of(c, r, &pr)) || (err = setstr(c, r, "status", "disabled")))
			return err;
		return setu32(c, dev, "memory-region", pr);
	case 10:
		if (!r)
			return SKIP;
		desc(c, "%s shares the phandle of %s and points at it", dev, r);
		if ((err = phandle_of(c, r, &pr)) || (err = setu32(c, dev, "phandle", pr)))
			return err;
		return setu32(c, dev, "memory-region", pr);
	case 11:
		if (!strcmp(e, dev))
			return SKIP;
		desc(c, "iommus loop %s <-> %s", dev, e);
		if ((err = phandle_of(c, dev, &pd)) || (err = phandle_of(c, e, &pe)) ||
		    (err = setu32(c, dev, "#iommu-cells", 1)) ||
		    (err = setu32(c, e, "#iommu-cells", 1)))
			return err;
		v[0] = pe; v[1] = 3;
		if ((err = set_phandles(c, dev, "iommus", v, 2)))
			return err;
		v[0] = pd; v[1] = 4;
		return set_phandles(c, e, "iommus", v, 2);
	case 12:
		desc(c, "%s iommus -> itself", dev);
		if ((err = phandle_of(c, dev, &pd)) || (err = setu32(c, dev, "#iommu-cells", 1)))
			return err;
		v[0] = pd; v[1] = 5;
		return set_phandles(c, dev, "iommus", v, 2);
	case 13:
		desc(c, "%s iommus -> / with #iommu-cells", dev);
		if ((err = phandle_of(c, "/", &pd)) || (err = setu32(c, "/", "#iommu-cells", 1)))
			return err;
		v[0] = pd; v[1] = 1;
		return set_phandles(c, dev, "iommus", v, 2);
	case 14:
	case 15:
	case 16:
	case 17: {
		static const uint32_t cells[] = { 0xffffffffu, 0x7fffffffu, 1000, 1 };

		if (!strcmp(e, dev))
			return SKIP;
		desc(c, "%s iommus -> %s with #iommu-cells %#x%s", dev, e, cells[c->idx - 14],
		     c->idx == 17 ? ", dangling" : "");
		if ((err = phandle_of(c, e, &pe)) ||
		    (err = setu32(c, e, "#iommu-cells", cells[c->idx - 14])))
			return err;
		v[0] = c->idx == 17 ? 0x7ffffff1u : pe; v[1] = 1; v[2] = 2;
		return set_phandles(c, dev, "iommus", v, 3);
	}
	case 18:
	case 19:
		desc(c, "interrupt-parent %s", c->idx == 18 ? "loop" : "self");
		if ((err = phandle_of(c, dev, &pd)) || (err = phandle_of(c, e, &pe)) ||
		    (err = setu32(c, dev, "#interrupt-cells", 1)) ||
		    (err = setu32(c, e, "#interrupt-cells", 1)) ||
		    (err = setprop(c, dev, "interrupt-controller", NULL, 0)) ||
		    (err = setu32(c, dev, "interrupts", 7)) ||
		    (err = setu32(c, e, "interrupts", 8)) ||
		    (err = setu32(c, dev, "interrupt-parent", c->idx == 18 ? pe : pd)))
			return err;
		return setu32(c, e, "interrupt-parent", pd);
	case 20:
		if (!r)
			return SKIP;
		desc(c, "%s memory-region: 64 times %s", dev, r);
		if ((err = phandle_of(c, r, &pr)))
			return err;
		for (int i = 0; i < 64; i++)
			v[i] = pr;
		return set_phandles(c, dev, "memory-region", v, 64);
	case 21:
		desc(c, "%s memory-region-names: five names, two empty", dev);
		return setprop(c, dev, "memory-region-names", "\0a\0\0b\0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 39);
	case 22:
		desc(c, "%s memory-region -> a pool outside /reserved-memory", dev);
		if ((off = addnode(c, "/", "fake-pool")) < 0)
			return off;
		if ((err = setstr(c, "/fake-pool", "compatible", "shared-dma-pool")) ||
		    (err = setcells(c, "/fake-pool", "size", b->sc, 0x100000)) ||
		    (err = phandle_of(c, "/fake-pool", &pd)))
			return err;
		return setu32(c, dev, "memory-region", pd);
	case 23:
	case 24:
		if (!r)
			return SKIP;
		pr = c->idx == 23 ? 0 : 0xffffffffu;
		desc(c, "%s phandle %#x, %s points at it", r, pr, dev);
		if ((err = setu32(c, r, "phandle", pr)))
			return err;
		return setu32(c, dev, "memory-region", pr);
	case 25:
	case 26:
		/* restricted pools (CONFIG_DMA_RESTRICTED_POOL=y) */
		c->knobs = "dma_restricted_pool=y";
		desc(c, "%s memory-region -> restricted-dma-pool %s", dev,
		     c->idx == 25 ? "in RAM" : "outside RAM");
		if (c->idx == 26)
			SETF(c->want_has, "Restricted DMA pool must be accessible within the linear mapping.");
		if ((err = new_region(c, "hostile-restricted", c->idx == 25 ? b->ram_base + 0x8000000 :
				      (b->ac == 2 ? 1ULL << 40 : 0xf0000000ULL), 0x400000, false, rp)) ||
		    (err = setstr(c, rp, "compatible", "restricted-dma-pool")) ||
		    (err = phandle_of(c, rp, &pr)))
			return err;
		return setu32(c, dev, "memory-region", pr);
	case 27: {
		int parent;
		char pp[512];

		if ((off = off_of(c, dev)) < 0 || (parent = fdt_parent_offset(c->fdt, off)) < 0 ||
		    fdt_get_path(c->fdt, parent, pp, sizeof(pp)))
			return SKIP;
		desc(c, "%s memory-region -> its parent %s", dev, pp);
		if ((err = phandle_of(c, pp, &pd)))
			return err;
		return setu32(c, dev, "memory-region", pd);
	}
	case 28: {
		const char *d = pick_rmem(c, 1);

		if (!d)
			return SKIP;
		desc(c, "%s memory-region -> %s whose allocation fails", dev, d);
		if ((err = delprop(c, d, "alloc-ranges")) ||
		    (err = setcells(c, d, "size", b->sc, ones(b->sc))) ||
		    (err = phandle_of(c, d, &pd)))
			return err;
		return setu32(c, dev, "memory-region", pd);
	}
	case 29:
		if (!strcmp(e, dev))
			return SKIP;
		desc(c, "%s iommus: three entries of %s with #iommu-cells 0", dev, e);
		if ((err = phandle_of(c, e, &pe)) || (err = setu32(c, e, "#iommu-cells", 0)))
			return err;
		v[0] = v[1] = v[2] = pe;
		return set_phandles(c, dev, "iommus", v, 3);
	default:
		if (!strcmp(e, dev))
			return SKIP;
		desc(c, "%s iommus -> disabled %s", dev, e);
		if ((err = phandle_of(c, e, &pe)) || (err = setu32(c, e, "#iommu-cells", 1)) ||
		    (err = setstr(c, e, "status", "disabled")))
			return err;
		v[0] = pe; v[1] = 9;
		return set_phandles(c, dev, "iommus", v, 2);
	}
}

/* ---- many ---- */

#define MANY	4000

/* child i of /reserved-memory for many #0-5 */
static int emit_region(struct mctx *c, void *sw, int i)
{
	const struct base *b = c->b;
	uint64_t base = b->ram_base + 0x10000000 + (uint64_t)i * 0x2000, size = 0x1000;
	uint8_t reg[16];
	char name[64];
	int err;

	if (c->idx == 3)
		base = b->ram_base + 0x10000000;
	if (c->idx == 4) {
		base = b->ram_base + 0x10000000 + (uint64_t)i * 0x200000;
		size = 0x200000;
	}
	snprintf(name, sizeof(name), "h%d@%llx", i, (unsigned long long)base);
	if ((err = fdt_begin_node(sw, name)))
		return err;
	if (c->idx == 2) {
		put_cells(reg, b->sc, 0x1000);
		err = fdt_property(sw, "size", reg, 4 * b->sc);
	} else {
		put_cells(reg, b->ac, base);
		put_cells(reg + 4 * b->ac, b->sc, size);
		err = fdt_property(sw, "reg", reg, 4 * (b->ac + b->sc));
	}
	if (!err && c->idx == 1)
		err = fdt_property(sw, "no-map", NULL, 0);
	if (!err && c->idx == 4)
		err = fdt_property_string(sw, "compatible", "shared-dma-pool") ?:
		      fdt_property(sw, "reusable", NULL, 0);
	if (!err && c->idx == 5)
		err = fdt_property_string(sw, "status", "disabled");
	return err ?: fdt_end_node(sw);
}

/* a /memory node of 1 MiB for many #8-9 */
static int emit_memory(struct mctx *c, void *sw, int i)
{
	const struct base *b = c->b;
	uint64_t step = c->idx == 8 ? 0x100000 : 0x200000;
	uint8_t reg[16];
	char name[64];

	snprintf(name, sizeof(name), "memory@h%d", i);
	put_cells(reg, b->ac, b->ram_base + (uint64_t)i * step);
	put_cells(reg + 4 * b->ac, b->sc, 0x100000);
	return fdt_begin_node(sw, name) ?: fdt_property_string(sw, "device_type", "memory") ?:
	       fdt_property(sw, "reg", reg, 4 * (b->ac + b->sc)) ?: fdt_end_node(sw);
}

/* a device on hbus@0 for many #13 */
static int emit_device(struct mctx *c, void *sw, int i)
{
	char name[64];
	fdt32_t reg[2] = { cpu_to_fdt32(0x10000000 + i * 0x1000), cpu_to_fdt32(0x1000) };

	(void)c;
	snprintf(name, sizeof(name), "d@%x", 0x10000000 + i * 0x1000);
	return fdt_begin_node(sw, name) ?: fdt_property_string(sw, "compatible", "hostile,dev") ?:
	       fdt_property(sw, "reg", reg, sizeof(reg)) ?: fdt_end_node(sw);
}

/* MANY properties for many #20 */
static int emit_props(struct mctx *c, void *sw, int i)
{
	char name[32];
	int err = 0;

	(void)c;
	(void)i;
	for (int k = 0; k < 1000 && !err; k++) {
		snprintf(name, sizeof(name), "hostile,p%d", k);
		err = fdt_property_u32(sw, name, (uint32_t)k);
	}
	return err;
}

static int mut_many(struct mctx *c)
{
	const struct base *b = c->b;
	uint64_t rb = b->ram_base, re = b->ram_end;
	const char *r, *dev = pick_dev(c, false);
	char name[64], path[128];
	int err, off, parent;

	if (!b->nmem || re <= rb)
		return SKIP;
	c->want_rc = 0;
	switch (c->idx) {
	case 0:
	case 1:
	case 2:
	case 3:
	case 4:
	case 5: {
		static const char *const what[] = {
			"static regions of 4 KiB, 8 KiB apart",
			"no-map regions of 4 KiB, 8 KiB apart",
			"dynamic regions of 4 KiB",
			"regions all at the same address",
			"reusable shared-dma-pools of 2 MiB, back to back",
			"disabled regions",
		};

		desc(c, "%d reserved-memory children: %s", MANY, what[c->idx]);
		if (!(r = rmem_node(c)))
			return -FDT_ERR_NOSPACE;
		if ((err = inject(c, r, MANY, emit_region)))
			return err;
		if (c->idx == 0 || c->idx == 2)
			SETF(c->want_line, PFX "not enough space for all defined regions.");
		if (c->idx == 1) {
			/* 8000 memory regions: memblock cannot hold them at boot */
			c->want_rc = -EINVAL;
			SETF(c->want_sub, "memory regions");
		}
		return 0;
	}
	case 6:
	case 7: {
		uint8_t *v = malloc(MANY * 16);
		int one = 4 * (b->ac + b->sc);
		uint64_t step = c->idx == 6 ? 0x100000 : 0x200000;

		assert_non_null(v);
		desc(c, "%s: %d reg entries of 1 MiB%s", b->mem[0], MANY,
		     c->idx == 6 ? ", back to back" : ", 1 MiB apart");
		for (int i = 0; i < MANY; i++) {
			put_cells(v + i * one, b->ac, rb + (uint64_t)i * step);
			put_cells(v + i * one + 4 * b->ac, b->sc, 0x100000);
		}
		for (int i = 1; i < b->nmem; i++)
			delprop(c, b->mem[i], "device_type");
		delprop(c, b->mem[0], "linux,usable-memory");
		err = setprop(c, b->mem[0], "reg", v, MANY * one);
		free(v);
		if (c->idx == 7) {
			c->want_rc = -EINVAL;
			SETF(c->want_sub, "memory regions");
		}
		return err;
	}
	case 8:
	case 9:
		desc(c, "%d /memory nodes of 1 MiB%s", c->idx == 8 ? MANY : 200,
		     c->idx == 8 ? ", back to back" : ", 1 MiB apart");
		for (int i = 0; i < b->nmem; i++)
			delprop(c, b->mem[i], "device_type");
		if (c->idx == 9) {
			/* 200 banks: more than the simulation backs */
			c->want_rc = -EINVAL;
			SETF(c->want_sub, "RAM banks");
		}
		return inject(c, "/", c->idx == 8 ? MANY : 200, emit_memory);
	case 10:
		desc(c, "%d /memreserve/ entries of 4 KiB, 8 KiB apart", MANY);
		for (int i = 0; i < MANY; i++)
			if ((err = fdt_add_mem_rsv(c->fdt, rb + 0x10000000 + (uint64_t)i * 0x2000, 0x1000)))
				return err;
		return 0;
	case 11:
	case 12: {
		const char *t = pick_rmem(c, -1);
		uint32_t ph;
		fdt32_t *v;

		if (!dev || !t)
			return SKIP;
		if ((err = phandle_of(c, t, &ph)))
			return err;
		v = malloc(MANY * 4);
		assert_non_null(v);
		for (int i = 0; i < MANY; i++)
			v[i] = cpu_to_fdt32(ph);
		desc(c, "%s: %s of %d entries", dev, c->idx == 11 ? "memory-region" : "iommus", MANY);
		if (c->idx == 12)
			err = setu32(c, t, "#iommu-cells", 0);
		else
			err = 0;
		if (!err)
			err = setprop(c, dev, c->idx == 11 ? "memory-region" : "iommus", v, MANY * 4);
		free(v);
		return err;
	}
	case 13:
		desc(c, "%d devices on a new bus", MANY);
		if ((off = addnode(c, "/", "hbus@0")) < 0)
			return off;
		if ((err = setu32(c, "/hbus@0", "#address-cells", 1)) ||
		    (err = setu32(c, "/hbus@0", "#size-cells", 1)) ||
		    (err = setprop(c, "/hbus@0", "ranges", NULL, 0)))
			return err;
		return inject(c, "/hbus@0", MANY, emit_device);
	case 14: {
		uint8_t *v = malloc(MANY * 24);
		uint8_t rng[32];
		uint64_t r3[3] = { 0, 0, 1ULL << 32 };
		int n = 0, rl;

		assert_non_null(v);
		desc(c, "hbus@0 dma-ranges of %d entries", MANY);
		for (int i = 0; i < MANY; i++) {
			uint64_t e[3] = { (uint64_t)i << 24, rb + ((uint64_t)i << 20), 0x100000 };

			n += bus_entries(c, v + n, e, 1);
		}
		rl = bus_entries(c, rng, r3, 1);
		err = new_bus(c, (const char *)rng, rl, (const char *)v, n);
		free(v);
		return err;
	}
	case 15: {
		const char *d = pick_rmem(c, 1);
		uint8_t *v = malloc(MANY * 16);
		int one = 4 * (b->ac + b->sc);

		if (!d) {
			free(v);
			return SKIP;
		}
		assert_non_null(v);
		desc(c, "%s: alloc-ranges of %d entries outside RAM", d, MANY);
		for (int i = 0; i < MANY; i++) {
			put_cells(v + i * one, b->ac, (b->ac == 2 ? 1ULL << 44 : 0xf0000000ULL) + (uint64_t)i * 0x1000);
			put_cells(v + i * one + 4 * b->ac, b->sc, 0x1000);
		}
		err = setprop(c, d, "alloc-ranges", v, MANY * one);
		free(v);
		{
			int len;
			const uint8_t *p = fdt_getprop(c->fdt, off_of(c, d), "size", &len);

			if (p && len == 4 * b->sc)
				SETF(c->want_line, PFX "failed to allocate memory for node '%s': size %lu MiB",
				     node_name(d), (unsigned long)(rd_cells(p, b->sc) / (1 << 20)));
		}
		return err;
	}
	case 16:
	case 17: {
		int depth = c->idx == 16 ? 200 : 2000;

		desc(c, "a chain of %d nested devices", depth);
		SETF(c->want_has, "deeper than 63 levels: left out of the device tree");
		strcpy(path, "/");
		parent = 0;
		for (int i = 0; i < depth; i++) {
			snprintf(name, sizeof(name), "n%d", i);
			if ((off = fdt_add_subnode(c->fdt, parent, name)) < 0)
				return off;
			if ((err = fdt_setprop_string(c->fdt, off, "compatible", "hostile,nest")))
				return err;
			parent = off;
		}
		return 0;
	}
	case 18: {
		char *v = malloc(MANY * 8);
		size_t n = 0;

		assert_non_null(v);
		if (!chosen(c)) {
			free(v);
			return -FDT_ERR_NOSPACE;
		}
		desc(c, "bootargs of %d tokens", MANY);
		for (int i = 0; i < MANY; i++)
			n += (size_t)sprintf(v + n, "cma=%dM ", i % 64);
		err = setprop(c, "/chosen", "bootargs", v, (int)n + 1);
		free(v);
		return err;
	}
	case 19: {
		char *v = calloc(MANY, 4);

		assert_non_null(v);
		if (!dev) {
			free(v);
			return SKIP;
		}
		for (int i = 0; i < MANY; i++)
			memcpy(v + 4 * i, "abc", 4);
		desc(c, "%s: %d memory-region-names", dev, MANY);
		err = setprop(c, dev, "memory-region-names", v, MANY * 4);
		free(v);
		return err;
	}
	default:
		if (!dev)
			return SKIP;
		desc(c, "%s: 1000 properties", dev);
		return inject_props(c, dev, 0, NULL, emit_props);
	}
}

/* ---- names ---- */

static int rename_node(struct mctx *c, const char *path, const char *name)
{
	int off = off_of(c, path);

	return off < 0 ? off : fdt_set_name(c->fdt, off, name);
}

static int mut_names(struct mctx *c)
{
	const struct base *b = c->b;
	const char *s = pick_rmem(c, 0), *d = pick_rmem(c, 1), *dev = pick_dev(c, false);
	char name[4100];
	int err, off;

	c->want_rc = 0;
	switch (c->idx) {
	case 0:
	case 1:
	case 2:
	case 3:
	case 4: {
		static const char *const names[] = { NULL, "pool@", "@", "\xff\xfe@1", "" };

		if (!s)
			return SKIP;
		if (c->idx == 0) {
			memset(name, 'n', 2000);
			strcpy(name + 2000, "@1");
		} else {
			strcpy(name, names[c->idx]);
		}
		desc(c, "%s renamed (%zu bytes)", s, strlen(name));
		return rename_node(c, s, name);
	}
	case 5:
	case 6:
	case 7:
	case 8: {
		static const char *const names[] = { NULL, "@", "%s%n%x%s@1", "a/b@1" };

		if (!dev)
			return SKIP;
		if (c->idx == 5) {
			memset(name, 'd', 4000);
			strcpy(name + 4000, "@10");
		} else {
			strcpy(name, names[c->idx - 5]);
		}
		desc(c, "%s renamed '%.20s' (%zu bytes)", dev, name, strlen(name));
		return rename_node(c, dev, name);
	}
	case 9:
	case 10:
		if (!b->nmem)
			return SKIP;
		desc(c, "%s renamed '%s'", b->mem[0], c->idx == 9 ? "memory" : "memory@");
		return rename_node(c, b->mem[0], c->idx == 9 ? "memory" : "memory@");
	case 11:
		if (!b->has_rmem)
			return SKIP;
		desc(c, "/reserved-memory renamed reserved-memory@0");
		return rename_node(c, "/reserved-memory", "reserved-memory@0");
	case 12:
		if (off_of(c, "/chosen") < 0)
			return SKIP;
		desc(c, "/chosen renamed chosen@0");
		return rename_node(c, "/chosen", "chosen@0");
	case 13: {
		const char *other = NULL;

		for (int i = 0; i < b->nrmem; i++)
			if (s && strcmp(b->rmem[i], s))
				other = b->rmem[i];
		if (!s || !other)
			return SKIP;
		desc(c, "%s renamed as %s", other, s);
		return rename_node(c, other, node_name(s));
	}
	case 14:
		if (!s)
			return SKIP;
		desc(c, "%s renamed with a new line", s);
		return rename_node(c, s, "a\nb@1");
	case 15:
		if (!dev)
			return SKIP;
		desc(c, "%s compatible: empty, then 1000 empty strings", dev);
		{
			char z[1000] = { 0 };

			if ((err = setprop(c, dev, "compatible", "", 1)))
				return err;
			if ((off = addnode(c, "/", "empties")) < 0)
				return off;
			return setprop(c, "/empties", "compatible", z, sizeof(z));
		}
	case 16:
		if (!dev)
			return SKIP;
		desc(c, "/__symbols__ and /aliases with odd values");
		if ((off = addnode(c, "/", "__symbols__")) < 0 && off != -FDT_ERR_EXISTS)
			return off;
		if ((off = addnode(c, "/", "aliases")) < 0 && off != -FDT_ERR_EXISTS)
			return off;
		memset(name, 'a', 4000);
		name[4000] = 0;
		if ((err = setprop(c, "/__symbols__", "weird", dev, (int)strlen(dev))) ||
		    (err = setstr(c, "/__symbols__", "nowhere", "/nonexistent")) ||
		    (err = setstr(c, "/__symbols__", "empty", "")) ||
		    (err = setstr(c, "/aliases", "long", name)) ||
		    (err = setprop(c, "/aliases", "odd", "\xff\xff", 2)))
			return err;
		return 0;
	default:
		if (!d)
			return SKIP;
		memset(name, 'q', 300);
		strcpy(name + 300, "@0");
		desc(c, "%s renamed (302 bytes), size all ones", d);
		SETF(c->want_line, PFX "failed to allocate memory for node '%.400s': size %lu MiB",
		     name, (unsigned long)(ones(b->sc) / (1 << 20)));
		if ((err = delprop(c, d, "alloc-ranges")) ||
		    (err = setcells(c, d, "size", b->sc, ones(b->sc))))
			return err;
		return rename_node(c, d, name);
	}
}

/* ---- bootargs ---- */

static const char *const cmdlines[] = {
	"cma=-1", "cma=18446744073709551615", "cma=99999999999999999999999",
	"cma=16E", "cma=1E", "cma=8E", "cma=0x", "cma=abc", "cma=", "cma",
	"cma=1G@-1", "cma=1G@0xffffffffffff0000", "cma=64M@0xffffffffffe00000",
	"cma=64M@0x40000000-0x1", "cma=64M@0x80000000-0x40000000", "cma=4095",
	"cma=1T", "cma=64M@0x40000001", "cma=0@0",
	"cma=64M@0x40000000-0xffffffffffffffff", "cma=0x7fffffffffffffff@0x1",
	"swiotlb=-1", "swiotlb=0", "swiotlb=18446744073709551615",
	"swiotlb=9223372036854775809", "swiotlb=9223372036854775809,4",
	"swiotlb=2147483648", "swiotlb=1,0", "swiotlb=1,4294967295",
	"swiotlb=1,99999999999", "swiotlb=,,force", "swiotlb=force,noforce",
	"swiotlb=65536,64,force", "swiotlb=0x7fffffffffffffff,1",
	"swiotlb=18014398509481984", "swiotlb=9007199254740992,2",
	"iommu.strict=-1", "iommu.strict=99999999999999999999", "iommu.strict=",
	"iommu.passthrough=abc", "iommu.passthrough=-1", "iommu.forcedac=-5",
	"mem=1", "mem=-1", "mem=16E", "mem=0",
	"coherent_pool=-1", "coherent_pool=16E", "coherent_pool=1E",
	"coherent_pool=0", "coherent_pool=abc", "coherent_pool=18446744073709551615",
	"coherent_pool=4294967296", "coherent_pool=1T",
	"init_on_alloc=garbage",
	"cma=1E swiotlb=9223372036854775809 coherent_pool=1E iommu.strict=2",
	"cma=0 cma=64M cma=-1 cma=", "=", "==", " ", "\t", "cma=64M\xff",
	"cma =64M", "cma==64M", "cma=64Mfoo", "cma=0x4000000@0x40000000-0x48000000",
};

static int mut_bootargs(struct mctx *c)
{
	const char *s;

	if (c->idx >= sizeof(cmdlines) / sizeof(cmdlines[0]))
		return SKIP;
	s = cmdlines[c->idx];
	desc(c, "bootargs \"%s\"", s);
	c->want_rc = 0;
	c->probes = c->b->probes;
	if (s[0] && strcmp(s, " ") && strcmp(s, "\t"))
		SETF(c->want_line, "Kernel command line: %s", s);
	if (!strcmp(s, "cma=64M@0x40000001") && is_arm64(c))
		SETF(c->want_prefix, "cma: Region at 0x0000000040000001 must be aligned to 0x0000000000200000 bytes");
	/* boolean early_params go through kstrtobool(); do_early_param warns */
	if (!strncmp(s, "iommu.", 6) || !strncmp(s, "init_on_alloc=", 14))
		SETF(c->want_has, "Malformed early option '%.*s'", (int)strcspn(s, "="), s);
	if (!strcmp(s, "cma"))
		SETF(c->want_has, "cma: Config string not provided");
	if (!strcmp(s, "cma=64M@0xffffffffffe00000") && is_arm64(c))
		/* base + size wraps: reserved, then refused at activation */
		SETF(c->want_has, "libdmapool: CMA area reserved (0xffffffffffe00000..");
	if (c->idx & 1) {
		/* odd ones through the configuration, which replaces /chosen */
		SETF(c->bootargs, "%s", s);
		if (!s[0])
			c->want_line[0] = 0;
		return 0;
	}
	if (!chosen(c))
		return -FDT_ERR_NOSPACE;
	return setstr(c, "/chosen", "bootargs", s);
}

/* ---- random ---- */

static const char *const rprops[] = {
	"reg", "size", "alignment", "alloc-ranges", "memory-region", "dma-ranges",
	"ranges", "iommus", "#iommu-cells", "#address-cells", "#size-cells",
	"phandle", "status", "compatible", "no-map", "reusable", "device_type",
	"linux,usable-memory", "dma-coherent", "dma-noncoherent", "bootargs",
	"memory-region-names", "linux,cma-default", "linux,dma-default", "mask",
	"linux,initrd-start", "linux,initrd-end", "probe,ops", "probe,dma-bits",
	"probe,region-index", "external-facing", "device_type",
};

static const char *const rstrings[] = {
	"shared-dma-pool", "restricted-dma-pool", "memory", "okay", "disabled",
	"libdmapool,probe", "arm,smmu-v3", "pci", "", "cma=1E swiotlb=1,3",
};

static int mut_random(struct mctx *c)
{
	int nodes[4096], n = 0, err;
	unsigned nprops = 1 + (unsigned)(rnd(c) % 3);

	for (int off = fdt_next_node(c->fdt, -1, NULL); off >= 0 && n < 4096;
	     off = fdt_next_node(c->fdt, off, NULL))
		nodes[n++] = off;
	desc(c, "seed %#llx:", (unsigned long long)c->rng);
	for (unsigned k = 0; k < nprops; k++) {
		int node = nodes[rnd(c) % (uint64_t)n];
		const char *name = rprops[rnd(c) % (sizeof(rprops) / sizeof(rprops[0]))];
		uint8_t v[32];
		int len;
		char path[512], d[256];

		if (rnd(c) % 4 == 0) {
			const char *str = rstrings[rnd(c) % (sizeof(rstrings) / sizeof(rstrings[0]))];

			len = (int)strlen(str) + (int)(rnd(c) % 2);	/* NUL or not */
			memcpy(v, str, (size_t)len);
		} else {
			static const uint32_t pick[] = {
				0, 1, 2, 3, 0xffffffffu, 0x80000000u, 0x40000000u,
				0x1000, 0x200000, 0x7fffffffu, 0xfffff000u,
			};

			len = (int)(rnd(c) % 25);
			for (int i = 0; i < len; i += 4) {
				uint32_t w = rnd(c) % 3 ? pick[rnd(c) % (sizeof(pick) / sizeof(pick[0]))]
							: (uint32_t)rnd(c);

				v[i] = (uint8_t)(w >> 24);
				v[i + 1] = (uint8_t)(w >> 16);
				v[i + 2] = (uint8_t)(w >> 8);
				v[i + 3] = (uint8_t)w;
			}
		}
		if (fdt_get_path(c->fdt, node, path, sizeof(path)))
			continue;
		snprintf(d, sizeof(d), "%.160s %.60s:%s[%d]", c->desc, path, name, len);
		snprintf(c->desc, sizeof(c->desc), "%s", d);
		if ((err = fdt_setprop(c->fdt, node, name, v, len)))
			return err;
		/* offsets after node moved; take them again */
		n = 0;
		for (int off = fdt_next_node(c->fdt, -1, NULL); off >= 0 && n < 4096;
		     off = fdt_next_node(c->fdt, off, NULL))
			nodes[n++] = off;
	}
	c->probes = c->b->probes;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */

/* small, fast and varied: every architecture, static, dynamic and
 * probe regions, dma-ranges, IOMMUs */
/* small, fast and varied: every architecture, static, dynamic and
 * probe regions, dma-ranges, IOMMUs */
static const char *const g_wide[] = {
	"rpi4b-bcm2711", "WRONG-nxp-imx8qxp-mek-overlap-cma", "aspeed-ast2500-inspur-fp5280g2",
	"microchip-mpfs-sev-kit", "stm32f746-disco-nommu", "ti-am625-sk",
	"31-dynamic-edges", "52-probe-dma-ranges", "70-probe-iommu-iova", NULL,
};
static const char *const g_rmem[] = {
	"WRONG-nxp-imx8qxp-mek-overlap-cma", "aspeed-ast2500-inspur-fp5280g2",
	"mediatek-mt8192-asurada-spherion", "31-dynamic-edges", "43-probe-region-targets", NULL,
};
static const char *const g_deep[] = {
	"WRONG-nxp-imx8qxp-mek-overlap-cma", "aspeed-ast2500-inspur-fp5280g2",
	"rpi4b-bcm2711", "ti-am625-sk", "31-dynamic-edges", "70-probe-iommu-iova", NULL,
};
static const char *const g_overlap[] = {
	"aspeed-ast2500-inspur-fp5280g2", "rpi4b-bcm2711", "ti-am625-sk",
	"31-dynamic-edges", "70-probe-iommu-iova", NULL,
};
static const char *const g_phandle[] = {
	"WRONG-nxp-imx8qxp-mek-overlap-cma", "aspeed-ast2500-inspur-fp5280g2",
	"42-probe-multi-region", "76-probe-iommu-pool", NULL,
};
static const char *const g_many[] = { "rpi4b-bcm2711", "31-dynamic-edges", NULL };
static const char *const g_names[] = {
	"aspeed-ast2500-inspur-fp5280g2", "31-dynamic-edges", "43-probe-region-targets", NULL,
};
static const char *const g_boot[] = {
	"aspeed-ast2500-inspur-fp5280g2", "62-probe-swiotlb-areas", NULL,
};
static const char *const g_random[] = {
	"WRONG-nxp-imx8qxp-mek-overlap-cma", "microchip-mpfs-sev-kit", "43-probe-region-targets",
	"70-probe-iommu-iova", NULL,
};

static struct kind kinds[] = {
	{ "root-cells", mut_root_cells, 14, g_wide, 1024, { 0 } },
	{ "rmem-cells", mut_rmem_cells, 12, g_rmem, 1024, { 0 } },
	{ "truncated", mut_truncated, 30, g_deep, 8192, { 0 } },
	{ "huge", mut_huge, 32, g_deep, 8192, { 0 } },
	{ "overlap", mut_overlap, 29, g_overlap, 8192, { 0 } },
	{ "phandle", mut_phandle, 31, g_phandle, 8192, { 0 } },
	{ "many", mut_many, 21, g_many, 1 << 20, { 0 } },
	{ "names", mut_names, 18, g_names, 16384, { 0 } },
	{ "bootargs", mut_bootargs, sizeof(cmdlines) / sizeof(cmdlines[0]), g_boot, 16384, { 0 } },
	{ "random", mut_random, 20, g_random, 4096, { 0 } },
};

#define NKINDS	(sizeof(kinds) / sizeof(kinds[0]))

static void test_kind(void **state)
{
	struct kind *k = *state;

	run_kind(k, (unsigned)(k - kinds));
}

static void test_summary(void **state)
{
	unsigned total = 0, loaded = 0, refused = 0, exact = 0, subs = 0;
	double secs = 0;

	(void)state;
	for (size_t i = 0; i < NKINDS; i++) {
		total += kinds[i].st.total;
		loaded += kinds[i].st.loaded;
		refused += kinds[i].st.refused;
		exact += kinds[i].st.exact;
		subs += kinds[i].st.subs;
		secs += kinds[i].st.secs;
	}
	for (size_t i = 0; i < NKINDS; i++)
		print_message("hostile: %-11s %4u variants, %4u loaded, %4u refused\n",
			      kinds[i].name, kinds[i].st.total, kinds[i].st.loaded,
			      kinds[i].st.refused);
	print_message("hostile: %u variants, %u loaded, %u refused (%u exact lines, %u refusals naming the node or argument) in %.2f s\n",
		      total, loaded, refused, exact, subs, secs);
	assert_true(total >= (tu_quick() ? 500 / QUICK_STRIDE : 500));
	for (size_t i = 0; i < NKINDS; i++)
		assert_true(kinds[i].st.total > 0);
}

static int group_setup(void **state)
{
	struct dmapool_machine *m = NULL;
	struct dmapool_config cfg = { .arch = bases[0].arch };

	(void)state;
	/* one full boot first, so that lazily created state exists */
	if (dmapool_machine_load_blob(bases[0].blob, bases[0].size, &cfg, &m))
		return -1;
	dmapool_machine_destroy(m);
	signal(SIGALRM, watchdog);
	tu_leak_mark();
	return 0;
}

int main(int argc, char **argv)
{
	struct CMUnitTest tests[NKINDS + 1];
	const char *only;
	size_t n = 0;
	int rc;

	/* the variants carry their own configuration */
	static const char *const env[] = {
		"DMAPOOL_ARCH", "DMAPOOL_BOOTARGS", "DMAPOOL_RAM_SIZE", "DMAPOOL_KNOBS",
		"DMAPOOL_RAM_LIMIT", "DMAPOOL_SEED", "DMAPOOL_FAIL_NTH", "DMAPOOL_FAIL_MAP",
		"DMAPOOL_FAIL_ALLOC", "DMAPOOL_FAIL_ATOMIC",
	};

	for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++)
		unsetenv(env[i]);
	for (int i = 1; i < argc; i++)
		if (base_load(argv[i])) {
			fprintf(stderr, "%s: cannot use %s\n", argv[0], argv[i]);
			return 2;
		}
	if (!nbases) {
		fprintf(stderr, "usage: %s DTB...\n", argv[0]);
		return 2;
	}
	/* HOSTILE_KIND=name runs that kind alone (no summary) */
	only = getenv("HOSTILE_KIND");
	for (size_t i = 0; i < NKINDS; i++) {
		if (only && strcmp(only, kinds[i].name))
			continue;
		memset(&tests[n], 0, sizeof(tests[n]));
		tests[n].name = kinds[i].name;
		tests[n].test_func = test_kind;
		tests[n].initial_state = &kinds[i];
		n++;
	}
	if (!only) {
		memset(&tests[n], 0, sizeof(tests[n]));
		tests[n].name = "summary";
		tests[n].test_func = test_summary;
		n++;
	}
	rc = _cmocka_run_group_tests("hostile", tests, n, group_setup,
				     tu_leak_teardown);
	bases_free();
	return rc;
}
