#!/usr/bin/env bats
# Text in records: JSON string escapes are decoded wherever mm looks a
# key or a string up ("temp\u00e9rature", what Python's json.dumps writes
# by default, is the feature "température"; "b\u0031" is the batch b1),
# while records pass through byte for byte, escapes and all.  Invalid
# UTF-8, a \u escape of a lone surrogate and \u0000 in a key are bad
# input: exit 2, "PROGRAM: FILE:LINE: what" (or "line N" on standard
# input), in every program that reads records.
#
# Invalid bytes are written with $'\xHH'; JSON escapes go through printf
# '%s' so that the shell leaves \u alone.

load helper
bats_require_minimum_version 1.5.0

PY=/usr/bin/python3

# mm-psi.bats's reference, with the feature a named température: a = 1..10
# in four bins (edges 1, 3.25, 5.5, 7.75, 10), c = 5.  The id is the first
# 16 hex digits of sha256 of the features array as written (python3
# hashlib), so it follows the name: 8fa79de8e825aa87.
FIT_ESC='{"batch_id":"t","features":{"temp\u00e9rature":[1,2,3,4,5,6,7,8,9,10],"c":[5,5,5,5,5,5,5,5,5,5]}}'
FIT_RAW='{"batch_id":"t","features":{"température":[1,2,3,4,5,6,7,8,9,10],"c":[5,5,5,5,5,5,5,5,5,5]}}'
REF='{"format":"mm-reference/2","id":"8fa79de8e825aa87","bins":4,"max_categories":20,"rows":10,"features":[{"name":"température","kind":"numeric","n":10,"edges":[1,3.25,5.5,7.75,10],"counts":[3,2,2,3,0]},{"name":"c","kind":"discrete","n":10,"values":[5],"counts":[10,0,0]}]}'
# mm-psi.bats's B1 against it: the same numbers as its D1, under the
# decoded name.
D1='{"psi":{"température":0.11959037710744355,"c":0},"psi_adj":{"température":0,"c":0},"p_value":{"température":1,"c":1},"psi_crit":{"température":2.2689733460288735,"c":null},"drifted":[],"drift_score":0,"status":"stable","n":10,"missing":{"température":0,"c":0},"ref":"8fa79de8e825aa87","counts":{"température":[4,3,1,2,0],"c":[10,0,0]}}'
B1_FEATURES='[1,2,2,3,4,5,5,6,8,10],"c":[5,5,5,5,5,5,5,5,5,5]}'

GOOD='{"batch_id":"g","features":{"a":[1,2]}}'

make_ref() {
	printf '%s\n' "$FIT_RAW" >fit.ndjson
	mm-psi --fit --bins 4 fit.ndjson >ref.json
}

# Latency is measured: replaced by L.
unlatent() {
	sed -E 's/"latency_ms":[0-9]+\.[0-9]{3},/"latency_ms":L,/'
}

@test "mm-psi --fit: escaped and plain feature names give one reference" {
	printf '%s\n' "$FIT_ESC" >esc.ndjson
	run_split mm-psi --fit --bins 4 esc.ndjson
	assert_success
	assert_output "$REF"
	assert_equal "$stderr" ""
	printf '%s\n' "$FIT_RAW" >raw.ndjson
	run_split mm-psi --fit --bins 4 raw.ndjson
	assert_success
	assert_output "$REF"
}

@test "mm-psi: a batch's keys and names match the reference however they are spelled; the record passes as it came" {
	make_ref
	# Every top-level key escaped, the names escaped, the id escaped.
	in='{"b\u0061tch_id":"b\u0031","\u0066eatures":{"temp\u00E9rature":'$B1_FEATURES'}'
	run_split mm-psi --ref ref.json <<<"$in"
	assert_success
	assert_output "${in%\}},\"drift\":$D1}"
	assert_equal "$stderr" ""
	# Fitted from Python's escapes, a plain batch matches as well.
	printf '%s\n' "$FIT_ESC" | mm-psi --fit --bins 4 >ref2.json
	in='{"batch_id":"b1","features":{"température":'$B1_FEATURES'}'
	run_split mm-psi --ref ref2.json <<<"$in"
	assert_success
	assert_output "${in%\}},\"drift\":$D1}"
}

