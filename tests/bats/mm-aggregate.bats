#!/usr/bin/env bats
# mm-aggregate: summary records over (now - length, now], the
# metrics_summary and metrics_summary_history tables, windows from
# --window and aggregate.yaml, each window's drift from summed bin counts
# (the same as mm-psi --merge of its batches), and errors.

bats_require_minimum_version 1.5.0
load helper

N=1764140300

# A batch with metrics: id, ts, accuracy, f1, avg_confidence, latency_ms,
# and a drift_score that windows no longer average (their drift comes from
# bin counts, below).
batch() {
	printf '{"batch_id":"%s","ts":%s,"metrics":{"accuracy":%s,"f1":%s,"avg_confidence":%s,"latency_ms":%s},"drift":{"drift_score":%s}}\n' "$@"
}

# Eight batches around N (the windows end at N):
#   r1  N          in 5m, 1h, 24h   1     1     .875  100  .25
#   r2  N - 120    in 5m, 1h, 24h   .5    .5    .625  300  .125
#   r3  N - 300    in 1h, 24h       .75   .25   .5    200  .5
#   r4  N - 3599   in 1h, 24h       .25   .25   .5    600  .125
#   r5  N - 3600   in 24h           0     .5    .25   900  .5
#   r8  N - 7200   in 24h           null  null  .25   900  0
#   r6  N + 1      in none (after now)
#   r7  N - 86400  in none (exactly 24h before now)
# 5m = r1 r2:      accuracy 1.5/2 = .75, f1 1.5/2 = .75,
#                  confidence 1.5/2 = .75, latency 400/2 = 200
# 1h = r1..r4:     accuracy 2.5/4 = .625, f1 2/4 = .5,
#                  confidence 2.5/4 = .625, latency 1200/4 = 300
# 24h = r1..r5 r8: accuracy and f1 over the five with labels:
#                  2.5/5 = .5 and 2.5/5 = .5; confidence 3/6 = .5,
#                  latency 3000/6 = 500
# None has bin counts, and there is no model store: no window has drift.
make_db() {
	{
		batch r1 $N 1 1 0.875 100 0.25
		batch r2 $((N - 120)) 0.5 0.5 0.625 300 0.125
		batch r3 $((N - 300)) 0.75 0.25 0.5 200 0.5
		batch r4 $((N - 3599)) 0.25 0.25 0.5 600 0.125
		batch r5 $((N - 3600)) 0 0.5 0.25 900 0.5
		batch r6 $((N + 1)) 0.125 0.125 0.125 5 0.75
		batch r7 $((N - 86400)) 0.125 0.125 0.125 5 0.75
		batch r8 $((N - 7200)) null null 0.25 900 0
	} | mm-record --db m.db >/dev/null
}

S5M='{"window":"5m","ts":1764140300,"n_batches":2,"metrics":{"accuracy":0.75,"f1":0.75,"avg_confidence":0.75,"latency_ms":200}}'
S1H='{"window":"1h","ts":1764140300,"n_batches":4,"metrics":{"accuracy":0.625,"f1":0.5,"avg_confidence":0.625,"latency_ms":300}}'
S24H='{"window":"24h","ts":1764140300,"n_batches":6,"metrics":{"accuracy":0.5,"f1":0.5,"avg_confidence":0.5,"latency_ms":500}}'

# Said once when some window is printed without drift for want of a
# model store.
NOSTORE="mm-aggregate: no model store 'models': window drift left out"

SUMMARY_COLS='window, ts, n_batches, accuracy, f1, avg_confidence, latency_ms, drift_score IS NULL, drift IS NULL'

q() {
	sqlite3 "$@"
}

@test "one summary record per window: 5m, 1h and 24h by default" {
	make_db
	run_split mm-aggregate --db m.db --now $N
	assert_success
	assert_equal "$stderr" ""
	assert_output "$S5M
$S1H
$S24H"
}

