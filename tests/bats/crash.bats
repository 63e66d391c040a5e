#!/usr/bin/env bats
# The model store is crash safe.  Every command that changes it is killed
# (SIGKILL, through MM_FAULT) at every fault point in lib/store.c: the
# store is then in the state before the command or the state after it,
# never a mix, every version is complete, and readers work.  Running the
# command again ends in the state a run that was never killed gives.
# Changes wait for the store's lock, so racing commands never both act.
# (mm-exec's retrains are killed at every point in exactly-once.bats.)

bats_require_minimum_version 1.5.0
load helper

PY=/usr/bin/python3

POINTS="version-file-written version-tmp-complete version-renamed
active-tmp-written active-renamed candidate-tmp-written candidate-renamed
promote-activated candidate-removed"

# A, B and C are in the full store: C staged, B active, A before it.
# Commands run at T4, when a version they write is X.
T1=1764140000
T2=$((T1 + 3600))
T3=$((T1 + 7200))
T4=$((T1 + 10800))
A=20251126T065320Z
B=20251126T075320Z
C=20251126T085320Z
X=20251126T095320Z

setup_file() {
	local d=$BATS_FILE_TMPDIR

	store_start
	mkdir -p "$d/cfg"
	echo 'n_estimators: 10' >"$d/cfg/model.yaml"
	train() {
		mm-train --synthetic --rows 300 --config "$d/cfg" \
		    --models "$d/full" "$@" >/dev/null
	}
	train --now "$T1"
	train --now "$T2" --activate
	train --now "$T3" --stage
	mm-gen --batches 1 --batch-size 20 --seed 7 >"$d/batch"
	cat >"$d/check.py" <<'EOF'
# check.py INDEX: for each line "STORE<TAB>WHAT" of INDEX, every version
# in STORE/versions whose name does not start with '.' is complete,
# active.json and candidate.json name complete versions, and the listing
# STORE.list (mm-models list) names exactly those.  Each error is said
# with its WHAT.
import hashlib, json, os, sys


def check(store, listing):
    errs, complete = [], []
    vdir = os.path.join(store, "versions")
    for n in sorted(os.listdir(vdir)) if os.path.isdir(vdir) else []:
        if n.startswith("."):
            continue
        p = os.path.join(vdir, n)
        files = sorted(os.listdir(p)) if os.path.isdir(p) else None
        if files != ["card.json", "model.json", "reference.json"]:
            errs.append("version %s holds %s" % (n, files))
            continue
        try:
            body = {f: open(os.path.join(p, f), "rb").read() for f in files}
            card = json.loads(body["card.json"])
            json.loads(body["model.json"])
            json.loads(body["reference.json"])
        except ValueError as e:
            errs.append("version %s: %s" % (n, e))
            continue
        for f, key in (("model.json", "model_sha256"),
                       ("reference.json", "reference_sha256")):
            h = hashlib.sha256(body[f]).hexdigest()
            if card.get(key) != h:
                errs.append("version %s: %s has sha256 %s, the card says %s"
                            % (n, f, h, card.get(key)))
        complete.append(n)
    for f in ("active.json", "candidate.json"):
        p = os.path.join(store, f)
        if not os.path.exists(p):
            continue
        try:
            o = json.load(open(p))
        except ValueError as e:
            errs.append("%s: %s" % (f, e))
            continue
        if o.get("version") not in complete:
            errs.append("%s names %r, no complete version" % (f, o.get("version")))
        prev = o.get("previous_version")
        if f == "active.json" and prev is not None and prev not in complete:
            errs.append("active.json: previous %r is no complete version" % prev)
    lines = [json.loads(l) for l in open(listing)]
    if [l.get("version") for l in lines] != complete:
        errs.append("mm-models list gives %s, the complete versions are %s"
                    % ([l.get("version") for l in lines], complete))
    errs += ["mm-models list: %s" % l for l in lines if "error" in l]
    return errs


errs = []
for entry in open(sys.argv[1]):
    store, what = entry.rstrip("\n").split("\t", 1)
    errs += ["%s: %s" % (what, e) for e in check(store, store + ".list")]
print("\n".join(errs))
sys.exit(1 if errs else 0)
EOF
}

