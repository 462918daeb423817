/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The machine object: load, boot, destroy (no single kernel twin; the boot
 * order follows arm64's setup_arch -> bootmem_init -> mm_core_init and the
 * initcalls that create DMA pools).
 *
 * Boot, step by step, each step printing what the kernel prints:
 *   1. fdt_check_full, root cells, /memory (or cfg->ram_size), bootargs;
 *   2. memblock: RAM, the kernel image, the reserved-memory scan, then the
 *      /memreserve/ entries (6.4+ order);
 *   3. zones from the DMA limits ("Zone ranges:", "node 0:" lines);
 *   4. the kernel's own early allocations (memmap and friends, a model:
 *      see docs/fidelity.md), then the default CMA area;
 *   5. the large hash tables, then SWIOTLB (mem_init);
 *   6. RAM backing, buddy allocator, CMA activation, atomic pools, the
 *      global coherent pool, devices.
 *
 * Left out: everything of the boot that does not move DMA memory.
 */
#include <fcntl.h>
#include <libfdt.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

/* ---------------- configuration ---------------- */

static const char *cfg_str(const char *field, const char *env)
{
	if (field && *field)
		return field;
	env = getenv(env);
	return env && *env ? env : NULL;
}

/* ---------------- bootargs ---------------- */

/* COMMAND_LINE_SIZE of the profile's architecture (uapi asm/setup.h). */
static size_t command_line_size(const struct dmapool_machine *m)
{
	return !strcmp(m->prof.arch, "arm64") || !strcmp(m->prof.arch, "x86_64") ? 2048 : 1024;
}

/*
 * early_init_dt_scan_chosen: strscpy(boot_command_line, p, min(l,
 * COMMAND_LINE_SIZE)).  A property without a NUL loses its last byte, a
 * long one is cut at COMMAND_LINE_SIZE - 1 bytes.
 */
static char *command_line_dup(const struct dmapool_machine *m, const char *p, size_t len)
{
	size_t n = len < command_line_size(m) ? len : command_line_size(m);
	char *s;

	if (!n)
		return NULL;
	n = strnlen(p, n - 1);
	s = malloc(n + 1);
	if (s) {
		memcpy(s, p, n);
		s[n] = 0;
	}
	return s;
}

/*
 * early_cma (kernel/dma/contiguous.c): size, then "@base", then "-limit";
 * a size of -1 (all ones) is the kernel's "not given".  The arithmetic
 * wraps as the kernel's does: cma_declare_contiguous() and the CMA
 * activation cope with what comes out of it.
 */
static void parse_cma(struct dmapool_machine *m, const char *p)
{
	const char *e;

	m->bp.cma_size = memparse(p, &e);
	m->bp.cma_set = m->bp.cma_size != ~0ULL;
	if (*e != '@')
		return;
	m->bp.cma_base = memparse(e + 1, &e);
	if (*e != '-') {
		m->bp.cma_limit = m->bp.cma_base + m->bp.cma_size;
		return;
	}
	m->bp.cma_limit = memparse(e + 1, &e);
}

/* lib/kstrtox.c kstrtobool(): 0 with *res set, or -EINVAL (unchanged) */
static int kstrtobool(const char *s, bool *res)
{
	switch (s[0]) {
	case 'y': case 'Y': case 't': case 'T': case '1':
		*res = true;
		return 0;
	case 'n': case 'N': case 'f': case 'F': case '0':
		*res = false;
		return 0;
	case 'o': case 'O':
		if (s[1] == 'n' || s[1] == 'N') {
			*res = true;
			return 0;
		}
		if (s[1] == 'f' || s[1] == 'F') {
			*res = false;
			return 0;
		}
		break;
	default:
		break;
	}
	return -EINVAL;
}

/* A boolean early_param: do_early_param's warning when it is refused. */
static void parse_bool(struct dmapool_machine *m, const char *name, const char *val,
		       int *out)
{
	bool b;

	if (kstrtobool(val, &b)) {
		klog(m, "Malformed early option '%s'", name);
		return;
	}
	*out = b;
}

