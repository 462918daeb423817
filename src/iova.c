/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * iova.c — the IOVA space of one DMA domain (models drivers/iommu/iova.c).
 *
 * Allocated ranges live in a tree ordered by address, with the kernel's
 * anchor node at the top of the space.  alloc_iova() walks down from a
 * cached node ("the last range handed out below/above 4 GiB") and takes
 * the highest size-aligned gap below the limit, the way
 * __alloc_and_insert_iova_range() does: a range of n granules starts at a
 * multiple of roundup_pow_of_two(n) and gaps left by that alignment are
 * not filled by later, smaller requests unless the walk comes back to
 * them (a free above the cached node moves it up; a failed walk retries
 * once from the limit).  The "largest failed 32-bit size" hint
 * (max32_alloc_size) short-cuts requests that cannot fit below 4 GiB.
 *
 * alloc_iova_fast() / free_iova_fast() put ranges of up to 32 granules
 * (IOVA_RANGE_CACHE_MAX_SIZE - 1 = 5 size classes above 1) through the
 * range caches: per size class a loaded and a previous magazine of 127
 * pfns and a depot of full magazines.  Cached ranges stay in the tree;
 * a request pops the newest cached pfn that fits the limit (LIFO).  When
 * an allocation fails, every cache is emptied into the tree once and the
 * walk is retried.
 *
 * The tree is a treap with parent pointers (rb_prev/rb_next walks as in
 * the kernel, O(log n) insert, erase and lookup), priorities from a
 * fixed hash of the address so that every run builds the same tree.
 * Each range also keeps the free gap below it and its subtree the
 * largest gap, so the walk jumps in O(log n) over every range whose gap
 * is too small for the request: those never end the kernel's walk, so
 * the answer is the walk's, without its O(n) worst case (the kernel's
 * own walk is linear; tests compare the two).
 *
 * Left out: per-CPU caches (one CPU: the oracle's machine has one, and a
 * single cache keeps results independent of thread scheduling), the
 * depot's delayed trimming worker (the depot is bounded instead: with 32
 * full magazines in a class, the loaded magazine's ranges go back to the
 * tree, as kernels before 6.7 did), reserve_iova() (no PCI windows or
 * reserved regions are modelled), and the 32-bit-pfn walk optimisation
 * of iova_find_limit() (the same node is found through the tree).
 */
#include "internal.h"

#define IOVA_ANCHOR		(~0ULL)
#define IOVA_MAG_SIZE		127
#define IOVA_DEPOT_MAX		32

struct iova {
	struct iova *l, *r, *p;
	uint64_t lo, hi;		/* pfns, inclusive */
	uint64_t prio;
	uint64_t gap;			/* free pfns between the range below and lo */
	uint64_t maxgap;		/* the largest gap in this subtree */
};

/* Tests compare the skipping walk with the kernel's plain one. */
bool iova_linear_walk;

struct iova_magazine {
	unsigned size;
	uint64_t pfns[IOVA_MAG_SIZE];
	struct iova_magazine *next;	/* depot link */
};

struct iova_rcache {
	struct iova_magazine *loaded, *prev;
	struct iova_magazine *depot;
	unsigned depot_size;
};

struct iova_domain {
	pthread_mutex_t lock;
	uint64_t granule;
	unsigned shift;
	uint64_t start_pfn;
	uint64_t dma_32bit_pfn;
	uint64_t max32_alloc_size;
	struct iova *root;
	struct iova anchor;
	struct iova *cached_node, *cached32_node;
	struct iova_rcache rcaches[IOVA_RANGE_CACHE_MAX_SIZE];
	struct iova_stats st;
};

static unsigned fls64_i(uint64_t x)
{
	return x ? 64u - (unsigned)__builtin_clzll(x) : 0;
}

/* order_base_2() */
static unsigned order_base_2_u(uint64_t n)
{
	return n > 1 ? fls64_i(n - 1) : 0;
}

/* ---- the tree ---- */

static struct iova *iova_first_in(struct iova *n)
{
	while (n->l)
		n = n->l;
	return n;
}

