#!/usr/bin/env bats
# mm-psi agrees with an independent numpy/scipy computation to 1e-9, and
# mm-train's forest scores within 0.01 F1 of scikit-learn's.

load helper
bats_require_minimum_version 1.5.0

@test "PSI, p-values, critical values and edges match numpy/scipy" {
	run "$MM_TOP/scripts/verify.sh" 1500
	assert_success
	assert_line --regexp '^verify_psi: [0-9]+ values checked, 0 differ$'
	refute_output --regexp ', [1-9][0-9]* differ'
	[ "$(grep -c ', 0 differ$' <<<"$output")" -eq 3 ]
}

@test "random forest F1 is within 0.01 of scikit-learn's on the same rows" {
	run_split "$MM_TOP/scripts/verify.sh" 1500
	assert_success
	[ -z "$stderr" ]
	assert_line 'split: 3750 train rows, 1250 validation rows (stratified, seed 0)'
	assert_line --regexp '^mm-train:  F1 0\.[0-9]{6} on 1250 validation rows \(card\.json, mm-predict: same\)$'
	assert_line --regexp '^sklearn:   F1 0\.[0-9]{6} \(RandomForestClassifier, 3750 train rows\)$'
	assert_line --regexp '^verify_model: F1 mm 0\.[0-9]{4} sklearn 0\.[0-9]{4} diff [+-]0\.0[01][0-9]{2}, within 0\.01$'
	refute_output --partial 'beyond'
}
