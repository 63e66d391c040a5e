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
# one batch, below min_samples.  Each in a directory with a copy of the
# store, as fresh copies them: yes/m and yes/d.db, ...
setup_file() {
	local d=$BATS_FILE_TMPDIR e

	mkdir -p "$d/cfg" "$d/yes" "$d/no" "$d/few" "$d/keys"
	echo 'n_estimators: 10' >"$d/cfg/model.yaml"
	echo 'min_samples: 200' >"$d/cfg/retrain.yaml"
	mm-train --synthetic --rows 1000 --models "$d/base" --config "$d/cfg" \
	    --now "$T0" >/dev/null
	evidence() {
		local e=$1

		shift
		mm-gen --batch-size 100 --seed 3 "$@" |
		    mm-predict --models "$d/base" |
		    mm-record --db "$d/$e/d.db" --config "$d/cfg" >/dev/null
		cp -a "$d/base" "$d/$e/m"
	}
	evidence yes --batches 5 --concept-at 0 --concept-strength 0.3
	evidence no --batches 5
	evidence few --batches 1 --concept-at 0 --concept-strength 0.3
	cat >"$d/key.py" <<'EOF'
# key.py DB [HORIZON [CAP]]: the retrain key of the evidence in DB up to
# HORIZON (default: all), computed as mm-exec(1) documents it: of the
# rows of the batches that end at or below HORIZON the newest CAP
# (default 10000), of those the ones with the newest row's feature
# names and a label that is a class (an integer from 0 to 999), oldest
# first; SHA-256 over batch_id NUL, row_index (int64), names NUL,
# features, label (int32), little-endian.
import hashlib, sqlite3, struct, sys

def key(path, top=2**62, cap=10000):
    db = sqlite3.connect(path)
    top = db.execute("SELECT max(id) FROM evidence_batch WHERE id <= ?",
        (top,)).fetchone()[0]
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
    return h.hexdigest()

if __name__ == "__main__":
    print(key(sys.argv[1], *map(int, sys.argv[2:])))
EOF
	# The keys of the evidence as fresh copies it (see fresh_key), all
	# in one python run: keys/yes, keys/yes.300, keys/yes.450.350 ...
	$PY - "$d" <<'EOF'
import sys
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[1])
from key import key
for e, args in (("yes", ()), ("yes", (300,)), ("yes", (450, 350)),
        ("yes", (400, 350)), ("no", ())):
    with open("%s/keys/%s" % (sys.argv[1], ".".join((e,) + tuple(map(str, args)))), "w") as f:
        f.write(key("%s/%s/d.db" % (sys.argv[1], e), *args) + "\n")
EOF
	# The batch predicts feeds mm-predict.
	mm-gen --batches 1 --batch-size 5 >"$d/batch.ndjson"
}

# fresh EVIDENCE: m is a copy of the store (A live), d.db of the evidence
# (one cp for both).
fresh() {
	cp -a "$BATS_FILE_TMPDIR/$1/." .
	FRESH=$1
}

ex() {
	mm-exec --db d.db --models m --config "$BATS_FILE_TMPDIR/cfg" \
	    --now "$T1" "$@"
}

