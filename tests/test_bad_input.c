/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Broken inputs must fail cleanly: never crash, never leak, print what the
 * kernel prints (or a "libdmapool:" line where the library refuses).
 *
 * 1. Every fixtures/bad/NAME.dtb is loaded with dmapool_machine_load() and
 *    checked against NAME.expected:
 *      rc: N            expected return of dmapool_machine_load()
 *      line: TEXT       a log line equal to TEXT (everything after
 *                       "line: "); the line: entries must appear in this
 *                       order, each one matching its own log line
 *      absent: TEXT     TEXT occurs in no log line
 *    '#' lines and blank lines are comments.  A NAME.dtb without
 *    NAME.expected only has to load or fail with -EINVAL and a
 *    "libdmapool:" line.
 * 2. A few fixtures get extra checks: of_reserved_mem_device_init() on a
 *    device whose memory-region is broken (return codes of Linux 6.12's
 *    of_reserved_mem_device_init_by_idx), and the tree without /memory
 *    with a configured RAM size.
 * 3. Broken blobs made here (dtc cannot write them): NULL, zero length,
 *    truncated, bad magic, bad totalsize, bad block offsets, random
 *    garbage, random byte flips.  Each must return -EINVAL with a
 *    "libdmapool:" line (byte flips may also load).
 * The group teardown compares the open fds (/proc/self/fd) and mappings
 * (/proc/self/maps lines) with the counts taken in the group setup.
 *
 * Usage: test_bad_input BAD_FIXTURE_DIR
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <libfdt.h>
#include "testutil.h"

#include "dmapool.h"
#include <linux/of_reserved_mem.h>

static const char *fixture_dir;

/* ------------------------------------------------------------------ */
/* Log capture */

struct logbuf {
	char **lines;
	size_t n, cap;
};

static void sink(void *ctx, const char *line)
{
	struct logbuf *l = ctx;

	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		char **nl = realloc(l->lines, ncap * sizeof(*nl));

		if (!nl)
			abort();
		l->lines = nl;
		l->cap = ncap;
	}
	l->lines[l->n] = strdup(line);
	if (!l->lines[l->n])
		abort();
	l->n++;
}

static void logbuf_free(struct logbuf *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->lines[i]);
	free(l->lines);
	memset(l, 0, sizeof(*l));
}

static void logbuf_print(const struct logbuf *l)
{
	print_message("---- log (%zu lines) ----\n", l->n);
	for (size_t i = 0; i < l->n; i++)
		print_message("  | %s\n", l->lines[i]);
}

static bool log_has_prefix(const struct logbuf *l, const char *prefix)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strncmp(l->lines[i], prefix, strlen(prefix)))
			return true;
	return false;
}

static bool log_has_line(const struct logbuf *l, const char *line)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->lines[i], line))
			return true;
	return false;
}

static void config_init(struct dmapool_config *cfg, struct logbuf *log)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->arch = "arm64";
	cfg->log_sink = sink;
	cfg->log_ctx = log;
	/* keeps a byte-flipped /memory from asking for a huge machine */
	cfg->ram_limit = 4 * 1024ULL * 1024 * 1024;
}

static char *path_of(const char *name, const char *ext)
{
	char *p = NULL;

	assert_true(asprintf(&p, "%s/%s%s", fixture_dir, name, ext) > 0);
	return p;
}

/* ------------------------------------------------------------------ */
/* NAME.expected */

struct expectation {
	bool have_rc;
	int rc;
	char **lines;		/* line: entries, in order */
	size_t nlines;
	char **absent;
	size_t nabsent;
};

static void push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	assert_non_null(nv);
	*v = nv;
	nv[*n] = strdup(s);
	assert_non_null(nv[*n]);
	(*n)++;
}

static void expectation_free(struct expectation *e)
{
	for (size_t i = 0; i < e->nlines; i++)
		free(e->lines[i]);
	for (size_t i = 0; i < e->nabsent; i++)
		free(e->absent[i]);
	free(e->lines);
	free(e->absent);
	memset(e, 0, sizeof(*e));
}

