#!/usr/bin/env bats
# The store on PostgreSQL: the same rows, summaries, replays, retrains
# and decisions as on SQLite, and many writers at once.  A throwaway
# cluster (tests/pg.sh) serves the file; each test has a database of its
# own.

bats_require_minimum_version 1.5.0
load helper

T0=1764140000
T1=$((T0 + 3600))

setup_file() {
	local d=$BATS_FILE_TMPDIR

	# The cluster runs as another user as root: its directory must be
	# one that user can reach, outside bats' own.
	PGDIR=$(mktemp -u /tmp/mm-pg.XXXXXX)
	export PGDIR
	PGURL=$("$MM_TOP/tests/pg.sh" start "$PGDIR" fast)
	export PGURL
	mkdir "$d/cfg"
	echo 'min_samples: 200' >"$d/cfg/retrain.yaml"
	mm-train --synthetic --rows 1000 --models "$d/base" --config "$d/cfg" \
	    --now "$T0" >/dev/null
	# Scored batches, as mm-record takes them: 20 of 64 labelled rows,
	# the label rule changed (a retrained model is better).
	mm-gen --batches 20 --batch-size 64 --seed 3 --concept-at 0 \
	    --concept-strength 0.3 |
	    mm-predict --models "$d/base" |
	    mm-psi --models "$d/base" |
	    mm-trust >"$d/scored.ndjson"
}

teardown_file() {
	"$MM_TOP/tests/pg.sh" stop "$PGDIR"
}

# newdb: a database of the test's own on the cluster, its URL in DB.
newdb() {
	psql -XqAt "$PGURL" -c "CREATE DATABASE t$BATS_TEST_NUMBER" >/dev/null
	DB="postgresql://mm@/t$BATS_TEST_NUMBER?host=$PGDIR"
}

pq() {
	psql -XqAt -F'|' "$DB" -c "$1"
}

# The evidence a row a row, the same text from either store: id,
# batch_id, row_index, ts in ms, names, values in hex, label.
ev_lite() {
	sqlite3 -separator '|' "$1" "SELECT id, batch_id, row_index,
	    CAST(ts * 1000 AS INTEGER), names, hex(features), label
	    FROM evidence ORDER BY id"
}

ev_pg() {
	pq "SELECT id, batch_id, row_index, (ts * 1000)::bigint, names,
	    upper(encode(features, 'hex')), label FROM evidence ORDER BY id"
}

@test "mm-record: the same metrics, evidence and window summaries as in SQLite" {
	newdb
	mm-record --db l.db --config "$BATS_FILE_TMPDIR/cfg" \
	    <"$BATS_FILE_TMPDIR/scored.ndjson" >l.out
	run_split mm-record --db "$DB" --config "$BATS_FILE_TMPDIR/cfg" \
	    <"$BATS_FILE_TMPDIR/scored.ndjson"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$output" "$(cat l.out)"
	assert_equal "$(pq 'SELECT count(*), count(DISTINCT batch_id) FROM metrics')" "20|20"
	assert_equal "$(pq 'SELECT count(*), max(id), sum(n_rows) FROM evidence_batch')" "20|1280|1280"
	ev_lite l.db >l.ev
	ev_pg >p.ev
	assert_equal "$(wc -l <p.ev)" 1280
	cmp l.ev p.ev
	# Windows read back from either store are the same, byte for byte.
	now=$((T0 + 20 * 60))
	mm-aggregate --db l.db --models "$BATS_FILE_TMPDIR/base" --now $now >l.agg
	run_split mm-aggregate --db "$DB" --models "$BATS_FILE_TMPDIR/base" --now $now
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$output" "$(cat l.agg)"
	assert_equal "$(pq 'SELECT "window", n_batches FROM metrics_summary ORDER BY 1')" "1h|20
24h|20
5m|4"
	# And without a model store: no version to hold windows to.
	mm-aggregate --db l.db --now $now >l.agg 2>l.err
	run_split mm-aggregate --db "$DB" --now $now
	assert_success
	assert_equal "$output" "$(cat l.agg)"
	assert_equal "$stderr" "$(cat l.err)"
}

@test "replays are stored once and conflicts said, as in SQLite" {
	newdb
	head -n 5 "$BATS_FILE_TMPDIR/scored.ndjson" >five
	sed '1s/"labels":\[./"labels":[7/' five >other
	for db in l.db "$DB"; do
		mm-record --db "$db" <five >/dev/null
		run_split mm-record --db "$db" --strict five
		assert_success
		assert_equal "$stderr" ""
		run_split mm-record --db "$db" --strict other
		assert_failure 1
		assert_equal "$stderr" "mm-record: other:1: batch 'b000000' is stored already with other content (row 0 differs from the evidence kept): not stored again
mm-record: 5 duplicate batches not stored again, 1 of them conflicting"
	done
	assert_equal "$(pq 'SELECT count(*) FROM metrics')" 5
	assert_equal "$(pq 'SELECT count(*) FROM evidence')" 320
}

