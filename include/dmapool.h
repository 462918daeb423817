/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * libdmapool — native API.
 *
 * A machine is built from a flattened device tree the way Linux 6.12 builds
 * its DMA memory hierarchy at boot: RAM banks, reserved-memory regions,
 * CMA areas, per-device pools, atomic pools, SWIOTLB and devices.  Driver
 * code then uses the kernel-compatible API in include/linux-compat/.
 *
 * Conventions (as in libfdt and libuv): functions that can fail return an
 * int, >= 0 on success and a negative errno on failure; dmapool_strerror()
 * names each code.  Every handle is owned by the machine that returned it
 * and dies with dmapool_machine_destroy().
 */
#ifndef DMAPOOL_H
#define DMAPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(DMAPOOL_BUILDING) && defined(__GNUC__)
#define DMAPOOL_API __attribute__((visibility("default")))
#else
#define DMAPOOL_API
#endif

#ifndef DMAPOOL_TYPES_DEFINED
#define DMAPOOL_TYPES_DEFINED
/* The kernel's address types: 64-bit on every modelled profile. */
typedef uint64_t dma_addr_t;
typedef uint64_t phys_addr_t;
#endif

struct dmapool_machine;
struct device;

/* Cache attribute of a CPU mapping (arm64 names; see docs/architecture.md). */
enum dmapool_attr {
	DMAPOOL_ATTR_NONE = 0,	/* not a simulated mapping */
	DMAPOOL_ATTR_WB,	/* normal cacheable (linear map, kmalloc, pages) */
	DMAPOOL_ATTR_WC,	/* normal non-cacheable, bufferable (memremap WC, dma_alloc_wc) */
	DMAPOOL_ATTR_UC,	/* device / strongly ordered */
};

/* One misuse or coherency report. */
struct dmapool_report {
	const char *kind;	/* short stable name, e.g. "dev-unmapped" */
	const char *device;	/* device name or "" */
	uint64_t addr;		/* DMA or physical address concerned */
	uint64_t size;
	const char *text;	/* full text, bracketed DMA-API-debug style */
	uint64_t phys;		/* physical address concerned, or ~0 */
	uint64_t line;		/* cache line concerned (cache reports), or ~0 */
};

typedef void (*dmapool_log_fn)(void *ctx, const char *line);
typedef void (*dmapool_report_fn)(void *ctx, const struct dmapool_report *r);

/*
 * Machine configuration.  A NULL config, or a zeroed one, means defaults.
 * Every string field can also be set from the environment; an explicit
 * field wins over the environment:
 *   arch      DMAPOOL_ARCH       "arm64" (default), "arm", "arm-nommu",
 *                                "riscv64", "x86_64"
 *   bootargs  DMAPOOL_BOOTARGS   replaces /chosen/bootargs
 *   ram_size  DMAPOOL_RAM_SIZE   RAM when the tree has no /memory
 *                                (memparse syntax: 512M, 2G)
 *   knobs     DMAPOOL_KNOBS      comma-separated profile overrides,
 *                                "name=value" (see docs/api.md)
 *   ram_limit DMAPOOL_RAM_LIMIT  ceiling on simulated RAM (default 64 GiB)
 */
struct dmapool_config {
	const char *arch;
	const char *bootargs;
	uint64_t ram_size;
	const char *knobs;
	uint64_t ram_limit;
	dmapool_log_fn log_sink;	/* kernel log lines; NULL = discard */
	void *log_ctx;
	dmapool_report_fn report_sink;	/* reports; NULL = only counted */
	void *report_ctx;
	unsigned int flags;		/* DMAPOOL_F_* */
	uint64_t seed;			/* cache-model eviction seed; 0: the knob
					 * cache_seed, else DMAPOOL_SEED, else a
					 * fixed one */
	const char *iommu_passthrough;	/* devices behind an IOMMU that get an
					 * identity domain (dma-direct): names,
					 * paths or labels, comma-separated */
};

