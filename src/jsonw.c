/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * A string builder and a JSON writer, shared by the machine document
 * (json.c) and the decision trace (decision.c).  No kernel twin.
 *
 * The first allocation failure makes every later write a no-op and marks
 * the buffer failed, so callers check once at the end.  The writer keeps
 * separators and indentation (two spaces per level); strings are escaped
 * as RFC 8259 asks, and bytes that are not well-formed UTF-8 become U+FFFD.
 */
#include "jsonw.h"

/* ------------------------------------------------------------------ */
/* String builder */


bool sb_reserve(struct sbuf *sb, size_t more)
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

void sb_putn(struct sbuf *sb, const char *s, size_t n)
{
	if (!sb_reserve(sb, n))
		return;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = 0;
}

void sb_puts(struct sbuf *sb, const char *s)
{
	sb_putn(sb, s, strlen(s));
}

void sb_putc(struct sbuf *sb, char c)
{
	sb_putn(sb, &c, 1);
}

void sb_printf(struct sbuf *sb, const char *fmt, ...)
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
size_t utf8_seq(const unsigned char *s)
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
void sb_jstr(struct sbuf *sb, const char *str)
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


void jw_indent(struct jw *w)
{
	sb_putc(&w->sb, '\n');
	for (int i = 0; i < w->depth; i++)
		sb_puts(&w->sb, "  ");
}

/* Before any value or key: comma and new line as needed. */
void jw_sep(struct jw *w)
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

void jw_open(struct jw *w, char c)
{
	jw_sep(w);
	sb_putc(&w->sb, c);
	if (w->depth >= JW_MAX_DEPTH) {	/* a bug in this file */
		w->sb.failed = true;
		return;
	}
	w->has_items[w->depth++] = false;
}

void jw_close(struct jw *w, char c)
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

void jw_obj(struct jw *w)  { jw_open(w, '{'); }
void jw_eobj(struct jw *w) { jw_close(w, '}'); }
void jw_arr(struct jw *w)  { jw_open(w, '['); }
void jw_earr(struct jw *w) { jw_close(w, ']'); }

void jw_key(struct jw *w, const char *k)
{
	jw_sep(w);
	sb_jstr(&w->sb, k);
	sb_puts(&w->sb, ": ");
	w->after_key = true;
}

void jw_str(struct jw *w, const char *s)
{
	jw_sep(w);
	sb_jstr(&w->sb, s);
}

void jw_u64(struct jw *w, uint64_t v)
{
	jw_sep(w);
	sb_printf(&w->sb, "%llu", (unsigned long long)v);
}

void jw_hex(struct jw *w, uint64_t v)
{
	jw_sep(w);
	sb_printf(&w->sb, "\"0x%llx\"", (unsigned long long)v);
}

void jw_bool(struct jw *w, bool v)
{
	jw_sep(w);
	sb_puts(&w->sb, v ? "true" : "false");
}

void jw_null(struct jw *w)
{
	jw_sep(w);
	sb_puts(&w->sb, "null");
}

/* key + value shorthands */
void kv_str(struct jw *w, const char *k, const char *v)  { jw_key(w, k); jw_str(w, v); }
void kv_u64(struct jw *w, const char *k, uint64_t v)     { jw_key(w, k); jw_u64(w, v); }
void kv_hex(struct jw *w, const char *k, uint64_t v)     { jw_key(w, k); jw_hex(w, v); }
void kv_bool(struct jw *w, const char *k, bool v)        { jw_key(w, k); jw_bool(w, v); }


void kv_int(struct jw *w, const char *k, long long v)
{
	jw_key(w, k);
	jw_sep(w);
	sb_printf(&w->sb, "%lld", v);
}

char *jw_finish(struct jw *w)
{
	sb_putc(&w->sb, '\n');
	if (w->sb.failed || w->depth != 0) {
		free(w->sb.buf);
		return NULL;
	}
	return w->sb.buf;
}
