/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Devices: one struct device per enabled device-tree node with a
 * "compatible", configured for DMA the way a platform device is when its
 * driver binds.  Models drivers/of/platform.c (which nodes become devices,
 * of_device_make_bus_id naming), drivers/base/platform.c (32-bit default
 * masks, 64 KiB segments, no boundary), drivers/of/device.c
 * of_dma_configure_id (masks and bus limit from dma-ranges, coherency,
 * the automatic restricted-dma-pool attachment) and drivers/of/address.c
 * of_dma_get_range / of_dma_is_coherent / of_dma_get_max_cpu_address, plus
 * the dma_range_map translations of include/linux/dma-direct.h and the
 * test's device-side access by DMA address.
 *
 * Left out: the simple-bus rule of of_platform_populate (every compatible
 * node below an enabled parent is a device here, except under /chosen,
 * /aliases, /cpus, /memory and /reserved-memory), auxdata names, probe
 * deferral, "interconnects" DMA parents, iommu-map and ACPI.  The IOMMU
 * itself is iommu.c's (this file records the first "iommus" entry).
 */
#include "internal.h"

#include <limits.h>
#include <strings.h>

#include <libfdt.h>

static uint64_t dma_bit_mask(unsigned n)
{
	return n >= 64 ? ~0ULL : (1ULL << n) - 1;
}

/* ------------------------------------------------------------------ */
/* Small helpers */

static char *node_path_dup(const void *fdt, int node)
{
	size_t len = 128;

	for (;;) {
		char *buf = malloc(len);
		int err;

		if (!buf)
			return NULL;
		err = fdt_node_path(fdt, node, buf, (int)len);
		if (!err)
			return buf;
		free(buf);
		if (err != -FDT_ERR_NOSPACE || len > (1u << 20))
			return strdup("?");
		len *= 2;
	}
}

static int node_parent(const void *fdt, int node)
{
	return node > 0 ? fdt_parent(fdt, node) : -1;
}

/* Node name without the unit address (%pOFn). */
static int base_name_len(const char *full)
{
	return (int)strcspn(full, "@");
}

const char *dev_driver_string(const struct device *dev)
{
	if (!dev)
		return "";
	return dev->drv_name ? dev->drv_name : "platform";
}

/* ------------------------------------------------------------------ */
/* Naming (of_device_make_bus_id) */

/*
 * Walk up from the node: the first ancestor-or-self whose "reg" translates
 * to a CPU address gives "<addr>.<name>" and ends the name; every node
 * passed on the way is prepended by its full name, joined with ':'.
 */
static char *make_bus_id(const void *fdt, int node)
{
	char *name = NULL;

	for (int cur = node; cur > 0; cur = node_parent(fdt, cur)) {
		const char *full = fdt_get_name(fdt, cur, NULL);
		const uint32_t *reg, *mask;
		char *nn = NULL;
		uint64_t addr;
		int len, mlen, na;
		int r;

		if (!full)
			full = "?";
		reg = fdt_getprop(fdt, cur, "reg", &len);
		na = fdt_n_cells(fdt, cur, "#address-cells");
		if (reg && na > 0 && na <= len / 4 &&
		    !fdt_translate_address(fdt, cur, fdt_read_cells(reg, na),
					   &addr)) {
			mask = fdt_getprop(fdt, cur, "mask", &mlen);
			if (mask && mlen == 4)
				r = asprintf(&nn, "%llx.%x.%.*s%s%s",
					     (unsigned long long)addr,
					     (unsigned)(ffs((int)fdt_read_cells(mask, 1)) - 1),
					     base_name_len(full), full,
					     name ? ":" : "", name ? name : "");
			else
				r = asprintf(&nn, "%llx.%.*s%s%s",
					     (unsigned long long)addr,
					     base_name_len(full), full,
					     name ? ":" : "", name ? name : "");
			free(name);
			return r < 0 ? NULL : nn;
		}
		r = asprintf(&nn, "%s%s%s", full, name ? ":" : "",
			     name ? name : "");
		free(name);
		if (r < 0)
			return NULL;
		name = nn;
	}
	return name ? name : strdup("");
}

