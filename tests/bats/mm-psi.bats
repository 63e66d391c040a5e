#!/usr/bin/env bats
# mm-psi: --fit, PSI per batch, --window, chi-square thresholds, --fail-on,
# the model store, --counts and --merge.  Bad input is in errors.bats.

load helper
bats_require_minimum_version 1.5.0

# The training sample: a = 1..10, c = 5 (one distinct value).  With four
# bins, numpy's linear quantiles of a at 0, .25, .5, .75, 1 sit at the
# virtual indexes 9q = 0, 2.25, 4.5, 6.75, 9 of the sorted sample:
#   1, 3 + .25 * 1 = 3.25, 5 + .5 * 1 = 5.5, 7 + .75 * 1 = 7.75, 10
# Bin counts (outer bins open): {1,2,3} {4,5} {6,7} {8,9,10} = 3,2,2,3.
# c has a single edge, so one bin holding all ten values.
TRAIN='{"batch_id":"t","features":{"a":[1,2,3,4,5,6,7,8,9,10],"c":[5,5,5,5,5,5,5,5,5,5]}}'
REF='{"format":"mm-reference/1","id":"5f3db756487b7958","bins":4,"rows":10,"features":[{"name":"a","n":10,"missing":0,"edges":[1,3.25,5.5,7.75,10],"counts":[3,2,2,3],"shares":[0.3,0.2,0.2,0.3]},{"name":"c","n":10,"missing":0,"edges":[5],"counts":[10],"shares":[1]}]}'

# A batch of ten rows against REF: a falls in the bins 4,3,1,2 times
# ({1,2,2,3} {4,5,5} {6} {8,10}), shares .4 .3 .1 .2 against .3 .2 .2 .3:
#   PSI(a) = .1 ln(.4/.3) + .1 ln(.3/.2) + .1 ln(.2/.1) + .1 ln(.3/.2)
#          = .1 (.28768 + .40547 + .69315 + .40547) = .17918
# (eps = 1e-6 moves the last digits); PSI(c) = 0 as c has one bin.
# drift_score = (.17918 + 0) / 2 = .08959, below .1: stable.
# Chi-square, 3 degrees of freedom, M = N = 10:
#   stat = .17918 / (1/10 + 1/10) = .8959, p = .826
#   psi_crit = 7.8147 (the .95 quantile) * .2 = 1.56295
B1='{"batch_id":"b1","features":{"a":[1,2,2,3,4,5,5,6,8,10],"c":[5,5,5,5,5,5,5,5,5,5]}}'
D1='{"psi":{"a":0.1791750302615207,"c":0},"p_value":{"a":0.8264231143126505,"c":1},"psi_crit":{"a":1.5629455806502357,"c":null},"drift_score":0.08958751513076035,"status":"stable","n":10,"missing":{"a":0,"c":0}}'

# Two-row batches against REF, for --window:
#   b1 a=[1,2]  -> counts 2,0,0,0     b2 a=[9,10] -> 0,0,0,2
#   b3 a=[5,6]  -> 0,1,1,0
W1='{"batch_id":"w1","features":{"a":[1,2],"c":[5,5]}}'
W2='{"batch_id":"w2","features":{"a":[9,10],"c":[5,5]}}'
W3='{"batch_id":"w3","features":{"a":[5,6],"c":[5,5]}}'

make_ref() {
	printf '%s\n' "$TRAIN" >train.ndjson
	printf '%s\n' "$REF" >ref.json
}

# A reference of 1..100 in four bins: edges 1, 25.75, 50.5, 75.25, 100
# (virtual indexes 99q = 24.75, 49.5, 74.25), 25 values in each bin.
# With two features a and b when given "ab".
make_ref100() {
	local v
	v=$(seq -s, 1 100)
	if [ "${1:-}" = ab ]; then
		printf '{"batch_id":"t","features":{"a":[%s],"b":[%s]}}\n' \
		    "$v" "$v" | mm-psi --fit --bins 4 >ref100.json
	else
		printf '{"batch_id":"t","features":{"a":[%s]}}\n' "$v" |
		    mm-psi --fit --bins 4 >ref100.json
	fi
}

drift_of() {
	sed 's/.*,"drift"://; s/}$//'
}

