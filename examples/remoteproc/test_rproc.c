/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The test plays two remote processors, a DSP and an MCU, that share one
 * 1 MiB no-map pool (board.dts).  Their drivers allocate vrings and
 * buffers in turn; the test checks every address against the kernel's
 * rule for a per-device coherent pool (kernel/dma/coherent.c,
 * __dma_alloc_from_coherent): bitmap_find_free_region() takes
 * 2^get_order(size) pages at the first multiple of that many pages, from
 * the pool start, that is wholly free, and a full pool is NULL with no
 * fallback.  The remote processors write their buffers by DMA address
 * and the host reads them through the write-combining mapping.
 * Built with the driver's variant: the correct driver's pieces never
 * overlap; freeing with the wrong size releases pages another device
 * still uses, and the next allocation lands on them.
 *
 * Usage: test_rproc BOARD.dtb
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dmapool.h>
#include <linux/dma-mapping.h>
#include "testutil.h"

#include "rproc.h"

#define DSP		"dsp@a000000"
#define MCU		"mcu@a100000"
#define POOL		0x4e000000ULL	/* rproc_pool in board.dts */
#define POOL_SIZE	0x100000ULL	/* 256 pages */
#define PG		0x1000ULL

static const char *board;

/* ---- helpers ---- */

static struct dmapool_machine *load_board(struct device **dsp, struct device **mcu)
{
	struct dmapool_config cfg = { .arch = "arm64" };
	struct dmapool_machine *m = tu_load(board, &cfg);

	dmapool_machine_use(m);
	*dsp = tu_dev(m, DSP);
	*mcu = tu_dev(m, MCU);
	assert_int_equal(rproc_probe(*dsp), 0);
	assert_int_equal(rproc_probe(*mcu), 0);
	return m;
}

/* Allocate and check the address and the size the driver obtained, and
 * that the pool served it. */
static void alloc_at(struct device *dev, size_t want, size_t min,
		     struct rproc_mem *mem, dma_addr_t da, size_t len)
{
	struct dmapool_decision d;

	assert_int_equal(rproc_mem_alloc(dev, want, min, mem), 0);
	assert_int_equal(mem->da, da);
	assert_int_equal(mem->len, len);
	assert_int_equal(dmapool_last_decision(dev, &d), 0);
	assert_string_equal(d.backend, "dev-coherent");
	assert_int_equal(d.attr, DMAPOOL_ATTR_WC);
	assert_int_equal(dmapool_virt_to_phys(dmapool_device_machine(dev), mem->va), da);
}

/* The remote processor fills its piece; the host reads it without a sync. */
static void remote_writes(struct device *dev, const struct rproc_mem *mem, u8 seed)
{
	u8 *buf = malloc(mem->len);

	assert_non_null(buf);
	for (size_t i = 0; i < mem->len; i++)
		buf[i] = (u8)(seed + i * 13);
	assert_int_equal(dmapool_dev_write(dev, mem->da, buf, mem->len), 0);
	assert_memory_equal(mem->va, buf, mem->len);
	free(buf);
}

static bool holds_pattern(const struct rproc_mem *mem, u8 seed)
{
	const u8 *p = mem->va;

	for (size_t i = 0; i < mem->len; i++)
		if (p[i] != (u8)(seed + i * 13))
			return false;
	return true;
}

/* No two live pieces overlap, and all lie in the pool. */
static inline void assert_disjoint(struct rproc_mem *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!v[i]->va)
			continue;
		assert_true(v[i]->da >= POOL && v[i]->da + v[i]->len <= POOL + POOL_SIZE);
		for (size_t j = i + 1; j < n; j++)
			if (v[j]->va)
				assert_true(v[i]->da + v[i]->len <= v[j]->da ||
					    v[j]->da + v[j]->len <= v[i]->da);
	}
}

/*
 * The interleaved sequence both variants start with.  Pages of the pool
 * (4 KiB each, 256 in all), and why each piece lands where it does:
 *   dsp vring0  0x3000  order 2: pages 0-3                     POOL
 *   mcu vring0  0x3000  order 2: 0-3 taken -> 4-7             POOL + 0x4000
 *   dsp vring1  0x3000  -> 8-11                                POOL + 0x8000
 *   mcu vring1  0x3000  -> 12-15                               POOL + 0xc000
 *   dsp bufs    0x40000 order 6: 0-63 holds 0-15 -> 64-127     POOL + 0x40000
 *   mcu bufs    0x40000 -> 128-191                             POOL + 0x80000
 *   dsp trace   0x5000  order 3 (8 pages): 0, 8 taken -> 16-23 POOL + 0x10000
 *   mcu carve   0x80000 order 7: runs 0 and 128 both taken, NULL;
 *               retry 0x40000 order 6: 0, 64, 128 taken -> 192-255 POOL + 0xc0000
 *   dsp carve   0x80000 NULL; 0x40000 NULL (all four runs taken);
 *               0x20000 order 5: 0 taken -> 32-63              POOL + 0x20000
 * Left free: pages 24-31 (32 KiB).
 */
