#!/usr/bin/env bats
# mm-alert: warning and critical levels, the alert object, cooldowns per
# stream or window and severity (kept in alert_state), --exec, trust.yaml,
# bad input and the database.

bats_require_minimum_version 1.5.0
load helper

# A batch record with a batch_id, a ts and a trust score.
batch() {
	printf '{"batch_id":"%s","ts":%s,"trust":{"score":%s}}\n' "$1" "$2" "$3"
}

# The helpers below set the variable named first instead of printing:
# a $(...) forks, and the tests make hundreds of these.

# rec VAR ID TS SCORE: the record batch prints, without its newline.
rec() {
	printf -v "$1" '{"batch_id":"%s","ts":%s,"trust":{"score":%s}}' \
	    "$2" "$3" "$4"
}

# warning VAR ID TS SCORE SHOWN: the alert object of a batch record with
# the default levels.
warning() {
	printf -v "$1" '{"severity":"warning","score":%s,"threshold":0.7,"key":"batches:warning","ts":%s,"message":"trust %s is below the warning level 0.70 for batch %s"}' \
	    "$4" "$3" "$5" "$2"
}

critical() {
	printf -v "$1" '{"severity":"critical","score":%s,"threshold":0.6,"key":"batches:critical","ts":%s,"message":"trust %s is below the critical level 0.60 for batch %s"}' \
	    "$4" "$3" "$5" "$2"
}

# with VAR RECORD ALERT: a record with its alert added last.
with() {
	printf -v "$1" '%s,"alert":%s}' "${2%\}}" "$3"
}

# alerted VAR ID TS SCORE SEVERITY SHOWN: the record of ID with its
# warning or critical alert, as with, rec and warning or critical make it.
alerted() {
	local mm_r mm_a

	rec mm_r "$2" "$3" "$4"
	"$5" mm_a "$2" "$3" "$4" "$6"
	with "$1" "$mm_r" "$mm_a"
}

@test "trust below warning: a warning alert with every field" {
	rec in b1 1764140000.0 0.65
	run_split mm-alert --db a.db <<<"$in"
	assert_success
	assert_equal "$stderr" ""
	warning alert b1 1764140000 0.65 0.650
	with want "$in" "$alert"
	assert_output "$want"
	run_merged sqlite3 a.db 'SELECT key, last_ts FROM alert_state'
	assert_output 'batches:warning|1764140000.0'
}

@test "trust below critical: a critical alert" {
	rec in b1 1000 0.5
	run_split mm-alert --db a.db <<<"$in"
	assert_success
	assert_equal "$stderr" ""
	critical alert b1 1000 0.5 0.500
	with want "$in" "$alert"
	assert_output "$want"
	run_merged sqlite3 a.db 'SELECT key, last_ts FROM alert_state'
	assert_output 'batches:critical|1000.0'
}

@test "the rule is score < level: 0.70 passes, 0.60 is a warning" {
	# Each record has a key of its own, so no cooldown gets in the way.
	rec in b1 1000 0.70
	run_split mm-alert --db a.db --stream s1 <<<"$in"
	assert_success
	assert_output "$in"
	rec in b2 1000 0.6999
	run_split mm-alert --db a.db <<<"$in"
	alerted want b2 1000 0.6999 warning 0.700
	assert_output "$want"
	rec in b3 1000 0.60
	run_split mm-alert --db a.db --stream s3 <<<"$in"
	assert_success
	with want "$in" '{"severity":"warning","score":0.6,"threshold":0.7,"key":"s3:warning","ts":1000,"message":"trust 0.600 is below the warning level 0.70 for batch b3"}'
	assert_output "$want"
	rec in b4 1000 0.5999
	run_split mm-alert --db a.db <<<"$in"
	alerted want b4 1000 0.5999 critical 0.600
	assert_output "$want"
	assert_equal "$stderr" ""
}

