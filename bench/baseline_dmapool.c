/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * baseline_dmapool.c — the list-walking dma_pool of the kernel before its
 * 2023 rewrite (Linux 6.3 mm/dmapool.c), written from that algorithm: the
 * second baseline of P1 / P1s and the differential oracle of the
 * library's dma_pool (src/dmapool.c, the 6.4+ design).
 *
 * A pool is a list of pages (chunks of `allocation` bytes), newest first.
 * Each page threads its own free list through its free blocks (the offset
 * of the next free block is stored in the block) and keeps the head in
 * page->offset.  dma_pool_alloc() walks the list from the head to the
 * first page with a free block, else takes a new chunk and puts it at the
 * head; dma_pool_free() walks the list to the page holding the DMA address
 * (O(pages): what made mpt3sas's 373,959 frees take seconds) and pushes
 * the block on that page's list.
 *
 * One deliberate difference from 6.3: a page is laid out with 6.4's
 * boundary test (a block may end exactly at a boundary or at the end of
 * the page; 6.3's ">=" left the last block of every page unused), so both
 * designs carve the same blocks and can be compared address for address.
 * Chunks come from dma_alloc_attrs(dev, allocation) exactly as the
 * library's pool takes them.
 *
 * Left out: DMAPOOL_DEBUG poisoning and checks, the pool lock, sysfs.
 */
#include <stdlib.h>
#include <string.h>

#include <linux/dma-mapping.h>

#include "baseline.h"

struct bl_page {
	struct bl_page *next;		/* page_list, newest first */
	uint8_t *vaddr;
	dma_addr_t dma;
	unsigned in_use;
	unsigned offset;		/* first free block, >= allocation: none */
};

struct bl_pool {
	struct device *dev;
	struct bl_page *pages;
	size_t npages;
	unsigned size, allocation, boundary;
	bool zero;
};

struct bl_pool *bl_pool_create(struct device *dev, size_t size, size_t align,
			       size_t boundary, bool zero)
{
	struct bl_pool *p;
	size_t allocation;

	if (!dev || !size || (align & (align - 1)))
		return NULL;
	if (!align)
		align = 1;
	if (size < 4)
		size = 4;
	size = (size + align - 1) & ~(align - 1);
	allocation = size > 4096 ? size : 4096;
	if (!boundary)
		boundary = allocation;
	else if (boundary < size || (boundary & (boundary - 1)))
		return NULL;
	if (boundary > allocation)
		boundary = allocation;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->dev = dev;
	p->size = (unsigned)size;
	p->allocation = (unsigned)allocation;
	p->boundary = (unsigned)boundary;
	p->zero = zero;
	return p;
}

/* pool_initialise_page(), with 6.4's boundary test (see above). */
static void init_page(const struct bl_pool *p, struct bl_page *pg)
{
	unsigned offset = 0, next_boundary = p->boundary;

	do {
		unsigned next = offset + p->size;

		if (next + p->size > next_boundary) {
			next = next_boundary;
			next_boundary += p->boundary;
		}
		memcpy(pg->vaddr + offset, &next, sizeof(next));
		offset = next;
	} while (offset < p->allocation);
}

void *bl_pool_alloc(struct bl_pool *p, uint64_t *dma)
{
	struct bl_page *pg;
	unsigned offset;

	for (pg = p->pages; pg; pg = pg->next)
		if (pg->offset < p->allocation)
			goto ready;
	pg = malloc(sizeof(*pg));
	if (!pg)
		return NULL;
	pg->vaddr = dma_alloc_attrs(p->dev, p->allocation, &pg->dma, GFP_KERNEL, 0);
	if (!pg->vaddr) {
		free(pg);
		return NULL;
	}
	init_page(p, pg);
	pg->in_use = 0;
	pg->offset = 0;
	pg->next = p->pages;
	p->pages = pg;
	p->npages++;
ready:
	pg->in_use++;
	offset = pg->offset;
	memcpy(&pg->offset, pg->vaddr + offset, sizeof(pg->offset));
	*dma = pg->dma + offset;
	if (p->zero)
		memset(pg->vaddr + offset, 0, p->size);
	return pg->vaddr + offset;
}

bool bl_pool_free(struct bl_pool *p, void *vaddr, uint64_t dma)
{
	struct bl_page *pg;
	unsigned offset;

	/* pool_find_page() */
	for (pg = p->pages; pg; pg = pg->next) {
		if (dma < pg->dma)
			continue;
		if (dma - pg->dma < p->allocation)
			break;
	}
	if (!pg || (uint8_t *)vaddr != pg->vaddr + (dma - pg->dma))
		return false;
	offset = (unsigned)(dma - pg->dma);
	pg->in_use--;
	memcpy(pg->vaddr + offset, &pg->offset, sizeof(pg->offset));
	pg->offset = offset;
	return true;
}

void bl_pool_destroy(struct bl_pool *p)
{
	if (!p)
		return;
	while (p->pages) {
		struct bl_page *pg = p->pages;

		p->pages = pg->next;
		dma_free_attrs(p->dev, p->allocation, pg->vaddr, pg->dma, 0);
		free(pg);
	}
	free(p);
}

size_t bl_pool_pages(const struct bl_pool *p)
{
	return p->npages;
}
