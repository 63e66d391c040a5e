#!/usr/bin/env bats
# The whole system, end to end, with the real programs: a model store
# trained by mm-train, production batches from mm-gen, and every batch
# through
#   mm-predict | mm-psi | mm-record | mm-trust | mm-decide | mm-exec
# one batch at a time (a pipeline's mm-decide runs ahead of its mm-exec,
# so each batch gets a pipeline of its own and its decision sees the
# state the previous one left).  One test per action, showing that it
# fires when it should and not otherwise, and what it leaves in the
# model store and the tables; then the cron form over mm-aggregate.
#
# The measured numbers below are those of this build: 20 trees, seeds
# fixed, times fixed with --now.
#
# The store: mm-train --synthetic --rows 2000 --seed 1 at T0, version
# 20251126T055320Z, validation F1 0.9514563106796117 = baseline_f1.
#
# Production batches are 256 rows of mm-gen --seed 12.  Their F1 with
# that model, b000000..b000011, measured:
#   .9594 .9636 .9444 .9582 .9673 .9545 .9542 .9593 .9489 .9582 .9600 .9565
# all within 0.02 of the baseline, drift_score .036 to .053.
#
# Why not --seed 2: at 256 rows the F1 of a batch varies by about 0.02
# (one standard deviation), as much as min_f1_gain, so noise alone trips
# the retrain rule.  With --seed 2 the F1 of b000000..b000029 was
#   .9403 .9063 .9617 .9579 .9655 .9113 .9535 .9462 .9675 .9430
#   .9558 .9283 .9542 .9516 .9778 .9710 .9255 .9531 .9669 .9538
#   .9457 .9262 .9456 .9509 .9562 .9520 .9524 .9516 .9737 .9630
# and b000001, b000011 and b000021 (drops .045, .023, .025) were decided
# retrain (b000005 and b000016 were held back by the retrain cooldown);
# mm-exec's gate refused all three, so the store did not change.  Of
# --seed 2 to 40, 15 seeds kept the first 12 batches within 0.02 of the
# baseline; 12 has the widest margin (lowest F1 .9444).  The test "F1
# noise" below keeps the --seed 2 case.

bats_require_minimum_version 1.5.0
load helper

T0=1764136400		# the store's first version: 20251126T055320Z
V0=20251126T055320Z
START=1764140000	# mm-gen's first batch; one batch every 60 s

q() {
	sqlite3 D "$@"
}

# The config, and a store with one active version.
store() {
	mkdir C
	printf 'n_estimators: 20\n' >C/model.yaml
	printf 'min_samples: 500\n' >C/retrain.yaml
	mm-train --synthetic --rows 2000 --seed 1 --models m --config C \
	    --now $T0 >/dev/null
}

# Every file of the store with its digest.
store_sum() {
	(cd m && find . -type f | sort | xargs sha256sum)
}

# A top-level or nested field of a one-line JSON file, as written.
field() {
	sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p" "$1"
}

# Run lines FROM..TO of FILE one at a time through the whole pipeline,
# mm-exec's clock at each batch's ts.
drive() {
	local file=$1 i
	set -o pipefail
	for i in $(seq "$2" "$3"); do
		sed -n "${i}p" "$file" | mm-predict --models m |
		    mm-psi --models m | mm-record --db D --config C |
		    mm-trust --config C |
		    mm-decide --db D --models m --config C |
		    mm-exec --db D --models m --config C \
		    --now $((START + 60 * (i - 1))) || return 1
	done
}

# The cron form at time NOW.
cron() {
	set -o pipefail
	mm-aggregate --db D --models m --config C --now "$1" |
	    mm-trust --config C |
	    mm-decide --db D --models m --config C |
	    mm-exec --db D --models m --config C --now "$1"
}

# Record batches without deciding: what the batch pipeline of a site
# that decides by cron does.
record() {
	set -o pipefail
	mm-predict --models m <"$1" | mm-psi --models m |
	    mm-record --db D --config C >/dev/null
}