/* false when the file does not exist; a malformed file fails the test. */
static bool expectation_read(const char *path, struct expectation *e)
{
	FILE *f = fopen(path, "re");
	char buf[4096];
	int lineno = 0;

	memset(e, 0, sizeof(*e));
	if (!f)
		return false;
	while (fgets(buf, sizeof(buf), f)) {
		size_t len = strlen(buf);
		char *end;

		lineno++;
		while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			buf[--len] = 0;
		if (!len || buf[0] == '#')
			continue;
		if (!strncmp(buf, "rc: ", 4)) {
			errno = 0;
			e->rc = (int)strtol(buf + 4, &end, 10);
			if (errno || end == buf + 4 || *end)
				fail_msg("%s:%d: bad rc value '%s'", path, lineno, buf + 4);
			e->have_rc = true;
		} else if (!strncmp(buf, "line: ", 6)) {
			push(&e->lines, &e->nlines, buf + 6);
		} else if (!strncmp(buf, "absent: ", 8)) {
			if (!buf[8])
				fail_msg("%s:%d: empty absent:", path, lineno);
			push(&e->absent, &e->nabsent, buf + 8);
		} else {
			fail_msg("%s:%d: unknown entry '%s'", path, lineno, buf);
		}
	}
	fclose(f);
	if (!e->have_rc)
		fail_msg("%s: no rc: entry", path);
	return true;
}

/* Ordered match of e->lines, then e->absent; prints every miss. */
static bool expectation_check(const struct expectation *e,
			      const struct logbuf *log, const char *name)
{
	bool ok = true;
	size_t at = 0;

	for (size_t i = 0; i < e->nlines; i++) {
		size_t j = at;

		while (j < log->n && strcmp(log->lines[j], e->lines[i]))
			j++;
		if (j == log->n) {
			if (log_has_line(log, e->lines[i]))
				print_error("%s: line out of order: '%s'\n", name,
					    e->lines[i]);
			else
				print_error("%s: missing line: '%s'\n", name,
					    e->lines[i]);
			ok = false;
			continue;
		}
		at = j + 1;
	}
	for (size_t i = 0; i < e->nabsent; i++) {
		for (size_t j = 0; j < log->n; j++) {
			if (strstr(log->lines[j], e->absent[i])) {
				print_error("%s: '%s' must not appear, found in: '%s'\n",
					    name, e->absent[i], log->lines[j]);
				ok = false;
				break;
			}
		}
	}
	return ok;
}

/* ------------------------------------------------------------------ */
/* One test per fixture */

static void test_fixture(void **state)
{
	const char *name = *state;
	char *dtb = path_of(name, ".dtb");
	char *exp = path_of(name, ".expected");
	struct expectation e;
	struct dmapool_config cfg;
	struct logbuf log = { 0 };
	struct dmapool_machine *m = (struct dmapool_machine *)1;
	bool have_exp, ok = true;
	int rc;

	have_exp = expectation_read(exp, &e);
	config_init(&cfg, &log);
	rc = dmapool_machine_load(dtb, &cfg, &m);

	if (have_exp && rc != e.rc) {
		print_error("%s: dmapool_machine_load returned %d (%s), expected %d\n",
			    name, rc, dmapool_strerror(rc), e.rc);
		ok = false;
	}
	if (!have_exp && rc != 0 && rc != -EINVAL) {
		print_error("%s: dmapool_machine_load returned %d (%s)\n", name,
			    rc, dmapool_strerror(rc));
		ok = false;
	}
	if ((rc == 0) != (m != NULL)) {
		print_error("%s: rc %d but machine %p\n", name, rc, (void *)m);
		ok = false;
		if (rc)
			m = NULL;	/* not ours to destroy */
	}
	if (rc < 0 && rc != -ENOENT && !log_has_prefix(&log, "libdmapool:")) {
		print_error("%s: failed with %d but no 'libdmapool:' line\n", name, rc);
		ok = false;
	}
	if (have_exp && !expectation_check(&e, &log, name))
		ok = false;
	/* the machine's own copy of the log holds the same lines */
	if (m) {
		if (dmapool_log_count(m) != log.n) {
			print_error("%s: dmapool_log_count %zu, sink saw %zu\n", name,
				    dmapool_log_count(m), log.n);
			ok = false;
		}
		dmapool_machine_destroy(m);
	}
	if (!ok)
		logbuf_print(&log);
	logbuf_free(&log);
	if (have_exp)
		expectation_free(&e);
	free(dtb);
	free(exp);
	assert_true(ok);
}

