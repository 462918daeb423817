/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * report.c — "dmapool report": one self-contained HTML page about a board
 * (no kernel twin): the boot log (and the scenario's lines), the memory
 * map of memmap.c inline as SVG, a table of pools and one of devices, and
 * for each device the decision trees of dma_alloc_coherent(4 KiB and
 * 1 MiB, GFP_KERNEL) and of dma_map_single(4 KiB kmalloc buffer,
 * DMA_TO_DEVICE), each undone again (freed, unmapped) so that the next
 * device sees the machine as the scenario left it.
 *
 * The page uses no network resource: inline CSS, inline SVG, and a small
 * inline script that checks the page itself and sets
 * body[data-selfcheck] to "ok" or to what is missing.
 *
 * Left out: the other streaming calls (sg, pages), per-device kernel
 * knobs, and any interactivity beyond <details>.
 */
#include <libfdt.h>

#include "tool.h"

static const char css[] =
	"body{font-family:sans-serif;margin:1.5em;color:#222;max-width:1250px}\n"
	"h1{font-size:1.4em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:2em}\n"
	"pre{background:#f6f6f6;border:1px solid #ddd;padding:.6em;overflow-x:auto;font-size:12px}\n"
	"table{border-collapse:collapse;font-size:13px}\n"
	"th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}\n"
	"th{background:#eef}\n"
	"td.num{text-align:right;font-family:monospace}\n"
	"code,.mono{font-family:monospace}\n"
	".decision{border:1px solid #ccc;border-radius:4px;margin:.6em 0;padding:.3em .8em}\n"
	".decision.ok{border-left:6px solid #59a14f}\n"
	".decision.failed{border-left:6px solid #e15759;background:#fff6f6}\n"
	".steps{margin:.3em 0}.step{margin:.25em 0}\n"
	".stage{font-weight:bold}.func{color:#555}.cond{margin-left:1em}\n"
	".answer{margin-left:1em;color:#1a5e9a}\n"
	".result{font-family:monospace;font-size:12px}\n"
	".verdict-failed{color:#c00;font-weight:bold}\n"
	"#memory-map{overflow-x:auto}\n";

static const char selfcheck[] =
	"(function(){\n"
	"var miss=[];\n"
	"function need(sel,name){if(!document.querySelector(sel))miss.push(name);}\n"
	"need('#boot-log','boot log');need('#memory-map svg','memory map');\n"
	"need('#pools-table','pools table');need('#devices-table','devices table');\n"
	"var want=parseInt(document.body.getAttribute('data-devices'),10);\n"
	"var got=document.querySelectorAll('section.device-decisions').length;\n"
	"if(got!==want)miss.push('decision sections '+got+'/'+want);\n"
	"var bad=0;document.querySelectorAll('section.device-decisions').forEach(function(s){\n"
	"if(s.querySelectorAll('.decision').length!==3)bad++;});\n"
	"if(bad)miss.push(bad+' device(s) without their 3 decisions');\n"
	"var svg=document.querySelector('#memory-map svg');\n"
	"if(svg){var b=svg.getBBox();if(!(b.width>0&&b.height>0))miss.push('memory map has an empty bounding box');}\n"
	"document.body.setAttribute('data-selfcheck',miss.length?'missing: '+miss.join(', '):'ok');\n"
	"})();\n";

/* ------------------------------------------------------------------ */

static void pools_table(FILE *f, struct dmapool_machine *m)
{
	struct dmapool_region_usage *u = NULL;
	size_t n = 0;
	char a[24], s[32], us[32];

	fprintf(f, "<table id=\"pools-table\">\n<thead><tr><th>name</th><th>kind</th><th>base</th><th>size</th><th>used</th><th>devices</th></tr></thead>\n<tbody>\n");
	if (dmapool_region_usage(m, &u, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(u[i].kind, "ram"))
				continue;
			fprintf(f, "<tr class=\"pool kind-%s\"><td>", memmap_kind_class(&u[i]));
			xml_esc(f, u[i].name);
			fprintf(f, "</td><td>%s%s%s%s%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">",
				u[i].kind, u[i].nomap ? " (no-map)" : "",
				u[i].from_cma ? " (from CMA)" : "", u[i].pool ? ", " : "",
				u[i].pool ? u[i].pool : "", fmt_pa(m, u[i].base, a),
				hsize(u[i].size, s));
			if (!u[i].tracked)
				fprintf(f, "&ndash;");
			else
				fprintf(f, "%s (%.1f%%)", hsize(u[i].used, us),
					u[i].size ? 100.0 * (double)u[i].used / (double)u[i].size : 0.0);
			fprintf(f, "</td><td>");
			for (size_t d = 0; d < u[i].ndevices; d++) {
				if (d)
					fputs(", ", f);
				xml_esc(f, u[i].devices[d]);
			}
			fprintf(f, "</td></tr>\n");
		}
	}
	free(u);
	fprintf(f, "</tbody></table>\n");
}

