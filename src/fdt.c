/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Device-tree helpers over libfdt: cell counts, big-endian numbers,
 * status, paths, and the two address translations of drivers/of/address.c
 * (a child bus address up through every ancestor's "ranges" to a CPU
 * address, and the DMA variant through "dma-ranges"), plus the parser of
 * one node's "dma-ranges" that of_dma_get_range and
 * of_dma_get_max_cpu_address share.
 *
 * Cell counts follow the kernel, not libfdt: an absent #address-cells or
 * #size-cells is inherited from the nearest ancestor that has one, and is
 * 1 when no node has it (OF_ROOT_NODE_{ADDR,SIZE}_CELLS_DEFAULT).
 *
 * Left out: the PCI and ISA bus types (their flag cells are dropped: an
 * address wider than two cells keeps its low 64 bits, and ranges are matched
 * without looking at the space code), the PowerMac empty-ranges quirk, and
 * "interconnects" as an alternative DMA parent.
 */
#include "internal.h"

#include <limits.h>

#include <libfdt.h>

#define OF_MAX_ADDR_CELLS	4

/* ---- the boot's node index ---- */

static __thread const struct fdt_index *cur_index;

static int ph_cmp(const void *a, const void *b)
{
	const struct fdt_phandle *x = a, *y = b;

	if (x->ph != y->ph)
		return x->ph < y->ph ? -1 : 1;
	return (x->node > y->node) - (x->node < y->node);	/* first in tree order */
}

int fdt_index_build(struct fdt_index *ix, const void *fdt)
{
	int *stack = NULL, node, depth = 0;
	size_t cap = 0, phcap = 0;

	memset(ix, 0, sizeof(*ix));
	ix->nparent = fdt_size_dt_struct(fdt) / 4 + 1;
	ix->parent = malloc(ix->nparent * sizeof(*ix->parent));
	if (!ix->parent)
		goto nomem;
	for (size_t i = 0; i < ix->nparent; i++)
		ix->parent[i] = INT_MIN;
	for (node = 0; node >= 0; node = fdt_next_node(fdt, node, &depth)) {
		uint32_t ph;

		if (depth < 0 || (size_t)node / 4 >= ix->nparent)
			break;
		if ((size_t)depth >= cap) {
			size_t nc = cap ? cap * 2 : 64;
			int *ns = realloc(stack, nc * sizeof(*ns));

			if (!ns)
				goto nomem;
			stack = ns;
			cap = nc;
		}
		stack[depth] = node;
		ix->parent[node / 4] = depth ? stack[depth - 1] : -FDT_ERR_NOTFOUND;
		ph = fdt_get_phandle(fdt, node);
		if (ph && ph != ~0u) {
			if (ix->nph == phcap) {
				size_t nc = phcap ? phcap * 2 : 64;
				struct fdt_phandle *np = realloc(ix->ph, nc * sizeof(*np));

				if (!np)
					goto nomem;
				ix->ph = np;
				phcap = nc;
			}
			ix->ph[ix->nph].ph = ph;
			ix->ph[ix->nph++].node = node;
		}
	}
	free(stack);
	if (ix->nph)
		qsort(ix->ph, ix->nph, sizeof(*ix->ph), ph_cmp);
	ix->symbols = fdt_path_offset(fdt, "/__symbols__");
	ix->fdt = fdt;
	return 0;
nomem:
	free(stack);
	fdt_index_free(ix);
	return -ENOMEM;
}

void fdt_index_free(struct fdt_index *ix)
{
	free(ix->parent);
	free(ix->ph);
	memset(ix, 0, sizeof(*ix));
}

void fdt_index_use(const struct fdt_index *ix)
{
	cur_index = ix && ix->fdt ? ix : NULL;
}

int fdt_parent(const void *fdt, int node)
{
	const struct fdt_index *ix = cur_index;

	if (ix && ix->fdt == fdt && node >= 0 && (size_t)node / 4 < ix->nparent &&
	    !(node & 3) && ix->parent[node / 4] != INT_MIN)
		return ix->parent[node / 4];
	return fdt_parent_offset(fdt, node);
}

int fdt_symbols_node(const void *fdt)
{
	const struct fdt_index *ix = cur_index;

	if (ix && ix->fdt == fdt)
		return ix->symbols;
	return fdt_path_offset(fdt, "/__symbols__");
}

