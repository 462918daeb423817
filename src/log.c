/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Kernel log lines and reports (models printk and the dma-debug report
 * path).  Lines carry the kernel's text and prefixes but no timestamp or
 * log level.  Every line goes to the configured sink and is kept, so the
 * tool can print the boot log and tests can compare it with a real one.
 *
 * Left out: log levels, rate limiting, and the kernel's "once" flags (the
 * callers keep those where they change what is printed).
 */
#define DMAPOOL_FAULT_EXEMPT	/* the log never fails (fault.c) */
#include <signal.h>

#include "internal.h"

static void log_append(struct dmapool_log *l, char *line)
{
	pthread_mutex_lock(&l->lock);
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		char **nl = realloc(l->lines, ncap * sizeof(*nl));

		if (!nl) {
			pthread_mutex_unlock(&l->lock);
			free(line);	/* the sink still saw it */
			return;
		}
		l->lines = nl;
		l->cap = ncap;
	}
	l->lines[l->n++] = line;
	pthread_mutex_unlock(&l->lock);
}

void klog(struct dmapool_machine *m, const char *fmt, ...)
{
	va_list ap;
	char *line = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0 || !line)
		return;
	/* one call may carry several lines (OVERLAP DETECTED!\n...) */
	for (char *s = line, *nl; s && *s; s = nl) {
		nl = strchr(s, '\n');
		if (nl)
			*nl++ = 0;
		if (m->log.sink)
			m->log.sink(m->log.ctx, s);
		log_append(&m->log, strdup(s));
		if (!nl)
			break;
	}
	free(line);
}

const char *fmt_pa(const struct dmapool_machine *m, uint64_t pa, char buf[24])
{
	snprintf(buf, 24, "0x%0*llx", (int)m->prof.phys_digits,
		 (unsigned long long)pa);
	return buf;
}

void log_free(struct dmapool_log *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->lines[i]);
	free(l->lines);
	l->lines = NULL;
	l->n = l->cap = 0;
}

static void report_v(struct dmapool_machine *m, const char *kind,
		     const struct device *dev, uint64_t addr, uint64_t size,
		     uint64_t phys, uint64_t line, const char *fmt, va_list ap)
{
	char *text = NULL;
	struct dmapool_report r;
	bool kept = false;

	if (vasprintf(&text, fmt, ap) < 0 || !text)
		return;
	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.device = dev ? dev->name : "";
	r.addr = addr;
	r.size = size;
	r.text = text;
	r.phys = phys;
	r.line = line;
	pthread_mutex_lock(&m->lock);
	if (m->reports.n == m->reports.cap) {
		size_t ncap = m->reports.cap ? m->reports.cap * 2 : 16;
		struct dmapool_report *nr = realloc(m->reports.r, ncap * sizeof(*nr));

		if (nr) {
			m->reports.r = nr;
			m->reports.cap = ncap;
		}
	}
	if (m->reports.n < m->reports.cap) {
		m->reports.r[m->reports.n++] = r;
		kept = true;
	}
	pthread_mutex_unlock(&m->lock);
	if (m->report_sink)
		m->report_sink(m->report_ctx, &r);
	if (!kept)
		free(text);
	if (__atomic_load_n(&m->flags, __ATOMIC_RELAXED) & DMAPOOL_F_FATAL_REPORTS) {
		fprintf(stderr, "libdmapool: fatal report: %s\n", kept ? r.text : kind);
		abort();
	}
}

void report(struct dmapool_machine *m, const char *kind, const struct device *dev,
	    uint64_t addr, uint64_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_v(m, kind, dev, addr, size, PHYS_NONE, PHYS_NONE, fmt, ap);
	va_end(ap);
}

void report_ex(struct dmapool_machine *m, const char *kind,
	       const struct device *dev, uint64_t addr, uint64_t size,
	       uint64_t phys, uint64_t line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_v(m, kind, dev, addr, size, phys, line, fmt, ap);
	va_end(ap);
}

void reports_free(struct dmapool_machine *m)
{
	for (size_t i = 0; i < m->reports.n; i++)
		free((void *)(uintptr_t)m->reports.r[i].text);
	free(m->reports.r);
	m->reports.r = NULL;
	m->reports.n = m->reports.cap = 0;
}

DMAPOOL_API size_t dmapool_report_count(struct dmapool_machine *m)
{
	size_t n;

	if (!m)
		return 0;
	pthread_mutex_lock(&m->lock);
	n = m->reports.n;
	pthread_mutex_unlock(&m->lock);
	return n;
}

