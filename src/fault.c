/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * fault.c — fault injection (models the kernel's per-task fail-nth of
 * lib/fault-inject.c and Documentation/fault-injection, and the forced
 * failures drivers are tested with).
 *
 * fail_nth: every memory allocation, mmap and memfd the library makes
 * goes through the fault_* wrappers below (internal.h redirects malloc,
 * calloc, realloc, strdup, asprintf, mmap and memfd_create to them); the
 * N-th such call on the thread that armed the counter fails, once.  As
 * with /proc/self/task/<tid>/fail-nth, the counter is per thread and
 * reads 0 once it has fired.  The kernel's log and the reports are not
 * subject to it (log.c and decision.c are exempt): a lost line would be
 * a lie, not a failure the kernel could have.
 *
 * Forced failures (per machine, for driver tests): the next streaming map
 * of a device, the next coherent allocation of a device at or above a
 * size, and an atomic pool that is empty.  Native API and DMAPOOL_FAIL_*
 * environment variables (read when a machine is loaded).
 *
 * The heap hook: every heap block the library takes for its own
 * bookkeeping is counted here (blocks and usable bytes, process-wide,
 * updated atomically), whether or not the file is exempt from fail_nth:
 * internal.h sends malloc, calloc, realloc, strdup, asprintf, vasprintf
 * and free of every library file through heap_* (exempt files) or
 * fault_* (the others, which also count).  Strings handed to the caller
 * (dmapool_machine_json(), dmapool_decision_text()...) leave the count
 * when they are returned (heap_release()), since the caller frees them;
 * buffers libc allocates for the library (open_memstream) join it
 * (heap_adopt()).  dmapool_heap_stats() reads the count: a test group
 * takes it before and after and requires the same figures.
 *
 * Left out: probabilities and intervals (the kernel's failslab
 * attributes); only the n-th call and the named events.
 */
#define DMAPOOL_HEAP_RAW
#include <malloc.h>
#include <sys/mman.h>

#include "internal.h"

static __thread unsigned long fail_nth;

bool fault_fire(void)
{
	if (!fail_nth)
		return false;
	return --fail_nth == 0;
}

DMAPOOL_API void dmapool_fail_nth(unsigned long n)
{
	fail_nth = n;
}

DMAPOOL_API unsigned long dmapool_fail_nth_get(void)
{
	return fail_nth;
}

/* ---- the heap hook ---- */

static uint64_t heap_blocks, heap_bytes, heap_total;

void *heap_adopt(void *p)
{
	if (p) {
		__atomic_add_fetch(&heap_blocks, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&heap_bytes, malloc_usable_size(p), __ATOMIC_RELAXED);
		__atomic_add_fetch(&heap_total, 1, __ATOMIC_RELAXED);
	}
	return p;
}

void *heap_release(void *p)
{
	if (p) {
		__atomic_sub_fetch(&heap_blocks, 1, __ATOMIC_RELAXED);
		__atomic_sub_fetch(&heap_bytes, malloc_usable_size(p), __ATOMIC_RELAXED);
	}
	return p;
}

void *heap_malloc(size_t n)
{
	return heap_adopt(malloc(n));
}

void *heap_calloc(size_t n, size_t s)
{
	return heap_adopt(calloc(n, s));
}

void *heap_realloc(void *p, size_t n)
{
	size_t old = p ? malloc_usable_size(p) : 0;
	void *q = realloc(p, n ? n : 1);

	if (!q)
		return NULL;
	if (!p) {
		__atomic_add_fetch(&heap_blocks, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&heap_total, 1, __ATOMIC_RELAXED);
	}
	__atomic_add_fetch(&heap_bytes, malloc_usable_size(q) - old, __ATOMIC_RELAXED);
	return q;
}

char *heap_strdup(const char *s)
{
	return heap_adopt(strdup(s));
}

int heap_vasprintf(char **out, const char *fmt, va_list ap)
{
	int r = vasprintf(out, fmt, ap);

	if (r < 0)
		*out = NULL;
	else
		heap_adopt(*out);
	return r;
}

int heap_asprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = heap_vasprintf(out, fmt, ap);
	va_end(ap);
	return r;
}

void heap_free(void *p)
{
	free(heap_release(p));
}

DMAPOOL_API void dmapool_heap_stats(struct dmapool_heap_stats *st)
{
	if (!st)
		return;
	st->blocks = __atomic_load_n(&heap_blocks, __ATOMIC_RELAXED);
	st->bytes = __atomic_load_n(&heap_bytes, __ATOMIC_RELAXED);
	st->allocs = __atomic_load_n(&heap_total, __ATOMIC_RELAXED);
}

