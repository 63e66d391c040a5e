#!/usr/bin/env bats
# mm-record: records pass through byte for byte; batch metrics go to the
# metrics table and labelled rows to evidence; the database and its
# schema; bad input.  On SQLite, or on PostgreSQL with MM_TEST_STORE=pg
# (make check-pg; helper.bash), where the tests of the SQLite file
# itself are skipped.

bats_require_minimum_version 1.5.0
load helper

NOW=1764150000

# A batch from mm-predict | mm-psi | mm-trust, with one null label, a
# null feature value and numbers written as 1.0, 1.50 and 1e-3.
B1='{"batch_id":"b1","ts":1764140000.0,"features":{"f0":[0.5,-1.25,2],"f1":[1.50,3,null]},"labels":[1,null,0],"pred":[1,0,0],"proba":[0.9,0.6,0.75],"metrics":{"n_samples":3,"accuracy":1.0,"f1":1.0,"avg_confidence":0.75,"latency_ms":0.42,"model_version":"20261126T063000Z"},"drift":{"psi":{"f0":0.012,"f1":1.50},"p_value":{"f0":0.93,"f1":1e-3},"psi_crit":{"f0":0.17,"f1":0.17},"drift_score":0.034,"status":"stable","n":3,"missing":{"f0":0,"f1":1}},"trust":{"score":0.91,"components":{}}}'
# The same kind of batch with odd spacing and no trust.
B2='{ "batch_id" : "b2" , "ts":1764140060 ,"features":{"f0":[1e0, 2.50]},"labels":[ 0 , 1 ],"metrics":{ "n_samples":2, "accuracy":0.5,"f1":0.50,"avg_confidence":0.8,"latency_ms":12,"model_version":"v2"} ,"drift": { "psi" : { "f0" : 0.10 } , "p_value":{"f0":0.5},"drift_score":0.10,"status":"moderate"}}'
# Records mm-record passes on without storing: a summary record from
# mm-aggregate, metrics without a batch_id, a batch with neither metrics
# nor drift, and metrics that are not an object.
SUMMARY='{"window":"5m","ts":1764140300,"n_batches":2,"metrics":{"accuracy":0.75,"f1":null},"drift":{"drift_score":0.067}}'
NOID='{"ts":1764140100,"metrics":{"accuracy":0.5}}'
RAW='{"batch_id":"raw","ts":1764140120,"features":{"f0":[1]},"labels":[1]}'
ODD='{"batch_id":"odd","metrics":"none","drift":[1,2]}'
# A batch whose drift carries its reference id and bin counts, as mm-psi
# writes them: two features of three and two bins (the last one is
# "missing"), four rows; odd spacing around ref and counts.
C1='{"batch_id":"c1","ts":1764140000,"metrics":{"n_samples":4,"model_version":"v1"},"drift":{"psi":{"a":0.5,"b":0.25},"p_value":{"a":0.01,"b":1},"drift_score":0.125,"status":"stable","n":4, "ref" : "0123456789abcdef","counts":{ "a":[1, 3,0] ,"b":[4,0]} ,"missing":{"a":0,"b":1e0}}}'
# What metrics.drift keeps of it: everything but ref and counts, as it came.
C1_DRIFT='{"psi":{"a":0.5,"b":0.25},"p_value":{"a":0.01,"b":1},"drift_score":0.125,"status":"stable","n":4 ,"missing":{"a":0,"b":1e0}}'

# Metrics as mm-predict writes them, with confusion counts (row = true
# class, column = predicted) spaced oddly: five of six rows labelled,
# true 0 -> 2 right, 1 predicted 1; true 1 -> 2 right.  Accuracy 4/5,
# F1 of class 1 = 2 TP / (2 TP + FP + FN) = 4/5.
CM1='{"batch_id":"cm1","ts":1764140000,"metrics":{"n_samples":6,"n_labelled":5,"accuracy":0.8,"f1":0.8,"confusion":[[2, 1],[0,2]],"avg_confidence":0.75,"latency_ms":0.5,"model_version":"v1"}}'

# A batch m<id> with three rows, two of them labelled, and the metrics
# $2 (JSON text inside the braces).
mbatch() {
	printf '{"batch_id":"m%s","ts":1764140000,"labels":[1,0,null],"metrics":{%s}}\n' "$1" "$2"
}
# Metrics that are all right: 1 of 2 labelled rows right.
MGOOD='"n_samples":3,"n_labelled":2,"accuracy":0.5,"f1":0.6666666666666666,"confusion":[[0,1],[0,1]],"avg_confidence":0.75,"latency_ms":1.5,"model_version":"v1"'

# A batch c<id> with a drift object of n rows and the JSON text $3 after
# "n":N, e.g. ',"ref":"r","counts":{...}'.
cbatch() {
	printf '{"batch_id":"%s","ts":1764140000,"metrics":{"n_samples":%s},"drift":{"drift_score":0,"status":"stable","n":%s%s}}\n' "$1" "$2" "$2" "$3"
}

setup_file() {
	store_start
}

teardown_file() {
	store_stop
}

# N$DOT0: the whole double N as the store prints it: SQLite keeps the
# ".0" (1764140000.0), PostgreSQL does not (1764140000).
# HEX: SQL for the features blob of evidence in upper-case hex.
if on_pg; then
	DOT0=
	HEX="upper(encode(features, 'hex'))"
else
	DOT0=.0
	HEX='hex(features)'
fi

# db_arg VAR NAME: VAR the --db argument for NAME, as "$(db NAME)" gives
# it, without that fork on SQLite, where it is NAME itself.  Again after
# dbdrop NAME, which on PostgreSQL drops the database db makes.
db_arg() {
	if on_pg; then
		printf -v "$1" '%s' "$(db "$2")"
	else
		printf -v "$1" '%s' "$2"
	fi
}

# rows SEP DB SQL: the rows of SQL on one line, SEP between them (what
# SQLite's group_concat gives, on either store; paste -sd SEP joined
# them).
rows() {
	local -a mm_rows

	sq "$2" "$3" >"$BATS_TEST_TMPDIR/.rows"
	mapfile -t mm_rows <"$BATS_TEST_TMPDIR/.rows"
	local IFS=$1
	printf '%s\n' "${mm_rows[*]}"
}

COLS='batch_id, ts, model_version, n_samples, n_labelled, accuracy, f1, avg_confidence, latency_ms, drift_score, drift_status, psi, p_value, trust_score, recorded_at'

# A batch of four labelled rows: x = 10i+1 .. 10i+4, labels 1,0,1,0.
ev_batch() {
	printf '{"batch_id":"e%d","ts":%d,"features":{"x":[%d1,%d2,%d3,%d4]},"labels":[1,0,1,0],"metrics":{"n_samples":4}}\n' \
	    "$1" "$((NOW + $1))" "$1" "$1" "$1" "$1"
}

# Records with only a batch_id, a ts and an accuracy.
acc() {
	printf '{"batch_id":"%s","ts":%s,"metrics":{"accuracy":0.5}}\n' "$1" "$2"
}

