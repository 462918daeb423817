/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * cache.c — the CPU cache model and the maintenance streaming DMA asks for
 * (models arch/arm64/mm/dma-mapping.c and cache.S, arch/arm/mm/dma-mapping.c
 * with cache-v7.S, arch/riscv/mm/dma-noncoherent.c).
 *
 * arch_sync_dma_for_device() / arch_sync_dma_for_cpu() pick the operation
 * from the profile's table (spec §8.6), record it in the decision trace,
 * count it (dmapool_cache_ops()) and apply it to the model:
 *
 *             for_device                      for_cpu
 *   arm64     clean (every direction)         TO_DEVICE: none, else invalidate
 *   arm       TO_DEVICE/BIDIR clean,          TO_DEVICE: none, else invalidate
 *             FROM_DEVICE invalidate
 *   riscv64   clean (every direction)         TO_DEVICE: none, else invalidate
 *   x86_64    no hooks (every device is coherent)
 *
 * The model.  Every RAM byte has two copies (physmem.c): C, what the CPU
 * sees through its caches (the linear map and every cacheable alias), and
 * D, the DRAM a non-coherent device reads and writes.  It is worst-case:
 * every line is assumed cached, always.  A line is
 *   - dirty when the CPU changed it since it was last filled: C differs
 *     from the line as it was cached — D, or, when DRAM changed under the
 *     line since (the `stale` bit), the snapshot S taken at that moment;
 *   - stale when a non-coherent device wrote D under it: S keeps the line
 *     as the cache holds it, and the CPU keeps seeing C.
 * clean writes dirty lines back (D := C); invalidate drops lines (C := D),
 * dirty or not; clean+invalidate does both.  An invalidate whose ends are
 * not line-aligned cleans and invalidates the partial edge lines where the
 * profile says so (dcache_inval_poc, v7_dma_inv_range: knob
 * inval_edge_flush) and drops them whole elsewhere (riscv cbo.inval).
 * Pages with a non-cacheable alias and no-map pages have no cached copy in
 * use: DRAM only.  Coherent devices snoop: they read C and write both.
 *
 * Dirty tracking compares bytes at the model's points (maintenance and
 * device access) instead of watching the CPU's stores: driver code keeps
 * using plain pointers, the comparison costs about one memcmp of the
 * range, and the result is exact to the byte.  Page protection would
 * catch the store itself but only to the page, and costs a fault per page
 * per episode; it is kept for strict ownership mode (trap.c).
 *
 * Detections (reports, each naming device, buffer, line and bytes):
 *   cache-dirty-read        the device read DRAM under a dirty line
 *   cache-stale-cpu         device-written data was still hidden behind
 *                           stale lines when the buffer went back to the
 *                           device (or was unmapped with SKIP_CPU_SYNC)
 *   cache-shared-line       an invalidate lost CPU bytes outside the buffer
 *                           (or, cleaning the edge line, device bytes in it)
 *   cache-evict-overwrite   a dirty line went back over device data
 *                           (eviction in stress mode, or a clean)
 *   cache-cpu-write-lost    the CPU wrote a buffer the device owned and the
 *                           invalidate for the CPU threw the bytes away
 *
 * Stress mode (knob cache_stress, DMAPOOL_F_CACHE_STRESS): after every
 * device write and before every maintenance for the CPU, each dirty line
 * of the range is written back with probability 1/2, drawn from an
 * xorshift64* generator seeded by the config seed.  Off by default.
 *
 * Left out: cache geometry (sets, ways, capacity), speculative fills,
 * the outer L2 of 32-bit ARM as a separate level, and more than one CPU.
 * cpu_copy_phys() is the kernel's memcpy through the linear map, the one
 * place where the library itself moves data as the CPU.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

static const char *const op_names[] = {
	[DMAPOOL_CACHE_NONE] = "none",
	[DMAPOOL_CACHE_CLEAN] = "clean",
	[DMAPOOL_CACHE_INVAL] = "invalidate",
	[DMAPOOL_CACHE_FLUSH] = "clean+invalidate",
};

