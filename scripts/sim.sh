#!/bin/sh
# The simulation (make sim): the real programs against one SQLite file and
# one model store, in simulated time (batches 60 s apart, --now
# everywhere), so every run prints the same thing.
#
#   scripts/sim.sh [--keep] [--check] [--dir DIR] [--db URL]
#                  [--size N | --small]
#
# --db (or DB=, as in make sim DB=postgresql://...) plays it against a
# PostgreSQL database instead, which must not hold mm's tables yet: the
# same decisions and versions as on SQLite.
#
# Phases, each action for a real reason:
#   1. stable traffic; CI stages a better candidate   -> promote
#   2. covariate shift on f0, f1, f2                  -> reject
#   3. concept change: labels follow the features differently
#                                                     -> retrain, recover
#   4. one feature, f5, moves by one sd               -> reject
#   5. f5 back in place; CI stages a bad candidate (shuffled labels),
#      promoted once five decisions in a row were calm; F1 collapses
#                                                     -> rollback
# --size N plays the same phases with N rows a batch (default 256);
# --small is --size 32.  Its output goes to data/sim/N unless --dir.
#
# --check exits 1 when an action had no reason:
#   - a batch rejected outside phases 2 and 4, or a window rejected that
#     holds no batch of them.  At 256 rows none may be: a feature
#     significant by chance nearly always stays below `moderate`.  In
#     small batches every significant feature is `severe`, so such
#     rejects come at the drift test's level alpha; more than
#     Binomial(n, alpha) gives but once in a thousand runs fails.
#   - at the default size, unless promote, reject, retrain and rollback
#     were all executed, first appearing in that order.
#   - a retrain or rollback decided where nothing changed (phase 1,
#     phase 3 once the retrain went live, phase 5 once the rollback did):
#     the F1 rules judge confidence bounds on confusion counts, so noise
#     in one batch's F1 moves nothing at either size.
set -eu
cd "$(dirname "$0")/.."
bin=${MM_BIN:-$PWD/bin}
dir=
db=${DB:-}
keep=0
check=0
size=256
while [ $# -gt 0 ]; do
	case $1 in
	--keep) keep=1; shift ;;
	--check) check=1; shift ;;
	--dir) dir=$2; shift 2 ;;
	--db) db=$2; shift 2 ;;
	--size) size=$2; shift 2 ;;
	--small) size=32; shift ;;
	-h|--help)
		echo "usage: scripts/sim.sh [--keep] [--check] [--dir DIR]" \
		    "[--db URL] [--size N | --small]"
		exit 0 ;;
	*) echo "sim.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
done
case $size in
''|*[!0-9]*|0*) echo "sim.sh: --size: '$size' is not a number of rows" >&2
	exit 2 ;;
esac
if [ -z "$dir" ]; then
	dir=${MM_SIM_DIR:-data/sim}
	[ "$size" = 256 ] || dir=$dir/$size
fi
[ "$keep" = 1 ] || rm -rf "$dir"
mkdir -p "$dir/config"
cp config/*.yaml "$dir/config/"
cp scripts/sim-config/*.yaml "$dir/config/"
models=$dir/models
# The database: the directory's SQLite file, or a PostgreSQL database
# given by --db (or DB=), which must not hold mm's tables yet.
if [ -z "$db" ]; then
	db=$dir/metrics.db
elif [ "$keep" = 0 ] &&
    [ "$(psql -XqAt "$db" -c "SELECT count(*) FROM pg_tables WHERE tablename = 'metrics' AND schemaname = current_schema()")" != 0 ]; then
	echo "sim.sh: $db holds mm's tables already: give an empty database" >&2
	exit 2
fi
cfg=$dir/config
log=$dir/records.ndjson
acts=$dir/actions.tsv
export MM_CONFIG="$cfg"
: >"$acts"

start=1764140000
# Phase boundaries (batch numbers).
p_drift=25
p_concept=40
p_one=60
p_bad=70
end=100

if [ -t 1 ]; then
	red=$(printf '\033[31m') green=$(printf '\033[32m')
	yellow=$(printf '\033[33m') bold=$(printf '\033[1m')
	off=$(printf '\033[0m')
else
	red='' green='' yellow='' bold='' off=''
fi

if [ ! -f "$models/active.json" ]; then
	"$bin/mm-train" --synthetic --rows 5000 --seed 1 --models "$models" \
	    --now $((start - 7200)) >"$dir/train.json"
	echo "trained a first model: $(sed -E 's/.*"version":"([^"]*)".*"f1":([0-9.]{6}).*/\1, validation F1 \2/' "$dir/train.json")"
fi

