/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Pictures of the decision trees for "dmapool explain --dot/--svg" and
 * the generated part of docs/decision-tree.md (no kernel twin).
 *
 * Everything comes from the stage tables of src/decision_tree.c
 * (dmapool_decision_stages()) and, for a picture of one call, from the
 * decision laid on them by dmapool_decision_walk().  A stage that was not
 * visited is labelled with the visited stage where the path branched
 * away from it: the latest visited stage from which it can be reached
 * through unvisited stages only, its answer and the edge it took.
 *
 * Left out: layout (Graphviz does it); the picture of calls without a
 * table (unmap, sync, map_sg).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dot.h"

#define MAXN	128
#define WRAP	60

/* ---- DOT ---- */

/* s as the inside of a DOT string: quotes and backslashes escaped,
 * wrapped at about WRAP columns with \n. */
static void dot_text(FILE *f, const char *s, bool wrap)
{
	size_t col = 0;

	for (; s && *s; s++) {
		if (wrap && col >= WRAP && *s == ' ') {
			fputs("\\n", f);
			col = 0;
			continue;
		}
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			col = 0;
			continue;
		}
		fputc(*s, f);
		col++;
	}
}

struct path {
	int node[DMAPOOL_DECISION_MAX_STEPS];	/* stage of each step */
	int leaf, leaf_from;			/* backend leaf and its parent */
	int last[MAXN];				/* last step visiting it, -1 entry, -2 never */
	int first_step[MAXN];
	bool edge[MAXN][DMAPOOL_STAGE_MAX_NEXT];	/* edges taken */
};

static int edge_index(const struct dmapool_stage *s, enum dmapool_tree t, int from, int to)
{
	for (int e = 0; e < DMAPOOL_STAGE_MAX_NEXT && s[from].next[e].to; e++)
		if (dmapool_stage_index(t, s[from].next[e].to) == to)
			return e;
	return -1;
}

static int entry_of(const struct dmapool_stage *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].kind == DMAPOOL_STAGE_ENTRY)
			return (int)i;
	return -1;
}

/* The node the path went to after its last visit of v (-1: none). */
static int went_to(const struct path *p, const struct dmapool_decision *d,
		   const struct dmapool_stage *s, int v)
{
	for (int i = p->last[v] + 1; i < (int)d->nsteps; i++)
		if (p->node[i] >= 0 && s[p->node[i]].kind != DMAPOOL_STAGE_ANY)
			return p->node[i];
	return v == p->leaf_from ? p->leaf : -1;
}

static const char *answer_at(const struct dmapool_decision *d, const struct path *p, int v)
{
	return p->last[v] >= 0 ? d->steps[p->last[v]].answer : "";
}

static void why_not(FILE *f, const struct dmapool_stage *s, size_t n, enum dmapool_tree t,
		    const struct dmapool_decision *d, const struct path *p, int target)
{
	int queue[MAXN], hop[MAXN], qn = 0, best = -1, best_hop = -1;
	bool mark[MAXN] = { false };

	queue[qn++] = target;
	mark[target] = true;
	hop[target] = target;
	for (int qi = 0; qi < qn; qi++) {
		int x = queue[qi];

		for (size_t pi = 0; pi < n; pi++) {
			if (edge_index(s, t, (int)pi, x) < 0)
				continue;
			if (p->last[pi] != -2) {
				if (best < 0 || p->last[pi] > p->last[best]) {
					best = (int)pi;
					best_hop = x;
				}
			} else if (!mark[pi]) {
				mark[pi] = true;
				hop[pi] = x;
				queue[qn++] = (int)pi;
			}
		}
	}
	(void)hop;
	if (best < 0) {
		fputs("not reached", f);
		return;
	}
	{
		int to = went_to(p, d, s, best);
		int he = edge_index(s, t, best, best_hop);
		int te = to >= 0 ? edge_index(s, t, best, to) : -1;
		const char *ans = answer_at(d, p, best);

		if (to == p->leaf && to >= 0) {
			fprintf(f, "not reached: the call ended after %s", s[best].id);
			if (*ans)
				fprintf(f, " (\"%s\")", ans);
			fprintf(f, " with backend %s", s[p->leaf].stage);
			return;
		}
		fprintf(f, "skipped at %s", s[best].id);
		if (*ans)
			fprintf(f, ": \"%s\"", ans);
		if (to >= 0) {
			fprintf(f, " -> %s", s[to].id);
			if (te >= 0 && *s[best].next[te].label)
				fprintf(f, " (%s)", s[best].next[te].label);
		}
		if (he >= 0 && *s[best].next[he].label)
			fprintf(f, ", not \"%s\"", s[best].next[he].label);
	}
}

