#!/usr/bin/env bats
# mm-psi agrees with an independent numpy/scipy computation to 1e-9.

load helper

@test "PSI, p-values, critical values and edges match numpy/scipy" {
	run "$MM_TOP/scripts/verify.sh" 1500
	assert_success
	assert_line --regexp '^verify_psi: [0-9]+ values checked, 0 differ$'
	refute_output --regexp ', [1-9][0-9]* differ'
	[ "$(grep -c ', 0 differ$' <<<"$output")" -eq 3 ]
}
