/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The machine as one JSON document: the facts of "dmapool inspect"
 * (tools/dmapool.c), field by field as docs/cli.md describes them.
 *
 * A small string builder collects the text; the first allocation failure
 * makes every later write a no-op and the result NULL, so the callers do
 * not check each step.  A small writer on top keeps the separators and
 * the indentation (two spaces per level).
 *
 * Conventions of the document: addresses and masks are strings "0x..."
 * (lower-case hex, no padding), sizes and counts are numbers, every "end"
 * is exclusive.  Strings are escaped as RFC 8259 asks; bytes that are not
 * well-formed UTF-8 (a device tree may hold any byte) become U+FFFD.
 */
#include <libfdt.h>

#include "jsonw.h"

/* ------------------------------------------------------------------ */
/* The document */

static void put_ram(struct jw *w, const struct dmapool_machine *m)
{
	/* the banks physmem built: contiguous memory regions, nomap or not */
	jw_key(w, "ram");
	jw_arr(w);
	for (size_t i = 0; i < m->pm.nbanks; i++) {
		jw_obj(w);
		kv_hex(w, "base", m->pm.banks[i].base);
		kv_u64(w, "size", m->pm.banks[i].size);
		jw_eobj(w);
	}
	jw_earr(w);
}

static void put_zones(struct jw *w, const struct dmapool_machine *m)
{
	unsigned ps = m->prof.page_shift;

	jw_key(w, "zones");
	jw_arr(w);
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		const struct zone_info *zi = &m->zones[z];
		if (!zone_configured(&m->prof, z))
			continue;
		jw_obj(w);
		kv_str(w, "name", zone_names[z]);
		if (zi->end_pfn > zi->start_pfn) {
			kv_hex(w, "start", zi->start_pfn << ps);
			kv_hex(w, "end", zi->end_pfn << ps);
			kv_bool(w, "empty", false);
		} else {
			jw_key(w, "start");
			jw_null(w);
			jw_key(w, "end");
			jw_null(w);
			kv_bool(w, "empty", true);
		}
		jw_eobj(w);
	}
	jw_earr(w);
}

static void put_regions(struct jw *w, const struct dmapool_machine *m)
{
	jw_key(w, "regions");
	jw_arr(w);
	for (size_t i = 0; i < m->n_rmem; i++) {
		const struct reserved_mem *r = &m->rmem[i];

		jw_obj(w);
		kv_str(w, "name", r->name);
		kv_str(w, "path", r->path);
		kv_hex(w, "base", r->base);
		kv_u64(w, "size", r->size);
		kv_str(w, "kind", rmem_kind_name(m, r));
		kv_str(w, "map", r->nomap ? "nomap" : "map");
		kv_bool(w, "reusable", r->reusable);
		kv_bool(w, "dynamic", r->dynamic);
		jw_eobj(w);
	}
	jw_earr(w);
}

static void put_pools(struct jw *w, const struct dmapool_machine *m)
{
	const struct io_tlb_pool *t = &m->swiotlb;

	jw_key(w, "cma_areas");
	jw_arr(w);
	for (size_t i = 0; i < m->n_cma; i++) {
		const struct cma_area *c = m->cma[i];

		jw_obj(w);
		kv_str(w, "name", c->name);
		kv_hex(w, "base", c->base);
		kv_u64(w, "size", c->count << m->prof.page_shift);
		kv_bool(w, "default", c == m->default_cma);
		kv_bool(w, "usable", c->activated && !c->failed);
		jw_eobj(w);
	}
	jw_earr(w);

	jw_key(w, "atomic_pools");
	jw_arr(w);
	for (size_t i = 0; i < ARRAY_SIZE(m->atomic); i++) {
		const struct atomic_pool *p = &m->atomic[i];

		if (!p->present)
			continue;
		jw_obj(w);
		kv_str(w, "gfp", p->gfp_name);
		kv_u64(w, "size", gen_pool_size_sim(p->gp));
		jw_eobj(w);
	}
	jw_earr(w);

	jw_key(w, "swiotlb");
	if (!t->present) {
		jw_null(w);
		return;
	}
	jw_obj(w);
	kv_hex(w, "start", t->start);
	kv_hex(w, "end", t->end);
	kv_u64(w, "size", t->end - t->start);
	kv_u64(w, "slots", t->nslabs);
	jw_eobj(w);
}