/* The first report aborts the process (to stop in a debugger). */
#define DMAPOOL_F_FATAL_REPORTS	0x1u
/* Stress mode: dirty cache lines may be written back by eviction at the
 * model's points, chosen by a PRNG seeded from `seed` (knob cache_stress). */
#define DMAPOOL_F_CACHE_STRESS	0x2u
/* Strict ownership: a CPU access to a buffer the device owns traps and is
 * reported with the faulting address (page-granular; knob strict_ownership). */
#define DMAPOOL_F_STRICT_OWNERSHIP 0x4u
/* No SIGSEGV handler: CPU accesses through the cacheable alias of a WC/UC
 * buffer are not watched, no-map holes fault (knob cpu_traps=n). */
#define DMAPOOL_F_NO_TRAPS	0x8u

/*
 * Load a machine from a file: a .dtb, or a .dts compiled with dtc when dtc
 * is on PATH.  Returns 0 and sets *out, or a negative errno:
 *   -EINVAL  the blob is not a valid flattened device tree, or a config
 *            value is malformed (the log sink says which)
 *   -ENOENT  the file does not exist
 *   -ENOEXEC a .dts was given and dtc is missing or failed
 *   -E2BIG   RAM exceeds the configured ceiling
 *   -ENOMEM  host memory ran out
 */
DMAPOOL_API int dmapool_machine_load(const char *path,
				     const struct dmapool_config *cfg,
				     struct dmapool_machine **out);

/* Same from a blob in memory (the blob is copied). Same errors. */
DMAPOOL_API int dmapool_machine_load_blob(const void *fdt, size_t size,
					  const struct dmapool_config *cfg,
					  struct dmapool_machine **out);

/* Free everything the machine owns. NULL is a no-op. */
DMAPOOL_API void dmapool_machine_destroy(struct dmapool_machine *m);

/*
 * Find a device by full path ("/soc/dma@1000"), node name with unit
 * address ("dma@1000"), or label ("dma0").  NULL when not found.
 */
DMAPOOL_API struct device *dmapool_device_find(struct dmapool_machine *m,
					       const char *name);

/* Number of devices and the i-th one (tree order); NULL when out of range. */
DMAPOOL_API size_t dmapool_device_count(struct dmapool_machine *m);
DMAPOOL_API struct device *dmapool_device_at(struct dmapool_machine *m,
					     size_t i);
/* The kernel's dev_name() of a device ("probe@0", "1c000000.fakedev"...). */
DMAPOOL_API const char *dmapool_device_name(const struct device *dev);
/* Full node path of a device. */
DMAPOOL_API const char *dmapool_device_path(const struct device *dev);
/* The machine a device belongs to. */
DMAPOOL_API struct dmapool_machine *dmapool_device_machine(const struct device *dev);

/*
 * Device-side DMA access: the test's device model reads or writes memory
 * at a DMA address through the device's translation.  Returns 0, or
 *   -EINVAL  dev or buf is NULL
 *   -EFAULT  the address does not translate to simulated RAM (a report is
 *            made; nothing is transferred)
 */
DMAPOOL_API int dmapool_dev_read(struct device *dev, dma_addr_t addr,
				 void *buf, size_t len);
DMAPOOL_API int dmapool_dev_write(struct device *dev, dma_addr_t addr,
				  const void *buf, size_t len);
/*
 * Every access is checked against the device's live mappings and
 * allocations; each problem is a report (kind in parentheses) and, when
 * the address reaches RAM, the transfer still happens as on hardware:
 * no live mapping covers it (dev-unmapped), it runs past the mapping's
 * end (dev-overrun), a write into DMA_TO_DEVICE (dev-write-to-device), a
 * read of DMA_FROM_DEVICE when the knob dev_read_fromdevice_bug is set
 * (dev-read-from-device), the CPU owns the buffer (dev-cpu-owned).  An
 * address beyond the DMA mask or bus_dma_limit (dev-beyond-mask) is
 * refused with -EFAULT.  Data goes through the cache model: a
 * non-coherent device sees DRAM, a coherent one the CPU's view.
 *
 * Conveniences for a device model: fill with a byte; compare with
 * expected bytes (0 equal, 1 different with *first_diff set when not
 * NULL, or a negative errno); little-endian u32/u64 loads and stores.
 */
