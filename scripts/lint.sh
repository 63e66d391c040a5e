#!/bin/sh
# House style checks (make lint).  Prints each problem; exits 1 if any.
set -u
cd "$(dirname "$0")/.."
bad=0
say() { echo "lint: $*"; bad=1; }

for f in lib/*.c lib/*.h cmd/*.c; do
	expand "$f" | awk -v f="$f" '
	{ line = $0 }
	length(line) > 80 { printf "lint: %s:%d: line longer than 80 columns\n", f, NR; bad = 1 }
	/[ \t]+$/ { printf "lint: %s:%d: trailing white space\n", f, NR; bad = 1 }
	/typedef struct/ { printf "lint: %s:%d: no struct typedefs\n", f, NR; bad = 1 }
	END { exit bad }' "$f" || bad=1
done

# lib/ never exits and never writes to stdout: only cmd/ does.  (opt.c
# answers --help and --version, which is the program's own output; run.c
# flushes and closes a program's output at its end.)
for f in lib/*.c lib/*.cc; do
	[ "$f" = lib/opt.c ] || [ "$f" = lib/run.c ] && continue
	grep -nE '(^|[^_a-z])(exit|_exit)\(' "$f" | sed "s|^|lint: $f:|; s|$| (exit in lib/)|" | grep . && bad=1
	grep -nE '(^|[^a-z_])(printf|puts|putchar)\(|\bstdout\b' "$f" | sed "s|^|lint: $f:|; s|$| (stdout in lib/)|" | grep . && bad=1
done

for c in cmd/mm-*.c; do
	n=$(basename "$c" .c)
	[ -f "man/$n.1" ] || say "$n has no man page"
	grep -q 'fclose(stdout)\|mm_run_finish' "$c" ||
	    say "$c does not check fclose(stdout)"
done

out=$(mandoc -Tlint -W warning man/*.1 2>&1) || true
[ -n "$out" ] && { echo "$out" | sed 's/^/lint: /'; bad=1; }

[ "$bad" = 0 ] && echo "lint: ok"
exit $bad
