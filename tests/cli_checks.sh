#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# Checks of the dmapool command-line tool (docs/cli.md).
#
#   cli_checks.sh TOOL DEMO_DTB [CHECK...]
#
# TOOL is the dmapool executable, DEMO_DTB the compiled demo board (the
# same tree the tool embeds).  CHECK names the groups to run (default:
# all): demo, json, missing, truncated, usage, mem, run, explain.  The
# run and explain groups read oracle fixtures from $ORACLE_DIR.  Every
# failed check prints one "FAIL: ..." line; the exit status is 1 when any
# failed.

set -u

if [ "$#" -lt 2 ]; then
	echo "usage: $0 TOOL DEMO_DTB [CHECK...]" >&2
	exit 2
fi
TOOL=$1
DEMO_DTB=$2
shift 2
[ "$#" -eq 0 ] && set -- demo json missing truncated usage mem run explain

LC_ALL=C
export LC_ALL
unset DMAPOOL_ARCH DMAPOOL_BOOTARGS DMAPOOL_RAM_SIZE DMAPOOL_KNOBS DMAPOOL_RAM_LIMIT

TMP=$(mktemp -d "${TMPDIR:-/tmp}/dmapool-cli.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM

FAILED=0
fail() {
	echo "FAIL: $*"
	FAILED=1
}

# run ARGS...: run the tool; sets RC, output in $TMP/out and $TMP/err.
run() {
	"$TOOL" "$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
}

expect_rc() {
	[ "$RC" -eq "$1" ] || fail "$2: exit status $RC, expected $1"
}

# expect_one_err_line WHAT PREFIX: stderr is exactly one line starting
# with PREFIX, and stdout is empty.
expect_one_err_line() {
	n=$(wc -l <"$TMP/err")
	[ "$n" -eq 1 ] || { fail "$1: $n stderr lines, expected 1:"; cat "$TMP/err"; }
	case $(head -n 1 "$TMP/err") in
	"$2"*) ;;
	*) fail "$1: stderr does not start with '$2': $(head -n 1 "$TMP/err")" ;;
	esac
	[ -s "$TMP/out" ] && fail "$1: unexpected output on stdout"
	return 0
}

check_demo() {
	line='Reserved memory: created DMA memory pool at 0x0000000078000000, size 8 MiB'

	run inspect
	expect_rc 0 "inspect (demo board)"
	grep -qxF "$line" "$TMP/out" || fail "inspect (demo board): no line '$line'"
	for h in 'Machine' 'RAM ([0-9].*)' 'Reserved memory ([0-9]* regions*)' 'CMA areas' \
		 'Atomic pools' 'SWIOTLB' 'Zones' 'Devices ([0-9]*)'; do
		grep -qx "$h" "$TMP/out" || fail "inspect (demo board): no heading '$h'"
	done
	# the log comes first, then a blank line, then the tables
	log_at=$(grep -nxF "$line" "$TMP/out" | head -n 1 | cut -d: -f1)
	tab_at=$(grep -nx 'Machine' "$TMP/out" | head -n 1 | cut -d: -f1)
	if [ -n "$log_at" ] && [ -n "$tab_at" ]; then
		[ "$log_at" -lt "$tab_at" ] || fail "inspect (demo board): the log is not first"
		[ -z "$(sed -n "$((tab_at - 1))p" "$TMP/out")" ] ||
			fail "inspect (demo board): no blank line between the log and the tables"
	fi
	[ -s "$TMP/err" ] && fail "inspect (demo board): unexpected stderr: $(cat "$TMP/err")"
	long=$(awk 'length > 100' "$TMP/out" | grep -v -e '^OF: ' -e '^Reserved memory: ' | head -n 1)
	[ -z "$long" ] || fail "inspect (demo board): line wider than 100 columns: $long"
	cp "$TMP/out" "$TMP/builtin"

	# the same tree from a file gives the same output
	run inspect "$DEMO_DTB"
	expect_rc 0 "inspect DEMO_DTB"
	cmp -s "$TMP/out" "$TMP/builtin" ||
		fail "inspect DEMO_DTB: output differs from the built-in demo board"

	# options after the board, and --opt=value
	run inspect "$DEMO_DTB" --bootargs='console=ttyAMA0 cma=16M'
	expect_rc 0 "inspect --bootargs="
	grep -qxF 'Kernel command line: console=ttyAMA0 cma=16M' "$TMP/out" ||
		fail "inspect --bootargs=: the command line was not used"
}

