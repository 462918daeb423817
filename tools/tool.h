/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * What the dmapool tool's source files share: the exit codes, the option
 * helpers and board loading of dmapool.c, and the memory map drawing of
 * memmap.c that report.c embeds.
 */
#ifndef DMAPOOL_TOOL_H
#define DMAPOOL_TOOL_H

#include "internal.h"

#define EXIT_USAGE	2
#define EXIT_LOAD	2
#define EXIT_INTERNAL	1

extern const unsigned char dmapool_demo_dtb[];
extern const size_t dmapool_demo_dtb_size;

/* The log sink: remember the last "libdmapool: " line, for errors. */
struct load_ctx {
	char *why;
};

/* What every command shares: the BOARD argument, "--", -h/--help and
 * --arch/--bootargs/--mem. */
struct common {
	const char *cmd;
	const char *short_usage, *long_usage;
	struct dmapool_config cfg;
	const char *board;
	bool opts_done;
};

/* common_opt(): 1: a[i] handled; 0: not a common one; CO_EXIT_OK: help
 * printed (exit 0); CO_EXIT_USAGE: usage error printed (exit 2). */
#define CO_EXIT_OK	(-1)
#define CO_EXIT_USAGE	(-2)
#define CO_RET(r)	((r) == CO_EXIT_OK ? 0 : EXIT_USAGE)

int common_opt(int argc, char **argv, int *i, struct common *co);
int usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "--opt VALUE" or "--opt=VALUE": the value, or NULL when absent. */
const char *opt_value(int argc, char **argv, int *i, const char *name);
bool is_opt(const char *a, const char *name);
/* Load BOARD (NULL: the demo board); errors printed.  The sink stays
 * with the machine: lc must live as long as it does. */
int load_board(const char *board, struct dmapool_config *cfg,
	       struct load_ctx *lc, struct dmapool_machine **m);
void capture_log(void *ctx, const char *line);
/* Flush stdout: ret, or EXIT_INTERNAL on a write error. */
int finish(int ret);
/* Exact human size: "64 MiB", "4 KiB", "3000 B". */
const char *hsize(uint64_t v, char buf[32]);

/* memmap.c */

/*
 * Load the board and play SCENARIO on it (NULL: none): "probes" runs the
 * board's own libdmapool,probe nodes; a .dts/.dtsi file is appended to
 * the board's source, compiled with dtc and its probe nodes run.  Errors
 * are printed; returns 0 or the exit status.
 */
int tool_load_after(struct common *co, const char *scenario,
		    struct load_ctx *lc, struct dmapool_machine **m);

enum map_scale { SCALE_LOG, SCALE_LINEAR };

/* The memory map as SVG (one document; a comment line first when
 * standalone) or as text.  0, or a negative errno. */
int memmap_svg(FILE *f, struct dmapool_machine *m, enum map_scale scale,
	       const char *title, bool standalone);
int memmap_text(FILE *f, struct dmapool_machine *m, const char *title);
/* Escape s for XML/HTML text or a quoted attribute. */
void xml_esc(FILE *f, const char *s);
/* The class name of an entry's kind in the picture and the report. */
const char *memmap_kind_class(const struct dmapool_region_usage *u);

/* "Physical memory map: MODEL (BOARD, ARCH), after SCENARIO" */
void map_title(char *buf, size_t len, struct dmapool_machine *m,
	       const struct common *co, const char *scenario);
int cmd_map(int argc, char **argv);

/* report.c */
int cmd_report(int argc, char **argv);

#endif /* DMAPOOL_TOOL_H */
