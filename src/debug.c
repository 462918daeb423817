/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * debug.c — the live DMA mappings and allocations of every device (models
 * the entry tracking of kernel/dma/debug.c, which Debian's kernel does not
 * build but libdmapool always runs).
 *
 * Each device keeps its entries in an exact-address hash (unmap, free,
 * dma_mapping_error(): O(1)) and in a treap ordered by DMA address (ties
 * broken by a sequence number, so the same address may be mapped twice)
 * and augmented with the largest end address of each subtree: finding
 * the entries that contain an address is O(log n + k), which the device
 * model (device.c) and the syncs need.  The treap is filled lazily: a new
 * entry waits on the device's pending list (O(1) in and out) and enters
 * the treap only when a containment query or a walk needs the order, so
 * a map + unmap that nothing queries in between never touches it.
 * Priorities come from a hash of the sequence number, so the treap's
 * shape — unique for a set of keys and priorities, whatever the order of
 * insertion — and every result are the same in every run.
 *
 * Entries are fixed-size and come from the machine's slabs of entries
 * (chunks of 32 up to 4,096, taken from the heap as needed and given
 * back when the machine is destroyed) through a free list, as the
 * kernel's preallocated dma_debug_entries: a steady-state map + unmap
 * makes no heap call.  Taking an entry still counts as an allocation for
 * fail_nth (fault.c), so the N-th allocation fails as before.
 *
 * An entry also carries the ownership state of a streaming mapping: the
 * device owns it after map and sync_for_device, the CPU after
 * sync_for_cpu (unmap ends it).
 *
 * The checks of kernel/dma/debug.c run on every call with the kernel's
 * words (docs/debug.md): check_unmap, check_sync, dma_mapping_error()
 * tracking, the active-cacheline overlap table, stack/rodata maps, leaks
 * at driver release (dmapool_device_release), err_printk()'s counting,
 * first-error mode and driver filter.
 *
 * Left out: the "Mapped at:" stack traces, the entry pool's fixed size
 * and its "out of memory - disabling" (the slabs grow; an entry that
 * cannot be allocated fails the mapping instead), zero-length mappings
 * (not tracked), and
 * the dma_debug= / dma_debug_driver= boot arguments (native switches
 * instead).
 */
#include <stdarg.h>

#include "internal.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#define ENTRY_POISON(e)		ASAN_POISON_MEMORY_REGION((e), sizeof(*(e)))
#define ENTRY_UNPOISON(e)	ASAN_UNPOISON_MEMORY_REGION((e), sizeof(*(e)))
#else
#define ENTRY_POISON(e)		((void)(e))
#define ENTRY_UNPOISON(e)	((void)(e))
#endif

#define PRIO(x) mix64((x)->seq)

/* ---- the entries' slabs and free list (m->dbg_lock) ---- */

#define CHUNK_MIN	32u
#define CHUNK_MAX	4096u

struct dbg_chunk {
	struct dbg_chunk *next;
	size_t n;
	struct dbg_entry e[];
};

/* A free entry, or a new chunk's worth on the free list; NULL when the
 * heap (or fail_nth) says no.  One fail_nth count per entry either way. */
static struct dbg_entry *entry_get(struct dmapool_machine *m)
{
	struct dbg_entry *e = m->dbg_free;

	if (e) {
		if (fault_fire())
			return NULL;
		ENTRY_UNPOISON(e);
		m->dbg_free = e->hnext;
		m->dbg_nfree--;
		return e;
	} else {
		size_t n = m->dbg_chunks ? m->dbg_chunks->n * 2 : CHUNK_MIN;
		struct dbg_chunk *c;

		if (n > CHUNK_MAX)
			n = CHUNK_MAX;
		c = malloc(sizeof(*c) + n * sizeof(c->e[0]));
		if (!c)
			return NULL;
		c->n = n;
		c->next = m->dbg_chunks;
		m->dbg_chunks = c;
		/* the rest in address order: the first taken is the lowest */
		for (size_t i = n - 1; i >= 1; i--) {
			c->e[i].hnext = m->dbg_free;
			m->dbg_free = &c->e[i];
			ENTRY_POISON(&c->e[i]);
		}
		m->dbg_nfree += n - 1;
		return &c->e[0];
	}
}

static void entry_put(struct dmapool_machine *m, struct dbg_entry *e)
{
	e->hnext = m->dbg_free;
	m->dbg_free = e;
	m->dbg_nfree++;
	ENTRY_POISON(e);
}

/* ---- the pending list: live entries not yet in the treap ---- */

static void pend_add(struct device *dev, struct dbg_entry *e)
{
	e->in_tree = false;
	e->l = NULL;
	e->r = dev->dbg_pend;
	if (dev->dbg_pend)
		dev->dbg_pend->l = e;
	dev->dbg_pend = e;
}

static void pend_del(struct device *dev, struct dbg_entry *e)
{
	if (e->l)
		e->l->r = e->r;
	else
		dev->dbg_pend = e->r;
	if (e->r)
		e->r->l = e->l;
	e->l = e->r = NULL;
}

static uint64_t end_of(const struct dbg_entry *e)
{
	return e->dma + e->size;
}

/*
 * The exact-address hash: open addressing with linear probing, one word
 * per slot.  A slot holds 0 (empty), H_TOMB (a removed entry, skipped by
 * lookups, reused by inserts) or an entry's address with a 15-bit
 * fingerprint of its DMA address in the top 16 bits (bit 63 set), so a
 * lookup reads the entries whose fingerprint matches and no other: with
 * a quarter of a million mappings live, every other entry a lookup met
 * was a cache miss.  An address that uses its top 16 bits (not a 48-bit
 * user address) is stored as it is, without a fingerprint, and always
 * read.  At most half the slots hold entries; tombstones and entries
 * together at most three quarters, past which the table is rebuilt.
 */