static void devices_table(FILE *f, struct dmapool_machine *m)
{
	char path[512];

	fprintf(f, "<table id=\"devices-table\">\n<thead><tr><th>device</th><th>path</th><th>coherent</th><th>dma_mask</th><th>coherent_dma_mask</th><th>bus_dma_limit</th><th>IOMMU group</th><th>memory-region</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < dmapool_device_count(m); i++) {
		struct device *d = dmapool_device_at(m, i);
		int grp = dmapool_iommu_group_id(d);

		fprintf(f, "<tr class=\"device\"><td>");
		xml_esc(f, d->name);
		fprintf(f, "</td><td class=\"mono\">");
		xml_esc(f, d->path);
		fprintf(f, "</td><td>%s</td><td class=\"num\">", dev_is_dma_coherent_i(d) ? "yes" : "no");
		if (d->dma_mask)
			fprintf(f, "0x%llx", (unsigned long long)*d->dma_mask);
		else
			fprintf(f, "none");
		fprintf(f, "</td><td class=\"num\">0x%llx</td><td class=\"num\">",
			(unsigned long long)d->coherent_dma_mask);
		if (d->bus_dma_limit)
			fprintf(f, "0x%llx", (unsigned long long)d->bus_dma_limit);
		else
			fprintf(f, "none");
		fprintf(f, "</td><td>");
		if (grp >= 0)
			fprintf(f, "%d (%s)", grp, iommu_domain_mode(d) ? iommu_domain_mode(d) : "?");
		else
			fprintf(f, "&ndash;");
		fprintf(f, "</td><td>");
		for (size_t k = 0; k < d->n_mr; k++) {
			const char *t = fdt_path_or_null(m->fdt, d->mr_nodes[k], path, sizeof(path));

			if (k)
				fputs("<br>", f);
			if (k < d->n_mr_names) {
				fputc('"', f);
				xml_esc(f, d->mr_names[k]);
				fputs("\" ", f);
			}
			xml_esc(f, t ? t : "(bad phandle)");
		}
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</tbody></table>\n");
}

/* One decision, as nested HTML. */
static void decision_html(FILE *f, struct dmapool_machine *m,
			  const struct dmapool_decision *d, const char *call,
			  size_t log0, size_t log1)
{
	char a[24], b[24];

	fprintf(f, "<div class=\"decision %s\" data-op=\"%s\" data-ok=\"%s\" data-backend=\"",
		d->ok ? "ok" : "failed", d->op, d->ok ? "true" : "false");
	xml_esc(f, d->backend);
	fprintf(f, "\">\n<details open><summary><code>");
	xml_esc(f, call);
	fprintf(f, "</code> &rarr; ");
	if (d->ok) {
		xml_esc(f, d->backend);
	} else {
		fprintf(f, "<span class=\"verdict-failed\">FAILED</span> (");
		xml_esc(f, d->backend);
		fprintf(f, ")");
	}
	fprintf(f, "</summary>\n<ol class=\"steps\">\n");
	for (unsigned i = 0; i < d->nsteps; i++) {
		const struct dmapool_decision_step *st = &d->steps[i];

		fprintf(f, "<li class=\"step\"><span class=\"stage\">");
		xml_esc(f, st->stage);
		fprintf(f, "</span> <code class=\"func\">");
		xml_esc(f, st->func);
		fprintf(f, "</code><div class=\"cond\">");
		xml_esc(f, st->cond);
		fprintf(f, "</div><div class=\"answer\">&rarr; ");
		xml_esc(f, st->answer);
		fprintf(f, "</div></li>\n");
	}
	fprintf(f, "</ol>\n<p class=\"result\">");
	if (d->ok) {
		fprintf(f, "backend ");
		xml_esc(f, d->backend);
		fprintf(f, ", phys %s, dma 0x%llx", fmt_pa(m, d->phys, a),
			(unsigned long long)d->dma);
		if (d->dir < 0)
			fprintf(f, ", CPU mapping %s", dmapool_attr_name(d->attr));
		if (d->bounce != PHYS_NONE)
			fprintf(f, ", bounced through %s", fmt_pa(m, d->bounce, b));
		if (d->iova != DMA_ERR)
			fprintf(f, ", IOVA 0x%llx+0x%llx (%u IOMMU pages, %s)",
				(unsigned long long)d->iova, (unsigned long long)d->iova_len,
				d->iommu_pages, d->iommu_mode ? d->iommu_mode : "?");
		for (unsigned i = 0; i < d->ncache; i++)
			fprintf(f, ", %s %s [%s+0x%llx]",
				d->cache[i].for_device ? "for_device" : "for_cpu",
				dmapool_cache_op_name(d->cache[i].op),
				fmt_pa(m, d->cache[i].phys, a),
				(unsigned long long)d->cache[i].size);
	} else {
		fprintf(f, "<span class=\"verdict-failed\">%s</span>",
			d->dir < 0 ? "the allocation failed (NULL)" :
				     "the mapping failed (DMA_MAPPING_ERROR)");
	}
	fprintf(f, "</p>\n");
	if (log1 > log0) {
		fprintf(f, "<pre class=\"klog\">");
		for (size_t i = log0; i < log1; i++) {
			xml_esc(f, dmapool_log_line(m, i));
			fputc('\n', f);
		}
		fprintf(f, "</pre>\n");
	}
	fprintf(f, "</details>\n</div>\n");
}

/* The three calls on one device, each undone. */
static void device_decisions(FILE *f, struct dmapool_machine *m,
			     struct device *dev, size_t idx)
{
	static const struct { size_t size; const char *call; } allocs[] = {
		{ 4096, "dma_alloc_coherent(dev, 4 KiB, &handle, GFP_KERNEL)" },
		{ 1 << 20, "dma_alloc_coherent(dev, 1 MiB, &handle, GFP_KERNEL)" },
	};
	struct dmapool_decision d;
	size_t log0;

	fprintf(f, "<section class=\"device-decisions\" id=\"dev-%zu\" data-device=\"", idx);
	xml_esc(f, dev->name);
	fprintf(f, "\">\n<h3>");
	xml_esc(f, dev->name);
	fprintf(f, " <small class=\"mono\">");
	xml_esc(f, dev->path);
	fprintf(f, "</small></h3>\n");
	for (size_t i = 0; i < ARRAY_SIZE(allocs); i++) {
		dma_addr_t h = 0;
		void *cpu;

		log0 = dmapool_log_count(m);
		cpu = dma_alloc_attrs(dev, allocs[i].size, &h, GFP_KERNEL, 0);
		if (dmapool_last_decision(dev, &d) == 0 && !strcmp(d.op, "alloc"))
			decision_html(f, m, &d, allocs[i].call, log0, dmapool_log_count(m));
		else
			fprintf(f, "<div class=\"decision failed\" data-op=\"alloc\"><p><code>%s</code>: no decision recorded</p></div>\n",
				allocs[i].call);
		if (cpu)
			dma_free_attrs(dev, allocs[i].size, cpu, h, 0);
	}
	{
		const char *call = "dma_map_single(dev, kmalloc(4 KiB), 4 KiB, DMA_TO_DEVICE)";
		void *buf = kmalloc(4096, GFP_KERNEL);
		dma_addr_t h;

		log0 = dmapool_log_count(m);
		if (!buf) {
			fprintf(f, "<div class=\"decision failed\" data-op=\"map\"><p><code>%s</code>: kmalloc(4096) failed</p></div>\n",
				call);
		} else {
			h = dma_map_single_attrs(dev, buf, 4096, DMA_TO_DEVICE, 0);
			dmapool_debug_mapping_error(dev, h);	/* dma_mapping_error() */
			if (dmapool_last_decision(dev, &d) == 0 && !strcmp(d.op, "map"))
				decision_html(f, m, &d, call, log0, dmapool_log_count(m));
			else
				fprintf(f, "<div class=\"decision failed\" data-op=\"map\"><p><code>%s</code>: no decision recorded</p></div>\n",
					call);
			if (h != DMA_ERR)
				dma_unmap_page_attrs(dev, h, 4096, DMA_TO_DEVICE, 0);
			kfree(buf);
		}
	}
	fprintf(f, "</section>\n");
}

static int write_report(FILE *f, struct dmapool_machine *m, const char *title)
{
	size_t nlog = dmapool_log_count(m), ndev = dmapool_device_count(m);
	int err;

	fprintf(f, "<!-- SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause -->\n");
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
	xml_esc(f, title);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body data-devices=\"%zu\" data-selfcheck=\"pending\">\n",
		css, ndev);
	fprintf(f, "<h1>");
	xml_esc(f, title);
	fprintf(f, "</h1>\n<p>libdmapool %s, profile <code>%s</code>, ",
		dmapool_version(), m->prof.arch);
	if (m->bootargs && *m->bootargs) {
		fprintf(f, "kernel command line <code>");
		xml_esc(f, m->bootargs);
		fprintf(f, "</code>.</p>\n");
	} else {
		fprintf(f, "empty kernel command line.</p>\n");
	}
	fprintf(f, "<nav><a href=\"#log\">boot log</a> &middot; <a href=\"#map\">memory map</a> &middot; <a href=\"#pools\">pools</a> &middot; <a href=\"#devices\">devices</a> &middot; <a href=\"#decisions\">decisions</a></nav>\n");

	fprintf(f, "<h2 id=\"log\">Boot log</h2>\n<pre id=\"boot-log\">");
	for (size_t i = 0; i < nlog; i++) {
		xml_esc(f, dmapool_log_line(m, i));
		fputc('\n', f);
	}
	fprintf(f, "</pre>\n");

	fprintf(f, "<h2 id=\"map\">Memory map</h2>\n<div id=\"memory-map\">\n");
	err = memmap_svg(f, m, SCALE_LOG, title, false);
	if (err)
		return err;
	fprintf(f, "</div>\n");

	fprintf(f, "<h2 id=\"pools\">Pools</h2>\n");
	pools_table(f, m);
	fprintf(f, "<h2 id=\"devices\">Devices</h2>\n");
	devices_table(f, m);

	fprintf(f, "<h2 id=\"decisions\">Decisions</h2>\n<p>For each device: what the kernel's decision tree does for a default coherent allocation of 4 KiB and of 1 MiB, and for a 4 KiB streaming mapping of a kmalloc buffer. Each call is made on the machine as the scenario left it, then freed or unmapped again. Kernel lines printed during a call are shown under it.</p>\n");
	dmapool_machine_use(m);
	for (size_t i = 0; i < ndev; i++)
		device_decisions(f, m, dmapool_device_at(m, i), i);
	fprintf(f, "<script>\n%s</script>\n</body>\n</html>\n", selfcheck);
	return ferror(f) ? -EIO : 0;
}

