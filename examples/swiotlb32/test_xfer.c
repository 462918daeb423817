/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The test plays a DMA engine on a board whose RAM lies partly above
 * 4 GiB (board.dts), where kmalloc() buffers come from.  With a 32-bit
 * mask every streaming mapping of such a buffer is bounced through the
 * SWIOTLB; with a 64-bit mask none is.  The engine reads what the driver
 * sends, writes what it receives and answers requests in the command
 * buffer; the test checks the data both ways, and counts the cost of the
 * bouncing from the decision trace (dmapool_set_decision_sink()): bounced
 * mappings, copies between buffer and slot and their bytes, and the
 * SWIOTLB slots in use at the peak.  It prints the counts as a table.
 *
 * Usage: test_xfer BOARD.dtb
 */
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
#include <linux/slab.h>
#include "testutil.h"

#include "xfer.h"

#define DEV32		"dma@9100000"
#define DEV64		"dma@9110000"
#define NBUF		4		/* transfers in flight at once */
#define BUF_SIZE	4096
#define ROUNDS		3		/* command exchanges */
#define SLOT		2048		/* IO_TLB_SIZE */
#define SZ_4G		0x100000000ULL

static const char *board;

/* ---- the cost meter: a decision sink ---- */

struct cost {
	unsigned int maps, bounced;	/* streaming maps, of which bounced */
	unsigned int copies;		/* swiotlb_bounce() calls */
	unsigned long long bytes;	/* bytes they copied */
	unsigned long long peak_slots;	/* most slots in use after a map */
};

static void meter(void *ctx, const struct dmapool_decision *d)
{
	struct cost *c = ctx;

	if (!strcmp(d->op, "map")) {
		c->maps++;
		c->bounced += !strcmp(d->backend, "swiotlb");
	}
	for (unsigned int i = 0; i < d->nsteps; i++) {
		const struct dmapool_decision_step *s = &d->steps[i];
		unsigned long long n, total;
		const char *p;

		if (!strcmp(s->stage, "bounce-copy") && !strcmp(s->func, "swiotlb_bounce") &&
		    sscanf(s->cond, "copy %llx bytes", &n) == 1) {
			c->copies++;
			c->bytes += n;
		}
		if (!strcmp(s->stage, "swiotlb") && (p = strstr(s->cond, "), ")) &&
		    sscanf(p + 3, "%llu of %llu slots now used", &n, &total) == 2 &&
		    n > c->peak_slots)
			c->peak_slots = n;
	}
}

static void print_cost(const char *title, const struct cost *c)
{
	printf("%s\n", title);
	printf("  %-28s %llu\n", "streaming maps", (unsigned long long)c->maps);
	printf("  %-28s %llu\n", "bounced through SWIOTLB", (unsigned long long)c->bounced);
	printf("  %-28s %llu\n", "copies buffer <-> slot", (unsigned long long)c->copies);
	printf("  %-28s %llu\n", "bytes copied", c->bytes);
	printf("  %-28s %llu\n", "slots in use at the peak", c->peak_slots);
}

/* ---- the device model ---- */

static void fill(u8 *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (u8)(seed * 71 + i * 5 + 3);
}

/* The SWIOTLB's range, from the boot line the kernel prints. */
static void swiotlb_range(struct dmapool_machine *m, phys_addr_t *start,
			  phys_addr_t *end)
{
	for (size_t i = 0; i < dmapool_log_count(m); i++) {
		unsigned long long a, b;

		if (sscanf(dmapool_log_line(m, i),
			   "software IO TLB: mapped [mem %llx-%llx]", &a, &b) == 2) {
			*start = a;
			*end = b;
			return;
		}
	}
	fail_msg("no SWIOTLB");
}

/*
 * One workload, the same for both masks: NBUF sends in flight at once,
 * then NBUF receives, then ROUNDS request/reply exchanges in the command
 * buffer (mapped DMA_BIDIRECTIONAL since the probe).  Each transfer's data
 * is checked on the other side.  The DMA addresses go to dma[].
 */
static void workload(struct dmapool_machine *m, struct device *dev,
		     struct xfer *x, dma_addr_t *dma)
{
	void *buf[NBUF];
	u8 want[BUF_SIZE], got[BUF_SIZE];

