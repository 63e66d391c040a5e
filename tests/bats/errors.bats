#!/usr/bin/env bats
# mm-psi on bad input, bad config and bad options.  A bad line stops the
# run with exit 2 and one message naming the line, after every record
# before it is written; --skip-bad counts instead.

load helper
bats_require_minimum_version 1.5.0

# Reference: a = 1..10 in four bins (edges 1, 3.25, 5.5, 7.75, 10), c = 5.
REF='{"format":"mm-reference/1","id":"5f3db756487b7958","bins":4,"rows":10,"features":[{"name":"a","n":10,"missing":0,"edges":[1,3.25,5.5,7.75,10],"counts":[3,2,2,3],"shares":[0.3,0.2,0.2,0.3]},{"name":"c","n":10,"missing":0,"edges":[5],"counts":[10],"shares":[1]}]}'
GOOD='{"batch_id":"g","features":{"a":[1,2],"c":[5,5]}}'
# GOOD against REF (an mm-reference/1 file, loaded as numeric a with a
# missing bin and discrete c): a counts 2,0,0,0,0 against 3,2,2,3,0; the
# four bins not empty in both give shares (c + .5)/4 = .625,.125,.125,.125
# and (r + .5)/12, so PSI = 0.48040059804116464 (numpy), below the noise
# 3 (1/10 + 1/2) = 1.8, psi_adj 0; expected counts are small, so the
# p-value is Monte Carlo (20 of the first 40 tables as extreme: 0.5);
# psi_crit = chi2.isf(.01, 3) * .6.  c is one value: one bin, no test.
GOOD_OUT='{"batch_id":"g","features":{"a":[1,2],"c":[5,5]},"drift":{"psi":{"a":0.48040059804116464,"c":0},"psi_adj":{"a":0,"c":0},"p_value":{"a":0.5,"c":1},"psi_crit":{"a":6.806920038086621,"c":null},"drifted":[],"drift_score":0,"status":"stable","n":2,"missing":{"a":0,"c":0},"ref":"294f20f79048a3a7","counts":{"a":[2,0,0,0,0],"c":[2,0,0]}}}'

make_ref() {
	printf '%s\n' "$REF" >ref.json
}

# bad_line LINE MESSAGE [OPTION...]: GOOD, LINE, GOOD on standard input
# stop at line 2 with exit 2 and "mm-psi: line 2: MESSAGE", after the
# first record is written whole.
bad_line() {
	local line=$1 msg=$2
	shift 2
	make_ref
	printf '%s\n%s\n%s\n' "$GOOD" "$line" "$GOOD" >in.ndjson
	run_split mm-psi --ref ref.json "$@" <in.ndjson
	assert_failure 2
	assert_output "$GOOD_OUT"
	assert_equal "$stderr" "mm-psi: line 2: $msg"
}

@test "truncated JSON" {
	bad_line '{"batch_id":"b","features":{"a":[1,2' \
	    "invalid JSON: truncated in feature 'a'"
}

@test "truncated JSON after the features" {
	bad_line '{"batch_id":"b","features":{"a":[1,2],"c":[5,5]}' \
	    "invalid JSON: expected ',' or '}', found end of line"
}

@test "text after the object" {
	bad_line "$GOOD x" \
	    "invalid JSON: expected end of line after the object, found 'x'"
}

@test "a line that is not an object" {
	bad_line '[1,2]' "invalid JSON: expected a JSON object, found '['"
}

@test "a non-number in a feature array" {
	bad_line '{"batch_id":"b","features":{"a":[1,"x"],"c":[5,5]}}' \
	    "feature 'a' value 1 is a string, earlier values are numbers"
}

@test "a number out of the double range" {
	bad_line '{"batch_id":"b","features":{"a":[1,1e999],"c":[5,5]}}' \
	    "feature 'a' value 1 is out of range"
}

@test "feature arrays of unequal length" {
	bad_line '{"batch_id":"b","features":{"a":[1,2,3],"c":[5,5]}}' \
	    "feature 'c' has 2 values, 'a' has 3"
}

@test "a feature that appears twice" {
	bad_line '{"batch_id":"b","features":{"a":[1,2],"a":[5,5]}}' \
	    "feature 'a' appears twice"
}

