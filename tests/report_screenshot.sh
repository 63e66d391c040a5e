#!/bin/sh
# Render an mm-report page in headless Chromium and check what a person
# would see: a screenshot that is not blank, a DOM with every section,
# and no console errors.
#   tests/report_screenshot.sh REPORT.html|http://... OUT.png
# (a URL: mm-serve's dashboard, with the headers it is served with)
# Exits 0 when all is well, 1 on a failed check (saying which), 77 when
# Chromium is not installed.  OUT.png is kept for a look.
set -u
html=$1
png=$2
py=/usr/bin/python3

chromium=$(command -v chromium || command -v chromium-browser) || {
	echo "report_screenshot: chromium is not installed" >&2
	exit 77
}
case $html in
http://*) url=$html ;;
/*) url=file://$html ;;
*) url=file://$PWD/$html ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Nothing may be fetched: any network use would show in the log.
# timeout(1) signals Chromium's whole process group, its helpers too,
# and kills what is left 5 s later; none of them holds a descriptor of
# the test's (bats waits on fd 3 until every holder is gone).
chrome() {
	timeout -k 5 60 "$chromium" --headless --no-sandbox --disable-gpu \
	    --disable-quic --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync \
	    --disable-dev-shm-usage --hide-scrollbars \
	    --user-data-dir="$tmp/profile" \
	    --enable-logging=stderr --v=0 "$@" 3>&- 4>&- 5>&- 6>&- 7>&- \
	    8>&- 9>&-
}

fail=0
say() {
	echo "report_screenshot: $*" >&2
	fail=1
}

# The page laid out in a 1280x2000 window, drawn at half scale: 640x1000
# pixels, a quarter of the pixels for the decoder below to go through.
chrome --screenshot="$png" --window-size=1280,2000 \
    --force-device-scale-factor=0.5 "$url" \
    >"$tmp/shot.out" 2>"$tmp/shot.err"
[ -s "$png" ] || say "no screenshot written: $(tail -n 5 "$tmp/shot.err")"
chrome --dump-dom "$url" >"$tmp/dom.html" 2>"$tmp/dom.err"

for f in "$tmp/shot.err" "$tmp/dom.err"; do
	if grep -E 'Uncaught|ERROR:CONSOLE|CONSOLE\(|net::ERR_' "$f" \
	    >"$tmp/errors"; then
		say "console errors:"
		sed 's/^/  /' "$tmp/errors" >&2
	fi
done

# The DOM as the browser built it holds every section.
for id in trust f1 drifted psi pvalue decisions versions; do
	grep -q "<section id=\"$id\">" "$tmp/dom.html" ||
	    say "section '$id' missing from the DOM"
done

# A blank or broken page has a handful of colours; a report has many.
[ -s "$png" ] && "$py" - "$png" <<'EOF' || fail=1
import struct, sys, zlib

data = open(sys.argv[1], "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("report_screenshot: not a PNG")
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        if depth != 8 or ctype not in (2, 6):
            sys.exit("report_screenshot: unexpected PNG type %d/%d"
                     % (depth, ctype))
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
colours = set()
off = 0
for y in range(h):
    ft = raw[off]
    line = bytearray(raw[off + 1:off + 1 + stride])
    off += 1 + stride
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if ft == 1:
            line[i] = (line[i] + a) & 255
        elif ft == 2:
            line[i] = (line[i] + b) & 255
        elif ft == 3:
            line[i] = (line[i] + (a + b) // 2) & 255
        elif ft == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
            line[i] = (line[i] + pr) & 255
    if y % 4 == 0:
        for x in range(0, stride, bpp * 2):
            colours.add(bytes(line[x:x + 3]))
    prev = line
if (w, h) != (640, 1000):
    sys.exit("report_screenshot: screenshot is %dx%d, not 640x1000" % (w, h))
if len(colours) <= 10:
    sys.exit("report_screenshot: only %d colours: blank?" % len(colours))
EOF
exit $fail
