/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Pictures of the decision trees (tools/dot.c): Graphviz DOT of a tree
 * with a decision's path on it, its rendering to SVG with Graphviz's
 * `dot`, and the generated part of docs/decision-tree.md.
 */
#ifndef DMAPOOL_TOOLS_DOT_H
#define DMAPOOL_TOOLS_DOT_H

#include <stdbool.h>
#include <stddef.h>

#include <dmapool.h>

/*
 * DOT of tree t: every stage a node, every edge; with d (a decision of
 * that tree) the path taken highlighted, each visited stage with its
 * recorded conditions and answers, each other stage with why it was not
 * visited.  malloc'd; NULL when out of memory or when d does not walk
 * the tree (*why then says so, when why is not NULL).
 */
char *dot_tree(enum dmapool_tree t, const struct dmapool_decision *d, const char **why);

/* Graphviz's `dot` is an executable file in one of PATH's directories. */
bool dot_have_graphviz(void);

/*
 * Run `dot -Tsvg -o path` on the DOT text; 0, or -1 with a message in
 * err (the partial output is removed).
 */
int dot_render_svg(const char *dot, const char *path, char *err, size_t errlen);

/*
 * The generated block of docs/decision-tree.md, from the BEGIN marker
 * line to the END marker line included.  malloc'd, NULL when out of
 * memory.
 */
char *dot_doc_block(void);

/* The marker lines' starts. */
#define DOT_DOC_BEGIN	"<!-- BEGIN GENERATED: decision trees"
#define DOT_DOC_END	"<!-- END GENERATED -->"

#endif