@test "missing batch_id" {
	bad_line '{"features":{"a":[1,2],"c":[5,5]}}' "'batch_id' missing"
}

@test "a batch_id that is not a string" {
	bad_line '{"batch_id":5,"features":{"a":[1,2],"c":[5,5]}}' \
	    "'batch_id' is not a string"
}

@test "missing features" {
	bad_line '{"batch_id":"b"}' "'features' missing"
}

@test "a ts that is not a number" {
	bad_line '{"batch_id":"b","ts":"x","features":{"a":[1,2],"c":[5,5]}}' \
	    "'ts' is not a number"
}

@test "an empty line" {
	bad_line '' "empty line"
}

@test "a line over --max-record" {
	printf -v long '%0300d' 0
	bad_line "{\"batch_id\":\"b\",\"pad\":\"$long\",\"features\":{\"a\":[1,2],\"c\":[5,5]}}" \
	    "record longer than 200 bytes" --max-record 200
}

@test "a batch without a feature of the reference" {
	bad_line '{"batch_id":"b","features":{"x":[1,2],"y":[5,5]}}' \
	    "feature 'a' of the reference is missing from the batch"
}

@test "a batch with no rows" {
	bad_line '{"batch_id":"b","features":{"a":[],"c":[]}}' \
	    "batch 'b' has no rows"
}

@test "a batch with no value in any feature is drift in the missing bins" {
	make_ref
	printf '%s\n' '{"batch_id":"b","features":{"a":[null],"c":[null]}}' \
	    >in.ndjson
	run_split mm-psi --ref ref.json in.ndjson
	assert_success
	# One row, missing in both features: the missing bin is the fifth of
	# a and the third of c; one row is too few to call it drift.
	assert_output --partial '"n":1,"missing":{"a":1,"c":1},"ref":"294f20f79048a3a7","counts":{"a":[0,0,0,0,1],"c":[0,0,1]}}}'
	assert_output --partial '"drifted":[],'
	assert_equal "$stderr" ""
}

@test "a bad line in a FILE is named FILE:LINE" {
	make_ref
	printf '%s\n%s\n' "$GOOD" '{"batch_id":"b"}' >in.ndjson
	run_split mm-psi --ref ref.json in.ndjson
	assert_failure 2
	assert_output "$GOOD_OUT"
	assert_equal "$stderr" "mm-psi: in.ndjson:2: 'features' missing"
}

@test "--counts stops at a bad line too" {
	make_ref
	printf '%s\n%s\n' "$GOOD" '{"batch_id":"b","features":{"a":[1,2' \
	    >in.ndjson
	run_split mm-psi --ref ref.json --counts <in.ndjson
	assert_failure 2
	assert_output '{"batch_id":"g","counts":{"ref":"294f20f79048a3a7","n":2,"bins":{"a":[2,0,0,0,0],"c":[2,0,0]}}}'
	assert_equal "$stderr" "mm-psi: line 2: invalid JSON: truncated in feature 'a'"
}

@test "empty input: no output, exit 0" {
	make_ref
	run_split mm-psi --ref ref.json </dev/null
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
}

@test "--fit on empty input is an error" {
	run_split mm-psi --fit </dev/null
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-psi: no rows to fit a reference on"
}

@test "--fit: a feature without any value" {
	run_split mm-psi --fit <<<'{"batch_id":"b","features":{"a":[1,2],"x":[null,null]}}'
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-psi: feature 'x' has no values to fit"
}

@test "--fit: records with different features" {
	printf '%s\n' '{"features":{"x":[1]}}' '{"features":{"y":[1]}}' \
	    '{"features":{"x":[1],"y":[2]}}' >in.ndjson
	run_split mm-psi --fit in.ndjson
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-psi: in.ndjson:2: feature 'x' missing"
	run_split mm-psi --fit --skip-bad in.ndjson
	assert_success
	assert_equal "$stderr" "mm-psi: skipped 2 bad records"
}

