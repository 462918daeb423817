/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * memmap.c — "dmapool map": the physical address space as text or SVG
 * (no kernel twin; the data is dmapool_region_usage(), the library's
 * /proc/iomem and debugfs views), and the --after SCENARIO loading that
 * "map" and "report" share.
 *
 * Picture: one horizontal band per RAM bank (and one for regions outside
 * RAM), the reserved regions, the kernel image, SWIOTLB and the atomic
 * pools drawn on it coloured by kind, overlapping ones on extra lanes,
 * atomic pools carved from CMA inside their area; the used runs inside
 * each pool; a strip with the zones under the band; a numbered list of
 * the regions with their size, occupancy and devices.  The address axis
 * is linear, or by default a log scale: every segment between two region
 * boundaries gets a width that grows with log2 of its size, positions
 * inside a segment being linear.
 *
 * Left out: zoom, interactivity, IOVA space, dma_pool blocks.
 */
#include <libfdt.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <unistd.h>

#include "tool.h"

/* ------------------------------------------------------------------ */
/* --after SCENARIO */

struct tmpd {
	char dir[PATH_MAX / 2];
	bool made;
};

static int tmpd_make(struct tmpd *t)
{
	const char *base = getenv("TMPDIR");

	if (!base || !*base || strlen(base) > PATH_MAX / 2 - 32)
		base = P_tmpdir;
	snprintf(t->dir, sizeof(t->dir), "%.*s/dmapool-map-XXXXXX", PATH_MAX / 2 - 32, base);
	if (!mkdtemp(t->dir))
		return -errno;
	t->made = true;
	return 0;
}

static void tmpd_path(const struct tmpd *t, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", t->dir, name);
}

static void tmpd_remove(struct tmpd *t)
{
	static const char *const names[] = { "board.dtb", "board.dts", "all.dts",
					     "all.dtb", "dtc.err" };
	char p[PATH_MAX + 16];

	if (!t->made)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		tmpd_path(t, names[i], p, sizeof(p));
		unlink(p);
	}
	rmdir(t->dir);
	t->made = false;
}

/* Run dtc with args, its stderr to errpath: its exit status, 127 when it
 * could not be run, -1 when fork failed. */