static struct iova *iova_last_in(struct iova *n)
{
	while (n->r)
		n = n->r;
	return n;
}

static struct iova *iova_next(struct iova *n)
{
	if (n->r)
		return iova_first_in(n->r);
	while (n->p && n->p->r == n)
		n = n->p;
	return n->p;
}

static struct iova *iova_prev(struct iova *n)
{
	if (n->l)
		return iova_last_in(n->l);
	while (n->p && n->p->l == n)
		n = n->p;
	return n->p;
}

static uint64_t max3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t m = a > b ? a : b;

	return m > c ? m : c;
}

static void pull(struct iova *n)
{
	n->maxgap = max3(n->gap, n->l ? n->l->maxgap : 0, n->r ? n->r->maxgap : 0);
}

static void pull_up(struct iova *n)
{
	for (; n; n = n->p)
		pull(n);
}

/* The gap below n: from the end of the range before it (or pfn 0). */
static void set_gap(struct iova *n)
{
	struct iova *pr = iova_prev(n);

	n->gap = n->lo - (pr ? pr->hi + 1 : 0);
	pull_up(n);
}

static void set_child(struct iova_domain *d, struct iova *parent,
		      struct iova *old, struct iova *new)
{
	if (!parent)
		d->root = new;
	else if (parent->l == old)
		parent->l = new;
	else
		parent->r = new;
	if (new)
		new->p = parent;
}

/* x's left child y comes up */
static void rot_right(struct iova_domain *d, struct iova *x)
{
	struct iova *y = x->l;

	x->l = y->r;
	if (y->r)
		y->r->p = x;
	set_child(d, x->p, x, y);
	y->r = x;
	x->p = y;
	pull(x);
	pull(y);
}

static void rot_left(struct iova_domain *d, struct iova *x)
{
	struct iova *y = x->r;

	x->r = y->l;
	if (y->l)
		y->l->p = x;
	set_child(d, x->p, x, y);
	y->l = x;
	x->p = y;
	pull(x);
	pull(y);
}

static void tree_insert(struct iova_domain *d, struct iova *n)
{
	struct iova **link = &d->root, *parent = NULL;

	n->l = n->r = NULL;
	n->prio = mix64(n->lo ^ 0x9e3779b97f4a7c15ULL);
	while (*link) {
		parent = *link;
		link = n->lo < parent->lo ? &parent->l : &parent->r;
	}
	*link = n;
	n->p = parent;
	set_gap(n);
	if (iova_next(n))
		set_gap(iova_next(n));
	while (n->p && n->p->prio < n->prio) {
		if (n->p->l == n)
			rot_right(d, n->p);
		else
			rot_left(d, n->p);
	}
}

static void tree_erase(struct iova_domain *d, struct iova *n)
{
	struct iova *next = iova_next(n), *parent;

	while (n->l || n->r) {
		if (!n->r || (n->l && n->l->prio > n->r->prio))
			rot_right(d, n);
		else
			rot_left(d, n);
	}
	parent = n->p;
	set_child(d, parent, n, NULL);
	n->p = NULL;
	pull_up(parent);
	if (next)
		set_gap(next);
}

/* The rightmost node of subtree t (maxgap >= size) whose gap holds size. */
static struct iova *rightmost_fit(struct iova *t, uint64_t size)
{
	for (;;) {
		if (t->r && t->r->maxgap >= size)
			t = t->r;
		else if (t->gap >= size)
			return t;
		else
			t = t->l;
	}
}

/* The highest range below n whose gap could hold size, else the lowest
 * range: the plain walk passes every range in between without stopping
 * (a range can only end the walk if the gap below it holds size, or
 * fail it, which the range found fails as well).  O(log n). */
static struct iova *prev_fit(struct iova_domain *d, struct iova *n, uint64_t size)
{
	if (n->l && n->l->maxgap >= size)
		return rightmost_fit(n->l, size);
	for (struct iova *c = n, *p = n->p; p; c = p, p = p->p) {
		if (p->r != c)
			continue;
		if (p->gap >= size)
			return p;
		if (p->l && p->l->maxgap >= size)
			return rightmost_fit(p->l, size);
	}
	return iova_first_in(d->root);
}