static void put_device(struct jw *w, const struct dmapool_machine *m,
		       const struct device *d)
{
	char path[512];

	jw_obj(w);
	kv_str(w, "name", d->name);
	kv_str(w, "path", d->path);
	kv_bool(w, "coherent", d->coherent);
	jw_key(w, "dma_mask");
	if (d->dma_mask)
		jw_hex(w, *d->dma_mask);
	else
		jw_null(w);
	kv_hex(w, "coherent_dma_mask", d->coherent_dma_mask);
	kv_hex(w, "bus_dma_limit", d->bus_dma_limit);

	jw_key(w, "dma_ranges");
	jw_arr(w);
	for (size_t i = 0; d->dma_range_map && i < d->n_ranges; i++) {
		const struct bus_dma_region *r = &d->dma_range_map[i];

		jw_obj(w);
		kv_hex(w, "cpu", r->cpu_start);
		kv_hex(w, "dma", r->dma_start);
		kv_u64(w, "size", r->size);
		jw_eobj(w);
	}
	jw_earr(w);

	jw_key(w, "memory_regions");
	jw_arr(w);
	for (size_t i = 0; i < d->n_mr; i++) {
		jw_obj(w);
		kv_u64(w, "index", i);
		kv_str(w, "name", i < d->n_mr_names ? d->mr_names[i] : NULL);
		kv_str(w, "target", fdt_path_or_null(m->fdt, d->mr_nodes[i], path, sizeof(path)));
		jw_eobj(w);
	}
	jw_earr(w);

	jw_key(w, "iommu");
	if (d->iommu_node < 0) {
		jw_null(w);
	} else {
		jw_obj(w);
		kv_str(w, "node", fdt_path_or_null(m->fdt, d->iommu_node, path, sizeof(path)));
		jw_key(w, "args");
		jw_arr(w);
		for (int i = 0; i < d->iommu_nargs; i++)
			jw_u64(w, d->iommu_args[i]);
		jw_earr(w);
		jw_key(w, "group");
		if (d->iommu_group)
			jw_u64(w, (uint64_t)d->iommu_group->id);
		else
			jw_null(w);
		kv_str(w, "domain", iommu_domain_mode(d));
		jw_eobj(w);
	}
	jw_eobj(w);
}

static void put_iommus(struct jw *w, struct dmapool_machine *m)
{
	char path[256];

	jw_key(w, "iommus");
	jw_arr(w);
	for (size_t i = 0; i < iommu_count(m); i++) {
		struct iommu_info in;

		if (iommu_get_info(m, i, &in))
			continue;
		jw_obj(w);
		kv_str(w, "name", in.name);
		kv_str(w, "node", fdt_path_or_null(m->fdt, in.node, path, sizeof(path)));
		kv_str(w, "model", in.smmuv3 ? "smmu-v3" : "generic");
		kv_u64(w, "sid_bits", in.sid_bits);
		kv_u64(w, "input_bits", in.ias);
		kv_hex(w, "granule", in.granule);
		kv_hex(w, "page_sizes", in.pgsize_bitmap);
		kv_u64(w, "streams", in.n_streams);
		kv_u64(w, "groups", in.n_groups);
		jw_key(w, "cmdq");
		if (in.cmdq != PHYS_NONE)
			jw_hex(w, in.cmdq);
		else
			jw_null(w);
		jw_key(w, "evtq");
		if (in.evtq != PHYS_NONE)
			jw_hex(w, in.evtq);
		else
			jw_null(w);
		kv_u64(w, "l2_stream_tables", in.n_l2);
		jw_eobj(w);
	}
	jw_earr(w);
}

DMAPOOL_API char *dmapool_machine_json(struct dmapool_machine *m)
{
	struct jw w;

	if (!m)
		return NULL;
	memset(&w, 0, sizeof(w));

	jw_obj(&w);
	kv_str(&w, "arch", m->prof.arch);
	kv_str(&w, "bootargs", m->bootargs);
	put_ram(&w, m);

	jw_key(&w, "kernel");
	if (m->kernel_end > m->kernel_start) {
		jw_obj(&w);
		kv_hex(&w, "base", m->kernel_start);
		kv_u64(&w, "size", m->kernel_end - m->kernel_start);
		jw_eobj(&w);
	} else {
		jw_null(&w);
	}

	put_zones(&w, m);
	put_regions(&w, m);
	put_pools(&w, m);
	put_iommus(&w, m);

	jw_key(&w, "devices");
	jw_arr(&w);
	for (size_t i = 0; i < m->n_devs; i++)
		put_device(&w, m, m->devs[i]);
	jw_earr(&w);

	jw_key(&w, "log");
	jw_arr(&w);
	pthread_mutex_lock(&m->log.lock);
	for (size_t i = 0; i < m->log.n; i++)
		jw_str(&w, m->log.lines[i]);
	pthread_mutex_unlock(&m->log.lock);
	jw_earr(&w);
	jw_eobj(&w);
	return heap_release(jw_finish(&w));	/* the caller frees it */
}