# --fit

@test "--fit writes numpy-style quantile edges, bin counts and shares" {
	make_ref
	run_split mm-psi --fit --bins 4 train.ndjson
	assert_success
	assert_output "$REF"
	assert_equal "$stderr" ""
}

@test "--fit pools records, removes duplicate edges and counts missing values" {
	# x sorted = 1,1,1,1,1,1,2,3,4,5: quantiles at 9q = 0, 2.25, 4.5, 6.75,
	# 9 are 1, 1, 1, 2 + .75 * 1 = 2.75, 5; duplicates removed leave
	# edges 1, 2.75, 5 and two bins {1 x6, 2} {3,4,5} = 7,3.
	# k is constant: one edge, one bin, 10 values.
	# m without its two nulls = -1,.5,2,3,4,5,6,7: 7q = 1.75, 3.5, 5.25
	# give .5 + .75 * 1.5 = 1.625, 3.5, 5.25; two values in each bin.
	printf '%s\n' \
	    '{"batch_id":"r1","features":{"x":[1,1,1,1,1],"k":[7,7,7,7,7],"m":[null,0.5,2,null,-1]}}' \
	    '{"batch_id":"r2","features":{"x":[1,2,3,4,5],"k":[7,7,7,7,7],"m":[3,4,5,6,7]}}' \
	    >fit.ndjson
	run_split mm-psi --fit --bins 4 fit.ndjson
	assert_success
	assert_output '{"format":"mm-reference/1","id":"4cc75578c6d8d3d6","bins":4,"rows":10,"features":[{"name":"x","n":10,"missing":0,"edges":[1,2.75,5],"counts":[7,3],"shares":[0.7,0.3]},{"name":"k","n":10,"missing":0,"edges":[7],"counts":[10],"shares":[1]},{"name":"m","n":8,"missing":2,"edges":[-1,1.625,3.5,5.25,7],"counts":[2,2,2,2],"shares":[0.25,0.25,0.25,0.25]}]}'
	assert_equal "$stderr" ""
}

