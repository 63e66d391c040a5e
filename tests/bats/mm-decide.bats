#!/usr/bin/env bats
# mm-decide: the decision object, rule 1 on drift.status, the state kept
# across records and seeded from the model store and the database,
# --fail-on, summary records, pass-through, bad input, f1_window, and
# --replay of decisions old and new.  The rules and their boundaries one
# ulp either side are in tests/unit/test_policy.c.

load helper
bats_require_minimum_version 1.5.0

# The default policy, as the metadata writes it.
POLICY='{"max_f1_drop":0.15,"min_f1_gain":0.02,"cooldown_batches":5,"min_stable_batches":5}'

# Thresholds whose differences are exact in binary: 0.75 - 0.5 = 0.25,
# 0.75 - 0.625 = 0.125.  Cooldown 3, promote after 2 nones.
make_conf() {
	mkdir -p conf
	printf '%s\n' 'max_f1_drop: 0.25' \
	    'min_f1_gain: 0.125' 'cooldown_batches: 3' \
	    'min_stable_batches: 2' >conf/retrain.yaml
}
CPOLICY='{"max_f1_drop":0.25,"min_f1_gain":0.125,"cooldown_batches":3,"min_stable_batches":2}'

# The drift object of each status, as mm-psi writes it (in part).
drift() {
	case $1 in
	stable) echo '{"drift_score":0.0625,"drifted":[],"status":"stable"}' ;;
	moderate) echo '{"drift_score":0.125,"drifted":["f1"],"status":"moderate"}' ;;
	severe) echo '{"drift_score":0.25,"drifted":["f3"],"status":"severe"}' ;;
	esac
}

# rec ID F1 [STATUS [TRUST]]: a record with metrics, drift and trust.
rec() {
	printf '{"batch_id":"%s","ts":%s,"metrics":{"f1":%s},"drift":%s,"trust":{"score":%s}}\n' \
	    "$1" "${1#b}" "$2" "$(drift "${3:-stable}")" "${4:-0.9}"
}

# "action: reason" of each output line.
decisions() {
	sed 's/.*"decision":{"action":"\([a-z]*\)","reason":"\([^"]*\)".*/\1: \2/'
}

# The value of one metadata key of each output line.
meta() {
	sed "s/.*\"metadata\":{.*\"$1\":\\([^,]*\\),.*/\\1/"
}

# A database with the mm schema, and decision_history rows from
# "action ..." words, oldest first.
make_db() {
	local db=$1 a i=0
	shift
	mm-record --db "$db" </dev/null
	for a in "$@"; do
		i=$((i + 1))
		sqlite3 "$db" "INSERT INTO decision_history (ts, source, action, reason, metadata, created_at) VALUES ($i, 'old$i', '$a', 'seeded', '{}', $i)"
	done
}

# A model store m/ with an active version (and a staged one with
# "stage"), trained quickly with five trees.
make_store() {
	mkdir -p C
	printf 'n_estimators: 5\n' >C/model.yaml
	mm-train --synthetic --rows 300 --models m --config C \
	    --now 1764140000 >/dev/null
	if [ "${1:-}" = stage ]; then
		mm-train --synthetic --rows 300 --models m --config C \
		    --now 1764140100 --stage >/dev/null
	fi
	ACTIVE=20251126T065320Z
	BASELINE=$(sed 's/.*"baseline_f1":\([^}]*\)}.*/\1/' m/active.json)
}

