/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * dmapool: command-line front end of libdmapool (docs/cli.md).
 *
 *   dmapool inspect [BOARD] [--arch A] [--bootargs S] [--mem SIZE] [--json]
 *   dmapool run [BOARD] [--arch A] [--bootargs S] [--mem SIZE]
 *   dmapool explain [BOARD] --device D --size N [--gfp G] [--attrs A]
 *                   [--mask BITS] [--attach-regions] [--arch A] ... [--json]
 *   dmapool map [BOARD] [--after SCENARIO] [--svg FILE] [--scale log|linear]
 *   dmapool report [BOARD] [--after SCENARIO] --html FILE
 *
 * "inspect" loads a board (a .dtb, a .dts, or the built-in demo board) and
 * prints the boot log followed by tables of what the simulated kernel
 * built: RAM, the kernel image, reserved memory, pools, zones, devices.
 * With --json it prints dmapool_machine_json() instead.
 *
 * "run" boots the board and runs its "libdmapool,probe" nodes as the
 * oracle's test module does, printing the whole kernel log.  "explain"
 * makes one coherent allocation on one device and prints the decision
 * trace: every stage visited and why, then the backend.
 *
 * "map" draws the physical address space with the pools' occupancy (text,
 * or SVG with --svg; memmap.c) and "report" writes one self-contained
 * HTML page with the boot log, the map, the pools, the devices and their
 * decision trees (report.c).
 *
 * Exit status: 0 success, 1 internal failure (out of memory, write
 * error), 2 bad usage or a board that cannot be loaded.
 */
#include <libfdt.h>

#include "jsonw.h"
#include "tool.h"
#include "dot.h"

static const char *const main_usage =
	"usage: dmapool COMMAND [ARGS]\n"
	"       dmapool --help | --version\n"
	"\n"
	"commands:\n"
	"  inspect   load a board and show the DMA memory hierarchy built from it\n"
	"  run       boot a board and run its libdmapool,probe nodes like the oracle\n"
	"  explain   make one coherent allocation and show why the kernel chose its pool\n"
	"  map       draw the physical memory map and the pools' occupancy (text or SVG)\n"
	"  report    write one self-contained HTML page: boot log, map, pools, devices,\n"
	"            decision trees\n"
	"\n"
	"Run 'dmapool COMMAND --help' for the options of a command.\n";

#define INSPECT_SYNOPSIS \
	"usage: dmapool inspect [BOARD] [--arch A] [--bootargs S] [--mem SIZE] [--json]\n"

/* on bad usage: the synopsis only */
static const char *const inspect_short =
	INSPECT_SYNOPSIS
	"Run 'dmapool inspect --help' for the options.\n";

static const char *const inspect_usage =
	INSPECT_SYNOPSIS
	"\n"
	"Load BOARD (a .dtb, or a .dts compiled with dtc; default: the built-in\n"
	"demo board), boot the simulated Linux 6.12 kernel on it and print its\n"
	"boot log followed by tables of RAM, reserved memory, pools, zones and\n"
	"devices.\n"
	"\n"
	"options:\n"
	"  --arch A        architecture profile: arm64 (default), arm, arm-nommu,\n"
	"                  riscv64, x86_64\n"
	"  --bootargs S    kernel command line, replaces /chosen/bootargs\n"
	"  --mem SIZE      RAM size when the tree has no /memory (512M, 2G...)\n"
	"  --json          print one JSON document instead of text\n"
	"  -h, --help      show this help\n"
	"\n"
	"Exit status: 0 success, 1 internal failure, 2 bad usage or unloadable board.\n";

/* ------------------------------------------------------------------ */
/* Helpers */

/* Exact human size: the largest binary unit that divides the value. */
const char *hsize(uint64_t v, char buf[32])
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;

	while (v && u + 1 < ARRAY_SIZE(units) && !(v & 1023)) {
		v >>= 10;
		u++;
	}
	snprintf(buf, 32, "%llu %s", (unsigned long long)v, units[u]);
	return buf;
}