/* parse_early_param: the options that change DMA memory */
static void parse_bootargs(struct dmapool_machine *m)
{
	char *copy, *save = NULL;

	m->bp.iommu_strict = -1;
	m->bp.iommu_passthrough = -1;
	m->bp.init_on_alloc = -1;
	if (!m->bootargs)
		return;
	copy = strdup(m->bootargs);
	if (!copy)
		return;
	for (char *tok = strtok_r(copy, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		char *eq = strchr(tok, '=');
		const char *val = eq ? eq + 1 : "";

		if (eq)
			*eq = 0;
		if (!strcmp(tok, "cma") && eq) {
			parse_cma(m, val);
		} else if (!strcmp(tok, "cma")) {
			/* early_cma(NULL) */
			klog(m, "cma: Config string not provided");
			klog(m, "Malformed early option 'cma'");
		} else if (!strcmp(tok, "coherent_pool") && eq) {
			m->bp.coherent_pool_set = true;
			m->bp.coherent_pool = memparse(val, NULL);
		} else if (!strcmp(tok, "swiotlb") && eq) {
			swiotlb_parse_param(m, val);
		} else if (!strcmp(tok, "iommu.strict") && eq) {
			parse_bool(m, tok, val, &m->bp.iommu_strict);
		} else if (!strcmp(tok, "iommu.passthrough") && eq) {
			parse_bool(m, tok, val, &m->bp.iommu_passthrough);
		} else if (!strcmp(tok, "init_on_alloc") && eq) {
			parse_bool(m, tok, val, &m->bp.init_on_alloc);
		} else if (!strcmp(tok, "iommu.forcedac") && eq) {
			int v = m->bp.iommu_forcedac;

			parse_bool(m, tok, val, &v);
			m->bp.iommu_forcedac = v != 0;
		}
	}
	free(copy);
	/* dma_contiguous_reserve: fixed when base + size == limit */
	m->bp.cma_fixed = m->bp.cma_set &&
			  m->bp.cma_base + m->bp.cma_size == m->bp.cma_limit;
}

/* ---------------- /memory ---------------- */

/*
 * Limits on what the tree may ask of the host.  memblock holds 1024 memory
 * regions on arm64 with CONFIG_EFI (INIT_MEMBLOCK_MEMORY_REGIONS), 128
 * elsewhere, until memblock_allow_resize(): the DT scans come before it, so
 * more regions make the kernel panic.  Each run of contiguous RAM (a bank)
 * costs the simulation two memfds and a few mappings, and the RAM's span
 * costs a page map (one slot and a few bits per page frame between the
 * first and the last byte of RAM): both are bounded here.
 */
#define MAX_RAM_BANKS		128
#define SPAN_PER_CEILING	16	/* span at most 16 times ram_limit */

static size_t memblock_memory_regions(const struct dmapool_machine *m)
{
	return !strcmp(m->prof.arch, "arm64") ? 1024 : 128;
}

/* "memblock: cannot resize memory array": refused, naming the culprit. */
static int check_memory_regions(struct dmapool_machine *m, const char *who)
{
	if (m->mb.memory.n <= memblock_memory_regions(m))
		return 0;
	klog(m, "libdmapool: %s: %zu memory regions, more than the %zu memblock holds before memblock_allow_resize(); Linux 6.12 panics here (\"memblock: cannot resize memory array\")",
	     who, m->mb.memory.n, memblock_memory_regions(m));
	return -EINVAL;
}

/* early_init_dt_add_memory_arch (drivers/of/fdt.c), overflow-safe. */
static int add_memory_block(struct dmapool_machine *m, uint64_t base, uint64_t size)
{
	uint64_t ps = m->prof.page_size, off = base & (ps - 1), end, up;

	if (size < ps - off) {
		klog(m, "OF: fdt: Ignoring memory block 0x%llx - 0x%llx",
		     (unsigned long long)base, (unsigned long long)(base + size));
		return 0;
	}
	if (off) {
		/* PAGE_ALIGN(base): a base in the last page would wrap to 0 */
		if (__builtin_add_overflow(base, ps - off, &up)) {
			klog(m, "OF: fdt: Ignoring memory block 0x%llx - 0x%llx",
			     (unsigned long long)base, (unsigned long long)(base + size));
			return 0;
		}
		base = up;
		size -= ps - off;
	}
	size &= ~(ps - 1);
	/* memblock_add caps a range that wraps at the top, page-aligned */
	if (__builtin_add_overflow(base, size, &end))
		size = ALIGN_DOWN(PHYS_NONE - base, ps);
	if (!size)
		return 0;
	return memblock_add(&m->mb, base, size);
}

/*
 * arm64_memblock_init: RAM above the 48-bit physical address range
 * (PHYS_MASK_SHIFT) goes silently; RAM the linear map (2^47 bytes from
 * memstart_addr, 1 GiB aligned) cannot cover goes with the kernel's
 * warning.
 */
static void arm64_trim_memory(struct dmapool_machine *m)
{
	const uint64_t linear = 1ULL << 47, align = SZ_1G;
	uint64_t memstart, end;

	memblock_remove(&m->mb, 1ULL << 48, PHYS_NONE - (1ULL << 48) + 1);
	if (!m->mb.memory.n)
		return;
	memstart = ALIGN_DOWN(memblock_start_of_dram(&m->mb), align);
	end = memblock_end_of_dram(&m->mb);
	if (end - 1 - memstart > linear)
		klog(m, "Memory doesn't fit in the linear mapping, VA_BITS too small");
	memblock_remove(&m->mb, memstart + linear, PHYS_NONE - (memstart + linear) + 1);
	end = memblock_end_of_dram(&m->mb);
	if (memstart + linear < end) {
		memstart = ALIGN_UP(end - linear, align);
		memblock_remove(&m->mb, 0, memstart);
	}
}

static int scan_memory(struct dmapool_machine *m, uint64_t ram_size_cfg)
{
	int node, found = 0, err;
	int t_len = (m->root_ac + m->root_sc) * 4;

	fdt_for_each_subnode(node, m->fdt, 0) {
		const char *type;
		const char *name = fdt_get_name(m->fdt, node, NULL);
		const fdt32_t *p;
		int len, tlen;

		/* device_type = "memory", read within the property */
		type = fdt_getprop(m->fdt, node, "device_type", &tlen);
		if (!type || tlen < 6 || memcmp(type, "memory", 6) || (tlen > 6 && type[6]))
			continue;
		if (!fdt_node_is_available(m->fdt, node))
			continue;
		p = fdt_getprop(m->fdt, node, "linux,usable-memory", &len);
		if (!p || len <= 0)
			p = fdt_getprop(m->fdt, node, "reg", &len);
		if (!p)
			continue;
		/* whole (address, size) pairs are read; a stray tail is dropped */
		if (len < t_len) {
			klog(m, "libdmapool: %s: reg is %d bytes, shorter than one (address, size) pair of %d bytes (#address-cells=%d #size-cells=%d): node ignored",
			     name, len, t_len, m->root_ac, m->root_sc);
			continue;
		}
		for (; len >= t_len; len -= t_len) {
			uint64_t base = fdt_read_cells((const uint32_t *)p, m->root_ac);
			uint64_t size = fdt_read_cells((const uint32_t *)p + m->root_ac, m->root_sc);

			p += m->root_ac + m->root_sc;
			if (!size)
				continue;
			err = add_memory_block(m, base, size);
			if (err)
				return err;
			found = m->mb.memory.n > 0;
			/* stop at the first region too many, as the kernel does */
			if ((err = check_memory_regions(m, name)))
				return err;
		}
	}
	if (!strcmp(m->prof.arch, "arm64"))
		arm64_trim_memory(m);
	if (!m->mb.memory.n && found) {
		klog(m, "libdmapool: no /memory range lies in the physical address space Linux 6.12 maps (48 bits, 2^47 bytes of linear map): no RAM to boot with");
		return -EINVAL;
	}
	if (!found) {
		uint64_t size = ram_size_cfg;

		if (!size) {
			klog(m, "libdmapool: the tree has no usable /memory node and no RAM size was configured (ram_size, DMAPOOL_RAM_SIZE or --mem)");
			return -EINVAL;
		}
		/* profile's usual RAM base */
		uint64_t base = !strcmp(m->prof.arch, "x86_64") ? 0 :
				!strncmp(m->prof.arch, "arm-nommu", 9) ? 0xc0000000ULL :
				!strcmp(m->prof.arch, "riscv64") ? 0x80000000ULL : 0x40000000ULL;
		size = ALIGN_DOWN(size, m->prof.page_size);
		if (!size) {
			klog(m, "libdmapool: the configured RAM size (ram_size, DMAPOOL_RAM_SIZE or --mem) is less than one page");
			return -EINVAL;
		}
		err = memblock_add(&m->mb, base, size);
		if (err)
			return err;
	}
	return 0;
}

/*
 * What RAM may cost the host: its size (ram_limit), the number of banks
 * (memfds), its span (the page map).  Checked once the RAM is final.
 */
static int check_ram(struct dmapool_machine *m)
{
	const struct mb_type *t = &m->mb.memory;
	uint64_t total = memblock_phys_mem_size(&m->mb);
	uint64_t first = memblock_start_of_dram(&m->mb), last = memblock_end_of_dram(&m->mb);
	uint64_t span_limit;
	size_t banks = 0;

	if (total > m->ram_limit) {
		klog(m, "libdmapool: RAM of %llu MiB exceeds the simulated RAM ceiling of %llu MiB (ram_limit, DMAPOOL_RAM_LIMIT)",
		     (unsigned long long)(total >> 20), (unsigned long long)(m->ram_limit >> 20));
		return -E2BIG;
	}
	for (size_t i = 0; i < t->n; i++)
		if (!i || t->r[i].base != t->r[i - 1].base + t->r[i - 1].size)
			banks++;
	if (banks > MAX_RAM_BANKS) {
		klog(m, "libdmapool: /memory: %zu separate RAM banks, more than the %d the simulation backs (two memfds each)",
		     banks, MAX_RAM_BANKS);
		return -EINVAL;
	}
	if (__builtin_mul_overflow(m->ram_limit, SPAN_PER_CEILING, &span_limit))
		span_limit = PHYS_NONE;
	if (last - first > span_limit) {
		klog(m, "libdmapool: RAM spans %#llx..%#llx (%llu GiB), more than the simulation maps: %d times the simulated RAM ceiling of %llu MiB (ram_limit, DMAPOOL_RAM_LIMIT)",
		     (unsigned long long)first, (unsigned long long)last - 1,
		     (unsigned long long)((last - first) >> 30), SPAN_PER_CEILING,
		     (unsigned long long)(m->ram_limit >> 20));
		return -E2BIG;
	}
	return 0;
}

/*
 * early_init_dt_check_for_initrd: each property is read as len/4 cells
 * (of_read_number keeps the low 64 bits); start > end means no initrd.
 * Then the reservation, widened to whole pages.  On arm64
 * (arm64_memblock_init) the range must lie within the linear map from the
 * start of RAM (else the kernel WARNs and drops the initrd) and is added
 * to RAM if it is not RAM already; elsewhere it is reserved.
 */
static void reserve_initrd(struct dmapool_machine *m)
{
	int chosen = fdt_path_offset(m->fdt, "/chosen");
	const fdt32_t *s, *e;
	int ls, le;
	uint64_t start, end, ps = m->prof.page_size;

	if (chosen < 0)
		return;
	s = fdt_getprop(m->fdt, chosen, "linux,initrd-start", &ls);
	e = fdt_getprop(m->fdt, chosen, "linux,initrd-end", &le);
	if (!s || !e || ls < 0 || le < 0)
		return;
	start = fdt_read_cells((const uint32_t *)s, ls / 4);
	end = fdt_read_cells((const uint32_t *)e, le / 4);
	if (end <= start)
		return;
	start = ALIGN_DOWN(start, ps);
	if (__builtin_add_overflow(end, ps - 1, &end))
		end = 0;	/* PAGE_ALIGN wraps: caught below */
	end = ALIGN_DOWN(end, ps);
	if (!strcmp(m->prof.arch, "arm64")) {
		uint64_t first = memblock_start_of_dram(&m->mb);

		if (end <= start || start < first || end - first > (1ULL << 47)) {
			klog(m, "initrd not fully accessible via the linear mapping -- please check your bootloader ...");
			return;
		}
		memblock_add(&m->mb, start, end - start);
		memblock_clear_nomap(&m->mb, start, end - start);
	} else if (end <= start) {
		return;
	}
	memblock_reserve(&m->mb, start, end - start, "initrd");
}

static void reserve_memreserve(struct dmapool_machine *m)
{
	int n = fdt_num_mem_rsv(m->fdt);

	for (int i = 0; i < n; i++) {
		uint64_t base, size;

		if (fdt_get_mem_rsv(m->fdt, i, &base, &size) < 0 || !size)
			continue;
		if (base + size < base)
			size = ~0ULL - base;
		memblock_reserve(&m->mb, base, size, "memreserve");
	}
}

/* ---------------- zones (arm64 zone_sizes_init + free_area_init) ---------------- */

static phys_addr_t max_zone_phys(struct dmapool_machine *m, phys_addr_t zone_limit)
{
	phys_addr_t start = memblock_start_of_dram(&m->mb);
	phys_addr_t end = memblock_end_of_dram(&m->mb);

	if (start < 0xffffffffULL && zone_limit > 0xffffffffULL)
		zone_limit = 0xffffffffULL;
	if (zone_limit > end - 1)
		zone_limit = end - 1;
	return zone_limit + 1;
}

const char *const zone_names[MAX_NR_ZONES] = { "DMA", "DMA32", "Normal", "HighMem" };

bool zone_configured(const struct dmapool_profile *p, int zone)
{
	switch (zone) {
	case ZONE_DMA: return p->zone_dma;
	case ZONE_DMA32: return p->zone_dma32;
	case ZONE_NORMAL: return true;
	case ZONE_HIGHMEM: return p->lowmem_size != 0;
	default: return false;
	}
}

static void setup_zones(struct dmapool_machine *m)
{
	phys_addr_t dma_end = 0, dma32_end = 0;
	uint64_t ps = m->prof.page_shift;
	uint64_t min_pfn = memblock_start_of_dram(&m->mb) >> ps;
	uint64_t max_pfn = memblock_end_of_dram(&m->mb) >> ps;
	uint64_t limits[MAX_NR_ZONES];
	uint64_t start;
	char a[24], b[24];

	m->min_pfn = min_pfn;
	m->max_pfn = max_pfn;
	if (m->prof.arm64_zone_rules) {
		uint64_t dt = of_dma_get_max_cpu_address(m);
		phys_addr_t zlim = m->prof.zone_dma_limit;

		if (dt < zlim)
			zlim = dt;
		m->zone_dma_limit = zlim;
		dma_end = max_zone_phys(m, zlim);
		dma32_end = max_zone_phys(m, 0xffffffffULL);
		m->dma_phys_limit = dma_end;
	} else {
		m->zone_dma_limit = m->prof.zone_dma ? m->prof.zone_dma_limit : 0;
		if (m->prof.zone_dma) {
			dma_end = m->prof.zone_dma_limit + 1;
			if (dma_end > (max_pfn << ps))
				dma_end = max_pfn << ps;
		}
		if (m->prof.zone_dma32) {
			dma32_end = SZ_4G;
			if (dma32_end > (max_pfn << ps))
				dma32_end = max_pfn << ps;
		}
		m->dma_phys_limit = m->prof.zone_dma ? dma_end :
				    m->prof.zone_dma32 ? dma32_end : (max_pfn << ps);
		if (m->dma_phys_limit < (min_pfn << ps))
			m->dma_phys_limit = max_pfn << ps;
	}
	limits[ZONE_DMA] = m->prof.zone_dma ? dma_end >> ps : 0;
	limits[ZONE_DMA32] = m->prof.zone_dma32 ? dma32_end >> ps : 0;
	limits[ZONE_NORMAL] = max_pfn;
	limits[ZONE_HIGHMEM] = max_pfn;
	m->highmem_start = PHYS_NONE;
	if (m->prof.lowmem_size) {
		/* arm_lowmem_limit: the linear map ends lowmem_size above the
		 * start of RAM; boot allocations (CMA) stay below it */
		uint64_t low = min_pfn + (m->prof.lowmem_size >> ps);

		if (low < max_pfn) {
			limits[ZONE_NORMAL] = low;
			m->highmem_start = low << ps;
			/* ZONE_DMA never reaches into highmem (max_low_pfn) */
			if (limits[ZONE_DMA] > low)
				limits[ZONE_DMA] = low;
			if (limits[ZONE_DMA32] > low)
				limits[ZONE_DMA32] = low;
		}
		if (m->dma_phys_limit > (limits[ZONE_NORMAL] << ps))
			m->dma_phys_limit = limits[ZONE_NORMAL] << ps;
	}
	start = min_pfn;
	klog(m, "Zone ranges:");
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		uint64_t end = limits[z];

		if (!zone_configured(&m->prof, z))
			continue;
		if (end < start)
			end = start;
		if (end > max_pfn)
			end = max_pfn;
		m->zones[z].start_pfn = start;
		m->zones[z].end_pfn = end;
		m->zones[z].present = end > start;
		if (end > start)
			klog(m, "  %-8s [mem %s-%s]", zone_names[z], fmt_pa(m, start << ps, a),
			     fmt_pa(m, (end << ps) - 1, b));
		else
			klog(m, "  %-8s empty", zone_names[z]);
		start = end;
	}
	/* for_each_mem_pfn_range: partial pages at either end are dropped */
	for (size_t i = 0; i < m->mb.memory.n; i++) {
		const struct mb_region *r = &m->mb.memory.r[i];
		uint64_t spfn = (r->base + m->prof.page_size - 1) >> ps;
		uint64_t epfn = (r->base + r->size) >> ps;

		if (spfn >= epfn)
			continue;
		klog(m, "  node   0: [mem %s-%s]", fmt_pa(m, spfn << ps, a),
		     fmt_pa(m, (epfn << ps) - 1, b));
	}
}