@test "every record passes through byte for byte, stored or not" {
	db_arg mdb m.db
	db_arg m2db m2.db
	db_arg m3db m3.db
	printf '%s\n' "$B1" "$SUMMARY" "$NOID" "$B2" "$RAW" "$ODD" >in.ndjson
	run_split mm-record --db "$mdb" --now $NOW in.ndjson
	assert_success
	assert_equal "$stderr" ""
	mm-record --db "$m2db" --now $NOW <in.ndjson >out.ndjson
	cmp in.ndjson out.ndjson
	mm-record --db "$m3db" --now $NOW --group 1 in.ndjson | cmp - in.ndjson
	run_merged sq m.db 'SELECT batch_id FROM metrics ORDER BY id'
	assert_output 'b1
b2'
}

@test "a metrics row per batch: columns from metrics, drift and trust" {
	db_arg mdb m.db
	printf '%s\n' "$B1" "$B2" >in.ndjson
	run_split mm-record --db "$mdb" --now $NOW in.ndjson
	assert_success
	assert_equal "$stderr" ""
	# psi and p_value are kept as the JSON text they came as; ts is the
	# record's, recorded_at is --now.
	run_merged sq m.db "SELECT $COLS FROM metrics ORDER BY id"
	assert_output "b1|1764140000$DOT0|20261126T063000Z|3||1$DOT0|1$DOT0|0.75|0.42|0.034|stable|{\"f0\":0.012,\"f1\":1.50}|{\"f0\":0.93,\"f1\":1e-3}|0.91|1764150000$DOT0
b2|1764140060$DOT0|v2|2||0.5|0.5|0.8|12$DOT0|0.1|moderate|{ \"f0\" : 0.10 }|{\"f0\":0.5}||1764150000$DOT0"
	if on_pg; then
		run_merged sq m.db "SELECT pg_typeof(n_samples), pg_typeof(accuracy), pg_typeof(psi) FROM metrics WHERE batch_id = 'b1'"
		assert_output 'bigint|double precision|text'
	else
		run_merged sq m.db "SELECT typeof(n_samples), typeof(accuracy), typeof(psi) FROM metrics WHERE batch_id = 'b1'"
		assert_output 'integer|real|text'
	fi
}

@test "trust: a score that is not a number is stored as NULL; one past the double range, or a key twice, is bad input" {
	db_arg mdb m.db
	printf '%s\n' '{"batch_id":"a","metrics":{"f1":0.5},"trust":{"score":"0.9"}}' \
	    '{"batch_id":"b","metrics":{"f1":0.5},"trust":[0.9]}' \
	    '{"batch_id":"c","metrics":{"f1":0.5},"trust":{"components":{}}}' \
	    '{"batch_id":"d","metrics":{"f1":0.5},"trust":{"score":0.25}}' \
	    >in.ndjson
	run_split mm-record --db "$mdb" --now $NOW in.ndjson
	assert_success
	run_merged sq m.db "SELECT batch_id, trust_score FROM metrics ORDER BY id"
	assert_output 'a|
b|
c|
d|0.25'
	for t in '{"score":1e400}|line 1: '"'"'trust.score'"'"' is out of range' \
	    '{"score":0.5,"score":0.6}|line 1: '"'"'trust'"'"': field '"'"'score'"'"' appears twice'; do
		printf '{"batch_id":"e","metrics":{"f1":0.5},"trust":%s}\n' "${t%%|*}" >bad.ndjson
		run_split mm-record --db "$mdb" --now $NOW bad.ndjson
		assert_failure 2
		assert_output ""
		assert_equal "$stderr" "mm-record: bad.ndjson:${t#*|line }"
	done
	run_merged sq m.db "SELECT count(*) FROM metrics WHERE batch_id = 'e'"
	assert_output 0
}

@test "ts comes from the record, or from --now when it has none" {
	db_arg mdb m.db
	printf '%s\n' '{"batch_id":"a","ts":1764140000.5,"metrics":{"f1":0.25}}' \
	    '{"batch_id":"b","drift":{"drift_score":0.5,"status":"severe"}}' \
	    >in.ndjson
	mm-record --db "$mdb" --now 1764140123.25 <in.ndjson >/dev/null
	run_merged sq m.db "SELECT $COLS FROM metrics ORDER BY id"
	assert_output 'a|1764140000.5|||||0.25||||||||1764140123.25
b|1764140123.25||||||||0.5|severe||||1764140123.25'
}

@test "a batch with drift only, or metrics only, is stored; missing and null keys are NULL" {
	db_arg mdb m.db
	printf '%s\n' '{"batch_id":"d","ts":1,"drift":{"drift_score":0.25}}' \
	    '{"batch_id":"m","ts":2,"metrics":{}}' \
	    '{"batch_id":"n","ts":3,"metrics":{"accuracy":null,"model_version":null},"drift":{"psi":null,"p_value":{"f0":null},"drift_score":null,"status":null}}' \
	    >in.ndjson
	mm-record --db "$mdb" <in.ndjson >/dev/null
	run_merged sq m.db "SELECT batch_id, CAST(accuracy IS NULL AS INTEGER), CAST(model_version IS NULL AS INTEGER), drift_score, CAST(psi IS NULL AS INTEGER), p_value, CAST(drift_status IS NULL AS INTEGER) FROM metrics ORDER BY id"
	assert_output 'd|1|1|0.25|1||1
m|1|1||1||1
n|1|1||1|{"f0":null}|1'
}

@test "labelled rows go to evidence: null labels skipped, features as little-endian doubles" {
	db_arg mdb m.db
	printf '%s\n' "$B1" "$B2" >in.ndjson
	mm-record --db "$mdb" --now $NOW <in.ndjson >/dev/null
	# b1's row 1 has a null label.  Each blob is one double per feature:
	# 0.5 = 3FE0000000000000, 1.5 = 3FF8..., 2 = 4000..., 1 = 3FF0...,
	# 2.5 = 4004..., and a null feature value is NaN (7FF8...); bytes in
	# little-endian order.
	run_merged sq m.db "SELECT batch_id, row_index, ts, names, length(features), $HEX, label FROM evidence ORDER BY id;
	    SELECT count(*) FROM evidence"
	assert_output "b1|0|1764140000$DOT0|f0,f1|16|000000000000E03F000000000000F83F|1
b1|2|1764140000$DOT0|f0,f1|16|0000000000000040000000000000F87F|0
b2|0|1764140060$DOT0|f0|8|000000000000F03F|0
b2|1|1764140060$DOT0|f0|8|0000000000000440|1
4"
}

@test "a batch without labels, or with all labels null, adds no evidence" {
	db_arg mdb m.db
	printf '%s\n' \
	    '{"batch_id":"n","ts":1,"features":{"f0":[1,2]},"metrics":{"accuracy":null}}' \
	    '{"batch_id":"u","ts":2,"features":{"f0":[1,2]},"labels":[null,null],"metrics":{"accuracy":null}}' \
	    '{"batch_id":"z","ts":3,"features":{"f0":[1,2]},"labels":null,"metrics":{"accuracy":null}}' \
	    >in.ndjson
	mm-record --db "$mdb" <in.ndjson >/dev/null
	run_merged sq m.db 'SELECT count(*) FROM metrics; SELECT count(*) FROM evidence'
	assert_output '3
0'
}

@test "evidence keeps the newest buffer_rows rows of retrain.yaml, and whole batches" {
	db_arg mdb m.db
	db_arg gdb g.db
	mkdir conf
	printf 'buffer_rows: 10\n' >conf/retrain.yaml
	for i in 1 2 3; do ev_batch $i; done >ev.ndjson
	# Twelve rows, numbered 1..12 (e1 ends at 4, e2 at 8, e3 at 12):
	# e1 holds two of the newest ten, so it is kept whole.
	run_split mm-record --db "$mdb" --config conf ev.ndjson
	assert_success
	assert_equal "$stderr" ""
	run_merged rows ' ' m.db "SELECT batch_id || ':' || row_index FROM evidence ORDER BY id"
	assert_output 'e1:0 e1:1 e1:2 e1:3 e2:0 e2:1 e2:2 e2:3 e3:0 e3:1 e3:2 e3:3'
	run_merged rows , m.db 'SELECT id FROM evidence_batch ORDER BY id'
	assert_output '4,8,12'

	# The same with a commit per record, and from MM_CONFIG.
	MM_CONFIG=conf mm-record --db "$gdb" --group 1 ev.ndjson >/dev/null
	run_merged sq g.db 'SELECT min(id), max(id), count(*) FROM evidence'
	assert_output '1|12|12'

	# A later run trims again: e4 pushes e1 out, all of whose rows are
	# now older than the newest ten.
	ev_batch 4 >ev4.ndjson
	mm-record --db "$mdb" --config conf <ev4.ndjson >/dev/null
	run_merged rows ' ' m.db "SELECT batch_id || ':' || row_index FROM evidence ORDER BY id"
	assert_output 'e2:0 e2:1 e2:2 e2:3 e3:0 e3:1 e3:2 e3:3 e4:0 e4:1 e4:2 e4:3'
	run_merged sq m.db 'SELECT min(id), max(id) FROM evidence'
	assert_output '5|16'
}

@test "the same batch_id twice is stored once, its evidence once" {
	db_arg mdb m.db
	printf '%s\n' "$B1" "$B1" "$B2" >in.ndjson
	run_split mm-record --db "$mdb" --now $NOW in.ndjson
	assert_success
	assert_equal "$stderr" ""
	printf '%s\n' "$output" >out.ndjson
	cmp in.ndjson out.ndjson
	# Again in a second run, with other values: the first row stays.
	# Metrics are not the batch's content (a model measures them), so
	# this is a duplicate, not a conflict: nothing is said.
	run_split mm-record --db "$mdb" --now $NOW --strict \
	    <<<"${B2/\"accuracy\":0.5/\"accuracy\":0.25}"
	assert_success
	assert_equal "$stderr" ""
	run_merged sq m.db 'SELECT batch_id, accuracy FROM metrics ORDER BY id'
	assert_output "b1|1$DOT0
b2|0.5"
	run_merged sq m.db 'SELECT batch_id, count(*) FROM evidence GROUP BY batch_id ORDER BY batch_id'
	assert_output 'b1|2
b2|2'
}

# Batch x, two of its three rows labelled.
X='{"batch_id":"x","ts":1764140001,"features":{"f0":[1,2,3]},"labels":[0,1,null],"metrics":{"n_samples":3,"latency_ms":1}}'

# conflicting FILE: the lines that say what differs from X in FILE's
# records 2 to 6 (see the test below) and the count.
conflicts() {
	local w="batch 'x' is stored already with other content"
	printf '%s\n' "mm-record: $1:2: $w (ts 1764226401.5, not 1764140001): not stored again" \
	    "mm-record: $1:3: $w (n_samples 4, not 3): not stored again" \
	    "mm-record: $1:4: $w (row 1 differs from the evidence kept): not stored again" \
	    "mm-record: $1:5: $w (row 1 differs from the evidence kept): not stored again" \
	    "mm-record: $1:6: $w (row 2 differs from the evidence kept): not stored again" \
	    "mm-record: 6 duplicate batches not stored again, 5 of them conflicting"
}

# x as stored in one run, then in another: the same batch again (a
# replay: latency_ms measured anew), and five other batches under its
# id: another ts, n_samples, feature value, label, one more labelled row.
x_again() {
	local mdb

	db_arg mdb m.db
	mm-record --db "$mdb" --now $NOW <<<"$X" >/dev/null
	printf '%s\n' "${X/\"latency_ms\":1/\"latency_ms\":7}" \
	    "${X/1764140001/1764226401.5}" \
	    "${X/\"n_samples\":3/\"n_samples\":4}" \
	    "${X/\[1,2,3\]/[1,2.5,3]}" \
	    "${X/\[0,1,null\]/[0,0,null]}" \
	    "${X/\[0,1,null\]/[0,1,1]}" >again.ndjson
}

@test "a batch_id again with other content is said and counted, and not stored; the same content again is silent" {
	db_arg mdb m.db
	x_again
	run_split mm-record --db "$mdb" --now $NOW again.ndjson
	assert_success
	assert_output "$(<again.ndjson)"
	conflicts again.ndjson >want.txt
	assert_equal "$stderr" "$(<want.txt)"
	# The first x is all that is stored.
	run_merged sq m.db "SELECT batch_id, ts, n_samples, latency_ms FROM metrics; SELECT batch_id, row_index, $HEX, label FROM evidence ORDER BY id"
	assert_output "x|1764140001$DOT0|3|1$DOT0
x|0|000000000000F03F|0
x|1|0000000000000040|1"
	# The same content again, alone: silent.
	IFS= read -r first <again.ndjson
	run_split mm-record --db "$mdb" --now $NOW <<<"$first"
	assert_success
	assert_equal "$stderr" ""
	# In one run, from standard input: the second of two x's, in a new
	# database.
	db_arg m2db m2.db
	run_split mm-record --db "$m2db" <<<"$X
${X/\[0,1,null\]/[1,1,null]}"
	assert_success
	assert_equal "$stderr" "mm-record: line 2: batch 'x' is stored already with other content (row 0 differs from the evidence kept): not stored again
mm-record: 1 duplicate batch not stored again, 1 of them conflicting"
}

@test "a batch_id again with other content: evidence no longer held is not compared" {
	db_arg mdb m.db
	# A batch's evidence is kept whole or not at all (trimmed or used
	# by a retrain): while kept, every labelled row is compared.
	mm-record --db "$mdb" <<<"$X" >/dev/null
	run_split mm-record --db "$mdb" --strict <<<"${X/\[1,2,3\]/[9,2,9]}"
	assert_failure 1
	assert_equal "$stderr" "mm-record: line 1: batch 'x' is stored already with other content (row 0 differs from the evidence kept): not stored again
mm-record: 1 duplicate batch not stored again, 1 of them conflicting"
	# Without ts or n_samples in the record, those are not compared.
	run_split mm-record --db "$mdb" --strict <<<'{"batch_id":"x","metrics":{}}'
	assert_failure 1
	assert_equal "$stderr" "mm-record: line 1: batch 'x' is stored already with other content (row 0 differs from the evidence kept): not stored again
mm-record: 1 duplicate batch not stored again, 1 of them conflicting"
	# All evidence gone: ts and n_samples are left.
	sq m.db 'DELETE FROM evidence_batch'
	run_split mm-record --db "$mdb" --strict <<<"${X/\[1,2,3\]/[9,2,9]}"
	assert_success
	assert_equal "$stderr" ""
	run_split mm-record --db "$mdb" --strict <<<'{"batch_id":"x","features":{"g":[5]},"labels":[7],"metrics":{}}'
	assert_success
	assert_equal "$stderr" ""
}

@test "--strict: a conflicting batch_id is exit 1, after every record is stored and passed on" {
	db_arg mdb m.db
	x_again
	printf '%s\n' '{"batch_id":"y","ts":1,"metrics":{}}' >>again.ndjson
	run_split mm-record --db "$mdb" --now $NOW --strict again.ndjson
	assert_failure 1
	assert_output "$(<again.ndjson)"
	conflicts again.ndjson >want.txt
	assert_equal "$stderr" "$(<want.txt)"
	run_merged sq m.db "SELECT batch_id, ts FROM metrics ORDER BY id"
	assert_output "x|1764140001$DOT0
y|1$DOT0"
	# Bad input is still exit 2.
	printf '%s\n' "${X/1764140001/1764140002}" '{"batch_id":' >bad.ndjson
	run_split mm-record --db "$mdb" --strict bad.ndjson
	assert_failure 2
	assert_equal "$stderr" "mm-record: bad.ndjson:1: batch 'x' is stored already with other content (ts 1764140002, not 1764140001): not stored again
mm-record: bad.ndjson:2: invalid JSON: truncated after 'batch_id'
mm-record: 1 duplicate batch not stored again, 1 of them conflicting"
}

# labelled DB: the batches stored, and each row of evidence as
# batch:row:label.
labelled() {
	rows , "$1" 'SELECT batch_id FROM metrics ORDER BY id'
	rows ' ' "$1" "SELECT batch_id || ':' || row_index || ':' || label FROM evidence ORDER BY id"
}

@test "a label above 999, the largest class mm-train takes, is bad input: none of its rows become evidence" {
	db_arg mdb m.db
	db_arg sdb s.db
	printf '%s\n' \
	    '{"batch_id":"l1","ts":1,"features":{"f0":[1,2]},"labels":[0,999],"metrics":{}}' \
	    '{"batch_id":"l2","ts":2,"features":{"f0":[3,4]},"labels":[1,1500],"metrics":{}}' \
	    '{"batch_id":"l3","ts":3,"features":{"f0":[5,6]},"labels":[null,1000000],"metrics":{}}' \
	    '{"batch_id":"l4","ts":4,"features":{"f0":[7,8]},"labels":[1,0],"metrics":{}}' >in.ndjson
	mapfile -t rec <in.ndjson
	run_split mm-record --db "$mdb" in.ndjson
	assert_failure 2
	assert_output "${rec[0]}"
	assert_equal "$stderr" "mm-record: in.ndjson:2: label 1 is 1500, above the largest class mm supports (999)"
	run_merged labelled m.db
	assert_output 'l1
l1:0:0 l1:1:999'
	run_split mm-record --db "$sdb" --skip-bad in.ndjson
	assert_success
	assert_output "${rec[0]}
${rec[3]}"
	assert_equal "$stderr" "mm-record: skipped 2 bad records"
	run_merged labelled s.db
	assert_output 'l1,l4
l1:0:0 l1:1:999 l4:0:1 l4:1:0'
	# The second run again, and the skipped batches fixed: each row is
	# evidence once.
	rec=("${rec[@]/1500/1}")
	rec=("${rec[@]/1000000/0}")
	printf '%s\n' "${rec[@]}" >fixed.ndjson
	mm-record --db "$sdb" <fixed.ndjson >/dev/null
	run_merged labelled s.db
	assert_output 'l1,l4,l2,l3
l1:0:0 l1:1:999 l4:0:1 l4:1:0 l2:0:1 l2:1:1 l3:1:0'
	# On standard input, and in a record mm-record does not store.
	run_split mm-record --db "$mdb" <<<'{"batch_id":"r","labels":[1000]}'
	assert_failure 2
	assert_equal "$stderr" "mm-record: line 1: label 0 is 1000, above the largest class mm supports (999)"
}

@test "drift: metrics.drift is the drift object without ref and counts, byte for byte" {
	db_arg mdb m.db
	printf '%s\n' "$C1" "$B2" '{"batch_id":"m","ts":5,"metrics":{}}' >in.ndjson
	run_split mm-record --db "$mdb" --now $NOW in.ndjson
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(<in.ndjson)"
	# By batch_id: on PostgreSQL a group's metrics go in in batch_id
	# order (so that recorders cannot deadlock), not the records'.
	run_merged sq m.db "SELECT batch_id, drift_score, drift_status, psi, p_value, drift FROM metrics ORDER BY batch_id"
	assert_output "b2|0.1|moderate|{ \"f0\" : 0.10 }|{\"f0\":0.5}|{ \"psi\" : { \"f0\" : 0.10 } , \"p_value\":{\"f0\":0.5},\"drift_score\":0.10,\"status\":\"moderate\"}
c1|0.125|stable|{\"a\":0.5,\"b\":0.25}|{\"a\":0.01,\"b\":1}|$C1_DRIFT
m|||||"
}

@test "drift_counts: one row per batch with ref and counts, the counts as they came" {
	db_arg mdb m.db
	printf '%s\n' "$C1" "$B1" >in.ndjson
	mm-record --db "$mdb" --now $NOW in.ndjson >/dev/null
	# B1's drift has no counts: no row for it.
	run_merged sq m.db "SELECT batch_id, ts, ref, model_version, n, counts FROM drift_counts"
	assert_output "c1|1764140000$DOT0|0123456789abcdef|v1|4|{ \"a\":[1, 3,0] ,\"b\":[4,0]}"
	if on_pg; then
		run_merged sq m.db "SELECT pg_typeof(n) FROM drift_counts"
		assert_output bigint
	else
		run_merged sq m.db "SELECT typeof(n) FROM drift_counts"
		assert_output integer
	fi
	# Counts without a ref (or a ref without counts) give no row, and
	# no model_version is NULL.
	{ cbatch c2 2 ',"counts":{"a":[2]}'; cbatch c3 2 ',"ref":"r"'
	    cbatch c4 2 ',"ref":"r","counts":{"a":[1,1],"b":[0,0,2]}'; } >in.ndjson
	# c4 without its metrics.
	mapfile -t rec <in.ndjson
	rec[2]=${rec[2]/\"metrics\":\{\"n_samples\":2\},}
	printf '%s\n' "${rec[@]}" >in.ndjson
	mm-record --db "$mdb" <in.ndjson >/dev/null
	run_merged sq m.db "SELECT batch_id, ref, CAST(model_version IS NULL AS INTEGER), n, counts FROM drift_counts ORDER BY id;
	    SELECT count(*) FROM metrics"
	assert_output 'c1|0123456789abcdef|0|4|{ "a":[1, 3,0] ,"b":[4,0]}
c4|r|1|2|{"a":[1,1],"b":[0,0,2]}
5'
}

@test "drift_counts: the same batch twice is stored once, in one run or two" {
	db_arg mdb m.db
	printf '%s\n' "$C1" "${C1/\[4,0\]/[3,1]}" >in.ndjson
	run_split mm-record --db "$mdb" in.ndjson
	assert_success
	assert_equal "$stderr" ""
	mm-record --db "$mdb" <<<"${C1/\[4,0\]/[2,2]}" >/dev/null
	run_merged sq m.db "SELECT batch_id, counts FROM drift_counts"
	assert_output 'c1|{ "a":[1, 3,0] ,"b":[4,0]}'
}

@test "drift: counts that do not add up, or are not counts, are bad input" {
	local good bad msg i=0
	cbatch ok 4 ',"ref":"r","counts":{"a":[1,3],"b":[4]}' >good.ndjson
	IFS= read -r good <good.ndjson
	# A bad record, or what follows "n":4 in the drift of cbatch x 4.
	while IFS='|' read -r bad msg; do
		{
			printf '%s\n' "$good"
			if [[ $bad == '{'* ]]; then
				printf '%s\n' "$bad"
			else
				cbatch x 4 "$bad"
			fi
		} >in.ndjson
		# A new database each time.
		i=$((i + 1))
		db_arg mdb m$i.db
		run_split mm-record --db "$mdb" in.ndjson
		assert_failure 2
		assert_output "$good"
		assert_equal "$stderr" "mm-record: in.ndjson:2: $msg"
		run_merged sq m$i.db "SELECT 'metrics', batch_id FROM metrics ORDER BY id;
		    SELECT 'drift_counts', batch_id FROM drift_counts ORDER BY id"
		assert_output 'metrics|ok
drift_counts|ok'
	done <<-'EOF'
	,"ref":"r","counts":[1,3]|'drift.counts' is not an object
	,"ref":"r","counts":null|'drift.counts' is not an object
	,"ref":"r","counts":{ }|'drift.counts' is empty
	,"ref":"r","counts":{"a":[4],"b":4}|'drift.counts.b' is not an array
	,"ref":"r","counts":{"a":[5,-1]}|'drift.counts.a': -1 is not a count
	,"ref":"r","counts":{"a":[3.0,1]}|'drift.counts.a': 3.0 is not a count
	,"ref":"r","counts":{"a":[1e0,3]}|'drift.counts.a': 1e0 is not a count
	,"ref":"r","counts":{"a":["4"]}|'drift.counts.a': "4" is not a count
	,"ref":"r","counts":{"a":[null,4]}|'drift.counts.a': null is not a count
	,"ref":"r","counts":{"a":[[4]]}|'drift.counts.a': an array is not a count
	,"ref":"r","counts":{"a":[1,99999999999999999999]}|'drift.counts.a': 99999999999999999999 is not a count
	,"ref":"r","counts":{"a":[1,3],"b":[1,2]}|'drift.counts.b' sums to 3 but 'drift.n' is 4
	,"ref":"r","counts":{"a":[1,3],"b":[]}|'drift.counts.b' sums to 0 but 'drift.n' is 4
	,"ref":"r","counts":{"a":[1,3,1]}|'drift.counts.a' sums to 5 but 'drift.n' is 4
	,"counts":{"a":[1,3],"b":[1,2]}|'drift.counts.b' sums to 3 but 'drift.n' is 4
	{"batch_id":"x","drift":{"ref":"r","counts":{"a":[1]}}}|'drift.n' missing
	{"batch_id":"x","drift":{"n":-1,"ref":"r","counts":{"a":[1]}}}|'drift.n': -1 is not a count
	{"batch_id":"x","drift":{"n":"1","ref":"r","counts":{"a":[1]}}}|'drift.n': "1" is not a count
	{"batch_id":"x","drift":{"n":1,"ref":7,"counts":{"a":[1]}}}|'drift.ref' is not a string
	{"batch_id":"x","drift":{"n":1,"ref":null}}|'drift.ref' is not a string
	EOF
}

@test "drift: --skip-bad skips records with bad counts and stores nothing of them" {
	db_arg mdb m.db
	{ cbatch a 2 ',"ref":"r","counts":{"f":[2,0]}'
	    cbatch b 2 ',"ref":"r","counts":{"f":[2,1]}'
	    cbatch c 2 ',"ref":"r","counts":{"f":[0,2]}'; } >in.ndjson
	mapfile -t rec <in.ndjson
	run_split mm-record --db "$mdb" --skip-bad in.ndjson
	assert_success
	assert_output "${rec[0]}
${rec[2]}"
	assert_equal "$stderr" "mm-record: skipped 1 bad record"
	run_merged rows , m.db 'SELECT batch_id FROM metrics ORDER BY id'
	assert_output a,c
	run_merged rows ' ' m.db "SELECT batch_id || ':' || counts FROM drift_counts ORDER BY id"
	assert_output 'a:{"f":[2,0]} c:{"f":[0,2]}'
}

@test "drift: a severe batch keeps its counts, not its rows as evidence" {
	db_arg mdb m.db
	local c1=${C1/\"stable\"/\"severe\"}

	c1=${c1/\"ts\":1764140000,/\"ts\":1764140000,\"features\":\{\"a\":[1,2,3,4]\},\"labels\":[1,0,1,0],}
	mm-record --db "$mdb" <<<"$c1" >/dev/null
	run_merged sq m.db "SELECT drift_status FROM metrics; SELECT batch_id FROM drift_counts; SELECT count(*) FROM evidence"
	assert_output 'severe
c1
0'
}

@test "metrics.confusion is stored as the JSON text it came as" {
	db_arg mdb m.db
	{ printf '%s\n' "$CM1" "$B2"; mbatch 1 "$MGOOD"; } >in.ndjson
	run_split mm-record --db "$mdb" in.ndjson
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(<in.ndjson)"
	# By batch_id, as on PostgreSQL a group's metrics go in.
	run_merged sq m.db "SELECT batch_id, model_version, n_samples, n_labelled, accuracy, coalesce(confusion, 'NULL') FROM metrics ORDER BY batch_id"
	assert_output 'b2|v2|2||0.5|NULL
cm1|v1|6|5|0.8|[[2, 1],[0,2]]
m1|v1|3|2|0.5|[[0,1],[0,1]]'
	if on_pg; then
		run_merged sq m.db "SELECT DISTINCT pg_typeof(confusion) FROM metrics"
		assert_output text
	else
		run_merged sq m.db "SELECT typeof(confusion) FROM metrics ORDER BY id"
		assert_output 'text
null
text'
	fi
	# Counts of three classes, and of no labelled row at all.
	printf '%s\n' \
	    '{"batch_id":"k3","labels":[2,0,1,1],"metrics":{"accuracy":0.5,"confusion":[[0,0,1],[0,1,1],[0,0,1]]}}' \
	    '{"batch_id":"k0","labels":[null,null],"metrics":{"n_labelled":0,"accuracy":null,"f1":null,"confusion":[[0,0],[0,0]]}}' \
	    >k.ndjson
	mm-record --db "$mdb" --now $NOW <k.ndjson >/dev/null
	run_merged sq m.db "SELECT batch_id, confusion FROM metrics WHERE batch_id IN ('k3', 'k0') ORDER BY batch_id"
	assert_output 'k0|[[0,0],[0,0]]
k3|[[0,0,1],[0,1,1],[0,0,1]]'
}

@test "metrics out of range, of the wrong type or with counts that do not fit are bad input" {
	local good bad msg i=0
	db_arg mdb m.db
	mbatch ok "$MGOOD" >good.ndjson
	IFS= read -r good <good.ndjson
	while IFS='|' read -r bad msg; do
		{ printf '%s\n' "$good"; mbatch x "$bad"; } >in.ndjson
		# A new database each time.
		i=$((i + 1))
		db_arg mdbi m$i.db
		run_split mm-record --db "$mdbi" in.ndjson
		assert_failure 2
		assert_output "$good"
		assert_equal "$stderr" "mm-record: in.ndjson:2: $msg"
		run_merged rows , m$i.db 'SELECT batch_id FROM metrics ORDER BY id'
		assert_output 'mok'
	done <<-'EOF'
	"f1":91.5|'metrics.f1': 91.5 is out of range [0, 1]
	"accuracy":-0.25|'metrics.accuracy': -0.25 is out of range [0, 1]
	"accuracy":1.0000001|'metrics.accuracy': 1.0000001 is out of range [0, 1]
	"avg_confidence":2|'metrics.avg_confidence': 2 is out of range [0, 1]
	"latency_ms":-1|'metrics.latency_ms': -1 is out of range [0, inf)
	"latency_ms":1e999|'metrics.latency_ms': 1e999 is out of range [0, inf)
	"f1":"0.9"|'metrics.f1': "0.9" is not a number
	"avg_confidence":[0.5]|'metrics.avg_confidence': an array is not a number
	"n_samples":-3|'metrics.n_samples': -3 is not a count
	"n_samples":3.0|'metrics.n_samples': 3.0 is not a count
	"n_labelled":"2"|'metrics.n_labelled': "2" is not a count
	"model_version":7|'metrics.model_version' is not a string
	"confusion":{"a":1}|'metrics.confusion' is not an array
	"confusion":[]|'metrics.confusion' is empty
	"confusion":[1,1]|'metrics.confusion': row 0 is not an array
	"confusion":[[1,1]]|'metrics.confusion' is not square: 1 row of 2 counts
	"confusion":[[1,1],[0]]|'metrics.confusion' is not square: row 1 has 1 count, row 0 2
	"confusion":[[0,1],[0,1],[0,0]]|'metrics.confusion' is not square: 3 rows of 2 counts
	"confusion":[[2]]|'metrics.confusion' has 1 class, not 2 to 1000
	"confusion":[[1,-1],[0,2]]|'metrics.confusion': -1 is not a count
	"confusion":[[1,1.0],[0,0]]|'metrics.confusion': 1.0 is not a count
	"confusion":[[1,null],[0,1]]|'metrics.confusion': null is not a count
	"n_labelled":2,"confusion":[[0,1],[1,1]]|'metrics.confusion' counts 3 rows but 'metrics.n_labelled' is 2
	"confusion":[[1,1],[1,0]]|'metrics.confusion' counts 3 rows but 'labels' has 2 known
	"confusion":[[0,1],[0,0]]|'metrics.confusion' counts 1 rows but 'labels' has 2 known
	"accuracy":0.5,"confusion":[[1,0],[0,1]]|'metrics.accuracy' is 0.5 but 'metrics.confusion' gives 1
	"accuracy":0.3333,"confusion":[[1,0],[1,1]]|'metrics.confusion' counts 3 rows but 'labels' has 2 known
	EOF
	# With no labelled row, accuracy and f1 are null.
	printf '%s\n' '{"batch_id":"z","labels":[null],"metrics":{"accuracy":0,"confusion":[[0,0],[0,0]]}}' >z.ndjson
	run_split mm-record --db "$mdb" z.ndjson
	assert_failure 2
	assert_equal "$stderr" "mm-record: z.ndjson:1: 'metrics.accuracy' is not null but 'metrics.confusion' counts no rows"
	printf '%s\n' '{"batch_id":"z","metrics":{"f1":0.5,"confusion":[[0,0],[0,0]]}}' >z.ndjson
	run_split mm-record --db "$mdb" z.ndjson
	assert_failure 2
	assert_equal "$stderr" "mm-record: z.ndjson:1: 'metrics.f1' is not null but 'metrics.confusion' counts no rows"
	# Without labels or n_labelled, any total is taken; the accuracy is
	# still the diagonal's share: 2 of 3 is .6666666666666666 (or within
	# 1e-9 of it).
	printf '%s\n' '{"batch_id":"t","metrics":{"accuracy":0.6666666666666666,"confusion":[[1,1],[0,1]]}}' \
	    '{"batch_id":"u","metrics":{"accuracy":0.666666666667,"confusion":[[1,1],[0,1]]}}' \
	    >tu.ndjson
	mm-record --db "$mdb" <tu.ndjson >/dev/null
	run_merged sq m.db "SELECT batch_id, confusion FROM metrics WHERE batch_id IN ('t', 'u') ORDER BY id"
	assert_output 't|[[1,1],[0,1]]
u|[[1,1],[0,1]]'
}

@test "--skip-bad skips metrics out of range, and stores none of them" {
	db_arg mdb m.db
	{ mbatch a "$MGOOD"; mbatch b '"f1":91.5'
	    mbatch c '"confusion":[[0,1],[1,1]]'; mbatch d '"f1":1'; } >in.ndjson
	mapfile -t rec <in.ndjson
	run_split mm-record --db "$mdb" --skip-bad in.ndjson
	assert_success
	assert_output "${rec[0]}
${rec[3]}"
	assert_equal "$stderr" "mm-record: skipped 2 bad records"
	run_merged rows , m.db 'SELECT batch_id FROM metrics ORDER BY id'
	assert_output ma,md
	run_merged sq m.db 'SELECT count(*) FROM metrics WHERE f1 > 1'
	assert_output 0
}

@test "records without what mm-record stores are passed on and not stored" {
	db_arg mdb m.db
	printf '%s\n' "$SUMMARY" "$NOID" "$RAW" "$ODD" >in.ndjson
	run_split mm-record --db "$mdb" in.ndjson
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(<in.ndjson)"
	run_merged sq m.db 'SELECT count(*) FROM metrics; SELECT count(*) FROM evidence'
	assert_output '0
0'
}

@test "--group N: what the next program reads is already stored" {
	db_arg mdb m.db
	for i in 1 2 3 4 5; do acc "a$i" "$i"; done >in.ndjson
	# When the reader gets record n, at least n rows are committed; with
	# --group 2 commits come two records at a time (the last one alone).
	# seen DB: the rows stored in DB as each record is read.  The count
	# goes through a file: $(<FILE) does not fork, $(sqlite3 ...) forks
	# twice.
	seen() {
		local n=0 c
		while IFS= read -r _; do
			n=$((n + 1))
			if on_pg; then
				sq "$1" 'SELECT count(*) FROM metrics' >count.txt
			else
				sqlite3 -cmd '.timeout 10000' "$1" \
				    'SELECT count(*) FROM metrics' >count.txt
			fi
			c=$(<count.txt)
			[ "$c" -ge "$n" ] || echo "record $n read with $c stored"
			echo "$c"
		done
	}
	mm-record --db "$mdb" --group 2 in.ndjson | seen m.db >seen.txt
	run_merged grep -vxE '2|4|5' seen.txt
	assert_output ""
	mapfile -t counts <seen.txt
	[ ${#counts[@]} -eq 5 ]

	# By default one commit holds up to 512 records: all five at once
	# (in a new database).
	db_arg m2db m2.db
	mm-record --db "$m2db" in.ndjson | seen m2.db >seen.txt
	assert_equal "$(<seen.txt)" '5
5
5
5
5'
}

@test "--group takes a whole number from 1 to 100000" {
	db_arg mdb m.db
	run_split mm-record --db "$mdb" --group 0 </dev/null
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-record: --group: '0' is not a whole number from 1 to 100000"
	# Nothing made: no file; on PostgreSQL, no table in the database.
	if on_pg; then
		run_merged sq m.db "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
		assert_output 0
	else
		[ ! -e m.db ]
	fi
}

@test "a bad line stops with exit 2 after storing and passing every record before it" {
	db_arg mdb m.db
	db_arg fdb f.db
	{ acc a 1; acc b 2; echo '{"batch_id":"c","ts":3,"metr'; acc d 4; } \
	    >bad.ndjson
	mapfile -t -n 2 rec <bad.ndjson
	run_split mm-record --db "$mdb" <bad.ndjson
	assert_failure 2
	assert_output "${rec[0]}
${rec[1]}"
	assert_equal "$stderr" "mm-record: line 3: invalid JSON: unterminated string"
	run_merged sq m.db 'SELECT batch_id FROM metrics ORDER BY id'
	assert_output 'a
b'

	run_split mm-record --db "$fdb" --group 1 bad.ndjson
	assert_failure 2
	assert_output "${rec[0]}
${rec[1]}"
	assert_equal "$stderr" "mm-record: bad.ndjson:3: invalid JSON: unterminated string"
	run_merged sq f.db 'SELECT batch_id FROM metrics ORDER BY id'
	assert_output 'a
b'
}

@test "a bad batch record is bad input too" {
	db_arg mdb m.db
	printf '%s\n' "$B2" \
	    '{"batch_id":"x","features":{"f0":[1,2]},"labels":[1],"metrics":{}}' \
	    >bad.ndjson
	run_split mm-record --db "$mdb" bad.ndjson
	assert_failure 2
	assert_output "$B2"
	assert_equal "$stderr" "mm-record: bad.ndjson:2: 'labels' has 1 values, features have 2"
	printf '%s\n' '{"batch_id":7,"metrics":{}}' >id.ndjson
	run_split mm-record --db "$mdb" id.ndjson
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-record: id.ndjson:1: 'batch_id' is not a string"
}

@test "--skip-bad skips bad lines, counts them and stores the rest" {
	db_arg mdb m.db
	{ acc a 1; echo '{"batch_id":"c","ts":3,"metr'; acc b 2; echo;
	    acc d 4; } >bad.ndjson
	run_split mm-record --db "$mdb" --skip-bad bad.ndjson
	assert_success
	{ acc a 1; acc b 2; acc d 4; } >want.ndjson
	assert_output "$(<want.ndjson)"
	assert_equal "$stderr" "mm-record: skipped 2 bad records"
	run_merged sq m.db 'SELECT batch_id FROM metrics ORDER BY id'
	assert_output 'a
b
d'
}

@test "a file that is not an SQLite database is refused with exit 3" {
	sqlite_only
	db_arg tdb t.db
	printf 'not a database\n' >t.db
	run_split mm-record --db "$tdb" <<<"$B2"
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-record: t.db: database error: not an SQLite database"
	assert_equal "$(<t.db)" "not a database"
}

@test "a new database has every table and schema version 4" {
	db_arg mdb m.db
	run_split mm-record --db "$mdb" </dev/null
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	run_merged sq m.db 'SELECT version FROM schema_version ORDER BY version'
	assert_output '1
2
3
4'
	if on_pg; then
		run_merged rows ' ' m.db "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
		assert_output 'alert_state decision_history drift_counts evidence_batch metrics metrics_summary metrics_summary_history retrain_snapshots schema_version'
		run_merged sq m.db "SELECT viewname FROM pg_views WHERE schemaname = 'public'"
		assert_output evidence
	else
		run_merged rows ' ' m.db "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
		assert_output 'alert_state decision_history drift_counts evidence_batch metrics metrics_summary metrics_summary_history retrain_snapshots schema_version'
		run_merged sq m.db "SELECT name FROM sqlite_master WHERE type = 'view'"
		assert_output evidence
		run_merged sq m.db 'PRAGMA journal_mode'
		assert_output wal
	fi
	# Opening it again migrates nothing.
	mm-record --db "$mdb" </dev/null
	run_merged sq m.db 'SELECT count(*) FROM schema_version'
	assert_output 4
}

# SQL that takes a database of schema 4 back to what 3 was.
UNDO_4='DROP VIEW evidence; DROP TABLE evidence_batch;
    CREATE TABLE evidence (id INTEGER PRIMARY KEY, batch_id TEXT NOT NULL,
      row_index INTEGER NOT NULL, ts REAL NOT NULL, names TEXT NOT NULL,
      features BLOB NOT NULL, label INTEGER NOT NULL,
      UNIQUE (batch_id, row_index));
    DELETE FROM schema_version WHERE version = 4'

# SQL that takes a database of schema 3 back to what 2 was.
UNDO_3='DROP INDEX metrics_version_ts; DROP INDEX metrics_ts;
    CREATE INDEX metrics_ts ON metrics(ts, accuracy, f1, avg_confidence,
      latency_ms, drift_score);
    ALTER TABLE metrics DROP COLUMN confusion;
    ALTER TABLE metrics_summary DROP COLUMN model_version;
    ALTER TABLE metrics_summary DROP COLUMN n_samples;
    ALTER TABLE metrics_summary DROP COLUMN confusion;
    ALTER TABLE metrics_summary_history DROP COLUMN model_version;
    ALTER TABLE metrics_summary_history DROP COLUMN n_samples;
    ALTER TABLE metrics_summary_history DROP COLUMN confusion;
    DELETE FROM schema_version WHERE version = 3'

@test "a database of schema 1 is migrated to 4, its rows kept" {
	sqlite_only
	db_arg mdb m.db
	mm-record --db "$mdb" --now $NOW <<<"$B1" >/dev/null
	# Take it back to what the first schema was.
	sq m.db "$UNDO_4; $UNDO_3;
	    DROP TABLE drift_counts; ALTER TABLE metrics DROP COLUMN drift;
	    ALTER TABLE metrics_summary DROP COLUMN drift;
	    ALTER TABLE metrics_summary_history DROP COLUMN drift;
	    DELETE FROM schema_version WHERE version = 2"
	mm-record --db "$mdb" --now $NOW <<<"$C1" >/dev/null
	run_merged sq m.db 'SELECT version FROM schema_version ORDER BY version;
	    SELECT batch_id, drift IS NULL FROM metrics ORDER BY id;
	    SELECT batch_id FROM drift_counts'
	assert_output '1
2
3
4
b1|1
c1|0
c1'
}

@test "a database of schema 2 is migrated to 4: confusion counts are stored from then on" {
	sqlite_only
	db_arg mdb m.db
	mm-record --db "$mdb" --now $NOW <<<"$B1" >/dev/null
	sq m.db "$UNDO_4; $UNDO_3"
	run_merged sq m.db 'SELECT max(version) FROM schema_version'
	assert_output 2
	mm-record --db "$mdb" --now $NOW <<<"$CM1" >/dev/null
	run_merged sq m.db "SELECT version FROM schema_version ORDER BY version;
	    SELECT batch_id, accuracy, coalesce(confusion, 'NULL') FROM metrics ORDER BY id"
	assert_output '1
2
3
4
b1|1.0|NULL
cm1|0.8|[[2, 1],[0,2]]'
}

@test "a database with a newer schema is refused and left byte for byte" {
	db_arg mdb m.db
	acc a 1 >a.ndjson
	acc b 2 >b.ndjson
	mm-record --db "$mdb" <a.ndjson >/dev/null
	sq m.db 'INSERT INTO schema_version VALUES (99, 0)'
	# On PostgreSQL: every row of every table mm made, as text.
	if on_pg; then
		sq m.db "SELECT t.* FROM schema_version t ORDER BY 1; SELECT m.* FROM metrics m ORDER BY 1" |
		    sha256sum >before.sha256
	else
		sha256sum m.db >before.sha256
	fi
	run_split mm-record --db "$mdb" <b.ndjson
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-record: $mdb: database schema 99 is newer than this mm knows (4); upgrade mm"
	if on_pg; then
		sq m.db "SELECT t.* FROM schema_version t ORDER BY 1; SELECT m.* FROM metrics m ORDER BY 1" |
		    sha256sum >after.sha256
	else
		sha256sum m.db >after.sha256
	fi
	assert_equal "$(<after.sha256)" "$(<before.sha256)"
	run_merged sq m.db 'SELECT batch_id FROM metrics'
	assert_output a
}

@test "MM_DB names the database; --db wins" {
	db_arg envdb env.db
	db_arg optdb opt.db
	acc a 1 >a.ndjson
	acc b 2 >b.ndjson
	MM_DB=$envdb run_split mm-record <a.ndjson
	assert_success
	assert_equal "$stderr" ""
	run_merged sq env.db 'SELECT batch_id FROM metrics'
	assert_output a
	MM_DB=$envdb mm-record --db "$optdb" <b.ndjson >/dev/null
	run_merged sq opt.db 'SELECT batch_id FROM metrics'
	assert_output b
	run_merged sq env.db 'SELECT count(*) FROM metrics'
	assert_output 1
}

@test "the directory of the database is created" {
	sqlite_only
	db_arg deepdb deep/er/m.db
	acc a 1 >a.ndjson
	acc b 2 >b.ndjson
	run_split mm-record --db "$deepdb" <a.ndjson
	assert_success
	assert_equal "$stderr" ""
	run_merged sq deep/er/m.db 'SELECT batch_id FROM metrics'
	assert_output a
	# Without --db or MM_DB: data/metrics/metrics.db.
	mm-record <b.ndjson >/dev/null
	run_merged sq data/metrics/metrics.db 'SELECT batch_id FROM metrics'
	assert_output b
}

@test "a database directory that cannot be made is exit 3" {
	sqlite_only
	db_arg filedb file/m.db
	db_arg subdb file/sub/m.db
	printf 'x\n' >file
	run_split mm-record --db "$filedb" </dev/null
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-record: file/m.db: cannot open database: unable to open database file"
	run_split mm-record --db "$subdb" </dev/null
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-record: cannot create directory 'file/sub': Not a directory"
}

@test "several FILE arguments are read in order; - is standard input" {
	db_arg mdb m.db
	acc a 1 >1.ndjson
	acc b 2 >2.ndjson
	acc c 3 >3.ndjson
	run_split mm-record --db "$mdb" 1.ndjson - 3.ndjson <2.ndjson
	assert_success
	assert_equal "$stderr" ""
	{ acc a 1; acc b 2; acc c 3; } >want.ndjson
	assert_output "$(<want.ndjson)"
	run_merged sq m.db 'SELECT batch_id FROM metrics ORDER BY id'
	assert_output 'a
b
c'
}

@test "a bad option is a usage error" {
	db_arg mdb m.db
	run_split mm-record --db "$mdb" --bogus </dev/null
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-record: unknown option '--bogus'
usage: mm-record [--db FILE] [--config DIR] [--now TS] [--group N] [--skip-bad]
                 [--strict] [--max-record BYTES] [FILE ...]
Try 'mm-record --help' for more information."
}

@test "a bad retrain.yaml is exit 2 naming the file and line" {
	db_arg mdb m.db
	mkdir conf
	printf 'buffer_rows: 0\n' >conf/retrain.yaml
	run_split mm-record --db "$mdb" --config conf </dev/null
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-record: conf/retrain.yaml:1: 'buffer_rows': 0 is out of range [1, 1e+09]"
}

@test "a FILE that cannot be read is exit 3 after the files before it" {
	db_arg mdb m.db
	acc a 1 >1.ndjson
	run_split mm-record --db "$mdb" 1.ndjson nowhere.ndjson
	assert_failure 3
	assert_output "$(<1.ndjson)"
	assert_equal "$stderr" "mm-record: cannot open 'nowhere.ndjson': No such file or directory"
	run_merged sq m.db 'SELECT batch_id FROM metrics'
	assert_output a
}

@test "rows with string features are not kept as evidence, said once" {
	db_arg mdb m.db
	printf '%s\n' \
	    '{"batch_id":"s1","ts":1764140100,"features":{"r":["a","b"],"x":[1,2]},"labels":[0,1],"metrics":{"n_samples":2,"accuracy":1,"f1":1}}' \
	    '{"batch_id":"s2","ts":1764140160,"features":{"r":["c",null],"x":[3,4]},"labels":[1,0],"metrics":{"n_samples":2,"accuracy":1,"f1":1}}' \
	    >in.ndjson
	run_split mm-record --db "$mdb" in.ndjson
	assert_success
	assert_output "$(<in.ndjson)"
	assert_equal "$stderr" "mm-record: batch 's1': feature 'r' holds strings; its rows are not kept as evidence"
	run_merged sq m.db 'SELECT count(*) FROM evidence; SELECT count(*) FROM metrics'
	assert_output '0
2'
}

@test "a write error on records larger than stdio's buffer is exit 3, after the commit" {
	db_arg d2db d2.db
	mm-train --synthetic --rows 500 --models m --now 1764140000 >/dev/null
	mm-gen --batches 2 --batch-size 2000 | mm-predict --models m >big.ndjson
	# Run by this shell rather than by sh -c.
	to_full() {
		mm-record --db "$d2db" big.ndjson >/dev/full
	}
	run_split to_full
	assert_failure 3
	assert_equal "$stderr" "mm-record: write error: No space left on device"
	# Stored before it was passed on: a rerun finds both batches there.
	run_merged sq d2.db 'SELECT count(*) FROM metrics'
	assert_output 2
}
