/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * slab.c — kmalloc()/kfree() on simulated RAM (models mm/slab_common.c and
 * the kmalloc side of mm/slub.c).
 *
 * Size classes follow Linux 6.12: 8, 16, 32, 64, 96, 128, 192, 256, then
 * powers of two up to KMALLOC_MAX_CACHE_SIZE = 2 * PAGE_SIZE (8192 with
 * 4K pages).  The profile's kmalloc_min (KMALLOC_MIN_SIZE: 8 on arm64 with
 * DMA bouncing, else ARCH_DMA_MINALIGN) drops every class below it; the
 * odd classes survive only while they stay multiples of the minimum
 * alignment: 96 iff kmalloc_min <= 32, 192 iff kmalloc_min <= 64.
 * Objects sit at multiples of their class size inside a naturally aligned
 * slab, so power-of-two classes are aligned to their size, 96 to 32 and
 * 192 to 64.  Larger requests take whole pages from the buddy (order =
 * get_order(size)), up to MAX_PAGE_ORDER.
 *
 * Slab order is chosen as SLUB does for power-of-two-ish objects: the
 * smallest order holding min_objects = 4 * (fls(nr_cpus) + 1) objects,
 * capped at order 3 (or the order one object needs).
 *
 * GFP_DMA uses the separate kmalloc-dma caches backed by ZONE_DMA pages;
 * GFP_DMA32 is not a slab zone and is dropped, as kmalloc_fix_flags does
 * (without the warning).
 *
 * With init_on_alloc (Debian's default: "mem auto-init: ... heap
 * alloc:on"; the init_on_alloc= boot option or the knob change it) every
 * object is zeroed when handed out, as slab_post_alloc_hook() does.
 *
 * Policy (deterministic): a cache serves from the most recently used slab
 * that has room, lowest free object first; an empty slab goes straight
 * back to the buddy.  Bookkeeping lives in host memory: one header per
 * slab (or per large allocation) in a hash keyed by its first pfn.
 *
 * The kernel-named calls (kmalloc, kzalloc, kcalloc, kfree, ksize,
 * kmalloc_size_roundup, kmem_cache_*) act on the calling thread's machine
 * (dmapool_machine_use(), else the newest); kfree and kmem_cache_free find
 * the machine from the pointer.  A kmem_cache is a named object size: its
 * objects come from the kmalloc class that fits ALIGN(size, align), so
 * they have at least the requested alignment.
 *
 * Left out: per-cpu slabs and partial lists, freelist randomisation and
 * hardening, kmalloc-cg/-rcl/random caches, red zones and poisoning,
 * cache merging, separate slabs per kmem_cache, constructors run once per
 * slab (here: on every allocation).
 */
#include "internal.h"

#define SLAB_MAX_CLASSES	32
#define SLAB_LARGE		UINT32_MAX	/* class of a page allocation */
#define SLUB_MAX_ORDER		3		/* PAGE_ALLOC_COSTLY_ORDER */

enum { KM_NORMAL = 0, KM_DMA, KM_KINDS };

struct slab {
	struct slab *hnext;		/* hash chain */
	struct slab *pnext, *pprev;	/* partial list of its cache */
	uint64_t pfn;			/* first page */
	unsigned order;
	unsigned kind;			/* KM_* */
	uint32_t cls;			/* class index or SLAB_LARGE */
	uint32_t nobj, inuse;
	uint32_t hint;			/* no free object in words before it */
	bool on_partial;
	uint64_t freemap[];		/* 1 = free object */
};

struct slab_state {
	pthread_mutex_t lock;
	unsigned page_shift;
	unsigned max_order;
	size_t max_cache_size;
	unsigned ncls;
	uint32_t cls_size[SLAB_MAX_CLASSES];
	unsigned cls_order[SLAB_MAX_CLASSES];
	uint32_t cls_nobj[SLAB_MAX_CLASSES];
	struct slab *partial[KM_KINDS][SLAB_MAX_CLASSES];
	struct slab **hash;
	size_t hsize;			/* power of two */
	size_t hcount;
};

static pthread_mutex_t slab_create_lock = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------------------ */
/* Host-side hash: first pfn -> slab header */

static size_t hslot(const struct slab_state *s, uint64_t pfn)
{
	/* Multiplicative hashing: the top bits of the product. */
	return (size_t)((pfn * 0x9E3779B97F4A7C15ULL) >>
			(64 - fls64_u(s->hsize - 1)));
}

static void hash_grow(struct slab_state *s)
{
	size_t nsize = s->hsize * 2;
	struct slab **nh = calloc(nsize, sizeof(*nh));
	struct slab **old = s->hash;
	size_t osize = s->hsize;

	if (!nh)
		return;		/* keep the old table: slower, still correct */
	s->hash = nh;
	s->hsize = nsize;
	for (size_t i = 0; i < osize; i++) {
		struct slab *e = old[i];

		while (e) {
			struct slab *next = e->hnext;
			size_t h = hslot(s, e->pfn);

			e->hnext = nh[h];
			nh[h] = e;
			e = next;
		}
	}
	free(old);
}

static void hash_insert(struct slab_state *s, struct slab *sl)
{
	size_t h;

	if (s->hcount >= s->hsize)
		hash_grow(s);
	h = hslot(s, sl->pfn);
	sl->hnext = s->hash[h];
	s->hash[h] = sl;
	s->hcount++;
}

static void hash_remove(struct slab_state *s, struct slab *sl)
{
	struct slab **pp = &s->hash[hslot(s, sl->pfn)];

	while (*pp && *pp != sl)
		pp = &(*pp)->hnext;
	if (*pp) {
		*pp = sl->hnext;
		s->hcount--;
	}
}

static struct slab *hash_find(const struct slab_state *s, uint64_t pfn)
{
	struct slab *e = s->hash[hslot(s, pfn)];

	while (e && e->pfn != pfn)
		e = e->hnext;
	return e;
}

/* The slab or large allocation whose pages hold pfn. */
static struct slab *slab_lookup(const struct slab_state *s, uint64_t pfn)
{
	for (unsigned o = 0; o <= s->max_order; o++) {
		struct slab *e = hash_find(s, pfn & ~((1ULL << o) - 1));

		if (e && pfn - e->pfn < (1ULL << e->order))
			return e;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Partial lists */

static void partial_push(struct slab_state *s, struct slab *sl)
{
	struct slab **head = &s->partial[sl->kind][sl->cls];

	sl->pprev = NULL;
	sl->pnext = *head;
	if (*head)
		(*head)->pprev = sl;
	*head = sl;
	sl->on_partial = true;
}

static void partial_unlink(struct slab_state *s, struct slab *sl)
{
	if (!sl->on_partial)
		return;
	if (sl->pprev)
		sl->pprev->pnext = sl->pnext;
	else
		s->partial[sl->kind][sl->cls] = sl->pnext;
	if (sl->pnext)
		sl->pnext->pprev = sl->pprev;
	sl->pnext = sl->pprev = NULL;
	sl->on_partial = false;
}

/* ------------------------------------------------------------------ */
/* Classes */

/* The order of the smallest block of at least size bytes; 64 - page_shift
 * (no such block) for sizes above 2^63. */
static unsigned order_for(unsigned page_shift, uint64_t size)
{
	unsigned o = 0;

	while (page_shift + o < 64 && (1ULL << (page_shift + o)) < size)
		o++;
	return o;
}

static void add_class(struct slab_state *s, uint32_t size, unsigned min_objs)
{
	uint64_t page = 1ULL << s->page_shift;
	unsigned cap = order_for(s->page_shift, size);
	unsigned o;
	uint64_t want;

	if (s->ncls == SLAB_MAX_CLASSES)
		return;
	if (cap < SLUB_MAX_ORDER)
		cap = SLUB_MAX_ORDER;
	if (cap > s->max_order)
		cap = s->max_order;
	want = (page << cap) / size;
	if (want > min_objs)
		want = min_objs;
	if (!want)
		want = 1;
	for (o = 0; o < cap && (page << o) / size < want; o++)
		;
	s->cls_size[s->ncls] = size;
	s->cls_order[s->ncls] = o;
	s->cls_nobj[s->ncls] = (uint32_t)((page << o) / size);
	s->ncls++;
}

static struct slab_state *state_create(const struct dmapool_machine *m)
{
	struct slab_state *s = calloc(1, sizeof(*s));
	unsigned kmin = m->prof.kmalloc_min ? m->prof.kmalloc_min : 8;
	unsigned cpus = m->prof.nr_cpus ? m->prof.nr_cpus : 1;
	unsigned min_objs = 4 * (fls64_u(cpus) + 1);

	if (!s)
		return NULL;
	/* __kmalloc_minalign(): the small classes exist only when unaligned
	 * kmalloc buffers can be bounced, i.e. a SWIOTLB was allocated at
	 * boot; otherwise the minimum is dma_get_cache_alignment() */
	if (m->prof.bounce_unaligned_kmalloc && !m->swiotlb.present &&
	    kmin < m->prof.cache_line)
		kmin = m->prof.cache_line;
	if (!is_pow2_u64(kmin))
		kmin = 1u << fls64_u(kmin);
	if (kmin < 8)
		kmin = 8;
	s->page_shift = m->prof.page_shift ? m->prof.page_shift : 12;
	s->max_order = m->prof.max_page_order;
	s->max_cache_size = (size_t)2 << s->page_shift;
	if (s->max_cache_size > ((size_t)1 << (s->page_shift + s->max_order)))
		s->max_cache_size = (size_t)1 << (s->page_shift + s->max_order);
	for (uint64_t sz = 8; sz <= s->max_cache_size; sz *= 2) {
		if (sz >= kmin)
			add_class(s, (uint32_t)sz, min_objs);
		if (sz == 64 && kmin <= 32)
			add_class(s, 96, min_objs);
		if (sz == 128 && kmin <= 64 && 192 <= s->max_cache_size)
			add_class(s, 192, min_objs);
	}
	s->hsize = 64;
	s->hash = calloc(s->hsize, sizeof(*s->hash));
	if (!s->hash || !s->ncls || pthread_mutex_init(&s->lock, NULL)) {
		free(s->hash);
		free(s);
		return NULL;
	}
	return s;
}

int slab_init(struct dmapool_machine *m)
{
	struct slab_state *s;

	if (!m)
		return -EINVAL;
	if (__atomic_load_n(&m->slab, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&slab_create_lock);
	if (!m->slab) {
		s = state_create(m);
		if (!s) {
			pthread_mutex_unlock(&slab_create_lock);
			return -ENOMEM;
		}
		__atomic_store_n(&m->slab, s, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&slab_create_lock);
	return 0;
}

static struct slab_state *state_get(struct dmapool_machine *m)
{
	struct slab_state *s = __atomic_load_n(&m->slab, __ATOMIC_ACQUIRE);

	if (s)
		return s;
	if (slab_init(m))
		return NULL;
	return __atomic_load_n(&m->slab, __ATOMIC_ACQUIRE);
}

/* Class index for size (1 <= size <= max_cache_size). */
static unsigned class_of(const struct slab_state *s, size_t size)
{
	unsigned c = 0;

	while (c + 1 < s->ncls && s->cls_size[c] < size)
		c++;
	return c;
}

void slab_destroy(struct dmapool_machine *m)
{
	struct slab_state *s;

	if (!m || !(s = m->slab))
		return;
	for (size_t i = 0; i < s->hsize; i++) {
		struct slab *e = s->hash[i];

		while (e) {
			struct slab *next = e->hnext;

			buddy_free(m, (phys_addr_t)e->pfn << s->page_shift,
				   e->order);
			free(e);
			e = next;
		}
	}
	free(s->hash);
	pthread_mutex_destroy(&s->lock);
	free(s);
	m->slab = NULL;
}

/* ------------------------------------------------------------------ */
/* kmalloc / kfree */

static void *kmalloc_large(struct dmapool_machine *m, struct slab_state *s,
			   size_t size, unsigned kind)
{
	unsigned order = order_for(s->page_shift, size);
	struct slab *sl;
	phys_addr_t pa;
	void *va;

	if (order > s->max_order)
		return NULL;
	sl = calloc(1, sizeof(*sl));
	if (!sl)
		return NULL;
	pa = buddy_alloc(m, kind == KM_DMA ? GFPI_DMA : 0, order);
	if (pa == PHYS_NONE) {
		free(sl);
		return NULL;
	}
	va = phys_to_virt(m, pa);
	if (!va) {
		buddy_free(m, pa, order);
		free(sl);
		return NULL;
	}
	sl->pfn = pa >> s->page_shift;
	sl->order = order;
	sl->kind = kind;
	sl->cls = SLAB_LARGE;
	hash_insert(s, sl);
	if (m->init_on_alloc)
		memset(physmem_cpu_ptr(m, va), 0, size);
	return va;
}

static struct slab *new_slab(struct dmapool_machine *m, struct slab_state *s,
			     unsigned kind, unsigned c)
{
	uint32_t nobj = s->cls_nobj[c];
	size_t nwords = (nobj + 63) / 64;
	struct slab *sl = calloc(1, sizeof(*sl) + nwords * sizeof(uint64_t));
	phys_addr_t pa;

	if (!sl)
		return NULL;
	pa = buddy_alloc(m, kind == KM_DMA ? GFPI_DMA : 0, s->cls_order[c]);
	if (pa == PHYS_NONE) {
		free(sl);
		return NULL;
	}
	if (!phys_to_virt(m, pa)) {
		buddy_free(m, pa, s->cls_order[c]);
		free(sl);
		return NULL;
	}
	sl->pfn = pa >> s->page_shift;
	sl->order = s->cls_order[c];
	sl->kind = kind;
	sl->cls = c;
	sl->nobj = nobj;
	for (size_t w = 0; w < nwords; w++)
		sl->freemap[w] = ~0ULL;
	if (nobj % 64)
		sl->freemap[nwords - 1] = (1ULL << (nobj % 64)) - 1;
	hash_insert(s, sl);
	partial_push(s, sl);
	return sl;
}

void *kmalloc_sim(struct dmapool_machine *m, size_t size, unsigned gfp_zone_bits)
{
	struct slab_state *s;
	unsigned kind, c;
	struct slab *sl;
	uint32_t w, idx;
	phys_addr_t pa;
	void *va;

	if (!m)
		return NULL;
	if (!size)
		return KMALLOC_ZERO_SIZE_PTR;
	s = state_get(m);
	if (!s)
		return NULL;
	kind = (gfp_zone_bits & GFPI_DMA) ? KM_DMA : KM_NORMAL;
	pthread_mutex_lock(&s->lock);
	if (size > s->max_cache_size) {
		va = kmalloc_large(m, s, size, kind);
		pthread_mutex_unlock(&s->lock);
		return va;
	}
	c = class_of(s, size);
	sl = s->partial[kind][c];
	if (!sl)
		sl = new_slab(m, s, kind, c);
	if (!sl) {
		pthread_mutex_unlock(&s->lock);
		return NULL;
	}
	for (w = sl->hint; !sl->freemap[w]; w++)
		;
	sl->hint = w;
	idx = w * 64 + (uint32_t)__builtin_ctzll(sl->freemap[w]);
	sl->freemap[w] &= ~(1ULL << (idx % 64));
	if (++sl->inuse == sl->nobj)
		partial_unlink(s, sl);
	pa = ((phys_addr_t)sl->pfn << s->page_shift) +
	     (phys_addr_t)idx * s->cls_size[c];
	va = phys_to_virt(m, pa);
	if (!va) {		/* cannot happen for a mapped slab; undo */
		sl->freemap[w] |= 1ULL << (idx % 64);
		if (sl->inuse-- == sl->nobj)
			partial_push(s, sl);
	}
	pthread_mutex_unlock(&s->lock);
	/* slab_post_alloc_hook(): init_on_alloc zeroes the object */
	if (va && m->init_on_alloc)
		memset(physmem_cpu_ptr(m, va), 0, s->cls_size[c]);
	return va;
}

/* Object index of pa in a small slab, or -1 if pa is not a live object. */
static int64_t live_index(const struct slab_state *s, const struct slab *sl,
			  phys_addr_t pa)
{
	uint64_t off = pa - ((phys_addr_t)sl->pfn << s->page_shift);
	uint32_t size = s->cls_size[sl->cls];
	uint64_t idx;

	if (off % size)
		return -1;
	idx = off / size;
	if (idx >= sl->nobj || (sl->freemap[idx / 64] >> (idx % 64)) & 1)
		return -1;
	return (int64_t)idx;
}

int kfree_sim(struct dmapool_machine *m, const void *p)
{
	struct slab_state *s;
	struct slab *sl;
	phys_addr_t pa;
	int64_t idx;

	if (!p || p == KMALLOC_ZERO_SIZE_PTR)
		return 0;
	if (!m || !(s = __atomic_load_n(&m->slab, __ATOMIC_ACQUIRE)))
		return -EINVAL;
	pa = virt_to_phys(m, p);
	if (pa == PHYS_NONE)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	sl = slab_lookup(s, pa >> s->page_shift);
	if (!sl)
		goto bad;
	if (sl->cls == SLAB_LARGE) {
		if (pa != (phys_addr_t)sl->pfn << s->page_shift)
			goto bad;
		hash_remove(s, sl);
		buddy_free(m, pa, sl->order);
		free(sl);
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	idx = live_index(s, sl, pa);
	if (idx < 0)
		goto bad;
	sl->freemap[idx / 64] |= 1ULL << (idx % 64);
	if ((uint32_t)(idx / 64) < sl->hint)
		sl->hint = (uint32_t)(idx / 64);
	if (sl->inuse-- == sl->nobj)
		partial_push(s, sl);
	if (!sl->inuse) {
		partial_unlink(s, sl);
		hash_remove(s, sl);
		buddy_free(m, (phys_addr_t)sl->pfn << s->page_shift, sl->order);
		free(sl);
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
bad:
	pthread_mutex_unlock(&s->lock);
	return -EINVAL;
}

size_t kmalloc_size_roundup_sim(struct dmapool_machine *m, size_t size)
{
	struct slab_state *s;

	if (!m || !size || !(s = state_get(m)))
		return size;
	if (size <= s->max_cache_size)
		return s->cls_size[class_of(s, size)];
	/* Above the caches: whole pages, while kmalloc could succeed. */
	if (order_for(s->page_shift, size) <= s->max_order)
		return (size_t)1 << (s->page_shift +
				     order_for(s->page_shift, size));
	return size;
}

size_t ksize_sim(struct dmapool_machine *m, const void *p)
{
	struct slab_state *s;
	struct slab *sl;
	phys_addr_t pa;
	size_t r = 0;

	if (!m || !p || p == KMALLOC_ZERO_SIZE_PTR ||
	    !(s = __atomic_load_n(&m->slab, __ATOMIC_ACQUIRE)))
		return 0;
	pa = virt_to_phys(m, p);
	if (pa == PHYS_NONE)
		return 0;
	pthread_mutex_lock(&s->lock);
	sl = slab_lookup(s, pa >> s->page_shift);
	if (sl && sl->cls == SLAB_LARGE) {
		if (pa == (phys_addr_t)sl->pfn << s->page_shift)
			r = (size_t)1 << (s->page_shift + sl->order);
	} else if (sl && live_index(s, sl, pa) >= 0) {
		r = s->cls_size[sl->cls];
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* ------------------------------------------------------------------ */
/* Kernel-named entry points (include/linux-compat/linux/slab.h)       */

static struct dmapool_machine *mem_machine(void)
{
	return machine_current();
}

DMAPOOL_API void *kmalloc(size_t size, gfp_t flags)
{
	struct dmapool_machine *m = mem_machine();
	void *p;

	if (!m)
		return NULL;
	p = kmalloc_sim(m, size, flags & GFPI_DMA);
	/* kmalloc_sim() already zeroed it under init_on_alloc */
	if (p && p != KMALLOC_ZERO_SIZE_PTR && (flags & __GFP_ZERO) && !m->init_on_alloc)
		memset(physmem_cpu_ptr(m, p), 0, size);
	return p;
}

DMAPOOL_API void *kzalloc(size_t size, gfp_t flags)
{
	return kmalloc(size, flags | __GFP_ZERO);
}

DMAPOOL_API void *kcalloc(size_t n, size_t size, gfp_t flags)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return kmalloc(n * size, flags | __GFP_ZERO);
}

DMAPOOL_API void *kmalloc_array(size_t n, size_t size, gfp_t flags)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return kmalloc(n * size, flags);
}

DMAPOOL_API void kfree(const void *p)
{
	struct dmapool_machine *m;

	if (!p || p == KMALLOC_ZERO_SIZE_PTR)
		return;
	m = machine_registry_find_va(p);
	if (m && !kfree_sim(m, p))
		return;
	if (!m)
		m = mem_machine();
	if (m)
		report(m, "kfree-invalid", NULL, (uint64_t)(uintptr_t)p, 0,
		       "kfree(%p): not an object kmalloc() returned (or already freed); nothing freed",
		       p);
}

DMAPOOL_API size_t ksize(const void *p)
{
	struct dmapool_machine *m;

	if (!p || p == KMALLOC_ZERO_SIZE_PTR)
		return 0;
	m = machine_registry_find_va(p);
	return m ? ksize_sim(m, p) : 0;
}

DMAPOOL_API size_t kmalloc_size_roundup(size_t size)
{
	struct dmapool_machine *m = mem_machine();

	return m ? kmalloc_size_roundup_sim(m, size) : size;
}

struct kmem_cache {
	char *name;
	size_t size, objsize;
	unsigned int align;
	unsigned int flags;
	void (*ctor)(void *);
	struct dmapool_machine *m;
};

DMAPOOL_API struct kmem_cache *kmem_cache_create(const char *name,
						 unsigned int size,
						 unsigned int align,
						 unsigned int flags,
						 void (*ctor)(void *))
{
	struct dmapool_machine *m = mem_machine();
	struct kmem_cache *c;

	if (!m || !name || !size || (align & (align - 1)))
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->name = strdup(name))) {
		free(c);
		return NULL;
	}
	c->size = size;
	c->align = align ? align : 1;
	c->objsize = ALIGN_UP((size_t)size, (size_t)c->align);
	c->flags = flags;
	c->ctor = ctor;
	c->m = m;
	return c;
}

DMAPOOL_API void *kmem_cache_alloc(struct kmem_cache *c, gfp_t flags)
{
	void *p;

	if (!c)
		return NULL;
	p = kmalloc_sim(c->m, c->objsize, flags & GFPI_DMA);
	if (!p)
		return NULL;
	if ((flags & __GFP_ZERO) && !c->m->init_on_alloc)
		memset(physmem_cpu_ptr(c->m, p), 0, c->size);
	if (c->ctor)
		c->ctor(p);
	return p;
}

DMAPOOL_API void *kmem_cache_zalloc(struct kmem_cache *c, gfp_t flags)
{
	return kmem_cache_alloc(c, flags | __GFP_ZERO);
}

DMAPOOL_API void kmem_cache_free(struct kmem_cache *c, void *p)
{
	if (!c || !p)
		return;
	if (kfree_sim(c->m, p))
		report(c->m, "kfree-invalid", NULL, (uint64_t)(uintptr_t)p, c->size,
		       "kmem_cache_free(%s, %p): not an object of this machine's caches; nothing freed",
		       c->name, p);
}

DMAPOOL_API void kmem_cache_destroy(struct kmem_cache *c)
{
	if (!c)
		return;
	free(c->name);
	free(c);
}