@test "mm-psi: two spellings of one feature in a batch are one feature twice" {
	make_ref
	in='{"batch_id":"b","features":{"temp\u00e9rature":[1],"température":[2],"c":[5,5]}}'
	run_split mm-psi --ref ref.json <<<"$in"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-psi: line 1: feature 'température' appears twice"
}

# mm-predict.bats's B8 (mm-gen --batches 1 --batch-size 8 --seed 4
# --flip-y 0.2) and what version V1 of its store predicts for it.
B8='{"batch_id":"b000000","ts":1764140000,"features":{"f0":[0.208373,1.40969,-0.00969,2.266707,0.244412,2.964411,0.886439,-1.244365],"f1":[-0.983294,-0.355612,2.611346,1.760426,-0.549805,3.410418,-4.972484,2.73677],"f2":[-0.526241,-0.196052,-1.430487,0.621245,-0.278212,1.076507,0.242314,0.553197],"f3":[-0.689713,-0.658888,0.771652,0.875628,1.171767,-1.570525,-1.393495,1.855522],"f4":[3.144523,1.670364,1.536461,2.067988,3.664042,-1.749122,1.797558,3.771054],"f5":[0.867463,-0.187087,-0.323131,-2.069689,1.985913,-2.824682,-0.880278,-0.91493],"f6":[-1.517454,-0.879993,-1.593075,-2.074576,-1.512344,-0.558721,0.081548,-3.588217],"f7":[0.403292,1.204262,0.610426,2.554767,-0.282836,3.651525,0.250288,0.843805],"f8":[-1.117599,0.014186,-1.634282,0.255439,-0.120048,-0.703401,-0.419909,-0.256677],"f9":[-1.717593,-2.841857,0.062771,0.949364,0.075193,-1.526212,-0.481584,-1.662022]},"labels":[1,1,1,1,1,0,0,1]}'
P8='"pred":[0,1,1,1,1,1,0,0],"proba":[0.551598,0.964464,0.960179,1,0.652149,0.820238,0.804113,0.533274]'
M8='"metrics":{"n_samples":8,"n_labelled":8,"accuracy":0.625,"f1":0.7272727272727273,"confusion":[[1,1],[2,4]],"avg_confidence":0.7857517482517482,"latency_ms":L,"model_version":"20251126T065320Z"}'

@test "mm-predict: escaped keys, names and id predict as plain ones; the record keeps its escapes" {
	mkdir -p conf
	printf 'n_estimators: 20\nmin_validation_rows: 1\n' >conf/model.yaml
	mm-train --config conf --models m --synthetic --rows 400 --seed 1 \
	    --now 1764140000 >/dev/null
	# f0..f9 as \u0066N, and batch_id, features and labels escaped.
	in=$(sed -e 's/"f\([0-9]\)"/"\\u0066\1"/g' \
	    -e 's/"batch_id":"b000000"/"b\\u0061tch_id":"b\\u00e9"/' \
	    -e 's/"features"/"\\u0066eatures"/' \
	    -e 's/"labels"/"l\\u0061bels"/' <<<"$B8")
	[[ $in == *'"\u00660":[0.208373,'* ]]
	run_split mm-predict --models m <<<"$in"
	assert_success
	assert_equal "$(unlatent <<<"$output")" "${in%\}},$P8,$M8}"
	assert_equal "$stderr" ""
}

