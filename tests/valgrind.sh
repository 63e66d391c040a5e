#!/bin/sh
# Run the unit tests and typical pipelines under valgrind (make
# check-valgrind); any memory error or leak fails.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=${BIN:-bin}
vg="valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {
	rc=0
	"$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	if [ "$rc" = 9 ] || grep -q '^==[0-9]*==' "$tmp/err"; then
		echo "valgrind: $*"
		sed 's/^/  /' "$tmp/err"
		fail=1
		return
	fi
	echo "ok: ${*##*/}"
}

for t in "$BUILD"/tests/test_*; do
	CMOCKA_MESSAGE_OUTPUT=TAP check $vg "$t"
done
$vg "$BIN/mm-gen" --rows 2000 --seed 1 >"$tmp/train"
echo "ok: mm-gen --rows"
$vg "$BIN/mm-psi" --fit <"$tmp/train" >"$tmp/ref"
echo "ok: mm-psi --fit"
"$BIN/mm-gen" --batches 4 --batch-size 300 --drift-at 2 --format rows >"$tmp/rows"
check $vg "$BIN/mm-batch" --size 300 "$tmp/rows"
check $vg "$BIN/mm-batch" --every 120 "$tmp/rows"
"$BIN/mm-batch" --size 300 "$tmp/rows" >"$tmp/batches"
check $vg "$BIN/mm-psi" --ref "$tmp/ref" "$tmp/batches"
check $vg "$BIN/mm-psi" --ref "$tmp/ref" --window 3 --threshold chi2 "$tmp/batches"
"$BIN/mm-psi" --ref "$tmp/ref" --counts "$tmp/batches" >"$tmp/counts"
check $vg "$BIN/mm-psi" --ref "$tmp/ref" --merge --by ts "$tmp/counts"
printf '{"batch_id":"x","features":{"f0":[1,"a"]}}\n' >"$tmp/bad"
check sh -c "$vg $BIN/mm-psi --ref $tmp/ref $tmp/bad; [ \$? = 2 ]"
check sh -c "$vg $BIN/mm-psi --ref $tmp/ref --skip-bad $tmp/bad $tmp/batches >/dev/null"
# The model, storage and decision programs.
cfg=$tmp/cfg
mkdir -p "$cfg"
echo 'n_estimators: 10' >"$cfg/model.yaml"
echo 'min_samples: 200' >"$cfg/retrain.yaml"
check $vg "$BIN/mm-train" --synthetic --rows 600 --models "$tmp/m" \
    --config "$cfg" --now 1764140000
"$BIN/mm-gen" --batches 4 --batch-size 100 --seed 5 --concept-at 0 \
    --concept-strength 0.3 >"$tmp/cb"
check $vg "$BIN/mm-predict" --models "$tmp/m" "$tmp/cb"
"$BIN/mm-predict" --models "$tmp/m" "$tmp/cb" >"$tmp/pred"
check $vg "$BIN/mm-record" --db "$tmp/d.db" --config "$cfg" "$tmp/pred"
check $vg "$BIN/mm-aggregate" --db "$tmp/d.db" --now 1764140300
"$BIN/mm-aggregate" --db "$tmp/d.db" --now 1764140300 >"$tmp/agg"
check $vg "$BIN/mm-trust" "$tmp/agg"
"$BIN/mm-trust" "$tmp/agg" >"$tmp/trust"
check $vg "$BIN/mm-alert" --db "$tmp/d.db" --now 1764140300 "$tmp/trust"
check $vg "$BIN/mm-decide" --baseline-f1 0.99 --config "$cfg" "$tmp/trust"
printf '{"batch_id":"r","ts":1764140400,"decision":{"action":"retrain","reason":"t","metadata":{}}}\n' >"$tmp/dec"
check $vg "$BIN/mm-exec" --db "$tmp/d.db" --models "$tmp/m" --config "$cfg" \
    --now 1764140400 "$tmp/dec"
check $vg "$BIN/mm-decide" --replay --db "$tmp/d.db"
check $vg "$BIN/mm-models" --models "$tmp/m" list
check $vg "$BIN/mm-report" --db "$tmp/d.db" --models "$tmp/m" \
    --now 1764140500 -o "$tmp/r.html"
# A table: a categorical feature, blanks, string labels, --positive.
tests/tabgen.py 400 1 --id train >"$tmp/ttr"
tests/tabgen.py 200 2 --id valid --east 0.6 >"$tmp/tva"
check $vg "$BIN/mm-train" --models "$tmp/mt" --config "$cfg" \
    --positive fraud --validate "$tmp/tva" --now 1764140000 "$tmp/ttr"