/* ------------------------------------------------------------------ */
/* memory-region: of_reserved_mem_device_init() on the broken device */

struct attach_case {
	const char *fixture;
	int rc;		/* Linux 6.12 of_reserved_mem_device_init_by_idx() */
};

static struct attach_case attach_cases[] = {
	{ "memory-region-dangling", -ENODEV },		/* of_parse_phandle fails */
	{ "memory-region-invalid-phandle", -ENODEV },	/* 0xffffffff: no node */
	{ "memory-region-root", -EINVAL },		/* no region named "" */
	{ "memory-region-not-rmem", -EINVAL },		/* no region of that name */
};

static void test_attach(void **state)
{
	const struct attach_case *c = *state;
	char *dtb = path_of(c->fixture, ".dtb");
	struct dmapool_config cfg;
	struct logbuf log = { 0 };
	struct dmapool_machine *m = NULL;
	struct device *dev;
	int rc;

	config_init(&cfg, &log);
	rc = dmapool_machine_load(dtb, &cfg, &m);
	free(dtb);
	if (rc) {
		logbuf_print(&log);
		logbuf_free(&log);
		fail_msg("%s: load returned %d", c->fixture, rc);
	}
	dev = dmapool_device_find(m, "dev@1c000000");
	if (!dev) {
		dmapool_machine_destroy(m);
		logbuf_free(&log);
		fail_msg("%s: no device dev@1c000000", c->fixture);
	}
	rc = of_reserved_mem_device_init(dev);
	/* a second attempt must not change anything either */
	assert_int_equal(of_reserved_mem_device_init_by_idx(dev, dev_of_node(dev), 0), rc);
	assert_int_equal(of_reserved_mem_device_init_by_idx(dev, dev_of_node(dev), 1), -ENODEV);
	of_reserved_mem_device_release(dev);
	for (size_t i = 0; i < dmapool_log_count(m); i++)
		assert_null(strstr(dmapool_log_line(m, i), "assigned reserved memory node"));
	dmapool_machine_destroy(m);
	logbuf_free(&log);
	assert_int_equal(rc, c->rc);
}

/* no-memory: ram_size replaces the missing /memory */
static void test_no_memory_ram_size(void **state)
{
	char *dtb = path_of("no-memory", ".dtb");
	struct dmapool_config cfg;
	struct logbuf log = { 0 };
	struct dmapool_machine *m = NULL;
	int rc;

	(void)state;
	config_init(&cfg, &log);
	cfg.ram_size = 2 * 1024ULL * 1024 * 1024;
	rc = dmapool_machine_load(dtb, &cfg, &m);
	free(dtb);
	if (rc || !log_has_line(&log, "  node   0: [mem 0x0000000040000000-0x00000000bfffffff]") ||
	    log_has_prefix(&log, "libdmapool:"))
		logbuf_print(&log);
	assert_int_equal(rc, 0);
	assert_non_null(m);
	assert_true(log_has_line(&log, "  node   0: [mem 0x0000000040000000-0x00000000bfffffff]"));
	assert_false(log_has_prefix(&log, "libdmapool:"));
	dmapool_machine_destroy(m);
	logbuf_free(&log);
}

/* ------------------------------------------------------------------ */
/* Broken blobs */

#define BLOB_CAP	4096

