/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The test plays the capture engine of camera: it writes each frame by
 * DMA at the one base address the driver programs (an IOVA), and when
 * asked to stop it first finishes the frame in flight.  The memory is
 * fragmented first, as on a system that has run for a while, so the
 * buffer's pages are not physically contiguous; the test checks that the
 * IOMMU still gives one contiguous IOVA range (one DMA segment), that
 * every frame arrives intact, and, per variant, that each bug is caught.
 *
 * Usage: test_camera BOARD.dtb
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
#include <linux/gfp.h>
#include "testutil.h"

#include "camera.h"

#define CAMERA		"camera@9060000"	/* non-coherent, SID 0x100 */

static const char *board;

/* ---- the device model ---- */

struct cam_hw {
	struct device *dev;
	dma_addr_t base;		/* the base register */
	unsigned int frame;		/* the frame in flight */
	int stop_rc;			/* dmapool_dev_write() of the last frame */
	bool stopped;
};

static void make_frame(u8 *p, unsigned int n)
{
	for (size_t i = 0; i < CAM_FRAME_SIZE; i++)
		p[i] = (u8)(n * 59 + i * 3 + (i >> 12));
}

/* Capture one frame into the buffer. */
static int hw_capture(struct cam_hw *hw)
{
	static u8 frame[CAM_FRAME_SIZE];

	make_frame(frame, hw->frame++);
	return dmapool_dev_write(hw->dev, hw->base, frame, CAM_FRAME_SIZE);
}

/* Stop: the frame in flight is written, then the engine halts. */
static void hw_stop(void *ctx)
{
	struct cam_hw *hw = ctx;

	hw->stop_rc = hw_capture(hw);
	hw->stopped = true;
}

/* ---- helpers ---- */

/*
 * Fragment the page allocator: take 2n pages, give back every other one.
 * The next single-page allocations get the freed pages, none next to the
 * other.  The held pages go back at the end (release_frag).
 */
static struct page *held[2 * CAM_PAGES];

static void fragment(void)
{
	for (int i = 0; i < 2 * CAM_PAGES; i++) {
		held[i] = alloc_page(GFP_KERNEL);
		assert_non_null(held[i]);
	}
	for (int i = 0; i < 2 * CAM_PAGES; i += 2) {
		__free_page(held[i]);
		held[i] = NULL;
	}
}

static void release_frag(void)
{
	for (int i = 0; i < 2 * CAM_PAGES; i++)
		if (held[i]) {
			__free_page(held[i]);
			held[i] = NULL;
		}
}

static struct dmapool_machine *load_board(void)
{
	struct dmapool_config cfg = { .arch = "arm64" };
	struct dmapool_machine *m = tu_load(board, &cfg);

	dmapool_machine_use(m);
	return m;
}

/* Probe, fragment, stream on; connect the model to the base address. */
static struct camera *start(struct dmapool_machine *m, struct cam_hw *hw)
{
	const struct cam_hw_ops ops = { .stop = hw_stop, .ctx = hw };
	struct camera *cam;

	memset(hw, 0, sizeof(*hw));
	hw->dev = tu_dev(m, CAMERA);
	cam = cam_create(hw->dev, &ops);
	assert_non_null(cam);
	fragment();
	assert_int_equal(cam_stream_on(cam), 0);
	hw->base = cam_dma(cam);
	return cam;
}

/* Physical runs of the buffer's pages: what sg_alloc_table_from_pages()
 * makes one entry of. */
static inline unsigned int phys_runs(const struct cam_buf *buf)
{
	unsigned int runs = 1;

	for (int i = 1; i < CAM_PAGES; i++)
		runs += page_to_phys(buf->pages[i]) !=
			page_to_phys(buf->pages[i - 1]) + PAGE_SIZE;
	return runs;
}

/* ---- the tests ---- */

#if !defined(BUG_UNMAP_BEFORE_STOP) && !defined(BUG_NO_SYNC_FOR_CPU)