@test "--fit uses 10 bins by default" {
	make_ref
	run_split mm-psi --fit train.ndjson
	assert_success
	[ "$(grep -o '"bins":10,' <<<"$output")" = '"bins":10,' ]
	[ "$(grep -o '"counts":\[[^]]*\]' <<<"$output")" = \
	    '"counts":[1,1,1,1,1,1,1,1,1,1]
"counts":[10]' ]
	assert_equal "$stderr" ""
}

@test "--fit takes bins from drift.yaml of --config, MM_CONFIG or ./config" {
	make_ref
	mkdir conf
	printf '# four bins\nbins: 4\n' >conf/drift.yaml
	run_split mm-psi --fit --config conf train.ndjson
	assert_success
	assert_output "$REF"
	assert_equal "$stderr" ""

	MM_CONFIG=conf run_split mm-psi --fit train.ndjson
	assert_success
	assert_output "$REF"

	mkdir config
	cp conf/drift.yaml config/
	run_split mm-psi --fit train.ndjson
	assert_success
	assert_output "$REF"
}

@test "--fit: --bins wins over drift.yaml" {
	make_ref
	mkdir conf
	printf 'bins: 4\n' >conf/drift.yaml
	# Two bins: the median at 9 * .5 = 4.5 is 5 + .5 * 1 = 5.5.
	run_split mm-psi --fit --bins 2 --config conf train.ndjson
	assert_success
	[ "$(grep -o '"edges":\[[^]]*\]' <<<"$output")" = \
	    '"edges":[1,5.5,10]
"edges":[5]' ]
	assert_equal "$stderr" ""
}

# PSI

@test "PSI: the drift object of a hand-computed batch" {
	make_ref
	run_split mm-psi --ref ref.json <<<"$B1"
	assert_success
	assert_output "${B1%\}},\"drift\":$D1}"
	assert_equal "$stderr" ""
}

@test "PSI: other fields pass through byte for byte; drift is replaced in place" {
	make_ref
	# The same values as B1, written differently; the old drift sits
	# between other fields and is replaced where it stands.
	in='{ "z":[1, 2] , "batch_id" : "b1","x":1.50,"e":1e-7,"features":{"c":[5,5,5,5,5.0,5,5,5,5,5e0],"a":[1.0,2,2,3,4,5,5,6,8,10]},"drift":{"old":true} ,"u":{"k":[null,"s\"}"]},"n":-0.0}'
	run_split mm-psi --ref ref.json <<<"$in"
	assert_success
	assert_output "${in/\"drift\":\{\"old\":true\}/\"drift\":$D1}"
	assert_equal "$stderr" ""
}

@test "PSI: null values are counted in missing and left out of the shares" {
	make_ref
	# a: 10 values of B1 plus two nulls; c: one null. Shares and PSI are
	# those of B1; n counts every row.
	run_split mm-psi --ref ref.json <<<'{"batch_id":"b","features":{"a":[1,null,2,2,3,4,5,5,6,8,10,null],"c":[5,5,5,5,5,5,5,5,5,null,5,5]}}'
	assert_success
	assert_output '{"batch_id":"b","features":{"a":[1,null,2,2,3,4,5,5,6,8,10,null],"c":[5,5,5,5,5,5,5,5,5,null,5,5]},"drift":{"psi":{"a":0.1791750302615207,"c":0},"p_value":{"a":0.8264231143126505,"c":1},"psi_crit":{"a":1.5629455806502357,"c":null},"drift_score":0.08958751513076035,"status":"stable","n":12,"missing":{"a":2,"c":1}}}'
	assert_equal "$stderr" ""
}

@test "PSI: values outside the training range fall in the outer bins" {
	make_ref
	# a = -5, 0 | 11, 100 (the nulls aside): counts 2,0,0,2, shares
	# .5 0 0 .5 against .3 .2 .2 .3:
	#   PSI = .2 ln((.5+eps)/(.3+eps)) * 2 + .2 ln((.2+eps)/eps) * 2
	#       = .2 * .5108 * 2 + .2 * 12.206 * 2 = 5.0868
	# c = 4 and 6 lie outside the single value 5: all in its one bin.
	in='{"batch_id":"b","features":{"a":[null,-5,0,11,100,null],"c":[5,null,5,4,6,5]}}'
	run_split mm-psi --ref ref.json <<<"$in"
	assert_success
	assert_output "${in%\}},\"drift\":{\"psi\":{\"a\":5.086760774381554,\"c\":0},\"p_value\":{\"a\":0.0022618801358244146,\"c\":1},\"psi_crit\":{\"a\":2.7351547661379123,\"c\":null},\"drift_score\":2.543380387190777,\"status\":\"severe\",\"n\":6,\"missing\":{\"a\":2,\"c\":1}}}"
	assert_equal "$stderr" ""

	run_split mm-psi --ref ref.json --counts <<<"$in"
	assert_success
	assert_output '{"batch_id":"b","counts":{"ref":"5f3db756487b7958","n":6,"bins":{"a":[2,0,0,2],"c":[5]},"missing":{"a":2,"c":1}}}'
}

@test "PSI: features not in the reference are ignored with one warning per run" {
	make_ref
	x=',"x":[0,0,0,0,0,0,0,0,0,0],"y":[1,1,1,1,1,1,1,1,1,1]'
	r1="${B1%\}\}}$x}}"
	printf '%s\n' "$r1" "$r1" >one.ndjson
	printf '%s\n' "$r1" >two.ndjson
	run_split mm-psi --ref ref.json one.ndjson two.ndjson
	assert_success
	assert_output "${r1%\}},\"drift\":$D1}
${r1%\}},\"drift\":$D1}
${r1%\}},\"drift\":$D1}"
	assert_equal "$stderr" \
	    "mm-psi: ignoring features not in the reference, such as 'x'"
}

@test "PSI: features are matched by name, in any order" {
	make_ref
	run_split mm-psi --ref ref.json <<<'{"batch_id":"b1","features":{"c":[5,5,5,5,5,5,5,5,5,5],"a":[10,8,6,5,5,4,3,2,2,1]}}'
	assert_success
	[ "$(drift_of <<<"$output")" = "$D1" ]
	assert_equal "$stderr" ""
}

