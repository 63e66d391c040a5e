#!/usr/bin/env bats
# The test harness itself: a test file that prints a whole plan of
# passing tests and then fails in any other way must fail the run.

load helper

fake() {	# fake NAME EXIT: a test "binary" that passes, then exits EXIT
	mkdir -p fakes
	printf '#!/bin/sh\necho 1..2\necho ok 1 a\necho ok 2 b\n%s\n' "$2" \
	    >"fakes/$1"
	chmod +x "fakes/$1"
}

@test "run-one passes a test file's exit status on" {
	fake exit23 'exit 23'
	export MM_TAPLOG=$PWD
	run "$MM_TOP/tests/run-one" fakes/exit23
	assert_failure 23
	assert_output "1..2
ok 1 a
ok 2 b"
	assert_equal "$(cat exit23.tap)" "$output"
}

@test "run-one fails a test file killed by a signal after its plan" {
	fake segv 'kill -SEGV $$'
	export MM_TAPLOG=$PWD
	run "$MM_TOP/tests/run-one" fakes/segv
	assert_failure 139
}

@test "run-one passes a clean test file" {
	fake clean 'exit 0'
	export MM_TAPLOG=$PWD
	run "$MM_TOP/tests/run-one" fakes/clean
	assert_success
}

@test "the suite's count says failed for a file that crashed after its plan" {
	fake crash 'kill -ABRT $$'
	fake fine 'exit 0'
	run sh -c "cd '$MM_TOP' && tests/run.sh unit '$PWD/fakes/crash' '$PWD/fakes/fine' 2>&1"
	assert_failure
	assert_line --index -1 "4 passed, 1 failed"
}