# Store the decisions of an mm-decide output in decision_history, as
# mm-exec would: ts, source (the batch_id), action, reason, metadata.
store_decisions() {
	local out=$1 db=$2 l id ts act reason md
	while IFS= read -r l; do
		id=$(sed -n 's/^{"batch_id":"\([^"]*\)".*/\1/p
		    s/^{"window":"\([^"]*\)".*/\1/p' <<<"$l")
		ts=$(sed 's/.*"ts":\([0-9.]*\),.*/\1/' <<<"$l")
		act=$(sed 's/.*"decision":{"action":"\([a-z]*\)".*/\1/' <<<"$l")
		reason=$(sed 's/.*"decision":{[^}]*"reason":"\([^"]*\)".*/\1/' <<<"$l")
		md=$(sed 's/.*"metadata"://; s/}}$//' <<<"$l")
		reason=${reason//\'/\'\'}
		md=${md//\'/\'\'}
		printf "INSERT INTO decision_history (ts, source, action, reason, metadata, created_at) VALUES (%s, '%s', '%s', '%s', '%s', %s);\n" \
		    "$ts" "$id" "$act" "$reason" "$md" "$ts"
	done <"$out" | sqlite3 "$db"
}

# The decision object

@test "the full decision object, with every input the policy used" {
	make_conf
	in=$(rec b1 0.5 moderate 0.75)
	run_split mm-decide --config conf --baseline-f1 0.75 --staged <<<"$in"
	assert_success
	assert_output "${in%\}},\"decision\":{\"action\":\"rollback\",\"reason\":\"f1 dropped 0.25 below the baseline, >= max_f1_drop 0.25\",\"metadata\":{\"drift_score\":0.125,\"drift_status\":\"moderate\",\"drifted\":[\"f1\"],\"f1\":0.5,\"f1_sustained\":null,\"trust\":0.75,\"baseline_f1\":0.75,\"staged\":true,\"model_version\":null,\"recent\":[],\"policy\":$CPOLICY}}}"
	assert_equal "$stderr" ""
}

@test "a record with none of the inputs: none, every input null" {
	run_split mm-decide <<<'{"batch_id":"b1"}'
	assert_success
	assert_output "{\"batch_id\":\"b1\",\"decision\":{\"action\":\"none\",\"reason\":\"no rule matched\",\"metadata\":{\"drift_score\":null,\"drift_status\":null,\"drifted\":null,\"f1\":null,\"f1_sustained\":null,\"trust\":null,\"baseline_f1\":null,\"staged\":false,\"model_version\":null,\"recent\":[],\"policy\":$POLICY}}}"
	assert_equal "$stderr" ""
}

@test "each action and its reason, with the default thresholds" {
	{
		rec b1 0.9 severe
		rec b2 0.9 moderate
		rec b3 0.8
		rec b4 0.95
	} >in.ndjson
	run_split mm-decide --baseline-f1 0.95 in.ndjson
	assert_success
	assert_equal "$(decisions <<<"$output")" \
"reject: drift severe: 'f3' drifted
retrain: f1 dropped 0.05 below the baseline, >= min_f1_gain 0.02
none: retrain cooldown: a retrain within the last 5 decisions
none: no rule matched"
	assert_equal "$stderr" ""

	# 0.8 - 0.65 is 0.15000000000000002: rollback; 0.95 - 0.8 is
	# 0.1499999999999999: retrain only.
	run_split mm-decide --baseline-f1 0.8 <<<"$(rec b1 0.65)"
	assert_equal "$(decisions <<<"$output")" \
	    "rollback: f1 dropped 0.15 below the baseline, >= max_f1_drop 0.15"
	run_split mm-decide --baseline-f1 0.95 <<<"$(rec b1 0.8)"
	assert_equal "$(decisions <<<"$output")" \
	    "retrain: f1 dropped 0.15 below the baseline, >= min_f1_gain 0.02"
	# 0.82 - 0.8 is 0.019999999999999907: none.
	run_split mm-decide --baseline-f1 0.82 <<<"$(rec b1 0.8)"
	assert_equal "$(decisions <<<"$output")" "none: no rule matched"
}

# Rule 1: drift.status

@test "drift.status severe rejects, naming the first drifted feature" {
	sev() {
		printf '{"batch_id":"%s","metrics":{"f1":0.5},"drift":{"drift_score":0.01,"status":"severe"%s}}\n' "$1" "$2"
	}
	{
		sev b1 ',"drifted":["f3"]'
		sev b2 ',"drifted":["f3","f0","f7"]'
		sev b3 ''
		sev b4 ',"drifted":[]'
		sev b5 ',"drifted":null'
	} >in.ndjson
	# F1 has collapsed too: drift comes first, and the score is no part.
	run_split mm-decide --baseline-f1 0.95 in.ndjson
	assert_success
	assert_equal "$(decisions <<<"$output")" \
"reject: drift severe: 'f3' drifted
reject: drift severe: 'f3' drifted (+2 more)
reject: drift severe
reject: drift severe
reject: drift severe"
	assert_equal "$(grep -o '"drift_status":[^,]*,"drifted":\(null\|\[[^]]*\]\)' <<<"$output")" \
'"drift_status":"severe","drifted":["f3"]
"drift_status":"severe","drifted":["f3","f0","f7"]
"drift_status":"severe","drifted":null
"drift_status":"severe","drifted":[]
"drift_status":"severe","drifted":null'
	assert_equal "$stderr" ""
}

@test "drift.status moderate or stable: the other rules decide" {
	{
		rec b1 0.95 moderate
		rec b2 0.95 stable
		rec b3 0.9 moderate
		rec b4 0.5 moderate
	} >in.ndjson
	run_split mm-decide --baseline-f1 0.95 in.ndjson
	assert_success
	assert_equal "$(decisions <<<"$output")" \
"none: no rule matched
none: no rule matched
retrain: f1 dropped 0.05 below the baseline, >= min_f1_gain 0.02
rollback: f1 dropped 0.45 below the baseline, >= max_f1_drop 0.15"
	assert_equal "$(meta drift_status <<<"$output" | tr '\n' ' ')" \
	    '"moderate" "stable" "moderate" "moderate" '
	assert_equal "$stderr" ""
}

@test "a drift without a status gives rule 1 nothing, however large" {
	printf '%s\n' '{"batch_id":"b1","drift":{"drift_score":7.5}}' \
	    '{"batch_id":"b2","drift":{"drift_score":7.5,"status":null,"drifted":["f3"]}}' \
	    '{"batch_id":"b3","drift":null}' >in.ndjson
	run_split mm-decide in.ndjson
	assert_success
	assert_equal "$(decisions <<<"$output" | sort -u)" "none: no rule matched"
	assert_equal "$(meta drift_status <<<"$output" | tr '\n' ' ')" \
	    "null null null "
	assert_equal "$(meta drift_score <<<"$output" | tr '\n' ' ')" \
	    "7.5 7.5 null "
	assert_equal "$stderr" ""
}

@test "thresholds from retrain.yaml of --config, MM_CONFIG or ./config" {
	make_conf
	in=$(rec b1 0.625)
	want="retrain: f1 dropped 0.125 below the baseline, >= min_f1_gain 0.125"
	run_split mm-decide --config conf --baseline-f1 0.75 <<<"$in"
	assert_success
	assert_equal "$(decisions <<<"$output")" "$want"
	assert_equal "$(grep -o '"policy":{[^}]*}' <<<"$output")" \
	    "\"policy\":$CPOLICY"
	assert_equal "$stderr" ""

	MM_CONFIG=conf run_split mm-decide --baseline-f1 0.75 <<<"$in"
	assert_equal "$(decisions <<<"$output")" "$want"

	mv conf config
	run_split mm-decide --baseline-f1 0.75 <<<"$in"
	assert_equal "$(decisions <<<"$output")" "$want"

	# Without any, the defaults: min_f1_gain 0.02.
	rm -r config
	run_split mm-decide --baseline-f1 0.75 <<<"$in"
	assert_equal "$(decisions <<<"$output")" \
	    "retrain: f1 dropped 0.125 below the baseline, >= min_f1_gain 0.02"
}

@test "psi_threshold in retrain.yaml loads with a warning and is not used" {
	make_conf
	printf 'psi_threshold: 0.01\n' >>conf/retrain.yaml
	{ rec b1 0.75 moderate; rec b2 0.75 severe; } >in.ndjson
	run_split mm-decide --config conf --baseline-f1 0.75 in.ndjson
	assert_success
	assert_equal "$(decisions <<<"$output")" \
"none: no rule matched
reject: drift severe: 'f3' drifted"
	# Nor is it written: the policy does not use it.
	assert_equal "$(grep -o '"policy":{[^}]*}' <<<"$output" | sort -u)" \
	    "\"policy\":$CPOLICY"
	assert_equal "$stderr" "mm-decide: conf/retrain.yaml:5: 'psi_threshold' is ignored: the policy rejects on drift.status severe (deprecated)"
}

@test "a bad retrain.yaml is an error naming file, line and key" {
	mkdir conf
	printf 'max_f1_drop: 0.2\npsi: 1\n' >conf/retrain.yaml
	run_split mm-decide --config conf <<<"$(rec b1 0.5)"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-decide: conf/retrain.yaml:2: unknown key 'psi'"
}

# State across records

@test "a retrain starts a cooldown of cooldown_batches decisions" {
	make_conf
	for i in 1 2 3 4 5 6; do rec b$i 0.625; done >in.ndjson
	run_split mm-decide --config conf --baseline-f1 0.75 in.ndjson
	assert_success
	assert_equal "$(decisions <<<"$output")" \
"retrain: f1 dropped 0.125 below the baseline, >= min_f1_gain 0.125
none: retrain cooldown: a retrain within the last 3 decisions
none: retrain cooldown: a retrain within the last 3 decisions
none: retrain cooldown: a retrain within the last 3 decisions
retrain: f1 dropped 0.125 below the baseline, >= min_f1_gain 0.125
none: retrain cooldown: a retrain within the last 3 decisions"
	# recent: the last max(cooldown_batches, min_stable_batches).
	assert_equal "$(grep -o '"recent":\[[^]]*\]' <<<"$output")" \
'"recent":[]
"recent":["retrain"]
"recent":["retrain","none"]
"recent":["retrain","none","none"]
"recent":["none","none","none"]
"recent":["none","none","retrain"]'
	assert_equal "$stderr" ""
}

@test "a staged candidate is promoted after min_stable_batches nones" {
	for i in 1 2 3 4 5 6 7; do rec b$i 0.9; done >in.ndjson
	run_split mm-decide --baseline-f1 0.9 --staged in.ndjson
	assert_success
	assert_equal "$(decisions <<<"$output")" \
"none: no rule matched
none: no rule matched
none: no rule matched
none: no rule matched
none: no rule matched
promote: candidate staged and the last 5 decisions were none
none: no rule matched"
	assert_equal "$(meta staged <<<"$output" | sort -u)" true
	assert_equal "$stderr" ""

	# Not staged: never.
	run_split mm-decide --baseline-f1 0.9 in.ndjson
	assert_equal "$(decisions <<<"$output" | sort -u)" \
	    "none: no rule matched"

	# Any other action resets the count.
	{
		rec b1 0.9; rec b2 0.9; rec b3 0.9; rec b4 0.9
		rec b5 0.9 severe
		rec b6 0.9; rec b7 0.9; rec b8 0.9; rec b9 0.9; rec b10 0.9
	} >in.ndjson
	run_split mm-decide --baseline-f1 0.9 --staged in.ndjson
	assert_equal "$(decisions <<<"$output" | cut -d: -f1 | tr '\n' ' ')" \
	    "none none none none reject none none none none none "
	{ cat in.ndjson; rec b11 0.9; } >in2.ndjson
	run_split mm-decide --baseline-f1 0.9 --staged in2.ndjson
	assert_equal "$(decisions <<<"$output" | tail -n 1)" \
	    "promote: candidate staged and the last 5 decisions were none"
}

@test "several files are one stream: the state carries over" {
	rec b1 0.5 >a.ndjson
	rec b2 0.85 >b.ndjson
	run_split mm-decide --baseline-f1 0.9 a.ndjson - b.ndjson <<<"$(rec b9 0.9)"
	assert_success
	assert_equal "$(decisions <<<"$output")" \
"rollback: f1 dropped 0.4 below the baseline, >= max_f1_drop 0.15
none: no rule matched
retrain: f1 dropped 0.05 below the baseline, >= min_f1_gain 0.02"
	assert_equal "$(grep -o '"batch_id":"b[0-9]"' <<<"$output" | tr '\n' ' ')" \
	    '"batch_id":"b1" "batch_id":"b9" "batch_id":"b2" '
}

@test "rules 2 and 3 are skipped without f1 or without a baseline" {
	printf '%s\n' '{"batch_id":"b1","metrics":{"f1":null},"drift":{"drift_score":0.1}}' \
	    '{"batch_id":"b2","metrics":{"accuracy":0.1}}' >in.ndjson
	run_split mm-decide --baseline-f1 1 in.ndjson
	assert_success
	assert_equal "$(decisions <<<"$output")" \
"none: no rule matched
none: no rule matched"
	assert_equal "$(meta f1 <<<"$output" | tr '\n' ' ')" "null null "

	run_split mm-decide <<<"$(rec b1 0)"
	assert_success
	assert_equal "$(decisions <<<"$output")" "none: no rule matched"
	assert_equal "$(meta baseline_f1 <<<"$output")" null
}

# The model store

@test "--models: baseline from active.json, staged from candidate.json" {
	make_store
	run_split mm-decide --models m <<<"$(rec b1 0.5)"
	assert_success
	assert_equal "$(meta baseline_f1 <<<"$output")" "$BASELINE"
	assert_equal "$(meta staged <<<"$output")" false
	assert_equal "$(meta model_version <<<"$output")" "\"$ACTIVE\""
	assert_equal "$(meta has_previous <<<"$output")" false
	# A collapse with no previous version to roll back to: retrain.
	assert_equal "$(decisions <<<"$output" | cut -d: -f1)" retrain
	assert_equal "$stderr" ""

	mm-train --synthetic --rows 300 --models m --config C \
	    --now 1764140100 --stage >/dev/null
	for i in 1 2 3 4 5 6; do rec b$i "$BASELINE"; done >in.ndjson
	run_split mm-decide --models m in.ndjson
	assert_success
	assert_equal "$(meta staged <<<"$output" | sort -u)" true
	# model_version is the live version, not the candidate.
	assert_equal "$(meta model_version <<<"$output" | sort -u)" \
	    "\"$ACTIVE\""
	assert_equal "$(decisions <<<"$output" | tail -n 1)" \
	    "promote: candidate staged and the last 5 decisions were none"
	assert_equal "$stderr" ""
}

@test "--baseline-f1 and --staged win over the store" {
	make_store
	run_split mm-decide --models m --baseline-f1 0.5 --staged \
	    <<<"$(rec b1 0.5)"
	assert_success
	assert_equal "$(meta baseline_f1 <<<"$output")" 0.5
	assert_equal "$(meta staged <<<"$output")" true
	assert_equal "$(meta model_version <<<"$output")" "\"$ACTIVE\""
	assert_equal "$(decisions <<<"$output")" "none: no rule matched"
	assert_equal "$stderr" ""
}

@test "./models and \$MM_MODELS are used when present" {
	make_store stage
	run_split mm-decide <<<"$(rec b1 0.5)"
	assert_equal "$(meta model_version <<<"$output")" null
	MM_MODELS=m run_split mm-decide <<<"$(rec b1 0.5)"
	assert_success
	assert_equal "$(meta model_version <<<"$output")" "\"$ACTIVE\""
	assert_equal "$(meta staged <<<"$output")" true
	mv m models
	run_split mm-decide <<<"$(rec b1 0.5)"
	assert_success
	assert_equal "$(meta model_version <<<"$output")" "\"$ACTIVE\""
	assert_equal "$(meta baseline_f1 <<<"$output")" "$BASELINE"
	assert_equal "$stderr" ""
}

@test "--baseline-f1 out of range is a usage error" {
	run_split mm-decide --baseline-f1 1.5 <<<"$(rec b1 0.5)"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" \
	    "mm-decide: --baseline-f1: '1.5' is not a number from 0 to 1"
}

# The database

@test "--db seeds the recent actions from decision_history" {
	make_conf
	make_db h.db none retrain
	run_split mm-decide --config conf --db h.db --baseline-f1 0.75 \
	    <<<"$(rec b1 0.625)"
	assert_success
	assert_equal "$(decisions <<<"$output")" \
	    "none: retrain cooldown: a retrain within the last 3 decisions"
	assert_equal "$(grep -o '"recent":\[[^]]*\]' <<<"$output")" \
	    '"recent":["none","retrain"]'
	assert_equal "$stderr" ""

	# The newest rows count: the retrain is three decisions old.
	make_db h2.db retrain none none none
	run_split mm-decide --config conf --db h2.db --baseline-f1 0.75 \
	    <<<"$(rec b1 0.625)"
	assert_equal "$(decisions <<<"$output")" \
	    "retrain: f1 dropped 0.125 below the baseline, >= min_f1_gain 0.125"
	assert_equal "$(grep -o '"recent":\[[^]]*\]' <<<"$output")" \
	    '"recent":["none","none","none"]'

	# Two nones in the database: a staged candidate is promoted at once.
	make_db h3.db reject none none
	run_split mm-decide --config conf --db h3.db --staged \
	    <<<"$(rec b1 0.625)"
	assert_equal "$(decisions <<<"$output")" \
	    "promote: candidate staged and the last 2 decisions were none"
	# mm-decide only reads the database.
	assert_equal "$(sqlite3 h3.db 'SELECT count(*) FROM decision_history')" 3
}

@test "the default database and \$MM_DB are used when present" {
	make_conf
	mkdir -p data/metrics
	make_db data/metrics/metrics.db retrain
	run_split mm-decide --config conf --baseline-f1 0.75 <<<"$(rec b1 0.625)"
	assert_success
	assert_equal "$(decisions <<<"$output")" \
	    "none: retrain cooldown: a retrain within the last 3 decisions"
	assert_equal "$stderr" ""

	mv data/metrics/metrics.db other.db
	rm -r data
	run_split mm-decide --config conf --baseline-f1 0.75 <<<"$(rec b1 0.625)"
	assert_equal "$(decisions <<<"$output" | cut -d: -f1)" retrain
	[ ! -e data ]
	MM_DB=other.db run_split mm-decide --config conf --baseline-f1 0.75 \
	    <<<"$(rec b1 0.625)"
	assert_equal "$(decisions <<<"$output" | cut -d: -f1)" none
}

# --fail-on

@test "--fail-on reject,rollback exits 1 after writing every record" {
	{ rec b1 0.9; rec b2 0.9 severe; rec b3 0.9; } >in.ndjson
	run_split mm-decide --baseline-f1 0.9 --fail-on reject,rollback in.ndjson
	assert_failure 1
	assert_output "$(mm-decide --baseline-f1 0.9 in.ndjson)"
	[ "$(wc -l <<<"$output")" -eq 3 ]
	assert_equal "$stderr" ""

	run_split mm-decide --baseline-f1 0.5 --fail-on reject,rollback in.ndjson
	assert_failure 1
	run_split mm-decide --baseline-f1 0.9 --fail-on rollback,promote in.ndjson
	assert_success
	assert_equal "$stderr" ""
	run_split mm-decide --baseline-f1 0.9 --fail-on none <<<"$(rec b1 0.9)"
	assert_failure 1
}

@test "--fail-on with an unknown action is a usage error" {
	run_split mm-decide --fail-on reject,cooldown <<<"$(rec b1 0.9)"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-decide: --fail-on: 'cooldown' is not an action (none, reject, rollback, retrain, promote)"
}

# Records

@test "summary records get decisions too" {
	in='{"window":"5m","ts":1764140300.0,"n_batches":5,"metrics":{"accuracy":0.8,"f1":0.625,"avg_confidence":0.7,"latency_ms":1.5},"drift":{"drift_score":0.0625,"status":"moderate","drifted":["f2"]}}'
	run_split mm-decide --baseline-f1 0.75 <<<"$in"
	assert_success
	assert_output "${in%\}},\"decision\":{\"action\":\"retrain\",\"reason\":\"f1 dropped 0.125 below the baseline, >= min_f1_gain 0.02\",\"metadata\":{\"drift_score\":0.0625,\"drift_status\":\"moderate\",\"drifted\":[\"f2\"],\"f1\":0.625,\"f1_sustained\":null,\"trust\":null,\"baseline_f1\":0.75,\"staged\":false,\"model_version\":null,\"recent\":[],\"policy\":$POLICY}}}"
	assert_equal "$stderr" ""
}

@test "other fields pass through byte for byte; decision is replaced in place" {
	in='{ "z":[1, 2] , "batch_id" : "b1","x":1.50,"e":1e-7,"metrics":{"f1":0.50,"n":1E0},"decision":{"old":true} ,"drift":{"drift_score":1.0e-1 },"u":{"k":[null,"s\"}"]},"n":-0.0}'
	dec="\"decision\":{\"action\":\"none\",\"reason\":\"no rule matched\",\"metadata\":{\"drift_score\":0.1,\"drift_status\":null,\"drifted\":null,\"f1\":0.5,\"f1_sustained\":null,\"trust\":null,\"baseline_f1\":0.5,\"staged\":false,\"model_version\":null,\"recent\":[],\"policy\":$POLICY}}"
	run_split mm-decide --baseline-f1 0.5 <<<"$in"
	assert_success
	assert_output "${in/\"decision\":\{\"old\":true\}/$dec}"
	assert_equal "$stderr" ""
}

@test "empty input gives no output" {
	run_split mm-decide </dev/null
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
}

# Bad input

@test "a non-number f1 stops at its line, after the records before it" {
	{ rec b1 0.9; printf '{"batch_id":"b2","metrics":{"f1":"0.9"}}\n'; rec b3 0.9; } >in.ndjson
	run_split mm-decide --baseline-f1 0.9 <in.ndjson
	assert_failure 2
	assert_output "$(rec b1 0.9 | mm-decide --baseline-f1 0.9)"
	assert_equal "$stderr" "mm-decide: line 2: 'metrics.f1' is not a number"

	run_split mm-decide --baseline-f1 0.9 in.ndjson
	assert_failure 2
	assert_equal "$stderr" "mm-decide: in.ndjson:2: 'metrics.f1' is not a number"
}

@test "inputs out of range, wrong types and broken JSON are errors" {
	bad() {
		run_split mm-decide <<<"$1"
		assert_failure 2
		assert_output ""
		assert_equal "$stderr" "mm-decide: line 1: $2"
	}
	bad "$(rec b1 1.5)" "f1 1.5 is out of range [0, 1]"
	bad "$(rec b1 1.0000000000000002)" \
	    "f1 1.0000000000000002 is out of range [0, 1]"
	bad "$(rec b1 -0.25)" "f1 -0.25 is out of range [0, 1]"
	bad '{"batch_id":"b1","drift":{"drift_score":-0.001,"status":"stable"}}' \
	    "drift_score -0.001 is out of range [0, inf]"
	bad "$(rec b1 0.5 stable 2)" "trust 2 is out of range [0, 1]"
	bad '{"batch_id":"b1","drift":{"drift_score":true}}' \
	    "'drift.drift_score' is not a number"
	bad '{"batch_id":"b1","trust":{"score":[0.5]}}' \
	    "'trust.score' is not a number"
	bad '{"batch_id":"b1","metrics":"f1"}' "'metrics' is not an object"
	bad '{"batch_id":"b1","drift":0.3}' "'drift' is not an object"
	bad '{"batch_id":"b1","drift":{"status":"Severe"}}' \
	    "'drift.status' is not 'stable', 'moderate' or 'severe'"
	bad '{"batch_id":"b1","drift":{"status":2}}' \
	    "'drift.status' is not 'stable', 'moderate' or 'severe'"
	bad '{"batch_id":"b1","drift":{"status":"severe","drifted":"f3"}}' \
	    "'drift.drifted' is not an array of feature names"
	bad '{"batch_id":"b1","drift":{"status":"severe","drifted":["f3",7]}}' \
	    "'drift.drifted' is not an array of feature names"
	bad '{"batch_id":"b1","metrics":{"f1":0.5}' \
	    "invalid JSON: expected ',' or '}', found end of line"
	bad '[1]' "invalid JSON: expected a JSON object, found '['"

	# Limits hold at their ends.
	run_split mm-decide <<<"$(rec b1 1 stable 1)"
	assert_success
	run_split mm-decide <<<"$(rec b1 0 stable 0)"
	assert_success
	assert_equal "$stderr" ""
}

@test "--skip-bad skips and counts bad records, which leave no state" {
	make_conf
	{
		rec b1 0.625
		rec b2 1.5
		printf '{"batch_id":"b3","metrics":{"f1":0.6\n'
		rec b4 0.625
		rec b5 0.625
		rec b6 0.625
	} >in.ndjson
	run_split mm-decide --config conf --baseline-f1 0.75 --skip-bad in.ndjson
	assert_success
	assert_equal "$(grep -o '"batch_id":"b[0-9]"' <<<"$output" | tr '\n' ' ')" \
	    '"batch_id":"b1" "batch_id":"b4" "batch_id":"b5" "batch_id":"b6" '
	# Three decisions since the retrain, not five.
	assert_equal "$(decisions <<<"$output" | cut -d: -f1 | tr '\n' ' ')" \
	    "retrain none none none "
	assert_equal "$stderr" "mm-decide: skipped 2 bad records"
}

# f1_window

@test "f1_window: rule 3 on the mean F1 of the last batches, rule 2 on the batch" {
	make_conf
	echo 'f1_window: 3' >>conf/retrain.yaml
	{
		rec b1 0.75; rec b2 0.625; rec b3 0.625; rec b4 0.625
		rec b5 0.5
	} >in.ndjson
	run_split mm-decide --config conf --baseline-f1 0.75 in.ndjson
	assert_success
	# Means 0.75, 0.6875, 2/3, 0.625, 0.5833.
	assert_equal "$(meta f1_sustained <<<"$output" | tr '\n' ' ')" \
	    "0.75 0.6875 0.6666666666666666 0.625 0.5833333333333334 "
	assert_equal "$(decisions <<<"$output")" \
"none: no rule matched
none: no rule matched
none: no rule matched
retrain: f1 over recent batches is 0.125 below the baseline, >= min_f1_gain 0.125
rollback: f1 dropped 0.25 below the baseline, >= max_f1_drop 0.25"
	assert_equal "$stderr" ""
}

@test "f1_window: summary records and skipped records stay out of the mean" {
	make_conf
	echo 'f1_window: 2' >>conf/retrain.yaml
	{
		rec b1 0.75
		printf '{"window":"5m","ts":1,"metrics":{"f1":0}}\n'
		rec b2 1.5
		rec b3 0.5
		rec b4 0.75
	} >in.ndjson
	run_split mm-decide --config conf --baseline-f1 0.75 --skip-bad in.ndjson
	assert_success
	assert_equal "$(meta f1_sustained <<<"$output" | tr '\n' ' ')" \
	    "0.75 null 0.625 0.625 "
	assert_equal "$stderr" "mm-decide: skipped 1 bad record"
}

# --replay

@test "--replay recomputes stored decisions: none differ" {
	make_conf
	make_db h.db
	{
		rec b1 0.75; rec b2 0.625 moderate 0.5; rec b3 0.625; rec b4 0.75
		rec b5 0.75; rec b6 0.75; rec b7 0.75 severe; rec b8 0.5
		printf '{"window":"1h","ts":9,"metrics":{"f1":0.75}}\n'
	} >in.ndjson
	mm-decide --config conf --baseline-f1 0.75 --staged in.ndjson >out.ndjson
	assert_equal "$(decisions <out.ndjson | cut -d: -f1 | tr '\n' ' ')" \
	    "none retrain none none promote none reject rollback none "
	store_decisions out.ndjson h.db
	run_split mm-decide --replay --db h.db
	assert_success
	assert_output ""
	assert_equal "$stderr" "mm-decide: replayed 9 decisions, 0 differ"

	# The stored policy counts, not today's configuration.
	MM_CONFIG=/nonexistent run_split mm-decide --replay --db h.db
	assert_success
	assert_equal "$stderr" "mm-decide: replayed 9 decisions, 0 differ"
}

@test "--replay lists a tampered decision and exits 1" {
	make_conf
	make_db h.db
	for i in 1 2 3 4 5; do rec b$i 0.625; done >in.ndjson
	mm-decide --config conf --baseline-f1 0.75 in.ndjson >out.ndjson
	store_decisions out.ndjson h.db
	sqlite3 h.db "UPDATE decision_history SET action = 'retrain' WHERE id = 3"
	run_split mm-decide --replay --db h.db
	assert_failure 1
	assert_output '{"id":3,"ts":3,"source":"b3","stored":"retrain","recomputed":"none","reason":"retrain cooldown: a retrain within the last 3 decisions"}'
	assert_equal "$stderr" "mm-decide: replayed 5 decisions, 1 differs"

	# --from and --to limit the rows by ts, both ends included.
	run_split mm-decide --replay --db h.db --from 4
	assert_success
	assert_output ""
	assert_equal "$stderr" "mm-decide: replayed 2 decisions, 0 differ"
	run_split mm-decide --replay --db h.db --to 2
	assert_success
	assert_equal "$stderr" "mm-decide: replayed 2 decisions, 0 differ"
	run_split mm-decide --replay --db h.db --from 3 --to 3
	assert_failure 1
	assert_output '{"id":3,"ts":3,"source":"b3","stored":"retrain","recomputed":"none","reason":"retrain cooldown: a retrain within the last 3 decisions"}'
	assert_equal "$stderr" "mm-decide: replayed 1 decision, 1 differs"
	run_split mm-decide --replay --db h.db --from 2 --to 4
	assert_failure 1
	assert_equal "$stderr" "mm-decide: replayed 3 decisions, 1 differs"
}

@test "--replay: decisions made with f1_window replay the same" {
	make_conf
	echo 'f1_window: 3' >>conf/retrain.yaml
	make_db h.db
	for f in 0.75 0.625 0.625 0.625 0.75 0.75; do
		rec "b$((++n))" $f
	done >in.ndjson
	mm-decide --config conf --baseline-f1 0.75 in.ndjson >out.ndjson
	store_decisions out.ndjson h.db
	run_split mm-decide --replay --db h.db
	assert_success
	assert_output ""
	assert_equal "$stderr" "mm-decide: replayed 6 decisions, 0 differ"
}

# Metadata as an mm before drift.status wrote it: rule 1 was
# drift_score >= policy.psi_threshold.
old_meta() {
	printf '{"drift_score":%s,"f1":0.9,"f1_sustained":null,"trust":0.9,"baseline_f1":0.9,"staged":false,"model_version":null,"recent":[],"policy":{"psi_threshold":%s,"max_f1_drop":0.15,"min_f1_gain":0.02,"cooldown_batches":5,"min_stable_batches":5}}' "$1" "$2"
}

# old_row DB TS ACTION DRIFT_SCORE PSI_THRESHOLD
old_row() {
	sqlite3 "$1" "INSERT INTO decision_history (ts, source, action, reason, metadata, created_at) VALUES ($2, 'b$2', '$3', 'old', '$(old_meta "$4" "$5")', $2)"
}

@test "--replay: decisions of an older mm replay by their own rule 1" {
	make_db h.db
	old_row h.db 1 reject 0.2 0.2
	old_row h.db 2 none 0.19999999999999998 0.2
	old_row h.db 3 reject 0.3 0.25
	old_row h.db 4 none 0.1 0.25
	run_split mm-decide --replay --db h.db
	assert_success
	assert_output ""
	assert_equal "$stderr" "mm-decide: replayed 4 decisions, 0 differ"

	# A tampered one is found, with the old rule's reason.
	sqlite3 h.db "UPDATE decision_history SET action = 'none' WHERE id = 3"
	sqlite3 h.db "UPDATE decision_history SET action = 'reject' WHERE id = 4"
	run_split mm-decide --replay --db h.db
	assert_failure 1
	assert_output '{"id":3,"ts":3,"source":"b3","stored":"none","recomputed":"reject","reason":"drift_score 0.3 >= psi_threshold 0.25"}
{"id":4,"ts":4,"source":"b4","stored":"reject","recomputed":"none","reason":"no rule matched"}'
	assert_equal "$stderr" "mm-decide: replayed 4 decisions, 2 differ"

	# Without drift_status, psi_threshold is needed.
	sqlite3 h.db "INSERT INTO decision_history (ts, source, action, reason, metadata, created_at) VALUES (5, 'b5', 'none', 'r', '$(old_meta 0.1 0.2 | sed 's/"psi_threshold":0.2,//')', 5)"
	run_split mm-decide --replay --db h.db --from 5
	assert_failure 1
	assert_output '{"id":5,"ts":5,"source":"b5","stored":"none","error":"metadata is incomplete"}'
}

@test "--replay: new decisions replay by drift.status, old and new mixed" {
	make_db h.db
	old_row h.db 1 reject 0.3 0.2
	old_row h.db 2 none 0.1 0.2
	{
		rec b3 0.9 severe; rec b4 0.9 moderate; rec b5 0.9
		printf '{"batch_id":"b6","ts":6,"drift":{"drift_score":9,"status":"severe","drifted":["f3","f1"]}}\n'
		printf '{"batch_id":"b7","ts":7,"drift":{"drift_score":9}}\n'
	} >in.ndjson
	mm-decide --baseline-f1 0.9 in.ndjson >out.ndjson
	assert_equal "$(decisions <out.ndjson)" \
"reject: drift severe: 'f3' drifted
none: no rule matched
none: no rule matched
reject: drift severe: 'f3' drifted (+1 more)
none: no rule matched"
	store_decisions out.ndjson h.db
	run_split mm-decide --replay --db h.db
	assert_success
	assert_output ""
	assert_equal "$stderr" "mm-decide: replayed 7 decisions, 0 differ"

	# The stored status decides, with the reason built from drifted.
	sqlite3 h.db "UPDATE decision_history SET metadata = replace(metadata, '\"drift_status\":\"moderate\"', '\"drift_status\":\"severe\"') WHERE id = 4"
	sqlite3 h.db "UPDATE decision_history SET metadata = replace(metadata, '\"drift_status\":\"severe\"', '\"drift_status\":\"stable\"') WHERE id = 6"
	sqlite3 h.db "UPDATE decision_history SET metadata = replace(metadata, '\"drift_status\":null', '\"drift_status\":\"bad\"') WHERE id = 7"
	run_split mm-decide --replay --db h.db
	assert_failure 1
	assert_output '{"id":4,"ts":4,"source":"b4","stored":"none","recomputed":"reject","reason":"drift severe: '"'f1'"' drifted"}
{"id":6,"ts":6,"source":"b6","stored":"reject","recomputed":"none","reason":"no rule matched"}
{"id":7,"ts":7,"source":"b7","stored":"none","error":"metadata has an unknown drift_status"}'
	assert_equal "$stderr" "mm-decide: replayed 7 decisions, 3 differ"

	# A new decision is not replayed by psi_threshold, even if present.
	sqlite3 h.db "UPDATE decision_history SET metadata = replace(metadata, '\"policy\":{', '\"policy\":{\"psi_threshold\":0,') WHERE id = 5"
	run_split mm-decide --replay --db h.db --from 5 --to 5
	assert_success
	assert_equal "$stderr" "mm-decide: replayed 1 decision, 0 differ"
}

@test "--replay reports metadata it cannot use" {
	make_db h.db retrain
	sqlite3 h.db "INSERT INTO decision_history (ts, source, action, reason, metadata, created_at) VALUES (7, 'b7', 'none', 'r', 'not json', 7)"
	run_split mm-decide --replay --db h.db
	assert_failure 1
	assert_output '{"id":1,"ts":1,"source":"old1","stored":"retrain","error":"metadata is incomplete"}
{"id":2,"ts":7,"source":"b7","stored":"none","error":"metadata is not a JSON object"}'
	assert_equal "$stderr" "mm-decide: replayed 2 decisions, 2 differ"
}

@test "--replay reads the database, not files" {
	make_db h.db
	run_split mm-decide --replay --db h.db in.ndjson
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-decide: --replay reads the database, not files"
}

@test "--help prints the synopsis of the man page" {
	run_split mm-decide --help
	assert_success
	assert_equal "$(head -n 3 <<<"$output")" \
"usage: mm-decide [--config DIR] [--db FILE] [--models DIR] [--baseline-f1 X] [--staged]
                 [--fail-on LIST] [--skip-bad] [--max-record BYTES] [FILE ...]
       mm-decide --replay [--db FILE] [--from TS] [--to TS]"
	assert_equal "$stderr" ""
}
