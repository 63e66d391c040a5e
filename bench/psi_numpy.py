#!/usr/bin/python3
"""PSI per feature and batch with json + numpy: the baseline for mm-psi.

The same formula as mm-psi (DESIGN.md, section 3), written the way one
would in Python: json.loads per line, one numpy array per feature,
np.searchsorted for the bins. A value v falls in bin
#{j in 1..B-1 : e_j <= v}, i.e. searchsorted(edges[1:-1], v, 'right');
missing values (null) are left out of the shares, and
PSI = sum((a - e) * ln((a + eps) / (e + eps))).

Prints one JSON line per batch:
  {"batch_id":..,"psi":{feature:psi,..},"drift_score":..,"n":..,
   "missing":{feature:count,..}}

Usage: /usr/bin/python3 bench/psi_numpy.py --ref REFERENCE [--eps E] [FILE...]
"""
import argparse
import json
import sys

import numpy as np


def load_reference(path):
    with open(path, "rb") as f:
        ref = json.load(f)
    feats = []
    for f in ref["features"]:
        edges = np.asarray(f["edges"], dtype=np.float64)
        counts = np.asarray(f["counts"], dtype=np.float64)
        feats.append((f["name"], edges[1:-1], counts / f["n"]))
    return feats


def psi_batch(rec, feats, eps):
    features = rec["features"]
    psi, missing = {}, {}
    rows = 0
    for name, inner, e in feats:
        v = np.asarray(features[name], dtype=np.float64)  # null -> nan
        rows = v.size
        nan = np.isnan(v)
        nmiss = int(nan.sum())
        if nmiss:
            v = v[~nan]
        missing[name] = nmiss
        if v.size == 0:
            psi[name] = None
            continue
        idx = np.searchsorted(inner, v, side="right")
        a = np.bincount(idx, minlength=e.size) / v.size
        psi[name] = float(np.sum((a - e) * np.log((a + eps) / (e + eps))))
    used = [x for x in psi.values() if x is not None]
    score = sum(used) / len(used) if used else None
    return {"batch_id": rec.get("batch_id"), "psi": psi,
            "drift_score": score, "n": rows, "missing": missing}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", required=True, help="reference.json")
    ap.add_argument("--eps", type=float, default=1e-6)
    ap.add_argument("files", nargs="*", help="batch records (default: stdin)")
    args = ap.parse_args()

    feats = load_reference(args.ref)
    out = sys.stdout
    for path in args.files or ["-"]:
        f = sys.stdin.buffer if path == "-" else open(path, "rb")
        for line in f:
            if not line.strip():
                continue
            res = psi_batch(json.loads(line), feats, args.eps)
            out.write(json.dumps(res, separators=(",", ":")) + "\n")
        if f is not sys.stdin.buffer:
            f.close()


if __name__ == "__main__":
    main()
