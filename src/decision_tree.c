/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The decision trees as data: the structure of kernel/dma/mapping.c,
 * kernel/dma/direct.c, kernel/dma/coherent.c, kernel/dma/contiguous.c,
 * kernel/dma/pool.c, kernel/dma/swiotlb.c, arch/arm/mm/dma-mapping.c and
 * drivers/iommu/dma-iommu.c, as a graph of the stages the decision trace
 * records (decision.c).
 *
 * One table per API call: dma_alloc_attrs(), dma_free_attrs() and the
 * streaming map (dma_map_single_attrs() / dma_map_page_attrs()).  Each
 * stage carries the trace's stage name and the kernel functions its steps
 * name, the kernel function and file it models, the file here, one line
 * of description, and its edges, labelled with the condition that leads
 * there.  The leaves are the backends.  dmapool_decision_walk() lays a
 * recorded decision on the graph: every step must follow an edge from the
 * stage before it, and the backend must be a leaf of a visited stage.
 * "dmapool explain --dot" draws the path from it and docs/decision-tree.md
 * is generated from it; tests/test_decision_tree.c proves that the code's
 * traces follow it.
 *
 * Left out: the other calls' traces (unmap, sync, map_sg, map_resource,
 * dma_alloc_pages), whose stages docs/streaming.md and docs/iommu.md
 * describe in prose.
 */
#define DMAPOOL_FAULT_EXEMPT	/* constant tables, no allocation */
#include "internal.h"

#define E(to, label)	{ to, label }

/* Steps that can follow any stage: they are not part of the tree. */
#define TRACK_STAGE(track_func)						\
	{ "track", DMAPOOL_STAGE_ANY, "track", track_func, track_func,	\
	  "kernel/dma/debug.c", "src/mapping.c",			\
	  "the DMA-API debug tracking had no memory for the entry: the call is undone and fails", \
	  { { NULL, NULL } } }
#define TRACE_STAGE							\
	{ "trace", DMAPOOL_STAGE_ANY, "trace", "-", "-", "-", "src/decision.c", \
	  "the record is full (DMAPOOL_DECISION_MAX_STEPS): later steps are dropped", \
	  { { NULL, NULL } } }

#define BACKEND(name, what)						\
	{ "backend:" name, DMAPOOL_STAGE_BACKEND, name, NULL, NULL, NULL, NULL, \
	  what, { { NULL, NULL } } }

/* ---- dma_alloc_attrs() ---- */

