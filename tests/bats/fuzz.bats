#!/usr/bin/env bats
# The libFuzzer harnesses (tests/fuzz/): every crasher a fuzzer found is
# kept in tests/fuzz/crashers/TARGET/ and replayed here, through the
# harness that found it, as a regression test, and so are the seeds.
# Each harness also fuzzes here for a fixed, seeded number of inputs
# (FUZZ_RUNS, about a second each), so a change that breaks the reader
# on mutated input fails the suite, not only the next make fuzz.  Long
# runs are make fuzz-smoke (seconds) and make fuzz (minutes).

load helper

FUZZ_BUILD=${MM_FUZZ_BUILD:-$MM_TOP/build/fuzz}
export UBSAN_OPTIONS=print_stacktrace=1

setup_file() {
	# A make of its own: nothing of the make that runs the suite.
	(cd "$MM_TOP" && env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
	    make -s -j"$(nproc)" fuzz-build >/dev/null) || return 1
}

# Run target $1's harness on each of its seeds and crashers; name each
# that fails.
replay() {
	local f bad=0
	for f in "$MM_TOP/tests/fuzz/corpus/$1"/* \
	    "$MM_TOP/tests/fuzz/crashers/$1"/*; do
		[ -f "$f" ] || continue
		run "$FUZZ_BUILD/fuzz_$1" "$f"
		if [ "$status" != 0 ]; then
			echo "${f#"$MM_TOP"/} fails:"
			echo "$output" | grep -E 'ERROR|SUMMARY|runtime error|check failed|does not|#[0-9]+ 0x' | head -20
			bad=1
		fi
	done
	return "$bad"
}

@test "fuzz_record runs its seeds and crashers clean" {
	replay record
}

@test "fuzz_batch runs its seeds and crashers clean" {
	replay batch
}

@test "fuzz_write runs its seeds and crashers clean" {
	replay write
}

@test "fuzz_rows runs its seeds and crashers clean" {
	replay rows
}

@test "fuzz_mmbatch runs its seeds and crashers clean" {
	replay mmbatch
}

@test "fuzz_config runs its seeds and crashers clean" {
	replay config
}

@test "fuzz_model runs its seeds and crashers clean" {
	replay model
}

@test "fuzz_ref runs its seeds and crashers clean" {
	replay ref
}

# Fuzz target $1 for FUZZ_RUNS inputs from seed 1, into a scratch
# corpus (the seeds in tests/fuzz/corpus/ stay as they are).
fuzz_runs() {
	local mask=1 dict=
	[ "$1" = mmbatch ] && mask=3
	[ -f "$MM_TOP/tests/fuzz/$1.dict" ] && dict=-dict=$MM_TOP/tests/fuzz/$1.dict
	mkdir -p "$BATS_TEST_TMPDIR/corpus"
	# shellcheck disable=SC2086
	run "$FUZZ_BUILD/fuzz_$1" -runs="${FUZZ_RUNS:-3000}" -seed=1 \
	    -timeout=60 -rss_limit_mb=2048 -close_fd_mask=$mask $dict \
	    -artifact_prefix="$BATS_TEST_TMPDIR/" \
	    "$BATS_TEST_TMPDIR/corpus" "$MM_TOP/tests/fuzz/corpus/$1"
	if [ "$status" != 0 ]; then
		echo "$output" | grep -E 'ERROR|SUMMARY|runtime error|check failed|timeout|#[0-9]+ 0x' | head -20
		return 1
	fi
	# libFuzzer's last line: the inputs it ran.
	[[ "$output" == *"Done ${FUZZ_RUNS:-3000} runs"* ]]
}

@test "each harness fuzzes 3000 seeded inputs clean" {
	local f t bad=
	for f in "$MM_TOP"/tests/fuzz/fuzz_*.c; do
		t=${f##*/fuzz_}
		t=${t%.c}
		fuzz_runs "$t" || bad="$bad $t"
	done
	[ -z "$bad" ] || { echo "found something:$bad"; return 1; }
}

@test "every harness in tests/fuzz/ is replayed here" {
	local f t
	for f in "$MM_TOP"/tests/fuzz/fuzz_*.c; do
		t=${f##*/fuzz_}
		t=${t%.c}
		grep -q "^	replay $t\$" "$BATS_TEST_FILENAME" ||
		    { echo "fuzz_$t is not replayed"; return 1; }
	done
}