/* Strict memparse: digits (0x... allowed) and an optional K/M/G/T suffix. */
static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned shift = 0;
	char *e;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &e, 0);
	if (errno || e == s)
		return -EINVAL;
	switch (*e) {
	case 'K': case 'k': shift = 10; e++; break;
	case 'M': case 'm': shift = 20; e++; break;
	case 'G': case 'g': shift = 30; e++; break;
	case 'T': case 't': shift = 40; e++; break;
	default: break;
	}
	if (*e || !v || (shift && v > (~0ULL >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

void capture_log(void *ctx, const char *line)
{
	static const char pfx[] = "libdmapool: ";
	struct load_ctx *lc = ctx;
	char *copy;

	if (strncmp(line, pfx, sizeof(pfx) - 1))
		return;
	copy = strdup(line + sizeof(pfx) - 1);
	if (!copy)
		return;
	free(lc->why);
	lc->why = copy;
}

static int col_width(size_t len, size_t min, size_t max)
{
	if (len < min)
		len = min;
	if (len > max)
		len = max;
	return (int)len;
}

/* ------------------------------------------------------------------ */
/* Text output of inspect */

static void print_memory(const struct dmapool_machine *m)
{
	char a[24], b[24], s[32];

	printf("RAM (%s)\n", hsize(memblock_phys_mem_size(&m->mb), s));
	/* the banks physmem built: contiguous memory regions, nomap or not */
	for (size_t i = 0; i < m->pm.nbanks; i++) {
		const struct pm_bank *bk = &m->pm.banks[i];

		printf("  bank %-3zu  %s-%s  %s\n", i, fmt_pa(m, bk->base, a),
		       fmt_pa(m, bk->base + bk->size - 1, b), hsize(bk->size, s));
	}
	if (m->kernel_end > m->kernel_start)
		printf("  kernel    %s-%s  %s\n", fmt_pa(m, m->kernel_start, a),
		       fmt_pa(m, m->kernel_end - 1, b),
		       hsize(m->kernel_end - m->kernel_start, s));
	else
		printf("  kernel    not placed\n");
}

/* How the CPU sees the region. */
static const char *rmem_attr(const struct dmapool_machine *m,
			     const struct reserved_mem *r)
{
	const struct cma_area *c;

	switch (r->kind) {
	case RMEM_DMA_POOL:
	case RMEM_GLOBAL_POOL:
		/* memremap(MEMREMAP_WC) refuses System RAM at attach time */
		return memblock_ram_intersects(&m->mb, r->base, r->size) ? "WC pool (on RAM)" : "WC pool";
	case RMEM_CMA:
		c = r->priv;
		return c && (!c->activated || c->failed) ? "CMA (unusable)"
							 : "CMA (WB, reusable)";
	case RMEM_RESTRICTED:
		return "bounce pool (WB)";
	case RMEM_FAILED:
		return "released";
	case RMEM_PLAIN:
	default:
		return r->nomap ? "no-map" : "WB";
	}
}

static void print_regions(const struct dmapool_machine *m)
{
	char a[24], s[32];
	size_t w = 4;
	int nw;

	for (size_t i = 0; i < m->n_rmem; i++)
		if (strlen(m->rmem[i].name) > w)
			w = strlen(m->rmem[i].name);
	nw = col_width(w, 4, 22);
	printf("Reserved memory (%zu region%s)\n", m->n_rmem, m->n_rmem == 1 ? "" : "s");
	if (!m->n_rmem) {
		printf("  none\n");
		return;
	}
	printf("  %-*s  %-*s  %-9s %-11s %-6s %-6s %s\n", nw, "name",
	       (int)m->prof.phys_digits + 2, "base", "size", "kind", "map",
	       "placed", "attribute");
	for (size_t i = 0; i < m->n_rmem; i++) {
		const struct reserved_mem *r = &m->rmem[i];

		printf("  %-*s  %s  %-9s %-11s %-6s %-6s %s\n", nw, r->name,
		       fmt_pa(m, r->base, a), hsize(r->size, s), rmem_kind_name(m, r),
		       r->nomap ? "no-map" : "map", r->dynamic ? "alloc" : "reg",
		       rmem_attr(m, r));
	}
}

static void print_pools(const struct dmapool_machine *m)
{
	const struct io_tlb_pool *t = &m->swiotlb;
	char a[24], b[24], s[32];
	size_t w = 4, n = 0;
	int nw;

	for (size_t i = 0; i < m->n_cma; i++)
		if (strlen(m->cma[i]->name) > w)
			w = strlen(m->cma[i]->name);
	nw = col_width(w, 4, 24);
	printf("CMA areas\n");
	if (!m->n_cma)
		printf("  none\n");
	else
		printf("  %-*s  %-*s  %-9s %-7s  %s\n", nw, "name",
		       (int)m->prof.phys_digits + 2, "base", "size", "default", "usable");
	for (size_t i = 0; i < m->n_cma; i++) {
		const struct cma_area *c = m->cma[i];

		printf("  %-*s  %s  %-9s %-7s  %s\n", nw, c->name, fmt_pa(m, c->base, a),
		       hsize(c->count << m->prof.page_shift, s),
		       c == m->default_cma ? "yes" : "no",
		       c->activated && !c->failed ? "yes" : "no");
	}

	printf("\nAtomic pools\n");
	for (size_t i = 0; i < ARRAY_SIZE(m->atomic); i++) {
		const struct atomic_pool *p = &m->atomic[i];

		if (!p->present)
			continue;
		printf("  %-22s  %s\n", p->gfp_name, hsize(gen_pool_size_sim(p->gp), s));
		n++;
	}
	if (!n)
		printf("  none\n");

	printf("\nSWIOTLB\n");
	if (t->present)
		printf("  %s-%s  %s, %llu slots%s\n", fmt_pa(m, t->start, a),
		       fmt_pa(m, t->end - 1, b), hsize(t->end - t->start, s),
		       (unsigned long long)t->nslabs, t->force ? ", forced" : "");
	else
		printf("  none\n");
}

static void print_zones(const struct dmapool_machine *m)
{
	unsigned ps = m->prof.page_shift;
	char a[24], b[24], s[32];

	printf("Zones\n");
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		const struct zone_info *zi = &m->zones[z];
		if (!zone_configured(&m->prof, z))
			continue;
		if (zi->end_pfn > zi->start_pfn)
			printf("  %-7s  %s-%s  %s\n", zone_names[z],
			       fmt_pa(m, zi->start_pfn << ps, a),
			       fmt_pa(m, (zi->end_pfn << ps) - 1, b),
			       hsize((zi->end_pfn - zi->start_pfn) << ps, s));
		else
			printf("  %-7s  empty\n", zone_names[z]);
	}
}

static void print_device(struct dmapool_machine *m, const struct device *d)
{
	char path[512], a[24], b[24], s[32], lim[24];

	printf("  %s  %s\n", d->name, d->path);
	if (d->bus_dma_limit)
		snprintf(lim, sizeof(lim), "0x%llx", (unsigned long long)d->bus_dma_limit);
	else
		snprintf(lim, sizeof(lim), "none");
	printf("    coherent: %s  bus_dma_limit: %s\n", d->coherent ? "yes" : "no", lim);
	if (d->dma_mask)
		snprintf(a, sizeof(a), "0x%llx", (unsigned long long)*d->dma_mask);
	else
		snprintf(a, sizeof(a), "none");
	printf("    dma_mask: %s  coherent_dma_mask: 0x%llx\n", a,
	       (unsigned long long)d->coherent_dma_mask);
	for (size_t i = 0; d->dma_range_map && i < d->n_ranges; i++) {
		const struct bus_dma_region *r = &d->dma_range_map[i];

		printf("    dma-range: cpu %s -> dma %s  %s\n", fmt_pa(m, r->cpu_start, a),
		       fmt_pa(m, r->dma_start, b), hsize(r->size, s));
	}
	for (size_t i = 0; i < d->n_mr; i++) {
		const char *target = fdt_path_or_null(m->fdt, d->mr_nodes[i], path, sizeof(path));
		const struct reserved_mem *r = d->mr_nodes[i] >= 0 ?
			rmem_find_by_node(m, d->mr_nodes[i]) : NULL;

		printf("    memory-region[%zu]", i);
		if (i < d->n_mr_names)
			printf(" \"%s\"", d->mr_names[i]);
		printf(" -> %s", target ? target : "(bad phandle)");
		if (r)
			printf(" (%s)", rmem_kind_name(m, r));
		else if (target)
			printf(" (not a reserved region)");
		printf("\n");
	}
	if (d->iommu_node >= 0) {
		const char *target = fdt_path_or_null(m->fdt, d->iommu_node, path, sizeof(path));

		printf("    iommu: %s", target ? target : "?");
		for (int i = 0; i < d->iommu_nargs; i++)
			printf("%s0x%x", i ? " " : " <", d->iommu_args[i]);
		printf("%s", d->iommu_nargs ? ">" : "");
		if (d->iommu_group)
			printf("  group %d, %s domain\n", d->iommu_group->id,
			       iommu_domain_mode(d));
		else
			printf("  not attached: dma-direct\n");
	}
}

/* IOMMUs, their domains and the devices behind them */
static void print_iommus(struct dmapool_machine *m)
{
	char a[40], b[40], path[256];

	if (!iommu_count(m))
		return;
	printf("IOMMUs (%zu)\n", iommu_count(m));
	for (size_t i = 0; i < iommu_count(m); i++) {
		struct iommu_info in;

		if (iommu_get_info(m, i, &in))
			continue;
		printf("  %s  %s  %s, %u-bit stream IDs, %u-bit IOVA space, granule 0x%llx\n",
		       in.name, fdt_path_or_null(m->fdt, in.node, path, sizeof(path)) ?
		       path : "?", in.smmuv3 ? "SMMUv3" : "generic IOMMU", in.sid_bits,
		       in.ias, (unsigned long long)in.granule);
		if (in.cmdq != PHYS_NONE)
			printf("    cmdq %s, evtq %s (1 MiB each), %zu L2 stream table(s)\n",
			       fmt_pa(m, in.cmdq, a), fmt_pa(m, in.evtq, b), in.n_l2);
		for (size_t k = 0; k < m->n_devs; k++) {
			const struct device *d = m->devs[k];

			if (d->iommu_node != in.node)
				continue;
			printf("    %-24s", d->name);
			for (unsigned s = 0; s < d->n_sids; s++)
				printf("%s0x%x", s ? "," : " sid ", d->sids[s]);
			if (d->iommu_group)
				printf("  group %d (%s)\n", d->iommu_group->id, iommu_domain_mode(d));
			else
				printf("  not attached (dma-direct)\n");
		}
	}
	printf("\n");
}

#define TEXT_WIDTH 100

/* prefix + words of text, wrapped at TEXT_WIDTH under the prefix. */
static void print_wrapped(const char *prefix, const char *text)
{
	size_t indent = strlen(prefix), col = indent;
	bool first = true;

	fputs(prefix, stdout);
	while (*text) {
		size_t sp = strspn(text, " \t\n");
		size_t n;

		text += sp;
		n = strcspn(text, " \t\n");
		if (!n)
			break;
		if (!first && col + 1 + n > TEXT_WIDTH) {
			printf("\n%*s", (int)indent, "");
			col = indent;
		} else if (!first) {
			putchar(' ');
			col++;
		}
		printf("%.*s", (int)n, text);
		col += n;
		text += n;
		first = false;
	}
	putchar('\n');
}

static void print_text(struct dmapool_machine *m)
{
	size_t n = dmapool_log_count(m);

	for (size_t i = 0; i < n; i++)
		printf("%s\n", dmapool_log_line(m, i));
	printf("\n");
	printf("Machine\n  arch      %s\n", m->prof.arch);
	print_wrapped("  bootargs  ", m->bootargs ? m->bootargs : "(none)");
	printf("\n");
	print_memory(m);
	printf("\n");
	print_regions(m);
	printf("\n");
	print_pools(m);
	printf("\n");
	print_zones(m);
	printf("\n");
	print_iommus(m);
	printf("Devices (%zu)\n", m->n_devs);
	if (!m->n_devs)
		printf("  none\n");
	for (size_t i = 0; i < m->n_devs; i++)
		print_device(m, m->devs[i]);
}

/* ------------------------------------------------------------------ */
/* inspect */

int usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "dmapool: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage);
	return EXIT_USAGE;
}

/* "--opt VALUE" or "--opt=VALUE": the value, or NULL when absent. */
const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n))
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] == 0 && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