# decision_history as "source action exec_status", one row a line.
decisions() {
	q "SELECT source || ' ' || action || ' ' || exec_status FROM decision_history ORDER BY id"
}

# The same action and status for batches FROM..TO (0-based).
batches() {
	local i
	for i in $(seq "$1" "$2"); do
		printf 'b%06d %s\n' "$i" "$3"
	done
}

@test "stable traffic: every decision is none, and the store does not change" {
	store
	before=$(store_sum)
	mm-gen --batches 12 --batch-size 256 --seed 12 >s.ndjson
	run_split drive s.ndjson 1 12
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 12
	assert_equal "$(decisions)" "$(batches 0 11 'none executed')"
	assert_equal "$(store_sum)" "$before"
	run q "SELECT count(*), count(DISTINCT model_version), sum(f1 <= 0.9514563106796117 - 0.02), max(drift_score) < 0.2 FROM metrics"
	assert_output "12|1|0|1"
	run q 'SELECT count(*) FROM evidence'
	assert_output 3072
	run q 'SELECT count(*) FROM retrain_snapshots'
	assert_output 0
}

@test "F1 noise: a stable batch 0.045 below the baseline is not acted on" {
	store
	before=$(store_sum)
	mm-gen --batches 2 --batch-size 256 --seed 2 >s.ndjson
	run_split drive s.ndjson 1 2
	assert_success
	assert_equal "$stderr" ""
	# b000001: F1 .90625, 0.0452 below the baseline, which one batch's
	# F1 comparison used to retrain on.  The upper bound on the 512
	# pooled rows is above baseline - min_f1_gain, so nothing happens.
	assert_equal "$(decisions)" "b000000 none executed
b000001 none executed"
	run q "SELECT json_extract(metadata, '$.pooled_rows'), json_extract(metadata, '$.pooled_upper') > json_extract(metadata, '$.baseline_f1') - 0.02, json_extract(metadata, '$.f1') < json_extract(metadata, '$.baseline_f1') - 0.02 FROM decision_history ORDER BY id DESC LIMIT 1"
	assert_output "512|1|1"
	run q 'SELECT count(*) FROM retrain_snapshots'
	assert_output 0
	run q 'SELECT count(*) FROM evidence'
	assert_output 512
	assert_equal "$(store_sum)" "$before"
}

@test "promote: a staged candidate goes live after five nones, and only then" {
	store
	# The candidate: --seed 3, version 20251126T055500Z, F1 .9565.
	mm-train --synthetic --rows 2000 --seed 3 --models m --config C \
	    --now 1764136500 --stage >/dev/null
	cand_f1=$(field m/versions/20251126T055500Z/card.json f1)
	mm-gen --batches 12 --batch-size 256 --seed 12 >s.ndjson
	run_split drive s.ndjson 1 12
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(decisions)" "$(batches 0 4 'none executed')
b000005 promote executed
$(batches 6 11 'none executed')"
	run q "SELECT reason, exec_detail, model_version FROM decision_history WHERE action = 'promote'"
	assert_output "candidate staged and the last 5 decisions were none|promoted 20251126T055500Z|20251126T055500Z"
	assert [ ! -e m/candidate.json ]
	assert_equal "$(field m/active.json version)" '"20251126T055500Z"'
	assert_equal "$(field m/active.json previous_version)" "\"$V0\""
	assert_equal "$(field m/active.json baseline_f1)" "$cand_f1"
	# Promoted at b000005's time, 1764140300.
	assert_equal "$(field m/active.json promoted_at)" '"2025-11-26T06:58:20Z"'
	run q 'SELECT model_version, count(*) FROM metrics GROUP BY 1 ORDER BY min(id)'
	assert_output "$V0|6
20251126T055500Z|6"
	assert_equal "$(ls m/versions)" "$V0
20251126T055500Z"
}

