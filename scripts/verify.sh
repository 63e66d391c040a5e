#!/bin/sh
# Check mm's numbers against independent numpy/scipy computations.
#   scripts/verify.sh [ROWS]     (make verify)
set -eu
cd "$(dirname "$0")/.."
rows=${1:-2000}
bin=${MM_BIN:-$PWD/bin}
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bin/mm-gen" --rows 5000 --seed 1 >"$tmp/train.ndjson"
"$bin/mm-psi" --fit <"$tmp/train.ndjson" >"$tmp/ref.json"
"$bin/mm-gen" --batches 6 --batch-size "$rows" --seed 2 --drift-at 3 \
    --shift 0.3 >"$tmp/batches.ndjson"
"$bin/mm-gen" --batches 6 --batch-size 64 --seed 3 >"$tmp/small.ndjson"

echo "PSI, fixed bands:"
"$bin/mm-psi" --ref "$tmp/ref.json" <"$tmp/batches.ndjson" >"$tmp/out1"
$py scripts/verify_psi.py "$tmp/train.ndjson" "$tmp/ref.json" \
    "$tmp/batches.ndjson" "$tmp/out1"
echo "PSI, chi2 threshold, small batches, alpha 0.01:"
"$bin/mm-psi" --ref "$tmp/ref.json" --threshold chi2 --alpha 0.01 \
    <"$tmp/small.ndjson" >"$tmp/out2"
$py scripts/verify_psi.py "$tmp/train.ndjson" "$tmp/ref.json" \
    "$tmp/small.ndjson" "$tmp/out2" --alpha 0.01 --chi2
echo "PSI, window of 3 batches:"
"$bin/mm-psi" --ref "$tmp/ref.json" --window 3 <"$tmp/batches.ndjson" \
    >"$tmp/out3"
$py scripts/verify_psi.py "$tmp/train.ndjson" "$tmp/ref.json" \
    "$tmp/batches.ndjson" "$tmp/out3" --window 3