teardown_file() {
	store_stop
}

# The stores sound kept in the test, checked: one python3 for them all.
teardown() {
	[ -f "$BATS_TEST_TMPDIR/sound.idx" ] || return 0
	run $PY "$BATS_FILE_TMPDIR/check.py" "$BATS_TEST_TMPDIR/sound.idx"
	[ "$status" = 0 ] || fail "$output"
}

# in_store FAULT DIR PROG ARG...: PROG --models DIR ARG..., killed at FAULT.
in_store() {
	local fault=$1 dir=$2 prog=$3

	shift 3
	MM_FAULT=$fault "$prog" --models "$dir" "$@"
}

# copy START DIR: DIR/m is a copy of the full store, or absent (empty).
copy() {
	rm -rf "$2"
	mkdir "$2"
	[ "$1" = empty ] || cp -a "$BATS_FILE_TMPDIR/$1" "$2/m"
}

# same FILE1 FILE2: both absent, or both there with the same bytes.
same() {
	if [ -e "$1" ] || [ -e "$2" ]; then
		cmp -s "$1" "$2"
	fi
}

# Output without the timings, which change from run to run (in bash: a
# sed here ran a thousand times a run).
untimed() {
	local s=$1 re=',"timings":\{[^}]*\}'

	while [[ $s =~ $re ]]; do
		s=${s/"${BASH_REMATCH[0]}"/}
	done
	printf '%s\n' "$s"
}

