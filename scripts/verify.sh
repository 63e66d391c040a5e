#!/bin/sh
# Check mm's numbers against independent numpy/scipy/scikit-learn
# computations.
#   scripts/verify.sh [psi|model]     (make verify: both)
# psi: mm-psi's reference (edges to the last bit, the bins of point
# masses included), counts, PSI, p-values and statuses on seeded data of
# every feature kind, in batches of 20 and 5000 rows, per batch, over
# windows and merged (scripts/verify_psi.py); model: mm-train's forest
# against scikit-learn's (scripts/verify_model.py).
set -eu
cd "$(dirname "$0")/.."
what=${1:-all}
case $what in
all|psi|model) ;;
*) echo "usage: scripts/verify.sh [psi|model]" >&2; exit 2 ;;
esac
bin=${MM_BIN:-$PWD/bin}
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "$what" != model ]; then
	mkdir "$tmp/psi"
	$py scripts/verify_psi.py all "$bin/mm-psi" "$tmp/psi"
fi
[ "$what" = psi ] && exit 0

"$bin/mm-gen" --rows 5000 --seed 1 >"$tmp/train.ndjson"

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