	for (int i = 0; i < NBUF; i++) {
		buf[i] = kmalloc(BUF_SIZE, GFP_KERNEL);
		assert_non_null(buf[i]);
		/* GFP_KERNEL on arm64: ZONE_NORMAL first, all of it above 4 GiB */
		assert_true(dmapool_virt_to_phys(m, buf[i]) >= SZ_4G);
	}
	/* send: the device reads what the CPU wrote before the map */
	for (int i = 0; i < NBUF; i++) {
		fill(buf[i], BUF_SIZE, i);
		dma[i] = xfer_tx_start(x, buf[i], BUF_SIZE);
		assert_int_not_equal(dma[i], DMA_MAPPING_ERROR);
	}
	for (int i = 0; i < NBUF; i++) {
		fill(want, BUF_SIZE, i);
		assert_int_equal(dmapool_dev_read(dev, dma[i], got, BUF_SIZE), 0);
		assert_memory_equal(got, want, BUF_SIZE);
		xfer_tx_done(x, dma[i], BUF_SIZE);
	}
	/* receive: the CPU reads what the device wrote, after the unmap */
	for (int i = 0; i < NBUF; i++) {
		dma[NBUF + i] = xfer_rx_start(x, buf[i], BUF_SIZE);
		assert_int_not_equal(dma[NBUF + i], DMA_MAPPING_ERROR);
	}
	for (int i = 0; i < NBUF; i++) {
		fill(want, BUF_SIZE, 100 + i);
		assert_int_equal(dmapool_dev_write(dev, dma[NBUF + i], want, BUF_SIZE), 0);
		xfer_rx_done(x, dma[NBUF + i], BUF_SIZE);
		assert_memory_equal(buf[i], want, BUF_SIZE);
	}
	/* request / reply: the device reads the request, writes the reply
	 * into the second half of the command buffer */
	for (unsigned int r = 0; r < ROUNDS; r++) {
		u8 *cmd = xfer_cmd(x);

		fill(cmd, XFER_CMD_SIZE / 2, 200 + r);
		xfer_cmd_post(x);
		fill(want, XFER_CMD_SIZE / 2, 200 + r);
		assert_int_equal(dmapool_dev_read(dev, xfer_cmd_dma(x), got,
						  XFER_CMD_SIZE / 2), 0);
		assert_memory_equal(got, want, XFER_CMD_SIZE / 2);
		fill(want, XFER_CMD_SIZE / 2, 300 + r);
		assert_int_equal(dmapool_dev_write(dev, xfer_cmd_dma(x) + XFER_CMD_SIZE / 2,
						   want, XFER_CMD_SIZE / 2), 0);
		xfer_cmd_complete(x);
		assert_memory_equal(cmd + XFER_CMD_SIZE / 2, want, XFER_CMD_SIZE / 2);
	}
	for (int i = 0; i < NBUF; i++)
		kfree(buf[i]);
}

static struct dmapool_machine *load_board(void)
{
	struct dmapool_config cfg = { .arch = "arm64" };
	struct dmapool_machine *m = tu_load(board, &cfg);

	dmapool_machine_use(m);
	return m;
}

/* ---- the tests ---- */

/*
 * 32-bit mask: every buffer is beyond it, every mapping bounces.  The
 * slots (2 KiB, next-fit from the pool start, a mapping of 4 KiB or more
 * page aligned): the command buffer takes the first page of the pool, the
 * four sends the next four pages; they are freed, but the cursor goes on,
 * so the receives take the four pages after those.
 * The cost, from the rules of swiotlb_bounce() (map: buffer -> slot in
 * every direction; sync_for_device: TO_DEVICE, BIDIRECTIONAL; sync_for_cpu
 * and unmap: slot -> buffer for FROM_DEVICE, BIDIRECTIONAL):
 *   sends     NBUF maps                                  NBUF copies
 *   receives  NBUF maps + NBUF unmaps                  2 NBUF copies
 *   command   1 map + 1 sync_for_cpu (probe)
 *             + ROUNDS x (sync_for_device + sync_for_cpu)
 *             + 1 unmap                            3 + 2 ROUNDS copies
 * each of BUF_SIZE (= XFER_CMD_SIZE) bytes; at the peak the command
 * buffer and NBUF transfers hold (1 + NBUF) x BUF_SIZE / SLOT slots.
 */