@test "a window is (now - length, now]: a batch at now is in, one at now - length is out" {
	make_db
	# 5m ending N + 180 is (N - 120, N + 180]: r2 at N - 120 is out;
	# r1 and r6 are in:  accuracy and f1 (1 + .125) / 2 = .5625,
	# confidence (.875 + .125) / 2 = .5, latency 105 / 2 = 52.5
	run_split mm-aggregate --db m.db --now $((N + 180)) --window 5m
	assert_success
	assert_output '{"window":"5m","ts":1764140480,"n_batches":2,"metrics":{"accuracy":0.5625,"f1":0.5625,"avg_confidence":0.5,"latency_ms":52.5}}'
	# One second earlier r2 is in: accuracy and f1 1.625 / 3,
	# confidence 1.625 / 3, latency 405 / 3 = 135
	run_split mm-aggregate --db m.db --now $((N + 179)) --window 5m
	assert_success
	assert_output '{"window":"5m","ts":1764140479,"n_batches":3,"metrics":{"accuracy":0.5416666666666666,"f1":0.5416666666666666,"avg_confidence":0.5416666666666666,"latency_ms":135}}'
	# Ending N - 1, r1 at N is after now, r3 at N - 300 inside:
	# r2 r3:  accuracy 1.25 / 2 = .625, f1 .75 / 2 = .375,
	# confidence 1.125 / 2 = .5625, latency 250
	run_split mm-aggregate --db m.db --now $((N - 1)) --window 5m
	assert_success
	assert_output '{"window":"5m","ts":1764140299,"n_batches":2,"metrics":{"accuracy":0.625,"f1":0.375,"avg_confidence":0.5625,"latency_ms":250}}'
	# --now may have a fraction: 2m ending N + .5 holds r1 alone.
	run_split mm-aggregate --db m.db --now $N.5 --window 2m
	assert_success
	assert_output '{"window":"2m","ts":1764140300.5,"n_batches":1,"metrics":{"accuracy":1,"f1":1,"avg_confidence":0.875,"latency_ms":100}}'
	assert_equal "$stderr" ""
}

@test "empty windows are skipped; a fresh database gives no output" {
	run_split mm-aggregate --db new.db --now $N
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	run q new.db 'SELECT count(*) FROM metrics_summary; SELECT count(*) FROM metrics_summary_history'
	assert_output '0
0'

	# Only r5-like data, 3600 s old: out of 5m and 1h.
	batch old $((N - 3600)) 0.5 0.5 0.5 10 0 | mm-record --db m.db >/dev/null
	run_split mm-aggregate --db m.db --now $N
	assert_success
	assert_output '{"window":"24h","ts":1764140300,"n_batches":1,"metrics":{"accuracy":0.5,"f1":0.5,"avg_confidence":0.5,"latency_ms":10}}'
	assert_equal "$stderr" ""
	run q m.db "SELECT window FROM metrics_summary"
	assert_output 24h
}

@test "--window LEN gives that one window" {
	make_db
	# 2m = r1 only (r2 is exactly 120 s before now).
	run_split mm-aggregate --db m.db --now $N --window 2m
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"window":"2m","ts":1764140300,"n_batches":1,"metrics":{"accuracy":1,"f1":1,"avg_confidence":0.875,"latency_ms":100}}'
	run_split mm-aggregate --db m.db --now $N -w 1d
	assert_success
	assert_output "${S24H/24h/1d}"
	run_split mm-aggregate --db m.db --now $N --window 3600s
	assert_success
	assert_output "${S1H/1h/3600s}"
}

@test "windows come from aggregate.yaml of --config or MM_CONFIG; --window wins" {
	make_db
	mkdir conf
	printf '# two windows\nwindows: [1h, 5m]\n' >conf/aggregate.yaml
	run_split mm-aggregate --db m.db --now $N --config conf
	assert_success
	assert_equal "$stderr" ""
	assert_output "$S1H
$S5M"
	MM_CONFIG=conf run_split mm-aggregate --db m.db --now $N
	assert_success
	assert_output "$S1H
$S5M"
	run_split mm-aggregate --db m.db --now $N --config conf --window 24h
	assert_success
	assert_output "$S24H"
}

