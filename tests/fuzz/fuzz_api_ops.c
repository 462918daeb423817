/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * libFuzzer target: the DMA API driven by the input, as a driver would
 * call it, on the board of api_board.dts (compiled into the target).
 *
 * Input: two configuration bytes, then operations, one opcode byte each
 * followed by the argument bytes it reads (bytes past the end read as
 * 0).  The configuration picks the architecture profile, swiotlb=force,
 * lazy or passthrough IOMMU domains, restricted pools, DMAPOOL_DEBUG,
 * cache stress mode, init_on_alloc and the debugging switches.  The
 * operations: coherent allocations (dma_alloc_attrs, dma_alloc_pages,
 * dma_alloc_noncoherent) and frees; streaming maps of kmalloc memory,
 * pages and scatterlists, unmaps, syncs; the device's reads and writes;
 * the CPU's writes; dma_pool create/alloc/free/destroy; driver unbind
 * (dmapool_device_release); masks; map_resource; forced and injected
 * failures.  A table of live handles lets frees and unmaps use real
 * handles; a misuse operation frees or unmaps one again, or with a wrong
 * size, direction or device, which the library must report, not crash
 * on.  After every operation dmapool_machine_check() must pass
 * (abort() otherwise); at the end everything still live is freed and the
 * machine destroyed, so LeakSanitizer sees any host memory left behind.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dmapool.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/of_reserved_mem.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "fuzz_common.h"

/* api_board.dts, assembled by dtc -O asm */
extern const unsigned char dt_blob_start[];

#define NDEV		8
#define MAX_LIVE	48
#define MAX_OPS		256
#define MAX_SG		8
#define IO_MAX		(64u << 10)
/* Allocations and mapped buffers of one input may add up to this much:
 * the board has 2 GiB, and each byte touched stays in host memory (DRAM
 * and the CPU's view, memfd pages) until the machine is destroyed, under
 * the fuzzer's 2 GiB limit.  Larger requests that cannot succeed (4 GiB
 * and more) are always made. */
#define BUDGET		(384ULL << 20)

enum htype { H_FREE = 0, H_COHERENT, H_PAGES, H_NONCOH, H_SINGLE, H_PAGE,
	     H_SG, H_RESOURCE, H_POOL, H_BLOCK };

struct handle {
	enum htype type;
	int dev;
	void *cpu;		/* coherent/noncoherent cpu, kmalloc buffer, block */
	struct page *page;	/* H_PAGES, H_PAGE */
	unsigned order;		/* H_PAGE: alloc_pages order */
	dma_addr_t dma;
	size_t size;
	int dir;
	unsigned long attrs;
	struct sg_table sgt;	/* H_SG */
	void *sgbuf[MAX_SG];
	int nents, mapped;
	struct dma_pool *pool;	/* H_POOL, H_BLOCK */
};

struct state {
	struct dmapool_machine *m;
	struct device *dev[NDEV];
	struct handle h[MAX_LIVE];
	struct handle last;	/* the last handle freed, for misuse */
	const uint8_t *p, *end;
	uint64_t spent;		/* bytes allocated or mapped so far (BUDGET) */
};

static uint8_t io[IO_MAX];

static uint8_t rd8(struct state *s)
{
	return s->p < s->end ? *s->p++ : 0;
}

static uint16_t rd16(struct state *s)
{
	return (uint16_t)(rd8(s) | rd8(s) << 8);
}

static uint32_t rd32(struct state *s)
{
	return (uint32_t)rd16(s) | (uint32_t)rd16(s) << 16;
}

/* Sizes across the interesting scales, now and then 0 or absurd. */
static size_t pick_size(struct state *s)
{
	uint8_t c = rd8(s);
	uint16_t v = rd16(s);

	switch (c % 8) {
	case 0: return v % 256 + 1;
	case 1: return v % 4096 + 1;
	case 2: return (size_t)(v % 64 + 1) << 12;		/* pages */
	case 3: return (size_t)v % (1u << 20) * 16 + 1;		/* to 1 MiB */
	case 4: return (size_t)(v % 32 + 1) << 20;		/* to 32 MiB */
	case 5: return c & 0x80 ? 0 : (size_t)1 << (v % 48);	/* 0, or 2^n */
	case 6: return (size_t)v + (c << 16);
	default: return 4096;
	}
}

