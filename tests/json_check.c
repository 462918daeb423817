/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * dmapool_machine_json(): the document is valid JSON (RFC 8259, checked by
 * the small recursive-descent validator below) and has the keys of
 * docs/cli.md.
 *
 *   json_check [DTB...]
 *
 * Always checks the built-in demo board (with plain and hostile bootargs);
 * every DTB given is checked too.  A DTB that does not load is reported
 * and skipped: only the JSON is under test here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmapool.h"

extern const unsigned char dmapool_demo_dtb[];
extern const size_t dmapool_demo_dtb_size;

static int failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		printf("FAIL %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
		failures++;						\
	}								\
} while (0)

/* ------------------------------------------------------------------ */
/* Validator */

#define MAX_KEYS 64

struct parser {
	const char *s;
	size_t pos, len;
	int depth;
	const char *err;
	/* keys of the top-level object, in order */
	char *keys[MAX_KEYS];
	size_t nkeys;
};

static int p_value(struct parser *p);

static void p_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\r' || p->s[p->pos] == '\n'))
		p->pos++;
}

static int p_fail(struct parser *p, const char *why)
{
	if (!p->err)
		p->err = why;
	return -1;
}

static int p_lit(struct parser *p, const char *lit)
{
	size_t n = strlen(lit);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, lit, n))
		return p_fail(p, "bad literal");
	p->pos += n;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string; its raw text (escapes kept) copied to *out when out != NULL. */
static int p_string(struct parser *p, char **out)
{
	size_t start;

	if (p->pos >= p->len || p->s[p->pos] != '"')
		return p_fail(p, "string expected");
	start = ++p->pos;
	while (p->pos < p->len) {
		unsigned char c = (unsigned char)p->s[p->pos];

		if (c == '"') {
			if (out) {
				*out = strndup(p->s + start, p->pos - start);
				if (!*out)
					return p_fail(p, "out of memory");
			}
			p->pos++;
			return 0;
		}
		if (c < 0x20)
			return p_fail(p, "raw control character in string");
		if (c == '\\') {
			char e;

			if (++p->pos >= p->len)
				return p_fail(p, "truncated escape");
			e = p->s[p->pos];
			if (e == 'u') {
				for (int i = 1; i <= 4; i++)
					if (p->pos + i >= p->len || hexval(p->s[p->pos + i]) < 0)
						return p_fail(p, "bad \\u escape");
				p->pos += 5;
				continue;
			}
			if (!strchr("\"\\/bfnrt", e) || !e)
				return p_fail(p, "bad escape");
			p->pos++;
			continue;
		}
		if (c >= 0x80) {	/* well-formed UTF-8 */
			size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;

			if (!n || c > 0xf4 || p->pos + n > p->len)
				return p_fail(p, "bad UTF-8 lead byte");
			for (size_t i = 1; i < n; i++)
				if (((unsigned char)p->s[p->pos + i] & 0xc0) != 0x80)
					return p_fail(p, "bad UTF-8 continuation");
			p->pos += n;
			continue;
		}
		p->pos++;
	}
	return p_fail(p, "unterminated string");
}

static int p_digits(struct parser *p)
{
	size_t start = p->pos;

	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
		p->pos++;
	return p->pos > start ? 0 : p_fail(p, "digits expected");
}

static int p_number(struct parser *p)
{
	if (p->s[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '0')
		p->pos++;
	else if (p_digits(p))
		return -1;
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		if (p_digits(p))
			return -1;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (p_digits(p))
			return -1;
	}
	return 0;
}

static int p_object(struct parser *p)
{
	bool top = p->depth == 1;

	p->pos++;	/* { */
	p_ws(p);
	if (p->pos < p->len && p->s[p->pos] == '}') {
		p->pos++;
		return 0;
	}
	for (;;) {
		char *key = NULL;

		p_ws(p);
		if (p_string(p, top ? &key : NULL))
			return -1;
		if (top) {
			if (p->nkeys < MAX_KEYS)
				p->keys[p->nkeys++] = key;
			else
				free(key);
		}
		p_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != ':')
			return p_fail(p, "':' expected");
		p->pos++;
		if (p_value(p))
			return -1;
		p_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == '}') {
			p->pos++;
			return 0;
		}
		return p_fail(p, "',' or '}' expected");
	}
}

