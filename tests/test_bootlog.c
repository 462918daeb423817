/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Boot-log fidelity: every oracle fixture's lines must equal what the real
 * Linux 6.12 kernel printed (fixtures/oracle/NAME.expected), and every
 * real-board fixture must print its expected lines (fixtures/boards/).
 *
 * Usage: test_bootlog oracle|boards DIR NAME...
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dmapool.h"
#include "testutil.h"

static void sink(void *ctx, const char *line)
{
	lines_add(ctx, line);
}

static const char *dir;
static const char *mode;

/* lines the probe driver run produces belong to `dmapool run`, not boot */
static int is_boot_line(const char *s)
{
	if (s[0] == '#')
		return 0;
	if (!strncmp(s, "dmaprobe", 8) || !strncmp(s, "memremap attempted", 18) ||
	    !strncmp(s, "WARNING:", 8))
		return 0;
	return 1;
}

static void check_oracle(void **state)
{
	const char *name = *state;
	char path[1024];
	struct lines exp = { 0 }, got = { 0 }, want = { 0 }, have = { 0 };
	struct dmapool_config cfg = { .log_sink = sink, .log_ctx = &got };
	struct dmapool_machine *m = NULL;
	size_t refused = (size_t)-1;
	int rc;

	snprintf(path, sizeof(path), "%s/%s.expected", dir, name);
	lines_read(path, &exp);
	for (size_t i = 0; i < exp.n; i++) {
		/* the probe run starts with the first driver line: everything
		 * after it (CMA failures, pool exhaustion...) is run time */
		if (!strncmp(exp.v[i], "dmaprobe ", 9))
			break;
		if (is_boot_line(exp.v[i]))
			lines_add(&want, exp.v[i]);
	}
	/* the IOMMU core prints its two lines on every boot; the oracle
	 * keeps them only for machines with an IOMMU */
	bool iommu_lines = lines_have_prefix(&exp, "iommu: ");
	snprintf(path, sizeof(path), "%s/%s.dtb", dir, name);
	rc = dmapool_machine_load(path, &cfg, &m);
	assert_int_equal(rc, 0);
	for (size_t i = 0; i < got.n; i++) {
		if (!strncmp(got.v[i], "Kernel command line:", 20))
			continue;
		if (!iommu_lines && !strncmp(got.v[i], "iommu: ", 7))
			continue;
		/* the library's own notes are not kernel lines */
		if (!strncmp(got.v[i], "libdmapool: ", 12) && !strstr(got.v[i], "not inside RAM"))
			continue;
		if (!strncmp(got.v[i], "libdmapool: CMA area", 20) &&
		    strstr(got.v[i], "not inside RAM") && refused == (size_t)-1)
			refused = have.n;
		lines_add(&have, got.v[i]);
	}
	/*
	 * Where the kernel oopses (a CMA area outside RAM) its log stops; the
	 * library refuses the area instead and goes on: the kernel's lines
	 * must then be exactly our lines before the refusal.
	 */
	size_t ncmp = refused != (size_t)-1 ? refused : have.n;
	for (size_t i = 0; i < want.n || i < ncmp; i++) {
		const char *w = i < want.n ? want.v[i] : "(end of kernel log)";
		const char *h = i < ncmp ? have.v[i] : "(end of library log)";

		if (strcmp(w, h)) {
			print_error("%s: line %zu differs\n  kernel:  %s\n  library: %s\n",
				    name, i + 1, w, h);
			fail();
		}
	}
	dmapool_machine_destroy(m);
	lines_free(&exp);
	lines_free(&got);
	lines_free(&want);
	lines_free(&have);
}

static const char *board_arch(const struct lines *exp)
{
	for (size_t i = 0; i < exp->n; i++) {
		const char *s = exp->v[i];

		if (strncmp(s, "# Kernel model:", 15))
			continue;
		if (strstr(s, "noMMU"))
			return "arm-nommu";
		if (strstr(s, "ARM 32-bit"))
			return "arm";
		if (strstr(s, "riscv64"))
			return "riscv64";
		return "arm64";
	}
	return "arm64";
}

/*
 * Board expectations were derived for a generic kernel model and quote
 * older message formats in places; these rules map them onto 6.12's:
 *   - "<...>" in an expected line matches any text;
 *   - "OF: fdt: Reserved memory: X" (before 6.4) is 6.12's
 *     "OF: reserved mem: Reserved memory: X";
 *   - "cma: Reserved N MiB at A" gains " on node -1" in 6.12.
 */
