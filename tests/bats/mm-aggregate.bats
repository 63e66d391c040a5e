#!/usr/bin/env bats
# mm-aggregate: summary records over (now - length, now] of the batches
# one model version served (the live one, or --model-version; every
# batch when there is no live version), the metrics_summary and
# metrics_summary_history tables, windows from --window and
# aggregate.yaml, each window's accuracy and F1 from summed confusion
# counts and its drift from summed bin counts (the same as mm-psi --merge
# of its batches), and errors.

bats_require_minimum_version 1.5.0
load helper

PY=/usr/bin/python3
N=1764140300
# The version of the store that setup_file trains (mm-train --now T0).
VM=20251125T194640Z

# A batch with metrics as mm-predict writes them, served by VM: id, ts,
# n_samples, confusion (row = true class, column = predicted; null for a
# row stored before mm-predict counted), avg_confidence, latency_ms; and
# a drift_score that windows do not average (their drift comes from bin
# counts, below).  A version of - leaves model_version out.
batch() {
	local v=,\"model_version\":\"${7:-$VM}\"

	if [ "${7-}" = - ]; then
		v=
	fi
	printf '{"batch_id":"%s","ts":%s,"metrics":{"n_samples":%s,"confusion":%s,"avg_confidence":%s,"latency_ms":%s%s},"drift":{"drift_score":0.25}}\n' "$1" "$2" "$3" "$4" "$5" "$6" "$v"
}

# Eight batches around N (the windows end at N):
#   r1  N          in 5m, 1h, 24h    8 rows  [[3,1],[0,4]]    .875   100
#   r2  N - 120    in 5m, 1h, 24h    8       [[2,2],[2,2]]    .625   300
#   r3  N - 300    in 1h, 24h       16       [[6,2],[4,4]]    .5     200
#   r4  N - 3599   in 1h, 24h       16       [[4,4],[4,4]]    .5     600
#   r5  N - 3600   in 24h           32       [[10,6],[10,6]]  .25    900
#   r8  N - 7200   in 24h           32       no counts        .25    900
#   r6  N + 1      in none (after now)  8    [[1,3],[3,1]]    .125   5
#   r7  N - 86400  in none (exactly 24h before now), as r6
# A window's confusion is the sum of its batches'; accuracy is its
# diagonal's share and F1 that of class 1, 2 TP / (2 TP + FP + FN), as
# scikit-learn's accuracy_score and f1_score give them on the rows the
# counts stand for (to 1e-15; tests/bats/mm-aggregate.bats derives
# them so).  avg_confidence and latency_ms are means weighted by
# n_samples:
# 5m = r1 r2:       [[5,3],[2,6]]: accuracy 11/16 = .6875, F1 12/17;
#                   16 rows, confidence (7 + 5) / 16 = .75,
#                   latency (800 + 2400) / 16 = 200
# 1h = r1..r4:      [[15,9],[10,14]]: accuracy 29/48, F1 28/47;
#                   48 rows, confidence 28/48, latency 16000/48
# 24h = r1..r5 r8:  r8 has no counts and adds nothing to them:
#                   [[25,15],[20,20]]: accuracy 45/80 = .5625, F1 40/75;
#                   112 rows (r8's too), confidence 44/112,
#                   latency 73600/112
# None has bin counts, and there is no model store: each window holds
# every batch, and no window has drift.
make_db() {
	{
		batch r1 $N 8 '[[3,1],[0,4]]' 0.875 100
		batch r2 $((N - 120)) 8 '[[2,2],[2,2]]' 0.625 300
		batch r3 $((N - 300)) 16 '[[6,2],[4,4]]' 0.5 200
		batch r4 $((N - 3599)) 16 '[[4,4],[4,4]]' 0.5 600
		batch r5 $((N - 3600)) 32 '[[10,6],[10,6]]' 0.25 900
		batch r6 $((N + 1)) 8 '[[1,3],[3,1]]' 0.125 5
		batch r7 $((N - 86400)) 8 '[[1,3],[3,1]]' 0.125 5
		batch r8 $((N - 7200)) 32 null 0.25 900
	} >batches.ndjson
	# From a file: a pipe would fork the block that writes it.
	mm-record --db m.db batches.ndjson >/dev/null
}

S5M='{"window":"5m","ts":1764140300,"n_batches":2,"metrics":{"n_samples":16,"accuracy":0.6875,"f1":0.7058823529411765,"confusion":[[5,3],[2,6]],"avg_confidence":0.75,"latency_ms":200}}'
S1H='{"window":"1h","ts":1764140300,"n_batches":4,"metrics":{"n_samples":48,"accuracy":0.6041666666666666,"f1":0.5957446808510638,"confusion":[[15,9],[10,14]],"avg_confidence":0.5833333333333334,"latency_ms":333.3333333333333}}'
S24H='{"window":"24h","ts":1764140300,"n_batches":6,"metrics":{"n_samples":112,"accuracy":0.5625,"f1":0.5333333333333333,"confusion":[[25,15],[20,20]],"avg_confidence":0.39285714285714285,"latency_ms":657.1428571428571}}'