static const struct dmapool_stage alloc_tree[] = {
	{ "dma_alloc_attrs", DMAPOOL_STAGE_ENTRY, NULL, NULL, "dma_alloc_attrs",
	  "kernel/dma/mapping.c", "src/mapping.c",
	  "dma_alloc_coherent(), dma_alloc_wc() and dma_alloc_attrs() start here",
	  { E("mask", "coherent_dma_mask == 0"), E("gfp", "gfp has __GFP_COMP"),
	    E("fault", "a failure is armed"), E("dev-coherent", "") } },
	{ "mask", DMAPOOL_STAGE_STEP, "mask", "dma_alloc_attrs", "dma_alloc_attrs",
	  "kernel/dma/mapping.c", "src/mapping.c",
	  "coherent_dma_mask is 0: WARN_ON_ONCE, the call goes on",
	  { E("gfp", "gfp has __GFP_COMP"), E("fault", "a failure is armed"),
	    E("dev-coherent", "") } },
	{ "gfp", DMAPOOL_STAGE_STEP, "gfp", "dma_alloc_attrs", "dma_alloc_attrs",
	  "kernel/dma/mapping.c", "src/mapping.c",
	  "__GFP_COMP is not allowed: WARN_ON_ONCE, refused",
	  { E("backend:none", "refused") } },
	{ "fault", DMAPOOL_STAGE_STEP, "fault", "dmapool_fail_next_alloc",
	  "dmapool_fail_next_alloc", "-", "src/fault.c",
	  "a failure armed with dmapool_fail_next_alloc() (libdmapool only)",
	  { E("backend:none", "forced failure") } },
	{ "dev-coherent", DMAPOOL_STAGE_STEP, "dev-coherent", "dma_alloc_from_dev_coherent",
	  "dma_alloc_from_dev_coherent", "kernel/dma/coherent.c", "src/coherent.c",
	  "does the device have a per-device coherent pool (dev->dma_mem)?",
	  { E("dev-coherent-pool", "yes: dev->dma_mem"),
	    E("iommu", "no: strip GFP_DMA, GFP_DMA32, __GFP_HIGHMEM") } },
	{ "dev-coherent-pool", DMAPOOL_STAGE_STEP, "dev-coherent", "__dma_alloc_from_coherent",
	  "__dma_alloc_from_coherent", "kernel/dma/coherent.c", "src/coherent.c",
	  "bitmap_find_free_region(): 2^get_order(size) pages aligned from the pool start, size bytes zeroed; no fallback",
	  { E("backend:dev-coherent", "found"),
	    E("backend:none", "full or too big: no fallback") } },
	{ "iommu", DMAPOOL_STAGE_STEP, "iommu", "use_dma_iommu", "use_dma_iommu",
	  "kernel/dma/mapping.c", "src/mapping.c",
	  "is the device in a translating IOMMU domain? no: dma_direct_alloc()",
	  { E("iommu-path", "yes: iommu_dma_alloc()"), E("backend:none", "yes, size 0"),
	    E("no-kernel-mapping", "no, DMA_ATTR_NO_KERNEL_MAPPING"),
	    E("arch", "no, non-coherent, CONFIG_ARCH_HAS_DMA_ALLOC"),
	    E("global-coherent", "no, non-coherent, CONFIG_DMA_GLOBAL_POOL"),
	    E("direct", "no, non-coherent, no remap"),
	    E("remap", "no, non-coherent, CONFIG_DMA_DIRECT_REMAP"),
	    E("coherent", "no, coherent device") } },
	{ "no-kernel-mapping", DMAPOOL_STAGE_STEP, "no-kernel-mapping",
	  "dma_direct_alloc_no_mapping", "dma_direct_alloc_no_mapping",
	  "kernel/dma/direct.c", "src/direct.c",
	  "DMA_ATTR_NO_KERNEL_MAPPING: pages only (CMA or buddy), no CPU mapping, not zeroed; the cookie is the struct page",
	  { E("zone", "") } },
	{ "arch", DMAPOOL_STAGE_STEP, "arch", "dma_direct_alloc", "arch_dma_alloc",
	  "arch/arm/mm/dma-mapping.c", "src/arm_dma.c",
	  "non-coherent device and CONFIG_ARCH_HAS_DMA_ALLOC (profile arm): the 32-bit ARM allocator",
	  { E("arch-cma", "blocking and a CMA area"), E("arch-remap", "blocking, no CMA area"),
	    E("arch-pool", "cannot block"), E("backend:none", "no allocator state") } },
	{ "arch-cma", DMAPOOL_STAGE_STEP, "arch", "__alloc_from_contiguous",
	  "__alloc_from_contiguous", "arch/arm/mm/dma-mapping.c", "src/arm_dma.c",
	  "CMA pages (the device's area, else the default one), remapped",
	  { E("backend:dev-cma", "the device's area"),
	    E("backend:default-cma", "the default area"),
	    E("backend:none", "CMA full or remap failed") } },
	{ "arch-remap", DMAPOOL_STAGE_STEP, "arch", "__alloc_remap_buffer",
	  "__alloc_remap_buffer", "arch/arm/mm/dma-mapping.c", "src/arm_dma.c",
	  "buddy pages (GFP_DMA below a 32-bit mask), remapped",
	  { E("backend:buddy-dma", "ZONE_DMA"), E("backend:buddy-dma32", "ZONE_DMA32"),
	    E("backend:buddy-normal", "ZONE_NORMAL"), E("backend:none", "no pages") } },
	{ "arch-pool", DMAPOOL_STAGE_STEP, "arch", "__alloc_from_pool",
	  "__alloc_from_pool", "arch/arm/mm/dma-mapping.c", "src/arm_dma.c",
	  "the call cannot block: the ARM atomic pool, first fit aligned to the request's order",
	  { E("backend:arch", "found"), E("backend:none", "no pool, or full") } },
	{ "global-coherent", DMAPOOL_STAGE_STEP, "global-coherent", "dma_direct_alloc",
	  "dma_alloc_from_global_coherent", "kernel/dma/coherent.c", "src/coherent.c",
	  "non-coherent device and CONFIG_DMA_GLOBAL_POOL (profile arm-nommu): the linux,dma-default pool, no fallback",
	  { E("global-coherent-pool", "") } },
	{ "global-coherent-pool", DMAPOOL_STAGE_STEP, "global-coherent",
	  "dma_alloc_from_global_coherent __dma_alloc_from_coherent",
	  "__dma_alloc_from_coherent", "kernel/dma/coherent.c", "src/coherent.c",
	  "bitmap_find_free_region() in the global pool",
	  { E("backend:global-coherent", "found"),
	    E("backend:none", "no pool, full or too big") } },
	{ "direct", DMAPOOL_STAGE_STEP, "direct", "dma_direct_alloc", "dma_direct_alloc",
	  "kernel/dma/direct.c", "src/direct.c",
	  "non-coherent device without DMA_DIRECT_REMAP or a global pool: \"coherent DMA allocations not supported on this platform.\"",
	  { E("backend:none", "refused") } },
	{ "remap", DMAPOOL_STAGE_STEP, "remap", "dma_direct_alloc", "dma_direct_alloc",
	  "kernel/dma/direct.c", "src/direct.c",
	  "non-coherent device and CONFIG_DMA_DIRECT_REMAP: the CPU gets a non-cacheable mapping",
	  { E("atomic", "") } },
	{ "coherent", DMAPOOL_STAGE_STEP, "coherent", "dev_is_dma_coherent",
	  "dev_is_dma_coherent", "include/linux/dma-map-ops.h", "src/direct.c",
	  "the device snoops the CPU caches: the cacheable linear address is used",
	  { E("restricted-swiotlb", "restricted-dma-pool"), E("zone", "") } },
	{ "atomic", DMAPOOL_STAGE_STEP, "atomic", "dma_direct_use_pool", "dma_direct_use_pool",
	  "kernel/dma/direct.c", "src/direct.c",
	  "can the call block? If not it cannot vmap: the atomic pools (dma_guess_pool by zone)",
	  { E("atomic-dma32", "cannot block, GFP_DMA32 reach"),
	    E("atomic-dma", "cannot block, GFP_DMA reach"),
	    E("atomic-kernel", "cannot block"),
	    E("atomic-fail", "cannot block, no pool"),
	    E("restricted-swiotlb", "restricted-dma-pool"),
	    E("zone", "may block") } },
	{ "atomic-kernel", DMAPOOL_STAGE_STEP, "atomic-kernel",
	  "dma_alloc_from_pool dma_coherent_ok", "dma_alloc_from_pool",
	  "kernel/dma/pool.c", "src/pool.c",
	  "the GFP_KERNEL atomic pool: first fit aligned to the request's power-of-two size; a chunk beyond reach is given back",
	  { E("backend:atomic-kernel", "found"),
	    E("atomic-dma32", "full or beyond reach"),
	    E("atomic-dma", "full or beyond reach, no DMA32 pool"),
	    E("atomic-fail", "full or beyond reach, no other pool") } },
	{ "atomic-dma32", DMAPOOL_STAGE_STEP, "atomic-dma32",
	  "dma_alloc_from_pool dma_coherent_ok", "dma_alloc_from_pool",
	  "kernel/dma/pool.c", "src/pool.c",
	  "the GFP_DMA32 atomic pool",
	  { E("backend:atomic-dma32", "found"), E("atomic-dma", "full or beyond reach"),
	    E("atomic-fail", "full or beyond reach, no DMA pool") } },
	{ "atomic-dma", DMAPOOL_STAGE_STEP, "atomic-dma",
	  "dma_alloc_from_pool dma_coherent_ok", "dma_alloc_from_pool",
	  "kernel/dma/pool.c", "src/pool.c",
	  "the GFP_DMA atomic pool, the last of the chain",
	  { E("backend:atomic-dma", "found"), E("atomic-fail", "full or beyond reach") } },
	{ "atomic-fail", DMAPOOL_STAGE_STEP, "atomic", "dma_alloc_from_pool",
	  "dma_alloc_from_pool", "kernel/dma/pool.c", "src/pool.c",
	  "no pool of the fallback chain could serve: \"DMA pool exhausted for DEV\" and a WARNING",
	  { E("backend:none", "failed") } },
	{ "restricted-swiotlb", DMAPOOL_STAGE_STEP, "restricted-swiotlb",
	  "__dma_direct_alloc_pages", "__dma_direct_alloc_pages",
	  "kernel/dma/direct.c", "src/direct.c",
	  "the device is attached to a restricted-dma-pool (is_swiotlb_for_alloc): swiotlb_alloc()",
	  { E("restricted-swiotlb-pool", "") } },
	{ "restricted-swiotlb-pool", DMAPOOL_STAGE_STEP, "restricted-swiotlb",
	  "swiotlb_alloc dma_coherent_ok", "swiotlb_alloc", "kernel/dma/swiotlb.c",
	  "src/swiotlb.c",
	  "slots of the restricted pool; memory beyond the coherent mask is given back",
	  { E("restricted-swiotlb-pool", "then the reach check"),
	    E("backend:restricted-swiotlb", "found"),
	    E("remap-pages", "found, non-coherent device"),
	    E("backend:none", "full, or beyond reach") } },
	{ "zone", DMAPOOL_STAGE_STEP, "zone", "dma_direct_optimal_gfp_mask",
	  "dma_direct_optimal_gfp_mask", "kernel/dma/direct.c", "src/direct.c",
	  "the reach min_not_zero(coherent_dma_mask, bus_dma_limit) picks GFP_DMA, GFP_DMA32 or no zone modifier",
	  { E("cma", "CONFIG_DMA_CMA off, or cannot block"),
	    E("dev-cma", "dma_alloc_contiguous()") } },
	{ "cma", DMAPOOL_STAGE_STEP, "cma", "dma_alloc_contiguous", "dma_alloc_contiguous",
	  "kernel/dma/contiguous.c", "src/contiguous.c",
	  "CMA is skipped: CONFIG_DMA_CMA is off, or the call cannot block",
	  { E("buddy", "") } },
	{ "dev-cma", DMAPOOL_STAGE_STEP, "dev-cma", "dma_alloc_contiguous cma_alloc",
	  "dma_alloc_contiguous, cma_alloc", "kernel/dma/contiguous.c, mm/cma.c",
	  "src/contiguous.c, src/bitmap.c",
	  "the device's own CMA area (dev->cma_area): any size, aligned to 2^min(get_order, CONFIG_CMA_ALIGNMENT) pages, first fit",
	  { E("backend:dev-cma", "found"), E("default-cma", "no area of its own"),
	    E("cma-reach", "found, beyond reach"), E("remap-pages", "found, non-coherent device"),
	    E("buddy", "area full") } },
	{ "default-cma", DMAPOOL_STAGE_STEP, "default-cma", "dma_alloc_contiguous cma_alloc",
	  "dma_alloc_contiguous, cma_alloc", "kernel/dma/contiguous.c, mm/cma.c",
	  "src/contiguous.c, src/bitmap.c",
	  "the default CMA area, for more than one page",
	  { E("backend:default-cma", "found"), E("cma-reach", "found, beyond reach"),
	    E("remap-pages", "found, non-coherent device"),
	    E("buddy", "one page or less, no area, or full") } },
	{ "cma-reach", DMAPOOL_STAGE_STEP, "cma", "dma_coherent_ok", "dma_coherent_ok",
	  "kernel/dma/direct.c", "src/direct.c",
	  "the CMA pages lie beyond the device's reach: released",
	  { E("buddy", "") } },
	{ "buddy", DMAPOOL_STAGE_STEP, "buddy",
	  "alloc_pages_node dma_coherent_ok __dma_direct_alloc_pages",
	  "__dma_direct_alloc_pages, alloc_pages_node", "kernel/dma/direct.c, mm/page_alloc.c",
	  "src/direct.c, src/page_alloc.c",
	  "alloc_pages(get_order(size)) in the zone; pages beyond reach are freed and the call retried with GFP_DMA32, then GFP_DMA",
	  { E("buddy", "beyond reach: retry lower"),
	    E("backend:buddy-dma", "ZONE_DMA"), E("backend:buddy-dma32", "ZONE_DMA32"),
	    E("backend:buddy-normal", "ZONE_NORMAL"),
	    E("remap-pages", "found, non-coherent device"),
	    E("backend:none", "no pages, no lower zone") } },
	{ "remap-pages", DMAPOOL_STAGE_STEP, "remap", "dma_common_contiguous_remap",
	  "dma_common_contiguous_remap", "kernel/dma/remap.c", "src/direct.c",
	  "clean the linear alias (arch_dma_prep_coherent), map the pages again with dma_pgprot(): WC on arm64, UC on riscv",
	  { E("backend:none", "vmap failed") } },
	/* dma-iommu */
	{ "iommu-path", DMAPOOL_STAGE_STEP, "path", "iommu_dma_alloc", "iommu_dma_alloc",
	  "drivers/iommu/dma-iommu.c", "src/iommu.c",
	  "which allocator: remapped pages, the atomic pool, or contiguous memory",
	  { E("iommu-pages", "blocking, not FORCE_CONTIGUOUS"),
	    E("iommu-atomic-dma32", "cannot block, non-coherent, GFP_DMA32"),
	    E("iommu-atomic-dma", "cannot block, non-coherent, GFP_DMA"),
	    E("iommu-atomic-kernel", "cannot block, non-coherent"),
	    E("iommu-atomic-fail", "cannot block, non-coherent, no pool"),
	    E("iommu-cma", "contiguous, CMA skipped"),
	    E("iommu-dev-cma", "FORCE_CONTIGUOUS, or cannot block and coherent") } },
	{ "iommu-pages", DMAPOOL_STAGE_STEP, "pages", "__iommu_dma_alloc_pages",
	  "__iommu_dma_alloc_pages", "drivers/iommu/dma-iommu.c", "src/iommu.c",
	  "page chunks of the largest orders the IOMMU page sizes allow; not contiguous",
	  { E("iommu-iova", "found"), E("backend:none", "no memory") } },
	{ "iommu-atomic-kernel", DMAPOOL_STAGE_STEP, "atomic-kernel", "dma_alloc_from_pool",
	  "dma_alloc_from_pool", "kernel/dma/pool.c", "src/pool.c",
	  "the GFP_KERNEL atomic pool (no reach check: the IOMMU maps it)",
	  { E("iommu-iova", "found"), E("iommu-atomic-dma32", "full"),
	    E("iommu-atomic-dma", "full, no DMA32 pool"),
	    E("iommu-atomic-fail", "full, no other pool") } },
	{ "iommu-atomic-dma32", DMAPOOL_STAGE_STEP, "atomic-dma32", "dma_alloc_from_pool",
	  "dma_alloc_from_pool", "kernel/dma/pool.c", "src/pool.c",
	  "the GFP_DMA32 atomic pool",
	  { E("iommu-iova", "found"), E("iommu-atomic-dma", "full"),
	    E("iommu-atomic-fail", "full, no DMA pool") } },
	{ "iommu-atomic-dma", DMAPOOL_STAGE_STEP, "atomic-dma", "dma_alloc_from_pool",
	  "dma_alloc_from_pool", "kernel/dma/pool.c", "src/pool.c",
	  "the GFP_DMA atomic pool",
	  { E("iommu-iova", "found"), E("iommu-atomic-fail", "full") } },
	{ "iommu-atomic-fail", DMAPOOL_STAGE_STEP, "atomic", "dma_alloc_from_pool",
	  "dma_alloc_from_pool", "kernel/dma/pool.c", "src/pool.c",
	  "no atomic pool could serve",
	  { E("backend:none", "failed") } },
	{ "iommu-cma", DMAPOOL_STAGE_STEP, "cma", "dma_alloc_contiguous",
	  "dma_alloc_contiguous", "kernel/dma/contiguous.c", "src/contiguous.c",
	  "CMA is skipped (off, or the call cannot block): the page allocator",
	  { E("iommu-iova", "pages found"), E("iommu-alloc-pages", "no pages") } },
	{ "iommu-dev-cma", DMAPOOL_STAGE_STEP, "dev-cma", "dma_alloc_contiguous cma_alloc",
	  "dma_alloc_contiguous, cma_alloc", "kernel/dma/contiguous.c, mm/cma.c",
	  "src/contiguous.c",
	  "the device's own CMA area, else the default one, else the page allocator",
	  { E("iommu-iova", "found (CMA or pages)"), E("iommu-default-cma", "no area of its own"),
	    E("iommu-alloc-pages", "area full, no pages") } },
	{ "iommu-default-cma", DMAPOOL_STAGE_STEP, "default-cma",
	  "dma_alloc_contiguous cma_alloc", "dma_alloc_contiguous, cma_alloc",
	  "kernel/dma/contiguous.c, mm/cma.c", "src/contiguous.c",
	  "the default CMA area, for more than one page; else the page allocator",
	  { E("iommu-iova", "found (CMA or pages)"), E("iommu-alloc-pages", "no pages") } },
	{ "iommu-alloc-pages", DMAPOOL_STAGE_STEP, "pages", "alloc_pages", "alloc_pages",
	  "mm/page_alloc.c", "src/iommu.c, src/page_alloc.c",
	  "the page allocator after CMA has no block of the order",
	  { E("backend:none", "failed") } },
	{ "iommu-iova", DMAPOOL_STAGE_STEP, "iova", "iommu_dma_alloc_iova __iommu_dma_map",
	  "iommu_dma_alloc_iova", "drivers/iommu/dma-iommu.c, drivers/iommu/iova.c",
	  "src/iommu.c, src/iova.c",
	  "a size-aligned IOVA range below the mask: the range cache, else the tree top-down",
	  { E("iommu-pgtable", "found"), E("backend:none", "no space, or refused") } },
	{ "iommu-pgtable", DMAPOOL_STAGE_STEP, "pgtable", "iommu_map iommu_map_sg",
	  "iommu_map", "drivers/iommu/iommu.c", "src/iommu.c",
	  "page-table entries IOVA -> phys with the prot bits",
	  { E("iommu-remap", "remapped pages"), E("backend:iommu-atomic", "atomic pool"),
	    E("backend:iommu-cma", "CMA"), E("backend:iommu-buddy", "page allocator"),
	    E("backend:none", "no memory for a table") } },
	{ "iommu-remap", DMAPOOL_STAGE_STEP, "remap", "dma_common_pages_remap",
	  "dma_common_pages_remap", "kernel/dma/remap.c", "src/iommu.c",
	  "the pages mapped contiguously for the CPU with dma_pgprot()",
	  { E("backend:iommu-pages", "mapped") } },
	BACKEND("dev-coherent", "the per-device coherent pool"),
	BACKEND("global-coherent", "the global coherent pool (linux,dma-default)"),
	BACKEND("dev-cma", "the device's CMA area"),
	BACKEND("default-cma", "the default CMA area"),
	BACKEND("atomic-dma", "the GFP_DMA atomic pool"),
	BACKEND("atomic-dma32", "the GFP_DMA32 atomic pool"),
	BACKEND("atomic-kernel", "the GFP_KERNEL atomic pool"),
	BACKEND("buddy-dma", "buddy pages of ZONE_DMA"),
	BACKEND("buddy-dma32", "buddy pages of ZONE_DMA32"),
	BACKEND("buddy-normal", "buddy pages of ZONE_NORMAL (or highmem)"),
	BACKEND("restricted-swiotlb", "the device's restricted-dma-pool"),
	BACKEND("arch", "the 32-bit ARM atomic pool"),
	BACKEND("iommu-pages", "pages behind one IOVA range, remapped for the CPU"),
	BACKEND("iommu-atomic", "an atomic pool chunk behind an IOVA"),
	BACKEND("iommu-cma", "CMA pages behind an IOVA"),
	BACKEND("iommu-buddy", "contiguous buddy pages behind an IOVA"),
	BACKEND("none", "the call failed"),
	TRACK_STAGE("debug_dma_alloc_coherent"),
	TRACE_STAGE,
};