@test "--window 2 gives the PSI of the last two batches together" {
	make_ref
	printf '%s\n' "$W1" "$W2" "$W3" >w.ndjson
	printf '%s\n' "$W1" \
	    '{"batch_id":"w12","features":{"a":[1,2,9,10],"c":[5,5,5,5]}}' \
	    '{"batch_id":"w23","features":{"a":[9,10,5,6],"c":[5,5,5,5]}}' \
	    >together.ndjson
	run_split mm-psi --ref ref.json --window 2 w.ndjson
	assert_success
	assert_equal "$stderr" ""
	[ "$(wc -l <<<"$output")" -eq 3 ]
	got=$(drift_of <<<"$output")
	want=$(mm-psi --ref ref.json together.ndjson | drift_of)
	assert_equal "$got" "$want"
	# The window's n counts the rows of both batches.
	assert_equal "$(grep -o '"n":[0-9]*' <<<"$output" | tr '\n' ' ')" \
	    '"n":2 "n":4 "n":4 '
	# Batch records pass through unchanged.
	assert_equal "$(sed 's/,"drift":.*/}/' <<<"$output")" "$(cat w.ndjson)"
}

@test "--window 1 is plain PSI" {
	make_ref
	printf '%s\n' "$W1" "$W2" "$W3" >w.ndjson
	run_split mm-psi --ref ref.json --window 1 w.ndjson
	assert_success
	assert_output "$(mm-psi --ref ref.json w.ndjson)"
}

@test "--threshold chi2 keeps a small noisy batch stable that fixed bands flag" {
	make_ref100
	# 8 rows against 100, bins of 25 each (shares .25):
	#  m: counts 3,1,2,2, shares .375 .125 .25 .25
	#     PSI = .125 ln 1.5 + .125 ln 2 = .1373: moderate
	#     stat = .1373 / (1/100 + 1/8) = 1.017, chi2(3) p = .797
	#  s: counts 4,1,1,2, shares .5 .125 .125 .25
	#     PSI = .25 ln 2 + 2 * .125 ln 2 = .3466: severe
	#     stat = .3466 / .135 = 2.567, p = .463
	# Neither is significant at .05, so chi2 calls both stable.
	printf '%s\n' \
	    '{"batch_id":"m","features":{"a":[1,2,3,30,60,61,80,90]}}' \
	    '{"batch_id":"s","features":{"a":[1,2,3,4,30,60,80,90]}}' \
	    >noisy.ndjson
	run_split mm-psi --ref ref100.json noisy.ndjson
	assert_success
	assert_equal "$(grep -o '"p_value":{"a":[^}]*},"psi_crit":{[^}]*},"drift_score":[^,]*,"status":"[a-z]*"' <<<"$output")" \
	    '"p_value":{"a":0.7970832272211772},"psi_crit":{"a":1.0549882669389092},"drift_score":0.13732586942040256,"status":"moderate"
"p_value":{"a":0.4632687293357883},"psi_crit":{"a":1.0549882669389092},"drift_score":0.3465720902874726,"status":"severe"'
	assert_equal "$stderr" ""

	run_split mm-psi --ref ref100.json --threshold chi2 noisy.ndjson
	assert_success
	assert_equal "$(grep -o '"drift_score":[^,]*,"status":"[a-z]*"' <<<"$output")" \
	    '"drift_score":0.13732586942040256,"status":"stable"
"drift_score":0.3465720902874726,"status":"stable"'
	assert_equal "$stderr" ""

	# threshold: chi2 in drift.yaml does the same; --threshold wins.
	mkdir conf
	printf 'threshold: chi2\n' >conf/drift.yaml
	run_split mm-psi --ref ref100.json --config conf noisy.ndjson
	assert_success
	assert_equal "$(grep -o '"status":"[a-z]*"' <<<"$output")" \
	    '"status":"stable"
"status":"stable"'
	run_split mm-psi --ref ref100.json --config conf --threshold fixed \
	    noisy.ndjson
	assert_success
	assert_equal "$(grep -o '"status":"[a-z]*"' <<<"$output")" \
	    '"status":"moderate"
"status":"severe"'
}