#define H_TOMB		((uintptr_t)1)
#define H_PTR_MASK	((UINT64_C(1) << 48) - 1)

static uint64_t h_hash(uint64_t a)
{
	return mix64(a);
}

/* The top 16 bits of a fingerprinted slot: bit 63 set, 15 bits of h. */
static uint64_t h_fp(uint64_t h)
{
	return (h >> 48) | 0x8000;
}

static uintptr_t h_word(const struct dbg_entry *e, uint64_t h)
{
	uintptr_t p = (uintptr_t)e;

	if ((uint64_t)p & ~H_PTR_MASK)
		return p;				/* no room for a fingerprint */
	return p | (uintptr_t)(h_fp(h) << 48);
}

static struct dbg_entry *h_entry(uintptr_t w)
{
	return (struct dbg_entry *)(w >> 63 ? w & H_PTR_MASK : w);
}

/* Could the slot word w hold an entry whose address hashes to h? */
static bool h_may_match(uintptr_t w, uint64_t h)
{
	return !(w >> 63) || (w >> 48) == h_fp(h);
}

static void h_put(uintptr_t *slots, size_t cap, struct dbg_entry *e)
{
	uint64_t h = h_hash(e->dma);
	size_t i = (size_t)(h & (cap - 1));

	while (slots[i] && slots[i] != H_TOMB)
		i = (i + 1) & (cap - 1);
	slots[i] = h_word(e, h);
}

/* Rebuild into ncap slots, dropping the tombstones; false: no memory. */
static bool h_rebuild(struct device *dev, size_t ncap)
{
	uintptr_t *ns = calloc(ncap, sizeof(*ns));

	if (!ns)
		return false;
	for (size_t j = 0; j < dev->dbg_hcap; j++)
		if (dev->dbg_hash[j] && dev->dbg_hash[j] != H_TOMB)
			h_put(ns, ncap, h_entry(dev->dbg_hash[j]));
	free(dev->dbg_hash);
	dev->dbg_hash = ns;
	dev->dbg_hcap = ncap;
	dev->dbg_htomb = 0;
	return true;
}

static bool h_insert(struct device *dev, struct dbg_entry *e)
{
	size_t cap = dev->dbg_hcap;

	if (2 * (dev->dbg_n + 1) > cap ||
	    4 * (dev->dbg_n + dev->dbg_htomb + 1) > 3 * cap) {
		size_t ncap = cap ? cap : 64;

		while (2 * (dev->dbg_n + 1) > ncap)
			ncap *= 2;
		/* no memory for a new table: go on while an empty slot is
		 * left (a lookup stops at one) */
		if (!h_rebuild(dev, ncap) && (!cap || dev->dbg_n + dev->dbg_htomb + 1 >= cap))
			return false;
	}
	{
		uint64_t h = h_hash(e->dma);
		size_t i = (size_t)(h & (dev->dbg_hcap - 1));

		while (dev->dbg_hash[i] && dev->dbg_hash[i] != H_TOMB)
			i = (i + 1) & (dev->dbg_hcap - 1);
		if (dev->dbg_hash[i] == H_TOMB)
			dev->dbg_htomb--;
		dev->dbg_hash[i] = h_word(e, h);
	}
	return true;
}

static void h_remove(struct device *dev, struct dbg_entry *e)
{
	uint64_t h;
	size_t i;

	if (!dev->dbg_hcap)
		return;
	h = h_hash(e->dma);
	for (i = (size_t)(h & (dev->dbg_hcap - 1)); dev->dbg_hash[i];
	     i = (i + 1) & (dev->dbg_hcap - 1))
		if (dev->dbg_hash[i] != H_TOMB && h_entry(dev->dbg_hash[i]) == e) {
			dev->dbg_hash[i] = H_TOMB;
			dev->dbg_htomb++;
			break;
		}
	/* after the live set shrank, tombstones would lengthen every probe.
	 * The last entry gone: clear them in place.  Otherwise, once they
	 * outnumber the entries and fill a quarter of a large table, rebuild
	 * it for what is left (amortised O(1); no memory: keep them).  Small
	 * tables are left alone, so that a device mapping and unmapping the
	 * same few buffers makes no heap call in steady state. */
	if (!dev->dbg_n) {
		memset(dev->dbg_hash, 0, dev->dbg_hcap * sizeof(*dev->dbg_hash));
		dev->dbg_htomb = 0;
	} else if (dev->dbg_hcap > 4096 && dev->dbg_htomb > dev->dbg_hcap / 4 &&
		   dev->dbg_htomb > dev->dbg_n) {
		size_t ncap = 64;

		while (2 * (dev->dbg_n + 1) > ncap)
			ncap *= 2;
		(void)h_rebuild(dev, ncap);
	}
}

/* the entries starting exactly at a, in (dma, seq) order, until fn says stop */
static void h_each(struct device *dev, uint64_t a,
		   bool (*fn)(struct dbg_entry *, void *), void *ctx)
{
	struct dbg_entry *v[16];
	size_t n = 0;

	uint64_t h = h_hash(a);

	if (!dev->dbg_hcap)
		return;
	for (size_t i = (size_t)(h & (dev->dbg_hcap - 1)); dev->dbg_hash[i];
	     i = (i + 1) & (dev->dbg_hcap - 1)) {
		struct dbg_entry *x;

		if (dev->dbg_hash[i] == H_TOMB || !h_may_match(dev->dbg_hash[i], h))
			continue;
		x = h_entry(dev->dbg_hash[i]);
		if (x->dma == a && n < 16) {
			size_t k = n++;

			while (k && v[k - 1]->seq > x->seq) {
				v[k] = v[k - 1];
				k--;
			}
			v[k] = x;
		}
	}
	for (size_t k = 0; k < n; k++)
		if (!fn(v[k], ctx))
			return;
}

