/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The machine as one JSON document: the facts of "dmapool inspect"
 * (tools/dmapool.c), field by field as docs/cli.md describes them.
 *
 * A small string builder collects the text; the first allocation failure
 * makes every later write a no-op and the result NULL, so the callers do
 * not check each step.  A small writer on top keeps the separators and
 * the indentation (two spaces per level).
 *
 * Conventions of the document: addresses and masks are strings "0x..."
 * (lower-case hex, no padding), sizes and counts are numbers, every "end"
 * is exclusive.  Strings are escaped as RFC 8259 asks; bytes that are not
 * well-formed UTF-8 (a device tree may hold any byte) become U+FFFD.
 */
#include <libfdt.h>

#include "internal.h"

/* ------------------------------------------------------------------ */
/* String builder */

struct sbuf {
	char *buf;
	size_t len, cap;
	bool failed;
};

static bool sb_reserve(struct sbuf *sb, size_t more)
{
	size_t ncap;
	char *nb;

	if (sb->failed)
		return false;
	if (more > SIZE_MAX - sb->len - 1)
		goto fail;
	if (sb->len + more + 1 <= sb->cap)
		return true;
	ncap = sb->cap ? sb->cap : 4096;
	while (ncap < sb->len + more + 1) {
		if (ncap > SIZE_MAX / 2)
			goto fail;
		ncap *= 2;
	}
	nb = realloc(sb->buf, ncap);
	if (!nb)
		goto fail;
	sb->buf = nb;
	sb->cap = ncap;
	return true;
fail:
	sb->failed = true;
	return false;
}

static void sb_putn(struct sbuf *sb, const char *s, size_t n)
{
	if (!sb_reserve(sb, n))
		return;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = 0;
}

static void sb_puts(struct sbuf *sb, const char *s)
{
	sb_putn(sb, s, strlen(s));
}

static void sb_putc(struct sbuf *sb, char c)
{
	sb_putn(sb, &c, 1);
}

