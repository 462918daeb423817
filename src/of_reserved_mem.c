/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * /reserved-memory processing (models drivers/of/of_reserved_mem.c and the
 * reserved-memory part of drivers/of/fdt.c, as Linux 6.12.y runs them).
 *
 * Order, as the real 6.12 kernel was seen to print it:
 *   1. check the node's cells and ranges;
 *   2. reserve every static "reg" range (no-map marks memblock nomap) and
 *      queue the "size" nodes;
 *   3. allocate each dynamic node in tree order, save it and run its
 *      handler at once;
 *   4. rescan "reg" nodes, save the first (base, size) of each, run its
 *      handler;
 *   5. sort the saved regions and report overlaps of neighbours.
 * Handlers are an ops table keyed by compatible, tried in link order:
 * CMA (contiguous.c), per-device coherent pool (coherent.c), restricted
 * SWIOTLB pool.  The first that returns 0 wins.
 *
 * Left out: the crash-kernel elfcorehdr, "iommu-addresses" nodes, the
 * 6.17+ node_validate/node_fixup ops, export to /proc/device-tree.
 */
#include <libfdt.h>

#include "internal.h"

#define PFX "OF: reserved mem: "

/* ---- device attach ops ---- */


static int rmem_cma_device_init(struct reserved_mem *rmem, struct device *dev)
{
	dev->cma_area = rmem->priv;
	return 0;
}

static void rmem_cma_device_release(struct reserved_mem *rmem, struct device *dev)
{
	dev->cma_area = NULL;
}

static int rmem_swiotlb_device_init(struct reserved_mem *rmem, struct device *dev)
{
	struct io_tlb_pool *p = rmem->priv;

	if (!p) {
		/*
		 * The kernel takes the pool's struct pages (PageHighMem
		 * check, set_memory_decrypted): the pool must be RAM of the
		 * linear map.  Anywhere else it refuses, or would oops; the
		 * slot table is then bounded by RAM.
		 */
		if (memblock_ram_intersects(&dev->m->mb, rmem->base, rmem->size) != 1) {
			dev_klog(dev, "Restricted DMA pool must be accessible within the linear mapping.");
			return -EINVAL;
		}
		p = calloc(1, sizeof(*p));
		if (!p)
			return -ENOMEM;
		p->start = rmem->base;
		p->end = rmem->base + rmem->size;
		p->nslabs = rmem->size >> IO_TLB_SHIFT;
		p->nareas = 1;
		p->present = true;
		p->force = true;
		p->for_alloc = true;
		p->name = rmem->name;
		if (swiotlb_pool_setup(p)) {
			free(p);
			return -ENOMEM;
		}
		rmem->priv = p;
	}
	dev->restricted = p;
	return 0;
}

static void rmem_swiotlb_device_release(struct reserved_mem *rmem, struct device *dev)
{
	dev->restricted = NULL;
}

static const struct rmem_ops rmem_cma_ops = {
	rmem_cma_device_init, rmem_cma_device_release,
};
static const struct rmem_ops rmem_dma_ops = {
	rmem_dma_device_init, rmem_dma_device_release,
};
static const struct rmem_ops rmem_swiotlb_ops = {
	rmem_swiotlb_device_init, rmem_swiotlb_device_release,
};

/* ---- node_init handlers (RESERVEDMEM_OF_DECLARE) ---- */

static bool prop(struct dmapool_machine *m, struct reserved_mem *r, const char *name)
{
	return fdt_getprop(m->fdt, r->node, name, NULL) != NULL;
}

/* kernel/dma/contiguous.c rmem_cma_setup */
static int rmem_cma_setup(struct dmapool_machine *m, struct reserved_mem *r)
{
	char pa[24];
	struct cma_area *cma;
	int err;

	if (!m->prof.cma)
		return -ENOENT;
	if (m->bp.cma_set && r->cma_default) {
		klog(m, "Reserved memory: bypass %s node, using cmdline CMA params instead",
		     r->name);
		return -EBUSY;
	}
	if (!r->reusable || r->nomap)
		return -EINVAL;
	if ((r->base | r->size) & (m->prof.pageblock_size - 1)) {
		klog(m, "Reserved memory: incorrect alignment of CMA region");
		return -EINVAL;
	}
	err = cma_init_reserved_mem(m, r->base, r->size, r->name, &cma);
	if (err) {
		klog(m, "Reserved memory: unable to setup CMA region");
		return err;
	}
	if (r->cma_default)
		m->default_cma = cma;
	r->ops = &rmem_cma_ops;
	r->priv = cma;
	r->kind = RMEM_CMA;
	klog(m, "Reserved memory: created CMA memory pool at %s, size %lu MiB",
	     fmt_pa(m, r->base, pa), (unsigned long)(r->size / SZ_1M));
	return 0;
}

