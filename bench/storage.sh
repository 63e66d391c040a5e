#!/bin/sh
# The storage benchmark: mm-record's write rate into a fresh database and
# the time of one mm-aggregate pass over a month of metrics.  bench/run.sh
# runs it as the section "storage"; it also runs on its own:
#
#   bench/storage.sh
#
# Environment: BIN (programs, default bin), RUNS (timed runs per command,
# default 5; mm-aggregate gets 10 times as many).
#
# Writes its input and raw timings to bench/out/ (storage-*), and the
# summary it prints to bench/out/storage.txt.  Exit status: 0 when every
# target is met, 1 when one is missed, 3 when the benchmark cannot run.
set -eu

cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
RUNS=${RUNS:-5}
OUT=bench/out
PY=/usr/bin/python3	# the system python, with its sqlite3 module
CONFIG=$OUT/config	# empty: the defaults (evidence capped at 10,000 rows)

T0=1764140000		# ts of the first record
NREC=100000		# records without rows
NBATCH=5000		# 64-row labelled batches
AGG_ROWS=1000000	# metrics rows in the aggregate database
AGG_DAYS=30
AGG_NOW=$((T0 + AGG_DAYS * 86400))	# the end of the month, --now

REC_DATA=$OUT/storage-records.ndjson
BATCH_DATA=$OUT/storage-batches.ndjson
AGG_DB=$OUT/storage-aggregate.db
DB=$OUT/storage-record.db

# shellcheck source=bench/common.sh
. bench/common.sh

# stale FILE STAMP: true when FILE must be made again (missing, older
# than the programs that make it, or made with other arguments).
stale() {
	[ ! -s "$1" ] ||
	    [ -n "$(find "$BIN/mm-gen" "$BIN/mm-record" -newer "$1" \
	    2>/dev/null)" ] ||
	    [ "$(cat "$1.cmd" 2>/dev/null)" != "$2" ]
}

rm_db() {
	rm -f "$1" "$1-wal" "$1-shm" "$1-journal"
}

# The inputs: records without rows (awk), 64-row labelled batches with
# metrics (mm-gen | mm-predict, a 10-tree model), and the aggregate
# database (the schema from mm-record, the rows from Python).
storage_data() {
	mkdir -p "$CONFIG"
	stamp="awk $NREC v1"
	if stale "$REC_DATA" "$stamp"; then
		echo "bench: generating $REC_DATA" >&2
		awk -v n="$NREC" -v t0="$T0" 'BEGIN {
			for (i = 0; i < n; i++)
				printf "{\"batch_id\":\"r%07d\",\"ts\":%d," \
				    "\"metrics\":{\"n_samples\":64," \
				    "\"n_labelled\":64,\"accuracy\":0.%04d," \
				    "\"f1\":0.%04d,\"avg_confidence\":0.%04d," \
				    "\"latency_ms\":%.3f,\"model_version\":" \
				    "\"20251126T065320Z\"},\"drift\":{\"psi\":" \
				    "{\"f0\":0.012,\"f1\":0.034,\"f2\":0.056}," \
				    "\"p_value\":{\"f0\":0.51,\"f1\":0.62," \
				    "\"f2\":0.73},\"drift_score\":0.034," \
				    "\"status\":\"stable\"}}\n", i, t0 + 60 * i,
				    i % 10000, (i * 7) % 10000, (i * 13) % 10000,
				    (i % 1000) / 7
		}' >"$REC_DATA.tmp" || die "generating $REC_DATA failed"
		mv "$REC_DATA.tmp" "$REC_DATA"
		echo "$stamp" >"$REC_DATA.cmd"
	fi

	stamp="mm-gen --batches $NBATCH --batch-size 64 --seed 11 | mm-predict"
	if stale "$BATCH_DATA" "$stamp"; then
		echo "bench: generating $BATCH_DATA" >&2
		mkdir -p "$OUT/storage-config"
		echo 'n_estimators: 10' >"$OUT/storage-config/model.yaml"
		rm -rf "$OUT/storage-models"
		"$BIN/mm-train" --synthetic --rows 2000 --config \
		    "$OUT/storage-config" --models "$OUT/storage-models" \
		    --now "$T0" >/dev/null || die "mm-train failed"
		"$BIN/mm-gen" --batches "$NBATCH" --batch-size 64 --seed 11 |
		    "$BIN/mm-predict" --models "$OUT/storage-models" \
		    >"$BATCH_DATA.tmp" || die "mm-gen | mm-predict failed"
		mv "$BATCH_DATA.tmp" "$BATCH_DATA"
		echo "$stamp" >"$BATCH_DATA.cmd"
	fi

	stamp="python $AGG_ROWS rows $AGG_DAYS days to $AGG_NOW v1"
	if stale "$AGG_DB" "$stamp"; then
		echo "bench: building $AGG_DB" >&2
		rm_db "$AGG_DB"
		"$BIN/mm-record" --db "$AGG_DB" --config "$CONFIG" </dev/null ||
			die "mm-record could not create $AGG_DB"
		"$PY" - "$AGG_DB" "$AGG_ROWS" "$AGG_DAYS" "$AGG_NOW" <<'EOF' ||
