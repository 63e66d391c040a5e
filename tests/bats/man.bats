#!/usr/bin/env bats
# Every man page is lint-clean, and its EXAMPLES run and print what they say.
# Section 1 has a page per program; mm(7), the design, and mm-records(5),
# the formats, are the pages of no one program.

load helper

@test "man pages pass mandoc -Tlint" {
	run mandoc -Tlint -W warning "$MM_TOP"/man/*.1 "$MM_TOP"/man/*.5 \
	    "$MM_TOP"/man/*.7
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

@test "mm(7) and mm-records(5) exist, and every page refers to both" {
	[ -f "$MM_TOP/man/mm.7" ] || fail "no man/mm.7"
	[ -f "$MM_TOP/man/mm-records.5" ] || fail "no man/mm-records.5"
	for m in "$MM_TOP"/man/*.1; do
		grep -q '^\.Xr mm 7' "$m" || fail "$(basename "$m") lacks Xr mm 7"
		grep -q '^\.Xr mm-records 5' "$m" ||
		    fail "$(basename "$m") lacks Xr mm-records 5"
	done
}

@test "mm(7) names every program and mm-records(5) every table" {
	for c in "$MM_TOP"/cmd/mm-*.c; do
		n=$(basename "$c" .c)
		grep -q "^\.Xr $n 1" "$MM_TOP/man/mm.7" ||
		    fail "mm.7 does not name $n"
	done
	tables=$(sed -n 's/.*CREATE TABLE \([a-z_]*\).*/\1/p' "$MM_TOP/lib/db.c")
	[ -n "$tables" ] || fail "no table found in lib/db.c"
	for t in $tables; do
		grep -q "^\.Ss $t\$" "$MM_TOP/man/mm-records.5" ||
		    fail "mm-records.5 does not describe table $t"
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
