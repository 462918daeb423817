#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# run-fuzz.sh TARGET CORPUS [libFuzzer options...]
#
# Runs a libFuzzer target on a fresh temporary directory (where the new
# units go) and the kept corpus CORPUS (only read), then prints
# libFuzzer's final status line (execs, cov, ft, corp) and its stats.
# A crash, a sanitizer error, a leak or a timeout fails with the end of
# the log; the input that did it is left in the current directory
# (crash-*, leak-*, timeout-*, oom-*).
set -eu

target=$1
corpus=$2
shift 2

work=$(mktemp -d "${TMPDIR:-/tmp}/dmapool-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT HUP INT TERM
mkdir "$work/new"

: "${ASAN_OPTIONS:=abort_on_error=1:detect_leaks=1:allocator_may_return_null=1:quarantine_size_mb=64}"
: "${UBSAN_OPTIONS:=halt_on_error=1:print_stacktrace=1}"
export ASAN_OPTIONS UBSAN_OPTIONS

status=0
"$target" -print_final_stats=1 -timeout=25 "$@" "$work/new" "$corpus" \
	>"$work/log" 2>&1 || status=$?

if [ "$status" -ne 0 ]; then
	tail -n 60 "$work/log"
	echo "$(basename "$target"): libFuzzer exited with status $status" >&2
	exit "$status"
fi
grep -E '^#[0-9]+[[:space:]]+DONE' "$work/log" || tail -n 5 "$work/log"
grep -E '^stat::' "$work/log" || true
echo "new units this run: $(ls "$work/new" | wc -l)"
