/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * vmalloc.c — virtually contiguous memory and temporary mappings of
 * highmem pages (models mm/vmalloc.c and mm/highmem.c).
 *
 * vmalloc() takes order-0 pages from the buddy allocator (highest zone
 * first, like GFP_KERNEL | __GFP_HIGHMEM) and maps them one after the
 * other at a separate host address range: the "vmalloc area".  Those
 * addresses are not in the linear map, so virt_to_phys() does not apply to
 * them and dma_map_single() refuses them, as the kernel does;
 * vmalloc_to_page() gives each page.
 *
 * The kernel-named calls act on the calling thread's machine
 * (dmapool_machine_use(), else the newest); vfree() finds the machine
 * from the pointer.
 *
 * kmap() / kmap_local_page() give a highmem page (32-bit ARM above
 * arm_lowmem_limit: no linear address) a cacheable CPU mapping until
 * kunmap() / kunmap_local(); a lowmem page just returns its linear
 * address.  Mappings are counted per page, so nested kmaps share one.
 *
 * Left out: guard pages, huge mappings, vmap()/vm_map_ram(), the lazy
 * TLB purge, NUMA policy, the fixed number of kmap slots.
 */
#include <sys/mman.h>

#include "internal.h"

struct vm_area {
	uint8_t *va;
	size_t npages;
	size_t size;			/* requested */
	phys_addr_t *pages;		/* physical address of each page */
	struct vm_area *next;
};

struct kmap_ent {
	phys_addr_t pa;
	void *va;
	unsigned refs;
	struct kmap_ent *next;
};

struct vmalloc_state {
	pthread_mutex_t lock;
	struct vm_area *areas;
	struct kmap_ent *kmaps;
};

static pthread_mutex_t vm_create_lock = PTHREAD_MUTEX_INITIALIZER;

static struct vmalloc_state *state_get(struct dmapool_machine *m)
{
	struct vmalloc_state *s = __atomic_load_n(&m->vmalloc, __ATOMIC_ACQUIRE);

