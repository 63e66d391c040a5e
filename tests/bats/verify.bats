#!/usr/bin/env bats
# mm-psi agrees with an independent numpy/scipy computation to 1e-9
# (reference edges to the last bit), and mm-train's forest scores within
# 0.01 F1 of scikit-learn's: on mm-gen's rows, and in the mean over
# splits of real tables (a category, missing cells, string labels, many
# classes), where it must also fit at least 3 times as fast.

load helper
bats_require_minimum_version 1.5.0

@test "reference, counts, PSI, p-values and statuses match numpy/scipy" {
	run_split "$MM_TOP/scripts/verify.sh" psi
	assert_success
	[ -z "$stderr" ]
	# Seven runs: 20-row and 5000-row batches, --window 5, --merge,
	# two comparisons of window and merge, --threshold fixed.
	[ "$(grep -c '^verify_psi: [0-9]* values checked, 0 differ$' \
	    <<<"$output")" -eq 7 ]
	refute_output --regexp ', [1-9][0-9]* differ'
	# Every way to a p-value was taken and checked, and so were the
	# edges that give a point mass a bin of its own (46% zeros at the
	# bottom of one feature, a mass in the middle and one at the top of
	# another).
	for check in reference 'split edges' counts psi 'p chi2' 'p exact' \
	    'p merged' 'p monte carlo' 'p monte carlo bias' 'p one bin' \
	    status same; do
		assert_line --regexp "^$check: [1-9][0-9]* values checked, 0 differ"
	done
}

@test "random forest F1 is within 0.01 of scikit-learn's on the same rows" {
	run_split "$MM_TOP/scripts/verify.sh" model
	assert_success
	[ -z "$stderr" ]
	assert_line 'split: 3750 train rows, 1250 validation rows (stratified, seed 0)'
	assert_line --regexp '^mm-train:  F1 0\.[0-9]{6} on 1250 validation rows \(card\.json, mm-predict: same\)$'
	assert_line --regexp '^sklearn:   F1 0\.[0-9]{6} \(RandomForestClassifier, 3750 train rows\)$'
	assert_line --regexp '^verify_model: F1 mm 0\.[0-9]{4} sklearn 0\.[0-9]{4} diff [+-]0\.0[01][0-9]{2}, within 0\.01$'
	refute_output --partial 'beyond'
}

@test "forest on real tables: mean F1 within 0.01 of scikit-learn's" {
	# Three splits keep it short; make verify takes ten, and judges the
	# times too (a test suite, under sanitizers perhaps, times nothing).
	export MM_VERIFY_SPLITS=3 MM_VERIFY_SPEED=0
	run_split "$MM_TOP/scripts/verify.sh" tabular
	assert_success
	[ -z "$stderr" ]
	f1='[01]\.[0-9]{4}±0\.[0-9]{4}'
	s='[0-9]+\.[0-9]{3} s'
	for name in breast_cancer wine digits; do
		for k in 0 1 2; do
			assert_line --regexp "^$name split $k: F1 mm [01]\.[0-9]{6} sklearn [01]\.[0-9]{6}; fit mm $s sklearn $s; mm-train $s$"
		done
		assert_line --regexp "^verify_tabular: $name F1 mm $f1 sklearn $f1 diff [+-]0\.0(0[0-9]{2}|100), within 0\.01; fit mm $s sklearn $s, [0-9]+\.[0-9]x faster; mm-train $s, [0-9]+\.[0-9]x \(3 splits\)$"
	done
	refute_output --partial 'beyond'
	refute_output --partial 'problems'
}
