/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * iommu.c — IOMMUs, groups, DMA domains and the dma-iommu DMA ops (models
 * drivers/iommu/iommu.c, drivers/iommu/dma-iommu.c,
 * drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c and the LPAE io-pgtable).
 *
 * Boot: iommu_subsys_init()'s two lines (default domain type, TLB
 * invalidation policy; iommu.passthrough= and iommu.strict= from the
 * command line), then one instance per IOMMU node that a device's
 * "iommus" names.  An "arm,smmu-v3" instance is QEMU's SMMUv3 as the
 * oracle's kernel saw it: 16-bit stream IDs, 44-bit output, a 48-bit
 * stage-1 input space, its three probe lines, its command and event
 * queues (1 MiB each) and the 2 KiB level-1 stream table taken through
 * the DMA API of the SMMU's own device (so from the default CMA area and
 * the page allocator, which moves later CMA allocations exactly as on
 * the kernel), a 16 KiB level-2 stream table per 256-stream block on the
 * first attach there, and a 64-byte context-descriptor table per
 * translated device.  Any other IOMMU node is a generic IOMMU with the
 * same page sizes (4K|2M|1G at the default granule), a 48-bit space (32
 * bits for Rockchip's) and no memory of its own.  The SMMUv3's ID
 * registers are not in the device tree: every "arm,smmu-v3" node gets
 * QEMU's values.
 *
 * Probe (the first DMA use of a device, the kernel's driver bind): its
 * stream IDs (every "iommus" entry for that IOMMU) join the IOMMU's
 * stream table; a stream ID already there (SMMUv3: "... already in
 * tree from dev ...") or beyond the SMMU's 16 bits leaves the device on dma-direct.
 * Otherwise it gets a group ("Adding to iommu group N", numbered in
 * probe order) and the group a DMA domain: strict (IOMMU_DOMAIN_DMA),
 * lazy (IOMMU_DOMAIN_DMA_FQ: unmaps go through a flush queue) or identity
 * (iommu.passthrough=1, or the config's passthrough list: dma-direct).
 * On a generic IOMMU devices sharing a stream ID share the group.
 *
 * A domain has an IOVA space (iova.c; granule = smallest page size),
 * an aperture of 48 bits, a page table of the granule's levels (leaf
 * entries only; each table counts its entries, the domain its tables and
 * mapped pages) with read/write permission per entry from the DMA
 * direction, and an IOTLB modelled by its flushes: strict unmaps
 * invalidate at once, lazy unmaps queue the range (256-entry ring, full
 * = flush everything) with the old entries, which stay usable by the
 * device until the flush.  dmapool_iommu_flush() is the 10 ms timer.
 *
 * The DMA ops follow dma-iommu.c of 6.12: __iommu_dma_map (IOVA size
 * iova_align(offset + size), limit min_not_zero(mask, bus_dma_limit)
 * capped by the aperture, the PCI 32-bit-first try), iommu_dma_map_page
 * with dev_use_swiotlb() bouncing of unaligned buffers (granule-aligned
 * slots), map_sg with one IOVA range and __finalise_sg() merging,
 * iommu_dma_alloc (remapped non-contiguous pages of the IOMMU's page
 * sizes, the atomic pool for non-blocking non-coherent calls,
 * CMA-then-buddy for FORCE_CONTIGUOUS and non-blocking coherent calls),
 * syncs through iova-to-phys.  Device accesses translate page by page;
 * a miss or a permission failure is an SMMU-style fault report (event
 * F_TRANSLATION 0x10 or F_PERMISSION 0x13) and nothing is transferred.
 *
 * Left out: block (2 MiB) page-table entries, stage 2, PASIDs, PRI,
 * MSI doorbells and reserved regions (so no IOVA is reserved), PCI host
 * bridge windows, ATS, nested domains, iommu-map, the flush queue's
 * per-CPU split, and the kernel's allocation of page-table pages (the
 * tables are host memory).  Coherent allocations are found by CPU
 * address in a per-domain list.
 */
#include <libfdt.h>
#include <sys/mman.h>

#include "internal.h"

#define IOMMU_READ	(1u << 0)
#define IOMMU_WRITE	(1u << 1)
#define IOMMU_CACHE	(1u << 2)
#define IOMMU_MMIO	(1u << 4)
#define IOMMU_PRIV	(1u << 5)

#define PTE_VALID	1ULL
#define PTE_READ	2ULL
#define PTE_WRITE	4ULL
#define PTE_CACHE	8ULL
#define PTE_MMIO	16ULL
#define PTE_PRIV	32ULL

#define IOVA_FQ_SIZE	256
#define SMMU_SID_BITS	16
#define SMMU_IAS	48

enum { DOM_DMA, DOM_DMA_FQ, DOM_IDENTITY };

struct pt_node {
	uint32_t used;
	uint64_t e[];
};

struct fq_ent {
	uint64_t iova, size;
	uint64_t *ptes;		/* the entries the device may still use */
};

enum { IA_REMAP, IA_POOL, IA_CONTIG, IA_CONTIG_REMAP };

struct iommu_alloc {
	struct iommu_alloc *next;
	void *cpu;
	dma_addr_t iova;
	size_t size;		/* page-aligned */
	int kind;
	phys_addr_t pa;		/* contiguous kinds */
	phys_addr_t *pages;	/* IA_REMAP: every page */
	size_t npages;
	struct {
		phys_addr_t pa;
		unsigned order;
		bool whole;	/* in a CPU mapping of its run, else page by page */
		uint32_t run;	/* whole: chunks in the run it starts, 0 inside */
	} *chunks;
	size_t nchunks;
	bool from_cma;
};

struct iommu_domain {
	int type;
	struct iommu_instance *iommu;
	struct iova_domain *iovad;
	uint64_t granule;
	unsigned gshift, levels, bpl, top_bits;
	uint64_t aperture_end;
	uint64_t pgsize_bitmap;
	pthread_mutex_t lock;	/* page table, flush queue, allocations */
	struct pt_node *root;
	uint64_t pt_tables, pt_mapped;
	uint64_t iotlb_syncs, fq_flushes, fq_queued;
	struct fq_ent fq[IOVA_FQ_SIZE];
	unsigned fq_head, fq_tail;
	struct iommu_alloc *allocs;
};

struct smmu_stream {
	uint32_t sid;
	struct device *dev;
};

struct iommu_instance {
	struct dmapool_machine *m;
	int node;
	struct device *dev;	/* the IOMMU's own platform device */
	const char *name;	/* dev_name */
	bool smmuv3;
	unsigned sid_bits;
	uint64_t pgsize_bitmap;
	unsigned ias;
	/* SMMUv3 memory */
	void *cmdq, *evtq, *strtab_l1;
	dma_addr_t cmdq_dma, evtq_dma, strtab_l1_dma;
	struct { uint32_t block; void *cpu; dma_addr_t dma; } *l2;
	size_t n_l2;
	struct { struct device *dev; void *cpu; dma_addr_t dma; } *cds;
	size_t n_cds;
	struct smmu_stream *streams;
	size_t n_streams;
};

/* ------------------------------------------------------------------ */
/* Page tables                                                          */

static unsigned pt_index(const struct iommu_domain *dom, uint64_t iova, unsigned l)
{
	unsigned shift = dom->gshift + (dom->levels - 1 - l) * dom->bpl;
	unsigned bits = l == 0 ? dom->top_bits : dom->bpl;

	return (unsigned)((iova >> shift) & ((1ULL << bits) - 1));
}

static struct pt_node *pt_new(unsigned bits)
{
	return calloc(1, sizeof(struct pt_node) + sizeof(uint64_t) * (1ULL << bits));
}

/* The leaf slot of iova; tables made on the way when create. */
static uint64_t *pt_slot(struct iommu_domain *dom, uint64_t iova, bool create,
			 struct pt_node **leaf)
{
	struct pt_node *t = dom->root;

	for (unsigned l = 0; l + 1 < dom->levels; l++) {
		unsigned idx = pt_index(dom, iova, l);
		struct pt_node *c = (struct pt_node *)(uintptr_t)t->e[idx];

		if (!c) {
			if (!create || !(c = pt_new(dom->bpl)))
				return NULL;
			t->e[idx] = (uint64_t)(uintptr_t)c;
			t->used++;
			dom->pt_tables++;
		}
		t = c;
	}
	if (leaf)
		*leaf = t;
	return &t->e[pt_index(dom, iova, dom->levels - 1)];
}

static void pt_free(struct iommu_domain *dom, struct pt_node *t, unsigned l)
{
	if (!t)
		return;
	if (l + 1 < dom->levels) {
		unsigned n = 1u << (l == 0 ? dom->top_bits : dom->bpl);

		for (unsigned i = 0; i < n; i++)
			if (t->e[i])
				pt_free(dom, (struct pt_node *)(uintptr_t)t->e[i], l + 1);
	}
	free(t);
}

static uint64_t prot_pte(unsigned prot)
{
	return PTE_VALID | (prot & IOMMU_READ ? PTE_READ : 0) |
	       (prot & IOMMU_WRITE ? PTE_WRITE : 0) |
	       (prot & IOMMU_CACHE ? PTE_CACHE : 0) |
	       (prot & IOMMU_MMIO ? PTE_MMIO : 0) |
	       (prot & IOMMU_PRIV ? PTE_PRIV : 0);
}

/* iommu_map(): 0, or -EEXIST / -ENOMEM with nothing left mapped.
 * dom->lock held. */
static int pt_map(struct iommu_domain *dom, uint64_t iova, phys_addr_t pa,
		  uint64_t size, unsigned prot)
{
	uint64_t g = dom->granule, done;
	uint64_t pte = prot_pte(prot);

	for (done = 0; done < size; done += g) {
		struct pt_node *leaf;
		uint64_t *s = pt_slot(dom, iova + done, true, &leaf);

		if (!s || (*s & PTE_VALID))
			break;
		*s = ((pa + done) & ~(g - 1)) | pte;
		leaf->used++;
		dom->pt_mapped++;
	}
	if (done == size)
		return 0;
	for (uint64_t u = 0; u < done; u += g) {
		struct pt_node *leaf;
		uint64_t *s = pt_slot(dom, iova + u, false, &leaf);

		*s = 0;
		leaf->used--;
		dom->pt_mapped--;
	}
	return -ENOMEM;
}

/* iommu_unmap(): bytes unmapped from the start until a hole; the old
 * entries into save[] when given.  dom->lock held. */
static uint64_t pt_unmap(struct iommu_domain *dom, uint64_t iova, uint64_t size,
			 uint64_t *save)
{
	uint64_t g = dom->granule, done;

	for (done = 0; done < size; done += g) {
		struct pt_node *leaf;
		uint64_t *s = pt_slot(dom, iova + done, false, &leaf);

		if (!s || !(*s & PTE_VALID))
			break;
		if (save)
			save[done / g] = *s;
		*s = 0;
		leaf->used--;
		dom->pt_mapped--;
	}
	return done;
}

static uint64_t pt_lookup(struct iommu_domain *dom, uint64_t iova)
{
	uint64_t *s = pt_slot(dom, iova, false, NULL);

	return s ? *s : 0;
}

/* The physical address an entry gives iova. */
static phys_addr_t pte_phys(const struct iommu_domain *dom, uint64_t pte, uint64_t iova)
{
	return (pte & ~(dom->granule - 1)) + (iova & (dom->granule - 1));
}

/* ------------------------------------------------------------------ */
/* Domains and the flush queue                                          */

static const char *dom_mode(const struct iommu_domain *dom)
{
	return dom->type == DOM_DMA_FQ ? "lazy" : dom->type == DOM_DMA ? "strict" :
		"passthrough";
}

static struct iommu_domain *domain_create(struct iommu_instance *in, int type,
					  uint64_t granule)
{
	struct iommu_domain *dom = calloc(1, sizeof(*dom));
	unsigned span;

	if (!dom)
		return NULL;
	dom->type = type;
	dom->iommu = in;
	dom->granule = granule;
	dom->gshift = (unsigned)__builtin_ctzll(granule);
	dom->bpl = dom->gshift - 3;
	dom->aperture_end = in->ias >= 64 ? ~0ULL : (1ULL << in->ias) - 1;
	span = in->ias - dom->gshift;
	dom->levels = (span + dom->bpl - 1) / dom->bpl;
	dom->top_bits = span - (dom->levels - 1) * dom->bpl;
	dom->pgsize_bitmap = in->pgsize_bitmap;
	pthread_mutex_init(&dom->lock, NULL);
	if (type != DOM_IDENTITY) {
		dom->root = pt_new(dom->top_bits);
		/* iommu_dma_init_domain(): base pfn 1, IOVA 0 is never used */
		dom->iovad = iova_domain_create(granule, 1);
		if (!dom->root || !dom->iovad) {
			free(dom->root);
			iova_domain_destroy(dom->iovad);
			pthread_mutex_destroy(&dom->lock);
			free(dom);
			return NULL;
		}
		dom->pt_tables = 1;
	}
	return dom;
}

static void alloc_rec_free(struct iommu_alloc *a)
{
	free(a->pages);
	free(a->chunks);
	free(a);
}

static void domain_destroy(struct iommu_domain *dom)
{
	if (!dom)
		return;
	for (unsigned i = dom->fq_head; i != dom->fq_tail; i = (i + 1) % IOVA_FQ_SIZE)
		free(dom->fq[i].ptes);
	while (dom->allocs) {
		struct iommu_alloc *a = dom->allocs;

		dom->allocs = a->next;
		alloc_rec_free(a);
	}
	pt_free(dom, dom->root, 0);
	iova_domain_destroy(dom->iovad);
	pthread_mutex_destroy(&dom->lock);
	free(dom);
}

/* fq_flush_iotlb() + fq_ring_free(): the IOTLB forgets every queued
 * range and their IOVAs go back.  dom->lock held. */
static void fq_flush(struct iommu_domain *dom)
{
	if (dom->fq_head == dom->fq_tail)
		return;
	dom->fq_flushes++;
	while (dom->fq_head != dom->fq_tail) {
		struct fq_ent *e = &dom->fq[dom->fq_head];

		free_iova_fast(dom->iovad, e->iova >> dom->gshift, e->size >> dom->gshift);
		free(e->ptes);
		e->ptes = NULL;
		dom->fq_head = (dom->fq_head + 1) % IOVA_FQ_SIZE;
	}
}

/* queue_iova(): full queue = flush everything first.  dom->lock held. */
static void fq_queue(struct iommu_domain *dom, uint64_t iova, uint64_t size,
		     uint64_t *ptes)
{
	struct fq_ent *e;

	if ((dom->fq_tail + 1) % IOVA_FQ_SIZE == dom->fq_head)
		fq_flush(dom);
	e = &dom->fq[dom->fq_tail];
	e->iova = iova;
	e->size = size;
	e->ptes = ptes;
	dom->fq_tail = (dom->fq_tail + 1) % IOVA_FQ_SIZE;
	dom->fq_queued++;
}

/* A translation the IOTLB may still hold for an unmapped IOVA. */
static uint64_t fq_stale(struct iommu_domain *dom, uint64_t iova)
{
	for (unsigned i = dom->fq_head; i != dom->fq_tail; i = (i + 1) % IOVA_FQ_SIZE) {
		struct fq_ent *e = &dom->fq[i];

		if (iova >= e->iova && iova - e->iova < e->size)
			return e->ptes ? e->ptes[(iova - e->iova) >> dom->gshift] : 0;
	}
	return 0;
}

static struct iommu_domain *dev_domain(const struct device *dev)
{
	return dev->iommu_group ? dev->iommu_group->domain : NULL;
}

bool use_dma_iommu_i(const struct device *dev)
{
	struct iommu_domain *dom = dev_domain(dev);

	return dom && dom->type != DOM_IDENTITY;
}

const char *iommu_domain_mode(const struct device *dev)
{
	struct iommu_domain *dom = dev_domain(dev);

	return dom ? dom_mode(dom) : NULL;
}

/* ------------------------------------------------------------------ */
/* Boot: iommu_subsys_init and the IOMMU drivers                        */

static bool node_is_iommu_target(struct dmapool_machine *m, int node)
{
	for (size_t i = 0; i < m->n_devs; i++)
		if (m->devs[i]->iommu_node == node)
			return true;
	return false;
}

static struct device *device_of_node(struct dmapool_machine *m, int node)
{
	for (size_t i = 0; i < m->n_devs; i++)
		if (m->devs[i]->node == node)
			return m->devs[i];
	return NULL;
}

static void smmu_free(struct iommu_instance *in)
{
	struct device *sd = in->dev;

	for (size_t i = 0; i < in->n_cds; i++)
		if (in->cds[i].cpu)
			dma_free_attrs(sd, 64, in->cds[i].cpu, in->cds[i].dma, 0);
	for (size_t i = 0; i < in->n_l2; i++)
		dma_free_attrs(sd, 16384, in->l2[i].cpu, in->l2[i].dma, 0);
	if (in->strtab_l1)
		dma_free_attrs(sd, 2048, in->strtab_l1, in->strtab_l1_dma, 0);
	if (in->evtq)
		dma_free_attrs(sd, 1u << 20, in->evtq, in->evtq_dma, 0);
	if (in->cmdq)
		dma_free_attrs(sd, 1u << 20, in->cmdq, in->cmdq_dma, 0);
	free(in->cds);
	free(in->l2);
	in->cds = NULL;
	in->l2 = NULL;
	in->n_cds = in->n_l2 = 0;
	in->cmdq = in->evtq = in->strtab_l1 = NULL;
}

/* arm_smmu_device_probe(): what QEMU's SMMUv3 gave the oracle's kernel. */
static int smmu_probe(struct iommu_instance *in)
{
	struct dmapool_machine *m = in->m;
	struct device *sd = in->dev;

	klog(m, "arm-smmu-v3 %s: ias 44-bit, oas 44-bit (features 0x00008305)", in->name);
	if (!sd)
		return 0;
	dma_set_mask(sd, DMA_BIT_MASK(44));
	dma_set_coherent_mask(sd, DMA_BIT_MASK(44));
	in->cmdq = dma_alloc_attrs(sd, 1u << 20, &in->cmdq_dma, GFP_KERNEL, 0);
	if (!in->cmdq) {
		klog(m, "arm-smmu-v3 %s: failed to allocate queue (0x100000 bytes) for cmdq", in->name);
		return -ENOMEM;
	}
	klog(m, "arm-smmu-v3 %s: allocated 65536 entries for cmdq", in->name);
	in->evtq = dma_alloc_attrs(sd, 1u << 20, &in->evtq_dma, GFP_KERNEL, 0);
	if (!in->evtq) {
		klog(m, "arm-smmu-v3 %s: failed to allocate queue (0x100000 bytes) for evtq", in->name);
		return -ENOMEM;
	}
	klog(m, "arm-smmu-v3 %s: allocated 32768 entries for evtq", in->name);
	in->strtab_l1 = dma_alloc_attrs(sd, 2048, &in->strtab_l1_dma, GFP_KERNEL, 0);
	if (!in->strtab_l1) {
		klog(m, "arm-smmu-v3 %s: failed to allocate l1 stream table (2048 bytes)", in->name);
		return -ENOMEM;
	}
	return 0;
}

int iommu_init(struct dmapool_machine *m)
{
	struct iommu_state *st = &m->iommu;
	const struct bootparams *bp = &m->bp;
	const void *fdt = m->fdt;

	st->passthrough = bp->iommu_passthrough == 1;
	st->strict = bp->iommu_strict >= 0 ? bp->iommu_strict == 1 :
		m->prof.iommu_default_strict;
	if (!m->prof.iommu_dma)
		return 0;
	klog(m, "iommu: Default domain type: %s%s", st->passthrough ? "Passthrough" : "Translated",
	     bp->iommu_passthrough >= 0 ? " (set via kernel command line)" : "");
	if (!st->passthrough)
		klog(m, "iommu: DMA domain TLB invalidation policy: %s mode%s",
		     st->strict ? "strict" : "lazy",
		     bp->iommu_strict >= 0 ? " (set via kernel command line)" : "");

	for (int node = fdt_next_node(fdt, -1, NULL); node >= 0;
	     node = fdt_next_node(fdt, node, NULL)) {
		struct iommu_instance *in, **grow;
		int cells = fdt_cells(fdt, node, "#iommu-cells", -1);

		if (cells < 0 || !fdt_node_is_available(fdt, node) ||
		    !node_is_iommu_target(m, node))
			continue;
		in = calloc(1, sizeof(*in));
		grow = realloc(st->inst, (st->n_inst + 1) * sizeof(*grow));
		if (!in || !grow) {
			free(in);
			if (grow)
				st->inst = grow;
			return -ENOMEM;
		}
		st->inst = grow;
		st->inst[st->n_inst++] = in;
		in->m = m;
		in->node = node;
		in->dev = device_of_node(m, node);
		in->name = in->dev ? in->dev->name : fdt_get_name(fdt, node, NULL);
		in->smmuv3 = fdt_node_check_compatible(fdt, node, "arm,smmu-v3") == 0;
		in->sid_bits = in->smmuv3 ? SMMU_SID_BITS : 32;
		in->ias = SMMU_IAS;
		/* Rockchip's IOMMUs translate a 32-bit space (rk_iommu) */
		{
			const char *c = fdt_getprop(fdt, node, "compatible", NULL);

			if (c && !strncmp(c, "rockchip,", 9))
				in->ias = 32;
		}
		switch (m->prof.iommu_granule) {
		case 16384: in->pgsize_bitmap = 0x4000ULL | (32ULL << 20); break;
		case 65536: in->pgsize_bitmap = 0x10000ULL | (512ULL << 20); break;
		default: in->pgsize_bitmap = 0x1000ULL | (2ULL << 20) | (1ULL << 30); break;
		}
		if (in->dev)	/* the IOMMU itself is never translated */
			__atomic_store_n(&in->dev->iommu_probed, true, __ATOMIC_RELEASE);
		if (in->smmuv3) {
			int rc = smmu_probe(in);

			if (rc == -ENOMEM) {
				/* no simulated memory for its queues (a tree that
				 * reserves all of RAM): the driver core's line, and
				 * no IOMMU there; its devices use dma-direct */
				smmu_free(in);
				klog(m, "arm-smmu-v3 %s: probe with driver arm-smmu-v3 failed with error %d",
				     in->name, rc);
				free(in);
				st->n_inst--;
			}
		}
	}
	return 0;
}

void iommu_destroy(struct dmapool_machine *m)
{
	struct iommu_state *st = &m->iommu;

	while (st->groups) {
		struct iommu_group *g = st->groups;

		st->groups = g->next;
		for (size_t i = 0; i < g->n_devs; i++)
			g->devs[i]->iommu_group = NULL;
		domain_destroy(g->domain);
		free(g->devs);
		free(g);
	}
	for (size_t i = 0; i < st->n_inst; i++) {
		free(st->inst[i]->streams);
		free(st->inst[i]->cds);
		free(st->inst[i]->l2);
		free(st->inst[i]);
	}
	free(st->inst);
	st->inst = NULL;
	st->n_inst = 0;
}

/* ------------------------------------------------------------------ */
/* Probe: stream IDs, groups, domains                                   */

static struct iommu_instance *instance_of(struct dmapool_machine *m, int node)
{
	for (size_t i = 0; i < m->iommu.n_inst; i++)
		if (m->iommu.inst[i]->node == node)
			return m->iommu.inst[i];
	return NULL;
}

/* Every "iommus" specifier that names the same IOMMU as the first. */
static void read_sids(struct device *dev, int target)
{
	const void *fdt = dev->m->fdt;
	int len, cells = fdt_cells(fdt, target, "#iommu-cells", -1);
	const fdt32_t *p = fdt_getprop(fdt, dev->node, "iommus", &len);
	int n = p && len > 0 ? len / 4 : 0;

	dev->n_sids = 0;
	for (int i = 0; i + cells < n && cells >= 0; i += 1 + cells) {
		int t = fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(p[i]));

		if (t != target || dev->n_sids >= ARRAY_SIZE(dev->sids))
			continue;
		dev->sids[dev->n_sids++] = cells ? fdt32_to_cpu(p[i + 1]) : 0;
	}
}

static bool pci_like(struct device *dev)
{
	const void *fdt = dev->m->fdt;
	int parent = fdt_parent_offset(fdt, dev->node);
	const char *t = parent >= 0 ? fdt_getprop(fdt, parent, "device_type", NULL) : NULL;

	return t && !strcmp(t, "pci");
}

static bool external_facing(struct device *dev)
{
	const void *fdt = dev->m->fdt;

	for (int n = fdt_parent_offset(fdt, dev->node); n > 0; n = fdt_parent_offset(fdt, n))
		if (fdt_getprop(fdt, n, "external-facing", NULL))
			return true;
	return false;
}

static bool name_listed(const char *list, const struct device *dev)
{
	const char *s = list;

	while (s && *s) {
		const char *e = strchr(s, ',');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if ((strlen(dev->name) == n && !strncmp(dev->name, s, n)) ||
		    (dev->path && strlen(dev->path) == n && !strncmp(dev->path, s, n)) ||
		    (dev->label && strlen(dev->label) == n && !strncmp(dev->label, s, n)))
			return true;
		{
			const char *unit = dev->path ? strrchr(dev->path, '/') : NULL;

			if (unit && strlen(unit + 1) == n && !strncmp(unit + 1, s, n))
				return true;
		}
		s = e ? e + 1 : NULL;
	}
	return false;
}

static struct device *stream_owner(struct iommu_instance *in, uint32_t sid)
{
	for (size_t i = 0; i < in->n_streams; i++)
		if (in->streams[i].sid == sid)
			return in->streams[i].dev;
	return NULL;
}

/* arm_smmu_init_l2_strtab(): 256 STEs of 64 bytes for the block. */
static int smmu_l2(struct iommu_instance *in, uint32_t sid)
{
	uint32_t block = sid >> 8;
	void *cpu, *grow;
	dma_addr_t dma;

	for (size_t i = 0; i < in->n_l2; i++)
		if (in->l2[i].block == block)
			return 0;
	if (!in->dev)
		return 0;
	grow = realloc(in->l2, (in->n_l2 + 1) * sizeof(*in->l2));
	if (!grow)
		return -ENOMEM;
	in->l2 = grow;
	cpu = dma_alloc_attrs(in->dev, 16384, &dma, GFP_KERNEL, 0);
	if (!cpu) {
		dev_klog(in->dev, "failed to allocate l2 stream table for SID %u", sid);
		return -ENOMEM;
	}
	in->l2[in->n_l2].block = block;
	in->l2[in->n_l2].cpu = cpu;
	in->l2[in->n_l2].dma = dma;
	in->n_l2++;
	return 0;
}

/* arm_smmu_alloc_cd_tables(): one 64-byte context descriptor. */
static void smmu_cd(struct iommu_instance *in, struct device *dev)
{
	void *grow;

	if (!in->dev)
		return;
	grow = realloc(in->cds, (in->n_cds + 1) * sizeof(*in->cds));
	if (!grow)
		return;
	in->cds = grow;
	in->cds[in->n_cds].dev = dev;
	in->cds[in->n_cds].cpu = dma_alloc_attrs(in->dev, 64, &in->cds[in->n_cds].dma,
						 GFP_KERNEL, 0);
	in->n_cds++;
}

static struct iommu_group *group_new(struct dmapool_machine *m,
				     struct iommu_instance *in, struct device *dev)
{
	struct iommu_state *st = &m->iommu;
	struct iommu_group *g = calloc(1, sizeof(*g));
	int type;

	if (!g)
		return NULL;
	g->devs = calloc(1, sizeof(*g->devs));
	type = st->passthrough || dev->iommu_passthrough_cfg ? DOM_IDENTITY :
		(st->strict || dev->untrusted) ? DOM_DMA : DOM_DMA_FQ;
	g->domain = domain_create(in, type, in->pgsize_bitmap & -in->pgsize_bitmap);
	if (!g->devs || !g->domain) {
		free(g->devs);
		domain_destroy(g->domain);
		free(g);
		return NULL;
	}
	g->iommu = in;
	g->id = st->next_group_id++;
	g->next = st->groups;
	st->groups = g;
	return g;
}

static void group_add(struct iommu_group *g, struct device *dev)
{
	if (g->n_devs) {
		struct device **grow = realloc(g->devs, (g->n_devs + 1) * sizeof(*grow));

		if (!grow)
			return;
		g->devs = grow;
	}
	g->devs[g->n_devs++] = dev;
	dev_klog(dev, "Adding to iommu group %d", g->id);
	__atomic_store_n(&dev->iommu_group, g, __ATOMIC_RELEASE);
}

void iommu_probe_device_i(struct device *dev)
{
	struct dmapool_machine *m = dev->m;
	struct iommu_state *st = &m->iommu;
	struct iommu_instance *in;
	struct iommu_group *g = NULL;
	struct device *owner = NULL;

	pthread_mutex_lock(&st->lock);
	if (dev->iommu_probed)
		goto out;
	if (dev->iommu_node < 0 || !(in = instance_of(m, dev->iommu_node)))
		goto done;
	read_sids(dev, in->node);
	dev->untrusted = dev->untrusted || external_facing(dev);
	dev->pci_32bit_workaround = pci_like(dev) && !m->bp.iommu_forcedac;
	dev->iommu_passthrough_cfg = dev->iommu_passthrough_cfg ||
		name_listed(m->iommu_pt_devs, dev);
	if (!dev->n_sids)
		goto done;
	for (unsigned i = 0; i < dev->n_sids; i++) {
		/* arm_smmu_sid_in_range(): -ERANGE, nothing said */
		if (in->sid_bits < 32 && dev->sids[i] >> in->sid_bits)
			goto done;
		owner = stream_owner(in, dev->sids[i]);
		if (owner && in->smmuv3) {
			/* arm_smmu_insert_master(): the rb-tree refuses it */
			dev_klog(dev, "stream %u already in tree from dev %s", dev->sids[i],
				 owner->name);
			goto done;
		}
	}
	if (in->smmuv3)
		for (unsigned i = 0; i < dev->n_sids; i++)
			if (smmu_l2(in, dev->sids[i]))
				goto done;
	{
		struct smmu_stream *grow = realloc(in->streams, (in->n_streams + dev->n_sids) *
						   sizeof(*grow));

		if (!grow)
			goto done;
		in->streams = grow;
		for (unsigned i = 0; i < dev->n_sids; i++) {
			if (stream_owner(in, dev->sids[i]))
				continue;
			in->streams[in->n_streams].sid = dev->sids[i];
			in->streams[in->n_streams].dev = dev;
			in->n_streams++;
		}
	}
	/* generic IOMMU: a shared stream ID shares the group */
	if (owner && owner->iommu_group)
		g = owner->iommu_group;
	else
		g = group_new(m, in, dev);
	if (!g)
		goto done;
	group_add(g, dev);
	if (in->smmuv3 && g->domain->type != DOM_IDENTITY && g->n_devs == 1)
		smmu_cd(in, dev);
done:
	__atomic_store_n(&dev->iommu_probed, true, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&st->lock);
}

DMAPOOL_API int dmapool_iommu_set_passthrough(struct device *dev, bool on)
{
	if (!dev)
		return -EINVAL;
	if (__atomic_load_n(&dev->iommu_probed, __ATOMIC_ACQUIRE))
		return -EBUSY;
	dev->iommu_passthrough_cfg = on;
	return 0;
}

DMAPOOL_API int dmapool_device_set_untrusted(struct device *dev, bool on)
{
	if (!dev)
		return -EINVAL;
	if (__atomic_load_n(&dev->iommu_probed, __ATOMIC_ACQUIRE))
		return -EBUSY;
	dev->untrusted = on;
	return 0;
}

DMAPOOL_API int dmapool_iommu_group_id(struct device *dev)
{
	if (!dev)
		return -EINVAL;
	iommu_dev_probe(dev);
	return dev->iommu_group ? dev->iommu_group->id : -ENODEV;
}

DMAPOOL_API int dmapool_iommu_flush(struct device *dev)
{
	struct iommu_domain *dom;

	if (!dev)
		return -EINVAL;
	dom = dev_domain(dev);
	if (!dom || dom->type == DOM_IDENTITY)
		return -ENODEV;
	pthread_mutex_lock(&dom->lock);
	fq_flush(dom);
	pthread_mutex_unlock(&dom->lock);
	return 0;
}

DMAPOOL_API int dmapool_iommu_stats(struct device *dev, struct dmapool_iommu_stats *out)
{
	struct iommu_domain *dom;
	struct iova_stats is;

	if (!dev || !out)
		return -EINVAL;
	iommu_dev_probe(dev);
	dom = dev_domain(dev);
	if (!dom)
		return -ENODEV;
	memset(out, 0, sizeof(*out));
	out->group = dev->iommu_group->id;
	out->mode = dom_mode(dom);
	out->granule = dom->granule;
	if (dom->type == DOM_IDENTITY)
		return 0;
	iova_get_stats(dom->iovad, &is);
	pthread_mutex_lock(&dom->lock);
	out->pt_tables = dom->pt_tables;
	out->pt_mapped = dom->pt_mapped;
	out->iotlb_syncs = dom->iotlb_syncs;
	out->fq_flushes = dom->fq_flushes;
	out->fq_pending = (dom->fq_tail + IOVA_FQ_SIZE - dom->fq_head) % IOVA_FQ_SIZE;
	pthread_mutex_unlock(&dom->lock);
	out->iova_live = is.live;
	out->iova_cached = is.cached;
	out->iova_cache_hits = is.hits;
	out->iova_cache_misses = is.misses;
	return 0;
}

/* ------------------------------------------------------------------ */
/* IOVA allocation and mapping (dma-iommu.c)                            */

static unsigned dma_info_to_prot(enum dma_data_direction dir, bool coherent,
				 unsigned long attrs)
{
	unsigned prot = coherent ? IOMMU_CACHE : 0;

	if (attrs & DMA_ATTR_PRIVILEGED)
		prot |= IOMMU_PRIV;
	switch (dir) {
	case DMA_BIDIRECTIONAL: return prot | IOMMU_READ | IOMMU_WRITE;
	case DMA_TO_DEVICE: return prot | IOMMU_READ;
	case DMA_FROM_DEVICE: return prot | IOMMU_WRITE;
	default: return 0;
	}
}

static const char *prot_name(unsigned prot)
{
	switch (prot & (IOMMU_READ | IOMMU_WRITE)) {
	case IOMMU_READ | IOMMU_WRITE: return "read/write";
	case IOMMU_READ: return "read-only";
	case IOMMU_WRITE: return "write-only";
	default: return "no access";
	}
}

static unsigned bits_per(uint64_t x)
{
	return x ? fls64_u(x) : 1;
}

/* iommu_dma_alloc_iova(): the IOVA (granule-aligned size), 0 = none. */
static dma_addr_t alloc_iova(struct device *dev, struct iommu_domain *dom,
			     uint64_t size, uint64_t dma_limit,
			     struct dmapool_decision *d)
{
	unsigned shift = dom->gshift;
	uint64_t len = size >> shift, pfn = 0;
	bool hit = false;

	if (dev->bus_dma_limit && (!dma_limit || dev->bus_dma_limit < dma_limit))
		dma_limit = dev->bus_dma_limit;
	if (dma_limit > dom->aperture_end)
		dma_limit = dom->aperture_end;
	if (dma_limit > DMA_BIT_MASK(32) && dev->pci_32bit_workaround) {
		pfn = alloc_iova_fast(dom->iovad, len, DMA_BIT_MASK(32) >> shift, false, &hit);
		if (!pfn) {
			dev->pci_32bit_workaround = false;
			dev_klog(dev, "Using %u-bit DMA addresses", bits_per(dma_limit));
		}
	}
	if (!pfn)
		pfn = alloc_iova_fast(dom->iovad, len, dma_limit >> shift, true, &hit);
	if (d) {
		uint64_t rounded = len > 1 && len < 32 ? 1ULL << fls64_u(len - 1) : len;
		if (pfn)
			dt_step(d, "iova", "iommu_dma_alloc_iova", hit ? "range cache hit" : "tree",
				"%llu granule(s)%s of %#llx below limit %#llx: IOVA %#llx%s",
				(unsigned long long)len,
				rounded != len ? " (rounded to a power of two)" : "",
				(unsigned long long)dom->granule, (unsigned long long)dma_limit,
				(unsigned long long)(pfn << shift),
				hit ? ", the newest freed range of that size" :
				", size-aligned, top-down below the last range");
		else
			dt_step(d, "iova", "iommu_dma_alloc_iova", "no space",
				"%llu granule(s) of %#llx below limit %#llx: no size-aligned free range (IOVA 0 is never used)",
				(unsigned long long)len, (unsigned long long)dom->granule,
				(unsigned long long)dma_limit);
	}
	return pfn << shift;
}

static void free_iova_now(struct iommu_domain *dom, dma_addr_t iova, uint64_t size)
{
	free_iova_fast(dom->iovad, iova >> dom->gshift, size >> dom->gshift);
}

static void note_iova(struct dmapool_decision *d, struct iommu_domain *dom,
		      dma_addr_t iova, uint64_t len)
{
	if (!d)
		return;
	d->iova = iova;
	d->iova_len = len;
	d->iommu_pages = (unsigned)(len >> dom->gshift);
	d->iommu_mode = dom_mode(dom);
}

/* __iommu_dma_map(): IOVA + offset, or DMA_ERR. */
static dma_addr_t dma_map_i(struct device *dev, phys_addr_t phys, size_t size,
			    unsigned prot, uint64_t dma_mask, struct dmapool_decision *d)
{
	struct iommu_domain *dom = dev_domain(dev);
	uint64_t g = dom->granule, off = phys & (g - 1), len;
	dma_addr_t iova;
	int rc;

	if (dev->min_align_mask > g - 1) {
		dev_warn_once_i(dev, &dev->m->once.iommu_align, "Unsupported alignment constraint");
		dt_step(d, "iova", "__iommu_dma_map", "refused",
			"min_align_mask %#llx is larger than the IOVA granule",
			(unsigned long long)dev->min_align_mask);
		return DMA_ERR;
	}
	if (size > UINT64_MAX - off - (g - 1)) {
		/* the kernel's iova_align(size + offset) would wrap */
		dt_step(d, "iova", "__iommu_dma_map", "refused",
			"size %#llx + offset %#llx overflows the IOVA space",
			(unsigned long long)size, (unsigned long long)off);
		return DMA_ERR;
	}
	len = (size + off + g - 1) & ~(g - 1);
	iova = alloc_iova(dev, dom, len, dma_mask, d);
	if (!iova)
		return DMA_ERR;
	pthread_mutex_lock(&dom->lock);
	rc = pt_map(dom, iova, phys - off, len, prot);
	pthread_mutex_unlock(&dom->lock);
	if (rc) {
		free_iova_now(dom, iova, len);
		dt_step(d, "pgtable", "iommu_map", "failed", "no memory for a page table");
		return DMA_ERR;
	}
	dt_step(d, "pgtable", "iommu_map", prot_name(prot),
		"%llu page(s) of %#llx at IOVA %#llx -> phys %#llx, %s for the device",
		(unsigned long long)(len / g), (unsigned long long)g,
		(unsigned long long)iova, (unsigned long long)(phys - off), prot_name(prot));
	note_iova(d, dom, iova, len);
	return iova + off;
}

/* __iommu_dma_unmap(): unmap, then free the IOVA now (strict) or after
 * the next IOTLB flush (lazy). */
static void dma_unmap_i(struct device *dev, dma_addr_t dma, size_t size,
			struct dmapool_decision *d)
{
	struct iommu_domain *dom = dev_domain(dev);
	uint64_t g = dom->granule, off = dma & (g - 1), len, done;
	dma_addr_t iova = dma - off;
	uint64_t *save = NULL;

	len = size > UINT64_MAX - off - (g - 1) ? UINT64_MAX & ~(g - 1) :
		(size + off + g - 1) & ~(g - 1);
	pthread_mutex_lock(&dom->lock);
	if (dom->type == DOM_DMA_FQ) {
		/* no more saved entries than pages the domain maps (each one
		 * unmapped lowers pt_mapped): never in proportion to a size
		 * the driver made up */
		uint64_t n = len / g < dom->pt_mapped ? len / g : dom->pt_mapped;

		save = calloc(n ? n : 1, sizeof(*save));
	}
	done = pt_unmap(dom, iova, len, save);
	if (done != len) {
		if (done && !save)
			dom->iotlb_syncs++;
		pthread_mutex_unlock(&dom->lock);
		free(save);
		/* WARN_ON(unmapped != size): the kernel would go on and free
		 * the IOVA; a range that was never mapped is left alone */
		klog(dev->m, "libdmapool: WARN_ON: %s %s: __iommu_dma_unmap(%#llx, %#zx): %llu of %llu bytes were mapped",
		     dev_driver_string(dev), dev->name, (unsigned long long)dma, size,
		     (unsigned long long)done, (unsigned long long)len);
		dt_step(d, "pgtable", "iommu_unmap", "not mapped",
			"IOVA %#llx+%#llx: only %#llx bytes were mapped",
			(unsigned long long)iova, (unsigned long long)len,
			(unsigned long long)done);
		if (!done || !iova_is_allocated(dom->iovad, iova >> dom->gshift, NULL, NULL))
			return;
		free_iova_now(dom, iova, len);
		return;
	}
	if (save) {
		fq_queue(dom, iova, len, save);
		pthread_mutex_unlock(&dom->lock);
		dt_step(d, "pgtable", "iommu_unmap", "queued",
			"%llu page(s) at IOVA %#llx unmapped; lazy mode: the IOTLB keeps them and the IOVA waits in the flush queue until the next flush",
			(unsigned long long)(len / g), (unsigned long long)iova);
	} else {
		dom->iotlb_syncs++;
		pthread_mutex_unlock(&dom->lock);
		free_iova_now(dom, iova, len);
		dt_step(d, "pgtable", "iommu_unmap", "flushed",
			"%llu page(s) at IOVA %#llx unmapped and the IOTLB invalidated (strict); the IOVA goes back to the range cache or the tree",
			(unsigned long long)(len / g), (unsigned long long)iova);
	}
	note_iova(d, dom, iova, len);
}

phys_addr_t iommu_iova_to_phys(struct device *dev, dma_addr_t iova)
{
	struct iommu_domain *dom = dev_domain(dev);
	uint64_t pte;

	if (!dom || dom->type == DOM_IDENTITY)
		return PHYS_NONE;
	pthread_mutex_lock(&dom->lock);
	pte = pt_lookup(dom, iova);
	pthread_mutex_unlock(&dom->lock);
	if (!(pte & PTE_VALID))
		return PHYS_NONE;
	return pte_phys(dom, pte, iova);
}

/* dev_use_swiotlb() */
static bool dev_use_swiotlb(struct device *dev, size_t size, enum dma_data_direction dir)
{
	return dev->m->prof.swiotlb &&
	       (dev->untrusted || dma_kmalloc_needs_bounce(dev, size, dir));
}

dma_addr_t iommu_dma_map_phys(struct device *dev, phys_addr_t phys, size_t size,
			      enum dma_data_direction dir, unsigned long attrs,
			      struct dmapool_decision *d)
{
	struct iommu_domain *dom = dev_domain(dev);
	bool coherent = dev_is_dma_coherent_i(dev);
	unsigned prot = dma_info_to_prot(dir, coherent, attrs);
	uint64_t g = dom->granule;
	phys_addr_t orig = phys;
	dma_addr_t iova;

	if (dev_use_swiotlb(dev, size, dir) && ((phys | size) & (g - 1))) {
		dt_step(d, "bounce", "dev_use_swiotlb", "yes",
			"%s, and the buffer [%#llx, +%#zx) is not aligned to the IOVA granule %#llx",
			dev->untrusted ? "untrusted device" :
			"kmalloc buffer not DMA-safe for this non-coherent device and direction",
			(unsigned long long)phys, size, (unsigned long long)g);
		if (!is_swiotlb_active(dev)) {
			dev_warn_once_i(dev, &dev->m->once.iommu_bounce,
					"DMA bounce buffers are inactive, unable to map unaligned transaction.");
			return DMA_ERR;
		}
		phys = swiotlb_tbl_map_single(dev, phys, size, g - 1, dir, attrs, d);
		if (phys == PHYS_NONE)
			return DMA_ERR;
		if (dev->untrusted) {
			/* zero the slot's padding so the device sees no
			 * stale kernel data */
			phys_addr_t start = phys & ~(g - 1);
			uint64_t end = (phys + size + g - 1) & ~(g - 1);

			if (phys > start)
				memset(physmem_cpu(dev->m, start, phys - start), 0, phys - start);
			if (end > phys + size)
				memset(physmem_cpu(dev->m, phys + size, end - phys - size), 0,
				       end - phys - size);
		}
		dt_result_phys(d, phys);
	} else if (d) {
		dt_step(d, "bounce", "dev_use_swiotlb", "no", "%s",
			dev_use_swiotlb(dev, size, dir) ?
			"the buffer's start and size are aligned to the IOVA granule" :
			dev->m->prof.swiotlb ?
			"trusted device, and a kmalloc buffer of this size is DMA-safe here" :
			"no SWIOTLB in this kernel");
	}
	if (!coherent && !(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		arch_sync_dma_for_device(dev, phys, size, dir, d);
	iova = dma_map_i(dev, phys, size, prot, dev->dma_mask ? *dev->dma_mask : 0, d);
	if (iova == DMA_ERR && phys != orig)
		swiotlb_tbl_unmap_single(dev, phys, size, dir, attrs | DMA_ATTR_SKIP_CPU_SYNC, d);
	return iova;
}

void iommu_dma_unmap_phys(struct device *dev, dma_addr_t dma, size_t size,
			  enum dma_data_direction dir, unsigned long attrs,
			  struct dmapool_decision *d)
{
	phys_addr_t phys = iommu_iova_to_phys(dev, dma);

	/* iommu_dma_unmap_page() */
	if (phys == PHYS_NONE) {
		klog(dev->m, "libdmapool: WARN_ON(!phys): %s %s: iommu_dma_unmap_page(%#llx, %#zx): the IOVA is not mapped; nothing is done",
		     dev_driver_string(dev), dev->name, (unsigned long long)dma, size);
		dt_step(d, "pgtable", "iommu_iova_to_phys", "not mapped",
			"IOVA %#llx has no translation: WARN_ON(!phys), nothing unmapped",
			(unsigned long long)dma);
		return;
	}
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC) && !dev_is_dma_coherent_i(dev))
		arch_sync_dma_for_cpu(dev, phys, size, dir, d);
	dma_unmap_i(dev, dma, size, d);
	/* swiotlb_tbl_unmap_single(): copies back unless SKIP_CPU_SYNC */
	if (swiotlb_find_pool(dev, phys))
		swiotlb_tbl_unmap_single(dev, phys, size, dir, attrs, d);
}

void iommu_dma_sync_single(struct device *dev, dma_addr_t dma, size_t size,
			   enum dma_data_direction dir, bool for_device,
			   struct dmapool_decision *d)
{
	bool coherent = dev_is_dma_coherent_i(dev);
	phys_addr_t phys;

	if (coherent && !dev_use_swiotlb(dev, size, dir)) {
		dt_step(d, "sync", for_device ? "iommu_dma_sync_single_for_device" :
			"iommu_dma_sync_single_for_cpu", "nothing to do",
			"coherent device that does not bounce");
		return;
	}
	phys = iommu_iova_to_phys(dev, dma);
	if (phys == PHYS_NONE) {
		dt_step(d, "sync", "iommu_iova_to_phys", "not mapped",
			"IOVA %#llx has no translation", (unsigned long long)dma);
		return;
	}
	dt_step(d, "sync", "iommu_iova_to_phys", "ok", "IOVA %#llx -> phys %#llx",
		(unsigned long long)dma, (unsigned long long)phys);
	if (for_device) {
		if (swiotlb_find_pool(dev, phys))
			swiotlb_sync_single(dev, phys, size, dir, true, d);
		if (!coherent)
			arch_sync_dma_for_device(dev, phys, size, dir, d);
	} else {
		if (!coherent)
			arch_sync_dma_for_cpu(dev, phys, size, dir, d);
		if (swiotlb_find_pool(dev, phys))
			swiotlb_sync_single(dev, phys, size, dir, false, d);
	}
}

dma_addr_t iommu_dma_map_resource(struct device *dev, phys_addr_t phys,
				  size_t size, enum dma_data_direction dir,
				  unsigned long attrs, struct dmapool_decision *d)
{
	return dma_map_i(dev, phys, size, dma_info_to_prot(dir, false, attrs) | IOMMU_MMIO,
			 dev->dma_mask ? *dev->dma_mask : 0, d);
}

/* ------------------------------------------------------------------ */
/* Scatter-gather                                                        */

#define SG_DMA_SWIOTLB	(1u << 1)

static bool dev_use_sg_swiotlb(struct device *dev, struct scatterlist *sg, int nents,
			       enum dma_data_direction dir)
{
	if (!dev->m->prof.swiotlb)
		return false;
	if (dev->untrusted)
		return true;
	for (int i = 0; i < nents && sg; i++, sg = sg_next_i(sg))
		if (dma_kmalloc_needs_bounce(dev, sg->length, dir))
			return true;
	return false;
}

void iommu_dma_sync_sg(struct device *dev, struct scatterlist *sgl, int nents,
		       enum dma_data_direction dir, bool for_device,
		       struct dmapool_decision *d)
{
	struct scatterlist *s = sgl;
	int i;

	if (sgl && (sgl->dma_flags & SG_DMA_SWIOTLB)) {
		for (i = 0; i < nents && s; i++, s = sg_next_i(s))
			iommu_dma_sync_single(dev, s->dma_address, s->length, dir, for_device,
					      i < 4 ? d : NULL);
	} else if (!dev_is_dma_coherent_i(dev)) {
		for (i = 0; i < nents && s; i++, s = sg_next_i(s)) {
			if (for_device)
				arch_sync_dma_for_device(dev, sg_phys_i(dev->m, s), s->length,
							 dir, i < 4 ? d : NULL);
			else
				arch_sync_dma_for_cpu(dev, sg_phys_i(dev->m, s), s->length,
						      dir, i < 4 ? d : NULL);
		}
	}
}

/* __finalise_sg(): restore the entries and write the merged segments. */
static int finalise_sg(struct device *dev, struct scatterlist *sg, int nents,
		       dma_addr_t dma_addr)
{
	struct scatterlist *s = sg, *cur = sg;
	uint64_t seg_mask = dev->seg_boundary ? dev->seg_boundary : ~0ULL;
	unsigned cur_len = 0, max_len = (unsigned)dev->max_seg_size;
	int count = 0;

	for (int i = 0; i < nents && s; i++, s = sg_next_i(s)) {
		unsigned s_iova_off = (unsigned)s->dma_address;
		unsigned s_length = s->dma_length;
		unsigned s_iova_len = s->length;

		s->dma_address = DMA_ERR;
		s->dma_length = 0;
		s->offset += s_iova_off;
		s->length = s_length;
		if (cur_len && !s_iova_off && (dma_addr & seg_mask) &&
		    (max_len - cur_len >= s_length)) {
			cur_len += s_length;
		} else {
			if (i > 0)
				cur = sg_next_i(cur);
			cur_len = s_length;
			count++;
			cur->dma_address = dma_addr + s_iova_off;
		}
		cur->dma_length = cur_len;
		dma_addr += s_iova_len;
		if (s_length + s_iova_off < s_iova_len)
			cur_len = 0;
	}
	return count;
}

/* __invalidate_sg(): put the entries back as they were. */
static void invalidate_sg(struct scatterlist *sg, int nents)
{
	struct scatterlist *s = sg;

	for (int i = 0; i < nents && s; i++, s = sg_next_i(s)) {
		if (s->dma_address != DMA_ERR)
			s->offset += (unsigned)s->dma_address;
		if (s->dma_length)
			s->length = s->dma_length;
		s->dma_address = DMA_ERR;
		s->dma_length = 0;
	}
}

int iommu_dma_map_sg(struct device *dev, struct scatterlist *sgl, int nents,
		     enum dma_data_direction dir, unsigned long attrs,
		     struct dmapool_decision *d)
{
	struct iommu_domain *dom = dev_domain(dev);
	bool coherent = dev_is_dma_coherent_i(dev);
	unsigned prot = dma_info_to_prot(dir, coherent, attrs);
	uint64_t g = dom->granule, mask = dev->seg_boundary ? dev->seg_boundary : ~0ULL;
	uint64_t iova_len = 0;
	struct scatterlist *s, *prev = NULL;
	dma_addr_t iova, at;
	int i, count;

	if (dev_use_sg_swiotlb(dev, sgl, nents, dir)) {
		dt_step(d, "bounce", "dev_use_sg_swiotlb", "yes",
			"%s: every entry is mapped on its own through iommu_dma_map_page",
			dev->untrusted ? "untrusted device" :
			"an entry's length is not kmalloc-safe for this non-coherent device");
		for (i = 0, s = sgl; i < nents && s; i++, s = sg_next_i(s)) {
			s->dma_address = iommu_dma_map_phys(dev, sg_phys_i(dev->m, s), s->length,
							    dir, attrs, i < 2 ? d : NULL);
			if (s->dma_address == DMA_ERR)
				goto bounce_fail;
			s->dma_length = s->length;
		}
		sgl->dma_flags |= SG_DMA_SWIOTLB;
		return nents;
bounce_fail:
		for (int k = 0; k < i; k++)
			iommu_dma_unmap_phys(dev, sgl[k].dma_address, sgl[k].dma_length, dir,
					     attrs | DMA_ATTR_SKIP_CPU_SYNC, NULL);
		return -EIO;
	}
	sgl->dma_flags &= ~SG_DMA_SWIOTLB;
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		iommu_dma_sync_sg(dev, sgl, nents, dir, true, d);
	for (i = 0, s = sgl; i < nents && s; i++, s = sg_next_i(s)) {
		uint64_t s_iova_off = s->offset & (g - 1);
		uint64_t s_length = s->length;
		uint64_t pad_len = (mask - iova_len + 1) & mask;

		s->dma_address = s_iova_off;
		s->dma_length = (unsigned)s_length;
		s->offset -= (unsigned)s_iova_off;
		s_length = (s_length + s_iova_off + g - 1) & ~(g - 1);
		s->length = (unsigned)s_length;
		if (pad_len && pad_len < s_length - 1 && prev) {
			prev->length += (unsigned)pad_len;
			iova_len += pad_len;
		}
		iova_len += s_length;
		prev = s;
	}
	if (!iova_len)
		return finalise_sg(dev, sgl, nents, 0);
	iova = alloc_iova(dev, dom, iova_len, dev->dma_mask ? *dev->dma_mask : 0, d);
	if (!iova) {
		invalidate_sg(sgl, nents);
		return -ENOMEM;
	}
	pthread_mutex_lock(&dom->lock);
	at = iova;
	for (i = 0, s = sgl; i < nents && s; i++, s = sg_next_i(s)) {
		if (pt_map(dom, at, sg_phys_i(dev->m, s), s->length, prot)) {
			pt_unmap(dom, iova, at - iova, NULL);
			pthread_mutex_unlock(&dom->lock);
			free_iova_now(dom, iova, iova_len);
			invalidate_sg(sgl, nents);
			dt_step(d, "pgtable", "iommu_map_sg", "failed", "no memory for a page table");
			return -ENOMEM;
		}
		at += s->length;
	}
	pthread_mutex_unlock(&dom->lock);
	dt_step(d, "pgtable", "iommu_map_sg", prot_name(prot),
		"%d entries laid out in one IOVA range of %#llx bytes at %#llx (%llu page(s)), %s for the device",
		nents, (unsigned long long)iova_len, (unsigned long long)iova,
		(unsigned long long)(iova_len / g), prot_name(prot));
	count = finalise_sg(dev, sgl, nents, iova);
	dt_step(d, "merge", "__finalise_sg", "segments",
		"%d entries -> %d DMA segment(s): granule-aligned neighbours merged up to max_seg_size %#llx",
		nents, count, (unsigned long long)dev->max_seg_size);
	note_iova(d, dom, iova, iova_len);
	return count;
}

void iommu_dma_unmap_sg(struct device *dev, struct scatterlist *sgl, int nents,
			enum dma_data_direction dir, unsigned long attrs,
			struct dmapool_decision *d)
{
	struct scatterlist *s = sgl;
	dma_addr_t start = 0, end = 0;
	int i;

	if (!sgl)
		return;
	if (sgl->dma_flags & SG_DMA_SWIOTLB) {
		for (i = 0; i < nents && s; i++, s = sg_next_i(s))
			iommu_dma_unmap_phys(dev, s->dma_address, s->dma_length, dir, attrs,
					     i < 2 ? d : NULL);
		return;
	}
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		iommu_dma_sync_sg(dev, sgl, nents, dir, false, d);
	for (i = 0, s = sgl; i < nents && s; i++, s = sg_next_i(s)) {
		if (!s->dma_length)
			break;
		if (!i)
			start = s->dma_address;
		end = s->dma_address + s->dma_length;
	}
	if (end)
		dma_unmap_i(dev, start, end - start, d);
}

/* ------------------------------------------------------------------ */
/* Coherent allocations (iommu_dma_alloc)                               */

static void alloc_link(struct iommu_domain *dom, struct iommu_alloc *a)
{
	pthread_mutex_lock(&dom->lock);
	a->next = dom->allocs;
	dom->allocs = a;
	pthread_mutex_unlock(&dom->lock);
}

static struct iommu_alloc *alloc_find(struct iommu_domain *dom, const void *cpu,
				      dma_addr_t handle, bool unlink)
{
	struct iommu_alloc **pp, *a = NULL;

	pthread_mutex_lock(&dom->lock);
	for (pp = &dom->allocs; *pp; pp = &(*pp)->next)
		if ((cpu && (*pp)->cpu == cpu) || (!cpu && (*pp)->iova == handle)) {
			a = *pp;
			if (unlink)
				*pp = a->next;
			break;
		}
	pthread_mutex_unlock(&dom->lock);
	return a;
}

/*
 * Pages [pa, pa + len) can join a CPU mapping of bank b that starts at
 * first: they lie in b and, for a cacheable mapping, each has a
 * non-cacheable alias exactly when the first page has one
 * (physmem_map_alias_at() picks the backing by the first page).
 */
static bool mappable_with(const struct pm_bank *b, phys_addr_t first,
			  phys_addr_t pa, size_t len, enum dmapool_attr attr)
{
	uint64_t p0, p, pend;

	if (!b || pa < b->base || pa - b->base > b->size || len > b->size - (pa - b->base))
		return false;
	if (attr != DMAPOOL_ATTR_WB)
		return true;
	p0 = (first - b->base) >> b->pshift;
	pend = (pa + len - b->base) >> b->pshift;
	for (p = (pa - b->base) >> b->pshift; p < pend; p++)
		if (!b->ucnt[p] != !b->ucnt[p0])
			return false;
	return true;
}

/* Remove the CPU mappings of chunks [0, n) of a made at va, newest
 * first: the alias list is newest first, so each is found at its head. */
static void vunmap_chunks(struct dmapool_machine *m, struct iommu_alloc *a,
			  uint8_t *va, size_t n)
{
	size_t ps = m->prof.page_size, off = 0;

	for (size_t i = 0; i < n; i++)
		off += ps << a->chunks[i].order;
	while (n--) {		/* the caller unmaps the whole range */
		size_t len = ps << a->chunks[n].order;

		off -= len;
		if (!a->chunks[n].whole)
			for (size_t k = len; k; k -= ps)
				physmem_unmap_alias_keep(m, va + off + k - ps);
		else if (a->chunks[n].run)
			physmem_unmap_alias_keep(m, va + off);
	}
}

/*
 * physmem vmap of an IA_REMAP allocation's chunks, in order, with one
 * attribute: one alias for each run of physically contiguous chunks that
 * one mapping can cover, else one per page (a 512 MiB buffer is a few
 * hundred aliases, not 131072); NULL on failure.
 */
static void *vmap_chunks(struct dmapool_machine *m, struct iommu_alloc *a,
			 enum dmapool_attr attr)
{
	size_t ps = m->prof.page_size, off = 0;
	uint8_t *va = mmap(NULL, a->npages * ps, PROT_NONE, MAP_PRIVATE |
			   MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (va == MAP_FAILED)
		return NULL;
	for (size_t i = 0, j; i < a->nchunks; i = j) {
		phys_addr_t pa = a->chunks[i].pa;
		const struct pm_bank *b = physmem_bank(m, pa, ps);
		size_t len = ps << a->chunks[i].order, k = 0;
		bool whole = mappable_with(b, pa, pa, len, attr);

		for (j = i + 1; whole && j < a->nchunks &&
		     a->chunks[j].pa == pa + len &&
		     mappable_with(b, pa, a->chunks[j].pa, ps << a->chunks[j].order, attr); j++)
			len += ps << a->chunks[j].order;
		for (size_t c = i; c < j; c++) {
			a->chunks[c].whole = whole;
			a->chunks[c].run = c == i ? (uint32_t)(j - i) : 0;
		}
		if (whole) {
			if (physmem_map_alias_at(m, pa, len, attr, va + off)) {
				off += len;
				continue;
			}
		} else {
			for (k = 0; k < len; k += ps)
				if (!physmem_map_alias_at(m, pa + k, ps, attr, va + off + k))
					break;
			if (k == len) {
				off += len;
				continue;
			}
			while (k) {
				k -= ps;
				physmem_unmap_alias_keep(m, va + off + k);
			}
		}
		vunmap_chunks(m, a, va, i);
		munmap(va, a->npages * ps);
		return NULL;
	}
	return va;
}

static void free_chunks(struct dmapool_machine *m, struct iommu_alloc *a)
{
	for (size_t i = 0; i < a->nchunks; i++)
		buddy_free(m, a->chunks[i].pa, a->chunks[i].order);
}

/* __iommu_dma_alloc_pages(): chunks of the largest order the IOMMU page
 * sizes allow (with __GFP_NORETRY), split into pages; highmem allowed. */
static int alloc_page_chunks(struct device *dev, struct iommu_alloc *a, size_t count,
			     uint64_t order_mask, struct dmapool_decision *d)
{
	struct dmapool_machine *m = dev->m;
	size_t i = 0;
	unsigned zone = zone_configured(&m->prof, ZONE_HIGHMEM) ? GFPI_HIGHMEM : 0;

	order_mask &= (2ULL << m->prof.max_page_order) - 1;
	if (!order_mask)
		return -EINVAL;
	if (count > m->totalram_pages) {
		/* the page allocator could never give that many: fail before
		 * the page array (kvcalloc) that would hold them */
		dt_step(d, "pages", "__iommu_dma_alloc_pages", "failed",
			"%zu page(s): more than the machine's %llu pages of RAM", count,
			(unsigned long long)m->totalram_pages);
		return -ENOMEM;
	}
	a->pages = calloc(count, sizeof(*a->pages));
	a->chunks = calloc(count, sizeof(*a->chunks));
	if (!a->pages || !a->chunks)
		return -ENOMEM;
	while (count) {
		phys_addr_t pa = PHYS_NONE;
		uint64_t order_size = 0;

		for (order_mask &= (2ULL << (fls64_u(count) - 1)) - 1; order_mask;
		     order_mask &= ~order_size) {
			unsigned order = fls64_u(order_mask) - 1;

			order_size = 1ULL << order;
			pa = alloc_pages_i(m, zone | __GFP_NOWARN, order);
			if (pa != PHYS_NONE) {
				a->chunks[a->nchunks].pa = pa;
				a->chunks[a->nchunks].order = order;
				a->nchunks++;
				break;
			}
		}
		if (pa == PHYS_NONE) {
			free_chunks(m, a);
			a->nchunks = 0;
			dt_step(d, "pages", "__iommu_dma_alloc_pages", "failed",
				"no free block for the remaining %zu page(s)", count);
			return -ENOMEM;
		}
		count -= order_size;
		for (uint64_t k = 0; k < order_size; k++)
			a->pages[i++] = pa + (k << m->prof.page_shift);
	}
	a->npages = i;
	return 0;
}

static void *alloc_remap(struct device *dev, size_t size, dma_addr_t *handle,
			 unsigned gfp, unsigned long attrs, struct dmapool_decision *d)
{
	struct dmapool_machine *m = dev->m;
	struct iommu_domain *dom = dev_domain(dev);
	bool coherent = dev_is_dma_coherent_i(dev);
	unsigned prot = dma_info_to_prot(DMA_BIDIRECTIONAL, coherent, attrs);
	uint64_t alloc_sizes = dom->pgsize_bitmap, min_size = alloc_sizes & -alloc_sizes;
	uint64_t ps = m->prof.page_size, iova_len;
	enum dmapool_attr attr = dma_pgprot_attr(dev, attrs);
	struct iommu_alloc *a = calloc(1, sizeof(*a));
	size_t count;
	dma_addr_t iova;
	int rc;

	(void)gfp;
	if (!a)
		return NULL;
	if (min_size < ps) {
		min_size = ps;
		alloc_sizes |= ps;
	} else {
		size = (size + min_size - 1) & ~(min_size - 1);
	}
	if (attrs & DMA_ATTR_ALLOC_SINGLE_PAGES)
		alloc_sizes = min_size;
	count = (size + ps - 1) / ps;
	rc = alloc_page_chunks(dev, a, count, alloc_sizes >> m->prof.page_shift, d);
	if (rc) {
		alloc_rec_free(a);
		return NULL;
	}
	dt_step(d, "pages", "__iommu_dma_alloc_pages", "ok",
		"%zu page(s) in %zu block(s) from the page allocator (orders the IOMMU page sizes allow, largest first; not contiguous)",
		count, a->nchunks);
	iova_len = (size + dom->granule - 1) & ~(dom->granule - 1);
	iova = alloc_iova(dev, dom, iova_len, dev->coherent_dma_mask, d);
	if (!iova)
		goto fail_pages;
	for (size_t i = 0; i < a->npages; i++)
		memset(physmem_cpu(m, a->pages[i], ps), 0, ps);
	if (!(prot & IOMMU_CACHE))
		for (size_t i = 0; i < a->nchunks; i++)
			cache_prep_coherent(m, a->chunks[i].pa, ps << a->chunks[i].order);
	/* chunk by chunk: each is a whole number of IOMMU pages */
	pthread_mutex_lock(&dom->lock);
	{
		uint64_t at = 0;

		for (size_t i = 0; i < a->nchunks; i++) {
			uint64_t len = ps << a->chunks[i].order;

			if (pt_map(dom, iova + at, a->chunks[i].pa, len, prot)) {
				pt_unmap(dom, iova, at, NULL);
				pthread_mutex_unlock(&dom->lock);
				goto fail_iova;
			}
			at += len;
		}
	}
	pthread_mutex_unlock(&dom->lock);
	dt_step(d, "pgtable", "iommu_map_sg", prot_name(prot),
		"%zu page(s) mapped contiguously at IOVA %#llx", count,
		(unsigned long long)iova);
	a->cpu = vmap_chunks(m, a, attr);
	if (!a->cpu) {
		pthread_mutex_lock(&dom->lock);
		pt_unmap(dom, iova, a->npages * ps, NULL);
		pthread_mutex_unlock(&dom->lock);
		goto fail_iova;
	}
	dt_step(d, "remap", "dma_common_pages_remap", "ok",
		"the pages are mapped contiguously for the CPU, %s (dma_pgprot)",
		dmapool_attr_name(attr));
	a->kind = IA_REMAP;
	a->iova = iova;
	a->size = count * ps;
	alloc_link(dom, a);
	note_iova(d, dom, iova, iova_len);
	dt_result(d, "iommu-pages", a->pages[0], iova, a->cpu, attr);
	*handle = iova;
	return a->cpu;
fail_iova:
	free_iova_now(dom, iova, iova_len);
fail_pages:
	free_chunks(m, a);
	alloc_rec_free(a);
	return NULL;
}

void *iommu_dma_alloc(struct device *dev, size_t size, dma_addr_t *handle,
		      unsigned gfp, unsigned long attrs, struct dmapool_decision *d)
{
	struct dmapool_machine *m = dev->m;
	struct iommu_domain *dom = dev_domain(dev);
	bool coherent = dev_is_dma_coherent_i(dev);
	bool blocking = (gfp & __GFP_DIRECT_RECLAIM) != 0;
	unsigned prot = dma_info_to_prot(DMA_BIDIRECTIONAL, coherent, attrs);
	uint64_t ps = m->prof.page_size, alloc_size = (size + ps - 1) & ~(ps - 1);
	struct iommu_alloc *a;
	enum dmapool_attr attr = DMAPOOL_ATTR_WB;
	const char *backend;
	void *cpu = NULL;
	phys_addr_t pa;
	dma_addr_t iova;

	dt_step(d, "iommu", "use_dma_iommu", "yes",
		"the device is in iommu group %d (%s DMA domain): iommu_dma_alloc",
		dev->iommu_group->id, dom_mode(dom));
	if (!size)
		return NULL;
	if (blocking && !(attrs & DMA_ATTR_FORCE_CONTIGUOUS)) {
		dt_step(d, "path", "iommu_dma_alloc", "remap",
			"blocking and not DMA_ATTR_FORCE_CONTIGUOUS: non-contiguous pages behind one IOVA range");
		return alloc_remap(dev, size, handle, gfp, attrs, d);
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	if (m->prof.dma_direct_remap && !blocking && !coherent) {
		dt_step(d, "path", "iommu_dma_alloc", "atomic pool",
			"non-blocking call for a non-coherent device: the atomic pool (no address check: the IOMMU maps it)");
		pa = dma_alloc_from_pool(dev, alloc_size, &cpu, gfp, d);
		if (pa == PHYS_NONE)
			goto fail;
		a->kind = IA_POOL;
		backend = "iommu-atomic";
		attr = physmem_attr(m, cpu);
	} else {
		struct cma_area *area = NULL;

		dt_step(d, "path", "iommu_dma_alloc", "contiguous",
			"%s: physically contiguous pages (CMA, then the page allocator)",
			attrs & DMA_ATTR_FORCE_CONTIGUOUS ? "DMA_ATTR_FORCE_CONTIGUOUS" :
			"non-blocking call for a coherent device");
		pa = dma_alloc_contiguous(dev, alloc_size, gfp, d, &area);
		a->from_cma = pa != PHYS_NONE;
		if (pa == PHYS_NONE) {
			pa = alloc_pages_i(m, zone_configured(&m->prof, ZONE_HIGHMEM) ? GFPI_HIGHMEM : 0,
					   get_order_sz(m, alloc_size));
			if (pa == PHYS_NONE) {
				dt_step(d, "pages", "alloc_pages", "failed",
					"no free block of order %u", get_order_sz(m, alloc_size));
				goto fail;
			}
		}
		backend = a->from_cma ? "iommu-cma" : "iommu-buddy";
		memset(physmem_cpu(m, pa, alloc_size), 0, alloc_size);
		if (!coherent || !phys_to_virt(m, pa) ||
		    (m->highmem_start != PHYS_NONE && m->highmem_start && pa >= m->highmem_start)) {
			attr = dma_pgprot_attr(dev, attrs);
			if (!coherent)
				cache_prep_coherent(m, pa, alloc_size);
			cpu = physmem_map_alias(m, pa, alloc_size, attr);
			if (!cpu) {
				dma_free_contiguous(dev, pa, alloc_size);
				goto fail;
			}
			a->kind = IA_CONTIG_REMAP;
		} else {
			cpu = phys_to_virt(m, pa);
			a->kind = IA_CONTIG;
		}
	}
	a->pa = pa;
	a->cpu = cpu;
	a->size = alloc_size;
	iova = dma_map_i(dev, pa, size, prot, dev->coherent_dma_mask, d);
	if (iova == DMA_ERR) {
		a->iova = DMA_ERR;
		alloc_link(dom, a);
		iommu_dma_free(dev, size, cpu, DMA_ERR, attrs, NULL);
		return NULL;
	}
	a->iova = iova;
	alloc_link(dom, a);
	dt_result(d, backend, pa, iova, cpu, attr);
	*handle = iova;
	return cpu;
fail:
	free(a);
	return NULL;
}

void iommu_dma_free(struct device *dev, size_t size, void *cpu, dma_addr_t handle,
		    unsigned long attrs, struct dmapool_decision *d)
{
	struct dmapool_machine *m = dev->m;
	struct iommu_domain *dom = dev_domain(dev);
	struct iommu_alloc *a;

	(void)attrs;
	a = alloc_find(dom, cpu, handle, true);
	if (!a) {
		dt_step(d, "free", "iommu_dma_free", "unknown",
			"%p is not a coherent allocation of this device's DMA domain", cpu);
		return;
	}
	if (a->iova != DMA_ERR) {
		if (handle != a->iova)
			dt_step(d, "free", "iommu_dma_free", "handle mismatch",
				"the handle %#llx is not the allocation's IOVA %#llx: the allocation's IOVA is unmapped",
				(unsigned long long)handle, (unsigned long long)a->iova);
		dma_unmap_i(dev, a->iova, size ? size : a->size, d);
	}
	switch (a->kind) {
	case IA_POOL:
		dma_free_from_pool(dev, a->cpu, a->size);
		dt_step(d, "free", "dma_free_from_pool", "released", "back to the atomic pool");
		break;
	case IA_REMAP:
		vunmap_chunks(m, a, a->cpu, a->nchunks);
		munmap(a->cpu, a->npages * m->prof.page_size);
		free_chunks(m, a);
		dt_step(d, "free", "__iommu_dma_free_pages", "released",
			"%zu page(s) back to the page allocator", a->npages);
		break;
	case IA_CONTIG_REMAP:
		physmem_unmap_alias(m, a->cpu);
		/* fallthrough */
	case IA_CONTIG:
		dma_free_contiguous(dev, a->pa, a->size);
		dt_step(d, "free", "dma_free_contiguous", "released",
			"%#llx bytes at %#llx back to %s", (unsigned long long)a->size,
			(unsigned long long)a->pa, a->from_cma ? "CMA" : "the page allocator");
		break;
	}
	if (d) {
		d->ok = true;
		d->backend = "iommu";
		d->dma = handle;
		d->phys = a->kind == IA_REMAP ? (a->npages ? a->pages[0] : PHYS_NONE) : a->pa;
	}
	alloc_rec_free(a);
}

int iommu_dma_alloc_pages_of(struct device *dev, void *cpu, dma_addr_t handle,
			     phys_addr_t **pages, size_t *n)
{
	struct iommu_domain *dom = dev_domain(dev);
	struct iommu_alloc *a;
	phys_addr_t *out;
	size_t cnt, ps = dev->m->prof.page_size;

	if (!dom || !(a = alloc_find(dom, cpu, handle, false)))
		return -ENXIO;
	pthread_mutex_lock(&dom->lock);
	cnt = a->kind == IA_REMAP ? a->npages : a->size / ps;
	out = malloc(cnt * sizeof(*out));
	if (out)
		for (size_t i = 0; i < cnt; i++)
			out[i] = a->kind == IA_REMAP ? a->pages[i] : a->pa + i * ps;
	pthread_mutex_unlock(&dom->lock);
	if (!out)
		return -ENOMEM;
	*pages = out;
	*n = cnt;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Device access and faults                                             */

enum { XL_OK, XL_STALE, XL_NOXLATE, XL_PERM };

static int translate(struct iommu_domain *dom, uint64_t iova, bool write, uint64_t *pte)
{
	uint64_t e = pt_lookup(dom, iova);
	int r = XL_OK;

	if (!(e & PTE_VALID)) {
		e = dom->type == DOM_DMA_FQ ? fq_stale(dom, iova) : 0;
		if (!(e & PTE_VALID))
			return XL_NOXLATE;
		r = XL_STALE;
	}
	if (!(e & (write ? PTE_WRITE : PTE_READ)))
		return XL_PERM;
	*pte = e;
	return r;
}

static void smmu_event(struct device *dev, struct iommu_domain *dom, unsigned id,
		       uint64_t iova, bool write, const char *reason, bool stale)
{
	struct dmapool_machine *m = dev->m;
	struct iommu_instance *in = dom->iommu;
	uint32_t sid = dev->n_sids ? dev->sids[0] : 0;
	uint64_t dw[4];

	dw[0] = id | ((uint64_t)sid << 32);
	dw[1] = (write ? 0 : 1ULL << 35) | (2ULL << 40);
	dw[2] = iova;
	dw[3] = 0;
	if (!stale && in->smmuv3) {
		klog(m, "arm-smmu-v3 %s: event 0x%02x received:", in->name, id);
		for (int i = 0; i < 4; i++)
			klog(m, "arm-smmu-v3 %s: \t0x%016llx", in->name, (unsigned long long)dw[i]);
	} else if (!stale) {
		/* other IOMMU drivers word it their own way: one line */
		klog(m, "libdmapool: %s: IOMMU %s fault at iova 0x%llx (stream 0x%x, %s)",
		     in->name, id == 0x13 ? "permission" : "translation",
		     (unsigned long long)iova, sid, write ? "write" : "read");
	}
	report_ex(m, stale ? "iommu-stale-iotlb" : "iommu-fault", dev, iova, 0, PHYS_NONE,
		  PHYS_NONE,
		  "[device=%s] [iommu=%s] [sid=0x%x] [iova=0x%llx] [%s] %s",
		  dev->name, in->name, sid, (unsigned long long)iova,
		  write ? "write" : "read", reason);
}

int iommu_dev_access(struct device *dev, dma_addr_t addr, void *buf, size_t len,
		     bool write)
{
	struct dmapool_machine *m = dev->m;
	struct iommu_domain *dom = dev_domain(dev);
	uint64_t g = dom->granule, off;
	bool stale_seen = false;
	int rc = 0;

	if (addr + (len - 1) < addr) {
		smmu_event(dev, dom, 0x10, addr, write,
			   "IOMMU fault: F_TRANSLATION (event 0x10): the access wraps the IOVA space; nothing was transferred. Fix: access only addresses that dma_map_*() or dma_alloc_*() returned.",
			   false);
		return -EFAULT;
	}
	pthread_mutex_lock(&dom->lock);
	/* every page first: a fault transfers nothing */
	for (off = 0; off < len;) {
		uint64_t iova = addr + off, pte = 0;
		uint64_t chunk = g - (iova & (g - 1));
		int x = translate(dom, iova, write, &pte);

		if (x == XL_NOXLATE || x == XL_PERM) {
			uint64_t any = pt_lookup(dom, iova);
			char why[512];

			pthread_mutex_unlock(&dom->lock);
			if (x == XL_NOXLATE)
				snprintf(why, sizeof(why),
					 "IOMMU fault: F_TRANSLATION (event 0x10): no translation for IOVA 0x%llx (never mapped, or unmapped%s); the access was aborted and nothing was transferred. Fix: the device may only use addresses between dma_map_*() and dma_unmap_*() (or dma_alloc_*() and dma_free_*()).",
					 (unsigned long long)iova,
					 dom->type == DOM_DMA_FQ ? " and the IOTLB flushed" : "");
			else
				snprintf(why, sizeof(why),
					 "IOMMU fault: F_PERMISSION (event 0x13): IOVA 0x%llx is mapped %s for the device and it tried to %s it; the access was aborted and nothing was transferred. Fix: map the buffer with the direction the device uses (DMA_TO_DEVICE: device reads; DMA_FROM_DEVICE: device writes; DMA_BIDIRECTIONAL: both).",
					 (unsigned long long)iova,
					 (any & PTE_VALID) ? ((any & PTE_WRITE) ? "write-only" : "read-only") :
					 "(through the stale IOTLB entry)",
					 write ? "write" : "read");
			smmu_event(dev, dom, x == XL_NOXLATE ? 0x10 : 0x13, iova, write, why, false);
			return -EFAULT;
		}
		if (x == XL_STALE && !stale_seen) {
			char why[512];

			stale_seen = true;
			snprintf(why, sizeof(why),
				 "use after unmap: IOVA 0x%llx was unmapped, but in lazy mode the IOTLB still holds its translation (to phys 0x%llx) until the flush queue is flushed, so the %s went through; it would fault after IOTLB flush (F_TRANSLATION). Fix: stop the device before dma_unmap_*(); iommu.strict=1 makes this a fault at once.",
				 (unsigned long long)iova,
				 (unsigned long long)pte_phys(dom, pte, iova),
				 write ? "write" : "read");
			pthread_mutex_unlock(&dom->lock);
			smmu_event(dev, dom, 0x10, iova, write, why, true);
			pthread_mutex_lock(&dom->lock);
		}
		off += chunk;
	}
	/* transfer, one physically contiguous run at a time */
	for (off = 0; off < len && rc == 0;) {
		uint64_t iova = addr + off, pte = 0;
		uint64_t chunk = g - (iova & (g - 1));
		phys_addr_t pa;
		struct dbg_entry *e;

		translate(dom, iova, write, &pte);
		pa = pte_phys(dom, pte, iova);
		if (chunk > len - off)
			chunk = len - off;
		pthread_mutex_unlock(&dom->lock);
		if (!physmem_dram(m, pa, chunk)) {
			report(m, "dev-unmapped", dev, iova, chunk,
			       "[device=%s] [iova=0x%llx] [phys=0x%llx] [size=%llu] the IOVA translates to memory outside RAM (an MMIO mapping); the model transfers nothing there",
			       dev->name, (unsigned long long)iova, (unsigned long long)pa,
			       (unsigned long long)chunk);
			rc = -EFAULT;
		} else {
			e = debug_find(dev, iova, chunk, -1);
			cache_dev_access(dev, e, pa, (uint8_t *)buf + off, chunk, write);
		}
		off += chunk;
		pthread_mutex_lock(&dom->lock);
	}
	pthread_mutex_unlock(&dom->lock);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Descriptions (inspect, JSON)                                         */

size_t iommu_count(const struct dmapool_machine *m)
{
	return m->iommu.n_inst;
}

int iommu_get_info(struct dmapool_machine *m, size_t i, struct iommu_info *out)
{
	struct iommu_instance *in;

	if (i >= m->iommu.n_inst)
		return -ENOENT;
	in = m->iommu.inst[i];
	memset(out, 0, sizeof(*out));
	out->name = in->name;
	out->node = in->node;
	out->smmuv3 = in->smmuv3;
	out->sid_bits = in->sid_bits;
	out->ias = in->ias;
	out->granule = in->pgsize_bitmap & -in->pgsize_bitmap;
	out->pgsize_bitmap = in->pgsize_bitmap;
	out->n_streams = in->n_streams;
	out->n_l2 = in->n_l2;
	out->cmdq = in->cmdq ? (phys_addr_t)in->cmdq_dma : PHYS_NONE;
	out->evtq = in->evtq ? (phys_addr_t)in->evtq_dma : PHYS_NONE;
	pthread_mutex_lock(&m->iommu.lock);
	for (struct iommu_group *g = m->iommu.groups; g; g = g->next)
		if (g->iommu == in)
			out->n_groups++;
	pthread_mutex_unlock(&m->iommu.lock);
	return 0;
}

void iommu_probe_all(struct dmapool_machine *m)
{
	for (size_t i = 0; i < m->n_devs; i++)
		if (m->devs[i]->iommu_node >= 0)
			iommu_dev_probe(m->devs[i]);
}
