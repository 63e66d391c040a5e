#!/bin/sh
# A throwaway PostgreSQL cluster for the tests and benchmarks, so that
# nothing needs a server already running:
#
#   tests/pg.sh start DIR [fast]   initdb into DIR/data and start it,
#                                  listening only on a Unix socket in
#                                  DIR; prints the connection URL
#   tests/pg.sh stop DIR           stop it and remove DIR
#
# DIR must not exist yet.  As root, the cluster runs as the unprivileged
# user nobody (PostgreSQL refuses root), and DIR is made theirs.  "fast"
# turns fsync off, for tests; benchmarks leave it on.  The server binaries
# come from Debian's postgresql package (scripts/deps.sh installs it).
# Exit status: 0, or 3 when the cluster cannot be made or started (its
# log is printed).
set -eu

die() {
	echo "pg.sh: $*" >&2
	exit 3
}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] && [ -x "$bindir/initdb" ] ||
    die "no PostgreSQL server (the postgresql package) is installed"

# as CMD...: run CMD as the cluster's owner.
as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u nobody -- "$@"
	else
		"$@"
	fi
}

[ $# -ge 2 ] || die "usage: pg.sh start DIR [fast] | stop DIR"
cmd=$1
dir=$2
case $cmd in
start)
	[ ! -e "$dir" ] || die "$dir exists already"
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown nobody "$dir"
	opts="-c listen_addresses='' -k $dir -c max_connections=40"
	[ "${3:-}" = fast ] && opts="$opts -c fsync=off -c full_page_writes=off"
	as "$bindir/initdb" -D "$dir/data" -U mm --auth=trust -E UTF8 \
	    --no-sync >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		die "initdb failed"
	}
	# The server outlives this script: it must not hold a descriptor
	# of the caller's open (bats reads its tests' results from fd 3
	# until every writer is gone).
	as "$bindir/pg_ctl" -D "$dir/data" -o "$opts" -l "$dir/server.log" \
	    -w -t 60 start </dev/null >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- \
	    7>&- 8>&- 9>&- || {
		cat "$dir/server.log" >&2
		die "the server did not start"
	}
	as "$bindir/createdb" -h "$dir" -U mm mm ||
	    die "cannot create the database"
	echo "postgresql://mm@/mm?host=$dir"
	;;
stop)
	[ -d "$dir/data" ] &&
	    as "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop \
	    >/dev/null 2>&1 || true
	rm -rf "$dir"
	;;
*)
	die "usage: pg.sh start DIR [fast] | stop DIR"
	;;
esac