static int run_dtc(char *const args[], const char *errpath)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int devnull = open("/dev/null", O_WRONLY);

		if (fd >= 0)
			dup2(fd, 2);
		if (devnull >= 0)
			dup2(devnull, 1);
		execvp("dtc", args);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int read_all(const char *path, void **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return -errno;
	for (;;) {
		size_t r;

		if (n == cap) {
			char *nb = realloc(b, cap ? cap * 2 : 65536);

			if (!nb) {
				free(b);
				fclose(f);
				return -ENOMEM;
			}
			b = nb;
			cap = cap ? cap * 2 : 65536;
		}
		r = fread(b + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(b);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*buf = b;
	*len = n;
	return 0;
}

/* dtc's messages, indented, after a one-line error. */
static void print_dtc_errors(const char *errpath)
{
	FILE *f = fopen(errpath, "r");
	char line[512];
	int n = 0;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && n++ < 20)
		fprintf(stderr, "  %s%s", line, strchr(line, '\n') ? "" : "\n");
	fclose(f);
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !strcmp(s + a - b, suf);
}

/* The board's source with the scenario appended, compiled: a blob. */
static int compile_scenario(const char *board, const char *scenario,
			    struct tmpd *t, void **blob, size_t *len)
{
	char src[PATH_MAX], scen[PATH_MAX], p_all[PATH_MAX + 16], p_dtb[PATH_MAX + 16];
	char p_err[PATH_MAX + 16], p_board[PATH_MAX + 16];
	FILE *f;
	int rc;

	if (!realpath(scenario, scen)) {
		fprintf(stderr, "dmapool: --after %s: %s\n", scenario, strerror(errno));
		return EXIT_USAGE;
	}
	if (strpbrk(scen, "\"\n\\")) {
		fprintf(stderr, "dmapool: --after %s: the path cannot be included by dtc (quote, backslash or new line)\n",
			scenario);
		return EXIT_USAGE;
	}
	if (tmpd_make(t)) {
		fprintf(stderr, "dmapool: --after %s: cannot make a temporary directory: %s\n",
			scenario, strerror(errno));
		return EXIT_INTERNAL;
	}
	tmpd_path(t, "dtc.err", p_err, sizeof(p_err));
	tmpd_path(t, "all.dts", p_all, sizeof(p_all));
	tmpd_path(t, "all.dtb", p_dtb, sizeof(p_dtb));
	if (board && ends_with(board, ".dts")) {
		if (!realpath(board, src)) {
			fprintf(stderr, "dmapool: %s: %s\n", board, strerror(errno));
			return EXIT_LOAD;
		}
	} else {
		/* a blob: decompiled first */
		char a0[] = "dtc", a1[] = "-q", a2[] = "-I", a3[] = "dtb", a4[] = "-O";
		char a5[] = "dts", a6[] = "-o", in[PATH_MAX + 16];
		char *args[] = { a0, a1, a2, a3, a4, a5, a6, src, in, NULL };

		if (!board) {
			tmpd_path(t, "board.dtb", p_board, sizeof(p_board));
			f = fopen(p_board, "wb");
			if (!f || fwrite(dmapool_demo_dtb, 1, dmapool_demo_dtb_size, f) !=
				  dmapool_demo_dtb_size || fclose(f)) {
				fprintf(stderr, "dmapool: --after %s: cannot write the demo board: %s\n",
					scenario, strerror(errno));
				return EXIT_INTERNAL;
			}
			snprintf(in, sizeof(in), "%s", p_board);
		} else if (access(board, R_OK)) {
			fprintf(stderr, "dmapool: %s: %s\n", board, strerror(errno));
			return EXIT_LOAD;
		} else {
			snprintf(in, sizeof(in), "%s", board);
		}
		tmpd_path(t, "board.dts", src, sizeof(src));
		rc = run_dtc(args, p_err);
		if (rc == 127 || rc < 0) {
			fprintf(stderr, "dmapool: --after %s: dtc (device-tree-compiler) is needed to decompile the board and could not be run\n",
				scenario);
			return EXIT_USAGE;
		}
		if (rc) {
			fprintf(stderr, "dmapool: --after %s: dtc could not decompile %s:\n",
				scenario, board ? board : "the demo board");
			print_dtc_errors(p_err);
			return EXIT_LOAD;
		}
	}
	f = fopen(p_all, "w");
	if (!f || fprintf(f, "/include/ \"%s\"\n/include/ \"%s\"\n", src, scen) < 0 ||
	    fclose(f)) {
		fprintf(stderr, "dmapool: --after %s: cannot write a temporary file: %s\n",
			scenario, strerror(errno));
		return EXIT_INTERNAL;
	}
	{
		char a0[] = "dtc", a1[] = "-q", a2[] = "-I", a3[] = "dts", a4[] = "-O";
		char a5[] = "dtb", a6[] = "-o";
		char *args[] = { a0, a1, a2, a3, a4, a5, a6, p_dtb, p_all, NULL };

		rc = run_dtc(args, p_err);
	}
	if (rc == 127 || rc < 0) {
		fprintf(stderr, "dmapool: --after %s: dtc (device-tree-compiler) is needed to compile the scenario and could not be run\n",
			scenario);
		return EXIT_USAGE;
	}
	if (rc) {
		fprintf(stderr, "dmapool: --after %s: dtc failed on the board with the scenario appended:\n",
			scenario);
		print_dtc_errors(p_err);
		return EXIT_USAGE;
	}
	if (read_all(p_dtb, blob, len)) {
		fprintf(stderr, "dmapool: --after %s: cannot read dtc's output\n", scenario);
		return EXIT_INTERNAL;
	}
	return 0;
}

int tool_load_after(struct common *co, const char *scenario,
		    struct load_ctx *lc, struct dmapool_machine **m)
{
	struct tmpd t = { .made = false };
	void *blob = NULL;
	size_t len = 0;
	int rc, err;

	*m = NULL;
	if (!scenario || !strcmp(scenario, "probes")) {
		if (load_board(co->board, &co->cfg, lc, m))
			return EXIT_LOAD;
	} else {
		rc = compile_scenario(co->board, scenario, &t, &blob, &len);
		tmpd_remove(&t);
		if (rc) {
			free(blob);
			return rc;
		}
		co->cfg.log_sink = capture_log;
		co->cfg.log_ctx = lc;
		err = dmapool_machine_load_blob(blob, len, &co->cfg, m);
		free(blob);
		if (err) {
			fprintf(stderr, "dmapool: %s with --after %s: %s%s%s\n",
				co->board ? co->board : "(demo board)", scenario,
				dmapool_strerror(err), lc->why ? ": " : "",
				lc->why ? lc->why : "");
			return EXIT_LOAD;
		}
	}
	if (scenario) {
		rc = dmapool_run_probes(*m);
		if (rc <= 0) {
			if (rc == 0)
				fprintf(stderr, "dmapool: --after %s: %s has no \"libdmapool,probe\" node\n",
					scenario, strcmp(scenario, "probes") ? "the scenario" : "the board");
			else
				fprintf(stderr, "dmapool: --after %s: %s\n", scenario,
					dmapool_strerror(rc));
			dmapool_machine_destroy(*m);
			*m = NULL;
			return rc == 0 ? EXIT_USAGE : EXIT_INTERNAL;
		}
	}
	/* as at the end of the kernel's boot: every device that names an
	 * IOMMU is attached to it */
	iommu_probe_all(*m);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Layout */

#define SVG_W		1200
#define MARGIN		20
#define BAND_W		(SVG_W - 2 * MARGIN)
#define LANE_H		34
#define ZONE_H		14
#define ROW_H		16

struct item {
	const struct dmapool_region_usage *u;
	int num;		/* 1-based number in the band's list */
	int lane;
	size_t band;		/* index in layout.bands */
	bool inner;		/* drawn inside its container (atomic from CMA) */
	const struct item *outer;
};

struct band {
	const char *title;
	uint64_t lo, hi;	/* [lo, hi) */
	struct item **items;
	size_t n;
	int lanes;
	uint64_t *bp;		/* breakpoints, sorted */
	double *bx;		/* x of each breakpoint */
	size_t nbp;
	bool is_ram;
};

struct layout {
	struct dmapool_region_usage *u;
	size_t nu;
	struct item *items;
	size_t nitems;
	struct band *bands;
	size_t nbands;
	enum map_scale scale;
};

const char *memmap_kind_class(const struct dmapool_region_usage *u)
{
	return u->kind;
}

static const char *kind_fill(const char *kind, bool from_cma)
{
	static const struct { const char *k, *c; } tab[] = {
		{ "kernel", "#7f7f7f" }, { "dma-pool", "#4e79a7" },
		{ "global-pool", "#76b7b2" }, { "cma", "#59a14f" },
		{ "default-cma", "#8cd17d" }, { "restricted", "#b07aa1" },
		{ "swiotlb", "#f28e2b" }, { "atomic", "#e15759" },
		{ "plain", "#bab0ac" }, { "failed", "#ff9da7" },
	};

	if (from_cma)
		return "#edc948";
	for (size_t i = 0; i < ARRAY_SIZE(tab); i++)
		if (!strcmp(kind, tab[i].k))
			return tab[i].c;
	return "#d7d7d7";
}

static const char *kind_words(const char *kind)
{
	static const struct { const char *k, *w; } tab[] = {
		{ "kernel", "kernel image" }, { "dma-pool", "per-device coherent pool" },
		{ "global-pool", "global coherent pool" }, { "cma", "CMA area" },
		{ "default-cma", "default CMA area" }, { "restricted", "restricted DMA pool" },
		{ "swiotlb", "SWIOTLB bounce pool" }, { "atomic", "atomic pool" },
		{ "plain", "reserved (no handler)" }, { "failed", "released (setup failed)" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(tab); i++)
		if (!strcmp(kind, tab[i].k))
			return tab[i].w;
	return kind;
}

static uint64_t u_end(const struct dmapool_region_usage *u)
{
	return u->base + u->size < u->base ? UINT64_MAX : u->base + u->size;
}

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = *(struct item *const *)a, *y = *(struct item *const *)b;

	if (x->u->base != y->u->base)
		return x->u->base < y->u->base ? -1 : 1;
	if (x->u->size != y->u->size)
		return x->u->size > y->u->size ? -1 : 1;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void layout_free(struct layout *l)
{
	for (size_t i = 0; i < l->nbands; i++) {
		free(l->bands[i].items);
		free(l->bands[i].bp);
		free(l->bands[i].bx);
	}
	free(l->bands);
	free(l->items);
	free(l->u);
	memset(l, 0, sizeof(*l));
}

static double seg_weight(uint64_t s, enum map_scale scale)
{
	double w;

	if (scale == SCALE_LINEAR)
		return (double)s;
	w = log2((double)s + 1.0) - 10.0;	/* 1 KiB -> 0 */
	return w < 3.0 ? 3.0 : w;
}

static int band_axis(struct band *b, enum map_scale scale)
{
	size_t cap = 2 + 2 * b->n, n = 0;
	double total = 0, x = MARGIN;

	b->bp = malloc(cap * sizeof(*b->bp));
	b->bx = malloc(cap * sizeof(*b->bx));
	if (!b->bp || !b->bx)
		return -ENOMEM;
	b->bp[n++] = b->lo;
	b->bp[n++] = b->hi;
	for (size_t i = 0; i < b->n; i++) {
		uint64_t s = b->items[i]->u->base, e = u_end(b->items[i]->u);

		if (s > b->lo && s < b->hi)
			b->bp[n++] = s;
		if (e > b->lo && e < b->hi)
			b->bp[n++] = e;
	}
	qsort(b->bp, n, sizeof(*b->bp), cmp_u64);
	b->nbp = 0;
	for (size_t i = 0; i < n; i++)
		if (!b->nbp || b->bp[b->nbp - 1] != b->bp[i])
			b->bp[b->nbp++] = b->bp[i];
	for (size_t i = 0; i + 1 < b->nbp; i++)
		total += seg_weight(b->bp[i + 1] - b->bp[i], scale);
	if (scale == SCALE_LINEAR || total <= 0)
		total = (double)(b->hi - b->lo);
	b->bx[0] = MARGIN;
	for (size_t i = 0; i + 1 < b->nbp; i++) {
		double w = scale == SCALE_LINEAR ? (double)(b->bp[i + 1] - b->bp[i]) :
			   seg_weight(b->bp[i + 1] - b->bp[i], scale);

		x += total > 0 ? w / total * BAND_W : 0;
		b->bx[i + 1] = x;
	}
	if (b->nbp == 1)
		b->bx[0] = MARGIN;
	return 0;
}

static double band_x(const struct band *b, uint64_t a)
{
	size_t lo = 0, hi;

	if (b->nbp < 2)
		return MARGIN;
	if (a <= b->bp[0])
		return b->bx[0];
	if (a >= b->bp[b->nbp - 1])
		return b->bx[b->nbp - 1];
	hi = b->nbp - 1;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (b->bp[mid] <= a)
			lo = mid;
		else
			hi = mid;
	}
	return b->bx[lo] + (b->bx[lo + 1] - b->bx[lo]) *
		((double)(a - b->bp[lo]) / (double)(b->bp[lo + 1] - b->bp[lo]));
}

static int layout_build(struct layout *l, struct dmapool_machine *m,
			enum map_scale scale)
{
	size_t nram = 0, outside = 0;
	int err;

	memset(l, 0, sizeof(*l));
	l->scale = scale;
	err = dmapool_region_usage(m, &l->u, &l->nu);
	if (err)
		return err;
	for (size_t i = 0; i < l->nu; i++)
		nram += !strcmp(l->u[i].kind, "ram");
	l->items = calloc(l->nu ? l->nu : 1, sizeof(*l->items));
	l->bands = calloc(nram + 1, sizeof(*l->bands));
	if (!l->items || !l->bands)
		goto nomem;
	for (size_t i = 0; i < l->nu; i++) {
		const struct dmapool_region_usage *u = &l->u[i];

		if (!strcmp(u->kind, "ram")) {
			struct band *b = &l->bands[l->nbands++];

			b->lo = u->base;
			b->hi = u_end(u);
			b->is_ram = true;
		} else if (strcmp(u->kind, "zone")) {
			l->items[l->nitems++].u = u;
		}
	}
	/* each item goes to the bank holding its base, else outside RAM */
	for (size_t i = 0; i < l->nitems; i++) {
		struct item *it = &l->items[i];
		size_t k;

		for (k = 0; k < l->nbands; k++)
			if (it->u->size && it->u->base >= l->bands[k].lo &&
			    it->u->base < l->bands[k].hi)
				break;
		it->band = k;
		if (k == l->nbands)
			outside++;
	}
	if (outside) {
		struct band *b = &l->bands[l->nbands];

		b->lo = UINT64_MAX;
		b->hi = 0;
		for (size_t i = 0; i < l->nitems; i++) {
			struct item *it = &l->items[i];

			if (it->band != l->nbands)
				continue;
			if (it->u->base < b->lo)
				b->lo = it->u->base;
			if (u_end(it->u) > b->hi)
				b->hi = u_end(it->u);
		}
		if (b->hi <= b->lo)
			b->hi = b->lo + 1;
		l->nbands++;
	}
	for (size_t k = 0; k < l->nbands; k++) {
		struct band *b = &l->bands[k];
		uint64_t lane_end[64];
		int num = 0;

		b->items = calloc(l->nitems ? l->nitems : 1, sizeof(*b->items));
		if (!b->items)
			goto nomem;
		for (size_t i = 0; i < l->nitems; i++)
			if (l->items[i].band == k)
				b->items[b->n++] = &l->items[i];
		qsort(b->items, b->n, sizeof(*b->items), cmp_item);
		/* atomic chunks carved from CMA: inside their area */
		for (size_t i = 0; i < b->n; i++) {
			struct item *it = b->items[i];

			if (!it->u->from_cma)
				continue;
			for (size_t j = 0; j < b->n; j++) {
				const struct dmapool_region_usage *o = b->items[j]->u;

				if (j != i && strstr(o->kind, "cma") && it->u->base >= o->base &&
				    u_end(it->u) <= u_end(o)) {
					it->inner = true;
					it->outer = b->items[j];
					break;
				}
			}
		}
		b->lanes = 0;
		for (size_t i = 0; i < b->n; i++) {
			struct item *it = b->items[i];
			int ln;

			it->num = ++num;
			if (it->inner)
				continue;
			for (ln = 0; ln < b->lanes; ln++)
				if (lane_end[ln] <= it->u->base)
					break;
			if (ln == b->lanes) {
				if (b->lanes < (int)ARRAY_SIZE(lane_end))
					b->lanes++;
				else
					ln = b->lanes - 1;	/* crowded: share the last */
			}
			it->lane = ln;
			lane_end[ln] = u_end(it->u) > it->u->base ? u_end(it->u) : it->u->base + 1;
		}
		if (!b->lanes)
			b->lanes = 1;
		for (size_t i = 0; i < b->n; i++)
			if (b->items[i]->inner)
				b->items[i]->lane = b->items[i]->outer->lane;
		if (band_axis(b, scale))
			goto nomem;
	}
	return 0;
nomem:
	layout_free(l);
	return -ENOMEM;
}

/* ------------------------------------------------------------------ */
/* Output helpers */

/* XML/HTML text and attribute escaping (the report uses it too);
 * control characters other than tab and new line become '?'. */
void xml_esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				fputc('?', f);
			else
				fputc(*s, f);
		}
	}
}