DMAPOOL_API int dmapool_dev_fill(struct device *dev, dma_addr_t addr, int byte,
				 size_t len);
DMAPOOL_API int dmapool_dev_compare(struct device *dev, dma_addr_t addr,
				    const void *expect, size_t len,
				    size_t *first_diff);
DMAPOOL_API int dmapool_dev_read_u32(struct device *dev, dma_addr_t addr,
				     uint32_t *val);
DMAPOOL_API int dmapool_dev_read_u64(struct device *dev, dma_addr_t addr,
				     uint64_t *val);
DMAPOOL_API int dmapool_dev_write_u32(struct device *dev, dma_addr_t addr,
				      uint32_t val);
DMAPOOL_API int dmapool_dev_write_u64(struct device *dev, dma_addr_t addr,
				      uint64_t val);

/* Reports so far, oldest first. The text stays valid until destroy (or
 * dmapool_report_clear). */
DMAPOOL_API size_t dmapool_report_count(struct dmapool_machine *m);
DMAPOOL_API const char *dmapool_report_text(struct dmapool_machine *m,
					    size_t i);
/* The i-th report whole: 0, -ENOENT past the end, -EINVAL. */
DMAPOOL_API int dmapool_report_get(struct dmapool_machine *m, size_t i,
				   struct dmapool_report *out);
/* How many reports of one kind ("cache-dirty-read"...). */
DMAPOOL_API size_t dmapool_report_count_kind(struct dmapool_machine *m,
					     const char *kind);
/* For "assert there are none": the number of reports, each printed to
 * stderr when there are any. */
DMAPOOL_API size_t dmapool_report_check_none(struct dmapool_machine *m);
/* Forget every report so far. */
DMAPOOL_API void dmapool_report_clear(struct dmapool_machine *m);
/* Make the next report abort the process (to stop in a debugger), or not. */
DMAPOOL_API void dmapool_report_set_fatal(struct dmapool_machine *m, bool on);

/*
 * DMA-API debugging (kernel/dma/debug.c), always on.  Every error is a
 * report whose text is the kernel's "DMA-API: <driver> <device>: ..."
 * line (kinds "debug-*", docs/debug.md) and is counted per device and per
 * machine.  As the kernel's debugfs switches: all_errors (default here:
 * every error is reported; false: only the first one) and a driver
 * filter (only devices bound to that driver, dev_driver_string(), are
 * reported; NULL or "" for all; counting goes on regardless).
 */
DMAPOOL_API void dmapool_debug_set_all_errors(struct dmapool_machine *m, bool all);
DMAPOOL_API int dmapool_debug_set_driver_filter(struct dmapool_machine *m,
						const char *driver);
/* Errors counted on dev (NULL: the whole machine), shown or not. */
DMAPOOL_API uint64_t dmapool_debug_error_count(struct dmapool_machine *m,
					       const struct device *dev);
/* Live allocations and mappings the debugging tracks for dev. */
DMAPOOL_API size_t dmapool_debug_live(const struct device *dev);
/*
 * Driver unbind: the device's managed resources (dmam_pool_create pools)
 * are released, then every allocation or mapping still live is reported
 * as a leak ("debug-leak", one report each, the kernel's text) and
 * forgotten.  Returns the number of leaks, or -EINVAL.
 */
DMAPOOL_API int dmapool_device_release(struct device *dev);