@test "mm-record: batch_id is stored decoded, so two spellings are one batch" {
	r1='{"batch_id":"b\u0031","ts":1764140000,"metrics":{"n_samples":2,"accuracy":0.5,"model_version":"v1"}}'
	r2='{"b\u0061tch_id":"b1","ts":1764140000,"metrics":{"n_samples":2,"accuracy":0.5,"model_version":"v1"}}'
	r3='{"batch_id":"caf\u00e9 \ud83d\ude00","ts":1764140060,"metrics":{"n_samples":1,"model_version":"v1"}}'
	printf '%s\n' "$r1" "$r2" "$r3" >in.ndjson
	run_split mm-record --db m.db --now 1764150000 in.ndjson
	assert_success
	assert_output "$(cat in.ndjson)"
	assert_equal "$stderr" ""
	assert_equal "$(sqlite3 m.db 'SELECT batch_id, n_samples FROM metrics ORDER BY id')" \
	    "b1|2
café 😀|1"
}

@test "mm-batch: rows from Python (escaped names) and from CSV make batches mm-predict takes" {
	mkdir -p conf
	printf 'n_estimators: 5\nmin_validation_rows: 1\n' >conf/model.yaml
	"$PY" -c '
import json
for b in range(3):
    t = [float(10 + i) for i in range(20)]
    print(json.dumps({"batch_id": "t%d" % b, "features": {"température": t,
        "humidité": [50.0] * 20}, "labels": [int(x >= 20) for x in t]}))
' >py.ndjson
	grep -q '"temp\\u00e9rature"' py.ndjson
	mm-train --config conf --models m --now 1764140000 --activate \
	    py.ndjson >/dev/null
	printf 'batch_id,température,humidité,label\nc1,25,50,1\nc1,11,50,0\n' >rows.csv
	run_split sh -c 'mm-batch --csv --now 1764140000 rows.csv | mm-predict --models m'
	assert_success
	assert_equal "$(unlatent <<<"$output")" '{"batch_id":"c1","ts":1764140000,"features":{"température":[25,11],"humidité":[50,50]},"labels":[1,0],"pred":[1,0],"proba":[1,1],"metrics":{"n_samples":2,"n_labelled":2,"accuracy":1,"f1":1,"confusion":[[1,0],[0,1]],"avg_confidence":1,"latency_ms":L,"model_version":"20251126T065320Z"}}'
	assert_equal "$stderr" ""
	# And Python reads what mm wrote.
	"$PY" -c 'import json, sys; [json.loads(l) for l in sys.stdin]' <<<"$output"
}

@test "mm-batch: escaped and plain spellings of a name or an id are one column, one batch" {
	printf '%s\n' \
	    '{"batch_id":"b\u0031","temp\u00e9rature":1.5,"label":1}' \
	    '{"batch_id":"b1","température":2.5,"label":0}' \
	    '{"\u0062atch_id":"\u0062\u0032","\u0074s":5,"temp\u00E9rature":3}' >rows.ndjson
	run_split mm-batch --now 7 rows.ndjson
	assert_success
	assert_output '{"batch_id":"b1","ts":7,"features":{"température":[1.5,2.5]},"labels":[1,0]}
{"batch_id":"b2","ts":5,"features":{"température":[3]}}'
	assert_equal "$stderr" ""
}

@test "mm-psi --merge --by: escaped and plain spellings of a value are one group" {
	printf '%s\n' "$FIT_RAW" | sed 's/température/a/' >fit.ndjson
	mm-psi --fit --bins 4 fit.ndjson >ref.json
	printf '%s\n' \
	    '{"batch_id":"w1","day":"d\u00e9","features":{"a":[1,2],"c":[5,5]}}' \
	    '{"batch_id":"w2","day":"d\u00E9","features":{"a":[9,10],"c":[5,5]}}' \
	    '{"batch_id":"w3","day":"dé","features":{"a":[5,6],"c":[5,5]}}' |
	    mm-psi --ref ref.json --counts >c.ndjson
	whole=$(mm-psi --ref ref.json <<<'{"batch_id":"x","features":{"a":[1,2,9,10,5,6],"c":[5,5,5,5,5,5]}}')
	run_split mm-psi --ref ref.json --merge --by day c.ndjson
	assert_success
	assert_output "{\"day\":\"dé\",\"n_records\":3,\"drift\":${whole#*\"drift\":}"
	assert_equal "$stderr" ""
}