static void pct(char *buf, size_t len, const struct dmapool_region_usage *u)
{
	if (!strcmp(u->kind, "kernel"))
		snprintf(buf, len, "kernel image");
	else if (!u->tracked)
		snprintf(buf, len, "no allocator (no device attached it)");
	else if (!u->size)
		snprintf(buf, len, "used 0");
	else {
		char s[32];

		snprintf(buf, len, "used %s (%.1f%%)", hsize(u->used, s),
			 100.0 * (double)u->used / (double)u->size);
	}
}

static const char *model_of(struct dmapool_machine *m)
{
	const char *model = fdt_getprop(m->fdt, 0, "model", NULL);

	return model && *model ? model : "(no model)";
}

/* ------------------------------------------------------------------ */
/* SVG */

static const char *const legend_kinds[] = {
	"kernel", "dma-pool", "global-pool", "cma", "default-cma", "restricted",
	"swiotlb", "atomic", "plain", "failed",
};

static void svg_item(FILE *f, struct dmapool_machine *m, const struct band *b,
		     const struct item *it, double y0)
{
	const struct dmapool_region_usage *u = it->u;
	double x0 = band_x(b, u->base), x1 = band_x(b, u_end(u));
	double y = y0 + it->lane * LANE_H + 2, h = LANE_H - 4;
	char pa[24], pe[24], s[32], used[96];

	if (it->inner) {
		y += 4;
		h -= 8;
	}
	if (x1 - x0 < 2)
		x1 = x0 + 2;
	pct(used, sizeof(used), u);
	fprintf(f, "<g class=\"entry\">\n");
	fprintf(f, "<rect class=\"region kind-%s%s%s\" data-name=\"", memmap_kind_class(u),
		u->nomap ? " nomap" : "", u->from_cma ? " from-cma" : "");
	xml_esc(f, u->name);
	fprintf(f, "\" data-kind=\"%s\" data-base=\"0x%llx\" data-size=\"%llu\" data-used=\"%llu\" data-devices=\"",
		u->kind, (unsigned long long)u->base, (unsigned long long)u->size,
		(unsigned long long)u->used);
	for (size_t d = 0; d < u->ndevices; d++) {
		if (d)
			fputc(' ', f);
		xml_esc(f, u->devices[d]);
	}
	fprintf(f, "\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\" stroke=\"#333\" stroke-width=\"0.5\"%s>",
		x0, y, x1 - x0, h, kind_fill(u->kind, u->from_cma),
		u->nomap ? " stroke-dasharray=\"3 2\"" : "");
	fprintf(f, "<title>%d. ", it->num);
	xml_esc(f, u->name);
	fprintf(f, " (%s%s%s) %s-%s %s, %s</title></rect>\n", kind_words(u->kind),
		u->pool ? ", " : "", u->pool ? u->pool : "",
		fmt_pa(m, u->base, pa), fmt_pa(m, u_end(u) - (u->size ? 1 : 0), pe),
		hsize(u->size, s), used);
	for (size_t r = 0; r < u->nruns; r++) {
		double rx0 = band_x(b, u->runs[r].start);
		double rx1 = band_x(b, u->runs[r].start + u->runs[r].size);

		if (rx1 - rx0 < 1)
			rx1 = rx0 + 1;
		fprintf(f, "<rect class=\"used\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"#1b1b1b\" fill-opacity=\"0.55\"/>\n",
			rx0, y + h * 0.45, rx1 - rx0, h * 0.55);
	}
	if (x1 - x0 >= 16)
		fprintf(f, "<text class=\"num\" x=\"%.2f\" y=\"%.2f\" font-size=\"10\" text-anchor=\"middle\">%d</text>\n",
			(x0 + x1) / 2, y + 11, it->num);
	fprintf(f, "</g>\n");
}

