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

# A page's SYNOPSIS against its program's usage, form by form: the
# SYNOPSIS as mandoc renders it (a form starts on a line of its own with
# the program's name), the usage as --help prints it up to its first
# blank line ("usage: NAME ...", continuation lines, "       NAME ..."
# for each other form).  Both are cut into units, one a line, each
# prefixed with its form's number: the name, an option or operand, a
# bracketed group.  Only wrapping and the space just inside brackets are
# not compared; options, operands, their arguments, groups and order all
# are.  Prints what differs, "-" the page's, "+" the usage's, and fails.
synopsis_check() {
	local page=$1 n help d
	n=$(basename "$page" .1)
	help=$("$n" --help) || { echo "$n --help failed"; return 1; }
	mandoc -T ascii "$page" | sed 's/.\x08//g' | awk -v n="$n" '
		/^[^ ]/ { on = $0 == "SYNOPSIS"; next }
		!on || NF == 0 { next }
		/^     [^ ]/ && $1 == n { if (f != "") print f; f = $0; next }
		{ f = f " " $0 }
		END { if (f != "") print f }' | synopsis_units >"$n.man"
	printf '%s\n' "$help" | awk -v n="$n" '
		NR == 1 && $1 != "usage:" { exit }
		NR == 1 { sub(/^usage:/, ""); f = $0; next }
		NF == 0 { exit }
		$1 == n { print f; f = $0; next }
		{ f = f " " $0 }
		END { if (f != "") print f }' | synopsis_units >"$n.usage"
	[ -s "$n.man" ] || { echo "$(basename "$page"): no SYNOPSIS"; return 1; }
	[ -s "$n.usage" ] || { echo "$n --help: no usage line"; return 1; }
	d=$(diff -U0 "$n.man" "$n.usage" | grep -Ev '^(---|\+\+\+|@@)') ||
	    return 0
	echo "$(basename "$page"): SYNOPSIS (-) differs from $n --help (+):"
	echo "$d"
	return 1
}

# One synopsis form a line in, its units out as "FORM: UNIT": white space
# runs made one space, none just inside a bracket, and the line cut at
# each space outside brackets.
synopsis_units() {
	sed -e 's/[[:space:]][[:space:]]*/ /g' -e 's/^ //' -e 's/ $//' \
	    -e 's/\[ /[/g' -e 's/ \]/]/g' | awk '
	{
		form++; u = ""; depth = 0
		for (i = 1; i <= length($0); i++) {
			c = substr($0, i, 1)
			if (c == "[") depth++
			else if (c == "]") depth--
			if (c == " " && depth == 0) {
				print form ": " u; u = ""
			} else
				u = u c
		}
		if (u != "") print form ": " u
	}'
}

@test "usage synopsis matches each man page SYNOPSIS" {
	for m in "$MM_TOP"/man/*.1; do
		run synopsis_check "$m"
		[ "$status" -eq 0 ] || fail "$output"
	done
}

@test "a SYNOPSIS that differs from the usage is caught and named" {
	mkdir planted
	# An option renamed.
	sed 's/^\.Op Fl -window Ar N$/.Op Fl -windows Ar N/' \
	    "$MM_TOP/man/mm-psi.1" >planted/mm-psi.1
	! cmp -s "$MM_TOP/man/mm-psi.1" planted/mm-psi.1 ||
	    fail "nothing planted in mm-psi.1"
	run synopsis_check planted/mm-psi.1
	assert_failure
	assert_line --index 0 \
	    "mm-psi.1: SYNOPSIS (-) differs from mm-psi --help (+):"
	assert_line -- "-1: [--windows N]"
	assert_line -- "+1: [--window N]"
	# Two options in the other order.
	awk '/^\.Op Fl -skip-bad$/ { held = $0; next }
	    { print } held != "" { print held; held = "" }' \
	    "$MM_TOP/man/mm-trust.1" >planted/mm-trust.1
	! cmp -s "$MM_TOP/man/mm-trust.1" planted/mm-trust.1 ||
	    fail "nothing planted in mm-trust.1"
	run synopsis_check planted/mm-trust.1
	assert_failure
	assert_line --index 0 \
	    "mm-trust.1: SYNOPSIS (-) differs from mm-trust --help (+):"
	assert_line --regexp '^[-+]1: \[--(skip-bad|max-record BYTES)\]$'
	# An operand left out of the second form.
	sed '/^\.Fl -fit$/,/^\.Nm$/{/^\.Op Ar FILE \.\.\.$/d;}' \
	    "$MM_TOP/man/mm-psi.1" >planted/mm-psi.1
	run synopsis_check planted/mm-psi.1
	assert_failure
	assert_line -- "+2: [FILE ...]"
	# Wrapping and the space inside brackets are not differences.
	sed 's/^\.Op Fl -window Ar N$/.Oo Fl -window Ar N Oc/' \
	    "$MM_TOP/man/mm-psi.1" >planted/mm-psi.1
	run synopsis_check planted/mm-psi.1
	assert_success
	run synopsis_units <<<'mm-x [ --a  B ]  [FILE ...]'
	assert_output "1: mm-x
1: [--a B]
1: [FILE ...]"
}