	if (s)
		return s;
	pthread_mutex_lock(&vm_create_lock);
	if (!m->vmalloc) {
		s = calloc(1, sizeof(*s));
		if (s && pthread_mutex_init(&s->lock, NULL)) {
			free(s);
			s = NULL;
		}
		if (s)
			__atomic_store_n(&m->vmalloc, s, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&vm_create_lock);
	return __atomic_load_n(&m->vmalloc, __ATOMIC_ACQUIRE);
}

static void area_free(struct dmapool_machine *m, struct vm_area *a)
{
	size_t ps = (size_t)m->prof.page_size;

	munmap(a->va, a->npages * ps);
	for (size_t i = 0; i < a->npages; i++)
		if (a->pages[i] != PHYS_NONE)
			buddy_free(m, a->pages[i], 0);
	free(a->pages);
	free(a);
}

void vmalloc_destroy(struct dmapool_machine *m)
{
	struct vmalloc_state *s = m->vmalloc;

	if (!s)
		return;
	while (s->areas) {
		struct vm_area *a = s->areas;

		s->areas = a->next;
		area_free(m, a);
	}
	while (s->kmaps) {
		struct kmap_ent *k = s->kmaps;

		s->kmaps = k->next;
		free(k);	/* the alias itself dies with physmem */
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
	m->vmalloc = NULL;
}

bool vmalloc_lookup(struct dmapool_machine *m, const void *va, phys_addr_t *pa)
{
	struct vmalloc_state *s = __atomic_load_n(&m->vmalloc, __ATOMIC_ACQUIRE);
	const uint8_t *p = va;
	bool found = false;

	if (!s)
		return false;
	pthread_mutex_lock(&s->lock);
	for (struct vm_area *a = s->areas; a; a = a->next) {
		size_t ps = (size_t)m->prof.page_size;

		if (p >= a->va && p < a->va + a->npages * ps) {
			size_t off = (size_t)(p - a->va);

			if (pa)
				*pa = a->pages[off / ps] + off % ps;
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return found;
}

static void *vmalloc_i(struct dmapool_machine *m, size_t size, bool zero)
{
	struct vmalloc_state *s;
	struct vm_area *a;
	size_t ps, n;
	void *base;

	if (!m || !size || !(s = state_get(m)))
		return NULL;
	ps = (size_t)m->prof.page_size;
	n = size / ps + (size % ps != 0);
	if (n > (m->max_pfn - m->min_pfn))
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->pages = malloc(n * sizeof(*a->pages));
	base = mmap(NULL, n * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (!a->pages || base == MAP_FAILED) {
		if (base != MAP_FAILED)
			munmap(base, n * ps);
		free(a->pages);
		free(a);
		return NULL;
	}
	a->va = base;
	a->npages = n;
	a->size = size;
	for (size_t i = 0; i < n; i++)
		a->pages[i] = PHYS_NONE;
	for (size_t i = 0; i < n; i++) {
		phys_addr_t pa = alloc_pages_i(m, GFP_KERNEL | __GFP_HIGHMEM |
					       __GFP_NOWARN, 0);

		if (pa == PHYS_NONE ||
		    !physmem_map_pages_at(m, pa, ps, a->va + i * ps)) {
			if (pa != PHYS_NONE)
				buddy_free(m, pa, 0);
			area_free(m, a);
			klog(m, "libdmapool: vmalloc(%zu): out of simulated pages", size);
			return NULL;
		}
		a->pages[i] = pa;
		if (zero)
			memset(a->va + i * ps, 0, ps);
	}
	pthread_mutex_lock(&s->lock);
	a->next = s->areas;
	s->areas = a;
	pthread_mutex_unlock(&s->lock);
	return a->va;
}

DMAPOOL_API void *vmalloc(unsigned long size)
{
	return vmalloc_i(machine_current(), size, false);
}

DMAPOOL_API void *vzalloc(unsigned long size)
{
	return vmalloc_i(machine_current(), size, true);
}

DMAPOOL_API void vfree(const void *addr)
{
	struct dmapool_machine *m;
	struct vmalloc_state *s;
	struct vm_area **pp, *a = NULL;

	if (!addr)
		return;
	m = machine_registry_find_va(addr);
	s = m ? __atomic_load_n(&m->vmalloc, __ATOMIC_ACQUIRE) : NULL;
	if (s) {
		pthread_mutex_lock(&s->lock);
		for (pp = &s->areas; *pp; pp = &(*pp)->next)
			if ((*pp)->va == addr) {
				a = *pp;
				*pp = a->next;
				break;
			}
		pthread_mutex_unlock(&s->lock);
	}
	if (a) {
		area_free(m, a);
		return;
	}
	if (!m)
		m = machine_current();
	if (m) {
		klog(m, "Trying to vfree() nonexistent vm area (%p)", addr);
		report(m, "vfree-invalid", NULL, (uint64_t)(uintptr_t)addr, 0,
		       "vfree(%p): not an address vmalloc() returned (or already freed); nothing freed",
		       addr);
	}
}

DMAPOOL_API bool is_vmalloc_addr(const void *addr)
{
	struct dmapool_machine *m = machine_registry_find_va(addr);

	return m && vmalloc_lookup(m, addr, NULL);
}

DMAPOOL_API struct page *vmalloc_to_page(const void *addr)
{
	struct dmapool_machine *m = machine_registry_find_va(addr);
	phys_addr_t pa;

	if (!m || !vmalloc_lookup(m, addr, &pa))
		return NULL;
	return dmapool_pfn_to_page(m, pa >> m->prof.page_shift);
}

DMAPOOL_API unsigned long vmalloc_to_pfn(const void *addr)
{
	struct page *page = vmalloc_to_page(addr);

	return page ? (unsigned long)dmapool_page_to_pfn(page) : 0;
}

/* ------------------------------------------------------------------ */
/* mm/highmem.c                                                        */

DMAPOOL_API bool PageHighMem(const struct page *page)
{
	struct dmapool_machine *m = page ? machine_registry_find_va(page) : NULL;
	uint64_t pfn = page ? dmapool_page_to_pfn(page) : ~0ULL;

	return m && pfn != ~0ULL && m->highmem_start != PHYS_NONE &&
	       (pfn << m->prof.page_shift) >= m->highmem_start;
}

DMAPOOL_API void *kmap(struct page *page)
{
	struct dmapool_machine *m;
	struct vmalloc_state *s;
	struct kmap_ent *k;
	phys_addr_t pa;
	void *va;

	if (!page)
		return NULL;
	va = dmapool_page_address(page);
	if (va)
		return va;
	m = machine_registry_find_va(page);
	if (!m || !(s = state_get(m)) || dmapool_page_to_pfn(page) == ~0ULL)
		return NULL;
	pa = (phys_addr_t)dmapool_page_to_pfn(page) << m->prof.page_shift;
	pthread_mutex_lock(&s->lock);
	for (k = s->kmaps; k; k = k->next)
		if (k->pa == pa) {
			k->refs++;
			pthread_mutex_unlock(&s->lock);
			return k->va;
		}
	pthread_mutex_unlock(&s->lock);
	k = calloc(1, sizeof(*k));
	va = k ? physmem_map_alias(m, pa, (size_t)m->prof.page_size, DMAPOOL_ATTR_WB) : NULL;
	if (!va) {
		free(k);
		return NULL;
	}
	k->pa = pa;
	k->va = va;
	k->refs = 1;
	pthread_mutex_lock(&s->lock);
	k->next = s->kmaps;
	s->kmaps = k;
	pthread_mutex_unlock(&s->lock);
	return va;
}

/* Drop one reference of the kmap at va (or of page's kmap). */
static void kunmap_i(struct dmapool_machine *m, const void *va, phys_addr_t pa)
{
	struct vmalloc_state *s = __atomic_load_n(&m->vmalloc, __ATOMIC_ACQUIRE);
	struct kmap_ent **pp, *k = NULL;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	for (pp = &s->kmaps; *pp; pp = &(*pp)->next) {
		const uint8_t *base = (*pp)->va;

		if ((va && (const uint8_t *)va >= base &&
		     (const uint8_t *)va < base + m->prof.page_size) ||
		    (!va && (*pp)->pa == pa)) {
			if (--(*pp)->refs == 0) {
				k = *pp;
				*pp = k->next;
			}
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (k) {
		physmem_unmap_alias(m, k->va);
		free(k);
	}
}

DMAPOOL_API void kunmap(struct page *page)
{
	struct dmapool_machine *m = page ? machine_registry_find_va(page) : NULL;

	if (m && PageHighMem(page))
		kunmap_i(m, NULL, (phys_addr_t)dmapool_page_to_pfn(page) << m->prof.page_shift);
}

DMAPOOL_API void *kmap_local_page(struct page *page)
{
	return kmap(page);
}

DMAPOOL_API void kunmap_local(const void *addr)
{
	struct dmapool_machine *m = addr ? machine_registry_find_va(addr) : NULL;

	if (m && physmem_linear_to_phys(m, addr) == PHYS_NONE)
		kunmap_i(m, addr, 0);
}
