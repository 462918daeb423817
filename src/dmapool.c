/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * dmapool.c — small-block DMA pools (models mm/dmapool.c of Linux 6.12,
 * the design since 6.4).
 *
 * A pool carves chunks of `allocation` bytes (max(size, PAGE_SIZE)) that
 * it takes from dma_alloc_coherent() of its device, so every chunk goes
 * through the whole coherent decision tree.  Blocks are laid out from
 * offset 0 in steps of `size` and never cross a `boundary` multiple; a new
 * chunk's blocks go in front of one pool-wide LIFO free list in address
 * order, as pool_initialise_page() links them.  Chunks stay until
 * dma_pool_destroy(); a busy pool prints "dma_pool_destroy NAME busy" and
 * leaks its chunks, as the kernel does.
 *
 * Everything is O(1): the free list is an array of next indices in host
 * memory (not inside the blocks, so a driver that scribbles on a freed
 * block cannot crash the library), a hash of the chunks' pages finds the
 * chunk of a DMA address, and a bit per block says whether it is
 * allocated.  So a double free, a free into the wrong pool or a vaddr
 * that does not match its DMA address is always caught: a report, and the
 * block is not put back (the kernel, without DMAPOOL_DEBUG, would corrupt
 * its free list).  With the profile's dmapool_debug knob (DMAPOOL_DEBUG,
 * CONFIG_SLUB_DEBUG_ON) the pool also poisons (0xa7 free, 0xa9 allocated)
 * and prints the kernel's dev_err lines; pointers the kernel prints with
 * %p (hashed there) are printed as the block's DMA address.
 * init_on_alloc (Debian's default) zeroes every block handed out (with
 * fixed-size stores for the common small sizes).  A free looks up its
 * chunk in the hash only when the DMA address is not in the chunk the
 * previous free found (a batch of frees mostly stays in one chunk).
 *
 * Left out: NUMA nodes (dma_pool_create_node ignores the node), the sysfs
 * "pools" file, init_on_free.
 */
#include "internal.h"

#define POOL_POISON_FREED	0xa7
#define POOL_POISON_ALLOCATED	0xa9
#define DMA_BLOCK_SIZE		16	/* sizeof(struct dma_block) on 64-bit */
#define NO_BLOCK		UINT32_MAX

struct pool_chunk {
	uint8_t *vaddr;
	dma_addr_t dma;
};

struct dma_pool {
	char name[32];
	struct device *dev;
	size_t size, allocation, boundary;
	size_t per_seg;			/* blocks per boundary segment */
	size_t bpc;			/* blocks per chunk */
	/* one segment, power-of-two size and block count: shifts, no
	 * divisions, on the hot paths */
	bool pow2;
	unsigned size_shift, bpc_shift;
	pthread_mutex_t lock;
	struct pool_chunk *chunks;
	size_t nchunks, cap_chunks;
	uint32_t *next;			/* free list: next block id */
	uint64_t *used;			/* bit per block id: allocated */
	uint32_t head;
	size_t nr_active, nr_blocks;
	/* chunk lookup: page number of a DMA address -> chunk index + 1 */
	uint64_t *hkey;
	uint32_t *hval;
	size_t hcap, hcount;
	long last_ci;			/* the chunk the last free found, or -1 */
	bool managed;			/* dmam_pool_create() */
	struct dma_pool *dev_next;	/* the device's pools, newest first */
};

/* ------------------------------------------------------------------ */
/* chunk lookup by page                                                */

static size_t hslot(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 17) & (cap - 1);
}

static int hash_put(struct dma_pool *p, uint64_t key, uint32_t val)
{
	if ((p->hcount + 1) * 2 > p->hcap) {
		size_t ncap = p->hcap ? p->hcap * 2 : 64;
		uint64_t *nk = calloc(ncap, sizeof(*nk));
		uint32_t *nv = calloc(ncap, sizeof(*nv));

		if (!nk || !nv) {
			free(nk);
			free(nv);
			return -ENOMEM;
		}
		for (size_t i = 0; i < p->hcap; i++)
			if (p->hval[i]) {
				size_t s = hslot(p->hkey[i], ncap);

				while (nv[s])
					s = (s + 1) & (ncap - 1);
				nk[s] = p->hkey[i];
				nv[s] = p->hval[i];
			}
		free(p->hkey);
		free(p->hval);
		p->hkey = nk;
		p->hval = nv;
		p->hcap = ncap;
	}
	{
		size_t s = hslot(key, p->hcap);

		while (p->hval[s])
			s = (s + 1) & (p->hcap - 1);
		p->hkey[s] = key;
		p->hval[s] = val;
		p->hcount++;
	}
	return 0;
}