/* The range holding pfn, or NULL (private_find_iova). */
static struct iova *tree_find(struct iova_domain *d, uint64_t pfn)
{
	struct iova *n = d->root;

	while (n) {
		if (pfn < n->lo)
			n = n->l;
		else if (pfn > n->hi)
			n = n->r;
		else
			return n;
	}
	return NULL;
}

/* iova_find_limit(): the lowest range ending at or above limit_pfn (the
 * anchor at worst). */
static struct iova *tree_find_limit(struct iova_domain *d, uint64_t limit_pfn)
{
	struct iova *n = d->root, *best = &d->anchor;

	while (n) {
		if (n->hi >= limit_pfn) {
			best = n;
			n = n->l;
		} else {
			n = n->r;
		}
	}
	return best;
}

/* ---- alloc_iova / free_iova ---- */

static void cached_insert_update(struct iova_domain *d, struct iova *n)
{
	if (n->hi < d->dma_32bit_pfn)
		d->cached32_node = n;
	else
		d->cached_node = n;
}

static void cached_delete_update(struct iova_domain *d, struct iova *f)
{
	struct iova *c = d->cached32_node;

	if (f == c || (f->hi < d->dma_32bit_pfn && f->lo >= c->lo))
		d->cached32_node = iova_next(f);
	if (f->lo < d->dma_32bit_pfn)
		d->max32_alloc_size = d->dma_32bit_pfn;
	c = d->cached_node;
	if (f->lo >= c->lo)
		d->cached_node = iova_next(f);
}

static void remove_iova(struct iova_domain *d, struct iova *n)
{
	cached_delete_update(d, n);
	tree_erase(d, n);
	d->st.live--;
}

/* __alloc_and_insert_iova_range(), size-aligned; limit_pfn exclusive. */
static int alloc_insert(struct iova_domain *d, uint64_t size, uint64_t limit_pfn,
			struct iova *n)
{
	uint64_t align_mask = ~0ULL, high = limit_pfn, low = d->start_pfn;
	uint64_t new_pfn, retry_pfn;
	struct iova *curr;

	align_mask <<= fls64_i(size - 1);
	if (fls64_i(size - 1) >= 64)
		align_mask = 0;
	if (limit_pfn <= d->dma_32bit_pfn && size >= d->max32_alloc_size)
		return -ENOMEM;
	curr = limit_pfn <= d->dma_32bit_pfn ? d->cached32_node : d->cached_node;
	retry_pfn = curr->hi;
retry:
	do {
		/* a range whose gap cannot hold size never ends the walk:
		 * jump over every such range at once */
		if (curr->lo < high && curr->gap < size && !iova_linear_walk)
			curr = prev_fit(d, curr, size);
		if (curr->lo < high)
			high = curr->lo;
		new_pfn = (high - size) & align_mask;
		curr = iova_prev(curr);
		d->st.walk_steps++;
	} while (curr && new_pfn <= curr->hi && new_pfn >= low);

	if (high < size || new_pfn < low) {
		if (low == d->start_pfn && retry_pfn < limit_pfn) {
			high = limit_pfn;
			low = retry_pfn + 1;
			curr = tree_find_limit(d, limit_pfn);
			goto retry;
		}
		d->max32_alloc_size = size;
		return -ENOMEM;
	}
	n->lo = new_pfn;
	n->hi = new_pfn + size - 1;
	tree_insert(d, n);
	cached_insert_update(d, n);
	d->st.live++;
	return 0;
}

/* alloc_iova(..., size_aligned = true): the first pfn, 0 on failure. */
static uint64_t alloc_iova_locked(struct iova_domain *d, uint64_t size,
				  uint64_t limit_pfn)
{
	struct iova *n = calloc(1, sizeof(*n));

	if (!n)
		return 0;
	if (alloc_insert(d, size, limit_pfn + 1, n)) {
		free(n);
		return 0;
	}
	d->st.tree_allocs++;
	return n->lo;
}

