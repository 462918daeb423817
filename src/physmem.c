/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Simulated physical memory (no single kernel twin: it stands for DRAM,
 * the linear map of arch/arm64/mm/mmu.c and memremap/vmap aliases).
 *
 * Each RAM bank is two memfds, ftruncate'd to the bank size and mapped
 * MAP_SHARED|MAP_NORESERVE, so a 64 GiB machine costs only the pages
 * touched:
 *   - fd, the DRAM: what a device reads and writes, and what every
 *     non-cacheable CPU alias (WC pools, remapped buffers) maps;
 *   - cfd, what the CPU sees through its caches: the linear map and every
 *     cacheable (WB) alias (vmalloc, kmap) map it, as a physically
 *     indexed cache shares lines between aliases.
 * cache.c keeps the two apart until cache maintenance moves lines between
 * them.  The linear map is the driver's pointer; the library reaches the
 * same pages through `cview`, a second mapping that is never protected, so
 * that its own copies never trip the traps of trap.c.  no-map ranges are
 * PROT_NONE holes in the linear map; pages with a non-cacheable alias are
 * holes too while traps are on (knob cpu_traps), so a CPU access through
 * the cacheable alias is caught and reported.
 *
 * Left out: the CPU's page tables themselves — an alias is an mmap.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#include <fcntl.h>
#include <linux/falloc.h>

static void unmap_one(void *p, size_t len)
{
	if (p && p != MAP_FAILED)
		munmap(p, len);
}

static void unmap_bank(struct pm_bank *b)
{
	unmap_one(b->dram, b->size);
	unmap_one(b->linear, b->size);
	unmap_one(b->cview, b->size);
	unmap_one(b->snap, b->size);
	unmap_one(b->stale, ALIGN_UP(b->nlines, 64) / 8);
	unmap_one(b->ucnt, b->npages);
	unmap_one(b->sown, b->npages * sizeof(uint16_t));
	if (b->fd >= 0)
		close(b->fd);
	if (b->cfd >= 0)
		close(b->cfd);
}

static void *anon_map(size_t len)
{
	void *p = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static uint8_t *file_map(int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_NORESERVE, fd, 0);

	return p == MAP_FAILED ? NULL : p;
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
		b->fd = b->cfd = -1;
		b->base = base;
		b->size = end - base;
		b->pshift = m->prof.page_shift;
		b->lshift = (unsigned)__builtin_ctz(m->prof.cache_line);
		b->nlines = b->size >> b->lshift;
		b->npages = b->size >> b->pshift;
		b->fd = memfd_create("dmapool-dram", MFD_CLOEXEC);
		b->cfd = memfd_create("dmapool-cpu", MFD_CLOEXEC);
		if (b->fd < 0 || ftruncate(b->fd, (off_t)b->size) < 0 ||
		    b->cfd < 0 || ftruncate(b->cfd, (off_t)b->size) < 0)
			goto fail;
		b->dram = file_map(b->fd, b->size);
		b->linear = file_map(b->cfd, b->size);
		b->cview = file_map(b->cfd, b->size);
		b->stale = anon_map(ALIGN_UP(b->nlines, 64) / 8);
		b->ucnt = anon_map(b->npages);
		if (!b->dram || !b->linear || !b->cview || !b->stale || !b->ucnt)
			goto fail;
	}
	m->pm.banks = banks;
	m->pm.nbanks = n;
	/* no-map holes: no cacheable view at all */
	for (size_t i = 0; i < mem->n; i++)
		if (mem->r[i].flags & MEMBLOCK_NOMAP) {
			struct pm_bank *b = physmem_bank(m, mem->r[i].base, mem->r[i].size);

			if (b) {
				uint64_t p0 = (mem->r[i].base - b->base) >> m->prof.page_shift;
				uint64_t p1 = (mem->r[i].base + mem->r[i].size - b->base +
					       m->prof.page_size - 1) >> m->prof.page_shift;

				memset(b->ucnt + p0, 255, p1 - p0);
			}
			physmem_linear_protect(m, mem->r[i].base, mem->r[i].size, false);
		}
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

struct pm_bank *physmem_bank(struct dmapool_machine *m, phys_addr_t pa, size_t len)
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
	a->pinned = fd >= 0 && attr != DMAPOOL_ATTR_WB;
	pthread_mutex_lock(&m->pm.lock);
	a->next = m->pm.aliases;
	m->pm.aliases = a;
	pthread_mutex_unlock(&m->pm.lock);
	if (a->pinned)
		physmem_pin(m, pa, len);
	return va;
}

uint8_t *physmem_dram(struct dmapool_machine *m, phys_addr_t pa, size_t len)
{
	struct pm_bank *b = physmem_bank(m, pa, len ? len : 1);
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
	struct pm_bank *b = physmem_bank(m, pa, 1);

	if (!b || is_nomap(m, pa) || is_highmem(m, pa))
		return NULL;
	return b->linear + (pa - b->base);
}