check_json() {
	run inspect --json
	expect_rc 0 "inspect --json"
	[ "$(head -c 1 "$TMP/out")" = "{" ] || fail "inspect --json: output does not start with '{'"
	for k in arch bootargs ram kernel zones regions cma_areas atomic_pools swiotlb devices log; do
		grep -q "^  \"$k\": " "$TMP/out" || fail "inspect --json: no top-level key '$k'"
	done
	grep -qF '"Reserved memory: created DMA memory pool at 0x0000000078000000, size 8 MiB"' "$TMP/out" ||
		fail "inspect --json: the log line is missing"
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$TMP/out" ||
			fail "inspect --json: python3 cannot parse the output"
	fi
}

check_missing() {
	run inspect "$TMP/does-not-exist.dtb"
	expect_rc 2 "inspect MISSING"
	expect_one_err_line "inspect MISSING" "dmapool: $TMP/does-not-exist.dtb: "
}

check_truncated() {
	dd if="$DEMO_DTB" of="$TMP/truncated.dtb" bs=200 count=1 2>/dev/null ||
		{ fail "truncated: cannot create the blob"; return; }
	run inspect "$TMP/truncated.dtb"
	expect_rc 2 "inspect TRUNCATED"
	expect_one_err_line "inspect TRUNCATED" "dmapool: $TMP/truncated.dtb: "
	grep -q 'not a flattened device tree' "$TMP/err" ||
		fail "inspect TRUNCATED: the library's reason is missing: $(cat "$TMP/err")"

	dd if="$DEMO_DTB" of="$TMP/tiny.dtb" bs=8 count=1 2>/dev/null
	run inspect "$TMP/tiny.dtb"
	expect_rc 2 "inspect TINY"
	expect_one_err_line "inspect TINY" "dmapool: $TMP/tiny.dtb: "

	printf 'not a device tree\n' >"$TMP/text.dtb"
	run inspect "$TMP/text.dtb"
	expect_rc 2 "inspect TEXT"
	expect_one_err_line "inspect TEXT" "dmapool: $TMP/text.dtb: "

	run inspect --arch vax
	expect_rc 2 "inspect --arch vax"
	expect_one_err_line "inspect --arch vax" "dmapool: "
	grep -q "unknown arch 'vax'" "$TMP/err" || fail "inspect --arch vax: reason missing"
}

