#!/usr/bin/env bats
# The bad-input matrix: every program against every kind of bad input,
# bad database and bad standard output, from one table (table() below).
# A row is
#
#	PROGRAM | CASE | EXIT | STDERR | known WHY
#
# EXIT is the status expected ("0,141": either), STDERR an extended
# regular expression the whole of standard error must match after
# "PROGRAM: " (empty: nothing at all on standard error).  "known WHY"
# marks a cell whose fix is pending in a file someone else owns: it is
# still run, and the program's test is skipped with WHY (what it does
# today) as long as its only failures are known ones; a known cell
# that passes is named in the skip, so the marker can go.
#
# One @test a program, which runs all of its cells and names every one
# that fails: program, case, expected and got.  Besides its row, every
# cell checks: no crash (a status of 128 or more other than 141 for
# SIGPIPE), no sanitizer report, and after a bad record (exit 2) that
# what the good record before it gave was written (mm-record: and
# stored; mm-train: nothing stored, as its man page says).  A cell of
# closed-stdout checks the database is whole.
#
# tests/matrix-table.sh prints the table as markdown for
# tests/README.md; the last test checks the README holds it.
#
# The cases (tests/README.md says why each expectation):
#   record input, the bad line between two good ones, so line 2:
#	empty (no bytes), blank-line, whitespace, not-json, truncated,
#	truncated-eof (the last line cut, no newline), 1e400, -0, NaN,
#	nul-escape ("\u0000" in a string it reads), nul-byte, bad-utf8,
#	deep-nesting (100000 levels), dup-key (a key it reads, twice),
#	wrong-type
#   database: db-readonly (chattr +i, which holds as root, where chmod
#	does not), db-locked (another process holds BEGIN EXCLUSIVE for
#	0.3 s: wait for it, then succeed), db-corrupt (garbage bytes),
#	db-newer (schema 99), disk-full (a full tmpfs)
#   standard output: devfull (output smaller than the stdio buffer, so
#	the error comes at the end), devfull-large (larger: it comes at
#	a write), sigpipe (| head -1: no message, death by SIGPIPE, 141;
#	0,141 where all of the output may fit in the pipe), closed-stdout
#	(>&-)

bats_require_minimum_version 1.5.0
load helper

T0=1764140000			# the store's version and mm-gen's first batch
JOBS=4				# cells at a time
NOW=$((T0 + 40 * 60))		# after the 40th batch

