/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The decision trace behind "dmapool explain" (no kernel twin).
 *
 * Each DMA API call that allocates or frees fills one struct
 * dmapool_decision on its stack: the stages of the kernel's decision tree
 * it visited (the kernel function each one models, the condition tested,
 * the answer) and the backend that served it.  At the end the record
 * becomes the device's last decision and goes to the machine's decision
 * sink.  A record holds at most DMAPOOL_DECISION_MAX_STEPS stages; later
 * ones are dropped and the last slot says so.
 */
#define DMAPOOL_FAULT_EXEMPT	/* decision records never fail (fault.c) */
#include "jsonw.h"

void dt_begin(struct dmapool_decision *d, const struct device *dev,
	      const char *op, uint64_t size, unsigned gfp, unsigned long attrs)
{
	if (!d)
		return;
	/* the step array is written as steps are added: clear the rest */
	memset(d, 0, offsetof(struct dmapool_decision, steps));
	memset((char *)d + offsetof(struct dmapool_decision, backend), 0,
	       sizeof(*d) - offsetof(struct dmapool_decision, backend));
	d->op = op;
	snprintf(d->device, sizeof(d->device), "%s",
		 dev && dev->name ? dev->name : "(null)");
	d->size = size;
	d->gfp = gfp;
	d->attrs = attrs;
	d->backend = "none";
	d->phys = PHYS_NONE;
	d->dma = DMA_ERR;
	d->attr = DMAPOOL_ATTR_NONE;
	d->dir = -1;
	d->bounce = PHYS_NONE;
	d->iova = DMA_ERR;
}

void dt_begin_map(struct dmapool_decision *d, const struct device *dev,
		  const char *op, uint64_t size, int dir, unsigned long attrs)
{
	dt_begin(d, dev, op, size, 0, attrs);
	if (d)
		d->dir = dir;
}

void dt_result_phys(struct dmapool_decision *d, phys_addr_t bounce)
{
	if (d)
		d->bounce = bounce;
}

void dt_step_i(struct dmapool_decision *d, const char *stage, const char *func,
	       const char *answer, const char *cond_fmt, ...)
{
	struct dmapool_decision_step *st;
	va_list ap;

	if (!d)
		return;
	if (d->nsteps >= DMAPOOL_DECISION_MAX_STEPS) {
		st = &d->steps[DMAPOOL_DECISION_MAX_STEPS - 1];
		st->stage = "trace";
		st->func = "-";
		snprintf(st->cond, sizeof(st->cond), "more stages than the record holds");
		snprintf(st->answer, sizeof(st->answer), "dropped");
		return;
	}
	st = &d->steps[d->nsteps++];
	st->stage = stage;
	st->func = func;
	va_start(ap, cond_fmt);
	vsnprintf(st->cond, sizeof(st->cond), cond_fmt, ap);
	va_end(ap);
	snprintf(st->answer, sizeof(st->answer), "%s", answer);
}

void dt_result(struct dmapool_decision *d, const char *backend, phys_addr_t pa,
	       dma_addr_t dma, const void *cpu, enum dmapool_attr attr)
{
	if (!d)
		return;
	d->backend = backend;
	d->phys = pa;
	d->dma = dma;
	d->cpu = cpu;
	d->attr = attr;
	d->ok = strcmp(backend, "none") != 0;
}

void dt_end(struct device *dev, struct dmapool_decision *d)
{
	struct dmapool_machine *m;

	if (!d || !dev)
		return;
	m = dev->m;
	pthread_mutex_lock(&m->dec_lock);
	d->seq = ++m->decision_seq;
	if (!dev->last)
		dev->last = calloc(1, sizeof(*dev->last));
	if (dev->last) {
		/* header, the steps used, and the tail */
		size_t steps = offsetof(struct dmapool_decision, steps);
		size_t tail = offsetof(struct dmapool_decision, backend);

		memcpy(dev->last, d, steps + d->nsteps * sizeof(d->steps[0]));
		memcpy((char *)dev->last + tail, (char *)d + tail, sizeof(*d) - tail);
	}
	dmapool_decision_fn fn = m->decision_sink;
	void *ctx = m->decision_ctx;
	pthread_mutex_unlock(&m->dec_lock);
	if (fn)
		fn(ctx, d);
}

