/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Simulated physical memory (no single kernel twin: it stands for DRAM,
 * the linear map of arch/arm64/mm/mmu.c and memremap/vmap aliases).
 *
 * Each RAM bank is a memfd, ftruncate'd to the bank size and mapped
 * MAP_SHARED|MAP_NORESERVE twice: the DRAM view (what a device reads and
 * writes) and the CPU linear map (cacheable, WB).  A 64 GiB machine costs
 * only the pages touched.  no-map ranges are PROT_NONE holes in the linear
 * map, so a CPU access there faults as it would in the kernel.  Other CPU
 * views (WC pools, remapped buffers) are further shared mappings of the
 * same file pages, each tagged with its cache attribute.
 *
 * Left out: the cache model itself (cache.c) — today both views show the
 * same bytes.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

static void unmap_bank(struct pm_bank *b)
{
	if (b->dram && b->dram != MAP_FAILED)
		munmap(b->dram, b->size);
	if (b->linear && b->linear != MAP_FAILED)
		munmap(b->linear, b->size);
	if (b->fd >= 0)
		close(b->fd);
}

int physmem_init(struct dmapool_machine *m)
{
	const struct mb_type *mem = &m->mb.memory;
	struct pm_bank *banks = NULL;
	size_t n = 0;

	pthread_mutex_init(&m->pm.lock, NULL);
	/* one bank per run of contiguous memory regions */
	for (size_t i = 0; i < mem->n; i++) {
		phys_addr_t base = mem->r[i].base, end = base + mem->r[i].size;

		while (i + 1 < mem->n && mem->r[i + 1].base == end) {
			i++;
			end = mem->r[i].base + mem->r[i].size;
		}
		struct pm_bank *nb = realloc(banks, (n + 1) * sizeof(*nb));
		if (!nb)
			goto fail;
		banks = nb;
		struct pm_bank *b = &banks[n++];
		memset(b, 0, sizeof(*b));
		b->base = base;
		b->size = end - base;
		b->fd = memfd_create("dmapool-ram", MFD_CLOEXEC);
		if (b->fd < 0 || ftruncate(b->fd, (off_t)b->size) < 0)
			goto fail;
		b->dram = mmap(NULL, b->size, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_NORESERVE, b->fd, 0);
		if (b->dram == MAP_FAILED)
			goto fail;
		b->linear = mmap(NULL, b->size, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_NORESERVE, b->fd, 0);
		if (b->linear == MAP_FAILED)
			goto fail;
	}
	m->pm.banks = banks;
	m->pm.nbanks = n;
	/* no-map holes */
	for (size_t i = 0; i < mem->n; i++)
		if (mem->r[i].flags & MEMBLOCK_NOMAP)
			physmem_linear_protect(m, mem->r[i].base, mem->r[i].size, false);
	return 0;
fail:
	for (size_t i = 0; i < n; i++)
		unmap_bank(&banks[i]);
	free(banks);
	m->pm.banks = NULL;
	m->pm.nbanks = 0;
	return -ENOMEM;
}