/*
 * The kernel's own early memblock use, top-down: memmap (struct page per
 * page), page tables, per-cpu areas... (before the default CMA area), and
 * the dentry/inode hash tables (after it).  A model fitted to the real
 * 6.12 boots: see docs/fidelity.md.
 */
static int early_kernel_allocs(struct dmapool_machine *m, bool after_cma)
{
	uint64_t ram = memblock_phys_mem_size(&m->mb);
	uint64_t size;

	if (!m->prof.early_allocs)
		return 0;
	if (!after_cma) {
		/* memmap for all RAM, page tables of the linear map (page
		 * granular: 8 bytes per mapped page), fixed allocations;
		 * observed to move in 2 MiB steps */
		uint64_t mapped = memblock_mapped_size(&m->mb);

		size = ram / m->prof.page_size * m->prof.struct_page_size +
		       mapped / m->prof.page_size * 8 + m->prof.early_fixed;
		size = ALIGN_UP(size, 2 * SZ_1M);
	} else {
		/*
		 * The dentry hash: one 8-byte bucket per two mapped pages,
		 * rounded up to a power of two.  Below 2 MiB it was seen to
		 * fit in the holes the kernel leaves at the top of RAM.
		 */
		uint64_t mapped = memblock_mapped_size(&m->mb), buckets = 1;

		while (buckets < mapped / m->prof.page_size / 2)
			buckets <<= 1;
		size = buckets * 8;
		if (size < 2 * SZ_1M)
			return 0;
	}
	size = ALIGN_UP(size, m->prof.page_size);
	if (size && !memblock_alloc_range(&m->mb, size, m->prof.page_size, 0, PHYS_NONE,
					  after_cma ? "kernel hash tables" : "kernel memmap") &&
	    !after_cma) {
		phys_addr_t (*fr)[2];
		size_t n = memblock_free_ranges(&m->mb, &fr);
		uint64_t largest = 0;

		if (!fr)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			if (fr[i][1] - fr[i][0] > largest)
				largest = fr[i][1] - fr[i][0];
		free(fr);
		if (largest >= size + m->prof.page_size)	/* room: the host ran out */
			return -ENOMEM;
		/* reserved-memory, /memreserve/ or the initrd took all of RAM */
		klog(m, "libdmapool: no free RAM left for the kernel's early allocations (memmap and page tables, %llu MiB, of %llu MiB of RAM; largest free range %llu KiB): Linux 6.12 panics here (\"Failed to allocate page table page\")",
		     (unsigned long long)(size >> 20), (unsigned long long)(ram >> 20),
		     (unsigned long long)(largest >> 10));
		return -EINVAL;
	}
	return 0;
}

