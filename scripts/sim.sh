#!/bin/sh
# The simulation (make sim): the real programs against one SQLite file and
# one model store, in simulated time (batches 60 s apart, --now
# everywhere), so every run prints the same thing.
#
#   scripts/sim.sh [--keep] [--check] [--dir DIR]
#
# Phases, each action for a real reason:
#   1. stable traffic; CI stages a better candidate   -> promote
#   2. covariate shift on f0, f1, f2                  -> reject
#   3. concept change: labels follow the features differently
#                                                     -> retrain, recover
#   4. CI stages a bad candidate (shuffled labels), promoted after a calm
#      spell; F1 collapses                            -> rollback
# --check exits 1 unless promote, reject, retrain and rollback were all
# executed, first appearing in that order.
set -eu
cd "$(dirname "$0")/.."
bin=${MM_BIN:-$PWD/bin}
dir=${MM_SIM_DIR:-data/sim}
keep=0
check=0
while [ $# -gt 0 ]; do
	case $1 in
	--keep) keep=1; shift ;;
	--check) check=1; shift ;;
	--dir) dir=$2; shift 2 ;;
	-h|--help)
		echo "usage: scripts/sim.sh [--keep] [--check] [--dir DIR]"
		exit 0 ;;
	*) echo "sim.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ "$keep" = 1 ] || rm -rf "$dir"
mkdir -p "$dir/config"
cp config/*.yaml "$dir/config/"
cp scripts/sim-config/*.yaml "$dir/config/"
models=$dir/models
db=$dir/metrics.db
cfg=$dir/config
log=$dir/records.ndjson
export MM_CONFIG="$cfg"

start=1764140000
size=256
# Phase boundaries (batch numbers).
p_drift=25
p_concept=40
p_bad=75
end=100

if [ -t 1 ]; then
	red=$(printf '\033[31m') green=$(printf '\033[32m')
	yellow=$(printf '\033[33m') bold=$(printf '\033[1m')
	off=$(printf '\033[0m')
else
	red= green= yellow= bold= off=
fi

active() {
	sed -E 's/.*"version":"([^"]*)".*/\1/' "$models/active.json"
}

if [ ! -f "$models/active.json" ]; then
	"$bin/mm-train" --synthetic --rows 5000 --seed 1 --models "$models" \
	    --now $((start - 7200)) >"$dir/train.json"
	echo "trained a first model: $(sed -E 's/.*"version":"([^"]*)".*"f1":([0-9.]{6}).*/\1, validation F1 \2/' "$dir/train.json")"
fi

# One batch, end to end, so each decision sees the state the one before
# left behind.
batch() {
	i=$1
	shift
	ts=$((start + 60 * i))
	"$bin/mm-gen" --batches 1 --batch-size $size --seed $((1000 + i)) \
	    --start $ts "$@" |
	sed "s/\"batch_id\":\"b000000\"/\"batch_id\":\"$(printf 'b%06d' "$i")\"/" |
	"$bin/mm-predict" --models "$models" |
	"$bin/mm-psi" --models "$models" |
	"$bin/mm-trust" |
	"$bin/mm-record" --db "$db" |
	"$bin/mm-decide" --db "$db" --models "$models" |
	"$bin/mm-exec" --db "$db" --models "$models" --now $ts >>"$log"
	line=$(tail -n 1 "$log")
	show "$line"
}

# The aggregator, every ten batches, as cron would run it.
aggregate() {
	ts=$((start + 60 * $1 + 30))
	"$bin/mm-aggregate" --db "$db" --now $ts |
	"$bin/mm-trust" |
	"$bin/mm-decide" --db "$db" --models "$models" |
	"$bin/mm-exec" --db "$db" --models "$models" --now $ts >"$dir/window.ndjson"
	while IFS= read -r line; do
		show "$line"
	done <"$dir/window.ndjson"
	cat "$dir/window.ndjson" >>"$log"
}

field() {
	printf '%s\n' "$1" | sed -E "$2"
}

show() {
	rec=$1
	id=$(field "$rec" 's/^\{"(batch_id|window)":"([^"]*)".*/\2/')
	score=$(field "$rec" 's/.*"drift_score":([^,}]*).*/\1/')
	case $rec in
	*'"drift_score":'*',"status":"'*)
		status=$(field "$rec" 's/.*"drift_score":[^,]*,"status":"([a-z]*)".*/\1/') ;;
	*) status=- ;;
	esac
	f1=$(field "$rec" 's/.*"metrics":\{[^}]*"f1":([^,}]*).*/\1/')
	base=$(field "$rec" 's/.*"baseline_f1":([^,}]*).*/\1/')
	trust=$(field "$rec" 's/.*"trust":\{"score":([^,}]*).*/\1/')
	action=$(field "$rec" 's/.*"decision":\{"action":"([a-z]*)".*/\1/')
	exec=$(field "$rec" 's/.*"exec":\{"status":"([a-z_]*)".*/\1/')
	case $action in
	none) c= ;;
	reject) c=$yellow ;;
	rollback) c=$red ;;
	*) c=$green ;;
	esac
	case $status in
	severe) sc=$red ;;
	moderate) sc=$yellow ;;
	*) sc= ;;
	esac
	[ "$exec" = executed ] || [ "$action" = none ] || action="$action ($exec)"
	printf '%-8s %8.4f %s%-8s%s %6.4f (%6.4f) %6.4f  %s%-20s%s %s\n' \
	    "$id" "$score" "$sc" "$status" "$off" "$f1" "$base" "$trust" \
	    "$c" "$action" "$off" "$(active)"
}

