#!/usr/bin/python3
"""Check mm-psi against an independent numpy/scipy computation.

usage: verify_psi.py TRAIN.ndjson REFERENCE.json BATCHES.ndjson OUT.ndjson
                     [--alpha A] [--eps E] [--window N]

TRAIN holds the batch records the reference was fitted on; OUT is what
mm-psi wrote for BATCHES.  Edges are checked against numpy.quantile, and
PSI, p-values, critical values and Benjamini-Hochberg against numpy and
scipy, to 1e-9 relative.  Exits 1 on any difference.
"""
import json
import sys

import numpy as np
from scipy import stats

TOL = 1e-9


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= TOL * max(abs(a), abs(b), 1e-300) or a == b


def columns(path):
    cols = {}
    with open(path) as f:
        for line in f:
            rec = json.loads(line)
            for k, v in rec["features"].items():
                cols.setdefault(k, []).extend(
                    np.nan if x is None else x for x in v)
    return {k: np.asarray(v, dtype=float) for k, v in cols.items()}


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    opts = dict(zip(argv[1:], argv[2:]))
    alpha = float(opts.get("--alpha", 0.05))
    eps = float(opts.get("--eps", 1e-6))
    window = int(opts.get("--window", 1))
    train, refpath, batches, outpath = args[:4]
    ref = json.load(open(refpath))
    bins = ref["bins"]
    bad = 0
    checked = 0

    cols = columns(train)
    for feat in ref["features"]:
        x = cols[feat["name"]]
        x = x[~np.isnan(x)]
        q = np.quantile(x, np.linspace(0, 1, bins + 1))
        want = np.unique(q)
        got = np.asarray(feat["edges"])
        if len(want) != len(got) or not all(
                close(a, b) for a, b in zip(want, got)):
            print(f"edges of {feat['name']}: {got} != {want}")
            bad += 1
        e = got
        idx = np.searchsorted(e[1:-1], x, side="right") if len(e) > 1 \
            else np.zeros(len(x), dtype=int)
        counts = np.bincount(idx, minlength=max(len(e) - 1, 1))
        if list(counts) != feat["counts"]:
            print(f"counts of {feat['name']}: {feat['counts']} != "
                  f"{list(counts)}")
            bad += 1
        checked += 1

    recs = [json.loads(l) for l in open(batches)]
    outs = [json.loads(l) for l in open(outpath)]
    if len(recs) != len(outs):
        print(f"{len(outs)} output records for {len(recs)} input records")
        return 1
    for i, (rec, out) in enumerate(zip(recs, outs)):
        lo = max(0, i - window + 1)
        d = out["drift"]
        pvals = {}
        psis = []
        for feat in ref["features"]:
            name = feat["name"]
            v = np.concatenate([np.asarray(
                [np.nan if x is None else x for x in r["features"][name]],
                dtype=float) for r in recs[lo:i + 1]])
            missing = int(np.isnan(v).sum())
            v = v[~np.isnan(v)]
            e = np.asarray(feat["edges"])
            nb = max(len(e) - 1, 1)
            idx = np.searchsorted(e[1:-1], v, side="right") if len(e) > 1 \
                else np.zeros(len(v), dtype=int)
            a = np.bincount(idx, minlength=nb) / len(v)
            r = np.asarray(feat["counts"]) / feat["n"]
            psi = float(np.sum((a - r) * np.log((a + eps) / (r + eps))))
            m, n = feat["n"], len(v)
            scale = 1 / m + 1 / n
            if nb > 1:
                p = float(stats.chi2.sf(psi / scale, nb - 1))
                crit = float(stats.chi2.isf(alpha, nb - 1) * scale)
            else:
                p, crit = 1.0, None
            for what, got, want in (("psi", d["psi"][name], psi),
                                    ("p_value", d["p_value"][name], p),
                                    ("psi_crit", d["psi_crit"][name], crit)):
                checked += 1
                if not close(got, want):
                    print(f"batch {i} {name} {what}: {got} != {want}")
                    bad += 1
            if d["missing"][name] != missing:
                print(f"batch {i} {name} missing: {d['missing'][name]} "
                      f"!= {missing}")
                bad += 1
            pvals[name] = p
            psis.append(psi)
        score = float(np.mean(psis))
        checked += 1
        if not close(d["drift_score"], score):
            print(f"batch {i} drift_score: {d['drift_score']} != {score}")
            bad += 1
        # Benjamini-Hochberg: any discovery at alpha?
        ps = sorted(pvals.values())
        k = len(ps)
        sig = any(p <= (j + 1) / k * alpha for j, p in enumerate(ps))
        band = ("stable" if score < 0.1 else
                "moderate" if score < 0.2 else "severe")
        want_status = band
        if "--chi2" in argv and not sig:
            want_status = "stable"
        checked += 1
        if d["status"] != want_status:
            print(f"batch {i} status: {d['status']} != {want_status}")
            bad += 1
    print(f"verify_psi: {checked} values checked, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
