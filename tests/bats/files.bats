#!/usr/bin/env bats
# The files mm makes: the database, the model store and the page are the
# owner's alone (0600, directories 0700) unless $MM_FILE_MODE says
# otherwise, and nothing planted under a temporary name is written
# through.  Every test runs under umask 022, the usual default, under
# which they used to be 0644 and 0755.

bats_require_minimum_version 1.5.0
load helper

T0=1764140000
V1=20251126T065320Z

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	unset MM_CONFIG MM_MODELS MM_DB MM_FILE_MODE
	umask 022
	mkdir -p conf
	printf 'n_estimators: 5\n' >conf/model.yaml
}

train() {
	mm-train --config conf --synthetic --rows 300 "$@" >/dev/null
}

# modes PATH...: "mode name" per line, as stat(1) gives them.
modes() {
	stat -c '%a %n' "$@"
}

# A database with one batch in it, made by mm-record.
record() {
	printf '{"batch_id":"b1","ts":%d,"metrics":{"n_samples":10,"f1":0.9}}\n' \
	    $T0 | mm-record "$@" >/dev/null
}

@test "the database, its directories, -wal and -shm: 0600 and 0700" {
	record --db data/metrics/m.db
	assert_equal "$(modes data data/metrics data/metrics/m.db)" "700 data
700 data/metrics
600 data/metrics/m.db"
	# SQLite makes -wal and -shm with the database's mode; they last
	# while a connection is open.
	run sqlite3 data/metrics/m.db \
	    "INSERT INTO alert_state VALUES ('k', 1)" \
	    ".shell stat -c '%a %n' data/metrics/m.db-wal data/metrics/m.db-shm"
	assert_success
	assert_output "600 data/metrics/m.db-wal
600 data/metrics/m.db-shm"
	# A database that is there keeps its mode.
	chmod 640 data/metrics/m.db
	record --db data/metrics/m.db
	assert_equal "$(modes data/metrics/m.db)" "640 data/metrics/m.db"
}

@test "the default database path is made 0700 / 0600 too" {
	record
	assert_equal "$(modes data data/metrics data/metrics/metrics.db)" \
	    "700 data
700 data/metrics
600 data/metrics/metrics.db"
}

@test "the model store: every file 0600, every directory 0700" {
	train --models a/b/m --now $T0
	train --models a/b/m --now $((T0 + 60)) --stage
	run modes a a/b a/b/m a/b/m/.lock a/b/m/active.json \
	    a/b/m/candidate.json a/b/m/versions a/b/m/versions/$V1 \
	    a/b/m/versions/$V1/card.json a/b/m/versions/$V1/model.json \
	    a/b/m/versions/$V1/reference.json
	assert_output "700 a
700 a/b
700 a/b/m
600 a/b/m/.lock
600 a/b/m/active.json
600 a/b/m/candidate.json
700 a/b/m/versions
700 a/b/m/versions/$V1
600 a/b/m/versions/$V1/card.json
600 a/b/m/versions/$V1/model.json
600 a/b/m/versions/$V1/reference.json"
	# Replaced files are made anew, with the mode.
	chmod 644 a/b/m/active.json
	mm-models --models a/b/m --now $((T0 + 120)) promote >/dev/null
	assert_equal "$(modes a/b/m/active.json)" "600 a/b/m/active.json"
}

@test "the page: 0600" {
	record --db m.db
	mm-report --db m.db --models none --now $T0
	assert_equal "$(modes report.html)" "600 report.html"
}

@test "MM_FILE_MODE=0640: group read, directories 0750" {
	export MM_FILE_MODE=0640
	record --db d/m.db
	train --models m --now $T0
	mm-report --db d/m.db --models m --now $T0 -o r.html
	run modes d d/m.db m m/active.json m/versions m/versions/$V1 \
	    m/versions/$V1/model.json r.html
	assert_output "750 d
640 d/m.db
750 m
640 m/active.json
750 m/versions
750 m/versions/$V1
640 m/versions/$V1/model.json
640 r.html"
}

@test "MM_FILE_MODE is less the umask, as any mode open(2) is given" {
	MM_FILE_MODE=0666 record --db m.db
	assert_equal "$(modes m.db)" "644 m.db"
	umask 077
	MM_FILE_MODE=0644 train --models m --now $T0
	assert_equal "$(modes m m/active.json)" "700 m
600 m/active.json"
}

@test "a bad MM_FILE_MODE is a usage error, and nothing is made" {
	for v in 0444 0200 644x 1777 rw-r----- -1; do
		MM_FILE_MODE=$v run_split mm-record --db m.db </dev/null
		assert_failure 2
		assert_output ""
		assert_equal "$stderr" "mm-record: MM_FILE_MODE: '$v' is not a mode such as 0600 or 0640 (octal, letting the owner read and write)"
		MM_FILE_MODE=$v run_split mm-train --config conf --synthetic \
		    --rows 300 --models m --now $T0
		assert_failure 2
		assert_equal "$stderr" "mm-train: MM_FILE_MODE: '$v' is not a mode such as 0600 or 0640 (octal, letting the owner read and write)"
	done
	[ ! -e m.db ]
	[ ! -e m ]
}

# versions/.tmp-NAME-PID is mm-train's own; a link planted under such a
# name is removed by the sweep, never followed into what it points to.
@test "a link planted at versions/.tmp-* is removed, not followed" {
	train --models m --now $T0
	mkdir keep
	printf 'kept\n' >keep/file
	ln -s ../../keep m/versions/.tmp-20251126T065420Z-1
	ln -s ../../keep/file m/versions/.tmp-x
	train --models m --now $((T0 + 60))
	assert_equal "$(cat keep/file)" "kept"
	assert_equal "$(ls -A m/versions)" "20251126T065320Z
20251126T065420Z"
}

@test "a file planted where a store writer writes is not written through" {
	train --models m --now $T0
	printf 'mine\n' >target
	for f in active.json.tmp candidate.json.tmp .active.json.abcdef \
	    .candidate.json.abcdef; do
		ln -s "$PWD/target" "m/$f"
	done
	train --models m --now $((T0 + 60)) --activate
	mm-models --models m stage $V1 >/dev/null
	assert_equal "$(cat target)" "mine"
	[ ! -L m/active.json ]
	[ ! -L m/candidate.json ]
	assert_equal "$(ls -A m)" ".lock
active.json
candidate.json
versions"
}
