# Shared by the benchmark scripts (sourced, not run).  Needs $PY.

missed=0

die() {
	echo "bench: $*" >&2
	exit 3
}

need() {
	for t in "$@"; do
		[ -x "$t" ] || command -v "$t" >/dev/null 2>&1 ||
			die "'$t' not found (make bench installs it)"
	done
}

# The value of key $1 in the "key value" lines of file $2.
kv() {
	awk -v k="$1" '$1 == k { print $2 }' "$2"
}

# Seconds of the median run of command number $2 in hyperfine JSON $1.
hf_median() {
	"$PY" -c 'import json, sys
print(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"])' \
		"$1" "$2"
}

# Target line: name, value, comparison (ge|le), bound, unit.
target() {
	awk -v name="$1" -v v="$2" -v op="$3" -v b="$4" -v unit="$5" 'BEGIN {
		ok = op == "ge" ? v >= b : v <= b
		printf "  %-26s %10.2f %-5s %s %8.2f %-5s %s\n", name, v, unit,
		    op == "ge" ? ">=" : "<=", b, unit, ok ? "PASS" : "MISS"
		exit ok ? 0 : 1
	}' || missed=1
}

# check OK TEXT...: a PASS line when OK is 1, else a MISS line.
check() {
	ok=$1
	shift
	if [ "$ok" = 1 ]; then
		echo "  $*   PASS"
	else
		echo "  $*   MISS"
		missed=1
	fi
}
