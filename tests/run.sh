#!/bin/sh
# Run the suite through prove and end with "N passed, N failed".
#   tests/run.sh [unit|bats|pg] [FILE...]
# (pg: the store suites on PostgreSQL, tests/pg/*.pg)
# BUILD and BIN name the build and program directories (Makefile sets them).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=${BIN:-bin}
case $BIN in
/*) export MM_BIN="$BIN" ;;
*) export MM_BIN="$PWD/$BIN" ;;
esac
export MM_TOP="$PWD"
case $BUILD in
/*) export MM_BUILD="$BUILD" ;;
*) export MM_BUILD="$PWD/$BUILD" ;;
esac
# Each run keeps its TAP in a directory of its own, left in tests/log.
MM_TAPLOG=$(mktemp -d "${TMPDIR:-/tmp}/mm-tap.XXXXXX")
export MM_TAPLOG
export CMOCKA_MESSAGE_OUTPUT=TAP

what=${1:-all}
[ $# -gt 0 ] && shift
if [ $# -gt 0 ]; then
	files="$*"
else
	files=
	case $what in
	all|unit) files="$files $(ls "$BUILD"/tests/test_* 2>/dev/null)" ;;
	esac
	case $what in
	all|bats) files="$files $(ls tests/bats/*.bats 2>/dev/null)" ;;
	esac
	# The store suites again on PostgreSQL (tests/pg/*.pg, run-one).
	case $what in
	all|bats|pg) files="$files $(ls tests/pg/*.pg 2>/dev/null)" ;;
	esac
	# The longest files first, so that none is left running alone at
	# the end (prove starts them in the order given).
	slow=
	for f in tests/pg/exactly-once.pg tests/bats/mm-serve.bats \
	    tests/pg/reliability.pg tests/pg/mm-record.pg \
	    tests/pg/crash.pg tests/bats/crash.bats \
	    tests/bats/verify.bats tests/bats/reliability.bats \
	    "$BUILD"/tests/test_drift_calibration tests/bats/mm-report.bats \
	    tests/bats/sim.bats tests/bats/mm-exec.bats tests/bats/fuzz.bats; do
		case " $files " in
		*" $f "*) slow="$slow $f" ;;
		esac
	done
	rest=
	for f in $files; do
		case " $slow " in
		*" $f "*) ;;
		*) rest="$rest $f" ;;
		esac
	done
	files="$slow $rest"
fi

# One more job than cores: some files spend seconds waiting (a server
# starting, a scrape, a browser), and another file can use the core.
jobs=$(( $(nproc 2>/dev/null || echo 2) + 1 ))
# shellcheck disable=SC2086
prove -j"$jobs" -e tests/run-one $files
rc=$?

pass=$(cat "$MM_TAPLOG"/*.tap 2>/dev/null | grep -E '^ok ' | grep -vEc '# (skip|SKIP)')
skip=$(cat "$MM_TAPLOG"/*.tap 2>/dev/null | grep -Ec '^ok .*# (skip|SKIP)')
fail=$(cat "$MM_TAPLOG"/*.tap 2>/dev/null | grep -Ec '^not ok ')
# What each failure said, from its TAP: prove shows only the numbers.
if [ "$fail" -gt 0 ]; then
	for f in "$MM_TAPLOG"/*.tap; do
		awk -v f="${f##*/}" '/^not ok /{p=1; print f ": " $0; next}
		    /^(ok|not ok) /{p=0} p && /^#/{print "  " $0}' "$f"
	done | head -n 200
fi
# The files that took longest: the suite is to stay within minutes.
for f in "$MM_TAPLOG"/*.secs; do
	[ -f "$f" ] && printf '%s %s\n' "$(cat "$f")" "$(basename "$f" .tap.secs)"
done | sort -rn | head -n 8 | awk '{ s = s sep $2 " " $1 " s"; sep = ", " }
	END { if (s != "") print "slowest: " s }'
rm -f "$MM_TAPLOG"/*.secs
# A test file that died before its plan counts as one failure.
[ "$rc" != 0 ] && [ "$fail" = 0 ] && fail=1
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
rm -rf tests/log
cp -r "$MM_TAPLOG" tests/log && rm -rf "$MM_TAPLOG"
[ "$rc" = 0 ] && [ "$fail" = 0 ]
