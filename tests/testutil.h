/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Helpers the cmocka tests share: a growable list of text lines, the
 * counters the groups' teardowns use to check that nothing leaked (open
 * file descriptors, lines of /proc/self/maps), and (after <dmapool.h>) the
 * list of machines a test loaded.  Include after <cmocka.h>.
 */
#ifndef DMAPOOL_TESTUTIL_H
#define DMAPOOL_TESTUTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct lines {
	char **v;
	size_t n, cap;
};

static inline void lines_add(struct lines *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		assert_non_null(l->v);
	}
	l->v[l->n] = strdup(s);
	assert_non_null(l->v[l->n]);
	l->n++;
}

/* Some line starts with pfx. */
static inline bool lines_have_prefix(const struct lines *l, const char *pfx)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strncmp(l->v[i], pfx, strlen(pfx)))
			return true;
	return false;
}

/*
 * The scale of the long-running tests.  `meson test` runs the default
 * setup, "quick", which sets DMAPOOL_TEST_QUICK=1: the hygiene, hostile,
 * fault and thread tests then run a deterministic sample of their full
 * work, so the whole loop stays under 10 s with no test over 1 s (perf
 * target P8).  `meson test --setup soak` (CI's run-tests), valgrind, and
 * a test run by hand do the full work.
 */
static inline bool tu_quick(void)
{
	const char *s = getenv("DMAPOOL_TEST_QUICK");

	return s && *s && strcmp(s, "0");
}

static inline void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Every line of a text file, without its new line; the file must exist. */
static inline void lines_read(const char *path, struct lines *out)
{
	FILE *f = fopen(path, "r");
	char buf[4096];

	assert_non_null(f);
	while (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = 0;
		lines_add(out, buf);
	}
	fclose(f);
}

/* Open file descriptors of the process; -1 if /proc is not readable. */
static inline long count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	long n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/*
 * Mappings of the process: the lines of /proc/self/maps that contain
 * `only` (every line when NULL).  Under AddressSanitizer or valgrind the
 * tool's allocator maps and unmaps anonymous memory at will, so tests pass
 * a filter there ("/" for file-backed mappings, "memfd:dmapool-" for the
 * simulated RAM).  -1 if /proc is not readable.
 */
static inline long count_maps(const char *only)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	bool at_start = true;	/* the chunk fgets reads begins a line */
	long n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (at_start && (!only || strstr(line, only)))
			n++;
		at_start = strchr(line, '\n') != NULL;
	}
	fclose(f);
	return n;
}

/*
 * The mappings a leak check counts.  Under ASan, TSan or valgrind the tool
 * grows and splits its own mappings (and splits those of the loaded
 * libraries) whatever the library does; there only the library's memfd
 * mappings are counted (the simulated RAM, and every alias the library
 * maps).  Native runs count every mapping.
 */
static inline long tu_maps_now(void)
{
	static int tool = -1;

	if (tool < 0) {
		FILE *f = fopen("/proc/self/maps", "r");
		char line[512];

		tool = 0;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
		tool = 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
		tool = 1;
#endif
#endif
		if (f) {
			while (fgets(line, sizeof(line), f))
				if (strstr(line, "vgpreload") || strstr(line, "libasan") ||
				    strstr(line, "libtsan"))
					tool = 1;
			fclose(f);
		}
	}
	return count_maps(tool ? "memfd:dmapool-" : NULL);
}

/* Trees the tests write: DIR/NAME.dts with text; 0 or -1. */
static inline int tu_tree_write(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.dts", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f) ? -1 : 0;
}

static inline void tu_tree_remove(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s.dts", dir, name);
	unlink(path);
}

/*
 * cmocka 1.1 prints "[  FAILED  ] GROUP TEARDOWN" when a group teardown
 * returns nonzero but leaves the run's count, and so the exit status,
 * untouched.  A failing group teardown calls tu_group_failed(): the
 * process then exits with status 1 whatever main() returns.
 */
static void tu_fail_exit(void)
{
	fflush(NULL);
	_exit(1);
}

static inline void tu_group_failed(void)
{
	static bool armed;

	if (!armed) {
		armed = true;
		atexit(tu_fail_exit);
	}
}

#ifdef DMAPOOL_H
/*
 * Machines a test loaded: the per-test teardown (tu_teardown) destroys
 * every one of them, even when an assertion fails half way.
 */
#define TU_MAX_LIVE 16
static struct dmapool_machine *tu_live[TU_MAX_LIVE] __attribute__((unused));

static inline struct dmapool_machine *tu_load(const char *path,
					      const struct dmapool_config *cfg)
{
	struct dmapool_machine *m = NULL;
	int rc = dmapool_machine_load(path, cfg, &m);

	if (rc)
		fprintf(stderr, "load %s: %s\n", path, dmapool_strerror(rc));
	assert_int_equal(rc, 0);
	assert_non_null(m);
	for (int i = 0; i < TU_MAX_LIVE; i++)
		if (!tu_live[i]) {
			tu_live[i] = m;
			return m;
		}
	fail_msg("too many live machines");
	return NULL;
}