/*
 * A small valid tree in buf (BLOB_CAP bytes): 2/2 cells, 2 GiB at
 * 0x40000000, /chosen, one pool.  Callers keep blobs on the stack so that
 * a failed assertion leaks nothing (valgrind stays quiet).
 */
static size_t valid_blob(void *fdt)
{
	fdt32_t mem[4] = { cpu_to_fdt32(0), cpu_to_fdt32(0x40000000),
			   cpu_to_fdt32(0), cpu_to_fdt32(0x80000000) };
	fdt32_t pool[4] = { cpu_to_fdt32(0), cpu_to_fdt32(0x70000000),
			    cpu_to_fdt32(0), cpu_to_fdt32(0x400000) };

	memset(fdt, 0, BLOB_CAP);
	assert_int_equal(fdt_create(fdt, BLOB_CAP), 0);
	assert_int_equal(fdt_finish_reservemap(fdt), 0);
	assert_int_equal(fdt_begin_node(fdt, ""), 0);
	assert_int_equal(fdt_property_u32(fdt, "#address-cells", 2), 0);
	assert_int_equal(fdt_property_u32(fdt, "#size-cells", 2), 0);
	assert_int_equal(fdt_property_string(fdt, "compatible", "linux,dummy-virt"), 0);
	assert_int_equal(fdt_begin_node(fdt, "memory@40000000"), 0);
	assert_int_equal(fdt_property_string(fdt, "device_type", "memory"), 0);
	assert_int_equal(fdt_property(fdt, "reg", mem, sizeof(mem)), 0);
	assert_int_equal(fdt_end_node(fdt), 0);
	assert_int_equal(fdt_begin_node(fdt, "reserved-memory"), 0);
	assert_int_equal(fdt_property_u32(fdt, "#address-cells", 2), 0);
	assert_int_equal(fdt_property_u32(fdt, "#size-cells", 2), 0);
	assert_int_equal(fdt_property(fdt, "ranges", NULL, 0), 0);
	assert_int_equal(fdt_begin_node(fdt, "pool@70000000"), 0);
	assert_int_equal(fdt_property_string(fdt, "compatible", "shared-dma-pool"), 0);
	assert_int_equal(fdt_property(fdt, "reg", pool, sizeof(pool)), 0);
	assert_int_equal(fdt_property(fdt, "no-map", NULL, 0), 0);
	assert_int_equal(fdt_end_node(fdt), 0);
	assert_int_equal(fdt_end_node(fdt), 0);
	assert_int_equal(fdt_begin_node(fdt, "chosen"), 0);
	assert_int_equal(fdt_property_string(fdt, "bootargs", "console=ttyAMA0"), 0);
	assert_int_equal(fdt_end_node(fdt), 0);
	assert_int_equal(fdt_end_node(fdt), 0);
	assert_int_equal(fdt_finish(fdt), 0);
	assert_int_equal(fdt_pack(fdt), 0);
	return fdt_totalsize(fdt);
}

/* Load a blob; returns rc, fills log. */
static int load_blob(const void *blob, size_t size, struct logbuf *log)
{
	struct dmapool_config cfg;
	struct dmapool_machine *m = (struct dmapool_machine *)1;
	int rc;

	config_init(&cfg, log);
	rc = dmapool_machine_load_blob(blob, size, &cfg, &m);
	if ((rc == 0) != (m != NULL))
		fail_msg("rc %d but machine %p", rc, (void *)m);
	dmapool_machine_destroy(m);
	return rc;
}

static void expect_einval(const void *blob, size_t size, const char *what)
{
	struct logbuf log = { 0 };
	int rc = load_blob(blob, size, &log);
	bool logged = log_has_prefix(&log, "libdmapool:");

	if (rc != -EINVAL || !logged) {
		print_error("%s: rc %d (want %d), %s'libdmapool:' line\n",
			    what, rc, -EINVAL, logged ? "" : "no ");
		logbuf_print(&log);
	}
	logbuf_free(&log);
	assert_int_equal(rc, -EINVAL);
	assert_true(logged);
}