/* __va() as drivers see it: arithmetic, so no-map memory gets the address
 * of its hole in the linear map, which faults (trap.c reports it). */
static void *linear_addr(struct dmapool_machine *m, phys_addr_t pa)
{
	struct pm_bank *b = physmem_bank(m, pa, 1);

	if (!b || is_highmem(m, pa))
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
	struct pm_bank *b = physmem_bank(m, pa, len);
	long pgsz = sysconf(_SC_PAGESIZE);

	if (!b || (pa - b->base) % (phys_addr_t)pgsz)
		return NULL;
	/* cacheable aliases share the CPU's view, the others go to DRAM; so
	 * does a cacheable alias of pages that have no cached copy in use
	 * (no-map, or already mapped WC/UC) */
	return alias_mmap(m, pa, len, attr, at,
			  attr == DMAPOOL_ATTR_WB && !b->ucnt[(pa - b->base) >> b->pshift] ?
			  b->cfd : b->fd, (off_t)(pa - b->base));
}

/*
 * Remove the alias at va.  keep: the range stays reserved (an inaccessible
 * anonymous mapping replaces it, MAP_FIXED) for a caller that owns a larger
 * reservation around it and unmaps that whole: a plain munmap here would
 * let another thread's mmap take the hole before the caller's munmap, which
 * would then unmap that thread's new mapping.
 */
static int unmap_alias(struct dmapool_machine *m, void *va, bool keep)
{
	struct pm_alias **pp;

	pthread_mutex_lock(&m->pm.lock);
	for (pp = &m->pm.aliases; *pp; pp = &(*pp)->next) {
		if ((*pp)->va == va) {
			struct pm_alias *a = *pp;
			*pp = a->next;
			pthread_mutex_unlock(&m->pm.lock);
			if (keep)	/* a release: not subject to fail_nth */
				(mmap)(a->va, a->len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
				     MAP_NORESERVE | MAP_FIXED, -1, 0);
			else
				munmap(a->va, a->len);
			if (a->pinned)
				physmem_unpin(m, a->pa, a->len);
			free(a);
			return 0;
		}
	}
	pthread_mutex_unlock(&m->pm.lock);
	return -ENOENT;
}

int physmem_unmap_alias(struct dmapool_machine *m, void *va)
{
	return unmap_alias(m, va, false);
}