table() {
	cat <<'END'
# program    | case          | exit  | stderr after "program: " (ERE; - for none) [| known WHY]
mm-gen       | devfull       | 3     | write error: No space left on device
mm-gen       | devfull-large | 3     | write error: No space left on device
mm-gen       | sigpipe       | 141   | -
mm-gen       | closed-stdout | 3     | write error: Bad file descriptor
mm-batch     | empty         | 0     | -
mm-batch     | blank-line    | 2     | line 2: empty line
mm-batch     | whitespace    | 2     | line 2: empty line
mm-batch     | not-json      | 2     | line 2: invalid JSON: expected a JSON object, found 'n'
mm-batch     | truncated     | 2     | line 2: invalid JSON: .*
mm-batch     | truncated-eof | 2     | line 2: invalid JSON: .*
mm-batch     | 1e400         | 2     | line 2: .*(out of range|overflow).*
mm-batch     | -0            | 0     | -
mm-batch     | NaN           | 2     | line 2: .*(invalid JSON|not a number).*
mm-batch     | nul-escape    | 0     | -
mm-batch     | nul-byte      | 2     | line 2: invalid JSON: .*
mm-batch     | bad-utf8      | 2     | line 2: invalid UTF-8 at byte [0-9]+
mm-batch     | deep-nesting  | 2     | line 2: invalid JSON: nested deeper than 256
mm-batch     | dup-key       | 2     | line 2: .*appears twice
mm-batch     | wrong-type    | 2     | line 2: .*
mm-batch     | devfull       | 3     | write error: No space left on device
mm-batch     | devfull-large | 3     | write error: No space left on device
mm-batch     | sigpipe       | 141   | -
mm-batch     | closed-stdout | 3     | write error: Bad file descriptor
mm-train     | empty         | 2     | no training rows
mm-train     | blank-line    | 2     | line 2: empty line
mm-train     | whitespace    | 2     | line 2: empty line
mm-train     | not-json      | 2     | line 2: invalid JSON: expected a JSON object, found 'n'
mm-train     | truncated     | 2     | line 2: invalid JSON: .*
mm-train     | truncated-eof | 2     | line 2: invalid JSON: .*
mm-train     | 1e400         | 2     | line 2: .*(out of range|overflow).*
mm-train     | -0            | 0     | -
mm-train     | NaN           | 2     | line 2: .*(invalid JSON|not a number).*
mm-train     | nul-escape    | 2     | line 2: .*NUL.*
mm-train     | nul-byte      | 2     | line 2: invalid JSON: .*
mm-train     | bad-utf8      | 2     | line 2: invalid UTF-8 at byte [0-9]+
mm-train     | deep-nesting  | 2     | line 2: invalid JSON: nested deeper than 256
mm-train     | dup-key       | 2     | line 2: .*appears twice
mm-train     | wrong-type    | 2     | line 2: .*
mm-train     | devfull       | 3     | write error: No space left on device
mm-train     | sigpipe       | 0,141 | -
mm-train     | closed-stdout | 3     | write error: Bad file descriptor
mm-predict   | empty         | 0     | -
mm-predict   | blank-line    | 2     | line 2: empty line
mm-predict   | whitespace    | 2     | line 2: empty line
mm-predict   | not-json      | 2     | line 2: invalid JSON: expected a JSON object, found 'n'
mm-predict   | truncated     | 2     | line 2: invalid JSON: .*
mm-predict   | truncated-eof | 2     | line 2: invalid JSON: .*
mm-predict   | 1e400         | 2     | line 2: .*(out of range|overflow).*
mm-predict   | -0            | 0     | -
mm-predict   | NaN           | 2     | line 2: .*(invalid JSON|not a number).*
mm-predict   | nul-escape    | 2     | line 2: .*NUL.*
mm-predict   | nul-byte      | 2     | line 2: invalid JSON: .*
mm-predict   | bad-utf8      | 2     | line 2: invalid UTF-8 at byte [0-9]+
mm-predict   | deep-nesting  | 2     | line 2: invalid JSON: nested deeper than 256
mm-predict   | dup-key       | 2     | line 2: .*appears twice
mm-predict   | wrong-type    | 2     | line 2: .*
mm-predict   | devfull       | 3     | write error: No space left on device
mm-predict   | devfull-large | 3     | write error: No space left on device
mm-predict   | sigpipe       | 141   | -
mm-predict   | closed-stdout | 3     | write error: Bad file descriptor
mm-psi       | empty         | 0     | -
mm-psi       | blank-line    | 2     | line 2: empty line
mm-psi       | whitespace    | 2     | line 2: empty line
mm-psi       | not-json      | 2     | line 2: invalid JSON: expected a JSON object, found 'n'
mm-psi       | truncated     | 2     | line 2: (invalid JSON: .*|feature '[^']*' value [0-9]+ is not a number: .*)
mm-psi       | truncated-eof | 2     | line 2: (invalid JSON: .*|feature '[^']*' value [0-9]+ is not a number: .*)
mm-psi       | 1e400         | 2     | line 2: .*(out of range|overflow).*
mm-psi       | -0            | 0     | -
mm-psi       | NaN           | 2     | line 2: .*(invalid JSON|not a number).*
mm-psi       | nul-escape    | 2     | line 2: .*NUL.*
mm-psi       | nul-byte      | 2     | line 2: invalid JSON: .*
mm-psi       | bad-utf8      | 2     | line 2: invalid UTF-8 at byte [0-9]+
mm-psi       | deep-nesting  | 2     | line 2: invalid JSON: nested deeper than 256
mm-psi       | dup-key       | 2     | line 2: .*appears twice
mm-psi       | wrong-type    | 2     | line 2: .*
mm-psi       | devfull       | 3     | write error: No space left on device
mm-psi       | devfull-large | 3     | write error: No space left on device
mm-psi       | sigpipe       | 141   | -
mm-psi       | closed-stdout | 3     | write error: Bad file descriptor
mm-record    | empty         | 0     | -
mm-record    | blank-line    | 2     | line 2: empty line
mm-record    | whitespace    | 2     | line 2: empty line
mm-record    | not-json      | 2     | line 2: invalid JSON: expected a JSON object, found 'n'
mm-record    | truncated     | 2     | line 2: invalid JSON: .*
mm-record    | truncated-eof | 2     | line 2: invalid JSON: .*
mm-record    | 1e400         | 2     | line 2: .*(out of range|overflow).*
mm-record    | -0            | 0     | -
mm-record    | NaN           | 2     | line 2: .*(invalid JSON|not a number).*
mm-record    | nul-escape    | 2     | line 2: .*NUL.*
mm-record    | nul-byte      | 2     | line 2: invalid JSON: .*
mm-record    | bad-utf8      | 2     | line 2: invalid UTF-8 at byte [0-9]+
mm-record    | deep-nesting  | 2     | line 2: invalid JSON: nested deeper than 256
mm-record    | dup-key       | 2     | line 2: .*appears twice
mm-record    | wrong-type    | 2     | line 2: .*
mm-record    | db-readonly   | 3     | D: cannot store metrics: attempt to write a readonly database
mm-record    | db-locked     | 0     | -
mm-record    | db-corrupt    | 3     | D: database error: not an SQLite database
mm-record    | db-newer      | 3     | D: database schema 99 is newer than this mm knows \(4\); upgrade mm
mm-record    | disk-full     | 3     | mnt/D: .*(disk is full|No space left on device).*
mm-record    | devfull       | 3     | write error: No space left on device
mm-record    | devfull-large | 3     | write error: No space left on device
mm-record    | sigpipe       | 141   | -
mm-record    | closed-stdout | 3     | write error: Bad file descriptor
mm-trust     | empty         | 0     | -
mm-trust     | blank-line    | 2     | line 2: empty line
mm-trust     | whitespace    | 2     | line 2: empty line
mm-trust     | not-json      | 2     | line 2: invalid JSON: expected a JSON object, found 'n'
mm-trust     | truncated     | 2     | line 2: invalid JSON: .*
mm-trust     | truncated-eof | 2     | line 2: invalid JSON: .*
mm-trust     | 1e400         | 2     | line 2: .*(out of range|overflow).*
mm-trust     | -0            | 0     | -
mm-trust     | NaN           | 2     | line 2: .*(invalid JSON|not a number).*
mm-trust     | nul-escape    | 0     | -
mm-trust     | nul-byte      | 2     | line 2: invalid JSON: .*
mm-trust     | bad-utf8      | 2     | line 2: invalid UTF-8 at byte [0-9]+
mm-trust     | deep-nesting  | 2     | line 2: invalid JSON: nested deeper than 256
mm-trust     | dup-key       | 2     | line 2: .*appears twice
mm-trust     | wrong-type    | 2     | line 2: .*
mm-trust     | devfull       | 3     | write error: No space left on device
mm-trust     | devfull-large | 3     | write error: No space left on device
mm-trust     | sigpipe       | 141   | -
mm-trust     | closed-stdout | 3     | write error: Bad file descriptor
mm-decide    | empty         | 0     | -
mm-decide    | blank-line    | 2     | line 2: empty line
mm-decide    | whitespace    | 2     | line 2: empty line
mm-decide    | not-json      | 2     | line 2: invalid JSON: expected a JSON object, found 'n'
mm-decide    | truncated     | 2     | line 2: invalid JSON: .*
mm-decide    | truncated-eof | 2     | line 2: invalid JSON: .*
mm-decide    | 1e400         | 2     | line 2: .*(out of range|overflow).*
mm-decide    | -0            | 0     | -
mm-decide    | NaN           | 2     | line 2: .*(invalid JSON|not a number).*
mm-decide    | nul-escape    | 2     | line 2: .*NUL.*
mm-decide    | nul-byte      | 2     | line 2: invalid JSON: .*
mm-decide    | bad-utf8      | 2     | line 2: invalid UTF-8 at byte [0-9]+
mm-decide    | deep-nesting  | 2     | line 2: invalid JSON: nested deeper than 256
mm-decide    | dup-key       | 2     | line 2: .*appears twice
mm-decide    | wrong-type    | 2     | line 2: .*
mm-decide    | db-readonly   | 0     | -
mm-decide    | db-locked     | 0     | -
mm-decide    | db-corrupt    | 3     | D: database error: not an SQLite database
mm-decide    | db-newer      | 3     | D: database schema 99 is newer than this mm knows \(4\); upgrade mm
mm-decide    | disk-full     | 3     | mnt/D: .*(disk is full|No space left on device).*
mm-decide    | devfull       | 3     | write error: No space left on device
mm-decide    | devfull-large | 3     | write error: No space left on device
mm-decide    | sigpipe       | 141   | -
mm-decide    | closed-stdout | 3     | write error: Bad file descriptor
mm-exec      | empty         | 0     | -
mm-exec      | blank-line    | 2     | line 2: empty line
mm-exec      | whitespace    | 2     | line 2: empty line
mm-exec      | not-json      | 2     | line 2: invalid JSON: expected a JSON object, found 'n'
mm-exec      | truncated     | 2     | line 2: invalid JSON: .*
mm-exec      | truncated-eof | 2     | line 2: invalid JSON: .*
mm-exec      | 1e400         | 2     | line 2: .*(out of range|overflow).*
mm-exec      | -0            | 0     | -
mm-exec      | NaN           | 2     | line 2: .*(invalid JSON|not a number).*
mm-exec      | nul-escape    | 2     | line 2: .*NUL.*
mm-exec      | nul-byte      | 2     | line 2: invalid JSON: .*
mm-exec      | bad-utf8      | 2     | line 2: invalid UTF-8 at byte [0-9]+
mm-exec      | deep-nesting  | 2     | line 2: invalid JSON: nested deeper than 256
mm-exec      | dup-key       | 2     | line 2: .*appears twice
mm-exec      | wrong-type    | 2     | line 2: .*
mm-exec      | db-readonly   | 3     | D: cannot record the decision: attempt to write a readonly database
mm-exec      | db-locked     | 0     | -
mm-exec      | db-corrupt    | 3     | D: database error: not an SQLite database
mm-exec      | db-newer      | 3     | D: database schema 99 is newer than this mm knows \(4\); upgrade mm
mm-exec      | disk-full     | 3     | mnt/D: .*(disk is full|No space left on device).*
mm-exec      | devfull       | 3     | write error: No space left on device
mm-exec      | devfull-large | 3     | write error: No space left on device
mm-exec      | sigpipe       | 141   | -
mm-exec      | closed-stdout | 3     | write error: Bad file descriptor
mm-alert     | empty         | 0     | -
mm-alert     | blank-line    | 2     | line 2: empty line
mm-alert     | whitespace    | 2     | line 2: empty line
mm-alert     | not-json      | 2     | line 2: invalid JSON: expected a JSON object, found 'n'
mm-alert     | truncated     | 2     | line 2: invalid JSON: .*
mm-alert     | truncated-eof | 2     | line 2: invalid JSON: .*
mm-alert     | 1e400         | 2     | line 2: .*(out of range|overflow).*
mm-alert     | -0            | 0     | -
mm-alert     | NaN           | 2     | line 2: .*(invalid JSON|not a number).*
mm-alert     | nul-escape    | 0     | -
mm-alert     | nul-byte      | 2     | line 2: invalid JSON: .*
mm-alert     | bad-utf8      | 2     | line 2: invalid UTF-8 at byte [0-9]+
mm-alert     | deep-nesting  | 2     | line 2: invalid JSON: nested deeper than 256
mm-alert     | dup-key       | 2     | line 2: .*appears twice
mm-alert     | wrong-type    | 2     | line 2: .*
mm-alert     | db-readonly   | 0     | -
mm-alert     | db-locked     | 0     | -
mm-alert     | db-corrupt    | 3     | D: database error: not an SQLite database
mm-alert     | db-newer      | 3     | D: database schema 99 is newer than this mm knows \(4\); upgrade mm
mm-alert     | disk-full     | 3     | mnt/D: .*(disk is full|No space left on device).*
mm-alert     | devfull       | 3     | write error: No space left on device
mm-alert     | devfull-large | 3     | write error: No space left on device
mm-alert     | sigpipe       | 141   | -
mm-alert     | closed-stdout | 3     | write error: Bad file descriptor
mm-aggregate | db-readonly   | 3     | D: cannot store the summary: attempt to write a readonly database
mm-aggregate | db-locked     | 0     | -
mm-aggregate | db-corrupt    | 3     | D: database error: not an SQLite database
mm-aggregate | db-newer      | 3     | D: database schema 99 is newer than this mm knows \(4\); upgrade mm
mm-aggregate | disk-full     | 3     | mnt/D: .*(disk is full|No space left on device).*
mm-aggregate | devfull       | 3     | write error: No space left on device
mm-aggregate | sigpipe       | 0,141 | -
mm-aggregate | closed-stdout | 3     | write error: Bad file descriptor
mm-models    | devfull       | 3     | write error: No space left on device
mm-models    | sigpipe       | 0,141 | -
mm-models    | closed-stdout | 3     | write error: Bad file descriptor
mm-report    | db-readonly   | 0     | -
mm-report    | db-locked     | 0     | -
mm-report    | db-corrupt    | 3     | D: database error: not an SQLite database
mm-report    | db-newer      | 3     | D: database schema 99 is newer than this mm knows \(4\); upgrade mm
mm-report    | disk-full     | 3     | mnt/D: .*(disk is full|No space left on device).*
mm-report    | devfull-large | 3     | write error: No space left on device
mm-report    | sigpipe       | 0,141 | -
mm-report    | closed-stdout | 3     | write error: Bad file descriptor
END
}
setup_file() {
	local d=$BATS_FILE_TMPDIR p x

	trap - DEBUG		# as in program()

	cd "$d" || return 1
	mkdir cfg in good1
	# Small on purpose: mm-train's input here is a few rows.
	printf 'n_estimators: 10\nmin_validation_rows: 1\n' >cfg/model.yaml
	mm-train --synthetic --rows 500 --models M --config cfg \
	    --now "$T0" >/dev/null
	# Every program's usual input, 40 records, from the pipeline itself.
	mm-gen --batches 40 --batch-size 50 --seed 1 >gen
	mm-gen --format rows --rows 2000 --seed 1 >rows
	mm-predict --models M <gen >pred
	mm-psi --models M <pred >psi
	mm-record --db D0 </dev/null
	mm-record --db D --config cfg --now "$NOW" <psi >rec
	mm-trust --config cfg <rec >trust
	mm-decide --db D --models M --config cfg <trust >dec
	mm-exec --db D --models M --config cfg --now "$NOW" <dec >exe
	# One batch of 3 rows through the same stages, for output smaller
	# than the stdio buffer (about 1 KiB a record).
	mkdir tiny
	head -n 1 rows >tiny/rows
	mm-gen --batches 1 --batch-size 3 --seed 2 >tiny/gen
	mm-predict --models M <tiny/gen >tiny/pred
	mm-psi --models M <tiny/pred >tiny/psi
	mm-record --db tiny/D --now "$NOW" <tiny/psi >tiny/rec
	mm-trust --config cfg <tiny/rec >tiny/trust
	mm-decide --db D --models M --config cfg <tiny/trust >tiny/dec
	sqlite3 -batch D 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	# Each program's starting point: copies of M, D (or D0 as D).
	for p in $PROGS; do
		profile "$p"
		mkdir -p "ctx/$p"
		for x in $NEED; do
			cp -r "$x" "ctx/$p/${x%0}"
		done
	done
	# Its inputs: one good record, all 40, and the bad ones.
	set --
	for p in $RECORD_PROGS; do
		profile "$p"
		head -n 1 "$STAGE" >"in/$p.good"
		cp "$STAGE" "in/$p.large"
		set -- "$@" "$p" "$STAGE" "${MUT[@]}"
	done
	/usr/bin/python3 "$MM_TOP/tests/matrix-bad.py" in "$@"
	# What the good record alone gives, made comparable (norm).
	for p in $RECORD_PROGS; do
		(
			mkdir "$d/c" && cd "$d/c" && context "$p" &&
			"$p" "${ARGS[@]}" <"$d/in/$p.good" | norm >"$d/good1/$p"
		) || return 1
		rm -rf "$d/c"
	done
}
RECORD_PROGS="mm-batch mm-train mm-predict mm-psi mm-record mm-trust
mm-decide mm-exec mm-alert"
PROGS="mm-gen $RECORD_PROGS mm-aggregate mm-models mm-report"

