#!/bin/sh
# Check mm's numbers against independent numpy/scipy/scikit-learn
# computations.
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

# The same training rows and validation rows for mm-train and for
# scikit-learn's RandomForestClassifier, with the defaults (an empty
# config directory): the two F1 scores must agree within 0.01.
echo "Random forest F1 against scikit-learn:"
$py scripts/verify_model.py split "$tmp/train.ndjson" "$tmp/fit.ndjson" \
    "$tmp/valid.ndjson" --seed 0
mkdir "$tmp/config"
"$bin/mm-train" --models "$tmp/models" --config "$tmp/config" \
    --validate "$tmp/valid.ndjson" --now 1764140000 "$tmp/fit.ndjson" \
    >"$tmp/summary.json"
"$bin/mm-predict" --models "$tmp/models" "$tmp/valid.ndjson" \
    >"$tmp/predicted.ndjson"
$py scripts/verify_model.py check "$tmp/fit.ndjson" "$tmp/valid.ndjson" \
    "$tmp/summary.json" "$tmp/models" "$tmp/predicted.ndjson"