void dt_free_device(struct device *dev)
{
	free(dev->last);
	dev->last = NULL;
}

DMAPOOL_API int dmapool_last_decision(struct device *dev,
				      struct dmapool_decision *out)
{
	int ret = -ENOENT;

	if (!dev || !out)
		return -EINVAL;
	pthread_mutex_lock(&dev->m->dec_lock);
	if (dev->last) {
		*out = *dev->last;
		ret = 0;
	}
	pthread_mutex_unlock(&dev->m->dec_lock);
	return ret;
}

DMAPOOL_API void dmapool_set_tracing(struct dmapool_machine *m, bool on)
{
	if (m)
		__atomic_store_n(&m->trace_off, !on, __ATOMIC_RELAXED);
}

DMAPOOL_API void dmapool_set_decision_sink(struct dmapool_machine *m,
					   dmapool_decision_fn fn, void *ctx)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->dec_lock);
	m->decision_sink = fn;
	m->decision_ctx = ctx;
	pthread_mutex_unlock(&m->dec_lock);
}

static void put_flag(char *buf, size_t len, size_t *pos, const char *name)
{
	int n = snprintf(buf + *pos, len - *pos, "%s%s", *pos ? "|" : "", name);

	if (n > 0 && (size_t)n < len - *pos)
		*pos += (size_t)n;
}

const char *gfp_name(unsigned gfp, char *buf, size_t len)
{
	static const struct { unsigned bits; const char *name; } tab[] = {
		{ __GFP_DMA, "GFP_DMA" }, { __GFP_DMA32, "GFP_DMA32" },
		{ __GFP_HIGHMEM, "__GFP_HIGHMEM" }, { __GFP_ZERO, "__GFP_ZERO" },
		{ __GFP_NOWARN, "__GFP_NOWARN" }, { __GFP_COMP, "__GFP_COMP" },
		{ __GFP_NORETRY, "__GFP_NORETRY" }, { __GFP_NOFAIL, "__GFP_NOFAIL" },
		{ __GFP_RETRY_MAYFAIL, "__GFP_RETRY_MAYFAIL" },
	};
	size_t pos = 0;
	unsigned rest = gfp;

	buf[0] = 0;
	if ((gfp & GFP_KERNEL) == GFP_KERNEL) {
		put_flag(buf, len, &pos, "GFP_KERNEL");
		rest &= ~GFP_KERNEL;
	} else if ((gfp & GFP_ATOMIC) == GFP_ATOMIC) {
		put_flag(buf, len, &pos, "GFP_ATOMIC");
		rest &= ~GFP_ATOMIC;
	} else if ((gfp & GFP_NOWAIT) == GFP_NOWAIT) {
		put_flag(buf, len, &pos, "GFP_NOWAIT");
		rest &= ~GFP_NOWAIT;
	}
	for (size_t i = 0; i < ARRAY_SIZE(tab); i++)
		if (rest & tab[i].bits) {
			put_flag(buf, len, &pos, tab[i].name);
			rest &= ~tab[i].bits;
		}
	if (rest) {
		char hex[24];
		snprintf(hex, sizeof(hex), "%#x", rest);
		put_flag(buf, len, &pos, hex);
	}
	if (!pos)
		snprintf(buf, len, "0");
	return buf;
}

const char *attrs_name(unsigned long attrs, char *buf, size_t len)
{
	static const struct { unsigned long bit; const char *name; } tab[] = {
		{ DMA_ATTR_WEAK_ORDERING, "WEAK_ORDERING" },
		{ DMA_ATTR_WRITE_COMBINE, "WRITE_COMBINE" },
		{ DMA_ATTR_NO_KERNEL_MAPPING, "NO_KERNEL_MAPPING" },
		{ DMA_ATTR_SKIP_CPU_SYNC, "SKIP_CPU_SYNC" },
		{ DMA_ATTR_FORCE_CONTIGUOUS, "FORCE_CONTIGUOUS" },
		{ DMA_ATTR_ALLOC_SINGLE_PAGES, "ALLOC_SINGLE_PAGES" },
		{ DMA_ATTR_NO_WARN, "NO_WARN" },
		{ DMA_ATTR_PRIVILEGED, "PRIVILEGED" },
	};
	size_t pos = 0;

	buf[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(tab); i++)
		if (attrs & tab[i].bit)
			put_flag(buf, len, &pos, tab[i].name);
	if (!pos)
		snprintf(buf, len, "0");
	return buf;
}

