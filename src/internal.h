/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Internal interfaces shared by the modules of libdmapool.
 *
 * The machine (struct dmapool_machine) owns everything: the copied blob,
 * the profile, memblock, reserved-memory regions, CMA areas, pools, the
 * simulated physical memory and the devices.  Each module keeps its state
 * in a sub-structure of the machine and touches only its own; cross-module
 * calls go through the functions declared here.
 *
 * Boot order (machine.c, mirroring arm64's setup_arch/mm_init):
 *   fdt_check_full -> profile + config -> /memory -> bootargs ->
 *   memblock (kernel image, /memreserve/) -> of_reserved_mem scan ->
 *   zones -> early kernel allocations -> default CMA -> SWIOTLB ->
 *   physmem backing -> buddy -> atomic pools -> devices.
 */
#ifndef DMAPOOL_INTERNAL_H
#define DMAPOOL_INTERNAL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>

#include "dmapool.h"
#include "linux-compat/dmapool-kdefs.h"
#include "linux-compat/dmapool-kapi.h"

#define PHYS_NONE	((phys_addr_t)-1)
#define DMA_ERR		(~(dma_addr_t)0)

#define SZ_1K	0x400ULL
#define SZ_1M	0x100000ULL
#define SZ_1G	0x40000000ULL
#define SZ_4G	0x100000000ULL

#define ALIGN_UP(x, a)		((((x) + (a) - 1) / (a)) * (a))
#define ALIGN_DOWN(x, a)	(((x) / (a)) * (a))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

static inline bool is_pow2_u64(uint64_t x) { return x && !(x & (x - 1)); }
static inline unsigned fls64_u(uint64_t x) { return x ? 64 - __builtin_clzll(x) : 0; }
/* A 64-bit finaliser (murmur3's fmix64): hash slots, treap priorities. */
static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}
static inline uint64_t min_not_zero_u64(uint64_t a, uint64_t b)
{
	if (!a) return b;
	if (!b) return a;
	return a < b ? a : b;
}

/*
 * A counter written only with its lock held and read without it: an
 * atomic store of the new value, no locked read-modify-write (the lock
 * already orders the writers).  delta may be a negated count.
 */