@test "--threshold chi2 still flags drift that is large and significant" {
	make_ref100
	# 40 rows all in the first bin: shares 1 0 0 0 against .25 each.
	printf '{"batch_id":"big","features":{"a":[%s]}}\n' \
	    "$(seq -s, 1 20),$(seq -s, 1 20)" >big.ndjson
	run_split mm-psi --ref ref100.json --threshold chi2 big.ndjson
	assert_success
	# PSI = .75 ln(1/.25) + 3 * .25 ln(.25/eps) = 1.0397 + 9.3219 = 10.3616
	# stat = 10.3616 / (1/100 + 1/40) = 296: p far below .05.
	assert_equal "$(drift_of <<<"$output")" '{"psi":{"a":10.36163366847283},"p_value":{"a":7.134455537588528e-64},"psi_crit":{"a":0.2735154766137913},"drift_score":10.36163366847283,"status":"severe","n":40,"missing":{"a":0}}'
	assert_equal "$stderr" ""
}

@test "--threshold chi2 applies Benjamini-Hochberg across features" {
	make_ref100 ab
	cp ref100.json refab.json
	make_ref100
	# 20 rows; a counts 11,5,2,2 (shares .55 .25 .1 .1), b 5,5,5,5:
	#   PSI(a) = .3 ln 2.2 + 2 * .15 ln 2.5 = .2365 + .2749 = .5114
	#   stat = .5114 / (1/100 + 1/20) = 8.52, chi2(3) p = .0363
	#   PSI(b) = 0, p = 1; drift_score = .2557: severe by the bands.
	# Alone, p(a) = .036 <= .05 is significant.  Across two features BH
	# needs p(1) <= .05/2 or p(2) <= .05: .036 > .025 and 1 > .05, so
	# nothing is significant and chi2 says stable.
	a='1,2,3,4,5,6,7,8,9,10,11,30,31,32,33,34,60,61,80,90'
	b='1,2,3,4,5,30,31,32,33,34,60,61,62,63,64,80,81,82,83,84'
	printf '{"batch_id":"bh","features":{"a":[%s],"b":[%s]}}\n' "$a" "$b" \
	    >ab.ndjson
	printf '{"batch_id":"bh","features":{"a":[%s]}}\n' "$a" >a.ndjson
	run_split mm-psi --ref refab.json ab.ndjson
	assert_success
	assert_equal "$(drift_of <<<"$output")" '{"psi":{"a":0.5114219731405771,"b":0},"p_value":{"a":0.036341968213855484,"b":1},"psi_crit":{"a":0.4688836741950707,"b":0.4688836741950707},"drift_score":0.25571098657028857,"status":"severe","n":20,"missing":{"a":0,"b":0}}'

	run_split mm-psi --ref refab.json --threshold chi2 ab.ndjson
	assert_success
	assert_equal "$(grep -o '"status":"[a-z]*"' <<<"$output")" \
	    '"status":"stable"'

	run_split mm-psi --ref ref100.json --threshold chi2 a.ndjson
	assert_success
	assert_equal "$(grep -o '"status":"[a-z]*"' <<<"$output")" \
	    '"status":"severe"'
	assert_equal "$stderr" ""
}

@test "--alpha changes psi_crit, not the p-value" {
	make_ref100
	printf '{"batch_id":"m","features":{"a":[1,2,3,30,60,61,80,90]}}\n' \
	    >m.ndjson
	# psi_crit = chi2(3) quantile at 1 - alpha, times 1/100 + 1/8:
	#   alpha .05: 7.8147 * .135 = 1.05499
	#   alpha .01: 11.3449 * .135 = 1.53156
	run_split mm-psi --ref ref100.json --alpha 0.01 m.ndjson
	assert_success
	assert_equal "$(grep -o '"p_value":.*"psi_crit":{[^}]*}' <<<"$output")" \
	    '"p_value":{"a":0.7970832272211772},"psi_crit":{"a":1.5315570085694898}'
	assert_equal "$stderr" ""

	mkdir conf
	printf 'alpha: 0.01\n' >conf/drift.yaml
	run_split mm-psi --ref ref100.json --config conf m.ndjson
	assert_success
	assert_equal "$(grep -o '"psi_crit":{[^}]*}' <<<"$output")" \
	    '"psi_crit":{"a":1.5315570085694898}'
	run_split mm-psi --ref ref100.json --config conf --alpha 0.05 m.ndjson
	assert_success
	assert_equal "$(grep -o '"psi_crit":{[^}]*}' <<<"$output")" \
	    '"psi_crit":{"a":1.0549882669389092}'
}