@test "eight writers at once: every batch stored once, its rows numbered without a gap" {
	newdb
	# Each writer records all 20 batches, from its own starting point.
	for w in 1 2 3 4 5 6 7 8; do
		{ tail -n +$((w * 2)) "$BATS_FILE_TMPDIR/scored.ndjson"
		  head -n $((w * 2 - 1)) "$BATS_FILE_TMPDIR/scored.ndjson"; } >in.$w
		mm-record --db "$DB" --group 1 in.$w >out.$w 2>err.$w &
	done
	wait
	cat err.*
	assert_equal "$(cat err.* | grep -vc 'duplicate batch')" 0
	assert_equal "$(pq 'SELECT count(*), count(DISTINCT batch_id) FROM metrics')" "20|20"
	assert_equal "$(pq 'SELECT count(*), count(DISTINCT batch_id) FROM drift_counts')" "20|20"
	assert_equal "$(pq 'SELECT count(*), min(id - n_rows), max(id), sum(n_rows) FROM evidence_batch')" "20|0|1280|1280"
	# The rows follow each other: each batch begins where one ended.
	assert_equal "$(pq 'SELECT count(*) FROM evidence_batch b WHERE b.id > 64 AND NOT EXISTS (SELECT 1 FROM evidence_batch a WHERE a.id = b.id - b.n_rows)')" 0
	assert_equal "$(cat out.* | wc -l)" 160
}

@test "a writer killed at any point leaves each batch whole or absent; run again, all stored once" {
	newdb
	mm-record --db "$DB" </dev/null
	for i in 1 2 3; do
		mm-record --db "$DB" --group 1 <"$BATS_FILE_TMPDIR/scored.ndjson" >/dev/null 2>&1 &
		pid=$!
		sleep 0.$((i * 2))
		kill -KILL $pid 2>/dev/null || true
		wait $pid 2>/dev/null || true
		# Whatever was stored is whole: a labelled batch has its evidence.
		assert_equal "$(pq 'SELECT count(*) FROM metrics m WHERE NOT EXISTS (SELECT 1 FROM evidence_batch e WHERE e.batch_id = m.batch_id)')" 0
	done
	mm-record --db "$DB" <"$BATS_FILE_TMPDIR/scored.ndjson" >/dev/null
	assert_equal "$(pq 'SELECT count(*), count(DISTINCT batch_id) FROM metrics')" "20|20"
	assert_equal "$(pq 'SELECT count(*), sum(n_rows) FROM evidence_batch')" "20|1280"
}

# dec ACTION: a decision record on batch b000019.
dec() {
	printf '{"batch_id":"b000019","ts":%s,"decision":{"action":"%s","reason":"test","metadata":{}}}\n' \
	    "$T1" "$1"
}

@test "a retrain on PostgreSQL: the key, version and evidence consumed of SQLite; two at once make one version" {
	newdb
	mm-record --db l.db <"$BATS_FILE_TMPDIR/scored.ndjson" >/dev/null
	mm-record --db "$DB" <"$BATS_FILE_TMPDIR/scored.ndjson" >/dev/null
	cp -a "$BATS_FILE_TMPDIR/base" ml
	cp -a "$BATS_FILE_TMPDIR/base" mp
	dec retrain | mm-exec --db l.db --models ml --config "$BATS_FILE_TMPDIR/cfg" --now "$T1" >l.out
	dec retrain >d
	mm-exec --db "$DB" --models mp --config "$BATS_FILE_TMPDIR/cfg" --now "$T1" <d >p1.out &
	mm-exec --db "$DB" --models mp --config "$BATS_FILE_TMPDIR/cfg" --now "$T1" <d >p2.out &
	wait
	grep -q '"status":"executed"' l.out
	# One of the two retrained, as the one SQLite run did; the other
	# found it in progress or done.
	run grep -h '"status":"executed"' p1.out p2.out
	assert_equal "${#lines[@]}" 1
	assert_equal "$output" "$(cat l.out)"
	run grep -ho '"status":"skipped","detail":"[^"]*"' p1.out p2.out
	assert_output --regexp '^"status":"skipped","detail":"(retrain in progress|0 labelled rows of evidence, min_samples is 200|this evidence was already used \(snapshot executed\))"$'
	assert_equal "$(ls mp/versions | wc -l)" 2
	assert_equal "$(pq "SELECT key, status, n_rows, max_evidence_id FROM retrain_snapshots")" \
	    "$(sqlite3 l.db "SELECT key, status, n_rows, max_evidence_id FROM retrain_snapshots")"
	assert_equal "$(pq 'SELECT count(*) FROM evidence_batch')" 0
	# Both decisions are recorded; the one carried out is SQLite's.
	assert_equal "$(pq "SELECT count(*) FROM decision_history")" 2
	assert_equal "$(pq "SELECT action, exec_status, model_version FROM decision_history WHERE exec_status = 'executed'")" \
	    "$(sqlite3 l.db "SELECT action, exec_status, model_version FROM decision_history")"
}