DMAPOOL_API const char *dmapool_report_text(struct dmapool_machine *m, size_t i)
{
	const char *t = NULL;

	if (!m)
		return NULL;
	pthread_mutex_lock(&m->lock);
	if (i < m->reports.n)
		t = m->reports.r[i].text;
	pthread_mutex_unlock(&m->lock);
	return t;
}

DMAPOOL_API int dmapool_report_get(struct dmapool_machine *m, size_t i,
				   struct dmapool_report *out)
{
	int err = -ENOENT;

	if (!m || !out)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	if (i < m->reports.n) {
		*out = m->reports.r[i];
		err = 0;
	}
	pthread_mutex_unlock(&m->lock);
	return err;
}

DMAPOOL_API size_t dmapool_report_count_kind(struct dmapool_machine *m,
					     const char *kind)
{
	size_t n = 0;

	if (!m || !kind)
		return 0;
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->reports.n; i++)
		n += !strcmp(m->reports.r[i].kind, kind);
	pthread_mutex_unlock(&m->lock);
	return n;
}

DMAPOOL_API size_t dmapool_report_check_none(struct dmapool_machine *m)
{
	size_t n;

	if (!m)
		return 0;
	pthread_mutex_lock(&m->lock);
	n = m->reports.n;
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "libdmapool: unexpected report %zu/%zu (%s): %s\n",
			i + 1, n, m->reports.r[i].kind, m->reports.r[i].text);
	pthread_mutex_unlock(&m->lock);
	return n;
}

DMAPOOL_API void dmapool_report_clear(struct dmapool_machine *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->reports.n; i++)
		free((void *)(uintptr_t)m->reports.r[i].text);
	m->reports.n = 0;
	pthread_mutex_unlock(&m->lock);
}

DMAPOOL_API void dmapool_report_set_fatal(struct dmapool_machine *m, bool on)
{
	if (!m)
		return;
	if (on)
		__atomic_fetch_or(&m->flags, DMAPOOL_F_FATAL_REPORTS, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&m->flags, ~DMAPOOL_F_FATAL_REPORTS, __ATOMIC_RELAXED);
}

DMAPOOL_API size_t dmapool_log_count(struct dmapool_machine *m)
{
	size_t n;

	if (!m)
		return 0;
	pthread_mutex_lock(&m->log.lock);
	n = m->log.n;
	pthread_mutex_unlock(&m->log.lock);
	return n;
}

/* A line, once logged, stays where it is until the machine goes. */
DMAPOOL_API const char *dmapool_log_line(struct dmapool_machine *m, size_t i)
{
	const char *s = NULL;

	if (!m)
		return NULL;
	pthread_mutex_lock(&m->log.lock);
	if (i < m->log.n)
		s = m->log.lines[i];
	pthread_mutex_unlock(&m->log.lock);
	return s;
}

DMAPOOL_API const char *dmapool_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case 0: return "success";
	case EINVAL: return "invalid argument or malformed device tree";
	case ENOENT: return "no such file, node or region";
	case ENOMEM: return "out of memory";
	case ENOEXEC: return "cannot compile .dts (dtc missing or failed)";
	case E2BIG: return "simulated RAM exceeds the configured ceiling";
	case EFAULT: return "address does not translate to simulated RAM";
	case EBUSY: return "resource busy";
	case ENODEV: return "no such device";
	case EIO: return "I/O error or unsupported DMA mask";
	case ENOSPC: return "no space left";
	case ENXIO: return "no such mapping";
	case EEXIST: return "already exists";
	case ENOSYS: return "not supported by this profile";
	case ERANGE: return "value out of range";
	case EUCLEAN: return "pool accounting is inconsistent";
	default: return "unknown error";
	}
}

DMAPOOL_API const char *dmapool_version(void)
{
	return "0.1.0";
}

void dev_klog(const struct device *dev, const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (!text)
		return;
	klog(dev->m, "%s %s: %s", dev_driver_string(dev), dev->name, text);
	free(text);
}

bool dev_warn_once_i(struct device *dev, bool *flag, const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;
	bool first;

	pthread_mutex_lock(&dev->m->dec_lock);
	first = !*flag;
	*flag = true;
	pthread_mutex_unlock(&dev->m->dec_lock);
	if (!first)
		return false;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (text)
		klog(dev->m, "%s %s: %s", dev_driver_string(dev), dev->name, text);
	free(text);
	return true;
}
