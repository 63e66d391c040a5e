#!/usr/bin/env bats
# mm-models: list, show, stage, promote, rollback, and their refusals.

bats_require_minimum_version 1.5.0
load helper

T0=1764140000
V1=20251126T065420Z
V2=20251126T065520Z
V3=20251126T065620Z

# Three versions of a small forest, --seed 1, 2, 3, one a minute from
# T0 + 60: V1 is active (the first version), V2 and V3 are stored.
# Their validation F1: .9736842105263158, .90625, .9315068493150684.
# Trained once for the file; make_store gives a test its own copy (one
# cp where each test ran mm-train three times).
setup_file() {
	local s d=$BATS_FILE_TMPDIR
	mkdir -p "$d/conf"
	printf 'n_estimators: 20\n' >"$d/conf/model.yaml"
	for s in 1 2 3; do
		mm-train --config "$d/conf" --models "$d/m" --synthetic \
		    --rows 300 --seed $s --now $((T0 + 60 * s)) >/dev/null ||
		    return 1
	done
}

make_store() {
	cp -r "$BATS_FILE_TMPDIR/m" m
}

# mm-models on the test's store.  run_split and run_merged are given
# mm-models itself, which their $(...) can exec; a function it cannot.
models() {
	mm-models --models m "$@"
}

@test "list: one JSON line per version, oldest first" {
	make_store
	run_split mm-models --models m list
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"version":"20251126T065420Z","active":true,"staged":false,"previous":false,"f1":0.9736842105263158,"baseline_f1":0.9736842105263158,"created_at":"2025-11-26T06:54:20Z"}
{"version":"20251126T065520Z","active":false,"staged":false,"previous":false,"f1":0.90625,"baseline_f1":null,"created_at":"2025-11-26T06:55:20Z"}
{"version":"20251126T065620Z","active":false,"staged":false,"previous":false,"f1":0.9315068493150684,"baseline_f1":null,"created_at":"2025-11-26T06:56:20Z"}'
}

@test "list --table: a header and aligned rows" {
	make_store
	models --now $((T0 + 1000)) stage $V3 >/dev/null
	models --now $((T0 + 1000)) rollback $V2 >/dev/null
	run_split mm-models --models m list --table
	assert_success
	assert_equal "$stderr" ""
	assert_output 'VERSION                STATE          F1 BASELINE  CREATED
20251126T065420Z       -          0.9737        -  2025-11-26T06:54:20Z
20251126T065520Z       active     0.9062   0.9062  2025-11-26T06:55:20Z
20251126T065620Z       staged     0.9315        -  2025-11-26T06:56:20Z'
	run_split mm-models --models m --table list
	assert_success
	# wc -l <<<"$output": the here-string ends each line with a newline.
	mapfile -t table <<<"$output"
	assert_equal "${#table[@]}" 4
}

@test "list of a store with no versions, or no store, is empty" {
	run_split mm-models --models nowhere list
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	run_split mm-models --models nowhere list --table
	assert_success
	assert_output 'VERSION                STATE          F1 BASELINE  CREATED'
}

@test "show: the active version's card by default, or a named one" {
	make_store
	run_split mm-models --models m show
	assert_success
	assert_equal "$stderr" ""
	assert_output --regexp '^\{"format":"mm-card/1","created_at":"2025-11-26T06:54:20Z","model":"random_forest",.*"source":"synthetic seed 1",.*,"version":"20251126T065420Z"\}$'
	grep_o '"model_sha256":"[^"]*"' "$output"
	got=$matches
	grep_o '"model_sha256":"[^"]*"' "$(<m/versions/$V1/card.json)"
	assert_equal "$got" "$matches"
	run_split mm-models --models m show $V3
	assert_success
	assert_equal "$stderr" ""
	assert_output --regexp '^\{"format":"mm-card/1","created_at":"2025-11-26T06:56:20Z",.*"source":"synthetic seed 3",.*,"version":"20251126T065620Z"\}$'
}

@test "show: an unknown version, or no active one" {
	make_store
	run_split mm-models --models m show 20990101T000000Z
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-models: m/versions/20990101T000000Z/card.json: no such file (is '20990101T000000Z' a version?)"
	run_split mm-models --models m show ../m
	assert_failure 2
	assert_equal "$stderr" "mm-models: '../m' is not a version name"
	rm m/active.json
	run_split mm-models --models m show
	assert_failure 2
	assert_equal "$stderr" "mm-models: m: no active model version"
}