static void fix(struct dbg_entry *t)
{
	uint64_t mx = end_of(t);

	if (t->l && t->l->max_end > mx)
		mx = t->l->max_end;
	if (t->r && t->r->max_end > mx)
		mx = t->r->max_end;
	t->max_end = mx;
}

static bool key_less(const struct dbg_entry *a, const struct dbg_entry *b)
{
	return a->dma < b->dma || (a->dma == b->dma && a->seq < b->seq);
}

/* split t into keys < k (l) and keys >= k (r) */
static void split(struct dbg_entry *t, const struct dbg_entry *k,
		  struct dbg_entry **l, struct dbg_entry **r)
{
	if (!t) {
		*l = *r = NULL;
		return;
	}
	if (key_less(t, k)) {
		split(t->r, k, &t->r, r);
		fix(t);
		*l = t;
	} else {
		split(t->l, k, l, &t->l);
		fix(t);
		*r = t;
	}
}

static struct dbg_entry *merge(struct dbg_entry *a, struct dbg_entry *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (PRIO(a) > PRIO(b)) {
		a->r = merge(a->r, b);
		fix(a);
		return a;
	}
	b->l = merge(a, b->l);
	fix(b);
	return b;
}

static struct dbg_entry *erase(struct dbg_entry *t, const struct dbg_entry *e)
{
	if (!t)
		return NULL;
	if (t == e)
		return merge(t->l, t->r);
	if (key_less(e, t))
		t->l = erase(t->l, e);
	else
		t->r = erase(t->r, e);
	fix(t);
	return t;
}

/* iterative insert, max_end raised on the way down (no sibling reads) */
static void insert_it(struct dbg_entry **pp, struct dbg_entry *e)
{
	uint64_t end = end_of(e);
	struct dbg_entry *t;

	while ((t = *pp) && !(PRIO(e) > PRIO(t))) {
		if (t->max_end < end)
			t->max_end = end;
		pp = key_less(e, t) ? &t->l : &t->r;
	}
	if (t)
		split(t, e, &e->l, &e->r);
	fix(e);
	*pp = e;
}

/* iterative erase, max_end refreshed bottom-up until unchanged */
static void erase_it(struct dbg_entry **root, struct dbg_entry *e)
{
	struct dbg_entry *path[256], **pp = root, *t;
	int n = 0;

	while ((t = *pp) != e) {
		if (!t)
			return;
		if (n == 256) {
			*root = erase(*root, e);
			return;
		}
		path[n++] = t;
		pp = key_less(e, t) ? &t->l : &t->r;
	}
	*pp = merge(e->l, e->r);
	while (n--) {
		uint64_t old = path[n]->max_end;

		fix(path[n]);
		if (path[n]->max_end == old)
			break;
	}
}

/* Under dbg_lock: move dev's pending entries into its treap. */
static void flush_locked(struct device *dev)
{
	struct dbg_entry *e, *next;

	for (e = dev->dbg_pend; e; e = next) {
		next = e->r;
		e->l = e->r = NULL;
		e->in_tree = true;
		e->max_end = end_of(e);
		insert_it(&dev->dbg_root, e);
	}
	dev->dbg_pend = NULL;
}

static int cln_add_locked(struct dmapool_machine *m, struct dbg_entry *e);
static void cln_report(struct device *dev, struct dbg_entry *e,
		       unsigned long attrs, int overlap);
static void cln_del_locked(struct dmapool_machine *m, struct dbg_entry *e);

struct dbg_entry *debug_add(struct device *dev, const struct dbg_entry *tmpl,
			    unsigned long attrs)
{
	struct dmapool_machine *m = dev->m;
	struct dbg_entry *e;
	int overlap;

	pthread_mutex_lock(&m->dbg_lock);
	e = entry_get(m);
	if (!e) {
		pthread_mutex_unlock(&m->dbg_lock);
		return NULL;
	}
	*e = *tmpl;
	e->cln_tracked = false;
	e->unlinked = false;
	e->seq = ++m->dbg_seq;
	if (!h_insert(dev, e)) {
		entry_put(m, e);
		pthread_mutex_unlock(&m->dbg_lock);
		return NULL;
	}
	pend_add(dev, e);
	dev->dbg_n++;
	overlap = cln_add_locked(m, e);
	pthread_mutex_unlock(&m->dbg_lock);
	cln_report(dev, e, attrs, overlap);
	return e;
}

static void unlink_locked(struct device *dev, struct dbg_entry *e)
{
	if (e->unlinked)
		return;
	cln_del_locked(dev->m, e);
	if (e->in_tree)
		erase_it(&dev->dbg_root, e);
	else
		pend_del(dev, e);
	dev->dbg_n--;		/* first: h_remove() sizes the table by it */
	h_remove(dev, e);
	e->unlinked = true;
}

void debug_unlink(struct device *dev, struct dbg_entry *e)
{
	struct dmapool_machine *m = dev->m;

	if (!e)
		return;
	pthread_mutex_lock(&m->dbg_lock);
	unlink_locked(dev, e);
	pthread_mutex_unlock(&m->dbg_lock);
}

