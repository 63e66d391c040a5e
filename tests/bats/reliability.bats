#!/usr/bin/env bats
# The store under stress: writers that race, writers that die, and
# files that cannot be written.  On SQLite, or on PostgreSQL with
# MM_TEST_STORE=pg (make check-pg; helper.bash), where the tests of the
# file itself are skipped.  Every batch is stored exactly once,
# a record goes downstream only after its commit, and a database that
# cannot be written gives exit 3 with a message naming it, never a
# half-written file.

bats_require_minimum_version 1.5.0
load helper

# Batch i of mm-gen has ts T0 + 60 i; NOW follows the 1200th batch.
T0=1764140000
NOW=$((T0 + 1200 * 60))

setup_file() {
	local d=$BATS_FILE_TMPDIR

	store_start
	mkdir -p "$d/cfg"
	echo 'n_estimators: 10' >"$d/cfg/model.yaml"
	echo 'buffer_rows: 1000' >"$d/cfg/retrain.yaml"
	mm-train --synthetic --rows 500 --config "$d/cfg" --models "$d/models" \
	    --now "$T0" >/dev/null
	# 1200 labelled batches of 4 rows with metrics, as mm-predict writes.
	mm-gen --batches 1200 --batch-size 4 --seed 3 |
	    mm-predict --models "$d/models" >"$d/batches"
	# 3000 records without rows: metrics and drift only.
	awk -v t0="$T0" 'BEGIN {
		for (i = 0; i < 3000; i++)
			printf "{\"batch_id\":\"r%06d\",\"ts\":%d,\"metrics\":" \
			    "{\"n_samples\":64,\"accuracy\":0.9,\"f1\":0.8," \
			    "\"avg_confidence\":0.7,\"latency_ms\":3.5," \
			    "\"model_version\":\"20251126T065320Z\"},\"drift\":" \
			    "{\"psi\":{\"f0\":0.01,\"f1\":0.02,\"f2\":0.03}," \
			    "\"p_value\":{\"f0\":0.5,\"f1\":0.6,\"f2\":0.7}," \
			    "\"drift_score\":0.02,\"status\":\"stable\"}}\n",
			    i, t0 + 60 * i
	}' >"$d/records"
}

teardown_file() {
	store_stop
}

teardown() {
	[ -e "$BATS_TEST_TMPDIR/ro.db" ] &&
		chattr -i "$BATS_TEST_TMPDIR/ro.db" 2>/dev/null
	mountpoint -q "$BATS_TEST_TMPDIR/mnt" 2>/dev/null &&
		umount "$BATS_TEST_TMPDIR/mnt"
	return 0
}

# ids FILE: the batch_id of each line.
ids() {
	grep -o '"batch_id":"[^"]*"' "$1" | cut -d'"' -f4
}

# wait_lines FILE N: wait (60 s at most: sanitizer builds on a busy
# machine are slow) until FILE has N lines.
wait_lines() {
	local i=0

	while [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -lt "$2" ]; do
		i=$((i + 1))
		if [ "$i" -gt 1200 ]; then
			echo "$1 has $(wc -l <"$1") lines, not $2" >&2
			return 1
		fi
		sleep 0.05
	done
}

# pace FILE: FILE line by line, with a pause every 20 lines.
pace() {
	awk '{ print; if (NR % 20 == 0) { fflush(); system("sleep 0.05") } }' \
	    "$1"
}

# mount_tmpfs SIZE: a tmpfs of SIZE on ./mnt, or skip when mount fails.
mount_tmpfs() {
	mkdir mnt
	mount -t tmpfs -o "size=$1" tmpfs mnt 2>/dev/null ||
		skip "cannot mount a tmpfs here"
}

