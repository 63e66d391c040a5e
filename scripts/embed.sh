#!/bin/sh
# embed.sh NAME FILE: a C source, on standard output, that defines
#   const char NAME[];	FILE's bytes and a NUL
#   const size_t NAME_len;	how many bytes FILE has
# so a file such as lib/report.css is kept as itself, edited and diffed
# as CSS, and still built into the library.  Only od(1) and awk(1), both
# in every Debian base system (xxd -i is not).
set -eu

[ $# -eq 2 ] || { echo "usage: embed.sh NAME FILE" >&2; exit 2; }
name=$1
file=$2
[ -r "$file" ] || { echo "embed.sh: cannot read $file" >&2; exit 1; }

echo "/* $file as a C array: made by scripts/embed.sh, do not edit. */"
echo '#include <stddef.h>'
echo
echo "extern const char $name[];"
echo "extern const size_t ${name}_len;"
echo
echo "const char $name[] = {"
# Twelve bytes a line, in decimal; od -v writes repeated lines out too.
od -An -v -tu1 "$file" | awk '
{ for (i = 1; i <= NF; i++) { b[n++] = $i } }
END {
	for (i = 0; i < n; i++) {
		if (i % 12 == 0)
			printf "\t"
		printf "%s,", b[i]
		printf (i % 12 == 11 || i == n - 1) ? "\n" : " "
	}
	printf "\t0\n"
}'
echo "};"
echo "const size_t ${name}_len = sizeof($name) - 1;"