static void reserve_kernel_image(struct dmapool_machine *m)
{
	phys_addr_t start, size = m->prof.kernel_size, end;

	if (__builtin_add_overflow(memblock_start_of_dram(&m->mb), m->prof.kernel_offset, &start) ||
	    __builtin_add_overflow(start, size, &end))
		return;
	if (!size || end > memblock_end_of_dram(&m->mb))
		return;
	m->kernel_start = start;
	m->kernel_end = start + size;
	memblock_reserve(&m->mb, start, size, "kernel");
}

/* ---------------- registry of live machines ---------------- */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dmapool_machine *registry;	/* newest first */
static __thread struct dmapool_machine *tls_current;

void machine_registry_add(struct dmapool_machine *m)
{
	pthread_mutex_lock(&registry_lock);
	m->reg_next = registry;
	registry = m;
	pthread_mutex_unlock(&registry_lock);
}

void machine_registry_del(struct dmapool_machine *m)
{
	pthread_mutex_lock(&registry_lock);
	for (struct dmapool_machine **pp = &registry; *pp; pp = &(*pp)->reg_next)
		if (*pp == m) {
			*pp = m->reg_next;
			break;
		}
	if (tls_current == m)
		tls_current = NULL;
	pthread_mutex_unlock(&registry_lock);
}