/* ---- dma_free_attrs() ---- */

static const struct dmapool_stage free_tree[] = {
	{ "dma_free_attrs", DMAPOOL_STAGE_ENTRY, NULL, NULL, "dma_free_attrs",
	  "kernel/dma/mapping.c", "src/mapping.c",
	  "dma_free_coherent() and dma_free_attrs() start here",
	  { E("dev-coherent", "the address lies in the per-device pool"),
	    E("free-null", "cpu_addr is NULL"),
	    E("free-unknown", "not a live allocation at that address"),
	    E("iommu", "a live allocation") } },
	{ "dev-coherent", DMAPOOL_STAGE_STEP, "dev-coherent", "dma_release_from_dev_coherent",
	  "dma_release_from_dev_coherent", "kernel/dma/coherent.c", "src/coherent.c",
	  "2^order pages (order from the caller's size) back to the pool's bitmap",
	  { E("backend:dev-coherent", "released") } },
	{ "free-null", DMAPOOL_STAGE_STEP, "free", "dma_free_attrs", "dma_free_attrs",
	  "kernel/dma/mapping.c", "src/mapping.c", "a NULL cpu_addr: nothing to do",
	  { E("backend:none", "nothing") } },
	{ "free-unknown", DMAPOOL_STAGE_STEP, "free", "debug_dma_free_coherent",
	  "debug_dma_free_coherent", "kernel/dma/debug.c", "src/mapping.c",
	  "no live coherent allocation of the device there: reported, the free is ignored",
	  { E("backend:none", "ignored") } },
	{ "iommu", DMAPOOL_STAGE_STEP, "iommu", "use_dma_iommu", "use_dma_iommu",
	  "kernel/dma/mapping.c", "src/mapping.c",
	  "is the device in a translating IOMMU domain? no: dma_direct_free()",
	  { E("iommu-unmap", "yes: iommu_dma_free()"),
	    E("iommu-free", "yes, unknown or another handle"),
	    E("no-kernel-mapping", "no, DMA_ATTR_NO_KERNEL_MAPPING"),
	    E("arch", "no, non-coherent, CONFIG_ARCH_HAS_DMA_ALLOC"),
	    E("global-coherent", "no, non-coherent, CONFIG_DMA_GLOBAL_POOL"),
	    E("atomic", "no, in an atomic pool"),
	    E("remap", "no, a remapping"),
	    E("restricted-swiotlb", "no, restricted pool pages"),
	    E("pages", "no, linear pages") } },
	{ "no-kernel-mapping", DMAPOOL_STAGE_STEP, "no-kernel-mapping", "dma_direct_free",
	  "dma_direct_free", "kernel/dma/direct.c", "src/direct.c",
	  "the cookie is a struct page: free the pages",
	  { E("backend:direct", "freed") } },
	{ "arch", DMAPOOL_STAGE_STEP, "arch", "dma_direct_free", "arch_dma_free",
	  "arch/arm/mm/dma-mapping.c", "src/arm_dma.c",
	  "the 32-bit ARM allocator frees its own buffers",
	  { E("backend:direct", "freed") } },
	{ "global-coherent", DMAPOOL_STAGE_STEP, "global-coherent",
	  "dma_release_from_global_coherent", "dma_release_from_global_coherent",
	  "kernel/dma/coherent.c", "src/coherent.c",
	  "back to the global pool (not in it: WARN_ON_ONCE)",
	  { E("backend:direct", "released") } },
	{ "atomic", DMAPOOL_STAGE_STEP, "atomic", "dma_free_from_pool", "dma_free_from_pool",
	  "kernel/dma/pool.c", "src/pool.c",
	  "the address belongs to an atomic pool: back to it (a size past its chunk: ignored)",
	  { E("backend:direct", "released") } },
	{ "remap", DMAPOOL_STAGE_STEP, "remap", "vunmap", "vunmap", "mm/vmalloc.c",
	  "src/direct.c", "the CPU address is a remapping: unmapped first",
	  { E("restricted-swiotlb", "restricted pool pages"), E("pages", "") } },
	{ "restricted-swiotlb", DMAPOOL_STAGE_STEP, "restricted-swiotlb", "swiotlb_free",
	  "swiotlb_free", "kernel/dma/swiotlb.c", "src/swiotlb.c",
	  "the pages belong to the device's restricted pool",
	  { E("backend:direct", "freed") } },
	{ "pages", DMAPOOL_STAGE_STEP, "pages", "__dma_direct_free_pages",
	  "__dma_direct_free_pages", "kernel/dma/direct.c", "src/direct.c, src/contiguous.c",
	  "the page found from the handle goes back: CMA area if it owns it, else the buddy allocator",
	  { E("backend:direct", "freed") } },
	{ "iommu-free", DMAPOOL_STAGE_STEP, "free", "iommu_dma_free", "iommu_dma_free",
	  "drivers/iommu/dma-iommu.c", "src/iommu.c",
	  "the allocation record of the domain: unknown address, or a handle that is not its IOVA",
	  { E("iommu-unmap", "another handle: the allocation's IOVA is unmapped"),
	    E("backend:none", "unknown") } },
	{ "iommu-unmap", DMAPOOL_STAGE_STEP, "pgtable", "iommu_unmap", "iommu_unmap",
	  "drivers/iommu/iommu.c", "src/iommu.c",
	  "unmap the IOVA range: strict (IOTLB invalidated now) or lazy (flush queue)",
	  { E("iommu-release", "") } },
	{ "iommu-release", DMAPOOL_STAGE_STEP, "free",
	  "dma_free_from_pool __iommu_dma_free_pages dma_free_contiguous",
	  "__iommu_dma_free", "drivers/iommu/dma-iommu.c", "src/iommu.c",
	  "the memory goes back: atomic pool, page chunks, or CMA / buddy",
	  { E("backend:iommu", "released") } },
	BACKEND("dev-coherent", "released to the per-device pool"),
	BACKEND("direct", "freed by dma-direct"),
	BACKEND("iommu", "freed by dma-iommu"),
	BACKEND("none", "nothing freed"),
	TRACE_STAGE,
};

