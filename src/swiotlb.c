/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * SWIOTLB default bounce pool, boot part (models kernel/dma/swiotlb.c
 * swiotlb_init_remap, swiotlb_adjust_size, setup_io_tlb_npages and arm64's
 * mem_init decision).
 *
 * arm64 6.12: a full pool (64 MiB) when RAM reaches beyond the DMA zone,
 * otherwise 1 MiB per GiB of RAM for unaligned-kmalloc bouncing ("adjusted
 * to 2MB" at 2 GiB).  The pool comes from memblock below the DMA limit,
 * top-down, halving on failure down to 1 MiB.
 *
 * Run time (swiotlb_tbl_map_single, swiotlb_release_slots, swiotlb_bounce,
 * swiotlb_map, swiotlb_alloc/free): 2 KiB slots in 128-slot segments,
 * nareas areas with a next-fit cursor each, the kernel's alignment rules
 * (min_align_mask, page alignment of mappings >= PAGE_SIZE, the segment
 * boundary of the device) and its copies: map copies the original into the
 * slot for every direction, unmap and sync_for_cpu copy back for
 * FROM_DEVICE / BIDIRECTIONAL, sync_for_device copies in for TO_DEVICE /
 * BIDIRECTIONAL.  The slot search returns exactly the slot the kernel's
 * swiotlb_search_pool_area() finds, but it does not walk slot by slot: a
 * 128-bit free mask per segment and a max tree of the longest free run per
 * segment skip everything that cannot hold the request, and the walk's
 * first stop, the area's cursor, is tried on its own first.
 * swiotlb_check() holds these summaries to the slots for
 * dmapool_machine_check().
 *
 * Left out: the dynamic pools of CONFIG_SWIOTLB_DYNAMIC (off in Debian),
 * memory encryption, per-CPU area choice (one CPU: the search starts in
 * area 0), debugfs, and time: "buffer is full" is ratelimited to its first
 * 10 lines per pool (the kernel allows 10 per 5 s; a simulated run is
 * instantaneous).
 */
#include <ctype.h>

#include "internal.h"

#define IO_TLB_DEFAULT	((64 * SZ_1M) >> IO_TLB_SHIFT)
#define IO_TLB_MIN	((SZ_1M) >> IO_TLB_SHIFT)

/* roundup_pow_of_two(); above 2^63 there is none: 2^63 (no endless loop) */
static uint64_t roundup_pow2(uint64_t x)
{
	uint64_t r = 1;

	while (r < x && r < (1ULL << 63))
		r <<= 1;
	return r;
}

/* swiotlb_adjust_nareas + round_up_default_nslabs */
static void adjust_nareas(struct dmapool_machine *m, unsigned nareas)
{
	struct io_tlb_pool *p = &m->swiotlb;

	if (!nareas)
		nareas = 1;
	else if (!is_pow2_u64(nareas))
		nareas = (unsigned)roundup_pow2(nareas);
	p->nareas = nareas;
	klog(m, "software IO TLB: area num %u.", nareas);
	if (!nareas)	/* rounded up past 32 bits: round_up_default_nslabs() stops */
		return;
	if (p->nslabs < (uint64_t)IO_TLB_SEGSIZE * nareas) {
		p->nslabs = (uint64_t)IO_TLB_SEGSIZE * nareas;
	} else if (is_pow2_u64(p->nslabs)) {
		return;
	} else {
		p->nslabs = roundup_pow2(p->nslabs);
	}
	klog(m, "software IO TLB: SWIOTLB bounce buffer size roundup to %lluMB",
	     (unsigned long long)((p->nslabs << IO_TLB_SHIFT) >> 20));
}

void swiotlb_parse_param(struct dmapool_machine *m, const char *val)
{
	struct io_tlb_pool *p = &m->swiotlb;
	const char *s = val;

	if (!p->nslabs)
		p->nslabs = IO_TLB_DEFAULT;
	if (isdigit((unsigned char)*s)) {
		char *e;
		uint64_t n = strtoull(s, &e, 0);

		s = e;

		p->nslabs = ALIGN_UP(n, IO_TLB_SEGSIZE);
		m->bp.swiotlb_nslabs_set = true;
	}
	if (*s == ',')
		s++;
	if (isdigit((unsigned char)*s)) {
		char *e;
		unsigned na = (unsigned)strtoul(s, &e, 0);

		s = e;

		m->bp.swiotlb_nareas = na ? na : 1;
		adjust_nareas(m, na);
	}
	if (*s == ',')
		s++;
	if (!strcmp(s, "force"))
		m->bp.swiotlb_force = true;
	else if (!strcmp(s, "noforce"))
		m->bp.swiotlb_noforce = true;
}

void swiotlb_init(struct dmapool_machine *m)
{
	struct io_tlb_pool *p = &m->swiotlb;
	bool needed;
	uint64_t nslabs;
	phys_addr_t base = 0;
	char a[24], b[24];

	if (!m->prof.swiotlb)
		return;
	if (!p->nslabs)
		p->nslabs = IO_TLB_DEFAULT;
	/* arm64 mem_init */
	needed = m->max_pfn > (m->dma_phys_limit >> m->prof.page_shift);
	if (m->prof.bounce_unaligned_kmalloc && !needed) {
		uint64_t size = (memblock_phys_mem_size(&m->mb) + 1023) / 1024;

		if (p->nslabs == IO_TLB_DEFAULT) {	/* swiotlb_adjust_size */
			uint64_t def = IO_TLB_DEFAULT << IO_TLB_SHIFT;

			if (size > def)
				size = def;
			size = ALIGN_UP(size, 1ULL << IO_TLB_SHIFT);
			p->nslabs = ALIGN_UP(size >> IO_TLB_SHIFT, IO_TLB_SEGSIZE);
			klog(m, "software IO TLB: SWIOTLB bounce buffer size adjusted to %lluMB",
			     (unsigned long long)(size >> 20));
		}
		needed = true;
	}
	if (!needed && !m->bp.swiotlb_force)
		return;
	if (m->bp.swiotlb_noforce)
		return;
	if (!p->nareas)
		adjust_nareas(m, m->prof.nr_cpus);
	nslabs = p->nslabs;
	for (;;) {
		uint64_t bytes = ALIGN_UP(nslabs << IO_TLB_SHIFT, m->prof.page_size);

		/* memblock_alloc_low: below ARCH_LOW_ADDRESS_LIMIT (inclusive);
		 * a size past 2^64 bytes (swiotlb=huge) cannot be placed */
		if (nslabs > (PHYS_NONE >> IO_TLB_SHIFT) - m->prof.page_size || !bytes)
			base = 0;
		else
			base = memblock_alloc_range(&m->mb, bytes, m->prof.page_size, 0,
						    m->dma_phys_limit - 1, "swiotlb");
		if (base)
			break;
		klog(m, "software IO TLB: swiotlb_memblock_alloc: Failed to allocate %llu bytes tlb structure",
		     (unsigned long long)bytes);
		if (nslabs <= IO_TLB_MIN)
			return;
		nslabs = ALIGN_UP(nslabs >> 1, IO_TLB_SEGSIZE);
	}
	if (nslabs != p->nslabs) {
		klog(m, "software IO TLB: SWIOTLB bounce buffer size adjusted %llu -> %llu slabs",
		     (unsigned long long)p->nslabs, (unsigned long long)nslabs);
		p->nslabs = nslabs;
	}
	/* limit_nareas(): no more areas than whole segments */
	if ((uint64_t)p->nareas * IO_TLB_SEGSIZE > nslabs)
		p->nareas = (unsigned)(nslabs / IO_TLB_SEGSIZE) ? (unsigned)(nslabs / IO_TLB_SEGSIZE) : 1;
	p->start = base;
	p->end = base + (nslabs << IO_TLB_SHIFT);
	p->present = true;
	p->force = m->bp.swiotlb_force;
	p->name = "default";
	if (swiotlb_pool_setup(p)) {
		klog(m, "libdmapool: software IO TLB: out of host memory for the slot table");
		p->present = false;
		return;
	}
	klog(m, "software IO TLB: mapped [mem %s-%s] (%lluMB)", fmt_pa(m, p->start, a),
	     fmt_pa(m, p->end, b), (unsigned long long)((nslabs << IO_TLB_SHIFT) >> 20));
}

/* ------------------------------------------------------------------ */
/* Slot tables                                                         */

typedef unsigned __int128 u128;

#define SEG_ALL	(~(u128)0)

/* Slots [off, off + k) of a segment as a mask (k >= 1, off + k <= 128),
 * built from 64-bit halves: a variable 128-bit shift costs a branch and
 * a double shift per use. */
static inline u128 run_bits(unsigned off, unsigned k)
{
	unsigned end = off + k;
	uint64_t lo = (off < 64 ? ~0ULL << off : 0) &
		      (end >= 64 ? ~0ULL : (1ULL << end) - 1);
	uint64_t hi = (end <= 64 ? 0 : end >= 128 ? ~0ULL : (1ULL << (end - 64)) - 1) &
		      (off >= 64 ? ~0ULL << (off - 64) : ~0ULL);

	return (u128)hi << 64 | lo;
}

/* Set bits of a 128-bit mask (the target has no popcount instruction
 * by default: the full and empty masks, the usual ones, skip the call). */
static inline unsigned popcount128(u128 x)
{
	if (!x)
		return 0;
	if (x == SEG_ALL)
		return 128;
	return (unsigned)__builtin_popcountll((uint64_t)x) +
	       (unsigned)__builtin_popcountll((uint64_t)(x >> 64));
}

/* Longest run of ones in a 64-bit word: runs of 2^k ones, then a greedy
 * descent over k. */
static unsigned run_max64(uint64_t x)
{
	uint64_t r[7], cur = ~0ULL;
	unsigned len = 0;

	if (!~x)
		return 64;
	r[0] = x;
	for (int k = 1; k < 7; k++)
		r[k] = r[k - 1] & (r[k - 1] >> (1u << (k - 1)));
	for (int k = 5; k >= 0; k--) {
		uint64_t cand = cur & (r[k] >> len);

		if (cand) {
			cur = cand;
			len += 1u << k;
		}
	}
	return len;
}

/* Longest run of ones in a segment's 128-bit mask: the best of each half
 * and of the run that crosses the middle. */
static unsigned run_max128(u128 x)
{
	uint64_t lo = (uint64_t)x, hi = (uint64_t)(x >> 64);
	unsigned a, b, mid;

	if (!lo && !hi)
		return 0;
	a = lo ? run_max64(lo) : 0;
	b = hi ? run_max64(hi) : 0;
	mid = (~lo ? (unsigned)__builtin_clzll(~lo) : 64) +
	      (~hi ? (unsigned)__builtin_ctzll(~hi) : 64);
	if (a < b)
		a = b;
	return a > mid ? a : mid;
}

/* Segment seg's longest free run is now v: its leaf and the maxima above. */
static void tree_set(struct io_tlb_pool *p, uint64_t seg, uint8_t v)
{
	uint64_t i = p->tree_leaves + seg;

	if (p->segtree[i] == v)
		return;
	p->segtree[i] = v;
	for (i >>= 1; i; i >>= 1) {
		uint8_t a = p->segtree[2 * i], b = p->segtree[2 * i + 1];
		uint8_t mx = a > b ? a : b;

		if (p->segtree[i] == mx)
			break;
		p->segtree[i] = mx;
	}
}

/* First segment in [lo, hi) whose longest free run is >= n; hi if none. */
static uint64_t tree_find(const struct io_tlb_pool *p, uint64_t lo, uint64_t hi,
			  unsigned n)
{
	uint64_t i;

	while (lo < hi) {
		/* climb from leaf lo while it is a left-aligned subtree in range */
		uint64_t span = 1;

		i = p->tree_leaves + lo;
		while (!(i & 1) && i > 1 && lo + span * 2 <= hi) {
			i >>= 1;
			span <<= 1;
		}
		if (p->segtree[i] >= n) {
			/* descend to the leftmost qualifying leaf */
			while (i < p->tree_leaves)
				i = p->segtree[2 * i] >= n ? 2 * i : 2 * i + 1;
			return i - p->tree_leaves;
		}
		lo += span;
	}
	return hi;
}

static void free_tables(struct io_tlb_pool *p)
{
	free(p->slots);
	free(p->areas);
	free(p->freemap);
	free(p->segtree);
	p->slots = NULL;
	p->areas = NULL;
	p->freemap = NULL;
	p->segtree = NULL;
}

int swiotlb_pool_setup(struct io_tlb_pool *p)
{
	uint64_t leaves = 1;

	if (!p->nareas)
		p->nareas = 1;
	p->area_nslabs = p->nslabs / p->nareas;
	p->nsegs = (p->nslabs + IO_TLB_SEGSIZE - 1) / IO_TLB_SEGSIZE;
	while (leaves < p->nsegs)
		leaves <<= 1;
	p->tree_leaves = leaves;
	p->slots = calloc(p->nslabs ? p->nslabs : 1, sizeof(*p->slots));
	p->areas = calloc(p->nareas, sizeof(*p->areas));
	p->freemap = calloc(p->nsegs ? p->nsegs : 1, sizeof(*p->freemap));
	p->segtree = calloc(2 * leaves, 1);
	if (!p->slots || !p->areas || !p->freemap || !p->segtree ||
	    pthread_mutex_init(&p->lock, NULL)) {
		free_tables(p);
		return -ENOMEM;
	}
	for (uint64_t i = 0; i < p->nslabs; i++)
		p->slots[i].orig_addr = PHYS_NONE;
	for (uint64_t g = 0; g < p->nsegs; g++) {
		uint64_t left = p->nslabs - g * IO_TLB_SEGSIZE;

		p->freemap[g] = left >= IO_TLB_SEGSIZE ? SEG_ALL :
				(((u128)1 << left) - 1);
		p->segtree[leaves + g] = (uint8_t)(left >= IO_TLB_SEGSIZE ?
						   IO_TLB_SEGSIZE : left);
	}
	for (uint64_t i = leaves - 1; i; i--) {
		uint8_t a = p->segtree[2 * i], b = p->segtree[2 * i + 1];

		p->segtree[i] = a > b ? a : b;
	}
	p->ready = true;
	return 0;
}

void swiotlb_pool_teardown(struct io_tlb_pool *p)
{
	if (!p || !p->ready)
		return;
	free_tables(p);
	pthread_mutex_destroy(&p->lock);
	p->ready = false;
}

struct io_tlb_pool *dev_io_tlb_pool(const struct device *dev)
{
	if (dev->restricted)
		return dev->restricted->ready ? dev->restricted : NULL;
	return dev->m->swiotlb.present && dev->m->swiotlb.ready ?
		&dev->m->swiotlb : NULL;
}

bool is_swiotlb_active(const struct device *dev)
{
	const struct io_tlb_pool *p = dev_io_tlb_pool(dev);

	return p && p->nslabs;
}

bool is_swiotlb_force_bounce(const struct device *dev)
{
	const struct io_tlb_pool *p = dev_io_tlb_pool(dev);

	return p && p->force;
}

struct io_tlb_pool *swiotlb_find_pool(const struct device *dev, phys_addr_t pa)
{
	struct io_tlb_pool *p = dev_io_tlb_pool(dev);

	return p && pa >= p->start && pa < p->end ? p : NULL;
}

const char *swiotlb_backend_name(const struct device *dev)
{
	return dev->restricted ? "restricted-swiotlb" : "swiotlb";
}

size_t swiotlb_max_mapping_size(const struct device *dev)
{
	uint64_t min_align = dev->min_align_mask ?
		ALIGN_UP(dev->min_align_mask, IO_TLB_SIZE) : 0;

	return (size_t)IO_TLB_SIZE * IO_TLB_SEGSIZE - min_align;
}

uint64_t swiotlb_used(struct io_tlb_pool *p)
{
	uint64_t used = 0;

	for (unsigned a = 0; a < p->nareas; a++)
		used += __atomic_load_n(&p->areas[a].used, __ATOMIC_RELAXED);
	return used;
}

/*
 * The search summaries against the slots (dmapool_machine_check(), with
 * p->lock held): each segment's leaf of the max tree is the longest free
 * run of its mask, each inner node the larger of its children, and no
 * slot past the pool's end is free.  0, or -1 with the fault in msg.
 */
int swiotlb_check(const struct io_tlb_pool *p, char *msg, size_t len)
{
	if (!p->ready)
		return 0;
	for (uint64_t g = 0; g < p->nsegs; g++) {
		uint64_t left = p->nslabs - g * IO_TLB_SEGSIZE;
		unsigned run = run_max128(p->freemap[g]);

		if (left < IO_TLB_SEGSIZE && (p->freemap[g] >> left)) {
			snprintf(msg, len, "segment %llu marks slots past the pool's end free",
				 (unsigned long long)g);
			return -1;
		}
		if (p->segtree[p->tree_leaves + g] != run) {
			snprintf(msg, len, "segment %llu: the max tree says a free run of %u, the mask has %u",
				 (unsigned long long)g, p->segtree[p->tree_leaves + g], run);
			return -1;
		}
	}
	for (uint64_t g = p->nsegs; g < p->tree_leaves; g++)
		if (p->segtree[p->tree_leaves + g]) {
			snprintf(msg, len, "max tree leaf %llu past the last segment is not 0",
				 (unsigned long long)g);
			return -1;
		}
	for (uint64_t i = p->tree_leaves - 1; i; i--) {
		uint8_t a = p->segtree[2 * i], b = p->segtree[2 * i + 1];

		if (p->segtree[i] != (a > b ? a : b)) {
			snprintf(msg, len, "max tree node %llu holds %u, its children %u and %u",
				 (unsigned long long)i, p->segtree[i], a, b);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Slot search (swiotlb_search_pool_area / swiotlb_find_slots)          */

struct slot_query {
	unsigned nslots;
	uint64_t alloc_align_mask;	/* includes IO_TLB_SIZE - 1 */
	uint64_t iotlb_align_mask;
	phys_addr_t orig_addr;
	dma_addr_t tbl_dma_addr;	/* pool start on the bus, & boundary */
	uint64_t max_slots;		/* segment-boundary span in slots */
	uint64_t stride;		/* the walk's step between aligned slots */
};

/* Does slot index (pool-absolute) pass the alignment tests? */
static bool slot_aligned(const struct slot_query *q, uint64_t idx)
{
	dma_addr_t tlb = q->tbl_dma_addr + (idx << IO_TLB_SHIFT);

	if (tlb & q->alloc_align_mask)
		return false;
	if (q->orig_addr && (tlb & q->iotlb_align_mask) !=
	    (q->orig_addr & q->iotlb_align_mask))
		return false;
	return true;
}

static bool span_boundary(const struct slot_query *q, uint64_t idx)
{
	uint64_t shift = (q->tbl_dma_addr + IO_TLB_SIZE - 1) >> IO_TLB_SHIFT;
	uint64_t off = (shift + idx) & (q->max_slots - 1);

	return off + q->nslots > q->max_slots;
}

/* Starts in segment g, restricted to slots [lo, hi) of the pool, where a
 * run of nslots free slots fits inside the segment: the lowest one that
 * passes the alignment and boundary tests, or UINT64_MAX. */
static uint64_t seg_first_fit(const struct io_tlb_pool *p,
			      const struct slot_query *q, uint64_t g,
			      uint64_t lo, uint64_t hi)
{
	uint64_t base = g * IO_TLB_SEGSIZE;
	u128 c = p->freemap[g];

	/* c: positions where nslots consecutive ones start */
	for (unsigned have = 1; have < q->nslots && c; ) {
		unsigned step = have <= q->nslots - have ? have : q->nslots - have;

		c &= c >> step;
		have += step;
	}
	if (lo > base)
		c &= lo - base >= 128 ? 0 : ~(((u128)1 << (lo - base)) - 1);
	if (hi < base + IO_TLB_SEGSIZE)
		c &= hi <= base ? 0 : (((u128)1 << (hi - base)) - 1);
	while (c) {
		uint64_t lo64 = (uint64_t)c, bit;

		bit = lo64 ? (uint64_t)__builtin_ctzll(lo64) :
			64 + (uint64_t)__builtin_ctzll((uint64_t)(c >> 64));
		if (slot_aligned(q, base + bit) && !span_boundary(q, base + bit))
			return base + bit;
		c &= c - 1;
	}
	return UINT64_MAX;
}

/* First fitting start in pool slots [lo, hi), or UINT64_MAX. */
static uint64_t range_first_fit(const struct io_tlb_pool *p,
				const struct slot_query *q, uint64_t lo,
				uint64_t hi)
{
	uint64_t g = lo / IO_TLB_SEGSIZE, gend;

	if (lo >= hi)
		return UINT64_MAX;
	gend = (hi - 1) / IO_TLB_SEGSIZE + 1;
	while (g < gend) {
		uint64_t r;

		g = tree_find(p, g, gend, q->nslots);
		if (g >= gend)
			break;
		r = seg_first_fit(p, q, g, lo, hi);
		if (r != UINT64_MAX)
			return r;
		g++;
	}
	return UINT64_MAX;
}

/* Mark [idx, idx + n) used or free in the summary structures. */
static void slots_mark(struct io_tlb_pool *p, uint64_t idx, unsigned n, bool used)
{
	while (n) {
		uint64_t g = idx / IO_TLB_SEGSIZE, off = idx % IO_TLB_SEGSIZE;
		unsigned k = (unsigned)(IO_TLB_SEGSIZE - off) < n ?
			(unsigned)(IO_TLB_SEGSIZE - off) : n;
		u128 bits = run_bits((unsigned)off, k), was = p->freemap[g];
		unsigned run;

		p->freemap[g] = used ? was & ~bits : was | bits;
		/* the longest run without a scan where it is plain: a segment
		 * that was wholly free keeps what lies around the new run, one
		 * that becomes wholly free is one run */
		if (p->freemap[g] == SEG_ALL)
			run = IO_TLB_SEGSIZE;
		else if (used && was == SEG_ALL)
			run = (unsigned)off > IO_TLB_SEGSIZE - off - k ?
				(unsigned)off : IO_TLB_SEGSIZE - (unsigned)off - k;
		else
			run = run_max128(p->freemap[g]);
		tree_set(p, g, (uint8_t)run);
		idx += k;
		n -= k;
	}
}

/* Slots of [idx, idx + n) in use, from the free masks. */
static unsigned slots_busy(const struct io_tlb_pool *p, uint64_t idx, unsigned n)
{
	unsigned busy = 0;

	while (n) {
		uint64_t g = idx / IO_TLB_SEGSIZE, off = idx % IO_TLB_SEGSIZE;
		unsigned k = (unsigned)(IO_TLB_SEGSIZE - off) < n ?
			(unsigned)(IO_TLB_SEGSIZE - off) : n;
		u128 bits = run_bits((unsigned)off, k);
		u128 used = ~p->freemap[g] & bits;

		busy += used == bits ? k : popcount128(used);
		idx += k;
		n -= k;
	}
	return busy;
}

/* Does a search whose walk stops at slot idx take it?  The alignment and
 * boundary tests pass and the slot's free run inside its segment (the
 * kernel's slots[idx].list) holds nslots. */
static bool fits_at(const struct io_tlb_pool *p, const struct slot_query *q,
		    uint64_t idx)
{
	uint64_t g = idx / IO_TLB_SEGSIZE, off = idx % IO_TLB_SEGSIZE;
	u128 bits;

	if (off + q->nslots > IO_TLB_SEGSIZE)
		return false;
	bits = run_bits((unsigned)off, q->nslots);
	return (p->freemap[g] & bits) == bits && slot_aligned(q, idx) &&
	       !span_boundary(q, idx);
}

/*
 * swiotlb_search_pool_area(): the kernel walks from the area's cursor,
 * wrapping to the area start, and takes the first aligned slot whose free
 * run within its segment holds nslots.  The same answer: the first fit in
 * [cursor, area end), else in [area start, cursor - overshoot), where the
 * overshoot is what the walk's budget of area_nslabs steps loses at the
 * wrap (0 unless an alignment leaves the last aligned slot short of the
 * area end).
 */
static int64_t search_area(struct io_tlb_pool *p, const struct slot_query *q,
			   unsigned aidx, size_t alloc_size, unsigned offset)
{
	struct io_tlb_area *a = &p->areas[aidx];
	uint64_t base = (uint64_t)aidx * p->area_nslabs;
	uint64_t idx;

	if (q->nslots > p->area_nslabs - a->used)
		return -1;
	/* the walk's first stop is the cursor itself: when that slot fits
	 * (the usual case, right after the previous mapping), it is the
	 * answer and no search is needed */
	idx = base + a->index;
	if (!fits_at(p, q, idx))
		idx = range_first_fit(p, q, idx, base + p->area_nslabs);
	if (idx == UINT64_MAX) {
		/*
		 * The kernel's walk stops after area_nslabs slot steps.  Its
		 * last aligned stop before the area end steps past the end by
		 * stride - k slots (k: that stop's distance from the end), and
		 * those steps are missing from the pass after the wrap: it
		 * ends that many slots before the cursor.
		 */
		uint64_t n = p->area_nslabs, over = 0, lim;

		for (uint64_t k = 1; k <= q->stride && k <= n - a->index; k++)
			if (slot_aligned(q, base + n - k)) {
				over = q->stride - k;
				break;
			}
		lim = a->index > over ? a->index - over : 0;
		idx = range_first_fit(p, q, base, base + lim);
	}
	if (idx == UINT64_MAX)
		return -1;
	for (uint64_t i = idx; i < idx + q->nslots; i++)
		p->slots[i].alloc_size = (uint32_t)(alloc_size -
			(offset + ((i - idx) << IO_TLB_SHIFT)));
	slots_mark(p, idx, q->nslots, true);
	a->index = idx - base + q->nslots;
	if (a->index >= p->area_nslabs)
		a->index = 0;
	/* written under the pool lock only, read unlocked by swiotlb_used() */
	locked_counter_add(&a->used, q->nslots);
	return (int64_t)idx;
}

static unsigned align_offset(const struct device *dev, uint64_t align_mask,
			     uint64_t addr)
{
	return (unsigned)(addr & dev->min_align_mask &
			  (align_mask | (IO_TLB_SIZE - 1)));
}

/* swiotlb_find_slots(): areas in turn from area 0 (one CPU). */
static int64_t find_slots(struct device *dev, struct io_tlb_pool *p,
			  phys_addr_t orig_addr, size_t alloc_size,
			  uint64_t alloc_align_mask, unsigned pad_slots, bool map)
{
	struct slot_query q;
	uint64_t boundary = dev->seg_boundary;
	dma_addr_t start_dma = phys_to_dma(dev, p->start);
	int64_t idx = -1;

	q.nslots = (unsigned)((alloc_size + IO_TLB_SIZE - 1) >> IO_TLB_SHIFT);
	if (!q.nslots || alloc_size > (size_t)IO_TLB_SIZE * p->nslabs)
		return -1;
	q.iotlb_align_mask = dev->min_align_mask;
	if (!alloc_align_mask && !q.iotlb_align_mask && alloc_size >= (1u << dev->m->prof.page_shift))
		alloc_align_mask = (1u << dev->m->prof.page_shift) - 1;
	alloc_align_mask |= IO_TLB_SIZE - 1;
	q.iotlb_align_mask &= ~alloc_align_mask;
	q.alloc_align_mask = alloc_align_mask;
	/* get_max_slots(max(alloc_align_mask, iotlb_align_mask)) */
	q.stride = ((alloc_align_mask > q.iotlb_align_mask ? alloc_align_mask :
		     q.iotlb_align_mask) >> IO_TLB_SHIFT) + 1;
	q.orig_addr = orig_addr;
	q.tbl_dma_addr = start_dma & boundary;
	/* get_max_slots() */
	q.max_slots = boundary == ~0ULL ? 1ULL << (64 - IO_TLB_SHIFT) :
		(boundary + 1 + IO_TLB_SIZE - 1) >> IO_TLB_SHIFT;
	if (!is_pow2_u64(q.max_slots))
		q.max_slots = 1ULL << (fls64_u(q.max_slots) - 1);
	pthread_mutex_lock(&p->lock);
	for (unsigned a = 0; a < p->nareas && idx < 0; a++)
		idx = search_area(p, &q, a, alloc_size,
				  align_offset(dev, 0, orig_addr));
	if (idx >= 0) {
		uint64_t used = swiotlb_used(p);
		int64_t first = idx + pad_slots;

		if (used > p->used_hiwater)
			p->used_hiwater = used;
		/* a mapping records the original address of every slot; an
		 * allocation leaves them invalid (nothing to copy) */
		p->slots[first].pad_slots = (uint16_t)pad_slots;
		if (map)
			for (uint64_t i = 0; i < q.nslots - pad_slots; i++)
				p->slots[first + i].orig_addr = orig_addr + (i << IO_TLB_SHIFT);
	}
	pthread_mutex_unlock(&p->lock);
	return idx;
}

/* swiotlb_release_slots() */
static void release_slots(struct device *dev, struct io_tlb_pool *p,
			  phys_addr_t tlb_addr)
{
	unsigned offset = align_offset(dev, 0, tlb_addr);
	uint64_t index = (tlb_addr - offset - p->start) >> IO_TLB_SHIFT;
	unsigned nslots, aidx, busy = 0;

	pthread_mutex_lock(&p->lock);
	if (index >= p->nslabs || p->slots[index].pad_slots > index) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	index -= p->slots[index].pad_slots;
	nslots = (unsigned)((p->slots[index].alloc_size + offset + IO_TLB_SIZE - 1) >> IO_TLB_SHIFT);
	if (index + nslots > p->nslabs)
		nslots = (unsigned)(p->nslabs - index);
	aidx = (unsigned)(index / p->area_nslabs);
	/* only slots in use count: after an unmap at an address inside a
	 * mapping freed its tail, the kernel's area->used -= nslots takes
	 * them off twice (and wraps) */
	busy = slots_busy(p, index, nslots);
	for (uint64_t i = index; i < index + nslots; i++) {
		p->slots[i].orig_addr = PHYS_NONE;
		p->slots[i].alloc_size = 0;
		p->slots[i].pad_slots = 0;
	}
	slots_mark(p, index, nslots, false);
	if (aidx < p->nareas)
		locked_counter_add(&p->areas[aidx].used, -(uint64_t)busy);
	pthread_mutex_unlock(&p->lock);
}

/* ------------------------------------------------------------------ */
/* Copies                                                              */

/*
 * swiotlb_bounce(): TO_DEVICE copies original -> slot, otherwise
 * slot -> original, bounded by what the mapping recorded.
 */
static void swiotlb_bounce(struct device *dev, struct io_tlb_pool *p,
			   phys_addr_t tlb_addr, size_t size,
			   enum dma_data_direction dir,
			   struct dmapool_decision *d)
{
	struct dmapool_machine *m = dev->m;
	uint64_t index = (tlb_addr - p->start) >> IO_TLB_SHIFT;
	phys_addr_t orig;
	size_t alloc_size;
	unsigned tlb_offset, orig_offset;

	if (index >= p->nslabs)
		return;
	orig = p->slots[index].orig_addr;
	alloc_size = p->slots[index].alloc_size;
	if (orig == PHYS_NONE)
		return;
	tlb_offset = (unsigned)(tlb_addr & (IO_TLB_SIZE - 1));
	orig_offset = align_offset(dev, 0, orig);
	if (tlb_offset < orig_offset) {
		dev_warn_once_i(dev, &dev->m->once.swiotlb_access,
				"Access before mapping start detected. orig offset %u, requested offset %u.",
				orig_offset, tlb_offset);
		return;
	}
	tlb_offset -= orig_offset;
	if (tlb_offset > alloc_size) {
		dev_warn_once_i(dev, &dev->m->once.swiotlb_overflow,
				"Buffer overflow detected. Allocation size: %zu. Mapping size: %zu+%u.",
				alloc_size, size, tlb_offset);
		return;
	}
	orig += tlb_offset;
	alloc_size -= tlb_offset;
	if (size > alloc_size) {
		dev_warn_once_i(dev, &dev->m->once.swiotlb_overflow2,
				"Buffer overflow detected. Allocation size: %zu. Mapping size: %zu.",
				alloc_size, size);
		size = alloc_size;
	}
	if (dir == DMA_TO_DEVICE)
		cpu_copy_phys(m, tlb_addr, orig, size);
	else
		cpu_copy_phys(m, orig, tlb_addr, size);
	dt_step(d, "bounce-copy", "swiotlb_bounce", dir == DMA_TO_DEVICE ?
		"original -> slot" : "slot -> original",
		"copy %#zx bytes between original %#llx and slot %#llx", size,
		(unsigned long long)orig, (unsigned long long)tlb_addr);
}

/* ------------------------------------------------------------------ */
/* Map, unmap, sync                                                    */

static phys_addr_t tbl_map_single(struct device *dev, phys_addr_t orig_addr,
				  size_t mapping_size, uint64_t alloc_align_mask,
				  unsigned long attrs, struct dmapool_decision *d)
{
	struct io_tlb_pool *p = dev_io_tlb_pool(dev);
	unsigned offset, pad_slots;
	size_t size;
	int64_t index;
	phys_addr_t tlb_addr;

	if (!p || !p->nslabs) {
		dev_klog(dev, "Can not allocate SWIOTLB buffer earlier and can't now provide you with the DMA bounce buffer");
		dt_step(d, "swiotlb", "swiotlb_tbl_map_single", "fail",
			"the device has no SWIOTLB pool");
		return PHYS_NONE;
	}
	offset = align_offset(dev, alloc_align_mask, orig_addr);
	size = ALIGN_UP(mapping_size + offset, alloc_align_mask + 1);
	index = find_slots(dev, p, orig_addr, size, alloc_align_mask,
			   offset >> IO_TLB_SHIFT, true);
	if (index < 0) {
		uint64_t used;

		pthread_mutex_lock(&p->lock);
		used = swiotlb_used(p);
		pthread_mutex_unlock(&p->lock);
		dt_step(d, "swiotlb", "swiotlb_find_slots", "no slot",
			"%zu bytes need %zu contiguous slots inside one %u-slot segment; %llu of %llu slots used",
			size, (size + IO_TLB_SIZE - 1) >> IO_TLB_SHIFT, IO_TLB_SEGSIZE,
			(unsigned long long)used, (unsigned long long)p->nslabs);
		if (!(attrs & DMA_ATTR_NO_WARN) &&
		    __atomic_fetch_add(&p->warn_full, 1, __ATOMIC_RELAXED) < 10)
			dev_klog(dev, "swiotlb buffer is full (sz: %llu bytes), total %llu (slots), used %llu (slots)",
				 (unsigned long long)size, (unsigned long long)p->nslabs,
				 (unsigned long long)used);
		return PHYS_NONE;
	}
	__atomic_store_n(&dev->dma_skip_sync, false, __ATOMIC_RELAXED);	/* dma_reset_need_sync() */
	pad_slots = offset >> IO_TLB_SHIFT;
	offset &= IO_TLB_SIZE - 1;
	index += pad_slots;
	tlb_addr = p->start + ((uint64_t)index << IO_TLB_SHIFT) + offset;
	if (d)
		dt_step(d, "swiotlb", "swiotlb_find_slots", "found",
		"%s pool: %llu slot(s) at index %lld (area %llu), %llu of %llu slots now used",
		p->name ? p->name : "default",
		(unsigned long long)((size + IO_TLB_SIZE - 1) >> IO_TLB_SHIFT),
		(long long)index, (unsigned long long)(index / p->area_nslabs),
		(unsigned long long)swiotlb_used(p), (unsigned long long)p->nslabs);
	/* 6.12 copies the original in for every direction */
	swiotlb_bounce(dev, p, tlb_addr, mapping_size, DMA_TO_DEVICE, d);
	return tlb_addr;
}

phys_addr_t swiotlb_tbl_map_single(struct device *dev, phys_addr_t orig,
				   size_t size, uint64_t alloc_align_mask,
				   enum dma_data_direction dir, unsigned long attrs,
				   struct dmapool_decision *d)
{
	(void)dir;
	return tbl_map_single(dev, orig, size, alloc_align_mask, attrs, d);
}

dma_addr_t swiotlb_map(struct device *dev, phys_addr_t phys, size_t size,
		       enum dma_data_direction dir, unsigned long attrs,
		       struct dmapool_decision *d)
{
	phys_addr_t tlb;
	dma_addr_t dma;

	tlb = tbl_map_single(dev, phys, size, 0, attrs, d);
	if (tlb == PHYS_NONE)
		return DMA_ERR;
	dma = phys_to_dma(dev, tlb);
	if (!dma_capable(dev, dma, size)) {
		struct io_tlb_pool *p = dev_io_tlb_pool(dev);

		release_slots(dev, p, tlb);
		dt_step(d, "swiotlb", "dma_capable", "no",
			"the slot's bus address %#llx+%zu is beyond the device's reach",
			(unsigned long long)dma, size);
		dev_warn_once_i(dev, &dev->m->once.swiotlb_addr,
				"swiotlb addr 0x%016llx+%zu overflow (mask %llx, bus limit %llx).",
				(unsigned long long)dma, size,
				(unsigned long long)(dev->dma_mask ? *dev->dma_mask : 0),
				(unsigned long long)dev->bus_dma_limit);
		return DMA_ERR;
	}
	if (!dev_is_dma_coherent_i(dev) && !(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		arch_sync_dma_for_device(dev, tlb, size, dir, d);
	dt_result_phys(d, tlb);
	return dma;
}

void swiotlb_tbl_unmap_single(struct device *dev, phys_addr_t tlb_addr,
			      size_t size, enum dma_data_direction dir,
			      unsigned long attrs, struct dmapool_decision *d)
{
	struct io_tlb_pool *p = swiotlb_find_pool(dev, tlb_addr);

	if (!p)
		return;
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC) &&
	    (dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL))
		swiotlb_bounce(dev, p, tlb_addr, size, DMA_FROM_DEVICE, d);
	release_slots(dev, p, tlb_addr);
	dt_step(d, "swiotlb", "swiotlb_release_slots", "released",
		"slots of the bounce buffer at %#llx go back to the pool",
		(unsigned long long)tlb_addr);
}

/* swiotlb_sync_single_for_device / _for_cpu: copy towards the slot for
 * TO_DEVICE / BIDIRECTIONAL before the device looks, back to the buffer
 * for FROM_DEVICE / BIDIRECTIONAL after it wrote. */
void swiotlb_sync_single(struct device *dev, phys_addr_t tlb_addr, size_t size,
			 enum dma_data_direction dir, bool for_device,
			 struct dmapool_decision *d)
{
	struct io_tlb_pool *p = swiotlb_find_pool(dev, tlb_addr);
	enum dma_data_direction skip = for_device ? DMA_FROM_DEVICE : DMA_TO_DEVICE;

	if (!p)
		return;
	if (dir != skip)
		swiotlb_bounce(dev, p, tlb_addr, size,
			       for_device ? DMA_TO_DEVICE : DMA_FROM_DEVICE, d);
	else
		dt_step(d, "bounce-copy", for_device ? "swiotlb_sync_single_for_device" :
			"swiotlb_sync_single_for_cpu", "none", "%s",
			for_device ? "FROM_DEVICE: nothing to copy towards the device" :
			"TO_DEVICE: nothing to copy back");
}

/* ------------------------------------------------------------------ */
/* Allocation from a restricted pool                                   */

phys_addr_t swiotlb_alloc(struct device *dev, size_t size,
			  struct dmapool_decision *d)
{
	struct io_tlb_pool *p = dev_io_tlb_pool(dev);
	unsigned shift = get_order_sz(dev->m, size) + dev->m->prof.page_shift;
	/* get_order(0) is 52: the kernel's shift overflows (and a size of 0
	 * takes no slot below anyway) */
	uint64_t align = shift < 64 ? (1ULL << shift) - 1 : ~0ULL;
	int64_t index;
	phys_addr_t tlb;

	if (!p) {
		dt_step(d, "restricted-swiotlb", "swiotlb_alloc", "fail",
			"the device has no SWIOTLB pool");
		return PHYS_NONE;
	}
	index = find_slots(dev, p, 0, size, align, 0, false);
	if (index < 0) {
		dt_step(d, "restricted-swiotlb", "swiotlb_alloc", "fail",
			"no run of %zu slots aligned to %#llx inside one segment of %s",
			(size + IO_TLB_SIZE - 1) >> IO_TLB_SHIFT,
			(unsigned long long)(align + 1), p->name ? p->name : "the pool");
		return PHYS_NONE;
	}
	tlb = p->start + ((uint64_t)index << IO_TLB_SHIFT);
	if (tlb & (dev->m->prof.page_size - 1)) {
		char pa[24];

		dev_warn_once_i(dev, &dev->m->once.swiotlb_align,
				"Cannot allocate pages from non page-aligned swiotlb addr %s.",
				fmt_pa(dev->m, tlb, pa));
		release_slots(dev, p, tlb);
		dt_step(d, "restricted-swiotlb", "swiotlb_alloc", "fail",
			"slot %#llx is not page aligned", (unsigned long long)tlb);
		return PHYS_NONE;
	}
	/* a slot run taken for allocation: orig_addr stays invalid (no copy) */
	dt_step(d, "restricted-swiotlb", "swiotlb_alloc", "ok",
		"%zu slot(s) of %s at index %lld, aligned to %#llx",
		(size + IO_TLB_SIZE - 1) >> IO_TLB_SHIFT, p->name ? p->name : "the pool",
		(long long)index, (unsigned long long)(align + 1));
	return tlb;
}

bool swiotlb_free(struct device *dev, phys_addr_t pa, size_t size)
{
	struct io_tlb_pool *p = swiotlb_find_pool(dev, pa);

	(void)size;
	if (!p || !p->for_alloc)
		return false;
	release_slots(dev, p, pa);
	return true;
}
