/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * page_alloc.c — the buddy allocator (models mm/page_alloc.c).
 *
 * Physical page frames are handed out in naturally aligned blocks of
 * 2^order pages, order 0..MAX_PAGE_ORDER.  A free block always lies inside
 * one zone; a request walks the zonelist implied by its gfp zone bits
 * (NORMAL -> DMA32 -> DMA, DMA32 -> DMA, DMA alone), skipping empty zones.
 *
 * Policy (deterministic): inside a zone the lowest-address free block of
 * the smallest sufficient order is taken and its upper halves go back to
 * the free lists; a freed block merges with its buddy while that buddy is
 * free and in the same zone.
 *
 * Left out: migratetypes and pageblock isolation, per-cpu page lists,
 * watermarks and reclaim/compaction, NUMA nodes, memory hotplug, page
 * poisoning and struct page itself.
 *
 * Bookkeeping: per zone and per order, one hierarchical (64-ary) bitmap of
 * free block starts and one of allocated block starts.  Bitmaps are
 * calloc'd, so untouched parts cost no resident memory; every operation is
 * O(log n) (find-next over the summary levels) except range operations,
 * which are linear in the number of blocks they touch.  Allocation state
 * lets a bad free (unknown block, wrong order, double free) be refused
 * without changing anything.
 */
#include "internal.h"

#define BUDDY_ORDER_LIMIT	24	/* sanity cap on max_order */
#define HBM_MAXLV		8	/* 64^8 bits: far beyond any span */
#define NO_BIT			UINT64_MAX

/* ------------------------------------------------------------------ */
/* Hierarchical bitmap: level 0 holds the bits; bit j of level l+1 is set
 * iff word j of level l is non-zero.  The top level is a single word. */

struct hbm {
	uint64_t nbits;
	unsigned nlv;
	uint64_t *lv[HBM_MAXLV];
	uint64_t nwords[HBM_MAXLV];
};

static void hbm_free(struct hbm *h)
{
	for (unsigned i = 0; i < h->nlv; i++)
		free(h->lv[i]);
	memset(h, 0, sizeof(*h));
}

static int hbm_init(struct hbm *h, uint64_t nbits)
{
	uint64_t n = nbits;

	memset(h, 0, sizeof(*h));
	if (!nbits)
		return -EINVAL;
	h->nbits = nbits;
	do {
		uint64_t words = (n + 63) / 64;

		if (h->nlv == HBM_MAXLV || words > SIZE_MAX / sizeof(uint64_t)) {
			hbm_free(h);
			return -EINVAL;
		}
		h->lv[h->nlv] = calloc(words, sizeof(uint64_t));
		if (!h->lv[h->nlv]) {
			hbm_free(h);
			return -ENOMEM;
		}
		h->nwords[h->nlv++] = words;
		n = words;
	} while (n > 1);
	return 0;
}

static bool hbm_test(const struct hbm *h, uint64_t i)
{
	return (h->lv[0][i >> 6] >> (i & 63)) & 1;
}

static void hbm_set(struct hbm *h, uint64_t i)
{
	for (unsigned l = 0; l < h->nlv; l++) {
		uint64_t *w = &h->lv[l][i >> 6];
		uint64_t was = *w;

		*w = was | (1ULL << (i & 63));
		if (was)
			break;
		i >>= 6;
	}
}

static void hbm_clear(struct hbm *h, uint64_t i)
{
	for (unsigned l = 0; l < h->nlv; l++) {
		uint64_t *w = &h->lv[l][i >> 6];

		*w &= ~(1ULL << (i & 63));
		if (*w)
			break;
		i >>= 6;
	}
}

/* First set bit >= from, or NO_BIT. */
static uint64_t hbm_find_next(const struct hbm *h, uint64_t from)
{
	uint64_t idx = from;
	unsigned l = 0;

	if (from >= h->nbits)
		return NO_BIT;
	for (;;) {
		uint64_t w = idx >> 6, word;

		if (w >= h->nwords[l])
			return NO_BIT;
		word = h->lv[l][w] & (~0ULL << (idx & 63));
		if (word) {
			idx = (w << 6) + (uint64_t)__builtin_ctzll(word);
			break;
		}
		if (l + 1 == h->nlv)
			return NO_BIT;
		idx = w + 1;	/* continue after this word, one level up */
		l++;
	}
	while (l > 0) {
		l--;
		idx = (idx << 6) + (uint64_t)__builtin_ctzll(h->lv[l][idx]);
	}
	return idx;
}

