#!/usr/bin/env bats
# mm-batch: rows (JSON objects or CSV) into batch records; grouping by id,
# --size and --every; numbers copied byte for byte; the kinds of the
# features fixed once, from the first rows or a schema; categories and
# string labels; every way a row can be bad.

bats_require_minimum_version 1.5.0
load helper

# ok_run CMD...: run with stdout and stderr apart; exit 0, stderr empty.
ok_run() {
	run_split "$@"
	assert_success
	assert_equal "$stderr" ""
}

# rows LINE...: the lines, each ended by a newline, into the file "in".
rows() {
	printf '%s\n' "$@" >in
}

# bad_row LINE MESSAGE [OPTION...]: a good b1 row, LINE, another b1 row
# on standard input stop at line 2 with exit 2 and MESSAGE, writing
# nothing: the open batch b1 is not known to be complete.
bad_row() {
	local line=$1 msg=$2
	shift 2
	rows '{"batch_id":"b1","f0":1,"label":0}' "$line" \
	    '{"batch_id":"b1","f0":2,"label":1}'
	run_split mm-batch --now 5 "$@" <in
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-batch: line 2: $msg"
}

@test "JSON rows grouped by batch_id, ts of each batch's last row" {
	rows '{"batch_id":"b1","ts":1764140000.5,"f0":0.12,"f1":-1.3,"label":1}' \
	    '{"batch_id":"b1","ts":1764140001.0,"f0":0.5,"f1":2,"label":0}' \
	    '{"batch_id":"b2","ts":1764140060,"f0":7,"f1":8,"label":1}'
	ok_run mm-batch <in
	assert_output - <<'EOF'
{"batch_id":"b1","ts":1764140001.0,"features":{"f0":[0.12,0.5],"f1":[-1.3,2]},"labels":[1,0]}
{"batch_id":"b2","ts":1764140060,"features":{"f0":[7],"f1":[8]},"labels":[1]}
EOF
}

@test "numbers are copied byte for byte" {
	rows '{"batch_id":"b","ts":1.764140000e9,"f0":1.50,"f1":1e-7,"f2":-0.0,"f3":1E+2}' \
	    '{"batch_id":"b","ts":17.000,"f0":123456789012345678901234567890,"f1":0.1000000000000000055511151231257827,"f2":0,"f3":-1e-400}'
	ok_run mm-batch <in
	assert_output '{"batch_id":"b","ts":17.000,"features":{"f0":[1.50,123456789012345678901234567890],"f1":[1e-7,0.1000000000000000055511151231257827],"f2":[-0.0,0],"f3":[1E+2,-1e-400]}}'
}

