#!/usr/bin/env bats
# mm-exec: what each action does to the model store and the database,
# retrains and their gate, stale decisions, --dry-run, and bad input.

bats_require_minimum_version 1.5.0
load helper

PY=/usr/bin/python3

# The store's first version A is trained at T0; decisions are carried
# out at T1, so a version they write is X.  B is trained a minute after
# A, on another sample (train_b).
T0=1764140000
T1=1764141000
A=20251126T065320Z
B=20251126T065420Z
X=20251126T071000Z
A_F1=0.9469387755102041
B_F1=0.9456066945606695

# Evidence: 100-row batches of mm-gen --seed 3 through A, recorded.  In
# "yes" the label rule has changed (a retrained model is clearly better:
# the gate says yes); in "no" it has not (the gate says no); "few" has
# one batch, below min_samples.
setup_file() {
	local d=$BATS_FILE_TMPDIR

	mkdir -p "$d/cfg"
	echo 'n_estimators: 10' >"$d/cfg/model.yaml"
	echo 'min_samples: 200' >"$d/cfg/retrain.yaml"
	mm-train --synthetic --rows 1000 --models "$d/base" --config "$d/cfg" \
	    --now "$T0" >/dev/null
	evidence() {
		local db=$1

		shift
		mm-gen --batch-size 100 --seed 3 "$@" |
		    mm-predict --models "$d/base" |
		    mm-record --db "$d/$db" --config "$d/cfg" >/dev/null
	}
	evidence yes.db --batches 5 --concept-at 0 --concept-strength 0.3
	evidence no.db --batches 5
	evidence few.db --batches 1 --concept-at 0 --concept-strength 0.3
	cat >"$d/key.py" <<'EOF'
# key.py DB [HORIZON [CAP]]: the retrain key of the evidence in DB up to
# HORIZON (default: all), computed as mm-exec(1) documents it: of the
# rows of the batches that end at or below HORIZON the newest CAP
# (default 10000), of those the ones with the newest row's feature
# names and a label that is a class (an integer from 0 to 999), oldest
# first; SHA-256 over batch_id NUL, row_index (int64), names NUL,
# features, label (int32), little-endian.
import hashlib, sqlite3, struct, sys

db = sqlite3.connect(sys.argv[1])
top = int(sys.argv[2]) if len(sys.argv) > 2 else 2**62
top = db.execute("SELECT max(id) FROM evidence_batch WHERE id <= ?",
    (top,)).fetchone()[0]
cap = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
ids = [r[0] for r in db.execute(
    "SELECT id FROM evidence WHERE id <= ? ORDER BY id DESC LIMIT ?",
    (top, cap))]
names = db.execute("SELECT names FROM evidence WHERE id = ?", (ids[0],))
names = names.fetchone()[0]
h = hashlib.sha256()
for bid, ix, feats, label in db.execute(
        "SELECT batch_id, row_index, features, label FROM evidence "
        "WHERE names = ? AND id >= ? AND id <= ? ORDER BY id",
        (names, ids[-1], ids[0])):
    if type(label) is not int or not 0 <= label <= 999:
        continue
    h.update(bid.encode() + b"\0" + struct.pack("<q", ix) +
             names.encode() + b"\0" + feats + struct.pack("<i", label))
print(h.hexdigest())
EOF
}

# fresh EVIDENCE: m is a copy of the store (A live), d.db of the evidence.
fresh() {
	cp -a "$BATS_FILE_TMPDIR/base" m
	cp "$BATS_FILE_TMPDIR/$1.db" d.db
}

ex() {
	mm-exec --db d.db --models m --config "$BATS_FILE_TMPDIR/cfg" \
	    --now "$T1" "$@"
}

