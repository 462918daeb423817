/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Helpers the cmocka tests share: a growable list of text lines, and the
 * counters the groups' teardowns use to check that nothing leaked (open
 * file descriptors, lines of /proc/self/maps).  Include after <cmocka.h>.
 */
#ifndef DMAPOOL_TESTUTIL_H
#define DMAPOOL_TESTUTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
 * a filter there ("/" for file-backed mappings, "dmapool-ram" for the
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

#endif