check_usage() {
	run
	expect_rc 2 "no arguments"
	grep -q '^usage: dmapool' "$TMP/err" || fail "no arguments: no usage on stderr"

	run --help
	expect_rc 0 "--help"
	grep -q 'inspect' "$TMP/out" || fail "--help: inspect not listed"
	for c in inspect run explain; do
		grep -qE "^ +$c " "$TMP/out" || fail "--help: $c not listed"
	done

	run --version
	expect_rc 0 "--version"
	grep -q '^dmapool [0-9]' "$TMP/out" || fail "--version: got '$(cat "$TMP/out")'"

	run inspect --help
	expect_rc 0 "inspect --help"
	for o in --arch --bootargs --mem --json; do
		grep -q -- "$o" "$TMP/out" || fail "inspect --help: $o not documented"
	done

	run run --help
	expect_rc 0 "run --help"
	for o in --arch --bootargs --mem; do
		grep -q -- "$o" "$TMP/out" || fail "run --help: $o not documented"
	done
	run explain --help
	expect_rc 0 "explain --help"
	for o in --device --size --gfp --attrs --mask --attach-regions --arch --json \
		 --map --dir --memory; do
		grep -q -- "$o" "$TMP/out" || fail "explain --help: $o not documented"
	done

	run frobnicate
	expect_rc 2 "unknown command"
	grep -q "unknown command 'frobnicate'" "$TMP/err" || fail "unknown command: no message"

	for args in "inspect --frob" "inspect --mem" "inspect --mem 12Q" "inspect --mem -1G" \
		    "inspect --arch" "inspect a.dtb b.dtb" "--frob" \
		    "run --frob" "run a.dtb b.dtb" "run --mem" \
		    "explain" "explain --size 4096" "explain --device x" \
		    "explain --device x --size 12Q" "explain --device x --size 1 --gfp weird" \
		    "explain --device x --size 1 --attrs nope" "explain --device x --size 1 --mask 65" \
		    "explain --device x --map 64" "explain --device x --map 64 --dir sideways" \
		    "explain --device x --size 64 --dir to-device" \
		    "explain --device x --map 64 --size 64 --dir to-device" \
		    "explain --device x --map 64 --dir to-device --memory heap"; do
		# shellcheck disable=SC2086
		run $args
		expect_rc 2 "$args"
		grep -q '^usage: dmapool' "$TMP/err" || fail "$args: no usage on stderr"
		[ -s "$TMP/out" ] && fail "$args: unexpected output on stdout"
	done
}

check_run() {
	f="$ORACLE_DIR/20-probe-allocs.dtb"
	run run "$f"
	expect_rc 0 "run 20-probe-allocs"
	# the kernel's lines, in the kernel's order (buddy addresses vary)
	grep -qxF 'dmaprobe probe@0: dmaprobe: alloc #1 size=0x3000 gfp=KERNEL -> ok dma=0x0000000070004000' "$TMP/out" ||
		fail "run: per-device pool order alignment"
	grep -qxF 'dmaprobe probe@3: dmaprobe: alloc #1 size=0x8000 gfp=ATOMIC -> ok dma=0x0000000090048000' "$TMP/out" ||
		fail "run: atomic pool"
	grep -qxF 'memremap attempted on ram 0x0000000070100000 size: 0x100000' "$TMP/out" ||
		fail "run: memremap refusal"
	a=$(grep -n 'alloc #2 size=0x300000' "$TMP/out" | cut -d: -f1)
	b=$(grep -n 'at mm/page_alloc.c:4832' "$TMP/out" | cut -d: -f1)
	c=$(grep -n 'alloc #3 size=0x2000000' "$TMP/out" | cut -d: -f1)
	[ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ] && [ "$a" -lt "$b" ] && [ "$b" -lt "$c" ] ||
		fail "run: the page allocator WARNING is not between alloc #2 and #3"
	run run "$DEMO_DTB"
	expect_rc 0 "run demo"
	grep -q 'no "libdmapool,probe" node' "$TMP/err" || fail "run demo: no note about probe nodes"
}