static void free_iova_locked(struct iova_domain *d, uint64_t pfn)
{
	struct iova *n = tree_find(d, pfn);

	if (!n || n == &d->anchor)
		return;
	remove_iova(d, n);
	d->st.tree_frees++;
	free(n);
}

/* ---- range caches ---- */

static struct iova_magazine *mag_alloc(void)
{
	return calloc(1, sizeof(struct iova_magazine));
}

/* iova_magazine_free_pfns(): the cached ranges go back to the tree. */
static void mag_free_pfns(struct iova_domain *d, struct iova_magazine *mag)
{
	if (!mag)
		return;
	for (unsigned i = 0; i < mag->size; i++)
		free_iova_locked(d, mag->pfns[i]);
	d->st.cached -= mag->size;
	mag->size = 0;
}

/* iova_magazine_pop(): the newest pfn at or below limit_pfn, or 0. */
static uint64_t mag_pop(struct iova_magazine *mag, uint64_t limit_pfn)
{
	int i;
	uint64_t pfn;

	for (i = (int)mag->size - 1; mag->pfns[i] > limit_pfn; i--)
		if (i == 0)
			return 0;
	pfn = mag->pfns[i];
	mag->pfns[i] = mag->pfns[--mag->size];
	return pfn;
}

static bool rcache_insert(struct iova_domain *d, uint64_t pfn, uint64_t size)
{
	unsigned log = order_base_2_u(size);
	struct iova_rcache *rc;

	if (log >= IOVA_RANGE_CACHE_MAX_SIZE)
		return false;
	rc = &d->rcaches[log];
	if (!rc->loaded) {
		rc->loaded = mag_alloc();
		rc->prev = mag_alloc();
		if (!rc->loaded || !rc->prev) {
			free(rc->loaded);
			free(rc->prev);
			rc->loaded = rc->prev = NULL;
			return false;
		}
	}
	if (rc->loaded->size == IOVA_MAG_SIZE) {
		if (rc->prev->size < IOVA_MAG_SIZE) {
			struct iova_magazine *t = rc->prev;

			rc->prev = rc->loaded;
			rc->loaded = t;
		} else if (rc->depot_size < IOVA_DEPOT_MAX) {
			struct iova_magazine *nm = mag_alloc();

			if (!nm)
				return false;
			rc->loaded->next = rc->depot;
			rc->depot = rc->loaded;
			rc->depot_size++;
			rc->loaded = nm;
		} else {
			/* bounded depot: this magazine's ranges go back */
			mag_free_pfns(d, rc->loaded);
		}
	}
	rc->loaded->pfns[rc->loaded->size++] = pfn;
	d->st.cached++;
	return true;
}

static uint64_t rcache_get(struct iova_domain *d, uint64_t size, uint64_t limit_pfn)
{
	unsigned log = order_base_2_u(size);
	struct iova_rcache *rc;
	uint64_t pfn = 0;

	if (log >= IOVA_RANGE_CACHE_MAX_SIZE)
		return 0;
	rc = &d->rcaches[log];
	if (!rc->loaded)
		return 0;
	if (rc->loaded->size) {
		pfn = mag_pop(rc->loaded, limit_pfn - size);
	} else if (rc->prev->size) {
		struct iova_magazine *t = rc->prev;

		rc->prev = rc->loaded;
		rc->loaded = t;
		pfn = mag_pop(rc->loaded, limit_pfn - size);
	} else if (rc->depot) {
		free(rc->loaded);
		rc->loaded = rc->depot;
		rc->depot = rc->depot->next;
		rc->loaded->next = NULL;
		rc->depot_size--;
		pfn = mag_pop(rc->loaded, limit_pfn - size);
	}
	if (pfn)
		d->st.cached--;
	return pfn;
}

/* free_cpu_cached_iovas() + free_global_cached_iovas() */
static void rcache_flush_all(struct iova_domain *d)
{
	for (unsigned i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
		struct iova_rcache *rc = &d->rcaches[i];

		mag_free_pfns(d, rc->loaded);
		mag_free_pfns(d, rc->prev);
		while (rc->depot) {
			struct iova_magazine *mg = rc->depot;

			rc->depot = mg->next;
			rc->depot_size--;
			mag_free_pfns(d, mg);
			free(mg);
		}
	}
	d->st.flushes++;
}