DMAPOOL_API const char *dmapool_cache_op_name(enum dmapool_cache_op op)
{
	return (unsigned)op < ARRAY_SIZE(op_names) ? op_names[op] : "?";
}

enum dmapool_cache_op cache_op_for_device(const struct dmapool_profile *p,
					  enum dma_data_direction dir)
{
	if (p->all_coherent)
		return DMAPOOL_CACHE_NONE;
	if (p->inval_for_device_fromdevice)	/* 32-bit ARM's dmac_map_area */
		return dir == DMA_FROM_DEVICE ? DMAPOOL_CACHE_INVAL :
			DMAPOOL_CACHE_CLEAN;
	return DMAPOOL_CACHE_CLEAN;
}

enum dmapool_cache_op cache_op_for_cpu(const struct dmapool_profile *p,
				       enum dma_data_direction dir)
{
	if (p->all_coherent || dir == DMA_TO_DEVICE)
		return DMAPOOL_CACHE_NONE;
	return DMAPOOL_CACHE_INVAL;
}

/* The mapping the current maintenance is for (mapping.c sets it around
 * syncs and unmaps), so that reports can name it. */
__thread const struct dbg_entry *cache_entry_ctx;

/* ---- line state ---- */

static inline bool stale_get(const struct pm_bank *b, uint64_t l)
{
	return b->stale[l / 64] >> (l % 64) & 1;
}

static inline void stale_set(struct pm_bank *b, uint64_t l)
{
	b->stale[l / 64] |= 1ULL << (l % 64);
}

static inline void stale_clear(struct pm_bank *b, uint64_t l)
{
	b->stale[l / 64] &= ~(1ULL << (l % 64));
}

static bool snap_ready(struct pm_bank *b)
{
	if (!b->snap) {
		void *p = mmap(NULL, b->size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p == MAP_FAILED)
			return false;
		b->snap = p;
	}
	return true;
}

/* The line as the cache holds it, when it is not C itself. */
static inline const uint8_t *ref_of(const struct pm_bank *b, uint64_t l)
{
	uint64_t off = l << b->lshift;

	return stale_get(b, l) ? b->snap + off : b->dram + off;
}

static inline bool line_dirty(const struct pm_bank *b, uint64_t l)
{
	uint64_t off = l << b->lshift;

	return memcmp(b->cview + off, ref_of(b, l), (size_t)1 << b->lshift) != 0;
}