# The version active.json in DIR names, or "".
active_of() {
	local s

	[ -f "$1/active.json" ] || return 0
	read -r s <"$1/active.json"
	[[ $s =~ ^\{\"version\":\"([^\"]*)\" ]] && s=${BASH_REMATCH[1]}
	printf '%s\n' "$s"
}

# sound WHAT DIR: the store in DIR is consistent and can be used.  Its
# listing and a copy are kept, and teardown has check.py look at them.
sound() {
	local what=$1 dir=$2 v k=$BATS_TEST_TMPDIR/sound

	run_split mm-models --models "$dir" list
	[ "$status" = 0 ] && [ -z "$stderr" ] ||
	    fail "$what: mm-models list: exit $status: $stderr"
	[ -d "$k" ] || mkdir "$k"
	SOUND_N=$((${SOUND_N:-0} + 1))
	k=$k/$SOUND_N
	cp -a "$dir" "$k"
	if [ "${#lines[@]}" -gt 0 ]; then
		printf '%s\n' "${lines[@]}" >"$k.list"
	else
		: >"$k.list"
	fi
	printf '%s\t%s\n' "$k" "$what" >>"$BATS_TEST_TMPDIR/sound.idx"
	v=$(active_of "$dir")
	run_split mm-predict --models "$dir" <"$BATS_FILE_TMPDIR/batch"
	if [ -n "$v" ]; then
		[ "$status" = 0 ] && [ -z "$stderr" ] ||
		    fail "$what: mm-predict: exit $status: $stderr"
		[[ $output == *'"pred":['*'"model_version":"'$v'"'* ]] ||
		    fail "$what: mm-predict did not use $v: $output"
	else
		[ "$status" = 2 ] && [ "$stderr" = "mm-predict: $dir: no active model version: train one with mm-train, or give --model-version" ] ||
		    fail "$what: mm-predict with no active version: exit $status: $stderr"
	fi
}

# same_store WHAT DIR1 DIR2: the same live and staged versions, the same
# entries in versions/ (dot names too).
same_store() {
	same "$2/active.json" "$3/active.json" ||
	    fail "$1: active.json is $(cat "$2/active.json" 2>&1), want $(cat "$3/active.json" 2>&1)"
	same "$2/candidate.json" "$3/candidate.json" ||
	    fail "$1: candidate.json is $(cat "$2/candidate.json" 2>&1), want $(cat "$3/candidate.json" 2>&1)"
	[ "$(ls -A "$2/versions")" = "$(ls -A "$3/versions")" ] ||
	    fail "$1: versions/ holds $(ls -A "$2/versions" | xargs), want $(ls -A "$3/versions" | xargs)"
}

# crash_each START ONPATH: run CMD (an array: program and arguments but
# --models) on a copy of START, killed at each fault point in turn.  A
# point in ONPATH kills it (exit 137, nothing written); the store is then
# in the state before or the state after a run never killed (computed on
# a copy), every version is complete, and readers work.  rerun_mm or
# rerun_train then checks a second run.  The first point not in ONPATH
# is run too, and does not fire: the run is a plain successful one.
crash_each() {
	local start=$1 onpath=" $2 " p offpath=

	copy "$start" ok
	run_split in_store "" ok/m "${CMD[@]}"
	[ "$status" = 0 ] && [ -z "$stderr" ] ||
	    fail "without a fault: exit $status: $stderr"
	OK_OUT=$(untimed "$output")
	sound "without a fault" ok/m
	copy "$start" before
	for p in $POINTS; do
		# One point off the path shows such a point does not fire;
		# the others would repeat that run (a forest trained again).
		if [[ $onpath != *" $p "* ]]; then
			[ -z "$offpath" ] || continue
			offpath=$p
		fi
		copy "$start" w
		run_split in_store "$p" w/m "${CMD[@]}"
		if [[ $onpath != *" $p "* ]]; then
			[ "$status" = 0 ] && [ "$(untimed "$output")" = "$OK_OUT" ] ||
			    fail "$p is not on the path, yet: exit $status: $output $stderr"
			same_store "$p (not on the path)" w/m ok/m
			continue
		fi
		[ "$status" = 137 ] || fail "$p: exit $status, want 137 (killed): $stderr"
		[ -z "$output" ] || fail "$p: wrote '$output' before it was killed"
		for f in active.json candidate.json; do
			same w/m/$f before/m/$f || same w/m/$f ok/m/$f ||
			    fail "$p: $f is $(cat w/m/$f), neither the state before nor after"
		done
		sound "killed at $p" w/m
		rm -rf crashed
		cp -a w/m crashed
		"$RERUN" "$p"
		sound "rerun after $p" w/m
		[ -z "$(ls -A w/m/versions | grep '^\.tmp-')" ] ||
		    fail "rerun after $p: left $(ls -A w/m/versions | grep '^\.tmp-')"
	done
}

# rerun_mm POINT: an mm-models command run again ends in the state after
# a run never killed; it fails as RERUN_FAILS says when the killed run had
# already done everything ("point:message").
rerun_mm() {
	local p=$1

	run_split in_store "" w/m "${CMD[@]}"
	if [ "$p" = "${RERUN_FAILS%%:*}" ]; then
		[ "$status" = 2 ] && [ -z "$output" ] &&
		    [ "$stderr" = "mm-models: ${RERUN_FAILS#*:}" ] ||
		    fail "rerun after $p: exit $status: $output $stderr"
	else
		[ "$status" = 0 ] && [ "$output" = "$OK_OUT" ] && [ -z "$stderr" ] ||
		    fail "rerun after $p: exit $status: $output $stderr, want $OK_OUT"
	fi
	same_store "rerun after $p" w/m ok/m
}

# rerun_train POINT: mm-train run again writes exactly one new version:
# X when the killed run had not renamed it into versions/, else X-2 (the
# killed run's X stays, complete).  What it stages or activates is what a
# run never killed would, with that name; it activates (with MODE auto:
# when there is no active version) with the live version as previous.
# Killed before the rename, it ends exactly as a run never killed.
rerun_train() {
	local p=$1 n=$X how=$MODE prev=null want

	[ -d crashed/versions/$X ] && n=$X-2
	[ "$MODE" = auto ] && how=active && [ -f crashed/active.json ] &&
	    how=stored
	[ -f crashed/active.json ] && prev="\"$(active_of crashed)\""
	run_split in_store "" w/m "${CMD[@]}"
	want=$(printf '%s\n' "$OK_OUT" | sed "s/\"version\":\"$X\",\"status\":\"[a-z]*\"/\"version\":\"$n\",\"status\":\"$how\"/")
	[ "$status" = 0 ] && [ "$(untimed "$output")" = "$want" ] && [ -z "$stderr" ] ||
	    fail "rerun after $p: exit $status: $output $stderr, want $want"
	[ "$(ls w/m/versions | xargs)" = "$( (ls crashed/versions; echo "$n") | sort | xargs)" ] ||
	    fail "rerun after $p: versions/ holds $(ls -A w/m/versions | xargs)"
	if [ "$MODE" = staged ]; then
		want=$(sed "s/\"$X\"/\"$n\"/" ok/m/candidate.json)
	else
		want=$(cat crashed/candidate.json 2>/dev/null || :)
	fi
	[ "$(cat w/m/candidate.json 2>/dev/null || :)" = "$want" ] ||
	    fail "rerun after $p: candidate.json is $(cat w/m/candidate.json), want $want"
	if [ "$how" = active ]; then
		want=$(sed -e "s/\"version\":\"$X\"/\"version\":\"$n\"/" \
		    -e "s/\"previous_version\":[^,]*/\"previous_version\":$prev/" \
		    ok/m/active.json)
	else
		want=$(cat crashed/active.json 2>/dev/null || :)
	fi
	[ "$(cat w/m/active.json 2>/dev/null || :)" = "$want" ] ||
	    fail "rerun after $p: active.json is $(cat w/m/active.json), want $want"
	case $p in
	version-file-written|version-tmp-complete) same_store "rerun after $p" w/m ok/m ;;
	esac
}

VERSION_PATH="version-file-written version-tmp-complete version-renamed"

train_cmd() {
	CMD=(mm-train --synthetic --rows 300 --config "$BATS_FILE_TMPDIR/cfg"
	    --now "$T4" "$@")
	RERUN=rerun_train
}

models_cmd() {
	CMD=(mm-models --now "$T4" "$@")
	RERUN=rerun_mm
}

@test "the full store: B active after A, C staged, all complete" {
	run cat "$BATS_FILE_TMPDIR/full/active.json"
	assert_output '{"version":"'$B'","previous_version":"'$A'","metrics":{"baseline_f1":0.9315068493150684},"promoted_at":"2025-11-26T07:53:20Z"}'
	run cat "$BATS_FILE_TMPDIR/full/candidate.json"
	assert_output '{"version":"'$C'","staged_at":"2025-11-26T08:53:20Z"}'
	sound "the full store" "$BATS_FILE_TMPDIR/full"
}

@test "mm-train on an empty store, killed at each point, activates" {
	train_cmd
	MODE=auto
	crash_each empty "$VERSION_PATH active-tmp-written active-renamed"
	assert_equal "$OK_OUT" '{"version":"'$X'","status":"active","metrics":{"accuracy":0.9333333333333333,"f1":0.9315068493150684},"rows":{"train":225,"validation":75}}'
}

@test "mm-train --stage on an empty store, killed at each point" {
	train_cmd --stage
	MODE=staged
	crash_each empty "$VERSION_PATH candidate-tmp-written candidate-renamed"
	run cat ok/m/candidate.json
	assert_output '{"version":"'$X'","staged_at":"2025-11-26T09:53:20Z"}'
	[ ! -e ok/m/active.json ]
}

@test "mm-train --activate on an empty store, killed at each point" {
	train_cmd --activate
	MODE=active
	crash_each empty "$VERSION_PATH active-tmp-written active-renamed"
}

@test "mm-train on a store with an active version, killed at each point" {
	train_cmd
	MODE=stored
	crash_each full "$VERSION_PATH"
	assert_equal "$OK_OUT" '{"version":"'$X'","status":"stored","metrics":{"accuracy":0.9333333333333333,"f1":0.9315068493150684},"rows":{"train":225,"validation":75}}'
}

@test "mm-train --stage on a store with an active version, killed at each point" {
	train_cmd --stage
	MODE=staged
	crash_each full "$VERSION_PATH candidate-tmp-written candidate-renamed"
	run cat ok/m/candidate.json
	assert_output '{"version":"'$X'","staged_at":"2025-11-26T09:53:20Z"}'
}

@test "mm-train --activate on a store with an active version, killed at each point" {
	train_cmd --activate
	MODE=active
	crash_each full "$VERSION_PATH active-tmp-written active-renamed"
	run cat ok/m/active.json
	assert_output '{"version":"'$X'","previous_version":"'$B'","metrics":{"baseline_f1":0.9315068493150684},"promoted_at":"2025-11-26T09:53:20Z"}'
}

@test "mm-models promote, killed at each point" {
	models_cmd promote
	RERUN_FAILS="candidate-removed:no staged candidate to promote"
	crash_each full "active-tmp-written active-renamed promote-activated candidate-removed"
	assert_equal "$OK_OUT" '{"action":"promote","version":"'$C'","previous_version":"'$B'"}'
	run cat ok/m/active.json
	assert_output '{"version":"'$C'","previous_version":"'$B'","metrics":{"baseline_f1":0.9315068493150684},"promoted_at":"2025-11-26T09:53:20Z"}'
	[ ! -e ok/m/candidate.json ]
}

@test "mm-models rollback, killed at each point" {
	models_cmd rollback
	RERUN_FAILS="active-renamed:no previous version to roll back to"
	crash_each full "active-tmp-written active-renamed"
	assert_equal "$OK_OUT" '{"action":"rollback","version":"'$A'","previous_version":"'$B'"}'
	run cat ok/m/active.json
	assert_output '{"version":"'$A'","previous_version":null,"metrics":{"baseline_f1":0.9315068493150684},"promoted_at":"2025-11-26T09:53:20Z","rolled_back_from":"'$B'"}'
}

@test "mm-models rollback VERSION, killed at each point" {
	models_cmd rollback "$C"
	RERUN_FAILS="active-renamed:'$C' is the active version"
	crash_each full "active-tmp-written active-renamed"
	assert_equal "$OK_OUT" '{"action":"rollback","version":"'$C'","previous_version":"'$B'"}'
}

@test "mm-models stage VERSION, killed at each point" {
	models_cmd stage "$A"
	RERUN_FAILS=
	crash_each full "candidate-tmp-written candidate-renamed"
	assert_equal "$OK_OUT" '{"action":"stage","version":"'$A'","previous_version":null}'
	run cat ok/m/candidate.json
	assert_output '{"version":"'$A'","staged_at":"2025-11-26T09:53:20Z"}'
}

@test "killed again and again, mm-train leaves one temporary directory at most" {
	copy full w
	for p in version-file-written version-tmp-complete version-file-written; do
		run in_store "$p" w/m mm-train --synthetic --rows 300 \
		    --config "$BATS_FILE_TMPDIR/cfg" --now "$T4"
		assert_equal "$status" 137
		run sh -c 'ls -A w/m/versions | grep -c "^\.tmp-'$X'-"'
		assert_output 1
	done
	sound "killed three times" w/m
	run_split in_store "" w/m mm-train --synthetic --rows 300 \
	    --config "$BATS_FILE_TMPDIR/cfg" --now "$T4"
	assert_success
	run ls -A w/m/versions
	assert_output "$A
$B
$C
$X"
}

# hold DIR: take DIR/.lock on descriptor 9, as a writer would.
hold() {
	exec 9<>"$1/.lock"
	flock -x 9
}

release() {
	flock -u 9
	exec 9>&-
}

@test "two promotes at once: one promotes, the other finds nothing staged" {
	copy full w
	copy full ok
	in_store "" ok/m mm-models --now "$T4" promote >/dev/null
	hold w/m
	in_store "" w/m mm-models --now "$T4" promote >out1 2>err1 9>&- &
	p1=$!
	in_store "" w/m mm-models --now "$T4" promote >out2 2>err2 9>&- &
	p2=$!
	sleep 0.3
	# Both wait for the lock; nothing has changed.
	kill -0 "$p1"
	kill -0 "$p2"
	same_store "lock held" w/m "$BATS_FILE_TMPDIR/full"
	release
	s1=0 s2=0
	wait "$p1" || s1=$?
	wait "$p2" || s2=$?
	run cat out1 out2
	assert_output '{"action":"promote","version":"'$C'","previous_version":"'$B'"}'
	run cat err1 err2
	assert_output "mm-models: no staged candidate to promote"
	assert_equal "$((s1 + s2))" 2
	[ "$s1" = 0 ] || [ "$s2" = 0 ]
	same_store "after both" w/m ok/m
	sound "after both" w/m
}

@test "mm-train and mm-models promote racing for the lock both complete" {
	copy full w
	hold w/m
	in_store "" w/m mm-train --synthetic --rows 300 \
	    --config "$BATS_FILE_TMPDIR/cfg" --now "$T4" >out1 2>err1 9>&- &
	p1=$!
	in_store "" w/m mm-models --now "$T4" promote >out2 2>err2 9>&- &
	p2=$!
	sleep 0.3
	kill -0 "$p1"
	kill -0 "$p2"
	same_store "lock held" w/m "$BATS_FILE_TMPDIR/full"
	release
	wait "$p1"
	wait "$p2"
	run untimed "$(cat out1)"
	assert_output '{"version":"'$X'","status":"stored","metrics":{"accuracy":0.9333333333333333,"f1":0.9315068493150684},"rows":{"train":225,"validation":75}}'
	run cat out2
	assert_output '{"action":"promote","version":"'$C'","previous_version":"'$B'"}'
	run cat err1 err2
	assert_output ""
	run cat w/m/active.json
	assert_output '{"version":"'$C'","previous_version":"'$B'","metrics":{"baseline_f1":0.9315068493150684},"promoted_at":"2025-11-26T09:53:20Z"}'
	[ ! -e w/m/candidate.json ]
	run ls -A w/m/versions
	assert_output "$A
$B
$C
$X"
	sound "after both" w/m
}

@test "two mm-train at the same second wait for each other: X and X-2" {
	copy full w
	hold w/m
	in_store "" w/m mm-train --synthetic --rows 300 \
	    --config "$BATS_FILE_TMPDIR/cfg" --now "$T4" >out1 2>err1 9>&- &
	p1=$!
	in_store "" w/m mm-train --synthetic --rows 300 \
	    --config "$BATS_FILE_TMPDIR/cfg" --now "$T4" --stage >out2 2>err2 9>&- &
	p2=$!
	sleep 0.3
	kill -0 "$p1"
	kill -0 "$p2"
	release
	wait "$p1"
	wait "$p2"
	run cat err1 err2
	assert_output ""
	run ls -A w/m/versions
	assert_output "$A
$B
$C
$X
$X-2"
	run sh -c 'cat out1 out2 | cut -d, -f1 | LC_ALL=C sort'
	assert_output '{"version":"'$X'"
{"version":"'$X'-2"'
	sound "after both" w/m
}

# mm-exec carries out rollbacks and promotes with the same store calls
# as mm-models, and is as safe killed at each point.  Run again, a
# decision the killed run had already carried out is skipped, saying why.

# rerun_exec POINT: mm-exec run again ends in the state after a run
# never killed; after RERUN_SKIPS's point ("point:detail") it skips.
rerun_exec() {
	local p=$1

	run_split in_store "" w/m "${CMD[@]}"
	[ "$status" = 0 ] && [ -z "$stderr" ] ||
	    fail "rerun after $p: exit $status: $stderr"
	if [ "$p" = "${RERUN_SKIPS%%:*}" ]; then
		[[ $output == *'"exec":{"status":"skipped","detail":"'"${RERUN_SKIPS#*:}"'","model_version":null,"retrain_key":null}}' ]] ||
		    fail "rerun after $p: $output"
	else
		[ "$output" = "$OK_OUT" ] ||
		    fail "rerun after $p: $output, want $OK_OUT"
	fi
	same_store "rerun after $p" w/m ok/m
}

# exec_cmd ACTION [METADATA]: mm-exec on one decision.
exec_cmd() {
	printf '{"batch_id":"b1","ts":%s,"decision":{"action":"%s","reason":"test","metadata":%s}}\n' \
	    "$T4" "$1" "${2:-{\}}" >"$BATS_TEST_TMPDIR/$1.ndjson"
	CMD=(mm-exec --db "$(db "$BATS_TEST_TMPDIR/h.db")" --now "$T4"
	    "$BATS_TEST_TMPDIR/$1.ndjson")
	RERUN=rerun_exec
}

@test "mm-exec promote, killed at each point" {
	exec_cmd promote
	RERUN_SKIPS="candidate-removed:no staged candidate to promote"
	crash_each full "active-tmp-written active-renamed promote-activated candidate-removed"
	assert_equal "$OK_OUT" '{"batch_id":"b1","ts":'$T4',"decision":{"action":"promote","reason":"test","metadata":{}},"exec":{"status":"executed","detail":"promoted '$C'","model_version":"'$C'","retrain_key":null}}'
	run cat ok/m/active.json
	assert_output '{"version":"'$C'","previous_version":"'$B'","metrics":{"baseline_f1":0.9315068493150684},"promoted_at":"2025-11-26T09:53:20Z"}'
}

@test "mm-exec rollback, killed at each point" {
	exec_cmd rollback '{"model_version":"'$B'"}'
	RERUN_SKIPS="active-renamed:stale: decided while $B was live, $A is live now"
	crash_each full "active-tmp-written active-renamed"
	assert_equal "$OK_OUT" '{"batch_id":"b1","ts":'$T4',"decision":{"action":"rollback","reason":"test","metadata":{"model_version":"'$B'"}},"exec":{"status":"executed","detail":"rolled back from '$B' to '$A'","model_version":"'$A'","retrain_key":null}}'
}

# Found in review: the check for a stale decision came before the lock,
# so two executors acting on decisions made under the same version both
# went ahead, and a promote was undone by a rollback that never saw it.
# Both wait for the lock here; the one that gets it second finds the
# store changed under it.
@test "mm-exec: a promote and a rollback decided under the same version, at once: one acts, the other is stale" {
	local i s1 s2 meta='{"model_version":"'$B'"}'

	for i in 1 2 3; do
		copy full w
		exec_cmd promote "$meta"
		exec_cmd rollback "$meta"
		hold w/m
		in_store "" w/m mm-exec --db "$(db "$BATS_TEST_TMPDIR/h.db")" \
		    --now "$T4" "$BATS_TEST_TMPDIR/promote.ndjson" \
		    >out1 2>err1 9>&- &
		p1=$!
		in_store "" w/m mm-exec --db "$(db "$BATS_TEST_TMPDIR/h.db")" \
		    --now "$T4" "$BATS_TEST_TMPDIR/rollback.ndjson" \
		    >out2 2>err2 9>&- &
		p2=$!
		sleep 0.3
		kill -0 "$p1"
		kill -0 "$p2"
		same_store "lock held" w/m "$BATS_FILE_TMPDIR/full"
		release
		s1=0 s2=0
		wait "$p1" || s1=$?
		wait "$p2" || s2=$?
		[ "$s1$s2" = 00 ] && [ -z "$(cat err1 err2)" ] ||
		    fail "round $i: exit $s1 and $s2: $(cat err1 err2)"
		run sh -c 'cat out1 out2 | grep -o "\"exec\":{\"status\":\"[a-z]*\",\"detail\":\"[^\"]*\"" | LC_ALL=C sort'
		case $output in
		'"exec":{"status":"executed","detail":"promoted '$C'"
"exec":{"status":"skipped","detail":"stale: decided while '$B' was live, '$C' is live now"')
			run cat w/m/active.json
			assert_output --partial '{"version":"'$C'","previous_version":"'$B'"'
			[ ! -e w/m/candidate.json ]
			;;
		'"exec":{"status":"executed","detail":"rolled back from '$B' to '$A'"
"exec":{"status":"skipped","detail":"stale: decided while '$B' was live, '$A' is live now"')
			run cat w/m/active.json
			assert_output --partial '{"version":"'$A'","previous_version":null'
			cmp w/m/candidate.json "$BATS_FILE_TMPDIR/full/candidate.json"
			;;
		*) fail "round $i: $output" ;;
		esac
		sound "round $i" w/m
	done
}