# dec ACTION [METADATA]: a decision record for batch b1.
dec() {
	local meta='{}'

	[ $# -gt 1 ] && meta=$2
	printf '{"batch_id":"b1","ts":%s,"decision":{"action":"%s","reason":"test","metadata":%s}}\n' \
	    "$T1" "$1" "$meta"
}

# with_exec RECORD EXEC: RECORD with "exec":EXEC added at its end.
with_exec() {
	printf '%s\n' "${1%\}},\"exec\":$2}"
}

sql() {
	sqlite3 d.db "$1"
}

# key [HORIZON [CAP]]: the key of the evidence in d.db.
key() {
	$PY "$BATS_FILE_TMPDIR/key.py" d.db "$@"
}

# Every file of the store, with its SHA-256; state adds the database.
store_state() {
	(cd m 2>/dev/null && find . -type f | LC_ALL=C sort | xargs -r sha256sum)
}

state() {
	store_state
	sha256sum d.db
}

# train_b ARG...: version B, after A, with ARG (--activate or --stage).
train_b() {
	mm-train --synthetic --rows 1000 --seed 2 --models m \
	    --config "$BATS_FILE_TMPDIR/cfg" --now $((T0 + 60)) "$@" >/dev/null
}

@test "none and reject are recorded only, metadata byte for byte" {
	fresh yes
	before=$(store_state)
	meta='{"f1": 0.50,"note":"caf\u00e9" , "n":1e3}'
	{ dec none "$meta"; dec reject; } >in
	run_split ex <in
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(with_exec "$(dec none "$meta")" '{"status":"executed","detail":"recorded","model_version":null,"retrain_key":null}')
$(with_exec "$(dec reject)" '{"status":"executed","detail":"recorded","model_version":null,"retrain_key":null}')"
	run sql "SELECT id, ts, source, action, reason, metadata, exec_status, exec_detail, quote(model_version), created_at FROM decision_history"
	assert_output "1|1764141000.0|b1|none|test|$meta|executed|recorded|NULL|1764141000.0
2|1764141000.0|b1|reject|test|{}|executed|recorded|NULL|1764141000.0"
	run sql "SELECT metadata = CAST(x'$(printf '%s' "$meta" | od -An -tx1 | tr -d ' \n')' AS TEXT) FROM decision_history WHERE id = 1"
	assert_output 1
	assert_equal "$(store_state)" "$before"
	run sql "SELECT count(*) FROM retrain_snapshots; SELECT count(*) FROM evidence"
	assert_output "0
500"
}

@test "a decision without metadata, reason or batch_id is recorded as such" {
	fresh yes
	run_split ex <<<'{"window":"5m","decision":{"action":"none"}}
{"decision":{"action":"reject","reason":"drift"}}'
	assert_success
	run sql "SELECT ts, source, action, reason, metadata FROM decision_history"
	assert_output "1764141000.0|5m|none||{}
1764141000.0|record|reject|drift|{}"
}

@test "rollback goes back to the previous version; a second one is skipped" {
	fresh yes
	train_b --activate
	run_split ex < <(dec rollback)
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(with_exec "$(dec rollback)" '{"status":"executed","detail":"rolled back from '$B' to '$A'","model_version":"'$A'","retrain_key":null}')"
	run cat m/active.json
	assert_output '{"version":"'$A'","previous_version":null,"metrics":{"baseline_f1":'$A_F1'},"promoted_at":"2025-11-26T07:10:00Z","rolled_back_from":"'$B'"}'
	run sql "SELECT action, exec_status, exec_detail, model_version FROM decision_history"
	assert_output "rollback|executed|rolled back from $B to $A|$A"
	before=$(store_state)
	run_split ex < <(dec rollback)
	assert_success
	assert_output "$(with_exec "$(dec rollback)" '{"status":"skipped","detail":"no previous version to roll back to","model_version":null,"retrain_key":null}')"
	run cat m/active.json
	assert_output --partial '"version":"'$A'","previous_version":null'
	run sql "SELECT action, exec_status, exec_detail, quote(model_version) FROM decision_history WHERE id = 2"
	assert_output "rollback|skipped|no previous version to roll back to|NULL"
	# Only the database changed: one more history row.
	assert_equal "$(store_state)" "$before"
}

@test "rollback with no live version is skipped" {
	fresh yes
	rm -rf m
	run_split ex < <(dec rollback)
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(with_exec "$(dec rollback)" '{"status":"skipped","detail":"no active version to roll back","model_version":null,"retrain_key":null}')"
	[ ! -e m ]
	run sql "SELECT action, exec_status, exec_detail FROM decision_history"
	assert_output "rollback|skipped|no active version to roll back"
}

@test "promote makes the staged candidate live; with nothing staged it is skipped" {
	fresh yes
	# Seed 3 does better than A: its F1 becomes the baseline.
	mm-train --synthetic --rows 1000 --seed 3 --models m \
	    --config "$BATS_FILE_TMPDIR/cfg" --now $((T0 + 60)) --stage >/dev/null
	run_split ex < <(dec promote)
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(with_exec "$(dec promote)" '{"status":"executed","detail":"promoted '$B'","model_version":"'$B'","retrain_key":null}')"
	run cat m/active.json
	assert_output '{"version":"'$B'","previous_version":"'$A'","metrics":{"baseline_f1":0.9504132231404959},"promoted_at":"2025-11-26T07:10:00Z"}'
	[ ! -e m/candidate.json ]
	run_split ex < <(dec promote)
	assert_success
	assert_output "$(with_exec "$(dec promote)" '{"status":"skipped","detail":"no staged candidate to promote","model_version":null,"retrain_key":null}')"
	run sql "SELECT action, exec_status, exec_detail, quote(model_version) FROM decision_history"
	assert_output "promote|executed|promoted $B|'$B'
promote|skipped|no staged candidate to promote|NULL"
}

@test "retrain with fewer labelled rows than min_samples is skipped" {
	fresh few
	before=$(store_state)
	run_split ex < <(dec retrain)
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(with_exec "$(dec retrain)" '{"status":"skipped","detail":"100 labelled rows of evidence, min_samples is 200","model_version":null,"retrain_key":null}')"
	run sql "SELECT count(*) FROM retrain_snapshots; SELECT count(*) FROM evidence"
	assert_output "0
100"
	run sql "SELECT action, exec_status, exec_detail FROM decision_history"
	assert_output "retrain|skipped|100 labelled rows of evidence, min_samples is 200"
	assert_equal "$(store_state)" "$before"
}

@test "retrain that passes the gate: a new live version, its key, the evidence consumed" {
	fresh yes
	k=$(key)
	run_split ex < <(dec retrain)
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(with_exec "$(dec retrain)" '{"status":"executed","detail":"retrained on 500 rows: '$X' active, F1 0.6250 against 0.4324 on 100 held-out rows","model_version":"'$X'","retrain_key":"'$k'"}')"
	run ls -A m/versions
	assert_output "$A
$X"
	run ls m/versions/$X
	assert_output "card.json
model.json
reference.json"
	[ -s m/versions/$X/reference.json ]
	run grep -o '"retrain_key":"[^"]*"' m/versions/$X/card.json
	assert_output '"retrain_key":"'$k'"'
	# Trained on 80% of the rows, scored on the other 20%.
	run grep -o '"rows":{[^}]*}\|"source":"[^"]*"\|"validation":"[^"]*"\|"reference_sha256":"[^"]*"' m/versions/$X/card.json
	assert_output '"rows":{"train":400,"validation":100,"with_missing":0}
"source":"retrain on evidence"
"validation":"holdout"
"reference_sha256":"'"$(sha256sum <m/versions/$X/reference.json | cut -d' ' -f1)"'"'
	f1=$(grep -o '"metrics":{[^}]*}' m/versions/$X/card.json | sed 's/.*"f1":\([^,}]*\).*/\1/')
	assert_equal "$f1" 0.625
	run cat m/active.json
	assert_output '{"version":"'$X'","previous_version":"'$A'","metrics":{"baseline_f1":'$f1'},"promoted_at":"2025-11-26T07:10:00Z"}'
	run sql "SELECT key, status, n_rows, max_evidence_id, version, created_at, updated_at FROM retrain_snapshots"
	assert_output "$k|executed|500|500|$X|1764141000.0|1764141000.0"
	run sql "SELECT count(*) FROM evidence"
	assert_output 0
	run sql "SELECT source, action, reason, exec_status, model_version FROM decision_history"
	assert_output "b1|retrain|test|executed|$X"
	# mm-predict follows the new version.
	run sh -c "mm-gen --batches 1 --batch-size 5 | mm-predict --models m | grep -o '\"model_version\":\"[^\"]*\"'"
	assert_output '"model_version":"'$X'"'
}

@test "the snapshot holds the rows used and the newest evidence id" {
	fresh yes
	sql "DELETE FROM evidence_batch WHERE id <= 100"
	k=$(key)
	run_split ex < <(dec retrain)
	assert_success
	assert_output --partial '"retrain_key":"'$k'"}}'
	run sql "SELECT key, n_rows, max_evidence_id FROM retrain_snapshots"
	assert_output "$k|400|500"
}

@test "retrain whose gate says no: snapshot skipped, no version, evidence kept" {
	fresh no
	k=$(key)
	before=$(store_state)
	run_split ex < <(dec retrain)
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(with_exec "$(dec retrain)" '{"status":"skipped","detail":"candidate F1 0.9263 does not beat the active model'"'"'s 0.9574 by min_f1_gain 0.02 on 100 held-out rows","model_version":null,"retrain_key":"'$k'"}')"
	run sql "SELECT key, status, n_rows, max_evidence_id, quote(version) FROM retrain_snapshots"
	assert_output "$k|skipped|500|500|NULL"
	run sql "SELECT count(*) FROM evidence"
	assert_output 500
	run sql "SELECT action, exec_status FROM decision_history"
	assert_output "retrain|skipped"
	assert_equal "$(store_state)" "$before"
}

@test "the same evidence twice: the second retrain is skipped" {
	fresh no
	ex < <(dec retrain) >/dev/null
	run_split ex < <(dec retrain)
	assert_success
	assert_output "$(with_exec "$(dec retrain)" '{"status":"skipped","detail":"this evidence was already used (snapshot skipped)","model_version":null,"retrain_key":"'"$(key)"'"}')"
	run sql "SELECT count(*) FROM retrain_snapshots; SELECT count(*) FROM evidence"
	assert_output "1
500"
	# Executed evidence is consumed; the same rows again are not used twice.
	rm -rf m d.db
	fresh yes
	k=$(key)
	ex < <(dec retrain) >/dev/null
	sql "ATTACH '$BATS_FILE_TMPDIR/yes.db' AS o; INSERT INTO evidence_batch SELECT * FROM o.evidence_batch"
	assert_equal "$(key)" "$k"
	run_split ex < <(dec retrain)
	assert_success
	assert_output "$(with_exec "$(dec retrain)" '{"status":"skipped","detail":"this evidence was already used (snapshot executed)","model_version":null,"retrain_key":"'$k'"}')"
	run ls m/versions
	assert_output "$A
$X"
	run sql "SELECT count(*) FROM evidence; SELECT status FROM retrain_snapshots; SELECT exec_status FROM decision_history"
	assert_output "500
executed
executed
skipped"
}

# Below 50 rows, the candidate is trained and scored on the whole set, so
# the active model's F1 on it is mm-predict's; the candidate's is in its
# card.  min_f1_gain equal to their difference, or above it by less than
# 1e-9, still passes the gate; 2e-9 above it does not.
@test "the gate: min_f1_gain with a 1e-9 tolerance, whole set below 50 rows" {
	mkdir c0
	cp "$BATS_FILE_TMPDIR/cfg/model.yaml" c0/
	echo 'min_samples: 40' >c0/retrain.yaml
	cp -a "$BATS_FILE_TMPDIR/base" m0
	act=$(mm-gen --batches 1 --batch-size 40 --seed 5 --concept-at 0 \
	    --concept-strength 0.3 | mm-predict --models m0 |
	    mm-record --db d0.db --config c0 |
	    sed 's/.*"metrics":{[^}]*"f1":\([^,}]*\).*/\1/')
	try() {
		rm -rf m d.db
		cp -a m0 m
		cp d0.db d.db
		mm-exec --db d.db --models m --config "$1" --now "$T1" < <(dec retrain) |
		    grep -o '"status":"[a-z]*","detail":"[^"]*"'
	}
	run try c0
	assert_output '"status":"executed","detail":"retrained on 40 rows: '$X' active, F1 0.7692 against 0.7317 on 40 held-out rows"'
	cand=$(sed 's/.*"metrics":{[^}]*"f1":\([^,}]*\).*/\1/' m/versions/$X/card.json)
	for d in 0 5e-10 2e-9; do
		mkdir "g$d"
		cp c0/model.yaml "g$d/"
		printf 'min_samples: 40\nmin_f1_gain: %s\n' \
		    "$($PY -c "print(repr($cand - $act + $d))")" >"g$d/retrain.yaml"
	done
	run try g0
	assert_output --partial '"status":"executed"'
	run try g5e-10
	assert_output --partial '"status":"executed"'
	run try g2e-9
	assert_output '"status":"skipped","detail":"candidate F1 0.7692 does not beat the active model'"'"'s 0.7317 by min_f1_gain 0.03752 on 40 held-out rows"'
	run ls m/versions
	assert_output "$A"
}

@test "a promoted candidate whose F1 is below the live baseline keeps the baseline" {
	fresh yes
	train_b --stage
	run_split ex < <(dec promote)
	assert_success
	assert_output --partial '"exec":{"status":"executed","detail":"promoted '$B'"'
	run cat m/active.json
	assert_output '{"version":"'$B'","previous_version":"'$A'","metrics":{"baseline_f1":'$A_F1'},"promoted_at":"2025-11-26T07:10:00Z"}'
	grep -q '"f1":'$B_F1'}' m/versions/$B/card.json
}

@test "stale decisions are skipped; a none is recorded all the same" {
	fresh yes
	train_b --stage
	before=$(store_state)
	old='{"model_version":"20251126T000000Z"}'
	{
		dec rollback "$old"
		dec promote "$old"
		dec retrain "$old"
		dec none "$old"
	} >in
	stale='{"status":"skipped","detail":"stale: decided while 20251126T000000Z was live, '$A' is live now","model_version":null,"retrain_key":'
	run_split ex <in
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(with_exec "$(dec rollback "$old")" "${stale}null}")
$(with_exec "$(dec promote "$old")" "${stale}null}")
$(with_exec "$(dec retrain "$old")" "${stale}\"$(key)\"}")
$(with_exec "$(dec none "$old")" '{"status":"executed","detail":"recorded","model_version":null,"retrain_key":null}')"
	assert_equal "$(store_state)" "$before"
	run sql "SELECT action, exec_status, metadata FROM decision_history"
	assert_output "rollback|skipped|$old
promote|skipped|$old
retrain|skipped|$old
none|executed|$old"
	run sql "SELECT count(*) FROM retrain_snapshots; SELECT count(*) FROM evidence"
	assert_output "0
500"
	# Decided while A was live, it goes ahead.
	run_split ex < <(dec promote '{"model_version":"'$A'"}')
	assert_success
	assert_output --partial '"exec":{"status":"executed","detail":"promoted '$B'"'
}

# d.db holds batches b000000 to b000004 (100 labelled rows each, ids 1 to
# 500); mm-decide sees b000002 to b000004 and decides to retrain on the
# first.  Its horizon is the newest row of b000002: 300 rows.
@test "decisions of mm-decide are carried out on the evidence up to their batch; replayed later, they are stale" {
	fresh yes
	mm-gen --batches 5 --batch-size 100 --seed 3 --concept-at 0 \
	    --concept-strength 0.3 | sed -n '3,5p' | mm-predict --models m |
	    mm-decide --baseline-f1 0.7 --models m --config "$BATS_FILE_TMPDIR/cfg" >dec.ndjson
	run_split ex <dec.ndjson
	assert_success
	assert_equal "$stderr" ""
	run grep -o '"decision":{"action":"[a-z]*"\|"exec":{"status":"[a-z]*","detail":"[^,]*' <<<"$output"
	assert_output '"decision":{"action":"retrain"
"exec":{"status":"executed","detail":"retrained on 300 rows: '$X' active
"decision":{"action":"none"
"exec":{"status":"executed","detail":"recorded"
"decision":{"action":"none"
"exec":{"status":"executed","detail":"recorded"'
	run sql "SELECT source, action, exec_status, quote(model_version) FROM decision_history"
	assert_output "b000002|retrain|executed|'$X'
b000003|none|executed|NULL
b000004|none|executed|NULL"
	run sql "SELECT n_rows, max_evidence_id FROM retrain_snapshots; SELECT min(id), count(*) FROM evidence"
	assert_output "300|300
301|200"
	# On new evidence, the same decisions are stale: X is live now.
	mm-gen --batches 2 --batch-size 100 --seed 4 --start $T1 |
	    sed 's/"batch_id":"b/"batch_id":"n/' |
	    mm-predict --models m | mm-record --db d.db \
	    --config "$BATS_FILE_TMPDIR/cfg" >/dev/null
	run_split ex <dec.ndjson
	assert_success
	assert_line --index 0 --partial '"exec":{"status":"skipped","detail":"stale: decided while '$A' was live, '$X' is live now","model_version":null,"retrain_key":null}'
	run ls m/versions
	assert_output "$A
$X"
}

@test "--dry-run changes nothing and says what it would do" {
	fresh yes
	train_b --activate
	mm-train --synthetic --rows 1000 --seed 3 --models m \
	    --config "$BATS_FILE_TMPDIR/cfg" --now $((T0 + 120)) --stage >/dev/null
	C=20251126T065520Z
	k=$(key)
	for a in none reject rollback promote retrain; do dec $a; done >in
	before=$(state)
	run_split ex --dry-run <in
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(with_exec "$(dec none)" '{"status":"dry_run","detail":"would record","model_version":null,"retrain_key":null}')
$(with_exec "$(dec reject)" '{"status":"dry_run","detail":"would record","model_version":null,"retrain_key":null}')
$(with_exec "$(dec rollback)" '{"status":"dry_run","detail":"would roll back from '$B' to '$A'","model_version":null,"retrain_key":null}')
$(with_exec "$(dec promote)" '{"status":"dry_run","detail":"would promote '$C'","model_version":null,"retrain_key":null}')
$(with_exec "$(dec retrain)" '{"status":"dry_run","detail":"would retrain on 500 labelled rows","model_version":null,"retrain_key":"'$k'"}')"
	assert_equal "$(state)" "$before"
	run_split ex -n <in
	assert_success
	assert_equal "$(state)" "$before"
	# Opening a database that is not there creates it, and that is all.
	run_split mm-exec --dry-run --db new.db --models m --config "$BATS_FILE_TMPDIR/cfg" <in
	assert_success
	run sqlite3 new.db "SELECT count(*) FROM decision_history; SELECT count(*) FROM retrain_snapshots"
	assert_output "0
0"
}

@test "--dry-run says what it would skip" {
	fresh no
	ex < <(dec retrain) >/dev/null
	rm m/active.json
	before=$(state)
	run_split ex -n <<EOF
$(dec rollback)
$(dec promote)
$(dec retrain)
EOF
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(with_exec "$(dec rollback)" '{"status":"dry_run","detail":"would skip: no active version to roll back","model_version":null,"retrain_key":null}')
$(with_exec "$(dec promote)" '{"status":"dry_run","detail":"would skip: no staged candidate to promote","model_version":null,"retrain_key":null}')
$(with_exec "$(dec retrain)" '{"status":"dry_run","detail":"would skip: this evidence was already used (snapshot skipped)","model_version":null,"retrain_key":"'"$(key)"'"}')"
	assert_equal "$(state)" "$before"
	cp "$BATS_FILE_TMPDIR/few.db" d.db
	run_split ex -n < <(dec retrain)
	assert_success
	assert_output "$(with_exec "$(dec retrain)" '{"status":"dry_run","detail":"would skip: 100 labelled rows of evidence, min_samples is 200","model_version":null,"retrain_key":null}')"
	cp "$BATS_FILE_TMPDIR/base/active.json" m/
	train_b --activate
	before=$(state)
	run_split ex -n < <(dec rollback '{"model_version":"v0"}')
	assert_success
	assert_output "$(with_exec "$(dec rollback '{"model_version":"v0"}')" '{"status":"dry_run","detail":"would skip: stale: decided while v0 was live, '$B' is live now","model_version":null,"retrain_key":null}')"
	assert_equal "$(state)" "$before"
}

@test "what the next program reads is recorded: none and reject a group to a commit" {
	fresh yes
	# seen: for each record read, the decisions in the history then.
	seen() {
		while IFS= read -r _; do
			sqlite3 -cmd '.timeout 10000' d.db \
			    'SELECT count(*) FROM decision_history'
		done
	}
	{ dec none; dec reject; echo '{"batch_id":"p"}'; dec none; } >in
	# Read in one go, the four records are one group: committed, then
	# written, all of them.
	ex <in | seen >seen.txt
	assert_equal "$(cat seen.txt)" '3
3
3
3'
	# A promote takes its own transaction: the group before it is
	# committed and written first, and nothing is written unrecorded.
	fresh yes
	{ dec none; dec reject; dec promote; dec none; } >in
	ex <in | seen >seen.txt
	run awk '$1 < NR { print "record " NR " read with " $1 " recorded" }' \
	    seen.txt
	assert_output ""
	assert_equal "$(wc -l <seen.txt)" 4
	assert_equal "$(sql 'SELECT group_concat(action) FROM decision_history ORDER BY id')" \
	    none,reject,promote,none
}

@test "records without a decision pass through unchanged and are not recorded" {
	fresh yes
	printf '%s\n' '{"batch_id":"x", "ts": 1.50e9 ,"metrics":{"f1":0.10}}' '{}' \
	    '{"window":"5m","n_batches":3,"decisions":[]}' >in
	run_split ex <in
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$output" "$(cat in)"
	run sql "SELECT count(*) FROM decision_history"
	assert_output 0
}

@test "exec holds status, detail, model_version and retrain_key; an old one is replaced in place" {
	fresh yes
	printf '%s\n' '{"a":1,"decision":{"action":"none"},"exec":{"old":true},"z":[1.0]}' >in
	for a in reject rollback promote retrain; do dec $a; done >>in
	run_split ex <in
	assert_success
	out=$output
	run $PY -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    print(list(r), list(r["exec"]))' <<<"$output"
	assert_output "['a', 'decision', 'exec', 'z'] ['status', 'detail', 'model_version', 'retrain_key']
['batch_id', 'ts', 'decision', 'exec'] ['status', 'detail', 'model_version', 'retrain_key']
['batch_id', 'ts', 'decision', 'exec'] ['status', 'detail', 'model_version', 'retrain_key']
['batch_id', 'ts', 'decision', 'exec'] ['status', 'detail', 'model_version', 'retrain_key']
['batch_id', 'ts', 'decision', 'exec'] ['status', 'detail', 'model_version', 'retrain_key']"
	assert_equal "${out%%$'\n'*}" '{"a":1,"decision":{"action":"none"},"exec":{"status":"executed","detail":"recorded","model_version":null,"retrain_key":null},"z":[1.0]}'
}

@test "an invalid decision.action stops the run with exit 2" {
	fresh yes
	printf '%s\n' "$(dec none)" '{"decision":{"action":"restart"}}' "$(dec reject)" >in
	run_split ex <in
	assert_failure 2
	assert_output "$(with_exec "$(dec none)" '{"status":"executed","detail":"recorded","model_version":null,"retrain_key":null}')"
	assert_equal "$stderr" "mm-exec: line 2: 'decision.action' is not one of none, reject, rollback, retrain, promote"
	run sql "SELECT action FROM decision_history"
	assert_output none
	run_split ex <<<'{"decision":{"reason":"no action"}}'
	assert_failure 2
	assert_equal "$stderr" "mm-exec: line 1: 'decision.action' is not one of none, reject, rollback, retrain, promote"
	run_split ex <<<'{"decision":"retrain"}'
	assert_failure 2
	assert_equal "$stderr" "mm-exec: line 1: 'decision' is not an object"
}

@test "truncated JSON stops the run with exit 2, named by file and line" {
	fresh yes
	printf '%s\n{"batch_id":"b2","decision":{"act' "$(dec none)" >in.ndjson
	run_split ex <in.ndjson
	assert_failure 2
	assert_output "$(with_exec "$(dec none)" '{"status":"executed","detail":"recorded","model_version":null,"retrain_key":null}')"
	assert_equal "$stderr" "mm-exec: line 2: invalid JSON: unterminated string"
	run_split ex in.ndjson
	assert_failure 2
	assert_equal "$stderr" "mm-exec: in.ndjson:2: invalid JSON: unterminated string"
	run_split ex --skip-bad in.ndjson
	assert_success
	assert_equal "$stderr" "mm-exec: skipped 1 bad record"
}

@test "--skip-bad skips bad records after a retrain on an empty store" {
	fresh yes
	rm -rf m
	printf '%s\nnot json\n%s\n' "$(dec retrain)" "$(dec none)" >in
	run_split ex --skip-bad <in
	assert_success
	assert_equal "$stderr" "mm-exec: skipped 1 bad record"
	assert_line --index 0 --partial '"exec":{"status":"executed","detail":"retrained on 500 rows: '$X' active, F1 0.6250 against 0.0000 on 100 held-out rows"'
	assert_line --index 1 --partial '"exec":{"status":"executed","detail":"recorded"'
	run cat m/active.json
	assert_output --partial '{"version":"'$X'","previous_version":null,'
}

@test "a --db that is not SQLite: exit 3, nothing written" {
	fresh yes
	echo 'not a database' >bad.db
	run_split mm-exec --db bad.db --models m < <(dec none)
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-exec: bad.db: database error: not an SQLite database"
	run cat bad.db
	assert_output 'not a database'
}

@test "a corrupt active.json: exit 3" {
	fresh yes
	echo '{"version":' >m/active.json
	run_split ex < <(dec rollback)
	assert_failure 3
	assert_output ""
	assert_equal "${stderr%%: corrupt: *}" "mm-exec: m/active.json"
}

# The evidence horizon.  d.db holds batches b000000 to b000004, recorded
# at 1764140000 + 60 i, 100 labelled rows each: ids 1 to 500.

@test "a retrain uses the rows up to its decision's evidence_horizon, and consumes only those" {
	fresh yes
	k=$(key 300)
	[ "$k" != "$(key)" ]
	run_split ex < <(dec retrain '{"evidence_horizon":300}')
	assert_success
	assert_equal "$stderr" ""
	assert_output --partial '"exec":{"status":"executed","detail":"retrained on 300 rows: '$X' active, F1 '
	assert_output --partial '"retrain_key":"'$k'"}}'
	run sql "SELECT key, status, n_rows, max_evidence_id, version FROM retrain_snapshots"
	assert_output "$k|executed|300|300|$X"
	run sql "SELECT min(id), max(id), count(*) FROM evidence"
	assert_output "301|500|200"
	grep -q '"retrain_key":"'$k'"' m/versions/$X/card.json
}

@test "without one in the metadata, mm-exec finds the horizon: the decision's batch, a window's ts" {
	fresh yes
	{
		dec retrain '{"evidence_horizon":null}' | sed 's/"b1"/"b000002"/'
		printf '{"window":"5m","ts":1764140120.0,"decision":{"action":"retrain","reason":"test"}}\n'
		printf '{"window":"1h","ts":1764139999,"decision":{"action":"retrain","reason":"test"}}\n'
		# A batch never recorded: every row.
		dec retrain
	} >in
	before=$(state)
	run_split ex -n <in
	assert_success
	assert_equal "$stderr" ""
	run grep -o '"exec":{[^}]*}' <<<"$output"
	assert_output '"exec":{"status":"dry_run","detail":"would retrain on 300 labelled rows","model_version":null,"retrain_key":"'"$(key 300)"'"}
"exec":{"status":"dry_run","detail":"would retrain on 300 labelled rows","model_version":null,"retrain_key":"'"$(key 300)"'"}
"exec":{"status":"dry_run","detail":"would skip: 0 labelled rows of evidence, min_samples is 200","model_version":null,"retrain_key":null}
"exec":{"status":"dry_run","detail":"would retrain on 500 labelled rows","model_version":null,"retrain_key":"'"$(key)"'"}'
	assert_equal "$(state)" "$before"
}

@test "of the rows up to the horizon, the newest buffer_rows, as mm-record keeps them" {
	fresh yes
	mkdir c
	cp "$BATS_FILE_TMPDIR/cfg/model.yaml" c/
	printf 'min_samples: 200\nbuffer_rows: 350\n' >c/retrain.yaml
	# Batches end at rows 100, 200, ... 500: a horizon of 450 takes
	# those ending at or below it, and of them the newest 350 rows,
	# 51 to 400.
	k=$(key 450 350)
	assert_equal "$k" "$(key 400 350)"
	run_split mm-exec --db d.db --models m --config c --now "$T1" \
	    < <(dec retrain '{"evidence_horizon":450}')
	assert_success
	assert_output --partial '"exec":{"status":"executed","detail":"retrained on 350 rows: '$X' active, F1 '
	assert_output --partial '"retrain_key":"'$k'"}}'
	# Consumed: the rows used, and those past the buffer before them.
	run sql "SELECT n_rows, max_evidence_id FROM retrain_snapshots; SELECT min(id), count(*) FROM evidence"
	assert_output "350|400
401|100"
}

@test "an evidence_horizon that is not a whole number stops the run with exit 2" {
	fresh yes
	for h in '"300"' -1 1.5 true; do
		run_split ex < <(dec none; dec retrain "{\"evidence_horizon\":$h}")
		assert_failure 2
		assert_output "$(with_exec "$(dec none)" '{"status":"executed","detail":"recorded","model_version":null,"retrain_key":null}')"
		assert_equal "$stderr" "mm-exec: line 2: 'decision.metadata.evidence_horizon' is not a whole number of 0 or more"
	done
	run sql "SELECT count(*) FROM retrain_snapshots; SELECT count(*) FROM evidence"
	assert_output "0
500"
}

# Found in review: the evidence was read into 256 columns at most, and
# wider rows were dropped without a word.
@test "rows of 300 features are evidence like any other" {
	$PY - >wide.ndjson <<'PYEOF'
import json, random
r = random.Random(7)
for b in range(3):
    rows = [[r.gauss(0, 1) for _ in range(300)] for _ in range(100)]
    print(json.dumps({"batch_id": "w%d" % b, "ts": 1764140000 + 60 * b,
        "features": {"f%d" % j: [row[j] for row in rows] for j in range(300)},
        "labels": [int(row[0] + row[1] > 0) for row in rows],
        "metrics": {}}))
PYEOF
	mm-record --db d.db --config "$BATS_FILE_TMPDIR/cfg" <wide.ndjson >/dev/null
	run sql "SELECT count(*), length(max(features)) FROM evidence"
	assert_output "300|2400"
	run_split ex < <(dec retrain)
	assert_success
	assert_equal "$stderr" ""
	assert_output --partial '"exec":{"status":"executed","detail":"retrained on 300 rows: '$X' active, F1 '
	assert_output --partial 'against 0.0000 on 60 held-out rows"'
	run grep -c '"f299"' m/versions/$X/model.json
	assert_output 1
}

# corrupt_page DB N: the N-th overflow page of DB's evidence (a batch's
# values) that leads on to another points past the file's end instead.
corrupt_page() {
	local db=$1 n=$2 page size next

	sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	size=$(sqlite3 "$db" 'PRAGMA page_size')
	for page in $(sqlite3 "$db" "SELECT pageno FROM dbstat WHERE name = 'evidence_batch' AND pagetype = 'overflow' ORDER BY pageno"); do
		next=$(od -An -tu4 --endian=big -j $(((page - 1) * size)) -N 4 "$db" | tr -d ' ')
		[ "$next" != 0 ] && n=$((n - 1))
		[ "$n" -lt 0 ] && break
	done
	[ "$n" -lt 0 ] || fail "no such overflow page"
	printf '\377' | dd of="$db" bs=1 seek=$(((page - 1) * size)) conv=notrunc 2>/dev/null
}

# Found in review: a read error part-way through the evidence ended the
# scan, and the retrain went ahead on part of it, under its key.
@test "an evidence table that cannot be read to the end: exit 3, nothing written" {
	fresh yes
	corrupt_page d.db 2
	before=$(store_state)
	run_split ex < <(dec none; dec retrain; dec none)
	assert_failure 3
	assert_output "$(with_exec "$(dec none)" '{"status":"executed","detail":"recorded","model_version":null,"retrain_key":null}')"
	assert_equal "$stderr" "mm-exec: d.db: cannot read evidence: database disk image is malformed"
	assert_equal "$(store_state)" "$before"
	run sql "SELECT count(*) FROM retrain_snapshots; SELECT action FROM decision_history"
	assert_output "0
none"
	run_split ex -n < <(dec retrain)
	assert_failure 3
	assert_equal "$stderr" "mm-exec: d.db: cannot read evidence: database disk image is malformed"
}

# Found in review: a corrupt active.json was taken for "nothing live", so
# the gate compared the candidate with nothing; the new version was then
# written, and the run failed making it live.
@test "a corrupt active.json stops a retrain before anything is written: exit 3" {
	fresh yes
	echo '{"version":' >m/active.json
	before=$(state)
	run_split ex < <(dec retrain)
	assert_failure 3
	assert_output ""
	assert_equal "${stderr%%: corrupt: *}" "mm-exec: m/active.json"
	assert_equal "$(state)" "$before"
	run ls m/versions
	assert_output "$A"
	run_split ex -n < <(dec retrain)
	assert_failure 3
	assert_equal "${stderr%%: corrupt: *}" "mm-exec: m/active.json"
}

# Found in review: a rollback to a version whose directory is gone exited
# 2 and stopped the stream.
@test "a rollback to a version that is not in the store is skipped, and the stream goes on" {
	fresh yes
	train_b --activate
	rm -rf "m/versions/$A"
	before=$(store_state)
	run_split ex < <(dec rollback; dec none)
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(with_exec "$(dec rollback)" '{"status":"skipped","detail":"previous version '$A' is not in the store","model_version":null,"retrain_key":null}')
$(with_exec "$(dec none)" '{"status":"executed","detail":"recorded","model_version":null,"retrain_key":null}')"
	assert_equal "$(store_state)" "$before"
	run sql "SELECT action, exec_status, exec_detail FROM decision_history"
	assert_output "rollback|skipped|previous version $A is not in the store
none|executed|recorded"
	run_split ex -n < <(dec rollback)
	assert_success
	assert_output --partial '"detail":"would skip: previous version '$A' is not in the store"'
}

@test "a promote of a candidate that is not in the store is skipped" {
	fresh yes
	train_b --stage
	rm -rf "m/versions/$B"
	before=$(store_state)
	run_split ex < <(dec promote; dec none)
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 --partial '"exec":{"status":"skipped","detail":"staged candidate '$B' is not in the store"'
	assert_line --index 1 --partial '"exec":{"status":"executed","detail":"recorded"'
	assert_equal "$(store_state)" "$before"
}

@test "--fail-on reject: exit 1 once every record is carried out and written" {
	fresh yes
	{ dec none; dec reject; dec none; } >in
	run_split ex --fail-on reject <in
	assert_failure 1
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 3
	assert_line --index 1 "$(with_exec "$(dec reject)" '{"status":"executed","detail":"recorded","model_version":null,"retrain_key":null}')"
	run sql "SELECT action FROM decision_history"
	assert_output "none
reject
none"
	run_split ex --fail-on rollback,retrain <in
	assert_success
	run_split ex --fail-on retrain,reject -n <in
	assert_failure 1
	run_split ex --fail-on rejected <in
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-exec: --fail-on: 'rejected' is not an action (none, reject, rollback, retrain, promote)"
	# An error still says what it is.
	echo 'not json' >>in
	run_split ex --fail-on reject <in
	assert_failure 2
}

# bad_row LABEL [ROW]: a batch of one row of evidence like row ROW (500)
# but with LABEL, as SQL (1500, -1, 2.5, 'x'), inserted straight into the
# table, as mm-record would never write it: row 501 when it is the first.
bad_row() {
	sql "INSERT INTO evidence_batch (id, batch_id, ts, names, n_rows, rows,
	    labels, features) SELECT (SELECT max(id) FROM evidence_batch) + 1,
	    'bad' || (SELECT count(*) FROM evidence_batch), ts, names, 1, '[0]',
	    json_array($1), features FROM evidence WHERE id = ${2:-500}"
}

# predicts VERSION: mm-predict on the store still works, with VERSION.
predicts() {
	run_split sh -c "mm-gen --batches 1 --batch-size 5 | mm-predict --models m | grep -o '\"model_version\":\"[^\"]*\"'"
	assert_success
	assert_equal "$stderr" ""
	assert_output '"model_version":"'$1'"'
}

# Found in review: one label of 1500 in the evidence made a retrain
# train and activate a 1501-class model that mm-predict refused to load
# (exit 3): production down.
@test "a label of 1500 in the evidence: its row is left out and counted, the retrain goes ahead" {
	fresh yes
	k=$(key)
	bad_row 1500
	assert_equal "$(key)" "$k"
	run_split ex < <(dec retrain)
	assert_success
	assert_equal "$stderr" ""
	detail="retrained on 500 rows: $X active, F1 0.6250 against 0.4324 on 100 held-out rows; left out 1 row of evidence whose label is not a class from 0 to 999 (evidence id 501: 1500)"
	assert_output "$(with_exec "$(dec retrain)" '{"status":"executed","detail":"'"$detail"'","model_version":"'$X'","retrain_key":"'$k'"}')"
	run grep -o '"classes":[0-9]*\|"retrain_key":"[^"]*","skipped_bad_label":[0-9]*' m/versions/$X/card.json
	assert_output '"classes":2
"retrain_key":"'$k'","skipped_bad_label":1'
	run grep -o '^{"version":"[^"]*"' m/active.json
	assert_output '{"version":"'$X'"'
	# The row left out went with the evidence it came with.
	run sql "SELECT key, status, n_rows, max_evidence_id, version FROM retrain_snapshots; SELECT count(*) FROM evidence"
	assert_output "$k|executed|500|501|$X
0"
	run sql "SELECT action, exec_status, exec_detail, model_version FROM decision_history"
	assert_output "retrain|executed|$detail|$X"
	predicts "$X"
	# Run again: nothing left to retrain on, and the same rows again
	# are not used twice.
	run_split ex < <(dec retrain)
	assert_success
	assert_output --partial '"exec":{"status":"skipped","detail":"0 labelled rows of evidence, min_samples is 200","model_version":null,"retrain_key":null}'
	sql "ATTACH '$BATS_FILE_TMPDIR/yes.db' AS o; INSERT INTO evidence_batch SELECT * FROM o.evidence_batch"
	bad_row 1500
	run_split ex < <(dec retrain '{"model_version":"'$X'"}')
	assert_success
	assert_equal "$stderr" ""
	assert_output --partial '"exec":{"status":"skipped","detail":"this evidence was already used (snapshot executed)","model_version":null,"retrain_key":"'$k'"}'
	run ls m/versions
	assert_output "$A
$X"
}

# Found in review: a label of 1000000 ran 66 s, took 1.8 GB and aborted,
# leaving the snapshot pending, so every later run tried again.
@test "a label of 1000000 in the evidence: left out at once, the gate decides, no retry" {
	fresh no
	k=$(key)
	bad_row 1000000
	before=$(store_state)
	SECONDS=0
	run_split ex < <(dec retrain)
	[ "$SECONDS" -lt 20 ] || fail "took $SECONDS s"
	assert_success
	assert_equal "$stderr" ""
	detail="candidate F1 0.9263 does not beat the active model's 0.9574 by min_f1_gain 0.02 on 100 held-out rows; left out 1 row of evidence whose label is not a class from 0 to 999 (evidence id 501: 1000000)"
	assert_output "$(with_exec "$(dec retrain)" "{\"status\":\"skipped\",\"detail\":\"$detail\",\"model_version\":null,\"retrain_key\":\"$k\"}")"
	assert_equal "$(store_state)" "$before"
	run sql "SELECT key, status, n_rows, max_evidence_id, quote(version), detail FROM retrain_snapshots; SELECT count(*) FROM evidence"
	assert_output "$k|skipped|500|501|NULL|$detail
501"
	predicts "$A"
	# A second run does not try again.
	run_split ex < <(dec retrain)
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(with_exec "$(dec retrain)" '{"status":"skipped","detail":"this evidence was already used (snapshot skipped)","model_version":null,"retrain_key":"'$k'"}')"
	run sql "SELECT exec_status, exec_detail FROM decision_history"
	assert_output "skipped|$detail
skipped|this evidence was already used (snapshot skipped)"
	assert_equal "$(store_state)" "$before"
}

@test "labels that are not a class from 0 to 999 are left out, whatever they are; 999 is one" {
	fresh yes
	for l in -1 1000 2.5 "'x'" 4294967296; do bad_row "$l"; done
	run_split ex -n < <(dec retrain)
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(with_exec "$(dec retrain)" '{"status":"dry_run","detail":"would retrain on 500 labelled rows; left out 5 rows of evidence whose label is not a class from 0 to 999 (evidence id 501: -1)","model_version":null,"retrain_key":"'"$(key)"'"}')"
	bad_row 999
	run_split ex -n < <(dec retrain)
	assert_success
	assert_output --partial '"detail":"would retrain on 501 labelled rows; left out 5 rows of evidence whose label is not a class from 0 to 999 (evidence id 501: -1)"'
	cp "$BATS_FILE_TMPDIR/few.db" d.db
	bad_row 1500 100
	run_split ex < <(dec retrain)
	assert_success
	assert_output "$(with_exec "$(dec retrain)" '{"status":"skipped","detail":"100 labelled rows of evidence, min_samples is 200; left out 1 row of evidence whose label is not a class from 0 to 999 (evidence id 101: 1500)","model_version":null,"retrain_key":null}')"
}

# A version that does not load is never made live.  Here a retrain dies
# after writing its version, and the version is damaged before the run
# that would complete the retrain.
@test "a retrain's version that does not load is not made live; the retrain fails for good" {
	fresh yes
	k=$(key)
	run_split env MM_FAULT=exec-version-written mm-exec --db d.db --models m \
	    --config "$BATS_FILE_TMPDIR/cfg" --now "$T1" < <(dec retrain)
	assert_failure 137
	printf ' ' >>m/versions/$X/model.json
	before=$(store_state)
	run_split ex < <(dec retrain)
	assert_success
	why="m/versions/$X/model.json: corrupt: does not match the checksum in card.json (edited or truncated?)"
	detail="version $X of an interrupted retrain does not load; not made live: $why"
	assert_equal "$stderr" "mm-exec: b1: retrain failed: $detail"
	assert_output "$(with_exec "$(dec retrain)" '{"status":"failed","detail":"'"$detail"'","model_version":null,"retrain_key":"'$k'"}')"
	assert_equal "$(store_state)" "$before"
	run grep -o '^{"version":"[^"]*"' m/active.json
	assert_output '{"version":"'$A'"'
	run sql "SELECT key, status, n_rows, max_evidence_id, quote(version), detail FROM retrain_snapshots; SELECT count(*) FROM evidence"
	assert_output "$k|failed|500|500|NULL|$detail
500"
	run sql "SELECT action, exec_status, exec_detail, quote(model_version) FROM decision_history"
	assert_output "retrain|failed|$detail|NULL"
	predicts "$A"
	# Final: a second run does not try again.
	run_split ex < <(dec retrain)
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(with_exec "$(dec retrain)" '{"status":"skipped","detail":"a retrain on this evidence failed, and is not tried again: '"$detail"'","model_version":null,"retrain_key":"'$k'"}')"
	assert_equal "$(store_state)" "$before"
	run sql "SELECT status FROM retrain_snapshots; SELECT count(*) FROM decision_history"
	assert_output "failed
2"
}

@test "a promote of a candidate whose model.json is corrupt is refused: active.json unchanged" {
	fresh yes
	train_b --stage
	printf ' ' >>m/versions/$B/model.json
	before=$(store_state)
	why="m/versions/$B/model.json: corrupt: does not match the checksum in card.json (edited or truncated?)"
	run_split ex < <(dec promote; dec none)
	assert_success
	assert_equal "$stderr" "mm-exec: b1: promote failed: staged candidate $B does not load; not promoted: $why"
	assert_output "$(with_exec "$(dec promote)" '{"status":"failed","detail":"staged candidate '$B' does not load; not promoted: '"$why"'","model_version":null,"retrain_key":null}')
$(with_exec "$(dec none)" '{"status":"executed","detail":"recorded","model_version":null,"retrain_key":null}')"
	assert_equal "$(store_state)" "$before"
	run sql "SELECT action, exec_status, exec_detail, quote(model_version) FROM decision_history"
	assert_output "promote|failed|staged candidate $B does not load; not promoted: $why|NULL
none|executed|recorded|NULL"
	run_split ex -n < <(dec promote)
	assert_success
	assert_output --partial '"exec":{"status":"dry_run","detail":"would fail: staged candidate '$B' does not load; not promoted: '"$why"'"'
	# mm-models refuses it as well: exit 3, the version named.
	run_split mm-models --models m --now "$T1" promote
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-models: $B does not load; not promoted: $why"
	assert_equal "$(store_state)" "$before"
	predicts "$A"
	# A model.json that is not a model at all, its checksum right.
	cp -a "$BATS_FILE_TMPDIR/base" m2
	mm-train --synthetic --rows 1000 --seed 2 --models m2 \
	    --config "$BATS_FILE_TMPDIR/cfg" --now $((T0 + 60)) --stage >/dev/null
	echo '{"format":"mm-forest/1"}' >m2/versions/$B/model.json
	sum=$(sha256sum <m2/versions/$B/model.json | cut -d' ' -f1)
	sed -i 's/"model_sha256":"[0-9a-f]*"/"model_sha256":"'$sum'"/' m2/versions/$B/card.json
	before=$(cat m2/active.json)
	run_split mm-models --models m2 promote
	assert_failure 3
	assert_equal "$stderr" "mm-models: $B does not load; not promoted: m2/versions/$B/model.json: not an mm model: features, classes or trees missing"
	assert_equal "$(cat m2/active.json)" "$before"
}

@test "a rollback to a version whose model.json is corrupt is refused: active.json unchanged" {
	fresh yes
	train_b --activate
	printf ' ' >>m/versions/$A/model.json
	before=$(store_state)
	why="m/versions/$A/model.json: corrupt: does not match the checksum in card.json (edited or truncated?)"
	run_split ex < <(dec rollback)
	assert_success
	assert_equal "$stderr" "mm-exec: b1: rollback failed: previous version $A does not load; not rolled back: $why"
	assert_output "$(with_exec "$(dec rollback)" '{"status":"failed","detail":"previous version '$A' does not load; not rolled back: '"$why"'","model_version":null,"retrain_key":null}')"
	assert_equal "$(store_state)" "$before"
	run sql "SELECT action, exec_status FROM decision_history"
	assert_output "rollback|failed"
	for v in "" "$A"; do
		run_split mm-models --models m rollback $v
		assert_failure 3
		assert_output ""
		assert_equal "$stderr" "mm-models: $A does not load; not rolled back to: $why"
	done
	assert_equal "$(store_state)" "$before"
	predicts "$B"
}

@test "a retrain keeps the live version's classes: --positive 0 stays class 0" {
	mm-gen --batches 10 --batch-size 100 --seed 1 |
	    mm-train --models m --config "$BATS_FILE_TMPDIR/cfg" --positive 0 \
	    --now "$T0" >/dev/null
	grep -q '"classes":\[1,0\],"positive":0}' m/versions/$A/model.json
	mm-gen --batch-size 100 --seed 3 --batches 5 --concept-at 0 \
	    --concept-strength 0.3 | mm-predict --models m |
	    mm-record --db d.db --config "$BATS_FILE_TMPDIR/cfg" >/dev/null
	run_split ex < <(dec retrain)
	assert_success
	assert_output --partial '"exec":{"status":"executed","detail":"retrained on 500 rows: '$X' active'
	grep -q '"classes":\[1,0\],"positive":0}' m/versions/$X/model.json
	grep -q '"class_balance":{"1":[0-9]*,"0":[0-9]*}' m/versions/$X/card.json
	# The new baseline is class 0's F1, as the card says.
	f1=$(grep -o '"metrics":{[^}]*}' m/versions/$X/card.json | sed 's/.*"f1":\([^,}]*\).*/\1/')
	grep -q '"baseline_f1":'"$f1"'}' m/active.json
}