/*
 * Non-contiguous pages, one contiguous IOVA range.  The IOVA: 16 granules
 * of a 32-bit device's first mapping, size-aligned and top-down from the
 * 4 GiB limit, so 0x100000000 - 16 * 0x1000 = 0xffff0000; 64 KiB is the
 * default max segment size, so __finalise_sg() makes one DMA segment.
 */
static void cam_sg_iommu(void **state)
{
	struct dmapool_machine *m = load_board();
	struct cam_hw hw;
	struct camera *cam = start(m, &hw);
	struct cam_buf *buf = cam_buffer(cam);
	struct dmapool_iommu_stats st;
	struct dmapool_decision d;
	unsigned int runs = phys_runs(buf);

	(void)state;
	assert_true(runs > 1);				/* not contiguous */
	assert_int_equal(buf->sgt.orig_nents, runs);
	assert_int_equal(buf->sgt.nents, 1);		/* one DMA segment */
	assert_int_equal(sg_dma_len(buf->sgt.sgl), CAM_FRAME_SIZE);
	assert_int_equal(hw.base, 0x100000000ULL - CAM_PAGES * PAGE_SIZE);
	assert_int_equal(dmapool_last_decision(hw.dev, &d), 0);
	assert_string_equal(d.op, "map_sg");
	assert_string_equal(d.backend, "iommu");
	assert_int_equal(d.iova, hw.base);
	assert_int_equal(d.iova_len, CAM_FRAME_SIZE);
	assert_int_equal(d.iommu_pages, CAM_PAGES);
	assert_int_equal(dmapool_iommu_stats(hw.dev, &st), 0);
	assert_string_equal(st.mode, "strict");
	assert_int_equal(st.pt_mapped, CAM_PAGES);

	/* the device's view of IOVA + i pages is page i */
	for (int i = 0; i < CAM_PAGES; i++) {
		u32 v;

		assert_int_equal(dmapool_dev_write_u32(hw.dev, hw.base + i * PAGE_SIZE,
						       0xc0de0000u + i), 0);
		dma_sync_sgtable_for_cpu(hw.dev, &buf->sgt,
					 DMA_FROM_DEVICE);
		v = *(u32 *)page_address(buf->pages[i]);
		assert_int_equal(v, 0xc0de0000u + i);
		dma_sync_sgtable_for_device(hw.dev, &buf->sgt,
					    DMA_FROM_DEVICE);
	}

	cam_stream_off(cam);
	assert_int_equal(hw.stop_rc, 0);		/* the last frame landed */
	assert_int_equal(dmapool_iommu_stats(hw.dev, &st), 0);
	assert_int_equal(st.pt_mapped, 0);
	cam_destroy(cam);
	release_frag();
	assert_int_equal(dmapool_report_check_none(m), 0);
}

/* Three frames, each read by the CPU after the sync, intact. */
static void cam_capture(void **state)
{
	struct dmapool_machine *m = load_board();
	struct cam_hw hw;
	struct camera *cam = start(m, &hw);
	static u8 got[CAM_FRAME_SIZE], want[CAM_FRAME_SIZE];

	(void)state;
	for (unsigned int n = 0; n < 3; n++) {
		assert_int_equal(hw_capture(&hw), 0);
		cam_dequeue(cam, got);
		make_frame(want, n);
		assert_memory_equal(got, want, CAM_FRAME_SIZE);
	}
	cam_destroy(cam);				/* stops, unmaps */
	assert_true(hw.stopped);
	assert_int_equal(hw.stop_rc, 0);
	release_frag();
	assert_int_equal(dmapool_report_check_none(m), 0);
}

#define TESTS	cmocka_unit_test_teardown(cam_sg_iommu, tu_teardown), \
		cmocka_unit_test_teardown(cam_capture, tu_teardown)

#elif defined(BUG_UNMAP_BEFORE_STOP)

/*
 * The buffer is unmapped (strict mode: the IOTLB is invalidated at once)
 * while the engine still writes its last frame: the SMMU finds no
 * translation, the write is aborted (-EFAULT, nothing transferred) and
 * the event is an "iommu-fault" report at the buffer's IOVA.  On
 * hardware the frame is lost and, in lazy mode or with another buffer
 * mapped at the freed IOVA meanwhile, it could land in someone else's
 * memory.
 */