# profile PROG: ARGS (with the database as $DB), STAGE (its input, or
# empty), MUT (what matrix-bad.py changes: the paths of a number and a
# string it reads, a key it reads, a value of the wrong type), SMALL (a
# record of 3 rows) and LARGE (40 of 50 rows), NEED (what of M, D, D0 it
# starts from).
profile() {
	local d=$BATS_FILE_TMPDIR

	DB=${DB:-D}
	STAGE= NEED= MUT=()
	case $1 in
	mm-gen) ARGS=() ;;
	mm-batch) ARGS=(--size 1) STAGE=$d/rows
		MUT=(f0 f1 f0 'label=true') ;;
	mm-train) ARGS=(--models M --config "$d/cfg" --now $((T0 + 60)))
		STAGE=$d/gen NEED=M
		MUT=(features.f0.0 batch_id features features=5) ;;
	mm-predict) ARGS=(--models M) STAGE=$d/gen NEED=M
		MUT=(features.f0.0 batch_id features features=5) ;;
	mm-psi) ARGS=(--models M) STAGE=$d/pred NEED=M
		MUT=(features.f0.0 batch_id features features=5) ;;
	mm-record) ARGS=(--db "$DB" --config "$d/cfg" --now "$NOW")
		STAGE=$d/psi NEED=D0
		MUT=(metrics.f1 batch_id batch_id ts='"x"') ;;
	mm-trust) ARGS=(--config "$d/cfg") STAGE=$d/rec
		MUT=(metrics.f1 drift.status metrics metrics=5) ;;
	mm-decide) ARGS=(--db "$DB" --models M --config "$d/cfg")
		STAGE=$d/trust NEED="M D"
		MUT=(trust.score batch_id trust trust=5) ;;
	mm-exec) ARGS=(--db "$DB" --models M --config "$d/cfg" --now "$NOW")
		STAGE=$d/dec NEED="M D"
		MUT=(ts batch_id decision decision=5) ;;
	mm-alert) ARGS=(--db "$DB" --config "$d/cfg" --now "$NOW")
		STAGE=$d/trust NEED=D
		MUT=(trust.score batch_id trust trust=5) ;;
	mm-aggregate) ARGS=(--db "$DB" --models M --config "$d/cfg"
		--now "$NOW") NEED="M D" ;;
	mm-models) ARGS=(--models M show) NEED=M ;;
	mm-report) ARGS=(--db "$DB" --models M --config "$d/cfg"
		--now "$NOW" -o -) NEED="M D" ;;
	*) echo "no profile for $1" >&2; return 1 ;;
	esac
	SMALL=$d/tiny/${STAGE##*/} LARGE=$d/in/$1.large
	# mm-train needs more rows, and prints a line whatever it reads.
	[ "$1" != mm-train ] || SMALL=$d/in/$1.good
	[ -n "$STAGE" ] || SMALL=/dev/null LARGE=/dev/null
}

