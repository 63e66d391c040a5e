#!/usr/bin/env bats
# make sim: every lifecycle action happens, for a real reason, in order;
# in 32-row batches too, no reject comes without drift beyond the drift
# test's level.

load helper

# The 32-row run goes on in the background while the first test runs.
setup_file() {
	small=$BATS_FILE_TMPDIR/small
	{
		"$MM_TOP/scripts/sim.sh" --small --check --dir "$small" \
		    >"$small.out" 2>&1
		echo $? >"$small.rc"
	} </dev/null >/dev/null 2>&1 3>&- &
}

@test "the simulation promotes, rejects, retrains and rolls back, each for a reason" {
	run "$MM_TOP/scripts/sim.sh" --check --dir "$BATS_TEST_TMPDIR/sim"
	assert_success
	assert_line "check: ok (promote reject retrain rollback )"
	assert_line --regexp '^check: 0 of [0-9]+ decisions without drift rejected \(at most 0\)$'
	assert_line --regexp '^-- phase 1: stable traffic'
	assert_line --regexp '^-- phase 4: one feature drifts'
	assert_line --regexp '^-- phase 5: f5 back; CI stages a bad candidate'
	# One line per batch, 100 batches.
	[ "$(grep -c '^b0000[0-9][0-9] ' <<<"$output")" -eq 100 ]
	# Batches are rejected in the shifts and only there, and in phase 4
	# for f5 alone.
	[ "$(grep -E '^b0000(2[5-9]|3[0-9]) .* reject ' <<<"$output" | wc -l)" -eq 15 ]
	[ "$(grep -E '^b00006[0-9] .* severe +f5 .* reject ' <<<"$output" | wc -l)" -eq 10 ]
	[ "$(grep -E '^b[0-9]+ .* reject ' <<<"$output" | wc -l)" -eq 25 ]
	# The sample in the README is this output, line for line: the same
	# run prints the same thing, wherever and whenever it runs.
	sed -n '/^    batch /,/^$/s/^    //p' "$MM_TOP/README.md" | grep . >sample
	[ "$(wc -l <sample)" -gt 10 ]
	while IFS= read -r line; do
		assert_line "$line"
	done <sample
}

@test "in 32-row batches: every action in order, no F1 action on noise, rejects within alpha" {
	small=$BATS_FILE_TMPDIR/small
	for _ in $(seq 600); do
		[ -f "$small.rc" ] && break
		sleep 1
	done
	run cat "$small.out"
	assert_equal "$(cat "$small.rc")" 0
	assert_line --regexp '^check: [0-9]+ of [0-9]+ decisions without drift rejected'
	assert_line "check: ok (promote reject retrain rollback )"
	refute_line --partial "check: retrain or rollback where nothing changed"
	[ "$(grep -c '^b0000[0-9][0-9] ' <<<"$output")" -eq 100 ]
	# Each shift is seen.
	grep -qE '^b0000(2[5-9]|3[0-9]) .* reject ' <<<"$output"
	grep -qE '^b00006[0-9] .* severe +f5 .* reject ' <<<"$output"
}