static void cam_bug_unmap_before_stop(void **state)
{
	struct dmapool_machine *m = load_board();
	struct cam_hw hw;
	struct camera *cam = start(m, &hw);
	struct dmapool_report r;
	static u8 got[CAM_FRAME_SIZE], want[CAM_FRAME_SIZE];

	(void)state;
	assert_int_equal(hw_capture(&hw), 0);		/* streaming works */
	cam_dequeue(cam, got);
	make_frame(want, 0);
	assert_memory_equal(got, want, CAM_FRAME_SIZE);
	assert_int_equal(dmapool_report_count(m), 0);

	cam_stream_off(cam);
	assert_true(hw.stopped);
	assert_int_equal(hw.stop_rc, -EFAULT);
	assert_int_equal(dmapool_report_count_kind(m, "iommu-fault"), 1);
	assert_int_equal(dmapool_report_count(m), 1);
	assert_int_equal(dmapool_report_get(m, 0, &r), 0);
	assert_string_equal(r.device, dmapool_device_name(hw.dev));
	assert_int_equal(r.addr, hw.base);
	assert_non_null(strstr(r.text, "F_TRANSLATION"));
	printf("report: %s\n", r.text);
	assert_int_equal(tu_log_count_sub(m, 0, "event 0x10 received"), 1);
	cam_destroy(cam);
	release_frag();
}

#define TESTS	cmocka_unit_test_teardown(cam_bug_unmap_before_stop, tu_teardown)

#else /* BUG_NO_SYNC_FOR_CPU */

static bool all_zero(const u8 *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * No dma_sync_sgtable_for_cpu(): the CPU reads its cache, which still
 * holds the pages as alloc_page() zeroed them, not the frame the camera
 * wrote to DRAM: every frame reads as black.  dma_sync_sgtable_for_device()
 * then finds the frame still behind the CPU's clean lines and reports
 * "cache-stale-cpu" for each page, naming the camera and the mapping's
 * IOVA.
 */
static void cam_bug_no_sync_for_cpu(void **state)
{
	struct dmapool_machine *m = load_board();
	struct cam_hw hw;
	struct camera *cam = start(m, &hw);
	static u8 got[CAM_FRAME_SIZE];
	struct dmapool_report r;

	(void)state;
	for (unsigned int n = 0; n < 2; n++) {
		assert_int_equal(hw_capture(&hw), 0);	/* the frame is in DRAM */
		cam_dequeue(cam, got);
		assert_true(all_zero(got, CAM_FRAME_SIZE));
		/* giving the buffer back finds the frame still hidden
		 * behind the clean lines: one report per page synced */
		assert_int_equal(dmapool_report_count_kind(m, "cache-stale-cpu"),
				 (int)((n + 1) * CAM_PAGES));
		assert_int_equal(dmapool_report_count(m), (int)((n + 1) * CAM_PAGES));
	}
	for (int i = 0; i < (int)(2 * CAM_PAGES); i++) {
		assert_int_equal(dmapool_report_get(m, i, &r), 0);
		assert_string_equal(r.device, "9060000.camera");
		assert_int_equal(r.addr, 0xffff0000);	/* the mapping's IOVA */
		assert_int_equal(r.size, CAM_FRAME_SIZE);
	}
	printf("report: %s\n", r.text);
	cam_destroy(cam);
	release_frag();
}

#define TESTS	cmocka_unit_test_teardown(cam_bug_no_sync_for_cpu, tu_teardown)

#endif

/* Leak check (testutil.h): nothing may be left once the machines are gone. */
static int group_setup(void **state)
{
	struct dmapool_machine *m = load_board();
	struct cam_hw hw;
	struct camera *cam;

	(void)state;
	cam = start(m, &hw);				/* warm up */
	cam_destroy(cam);
	release_frag();
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
	return cmocka_run_group_tests_name("camera", tests, group_setup,
					    tu_leak_teardown);
}