/* ---- dma_map_single_attrs() / dma_map_page_attrs() ---- */

static const struct dmapool_stage map_tree[] = {
	{ "dma_map", DMAPOOL_STAGE_ENTRY, NULL, NULL,
	  "dma_map_single_attrs, dma_map_page_attrs", "kernel/dma/mapping.c",
	  "src/mapping.c",
	  "dma_map_single() and dma_map_page() start here (direction and dma_mask checked first)",
	  { E("memory", "") } },
	{ "memory", DMAPOOL_STAGE_STEP, "memory", "is_vmalloc_addr virt_to_page page_to_phys",
	  "virt_to_page, page_to_phys", "include/linux/mm.h", "src/mapping.c",
	  "the buffer: linear-map memory (dma_map_single) or a struct page of RAM (dma_map_page); vmalloc memory is refused",
	  { E("iommu", "linear map, or a RAM page"),
	    E("force-bounce", "size 0, forced bounce"), E("reach", "size 0"),
	    E("backend:none", "vmalloc, not linear, not a page, not RAM") } },
	{ "iommu", DMAPOOL_STAGE_STEP, "iommu", "use_dma_iommu", "use_dma_iommu",
	  "kernel/dma/mapping.c", "src/mapping.c",
	  "is the device in a translating IOMMU domain? no: dma_direct_map_phys()",
	  { E("fault", "a failure is armed"),
	    E("iommu-bounce", "yes: iommu_dma_map_phys()"),
	    E("force-bounce", "no, forced bounce"), E("reach", "no") } },
	{ "fault", DMAPOOL_STAGE_STEP, "fault", "dmapool_fail_next_map",
	  "dmapool_fail_next_map", "-", "src/fault.c",
	  "a failure armed with dmapool_fail_next_map() (libdmapool only)",
	  { E("backend:none", "forced failure") } },
	{ "force-bounce", DMAPOOL_STAGE_STEP, "force-bounce", "is_swiotlb_force_bounce",
	  "is_swiotlb_force_bounce", "include/linux/swiotlb.h", "src/direct.c",
	  "swiotlb=force, or a restricted-dma-pool: every mapping bounces",
	  { E("slots", "swiotlb_map()") } },
	{ "reach", DMAPOOL_STAGE_STEP, "reach", "dma_capable", "dma_capable",
	  "kernel/dma/direct.h", "src/direct.c",
	  "is phys_to_dma(phys)+size within min_not_zero(dma_mask, bus_dma_limit)?",
	  { E("kmalloc-bounce", "yes"), E("swiotlb", "no") } },
	{ "kmalloc-bounce", DMAPOOL_STAGE_STEP, "kmalloc-bounce", "dma_kmalloc_needs_bounce",
	  "dma_kmalloc_needs_bounce", "include/linux/dma-map-ops.h", "src/direct.c",
	  "a small kmalloc buffer of a non-coherent device that may share cache lines (CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC)",
	  { E("swiotlb", "yes"), E("cache", "no") } },
	{ "swiotlb", DMAPOOL_STAGE_STEP, "swiotlb", "is_swiotlb_active", "is_swiotlb_active",
	  "kernel/dma/swiotlb.c", "src/direct.c",
	  "is there a SWIOTLB pool to bounce through? no: \"DMA addr ... overflow\"",
	  { E("slots", "yes: swiotlb_map()"), E("backend:none", "no") } },
	{ "slots", DMAPOOL_STAGE_STEP, "swiotlb", "swiotlb_tbl_map_single swiotlb_find_slots",
	  "swiotlb_tbl_map_single, swiotlb_find_slots", "kernel/dma/swiotlb.c", "src/swiotlb.c",
	  "next-fit slot search per area, with the alignment and segment boundary; none: \"swiotlb buffer is full\"",
	  { E("bounce-copy", "found"), E("backend:none", "no pool, or full") } },
	{ "bounce-copy", DMAPOOL_STAGE_STEP, "bounce-copy", "swiotlb_bounce",
	  "swiotlb_bounce", "kernel/dma/swiotlb.c", "src/swiotlb.c",
	  "copy the buffer into the slot (6.12 does it for every direction)",
	  { E("slot-reach", "slot beyond reach"), E("swiotlb-cache", "non-coherent device"),
	    E("backend:swiotlb", "bounced"),
	    E("backend:restricted-swiotlb", "bounced, restricted pool") } },
	{ "slot-reach", DMAPOOL_STAGE_STEP, "swiotlb", "dma_capable", "dma_capable",
	  "kernel/dma/swiotlb.c", "src/swiotlb.c",
	  "the slot's bus address is beyond the device's reach: \"swiotlb addr ... overflow\"",
	  { E("backend:none", "released") } },
	{ "swiotlb-cache", DMAPOOL_STAGE_STEP, "cache", "arch_sync_dma_for_device",
	  "arch_sync_dma_for_device", "arch/arm64/mm/dma-mapping.c", "src/cache.c",
	  "cache maintenance on the slot for the device",
	  { E("backend:swiotlb", "bounced"),
	    E("backend:restricted-swiotlb", "bounced, restricted pool") } },
	{ "cache", DMAPOOL_STAGE_STEP, "cache", "arch_sync_dma_for_device",
	  "arch_sync_dma_for_device", "arch/arm64/mm/dma-mapping.c", "src/cache.c",
	  "cache maintenance on the buffer (skipped for a coherent device or DMA_ATTR_SKIP_CPU_SYNC)",
	  { E("backend:direct", "mapped") } },
	/* dma-iommu */
	{ "iommu-bounce", DMAPOOL_STAGE_STEP, "bounce", "dev_use_swiotlb", "dev_use_swiotlb",
	  "drivers/iommu/dma-iommu.c", "src/iommu.c",
	  "untrusted device or unsafe kmalloc buffer, not aligned to the IOVA granule: bounce",
	  { E("iommu-slots", "yes"), E("backend:none", "yes, no SWIOTLB active"),
	    E("iommu-cache", "no, non-coherent device"), E("iommu-iova", "no") } },
	{ "iommu-slots", DMAPOOL_STAGE_STEP, "swiotlb",
	  "swiotlb_tbl_map_single swiotlb_find_slots", "swiotlb_tbl_map_single",
	  "kernel/dma/swiotlb.c", "src/swiotlb.c",
	  "slots aligned to the IOVA granule",
	  { E("iommu-bounce-copy", "found"), E("backend:none", "no pool, or full") } },
	{ "iommu-bounce-copy", DMAPOOL_STAGE_STEP, "bounce-copy", "swiotlb_bounce",
	  "swiotlb_bounce", "kernel/dma/swiotlb.c", "src/swiotlb.c",
	  "copy the buffer into the slot",
	  { E("iommu-cache", "non-coherent device"), E("iommu-iova", "") } },
	{ "iommu-cache", DMAPOOL_STAGE_STEP, "cache", "arch_sync_dma_for_device",
	  "arch_sync_dma_for_device", "arch/arm64/mm/dma-mapping.c", "src/cache.c",
	  "cache maintenance for the device, before the IOMMU mapping",
	  { E("iommu-iova", "") } },
	{ "iommu-iova", DMAPOOL_STAGE_STEP, "iova", "iommu_dma_alloc_iova __iommu_dma_map",
	  "iommu_dma_alloc_iova", "drivers/iommu/dma-iommu.c, drivers/iommu/iova.c",
	  "src/iommu.c, src/iova.c",
	  "a size-aligned IOVA range below dma_mask: the range cache, else the tree top-down",
	  { E("iommu-pgtable", "found"), E("iommu-release", "none, bounced"),
	    E("backend:none", "no space, or refused") } },
	{ "iommu-pgtable", DMAPOOL_STAGE_STEP, "pgtable", "iommu_map", "iommu_map",
	  "drivers/iommu/iommu.c", "src/iommu.c",
	  "page-table entries IOVA -> phys with the direction's prot bits",
	  { E("backend:iommu", "mapped"), E("backend:iommu-swiotlb", "mapped, bounced"),
	    E("iommu-release", "no memory, bounced"), E("backend:none", "no memory") } },
	{ "iommu-release", DMAPOOL_STAGE_STEP, "swiotlb", "swiotlb_release_slots",
	  "swiotlb_tbl_unmap_single", "kernel/dma/swiotlb.c", "src/swiotlb.c",
	  "the mapping failed: the bounce slots go back",
	  { E("backend:none", "failed") } },
	BACKEND("direct", "the buffer itself is on the bus"),
	BACKEND("swiotlb", "bounced through the default SWIOTLB pool"),
	BACKEND("restricted-swiotlb", "bounced through the device's restricted pool"),
	BACKEND("iommu", "mapped through the IOMMU"),
	BACKEND("iommu-swiotlb", "bounced, then mapped through the IOMMU"),
	BACKEND("none", "DMA_MAPPING_ERROR"),
	TRACK_STAGE("debug_dma_map_page"),
	TRACE_STAGE,
};