static uint64_t prng_next(struct dmapool_machine *m)
{
	uint64_t x = m->prng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	m->prng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* ---- reports: one per kind per call, first line and totals ---- */

struct acc {
	uint64_t line;		/* first line affected (phys) */
	unsigned lo, hi;	/* its bytes affected: [lo, hi] */
	size_t nlines, nbytes;
};

struct cache_ctx {
	struct dmapool_machine *m;
	struct device *dev;
	const struct dbg_entry *e;	/* the mapping, when known */
	phys_addr_t pa;			/* the range maintained or accessed */
	size_t size;
	bool for_device;
	struct acc dirty_read, stale_cpu, shared, evict, lost;
};

/* dev is NULL for arch_dma_prep_coherent(); the accumulators start at 0 */
static void ctx_init(struct cache_ctx *c, struct dmapool_machine *m,
		     struct device *dev, const struct dbg_entry *e,
		     phys_addr_t pa, size_t size, bool for_device)
{
	struct acc *const all[] = { &c->dirty_read, &c->stale_cpu, &c->shared,
				    &c->evict, &c->lost };

	/* field by field: zeroing the whole context (a rep stos of 200
	 * bytes) was most of a 4 KiB sync's fixed cost; an accumulator's
	 * line and bytes are read only once nlines says it has any */
	c->m = m;
	c->dev = dev;
	c->e = e;
	c->pa = pa;
	c->size = size;
	c->for_device = for_device;
	for (unsigned i = 0; i < ARRAY_SIZE(all); i++) {
		all[i]->nlines = 0;
		all[i]->nbytes = 0;
	}
}

/* Count bytes i in [from, to) of line l where a[i] != b[i]. */
static void acc_diff(struct acc *ac, const struct pm_bank *b, uint64_t l,
		     const uint8_t *x, const uint8_t *y, unsigned from, unsigned to)
{
	size_t n = 0;
	unsigned lo = 0, hi = 0;

	for (unsigned i = from; i < to; i++)
		if (x[i] != y[i]) {
			if (!n)
				lo = i;
			hi = i;
			n++;
		}
	if (!n)
		return;
	if (!ac->nlines) {
		ac->line = b->base + (l << b->lshift);
		ac->lo = lo;
		ac->hi = hi;
	}
	ac->nlines++;
	ac->nbytes += n;
}

static void emit(struct cache_ctx *c, struct acc *ac, const char *kind,
		 const char *cause, const char *fix)
{
	struct dmapool_machine *m = c->m;
	const struct dbg_entry *e = c->e;

	if (!ac->nlines)
		return;
	report_ex(m, kind, c->dev, e ? e->dma : c->pa, e ? e->size : c->size,
		  c->pa, ac->line,
		  "[device=%s] [dma=0x%llx] [phys=0x%llx] [size=%zu] [line=0x%llx] [bytes=%u-%u] [lines=%zu] [total=%zu] %s. %s.",
		  c->dev ? c->dev->name : "?",
		  (unsigned long long)(e ? e->dma : 0),
		  (unsigned long long)(e ? e->orig : c->pa),
		  e ? e->size : c->size, (unsigned long long)ac->line,
		  ac->lo, ac->hi, ac->nlines, ac->nbytes, cause, fix);
}

static void emit_all(struct cache_ctx *c)
{
	if (!(c->dirty_read.nlines | c->stale_cpu.nlines | c->shared.nlines |
	      c->evict.nlines | c->lost.nlines))
		return;
	emit(c, &c->dirty_read, "cache-dirty-read",
	     "The device read DRAM under cache lines the CPU had dirtied and not cleaned, so it got the old bytes",
	     "Write the buffer before dma_map_*(), or call dma_sync_single_for_device() after the CPU's last write");
	emit(c, &c->stale_cpu, "cache-stale-cpu",
	     "The device wrote these bytes but they were never invalidated for the CPU before the buffer went back to the device, so the CPU saw the old bytes",
	     "Call dma_sync_single_for_cpu() (or unmap without DMA_ATTR_SKIP_CPU_SYNC) before the CPU reads what the device wrote");
	emit(c, &c->shared, "cache-shared-line",
	     c->m->prof.inval_edge_flush ?
	     "The buffer shares its edge cache line with other data the CPU dirtied: cleaning that line for the invalidate wrote the CPU's stale copy over the bytes the device had written into the buffer" :
	     "The buffer shares its edge cache line with other data: the invalidate threw away the CPU's dirty bytes outside the buffer",
	     "Align and pad DMA buffers to the cache line (ARCH_DMA_MINALIGN), e.g. allocate them on their own with kmalloc()");
	emit(c, &c->evict, "cache-evict-overwrite",
	     "The CPU dirtied cache lines of a buffer the device owned, and writing them back overwrote the data the device had written to DRAM",
	     "Do not touch a buffer between dma_map_*()/dma_sync_*_for_device() and dma_sync_*_for_cpu()/unmap");
	emit(c, &c->lost, "cache-cpu-write-lost",
	     "The CPU wrote to the buffer while the device owned it; the invalidate for the CPU threw those bytes away",
	     "Write the buffer only after dma_sync_single_for_cpu() (or before the map), never while the device owns it");
}

/* ---- line operations ---- */

/* Any byte of [0, from) or [to, L) where x and y differ? */
static bool differs(const uint8_t *x, const uint8_t *y, unsigned from0,
		    unsigned from, unsigned to, unsigned L)
{
	return memcmp(x + from0, y + from0, from - from0) ||
	       memcmp(x + to, y + to, L - to);
}

/* Write a dirty line back; device data under it is lost. */
static void writeback(struct cache_ctx *c, struct pm_bank *b, uint64_t l,
		      struct acc *loss, unsigned from, unsigned to)
{
	uint64_t off = l << b->lshift;
	size_t L = (size_t)1 << b->lshift;

	if (stale_get(b, l)) {
		if (loss)
			acc_diff(loss, b, l, b->dram + off, b->snap + off, from, to);
		stale_clear(b, l);
	}
	memcpy(b->dram + off, b->cview + off, L);
}

static void drop(struct pm_bank *b, uint64_t l)
{
	uint64_t off = l << b->lshift;

	memcpy(b->cview + off, b->dram + off, (size_t)1 << b->lshift);
	stale_clear(b, l);
}

static void evict_range(struct cache_ctx *c, struct pm_bank *b, uint64_t l0,
			uint64_t l1)
{
	struct dmapool_machine *m = c->m;
	size_t L = (size_t)1 << b->lshift;

	for (uint64_t l = l0; l < l1; l++) {
		if (physmem_page_uncached(b, b->base + (l << b->lshift)) ||
		    !line_dirty(b, l))
			continue;
		if (prng_next(m) >> 63)
			writeback(c, b, l, &c->evict, 0, (unsigned)L);
	}
}

static void clean_lines(struct cache_ctx *c, struct pm_bank *b, uint64_t l0,
			uint64_t l1)
{
	size_t L = (size_t)1 << b->lshift;
	unsigned per_page = 1u << (b->pshift - b->lshift);
	unsigned chunk = per_page < 64 ? per_page : 64;

	for (uint64_t l = l0; l < l1;) {
		uint64_t n = chunk - (l % chunk), off = l << b->lshift;
		uint64_t bits;

		if (n > l1 - l)
			n = l1 - l;
		if (physmem_page_uncached(b, b->base + off)) {
			l += n;
			continue;
		}
		bits = b->stale[l / 64] >> (l % 64);
		if (n < 64)
			bits &= (1ULL << n) - 1;
		if (!bits) {
			/* nothing stale: clean lines already equal DRAM, so
			 * writing the whole run back is the clean */
			memcpy(b->dram + off, b->cview + off, n * L);
			l += n;
			continue;
		}
		for (uint64_t e = l + n; l < e; l++) {
			off = l << b->lshift;
			if (!stale_get(b, l))
				memcpy(b->dram + off, b->cview + off, L);
			else if (line_dirty(b, l))
				writeback(c, b, l, c->e ? &c->evict : NULL, 0, (unsigned)L);
			else if (c->for_device && c->e)
				acc_diff(&c->stale_cpu, b, l, b->dram + off,
					 b->snap + off, 0, (unsigned)L);
		}
	}
}

/* Invalidate [pa, end): full lines dropped, edge lines per the profile. */
static void inval_lines(struct cache_ctx *c, struct pm_bank *b, phys_addr_t pa,
			phys_addr_t end, bool flush)
{
	size_t L = (size_t)1 << b->lshift;
	uint64_t l0 = (pa - b->base) >> b->lshift;
	uint64_t l1 = (end - b->base + L - 1) >> b->lshift;
	unsigned per_page = 1u << (b->pshift - b->lshift);
	unsigned chunk = per_page < 64 ? per_page : 64;
	bool edge_flush = c->m->prof.inval_edge_flush;

	for (uint64_t l = l0; l < l1;) {
		uint64_t n = chunk - (l % chunk), off = l << b->lshift;
		phys_addr_t lpa = b->base + off;
		uint64_t bits;

		if (n > l1 - l)
			n = l1 - l;
		if (physmem_page_uncached(b, lpa)) {
			l += n;
			continue;
		}
		bits = b->stale[l / 64] >> (l % 64);
		if (n < 64)
			bits &= (1ULL << n) - 1;
		/* whole run inside the range: the fast paths */
		if (lpa >= pa && lpa + n * L <= end) {
			uint64_t all = n < 64 ? (1ULL << n) - 1 : ~0ULL;

			if (!bits && !memcmp(b->cview + off, b->dram + off, n * L)) {
				l += n;		/* clean and current */
				continue;
			}
			if (bits == all && !flush && !(c->for_device && c->e) &&
			    !memcmp(b->cview + off, b->snap + off, n * L)) {
				/* device data under clean lines: take it */
				memcpy(b->cview + off, b->dram + off, n * L);
				b->stale[l / 64] &= ~(all << (l % 64));
				l += n;
				continue;
			}
		}
		for (uint64_t e = l + n; l < e; l++) {
			phys_addr_t s = b->base + (l << b->lshift), t = s + L;
			unsigned from = s < pa ? (unsigned)(pa - s) : 0;
			unsigned to = t > end ? (unsigned)(L - (t - end)) : (unsigned)L;
			bool partial = from || to < L;

			off = l << b->lshift;
			if (flush || (partial && edge_flush)) {
				/* clean + invalidate (dc civac): a dirty line goes
				 * back over whatever the device wrote under it —
				 * a shared-line loss when the CPU's bytes that made
				 * it dirty lie outside the buffer */
				if (line_dirty(b, l)) {
					struct acc *loss = c->e ? &c->evict : NULL;

					if (!flush && differs(b->cview + off, ref_of(b, l),
							      0, from, to, (unsigned)L))
						loss = &c->shared;
					writeback(c, b, l, loss, from, to);
				}
				drop(b, l);
				continue;
			}
			if (line_dirty(b, l)) {
				const uint8_t *ref = ref_of(b, l);

				if (partial) {
					acc_diff(&c->shared, b, l, b->cview + off, ref, 0, from);
					acc_diff(&c->shared, b, l, b->cview + off, ref, to, (unsigned)L);
				}
				if (!c->for_device)
					acc_diff(&c->lost, b, l, b->cview + off, ref, from, to);
			} else if (c->for_device && c->e && stale_get(b, l)) {
				acc_diff(&c->stale_cpu, b, l, b->dram + off,
					 b->snap + off, from, to);
			}
			drop(b, l);
		}
	}
}

/*
 * A clean of lines the CPU and the devices never touched is a no-op:
 * such pages are holes in both memfds, zero in both views, and copying
 * them would only make the host allocate them.  The large cleans of
 * arch_dma_prep_coherent() (fresh pages about to be remapped, as every
 * atomic pool's at boot; never a driver's sync, where the two system
 * calls would cost more than they save) ask the host which pages exist
 * (mincore(), one call per 16 MiB and view) and clean only the runs
 * where either view has a page or a line is stale.  The result is the
 * same as cleaning every line.
 */
#define CLEAN_PROBE_MIN		(64u << 10)
#define CLEAN_PROBE_PAGES	4096u

static void clean_probed(struct cache_ctx *c, struct pm_bank *b, uint64_t l0,
			 uint64_t l1)
{
	const size_t HP = 4096;
	const unsigned per_hp = (unsigned)(HP >> b->lshift);
	unsigned char vc[CLEAN_PROBE_PAGES], vd[CLEAN_PROBE_PAGES];
	uint64_t off0 = (l0 << b->lshift) & ~(uint64_t)(HP - 1);
	uint64_t off1 = l1 << b->lshift;

	if (!per_hp || (uintptr_t)b->cview % HP || (uintptr_t)b->dram % HP) {
		clean_lines(c, b, l0, l1);
		return;
	}
	/* the common case, fresh pages: neither memfd has data in the range
	 * (one lseek each; mincore() would look up every page) */
	{
		off_t dc = lseek(b->cfd, (off_t)off0, SEEK_DATA);
		off_t dd = lseek(b->fd, (off_t)off0, SEEK_DATA);
		bool none_c = (dc < 0 && errno == ENXIO) || (dc >= 0 && (uint64_t)dc >= off1);
		bool none_d = (dd < 0 && errno == ENXIO) || (dd >= 0 && (uint64_t)dd >= off1);
		bool stale = false;

		for (uint64_t w = l0 / 64; !stale && w <= (l1 - 1) / 64; w++)
			stale = b->stale[w] != 0;
		if (none_c && none_d && !stale)
			return;
	}
	while (off0 < off1) {
		uint64_t len = off1 - off0, run = UINT64_MAX;
		size_t np;

		if (len > (uint64_t)CLEAN_PROBE_PAGES * HP)
			len = (uint64_t)CLEAN_PROBE_PAGES * HP;
		np = (size_t)((len + HP - 1) / HP);
		if (mincore(b->cview + off0, np * HP, vc) ||
		    mincore(b->dram + off0, np * HP, vd)) {
			uint64_t from = off0 >> b->lshift;

			clean_lines(c, b, from > l0 ? from : l0, l1);
			return;
		}
		for (size_t i = 0; i <= np; i++) {
			uint64_t pl0 = (off0 + i * HP) >> b->lshift, pl1 = pl0 + per_hp;
			bool need = false;

			if (i < np) {
				need = (vc[i] & 1) || (vd[i] & 1);
				for (uint64_t l = pl0; !need && l < pl1; l++)
					need = stale_get(b, l);
			}
			if (need && run == UINT64_MAX)
				run = pl0;
			if (!need && run != UINT64_MAX) {
				uint64_t a = run > l0 ? run : l0, z = pl0 < l1 ? pl0 : l1;

				if (a < z)
					clean_lines(c, b, a, z);
				run = UINT64_MAX;
			}
		}
		off0 += np * HP;
	}
}

/* The cache layer: one maintenance operation on [pa, pa + size). */
static void cache_maintain(struct dmapool_machine *m, struct device *dev,
			   enum dmapool_cache_op op, phys_addr_t pa, size_t size,
			   bool for_device)
{
	struct cache_ctx c;
	struct pm_bank *b;

	if (op == DMAPOOL_CACHE_NONE || !size)
		return;
	b = physmem_bank(m, pa, size);
	ctx_init(&c, m, dev, dev ? cache_entry_ctx : NULL, pa, size, for_device);
	pthread_mutex_lock(&m->cache_lock);
	/* every writer holds the cache lock; dmapool_cache_ops() reads them
	 * unlocked */
	locked_counter_add(&m->cache_ops[op], 1);
	locked_counter_add(&m->cache_bytes[op], size);
	if (!b || !snap_ready(b)) {	/* outside RAM: nothing cached */
		pthread_mutex_unlock(&m->cache_lock);
		return;
	}
	{
		size_t L = (size_t)1 << b->lshift;
		uint64_t l0 = (pa - b->base) >> b->lshift;
		uint64_t l1 = (pa + size - b->base + L - 1) >> b->lshift;

		line_traffic_begin();
		if (m->prof.cache_stress && dev && !for_device)
			evict_range(&c, b, l0, l1);
		if (op == DMAPOOL_CACHE_CLEAN && !dev && size >= CLEAN_PROBE_MIN)
			clean_probed(&c, b, l0, l1);
		else if (op == DMAPOOL_CACHE_CLEAN)
			clean_lines(&c, b, l0, l1);
		else
			inval_lines(&c, b, pa, pa + size, op == DMAPOOL_CACHE_FLUSH);
		line_traffic_end();
	}
	pthread_mutex_unlock(&m->cache_lock);
	emit_all(&c);
}

static void record(struct dmapool_machine *m, struct dmapool_decision *d,
		   const char *func, enum dmapool_cache_op op, phys_addr_t pa,
		   size_t size, enum dma_data_direction dir)
{
	uint64_t line = m->prof.cache_line;
	bool partial;

	if (!d)
		return;
	partial = op == DMAPOOL_CACHE_INVAL &&
		((pa & (line - 1)) || ((pa + size) & (line - 1)));
	if (d->ncache < DMAPOOL_DECISION_MAX_CACHE) {
		d->cache[d->ncache].op = op;
		d->cache[d->ncache].phys = pa;
		d->cache[d->ncache].size = size;
		d->cache[d->ncache].for_device = !strcmp(func, "arch_sync_dma_for_device");
		d->ncache++;
	}
	dt_step(d, "cache", func, dmapool_cache_op_name(op),
		"%s [%#llx, %#llx) %s on %s%s", dir_name(dir),
		(unsigned long long)pa, (unsigned long long)(pa + size),
		op == DMAPOOL_CACHE_NONE ? "needs nothing" : "to the point of coherency",
		m->prof.arch,
		!partial ? "" : m->prof.inval_edge_flush ?
		"; partial lines at the edges are cleaned and invalidated" :
		"; partial lines at the edges are dropped whole");
}

void arch_sync_dma_for_device(struct device *dev, phys_addr_t pa,
			      size_t size, enum dma_data_direction dir,
			      struct dmapool_decision *d)
{
	struct dmapool_machine *m = dev->m;
	enum dmapool_cache_op op = cache_op_for_device(&m->prof, dir);

	record(m, d, "arch_sync_dma_for_device", op, pa, size, dir);
	cache_maintain(m, dev, op, pa, size, true);
}

void arch_sync_dma_for_cpu(struct device *dev, phys_addr_t pa,
			   size_t size, enum dma_data_direction dir,
			   struct dmapool_decision *d)
{
	struct dmapool_machine *m = dev->m;
	enum dmapool_cache_op op = cache_op_for_cpu(&m->prof, dir);

	record(m, d, "arch_sync_dma_for_cpu", op, pa, size, dir);
	cache_maintain(m, dev, op, pa, size, false);
}

/* arch_dma_prep_coherent(): arm64 cleans the linear alias, arm and riscv
 * clean and invalidate it, before a non-cacheable alias is made. */
void cache_prep_coherent(struct dmapool_machine *m, phys_addr_t pa, size_t size)
{
	if (m->prof.all_coherent)
		return;
	cache_maintain(m, NULL, strcmp(m->prof.arch, "arm64") ?
		       DMAPOOL_CACHE_FLUSH : DMAPOOL_CACHE_CLEAN, pa, size, false);
}

void cpu_copy_phys(struct dmapool_machine *m, phys_addr_t dst, phys_addr_t src,
		   size_t len)
{
	uint8_t *s, *t;

	if (!len)
		return;
	/* through the CPU's view (the cache), as the kernel's memcpy does */
	s = physmem_cpu(m, src, len);
	t = physmem_cpu(m, dst, len);
	if (s && t)
		memmove(t, s, len);
}

DMAPOOL_API uint64_t dmapool_cache_ops(struct dmapool_machine *m,
				       enum dmapool_cache_op op)
{
	if (!m || (unsigned)op >= ARRAY_SIZE(op_names))
		return 0;
	return __atomic_load_n(&m->cache_ops[op], __ATOMIC_RELAXED);
}

/* ---- the device's side: reads and writes by physical address ---- */

/*
 * A device reads or writes [pa, pa+len) of RAM (device.c translated and
 * checked the address).  Non-coherent devices see DRAM only; coherent
 * ones snoop the CPU's view.  Pages with no cached copy in use (no-map,
 * a non-cacheable alias) are DRAM for everyone.
 */
void cache_dev_access(struct device *dev, const struct dbg_entry *e,
		      phys_addr_t pa, void *buf, size_t len, bool write)
{
	struct dmapool_machine *m = dev->m;
	struct pm_bank *b = physmem_bank(m, pa, len);
	bool coherent = dev_is_dma_coherent_i(dev);
	struct cache_ctx c;
	size_t L, done = 0;

	if (!b) {
		uint8_t *p = physmem_dram(m, pa, len);	/* outside RAM */

		if (p)
			write ? memcpy(p, buf, len) : memcpy(buf, p, len);
		return;
	}
	ctx_init(&c, m, dev, e, pa, len, false);
	L = (size_t)1 << b->lshift;
	pthread_mutex_lock(&m->cache_lock);
	if (!snap_ready(b)) {
		pthread_mutex_unlock(&m->cache_lock);
		return;
	}
	line_traffic_begin();
	while (done < len) {
		phys_addr_t p = pa + done;
		uint64_t off = p - b->base;
		size_t pg_end = (size_t)(((off >> b->pshift) + 1) << b->pshift);
		size_t n = pg_end - off < len - done ? pg_end - off : len - done;
		uint8_t *ub = (uint8_t *)buf + done;
		uint64_t l0 = off >> b->lshift, l1 = (off + n + L - 1) >> b->lshift;

		if (physmem_page_uncached(b, p)) {
			write ? memcpy(b->dram + off, ub, n) : memcpy(ub, b->dram + off, n);
		} else if (coherent && !write) {
			memcpy(ub, b->cview + off, n);
		} else if (coherent) {
			/* snooped: the cache and DRAM both take the bytes */
			for (uint64_t l = l0; l < l1; l++)
				if (stale_get(b, l)) {
					uint64_t s = l << b->lshift;
					uint64_t lo = s > off ? s : off;
					uint64_t hi = s + L < off + n ? s + L : off + n;

					memcpy(b->snap + lo, ub + (lo - off), hi - lo);
				}
			memcpy(b->cview + off, ub, n);
			memcpy(b->dram + off, ub, n);
		} else if (!write) {
			memcpy(ub, b->dram + off, n);
			if (memcmp(b->cview + off, b->dram + off, n)) {
				for (uint64_t l = l0; l < l1; l++) {
					uint64_t s = l << b->lshift;
					unsigned from = s < off ? (unsigned)(off - s) : 0;
					unsigned to = s + L > off + n ? (unsigned)(off + n - s) : (unsigned)L;

					if (line_dirty(b, l))
						acc_diff(&c.dirty_read, b, l, b->cview + s,
							 b->dram + s, from, to);
				}
			}
		} else {
			/* snapshot the lines as cached before DRAM changes:
			 * whole runs of lines not yet stale at once */
			for (uint64_t l = l0; l < l1;) {
				uint64_t w = b->stale[l / 64] >> (l % 64), r = 0;
				uint64_t room = 64 - l % 64, left = l1 - l;
				uint64_t n2 = room < left ? room : left;

				if (n2 < 64)
					w &= (1ULL << n2) - 1;
				if (w & 1) {
					l++;
					continue;
				}
				r = w ? (uint64_t)__builtin_ctzll(w) : n2;
				memcpy(b->snap + (l << b->lshift), b->dram + (l << b->lshift),
				       r << b->lshift);
				b->stale[l / 64] |= (r < 64 ? (1ULL << r) - 1 : ~0ULL) << (l % 64);
				l += r;
			}
			memcpy(b->dram + off, ub, n);
			if (m->prof.cache_stress)
				evict_range(&c, b, l0, l1);
		}
		done += n;
	}
	line_traffic_end();
	pthread_mutex_unlock(&m->cache_lock);
	emit_all(&c);
}

/* Unmapped with DMA_ATTR_SKIP_CPU_SYNC: device data still behind stale
 * lines is what the CPU will never see. */
void cache_check_stale(struct device *dev, const struct dbg_entry *e,
		       phys_addr_t pa, size_t size)
{
	struct dmapool_machine *m = dev->m;
	struct pm_bank *b = physmem_bank(m, pa, size);
	struct cache_ctx c;
	size_t L;

	if (!b || !size || !b->snap)
		return;
	ctx_init(&c, m, dev, e, pa, size, false);
	L = (size_t)1 << b->lshift;
	pthread_mutex_lock(&m->cache_lock);
	line_traffic_begin();
	for (uint64_t l = (pa - b->base) >> b->lshift;
	     l < (pa + size - b->base + L - 1) >> b->lshift; l++)
		if (stale_get(b, l) && !physmem_page_uncached(b, b->base + (l << b->lshift)))
			acc_diff(&c.stale_cpu, b, l, b->dram + (l << b->lshift),
				 b->snap + (l << b->lshift), 0, (unsigned)L);
	line_traffic_end();
	pthread_mutex_unlock(&m->cache_lock);
	emit_all(&c);
}
