/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Helpers the benchmark modules share: the bench machine, 2 GiB of RAM at
 * 0x40000000 and one device "dev@0", coherent unless asked otherwise,
 * booted with the given command line, compiled from a small source tree.
 */
#ifndef DMAPOOL_BENCHUTIL_H
#define DMAPOOL_BENCHUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <dmapool.h>
#include <linux-compat/dmapool-kapi.h>

#include "harness.h"

/* Fail the run (harness exit 1), with the machine's first reports. */
static inline void __attribute__((noreturn))
bench_die(struct dmapool_machine *m, const char *what)
{
	if (m)
		for (size_t i = 0; i < dmapool_report_count(m) && i < 5; i++)
			fprintf(stderr, "  report: %s\n", dmapool_report_text(m, i));
	hx_fail("%s", what);
}

/* linux/dma-mapping.h's dma_mapping_error(), for the modules that use the
 * library's internals (its header and internal.h cannot meet in one file). */
static inline int bench_map_error(struct device *d, dma_addr_t h)
{
	dmapool_debug_mapping_error(d, h);
	return h == (dma_addr_t)~0ULL ? -12 : 0;
}

/* A mkstemp() template in $TMPDIR (else the system's temporary directory). */
static inline void bench_tmp_template(char *buf, size_t len)
{
	const char *dir = getenv("TMPDIR");

	snprintf(buf, len, "%s/dmapool-benchXXXXXX", dir && *dir ? dir : P_tmpdir);
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
	char path[512], dts[600];
	FILE *f;
	int fd, err;

	*out = NULL;
	bench_tmp_template(path, sizeof(path));
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
