#!/bin/sh
# The inference chain at small batches: mm-predict | mm-psi | mm-trust |
# mm-record | mm-decide | mm-exec over NBATCH 64-row labelled batches
# into SQLite, the whole chain and each stage alone; the latency it adds
# to one batch; the Python hot path it replaces on the same batches; and
# mm-predict against scikit-learn's predict_proba on 10 batches of
# 10,000 rows.  bench/run.sh runs it as the section "chain"; it also
# runs on its own:
#
#   bench/chain.sh
#
# Environment: BIN (programs, default bin), NBATCH (batches, default
# 5000), RUNS (timed runs of each command, default 5), NLAT (batches
# timed one at a time, default 1000), NPEER (batches through the Python
# hot path, default 300).
#
# Writes its data to bench/out/ (chain-*), and the summary it prints to
# bench/out/chain.txt.  Exit status: 0 when every target is met, 1 when
# one is missed, 3 when the benchmark cannot run.
# $M and $C are options split into words on purpose.
# shellcheck disable=SC2086
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
NBATCH=${NBATCH:-5000}
RUNS=${RUNS:-5}
NLAT=${NLAT:-1000}
NPEER=${NPEER:-300}
OUT=bench/out
PY=/usr/bin/python3
T0=1764140000
# shellcheck source=bench/common.sh
. bench/common.sh

need hyperfine "$PY" "$BIN/mm-gen" "$BIN/mm-train" "$BIN/mm-predict" \
    "$BIN/mm-psi" "$BIN/mm-trust" "$BIN/mm-record" "$BIN/mm-decide" \
    "$BIN/mm-exec"
"$PY" -c 'import sklearn' 2>/dev/null ||
	die "$PY has no scikit-learn (make bench installs python3-sklearn)"
mkdir -p "$OUT"
W=$OUT/chain
rm -rf "$W"
mkdir -p "$W/config"
B=$(cd "$BIN" && pwd)

# A model as mm-train --synthetic makes it (mm-gen's rows, seed 42), the
# batches stable traffic from the same generator, labelled.
"$B/mm-gen" --rows 5000 --seed 42 >"$W/train.ndjson"
"$B/mm-train" --models "$W/models" --config "$W/config" --now "$T0" \
    "$W/train.ndjson" >/dev/null || die "mm-train failed"