# Invalid UTF-8.  Bytes count from 1 at the line's first.

@test "invalid UTF-8 stops every program that reads records at its line, with exit 2" {
	printf '%s\n' "$GOOD" >fit.ndjson
	mm-psi --fit fit.ndjson >ref.json
	mkdir -p conf
	printf 'n_estimators: 5\nmin_validation_rows: 1\n' >conf/model.yaml
	printf '%s\n' '{"batch_id":"t","features":{"a":[1,2,3,4,5,6,7,8,9,10,11,12]},"labels":[0,0,0,0,0,0,1,1,1,1,1,1]}' >train.ndjson
	mm-train --config conf --models m --now 1764140000 --activate \
	    train.ndjson >/dev/null
	# Latin-1 é in the id: byte 17.
	printf '%s\n%s\n%s\n' "$GOOD" $'{"batch_id":"caf\xe9","features":{"a":[1,2]}}' \
	    "$GOOD" >bad.ndjson
	for cmd in "mm-psi --ref ref.json" "mm-psi --fit" "mm-psi --ref ref.json --counts" \
	    "mm-predict --models m" "mm-record --db r.db --now 1764150000" \
	    "mm-trust" "mm-decide --db d.db" "mm-alert" "mm-exec --db e.db" \
	    "mm-train --config conf --models m2"; do
		run_split $cmd bad.ndjson
		assert_equal "$cmd: $status" "$cmd: 2"
		assert_equal "$stderr" "${cmd%% *}: bad.ndjson:2: invalid UTF-8 at byte 17"
		# No part of the bad line went out.
		[[ $output != *caf* ]]
	done
	# On standard input the line is named alone.
	run_split mm-psi --ref ref.json <bad.ndjson
	assert_failure 2
	assert_equal "$stderr" "mm-psi: line 2: invalid UTF-8 at byte 17"
	assert_equal "$(wc -l <<<"$output")" 1
}

@test "invalid UTF-8: overlong, surrogate, above U+10FFFF, cut short, anywhere in the record" {
	printf '%s\n' "$GOOD" >fit.ndjson
	mm-psi --fit fit.ndjson >ref.json
	check() {
		printf '%s\n' "$1" >in.ndjson
		run_split mm-psi --ref ref.json in.ndjson
		assert_failure 2
		assert_output ""
		assert_equal "$stderr" "mm-psi: in.ndjson:1: invalid UTF-8 at byte $2"
	}
	# '/' as C0 AF.
	check $'{"batch_id":"\xc0\xaf","features":{"a":[1]}}' 14
	# U+D800 as ED A0 80 (CESU-8), in a feature name.
	check $'{"batch_id":"b","features":{"\xed\xa0\x80":[1]}}' 30
	# F4 90 80 80 would be U+110000, in a key no program reads.
	check $'{"batch_id":"b","x\xf4\x90\x80\x80":1,"features":{"a":[1]}}' 19
	# A three-byte sequence cut by the closing quote, in a string value.
	check $'{"batch_id":"b","note":"\xe2\x82","features":{"a":[1]}}' 25
	# A lone continuation byte after the object.
	check $'{"batch_id":"b","features":{"a":[1]}} \x80' 39
	# Valid text right up to the bad byte: 4-byte, 3-byte, 2-byte, then FF.
	check $'{"batch_id":"\xf0\x9f\x98\x80\xe2\x82\xac\xc3\xa9\xff","features":{"a":[1]}}' 23
}