@test "a batch's ts: its last row that has one, else --now, else the clock" {
	rows '{"batch_id":"a","ts":10,"f0":1}' '{"batch_id":"a","f0":2}' \
	    '{"batch_id":"b","ts":null,"f0":3}'
	ok_run mm-batch --now 1764140000.25 <in
	assert_output - <<'EOF'
{"batch_id":"a","ts":10,"features":{"f0":[1,2]}}
{"batch_id":"b","ts":1764140000.25,"features":{"f0":[3]}}
EOF
	rows '{"batch_id":"b","f0":3}'
	# The clock's seconds, as date +%s gives them.
	before=$EPOCHSECONDS
	ok_run mm-batch <in
	after=$EPOCHSECONDS
	[[ $output =~ ^\{\"batch_id\":\"b\",\"ts\":([0-9]+)\.[0-9]{3},\"features\":\{\"f0\":\[3\]\}\}$ ]]
	[ "${BASH_REMATCH[1]}" -ge "$before" ]
	[ "${BASH_REMATCH[1]}" -le "$after" ]
}

@test "an id may be a number; other fields name the id, ts and label" {
	rows '{"run":7,"when":3,"y":2,"x":1.5}' '{"run":7,"when":4,"y":null,"x":2}' \
	    '{"run":"8","when":5,"x":3,"batch_id":9}'
	ok_run mm-batch --id run --ts when --label y <in
	assert_output - <<'EOF'
{"batch_id":"7","ts":4,"features":{"x":[1.5,2],"batch_id":[null,null]},"labels":[2,null]}
{"batch_id":"8","ts":5,"features":{"x":[3],"batch_id":[9]}}
EOF
}

@test "--size: every N rows, ids counting from 000000 after the run's tag, the last batch smaller" {
	rows '{"ts":1,"f0":1,"label":0}' '{"ts":2,"f0":2,"label":1}' \
	    '{"ts":3,"f0":3,"label":0}' '{"ts":4,"f0":4,"label":1}' \
	    '{"ts":5,"f0":5}'
	# The tag: --now in UTC, and FNV-1a of the first row and its
	# newline, folded to 32 bits.
	ok_run mm-batch --size 2 --now 1764140000 <in
	assert_output - <<'EOF'
{"batch_id":"b20251126T065320Z-f8f03110-000000","ts":2,"features":{"f0":[1,2]},"labels":[0,1]}
{"batch_id":"b20251126T065320Z-f8f03110-000001","ts":4,"features":{"f0":[3,4]},"labels":[0,1]}
{"batch_id":"b20251126T065320Z-f8f03110-000002","ts":5,"features":{"f0":[5]}}
EOF
	# --id-prefix STR: STR and the count, nothing else.
	ok_run mm-batch --size 2 --id-prefix b <in
	assert_output - <<'EOF'
{"batch_id":"b000000","ts":2,"features":{"f0":[1,2]},"labels":[0,1]}
{"batch_id":"b000001","ts":4,"features":{"f0":[3,4]},"labels":[0,1]}
{"batch_id":"b000002","ts":5,"features":{"f0":[5]}}
EOF
}

@test "--size ignores the id field; --prefix replaces b" {
	rows '{"batch_id":"x","f0":1}' '{"batch_id":"y","f0":2}' \
	    '{"batch_id":"x","f0":3}'
	ok_run mm-batch --size 3 --prefix 'day1-' --now 0 <in
	assert_output '{"batch_id":"day1-19700101T000000Z-cee2137f-000000","ts":0,"features":{"f0":[1,2,3]}}'
	ok_run mm-batch --size 3 --id-prefix 'day1-' --now 0 <in
	assert_output '{"batch_id":"day1-000000","ts":0,"features":{"f0":[1,2,3]}}'
}

@test "--size: two runs never give the same ids; with --now or --id-prefix a run gives the same ones again" {
	rows '{"ts":1,"f0":1,"label":0}' '{"ts":2,"f0":2,"label":1}'
	# ids TEXT: in $ids, the batch ids of the records in TEXT, as
	# sed 's/^{"batch_id":"\([^"]*\)".*/\1/' | xargs gives them.
	ids() {
		local line text=()

		mapfile -t text <<<"$1"
		ids=
		for line in "${text[@]}"; do
			if [[ $line =~ ^\{\"batch_id\":\"([^\"]*)\" ]]; then
				line=${BASH_REMATCH[1]}
			fi
			ids+=${ids:+ }$line
		done
	}
	# Without --now: the clock, and the process id in the hash, so two
	# runs in the same second on the same rows still differ.
	TZ=UTC printf -v before '%(%Y%m%dT%H%M%SZ)T' -1
	ids "$(mm-batch --size 1 in)"
	a=$ids
	ids "$(mm-batch --size 1 in)"
	b=$ids
	TZ=UTC printf -v after '%(%Y%m%dT%H%M%SZ)T' -1
	[[ $a =~ ^b([0-9]{8}T[0-9]{6}Z)-([0-9a-f]{8})-000000\ b[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}-000001$ ]] ||
	    fail "ids '$a'"
	[[ ! ${BASH_REMATCH[1]} < $before && ! ${BASH_REMATCH[1]} > $after ]] ||
	    fail "'${BASH_REMATCH[1]}' is not from $before to $after"
	[ "${a% *}" != "${b% *}" ] || fail "two runs gave '$a'"
	# With --now the same rows give the same ids, other rows others:
	# the first row is hashed, after the CSV header if there is one.
	ids "$(mm-batch --size 1 --now 1764140000.9 in)"
	assert_equal "$ids" \
	    "b20251126T065320Z-f8f03110-000000 b20251126T065320Z-f8f03110-000001"
	ids "$(mm-batch --size 1 --now 1764140000 in)"
	assert_equal "$ids" \
	    "b20251126T065320Z-f8f03110-000000 b20251126T065320Z-f8f03110-000001"
	rows '{"ts":1,"f0":1,"label":1}' '{"ts":2,"f0":2,"label":1}'
	ids "$(mm-batch --size 1 --now 1764140000 in)"
	assert_equal "$ids" \
	    "b20251126T065320Z-fb20aa27-000000 b20251126T065320Z-fb20aa27-000001"
	printf 'f0,label\n1,0\n' >in.csv
	ids "$(mm-batch --size 1 --now 1764140000 in.csv)"
	assert_equal "$ids" "b20251126T065320Z-71d35e3b-000000"
	# A bad line skipped before the first batch is read, so hashed.
	printf 'f0,label\nbad\n1,0\n' >in.csv
	ids "$(mm-batch --size 1 --now 1764140000 --skip-bad in.csv 2>/dev/null)"
	assert_equal "$ids" "b20251126T065320Z-c5f87aef-000000"
}

@test "--size: day 2's batches are not taken for day 1's by mm-record" {
	command -v mm-record >/dev/null || skip "bin/mm-record is not built"
	printf '%s\n' '{"ts":1764140000,"f0":1,"label":0}' '{"ts":1764140001,"f0":2,"label":1}' \
	    '{"ts":1764140002,"f0":3,"label":0}' '{"ts":1764140003,"f0":4,"label":1}' >day1
	printf '%s\n' '{"ts":1764226400,"f0":5,"label":1}' '{"ts":1764226401,"f0":6,"label":0}' \
	    '{"ts":1764226402,"f0":7,"label":1}' '{"ts":1764226403,"f0":8,"label":0}' >day2
	# Each day's run as a daily job would make it, with the metrics
	# mm-record needs to store a batch: its lines' closing } made
	# $metrics, as sed 's/}$/,"metrics":{"n_samples":2}}/' did.
	metrics=',"metrics":{"n_samples":2}}'
	for d in day1 day2; do
		mapfile -t out <<<"$(mm-batch --size 2 "$d")"
		printf '%s\n' "${out[@]/%\}/$metrics}" >"$d.ndjson"
		run_split mm-record --db m.db "$d.ndjson"
		assert_success
		assert_equal "$stderr" ""
	done
	# Both queries in one sqlite3.
	run sqlite3 m.db 'SELECT count(*), count(DISTINCT batch_id) FROM metrics; SELECT count(*) FROM evidence;
	    SELECT group_concat(ts) FROM (SELECT ts FROM metrics ORDER BY id)'
	assert_output '4|4
8
1764140001.0,1764140003.0,1764226401.0,1764226403.0'
}

@test "--every: one batch per window, id from its start, ts its end" {
	rows '{"ts":1764140100,"f0":1}' '{"ts":1764140159.9,"f0":2}' \
	    '{"ts":1764140130,"f0":3}' '{"ts":1764140160,"f0":4}' \
	    '{"ts":1764140400.5,"f0":5}'
	ok_run mm-batch --every 60 <in
	assert_output - <<'EOF'
{"batch_id":"b1764140100","ts":1764140160,"features":{"f0":[1,2,3]}}
{"batch_id":"b1764140160","ts":1764140220,"features":{"f0":[4]}}
{"batch_id":"b1764140400","ts":1764140460,"features":{"f0":[5]}}
EOF
	ok_run mm-batch --every 3600 --prefix h <in
	assert_output - <<'EOF'
{"batch_id":"h1764136800","ts":1764140400,"features":{"f0":[1,2,3,4]}}
{"batch_id":"h1764140400","ts":1764144000,"features":{"f0":[5]}}
EOF
}

@test "--every: a row of an earlier window, or without ts, is bad" {
	rows '{"ts":100,"f0":1}' '{"ts":130,"f0":2}' '{"ts":119,"f0":3}'
	run_split mm-batch --every 60 <in
	assert_failure 2
	assert_output - <<'EOF'
{"batch_id":"b60","ts":120,"features":{"f0":[1]}}
{"batch_id":"b120","ts":180,"features":{"f0":[2]}}
EOF
	assert_equal "$stderr" "mm-batch: line 3: ts 119 is before the window of batch 'b120'"
	rows '{"ts":100,"f0":1}' '{"f0":2}'
	run_split mm-batch --every 60 <in
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-batch: line 2: no 'ts' field"
}

@test "--features: those fields in that order, missing ones null" {
	rows '{"batch_id":"b","f0":1,"f1":2,"f2":3,"note":"x"}' \
	    '{"batch_id":"b","f2":6,"f0":4,"f9":"ignored"}'
	run_split mm-batch --features f2,f0,f5 --now 1 <in
	assert_success
	assert_output '{"batch_id":"b","ts":1,"features":{"f2":[3,6],"f0":[1,4],"f5":[null,null]}}'
	assert_equal "$stderr" "mm-batch: feature 'f5' has no value in the first 2 rows: taken as numeric"
}

@test "--features: a listed field that is not a number is bad" {
	bad_row '{"batch_id":"b1","f0":true}' "feature 'f0' is not a number: true" \
	    --features f0
}

@test "features: every field of the first N rows, for the whole stream; later ones warn once" {
	rows '{"batch_id":"a","f0":1,"f1":null,"s":"text"}' \
	    '{"batch_id":"a","f1":2,"s":4}' \
	    '{"batch_id":"a","f0":5,"f2":6}' \
	    '{"batch_id":"b","f2":7,"f0":8}' \
	    '{"batch_id":"b","f2":9,"f3":null,"s":"x"}'
	run_split mm-batch --infer-rows 2 --now 0 <in
	assert_success
	assert_output - <<'EOF'
{"batch_id":"a","ts":0,"features":{"f0":[1,null,5],"f1":[null,2,null],"s":["text","4",null]}}
{"batch_id":"b","ts":0,"features":{"f0":[8,null],"f1":[null,null],"s":[null,"x"]}}
EOF
	assert_equal "$stderr" "mm-batch: line 3: ignoring field 'f2', not in the first 2 rows
mm-batch: line 5: ignoring field 'f3', not in the first 2 rows"
	# Every batch has every feature, the first's columns as the last's.
	run_split mm-batch --now 0 <in
	assert_success
	assert_output - <<'EOF'
{"batch_id":"a","ts":0,"features":{"f0":[1,null,5],"f1":[null,2,null],"s":["text","4",null],"f2":[null,null,6],"f3":[null,null,null]}}
{"batch_id":"b","ts":0,"features":{"f0":[8,null],"f1":[null,null],"s":[null,"x"],"f2":[7,9],"f3":[null,null]}}
EOF
	assert_equal "$stderr" "mm-batch: feature 'f3' has no value in the first 5 rows: taken as numeric"
}

@test "labels: null or absent is null; no label in a batch, no labels" {
	rows '{"batch_id":"a","f0":1,"label":null}' '{"batch_id":"a","f0":2}' \
	    '{"batch_id":"a","f0":3,"label":2}' \
	    '{"batch_id":"b","f0":4,"label":null}' '{"batch_id":"b","f0":5}'
	ok_run mm-batch --now 0 <in
	assert_output - <<'EOF'
{"batch_id":"a","ts":0,"features":{"f0":[1,2,3]},"labels":[null,null,2]}
{"batch_id":"b","ts":0,"features":{"f0":[4,5]}}
EOF
}

@test "CSV: header, quoted id, empty cell null, numbers as written" {
	printf '%s\n' 'batch_id,ts,f0,f1,label' \
	    '"b ""1"", x",1764140000.5,1.50,-0.0,1' \
	    '"b ""1"", x",1764140001,,1e-7,' \
	    'b2,,"3",4,0' >in.csv
	ok_run mm-batch --now 9 in.csv
	assert_output - <<'EOF'
{"batch_id":"b \"1\", x","ts":1764140001,"features":{"f0":[1.50,null],"f1":[-0.0,1e-7]},"labels":[1,null]}
{"batch_id":"b2","ts":9,"features":{"f0":[3],"f1":[4]},"labels":[0]}
EOF
}

@test "CSV: auto-detected or forced; each file its header; BOM, CRLF" {
	printf 'batch_id,f0\nb1,1\n' >a.csv
	printf 'f1,batch_id,f0\n,b1,2\n5,b2,4\n' >b.csv
	run_split mm-batch --now 0 a.csv b.csv
	assert_success
	assert_output - <<'EOF'
{"batch_id":"b1","ts":0,"features":{"f0":[1,2],"f1":[null,null]}}
{"batch_id":"b2","ts":0,"features":{"f0":[4],"f1":[5]}}
EOF
	assert_equal "$stderr" ""
	run_split mm-batch --now 0 --infer-rows 1 a.csv b.csv
	assert_success
	assert_output - <<'EOF'
{"batch_id":"b1","ts":0,"features":{"f0":[1,2]}}
{"batch_id":"b2","ts":0,"features":{"f0":[4]}}
EOF
	assert_equal "$stderr" "mm-batch: b.csv:2: ignoring field 'f1', not in the first row"
	printf '{x\n' >odd.csv
	ok_run mm-batch --csv --size 1 --now 0 odd.csv
	assert_output ""
	ok_run mm-batch --now 0 <a.csv
	assert_output '{"batch_id":"b1","ts":0,"features":{"f0":[1]}}'
	printf '\357\273\277batch_id,f0\r\nb1,1\r\n' >bom.csv
	ok_run mm-batch --now 0 bom.csv
	assert_output '{"batch_id":"b1","ts":0,"features":{"f0":[1]}}'
}

@test "CSV: a number must be a JSON number as it stands" {
	for cell in +1 .5 1. 01 ' 1' 0x1f; do
		printf 'batch_id,f0\nb1,1\nb1,%s\n' "$cell" >in.csv
		run_split mm-batch in.csv
		assert_failure 2
		assert_output ""
		assert_equal "$stderr" "mm-batch: in.csv:3: feature 'f0': cell '$cell' is not a JSON number"
	done
	printf 'batch_id,f0\nb1,1\nb1,abc\n' >in.csv
	run_split mm-batch --infer-rows 1 in.csv
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-batch: in.csv:3: feature 'f0' is not a number: abc"
}

@test "CSV: bad lines and bad headers" {
	printf 'batch_id,f0\nb1,1,2\n' >in.csv
	run_split mm-batch in.csv
	assert_failure 2
	assert_equal "$stderr" "mm-batch: in.csv:2: 3 cells, the header has 2"
	printf 'batch_id,f0\n"b1,1\n' >in.csv
	run_split mm-batch in.csv
	assert_failure 2
	assert_equal "$stderr" "mm-batch: in.csv:2: cell 1: unterminated quoted cell"
	printf 'id,f0\nb1,1\n' >in.csv
	run_split mm-batch --skip-bad in.csv
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-batch: in.csv:1: header: no 'batch_id' column: use --size N or --every SECONDS"
	printf 'batch_id,f0,f0\n' >in.csv
	run_split mm-batch in.csv
	assert_failure 2
	assert_equal "$stderr" "mm-batch: in.csv:1: header: column 'f0' appears twice"
	printf 'batch_id,f0\n' >in.csv
	run_split mm-batch --features f0,f1 in.csv
	assert_failure 2
	assert_equal "$stderr" "mm-batch: in.csv:1: header: no column for feature 'f1'"
}

@test "bad row: truncated JSON" {
	bad_row '{"batch_id":"b1","f0":' \
	    "invalid JSON: expected a value, found end of line"
}

@test "bad row: not a JSON object" {
	bad_row 'b1,2' "invalid JSON: expected a JSON object, found 'b'"
}

@test "bad row: a string in a feature the first rows found numeric" {
	bad_row '{"batch_id":"b1","f0":"0.5"}' \
	    "feature 'f0' is not a number: \"0.5\"" --infer-rows 1
}

@test "bad row: a number too large for a double" {
	bad_row '{"batch_id":"b1","f0":1e999}' "feature 'f0' is out of range: 1e999"
}

@test "bad row: labels that are not whole numbers from 0 to 999" {
	bad_row '{"batch_id":"b1","f0":1,"label":1.5}' \
	    "field 'label' is not an integer from 0 to 999: 1.5"
	bad_row '{"batch_id":"b1","f0":1,"label":1.0}' \
	    "field 'label' is not an integer from 0 to 999: 1.0"
	bad_row '{"batch_id":"b1","f0":1,"label":-1}' \
	    "field 'label' is not an integer from 0 to 999: -1"
	bad_row '{"batch_id":"b1","f0":1,"label":true}' \
	    "field 'label' is not an integer from 0 to 999 or a string: true"
	bad_row '{"batch_id":"b1","f0":1,"label":""}' "field 'label' is empty"
}

@test "bad row: ts that is neither a number nor an ISO 8601 time" {
	bad_row '{"batch_id":"b1","ts":"now","f0":1}' \
	    "field 'ts' is not a time (Unix seconds or ISO 8601): \"now\""
	bad_row '{"batch_id":"b1","ts":"2026-02-30T12:00:00Z","f0":1}' \
	    "field 'ts' is not a time (Unix seconds or ISO 8601): \"2026-02-30T12:00:00Z\""
	bad_row '{"batch_id":"b1","ts":"2026-11-30T12:00:60Z","f0":1}' \
	    "field 'ts' is not a time (Unix seconds or ISO 8601): \"2026-11-30T12:00:60Z\""
	bad_row '{"batch_id":"b1","ts":true,"f0":1}' "field 'ts' is not a number"
}

@test "ts as an ISO 8601 time, in JSON and CSV: its Unix seconds" {
	run_split mm-batch --every 1h <<-'EOF'
	{"ts":"2026-11-30T12:00:00Z","f":1}
	{"ts":"2026-11-30T13:29:59.5+01:00","f":2}
	{"ts":"2026-11-30T13:10","f":3}
	EOF
	assert_success
	assert_equal "$stderr" ""
	assert_output - <<-'EOF'
	{"batch_id":"b1796040000","ts":1796043600,"features":{"f":[1,2]}}
	{"batch_id":"b1796043600","ts":1796047200,"features":{"f":[3]}}
	EOF
	run_split mm-batch --csv --size 5 --id-prefix d <<-'EOF'
	ts,f
	2026-11-30,1
	2026-11-30T00:00:01.25Z,2
	EOF
	assert_success
	assert_output '{"batch_id":"d000000","ts":1795996801.25,"features":{"f":[1,2]}}'
}

@test "--every takes a length with a unit, as mm-aggregate's windows" {
	printf '{"ts":%s,"f":1}\n' 0 1799 1800 >rows.ndjson
	run_split mm-batch --every 30m rows.ndjson
	assert_success
	assert_output - <<-'EOF'
	{"batch_id":"b0","ts":1800,"features":{"f":[1,1]}}
	{"batch_id":"b1800","ts":3600,"features":{"f":[1]}}
	EOF
	run_split mm-batch --every 1800 rows.ndjson
	assert_success
	assert_line --index 1 '{"batch_id":"b1800","ts":3600,"features":{"f":[1]}}'
	for bad in 1x 0 -5m 1.5h 367d; do
		run_split mm-batch --every "$bad" rows.ndjson
		assert_failure 2
		assert_equal "$stderr" "mm-batch: --every: '$bad' is not a length such as 3600, 30s, 5m, 1h or 1d (366d at most)"
	done
}

@test "bad row: id missing, null, empty or not a string" {
	bad_row '{"f0":1}' "no 'batch_id' field"
	bad_row '{"batch_id":null,"f0":1}' "field 'batch_id' is null"
	bad_row '{"batch_id":"","f0":1}' "field 'batch_id' is empty"
	bad_row '{"batch_id":["b1"],"f0":1}' "field 'batch_id' is not a string"
}

@test "bad row: a field twice" {
	bad_row '{"batch_id":"b1","f0":1,"f0":2}' "field 'f0' appears twice"
	bad_row '{"batch_id":"b1","f0":1,"batch_id":"b1"}' \
	    "field 'batch_id' appears twice"
}

@test "bad row: an empty line" {
	bad_row '' "empty line"
	bad_row '   ' "empty line"
}

@test "bad row: a line longer than --max-record" {
	bad_row '{"batch_id":"b1","f0":1234567890,"f1":1234567890}' \
	    "record longer than 40 bytes" --max-record 40
}

@test "bad row of the next batch: the batch before it is written" {
	rows '{"batch_id":"b1","f0":1}' '{"batch_id":"b2","f0":2,"label":-1}'
	run_split mm-batch --now 0 <in
	assert_failure 2
	assert_output '{"batch_id":"b1","ts":0,"features":{"f0":[1]}}'
	assert_equal "$stderr" "mm-batch: line 2: field 'label' is not an integer from 0 to 999: -1"
	rows '{"batch_id":"b1","f0":1}' '{"batch_id":"b2","f0":"x"}'
	run_split mm-batch --now 0 --infer-rows 1 <in
	assert_failure 2
	assert_output '{"batch_id":"b1","ts":0,"features":{"f0":[1]}}'
	assert_equal "$stderr" "mm-batch: line 2: feature 'f0' is not a number: \"x\""
}

@test "an id that comes back is not contiguous" {
	rows '{"batch_id":"b1","f0":1}' '{"batch_id":"b2","f0":2}' \
	    '{"batch_id":"b2","f0":3}' '{"batch_id":"b1","f0":4}' \
	    '{"batch_id":"b3","f0":5}'
	run_split mm-batch --now 0 <in
	assert_failure 2
	assert_output - <<'EOF'
{"batch_id":"b1","ts":0,"features":{"f0":[1]}}
{"batch_id":"b2","ts":0,"features":{"f0":[2,3]}}
EOF
	assert_equal "$stderr" "mm-batch: line 4: batch 'b1' is not contiguous"
}

@test "a named file's bad line is FILE:LINE" {
	printf '{"batch_id":"b1","f0":1}\n{"batch_id":"b1","f0":[1]}\n' >rows.ndjson
	run_split mm-batch rows.ndjson
	assert_failure 2
	assert_equal "$stderr" "mm-batch: rows.ndjson:2: feature 'f0' is not a number: [1]"
}

@test "a first row without batch_id asks for --size or --every" {
	rows '{"f0":1}' '{"batch_id":"b1","f0":1}'
	run_split mm-batch --skip-bad <in
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-batch: line 1: no 'batch_id' field in the first row: use --size N or --every SECONDS"
}

@test "--skip-bad: bad rows skipped and counted, exit 0" {
	rows '{"batch_id":"b1","f0":1,"label":1}' '' '{"batch_id":"b1","f0":' \
	    '{"batch_id":"b1","f0":2,"label":0.5}' \
	    '{"batch_id":"b1","f0":"3"}' '{"batch_id":"b1","f0":4,"label":0}' \
	    '{"batch_id":"b2","f0":5}' '{"batch_id":"b1","f0":6}' \
	    '{"batch_id":"b2","f0":12345678901234567890123456789012345678901234567890}' \
	    '{"batch_id":"b2","f0":7}'
	run_split mm-batch --skip-bad --now 0 --max-record 60 --infer-rows 1 <in
	assert_success
	assert_output - <<'EOF'
{"batch_id":"b1","ts":0,"features":{"f0":[1,4]},"labels":[1,0]}
{"batch_id":"b2","ts":0,"features":{"f0":[5,7]}}
EOF
	assert_equal "$stderr" "mm-batch: skipped 6 bad rows"
}

@test "empty input writes nothing" {
	: >in
	ok_run mm-batch <in
	assert_output ""
	ok_run mm-batch --csv in
	assert_output ""
	printf 'batch_id,f0\n' >in.csv
	ok_run mm-batch in.csv
	assert_output ""
}

@test "--json reads CSV-looking lines as bad JSON" {
	printf 'batch_id,f0\n' >in
	run_split mm-batch --json in
	assert_failure 2
	assert_equal "$stderr" "mm-batch: in:1: invalid JSON: expected a JSON object, found 'b'"
}

@test "a missing file is a system error" {
	run_split mm-batch nosuch.ndjson
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-batch: cannot open 'nosuch.ndjson': No such file or directory"
}

@test "a write error is a system error" {
	[ -w /dev/full ] || skip "no /dev/full"
	rows '{"batch_id":"b1","f0":1}'
	run_split sh -c 'mm-batch <in >/dev/full'
	assert_failure 3
	assert_equal "$stderr" "mm-batch: write error: No space left on device"
}

@test "round trip: mm-gen rows and CSV give mm-gen's batches back" {
	command -v mm-gen >/dev/null || skip "bin/mm-gen is not built"
	mm-gen --batches 4 --batch-size 50 --seed 7 >want
	mm-gen --batches 4 --batch-size 50 --seed 7 --format rows >rows
	mm-gen --batches 4 --batch-size 50 --seed 7 --format csv >rows.csv
	ok_run mm-batch rows
	assert_output "$(<want)"
	ok_run mm-batch <rows.csv
	assert_output "$(<want)"
	mm-gen --batches 3 --batch-size 20 --no-labels >want
	mm-gen --batches 3 --batch-size 20 --no-labels --format rows >rows
	ok_run mm-batch rows
	assert_output "$(<want)"
	mm-gen --batches 3 --batch-size 20 --format rows >rows
	mm-gen --batches 3 --batch-size 20 >want
	run_split sh -c 'mm-batch --size 20 --id-prefix b rows | cmp - want'
	assert_success
}

# cells FROM TO: mean_radius, region and label of rows FROM to TO of
# cells.csv (below) as the batch record writes them, into R, G and L.
cells() {
	local i regions=(north east south) r=() g=() l=() IFS=,
	for ((i = $1; i <= $2; i++)); do
		r+=("$i.5")
		if [ $((i % 18)) = 1 ]; then
			g+=(null)
		else
			g+=("\"${regions[i % 3]}\"")
		fi
		l+=($((i % 2)))
	done
	R=${r[*]} G=${g[*]} L=${l[*]}
}

# cells.csv: 60 rows of a numeric and a text column; the region of rows
# 1, 19, 37 and 55 (the first of each batch of 18) is blank.
cells_csv() {
	local i regions=(north east south) g
	{
		echo 'mean_radius,region,label'
		for ((i = 1; i <= 60; i++)); do
			g=${regions[i % 3]}
			[ $((i % 18)) = 1 ] && g=
			echo "$i.5,$g,$((i % 2))"
		done
	} >cells.csv
}

@test "a column of text is categorical for the whole stream, with no warning (--size 50)" {
	cells_csv
	ok_run mm-batch --size 50 --id-prefix b --now 0 cells.csv
	cells 1 50
	want="{\"batch_id\":\"b000000\",\"ts\":0,\"features\":{\"mean_radius\":[$R],\"region\":[$G]},\"labels\":[$L]}"
	cells 51 60
	want="$want
{\"batch_id\":\"b000001\",\"ts\":0,\"features\":{\"mean_radius\":[$R],\"region\":[$G]},\"labels\":[$L]}"
	assert_output "$want"
}

@test "a batch whose first row has a blank category (--size 18)" {
	cells_csv
	ok_run mm-batch --size 18 --id-prefix b --now 0 cells.csv
	want=
	for k in 0 1 2 3; do
		cells $((18 * k + 1)) $((18 * k + 18 > 60 ? 60 : 18 * k + 18))
		want="$want{\"batch_id\":\"b00000$k\",\"ts\":0,\"features\":{\"mean_radius\":[$R],\"region\":[$G]},\"labels\":[$L]}
"
	done
	assert_output "${want%?}"
	[[ ${lines[1]} == *'"region":[null,"south","north",'* ]]
}

@test "--features with a categorical feature: listed, its kind found" {
	printf '%s\n' 'batch_id,mean_radius,texture,region' 'b1,14.2,10,' \
	    'b1,20.1,11,north' 'b1,9.8,12,5' >in.csv
	ok_run mm-batch --features mean_radius,region --now 0 in.csv
	assert_output '{"batch_id":"b1","ts":0,"features":{"mean_radius":[14.2,20.1,9.8],"region":[null,"north","5"]}}'
	ok_run mm-batch --features region,texture --now 0 in.csv
	assert_output '{"batch_id":"b1","ts":0,"features":{"region":[null,"north","5"],"texture":[10,11,12]}}'
}

@test "numbers in a categorical column are categories, written as strings" {
	printf '%s\n' 'batch_id,region' 'b1,north' 'b1,1' 'b1,01' 'b1,2.50' \
	    'b1,-0' 'b1,' 'b1,1e999' 'b1,"a ""b"""' >in.csv
	ok_run mm-batch --now 0 in.csv
	assert_output '{"batch_id":"b1","ts":0,"features":{"region":["north","1","01","2.50","-0",null,"1e999","a \"b\""]}}'
	rows '{"batch_id":"b1","region":"nor\u0074h"}' '{"batch_id":"b1","region":1}' \
	    '{"batch_id":"b1","region":1.50}' '{"batch_id":"b1","region":null}' \
	    '{"batch_id":"b1"}' '{"batch_id":"b1","region":"1"}'
	ok_run mm-batch --now 0 <in
	assert_output '{"batch_id":"b1","ts":0,"features":{"region":["nor\u0074h","1","1.50",null,null,"1"]}}'
	rows '{"batch_id":"b1","region":"x"}' '{"batch_id":"b1","region":true}'
	run_split mm-batch --now 0 <in
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-batch: line 2: feature 'region' is not a string or a number: true"
}

@test "a string where the first rows found a number: file and line; --skip-bad skips it" {
	printf '%s\n' 'batch_id,mean_radius,region' 'b1,1.5,north' 'b1,2,east' \
	    'b2,3,' 'b2,abc,north' 'b3,4,east' >in.csv
	run_split mm-batch --infer-rows 3 --now 0 in.csv
	assert_failure 2
	assert_output '{"batch_id":"b1","ts":0,"features":{"mean_radius":[1.5,2],"region":["north","east"]}}'
	assert_equal "$stderr" "mm-batch: in.csv:5: feature 'mean_radius' is not a number: abc"
	run_split mm-batch --infer-rows 3 --now 0 --skip-bad in.csv
	assert_success
	assert_output - <<'EOF'
{"batch_id":"b1","ts":0,"features":{"mean_radius":[1.5,2],"region":["north","east"]}}
{"batch_id":"b2","ts":0,"features":{"mean_radius":[3],"region":[null]}}
{"batch_id":"b3","ts":0,"features":{"mean_radius":[4],"region":["east"]}}
EOF
	assert_equal "$stderr" "mm-batch: skipped 1 bad row"
	# Among the first rows, the string makes the column categorical.
	ok_run mm-batch --now 0 in.csv
	assert_line --index 1 '{"batch_id":"b2","ts":0,"features":{"mean_radius":["3","abc"],"region":[null,"north"]}}'
}

# schema: a bare schema, s.json: mean_radius numeric, region categorical,
# classes 0 and 1.
schema() {
	printf '%s\n' '{"features":[{"name":"mean_radius","kind":"numeric"},{"name":"region","kind":"categorical","categories":["north","east"]}],"classes":[0,1]}' >s.json
}

@test "--schema: its features, kinds and order; a value of the other kind" {
	schema
	printf '%s\n' 'batch_id,region,mean_radius,x,label' 'b1,5,1.5,x,0' \
	    'b1,north,abc,y,1' >in.csv
	run_split mm-batch --schema s.json --now 0 in.csv
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-batch: in.csv:2: ignoring field 'x', not in the schema
mm-batch: in.csv:3: feature 'mean_radius' is not a number: abc"
	run_split mm-batch --schema s.json --now 0 --skip-bad in.csv
	assert_success
	assert_output '{"batch_id":"b1","ts":0,"features":{"mean_radius":[1.5],"region":["5"]},"labels":[0]}'
	assert_equal "$stderr" "mm-batch: in.csv:2: ignoring field 'x', not in the schema
mm-batch: skipped 1 bad row"
	rows '{"batch_id":"b1","region":true}'
	run_split mm-batch --schema s.json <in
	assert_failure 2
	assert_equal "$stderr" "mm-batch: line 1: feature 'region' is not a string or a number: true"
	printf 'batch_id,region\nb1,north\n' >in.csv
	run_split mm-batch --schema s.json in.csv
	assert_failure 2
	assert_equal "$stderr" "mm-batch: in.csv:1: header: no column for feature 'mean_radius'"
}

@test "--schema: a label must be one of the classes, compared as text" {
	schema
	rows '{"batch_id":"b1","mean_radius":1,"label":1}' \
	    '{"batch_id":"b1","mean_radius":2,"label":"1"}' \
	    '{"batch_id":"b1","mean_radius":3,"label":"x"}' \
	    '{"batch_id":"b1","mean_radius":4,"label":2}' \
	    '{"batch_id":"b1","mean_radius":5,"label":1.0}' \
	    '{"batch_id":"b1","mean_radius":6,"label":0}'
	run_split mm-batch --schema s.json --now 0 <in
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-batch: line 3: field 'label' is not one of the model's classes: \"x\""
	run_split mm-batch --schema s.json --now 0 --skip-bad <in
	assert_success
	assert_output '{"batch_id":"b1","ts":0,"features":{"mean_radius":[1,2,6],"region":[null,null,null]},"labels":[1,"1",0]}'
	assert_equal "$stderr" "mm-batch: skipped 3 bad rows"
	printf '%s\n' 'batch_id,mean_radius,region,label' 'b1,1,north,1' \
	    'b1,2,east,x' >in.csv
	run_split mm-batch --schema s.json --now 0 in.csv
	assert_failure 2
	assert_equal "$stderr" "mm-batch: in.csv:3: field 'label' is not one of the model's classes: x"
}

@test "string labels are passed on as strings; a CSV number stays a number" {
	rows '{"batch_id":"b1","f0":1,"label":"cat"}' \
	    '{"batch_id":"b1","f0":2,"label":"d\u00e9j\u00e0"}' \
	    '{"batch_id":"b1","f0":3,"label":7}'
	ok_run mm-batch --now 0 <in
	assert_output '{"batch_id":"b1","ts":0,"features":{"f0":[1,2,3]},"labels":["cat","d\u00e9j\u00e0",7]}'
	printf '%s\n' 'batch_id,f0,label' 'b1,1,cat' 'b1,2,1' 'b1,3,"a ""b"""' \
	    'b1,4,01' 'b1,5,' >in.csv
	ok_run mm-batch --now 0 in.csv
	assert_output '{"batch_id":"b1","ts":0,"features":{"f0":[1,2,3,4,5]},"labels":["cat",1,"a \"b\"","01",null]}'
}

@test "--schema takes a model store, a version, a model.json or a bare schema" {
	schema
	mkdir -p m/versions/20261201T000000Z
	echo '{"version":"20261201T000000Z"}' >m/active.json
	printf '{"format":"mm-forest/2","schema":%s,"trees":[]}\n' "$(<s.json)" \
	    >m/versions/20261201T000000Z/model.json
	rows '{"batch_id":"b1","region":"east","mean_radius":1,"label":0}'
	for path in m m/versions/20261201T000000Z \
	    m/versions/20261201T000000Z/model.json s.json; do
		ok_run mm-batch --schema "$path" --now 0 <in
		assert_output '{"batch_id":"b1","ts":0,"features":{"mean_radius":[1],"region":["east"]},"labels":[0]}'
	done
}

@test "--schema that cannot be read is exit 3, one that is not a schema exit 2" {
	rows '{"batch_id":"b1","f0":1}'
	run_split mm-batch --schema nosuch.json <in
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-batch: nosuch.json: cannot read: No such file or directory"
	mkdir empty
	run_split mm-batch --schema empty <in
	assert_failure 2
	assert_equal "$stderr" "mm-batch: empty: no model.json or active.json here"
	echo '{"trees":[]}' >old.json
	run_split mm-batch --schema old.json <in
	assert_failure 2
	assert_equal "$stderr" "mm-batch: old.json: not a schema: a model.json without one (written before mm kept schemas: train it again, or give a schema file)"
	echo '{"features":[{"name":"label","kind":"numeric"}]}' >s.json
	run_split mm-batch --schema s.json <in
	assert_failure 2
	assert_equal "$stderr" "mm-batch: s.json: 'label' is the id, ts or label field"
}

@test "--infer-rows: the rows held back are said with their own file and line" {
	printf '%s\n' '{"batch_id":"b1","f0":1}' '{"batch_id":"b1","f0":true}' \
	    '{"batch_id":"b2","f0":2}' >a.ndjson
	printf '%s\n' '{"batch_id":"b2","f0":3}' '{"batch_id":"b3","f0":4}' \
	    '{"batch_id":"b3","f0":[1],"f1":1}' '{"batch_id":"b3","f0":5,"f1":2}' \
	    >b.ndjson
	# The first 5 rows, from both files, are held: the first bad one,
	# in the first file, is said when they are taken.
	run_split mm-batch --infer-rows 5 --now 0 a.ndjson b.ndjson
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-batch: a.ndjson:2: feature 'f0' is not a number: true"
	# All 7 are held: the first bad one is in the first file read.
	run_split mm-batch --infer-rows 7 --now 0 b.ndjson a.ndjson
	assert_failure 2
	assert_output '{"batch_id":"b2","ts":0,"features":{"f0":[3],"f1":[null]}}'
	assert_equal "$stderr" "mm-batch: b.ndjson:3: feature 'f0' is not a number: [1]"
	# One held, one after; f1 came after the first 5 rows.
	run_split mm-batch --infer-rows 5 --now 0 --skip-bad a.ndjson b.ndjson
	assert_success
	assert_output - <<'EOF'
{"batch_id":"b1","ts":0,"features":{"f0":[1]}}
{"batch_id":"b2","ts":0,"features":{"f0":[2,3]}}
{"batch_id":"b3","ts":0,"features":{"f0":[4,5]}}
EOF
	assert_equal "$stderr" "mm-batch: b.ndjson:4: ignoring field 'f1', not in the first 5 rows
mm-batch: skipped 2 bad rows"
	# Standard input: line numbers alone.
	# cat a.ndjson b.ndjson >in
	IFS= read -r -d '' a <a.ndjson || true
	IFS= read -r -d '' b <b.ndjson || true
	printf '%s%s' "$a" "$b" >in
	run_split mm-batch --infer-rows 4 --now 0 <in
	assert_failure 2
	assert_equal "$stderr" "mm-batch: line 2: feature 'f0' is not a number: true"
	run_split mm-batch --infer-rows 4 --now 0 --skip-bad <in
	assert_success
	assert_equal "$stderr" "mm-batch: line 7: ignoring field 'f1', not in the first 4 rows
mm-batch: skipped 2 bad rows"
}

@test "--infer-rows: what stops the reading comes after the rows held before it" {
	rows '{"batch_id":"b1","f0":1}' '{"batch_id":"b2","f0":2}' \
	    '{"batch_id":"b2","f0":3,"f1":"much too long for the limit"}'
	run_split mm-batch --max-record 40 --now 0 <in
	assert_failure 2
	assert_output '{"batch_id":"b1","ts":0,"features":{"f0":[1]}}'
	assert_equal "$stderr" "mm-batch: line 3: record longer than 40 bytes"
	rows '{"batch_id":"b1","f0":1}' '{"batch_id":"b2","f0":true}' \
	    '{"batch_id":"b2","f0":3,"f1":"much too long for the limit"}'
	run_split mm-batch --max-record 40 --now 0 <in
	assert_failure 2
	assert_output '{"batch_id":"b1","ts":0,"features":{"f0":[1]}}'
	assert_equal "$stderr" "mm-batch: line 2: feature 'f0' is not a number: true"
	rows '{"batch_id":"b1","f0":1}' '{"batch_id":"b2","f0":2}'
	run_split mm-batch --now 0 in nosuch.ndjson
	assert_failure 3
	assert_output '{"batch_id":"b1","ts":0,"features":{"f0":[1]}}'
	assert_equal "$stderr" "mm-batch: cannot open 'nosuch.ndjson': No such file or directory"
}

@test "--now: Unix seconds or an ISO 8601 time, written as Unix seconds" {
	rows '{"batch_id":"b1","f0":1}'
	ok_run mm-batch --now 2026-11-30T12:00:00Z <in
	assert_output '{"batch_id":"b1","ts":1796040000,"features":{"f0":[1]}}'
	ok_run mm-batch --now 2026-11-30T13:00:00.5+01:00 <in
	assert_output '{"batch_id":"b1","ts":1796040000.5,"features":{"f0":[1]}}'
	ok_run mm-batch --now 1796040000 --size 1 <in
	assert_output '{"batch_id":"b20261130T120000Z-080f13be-000000","ts":1796040000,"features":{"f0":[1]}}'
	ok_run mm-batch --now 2026-11-30T12:00:00Z --size 1 <in
	assert_output '{"batch_id":"b20261130T120000Z-080f13be-000000","ts":1796040000,"features":{"f0":[1]}}'
	for bad in 2026-02-30 2026-11-30T12:00:60Z yesterday 1e12; do
		run_split mm-batch --now "$bad" <in
		assert_failure 2
		assert_output ""
		assert_equal "$stderr" "mm-batch: --now: '$bad' is not a time: Unix seconds or an ISO 8601 time such as 2025-11-26T06:53:20Z"
	done
}

@test "usage errors exit 2" {
	run_split mm-batch --bogus
	assert_failure 2
	assert_output ""
	[[ $stderr == "mm-batch: unknown option '--bogus'
usage: mm-batch "* ]]
	run_split mm-batch --size 2 --every 60
	assert_failure 2
	assert_equal "$stderr" "mm-batch: --size and --every exclude each other"
	run_split mm-batch --size 0
	assert_failure 2
	assert_equal "$stderr" "mm-batch: --size: '0' is not a whole number from 1 to 1000000000"
	run_split mm-batch --prefix x
	assert_failure 2
	assert_equal "$stderr" "mm-batch: --prefix goes with --size or --every"
	run_split mm-batch --now yesterday
	assert_failure 2
	assert_equal "$stderr" "mm-batch: --now: 'yesterday' is not a time: Unix seconds or an ISO 8601 time such as 2025-11-26T06:53:20Z"
	run_split mm-batch --id-prefix x
	assert_failure 2
	assert_equal "$stderr" "mm-batch: --id-prefix goes with --size"
	run_split mm-batch --every 60 --id-prefix x
	assert_failure 2
	assert_equal "$stderr" "mm-batch: --id-prefix goes with --size"
	run_split mm-batch --size 2 --prefix p --id-prefix x
	assert_failure 2
	assert_equal "$stderr" "mm-batch: --prefix and --id-prefix exclude each other"
	run_split mm-batch --size 2 --id-prefix ''
	assert_failure 2
	assert_equal "$stderr" "mm-batch: --id-prefix needs a string: ids that are only counts repeat from run to run"
	run_split mm-batch --size 2 --now -1
	assert_failure 2
	assert_equal "$stderr" "mm-batch: --now: '-1' is not a time: Unix seconds or an ISO 8601 time such as 2025-11-26T06:53:20Z"
	run_split mm-batch --schema s.json --features f0
	assert_failure 2
	assert_equal "$stderr" "mm-batch: --schema and --features exclude each other"
	run_split mm-batch --schema s.json --infer-rows 5
	assert_failure 2
	assert_equal "$stderr" "mm-batch: --schema and --infer-rows exclude each other"
	run_split mm-batch --infer-rows 0
	assert_failure 2
	assert_equal "$stderr" "mm-batch: --infer-rows: '0' is not a whole number from 1 to 1000000000"
	run_split mm-batch --features f0,label
	assert_failure 2
	assert_equal "$stderr" "mm-batch: --features: 'label' is the id, ts or label field"
	run_split mm-batch --csv --json
	assert_failure 2
	assert_equal "$stderr" "mm-batch: --csv and --json exclude each other"
	run_split mm-batch --max-record 0
	assert_failure 2
	assert_equal "$stderr" "mm-batch: --max-record: '0' is not a size such as 4096, 64M or 1G"
}

@test "--help and --version" {
	ok_run mm-batch --help
	assert_line --index 0 "usage: mm-batch [--csv | --json] [--id NAME] [--ts NAME] [--label NAME]"
	assert_line --index 1 "                [--schema PATH | [--features LIST] [--infer-rows N]]"
	assert_line --index 2 "                [--size N | --every SECONDS] [--prefix P | --id-prefix STR]"
	assert_line --index 3 "                [--now TS] [--skip-bad] [--max-record BYTES] [FILE ...]"
	assert_line "      --every SECONDS        a batch per time window of SECONDS (or 30s, 5m, 1h, 1d)"
	ok_run mm-batch --version
	assert_output "mm-batch 0.1.0"
}