@test "records above warning, or without a trust score, pass byte for byte" {
	printf '%s\n' \
	    '{ "batch_id" : "b1", "ts":1764140000.0, "trust" : { "score" : 0.90 , "components":{}} ,"x":[1e0,2.50] }' \
	    '{"batch_id":"b2","ts":1000,"trust":{"score":1}}' \
	    '{"batch_id":"b3","ts":1000}' \
	    '{"batch_id":"b4","ts":1000,"trust":{"score":null,"components":{},"weights":{}}}' \
	    '{"window":"5m","ts":1000,"n_batches":2,"trust":{"score":0.7000}}' \
	    >in.ndjson
	run_split mm-alert --db a.db in.ndjson
	assert_success
	assert_equal "$stderr" ""
	want=$(<in.ndjson)
	assert_output "$want"
	run_merged sqlite3 a.db 'SELECT count(*) FROM alert_state'
	assert_output 0
}

@test "other fields pass byte for byte; an old alert is replaced where it stands" {
	in='{ "z":[1, 2] ,"alert":{"old":true}, "batch_id" : "b1","ts":1000,"trust":{"score":0.65},"e":1e-7}'
	run_split mm-alert --db a.db <<<"$in"
	assert_success
	assert_equal "$stderr" ""
	warning alert b1 1000 0.65 0.650
	assert_output "${in/\"alert\":\{\"old\":true\}/\"alert\":$alert}"
}

@test "one alert per severity per 300 s of record time" {
	# b1 alerts at 1000; b2 100 s later passes; b3 exactly 300 s after
	# b1 alerts again, b4 299 s after b3 passes.
	batch b1 1000 0.65 >in.ndjson
	batch b2 1100 0.65 >>in.ndjson
	batch b3 1300 0.65 >>in.ndjson
	batch b4 1599 0.65 >>in.ndjson
	run_split mm-alert --db a.db in.ndjson
	assert_success
	assert_equal "$stderr" ""
	alerted l1 b1 1000 0.65 warning 0.650
	rec l2 b2 1100 0.65
	alerted l3 b3 1300 0.65 warning 0.650
	rec l4 b4 1599 0.65
	assert_output "$l1
$l2
$l3
$l4"
	run_merged sqlite3 a.db 'SELECT key, last_ts FROM alert_state'
	assert_output 'batches:warning|1300.0'
}

@test "warning and critical keep cooldowns of their own" {
	batch b1 1000 0.65 >in.ndjson
	batch b2 1100 0.55 >>in.ndjson
	batch b3 1200 0.65 >>in.ndjson
	batch b4 1200 0.55 >>in.ndjson
	run_split mm-alert --db a.db in.ndjson
	assert_success
	alerted l1 b1 1000 0.65 warning 0.650
	alerted l2 b2 1100 0.55 critical 0.550
	rec l3 b3 1200 0.65
	rec l4 b4 1200 0.55
	assert_output "$l1
$l2
$l3
$l4"
	run_merged sqlite3 a.db 'SELECT key, last_ts FROM alert_state ORDER BY key'
	assert_output 'batches:critical|1100.0
batches:warning|1000.0'
}

@test "summary windows keep keys of their own: 5m:warning, 1h:warning" {
	printf '%s\n' \
	    '{"window":"5m","ts":2000,"n_batches":5,"trust":{"score":0.65}}' \
	    '{"window":"1h","ts":2000,"n_batches":60,"trust":{"score":0.65}}' \
	    '{"batch_id":"b1","ts":2000,"trust":{"score":0.65}}' \
	    '{"window":"5m","ts":2100,"n_batches":5,"trust":{"score":0.65}}' \
	    >in.ndjson
	run_split mm-alert --db a.db in.ndjson
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"window":"5m","ts":2000,"n_batches":5,"trust":{"score":0.65},"alert":{"severity":"warning","score":0.65,"threshold":0.7,"key":"5m:warning","ts":2000,"message":"trust 0.650 is below the warning level 0.70 for window 5m"}}
{"window":"1h","ts":2000,"n_batches":60,"trust":{"score":0.65},"alert":{"severity":"warning","score":0.65,"threshold":0.7,"key":"1h:warning","ts":2000,"message":"trust 0.650 is below the warning level 0.70 for window 1h"}}
{"batch_id":"b1","ts":2000,"trust":{"score":0.65},"alert":{"severity":"warning","score":0.65,"threshold":0.7,"key":"batches:warning","ts":2000,"message":"trust 0.650 is below the warning level 0.70 for batch b1"}}
{"window":"5m","ts":2100,"n_batches":5,"trust":{"score":0.65}}'
	run_merged sqlite3 a.db 'SELECT key, last_ts FROM alert_state ORDER BY key'
	assert_output '1h:warning|2000.0
