#!/bin/sh
# Run the EXAMPLES of one man page: inside ".Bd -literal" blocks of the
# EXAMPLES section, a line "$ command" is run with sh in a scratch
# directory (shared by the page's examples, so one may use another's
# files); the lines after it, up to the next "$ " line or ".Ed", are its
# exact expected standard output.  A command must exit 0 unless it ends
# with "# exit N".  Prints what differs; exits 1 on any difference.
set -u
page=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
awk '
/^\.Sh / { insec = ($2 == "EXAMPLES"); next }
insec && /^\.Bd -literal/ { inblk = 1; next }
insec && /^\.Ed/ { inblk = 0; print "@END"; next }
insec && inblk {
	line = $0
	gsub(/\\e/, "\\", line)
	gsub(/\\&/, "", line)
	gsub(/\\\(dq/, "\"", line)
	gsub(/\\-/, "-", line)
	if (line ~ /^\$ /) print "@CMD " substr(line, 3)
	else print "@OUT " line
}' "$page" >"$dir/.examples"

fail=0
n=0
run_one() {
	[ -z "$cmd" ] && return
	n=$((n + 1))
	want_rc=0
	case $cmd in
	*"# exit "*) want_rc=${cmd##*# exit } ;;
	esac
	(cd "$dir" && sh -c "$cmd" >"$dir/.got" 2>"$dir/.err")
	rc=$?
	if [ "$rc" != "$want_rc" ]; then
		echo "$page: '$cmd' exited $rc, not $want_rc:"
		sed 's/^/  /' "$dir/.err"
		fail=1
	elif [ -n "$expect_given" ] && ! cmp -s "$dir/.want" "$dir/.got"; then
		echo "$page: '$cmd' printed something else:"
		diff "$dir/.want" "$dir/.got" | sed 's/^/  /'
		fail=1
	fi
	cmd=
}
cmd=
expect_given=
: >"$dir/.want"
while IFS= read -r l; do
	case $l in
	"@CMD "*)
		run_one
		cmd=${l#@CMD }
		expect_given=
		: >"$dir/.want"
		;;
	"@OUT "*)
		printf '%s\n' "${l#@OUT }" >>"$dir/.want"
		expect_given=1
		;;
	"@END")
		run_one
		;;
	esac
done <"$dir/.examples"
if [ "$n" = 0 ]; then
	echo "$page: no EXAMPLES commands"
	exit 1
fi
exit $fail