/* Chunk index of the DMA address, or -1. */
static long chunk_of(const struct dma_pool *p, dma_addr_t dma, unsigned ps)
{
	uint64_t key = dma >> ps;

	if (!p->hcap)
		return -1;
	for (size_t s = hslot(key, p->hcap); p->hval[s]; s = (s + 1) & (p->hcap - 1))
		if (p->hkey[s] == key) {
			const struct pool_chunk *c = &p->chunks[p->hval[s] - 1];

			return dma >= c->dma && dma - c->dma < p->allocation ?
				(long)p->hval[s] - 1 : -1;
		}
	return -1;
}

/* ------------------------------------------------------------------ */
/* layout                                                              */

static size_t block_offset(const struct dma_pool *p, size_t idx)
{
	if (p->pow2)
		return idx << p->size_shift;
	return (idx / p->per_seg) * p->boundary + (idx % p->per_seg) * p->size;
}

/* Index of the block that starts at offset off, or -1. */
static long block_index(const struct dma_pool *p, size_t off)
{
	size_t seg, r, idx;

	if (p->pow2) {
		if (off & (p->size - 1))
			return -1;
		idx = off >> p->size_shift;
		return idx < p->bpc ? (long)idx : -1;
	}
	seg = off / p->boundary;
	r = off % p->boundary;
	if (r % p->size || r + p->size > p->boundary || off + p->size > p->allocation)
		return -1;
	idx = seg * p->per_seg + r / p->size;
	return idx < p->bpc ? (long)idx : -1;
}

static bool used_test(const struct dma_pool *p, size_t id)
{
	return (p->used[id / 64] >> (id % 64)) & 1;
}

static void used_set(struct dma_pool *p, size_t id, bool on)
{
	if (on)
		p->used[id / 64] |= 1ULL << (id % 64);
	else
		p->used[id / 64] &= ~(1ULL << (id % 64));
}

/* ------------------------------------------------------------------ */
/* creation and destruction                                            */

DMAPOOL_API struct dma_pool *dma_pool_create_node(const char *name,
						  struct device *dev,
						  size_t size, size_t align,
						  size_t boundary, int node)
{
	struct dmapool_machine *m;
	struct dma_pool *p;
	size_t allocation, off, next_boundary;

	(void)node;
	if (!dev)
		return NULL;
	m = dev->m;
	if (align == 0)
		align = 1;
	else if (align & (align - 1))
		return NULL;
	if (size == 0 || size > INT32_MAX)
		return NULL;
	if (size < DMA_BLOCK_SIZE)
		size = DMA_BLOCK_SIZE;
	size = ALIGN_UP(size, align);
	allocation = size > m->prof.page_size ? size : m->prof.page_size;
	if (!boundary)
		boundary = allocation;
	else if (boundary < size || (boundary & (boundary - 1)))
		return NULL;
	if (boundary > allocation)
		boundary = allocation;

	p = calloc(1, sizeof(*p));
	if (!p || pthread_mutex_init(&p->lock, NULL)) {
		free(p);
		return NULL;
	}
	snprintf(p->name, sizeof(p->name), "%s", name ? name : "");
	p->dev = dev;
	p->size = size;
	p->allocation = allocation;
	p->boundary = boundary;
	p->per_seg = boundary / size;
	p->head = NO_BLOCK;
	p->last_ci = -1;
	/* pool_initialise_page()'s loop, counted once */
	off = 0;
	next_boundary = boundary;
	/* written so that no sum wraps: align may be up to 2^63 */
	while (off <= allocation && size <= allocation - off) {
		if (size > next_boundary - off) {
			if (next_boundary >= allocation)
				break;
			off = next_boundary;
			next_boundary += boundary;
			continue;
		}
		p->bpc++;
		off += size;
	}
	p->pow2 = boundary == allocation && is_pow2_u64(size) && is_pow2_u64(p->bpc) &&
		  p->bpc == allocation / size;
	if (p->pow2) {
		p->size_shift = fls64_u(size) - 1;
		p->bpc_shift = fls64_u(p->bpc) - 1;
	}
	pthread_mutex_lock(&m->dmapools_lock);
	p->dev_next = dev->dma_pools;
	dev->dma_pools = p;
	pthread_mutex_unlock(&m->dmapools_lock);
	return p;
}