bool is_opt(const char *a, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(a, name, n) && (a[n] == 0 || a[n] == '=');
}

/* struct common and the CO_* codes: tool.h */
int common_opt(int argc, char **argv, int *i, struct common *co)
{
	const char *a = argv[*i];
	struct dmapool_config *cfg = &co->cfg;

	if (co->opts_done || a[0] != '-' || !a[1]) {
		if (co->board)
			return usage_error(co->short_usage, "%s: more than one board: '%s'",
					   co->cmd, a), CO_EXIT_USAGE;
		co->board = a;
		return 1;
	}
	if (!strcmp(a, "--")) {
		co->opts_done = true;
		return 1;
	}
	if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
		fputs(co->long_usage, stdout);
		return CO_EXIT_OK;
	}
	if (is_opt(a, "--arch")) {
		cfg->arch = opt_value(argc, argv, i, "--arch");
		if (!cfg->arch || !*cfg->arch)
			return usage_error(co->short_usage, "%s: %s needs a value", co->cmd,
					   "--arch"), CO_EXIT_USAGE;
		return 1;
	}
	if (is_opt(a, "--bootargs")) {
		cfg->bootargs = opt_value(argc, argv, i, "--bootargs");
		if (!cfg->bootargs)
			return usage_error(co->short_usage, "%s: %s needs a value", co->cmd,
					   "--bootargs"), CO_EXIT_USAGE;
		return 1;
	}
	if (is_opt(a, "--mem")) {
		const char *v = opt_value(argc, argv, i, "--mem");

		if (!v)
			return usage_error(co->short_usage, "%s: %s needs a value", co->cmd,
					   "--mem"), CO_EXIT_USAGE;
		if (parse_size(v, &cfg->ram_size))
			return usage_error(co->short_usage, "%s: bad --mem size '%s'", co->cmd,
					   v), CO_EXIT_USAGE;
		return 1;
	}
	return 0;
}