int fdt_node_path(const void *fdt, int node, char *buf, int len)
{
	const struct fdt_index *ix = cur_index;
	int chain[256], n = 0, at = 0;

	if (!ix || ix->fdt != fdt)
		return fdt_get_path(fdt, node, buf, len);
	/* up to the root through the index (deeper trees: libfdt) */
	for (int cur = node; cur > 0; cur = fdt_parent(fdt, cur)) {
		if (n == (int)ARRAY_SIZE(chain))
			return fdt_get_path(fdt, node, buf, len);
		chain[n++] = cur;
	}
	if (len < 2)
		return -FDT_ERR_NOSPACE;
	if (!n) {
		buf[0] = '/';
		buf[1] = 0;
		return 0;
	}
	while (n--) {
		int nl;
		const char *name = fdt_get_name(fdt, chain[n], &nl);

		if (!name)
			return nl;
		if (at + 1 + nl >= len)
			return -FDT_ERR_NOSPACE;
		buf[at++] = '/';
		memcpy(buf + at, name, (size_t)nl);
		at += nl;
	}
	buf[at] = 0;
	return 0;
}

int fdt_phandle_node(const void *fdt, uint32_t phandle)
{
	const struct fdt_index *ix = cur_index;
	size_t lo = 0, hi;

	if (!ix || ix->fdt != fdt)
		return fdt_node_offset_by_phandle(fdt, phandle);
	if (!phandle || phandle == ~0u)
		return -FDT_ERR_BADPHANDLE;
	hi = ix->nph;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ix->ph[mid].ph < phandle)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ix->nph && ix->ph[lo].ph == phandle ? ix->ph[lo].node : -FDT_ERR_NOTFOUND;
}

int fdt_cells(const void *fdt, int node, const char *name, int dflt)
{
	const void *p;
	int len;

	p = fdt_getprop(fdt, node, name, &len);
	if (!p || len != 4)
		return dflt;
	return (int)fdt_read_cells(p, 1);
}

uint64_t fdt_read_cells(const uint32_t *p, int n)
{
	const uint8_t *b = (const uint8_t *)p;
	uint64_t v = 0;

	/* Wider numbers keep their low 64 bits, as of_read_number does. */
	for (int i = 0; i < n; i++, b += 4)
		v = (v << 32) | ((uint64_t)b[0] << 24 | (uint64_t)b[1] << 16 |
				 (uint64_t)b[2] << 8 | b[3]);
	return v;
}

int fdt_node_is_available(const void *fdt, int node)
{
	const char *s;
	int len;

	s = fdt_getprop(fdt, node, "status", &len);
	if (!s)
		return 1;
	if (len <= 0 || s[len - 1] != '\0')
		return 0;
	return !strcmp(s, "okay") || !strcmp(s, "ok");
}

const char *fdt_path(const void *fdt, int node, char *buf, int len)
{
	if (!buf || len <= 0)
		return "?";
	if (fdt_node_path(fdt, node, buf, len) < 0) {
		snprintf(buf, (size_t)len, "?");
		return "?";
	}
	return buf;
}

int fdt_bus_cells(const void *fdt, int node, const char *name)
{
	/* of_bus_n_addr_cells / of_bus_n_size_cells: the node, then up. */
	while (node >= 0) {
		const void *p;
		int len;

		p = fdt_getprop(fdt, node, name, &len);
		if (p && len == 4)
			return (int)fdt_read_cells(p, 1);
		if (node == 0)
			break;
		node = fdt_parent(fdt, node);
	}
	return 1;
}

int fdt_n_cells(const void *fdt, int node, const char *name)
{
	/* of_n_addr_cells / of_n_size_cells: the cells of node's bus. */
	if (node > 0) {
		int parent = fdt_parent(fdt, node);

		if (parent >= 0)
			node = parent;
	}
	return fdt_bus_cells(fdt, node, name);
}

/*
 * OF_CHECK_COUNTS, plus a bound on the size cells: the kernel takes any
 * #size-cells, but na + pna + ns must not overflow an int here, and an
 * entry wider than the property never matches anyway.
 */
#define OF_MAX_SIZE_CELLS	64

static bool cells_ok(int na, int ns)
{
	return na > 0 && na <= OF_MAX_ADDR_CELLS && ns > 0 && ns <= OF_MAX_SIZE_CELLS;
}

/*
 * One step up: addr is in the child address space of bus; find it in
 * bus's rprop and return the address in bus's parent space.  Returns 0
 * or -ENOENT.
 */