check_explain() {
	f="$ORACLE_DIR/20-probe-allocs.dtb"
	for c in "probe@0 0x3000 kernel dev-coherent" "probe@1 0x1000 kernel dev-cma" \
		 "probe@2 0x2000 kernel default-cma" "probe@2 0x1000 kernel buddy-dma" \
		 "probe@3 0x1000 atomic atomic-dma" "probe@4 0x200000 kernel none"; do
		# shellcheck disable=SC2086
		set -- $c
		run explain "$f" --device "$1" --size "$2" --gfp "$3" --attach-regions
		expect_rc 0 "explain $c"
		grep -q "^=> $4" "$TMP/out" || fail "explain $c: backend is not $4: $(grep '^=>' "$TMP/out")"
	done
	run explain "$f" --device probe@0 --size 0x1000
	grep -q 'no per-device coherent pool' "$TMP/out" || fail "explain: without --attach-regions the pool is used"
	run explain "$f" --device probe@3 --size 0x4000 --gfp atomic --json
	expect_rc 0 "explain --json"
	grep -q '"backend": "atomic-dma"' "$TMP/out" || fail "explain --json: backend"
	grep -q '"cpu_attr": "WC"' "$TMP/out" || fail "explain --json: attribute"
	# streaming decisions (case 22: 2 GiB, SWIOTLB at 0xb9600000)
	g="$ORACLE_DIR/22-probe-streaming.dtb"
	run explain "$g" --device probe@1 --map 0x20 --dir from-device
	expect_rc 0 "explain --map"
	grep -qxF '=> swiotlb: phys=0x48067000 dma=0xb9600000 bounce=0xb9600000 for_device:clean[0xb9600000+0x20]' "$TMP/out" ||
		fail "explain --map: small FROM_DEVICE kmalloc buffer is not bounced to the first slot: $(grep '^=>' "$TMP/out")"
	run explain "$g" --device probe@1 --map 0x20 --dir to-device
	grep -q '^=> direct: .* for_device:clean' "$TMP/out" || fail "explain --map to-device: not direct with a clean"
	run explain "$g" --device probe@0 --map 0x1000 --dir bidirectional --memory pages --json
	expect_rc 0 "explain --map --json"
	grep -q '"backend": "direct"' "$TMP/out" || fail "explain --map --json: backend"
	grep -q '"cache": \[\]' "$TMP/out" || fail "explain --map --json: a coherent device got cache maintenance"
	run explain "$g" --device probe@1 --map 0x1000 --dir to-device --memory vmalloc
	expect_rc 0 "explain --map vmalloc"
	grep -q 'rejecting DMA map of vmalloc memory' "$TMP/out" || fail "explain --memory vmalloc: no warning"
	grep -q '^=> none: mapping failed' "$TMP/out" || fail "explain --memory vmalloc: not refused"
	run explain "$g" --device probe@1 --map 0x1000 --dir to-device --memory highmem
	expect_rc 2 "explain --memory highmem on arm64"
	grep -q 'no free highmem' "$TMP/err" || fail "explain --memory highmem on arm64: no message"
	run explain "$f" --device nosuch --size 1
	expect_rc 2 "explain unknown device"
	expect_one_err_line "explain unknown device" "dmapool: explain: no device 'nosuch'"
}

check_mem() {
	if ! command -v dtc >/dev/null 2>&1; then
		echo "mem: dtc not on PATH, skipped"
		return
	fi
	cat >"$TMP/nomem.dts" <<'EOF'
/dts-v1/;
/ {
	#address-cells = <2>;
	#size-cells = <2>;
	compatible = "test,nomem";
};
EOF
	run inspect "$TMP/nomem.dts"
	expect_rc 2 "inspect NOMEM"
	expect_one_err_line "inspect NOMEM" "dmapool: $TMP/nomem.dts: "
	grep -q -- '--mem' "$TMP/err" || fail "inspect NOMEM: the reason does not mention --mem"

	run inspect "$TMP/nomem.dts" --mem 512M
	expect_rc 0 "inspect NOMEM --mem 512M"
	grep -qxF 'RAM (512 MiB)' "$TMP/out" || fail "inspect NOMEM --mem 512M: RAM is not 512 MiB"

	run inspect "$TMP/nomem.dts" --mem=1G --json
	expect_rc 0 "inspect NOMEM --mem=1G --json"
	grep -q '"size": 1073741824' "$TMP/out" || fail "inspect NOMEM --mem=1G --json: RAM is not 1 GiB"
}

for c in "$@"; do
	case $c in
	demo | json | missing | truncated | usage | mem | run | explain) "check_$c" ;;
	*) echo "$0: unknown check '$c'" >&2; exit 2 ;;
	esac
done
[ "$FAILED" -eq 0 ] && echo "ok: $*"
exit "$FAILED"