static int cmd_inspect(int argc, char **argv)
{
	struct common co = { .cmd = "inspect", .short_usage = inspect_short, .long_usage = inspect_usage };
	struct load_ctx lc = { NULL };
	struct dmapool_machine *m = NULL;
	bool json = false;
	int err, r, ret = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if ((r = common_opt(argc, argv, &i, &co)) != 0) {
			if (r < 0)
				return CO_RET(r);
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else {
			return usage_error(inspect_short, "inspect: unknown option '%s'", a);
		}
	}

	co.cfg.log_sink = capture_log;
	co.cfg.log_ctx = &lc;
	if (co.board)
		err = dmapool_machine_load(co.board, &co.cfg, &m);
	else
		err = dmapool_machine_load_blob(dmapool_demo_dtb, dmapool_demo_dtb_size,
						&co.cfg, &m);
	if (err) {
		fprintf(stderr, "dmapool: %s: %s%s%s\n", co.board ? co.board : "(demo co.board)",
			dmapool_strerror(err), lc.why ? ": " : "", lc.why ? lc.why : "");
		free(lc.why);
		return EXIT_LOAD;
	}
	free(lc.why);
	/* as at the end of the kernel's boot: every driver bound, so every
	 * device that names an IOMMU is attached to it (tree order) */
	iommu_probe_all(m);

	if (json) {
		char *doc = dmapool_machine_json(m);

		if (!doc) {
			fprintf(stderr, "dmapool: %s\n", dmapool_strerror(-ENOMEM));
			ret = EXIT_INTERNAL;
		} else {
			fputs(doc, stdout);
			free(doc);
		}
	} else {
		print_text(m);
	}
	dmapool_machine_destroy(m);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "dmapool: write error: %s\n", strerror(errno));
		ret = EXIT_INTERNAL;
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* run */

#define RUN_SYNOPSIS \
	"usage: dmapool run [BOARD] [--arch A] [--bootargs S] [--mem SIZE]\n"

static const char *const run_short =
	RUN_SYNOPSIS
	"Run 'dmapool run --help' for the options.\n";

static const char *const run_usage =
	RUN_SYNOPSIS
	"\n"
	"Boot BOARD (default: the built-in demo board) and run every\n"
	"\"libdmapool,probe\" node in tree order, as the oracle's dmaprobe.ko\n"
	"does on the real kernel: probe,dma-bits, memory-region attach, then\n"
	"probe,ops (1 SIZE alloc GFP_KERNEL, 2 SIZE alloc GFP_ATOMIC, 9 SIZE\n"
	"alloc GFP_KERNEL|WRITE_COMBINE, 3 IDX free #IDX).  Prints the whole\n"
	"kernel log: boot lines, then the driver's and the kernel's lines in\n"
	"the order they happen.  Lines starting \"libdmapool:\" are the\n"
	"simulator's own notes.\n"
	"\n"
	"options:\n"
	"  --arch A        architecture profile: arm64 (default), arm, arm-nommu,\n"
	"                  riscv64, x86_64\n"
	"  --bootargs S    kernel command line, replaces /chosen/bootargs\n"
	"  --mem SIZE      RAM size when the tree has no /memory (512M, 2G...)\n"
	"  -h, --help      show this help\n"
	"\n"
	"Exit status: 0 success, 1 internal failure, 2 bad usage or unloadable board.\n";

/* The sink stays with the machine: lc must live as long as it does. */
int load_board(const char *board, struct dmapool_config *cfg,
	       struct load_ctx *lc, struct dmapool_machine **m)
{
	int err;