static int glob_match(const char *pat, const char *s)
{
	const char *lt = strchr(pat, '<');
	const char *gt = lt ? strchr(lt, '>') : NULL;

	if (!lt || !gt)
		return !strcmp(pat, s);
	if (strncmp(pat, s, lt - pat))
		return 0;
	s += lt - pat;
	for (const char *t = s; ; t++) {
		if (glob_match(gt + 1, t))
			return 1;
		if (!*t)
			return 0;
	}
}

static int board_line_matches(const char *exp, const char *got)
{
	char buf[1024];

	if (glob_match(exp, got))
		return 1;
	if (!strncmp(exp, "OF: fdt: ", 9)) {
		snprintf(buf, sizeof(buf), "OF: reserved mem: %s", exp + 9);
		if (!strcmp(buf, got))
			return 1;
	}
	if (!strncmp(exp, "cma: Reserved ", 14)) {
		snprintf(buf, sizeof(buf), "%s on node -1", exp);
		if (!strcmp(buf, got))
			return 1;
	}
	return 0;
}

/* Kernel options a board's own kernel has that Debian's arm64 build lacks. */
static const struct { const char *board, *knobs; } board_knobs[] = {
	/* ChromeOS kernels enable CONFIG_DMA_RESTRICTED_POOL */
	{ "mediatek-mt8192-asurada-spherion", "dma_restricted_pool=y" },
	/* the JH7100 (non-coherent RISC-V SoC) selects DMA_GLOBAL_POOL */
	{ "starfive-jh7100-beaglev-starlight", "dma_global_pool=y" },
};

static void check_board(void **state)
{
	const char *name = *state;
	char path[1024];
	struct lines exp = { 0 }, got = { 0 };
	struct dmapool_config cfg = { .log_sink = sink, .log_ctx = &got };
	struct dmapool_machine *m = NULL;
	int in_section = 0, missing = 0, rc;

	snprintf(path, sizeof(path), "%s/%s.expected", dir, name);
	lines_read(path, &exp);
	cfg.arch = board_arch(&exp);
	for (size_t i = 0; i < sizeof(board_knobs) / sizeof(board_knobs[0]); i++)
		if (!strcmp(board_knobs[i].board, name))
			cfg.knobs = board_knobs[i].knobs;
	snprintf(path, sizeof(path), "%s/%s.dtb", dir, name);
	rc = dmapool_machine_load(path, &cfg, &m);
	assert_int_equal(rc, 0);
	for (size_t i = 0; i < exp.n; i++) {
		const char *s = exp.v[i], *line;
		int found = 0;

		if (!strncmp(s, "== ", 3)) {
			in_section = strstr(s, "EXPECTED KERNEL LOG LINES") != NULL;
			continue;
		}
		if (!in_section || s[0] != '[')
			continue;
		if (strncmp(s, "[static", 7) && strncmp(s, "[derived", 8))
			continue;
		line = strstr(s, "] ");
		if (!line)
			continue;
		line += 2;
		for (size_t j = 0; j < got.n && !found; j++)
			found = board_line_matches(line, got.v[j]);
		if (!found) {
			print_error("%s (%s): missing line: %s\n", name, cfg.arch, line);
			missing++;
		}
	}
	if (missing) {
		print_error("%s: library log was:\n", name);
		for (size_t j = 0; j < got.n; j++)
			print_error("  | %s\n", got.v[j]);
	}
	assert_int_equal(missing, 0);
	dmapool_machine_destroy(m);
	lines_free(&exp);
	lines_free(&got);
}

static int group_setup(void **state)
{
	(void)state;
	tu_leak_mark();
	return 0;
}

int main(int argc, char **argv)
{
	struct CMUnitTest *tests;
	int n = argc - 3, rc;

	if (argc < 4) {
		fprintf(stderr, "usage: %s oracle|boards DIR NAME...\n", argv[0]);
		return 2;
	}
	mode = argv[1];
	dir = argv[2];
	tests = calloc(n, sizeof(*tests));
	for (int i = 0; i < n; i++) {
		tests[i].name = argv[i + 3];
		tests[i].test_func = !strcmp(mode, "oracle") ? check_oracle : check_board;
		tests[i].initial_state = argv[i + 3];
	}
	rc = _cmocka_run_group_tests(!strcmp(mode, "oracle") ? "oracle" : "boards",
				     tests, n, group_setup, tu_leak_teardown);
	free(tests);
	return rc;
}