/*
 * Fault injection.  dmapool_fail_nth(n): the n-th memory allocation, mmap
 * or memfd the library makes on the calling thread fails, once (the
 * kernel's per-task fail-nth; 0 disarms).  dmapool_fail_nth_get() reads
 * what is left: 0 once it fired.  DMAPOOL_FAIL_NTH=n arms it for the
 * thread that loads a machine.  Every API call then fails cleanly (NULL,
 * DMA_MAPPING_ERROR or -ENOMEM) and leaves the machine usable.
 *
 * Forced failures for driver tests, each consumed by the call it hits:
 * the next streaming map of dev (DMA_MAPPING_ERROR; DMAPOOL_FAIL_MAP=dev,
 * ...), the next coherent allocation of dev of at least min_size bytes
 * (NULL; DMAPOOL_FAIL_ALLOC=dev:size), and atomic pools that act empty
 * until turned off (DMAPOOL_FAIL_ATOMIC=1).  0 or -EINVAL.
 */
DMAPOOL_API void dmapool_fail_nth(unsigned long n);
DMAPOOL_API unsigned long dmapool_fail_nth_get(void);
DMAPOOL_API int dmapool_fail_next_map(struct device *dev);
DMAPOOL_API int dmapool_fail_next_alloc(struct device *dev, size_t min_size);
DMAPOOL_API int dmapool_fail_atomic_pool(struct dmapool_machine *m, bool empty);

/*
 * The library's own heap, process-wide: every block it holds for its
 * bookkeeping (machines, devices, logs, reports, trees, caches...).
 * Strings returned to the caller (dmapool_machine_json(),
 * dmapool_decision_text(), dmapool_decision_json()) are not counted once
 * returned.  With every machine destroyed, blocks and bytes are back to
 * what they were before the first load: test groups compare them.
 * Simulated memory is not heap: it is mmap'd and returned by
 * dmapool_machine_destroy() (the fd and mapping checks see it).
 */
struct dmapool_heap_stats {
	uint64_t blocks;	/* live blocks */
	uint64_t bytes;		/* their usable size (malloc_usable_size) */
	uint64_t allocs;	/* blocks ever allocated */
};
DMAPOOL_API void dmapool_heap_stats(struct dmapool_heap_stats *st);

/* The boot log, line by line, as the log sink saw it. */
DMAPOOL_API size_t dmapool_log_count(struct dmapool_machine *m);
DMAPOOL_API const char *dmapool_log_line(struct dmapool_machine *m, size_t i);

/*
 * Kernel-style calls that take no machine (virt_to_phys, pfn_to_page...)
 * resolve pointers through the live machines; a bare pfn or physical
 * address uses the calling thread's machine set here, else the newest.
 */
DMAPOOL_API void dmapool_machine_use(struct dmapool_machine *m);

struct page;
/* struct page helpers; NULL / ~0 / (phys_addr_t)-1 when out of range. */
DMAPOOL_API struct page *dmapool_pfn_to_page(struct dmapool_machine *m,
					     uint64_t pfn);
DMAPOOL_API uint64_t dmapool_page_to_pfn(const struct page *page);
DMAPOOL_API struct page *dmapool_virt_to_page(const void *va);
DMAPOOL_API void *dmapool_page_address(const struct page *page);
DMAPOOL_API phys_addr_t dmapool_any_virt_to_phys(const void *va);
DMAPOOL_API void *dmapool_any_phys_to_virt(phys_addr_t pa);

/* Cache attribute of a CPU pointer handed out by the library. */
DMAPOOL_API enum dmapool_attr dmapool_cpu_attr(struct dmapool_machine *m,
					       const void *cpu);
DMAPOOL_API const char *dmapool_attr_name(enum dmapool_attr a);

/* Simulated physical address of a CPU pointer; (phys_addr_t)-1 if none. */
DMAPOOL_API phys_addr_t dmapool_virt_to_phys(struct dmapool_machine *m,
					     const void *cpu);
