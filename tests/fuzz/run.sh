#!/bin/sh
# Run the libFuzzer harnesses built by `make fuzz-build`, and sum up.
#   tests/fuzz/run.sh [-t SECONDS] [-j JOBS] [-r] [-k] TARGET...
# Each target fuzzes for SECONDS (default 600), JOBS at a time (default
# 2), from its seeds in tests/fuzz/corpus/TARGET/ and the corpus it grew
# before in build/fuzz/corpus/TARGET/, with tests/fuzz/TARGET.dict if
# there is one.  -r first replays tests/fuzz/crashers/TARGET/.  A new
# crasher lands in build/fuzz/artifacts/TARGET/; the log of each run is
# build/fuzz/log/TARGET.log.  With -k a target goes on fuzzing past a
# crash, in libFuzzer's fork mode, for all of SECONDS.  Exits 1 if any
# target found something or failed a replay.
set -u
cd "$(dirname "$0")/../.." || exit 2
FUZZ_BUILD=${FUZZ_BUILD:-build/fuzz}
# Stack traces for undefined behaviour too.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
seconds=600
jobs=2
replay=0
keep=0

while getopts t:j:rk o; do
	case $o in
	t) seconds=$OPTARG ;;
	j) jobs=$OPTARG ;;
	r) replay=1 ;;
	k) keep=1 ;;
	*) echo "usage: tests/fuzz/run.sh [-t SECONDS] [-j JOBS] [-r] [-k] TARGET..." >&2
	   exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "run.sh: no target" >&2; exit 2; }

# One target: replay its crashers, then fuzz.  Prints one summary line.
one() {
	t=$1
	bin=$FUZZ_BUILD/fuzz_$t
	log=$FUZZ_BUILD/log/$t.log
	mkdir -p "$FUZZ_BUILD/corpus/$t" "$FUZZ_BUILD/artifacts/$t" \
	    "$FUZZ_BUILD/log"
	: >"$log"
	if [ "$replay" = 1 ] && [ -d "tests/fuzz/crashers/$t" ] &&
	    [ -n "$(ls "tests/fuzz/crashers/$t")" ]; then
		if ! "$bin" tests/fuzz/crashers/"$t"/* >>"$log" 2>&1; then
			printf '%-8s replay FAILED: a crasher in tests/fuzz/crashers/%s/ still crashes (%s)\n' \
			    "$t" "$t" "$log"
			return 1
		fi
	fi
	# Standard output closed; standard error too for mm-batch's messages.
	mask=1
	[ "$t" = mmbatch ] && mask=3
	set -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -close_fd_mask=$mask \
	    -artifact_prefix="$FUZZ_BUILD/artifacts/$t/"
	[ -f "tests/fuzz/$t.dict" ] && set -- "$@" -dict="tests/fuzz/$t.dict"
	[ "$keep" = 1 ] && set -- "$@" -fork=1 -ignore_crashes=1 \
	    -ignore_timeouts=1 -ignore_ooms=1
	start=$(date +%s)
	"$bin" "$@" "$FUZZ_BUILD/corpus/$t" "tests/fuzz/corpus/$t" \
	    >>"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -n 1)
	# Fork mode has no final stats: its last status line counts.
	[ -n "$execs" ] || execs=$(printf '%s\n' "$last" |
	    sed -n 's/^#\([0-9]*\).*/\1/p')
	cov=$(printf '%s\n' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s\n' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(printf '%s\n' "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	found=$(find "$FUZZ_BUILD/artifacts/$t" -type f | wc -l)
	crashes=$(printf '%s\n' "$last" |
	    sed -n 's|.*oom/timeout/crash: \([0-9/]*\).*|\1|p')
	if [ "$rc" = 0 ] && [ "${crashes:-0/0/0}" = 0/0/0 ]; then
		st=ok
	elif [ "$rc" = 0 ]; then
		st="FOUND oom/timeout/crash $crashes: $(grep -m1 -E 'SUMMARY|check failed' "$log")"
	else
		st="FOUND (exit $rc): $(grep -m1 -E 'ERROR|SUMMARY|check failed|runtime error' "$log")"
	fi
	printf '%-8s %ss execs %s cov %s ft %s corpus %s artifacts %s %s\n' \
	    "$t" "$secs" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
	    "$found" "$st"
	[ "$st" = ok ]
}

if [ "${RUN_ONE:-}" = 1 ]; then
	one "$1"
	exit $?
fi

for t in "$@"; do
	[ -x "$FUZZ_BUILD/fuzz_$t" ] || {
		echo "run.sh: $FUZZ_BUILD/fuzz_$t missing: make fuzz-build" >&2
		exit 2
	}
done
flags=
[ "$replay" = 1 ] && flags="$flags -r"
[ "$keep" = 1 ] && flags="$flags -k"
# Each target's line as it ends.
# shellcheck disable=SC2086
printf '%s\n' "$@" | RUN_ONE=1 xargs -P "$jobs" -n 1 sh "$0" \
    -t "$seconds" $flags