	cfg->log_sink = capture_log;
	cfg->log_ctx = lc;
	if (board)
		err = dmapool_machine_load(board, cfg, m);
	else
		err = dmapool_machine_load_blob(dmapool_demo_dtb, dmapool_demo_dtb_size,
						cfg, m);
	if (err)
		fprintf(stderr, "dmapool: %s: %s%s%s\n", board ? board : "(demo board)",
			dmapool_strerror(err), lc->why ? ": " : "", lc->why ? lc->why : "");
	return err;
}

int finish(int ret)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "dmapool: write error: %s\n", strerror(errno));
		return EXIT_INTERNAL;
	}
	return ret;
}

static int cmd_run(int argc, char **argv)
{
	struct load_ctx lc = { NULL };
	struct common co = { .cmd = "run", .short_usage = run_short, .long_usage = run_usage };
	struct dmapool_machine *m = NULL;
	int r;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if ((r = common_opt(argc, argv, &i, &co)) != 0) {
			if (r < 0)
				return CO_RET(r);
		} else {
			return usage_error(run_short, "run: unknown option '%s'", a);
		}
	}
	if (load_board(co.board, &co.cfg, &lc, &m)) {
		free(lc.why);
		return EXIT_LOAD;
	}
	r = dmapool_run_probes(m);
	for (size_t i = 0; i < dmapool_log_count(m); i++)
		puts(dmapool_log_line(m, i));
	if (r == 0)
		fprintf(stderr, "dmapool: run: the tree has no \"libdmapool,probe\" node\n");
	dmapool_machine_destroy(m);
	free(lc.why);
	return finish(r < 0 ? EXIT_INTERNAL : 0);
}

/* ------------------------------------------------------------------ */
/* explain */

#define EXPLAIN_SYNOPSIS \
	"usage: dmapool explain [BOARD] --device D --size N [--gfp G] [--attrs A]\n" \
	"                       [--mask BITS] [--attach-regions] [--arch A]\n" \
	"                       [--bootargs S] [--mem SIZE] [--json]\n" \
	"                       [--dot [FILE]] [--svg FILE]\n" \
	"       dmapool explain [BOARD] --device D --map N --dir DIR\n" \
	"                       [--memory kmalloc|pages|vmalloc|highmem] [--attrs A] ...\n"

static const char *const explain_short =
	EXPLAIN_SYNOPSIS
	"Run 'dmapool explain --help' for the options.\n";

static const char *const explain_usage =
	EXPLAIN_SYNOPSIS
	"\n"
	"Boot BOARD (default: the built-in demo board), make one\n"
	"dma_alloc_attrs() call on device D and print the path the kernel's\n"
	"decision tree takes: every stage visited, the kernel function it\n"
	"models, the condition tested and the answer, then the backend, the\n"
	"physical and DMA addresses and the CPU mapping's cache attribute.\n"
	"With --map, allocate a buffer of N bytes instead and map it for\n"
	"streaming DMA (dma_map_single, or dma_map_page for --memory pages):\n"
	"direct or bounced through SWIOTLB and why, the slot used and the cache\n"
	"maintenance made.\n"
	"\n"
	"options:\n"
	"  --device D        device: full path, unit name (probe@0) or label\n"
	"  --size N          bytes (4096, 0x3000, 64K, 1M...)\n"
	"  --gfp G           kernel (default) or atomic, optionally followed by\n"
	"                    ,nowarn ,dma ,dma32 ,zero ,comp\n"
	"  --attrs A         comma list: wc, no-kernel-mapping, no-warn,\n"
	"                    force-contiguous, alloc-single-pages, skip-cpu-sync,\n"
	"                    weak-ordering\n"
	"  --map N           map N bytes for streaming DMA instead of allocating\n"
	"  --dir DIR         to-device, from-device or bidirectional (with --map)\n"
	"  --memory M        where the buffer comes from (with --map): kmalloc\n"
	"                    (default, dma_map_single), pages (alloc_pages +\n"
	"                    dma_map_page), vmalloc (dma_map_single refuses it),\n"
	"                    highmem (alloc_pages(GFP_HIGHUSER) + dma_map_page;\n"
	"                    32-bit ARM above 768 MiB of RAM)\n"
	"  --mask BITS       dma_set_mask_and_coherent(DMA_BIT_MASK(BITS)) first\n"
	"  --attach-regions  of_reserved_mem_device_init_by_idx() for every\n"
	"                    memory-region entry first, as a driver would\n"
	"  --arch A          architecture profile: arm64 (default), arm, arm-nommu,\n"
	"                    riscv64, x86_64\n"
	"  --bootargs S      kernel command line, replaces /chosen/bootargs\n"
	"  --mem SIZE        RAM size when the tree has no /memory\n"
	"  --json            print one JSON object (docs/cli.md)\n"
	"  --dot [FILE]      write the decision tree as Graphviz DOT, the path\n"
	"                    taken highlighted, to FILE (a name ending in .dot or\n"
	"                    .gv, or --dot=FILE) or standard output (no FILE, -)\n"
	"  --svg FILE        render that picture to FILE with Graphviz's dot\n"
	"  -h, --help        show this help\n"
	"\n"
	"Exit status: 0 the call was explained (it may have failed), 1 internal\n"
	"failure, 2 bad usage, unloadable board or unknown device.\n";