/* ------------------------------------------------------------------ */
/* Zones and the allocator */

struct bzone {
	uint64_t start, end;	/* span [start, end) in pfns; empty if equal */
	uint64_t nr_free;	/* free pages */
	uint64_t *nblocks;	/* free blocks per order */
	struct hbm *freem;	/* per order: free block starts */
	struct hbm *used;	/* per order: allocated block starts */
};

struct buddy {
	pthread_mutex_t lock;
	unsigned page_shift;
	unsigned max_order;
	struct bzone z[MAX_NR_ZONES];
};

static bool zone_empty(const struct bzone *z)
{
	return z->end <= z->start;
}

static uint64_t blk_idx(const struct bzone *z, uint64_t pfn, unsigned k)
{
	return (pfn >> k) - (z->start >> k);
}

static bool blk_fits(const struct bzone *z, uint64_t pfn, unsigned k)
{
	return pfn >= z->start && pfn < z->end &&
	       (1ULL << k) <= z->end - pfn;
}

static bool free_test(const struct bzone *z, uint64_t pfn, unsigned k)
{
	return blk_fits(z, pfn, k) && hbm_test(&z->freem[k], blk_idx(z, pfn, k));
}

static bool used_test(const struct bzone *z, uint64_t pfn, unsigned k)
{
	return blk_fits(z, pfn, k) && hbm_test(&z->used[k], blk_idx(z, pfn, k));
}

static void free_insert(struct bzone *z, uint64_t pfn, unsigned k)
{
	hbm_set(&z->freem[k], blk_idx(z, pfn, k));
	z->nblocks[k]++;
	z->nr_free += 1ULL << k;
}

static void free_remove(struct bzone *z, uint64_t pfn, unsigned k)
{
	hbm_clear(&z->freem[k], blk_idx(z, pfn, k));
	z->nblocks[k]--;
	z->nr_free -= 1ULL << k;
}

/* Put a free block back, merging with free buddies. */
static void merge_insert(struct buddy *b, struct bzone *z, uint64_t pfn,
			 unsigned k)
{
	while (k < b->max_order) {
		uint64_t buddy = pfn ^ (1ULL << k);

		if (!free_test(z, buddy, k))
			break;
		free_remove(z, buddy, k);
		if (buddy < pfn)
			pfn = buddy;
		k++;
	}
	free_insert(z, pfn, k);
}

static int zone_of(const struct buddy *b, uint64_t pfn)
{
	for (int i = 0; i < MAX_NR_ZONES; i++)
		if (!zone_empty(&b->z[i]) && pfn >= b->z[i].start &&
		    pfn < b->z[i].end)
			return i;
	return -1;
}

/* Does any block of the per-order maps touch [s, e) (within z)? */
static bool range_touched(const struct buddy *b, const struct bzone *z,
			  const struct hbm *maps, uint64_t s, uint64_t e)
{
	for (unsigned k = 0; k <= b->max_order; k++) {
		uint64_t lo = blk_idx(z, s, k), hi = blk_idx(z, e - 1, k);
		uint64_t r = hbm_find_next(&maps[k], lo);

		if (r != NO_BIT && r <= hi)
			return true;
	}
	return false;
}

/* Clip [s, e) to zone z; false when they do not intersect. */
static bool clip(const struct bzone *z, uint64_t s, uint64_t e,
		 uint64_t *cs, uint64_t *ce)
{
	if (zone_empty(z))
		return false;
	*cs = s > z->start ? s : z->start;
	*ce = e < z->end ? e : z->end;
	return *cs < *ce;
}

static void zone_free_maps(struct bzone *z, unsigned max_order)
{
	if (z->freem)
		for (unsigned k = 0; k <= max_order; k++)
			hbm_free(&z->freem[k]);
	if (z->used)
		for (unsigned k = 0; k <= max_order; k++)
			hbm_free(&z->used[k]);
	free(z->freem);
	free(z->used);
	free(z->nblocks);
	z->freem = z->used = NULL;
	z->nblocks = NULL;
}