@test "stage V writes candidate.json; list marks it staged" {
	make_store
	run_split mm-models --models m --now $((T0 + 1000)) stage $V2
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"action":"stage","version":"20251126T065520Z","previous_version":null}'
	assert_equal "$(<m/candidate.json)" \
	    '{"version":"20251126T065520Z","staged_at":"2025-11-26T07:10:00Z"}'
	run_merged mm-models --models m list
	assert_line --index 1 --partial '"version":"20251126T065520Z","active":false,"staged":true,'
	# A second stage replaces the first.
	models --now $((T0 + 1100)) stage $V3 >/dev/null
	assert_equal "$(<m/candidate.json)" \
	    '{"version":"20251126T065620Z","staged_at":"2025-11-26T07:11:40Z"}'
}

@test "stage: an unknown version" {
	make_store
	run_split mm-models --models m stage 20990101T000000Z
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-models: m: no version '20990101T000000Z'"
	[ ! -e m/candidate.json ]
}

@test "promote: the candidate goes live; its baseline is never below the old one" {
	make_store
	models --now $((T0 + 1000)) stage $V2 >/dev/null
	run_split mm-models --models m --now $((T0 + 1060)) promote
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"action":"promote","version":"20251126T065520Z","previous_version":"20251126T065420Z"}'
	assert_equal "$(<m/active.json)" '{"version":"20251126T065520Z","previous_version":"20251126T065420Z","metrics":{"baseline_f1":0.9736842105263158},"promoted_at":"2025-11-26T07:11:00Z"}'
	[ ! -e m/candidate.json ]
	run_merged mm-models --models m list
	assert_line --index 0 --partial '"active":false,"staged":false,"previous":true,'
	assert_line --index 1 --partial '"active":true,"staged":false,"previous":false,"f1":0.90625,"baseline_f1":0.9736842105263158,'
}

@test "promote with nothing staged" {
	make_store
	before=$(<m/active.json)
	run_split mm-models --models m promote
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-models: no staged candidate to promote"
	assert_equal "$(<m/active.json)" "$before"
}

@test "rollback: to the previous version, once; active.json says from where" {
	make_store
	models stage $V3 >/dev/null
	models --now $((T0 + 1000)) promote >/dev/null
	run_split mm-models --models m --now $((T0 + 1200)) rollback
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"action":"rollback","version":"20251126T065420Z","previous_version":"20251126T065620Z"}'
	# Its own baseline comes back; no previous version is left, so a
	# second rollback does not flap back.
	assert_equal "$(<m/active.json)" '{"version":"20251126T065420Z","previous_version":null,"metrics":{"baseline_f1":0.9736842105263158},"promoted_at":"2025-11-26T07:13:20Z","rolled_back_from":"20251126T065620Z"}'
	run_split mm-models --models m rollback
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-models: no previous version to roll back to"
	grep_o '"version":"[^"]*"' "$(<m/active.json)"
	assert_equal "$matches" "\"version\":\"$V1\""
}

@test "rollback V: to a named version" {
	make_store
	run_split mm-models --models m --now $((T0 + 1000)) rollback $V2
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"action":"rollback","version":"20251126T065520Z","previous_version":"20251126T065420Z"}'
	assert_equal "$(<m/active.json)" '{"version":"20251126T065520Z","previous_version":null,"metrics":{"baseline_f1":0.90625},"promoted_at":"2025-11-26T07:10:00Z","rolled_back_from":"20251126T065420Z"}'
}

@test "rollback to the active version, or an unknown one, or with none active" {
	make_store
	before=$(<m/active.json)
	run_split mm-models --models m rollback $V1
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-models: '20251126T065420Z' is the active version"
	run_split mm-models --models m rollback 20990101T000000Z
	assert_failure 2
	assert_equal "$stderr" "mm-models: m: no version '20990101T000000Z'"
	assert_equal "$(<m/active.json)" "$before"
	rm m/active.json
	run_split mm-models --models m rollback $V2
	assert_failure 2
	assert_equal "$stderr" "mm-models: m: no active version to roll back"
}

@test "changes need a model store" {
	run_split mm-models --models nowhere promote
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-models: nowhere: no model store here"
	[ ! -e nowhere ]
	run_split mm-models --models nowhere show
	assert_failure 2
	assert_equal "$stderr" "mm-models: nowhere: no active model version"
}

@test "MM_MODELS or ./models is the store" {
	make_store
	want=$(mm-models --models m list)
	MM_MODELS=m run_split mm-models list
	assert_success
	assert_output "$want"
	mv m models
	run_split mm-models list
	assert_success
	assert_output "$want"
	assert_equal "$stderr" ""
}

