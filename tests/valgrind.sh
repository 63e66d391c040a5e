#!/bin/sh
# Run the unit tests and typical pipelines under valgrind (make
# check-valgrind); any memory error or leak fails.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=${BIN:-bin}
vg="valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {
	rc=0
	"$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	if [ "$rc" = 9 ] || grep -q '^==[0-9]*==' "$tmp/err"; then
		echo "valgrind: $*"
		sed 's/^/  /' "$tmp/err"
		fail=1
		return
	fi
	echo "ok: ${*##*/}"
}

for t in "$BUILD"/tests/test_*; do
	CMOCKA_MESSAGE_OUTPUT=TAP check $vg "$t"
done
$vg "$BIN/mm-gen" --rows 2000 --seed 1 >"$tmp/train"
echo "ok: mm-gen --rows"
$vg "$BIN/mm-psi" --fit <"$tmp/train" >"$tmp/ref"
echo "ok: mm-psi --fit"
"$BIN/mm-gen" --batches 4 --batch-size 300 --drift-at 2 --format rows >"$tmp/rows"
check $vg "$BIN/mm-batch" --size 300 "$tmp/rows"
check $vg "$BIN/mm-batch" --every 120 "$tmp/rows"
"$BIN/mm-batch" --size 300 "$tmp/rows" >"$tmp/batches"
check $vg "$BIN/mm-psi" --ref "$tmp/ref" "$tmp/batches"
check $vg "$BIN/mm-psi" --ref "$tmp/ref" --window 3 --threshold chi2 "$tmp/batches"
"$BIN/mm-psi" --ref "$tmp/ref" --counts "$tmp/batches" >"$tmp/counts"
check $vg "$BIN/mm-psi" --ref "$tmp/ref" --merge --by ts "$tmp/counts"
printf '{"batch_id":"x","features":{"f0":[1,"a"]}}\n' >"$tmp/bad"
check sh -c "$vg $BIN/mm-psi --ref $tmp/ref $tmp/bad; [ \$? = 2 ]"
check sh -c "$vg $BIN/mm-psi --ref $tmp/ref --skip-bad $tmp/bad $tmp/batches >/dev/null"
exit $fail