/* Linear-map (cacheable) CPU pointer of a physical address; NULL if none. */
DMAPOOL_API void *dmapool_phys_to_virt(struct dmapool_machine *m,
				       phys_addr_t pa);

/*
 * The machine as the tool's "inspect" shows it, as one JSON document
 * (docs/cli.md).  Returns a heap string the caller frees, or NULL.
 */
DMAPOOL_API char *dmapool_machine_json(struct dmapool_machine *m);

/*
 * Decision trace.  Every allocation and free through the DMA API records
 * the path it took: each stage of the kernel's decision tree that was
 * visited, the kernel function it models, the condition tested and the
 * answer, then the backend that served it.  Backends: "dev-coherent",
 * "global-coherent", "dev-cma", "default-cma", "atomic-dma",
 * "atomic-dma32", "atomic-kernel", "buddy-dma", "buddy-dma32",
 * "buddy-normal", "restricted-swiotlb", "arch", "iommu", "none" (failure).
 * Streaming operations record "direct" (the buffer itself is on the bus),
 * "swiotlb" (bounced through the default pool), "restricted-swiotlb"
 * (through the device's restricted pool) or "none".
 */
#define DMAPOOL_DECISION_MAX_STEPS	32

struct dmapool_decision_step {
	const char *stage;	/* short stage name, e.g. "dev-coherent" */
	const char *func;	/* kernel function modelled */
	char cond[160];		/* the condition tested, in words */
	char answer[96];	/* what it answered */
};

/* Cache maintenance operations (spec §8.6). */
enum dmapool_cache_op {
	DMAPOOL_CACHE_NONE = 0,
	DMAPOOL_CACHE_CLEAN,	/* write dirty lines back (dcache_clean_poc) */
	DMAPOOL_CACHE_INVAL,	/* discard lines (dcache_inval_poc) */
	DMAPOOL_CACHE_FLUSH,	/* clean + invalidate */
};
DMAPOOL_API const char *dmapool_cache_op_name(enum dmapool_cache_op op);
/* Number of maintenance operations of one kind the machine has made. */
DMAPOOL_API uint64_t dmapool_cache_ops(struct dmapool_machine *m,
				       enum dmapool_cache_op op);

#define DMAPOOL_DECISION_MAX_CACHE	4

/* One cache maintenance call a mapping or sync made. */
struct dmapool_decision_cache {
	enum dmapool_cache_op op;
	bool for_device;	/* arch_sync_dma_for_device, else _for_cpu */
	phys_addr_t phys;
	uint64_t size;
};

struct dmapool_decision {
	uint64_t seq;		/* per machine, counts from 1 */
	const char *op;		/* "alloc", "free", "alloc_pages", "free_pages",
				 * "map", "unmap", "sync_for_device",
				 * "sync_for_cpu", "map_resource", "unmap_resource" */
	char device[64];
	uint64_t size;
	unsigned int gfp;	/* gfp flags as passed */
	unsigned long attrs;	/* DMA_ATTR_* as passed */
	unsigned int nsteps;
	struct dmapool_decision_step steps[DMAPOOL_DECISION_MAX_STEPS];
	const char *backend;	/* see above */
	bool ok;
	phys_addr_t phys;	/* (phys_addr_t)-1 when none */
	dma_addr_t dma;		/* DMA_MAPPING_ERROR-style ~0 when none */
	enum dmapool_attr attr;	/* CPU attribute of the returned pointer */
	const void *cpu;
	/* streaming operations (op "map", "unmap", "sync_*") */
	int dir;		/* enum dma_data_direction; -1 for allocations */
	phys_addr_t bounce;	/* SWIOTLB slot used, (phys_addr_t)-1 if none */
	unsigned int ncache;
	struct dmapool_decision_cache cache[DMAPOOL_DECISION_MAX_CACHE];
	/* devices behind an IOMMU (backends "iommu", "iommu-*") */
	dma_addr_t iova;	/* start of the IOVA range, ~0 when none */
	uint64_t iova_len;	/* bytes of IOVA space allocated or freed */
	unsigned int iommu_pages; /* IOMMU pages (granules) mapped or unmapped */
	const char *iommu_mode;	/* "strict", "lazy" or NULL */
};