struct dmapool_machine *machine_registry_find_va(const void *va)
{
	struct dmapool_machine *found = NULL;

	pthread_mutex_lock(&registry_lock);
	for (struct dmapool_machine *m = registry; m && !found; m = m->reg_next)
		if (physmem_attr(m, va) != DMAPOOL_ATTR_NONE || physmem_is_page(m, va))
			found = m;
	pthread_mutex_unlock(&registry_lock);
	return found;
}

struct dmapool_machine *machine_current(void)
{
	struct dmapool_machine *m;

	if (tls_current)
		return tls_current;
	pthread_mutex_lock(&registry_lock);
	m = registry;
	pthread_mutex_unlock(&registry_lock);
	return m;
}

DMAPOOL_API void dmapool_machine_use(struct dmapool_machine *m)
{
	tls_current = m;
}

/* ---------------- load ---------------- */

static void machine_free(struct dmapool_machine *m)
{
	if (!m)
		return;
	trap_unregister(m);
	machine_registry_del(m);
	/* nothing reads the page states after this: the pools' aliases go
	 * without restoring their pages' CPU view one page at a time */
	m->tearing_down = true;
	iommu_destroy(m);
	devices_free(m);
	coherent_free_all(m);
	dma_atomic_pool_destroy(m);
	arm_dma_destroy(m);
	vmalloc_destroy(m);
	slab_destroy(m);
	swiotlb_pool_teardown(&m->swiotlb);
	buddy_destroy(m);
	physmem_destroy(m);
	cma_free_all(m);
	rmem_free_all(m);
	memblock_free_all(&m->mb);
	reports_free(m);
	debug_free_all(m);
	log_free(&m->log);
	pthread_mutex_destroy(&m->log.lock);
	free(m->bootargs);
	free(m->fdt);
	pthread_mutex_destroy(&m->lock);
	pthread_mutex_destroy(&m->zone_lock);
	pthread_mutex_destroy(&m->pool_lock);
	pthread_mutex_destroy(&m->dec_lock);
	pthread_mutex_destroy(&m->dmapools_lock);
	pthread_mutex_destroy(&m->dbg_lock);
	pthread_mutex_destroy(&m->iommu.lock);
	free(m->iommu_pt_devs);
	pthread_mutex_destroy(&m->cache_lock);
	free(m);
}