static void swiotlb_bounce_32bit(void **state)
{
	struct dmapool_machine *m = load_board();
	struct device *dev = tu_dev(m, DEV32);
	struct cost c = { 0 };
	struct dmapool_decision d;
	phys_addr_t tlb, tlb_end;
	dma_addr_t dma[2 * NBUF];
	struct xfer *x;

	(void)state;
	swiotlb_range(m, &tlb, &tlb_end);
	assert_true(tlb_end <= SZ_4G);
	dmapool_set_decision_sink(m, meter, &c);
	x = xfer_probe(dev, 32);
	assert_non_null(x);
	assert_int_equal(xfer_cmd_dma(x), tlb);
	assert_int_not_equal(xfer_cmd_dma(x), dmapool_virt_to_phys(m, xfer_cmd(x)));
	workload(m, dev, x, dma);
	for (int i = 0; i < NBUF; i++) {
		assert_int_equal(dma[i], tlb + (1 + i) * PAGE_SIZE);
		assert_int_equal(dma[NBUF + i], tlb + (1 + NBUF + i) * PAGE_SIZE);
	}
	/* the last decision, the command buffer's sync_for_cpu, went
	 * through its slot at the pool start */
	assert_int_equal(dmapool_last_decision(dev, &d), 0);
	assert_string_equal(d.op, "sync_for_cpu");
	assert_int_equal(d.bounce, tlb);
	xfer_remove(x);
	dmapool_set_decision_sink(m, NULL, NULL);

	print_cost("32-bit mask (buffers above 4 GiB):", &c);
	assert_int_equal(c.maps, 2 * NBUF + 1);
	assert_int_equal(c.bounced, 2 * NBUF + 1);
	assert_int_equal(c.copies, NBUF + 2 * NBUF + 3 + 2 * ROUNDS);
	assert_int_equal(c.bytes, (unsigned long long)(3 * NBUF + 3 + 2 * ROUNDS) * BUF_SIZE);
	assert_int_equal(c.peak_slots, (1 + NBUF) * BUF_SIZE / SLOT);
	assert_int_equal(dmapool_report_check_none(m), 0);
}

/* The decision of one bounced mapping, as dmapool_last_decision() has it. */
static void swiotlb_decision_32bit(void **state)
{
	struct dmapool_machine *m = load_board();
	struct device *dev = tu_dev(m, DEV32);
	struct dmapool_decision d;
	phys_addr_t tlb, tlb_end;
	struct xfer *x = xfer_probe(dev, 32);
	void *buf = kmalloc(BUF_SIZE, GFP_KERNEL);
	dma_addr_t dma;

	(void)state;
	assert_non_null(x);
	assert_non_null(buf);
	swiotlb_range(m, &tlb, &tlb_end);
	dma = xfer_tx_start(x, buf, BUF_SIZE);
	assert_int_equal(dmapool_last_decision(dev, &d), 0);
	assert_string_equal(d.op, "map");
	assert_string_equal(d.backend, "swiotlb");
	assert_int_equal(d.phys, dmapool_virt_to_phys(m, buf));
	assert_true(d.phys >= SZ_4G);
	assert_int_equal(d.dma, dma);
	assert_int_equal(d.bounce, dma);
	assert_true(dma >= tlb && dma + BUF_SIZE <= tlb_end && dma + BUF_SIZE <= SZ_4G);
	xfer_tx_done(x, dma, BUF_SIZE);
	kfree(buf);
	xfer_remove(x);
	assert_int_equal(dmapool_report_check_none(m), 0);
}

/* 64-bit mask, same workload: every mapping is the buffer itself. */
static void direct_64bit(void **state)
{
	struct dmapool_machine *m = load_board();
	struct device *dev = tu_dev(m, DEV64);
	struct cost c = { 0 };
	struct dmapool_decision d;
	dma_addr_t dma[2 * NBUF];
	struct xfer *x;

	(void)state;
	dmapool_set_decision_sink(m, meter, &c);
	x = xfer_probe(dev, 64);
	assert_non_null(x);
	assert_int_equal(xfer_cmd_dma(x), dmapool_virt_to_phys(m, xfer_cmd(x)));
	workload(m, dev, x, dma);
	for (int i = 0; i < 2 * NBUF; i++)
		assert_true(dma[i] >= SZ_4G);
	assert_int_equal(dmapool_last_decision(dev, &d), 0);
	assert_int_equal(d.bounce, (phys_addr_t)-1);
	xfer_remove(x);
	dmapool_set_decision_sink(m, NULL, NULL);

	print_cost("64-bit mask:", &c);
	assert_int_equal(c.maps, 2 * NBUF + 1);
	assert_int_equal(c.bounced, 0);
	assert_int_equal(c.copies, 0);
	assert_int_equal(c.bytes, 0);
	assert_int_equal(c.peak_slots, 0);
	assert_int_equal(dmapool_report_check_none(m), 0);
}

/* Leak check (testutil.h): nothing may be left once the machines are gone. */
static int group_setup(void **state)
{
	struct dmapool_machine *m = load_board();

	(void)state;
	xfer_remove(xfer_probe(tu_dev(m, DEV32), 32));	/* warm up */
	tu_unload(m);
	tu_leak_mark();
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(swiotlb_bounce_32bit, tu_teardown),
		cmocka_unit_test_teardown(swiotlb_decision_32bit, tu_teardown),
		cmocka_unit_test_teardown(direct_64bit, tu_teardown),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s BOARD.dtb\n", argv[0]);
		return 2;
	}
	board = argv[1];
	/* the environment must not change the profile under test */
	unsetenv("DMAPOOL_KNOBS");
	unsetenv("DMAPOOL_BOOTARGS");
	return cmocka_run_group_tests_name("swiotlb32", tests, group_setup,
					    tu_leak_teardown);
}