/* ---- API ---- */

struct iova_domain *iova_domain_create(uint64_t granule, uint64_t start_pfn)
{
	struct iova_domain *d;

	if (!granule || (granule & (granule - 1)))
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	pthread_mutex_init(&d->lock, NULL);
	d->granule = granule;
	d->shift = (unsigned)__builtin_ctzll(granule);
	d->start_pfn = start_pfn ? start_pfn : 1;
	d->dma_32bit_pfn = 1ULL << (32 - d->shift);
	d->max32_alloc_size = d->dma_32bit_pfn;
	d->anchor.lo = d->anchor.hi = IOVA_ANCHOR;
	d->cached_node = d->cached32_node = &d->anchor;
	tree_insert(d, &d->anchor);
	return d;
}

static void free_subtree(struct iova_domain *d, struct iova *n)
{
	while (n) {
		struct iova *l = n->l, *r = n->r;

		free_subtree(d, l);
		if (n != &d->anchor)
			free(n);
		n = r;
	}
}

void iova_domain_destroy(struct iova_domain *d)
{
	if (!d)
		return;
	for (unsigned i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
		struct iova_rcache *rc = &d->rcaches[i];

		free(rc->loaded);
		free(rc->prev);
		while (rc->depot) {
			struct iova_magazine *mg = rc->depot;

			rc->depot = mg->next;
			free(mg);
		}
	}
	free_subtree(d, d->root);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

uint64_t iova_granule(const struct iova_domain *d)
{
	return d->granule;
}

unsigned iova_shift(const struct iova_domain *d)
{
	return d->shift;
}

uint64_t alloc_iova_fast(struct iova_domain *d, uint64_t size,
			 uint64_t limit_pfn, bool flush_rcache, bool *cache_hit)
{
	uint64_t pfn;

	if (cache_hit)
		*cache_hit = false;
	if (!size)
		return 0;
	if (size < (1u << (IOVA_RANGE_CACHE_MAX_SIZE - 1)))
		size = 1ULL << order_base_2_u(size);
	pthread_mutex_lock(&d->lock);
	pfn = rcache_get(d, size, limit_pfn + 1);
	if (pfn) {
		d->st.hits++;
		if (cache_hit)
			*cache_hit = true;
		pthread_mutex_unlock(&d->lock);
		return pfn;
	}
	d->st.misses++;
	for (;;) {
		pfn = alloc_iova_locked(d, size, limit_pfn);
		if (pfn || !flush_rcache)
			break;
		flush_rcache = false;
		rcache_flush_all(d);
	}
	pthread_mutex_unlock(&d->lock);
	return pfn;
}

void free_iova_fast(struct iova_domain *d, uint64_t pfn, uint64_t size)
{
	pthread_mutex_lock(&d->lock);
	if (!rcache_insert(d, pfn, size))
		free_iova_locked(d, pfn);
	pthread_mutex_unlock(&d->lock);
}

bool iova_is_allocated(struct iova_domain *d, uint64_t pfn, uint64_t *lo,
		       uint64_t *hi)
{
	struct iova *n;

	pthread_mutex_lock(&d->lock);
	n = tree_find(d, pfn);
	if (n == &d->anchor)
		n = NULL;
	if (n && lo)
		*lo = n->lo;
	if (n && hi)
		*hi = n->hi;
	pthread_mutex_unlock(&d->lock);
	return n != NULL;
}

void iova_get_stats(struct iova_domain *d, struct iova_stats *out)
{
	pthread_mutex_lock(&d->lock);
	*out = d->st;
	pthread_mutex_unlock(&d->lock);
}

void iova_walk(struct iova_domain *d,
	       void (*fn)(void *ctx, uint64_t lo, uint64_t hi), void *ctx)
{
	pthread_mutex_lock(&d->lock);
	for (struct iova *n = d->root ? iova_first_in(d->root) : NULL; n; n = iova_next(n))
		if (n != &d->anchor)
			fn(ctx, n->lo, n->hi);
	pthread_mutex_unlock(&d->lock);
}