static int boot_steps(struct dmapool_machine *m, uint64_t ram_size);

/* The boot, with the tree's node index (parents, phandles) in use. */
static int boot(struct dmapool_machine *m, uint64_t ram_size)
{
	struct fdt_index ix;
	int err;

	/* without the index (no host memory) libfdt answers, slower */
	if (fdt_index_build(&ix, m->fdt) == 0)
		fdt_index_use(&ix);
	err = boot_steps(m, ram_size);
	fdt_index_use(NULL);
	fdt_index_free(&ix);
	return err;
}

static int boot_steps(struct dmapool_machine *m, uint64_t ram_size)
{
	int err;
	const char *ba;
	int len;
	const fdt32_t *p;

	p = fdt_getprop(m->fdt, 0, "#address-cells", &len);
	m->root_ac = p && len == 4 ? (int)fdt32_to_cpu(*p) : 1;
	p = fdt_getprop(m->fdt, 0, "#size-cells", &len);
	m->root_sc = p && len == 4 ? (int)fdt32_to_cpu(*p) : 1;
	if (m->root_ac < 1 || m->root_ac > 2 || m->root_sc < 1 || m->root_sc > 2) {
		klog(m, "libdmapool: /: unsupported #address-cells=%d #size-cells=%d (1 or 2 expected)",
		     m->root_ac, m->root_sc);
		return -EINVAL;
	}
	if (!m->bootargs) {
		int chosen = fdt_path_offset(m->fdt, "/chosen");

		ba = chosen >= 0 ? fdt_getprop(m->fdt, chosen, "bootargs", &len) : NULL;
		if (ba && len > 0) {
			m->bootargs = command_line_dup(m, ba, (size_t)len);
			if (!m->bootargs)
				return -ENOMEM;
		}
	} else if (strlen(m->bootargs) >= command_line_size(m)) {
		/* the configured command line is cut the same way */
		m->bootargs[command_line_size(m) - 1] = 0;
	}
	parse_bootargs(m);
	m->init_on_alloc = m->bp.init_on_alloc >= 0 ? m->bp.init_on_alloc != 0 :
			   m->prof.init_on_alloc;
	err = scan_memory(m, ram_size);
	if (err)
		return err;

	/* setup_arch -> arm64_memblock_init: kernel image, then the DT scan */
	reserve_kernel_image(m);
	reserve_initrd(m);
	err = check_ram(m);
	if (err)
		return err;
	err = of_reserved_mem_scan(m);
	if (err)
		return err;
	/* no-map regions split memblock.memory */
	err = check_memory_regions(m, "/reserved-memory");
	if (err)
		return err;
	reserve_memreserve(m);

	/* bootmem_init: sparse_init (memmap) -> zones -> default CMA */
	err = early_kernel_allocs(m, false);
	if (err)
		return err;
	setup_zones(m);
	dma_contiguous_reserve(m, m->dma_phys_limit);
	if (m->bootargs)
		klog(m, "Kernel command line: %s", m->bootargs);
	/* start_kernel: hash tables, then mm_core_init -> mem_init -> swiotlb */
	early_kernel_allocs(m, true);
	swiotlb_init(m);

	/* the memory is handed to the page allocator */
	err = physmem_init(m);
	if (err)
		return err;
	err = physmem_vmemmap_init(m);
	if (err)
		return err;
	err = buddy_init(m);
	if (err)
		return err;
	cma_activate_areas(m);
	m->totalram_pages = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		m->totalram_pages += buddy_free_pages(m, z);
	for (size_t i = 0; i < m->n_cma; i++)
		if (m->cma[i]->activated)
			m->totalram_pages += m->cma[i]->count;

	/* initcalls */
	err = dma_atomic_pool_init(m);
	if (err)
		return err;
	err = arm_dma_init(m);
	if (err)
		return err;
	err = dma_init_global_pool(m);
	if (err)
		return err;
	err = devices_init(m);
	if (err)
		return err;
	/* iommu_subsys_init (subsys_initcall), the IOMMU drivers (device) */
	return iommu_init(m);
}