# context PROG: a fresh model store and database in the current
# directory, as the program's profile names them.
context() {
	profile "$1" || return 1
	[ ! -d "$BATS_FILE_TMPDIR/ctx/$1" ] ||
		cp -r "$BATS_FILE_TMPDIR/ctx/$1/." .
}

# gen_args small|large: mm-gen's arguments for a small or large output.
gen_args() {
	if [ "$1" = small ]; then
		ARGS=(--batches 1 --batch-size 5)
	else
		ARGS=(--batches 40 --batch-size 50)
	fi
}

# hold_lock DB SECONDS: another process holds BEGIN EXCLUSIVE on DB for
# SECONDS from the moment it has it (it says so by a file, so a loaded
# machine cannot shorten the hold); returns once it holds it.  HOLDER is
# its pid.
hold_lock() {
	local i mark=$PWD/.locked

	rm -f "$mark"
	{
		echo 'BEGIN EXCLUSIVE;'
		echo ".shell touch '$mark'"
		while [ ! -e "$mark" ]; do sleep 0.01; done
		sleep "$2"
		echo 'COMMIT;'
	} | sqlite3 -batch "$1" >/dev/null 2>&1 3>&- &
	HOLDER=$!
	for i in $(seq 6000); do
		[ -e "$mark" ] && return 0
		sleep 0.01
	done
	echo "the lock was never taken" >&2
	return 1
}

