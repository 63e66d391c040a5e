#!/usr/bin/env bats
# mm-decide: the decision object, rule 1 on drift.status, the state kept
# across records and seeded from the model store and the database,
# --fail-on, summary records, pass-through, bad input, f1_window, rules
# 2 and 3 on confusion counts (the bounds, the pool of the live version
# and its cap, summary records, bad counts), and --replay of decisions
# old and new.  The rules and their boundaries are in
# tests/unit/test_policy.c; the bound's coverage in test_metrics.c; the
# policy through the real programs in policy-sim.bats.

load helper
bats_require_minimum_version 1.5.0

# The default policy, as the metadata writes it.
POLICY='{"max_f1_drop":0.15,"min_f1_gain":0.02,"alpha_f1":0.01,"f1_window_rows":2000,"cooldown_batches":5,"min_stable_batches":5}'

# Thresholds whose differences are exact in binary: 0.75 - 0.5 = 0.25,
# 0.75 - 0.625 = 0.125.  Cooldown 3, promote after 2 nones.
make_conf() {
	mkdir -p conf
	printf '%s\n' 'max_f1_drop: 0.25' \
	    'min_f1_gain: 0.125' 'cooldown_batches: 3' \
	    'min_stable_batches: 2' >conf/retrain.yaml
}
CPOLICY='{"max_f1_drop":0.25,"min_f1_gain":0.125,"alpha_f1":0.01,"f1_window_rows":2000,"cooldown_batches":3,"min_stable_batches":2}'

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