const char *dir_name(int dir)
{
	switch (dir) {
	case DMA_BIDIRECTIONAL: return "BIDIRECTIONAL";
	case DMA_TO_DEVICE: return "TO_DEVICE";
	case DMA_FROM_DEVICE: return "FROM_DEVICE";
	case DMA_NONE: return "NONE";
	default: return "INVALID";
	}
}

static bool is_stream(const struct dmapool_decision *d)
{
	return d->dir >= 0 || !strncmp(d->op, "map", 3) ||
	       !strncmp(d->op, "unmap", 5) || !strncmp(d->op, "sync", 4);
}

static const char *op_func(const char *op)
{
	static const char *const tab[][2] = {
		{ "map", "dma_map_page_attrs" },
		{ "unmap", "dma_unmap_page_attrs" },
		{ "map_resource", "dma_map_resource" },
		{ "map_sg", "dma_map_sg_attrs" },
		{ "unmap_sg", "dma_unmap_sg_attrs" },
		{ "sync_sg_for_device", "dma_sync_sg_for_device" },
		{ "sync_sg_for_cpu", "dma_sync_sg_for_cpu" },
		{ "unmap_resource", "dma_unmap_resource" },
		{ "sync_for_device", "dma_sync_single_for_device" },
		{ "sync_for_cpu", "dma_sync_single_for_cpu" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(tab); i++)
		if (!strcmp(op, tab[i][0]))
			return tab[i][1];
	if (!strcmp(op, "alloc"))
		return "dma_alloc_attrs";
	if (!strcmp(op, "free"))
		return "dma_free_attrs";
	if (!strcmp(op, "alloc_pages"))
		return "dma_alloc_pages";
	if (!strcmp(op, "free_pages"))
		return "dma_free_pages";
	return op;
}

DMAPOOL_API char *dmapool_decision_text(const struct dmapool_decision *d)
{
	struct sbuf sb = { 0 };
	char g[128], a[128];

	if (!d)
		return NULL;
	if (is_stream(d))
		sb_printf(&sb, "%s(%s, size=%#llx, dir=%s, attrs=%s)\n", op_func(d->op),
			  d->device, (unsigned long long)d->size, dir_name(d->dir),
			  attrs_name(d->attrs, a, sizeof(a)));
	else
		sb_printf(&sb, "%s(%s, size=%#llx, gfp=%s, attrs=%s)\n", op_func(d->op),
			  d->device, (unsigned long long)d->size,
			  gfp_name(d->gfp, g, sizeof(g)), attrs_name(d->attrs, a, sizeof(a)));
	for (unsigned i = 0; i < d->nsteps; i++) {
		const struct dmapool_decision_step *st = &d->steps[i];

		sb_printf(&sb, "%s %s  [%s]\n", i + 1 < d->nsteps ? "|-" : "`-",
			  st->stage, st->func);
		sb_printf(&sb, "%s    %s\n", i + 1 < d->nsteps ? "|" : " ", st->cond);
		sb_printf(&sb, "%s    -> %s\n", i + 1 < d->nsteps ? "|" : " ", st->answer);
	}
	if (d->ok && is_stream(d)) {
		sb_printf(&sb, "=> %s: phys=%#llx dma=%#llx", d->backend,
			  (unsigned long long)d->phys, (unsigned long long)d->dma);
		if (d->bounce != PHYS_NONE)
			sb_printf(&sb, " bounce=%#llx", (unsigned long long)d->bounce);
		if (d->iova != DMA_ERR)
			sb_printf(&sb, " iova=[%#llx+%#llx] pages=%u %s",
				  (unsigned long long)d->iova,
				  (unsigned long long)d->iova_len, d->iommu_pages,
				  d->iommu_mode ? d->iommu_mode : "");
		for (unsigned i = 0; i < d->ncache; i++)
			sb_printf(&sb, " %s:%s[%#llx+%#llx]",
				  d->cache[i].for_device ? "for_device" : "for_cpu",
				  dmapool_cache_op_name(d->cache[i].op),
				  (unsigned long long)d->cache[i].phys,
				  (unsigned long long)d->cache[i].size);
		sb_printf(&sb, "\n");
	} else if (d->ok) {
		sb_printf(&sb, "=> %s: phys=%#llx dma=%#llx cpu=%s", d->backend,
			  (unsigned long long)d->phys, (unsigned long long)d->dma,
			  dmapool_attr_name(d->attr));
		if (d->iova != DMA_ERR)
			sb_printf(&sb, " iova=[%#llx+%#llx] pages=%u %s",
				  (unsigned long long)d->iova,
				  (unsigned long long)d->iova_len, d->iommu_pages,
				  d->iommu_mode ? d->iommu_mode : "");
		sb_printf(&sb, "\n");
	} else if (is_stream(d)) {
		sb_printf(&sb, "=> %s: %s\n", d->backend,
			  !strncmp(d->op, "map", 3) ? "mapping failed (DMA_MAPPING_ERROR)" :
			  "nothing done");
	} else {
		sb_printf(&sb, "=> %s: %s\n", d->backend,
			  strncmp(d->op, "free", 4) ? "allocation failed" : "nothing freed");
	}
	if (sb.failed) {
		free(sb.buf);
		return NULL;
	}
	return heap_release(sb.buf);	/* the caller frees it */
}

void decision_json_fields(struct jw *w, const struct dmapool_decision *d)
{
	char g[128], a[128];

	kv_u64(w, "seq", d->seq);
	kv_str(w, "call", op_func(d->op));
	kv_str(w, "device", d->device);
	kv_hex(w, "size", d->size);
	if (is_stream(d))
		kv_str(w, "dir", dir_name(d->dir));
	else
		kv_str(w, "gfp", gfp_name(d->gfp, g, sizeof(g)));
	kv_str(w, "attrs", attrs_name(d->attrs, a, sizeof(a)));
	jw_key(w, "steps");
	jw_arr(w);
	for (unsigned i = 0; i < d->nsteps; i++) {
		jw_obj(w);
		kv_str(w, "stage", d->steps[i].stage);
		kv_str(w, "function", d->steps[i].func);
		kv_str(w, "condition", d->steps[i].cond);
		kv_str(w, "answer", d->steps[i].answer);
		jw_eobj(w);
	}
	jw_earr(w);
	kv_str(w, "backend", d->backend);
	kv_bool(w, "ok", d->ok);
	if (d->iova != DMA_ERR) {
		jw_key(w, "iommu");
		jw_obj(w);
		kv_hex(w, "iova", d->iova);
		kv_hex(w, "iova_len", d->iova_len);
		kv_u64(w, "pages", d->iommu_pages);
		kv_str(w, "mode", d->iommu_mode ? d->iommu_mode : "");
		jw_eobj(w);
	}
	if (is_stream(d)) {
		if (d->ok) {
			kv_hex(w, "phys", d->phys);
			kv_hex(w, "dma", d->dma);
		} else {
			jw_key(w, "phys");
			jw_null(w);
			jw_key(w, "dma");
			jw_null(w);
		}
		jw_key(w, "bounce");
		if (d->bounce != PHYS_NONE)
			jw_hex(w, d->bounce);
		else
			jw_null(w);
		jw_key(w, "cache");
		jw_arr(w);
		for (unsigned i = 0; i < d->ncache; i++) {
			jw_obj(w);
			kv_str(w, "hook", d->cache[i].for_device ?
			       "arch_sync_dma_for_device" : "arch_sync_dma_for_cpu");
			kv_str(w, "op", dmapool_cache_op_name(d->cache[i].op));
			kv_hex(w, "phys", d->cache[i].phys);
			kv_hex(w, "size", d->cache[i].size);
			jw_eobj(w);
		}
		jw_earr(w);
	} else if (d->ok) {
		kv_hex(w, "phys", d->phys);
		kv_hex(w, "dma", d->dma);
		kv_str(w, "cpu_attr", dmapool_attr_name(d->attr));
	} else {
		jw_key(w, "phys");
		jw_null(w);
		jw_key(w, "dma");
		jw_null(w);
		jw_key(w, "cpu_attr");
		jw_null(w);
	}
}

DMAPOOL_API char *dmapool_decision_json(const struct dmapool_decision *d)
{
	struct jw w = { 0 };

	if (!d)
		return NULL;
	jw_obj(&w);
	decision_json_fields(&w, d);
	jw_eobj(&w);
	return heap_release(jw_finish(&w));	/* the caller frees it */
}