static inline void locked_counter_add(uint64_t *p, uint64_t delta)
{
	__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + delta,
			 __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ */
/* Profile: the kernel configuration knobs of one architecture build. */

struct dmapool_profile {
	char arch[16];
	unsigned page_shift;		/* 12 */
	uint64_t page_size;
	unsigned max_page_order;	/* MAX_PAGE_ORDER (10) */
	uint64_t pageblock_size;	/* CMA_MIN_ALIGNMENT_BYTES */
	bool cma;			/* CONFIG_DMA_CMA */
	uint64_t cma_size_mbytes;	/* CONFIG_CMA_SIZE_MBYTES */
	unsigned cma_alignment;		/* CONFIG_CMA_ALIGNMENT (order) */
	unsigned cma_areas;		/* MAX_CMA_AREAS */
	unsigned max_reserved_regions;	/* MAX_RESERVED_REGIONS */
	bool dma_direct_remap;		/* CONFIG_DMA_DIRECT_REMAP (atomic pools) */
	bool dma_global_pool;		/* CONFIG_DMA_GLOBAL_POOL */
	bool dma_restricted_pool;	/* CONFIG_DMA_RESTRICTED_POOL */
	bool arch_dma_alloc;		/* CONFIG_ARCH_HAS_DMA_ALLOC (arm32) */
	bool arm32_nomap_required;	/* rmem_dma_setup needs no-map (CONFIG_ARM) */
	bool swiotlb;			/* CONFIG_SWIOTLB */
	bool bounce_unaligned_kmalloc;	/* CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC */
	bool default_coherent;		/* dma_default_coherent */
	bool all_coherent;		/* no sync hooks at all (x86) */
	bool zone_dma;			/* CONFIG_ZONE_DMA */
	bool zone_dma32;		/* CONFIG_ZONE_DMA32 */
	bool init_on_alloc;		/* CONFIG_INIT_ON_ALLOC_DEFAULT_ON */
	bool dmapool_debug;		/* DMAPOOL_DEBUG (CONFIG_SLUB_DEBUG_ON) */
	uint64_t lowmem_size;		/* CONFIG_HIGHMEM: RAM in the linear map
					 * (0: all of it, no ZONE_HIGHMEM) */
	uint64_t zone_dma_limit;	/* default zone_dma_limit (inclusive) */
	bool arm64_zone_rules;		/* DMA zone from dma-ranges as arm64 does */
	unsigned arch_dma_minalign;	/* ARCH_DMA_MINALIGN */
	unsigned cache_line;		/* L1 line (cache model, kmalloc classes) */
	unsigned smp_cache_bytes;	/* default dynamic-region alignment */
	unsigned kmalloc_min;		/* smallest kmalloc class */
	unsigned phys_digits;		/* %pa width: 16 or 8 */
	uint64_t kernel_offset;		/* kernel image: RAM start + offset */
	uint64_t kernel_size;
	bool early_allocs;		/* model the kernel's own early memblock use */
	unsigned struct_page_size;	/* for the memmap estimate */
	uint64_t early_fixed;		/* other early allocations, bytes */
	unsigned nr_cpus;		/* num_possible_cpus() */
	bool numa_node_msg;		/* "... on node -1" in cma: Reserved */
	unsigned atomic_pool_min_kib;	/* 128 */
	bool dma_write_combine;		/* CONFIG_ARCH_HAS_DMA_WRITE_COMBINE */
	enum dmapool_attr dmacoherent_attr;	/* pgprot_dmacoherent() */
	uint64_t arm_coherent_pool;	/* arm: DEFAULT_DMA_COHERENT_POOL_SIZE */
	/* the cache model */
	bool inval_edge_flush;		/* invalidate cleans partial edge lines */
	bool inval_for_device_fromdevice; /* 32-bit ARM: FROM_DEVICE map invalidates */
	bool cpu_traps;			/* trap the linear alias of WC/UC buffers */
	bool cache_stress;		/* dirty lines may be evicted (seeded) */
	uint64_t cache_seed;		/* eviction PRNG seed (config seed wins) */
	bool strict_ownership;		/* trap CPU access to device-owned buffers */
	bool dev_read_fromdevice_bug;	/* device reads of FROM_DEVICE report */
	bool iommu_dma;			/* CONFIG_IOMMU_DMA: dma-iommu serves
					 * devices behind an IOMMU */
	bool iommu_default_strict;	/* CONFIG_IOMMU_DEFAULT_DMA_STRICT */
	uint64_t iommu_granule;		/* IOMMU page size: 4K, 16K or 64K */
};

int profile_init(struct dmapool_profile *p, const char *arch);
/* Apply "name=value,..." overrides; -EINVAL names the bad knob in *bad. */
int profile_apply_knobs(struct dmapool_profile *p, const char *knobs,
			char *bad, size_t badlen);

/* ------------------------------------------------------------------ */
/* Log (log.c): kernel-format lines to the sink, kept for the tool.   */

struct dmapool_log {
	char **lines;		/* never freed before the machine */
	size_t n, cap;
	dmapool_log_fn sink;
	void *ctx;
	pthread_mutex_t lock;	/* lines, n, cap */
};

void klog(struct dmapool_machine *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* %pa formatting helper: "0x" + phys_digits hex digits, into buf. */
const char *fmt_pa(const struct dmapool_machine *m, uint64_t pa, char buf[24]);
void log_free(struct dmapool_log *l);
/* Record a structured report (debug/cache/device layers); kind is a
 * static string. */
void report(struct dmapool_machine *m, const char *kind, const struct device *dev,
	    uint64_t addr, uint64_t size, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Same with the physical address and cache line concerned. */
void report_ex(struct dmapool_machine *m, const char *kind,
	       const struct device *dev, uint64_t addr, uint64_t size,
	       uint64_t phys, uint64_t line, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));
void reports_free(struct dmapool_machine *m);

/* ------------------------------------------------------------------ */
/* Bootargs (machine.c) */

struct bootparams {
	bool cma_set;			/* cma= given */
	uint64_t cma_size, cma_base, cma_limit;
	bool cma_fixed;
	bool coherent_pool_set;
	uint64_t coherent_pool;
	bool swiotlb_nslabs_set;
	uint64_t swiotlb_nslabs;
	unsigned swiotlb_nareas;	/* 0 = not given */
	bool swiotlb_force, swiotlb_noforce;
	int init_on_alloc;		/* -1 unset, else init_on_alloc= */
	int iommu_strict;		/* -1 unset, 0 lazy, 1 strict */
	int iommu_passthrough;		/* -1 unset */
	bool iommu_forcedac;
};

/* ------------------------------------------------------------------ */
/* memblock.c — early physical layout. */

#define MEMBLOCK_NOMAP	0x1u

struct mb_region {
	phys_addr_t base, size;
	unsigned flags;
	const char *owner;		/* static string: "kernel", node name... */
};

struct mb_type {
	struct mb_region *r;
	size_t n, cap;
};

struct memblock {
	struct mb_type memory;		/* RAM, split by flags */
	struct mb_type reserved;
	bool bottom_up;
};

int memblock_add(struct memblock *mb, phys_addr_t base, phys_addr_t size);
int memblock_reserve(struct memblock *mb, phys_addr_t base, phys_addr_t size,
		     const char *owner);
int memblock_phys_free(struct memblock *mb, phys_addr_t base, phys_addr_t size);
int memblock_remove(struct memblock *mb, phys_addr_t base, phys_addr_t size);
int memblock_mark_nomap(struct memblock *mb, phys_addr_t base, phys_addr_t size);
int memblock_clear_nomap(struct memblock *mb, phys_addr_t base, phys_addr_t size);
bool memblock_is_region_reserved(const struct memblock *mb, phys_addr_t base,
				 phys_addr_t size);
bool memblock_overlaps_memory(const struct memblock *mb, phys_addr_t base,
			      phys_addr_t size);
/* Find + reserve in [start, end) with the current direction; 0 = failure. */
phys_addr_t memblock_alloc_range(struct memblock *mb, phys_addr_t size,
				 phys_addr_t align, phys_addr_t start,
				 phys_addr_t end, const char *owner);
phys_addr_t memblock_start_of_dram(const struct memblock *mb);
phys_addr_t memblock_end_of_dram(const struct memblock *mb);
phys_addr_t memblock_phys_mem_size(const struct memblock *mb);
phys_addr_t memblock_reserved_size(const struct memblock *mb);
/* RAM that is in the linear map (memory without MEMBLOCK_NOMAP). */
phys_addr_t memblock_mapped_size(const struct memblock *mb);
/* How [base, base+size) meets that RAM, as region_intersects() answers:
 * 0 disjoint, 1 entirely inside, 2 mixed. */
int memblock_ram_intersects(const struct memblock *mb, phys_addr_t base,
			    phys_addr_t size);
/* pfn_is_map_memory(): addr lies in memory that is in the linear map. */
bool memblock_is_map_memory(const struct memblock *mb, phys_addr_t addr);
void memblock_free_all(struct memblock *mb);
/* Iterate free (memory, not nomap, not reserved) ranges; returns count. */
size_t memblock_free_ranges(const struct memblock *mb,
			    phys_addr_t (**out)[2]);

/* ------------------------------------------------------------------ */
/* of_reserved_mem.c */

struct reserved_mem;
struct rmem_ops {
	int (*device_init)(struct reserved_mem *rmem, struct device *dev);
	void (*device_release)(struct reserved_mem *rmem, struct device *dev);
};

enum rmem_kind {
	RMEM_PLAIN = 0,		/* reserved, no handler */
	RMEM_DMA_POOL,		/* shared-dma-pool, per-device coherent */
	RMEM_GLOBAL_POOL,	/* shared-dma-pool + linux,dma-default (DMA_GLOBAL_POOL) */
	RMEM_CMA,		/* reusable shared-dma-pool */
	RMEM_RESTRICTED,	/* restricted-dma-pool */
	RMEM_FAILED,		/* compatible matching fail: released */
};

struct reserved_mem {
	char *name;		/* node name with unit address */
	char *path;
	int node;		/* fdt offset */
	uint32_t phandle;
	phys_addr_t base, size;
	bool nomap, reusable, dynamic;
	bool cma_default, dma_default;
	char *compatible;	/* first compatible, or NULL */
	enum rmem_kind kind;
	const struct rmem_ops *ops;
	void *priv;		/* struct cma_area *, struct dma_coherent_mem *, ... */
};

int of_reserved_mem_scan(struct dmapool_machine *m);
struct reserved_mem *rmem_find_by_node(struct dmapool_machine *m, int node);
/* "dma-pool", "global-pool", "cma", "default-cma", "restricted", "plain",
 * "failed": the names inspect and its JSON use. */
const char *rmem_kind_name(const struct dmapool_machine *m,
			   const struct reserved_mem *r);
void rmem_free_all(struct dmapool_machine *m);

/* ------------------------------------------------------------------ */
/* contiguous.c — CMA areas */

struct rbitmap;
struct cma_area {
	char *name;
	phys_addr_t base;
	uint64_t count;		/* pages */
	struct rbitmap *bitmap;	/* one bit per page, 1 = allocated (bitmap.c) */
	bool activated;
	bool failed;		/* spans zones or outside RAM: not usable */
	pthread_mutex_t lock;
};

/* cma_init_reserved_mem(); logs the kernel's errors. */
int cma_init_reserved_mem(struct dmapool_machine *m, phys_addr_t base,
			  phys_addr_t size, const char *name,
			  struct cma_area **out);
/* dma_contiguous_reserve(limit): the default area from cma= / Kconfig. */
void dma_contiguous_reserve(struct dmapool_machine *m, phys_addr_t limit);
/* Activate areas once RAM is backed (cma_init_reserved_areas). */
void cma_activate_areas(struct dmapool_machine *m);
/* cma_alloc: first fit, align order; returns base phys or PHYS_NONE. */
phys_addr_t cma_alloc(struct dmapool_machine *m, struct cma_area *cma,
		      uint64_t count, unsigned align_order, bool no_warn);
bool cma_release(struct dmapool_machine *m, struct cma_area *cma,
		 phys_addr_t pa, uint64_t count);
uint64_t cma_used_pages(struct cma_area *c);
void cma_free_all(struct dmapool_machine *m);

/* ------------------------------------------------------------------ */
/* physmem.c — sparse memfd-backed RAM and CPU aliases. */

struct pm_bank {
	phys_addr_t base, size;
	int fd;			/* DRAM */
	int cfd;		/* what the CPU's caches show (cache.c) */
	uint8_t *dram;		/* device view: what DMA sees */
	uint8_t *linear;	/* CPU linear map of cfd (WB); PROT_NONE where
				 * the kernel has no mapping (no-map) and where
				 * trap.c watches (pinned, strict ownership) */
	uint8_t *cview;		/* the library's own mapping of cfd: never
				 * protected, used by the cache model */
	uint8_t *snap;		/* per-line snapshot S (cache.c), lazily mapped */
	uint64_t *stale;	/* bit per cache line: DRAM changed under the
				 * cached copy, snap holds the line as cached */
	uint8_t *ucnt;		/* per page: non-cacheable users (no-map = 255,
				 * else the number of WC/UC aliases): the
				 * cache model leaves such pages to DRAM */
	uint16_t *sown;		/* per page: device-owned streaming mappings
				 * (strict ownership mode), lazily mapped */
	size_t nlines, npages;
	unsigned pshift, lshift;	/* page and cache-line size, log2 */
};

struct pm_alias {		/* an extra CPU mapping of simulated RAM */
	uint8_t *va;
	size_t len;
	phys_addr_t pa;		/* PHYS_NONE for a page-array (vmap) alias */
	enum dmapool_attr attr;
	bool io;		/* physmem_map_io: memory outside RAM, own backing */
	bool pinned;		/* a WC/UC alias of RAM (physmem_pin) */
	struct pm_alias *next;
};

struct physmem {
	struct pm_bank *banks;
	size_t nbanks;
	struct pm_alias *aliases;
	pthread_mutex_t lock;
};

int physmem_init(struct dmapool_machine *m);
void physmem_destroy(struct dmapool_machine *m);
/* Pointer into the device (DRAM) view; NULL if pa..pa+len is not RAM. */
uint8_t *physmem_dram(struct dmapool_machine *m, phys_addr_t pa, size_t len);
/* Linear-map pointer, NULL for nomap or non-RAM. */
void *phys_to_virt(struct dmapool_machine *m, phys_addr_t pa);
phys_addr_t virt_to_phys(struct dmapool_machine *m, const void *va);
/* A second mapping of [pa, pa+len) with the given attribute. */
void *physmem_map_alias(struct dmapool_machine *m, phys_addr_t pa, size_t len,
			enum dmapool_attr attr);
int physmem_unmap_alias(struct dmapool_machine *m, void *va);
/* The same, leaving va's range reserved (inaccessible) for a caller that
 * unmaps a larger reservation around it afterwards. */
int physmem_unmap_alias_keep(struct dmapool_machine *m, void *va);
/* Device memory outside RAM: one mapping that is DRAM view and CPU view. */
void *physmem_map_io(struct dmapool_machine *m, phys_addr_t pa, size_t len,
		     enum dmapool_attr attr);
enum dmapool_attr physmem_attr(struct dmapool_machine *m, const void *va);
/* Make the linear map of a range inaccessible or accessible again. */
void physmem_linear_protect(struct dmapool_machine *m, phys_addr_t pa,
			    size_t len, bool accessible);
/* The bank holding [pa, pa+len), or NULL. */
struct pm_bank *physmem_bank(struct dmapool_machine *m, phys_addr_t pa, size_t len);
/* The CPU view (cached contents) of [pa, pa+len) through the library's
 * own unprotected mapping; for memory outside RAM the one backing. */
uint8_t *physmem_cpu(struct dmapool_machine *m, phys_addr_t pa, size_t len);
/* Same for a linear-map pointer; any other pointer is returned as is. */
void *physmem_cpu_ptr(struct dmapool_machine *m, void *va);
/* Non-cacheable aliases of RAM pages: while a page has one the cache
 * model sends every access to DRAM and the linear alias traps. */
void physmem_pin(struct dmapool_machine *m, phys_addr_t pa, size_t len);
void physmem_unpin(struct dmapool_machine *m, phys_addr_t pa, size_t len);
bool physmem_page_uncached(const struct pm_bank *b, phys_addr_t pa);
/* Make the CPU view of whole pages equal DRAM (holes stay holes). */
void physmem_cpu_from_dram(struct pm_bank *b, uint64_t off, uint64_t len);
/* Strict ownership: the device owns [pa, pa+len) now, or no longer. */
void physmem_strict(struct dmapool_machine *m, phys_addr_t pa, size_t len,
		    bool device_owns);
/* Re-apply the linear map's protection for the pages of a range. */
void physmem_reprotect(struct dmapool_machine *m, phys_addr_t pa, size_t len);

/* ------------------------------------------------------------------ */
/* page_alloc.c — buddy allocator with zones. */

enum zone_type { ZONE_DMA = 0, ZONE_DMA32, ZONE_NORMAL, ZONE_HIGHMEM, MAX_NR_ZONES };

/* "DMA", "DMA32", "Normal", "HighMem" (machine.c) */
extern const char *const zone_names[MAX_NR_ZONES];
/* The zone exists in the profile's build (CONFIG_ZONE_DMA, _DMA32,
 * CONFIG_HIGHMEM). */
bool zone_configured(const struct dmapool_profile *p, int zone);

struct zone_info {
	uint64_t start_pfn, end_pfn;	/* [start, end); empty when equal */
	bool present;
};

struct buddy;			/* opaque, page_alloc.c */

/* gfp bits used internally (values match include/linux-compat/linux/gfp.h). */
#define GFPI_DMA	__GFP_DMA
#define GFPI_DMA32	__GFP_DMA32
#define GFPI_HIGHMEM	__GFP_HIGHMEM

/* Build from memblock's free ranges after boot allocations. */
int buddy_init(struct dmapool_machine *m);
void buddy_destroy(struct dmapool_machine *m);
/* Allocate 2^order pages; zone fallback per gfp. PHYS_NONE on failure. */
phys_addr_t buddy_alloc(struct dmapool_machine *m, unsigned gfp_zone_bits,
			unsigned order);
void buddy_free(struct dmapool_machine *m, phys_addr_t pa, unsigned order);
uint64_t buddy_free_pages(struct dmapool_machine *m, enum zone_type z);
/* Release a range into the buddy (CMA area that failed activation...). */
void buddy_add_range(struct dmapool_machine *m, phys_addr_t start,
		     phys_addr_t end);
/* Remove a range from the buddy (pages handed to CMA). */
int buddy_take_range(struct dmapool_machine *m, phys_addr_t start,
		     phys_addr_t end);

/*
 * Standalone buddy core (unit tests, and the machine functions above).
 * Pfn-based; zones taken from zones[] (present and non-empty ones).
 */
struct buddy *buddy_create(const struct zone_info zones[MAX_NR_ZONES],
			   unsigned page_shift, unsigned max_order);
void buddy_core_destroy(struct buddy *b);
/* Free pages [start, end) into their zones; -EEXIST if some are known. */
int buddy_core_add_range(struct buddy *b, uint64_t start_pfn, uint64_t end_pfn);
/* Lowest free block of the smallest order >= order; UINT64_MAX if none. */
uint64_t buddy_core_alloc(struct buddy *b, unsigned gfp_zone_bits,
			  unsigned order);
/* -EINVAL (state unchanged) unless (pfn, order) is an allocated block. */
int buddy_core_free(struct buddy *b, uint64_t pfn, unsigned order);
uint64_t buddy_core_free_pages(struct buddy *b, enum zone_type zone);
/* Number of free blocks of one order in a zone. */
uint64_t buddy_core_free_blocks(struct buddy *b, enum zone_type zone,
				unsigned order);
/* Remove the free pages of [start, end); -EBUSY if any is allocated. */
int buddy_core_take_range(struct buddy *b, uint64_t start_pfn, uint64_t end_pfn);

/* ------------------------------------------------------------------ */
/* slab.c — kmalloc on simulated RAM */

struct slab_state;		/* opaque, slab.c */

/* kmalloc(0) result, as the kernel's ZERO_SIZE_PTR; kfree accepts it. */
#define KMALLOC_ZERO_SIZE_PTR	((void *)16)

/* Optional: kmalloc_sim creates the state on first use. */
int slab_init(struct dmapool_machine *m);
/* Call before buddy_destroy: returns outstanding slab pages to the buddy. */
void slab_destroy(struct dmapool_machine *m);
/* gfp_zone_bits: GFPI_DMA selects the DMA caches; GFPI_DMA32 is ignored. */
void *kmalloc_sim(struct dmapool_machine *m, size_t size, unsigned gfp_zone_bits);
/* 0, or -EINVAL for a pointer kmalloc_sim did not return (or freed). */
int kfree_sim(struct dmapool_machine *m, const void *p);
size_t kmalloc_size_roundup_sim(struct dmapool_machine *m, size_t size);
/* Usable size of a live kmalloc_sim object; 0 if p is not one. */
size_t ksize_sim(struct dmapool_machine *m, const void *p);

/* ------------------------------------------------------------------ */
/* pool.c — gen_pool (lib/genalloc.c) and the atomic pools */

/*
 * A gen_pool with PAGE_SIZE granules and the first_fit_order_align
 * algorithm: chunks are searched newest first (gen_pool_add puts a chunk
 * at the head of the list); inside a chunk an n-page request starts at a
 * multiple of roundup_pow_of_two(n) pages from the chunk start.
 */
struct gen_pool;
struct gen_pool *gen_pool_create_sim(unsigned page_shift);
void gen_pool_destroy_sim(struct gen_pool *gp);
/* Add [phys, phys+size) mapped at vaddr; 0 or -ENOMEM. */
int gen_pool_add_sim(struct gen_pool *gp, void *vaddr, phys_addr_t phys,
		     uint64_t size, void *owner);
/* Allocate; vaddr or NULL; *phys set. */
void *gen_pool_alloc_sim(struct gen_pool *gp, uint64_t size, phys_addr_t *phys);
bool gen_pool_has_addr_sim(struct gen_pool *gp, const void *vaddr, uint64_t size);
void gen_pool_free_sim(struct gen_pool *gp, const void *vaddr, uint64_t size);
uint64_t gen_pool_avail_sim(const struct gen_pool *gp);
uint64_t gen_pool_size_sim(const struct gen_pool *gp);
/* Visit chunks (newest first): owner is what gen_pool_add_sim got. */
void gen_pool_for_each_chunk(struct gen_pool *gp,
			     void (*fn)(void *ctx, void *vaddr, phys_addr_t phys,
					uint64_t size, void *owner),
			     void *ctx);

struct atomic_pool {
	const char *gfp_name;		/* "GFP_KERNEL", "GFP_KERNEL|GFP_DMA", ... */
	const char *backend;		/* "atomic-kernel", "atomic-dma", ... */
	unsigned gfp_zone;		/* GFPI_* */
	bool present;			/* created and filled at boot */
	struct gen_pool *gp;
	unsigned grown;			/* expansions after boot */
};

int dma_atomic_pool_init(struct dmapool_machine *m);
void dma_atomic_pool_destroy(struct dmapool_machine *m);
/* dma_alloc_from_pool(): phys or PHYS_NONE; *cpu the pool's WC alias. */
struct dmapool_decision;
phys_addr_t dma_alloc_from_pool(struct device *dev, uint64_t size, void **cpu,
				unsigned gfp, struct dmapool_decision *d);
/* dma_free_from_pool(): true if a pool owned [cpu, cpu+size). */
bool dma_free_from_pool(struct device *dev, void *cpu, uint64_t size);
/* The deferred atomic_pool_work: run it now if it was scheduled. */
void atomic_pool_run_work(struct dmapool_machine *m);

/* ------------------------------------------------------------------ */
/* swiotlb.c */

#define IO_TLB_SHIFT	11
#define IO_TLB_SIZE	(1u << IO_TLB_SHIFT)	/* 2 KiB slots */
#define IO_TLB_SEGSIZE	128			/* slots per segment */

struct io_tlb_slot {
	phys_addr_t orig_addr;		/* PHYS_NONE when free */
	uint32_t alloc_size;		/* bytes from this slot to the end */
	uint16_t pad_slots;
};

struct io_tlb_area {
	uint64_t used;			/* slots in use */
	uint64_t index;			/* next-fit cursor, area-relative */
};

struct io_tlb_pool {
	phys_addr_t start, end;		/* [start, end) */
	uint64_t nslabs;
	unsigned nareas;
	bool present;
	bool force;			/* force_bounce: swiotlb=force, restricted */
	bool for_alloc;			/* restricted pool: swiotlb_alloc() */
	const char *name;		/* "default" or the region's node name */
	/* run time (swiotlb_pool_setup) */
	uint64_t area_nslabs;
	struct io_tlb_slot *slots;
	struct io_tlb_area *areas;
	unsigned __int128 *freemap;	/* per segment: bit i = slot i free */
	uint8_t *segtree;		/* max free run per segment, a max tree */
	uint64_t nsegs, tree_leaves;
	uint64_t used_hiwater;
	unsigned warn_full;		/* "buffer is full" lines printed */
	pthread_mutex_t lock;
	bool ready;
};

/* mem_init's part: size, place, and print the default bounce pool. */
void swiotlb_init(struct dmapool_machine *m);
/* early_param part: called while parsing "swiotlb=". */
void swiotlb_parse_param(struct dmapool_machine *m, const char *val);
/* Slot tables of a pool whose start/end/nslabs/nareas are set. */
int swiotlb_pool_setup(struct io_tlb_pool *p);
void swiotlb_pool_teardown(struct io_tlb_pool *p);
/* The device's io_tlb_mem: its restricted pool, else the default pool
 * when it exists; NULL when it has none. */
struct io_tlb_pool *dev_io_tlb_pool(const struct device *dev);
bool is_swiotlb_active(const struct device *dev);
bool is_swiotlb_force_bounce(const struct device *dev);
/* The pool holding phys for this device, or NULL (is_swiotlb_buffer). */
struct io_tlb_pool *swiotlb_find_pool(const struct device *dev, phys_addr_t pa);
size_t swiotlb_max_mapping_size(const struct device *dev);
/* The decision backend of a bounce: "restricted-swiotlb" or "swiotlb". */
const char *swiotlb_backend_name(const struct device *dev);
/* swiotlb_map(): bounce [phys, phys+size); DMA address or DMA_ERR. */
dma_addr_t swiotlb_map(struct device *dev, phys_addr_t phys, size_t size,
		       enum dma_data_direction dir, unsigned long attrs,
		       struct dmapool_decision *d);
/* swiotlb_tbl_map_single(): a slot aligned to alloc_align_mask + 1 (the
 * IOMMU's granule), the buffer copied in; PHYS_NONE when full. */
phys_addr_t swiotlb_tbl_map_single(struct device *dev, phys_addr_t orig,
				   size_t size, uint64_t alloc_align_mask,
				   enum dma_data_direction dir, unsigned long attrs,
				   struct dmapool_decision *d);
/* __swiotlb_tbl_unmap_single(): copy back unless SKIP_CPU_SYNC, release. */
void swiotlb_tbl_unmap_single(struct device *dev, phys_addr_t tlb_addr,
			      size_t size, enum dma_data_direction dir,
			      unsigned long attrs, struct dmapool_decision *d);
/* swiotlb_sync_single_for_device (for_device) / _for_cpu */
void swiotlb_sync_single(struct device *dev, phys_addr_t tlb_addr, size_t size,
			 enum dma_data_direction dir, bool for_device,
			 struct dmapool_decision *d);
/* Restricted pools (CONFIG_DMA_RESTRICTED_POOL): phys or PHYS_NONE. */
phys_addr_t swiotlb_alloc(struct device *dev, size_t size,
			  struct dmapool_decision *d);
bool swiotlb_free(struct device *dev, phys_addr_t pa, size_t size);
/* Slots in use in a pool (mem_used). */
uint64_t swiotlb_used(struct io_tlb_pool *p);
/* The slot search's summaries (free masks, max tree) agree with each
 * other (p->lock held): 0, or -1 with the fault in msg. */
int swiotlb_check(const struct io_tlb_pool *p, char *msg, size_t len);

/* ------------------------------------------------------------------ */
/* iova.c — one DMA domain's IOVA space (drivers/iommu/iova.c) */

#define IOVA_RANGE_CACHE_MAX_SIZE	6	/* log2 size classes cached */

struct iova_stats {
	uint64_t live;		/* ranges in the tree (cached ones included) */
	uint64_t cached;	/* ranges sitting in the range caches */
	uint64_t hits, misses;	/* alloc_iova_fast: from a cache / not */
	uint64_t tree_allocs, tree_frees, flushes, walk_steps;
};
struct iova_domain;
/* init_iova_domain(): granule a power of two; start_pfn 0 means 1. */
struct iova_domain *iova_domain_create(uint64_t granule, uint64_t start_pfn);
void iova_domain_destroy(struct iova_domain *d);
uint64_t iova_granule(const struct iova_domain *d);
unsigned iova_shift(const struct iova_domain *d);
/* alloc_iova_fast(): first pfn of a size-aligned range at or below
 * limit_pfn, or 0; *cache_hit says whether a range cache served it. */
uint64_t alloc_iova_fast(struct iova_domain *d, uint64_t size,
			 uint64_t limit_pfn, bool flush_rcache, bool *cache_hit);
void free_iova_fast(struct iova_domain *d, uint64_t pfn, uint64_t size);
bool iova_is_allocated(struct iova_domain *d, uint64_t pfn, uint64_t *lo,
		       uint64_t *hi);
void iova_get_stats(struct iova_domain *d, struct iova_stats *out);
/* Tests: the kernel's plain walk instead of the gap-skipping one. */
extern bool iova_linear_walk;
void iova_walk(struct iova_domain *d,
	       void (*fn)(void *ctx, uint64_t lo, uint64_t hi), void *ctx);

/* ------------------------------------------------------------------ */
/* iommu.c — IOMMU instances, groups, DMA domains, dma-iommu */

struct iommu_instance;
struct iommu_domain;
struct iommu_group {
	int id;
	struct iommu_instance *iommu;
	struct iommu_domain *domain;
	struct device **devs;
	size_t n_devs;
	struct iommu_group *next;
};

struct iommu_state {
	struct iommu_instance **inst;
	size_t n_inst;
	struct iommu_group *groups;	/* newest first */
	int next_group_id;
	bool strict, passthrough;	/* effective defaults */
	pthread_mutex_t lock;		/* probing, groups */
};

/* iommu_subsys_init() lines and the IOMMU drivers' probes (boot). */
int iommu_init(struct dmapool_machine *m);
void iommu_destroy(struct dmapool_machine *m);
/* dma-iommu.c's entry points (the device is use_dma_iommu()). */
dma_addr_t iommu_dma_map_phys(struct device *dev, phys_addr_t phys, size_t size,
			      enum dma_data_direction dir, unsigned long attrs,
			      struct dmapool_decision *d);
void iommu_dma_unmap_phys(struct device *dev, dma_addr_t dma, size_t size,
			  enum dma_data_direction dir, unsigned long attrs,
			  struct dmapool_decision *d);
void iommu_dma_sync_single(struct device *dev, dma_addr_t dma, size_t size,
			   enum dma_data_direction dir, bool for_device,
			   struct dmapool_decision *d);
int iommu_dma_map_sg(struct device *dev, struct scatterlist *sgl, int nents,
		     enum dma_data_direction dir, unsigned long attrs,
		     struct dmapool_decision *d);
void iommu_dma_unmap_sg(struct device *dev, struct scatterlist *sgl, int nents,
			enum dma_data_direction dir, unsigned long attrs,
			struct dmapool_decision *d);
void iommu_dma_sync_sg(struct device *dev, struct scatterlist *sgl, int nents,
		       enum dma_data_direction dir, bool for_device,
		       struct dmapool_decision *d);
void *iommu_dma_alloc(struct device *dev, size_t size, dma_addr_t *handle,
		      unsigned gfp, unsigned long attrs, struct dmapool_decision *d);
void iommu_dma_free(struct device *dev, size_t size, void *cpu, dma_addr_t handle,
		    unsigned long attrs, struct dmapool_decision *d);
dma_addr_t iommu_dma_map_resource(struct device *dev, phys_addr_t phys,
				  size_t size, enum dma_data_direction dir,
				  unsigned long attrs, struct dmapool_decision *d);
/* The pages behind a coherent allocation (dma_get_sgtable/dma_mmap):
 * 0 and a malloc'd array of page addresses, or -ENXIO. */
int iommu_dma_alloc_pages_of(struct device *dev, void *cpu, dma_addr_t handle,
			     phys_addr_t **pages, size_t *n);
/* The physical address an IOVA translates to now, PHYS_NONE if none. */
phys_addr_t iommu_iova_to_phys(struct device *dev, dma_addr_t iova);
/* A device access through the IOMMU: the transfer, or a fault report.
 * 0 done, -EFAULT faulted (nothing transferred). */
int iommu_dev_access(struct device *dev, dma_addr_t addr, void *buf,
		     size_t len, bool write);
/* inspect and JSON: the domain type of the device's group ("strict",
 * "lazy", "passthrough") or NULL when it is not attached. */
const char *iommu_domain_mode(const struct device *dev);
struct iommu_info {
	const char *name;
	int node;
	bool smmuv3;
	unsigned sid_bits, ias;
	uint64_t granule, pgsize_bitmap;
	size_t n_streams, n_l2, n_groups;
	phys_addr_t cmdq, evtq;		/* PHYS_NONE: none */
};
size_t iommu_count(const struct dmapool_machine *m);
int iommu_get_info(struct dmapool_machine *m, size_t i, struct iommu_info *out);
/* Attach every device that names an IOMMU, in tree order (the kernel
 * binds drivers at boot); inspect does this before it prints. */
void iommu_probe_all(struct dmapool_machine *m);

/* ------------------------------------------------------------------ */
/* fdt.c — helpers over libfdt */

int fdt_cells(const void *fdt, int node, const char *name, int dflt);
uint64_t fdt_read_cells(const uint32_t *p, int n);	/* big-endian cells */
int fdt_node_is_available(const void *fdt, int node);
/* Path of node into buf; returns buf or "?" */
const char *fdt_path(const void *fdt, int node, char *buf, int len);
/* The same, or NULL for a negative or unknown node (JSON null, "none"). */
const char *fdt_path_or_null(const void *fdt, int node, char *buf, int len);
/* Translate a child bus address through every ancestor's "ranges". */
int fdt_translate_address(const void *fdt, int node, uint64_t addr,
			  uint64_t *out);

/* ------------------------------------------------------------------ */
/* Devices (device.c) */

struct bus_dma_region {
	phys_addr_t cpu_start;
	dma_addr_t dma_start;
	uint64_t size;
};

/* An OF node as driver code sees it (include/linux-compat/linux/of.h). */
struct device_node {
	struct dmapool_machine *m;
	int offset;		/* fdt offset */
};

struct device {
	struct dmapool_machine *m;
	struct device_node of_node;
	char *name;		/* dev_name() */
	char *path;
	char *label;
	int node;		/* fdt offset */
	bool coherent;
	uint64_t dma_mask_store;
	uint64_t *dma_mask;
	uint64_t coherent_dma_mask;
	uint64_t bus_dma_limit;
	struct bus_dma_region *dma_range_map;	/* NULL or size-0 terminated */
	size_t n_ranges;
	uint64_t max_seg_size;
	uint64_t seg_boundary;
	uint64_t min_align_mask;	/* dma_set_min_align_mask() */
	bool dma_skip_sync;		/* dma_setup_need_sync / reset by SWIOTLB */
	/* memory-region */
	int *mr_nodes;		/* fdt offsets (-1 = bad phandle) */
	size_t n_mr;
	char **mr_names;	/* memory-region-names, n_mr_names entries */
	size_t n_mr_names;
	/* IOMMU reference, recorded for the IOMMU layer */
	int iommu_node;		/* -1 none */
	uint32_t iommu_args[4];
	int iommu_nargs;
	/* pools attached by of_reserved_mem_device_init* */
	struct dma_coherent_mem *dma_mem;
	struct cma_area *cma_area;
	struct io_tlb_pool *restricted;
	struct reserved_mem *assigned[8];
	size_t n_assigned;
	bool is_probe;		/* compatible "libdmapool,probe" */
	struct dmapool_decision *last;	/* last decision (decision.c) */
	struct dma_pool *dma_pools;	/* dmapool.c, newest first */
	const char *drv_name;	/* bound driver (static string) or NULL */
	struct dbg_entry *dbg_root;	/* debug.c: live mappings (m->dbg_lock) */
	struct dbg_entry *dbg_pend;	/* debug.c: live, not yet in the treap */
	size_t dbg_n;
	uintptr_t *dbg_hash;		/* debug.c: exact-address hash (open
					 * addressing, fingerprinted slots) */
	size_t dbg_hcap, dbg_htomb;	/* its slots, and the removed ones */
	uint64_t dbg_errors;		/* DMA-API errors of this device */
	bool fail_next_map;		/* fault.c: forced failures */
	size_t fail_alloc_min;
	/* iommu.c: set once when the device is probed (first DMA use) */
	bool iommu_probed;
	bool iommu_passthrough_cfg;	/* config: identity domain wanted */
	bool untrusted;			/* behind an "external-facing" port */
	bool pci_32bit_workaround;	/* PCI-like: try below 4 GiB first */
	struct iommu_group *iommu_group;	/* NULL: dma-direct */
	uint32_t sids[8];		/* stream IDs of every "iommus" entry */
	unsigned n_sids;
};

/* iommu.c: attach the device to its IOMMU (once, at the first DMA use:
 * the kernel does it when the driver binds). */
void iommu_probe_device_i(struct device *dev);
static inline void iommu_dev_probe(struct device *dev)
{
	if (!__atomic_load_n(&dev->iommu_probed, __ATOMIC_ACQUIRE))
		iommu_probe_device_i(dev);
}
/* A flat scatterlist's next entry (NULL after the last) and an entry's
 * physical address (mapping.c, iommu.c). */
static inline struct scatterlist *sg_next_i(struct scatterlist *sg)
{
	return (sg->page_link & SG_END) ? NULL : sg + 1;
}
phys_addr_t sg_phys_i(struct dmapool_machine *m, const struct scatterlist *sg);

/* use_dma_iommu(): the device is in a translating DMA domain. */
bool use_dma_iommu_i(const struct device *dev);
static inline bool use_dma_iommu(const struct device *dev)
{
	return dev->iommu_group && use_dma_iommu_i(dev);
}

int devices_init(struct dmapool_machine *m);
void devices_free(struct dmapool_machine *m);

/* dev_driver_string(): the driver's name, else the bus name "platform".
 * dev_info()-style lines are "<dev_driver_string> <dev_name>: text". */
const char *dev_driver_string(const struct device *dev);

/* dma-direct address translation through dev->dma_range_map (identity
 * without a map): DMA_ERR / PHYS_NONE when outside every range. */
dma_addr_t phys_to_dma(const struct device *dev, phys_addr_t pa);
phys_addr_t dma_to_phys(const struct device *dev, dma_addr_t addr);
/* addr != DMA_ERR and addr + size - 1 <= min_not_zero(*dma_mask,
 * bus_dma_limit). */
bool dma_capable(const struct device *dev, dma_addr_t addr, size_t size);
/* Lowest inclusive CPU end address reachable through any non-empty
 * dma-ranges in the tree (available nodes only); UINT64_MAX when none. */
uint64_t of_dma_get_max_cpu_address(struct dmapool_machine *m);

/* fdt.c helpers used by device.c (kernel semantics for cell counts). */
#define FDT_BAD_ADDR	(~(uint64_t)0)	/* OF_BAD_ADDR */
/* name ("#address-cells"/"#size-cells") of node, else of the nearest
 * ancestor, else 1 (of_bus_n_addr_cells). */
int fdt_bus_cells(const void *fdt, int node, const char *name);
/* The same for the bus node sits on (of_n_addr_cells). */
int fdt_n_cells(const void *fdt, int node, const char *name);
/* fdt_translate_address() through rprop: "ranges" (a missing property on a
 * non-root bus fails) or "dma-ranges" (a missing property is 1:1).
 * 0 or -ENOENT. */
int fdt_translate_address_prop(const void *fdt, int node, uint64_t addr,
			       const char *rprop, uint64_t *out);
/* One node's non-empty dma-ranges, contiguous entries merged; cpu_addr is
 * FDT_BAD_ADDR for an entry that does not translate.  *out is malloc'd
 * (NULL with *n = 0 when absent/empty). 0 or -ENOMEM. */
struct fdt_dma_range {
	uint64_t bus_addr, cpu_addr, size;
};
int fdt_parse_dma_ranges(const void *fdt, int node,
			 struct fdt_dma_range **out, size_t *n);
/*
 * Every node's parent and every phandle, indexed once: libfdt finds a
 * parent or a phandle by scanning the tree from its start, which is
 * quadratic over a tree of thousands of nodes.  machine.c builds the index
 * for the boot and makes it the calling thread's (fdt_index_use); the two
 * lookups below use it when it is the index of that blob, else libfdt.
 */
struct fdt_index {
	const void *fdt;
	int *parent;			/* by node offset / 4; INT_MIN: not a node */
	size_t nparent;
	struct fdt_phandle { uint32_t ph; int node; } *ph;	/* sorted */
	size_t nph;
	int symbols;			/* /__symbols__, or a libfdt error */
};
int fdt_index_build(struct fdt_index *ix, const void *fdt);
void fdt_index_free(struct fdt_index *ix);
void fdt_index_use(const struct fdt_index *ix);
/* fdt_parent_offset() and fdt_node_offset_by_phandle(), indexed. */
int fdt_parent(const void *fdt, int node);
int fdt_phandle_node(const void *fdt, uint32_t phandle);
/* fdt_get_path() (0 or -FDT_ERR_*) and the /__symbols__ node, indexed. */
int fdt_node_path(const void *fdt, int node, char *buf, int len);
int fdt_symbols_node(const void *fdt);

/* ------------------------------------------------------------------ */
/* debug.c — live mappings and allocations per device */

/* kernel/dma/debug.c's types: "single" (dma_map_single/page),
 * "scatter-gather", "coherent", "noncoherent" (dma_alloc_pages),
 * "resource" */
enum dbg_type { DBG_SINGLE, DBG_SG, DBG_COHERENT, DBG_NONCOHERENT, DBG_RESOURCE };
enum dbg_map_err { MAP_ERR_NA, MAP_ERR_NOT_CHECKED, MAP_ERR_CHECKED };

struct dbg_entry {
	struct dbg_entry *l, *r;	/* treap children; pending: prev, next */
	struct dbg_entry *hnext;	/* debug.c: the free list's link */
	uint64_t seq, max_end;
	dma_addr_t dma;
	size_t size;
	phys_addr_t orig;	/* the driver's buffer */
	const void *cpu;	/* coherent allocations: the CPU address */
	int8_t type, dir;
	int sg_call_ents;	/* nents passed to dma_map_sg */
	uint8_t map_err;	/* enum dbg_map_err */
	bool cpu_owned;		/* streaming: after sync_for_cpu */
	bool strict;		/* its pages are counted in pm_bank.sown */
	bool cln_tracked;	/* counted in the active-cacheline table */
	bool unlinked;		/* out of the device's tree (debug_unlink) */
	bool in_tree;		/* in the treap, not on the pending list */
};

/* A mapping that changes hands (map, syncs): not a coherent allocation,
 * not MMIO (dma_map_resource). */
static inline bool dbg_streaming(const struct dbg_entry *e)
{
	return e->type != DBG_COHERENT && e->type != DBG_RESOURCE;
}

/* Copy tmpl into a new entry of dev and count it in the active-cacheline
 * table (add_dma_entry(), reports with attrs' rules); NULL: out of memory. */
struct dbg_entry *debug_add(struct device *dev, const struct dbg_entry *tmpl,
			    unsigned long attrs);
void debug_del(struct device *dev, struct dbg_entry *e);
/* Take e out of its device's tree and hash, not freeing it: an unmap or
 * free does this before it gives the DMA address back, so that another
 * thread that gets the same address never finds the old entry (which the
 * first thread then frees).  debug_del() frees it afterwards. */
void debug_unlink(struct device *dev, struct dbg_entry *e);
/* The entry containing [a, a+len) best (type -1: any), or NULL. */
struct dbg_entry *debug_find(struct device *dev, dma_addr_t a, size_t len,
			     int type);
/* The first entry starting exactly at a (type -1: any). */
struct dbg_entry *debug_find_start(struct device *dev, dma_addr_t a, int type);
void debug_walk(struct device *dev, void (*fn)(struct dbg_entry *, void *),
		void *ctx);
/* A device-owned streaming entry whose buffer meets [lo, hi), any device. */
struct dbg_entry *debug_find_phys(struct dmapool_machine *m, phys_addr_t lo,
				  phys_addr_t hi, struct device **dev);
void debug_release_device(struct device *dev);
size_t debug_count(struct device *dev);

/* The checks of kernel/dma/debug.c (reports "DMA-API: drv dev: ..."). */
struct dbg_ref {		/* what an unmap, free or sync call says */
	int type, dir;
	dma_addr_t dma;
	size_t size;
	const void *cpu;	/* coherent frees */
	int sg_call_ents;	/* sg unmap and sync: -1 when not sg */
};
/* check_unmap(): the entry the call frees (reports first), or NULL. */
struct dbg_entry *debug_check_unmap(struct device *dev, const struct dbg_ref *ref);
/* check_sync(): the containing entry, or NULL (reported). */
struct dbg_entry *debug_check_sync(struct device *dev, const struct dbg_ref *ref,
				   bool to_cpu);
/* debug_dma_mapping_error(). */
void debug_mapping_error(struct device *dev, dma_addr_t dma);
/* check_for_stack(): is p on the calling thread's stack? */
bool debug_on_stack(const void *p);
/* check_for_illegal_area(): in a read-only file mapping (text, rodata)? */
bool debug_in_rodata(const void *p);
void debug_err(struct device *dev, const char *kind, uint64_t addr,
	       uint64_t size, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
const char *debug_type_name(int type);
void debug_free_all(struct dmapool_machine *m);

/* ------------------------------------------------------------------ */
/* The machine */

#define DMAPOOL_MAX_CMA 64

struct dmapool_machine {
	struct dmapool_profile prof;
	struct dmapool_log log;
	dmapool_report_fn report_sink;
	void *report_ctx;
	unsigned flags;
	struct {
		struct dmapool_report *r;	/* text malloc'd, kind static */
		size_t n, cap;
	} reports;
	uint64_t ram_limit;

	void *fdt;
	size_t fdt_size;
	int root_ac, root_sc;

	char *bootargs;			/* effective command line */
	struct bootparams bp;

	struct memblock mb;
	phys_addr_t kernel_start, kernel_end;

	struct reserved_mem *rmem;	/* saved regions (array) */
	size_t n_rmem;
	size_t n_rmem_cap;

	struct cma_area *cma[DMAPOOL_MAX_CMA];
	size_t n_cma;
	struct cma_area *default_cma;

	struct dma_coherent_mem *global_pool;
	phys_addr_t global_pool_base, global_pool_size;

	phys_addr_t zone_dma_limit;	/* inclusive limit of ZONE_DMA */
	phys_addr_t dma_phys_limit;	/* arm64_dma_phys_limit (exclusive) */
	phys_addr_t highmem_start;	/* arm_lowmem_limit; PHYS_NONE: no highmem */
	struct zone_info zones[MAX_NR_ZONES];
	uint64_t max_pfn, min_pfn;
	uint64_t totalram_pages;

	struct physmem pm;
	void *vmemmap;			/* struct page range (never dereferenced) */
	size_t vmemmap_len;
	struct dmapool_machine *reg_next;	/* registry link */
	struct buddy *buddy;
	struct slab_state *slab;

	struct atomic_pool atomic[3];	/* kernel, dma, dma32: print order */
	uint64_t atomic_pool_size;

	struct io_tlb_pool swiotlb;

	struct device **devs;
	size_t n_devs;

	pthread_mutex_t lock;

	/* run-time state of the DMA API */
	pthread_mutex_t zone_lock;	/* warn-once flags of the page allocator */
	pthread_mutex_t pool_lock;	/* atomic pools (the gen_pool lock) */
	pthread_mutex_t dec_lock;	/* decision records and sink */
	pthread_mutex_t dmapools_lock;	/* every device's dma_pool list */
	bool atomic_work_pending;	/* atomic_pool_work scheduled */
	bool warned_page_order;		/* WARN_ON_ONCE in __alloc_pages */
	bool warned_no_coherent;	/* pr_warn_once in dma_direct_alloc */
	bool warned_zero_mask;		/* WARN_ON_ONCE(!coherent_dma_mask) */
	bool warned_comp;		/* WARN_ON_ONCE(gfp & __GFP_COMP) */
	struct {			/* dev_WARN_ONCE call sites (dec_lock) */
		bool swiotlb_access, swiotlb_overflow, swiotlb_overflow2;
		bool swiotlb_addr, swiotlb_align, map_overflow, map_vmalloc;
		bool map_no_mask, sg_errno, sg_overflow, resource_overflow;
		bool iommu_align, iommu_bounce;
	} once;
	uint64_t cache_ops[4];		/* per enum dmapool_cache_op (cache.c) */
	uint64_t cache_bytes[4];
	struct vmalloc_state *vmalloc;	/* vmalloc.c */
	bool trace_off;			/* dmapool_set_tracing(m, false) */
	bool init_on_alloc;		/* want_init_on_alloc(): profile or init_on_alloc= */
	uint64_t decision_seq;
	dmapool_decision_fn decision_sink;
	void *decision_ctx;
	struct arm_dma_state *arm;	/* arm_dma.c (profile "arm") */
	pthread_mutex_t dbg_lock;	/* debug.c: every device's entries */
	uint64_t dbg_seq;
	struct dbg_entry *dbg_free;	/* debug.c: free entries (dbg_lock) */
	size_t dbg_nfree;
	struct dbg_chunk *dbg_chunks;	/* debug.c: the entries' slabs */
	struct {			/* debug.c: active cachelines (dbg_lock) */
		uint64_t *key;		/* line number + 1 | overlap << 61; 0 empty */
		size_t cap, n;
		bool warned;		/* WARN_ONCE: more than 7 overlaps */
	} cln;
	uint64_t dbg_errors;		/* error_count */
	bool dbg_first_only;		/* !all_errors: show only the first */
	uint64_t dbg_shown;
	char *dbg_driver_filter;	/* dma_debug_driver= */
	pthread_mutex_t cache_lock;	/* cache.c: line state, eviction PRNG */
	bool tearing_down;		/* machine_free() has begun: aliases
					 * skip the page-state bookkeeping */
	uint64_t prng;			/* xorshift state (cache_seed) */
	int trap_slot;			/* trap.c registry slot, -1 none */
	bool fail_atomic;		/* fault.c: the atomic pools act empty */
	struct iommu_state iommu;	/* iommu.c */
	char *iommu_pt_devs;		/* config: identity-domain devices */
};

/* Parse memparse syntax ("64M", "0x1000", "1G"); end set past it. */
uint64_t memparse(const char *s, const char **end);
/* Format a byte count like "64 MiB" into buf. */

/* ------------------------------------------------------------------ */
/* coherent.c */

struct dma_coherent_mem;
void dma_coherent_mem_free(struct dmapool_machine *m, struct dma_coherent_mem *mem);
void coherent_free_all(struct dmapool_machine *m);
/* Free a pool the device declared itself (device teardown). */
void coherent_release_declared(struct device *dev);
int dma_init_global_pool(struct dmapool_machine *m);
uint64_t dma_coherent_mem_pages(const struct dma_coherent_mem *mem);
phys_addr_t dma_coherent_mem_base(const struct dma_coherent_mem *mem);

/* Live machines (machine.c): kernel-style calls without a machine
 * argument (virt_to_phys, pfn_to_page...) resolve through this list. */
void machine_registry_add(struct dmapool_machine *m);
void machine_registry_del(struct dmapool_machine *m);
struct dmapool_machine *machine_registry_find_va(const void *va);
struct dmapool_machine *machine_current(void);
/* physmem.c: struct page is an address in a PROT_NONE "vmemmap" range */
int physmem_vmemmap_init(struct dmapool_machine *m);
bool physmem_is_page(struct dmapool_machine *m, const void *page);

/* dev_info(): "<driver> <dev_name>: text" to the kernel log. */
void dev_klog(const struct device *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* of_reserved_mem.c: attach / release (kernel API names in linux-compat) */
int rmem_dma_device_init(struct reserved_mem *rmem, struct device *dev);
void rmem_dma_device_release(struct reserved_mem *rmem, struct device *dev);

/* ------------------------------------------------------------------ */
/* decision.c — the recorded decision trace */

/* Start a record (d may be NULL: then every dt_* call is a no-op). */
void dt_begin(struct dmapool_decision *d, const struct device *dev,
	      const char *op, uint64_t size, unsigned gfp, unsigned long attrs);
/* One visited stage: the condition tested and the answer. */
void dt_step_i(struct dmapool_decision *d, const char *stage, const char *func,
	       const char *answer, const char *cond_fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* No call at all when the call is not traced (d == NULL): the hot paths
 * pass many arguments. */
#define dt_step(d, ...)	do {						\
		struct dmapool_decision *dt_d_ = (d);			\
		if (dt_d_)						\
			dt_step_i(dt_d_, __VA_ARGS__);			\
	} while (0)
void dt_result(struct dmapool_decision *d, const char *backend, phys_addr_t pa,
	       dma_addr_t dma, const void *cpu, enum dmapool_attr attr);
/* Store as the device's last decision and call the sink. */
void dt_end(struct device *dev, struct dmapool_decision *d);
void dt_free_device(struct device *dev);
/* Start a streaming record: dir is enum dma_data_direction. */
void dt_begin_map(struct dmapool_decision *d, const struct device *dev,
		  const char *op, uint64_t size, int dir, unsigned long attrs);
/* The SWIOTLB slot a mapping went through. */
void dt_result_phys(struct dmapool_decision *d, phys_addr_t bounce);
const char *dir_name(int dir);
/* Human-readable gfp / attrs ("GFP_KERNEL|__GFP_NOWARN", "WRITE_COMBINE"). */
const char *gfp_name(unsigned gfp, char *buf, size_t len);
const char *attrs_name(unsigned long attrs, char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* direct.c — dma-direct */

uint64_t page_align(const struct dmapool_machine *m, uint64_t size);
/* get_order(): get_order(0) is the kernel's (BITS_PER_LONG - PAGE_SHIFT). */
unsigned get_order_sz(const struct dmapool_machine *m, uint64_t size);
bool dev_is_dma_coherent_i(const struct device *dev);
/* dma_direct_optimal_gfp_mask(): zone bits, *phys_limit set. */
unsigned dma_direct_optimal_gfp_mask(const struct device *dev,
				     uint64_t *phys_limit);
bool dma_coherent_ok(const struct device *dev, phys_addr_t phys, uint64_t size);
/* __dma_direct_alloc_pages(): phys or PHYS_NONE; *backend names the
 * source ("dev-cma", "default-cma", "buddy-dma32", ...). */
phys_addr_t dma_direct_alloc_pages_i(struct device *dev, uint64_t size,
				     unsigned gfp, struct dmapool_decision *d,
				     const char **backend);
void *dma_direct_alloc(struct device *dev, uint64_t size, dma_addr_t *handle,
		       unsigned gfp, unsigned long attrs,
		       struct dmapool_decision *d);
void dma_direct_free(struct device *dev, uint64_t size, void *cpu,
		     dma_addr_t handle, unsigned long attrs,
		     struct dmapool_decision *d);
/* dma_pgprot(): the cache attribute of a remapped coherent buffer. */
enum dmapool_attr dma_pgprot_attr(const struct device *dev, unsigned long attrs);
/* buddy allocation as __alloc_pages does it (WARN_ON_ONCE for order >
 * MAX_PAGE_ORDER unless __GFP_NOWARN). */
phys_addr_t alloc_pages_i(struct dmapool_machine *m, unsigned gfp,
			  unsigned order);
const char *buddy_backend_name(const struct dmapool_machine *m, phys_addr_t pa);
/* arch_dma_prep_coherent(): write back the cacheable linear alias. */
void arch_dma_prep_coherent_i(struct dmapool_machine *m, phys_addr_t pa,
			      uint64_t size);

/* contiguous.c — allocation side */
/* dma_alloc_contiguous(): phys or PHYS_NONE; *area the area used. */
phys_addr_t dma_alloc_contiguous(struct device *dev, uint64_t size, unsigned gfp,
				 struct dmapool_decision *d,
				 struct cma_area **area);
/* dma_free_contiguous(): CMA release, else buddy free. */
void dma_free_contiguous(struct device *dev, phys_addr_t pa, uint64_t size);
/* dma_alloc_from_contiguous(): the legacy API (arm, IOMMU, atomic pools). */
phys_addr_t dma_alloc_from_contiguous(struct dmapool_machine *m,
				      struct device *dev, uint64_t count,
				      unsigned align, bool no_warn);
struct cma_area *dev_get_cma_area(const struct device *dev);
struct cma_area *cma_area_of(struct dmapool_machine *m, phys_addr_t pa);

/* coherent.c — allocation side */
/* 1 if the device has a pool (then *ret is the result, maybe NULL). */
int dma_alloc_from_dev_coherent(struct device *dev, uint64_t size,
				dma_addr_t *handle, void **ret,
				struct dmapool_decision *d);
int dma_release_from_dev_coherent(struct device *dev, unsigned order, void *vaddr);
/* The address lies in the device's own coherent pool. */
bool dev_coherent_contains(const struct device *dev, const void *vaddr);
void *dma_alloc_from_global_coherent(struct device *dev, uint64_t size,
				     dma_addr_t *handle,
				     struct dmapool_decision *d);
int dma_release_from_global_coherent(struct dmapool_machine *m, unsigned order,
				     void *vaddr);
/* 1 if [vaddr, vaddr+size) is in the pool; *ret the mmap result. */
int dma_mmap_from_dev_coherent(struct device *dev, struct vm_area_struct *vma,
			       void *vaddr, uint64_t size, int *ret);
int dma_mmap_from_global_coherent(struct device *dev,
				  struct vm_area_struct *vma, void *vaddr,
				  uint64_t size, int *ret);
/* Map pages [pa, pa + len) into vma with its attribute (remap_pfn_range). */
int remap_pfn_range_i(struct dmapool_machine *m, struct vm_area_struct *vma,
		      phys_addr_t pa, uint64_t len);

/* Kernel-named DMA API exports: include/linux-compat/dmapool-kapi.h */

/* arm_dma.c — arch/arm/mm/dma-mapping.c (profile "arm") */
int arm_dma_init(struct dmapool_machine *m);
void arm_dma_destroy(struct dmapool_machine *m);
void *arch_dma_alloc(struct device *dev, uint64_t size, dma_addr_t *handle,
		     unsigned gfp, unsigned long attrs,
		     struct dmapool_decision *d);
void arch_dma_free(struct device *dev, uint64_t size, void *cpu,
		   dma_addr_t handle, unsigned long attrs);

/* dev_WARN_ONCE(): the "<driver> <dev>: text" line once per call site
 * (flag in m->once). */
bool dev_warn_once_i(struct device *dev, bool *flag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Hardware line traffic.  The cache model copies whole lines between the
 * CPU view and DRAM under the cache lock; a line may hold bytes another
 * thread's driver code is storing to at that moment, exactly as on a real
 * machine.  Under ThreadSanitizer those copies are the hardware's, not the
 * program's: line_traffic_begin()/_end() (called with the cache lock
 * held) tell it to ignore this thread's memory accesses in between.  The
 * cache lock still orders the model's own state.  No-ops otherwise.
 */
#if defined(__SANITIZE_THREAD__)
#define DMAPOOL_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define DMAPOOL_TSAN 1
#endif
#endif
#ifdef DMAPOOL_TSAN
void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_end(void);
static inline void line_traffic_begin(void) { __tsan_ignore_thread_begin(); }
static inline void line_traffic_end(void) { __tsan_ignore_thread_end(); }
#else
static inline void line_traffic_begin(void) {}
static inline void line_traffic_end(void) {}
#endif

/* cache.c — arch_sync_dma_for_device / _for_cpu and the CPU's copies */
enum dmapool_cache_op cache_op_for_device(const struct dmapool_profile *p,
					  enum dma_data_direction dir);
enum dmapool_cache_op cache_op_for_cpu(const struct dmapool_profile *p,
				       enum dma_data_direction dir);
void arch_sync_dma_for_device(struct device *dev, phys_addr_t pa,
			      size_t size, enum dma_data_direction dir,
			      struct dmapool_decision *d);
void arch_sync_dma_for_cpu(struct device *dev, phys_addr_t pa,
			   size_t size, enum dma_data_direction dir,
			   struct dmapool_decision *d);
/* arch_dma_prep_coherent(): before a non-cacheable alias is made. */
void cache_prep_coherent(struct dmapool_machine *m, phys_addr_t pa, size_t size);
/* A device's read or write of RAM at pa (device.c has checked it). */
void cache_dev_access(struct device *dev, const struct dbg_entry *e,
		      phys_addr_t pa, void *buf, size_t len, bool write);
/* Report device data hidden behind stale lines of [pa, pa+size). */
void cache_check_stale(struct device *dev, const struct dbg_entry *e,
		       phys_addr_t pa, size_t size);
/* The mapping the current maintenance is for (reports name it). */
extern __thread const struct dbg_entry *cache_entry_ctx;
/* trap.c */
void trap_register(struct dmapool_machine *m);
void trap_unregister(struct dmapool_machine *m);
/* Put the handler back in front if another replaced it. */
void trap_ensure(void);
/* memcpy through the linear map, as the CPU (swiotlb_bounce). */
void cpu_copy_phys(struct dmapool_machine *m, phys_addr_t dst, phys_addr_t src,
		   size_t len);

/* direct.c — streaming half of dma-direct */
/* sg: the call comes from dma_direct_map_sg (its own WARN_ONCE site). */
dma_addr_t dma_direct_map_phys(struct device *dev, phys_addr_t phys,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs, bool sg,
			       struct dmapool_decision *d);
void dma_direct_unmap_phys(struct device *dev, dma_addr_t addr, size_t size,
			   enum dma_data_direction dir, unsigned long attrs,
			   struct dmapool_decision *d);
void dma_direct_sync_single_for_device(struct device *dev, dma_addr_t addr,
				       size_t size, enum dma_data_direction dir,
				       struct dmapool_decision *d);
void dma_direct_sync_single_for_cpu(struct device *dev, dma_addr_t addr,
				    size_t size, enum dma_data_direction dir,
				    struct dmapool_decision *d);
bool dma_kmalloc_needs_bounce(const struct device *dev, size_t size,
			      enum dma_data_direction dir);

/* dmapool.c: driver unbind — managed pools destroyed, the bookkeeping of
 * the others freed. */
struct dma_pool;
void dmapool_release_device(struct device *dev);

/* vmalloc.c — the vmalloc area: pages mapped at a separate address */
void vmalloc_destroy(struct dmapool_machine *m);
/* Machine whose vmalloc area holds va (NULL if none); *pa its page's
 * physical address when it is mapped. */
bool vmalloc_lookup(struct dmapool_machine *m, const void *va, phys_addr_t *pa);

/* physmem.c: an alias at a fixed address (MAP_FIXED) or anywhere. */
void *physmem_map_alias_at(struct dmapool_machine *m, phys_addr_t pa,
			   size_t len, enum dmapool_attr attr, void *at);
bool physmem_is_alias(struct dmapool_machine *m, const void *va);
/* Physical address of a linear-map pointer only (PHYS_NONE otherwise). */
phys_addr_t physmem_linear_to_phys(struct dmapool_machine *m, const void *va);
/* Map RAM [pa, pa+len) at `at` (MAP_FIXED) without recording an alias
 * (vmalloc keeps its own records); NULL on failure. */
void *physmem_map_pages_at(struct dmapool_machine *m, phys_addr_t pa,
			   size_t len, void *at);

/* ------------------------------------------------------------------ */
/* check.c — dmapool_machine_check(): the counts each module keeps beside
 * a structure, read under that structure's own lock (one lock at a time;
 * dma_pool_acct_each() holds the dma_pool list lock over each pool's);
 * and what the fuzzers' findings needed (tests/fuzz/). */

/* pool.c: cpu lies in a chunk of one of the atomic pools. */
bool dma_in_atomic_pool(struct dmapool_machine *m, const void *cpu);

/* A coherent pool: its pages, its bitmap's size, weight and set bits. */
void dma_coherent_mem_acct(struct dma_coherent_mem *mem, uint64_t *pages,
			   uint64_t *bits, uint64_t *weight, uint64_t *counted);
/* Chunk i (newest first) of a gen_pool, whose lock the caller holds: its
 * bitmap's weight and set bits; -ENOENT past the last chunk. */
int gen_pool_chunk_acct_sim(const struct gen_pool *gp, size_t i,
			    phys_addr_t *phys, uint64_t *pages, uint64_t *weight,
			    uint64_t *counted);
/* debugfs.c (dmapool_region_usage): a coherent pool's start, pages and
 * bitmap, seen by fn under the pool's lock; chunk i (newest first) of a
 * gen_pool whose lock the caller holds, with its bitmap. */
struct rbitmap;
void dma_coherent_mem_read(struct dma_coherent_mem *mem,
			   void (*fn)(void *ctx, phys_addr_t base, uint64_t pages,
				      const struct rbitmap *bm),
			   void *ctx);
int gen_pool_chunk_bitmap_sim(const struct gen_pool *gp, size_t i,
			      phys_addr_t *phys, uint64_t *pages,
			      const struct rbitmap **bm);
/* The same for the ARM atomic pool (profile "arm"), under its lock. */
int arm_dma_pool_acct(struct dmapool_machine *m, size_t i, phys_addr_t *phys,
		      uint64_t *pages, uint64_t *weight, uint64_t *counted);
/* A zone's nr_free, the pages its per-order block counts add up to and
 * those its free-block maps hold; *bad_order the first order whose count
 * and map disagree (-1: none).  -ENOENT for an empty zone. */
int buddy_core_acct(struct buddy *b, enum zone_type zone, uint64_t *nr_free,
		    uint64_t *by_blocks, uint64_t *by_maps, int *bad_order);
/* Each dma_pool of dev: blocks carved, blocks in use (nr_active), the free
 * list's length (at most blocks + 1) and the blocks marked in use. */
void dma_pool_acct_each(struct device *dev,
			void (*fn)(void *ctx, const char *name, size_t blocks,
				   size_t active, size_t listed, size_t marked),
			void *ctx);
/* dev's live-entry count and the entries in its tree (with those still
 * pending insertion) and its hash. */
void debug_acct(struct device *dev, size_t *kept, size_t *in_tree,
		size_t *in_hash);
/* The active-cacheline table's count and its occupied slots. */
void debug_cln_acct(struct dmapool_machine *m, size_t *kept, size_t *counted);
/* The free-entry count and the free list's length. */
void debug_free_acct(struct dmapool_machine *m, size_t *kept, size_t *listed);

/* ------------------------------------------------------------------ */
/* fault.c — fail_nth and forced failures */

bool fault_fire(void);
/* The heap hook (fault.c): counted, never failed on purpose. */
void *heap_malloc(size_t n);
void *heap_calloc(size_t n, size_t s);
void *heap_realloc(void *p, size_t n);
char *heap_strdup(const char *s);
int heap_vasprintf(char **out, const char *fmt, va_list ap);
int heap_asprintf(char **out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void heap_free(void *p);
/* A block libc allocated for the library joins the count; a block handed
 * to the caller (who frees it with free()) leaves it.  Both return p. */
void *heap_adopt(void *p);
void *heap_release(void *p);
/* Counted, and subject to fail_nth. */
void *fault_malloc(size_t n);
void *fault_calloc(size_t n, size_t s);
void *fault_realloc(void *p, size_t n);
char *fault_strdup(const char *s);
int fault_vasprintf(char **out, const char *fmt, va_list ap);
int fault_asprintf(char **out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void *fault_mmap(void *a, size_t len, int prot, int flags, int fd, off_t off);
int fault_memfd_create(const char *name, unsigned int flags);
/* The forced failure armed for this call, consumed. */
bool fault_take_map(struct device *dev);
bool fault_take_alloc(struct device *dev, size_t size);
void fault_env_apply(struct dmapool_machine *m);
void fault_env_arm(void);

/*
 * The one allocator hook.  Every heap block, mapping and memfd of the
 * library goes through fault.c: heap blocks are counted
 * (dmapool_heap_stats()), and everything can be made to fail
 * (dmapool_fail_nth) except in log.c and decision.c, which define
 * DMAPOOL_FAULT_EXEMPT (a lost log line would be a lie, not a failure the
 * kernel could have); fault.c itself defines DMAPOOL_HEAP_RAW.  Only the
 * library's own files (DMAPOOL_BUILDING) are redirected: tests and the
 * tool that include this header allocate as any caller does.
 */
#if defined(DMAPOOL_BUILDING) && !defined(DMAPOOL_HEAP_RAW)
#ifndef DMAPOOL_FAULT_EXEMPT
#define malloc(n)		fault_malloc(n)
#define calloc(n, s)		fault_calloc(n, s)
#define realloc(p, n)		fault_realloc(p, n)
#define strdup(s)		fault_strdup(s)
#define asprintf(...)		fault_asprintf(__VA_ARGS__)
#define vasprintf(o, f, a)	fault_vasprintf(o, f, a)
#define mmap(a, l, p, f, d, o)	fault_mmap(a, l, p, f, d, o)
#define memfd_create(n, f)	fault_memfd_create(n, f)
#else
#define malloc(n)		heap_malloc(n)
#define calloc(n, s)		heap_calloc(n, s)
#define realloc(p, n)		heap_realloc(p, n)
#define strdup(s)		heap_strdup(s)
#define asprintf(...)		heap_asprintf(__VA_ARGS__)
#define vasprintf(o, f, a)	heap_vasprintf(o, f, a)
#endif
#define free(p)			heap_free(p)
#endif

#endif /* DMAPOOL_INTERNAL_H */