static gfp_t pick_gfp(struct state *s)
{
	static const gfp_t g[] = {
		GFP_KERNEL, GFP_ATOMIC, GFP_KERNEL | __GFP_NOWARN, GFP_NOWAIT,
		GFP_KERNEL | GFP_DMA, GFP_KERNEL | GFP_DMA32, GFP_KERNEL | __GFP_ZERO,
		GFP_ATOMIC | __GFP_NOWARN, GFP_KERNEL | __GFP_COMP, GFP_KERNEL | __GFP_NORETRY,
	};
	uint8_t c = rd8(s);

	return g[c % (sizeof(g) / sizeof(g[0]))];
}

/* No attributes half the time, else any of the ones allocations and
 * maps look at. */
static unsigned long pick_attrs(struct state *s)
{
	static const unsigned long a[7] = {
		DMA_ATTR_WRITE_COMBINE, DMA_ATTR_NO_KERNEL_MAPPING,
		DMA_ATTR_SKIP_CPU_SYNC, DMA_ATTR_FORCE_CONTIGUOUS,
		DMA_ATTR_ALLOC_SINGLE_PAGES, DMA_ATTR_NO_WARN, DMA_ATTR_PRIVILEGED,
	};
	uint8_t c = rd8(s);
	unsigned long r = 0;

	if (c < 128)
		return 0;
	for (int i = 0; i < 7; i++)
		if (c & (1u << i))
			r |= a[i];
	return r;
}

/* A direction, rarely an invalid one (the library reports and ignores). */
static int pick_dir(struct state *s)
{
	uint8_t c = rd8(s);

	return c == 0xff ? 7 : c % 4 == 3 ? DMA_BIDIRECTIONAL : c % 4;
}

static int pick_dev(struct state *s)
{
	return rd8(s) % NDEV;
}

/* Take size bytes from the input's budget; false when it is spent. */
static bool spend(struct state *s, uint64_t size)
{
	if (size >= (1ULL << 32))
		return true;	/* fails: more than the board's RAM */
	if (s->spent + size > BUDGET)
		return false;
	s->spent += size;
	return true;
}

static struct handle *slot_new(struct state *s)
{
	for (int i = 0; i < MAX_LIVE; i++)
		if (s->h[i].type == H_FREE) {
			memset(&s->h[i], 0, sizeof(s->h[i]));
			return &s->h[i];
		}
	return NULL;
}

/* A live handle of one of the given types (mask of 1 << type), chosen by
 * the next byte; NULL when there is none. */
static struct handle *pick_live(struct state *s, unsigned mask)
{
	uint8_t c = rd8(s);

	for (int k = 0; k < MAX_LIVE; k++) {
		struct handle *h = &s->h[(c + k) % MAX_LIVE];

		if (h->type != H_FREE && (mask & (1u << h->type)))
			return h;
	}
	return NULL;
}

#define STREAMING	((1u << H_SINGLE) | (1u << H_PAGE) | (1u << H_SG))
#define ALLOCATED	((1u << H_COHERENT) | (1u << H_PAGES) | (1u << H_NONCOH))

/* ---- creating handles ---- */