void debug_del(struct device *dev, struct dbg_entry *e)
{
	struct dmapool_machine *m;

	if (!e)
		return;
	m = dev->m;
	pthread_mutex_lock(&m->dbg_lock);
	unlink_locked(dev, e);
	entry_put(m, e);
	pthread_mutex_unlock(&m->dbg_lock);
}

/* The entries containing a, in address order; calls fn until it says stop. */
static bool stab(struct dbg_entry *t, uint64_t a,
		 bool (*fn)(struct dbg_entry *, void *), void *ctx)
{
	if (!t || t->max_end <= a)
		return true;
	if (!stab(t->l, a, fn, ctx))
		return false;
	if (t->dma > a)
		return true;
	if (a < end_of(t) && !fn(t, ctx))
		return false;
	return stab(t->r, a, fn, ctx);
}

struct best {
	uint64_t a, len;
	int type;		/* -1: any */
	struct dbg_entry *e;
};

static bool pick(struct dbg_entry *e, void *ctx)
{
	struct best *b = ctx;

	if (b->type >= 0 && e->type != b->type)
		return true;
	/* prefer an entry that covers the whole access, then the longest */
	if (!b->e)
		b->e = e;
	else {
		bool cov = end_of(e) >= b->a + b->len, bcov = end_of(b->e) >= b->a + b->len;

		if ((cov && !bcov) || (cov == bcov && end_of(e) > end_of(b->e)))
			b->e = e;
	}
	return true;
}

struct dbg_entry *debug_find(struct device *dev, dma_addr_t a, size_t len,
			     int type)
{
	struct best b = { a, len ? len : 1, type, NULL };

	pthread_mutex_lock(&dev->m->dbg_lock);
	flush_locked(dev);
	stab(dev->dbg_root, a, pick, &b);
	pthread_mutex_unlock(&dev->m->dbg_lock);
	return b.e;
}

struct exact {
	uint64_t a;
	int type;
	struct dbg_entry *e;
};

static bool pick_exact(struct dbg_entry *e, void *ctx)
{
	struct exact *x = ctx;

	if (e->dma == x->a && (x->type < 0 || e->type == x->type)) {
		x->e = e;
		return false;
	}
	return true;
}

struct dbg_entry *debug_find_start(struct device *dev, dma_addr_t a, int type)
{
	struct exact x = { a, type, NULL };

	pthread_mutex_lock(&dev->m->dbg_lock);
	h_each(dev, a, pick_exact, &x);
	pthread_mutex_unlock(&dev->m->dbg_lock);
	return x.e;
}

static void walk(struct dbg_entry *t, void (*fn)(struct dbg_entry *, void *),
		 void *ctx)
{
	if (!t)
		return;
	walk(t->l, fn, ctx);
	fn(t, ctx);
	walk(t->r, fn, ctx);
}

void debug_walk(struct device *dev, void (*fn)(struct dbg_entry *, void *),
		void *ctx)
{
	pthread_mutex_lock(&dev->m->dbg_lock);
	flush_locked(dev);
	walk(dev->dbg_root, fn, ctx);
	pthread_mutex_unlock(&dev->m->dbg_lock);
}

struct by_phys {
	phys_addr_t lo, hi;
	struct dbg_entry *e;
};

static void pick_phys(struct dbg_entry *e, void *ctx)
{
	struct by_phys *p = ctx;

	if (!p->e && dbg_streaming(e) && !e->cpu_owned && e->orig < p->hi && e->orig + e->size > p->lo)
		p->e = e;
}

struct dbg_entry *debug_find_phys(struct dmapool_machine *m, phys_addr_t lo,
				  phys_addr_t hi, struct device **dev)
{
	struct by_phys p = { lo, hi, NULL };

	for (size_t i = 0; i < m->n_devs && !p.e; i++) {
		debug_walk(m->devs[i], pick_phys, &p);
		if (p.e)
			*dev = m->devs[i];
	}
	return p.e;
}

struct collect {
	struct dbg_entry **v;
	size_t cap, n;
};

static void collect_one(struct dbg_entry *e, void *ctx)
{
	struct collect *c = ctx;

	if (c->n < c->cap)
		c->v[c->n++] = e;
}

static void free_tree(struct dmapool_machine *m, struct dbg_entry *t)
{
	if (!t)
		return;
	free_tree(m, t->l);
	free_tree(m, t->r);
	entry_put(m, t);
}

static void undo_state(struct dbg_entry *t, void *ctx)
{
	struct device *dev = ctx;

	if (t->strict)
		physmem_strict(dev->m, t->orig, t->size, false);
	t->strict = false;
}

void debug_release_device(struct device *dev)
{
	struct dbg_entry **v = NULL;
	size_t n = 0;

	/* forget the cacheline counts and page protections of what is left */
	pthread_mutex_lock(&dev->m->dbg_lock);
	n = dev->dbg_n;
	v = n ? malloc(n * sizeof(*v)) : NULL;
	pthread_mutex_unlock(&dev->m->dbg_lock);
	if (v) {
		struct collect c = { v, n, 0 };

		debug_walk(dev, collect_one, &c);
		pthread_mutex_lock(&dev->m->dbg_lock);
		for (size_t i = 0; i < c.n; i++)
			cln_del_locked(dev->m, v[i]);
		pthread_mutex_unlock(&dev->m->dbg_lock);
		free(v);
	}
	debug_walk(dev, undo_state, dev);
	pthread_mutex_lock(&dev->m->dbg_lock);
	flush_locked(dev);
	free_tree(dev->m, dev->dbg_root);
	dev->dbg_root = NULL;
	free(dev->dbg_hash);
	dev->dbg_hash = NULL;
	dev->dbg_hcap = 0;
	dev->dbg_htomb = 0;
	dev->dbg_n = 0;
	pthread_mutex_unlock(&dev->m->dbg_lock);
}

