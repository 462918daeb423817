/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * harness.c — the benchmark harness's driver (dmapool-bench): the command
 * line, the figure lines, the scaling series and the JSON output of the
 * project's performance targets P1-P7 (P8, the test loop, is measured by
 * bench/p8-testloop).  Models no kernel file.
 *
 *   dmapool-bench [--quick] [--reps N] [--json FILE] [TARGET...]
 *
 * TARGET is p1, p1s, p2, p3, p4, p5, p6 or p7 (default: all of them, in
 * that order).  Exit status: 0, 1 when a run is not what it claims (a
 * self-check or a differential check against a baseline failed; nothing
 * else is printed after the error), 2 on a bad command line, 3 when a
 * figure missed its target by more than HX_FAR.
 *
 * Left out: any timing assertion other than that far miss, and CPU
 * frequency control (every figure is a ratio measured side by side).
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "harness.h"

const char *hx_target = "dmapool-bench";

static int reps = 5;
static bool quick;
static bool far_miss;

int hx_reps(void)
{
	return reps;
}

bool hx_quick(void)
{
	return quick;
}

unsigned long hx_ops(unsigned long n, unsigned long div, unsigned long min)
{
	if (!quick)
		return n;
	n /= div;
	return n < min ? min : n;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double hx_median(const double *v, int n)
{
	double s[HX_MAXREP];

	if (n <= 0)
		return 0;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_d);
	return n & 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

double hx_min(const double *v, int n)
{
	double m = n > 0 ? v[0] : 0;

	for (int i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

/* ------------------------------------------------------------------ */
/* what --json writes                                                   */

enum kind { K_RATIO, K_POINT, K_SCALING, K_VALUE };

struct fig {
	enum kind kind;
	char target[8];
	char name[160];
	char series[160];
	char unit[16];
	uint64_t n, n_large;
	int nrep;
	double subj[HX_MAXREP], base[HX_MAXREP];
	double ratio, ratio_min, tgt, value, vmin;
	enum hx_cmp cmp;
	unsigned flags;
	bool pass;
};

static struct fig *figs;
static size_t nfigs, capfigs;
static char **notes;
static size_t nnotes, capnotes;

static struct fig *fig_new(void)
{
	struct fig *f;

	if (nfigs == capfigs) {
		size_t nc = capfigs ? capfigs * 2 : 64;
		struct fig *nf = realloc(figs, nc * sizeof(*nf));

		if (!nf)
			hx_fail("out of host memory");
		figs = nf;
		capfigs = nc;
	}
	f = &figs[nfigs++];
	memset(f, 0, sizeof(*f));
	snprintf(f->target, sizeof(f->target), "%s", hx_target);
	return f;
}

static bool passes(double v, enum hx_cmp cmp, double target)
{
	return cmp == HX_LE ? v <= target : v >= target;
}

static bool far(double v, enum hx_cmp cmp, double target)
{
	return cmp == HX_LE ? v > target * HX_FAR : v * HX_FAR < target;
}

static const char *verdict(const struct fig *f)
{
	if (f->flags & HX_NOTARGET)
		return "";
	if (f->flags & HX_INFO)
		return f->pass ? " PASS (informational)" : " MISS (informational)";
	return f->pass ? " PASS" : " MISS";
}

static void judge(struct fig *f, double v)
{
	f->pass = (f->flags & HX_NOTARGET) || passes(v, f->cmp, f->tgt);
	if (!(f->flags & (HX_INFO | HX_NOTARGET)) && far(v, f->cmp, f->tgt))
		far_miss = true;
}

static double ratio_fig(struct fig *f, const char *name, const double *subj,
			const double *base, int nrep, enum hx_cmp cmp, double target,
			unsigned flags)
{
	double sm, bm, smin, bmin;

	if (nrep < 1 || nrep > HX_MAXREP)
		hx_fail("%s: %d repetitions", name, nrep);
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->nrep = nrep;
	memcpy(f->subj, subj, nrep * sizeof(*subj));
	memcpy(f->base, base, nrep * sizeof(*base));
	f->cmp = cmp;
	f->tgt = target;
	f->flags = flags;
	sm = hx_median(subj, nrep);
	bm = hx_median(base, nrep);
	smin = hx_min(subj, nrep);
	bmin = hx_min(base, nrep);
	f->ratio = cmp == HX_LE ? sm / bm : bm / sm;
	f->ratio_min = cmp == HX_LE ? smin / bmin : bmin / smin;
	judge(f, f->ratio);
	if (flags & HX_NOTARGET)
		printf("%s: subject %.1f ns/op, baseline %.1f ns/op, ratio %.4g (no target) [min-based %.4g]\n",
		       name, sm, bm, f->ratio, f->ratio_min);
	else
		printf("%s: subject %.1f ns/op, baseline %.1f ns/op, ratio %.4g (target %s %g)%s [min-based %.4g]\n",
		       name, sm, bm, f->ratio, cmp == HX_LE ? "<=" : ">=", target,
		       verdict(f), f->ratio_min);
	fflush(stdout);
	return f->ratio;
}

double hx_figure(const char *name, const double *subj, const double *base, int nrep,
		 enum hx_cmp cmp, double target, unsigned flags)
{
	struct fig *f = fig_new();

	f->kind = K_RATIO;
	return ratio_fig(f, name, subj, base, nrep, cmp, target, flags);
}

double hx_point(const char *series, uint64_t n, const double *subj, const double *base,
		int nrep, enum hx_cmp cmp, double target, unsigned flags)
{
	struct fig *f = fig_new();
	char name[200];

	f->kind = K_POINT;
	f->n = n;
	snprintf(f->series, sizeof(f->series), "%s", series);
	snprintf(name, sizeof(name), "%s n=%llu", series, (unsigned long long)n);
	return ratio_fig(f, name, subj, base, nrep, cmp, target, flags);
}

double hx_scaling(const char *series, uint64_t n_small, const double *small,
		  uint64_t n_large, const double *large, int nrep, double target,
		  unsigned flags)
{
	struct fig *f = fig_new();
	double sm = hx_median(small, nrep), lm = hx_median(large, nrep);

	f->kind = K_SCALING;
	snprintf(f->series, sizeof(f->series), "%s", series);
	snprintf(f->name, sizeof(f->name), "%s scaling", series);
	f->n = n_small;
	f->n_large = n_large;
	f->nrep = nrep;
	memcpy(f->subj, large, nrep * sizeof(*large));
	memcpy(f->base, small, nrep * sizeof(*small));
	f->cmp = HX_LE;
	f->tgt = target;
	f->flags = flags;
	f->ratio = lm / sm;
	f->ratio_min = hx_min(large, nrep) / hx_min(small, nrep);
	judge(f, f->ratio);
	printf("%s scaling: large/small %.3f (target <= %g)%s [n=%llu: %.1f ns/op, n=%llu: %.1f ns/op; min-based %.3f]\n",
	       series, f->ratio, target, verdict(f), (unsigned long long)n_small, sm,
	       (unsigned long long)n_large, lm, f->ratio_min);
	fflush(stdout);
	return f->ratio;
}

void hx_value(const char *name, double value, double min, const char *unit,
	      enum hx_cmp cmp, double target, unsigned flags)
{
	struct fig *f = fig_new();

	f->kind = K_VALUE;
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(f->unit, sizeof(f->unit), "%s", unit);
	f->value = value;
	f->vmin = min;
	f->cmp = cmp;
	f->tgt = target;
	f->flags = flags;
	judge(f, value);
	printf("%s: %.4g %s (target %s %g %s)%s [min %.4g]\n", name, value, unit,
	       cmp == HX_LE ? "<=" : ">=", target, unit, verdict(f), min);
	fflush(stdout);
}

void hx_note(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("# %s\n", buf);
	fflush(stdout);
	if (nnotes == capnotes) {
		size_t nc = capnotes ? capnotes * 2 : 64;
		char **nn = realloc(notes, nc * sizeof(*nn));

		if (!nn)
			return;
		notes = nn;
		capnotes = nc;
	}
	notes[nnotes] = strdup(buf);
	if (notes[nnotes])
		nnotes++;
}

void hx_fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "dmapool-bench: %s: ", hx_target);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

void hx_pin_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* ------------------------------------------------------------------ */
/* JSON                                                                 */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	if (v != v || v > 1e300 || v < -1e300)
		fputs("null", f);
	else
		fprintf(f, "%.6g", v);
}

static void json_side(FILE *f, const char *key, const double *v, int n)
{
	fprintf(f, ", \"%s\": {\"median\": ", key);
	json_num(f, hx_median(v, n));
	fputs(", \"min\": ", f);
	json_num(f, hx_min(v, n));
	fputs(", \"reps\": [", f);
	for (int i = 0; i < n; i++) {
		if (i)
			fputs(", ", f);
		json_num(f, v[i]);
	}
	fputs("]}", f);
}

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && c) {
			c++;
			while (*c == ' ' || *c == '\t')
				c++;
			c[strcspn(c, "\n")] = 0;
			snprintf(buf, len, "%s", c);
			break;
		}
	}
	fclose(f);
}

