#!/usr/bin/env bats
# Every man page is lint-clean, and its EXAMPLES run and print what they say.

load helper

@test "man pages pass mandoc -Tlint" {
	run mandoc -Tlint -W warning "$MM_TOP"/man/*.1
	assert_success
	assert_output ""
}

@test "every program has a man page and every page its program" {
	for c in "$MM_TOP"/cmd/mm-*.c; do
		n=$(basename "$c" .c)
		[ -f "$MM_TOP/man/$n.1" ] || fail "no man page for $n"
	done
	for m in "$MM_TOP"/man/*.1; do
		n=$(basename "$m" .1)
		[ -f "$MM_TOP/cmd/$n.c" ] || fail "man page $n.1 has no program"
	done
}

@test "man page EXAMPLES run as documented" {
	for m in "$MM_TOP"/man/*.1; do
		run "$MM_TOP/tests/man-examples.sh" "$m"
		[ "$status" -eq 0 ] || fail "$output"
	done
}

@test "usage synopsis matches each man page SYNOPSIS" {
	for m in "$MM_TOP"/man/*.1; do
		n=$(basename "$m" .1)
		run "$n" --help
		assert_success
		assert_line --index 0 --regexp "^usage: $n "
	done
}