static int translate_one(const void *fdt, int bus, const char *rprop,
			 int na, int ns, int pna, uint64_t *addr)
{
	const uint32_t *r;
	int len, one;

	r = fdt_getprop(fdt, bus, rprop, &len);
	if (!r) {
		/* A missing dma-ranges is a 1:1 translation, a missing
		 * ranges is a bus whose children are not addressable. */
		if (strcmp(rprop, "dma-ranges"))
			return -ENOENT;
		return 0;
	}
	if (len <= 0)
		return 0;
	one = na + pna + ns;
	for (int left = len / 4; left >= one; left -= one, r += one) {
		uint64_t child = fdt_read_cells(r, na);
		uint64_t parent = fdt_read_cells(r + na, pna);
		uint64_t size = fdt_read_cells(r + na + pna, ns);

		/*
		 * of_bus_default_map: da < cp || da >= cp + s fails, with the
		 * kernel's wrapping sum (a range that runs past 2^64 matches
		 * nothing); the parent address wraps as of_bus_default_translate's.
		 */
		if (*addr >= child && *addr < child + size) {
			*addr = parent + (*addr - child);
			return 0;
		}
	}
	return -ENOENT;
}

int fdt_translate_address_prop(const void *fdt, int node, uint64_t addr,
			       const char *rprop, uint64_t *out)
{
	int bus, na, ns;

	if (node <= 0)
		return -ENOENT;	/* the root has no parent bus */
	bus = fdt_parent(fdt, node);
	if (bus < 0)
		return -ENOENT;
	na = fdt_bus_cells(fdt, bus, "#address-cells");
	ns = fdt_bus_cells(fdt, bus, "#size-cells");
	if (!cells_ok(na, ns))
		return -ENOENT;
	while (bus > 0) {
		int up = fdt_parent(fdt, bus);
		int pna, pns;

		if (up < 0)
			return -ENOENT;
		pna = fdt_bus_cells(fdt, up, "#address-cells");
		pns = fdt_bus_cells(fdt, up, "#size-cells");
		if (!cells_ok(pna, pns))
			return -ENOENT;
		if (translate_one(fdt, bus, rprop, na, ns, pna, &addr))
			return -ENOENT;
		na = pna;
		ns = pns;
		bus = up;
	}
	if (out)
		*out = addr;
	return 0;
}

int fdt_translate_address(const void *fdt, int node, uint64_t addr,
			  uint64_t *out)
{
	return fdt_translate_address_prop(fdt, node, addr, "ranges", out);
}

int fdt_parse_dma_ranges(const void *fdt, int node,
			 struct fdt_dma_range **out, size_t *n)
{
	struct fdt_dma_range *v = NULL;
	const uint32_t *r;
	size_t cnt = 0;
	int len, na, ns, pna, one, left;

	*out = NULL;
	*n = 0;
	r = fdt_getprop(fdt, node, "dma-ranges", &len);
	if (!r || len <= 0)
		return 0;
	na = fdt_bus_cells(fdt, node, "#address-cells");
	ns = fdt_bus_cells(fdt, node, "#size-cells");
	pna = fdt_n_cells(fdt, node, "#address-cells");
	/* cell counts from the tree: negative ones (0x80000000 and up) or
	 * absurd ones would index outside the property */
	if (na < 0 || na > OF_MAX_SIZE_CELLS || pna < 0 || pna > OF_MAX_SIZE_CELLS ||
	    ns < 0 || ns > OF_MAX_SIZE_CELLS)
		return 0;
	one = na + pna + ns;
	if (one <= 0)
		return 0;
	left = len / 4;
	if (left >= one) {
		v = calloc((size_t)(left / one), sizeof(*v));
		if (!v)
			return -ENOMEM;
	}
	for (; left >= one; left -= one, r += one) {
		struct fdt_dma_range e;
		uint64_t cpu;

		e.bus_addr = fdt_read_cells(r, na);
		e.size = fdt_read_cells(r + na + pna, ns);
		if (fdt_translate_address_prop(fdt, node,
					       fdt_read_cells(r + na, pna),
					       "dma-ranges", &cpu))
			e.cpu_addr = FDT_BAD_ADDR;
		else
			e.cpu_addr = cpu;
		/* Contiguous entries make one range, as the range parser
		 * does. */
		if (cnt) {
			struct fdt_dma_range *p = &v[cnt - 1];

			if (p->cpu_addr != FDT_BAD_ADDR &&
			    e.cpu_addr != FDT_BAD_ADDR &&
			    e.bus_addr == p->bus_addr + p->size &&
			    e.cpu_addr == p->cpu_addr + p->size) {
				p->size += e.size;
				continue;
			}
		}
		v[cnt++] = e;
	}
	*out = v;
	*n = cnt;
	return 0;
}

const char *fdt_path_or_null(const void *fdt, int node, char *buf, int len)
{
	if (node < 0 || fdt_get_path(fdt, node, buf, len) < 0)
		return NULL;
	return buf;
}