size_t debug_count(struct device *dev)
{
	size_t n;

	pthread_mutex_lock(&dev->m->dbg_lock);
	n = dev->dbg_n;
	pthread_mutex_unlock(&dev->m->dbg_lock);
	return n;
}

static size_t tree_size(const struct dbg_entry *t)
{
	return t ? 1 + tree_size(t->l) + tree_size(t->r) : 0;
}

void debug_acct(struct device *dev, size_t *kept, size_t *in_tree,
		size_t *in_hash)
{
	size_t h = 0;

	pthread_mutex_lock(&dev->m->dbg_lock);
	*kept = dev->dbg_n;
	*in_tree = tree_size(dev->dbg_root);
	for (const struct dbg_entry *x = dev->dbg_pend; x; x = x->r)
		(*in_tree)++;
	for (size_t i = 0; i < dev->dbg_hcap; i++)
		if (dev->dbg_hash[i] && dev->dbg_hash[i] != H_TOMB) {
			const struct dbg_entry *x = h_entry(dev->dbg_hash[i]);

			uint64_t hx = h_hash(x->dma);
			size_t j = (size_t)(hx & (dev->dbg_hcap - 1));

			/* counted only where a lookup finds it: under its
			 * fingerprint, no empty slot between its home and it */
			while (j != i && dev->dbg_hash[j])
				j = (j + 1) & (dev->dbg_hcap - 1);
			if (j == i && h_may_match(dev->dbg_hash[i], hx))
				h++;
		}
	*in_hash = h;
	pthread_mutex_unlock(&dev->m->dbg_lock);
}

void debug_free_acct(struct dmapool_machine *m, size_t *kept, size_t *listed)
{
	size_t n = 0;

	pthread_mutex_lock(&m->dbg_lock);
	*kept = m->dbg_nfree;
	for (struct dbg_entry *x = m->dbg_free, *nx; x; x = nx) {
		ENTRY_UNPOISON(x);
		nx = x->hnext;
		ENTRY_POISON(x);
		n++;
	}
	*listed = n;
	pthread_mutex_unlock(&m->dbg_lock);
}

void debug_cln_acct(struct dmapool_machine *m, size_t *kept, size_t *counted)
{
	size_t n = 0;

	pthread_mutex_lock(&m->dbg_lock);
	*kept = m->cln.n;
	for (size_t i = 0; i < m->cln.cap; i++)
		n += m->cln.key[i] != 0;
	*counted = n;
	pthread_mutex_unlock(&m->dbg_lock);
}

/* ------------------------------------------------------------------ */
/* The checks of kernel/dma/debug.c */

static const char *const type_names[] = {
	[DBG_SINGLE] = "single", [DBG_SG] = "scatter-gather",
	[DBG_COHERENT] = "coherent", [DBG_NONCOHERENT] = "noncoherent",
	[DBG_RESOURCE] = "resource",
};

const char *debug_type_name(int type)
{
	return (unsigned)type < ARRAY_SIZE(type_names) ? type_names[type] : "?";
}

static const char *dir_str(int dir)
{
	static const char *const n[] = { "DMA_BIDIRECTIONAL", "DMA_TO_DEVICE",
					 "DMA_FROM_DEVICE", "DMA_NONE" };

	return (unsigned)dir < 4 ? n[dir] : "DMA_NONE";
}

/*
 * err_printk(): every error is counted; it is shown (a report) when the
 * driver filter lets the device through and, in first-error mode, when
 * it is the first.  The text is the kernel's WARN line.
 */
void debug_err(struct device *dev, const char *kind, uint64_t addr,
	       uint64_t size, const char *fmt, ...)
{
	struct dmapool_machine *m = dev->m;
	const char *drv = dev_driver_string(dev);
	bool show;
	va_list ap;
	char *msg = NULL;

	pthread_mutex_lock(&m->dbg_lock);
	m->dbg_errors++;
	dev->dbg_errors++;
	show = (!m->dbg_driver_filter || !strcmp(m->dbg_driver_filter, drv)) &&
	       (!m->dbg_first_only || m->dbg_shown == 0);
	m->dbg_shown++;		/* show_num_errors goes down either way */
	pthread_mutex_unlock(&m->dbg_lock);
	if (!show)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return;
	report(m, kind, dev, addr, size, "DMA-API: %s %s: %s", drv, dev->name, msg);
	free(msg);
}

struct cand {
	const struct dbg_ref *ref;
	struct dbg_entry *best;
	int best_lvl, matches;
	bool perfect;
};

static bool pick_cand(struct dbg_entry *e, void *ctx)
{
	struct cand *c = ctx;
	const struct dbg_ref *r = c->ref;
	int lvl = 0;

	if (e->dma != r->dma)
		return true;
	c->matches++;
	lvl += e->size == r->size;
	lvl += e->type == r->type;
	lvl += e->dir == r->dir;
	lvl += e->sg_call_ents == (r->sg_call_ents > 0 ? r->sg_call_ents : 0);
	if (lvl == 4) {
		c->best = e;
		c->perfect = true;
		return false;
	}
	if (lvl > c->best_lvl || !c->best) {
		c->best_lvl = lvl;
		c->best = e;
	}
	return true;
}

