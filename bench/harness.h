/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * harness.h — the one benchmark harness of bench/: command line, clock,
 * repetitions, statistics, the figure lines every target prints, scaling
 * series, and the JSON file bench/plot turns into charts.
 *
 * A figure compares a subject with a baseline measured in the same
 * process, interleaved (subject repetition, baseline repetition,
 * alternating), after a warm-up.  Its line starts with
 *
 *   NAME: subject X ns/op, baseline Y ns/op, ratio R (target <= T)
 *
 * where R = subject / baseline for time targets (lower is better) and
 * R = baseline / subject, written "(target >= T)", for throughput
 * targets stated as a fraction of memcpy's throughput (higher is better).
 * A scaling series prints one such line per n ("NAME n=1000: ...") and
 * then "NAME scaling: large/small R (target <= T)".
 */
#ifndef DMAPOOL_BENCH_HARNESS_H
#define DMAPOOL_BENCH_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define HX_MAXREP	32
#define HX_FAR		3.0	/* exit 3 when a target is missed by this factor */

/* Command-line state: --quick, the repetition count, the targets chosen. */
int hx_reps(void);		/* timed repetitions (>= 5; 3 with --quick) */
bool hx_quick(void);		/* --quick: a smoke run, smaller batches */

static inline double hx_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Batch size: n, or n / div (at least min) with --quick. */
unsigned long hx_ops(unsigned long n, unsigned long div, unsigned long min);

/* Median and minimum of v[0..n). */
double hx_median(const double *v, int n);
double hx_min(const double *v, int n);

enum hx_cmp { HX_LE, HX_GE };

/* Flags of a figure. */
#define HX_INFO		0x1u	/* informational: printed, never fails the run */
#define HX_NOTARGET	0x2u	/* no target at all */

/*
 * One figure from per-repetition ns/op of subject and baseline (nrep
 * values each, in repetition order).  cmp HX_LE: ratio = subject /
 * baseline, target <= T; HX_GE: ratio = baseline / subject (throughput),
 * target >= T.  Prints the line, records it for --json, and returns the
 * median-based ratio.
 */
double hx_figure(const char *name, const double *subj, const double *base, int nrep,
		 enum hx_cmp cmp, double target, unsigned flags);

/*
 * A point of a scaling series: the same as hx_figure, named "NAME n=N",
 * recorded with series NAME and n for the charts.
 */
double hx_point(const char *series, uint64_t n, const double *subj, const double *base,
		int nrep, enum hx_cmp cmp, double target, unsigned flags);

/*
 * The scaling line of a series: "NAME scaling: large/small R (target <=
 * T)" from the subject's per-repetition figures at the smallest and the
 * largest n (median over median).  Returns R.
 */
double hx_scaling(const char *series, uint64_t n_small, const double *small,
		  uint64_t n_large, const double *large, int nrep, double target,
		  unsigned flags);

/* A figure that is a single quantity against an absolute target
 * ("NAME: X UNIT (target <= T UNIT)"), e.g. bytes or milliseconds. */
void hx_value(const char *name, double value, double min, const char *unit,
	      enum hx_cmp cmp, double target, unsigned flags);

/* A comment line ("# ..."), also kept in the JSON's notes. */
void hx_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The run is not what it claims: print "dmapool-bench: TARGET: ..." and
 * exit 1 (a self-check or differential check failed). */
void hx_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Name of the target being run ("p1", "p2", ...), for messages. */
extern const char *hx_target;

/* Stay on the CPU we are on, when allowed to. */
void hx_pin_cpu(void);

/* The targets, one module each. */
int bench_p1(void);
int bench_p1s(void);
int bench_p2(void);
int bench_p3(void);
int bench_p4(void);
int bench_p5(void);
int bench_p6(void);
int bench_p7(void);
/* The RSS probe of P7, run in a fresh process (--p7-rss). */
int bench_p7_rss_child(void);

#endif