/* ---- fail_nth over the heap hook, mmap and memfd_create ---- */

void *fault_malloc(size_t n)
{
	return fault_fire() ? NULL : heap_malloc(n);
}

void *fault_calloc(size_t n, size_t s)
{
	return fault_fire() ? NULL : heap_calloc(n, s);
}

void *fault_realloc(void *p, size_t n)
{
	return fault_fire() ? NULL : heap_realloc(p, n);
}

char *fault_strdup(const char *s)
{
	return fault_fire() ? NULL : heap_strdup(s);
}

int fault_vasprintf(char **out, const char *fmt, va_list ap)
{
	if (fault_fire()) {
		*out = NULL;
		return -1;
	}
	return heap_vasprintf(out, fmt, ap);
}

int fault_asprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = fault_vasprintf(out, fmt, ap);
	va_end(ap);
	return r;
}

void *fault_mmap(void *a, size_t len, int prot, int flags, int fd, off_t off)
{
	if (fault_fire()) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	return mmap(a, len, prot, flags, fd, off);
}

int fault_memfd_create(const char *name, unsigned int flags)
{
	if (fault_fire()) {
		errno = ENOMEM;
		return -1;
	}
	return memfd_create(name, flags);
}

/* ---- forced failures ---- */

DMAPOOL_API int dmapool_fail_next_map(struct device *dev)
{
	if (!dev)
		return -EINVAL;
	__atomic_store_n(&dev->fail_next_map, true, __ATOMIC_RELAXED);
	return 0;
}

DMAPOOL_API int dmapool_fail_next_alloc(struct device *dev, size_t min_size)
{
	if (!dev)
		return -EINVAL;
	pthread_mutex_lock(&dev->m->lock);
	dev->fail_alloc_min = min_size ? min_size : 1;
	pthread_mutex_unlock(&dev->m->lock);
	return 0;
}

DMAPOOL_API int dmapool_fail_atomic_pool(struct dmapool_machine *m, bool empty)
{
	if (!m)
		return -EINVAL;
	__atomic_store_n(&m->fail_atomic, empty, __ATOMIC_RELAXED);
	return 0;
}

bool fault_take_map(struct device *dev)
{
	/* every map asks: a plain load first, the locked exchange only when
	 * a failure is armed */
	if (!__atomic_load_n(&dev->fail_next_map, __ATOMIC_RELAXED))
		return false;
	return __atomic_exchange_n(&dev->fail_next_map, false, __ATOMIC_RELAXED);
}

bool fault_take_alloc(struct device *dev, size_t size)
{
	bool hit = false;

	pthread_mutex_lock(&dev->m->lock);
	if (dev->fail_alloc_min && size >= dev->fail_alloc_min) {
		dev->fail_alloc_min = 0;
		hit = true;
	}
	pthread_mutex_unlock(&dev->m->lock);
	return hit;
}

/* DMAPOOL_FAIL_MAP=<device>[,<device>...], DMAPOOL_FAIL_ALLOC=<device>:<size>,
 * DMAPOOL_FAIL_ATOMIC=1, read when a machine is loaded; DMAPOOL_FAIL_NTH=N
 * arms the loading thread's counter before the load. */
void fault_env_apply(struct dmapool_machine *m)
{
	const char *s = getenv("DMAPOOL_FAIL_MAP");
	char name[256];

	while (s && *s) {
		size_t n = strcspn(s, ",");

		if (n && n < sizeof(name)) {
			struct device *d;

			memcpy(name, s, n);
			name[n] = 0;
			d = dmapool_device_find(m, name);
			if (d)
				dmapool_fail_next_map(d);
		}
		s += n + (s[n] == ',');
	}
	s = getenv("DMAPOOL_FAIL_ALLOC");
	if (s && *s) {
		const char *colon = strrchr(s, ':');
		size_t n = colon ? (size_t)(colon - s) : strlen(s);

		if (n && n < sizeof(name)) {
			struct device *d;

			memcpy(name, s, n);
			name[n] = 0;
			d = dmapool_device_find(m, name);
			if (d)
				dmapool_fail_next_alloc(d, colon ? (size_t)memparse(colon + 1, NULL) : 1);
		}
	}
	s = getenv("DMAPOOL_FAIL_ATOMIC");
	if (s && *s && strcmp(s, "0"))
		dmapool_fail_atomic_pool(m, true);
}

void fault_env_arm(void)
{
	const char *s = getenv("DMAPOOL_FAIL_NTH");

	if (s && *s)
		fail_nth = strtoul(s, NULL, 0);
}