/* Copy of the device's last decision; -ENOENT if it has none yet. */
DMAPOOL_API int dmapool_last_decision(struct device *dev,
				      struct dmapool_decision *out);
typedef void (*dmapool_decision_fn)(void *ctx, const struct dmapool_decision *d);
/* Called after every decision of the machine (NULL to stop). */
DMAPOOL_API void dmapool_set_decision_sink(struct dmapool_machine *m,
					   dmapool_decision_fn fn, void *ctx);
/*
 * Record the decisions of streaming calls (map, unmap, sync): on by
 * default.  Off, those calls skip the trace (dmapool_last_decision() and
 * the sink see only allocations), which makes a map + unmap several
 * times cheaper: for benchmarks and long soak runs.
 */
DMAPOOL_API void dmapool_set_tracing(struct dmapool_machine *m, bool on);
/* The decision as an indented tree (text) or a JSON object; malloc'd,
 * free() it; NULL on ENOMEM. */
DMAPOOL_API char *dmapool_decision_text(const struct dmapool_decision *d);
DMAPOOL_API char *dmapool_decision_json(const struct dmapool_decision *d);

/*
 * The decision trees as data (docs/decision-tree.md): one table of stages
 * per call.  A stage of kind DMAPOOL_STAGE_STEP is what a trace step
 * records: its `stage` equals steps[].stage and steps[].func is one of the
 * space-separated words of `funcs`.  The entry is where every path starts,
 * the backend leaves carry the decision's backend name in `stage`, and the
 * DMAPOOL_STAGE_ANY stages may follow any stage (no edges).  Edges go
 * from a stage to the ones that may come next, labelled with the
 * condition; a self edge means the stage may repeat.
 */
enum dmapool_tree {
	DMAPOOL_TREE_ALLOC,	/* dma_alloc_attrs(), op "alloc" */
	DMAPOOL_TREE_FREE,	/* dma_free_attrs(), op "free" */
	DMAPOOL_TREE_MAP,	/* dma_map_single/page_attrs(), op "map" */
	DMAPOOL_TREE_COUNT
};

enum dmapool_stage_kind {
	DMAPOOL_STAGE_ENTRY,	/* the API call */
	DMAPOOL_STAGE_STEP,	/* a stage the trace records */
	DMAPOOL_STAGE_BACKEND,	/* a leaf: the backend */
	DMAPOOL_STAGE_ANY,	/* may follow any stage */
};

#define DMAPOOL_STAGE_MAX_NEXT	10

struct dmapool_stage_edge {
	const char *to;		/* id of the next stage; NULL ends the list */
	const char *label;	/* the condition that leads there ("" = always) */
};

struct dmapool_stage {
	const char *id;		/* unique within its tree */
	enum dmapool_stage_kind kind;
	const char *stage;	/* trace stage name, or the backend of a leaf */
	const char *funcs;	/* steps[].func values it records, space-separated */
	const char *kfunc;	/* the kernel function it models */
	const char *kfile;	/* the kernel source file ("-": none) */
	const char *file;	/* the file of libdmapool that does it */
	const char *desc;	/* one line */
	struct dmapool_stage_edge next[DMAPOOL_STAGE_MAX_NEXT];
};

/* The stages of tree t and their number; NULL (and *n = 0) for a bad t. */
DMAPOOL_API const struct dmapool_stage *dmapool_decision_stages(enum dmapool_tree t,
							       size_t *n);
