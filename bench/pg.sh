#!/bin/sh
# The PostgreSQL benchmark: mm-record's rate into SQLite and into
# PostgreSQL with 1, 4 and 8 writers at once, and one mm-aggregate pass
# over a million stored batches on each.  bench/run.sh runs it as the
# section "pg"; it also runs on its own:
#
#   bench/pg.sh
#
# The server is a throwaway cluster (tests/pg.sh) on this machine, with
# fsync on: it shares the cores with the writers.  Every batch is
# durable when mm-record has passed it on, on either store.
#
# Environment: BIN (programs, default bin), NBATCH (64-row labelled
# batches recorded, default 10000), WRUNS (rounds of the six writer runs,
# each reported as its median, default 5), RUNS (mm-aggregate runs,
# default 20).
# A writer stays connected in production; here each starts and connects
# once (a PostgreSQL connection takes some 30 ms on this machine, eight
# at once 0.3 s), so NBATCH is large enough for that to weigh little.
#
# Writes its data to bench/out/ (pg-*; pg-runs.txt: store, writers,
# seconds, batches and rows of every run), and the summary it prints to
# bench/out/pg.txt.  Exit status: 0 when every target is met, 1 when one
# is missed, 3 when the benchmark cannot run.
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
NBATCH=${NBATCH:-10000}
RUNS=${RUNS:-20}
WRUNS=${WRUNS:-5}
OUT=bench/out
T0=1764140000
DATA=$OUT/pg-batches.ndjson
MODELS=$OUT/pg-models
AGG_DB=$OUT/storage-aggregate.db	# bench/storage.sh's million rows
AGG_NOW=$((T0 + 30 * 86400))
PY=/usr/bin/python3
# shellcheck source=bench/common.sh
. bench/common.sh

need hyperfine psql sqlite3
mkdir -p "$OUT"
pgdir=$(mktemp -u /tmp/mm-pg.XXXXXX)
work=$(mktemp -d "${TMPDIR:-/tmp}/mm-bench-pg.XXXXXX")
# shellcheck disable=SC2317	# called by the trap
finish() {
	tests/pg.sh stop "$pgdir"
	rm -rf "$work"
}
trap finish EXIT INT TERM

if [ ! -s "$DATA" ] || [ "$(wc -l <"$DATA")" != "$NBATCH" ]; then
	echo "bench: building $DATA" >&2
	rm -rf "$MODELS"
	"$BIN/mm-train" --synthetic --rows 2000 --models "$MODELS" \
	    --now $((T0 - 3600)) >/dev/null
	"$BIN/mm-gen" --batches "$NBATCH" --batch-size 64 --seed 11 |
	    "$BIN/mm-predict" --models "$MODELS" |
	    "$BIN/mm-psi" --models "$MODELS" |
	    "$BIN/mm-trust" >"$DATA.tmp"
	mv "$DATA.tmp" "$DATA"
fi
[ -s "$AGG_DB" ] || bench/storage.sh >/dev/null ||
    [ -s "$AGG_DB" ] || die "no $AGG_DB (bench/storage.sh makes it)"