static int machine_create(const void *blob, size_t size,
			  const struct dmapool_config *cfg,
			  struct dmapool_machine **out)
{
	struct dmapool_machine *m;
	struct dmapool_config zero = { 0 };
	const char *arch, *knobs, *ba, *s;
	uint64_t ram_size;
	char bad[80];
	int err;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!cfg)
		cfg = &zero;
	if (!blob || size < sizeof(struct fdt_header)) {
		if (cfg->log_sink)
			cfg->log_sink(cfg->log_ctx, !blob ?
				      "libdmapool: no device tree blob (NULL)" :
				      "libdmapool: not a flattened device tree (shorter than its 40-byte header)");
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	pthread_mutex_init(&m->zone_lock, NULL);
	pthread_mutex_init(&m->pool_lock, NULL);
	pthread_mutex_init(&m->dec_lock, NULL);
	pthread_mutex_init(&m->dmapools_lock, NULL);
	pthread_mutex_init(&m->dbg_lock, NULL);
	pthread_mutex_init(&m->iommu.lock, NULL);
	pthread_mutex_init(&m->cache_lock, NULL);
	pthread_mutex_init(&m->log.lock, NULL);
	m->trap_slot = -1;
	m->log.sink = cfg->log_sink;
	m->log.ctx = cfg->log_ctx;
	m->report_sink = cfg->report_sink;
	m->report_ctx = cfg->report_ctx;
	m->flags = cfg->flags;
	m->swiotlb.nslabs = 0;
	m->ram_limit = cfg->ram_limit;
	s = getenv("DMAPOOL_RAM_LIMIT");
	if (!m->ram_limit && s && *s)
		m->ram_limit = memparse(s, NULL);
	if (!m->ram_limit)
		m->ram_limit = 64 * SZ_1G;

	arch = cfg_str(cfg->arch, "DMAPOOL_ARCH");
	if (profile_init(&m->prof, arch)) {
		klog(m, "libdmapool: unknown arch '%s' (arm64, arm, arm-nommu, riscv64, x86_64)", arch);
		err = -EINVAL;
		goto fail;
	}
	knobs = cfg_str(cfg->knobs, "DMAPOOL_KNOBS");
	if (knobs && profile_apply_knobs(&m->prof, knobs, bad, sizeof(bad))) {
		klog(m, "libdmapool: bad knob '%s'", bad);
		err = -EINVAL;
		goto fail;
	}
	/* the cache model's switches: config flags and seed over knobs */
	if (cfg->flags & DMAPOOL_F_CACHE_STRESS)
		m->prof.cache_stress = true;
	if (cfg->flags & DMAPOOL_F_STRICT_OWNERSHIP)
		m->prof.strict_ownership = true;
	if (cfg->flags & DMAPOOL_F_NO_TRAPS)
		m->prof.cpu_traps = false;
	/* the seed: config, else the knob cache_seed, else DMAPOOL_SEED */
	s = getenv("DMAPOOL_SEED");
	if (cfg->seed)
		m->prof.cache_seed = cfg->seed;
	else if (!m->prof.cache_seed && s && *s)
		m->prof.cache_seed = memparse(s, NULL);
	m->prng = m->prof.cache_seed ? m->prof.cache_seed : 0x9e3779b97f4a7c15ULL;
	ram_size = cfg->ram_size;
	s = getenv("DMAPOOL_RAM_SIZE");
	if (!ram_size && s && *s)
		ram_size = memparse(s, NULL);
	if (cfg->iommu_passthrough && !(m->iommu_pt_devs = strdup(cfg->iommu_passthrough))) {
		err = -ENOMEM;
		goto fail;
	}
	ba = cfg_str(cfg->bootargs, "DMAPOOL_BOOTARGS");
	if (ba) {
		m->bootargs = strdup(ba);
		if (!m->bootargs) {
			err = -ENOMEM;
			goto fail;
		}
	}

	/* the blob: header sanity first, then the full check on a copy */
	if (fdt_magic(blob) != FDT_MAGIC || fdt_totalsize(blob) > size ||
	    fdt_totalsize(blob) < sizeof(struct fdt_header)) {
		klog(m, "libdmapool: not a flattened device tree (bad magic or size)");
		err = -EINVAL;
		goto fail;
	}
	m->fdt_size = fdt_totalsize(blob);
	m->fdt = malloc(m->fdt_size);
	if (!m->fdt) {
		err = -ENOMEM;
		goto fail;
	}
	memcpy(m->fdt, blob, m->fdt_size);
	/* names are full paths before version 16; libfdt 1.6's
	 * fdt_check_full() dereferences NULL on such a tree whose root name
	 * has no '/' (fdt_get_name() fails) */
	if (fdt_version(m->fdt) < 16) {
		klog(m, "libdmapool: device tree blob version %u: versions before 16 are not supported",
		     (unsigned)fdt_version(m->fdt));
		err = -EINVAL;
		goto fail;
	}
	err = fdt_check_full(m->fdt, m->fdt_size);
	if (err) {
		klog(m, "libdmapool: invalid device tree blob: %s", fdt_strerror(err));
		err = -EINVAL;
		goto fail;
	}
	err = boot(m, ram_size);
	if (err)
		goto fail;
	machine_registry_add(m);
	trap_register(m);
	fault_env_apply(m);
	*out = m;
	return 0;
fail:
	machine_free(m);
	return err;
}