5m:warning|2000.0
batches:warning|2000.0'
}

@test "--stream names the key of batch records; streams keep cooldowns apart" {
	rec in b1 1000 0.65
	run_split mm-alert --db a.db --stream clicks <<<"$in"
	assert_success
	assert_equal "$stderr" ""
	with want "$in" '{"severity":"warning","score":0.65,"threshold":0.7,"key":"clicks:warning","ts":1000,"message":"trust 0.650 is below the warning level 0.70 for batch b1"}'
	assert_output "$want"
	# Without a batch_id, the message names the stream.
	run_split mm-alert --db a.db --stream views <<<'{"ts":1100,"trust":{"score":0.65}}'
	assert_success
	assert_output '{"ts":1100,"trust":{"score":0.65},"alert":{"severity":"warning","score":0.65,"threshold":0.7,"key":"views:warning","ts":1100,"message":"trust 0.650 is below the warning level 0.70 for stream views"}}'
	rec in b2 1100 0.65
	run_split mm-alert --db a.db --stream clicks <<<"$in"
	assert_success
	assert_output "$in"
	run_merged sqlite3 a.db 'SELECT key, last_ts FROM alert_state ORDER BY key'
	assert_output 'clicks:warning|1000.0
views:warning|1100.0'
}

@test "cooldowns last across runs in the alert_state table of --db" {
	rec in b1 1000 0.65
	run_split mm-alert --db a.db <<<"$in"
	assert_success
	alerted want b1 1000 0.65 warning 0.650
	assert_output "$want"
	rec in b2 1100 0.65
	run_split mm-alert --db a.db <<<"$in"
	assert_success
	assert_output "$in"
	# Another database knows nothing of it.
	run_split mm-alert --db other.db <<<"$in"
	alerted want b2 1100 0.65 warning 0.650
	assert_output "$want"
	rec in b3 1300 0.65
	run_split mm-alert --db a.db <<<"$in"
	assert_success
	alerted want b3 1300 0.65 warning 0.650
	assert_output "$want"
	assert_equal "$stderr" ""
	run_merged sqlite3 a.db 'SELECT key, last_ts FROM alert_state'
	assert_output 'batches:warning|1300.0'
}

@test "the database is \$MM_DB when --db is not given" {
	rec in b1 1000 0.65
	MM_DB=env.db run_split mm-alert <<<"$in"
	assert_success
	assert_equal "$stderr" ""
	run_merged sqlite3 env.db 'SELECT key, last_ts FROM alert_state'
	assert_output 'batches:warning|1000.0'
}

@test "--now stamps records without ts, and times their cooldown" {
	run_split mm-alert --db a.db --now 5000 <<<'{"batch_id":"b1","trust":{"score":0.65}}'
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"batch_id":"b1","trust":{"score":0.65},"alert":{"severity":"warning","score":0.65,"threshold":0.7,"key":"batches:warning","ts":5000,"message":"trust 0.650 is below the warning level 0.70 for batch b1"}}'
	run_split mm-alert --db a.db --now 5299 <<<'{"batch_id":"b2","trust":{"score":0.65}}'
	assert_output '{"batch_id":"b2","trust":{"score":0.65}}'
	# A record's own ts wins over --now.
	rec in b3 5300 0.65
	run_split mm-alert --db a.db --now 5100 <<<"$in"
	alerted want b3 5300 0.65 warning 0.650
	assert_output "$want"
	run_merged sqlite3 a.db 'SELECT key, last_ts FROM alert_state'
	assert_output 'batches:warning|5300.0'
}

@test "--exec runs the command per alert with the alert JSON on its stdin" {
	batch b1 1000 0.65 >in.ndjson
	batch b2 1000 0.5 >>in.ndjson
	batch b3 1100 0.65 >>in.ndjson
	batch b4 1200 0.9 >>in.ndjson
	run_split mm-alert --db a.db --exec 'cat >>alerts.json' in.ndjson
	assert_success
	assert_equal "$stderr" ""
	alerted l1 b1 1000 0.65 warning 0.650
	alerted l2 b2 1000 0.5 critical 0.500
	rec l3 b3 1100 0.65
	rec l4 b4 1200 0.9
	assert_output "$l1
$l2
$l3
$l4"
	got=$(<alerts.json)
	warning a1 b1 1000 0.65 0.650
	critical a2 b2 1000 0.5 0.500
	assert_equal "$got" "$a1
$a2"
}