static void op_alloc(struct state *s, int kind)
{
	struct handle *h = slot_new(s);
	int d = pick_dev(s);
	size_t size = pick_size(s);
	gfp_t gfp = pick_gfp(s);
	unsigned long attrs = pick_attrs(s);
	int dir = pick_dir(s);

	if (!h || !spend(s, size))
		return;
	h->dev = d;
	h->size = size;
	h->attrs = attrs;
	h->dir = dir;
	if (kind == 0) {
		h->cpu = dma_alloc_attrs(s->dev[d], size, &h->dma, gfp, attrs);
		if (h->cpu)
			h->type = H_COHERENT;
	} else if (kind == 1) {
		h->page = dma_alloc_pages(s->dev[d], size, &h->dma, dir, gfp);
		if (h->page)
			h->type = H_PAGES;
	} else {
		h->cpu = dma_alloc_noncoherent(s->dev[d], size, &h->dma, dir, gfp);
		if (h->cpu)
			h->type = H_NONCOH;
	}
	/* a driver writes what it got (not a NO_KERNEL_MAPPING cookie) */
	if (h->type == H_COHERENT && !(attrs & DMA_ATTR_NO_KERNEL_MAPPING))
		memset(h->cpu, 0x5a, size < IO_MAX ? size : IO_MAX);
}

static bool trace;

static void free_handle(struct state *s, struct handle *h, size_t size,
			int dir, struct device *dev)
{
	if (trace)
		fprintf(stderr, "  free/unmap type %d of %s (dma %#llx, size %#zx) as %s, size %#zx, dir %d\n",
			h->type, dmapool_device_name(s->dev[h->dev]),
			(unsigned long long)h->dma, h->size, dmapool_device_name(dev),
			size, dir);
	switch (h->type) {
	case H_COHERENT:
		dma_free_attrs(dev, size, h->cpu, h->dma, h->attrs);
		break;
	case H_PAGES:
		dma_free_pages(dev, size, h->page, h->dma, dir);
		break;
	case H_NONCOH:
		dma_free_noncoherent(dev, size, h->cpu, h->dma, dir);
		break;
	case H_SINGLE:
		dma_unmap_single_attrs(dev, h->dma, size, dir, h->attrs);
		break;
	case H_PAGE:
		dma_unmap_page_attrs(dev, h->dma, size, dir, h->attrs);
		break;
	case H_SG:
		if (h->mapped > 0)
			dma_unmap_sg_attrs(dev, h->sgt.sgl, h->nents, dir, h->attrs);
		break;
	case H_RESOURCE:
		dma_unmap_resource(dev, h->dma, size, dir, h->attrs);
		break;
	case H_BLOCK:
		dma_pool_free(h->pool, h->cpu, h->dma);
		break;
	default:
		break;
	}
}

/* Host and simulated memory behind a streaming handle, after its unmap. */
static void release_buffers(struct handle *h)
{
	if (h->type == H_SINGLE)
		kfree(h->cpu);
	else if (h->type == H_PAGE)
		__free_pages(h->page, h->order);
	else if (h->type == H_SG) {
		for (int i = 0; i < h->nents; i++)
			kfree(h->sgbuf[i]);
		sg_free_table(&h->sgt);
	}
}

static void forget(struct state *s, struct handle *h)
{
	release_buffers(h);
	s->last = *h;
	s->last.sgt.sgl = NULL;		/* freed: never used again */
	h->type = H_FREE;
}

static void op_free(struct state *s)
{
	struct handle *h = pick_live(s, ALLOCATED | STREAMING | (1u << H_RESOURCE));

	if (!h)
		return;
	free_handle(s, h, h->size, h->dir, s->dev[h->dev]);
	forget(s, h);
}

static void op_map_single(struct state *s)
{
	struct handle *h = slot_new(s);
	int d = pick_dev(s);
	size_t size = pick_size(s) % (1u << 22);
	int dir = pick_dir(s);
	unsigned long attrs = pick_attrs(s) & (DMA_ATTR_SKIP_CPU_SYNC | DMA_ATTR_WEAK_ORDERING);
	uint8_t off = rd8(s);

	if (!h || !spend(s, size))
		return;
	h->cpu = kmalloc(size + off % 64 + 1, GFP_KERNEL);
	if (!h->cpu)
		return;
	memset(h->cpu, 0xc3, size + off % 64 + 1);
	h->dev = d;
	h->size = size;
	h->dir = dir;
	h->attrs = attrs;
	h->dma = dma_map_single_attrs(s->dev[d], (char *)h->cpu + off % 64, size, dir, attrs);
	if (off & 0x80)
		(void)dma_mapping_error(s->dev[d], h->dma);
	if (dma_mapping_error(s->dev[d], h->dma) && !(off & 0x40)) {
		kfree(h->cpu);
		return;
	}
	h->type = H_SINGLE;	/* also a failed one now and then: unmap it anyway */
}