@test "--skip-bad skips bad lines, counts them and keeps the good ones" {
	make_ref
	printf -v long '%0300d' 0
	printf '%s\n' "$GOOD" '{"batch_id":"b","features":{"a":[1,2' "$GOOD" \
	    '' "{\"batch_id\":\"l\",\"pad\":\"$long\"}" \
	    '{"batch_id":"b","features":{"x":[1]}}' "$GOOD" >in.ndjson
	run_split mm-psi --ref ref.json --skip-bad --max-record 200 in.ndjson
	assert_success
	assert_output "$GOOD_OUT
$GOOD_OUT
$GOOD_OUT"
	assert_equal "$stderr" "mm-psi: skipped 4 bad records"

	printf '%s\n' "$GOOD" '' >one.ndjson
	run_split mm-psi --ref ref.json --skip-bad one.ndjson
	assert_success
	assert_output "$GOOD_OUT"
	assert_equal "$stderr" "mm-psi: skipped 1 bad record"
}

@test "--skip-bad with --fail-on still fails on drift" {
	make_ref
	# c was always 5 and is now 9 in all 20 rows: the exact test gives
	# p = 1 / C(30, 20) = 3.3e-8, and psi_adj is far above severe.
	printf '%s\n' '{"batch_id":"d","features":{"a":[1,1,1,1,1,4,4,4,4,4,6,6,6,6,6,8,8,8,8,8],"c":[9,9,9,9,9,9,9,9,9,9,9,9,9,9,9,9,9,9,9,9]}}' \
	    '' >in.ndjson
	run_split mm-psi --ref ref.json --skip-bad --fail-on severe in.ndjson
	assert_failure 1
	assert_output --partial '"drifted":["c"],'
	assert_output --partial '"status":"severe"'
	assert_equal "$stderr" "mm-psi: skipped 1 bad record"
}

# Configuration

conf_error() {
	local yaml=$1 msg=$2
	make_ref
	# A test may call this more than once: mkdir is a process.
	[ -d conf ] || mkdir conf
	printf -- "$yaml" >conf/drift.yaml
	run_split mm-psi --ref ref.json --config conf <<<"$GOOD"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-psi: $msg"
}

@test "drift.yaml: invalid YAML" {
	conf_error 'bins: 4\n- 3\n' \
	    "conf/drift.yaml:2: invalid YAML: did not find expected key"
}

@test "drift.yaml: a tab in the indentation" {
	conf_error 'bins: 4\n\tx\n' "conf/drift.yaml:2: invalid YAML: found a tab character that violates indentation"
}

@test "drift.yaml: an unclosed quote is named where it opens" {
	conf_error 'bins: 4\neps: "abc\nalpha: 0.1\n' \
	    "conf/drift.yaml:2: invalid YAML: found unexpected end of stream while scanning a quoted scalar"
}

@test "drift.yaml: a key given twice" {
	conf_error 'bins: 4\nalpha: 0.1\nbins: 5\n' \
	    "conf/drift.yaml:3: key 'bins' given twice"
}

@test "drift.yaml: an unknown key names file, line and key" {
	conf_error 'bins: 4\nbinz: 3\n' "conf/drift.yaml:2: unknown key 'binz'"
}

@test "drift.yaml: a list is not a key: value file" {
	conf_error '- 1\n' "conf/drift.yaml:1: expected 'key: value' lines"
}

@test "drift.yaml: wrong type" {
	conf_error 'bins: 4\neps: tiny\n' \
	    "conf/drift.yaml:2: 'eps' must be a number, not 'tiny'"
	conf_error 'bins: four\n' \
	    "conf/drift.yaml:1: 'bins' must be a whole number, not 'four'"
}

@test "drift.yaml: a fraction where a whole number is wanted" {
	conf_error 'bins: 3.5\n' \
	    "conf/drift.yaml:1: 'bins' must be a whole number, not '3.5'"
}

@test "drift.yaml: a list where a number is wanted" {
	conf_error 'alpha: [1]\n' "conf/drift.yaml:1: 'alpha' must be a number"
}

@test "drift.yaml: out-of-range values" {
	conf_error 'bins: 1\n' \
	    "conf/drift.yaml:1: 'bins': 1 is out of range [2, 1000]"
	conf_error 'eps: 0.5\n' \
	    "conf/drift.yaml:1: 'eps': 0.5 is out of range [1e-300, 0.1]"
	conf_error 'alpha: 0.6\n' \
	    "conf/drift.yaml:1: 'alpha': 0.6 is out of range [1e-12, 0.5]"
}

@test "drift.yaml: threshold is test or fixed" {
	conf_error 'threshold: maybe\n' \
	    "conf/drift.yaml:1: 'threshold' must be 'test' or 'fixed'"
}