/* kernel/dma/coherent.c rmem_dma_setup */
static int rmem_dma_setup(struct dmapool_machine *m, struct reserved_mem *r)
{
	char pa[24];

	if (r->reusable)
		return -EINVAL;
	if (m->prof.arm32_nomap_required && !r->nomap) {
		klog(m, "Reserved memory: regions without no-map are not yet supported");
		return -EINVAL;
	}
	r->kind = RMEM_DMA_POOL;
	if (m->prof.dma_global_pool && r->dma_default) {
		if (m->global_pool_size)
			klog(m, "Reserved memory: region for default DMA coherent area is redefined");
		m->global_pool_base = r->base;
		m->global_pool_size = r->size;
		r->kind = RMEM_GLOBAL_POOL;
	}
	r->ops = &rmem_dma_ops;
	klog(m, "Reserved memory: created DMA memory pool at %s, size %lu MiB",
	     fmt_pa(m, r->base, pa), (unsigned long)(r->size / SZ_1M));
	return 0;
}

/* kernel/dma/swiotlb.c rmem_swiotlb_setup */
static int rmem_swiotlb_setup(struct dmapool_machine *m, struct reserved_mem *r)
{
	char pa[24];

	if (!m->prof.dma_restricted_pool)
		return -ENOENT;
	if (r->reusable || r->cma_default || r->dma_default || r->nomap)
		return -EINVAL;
	r->ops = &rmem_swiotlb_ops;
	r->kind = RMEM_RESTRICTED;
	klog(m, "software IO TLB: Reserved memory: created restricted DMA pool at %s, size %lu MiB",
	     fmt_pa(m, r->base, pa), (unsigned long)(r->size / SZ_1M));
	return 0;
}

struct rmem_handler {
	const char *compat;
	int (*init)(struct dmapool_machine *m, struct reserved_mem *r);
};

/* link order: contiguous.o, coherent.o, swiotlb.o */
static const struct rmem_handler rmem_table[] = {
	{ "shared-dma-pool", rmem_cma_setup },
	{ "shared-dma-pool", rmem_dma_setup },
	{ "restricted-dma-pool", rmem_swiotlb_setup },
};

static int reserved_mem_init_node(struct dmapool_machine *m, struct reserved_mem *r)
{
	int ret = -ENOENT;

	for (size_t i = 0; i < ARRAY_SIZE(rmem_table); i++) {
		if (fdt_node_check_compatible(m->fdt, r->node, rmem_table[i].compat))
			continue;
		ret = rmem_table[i].init(m, r);
		if (ret == -ENOENT)	/* handler compiled out: no match */
			continue;
		if (ret == 0) {
			klog(m, PFX "initialized node %s, compatible id %s",
			     r->name, rmem_table[i].compat);
			break;
		}
	}
	return ret;
}

static void init_saved_node(struct dmapool_machine *m, struct reserved_mem *r)
{
	char a[24], b[24];
	int err = reserved_mem_init_node(m, r);

	if (err != 0 && err != -ENOENT) {
		klog(m, PFX "node %s compatible matching fail", r->name);
		r->kind = RMEM_FAILED;
		r->ops = NULL;
		if (r->nomap)
			memblock_clear_nomap(&m->mb, r->base, r->size);
		else
			memblock_phys_free(&m->mb, r->base, r->size);
		return;
	}
	klog(m, PFX "%s..%s (%lu KiB) %s %s %s", fmt_pa(m, r->base, a),
	     fmt_pa(m, r->base + r->size - 1, b), (unsigned long)(r->size / SZ_1K),
	     r->nomap ? "nomap" : "map", r->reusable ? "reusable" : "non-reusable",
	     r->name);
}

