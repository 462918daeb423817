/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * bitmap.c — allocation bitmap with a search summary (models the
 * allocation helpers of lib/bitmap.c: bitmap_find_free_region(),
 * bitmap_release_region(), bitmap_find_next_zero_area_off(), bitmap_set()
 * and bitmap_clear()).
 *
 * The kernel steps through the bitmap region by region or restarts its
 * zero-area search after every conflict, so one allocation can cost
 * O(size).  Here level 0 is the plain array of 64-bit words and level
 * l >= 1 holds one summary per aligned group of 2^l words:
 *
 *	pre	free bits at the group's low edge,
 *	suf	free bits at its high edge,
 *	max	longest free run inside it,
 *	ord	1 + the order of the largest free naturally aligned
 *		power-of-two block inside it (0: nothing free).
 *
 * Word summaries are recomputed from the word when needed instead of being
 * stored.  Bits past the size are kept set and every level ends with an
 * allocated sentinel group, so the searches rarely need a bounds check.
 * The summaries cost 13 bytes per 64-bit word in all (about 1.6 bits per
 * page).  An update recomputes the groups above the words it touched,
 * level by level, and stops at the first level where nothing changed.
 *
 * Left out: the rest of lib/bitmap.c, and locking (callers hold their own
 * lock, as the kernel's callers hold a spinlock).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"

#define RB_MAXLV	28		/* 2^26 words at most, plus room */
#define RB_NONE		UINT64_MAX
#define RB_BIG		(1ULL << 40)	/* fast paths need mask, nr below this */

struct rb_sum {
	uint32_t pre, suf, max;
};

struct rb_level {
	uint64_t n;			/* groups on this level */
	struct rb_sum *sum;
	uint8_t *ord;
};

struct rbitmap {
	uint64_t nbits;
	uint64_t nwords;
	uint64_t weight;
	unsigned top;			/* highest level; 0 for a single word */
	uint64_t *words;
	struct rb_level lv[RB_MAXLV];
};

/* ------------------------------------------------------------------ */
/* Word-level helpers.  A word argument holds allocation bits (1 = used). */

static inline unsigned ctz64(uint64_t x) { return (unsigned)__builtin_ctzll(x); }
static inline unsigned clz64(uint64_t x) { return (unsigned)__builtin_clzll(x); }

/* Bits [0, n) of a word, n in 0..63. */
static inline uint64_t low_bits(unsigned n)
{
	return (1ULL << n) - 1;
}

/* Longest run of ones in @f, which is not all ones. */
static unsigned longest_ones(uint64_t f)
{
	uint64_t c[6], acc = ~0ULL;
	unsigned len = 0;

	if (!f)
		return 0;
	/* c[i]: bit p set iff bits p .. p + 2^i - 1 of f are all set */
	c[0] = f;
	for (int i = 1; i < 6; i++)
		c[i] = c[i - 1] & (c[i - 1] >> (1u << (i - 1)));
	for (int i = 5; i >= 0; i--) {
		uint64_t t = acc & (c[i] >> len);

		if (t) {
			acc = t;
			len += 1u << i;
		}
	}
	return len;
}

/* Starts of runs of at least @n ones in @f (1 <= n <= 64), inside the word. */
static uint64_t runs_at_least(uint64_t f, unsigned n)
{
	unsigned len = 1;

	while (len < n && f) {
		unsigned s = n - len < len ? n - len : len;

		f &= f >> s;
		len += s;
	}
	return f;
}

/* Bit p set iff p is a multiple of 2^k, k = 0..6. */
static const uint64_t block_starts[7] = {
	~0ULL, 0x5555555555555555ULL, 0x1111111111111111ULL,
	0x0101010101010101ULL, 0x0001000100010001ULL,
	0x0000000100000001ULL, 0x1ULL,
};

/* Starts of free naturally aligned 2^k blocks in word @w, k <= 6. */
static uint64_t aligned_free(uint64_t w, unsigned k)
{
	uint64_t f = ~w;

	for (unsigned i = 0; i < k; i++)
		f &= f >> (1u << i);
	return f & block_starts[k];
}

/* 1 + order of the largest free aligned block in word @w, 0 if none. */
static inline uint8_t word_ord(uint64_t w)
{
	uint64_t f = ~w;	/* starts of free aligned 2^k blocks, k = 0 */
	unsigned o = f != 0;

#define WORD_ORD_STEP(k) \
	f &= (f >> (1u << (k))) & block_starts[(k) + 1]; \
	o += f != 0
	WORD_ORD_STEP(0);
	WORD_ORD_STEP(1);
	WORD_ORD_STEP(2);
	WORD_ORD_STEP(3);
	WORD_ORD_STEP(4);
	WORD_ORD_STEP(5);
#undef WORD_ORD_STEP
	return (uint8_t)o;
}

static struct rb_sum word_sum(uint64_t w)
{
	struct rb_sum s;

	if (!w)
		return (struct rb_sum){ 64, 64, 64 };
	s.pre = ctz64(w);
	s.suf = clz64(w);
	s.max = longest_ones(~w);
	return s;
}

/* ------------------------------------------------------------------ */
/* Tree access.  Level l group j covers words [j << l, (j + 1) << l). */

static inline uint64_t grp_bits(unsigned l)
{
	return 64ULL << l;
}

/*
 * Each level ends with one allocated sentinel group (index n), so the
 * right child of a last group and the right sibling of a last group can be
 * read without a bounds check.
 */
static inline struct rb_sum node_sum(const struct rbitmap *b, unsigned l, uint64_t j)
{
	return l ? b->lv[l].sum[j] : word_sum(b->words[j]);
}

static inline uint8_t node_ord(const struct rbitmap *b, unsigned l, uint64_t j)
{
	return l ? b->lv[l].ord[j] : word_ord(b->words[j]);
}

static inline bool node_has_zero(const struct rbitmap *b, unsigned l, uint64_t j)
{
	return l ? b->lv[l].sum[j].max : b->words[j] != ~0ULL;
}

/* Has a set bit below the size.  Groups past the end answer false. */
static inline bool node_has_set(const struct rbitmap *b, unsigned l, uint64_t j)
{
	if (l == 0)
		return j < b->nwords && b->words[j];
	return j < b->lv[l].n && b->lv[l].sum[j].pre != grp_bits(l);
}

/*
 * Store group j of level l (>= 1) combined from its children's summaries
 * L, R and ords lo, ro.  Returns whether anything changed.
 */
static inline __attribute__((always_inline))
bool node_store(struct rbitmap *b, unsigned l, uint64_t j,
		struct rb_sum L, uint8_t lo, struct rb_sum R, uint8_t ro)
{
	uint64_t half = grp_bits(l - 1);
	bool lfree = L.pre == half, rfree = R.pre == half;
	struct rb_sum s, *old = &b->lv[l].sum[j];
	uint8_t o;

	s.pre = lfree ? (uint32_t)(half + R.pre) : L.pre;
	s.suf = rfree ? (uint32_t)(half + L.suf) : R.suf;
	s.max = L.max > R.max ? L.max : R.max;
	if (L.suf + R.pre > s.max)
		s.max = L.suf + R.pre;
	if (lfree && rfree)
		o = (uint8_t)(7 + l);
	else
		o = lo > ro ? lo : ro;
	if (old->pre == s.pre && old->suf == s.suf && old->max == s.max &&
	    b->lv[l].ord[j] == o)
		return false;
	*old = s;
	b->lv[l].ord[j] = o;
	return true;
}

/*
 * Bring the summaries above words [w0, w1] up to date, level by level,
 * stopping at the first level where nothing changed.
 */
static void tree_update(struct rbitmap *b, uint64_t w0, uint64_t w1)
{
	bool changed = false;

	if (!b->top)
		return;
	w0 >>= 1;
	w1 >>= 1;
	for (uint64_t j = w0; j <= w1; j++) {
		uint64_t wl = b->words[2 * j], wr = b->words[2 * j + 1];

		changed |= node_store(b, 1, j, word_sum(wl), word_ord(wl),
				      word_sum(wr), word_ord(wr));
	}
	for (unsigned l = 2; changed && l <= b->top; l++) {
		const struct rb_level *c = &b->lv[l - 1];

		changed = false;
		w0 >>= 1;
		w1 >>= 1;
		for (uint64_t j = w0; j <= w1; j++)
			changed |= node_store(b, l, j, c->sum[2 * j], c->ord[2 * j],
					      c->sum[2 * j + 1], c->ord[2 * j + 1]);
	}
}

/* ------------------------------------------------------------------ */
/* Creation */

struct rbitmap *rbitmap_create(uint64_t nbits)
{
	struct rbitmap *b;
	uint64_t n;

	if (nbits > RBITMAP_MAX_BITS) {
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->nbits = nbits;
	b->nwords = nbits ? (nbits + 63) / 64 : 1;
	b->words = calloc(b->nwords + 1, sizeof(uint64_t));
	if (!b->words)
		goto free_b;
	/* bits past the size stay allocated forever */
	if (nbits % 64 || !nbits)
		b->words[b->nwords - 1] = ~low_bits(nbits % 64);
	b->words[b->nwords] = ~0ULL;

	for (n = b->nwords; n > 1; ) {
		unsigned l = ++b->top;

		n = (n + 1) / 2;
		b->lv[l].n = n;
		b->lv[l].sum = calloc(n + 1, sizeof(struct rb_sum));
		b->lv[l].ord = calloc(n + 1, 1);
		if (!b->lv[l].sum || !b->lv[l].ord)
			goto free_levels;
	}
	/* all-zero summaries mean "allocated": compute the real ones */
	tree_update(b, 0, b->nwords - 1);
	return b;

free_levels:
	for (unsigned l = 1; l <= b->top; l++) {
		free(b->lv[l].sum);
		free(b->lv[l].ord);
	}
	free(b->words);
free_b:
	free(b);
	errno = ENOMEM;
	return NULL;
}

void rbitmap_destroy(struct rbitmap *b)
{
	if (!b)
		return;
	for (unsigned l = 1; l <= b->top; l++) {
		free(b->lv[l].sum);
		free(b->lv[l].ord);
	}
	free(b->words);
	free(b);
}

uint64_t rbitmap_size(const struct rbitmap *b)
{
	return b->nbits;
}

uint64_t rbitmap_weight(const struct rbitmap *b)
{
	return b->weight;
}

uint64_t rbitmap_count(const struct rbitmap *b)
{
	uint64_t n = 0;

	for (uint64_t w = 0; w < b->nwords; w++)
		n += (uint64_t)__builtin_popcountll(b->words[w]);
	return n - (b->nwords * 64 - b->nbits);	/* the bits past the size */
}

bool rbitmap_test(const struct rbitmap *b, uint64_t i)
{
	return i < b->nbits && ((b->words[i / 64] >> (i % 64)) & 1);
}

/* ------------------------------------------------------------------ */
/* Range updates */

static void assign_range(struct rbitmap *b, uint64_t start, uint64_t n, bool set)
{
	uint64_t end, w0, w1;

	if (start >= b->nbits || !n)
		return;
	end = n > b->nbits - start ? b->nbits : start + n;
	w0 = start / 64;
	w1 = (end - 1) / 64;
	for (uint64_t w = w0; w <= w1; w++) {
		uint64_t m = ~0ULL, old = b->words[w];

		if (w == w0)
			m &= ~low_bits(start % 64);
		if (w == w1 && end % 64)
			m &= low_bits(end % 64);
		if (set) {
			b->weight += (uint64_t)__builtin_popcountll(m & ~old);
			b->words[w] = old | m;
		} else {
			b->weight -= (uint64_t)__builtin_popcountll(m & old);
			b->words[w] = old & ~m;
		}
	}
	tree_update(b, w0, w1);
}

void rbitmap_set(struct rbitmap *b, uint64_t start, uint64_t n)
{
	assign_range(b, start, n, true);
}

void rbitmap_clear(struct rbitmap *b, uint64_t start, uint64_t n)
{
	assign_range(b, start, n, false);
}

/* ------------------------------------------------------------------ */
/* Searches over single bits (find_next_bit and friends), O(log n) */

/* First bit >= x equal to @set, or the size. */
static uint64_t next_bit(const struct rbitmap *b, uint64_t x, bool set)
{
	uint64_t j, m;
	unsigned l;

	if (x >= b->nbits)
		return b->nbits;
	j = x / 64;
	m = set ? b->words[j] : ~b->words[j];
	m &= ~low_bits(x % 64);
	if (m)
		goto found;
	for (l = 0; l < b->top; l++, j >>= 1) {
		if (j & 1)
			continue;
		if (set ? node_has_set(b, l, j + 1) : node_has_zero(b, l, j + 1)) {
			j++;
			goto descend;
		}
	}
	return b->nbits;
descend:
	for (; l > 0; l--) {
		j *= 2;
		if (!(set ? node_has_set(b, l - 1, j) : node_has_zero(b, l - 1, j)))
			j++;
		/* a set bit found only in the sentinel's side (a group
		 * holding the sentinel looks allocated): none below the size */
		if (j >= (l > 1 ? b->lv[l - 1].n : b->nwords))
			return b->nbits;
	}
	m = set ? b->words[j] : ~b->words[j];
found:
	x = j * 64 + ctz64(m);
	return x < b->nbits ? x : b->nbits;
}

/* ------------------------------------------------------------------ */
/* Aligned power-of-two blocks: the `ord` summary */

/*
 * Lowest free naturally aligned block of 2^k bits at or after @lo (a
 * multiple of 2^k), or RB_NONE.  Climb from lo's group, take the first
 * right sibling that holds such a block, descend it leftmost.
 */
static uint64_t find_aligned(const struct rbitmap *b, unsigned k, uint64_t lo)
{
	unsigned t = k > 6 ? k - 6 : 0;	/* level whose groups are 2^k bits */
	unsigned l = t;
	uint64_t j, m;

	if (t > b->top || lo >= b->nbits)
		return RB_NONE;
	j = lo >> (6 + t);
	if (t == 0) {
		m = aligned_free(b->words[j], k) & ~low_bits(lo % 64);
		if (m)
			return j * 64 + ctz64(m);
	} else if (node_ord(b, t, j) > k) {
		return lo;
	}
	for (; l < b->top; l++, j >>= 1) {
		if (!(j & 1) && node_ord(b, l, j + 1) > k) {
			j++;
			goto descend;
		}
	}
	return RB_NONE;
descend:
	for (; l > t; l--) {
		j *= 2;
		if (node_ord(b, l - 1, j) <= k)
			j++;
	}
	if (t)
		return j << k;
	return j * 64 + ctz64(aligned_free(b->words[j], k));
}

int64_t rbitmap_find_free_region(struct rbitmap *b, unsigned order)
{
	uint64_t pos;

	if (order > 6 + b->top || (1ULL << order) > b->nbits)
		return -1;
	pos = find_aligned(b, order, 0);
	if (pos == RB_NONE)
		return -1;
	assign_range(b, pos, 1ULL << order, true);
	return (int64_t)pos;
}

void rbitmap_release_region(struct rbitmap *b, uint64_t pos, unsigned order)
{
	assign_range(b, pos, order >= 64 ? UINT64_MAX : 1ULL << order, false);
}

/* ------------------------------------------------------------------ */
/* Free windows: the pre/suf/max summary */

/*
 * Inside group (l, j), the first window of @nr free bits, given @run free
 * bits just before the group.  The caller knows run + pre < nr <= max, so
 * the window does not start before the group; the same then holds for the
 * child chosen at each step.
 */
static uint64_t window_descend(const struct rbitmap *b, unsigned l, uint64_t j,
			       uint64_t run, uint64_t nr)
{
	for (; l > 0; l--) {
		uint64_t half = grp_bits(l - 1);
		struct rb_sum s = node_sum(b, l - 1, 2 * j);

		j *= 2;
		if (s.max >= nr)
			continue;
		/* not inside the left half: across the middle, or right */
		run = s.pre == half ? run + half : s.suf;
		j++;
		s = node_sum(b, l - 1, j);
		if (run + s.pre >= nr)
			return j * half - run;
	}
	return j * 64 + ctz64(runs_at_least(~b->words[j], (unsigned)nr));
}

/* First q >= x with [q, q + nr) free and q + nr <= size, or RB_NONE. nr >= 1. */
static uint64_t find_window(const struct rbitmap *b, uint64_t x, uint64_t nr)
{
	uint64_t j, w, run, m;
	struct rb_sum s;
	unsigned l;

	if (x >= b->nbits || nr > b->nbits - x)
		return RB_NONE;
	j = x / 64;
	w = b->words[j] | low_bits(x % 64);
	s = word_sum(w);
	if (s.max >= nr) {
		m = runs_at_least(~w, (unsigned)nr);
		return j * 64 + ctz64(m);
	}
	run = s.suf;
	for (l = 0; l < b->top; l++, j >>= 1) {
		if (j & 1)
			continue;
		s = node_sum(b, l, j + 1);
		if (run + s.pre >= nr)
			return (j + 1) * grp_bits(l) - run;
		if (s.max >= nr)
			return window_descend(b, l, j + 1, run, nr);
		run = s.pre == grp_bits(l) ? run + grp_bits(l) : s.suf;
	}
	return RB_NONE;
}

/* ------------------------------------------------------------------ */
/* bitmap_find_next_zero_area_off */

static inline uint64_t align_off(uint64_t x, uint64_t mask, uint64_t off)
{
	return ((x + off + mask) & ~mask) - off;
}

/*
 * The kernel's loop itself, with find_next_zero_bit / find_next_bit done
 * through the tree.  Used for masks outside the documented range, where
 * the arithmetic may wrap; a loop that would never end returns size + 1.
 */
static uint64_t area_literal(const struct rbitmap *b, uint64_t start, uint64_t nr,
			     uint64_t mask, uint64_t off)
{
	uint64_t size = b->nbits;

	for (uint64_t iter = 0; iter <= size + 1; iter++) {
		uint64_t index = next_bit(b, start, false), end, i;

		index = align_off(index, mask, off);
		end = index + nr;
		if (end > size)
			return end;
		i = index < end ? next_bit(b, index, true) : end;
		if (i < end) {
			start = i + 1;
			continue;
		}
		return index;
	}
	return size + 1;
}

uint64_t rbitmap_find_next_zero_area_off(const struct rbitmap *b, uint64_t start,
					 uint64_t nr, uint64_t align_mask,
					 uint64_t align_offset)
{
	uint64_t size = b->nbits, mask = align_mask, off, s0, idx, x, p, q, e;
	uint64_t A;

	if (mask >= RB_BIG || nr >= RB_BIG || (mask & (mask + 1)))
		return area_literal(b, start, nr, mask, align_offset);

	/*
	 * Only off mod 2^k matters: adding a multiple of 2^k to the offset
	 * cancels out of ALIGN(x + off) - off, also modulo 2^64.
	 */
	off = align_offset & mask;
	s0 = next_bit(b, start, false);
	idx = align_off(s0, mask, off);
	if (!nr || idx + nr > size)
		return idx + nr;

	/*
	 * Every restart of the kernel's loop skips only positions that cannot
	 * fit, so when something fits it returns the lowest fitting index.
	 */
	if (!off && mask + 1 == nr && nr <= (1ULL << 32)) {
		p = find_aligned(b, (unsigned)ctz64(nr), idx);
		if (p != RB_NONE)
			return p;
	} else {
		for (x = s0; (q = find_window(b, x, nr)) != RB_NONE; x = e + 1) {
			p = align_off(q, mask, off);
			e = next_bit(b, q + nr, true);
			if (p + nr <= e)
				return p;
		}
	}

	/*
	 * Nothing fits: reproduce the index + nr the kernel fails with.  Its
	 * loop restarts at the first free bit after a conflict, and a restart
	 * position that aligns up to the same index as an earlier one is
	 * jumped over.  Let A be the last aligned index that leaves room for
	 * nr bits.  No restart lands in (the last tried index, A], so the
	 * first one past A is the first free bit after a set bit beyond A:
	 * the kernel's final index is that bit aligned up.
	 */
	A = ((size - nr + off) & ~mask) - off;
	return align_off(next_bit(b, next_bit(b, A, true), false), mask, off) + nr;
}