static const struct {
	const char *name;
	const struct dmapool_stage *tab;
	size_t n;
} trees[DMAPOOL_TREE_COUNT] = {
	[DMAPOOL_TREE_ALLOC] = { "alloc", alloc_tree, ARRAY_SIZE(alloc_tree) },
	[DMAPOOL_TREE_FREE] = { "free", free_tree, ARRAY_SIZE(free_tree) },
	[DMAPOOL_TREE_MAP] = { "map", map_tree, ARRAY_SIZE(map_tree) },
};

DMAPOOL_API const struct dmapool_stage *dmapool_decision_stages(enum dmapool_tree t,
							       size_t *n)
{
	if ((unsigned)t >= DMAPOOL_TREE_COUNT) {
		if (n)
			*n = 0;
		return NULL;
	}
	if (n)
		*n = trees[t].n;
	return trees[t].tab;
}

DMAPOOL_API const char *dmapool_tree_name(enum dmapool_tree t)
{
	return (unsigned)t < DMAPOOL_TREE_COUNT ? trees[t].name : NULL;
}

DMAPOOL_API int dmapool_tree_for_op(const char *op)
{
	if (!op)
		return -EINVAL;
	if (!strcmp(op, "alloc"))
		return DMAPOOL_TREE_ALLOC;
	if (!strcmp(op, "free"))
		return DMAPOOL_TREE_FREE;
	if (!strcmp(op, "map"))
		return DMAPOOL_TREE_MAP;
	return -ENOENT;
}