@test "metrics_summary holds one row per window, updated on each run" {
	make_db
	mm-aggregate --db m.db --now $N >/dev/null
	run q m.db "SELECT $SUMMARY_COLS FROM metrics_summary ORDER BY ts, n_batches"
	assert_output '5m|1764140300.0|2|0.75|0.75|0.75|200.0|1|1
1h|1764140300.0|4|0.625|0.5|0.625|300.0|1|1
24h|1764140300.0|6|0.5|0.5|0.5|500.0|1|1'
	# 60 s later r1..r3 remain in 1h, r4 (N - 3599) leaves it; a new
	# batch arrives at N + 60.
	batch r9 $((N + 60)) 0 0 0 1000 1 | mm-record --db m.db >/dev/null
	run_split mm-aggregate --db m.db --now $((N + 60))
	assert_success
	run q m.db "SELECT $SUMMARY_COLS FROM metrics_summary ORDER BY window"
	# 5m:  r1 r2 r9 (r6 at N + 1 too):  4 batches
	#      accuracy (1 + .5 + 0 + .125) / 4 = .40625
	#      f1 the same, confidence (.875 + .625 + 0 + .125) / 4 = .40625,
	#      latency (100 + 300 + 1000 + 5) / 4 = 351.25
	# 1h:  r1 r2 r3 r6 r9:  5 batches
	#      accuracy 2.375 / 5 = .475, f1 1.875 / 5 = .375,
	#      confidence 2.125 / 5 = .425, latency 1605 / 5 = 321
	# 24h: r1..r6 r8 r9: 8 batches; accuracy and f1 over seven:
	#      2.625 / 7 = .375 both, confidence 3.125 / 8 = .390625,
	#      latency 4005 / 8 = 500.625
	assert_output '1h|1764140360.0|5|0.475|0.375|0.425|321.0|1|1
24h|1764140360.0|8|0.375|0.375|0.390625|500.625|1|1
5m|1764140360.0|4|0.40625|0.40625|0.40625|351.25|1|1'
	run q m.db 'SELECT count(*) FROM metrics_summary'
	assert_output 3
}

@test "metrics_summary_history gets a row per window on every run" {
	make_db
	mm-aggregate --db m.db --now $N >/dev/null
	mm-aggregate --db m.db --now $((N + 300)) >/dev/null
	run q m.db "SELECT $SUMMARY_COLS FROM metrics_summary_history ORDER BY id"
	# 300 s on, 5m holds only r6 (N + 1).  1h = r1 r2 r3 r6: accuracy
	# 2.375 / 4, f1 1.875 / 4, confidence 2.125 / 4, latency 605 / 4.
	# 24h = r1..r6 r8: accuracy and f1 2.625 / 6 = .4375 (r8 has none),
	# confidence 3.125 / 7, latency 3005 / 7.
	assert_output '5m|1764140300.0|2|0.75|0.75|0.75|200.0|1|1
1h|1764140300.0|4|0.625|0.5|0.625|300.0|1|1
24h|1764140300.0|6|0.5|0.5|0.5|500.0|1|1
5m|1764140600.0|1|0.125|0.125|0.125|5.0|1|1
1h|1764140600.0|4|0.59375|0.46875|0.53125|151.25|1|1
24h|1764140600.0|7|0.4375|0.4375|0.446428571428571|429.285714285714|1|1'
	run q m.db 'SELECT window, count(*) FROM metrics_summary_history GROUP BY window ORDER BY window'
	assert_output '1h|2
24h|2
5m|2'
}

@test "a rerun at the same --now prints the same records" {
	make_db
	mm-aggregate --db m.db --now $N >first.ndjson
	run_split mm-aggregate --db m.db --now $N
	assert_success
	assert_output "$(cat first.ndjson)"
}

@test "averages of nothing are null: no labels, no metrics" {
	printf '%s\n' \
	    '{"batch_id":"a","ts":1764140290,"metrics":{"n_samples":4,"accuracy":null,"f1":null,"avg_confidence":0.5,"latency_ms":10}}' \
	    '{"batch_id":"b","ts":1764140295,"drift":{"drift_score":0.5}}' |
	    mm-record --db m.db >/dev/null
	run_split mm-aggregate --db m.db --now $N --window 5m
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"window":"5m","ts":1764140300,"n_batches":2,"metrics":{"accuracy":null,"f1":null,"avg_confidence":0.5,"latency_ms":10}}'
	run q m.db "SELECT window, n_batches, accuracy IS NULL, f1 IS NULL, avg_confidence FROM metrics_summary"
	assert_output '5m|2|1|1|0.5'
}