@test "reject: a covariate shift of 2 sds is rejected batch after batch; the store does not change" {
	store
	# A staged candidate too: rejects are not the nones a promote needs.
	mm-train --synthetic --rows 2000 --seed 3 --models m --config C \
	    --now 1764136500 --stage >/dev/null
	before=$(store_sum)
	mm-gen --batches 8 --batch-size 256 --seed 12 --drift-at 0 \
	    --shift 2 >s.ndjson
	run_split drive s.ndjson 1 8
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(decisions)" "$(batches 0 7 'reject executed')"
	run q "SELECT DISTINCT substr(reason, 1, 12), exec_detail FROM decision_history"
	assert_output "drift severe|recorded"
	# Measured: drift_score 1.40 to 1.88; F1 .757 to .805, drops of
	# .146 to .194: most of them would be a rollback, but reject comes
	# first.
	run q "SELECT min(drift_score) >= 0.2, min(f1) <= 0.9514563106796117 - 0.15 FROM metrics"
	assert_output "1|1"
	assert_equal "$(store_sum)" "$before"
	assert [ -e m/candidate.json ]
	# Severely drifted rows are not kept as evidence to retrain on.
	run q "SELECT count(*), min(drift_status), max(drift_status), (SELECT count(*) FROM evidence), (SELECT count(*) FROM retrain_snapshots) FROM metrics"
	assert_output "8|severe|severe|0|0"
}

@test "retrain: a concept change is retrained away once evidence reaches min_samples" {
	store
	# From b000000 on, the 8% of rows with the highest f0 change class.
	# Measured F1 with the store's model, b000000..b000006:
	#   .8720 .9060 .8333 .8291 .8730 .8871 .8631
	# drops of .045 to .122: above min_f1_gain 0.02, below max_f1_drop
	# 0.15.  (--seed 2 at this strength dropped b000001 to .7983, 0.153
	# below the baseline: a rollback.)
	mm-gen --batches 13 --batch-size 256 --seed 12 --concept-at 0 \
	    --concept-strength 0.08 >c.ndjson
	run_split drive c.ndjson 1 13
	assert_success
	assert_equal "$stderr" ""
	# b000000 has 256 rows of evidence, short of min_samples 500.  The
	# cooldown counts that decision, so the next retrain is b000006,
	# with 7 batches of evidence: 1792 rows.
	assert_equal "$(decisions)" "b000000 retrain skipped
$(batches 1 5 'none executed')
b000006 retrain executed
$(batches 7 12 'none executed')"
	run q "SELECT exec_detail FROM decision_history WHERE source = 'b000000'"
	assert_output "256 labelled rows of evidence, min_samples is 500"
	# Measured: F1 .9554 against the old model's .8638.
	run q "SELECT exec_detail FROM decision_history WHERE source = 'b000006'"
	assert_output --regexp "^retrained on 1792 rows: 20251126T065920Z active, F1 0\.[0-9]{4} against 0\.[0-9]{4} on 359 held-out rows$"
	# Retrained exactly once, at b000006's time 1764140360.
	run q 'SELECT status, n_rows, version FROM retrain_snapshots'
	assert_output "executed|1792|20251126T065920Z"
	key=$(q 'SELECT key FROM retrain_snapshots')
	card=m/versions/20251126T065920Z/card.json
	assert_equal "$(field $card retrain_key)" "\"$key\""
	assert_equal "$(field $card source)" '"retrain on evidence"'
	assert_equal "$(field m/active.json version)" '"20251126T065920Z"'
	assert_equal "$(field m/active.json previous_version)" "\"$V0\""
	assert_equal "$(field m/active.json baseline_f1)" "$(field $card f1)"
	assert_equal "$(ls m/versions)" "$V0
20251126T065920Z"
	# The evidence used is consumed: what is left is b000007..b000012.
	run q 'SELECT count(*), min(batch_id) FROM evidence'
	assert_output "1536|b000007"
	# F1 recovers.  Measured, b000007..b000012 with the new model:
	#   .9333 .9333 .9386 .9483 .9406 .9487
	# mean .9405 against .8662 before.  (b000013, .9130, is 0.042 below
	# the new baseline .9554 and is decided retrain by noise again.)
	run q "SELECT model_version, count(*), sum(f1 > 0.9514563106796117 - 0.02), sum(f1 <= 0.9514563106796117 - 0.15) FROM metrics GROUP BY 1 ORDER BY min(id)"
	assert_output "$V0|7|0|0
20251126T065920Z|6|6|0"
	run q "SELECT (SELECT max(f1) FROM metrics WHERE model_version = '$V0') < (SELECT min(f1) FROM metrics WHERE model_version = '20251126T065920Z')"
	assert_output 1
}