# mount_full: a full tmpfs on ./mnt holding a copy of D; SKIPPED says
# why not when tmpfs cannot be mounted here.
mount_full() {
	mkdir mnt
	mount -t tmpfs -o size=4m tmpfs mnt 2>/dev/null || {
		SKIPPED="cannot mount a tmpfs here"
		return 1
	}
	cp D mnt/D
	dd if=/dev/zero of=mnt/fill bs=4k 2>/dev/null || true
}


# run_case PROG CASE: run PROG on CASE in a fresh context in the current
# directory; sets status, and OUT and ERR (files).
run_case() {
	local p=$1 c=$2 in

	context "$p" || return 1
	in=$SMALL
	[ "$p" = mm-gen ] && gen_args small
	OUT=$PWD/out ERR=$PWD/err
	status=0
	case $c in
	db-readonly)
		# chmod does not stop root; chattr +i does, and needs root.
		: >ro
		if ! chattr +i D 2>/dev/null; then
			[ "$(id -u)" != 0 ] || {
				SKIPPED="chattr +i is not supported here"
				return 0
			}
			chmod 0444 D
		fi
		;;
	db-locked) hold_lock D 0.3 || return 1 ;;
	db-corrupt) yes 'not a database' | head -c 16384 >D ;;
	db-newer)
		sqlite3 -batch D 'INSERT INTO schema_version VALUES (99, 0)'
		;;
	disk-full)
		mount_full || return 0
		DB=mnt/D profile "$p"
		in=$LARGE
		;;
	devfull)
		"$p" "${ARGS[@]}" <"$in" >/dev/full 2>"$ERR" || status=$?
		return 0 ;;
	devfull-large)
		in=$LARGE
		[ "$p" = mm-gen ] && gen_args large
		"$p" "${ARGS[@]}" <"$in" >/dev/full 2>"$ERR" || status=$?
		return 0 ;;
	sigpipe)
		in=$LARGE
		[ "$p" = mm-gen ] && gen_args large
		"$p" "${ARGS[@]}" <"$in" 2>"$ERR" | head -n 1 >"$OUT"
		status=${PIPESTATUS[0]}
		return 0 ;;
	closed-stdout)
		"$p" "${ARGS[@]}" <"$in" >&- 2>"$ERR" || status=$?
		return 0 ;;
	*)
		in=$BATS_FILE_TMPDIR/in/$p.$c
		[ -e "$in" ] || { echo "no input for $p | $c" >&2; return 1; }
		;;
	esac
	"$p" "${ARGS[@]}" <"$in" >"$OUT" 2>"$ERR" || status=$?
}