@test "a bad --window value is a usage error" {
	for w in 5x 0m m 5 -5m 1.5h 400d; do
		run_split mm-aggregate --db m.db --now $N --window "$w"
		assert_failure 2
		assert_output ""
		assert_equal "$stderr" "mm-aggregate: --window: '$w' is not a window length such as 5m, 1h or 24h"
	done
	[ ! -e m.db ]
}

@test "a bad --now is a usage error" {
	run_split mm-aggregate --db m.db --now yesterday
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-aggregate: --now: 'yesterday' is not a number from 0 to 1e+11"
}

@test "an unexpected argument is a usage error" {
	run_split mm-aggregate --db m.db --now $N extra
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-aggregate: unexpected argument 'extra'
usage: mm-aggregate [--db FILE] [--models DIR] [--config DIR] [--now TS] [--window LEN]
Try 'mm-aggregate --help' for more information."
	[ ! -e m.db ]
}

@test "a bad aggregate.yaml is exit 2 naming the file and line" {
	mkdir conf
	printf 'windows: [5m, 1x]\n' >conf/aggregate.yaml
	run_split mm-aggregate --db m.db --now $N --config conf
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-aggregate: conf/aggregate.yaml:1: 'windows': '1x' is not a window length such as 5m, 1h or 24h"
	printf 'windows: []\n' >conf/aggregate.yaml
	run_split mm-aggregate --db m.db --now $N --config conf
	assert_failure 2
	assert_equal "$stderr" "mm-aggregate: conf/aggregate.yaml:1: 'windows' is empty"
}

@test "a file that is not an SQLite database is exit 3" {
	printf 'not a database\n' >t.db
	run_split mm-aggregate --db t.db --now $N
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-aggregate: t.db: database error: not an SQLite database"
	assert_equal "$(cat t.db)" "not a database"
}

@test "a database with a newer schema is refused and left byte for byte" {
	make_db
	q m.db 'INSERT INTO schema_version VALUES (3, 0)'
	before=$(sha256sum m.db)
	run_split mm-aggregate --db m.db --now $N
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-aggregate: m.db: database schema 3 is newer than this mm knows (2); upgrade mm"
	assert_equal "$(sha256sum m.db)" "$before"
}

@test "MM_DB names the database" {
	make_db
	MM_DB=m.db run_split mm-aggregate --now $N --window 5m
	assert_success
	assert_output "$S5M"
	assert_equal "$stderr" ""
}

# Window drift.  A model trained once for the file, and twelve batches of
# 64 rows it scored, a minute apart from S = N - 1200; f0, f1 and f2 move
# from the seventh batch (b000006) on.  Their drift objects carry the
# reference id and bin counts that mm-record stores and windows sum.
S=$((N - 1200))
T0=1764100000

setup_file() {
	local d=$BATS_FILE_TMPDIR
	export PATH="${MM_BIN:-$BATS_TEST_DIRNAME/../../bin}:$PATH"
	mm-train --synthetic --models "$d/M" --now $T0 >/dev/null
	mm-gen --batches 12 --batch-size 64 --drift-at 6 --start $S |
	    mm-predict --models "$d/M" | mm-psi --models "$d/M" >"$d/scored"
}

# The drift object of a summary record or of mm-psi --merge, as written.
drift_of() {
	sed 's/.*,"drift"://; s/}$//'
}

# The reference id the scored batches carry.
ref_of() {
	sed -n 's/.*"ref":"\([0-9a-f]*\)".*/\1/p' "$1" | head -n 1
}