int memmap_svg(FILE *f, struct dmapool_machine *m, enum map_scale scale,
	       const char *title, bool standalone)
{
	struct layout l;
	double y, height = 160;
	int err = layout_build(&l, m, scale);
	char a[24], b2[24], s[32], used[96];

	if (err)
		return err;
	for (size_t k = 0; k < l.nbands; k++)
		height += 50 + l.bands[k].lanes * LANE_H + ZONE_H + 10 +
			  (double)l.bands[k].n * ROW_H + 20;
	if (standalone)
		fprintf(f, "<!-- SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause -->\n");
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"memmap\" width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
		SVG_W, height, SVG_W, height);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%.0f\" fill=\"#ffffff\"/>\n", SVG_W, height);
	fprintf(f, "<text class=\"title\" x=\"%d\" y=\"24\" font-size=\"16\" font-weight=\"bold\">", MARGIN);
	xml_esc(f, title);
	fprintf(f, "</text>\n");
	fprintf(f, "<text class=\"scale-label\" id=\"scale-label\" x=\"%d\" y=\"44\">%s</text>\n", MARGIN,
		scale == SCALE_LOG ?
		"address axis: log scale of region sizes (each segment between two region boundaries is as wide as log2 of its size; linear inside a segment)" :
		"address axis: linear, to scale (regions narrower than 2 px are drawn 2 px wide)");
	/* legend */
	{
		double x = MARGIN, ly = 56;
		static const char *const extra[][2] = {
			{ "from-cma", "atomic pool carved from CMA" },
			{ "used", "in use" },
			{ "nomap", "dashed outline: no-map" },
		};

		for (size_t i = 0; i < ARRAY_SIZE(legend_kinds) + ARRAY_SIZE(extra); i++) {
			bool kind = i < ARRAY_SIZE(legend_kinds);
			const char *k = kind ? legend_kinds[i] : extra[i - ARRAY_SIZE(legend_kinds)][0];
			const char *w = kind ? kind_words(k) : extra[i - ARRAY_SIZE(legend_kinds)][1];
			double iw = 24 + 6.5 * (double)strlen(w);

			if (x + iw > SVG_W - MARGIN) {
				x = MARGIN;
				ly += 18;
			}
			fprintf(f, "<rect class=\"legend %s%s\" x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"12\" fill=\"%s\"%s stroke=\"#333\" stroke-width=\"0.5\"%s/>",
				kind ? "kind-" : "", k, x, ly,
				!strcmp(k, "used") ? "#1b1b1b" : !strcmp(k, "nomap") ? "#ffffff" :
				kind_fill(k, !strcmp(k, "from-cma")),
				!strcmp(k, "used") ? " fill-opacity=\"0.55\"" : "",
				!strcmp(k, "nomap") ? " stroke-dasharray=\"3 2\"" : "");
			fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\">%s</text>\n", x + 16, ly + 10, w);
			x += iw;
		}
		y = ly + 44;
	}
	for (size_t k = 0; k < l.nbands; k++) {
		const struct band *b = &l.bands[k];
		double by;

		fprintf(f, "<g class=\"band%s\">\n", b->is_ram ? " ram" : " outside");
		if (b->is_ram)
			fprintf(f, "<text class=\"band-title\" x=\"%d\" y=\"%.0f\" font-weight=\"bold\">RAM bank %zu: %s-%s, %s</text>\n",
				MARGIN, y, k, fmt_pa(m, b->lo, a), fmt_pa(m, b->hi - 1, b2),
				hsize(b->hi - b->lo, s));
		else
			fprintf(f, "<text class=\"band-title\" x=\"%d\" y=\"%.0f\" font-weight=\"bold\">outside RAM (or not placed)</text>\n",
				MARGIN, y);
		by = y + 8;
		fprintf(f, "<rect class=\"%s\" x=\"%d\" y=\"%.0f\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"#999\"/>\n",
			b->is_ram ? "bank kind-ram" : "outside", MARGIN, by, BAND_W,
			b->lanes * LANE_H, b->is_ram ? "#f3f6fa" : "#fafafa");
		for (size_t i = 0; i < b->n; i++)
			if (!b->items[i]->inner)
				svg_item(f, m, b, b->items[i], by);
		for (size_t i = 0; i < b->n; i++)
			if (b->items[i]->inner)
				svg_item(f, m, b, b->items[i], by);
		by += b->lanes * LANE_H;
		/* zones under a RAM bank */
		for (size_t z = 0; b->is_ram && z < l.nu; z++) {
			const struct dmapool_region_usage *u = &l.u[z];
			uint64_t lo, hi;
			double zx0, zx1;

			if (strcmp(u->kind, "zone"))
				continue;
			lo = u->base > b->lo ? u->base : b->lo;
			hi = u_end(u) < b->hi ? u_end(u) : b->hi;
			if (lo >= hi)
				continue;
			zx0 = band_x(b, lo);
			zx1 = band_x(b, hi);
			fprintf(f, "<rect class=\"zone\" x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%d\" fill=\"#e8e8e8\" stroke=\"#aaa\"/>",
				zx0, by + 2, zx1 - zx0, ZONE_H - 2);
			if (zx1 - zx0 > 90)
				fprintf(f, "<text class=\"zone-label\" x=\"%.2f\" y=\"%.0f\" font-size=\"10\">ZONE_%s</text>",
					zx0 + 3, by + ZONE_H - 2, !strcmp(u->name, "Normal") ? "NORMAL" :
					!strcmp(u->name, "HighMem") ? "HIGHMEM" : u->name);
			fputc('\n', f);
		}
		by += ZONE_H;
		fprintf(f, "<text class=\"axis\" x=\"%d\" y=\"%.0f\" font-size=\"10\">%s</text>", MARGIN,
			by + 10, fmt_pa(m, b->lo, a));
		fprintf(f, "<text class=\"axis\" x=\"%d\" y=\"%.0f\" font-size=\"10\" text-anchor=\"end\">%s</text>\n",
			SVG_W - MARGIN, by + 10, fmt_pa(m, b->hi - 1, a));
		by += 24;
		for (size_t i = 0; i < b->n; i++) {
			const struct dmapool_region_usage *u = b->items[i]->u;

			pct(used, sizeof(used), u);
			fprintf(f, "<text class=\"row\" x=\"%d\" y=\"%.0f\"><tspan font-weight=\"bold\">%d.</tspan> ",
				MARGIN, by + (double)i * ROW_H, b->items[i]->num);
			xml_esc(f, u->name);
			fprintf(f, " — %s%s%s%s, %s, %s, %s", kind_words(u->kind),
				u->nomap ? " (no-map)" : "", u->pool ? ", " : "",
				u->pool ? u->pool : "", fmt_pa(m, u->base, a), hsize(u->size, s), used);
			if (u->ndevices) {
				fprintf(f, "; devices: <tspan class=\"devices\">");
				for (size_t d = 0; d < u->ndevices; d++) {
					if (d)
						fputs(", ", f);
					xml_esc(f, u->devices[d]);
				}
				fprintf(f, "</tspan>");
			}
			fprintf(f, "</text>\n");
		}
		y = by + (double)b->n * ROW_H + 30;
		fprintf(f, "</g>\n");
	}
	fprintf(f, "</svg>\n");
	layout_free(&l);
	return ferror(f) ? -EIO : 0;
}