@test "-e is --exec; what the command prints goes to stderr, not into the records" {
	rec in b1 1000 0.65
	run_split mm-alert --db a.db -e 'cat; echo sent' <<<"$in"
	assert_success
	alerted want b1 1000 0.65 warning 0.650
	assert_output "$want"
	warning alert b1 1000 0.65 0.650
	assert_equal "$stderr" "$alert
sent"
}

@test "a command that does not read the alert is not an error" {
	for ((i = 0; i <= 19; i++)); do
		batch "b$i" "$((1000 + 300 * i))" 0.65
	done >in.ndjson
	run_split mm-alert --db a.db --exec true in.ndjson
	assert_success
	assert_equal "$stderr" ""
	# grep -c: the lines with a warning alert.
	n=0
	for l in "${lines[@]}"; do
		if [[ $l == *'"alert":{"severity":"warning"'* ]]; then
			n=$((n + 1))
		fi
	done
	assert_equal "$n" 20
	run_merged sqlite3 a.db 'SELECT key, last_ts FROM alert_state'
	assert_output 'batches:warning|6700.0'
}

@test "a failing command: exit 3, the record keeps its alert, no cooldown is stored" {
	rec in b1 1000 0.65
	run_split mm-alert --db a.db --exec 'exit 7' <<<"$in"
	assert_failure 3
	alerted want b1 1000 0.65 warning 0.650
	assert_output "$want"
	assert_equal "$stderr" "mm-alert: --exec command exited 7; the alert will be raised again
mm-alert: 1 alert command failed"
	run_merged sqlite3 a.db 'SELECT count(*) FROM alert_state'
	assert_output 0
	# The next run raises it again, and this time it sticks.
	rec in b2 1100 0.65
	run_split mm-alert --db a.db --exec 'cat >alert.json' <<<"$in"
	assert_success
	assert_equal "$stderr" ""
	alerted want b2 1100 0.65 warning 0.650
	assert_output "$want"
	got=$(<alert.json)
	warning alert b2 1100 0.65 0.650
	assert_equal "$got" "$alert"
	run_merged sqlite3 a.db 'SELECT key, last_ts FROM alert_state'
	assert_output 'batches:warning|1100.0'
}

@test "every failing command is reported, and the run goes on" {
	batch b1 1000 0.65 >in.ndjson
	batch b2 1000 0.9 >>in.ndjson
	batch b3 1010 0.65 >>in.ndjson
	run_split mm-alert --db a.db --exec 'cat >/dev/null; exit 1' in.ndjson
	assert_failure 3
	alerted l1 b1 1000 0.65 warning 0.650
	rec l2 b2 1000 0.9
	alerted l3 b3 1010 0.65 warning 0.650
	assert_output "$l1
$l2
$l3"
	assert_equal "$stderr" "mm-alert: --exec command exited 1; the alert will be raised again
mm-alert: --exec command exited 1; the alert will be raised again
mm-alert: 2 alert commands failed"
}

@test "levels and cooldown come from trust.yaml of --config or MM_CONFIG" {
	mkdir conf
	printf 'warning: 0.8\ncritical: 0.5\nalert_cooldown_s: 60\n' >conf/trust.yaml
	batch b1 1000 0.75 >in.ndjson
	batch b2 1059 0.75 >>in.ndjson
	batch b3 1060 0.55 >>in.ndjson
	batch b4 1060 0.45 >>in.ndjson
	run_split mm-alert --db a.db --config conf in.ndjson
	assert_success
	assert_equal "$stderr" ""
	rec l1 b1 1000 0.75
	with l1 "$l1" '{"severity":"warning","score":0.75,"threshold":0.8,"key":"batches:warning","ts":1000,"message":"trust 0.750 is below the warning level 0.80 for batch b1"}'
	rec l2 b2 1059 0.75
	rec l3 b3 1060 0.55
	with l3 "$l3" '{"severity":"warning","score":0.55,"threshold":0.8,"key":"batches:warning","ts":1060,"message":"trust 0.550 is below the warning level 0.80 for batch b3"}'
	rec l4 b4 1060 0.45
	with l4 "$l4" '{"severity":"critical","score":0.45,"threshold":0.5,"key":"batches:critical","ts":1060,"message":"trust 0.450 is below the critical level 0.50 for batch b4"}'
	assert_output "$l1
$l2
$l3
$l4"

	rec in b1 1000 0.75
	MM_CONFIG=conf run_split mm-alert --db env.db <<<"$in"
	assert_success
	assert_output "$l1"
}