@test "moderate and severe come from drift.yaml" {
	make_ref
	mkdir conf
	printf 'moderate: 0.05\nsevere: 0.08\n' >conf/drift.yaml
	# drift_score .08959 of B1: above both.
	run_split mm-psi --ref ref.json --config conf <<<"$B1"
	assert_success
	assert_equal "$(grep -o '"status":"[a-z]*"' <<<"$output")" \
	    '"status":"severe"'
	printf 'moderate: 0.05\n' >conf/drift.yaml
	run_split mm-psi --ref ref.json --config conf <<<"$B1"
	assert_equal "$(grep -o '"status":"[a-z]*"' <<<"$output")" \
	    '"status":"moderate"'
}

@test "eps from drift.yaml bounds the PSI of an empty bin" {
	make_ref
	mkdir conf
	printf 'eps: 0.01\n' >conf/drift.yaml
	# a = 1,2 | 9,10 (W1+W2 shape): shares .5 0 0 .5, eps .01:
	#   2 * .2 ln(.51/.31) + 2 * .2 ln(.21/.01)
	#   = 2 * .2 * .49784 + 2 * .2 * 3.04452 = 1.41694
	run_split mm-psi --ref ref.json --config conf <<<'{"batch_id":"e","features":{"a":[1,2,9,10],"c":[5,5,5,5]}}'
	assert_success
	assert_equal "$(grep -o '"psi":{"a":[^,]*' <<<"$output")" \
	    '"psi":{"a":1.416944346385041'
}

@test "--fail-on severe exits 1 after writing every record" {
	make_ref
	printf '%s\n' "$B1" "$W1" "$B1" >in.ndjson
	run_split mm-psi --ref ref.json --fail-on severe in.ndjson
	assert_failure 1
	assert_output "$(mm-psi --ref ref.json in.ndjson)"
	[ "$(wc -l <<<"$output")" -eq 3 ]
	assert_equal "$stderr" ""
}

@test "--fail-on moderate exits 1 on a moderate batch, severe does not" {
	make_ref100
	printf '{"batch_id":"m","features":{"a":[1,2,3,30,60,61,80,90]}}\n' \
	    >m.ndjson
	run_split mm-psi --ref ref100.json --fail-on moderate m.ndjson
	assert_failure 1
	assert_equal "$(grep -o '"status":"[a-z]*"' <<<"$output")" \
	    '"status":"moderate"'
	assert_equal "$stderr" ""
	run_split mm-psi --ref ref100.json --fail-on severe m.ndjson
	assert_success
	assert_equal "$stderr" ""
}

@test "--fail-on is not reached on stable batches, nor when chi2 calls them stable" {
	make_ref
	run_split mm-psi --ref ref.json --fail-on moderate <<<"$B1"
	assert_success
	assert_output "${B1%\}},\"drift\":$D1}"
	make_ref100
	printf '{"batch_id":"s","features":{"a":[1,2,3,4,30,60,80,90]}}\n' \
	    >s.ndjson
	run_split mm-psi --ref ref100.json --fail-on moderate --threshold chi2 \
	    s.ndjson
	assert_success
	assert_equal "$stderr" ""
}

@test "several FILE arguments are read in order; - is standard input" {
	make_ref
	printf '%s\n' "$W1" >1.ndjson
	printf '%s\n' "$W2" "$W3" >2.ndjson
	run_split mm-psi --ref ref.json 1.ndjson - 2.ndjson <<<"$B1"
	assert_success
	assert_equal "$(sed 's/,"drift".*//' <<<"$output")" \
	    "${W1%\}}
${B1%\}}
${W2%\}}
${W3%\}}"
	assert_equal "$(sed -n 2p <<<"$output" | drift_of)" "$D1"
	assert_equal "$stderr" ""
}