static void test_blob_valid(void **state)
{
	uint64_t fdt[BLOB_CAP / 8];
	size_t size = valid_blob(fdt);
	struct logbuf log = { 0 };

	(void)state;
	assert_int_equal(load_blob(fdt, size, &log), 0);
	assert_true(log_has_line(&log, "Reserved memory: created DMA memory pool at 0x0000000070000000, size 4 MiB"));
	logbuf_free(&log);
}

static void test_blob_null(void **state)
{
	(void)state;
	expect_einval(NULL, 4096, "NULL blob");
}

static void test_blob_zero_length(void **state)
{
	uint64_t fdt[BLOB_CAP / 8];

	(void)state;
	valid_blob(fdt);
	expect_einval(fdt, 0, "zero-length buffer");
}

/* A file cut short: the header's totalsize promises more than there is. */
static void test_blob_truncated(void **state)
{
	uint64_t fdt[BLOB_CAP / 8];
	size_t size = valid_blob(fdt);

	(void)state;
	expect_einval(fdt, size / 2, "truncated to half");
	expect_einval(fdt, size - 1, "one byte short");
}

/* Shorter than the 40-byte header itself. */
static void test_blob_truncated_header(void **state)
{
	uint64_t fdt[BLOB_CAP / 8];

	(void)state;
	valid_blob(fdt);
	expect_einval(fdt, 20, "truncated inside the header");
}

/* Cut short and the header made consistent with the cut. */
static void test_blob_truncated_consistent(void **state)
{
	uint64_t fdt[BLOB_CAP / 8];
	size_t size = valid_blob(fdt);

	(void)state;
	fdt_set_totalsize(fdt, (uint32_t)(size / 2));
	expect_einval(fdt, size / 2, "truncated, totalsize adjusted");
}

static void test_blob_bad_magic(void **state)
{
	uint64_t blob[BLOB_CAP / 8];
	uint8_t *fdt = (uint8_t *)blob;
	size_t size = valid_blob(fdt);

	(void)state;
	fdt[0] ^= 0xff;
	expect_einval(fdt, size, "corrupt magic");
	fdt[0] ^= 0xff;
	fdt_set_magic(fdt, 0xedfe0dd0);		/* byte-swapped magic */
	expect_einval(fdt, size, "byte-swapped magic");
}

static void test_blob_bad_totalsize(void **state)
{
	static const uint32_t sizes[] = { 0, 8, 39, 0xffffffffu, 0x80000000u };
	uint64_t fdt[BLOB_CAP / 8];
	size_t size = valid_blob(fdt);
	char what[64];

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		fdt_set_totalsize(fdt, sizes[i]);
		snprintf(what, sizeof(what), "totalsize %#x", sizes[i]);
		expect_einval(fdt, size, what);
	}
	/* a totalsize larger than the tree but within the buffer is valid
	 * padding; one that cuts the strings block is not */
	fdt_set_totalsize(fdt, fdt_off_dt_strings(fdt) + 2);
	expect_einval(fdt, size, "totalsize cuts the strings block");
}