static void node_head(FILE *f, const struct dmapool_stage *a)
{
	switch (a->kind) {
	case DMAPOOL_STAGE_BACKEND:
		fprintf(f, "=> %s", a->stage);
		return;
	case DMAPOOL_STAGE_ENTRY:
		fprintf(f, "%s", a->kfunc);
		break;
	default:
		fprintf(f, "%s\n[%s]", a->id, a->kfunc);
		break;
	}
	if (a->file)
		fprintf(f, "\n%s", a->file);
}

static int walk(enum dmapool_tree t, const struct dmapool_decision *d, struct path *p,
		const struct dmapool_stage *s, size_t n, const char **why)
{
	int entry = entry_of(s, n), prev;

	for (size_t i = 0; i < MAXN; i++) {
		p->last[i] = -2;
		p->first_step[i] = -2;
	}
	memset(p->edge, 0, sizeof(p->edge));
	p->leaf = p->leaf_from = -1;
	if (entry < 0)
		return -1;
	p->last[entry] = -1;
	p->first_step[entry] = -1;
	if (!d)
		return 0;
	if (dmapool_decision_walk(d, t, p->node, &p->leaf)) {
		if (why)
			*why = "the decision's steps do not follow the tree";
		return -1;
	}
	prev = entry;
	for (int i = 0; i < (int)d->nsteps; i++) {
		int k = p->node[i], e;

		if (p->first_step[k] == -2)
			p->first_step[k] = i;
		p->last[k] = i;
		if (s[k].kind == DMAPOOL_STAGE_ANY)
			continue;
		e = edge_index(s, t, prev, k);
		if (e >= 0)
			p->edge[prev][e] = true;
		prev = k;
	}
	/* the leaf's parent: the latest visited stage with an edge to it */
	for (int i = (int)d->nsteps; i >= 0; i--) {
		int at = i ? p->node[i - 1] : entry, e;

		if (s[at].kind == DMAPOOL_STAGE_ANY)
			continue;
		e = edge_index(s, t, at, p->leaf);
		if (e >= 0) {
			p->leaf_from = at;
			p->edge[at][e] = true;
			break;
		}
	}
	return 0;
}

