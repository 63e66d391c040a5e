#!/usr/bin/python3
"""Seeded rows of a small table with a categorical column, blank cells and
string labels, as one batch record (for tests/bats/tabular.bats).

usage: tabgen.py N SEED [--east P] [--blank P] [--labels int] [--id ID]

x is numeric, region one of north/south/east/west (east with share P,
default 0.25, the others sharing the rest), each cell blank (null) with
probability --blank (default 0.05).  A row is "fraud" with probability
0.8 in the east and 0.1 elsewhere, or when x > 1.5; else "ok".  With
--labels int, fraud is 1 and ok is 0.
"""
import json
import random
import sys


def main():
    args = sys.argv[1:]
    opts = {"--east": "0.25", "--blank": "0.05", "--labels": "str",
            "--id": "t"}
    pos = []
    while args:
        a = args.pop(0)
        if a in opts:
            opts[a] = args.pop(0)
        else:
            pos.append(a)
    n, seed = int(pos[0]), int(pos[1])
    east, blank = float(opts["--east"]), float(opts["--blank"])
    rng = random.Random(seed)
    xs, regions, labels = [], [], []
    for _ in range(n):
        x = rng.gauss(0, 1)
        if rng.random() < east:
            r = "east"
        else:
            r = rng.choice(["north", "south", "west"])
        fraud = rng.random() < (0.8 if r == "east" else 0.1) or x > 1.5
        xs.append(None if rng.random() < blank else round(x, 6))
        regions.append(None if rng.random() < blank else r)
        if opts["--labels"] == "int":
            labels.append(1 if fraud else 0)
        else:
            labels.append("fraud" if fraud else "ok")
    rec = {"batch_id": opts["--id"], "ts": 1764140000,
           "features": {"x": xs, "region": regions}, "labels": labels}
    print(json.dumps(rec, separators=(",", ":")))


main()