@test "a window's drift is mm-psi --merge of its batches, bit for bit" {
	local d=$BATS_FILE_TMPDIR
	mm-record --db m.db "$d/scored" >/dev/null
	# 1h ending N holds all twelve batches.
	run_split mm-aggregate --db m.db --models "$d/M" --now $N --window 1h
	assert_success
	assert_equal "$stderr" ""
	assert_output --regexp '^\{"window":"1h","ts":1764140300,"n_batches":12,"metrics":\{[^}]*\},"drift":\{"psi":'
	agg=$(drift_of <<<"$output")
	run_split mm-psi --merge --models "$d/M" "$d/scored"
	assert_success
	assert_output --regexp '^\{"n_records":12,"drift":'
	assert_equal "$agg" "$(drift_of <<<"$output")"
	# The window saw the shift: 768 rows, f0 f1 f2 drifted.
	[[ $agg == *'"drifted":["f1","f0","f2"]'*'"status":"severe","n":768,'* ]]

	# 5m ending S + 420 is (S + 120, S + 420]: batches 3 to 7, stable
	# and moved ones together.
	run_split mm-aggregate --db m.db --models "$d/M" --now $((S + 420)) -w 5m
	assert_success
	assert_equal "$stderr" ""
	assert_output --partial '"n_batches":5,'
	agg=$(drift_of <<<"$output")
	assert_equal "$agg" "$(sed -n 4,8p "$d/scored" | mm-psi --merge --models "$d/M" | drift_of)"
	[[ $agg == *'"status":"moderate","n":320,'* ]]
}

@test "a summary's drift merges further: its counts are the window's" {
	local d=$BATS_FILE_TMPDIR
	mm-record --db m.db "$d/scored" >/dev/null
	# Two windows that split the twelve batches, merged by mm-psi, are
	# the hour.
	{ mm-aggregate --db m.db --models "$d/M" --now $((S + 300)) -w 6m
	    mm-aggregate --db m.db --models "$d/M" --now $((S + 660)) -w 6m; } \
	    >halves.ndjson
	run_split mm-psi --merge --models "$d/M" halves.ndjson
	assert_success
	assert_equal "$(drift_of <<<"$output")" \
	    "$(mm-aggregate --db m.db --models "$d/M" --now $N -w 1h | drift_of)"
}

@test "the stored drift is the printed one without ref and counts, as in metrics" {
	local d=$BATS_FILE_TMPDIR
	mm-record --db m.db "$d/scored" >/dev/null
	mm-aggregate --db m.db --models "$d/M" --now $N >out.ndjson
	# 5m ending N holds no batch: two windows.
	assert_equal "$(grep -c . out.ndjson)" 2
	for w in 1h 24h; do
		printed=$(grep "\"window\":\"$w\"" out.ndjson | drift_of)
		want=$(sed 's/,"ref":"[0-9a-f]*","counts":{.*}$/}/' <<<"$printed")
		[[ $want != *counts* ]]
		run q m.db "SELECT drift FROM metrics_summary WHERE window = '$w'"
		assert_output "$want"
		run q m.db "SELECT drift FROM metrics_summary_history WHERE window = '$w'"
		assert_output "$want"
		# drift_score is the printed one, as SQLite prints a double.
		score=$(sed 's/.*"drift_score":\([^,]*\),.*/\1/' <<<"$printed")
		run q m.db "SELECT drift_score = $score FROM metrics_summary WHERE window = '$w'"
		assert_output 1
	done
	# Each batch's drift is stored as mm-psi wrote it, but ref and counts;
	# the counts go to drift_counts as they came.
	run python3 - "$d/scored" m.db <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[2])
bad = 0
for line in open(sys.argv[1]):
    rec = json.loads(line)
    d = rec["drift"]
    (stored,) = db.execute("SELECT drift FROM metrics WHERE batch_id = ?",
                           (rec["batch_id"],)).fetchone()
    want = {k: v for k, v in d.items() if k not in ("ref", "counts")}
    bad += json.loads(stored) != want or "counts" in stored
    ref, n, counts = db.execute("SELECT ref, n, counts FROM drift_counts "
                                "WHERE batch_id = ?", (rec["batch_id"],)).fetchone()
    bad += ref != d["ref"] or n != d["n"] or '"counts":' + counts not in line