@test "rollback: a --shuffle-labels candidate, promoted by hand, is rolled back at once" {
	store
	# Its card says F1 .5127; a promotion keeps the higher baseline of
	# the version it replaces, .9515.  On b000000 its F1 is .5477, 0.404
	# below; its drift is that of any batch, .046.
	mm-train --synthetic --rows 2000 --seed 3 --models m --config C \
	    --now 1764136600 --shuffle-labels --stage >/dev/null
	mm-models --models m --now 1764136700 promote >/dev/null
	assert_equal "$(field m/active.json version)" '"20251126T055640Z"'
	assert_equal "$(field m/active.json baseline_f1)" 0.9514563106796117
	mm-gen --batches 6 --batch-size 256 --seed 12 >s.ndjson
	run_split drive s.ndjson 1 6
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(decisions)" "b000000 rollback executed
$(batches 1 5 'none executed')"
	run q "SELECT reason, exec_detail, model_version FROM decision_history WHERE action = 'rollback'"
	assert_output --regexp "^f1 upper bound 0\.[0-9]{4} on 256 rows is below baseline 0\.[0-9]{4} - max_f1_drop 0\.15\|rolled back from 20251126T055640Z to $V0\|$V0\$"
	assert_equal "$(field m/active.json version)" "\"$V0\""
	assert_equal "$(field m/active.json previous_version)" null
	assert_equal "$(field m/active.json rolled_back_from)" '"20251126T055640Z"'
	assert_equal "$(field m/active.json baseline_f1)" 0.9514563106796117
	# Rolled back at b000000's time, 1764140000; no model file moves.
	assert_equal "$(field m/active.json promoted_at)" '"2025-11-26T06:53:20Z"'
	assert_equal "$(ls m/versions)" "$V0
20251126T055640Z"
	# F1 is back with the good version, b000001..b000005 measured:
	#   .9636 .9444 .9582 .9673 .9545
	run q "SELECT model_version, count(*), max(f1) < 0.6, max(drift_score) < 0.2 FROM metrics GROUP BY 1 ORDER BY min(id)"
	assert_output "20251126T055640Z|1|1|1
$V0|5|0|1"
	run q "SELECT min(f1) > 0.9514563106796117 - 0.02 FROM metrics WHERE model_version = '$V0'"
	assert_output 1
}

@test "rollback: so is a candidate whose own validation looks fine but whose labels were wrong" {
	store
	# Trained on rows where the 25% with the highest f0 have the other
	# class: its card says F1 .8837, below the bar of .9515 it inherits.
	# On production traffic its F1 is .6070 (b000000), with no drift
	# (.042), so the F1 drop rule, not reject, catches it.
	mm-gen --rows 2000 --seed 3 --concept-at 0 --concept-strength 0.25 \
	    >bad.ndjson
	mm-train --models m --config C --now 1764136600 --stage bad.ndjson \
	    >/dev/null
	mm-models --models m --now 1764136700 promote >/dev/null
	mm-gen --batches 3 --batch-size 256 --seed 12 >s.ndjson
	run_split drive s.ndjson 1 3
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(decisions)" "b000000 rollback executed
b000001 none executed
b000002 none executed"
	assert_equal "$(field m/active.json version)" "\"$V0\""
	assert_equal "$(field m/active.json rolled_back_from)" '"20251126T055640Z"'
}

