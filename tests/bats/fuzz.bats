#!/usr/bin/env bats
# The libFuzzer harnesses (tests/fuzz/): every crasher a fuzzer found is
# kept in tests/fuzz/crashers/TARGET/ and replayed here, through the
# harness that found it, as a regression test, and so are the seeds.
# The harnesses are built for this without libFuzzer (tests/fuzz/
# replay.c, make's REPLAYS), as the rest of the suite is: with the
# sanitizers under make check-asan.  Fuzzing itself is make fuzz-smoke
# (seconds a harness) and make fuzz (minutes).

load helper

REPLAY=${MM_BUILD:-$MM_TOP/build}/replay
export UBSAN_OPTIONS=print_stacktrace=1

# Run target $1's harness on each of its seeds and crashers; name each
# that fails.
replay() {
	local f bad=0
	for f in "$MM_TOP/tests/fuzz/corpus/$1"/* \
	    "$MM_TOP/tests/fuzz/crashers/$1"/*; do
		[ -f "$f" ] || continue
		run "$REPLAY/fuzz_$1" "$f"
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

@test "a file the replay cannot read is an error, not a pass" {
	local seed
	seed=$(ls "$MM_TOP"/tests/fuzz/corpus/record/* | head -n 1)
	run "$REPLAY/fuzz_record" "$seed" nosuch
	assert_failure 2
	assert_output "replay: nosuch: cannot read"
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