print(bad)
PY
	assert_output 0
}

@test "batches scored against another reference are left out of the window" {
	local d=$BATS_FILE_TMPDIR
	cp -R "$d/M" M
	# A second version on another sample has another reference; it goes
	# live and scores twelve more batches, interleaved in time.
	mm-train --synthetic --seed 7 --models M --activate --now $((T0 + 100)) >/dev/null
	mm-gen --batches 12 --batch-size 64 --seed 9 --start $((S + 30)) |
	    sed 's/"batch_id":"b/"batch_id":"v2-/' |
	    mm-predict --models M | mm-psi --models M >v2.ndjson
	cat "$d/scored" v2.ndjson | mm-record --db m.db >/dev/null
	run q m.db 'SELECT count(DISTINCT ref), count(*) FROM drift_counts'
	assert_output '2|24'
	# The live version's reference: only its twelve batches count (the
	# metrics still average all 24).
	run_split mm-aggregate --db m.db --models M --now $N -w 1h
	assert_success
	assert_equal "$stderr" ""
	assert_output --partial '"n_batches":24,'
	assert_equal "$(drift_of <<<"$output")" \
	    "$(mm-psi --merge --models M v2.ndjson | drift_of)"
	[[ $output == *"\"ref\":\"$(ref_of v2.ndjson)\""* ]]
	# Rolled back, the first version's reference comes back with it.
	mm-models --models M --now $((T0 + 200)) rollback >/dev/null
	run_split mm-aggregate --db m.db --models M --now $N -w 1h
	assert_success
	assert_equal "$(drift_of <<<"$output")" \
	    "$(mm-psi --merge --models M "$d/scored" | drift_of)"
	[[ $output == *"\"ref\":\"$(ref_of "$d/scored")\""* ]]
}

@test "drift.yaml of --config grades the window as it grades mm-psi --merge" {
	local d=$BATS_FILE_TMPDIR
	mm-record --db m.db "$d/scored" >/dev/null
	mkdir conf
	printf 'moderate: 0.01\nsevere: 0.5\nalpha: 0.05\n' >conf/drift.yaml
	run_split mm-aggregate --db m.db --models "$d/M" --config conf \
	    --now $((S + 420)) -w 5m
	assert_success
	assert_equal "$stderr" ""
	agg=$(drift_of <<<"$output")
	assert_equal "$agg" "$(sed -n 4,8p "$d/scored" |
	    mm-psi --merge --models "$d/M" --config conf | drift_of)"
	[[ $agg == *'"status":"moderate"'* ]]
	[[ $agg != "$(mm-aggregate --db m.db --models "$d/M" --now $((S + 420)) -w 5m | drift_of)" ]]
}

@test "a window without counts has no drift, and nothing to say about it" {
	local d=$BATS_FILE_TMPDIR ref
	ref=$(ref_of "$d/scored")
	# Batches with metrics and an old drift object, no counts.
	make_db
	run_split mm-aggregate --db m.db --models "$d/M" --now $N
	assert_success
	assert_output "$S5M
$S1H
$S24H"
	# No batch of these windows was scored by mm-psi: nothing was missed.
	assert_equal "$stderr" ""
	run q m.db 'SELECT window, drift_score IS NULL, drift IS NULL FROM metrics_summary ORDER BY ts, n_batches'
	assert_output '5m|1|1
1h|1|1
24h|1|1'
	# The scored batches reach into 1h and 24h, not 5m ending N.
	mm-record --db m.db "$d/scored" >/dev/null
	run_split mm-aggregate --db m.db --models "$d/M" --now $N
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 "$S5M"
	assert_line --index 1 --partial '"n_batches":16,'
	assert_line --index 1 --partial '"drift":{"psi":'
	run q m.db 'SELECT window, drift_score IS NULL, drift IS NULL FROM metrics_summary ORDER BY ts, n_batches'
	assert_output '5m|1|1
1h|0|0
24h|0|0'
}