@test "MM_FAULT: a promote killed after the switch is finished by the next" {
	make_store
	models stage $V2 >/dev/null
	MM_FAULT=promote-activated run_merged mm-models --models m --now $((T0 + 1000)) promote
	assert_failure 137
	# Live already, but still staged.
	grep_o '"version":"[^"]*"' "$(<m/active.json)"
	assert_equal "$matches" "\"version\":\"$V2\""
	[ -e m/candidate.json ]
	run_split mm-models --models m --now $((T0 + 1060)) promote
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"action":"promote","version":"20251126T065520Z","previous_version":"20251126T065420Z"}'
	[ ! -e m/candidate.json ]
	assert_equal "$(<m/active.json)" '{"version":"20251126T065520Z","previous_version":"20251126T065420Z","metrics":{"baseline_f1":0.9736842105263158},"promoted_at":"2025-11-26T07:10:00Z"}'
}

@test "MM_FAULT: a crash before active.json is renamed leaves the old state" {
	make_store
	before=$(<m/active.json)
	MM_FAULT=active-tmp-written run_merged mm-models --models m rollback $V3
	assert_failure 137
	assert_equal "$(<m/active.json)" "$before"
}

# Found in review: promote wrote active.json by way of active.json.tmp,
# through a link planted there, and left active.json that link.
@test "a link planted at active.json.tmp or candidate.json.tmp is not written through" {
	make_store
	printf 'mine\n' >target
	ln -s "$PWD/target" m/active.json.tmp
	ln -s "$PWD/target" m/candidate.json.tmp
	ln -s "$PWD/target" m/.active.json.AAAAAA
	run_split mm-models --models m --now $((T0 + 1000)) stage $V2
	assert_success
	run_split mm-models --models m --now $((T0 + 1060)) promote
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"action":"promote","version":"20251126T065520Z","previous_version":"20251126T065420Z"}'
	assert_equal "$(<target)" "mine"
	[ -f m/active.json ]
	[ ! -L m/active.json ]
	assert_equal "$(<m/active.json)" '{"version":"20251126T065520Z","previous_version":"20251126T065420Z","metrics":{"baseline_f1":0.9736842105263158},"promoted_at":"2025-11-26T07:11:00Z"}'
	# The writer swept the planted names, and left no file of its own.
	# ls -A m, by a glob (sorted as ls sorts, by the locale).
	shopt -s dotglob nullglob
	names=(m/*)
	shopt -u dotglob nullglob
	printf -v ls '%s\n' "${names[@]#m/}"
	assert_equal "${ls%$'\n'}" ".lock
active.json
versions"
}

# Found in review: "baseline_f1": 2 was read, and mm-decide blamed line 1
# of its input with exit 2.  It is the store that is bad: exit 3.
@test "a baseline_f1 out of [0, 1] in active.json is exit 3, naming active.json" {
	make_store
	# sed 's/"baseline_f1":[0-9.]*/"baseline_f1":2/' on its one line.
	IFS= read -r -d '' a <m/active.json || true
	[[ $a =~ \"baseline_f1\":[0-9.]* ]]
	printf '%s' "${a/"${BASH_REMATCH[0]}"/\"baseline_f1\":2}" >m/active.json
	msg='m/active.json: corrupt: "metrics.baseline_f1" is 2, not an F1 in [0, 1] or null'
	run_split mm-models --models m list
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-models: $msg"
	run_split mm-decide --models m <<<'{"batch_id":"b1","ts":1764140000,"metrics":{"f1":0.5}}'
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-decide: $msg"
	mm-gen --batches 1 --batch-size 5 --seed 3 >b.ndjson
	run_split mm-predict --models m b.ndjson
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-predict: $msg"
	printf '{"version":"%s","metrics":{"baseline_f1":"high"}}\n' $V1 \
	    >m/active.json
	run_split mm-models --models m list
	assert_failure 3
	assert_equal "$stderr" 'mm-models: m/active.json: corrupt: "metrics.baseline_f1" is "high", not an F1 in [0, 1] or null'
	printf '{"version":"%s","promoted_at":5}\n' $V1 >m/active.json
	run_split mm-models --models m list
	assert_failure 3
	assert_equal "$stderr" 'mm-models: m/active.json: corrupt: "promoted_at" is 5, not a time'
	printf '{"version":"20990101T000000Z"}\n' >m/active.json
	run_split mm-models --models m show
	assert_failure 3
	assert_equal "$stderr" "mm-models: m/active.json: corrupt: \"version\" names '20990101T000000Z', which is not in versions/"
}

# Found in review: a card.json that was not JSON was reported as
# "model.json ... does not match the checksum in card.json".
@test "a corrupt card.json is named, and says what is wrong with it" {
	make_store
	c=m/versions/$V1/card.json
	mm-gen --batches 1 --batch-size 5 --seed 3 >b.ndjson
	printf '{"format":"mm-card/1",' >$c
	run_split mm-predict --models m b.ndjson
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-predict: $c: corrupt: string or '}' expected near end of file"
	run_split mm-models --models m show $V1
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-models: $c: corrupt: string or '}' expected near end of file"
	printf '{"format":"mm-card/1","model_sha256":"abc"}\n' >$c
	run_split mm-predict --models m b.ndjson
	assert_failure 3
	assert_equal "$stderr" "mm-predict: $c: corrupt: no valid \"model_sha256\" (64 hex digits)"
	printf '[]\n' >$c
	run_split mm-predict --models m b.ndjson
	assert_failure 3
	assert_equal "$stderr" "mm-predict: $c: corrupt: not a JSON object"
	run_split mm-models --models m show $V1
	assert_failure 3
	assert_equal "$stderr" "mm-models: $c: corrupt: not a JSON object"
	rm $c
	run_split mm-predict --models m --model-version $V1 b.ndjson
	assert_failure 3
	assert_equal "$stderr" "mm-predict: $c: no such file (is '$V1' a version?)"
	# An F1 out of range would become the baseline: refused, naming
	# the card, and active.json is left as it was.
	before=$(<m/active.json)
	c=m/versions/$V2/card.json
	# sed 's/"f1":[0-9.]*}/"f1":1.5}/' on its one line.
	IFS= read -r -d '' card <$c || true
	[[ $card =~ \"f1\":[0-9.]*\} ]]
	printf '%s' "${card/"${BASH_REMATCH[0]}"/\"f1\":1.5\}}" >$c
	models stage $V2 >/dev/null
	run_split mm-models --models m promote
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-models: $c: corrupt: \"metrics.f1\" is 1.5, not an F1 in [0, 1] or null"
	run_split mm-models --models m rollback $V2
	assert_failure 3
	assert_equal "$stderr" "mm-models: $c: corrupt: \"metrics.f1\" is 1.5, not an F1 in [0, 1] or null"
	assert_equal "$(<m/active.json)" "$before"
}

@test "a candidate.json or previous_version naming no version is exit 3, naming the file" {
	make_store
	before=$(<m/active.json)
	printf '{"version":"20990101T000000Z"}\n' >m/candidate.json
	run_split mm-models --models m promote
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-models: m/candidate.json: corrupt: \"version\" names '20990101T000000Z', which is not in versions/"
	printf '{"version":"%s","previous_version":"20990101T000000Z"}\n' \
	    $V1 >m/active.json
	run_split mm-models --models m rollback
	assert_failure 3
	assert_equal "$stderr" "mm-models: m/active.json: corrupt: \"previous_version\" names '20990101T000000Z', which is not in versions/"
	# Named by the caller, it is the caller's mistake, as before.
	run_split mm-models --models m rollback 20990101T000000Z
	assert_failure 2
	assert_equal "$stderr" "mm-models: m: no version '20990101T000000Z'"
}

@test "no command, or an unknown one, is a usage error" {
	usage='usage: mm-models [--models DIR] list [--table]
       mm-models [--models DIR] show [VERSION]
       mm-models [--models DIR] [--now TS] stage VERSION
       mm-models [--models DIR] [--now TS] promote
       mm-models [--models DIR] [--now TS] rollback [VERSION]
Try '\''mm-models --help'\'' for more information.'
	run_split mm-models
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-models: a command is needed: list, show, stage, promote or rollback
$usage"
	run_split mm-models frob
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-models: 'frob' with 0 arguments is not a command
$usage"
	run_split mm-models stage
	assert_failure 2
	assert_equal "${stderr%%$'\n'*}" \
	    "mm-models: 'stage' with 0 arguments is not a command"
	run_split mm-models promote now
	assert_failure 2
	assert_equal "${stderr%%$'\n'*}" \
	    "mm-models: 'promote' with 1 argument is not a command"
}

@test "--help and --version" {
	run_split mm-models --help
	assert_success
	assert_line --index 0 'usage: mm-models [--models DIR] list [--table]'
	assert_equal "$stderr" ""
	run_split mm-models --version
	assert_success
	assert_output --regexp '^mm-models [0-9]+\.[0-9]+\.[0-9]+$'
}
