/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The test plays the network controller of rx_ring: it reads the
 * descriptors by DMA address, from the ring base and then along their next
 * links, writes each packet into the buffer a descriptor names, then the
 * length and RX_DESC_DONE into the descriptor, and checks the bytes
 * rx_poll() delivers.  Built with the driver's
 * variant, it asserts what that variant does on an arm64 board whose NIC
 * does not snoop the CPU's caches: the correct driver delivers every
 * packet with no report, each bug is caught.
 *
 * Usage: test_rx_ring BOARD.dtb
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
#include <linux/dmapool.h>
#include <linux/slab.h>
#include "testutil.h"

#include "rx_ring.h"

#define NIC		"ethernet@9000000"	/* non-coherent */
#define NIC_COHERENT	"ethernet@9010000"	/* dma-coherent */

static const char *board;

/* ---- the device model ---- */

struct nic {
	struct device *dev;
	dma_addr_t ring;		/* the ring base register */
	dma_addr_t cur;			/* the descriptor it fills next */
	unsigned int next;		/* its index in the ring */
	dma_addr_t buf[RX_RING_SIZE];	/* buffer addresses it found */
};

#define DESC(d, field) ((d) + offsetof(struct rx_desc, field))

/* Receive one packet into the current descriptor's buffer, move on. */
static void nic_receive(struct nic *nic, const u8 *pkt, u32 len)
{
	struct device *dev = nic->dev;
	dma_addr_t d = nic->cur;
	u32 status, size;
	u64 buf, next;

	assert_int_equal(dmapool_dev_read_u32(dev, DESC(d, status), &status), 0);
	assert_int_equal(status & RX_DESC_DONE, 0);	/* armed by the driver */
	assert_int_equal(dmapool_dev_read_u64(dev, DESC(d, addr), &buf), 0);
	assert_int_equal(dmapool_dev_read_u32(dev, DESC(d, len), &size), 0);
	assert_int_equal(dmapool_dev_read_u64(dev, DESC(d, next), &next), 0);
	assert_true(len <= size);
	assert_int_equal(dmapool_dev_write(dev, buf, pkt, len), 0);
	assert_int_equal(dmapool_dev_write_u32(dev, DESC(d, len), len), 0);
	assert_int_equal(dmapool_dev_write_u32(dev, DESC(d, status),
					       RX_DESC_DONE), 0);
	nic->buf[nic->next] = buf;
	nic->next = (nic->next + 1) % RX_RING_SIZE;
	nic->cur = next;
}

/* ---- helpers ---- */

/* Packet n: its own length (64 to RX_BUF_SIZE bytes) and payload. */
static u32 make_pkt(u8 *p, unsigned int n)
{
	u32 len = 64 + (n * 181) % (RX_BUF_SIZE - 63);

	for (u32 i = 0; i < len; i++)
		p[i] = (u8)(n * 31 + i * 7 + 1);
	return len;
}

static struct rx_pkt got[RX_RING_SIZE];

/*
 * One round: the NIC fills the whole ring, the driver polls it.  The
 * lengths come through the coherent descriptors and are always right;
 * returns how many payloads arrived intact (the others are in got[]).
 */
static int rx_round(struct rx_ring *ring, struct nic *nic, unsigned int round)
{
	u8 pkt[RX_BUF_SIZE];
	int i, good = 0;

	for (i = 0; i < RX_RING_SIZE; i++)
		nic_receive(nic, pkt, make_pkt(pkt, round * RX_RING_SIZE + i));
	assert_int_equal(rx_poll(ring, got, RX_RING_SIZE), RX_RING_SIZE);
	for (i = 0; i < RX_RING_SIZE; i++) {
		u32 len = make_pkt(pkt, round * RX_RING_SIZE + i);

		assert_int_equal(got[i].len, len);
		good += !memcmp(got[i].data, pkt, len);
	}
	assert_int_equal(rx_poll(ring, got, RX_RING_SIZE), 0);
	return good;
}

static struct dmapool_machine *load_board(void)
{
	struct dmapool_config cfg = { .arch = "arm64" };
	struct dmapool_machine *m = tu_load(board, &cfg);

	dmapool_machine_use(m);		/* kmalloc() allocates here */
	return m;
}

/* Probe the driver on device `name` and connect the model to it. */
static struct rx_ring *probe(struct dmapool_machine *m, const char *name,
			     struct nic *nic)
{
	struct rx_ring *ring;

	memset(nic, 0, sizeof(*nic));
	nic->dev = dmapool_device_find(m, name);
	assert_non_null(nic->dev);
	ring = rx_ring_create(nic->dev);
	assert_non_null(ring);
	nic->ring = rx_ring_dma(ring);
	nic->cur = nic->ring;
	return ring;
}