@test "a retrain while another machine retrains on the same database: retrain in progress" {
	newdb
	mm-record --db "$DB" <"$BATS_FILE_TMPDIR/scored.ndjson" >/dev/null
	cp -a "$BATS_FILE_TMPDIR/base" m
	# Another machine's mm-exec: its own store, the database's lock.
	psql -XqAt "$DB" -c 'SELECT pg_advisory_lock(1835860225)' \
	    -c "SELECT pg_sleep(30)" >/dev/null 2>&1 3>&- &
	holder=$!
	for _ in $(seq 100); do
		[ "$(pq "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 1835860225")" = 1 ] && break
		sleep 0.1
	done
	run_split mm-exec --db "$DB" --models m --config "$BATS_FILE_TMPDIR/cfg" --now "$T1" <<<"$(dec retrain)"
	# The other machine's session ends (as when it dies).
	pq "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = 1835860225" >/dev/null
	wait $holder || true
	assert_success
	assert_output --partial '"exec":{"status":"skipped","detail":"retrain in progress","model_version":null,"retrain_key":null}'
	assert_equal "$(ls m/versions | wc -l)" 1
	assert_equal "$(pq 'SELECT count(*) FROM retrain_snapshots')" 0
	# Free again: it retrains.
	run_split mm-exec --db "$DB" --models m --config "$BATS_FILE_TMPDIR/cfg" --now "$T1" <<<"$(dec retrain)"
	assert_output --partial '"exec":{"status":"executed"'
	assert_equal "$(ls m/versions | wc -l)" 2
}

# recorders and executors under way at once, one of each killed: the
# invariants any timing keeps.
@test "8 recorders and 2 executors at once, one of each killed: each batch once, each evidence row in at most one retrain" {
	newdb
	cp -a "$BATS_FILE_TMPDIR/base" m
	mm-gen --batches 60 --batch-size 64 --seed 11 --concept-at 0 \
	    --concept-strength 0.3 |
	    mm-predict --models m | mm-psi --models m | mm-trust >all
	mm-record --db "$DB" </dev/null
	for w in 1 2 3 4 5 6 7 8; do
		{ tail -n +$((w * 7)) all; head -n $((w * 7 - 1)) all; } >in.$w
	done
	record() {
		local w
		for w in "$@"; do
			mm-record --db "$DB" --group 1 in.$w >/dev/null 2>>err.rec &
		done
	}
	# An executor: retrains on decisions of later and later batches,
	# one not stored yet (all the evidence) among them.  The second
	# dies (SIGKILL) in each retrain it begins: by turns before and
	# after it has written the version.
	execs() {
		local b f=
		for b in 9 19 29 39 49 59; do
			if [ "$1" = b ]; then
				case $f in
				exec-snapshot-pending) f=exec-version-written ;;
				*) f=exec-snapshot-pending ;;
				esac
			fi
			printf '{"batch_id":"b0000%02d","ts":%s,"decision":{"action":"retrain","reason":"test","metadata":{}}}\n' \
			    "$b" "$T1" |
			    MM_FAULT=$f mm-exec --db "$DB" --models m \
			    --config "$BATS_FILE_TMPDIR/cfg" --now "$T1" \
			    >>out.$1 2>>err.exec || true
		done
	}
	record 1 2 3 4 5 6 7 8
	victim=$!
	execs a &
	execs b &
	sleep 0.3
	kill -KILL $victim 2>/dev/null || true
	wait
	# Everything again, all of it now finished: the killed writer's
	# batches are stored, a dead retrain settled.
	record 1 2 3 4 5 6 7 8
	wait
	dec retrain >d
	mm-exec --db "$DB" --models m --config "$BATS_FILE_TMPDIR/cfg" --now "$T1" <d >>out.c
	# Only duplicates were said by the writers, nothing else.
	assert_equal "$(grep -vc 'duplicate batch' err.rec)" 0
	assert_equal "$(pq 'SELECT count(*), count(DISTINCT batch_id) FROM metrics')" "60|60"
	assert_equal "$(pq 'SELECT count(*), count(DISTINCT batch_id) FROM drift_counts')" "60|60"
	assert_equal "$(pq "SELECT count(*) FROM retrain_snapshots WHERE status = 'pending'")" 0
	# Each retrain carried out made one version, none made two.
	n=$(pq "SELECT count(*) FROM retrain_snapshots WHERE status = 'executed'")
	[ "$n" -ge 1 ]
	assert_equal "$(ls m/versions | wc -l)" $((n + 1))
	assert_equal "$(pq "SELECT count(DISTINCT version) FROM retrain_snapshots WHERE status = 'executed'")" "$n"
	for v in $(pq "SELECT version FROM retrain_snapshots WHERE status = 'executed'"); do
		[ -d "m/versions/$v" ]
	done
	assert_equal "$(pq "SELECT count(*) FROM decision_history WHERE exec_status = 'executed'")" "$n"
	# Every row of evidence one writer alone keeps (none of a batch
	# whose drift is severe) was used by one retrain or is waiting for
	# the next: none lost, none used twice.
	mm-record --db l.db <all >/dev/null
	kept=$(sqlite3 l.db 'SELECT sum(n_rows) FROM evidence_batch')
	[ "$kept" -gt 3000 ]
	assert_equal "$(pq "SELECT (SELECT coalesce(sum(n_rows), 0) FROM retrain_snapshots WHERE status = 'executed') + (SELECT coalesce(sum(n_rows), 0) FROM evidence_batch)")" "$kept"
	pg_amcheck_url "$DB"
}