@test "a collapse with no version to roll back to is retrained on" {
	store
	# The retrain test's concept change at strength 0.2: F1 .6972 .7500
	# .6633, drops of .201 to .288, past max_f1_drop.  There is no
	# previous version, so the rollback rule gives way to retrain: b0
	# decides retrain (skipped: 256 rows of evidence, min_samples 500),
	# and the cooldown holds b1 and b2 at none.
	before=$(store_sum)
	mm-gen --batches 3 --batch-size 256 --seed 12 --concept-at 0 \
	    --concept-strength 0.2 >c.ndjson
	run_split drive c.ndjson 1 3
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(decisions)" "b000000 retrain skipped
b000001 none executed
b000002 none executed"
	run q "SELECT exec_detail FROM decision_history WHERE action = 'retrain'"
	assert_output "256 labelled rows of evidence, min_samples is 500"
	assert_equal "$(store_sum)" "$before"
	run q 'SELECT count(*) FROM retrain_snapshots'
	assert_output 0
}

@test "cron: one decision per window, recorded with source 5m, 1h and 24h" {
	store
	before=$(store_sum)
	mm-gen --batches 12 --batch-size 256 --seed 12 >s.ndjson
	drive s.ndjson 1 12 >/dev/null
	# At START + 700 the 5m window holds b000007..b000011.
	run_split cron $((START + 700))
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 3
	assert_line --index 0 --regexp '^\{"window":"5m","ts":1764140700,"n_batches":5,.*"decision":\{"action":"none","reason":"no rule matched",.*"exec":\{"status":"executed","detail":"recorded","model_version":null,"retrain_key":null\}\}$'
	assert_line --index 1 --regexp '^\{"window":"1h","ts":1764140700,"n_batches":12,.*"action":"none".*"status":"executed"'
	assert_line --index 2 --regexp '^\{"window":"24h","ts":1764140700,"n_batches":12,.*"action":"none".*"status":"executed"'
	assert_equal "$(decisions)" "$(batches 0 11 'none executed')
5m none executed
1h none executed
24h none executed"
	run q "SELECT DISTINCT ts FROM decision_history WHERE source GLOB '[0-9]*'"
	assert_output 1764140700.0
	run q 'SELECT window, n_batches FROM metrics_summary ORDER BY n_batches, window'
	assert_output "5m|5
1h|12
24h|12"
	assert_equal "$(store_sum)" "$before"
}

@test "cron: a retrain decided on the 5m window is carried out" {
	store
	mm-gen --batches 12 --batch-size 256 --seed 12 --concept-at 0 \
	    --concept-strength 0.08 >c.ndjson
	record c.ndjson
	# Measured, from the windows' summed counts: 5m F1 .8741, 1h and 24h
	# .8697.  The 1h and 24h decisions come after the 5m retrain: the
	# cooldown holds them back.
	run_split cron $((START + 700))
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(decisions)" "5m retrain executed
1h none executed
24h none executed"
	run q "SELECT exec_detail FROM decision_history WHERE source = '5m'"
	assert_output --regexp '^retrained on 3072 rows: 20251126T070500Z active, F1 0\.[0-9]{4} against 0\.[0-9]{4} on 614 held-out rows$'
	run q 'SELECT status, n_rows, version FROM retrain_snapshots'
	assert_output "executed|3072|20251126T070500Z"
	assert_equal "$(field m/active.json version)" '"20251126T070500Z"'
	run q 'SELECT count(*) FROM evidence'
	assert_output 0
}

@test "cron: on a fresh database it prints nothing and changes nothing" {
	store
	before=$(store_sum)
	run_split cron $((START + 700))
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	run q "SELECT (SELECT count(*) FROM decision_history), (SELECT count(*) FROM metrics_summary), (SELECT count(*) FROM metrics_summary_history), (SELECT count(*) FROM retrain_snapshots)"
	assert_output "0|0|0|0"
	assert_equal "$(store_sum)" "$before"
}