DMAPOOL_API int dmapool_stage_index(enum dmapool_tree t, const char *id)
{
	size_t n;
	const struct dmapool_stage *s = dmapool_decision_stages(t, &n);

	if (!s || !id)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s[i].id, id))
			return (int)i;
	return -ENOENT;
}

/* func is one of the space-separated words of list (NULL: any). */
static bool func_in(const char *list, const char *func)
{
	size_t len;

	if (!list)
		return true;
	if (!func)
		return false;
	len = strlen(func);
	for (const char *p = list; *p; ) {
		size_t w = strcspn(p, " ");

		if (w == len && !strncmp(p, func, len))
			return true;
		p += w;
		while (*p == ' ')
			p++;
	}
	return false;
}

DMAPOOL_API bool dmapool_stage_matches(const struct dmapool_stage *s,
				       const struct dmapool_decision_step *st)
{
	if (!s || !st || !st->stage || !s->stage)
		return false;
	if (s->kind != DMAPOOL_STAGE_STEP && s->kind != DMAPOOL_STAGE_ANY)
		return false;
	return !strcmp(s->stage, st->stage) && func_in(s->funcs, st->func);
}

DMAPOOL_API int dmapool_decision_walk(const struct dmapool_decision *d,
				      enum dmapool_tree t, int *step_node, int *leaf)
{
	const struct dmapool_stage *s;
	const char *backend;
	size_t n;
	int cur = -1, rc = 0;