@test "a database of a newer schema is refused, as in SQLite" {
	newdb
	mm-record --db "$DB" </dev/null
	assert_equal "$(pq 'SELECT max(version) FROM schema_version')" 4
	pq 'INSERT INTO schema_version VALUES (99, 0)'
	run_split mm-record --db "$DB" </dev/null
	assert_failure 3
	assert_equal "$stderr" "mm-record: $DB: database schema 99 is newer than this mm knows (4); upgrade mm"
}

@test "a database that is not there: exit 3, said, with a password in the URL shown as ***" {
	run_split mm-record --db "postgresql://mm:s3cret@/nodb?host=$PGDIR&password=s3cret" </dev/null
	assert_failure 3
	assert_output ""
	[[ "$stderr" == "mm-record: postgresql://mm:***@/nodb?host=$PGDIR&password=***: cannot open database: "*'database "nodb" does not exist' ]]
	[[ "$stderr" != *s3cret* ]]
}

@test "mm-alert: cooldowns kept in PostgreSQL, as in SQLite" {
	newdb
	for db in l.db "$DB"; do
		printf '{"batch_id":"b%d","ts":%d,"trust":{"score":0.5}}\n' \
		    1 1764140000 2 1764140060 3 1764150000 |
		    mm-alert --db "$db" >alerts.$(basename "${db%%\?*}")
	done
	assert_equal "$(grep -c '"alert":' alerts.t$BATS_TEST_NUMBER)" 2
	cmp alerts.l.db alerts.t$BATS_TEST_NUMBER
	assert_equal "$(pq 'SELECT key, last_ts FROM alert_state ORDER BY key')" \
	    "$(sqlite3 l.db "SELECT key, CAST(last_ts AS INTEGER) FROM alert_state ORDER BY key")"
}

@test "mm-serve on PostgreSQL: ingest, pages and the dashboard, the URL's password never shown" {
	load serve_helper
	newdb
	pw="postgresql://mm:pw123@/t$BATS_TEST_NUMBER?host=$PGDIR"
	head -n 4 "$BATS_FILE_TMPDIR/scored.ndjson" | mm-record --db l.db >/dev/null
	KEY=0123456789abcdef0123456789abcdef
	MM_API_KEY=$KEY serve --db "$pw" --models "$BATS_FILE_TMPDIR/base"
	assert_equal "$(head -n 1 serve.log)" "mm-serve: listening on http://127.0.0.1:$PORT (database postgresql://mm:***@/t$BATS_TEST_NUMBER?host=$PGDIR, models $BATS_FILE_TMPDIR/base, writes with the API key)"
	run get /api/ingest -H "Authorization: Bearer $KEY" --data-binary @<(head -n 4 "$BATS_FILE_TMPDIR/scored.ndjson")
	[ "${output%% *}" = 200 ]
	assert_equal "$(grep -c '"stored":"new"' body)" 4
	assert_equal "$(pq 'SELECT count(*) FROM metrics')" 4
	assert_equal "$(pq 'SELECT count(*) FROM evidence')" 256
	run get '/api/metrics?limit=2'
	assert_equal "$(jq -c '[.items[] | {id, batch_id, n_samples}]' body)" \
	    '[{"id":4,"batch_id":"b000003","n_samples":64},{"id":3,"batch_id":"b000002","n_samples":64}]'
	run get /health
	assert_output --partial '200 {"status":"ok","database":"ok"'
	run get /
	[ "${output%% *}" = 200 ]
	grep -q "postgresql://mm:\*\*\*@/t$BATS_TEST_NUMBER" body
	if grep -q pw123 body serve.log; then fail "the password is shown"; fi
}
