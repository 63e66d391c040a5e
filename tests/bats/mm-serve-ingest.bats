#!/usr/bin/env bats
# mm-serve's POST /api/ingest and POST /api/decisions/simulate: the same
# records, rows and decisions as the pipe, each batch stored once, a
# request stored whole or not at all, pages that stay the same while
# batches come in.

bats_require_minimum_version 1.5.0
load helper
load serve_helper

T0=1764140000
KEY=s3cret-key

# A store with a live version; batches of 64 labelled rows.
setup_file() {
	local d=$BATS_FILE_TMPDIR

	mkdir -p "$d/cfg"
	echo 'n_estimators: 10' >"$d/cfg/model.yaml"
	mm-train --synthetic --rows 600 --models "$d/m" --config "$d/cfg" \
	    --now $T0 >/dev/null
	mm-gen --batches 6 --batch-size 64 --seed 3 >"$d/b.ndjson"
}

fresh() {
	cp -a "$BATS_FILE_TMPDIR/m" m
	cp -r "$BATS_FILE_TMPDIR/cfg" cfg
}

# ingest FILE: POST it with the key; "STATUS BODY" as get says.
ingest() {
	get /api/ingest -H "Authorization: Bearer $KEY" --data-binary @"$1"
}

q() {
	sqlite3 "$1" "$2"
}

@test "ingest: the records, rows and decisions of mm-predict | mm-psi | mm-trust | mm-record | mm-decide" {
	fresh
	# Fields of the caller's pass through; ones the stages set are set
	# in place, as each program does.
	jq -c 'if .batch_id == "b000001" then {trust: 1, note: "x", drift: null} + . else . end' \
	    "$BATS_FILE_TMPDIR/b.ndjson" >in.ndjson
	mm-predict --models m <in.ndjson |
	    mm-psi --models m --config cfg | mm-trust --config cfg |
	    mm-record --db p.db --config cfg |
	    mm-decide --db p.db --models m --config cfg >pipe.out
	mm-exec --db p.db --models m --config cfg <pipe.out >/dev/null
	MM_API_KEY=$KEY serve --db s.db --models m --config cfg
	run ingest in.ndjson
	[ "${output%% *}" = 200 ]
	assert_equal "$(sed -n 2p body | cut -c1-20)" '{"trust":{"score":0.'
	# Each record as the pipe passes it on, with "stored"; latency_ms
	# is measured again, and so differs.
	assert_equal "$(wc -l <body)" 6
	assert_equal "$(jq -r .stored body | sort | uniq -c | tr -s ' ')" ' 6 new'
	jq -c 'del(.metrics.latency_ms, .stored)' body >served
	jq -c 'del(.metrics.latency_ms)' pipe.out >piped
	cmp served piped
	# The same rows stored: metrics, counts and evidence.
	for t in "batch_id, n_samples, accuracy, f1, drift_score, drift_status, trust_score, confusion, drift FROM metrics" \
	    "batch_id, ref, n, counts FROM drift_counts" \
	    "batch_id, row_index, names, hex(features), label FROM evidence"; do
		assert_equal "$(q s.db "SELECT $t ORDER BY 1, 2")" "$(q p.db "SELECT $t ORDER BY 1, 2")"
	done
	assert_equal "$(q s.db 'SELECT count(*) FROM evidence')" 384
	# Decisions recorded with their inputs, as mm-exec records them,
	# but not carried out: no exec_status.
	assert_equal "$(q s.db 'SELECT source, action, metadata FROM decision_history ORDER BY id')" \
	    "$(q p.db 'SELECT source, action, metadata FROM decision_history ORDER BY id')"
	assert_equal "$(q s.db "SELECT count(*), count(exec_status), min(exec_detail) FROM decision_history")" \
	    "6|0|decided on ingest by mm-serve; not carried out (mm-exec carries out decisions)"
	# mm-decide --replay recomputes what the service decided.
	run mm-decide --replay --db s.db
	assert_success
	assert_output 'mm-decide: replayed 6 decisions, 0 differ'
}