/* bucket_find_exact(): a perfect fit, else the only candidate. */
static struct dbg_entry *find_exact(struct device *dev, const struct dbg_ref *ref)
{
	struct cand c = { ref, NULL, -1, 0, false };

	pthread_mutex_lock(&dev->m->dbg_lock);
	h_each(dev, ref->dma, pick_cand, &c);
	pthread_mutex_unlock(&dev->m->dbg_lock);
	if (c.perfect || c.matches == 1)
		return c.best;
	return NULL;
}

static uint64_t cpu_pa(struct dmapool_machine *m, const void *cpu)
{
	phys_addr_t pa;

	if (cpu && physmem_is_page(m, cpu))	/* dma_free_pages(): page_to_phys */
		return (uint64_t)dmapool_page_to_pfn(cpu) << m->prof.page_shift;
	pa = cpu ? virt_to_phys(m, cpu) : PHYS_NONE;

	return pa == PHYS_NONE ? (uint64_t)(uintptr_t)cpu : pa;
}

struct dbg_entry *debug_check_unmap(struct device *dev, const struct dbg_ref *ref)
{
	struct dmapool_machine *m = dev->m;
	struct dbg_entry *e = find_exact(dev, ref);
	unsigned long long a = ref->dma;

	if (!e) {
		if (ref->dma == DMA_ERR)
			debug_err(dev, "debug-free-invalid", ref->dma, ref->size,
				  "device driver tries to free an invalid DMA memory address");
		else
			debug_err(dev, "debug-free-unknown", ref->dma, ref->size,
				  "device driver tries to free DMA memory it has not allocated [device address=0x%016llx] [size=%llu bytes]",
				  a, (unsigned long long)ref->size);
		return NULL;
	}
	if (ref->size != e->size)
		debug_err(dev, "debug-free-size", a, ref->size,
			  "device driver frees DMA memory with different size [device address=0x%016llx] [map size=%llu bytes] [unmap size=%llu bytes]",
			  a, (unsigned long long)e->size, (unsigned long long)ref->size);
	if (ref->type != e->type)
		debug_err(dev, "debug-free-function", a, ref->size,
			  "device driver frees DMA memory with wrong function [device address=0x%016llx] [size=%llu bytes] [mapped as %s] [unmapped as %s]",
			  a, (unsigned long long)ref->size, debug_type_name(e->type),
			  debug_type_name(ref->type));
	else if ((e->type == DBG_COHERENT || e->type == DBG_NONCOHERENT) &&
		 cpu_pa(m, ref->cpu) != cpu_pa(m, e->cpu))
		debug_err(dev, "debug-free-cpu-address", a, ref->size,
			  "device driver frees DMA memory with different CPU address [device address=0x%016llx] [size=%llu bytes] [cpu alloc address=0x%016llx] [cpu free address=0x%016llx]",
			  a, (unsigned long long)ref->size,
			  (unsigned long long)cpu_pa(m, e->cpu),
			  (unsigned long long)cpu_pa(m, ref->cpu));
	if (ref->sg_call_ents > 0 && ref->type == DBG_SG &&
	    ref->sg_call_ents != e->sg_call_ents)
		debug_err(dev, "debug-free-sg-count", a, ref->size,
			  "device driver frees DMA sg list with different entry count [map count=%d] [unmap count=%d]",
			  e->sg_call_ents, ref->sg_call_ents);
	if (ref->dir != e->dir)
		debug_err(dev, "debug-free-direction", a, ref->size,
			  "device driver frees DMA memory with different direction [device address=0x%016llx] [size=%llu bytes] [mapped with %s] [unmapped with %s]",
			  a, (unsigned long long)ref->size, dir_str(e->dir), dir_str(ref->dir));
	if (e->map_err == MAP_ERR_NOT_CHECKED)
		debug_err(dev, "debug-map-error-unchecked", a, ref->size,
			  "device driver failed to check map error[device address=0x%016llx] [size=%llu bytes] [mapped as %s]",
			  a, (unsigned long long)ref->size, debug_type_name(e->type));
	return e;
}

struct dbg_entry *debug_check_sync(struct device *dev, const struct dbg_ref *ref,
				   bool to_cpu)
{
	struct dbg_entry *e = debug_find(dev, ref->dma, ref->size, -1);
	unsigned long long a = ref->dma;

	if (!e) {
		debug_err(dev, "debug-sync-unknown", a, ref->size,
			  "device driver tries to sync DMA memory it has not allocated [device address=0x%016llx] [size=%llu bytes]",
			  a, (unsigned long long)ref->size);
		return NULL;
	}
	if (ref->dma + ref->size > e->dma + e->size)
		debug_err(dev, "debug-sync-range", a, ref->size,
			  "device driver syncs DMA memory outside allocated range [device address=0x%016llx] [allocation size=%llu bytes] [sync offset+size=%llu]",
			  (unsigned long long)e->dma, (unsigned long long)e->size,
			  (unsigned long long)(ref->dma - e->dma + ref->size));
	if (e->dir == DMA_BIDIRECTIONAL)
		return e;
	if (ref->dir != e->dir)
		debug_err(dev, "debug-sync-direction", a, ref->size,
			  "device driver syncs DMA memory with different direction [device address=0x%016llx] [size=%llu bytes] [mapped with %s] [synced with %s]",
			  a, (unsigned long long)e->size, dir_str(e->dir), dir_str(ref->dir));
	if (to_cpu && e->dir != DMA_FROM_DEVICE && ref->dir != DMA_TO_DEVICE)
		debug_err(dev, "debug-sync-read-only", a, ref->size,
			  "device driver syncs device read-only DMA memory for cpu [device address=0x%016llx] [size=%llu bytes] [mapped with %s] [synced with %s]",
			  a, (unsigned long long)e->size, dir_str(e->dir), dir_str(ref->dir));
	if (!to_cpu && e->dir != DMA_TO_DEVICE && ref->dir != DMA_FROM_DEVICE)
		debug_err(dev, "debug-sync-write-only", a, ref->size,
			  "device driver syncs device write-only DMA memory to device [device address=0x%016llx] [size=%llu bytes] [mapped with %s] [synced with %s]",
			  a, (unsigned long long)e->size, dir_str(e->dir), dir_str(ref->dir));
	if (ref->sg_call_ents > 0 && ref->type == DBG_SG &&
	    ref->sg_call_ents != e->sg_call_ents)
		debug_err(dev, "debug-sync-sg-count", a, ref->size,
			  "device driver syncs DMA sg list with different entry count [map count=%d] [sync count=%d]",
			  e->sg_call_ents, ref->sg_call_ents);
	return e;
}

