#!/bin/sh
# House style checks (make lint).  Prints each problem; exits 1 if any.
#   scripts/lint.sh          every check
#   scripts/lint.sh pure     only the pure modules' (below)
# PURE names the pure modules' .c files; the Makefile passes its own, and
# without it the Makefile's PURE is read.  Paths are from the top of the
# tree, or absolute.
set -u
cd "$(dirname "$0")/.."
bad=0
say() { echo "lint: $*"; bad=1; }

# PURE = ... in the Makefile, continuation lines and all.
makefile_pure() {
	awk '/^PURE[ \t]*=/ { on = 1; sub(/^PURE[ \t]*=/, "") }
	on { more = sub(/\\$/, ""); printf "%s ", $0; if (!more) exit }' \
	    Makefile
}

# A pure module (mm(7): the policy, the trust score, drift, metrics, the
# forest, training ...) is computation only: from its arguments to its
# results, the same on every run.  Neither its .c nor its .h includes
# <stdio.h>, <unistd.h>, <sqlite3.h>, <jansson.h> or <time.h>, reads the
# clock (time, clock, clock_gettime, gettimeofday, timespec_get,
# mm_clock and its kin), or calls what does I/O or asks the system (fopen, read,
# getenv, sysconf, ... and the std streams).  What a pure module needs
# of those, its caller passes in: a time, a clock to call, a thread
# count.  It may still format text (mm_errf, mm_buf_printf): the
# formatting is done elsewhere.  Comments and strings are not code.
# What a header it includes includes is not checked: json.h, which
# writes records to a FILE *, includes <stdio.h>.
check_pure() {
	for c in $1; do
		case $c in
		*.c) ;;
		*) say "PURE names $c, not a .c file"; continue ;;
		esac
		[ -f "$c" ] || { say "PURE names $c, which does not exist"; continue; }
		h=${c%.c}.h
		[ -f "$h" ] || h=
		awk '
		function found(what) {
			printf "lint: %s:%d: pure module %s\n", FILENAME, FNR,
			    what
			bad = 1
		}
		BEGIN {
			incl = "^[ \t]*#[ \t]*include[ \t]*" \
			    "<(stdio|unistd|sqlite3|jansson|time)[.]h>"
			call = "(^|[^A-Za-z0-9_.>])[A-Za-z_][A-Za-z0-9_]*[ \t]*[(]"
			clock = "^(time|clock|clock_gettime|gettimeofday|" \
			    "timespec_get|mm_clock[a-z_]*)$"
			io = "^(f?open|fdopen|freopen|fclose|fread|fwrite|" \
			    "v?f?printf|fputs|puts|fputc|putc|putchar|fgets|" \
			    "getline|getc|fgetc|getchar|read|write|close|" \
			    "fflush|fseek|lseek|f?stat|unlink|rename|mkdir|" \
			    "opendir|popen|system)$"
			sys = "^(getenv|sysconf)$"
			stream = "(^|[^A-Za-z0-9_])(FILE|stdin|stdout|stderr)" \
			    "([^A-Za-z0-9_]|$)"
		}
		FNR == 1 { inc = 0 }
		# The line without its strings and comments.
		{
			line = $0
			gsub(/"([^"\\]|\\.)*"/, "\"\"", line)
			if (inc) {
				if ((i = index(line, "*/")) == 0)
					next
				line = substr(line, i + 2)
				inc = 0
			}
			while ((i = index(line, "/*")) > 0) {
				rest = substr(line, i + 2)
				if ((j = index(rest, "*/")) == 0) {
					line = substr(line, 1, i - 1)
					inc = 1
					break
				}
				line = substr(line, 1, i - 1) " " \
				    substr(rest, j + 2)
			}
			sub(/\/\/.*/, "", line)
		}
		line ~ incl {
			h = line
			sub(/^[^<]*/, "", h)
			sub(/>.*/, ">", h)
			found("includes " h)
		}
		# Each name called, but a member (x.f(), x->f()).
		{
			rest = line
			while (match(rest, call)) {
				name = substr(rest, RSTART, RLENGTH)
				rest = substr(rest, RSTART + RLENGTH)
				sub(/^[^A-Za-z_]/, "", name)
				sub(/[ \t]*[(]$/, "", name)
				if (name ~ clock)
					found("reads the clock (" name ")")
				else if (name ~ io)
					found("does I/O (" name ")")
				else if (name ~ sys)
					found("asks the system (" name ")")
				else if (name ~ /^json_/)
					found("calls jansson (" name ")")
				else if (name ~ /^sqlite3_/)
					found("calls SQLite (" name ")")
			}
		}
		line ~ stream { found("does I/O (a std stream or FILE)") }
		END { exit bad }' "$c" $h || bad=1
	done
}

PURE=${PURE-$(makefile_pure)}
# No list would check nothing and pass.
[ -n "$(echo $PURE)" ] || say "no pure modules: PURE is empty or not in the Makefile"
if [ "${1:-}" = pure ]; then
	check_pure "$PURE"
	[ "$bad" = 0 ] && echo "lint: ok"
	exit $bad
fi
check_pure "$PURE"

for f in lib/*.c lib/*.h cmd/*.c; do
	expand "$f" | awk -v f="$f" '
	{ line = $0 }
	length(line) > 80 { printf "lint: %s:%d: line longer than 80 columns\n", f, NR; bad = 1 }
	/[ \t]+$/ { printf "lint: %s:%d: trailing white space\n", f, NR; bad = 1 }
	/typedef struct/ { printf "lint: %s:%d: no struct typedefs\n", f, NR; bad = 1 }
	END { exit bad }' || bad=1
done

# lib/ never exits and never writes to stdout: only cmd/ does.  (opt.c
# answers --help and --version, which is the program's own output; run.c
# flushes and closes a program's output at its end.)
for f in lib/*.c lib/*.cc; do
	[ "$f" = lib/opt.c ] || [ "$f" = lib/run.c ] && continue
	grep -nE '(^|[^_a-z])(exit|_exit)\(' "$f" | sed "s|^|lint: $f:|; s|$| (exit in lib/)|" | grep . && bad=1
	grep -nE '(^|[^a-z_])(printf|puts|putchar)\(|\bstdout\b' "$f" | sed "s|^|lint: $f:|; s|$| (stdout in lib/)|" | grep . && bad=1
done

# SHA-256 is sha.h's: nettle is called from lib/sha.c alone.
grep -nE '^[ \t]*#[ \t]*include[ \t]*<(openssl|nettle)/|EVP_|(^|[^_a-z])sha256_' \
    lib/*.c lib/*.h cmd/*.c |
    grep -v '^lib/sha\.c:' | sed 's/^/lint: /; s/$/ (SHA-256 outside lib\/sha.c)/' |
    grep . && bad=1

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