static int zone_alloc_maps(struct bzone *z, unsigned max_order)
{
	z->freem = calloc(max_order + 1, sizeof(*z->freem));
	z->used = calloc(max_order + 1, sizeof(*z->used));
	z->nblocks = calloc(max_order + 1, sizeof(*z->nblocks));
	if (!z->freem || !z->used || !z->nblocks)
		return -ENOMEM;
	for (unsigned k = 0; k <= max_order; k++) {
		uint64_t n = ((z->end - 1) >> k) - (z->start >> k) + 1;
		int rc = hbm_init(&z->freem[k], n);

		if (!rc)
			rc = hbm_init(&z->used[k], n);
		if (rc)
			return rc;
	}
	return 0;
}

struct buddy *buddy_create(const struct zone_info zones[MAX_NR_ZONES],
			   unsigned page_shift, unsigned max_order)
{
	struct buddy *b;

	if (!zones || max_order > BUDDY_ORDER_LIMIT || !page_shift ||
	    page_shift > 30)
		return NULL;
	/* Zones must not overlap and must leave room for pfn arithmetic. */
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		const struct zone_info *a = &zones[i];

		if (!a->present || a->end_pfn <= a->start_pfn)
			continue;
		if (a->end_pfn > (1ULL << (64 - page_shift)))
			return NULL;
		for (int j = i + 1; j < MAX_NR_ZONES; j++) {
			const struct zone_info *c = &zones[j];

			if (c->present && c->end_pfn > c->start_pfn &&
			    a->start_pfn < c->end_pfn && c->start_pfn < a->end_pfn)
				return NULL;
		}
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	if (pthread_mutex_init(&b->lock, NULL)) {
		free(b);
		return NULL;
	}
	b->page_shift = page_shift;
	b->max_order = max_order;
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct bzone *z = &b->z[i];

		if (!zones[i].present || zones[i].end_pfn <= zones[i].start_pfn)
			continue;
		z->start = zones[i].start_pfn;
		z->end = zones[i].end_pfn;
		if (zone_alloc_maps(z, max_order)) {
			buddy_core_destroy(b);
			return NULL;
		}
	}
	return b;
}

void buddy_core_destroy(struct buddy *b)
{
	if (!b)
		return;
	for (int i = 0; i < MAX_NR_ZONES; i++)
		zone_free_maps(&b->z[i], b->max_order);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

int buddy_core_add_range(struct buddy *b, uint64_t start_pfn, uint64_t end_pfn)
{
	uint64_t s, e;

	if (!b || start_pfn > end_pfn)
		return -EINVAL;
	if (start_pfn == end_pfn)
		return 0;
	pthread_mutex_lock(&b->lock);
	/* Refuse pages the allocator already knows (free or allocated). */
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct bzone *z = &b->z[i];

		if (!clip(z, start_pfn, end_pfn, &s, &e))
			continue;
		if (range_touched(b, z, z->freem, s, e) ||
		    range_touched(b, z, z->used, s, e)) {
			pthread_mutex_unlock(&b->lock);
			return -EEXIST;
		}
	}
	/* Free the largest aligned blocks; pages outside every zone are
	 * ignored, as the kernel ignores memory no zone spans. */
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct bzone *z = &b->z[i];

		if (!clip(z, start_pfn, end_pfn, &s, &e))
			continue;
		while (s < e) {
			unsigned k = s ? (unsigned)__builtin_ctzll(s) : b->max_order;

			if (k > b->max_order)
				k = b->max_order;
			while ((1ULL << k) > e - s)
				k--;
			merge_insert(b, z, s, k);
			s += 1ULL << k;
		}
	}
	pthread_mutex_unlock(&b->lock);
	return 0;
}

/* Highest zone a request may use, then fall back downwards. */
static int zonelist(unsigned gfp_zone_bits, int list[MAX_NR_ZONES])
{
	int n = 0;

	if (gfp_zone_bits & GFPI_DMA) {
		list[n++] = ZONE_DMA;
	} else if (gfp_zone_bits & GFPI_DMA32) {
		list[n++] = ZONE_DMA32;
		list[n++] = ZONE_DMA;
	} else if (gfp_zone_bits & GFPI_HIGHMEM) {
		list[n++] = ZONE_HIGHMEM;
		list[n++] = ZONE_NORMAL;
		list[n++] = ZONE_DMA32;
		list[n++] = ZONE_DMA;
	} else {
		list[n++] = ZONE_NORMAL;
		list[n++] = ZONE_DMA32;
		list[n++] = ZONE_DMA;
	}
	return n;
}