@test "the reference comes from the model store's active version" {
	make_ref
	want=$(mm-psi --ref ref.json <<<"$B1")
	mkdir -p store/versions/v1 store/versions/v0
	printf '%s\n' "$REF" >store/versions/v1/reference.json
	printf '{"format":"mm-reference/1"}\n' >store/versions/v0/reference.json
	printf '{"version":"v1","previous_version":"v0"}\n' >store/active.json

	run_split mm-psi --models store <<<"$B1"
	assert_success
	assert_output "$want"
	assert_equal "$stderr" ""

	MM_MODELS=store run_split mm-psi <<<"$B1"
	assert_success
	assert_output "$want"
	assert_equal "$stderr" ""

	mv store models
	run_split mm-psi <<<"$B1"
	assert_success
	assert_output "$want"
	assert_equal "$stderr" ""
}

@test "--ref wins over the model store" {
	make_ref
	mkdir -p models/versions/v1
	printf '{"version":"v1"}\n' >models/active.json
	printf '{"format":"mm-reference/1"}\n' >models/versions/v1/reference.json
	run_split mm-psi --ref ref.json <<<"$B1"
	assert_success
	assert_output "${B1%\}},\"drift\":$D1}"
}

@test "no --ref and no model store is a usage error" {
	run_split mm-psi <<<"$B1"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-psi: no reference: give --ref FILE, or a model store with an active version (--models DIR)"

	mkdir empty
	run_split mm-psi --models empty <<<"$B1"
	assert_failure 2
	assert_equal "$stderr" "mm-psi: no reference: give --ref FILE, or a model store with an active version (--models DIR)"
}

# --counts and --merge

@test "--counts writes the bin counts in place of features" {
	make_ref
	# B1's a: 4,3,1,2 as above; c: all ten in its one bin.
	run_split mm-psi --ref ref.json --counts <<<'{"batch_id":"b1","ts":5,"features":{"a":[1,2,2,3,4,5,5,6,8,10],"c":[5,5,5,5,5,5,5,5,5,5]},"labels":[1,0,1,0,1,0,1,0,1,null],"pred":[1,1,1,1,1,1,1,1,1,1],"proba":[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5],"drift":{"x":1},"note":"k","metrics":{"f1":0.5}}'
	assert_success
	assert_output '{"batch_id":"b1","ts":5,"note":"k","metrics":{"f1":0.5},"counts":{"ref":"5f3db756487b7958","n":10,"bins":{"a":[4,3,1,2],"c":[10]},"missing":{"a":0,"c":0}}}'
	assert_equal "$stderr" ""
}

@test "--merge of one count record gives the PSI of its batch" {
	make_ref
	run_split sh -c "mm-psi --ref ref.json --counts | mm-psi --ref ref.json --merge" <<<"$B1"
	assert_success
	assert_output "{\"n_records\":1,\"drift\":$D1}"
	assert_equal "$stderr" ""
}

# Six batches of seven rows; a runs past the training range on both
# sides and every eleventh value is missing.  whole.ndjson holds all 42
# rows in one batch.
make_batches() {
	local i j k v a c all_a='' all_c=''
	: >batches.ndjson
	for i in 1 2 3 4 5 6; do
		a='' c=''
		for j in 1 2 3 4 5 6 7; do
			k=$(((i - 1) * 7 + j))
			if ((k % 11 == 0)); then v=null; else v=$((k * 37 % 15 - 2)); fi
			a+=${a:+,}$v
			c+=${c:+,}$((4 + k % 3))
		done
		printf '{"batch_id":"b%d","features":{"a":[%s],"c":[%s]}}\n' \
		    "$i" "$a" "$c" >>batches.ndjson
		all_a+=${all_a:+,}$a
		all_c+=${all_c:+,}$c
	done
	printf '{"batch_id":"all","features":{"a":[%s],"c":[%s]}}\n' \
	    "$all_a" "$all_c" >whole.ndjson
}

@test "--merge of counts from shards in separate processes equals PSI of the whole" {
	make_ref
	make_batches
	sed -n 1,2p batches.ndjson >s1
	sed -n 3,4p batches.ndjson >s2
	sed -n 5,6p batches.ndjson >s3
	for s in s1 s2 s3; do
		mm-psi --ref ref.json --counts "$s" >"$s.counts" &
	done
	wait
	[ "$(cat s?.counts | wc -l)" -eq 6 ]
	want=$(mm-psi --ref ref.json whole.ndjson | drift_of)
	[[ $want == *'"n":42,"missing":{"a":3,"c":0}}' ]]
	run_split sh -c 'cat s1.counts s2.counts s3.counts | mm-psi --ref ref.json --merge'
	assert_success
	assert_output "{\"n_records\":6,\"drift\":$want}"
	assert_equal "$stderr" ""
}