# undo: what a cell did outside its directory (a lock holder, +i, a
# mount) undone.
undo() {
	[ -n "${HOLDER:-}" ] && { kill "$HOLDER" 2>/dev/null; wait "$HOLDER"; }
	HOLDER=
	[ ! -e ro ] || chattr -i D 2>/dev/null
	[ ! -d mnt ] || ! mountpoint -q mnt 2>/dev/null || umount -l mnt
	return 0
}

teardown() {
	local c

	for c in "$BATS_TEST_TMPDIR"/c*/; do
		[ -d "$c" ] && (cd "$c" && undo)
	done
	return 0
}

norm() {
	sed -e 's/"latency_ms":[-+.e0-9]*/"latency_ms":L/g' \
	    -e 's/"batch_id":"[^"]*"/"batch_id":B/'
}

# prefix_kept PROG: after a bad line 2, what the good line 1 gave is out
# (mm-record: and stored; mm-train: nothing is stored).  Says why not.
prefix_kept() {
	local n

	case $1 in
	mm-train)
		n=$(ls M/versions | wc -l)
		[ "$n" = 1 ] || echo "the store has $n versions, not 1"
		return ;;
	mm-record)
		n=$(sqlite3 -batch D 'SELECT count(*) FROM metrics')
		[ "$n" = 1 ] || echo "$n batches stored, not 1"
		;;
	esac
	# Latencies and mm-batch's run tag differ from run to run.
	[ "$(norm <"$OUT")" = "$(<"$BATS_FILE_TMPDIR/good1/$1")" ] ||
		echo "stdout is not what the good first record gives"
}