@test "ingest: a batch sent again is stored once and not decided on again; other content under its id is a conflict" {
	fresh
	MM_API_KEY=$KEY serve --db s.db --models m --config cfg
	head -n 2 "$BATS_FILE_TMPDIR/b.ndjson" >two
	run ingest two
	[ "${output%% *}" = 200 ]
	run ingest "$BATS_FILE_TMPDIR/b.ndjson"
	[ "${output%% *}" = 200 ]
	assert_equal "$(jq -r '.batch_id + " " + .stored + " " + (.decision.action // "-")' body | paste -sd,)" \
	    "b000000 replay -,b000001 replay -,b000002 new none,b000003 new none,b000004 new none,b000005 new none"
	# b000001 with another first label.
	sed -n 2p "$BATS_FILE_TMPDIR/b.ndjson" | jq -c '.labels[0] = 1 - .labels[0]' >other
	run ingest other
	[ "${output%% *}" = 200 ]
	assert_equal "$(jq -r .stored body)" conflict
	assert_equal "$(q s.db 'SELECT count(*), count(DISTINCT batch_id) FROM metrics')" "6|6"
	assert_equal "$(q s.db 'SELECT count(*) FROM decision_history')" 6
	assert_equal "$(q s.db 'SELECT count(*) FROM evidence')" 384
	run curl -s "$URL/metrics"
	assert_line 'mm_ingest_batches_total{stored="new"} 6'
	assert_line 'mm_ingest_batches_total{stored="replay"} 2'
	assert_line 'mm_ingest_batches_total{stored="conflict"} 1'
	assert_line 'mm_ingest_decisions_total{action="none"} 6'
	assert_line 'mm_ingest_rejected_total 0'
}

@test "ingest: a bad record is a 400 naming its line, and nothing of the request is stored" {
	fresh
	MM_API_KEY=$KEY serve --db s.db --models m --config cfg
	# Line 4 (after a blank line) lacks a feature of the model.
	{ head -n 2 "$BATS_FILE_TMPDIR/b.ndjson"; echo
	  sed -n 3p "$BATS_FILE_TMPDIR/b.ndjson" | jq -c 'del(.features.f3)'; } >bad
	run ingest bad
	assert_output "400 {\"error\":\"line 4: feature 'f3' of model 20251126T065320Z is missing from the batch\",\"line\":4}"
	printf '{"batch_id":"x","features":{"f0":[1' >cut
	run ingest cut
	assert_output --regexp '^400 \{"error":"line 1: .*","line":1\}$'
	# A batch is stored by its batch_id.
	sed -n 1p "$BATS_FILE_TMPDIR/b.ndjson" | jq -c 'del(.batch_id)' >noid
	run ingest noid
	assert_output "400 {\"error\":\"line 1: 'batch_id' missing\",\"line\":1}"
	: >empty
	run ingest empty
	assert_output '400 {"error":"the body holds no record: send batch records, one per line"}'
	assert_equal "$(q s.db 'SELECT (SELECT count(*) FROM metrics) + (SELECT count(*) FROM evidence) + (SELECT count(*) FROM decision_history)')" 0
	run curl -s "$URL/metrics"
	assert_line 'mm_ingest_rejected_total 4'
	# The key: none, a wrong one; and no key configured at all.
	run get /api/ingest --data-binary @"$BATS_FILE_TMPDIR/b.ndjson"
	assert_output "401 {\"error\":\"this needs 'Authorization: Bearer KEY'\"}"
	run get /api/ingest -H 'Authorization: Bearer nope' --data-binary @"$BATS_FILE_TMPDIR/b.ndjson"
	assert_output '401 {"error":"wrong API key"}'
	run get /api/ingest
	assert_output '405 {"error":"method not allowed"}'
	kill $PID; wait $PID
	serve --db s.db --models m --config cfg
	run ingest "$BATS_FILE_TMPDIR/b.ndjson"
	assert_output '403 {"error":"writes are off: no API key is configured (MM_API_KEY or --key-file)"}'
	# No live model is the service's fault, not the record's: 503.
	kill $PID; wait $PID
	mkdir none
	MM_API_KEY=$KEY serve --db s.db --models none --config cfg
	run ingest "$BATS_FILE_TMPDIR/b.ndjson"
	assert_output '503 {"error":"none: no active model version: train one with mm-train"}'
	assert_equal "$(q s.db 'SELECT count(*) FROM metrics')" 0
}