/* ------------------------------------------------------------------ */
/* Text */

int memmap_text(FILE *f, struct dmapool_machine *m, const char *title)
{
	struct layout l;
	char a[24], b2[24], s[32], used[96];
	int err = layout_build(&l, m, SCALE_LINEAR);

	if (err)
		return err;
	fprintf(f, "%s\n", title);
	for (size_t k = 0; k < l.nbands; k++) {
		const struct band *b = &l.bands[k];

		if (b->is_ram)
			fprintf(f, "\nRAM bank %zu  %s-%s  %s\n", k, fmt_pa(m, b->lo, a),
				fmt_pa(m, b->hi - 1, b2), hsize(b->hi - b->lo, s));
		else
			fprintf(f, "\nOutside RAM (or not placed)\n");
		for (size_t i = 0; i < b->n; i++) {
			const struct dmapool_region_usage *u = b->items[i]->u;

			pct(used, sizeof(used), u);
			fprintf(f, "  %2d. %s-%s  %-9s %-12s %s%s%s%s", b->items[i]->num,
				fmt_pa(m, u->base, a), fmt_pa(m, u_end(u) - (u->size ? 1 : 0), b2),
				hsize(u->size, s), u->kind, u->name, u->nomap ? " (no-map)" : "",
				u->pool ? " " : "", u->pool ? u->pool : "");
			fprintf(f, "%s, %s", u->from_cma ? " (from CMA)" : "", used);
			if (u->ndevices) {
				fprintf(f, ", devices:");
				for (size_t d = 0; d < u->ndevices; d++)
					fprintf(f, "%s %s", d ? "," : "", u->devices[d]);
			}
			fputc('\n', f);
		}
		if (!b->n)
			fprintf(f, "  no region\n");
	}
	fprintf(f, "\nZones (buddy allocator)\n");
	for (size_t z = 0; z < l.nu; z++) {
		const struct dmapool_region_usage *u = &l.u[z];

		if (strcmp(u->kind, "zone"))
			continue;
		fprintf(f, "  %-7s %s-%s  %-9s not free in the buddy: %s (%.1f%%)\n", u->name,
			fmt_pa(m, u->base, a), fmt_pa(m, u_end(u) - 1, b2), hsize(u->size, s),
			hsize(u->used, used), u->size ? 100.0 * (double)u->used / (double)u->size : 0.0);
	}
	layout_free(&l);
	return ferror(f) ? -EIO : 0;
}