static int parse_gfp(const char *v, unsigned *gfp)
{
	char buf[128], *save = NULL, *tok;
	bool base = false;

	if (strlen(v) >= sizeof(buf))
		return -1;
	strcpy(buf, v);
	*gfp = 0;
	for (tok = strtok_r(buf, ",|+", &save); tok; tok = strtok_r(NULL, ",|+", &save)) {
		if (!strcasecmp(tok, "kernel") || !strcasecmp(tok, "GFP_KERNEL")) {
			*gfp |= GFP_KERNEL;
			base = true;
		} else if (!strcasecmp(tok, "atomic") || !strcasecmp(tok, "GFP_ATOMIC")) {
			*gfp |= GFP_ATOMIC;
			base = true;
		} else if (!strcasecmp(tok, "nowait") || !strcasecmp(tok, "GFP_NOWAIT")) {
			*gfp |= GFP_NOWAIT;
			base = true;
		} else if (!strcasecmp(tok, "nowarn") || !strcasecmp(tok, "__GFP_NOWARN")) {
			*gfp |= __GFP_NOWARN;
		} else if (!strcasecmp(tok, "dma") || !strcasecmp(tok, "GFP_DMA")) {
			*gfp |= __GFP_DMA;
		} else if (!strcasecmp(tok, "dma32") || !strcasecmp(tok, "GFP_DMA32")) {
			*gfp |= __GFP_DMA32;
		} else if (!strcasecmp(tok, "zero") || !strcasecmp(tok, "__GFP_ZERO")) {
			*gfp |= __GFP_ZERO;
		} else if (!strcasecmp(tok, "comp") || !strcasecmp(tok, "__GFP_COMP")) {
			*gfp |= __GFP_COMP;
		} else {
			return -1;
		}
	}
	if (!base)
		*gfp |= GFP_KERNEL;
	return 0;
}

static int parse_attrs(const char *v, unsigned long *attrs)
{
	static const struct { const char *a, *b; unsigned long bit; } tab[] = {
		{ "wc", "write-combine", DMA_ATTR_WRITE_COMBINE },
		{ "no-kernel-mapping", "no_kernel_mapping", DMA_ATTR_NO_KERNEL_MAPPING },
		{ "no-warn", "nowarn", DMA_ATTR_NO_WARN },
		{ "force-contiguous", "force_contiguous", DMA_ATTR_FORCE_CONTIGUOUS },
		{ "alloc-single-pages", "alloc_single_pages", DMA_ATTR_ALLOC_SINGLE_PAGES },
		{ "skip-cpu-sync", "skip_cpu_sync", DMA_ATTR_SKIP_CPU_SYNC },
		{ "weak-ordering", "weak_ordering", DMA_ATTR_WEAK_ORDERING },
		{ "privileged", "privileged", DMA_ATTR_PRIVILEGED },
	};
	char buf[256], *save = NULL, *tok;

	if (strlen(v) >= sizeof(buf))
		return -1;
	strcpy(buf, v);
	*attrs = 0;
	for (tok = strtok_r(buf, ",|", &save); tok; tok = strtok_r(NULL, ",|", &save)) {
		size_t i;
		const char *t = tok;

		if (!strncasecmp(t, "DMA_ATTR_", 9))
			t += 9;
		for (i = 0; i < ARRAY_SIZE(tab); i++) {
			char alt[64];
			size_t k;

			snprintf(alt, sizeof(alt), "%s", tab[i].b);
			for (k = 0; alt[k]; k++)
				if (alt[k] == '-')
					alt[k] = '_';
			if (!strcasecmp(t, tab[i].a) || !strcasecmp(t, tab[i].b) ||
			    !strcasecmp(t, alt))
				break;
		}
		if (i == ARRAY_SIZE(tab))
			return -1;
		*attrs |= tab[i].bit;
	}
	return 0;
}

