#!/usr/bin/python3
"""Write the bad-input files of the matrix (tests/bats/matrix.bats).

    matrix-bad.py OUTDIR PROG STAGE NUM STR DUP WRONG [PROG ...]

For each PROG: STAGE is a file of good records (its usual input), NUM
the path of a number it reads ("features.f0.0"), STR that of a string,
DUP a top-level key it reads, WRONG "path=json", a value of the wrong
type.  Writes OUTDIR/PROG.CASE for each case: a good record, the bad
line, a good record (so the bad one is line 2), except "empty" (no
bytes at all) and "truncated-eof" (the bad line last, no newline).
"""
import json
import sys

MARK = "@@mm-matrix@@"


def put(good, path, value):
    """The good record with path set to value, as compact JSON text."""
    r = json.loads(good)
    keys = path.split(".")
    o = r
    for k in keys[:-1]:
        o = o[int(k)] if isinstance(o, list) else o[k]
    k = keys[-1]
    if isinstance(o, list):
        o[int(k)] = value
    else:
        o[k] = value
    return json.dumps(r, separators=(",", ":"), ensure_ascii=False)


def raw(good, path, text):
    """The good record with the JSON text text at path."""
    return put(good, path, MARK).replace('"%s"' % MARK, text).encode()


def strval(good, path, text):
    """The good record with a string at path whose JSON text is text."""
    return put(good, path, MARK).replace(MARK, text).encode()


def write(out, prog, stage, num, strp, dup, wrong):
    with open(stage, "rb") as f:
        good = f.readline().rstrip(b"\n")
    # A duplicate: the key again at the end, with another value.
    v = json.loads(good)[dup]
    other = json.dumps(v + "x" if isinstance(v, str) else v,
                       separators=(",", ":"))
    dupline = good[:-1] + b',"' + dup.encode() + b'":' + other.encode() + b"}"
    wpath, wval = wrong.split("=", 1)
    deep = b"[" * 100000 + b"]" * 100000
    cases = {
        "blank-line": b"",
        "whitespace": b" \t ",
        "not-json": b"not json",
        "truncated": good[: len(good) // 2],
        "1e400": raw(good, num, "1e400"),
        "-0": raw(good, num, "-0"),
        "NaN": raw(good, num, "NaN"),
        "nul-escape": strval(good, strp, "b\\u0000x"),
        "nul-byte": good[:-1] + b',"nul":"a\x00b"}',
        "bad-utf8": good[:-1] + b',"bad":"caf\xe9"}',
        "deep-nesting": good[:-1] + b',"deep":' + deep + b"}",
        "dup-key": dupline,
        "wrong-type": raw(good, wpath, wval),
    }
    for name, bad in cases.items():
        with open("%s/%s.%s" % (out, prog, name), "wb") as f:
            f.write(good + b"\n" + bad + b"\n" + good + b"\n")
    with open("%s/%s.empty" % (out, prog), "wb"):
        pass
    with open("%s/%s.truncated-eof" % (out, prog), "wb") as f:
        f.write(good + b"\n" + good[: len(good) // 2])


args = sys.argv[2:]
for i in range(0, len(args), 6):
    write(sys.argv[1], *args[i:i + 6])