# check_cell PROG CASE EXIT STDERR: run the cell in the current
# directory; print what is wrong with it, one line each.
check_cell() {
	local p=$1 c=$2 want=${3//,/|} pat=$4 err

	SKIPPED=
	run_case "$p" "$c" || { echo "could not set the case up"; return; }
	[ -z "$SKIPPED" ] || { echo "SKIP $SKIPPED"; return; }
	err=$(<"$ERR")
	[[ $status =~ ^($want)$ ]] ||
		echo "exit status: expected $3, got $status"
	if [ "$pat" = - ]; then
		[ -z "$err" ] || echo "stderr: expected nothing"
	elif [[ ! $err =~ ^$p:\ ($pat)$ ]]; then
		echo "stderr: expected /^$p: $pat\$/"
	fi
	[ "$status" -lt 128 ] || [ "$status" = 141 ] ||
		echo "crashed: signal $((status - 128))"
	[[ $err != *Sanitizer* && $err != *"runtime error"* ]] ||
		echo "a sanitizer report"
	[ "$status" = 2 ] && [ "$3" = 2 ] && prefix_kept "$p"
	if [ "$c" = closed-stdout ] && [ -e D ] &&
	    [ "$(sqlite3 -batch D 'PRAGMA integrity_check' 2>&1)" != ok ]; then
		echo "the database is damaged"
	fi
	return 0
}

# rows [PROG]: the table's rows (of PROG), fields separated by \x1f.
# Fields are separated by " | ", so a pattern may hold "a|b".
rows() {
	table | sed -e '/^#/d' -e 's/ \{1,\}| \{1,\}/\x1f/g' |
	    awk -F'\037' -v p="${1:-}" 'p == "" || $1 == p'
}

# program PROG: every cell of PROG.  Fails naming each cell that fails;
# skips naming the known ones when they are the only failures.
program() {
	local p=$1 c want pat known i n what fail=() pend=() fixed=() busy=0
	local -a cells=()

	# Bats runs a DEBUG trap on every command, for its stack traces:
	# that triples the time of the cells' shell work.  The messages
	# below say where a cell failed.
	trap - DEBUG
	mapfile -t cells < <(rows "$p")
	n=${#cells[@]}
	[ "$n" -gt 0 ] || { echo "no rows for $p" >&2; return 1; }
	# The cells run JOBS at a time, each in a directory of its own.
	for i in $(seq "$n"); do
		IFS=$'\x1f' read -r _ c want pat known <<<"${cells[i - 1]}"
		mkdir "$BATS_TEST_TMPDIR/c$i"
		(
			cd "$BATS_TEST_TMPDIR/c$i" &&
			check_cell "$p" "$c" "$want" "$pat" >what; undo
		) </dev/null 3>&- &
		busy=$((busy + 1))
		if [ "$busy" -ge "$JOBS" ]; then
			wait -n || true
			busy=$((busy - 1))
		fi
	done
	wait
	for i in $(seq "$n"); do
		IFS=$'\x1f' read -r _ c want pat known <<<"${cells[i - 1]}"
		what=$(<"$BATS_TEST_TMPDIR/c$i/what")
		if [[ $what == "SKIP "* ]]; then
			pend+=("$p | $c (skipped: ${what#SKIP })")
		elif [ -n "$what" ]; then
			what="$p | $c:"$'\n'"$(sed 's/^/    /' <<<"$what")"
			what+=$'\n'"    got stderr: $(head -c 400 \
			    "$BATS_TEST_TMPDIR/c$i/err" 2>/dev/null)"
			if [ -n "$known" ]; then
				pend+=("$p | $c (known: ${known#known })")
			else
				fail+=("$what")
			fi
		elif [ -n "$known" ]; then
			fixed+=("$p | $c now passes: remove its known marker")
		fi
	done
	if [ ${#fail[@]} -gt 0 ]; then
		printf '%s\n' "${fail[@]}" >&2
		return 1
	fi
	# A known cell that passes does not fail the run (its fix may be
	# someone's work in progress), but it is said.
	if [ ${#pend[@]} -gt 0 ] || [ ${#fixed[@]} -gt 0 ]; then
		skip "$(printf '%s; ' "${fixed[@]}" "${pend[@]}")"
	fi
}

@test "mm-gen" { program mm-gen; }
@test "mm-batch" { program mm-batch; }
@test "mm-train" { program mm-train; }
@test "mm-predict" { program mm-predict; }
@test "mm-psi" { program mm-psi; }
@test "mm-record" { program mm-record; }
@test "mm-trust" { program mm-trust; }
@test "mm-decide" { program mm-decide; }
@test "mm-exec" { program mm-exec; }
@test "mm-alert" { program mm-alert; }
@test "mm-aggregate" { program mm-aggregate; }
@test "mm-models" { program mm-models; }
@test "mm-report" { program mm-report; }

@test "the table: a test for each program, and tests/README.md holds it" {
	local p

	for p in $(rows | cut -d$'\x1f' -f1 | sort -u); do
		grep -q "^@test \"$p\" { program $p; }$" \
		    "$BATS_TEST_FILENAME" || {
			echo "no test runs the rows of $p" >&2
			return 1
		}
	done
	run "$MM_TOP/tests/matrix-table.sh" --check
	assert_success
}