@test "two writers and mm-aggregate race on one database: every batch once" {
	local d=$BATS_FILE_TMPDIR pa pb n=0 fail=0 D

	D=$(db m.db)
	# A holds batches 0-799, B batches 400-1199 backwards: 400 shared.
	head -n 800 "$d/batches" >a
	tail -n 800 "$d/batches" | tac >b
	(pace a | mm-record --db "$D" --config "$d/cfg" --group 5 >out.a \
	    2>err.a; echo $? >rc.a) 3>&- &
	pa=$!
	(pace b | mm-record --db "$D" --config "$d/cfg" --group 3 >out.b \
	    2>err.b; echo $? >rc.b) 3>&- &
	pb=$!
	while kill -0 "$pa" 2>/dev/null || kill -0 "$pb" 2>/dev/null; do
		mm-aggregate --db "$D" --now "$NOW" >>out.agg 2>>err.agg ||
			fail=$((fail + 1))
		n=$((n + 1))
	done
	wait "$pa" "$pb"
	[ "$(cat rc.a rc.b)" = "$(printf '0\n0')" ]
	[ "$fail" = 0 ]
	[ "$n" -gt 0 ]
	run cat err.a err.b err.agg
	refute_output --partial 'locked'
	refute_output --partial 'BUSY'
	assert_output ''
	cmp out.a a
	cmp out.b b
	run sq m.db 'SELECT count(*), count(DISTINCT batch_id) FROM metrics'
	assert_output '1200|1200'
	run sq m.db "SELECT count(*) FROM metrics WHERE batch_id NOT IN
	    ($(ids "$d/batches" | sed "s/.*/'&'/" | paste -sd,))"
	assert_output '0'
	# 4800 labelled rows, capped at buffer_rows after every commit.
	run sq m.db 'SELECT count(*), count(DISTINCT batch_id || row_index)
	    FROM evidence'
	assert_output '1000|1000'
	run db_check m.db
	assert_output 'ok'
	run_split mm-aggregate --db "$D" --now "$NOW"
	assert_success
	assert_equal "$stderr" ''
	run sed 's/^{"window":"\([^"]*\)",.*"n_batches":\([0-9]*\),.*/\1 \2/' \
	    <<<"$output"
	assert_output $'5m 4\n1h 59\n24h 1200'
}

@test "a new file locked by another's first transaction: writers wait for it" {
	local d=$BATS_FILE_TMPDIR i p1 p2 rc1=0 rc2=0

	sqlite_only
	# An empty file under BEGIN IMMEDIATE, as while another mm program
	# creates the schema: switching it to WAL must wait, not fail.
	: >m.db
	mkfifo ctl
	sqlite3 -batch m.db <ctl >holder.out 2>&1 3>&- &
	exec 6>ctl
	echo 'BEGIN IMMEDIATE;' >&6
	for i in $(seq 200); do [ -e m.db-journal ] && break; sleep 0.05; done
	[ -e m.db-journal ]
	head -n 20 "$d/records" >a
	mm-record --db m.db a >out 2>err 3>&- &
	p1=$!
	mm-aggregate --db m.db --now "$NOW" >agg.out 2>agg.err 3>&- &
	p2=$!
	sleep 0.3
	echo 'COMMIT;' >&6
	exec 6>&-
	wait "$p1" || rc1=$?
	wait "$p2" || rc2=$?
	wait
	assert_equal "$(cat err agg.err holder.out)" ''
	assert_equal "$rc1 $rc2" '0 0'
	cmp out a
	run sqlite3 -batch m.db 'SELECT count(*) FROM metrics; PRAGMA journal_mode'
	assert_output $'20\nwal'
}

@test "writers and mm-aggregate racing to create one database all succeed" {
	local d=$BATS_FILE_TMPDIR i p1 p2 p3 p4 D

	head -n 20 "$d/records" >a
	sed -n 11,30p "$d/records" >b
	for i in $(seq 30); do
		# On PostgreSQL: an empty database, the tables not made yet.
		dbdrop m.db
		D=$(db m.db)
		mm-record --db "$D" a >/dev/null 2>>err 3>&- &
		p1=$!
		mm-record --db "$D" b >/dev/null 2>>err 3>&- &
		p2=$!
		mm-record --db "$D" a >/dev/null 2>>err 3>&- &
		p3=$!
		mm-aggregate --db "$D" --now "$NOW" >/dev/null 2>>err 3>&- &
		p4=$!
		wait "$p1" && wait "$p2" && wait "$p3" && wait "$p4" || {
			cat err >&2
			echo "round $i: a process failed" >&2
			return 1
		}
		run sq m.db 'SELECT count(*), count(DISTINCT batch_id)
		    FROM metrics'
		assert_output '30|30'
	done
	run cat err
	assert_output ''
}

@test "killed before its commit (MM_FAULT): rerun stores each batch once" {
	local d=$BATS_FILE_TMPDIR D

	D=$(db m.db)
	head -n 300 "$d/batches" >in
	head -n 100 in | mm-record --db "$D" >/dev/null
	# The first group holds 100 stored batches and 28 new ones.
	run_split env MM_FAULT=record-before-commit mm-record --db "$D" \
	    --group 128 in
	assert_equal "$status" 137
	assert_equal "$output" ''
	assert_equal "$stderr" ''
	run sq m.db 'SELECT count(*), count(DISTINCT batch_id) FROM metrics'
	assert_output '100|100'
	run sq m.db 'SELECT count(*) FROM evidence'
	assert_output '400'
	run db_check m.db
	assert_output 'ok'
	run_split mm-record --db "$D" in
	assert_success
	assert_equal "$stderr" ''
	assert_equal "$output" "$(cat in)"
	run sq m.db 'SELECT count(*), count(DISTINCT batch_id) FROM metrics'
	assert_output '300|300'
	diff <(sq m.db 'SELECT batch_id FROM metrics ORDER BY id') <(ids in)
	run sq m.db 'SELECT count(*), count(DISTINCT batch_id || row_index)
	    FROM evidence'
	assert_output '1200|1200'
}