# of_version VAR V TEXT: VAR the summary records of TEXT as they are when
# the windows are of version V.
of_version() {
	local mm_l mm_r=

	while IFS= read -r mm_l; do
		[[ $mm_l =~ ^(.*\"n_batches\":[0-9]*,)(.*)$ ]]
		mm_r+=${BASH_REMATCH[1]}\"model_version\":\"$2\",${BASH_REMATCH[2]}$'\n'
	done <<<"$3"
	printf -v "$1" '%s' "${mm_r%$'\n'}"
}

SUMMARY_COLS='window, ts, n_batches, accuracy, f1, avg_confidence, latency_ms, drift_score IS NULL, drift IS NULL, model_version IS NULL, n_samples, confusion'

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

@test "the window metrics are those scikit-learn gives of the rows, and of the counts" {
	make_db
	mm-aggregate --db m.db --now $N >out.ndjson
	# Rows rebuilt from each batch's counts, as in the table above.
	run_merged $PY - out.ndjson <<'PY'
import json, sys
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
B = {"5m": ["r1", "r2"], "1h": ["r1", "r2", "r3", "r4"],
     "24h": ["r1", "r2", "r3", "r4", "r5", "r8"]}
CM = {"r1": [[3, 1], [0, 4]], "r2": [[2, 2], [2, 2]], "r3": [[6, 2], [4, 4]],
      "r4": [[4, 4], [4, 4]], "r5": [[10, 6], [10, 6]], "r8": None}
N = {"r1": 8, "r2": 8, "r3": 16, "r4": 16, "r5": 32, "r8": 32}
C = {"r1": .875, "r2": .625, "r3": .5, "r4": .5, "r5": .25, "r8": .25}
L = {"r1": 100, "r2": 300, "r3": 200, "r4": 600, "r5": 900, "r8": 900}
for line in open(sys.argv[1]):
    w = json.loads(line)
    m, ids = w["metrics"], B[w["window"]]
    y, p = [], []
    for i in ids:
        for t in range(2):
            for c in range(2):
                k = CM[i][t][c] if CM[i] else 0
                y += [t] * k
                p += [c] * k
    assert w["n_batches"] == len(ids)
    assert m["confusion"] == confusion_matrix(y, p).tolist()
    assert abs(m["accuracy"] - accuracy_score(y, p)) < 1e-15
    assert abs(m["f1"] - f1_score(y, p)) < 1e-15
    n = sum(N[i] for i in ids)
    assert m["n_samples"] == n
    assert abs(m["avg_confidence"] - sum(N[i] * C[i] for i in ids) / n) < 1e-15
    assert abs(m["latency_ms"] - sum(N[i] * L[i] for i in ids) / n) < 1e-12
print("ok")
PY
	assert_output ok
}

@test "accuracy and F1 of summed counts, not a mean of batch scores: a 10-row and a 1000-row batch" {
	# Two batches as mm-predict leaves them:
	#   small  10 rows  [[0,5],[5,0]]        accuracy 0,  F1 0
	#   large  1000     [[450,50],[50,450]]  accuracy .9, F1 .9
	# The mean of their scores would be .45 both.  Their rows together,
	# [[450,55],[55,450]]: accuracy 900/1010, F1 2*450 / (900 + 55 + 55)
	# = 900/1010 = .8910891089108911 (scikit-learn's accuracy_score and
	# f1_score of these 1010 rows: .8910891089108911 both).
	# Confidence and latency weighted by rows: (10 * .5 + 1000 * .9) /
	# 1010 = 905/1010 = .8960396039603961; (10 * 1 + 1000 * 10) / 1010 =
	# 10010/1010 = 9.910891089108912.
	printf '%s\n' \
	    "{\"batch_id\":\"small\",\"ts\":$((N - 10)),\"metrics\":{\"n_samples\":10,\"n_labelled\":10,\"accuracy\":0,\"f1\":0,\"confusion\":[[0,5],[5,0]],\"avg_confidence\":0.5,\"latency_ms\":1,\"model_version\":\"$VM\"}}" \
	    "{\"batch_id\":\"large\",\"ts\":$((N - 20)),\"metrics\":{\"n_samples\":1000,\"n_labelled\":1000,\"accuracy\":0.9,\"f1\":0.9,\"confusion\":[[450,50],[50,450]],\"avg_confidence\":0.9,\"latency_ms\":10,\"model_version\":\"$VM\"}}" \
	    >in.ndjson
	mm-record --db m.db in.ndjson >/dev/null
	run_split mm-aggregate --db m.db --now $N -w 5m
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"window":"5m","ts":1764140300,"n_batches":2,"metrics":{"n_samples":1010,"accuracy":0.8910891089108911,"f1":0.8910891089108911,"confusion":[[450,55],[55,450]],"avg_confidence":0.8960396039603961,"latency_ms":9.910891089108912}}'
	run_merged q m.db "SELECT $SUMMARY_COLS FROM metrics_summary"
	assert_output '5m|1764140300.0|2|0.891089108910891|0.891089108910891|0.896039603960396|9.91089108910891|1|1|1|1010|[[450,55],[55,450]]'
}

@test "a window of mm-predict's batches is scikit-learn's scores of all their rows" {
	# A 10-row and a 1000-row batch scored by the store's model; the
	# window's confusion, accuracy and F1 are those of the 1010 rows
	# together, its confidence the mean of all 1010 probabilities.
	local d=$BATS_FILE_TMPDIR large
	mm-gen --batches 1 --batch-size 10 --seed 3 --flip-y 0.3 \
	    --start $((N - 100)) >small.ndjson
	mm-gen --batches 1 --batch-size 1000 --seed 4 --start $((N - 50)) \
	    >large.ndjson
	IFS= read -r large <large.ndjson
	printf '%s\n' "${large/\"b000000\"/\"b000001\"}" >large.ndjson
	mm-predict --models "$d/M" small.ndjson large.ndjson >scored.ndjson
	mm-record --db m.db scored.ndjson >/dev/null
	mm-aggregate --db m.db --models "$d/M" --now $N -w 5m >out.ndjson
	run_merged $PY - scored.ndjson out.ndjson <<'PY'
import json, sys
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
b = [json.loads(l) for l in open(sys.argv[1])]
(w,) = [json.loads(l) for l in open(sys.argv[2])]
y = sum((r["labels"] for r in b), [])
p = sum((r["pred"] for r in b), [])
pr = sum((r["proba"] for r in b), [])
m = w["metrics"]
assert w["n_batches"] == 2 and m["n_samples"] == len(y) == 1010
assert w["model_version"] == b[0]["metrics"]["model_version"]
assert m["confusion"] == confusion_matrix(y, p).tolist()
assert abs(m["accuracy"] - accuracy_score(y, p)) < 1e-15
assert abs(m["f1"] - f1_score(y, p)) < 1e-15
# Not the mean of the two batches' scores: the small one is far off.
mean = (b[0]["metrics"]["f1"] + b[1]["metrics"]["f1"]) / 2
assert abs(m["f1"] - mean) > 0.01, (m["f1"], mean)
# proba is rounded to 6 decimals; avg_confidence is not.
assert abs(m["avg_confidence"] - sum(pr) / len(pr)) < 1e-6
print("ok")
PY
	assert_output ok
}

@test "a window is (now - length, now]: a batch at now is in, one at now - length is out" {
	make_db
	# 5m ending N + 180 is (N - 120, N + 180]: r2 at N - 120 is out;
	# r1 and r6 are in: [[4,4],[3,5]], accuracy 9/16 = .5625, F1 10/18,
	# 16 rows, confidence (7 + 1) / 16 = .5, latency 840 / 16 = 52.5
	run_split mm-aggregate --db m.db --now $((N + 180)) --window 5m
	assert_success
	assert_output '{"window":"5m","ts":1764140480,"n_batches":2,"metrics":{"n_samples":16,"accuracy":0.5625,"f1":0.5882352941176471,"confusion":[[4,4],[3,5]],"avg_confidence":0.5,"latency_ms":52.5}}'
	# One second earlier r2 is in: [[6,6],[5,7]], accuracy 13/24,
	# F1 14/25, 24 rows, confidence 13/24, latency 3240 / 24 = 135
	run_split mm-aggregate --db m.db --now $((N + 179)) --window 5m
	assert_success
	assert_output '{"window":"5m","ts":1764140479,"n_batches":3,"metrics":{"n_samples":24,"accuracy":0.5416666666666666,"f1":0.56,"confusion":[[6,6],[5,7]],"avg_confidence":0.5416666666666666,"latency_ms":135}}'
	# Ending N - 1, r1 at N is after now, r3 at N - 300 inside:
	# r2 r3: [[8,4],[6,6]], accuracy 14/24, F1 12/22, 24 rows,
	# confidence 13/24, latency 5600 / 24
	run_split mm-aggregate --db m.db --now $((N - 1)) --window 5m
	assert_success
	assert_output '{"window":"5m","ts":1764140299,"n_batches":2,"metrics":{"n_samples":24,"accuracy":0.5833333333333334,"f1":0.5454545454545454,"confusion":[[8,4],[6,6]],"avg_confidence":0.5416666666666666,"latency_ms":233.33333333333334}}'
	# --now may have a fraction: 2m ending N + .5 holds r1 alone:
	# accuracy 7/8, F1 8/9.
	run_split mm-aggregate --db m.db --now $N.5 --window 2m
	assert_success
	assert_output '{"window":"2m","ts":1764140300.5,"n_batches":1,"metrics":{"n_samples":8,"accuracy":0.875,"f1":0.8888888888888888,"confusion":[[3,1],[0,4]],"avg_confidence":0.875,"latency_ms":100}}'
	assert_equal "$stderr" ""
}

@test "empty windows are skipped; a fresh database gives no output" {
	run_split mm-aggregate --db new.db --now $N
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	run_merged q new.db 'SELECT count(*) FROM metrics_summary; SELECT count(*) FROM metrics_summary_history'
	assert_output '0
0'

	# Only r5-like data, 3600 s old: out of 5m and 1h.
	batch old $((N - 3600)) 4 '[[1,1],[1,1]]' 0.5 10 >old.ndjson
	mm-record --db m.db old.ndjson >/dev/null
	run_split mm-aggregate --db m.db --now $N
	assert_success
	assert_output '{"window":"24h","ts":1764140300,"n_batches":1,"metrics":{"n_samples":4,"accuracy":0.5,"f1":0.5,"confusion":[[1,1],[1,1]],"avg_confidence":0.5,"latency_ms":10}}'
	assert_equal "$stderr" ""
	run_merged q m.db "SELECT window FROM metrics_summary"
	assert_output 24h
}

@test "--window LEN gives that one window" {
	make_db
	# 2m = r1 only (r2 is exactly 120 s before now).
	run_split mm-aggregate --db m.db --now $N --window 2m
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"window":"2m","ts":1764140300,"n_batches":1,"metrics":{"n_samples":8,"accuracy":0.875,"f1":0.8888888888888888,"confusion":[[3,1],[0,4]],"avg_confidence":0.875,"latency_ms":100}}'
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
	run_merged q m.db "SELECT $SUMMARY_COLS FROM metrics_summary ORDER BY ts, n_batches"
	assert_output '5m|1764140300.0|2|0.6875|0.705882352941177|0.75|200.0|1|1|1|16|[[5,3],[2,6]]
1h|1764140300.0|4|0.604166666666667|0.595744680851064|0.583333333333333|333.333333333333|1|1|1|48|[[15,9],[10,14]]
24h|1764140300.0|6|0.5625|0.533333333333333|0.392857142857143|657.142857142857|1|1|1|112|[[25,15],[20,20]]'
	# 60 s later r1..r3 remain in 1h, r4 (N - 3599) leaves it; a new
	# batch arrives at N + 60.
	batch r9 $((N + 60)) 16 '[[0,8],[8,0]]' 0 1000 >r9.ndjson
	mm-record --db m.db r9.ndjson >/dev/null
	run_split mm-aggregate --db m.db --now $((N + 60))
	assert_success
	run_merged q m.db "SELECT $SUMMARY_COLS FROM metrics_summary ORDER BY window;
	    SELECT count(*) FROM metrics_summary"
	# 5m:  r1 r2 r9 (r6 at N + 1 too): 4 batches, 40 rows
	#      [[6,14],[13,7]]: accuracy 13/40 = .325, F1 14/41,
	#      confidence (7 + 5 + 0 + 1) / 40 = .325,
	#      latency (800 + 2400 + 16000 + 40) / 40 = 481
	# 1h:  r1 r2 r3 r6 r9: 5 batches, 56 rows
	#      [[12,16],[17,11]]: accuracy 23/56, F1 22/55 = .4,
	#      confidence 21/56 = .375, latency 22440 / 56
	# 24h: r1..r6 r8 r9: 8 batches, 136 rows; counts of all but r8:
	#      [[26,26],[31,21]]: accuracy 47/104, F1 42/99,
	#      confidence 45/136, latency 89640 / 136
	assert_output '1h|1764140360.0|5|0.410714285714286|0.4|0.375|400.714285714286|1|1|1|56|[[12,16],[17,11]]
24h|1764140360.0|8|0.451923076923077|0.424242424242424|0.330882352941176|659.117647058824|1|1|1|136|[[26,26],[31,21]]
5m|1764140360.0|4|0.325|0.341463414634146|0.325|481.0|1|1|1|40|[[6,14],[13,7]]
3'
}

@test "metrics_summary_history gets a row per window on every run" {
	make_db
	mm-aggregate --db m.db --now $N >/dev/null
	mm-aggregate --db m.db --now $((N + 300)) >/dev/null
	run_merged q m.db "SELECT $SUMMARY_COLS FROM metrics_summary_history ORDER BY id;
	    SELECT window, count(*) FROM metrics_summary_history GROUP BY window ORDER BY window"
	# 300 s on, 5m holds only r6 (N + 1): accuracy 2/8, F1 2/8.
	# 1h = r1 r2 r3 r6, 40 rows: [[12,8],[9,11]], accuracy 23/40,
	# F1 22/39, confidence 21/40, latency 6440 / 40 = 161.
	# 24h = r1..r6 r8, 120 rows: [[26,18],[23,21]] (r8 has none),
	# accuracy 47/88, F1 42/83, confidence 45/120, latency 73640 / 120.
	assert_output '5m|1764140300.0|2|0.6875|0.705882352941177|0.75|200.0|1|1|1|16|[[5,3],[2,6]]
1h|1764140300.0|4|0.604166666666667|0.595744680851064|0.583333333333333|333.333333333333|1|1|1|48|[[15,9],[10,14]]
24h|1764140300.0|6|0.5625|0.533333333333333|0.392857142857143|657.142857142857|1|1|1|112|[[25,15],[20,20]]
5m|1764140600.0|1|0.25|0.25|0.125|5.0|1|1|1|8|[[1,3],[3,1]]
1h|1764140600.0|4|0.575|0.564102564102564|0.525|161.0|1|1|1|40|[[12,8],[9,11]]
24h|1764140600.0|7|0.534090909090909|0.506024096385542|0.375|613.666666666667|1|1|1|120|[[26,18],[23,21]]
1h|2
24h|2
5m|2'
}

@test "a rerun at the same --now prints the same records" {
	make_db
	mm-aggregate --db m.db --now $N >first.ndjson
	run_split mm-aggregate --db m.db --now $N
	assert_success
	assert_output "$(<first.ndjson)"
}

@test "what no batch gives is null: no labels, no counts, no metrics" {
	# a: no labelled row, so counts of nothing; b: drift only; c: a row
	# stored before mm-predict counted, with n_samples but no counts.
	printf '%s\n' \
	    '{"batch_id":"a","ts":1764140290,"metrics":{"n_samples":4,"n_labelled":0,"accuracy":null,"f1":null,"confusion":[[0,0],[0,0]],"avg_confidence":0.5,"latency_ms":10}}' \
	    '{"batch_id":"b","ts":1764140295,"drift":{"drift_score":0.5}}' \
	    '{"batch_id":"c","ts":1764140296,"metrics":{"n_samples":4,"accuracy":0.5,"f1":0.5}}' \
	    >in.ndjson
	mm-record --db m.db in.ndjson >/dev/null
	run_split mm-aggregate --db m.db --now $N --window 5m
	assert_success
	assert_equal "$stderr" ""
	# c's accuracy and F1 are not counts: left out.
	assert_output '{"window":"5m","ts":1764140300,"n_batches":3,"metrics":{"n_samples":8,"accuracy":null,"f1":null,"confusion":[[0,0],[0,0]],"avg_confidence":0.5,"latency_ms":10}}'
	run_merged q m.db "SELECT window, n_batches, accuracy IS NULL, f1 IS NULL, avg_confidence, n_samples, confusion FROM metrics_summary"
	assert_output '5m|3|1|1|0.5|8|[[0,0],[0,0]]'
	# Without a count anywhere, confusion is null too; without
	# n_samples, so are the rows and the means they weigh.
	run_split mm-aggregate --db m.db --now 1764140296 --window 2s
	assert_success
	assert_output '{"window":"2s","ts":1764140296,"n_batches":2,"metrics":{"n_samples":4,"accuracy":null,"f1":null,"confusion":null,"avg_confidence":null,"latency_ms":null}}'
	run_split mm-aggregate --db m.db --now 1764140295 --window 1s
	assert_success
	assert_output '{"window":"1s","ts":1764140295,"n_batches":1,"metrics":{"n_samples":null,"accuracy":null,"f1":null,"confusion":null,"avg_confidence":null,"latency_ms":null}}'
	assert_equal "$stderr" ""
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
	assert_equal "$stderr" "mm-aggregate: --now: 'yesterday' is not a time: Unix seconds or an ISO 8601 time such as 2025-11-26T06:53:20Z"
}

@test "a bad --model-version is a usage error" {
	for v in '' ../x a/b .hidden; do
		run_split mm-aggregate --db m.db --now $N --model-version "$v"
		assert_failure 2
		assert_output ""
		assert_equal "$stderr" "mm-aggregate: --model-version: '$v' is not a version name"
	done
	[ ! -e m.db ]
}

@test "an unexpected argument is a usage error" {
	run_split mm-aggregate --db m.db --now $N extra
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-aggregate: unexpected argument 'extra'
usage: mm-aggregate [--db FILE] [--models DIR] [--model-version V] [--config DIR]
                    [--now TS] [--window LEN]
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
	assert_equal "$(<t.db)" "not a database"
}

@test "a database with a newer schema is refused and left byte for byte" {
	make_db
	q m.db 'INSERT INTO schema_version VALUES (5, 0)'
	sha256sum m.db >before.sha256
	run_split mm-aggregate --db m.db --now $N
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-aggregate: m.db: database schema 5 is newer than this mm knows (4); upgrade mm"
	sha256sum --quiet --check before.sha256
}

@test "MM_DB names the database" {
	make_db
	MM_DB=m.db run_split mm-aggregate --now $N --window 5m
	assert_success
	assert_output "$S5M"
	assert_equal "$stderr" ""
}

@test "stored confusion counts that mm-record could not have written are exit 3 naming the batch" {
	make_db
	mm-aggregate --db m.db --now $N >/dev/null
	run_merged q m.db 'SELECT count(*) FROM metrics_summary_history'
	before=$output
	while IFS='|' read -r cm msg; do
		q m.db "UPDATE metrics SET confusion = '$cm' WHERE batch_id = 'r2'"
		run_split mm-aggregate --db m.db --now $N
		assert_failure 3
		assert_output ""
		assert_equal "$stderr" "mm-aggregate: m.db: confusion counts of batch 'r2': $msg"
	done <<-'EOF'
	[[1,1],[1]]|not a square array of counts
	[[1,-1],[1,1]]|not a square array of counts
	[[1,1],[1,"1"]]|not a square array of counts
	[[1]]|not a square array of counts
	{}|not a square array of counts
	EOF
	# Two batches of a window with different classes cannot be summed.
	q m.db "UPDATE metrics SET confusion = '[[2,2],[2,2]]' WHERE batch_id = 'r2';
	    UPDATE metrics SET confusion = '[[1,1,1],[1,1,1],[1,1,1]]' WHERE batch_id = 'r1'"
	run_split mm-aggregate --db m.db --now $N
	assert_failure 3
	assert_equal "$stderr" "mm-aggregate: m.db: confusion counts of batch 'r1': 3 classes, the window's other batches 2"
	# Nothing was stored by the failed runs.
	run_merged q m.db 'SELECT count(*) FROM metrics_summary_history'
	assert_output "$before"
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

# drift_of VAR: VAR the drift object of the summary records or mm-psi
# --merge records on standard input, as written (each line's text after
# its last ,"drift": but the closing brace).
drift_of() {
	local mm_l mm_r=

	while IFS= read -r mm_l; do
		mm_l=${mm_l##*,\"drift\":}
		mm_r+=${mm_l%\}}$'\n'
	done
	printf -v "$1" '%s' "${mm_r%$'\n'}"
}

# ref_of VAR FILE: VAR the reference id the scored batches in FILE carry
# (the first line's).
ref_of() {
	local mm_l

	while IFS= read -r mm_l; do
		if [[ $mm_l =~ ^.*\"ref\":\"([0-9a-f]*)\" ]]; then
			printf -v "$1" '%s' "${BASH_REMATCH[1]}"
			return 0
		fi
	done <"$2"
	printf -v "$1" ''
}

# count_lines VAR FILE [TEXT]: VAR the number of lines of FILE that hold
# TEXT (that are not empty without it), as grep -c counts them.
count_lines() {
	local mm_l mm_n=0

	while IFS= read -r mm_l; do
		if [[ -n $mm_l && $mm_l == *"${3-}"* ]]; then
			mm_n=$((mm_n + 1))
		fi
	done <"$2"
	printf -v "$1" %d $mm_n
}

# lines_of FIRST LAST FILE: lines FIRST to LAST of FILE, as sed -n
# FIRST,LASTp prints them.
lines_of() {
	local -a mm_l

	mapfile -t -s $(($1 - 1)) -n $(($2 - $1 + 1)) mm_l <"$3"
	printf '%s\n' "${mm_l[@]}"
}

@test "a window's drift is mm-psi --merge of its batches, bit for bit" {
	local d=$BATS_FILE_TMPDIR
	mm-record --db m.db "$d/scored" >/dev/null
	# 1h ending N holds all twelve batches.
	run_split mm-aggregate --db m.db --models "$d/M" --now $N --window 1h
	assert_success
	assert_equal "$stderr" ""
	assert_output --regexp '^\{"window":"1h","ts":1764140300,"n_batches":12,"model_version":"20251125T194640Z","metrics":\{[^}]*\},"drift":\{"psi":'
	drift_of agg <<<"$output"
	run_split mm-psi --merge --models "$d/M" "$d/scored"
	assert_success
	assert_output --regexp '^\{"n_records":12,"drift":'
	drift_of merged <<<"$output"
	assert_equal "$agg" "$merged"
	# The window saw the shift: 768 rows, f0 f1 f2 drifted.
	[[ $agg == *'"drifted":["f1","f0","f2"]'*'"status":"severe","n":768,'* ]]

	# 5m ending S + 420 is (S + 120, S + 420]: batches 3 to 7, stable
	# and moved ones together.
	run_split mm-aggregate --db m.db --models "$d/M" --now $((S + 420)) -w 5m
	assert_success
	assert_equal "$stderr" ""
	assert_output --partial '"n_batches":5,'
	drift_of agg <<<"$output"
	lines_of 4 8 "$d/scored" >b3-7.ndjson
	mm-psi --merge --models "$d/M" b3-7.ndjson >merged.ndjson
	drift_of merged <merged.ndjson
	assert_equal "$agg" "$merged"
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
	drift_of merged <<<"$output"
	mm-aggregate --db m.db --models "$d/M" --now $N -w 1h >hour.ndjson
	drift_of hour <hour.ndjson
	assert_equal "$merged" "$hour"
}

@test "the stored drift is the printed one without ref and counts, as in metrics" {
	local d=$BATS_FILE_TMPDIR
	mm-record --db m.db "$d/scored" >/dev/null
	mm-aggregate --db m.db --models "$d/M" --now $N >out.ndjson
	# 5m ending N holds no batch: two windows.
	count_lines n out.ndjson
	assert_equal "$n" 2
	mapfile -t out <out.ndjson
	for w in 1h 24h; do
		# The drift of the window's lines (grep "\"window\":\"$w\"").
		m=
		for l in "${out[@]}"; do
			if [[ $l == *"\"window\":\"$w\""* ]]; then
				m+=$l$'\n'
			fi
		done
		drift_of printed <<<"${m%$'\n'}"
		# What sed 's/,"ref":"[0-9a-f]*","counts":{.*}$/}/' leaves.
		want=$printed
		if [[ $printed =~ ^(.*),\"ref\":\"[0-9a-f]*\",\"counts\":\{.*\}$ ]]; then
			want=${BASH_REMATCH[1]}\}
		fi
		[[ $want != *counts* ]]
		# drift_score is the printed one, as SQLite prints a double.
		[[ $printed =~ ^.*\"drift_score\":([^,]*), ]]
		score=${BASH_REMATCH[1]}
		run_merged q m.db "SELECT 'summary', drift FROM metrics_summary WHERE window = '$w';
		    SELECT 'history', drift FROM metrics_summary_history WHERE window = '$w';
		    SELECT drift_score = $score FROM metrics_summary WHERE window = '$w'"
		assert_output "summary|$want
history|$want
1"
	done
	# Each batch's drift is stored as mm-psi wrote it, but ref and counts;
	# the counts go to drift_counts as they came.
	run_merged python3 - "$d/scored" m.db <<'PY'
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

@test "a window holds the live version's batches: metrics, counts and drift of those alone" {
	local d=$BATS_FILE_TMPDIR v2
	cp -R "$d/M" M
	# A second version on another sample has another reference; it goes
	# live and scores twelve more batches, interleaved in time.
	mm-train --synthetic --seed 7 --models M --activate --now $((T0 + 100)) >/dev/null
	v2=20251125T194820Z
	mm-gen --batches 12 --batch-size 64 --seed 9 --start $((S + 30)) >gen.ndjson
	mapfile -t gen <gen.ndjson
	printf '%s\n' "${gen[@]/\"batch_id\":\"b/\"batch_id\":\"v2-}" >gen.ndjson
	mm-predict --models M gen.ndjson | mm-psi --models M >v2.ndjson
	count_lines n v2.ndjson "\"model_version\":\"$v2\""
	[ "$n" = 12 ]
	mm-record --db m.db "$d/scored" v2.ndjson >/dev/null
	run_merged q m.db 'SELECT count(DISTINCT ref), count(*) FROM drift_counts'
	assert_output '2|24'
	# The live version's twelve batches: their metrics, and the drift
	# of their counts against its reference.
	run_split mm-aggregate --db m.db --models M --now $N -w 1h
	assert_success
	assert_equal "$stderr" ""
	assert_output --partial "\"n_batches\":12,\"model_version\":\"$v2\",\"metrics\":"
	drift_of agg <<<"$output"
	mm-psi --merge --models M v2.ndjson >merged.ndjson
	drift_of merged <merged.ndjson
	assert_equal "$agg" "$merged"
	ref_of ref v2.ndjson
	[[ $output == *"\"ref\":\"$ref\""* ]]
	printf '%s\n' "$output" >live.ndjson
	run_merged $PY - v2.ndjson live.ndjson <<'PY'
import json, sys
b = [json.loads(l) for l in open(sys.argv[1])]
(w,) = [json.loads(l) for l in open(sys.argv[2])]
cm = [[sum(r["metrics"]["confusion"][t][p] for r in b) for p in range(2)]
      for t in range(2)]
assert w["metrics"]["confusion"] == cm, (w["metrics"]["confusion"], cm)
assert w["metrics"]["n_samples"] == 768
print("ok")
PY
	assert_output ok
	# --model-version asks for the first version's windows, drift against
	# its own reference.
	run_split mm-aggregate --db m.db --models M --model-version $VM --now $N -w 1h
	assert_success
	assert_equal "$stderr" ""
	assert_output --partial "\"n_batches\":12,\"model_version\":\"$VM\",\"metrics\":"
	drift_of agg <<<"$output"
	mm-psi --merge --ref M/versions/$VM/reference.json "$d/scored" >merged.ndjson
	drift_of merged <merged.ndjson
	assert_equal "$agg" "$merged"
	pinned=$output
	# Rolled back, the first version is live again: the same windows.
	mm-models --models M --now $((T0 + 200)) rollback >/dev/null
	run_split mm-aggregate --db m.db --models M --now $N -w 1h
	assert_success
	assert_output "$pinned"
	ref_of ref "$d/scored"
	[[ $output == *"\"ref\":\"$ref\""* ]]
	run_merged q m.db "SELECT model_version, n_batches FROM metrics_summary_history ORDER BY id"
	assert_output "$v2|12
$VM|12
$VM|12"
}

@test "each window covers one version's batches: the live one, --model-version, or every batch" {
	local d=$BATS_FILE_TMPDIR
	# The store's live version VM served a1 and a2; "other" b1 and b2;
	# x was stored without a version.  Interleaved in one minute.
	{ batch a1 $((N - 100)) 10 '[[4,1],[0,5]]' 0.9 2
	  batch b1 $((N - 90)) 10 '[[0,5],[5,0]]' 0.5 8 other
	  batch a2 $((N - 80)) 30 '[[10,5],[5,10]]' 0.7 4
	  batch b2 $((N - 70)) 10 '[[3,2],[2,3]]' 0.6 6 other
	  batch x $((N - 60)) 10 '[[5,0],[0,5]]' 1 1 -; } >in.ndjson
	mm-record --db m.db in.ndjson >/dev/null
	# VM: a1 a2, [[14,6],[5,15]]: accuracy 29/40 = .725, F1 30/41
	# (scikit-learn: .725, .7317073170731706); 40 rows, confidence
	# (9 + 21) / 40 = .75, latency (20 + 120) / 40 = 3.5.
	run_split mm-aggregate --db m.db --models "$d/M" --now $N -w 5m
	assert_success
	assert_equal "$stderr" ""
	assert_output "{\"window\":\"5m\",\"ts\":1764140300,\"n_batches\":2,\"model_version\":\"$VM\",\"metrics\":{\"n_samples\":40,\"accuracy\":0.725,\"f1\":0.7317073170731707,\"confusion\":[[14,6],[5,15]],\"avg_confidence\":0.75,\"latency_ms\":3.5}}"
	# other: b1 b2, [[3,7],[7,3]]: accuracy 6/20, F1 6/20 (scikit-learn:
	# .3 both); 20 rows, confidence 11/20, latency 140/20.  It is not in
	# the store, so it has no reference: no drift, and none was measured.
	run_split mm-aggregate --db m.db --models "$d/M" --model-version other --now $N -w 5m
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"window":"5m","ts":1764140300,"n_batches":2,"model_version":"other","metrics":{"n_samples":20,"accuracy":0.3,"f1":0.3,"confusion":[[3,7],[7,3]],"avg_confidence":0.55,"latency_ms":7}}'
	# No live version (no store): every batch, and no model_version.
	# [[22,13],[12,23]]: accuracy 45/70, F1 46/71 (scikit-learn:
	# .6428571428571429, .647887323943662); 70 rows, confidence 51/70,
	# latency 290/70.
	run_split mm-aggregate --db m.db --models nowhere --now $N -w 5m
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"window":"5m","ts":1764140300,"n_batches":5,"metrics":{"n_samples":70,"accuracy":0.6428571428571429,"f1":0.647887323943662,"confusion":[[22,13],[12,23]],"avg_confidence":0.7285714285714285,"latency_ms":4.142857142857143}}'
	run_merged q m.db "SELECT coalesce(model_version, 'NULL'), n_batches, n_samples, confusion FROM metrics_summary_history ORDER BY id"
	assert_output "$VM|2|40|[[14,6],[5,15]]
other|2|20|[[3,7],[7,3]]
NULL|5|70|[[22,13],[12,23]]"
	# A version that served no batch has empty windows: nothing printed,
	# nothing stored.
	run_split mm-aggregate --db m.db --models "$d/M" --model-version 20251126T000000Z --now $N
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	run_merged q m.db 'SELECT count(*) FROM metrics_summary_history'
	assert_output 3
}

@test "cron: a version promoted after the last batch is not rolled back on its predecessor's F1" {
	# The issue's reproduction: V1 live, V2 staged; ten batches under a
	# concept change, scored by V1, whose F1 collapses; V2 is promoted
	# at 1764143700; the cron run twenty seconds later.  V2 has served
	# no batch, so its windows are empty and nothing is judged: V2 stays
	# live.  (Windows over every batch judged V2 on V1's rows and rolled
	# it back.)
	mm-train --synthetic --rows 1000 --models m --now 1764140000 >/dev/null
	mm-train --synthetic --rows 1000 --seed 2 --models m --now 1764140060 --stage >/dev/null
	mm-gen --batches 10 --batch-size 200 --start 1764143000 --concept-at 0 \
	    --concept-strength 0.4 | mm-predict --models m |
	    mm-record --db d.db >/dev/null
	run_merged q d.db 'SELECT DISTINCT model_version FROM metrics'
	assert_output 20251126T065320Z
	mm-models --models m --now 1764143700 promote >/dev/null
	# The cron job's pipeline, run by this shell rather than by sh -c.
	cron() {
		mm-aggregate --db d.db --models m --now 1764143720 |
		    mm-trust | mm-decide --db d.db --models m |
		    mm-exec --db d.db --models m --now 1764143720
	}
	run_split cron
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	run_merged sed 's/"promoted_at".*//' m/active.json
	assert_output '{"version":"20251126T065420Z","previous_version":"20251126T065320Z","metrics":{"baseline_f1":0.9543568464730291},'
	run_merged q d.db 'SELECT count(*) FROM decision_history'
	assert_output 0
	# V1's windows still say what V1 did, for whoever asks.
	run_split mm-aggregate --db d.db --models m --model-version 20251126T065320Z --now 1764143720 -w 1h
	assert_success
	assert_output --regexp '^\{"window":"1h","ts":1764143720,"n_batches":10,"model_version":"20251126T065320Z","metrics":\{"n_samples":2000,"accuracy":0\.[0-9]+,"f1":0\.3[0-9]+,'
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
	drift_of agg <<<"$output"
	lines_of 4 8 "$d/scored" >b3-7.ndjson
	mm-psi --merge --models "$d/M" --config conf b3-7.ndjson >merged.ndjson
	drift_of merged <merged.ndjson
	assert_equal "$agg" "$merged"
	[[ $agg == *'"status":"moderate"'* ]]
	mm-aggregate --db m.db --models "$d/M" --now $((S + 420)) -w 5m >default.ndjson
	drift_of default <default.ndjson
	[[ $agg != "$default" ]]
}

@test "a window without counts has no drift, and nothing to say about it" {
	local d=$BATS_FILE_TMPDIR ref want
	ref_of ref "$d/scored"
	# Batches of the live version with metrics and an old drift object,
	# no counts.
	make_db
	run_split mm-aggregate --db m.db --models "$d/M" --now $N
	assert_success
	of_version want $VM "$S5M
$S1H
$S24H"
	assert_output "$want"
	# No batch of these windows was scored by mm-psi: nothing was missed.
	assert_equal "$stderr" ""
	run_merged q m.db 'SELECT window, drift_score IS NULL, drift IS NULL FROM metrics_summary ORDER BY ts, n_batches'
	assert_output '5m|1|1
1h|1|1
24h|1|1'
	# The scored batches reach into 1h and 24h, not 5m ending N.
	mm-record --db m.db "$d/scored" >/dev/null
	run_split mm-aggregate --db m.db --models "$d/M" --now $N
	assert_success
	assert_equal "$stderr" ""
	of_version want $VM "$S5M"
	assert_line --index 0 "$want"
	assert_line --index 1 --partial '"n_batches":16,'
	assert_line --index 1 --partial '"drift":{"psi":'
	run_merged q m.db 'SELECT window, drift_score IS NULL, drift IS NULL FROM metrics_summary ORDER BY ts, n_batches'
	assert_output '5m|1|1
1h|0|0
24h|0|0'
}

@test "no model store, or no live version: every batch, no drift, said once" {
	local d=$BATS_FILE_TMPDIR
	mm-record --db m.db "$d/scored" >/dev/null
	run_split mm-aggregate --db m.db --models nowhere --now $N -w 1h
	assert_success
	assert_equal "$stderr" "mm-aggregate: no model store 'nowhere': window drift left out"
	# No version to ask for: the window is of every batch and says of
	# no version.
	assert_output --regexp '^\{"window":"1h","ts":1764140300,"n_batches":12,"metrics":\{[^}]*\}\}$'
	run_merged q m.db "SELECT drift_score IS NULL, drift IS NULL FROM metrics_summary"
	assert_output '1|1'
	# A store with no live version (nothing trained yet).
	mkdir E
	run_split mm-aggregate --db m.db --models E --now $N
	assert_success
	assert_equal "$stderr" "mm-aggregate: no live model version in 'E': window drift left out"
	assert_equal "${#lines[@]}" 2
	[[ $output != *'"drift"'* ]]
	[[ $output != *'"model_version"'* ]]
	# A version asked for that the store does not hold: its windows,
	# without drift, said once.
	run_split mm-aggregate --db m.db --models E --model-version $VM --now $N
	assert_success
	assert_equal "$stderr" "mm-aggregate: no version '$VM' in 'E': window drift left out"
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 --regexp "^\{\"window\":\"1h\",\"ts\":1764140300,\"n_batches\":12,\"model_version\":\"$VM\",\"metrics\":\{[^}]*\}\}\$"
	# Nothing printed, nothing said.
	run_split mm-aggregate --db m.db --models E --now $((N + 86400))
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
}

@test "MM_MODELS names the model store; --models wins" {
	local d=$BATS_FILE_TMPDIR want
	mm-record --db m.db "$d/scored" >/dev/null
	mm-aggregate --db m.db --models "$d/M" --now $N -w 1h >want.ndjson
	want=$(<want.ndjson)
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
	run_merged q m.db 'SELECT count(*) FROM metrics_summary_history'
	before=$output
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
	run_merged q m.db 'SELECT count(*) FROM metrics_summary_history'
	assert_output "$before"
}

@test "a live version whose reference cannot be read is exit 3" {
	local d=$BATS_FILE_TMPDIR
	cp -R "$d/M" M
	# The version the store holds, as ls M/versions names it.
	v=(M/versions/*)
	v=${v[*]#M/versions/}
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