@test "--models in a live stream: a candidate staged, then promoted, is seen by the next record" {
	make_store
	mkfifo in
	mm-decide --models m <in >out 2>err &
	pid=$!
	exec 5>in
	# Wait for record n of out.
	upto() {
		for _ in $(seq 200); do
			[ "$(wc -l <out)" -ge "$1" ] && return 0
			sleep 0.05
		done
		return 1
	}
	rec b1 "$BASELINE" >&5
	upto 1
	mm-train --synthetic --rows 300 --models m --config C \
	    --now 1764140100 --stage >/dev/null
	cand=$(jq -r .version m/candidate.json)
	rec b2 "$BASELINE" >&5
	upto 2
	mm-models --models m --now 1764140200 promote >/dev/null
	rec b3 "$BASELINE" >&5
	exec 5>&-
	wait $pid
	assert_equal "$(meta staged <out | tr '\n' ' ')" "false true false "
	assert_equal "$(meta model_version <out | tr '\n' ' ')" \
	    "\"$ACTIVE\" \"$ACTIVE\" \"$cand\" "
	assert_equal "$(meta has_previous <out | tr '\n' ' ')" "false false true "
	assert_equal "$(cat err)" ""
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

# Confusion counts: rules 2 and 3 on an upper bound of F1

GOOD='[[30,2],[4,28]]'		# F1 0.903 on 64 rows: bound 0.97
SWAP='[[0,32],[32,0]]'		# labels swapped: F1 0, bound 0.19
POOR='[[22,10],[8,24]]'		# F1 0.727 on 64 rows: bound 0.85

# crec ID COUNTS [VERSION [STATUS]]: a batch record with confusion
# counts (and an F1 the counts overrule), served by VERSION.
crec() {
	local v=
	[ -n "${3:-}" ] && v=",\"model_version\":\"$3\""
	printf '{"batch_id":"%s","ts":%s,"metrics":{"f1":1,"confusion":%s%s},"drift":%s}\n' \
	    "$1" "${1#b}" "$2" "$v" "$(drift "${4:-stable}")"
}

# The value of one metadata key of each output line, arrays included.
md() {
	sed 's/.*"metadata"://' |
	    grep -o "\"$1\":\\(null\\|\\[[][0-9,]*\\]\\|[^,}]*\\)" |
	    sed "s/^\"$1\"://"
}

# True if the reason's bound is the metadata's, to four digits.
bound_in_reason() {
	local l=$1 key=$2 want got
	want=$(printf '%.4g' "$(md "$key" <<<"$l")")
	got=$(sed 's/.*"reason":"f1 upper bound \([0-9.e-]*\) on .*/\1/' <<<"$l")
	[ "$got" = "$want" ] || { echo "reason has $got, $key $want"; return 1; }
}

@test "counts: the batch's and the pool's F1 bounds in the metadata" {
	in=$(crec b1 "$GOOD")
	run_split mm-decide --baseline-f1 0.95 <<<"$in"
	assert_success
	assert_equal "$(decisions <<<"$output")" "none: no rule matched"
	u=$(md f1_upper <<<"$output")
	# F1 0.903 (56 / 62); the pool is this batch.
	assert_output "${in%\}},\"decision\":{\"action\":\"none\",\"reason\":\"no rule matched\",\"metadata\":{\"drift_score\":0.0625,\"drift_status\":\"stable\",\"drifted\":[],\"f1\":1,\"f1_sustained\":null,\"confusion\":$GOOD,\"pooled\":$GOOD,\"rows\":64,\"f1_upper\":$u,\"pooled_rows\":64,\"pooled_f1\":0.9032258064516129,\"pooled_upper\":$u,\"trust\":null,\"baseline_f1\":0.95,\"staged\":false,\"model_version\":null,\"recent\":[],\"policy\":$POLICY}}}"
	# The bound is above the F1 and below 1, and the same every run.
	awk -v u="$u" 'BEGIN { exit !(u > 0.9032258064516129 && u < 1) }'
	assert_equal "$(mm-decide --baseline-f1 0.95 <<<"$in")" "$output"
	assert_equal "$stderr" ""

	# Without a baseline nothing is judged, but the bounds are kept.
	run_split mm-decide <<<"$in"
	assert_equal "$(decisions <<<"$output")" "none: no rule matched"
	assert_equal "$(md f1_upper <<<"$output")" "$u"
	# Without counts the metadata has none of these keys.
	run_split mm-decide --baseline-f1 0.95 <<<"$(rec b1 0.9)"
	refute_output --partial '"confusion"'
	refute_output --partial '"pooled'
}

@test "counts: a collapse rolls back in one batch; a noisy batch is not acted on" {
	{ crec b1 "$SWAP"; crec b2 "$GOOD"; } >in.ndjson
	run_split mm-decide --baseline-f1 0.95 in.ndjson
	assert_success
	assert_equal "$(decisions <<<"$output" | sed 's/bound [0-9.e-]* on/bound U on/')" \
"rollback: f1 upper bound U on 64 rows is below baseline 0.95 - max_f1_drop 0.15
retrain: f1 upper bound U on 128 recent rows is below baseline 0.95 - min_f1_gain 0.02"
	bound_in_reason "$(head -n 1 <<<"$output")" f1_upper
	awk -v u="$(md f1_upper <<<"$output" | head -n 1)" \
	    'BEGIN { exit !(u < 0.25) }'
	# Without a store the version does not change: the collapsed batch
	# stays in the pool, and a good batch after it retrains.
	assert_equal "$(md pooled_rows <<<"$output" | tr '\n' ' ')" "64 128 "
	assert_equal "$(md pooled <<<"$output" | tail -n 1)" '[[30,34],[36,28]]'
	assert_equal "$stderr" ""

	# F1 0.903, 0.047 below the baseline: noise at 64 rows.  The
	# point rule on the same F1 retrains.
	run_split mm-decide --baseline-f1 0.95 <<<"$(crec b1 "$GOOD")"
	assert_equal "$(decisions <<<"$output")" "none: no rule matched"
	run_split mm-decide --baseline-f1 0.95 <<<"$(rec b1 0.9032258064516129)"
	assert_equal "$(decisions <<<"$output" | cut -d: -f1)" retrain

	# F1 0.727: too few rows to roll back on (bound 0.85 > 0.8), enough
	# to be sure it is below 0.93.  The point rule rolls back.
	run_split mm-decide --baseline-f1 0.95 <<<"$(crec b1 "$POOR")"
	assert_equal "$(decisions <<<"$output" | sed 's/bound [0-9.e-]* on/bound U on/')" \
	    "retrain: f1 upper bound U on 64 recent rows is below baseline 0.95 - min_f1_gain 0.02"
	bound_in_reason "$output" pooled_upper
	run_split mm-decide --baseline-f1 0.95 <<<"$(rec b1 0.7272727272727273)"
	assert_equal "$(decisions <<<"$output" | cut -d: -f1)" rollback

	# Severe drift still comes first.
	run_split mm-decide --baseline-f1 0.95 <<<"$(crec b1 "$SWAP" '' severe)"
	assert_equal "$(decisions <<<"$output")" "reject: drift severe: 'f3' drifted"
}

@test "counts: the pool sums the live version's batches, at most f1_window_rows" {
	make_conf
	echo 'f1_window_rows: 200' >>conf/retrain.yaml
	for i in 1 2 3 4 5; do crec b$i "$GOOD"; done >in.ndjson
	run_split mm-decide --config conf --baseline-f1 0.95 in.ndjson
	assert_success
	# 64, 128, 192; a fourth batch would make 256: the oldest goes.
	assert_equal "$(md pooled_rows <<<"$output" | tr '\n' ' ')" \
	    "64 128 192 192 192 "
	assert_equal "$(md pooled <<<"$output" | tr '\n' ' ')" \
	    "[[30,2],[4,28]] [[60,4],[8,56]] [[90,6],[12,84]] [[90,6],[12,84]] [[90,6],[12,84]] "
	assert_equal "$(md rows <<<"$output" | sort -u)" 64
	assert_equal "$(grep -o '"f1_window_rows":[0-9]*' <<<"$output" | sort -u)" \
	    '"f1_window_rows":200'
	assert_equal "$stderr" ""

	# A batch larger than the cap is pooled alone.
	sed -i 's/f1_window_rows: 200/f1_window_rows: 50/' conf/retrain.yaml
	run_split mm-decide --config conf --baseline-f1 0.95 in.ndjson
	assert_success
	assert_equal "$(md pooled_rows <<<"$output" | sort -u)" 64
	assert_equal "$(md pooled <<<"$output" | sort -u)" "$GOOD"

	# Batches of other sizes: the newest that fit in 200 rows.
	{
		crec b1 '[[50,0],[0,50]]'; crec b2 '[[20,0],[0,20]]'
		crec b3 '[[40,0],[0,40]]'; crec b4 '[[5,0],[0,5]]'
	} >in2.ndjson
	sed -i 's/f1_window_rows: 50/f1_window_rows: 200/' conf/retrain.yaml
	run_split mm-decide --config conf --baseline-f1 0.95 in2.ndjson
	assert_equal "$(md pooled_rows <<<"$output" | tr '\n' ' ')" \
	    "100 140 120 130 "

	# A change in the number of classes starts a new pool.
	{ crec b1 "$GOOD"; crec b2 '[[20,1,1],[1,20,1],[1,1,18]]'; } >in3.ndjson
	run_split mm-decide --config conf --baseline-f1 0.95 in3.ndjson
	assert_success
	assert_equal "$(md pooled_rows <<<"$output" | tr '\n' ' ')" "64 64 "
}

@test "counts: pooled rows prove a drop that no batch proves" {
	# Every batch F1 0.906, 0.044 below the baseline: no batch alone
	# proves it is below 0.93; a dozen or so pooled do.
	for i in $(seq 1 22); do crec b$i '[[29,3],[3,29]]'; done >in.ndjson
	run_split mm-decide --baseline-f1 0.95 in.ndjson
	assert_success
	n=$(decisions <<<"$output" | grep -n '^retrain' | head -n 1 | cut -d: -f1)
	[ "$n" -ge 10 ] && [ "$n" -le 16 ]
	assert_equal "$(decisions <<<"$output" | head -n $((n - 1)) | sort -u)" \
	    "none: no rule matched"
	assert_equal "$(sed -n "${n}p" <<<"$output" | decisions | sed 's/bound [0-9.e-]* on/bound U on/')" \
	    "retrain: f1 upper bound U on $((64 * n)) recent rows is below baseline 0.95 - min_f1_gain 0.02"
	bound_in_reason "$(sed -n "${n}p" <<<"$output")" pooled_upper
	# The bound falls with the pool's rows below 0.93; the F1 stays.
	md pooled_upper <<<"$output" | head -n "$n" |
	    awk -v n="$n" '(($1 < 0.93) != (NR == n)) { exit 1 }'
	assert_equal "$(md pooled_f1 <<<"$output" | sort -u)" 0.90625
	# Then the cooldown, then the same evidence retrains again.
	assert_equal "$(decisions <<<"$output" | sed -n "$((n + 1)),$((n + 5))p" | sort -u)" \
	    "none: retrain cooldown: a retrain within the last 5 decisions"
	assert_equal "$(decisions <<<"$output" | sed -n "$((n + 6))p" | cut -d: -f1)" retrain
}

@test "counts: rows of another version are not pooled; a new version starts a pool" {
	make_store stage
	NEW=20251126T065500Z
	{
		crec b1 "$GOOD" "$ACTIVE"; crec b2 "$GOOD" other
		crec b3 "$GOOD" "$ACTIVE"
	} >in.ndjson
	run_split mm-decide --models m in.ndjson
	assert_success
	assert_equal "$(md pooled_rows <<<"$output" | tr '\n' ' ')" "64 0 128 "
	assert_equal "$(md pooled <<<"$output" | sed -n 2p)" null
	assert_equal "$(md pooled_f1 <<<"$output" | sed -n 2p)" null
	assert_equal "$(md pooled_upper <<<"$output" | sed -n 2p)" null
	# Another version's collapse: nothing to roll back (no previous)
	# and no pool to retrain on.
	run_split mm-decide --models m <<<"$(crec b1 "$SWAP" other)"
	assert_equal "$(decisions <<<"$output")" "none: no rule matched"
	assert_equal "$(md has_previous <<<"$output")" false
	run_split mm-decide --models m <<<"$(crec b1 "$SWAP" "$ACTIVE")"
	assert_equal "$(decisions <<<"$output" | cut -d: -f1)" retrain
	assert_equal "$stderr" ""

	# The live version changes while mm-decide runs: the pool starts
	# again from the new version's first batch.
	mkfifo fifo
	mm-decide --models m <fifo >out.ndjson &
	exec 7>fifo
	crec b1 "$GOOD" "$ACTIVE" >&7
	crec b2 "$GOOD" "$ACTIVE" >&7
	for i in $(seq 100); do
		[ "$(wc -l <out.ndjson)" -ge 2 ] && break
		sleep 0.1
	done
	mm-models --models m --now 1764140200 promote >/dev/null
	crec b3 "$GOOD" "$ACTIVE" >&7
	crec b4 "$GOOD" "$NEW" >&7
	crec b5 "$SWAP" "$NEW" >&7
	exec 7>&-
	wait
	assert_equal "$(md model_version <out.ndjson | tr '\n' ' ')" \
	    "\"$ACTIVE\" \"$ACTIVE\" \"$NEW\" \"$NEW\" \"$NEW\" "
	assert_equal "$(md pooled_rows <out.ndjson | tr '\n' ' ')" \
	    "64 128 0 64 128 "
	# Now there is a version to roll back to.
	assert_equal "$(md has_previous <out.ndjson | tail -n 1)" true
	assert_equal "$(decisions <out.ndjson | tail -n 1 | cut -d: -f1)" rollback
}

@test "counts: --db seeds the pool with the live version's batches recorded before" {
	make_store
	{
		crec b1 "$GOOD" "$ACTIVE"; crec b2 "$GOOD" "$ACTIVE"
		crec b3 "$GOOD" other; crec b4 "$GOOD" "$ACTIVE"
		crec b5 '[[29,3],[3,29]]' "$ACTIVE"; crec b6 "$GOOD" "$ACTIVE"
	} >in.ndjson
	mm-record --db h.db in.ndjson >/dev/null
	# b5 is judged with b1, b2 and b4: not another version's b3, nor
	# b6, recorded after it.
	run_split mm-decide --db h.db --models m <<<"$(sed -n 5p in.ndjson)"
	assert_success
	assert_equal "$(md pooled <<<"$output")" '[[119,9],[15,113]]'
	assert_equal "$(md pooled_rows <<<"$output")" 256
	assert_equal "$stderr" ""
	# The run goes on from there: b6 adds to the seeded pool.
	run_split mm-decide --db h.db --models m <<<"$(sed -n 5,6p in.ndjson)"
	assert_equal "$(md pooled_rows <<<"$output" | tr '\n' ' ')" "256 320 "
	# A batch not recorded is judged with every batch recorded.
	run_split mm-decide --db h.db --models m <<<"$(crec b7 "$GOOD" "$ACTIVE")"
	assert_equal "$(md pooled_rows <<<"$output")" 384
	# Seeded newest first, up to f1_window_rows.
	make_conf
	echo 'f1_window_rows: 150' >>conf/retrain.yaml
	run_split mm-decide --config conf --db h.db --models m \
	    <<<"$(sed -n 5p in.ndjson)"
	assert_equal "$(md pooled <<<"$output")" '[[59,5],[7,57]]'
	# Without the database, the batch alone; a batch of another version
	# seeds nothing.
	run_split mm-decide --models m <<<"$(sed -n 5p in.ndjson)"
	assert_equal "$(md pooled_rows <<<"$output")" 64
	run_split mm-decide --db h.db --models m <<<"$(sed -n 3p in.ndjson)"
	assert_equal "$(md pooled <<<"$output")" null
}

@test "counts: a summary record of the live version is its own pool" {
	make_store
	win() {
		printf '{"window":"5m","ts":%s,"n_batches":10,"metrics":{"f1":1,"confusion":%s%s}}\n' \
		    "$1" "$2" "${3:+,\"model_version\":\"$3\"}"
	}
	{
		crec b1 "$GOOD" "$ACTIVE"
		win 2 '[[300,20],[40,280]]' "$ACTIVE"
		crec b3 "$GOOD" "$ACTIVE"
		win 4 '[[300,20],[40,280]]'
		win 5 '[[300,20],[40,280]]' other
	} >in.ndjson
	run_split mm-decide --models m --baseline-f1 0.95 in.ndjson
	assert_success
	assert_equal "$(md pooled_rows <<<"$output" | tr '\n' ' ')" \
	    "64 640 128 640 0 "
	assert_equal "$(md rows <<<"$output" | tr '\n' ' ')" "64 640 64 640 640 "
	# F1 0.903 on 640 rows is below 0.93 beyond doubt.
	assert_equal "$(decisions <<<"$output" | cut -d: -f1 | tr '\n' ' ')" \
	    "none retrain none none none "
	assert_equal "$(decisions <<<"$output" | sed -n 4p)" \
	    "none: retrain cooldown: a retrain within the last 5 decisions"
	assert_equal "$stderr" ""
}

@test "counts: metrics.confusion that is not a square array of counts is an error" {
	bad() {
		run_split mm-decide <<<"{\"batch_id\":\"b1\",\"metrics\":{\"confusion\":$1}}"
		assert_failure 2
		assert_output ""
		assert_equal "$stderr" \
		    "mm-decide: line 1: 'metrics.confusion' is not a square array of counts"
	}
	bad '"[[1,2],[3,4]]"'
	bad '[]'
	bad '[[1]]'
	bad '[[1,2]]'
	bad '[[1,2],[3]]'
	bad '[[1,2],[3,4,5]]'
	bad '[[1,-2],[3,4]]'
	bad '[[1.5,2],[3,4]]'
	bad '[[1,2],[3,"4"]]'
	bad '[[1,2],3]'
	# null is no counts: the point rules.
	run_split mm-decide --baseline-f1 0.95 <<<'{"batch_id":"b1","metrics":{"f1":0.5,"confusion":null}}'
	assert_success
	assert_equal "$(decisions <<<"$output")" \
	    "rollback: f1 dropped 0.45 below the baseline, >= max_f1_drop 0.15"
	# An empty batch has counts but no rows: nothing to judge.
	run_split mm-decide --baseline-f1 0.95 <<<'{"batch_id":"b1","metrics":{"confusion":[[0,0],[0,0]]}}'
	assert_success
	assert_equal "$(decisions <<<"$output")" "none: no rule matched"
	assert_equal "$(md f1_upper <<<"$output")" null
	assert_equal "$(md rows <<<"$output")" 0
}

@test "--replay: decisions on counts replay the same; tampered counts are found" {
	make_db h.db
	{
		crec b1 "$GOOD"; crec b2 "$SWAP"; crec b3 "$POOR"
		crec b4 "$POOR"; crec b5 "$GOOD"
	} >in.ndjson
	mm-decide --baseline-f1 0.95 in.ndjson >out.ndjson
	assert_equal "$(decisions <out.ndjson | cut -d: -f1 | tr '\n' ' ')" \
	    "none rollback retrain none none "
	store_decisions out.ndjson h.db
	run_split mm-decide --replay --db h.db
	assert_success
	assert_output ""
	assert_equal "$stderr" "mm-decide: replayed 5 decisions, 0 differ"
	MM_CONFIG=/nonexistent run_split mm-decide --replay --db h.db
	assert_success

	# The rollback's counts made healthy (its pool still holds them: a
	# retrain); the retrain's pool taken away; a level that makes the
	# first batch's bound its median.
	sqlite3 h.db "UPDATE decision_history SET metadata = replace(metadata, '\"confusion\":$SWAP', '\"confusion\":$GOOD') WHERE id = 2"
	sqlite3 h.db "UPDATE decision_history SET metadata = replace(metadata, '\"pooled\":[[', '\"pooled\":null,\"x\":[[') WHERE id = 3"
	sqlite3 h.db "UPDATE decision_history SET metadata = replace(metadata, '\"alpha_f1\":0.01', '\"alpha_f1\":0.5') WHERE id = 1"
	run_split mm-decide --replay --db h.db
	assert_failure 1
	assert_equal "$(sed 's/bound [0-9.e-]* on/bound U on/' <<<"$output")" \
'{"id":1,"ts":1,"source":"b1","stored":"none","recomputed":"retrain","reason":"f1 upper bound U on 64 recent rows is below baseline 0.95 - min_f1_gain 0.02"}
{"id":2,"ts":2,"source":"b2","stored":"rollback","recomputed":"retrain","reason":"f1 upper bound U on 128 recent rows is below baseline 0.95 - min_f1_gain 0.02"}
{"id":3,"ts":3,"source":"b3","stored":"retrain","recomputed":"none","reason":"no rule matched"}'
	assert_equal "$stderr" "mm-decide: replayed 5 decisions, 3 differ"

	# Counts without their level, or a pool of another size: incomplete.
	sqlite3 h.db "UPDATE decision_history SET metadata = replace(metadata, '\"alpha_f1\":0.01,', '') WHERE id = 4"
	sqlite3 h.db "UPDATE decision_history SET metadata = replace(metadata, '\"pooled\":[[', '\"pooled\":[[1,1,1],[1,1,1],[1,1,1]],\"x\":[[') WHERE id = 5"
	run_split mm-decide --replay --db h.db --from 4
	assert_failure 1
	assert_output '{"id":4,"ts":4,"source":"b4","stored":"none","error":"metadata is incomplete"}
{"id":5,"ts":5,"source":"b5","stored":"none","error":"metadata is incomplete"}'
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

@test "counts: a rejected batch's rows stay out of the pool" {
	# Severe drift: the batch is rejected, and its poor F1 is no
	# evidence about the model, so the next batches are not judged on
	# it (the evidence for a retrain leaves it out too).
	{ crec b1 "$GOOD"; crec b2 "$SWAP" "" severe; crec b3 "$GOOD"; } \
	    >in.ndjson
	run_split mm-decide --baseline-f1 0.95 in.ndjson
	assert_success
	assert_equal "$(decisions <<<"$output" | cut -d: -f1 | tr '\n' ' ')" \
	    "none reject none "
	assert_equal "$(md pooled_rows <<<"$output" | tr '\n' ' ')" "64 64 128 "
	assert_equal "$(md pooled <<<"$output" | tail -n 1)" '[[60,4],[8,56]]'
	assert_equal "$stderr" ""
}

@test "counts: without a model store the pool follows the records' version" {
	{ crec b1 "$GOOD" v1; crec b2 "$GOOD" v1; crec b3 "$GOOD" v2; } \
	    >in.ndjson
	run_split mm-decide --baseline-f1 0.95 --models nowhere in.ndjson
	assert_success
	assert_equal "$(md pooled_rows <<<"$output" | tr '\n' ' ')" "64 128 64 "
}

@test "with --db each decision carries its evidence horizon" {
	mm-train --synthetic --rows 500 --models m --now 1764140000 >/dev/null
	mm-gen --batches 3 --batch-size 64 | mm-predict --models m |
	    mm-record --db d.db >rec.ndjson
	# Recording ran ahead: all 192 rows are in; each decision's horizon
	# is where the evidence stood with its own batch.
	run_split mm-decide --db d.db --models m rec.ndjson
	assert_success
	assert_equal "$(grep -o '"evidence_horizon":[0-9]*' <<<"$output" | tr '\n' ' ')" \
	    '"evidence_horizon":64 "evidence_horizon":128 "evidence_horizon":192 '
	# A batch never recorded, or no database: no horizon.
	run_split mm-decide --models m rec.ndjson
	refute_output --partial evidence_horizon
	run_split mm-decide --db d.db --models m < <(sed 's/"b00000/"x00000/' rec.ndjson)
	refute_output --partial evidence_horizon
}
