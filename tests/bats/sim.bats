#!/usr/bin/env bats
# make sim: every lifecycle action happens, for a real reason, in order.

load helper

@test "the simulation promotes, rejects, retrains and rolls back, in that order" {
	run "$MM_TOP/scripts/sim.sh" --check --dir "$BATS_TEST_TMPDIR/sim"
	assert_success
	assert_line "check: ok (promote reject retrain rollback )"
	assert_line --regexp '^-- phase 1: stable traffic'
	assert_line --regexp '^-- phase 4: CI stages a bad candidate'
	# One line per batch, 100 batches.
	[ "$(grep -c '^b0000[0-9][0-9] ' <<<"$output")" -eq 100 ]
	# The same run twice prints the same thing.
	first=$(grep -v '^report:\|^records:\|^check:' <<<"$output")
	run "$MM_TOP/scripts/sim.sh" --dir "$BATS_TEST_TMPDIR/sim"
	assert_success
	assert_equal "$(grep -v '^report:\|^records:\|^check:' <<<"$output")" "$first"
}
