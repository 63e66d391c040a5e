#!/usr/bin/env bats
# mm-aggregate: summary records over (now - length, now], the
# metrics_summary and metrics_summary_history tables, windows from
# --window and aggregate.yaml, and errors.

bats_require_minimum_version 1.5.0
load helper

N=1764140300

# A batch with metrics and drift: id, ts, accuracy, f1, avg_confidence,
# latency_ms, drift_score.
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
#                  confidence 1.5/2 = .75, latency 400/2 = 200,
#                  drift .375/2 = .1875
# 1h = r1..r4:     accuracy 2.5/4 = .625, f1 2/4 = .5,
#                  confidence 2.5/4 = .625, latency 1200/4 = 300,
#                  drift 1/4 = .25
# 24h = r1..r5 r8: accuracy and f1 over the five with labels:
#                  2.5/5 = .5 and 2.5/5 = .5; confidence 3/6 = .5,
#                  latency 3000/6 = 500, drift 1.5/6 = .25
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

S5M='{"window":"5m","ts":1764140300,"n_batches":2,"metrics":{"accuracy":0.75,"f1":0.75,"avg_confidence":0.75,"latency_ms":200},"drift":{"drift_score":0.1875}}'
S1H='{"window":"1h","ts":1764140300,"n_batches":4,"metrics":{"accuracy":0.625,"f1":0.5,"avg_confidence":0.625,"latency_ms":300},"drift":{"drift_score":0.25}}'
S24H='{"window":"24h","ts":1764140300,"n_batches":6,"metrics":{"accuracy":0.5,"f1":0.5,"avg_confidence":0.5,"latency_ms":500},"drift":{"drift_score":0.25}}'

SUMMARY_COLS='window, ts, n_batches, accuracy, f1, avg_confidence, latency_ms, drift_score'

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
	# confidence (.875 + .125) / 2 = .5, latency 105 / 2 = 52.5,
	# drift (.25 + .75) / 2 = .5
	run_split mm-aggregate --db m.db --now $((N + 180)) --window 5m
	assert_success
	assert_output '{"window":"5m","ts":1764140480,"n_batches":2,"metrics":{"accuracy":0.5625,"f1":0.5625,"avg_confidence":0.5,"latency_ms":52.5},"drift":{"drift_score":0.5}}'
	# One second earlier r2 is in: accuracy and f1 1.625 / 3,
	# confidence 1.625 / 3, latency 405 / 3 = 135, drift 1.125 / 3 = .375
	run_split mm-aggregate --db m.db --now $((N + 179)) --window 5m
	assert_success
	assert_output '{"window":"5m","ts":1764140479,"n_batches":3,"metrics":{"accuracy":0.5416666666666666,"f1":0.5416666666666666,"avg_confidence":0.5416666666666666,"latency_ms":135},"drift":{"drift_score":0.375}}'
	# Ending N - 1, r1 at N is after now, r3 at N - 300 inside:
	# r2 r3:  accuracy 1.25 / 2 = .625, f1 .75 / 2 = .375,
	# confidence 1.125 / 2 = .5625, latency 250, drift .625 / 2 = .3125
	run_split mm-aggregate --db m.db --now $((N - 1)) --window 5m
	assert_success
	assert_output '{"window":"5m","ts":1764140299,"n_batches":2,"metrics":{"accuracy":0.625,"f1":0.375,"avg_confidence":0.5625,"latency_ms":250},"drift":{"drift_score":0.3125}}'
	# --now may have a fraction: 2m ending N + .5 holds r1 alone.
	run_split mm-aggregate --db m.db --now $N.5 --window 2m
	assert_success
	assert_output '{"window":"2m","ts":1764140300.5,"n_batches":1,"metrics":{"accuracy":1,"f1":1,"avg_confidence":0.875,"latency_ms":100},"drift":{"drift_score":0.25}}'
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
	assert_output '{"window":"24h","ts":1764140300,"n_batches":1,"metrics":{"accuracy":0.5,"f1":0.5,"avg_confidence":0.5,"latency_ms":10},"drift":{"drift_score":0}}'
	run q m.db "SELECT window FROM metrics_summary"
	assert_output 24h
}

@test "--window LEN gives that one window" {
	make_db
	# 2m = r1 only (r2 is exactly 120 s before now).
	run_split mm-aggregate --db m.db --now $N --window 2m
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"window":"2m","ts":1764140300,"n_batches":1,"metrics":{"accuracy":1,"f1":1,"avg_confidence":0.875,"latency_ms":100},"drift":{"drift_score":0.25}}'
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
	assert_output '5m|1764140300.0|2|0.75|0.75|0.75|200.0|0.1875