/* DIR/NAME.EXT ("dtb", or "dts" compiled by dtc) with cfg. */
static inline struct dmapool_machine *tu_load_in(const char *dir, const char *name,
						 const char *ext,
						 const struct dmapool_config *cfg)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
	return tu_load(path, cfg);
}

/* The device of that name (path, node name or label); it must exist. */
static inline struct device *tu_dev(struct dmapool_machine *m, const char *name)
{
	struct device *d = dmapool_device_find(m, name);

	if (!d)
		fail_msg("no device %s", name);
	return d;
}

static inline void tu_unload(struct dmapool_machine *m)
{
	for (int i = 0; i < TU_MAX_LIVE; i++)
		if (tu_live[i] == m)
			tu_live[i] = NULL;
	dmapool_machine_destroy(m);
}

/* Log lines equal to s (tu_log_count) or containing sub
 * (tu_log_count_sub) from line `from` on. */
static inline size_t tu_log_count(struct dmapool_machine *m, size_t from, const char *s)
{
	size_t n = 0;

	for (size_t i = from; i < dmapool_log_count(m); i++)
		n += !strcmp(dmapool_log_line(m, i), s);
	return n;
}

static inline size_t tu_log_count_sub(struct dmapool_machine *m, size_t from,
				      const char *sub)
{
	size_t n = 0;

	for (size_t i = from; i < dmapool_log_count(m); i++)
		n += strstr(dmapool_log_line(m, i), sub) != NULL;
	return n;
}

static inline void tu_dump_log(struct dmapool_machine *m, size_t from)
{
	for (size_t i = from; i < dmapool_log_count(m); i++)
		fprintf(stderr, "  log: %s\n", dmapool_log_line(m, i));
}

static inline int tu_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < TU_MAX_LIVE; i++)
		if (tu_live[i]) {
			dmapool_machine_destroy(tu_live[i]);
			tu_live[i] = NULL;
		}
	return 0;
}

/* A group's leak check: tu_leak_mark() at the end of its setup,
 * tu_leak_teardown() as its teardown (every machine destroyed, then no
 * descriptor, mapping or library heap block may be left). */
static long tu_fds0 __attribute__((unused)), tu_maps0 __attribute__((unused));
static struct dmapool_heap_stats tu_heap0 __attribute__((unused));

static inline void tu_leak_mark(void)
{
	tu_fds0 = count_fds();
	tu_maps0 = tu_maps_now();
	dmapool_heap_stats(&tu_heap0);
}

static inline int tu_leak_teardown(void **state)
{
	struct dmapool_heap_stats h;

	tu_teardown(state);
	dmapool_heap_stats(&h);
	if (count_fds() != tu_fds0 || tu_maps_now() != tu_maps0 ||
	    h.blocks != tu_heap0.blocks || h.bytes != tu_heap0.bytes) {
		fprintf(stderr, "leak: fds %ld -> %ld, maps %ld -> %ld, heap blocks %llu -> %llu, bytes %llu -> %llu\n",
			tu_fds0, count_fds(), tu_maps0, tu_maps_now(),
			(unsigned long long)tu_heap0.blocks, (unsigned long long)h.blocks,
			(unsigned long long)tu_heap0.bytes, (unsigned long long)h.bytes);
		tu_group_failed();
		return -1;
	}
	return 0;
}

/* The first report of that kind (the test fails if there is none). */
static inline struct dmapool_report tu_report_of(struct dmapool_machine *m,
						 const char *kind)
{
	struct dmapool_report r;

	for (size_t i = 0; dmapool_report_get(m, i, &r) == 0; i++)
		if (!strcmp(r.kind, kind))
			return r;
	fail_msg("no report of kind %s", kind);
	memset(&r, 0, sizeof(r));
	return r;
}

/* The device's last decision (it must have one). */
static inline struct dmapool_decision tu_last_decision(struct device *d)
{
	struct dmapool_decision x;

	memset(&x, 0, sizeof(x));
	assert_int_equal(dmapool_last_decision(d, &x), 0);
	return x;
}

/* A step of that stage whose answer starts with answer (NULL: any). */
static inline bool tu_has_step(const struct dmapool_decision *d, const char *stage,
			       const char *answer)
{
	for (unsigned i = 0; i < d->nsteps; i++)
		if (!strcmp(d->steps[i].stage, stage) &&
		    (!answer || !strncmp(d->steps[i].answer, answer, strlen(answer))))
			return true;
	return false;
}

static inline void tu_dump_decision(const struct dmapool_decision *d)
{
	char *t = dmapool_decision_text(d);

	fprintf(stderr, "%s", t ? t : "(no text)\n");
	free(t);
}
#endif

#endif