/* A PROT_NONE range, one 64-byte slot per pfn: struct page pointers. */
int physmem_vmemmap_init(struct dmapool_machine *m)
{
	uint64_t npages = m->max_pfn - m->min_pfn;
	void *va;

	m->vmemmap_len = npages * 64;
	if (!m->vmemmap_len)
		return 0;
	va = mmap(NULL, m->vmemmap_len, PROT_NONE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (va == MAP_FAILED) {
		m->vmemmap_len = 0;
		return -ENOMEM;
	}
	m->vmemmap = va;
	return 0;
}

bool physmem_is_page(struct dmapool_machine *m, const void *page)
{
	const uint8_t *p = page, *b = m->vmemmap;

	return b && p >= b && p < b + m->vmemmap_len && (p - b) % 64 == 0;
}

void physmem_destroy(struct dmapool_machine *m)
{
	struct pm_alias *a = m->pm.aliases;

	if (m->vmemmap)
		munmap(m->vmemmap, m->vmemmap_len);
	m->vmemmap = NULL;

	while (a) {
		struct pm_alias *next = a->next;
		munmap(a->va, a->len);
		free(a);
		a = next;
	}
	m->pm.aliases = NULL;
	for (size_t i = 0; i < m->pm.nbanks; i++)
		unmap_bank(&m->pm.banks[i]);
	free(m->pm.banks);
	m->pm.banks = NULL;
	m->pm.nbanks = 0;
	pthread_mutex_destroy(&m->pm.lock);
}

static struct pm_bank *bank_of(struct dmapool_machine *m, phys_addr_t pa, size_t len)
{
	for (size_t i = 0; i < m->pm.nbanks; i++) {
		struct pm_bank *b = &m->pm.banks[i];

		if (pa >= b->base && pa - b->base < b->size &&
		    len <= b->size - (pa - b->base))
			return b;
	}
	return NULL;
}

/*
 * Map len bytes and record the mapping as an alias of [pa, pa+len) with a
 * cache attribute: fd >= 0 maps that bank's memfd at off (a second view of
 * simulated RAM, MAP_FIXED at `at` when given); fd < 0 maps fresh shared
 * memory that is its own backing (device memory outside RAM, `io`).
 */
static void *alias_mmap(struct dmapool_machine *m, phys_addr_t pa, size_t len,
			enum dmapool_attr attr, void *at, int fd, off_t off)
{
	struct pm_alias *a = calloc(1, sizeof(*a));
	void *va;

	if (!a)
		return NULL;
	va = mmap(at, len, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_NORESERVE | (at ? MAP_FIXED : 0) |
		  (fd < 0 ? MAP_ANONYMOUS : 0), fd, off);
	if (va == MAP_FAILED) {
		free(a);
		return NULL;
	}
	a->va = va;
	a->len = len;
	a->pa = pa;
	a->attr = attr;
	a->io = fd < 0;
	pthread_mutex_lock(&m->pm.lock);
	a->next = m->pm.aliases;
	m->pm.aliases = a;
	pthread_mutex_unlock(&m->pm.lock);
	return va;
}

uint8_t *physmem_dram(struct dmapool_machine *m, phys_addr_t pa, size_t len)
{
	struct pm_bank *b = bank_of(m, pa, len ? len : 1);
	uint8_t *p = NULL;

	if (b)
		return b->dram + (pa - b->base);
	/* device memory outside RAM (a declared pool): its own backing */
	pthread_mutex_lock(&m->pm.lock);
	for (struct pm_alias *a = m->pm.aliases; a; a = a->next)
		if (a->io && pa >= a->pa && pa - a->pa < a->len &&
		    (len ? len : 1) <= a->len - (pa - a->pa)) {
			p = a->va + (pa - a->pa);
			break;
		}
	pthread_mutex_unlock(&m->pm.lock);
	return p;
}

/*
 * Memory outside RAM that a device and the CPU share (SRAM, a carve-out
 * declared with dma_declare_coherent_memory): one anonymous shared
 * mapping that is both the device's view and the CPU's (ioremap_wc)
 * mapping, tagged with attr.
 */
void *physmem_map_io(struct dmapool_machine *m, phys_addr_t pa, size_t len,
		     enum dmapool_attr attr)
{
	return alias_mmap(m, pa, len, attr, NULL, -1, 0);
}

static bool is_nomap(struct dmapool_machine *m, phys_addr_t pa)
{
	for (size_t i = 0; i < m->mb.memory.n; i++) {
		const struct mb_region *r = &m->mb.memory.r[i];

		if (pa >= r->base && pa - r->base < r->size)
			return r->flags & MEMBLOCK_NOMAP;
	}
	return true;
}

/* Highmem (32-bit ARM above arm_lowmem_limit) has no linear address. */
static bool is_highmem(const struct dmapool_machine *m, phys_addr_t pa)
{
	return m->highmem_start && m->highmem_start != PHYS_NONE &&
	       pa >= m->highmem_start;
}

void *phys_to_virt(struct dmapool_machine *m, phys_addr_t pa)
{
	struct pm_bank *b = bank_of(m, pa, 1);

	if (!b || is_nomap(m, pa) || is_highmem(m, pa))
		return NULL;
	return b->linear + (pa - b->base);
}

phys_addr_t virt_to_phys(struct dmapool_machine *m, const void *va)
{
	const uint8_t *p = va;

	for (size_t i = 0; i < m->pm.nbanks; i++) {
		struct pm_bank *b = &m->pm.banks[i];

		if (p >= b->linear && p < b->linear + b->size) {
			phys_addr_t pa = b->base + (phys_addr_t)(p - b->linear);

			return is_highmem(m, pa) ? PHYS_NONE : pa;
		}
	}
	pthread_mutex_lock(&m->pm.lock);
	for (struct pm_alias *a = m->pm.aliases; a; a = a->next) {
		if (p >= a->va && p < a->va + a->len && a->pa != PHYS_NONE) {
			phys_addr_t pa = a->pa + (phys_addr_t)(p - a->va);
			pthread_mutex_unlock(&m->pm.lock);
			return pa;
		}
	}
	pthread_mutex_unlock(&m->pm.lock);
	return PHYS_NONE;
}

void *physmem_map_alias(struct dmapool_machine *m, phys_addr_t pa, size_t len,
			enum dmapool_attr attr)
{
	return physmem_map_alias_at(m, pa, len, attr, NULL);
}

bool physmem_is_alias(struct dmapool_machine *m, const void *va)
{
	bool found = false;

	pthread_mutex_lock(&m->pm.lock);
	for (struct pm_alias *a = m->pm.aliases; a; a = a->next)
		if (a->va == va) {
			found = true;
			break;
		}
	pthread_mutex_unlock(&m->pm.lock);
	return found;
}

/* A second mapping of simulated RAM; at != NULL replaces what the caller
 * reserved there (MAP_FIXED), as remap_pfn_range fills a user vma. */
void *physmem_map_alias_at(struct dmapool_machine *m, phys_addr_t pa,
			   size_t len, enum dmapool_attr attr, void *at)
{
	struct pm_bank *b = bank_of(m, pa, len);
	long pgsz = sysconf(_SC_PAGESIZE);

	if (!b || (pa - b->base) % (phys_addr_t)pgsz)
		return NULL;
	return alias_mmap(m, pa, len, attr, at, b->fd, (off_t)(pa - b->base));
}

int physmem_unmap_alias(struct dmapool_machine *m, void *va)
{
	struct pm_alias **pp;

	pthread_mutex_lock(&m->pm.lock);
	for (pp = &m->pm.aliases; *pp; pp = &(*pp)->next) {
		if ((*pp)->va == va) {
			struct pm_alias *a = *pp;
			*pp = a->next;
			pthread_mutex_unlock(&m->pm.lock);
			munmap(a->va, a->len);
			free(a);
			return 0;
		}
	}
	pthread_mutex_unlock(&m->pm.lock);
	return -ENOENT;
}

enum dmapool_attr physmem_attr(struct dmapool_machine *m, const void *va)
{
	const uint8_t *p = va;
	enum dmapool_attr attr = DMAPOOL_ATTR_NONE;

	for (size_t i = 0; i < m->pm.nbanks; i++) {
		struct pm_bank *b = &m->pm.banks[i];

		if (p >= b->linear && p < b->linear + b->size) {
			phys_addr_t pa = b->base + (phys_addr_t)(p - b->linear);

			return is_nomap(m, pa) || is_highmem(m, pa) ?
				DMAPOOL_ATTR_NONE : DMAPOOL_ATTR_WB;
		}
	}
	pthread_mutex_lock(&m->pm.lock);
	for (struct pm_alias *a = m->pm.aliases; a; a = a->next)
		if (p >= a->va && p < a->va + a->len) {
			attr = a->attr;
			break;
		}
	pthread_mutex_unlock(&m->pm.lock);
	if (attr == DMAPOOL_ATTR_NONE && vmalloc_lookup(m, va, NULL))
		attr = DMAPOOL_ATTR_WB;
	return attr;
}

phys_addr_t physmem_linear_to_phys(struct dmapool_machine *m, const void *va)
{
	const uint8_t *p = va;

	for (size_t i = 0; i < m->pm.nbanks; i++) {
		struct pm_bank *b = &m->pm.banks[i];

		if (p >= b->linear && p < b->linear + b->size) {
			phys_addr_t pa = b->base + (phys_addr_t)(p - b->linear);

			return is_highmem(m, pa) ? PHYS_NONE : pa;
		}
	}
	return PHYS_NONE;
}

void *physmem_map_pages_at(struct dmapool_machine *m, phys_addr_t pa,
			   size_t len, void *at)
{
	struct pm_bank *b = bank_of(m, pa, len);
	void *va;

	if (!b || !at)
		return NULL;
	va = mmap(at, len, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_NORESERVE | MAP_FIXED, b->fd,
		  (off_t)(pa - b->base));
	return va == MAP_FAILED ? NULL : va;
}

void physmem_linear_protect(struct dmapool_machine *m, phys_addr_t pa,
			    size_t len, bool accessible)
{
	long pgsz = sysconf(_SC_PAGESIZE);

	for (size_t i = 0; i < m->pm.nbanks; i++) {
		struct pm_bank *b = &m->pm.banks[i];
		phys_addr_t s = pa > b->base ? pa : b->base;
		phys_addr_t e = pa + len < b->base + b->size ? pa + len : b->base + b->size;

		if (e <= s)
			continue;
		s = ALIGN_UP(s - b->base, (phys_addr_t)pgsz);
		e = ALIGN_DOWN(e - b->base, (phys_addr_t)pgsz);
		if (e > s)
			mprotect(b->linear + s, e - s,
				 accessible ? PROT_READ | PROT_WRITE : PROT_NONE);
	}
}

DMAPOOL_API enum dmapool_attr dmapool_cpu_attr(struct dmapool_machine *m,
					       const void *cpu)
{
	return m && cpu ? physmem_attr(m, cpu) : DMAPOOL_ATTR_NONE;
}

DMAPOOL_API const char *dmapool_attr_name(enum dmapool_attr a)
{
	switch (a) {
	case DMAPOOL_ATTR_WB: return "WB";
	case DMAPOOL_ATTR_WC: return "WC";
	case DMAPOOL_ATTR_UC: return "UC";
	default: return "none";
	}
}

DMAPOOL_API phys_addr_t dmapool_virt_to_phys(struct dmapool_machine *m,
					     const void *cpu)
{
	return m && cpu ? virt_to_phys(m, cpu) : PHYS_NONE;
}

DMAPOOL_API void *dmapool_phys_to_virt(struct dmapool_machine *m, phys_addr_t pa)
{
	return m ? phys_to_virt(m, pa) : NULL;
}

/* ---- struct page helpers (include/linux-compat/linux/mm.h) ---- */

DMAPOOL_API struct page *dmapool_pfn_to_page(struct dmapool_machine *m, uint64_t pfn)
{
	if (!m)
		m = machine_current();
	if (!m || !m->vmemmap || pfn < m->min_pfn || pfn >= m->max_pfn)
		return NULL;
	return (struct page *)((uint8_t *)m->vmemmap + (pfn - m->min_pfn) * 64);
}

DMAPOOL_API uint64_t dmapool_page_to_pfn(const struct page *page)
{
	struct dmapool_machine *m = machine_registry_find_va(page);

	if (!m)
		return ~0ULL;
	return m->min_pfn + (uint64_t)((const uint8_t *)page - (uint8_t *)m->vmemmap) / 64;
}

DMAPOOL_API phys_addr_t dmapool_any_virt_to_phys(const void *va)
{
	struct dmapool_machine *m = machine_registry_find_va(va);

	return m ? virt_to_phys(m, va) : PHYS_NONE;
}

DMAPOOL_API void *dmapool_any_phys_to_virt(phys_addr_t pa)
{
	struct dmapool_machine *m = machine_current();

	return m ? phys_to_virt(m, pa) : NULL;
}

DMAPOOL_API struct page *dmapool_virt_to_page(const void *va)
{
	struct dmapool_machine *m = machine_registry_find_va(va);
	phys_addr_t pa = m ? virt_to_phys(m, va) : PHYS_NONE;

	if (pa == PHYS_NONE)
		return NULL;
	return dmapool_pfn_to_page(m, pa >> m->prof.page_shift);
}

DMAPOOL_API void *dmapool_page_address(const struct page *page)
{
	struct dmapool_machine *m = machine_registry_find_va(page);
	uint64_t pfn = dmapool_page_to_pfn(page);

	if (!m || pfn == ~0ULL)
		return NULL;
	return phys_to_virt(m, pfn << m->prof.page_shift);
}
