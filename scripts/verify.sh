#!/bin/sh
# Check mm's numbers against independent numpy/scipy/scikit-learn
# computations.
#   scripts/verify.sh [psi|model|tabular|all]     (make verify: all)
# all runs every part, even after one fails, and exits with the worst
# status.
# psi: mm-psi's reference (edges to the last bit, the bins of point
# masses included), counts, PSI, p-values and statuses on seeded data of
# every feature kind, in batches of 20 and 5000 rows, per batch, over
# windows and merged (scripts/verify_psi.py); model: mm-train's forest
# against scikit-learn's (scripts/verify_model.py); tabular: mm-train's
# forest, categories and missing values taken natively, against a
# scikit-learn pipeline (median and most-frequent imputing, one-hot
# categories, RandomForestClassifier with mm's defaults) on real tables
# from scripts/make_tabular.py: breast_cancer (a categorical column, 5%
# of cells missing, string labels; F1 of --positive malignant), wine (3
# classes) and digits (10 classes, 64 pixels; macro F1), each over
# MM_VERIFY_SPLITS (default 10) stratified 75/25 splits.  The mean F1s
# over the splits must agree within 0.01, and mm's forest (--threads 1;
# card.json fit_seconds) must fit at least 3 times as fast as the
# pipeline does, with the whole mm-train command's wall clock shown
# beside it; MM_VERIFY_SPEED=0 shows the times without judging them (the
# test suite's run).  One verdict line per data set
# (scripts/verify_tabular.py):
#   verify_tabular: wine F1 mm 1.0000±0.0000 sklearn 1.0000±0.0000 diff
#   +0.0000, within 0.01; fit mm 0.006 s sklearn 0.219 s, 36.5x faster;
#   mm-train 0.026 s, 8.4x (10 splits)
set -eu
cd "$(dirname "$0")/.."
what=${1:-all}
case $what in
all|psi|model|tabular) ;;
*) echo "usage: scripts/verify.sh [psi|model|tabular|all]" >&2; exit 2 ;;
esac
splits=${MM_VERIFY_SPLITS:-10}
case $splits in
'' | *[!0-9]* | 0*)
	echo "verify.sh: MM_VERIFY_SPLITS must be a whole number from 1" >&2
	exit 2 ;;
esac
if [ "$what" = all ]; then
	status=0
	for part in psi model tabular; do
		rc=0
		sh scripts/verify.sh "$part" || rc=$?
		[ "$rc" -gt "$status" ] && status=$rc
	done
	exit "$status"
fi
bin=${MM_BIN:-$PWD/bin}
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "$what" = psi ]; then
	mkdir "$tmp/psi"
	$py scripts/verify_psi.py all "$bin/mm-psi" "$tmp/psi"
fi

if [ "$what" = model ]; then
	"$bin/mm-gen" --rows 5000 --seed 1 >"$tmp/train.ndjson"

	# The same training rows and validation rows for mm-train and for
	# scikit-learn's RandomForestClassifier, with the defaults (an empty
	# config directory): the two F1 scores must agree within 0.01.
	echo "Random forest F1 against scikit-learn:"
	$py scripts/verify_model.py split "$tmp/train.ndjson" \
	    "$tmp/fit.ndjson" "$tmp/valid.ndjson" --seed 0
	mkdir "$tmp/config"
	"$bin/mm-train" --models "$tmp/models" --config "$tmp/config" \
	    --validate "$tmp/valid.ndjson" --now 1764140000 "$tmp/fit.ndjson" \
	    >"$tmp/summary.json"
	"$bin/mm-predict" --models "$tmp/models" "$tmp/valid.ndjson" \
	    >"$tmp/predicted.ndjson"
	$py scripts/verify_model.py check "$tmp/fit.ndjson" \
	    "$tmp/valid.ndjson" "$tmp/summary.json" "$tmp/models" \
	    "$tmp/predicted.ndjson"
fi

# Each data set and split: mm-train on the training rows with the
# defaults (an empty config directory) on one thread, its whole wall
# clock timed; verify_tabular.py fits scikit-learn on the same rows and
# compares.  A failing mm-train is reported there, per data set.
if [ "$what" = tabular ]; then
	mkdir -p "$tmp/tab/config"
	for name in breast_cancer wine digits; do
		$py scripts/make_tabular.py "$name" "$tmp/tab/$name" \
		    --splits "$splits"
		k=0
		while [ "$k" -lt "$splits" ]; do
			d=$tmp/tab/$name/$k
			set --
			[ "$name" = breast_cancer ] &&
			    set -- --positive malignant
			rc=0
			t0=$(date +%s%N)
			"$bin/mm-train" --models "$d/models" \
			    --config "$tmp/tab/config" --threads 1 \
			    --validate "$d/valid.ndjson" --now 1764140000 "$@" \
			    "$d/train.ndjson" >"$d/summary.json" || rc=$?
			t1=$(date +%s%N)
			echo "$rc" >"$d/mm_rc"
			echo $((t1 - t0)) >"$d/wall_ns"
			k=$((k + 1))
		done
	done
	$py scripts/verify_tabular.py "$tmp/tab" --splits "$splits"
fi
