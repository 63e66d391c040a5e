# Common set-up for the bats suites: programs from $MM_BIN, a scratch
# directory per test, no config or model store from the checkout.
# The assertion libraries' files, sourced as bats_load_library would but
# without the subshell and dirname(1) it runs for each of their fifteen
# files: that cost 150 ms in every test, a sixth of the suite's time.
mm_load_lib() {
	local d f dirs
	IFS=: read -ra dirs <<<"${BATS_LIB_PATH:-}"
	for d in "${dirs[@]}" /usr/lib/bats; do
		[ -f "$d/$1/load.bash" ] || continue
		for f in "$d/$1"/src/*.bash; do
			# shellcheck disable=SC1090
			source "$f"
		done
		return 0
	done
	bats_load_library "$1"
}
mm_load_lib bats-support
mm_load_lib bats-assert

MM_BIN=${MM_BIN:-$BATS_TEST_DIRNAME/../../bin}
MM_TOP=${MM_TOP:-$BATS_TEST_DIRNAME/../..}
PATH="$MM_BIN:$PATH"
export PATH

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	unset MM_CONFIG MM_MODELS MM_DB
}

# Run a command with stdout and stderr kept apart: $output is stdout,
# $stderr is stderr; $lines and $stderr_lines their non-empty lines.
# What `run --separate-stderr` sets, without the mktemp(1) and the extra
# subshell it costs a call: 25 ms of a forked bash here, and the suite
# makes more than a thousand such calls.  A program is exec'd in the
# $(...): bash would fork once more for a command with a redirection
# (bats' traps keep it from exec'ing by itself).  A shell function
# cannot be exec'd, and runs in the $(...).
run_split() {
	local mm_err=${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}/.run-split-stderr
	local mm_flags=$-

	set +eET
	if declare -F "$1" >/dev/null; then
		output=$("$@" 2>"$mm_err") && status=0 || status=$?
	else
		output=$(exec "$@" 2>"$mm_err") && status=0 || status=$?
	fi
	IFS=$'\n' read -d '' -r -a lines <<<"$output" || true
	read -d '' -r stderr <"$mm_err" || true
	IFS=$'\n' read -d '' -r -a stderr_lines <<<"$stderr" || true
	BATS_RUN_COMMAND="$*"
	set "-$mm_flags"
}

# bats' run (stdout and stderr together in $output, $status, $lines)
# for a program or a function, a fork less than run: run forks twice.
run_merged() {
	local mm_flags=$-

	set +eET
	if declare -F "$1" >/dev/null; then
		output=$("$@" 2>&1) && status=0 || status=$?
	else
		output=$(exec "$@" 2>&1) && status=0 || status=$?
	fi
	IFS=$'\n' read -d '' -r -a lines <<<"$output" || true
	BATS_RUN_COMMAND="$*"
	set "-$mm_flags"
}

# chomp NAME: the variable NAME without its trailing newlines, as a
# command substitution drops them.
chomp() {
	local -n mm_chomp=$1

	while [[ $mm_chomp == *$'\n' ]]; do
		mm_chomp=${mm_chomp%$'\n'}
	done
}

# grep -o RE of TEXT by bash's own regex: the matches in the array
# matched, and one a line in $matches.  RE must not match an empty
# string; an RE anchored with ^ finds at most one match a line.  The
# rest of the line, the last group, is where the next match is sought
# (cutting the line at the match is slow on long lines).
grep_o() {
	local re=$1 l m=

	matched=()
	while IFS= read -r l; do
		while [[ $l =~ ($re)(.*)$ ]]; do
			matched+=("${BASH_REMATCH[1]}")
			m+=${BASH_REMATCH[1]}$'\n'
			l=${BASH_REMATCH[-1]}
		done
	done <<<"$2"
	matches=${m%$'\n'}
}

# The store the suites that call these helpers keep their databases on:
# SQLite files (the default), or with MM_TEST_STORE=pg a throwaway
# PostgreSQL cluster (tests/pg.sh), one a file, a database a store a
# test.  A suite calls store_start from setup_file and store_stop from
# teardown_file, names each database by the path it would have as an
# SQLite file, and reads it with sq, never with sqlite3 itself:
#
#   db NAME           the --db argument for NAME: NAME itself on SQLite,
#                     postgresql://mm@/tN_NAME?host=DIR on PostgreSQL
#                     (f_NAME for one under $BATS_FILE_TMPDIR, made in
#                     setup_file), the database made on first use
#   sq NAME SQL       SQL's rows, '|' between columns
#   dbdrop NAME       gone, as rm -f NAME NAME-wal NAME-shm
#   dbcopy FROM TO    TO a copy of FROM, as cp FROM TO
#   copy_table FROM TO TABLE   TO's TABLE holds FROM's rows instead
#   db_check NAME     "ok" when the database is sound (SQLite's
#                     integrity_check; amcheck of every index on
#                     PostgreSQL)
#   on_pg             true on PostgreSQL
#   sqlite_only       skip "SQLite file only" on PostgreSQL
#
# On PostgreSQL booleans read back as t and f and a double as its
# shortest text (1764140000, where SQLite says 1764140000.0): a query
# both stores answer alike compares integers, or rounds.
MM_TEST_STORE=${MM_TEST_STORE:-sqlite}

on_pg() {
	[ "$MM_TEST_STORE" = pg ]
}

sqlite_only() {
	if on_pg; then
		skip "SQLite file only"
	fi
}

store_start() {
	case $MM_TEST_STORE in
	sqlite) return 0 ;;
	pg) ;;
	*)
		echo "MM_TEST_STORE: '$MM_TEST_STORE' is neither sqlite nor pg" >&2
		return 1
		;;
	esac
	# The cluster runs as another user as root: its directory must be
	# one that user can reach, outside bats' own (as in pg.bats).
	MM_PGDIR=$(mktemp -u /tmp/mm-pg.XXXXXX)
	export MM_PGDIR
	"$MM_TOP/tests/pg.sh" start "$MM_PGDIR" fast >/dev/null
}

store_stop() {
	if on_pg && [ -n "${MM_PGDIR-}" ]; then
		"$MM_TOP/tests/pg.sh" stop "$MM_PGDIR"
	fi
	return 0
}

# _pgname NAME: PGNAME, the PostgreSQL database for the SQLite path NAME
# (set, not printed: a $(...) and the pipe it took cost five processes
# a query).  Each byte not a letter or digit is a '_', as tr(1) makes it.
_pgname() {
	local p=$1 pre LC_ALL=C

	if [ -n "${BATS_TEST_TMPDIR-}" ] && [[ $p == "$BATS_TEST_TMPDIR"/* ]]; then
		p=${p#"$BATS_TEST_TMPDIR"/}
		pre=t${BATS_TEST_NUMBER}_
	elif [[ $p == "$BATS_FILE_TMPDIR"/* ]]; then
		p=${p#"$BATS_FILE_TMPDIR"/}
		pre=f_
	elif [ -n "${BATS_TEST_NUMBER-}" ]; then
		pre=t${BATS_TEST_NUMBER}_
	else
		pre=f_
	fi
	p=${p#./}
	p=${p%.db}
	p=${p//[^a-zA-Z0-9]/_}
	PGNAME=$pre${p,,}
	# PostgreSQL cuts a name at 63 bytes.
	if [ ${#PGNAME} -gt 63 ]; then
		PGNAME=${PGNAME:0:50}_$(printf '%s' "$PGNAME" | md5sum | cut -c1-8)
	fi
}

# _psql DATABASE: psql on the cluster, the script on standard input.
_psql() {
	psql -XqAt -F'|' -v ON_ERROR_STOP=1 \
	    "postgresql://mm@/$1?host=$MM_PGDIR"
}

db() {
	local n mark

	if ! on_pg; then
		printf '%s\n' "$1"
		return 0
	fi
	_pgname "$1"
	n=$PGNAME
	mark=$BATS_FILE_TMPDIR/.mm-pgdb/$n
	if [ ! -e "$mark" ]; then
		# Two callers at once: the second finds it made.
		_psql mm <<<"CREATE DATABASE $n" >/dev/null 2>&1 ||
		    [ "$(_psql mm <<<"SELECT count(*) FROM pg_database WHERE datname = '$n'")" = 1 ] ||
		    return 1
		mkdir -p "$BATS_FILE_TMPDIR/.mm-pgdb"
		: >"$mark"
	fi
	printf 'postgresql://mm@/%s?host=%s\n' "$n" "$MM_PGDIR"
}

sq() {
	if ! on_pg; then
		sqlite3 -batch -separator '|' "$1" "$2"
		return
	fi
	db "$1" >/dev/null || return 1
	_pgname "$1"
	_psql "$PGNAME" <<<"$2"
}

dbdrop() {
	local n

	if ! on_pg; then
		rm -f "$1" "$1-wal" "$1-shm" "$1-journal"
		return 0
	fi
	_pgname "$1"
	n=$PGNAME
	_psql mm <<<"DROP DATABASE IF EXISTS $n WITH (FORCE)" >/dev/null &&
	    rm -f "$BATS_FILE_TMPDIR/.mm-pgdb/$n"
}

dbcopy() {
	local from to

	if ! on_pg; then
		rm -f "$2-wal" "$2-shm"
		cp "$1" "$2"
		return
	fi
	db "$1" >/dev/null || return 1
	_pgname "$1"
	from=$PGNAME
	_pgname "$2"
	to=$PGNAME
	_psql mm <<<"DROP DATABASE IF EXISTS $to WITH (FORCE);
	    CREATE DATABASE $to TEMPLATE $from" >/dev/null || return 1
	mkdir -p "$BATS_FILE_TMPDIR/.mm-pgdb"
	: >"$BATS_FILE_TMPDIR/.mm-pgdb/$to"
}

copy_table() {
	local from to t=$3

	if ! on_pg; then
		sqlite3 -batch "$2" "ATTACH '$1' AS o; DELETE FROM $t;
		    INSERT INTO $t SELECT * FROM o.$t"
		return
	fi
	_pgname "$1"
	from=$PGNAME
	_pgname "$2"
	to=$PGNAME
	db "$1" >/dev/null && db "$2" >/dev/null || return 1
	{
		printf 'BEGIN;\nDELETE FROM %s;\nCOPY %s FROM STDIN;\n' "$t" "$t"
		_psql "$from" <<<"COPY $t TO STDOUT" || return 1
		printf '\\.\nCOMMIT;\n'
	} | _psql "$to" >/dev/null
}

# pg_amcheck_url URL: every btree index of the database at URL checked
# by amcheck; fails on the first that is not sound.
pg_amcheck_url() {
	psql -XqAt -v ON_ERROR_STOP=1 "$1" <<-'EOF' >/dev/null
	CREATE EXTENSION IF NOT EXISTS amcheck;
	SELECT bt_index_check(c.oid, true) FROM pg_index i
	    JOIN pg_class c ON c.oid = i.indexrelid
	    JOIN pg_namespace n ON n.oid = c.relnamespace
	    JOIN pg_am a ON a.oid = c.relam
	    WHERE n.nspname = 'public' AND a.amname = 'btree';
	EOF
}

db_check() {
	if ! on_pg; then
		sqlite3 -batch "$1" 'PRAGMA integrity_check'
		return
	fi
	db "$1" >/dev/null || return 1
	_pgname "$1"
	pg_amcheck_url "postgresql://mm@/$PGNAME?host=$MM_PGDIR" &&
	    echo ok
}
