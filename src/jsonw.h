/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/* String builder and JSON writer (jsonw.c). */
#ifndef DMAPOOL_JSONW_H
#define DMAPOOL_JSONW_H

#include "internal.h"

struct sbuf {
	char *buf;
	size_t len, cap;
	bool failed;
};

#define JW_MAX_DEPTH 16

struct jw {
	struct sbuf sb;
	int depth;
	bool has_items[JW_MAX_DEPTH];
	bool after_key;
};

bool sb_reserve(struct sbuf *sb, size_t more);
void sb_putn(struct sbuf *sb, const char *s, size_t n);
void sb_puts(struct sbuf *sb, const char *s);
void sb_putc(struct sbuf *sb, char c);
void sb_printf(struct sbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
size_t utf8_seq(const unsigned char *s);
void sb_jstr(struct sbuf *sb, const char *str);
void jw_indent(struct jw *w);
void jw_sep(struct jw *w);
void jw_open(struct jw *w, char c);
void jw_close(struct jw *w, char c);
void jw_obj(struct jw *w);
void jw_eobj(struct jw *w);
void jw_arr(struct jw *w);
void jw_earr(struct jw *w);
void jw_key(struct jw *w, const char *k);
void jw_str(struct jw *w, const char *s);
void jw_u64(struct jw *w, uint64_t v);
void jw_hex(struct jw *w, uint64_t v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
void kv_str(struct jw *w, const char *k, const char *v);
void kv_u64(struct jw *w, const char *k, uint64_t v);
void kv_hex(struct jw *w, const char *k, uint64_t v);
void kv_bool(struct jw *w, const char *k, bool v);
void kv_int(struct jw *w, const char *k, long long v);
/* End the document with a new line; the text (free it), or NULL if a
 * write failed or an object or array was left open. */
char *jw_finish(struct jw *w);

/* decision.c: the fields of a decision, inside an object the caller opened */
void decision_json_fields(struct jw *w, const struct dmapool_decision *d);

#endif