phase() {
	printf '%s-- %s%s\n' "$bold" "$*" "$off"
}

printf '%-8s %8s %-8s %6s %8s %6s  %-20s %s\n' batch drift status f1 \
    "(base)" trust action "active version"
phase "phase 1: stable traffic; CI stages a better candidate"
"$bin/mm-train" --synthetic --rows 20000 --seed 3 --models "$models" \
    --stage --now $((start - 60)) >/dev/null
i=0
while [ $i -lt $end ]; do
	case $i in
	$p_drift) phase "phase 2: covariate shift on f0, f1, f2" ;;
	$p_concept) phase "phase 3: concept change (labels follow f0 differently)" ;;
	$p_bad)
		phase "phase 4: CI stages a bad candidate (shuffled labels)"
		"$bin/mm-train" --synthetic --rows 2000 --seed 4 \
		    --shuffle-labels --models "$models" --stage \
		    --now $((start + 60 * i - 30)) >/dev/null
		;;
	esac
	if [ $i -ge $p_drift ] && [ $i -lt $p_concept ]; then
		batch $i --drift-at 0 --shift 1.5
	elif [ $i -ge $p_concept ]; then
		batch $i --concept-at 0 --concept-strength 0.06
	else
		batch $i
	fi
	i=$((i + 1))
	[ $((i % 10)) = 0 ] && aggregate $((i - 1))
done

echo
echo "actions executed:"
for a in none reject promote retrain rollback; do
	printf '  %-9s %3d\n' $a "$(sqlite3 "$db" "SELECT count(*) FROM decision_history WHERE action = '$a' AND exec_status = 'executed'" 2>/dev/null || grep -c "\"action\":\"$a\".*\"exec\":{\"status\":\"executed\"" "$log")"
done
echo "versions:"
"$bin/mm-models" --models "$models" list --table | sed 's/^/  /'
if [ -x "$bin/mm-report" ]; then
	"$bin/mm-report" --db "$db" --models "$models" -o "$dir/report.html"
	echo "report: $dir/report.html"
fi
echo "records: $log; database: $db; models: $models"

if [ "$check" = 1 ]; then
	order=$(grep -o '"decision":{"action":"[a-z]*"[^$]*"exec":{"status":"executed"' "$log" |
	    sed -E 's/.*"action":"([a-z]*)".*/\1/' | grep -v '^none$' |
	    awk '!seen[$0]++' | tr '\n' ' ')
	want="promote reject retrain rollback "
	case "$order" in
	"$want"*) echo "check: ok ($order)" ;;
	*) echo "check: first actions were '$order', not '$want'" >&2; exit 1 ;;
	esac
fi