"$B/mm-gen" --batches "$NBATCH" --batch-size 64 --seed 7 >"$W/batches.ndjson"
"$B/mm-gen" --batches 10 --batch-size 10000 --seed 8 >"$W/big.ndjson"
ref=$(ls "$W"/models/versions/*/reference.json)
# The last batch's time: mm-exec runs as if it were now.
now=$((T0 + 60 * NBATCH))
M="--models $W/models"
C="--config $W/config"

# Each stage's input: the stage before's output.
"$B/mm-predict" $M "$W/batches.ndjson" >"$W/s1"
"$B/mm-psi" $M "$W/s1" >"$W/s2"
"$B/mm-trust" $C "$W/s2" >"$W/s3"
"$B/mm-record" --db "$W/rec.db" $C "$W/s3" >"$W/s4"
cp "$W/rec.db" "$W/decide.db"
"$B/mm-decide" --db "$W/decide.db" $M $C "$W/s4" >"$W/s5"
cp "$W/decide.db" "$W/exec.db"
"$B/mm-exec" --db "$W/exec.db" $M $C --now $now "$W/s5" >"$W/s6"
[ "$(wc -l <"$W/s6")" = "$NBATCH" ] || die "the chain lost batches"
actions=$("$PY" -c 'import json, sys, collections
c = collections.Counter(json.loads(l)["decision"]["action"] for l in open(sys.argv[1]))
print(", ".join("%d %s" % (n, a) for a, n in sorted(c.items())))' "$W/s5")

chain="$B/mm-predict $M $W/batches.ndjson | $B/mm-psi $M | $B/mm-trust $C | \
$B/mm-record --db $W/chain.db $C | $B/mm-decide --db $W/chain.db $M $C | \
$B/mm-exec --db $W/chain.db $M $C --now $now"
hyperfine --warmup 1 --runs "$RUNS" \
    --prepare "rm -f $W/chain.db $W/chain.db-wal $W/chain.db-shm" \
    --export-json "$W/chain-hyperfine.json" -n chain "$chain" >&2
hyperfine -N --warmup 1 --runs "$RUNS" \
    --export-json "$W/stages-hyperfine.json" \
    -n mm-predict "$B/mm-predict $M $W/batches.ndjson" \
    -n mm-psi "$B/mm-psi $M $W/s1" \
    -n mm-trust "$B/mm-trust $C $W/s2" >&2
hyperfine -N --warmup 1 --runs "$RUNS" \
    --export-json "$W/db-hyperfine.json" \
    --prepare "sh -c 'rm -f $W/t.db*; cp $W/rec.db $W/d.db; cp $W/decide.db $W/e.db; rm -f $W/d.db-* $W/e.db-*'" \
    -n mm-record "$B/mm-record --db $W/t.db $C $W/s3" \
    -n mm-decide "$B/mm-decide --db $W/d.db $M $C $W/s4" \
    -n mm-exec "$B/mm-exec --db $W/e.db $M $C --now $now $W/s5" >&2

# One batch at a time through the whole chain.
rm -f "$W/lat.db"*
"$PY" bench/chain_latency.py -n "$NLAT" "$W/batches.ndjson" \
    "$(echo "$chain" | sed "s|$W/chain.db|$W/lat.db|g; s| $W/batches.ndjson | |")" \
    >"$W/latency.out" ||
	die "bench/chain_latency.py failed"

# The Python peer, and predict_proba against mm-predict at 10,000 rows.
"$PY" bench/chain_peer.py --ref "$ref" -n "$NPEER" --runs 3 \
    --chain "$W/batches.ndjson" --predict "$W/big.ndjson" \
    "$W/train.ndjson" >"$W/peer.out" || die "bench/chain_peer.py failed"
hyperfine -N --warmup 1 --runs 3 --export-json "$W/big-hyperfine.json" \
    -n mm-predict "$B/mm-predict $M $W/big.ndjson" >&2

t_chain=$(hf_median "$W/chain-hyperfine.json" 0)
t_pred=$(hf_median "$W/stages-hyperfine.json" 0)
t_psi=$(hf_median "$W/stages-hyperfine.json" 1)
t_trust=$(hf_median "$W/stages-hyperfine.json" 2)
t_rec=$(hf_median "$W/db-hyperfine.json" 0)
t_dec=$(hf_median "$W/db-hyperfine.json" 1)
t_exec=$(hf_median "$W/db-hyperfine.json" 2)
t_big=$(hf_median "$W/big-hyperfine.json" 0)
lat_med=$(kv median_ms "$W/latency.out")
lat_p99=$(kv p99_ms "$W/latency.out")
# The peer: the faster of its two settings.
peer=$(awk '$1 == "chain_ms_1" || $1 == "chain_ms_all" {
	if (b == "" || $2 < b) b = $2 } END { print b }' "$W/peer.out")
peer_p99=$(kv chain_p99_ms_1 "$W/peer.out")
peer_all=$(kv chain_ms_all "$W/peer.out")
sk64=$(awk '$1 ~ /^predict64_ms_/ { if (b == "" || $2 < b) b = $2 }
	END { print b }' "$W/peer.out")
skbig=$(awk '$1 ~ /^predict_run_s_/ { if (b == "" || $2 < b) b = $2 }
	END { print b }' "$W/peer.out")
acc_sk=$(kv accuracy "$W/peer.out")
acc_mm=$("$B/mm-predict" $M "$W/big.ndjson" | "$PY" -c 'import json, sys
n = a = 0
for line in sys.stdin:
    m = json.loads(line)["metrics"]
    n += m["n_labelled"]
    a += m["accuracy"] * m["n_labelled"]
print(a / n)')

{
	echo "chain: $NBATCH batches x 64 labelled rows through mm-predict |" \
	    "mm-psi | mm-trust | mm-record | mm-decide | mm-exec into SQLite" \
	    "($actions; $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs," \
	    "median of $RUNS runs)"
	awk -v n="$NBATCH" -v c="$t_chain" -v p="$t_pred" -v s="$t_psi" \
	    -v t="$t_trust" -v r="$t_rec" -v d="$t_dec" -v e="$t_exec" 'BEGIN {
		printf "  %-34s %9s %12s %12s\n", "", "s", "batches/s",
		    "us/batch"
		split("whole chain|mm-predict|mm-psi|mm-trust|mm-record|" \
		    "mm-decide|mm-exec", name, "|")
		v[1] = c; v[2] = p; v[3] = s; v[4] = t; v[5] = r; v[6] = d
		v[7] = e
		for (i = 1; i <= 7; i++)
			printf "  %-34s %9.3f %12.0f %12.1f\n", name[i], v[i],
			    n / v[i], v[i] * 1e6 / n
		printf "  %-34s %9s %12.0f %12.1f\n", "stages one after another",
		    "", n / (p + s + t + r + d + e), (p + s + t + r + d + e) * 1e6 / n
	}'
	awk -v m="$lat_med" -v q="$lat_p99" -v nl="$NLAT" -v pm="$peer" \
	    -v pq="$peer_p99" -v pa="$peer_all" -v np="$NPEER" 'BEGIN {
		printf "  latency a batch, one at a time (%d):  median %.3f ms, p99 %.3f ms\n",
		    nl, m, q
		printf "  Python hot path a batch (%d):       median %.3f ms, p99 %.3f ms (n_jobs=1; n_jobs=-1 %.3f ms), %.0f batches/s\n",
		    np, pm, pq, pa, 1e3 / pm
	}'
	awk -v c="$t_chain" -v n="$NBATCH" -v pm="$peer" -v m="$lat_med" 'BEGIN {
		printf "  %-34s %9.1f x\n", "chain rate / Python rate", (n / c) / (1e3 / pm)
		printf "  %-34s %9.1f x\n", "Python a batch / chain latency", pm / m
	}'
	awk -v b="$t_big" -v k="$skbig" -v p="$t_pred" -v n="$NBATCH" \
	    -v s="$sk64" 'BEGIN {
		printf "  %-34s %9.1f ms  (10 x 10000 rows, JSON in and out, start-up included)\n",
		    "mm-predict", b * 1e3
		printf "  %-34s %9.1f ms  (the same rows as numpy arrays, the faster n_jobs)\n",
		    "sklearn predict_proba", k * 1e3
		printf "  %-34s %9.1f us  (mm-predict over %d batches, a batch)\n",
		    "mm-predict, 64 rows", p * 1e6 / n, n
		printf "  %-34s %9.1f us  (median call)\n",
		    "sklearn predict_proba, 64 rows", s * 1e3
	}'
	target "whole chain" "$(awk -v c="$t_chain" -v n="$NBATCH" \
	    'BEGIN { print n / c }')" ge 2000 b/s
	target "chain / Python hot path" "$(awk -v c="$t_chain" \
	    -v n="$NBATCH" -v pm="$peer" 'BEGIN { print (n / c) / (1e3 / pm) }')" \
	    ge 50 x
	target "p99 latency a batch" "$lat_p99" le 5 ms
	target "predict 10k: sklearn / mm" \
	    "$(awk -v b="$t_big" -v k="$skbig" 'BEGIN { print k / b }')" \
	    ge 5 x
	target "predict 64: sklearn / mm" \
	    "$(awk -v p="$t_pred" -v n="$NBATCH" -v s="$sk64" \
	    'BEGIN { print (s / 1e3) / (p / n) }')" ge 20 x
	ok=$(awk -v a="$acc_mm" -v b="$acc_sk" \
	    'BEGIN { d = a - b; print (d < 0 ? -d : d) <= 0.01 }')
	check "$ok" "$(printf 'accuracy at 10k: mm %.4f, sklearn %.4f (|diff| <= 0.01)' \
	    "$acc_mm" "$acc_sk")"
} >"$OUT/chain.txt"
# Not through a pipe: in a pipeline the block ran in a subshell, and a
# MISS there never reached $missed and the exit status.
cat "$OUT/chain.txt"
exit "$missed"
