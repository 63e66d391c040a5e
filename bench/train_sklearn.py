#!/usr/bin/python3
"""scikit-learn's random forest on mm's data: the baseline for mm-train
and mm-predict.

Fits RandomForestClassifier(n_estimators=200, max_depth=6,
min_samples_leaf=5, n_jobs=-1) on the rows of TRAIN (batch records) once
to warm up and then RUNS times, timing only fit(); then, with the last
forest, predict_proba() on each batch record of BATCHES (one warm-up
call first), timing only predict_proba().  Reading and decoding the JSON
is not timed.  Prints, one per line:

  fit_s SECONDS          median fit() time
  rows N                 training rows
  predict_ms MS          median predict_proba() time per batch
  batch_rows N           rows in the largest batch
  batches N
  accuracy A             mean accuracy of argmax(proba) over the batches

Usage: /usr/bin/python3 bench/train_sklearn.py [--runs N] TRAIN [BATCHES]
"""
import argparse
import json
import statistics
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier


def batches(path):
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                x = np.column_stack([np.asarray(v, dtype=np.float64)
                                     for v in rec["features"].values()])
                y = rec.get("labels")
                yield x, None if y is None else np.asarray(y)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("train")
    ap.add_argument("batches", nargs="?")
    args = ap.parse_args()

    parts = list(batches(args.train))
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])

    def forest():
        return RandomForestClassifier(n_estimators=200, max_depth=6,
                                      min_samples_leaf=5, n_jobs=-1,
                                      random_state=0)

    forest().fit(x, y)
    times = []
    for _ in range(args.runs):
        rf = forest()
        t0 = time.perf_counter()
        rf.fit(x, y)
        times.append(time.perf_counter() - t0)
    print("fit_s", statistics.median(times))
    print("rows", len(y))
    if args.batches is None:
        return
    data = list(batches(args.batches))
    rf.predict_proba(data[0][0])
    times, right, known = [], 0, 0
    for xb, yb in data:
        t0 = time.perf_counter()
        proba = rf.predict_proba(xb)
        times.append(time.perf_counter() - t0)
        if yb is not None:
            right += int((rf.classes_[proba.argmax(axis=1)] == yb).sum())
            known += len(yb)
    print("predict_ms", statistics.median(times) * 1e3)
    print("batch_rows", max(len(b[0]) for b in data))
    print("batches", len(data))
    print("accuracy", right / known if known else "nan")


if __name__ == "__main__":
    main()
