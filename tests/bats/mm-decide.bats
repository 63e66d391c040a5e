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

# drift STATUS: the drift object of that status, as mm-psi writes it (in
# part), in $DRIFT.
drift() {
	case $1 in
	stable) DRIFT='{"drift_score":0.0625,"drifted":[],"status":"stable"}' ;;
	moderate) DRIFT='{"drift_score":0.125,"drifted":["f1"],"status":"moderate"}' ;;
	severe) DRIFT='{"drift_score":0.25,"drifted":["f3"],"status":"severe"}' ;;
	*) DRIFT= ;;
	esac
}

# mkrec ID F1 [STATUS [TRUST]]: a record with metrics, drift and trust,
# in $REC; rec prints it.  A test feeds one record with <<<"$REC": each
# command substitution, as in <<<"$(rec ...)", costs a process.
mkrec() {
	drift "${3:-stable}"
	printf -v REC '{"batch_id":"%s","ts":%s,"metrics":{"f1":%s},"drift":%s,"trust":{"score":%s}}' \
	    "$1" "${1#b}" "$2" "$DRIFT" "${4:-0.9}"
}

rec() {
	mkrec "$@"
	printf '%s\n' "$REC"
}

# What sed, grep, cut, sort, head and tail did to mm-decide's output,
# done with builtins: the tests read outputs hundreds of times, and each
# of those programs in a command substitution cost two processes.
# decisions, meta, md and each_match read their input and leave what
# they find in the array got, and joined by newlines as a command
# substitution would give it, in $res.