static void sb_printf(struct sbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->failed = true;
		return;
	}
	if ((size_t)n < sizeof(tmp)) {
		sb_putn(sb, tmp, (size_t)n);
		return;
	}
	if (!sb_reserve(sb, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

/* Length of the well-formed UTF-8 sequence at s (1..4), or 0. */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80;
		unsigned char hi = c == 0xed ? 0x9f : 0xbf;

		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80;
		unsigned char hi = c == 0xf4 ? 0x8f : 0xbf;

		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

/* A JSON string literal, or null for a NULL pointer. */
static void sb_jstr(struct sbuf *sb, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	if (!s) {
		sb_puts(sb, "null");
		return;
	}
	sb_putc(sb, '"');
	while (*s) {
		size_t n = utf8_seq(s);

		if (n == 0) {
			sb_puts(sb, "\\ufffd");
			s++;
			continue;
		}
		if (n > 1) {
			sb_putn(sb, (const char *)s, n);
			s += n;
			continue;
		}
		switch (*s) {
		case '"':  sb_puts(sb, "\\\""); break;
		case '\\': sb_puts(sb, "\\\\"); break;
		case '\b': sb_puts(sb, "\\b"); break;
		case '\f': sb_puts(sb, "\\f"); break;
		case '\n': sb_puts(sb, "\\n"); break;
		case '\r': sb_puts(sb, "\\r"); break;
		case '\t': sb_puts(sb, "\\t"); break;
		default:
			if (*s < 0x20 || *s == 0x7f)
				sb_printf(sb, "\\u%04x", *s);
			else
				sb_putc(sb, (char)*s);
		}
		s++;
	}
	sb_putc(sb, '"');
}

/* ------------------------------------------------------------------ */
/* Writer: separators and indentation */

#define JW_MAX_DEPTH 16

struct jw {
	struct sbuf sb;
	int depth;
	bool has_items[JW_MAX_DEPTH];
	bool after_key;
};

static void jw_indent(struct jw *w)
{
	sb_putc(&w->sb, '\n');
	for (int i = 0; i < w->depth; i++)
		sb_puts(&w->sb, "  ");
}

/* Before any value or key: comma and new line as needed. */
static void jw_sep(struct jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth == 0)
		return;
	if (w->has_items[w->depth - 1])
		sb_putc(&w->sb, ',');
	w->has_items[w->depth - 1] = true;
	jw_indent(w);
}

static void jw_open(struct jw *w, char c)
{
	jw_sep(w);
	sb_putc(&w->sb, c);
	if (w->depth >= JW_MAX_DEPTH) {	/* a bug in this file */
		w->sb.failed = true;
		return;
	}
	w->has_items[w->depth++] = false;
}

static void jw_close(struct jw *w, char c)
{
	if (w->depth <= 0) {
		w->sb.failed = true;
		return;
	}
	w->depth--;
	if (w->has_items[w->depth])
		jw_indent(w);
	sb_putc(&w->sb, c);
}

static void jw_obj(struct jw *w)  { jw_open(w, '{'); }
static void jw_eobj(struct jw *w) { jw_close(w, '}'); }
static void jw_arr(struct jw *w)  { jw_open(w, '['); }
static void jw_earr(struct jw *w) { jw_close(w, ']'); }

static void jw_key(struct jw *w, const char *k)
{
	jw_sep(w);
	sb_jstr(&w->sb, k);
	sb_puts(&w->sb, ": ");
	w->after_key = true;
}

static void jw_str(struct jw *w, const char *s)
{
	jw_sep(w);
	sb_jstr(&w->sb, s);
}

static void jw_u64(struct jw *w, uint64_t v)
{
	jw_sep(w);
	sb_printf(&w->sb, "%llu", (unsigned long long)v);
}

static void jw_hex(struct jw *w, uint64_t v)
{
	jw_sep(w);
	sb_printf(&w->sb, "\"0x%llx\"", (unsigned long long)v);
}

static void jw_bool(struct jw *w, bool v)
{
	jw_sep(w);
	sb_puts(&w->sb, v ? "true" : "false");
}

static void jw_null(struct jw *w)
{
	jw_sep(w);
	sb_puts(&w->sb, "null");
}

/* key + value shorthands */
static void kv_str(struct jw *w, const char *k, const char *v)  { jw_key(w, k); jw_str(w, v); }
static void kv_u64(struct jw *w, const char *k, uint64_t v)     { jw_key(w, k); jw_u64(w, v); }
static void kv_hex(struct jw *w, const char *k, uint64_t v)     { jw_key(w, k); jw_hex(w, v); }
static void kv_bool(struct jw *w, const char *k, bool v)        { jw_key(w, k); jw_bool(w, v); }

/* ------------------------------------------------------------------ */
/* The document */

/* Path of an fdt node, or NULL (json null). buf holds the result. */
static const char *node_path(const struct dmapool_machine *m, int node,
			     char *buf, int len)
{
	if (node < 0 || fdt_get_path(m->fdt, node, buf, len) < 0)
		return NULL;
	return buf;
}

static void put_ram(struct jw *w, const struct dmapool_machine *m)
{
	/* the banks physmem built: contiguous memory regions, nomap or not */
	jw_key(w, "ram");
	jw_arr(w);
	for (size_t i = 0; i < m->pm.nbanks; i++) {
		jw_obj(w);
		kv_hex(w, "base", m->pm.banks[i].base);
		kv_u64(w, "size", m->pm.banks[i].size);
		jw_eobj(w);
	}
	jw_earr(w);
}

static void put_zones(struct jw *w, const struct dmapool_machine *m)
{
	static const char *const names[MAX_NR_ZONES] = { "DMA", "DMA32", "Normal" };
	unsigned ps = m->prof.page_shift;

	jw_key(w, "zones");
	jw_arr(w);
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		const struct zone_info *zi = &m->zones[z];
		bool configured = z == ZONE_NORMAL ||
				  (z == ZONE_DMA ? m->prof.zone_dma : m->prof.zone_dma32);

		if (!configured)
			continue;
		jw_obj(w);
		kv_str(w, "name", names[z]);
		if (zi->end_pfn > zi->start_pfn) {
			kv_hex(w, "start", zi->start_pfn << ps);
			kv_hex(w, "end", zi->end_pfn << ps);
			kv_bool(w, "empty", false);
		} else {
			jw_key(w, "start");
			jw_null(w);
			jw_key(w, "end");
			jw_null(w);
			kv_bool(w, "empty", true);
		}
		jw_eobj(w);
	}
	jw_earr(w);
}

static void put_regions(struct jw *w, const struct dmapool_machine *m)
{
	jw_key(w, "regions");
	jw_arr(w);
	for (size_t i = 0; i < m->n_rmem; i++) {
		const struct reserved_mem *r = &m->rmem[i];

		jw_obj(w);
		kv_str(w, "name", r->name);
		kv_str(w, "path", r->path);
		kv_hex(w, "base", r->base);
		kv_u64(w, "size", r->size);
		kv_str(w, "kind", rmem_kind_name(m, r));
		kv_str(w, "map", r->nomap ? "nomap" : "map");
		kv_bool(w, "reusable", r->reusable);
		kv_bool(w, "dynamic", r->dynamic);
		jw_eobj(w);
	}
	jw_earr(w);
}

