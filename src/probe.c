/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The probe driver (models the oracle's test module, dmaprobe.ko, which
 * the real kernel runs on "libdmapool,probe" nodes).  It is what
 * "dmapool run" executes, so that one device tree gives the same lines on
 * the real kernel and here.
 *
 * For each probe device, in tree order: dma_set_mask_and_coherent() with
 * probe,dma-bits (default 32), of_reserved_mem_device_init_by_idx() for
 * probe,region-index or for every memory-region entry, then the
 * probe,ops pairs: 1 SIZE dma_alloc_coherent(GFP_KERNEL), 2 SIZE
 * dma_alloc_coherent(GFP_ATOMIC), 9 SIZE dma_alloc_attrs(GFP_KERNEL,
 * WRITE_COMBINE), 3 IDX free allocation #IDX.  Every creating op takes
 * the next index of one list of at most 64 entries, failed ones included.
 * The lines are the module's dev_info() lines.
 *
 * Left out: the streaming ops (4-8, 10) need the streaming API; until it
 * exists they take their index and print a "libdmapool:" note instead of
 * the module's line.  Nothing is released at the end (the oracle never
 * removes the driver); the machine's destruction frees everything.
 */
#include <libfdt.h>

#include "internal.h"

#define PROBE_MAX_ENTRIES 64

enum probe_kind { PE_NONE, PE_COHERENT, PE_COHERENT_ATTRS, PE_MAPPING, PE_FREED };

struct probe_entry {
	enum probe_kind kind;
	void *cpu;
	dma_addr_t dma;
	uint32_t size;
	unsigned long attrs;
};

static void probe_alloc(struct device *dev, struct probe_entry *e, int idx,
			uint32_t op, uint32_t size)
{
	unsigned gfp = op == 2 ? GFP_ATOMIC : GFP_KERNEL;
	unsigned long attrs = op == 9 ? DMA_ATTR_WRITE_COMBINE : 0;
	dma_addr_t h = 0;
	void *v;

	/* dma_alloc_coherent() passes DMA_ATTR_NO_WARN only for __GFP_NOWARN */
	v = dma_alloc_attrs(dev, size, &h, gfp, attrs);
	e->kind = v ? (op == 9 ? PE_COHERENT_ATTRS : PE_COHERENT) : PE_NONE;
	e->cpu = v;
	e->dma = v ? h : 0;
	e->size = size;
	e->attrs = attrs;
	if (op == 9)
		dev_klog(dev, "dmaprobe: alloc #%d size=0x%x gfp=KERNEL attrs=WRITE_COMBINE -> %s dma=0x%016llx",
			 idx, size, v ? "ok" : "FAILED", (unsigned long long)e->dma);
	else
		dev_klog(dev, "dmaprobe: alloc #%d size=0x%x gfp=%s -> %s dma=0x%016llx",
			 idx, size, op == 1 ? "KERNEL" : "ATOMIC",
			 v ? "ok" : "FAILED", (unsigned long long)e->dma);
}

static void run_one(struct device *dev)
{
	struct dmapool_machine *m = dev->m;
	const void *fdt = m->fdt;
	struct probe_entry *e;
	const fdt32_t *ops;
	uint32_t bits = 32;
	int len = 0, nops, n = 0, ret;
	const fdt32_t *p;

	e = calloc(PROBE_MAX_ENTRIES, sizeof(*e));
	if (!e) {
		dev_klog(dev, "dmaprobe: probe failed: -12");
		return;
	}
	ops = fdt_getprop(fdt, dev->node, "probe,ops", &len);
	nops = ops && len > 0 ? len / 4 : 0;

	p = fdt_getprop(fdt, dev->node, "probe,dma-bits", &len);
	if (p && len >= 4)
		bits = fdt32_to_cpu(p[0]);
	{
		uint64_t mask = bits >= 64 ? ~0ULL : (1ULL << bits) - 1;

		ret = dma_set_mask(dev, mask);
		if (ret == 0)
			dma_set_coherent_mask(dev, mask);
	}
	dev_klog(dev, "dmaprobe: dma-bits=%u set_mask ret=%d coherent=%d",
		 bits, ret, dev->coherent ? 1 : 0);
	for (int i = 0; i + 1 < nops; i += 2)
		if (fdt32_to_cpu(ops[i]) >= 4) {
			dev_klog(dev, "dmaprobe: swiotlb=%d max_mapping_size=0x%zx",
				 (dev->restricted ? dev->restricted : &m->swiotlb)->present ? 1 : 0,
				 dma_max_mapping_size(dev));
			break;
		}

	p = fdt_getprop(fdt, dev->node, "probe,region-index", &len);
	if (p && len >= 4) {
		uint32_t idx = fdt32_to_cpu(p[0]);

		ret = of_reserved_mem_device_init_by_idx(dev, &dev->of_node, (int)idx);
		dev_klog(dev, "dmaprobe: memory-region[%u] init ret=%d", idx, ret);
	} else {
		for (size_t i = 0; i < dev->n_mr; i++) {
			ret = of_reserved_mem_device_init_by_idx(dev, &dev->of_node, (int)i);
			dev_klog(dev, "dmaprobe: memory-region[%zu] init ret=%d", i, ret);
		}
	}

	for (int i = 0; i + 1 < nops; i += 2) {
		uint32_t op = fdt32_to_cpu(ops[i]), arg = fdt32_to_cpu(ops[i + 1]);

		switch (op) {
		case 1: case 2: case 9:
			if (n >= PROBE_MAX_ENTRIES)
				goto done;
			probe_alloc(dev, &e[n], n, op, arg);
			n++;
			break;
		case 4: case 6: case 7: case 8: case 10:
			if (n >= PROBE_MAX_ENTRIES)
				goto done;
			e[n].kind = PE_MAPPING;
			klog(m, "libdmapool: %s: probe op %u (#%d): streaming mappings are not modelled yet",
			     dev->name, op, n);
			n++;
			break;
		case 3:
			if (arg < (uint32_t)n && (e[arg].kind == PE_COHERENT ||
						  e[arg].kind == PE_COHERENT_ATTRS)) {
				dma_free_attrs(dev, e[arg].size, e[arg].cpu, e[arg].dma,
					       e[arg].attrs);
				e[arg].kind = PE_FREED;
				dev_klog(dev, "dmaprobe: free #%u dma=0x%016llx", arg,
					 (unsigned long long)e[arg].dma);
			} else {
				dev_klog(dev, "dmaprobe: free #%u: nothing to free", arg);
			}
			break;
		case 5:
			dev_klog(dev, "dmaprobe: unmap #%u: nothing to unmap", arg);
			break;
		default:
			break;
		}
	}
done:
	dev_klog(dev, "dmaprobe: done");
	free(e);
}

DMAPOOL_API int dmapool_run_probes(struct dmapool_machine *m)
{
	int count = 0;

	if (!m)
		return -EINVAL;
	for (size_t i = 0; i < m->n_devs; i++) {
		struct device *dev = m->devs[i];

		if (!dev->is_probe)
			continue;
		run_one(dev);
		/* the driver core moves on to the next device: the workqueue
		 * gets the CPU (atomic pool refills happen here on the oracle) */
		atomic_pool_run_work(m);
		count++;
	}
	return count;
}