/* ---- the tests ---- */

#if !defined(BUG_NO_SYNC_FOR_CPU) && !defined(BUG_NO_SYNC_FOR_DEVICE) && \
	!defined(BUG_UNMAP_WRONG_SIZE)

/*
 * The descriptors: 24 bytes each, so dma_pool_create() with a 32-byte
 * alignment makes 32-byte blocks; the first dma_pool_alloc() takes one
 * chunk of max(32, PAGE_SIZE) bytes from dma_alloc_coherent() and a new
 * chunk's blocks come out in address order, so the eight descriptors are
 * consecutive 32-byte blocks of one page, and the ring follows them.
 */
static void rx_desc_pool(void **state)
{
	struct dmapool_machine *m = load_board();
	struct nic nic;
	struct rx_ring *ring = probe(m, NIC, &nic);
	size_t active, blocks, block_size, chunks;
	dma_addr_t first = rx_ring_desc_dma(ring, 0);

	(void)state;
	assert_int_equal(sizeof(struct rx_desc), 24);
	assert_int_equal(dmapool_pool_stats(rx_ring_pool(ring), &active, &blocks,
					    &block_size, &chunks), 0);
	assert_int_equal(active, RX_RING_SIZE);
	assert_int_equal(block_size, RX_DESC_ALIGN);
	assert_int_equal(chunks, 1);
	assert_int_equal(blocks, PAGE_SIZE / RX_DESC_ALIGN);
	assert_int_equal(first % PAGE_SIZE, 0);		/* the chunk's start */
	for (unsigned int i = 0; i < RX_RING_SIZE; i++) {
		u64 next;

		assert_int_equal(rx_ring_desc_dma(ring, i), first + i * RX_DESC_ALIGN);
		/* the device sees the link the driver wrote, no sync needed */
		assert_int_equal(dmapool_dev_read_u64(nic.dev,
				 DESC(rx_ring_desc_dma(ring, i), next), &next), 0);
		assert_int_equal(next, rx_ring_desc_dma(ring, i + 1));
	}
	rx_ring_destroy(ring);
	assert_int_equal(dmapool_report_check_none(m), 0);
}

/* Correct: every packet arrives, twice round the ring, and no report. */
static void rx_correct(void **state)
{
	struct dmapool_machine *m = load_board();
	struct nic nic;
	struct rx_ring *ring = probe(m, NIC, &nic);

	(void)state;
	assert_int_equal(rx_round(ring, &nic, 0), RX_RING_SIZE);
	assert_int_equal(rx_round(ring, &nic, 1), RX_RING_SIZE);
	rx_ring_destroy(ring);
	assert_int_equal(dmapool_report_check_none(m), 0);
}

/* The same driver on a device that snoops the caches: the syncs have no
 * cache work to do, the data and the ownership are right all the same. */
static void rx_correct_coherent(void **state)
{
	struct dmapool_machine *m = load_board();
	struct nic nic;
	struct rx_ring *ring = probe(m, NIC_COHERENT, &nic);

	(void)state;
	assert_int_equal(rx_round(ring, &nic, 0), RX_RING_SIZE);
	assert_int_equal(rx_round(ring, &nic, 1), RX_RING_SIZE);
	rx_ring_destroy(ring);
	assert_int_equal(dmapool_report_check_none(m), 0);
}

#define TESTS	cmocka_unit_test_teardown(rx_correct, tu_teardown), \
		cmocka_unit_test_teardown(rx_correct_coherent, tu_teardown), \
		cmocka_unit_test_teardown(rx_desc_pool, tu_teardown)

#elif defined(BUG_NO_SYNC_FOR_CPU)