# AGG_DB ROWS DAYS NOW: ROWS metrics rows evenly over the DAYS days up
# to NOW, the last one at NOW, with the numbers mm-predict and mm-psi
# would give; psi and p_value are left NULL.
import random, sqlite3, sys

path, n, days, now = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    float(sys.argv[4])
rng = random.Random(1)
step = days * 86400.0 / n
start = now - days * 86400.0

def rows():
    for i in range(n):
        ts = start + (i + 1) * step
        drift = rng.uniform(0, 0.3)
        yield ("b%07d" % i, ts, "20251126T065320Z", 64, 64,
               rng.uniform(0.8, 1), rng.uniform(0.75, 1),
               rng.uniform(0.6, 1), rng.uniform(0.1, 5), drift,
               "stable" if drift < 0.1 else
               "moderate" if drift < 0.2 else "severe", ts + 0.5)

con = sqlite3.connect(path)
with con:
    con.executemany(
        "INSERT INTO metrics (batch_id, ts, model_version, n_samples, "
        "n_labelled, accuracy, f1, avg_confidence, latency_ms, drift_score, "
        "drift_status, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?)", rows())
con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
con.close()
EOF
			die "building $AGG_DB failed"
		echo "$stamp" >"$AGG_DB.cmd"
	fi
}

# Per window of mm-aggregate's output $1: "name n_batches" lines, then
# the same from sqlite3 over $AGG_DB; prints 1 when they agree.
agg_agrees() {
	"$PY" - "$1" "$AGG_DB" "$AGG_NOW" <<'EOF'
import json, sqlite3, sys

out = [json.loads(l) for l in open(sys.argv[1])]
con = sqlite3.connect(sys.argv[2])
now = float(sys.argv[3])
want = []
for name, sec in (("5m", 300), ("1h", 3600), ("24h", 86400)):
    c = con.execute("SELECT count(*) FROM metrics WHERE ts > ? AND ts <= ?",
                    (now - sec, now)).fetchone()[0]
    want.append((name, c))
got = [(o["window"], o["n_batches"]) for o in out]
print(1 if got == want else 0,
      ", ".join("%s %d" % w for w in got))
EOF
}

# The plan SQLite makes for mm-aggregate's window query, read from the
# program itself.
window_plan() {
	sql=$(strings "$BIN/mm-aggregate" |
	    grep -m 1 'FROM metrics WHERE ts') ||
		die "no window query in $BIN/mm-aggregate"
	"$PY" - "$AGG_DB" "$sql" <<'EOF'
import sqlite3, sys

con = sqlite3.connect(sys.argv[1])
for row in con.execute("EXPLAIN QUERY PLAN " + sys.argv[2], (0.0, 0.0)):
    print(row[3])
EOF
}

