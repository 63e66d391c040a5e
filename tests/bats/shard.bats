#!/usr/bin/env bats
# The sharding recipe of mm-psi(1), "Sharding a big log": a log of batch
# records cut into shards by GNU parallel --pipe, mm-psi --counts on each
# shard, mm-psi --merge over all their counts, gives the very bytes one
# process gives, with and without --by, and run through --sshlogin.
#
# Counts are whole numbers summed exactly, and the Monte Carlo p-values
# are seeded by the counts, so the merged drift depends on the sum only:
# not on where the shards were cut nor the order they are merged in.
# With --by, the groups come out in the order their values are first
# seen, so that order follows the order of the shards (last test).
#
# Every parallel command says --will-cite, so that none depends on
# ~/.parallel/will-cite.

load helper
bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	unset MM_CONFIG MM_MODELS MM_DB
	command -v parallel >/dev/null ||
	    skip "GNU parallel is not installed (scripts/deps.sh test)"
}

# The log: 3000 batches of 4 rows from mm-gen (one a minute), each with
# an "hour" field after "ts", floor(ts / 3600), to group on: 51 hours,
# the first of 7 batches (1764140000 is 7 minutes before an hour), then
# 60 a hour, the last of 53.  The reference: 2000 rows of the same
# population, fitted by mm-psi --fit.  BLOCK: a quarter of the log plus
# its longest line, so that parallel --pipe cuts exactly four shards (it
# ends a block at the last newline in it, so each of the first three
# holds more than a quarter and less than a quarter and a line).
make_log() {
	mm-gen --rows 2000 --seed 1 | mm-psi --fit >ref.json
	mm-gen --batches 3000 --batch-size 4 --seed 2 | awk '{
		match($0, /"ts":[0-9]+/)
		ts = substr($0, RSTART + 5, RLENGTH - 5)
		sub(/"ts":[0-9]+/, "&,\"hour\":" int(ts / 3600))
		print
	}' >log.ndjson
	[ "$(wc -l <log.ndjson)" -eq 3000 ]
	BLOCK=$(awk '{ n += length($0) + 1
		if (length($0) + 1 > m) m = length($0) + 1 }
		END { print int(n / 4) + m }' log.ndjson)
}

# one [--by FIELD]: what one process makes of the whole log.
one() {
	mm-psi --counts --ref ref.json log.ndjson |
	    mm-psi --merge --ref ref.json "$@"
}

# shard: the log through parallel --pipe, four jobs at a time, the
# counts of shard {#} (its sequence number, from 1) in c.{#}.
shard() {
	run_split parallel --will-cite --pipe --block "$BLOCK" \
	    --recend '\n' -j4 'mm-psi --counts --ref ref.json >c.{#}' \
	    <log.ndjson
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
}

# Four shards, none empty, that hold every record between them, and
# whose counts, in shard order, are those of one process, line by line.
assert_four_shards() {
	assert_equal "$(echo c.*)" "c.1 c.2 c.3 c.4"
	local s
	for s in c.1 c.2 c.3 c.4; do
		[ -s "$s" ] || fail "shard $s is empty"
	done
	assert_equal "$(cat c.1 c.2 c.3 c.4 | wc -l)" 3000
	mm-psi --counts --ref ref.json log.ndjson >whole.counts
	cat c.1 c.2 c.3 c.4 | cmp - whole.counts
}

@test "4-way parallel --pipe shards, counts on each, one merge: the bytes of one process" {
	make_log
	one >one.ndjson
	grep -q '^{"n_records":3000,"drift":{.*"n":12000,' one.ndjson
	assert_equal "$(wc -l <one.ndjson)" 1
	shard
	assert_four_shards
	cat c.1 c.2 c.3 c.4 | mm-psi --merge --ref ref.json >sharded.ndjson
	cmp one.ndjson sharded.ndjson
	# The same in one pipeline, with no files: without --by the order in
	# which the shards finish does not matter, so no --keep-order.
	run_split sh -c "parallel --will-cite --pipe --block $BLOCK \
	    --recend '\n' -j4 mm-psi --counts --ref ref.json <log.ndjson |
	    mm-psi --merge --ref ref.json"
	assert_success
	assert_output "$(cat one.ndjson)"
	assert_equal "$stderr" ""
}