@test "killed by kill -9 while reading a fifo: what it printed is stored" {
	local d=$BATS_FILE_TMPDIR pid rc=0 D

	D=$(db m.db)
	head -n 300 "$d/batches" >in
	mkfifo fifo
	mm-record --db "$D" --group 16 <fifo >out 2>err 3>&- &
	pid=$!
	exec 5>fifo
	head -n 100 in >&5
	wait_lines out 100
	sed -n 101,150p in >&5
	# Half of record 151: mm-record commits and prints 150, then waits.
	sed -n 151p in | head -c 60 >&5
	wait_lines out 150
	kill -9 "$pid"
	wait "$pid" || rc=$?
	exec 5>&-
	assert_equal "$rc" 137
	assert_equal "$(cat err)" ''
	# What it printed is the input so far, and all of it is stored.
	cmp out <(head -n 150 in)
	run sq m.db 'SELECT count(*), count(DISTINCT batch_id) FROM metrics'
	assert_output '150|150'
	diff <(sq m.db 'SELECT batch_id FROM metrics ORDER BY id') <(ids out)
	run_split mm-record --db "$D" in
	assert_success
	assert_equal "$stderr" ''
	assert_equal "$output" "$(cat in)"
	run sq m.db 'SELECT count(*), count(DISTINCT batch_id) FROM metrics'
	assert_output '300|300'
	diff <(sq m.db 'SELECT batch_id FROM metrics ORDER BY id') <(ids in)
	run sq m.db 'SELECT count(*), count(DISTINCT batch_id || row_index)
	    FROM evidence'
	assert_output '1200|1200'
}

@test "killed by kill -9 at any moment: output a prefix, all of it stored" {
	local d=$BATS_FILE_TMPDIR pid rc=0 size nout ndb D

	D=$(db m.db)
	cp "$d/records" in
	mkfifo fifo
	pace in >fifo 3>&- &
	mm-record --db "$D" --group 7 <fifo >out 2>err 3>&- &
	pid=$!
	wait_lines out 40
	kill -9 "$pid"
	wait "$pid" || rc=$?
	wait
	assert_equal "$rc" 137
	assert_equal "$(cat err)" ''
	# A byte prefix of the input, cut anywhere.
	size=$(wc -c <out)
	cmp out <(head -c "$size" in)
	# Every whole record printed is stored; stored ones are a prefix.
	nout=$(wc -l <out)
	ndb=$(sq m.db 'SELECT count(*) FROM metrics')
	[ "$ndb" -ge "$nout" ]
	[ "$ndb" -lt 3000 ]
	diff <(sq m.db 'SELECT batch_id FROM metrics ORDER BY id') \
	    <(head -n "$ndb" in | ids /dev/stdin)
	run_split mm-record --db "$D" in
	assert_success
	assert_equal "$stderr" ''
	assert_equal "$output" "$(cat in)"
	run sq m.db 'SELECT count(*), count(DISTINCT batch_id) FROM metrics'
	assert_output '3000|3000'
}