1h|1764140300.0|4|0.625|0.5|0.625|300.0|0.25
24h|1764140300.0|6|0.5|0.5|0.5|500.0|0.25'
	# 60 s later r1..r3 remain in 1h, r4 (N - 3599) leaves it; a new
	# batch arrives at N + 60.
	batch r9 $((N + 60)) 0 0 0 1000 1 | mm-record --db m.db >/dev/null
	run_split mm-aggregate --db m.db --now $((N + 60))
	assert_success
	run q m.db "SELECT $SUMMARY_COLS FROM metrics_summary ORDER BY window"
	# 5m:  r1 r2 r9 (r6 at N + 1 too):  4 batches
	#      accuracy (1 + .5 + 0 + .125) / 4 = .40625
	#      f1 the same, confidence (.875 + .625 + 0 + .125) / 4 = .40625,
	#      latency (100 + 300 + 1000 + 5) / 4 = 351.25,
	#      drift (.25 + .125 + 1 + .75) / 4 = .53125
	# 1h:  r1 r2 r3 r6 r9:  5 batches
	#      accuracy 2.375 / 5 = .475, f1 1.875 / 5 = .375,
	#      confidence 2.125 / 5 = .425, latency 1605 / 5 = 321,
	#      drift 2.625 / 5 = .525
	# 24h: r1..r6 r8 r9: 8 batches; accuracy and f1 over seven:
	#      2.625 / 7 = .375 both, confidence 3.125 / 8 = .390625,
	#      latency 4005 / 8 = 500.625, drift 3.25 / 8 = .40625
	assert_output '1h|1764140360.0|5|0.475|0.375|0.425|321.0|0.525
24h|1764140360.0|8|0.375|0.375|0.390625|500.625|0.40625
5m|1764140360.0|4|0.40625|0.40625|0.40625|351.25|0.53125'
	run q m.db 'SELECT count(*) FROM metrics_summary'
	assert_output 3
}

@test "metrics_summary_history gets a row per window on every run" {
	make_db
	mm-aggregate --db m.db --now $N >/dev/null
	mm-aggregate --db m.db --now $((N + 300)) >/dev/null
	run q m.db "SELECT $SUMMARY_COLS FROM metrics_summary_history ORDER BY id"
	# 300 s on, 5m holds only r6 (N + 1).  1h = r1 r2 r3 r6: accuracy
	# 2.375 / 4, f1 1.875 / 4, confidence 2.125 / 4, latency 605 / 4,
	# drift 1.625 / 4.  24h = r1..r6 r8: accuracy and f1 2.625 / 6 =
	# .4375 (r8 has none), confidence 3.125 / 7, latency 3005 / 7,
	# drift 2.25 / 7.
	assert_output '5m|1764140300.0|2|0.75|0.75|0.75|200.0|0.1875
1h|1764140300.0|4|0.625|0.5|0.625|300.0|0.25
24h|1764140300.0|6|0.5|0.5|0.5|500.0|0.25
5m|1764140600.0|1|0.125|0.125|0.125|5.0|0.75
1h|1764140600.0|4|0.59375|0.46875|0.53125|151.25|0.40625
24h|1764140600.0|7|0.4375|0.4375|0.446428571428571|429.285714285714|0.321428571428571'
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

@test "averages of nothing are null: no labels, no drift, no metrics" {
	printf '%s\n' \
	    '{"batch_id":"a","ts":1764140290,"metrics":{"n_samples":4,"accuracy":null,"f1":null,"avg_confidence":0.5,"latency_ms":10}}' \
	    '{"batch_id":"b","ts":1764140295,"drift":{"drift_score":0.5}}' |
	    mm-record --db m.db >/dev/null
	run_split mm-aggregate --db m.db --now $N --window 5m
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"window":"5m","ts":1764140300,"n_batches":2,"metrics":{"accuracy":null,"f1":null,"avg_confidence":0.5,"latency_ms":10},"drift":{"drift_score":0.5}}'
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
usage: mm-aggregate [--db FILE] [--config DIR] [--now TS] [--window LEN]
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
	q m.db 'INSERT INTO schema_version VALUES (2, 0)'
	before=$(sha256sum m.db)
	run_split mm-aggregate --db m.db --now $N
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-aggregate: m.db: database schema 2 is newer than this mm knows (1); upgrade mm"
	assert_equal "$(sha256sum m.db)" "$before"
}

@test "MM_DB names the database" {
	make_db
	MM_DB=m.db run_split mm-aggregate --now $N --window 5m
	assert_success
	assert_output "$S5M"
	assert_equal "$stderr" ""
}