uint64_t buddy_core_alloc(struct buddy *b, unsigned gfp_zone_bits,
			  unsigned order)
{
	int list[MAX_NR_ZONES];
	int n;

	if (!b || order > b->max_order)
		return UINT64_MAX;
	n = zonelist(gfp_zone_bits, list);
	pthread_mutex_lock(&b->lock);
	for (int i = 0; i < n; i++) {
		struct bzone *z = &b->z[list[i]];

		if (zone_empty(z))
			continue;
		for (unsigned k = order; k <= b->max_order; k++) {
			uint64_t idx, pfn;

			if (!z->nblocks[k])
				continue;
			idx = hbm_find_next(&z->freem[k], 0);
			if (idx == NO_BIT)	/* counts and maps disagree */
				continue;
			pfn = ((z->start >> k) + idx) << k;
			free_remove(z, pfn, k);
			while (k > order) {	/* give back the upper halves */
				k--;
				free_insert(z, pfn + (1ULL << k), k);
			}
			hbm_set(&z->used[order], blk_idx(z, pfn, order));
			pthread_mutex_unlock(&b->lock);
			return pfn;
		}
	}
	pthread_mutex_unlock(&b->lock);
	return UINT64_MAX;
}

int buddy_core_free(struct buddy *b, uint64_t pfn, unsigned order)
{
	struct bzone *z;
	int zi;

	if (!b || order > b->max_order || (pfn & ((1ULL << order) - 1)))
		return -EINVAL;
	pthread_mutex_lock(&b->lock);
	zi = zone_of(b, pfn);
	if (zi < 0 || !used_test(&b->z[zi], pfn, order)) {
		pthread_mutex_unlock(&b->lock);
		return -EINVAL;
	}
	z = &b->z[zi];
	hbm_clear(&z->used[order], blk_idx(z, pfn, order));
	merge_insert(b, z, pfn, order);
	pthread_mutex_unlock(&b->lock);
	return 0;
}

uint64_t buddy_core_free_pages(struct buddy *b, enum zone_type zone)
{
	uint64_t n;

	if (!b || (unsigned)zone >= MAX_NR_ZONES)
		return 0;
	pthread_mutex_lock(&b->lock);
	n = b->z[zone].nr_free;
	pthread_mutex_unlock(&b->lock);
	return n;
}

uint64_t buddy_core_free_blocks(struct buddy *b, enum zone_type zone,
				unsigned order)
{
	uint64_t n = 0;

	if (!b || (unsigned)zone >= MAX_NR_ZONES || order > b->max_order)
		return 0;
	pthread_mutex_lock(&b->lock);
	if (b->z[zone].nblocks)
		n = b->z[zone].nblocks[order];
	pthread_mutex_unlock(&b->lock);
	return n;
}

int buddy_core_acct(struct buddy *b, enum zone_type zone, uint64_t *nr_free,
		    uint64_t *by_blocks, uint64_t *by_maps, int *bad_order)
{
	const struct bzone *z;

	if (!b || (unsigned)zone >= MAX_NR_ZONES)
		return -ENOENT;
	z = &b->z[zone];
	if (zone_empty(z) || !z->nblocks)
		return -ENOENT;
	*by_blocks = *by_maps = 0;
	*bad_order = -1;
	pthread_mutex_lock(&b->lock);
	*nr_free = z->nr_free;
	for (unsigned k = 0; k <= b->max_order; k++) {
		const struct hbm *h = &z->freem[k];
		uint64_t n = 0;

		/* the non-zero words only: level 1 marks them */
		if (h->nlv < 2)
			n = (uint64_t)__builtin_popcountll(h->lv[0][0]);
		for (uint64_t j = 0; h->nlv >= 2 && j < h->nwords[1]; j++)
			for (uint64_t w = h->lv[1][j]; w; w &= w - 1)
				n += (uint64_t)__builtin_popcountll(
					h->lv[0][j * 64 + (uint64_t)__builtin_ctzll(w)]);
		if (n != z->nblocks[k] && *bad_order < 0)
			*bad_order = (int)k;
		*by_blocks += z->nblocks[k] << k;
		*by_maps += n << k;
	}
	pthread_mutex_unlock(&b->lock);
	return 0;
}