static void op_map_page(struct state *s)
{
	struct handle *h = slot_new(s);
	int d = pick_dev(s);
	unsigned order = rd8(s) % 6;
	uint16_t off = rd16(s);
	size_t size = pick_size(s);
	int dir = pick_dir(s);
	gfp_t gfp = rd8(s) & 1 ? GFP_KERNEL | GFP_DMA32 : GFP_KERNEL;

	if (!h || !spend(s, PAGE_SIZE << order))
		return;
	h->page = alloc_pages(gfp, order);
	if (!h->page)
		return;
	h->order = order;
	h->dev = d;
	h->size = size % (PAGE_SIZE << order) + 1;
	off %= (PAGE_SIZE << order) - (h->size - 1);
	h->dir = dir;
	h->dma = dma_map_page_attrs(s->dev[d], h->page, off, h->size, dir, 0);
	if (dma_mapping_error(s->dev[d], h->dma)) {
		__free_pages(h->page, order);
		return;
	}
	h->type = H_PAGE;
}

static void op_map_sg(struct state *s)
{
	struct handle *h = slot_new(s);
	int d = pick_dev(s);
	int n = rd8(s) % MAX_SG + 1;
	int dir = pick_dir(s);
	struct scatterlist *sg;
	int i;

	if (!h)
		return;
	if (sg_alloc_table(&h->sgt, (unsigned)n, GFP_KERNEL))
		return;
	for (i = 0, sg = h->sgt.sgl; i < n; i++, sg = sg_next(sg)) {
		size_t len = rd16(s) % 9000 + 1;

		h->sgbuf[i] = kmalloc(len, GFP_KERNEL);
		if (!h->sgbuf[i]) {
			while (i-- > 0)
				kfree(h->sgbuf[i]);
			sg_free_table(&h->sgt);
			return;
		}
		memset(h->sgbuf[i], 0x3c, len);
		sg_set_buf(sg, h->sgbuf[i], (unsigned)len);
	}
	h->nents = n;
	h->dev = d;
	h->dir = dir;
	h->type = H_SG;
	h->mapped = (int)dma_map_sg_attrs(s->dev[d], h->sgt.sgl, n, dir, 0);
	if (h->mapped > 0) {
		h->dma = sg_dma_address(h->sgt.sgl);
		h->size = sg_dma_len(h->sgt.sgl);
	}
}

static void op_map_resource(struct state *s)
{
	struct handle *h = slot_new(s);
	int d = pick_dev(s);
	phys_addr_t pa = (phys_addr_t)rd32(s) << (rd8(s) % 8);
	/* at most 256 MiB: the IOMMU model maps MMIO 4 KiB at a time (no
	 * block mappings), so 32 GiB would be 8 M page-table entries */
	size_t size = pick_size(s) % (256u << 20);
	int dir = pick_dir(s);

	if (!h)
		return;
	h->dma = dma_map_resource(s->dev[d], pa, size, dir, 0);
	if (dma_mapping_error(s->dev[d], h->dma))
		return;
	h->dev = d;
	h->size = size;
	h->dir = dir;
	h->type = H_RESOURCE;
}

/* ---- using handles ---- */