/* ------------------------------------------------------------------ */

#define REPORT_SYNOPSIS \
	"usage: dmapool report [BOARD] [--after SCENARIO] --html FILE\n" \
	"                      [--arch A] [--bootargs S] [--mem SIZE]\n"

static const char *const report_short =
	REPORT_SYNOPSIS
	"Run 'dmapool report --help' for the options.\n";

static const char *const report_usage =
	REPORT_SYNOPSIS
	"\n"
	"Boot BOARD (default: the built-in demo board), optionally play a\n"
	"scenario, and write one self-contained HTML page (no network\n"
	"resource): the boot log, the memory map (as 'dmapool map --svg'), a\n"
	"table of pools and one of devices, and for each device the decision\n"
	"trees of dma_alloc_coherent(4 KiB) and (1 MiB) with GFP_KERNEL and of\n"
	"dma_map_single(4 KiB kmalloc buffer, DMA_TO_DEVICE).\n"
	"\n"
	"options:\n"
	"  --html FILE       write the page to FILE ('-': stdout); required\n"
	"  --after SCENARIO  'probes' or a .dts/.dtsi fragment of probe nodes\n"
	"                    (see 'dmapool map --help')\n"
	"  --arch A          architecture profile: arm64 (default), arm, arm-nommu,\n"
	"                    riscv64, x86_64\n"
	"  --bootargs S      kernel command line, replaces /chosen/bootargs\n"
	"  --mem SIZE        RAM size when the tree has no /memory (512M, 2G...)\n"
	"  -h, --help        show this help\n"
	"\n"
	"Exit status: 0 success, 1 internal failure, 2 bad usage, unloadable\n"
	"board or scenario.\n";