# joined VALUE...: the values, one a line, in $res.
joined() {
	res=
	if (($#)); then
		printf -v res '%s\n' "$@"
	fi
	chomp res
}

# words VALUE...: each value followed by a space, in $res (| tr '\n' ' ').
words() {
	res=
	if (($#)); then
		printf -v res '%s ' "$@"
	fi
}

# distinct VALUE...: each value once, one a line, in $res (| sort -u,
# but in the order first seen: the tests expect a single value).
distinct() {
	local v seen=$'\n' all=()

	for v; do
		[[ $seen == *$'\n'"$v"$'\n'* ]] && continue
		seen+=$v$'\n'
		all+=("$v")
	done
	joined "${all[@]}"
}

# "action: reason" of each input line.
decisions() {
	local re='^.*"decision":\{"action":"([a-z]*)","reason":"([^"]*)".*$' i

	mapfile -t got
	for i in "${!got[@]}"; do
		if [[ ${got[i]} =~ $re ]]; then
			got[i]="${BASH_REMATCH[1]}: ${BASH_REMATCH[2]}"
		fi
	done
	joined "${got[@]}"
}

# The value of one metadata key of each input line.
meta() {
	local re='^.*"metadata":\{.*"'$1'":([^,]*),.*$' i

	mapfile -t got
	for i in "${!got[@]}"; do
		if [[ ${got[i]} =~ $re ]]; then
			got[i]=${BASH_REMATCH[1]}
		fi
	done
	joined "${got[@]}"
}

# each_match ERE: every match of ERE in the input (grep -o).
each_match() {
	local text

	IFS= read -r -d '' text || true
	grep_o "$1" "$text"
	got=("${matched[@]}")
	joined "${got[@]}"
}

# A database with the mm schema, and decision_history rows from
# "action ..." words, oldest first (one sqlite3 for them all).
make_db() {
	local db=$1 a i=0 sql=
	shift
	mm-record --db "$db" </dev/null
	for a in "$@"; do
		i=$((i + 1))
		sql+="INSERT INTO decision_history (ts, source, action, reason, metadata, created_at) VALUES ($i, 'old$i', '$a', 'seeded', '{}', $i);"
	done
	if [ -n "$sql" ]; then
		sqlite3 "$db" "$sql"
	fi
}

# The model stores of make_store, trained once for the file in
# setup_file: store/ with m/ and its config C/, store-stage/ the same
# with a staged version.
setup_file() {
	local d=$BATS_FILE_TMPDIR/store

	mkdir -p "$d/C"
	printf 'n_estimators: 5\n' >"$d/C/model.yaml"
	mm-train --synthetic --rows 300 --models "$d/m" --config "$d/C" \
	    --now 1764140000 >/dev/null
	cp -a "$d" "$d-stage"
	mm-train --synthetic --rows 300 --models "$d-stage/m" --config "$d/C" \
	    --now 1764140100 --stage >/dev/null
}

# A model store m/ with an active version (and a staged one with
# "stage"), trained quickly with five trees, and its config C/.
make_store() {
	local re='^.*"baseline_f1":([^}]*)}.*$'

	cp -a "$BATS_FILE_TMPDIR/store${1:+-$1}/." .
	ACTIVE=20251126T065320Z
	BASELINE=$(<m/active.json)
	if [[ $BASELINE =~ $re ]]; then
		BASELINE=${BASH_REMATCH[1]}
	fi
}

# Store the decisions of an mm-decide output in decision_history, as
# mm-exec would: ts, source (the batch_id), action, reason, metadata.
store_decisions() {
	local out=$1 db=$2 l id ts act reason md stmt sql=
	local re_id='^\{"(batch_id|window)":"([^"]*)"'
	local re_ts='^.*"ts":([0-9.]*),.*$'
	local re_act='^.*"decision":\{"action":"([a-z]*)".*$'
	local re_reason='^.*"decision":\{[^}]*"reason":"([^"]*)".*$'

	while IFS= read -r l; do
		id='' ts=$l act=$l reason=$l
		[[ $l =~ $re_id ]] && id=${BASH_REMATCH[2]}
		[[ $l =~ $re_ts ]] && ts=${BASH_REMATCH[1]}
		[[ $l =~ $re_act ]] && act=${BASH_REMATCH[1]}
		[[ $l =~ $re_reason ]] && reason=${BASH_REMATCH[1]}
		md=${l##*\"metadata\":}
		md=${md%\}\}}
		reason=${reason//\'/\'\'}
		md=${md//\'/\'\'}
		printf -v stmt "INSERT INTO decision_history (ts, source, action, reason, metadata, created_at) VALUES (%s, '%s', '%s', '%s', '%s', %s);\n" \
		    "$ts" "$id" "$act" "$reason" "$md" "$ts"
		sql+=$stmt
	done <"$out"
	sqlite3 "$db" <<<"$sql"
}

# The decision object

@test "the full decision object, with every input the policy used" {
	make_conf
	mkrec b1 0.5 moderate 0.75
	in=$REC
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
	decisions <<<"$output"
	assert_equal "$res" \
"reject: drift severe: 'f3' drifted
retrain: f1 dropped 0.05 below the baseline, >= min_f1_gain 0.02
none: retrain cooldown: a retrain within the last 5 decisions
none: no rule matched"
	assert_equal "$stderr" ""

	# 0.8 - 0.65 is 0.15000000000000002: rollback; 0.95 - 0.8 is
	# 0.1499999999999999: retrain only.
	mkrec b1 0.65
	run_split mm-decide --baseline-f1 0.8 <<<"$REC"
	decisions <<<"$output"
	assert_equal "$res" \
	    "rollback: f1 dropped 0.15 below the baseline, >= max_f1_drop 0.15"
	mkrec b1 0.8
	run_split mm-decide --baseline-f1 0.95 <<<"$REC"
	decisions <<<"$output"
	assert_equal "$res" \
	    "retrain: f1 dropped 0.15 below the baseline, >= min_f1_gain 0.02"
	# 0.82 - 0.8 is 0.019999999999999907: none.
	mkrec b1 0.8
	run_split mm-decide --baseline-f1 0.82 <<<"$REC"
	decisions <<<"$output"
	assert_equal "$res" "none: no rule matched"
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
	decisions <<<"$output"
	assert_equal "$res" \
"reject: drift severe: 'f3' drifted
reject: drift severe: 'f3' drifted (+2 more)
reject: drift severe
reject: drift severe
reject: drift severe"
	each_match '"drift_status":[^,]*,"drifted":(null|\[[^]]*\])' <<<"$output"
	assert_equal "$res" \
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
	decisions <<<"$output"
	assert_equal "$res" \
"none: no rule matched
none: no rule matched
retrain: f1 dropped 0.05 below the baseline, >= min_f1_gain 0.02
rollback: f1 dropped 0.45 below the baseline, >= max_f1_drop 0.15"
	meta drift_status <<<"$output"
	words "${got[@]}"
	assert_equal "$res" '"moderate" "stable" "moderate" "moderate" '
	assert_equal "$stderr" ""
}

@test "a drift without a status gives rule 1 nothing, however large" {
	printf '%s\n' '{"batch_id":"b1","drift":{"drift_score":7.5}}' \
	    '{"batch_id":"b2","drift":{"drift_score":7.5,"status":null,"drifted":["f3"]}}' \
	    '{"batch_id":"b3","drift":null}' >in.ndjson
	run_split mm-decide in.ndjson
	assert_success
	decisions <<<"$output"
	distinct "${got[@]}"
	assert_equal "$res" "none: no rule matched"
	meta drift_status <<<"$output"
	words "${got[@]}"
	assert_equal "$res" "null null null "
	meta drift_score <<<"$output"
	words "${got[@]}"
	assert_equal "$res" "7.5 7.5 null "
	assert_equal "$stderr" ""
}

@test "thresholds from retrain.yaml of --config, MM_CONFIG or ./config" {
	make_conf
	mkrec b1 0.625
	in=$REC
	want="retrain: f1 dropped 0.125 below the baseline, >= min_f1_gain 0.125"
	run_split mm-decide --config conf --baseline-f1 0.75 <<<"$in"
	assert_success
	decisions <<<"$output"
	assert_equal "$res" "$want"
	each_match '"policy":\{[^}]*\}' <<<"$output"
	assert_equal "$res" \
	    "\"policy\":$CPOLICY"
	assert_equal "$stderr" ""

	MM_CONFIG=conf run_split mm-decide --baseline-f1 0.75 <<<"$in"
	decisions <<<"$output"
	assert_equal "$res" "$want"

	mv conf config
	run_split mm-decide --baseline-f1 0.75 <<<"$in"
	decisions <<<"$output"
	assert_equal "$res" "$want"

	# Without any, the defaults: min_f1_gain 0.02.
	rm -r config
	run_split mm-decide --baseline-f1 0.75 <<<"$in"
	decisions <<<"$output"
	assert_equal "$res" \
	    "retrain: f1 dropped 0.125 below the baseline, >= min_f1_gain 0.02"
}

@test "psi_threshold in retrain.yaml loads with a warning and is not used" {
	make_conf
	printf 'psi_threshold: 0.01\n' >>conf/retrain.yaml
	{ rec b1 0.75 moderate; rec b2 0.75 severe; } >in.ndjson
	run_split mm-decide --config conf --baseline-f1 0.75 in.ndjson
	assert_success
	decisions <<<"$output"
	assert_equal "$res" \
"none: no rule matched
reject: drift severe: 'f3' drifted"
	# Nor is it written: the policy does not use it.
	each_match '"policy":\{[^}]*\}' <<<"$output"
	distinct "${got[@]}"
	assert_equal "$res" \
	    "\"policy\":$CPOLICY"
	assert_equal "$stderr" "mm-decide: conf/retrain.yaml:5: 'psi_threshold' is ignored: the policy rejects on drift.status severe (deprecated)"
}

@test "a bad retrain.yaml is an error naming file, line and key" {
	mkdir conf
	printf 'max_f1_drop: 0.2\npsi: 1\n' >conf/retrain.yaml
	mkrec b1 0.5
	run_split mm-decide --config conf <<<"$REC"
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
	decisions <<<"$output"
	assert_equal "$res" \
"retrain: f1 dropped 0.125 below the baseline, >= min_f1_gain 0.125
none: retrain cooldown: a retrain within the last 3 decisions
none: retrain cooldown: a retrain within the last 3 decisions
none: retrain cooldown: a retrain within the last 3 decisions
retrain: f1 dropped 0.125 below the baseline, >= min_f1_gain 0.125
none: retrain cooldown: a retrain within the last 3 decisions"
	# recent: the last max(cooldown_batches, min_stable_batches).
	each_match '"recent":\[[^]]*\]' <<<"$output"
	assert_equal "$res" \
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
	decisions <<<"$output"
	assert_equal "$res" \
"none: no rule matched
none: no rule matched
none: no rule matched
none: no rule matched
none: no rule matched
promote: candidate staged and the last 5 decisions were none
none: no rule matched"
	meta staged <<<"$output"
	distinct "${got[@]}"
	assert_equal "$res" true
	assert_equal "$stderr" ""

	# Not staged: never.
	run_split mm-decide --baseline-f1 0.9 in.ndjson
	decisions <<<"$output"
	distinct "${got[@]}"
	assert_equal "$res" "none: no rule matched"

	# Any other action resets the count.
	{
		rec b1 0.9; rec b2 0.9; rec b3 0.9; rec b4 0.9
		rec b5 0.9 severe
		rec b6 0.9; rec b7 0.9; rec b8 0.9; rec b9 0.9; rec b10 0.9
	} >in.ndjson
	run_split mm-decide --baseline-f1 0.9 --staged in.ndjson
	decisions <<<"$output"
	words "${got[@]%%:*}"
	assert_equal "$res" \
	    "none none none none reject none none none none none "
	IFS= read -r -d '' all <in.ndjson || true
	{ printf '%s' "$all"; rec b11 0.9; } >in2.ndjson
	run_split mm-decide --baseline-f1 0.9 --staged in2.ndjson
	decisions <<<"$output"
	assert_equal "${got[-1]}" \
	    "promote: candidate staged and the last 5 decisions were none"
}

@test "several files are one stream: the state carries over" {
	rec b1 0.5 >a.ndjson
	rec b2 0.85 >b.ndjson
	mkrec b9 0.9
	run_split mm-decide --baseline-f1 0.9 a.ndjson - b.ndjson <<<"$REC"
	assert_success
	decisions <<<"$output"
	assert_equal "$res" \
"rollback: f1 dropped 0.4 below the baseline, >= max_f1_drop 0.15
none: no rule matched
retrain: f1 dropped 0.05 below the baseline, >= min_f1_gain 0.02"
	each_match '"batch_id":"b[0-9]"' <<<"$output"
	words "${got[@]}"
	assert_equal "$res" '"batch_id":"b1" "batch_id":"b9" "batch_id":"b2" '
}

@test "rules 2 and 3 are skipped without f1 or without a baseline" {
	printf '%s\n' '{"batch_id":"b1","metrics":{"f1":null},"drift":{"drift_score":0.1}}' \
	    '{"batch_id":"b2","metrics":{"accuracy":0.1}}' >in.ndjson
	run_split mm-decide --baseline-f1 1 in.ndjson
	assert_success
	decisions <<<"$output"
	assert_equal "$res" \
"none: no rule matched
none: no rule matched"
	meta f1 <<<"$output"
	words "${got[@]}"
	assert_equal "$res" "null null "

	mkrec b1 0
	run_split mm-decide <<<"$REC"
	assert_success
	decisions <<<"$output"
	assert_equal "$res" "none: no rule matched"
	meta baseline_f1 <<<"$output"
	assert_equal "$res" null
}

# The model store

@test "--models: baseline from active.json, staged from candidate.json" {
	make_store
	mkrec b1 0.5
	run_split mm-decide --models m <<<"$REC"
	assert_success
	meta baseline_f1 <<<"$output"
	assert_equal "$res" "$BASELINE"
	meta staged <<<"$output"
	assert_equal "$res" false
	meta model_version <<<"$output"
	assert_equal "$res" "\"$ACTIVE\""
	meta has_previous <<<"$output"
	assert_equal "$res" false
	# A collapse with no previous version to roll back to: retrain.
	decisions <<<"$output"
	joined "${got[@]%%:*}"
	assert_equal "$res" retrain
	assert_equal "$stderr" ""

	mm-train --synthetic --rows 300 --models m --config C \
	    --now 1764140100 --stage >/dev/null
	for i in 1 2 3 4 5 6; do rec b$i "$BASELINE"; done >in.ndjson
	run_split mm-decide --models m in.ndjson
	assert_success
	meta staged <<<"$output"
	distinct "${got[@]}"
	assert_equal "$res" true
	# model_version is the live version, not the candidate.
	meta model_version <<<"$output"
	distinct "${got[@]}"
	assert_equal "$res" \
	    "\"$ACTIVE\""
	decisions <<<"$output"
	assert_equal "${got[-1]}" \
	    "promote: candidate staged and the last 5 decisions were none"
	assert_equal "$stderr" ""
}

# wait_lines FILE N TRIES PAUSE: true once FILE has N lines, as wc -l
# counts them, looked at TRIES times PAUSE seconds apart.  Without wc(1)
# and sleep(1), a process each a look: the file is read, and the pause
# is a read that times out on a pipe nobody writes to.
wait_lines() {
	local s i fd

	exec {fd}<> <(:)
	for ((i = 0; i < $3; i++)); do
		s=
		IFS= read -r -d '' s <"$1" || true
		s=${s//[!$'\n']/}
		if ((${#s} >= $2)); then
			exec {fd}<&-
			return 0
		fi
		read -r -t "$4" -u "$fd" _ || true
	done
	exec {fd}<&-
	return 1
}

@test "--models in a live stream: a candidate staged, then promoted, is seen by the next record" {
	make_store
	mkfifo in
	mm-decide --models m <in >out 2>err &
	pid=$!
	exec 5>in
	# Wait for record n of out.
	upto() {
		wait_lines out "$1" 200 0.05
	}
	rec b1 "$BASELINE" >&5
	upto 1
	mm-train --synthetic --rows 300 --models m --config C \
	    --now 1764140100 --stage >/dev/null
	cand=$(<m/candidate.json)
	[[ $cand =~ ^\{\"version\":\"([^\"]*)\" ]] && cand=${BASH_REMATCH[1]}
	rec b2 "$BASELINE" >&5
	upto 2
	mm-models --models m --now 1764140200 promote >/dev/null
	rec b3 "$BASELINE" >&5
	exec 5>&-
	wait $pid
	meta staged <out
	words "${got[@]}"
	assert_equal "$res" "false true false "
	meta model_version <out
	words "${got[@]}"
	assert_equal "$res" \
	    "\"$ACTIVE\" \"$ACTIVE\" \"$cand\" "
	meta has_previous <out
	words "${got[@]}"
	assert_equal "$res" "false false true "
	assert_equal "$(<err)" ""
}

@test "--baseline-f1 and --staged win over the store" {
	make_store
	mkrec b1 0.5
	run_split mm-decide --models m --baseline-f1 0.5 --staged \
	    <<<"$REC"
	assert_success
	meta baseline_f1 <<<"$output"
	assert_equal "$res" 0.5
	meta staged <<<"$output"
	assert_equal "$res" true
	meta model_version <<<"$output"
	assert_equal "$res" "\"$ACTIVE\""
	decisions <<<"$output"
	assert_equal "$res" "none: no rule matched"
	assert_equal "$stderr" ""
}

@test "./models and \$MM_MODELS are used when present" {
	make_store stage
	mkrec b1 0.5
	run_split mm-decide <<<"$REC"
	meta model_version <<<"$output"
	assert_equal "$res" null
	mkrec b1 0.5
	MM_MODELS=m run_split mm-decide <<<"$REC"
	assert_success
	meta model_version <<<"$output"
	assert_equal "$res" "\"$ACTIVE\""
	meta staged <<<"$output"
	assert_equal "$res" true
	mv m models
	mkrec b1 0.5
	run_split mm-decide <<<"$REC"
	assert_success
	meta model_version <<<"$output"
	assert_equal "$res" "\"$ACTIVE\""
	meta baseline_f1 <<<"$output"
	assert_equal "$res" "$BASELINE"
	assert_equal "$stderr" ""
}

@test "--baseline-f1 out of range is a usage error" {
	mkrec b1 0.5
	run_split mm-decide --baseline-f1 1.5 <<<"$REC"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" \
	    "mm-decide: --baseline-f1: '1.5' is not a number from 0 to 1"
}

# The database

@test "--db seeds the recent actions from decision_history" {
	make_conf
	make_db h.db none retrain
	mkrec b1 0.625
	run_split mm-decide --config conf --db h.db --baseline-f1 0.75 \
	    <<<"$REC"
	assert_success
	decisions <<<"$output"
	assert_equal "$res" \
	    "none: retrain cooldown: a retrain within the last 3 decisions"
	each_match '"recent":\[[^]]*\]' <<<"$output"
	assert_equal "$res" '"recent":["none","retrain"]'
	assert_equal "$stderr" ""

	# The newest rows count: the retrain is three decisions old.
	make_db h2.db retrain none none none
	mkrec b1 0.625
	run_split mm-decide --config conf --db h2.db --baseline-f1 0.75 \
	    <<<"$REC"
	decisions <<<"$output"
	assert_equal "$res" \
	    "retrain: f1 dropped 0.125 below the baseline, >= min_f1_gain 0.125"
	each_match '"recent":\[[^]]*\]' <<<"$output"
	assert_equal "$res" '"recent":["none","none","none"]'

	# Two nones in the database: a staged candidate is promoted at once.
	make_db h3.db reject none none
	mkrec b1 0.625
	run_split mm-decide --config conf --db h3.db --staged \
	    <<<"$REC"
	decisions <<<"$output"
	assert_equal "$res" \
	    "promote: candidate staged and the last 2 decisions were none"
	# mm-decide only reads the database.
	assert_equal "$(sqlite3 h3.db 'SELECT count(*) FROM decision_history')" 3
}

@test "the default database and \$MM_DB are used when present" {
	make_conf
	mkdir -p data/metrics
	make_db data/metrics/metrics.db retrain
	mkrec b1 0.625
	run_split mm-decide --config conf --baseline-f1 0.75 <<<"$REC"
	assert_success
	decisions <<<"$output"
	assert_equal "$res" \
	    "none: retrain cooldown: a retrain within the last 3 decisions"
	assert_equal "$stderr" ""

	mv data/metrics/metrics.db other.db
	rm -r data
	mkrec b1 0.625
	run_split mm-decide --config conf --baseline-f1 0.75 <<<"$REC"
	decisions <<<"$output"
	joined "${got[@]%%:*}"
	assert_equal "$res" retrain
	[ ! -e data ]
	mkrec b1 0.625
	MM_DB=other.db run_split mm-decide --config conf --baseline-f1 0.75 \
	    <<<"$REC"
	decisions <<<"$output"
	joined "${got[@]%%:*}"
	assert_equal "$res" none
}

# --fail-on

@test "--fail-on reject,rollback exits 1 after writing every record" {
	{ rec b1 0.9; rec b2 0.9 severe; rec b3 0.9; } >in.ndjson
	run_split mm-decide --baseline-f1 0.9 --fail-on reject,rollback in.ndjson
	assert_failure 1
	assert_output "$(mm-decide --baseline-f1 0.9 in.ndjson)"
	mapfile -t all <<<"$output"
	[ "${#all[@]}" -eq 3 ]
	assert_equal "$stderr" ""

	run_split mm-decide --baseline-f1 0.5 --fail-on reject,rollback in.ndjson
	assert_failure 1
	run_split mm-decide --baseline-f1 0.9 --fail-on rollback,promote in.ndjson
	assert_success
	assert_equal "$stderr" ""
	mkrec b1 0.9
	run_split mm-decide --baseline-f1 0.9 --fail-on none <<<"$REC"
	assert_failure 1
}

@test "--fail-on with an unknown action is a usage error" {
	mkrec b1 0.9
	run_split mm-decide --fail-on reject,cooldown <<<"$REC"
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
	mkrec b1 0.9
	assert_output "$(mm-decide --baseline-f1 0.9 <<<"$REC")"
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
	mkrec b1 1.5
	bad "$REC" "f1 1.5 is out of range [0, 1]"
	mkrec b1 1.0000000000000002
	bad "$REC" \
	    "f1 1.0000000000000002 is out of range [0, 1]"
	mkrec b1 -0.25
	bad "$REC" "f1 -0.25 is out of range [0, 1]"
	bad '{"batch_id":"b1","drift":{"drift_score":-0.001,"status":"stable"}}' \
	    "drift_score -0.001 is out of range [0, inf]"
	mkrec b1 0.5 stable 2
	bad "$REC" "trust 2 is out of range [0, 1]"
	bad '{"batch_id":"b1","drift":{"drift_score":true}}' \
	    "'drift.drift_score' is not a number"
	bad '{"batch_id":"b1","trust":{"score":[0.5]}}' \
	    "'trust.score' is not a number"
	bad '{"batch_id":"b1","metrics":"f1"}' "'metrics' is not an object"
	bad '{"batch_id":"b1","metrics":{"f1":0.5,"f1":0.6}}' \
	    "'metrics': field 'f1' appears twice"
	bad '{"batch_id":"b1","metrics":{"f1":1e400}}' \
	    "'metrics.f1' is out of range"
	bad '{"batch_id":"b1","metrics":{"f1":"0.5"}}' \
	    "'metrics.f1' is not a number"
	bad '{"batch_id":"b1","trust":[]}' "'trust' is not an object"
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
	mkrec b1 1 stable 1
	run_split mm-decide <<<"$REC"
	assert_success
	mkrec b1 0 stable 0
	run_split mm-decide <<<"$REC"
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
	each_match '"batch_id":"b[0-9]"' <<<"$output"
	words "${got[@]}"
	assert_equal "$res" \
	    '"batch_id":"b1" "batch_id":"b4" "batch_id":"b5" "batch_id":"b6" '
	# Three decisions since the retrain, not five.
	decisions <<<"$output"
	words "${got[@]%%:*}"
	assert_equal "$res" "retrain none none none "
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
	meta f1_sustained <<<"$output"
	words "${got[@]}"
	assert_equal "$res" \
	    "0.75 0.6875 0.6666666666666666 0.625 0.5833333333333334 "
	decisions <<<"$output"
	assert_equal "$res" \
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
	meta f1_sustained <<<"$output"
	words "${got[@]}"
	assert_equal "$res" "0.75 null 0.625 0.625 "
	assert_equal "$stderr" "mm-decide: skipped 1 bad record"
}

# Confusion counts: rules 2 and 3 on an upper bound of F1

GOOD='[[30,2],[4,28]]'		# F1 0.903 on 64 rows: bound 0.97
SWAP='[[0,32],[32,0]]'		# labels swapped: F1 0, bound 0.19
POOR='[[22,10],[8,24]]'		# F1 0.727 on 64 rows: bound 0.85

# mkcrec ID COUNTS [VERSION [STATUS]]: a batch record with confusion
# counts (and an F1 the counts overrule), served by VERSION, in $REC;
# crec prints it.
mkcrec() {
	local v=
	[ -n "${3:-}" ] && v=",\"model_version\":\"$3\""
	drift "${4:-stable}"
	printf -v REC '{"batch_id":"%s","ts":%s,"metrics":{"f1":1,"confusion":%s%s},"drift":%s}' \
	    "$1" "${1#b}" "$2" "$v" "$DRIFT"
}

crec() {
	mkcrec "$@"
	printf '%s\n' "$REC"
}

# The value of one metadata key of each input line, arrays included.
md() {
	local l all

	mapfile -t all
	got=()
	for l in "${all[@]}"; do
		grep_o "\"$1\":(null|\\[[][0-9,]*\\]|[^,}]*)" \
		    "${l##*\"metadata\":}"
		got+=("${matched[@]}")
	done
	got=("${got[@]#\"$1\":}")
	joined "${got[@]}"
}

# Each line of TEXT with the bound in its reason made U, in got and
# $res (sed 's/bound [0-9.e-]* on/bound U on/').
bound_u() {
	local re='bound [0-9.e-]* on' i

	mapfile -t got <<<"$1"
	for i in "${!got[@]}"; do
		if [[ ${got[i]} =~ $re ]]; then
			got[i]=${got[i]/"${BASH_REMATCH[0]}"/bound U on}
		fi
	done
	joined "${got[@]}"
}

# True if the reason's bound is the metadata's, to four digits.
bound_in_reason() {
	local l=$1 key=$2 want bound
	local re='^.*"reason":"f1 upper bound ([0-9.e-]*) on .*$'

	md "$key" <<<"$l"
	printf -v want '%.4g' "$res"
	bound=$l
	[[ $l =~ $re ]] && bound=${BASH_REMATCH[1]}
	[ "$bound" = "$want" ] || { echo "reason has $bound, $key $want"; return 1; }
}

@test "counts: the batch's and the pool's F1 bounds in the metadata" {
	mkcrec b1 "$GOOD"
	in=$REC
	run_split mm-decide --baseline-f1 0.95 <<<"$in"
	assert_success
	decisions <<<"$output"
	assert_equal "$res" "none: no rule matched"
	md f1_upper <<<"$output"
	u=$res
	# F1 0.903 (56 / 62); the pool is this batch.
	assert_output "${in%\}},\"decision\":{\"action\":\"none\",\"reason\":\"no rule matched\",\"metadata\":{\"drift_score\":0.0625,\"drift_status\":\"stable\",\"drifted\":[],\"f1\":1,\"f1_sustained\":null,\"confusion\":$GOOD,\"pooled\":$GOOD,\"rows\":64,\"f1_upper\":$u,\"pooled_rows\":64,\"pooled_f1\":0.9032258064516129,\"pooled_upper\":$u,\"trust\":null,\"baseline_f1\":0.95,\"staged\":false,\"model_version\":null,\"recent\":[],\"policy\":$POLICY}}}"
	# The bound is above the F1 and below 1, and the same every run.
	awk -v u="$u" 'BEGIN { exit !(u > 0.9032258064516129 && u < 1) }'
	assert_equal "$(mm-decide --baseline-f1 0.95 <<<"$in")" "$output"
	assert_equal "$stderr" ""

	# Without a baseline nothing is judged, but the bounds are kept.
	run_split mm-decide <<<"$in"
	decisions <<<"$output"
	assert_equal "$res" "none: no rule matched"
	md f1_upper <<<"$output"
	assert_equal "$res" "$u"
	# Without counts the metadata has none of these keys.
	mkrec b1 0.9
	run_split mm-decide --baseline-f1 0.95 <<<"$REC"
	refute_output --partial '"confusion"'
	refute_output --partial '"pooled'
}

@test "counts: a collapse rolls back in one batch; a noisy batch is not acted on" {
	{ crec b1 "$SWAP"; crec b2 "$GOOD"; } >in.ndjson
	run_split mm-decide --baseline-f1 0.95 in.ndjson
	assert_success
	decisions <<<"$output"
	bound_u "$res"
	assert_equal "$res" \
"rollback: f1 upper bound U on 64 rows is below baseline 0.95 - max_f1_drop 0.15
retrain: f1 upper bound U on 128 recent rows is below baseline 0.95 - min_f1_gain 0.02"
	bound_in_reason "${output%%$'\n'*}" f1_upper
	md f1_upper <<<"$output"
	awk -v u="${got[0]}" \
	    'BEGIN { exit !(u < 0.25) }'
	# Without a store the version does not change: the collapsed batch
	# stays in the pool, and a good batch after it retrains.
	md pooled_rows <<<"$output"
	words "${got[@]}"
	assert_equal "$res" "64 128 "
	md pooled <<<"$output"
	assert_equal "${got[-1]}" '[[30,34],[36,28]]'
	assert_equal "$stderr" ""

	# F1 0.903, 0.047 below the baseline: noise at 64 rows.  The
	# point rule on the same F1 retrains.
	mkcrec b1 "$GOOD"
	run_split mm-decide --baseline-f1 0.95 <<<"$REC"
	decisions <<<"$output"
	assert_equal "$res" "none: no rule matched"
	mkrec b1 0.9032258064516129
	run_split mm-decide --baseline-f1 0.95 <<<"$REC"
	decisions <<<"$output"
	joined "${got[@]%%:*}"
	assert_equal "$res" retrain

	# F1 0.727: too few rows to roll back on (bound 0.85 > 0.8), enough
	# to be sure it is below 0.93.  The point rule rolls back.
	mkcrec b1 "$POOR"
	run_split mm-decide --baseline-f1 0.95 <<<"$REC"
	decisions <<<"$output"
	bound_u "$res"
	assert_equal "$res" \
	    "retrain: f1 upper bound U on 64 recent rows is below baseline 0.95 - min_f1_gain 0.02"
	bound_in_reason "$output" pooled_upper
	mkrec b1 0.7272727272727273
	run_split mm-decide --baseline-f1 0.95 <<<"$REC"
	decisions <<<"$output"
	joined "${got[@]%%:*}"
	assert_equal "$res" rollback

	# Severe drift still comes first.
	mkcrec b1 "$SWAP" '' severe
	run_split mm-decide --baseline-f1 0.95 <<<"$REC"
	decisions <<<"$output"
	assert_equal "$res" "reject: drift severe: 'f3' drifted"
}

@test "counts: the pool sums the live version's batches, at most f1_window_rows" {
	make_conf
	echo 'f1_window_rows: 200' >>conf/retrain.yaml
	for i in 1 2 3 4 5; do crec b$i "$GOOD"; done >in.ndjson
	run_split mm-decide --config conf --baseline-f1 0.95 in.ndjson
	assert_success
	# 64, 128, 192; a fourth batch would make 256: the oldest goes.
	md pooled_rows <<<"$output"
	words "${got[@]}"
	assert_equal "$res" "64 128 192 192 192 "
	md pooled <<<"$output"
	words "${got[@]}"
	assert_equal "$res" \
	    "[[30,2],[4,28]] [[60,4],[8,56]] [[90,6],[12,84]] [[90,6],[12,84]] [[90,6],[12,84]] "
	md rows <<<"$output"
	distinct "${got[@]}"
	assert_equal "$res" 64
	each_match '"f1_window_rows":[0-9]*' <<<"$output"
	distinct "${got[@]}"
	assert_equal "$res" '"f1_window_rows":200'
	assert_equal "$stderr" ""

	# A batch larger than the cap is pooled alone.
	conf=$(<conf/retrain.yaml)
	printf '%s\n' "${conf/f1_window_rows: 200/f1_window_rows: 50}" >conf/retrain.yaml
	run_split mm-decide --config conf --baseline-f1 0.95 in.ndjson
	assert_success
	md pooled_rows <<<"$output"
	distinct "${got[@]}"
	assert_equal "$res" 64
	md pooled <<<"$output"
	distinct "${got[@]}"
	assert_equal "$res" "$GOOD"

	# Batches of other sizes: the newest that fit in 200 rows.
	{
		crec b1 '[[50,0],[0,50]]'; crec b2 '[[20,0],[0,20]]'
		crec b3 '[[40,0],[0,40]]'; crec b4 '[[5,0],[0,5]]'
	} >in2.ndjson
	conf=$(<conf/retrain.yaml)
	printf '%s\n' "${conf/f1_window_rows: 50/f1_window_rows: 200}" >conf/retrain.yaml
	run_split mm-decide --config conf --baseline-f1 0.95 in2.ndjson
	md pooled_rows <<<"$output"
	words "${got[@]}"
	assert_equal "$res" "100 140 120 130 "

	# A change in the number of classes starts a new pool.
	{ crec b1 "$GOOD"; crec b2 '[[20,1,1],[1,20,1],[1,1,18]]'; } >in3.ndjson
	run_split mm-decide --config conf --baseline-f1 0.95 in3.ndjson
	assert_success
	md pooled_rows <<<"$output"
	words "${got[@]}"
	assert_equal "$res" "64 64 "
}

@test "counts: pooled rows prove a drop that no batch proves" {
	# Every batch F1 0.906, 0.044 below the baseline: no batch alone
	# proves it is below 0.93; a dozen or so pooled do.
	for ((i = 1; i <= 22; i++)); do crec b$i '[[29,3],[3,29]]'; done >in.ndjson
	run_split mm-decide --baseline-f1 0.95 in.ndjson
	assert_success
	# n: the line of the first retrain.
	mapfile -t all <<<"$output"
	decisions <<<"$output"
	n=
	for i in "${!got[@]}"; do
		if [[ ${got[i]} == retrain* ]]; then
			n=$((i + 1))
			break
		fi
	done
	[ "$n" -ge 10 ]
	[ "$n" -le 16 ]
	distinct "${got[@]:0:n-1}"
	assert_equal "$res" "none: no rule matched"
	bound_u "${got[n-1]}"
	assert_equal "$res" \
	    "retrain: f1 upper bound U on $((64 * n)) recent rows is below baseline 0.95 - min_f1_gain 0.02"
	bound_in_reason "${all[n-1]}" pooled_upper
	# The bound falls with the pool's rows below 0.93; the F1 stays.
	md pooled_upper <<<"$output"
	joined "${got[@]:0:n}"
	awk -v n="$n" '(($1 < 0.93) != (NR == n)) { exit 1 }' <<<"$res"
	md pooled_f1 <<<"$output"
	distinct "${got[@]}"
	assert_equal "$res" 0.90625
	# Then the cooldown, then the same evidence retrains again.
	decisions <<<"$output"
	distinct "${got[@]:n:5}"
	assert_equal "$res" \
	    "none: retrain cooldown: a retrain within the last 5 decisions"
	assert_equal "${got[n+5]%%:*}" retrain
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
	md pooled_rows <<<"$output"
	words "${got[@]}"
	assert_equal "$res" "64 0 128 "
	md pooled <<<"$output"
	assert_equal "${got[1]}" null
	md pooled_f1 <<<"$output"
	assert_equal "${got[1]}" null
	md pooled_upper <<<"$output"
	assert_equal "${got[1]}" null
	# Another version's collapse: nothing to roll back (no previous)
	# and no pool to retrain on.
	mkcrec b1 "$SWAP" other
	run_split mm-decide --models m <<<"$REC"
	decisions <<<"$output"
	assert_equal "$res" "none: no rule matched"
	md has_previous <<<"$output"
	assert_equal "$res" false
	mkcrec b1 "$SWAP" "$ACTIVE"
	run_split mm-decide --models m <<<"$REC"
	decisions <<<"$output"
	joined "${got[@]%%:*}"
	assert_equal "$res" retrain
	assert_equal "$stderr" ""

	# The live version changes while mm-decide runs: the pool starts
	# again from the new version's first batch.
	mkfifo fifo
	mm-decide --models m <fifo >out.ndjson &
	exec 7>fifo
	crec b1 "$GOOD" "$ACTIVE" >&7
	crec b2 "$GOOD" "$ACTIVE" >&7
	wait_lines out.ndjson 2 100 0.1 || true
	mm-models --models m --now 1764140200 promote >/dev/null
	crec b3 "$GOOD" "$ACTIVE" >&7
	crec b4 "$GOOD" "$NEW" >&7
	crec b5 "$SWAP" "$NEW" >&7
	exec 7>&-
	wait
	md model_version <out.ndjson
	words "${got[@]}"
	assert_equal "$res" \
	    "\"$ACTIVE\" \"$ACTIVE\" \"$NEW\" \"$NEW\" \"$NEW\" "
	md pooled_rows <out.ndjson
	words "${got[@]}"
	assert_equal "$res" "64 128 0 64 128 "
	# Now there is a version to roll back to.
	md has_previous <out.ndjson
	assert_equal "${got[-1]}" true
	decisions <out.ndjson
	assert_equal "${got[-1]%%:*}" rollback
}

@test "counts: --db seeds the pool with the live version's batches recorded before" {
	make_store
	{
		crec b1 "$GOOD" "$ACTIVE"; crec b2 "$GOOD" "$ACTIVE"
		crec b3 "$GOOD" other; crec b4 "$GOOD" "$ACTIVE"
		crec b5 '[[29,3],[3,29]]' "$ACTIVE"; crec b6 "$GOOD" "$ACTIVE"
	} >in.ndjson
	mm-record --db h.db in.ndjson >/dev/null
	mapfile -t recs <in.ndjson
	# b5 is judged with b1, b2 and b4: not another version's b3, nor
	# b6, recorded after it.
	run_split mm-decide --db h.db --models m <<<"${recs[4]}"
	assert_success
	md pooled <<<"$output"
	assert_equal "$res" '[[119,9],[15,113]]'
	md pooled_rows <<<"$output"
	assert_equal "$res" 256
	assert_equal "$stderr" ""
	# The run goes on from there: b6 adds to the seeded pool.
	run_split mm-decide --db h.db --models m <<<"${recs[4]}"$'\n'"${recs[5]}"
	md pooled_rows <<<"$output"
	words "${got[@]}"
	assert_equal "$res" "256 320 "
	# A batch not recorded is judged with every batch recorded.
	mkcrec b7 "$GOOD" "$ACTIVE"
	run_split mm-decide --db h.db --models m <<<"$REC"
	md pooled_rows <<<"$output"
	assert_equal "$res" 384
	# Seeded newest first, up to f1_window_rows.
	make_conf
	echo 'f1_window_rows: 150' >>conf/retrain.yaml
	run_split mm-decide --config conf --db h.db --models m \
	    <<<"${recs[4]}"
	md pooled <<<"$output"
	assert_equal "$res" '[[59,5],[7,57]]'
	# Without the database, the batch alone; a batch of another version
	# seeds nothing.
	run_split mm-decide --models m <<<"${recs[4]}"
	md pooled_rows <<<"$output"
	assert_equal "$res" 64
	run_split mm-decide --db h.db --models m <<<"${recs[2]}"
	md pooled <<<"$output"
	assert_equal "$res" null
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
	md pooled_rows <<<"$output"
	words "${got[@]}"
	assert_equal "$res" "64 640 128 640 0 "
	md rows <<<"$output"
	words "${got[@]}"
	assert_equal "$res" "64 640 64 640 640 "
	# F1 0.903 on 640 rows is below 0.93 beyond doubt.
	decisions <<<"$output"
	words "${got[@]%%:*}"
	assert_equal "$res" "none retrain none none none "
	decisions <<<"$output"
	assert_equal "${got[3]}" \
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
	decisions <<<"$output"
	assert_equal "$res" \
	    "rollback: f1 dropped 0.45 below the baseline, >= max_f1_drop 0.15"
	# An empty batch has counts but no rows: nothing to judge.
	run_split mm-decide --baseline-f1 0.95 <<<'{"batch_id":"b1","metrics":{"confusion":[[0,0],[0,0]]}}'
	assert_success
	decisions <<<"$output"
	assert_equal "$res" "none: no rule matched"
	md f1_upper <<<"$output"
	assert_equal "$res" null
	md rows <<<"$output"
	assert_equal "$res" 0
}

@test "--replay: decisions on counts replay the same; tampered counts are found" {
	make_db h.db
	{
		crec b1 "$GOOD"; crec b2 "$SWAP"; crec b3 "$POOR"
		crec b4 "$POOR"; crec b5 "$GOOD"
	} >in.ndjson
	mm-decide --baseline-f1 0.95 in.ndjson >out.ndjson
	decisions <out.ndjson
	words "${got[@]%%:*}"
	assert_equal "$res" "none rollback retrain none none "
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
	sqlite3 h.db "UPDATE decision_history SET metadata = replace(metadata, '\"confusion\":$SWAP', '\"confusion\":$GOOD') WHERE id = 2;
	    UPDATE decision_history SET metadata = replace(metadata, '\"pooled\":[[', '\"pooled\":null,\"x\":[[') WHERE id = 3;
	    UPDATE decision_history SET metadata = replace(metadata, '\"alpha_f1\":0.01', '\"alpha_f1\":0.5') WHERE id = 1"
	run_split mm-decide --replay --db h.db
	assert_failure 1
	bound_u "$output"
	assert_equal "$res" \
'{"id":1,"ts":1,"source":"b1","stored":"none","recomputed":"retrain","reason":"f1 upper bound U on 64 recent rows is below baseline 0.95 - min_f1_gain 0.02"}
{"id":2,"ts":2,"source":"b2","stored":"rollback","recomputed":"retrain","reason":"f1 upper bound U on 128 recent rows is below baseline 0.95 - min_f1_gain 0.02"}
{"id":3,"ts":3,"source":"b3","stored":"retrain","recomputed":"none","reason":"no rule matched"}'
	assert_equal "$stderr" "mm-decide: replayed 5 decisions, 3 differ"

	# Counts without their level, or a pool of another size: incomplete.
	sqlite3 h.db "UPDATE decision_history SET metadata = replace(metadata, '\"alpha_f1\":0.01,', '') WHERE id = 4;
	    UPDATE decision_history SET metadata = replace(metadata, '\"pooled\":[[', '\"pooled\":[[1,1,1],[1,1,1],[1,1,1]],\"x\":[[') WHERE id = 5"
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
	decisions <out.ndjson
	words "${got[@]%%:*}"
	assert_equal "$res" \
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
# drift_score >= policy.psi_threshold.  old_meta DRIFT_SCORE
# PSI_THRESHOLD: that metadata in $OLD_META.
old_meta() {
	printf -v OLD_META '{"drift_score":%s,"f1":0.9,"f1_sustained":null,"trust":0.9,"baseline_f1":0.9,"staged":false,"model_version":null,"recent":[],"policy":{"psi_threshold":%s,"max_f1_drop":0.15,"min_f1_gain":0.02,"cooldown_batches":5,"min_stable_batches":5}}' "$1" "$2"
}

# old_row TS ACTION DRIFT_SCORE PSI_THRESHOLD: the INSERT of that
# decision added to $old_rows, for one sqlite3 to run them all.
old_row() {
	old_meta "$3" "$4"
	old_rows+="INSERT INTO decision_history (ts, source, action, reason, metadata, created_at) VALUES ($1, 'b$1', '$2', 'old', '$OLD_META', $1);"
}

@test "--replay: decisions of an older mm replay by their own rule 1" {
	make_db h.db
	old_rows=
	old_row 1 reject 0.2 0.2
	old_row 2 none 0.19999999999999998 0.2
	old_row 3 reject 0.3 0.25
	old_row 4 none 0.1 0.25
	sqlite3 h.db "$old_rows"
	run_split mm-decide --replay --db h.db
	assert_success
	assert_output ""
	assert_equal "$stderr" "mm-decide: replayed 4 decisions, 0 differ"

	# A tampered one is found, with the old rule's reason.
	sqlite3 h.db "UPDATE decision_history SET action = 'none' WHERE id = 3;
	    UPDATE decision_history SET action = 'reject' WHERE id = 4"
	run_split mm-decide --replay --db h.db
	assert_failure 1
	assert_output '{"id":3,"ts":3,"source":"b3","stored":"none","recomputed":"reject","reason":"drift_score 0.3 >= psi_threshold 0.25"}
{"id":4,"ts":4,"source":"b4","stored":"reject","recomputed":"none","reason":"no rule matched"}'
	assert_equal "$stderr" "mm-decide: replayed 4 decisions, 2 differ"

	# Without drift_status, psi_threshold is needed.
	old_meta 0.1 0.2
	sqlite3 h.db "INSERT INTO decision_history (ts, source, action, reason, metadata, created_at) VALUES (5, 'b5', 'none', 'r', '${OLD_META/\"psi_threshold\":0.2,/}', 5)"
	run_split mm-decide --replay --db h.db --from 5
	assert_failure 1
	assert_output '{"id":5,"ts":5,"source":"b5","stored":"none","error":"metadata is incomplete"}'
}

@test "--replay: new decisions replay by drift.status, old and new mixed" {
	make_db h.db
	old_rows=
	old_row 1 reject 0.3 0.2
	old_row 2 none 0.1 0.2
	sqlite3 h.db "$old_rows"
	{
		rec b3 0.9 severe; rec b4 0.9 moderate; rec b5 0.9
		printf '{"batch_id":"b6","ts":6,"drift":{"drift_score":9,"status":"severe","drifted":["f3","f1"]}}\n'
		printf '{"batch_id":"b7","ts":7,"drift":{"drift_score":9}}\n'
	} >in.ndjson
	mm-decide --baseline-f1 0.9 in.ndjson >out.ndjson
	decisions <out.ndjson
	assert_equal "$res" \
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
	sqlite3 h.db "UPDATE decision_history SET metadata = replace(metadata, '\"drift_status\":\"moderate\"', '\"drift_status\":\"severe\"') WHERE id = 4;
	    UPDATE decision_history SET metadata = replace(metadata, '\"drift_status\":\"severe\"', '\"drift_status\":\"stable\"') WHERE id = 6;
	    UPDATE decision_history SET metadata = replace(metadata, '\"drift_status\":null', '\"drift_status\":\"bad\"') WHERE id = 7"
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
	mapfile -t all <<<"$output"
	joined "${all[@]:0:3}"
	assert_equal "$res" \
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
	decisions <<<"$output"
	words "${got[@]%%:*}"
	assert_equal "$res" "none reject none "
	md pooled_rows <<<"$output"
	words "${got[@]}"
	assert_equal "$res" "64 64 128 "
	md pooled <<<"$output"
	assert_equal "${got[-1]}" '[[60,4],[8,56]]'
	assert_equal "$stderr" ""
}

@test "counts: without a model store the pool follows the records' version" {
	{ crec b1 "$GOOD" v1; crec b2 "$GOOD" v1; crec b3 "$GOOD" v2; } \
	    >in.ndjson
	run_split mm-decide --baseline-f1 0.95 --models nowhere in.ndjson
	assert_success
	md pooled_rows <<<"$output"
	words "${got[@]}"
	assert_equal "$res" "64 128 64 "
}

@test "with --db each decision carries its evidence horizon" {
	mm-train --synthetic --rows 500 --models m --now 1764140000 >/dev/null
	mm-gen --batches 3 --batch-size 64 | mm-predict --models m |
	    mm-record --db d.db >rec.ndjson
	# Recording ran ahead: all 192 rows are in; each decision's horizon
	# is where the evidence stood with its own batch.
	run_split mm-decide --db d.db --models m rec.ndjson
	assert_success
	each_match '"evidence_horizon":[0-9]*' <<<"$output"
	words "${got[@]}"
	assert_equal "$res" \
	    '"evidence_horizon":64 "evidence_horizon":128 "evidence_horizon":192 '
	# A batch never recorded, or no database: no horizon.
	run_split mm-decide --models m rec.ndjson
	refute_output --partial evidence_horizon
	mapfile -t recs <rec.ndjson
	printf -v unrecorded '%s\n' "${recs[@]/\"b00000/\"x00000}"
	run_split mm-decide --db d.db --models m <<<"${unrecorded%$'\n'}"
	refute_output --partial evidence_horizon
}