static void op_sync(struct state *s)
{
	struct handle *h = pick_live(s, STREAMING | (1u << H_PAGES) | (1u << H_NONCOH));
	uint8_t c = rd8(s);
	size_t off = rd16(s), len = rd16(s);
	int dir;

	if (!h)
		return;
	dir = c & 0x10 ? pick_dir(s) : h->dir;	/* mostly the mapping's own */
	if (h->type == H_SG) {
		if (h->mapped <= 0)
			return;
		if (c & 1)
			dma_sync_sg_for_cpu(s->dev[h->dev], h->sgt.sgl, h->nents, dir);
		else
			dma_sync_sg_for_device(s->dev[h->dev], h->sgt.sgl, h->nents, dir);
		return;
	}
	if (!(c & 0x20)) {	/* inside the mapping */
		off = h->size ? off % h->size : 0;
		len = h->size - off ? len % (h->size - off) + 1 : 0;
	}
	if (c & 1)
		dma_sync_single_for_cpu(s->dev[h->dev], h->dma + off, len, dir);
	else
		dma_sync_single_for_device(s->dev[h->dev], h->dma + off, len, dir);
}

static void op_dev_io(struct state *s)
{
	struct handle *h = pick_live(s, STREAMING | ALLOCATED | (1u << H_BLOCK));
	uint8_t c = rd8(s);
	size_t off = rd32(s), len = rd16(s) % IO_MAX + 1;
	struct device *dev;
	dma_addr_t a;

	if (!h)
		return;
	dev = s->dev[c & 0x40 ? pick_dev(s) : h->dev];
	if (c & 0x20)		/* anywhere: unmapped, past the end, beyond the mask */
		a = h->dma + off;
	else {
		off = h->size ? off % h->size : 0;
		if (len > h->size - off)
			len = h->size - off;
		a = h->dma + off;
	}
	if (!len)
		return;
	if (c & 1) {
		memset(io, c, len);
		dmapool_dev_write(dev, a, io, len);
	} else {
		dmapool_dev_read(dev, a, io, len);
	}
}

/* The CPU writes a buffer it has (dirty lines in the cache model). */
static void op_cpu_write(struct state *s)
{
	struct handle *h = pick_live(s, (1u << H_COHERENT) | (1u << H_NONCOH) |
				     (1u << H_SINGLE) | (1u << H_PAGES) | (1u << H_BLOCK));
	uint8_t c = rd8(s);
	uint8_t *p;
	size_t len;

	if (!h)
		return;
	if (h->type == H_COHERENT && (h->attrs & DMA_ATTR_NO_KERNEL_MAPPING))
		return;
	p = h->type == H_PAGES ? page_address(h->page) : h->cpu;
	len = h->size < IO_MAX ? h->size : IO_MAX;
	if (p && len)
		memset(p, c, len);
}

/* ---- dma_pool ---- */

static void op_pool_create(struct state *s)
{
	struct handle *h = slot_new(s);
	int d = pick_dev(s);
	size_t size = rd16(s) % 8192;
	size_t align = (size_t)1 << (rd8(s) % 13);
	size_t boundary = rd8(s) & 1 ? 0 : (size_t)1 << (rd8(s) % 16);
	bool managed = rd8(s) & 1;

	if (!h)
		return;
	h->pool = managed ? dmam_pool_create("fz", s->dev[d], size, align, boundary) :
		dma_pool_create("fz", s->dev[d], size, align, boundary);
	if (!h->pool)
		return;
	h->dev = d;
	h->type = H_POOL;
}

static void op_pool_alloc(struct state *s)
{
	struct handle *p = pick_live(s, 1u << H_POOL);
	struct handle *h;
	gfp_t gfp = pick_gfp(s) & ~__GFP_COMP;
	size_t bs = 0;

	if (!p || !(h = slot_new(s)))
		return;
	h->cpu = dma_pool_alloc(p->pool, gfp, &h->dma);
	if (!h->cpu)
		return;
	dmapool_pool_stats(p->pool, NULL, NULL, &bs, NULL);
	h->pool = p->pool;
	h->dev = p->dev;
	h->size = bs;
	h->dir = DMA_BIDIRECTIONAL;
	h->type = H_BLOCK;
}