check $vg "$BIN/mm-predict" --models "$tmp/mt" "$tmp/tva"
"$BIN/mm-predict" --models "$tmp/mt" "$tmp/tva" >"$tmp/tpred"
check $vg "$BIN/mm-psi" --models "$tmp/mt" "$tmp/tpred"
printf 'x,region,label\n0.5,east,fraud\n,mars,ok\n1.5,,ok\n' >"$tmp/t.csv"
check $vg "$BIN/mm-batch" --csv --schema "$tmp/mt" --size 2 "$tmp/t.csv"
check $vg "$BIN/mm-batch" --csv --size 2 "$tmp/t.csv"
# The server: a request to each kind of endpoint, then SIGTERM.
"$BIN/mm-aggregate" --db "$tmp/d.db" --now 1764140300 >/dev/null
MM_API_KEY=k $vg "$BIN/mm-serve" --db "$tmp/d.db" --models "$tmp/m" \
    --listen 127.0.0.1:0 2>"$tmp/serve.err" &
spid=$!
for _ in $(seq 200); do
	grep -q 'listening on' "$tmp/serve.err" && break
	sleep 0.1
done
port=$(sed -n 's/.*127.0.0.1:\([0-9]*\) .*/\1/p' "$tmp/serve.err")
for u in / /health /api/metrics?limit=2 /api/metrics/tail /api/metrics/latest \
    /api/metrics/summary/5m /api/metrics/summary/5m/history \
    /api/decisions/history /api/models /metrics /nope; do
	curl -s -o /dev/null "http://127.0.0.1:$port$u"
done
curl -s -o /dev/null -X POST -H 'Authorization: Bearer k' \
    "http://127.0.0.1:$port/api/models/rollback"
# Ingest: batches stored and decided on, one sent again, a bad one;
# and a simulated decision.
"$BIN/mm-gen" --batches 3 --batch-size 64 --seed 8 |
    sed 's/"batch_id":"b/"batch_id":"i/' >"$tmp/ing"
for f in "$tmp/ing" "$tmp/ing" "$tmp/bad"; do
	curl -s -o /dev/null -H 'Authorization: Bearer k' --data-binary @"$f" \
	    "http://127.0.0.1:$port/api/ingest"
done
curl -s -o /dev/null -X POST "http://127.0.0.1:$port/api/decisions/simulate"
kill -TERM $spid
rc=0
wait $spid || rc=$?
if [ "$rc" != 0 ] || grep -q '^==[0-9]*==' "$tmp/serve.err"; then
	echo "valgrind: mm-serve (exit $rc)"
	sed 's/^/  /' "$tmp/serve.err"
	fail=1
else
	echo "ok: mm-serve"
fi
# The same programs on PostgreSQL (a throwaway cluster, tests/pg.sh).
pgdir=$(mktemp -u /tmp/mm-pg.XXXXXX)
trap 'tests/pg.sh stop "$pgdir"; rm -rf "$tmp"' EXIT
pg=$(tests/pg.sh start "$pgdir" fast)
check $vg "$BIN/mm-record" --db "$pg" --config "$cfg" "$tmp/pred"
check $vg "$BIN/mm-record" --db "$pg" --config "$cfg" "$tmp/pred"
check $vg "$BIN/mm-aggregate" --db "$pg" --now 1764140300
check $vg "$BIN/mm-aggregate" --db "$pg" --models "$tmp/m" --now 1764140300
check $vg "$BIN/mm-alert" --db "$pg" --now 1764140300 "$tmp/trust"
check $vg "$BIN/mm-decide" --db "$pg" --models "$tmp/m" --config "$cfg" \
    "$tmp/trust"
cp -a "$tmp/m" "$tmp/mp"
check $vg "$BIN/mm-exec" --db "$pg" --models "$tmp/mp" --config "$cfg" \
    --now 1764140400 "$tmp/dec"
check $vg "$BIN/mm-decide" --replay --db "$pg"
check $vg "$BIN/mm-report" --db "$pg" --models "$tmp/mp" \
    --now 1764140500 -o "$tmp/rp.html"
check sh -c "$vg $BIN/mm-record --db 'postgresql://mm:pw@/nodb?host=$pgdir' </dev/null; [ \$? = 3 ]"
exit $fail