@test "invalid UTF-8 with --skip-bad: the line is skipped and counted" {
	printf '%s\n' "$GOOD" >fit.ndjson
	mm-psi --fit fit.ndjson >ref.json
	printf '%s\n%s\n%s\n' "$GOOD" $'{"batch_id":"\xff","features":{"a":[1,2]}}' \
	    "$GOOD" >bad.ndjson
	run_split mm-psi --ref ref.json --skip-bad bad.ndjson
	assert_success
	assert_equal "$(wc -l <<<"$output")" 2
	assert_equal "$stderr" "mm-psi: skipped 1 bad record"
}

@test "mm-batch: invalid UTF-8 in a CSV row, a CSV header or a JSON row is bad input" {
	printf 'batch_id,x\nb1,1\nb1,\xe92\nb2,3\n' >rows.csv
	run_split mm-batch --csv --now 7 rows.csv
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-batch: rows.csv:3: invalid UTF-8 at byte 4"

	run_split mm-batch --csv --now 7 --skip-bad rows.csv
	assert_success
	assert_output '{"batch_id":"b1","ts":7,"features":{"x":[1]}}
{"batch_id":"b2","ts":7,"features":{"x":[3]}}'
	assert_equal "$stderr" "mm-batch: skipped 1 bad row"

	printf 'batch_id,temp\xe9rature\nb1,1\n' >head.csv
	run_split mm-batch --csv --now 7 head.csv
	assert_failure 2
	assert_equal "$stderr" "mm-batch: head.csv:1: invalid UTF-8 at byte 14"

	# UTF-8 is fine, and comes out as it went in.
	printf 'batch_id,temp\xc3\xa9rature\ncaf\xc3\xa9,1\n' >ok.csv
	run_split mm-batch --csv --now 7 ok.csv
	assert_success
	assert_output '{"batch_id":"café","ts":7,"features":{"température":[1]}}'

	printf '%s\n' '{"batch_id":"b1","x":1}' $'{"batch_id":"b2","x":2,"note":"\xed\xbf\xbf"}' >rows.ndjson
	run_split mm-batch --now 7 rows.ndjson
	assert_failure 2
	# Which batch the bad row was of is unknown: b1 may not be whole.
	assert_output ""
	assert_equal "$stderr" "mm-batch: rows.ndjson:2: invalid UTF-8 at byte 32"
}

# Escapes that name no character.

@test "a \\u escape of a lone surrogate is bad input, in any string; a pair is a character" {
	make_ref
	in='{"batch_id":"\ud83d\ude00","features":{"température":'$B1_FEATURES'}'
	run_split mm-psi --ref ref.json <<<"$in"
	assert_success
	assert_output "${in%\}},\"drift\":$D1}"
	for bad in '"\ud800"' '"\udc00"' '"x\ud83d"' '"\ude00\ud83d"' '"\ud83d\u0041"'; do
		in='{"batch_id":"b","note":'$bad',"features":{"température":'$B1_FEATURES'}'
		run_split mm-psi --ref ref.json <<<"$in"
		assert_failure 2
		assert_equal "$stderr" 'mm-psi: line 1: invalid JSON: \u escape of a lone surrogate in string'
	done
}

@test "\\u0000 is bad input in a key and in a batch id, and passes through in other values" {
	make_ref
	in='{"batch_id":"b","a\u0000":1,"features":{"température":'$B1_FEATURES'}'
	run_split mm-psi --ref ref.json <<<"$in"
	assert_failure 2
	assert_equal "$stderr" 'mm-psi: line 1: invalid JSON: \u0000 in a key'

	in='{"batch_id":"b\u0000","features":{"température":'$B1_FEATURES'}'
	run_split mm-psi --ref ref.json <<<"$in"
	assert_failure 2
	assert_equal "$stderr" "mm-psi: line 1: 'batch_id' has a \\u escape of a NUL"

	in='{"batch_id":"b","note":"a\u0000b","features":{"température":'$B1_FEATURES'}'
	run_split mm-psi --ref ref.json <<<"$in"
	assert_success
	assert_output "${in%\}},\"drift\":$D1}"
}