static int p_array(struct parser *p)
{
	p->pos++;	/* [ */
	p_ws(p);
	if (p->pos < p->len && p->s[p->pos] == ']') {
		p->pos++;
		return 0;
	}
	for (;;) {
		if (p_value(p))
			return -1;
		p_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == ']') {
			p->pos++;
			return 0;
		}
		return p_fail(p, "',' or ']' expected");
	}
}

static int p_value(struct parser *p)
{
	int ret;

	p_ws(p);
	if (p->pos >= p->len)
		return p_fail(p, "value expected");
	if (++p->depth > 64)
		return p_fail(p, "nested too deep");
	switch (p->s[p->pos]) {
	case '{': ret = p_object(p); break;
	case '[': ret = p_array(p); break;
	case '"': ret = p_string(p, NULL); break;
	case 't': ret = p_lit(p, "true"); break;
	case 'f': ret = p_lit(p, "false"); break;
	case 'n': ret = p_lit(p, "null"); break;
	default:
		if (p->s[p->pos] == '-' || (p->s[p->pos] >= '0' && p->s[p->pos] <= '9'))
			ret = p_number(p);
		else
			ret = p_fail(p, "unexpected character");
	}
	p->depth--;
	return ret;
}

/* 0 when doc is one valid JSON document whose top level is an object. */
static int validate(struct parser *p, const char *doc)
{
	memset(p, 0, sizeof(*p));
	p->s = doc;
	p->len = strlen(doc);
	p_ws(p);
	if (p->pos >= p->len || p->s[p->pos] != '{')
		return p_fail(p, "top level is not an object");
	if (p_value(p))
		return -1;
	p_ws(p);
	if (p->pos != p->len)
		return p_fail(p, "trailing characters");
	return 0;
}

static void parser_free(struct parser *p)
{
	for (size_t i = 0; i < p->nkeys; i++)
		free(p->keys[i]);
	p->nkeys = 0;
}

/* ------------------------------------------------------------------ */
/* Checks */

static const char *const top_keys[] = {
	"arch", "bootargs", "ram", "kernel", "zones", "regions", "cma_areas",
	"atomic_pools", "swiotlb", "iommus", "devices", "log",
};

static void check_doc(const char *what, const char *doc)
{
	struct parser p;

	CHECK(doc != NULL, "%s: dmapool_machine_json returned NULL", what);
	if (!doc)
		return;
	if (validate(&p, doc)) {
		CHECK(0, "%s: invalid JSON at byte %zu: %s (near \"%.20s\")", what,
		      p.pos, p.err, doc + (p.pos < p.len ? p.pos : p.len));
		parser_free(&p);
		return;
	}
	CHECK(p.nkeys == sizeof(top_keys) / sizeof(top_keys[0]),
	      "%s: %zu top-level keys", what, p.nkeys);
	for (size_t i = 0; i < sizeof(top_keys) / sizeof(top_keys[0]); i++) {
		bool found = false;

		for (size_t k = 0; k < p.nkeys; k++)
			found |= !strcmp(p.keys[k], top_keys[i]);
		CHECK(found, "%s: no top-level key \"%s\"", what, top_keys[i]);
	}
	parser_free(&p);
}