int cmd_report(int argc, char **argv)
{
	struct common co = { .cmd = "report", .short_usage = report_short, .long_usage = report_usage };
	struct load_ctx lc = { NULL };
	struct dmapool_machine *m = NULL;
	const char *scenario = NULL, *html = NULL;
	char title[512];
	FILE *f;
	int r, err, ret = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!co.opts_done && is_opt(a, "--after")) {
			scenario = opt_value(argc, argv, &i, "--after");
			if (!scenario || !*scenario)
				return usage_error(report_short, "report: --after needs a value");
		} else if (!co.opts_done && is_opt(a, "--html")) {
			html = opt_value(argc, argv, &i, "--html");
			if (!html || !*html)
				return usage_error(report_short, "report: --html needs a value");
		} else if ((r = common_opt(argc, argv, &i, &co)) != 0) {
			if (r < 0)
				return CO_RET(r);
		} else {
			return usage_error(report_short, "report: unknown option '%s'", a);
		}
	}
	if (!html)
		return usage_error(report_short, "report: --html FILE is required");
	r = tool_load_after(&co, scenario, &lc, &m);
	if (r) {
		free(lc.why);
		return r;
	}
	map_title(title, sizeof(title), m, &co, scenario);
	f = strcmp(html, "-") ? fopen(html, "w") : stdout;
	if (!f) {
		fprintf(stderr, "dmapool: report: --html %s: %s\n", html, strerror(errno));
		ret = EXIT_USAGE;
	} else {
		err = write_report(f, m, title);
		if (f != stdout && fclose(f) && !err)
			err = -EIO;
		if (err) {
			fprintf(stderr, "dmapool: report: %s: %s\n", html, dmapool_strerror(err));
			ret = EXIT_INTERNAL;
		}
	}
	dmapool_machine_destroy(m);
	free(lc.why);
	return finish(ret);
}
