/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * libFuzzer target: the input is a flattened device tree.  Each input is
 * loaded with dmapool_machine_load_blob() (no log sink, no SIGSEGV
 * handler, RAM capped at 16 GiB so that a huge /memory costs little);
 * a machine that loads must then give its JSON document, pass
 * dmapool_machine_check() and be destroyed without leaving host memory
 * behind (LeakSanitizer).  The tree's libdmapool,probe nodes are not run:
 * their sizes come from the input, and a legitimate 1 GiB allocation on a
 * 2 GiB board touches 2 GiB of simulated RAM (DRAM and the CPU's view),
 * past the fuzzer's memory limit; fuzz_api_ops drives the DMA API.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <dmapool.h>

#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_clean_env();
	return 0;
}

static void check(struct dmapool_machine *m, const char *when)
{
	char why[512];

	if (dmapool_machine_check(m, why, sizeof(why))) {
		fprintf(stderr, "dmapool_machine_check %s: %s\n", when, why);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmapool_config cfg = {
		.flags = DMAPOOL_F_NO_TRAPS,
		.ram_limit = 16ULL << 30,
	};
	struct dmapool_machine *m = NULL;
	char *json;

	if (dmapool_machine_load_blob(data, size, &cfg, &m))
		return 0;
	json = dmapool_machine_json(m);
	if (!json)
		abort();
	free(json);
	check(m, "after the load");
	dmapool_machine_destroy(m);
	return 0;
}