static int write_json(const char *path, const char *argv_targets)
{
	static const char *const kinds[] = { "ratio", "point", "scaling", "value" };
	FILE *f = fopen(path, "w");
	char model[200], date[32];
	struct utsname u;
	time_t t = time(NULL);

	if (!f) {
		fprintf(stderr, "dmapool-bench: --json %s: %s\n", path, strerror(errno));
		return -1;
	}
	cpu_model(model, sizeof(model));
	strftime(date, sizeof(date), "%Y-%m-%d", gmtime(&t));
	if (uname(&u))
		snprintf(u.machine, sizeof(u.machine), "unknown");
	fputs("{\n  \"tool\": \"dmapool-bench\",\n  \"date\": ", f);
	json_str(f, date);
	fputs(",\n  \"machine\": {\"cpu\": ", f);
	json_str(f, model);
	fprintf(f, ", \"cpus\": %ld, \"arch\": ", sysconf(_SC_NPROCESSORS_ONLN));
	json_str(f, u.machine);
	fprintf(f, "},\n  \"reps\": %d,\n  \"quick\": %s,\n  \"targets\": ", reps,
		quick ? "true" : "false");
	json_str(f, argv_targets);
	fputs(",\n  \"figures\": [\n", f);
	for (size_t i = 0; i < nfigs; i++) {
		const struct fig *g = &figs[i];

		fputs("    {\"target\": ", f);
		json_str(f, g->target);
		fputs(", \"kind\": ", f);
		json_str(f, kinds[g->kind]);
		fputs(", \"name\": ", f);
		json_str(f, g->name);
		if (g->kind == K_POINT || g->kind == K_SCALING) {
			fputs(", \"series\": ", f);
			json_str(f, g->series);
			fprintf(f, ", \"n\": %llu", (unsigned long long)g->n);
		}
		if (g->kind == K_SCALING)
			fprintf(f, ", \"n_large\": %llu", (unsigned long long)g->n_large);
		if (g->kind == K_VALUE) {
			fputs(", \"value\": ", f);
			json_num(f, g->value);
			fputs(", \"min\": ", f);
			json_num(f, g->vmin);
			fputs(", \"unit\": ", f);
			json_str(f, g->unit);
		} else {
			json_side(f, g->kind == K_SCALING ? "large" : "subject", g->subj, g->nrep);
			json_side(f, g->kind == K_SCALING ? "small" : "baseline", g->base, g->nrep);
			fputs(", \"ratio\": ", f);
			json_num(f, g->ratio);
			fputs(", \"ratio_min\": ", f);
			json_num(f, g->ratio_min);
		}
		fprintf(f, ", \"cmp\": \"%s\", \"target_value\": ", g->cmp == HX_LE ? "<=" : ">=");
		if (g->flags & HX_NOTARGET)
			fputs("null", f);
		else
			json_num(f, g->tgt);
		fprintf(f, ", \"informational\": %s, \"pass\": %s}%s\n",
			g->flags & (HX_INFO | HX_NOTARGET) ? "true" : "false",
			g->pass ? "true" : "false", i + 1 < nfigs ? "," : "");
	}
	fputs("  ],\n  \"notes\": [\n", f);
	for (size_t i = 0; i < nnotes; i++) {
		fputs("    ", f);
		json_str(f, notes[i]);
		fputs(i + 1 < nnotes ? ",\n" : "\n", f);
	}
	fputs("  ]\n}\n", f);
	if (fclose(f)) {
		fprintf(stderr, "dmapool-bench: --json %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */

static const struct {
	const char *name;
	int (*run)(void);
	const char *what;
} targets[] = {
	{ "p1", bench_p1, "dma_pool_alloc/free vs glibc, mm/dmapool_test.c's sets" },
	{ "p1s", bench_p1s, "dma_pool scaling with live blocks, mpt3sas pattern" },
	{ "p2", bench_p2, "coherent-pool / CMA bitmap search vs region stepping" },
	{ "p3", bench_p3, "map + unmap 4 KiB with debug tracking vs malloc(64)+free" },
	{ "p4", bench_p4, "map + unmap 4 KiB through the IOMMU vs malloc(64)+free" },
	{ "p5", bench_p5, "SWIOTLB bounce vs memcpy, 95 %-full pool" },
	{ "p6", bench_p6, "cache-model maintenance vs memcpy" },
	{ "p7", bench_p7, "machine creation vs fdt_check_full + walk, RSS" },
};

#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: dmapool-bench [--quick] [--reps N] [--json FILE] [TARGET...]\n"
		   "targets (default: all):\n");
	for (size_t i = 0; i < NTARGETS; i++)
		fprintf(f, "  %-4s %s\n", targets[i].name, targets[i].what);
}

int main(int argc, char **argv)
{
	bool want[NTARGETS] = { false }, any = false;
	const char *json = NULL;
	char joined[64] = "";
	double t0 = hx_now();
	int rc = 0;

	if (argc == 2 && !strcmp(argv[1], "--p7-rss"))
		return bench_p7_rss_child();
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t k;

		if (!strcmp(a, "--quick")) {
			quick = true;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "--json") || !strcmp(a, "--reps")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "dmapool-bench: %s needs a value\n", a);
				return 2;
			}
			if (!strcmp(a, "--json")) {
				json = argv[++i];
			} else {
				char *end;
				long v = strtol(argv[++i], &end, 10);

				if (*end || v < 1 || v > HX_MAXREP) {
					fprintf(stderr, "dmapool-bench: --reps %s: not a number from 1 to %d\n",
						argv[i], HX_MAXREP);
					return 2;
				}
				reps = (int)v;
			}
			continue;
		}
		for (k = 0; k < NTARGETS; k++)
			if (!strcmp(a, targets[k].name))
				break;
		if (!strcmp(a, "all")) {
			for (k = 0; k < NTARGETS; k++)
				want[k] = true;
			any = true;
			continue;
		}
		if (k == NTARGETS) {
			fprintf(stderr, "dmapool-bench: unknown target or option '%s'\n", a);
			usage(stderr);
			return 2;
		}
		want[k] = any = true;
	}
	if (quick && reps == 5)
		reps = 3;
	for (size_t k = 0; k < NTARGETS; k++) {
		if (any && !want[k])
			continue;
		if (strlen(joined) + strlen(targets[k].name) + 2 < sizeof(joined))
			snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s",
				 *joined ? " " : "", targets[k].name);
	}
	hx_note("dmapool-bench: %d repetitions after a warm-up%s; targets %s", reps,
		quick ? " (--quick: smaller batches, a smoke run)" : "", joined);
	for (size_t k = 0; k < NTARGETS; k++) {
		double t1 = hx_now();

		if (any && !want[k])
			continue;
		hx_target = targets[k].name;
		rc |= targets[k].run();
		hx_note("%s took %.1f s", targets[k].name, (hx_now() - t1) / 1e9);
	}
	hx_target = "dmapool-bench";
	hx_note("run took %.1f s", (hx_now() - t0) / 1e9);
	if (json && write_json(json, joined))
		rc = 1;
	for (size_t i = 0; i < nnotes; i++)
		free(notes[i]);
	free(notes);
	free(figs);
	if (rc)
		return rc == 3 ? 3 : 1;
	if (far_miss) {
		fprintf(stderr, "dmapool-bench: a figure missed its target by more than %gx\n",
			HX_FAR);
		return 3;
	}
	return 0;
}