/* First label of the node in /__symbols__ (dtc -@), or NULL. */
static int find_label(const void *fdt, const char *path, char **out)
{
	int sym, prop;

	*out = NULL;
	sym = fdt_symbols_node(fdt);
	if (sym < 0)
		return 0;
	fdt_for_each_property_offset(prop, fdt, sym) {
		const char *name, *val;
		int len;

		val = fdt_getprop_by_offset(fdt, prop, &name, &len);
		if (!val || len <= 0 || val[len - 1] != '\0' || !name)
			continue;
		if (!strcmp(val, path)) {
			*out = strdup(name);
			return *out ? 0 : -ENOMEM;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* DMA configuration */

static bool of_dma_is_coherent(struct dmapool_machine *m, int node)
{
	const void *fdt = m->fdt;

	if (m->prof.all_coherent)
		return true;
	for (int cur = node; cur >= 0; cur = node_parent(fdt, cur)) {
		if (fdt_getprop(fdt, cur, "dma-coherent", NULL))
			return true;
		if (fdt_getprop(fdt, cur, "dma-noncoherent", NULL))
			return false;
	}
	return m->prof.default_coherent;
}

/*
 * of_dma_get_range() from the device's bus node: empty dma-ranges are
 * skipped; the first node looked at may lack the property, any later one
 * may not.  0 with a map, -ENODEV (none), -EINVAL (nothing usable),
 * -ENOMEM.
 */
static int of_dma_get_range(struct dmapool_machine *m, int bus,
			    struct bus_dma_region **map, size_t *nmap)
{
	const void *fdt = m->fdt;
	struct fdt_dma_range *r;
	struct bus_dma_region *out;
	bool found = false;
	size_t n, usable = 0, j = 0;
	int node = bus, len = 0, err;

	*map = NULL;
	*nmap = 0;
	while (node >= 0) {
		const void *p = fdt_getprop(fdt, node, "dma-ranges", &len);

		if (p && len > 0)
			break;
		if (found && !p)
			return -ENODEV;
		found = true;
		node = node_parent(fdt, node);
	}
	if (node < 0)
		return -ENODEV;

	err = fdt_parse_dma_ranges(fdt, node, &r, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		if (r[i].cpu_addr == FDT_BAD_ADDR) {
			char *path = node_path_dup(fdt, node);

			klog(m, "OF: translation of DMA address(%llx) to CPU address failed node(%s)",
			     (unsigned long long)r[i].bus_addr,
			     path ? path : "?");
			free(path);
			continue;
		}
		usable++;
	}
	if (!usable) {
		free(r);
		return -EINVAL;
	}
	out = calloc(usable + 1, sizeof(*out));	/* size-0 terminator */
	if (!out) {
		free(r);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (r[i].cpu_addr == FDT_BAD_ADDR)
			continue;
		out[j].cpu_start = r[i].cpu_addr;
		out[j].dma_start = r[i].bus_addr;
		out[j].size = r[i].size;
		j++;
	}
	free(r);
	*map = out;
	*nmap = usable;
	return 0;
}

/* of_dma_configure_id() for a platform device whose node is dev->node. */
static int of_dma_configure(struct device *dev)
{
	struct dmapool_machine *m = dev->m;
	struct bus_dma_region *map;
	size_t nmap;
	uint64_t end = 0, mask;
	int ret;

	ret = of_dma_get_range(m, node_parent(m->fdt, dev->node), &map, &nmap);
	if (ret == -ENOMEM)
		return ret;
	if (!ret) {
		for (size_t i = 0; i < nmap && map[i].size; i++) {
			uint64_t e = map[i].dma_start + map[i].size - 1;

			if (e > end)
				end = e;
		}
	}
	if (!end)
		end = dev->coherent_dma_mask ? dev->coherent_dma_mask
					     : dma_bit_mask(32);
	mask = dma_bit_mask(fls64_u(end));
	dev->coherent_dma_mask &= mask;
	*dev->dma_mask &= mask;
	if (!ret) {
		dev->bus_dma_limit = end;
		dev->dma_range_map = map;
		dev->n_ranges = nmap;
	}
	dev->coherent = of_dma_is_coherent(m, dev->node);
	return 0;
}

/*
 * of_dma_set_restricted_buffer(): for a device not behind an IOMMU, the
 * first available restricted-dma-pool among its memory-region entries is
 * attached (of_reserved_mem_device_init_by_idx).
 */
static void of_dma_set_restricted_buffer(struct device *dev)
{
	struct dmapool_machine *m = dev->m;
	const void *fdt = m->fdt;
	struct reserved_mem *rmem;
	int target = -1, ret;

	if (!m->prof.dma_restricted_pool)
		return;
	if (dev->iommu_node >= 0 && fdt_node_is_available(fdt, dev->iommu_node))
		return;
	for (size_t i = 0; i < dev->n_mr; i++) {
		int t = dev->mr_nodes[i];

		if (t >= 0 &&
		    !fdt_node_check_compatible(fdt, t, "restricted-dma-pool") &&
		    fdt_node_is_available(fdt, t)) {
			target = t;
			break;
		}
	}
	if (target < 0)
		return;
	rmem = rmem_find_by_node(m, target);
	if (!rmem || !rmem->ops || !rmem->ops->device_init ||
	    dev->n_assigned >= ARRAY_SIZE(dev->assigned))
		ret = -EINVAL;
	else
		ret = rmem->ops->device_init(rmem, dev);
	if (ret) {
		klog(m, "%s %s: failed to initialise \"restricted-dma-pool\" memory node",
		     dev_driver_string(dev), dev->name);
		return;
	}
	dev->assigned[dev->n_assigned++] = rmem;
	klog(m, "%s %s: assigned reserved memory node %s",
	     dev_driver_string(dev), dev->name, rmem->name);
}

/* ------------------------------------------------------------------ */
/* Consumer properties */

static int read_memory_regions(struct device *dev)
{
	const void *fdt = dev->m->fdt;
	const uint32_t *p;
	int len, cnt;

	p = fdt_getprop(fdt, dev->node, "memory-region", &len);
	if (p && len >= 4) {
		size_t n = (size_t)len / 4;

		dev->mr_nodes = calloc(n, sizeof(*dev->mr_nodes));
		if (!dev->mr_nodes)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			uint32_t ph = (uint32_t)fdt_read_cells(p + i, 1);
			int t = -1;

			if (ph && ph != 0xffffffffu)
				t = fdt_phandle_node(fdt, ph);
			dev->mr_nodes[i] = t < 0 ? -1 : t;
		}
		dev->n_mr = n;
	}

	cnt = fdt_stringlist_count(fdt, dev->node, "memory-region-names");
	if (cnt > 0) {
		dev->mr_names = calloc((size_t)cnt, sizeof(*dev->mr_names));
		if (!dev->mr_names)
			return -ENOMEM;
		dev->n_mr_names = (size_t)cnt;
		for (int i = 0; i < cnt; i++) {
			const char *s = fdt_stringlist_get(fdt, dev->node,
							   "memory-region-names",
							   i, NULL);

			dev->mr_names[i] = strdup(s ? s : "");
			if (!dev->mr_names[i])
				return -ENOMEM;
		}
	}
	return 0;
}

/*
 * First "iommus" specifier, as of_parse_phandle_with_args(..., "#iommu-cells")
 * reads it: a dangling phandle, a target without #iommu-cells or a
 * too-short list leave the device without an IOMMU.
 */
static void read_iommus(struct device *dev)
{
	const void *fdt = dev->m->fdt;
	const uint32_t *p;
	int len, target, cells;

	dev->iommu_node = -1;
	dev->iommu_nargs = 0;
	p = fdt_getprop(fdt, dev->node, "iommus", &len);
	if (!p || len < 4)
		return;
	target = fdt_phandle_node(fdt, (uint32_t)fdt_read_cells(p, 1));
	if (target < 0)
		return;
	cells = fdt_cells(fdt, target, "#iommu-cells", -1);
	if (cells < 0 || cells > len / 4 - 1)	/* no 1 + cells: it may overflow */
		return;
	dev->iommu_node = target;
	dev->iommu_nargs = cells > (int)ARRAY_SIZE(dev->iommu_args)
			   ? (int)ARRAY_SIZE(dev->iommu_args) : cells;
	for (int i = 0; i < dev->iommu_nargs; i++)
		dev->iommu_args[i] = (uint32_t)fdt_read_cells(p + 1 + i, 1);
}

/* ------------------------------------------------------------------ */
/* Creation */

static void device_free(struct device *dev)
{
	if (!dev)
		return;
	if (dev->m) {
		coherent_release_declared(dev);
		debug_release_device(dev);
	}
	dt_free_device(dev);
	free(dev->name);
	free(dev->path);
	free(dev->label);
	free(dev->dma_range_map);
	free(dev->mr_nodes);
	for (size_t i = 0; i < dev->n_mr_names; i++)
		free(dev->mr_names[i]);
	free(dev->mr_names);
	free(dev);
}

static int device_create(struct dmapool_machine *m, int node,
			 struct device **out)
{
	const void *fdt = m->fdt;
	struct device *dev;
	int err = -ENOMEM;

	*out = NULL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->m = m;
	dev->node = node;
	dev->of_node.m = m;
	dev->of_node.offset = node;
	dev->iommu_node = -1;
	/* drivers/base/platform.c defaults */
	dev->coherent_dma_mask = dma_bit_mask(32);
	dev->dma_mask_store = dma_bit_mask(32);
	dev->dma_mask = &dev->dma_mask_store;
	dev->max_seg_size = 65536;
	dev->seg_boundary = ~0ULL;
	dev->is_probe = fdt_stringlist_search(fdt, node, "compatible",
					      "libdmapool,probe") >= 0;
	dev->drv_name = dev->is_probe ? "dmaprobe" : NULL;

	dev->path = node_path_dup(fdt, node);
	dev->name = make_bus_id(fdt, node);
	if (!dev->path || !dev->name)
		goto fail;
	if (find_label(fdt, dev->path, &dev->label))
		goto fail;
	if (read_memory_regions(dev))
		goto fail;
	read_iommus(dev);
	err = of_dma_configure(dev);
	if (err)
		goto fail;
	*out = dev;
	return 0;
fail:
	device_free(dev);
	return err;
}

/* Top-level nodes whose subtree never holds platform devices here. */
static bool skipped_top_node(const void *fdt, int node)
{
	static const char *const names[] = {
		"reserved-memory", "chosen", "aliases", "cpus", "memory",
		"__symbols__", "__fixups__", "__local_fixups__",
	};
	const char *full = fdt_get_name(fdt, node, NULL);
	const char *type;
	int len, bl;

	if (!full)
		return true;
	bl = base_name_len(full);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if ((int)strlen(names[i]) == bl && !strncmp(full, names[i], (size_t)bl))
			return true;
	type = fdt_getprop(fdt, node, "device_type", &len);
	return type && len > 0 && !strncmp(type, "memory", (size_t)len);
}

int devices_init(struct dmapool_machine *m)
{
	const void *fdt = m->fdt;
	size_t cap = 0;
	int depth = 0, skip_depth = INT_MAX;
	bool deep_warned = false;

	m->devs = NULL;
	m->n_devs = 0;
	if (!fdt)
		return 0;
	for (int node = 0; node >= 0; node = fdt_next_node(fdt, node, &depth)) {
		struct device *dev;
		int err;

		if (depth < 0)
			break;
		if (depth > skip_depth)
			continue;
		skip_depth = INT_MAX;
		if (depth == 0)
			continue;
		/* unflatten_dt_nodes: WARN_ON_ONCE(depth >= FDT_MAX_DEPTH - 1),
		 * the node and its subtree are left out of the live tree */
		if (depth >= 63) {
			if (!deep_warned)
				klog(m, "libdmapool: %s: deeper than 63 levels: left out of the device tree, as Linux 6.12 does (WARN in unflatten_dt_nodes)",
				     fdt_get_name(fdt, node, NULL) ? fdt_get_name(fdt, node, NULL) : "?");
			deep_warned = true;
			skip_depth = depth;
			continue;
		}
		if ((depth == 1 && skipped_top_node(fdt, node)) ||
		    !fdt_node_is_available(fdt, node)) {
			skip_depth = depth;
			continue;
		}
		if (!fdt_getprop(fdt, node, "compatible", NULL))
			continue;

		if (m->n_devs == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct device **nd = realloc(m->devs, ncap * sizeof(*nd));

			if (!nd) {
				devices_free(m);
				return -ENOMEM;
			}
			m->devs = nd;
			cap = ncap;
		}
		err = device_create(m, node, &dev);
		if (err) {
			devices_free(m);
			return err;
		}
		m->devs[m->n_devs++] = dev;
	}
	/* Restricted pools attach once every device exists, in tree order. */
	for (size_t i = 0; i < m->n_devs; i++)
		of_dma_set_restricted_buffer(m->devs[i]);
	return 0;
}

void devices_free(struct dmapool_machine *m)
{
	/* driver unbind first: managed dma_pools go back to their device
	 * while every pool they came from still exists */
	for (size_t i = 0; i < m->n_devs; i++)
		dmapool_release_device(m->devs[i]);
	for (size_t i = 0; i < m->n_devs; i++)
		device_free(m->devs[i]);
	free(m->devs);
	m->devs = NULL;
	m->n_devs = 0;
}

/* ------------------------------------------------------------------ */
/* Translation (include/linux/dma-direct.h) */

dma_addr_t phys_to_dma(const struct device *dev, phys_addr_t pa)
{
	if (!dev->dma_range_map)
		return pa;
	/* Like the kernel, a size-0 entry ends the map. */
	for (size_t i = 0; i < dev->n_ranges && dev->dma_range_map[i].size; i++) {
		const struct bus_dma_region *r = &dev->dma_range_map[i];

		if (pa >= r->cpu_start && pa - r->cpu_start < r->size)
			return r->dma_start + (pa - r->cpu_start);
	}
	return DMA_ERR;
}

phys_addr_t dma_to_phys(const struct device *dev, dma_addr_t addr)
{
	if (!dev->dma_range_map)
		return addr;
	/* Like the kernel, a size-0 entry ends the map. */
	for (size_t i = 0; i < dev->n_ranges && dev->dma_range_map[i].size; i++) {
		const struct bus_dma_region *r = &dev->dma_range_map[i];

		if (addr >= r->dma_start && addr - r->dma_start < r->size)
			return r->cpu_start + (addr - r->dma_start);
	}
	return PHYS_NONE;
}

bool dma_capable(const struct device *dev, dma_addr_t addr, size_t size)
{
	dma_addr_t end = addr + size - 1;
	uint64_t mask = dev->dma_mask ? *dev->dma_mask : 0;

	if (addr == DMA_ERR)
		return false;
	return end <= min_not_zero_u64(mask, dev->bus_dma_limit);
}

static uint64_t max_cpu_address(const void *fdt, int node, int depth)
{
	uint64_t max = UINT64_MAX;
	const void *p;
	int len, child;

	p = fdt_getprop(fdt, node, "dma-ranges", &len);
	if (p && len > 0) {
		struct fdt_dma_range *r = NULL;
		uint64_t cpu_end = 0;
		size_t n = 0;

		/* Out of memory counts as no ranges: a lower bound stays. */
		if (!fdt_parse_dma_ranges(fdt, node, &r, &n)) {
			/* The kernel's arithmetic, wrap-around for an
			 * untranslatable entry included. */
			for (size_t i = 0; i < n; i++)
				if (r[i].cpu_addr + r[i].size > cpu_end)
					cpu_end = r[i].cpu_addr + r[i].size - 1;
			free(r);
		}
		if (max > cpu_end)
			max = cpu_end;
	}
	if (depth > 64)
		return max;
	fdt_for_each_subnode(child, fdt, node) {
		uint64_t sub;

		if (!fdt_node_is_available(fdt, child))
			continue;
		sub = max_cpu_address(fdt, child, depth + 1);
		if (max > sub)
			max = sub;
	}
	return max;
}

uint64_t of_dma_get_max_cpu_address(struct dmapool_machine *m)
{
	if (!m || !m->fdt)
		return UINT64_MAX;
	return max_cpu_address(m->fdt, 0, 0);
}

/* ------------------------------------------------------------------ */
/* Public API */

static struct device *find_by_path(struct dmapool_machine *m, const char *path)
{
	if (!path)
		return NULL;
	for (size_t i = 0; i < m->n_devs; i++)
		if (!strcmp(m->devs[i]->path, path))
			return m->devs[i];
	return NULL;
}

static const char *symbol_path(const void *fdt, const char *label)
{
	const char *val;
	int sym, len;

	sym = fdt_path_offset(fdt, "/__symbols__");
	if (sym < 0)
		return NULL;
	val = fdt_getprop(fdt, sym, label, &len);
	if (!val || len <= 0 || val[len - 1] != '\0')
		return NULL;
	return val;
}

DMAPOOL_API struct device *dmapool_device_find(struct dmapool_machine *m,
					       const char *name)
{
	struct device *dev;

	if (!m || !name || !*name)
		return NULL;
	dev = find_by_path(m, name);
	if (dev)
		return dev;
	for (size_t i = 0; i < m->n_devs; i++) {
		const char *nn = fdt_get_name(m->fdt, m->devs[i]->node, NULL);

		if (nn && !strcmp(nn, name))
			return m->devs[i];
	}
	for (size_t i = 0; i < m->n_devs; i++)
		if (!strcmp(m->devs[i]->name, name))
			return m->devs[i];
	for (size_t i = 0; i < m->n_devs; i++)
		if (m->devs[i]->label && !strcmp(m->devs[i]->label, name))
			return m->devs[i];
	dev = find_by_path(m, symbol_path(m->fdt, name));
	if (dev)
		return dev;
	return find_by_path(m, fdt_get_alias(m->fdt, name));
}

DMAPOOL_API size_t dmapool_device_count(struct dmapool_machine *m)
{
	return m ? m->n_devs : 0;
}

DMAPOOL_API struct device *dmapool_device_at(struct dmapool_machine *m,
					     size_t i)
{
	return (m && i < m->n_devs) ? m->devs[i] : NULL;
}

DMAPOOL_API const char *dmapool_device_name(const struct device *dev)
{
	return dev ? dev->name : NULL;
}

DMAPOOL_API const char *dmapool_device_path(const struct device *dev)
{
	return dev ? dev->path : NULL;
}

DMAPOOL_API struct dmapool_machine *dmapool_device_machine(const struct device *dev)
{
	return dev ? dev->m : NULL;
}

/* ------------------------------------------------------------------ */
/* Device-side access */

/*
 * The test's device model reaches memory the way the device would: by
 * DMA address through the device's dma-ranges (the IOMMU, once there is
 * one), onto RAM that SWIOTLB slots are part of.  Every access is checked
 * against the device's live mappings and allocations (debug.c), and the
 * data goes through the cache model (cache.c).  A bad access is a report;
 * if the address reaches RAM the transfer still happens, as it would on
 * hardware.
 */
static int dev_access(struct device *dev, dma_addr_t addr, void *buf,
		      size_t len, bool write)
{
	struct dmapool_machine *m = dev->m;
	struct dbg_entry *e;
	uint64_t mask, limit;
	phys_addr_t pa;

	if (!len)
		return 0;
	iommu_dev_probe(dev);
	e = debug_find(dev, addr, len, -1);
	mask = e && e->type == DBG_COHERENT ? dev->coherent_dma_mask :
		(dev->dma_mask ? *dev->dma_mask : 0);
	limit = mask;
	if (dev->bus_dma_limit && (!limit || dev->bus_dma_limit < limit))
		limit = dev->bus_dma_limit;
	if (addr + (len - 1) < addr || (limit && addr + (len - 1) > limit)) {
		report(m, "dev-beyond-mask", dev, addr, len,
		       "[device=%s] [dma=0x%llx] [size=%zu] [mask=0x%llx] [bus_dma_limit=0x%llx] device accessed a DMA address beyond its DMA mask or bus limit: it cannot drive those address bits, so the transfer would land elsewhere. Fix: map buffers with dma_map_*()/dma_alloc_*() after dma_set_mask_and_coherent(), which bounce or refuse what the device cannot reach.",
		       dev->name, (unsigned long long)addr, len,
		       (unsigned long long)mask, (unsigned long long)dev->bus_dma_limit);
		return -EFAULT;
	}
	if (use_dma_iommu(dev)) {
		/* through the IOMMU's page table: a fault transfers nothing */
		int rc = iommu_dev_access(dev, addr, buf, len, write);

		if (rc || !e)
			return rc;
		if (addr + len > e->dma + e->size)
			report(m, "dev-overrun", dev, addr, len,
			       "[device=%s] [iova=0x%llx] [size=%zu] [mapping=0x%llx+%zu] device access crosses the end of the mapping by %llu bytes (inside the same IOMMU page, so the IOMMU let it through). Fix: map (or allocate) the whole length the device transfers.",
			       dev->name, (unsigned long long)addr, len,
			       (unsigned long long)e->dma, e->size,
			       (unsigned long long)(addr + len - e->dma - e->size));
		if (dbg_streaming(e) && e->cpu_owned)
			report(m, "dev-cpu-owned", dev, addr, len,
			       "[device=%s] [iova=0x%llx] [size=%zu] device %s a buffer the CPU owns (after dma_sync_*_for_cpu(), before dma_sync_*_for_device()): the CPU may be reading or writing it at the same time. Fix: call dma_sync_single_for_device() before handing the buffer back to the device.",
			       dev->name, (unsigned long long)addr, len, write ? "wrote" : "read");
		return 0;
	}
	pa = dma_to_phys(dev, addr);
	/* The whole buffer must lie in one translated window. */
	if (pa == PHYS_NONE || dma_to_phys(dev, addr + (len - 1)) != pa + (len - 1) ||
	    !physmem_dram(m, pa, len)) {
		report(m, "dev-unmapped", dev, addr, len,
		       "[device=%s] [dma=0x%llx] [size=%zu] device accessed unmapped DMA address: it translates to no RAM of the machine. Fix: access only addresses that dma_map_*() or dma_alloc_*() returned.",
		       dev->name, (unsigned long long)addr, len);
		return -EFAULT;
	}
	if (!e) {
		report_ex(m, "dev-unmapped", dev, addr, len, pa, PHYS_NONE,
			  "[device=%s] [dma=0x%llx] [phys=0x%llx] [size=%zu] device accessed unmapped DMA address: no live mapping or allocation of this device covers it (never mapped, already unmapped or freed). Fix: access only addresses that dma_map_*() or dma_alloc_*() returned, between map and unmap.",
			  dev->name, (unsigned long long)addr,
			  (unsigned long long)pa, len);
	} else {
		if (addr + len > e->dma + e->size)
			report_ex(m, "dev-overrun", dev, addr, len, pa, PHYS_NONE,
				  "[device=%s] [dma=0x%llx] [phys=0x%llx] [size=%zu] [mapping=0x%llx+%zu] device access crosses the end of the mapping by %llu bytes. Fix: map (or allocate) the whole length the device transfers.",
				  dev->name, (unsigned long long)addr,
				  (unsigned long long)pa, len,
				  (unsigned long long)e->dma, e->size,
				  (unsigned long long)(addr + len - e->dma - e->size));
		if (e->type != DBG_COHERENT && write && e->dir == DMA_TO_DEVICE)
			report_ex(m, "dev-write-to-device", dev, addr, len, pa, PHYS_NONE,
				  "[device=%s] [dma=0x%llx] [phys=0x%llx] [size=%zu] [dir=DMA_TO_DEVICE] device wrote into a mapping made for DMA_TO_DEVICE: the CPU will never be told to look at these bytes. Fix: map the buffer DMA_FROM_DEVICE or DMA_BIDIRECTIONAL if the device writes it.",
				  dev->name, (unsigned long long)addr,
				  (unsigned long long)pa, len);
		if (e->type != DBG_COHERENT && !write && e->dir == DMA_FROM_DEVICE &&
		    m->prof.dev_read_fromdevice_bug)
			report_ex(m, "dev-read-from-device", dev, addr, len, pa, PHYS_NONE,
				  "[device=%s] [dma=0x%llx] [phys=0x%llx] [size=%zu] [dir=DMA_FROM_DEVICE] device read from a mapping made for DMA_FROM_DEVICE: its contents are undefined for the device (and an IOMMU maps it write-only). Fix: map the buffer DMA_BIDIRECTIONAL if the device reads it.",
				  dev->name, (unsigned long long)addr,
				  (unsigned long long)pa, len);
		if (dbg_streaming(e) && e->cpu_owned)
			report_ex(m, "dev-cpu-owned", dev, addr, len, pa, PHYS_NONE,
				  "[device=%s] [dma=0x%llx] [phys=0x%llx] [size=%zu] device %s a buffer the CPU owns (after dma_sync_*_for_cpu(), before dma_sync_*_for_device()): the CPU may be reading or writing it at the same time. Fix: call dma_sync_single_for_device() before handing the buffer back to the device.",
				  dev->name, (unsigned long long)addr,
				  (unsigned long long)pa, len, write ? "wrote" : "read");
	}
	cache_dev_access(dev, e, pa, buf, len, write);
	return 0;
}

DMAPOOL_API int dmapool_dev_read(struct device *dev, dma_addr_t addr,
				 void *buf, size_t len)
{
	if (!dev || !buf)
		return -EINVAL;
	return dev_access(dev, addr, buf, len, false);
}

DMAPOOL_API int dmapool_dev_write(struct device *dev, dma_addr_t addr,
				  const void *buf, size_t len)
{
	if (!dev || !buf)
		return -EINVAL;
	return dev_access(dev, addr, (void *)(uintptr_t)buf, len, true);
}

/* Fill and compare hold at most this much on the host at a time: longer
 * accesses are made piece by piece, each piece checked as one access. */
#define DEV_PIECE	((size_t)1 << 20)

/* Longer than the span of RAM: no buffer can be that long. */
static bool dev_len_absurd(struct device *dev, const char *fn, dma_addr_t addr,
			   size_t len)
{
	struct dmapool_machine *m = dev->m;
	uint64_t span = (m->max_pfn - m->min_pfn) << m->prof.page_shift;

	if (len <= span)
		return false;
	klog(m, "libdmapool: %s(%s, %#llx, %zu): longer than the machine's RAM span (%llu bytes): refused",
	     fn, dev->name, (unsigned long long)addr, len, (unsigned long long)span);
	return true;
}

DMAPOOL_API int dmapool_dev_fill(struct device *dev, dma_addr_t addr, int byte,
				 size_t len)
{
	uint8_t *tmp;
	int err = 0;

	if (!dev)
		return -EINVAL;
	if (!len)
		return 0;
	if (dev_len_absurd(dev, "dmapool_dev_fill", addr, len))
		return -EINVAL;
	tmp = malloc(len < DEV_PIECE ? len : DEV_PIECE);
	if (!tmp)
		return -ENOMEM;
	memset(tmp, byte, len < DEV_PIECE ? len : DEV_PIECE);
	for (size_t off = 0; off < len && !err; off += DEV_PIECE)
		err = dev_access(dev, addr + off, tmp,
				 len - off < DEV_PIECE ? len - off : DEV_PIECE, true);
	free(tmp);
	return err;
}

DMAPOOL_API int dmapool_dev_compare(struct device *dev, dma_addr_t addr,
				    const void *expect, size_t len,
				    size_t *first_diff)
{
	uint8_t *tmp;
	int err = 0;

	if (!dev || !expect)
		return -EINVAL;
	if (!len)
		return 0;
	if (dev_len_absurd(dev, "dmapool_dev_compare", addr, len))
		return -EINVAL;
	tmp = malloc(len < DEV_PIECE ? len : DEV_PIECE);
	if (!tmp)
		return -ENOMEM;
	for (size_t off = 0; off < len && !err; off += DEV_PIECE) {
		size_t n = len - off < DEV_PIECE ? len - off : DEV_PIECE;
		const uint8_t *x = (const uint8_t *)expect + off;

		err = dev_access(dev, addr + off, tmp, n, false);
		for (size_t i = 0; !err && i < n; i++)
			if (tmp[i] != x[i]) {
				if (first_diff)
					*first_diff = off + i;
				err = 1;
			}
	}
	free(tmp);
	return err;
}

DMAPOOL_API int dmapool_dev_read_u32(struct device *dev, dma_addr_t addr,
				     uint32_t *val)
{
	uint8_t b[4];
	int err;

	if (!val)
		return -EINVAL;
	err = dmapool_dev_read(dev, addr, b, 4);
	if (!err)
		*val = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
		       (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return err;
}

DMAPOOL_API int dmapool_dev_read_u64(struct device *dev, dma_addr_t addr,
				     uint64_t *val)
{
	uint8_t b[8];
	int err;

	if (!val)
		return -EINVAL;
	err = dmapool_dev_read(dev, addr, b, 8);
	if (!err) {
		*val = 0;
		for (int i = 7; i >= 0; i--)
			*val = *val << 8 | b[i];
	}
	return err;
}

DMAPOOL_API int dmapool_dev_write_u32(struct device *dev, dma_addr_t addr,
				      uint32_t val)
{
	uint8_t b[4] = { (uint8_t)val, (uint8_t)(val >> 8), (uint8_t)(val >> 16),
			 (uint8_t)(val >> 24) };

	return dmapool_dev_write(dev, addr, b, 4);
}

DMAPOOL_API int dmapool_dev_write_u64(struct device *dev, dma_addr_t addr,
				      uint64_t val)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(val >> (8 * i));
	return dmapool_dev_write(dev, addr, b, 8);
}

DMAPOOL_API const char *dev_name(const struct device *dev)
{
	return dev ? dev->name : NULL;
}
