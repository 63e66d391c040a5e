#!/usr/bin/env bats
# mm-train: versions in the model store, the card, determinism, the
# data it learns from, and what it refuses.

bats_require_minimum_version 1.5.0
load helper

PY=/usr/bin/python3

# --now 1764140000 is 2025-11-26T06:53:20Z.
T0=1764140000
V0=20251126T065320Z

# A small forest keeps the tests fast; the other keys keep their
# defaults (max_depth 6, min_samples_leaf 5, seed 42, validation 0.25).
small_config() {
	mkdir -p conf
	printf '# small and fast, and tiny sets on purpose\nn_estimators: 20\nmin_validation_rows: 1\n' >conf/model.yaml
}

train() {
	mm-train --config conf --models m "$@"
}

# The store of small_config and one version, trained on 300 rows at T0,
# made once for the file: a test that starts from it copies it (one cp,
# where mkdir and mm-train were two processes and most of a second).
setup_file() {
	local top=$PWD

	mkdir "$BATS_FILE_TMPDIR/one" && cd "$BATS_FILE_TMPDIR/one" || return 1
	small_config && train --synthetic --rows 300 --now $T0 >/dev/null ||
	    return 1
	cd "$top" || return 1
}

# one_version: conf and m as small_config and that training leave them.
one_version() {
	cp -a "$BATS_FILE_TMPDIR/one/conf" "$BATS_FILE_TMPDIR/one/m" .
}

# The helpers below set variables where they used to print: a $(...) of
# a function, or of sed, grep, cut or cat, costs one to three processes.

# untimed TEXT: in $untimed, each line of TEXT, a summary line, without
# its timings, which vary from run to run.
untimed() {
	local line text=()
	local re='^(.*),"timings":\{"fit_s":[0-9.]*,"total_s":[0-9.]*\}\}$'

	mapfile -t text <<<"$1"
	untimed=
	for line in "${text[@]}"; do
		if [[ $line =~ $re ]]; then
			line=${BASH_REMATCH[1]}'}'
		fi
		untimed+=$line$'\n'
	done
	untimed=${untimed%$'\n'}
}

# field KEY TEXT: in $field, the text of the first "KEY":value pair of
# JSON in TEXT (value up to , or }).
field() {
	local nl=$'\n' re

	re="\"$1\":([^,}$nl]*)"
	field=
	if [[ $2 =~ $re ]]; then
		field=${BASH_REMATCH[1]}
	fi
}

# card VERSION: the card of VERSION in the store m, in $card.  ($(<FILE)
# is read by bash itself, without a process.)
card() {
	card=$(<"m/versions/$1/card.json")
}

