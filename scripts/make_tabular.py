#!/usr/bin/python3
"""Write one of scikit-learn's real tables as mm's training data.

usage: make_tabular.py NAME OUTDIR [--seed S] [--split K | --splits R]

NAME is one of:

  breast_cancer  load_breast_cancer's 30 measurements, plus a categorical
                 column region (north, south, east, west: drawn with the
                 seeded generator, mildly associated with the label);
                 then 5% of all feature cells, region's included, chosen
                 at random with the same generator, are made missing.
                 Labels are the target names, "malignant" (the positive
                 class) and "benign".
  wine           load_wine: 13 measurements, classes 0, 1 and 2.
  digits         load_digits: 64 pixels (a few all zero), classes 0 to 9.

Feature names are the data set's, each run of characters other than
letters, digits and '_' made one '_' (mean_radius, od280_od315_of_...).
S (default 0) seeds region and the missing cells; wine and digits do
not use it.

OUTDIR (created if need be) gets table.csv: a header, the features and
then label, one row a line, an empty cell where a value is missing.
With --split K, the rows are also split 75/25, stratified by label,
with scikit-learn's train_test_split(test_size=0.25, random_state=K),
into train.ndjson and valid.ndjson: one batch record each (batch_id
"train" and "valid"), as mm-train(1) takes them, rows in their original
order, null where a value is missing.  With --splits R, it writes those
of each split K from 0 to R-1 into OUTDIR/K/ (one run instead of R, as
scripts/verify.sh wants).  Numbers are written with repr(), so they read
back as the same doubles.

Exits 2 on bad usage.
"""
import csv
import json
import os
import re
import sys

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.model_selection import train_test_split

TS = 1764140000
MISSING = 0.05
REGIONS = ["north", "south", "east", "west"]
# Region given the label: the malignant rows lean north, the benign west.
REGION_P = {"malignant": [0.35, 0.25, 0.20, 0.20],
            "benign": [0.20, 0.20, 0.25, 0.35]}


def die(msg):
    print(f"make_tabular: {msg}", file=sys.stderr)
    sys.exit(2)


def simple(name):
    out = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")
    if not out:
        die(f"feature {name!r} has no usable name")
    return out


def load(name, seed):
    """The table as (names, columns, labels); a column is a list of
    floats or strings, None where missing."""
    loader = {"breast_cancer": load_breast_cancer, "wine": load_wine,
              "digits": load_digits}.get(name)
    if loader is None:
        die(f"unknown data set {name!r}: breast_cancer, wine or digits")
    d = loader()
    names = [simple(str(n)) for n in d.feature_names]
    if len(set(names)) != len(names):
        die(f"{name}: feature names collide once simplified")
    cols = [[float(v) for v in d.data[:, j]] for j in range(len(names))]
    if name != "breast_cancer":
        return names, cols, [int(v) for v in d.target]

    rng = np.random.default_rng(seed)
    labels = [str(d.target_names[t]) for t in d.target]
    region = [REGIONS[rng.choice(len(REGIONS), p=REGION_P[y])]
              for y in labels]
    names.append("region")
    cols.append(region)
    n = len(labels)
    cells = n * len(cols)
    for c in rng.choice(cells, size=round(MISSING * cells), replace=False):
        cols[c // n][c % n] = None
    return names, cols, labels


def write_csv(path, names, cols, labels):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(names + ["label"])
        for i, y in enumerate(labels):
            row = [c[i] for c in cols]
            w.writerow(["" if v is None else repr(v) if isinstance(v, float)
                        else v for v in row] + [y])


def write_record(path, batch_id, names, cols, labels, rows):
    rec = {"batch_id": batch_id, "ts": TS,
           "features": {k: [c[i] for i in rows] for k, c in zip(names, cols)},
           "labels": [labels[i] for i in rows]}
    # json.dumps writes a float as repr() does.
    with open(path, "w") as f:
        f.write(json.dumps(rec, separators=(",", ":"), allow_nan=False)
                + "\n")


def split(outdir, k, names, cols, labels):
    tr, va = train_test_split(np.arange(len(labels)), test_size=0.25,
                              stratify=labels, random_state=k)
    write_record(os.path.join(outdir, "train.ndjson"), "train", names,
                 cols, labels, sorted(tr))
    write_record(os.path.join(outdir, "valid.ndjson"), "valid", names,
                 cols, labels, sorted(va))


def main(argv):
    args = argv[1:]
    opts = {"--seed": 0, "--split": None, "--splits": None}
    pos = []
    while args:
        a = args.pop(0)
        if a in opts:
            if not args:
                die(f"{a} needs a value")
            try:
                opts[a] = int(args.pop(0))
            except ValueError:
                die(f"{a}: not a whole number")
            if opts[a] < 0:
                die(f"{a}: below 0")
        else:
            pos.append(a)
    if len(pos) != 2 or None not in (opts["--split"], opts["--splits"]):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    name, outdir = pos
    names, cols, labels = load(name, opts["--seed"])
    os.makedirs(outdir, exist_ok=True)
    write_csv(os.path.join(outdir, "table.csv"), names, cols, labels)
    if opts["--split"] is not None:
        split(outdir, opts["--split"], names, cols, labels)
    for k in range(opts["--splits"] or 0):
        d = os.path.join(outdir, str(k))
        os.makedirs(d, exist_ok=True)
        split(d, k, names, cols, labels)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