@test "--merge of shards made by mm-gen equals PSI of one batch from mm-batch" {
	[ -x "$MM_BIN/mm-gen" ] && [ -x "$MM_BIN/mm-batch" ] ||
	    skip "mm-gen and mm-batch are not built yet"
	mm-gen --batches 1 --batch-size 400 --seed 1 | mm-psi --fit >ref.json
	mm-gen --batches 6 --batch-size 50 --seed 2 >batches.ndjson
	split -l 2 batches.ndjson shard.
	for s in shard.aa shard.ab shard.ac; do
		mm-psi --ref ref.json --counts "$s" >"$s.counts" &
	done
	wait
	want=$(mm-gen --batches 6 --batch-size 50 --seed 2 --format rows |
	    mm-batch --size 300 | mm-psi --ref ref.json 2>/dev/null | drift_of)
	[[ $want == *'"n":300,'* ]]
	run_split sh -c 'cat shard.a?.counts | mm-psi --ref ref.json --merge'
	assert_success
	assert_output "{\"n_records\":6,\"drift\":$want}"
	assert_equal "$stderr" ""
}

@test "--merge --by FIELD gives one result per value, in first-seen order" {
	make_ref
	printf '%s\n' \
	    '{"batch_id":"w1","day":"d2","features":{"a":[1,2],"c":[5,5]}}' \
	    '{"batch_id":"w2","day":"d1","features":{"a":[9,10],"c":[5,5]}}' \
	    '{"batch_id":"w3","day": "d2","features":{"a":[5,6],"c":[5,5]}}' \
	    '{"batch_id":"w4","day":7,"features":{"a":[9,10],"c":[5,5]}}' |
	    mm-psi --ref ref.json --counts >c.ndjson
	# d2 = w1 + w3: a = 1,2,5,6, the same counts as 1,2 | 5,6.
	d2=$(mm-psi --ref ref.json <<<'{"batch_id":"x","features":{"a":[1,2,5,6],"c":[5,5,5,5]}}' | drift_of)
	d1=$(mm-psi --ref ref.json <<<"$W2" | drift_of)
	run_split mm-psi --ref ref.json --merge --by day c.ndjson
	assert_success
	assert_output "{\"day\":\"d2\",\"n_records\":2,\"drift\":$d2}
{\"day\":\"d1\",\"n_records\":1,\"drift\":$d1}
{\"day\":7,\"n_records\":1,\"drift\":$d1}"
	assert_equal "$stderr" ""
}

@test "--merge with --fail-on judges the merged result" {
	make_ref
	printf '%s\n' "$W1" "$W2" | mm-psi --ref ref.json --counts >c.ndjson
	run_split mm-psi --ref ref.json --merge --fail-on severe c.ndjson
	assert_failure 1
	assert_equal "$(grep -o '"status":"[a-z]*"' <<<"$output")" \
	    '"status":"severe"'
	assert_equal "$stderr" ""
}

@test "--merge refuses counts made with another reference" {
	make_ref
	make_ref100
	printf '%s\n' "$B1" | mm-psi --ref ref.json --counts >c.ndjson
	run_split mm-psi --ref ref100.json --merge c.ndjson
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-psi: c.ndjson:1: counts were made with reference '5f3db756487b7958', not '94606a1715751836'"
}

@test "--merge: a record without counts, or without the --by field" {
	make_ref
	printf '%s\n' "$B1" | mm-psi --ref ref.json --counts >c.ndjson
	run_split mm-psi --ref ref.json --merge --by day c.ndjson
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-psi: c.ndjson:1: 'day' missing"
	run_split mm-psi --ref ref.json --merge <<<"$B1"
	assert_failure 2
	assert_equal "$stderr" "mm-psi: line 1: 'counts' missing (make count records with mm-psi --counts)"
}

@test "--merge of no records writes nothing" {
	make_ref
	run_split mm-psi --ref ref.json --merge </dev/null
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
}