static void op_pool_free(struct state *s)
{
	struct handle *h = pick_live(s, 1u << H_BLOCK);

	if (!h)
		return;
	dma_pool_free(h->pool, h->cpu, h->dma);
	forget(s, h);
}

/* Destroy a pool; its blocks are gone with it (a busy pool leaks its
 * chunks, as the kernel's does). */
static void pool_gone(struct state *s, struct dma_pool *pool)
{
	for (int i = 0; i < MAX_LIVE; i++)
		if ((s->h[i].type == H_BLOCK || s->h[i].type == H_POOL) &&
		    s->h[i].pool == pool)
			s->h[i].type = H_FREE;
	if (s->last.pool == pool)
		s->last.type = H_FREE;
}

static void op_pool_destroy(struct state *s)
{
	struct handle *p = pick_live(s, 1u << H_POOL);
	struct dma_pool *pool;

	if (!p)
		return;
	pool = p->pool;
	if (rd8(s) & 1) {	/* a driver that frees its blocks first */
		for (int i = 0; i < MAX_LIVE; i++)
			if (s->h[i].type == H_BLOCK && s->h[i].pool == pool) {
				dma_pool_free(pool, s->h[i].cpu, s->h[i].dma);
				s->h[i].type = H_FREE;
			}
	}
	dma_pool_destroy(pool);
	pool_gone(s, pool);
}

/* ---- driver-level operations ---- */

static void op_release(struct state *s)
{
	int d = pick_dev(s);

	dmapool_device_release(s->dev[d]);
	/* every dma_pool of the device is gone (managed ones destroyed,
	 * the others' bookkeeping freed); the rest stays allocated */
	for (int i = 0; i < MAX_LIVE; i++)
		if (s->h[i].type == H_POOL && s->h[i].dev == d)
			pool_gone(s, s->h[i].pool);
}

static void op_mask(struct state *s)
{
	static const unsigned bits[] = { 24, 30, 32, 36, 40, 48, 64, 0 };
	int d = pick_dev(s);
	uint8_t c = rd8(s);
	unsigned b = bits[c % 8];

	if (c & 0x80)
		dma_set_mask(s->dev[d], DMA_BIT_MASK(b));
	else
		dma_set_mask_and_coherent(s->dev[d], DMA_BIT_MASK(b));
}

static void op_misc(struct state *s)
{
	uint8_t c = rd8(s);
	int d = pick_dev(s);

	switch (c % 8) {
	case 0: dmapool_flush_work(s->m); break;
	case 1: dmapool_iommu_flush(s->dev[d]); break;
	case 2: dmapool_fail_next_map(s->dev[d]); break;
	case 3: dmapool_fail_next_alloc(s->dev[d], rd16(s)); break;
	case 4: dmapool_fail_atomic_pool(s->m, c & 0x80); break;
	case 5: dmapool_fail_nth(rd8(s) % 32 + 1); break;
	case 6: dma_set_seg_boundary(s->dev[d], (1UL << (rd8(s) % 33 + 12)) - 1); break;
	default: dma_set_max_seg_size(s->dev[d], (unsigned)(rd16(s) + 1) << 4); break;
	}
}

/* Misuse: the last freed handle again (double free / unmap), a live one
 * with the wrong size, direction or device, or an unmap at an address
 * inside a live mapping; then it is forgotten. */