/* ------------------------------------------------------------------ */
/* dmapool map */

#define MAP_SYNOPSIS \
	"usage: dmapool map [BOARD] [--after SCENARIO] [--svg FILE] [--scale log|linear]\n" \
	"                   [--arch A] [--bootargs S] [--mem SIZE]\n"

static const char *const map_short =
	MAP_SYNOPSIS
	"Run 'dmapool map --help' for the options.\n";

static const char *const map_usage =
	MAP_SYNOPSIS
	"\n"
	"Boot BOARD (default: the built-in demo board), optionally play a\n"
	"scenario, and show the physical address space: RAM banks, the kernel\n"
	"image and every reserved region by kind, SWIOTLB, the atomic pools,\n"
	"the used ranges inside each pool and the devices each region is\n"
	"attached to.  Text on stdout, or an SVG picture with --svg.\n"
	"\n"
	"options:\n"
	"  --after SCENARIO  'probes': run the board's libdmapool,probe nodes (as\n"
	"                    'dmapool run'); or a .dts/.dtsi fragment of probe\n"
	"                    nodes, appended to the board's source and compiled\n"
	"                    with dtc, whose probe nodes are then run\n"
	"  --svg FILE        write an SVG picture to FILE ('-': stdout)\n"
	"  --scale S         log (default: widths grow with log2 of the sizes) or\n"
	"                    linear (to scale); the picture says which\n"
	"  --arch A          architecture profile: arm64 (default), arm, arm-nommu,\n"
	"                    riscv64, x86_64\n"
	"  --bootargs S      kernel command line, replaces /chosen/bootargs\n"
	"  --mem SIZE        RAM size when the tree has no /memory (512M, 2G...)\n"
	"  -h, --help        show this help\n"
	"\n"
	"Exit status: 0 success, 1 internal failure, 2 bad usage, unloadable\n"
	"board or scenario.\n";