# One line per record of file $1 after the batch or window numbered $2
# in a phase of kind $3 (calm, shift, concept, bad or window); each
# record's action also goes to $acts for --check.
show() {
	awk -v i="$2" -v kind="$3" -v acts="$acts" \
	    -v active="$models/active.json" -v red="$red" -v green="$green" \
	    -v yellow="$yellow" -v off="$off" '
	# The text matched by re in s, less its first skip characters.
	function get(s, re, skip) {
		if (!match(s, re))
			return ""
		return substr(s, RSTART + skip, RLENGTH - skip)
	}
	# Drifted features, at most 8 characters: f0,f1,f2 or f0,f1+3.
	function names(list,    n, a, s, k) {
		gsub(/"/, "", list)
		n = split(list, a, ",")
		s = ""
		for (k = 1; k <= n; k++) {
			if (length(s) + (k > 1) + length(a[k]) + \
			    (k < n ? 2 : 0) > 8)
				return s "+" (n - k + 1)
			s = s (k > 1 ? "," : "") a[k]
		}
		return n ? s : "-"
	}
	{
		id = get($0, "^\\{\"(batch_id|window)\":\"[^\"]*", 0)
		sub(/.*"/, "", id)
		d = get($0, "\"drifted\":\\[[^]]*\\],\"drift_score\":[^,]*," \
		    "\"status\":\"[a-z]*", 0)
		if (d != "") {
			drifted = names(get(d, "\\[[^]]*", 1))
			score = get(d, "\"drift_score\":[^,]*", 14) + 0
			status = get(d, "\"status\":\"[a-z]*", 10)
		} else {
			drifted = status = "-"
			score = 0
		}
		f1 = get($0, "\"metrics\":\\{[^}]*\"f1\":[^,}]*", 0)
		sub(/.*:/, "", f1)
		base = get($0, "\"baseline_f1\":[^,}]*", 14)
		trust = get($0, "\"trust\":\\{\"score\":[^,}]*", 17)
		action = get($0, "\"decision\":\\{\"action\":\"[a-z]*", 22)
		exec = get($0, "\"exec\":\\{\"status\":\"[a-z_]*", 18)
		version = ""
		while ((getline line < active) > 0)
			version = version line
		close(active)
		version = get(version, "\"version\":\"[^\"]*", 11)
		c = action == "reject" ? yellow : action == "rollback" ? red : \
		    action == "none" ? "" : green
		sc = status == "severe" ? red : status == "moderate" ? yellow : ""
		shown = action
		if (exec != "executed" && action != "none")
			shown = action " (" exec ")"
		printf "%-8s %6.4f %s%-8s%s %-8s %6.4f (%6.4f) %6.4f  " \
		    "%s%-18s%s %s\n", id, score, sc, status, off, drifted, \
		    f1, base, trust, c, shown, off, version
		print id, i, kind, action, exec >>acts
	}' "$1"
}

# One batch, end to end, so each decision sees the state the one before
# left behind.
batch() {
	i=$1 kind=$2
	shift 2
	ts=$((start + 60 * i))
	"$bin/mm-gen" --batches 1 --batch-size "$size" --seed $((1000 + i)) \
	    --start $ts "$@" |
	sed "s/\"batch_id\":\"b000000\"/\"batch_id\":\"$(printf 'b%06d' "$i")\"/" |
	"$bin/mm-predict" --models "$models" |
	"$bin/mm-psi" --models "$models" |
	"$bin/mm-trust" |
	"$bin/mm-record" --db "$db" |
	"$bin/mm-decide" --db "$db" --models "$models" |
	"$bin/mm-exec" --db "$db" --models "$models" --now $ts \
	    >"$dir/batch.ndjson"
	cat "$dir/batch.ndjson" >>"$log"
	show "$dir/batch.ndjson" "$i" "$kind"
}

# The aggregator, every ten batches, as cron would run it: its windows'
# drift comes from the bin counts of the batches the live version scored.
aggregate() {
	ts=$((start + 60 * $1 + 30))
	"$bin/mm-aggregate" --db "$db" --models "$models" --now $ts |
	"$bin/mm-trust" |
	"$bin/mm-decide" --db "$db" --models "$models" |
	"$bin/mm-exec" --db "$db" --models "$models" --now $ts >"$dir/window.ndjson"
	cat "$dir/window.ndjson" >>"$log"
	show "$dir/window.ndjson" "$1" window
}

phase() {
	printf '%s-- %s%s\n' "$bold" "$*" "$off"
}

printf '%-8s %6s %-8s %-8s %6s %8s %6s  %-18s %s\n' batch drift status \
    drifted f1 "(base)" trust action "active version"
phase "phase 1: stable traffic; CI stages a better candidate"
"$bin/mm-train" --synthetic --rows 20000 --seed 3 --models "$models" \
    --stage --now $((start - 60)) >/dev/null
concept="--concept-at 0 --concept-strength 0.06"
i=0
kind='calm'
while [ $i -lt $end ]; do
	case $i in
	"$p_drift")
		phase "phase 2: covariate shift on f0, f1, f2"
		kind='shift' ;;
	"$p_concept")
		phase "phase 3: concept change (labels follow f0 differently)"
		kind='concept' ;;
	"$p_one")
		phase "phase 4: one feature drifts (f5 moves by one sd)"
		kind='shift' ;;
	"$p_bad")
		phase "phase 5: f5 back; CI stages a bad candidate (shuffled labels)"
		"$bin/mm-train" --synthetic --rows 2000 --seed 4 \
		    --shuffle-labels --models "$models" --stage \
		    --now $((start + 60 * i - 30)) >/dev/null
		kind='bad' ;;
	esac
	# shellcheck disable=SC2086
	if [ $i -ge $p_drift ] && [ $i -lt $p_concept ]; then
		batch $i $kind --drift-at 0 --shift 1.5
	elif [ $i -ge $p_one ] && [ $i -lt $p_bad ]; then
		batch $i $kind $concept --drift-at 0 --drift-features f5 \
		    --shift 1
	elif [ $i -ge $p_concept ]; then
		batch $i $kind $concept
	else
		batch $i $kind
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