enum { DSP_VR0, MCU_VR0, DSP_VR1, MCU_VR1, DSP_BUF, MCU_BUF, DSP_TRACE,
       MCU_CARVE, DSP_CARVE, MCU_EXTRA, NPIECES };

static struct rproc_mem piece[NPIECES];

static void interleave(struct device *dsp, struct device *mcu)
{
	memset(piece, 0, sizeof(piece));
	alloc_at(dsp, 0x3000, 0x3000, &piece[DSP_VR0], POOL, 0x3000);
	alloc_at(mcu, 0x3000, 0x3000, &piece[MCU_VR0], POOL + 4 * PG, 0x3000);
	alloc_at(dsp, 0x3000, 0x3000, &piece[DSP_VR1], POOL + 8 * PG, 0x3000);
	alloc_at(mcu, 0x3000, 0x3000, &piece[MCU_VR1], POOL + 12 * PG, 0x3000);
	alloc_at(dsp, 0x40000, 0x40000, &piece[DSP_BUF], POOL + 64 * PG, 0x40000);
	alloc_at(mcu, 0x40000, 0x40000, &piece[MCU_BUF], POOL + 128 * PG, 0x40000);
	alloc_at(dsp, 0x5000, 0x5000, &piece[DSP_TRACE], POOL + 16 * PG, 0x5000);
	alloc_at(mcu, 0x80000, 0x10000, &piece[MCU_CARVE], POOL + 192 * PG, 0x40000);
	alloc_at(dsp, 0x80000, 0x10000, &piece[DSP_CARVE], POOL + 32 * PG, 0x20000);
	remote_writes(dsp, &piece[DSP_BUF], 0x11);
	remote_writes(mcu, &piece[MCU_BUF], 0x22);
}

/* Each driver frees its pieces (not used by every variant: inline). */
static inline void free_pieces(struct device *dsp, struct device *mcu)
{
	for (int i = 0; i < NPIECES; i++)
		rproc_mem_free(i == DSP_VR0 || i == DSP_VR1 || i == DSP_BUF ||
			       i == DSP_TRACE || i == DSP_CARVE ? dsp : mcu,
			       &piece[i]);
}

/* ---- the tests ---- */

#ifndef BUG_FREE_WRONG_SIZE

static void rproc_shared_pool(void **state)
{
	struct device *dsp, *mcu;
	struct dmapool_machine *m = load_board(&dsp, &mcu);
	struct rproc_mem *all[NPIECES];
	struct dmapool_decision d;
	size_t nlog;

	(void)state;
	for (int i = 0; i < NPIECES; i++)
		all[i] = &piece[i];
	interleave(dsp, mcu);
	assert_disjoint(all, NPIECES);

	/*
	 * 64 KiB (order 4) for the MCU: runs at pages 0, 16, ... 240 all
	 * hold a used page, though 8 pages are free.  No fallback to CMA or
	 * the page allocator: NULL, and the driver says -ENOMEM.  With
	 * __GFP_NOWARN nothing is logged.
	 */
	nlog = dmapool_log_count(m);
	assert_int_equal(rproc_mem_alloc(mcu, 0x10000, 0x10000, &piece[MCU_EXTRA]),
			 -ENOMEM);
	assert_null(piece[MCU_EXTRA].va);
	assert_int_equal(dmapool_last_decision(mcu, &d), 0);
	assert_false(d.ok);
	assert_string_equal(d.backend, "none");
	assert_string_equal(d.steps[d.nsteps - 1].stage, "dev-coherent");
	assert_int_equal(dmapool_log_count(m), nlog);

	/* the DSP frees its trace buffer (pages 16-23): pages 16-31 make a
	 * free order-4 run for the MCU */
	rproc_mem_free(dsp, &piece[DSP_TRACE]);
	alloc_at(mcu, 0x10000, 0x10000, &piece[MCU_EXTRA], POOL + 16 * PG, 0x10000);
	assert_disjoint(all, NPIECES);

	/* each side still sees its own data */
	assert_true(holds_pattern(&piece[DSP_BUF], 0x11));
	assert_true(holds_pattern(&piece[MCU_BUF], 0x22));
	remote_writes(mcu, &piece[MCU_EXTRA], 0x33);
	assert_true(holds_pattern(&piece[DSP_BUF], 0x11));

	free_pieces(dsp, mcu);
	rproc_remove(dsp);
	rproc_remove(mcu);
	assert_int_equal(dmapool_report_check_none(m), 0);
}