@test "a bad trust.yaml is exit 2 before any record is read" {
	mkdir bad
	printf 'warning: 0.5\ncritical: 0.6\n' >bad/trust.yaml
	rec in b1 1000 0.5
	run_split mm-alert --db a.db --config bad <<<"$in"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-alert: bad/trust.yaml: 'critical' must not be above 'warning'"
	printf 'alert_cooldown: 60\n' >bad/trust.yaml
	run_split mm-alert --db a.db --config bad <<<"$in"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-alert: bad/trust.yaml:1: unknown key 'alert_cooldown'"
}

@test "a truncated record stops the run with exit 2, after the records before it" {
	batch b1 1000 0.65 >in.ndjson
	printf '{"batch_id":"b2","ts":1000,"trust":{"score":0.5\n' >>in.ndjson
	batch b3 1000 0.5 >>in.ndjson
	run_split mm-alert --db a.db <in.ndjson
	assert_failure 2
	alerted want b1 1000 0.65 warning 0.650
	assert_output "$want"
	assert_equal "$stderr" "mm-alert: line 2: invalid JSON: expected ',' or '}', found end of line"
	run_split mm-alert --db b.db in.ndjson
	assert_failure 2
	assert_equal "$stderr" "mm-alert: in.ndjson:2: invalid JSON: expected ',' or '}', found end of line"
	run_split mm-alert --db c.db <<<'[1]'
	assert_failure 2
	assert_equal "$stderr" "mm-alert: line 1: invalid JSON: expected a JSON object, found '['"
}

@test "--skip-bad skips bad records, counts them and goes on" {
	batch b1 1000 0.65 >in.ndjson
	printf '{"batch_id":"b2","ts":1000,"trust":{"score":0.5\n[1]\n\n' >>in.ndjson
	batch b3 1000 0.5 >>in.ndjson
	run_split mm-alert --db a.db --skip-bad in.ndjson
	assert_success
	alerted l1 b1 1000 0.65 warning 0.650
	alerted l2 b3 1000 0.5 critical 0.500
	assert_output "$l1
$l2"
	assert_equal "$stderr" "mm-alert: skipped 3 bad records"
}

@test "a file that is not an SQLite database is exit 3 and left alone" {
	printf 'not a database\n' >t.db
	rec in b1 1000 0.65
	run_split mm-alert --db t.db <<<"$in"
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-alert: t.db: database error: not an SQLite database"
	got=$(<t.db)
	assert_equal "$got" "not a database"
}

@test "usage: --help, and a bad option or --now is exit 2" {
	run_split mm-alert --help
	assert_success
	assert_line --index 0 "usage: mm-alert [--db FILE] [--config DIR] [--now TS] [--exec CMD] [--stream NAME]"
	assert_line --index 1 "                [--skip-bad] [--max-record BYTES] [FILE ...]"
	run_split mm-alert --bogus
	assert_failure 2
	assert_output ""
	[[ $stderr == "mm-alert: unknown option '--bogus'"* ]]
	run_split mm-alert --db a.db --now abc </dev/null
	assert_failure 2
	assert_equal "$stderr" "mm-alert: --now: 'abc' is not a time: Unix seconds or an ISO 8601 time such as 2025-11-26T06:53:20Z"
}

@test "a trust score or ts that is not a number is bad input" {
	run_split mm-alert --db a.db <<<'{"batch_id":"b","trust":{"score":"0.1"}}'
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-alert: line 1: 'trust.score' is not a number"
	run_split mm-alert --db a.db <<<'{"batch_id":"b","ts":"x","trust":{"score":0.1}}'
	assert_failure 2
	assert_equal "$stderr" "mm-alert: line 1: 'ts' is not a number"
	run_split mm-alert --db a.db <<<'{"batch_id":"b","trust":3}'
	assert_failure 2
	assert_equal "$stderr" "mm-alert: line 1: 'trust' is not an object"
}