[ "$check" = 1 ] || exit 0

# Replay the actions in order: which batches changed something (drift,
# a concept the live model has not learnt, a bad model live), and
# whether each action had a reason.
alpha=$(sed -n 's/^alpha: *\([0-9.e-]*\).*/\1/p' "$cfg/drift.yaml")
strict=0
[ "$size" = 256 ] && strict=1
awk -v strict="$strict" \
    -v alpha="${alpha:-0.01}" '
function holds(a, from, to,    j) {
	for (j = from < 0 ? 0 : from; j <= to; j++)
		if (j in a)
			return 1
	return 0
}
function note(what) {
	if (what == "drift") {
		drift_bad = drift_bad " " where()
		nbad++
	} else
		f1_bad = f1_bad " " where() ":" $4 \
		    ($5 == "executed" ? "" : "(" $5 ")")
}
# A batch by its id, a window by its length and the batch it follows.
function where() {
	return $3 == "window" ? sprintf("%s@b%06d", $1, $2) : $1
}
# The most rejects n decisions without drift give at level a, but for
# once in a thousand runs.
function most(n, a,    k, pk, tail) {
	pk = (1 - a) ^ n
	tail = 1 - pk
	for (k = 0; tail > 0.001 && k < n; k++) {
		pk *= (n - k) / (k + 1) * a / (1 - a)
		tail -= pk
	}
	return k
}
{
	id = $1; i = $2; kind = $3; action = $4; ok = $5 == "executed"
	if (kind == "window") {
		span = id == "5m" ? 5 : id == "1h" ? 60 : 1e9
		if (!holds(drifted, i - span + 1, i)) {
			calm++
			if (action == "reject")
				note("drift")
		}
		if ((action == "retrain" || action == "rollback") &&
		    !holds(changed, i - span + 1, i))
			note("f1")
		next
	}
	if (kind == "shift") {
		drifted[i] = changed[i] = 1
		if (action != "reject")
			missed = missed " " id
		next
	}
	calm++
	if (action == "reject")
		note("drift")
	if (kind == "concept")
		concept = 1
	if (kind == "concept" && !learnt) {
		changed[i] = 1
		learnt = action == "retrain" && ok
		next
	}
	if (kind == "bad" && action == "promote" && ok)
		badlive = 1
	if (badlive) {
		changed[i] = 1
		badlive = !(action == "rollback" && ok)
		next
	}
	# A concept change not yet retrained away is still a change.
	if (concept && !learnt) {
		changed[i] = 1
		learnt = action == "retrain" && ok
		next
	}
	if (action == "retrain" || action == "rollback")
		note("f1")
}
END {
	if (missed != "")
		print "check: drifted batches let through:" missed
	if (f1_bad != "")
		print "check: retrain or rollback where nothing changed:" f1_bad
	top = strict ? 0 : most(calm, alpha)
	printf "check: %d of %d decisions without drift rejected%s " \
	    "(at most %d)\n", nbad, calm, drift_bad != "" ? ":" drift_bad : "", top
	exit nbad > top || f1_bad != ""
}' "$acts" || exit 1

order=$(grep -o '"decision":{"action":"[a-z]*"[^$]*"exec":{"status":"executed"' "$log" |
    sed -E 's/.*"action":"([a-z]*)".*/\1/' | grep -v '^none$' |
    awk '!seen[$0]++' | tr '\n' ' ')
want="promote reject retrain rollback "
case "$order" in
"$want"*) echo "check: ok ($order)" ;;
*)
	if [ "$size" = 256 ]; then
		echo "check: first actions were '$order', not '$want'" >&2
		exit 1
	fi
	echo "check: first actions were '$order' (not checked at $size rows)" ;;
esac