/* Make pfn bd a block boundary: split the free block straddling it. */
static void split_at(struct buddy *b, struct bzone *z, uint64_t bd)
{
	for (unsigned k = 1; k <= b->max_order; k++) {
		uint64_t st = bd & ~((1ULL << k) - 1);

		if (st == bd || !free_test(z, st, k))
			continue;
		free_remove(z, st, k);
		for (;;) {	/* keep halves; no merging here */
			uint64_t mid;

			k--;
			mid = st + (1ULL << k);
			if (bd >= mid) {
				free_insert(z, st, k);
				st = mid;
				if (st == bd) {
					free_insert(z, st, k);
					return;
				}
			} else {
				free_insert(z, mid, k);
			}
		}
	}
}

int buddy_core_take_range(struct buddy *b, uint64_t start_pfn, uint64_t end_pfn)
{
	uint64_t s, e;

	if (!b || start_pfn > end_pfn)
		return -EINVAL;
	if (start_pfn == end_pfn)
		return 0;
	pthread_mutex_lock(&b->lock);
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct bzone *z = &b->z[i];

		if (clip(z, start_pfn, end_pfn, &s, &e) &&
		    range_touched(b, z, z->used, s, e)) {
			pthread_mutex_unlock(&b->lock);
			return -EBUSY;
		}
	}
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct bzone *z = &b->z[i];

		if (!clip(z, start_pfn, end_pfn, &s, &e))
			continue;
		split_at(b, z, s);
		split_at(b, z, e);
		/* Every free block starting in [s, e) now ends inside it. */
		for (unsigned k = 0; k <= b->max_order; k++) {
			uint64_t idx = blk_idx(z, s, k);
			uint64_t hi = blk_idx(z, e - 1, k);

			if (!z->nblocks[k])
				continue;
			while ((idx = hbm_find_next(&z->freem[k], idx)) != NO_BIT &&
			       idx <= hi) {
				free_remove(z, ((z->start >> k) + idx) << k, k);
				idx++;
			}
		}
	}
	pthread_mutex_unlock(&b->lock);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Machine level */

static uint64_t pfn_up(const struct dmapool_machine *m, phys_addr_t pa)
{
	uint64_t ps = 1ULL << m->prof.page_shift;

	if (pa > UINT64_MAX - (ps - 1))
		return UINT64_MAX >> m->prof.page_shift;
	return (pa + ps - 1) >> m->prof.page_shift;
}

static uint64_t pfn_down(const struct dmapool_machine *m, phys_addr_t pa)
{
	return pa >> m->prof.page_shift;
}

int buddy_init(struct dmapool_machine *m)
{
	phys_addr_t (*r)[2] = NULL;
	struct buddy *b;
	size_t n;
	int rc = 0;

	if (!m)
		return -EINVAL;
	if (m->buddy)
		return -EEXIST;
	b = buddy_create(m->zones, m->prof.page_shift, m->prof.max_page_order);
	if (!b)
		return -ENOMEM;
	n = memblock_free_ranges(&m->mb, &r);
	if (!r) {		/* out of memory (an empty answer is allocated) */
		buddy_core_destroy(b);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		uint64_t s = pfn_up(m, r[i][0]), e = pfn_down(m, r[i][1]);

		if (s < e)
			rc = buddy_core_add_range(b, s, e);
	}
	free(r);
	if (rc) {
		buddy_core_destroy(b);
		return rc;
	}
	m->buddy = b;
	return 0;
}

void buddy_destroy(struct dmapool_machine *m)
{
	if (!m)
		return;
	buddy_core_destroy(m->buddy);
	m->buddy = NULL;
}

phys_addr_t buddy_alloc(struct dmapool_machine *m, unsigned gfp_zone_bits,
			unsigned order)
{
	uint64_t pfn;

	if (!m || !m->buddy)
		return PHYS_NONE;
	/* As gfp_zone(): a zone modifier for a zone the build does not
	 * configure selects ZONE_NORMAL. */
	if (!m->prof.zone_dma)
		gfp_zone_bits &= ~GFPI_DMA;
	if (!m->prof.zone_dma32)
		gfp_zone_bits &= ~GFPI_DMA32;
	if (!m->prof.lowmem_size)
		gfp_zone_bits &= ~GFPI_HIGHMEM;
	pfn = buddy_core_alloc(m->buddy, gfp_zone_bits, order);
	if (pfn == UINT64_MAX)
		return PHYS_NONE;
	return (phys_addr_t)pfn << m->prof.page_shift;
}