@test "ingest: pages of /api/metrics stay the same while batches come in, and every batch is stored once" {
	fresh
	MM_API_KEY=$KEY serve --db s.db --models m --config cfg
	mm-gen --batches 40 --batch-size 16 --seed 5 >many
	head -n 10 many >first
	run ingest first
	[ "${output%% *}" = 200 ]
	run get '/api/metrics?limit=4&cursor=9'
	cp body page
	# Four writers, each its own 30 batches, one request each, while
	# the page is read again and again.
	pids=
	for w in 1 2 3 4; do
		( tail -n +11 many | sed "s/\"batch_id\":\"b/\"batch_id\":\"w$w/" |
		  while IFS= read -r rec; do
			printf '%s\n' "$rec" |
			    curl -s -o /dev/null -w '%{http_code}\n' \
			    -H "Authorization: Bearer $KEY" --data-binary @- "$URL/api/ingest"
		  done >codes.$w ) &
		pids="$pids $!"
	done
	reads=0
	while [ "$(cat codes.* 2>/dev/null | wc -l)" -lt 120 ]; do
		curl -s "$URL/api/metrics?limit=4&cursor=9" | cmp - page
		reads=$((reads + 1))
	done
	# shellcheck disable=SC2086
	wait $pids
	[ "$reads" -gt 0 ]
	assert_equal "$(cat codes.* | sort | uniq -c | tr -s ' ')" ' 120 200'
	assert_equal "$(q s.db 'SELECT count(*), count(DISTINCT batch_id) FROM metrics')" "130|130"
	assert_equal "$(q s.db 'SELECT count(*), count(DISTINCT source) FROM decision_history')" "130|130"
	assert_equal "$(q s.db "SELECT count(*) FROM metrics WHERE batch_id LIKE 'w%'")" 120
	curl -s "$URL/api/metrics?limit=4&cursor=9" | cmp - page
	# The newest page starts with the newest batch.
	run get '/api/metrics?limit=1'
	assert_equal "$(grep -o '"id":[0-9]*' body)" '"id":130'
}

@test "POST /api/decisions/simulate: the policy on the newest batch, or on a record sent, with nothing stored" {
	fresh
	MM_API_KEY=$KEY serve --db s.db --models m --config cfg
	run get /api/decisions/simulate -X POST
	assert_output '404 {"error":"nothing recorded yet"}'
	run ingest "$BATS_FILE_TMPDIR/b.ndjson"
	[ "${output%% *}" = 200 ]
	tail -n 1 body >last
	before=$(q s.db 'SELECT count(*), max(id) FROM decision_history')
	run get /api/decisions/simulate -X POST
	[ "${output%% *}" = 200 ]
	assert_equal "$(jq -c '{batch_id, ts, decision}' body)" \
	    "$(jq -c '{batch_id, ts, decision}' last)"
	assert_equal "$(q s.db 'SELECT count(*), max(id) FROM decision_history')" "$before"
	# A record of one's own: a batch whose F1 fell to nothing.
	jq -c '{batch_id: "what-if", metrics: {f1: 0.1, confusion: [[30,2],[30,2]]}, drift: {drift_score: 0, status: "stable"}}' last >whatif
	run get /api/decisions/simulate --data-binary @whatif
	[ "${output%% *}" = 200 ]
	assert_equal "$(jq -r '.decision.action + ": " + .decision.reason' body)" \
	    "$(mm-decide --db s.db --models m --config cfg <whatif | jq -r '.decision.action + ": " + .decision.reason')"
	echo '{"batch_id":"x","drift":7}' >notobj
	run get /api/decisions/simulate --data-binary @notobj
	assert_output "400 {\"error\":\"'drift' is not an object\"}"
	printf '{"a":1}\n{"b":2}\n' >two
	run get /api/decisions/simulate --data-binary @two
	assert_output '400 {"error":"the body is one record, or nothing for the newest batch stored"}'
	assert_equal "$(q s.db 'SELECT count(*), max(id) FROM decision_history')" "$before"
	run get /api/decisions/simulate
	assert_output '405 {"error":"method not allowed"}'
}
