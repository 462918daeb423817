/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * debug.c — the live DMA mappings and allocations of every device (models
 * the entry tracking of kernel/dma/debug.c, which Debian's kernel does not
 * build but libdmapool always runs).
 *
 * Each device keeps its entries in a treap ordered by DMA address (ties
 * broken by a sequence number, so the same address may be mapped twice)
 * and augmented with the largest end address of each subtree: finding
 * the entries that contain an address is O(log n + k), which the device
 * model (device.c) and the syncs need, and insert/delete are O(log n).
 * Priorities come from a hash of the sequence number, so the shape — and
 * every result — is the same in every run.
 *
 * An entry also carries the ownership state of a streaming mapping: the
 * device owns it after map and sync_for_device, the CPU after
 * sync_for_cpu (unmap ends it).
 *
 * Left out so far: the checks kernel/dma/debug.c makes with these entries
 * at unmap, free and sync time (wrong size, direction or type, unknown
 * address, leaks at driver release).
 */
#include "internal.h"

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t end_of(const struct dbg_entry *e)
{
	return e->dma + e->size;
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
	if (a->prio > b->prio) {
		a->r = merge(a->r, b);
		fix(a);
		return a;
	}
	b->l = merge(a, b->l);
	fix(b);
	return b;
}

static struct dbg_entry *insert(struct dbg_entry *t, struct dbg_entry *e)
{
	struct dbg_entry *l, *r;

	if (!t)
		return e;
	if (e->prio > t->prio) {
		split(t, e, &l, &r);
		e->l = l;
		e->r = r;
		fix(e);
		return e;
	}
	if (key_less(e, t))
		t->l = insert(t->l, e);
	else
		t->r = insert(t->r, e);
	fix(t);
	return t;
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

struct dbg_entry *debug_add(struct device *dev, const struct dbg_entry *tmpl)
{
	struct dmapool_machine *m = dev->m;
	struct dbg_entry *e = malloc(sizeof(*e));

	if (!e)
		return NULL;
	*e = *tmpl;
	e->l = e->r = NULL;
	e->dev = dev;
	pthread_mutex_lock(&m->dbg_lock);
	e->seq = ++m->dbg_seq;
	e->prio = mix64(e->seq);
	e->max_end = end_of(e);
	dev->dbg_root = insert(dev->dbg_root, e);
	dev->dbg_n++;
	pthread_mutex_unlock(&m->dbg_lock);
	return e;
}

void debug_del(struct device *dev, struct dbg_entry *e)
{
	struct dmapool_machine *m = dev->m;

	if (!e)
		return;
	pthread_mutex_lock(&m->dbg_lock);
	dev->dbg_root = erase(dev->dbg_root, e);
	dev->dbg_n--;
	pthread_mutex_unlock(&m->dbg_lock);
	free(e);
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
	stab(dev->dbg_root, a, pick_exact, &x);
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

	if (!p->e && e->type != DBG_COHERENT && e->type != DBG_RESOURCE &&
	    !e->cpu_owned && e->orig < p->hi && e->orig + e->size > p->lo)
		p->e = e;
}

struct dbg_entry *debug_find_phys(struct dmapool_machine *m, phys_addr_t lo,
				  phys_addr_t hi)
{
	struct by_phys p = { lo, hi, NULL };

	for (size_t i = 0; i < m->n_devs && !p.e; i++)
		debug_walk(m->devs[i], pick_phys, &p);
	return p.e;
}

static void free_tree(struct dbg_entry *t)
{
	if (!t)
		return;
	free_tree(t->l);
	free_tree(t->r);
	free(t);
}

void debug_release_device(struct device *dev)
{
	pthread_mutex_lock(&dev->m->dbg_lock);
	free_tree(dev->dbg_root);
	dev->dbg_root = NULL;
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