static bool mark_checked(struct dbg_entry *e, void *ctx)
{
	dma_addr_t *a = ctx;

	if (e->dma == *a && e->map_err == MAP_ERR_NOT_CHECKED) {
		e->map_err = MAP_ERR_CHECKED;
		return false;
	}
	return true;
}

void debug_mapping_error(struct device *dev, dma_addr_t dma)
{
	pthread_mutex_lock(&dev->m->dbg_lock);
	h_each(dev, dma, mark_checked, &dma);
	pthread_mutex_unlock(&dev->m->dbg_lock);
}

/* ---- active cachelines: open addressing, backward-shift deletion ----
 * One word per slot: the cache-line number + 1 in the low 61 bits, the
 * overlap count (0..7, the kernel's 3 tag bits) in the top 3. */

#define CLN_MAX_OVERLAP 7
#define CLN_KEY(w)	((w) & ((1ULL << 61) - 1))
#define CLN_CNT(w)	((unsigned)((w) >> 61))

static size_t cln_slot(uint64_t key, size_t cap)
{
	return (size_t)(mix64(key) & (cap - 1));
}

static bool cln_grow(struct dmapool_machine *m)
{
	size_t ncap = m->cln.cap ? m->cln.cap * 2 : 256;
	uint64_t *nk = calloc(ncap, sizeof(*nk));

	if (!nk)
		return false;
	for (size_t i = 0; i < m->cln.cap; i++)
		if (m->cln.key[i]) {
			size_t j = cln_slot(CLN_KEY(m->cln.key[i]), ncap);

			while (nk[j])
				j = (j + 1) & (ncap - 1);
			nk[j] = m->cln.key[i];
		}
	free(m->cln.key);
	m->cln.key = nk;
	m->cln.cap = ncap;
	return true;
}

static uint64_t cln_of(struct dmapool_machine *m, const struct dbg_entry *e)
{
	return (e->orig >> __builtin_ctz(m->prof.cache_line)) + 1;
}

static size_t cln_find(struct dmapool_machine *m, uint64_t key)
{
	size_t i;

	for (i = cln_slot(key, m->cln.cap); m->cln.key[i]; i = (i + 1) & (m->cln.cap - 1))
		if (CLN_KEY(m->cln.key[i]) == key)
			break;
	return i;
}

/* Under dbg_lock: count e's line; the overlap count it found (-1: the
 * line was free, or e is not counted). */
static int cln_add_locked(struct dmapool_machine *m, struct dbg_entry *e)
{
	uint64_t key;
	size_t i;
	int overlap = -1;

	/* a device that only reads leaves the CPU nothing stale to see */
	if (e->dir == DMA_TO_DEVICE)
		return -1;
	if ((m->cln.n + 1) * 4 > m->cln.cap * 3 && !cln_grow(m))
		return -1;
	key = cln_of(m, e);
	i = cln_find(m, key);
	if (m->cln.key[i]) {
		/* active_cacheline_inc_overlap(): past 7 it stops counting */
		overlap = (int)CLN_CNT(m->cln.key[i]) + 1;
		if (overlap <= CLN_MAX_OVERLAP)
			m->cln.key[i] = key | (uint64_t)overlap << 61;
	} else {
		m->cln.key[i] = key;
		m->cln.n++;
	}
	e->cln_tracked = true;
	return overlap;
}

/* add_dma_entry()'s reports, outside the lock. */
static void cln_report(struct device *dev, struct dbg_entry *e,
		       unsigned long attrs, int overlap)
{
	struct dmapool_machine *m = dev->m;

	if (overlap < 0)
		return;
	if (overlap > CLN_MAX_OVERLAP && !m->cln.warned) {
		m->cln.warned = true;
		report(m, "debug-overlap-limit", dev, e->dma, e->size,
		       "DMA-API: exceeded %d overlapping mappings of cacheline 0x%016llx",
		       CLN_MAX_OVERLAP, (unsigned long long)(cln_of(m, e) - 1));
	}
	/* not with SKIP_CPU_SYNC, nor when small kmalloc buffers are
	 * bounced (SWIOTLB makes the overlap harmless) */
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC) &&
	    !(m->prof.bounce_unaligned_kmalloc && is_swiotlb_active(dev)))
		debug_err(dev, "debug-overlap", e->dma, e->size,
			  "cacheline tracking EEXIST, overlapping mappings aren't supported");
}

