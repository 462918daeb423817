/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Helpers the benchmarks share: the clock, a comparison for qsort, the
 * malloc(64)+free baseline, and
 * the bench machine: 2 GiB of RAM at 0x40000000 and one device "dev@0",
 * coherent unless asked otherwise, booted with the given command line.
 */
#ifndef DMAPOOL_BENCHUTIL_H
#define DMAPOOL_BENCHUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <dmapool.h>

static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static inline int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * P3's and P4's baseline: glibc malloc(64) + free in bench_dmapool's P1
 * 64 B batch pattern (BENCH_MALLOC_N allocated, then all freed, in
 * allocation order); ns per pair.
 */
#define BENCH_MALLOC_N	8192u

static inline double bench_malloc64_pairs(unsigned rounds)
{
	static void *ptrs[BENCH_MALLOC_N];
	double t0 = now_ns();

	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < BENCH_MALLOC_N; i++) {
			ptrs[i] = malloc(64);
			if (__builtin_expect(!ptrs[i], 0)) {
				fprintf(stderr, "bench: malloc(64) failed\n");
				exit(1);
			}
			__asm__ volatile("" : : "r"(ptrs[i]) : "memory");
		}
		for (unsigned i = 0; i < BENCH_MALLOC_N; i++)
			free(ptrs[i]);
	}
	return (now_ns() - t0) / ((double)BENCH_MALLOC_N * rounds);
}

/* The bench machine with bootargs, dev@0 coherent or not (no
 * dma-coherent property: a non-coherent device on arm64); 0 or a negative
 * errno (-EIO: the temporary tree could not be written). */
static inline int bench_load_dev(const char *bootargs, int coherent,
				 struct dmapool_machine **out)
{
	static const char dts_fmt[] =
		"/dts-v1/;\n"
		"/ {\n"
		"	#address-cells = <2>; #size-cells = <2>;\n"
		"	chosen { bootargs = \"%s\"; };\n"
		"	memory@40000000 { device_type = \"memory\"; reg = <0x0 0x40000000 0x0 0x80000000>; };\n"
		"	dev@0 { compatible = \"bench,dev\";%s };\n"
		"};\n";
	char path[] = "/tmp/dmapool-benchXXXXXX";
	char dts[64];
	FILE *f;
	int fd, err;

	*out = NULL;
	fd = mkstemp(path);
	if (fd < 0)
		return -5;
	close(fd);
	unlink(path);
	snprintf(dts, sizeof(dts), "%s.dts", path);
	f = fopen(dts, "w");
	if (!f)
		return -5;
	fprintf(f, dts_fmt, bootargs, coherent ? " dma-coherent;" : "");
	fclose(f);
	err = dmapool_machine_load(dts, NULL, out);
	unlink(dts);
	return err;
}

/* The bench machine with bootargs and a coherent dev@0. */
static inline int bench_load(const char *bootargs, struct dmapool_machine **out)
{
	return bench_load_dev(bootargs, 1, out);
}

#endif