static int cmd_explain(int argc, char **argv)
{
	struct load_ctx lc = { NULL };
	struct common co = { .cmd = "explain", .short_usage = explain_short, .long_usage = explain_usage };
	struct dmapool_machine *m = NULL;
	struct dmapool_decision d;
	const char *devname = NULL;
	uint64_t size = 0, mask_bits = 0;
	unsigned gfp = GFP_KERNEL;
	unsigned long attrs = 0;
	bool json = false, have_size = false, attach = false, have_mask = false;
	bool have_map = false, want_dot = false;
	const char *dot_file = NULL, *svg_file = NULL;
	int dir = -1;
	const char *memory = "kmalloc";
	struct device *dev;
	int r, ret = 0, mask_ret = 0;
	dma_addr_t handle;
	void *cpu;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if ((r = common_opt(argc, argv, &i, &co)) != 0) {
			if (r < 0)
				return CO_RET(r);
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (is_opt(a, "--dot")) {
			size_t l;

			want_dot = true;
			dot_file = NULL;
			if (a[5] == '=') {
				dot_file = a + 6;
				if (!*dot_file)
					return usage_error(explain_short, "explain: --dot= needs a file name");
			} else if (i + 1 < argc && (!strcmp(argv[i + 1], "-") ||
				   ((l = strlen(argv[i + 1])) > 3 &&
				    (!strcmp(argv[i + 1] + l - 4, ".dot") ||
				     !strcmp(argv[i + 1] + l - 3, ".gv"))))) {
				dot_file = argv[++i];
			}
			if (dot_file && !strcmp(dot_file, "-"))
				dot_file = NULL;
		} else if (is_opt(a, "--svg")) {
			svg_file = opt_value(argc, argv, &i, "--svg");
			if (!svg_file || !*svg_file)
				return usage_error(explain_short, "explain: %s needs a value", "--svg");
		} else if (!strcmp(a, "--attach-regions")) {
			attach = true;
		} else if (is_opt(a, "--device")) {
			devname = opt_value(argc, argv, &i, "--device");
			if (!devname || !*devname)
				return usage_error(explain_short, "explain: %s needs a value", "--device");
		} else if (is_opt(a, "--size") || is_opt(a, "--map")) {
			const char *o = is_opt(a, "--size") ? "--size" : "--map";
			const char *v = opt_value(argc, argv, &i, o);

			if (!v)
				return usage_error(explain_short, "explain: %s needs a value", o);
			if (parse_size(v, &size))
				return usage_error(explain_short, "explain: bad %s '%s'", o, v);
			if (o[2] == 's')
				have_size = true;
			else
				have_map = true;
		} else if (is_opt(a, "--dir")) {
			const char *v = opt_value(argc, argv, &i, "--dir");

			if (v && (!strcasecmp(v, "to-device") || !strcasecmp(v, "DMA_TO_DEVICE")))
				dir = DMA_TO_DEVICE;
			else if (v && (!strcasecmp(v, "from-device") || !strcasecmp(v, "DMA_FROM_DEVICE")))
				dir = DMA_FROM_DEVICE;
			else if (v && (!strcasecmp(v, "bidirectional") || !strcasecmp(v, "DMA_BIDIRECTIONAL")))
				dir = DMA_BIDIRECTIONAL;
			else
				return usage_error(explain_short, "explain: bad --dir '%s' (to-device, from-device, bidirectional)", v ? v : "");
		} else if (is_opt(a, "--memory")) {
			const char *v = opt_value(argc, argv, &i, "--memory");

			if (!v || (strcmp(v, "kmalloc") && strcmp(v, "pages") &&
				   strcmp(v, "vmalloc") && strcmp(v, "highmem")))
				return usage_error(explain_short, "explain: bad --memory '%s' (kmalloc, pages, vmalloc, highmem)", v ? v : "");
			memory = v;
		} else if (is_opt(a, "--gfp")) {
			const char *v = opt_value(argc, argv, &i, "--gfp");

			if (!v || parse_gfp(v, &gfp))
				return usage_error(explain_short, "explain: bad --gfp '%s'", v ? v : "");
		} else if (is_opt(a, "--attrs")) {
			const char *v = opt_value(argc, argv, &i, "--attrs");

			if (!v || parse_attrs(v, &attrs))
				return usage_error(explain_short, "explain: bad --attrs '%s'", v ? v : "");
		} else if (is_opt(a, "--mask")) {
			const char *v = opt_value(argc, argv, &i, "--mask");
			char *end = NULL;

			if (v)
				mask_bits = strtoull(v, &end, 0);
			if (!v || !*v || *end || mask_bits < 1 || mask_bits > 64)
				return usage_error(explain_short, "explain: bad --mask '%s' (bits, 1-64)", v ? v : "");
			have_mask = true;
		} else {
			return usage_error(explain_short, "explain: unknown option '%s'", a);
		}
	}
	if (!devname)
		return usage_error(explain_short, "explain: --device is required");
	if (have_map && have_size)
		return usage_error(explain_short, "explain: --size and --map exclude each other");
	if (!have_size && !have_map)
		return usage_error(explain_short, "explain: --size or --map is required");
	if (have_map && dir < 0)
		return usage_error(explain_short, "explain: --map needs --dir");
	if (!have_map && dir >= 0)
		return usage_error(explain_short, "explain: --dir needs --map");
	if (want_dot && !dot_file && json)
		return usage_error(explain_short, "explain: --dot to standard output and --json exclude each other");
	if (svg_file && !dot_have_graphviz()) {
		fprintf(stderr, "dmapool: explain: --svg needs Graphviz 'dot' (Debian package graphviz); --dot writes the DOT source instead\n");
		return EXIT_INTERNAL;
	}
	if (load_board(co.board, &co.cfg, &lc, &m)) {
		free(lc.why);
		return EXIT_LOAD;
	}
	dev = dmapool_device_find(m, devname);
	if (!dev) {
		fprintf(stderr, "dmapool: explain: no device '%s' in %s\n", devname,
			co.board ? co.board : "the demo co.board");
		dmapool_machine_destroy(m);
		free(lc.why);
		return EXIT_LOAD;
	}
	/* from here on, collect the kernel lines the calls print */
	size_t boot_lines = dmapool_log_count(m);
	if (have_mask) {
		uint64_t mask = mask_bits >= 64 ? ~0ULL : (1ULL << mask_bits) - 1;

		mask_ret = dma_set_mask(dev, mask);
		if (mask_ret == 0)
			dma_set_coherent_mask(dev, mask);
	}
	if (attach)
		for (size_t i = 0; i < dev->n_mr; i++)
			(void)of_reserved_mem_device_init_by_idx(dev, &dev->of_node, (int)i);
	if (have_map) {
		dmapool_machine_use(m);
		if (!strcmp(memory, "pages") || !strcmp(memory, "highmem")) {
			bool high = !strcmp(memory, "highmem");
			phys_addr_t pa = alloc_pages_i(m, GFP_KERNEL | __GFP_NOWARN |
						       (high ? __GFP_HIGHMEM : 0),
						       get_order_sz(m, size));

			if (pa == PHYS_NONE || (high && (m->highmem_start == PHYS_NONE ||
							 pa < m->highmem_start))) {
				if (pa == PHYS_NONE)
					fprintf(stderr, "dmapool: explain: alloc_pages(order %u) failed\n",
						get_order_sz(m, size));
				else
					fprintf(stderr, "dmapool: explain: --memory highmem: this machine has no free highmem (only the \"arm\" profile has ZONE_HIGHMEM, above 768 MiB of RAM)\n");
				dmapool_machine_destroy(m);
				free(lc.why);
				return EXIT_LOAD;
			}
			handle = dma_map_page_attrs(dev, dmapool_pfn_to_page(m, pa >> m->prof.page_shift),
						    0, size, dir, attrs);
		} else {
			cpu = !strcmp(memory, "vmalloc") ? vmalloc(size) : kmalloc(size, GFP_KERNEL);
			if (!cpu) {
				fprintf(stderr, "dmapool: explain: %s(%llu) failed\n", memory,
					(unsigned long long)size);
				dmapool_machine_destroy(m);
				free(lc.why);
				return EXIT_LOAD;
			}
			handle = dma_map_single_attrs(dev, cpu, size, dir, attrs);
		}
		(void)handle;
	} else {
		cpu = dma_alloc_attrs(dev, size, &handle, gfp, attrs);
		(void)cpu;
	}
	if (dmapool_last_decision(dev, &d)) {
		fprintf(stderr, "dmapool: explain: no decision recorded\n");
		dmapool_machine_destroy(m);
		free(lc.why);
		return EXIT_INTERNAL;
	}
	if (want_dot || svg_file) {
		int t = dmapool_tree_for_op(d.op);
		const char *why = NULL;
		char *dot = t < 0 ? NULL : dot_tree(t, &d, &why);

		if (!dot) {
			fprintf(stderr, "dmapool: explain: no picture of this call: %s\n",
				t < 0 ? "no decision tree for it" : why ? why : strerror(ENOMEM));
			dmapool_machine_destroy(m);
			free(lc.why);
			return EXIT_INTERNAL;
		}
		if (svg_file) {
			char err[512];

			if (dot_render_svg(dot, svg_file, err, sizeof(err))) {
				fprintf(stderr, "dmapool: explain: --svg: %s\n", err);
				ret = EXIT_INTERNAL;
			}
		}
		if (want_dot && dot_file) {
			FILE *f = fopen(dot_file, "w");
			bool ok = f && fputs(dot, f) >= 0;

			if (f && fclose(f))
				ok = false;
			if (!ok) {
				fprintf(stderr, "dmapool: explain: --dot: cannot write %s: %s\n",
					dot_file, strerror(errno));
				ret = EXIT_INTERNAL;
			}
		} else if (want_dot) {
			/* the picture is the output */
			fputs(dot, stdout);
			free(dot);
			dmapool_machine_destroy(m);
			free(lc.why);
			return finish(ret);
		}
		free(dot);
	}
	if (json) {
		/* the decision, the device's masks and the lines of the call */
		struct jw w = { 0 };
		char *doc;

		jw_obj(&w);
		decision_json_fields(&w, &d);
		kv_bool(&w, "coherent", dev_is_dma_coherent_i(dev));
		kv_hex(&w, "coherent_dma_mask", dev->coherent_dma_mask);
		kv_hex(&w, "dma_mask", dma_get_mask(dev));
		kv_hex(&w, "bus_dma_limit", dev->bus_dma_limit);
		if (have_mask)
			kv_int(&w, "set_mask_ret", mask_ret);
		jw_key(&w, "log");
		jw_arr(&w);
		for (size_t i = boot_lines; i < dmapool_log_count(m); i++)
			jw_str(&w, dmapool_log_line(m, i));
		jw_earr(&w);
		jw_eobj(&w);
		doc = jw_finish(&w);
		if (!doc) {
			ret = EXIT_INTERNAL;
		} else {
			fputs(doc, stdout);
			free(doc);
		}
	} else {
		char *text = dmapool_decision_text(&d);

		printf("device %s (%s): %s, coherent_dma_mask %#llx, dma_mask %#llx, bus_dma_limit %#llx\n",
		       dev->name, dev->path, dev_is_dma_coherent_i(dev) ? "coherent" : "non-coherent",
		       (unsigned long long)dev->coherent_dma_mask,
		       (unsigned long long)dma_get_mask(dev),
		       (unsigned long long)dev->bus_dma_limit);
		if (have_mask)
			printf("dma_set_mask_and_coherent(DMA_BIT_MASK(%llu)) = %d\n",
			       (unsigned long long)mask_bits, mask_ret);
		if (text)
			fputs(text, stdout);
		else
			ret = EXIT_INTERNAL;
		free(text);
		if (dmapool_log_count(m) > boot_lines) {
			printf("kernel log during the calls:\n");
			for (size_t i = boot_lines; i < dmapool_log_count(m); i++)
				printf("  %s\n", dmapool_log_line(m, i));
		}
	}
	dmapool_machine_destroy(m);
		free(lc.why);
	return finish(ret);
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		fputs(main_usage, stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		fputs(main_usage, stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf("dmapool %s\n", dmapool_version());
		return 0;
	}
	if (!strcmp(cmd, "inspect"))
		return cmd_inspect(argc - 1, argv + 1);
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "explain"))
		return cmd_explain(argc - 1, argv + 1);
	if (!strcmp(cmd, "map"))
		return cmd_map(argc - 1, argv + 1);
	if (!strcmp(cmd, "report"))
		return cmd_report(argc - 1, argv + 1);
	if (cmd[0] == '-')
		return usage_error(main_usage, "unknown option '%s'", cmd);
	return usage_error(main_usage, "unknown command '%s'", cmd);
}