url=$(tests/pg.sh start "$pgdir") || die "no PostgreSQL cluster"
base=${url%%\?*}
base=${base%/*}
query=${url#*\?}

# Every row is kept as evidence (no cap), so that each run can be
# checked to hold all of them once.
mkdir "$work/cfg"
echo 'buffer_rows: 1000000000' >"$work/cfg/retrain.yaml"

# Each writer's share: every W-th batch.
for w in 1 4 8; do
	i=0
	while [ $i -lt $w ]; do
		awk -v w=$w -v i=$i 'NR % w == i' "$DATA" >"$work/in.$w.$i"
		i=$((i + 1))
	done
done

# record DB W: seconds for W mm-record processes at once to store every
# batch into DB (made empty before, its schema made first).
record() {
	db=$1 w=$2
	"$BIN/mm-record" --db "$db" </dev/null >/dev/null
	t0=$(date +%s.%N)
	i=0
	while [ $i -lt "$w" ]; do
		"$BIN/mm-record" --db "$db" --config "$work/cfg" \
		    "$work/in.$w.$i" >/dev/null &
		i=$((i + 1))
	done
	wait
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
}

# count DB: batches and evidence rows stored.
count_lite() {
	sqlite3 "$1" 'SELECT count(DISTINCT batch_id) FROM metrics;
	    SELECT coalesce(sum(n_rows), 0) FROM evidence_batch' | paste -sd' '
}

count_pg() {
	psql -XqAt "$1" -c 'SELECT count(DISTINCT batch_id) FROM metrics' \
	    -c 'SELECT coalesce(sum(n_rows), 0) FROM evidence_batch' | paste -sd' '
}

# WRUNS rounds of the six runs, one after another, so that a change in
# the machine's speed falls on all six alike; each is reported as its
# median.  The first round also warms the server's caches.
: >"$work/runs"
round=0
while [ $round -lt "$WRUNS" ]; do
	for w in 1 4 8; do
		rm -f "$work/l.db" "$work/l.db-wal" "$work/l.db-shm"
		t=$(record "$work/l.db" $w)
		c=$(count_lite "$work/l.db")
		echo "sqlite $w $t $c" >>"$work/runs"
		psql -XqAt "$url" -c "DROP DATABASE IF EXISTS w$w" \
		    -c "CREATE DATABASE w$w"
		db="$base/w$w?$query"
		t=$(record "$db" $w)
		c=$(count_pg "$db")
		echo "postgresql $w $t $c" >>"$work/runs"
	done
	round=$((round + 1))
done
cp "$work/runs" "$OUT/pg-runs.txt"
# store writers median-seconds batches rows, the counts those of every
# run when they agree, else -1.
sort -k1,1 -k2,2n -k3,3g "$work/runs" | awk '
	function out() {
		if (n == 0)
			return
		m = n % 2 ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2
		print key, m, same ? b : -1, same ? r : -1
	}
	$1 " " $2 != key { out(); key = $1 " " $2; n = 0; same = 1
		b = $4; r = $5 }
	{ t[++n] = $3; if ($4 != b || $5 != r) same = 0 }
	END { out() }' | sort -k2,2n -k1,1r >"$work/rates"

# The million batches of bench/storage.sh, copied into PostgreSQL.
psql -XqAt "$url" -c "CREATE DATABASE agg"
agg_url="$base/agg?$query"
"$BIN/mm-record" --db "$agg_url" </dev/null >/dev/null
# Every double in full: sqlite3's own text keeps 15 digits.
sqlite3 -csv "$AGG_DB" "SELECT batch_id, printf('%!.17g', ts), model_version,
    n_samples, n_labelled, printf('%!.17g', accuracy), printf('%!.17g', f1),
    printf('%!.17g', avg_confidence), printf('%!.17g', latency_ms),
    printf('%!.17g', drift_score), drift_status, printf('%!.17g', recorded_at)
    FROM metrics ORDER BY id" |
    psql -Xq "$agg_url" -c "\\copy metrics (batch_id, ts, model_version,
    n_samples, n_labelled, accuracy, f1, avg_confidence, latency_ms,
    drift_score, drift_status, recorded_at) FROM STDIN WITH (FORMAT csv)"
psql -XqAt "$agg_url" -c "VACUUM ANALYZE metrics"
agg_rows=$(psql -XqAt "$agg_url" -c 'SELECT count(*) FROM metrics')
"$BIN/mm-aggregate" --db "$AGG_DB" --now $AGG_NOW >"$work/agg.lite"
"$BIN/mm-aggregate" --db "$agg_url" --now $AGG_NOW >"$work/agg.pg"
hyperfine -N --warmup 2 --runs "$RUNS" \
    --export-json "$OUT/pg-aggregate-hyperfine.json" \
    -n "mm-aggregate, SQLite" "$BIN/mm-aggregate --db $AGG_DB --now $AGG_NOW" \
    -n "mm-aggregate, PostgreSQL" \
    "$BIN/mm-aggregate --db $agg_url --now $AGG_NOW" >&2
t_lite=$(hf_median "$OUT/pg-aggregate-hyperfine.json" 0)
t_pg=$(hf_median "$OUT/pg-aggregate-hyperfine.json" 1)

{
	echo "pg: mm-record of $NBATCH batches x 64 labelled rows by 1, 4" \
	    "and 8 writers at once into SQLite and a PostgreSQL cluster on" \
	    "this machine (fsync on), median of $WRUNS runs; mm-aggregate" \
	    "over $agg_rows batches ($(date -u +%Y-%m-%dT%H:%M:%SZ)," \
	    "$(nproc) CPUs)"
	awk -v nb="$NBATCH" '{
		printf "  %-12s %d writer%s %8.3f s %8.0f batches/s   stored %d batches, %d rows\n",
		    $1, $2, $2 == 1 ? " " : "s", $3, nb / $3, $4, $5
	}' "$work/rates"
	printf '  %-36s %8.1f ms\n' "mm-aggregate, SQLite" \
	    "$(awk -v t="$t_lite" 'BEGIN { print t * 1e3 }')"
	printf '  %-36s %8.1f ms\n' "mm-aggregate, PostgreSQL" \
	    "$(awk -v t="$t_pg" 'BEGIN { print t * 1e3 }')"
	rate() { awk -v s="$1" -v w="$2" -v nb="$NBATCH" \
	    '$1 == s && $2 == w { print nb / $3 }' "$work/rates"; }
	lite1=$(rate sqlite 1)
	pg1=$(rate postgresql 1)
	pg4=$(rate postgresql 4)
	pg8=$(rate postgresql 8)
	target "PostgreSQL 4 writers / 1" "$(awk -v a="$pg4" -v b="$pg1" \
	    'BEGIN { print a / b }')" ge 1.5 x
	target "PostgreSQL 8 writers / SQLite 1" "$(awk -v a="$pg8" \
	    -v b="$lite1" 'BEGIN { print a / b }')" ge 0.5 x
	target "mm-aggregate, SQLite" "$(awk -v t="$t_lite" \
	    'BEGIN { print t * 1e3 }')" le 200 ms
	target "mm-aggregate, PostgreSQL" "$(awk -v t="$t_pg" \
	    'BEGIN { print t * 1e3 }')" le 200 ms
	# Rows: those of the batches whose drift was not severe, as
	# SQLite's single writer kept them.
	rows=$(awk '$1 == "sqlite" && $2 == 1 { print $5 }' "$work/rates")
	check "$(awk -v nb="$NBATCH" -v rows="$rows" '$4 != nb ||
	    $5 != rows { bad = 1 } END { if (!bad) print 1 }' "$work/rates")" \
	    "every run stored each of the $NBATCH batches once, and the" \
	    "same $rows rows of evidence"
	check "$(cmp -s "$work/agg.lite" "$work/agg.pg" && echo 1)" \
	    "mm-aggregate prints the same windows from either store"
} >"$OUT/pg.txt"
cat "$OUT/pg.txt"
! grep -q ' MISS$' "$OUT/pg.txt"