/* "alloc", "free", "map"; NULL for a bad t. */
DMAPOOL_API const char *dmapool_tree_name(enum dmapool_tree t);
/* The tree of a decision's op, -ENOENT for an op without one. */
DMAPOOL_API int dmapool_tree_for_op(const char *op);
/* Index of the stage with that id in tree t, or -ENOENT / -EINVAL. */
DMAPOOL_API int dmapool_stage_index(enum dmapool_tree t, const char *id);
/* The step is one the stage records. */
DMAPOOL_API bool dmapool_stage_matches(const struct dmapool_stage *s,
				       const struct dmapool_decision_step *st);
/*
 * Lay decision d on tree t: step_node[i] (d->nsteps entries) gets the
 * index of the stage of steps[i], following the edges from the entry
 * (the first successor that matches), and *leaf the backend leaf of the
 * latest visited stage with an edge to it.  0 on success; -ENOENT when a
 * step follows no edge (step_node[] is -1 from that step on) or no
 * visited stage leads to the backend (*leaf = -1); -EINVAL for bad
 * arguments.
 */
DMAPOOL_API int dmapool_decision_walk(const struct dmapool_decision *d,
				      enum dmapool_tree t, int *step_node, int *leaf);

/*
 * Run every "libdmapool,probe" node of the tree, in tree order, as the
 * oracle's dmaprobe.ko does (probe,dma-bits, memory-region attach,
 * probe,ops 1/2/3/9).  The lines go to the machine's log.  Returns the
 * number of probe devices run, or a negative errno.
 */
DMAPOOL_API int dmapool_run_probes(struct dmapool_machine *m);

/*
 * Run deferred kernel work now (the atomic pools' background refill).
 * The library also runs it where the real kernel's allocating task would
 * sleep: when a blocking allocation reaches CMA, and between probe devices.
 */
DMAPOOL_API void dmapool_flush_work(struct dmapool_machine *m);

/*
 * A dma_pool's counters, as the kernel's sysfs "pools" file shows them:
 * blocks in use, blocks carved, block size, chunks.  -EINVAL for NULL.
 * Pools die with their machine (a managed one is destroyed, the others
 * only have their bookkeeping freed).
 */
struct dma_pool;
DMAPOOL_API int dmapool_pool_stats(const struct dma_pool *pool, size_t *active,
				   size_t *blocks, size_t *block_size,
				   size_t *chunks);

/*
 * The machine's own accounting, checked: for every pool it has (coherent
 * pools, CMA areas, atomic pools, SWIOTLB pools, the buddy allocator,
 * dma_pools) and the DMA-API debugging's live entries, each count the
 * library keeps beside a structure must match the structure (free + used
 * == total).  Returns 0, or -EUCLEAN with a one-line reason naming the
 * pool in why (when why is not NULL and len > 0; "" on success), or
 * -EINVAL for NULL.  Each structure is read under its own lock, so other
 * threads may allocate and free meanwhile, but not create or destroy
 * pools or the machine.
 */
DMAPOOL_API int dmapool_machine_check(struct dmapool_machine *m, char *why,
				      size_t len);

/*
 * The physical memory map and what is in use in it, as the kernel's
 * debugfs and sysfs views show it (/proc/iomem, debug/cma/<area>/bitmap,
 * debug/swiotlb/io_tlb_used...).  One entry per RAM bank ("ram"), the
 * kernel image ("kernel"), each reserved-memory region (kinds as inspect
 * names them: "dma-pool", "global-pool", "cma", "default-cma",
 * "restricted", "plain", "failed"), each CMA area that is not a region
 * ("cma"/"default-cma": cma=), the global coherent pool when it is not a
 * region ("global-pool"), the default SWIOTLB pool ("swiotlb"), each chunk
 * of the atomic pools ("atomic") and each populated zone of the buddy
 * allocator ("zone"), in that order.
 *
 * tracked: a live allocator stands behind the entry, and used / runs are
 * its allocations, read under its lock: pages of a coherent pool's or a
 * CMA area's bitmap, 2 KiB slots of a SWIOTLB pool, pages of an atomic
 * pool chunk.  A per-device pool is tracked once a device has attached it.
 * A zone is a total only (no runs): used is its span minus the buddy's
 * free pages (reserved memory, CMA and the kernel count as used).
 */