@test "drift.yaml: threshold chi2 is test, with a deprecation warning" {
	make_ref
	mkdir conf
	printf 'threshold: test\n' >conf/drift.yaml
	# exec: with a redirection, bash would fork twice.
	want=$(exec mm-psi --ref ref.json --config conf <<<"$GOOD")
	printf '# older\nthreshold: chi2\n' >conf/drift.yaml
	run_split mm-psi --ref ref.json --config conf <<<"$GOOD"
	assert_success
	assert_output "$want"
	assert_equal "$stderr" "mm-psi: conf/drift.yaml:2: 'threshold: chi2' is now 'threshold: test' (deprecated)"
}

@test "drift.yaml: moderate must be below severe" {
	conf_error 'moderate: 0.3\n' \
	    "conf/drift.yaml: 'moderate' must be below 'severe'"
}

@test "drift.yaml: comments and an empty file are fine" {
	make_ref
	mkdir conf
	: >conf/drift.yaml
	run_split mm-psi --ref ref.json --config conf <<<"$GOOD"
	assert_success
	assert_output "$GOOD_OUT"
	printf '# defaults\nbins: 10  # as built in\n' >conf/drift.yaml
	run_split mm-psi --ref ref.json --config conf <<<"$GOOD"
	assert_success
	assert_output "$GOOD_OUT"
	assert_equal "$stderr" ""
}

@test "--config names a directory that does not exist" {
	make_ref
	run_split mm-psi --ref ref.json --config nodir <<<"$GOOD"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" \
	    "mm-psi: config directory 'nodir': No such file or directory"
}

@test "a bad drift.yaml in MM_CONFIG is reported too" {
	make_ref
	mkdir conf
	printf 'binz: 3\n' >conf/drift.yaml
	MM_CONFIG=conf run_split mm-psi --ref ref.json <<<"$GOOD"
	assert_failure 2
	assert_equal "$stderr" "mm-psi: conf/drift.yaml:1: unknown key 'binz'"
}

# References and files

@test "an edited reference is refused" {
	make_ref
	# sed 's/3\.25/3.5/' on the one line of ref.json, without the sed.
	IFS= read -r ref <ref.json
	printf '%s\n' "${ref/3.25/3.5}" >edited.json
	run_split mm-psi --ref edited.json <<<"$GOOD"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-psi: edited.json: not an mm reference: its id does not match its contents (edited?)"
}

@test "a file that is not a reference" {
	printf '{"a":1}\n' >x.json
	run_split mm-psi --ref x.json <<<"$GOOD"
	assert_failure 2
	assert_equal "$stderr" "mm-psi: x.json: not an mm reference: no \"format\":\"mm-reference/2\""
	printf '{"a":\n' >x.json
	run_split mm-psi --ref x.json <<<"$GOOD"
	assert_failure 2
	assert_equal "$stderr" "mm-psi: x.json:2: invalid reference JSON: unexpected token near end of file"
}

@test "a missing --ref file is a system error" {
	run_split mm-psi --ref nope.json <<<"$GOOD"
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-psi: nope.json: cannot read reference: No such file or directory"
}

@test "an unreadable active.json is a system error" {
	mkdir models
	printf '{"versio\n' >models/active.json
	run_split mm-psi <<<"$GOOD"
	assert_failure 3
	assert_equal "$stderr" "mm-psi: models/active.json: corrupt: unexpected newline near '\"versio'"
}

@test "an active version without its reference is a system error" {
	mkdir -p models/versions/v1
	printf '{"version":"v1"}\n' >models/active.json
	run_split mm-psi <<<"$GOOD"
	assert_failure 3
	assert_equal "$stderr" "mm-psi: models/versions/v1/reference.json: cannot read reference: No such file or directory"
}

@test "a missing input FILE is a system error, after the files before it" {
	make_ref
	printf '%s\n' "$GOOD" >in.ndjson
	run_split mm-psi --ref ref.json in.ndjson nofile.ndjson
	assert_failure 3
	assert_output "$GOOD_OUT"
	assert_equal "$stderr" \
	    "mm-psi: cannot open 'nofile.ndjson': No such file or directory"
}

# Options