/* fdt_reserved_mem_save_node: record, then initialise at once. */
static int save_node(struct dmapool_machine *m, int node, phys_addr_t base,
		     phys_addr_t size, bool dynamic)
{
	struct reserved_mem *r;
	const char *compat;
	char path[512];
	const fdt32_t *ph;
	int clen = 0, plen = 0;

	if (m->n_rmem >= m->prof.max_reserved_regions) {
		klog(m, PFX "not enough space for all defined regions.");
		return 0;
	}
	if (m->n_rmem == m->n_rmem_cap) {
		size_t ncap = m->n_rmem_cap ? m->n_rmem_cap * 2 : 16;
		struct reserved_mem *nr = realloc(m->rmem, ncap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		m->rmem = nr;
		m->n_rmem_cap = ncap;
	}
	r = &m->rmem[m->n_rmem];
	memset(r, 0, sizeof(*r));
	r->node = node;
	r->name = strdup(fdt_get_name(m->fdt, node, NULL));
	r->path = strdup(fdt_path(m->fdt, node, path, sizeof(path)));
	compat = fdt_getprop(m->fdt, node, "compatible", &clen);
	if (compat && clen > 0) {
		/* the first string, read within the property */
		size_t n = strnlen(compat, (size_t)clen);

		r->compatible = malloc(n + 1);
		if (r->compatible) {
			memcpy(r->compatible, compat, n);
			r->compatible[n] = 0;
		}
	} else {
		compat = NULL;
	}
	if (!r->name || !r->path || (compat && !r->compatible)) {
		free(r->name);
		free(r->path);
		free(r->compatible);
		return -ENOMEM;
	}
	/* fdt_get_phandle: one cell, else none */
	ph = fdt_getprop(m->fdt, node, "phandle", &plen);
	if (!ph || plen != 4)
		ph = fdt_getprop(m->fdt, node, "linux,phandle", &plen);
	r->phandle = ph && plen == 4 ? fdt32_to_cpu(*ph) : 0;
	r->base = base;
	r->size = size;
	r->dynamic = dynamic;
	r->nomap = prop(m, r, "no-map");
	r->reusable = prop(m, r, "reusable");
	r->cma_default = prop(m, r, "linux,cma-default");
	r->dma_default = prop(m, r, "linux,dma-default");
	m->n_rmem++;
	init_saved_node(m, r);
	return 0;
}

/* __reserved_mem_check_root */
static int check_root(struct dmapool_machine *m, int node)
{
	int len;
	const fdt32_t *p;

	p = fdt_getprop(m->fdt, node, "#size-cells", &len);
	if (!p || len != 4 || (int)fdt32_to_cpu(*p) != m->root_sc)
		return -EINVAL;
	p = fdt_getprop(m->fdt, node, "#address-cells", &len);
	if (!p || len != 4 || (int)fdt32_to_cpu(*p) != m->root_ac)
		return -EINVAL;
	if (!fdt_getprop(m->fdt, node, "ranges", NULL))
		return -EINVAL;
	return 0;
}

static uint64_t next_cells(const fdt32_t **p, int n)
{
	uint64_t v = fdt_read_cells((const uint32_t *)*p, n);

	*p += n;
	return v;
}

/* drivers/of/fdt.c early_init_dt_reserve_memory */
static int reserve_memory(struct dmapool_machine *m, phys_addr_t base,
			  phys_addr_t size, bool nomap, const char *owner)
{
	if (nomap) {
		if (memblock_overlaps_memory(&m->mb, base, size) &&
		    memblock_is_region_reserved(&m->mb, base, size))
			return -EBUSY;
		return memblock_mark_nomap(&m->mb, base, size);
	}
	return memblock_reserve(&m->mb, base, size, owner);
}

/* __reserved_mem_reserve_reg: -ENOENT when the node has no reg */
static int reserve_reg(struct dmapool_machine *m, int node, const char *uname)
{
	int t_len = (m->root_ac + m->root_sc) * 4;
	int len;
	const fdt32_t *p = fdt_getprop(m->fdt, node, "reg", &len);
	bool nomap;
	char pa[24];

	if (!p)
		return -ENOENT;
	if (len && (t_len == 0 || len % t_len)) {
		klog(m, PFX "Reserved memory: invalid reg property in '%s', skipping node.",
		     uname);
		return -EINVAL;
	}
	nomap = fdt_getprop(m->fdt, node, "no-map", NULL) != NULL;
	while (t_len && len >= t_len) {
		phys_addr_t base = next_cells(&p, m->root_ac);
		phys_addr_t size = next_cells(&p, m->root_sc);

		if (!size || base + size < base ||
		    reserve_memory(m, base, size, nomap, "reserved-memory") != 0)
			klog(m, PFX "Reserved memory: failed to reserve memory for node '%s': base %s, size %lu MiB",
			     uname, fmt_pa(m, base, pa), (unsigned long)(size / SZ_1M));
		len -= t_len;
	}
	return 0;
}

/* early_init_dt_alloc_reserved_memory_arch */
static int alloc_reserved_arch(struct dmapool_machine *m, phys_addr_t size,
			       phys_addr_t align, phys_addr_t start,
			       phys_addr_t end, bool nomap, phys_addr_t *res)
{
	phys_addr_t base;

	if (!end)
		end = PHYS_NONE;
	if (!align)
		align = m->prof.smp_cache_bytes;
	base = memblock_alloc_range(&m->mb, size, align, start, end, "reserved-memory");
	if (!base)
		return -ENOMEM;
	*res = base;
	if (nomap && memblock_mark_nomap(&m->mb, base, size)) {
		memblock_phys_free(&m->mb, base, size);
		return -ENOMEM;
	}
	return 0;
}

/* __reserved_mem_alloc_in_range: bottom-up next to an existing region */
static int alloc_in_range(struct dmapool_machine *m, phys_addr_t size,
			  phys_addr_t align, phys_addr_t start, phys_addr_t end,
			  bool nomap, phys_addr_t *res)
{
	bool prev = m->mb.bottom_up, bottom_up = false, top_down = false;
	int ret;

	for (size_t i = 0; i < m->n_rmem; i++) {
		struct reserved_mem *r = &m->rmem[i];

		if (!r->size)
			continue;
		if (start >= r->base && start <= r->base + r->size)
			bottom_up = true;
		if (end >= r->base && end <= r->base + r->size)
			top_down = true;
	}
	if (bottom_up != top_down)
		m->mb.bottom_up = bottom_up;
	ret = alloc_reserved_arch(m, size, align, start, end, nomap, res);
	m->mb.bottom_up = prev;
	return ret;
}

/* __reserved_mem_alloc_size */
static int alloc_size(struct dmapool_machine *m, int node, const char *uname)
{
	int t_len = (m->root_ac + m->root_sc) * 4;
	phys_addr_t base = 0, align = 0, size;
	const fdt32_t *p;
	int len;
	bool nomap;

	p = fdt_getprop(m->fdt, node, "size", &len);
	if (!p)
		return -EINVAL;
	if (len != m->root_sc * 4) {
		klog(m, PFX "invalid size property in '%s' node.", uname);
		return -EINVAL;
	}
	size = next_cells(&p, m->root_sc);
	p = fdt_getprop(m->fdt, node, "alignment", &len);
	if (p) {
		if (len != m->root_ac * 4) {
			klog(m, PFX "invalid alignment property in '%s' node.", uname);
			return -EINVAL;
		}
		align = next_cells(&p, m->root_ac);
	}
	nomap = fdt_getprop(m->fdt, node, "no-map", NULL) != NULL;
	if (m->prof.cma && !fdt_node_check_compatible(m->fdt, node, "shared-dma-pool") &&
	    fdt_getprop(m->fdt, node, "reusable", NULL) && !nomap &&
	    align < m->prof.pageblock_size)
		align = m->prof.pageblock_size;
	/*
	 * Not a power of two: memblock's round_down() would give unaligned
	 * bases; the next power of two is used.  Above 2^63 there is none:
	 * nothing can be placed.
	 */
	if (align & (align - 1)) {
		if (fls64_u(align) >= 64) {
			klog(m, PFX "failed to allocate memory for node '%s': size %lu MiB",
			     uname, (unsigned long)(size / SZ_1M));
			return -ENOMEM;
		}
		align = 1ULL << fls64_u(align);
	}
	p = fdt_getprop(m->fdt, node, "alloc-ranges", &len);
	if (p) {
		if (t_len == 0 || len % t_len) {
			klog(m, PFX "invalid alloc-ranges property in '%s', skipping node.", uname);
			return -EINVAL;
		}
		while (len > 0) {
			phys_addr_t start = next_cells(&p, m->root_ac);
			phys_addr_t rlen = next_cells(&p, m->root_sc);
			/*
			 * As the kernel computes it: an end that wraps to 0
			 * means "anywhere" (MEMBLOCK_ALLOC_ANYWHERE), one that
			 * wraps below start finds nothing (memblock takes
			 * end = max(start, end)).
			 */
			phys_addr_t end = start + rlen;

			base = 0;
			if (alloc_in_range(m, size, align, start, end, nomap, &base) == 0)
				break;
			base = 0;
			len -= t_len;
		}
	} else {
		if (alloc_reserved_arch(m, size, align, 0, 0, nomap, &base))
			base = 0;
	}
	if (!base) {
		klog(m, PFX "failed to allocate memory for node '%s': size %lu MiB",
		     uname, (unsigned long)(size / SZ_1M));
		return -ENOMEM;
	}
	return save_node(m, node, base, size, true);
}

static int rmem_cmp(const void *a, const void *b)
{
	const struct reserved_mem *ra = a, *rb = b;

	if (ra->base != rb->base)
		return ra->base < rb->base ? -1 : 1;
	if (ra->size != rb->size)
		return ra->size < rb->size ? -1 : 1;
	return (ra->node > rb->node) - (ra->node < rb->node);
}

/* __rmem_check_for_overlap: only neighbours after sorting are compared. */
static void check_for_overlap(struct dmapool_machine *m)
{
	char a[24], b[24], c[24], d[24];

	if (m->n_rmem < 2)
		return;
	qsort(m->rmem, m->n_rmem, sizeof(*m->rmem), rmem_cmp);
	for (size_t i = 0; i + 1 < m->n_rmem; i++) {
		struct reserved_mem *t = &m->rmem[i], *n = &m->rmem[i + 1];

		if (t->base + t->size > n->base)
			klog(m, PFX "OVERLAP DETECTED!\n%s (%s--%s) overlaps with %s (%s--%s)",
			     t->name, fmt_pa(m, t->base, a), fmt_pa(m, t->base + t->size, b),
			     n->name, fmt_pa(m, n->base, c), fmt_pa(m, n->base + n->size, d));
	}
}

int of_reserved_mem_scan(struct dmapool_machine *m)
{
	int node = fdt_path_offset(m->fdt, "/reserved-memory");
	int child, err;
	int *dyn = NULL;
	size_t ndyn = 0, capdyn = 0;

	if (node < 0) {
		klog(m, PFX "Reserved memory: No reserved-memory node in the DT");
		return 0;
	}
	if (check_root(m, node)) {
		/* printed by both scans, as the real kernel does */
		klog(m, PFX "Reserved memory: unsupported node format, ignoring");
		klog(m, PFX "Reserved memory: unsupported node format, ignoring");
		return 0;
	}
	/* fdt_scan_reserved_mem */
	fdt_for_each_subnode(child, m->fdt, node) {
		const char *uname;

		if (!fdt_node_is_available(m->fdt, child))
			continue;
		uname = fdt_get_name(m->fdt, child, NULL);
		err = reserve_reg(m, child, uname);
		if (err == -ENOENT && fdt_getprop(m->fdt, child, "size", NULL)) {
			if (ndyn >= m->prof.max_reserved_regions) {
				klog(m, PFX "not enough space for all defined regions.");
				continue;
			}
			if (ndyn == capdyn) {
				size_t nc = capdyn ? capdyn * 2 : 8;
				int *nd = realloc(dyn, nc * sizeof(*nd));

				if (!nd) {
					free(dyn);
					return -ENOMEM;
				}
				dyn = nd;
				capdyn = nc;
			}
			dyn[ndyn++] = child;
		}
	}
	for (size_t i = 0; i < ndyn; i++) {
		err = alloc_size(m, dyn[i], fdt_get_name(m->fdt, dyn[i], NULL));
		if (err == -ENOMEM && m->n_rmem == 0 && !m->rmem) {
			/* host allocation failure, not a placement failure */
		}
	}
	free(dyn);

	/* fdt_scan_reserved_mem_reg_nodes */
	fdt_for_each_subnode(child, m->fdt, node) {
		int t_len = (m->root_ac + m->root_sc) * 4;
		const fdt32_t *p;
		int len;
		const char *uname;
		phys_addr_t base, size;

		p = fdt_getprop(m->fdt, child, "reg", &len);
		if (!p || !fdt_node_is_available(m->fdt, child))
			continue;
		uname = fdt_get_name(m->fdt, child, NULL);
		if (len && (t_len == 0 || len % t_len)) {
			klog(m, PFX "Reserved memory: invalid reg property in '%s', skipping node.",
			     uname);
			continue;
		}
		if (len < t_len)
			continue;
		if (len > t_len)
			klog(m, PFX "fdt_scan_reserved_mem_reg_nodes() ignores %d regions in node '%s'",
			     len / t_len - 1, uname);
		base = next_cells(&p, m->root_ac);
		size = next_cells(&p, m->root_sc);
		if (size && base + size > base) {
			err = save_node(m, child, base, size, false);
			if (err)
				return err;
		}
	}
	check_for_overlap(m);
	return 0;
}

struct reserved_mem *rmem_find_by_node(struct dmapool_machine *m, int node)
{
	const char *name;

	if (node < 0)
		return NULL;
	/* the kernel looks regions up by node name, not by phandle */
	name = fdt_get_name(m->fdt, node, NULL);
	if (!name)
		return NULL;
	for (size_t i = 0; i < m->n_rmem; i++)
		if (m->rmem[i].name && !strcmp(m->rmem[i].name, name))
			return &m->rmem[i];
	return NULL;
}

const char *rmem_kind_name(const struct dmapool_machine *m,
			   const struct reserved_mem *r)
{
	switch (r->kind) {
	case RMEM_DMA_POOL:	return "dma-pool";
	case RMEM_GLOBAL_POOL:	return "global-pool";
	case RMEM_CMA:
		return r->priv && r->priv == m->default_cma ? "default-cma" : "cma";
	case RMEM_RESTRICTED:	return "restricted";
	case RMEM_FAILED:	return "failed";
	case RMEM_PLAIN:
	default:		return "plain";
	}
}

void rmem_free_all(struct dmapool_machine *m)
{
	for (size_t i = 0; i < m->n_rmem; i++) {
		struct reserved_mem *r = &m->rmem[i];

		if (r->kind == RMEM_RESTRICTED && r->priv) {
			swiotlb_pool_teardown(r->priv);
			free(r->priv);
		}
		free(r->name);
		free(r->path);
		free(r->compatible);
	}
	free(m->rmem);
	m->rmem = NULL;
	m->n_rmem = m->n_rmem_cap = 0;
}


/* ---- kernel API (include/linux-compat/linux/of_reserved_mem.h) ---- */

/* The memory-region phandle #idx of an arbitrary node, as of_parse_phandle. */
static int parse_memory_region(struct dmapool_machine *m, int node, int idx)
{
	int len;
	const fdt32_t *p = fdt_getprop(m->fdt, node, "memory-region", &len);

	if (!p || idx < 0 || (size_t)idx >= (size_t)len / 4)
		return -1;
	return fdt_node_offset_by_phandle(m->fdt, fdt32_to_cpu(p[idx]));
}

DMAPOOL_API int of_reserved_mem_device_init_by_idx(struct device *dev,
						   struct device_node *np, int idx)
{
	struct dmapool_machine *m;
	struct reserved_mem *r;
	int target, ret;

	if (!dev || !np || np->m != dev->m)
		return -EINVAL;
	m = dev->m;
	target = parse_memory_region(m, np->offset, idx);
	if (target < 0)
		return -ENODEV;
	if (!fdt_node_is_available(m->fdt, target))
		return 0;
	r = rmem_find_by_node(m, target);
	if (!r || !r->ops || !r->ops->device_init)
		return -EINVAL;
	if (dev->n_assigned >= ARRAY_SIZE(dev->assigned))
		return -ENOMEM;
	ret = r->ops->device_init(r, dev);
	if (ret == 0) {
		dev->assigned[dev->n_assigned++] = r;
		dev_klog(dev, "assigned reserved memory node %s", r->name);
	}
	return ret;
}

DMAPOOL_API int of_reserved_mem_device_init_by_name(struct device *dev,
						    struct device_node *np,
						    const char *name)
{
	int idx;

	if (!dev || !np || !name || np->m != dev->m)
		return -EINVAL;
	idx = fdt_stringlist_search(dev->m->fdt, np->offset, "memory-region-names", name);
	if (idx < 0)
		return -ENODEV;
	return of_reserved_mem_device_init_by_idx(dev, np, idx);
}

DMAPOOL_API void of_reserved_mem_device_release(struct device *dev)
{
	if (!dev)
		return;
	for (size_t i = dev->n_assigned; i-- > 0;) {
		struct reserved_mem *r = dev->assigned[i];

		if (r->ops && r->ops->device_release)
			r->ops->device_release(r, dev);
	}
	dev->n_assigned = 0;
}

DMAPOOL_API struct device_node *dev_of_node(struct device *dev)
{
	return dev ? &dev->of_node : NULL;
}