void map_title(char *buf, size_t len, struct dmapool_machine *m,
	       const struct common *co, const char *scenario)
{
	const char *board = co->board ? strrchr(co->board, '/') : NULL;
	const char *sc = scenario ? strrchr(scenario, '/') : NULL;

	board = board ? board + 1 : co->board ? co->board : "built-in demo board";
	sc = sc ? sc + 1 : scenario;
	snprintf(buf, len, "Physical memory map: %s (%s, %s), %s%s", model_of(m), board,
		 m->prof.arch, sc ? "after " : "at boot", sc ? sc : "");
}

int cmd_map(int argc, char **argv)
{
	struct common co = { .cmd = "map", .short_usage = map_short, .long_usage = map_usage };
	struct load_ctx lc = { NULL };
	struct dmapool_machine *m = NULL;
	const char *scenario = NULL, *svg = NULL;
	enum map_scale scale = SCALE_LOG;
	char title[512];
	int r, err, ret = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!co.opts_done && is_opt(a, "--after")) {
			scenario = opt_value(argc, argv, &i, "--after");
			if (!scenario || !*scenario)
				return usage_error(map_short, "map: --after needs a value");
		} else if (!co.opts_done && is_opt(a, "--svg")) {
			svg = opt_value(argc, argv, &i, "--svg");
			if (!svg || !*svg)
				return usage_error(map_short, "map: --svg needs a value");
		} else if (!co.opts_done && is_opt(a, "--scale")) {
			const char *v = opt_value(argc, argv, &i, "--scale");

			if (v && !strcmp(v, "log"))
				scale = SCALE_LOG;
			else if (v && !strcmp(v, "linear"))
				scale = SCALE_LINEAR;
			else
				return usage_error(map_short, "map: bad --scale '%s' (log, linear)",
						   v ? v : "");
		} else if ((r = common_opt(argc, argv, &i, &co)) != 0) {
			if (r < 0)
				return CO_RET(r);
		} else {
			return usage_error(map_short, "map: unknown option '%s'", a);
		}
	}
	r = tool_load_after(&co, scenario, &lc, &m);
	if (r) {
		free(lc.why);
		return r;
	}
	map_title(title, sizeof(title), m, &co, scenario);
	if (svg) {
		FILE *f = strcmp(svg, "-") ? fopen(svg, "w") : stdout;

		if (!f) {
			fprintf(stderr, "dmapool: map: --svg %s: %s\n", svg, strerror(errno));
			ret = EXIT_USAGE;
		} else {
			err = memmap_svg(f, m, scale, title, true);
			if (f != stdout && fclose(f) && !err)
				err = -EIO;
			if (err) {
				fprintf(stderr, "dmapool: map: %s: %s\n", svg, dmapool_strerror(err));
				ret = EXIT_INTERNAL;
			}
		}
	} else {
		err = memmap_text(stdout, m, title);
		if (err) {
			fprintf(stderr, "dmapool: map: %s\n", dmapool_strerror(err));
			ret = EXIT_INTERNAL;
		}
	}
	dmapool_machine_destroy(m);
	free(lc.why);
	return finish(ret);
}