struct dmapool_usage_run {
	uint64_t start;		/* physical address */
	uint64_t size;		/* bytes */
};

struct dmapool_region_usage {
	const char *name;	/* node name, CMA area name, "default", zone name... */
	const char *kind;	/* see above */
	uint64_t base, size;	/* physical extent; size 0: not placed */
	bool nomap;		/* a no-map region (not in the linear map) */
	bool tracked;
	bool from_cma;		/* atomic pool chunk carved from a CMA area */
	const char *pool;	/* atomic chunks: "GFP_KERNEL|GFP_DMA"...; else NULL */
	uint64_t unit;		/* allocation granule in bytes (0 untracked) */
	uint64_t used;		/* bytes in use */
	size_t nruns;
	const struct dmapool_usage_run *runs;	/* used ranges, address order */
	size_t ndevices;
	const char *const *devices;	/* dev_name() of the devices whose
					 * memory-region names this region */
};

/*
 * Fill *out with *n entries: one block the caller frees with free() (the
 * strings belong to the machine and live as long as it does).  Returns 0,
 * -EINVAL for a NULL argument or -ENOMEM.  As dmapool_machine_check(),
 * each structure is read under its own lock; pools must not be created
 * or destroyed meanwhile.
 */
DMAPOOL_API int dmapool_region_usage(struct dmapool_machine *m,
				     struct dmapool_region_usage **out,
				     size_t *n);

/* Name of a negative errno returned by this library. */
DMAPOOL_API const char *dmapool_strerror(int err);

/* Library version string. */
DMAPOOL_API const char *dmapool_version(void);

/* ------------------------------------------------------------------ */
/* IOMMU (devices with "iommus"; see docs/iommu.md)                     */

struct dmapool_iommu_stats {
	int group;			/* iommu group id */
	const char *mode;		/* "strict", "lazy" or "passthrough" */
	uint64_t granule;		/* IOVA granule (smallest IOMMU page) */
	uint64_t pt_tables;		/* page-table tables allocated */
	uint64_t pt_mapped;		/* IOMMU pages mapped now */
	uint64_t iotlb_syncs;		/* strict unmaps: IOTLB invalidated */
	uint64_t fq_flushes;		/* lazy: flush-queue flushes */
	uint64_t fq_pending;		/* lazy: unmapped ranges not flushed yet */
	uint64_t iova_live;		/* IOVA ranges allocated (cached included) */
	uint64_t iova_cached;		/* of which sitting in the range caches */
	uint64_t iova_cache_hits, iova_cache_misses;
};
/* The device's IOMMU domain counters (the device is probed first);
 * -ENODEV when it is not behind an IOMMU. */
DMAPOOL_API int dmapool_iommu_stats(struct device *dev,
				    struct dmapool_iommu_stats *out);
/* The device's iommu group number, -ENODEV if none. */
DMAPOOL_API int dmapool_iommu_group_id(struct device *dev);
/* Lazy mode: the flush queue's 10 ms timer fires now (stale IOTLB
 * entries go, queued IOVAs become free). -ENODEV without a DMA domain. */
DMAPOOL_API int dmapool_iommu_flush(struct device *dev);
/* Before the device's first DMA use: give it an identity domain
 * (dma-direct behind the IOMMU), like the config's iommu_passthrough.
 * -EBUSY once it has been probed. */
DMAPOOL_API int dmapool_iommu_set_passthrough(struct device *dev, bool on);
/* Before the first DMA use: the device is untrusted (behind an external-
 * facing port): strict domain, every unaligned buffer bounced. */
DMAPOOL_API int dmapool_device_set_untrusted(struct device *dev, bool on);

#ifdef __cplusplus
}
#endif

#endif /* DMAPOOL_H */