static void op_misuse(struct state *s)
{
	uint8_t c = rd8(s);
	struct handle *h;
	size_t size;
	int dir;

	if (c % 4 == 3) {	/* inside the mapping, then at its start */
		size_t off;

		h = pick_live(s, (1u << H_SINGLE) | (1u << H_PAGE));
		if (!h || h->size < 2)
			return;
		off = rd16(s) % (h->size - 1) + 1;
		h->dma += off;
		free_handle(s, h, h->size - off, h->dir, s->dev[h->dev]);
		h->dma -= off;
		free_handle(s, h, h->size, h->dir, s->dev[h->dev]);
		forget(s, h);
		return;
	}
	if (c % 2 == 0) {
		h = &s->last;
		if (h->type == H_FREE || h->type == H_SG || h->type == H_POOL)
			return;
		/* a live allocation that got the same addresses again: its
		 * free is the right one, not a misuse (nobody can tell) */
		for (int i = 0; i < MAX_LIVE; i++)
			if (s->h[i].type != H_FREE && s->h[i].type != H_POOL &&
			    ((s->h[i].dev == h->dev && s->h[i].dma == h->dma) ||
			     (h->cpu && s->h[i].cpu == h->cpu)))
				return;
		if (h->type == H_BLOCK) {
			dma_pool_free(h->pool, h->cpu, h->dma);
			return;
		}
		/* the buffers behind it are gone: only the unmap or free */
		free_handle(s, h, h->size, h->dir, s->dev[h->dev]);
		h->type = H_FREE;
		return;
	}
	h = pick_live(s, ALLOCATED | (1u << H_SINGLE) | (1u << H_PAGE) | (1u << H_RESOURCE));
	if (!h)
		return;
	size = c & 0x10 ? pick_size(s) : h->size;
	dir = c & 0x20 ? pick_dir(s) : h->dir;
	free_handle(s, h, size, dir, s->dev[c & 0x40 ? pick_dev(s) : h->dev]);
	forget(s, h);
}

static void free_all(struct state *s)
{
	/* blocks first, then pools, then the rest, newest first */
	for (int i = MAX_LIVE; i-- > 0; )
		if (s->h[i].type == H_BLOCK) {
			dma_pool_free(s->h[i].pool, s->h[i].cpu, s->h[i].dma);
			s->h[i].type = H_FREE;
		}
	for (int i = MAX_LIVE; i-- > 0; )
		if (s->h[i].type == H_POOL) {
			dma_pool_destroy(s->h[i].pool);
			s->h[i].type = H_FREE;
		}
	for (int i = MAX_LIVE; i-- > 0; )
		if (s->h[i].type != H_FREE) {
			free_handle(s, &s->h[i], s->h[i].size, s->h[i].dir,
				    s->dev[s->h[i].dev]);
			release_buffers(&s->h[i]);
			s->h[i].type = H_FREE;
		}
}

static void op_alloc_coherent(struct state *s) { op_alloc(s, 0); }
static void op_alloc_pages(struct state *s) { op_alloc(s, 1); }
static void op_alloc_noncoherent(struct state *s) { op_alloc(s, 2); }

struct op {
	const char *name;
	void (*fn)(struct state *s);
};

/* Weighted by repetition. */
static const struct op ops[] = {
	{ "dma_alloc_attrs", op_alloc_coherent },
	{ "dma_alloc_attrs", op_alloc_coherent },
	{ "dma_alloc_attrs", op_alloc_coherent },
	{ "dma_alloc_pages", op_alloc_pages },
	{ "dma_alloc_noncoherent", op_alloc_noncoherent },
	{ "free/unmap", op_free },
	{ "free/unmap", op_free },
	{ "dma_map_single", op_map_single },
	{ "dma_map_single", op_map_single },
	{ "dma_map_page", op_map_page },
	{ "dma_map_sg", op_map_sg },
	{ "dma_map_resource", op_map_resource },
	{ "dma_sync_*", op_sync },
	{ "dma_sync_*", op_sync },
	{ "dmapool_dev_read/write", op_dev_io },
	{ "dmapool_dev_read/write", op_dev_io },
	{ "CPU write", op_cpu_write },
	{ "dma_pool_create", op_pool_create },
	{ "dma_pool_alloc", op_pool_alloc },
	{ "dma_pool_free", op_pool_free },
	{ "dma_pool_destroy", op_pool_destroy },
	{ "misuse", op_misuse },
	{ "dma_set_mask", op_mask },
	{ "dmapool_device_release", op_release },
	{ "misc", op_misc },
};
#define NOPS	(sizeof(ops) / sizeof(ops[0]))