@test "no model store, or no live version: no drift, said once" {
	local d=$BATS_FILE_TMPDIR
	mm-record --db m.db "$d/scored" >/dev/null
	run_split mm-aggregate --db m.db --models nowhere --now $N -w 1h
	assert_success
	assert_equal "$stderr" "mm-aggregate: no model store 'nowhere': window drift left out"
	assert_output --regexp '^\{"window":"1h","ts":1764140300,"n_batches":12,"metrics":\{[^}]*\}\}$'
	run q m.db "SELECT drift_score IS NULL, drift IS NULL FROM metrics_summary"
	assert_output '1|1'
	# A store with no live version (nothing trained yet).
	mkdir E
	run_split mm-aggregate --db m.db --models E --now $N
	assert_success
	assert_equal "$stderr" "mm-aggregate: no live model version in 'E': window drift left out"
	assert_equal "${#lines[@]}" 2
	[[ $output != *'"drift"'* ]]
	# Nothing printed, nothing said.
	run_split mm-aggregate --db m.db --models E --now $((N + 86400))
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
}

@test "MM_MODELS names the model store; --models wins" {
	local d=$BATS_FILE_TMPDIR want
	mm-record --db m.db "$d/scored" >/dev/null
	want=$(mm-aggregate --db m.db --models "$d/M" --now $N -w 1h)
	[[ $want == *'"drift":'* ]]
	MM_MODELS=$d/M run_split mm-aggregate --db m.db --now $N -w 1h
	assert_success
	assert_equal "$stderr" ""
	assert_output "$want"
	MM_MODELS=$d/M run_split mm-aggregate --db m.db --models nowhere --now $N -w 1h
	assert_success
	assert_equal "$stderr" "mm-aggregate: no model store 'nowhere': window drift left out"
	# Without either, models in the current directory.
	cp -R "$d/M" models
	run_split mm-aggregate --db m.db --now $N -w 1h
	assert_success
	assert_output "$want"
}

@test "stored counts that do not fit the reference are exit 3 naming the batch" {
	local d=$BATS_FILE_TMPDIR
	mm-record --db m.db "$d/scored" >/dev/null
	mm-aggregate --db m.db --models "$d/M" --now $N >/dev/null
	before=$(q m.db 'SELECT count(*) FROM metrics_summary_history')
	q m.db "UPDATE drift_counts SET counts = '{\"f0\":[64]}' WHERE batch_id = 'b000003'"
	run_split mm-aggregate --db m.db --models "$d/M" --now $N
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-aggregate: m.db: drift counts of batch 'b000003': feature 'f0' has 1 bins, the reference 11"
	q m.db "UPDATE drift_counts SET counts = 'f0' WHERE batch_id = 'b000003'"
	run_split mm-aggregate --db m.db --models "$d/M" --now $N
	assert_failure 3
	assert_equal "$stderr" "mm-aggregate: m.db: drift counts of batch 'b000003': not a JSON object"
	q m.db "UPDATE drift_counts SET counts = (SELECT counts FROM drift_counts WHERE batch_id = 'b000004'), n = 65 WHERE batch_id = 'b000003'"
	run_split mm-aggregate --db m.db --models "$d/M" --now $N
	assert_failure 3
	assert_equal "$stderr" "mm-aggregate: m.db: drift counts of batch 'b000003': feature 'f0' sums to 64, not n 65"
	# Nothing was stored by the failed runs.
	run q m.db 'SELECT count(*) FROM metrics_summary_history'
	assert_output "$before"
}

@test "a live version whose reference cannot be read is exit 3" {
	local d=$BATS_FILE_TMPDIR
	cp -R "$d/M" M
	v=$(ls M/versions)
	printf '{"format":"mm-reference/2"' >"M/versions/$v/reference.json"
	run_split mm-aggregate --db m.db --models M --now $N
	assert_failure 3
	assert_output ""
	[[ $stderr == "mm-aggregate: M/versions/$v/reference.json"* ]]
	[ ! -e m.db ]
	rm "M/versions/$v/reference.json"
	run_split mm-aggregate --db m.db --models M --now $N
	assert_failure 3
	assert_equal "$stderr" "mm-aggregate: M/versions/$v/reference.json: cannot read reference: No such file or directory"
}