main() {
	need hyperfine "$PY" awk strings "$BIN/mm-record" "$BIN/mm-aggregate" \
	    "$BIN/mm-gen" "$BIN/mm-predict" "$BIN/mm-train"
	storage_data

	rec="$BIN/mm-record --db $DB --config $CONFIG $REC_DATA"
	bat="$BIN/mm-record --db $DB --config $CONFIG $BATCH_DATA"
	agg="$BIN/mm-aggregate --db $AGG_DB --config $CONFIG --now $AGG_NOW"
	nbytes=$(wc -c <"$REC_DATA")
	bbytes=$(wc -c <"$BATCH_DATA")

	# Sanity: every record stored once, every labelled row kept up to
	# the cap, the window counts those of SQLite itself.
	rm_db "$DB"
	# shellcheck disable=SC2086
	$rec >/dev/null || die "mm-record failed"
	nstored=$("$PY" -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute(
    "SELECT count(DISTINCT batch_id) FROM metrics").fetchone()[0])' "$DB")
	rm_db "$DB"
	# shellcheck disable=SC2086
	$bat >/dev/null || die "mm-record failed"
	# shellcheck disable=SC2046
	set -- $("$PY" -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(*c.execute("SELECT count(DISTINCT batch_id), sum(n_samples), "
    "(SELECT count(*) FROM evidence) FROM metrics").fetchone())' "$DB")
	bstored=$1 brows=$2 bevidence=$3
	# shellcheck disable=SC2086
	$agg >"$OUT/storage-aggregate.out" || die "mm-aggregate failed"
	# shellcheck disable=SC2046
	set -- $(agg_agrees "$OUT/storage-aggregate.out")
	agg_ok=$1
	shift
	agg_counts="$*"
	plan=$(window_plan)

	hyperfine -N --warmup 1 --runs "$RUNS" \
	    --prepare "rm -f $DB $DB-wal $DB-shm" \
	    --export-json "$OUT/storage-record-hyperfine.json" \
	    -n "mm-record (no rows)" "$rec" \
	    -n "mm-record (64-row batches)" "$bat" >&2
	hyperfine -N --warmup 3 --runs $((RUNS * 10)) \
	    --export-json "$OUT/storage-aggregate-hyperfine.json" \
	    -n mm-aggregate "$agg" >&2
	rm_db "$DB"
	t_rec=$(hf_median "$OUT/storage-record-hyperfine.json" 0)
	t_bat=$(hf_median "$OUT/storage-record-hyperfine.json" 1)
	t_agg=$(hf_median "$OUT/storage-aggregate-hyperfine.json" 0)
	rec_rate=$(awk -v n="$NREC" -v t="$t_rec" 'BEGIN { print n / t }')

	{
		echo "storage: mm-record into a fresh database ($NREC records" \
		    "without rows, $nbytes bytes; $NBATCH batches x 64" \
		    "labelled rows, $bbytes bytes); mm-aggregate over" \
		    "$AGG_ROWS metrics rows in $AGG_DAYS days" \
		    "($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, median of" \
		    "$RUNS runs, $((RUNS * 10)) for mm-aggregate)"
		awk -v tr="$t_rec" -v tb="$t_bat" -v ta="$t_agg" -v nr="$NREC" \
		    -v nb="$NBATCH" -v rows="$brows" 'BEGIN {
			printf "  %-26s %10s %10s %10s\n", "", "seconds",
			    "records/s", "rows/s"
			printf "  %-26s %10.3f %10.0f\n", "mm-record (no rows)",
			    tr, nr / tr
			printf "  %-26s %10.3f %10.0f %10.0f\n",
			    "mm-record (64-row batches)", tb, nb / tb, rows / tb
			printf "  %-26s %10.4f\n", "mm-aggregate (3 windows)", ta
		}'
		target "mm-record, no rows" "$rec_rate" ge 20000 rec/s
		target "mm-aggregate pass" "$(awk -v t="$t_agg" \
		    'BEGIN { print t * 1e3 }')" le 50 ms
		check "$(echo "$plan" |
		    grep -q 'USING COVERING INDEX metrics_ts' && echo 1)" \
		    "window query plan: $plan"
		check "$([ "$nstored" = "$NREC" ] && [ "$bstored" = "$NBATCH" ] &&
		    [ "$bevidence" -ge 10000 ] && [ "$bevidence" -lt 10064 ] &&
		    echo 1)" \
		    "stored $nstored of $NREC records, $bstored of $NBATCH" \
		    "batches, $bevidence evidence rows (cap 10000, whole" \
		    "batches)"
		check "$agg_ok" "mm-aggregate n_batches $agg_counts = SQLite's" \
		    "counts"
	} >"$OUT/storage.txt"
	cat "$OUT/storage.txt"
	exit "$missed"
}

main "$@"
