#!/usr/bin/python3
"""The Python peer of mm's inference chain, and of mm-predict alone.

The hot path mm replaces, per batch, written the usual way: the batch's
features as a numpy array, scikit-learn's predict_proba, PSI per
feature against the training bins with numpy (bench/psi_numpy.py's
psi_batch: bins, smoothing, PSI, its bias correction and a chi-square
p-value), and the trust arithmetic (mm-trust's defaults).  The forest
is scikit-learn's with mm's parameters (200 trees, depth 6, at least 5
rows a leaf, sqrt of the features a split), fitted on TRAIN; the bins
are those of mm's reference (REFERENCE), so both compute the same
thing.  Decoding a record's JSON is not timed: only the arithmetic a
service would do once the request is parsed.

Two settings of the forest: n_jobs=1, and n_jobs=-1 (every core, what
a batch of 10,000 rows wants); each is timed on its own.

  --chain BATCHES    the first N batches of BATCHES through the hot path,
                     one at a time (after 5 not timed)
  --predict BATCHES  predict_proba alone on every batch of BATCHES (one
                     warm-up call first), RUNS runs

Prints, one per line (J is 1 or all):

  chain_ms_J MS        median time a batch, the whole hot path
  chain_p99_ms_J MS    its 99th percentile
  chain_mean_ms_J MS
  predict64_ms_J MS    median predict_proba time a batch of --chain's
  predict_run_s_J S    median over RUNS of the time to predict_proba
                       every batch of --predict
  predict_rows N       rows in --predict's batches
  accuracy A           over --predict's batches, n_jobs=-1

Usage: /usr/bin/python3 bench/chain_peer.py --ref REFERENCE [-n N]
       [--runs RUNS] [--chain BATCHES] [--predict BATCHES] TRAIN
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from psi_numpy import load_reference, psi_batch  # noqa: E402

WEIGHTS = {"accuracy": 0.30, "f1": 0.25, "confidence": 0.15,
           "drift": 0.20, "latency": 0.10}


def ramp_down(x, ok, bad):
    if x <= ok:
        return 1.0
    if x >= bad:
        return 0.0
    return (bad - x) / (bad - ok)


def trust(acc, f1, conf, drift, latency_ms):
    comp = {"accuracy": acc, "f1": f1, "confidence": conf,
            "drift": ramp_down(drift, 0.1, 0.3),
            "latency": ramp_down(latency_ms, 300, 1500)}
    return sum(WEIGHTS[k] * min(1.0, max(0.0, v)) for k, v in comp.items())


def records(path, n=None):
    out = []
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
                if n is not None and len(out) == n:
                    break
    return out


def matrix(rec):
    return np.column_stack([np.asarray(v, dtype=np.float64)
                            for v in rec["features"].values()])


def hot_path(rf, feats, rec):
    """What a Python service does for one parsed batch."""
    t0 = time.perf_counter()
    x = matrix(rec)
    proba = rf.predict_proba(x)
    pred = rf.classes_[proba.argmax(axis=1)]
    conf = float(proba.max(axis=1).mean())
    y = np.asarray(rec["labels"])
    acc = float((pred == y).mean())
    tp = float(((pred == 1) & (y == 1)).sum())
    fp = float(((pred == 1) & (y != 1)).sum())
    fn = float(((pred != 1) & (y == 1)).sum())
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn > 0 else 0.0
    drift = psi_batch(rec, feats)
    latency_ms = (time.perf_counter() - t0) * 1e3
    return trust(acc, f1, conf, drift["drift_score"], latency_ms)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", required=True)
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--chain")
    ap.add_argument("--predict")
    ap.add_argument("train")
    args = ap.parse_args()

    parts = records(args.train)
    x = np.concatenate([matrix(r) for r in parts])
    y = np.concatenate([np.asarray(r["labels"]) for r in parts])
    rf = RandomForestClassifier(n_estimators=200, max_depth=6,
                                min_samples_leaf=5, max_features="sqrt",
                                random_state=0).fit(x, y)
    feats = load_reference(args.ref)

    small = records(args.chain, args.n + 5) if args.chain else []
    big = [(matrix(r), np.asarray(r["labels"])) for r in
           records(args.predict)] if args.predict else []
    for jobs, tag in ((1, "1"), (-1, "all")):
        rf.set_params(n_jobs=jobs)
        if small:
            times, pred = [], []
            for i, rec in enumerate(small):
                t0 = time.perf_counter()
                hot_path(rf, feats, rec)
                t1 = time.perf_counter()
                xs = matrix(rec)
                t2 = time.perf_counter()
                rf.predict_proba(xs)
                t3 = time.perf_counter()
                if i >= 5:
                    times.append((t1 - t0) * 1e3)
                    pred.append((t3 - t2) * 1e3)
            times.sort()
            print("chain_ms_%s" % tag, statistics.median(times))
            print("chain_p99_ms_%s" % tag,
                  times[max(0, math.ceil(0.99 * len(times)) - 1)])
            print("chain_mean_ms_%s" % tag, statistics.mean(times))
            print("predict64_ms_%s" % tag, statistics.median(pred))
        if big:
            rf.predict_proba(big[0][0])
            runs = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                for xb, _ in big:
                    rf.predict_proba(xb)
                runs.append(time.perf_counter() - t0)
            print("predict_run_s_%s" % tag, statistics.median(runs))
    if big:
        right = known = 0
        for xb, yb in big:
            p = rf.classes_[rf.predict_proba(xb).argmax(axis=1)]
            right += int((p == yb).sum())
            known += len(yb)
        print("predict_rows", known)
        print("accuracy", right / known)


if __name__ == "__main__":
    main()