void buddy_free(struct dmapool_machine *m, phys_addr_t pa, unsigned order)
{
	if (!m || !m->buddy || pa == PHYS_NONE)
		return;
	if (pa & ((1ULL << m->prof.page_shift) - 1))
		return;
	(void)buddy_core_free(m->buddy, pa >> m->prof.page_shift, order);
}

uint64_t buddy_free_pages(struct dmapool_machine *m, enum zone_type z)
{
	if (!m)
		return 0;
	return buddy_core_free_pages(m->buddy, z);
}

void buddy_add_range(struct dmapool_machine *m, phys_addr_t start,
		     phys_addr_t end)
{
	uint64_t s, e;

	if (!m || !m->buddy || start >= end)
		return;
	s = pfn_up(m, start);
	e = pfn_down(m, end);
	if (s < e)
		(void)buddy_core_add_range(m->buddy, s, e);
}

int buddy_take_range(struct dmapool_machine *m, phys_addr_t start,
		     phys_addr_t end)
{
	if (!m || !m->buddy)
		return -EINVAL;
	if (start >= end)
		return start == end ? 0 : -EINVAL;
	return buddy_core_take_range(m->buddy, pfn_down(m, start),
				     pfn_up(m, end));
}

/* ------------------------------------------------------------------ */
/* Kernel-named entry points (include/linux-compat/linux/gfp.h)        */

/*
 * alloc_pages() and friends act on the calling thread's machine
 * (dmapool_machine_use(), else the newest); the free calls find the
 * machine from the page or address.  Memory is not zeroed unless
 * __GFP_ZERO is passed, as in the kernel (fresh simulated RAM reads zero).
 */
DMAPOOL_API struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	struct dmapool_machine *m = machine_current();
	phys_addr_t pa;

	if (!m)
		return NULL;
	pa = alloc_pages_i(m, gfp, order);
	if (pa == PHYS_NONE)
		return NULL;
	/* post_alloc_hook(): __GFP_ZERO or init_on_alloc */
	if ((gfp & __GFP_ZERO) || m->init_on_alloc) {
		/* clear_highpage(): through the CPU's (cached) view */
		uint8_t *p = physmem_cpu(m, pa, (size_t)1 << (m->prof.page_shift + order));

		if (p)
			memset(p, 0, (size_t)1 << (m->prof.page_shift + order));
	}
	return dmapool_pfn_to_page(m, pa >> m->prof.page_shift);
}

DMAPOOL_API void __free_pages(struct page *page, unsigned int order)
{
	struct dmapool_machine *m;
	uint64_t pfn;

	if (!page)
		return;
	m = machine_registry_find_va(page);
	pfn = dmapool_page_to_pfn(page);
	if (!m || pfn == ~0ULL || !m->buddy ||
	    buddy_core_free(m->buddy, pfn, order)) {
		if (!m)
			m = machine_current();
		if (m)
			report(m, "free-pages-invalid", NULL,
			       pfn == ~0ULL ? 0 : pfn << m->prof.page_shift,
			       (uint64_t)1 << (m->prof.page_shift + order),
			       "__free_pages(%p, order %u): not a block alloc_pages() returned with that order (or already freed); nothing freed",
			       (void *)page, order);
	}
}

DMAPOOL_API unsigned long __get_free_pages(gfp_t gfp, unsigned int order)
{
	struct page *page = alloc_pages(gfp, order);
	void *va = page ? dmapool_page_address(page) : NULL;

	if (page && !va) {	/* no linear address (cannot be returned) */
		__free_pages(page, order);
		return 0;
	}
	return (unsigned long)(uintptr_t)va;
}

DMAPOOL_API unsigned long get_zeroed_page(gfp_t gfp)
{
	return __get_free_pages(gfp | __GFP_ZERO, 0);
}

DMAPOOL_API void free_pages(unsigned long addr, unsigned int order)
{
	struct page *page;

	if (!addr)
		return;
	page = dmapool_virt_to_page((const void *)(uintptr_t)addr);
	if (!page) {
		struct dmapool_machine *m = machine_current();

		if (m)
			report(m, "free-pages-invalid", NULL, addr, 0,
			       "free_pages(%#lx, order %u): not a linear-map address of a simulated machine; nothing freed",
			       addr, order);
		return;
	}
	__free_pages(page, order);
}