char *dot_tree(enum dmapool_tree t, const struct dmapool_decision *d, const char **why)
{
	size_t n, len = 0;
	const struct dmapool_stage *s = dmapool_decision_stages(t, &n);
	struct path *p;
	char *buf = NULL;
	FILE *f;

	if (why)
		*why = NULL;
	if (!s || n > MAXN) {
		if (why)
			*why = "no such tree";
		return NULL;
	}
	p = malloc(sizeof(*p));
	if (!p)
		return NULL;
	if (walk(t, d, p, s, n, why)) {
		free(p);
		return NULL;
	}
	f = open_memstream(&buf, &len);
	if (!f) {
		free(p);
		return NULL;
	}
	fprintf(f, "digraph \"%s\" {\n", dmapool_tree_name(t));
	fputs("  graph [rankdir=TB, fontname=\"Helvetica\", fontsize=12, labelloc=t, nodesep=0.25, ranksep=0.35", f);
	if (d) {
		fprintf(f, ", label=\"%s on %s, size %#llx: ", d->op, d->device,
			(unsigned long long)d->size);
		dot_text(f, d->backend ? d->backend : "none", false);
		fputc('"', f);
	} else {
		fprintf(f, ", label=\"the %s decision tree\"", dmapool_tree_name(t));
	}
	fputs("];\n", f);
	fputs("  node [shape=box, style=\"rounded\", fontname=\"Helvetica\", fontsize=10, color=\"gray55\", fontcolor=\"gray25\"];\n", f);
	fputs("  edge [color=\"gray60\", fontname=\"Helvetica\", fontsize=9, fontcolor=\"gray35\"];\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct dmapool_stage *a = &s[i];
		bool visited = p->last[i] != -2 && (d || a->kind == DMAPOOL_STAGE_ENTRY);
		bool reached_leaf = d && (int)i == p->leaf;

		if (a->kind == DMAPOOL_STAGE_ANY && d && !visited)
			continue;	/* drawn below, apart */
		fprintf(f, "  \"%s\" [label=\"", a->id);
		{
			char *head = NULL;
			size_t hl = 0;
			FILE *h = open_memstream(&head, &hl);

			if (h) {
				node_head(h, a);
				fclose(h);
				dot_text(f, head, false);
				free(head);
			}
		}
		if (d && visited && a->kind != DMAPOOL_STAGE_ENTRY &&
		    a->kind != DMAPOOL_STAGE_BACKEND) {
			int shown = 0, more = 0;

			for (int k = 0; k < (int)d->nsteps; k++) {
				if (p->node[k] != (int)i)
					continue;
				if (shown == 3) {
					more++;
					continue;
				}
				fputs("\\n", f);
				dot_text(f, d->steps[k].cond, true);
				fputs("\\n-> ", f);
				dot_text(f, d->steps[k].answer, false);
				shown++;
			}
			if (more)
				fprintf(f, "\\n(%d more)", more);
		} else if (d && !visited && !reached_leaf) {
			char *r = NULL;
			size_t rl = 0;
			FILE *h = open_memstream(&r, &rl);

			if (h) {
				why_not(h, s, n, t, d, p, (int)i);
				fclose(h);
				fputs("\\n", f);
				dot_text(f, r, true);
				free(r);
			}
		} else if (!d && a->kind != DMAPOOL_STAGE_BACKEND) {
			fputs("\\n", f);
			dot_text(f, a->desc, true);
		}
		fputc('"', f);
		if (a->kind == DMAPOOL_STAGE_BACKEND)
			fputs(", shape=ellipse", f);
		if (reached_leaf)
			fprintf(f, ", style=\"filled,bold\", penwidth=2.5, color=\"%s\", fillcolor=\"%s\", fontcolor=\"black\"",
				!strcmp(a->stage, "none") ? "firebrick" : "forestgreen",
				!strcmp(a->stage, "none") ? "mistyrose" : "honeydew");
		else if (d && visited)
			fprintf(f, ", style=\"%sfilled,bold\", penwidth=2, color=\"royalblue3\", fillcolor=\"aliceblue\", fontcolor=\"black\"",
				a->kind == DMAPOOL_STAGE_ENTRY ? "" : "rounded,");
		else if (d)
			fprintf(f, ", style=\"%s\", fontcolor=\"gray45\"",
				a->kind == DMAPOOL_STAGE_BACKEND ? "dashed" : "rounded,dashed");
		else if (a->kind == DMAPOOL_STAGE_ENTRY)
			fputs(", style=\"bold\"", f);
		else if (a->kind == DMAPOOL_STAGE_BACKEND)
			fputs(", style=\"solid\"", f);
		fputs("];\n", f);
	}
	/* stages that may follow any other: apart, without edges */
	{
		bool any = false;

		for (size_t i = 0; i < n; i++)
			if (s[i].kind == DMAPOOL_STAGE_ANY && (!d || p->last[i] == -2))
				any = true;
		if (any) {
			fputs("  subgraph \"cluster_any\" {\n    label=\"may follow any stage\"; style=\"dashed\"; color=\"gray70\"; fontsize=10;\n", f);
			for (size_t i = 0; i < n; i++) {
				if (s[i].kind != DMAPOOL_STAGE_ANY || (d && p->last[i] != -2))
					continue;
				fprintf(f, "    \"%s\" [label=\"%s\\n[%s]\\n", s[i].id, s[i].id, s[i].kfunc);
				dot_text(f, s[i].desc, true);
				if (d)
					fputs("\\nnot reached: only on that condition", f);
				fputs("\", style=\"rounded,dashed\"];\n", f);
			}
			fputs("  }\n", f);
		}
	}
	for (size_t i = 0; i < n; i++)
		for (int e = 0; e < DMAPOOL_STAGE_MAX_NEXT && s[i].next[e].to; e++) {
			fprintf(f, "  \"%s\" -> \"%s\"", s[i].id, s[i].next[e].to);
			fputs(" [label=\"", f);
			dot_text(f, s[i].next[e].label, true);
			fputc('"', f);
			if (d && p->edge[i][e])
				fputs(", color=\"royalblue3\", penwidth=2.5, fontcolor=\"royalblue4\"", f);
			else if (d)
				fputs(", style=\"dashed\"", f);
			fputs("];\n", f);
		}
	fputs("}\n", f);
	free(p);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- SVG ---- */

bool dot_have_graphviz(void)
{
	const char *path = getenv("PATH");
	char dir[4096];

	if (!path || !*path)
		return false;
	while (*path) {
		size_t len = strcspn(path, ":");
		struct stat st;

		if (len && len < sizeof(dir) - 5) {
			memcpy(dir, path, len);
			strcpy(dir + len, "/dot");
			if (!stat(dir, &st) && S_ISREG(st.st_mode) && !access(dir, X_OK))
				return true;
		}
		path += len;
		if (*path == ':')
			path++;
	}
	return false;
}

int dot_render_svg(const char *dot, const char *path, char *err, size_t errlen)
{
	int fd[2], status;
	pid_t pid;
	size_t len = strlen(dot), off = 0;

	if (pipe(fd)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fd[0], 0);
		close(fd[0]);
		close(fd[1]);
		execlp("dot", "dot", "-Tsvg", "-o", path, (char *)NULL);
		_exit(127);
	}
	close(fd[0]);
	while (off < len) {
		ssize_t w = write(fd[1], dot + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(fd[1]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(err, errlen, "waitpid: %s", strerror(errno));
			return -1;
		}
	if (off < len || !WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(err, errlen, "'dot -Tsvg -o %s' failed (%s %d)", path,
			 WIFEXITED(status) ? "exit status" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		unlink(path);
		return -1;
	}
	return 0;
}

/* ---- docs/decision-tree.md ---- */

static void mm_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '"': fputs("#quot;", f); break;
		case '<': fputs("#lt;", f); break;
		case '>': fputs("#gt;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void mm_id(FILE *f, const char *id)
{
	fputs("s_", f);
	for (; *id; id++)
		fputc((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z') ||
		      (*id >= '0' && *id <= '9') ? *id : '_', f);
}

static void md_cell(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else
			fputc(*s, f);
	}
}

static const char *const tree_call[DMAPOOL_TREE_COUNT] = {
	[DMAPOOL_TREE_ALLOC] = "`dma_alloc_attrs()` (`dmapool explain --size`)",
	[DMAPOOL_TREE_FREE] = "`dma_free_attrs()`",
	[DMAPOOL_TREE_MAP] = "`dma_map_single_attrs()` / `dma_map_page_attrs()` (`dmapool explain --map`)",
};

static void doc_tree(FILE *f, enum dmapool_tree t)
{
	size_t n;
	const struct dmapool_stage *s = dmapool_decision_stages(t, &n);

	fprintf(f, "### The `%s` tree: %s\n\n", dmapool_tree_name(t), tree_call[t]);
	fputs("```mermaid\nflowchart TD\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct dmapool_stage *a = &s[i];

		if (a->kind == DMAPOOL_STAGE_ANY)
			continue;
		fputs("  ", f);
		mm_id(f, a->id);
		switch (a->kind) {
		case DMAPOOL_STAGE_ENTRY:
			fputs("[[\"", f);
			mm_text(f, a->kfunc);
			fputs("<br/>", f);
			mm_text(f, a->file);
			fputs("\"]]\n", f);
			break;
		case DMAPOOL_STAGE_BACKEND:
			fputs("([\"", f);
			mm_text(f, a->stage);
			fputs("\"])\n", f);
			break;
		default:
			fputs("[\"", f);
			mm_text(f, a->id);
			fputs("<br/>", f);
			mm_text(f, a->kfunc);
			fputs("<br/>", f);
			mm_text(f, a->file);
			fputs("\"]\n", f);
			break;
		}
	}
	for (size_t i = 0; i < n; i++)
		for (int e = 0; e < DMAPOOL_STAGE_MAX_NEXT && s[i].next[e].to; e++) {
			fputs("  ", f);
			mm_id(f, s[i].id);
			if (*s[i].next[e].label) {
				fputs(" -->|\"", f);
				mm_text(f, s[i].next[e].label);
				fputs("\"| ", f);
			} else {
				fputs(" --> ", f);
			}
			mm_id(f, s[i].next[e].to);
			fputc('\n', f);
		}
	fputs("```\n\n", f);
	fputs("| stage | trace `stage` [`func`] | kernel function (file) | here | what it does | next |\n", f);
	fputs("|---|---|---|---|---|---|\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct dmapool_stage *a = &s[i];

		if (a->kind == DMAPOOL_STAGE_BACKEND)
			continue;
		fprintf(f, "| `%s` | ", a->id);
		if (a->stage) {
			fprintf(f, "`%s` [", a->stage);
			md_cell(f, a->funcs);
			fputs("]", f);
		} else {
			fputs("(the call)", f);
		}
		fputs(" | `", f);
		md_cell(f, a->kfunc);
		fputs("` (", f);
		md_cell(f, a->kfile);
		fputs(") | ", f);
		md_cell(f, a->file);
		fputs(" | ", f);
		md_cell(f, a->desc);
		fputs(" | ", f);
		if (a->kind == DMAPOOL_STAGE_ANY)
			fputs("may follow any stage", f);
		for (int e = 0; e < DMAPOOL_STAGE_MAX_NEXT && a->next[e].to; e++) {
			if (e)
				fputs("; ", f);
			if (*a->next[e].label) {
				md_cell(f, a->next[e].label);
				fputs(": ", f);
			}
			fprintf(f, "`%s`", a->next[e].to);
		}
		fputs(" |\n", f);
	}
	fputs("\nBackends: ", f);
	{
		bool first = true;

		for (size_t i = 0; i < n; i++) {
			if (s[i].kind != DMAPOOL_STAGE_BACKEND)
				continue;
			fprintf(f, "%s`%s` (", first ? "" : ", ", s[i].stage);
			md_cell(f, s[i].desc);
			fputc(')', f);
			first = false;
		}
	}
	fputs(".\n\n", f);
}

char *dot_doc_block(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fputs(DOT_DOC_BEGIN "; do not edit: generated from src/decision_tree.c, regenerate with: ninja -C BUILDDIR update-decision-tree-doc -->\n\n", f);
	doc_tree(f, DMAPOOL_TREE_ALLOC);
	doc_tree(f, DMAPOOL_TREE_FREE);
	doc_tree(f, DMAPOOL_TREE_MAP);
	fputs(DOT_DOC_END "\n", f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