static bool all_zero(const u8 *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * No dma_sync_single_for_cpu(): the CPU's cache still holds the lines the
 * buffer had before the device wrote DRAM, so the driver copies out the
 * old bytes (the buffer as kmalloc() zeroed it), round after round, as the
 * hardware would.  dma_sync_single_for_device() then finds device data
 * hidden behind those lines: one "cache-stale-cpu" report per buffer.
 */
static void rx_bug_no_sync_for_cpu(void **state)
{
	struct dmapool_machine *m = load_board();
	struct dmapool_report r;
	struct nic nic;
	struct rx_ring *ring = probe(m, NIC, &nic);

	(void)state;
	for (unsigned int round = 0; round < 2; round++) {
		assert_int_equal(rx_round(ring, &nic, round), 0);
		for (int i = 0; i < RX_RING_SIZE; i++)
			assert_true(all_zero(got[i].data, got[i].len));
		assert_int_equal(dmapool_report_count_kind(m, "cache-stale-cpu"),
				 (round + 1) * RX_RING_SIZE);
		assert_int_equal(dmapool_report_count(m), (round + 1) * RX_RING_SIZE);
	}
	assert_int_equal(dmapool_report_get(m, 0, &r), 0);
	assert_string_equal(r.kind, "cache-stale-cpu");
	assert_string_equal(r.device, dmapool_device_name(nic.dev));
	assert_int_equal(r.addr, nic.buf[0]);
	assert_int_equal(r.size, RX_BUF_SIZE);
	rx_ring_destroy(ring);
}

#define TESTS	cmocka_unit_test_teardown(rx_bug_no_sync_for_cpu, tu_teardown)

#elif defined(BUG_NO_SYNC_FOR_DEVICE)

/*
 * No dma_sync_single_for_device(): the buffers stay the CPU's after the
 * first round, so when the NIC fills them again each write is a
 * "dev-cpu-owned" report.  The data still arrives: on arm64 the missing
 * sync would only have cleaned lines the CPU never dirtied, and the next
 * dma_sync_single_for_cpu() invalidates them, so the CPU reads the new
 * packet from DRAM.  The report is the detection.
 */
static void rx_bug_no_sync_for_device(void **state)
{
	struct dmapool_machine *m = load_board();
	struct dmapool_report r;
	struct nic nic;
	struct rx_ring *ring = probe(m, NIC, &nic);

	(void)state;
	/* the first round is right: map handed the buffers to the device */
	assert_int_equal(rx_round(ring, &nic, 0), RX_RING_SIZE);
	assert_int_equal(dmapool_report_count(m), 0);
	assert_int_equal(rx_round(ring, &nic, 1), RX_RING_SIZE);
	assert_int_equal(dmapool_report_count_kind(m, "dev-cpu-owned"), RX_RING_SIZE);
	assert_int_equal(dmapool_report_count(m), RX_RING_SIZE);
	assert_int_equal(dmapool_report_get(m, 0, &r), 0);
	assert_string_equal(r.device, dmapool_device_name(nic.dev));
	assert_int_equal(r.addr, nic.buf[0]);
	rx_ring_destroy(ring);
}

#define TESTS	cmocka_unit_test_teardown(rx_bug_no_sync_for_device, tu_teardown)

#else /* BUG_UNMAP_WRONG_SIZE */

/*
 * Each buffer is unmapped with the length of the last packet it received
 * (packets 8 to 15, from round 2) instead of RX_BUF_SIZE: the DMA-API
 * debugging's check_unmap() finds the entry and reports the size
 * mismatch, one "debug-free-size" per buffer, with the kernel's text.
 * The packets themselves were all right.
 */
static void rx_bug_unmap_wrong_size(void **state)
{
	struct dmapool_machine *m = load_board();
	struct dmapool_report r;
	struct nic nic;
	struct rx_ring *ring = probe(m, NIC, &nic);
	char want[256];
	u8 pkt[RX_BUF_SIZE];
	dma_addr_t buf0;

	(void)state;
	assert_int_equal(rx_round(ring, &nic, 0), RX_RING_SIZE);
	assert_int_equal(rx_round(ring, &nic, 1), RX_RING_SIZE);
	assert_int_equal(dmapool_report_count(m), 0);
	buf0 = nic.buf[0];
	rx_ring_destroy(ring);
	assert_int_equal(dmapool_report_count_kind(m, "debug-free-size"), RX_RING_SIZE);
	assert_int_equal(dmapool_report_count(m), RX_RING_SIZE);
	assert_int_equal(dmapool_debug_error_count(m, nic.dev), RX_RING_SIZE);
	assert_int_equal(dmapool_report_get(m, 0, &r), 0);
	assert_string_equal(r.device, dmapool_device_name(nic.dev));
	assert_int_equal(r.addr, buf0);
	snprintf(want, sizeof(want),
		 "device driver frees DMA memory with different size [device address=0x%016llx] [map size=%u bytes] [unmap size=%u bytes]",
		 (unsigned long long)buf0, RX_BUF_SIZE,
		 make_pkt(pkt, RX_RING_SIZE));	/* packet 8 went to buffer 0 */
	assert_non_null(strstr(r.text, want));
	printf("report: %s\n", r.text);
}

#define TESTS	cmocka_unit_test_teardown(rx_bug_unmap_wrong_size, tu_teardown)

#endif

/* Leak check (testutil.h): nothing may be left once the machines are gone. */
static int group_setup(void **state)
{
	struct dmapool_machine *m = load_board();
	struct rx_ring *ring;

	(void)state;
	ring = rx_ring_create(dmapool_device_find(m, NIC));	/* warm up */
	assert_non_null(ring);
	rx_ring_destroy(ring);
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
	return cmocka_run_group_tests_name("rx_ring", tests, group_setup,
					    tu_leak_teardown);
}