DMAPOOL_API int dmapool_machine_load_blob(const void *fdt, size_t size,
					  const struct dmapool_config *cfg,
					  struct dmapool_machine **out)
{
	return machine_create(fdt, size, cfg, out);
}

static int read_file(const char *path, void **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *b;
	size_t got = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 28)) {
		close(fd);
		return -EINVAL;
	}
	b = malloc(st.st_size ? st.st_size : 1);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, st.st_size - got);

		if (r <= 0) {
			free(b);
			close(fd);
			return -EIO;
		}
		got += r;
	}
	close(fd);
	*buf = b;
	*len = got;
	return 0;
}

/* Compile a .dts with dtc into a temporary blob. */
static int compile_dts(const char *path, void **buf, size_t *len)
{
	char tmpl[] = "/tmp/dmapool-dtb-XXXXXX";
	int fd = mkstemp(tmpl);
	pid_t pid;
	int status, err;

	if (fd < 0)
		return -errno;
	close(fd);
	pid = fork();
	if (pid < 0) {
		unlink(tmpl);
		return -errno;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execlp("dtc", "dtc", "-q", "-I", "dts", "-O", "dtb", "-o", tmpl,
		       path, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		unlink(tmpl);
		return -ENOEXEC;
	}
	err = read_file(tmpl, buf, len);
	unlink(tmpl);
	return err;
}

DMAPOOL_API int dmapool_machine_load(const char *path,
				     const struct dmapool_config *cfg,
				     struct dmapool_machine **out)
{
	void *buf = NULL;
	size_t len = 0;
	size_t pl;
	int err;

	if (!path || !out)
		return -EINVAL;
	*out = NULL;
	fault_env_arm();
	if (access(path, R_OK) < 0)
		return -ENOENT;
	pl = strlen(path);
	if (pl > 4 && !strcmp(path + pl - 4, ".dts"))
		err = compile_dts(path, &buf, &len);
	else
		err = read_file(path, &buf, &len);
	if (err)
		return err;
	err = machine_create(buf, len, cfg, out);
	free(buf);
	return err;
}

DMAPOOL_API void dmapool_machine_destroy(struct dmapool_machine *m)
{
	machine_free(m);
}
