#!/usr/bin/env bats
# mm-trust: the trust formula, its ramps and clamping, missing components,
# summary records, weights from trust.yaml, bad input and pass-through.

bats_require_minimum_version 1.5.0
load helper

DEFAULT_WEIGHTS='"weights":{"accuracy":0.3,"f1":0.25,"confidence":0.15,"drift":0.2,"latency":0.1}'

# The trust field mm-trust adds to a record, in $trust: what
# sed 's/.*,"trust"://; s/}$//' made of each line, with builtins (a sed
# in a pipe cost two processes a call).
trust_of() {
	local l t=

	while IFS= read -r l; do
		l=${l##*,\"trust\":}
		t+=${l%\}}$'\n'
	done <<<"$1"
	chomp t
	trust=$t
}

# The trust of a record with only one input, in $trust: the score is
# the component, its weight scaled to 1.
one() {
	local obj=$1 key=$2 x=$3 in out

	printf -v in '{"%s":{"%s":%s}}' "$obj" "$key" "$x"
	# exec: bash forks twice for a command with a redirection.
	out=$(exec mm-trust <<<"$in")
	trust_of "$out"
}

@test "the trust object of hand-computed inputs" {
	in='{"batch_id":"b1","metrics":{"accuracy":0.9,"f1":0.8,"avg_confidence":0.7,"latency_ms":900},"drift":{"drift_score":0.2}}'
	# drift: (.3 - .2) / (.3 - .1) = .5 (the doubles give
	# .49999999999999994); latency: (1500 - 900) / (1500 - 300) = .5
	# trust = .30 * .9 + .25 * .8 + .15 * .7 + .20 * .5 + .10 * .5
	#       = .27 + .2 + .105 + .1 + .05 = .725
	run_split mm-trust <<<"$in"
	assert_success
	assert_equal "$stderr" ""
	assert_output "${in%\}},\"trust\":{\"score\":0.7250000000000001,\"components\":{\"accuracy\":0.9,\"f1\":0.8,\"confidence\":0.7,\"drift\":0.49999999999999994,\"latency\":0.5},$DEFAULT_WEIGHTS}}"
}

@test "every component at 1, and every component at 0" {
	run_split mm-trust <<<'{"metrics":{"accuracy":1,"f1":1,"avg_confidence":1,"latency_ms":300},"drift":{"drift_score":0.1}}'
	assert_success
	trust_of "$output"
	assert_equal "$trust" "{\"score\":1,\"components\":{\"accuracy\":1,\"f1\":1,\"confidence\":1,\"drift\":1,\"latency\":1},$DEFAULT_WEIGHTS}"
	run_split mm-trust <<<'{"metrics":{"accuracy":0,"f1":0,"avg_confidence":0,"latency_ms":1500},"drift":{"drift_score":0.3}}'
	assert_success
	trust_of "$output"
	assert_equal "$trust" "{\"score\":0,\"components\":{\"accuracy\":0,\"f1\":0,\"confidence\":0,\"drift\":0,\"latency\":0},$DEFAULT_WEIGHTS}"
	# .30 * .5 + .25 * .5 + .15 * .5 + .20 * .75 + .10 * .75
	#   = .15 + .125 + .075 + .15 + .075 = .575
	run_split mm-trust <<<'{"metrics":{"accuracy":0.5,"f1":0.5,"avg_confidence":0.5,"latency_ms":600},"drift":{"drift_score":0.15}}'
	trust_of "$output"
	assert_equal "$trust" "{\"score\":0.575,\"components\":{\"accuracy\":0.5,\"f1\":0.5,\"confidence\":0.5,\"drift\":0.75,\"latency\":0.75},$DEFAULT_WEIGHTS}"
}