static void check(struct state *s, const char *after)
{
	char why[512];

	if (dmapool_machine_check(s->m, why, sizeof(why))) {
		fprintf(stderr, "dmapool_machine_check after %s: %s\n", after, why);
		abort();
	}
}

static const char *const dev_names[NDEV] = {
	"dev0@1000", "dev1@2000", "dev2@3000", "dev3@4000",
	"dev4@5000", "dev5@6000", "dev6@7000", "dev7@8000",
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	trace = getenv("FUZZ_TRACE") != NULL;
	fz_clean_env();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const arch[8] = {
		"arm64", "arm64", "arm64", "arm64", "arm64", "arm", "riscv64", "x86_64",
	};
	static struct state st;
	struct state *s = &st;
	struct dmapool_config cfg;
	const unsigned char *blob = dt_blob_start;
	size_t blob_size = (size_t)blob[4] << 24 | blob[5] << 16 | blob[6] << 8 | blob[7];
	char bootargs[128], knobs[128];
	uint8_t c0, c1;
	int rc, nops = 0;


	memset(s, 0, sizeof(*s));
	s->p = data;
	s->end = data + size;
	c0 = rd8(s);
	c1 = rd8(s);
	snprintf(bootargs, sizeof(bootargs), "console=ttyAMA0%s%s%s%s",
		 c0 & 0x08 ? " swiotlb=force" : "",
		 c0 & 0x10 ? " iommu.strict=0" : "",
		 c1 & 0x01 ? " init_on_alloc=0" : "",
		 c1 & 0x02 ? " iommu.passthrough=1" : "");
	snprintf(knobs, sizeof(knobs), "dma_restricted_pool=%c,dmapool_debug=%c,cache_stress=%c",
		 c0 & 0x20 ? 'y' : 'n', c0 & 0x40 ? 'y' : 'n', c0 & 0x80 ? 'y' : 'n');
	memset(&cfg, 0, sizeof(cfg));
	cfg.arch = arch[c0 & 7];
	cfg.bootargs = bootargs;
	cfg.knobs = knobs;
	cfg.flags = DMAPOOL_F_NO_TRAPS;
	cfg.seed = c1;
	rc = dmapool_machine_load_blob(blob, blob_size, &cfg, &s->m);
	if (rc) {
		fprintf(stderr, "fuzz board: %s\n", dmapool_strerror(rc));
		abort();
	}
	dmapool_machine_use(s->m);
	for (int i = 0; i < NDEV; i++) {
		s->dev[i] = dmapool_device_find(s->m, dev_names[i]);
		if (!s->dev[i])
			abort();
	}
	/* the drivers' probe: their memory regions */
	of_reserved_mem_device_init(s->dev[0]);
	of_reserved_mem_device_init(s->dev[1]);
	if (c1 & 0x04)
		dmapool_debug_set_all_errors(s->m, false);
	if (c1 & 0x08)
		dmapool_set_tracing(s->m, false);
	check(s, "load");

	while (s->p < s->end && nops++ < MAX_OPS) {
		const struct op *o = &ops[rd8(s) % NOPS];
		const uint8_t *args = s->p;

		o->fn(s);
		if (trace) {	/* FUZZ_TRACE=1: what a reproducer does */
			fprintf(stderr, "op %d %s:", nops, o->name);
			while (args < s->p)
				fprintf(stderr, " %02x", *args++);
			fprintf(stderr, "  (%zu reports)\n", dmapool_report_count(s->m));
		}
		check(s, o->name);
	}
	dmapool_fail_nth(0);
	dmapool_fail_atomic_pool(s->m, false);
	free_all(s);
	check(s, "freeing everything");
	dmapool_machine_use(NULL);
	dmapool_machine_destroy(s->m);
	return 0;
}