/* Once both drivers freed everything, the whole pool is one free run:
 * 1 MiB (order 8) fits at its start, and 1 MiB + 1 page never does. */
static void rproc_pool_empty_again(void **state)
{
	struct device *dsp, *mcu;
	struct dmapool_machine *m = load_board(&dsp, &mcu);
	struct rproc_mem whole;

	(void)state;
	interleave(dsp, mcu);
	free_pieces(dsp, mcu);
	assert_int_equal(rproc_mem_alloc(mcu, POOL_SIZE + PG, POOL_SIZE + PG, &whole),
			 -ENOMEM);
	alloc_at(dsp, POOL_SIZE, POOL_SIZE, &whole, POOL, POOL_SIZE);
	rproc_mem_free(dsp, &whole);
	rproc_remove(dsp);
	rproc_remove(mcu);
	assert_int_equal(dmapool_report_check_none(m), 0);
}

#define TESTS	cmocka_unit_test_teardown(rproc_shared_pool, tu_teardown), \
		cmocka_unit_test_teardown(rproc_pool_empty_again, tu_teardown)

#else /* BUG_FREE_WRONG_SIZE */

/*
 * The DSP's carve-out asked for 0x80000 and got 0x20000 at page 32.
 * Freed with 0x80000, the pool releases get_order(0x80000) = 2^7 pages
 * from page 32: pages 32-159, which hold the DSP's own live buffers
 * (64-127) and the first half of the MCU's (128-159).  The next 256 KiB
 * request (order 6) finds pages 64-127 free and gets the DSP's buffers,
 * zeroed.  Neither the kernel's DMA-API debugging nor the library checks
 * a per-device pool free (debug.md), so nothing is reported: the
 * symptom is the DSP's data gone and two owners of one buffer.
 */
static void rproc_bug_free_wrong_size(void **state)
{
	struct device *dsp, *mcu;
	struct dmapool_machine *m = load_board(&dsp, &mcu);
	struct rproc_mem stolen;

	(void)state;
	interleave(dsp, mcu);
	assert_true(holds_pattern(&piece[DSP_BUF], 0x11));
	rproc_mem_free(dsp, &piece[DSP_CARVE]);
	alloc_at(mcu, 0x40000, 0x40000, &stolen, POOL + 64 * PG, 0x40000);
	assert_int_equal(stolen.da, piece[DSP_BUF].da);		/* overlap */
	assert_false(holds_pattern(&piece[DSP_BUF], 0x11));
	for (size_t i = 0; i < piece[DSP_BUF].len; i++)
		assert_int_equal(((u8 *)piece[DSP_BUF].va)[i], 0);
	/* the MCU writes its new buffer: the DSP's buffer area now reads it */
	remote_writes(mcu, &stolen, 0x44);
	assert_true(holds_pattern(&piece[DSP_BUF], 0x44));
	assert_int_equal(dmapool_report_count(m), 0);
	rproc_mem_free(mcu, &stolen);
	rproc_remove(dsp);
	rproc_remove(mcu);
}

#define TESTS	cmocka_unit_test_teardown(rproc_bug_free_wrong_size, tu_teardown)

#endif

/* Leak check (testutil.h): nothing may be left once the machines are gone. */
static int group_setup(void **state)
{
	struct device *dsp, *mcu;
	struct dmapool_machine *m;
	struct rproc_mem mem;

	(void)state;
	m = load_board(&dsp, &mcu);		/* warm up */
	assert_int_equal(rproc_mem_alloc(dsp, 0x3000, 0x3000, &mem), 0);
	rproc_mem_free(dsp, &mem);
	rproc_remove(dsp);
	rproc_remove(mcu);
	tu_unload(m);
	tu_leak_mark();
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = { TESTS };

	if (argc < 2) {
		fprintf(stderr, "usage: %s BOARD.dtb\n", argv[0]);
		return 2;
	}
	board = argv[1];
	/* the environment must not change the profile under test */
	unsetenv("DMAPOOL_KNOBS");
	unsetenv("DMAPOOL_BOOTARGS");
	return cmocka_run_group_tests_name("remoteproc", tests, group_setup,
					    tu_leak_teardown);
}