@test "mm-record that cannot begin a transaction passes nothing on" {
	local d=$BATS_FILE_TMPDIR pid i rc=0 D want t0 t1

	D=$(db m.db)
	mm-record --db "$D" </dev/null
	# Another writer holds the lock past the busy timeout (on
	# PostgreSQL lock_timeout): 10 s unless MM_DB_TIMEOUT says, here 1 s.
	mkfifo ctl in
	if on_pg; then
		# The write lock (LOCK_WRITE in lib/pg.c), held alone, as a
		# writer other than mm-record holds it.
		psql -XqAt "$D" <ctl >holder.out 2>&1 3>&- &
		exec 6>ctl
		echo 'SELECT pg_advisory_lock(1835859969);' >&6
		for i in $(seq 200); do
			[ "$(sq m.db "SELECT count(*) FROM pg_locks WHERE
			    locktype = 'advisory' AND objid = 1835859969 AND
			    mode = 'ExclusiveLock' AND granted")" = 1 ] && break
			sleep 0.05
		done
		want="mm-record: $D: database error: canceling statement due to lock timeout"
	else
		sqlite3 -batch m.db <ctl >holder.out 2>&1 3>&- &
		exec 6>ctl
		printf '.timeout 5000\nBEGIN IMMEDIATE;\n' >&6
		for i in $(seq 200); do
			sqlite3 -batch -cmd '.timeout 0' m.db 'BEGIN IMMEDIATE' \
			    2>/dev/null || break
			sleep 0.05
		done
		want='mm-record: m.db: database error: database is locked'
	fi
	MM_DB_TIMEOUT=1 mm-record --db "$D" <in >out 2>err 3>&- &
	pid=$!
	exec 7>in
	t0=${EPOCHREALTIME/./}
	head -n 1 "$d/records" >&7
	# It gives up on its own; end its input if it does not (15 s).
	for i in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	t1=${EPOCHREALTIME/./}
	exec 7>&-
	wait "$pid" || rc=$?
	if on_pg; then
		echo 'SELECT pg_advisory_unlock_all();' >&6
	else
		echo 'COMMIT;' >&6
	fi
	exec 6>&-
	wait
	assert_equal "$rc" 3
	assert_equal "$(cat err)" "$want"
	# It waited its second, not the default 10.
	[ $((t1 - t0)) -ge 1000000 ] ||
	    fail "gave up after $((t1 - t0)) us, not 1 s"
	[ $((t1 - t0)) -lt 6000000 ] ||
	    fail "waited $((t1 - t0)) us, not 1 s"
	# Not stored, so not passed on.
	assert_equal "$(cat out)" ''
	run sq m.db 'SELECT count(*) FROM metrics'
	assert_output '0'
}

@test "MM_DB_TIMEOUT that is not a number of seconds: exit 2, named, nothing made" {
	local v
	for v in abc -1 1e3 ' 5' . 86401 0x10; do
		MM_DB_TIMEOUT=$v run_split mm-record --db t.db \
		    "$BATS_FILE_TMPDIR/records"
		assert_equal "$status" 2
		assert_equal "$output" ''
		assert_equal "$stderr" "mm-record: MM_DB_TIMEOUT: '$v' is not a number of seconds from 0 to 86400"
		[ ! -e t.db ] || fail "t.db made with MM_DB_TIMEOUT='$v'"
	done
	# Not a bad record, even where bad records are skipped.
	MM_DB_TIMEOUT=x run_split mm-decide --db t.db --skip-bad \
	    "$BATS_FILE_TMPDIR/records"
	assert_equal "$status" 2
	assert_equal "$output" ''
	assert_equal "$stderr" "mm-decide: MM_DB_TIMEOUT: 'x' is not a number of seconds from 0 to 86400"
	MM_DB_TIMEOUT=x run_split mm-aggregate --db t.db --now 1764140000
	assert_equal "$status" 2
	assert_equal "$stderr" "mm-aggregate: MM_DB_TIMEOUT: 'x' is not a number of seconds from 0 to 86400"
	[ ! -e t.db ] || fail "t.db made with MM_DB_TIMEOUT=x"
	MM_DB_TIMEOUT=0.5 run_split mm-aggregate --db t.db --now 1764140000
	assert_success
	MM_DB_TIMEOUT= run_split mm-aggregate --db t.db --now 1764140000
	assert_success
}

@test "a file that is not an SQLite database: exit 3, named, unchanged" {
	sqlite_only
	printf 'batch_id,ts\nb1,1764140000\n' >notdb.db
	cp notdb.db before
	run_split mm-record --db notdb.db "$BATS_FILE_TMPDIR/records"
	assert_equal "$status" 3
	assert_equal "$output" ''
	assert_equal "$stderr" \
	    'mm-record: notdb.db: database error: not an SQLite database'
	run_split mm-aggregate --db notdb.db --now "$NOW"
	assert_equal "$status" 3
	assert_equal "$output" ''
	assert_equal "$stderr" \
	    'mm-aggregate: notdb.db: database error: not an SQLite database'
	cmp notdb.db before
	run ls notdb.db*
	assert_output 'notdb.db'
}

@test "an immutable database file (chattr +i): exit 3, nothing written" {
	local d=$BATS_FILE_TMPDIR

	sqlite_only
	head -n 10 "$d/records" | mm-record --db ro.db >/dev/null
	chattr +i ro.db 2>/dev/null ||
		skip "chattr +i is not supported on $(df --output=fstype . |
		    tail -n 1)"
	lsattr ro.db | grep -q '^[^ ]*i' || skip "lsattr shows no +i"
	cp ro.db before
	run_split mm-record --db ro.db "$d/records"
	assert_equal "$status" 3
	assert_equal "$output" ''
	assert_equal "$stderr" 'mm-record: ro.db: cannot store metrics: '\