static void test_blob_bad_offsets(void **state)
{
	uint64_t fdt[BLOB_CAP / 8];
	size_t size = valid_blob(fdt);
	uint64_t copy[BLOB_CAP / 8];
	uint32_t totalsize;

	(void)state;
	totalsize = fdt_totalsize(fdt);
	struct {
		const char *what;
		void (*set)(void *, uint32_t);
		uint32_t value;
	} cases[] = {
		{ "struct offset past the end", fdt_set_off_dt_struct, totalsize + 64 },
		{ "struct offset inside the header", fdt_set_off_dt_struct, 8 },
		{ "struct offset misaligned", fdt_set_off_dt_struct, fdt_off_dt_struct(fdt) + 1 },
		{ "struct offset 0xffffffff", fdt_set_off_dt_struct, 0xffffffffu },
		{ "struct size too large", fdt_set_size_dt_struct, totalsize },
		{ "struct size 0", fdt_set_size_dt_struct, 0 },
		{ "strings offset past the end", fdt_set_off_dt_strings, totalsize + 64 },
		{ "strings size too large", fdt_set_size_dt_strings, 0x7fffffffu },
		{ "memreserve offset past the end", fdt_set_off_mem_rsvmap, totalsize + 64 },
		{ "version 1", fdt_set_version, 1 },
		{ "last compatible version 99", fdt_set_last_comp_version, 99 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(copy, fdt, size);
		cases[i].set(copy, cases[i].value);
		expect_einval(copy, size, cases[i].what);
	}
}

/* Deterministic xorshift64*. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void test_blob_garbage(void **state)
{
	uint64_t mem[BLOB_CAP / 8];
	uint8_t *buf = (uint8_t *)mem;
	char what[64];

	(void)state;
	rng_state = 0x9e3779b97f4a7c15ULL;
	for (int iter = 0; iter < 64; iter++) {
		size_t size = 40 + rnd() % (BLOB_CAP - 40);

		for (size_t i = 0; i < size; i++)
			buf[i] = (uint8_t)rnd();
		snprintf(what, sizeof(what), "garbage #%d (%zu bytes)", iter, size);
		expect_einval(buf, size, what);
		/* the same garbage behind a plausible header */
		fdt_set_magic(buf, FDT_MAGIC);
		fdt_set_totalsize(buf, (uint32_t)size);
		fdt_set_version(buf, 17);
		fdt_set_last_comp_version(buf, 16);
		snprintf(what, sizeof(what), "garbage #%d with a header", iter);
		expect_einval(buf, size, what);
	}
}

/* Random byte flips of a valid tree: -EINVAL with a reason, or a machine. */
static void test_blob_flips(void **state)
{
	uint64_t blob[BLOB_CAP / 8];
	uint8_t *fdt = (uint8_t *)blob;
	size_t size = valid_blob(fdt);
	uint8_t copy[BLOB_CAP];
	int loaded = 0, refused = 0;

	(void)state;
	rng_state = 0x243f6a8885a308d3ULL;
	for (int iter = 0; iter < 300; iter++) {
		struct logbuf log = { 0 };
		int flips = 1 + (int)(rnd() % 4), rc;

		memcpy(copy, fdt, size);
		for (int k = 0; k < flips; k++)
			copy[rnd() % size] ^= (uint8_t)(1u << (rnd() % 8));
		rc = load_blob(copy, size, &log);
		if (rc == 0) {
			loaded++;
		} else {
			refused++;
			if ((rc != -EINVAL && rc != -E2BIG) ||
			    !log_has_prefix(&log, "libdmapool:")) {
				print_error("flip #%d: rc %d\n", iter, rc);
				logbuf_print(&log);
				logbuf_free(&log);
				fail();
			}
		}
		logbuf_free(&log);
	}
	print_message("byte flips: %d loaded, %d refused\n", loaded, refused);
}

/* ------------------------------------------------------------------ */
/* Leak check */

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/*
 * Mappings in /proc/self/maps.  Under AddressSanitizer its own allocator
 * maps and unmaps at will, so only the library's simulated RAM (memfd
 * "memfd:dmapool-") is counted there; LeakSanitizer covers the heap.
 */
#ifdef UNDER_ASAN
#define MAPS_COUNTED	"memfd:dmapool-"
#else
#define MAPS_COUNTED	NULL
#endif

static long fds_before, maps_before;
static struct dmapool_heap_stats heap_before;
static bool leaked;