	s = dmapool_decision_stages(t, &n);
	if (!s || !d || !step_node || !leaf || d->nsteps > DMAPOOL_DECISION_MAX_STEPS)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (s[i].kind == DMAPOOL_STAGE_ENTRY) {
			cur = (int)i;
			break;
		}
	if (cur < 0)
		return -EINVAL;
	*leaf = -1;
	for (unsigned i = 0; i < d->nsteps; i++) {
		int next = -1;

		step_node[i] = -1;
		if (rc)
			continue;
		for (int e = 0; e < DMAPOOL_STAGE_MAX_NEXT && s[cur].next[e].to; e++) {
			int k = dmapool_stage_index(t, s[cur].next[e].to);

			if (k >= 0 && dmapool_stage_matches(&s[k], &d->steps[i])) {
				next = k;
				break;
			}
		}
		if (next < 0)	/* a step that may come anywhere */
			for (size_t k = 0; k < n; k++)
				if (s[k].kind == DMAPOOL_STAGE_ANY &&
				    dmapool_stage_matches(&s[k], &d->steps[i])) {
					step_node[i] = (int)k;
					break;
				}
		if (next >= 0) {
			step_node[i] = next;
			cur = next;
		} else if (step_node[i] < 0) {
			rc = -ENOENT;
		}
	}
	if (rc)
		return rc;
	/* the backend: a leaf of the latest visited stage that has it */
	backend = d->backend ? d->backend : "none";
	for (int i = (int)d->nsteps; i >= 0; i--) {
		int at = -1;

		if (i == 0) {
			for (size_t k = 0; k < n; k++)
				if (s[k].kind == DMAPOOL_STAGE_ENTRY)
					at = (int)k;
		} else {
			at = step_node[i - 1];
		}
		if (at < 0 || s[at].kind == DMAPOOL_STAGE_ANY)
			continue;
		for (int e = 0; e < DMAPOOL_STAGE_MAX_NEXT && s[at].next[e].to; e++) {
			int k = dmapool_stage_index(t, s[at].next[e].to);

			if (k >= 0 && s[k].kind == DMAPOOL_STAGE_BACKEND &&
			    !strcmp(s[k].stage, backend)) {
				*leaf = k;
				return 0;
			}
		}
	}
	return -ENOENT;
}
