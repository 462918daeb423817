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

#include <libfdt.h>

#define OF_MAX_ADDR_CELLS	4

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
	if (fdt_get_path(fdt, node, buf, len) < 0) {
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
		node = fdt_parent_offset(fdt, node);
	}
	return 1;
}

int fdt_n_cells(const void *fdt, int node, const char *name)
{
	/* of_n_addr_cells / of_n_size_cells: the cells of node's bus. */
	if (node > 0) {
		int parent = fdt_parent_offset(fdt, node);

		if (parent >= 0)
			node = parent;
	}
	return fdt_bus_cells(fdt, node, name);
}

static bool cells_ok(int na, int ns)
{
	return na > 0 && na <= OF_MAX_ADDR_CELLS && ns > 0;
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

		if (*addr >= child && *addr - child < size) {
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
	bus = fdt_parent_offset(fdt, node);
	if (bus < 0)
		return -ENOENT;
	na = fdt_bus_cells(fdt, bus, "#address-cells");
	ns = fdt_bus_cells(fdt, bus, "#size-cells");
	if (!cells_ok(na, ns))
		return -ENOENT;
	while (bus > 0) {
		int up = fdt_parent_offset(fdt, bus);
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