/* Under dbg_lock: uncount e's line. */
static void cln_del_locked(struct dmapool_machine *m, struct dbg_entry *e)
{
	uint64_t key;
	size_t i, j;

	if (!e->cln_tracked)
		return;
	e->cln_tracked = false;
	key = cln_of(m, e);
	i = cln_find(m, key);
	if (!m->cln.key[i])
		return;
	if (CLN_CNT(m->cln.key[i])) {
		m->cln.key[i] = key | (uint64_t)(CLN_CNT(m->cln.key[i]) - 1) << 61;
		return;
	}
	/* remove, shifting later members of the run back */
	m->cln.key[i] = 0;
	m->cln.n--;
	for (j = (i + 1) & (m->cln.cap - 1); m->cln.key[j]; j = (j + 1) & (m->cln.cap - 1)) {
		size_t home = cln_slot(CLN_KEY(m->cln.key[j]), m->cln.cap);

		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			m->cln.key[i] = m->cln.key[j];
			m->cln.key[j] = 0;
			i = j;
		}
	}
}

bool debug_on_stack(const void *p)
{
	pthread_attr_t attr;
	void *base;
	size_t size;
	bool on = false;

	if (pthread_getattr_np(pthread_self(), &attr))
		return false;
	if (!pthread_attr_getstack(&attr, &base, &size))
		on = (const char *)p >= (const char *)base &&
		     (const char *)p < (const char *)base + size;
	pthread_attr_destroy(&attr);
	return on;
}

/* check_for_illegal_area(): a read-only mapping of a file (the program's
 * or a library's text and constants). */
bool debug_in_rodata(const void *p)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool ro = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		char perms[8];
		int n = 0;

		if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %n", &lo, &hi, perms, &n) < 3)
			continue;
		if ((uintptr_t)p >= lo && (uintptr_t)p < hi) {
			ro = perms[1] != 'w' && n && line[n] == '/';
			break;
		}
	}
	fclose(f);
	return ro;
}

void debug_free_all(struct dmapool_machine *m)
{
	for (struct dbg_chunk *c = m->dbg_chunks, *nc; c; c = nc) {
		nc = c->next;
#ifdef __SANITIZE_ADDRESS__
		ASAN_UNPOISON_MEMORY_REGION(c->e, c->n * sizeof(c->e[0]));
#endif
		free(c);
	}
	m->dbg_chunks = NULL;
	m->dbg_free = NULL;
	m->dbg_nfree = 0;
	free(m->cln.key);
	memset(&m->cln, 0, sizeof(m->cln));
	free(m->dbg_driver_filter);
	m->dbg_driver_filter = NULL;
}

/* ---- native switches (the kernel's debugfs files) ---- */

DMAPOOL_API void dmapool_debug_set_all_errors(struct dmapool_machine *m, bool all)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->dbg_lock);
	m->dbg_first_only = !all;
	m->dbg_shown = 0;
	pthread_mutex_unlock(&m->dbg_lock);
}

DMAPOOL_API int dmapool_debug_set_driver_filter(struct dmapool_machine *m,
						const char *driver)
{
	char *f = NULL;

	if (!m)
		return -EINVAL;
	if (driver && *driver && !(f = strdup(driver)))
		return -ENOMEM;
	pthread_mutex_lock(&m->dbg_lock);
	free(m->dbg_driver_filter);
	m->dbg_driver_filter = f;
	pthread_mutex_unlock(&m->dbg_lock);
	return 0;
}

DMAPOOL_API uint64_t dmapool_debug_error_count(struct dmapool_machine *m,
					       const struct device *dev)
{
	uint64_t n;

	if (!m)
		return 0;
	pthread_mutex_lock(&m->dbg_lock);
	n = dev ? dev->dbg_errors : m->dbg_errors;
	pthread_mutex_unlock(&m->dbg_lock);
	return n;
}

DMAPOOL_API size_t dmapool_debug_live(const struct device *dev)
{
	return dev ? debug_count((struct device *)(uintptr_t)dev) : 0;
}

/*
 * Driver unbind: the device's managed resources go first (devres: its
 * dmam_pool_create() pools), then, as at BUS_NOTIFY_UNBOUND_DRIVER, every
 * allocation and mapping still live is a leak, reported one by one with
 * the kernel's text, and the tracking forgets them (the memory stays
 * allocated, as in the kernel).  Returns how many there were.
 */
DMAPOOL_API int dmapool_device_release(struct device *dev)
{
	struct dbg_entry **v;
	struct collect c;
	size_t n;

	if (!dev)
		return -EINVAL;
	/* devres first: managed pools go before the bus notifier looks */
	dmapool_release_device(dev);
	pthread_mutex_lock(&dev->m->dbg_lock);
	n = dev->dbg_n;
	pthread_mutex_unlock(&dev->m->dbg_lock);
	v = n ? malloc(n * sizeof(*v)) : NULL;
	if (n && !v)
		return -ENOMEM;
	c.v = v;
	c.cap = n;
	c.n = 0;
	if (n)
		debug_walk(dev, collect_one, &c);
	for (size_t i = 0; i < c.n; i++)
		debug_err(dev, "debug-leak", v[i]->dma, v[i]->size,
			  "device driver has pending DMA allocations while released from device [count=%zu]\nOne of leaked entries details: [device address=0x%016llx] [size=%llu bytes] [mapped with %s] [mapped as %s]",
			  c.n, (unsigned long long)v[i]->dma,
			  (unsigned long long)v[i]->size, dir_str(v[i]->dir),
			  debug_type_name(v[i]->type));
	free(v);
	debug_release_device(dev);
	return (int)c.n;
}