@test "drift_to_trust: 1 at or below 0.1, 0 at or above 0.3, linear between" {
	# (.3 - x) / .2 between the ends; negative scores count as 0 drift.
	for pair in -1:1 0:1 0.0999:1 0.1:1 0.1001:0.9995 0.15:0.75 \
	    0.2:0.49999999999999994 0.2999:0.0004999999999999449 0.3:0 \
	    0.3001:0 5:0; do
		x=${pair%%:*} want=${pair#*:}
		one drift drift_score "$x"
		assert_equal "$trust" \
		    "{\"score\":$want,\"components\":{\"drift\":$want},\"weights\":{\"drift\":1}}"
	done
}

@test "latency_score: 1 at or below 300 ms, 0 at or above 1500 ms, linear between" {
	# (1500 - x) / 1200 between the ends.
	for pair in -5:1 0:1 299.9:1 300:1 300.6:0.9995 600:0.75 900:0.5 \
	    1200:0.25 1499.4:0.0004999999999999242 1500:0 1501:0 1e6:0; do
		x=${pair%%:*} want=${pair#*:}
		one metrics latency_ms "$x"
		assert_equal "$trust" \
		    "{\"score\":$want,\"components\":{\"latency\":$want},\"weights\":{\"latency\":1}}"
	done
}

@test "accuracy, f1 and confidence are clamped to [0, 1]" {
	for key in accuracy:accuracy f1:f1 avg_confidence:confidence; do
		for pair in -0.5:0 0:0 0.25:0.25 1:1 1.5:1; do
			x=${pair%%:*} want=${pair#*:}
			one metrics "${key%%:*}" "$x"
			assert_equal "$trust" \
			    "{\"score\":$want,\"components\":{\"${key#*:}\":$want},\"weights\":{\"${key#*:}\":1}}"
		done
	done
	# All five out of range at once: 1, 0, 1, 1 (drift below 0.1),
	# 1 (negative latency): .30 + 0 + .15 + .20 + .10 = .75
	run_split mm-trust <<<'{"metrics":{"accuracy":1.5,"f1":-0.5,"avg_confidence":2,"latency_ms":-10},"drift":{"drift_score":-1}}'
	assert_success
	trust_of "$output"
	assert_equal "$trust" "{\"score\":0.7499999999999999,\"components\":{\"accuracy\":1,\"f1\":0,\"confidence\":1,\"drift\":1,\"latency\":1},$DEFAULT_WEIGHTS}"
}

@test "null accuracy and f1 are left out and the other weights scaled to sum to 1" {
	# No labels: confidence .15, drift .20, latency .10 of .45:
	#   weights 1/3, 4/9, 2/9; components .5, .75, .75
	#   trust = .5/3 + .75 * 4/9 + .75 * 2/9 = 1/6 + 1/3 + 1/6 = 2/3
	in='{"batch_id":"u","metrics":{"n_samples":5,"accuracy":null,"f1":null,"avg_confidence":0.5,"latency_ms":600},"drift":{"drift_score":0.15}}'
	run_split mm-trust <<<"$in"
	assert_success
	assert_equal "$stderr" ""
	assert_output "${in%\}},\"trust\":{\"score\":0.6666666666666667,\"components\":{\"confidence\":0.5,\"drift\":0.75,\"latency\":0.75},\"weights\":{\"confidence\":0.33333333333333337,\"drift\":0.44444444444444453,\"latency\":0.22222222222222227}}}"
}

@test "one missing input leaves out its component alone" {
	# accuracy null: f1 .25, confidence .15, drift .20, latency .10 of
	# .70: weights 5/14, 3/14, 2/7, 1/7;
	#   trust = .5 * 5/14 + .5 * 3/14 + .75 * 2/7 + .75 * 1/7
	#         = 2/7 + 9/28 = 17/28 = .607142857...
	run_split mm-trust <<<'{"metrics":{"accuracy":null,"f1":0.5,"avg_confidence":0.5,"latency_ms":600},"drift":{"drift_score":0.15}}'
	assert_success
	trust_of "$output"
	assert_equal "$trust" '{"score":0.6071428571428571,"components":{"f1":0.5,"confidence":0.5,"drift":0.75,"latency":0.75},"weights":{"f1":0.3571428571428571,"confidence":0.21428571428571425,"drift":0.2857142857142857,"latency":0.14285714285714285}}'
	# An absent key is the same as null; so is an absent drift.
	run_split mm-trust <<<'{"metrics":{"f1":0.5,"avg_confidence":0.5,"latency_ms":600},"drift":{"drift_score":0.15}}'
	trust_of "$output"
	assert_equal "$trust" '{"score":0.6071428571428571,"components":{"f1":0.5,"confidence":0.5,"drift":0.75,"latency":0.75},"weights":{"f1":0.3571428571428571,"confidence":0.21428571428571425,"drift":0.2857142857142857,"latency":0.14285714285714285}}'
	# accuracy 1 and f1 .5 alone: weights .3/.55 = 6/11 and 5/11,
	# trust = 6/11 + 2.5/11 = 8.5/11 = .772727...
	run_split mm-trust <<<'{"metrics":{"accuracy":1,"f1":0.5},"drift":null}'
	assert_success
	trust_of "$output"
	assert_equal "$trust" '{"score":0.7727272727272727,"components":{"accuracy":1,"f1":0.5},"weights":{"accuracy":0.5454545454545454,"f1":0.45454545454545453}}'
}

@test "a record with nothing usable gets a null score" {
	printf '%s\n' '{"batch_id":"x"}' '{"metrics":{}}' \
	    '{"metrics":{"accuracy":null,"f1":null,"n_samples":3},"drift":null}' \
	    '{"drift":{"status":"stable","psi":{"f0":0.5}}}' '{}' >in.ndjson
	run_split mm-trust in.ndjson
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"batch_id":"x","trust":{"score":null,"components":{},"weights":{}}}
{"metrics":{},"trust":{"score":null,"components":{},"weights":{}}}
{"metrics":{"accuracy":null,"f1":null,"n_samples":3},"drift":null,"trust":{"score":null,"components":{},"weights":{}}}
{"drift":{"status":"stable","psi":{"f0":0.5}},"trust":{"score":null,"components":{},"weights":{}}}
{"trust":{"score":null,"components":{},"weights":{}}}'
}

@test "summary records from mm-aggregate get a trust score" {
	printf '%s\n' \
	    '{"batch_id":"s1","ts":1764140100,"metrics":{"n_samples":8,"accuracy":1,"f1":1,"confusion":[[6,0],[0,2]],"avg_confidence":0.875,"latency_ms":100},"drift":{"drift_score":0.25}}' \
	    '{"batch_id":"s2","ts":1764140200,"metrics":{"n_samples":8,"accuracy":0.5,"f1":0,"confusion":[[4,2],[2,0]],"avg_confidence":0.625,"latency_ms":500},"drift":{"drift_score":0.15}}' \
	    >in.ndjson
	mm-record --db m.db <in.ndjson >/dev/null
	# The window's counts [[10,2],[2,2]]: accuracy 12/16 = .75, F1
	# 4 / (4 + 2 + 2) = .5; confidence and latency weighted by rows, .75
	# and 300 ms.  A window's drift comes from the bin
	# counts of its batches, and these hand-made records carry none, so
	# the drift component is left out and the others scaled by 1 / .8:
	#   trust = (.30 * .75 + .25 * .5 + .15 * .75 + .10 * 1) / .8
	#         = (.225 + .125 + .1125 + .1) / .8 = .703125
	run_split sh -c 'mm-aggregate --db m.db --now 1764140300 --window 5m | mm-trust'
	assert_success
	assert_equal "$stderr" ""
	assert_output "{\"window\":\"5m\",\"ts\":1764140300,\"n_batches\":2,\"metrics\":{\"n_samples\":16,\"accuracy\":0.75,\"f1\":0.5,\"confusion\":[[10,2],[2,2]],\"avg_confidence\":0.75,\"latency_ms\":300},\"trust\":{\"score\":0.7031249999999999,\"components\":{\"accuracy\":0.75,\"f1\":0.5,\"confidence\":0.75,\"latency\":1},\"weights\":{\"accuracy\":0.37499999999999994,\"f1\":0.3125,\"confidence\":0.18749999999999997,\"latency\":0.125}}}"
}

@test "weights and ramps come from trust.yaml of --config or MM_CONFIG" {
	mkdir conf
	printf '%s\n' '# custom' \
	    'weights: {accuracy: 0.4, f1: 0.1, confidence: 0.1, drift: 0.2, latency: 0.2}' \
	    'drift_ok: 0.2' 'drift_bad: 0.4' 'latency_ok_ms: 100' \
	    'latency_bad_ms: 200' >conf/trust.yaml
	in='{"metrics":{"accuracy":1,"f1":0.5,"avg_confidence":1,"latency_ms":150},"drift":{"drift_score":0.3}}'
	# drift (.4 - .3) / .2 = .5, latency (200 - 150) / 100 = .5
	# trust = .4 * 1 + .1 * .5 + .1 * 1 + .2 * .5 + .2 * .5 = .75
	want='{"score":0.7500000000000001,"components":{"accuracy":1,"f1":0.5,"confidence":1,"drift":0.5000000000000001,"latency":0.5},"weights":{"accuracy":0.4,"f1":0.1,"confidence":0.1,"drift":0.2,"latency":0.2}}'
	run_split mm-trust --config conf <<<"$in"
	assert_success
	assert_equal "$stderr" ""
	trust_of "$output"
	assert_equal "$trust" "$want"
	MM_CONFIG=conf run_split mm-trust <<<"$in"
	assert_success
	trust_of "$output"
	assert_equal "$trust" "$want"
	# ./config is read when there is neither.
	mv conf config
	run_split mm-trust <<<"$in"
	trust_of "$output"
	assert_equal "$trust" "$want"
}

@test "a component with weight 0 is left out" {
	mkdir conf
	printf 'weights:\n  accuracy: 0.5\n  f1: 0.5\n  confidence: 0\n  drift: 0\n  latency: 0\n' \
	    >conf/trust.yaml
	run_split mm-trust --config conf <<<'{"metrics":{"accuracy":1,"f1":0.5,"avg_confidence":1,"latency_ms":0},"drift":{"drift_score":0.5}}'
	assert_success
	trust_of "$output"
	assert_equal "$trust" '{"score":0.75,"components":{"accuracy":1,"f1":0.5},"weights":{"accuracy":0.5,"f1":0.5}}'
	run_split mm-trust --config conf <<<'{"metrics":{"avg_confidence":1}}'
	trust_of "$output"
	assert_equal "$trust" '{"score":null,"components":{},"weights":{}}'
}

@test "weights that do not sum to 1 are exit 2 naming the file and line" {
	mkdir conf
	printf '%s\n' '# all equal' \
	    'weights: {accuracy: 0.25, f1: 0.25, confidence: 0.25, drift: 0.25, latency: 0.25}' \
	    >conf/trust.yaml
	run_split mm-trust --config conf <<<'{"metrics":{"accuracy":1}}'
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-trust: conf/trust.yaml:2: 'weights' must sum to 1, not 1.25"
}

@test "other bad trust.yaml values are exit 2 naming the file" {
	mkdir conf
	printf 'weights: {accuracy: 0.3, f1: 0.25, confidence: 0.15, drift: 0.2, speed: 0.1}\n' \
	    >conf/trust.yaml
	run_split mm-trust --config conf </dev/null
	assert_failure 2
	assert_equal "$stderr" "mm-trust: conf/trust.yaml:1: unknown key 'weights.speed'"
	printf 'drift_ok: 0.3\ndrift_bad: 0.2\n' >conf/trust.yaml
	run_split mm-trust --config conf </dev/null
	assert_failure 2
	assert_equal "$stderr" "mm-trust: conf/trust.yaml: 'drift_ok' must be below 'drift_bad'"
	printf 'latency_ok_ms: fast\n' >conf/trust.yaml
	run_split mm-trust --config conf </dev/null
	assert_failure 2
	assert_equal "$stderr" "mm-trust: conf/trust.yaml:1: 'latency_ok_ms' must be a number, not 'fast'"
}

@test "a metric that is not a number stops with exit 2 after the records before it" {
	good='{"batch_id":"g","metrics":{"accuracy":1}}'
	printf '%s\n' "$good" '{"batch_id":"b","metrics":{"accuracy":1,"f1":"0.5"}}' \
	    "$good" >in.ndjson
	run_split mm-trust <in.ndjson
	assert_failure 2
	assert_output '{"batch_id":"g","metrics":{"accuracy":1},"trust":{"score":1,"components":{"accuracy":1},"weights":{"accuracy":1}}}'
	assert_equal "$stderr" "mm-trust: line 2: 'metrics.f1' is not a number"

	printf '%s\n' '{"drift":{"drift_score":[0.1]}}' >d.ndjson
	run_split mm-trust d.ndjson
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-trust: d.ndjson:1: 'drift.drift_score' is not a number"
}

@test "metrics or drift that is not an object is bad input" {
	run_split mm-trust <<<'{"metrics":0.9}'
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-trust: line 1: 'metrics' is not an object"
	run_split mm-trust <<<'{"metrics":{"accuracy":1},"drift":"stable"}'
	assert_failure 2
	assert_equal "$stderr" "mm-trust: line 1: 'drift' is not an object"
}

@test "invalid JSON stops with exit 2 naming the line" {
	printf '%s\n' '{"metrics":{"accuracy":1}}' '{"metrics":{"accuracy":' >in.ndjson
	run_split mm-trust in.ndjson
	assert_failure 2
	assert_output '{"metrics":{"accuracy":1},"trust":{"score":1,"components":{"accuracy":1},"weights":{"accuracy":1}}}'
	assert_equal "$stderr" "mm-trust: in.ndjson:2: invalid JSON: expected a value, found end of line"
}

@test "--skip-bad skips bad records and counts them" {
	printf '%s\n' '{"metrics":{"accuracy":1}}' '{"metrics":{"f1":true}}' \
	    'nonsense' '{"metrics":{"accuracy":0}}' >in.ndjson
	run_split mm-trust --skip-bad in.ndjson
	assert_success
	assert_output '{"metrics":{"accuracy":1},"trust":{"score":1,"components":{"accuracy":1},"weights":{"accuracy":1}}}
{"metrics":{"accuracy":0},"trust":{"score":0,"components":{"accuracy":0},"weights":{"accuracy":1}}}'
	assert_equal "$stderr" "mm-trust: skipped 2 bad records"
}

@test "other fields pass through byte for byte; trust is added last" {
	in='{ "z":[1, 2] , "batch_id" : "b1","x":1.50,"e":1e-7,"metrics":{"accuracy":1.0, "f1":0.50},"u":{"k":[null,"s\"}"]},"n":-0.0}'
	run_split mm-trust <<<"$in"
	assert_success
	assert_equal "$stderr" ""
	assert_output "${in%\}},\"trust\":{\"score\":0.7727272727272727,\"components\":{\"accuracy\":1,\"f1\":0.5},\"weights\":{\"accuracy\":0.5454545454545454,\"f1\":0.45454545454545453}}}"
}

@test "an existing trust field is replaced where it stands" {
	in='{"batch_id":"b","trust":{"score":0.1,"old":true},"metrics":{"accuracy":0.5},"z":1.50}'
	run_split mm-trust <<<"$in"
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"batch_id":"b","trust":{"score":0.5,"components":{"accuracy":0.5},"weights":{"accuracy":1}},"metrics":{"accuracy":0.5},"z":1.50}'
	# Run twice, the output is the same.
	run_split sh -c 'mm-trust | mm-trust' <<<"$in"
	assert_output '{"batch_id":"b","trust":{"score":0.5,"components":{"accuracy":0.5},"weights":{"accuracy":1}},"metrics":{"accuracy":0.5},"z":1.50}'
}

@test "several FILE arguments are read in order; empty input gives no output" {
	printf '%s\n' '{"metrics":{"accuracy":1}}' >1.ndjson
	printf '%s\n' '{"metrics":{"accuracy":0}}' >2.ndjson
	run_split mm-trust 1.ndjson - 2.ndjson <<<'{"metrics":{"accuracy":0.5}}'
	assert_success
	# What grep -o '"score":[^,]*' printed, one score a line.
	scores=
	for l in "${lines[@]}"; do
		while [[ $l =~ \"score\":[^,]* ]]; do
			scores+=${BASH_REMATCH[0]}$'\n'
			l=${l#*"${BASH_REMATCH[0]}"}
		done
	done
	assert_equal "${scores%$'\n'}" '"score":1
"score":0.5
"score":0'
	run_split mm-trust </dev/null
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
}

@test "a file that cannot be read is exit 3" {
	run_split mm-trust nowhere.ndjson
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-trust: cannot open 'nowhere.ndjson': No such file or directory"
}

@test "a weight given twice in trust.yaml is exit 2 naming the key" {
	mkdir conf
	printf 'weights:\n  accuracy: 0.3\n  accuracy: 0.3\n  f1: 0.25\n' \
	    >conf/trust.yaml
	run_split mm-trust --config conf <<<'{"metrics":{"accuracy":1}}'
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-trust: conf/trust.yaml:3: key 'weights.accuracy' given twice"
}