DMAPOOL_API struct dma_pool *dma_pool_create(const char *name, struct device *dev,
					     size_t size, size_t align,
					     size_t boundary)
{
	return dma_pool_create_node(name, dev, size, align, boundary, -1);
}

static void pool_free_host(struct dma_pool *p)
{
	free(p->chunks);
	free(p->next);
	free(p->used);
	free(p->hkey);
	free(p->hval);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* Unlink from the device; false if the pool is not one of its pools. */
static bool pool_unlink(struct dma_pool *p)
{
	struct dmapool_machine *m = p->dev->m;
	struct dma_pool **pp;
	bool found = false;

	pthread_mutex_lock(&m->dmapools_lock);
	for (pp = &p->dev->dma_pools; *pp; pp = &(*pp)->dev_next)
		if (*pp == p) {
			*pp = p->dev_next;
			found = true;
			break;
		}
	pthread_mutex_unlock(&m->dmapools_lock);
	return found;
}

static void pool_destroy_i(struct dma_pool *p)
{
	struct device *dev = p->dev;

	if (p->nr_active)
		dev_klog(dev, "dma_pool_destroy %s busy", p->name);
	/* newest chunk first, as the page list runs; a busy pool leaks them */
	for (size_t i = p->nchunks; i-- > 0; )
		if (!p->nr_active)
			dma_free_attrs(dev, p->allocation, p->chunks[i].vaddr,
				       p->chunks[i].dma, 0);
	pool_free_host(p);
}

DMAPOOL_API void dma_pool_destroy(struct dma_pool *pool)
{
	if (!pool)
		return;
	pool_unlink(pool);
	pool_destroy_i(pool);
}

DMAPOOL_API struct dma_pool *dmam_pool_create(const char *name,
					      struct device *dev, size_t size,
					      size_t align, size_t allocation)
{
	struct dma_pool *p = dma_pool_create(name, dev, size, align, allocation);

	if (p)
		p->managed = true;
	return p;
}

DMAPOOL_API void dmam_pool_destroy(struct dma_pool *pool)
{
	/* devres_destroy() WARNs when the pool is not managed; it is destroyed
	 * either way here */
	if (pool && !pool->managed)
		klog(pool->dev->m, "libdmapool: dmam_pool_destroy(%s): not a managed pool (WARN_ON in devres_destroy)",
		     pool->name);
	dma_pool_destroy(pool);
}

/* Device teardown: managed pools are released as devres does (newest
 * first); a pool the driver never destroyed has its bookkeeping freed
 * without touching its chunks. */
void dmapool_release_device(struct device *dev)
{
	while (dev->dma_pools) {
		struct dma_pool *p = dev->dma_pools;

		dev->dma_pools = p->dev_next;
		if (p->managed)
			pool_destroy_i(p);
		else
			pool_free_host(p);
	}
}

/* ------------------------------------------------------------------ */
/* allocation                                                          */

/* init_on_alloc / __GFP_ZERO: the common sizes with inlined stores. */
static inline void zero_block(uint8_t *b, size_t size)
{
	switch (size) {
	case 16:
		memset(b, 0, 16);
		break;
	case 32:
		memset(b, 0, 32);
		break;
	case 64:
		memset(b, 0, 64);
		break;
	case 128:
		memset(b, 0, 128);
		break;
	default:
		memset(b, 0, size);
	}
}

static void hex_dump(struct device *dev, const uint8_t *data, size_t len)
{
	for (size_t off = 0; off < len; off += 16) {
		char line[16 * 3 + 16 + 16], *o = line;
		size_t n = len - off < 16 ? len - off : 16;

		for (size_t i = 0; i < 16; i++)
			o += i < n ? sprintf(o, "%02x ", data[off + i]) : sprintf(o, "   ");
		*o++ = ' ';
		for (size_t i = 0; i < n; i++)
			*o++ = data[off + i] >= 0x20 && data[off + i] < 0x7f ? (char)data[off + i] : '.';
		*o = 0;
		klog(dev->m, "%08zx: %s", off, line);
	}
}

/* pool_alloc_page() + pool_initialise_page(); called without the lock. */
static int pool_grow(struct dma_pool *p, unsigned gfp)
{
	struct dmapool_machine *m = p->dev->m;
	struct pool_chunk c;
	size_t base, nblocks;
	int err = 0;

	c.vaddr = dma_alloc_attrs(p->dev, p->allocation, &c.dma, gfp & ~__GFP_ZERO, 0);
	if (!c.vaddr)
		return -ENOMEM;
	if (m->prof.dmapool_debug)
		memset(c.vaddr, POOL_POISON_FREED, p->allocation);
	pthread_mutex_lock(&p->lock);
	base = p->nchunks * p->bpc;
	nblocks = base + p->bpc;
	if (p->nchunks == p->cap_chunks) {
		size_t ncap = p->cap_chunks ? p->cap_chunks * 2 : 4;
		struct pool_chunk *nc = realloc(p->chunks, ncap * sizeof(*nc));
		uint32_t *nn = nc ? realloc(p->next, ncap * p->bpc * sizeof(*nn)) : NULL;
		uint64_t *nu;

		if (nc)
			p->chunks = nc;
		if (nn)
			p->next = nn;
		nu = nn ? realloc(p->used, (ncap * p->bpc + 63) / 64 * sizeof(*nu)) : NULL;
		if (nu)
			p->used = nu;
		if (!nc || !nn || !nu || ncap * p->bpc >= NO_BLOCK)
			err = -ENOMEM;
		else
			p->cap_chunks = ncap;
	}
	for (uint64_t pg = c.dma >> m->prof.page_shift;
	     !err && pg <= (c.dma + p->allocation - 1) >> m->prof.page_shift; pg++)
		err = hash_put(p, pg, (uint32_t)p->nchunks + 1);
	if (err) {
		pthread_mutex_unlock(&p->lock);
		dma_free_attrs(p->dev, p->allocation, c.vaddr, c.dma, 0);
		return err;
	}
	p->chunks[p->nchunks++] = c;
	for (size_t id = base; id < nblocks; id++) {
		used_set(p, id, false);
		p->next[id] = id + 1 < nblocks ? (uint32_t)(id + 1) : p->head;
	}
	p->head = (uint32_t)base;
	p->nr_blocks += p->bpc;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

DMAPOOL_API void *dma_pool_alloc(struct dma_pool *pool, gfp_t mem_flags,
				 dma_addr_t *handle)
{
	struct dmapool_machine *m;
	const struct pool_chunk *c;
	uint32_t id;
	uint8_t *block;
	size_t off;

	if (!pool)
		return NULL;
	m = pool->dev->m;
	pthread_mutex_lock(&pool->lock);
	while (pool->head == NO_BLOCK) {
		pthread_mutex_unlock(&pool->lock);
		if (pool_grow(pool, mem_flags))
			return NULL;
		pthread_mutex_lock(&pool->lock);
	}
	id = pool->head;
	pool->head = pool->next[id];
	used_set(pool, id, true);
	pool->nr_active++;
	if (pool->pow2) {
		c = &pool->chunks[id >> pool->bpc_shift];
		off = block_offset(pool, id & (pool->bpc - 1));
	} else {
		c = &pool->chunks[id / pool->bpc];
		off = block_offset(pool, id % pool->bpc);
	}
	block = c->vaddr + off;
	if (handle)
		*handle = c->dma + off;
	pthread_mutex_unlock(&pool->lock);

	if (m->prof.dmapool_debug) {	/* pool_check_block() */
		for (size_t i = DMA_BLOCK_SIZE; i < pool->size; i++)
			if (block[i] != POOL_POISON_FREED) {
				dev_klog(pool->dev, "pool_check_block %s, %016llx (corrupted)",
					 pool->name, (unsigned long long)(c->dma + off));
				hex_dump(pool->dev, block, pool->size);
				report(m, "dma-pool-corrupted", pool->dev, c->dma + off, pool->size,
				       "DMA-API: %s %s: dma_pool %s: free block at dma %#llx was written while free (byte %zu is 0x%02x, not the 0xa7 poison)",
				       dev_driver_string(pool->dev), pool->dev->name, pool->name,
				       (unsigned long long)(c->dma + off), i, block[i]);
				break;
			}
		if (!(m->init_on_alloc || (mem_flags & __GFP_ZERO)))
			memset(block, POOL_POISON_ALLOCATED, pool->size);
	}
	if (m->init_on_alloc || (mem_flags & __GFP_ZERO))
		zero_block(block, pool->size);
	return block;
}

DMAPOOL_API void dma_pool_free(struct dma_pool *pool, void *vaddr, dma_addr_t dma)
{
	struct dmapool_machine *m;
	struct device *dev;
	long ci, bi;
	size_t id;

	if (!pool)
		return;
	dev = pool->dev;
	m = dev->m;
	pthread_mutex_lock(&pool->lock);
	ci = pool->last_ci;
	if (ci < 0 || dma - pool->chunks[ci].dma >= pool->allocation) {
		ci = chunk_of(pool, dma, m->prof.page_shift);
		if (ci >= 0)
			pool->last_ci = ci;
	}
	if (ci < 0) {
		pthread_mutex_unlock(&pool->lock);
		if (m->prof.dmapool_debug)
			dev_klog(dev, "pool_block_err %s, %016llx/0x%016llx (bad dma)", pool->name,
				 (unsigned long long)dma, (unsigned long long)dma);
		report(m, "dma-pool-bad-dma", dev, dma, pool->size,
		       "DMA-API: %s %s: dma_pool_free(%s) of DMA address %#llx, which is in no chunk of this pool (another pool's block, or never allocated); nothing freed",
		       dev_driver_string(dev), dev->name, pool->name, (unsigned long long)dma);
		return;
	}
	bi = block_index(pool, (size_t)(dma - pool->chunks[ci].dma));
	if (bi < 0 || pool->chunks[ci].vaddr + (dma - pool->chunks[ci].dma) != (uint8_t *)vaddr) {
		pthread_mutex_unlock(&pool->lock);
		report(m, "dma-pool-mismatch", dev, dma, pool->size,
		       "DMA-API: %s %s: dma_pool_free(%s): DMA address %#llx is not the start of a block, or the CPU address does not belong to it; nothing freed",
		       dev_driver_string(dev), dev->name, pool->name, (unsigned long long)dma);
		return;
	}
	id = pool->pow2 ? ((size_t)ci << pool->bpc_shift) + (size_t)bi :
			  (size_t)ci * pool->bpc + (size_t)bi;
	if (!used_test(pool, id)) {
		pthread_mutex_unlock(&pool->lock);
		if (m->prof.dmapool_debug)
			dev_klog(dev, "pool_block_err %s, dma 0x%016llx already free", pool->name,
				 (unsigned long long)dma);
		report(m, "dma-pool-double-free", dev, dma, pool->size,
		       "DMA-API: %s %s: dma_pool_free(%s) of DMA address %#llx, which is already free; nothing freed",
		       dev_driver_string(dev), dev->name, pool->name, (unsigned long long)dma);
		return;
	}
	used_set(pool, id, false);
	pool->next[id] = pool->head;
	pool->head = (uint32_t)id;
	pool->nr_active--;
	pthread_mutex_unlock(&pool->lock);
	if (m->prof.dmapool_debug)
		memset(vaddr, POOL_POISON_FREED, pool->size);
}

void dma_pool_acct_each(struct device *dev,
			void (*fn)(void *ctx, const char *name, size_t blocks,
				   size_t active, size_t listed, size_t marked),
			void *ctx)
{
	struct dmapool_machine *m = dev->m;

	pthread_mutex_lock(&m->dmapools_lock);
	for (struct dma_pool *p = dev->dma_pools; p; p = p->dev_next) {
		size_t blocks, active, listed = 0, marked = 0;

		pthread_mutex_lock(&p->lock);
		blocks = p->nr_blocks;
		active = p->nr_active;
		/* a cycle or a stray index stops the walk one past the end */
		for (uint32_t id = p->head; id != NO_BLOCK && listed <= blocks;
		     id = id < blocks ? p->next[id] : NO_BLOCK)
			listed++;
		for (size_t id = 0; id < blocks; id++)
			marked += used_test(p, id);
		pthread_mutex_unlock(&p->lock);
		fn(ctx, p->name, blocks, active, listed, marked);
	}
	pthread_mutex_unlock(&m->dmapools_lock);
}

DMAPOOL_API int dmapool_pool_stats(const struct dma_pool *pool, size_t *active,
				   size_t *blocks, size_t *block_size,
				   size_t *chunks)
{
	if (!pool)
		return -EINVAL;
	if (active)
		*active = pool->nr_active;
	if (blocks)
		*blocks = pool->nr_blocks;
	if (block_size)
		*block_size = pool->size;
	if (chunks)
		*chunks = pool->nchunks;
	return 0;
}