static void check_validator(void)
{
	static const char *const good[] = {
		"{}", " {\"a\": [1, -2.5e+3, true, false, null, \"x\\u00e9\\n\"]} ",
		"{\"a\": {\"b\": []}}", "{\"\xc3\xa9\": \"\xf0\x9f\x98\x80\"}",
	};
	static const char *const bad[] = {
		"", "[]", "{", "{\"a\"}", "{\"a\": 01}", "{\"a\": [1,]}", "{\"a\": 1,}",
		"{\"a\": \"\x01\"}", "{\"a\": \"\\x\"}", "{\"a\": tru}", "{} {}",
		"{\"a\": \"\xff\"}", "{'a': 1}", "{\"a\": \"\\u12g4\"}", "{\"a\": -}",
	};
	struct parser p;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK(validate(&p, good[i]) == 0, "validator rejects %s: %s", good[i], p.err);
		parser_free(&p);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(validate(&p, bad[i]) != 0, "validator accepts %s", bad[i]);
		parser_free(&p);
	}
}

static void check_demo(void)
{
	struct dmapool_config cfg = { 0 };
	struct dmapool_machine *m = NULL;
	char *doc;
	int err;

	err = dmapool_machine_load_blob(dmapool_demo_dtb, dmapool_demo_dtb_size, NULL, &m);
	CHECK(err == 0, "demo board: load failed: %s", dmapool_strerror(err));
	if (err)
		return;
	doc = dmapool_machine_json(m);
	check_doc("demo board", doc);
	if (doc) {
		static const char *const facts[] = {
			"\"arch\": \"arm64\"",
			"\"bootargs\": \"console=ttyAMA0 coherent_pool=512K\"",
			"\"name\": \"framebuffer@78000000\"",
			"\"path\": \"/reserved-memory/framebuffer@78000000\"",
			"\"kind\": \"dma-pool\"",
			"\"kind\": \"default-cma\"",
			"\"map\": \"nomap\"",
			"\"gfp\": \"GFP_KERNEL|GFP_DMA32\"",
			"\"slots\": 32768",
			"\"name\": \"1f001000.usb\"",
			"\"bus_dma_limit\": \"0x3fffffff\"",
			"\"target\": \"/reserved-memory/rproc@a0000000\"",
			"\"node\": \"/iommu@9050000\"",
			"\"model\": \"smmu-v3\"",
			"\"sid_bits\": 16",
			"\"Reserved memory: created DMA memory pool at 0x0000000078000000, size 8 MiB\"",
		};

		for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++)
			CHECK(strstr(doc, facts[i]), "demo board: %s missing", facts[i]);
	}
	free(doc);
	dmapool_machine_destroy(m);

	/* hostile strings: quotes, backslash, control bytes, bad UTF-8 */
	cfg.bootargs = "a\"b\\c\x01\x1f\t\x7f \xff\xc3 \xc3\xa9 \xed\xa0\x80 console=x";
	err = dmapool_machine_load_blob(dmapool_demo_dtb, dmapool_demo_dtb_size, &cfg, &m);
	CHECK(err == 0, "demo board, odd bootargs: load failed: %s", dmapool_strerror(err));
	if (err)
		return;
	doc = dmapool_machine_json(m);
	check_doc("demo board, odd bootargs", doc);
	if (doc)
		CHECK(strstr(doc, "\"a\\\"b\\\\c\\u0001\\u001f\\t\\u007f \\ufffd\\ufffd "
			      "\xc3\xa9 \\ufffd\\ufffd\\ufffd console=x\""),
		      "odd bootargs not escaped as expected");
	free(doc);
	dmapool_machine_destroy(m);
}

int main(int argc, char **argv)
{
	check_validator();
	CHECK(dmapool_machine_json(NULL) == NULL, "json(NULL) is not NULL");
	check_demo();
	for (int i = 1; i < argc; i++) {
		struct dmapool_machine *m = NULL;
		int err = dmapool_machine_load(argv[i], NULL, &m);
		char *doc;

		if (err) {
			printf("skip %s: %s\n", argv[i], dmapool_strerror(err));
			continue;
		}
		doc = dmapool_machine_json(m);
		check_doc(argv[i], doc);
		free(doc);
		dmapool_machine_destroy(m);
	}
	if (failures) {
		printf("%d check(s) failed\n", failures);
		return 1;
	}
	printf("ok: demo board and %d board(s)\n", argc - 1);
	return 0;
}