# decision ACTION [METADATA]: a decision record for batch b1, in $DEC;
# dec prints it.
decision() {
	local meta='{}'

	[ $# -gt 1 ] && meta=$2
	printf -v DEC '{"batch_id":"b1","ts":%s,"decision":{"action":"%s","reason":"test","metadata":%s}}' \
	    "$T1" "$1" "$meta"
}

dec() {
	decision "$@"
	printf '%s\n' "$DEC"
}

# wrote VAR EXEC ACTION [METADATA]: in VAR, the record of dec ACTION
# [METADATA] with "exec":EXEC added at its end, as mm-exec writes it.
# (The tests feed mm-exec a file dec wrote and build what they expect in
# variables: a command substitution or < <(...) costs a process.)
wrote() {
	local var=$1 x=$2

	shift 2
	decision "$@"
	printf -v "$var" '%s' "${DEC%\}},\"exec\":$x}"
}

sql() {
	sqlite3 d.db "$1"
}

# key [HORIZON [CAP]]: the key of the evidence in d.db.
key() {
	$PY "$BATS_FILE_TMPDIR/key.py" d.db "$@"
}

# fresh_key VAR [HORIZON [CAP]]: in VAR, what key prints for d.db as
# fresh left it, worked out in setup_file: a python run saved, for a
# test that has not changed d.db since.
fresh_key() {
	local f=$BATS_FILE_TMPDIR/keys/$FRESH${2:+.$2}${3:+.$3}

	printf -v "$1" '%s' "$(<"$f")"
}

# files_under DIR: every file under DIR (find DIR -type f), added to the
# array files, in the order of bash's globs.
files_under() {
	local f

	for f in "$1"/* "$1"/.[!.]* "$1"/..?*; do
		if [[ -L $f ]]; then
			continue
		elif [[ -d $f ]]; then
			files_under "$f"
		elif [[ -f $f ]]; then
			files+=("$f")
		fi
	done
}

# store_state: every file of the store, with its SHA-256, in $STATE;
# state adds the database.  One sha256sum, where find | sort | xargs
# sha256sum in a command substitution cost six processes.
store_state() {
	local files=()

	files_under m
	files+=("$@")
	STATE=
	if ((${#files[@]})); then
		STATE=$(sha256sum "${files[@]}")
	fi
}

state() {
	store_state d.db
}

# What `run cat`, `run ls` and `run grep -o` leave in $output, and what
# grep -q and grep -c say, with builtins: a process each saved.

# file_output FILE: FILE's text in $output (run cat FILE).
file_output() {
	output=$(<"$1")
}

# ls_output [-A] DIR: the names in DIR, one a line (dot files last), in
# $output (run ls [-A] DIR).
ls_output() {
	local all='' f names=()

	if [ "$1" = -A ]; then
		all=1
		shift
	fi
	for f in "$1"/* ${all:+"$1"/.[!.]* "$1"/..?*}; do
		if [[ -e $f || -L $f ]]; then
			names+=("${f##*/}")
		fi
	done
	output=
	if ((${#names[@]})); then
		printf -v output '%s\n' "${names[@]}"
	fi
	output=${output%$'\n'}
}

# grep_output ERE: every match of ERE in the input, left to right, one a
# line, in $output (run grep -o).
grep_output() {
	local text

	IFS= read -r -d '' text || true
	grep_o "$1" "$text"
	output=$matches
}

# grep_count ERE FILE: the lines of FILE that ERE matches, counted in
# $output (run grep -c).
grep_count() {
	local l all n=0

	mapfile -t all <"$2"
	for l in "${all[@]}"; do
		if [[ $l =~ $1 ]]; then
			n=$((n + 1))
		fi
	done
	output=$n
}

# file_has ERE FILE: true if a line of FILE matches ERE (grep -q).
file_has() {
	local l all

	mapfile -t all <"$2"
	for l in "${all[@]}"; do
		[[ $l =~ $1 ]] && return 0
	done
	return 1
}

# hex_of TEXT: TEXT's bytes in hex, in $res (od -An -tx1 | tr -d ' \n').
hex_of() {
	local LC_ALL=C i c

	res=
	for ((i = 0; i < ${#1}; i++)); do
		printf -v c '%02x' "'${1:i:1}"
		res+=$c
	done
}

# card_f1 CARD: the F1 of the metrics in CARD, in $f1 (grep -o
# '"metrics":{[^}]*}' CARD | sed 's/.*"f1":\([^,}]*\).*/\1/').
card_f1() {
	local out=$output

	grep_output '"metrics":\{[^}]*\}' <"$1"
	f1=$output
	output=$out
	if [[ $f1 =~ ^.*\"f1\":([^,}]*).*$ ]]; then
		f1=${BASH_REMATCH[1]}
	fi
}

# train_b ARG...: version B, after A, with ARG (--activate or --stage).
train_b() {
	mm-train --synthetic --rows 1000 --seed 2 --models m \
	    --config "$BATS_FILE_TMPDIR/cfg" --now $((T0 + 60)) "$@" >/dev/null
}

@test "none and reject are recorded only, metadata byte for byte" {
	fresh yes
	store_state
	before=$STATE
	meta='{"f1": 0.50,"note":"caf\u00e9" , "n":1e3}'
	{ dec none "$meta"; dec reject; } >in
	run_split ex <in
	assert_success
	assert_equal "$stderr" ""
	wrote w1 '{"status":"executed","detail":"recorded","model_version":null,"retrain_key":null}' none "$meta"
	wrote w2 '{"status":"executed","detail":"recorded","model_version":null,"retrain_key":null}' reject
	assert_output "$w1
$w2"
	run sql "SELECT id, ts, source, action, reason, metadata, exec_status, exec_detail, quote(model_version), created_at FROM decision_history"
	assert_output "1|1764141000.0|b1|none|test|$meta|executed|recorded|NULL|1764141000.0
2|1764141000.0|b1|reject|test|{}|executed|recorded|NULL|1764141000.0"
	hex_of "$meta"
	run sql "SELECT metadata = CAST(x'$res' AS TEXT) FROM decision_history WHERE id = 1"
	assert_output 1
	store_state
	assert_equal "$STATE" "$before"
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
	dec rollback >in
	run_split ex <in
	assert_success
	assert_equal "$stderr" ""
	wrote want '{"status":"executed","detail":"rolled back from '$B' to '$A'","model_version":"'$A'","retrain_key":null}' rollback
	assert_output "$want"
	file_output m/active.json
	assert_output '{"version":"'$A'","previous_version":null,"metrics":{"baseline_f1":'$A_F1'},"promoted_at":"2025-11-26T07:10:00Z","rolled_back_from":"'$B'"}'
	run sql "SELECT action, exec_status, exec_detail, model_version FROM decision_history"
	assert_output "rollback|executed|rolled back from $B to $A|$A"
	store_state
	before=$STATE
	run_split ex <in
	assert_success
	wrote want '{"status":"skipped","detail":"no previous version to roll back to","model_version":null,"retrain_key":null}' rollback
	assert_output "$want"
	file_output m/active.json
	assert_output --partial '"version":"'$A'","previous_version":null'
	run sql "SELECT action, exec_status, exec_detail, quote(model_version) FROM decision_history WHERE id = 2"
	assert_output "rollback|skipped|no previous version to roll back to|NULL"
	# Only the database changed: one more history row.
	store_state
	assert_equal "$STATE" "$before"
}

@test "rollback with no live version is skipped" {
	fresh yes
	rm -rf m
	dec rollback >in
	run_split ex <in
	assert_success
	assert_equal "$stderr" ""
	wrote want '{"status":"skipped","detail":"no active version to roll back","model_version":null,"retrain_key":null}' rollback
	assert_output "$want"
	[ ! -e m ]
	run sql "SELECT action, exec_status, exec_detail FROM decision_history"
	assert_output "rollback|skipped|no active version to roll back"
}

@test "promote makes the staged candidate live; with nothing staged it is skipped" {
	fresh yes
	# Seed 3 does better than A: its F1 becomes the baseline.
	mm-train --synthetic --rows 1000 --seed 3 --models m \
	    --config "$BATS_FILE_TMPDIR/cfg" --now $((T0 + 60)) --stage >/dev/null
	dec promote >in
	run_split ex <in
	assert_success
	assert_equal "$stderr" ""
	wrote want '{"status":"executed","detail":"promoted '$B'","model_version":"'$B'","retrain_key":null}' promote
	assert_output "$want"
	file_output m/active.json
	assert_output '{"version":"'$B'","previous_version":"'$A'","metrics":{"baseline_f1":0.9504132231404959},"promoted_at":"2025-11-26T07:10:00Z"}'
	[ ! -e m/candidate.json ]
	run_split ex <in
	assert_success
	wrote want '{"status":"skipped","detail":"no staged candidate to promote","model_version":null,"retrain_key":null}' promote
	assert_output "$want"
	run sql "SELECT action, exec_status, exec_detail, quote(model_version) FROM decision_history"
	assert_output "promote|executed|promoted $B|'$B'
promote|skipped|no staged candidate to promote|NULL"
}

@test "retrain with fewer labelled rows than min_samples is skipped" {
	fresh few
	store_state
	before=$STATE
	dec retrain >in
	run_split ex <in
	assert_success
	assert_equal "$stderr" ""
	wrote want '{"status":"skipped","detail":"100 labelled rows of evidence, min_samples is 200","model_version":null,"retrain_key":null}' retrain
	assert_output "$want"
	run sql "SELECT count(*) FROM retrain_snapshots; SELECT count(*) FROM evidence; SELECT action, exec_status, exec_detail FROM decision_history"
	assert_output "0
100
retrain|skipped|100 labelled rows of evidence, min_samples is 200"
	store_state
	assert_equal "$STATE" "$before"
}

@test "retrain that passes the gate: a new live version, its key, the evidence consumed" {
	fresh yes
	fresh_key k
	dec retrain >in
	run_split ex <in
	assert_success
	assert_equal "$stderr" ""
	wrote want '{"status":"executed","detail":"retrained on 500 rows: '$X' active, F1 0.6250 against 0.4324 on 100 held-out rows","model_version":"'$X'","retrain_key":"'$k'"}' retrain
	assert_output "$want"
	ls_output -A m/versions
	assert_output "$A
$X"
	ls_output m/versions/$X
	assert_output "card.json
model.json
reference.json"
	[ -s m/versions/$X/reference.json ]
	grep_output '"retrain_key":"[^"]*"' <m/versions/$X/card.json
	assert_output '"retrain_key":"'$k'"'
	# Trained on 80% of the rows, scored on the other 20%.
	sum=$(sha256sum <m/versions/$X/reference.json)
	grep_output '"rows":\{[^}]*\}|"source":"[^"]*"|"validation":"[^"]*"|"reference_sha256":"[^"]*"' \
	    <m/versions/$X/card.json
	assert_output '"rows":{"train":400,"validation":100,"with_missing":0}
"source":"retrain on evidence"
"validation":"holdout"
"reference_sha256":"'"${sum%% *}"'"'
	card_f1 m/versions/$X/card.json
	assert_equal "$f1" 0.625
	file_output m/active.json
	assert_output '{"version":"'$X'","previous_version":"'$A'","metrics":{"baseline_f1":'$f1'},"promoted_at":"2025-11-26T07:10:00Z"}'
	run sql "SELECT key, status, n_rows, max_evidence_id, version, created_at, updated_at FROM retrain_snapshots; SELECT count(*) FROM evidence; SELECT source, action, reason, exec_status, model_version FROM decision_history"
	assert_output "$k|executed|500|500|$X|1764141000.0|1764141000.0
0
b1|retrain|test|executed|$X"
	# mm-predict follows the new version.
	predicts "$X"
}

@test "the snapshot holds the rows used and the newest evidence id" {
	fresh yes
	sql "DELETE FROM evidence_batch WHERE id <= 100"
	k=$(key)
	dec retrain >in
	run_split ex <in
	assert_success
	assert_output --partial '"retrain_key":"'$k'"}}'
	run sql "SELECT key, n_rows, max_evidence_id FROM retrain_snapshots"
	assert_output "$k|400|500"
}

@test "retrain whose gate says no: snapshot skipped, no version, evidence kept" {
	fresh no
	fresh_key k
	store_state
	before=$STATE
	dec retrain >in
	run_split ex <in
	assert_success
	assert_equal "$stderr" ""
	wrote want '{"status":"skipped","detail":"candidate F1 0.9263 does not beat the active model'"'"'s 0.9574 by min_f1_gain 0.02 on 100 held-out rows","model_version":null,"retrain_key":"'$k'"}' retrain
	assert_output "$want"
	run sql "SELECT key, status, n_rows, max_evidence_id, quote(version) FROM retrain_snapshots; SELECT count(*) FROM evidence; SELECT action, exec_status FROM decision_history"
	assert_output "$k|skipped|500|500|NULL
500
retrain|skipped"
	store_state
	assert_equal "$STATE" "$before"
}

@test "the same evidence twice: the second retrain is skipped" {
	fresh no
	dec retrain >in
	ex <in >/dev/null
	run_split ex <in
	assert_success
	wrote want '{"status":"skipped","detail":"this evidence was already used (snapshot skipped)","model_version":null,"retrain_key":"'"$(key)"'"}' retrain
	assert_output "$want"
	run sql "SELECT count(*) FROM retrain_snapshots; SELECT count(*) FROM evidence"
	assert_output "1
500"
	# Executed evidence is consumed; the same rows again are not used twice.
	rm -rf m d.db
	fresh yes
	fresh_key k
	dec retrain >in
	ex <in >/dev/null
	sql "ATTACH '$BATS_FILE_TMPDIR/yes/d.db' AS o; INSERT INTO evidence_batch SELECT * FROM o.evidence_batch"
	assert_equal "$(key)" "$k"
	run_split ex <in
	assert_success
	wrote want '{"status":"skipped","detail":"this evidence was already used (snapshot executed)","model_version":null,"retrain_key":"'$k'"}' retrain
	assert_output "$want"
	ls_output m/versions
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
	local re_f1='^.*"metrics":\{[^}]*"f1":([^,}]*).*$'

	# Configurations c0 and g*, and in t0/ the store and evidence that
	# each try starts from, copied in one cp.
	mkdir c0 t0 g0 g5e-10 g2e-9
	model=$(<"$BATS_FILE_TMPDIR/cfg/model.yaml")
	printf '%s\n' "$model" >c0/model.yaml
	echo 'min_samples: 40' >c0/retrain.yaml
	cp -a "$BATS_FILE_TMPDIR/base" t0/m
	act=$(mm-gen --batches 1 --batch-size 40 --seed 5 --concept-at 0 \
	    --concept-strength 0.3 | mm-predict --models t0/m |
	    mm-record --db t0/d.db --config c0)
	[[ $act =~ $re_f1 ]] && act=${BASH_REMATCH[1]}
	try() {
		rm -rf m d.db
		cp -a t0/. .
		dec retrain >in
		out=$(mm-exec --db d.db --models m --config "$1" --now "$T1" <in)
		grep_output '"status":"[a-z]*","detail":"[^"]*"' <<<"$out"
		printf '%s' "$output"
	}
	run try c0
	assert_output '"status":"executed","detail":"retrained on 40 rows: '$X' active, F1 0.7692 against 0.7317 on 40 held-out rows"'
	cand=$(<m/versions/$X/card.json)
	[[ $cand =~ $re_f1 ]] && cand=${BASH_REMATCH[1]}
	# min_f1_gain the difference, and 5e-10 and 2e-9 above it.
	mapfile -t gains < <($PY -c "for d in 0, 5e-10, 2e-9: print(repr($cand - $act + d))")
	i=0
	for d in 0 5e-10 2e-9; do
		printf '%s\n' "$model" >"g$d/model.yaml"
		printf 'min_samples: 40\nmin_f1_gain: %s\n' "${gains[i++]}" \
		    >"g$d/retrain.yaml"
	done
	run try g0
	assert_output --partial '"status":"executed"'
	run try g5e-10
	assert_output --partial '"status":"executed"'
	run try g2e-9
	assert_output '"status":"skipped","detail":"candidate F1 0.7692 does not beat the active model'"'"'s 0.7317 by min_f1_gain 0.03752 on 40 held-out rows"'
	ls_output m/versions
	assert_output "$A"
}

@test "a promoted candidate whose F1 is below the live baseline keeps the baseline" {
	fresh yes
	train_b --stage
	dec promote >in
	run_split ex <in
	assert_success
	assert_output --partial '"exec":{"status":"executed","detail":"promoted '$B'"'
	file_output m/active.json
	assert_output '{"version":"'$B'","previous_version":"'$A'","metrics":{"baseline_f1":'$A_F1'},"promoted_at":"2025-11-26T07:10:00Z"}'
	file_has '"f1":'$B_F1'\}' m/versions/$B/card.json
}

@test "stale decisions are skipped; a none is recorded all the same" {
	fresh yes
	train_b --stage
	store_state
	before=$STATE
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
	wrote w1 "${stale}null}" rollback "$old"
	wrote w2 "${stale}null}" promote "$old"
	wrote w3 "${stale}\"$(key)\"}" retrain "$old"
	wrote w4 '{"status":"executed","detail":"recorded","model_version":null,"retrain_key":null}' none "$old"
	assert_output "$w1
$w2
$w3
$w4"
	store_state
	assert_equal "$STATE" "$before"
	run sql "SELECT action, exec_status, metadata FROM decision_history; SELECT count(*) FROM retrain_snapshots; SELECT count(*) FROM evidence"
	assert_output "rollback|skipped|$old
promote|skipped|$old
retrain|skipped|$old
none|executed|$old
0
500"
	# Decided while A was live, it goes ahead.
	dec promote '{"model_version":"'$A'"}' >in
	run_split ex <in
	assert_success
	assert_output --partial '"exec":{"status":"executed","detail":"promoted '$B'"'
}

# d.db holds batches b000000 to b000004 (100 labelled rows each, ids 1 to
# 500); mm-decide sees b000002 to b000004 and decides to retrain on the
# first.  Its horizon is the newest row of b000002: 300 rows.
@test "decisions of mm-decide are carried out on the evidence up to their batch; replayed later, they are stale" {
	fresh yes
	mapfile -t gen < <(mm-gen --batches 5 --batch-size 100 --seed 3 \
	    --concept-at 0 --concept-strength 0.3)
	# Its batches 3 to 5 (sed -n 3,5p).
	printf -v batches '%s\n' "${gen[@]:2:3}"
	mm-predict --models m <<<"${batches%$'\n'}" |
	    mm-decide --baseline-f1 0.7 --models m --config "$BATS_FILE_TMPDIR/cfg" >dec.ndjson
	run_split ex <dec.ndjson
	assert_success
	assert_equal "$stderr" ""
	grep_output '"decision":\{"action":"[a-z]*"|"exec":\{"status":"[a-z]*","detail":"[^,]*' <<<"$output"
	assert_output '"decision":{"action":"retrain"
"exec":{"status":"executed","detail":"retrained on 300 rows: '$X' active
"decision":{"action":"none"
"exec":{"status":"executed","detail":"recorded"
"decision":{"action":"none"
"exec":{"status":"executed","detail":"recorded"'
	run sql "SELECT source, action, exec_status, quote(model_version) FROM decision_history; SELECT n_rows, max_evidence_id FROM retrain_snapshots; SELECT min(id), count(*) FROM evidence"
	assert_output "b000002|retrain|executed|'$X'
b000003|none|executed|NULL
b000004|none|executed|NULL
300|300
301|200"
	# On new evidence, the same decisions are stale: X is live now.
	mapfile -t gen < <(mm-gen --batches 2 --batch-size 100 --seed 4 --start $T1)
	# Batch ids n00000..., not b00000... (sed 's/"batch_id":"b/"batch_id":"n/').
	printf -v batches '%s\n' "${gen[@]/\"batch_id\":\"b/\"batch_id\":\"n}"
	mm-predict --models m <<<"${batches%$'\n'}" | mm-record --db d.db \
	    --config "$BATS_FILE_TMPDIR/cfg" >/dev/null
	run_split ex <dec.ndjson
	assert_success
	assert_line --index 0 --partial '"exec":{"status":"skipped","detail":"stale: decided while '$A' was live, '$X' is live now","model_version":null,"retrain_key":null}'
	ls_output m/versions
	assert_output "$A
$X"
}

@test "--dry-run changes nothing and says what it would do" {
	fresh yes
	train_b --activate
	mm-train --synthetic --rows 1000 --seed 3 --models m \
	    --config "$BATS_FILE_TMPDIR/cfg" --now $((T0 + 120)) --stage >/dev/null
	C=20251126T065520Z
	fresh_key k
	for a in none reject rollback promote retrain; do dec $a; done >in
	state
	before=$STATE
	run_split ex --dry-run <in
	assert_success
	assert_equal "$stderr" ""
	wrote w1 '{"status":"dry_run","detail":"would record","model_version":null,"retrain_key":null}' none
	wrote w2 '{"status":"dry_run","detail":"would record","model_version":null,"retrain_key":null}' reject
	wrote w3 '{"status":"dry_run","detail":"would roll back from '$B' to '$A'","model_version":null,"retrain_key":null}' rollback
	wrote w4 '{"status":"dry_run","detail":"would promote '$C'","model_version":null,"retrain_key":null}' promote
	wrote w5 '{"status":"dry_run","detail":"would retrain on 500 labelled rows","model_version":null,"retrain_key":"'$k'"}' retrain
	assert_output "$w1
$w2
$w3
$w4
$w5"
	state
	assert_equal "$STATE" "$before"
	run_split ex -n <in
	assert_success
	state
	assert_equal "$STATE" "$before"
	# Opening a database that is not there creates it, and that is all.
	run_split mm-exec --dry-run --db new.db --models m --config "$BATS_FILE_TMPDIR/cfg" <in
	assert_success
	run sqlite3 new.db "SELECT count(*) FROM decision_history; SELECT count(*) FROM retrain_snapshots"
	assert_output "0
0"
}

@test "--dry-run says what it would skip" {
	fresh no
	dec retrain >in
	ex <in >/dev/null
	rm m/active.json
	state
	before=$STATE
	{ dec rollback; dec promote; dec retrain; } >in
	run_split ex -n <in
	assert_success
	assert_equal "$stderr" ""
	wrote w1 '{"status":"dry_run","detail":"would skip: no active version to roll back","model_version":null,"retrain_key":null}' rollback
	wrote w2 '{"status":"dry_run","detail":"would skip: no staged candidate to promote","model_version":null,"retrain_key":null}' promote
	wrote w3 '{"status":"dry_run","detail":"would skip: this evidence was already used (snapshot skipped)","model_version":null,"retrain_key":"'"$(key)"'"}' retrain
	assert_output "$w1
$w2
$w3"
	state
	assert_equal "$STATE" "$before"
	cp "$BATS_FILE_TMPDIR/few/d.db" d.db
	dec retrain >in
	run_split ex -n <in
	assert_success
	wrote want '{"status":"dry_run","detail":"would skip: 100 labelled rows of evidence, min_samples is 200","model_version":null,"retrain_key":null}' retrain
	assert_output "$want"
	cp "$BATS_FILE_TMPDIR/base/active.json" m/
	train_b --activate
	state
	before=$STATE
	dec rollback '{"model_version":"v0"}' >in
	run_split ex -n <in
	assert_success
	wrote want '{"status":"dry_run","detail":"would skip: stale: decided while v0 was live, '$B' is live now","model_version":null,"retrain_key":null}' rollback '{"model_version":"v0"}'
	assert_output "$want"
	state
	assert_equal "$STATE" "$before"
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
	assert_equal "$(<seen.txt)" '3
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
	mapfile -t seen_lines <seen.txt
	assert_equal "${#seen_lines[@]}" 4
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
	assert_equal "$output" "$(<in)"
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
	{ dec none; echo '{"decision":{"action":"restart"}}'; dec reject; } >in
	run_split ex <in
	assert_failure 2
	wrote want '{"status":"executed","detail":"recorded","model_version":null,"retrain_key":null}' none
	assert_output "$want"
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
	{ dec none; printf '{"batch_id":"b2","decision":{"act'; } >in.ndjson
	run_split ex <in.ndjson
	assert_failure 2
	wrote want '{"status":"executed","detail":"recorded","model_version":null,"retrain_key":null}' none
	assert_output "$want"
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
	{ dec retrain; echo 'not json'; dec none; } >in
	run_split ex --skip-bad <in
	assert_success
	assert_equal "$stderr" "mm-exec: skipped 1 bad record"
	assert_line --index 0 --partial '"exec":{"status":"executed","detail":"retrained on 500 rows: '$X' active, F1 0.6250 against 0.0000 on 100 held-out rows"'
	assert_line --index 1 --partial '"exec":{"status":"executed","detail":"recorded"'
	file_output m/active.json
	assert_output --partial '{"version":"'$X'","previous_version":null,'
}

@test "a --db that is not SQLite: exit 3, nothing written" {
	fresh yes
	echo 'not a database' >bad.db
	dec none >in
	run_split mm-exec --db bad.db --models m <in
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-exec: bad.db: database error: not an SQLite database"
	file_output bad.db
	assert_output 'not a database'
}

@test "a corrupt active.json: exit 3" {
	fresh yes
	echo '{"version":' >m/active.json
	dec rollback >in
	run_split ex <in
	assert_failure 3
	assert_output ""
	assert_equal "${stderr%%: corrupt: *}" "mm-exec: m/active.json"
}

# The evidence horizon.  d.db holds batches b000000 to b000004, recorded
# at 1764140000 + 60 i, 100 labelled rows each: ids 1 to 500.

@test "a retrain uses the rows up to its decision's evidence_horizon, and consumes only those" {
	fresh yes
	fresh_key k 300
	fresh_key k_all
	[ "$k" != "$k_all" ]
	dec retrain '{"evidence_horizon":300}' >in
	run_split ex <in
	assert_success
	assert_equal "$stderr" ""
	assert_output --partial '"exec":{"status":"executed","detail":"retrained on 300 rows: '$X' active, F1 '
	assert_output --partial '"retrain_key":"'$k'"}}'
	run sql "SELECT key, status, n_rows, max_evidence_id, version FROM retrain_snapshots; SELECT min(id), max(id), count(*) FROM evidence"
	assert_output "$k|executed|300|300|$X
301|500|200"
	file_has '"retrain_key":"'$k'"' m/versions/$X/card.json
}

@test "without one in the metadata, mm-exec finds the horizon: the decision's batch, a window's ts" {
	fresh yes
	{
		decision retrain '{"evidence_horizon":null}'
		printf '%s\n' "${DEC/\"b1\"/\"b000002\"}"
		printf '{"window":"5m","ts":1764140120.0,"decision":{"action":"retrain","reason":"test"}}\n'
		printf '{"window":"1h","ts":1764139999,"decision":{"action":"retrain","reason":"test"}}\n'
		# A batch never recorded: every row.
		dec retrain
	} >in
	state
	before=$STATE
	fresh_key k300 300
	fresh_key k
	run_split ex -n <in
	assert_success
	assert_equal "$stderr" ""
	grep_output '"exec":\{[^}]*\}' <<<"$output"
	assert_output '"exec":{"status":"dry_run","detail":"would retrain on 300 labelled rows","model_version":null,"retrain_key":"'"$k300"'"}
"exec":{"status":"dry_run","detail":"would retrain on 300 labelled rows","model_version":null,"retrain_key":"'"$k300"'"}
"exec":{"status":"dry_run","detail":"would skip: 0 labelled rows of evidence, min_samples is 200","model_version":null,"retrain_key":null}
"exec":{"status":"dry_run","detail":"would retrain on 500 labelled rows","model_version":null,"retrain_key":"'"$k"'"}'
	state
	assert_equal "$STATE" "$before"
}

@test "of the rows up to the horizon, the newest buffer_rows, as mm-record keeps them" {
	fresh yes
	mkdir c
	printf '%s\n' "$(<"$BATS_FILE_TMPDIR/cfg/model.yaml")" >c/model.yaml
	printf 'min_samples: 200\nbuffer_rows: 350\n' >c/retrain.yaml
	# Batches end at rows 100, 200, ... 500: a horizon of 450 takes
	# those ending at or below it, and of them the newest 350 rows,
	# 51 to 400.
	fresh_key k 450 350
	fresh_key k400 400 350
	assert_equal "$k" "$k400"
	dec retrain '{"evidence_horizon":450}' >in
	run_split mm-exec --db d.db --models m --config c --now "$T1" <in
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
	for h in '"300"' -1 1.5 true 1e400; do
		{ dec none; dec retrain "{\"evidence_horizon\":$h}"; } >in
		run_split ex <in
		assert_failure 2
		wrote want '{"status":"executed","detail":"recorded","model_version":null,"retrain_key":null}' none
		assert_output "$want"
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
	dec retrain >in
	run_split ex <in
	assert_success
	assert_equal "$stderr" ""
	assert_output --partial '"exec":{"status":"executed","detail":"retrained on 300 rows: '$X' active, F1 '
	assert_output --partial 'against 0.0000 on 60 held-out rows"'
	grep_count '"f299"' m/versions/$X/model.json
	assert_output 1
}

# corrupt_page DB N: the N-th overflow page of DB's evidence (a batch's
# values) that leads on to another points past the file's end instead.
corrupt_page() {
	local db=$1 n=$2 page size

	# One sqlite3 (where three and an od(1) a page were): after the
	# checkpoint, the page size and that page, its first four bytes (the
	# next page's number) read with readfile().
	page=$(sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' \
	    "SELECT p.page_size, s.pageno FROM dbstat AS s, pragma_page_size AS p
	    WHERE s.name = 'evidence_batch' AND s.pagetype = 'overflow'
	    AND substr(readfile('$db'), (s.pageno - 1) * p.page_size + 1, 4)
	    != x'00000000' ORDER BY s.pageno LIMIT 1 OFFSET $n")
	page=${page##*$'\n'}
	# The checkpoint's line is three numbers: none found if it is last.
	[[ $page =~ ^[0-9]+\|[0-9]+$ ]] || fail "no such overflow page"
	size=${page%|*}
	page=${page#*|}
	dd of="$db" bs=1 count=1 seek=$(((page - 1) * size)) conv=notrunc \
	    2>/dev/null <<<$'\377'
}

# Found in review: a read error part-way through the evidence ended the
# scan, and the retrain went ahead on part of it, under its key.
@test "an evidence table that cannot be read to the end: exit 3, nothing written" {
	fresh yes
	corrupt_page d.db 2
	store_state
	before=$STATE
	{ dec none; dec retrain; dec none; } >in
	run_split ex <in
	assert_failure 3
	wrote want '{"status":"executed","detail":"recorded","model_version":null,"retrain_key":null}' none
	assert_output "$want"
	assert_equal "$stderr" "mm-exec: d.db: cannot read evidence: database disk image is malformed"
	store_state
	assert_equal "$STATE" "$before"
	run sql "SELECT count(*) FROM retrain_snapshots; SELECT action FROM decision_history"
	assert_output "0
none"
	dec retrain >in
	run_split ex -n <in
	assert_failure 3
	assert_equal "$stderr" "mm-exec: d.db: cannot read evidence: database disk image is malformed"
}

# Found in review: a corrupt active.json was taken for "nothing live", so
# the gate compared the candidate with nothing; the new version was then
# written, and the run failed making it live.
@test "a corrupt active.json stops a retrain before anything is written: exit 3" {
	fresh yes
	echo '{"version":' >m/active.json
	state
	before=$STATE
	dec retrain >in
	run_split ex <in
	assert_failure 3
	assert_output ""
	assert_equal "${stderr%%: corrupt: *}" "mm-exec: m/active.json"
	state
	assert_equal "$STATE" "$before"
	ls_output m/versions
	assert_output "$A"
	run_split ex -n <in
	assert_failure 3
	assert_equal "${stderr%%: corrupt: *}" "mm-exec: m/active.json"
}

# Found in review: a rollback to a version whose directory is gone exited
# 2 and stopped the stream.
@test "a rollback to a version that is not in the store is skipped, and the stream goes on" {
	fresh yes
	train_b --activate
	rm -rf "m/versions/$A"
	store_state
	before=$STATE
	{ dec rollback; dec none; } >in
	run_split ex <in
	assert_success
	assert_equal "$stderr" ""
	wrote w1 '{"status":"skipped","detail":"previous version '$A' is not in the store","model_version":null,"retrain_key":null}' rollback
	wrote w2 '{"status":"executed","detail":"recorded","model_version":null,"retrain_key":null}' none
	assert_output "$w1
$w2"
	store_state
	assert_equal "$STATE" "$before"
	run sql "SELECT action, exec_status, exec_detail FROM decision_history"
	assert_output "rollback|skipped|previous version $A is not in the store
none|executed|recorded"
	dec rollback >in
	run_split ex -n <in
	assert_success
	assert_output --partial '"detail":"would skip: previous version '$A' is not in the store"'
}

@test "a promote of a candidate that is not in the store is skipped" {
	fresh yes
	train_b --stage
	rm -rf "m/versions/$B"
	store_state
	before=$STATE
	{ dec promote; dec none; } >in
	run_split ex <in
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 --partial '"exec":{"status":"skipped","detail":"staged candidate '$B' is not in the store"'
	assert_line --index 1 --partial '"exec":{"status":"executed","detail":"recorded"'
	store_state
	assert_equal "$STATE" "$before"
}

@test "--fail-on reject: exit 1 once every record is carried out and written" {
	fresh yes
	{ dec none; dec reject; dec none; } >in
	run_split ex --fail-on reject <in
	assert_failure 1
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 3
	wrote want '{"status":"executed","detail":"recorded","model_version":null,"retrain_key":null}' reject
	assert_line --index 1 "$want"
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
# (The batch, mm-gen --batches 1 --batch-size 5, is made in setup_file.)
predicts() {
	run_split mm-predict --models m <"$BATS_FILE_TMPDIR/batch.ndjson"
	assert_success
	assert_equal "$stderr" ""
	grep_output '"model_version":"[^"]*"' <<<"$output"
	assert_output '"model_version":"'$1'"'
}

# Found in review: one label of 1500 in the evidence made a retrain
# train and activate a 1501-class model that mm-predict refused to load
# (exit 3): production down.
@test "a label of 1500 in the evidence: its row is left out and counted, the retrain goes ahead" {
	fresh yes
	fresh_key k
	bad_row 1500
	assert_equal "$(key)" "$k"
	dec retrain >in
	run_split ex <in
	assert_success
	assert_equal "$stderr" ""
	detail="retrained on 500 rows: $X active, F1 0.6250 against 0.4324 on 100 held-out rows; left out 1 row of evidence whose label is not a class from 0 to 999 (evidence id 501: 1500)"
	wrote want '{"status":"executed","detail":"'"$detail"'","model_version":"'$X'","retrain_key":"'$k'"}' retrain
	assert_output "$want"
	grep_output '"classes":[0-9]*|"retrain_key":"[^"]*","skipped_bad_label":[0-9]*' \
	    <m/versions/$X/card.json
	assert_output '"classes":2
"retrain_key":"'$k'","skipped_bad_label":1'
	grep_output '^\{"version":"[^"]*"' <m/active.json
	assert_output '{"version":"'$X'"'
	# The row left out went with the evidence it came with.
	run sql "SELECT key, status, n_rows, max_evidence_id, version FROM retrain_snapshots; SELECT count(*) FROM evidence; SELECT action, exec_status, exec_detail, model_version FROM decision_history"
	assert_output "$k|executed|500|501|$X
0
retrain|executed|$detail|$X"
	predicts "$X"
	# Run again: nothing left to retrain on, and the same rows again
	# are not used twice.
	run_split ex <in
	assert_success
	assert_output --partial '"exec":{"status":"skipped","detail":"0 labelled rows of evidence, min_samples is 200","model_version":null,"retrain_key":null}'
	sql "ATTACH '$BATS_FILE_TMPDIR/yes/d.db' AS o; INSERT INTO evidence_batch SELECT * FROM o.evidence_batch"
	bad_row 1500
	dec retrain '{"model_version":"'$X'"}' >in
	run_split ex <in
	assert_success
	assert_equal "$stderr" ""
	assert_output --partial '"exec":{"status":"skipped","detail":"this evidence was already used (snapshot executed)","model_version":null,"retrain_key":"'$k'"}'
	ls_output m/versions
	assert_output "$A
$X"
}

# Found in review: a label of 1000000 ran 66 s, took 1.8 GB and aborted,
# leaving the snapshot pending, so every later run tried again.
@test "a label of 1000000 in the evidence: left out at once, the gate decides, no retry" {
	fresh no
	fresh_key k
	bad_row 1000000
	store_state
	before=$STATE
	SECONDS=0
	dec retrain >in
	run_split ex <in
	[ "$SECONDS" -lt 20 ] || fail "took $SECONDS s"
	assert_success
	assert_equal "$stderr" ""
	detail="candidate F1 0.9263 does not beat the active model's 0.9574 by min_f1_gain 0.02 on 100 held-out rows; left out 1 row of evidence whose label is not a class from 0 to 999 (evidence id 501: 1000000)"
	wrote want "{\"status\":\"skipped\",\"detail\":\"$detail\",\"model_version\":null,\"retrain_key\":\"$k\"}" retrain
	assert_output "$want"
	store_state
	assert_equal "$STATE" "$before"
	run sql "SELECT key, status, n_rows, max_evidence_id, quote(version), detail FROM retrain_snapshots; SELECT count(*) FROM evidence"
	assert_output "$k|skipped|500|501|NULL|$detail
501"
	predicts "$A"
	# A second run does not try again.
	run_split ex <in
	assert_success
	assert_equal "$stderr" ""
	wrote want '{"status":"skipped","detail":"this evidence was already used (snapshot skipped)","model_version":null,"retrain_key":"'$k'"}' retrain
	assert_output "$want"
	run sql "SELECT exec_status, exec_detail FROM decision_history"
	assert_output "skipped|$detail
skipped|this evidence was already used (snapshot skipped)"
	store_state
	assert_equal "$STATE" "$before"
}

@test "labels that are not a class from 0 to 999 are left out, whatever they are; 999 is one" {
	fresh yes
	for l in -1 1000 2.5 "'x'" 4294967296; do bad_row "$l"; done
	dec retrain >in
	run_split ex -n <in
	assert_success
	assert_equal "$stderr" ""
	wrote want '{"status":"dry_run","detail":"would retrain on 500 labelled rows; left out 5 rows of evidence whose label is not a class from 0 to 999 (evidence id 501: -1)","model_version":null,"retrain_key":"'"$(key)"'"}' retrain
	assert_output "$want"
	bad_row 999
	run_split ex -n <in
	assert_success
	assert_output --partial '"detail":"would retrain on 501 labelled rows; left out 5 rows of evidence whose label is not a class from 0 to 999 (evidence id 501: -1)"'
	cp "$BATS_FILE_TMPDIR/few/d.db" d.db
	bad_row 1500 100
	run_split ex <in
	assert_success
	wrote want '{"status":"skipped","detail":"100 labelled rows of evidence, min_samples is 200; left out 1 row of evidence whose label is not a class from 0 to 999 (evidence id 101: 1500)","model_version":null,"retrain_key":null}' retrain
	assert_output "$want"
}

# A version that does not load is never made live.  Here a retrain dies
# after writing its version, and the version is damaged before the run
# that would complete the retrain.
@test "a retrain's version that does not load is not made live; the retrain fails for good" {
	fresh yes
	fresh_key k
	dec retrain >in
	run_split env MM_FAULT=exec-version-written mm-exec --db d.db --models m \
	    --config "$BATS_FILE_TMPDIR/cfg" --now "$T1" <in
	assert_failure 137
	printf ' ' >>m/versions/$X/model.json
	store_state
	before=$STATE
	run_split ex <in
	assert_success
	why="m/versions/$X/model.json: corrupt: does not match the checksum in card.json (edited or truncated?)"
	detail="version $X of an interrupted retrain does not load; not made live: $why"
	assert_equal "$stderr" "mm-exec: b1: retrain failed: $detail"
	wrote want '{"status":"failed","detail":"'"$detail"'","model_version":null,"retrain_key":"'$k'"}' retrain
	assert_output "$want"
	store_state
	assert_equal "$STATE" "$before"
	grep_output '^\{"version":"[^"]*"' <m/active.json
	assert_output '{"version":"'$A'"'
	run sql "SELECT key, status, n_rows, max_evidence_id, quote(version), detail FROM retrain_snapshots; SELECT count(*) FROM evidence; SELECT action, exec_status, exec_detail, quote(model_version) FROM decision_history"
	assert_output "$k|failed|500|500|NULL|$detail
500
retrain|failed|$detail|NULL"
	predicts "$A"
	# Final: a second run does not try again.
	run_split ex <in
	assert_success
	assert_equal "$stderr" ""
	wrote want '{"status":"skipped","detail":"a retrain on this evidence failed, and is not tried again: '"$detail"'","model_version":null,"retrain_key":"'$k'"}' retrain
	assert_output "$want"
	store_state
	assert_equal "$STATE" "$before"
	run sql "SELECT status FROM retrain_snapshots; SELECT count(*) FROM decision_history"
	assert_output "failed
2"
}

@test "a promote of a candidate whose model.json is corrupt is refused: active.json unchanged" {
	fresh yes
	train_b --stage
	printf ' ' >>m/versions/$B/model.json
	store_state
	before=$STATE
	why="m/versions/$B/model.json: corrupt: does not match the checksum in card.json (edited or truncated?)"
	{ dec promote; dec none; } >in
	run_split ex <in
	assert_success
	assert_equal "$stderr" "mm-exec: b1: promote failed: staged candidate $B does not load; not promoted: $why"
	wrote w1 '{"status":"failed","detail":"staged candidate '$B' does not load; not promoted: '"$why"'","model_version":null,"retrain_key":null}' promote
	wrote w2 '{"status":"executed","detail":"recorded","model_version":null,"retrain_key":null}' none
	assert_output "$w1
$w2"
	store_state
	assert_equal "$STATE" "$before"
	run sql "SELECT action, exec_status, exec_detail, quote(model_version) FROM decision_history"
	assert_output "promote|failed|staged candidate $B does not load; not promoted: $why|NULL
none|executed|recorded|NULL"
	dec promote >in
	run_split ex -n <in
	assert_success
	assert_output --partial '"exec":{"status":"dry_run","detail":"would fail: staged candidate '$B' does not load; not promoted: '"$why"'"'
	# mm-models refuses it as well: exit 3, the version named.
	run_split mm-models --models m --now "$T1" promote
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-models: $B does not load; not promoted: $why"
	store_state
	assert_equal "$STATE" "$before"
	predicts "$A"
	# A model.json that is not a model at all, its checksum right.
	cp -a "$BATS_FILE_TMPDIR/base" m2
	mm-train --synthetic --rows 1000 --seed 2 --models m2 \
	    --config "$BATS_FILE_TMPDIR/cfg" --now $((T0 + 60)) --stage >/dev/null
	echo '{"format":"mm-forest/1"}' >m2/versions/$B/model.json
	sum=$(sha256sum <m2/versions/$B/model.json)
	# sed -i 's/"model_sha256":"[0-9a-f]*"/"model_sha256":"SUM"/'
	IFS= read -r -d '' card <m2/versions/$B/card.json || true
	[[ $card =~ \"model_sha256\":\"[0-9a-f]*\" ]]
	printf '%s' "${card/"${BASH_REMATCH[0]}"/\"model_sha256\":\"${sum%% *}\"}" \
	    >m2/versions/$B/card.json
	before=$(<m2/active.json)
	run_split mm-models --models m2 promote
	assert_failure 3
	assert_equal "$stderr" "mm-models: $B does not load; not promoted: m2/versions/$B/model.json: not an mm model: features, classes or trees missing"
	assert_equal "$(<m2/active.json)" "$before"
}

@test "a rollback to a version whose model.json is corrupt is refused: active.json unchanged" {
	fresh yes
	train_b --activate
	printf ' ' >>m/versions/$A/model.json
	store_state
	before=$STATE
	why="m/versions/$A/model.json: corrupt: does not match the checksum in card.json (edited or truncated?)"
	dec rollback >in
	run_split ex <in
	assert_success
	assert_equal "$stderr" "mm-exec: b1: rollback failed: previous version $A does not load; not rolled back: $why"
	wrote want '{"status":"failed","detail":"previous version '$A' does not load; not rolled back: '"$why"'","model_version":null,"retrain_key":null}' rollback
	assert_output "$want"
	store_state
	assert_equal "$STATE" "$before"
	run sql "SELECT action, exec_status FROM decision_history"
	assert_output "rollback|failed"
	for v in "" "$A"; do
		run_split mm-models --models m rollback $v
		assert_failure 3
		assert_output ""
		assert_equal "$stderr" "mm-models: $A does not load; not rolled back to: $why"
	done
	store_state
	assert_equal "$STATE" "$before"
	predicts "$B"
}

@test "a retrain keeps the live version's classes: --positive 0 stays class 0" {
	mm-gen --batches 10 --batch-size 100 --seed 1 |
	    mm-train --models m --config "$BATS_FILE_TMPDIR/cfg" --positive 0 \
	    --now "$T0" >/dev/null
	file_has '"classes":\[1,0\],"positive":0\}' m/versions/$A/model.json
	mm-gen --batch-size 100 --seed 3 --batches 5 --concept-at 0 \
	    --concept-strength 0.3 | mm-predict --models m |
	    mm-record --db d.db --config "$BATS_FILE_TMPDIR/cfg" >/dev/null
	dec retrain >in
	run_split ex <in
	assert_success
	assert_output --partial '"exec":{"status":"executed","detail":"retrained on 500 rows: '$X' active'
	file_has '"classes":\[1,0\],"positive":0\}' m/versions/$X/model.json
	file_has '"class_balance":\{"1":[0-9]*,"0":[0-9]*\}' m/versions/$X/card.json
	# The new baseline is class 0's F1, as the card says.
	card_f1 m/versions/$X/card.json
	file_has '"baseline_f1":'"$f1"'\}' m/active.json
}
