#!/bin/sh
# The drift simulation (make sim): synthetic traffic through the mm
# programs, one line per batch.  Reproducible: simulated time, fixed seeds.
#   scripts/sim.sh [--batches N] [--drift-at K] [--keep]
set -eu
cd "$(dirname "$0")/.."
bin=${MM_BIN:-$PWD/bin}
dir=${MM_SIM_DIR:-data/sim}
batches=60
drift_at=30
keep=0
start=1764140000
while [ $# -gt 0 ]; do
	case $1 in
	--batches) batches=$2; shift 2 ;;
	--drift-at) drift_at=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	-h|--help)
		echo "usage: scripts/sim.sh [--batches N] [--drift-at K] [--keep]"
		exit 0 ;;
	*) echo "sim.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ "$keep" = 1 ] || rm -rf "$dir"
mkdir -p "$dir"
models=$dir/models

if [ -t 1 ]; then
	red=$(printf '\033[31m') yellow=$(printf '\033[33m')
	green=$(printf '\033[32m') off=$(printf '\033[0m')
else
	red= yellow= green= off=
fi

if [ ! -f "$models/active.json" ]; then
	"$bin/mm-train" --synthetic --rows 5000 --seed 1 --models "$models" \
	    --now $((start - 3600)) >"$dir/train.json"
	echo "trained a first model: $(sed -E 's/.*"version":"([^"]*)".*"f1":([0-9.]{6}).*/version \1, validation F1 \2/' "$dir/train.json")"
fi

echo "phase 1: stable traffic (batches 0-$((drift_at - 1)))"
echo "phase 2: covariate shift on f0, f1, f2 from batch $drift_at"
printf '%-8s  %6s  %11s  %-8s\n' batch f1 drift_score status
"$bin/mm-gen" --batches "$batches" --batch-size 256 --seed 2 \
    --start "$start" --drift-at "$drift_at" --shift 1.0 |
"$bin/mm-predict" --models "$models" |
"$bin/mm-psi" --models "$models" >"$dir/drift.ndjson"
sed -E 's/^\{"batch_id":"([^"]*)".*"metrics":\{[^}]*"f1":([^,}]*).*"drift_score":([^,]*),"status":"([a-z]*)".*$/\1 \2 \3 \4/' \
    "$dir/drift.ndjson" |
while read -r id f1 score status; do
	case $status in
	severe) c=$red ;;
	moderate) c=$yellow ;;
	*) c=$green ;;
	esac
	printf '%-8s  %6.4f  %11.4f  %s%-8s%s\n' "$id" "$f1" "$score" "$c" \
	    "$status" "$off"
done
echo
for s in stable moderate severe; do
	printf '%-8s %4d batches\n' "$s" \
	    "$(grep -c "\"status\":\"$s\"" "$dir/drift.ndjson" || true)"
done
echo "records: $dir/drift.ndjson; models: $models"
