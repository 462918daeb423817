/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * gen-decision-tree: the generated part of docs/decision-tree.md, from
 * the stage tables of src/decision_tree.c (no kernel twin).
 *
 *   gen-decision-tree                 print the block (markers included)
 *   gen-decision-tree --update FILE   replace the block in FILE
 *   gen-decision-tree --dot TREE      DOT of a bare tree (alloc, free, map)
 *
 * The block runs from the line starting with the BEGIN marker to the END
 * marker line; text around it is left as it is.  Left out: checking (the
 * docs test compares the printed block with the file's, tests/dot_check.sh).
 *
 * Exit status: 0 success, 1 write error or out of memory, 2 bad usage or
 * a FILE without the markers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dot.h"

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, r;

	if (!f)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		r = fread(buf + len, 1, cap - len - 1, f);
		len += r;
		if (r == 0)
			break;
	}
	buf[len] = 0;
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	return buf;
}

/* Start of the line that starts with marker, or NULL. */
static char *find_line(char *text, const char *marker)
{
	for (char *p = text; p && *p; ) {
		if (!strncmp(p, marker, strlen(marker)))
			return p;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static int update(const char *path, const char *block)
{
	char *text = read_all(path), *b, *e, tmp[4096];
	FILE *f;
	int ok;

	if (!text) {
		fprintf(stderr, "gen-decision-tree: %s: %s\n", path, strerror(errno));
		return errno == ENOMEM ? 1 : 2;
	}
	b = find_line(text, DOT_DOC_BEGIN);
	e = b ? find_line(b, DOT_DOC_END) : NULL;
	if (!b || !e) {
		fprintf(stderr, "gen-decision-tree: %s: no '%s' ... '%s' block\n", path,
			DOT_DOC_BEGIN, DOT_DOC_END);
		free(text);
		return 2;
	}
	{
		char *nl = strchr(e, '\n');

		e = nl ? nl + 1 : e + strlen(e);
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "gen-decision-tree: %s: %s\n", tmp, strerror(errno));
		free(text);
		return 1;
	}
	fwrite(text, 1, (size_t)(b - text), f);
	fputs(block, f);
	fputs(e, f);
	ok = !ferror(f);
	ok = !fclose(f) && ok;
	free(text);
	if (!ok || rename(tmp, path)) {
		fprintf(stderr, "gen-decision-tree: cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char *out;
	int ret = 0;

	if (argc == 3 && !strcmp(argv[1], "--dot")) {
		int t;

		for (t = 0; t < DMAPOOL_TREE_COUNT; t++)
			if (!strcmp(argv[2], dmapool_tree_name(t)))
				break;
		if (t == DMAPOOL_TREE_COUNT) {
			fprintf(stderr, "gen-decision-tree: --dot: unknown tree '%s' (alloc, free, map)\n",
				argv[2]);
			return 2;
		}
		out = dot_tree(t, NULL, NULL);
	} else if (argc == 1 || (argc == 3 && !strcmp(argv[1], "--update"))) {
		out = dot_doc_block();
	} else {
		fputs("usage: gen-decision-tree [--update FILE | --dot alloc|free|map]\n", stderr);
		return 2;
	}
	if (!out) {
		fprintf(stderr, "gen-decision-tree: %s\n", strerror(ENOMEM));
		return 1;
	}
	if (argc == 3 && !strcmp(argv[1], "--update"))
		ret = update(argv[2], out);
	else
		fputs(out, stdout);
	free(out);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "gen-decision-tree: write error: %s\n", strerror(errno));
		return 1;
	}
	return ret;
}
