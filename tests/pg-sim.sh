#!/bin/sh
# make check-pg-sim: the simulation (scripts/sim.sh) on SQLite and on a
# throwaway PostgreSQL cluster (tests/pg.sh) must make the same
# decisions, the same versions and the same models, byte for byte.  Too
# long for make test (two simulations); --small unless SIZE is given.
set -eu
cd "$(dirname "$0")/.."
bin=${MM_BIN:-$PWD/bin}
size=${SIZE:-32}
work=$(mktemp -d "${TMPDIR:-/tmp}/mm-pg-sim.XXXXXX")
pgdir=$(mktemp -u /tmp/mm-pg.XXXXXX)
trap 'tests/pg.sh stop "$pgdir"; rm -rf "$work"' EXIT INT TERM
url=$(tests/pg.sh start "$pgdir")
MM_BIN=$bin scripts/sim.sh --size "$size" --dir "$work/lite" >"$work/lite.out"
MM_BIN=$bin scripts/sim.sh --size "$size" --dir "$work/pg" --db "$url" \
    >"$work/pg.out"
fail=0
same() {
	if cmp -s "$2" "$3"; then
		echo "pg-sim: $1: the same   PASS"
	else
		echo "pg-sim: $1: differ   FAIL"
		diff "$2" "$3" | head -n 20
		fail=1
	fi
}
same "decisions ($(wc -l <"$work/lite/actions.tsv") records)" \
    "$work/lite/actions.tsv" "$work/pg/actions.tsv"
(cd "$work/lite/models" && find . -type f -name '*.json' ! -name card.json |
    LC_ALL=C sort | xargs sha256sum) >"$work/lite.models"
(cd "$work/pg/models" && find . -type f -name '*.json' ! -name card.json |
    LC_ALL=C sort | xargs sha256sum) >"$work/pg.models"
same "versions and models ($(ls "$work/lite/models/versions" | wc -l) versions)" \
    "$work/lite.models" "$work/pg.models"
exit $fail
