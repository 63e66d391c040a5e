#!/usr/bin/python3
"""PSI per feature and batch with json + numpy: the baseline for mm-psi.

The same drift as mm-psi (mm-psi(1)), written the way one would in
Python: json.loads per line, one numpy array per feature, np.searchsorted
for the bins (a value v falls in bin #{j in 1..B-1 : e_j <= v}, i.e.
searchsorted(edges[1:-1], v, 'right'); null counts in the last bin,
"missing"), then over the K bins not empty in both: shares smoothed
with a pseudo-count of 0.5, PSI = sum((a - e) * ln(a / e)), psi_adj =
max(0, PSI - (K - 1)(1/M + 1/N)) and the chi-square homogeneity
p-value (scipy; the benchmark's batches are large, so every expected
count is well above 5 and the asymptotic test is the one mm-psi uses).

Prints one JSON line per batch:
  {"batch_id":..,"psi":{feature:psi,..},"psi_adj":{..},"p_value":{..},
   "drift_score":..,"n":..}

Usage: /usr/bin/python3 bench/psi_numpy.py --ref REFERENCE [FILE...]
"""
import argparse
import json
import sys

import numpy as np
from scipy.stats import chi2

SMOOTH = 0.5


def load_reference(path):
    with open(path, "rb") as f:
        ref = json.load(f)
    feats = []
    for f in ref["features"]:
        if f.get("kind") != "numeric":
            sys.exit("psi_numpy.py: only numeric features")
        edges = np.asarray(f["edges"], dtype=np.float64)
        counts = np.asarray(f["counts"], dtype=np.float64)
        feats.append((f["name"], edges[1:-1], counts))
    return feats


def psi_batch(rec, feats):
    features = rec["features"]
    psi, adj, pv = {}, {}, {}
    rows = 0
    for name, inner, r in feats:
        v = np.asarray(features[name], dtype=np.float64)  # null -> nan
        rows = v.size
        nan = np.isnan(v)
        idx = np.searchsorted(inner, v[~nan], side="right")
        c = np.bincount(idx, minlength=r.size - 1).astype(np.float64)
        c = np.append(c, nan.sum())
        used = (r + c) > 0
        rr, cc = r[used], c[used]
        k, m, n = rr.size, rr.sum(), cc.sum()
        a = (cc + SMOOTH) / (n + SMOOTH * k)
        e = (rr + SMOOTH) / (m + SMOOTH * k)
        p = float(np.sum((a - e) * np.log(a / e)))
        psi[name] = p
        adj[name] = max(0.0, p - (k - 1) * (1 / m + 1 / n))
        t = rr + cc
        er, ec = m * t / (m + n), n * t / (m + n)
        x2 = float(np.sum((rr - er) ** 2 / er + (cc - ec) ** 2 / ec))
        pv[name] = float(chi2.sf(x2, k - 1))
    score = sum(adj.values()) / len(adj)
    return {"batch_id": rec.get("batch_id"), "psi": psi, "psi_adj": adj,
            "p_value": pv, "drift_score": score, "n": rows}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", required=True, help="reference.json")
    ap.add_argument("files", nargs="*", help="batch records (default: stdin)")
    args = ap.parse_args()

    feats = load_reference(args.ref)
    out = sys.stdout
    for path in args.files or ["-"]:
        f = sys.stdin.buffer if path == "-" else open(path, "rb")
        for line in f:
            if not line.strip():
                continue
            res = psi_batch(json.loads(line), feats)
            out.write(json.dumps(res, separators=(",", ":")) + "\n")
        if f is not sys.stdin.buffer:
            f.close()


if __name__ == "__main__":
    main()