static void put_pools(struct jw *w, const struct dmapool_machine *m)
{
	const struct io_tlb_pool *t = &m->swiotlb;

	jw_key(w, "cma_areas");
	jw_arr(w);
	for (size_t i = 0; i < m->n_cma; i++) {
		const struct cma_area *c = m->cma[i];

		jw_obj(w);
		kv_str(w, "name", c->name);
		kv_hex(w, "base", c->base);
		kv_u64(w, "size", c->count << m->prof.page_shift);
		kv_bool(w, "default", c == m->default_cma);
		kv_bool(w, "usable", c->activated && !c->failed);
		jw_eobj(w);
	}
	jw_earr(w);

	jw_key(w, "atomic_pools");
	jw_arr(w);
	for (size_t i = 0; i < ARRAY_SIZE(m->atomic); i++) {
		const struct atomic_pool *p = &m->atomic[i];

		if (!p->present)
			continue;
		jw_obj(w);
		kv_str(w, "gfp", p->gfp_name);
		kv_u64(w, "size", p->size);
		jw_eobj(w);
	}
	jw_earr(w);

	jw_key(w, "swiotlb");
	if (!t->present) {
		jw_null(w);
		return;
	}
	jw_obj(w);
	kv_hex(w, "start", t->start);
	kv_hex(w, "end", t->end);
	kv_u64(w, "size", t->end - t->start);
	kv_u64(w, "slots", t->nslabs);
	jw_eobj(w);
}

static void put_device(struct jw *w, const struct dmapool_machine *m,
		       const struct device *d)
{
	char path[512];

	jw_obj(w);
	kv_str(w, "name", d->name);
	kv_str(w, "path", d->path);
	kv_bool(w, "coherent", d->coherent);
	jw_key(w, "dma_mask");
	if (d->dma_mask)
		jw_hex(w, *d->dma_mask);
	else
		jw_null(w);
	kv_hex(w, "coherent_dma_mask", d->coherent_dma_mask);
	kv_hex(w, "bus_dma_limit", d->bus_dma_limit);

	jw_key(w, "dma_ranges");
	jw_arr(w);
	for (size_t i = 0; d->dma_range_map && i < d->n_ranges; i++) {
		const struct bus_dma_region *r = &d->dma_range_map[i];

		jw_obj(w);
		kv_hex(w, "cpu", r->cpu_start);
		kv_hex(w, "dma", r->dma_start);
		kv_u64(w, "size", r->size);
		jw_eobj(w);
	}
	jw_earr(w);

	jw_key(w, "memory_regions");
	jw_arr(w);
	for (size_t i = 0; i < d->n_mr; i++) {
		jw_obj(w);
		kv_u64(w, "index", i);
		kv_str(w, "name", i < d->n_mr_names ? d->mr_names[i] : NULL);
		kv_str(w, "target", node_path(m, d->mr_nodes[i], path, sizeof(path)));
		jw_eobj(w);
	}
	jw_earr(w);

	jw_key(w, "iommu");
	if (d->iommu_node < 0) {
		jw_null(w);
	} else {
		jw_obj(w);
		kv_str(w, "node", node_path(m, d->iommu_node, path, sizeof(path)));
		jw_key(w, "args");
		jw_arr(w);
		for (int i = 0; i < d->iommu_nargs; i++)
			jw_u64(w, d->iommu_args[i]);
		jw_earr(w);
		jw_eobj(w);
	}
	jw_eobj(w);
}

DMAPOOL_API char *dmapool_machine_json(struct dmapool_machine *m)
{
	struct jw w;

	if (!m)
		return NULL;
	memset(&w, 0, sizeof(w));

	jw_obj(&w);
	kv_str(&w, "arch", m->prof.arch);
	kv_str(&w, "bootargs", m->bootargs);
	put_ram(&w, m);

	jw_key(&w, "kernel");
	if (m->kernel_end > m->kernel_start) {
		jw_obj(&w);
		kv_hex(&w, "base", m->kernel_start);
		kv_u64(&w, "size", m->kernel_end - m->kernel_start);
		jw_eobj(&w);
	} else {
		jw_null(&w);
	}

	put_zones(&w, m);
	put_regions(&w, m);
	put_pools(&w, m);

	jw_key(&w, "devices");
	jw_arr(&w);
	for (size_t i = 0; i < m->n_devs; i++)
		put_device(&w, m, m->devs[i]);
	jw_earr(&w);

	jw_key(&w, "log");
	jw_arr(&w);
	for (size_t i = 0; i < m->log.n; i++)
		jw_str(&w, m->log.lines[i]);
	jw_earr(&w);
	jw_eobj(&w);
	sb_putc(&w.sb, '\n');

	if (w.sb.failed || w.depth != 0) {
		free(w.sb.buf);
		return NULL;
	}
	return w.sb.buf;
}