static int group_setup(void **state)
{
	uint64_t fdt[BLOB_CAP / 8];
	size_t size = valid_blob(fdt);
	struct logbuf log = { 0 };
	int rc;

	(void)state;
	/* one full boot first, so that lazily created mappings exist */
	rc = load_blob(fdt, size, &log);
	logbuf_free(&log);
	if (rc)
		return -1;
	fds_before = count_fds();
	maps_before = count_maps(MAPS_COUNTED);
	dmapool_heap_stats(&heap_before);
	return fds_before < 0 || maps_before < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
	long fds = count_fds(), maps = count_maps(MAPS_COUNTED);
	struct dmapool_heap_stats h;

	(void)state;
	dmapool_heap_stats(&h);
	print_message("leak check: fds %ld -> %ld, mappings %ld -> %ld, heap blocks %llu -> %llu\n",
		      fds_before, fds, maps_before, maps,
		      (unsigned long long)heap_before.blocks, (unsigned long long)h.blocks);
	if (fds != fds_before || maps != maps_before || h.blocks != heap_before.blocks ||
	    h.bytes != heap_before.bytes) {
		print_error("leak: open fds %ld -> %ld, mappings %ld -> %ld, heap blocks %llu -> %llu\n",
			    fds_before, fds, maps_before, maps,
			    (unsigned long long)heap_before.blocks, (unsigned long long)h.blocks);
		leaked = true;
		tu_group_failed();
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_no_memory_ram_size),
		cmocka_unit_test(test_blob_valid),
		cmocka_unit_test(test_blob_null),
		cmocka_unit_test(test_blob_zero_length),
		cmocka_unit_test(test_blob_truncated),
		cmocka_unit_test(test_blob_truncated_header),
		cmocka_unit_test(test_blob_truncated_consistent),
		cmocka_unit_test(test_blob_bad_magic),
		cmocka_unit_test(test_blob_bad_totalsize),
		cmocka_unit_test(test_blob_bad_offsets),
		cmocka_unit_test(test_blob_garbage),
		cmocka_unit_test(test_blob_flips),
	};
	const size_t nattach = sizeof(attach_cases) / sizeof(attach_cases[0]);
	const size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	struct CMUnitTest *tests;
	char **names = NULL, **test_names;
	size_t nnames = 0, ntests = 0;
	struct dirent *de;
	DIR *d;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: %s BAD_FIXTURE_DIR\n", argv[0]);
		return 2;
	}
	fixture_dir = argv[1];
	d = opendir(fixture_dir);
	if (!d) {
		fprintf(stderr, "%s: cannot open %s: %s\n", argv[0], fixture_dir,
			strerror(errno));
		return 2;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char **nn;

		if (len <= 4 || strcmp(de->d_name + len - 4, ".dtb"))
			continue;
		nn = realloc(names, (nnames + 1) * sizeof(*names));
		if (!nn)
			return 2;
		names = nn;
		names[nnames] = strndup(de->d_name, len - 4);
		if (!names[nnames])
			return 2;
		nnames++;
	}
	closedir(d);
	if (!nnames) {
		fprintf(stderr, "%s: no .dtb in %s\n", argv[0], fixture_dir);
		return 2;
	}
	qsort(names, nnames, sizeof(*names), cmp_str);

	tests = calloc(nnames + nattach + nfixed, sizeof(*tests));
	test_names = calloc(nnames + nattach, sizeof(*test_names));
	if (!tests || !test_names)
		return 2;
	for (size_t i = 0; i < nnames; i++) {
		if (asprintf(&test_names[ntests], "fixture %s", names[i]) < 0)
			return 2;
		tests[ntests].name = test_names[ntests];
		tests[ntests].test_func = test_fixture;
		tests[ntests].initial_state = names[i];
		ntests++;
	}
	for (size_t i = 0; i < nattach; i++) {
		if (asprintf(&test_names[ntests], "attach %s", attach_cases[i].fixture) < 0)
			return 2;
		tests[ntests].name = test_names[ntests];
		tests[ntests].test_func = test_attach;
		tests[ntests].initial_state = &attach_cases[i];
		ntests++;
	}
	memcpy(tests + ntests, fixed, sizeof(fixed));

	rc = _cmocka_run_group_tests("bad_input", tests, ntests + nfixed,
				     group_setup, group_teardown);

	for (size_t i = 0; i < nnames + nattach; i++)
		free(test_names[i]);
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(test_names);
	free(names);
	free(tests);
	return rc || leaked ? 1 : 0;
}