'attempt to write a readonly database'
	run_split mm-aggregate --db ro.db --now "$NOW"
	assert_equal "$status" 3
	assert_equal "$output" ''
	assert_equal "$stderr" 'mm-aggregate: ro.db: cannot store the '\
'summary: attempt to write a readonly database'
	chattr -i ro.db
	cmp ro.db before
	# No frame reached the write-ahead log either.
	[ ! -s ro.db-wal ]
	run sq ro.db 'SELECT count(*) FROM metrics; SELECT count(*) FROM
	    metrics_summary; PRAGMA integrity_check'
	assert_output $'10\n0\nok'
}

@test "a database on a read-only mount: exit 3, named, unchanged" {
	local d=$BATS_FILE_TMPDIR

	sqlite_only
	mount_tmpfs 256k
	head -n 10 "$d/records" | mm-record --db mnt/m.db >/dev/null
	cp mnt/m.db before
	mount -o remount,ro mnt
	run_split mm-record --db mnt/m.db "$d/records"
	assert_equal "$status" 3
	assert_equal "$output" ''
	assert_equal "$stderr" 'mm-record: mnt/m.db: database error: '\
'unable to open database file'
	run_split mm-aggregate --db mnt/m.db --now "$NOW"
	assert_equal "$status" 3
	assert_equal "$stderr" 'mm-aggregate: mnt/m.db: database error: '\
'unable to open database file'
	cmp mnt/m.db before
	run ls mnt
	assert_output 'm.db'
	mount -o remount,rw mnt
	run sq mnt/m.db 'SELECT count(*) FROM metrics; PRAGMA integrity_check'
	assert_output $'10\nok'
}

# full_disk_check DB MESSAGE: after `run_split mm-record --db DB --group
# 64` on the records was stopped by a full disk or a file size limit.
full_disk_check() {
	local db=$1 msg=$2 n

	assert_equal "$status" 3
	assert_equal "$stderr" "mm-record: $db: database error: $msg"
	# Only whole groups are stored, and exactly the ones printed.
	n=$(printf '%s\n' "$output" | grep -c .)
	[ "$n" -gt 0 ]
	[ "$n" -lt 3000 ]
	[ $((n % 64)) = 0 ]
	assert_equal "$output" "$(head -n "$n" "$BATS_FILE_TMPDIR/records")"
	run sq "$db" 'SELECT count(*), count(DISTINCT batch_id) FROM metrics;
	    PRAGMA integrity_check'
	assert_output "$n|$n"$'\nok'
	diff <(sq "$db" 'SELECT batch_id FROM metrics ORDER BY id') \
	    <(head -n "$n" "$BATS_FILE_TMPDIR/records" | ids /dev/stdin)
}

@test "a full disk (tmpfs): exit 3, only whole groups stored, rerun completes" {
	local d=$BATS_FILE_TMPDIR avail

	sqlite_only
	mount_tmpfs 8m
	mm-record --db mnt/m.db </dev/null
	# Leave about 100 KiB free.
	avail=$(df -k --output=avail mnt | tail -n 1)
	dd if=/dev/zero of=mnt/fill bs=1k count=$((avail - 100)) 2>/dev/null
	run_split mm-record --db mnt/m.db --group 64 "$d/records"
	full_disk_check mnt/m.db 'database or disk is full'
	rm mnt/fill
	run_split mm-record --db mnt/m.db --group 64 "$d/records"
	assert_success
	assert_equal "$stderr" ''
	run sq mnt/m.db 'SELECT count(*), count(DISTINCT batch_id) FROM metrics'
	assert_output '3000|3000'
}

@test "a file size limit (ulimit -f): exit 3, only whole groups stored" {
	local d=$BATS_FILE_TMPDIR

	sqlite_only
	mm-record --db m.db </dev/null
	# The limit in KiB; SIGXFSZ ignored, so write(2) fails with EFBIG.
	run_split bash -c 'trap "" XFSZ; ulimit -f 150; exec mm-record \
	    --db m.db --group 64 "$1"' - "$d/records"
	full_disk_check m.db 'disk I/O error'
	run_split mm-record --db m.db --group 64 "$d/records"
	assert_success
	run sq m.db 'SELECT count(*), count(DISTINCT batch_id) FROM metrics'
	assert_output '3000|3000'
}