int physmem_unmap_alias_keep(struct dmapool_machine *m, void *va)
{
	return unmap_alias(m, va, true);
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
	struct pm_bank *b = physmem_bank(m, pa, len);
	void *va;

	if (!b || !at)
		return NULL;
	/* vmap of pages: cacheable, so the CPU's view */
	va = mmap(at, len, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_NORESERVE | MAP_FIXED, b->cfd,
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
	return m ? linear_addr(m, pa) : NULL;
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

	return m ? linear_addr(m, pa) : NULL;
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
	return linear_addr(m, pfn << m->prof.page_shift);
}

/* ---- the CPU view and non-cacheable pages (cache.c, trap.c) ---- */

uint8_t *physmem_cpu(struct dmapool_machine *m, phys_addr_t pa, size_t len)
{
	struct pm_bank *b = physmem_bank(m, pa, len ? len : 1);

	if (b)
		return b->cview + (pa - b->base);
	return physmem_dram(m, pa, len);	/* outside RAM: one backing */
}

void *physmem_cpu_ptr(struct dmapool_machine *m, void *va)
{
	/* a linear-map pointer has its twin at the same offset in cview */
	for (size_t i = 0; i < m->pm.nbanks; i++) {
		struct pm_bank *b = &m->pm.banks[i];

		if ((uint8_t *)va >= b->linear && (uint8_t *)va < b->linear + b->size)
			return b->cview + ((uint8_t *)va - b->linear);
	}
	return va;
}

bool physmem_page_uncached(const struct pm_bank *b, phys_addr_t pa)
{
	return b->ucnt[(pa - b->base) >> b->pshift] != 0;
}

static bool page_protected(struct dmapool_machine *m, struct pm_bank *b,
			   uint64_t pg)
{
	if (b->ucnt[pg] == 255)
		return true;		/* no-map: the kernel has no mapping */
	if (b->ucnt[pg] && m->prof.cpu_traps)
		return true;		/* cacheable alias of a WC/UC buffer */
	return b->sown && b->sown[pg];	/* strict ownership: device owns it */
}

void physmem_reprotect(struct dmapool_machine *m, phys_addr_t pa, size_t len)
{
	unsigned shift = m->prof.page_shift;

	for (size_t i = 0; i < m->pm.nbanks; i++) {
		struct pm_bank *b = &m->pm.banks[i];
		phys_addr_t s = pa > b->base ? pa : b->base;
		phys_addr_t e = pa + len < b->base + b->size ? pa + len : b->base + b->size;
		uint64_t p0, p1;

		if (e <= s)
			continue;
		p0 = (s - b->base) >> shift;
		p1 = (e - b->base + m->prof.page_size - 1) >> shift;
		while (p0 < p1) {
			bool prot = page_protected(m, b, p0);
			uint64_t q = p0 + 1;

			while (q < p1 && page_protected(m, b, q) == prot)
				q++;
			if (prot)
				trap_ensure();
			mprotect(b->linear + (p0 << shift), (q - p0) << shift,
				 prot ? PROT_NONE : PROT_READ | PROT_WRITE);
			p0 = q;
		}
	}
}

void physmem_cpu_from_dram(struct pm_bank *b, uint64_t off, uint64_t len)
{
	uint64_t end = off + len, pos = off;

	while (pos < end) {
		off_t d = lseek(b->fd, (off_t)pos, SEEK_DATA);
		off_t h;

		if (d < 0 || (uint64_t)d >= end)
			d = (off_t)end;
		if ((uint64_t)d > pos &&
		    fallocate(b->cfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      (off_t)pos, d - (off_t)pos) < 0)
			memset(b->cview + pos, 0, (uint64_t)d - pos);
		if ((uint64_t)d >= end)
			break;
		if (end - (uint64_t)d <= (64ULL << b->pshift)) {
			/* SEEK_HOLE walks the whole data run, however far past
			 * end it goes (a long one costs milliseconds): a short
			 * range asks page by page */
			h = (off_t)(((uint64_t)d | ((1ULL << b->pshift) - 1)) + 1);
			while ((uint64_t)h < end && lseek(b->fd, h, SEEK_DATA) == h)
				h += (off_t)1 << b->pshift;
		} else {
			h = lseek(b->fd, d, SEEK_HOLE);
		}
		if (h < 0 || (uint64_t)h > end)
			h = (off_t)end;
		memcpy(b->cview + d, b->dram + d, (size_t)(h - d));
		pos = (uint64_t)h;
	}
	/* the cached copies are DRAM's now: nothing stale */
	for (uint64_t l = off >> b->lshift; l < end >> b->lshift; l++)
		b->stale[l / 64] &= ~(1ULL << (l % 64));
}

static void pin_range(struct dmapool_machine *m, phys_addr_t pa, size_t len,
		      int delta)
{
	unsigned shift = m->prof.page_shift;
	struct pm_bank *b = physmem_bank(m, pa, len);
	uint64_t p0, p1;

	if (!b || !len || m->tearing_down)
		return;
	p0 = (pa - b->base) >> shift;
	p1 = (pa + len - b->base + m->prof.page_size - 1) >> shift;
	pthread_mutex_lock(&m->pm.lock);
	for (uint64_t p = p0, run = UINT64_MAX; p <= p1; p++) {
		bool normal = false;	/* p went back to normal memory */

		if (p < p1 && b->ucnt[p] != 255) {	/* no-map stays no-map */
			if (delta > 0 && b->ucnt[p] < 254)
				b->ucnt[p]++;
			else if (delta < 0 && b->ucnt[p])
				normal = --b->ucnt[p] == 0;
		}
		if (normal && run == UINT64_MAX)
			run = p;
		if (!normal && run != UINT64_MAX) {
			/* the run's CPU view is DRAM's again, in one pass */
			pthread_mutex_lock(&m->cache_lock);
			line_traffic_begin();
			physmem_cpu_from_dram(b, run << shift, (p - run) << shift);
			line_traffic_end();
			pthread_mutex_unlock(&m->cache_lock);
			run = UINT64_MAX;
		}
	}
	pthread_mutex_unlock(&m->pm.lock);
	physmem_reprotect(m, pa, len);
}

void physmem_pin(struct dmapool_machine *m, phys_addr_t pa, size_t len)
{
	pin_range(m, pa, len, 1);
}

void physmem_unpin(struct dmapool_machine *m, phys_addr_t pa, size_t len)
{
	pin_range(m, pa, len, -1);
}

/* Strict ownership: count the device-owned mappings covering each page of
 * [pa, pa+len); pages with any become PROT_NONE in the linear map. */
void physmem_strict(struct dmapool_machine *m, phys_addr_t pa, size_t len,
		    bool device_owns)
{
	struct pm_bank *b = physmem_bank(m, pa, len);
	uint64_t p0, p1;

	if (!b || !len)
		return;
	pthread_mutex_lock(&m->pm.lock);
	if (!b->sown) {
		b->sown = anon_map(b->npages * sizeof(uint16_t));
		if (!b->sown) {
			pthread_mutex_unlock(&m->pm.lock);
			return;
		}
	}
	p0 = (pa - b->base) >> b->pshift;
	p1 = (pa + len - b->base + ((phys_addr_t)1 << b->pshift) - 1) >> b->pshift;
	for (uint64_t p = p0; p < p1; p++) {
		if (device_owns && b->sown[p] < UINT16_MAX)
			b->sown[p]++;
		else if (!device_owns && b->sown[p])
			b->sown[p]--;
	}
	pthread_mutex_unlock(&m->pm.lock);
	physmem_reprotect(m, pa, len);
}