# no_fit_seconds FILE: in $card, the lines of FILE, a card, as
# sed 's/"fit_seconds":[0-9.]*//' FILE prints them.
no_fit_seconds() {
	local line text=()

	mapfile -t text <"$1"
	card=
	for line in "${text[@]}"; do
		if [[ $line =~ \"fit_seconds\":[0-9.]* ]]; then
			line=${line/"${BASH_REMATCH[0]}"/}
		fi
		card+=$line$'\n'
	done
}

# names [-A] DIR: in the array names, what ls [-A] DIR lists.
names() {
	if [ "$1" = -A ]; then
		shopt -s dotglob
		shift
	fi
	shopt -s nullglob
	names=("$1"/*)
	shopt -u nullglob dotglob
	names=("${names[@]#"$1"/}")
}

# same FILE1 FILE2: the two files hold the same bytes, as cmp says (none
# holds a NUL).
same() {
	local a='' b=''

	[ -f "$1" ] && [ -f "$2" ] || return 1
	IFS= read -r -d '' a <"$1" || true
	IFS= read -r -d '' b <"$2" || true
	[ "$a" = "$b" ]
}

# trees FILE: in $n, the lines of model.json FILE that start a tree, as
# grep -c '^{"feature":\[' counts them.
trees() {
	local text rest

	text=$'\n'$(<"$1")
	rest=${text//$'\n{"feature":['/}
	n=$(((${#text} - ${#rest}) / 13))
}

@test "--synthetic: the first version is active, its card's F1 the baseline" {
	small_config
	run_split train --synthetic --rows 400 --now $T0
	assert_success
	assert_equal "$stderr" ""
	# 400 rows of mm-gen --rows 400 --seed 42: 208 of class 0, 192 of
	# class 1; a quarter of each (52 + 48) is held out for validation.
	assert_output --regexp '^\{"version":"20251126T065320Z","status":"active","metrics":\{"accuracy":0.89,"f1":0.8888888888888888\},"rows":\{"train":300,"validation":100\},"timings":\{"fit_s":[0-9]+\.[0-9]{3},"total_s":[0-9]+\.[0-9]{3}\}\}$'
	assert_equal "$(<m/active.json)" '{"version":"20251126T065320Z","previous_version":null,"metrics":{"baseline_f1":0.8888888888888888},"promoted_at":"2025-11-26T06:53:20Z"}'
	card $V0
	grep_o '"metrics":\{[^}]*\}' "$card"
	assert_equal "$matches" \
	    '"metrics":{"accuracy":0.89,"f1":0.8888888888888888}'
	[ ! -e m/candidate.json ]
	[ -f m/.lock ]
	names -A m/versions
	assert_equal "${names[*]}" "$V0"
	names m/versions/$V0
	printf -v listed '%s ' "${names[@]}"
	assert_equal "$listed" \
	    'card.json model.json reference.json '
}

@test "the card: parameters, data, row counts and checksums" {
	small_config
	train --synthetic --rows 400 --now $T0 >/dev/null
	card $V0
	# For assert_output, as run cat would leave it.
	output=$card
	assert_output --partial '{"format":"mm-card/1","created_at":"2025-11-26T06:53:20Z","model":"random_forest","params":{"n_estimators":20,"max_depth":6,"min_samples_leaf":5,"max_features":3,"seed":42},"features":["f0","f1","f2","f3","f4","f5","f6","f7","f8","f9"],"classes":2,"class_balance":{"0":156,"1":144},"rows":{"train":300,"validation":100,"with_missing":0},"source":"synthetic seed 42","shuffled_labels":false,"validation":"stratified split","data_sha256":"'
	assert_output --regexp ',"fit_seconds":[0-9.]+\}$'
	# The class balance counts the training rows.
	grep_o '"class_balance":\{[^}]*\}' "$card"
	grep_o '"[0-9]*":[0-9]*' "$matches"
	sum=0
	for pair in $matches; do
		sum=$((sum + ${pair#*:}))
	done
	assert_equal "$sum" 300
	# The checksums are those of the files beside the card: one
	# sha256sum, a line "SUM  FILE" each.
	sums=$(sha256sum m/versions/$V0/model.json m/versions/$V0/reference.json)
	field model_sha256 "$card"
	assert_equal "$field" "\"${sums:0:64}\""
	sums=${sums#*$'\n'}
	field reference_sha256 "$card"
	assert_equal "$field" "\"${sums:0:64}\""
	# model.json and reference.json are the documented formats.
	run grep -o '^{"format":[^[]*\[[^]]*\],"classes":[0-9]*,"schema":{.*},"params":{[^}]*}' \
	    m/versions/$V0/model.json
	assert_output '{"format":"mm-forest/2","features":["f0","f1","f2","f3","f4","f5","f6","f7","f8","f9"],"classes":2,"schema":{"features":[{"name":"f0","kind":"numeric"},{"name":"f1","kind":"numeric"},{"name":"f2","kind":"numeric"},{"name":"f3","kind":"numeric"},{"name":"f4","kind":"numeric"},{"name":"f5","kind":"numeric"},{"name":"f6","kind":"numeric"},{"name":"f7","kind":"numeric"},{"name":"f8","kind":"numeric"},{"name":"f9","kind":"numeric"}],"classes":[0,1],"positive":1},"params":{"n_estimators":20,"max_depth":6,"min_samples_leaf":5,"max_features":3,"seed":42}'
	trees m/versions/$V0/model.json
	assert_equal "$n" 20
	run grep -o '^{"format":"[^"]*","id":"[^"]*","bins":[0-9]*' \
	    m/versions/$V0/reference.json
	assert_output --regexp '^\{"format":"mm-reference/2","id":"[0-9a-f]{16}","bins":10$'
	field rows "$(<m/versions/$V0/reference.json)"
	assert_equal "$field" 300
}

@test "--stage writes candidate.json and leaves the live version alone" {
	one_version
	run_split train --synthetic --rows 300 --seed 2 --now $((T0 + 60)) --stage
	assert_success
	assert_equal "$stderr" ""
	untimed "$output"
	assert_equal "$untimed" '{"version":"20251126T065420Z","status":"staged","metrics":{"accuracy":0.92,"f1":0.90625},"rows":{"train":225,"validation":75}}'
	assert_equal "$(<m/candidate.json)" '{"version":"20251126T065420Z","staged_at":"2025-11-26T06:54:20Z"}'
	field version "$(<m/active.json)"
	assert_equal "$field" "\"$V0\""
}

@test "--stage on an empty store stages: nothing is live" {
	small_config
	run_split train --synthetic --rows 300 --now $T0 --stage
	assert_success
	field status "$output"
	assert_equal "$field" '"staged"'
	[ ! -e m/active.json ]
	assert_equal "$(<m/candidate.json)" \
	    '{"version":"20251126T065320Z","staged_at":"2025-11-26T06:53:20Z"}'
}

@test "--activate makes the new version live; a third without flags is stored" {
	one_version
	run_split train --synthetic --rows 300 --seed 2 --now $((T0 + 60)) --activate
	assert_success
	assert_equal "$stderr" ""
	field status "$output"
	assert_equal "$field" '"active"'
	# The baseline is the new version's own validation F1.
	before=$(<m/active.json)
	assert_equal "$before" '{"version":"20251126T065420Z","previous_version":"20251126T065320Z","metrics":{"baseline_f1":0.90625},"promoted_at":"2025-11-26T06:54:20Z"}'

	run_split train --synthetic --rows 300 --seed 3 --now $((T0 + 120))
	assert_success
	assert_equal "$stderr" ""
	untimed "$output"
	assert_equal "$untimed" '{"version":"20251126T065520Z","status":"stored","metrics":{"accuracy":0.9333333333333333,"f1":0.9315068493150684},"rows":{"train":225,"validation":75}}'
	assert_equal "$(<m/active.json)" "$before"
	[ ! -e m/candidate.json ]
	names m/versions
	printf -v listed '%s ' "${names[@]}"
	assert_equal "$listed" \
	    '20251126T065320Z 20251126T065420Z 20251126T065520Z '
}

@test "versions are named after --now; a second taken twice gets -2, -3" {
	one_version
	run_split train --synthetic --rows 300 --now $T0.9 --stage
	assert_success
	field version "$output"
	assert_equal "$field" '"20251126T065320Z-2"'
	run_split train --synthetic --rows 300 --now $T0 --activate
	assert_success
	field version "$output"
	assert_equal "$field" '"20251126T065320Z-3"'
	names m/versions
	printf -v listed '%s ' "${names[@]}"
	assert_equal "$listed" \
	    '20251126T065320Z 20251126T065320Z-2 20251126T065320Z-3 '
	assert_equal "$(<m/candidate.json)" \
	    '{"version":"20251126T065320Z-2","staged_at":"2025-11-26T06:53:20Z"}'
	field previous_version "$(<m/active.json)"
	assert_equal "$field" "\"$V0\""
}

@test "the same data, seed and --now give byte-identical models, at any --threads" {
	small_config
	mm-train --config conf --models a --now $T0 --synthetic --rows 400 \
	    --threads 1 >/dev/null
	mm-train --config conf --models b --now $T0 --synthetic --rows 400 \
	    --threads 4 >/dev/null
	mm-train --config conf --models c --now $T0 --synthetic --rows 400 \
	    >/dev/null
	no_fit_seconds a/versions/$V0/card.json
	want=$card
	for s in b c; do
		same a/versions/$V0/model.json $s/versions/$V0/model.json
		same a/versions/$V0/reference.json $s/versions/$V0/reference.json
		same a/active.json $s/active.json
		# Cards differ in fit_seconds only.
		no_fit_seconds $s/versions/$V0/card.json
		assert_equal "$card" "$want"
	done
}

@test "mm-gen's records on standard input train the model --synthetic does" {
	small_config
	mm-train --config conf --models a --now $T0 --synthetic --rows 400 \
	    --seed 7 >/dev/null
	run_split sh -c "mm-gen --rows 400 --seed 7 | mm-train --config conf --models b --now $T0"
	assert_success
	assert_equal "$stderr" ""
	card_a=$(<a/versions/$V0/card.json)
	card_b=$(<b/versions/$V0/card.json)
	field source "$card_b"
	assert_equal "$field" '"batch records"'
	for f in data_sha256 model_sha256 reference_sha256; do
		field $f "$card_a"
		want=$field
		field $f "$card_b"
		assert_equal "$field" "$want"
	done
	cmp a/versions/$V0/model.json b/versions/$V0/model.json

	# The same rows as batches, from FILE arguments and - in order.
	mm-gen --batches 2 --batch-size 100 --seed 3 >one.ndjson
	# The four batches once: their last two, and all four on standard
	# input.
	mm-gen --batches 4 --batch-size 100 --seed 3 >four.ndjson
	mapfile -t four <four.ndjson
	printf '%s\n' "${four[@]: -2}" >two.ndjson
	mm-train --config conf --models c --now $T0 <four.ndjson >/dev/null
	run_split mm-train --config conf --models d --now $T0 one.ndjson - \
	    <two.ndjson
	assert_success
	assert_equal "$stderr" ""
	cmp c/versions/$V0/model.json d/versions/$V0/model.json
}

@test "three classes: the F1 is macro, as scikit-learn computes it" {
	small_config
	mm-gen --rows 400 --seed 9 --classes 3 >c3.ndjson
	mm-gen --rows 300 --seed 10 --classes 3 >c3v.ndjson
	run_split train --now $T0 --validate c3v.ndjson c3.ndjson
	assert_success
	assert_equal "$stderr" ""
	untimed "$output"
	assert_equal "$untimed" '{"version":"20251126T065320Z","status":"active","metrics":{"accuracy":0.85,"f1":0.8475963536615776},"rows":{"train":400,"validation":300}}'
	card $V0
	field classes "$card"
	assert_equal "$field" 3
	# The labels of c3.ndjson (mm-gen --rows 400 --seed 9 --classes 3),
	# counted: what grep -o '"labels":.*' | tr -cd '012' | fold -w1 |
	# sort | uniq -c gave.
	mapfile -t c3 <c3.ndjson
	digits=
	for line in "${c3[@]}"; do
		if [[ $line == *'"labels":'* ]]; then
			before=${line%%\"labels\":*}
			line=${line:${#before}}
			digits+=${line//[!012]/}
		fi
	done
	balance=
	for d in 0 1 2; do
		n=${digits//[!$d]/}
		if ((${#n} > 0)); then
			balance+=${balance:+,}\"$d\":${#n}
		fi
	done
	grep_o '"class_balance":\{[^}]*\}' "$card"
	assert_equal "$matches" "\"class_balance\":{$balance}"
	# The validation predictions, scored independently.
	run $PY -c '
import json, sys
from sklearn.metrics import accuracy_score, f1_score
r = json.loads(sys.stdin.read())
print(repr(accuracy_score(r["labels"], r["pred"])),
      repr(f1_score(r["labels"], r["pred"], average="macro")))
' < <(mm-predict --models m c3v.ndjson)
	assert_output '0.85 0.8475963536615776'
}

@test "--validate FILE scores the model on FILE, as mm-predict does" {
	small_config
	mm-gen --rows 300 --seed 5 >val.ndjson
	run_split train --synthetic --rows 400 --seed 1 --now $T0 \
	    --validate val.ndjson
	assert_success
	assert_equal "$stderr" ""
	untimed "$output"
	assert_equal "$untimed" '{"version":"20251126T065320Z","status":"active","metrics":{"accuracy":0.9233333333333333,"f1":0.9220338983050848},"rows":{"train":400,"validation":300}}'
	card $V0
	grep_o '"rows":\{[^}]*\},"source":"[^"]*","shuffled_labels":false,"validation":"[^"]*"' "$card"
	assert_equal "$matches" \
	    '"rows":{"train":400,"validation":300,"with_missing":0},"source":"synthetic seed 1","shuffled_labels":false,"validation":"file"'
	# What run sh -c 'mm-predict ... | grep -o ...' showed: its matches,
	# after anything mm-predict said on stderr.
	run_split mm-predict --models m val.ndjson
	assert_equal "$stderr" ""
	grep_o '"accuracy":[^,]*,"f1":[^,]*' "$output"
	assert_equal "$matches" '"accuracy":0.9233333333333333,"f1":0.9220338983050848'
}

@test "--validate: features must match the training data" {
	small_config
	mm-gen --rows 300 --seed 5 --features 8 --informative 4 \
	    --redundant 2 >val8.ndjson
	run_split train --synthetic --rows 300 --now $T0 --validate val8.ndjson
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" \
	    "mm-train: --validate: 8 features, the training data has 10"
	[ ! -e m ]
}

@test "--shuffle-labels trains a broken model, and says so in the card" {
	small_config
	run_split train --synthetic --rows 400 --now $T0 --shuffle-labels
	assert_success
	assert_equal "$stderr" ""
	field f1 "$output"
	f1=$field
	awk -v f="$f1" 'BEGIN { exit !(f < 0.7) }' || fail "f1 $f1 is not below 0.7"
	card $V0
	field shuffled_labels "$card"
	assert_equal "$field" true
	# The training rows and their labels are the same, shuffled.
	grep_o '"class_balance":\{[^}]*\}' "$card"
	assert_equal "$matches" \
	    '"class_balance":{"0":156,"1":144}'
}

@test "rows with a missing value are trained on; rows with no label are left out" {
	small_config
	mm-gen --batches 3 --batch-size 100 --seed 3 >g.ndjson
	# One null feature value in the first row; two unknown labels.
	# sed '1s/"f0":\[[^,]*,/"f0":[null,/;
	#     2s/"labels":\[[01],[01],/"labels":[null,null,/'
	mapfile -t g <g.ndjson
	[[ ${g[0]} =~ \"f0\":\[[^,]*, ]] &&
	    g[0]=${g[0]/"${BASH_REMATCH[0]}"/'"f0":[null,'}
	[[ ${g[1]} =~ \"labels\":\[[01],[01], ]] &&
	    g[1]=${g[1]/"${BASH_REMATCH[0]}"/'"labels":[null,null,'}
	printf '%s\n' "${g[@]}" >gn.ndjson
	run_split train --now $T0 gn.ndjson
	assert_success
	assert_equal "$stderr" ""
	# 298 rows remain; stratified split rounds a quarter of each class.
	field train "$output"
	train=$field
	field validation "$output"
	assert_equal "$((train + field))" 298
	# The row with the null is a training row or a validation row.
	card $V0
	field with_missing "$card"
	case $field in
	0|1) ;;
	*) fail "with_missing: $field" ;;
	esac
	[[ $(<m/versions/$V0/model.json) == *'"missing_right":['* ]]
}

@test "--skip-bad skips a bad record and counts it" {
	small_config
	mm-gen --batches 3 --batch-size 100 --seed 3 >g.ndjson
	mapfile -t g <g.ndjson
	printf '%s\n' "${g[0]}" '{"features":{"f0":[1' "${g[@]: -2}" >gb.ndjson
	run_split train --now $T0 --skip-bad gb.ndjson
	assert_success
	assert_equal "$stderr" "mm-train: skipped 1 bad record"
	untimed "$output"
	grep_o '"rows":.*' "$untimed"
	got=$matches
	untimed "$(mm-train --config conf --models x --now $T0 g.ndjson)"
	grep_o '"rows":.*' "$untimed"
	assert_equal "$got" "$matches"
}

# mm-train was the one record reader without --max-record.
@test "--max-record: a longer line is a bad record, skipped with --skip-bad" {
	small_config
	mm-gen --batches 3 --batch-size 100 --seed 3 >g.ndjson
	run_split train --now $T0 --max-record 1K g.ndjson
	assert_failure 2
	assert_equal "$stderr" "mm-train: g.ndjson:1: record longer than 1024 bytes"
	run_split train --now $T0 --max-record 1K --skip-bad g.ndjson
	assert_failure 2
	assert_equal "$stderr" "mm-train: no training rows
mm-train: skipped 3 bad records"
	run_split train --now $T0 --max-record 4096K g.ndjson
	assert_success
	run_split train --now $T0 --max-record 1Q g.ndjson
	assert_failure 2
	assert_equal "$stderr" "mm-train: --max-record: '1Q' is not a size such as 4096, 64M or 1G"
}

@test "MM_MODELS and MM_CONFIG name the store and the configuration" {
	small_config
	MM_MODELS=store MM_CONFIG=conf run_split mm-train --synthetic \
	    --rows 300 --now $T0
	assert_success
	assert_equal "$stderr" ""
	field n_estimators "$(<store/versions/$V0/card.json)"
	assert_equal "$field" 20
	# Without either: ./models and ./config.
	mkdir config
	printf 'n_estimators: 7\n' >config/model.yaml
	run_split mm-train --synthetic --rows 300 --now $T0
	assert_success
	field n_estimators "$(<models/versions/$V0/card.json)"
	assert_equal "$field" 7
}

@test "model.yaml keys set the forest" {
	mkdir conf
	printf 'n_estimators: 5\nmax_depth: 2\nmin_samples_leaf: 9\nseed: 7\nvalidation: 0.5\n' \
	    >conf/model.yaml
	run_split train --synthetic --rows 400 --now $T0
	assert_success
	assert_equal "$stderr" ""
	card $V0
	grep_o '"params":\{[^}]*\}' "$card"
	assert_equal "$matches" \
	    '"params":{"n_estimators":5,"max_depth":2,"min_samples_leaf":9,"max_features":3,"seed":7}'
	grep_o '"rows":\{[^}]*\}' "$card"
	assert_equal "$matches" \
	    '"rows":{"train":200,"validation":200,"with_missing":0}'
	trees m/versions/$V0/model.json
	assert_equal "$n" 5
}

# Refusals: exact message, exit status, and no version written.

@test "training data without labels" {
	small_config
	run_split sh -c 'mm-gen --rows 100 --no-labels | mm-train --config conf --models m'
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-train: the training data has no labels"
	[ ! -e m ]
}

@test "training data of a single class" {
	small_config
	printf '%s\n' '{"batch_id":"a","features":{"x":[1,2,3,4,5,6,7,8,9,10]},"labels":[1,1,1,1,1,1,1,1,1,1]}' >one.ndjson
	run_split train one.ndjson
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" \
	    "mm-train: the labels hold a single class; a classifier needs at least two"
	[ ! -e m ]
}

@test "fewer rows than one leaf needs" {
	small_config
	# Six rows, three of each class: one of each is held out, four remain.
	printf '%s\n' '{"batch_id":"a","features":{"x":[1,2,3,4,5,6]},"labels":[1,0,1,0,1,0]}' >six.ndjson
	run_split train six.ndjson
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" \
	    "mm-train: 4 rows are fewer than one leaf needs (min_samples_leaf 5)"
	[ ! -e m ]
}

@test "no training rows" {
	small_config
	run_split train </dev/null
	assert_failure 2
	assert_equal "$stderr" "mm-train: no training rows"
}

@test "--stage with --activate, --synthetic with a FILE" {
	run_split mm-train --stage --activate --synthetic
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-train: --stage and --activate exclude each other"
	run_split mm-train --synthetic data.ndjson
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-train: --synthetic takes no input files"
	run_split mm-train --synthetic --rows 10
	assert_failure 2
	assert_equal "$stderr" \
	    "mm-train: --rows: '10' is not a whole number from 20 to 10000000"
	[ ! -e models ]
}

@test "a truncated line stops training with its line number" {
	small_config
	mm-gen --batches 2 --batch-size 50 >g.ndjson
	# cat g.ndjson; head -c 300 g.ndjson (300 characters, all ASCII)
	IFS= read -r -d '' g <g.ndjson || true
	printf '%s%s' "$g" "${g:0:300}" >cut.ndjson
	run_split train <cut.ndjson
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-train: line 3: invalid JSON: truncated in feature 'f0'"
	run_split train cut.ndjson
	assert_failure 2
	assert_equal "$stderr" \
	    "mm-train: cut.ndjson:3: invalid JSON: truncated in feature 'f0'"
	[ ! -e m ]
}

@test "a feature that holds numbers in one batch and strings in another is bad input" {
	small_config
	printf '%s\n' \
	    '{"batch_id":"a","features":{"f0":[1,2],"f1":[3,4]},"labels":[0,1]}' \
	    '{"batch_id":"b","features":{"f0":[1,2],"f1":[null,"south"]},"labels":[0,1]}' \
	    >s.ndjson
	run_split train s.ndjson
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" \
	    "mm-train: s.ndjson:2: feature 'f1' holds strings here, numbers in earlier batches"
	[ ! -e m ]
}

@test "a model store that cannot be a directory is a storage error" {
	small_config
	# Tests may run as root, whom modes do not stop: use a regular file.
	: >plain
	run_split mm-train --config conf --models plain --synthetic --rows 300
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" \
	    "mm-train: plain/versions: cannot create directory: Not a directory"
	run_split mm-train --config conf --models plain/m --synthetic --rows 300
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" \
	    "mm-train: plain/m: cannot create directory: Not a directory"
}

@test "a corrupt active.json stops mm-train, mm-models and mm-predict" {
	one_version
	printf '{"version":"%s","previous' $V0 >m/active.json
	msg="m/active.json: corrupt: premature end of input near '\"previous'"
	run_split train --synthetic --rows 300 --now $((T0 + 60))
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-train: $msg"
	names m/versions
	assert_equal "${names[*]}" "$V0"
	run_split mm-models --models m list
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-models: $msg"
	run_split mm-models --models m show
	assert_failure 3
	assert_equal "$stderr" "mm-models: $msg"
	run_split sh -c 'mm-gen --batches 1 --batch-size 5 | mm-predict --models m'
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-predict: $msg"

	echo '[1]' >m/active.json
	run_split train --synthetic --rows 300
	assert_failure 3
	assert_equal "$stderr" "mm-train: m/active.json: corrupt: not a JSON object"
	echo '{"version":"../elsewhere"}' >m/active.json
	run_split train --synthetic --rows 300
	assert_failure 3
	assert_equal "$stderr" \
	    'mm-train: m/active.json: corrupt: no valid "version"'
}

@test "an invalid model.yaml names the file, line and key" {
	mkdir conf
	printf 'n_estimators: 20\nmax_dept: 3\n' >conf/model.yaml
	run_split train --synthetic --rows 300
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-train: conf/model.yaml:2: unknown key 'max_dept'"
	printf 'n_estimators: 0\n' >conf/model.yaml
	run_split train --synthetic --rows 300
	assert_failure 2
	assert_equal "$stderr" \
	    "mm-train: conf/model.yaml:1: 'n_estimators': 0 is out of range [1, 100000]"
	printf 'validation: half\n' >conf/model.yaml
	run_split train --synthetic --rows 300
	assert_failure 2
	assert_equal "$stderr" \
	    "mm-train: conf/model.yaml:1: 'validation' must be a number, not 'half'"
	[ ! -e m ]
}

@test "MM_FAULT: a crash before the rename leaves no version; the next writer sweeps" {
	small_config
	MM_FAULT=version-tmp-complete run train --synthetic --rows 300 --now $T0
	assert_failure 137
	assert_output ""
	[ ! -e m/active.json ]
	names -A m/versions
	# For assert_output, as run ls -A would leave it.
	printf -v output '%s\n' "${names[@]}"
	output=${output%$'\n'}
	assert_output --regexp '^\.tmp-20251126T065320Z-[0-9]+$'
	run_split mm-models --models m list
	assert_success
	assert_output ""
	run_split train --synthetic --rows 300 --now $T0
	assert_success
	field version "$output"
	assert_equal "$field" "\"$V0\""
	names -A m/versions
	assert_equal "${names[*]}" "$V0"
}

@test "MM_FAULT: a crash before active.json is renamed keeps the old live version" {
	one_version
	before=$(<m/active.json)
	MM_FAULT=active-tmp-written run train --synthetic --rows 300 --seed 2 \
	    --now $((T0 + 60)) --activate
	assert_failure 137
	assert_equal "$(<m/active.json)" "$before"
	# The version itself was complete before the crash.
	names m/versions
	printf -v listed '%s ' "${names[@]}"
	assert_equal "$listed" \
	    '20251126T065320Z 20251126T065420Z '
}

@test "--help and --version" {
	run_split mm-train --help
	assert_success
	assert_line --index 0 'usage: mm-train [--models DIR] [--config DIR] [--stage | --activate] [--validate FILE]'
	assert_equal "$stderr" ""
	run_split mm-train --version
	assert_success
	assert_output --regexp '^mm-train [0-9]+\.[0-9]+\.[0-9]+$'
	run_split mm-train --frobnicate
	assert_failure 2
	assert_output ""
	assert_equal "${stderr%%$'\n'*}" \
	    "mm-train: unknown option '--frobnicate'"
}

@test "--models creates the directories above the store, as --db does" {
	run_split mm-train --synthetic --rows 300 --models a/b/m --now 1764140000
	assert_success
	[ -f a/b/m/active.json ]
	names a/b/m/versions
	assert_equal "${#names[@]}" 1
}

# Labels are classes 0 to 999: a version of 1001 classes would be one
# mm-predict refuses to load, and a label of 1000000 once took minutes
# and gigabytes before anything refused it.
@test "labels above 999 are refused at once; 999 trains a model of 1000 classes that loads" {
	small_config
	printf '{"features":{"x":[1,2,3,4,5,6]},"labels":[0,1,0,1,0,%s]}\n' 1000 >big.ndjson
	run_split train --now $T0 big.ndjson
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-train: label 1000 is above the largest class mm supports (999)"
	if [ -e m/versions ]; then
		names -A m/versions
		[ ${#names[@]} -eq 0 ]
	fi
	printf '{"features":{"x":[1,2,3,4,5,6]},"labels":[0,1,0,1,0,%s]}\n' 1000000 >huge.ndjson
	SECONDS=0
	run_split train --now $T0 huge.ndjson
	assert_failure 2
	[ "$SECONDS" -lt 5 ] || fail "took $SECONDS s"
	assert_equal "$stderr" "mm-train: label 1000000 is above the largest class mm supports (999)"
	printf '{"features":{"x":[1,2,3,4,5,6,7,8]},"labels":[0,1,0,1,0,1,0,%s]}\n' 999 >top.ndjson
	run_split train --now $T0 top.ndjson
	assert_success
	card $V0
	field classes "$card"
	assert_equal "$field" 1000
	run_split mm-predict --models m <<<'{"batch_id":"b","features":{"x":[1,2]}}'
	assert_success
	assert_output --partial '"model_version":"'$V0'"'
}

@test "--now takes an ISO 8601 time as well as Unix seconds" {
	run_split mm-train --synthetic --rows 300 --models a --now 2025-11-26T07:53:20+01:00
	assert_success
	assert_output --regexp '^\{"version":"20251126T065320Z",'
	run_split mm-train --synthetic --rows 300 --models a --now 2025-02-30
	assert_failure 2
	assert_equal "$stderr" "mm-train: --now: '2025-02-30' is not a time: Unix seconds or an ISO 8601 time such as 2025-11-26T06:53:20Z"
}

@test "too few validation rows to judge a model: refused, nothing stored" {
	mkdir -p dflt
	mm-gen --rows 50 --seed 3 >small.ndjson
	run_split mm-train --config dflt --models m --now $T0 small.ndjson
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-train: 13 validation rows, fewer than min_validation_rows 30 (model.yaml): too few to judge the model; give more rows or --validate FILE"
	[ ! -e m/active.json ]
	printf 'min_validation_rows: 13\n' >dflt/model.yaml
	run_split mm-train --config dflt --models m --now $T0 small.ndjson
	assert_success
	assert_output --regexp '"rows":\{"train":37,"validation":13\}'
}