@test "4-way shards merged --by hour: the bytes of one process, a group cut by a shard boundary summed whole" {
	make_log
	one --by hour >one.ndjson
	# 51 hours, in log order, their records adding up to the log's.
	assert_equal "$(wc -l <one.ndjson)" 51
	assert_equal "$(sed -n '1s/"drift":.*//p' one.ndjson)" \
	    '{"hour":490038,"n_records":7,'
	assert_equal "$(sed -n '$s/"drift":.*//p' one.ndjson)" \
	    '{"hour":490088,"n_records":53,'
	assert_equal "$(sed 's/.*"n_records":\([0-9]*\),.*/\1/' one.ndjson |
	    awk '{ n += $1 } END { print n }')" 3000
	shard
	assert_four_shards
	# Each boundary between shards falls inside an hour: that hour's
	# counts come from two processes.
	hour() { sed -n "$1"'s/.*"hour":\([0-9]*\),.*/\1/p' "$2"; }
	for b in 1 2 3; do
		assert_equal "$(hour '$' c.$b)" "$(hour 1 c.$((b + 1)))"
	done
	cat c.1 c.2 c.3 c.4 | mm-psi --merge --by hour --ref ref.json \
	    >sharded.ndjson
	cmp one.ndjson sharded.ndjson
	# In one pipeline: --keep-order (-k) writes the shards' counts in
	# shard order, so the hours are first seen in log order.
	run_split sh -c "parallel --will-cite -k --pipe --block $BLOCK \
	    --recend '\n' -j4 mm-psi --counts --ref ref.json <log.ndjson |
	    mm-psi --merge --by hour --ref ref.json"
	assert_success
	assert_output "$(cat one.ndjson)"
	assert_equal "$stderr" ""
}

@test "--sshlogin : with --basefile for the reference: the bytes of one process" {
	make_log
	one >one.ndjson
	one --by hour >one-by.ndjson
	# ':' is parallel's local pseudo-host: no ssh, and so no transfer,
	# which parallel says; on a real host --basefile copies ref.json to
	# the login directory, where the relative --ref finds it.
	run_split sh -c "parallel --will-cite --sshlogin : --basefile ref.json \
	    -k --pipe --block $BLOCK --recend '\n' -j4 \
	    mm-psi --counts --ref ref.json <log.ndjson >counts.ndjson"
	assert_success
	assert_output ""
	assert_equal "$stderr" \
	    "parallel: Warning: --basefile ignored as there are no remote --sshlogin."
	mm-psi --counts --ref ref.json log.ndjson | cmp - counts.ndjson
	mm-psi --merge --ref ref.json counts.ndjson | cmp - one.ndjson
	mm-psi --merge --by hour --ref ref.json counts.ndjson |
	    cmp - one-by.ndjson
}

@test "shards merged in any order: the same bytes; with --by the same lines, in first-seen order" {
	make_log
	one >one.ndjson
	one --by hour >one-by.ndjson
	shard
	assert_four_shards
	for order in "4 3 2 1" "2 4 1 3" "3 1 4 2"; do
		read -r s1 s2 s3 s4 <<<"$order"
		cat "c.$s1" "c.$s2" "c.$s3" "c.$s4" >in.ndjson
		mm-psi --merge --ref ref.json in.ndjson | cmp - one.ndjson
		# --by: every group's line is the same, but the lines come in
		# the order the hours are first seen in the merge's input.
		mm-psi --merge --by hour --ref ref.json in.ndjson >by.ndjson
		run cmp -s by.ndjson one-by.ndjson
		assert_failure 1
		assert_equal "$(sort by.ndjson)" "$(sort one-by.ndjson)"
		assert_equal \
		    "$(sed 's/^{"hour":\([0-9]*\),.*/\1/' by.ndjson)" \
		    "$(sed 's/.*"hour":\([0-9]*\),.*/\1/' in.ndjson |
		    awk '!seen[$0]++')"
	done
}