# The usage in $usage (a heredoc to cat was two processes a call).
usage_text() {
	IFS= read -r -d '' usage <<'EOF' || true
usage: mm-psi [--ref FILE | --models DIR] [--window N] [--fail-on LEVEL] [--threshold MODE]
              [--alpha A] [--config DIR] [--skip-bad] [--max-record BYTES] [FILE ...]
       mm-psi --fit [--bins N] [--config DIR] [--skip-bad] [--max-record BYTES]
              [FILE ...]
       mm-psi --counts [--ref FILE | --models DIR] [--skip-bad]
              [--max-record BYTES] [FILE ...]
       mm-psi --merge [--by FIELD] [--ref FILE | --models DIR] [--fail-on LEVEL]
              [--threshold MODE] [--alpha A] [--config DIR] [--skip-bad]
              [--max-record BYTES] [FILE ...]
Try 'mm-psi --help' for more information.
EOF
	usage=${usage%$'\n'}
}

bad_option() {
	local msg=$1
	shift
	make_ref
	run_split mm-psi --ref ref.json "$@" <<<"$GOOD"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-psi: $msg"
}

@test "--fail-on bogus" {
	bad_option "--fail-on: 'bogus' is not 'moderate' or 'severe'" \
	    --fail-on bogus
}

@test "--window 0 and --window two" {
	bad_option "--window: '0' is not a whole number from 1 to 1000000" \
	    --window 0
	bad_option "--window: 'two' is not a whole number from 1 to 1000000" \
	    --window two
}

@test "--threshold x" {
	bad_option "--threshold: 'x' is not 'test' or 'fixed'" --threshold x
}

@test "--alpha out of range" {
	bad_option "--alpha: '0.7' is not a number from 1e-12 to 0.5" \
	    --alpha 0.7
}

@test "--bins out of range, or without --fit" {
	bad_option "--bins: '1' is not a whole number from 2 to 1000" \
	    --fit --bins 1
	bad_option "--bins goes with --fit" --bins 4
}

@test "--max-record that is not a size" {
	bad_option "--max-record: '12Q' is not a size such as 4096, 64M or 1G" \
	    --max-record 12Q
}

@test "--by without --merge, --window with --counts" {
	bad_option "--by goes with --merge" --by day
	bad_option "--window goes with PSI mode only" --counts --window 2
}

@test "--fit, --counts and --merge exclude each other" {
	make_ref
	run_split mm-psi --ref ref.json --fit --merge <<<"$GOOD"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-psi: --fit, --counts and --merge exclude each other"
	run_split mm-psi --merge --by day --counts
	assert_failure 2
	assert_equal "$stderr" "mm-psi: --fit, --counts and --merge exclude each other"
}

@test "options a mode does not use are refused, not ignored" {
	run_split mm-psi --fit --ref ref.json </dev/null
	assert_failure 2
	assert_equal "$stderr" "mm-psi: --fit makes a reference; --ref and --models do not go with it"
	run_split mm-psi --counts --fail-on severe </dev/null
	assert_failure 2
	assert_equal "$stderr" "mm-psi: --fail-on, --threshold and --alpha do not go with --counts"
	run_split mm-psi --fit --alpha 0.01 </dev/null
	assert_failure 2
	assert_equal "$stderr" "mm-psi: --fail-on, --threshold and --alpha do not go with --fit"
}

@test "an unknown option" {
	usage_text
	run_split mm-psi --bogus
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-psi: unknown option '--bogus'
$usage"
	run_split mm-psi -x
	assert_failure 2
	assert_equal "$stderr" "mm-psi: unknown option '-x'
$usage"
}

@test "an option without its argument" {
	usage_text
	run_split mm-psi --ref
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-psi: option '--ref' needs an argument
$usage"
}

@test "--help prints the usage on stdout and exits 0" {
	run_split mm-psi --help
	assert_success
	assert_line --index 0 "usage: mm-psi [--ref FILE | --models DIR] [--window N] [--fail-on LEVEL] [--threshold MODE]"
	assert_line "See mm-psi(1)."
	assert_equal "$stderr" ""
	run_split mm-psi -h
	assert_success
	assert_line --index 0 --regexp '^usage: mm-psi '
}

@test "--version" {
	run_split mm-psi --version
	assert_success
	assert_output "mm-psi 0.1.0"
	assert_equal "$stderr" ""
}
