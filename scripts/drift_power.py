#!/usr/bin/python3
"""How soon mm-psi sees drift, and how often it cries wolf.

usage: scripts/drift_power.py [--trials N] [--bin DIR]

Runs the real programs (bin/mm-gen, bin/mm-psi, with the default drift
settings: alpha 0.01 after Benjamini-Hochberg, moderate 0.1, smoothing
0.5) on seeded synthetic data and prints one table row per question:

  - a 0.5-sd mean shift on 2 of 10 features, 64-row batches: batches
    until the first non-stable one (median over the trials; target <= 3)
  - a 1.5x scale on 1 of 30 features, 500-row batches: share of trials
    flagged in the first batch, and with that feature among "drifted"
  - 50% missing in 1 of 10 features, 64 rows: flagged in the first batch
  - a column constant in training that takes a new value in 1, 2 or 64
    rows of a 64-row batch: flagged in that batch
  - a 0.5-sd shift on 1 of 10 features, 20-row batches: flagged per
    batch (rarely), and by a window of 60 such batches (an hour at one
    a minute) summed with mm-psi --window 60
  - a zero-inflated feature (95% zeros, the rest |N(0, 1)| x 100) whose
    share of zeros falls to 50%, 64 rows: flagged in the first batch;
    and with the share unchanged, the batches flagged
  - with no drift, the share of batches flagged, at each batch size

Each trial fits its own reference on 5000 rows (mm-gen --rows, seed
1000 + trial) and draws its batches with seed 2000 + trial.  N trials,
default 50 (about 25 s of CPU).  Not part of make test: run
it by hand after changing lib/psi.c (see mm-psi(1)).
"""
import concurrent.futures as cf
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, stdin=None):
    r = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        sys.exit(f"drift_power: {' '.join(cmd)}: {r.stderr.strip()}")
    return r.stdout


class Power:
    def __init__(self, bindir, tmp):
        # Copies, so that a rebuild of bin/ meanwhile does not get in.
        self.gen = os.path.join(tmp, "mm-gen")
        self.psi = os.path.join(tmp, "mm-psi")
        for prog in (self.gen, self.psi):
            shutil.copy2(os.path.join(bindir, os.path.basename(prog)), prog)
        self.tmp = tmp

    def reference(self, trial, features=10, constant=False, zeros=False):
        path = os.path.join(self.tmp,
                            f"ref-{trial}-{features}-{constant}-{zeros}")
        if os.path.exists(path):
            return path
        train = run([self.gen, "--rows", "5000", "--seed", str(1000 + trial),
                     "--features", str(features), "--no-labels"])
        if constant or zeros:
            rec = json.loads(train)
            n = len(rec["features"]["f0"])
            if constant:
                rec["features"]["k"] = [0] * n
            if zeros:
                rec["features"]["z"] = zero_inflated(
                    random.Random(3000 + trial), n, 0.95)
            train = json.dumps(rec) + "\n"
        with open(path + ".tmp", "w") as f:
            f.write(run([self.psi, "--fit"], train))
        os.rename(path + ".tmp", path)
        return path

    def batches(self, trial, n, size, features=10, drift=()):
        return run([self.gen, "--batches", str(n), "--batch-size", str(size),
                    "--seed", str(2000 + trial), "--features", str(features),
                    "--no-labels", *drift])

    def drift(self, ref, text, *opts):
        out = run([self.psi, "--ref", ref, *opts], text)
        return [json.loads(line)["drift"] for line in out.splitlines()]


def zero_inflated(rng, n, share):
    """n values, each 0 with probability share, else |N(0, 1)| x 100."""
    return [0.0 if rng.random() < share else
            round(abs(rng.gauss(0, 1)) * 100, 2) for _ in range(n)]


def shift2(p, t):
    """Batches until a 0.5-sd shift of f0 and f1 is flagged (21: never)."""
    ds = p.drift(p.reference(t), p.batches(
        t, 20, 64, drift=("--drift-at", "0", "--shift", "0.5",
                          "--drift-features", "f0,f1")))
    for i, d in enumerate(ds):
        if d["status"] != "stable":
            return i + 1
    return 21


def scale30(p, t):
    name = f"f{t % 30}"
    d = p.drift(p.reference(t, 30), p.batches(
        t, 1, 500, 30, ("--drift-at", "0", "--scale", "1.5",
                        "--drift-features", name)))[0]
    return d["status"] != "stable", name in d["drifted"]


def missing(p, t):
    rec = json.loads(p.batches(t, 1, 64))
    name = f"f{t % 10}"
    rows = random.Random(t).sample(range(64), 32)
    for i in rows:
        rec["features"][name][i] = None
    d = p.drift(p.reference(t), json.dumps(rec) + "\n")[0]
    return d["status"] != "stable", name in d["drifted"]


def constant(p, t, m):
    rec = json.loads(p.batches(t, 1, 64))
    rec["features"]["k"] = [1] * m + [0] * (64 - m)
    d = p.drift(p.reference(t, constant=True), json.dumps(rec) + "\n")[0]
    return d["status"] != "stable", "k" in d["drifted"]


def shift1_small(p, t, shift="0.5"):
    """Per-batch flags over 60 batches of 20, and the 60-batch window."""
    text = p.batches(t, 60, 20, drift=("--drift-at", "0", "--shift", shift,
                                       "--drift-features", "f3"))
    ref = p.reference(t)
    per = sum(d["status"] != "stable" for d in p.drift(ref, text))
    window = p.drift(ref, text, "--window", "60")[-1]
    return per, window["status"] != "stable", "f3" in window["drifted"]


def no_drift(p, t, n, size, features=10):
    ds = p.drift(p.reference(t, features), p.batches(t, n, size, features))
    return sum(d["status"] != "stable" for d in ds)


def zeros(p, t, share):
    """
    20 batches of 64 whose z has the given share of zeros: is the first
    flagged, with z drifted, and how many are flagged.
    """
    rng = random.Random(4000 + t)
    recs = []
    for line in p.batches(t, 20, 64).splitlines():
        rec = json.loads(line)
        rec["features"]["z"] = zero_inflated(rng, 64, share)
        recs.append(json.dumps(rec) + "\n")
    ds = p.drift(p.reference(t, zeros=True), "".join(recs))
    return (ds[0]["status"] != "stable", "z" in ds[0]["drifted"],
            sum(d["status"] != "stable" for d in ds))


def pct(k, n):
    return f"{100.0 * k / n:.1f}% ({k} of {n})"


def main(argv):
    trials, bindir = 50, os.path.join(TOP, "bin")
    args = argv[1:]
    while args:
        if args[0] == "--trials" and len(args) > 1:
            trials = int(args[1])
        elif args[0] == "--bin" and len(args) > 1:
            bindir = args[1]
        else:
            print(__doc__, file=sys.stderr)
            return 2
        args = args[2:]
    with tempfile.TemporaryDirectory() as tmp, \
            cf.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        p = Power(bindir, tmp)
        T = range(trials)
        # References first, so that no two threads fit the same one.
        list(pool.map(lambda a: p.reference(*a),
                      [(t, f, c, z) for t in T
                       for f, c, z in ((10, False, False), (30, False, False),
                                       (10, True, False), (10, False, True))]))

        def each(f, *a):
            return list(pool.map(lambda t: f(p, t, *a), T))

        rows = []
        b = each(shift2)
        rows.append(("0.5-sd shift, 2 of 10 features: batches until "
                     "flagged", "64",
                     f"median {statistics.median(b):g}, mean "
                     f"{statistics.mean(b):.2f}, max {max(b)}; "
                     f"{pct(sum(x <= 3 for x in b), trials)} by batch 3 "
                     "(target: median <= 3)"))
        k = sum(each(no_drift, 20, 64))
        rows.append(("  no drift: batches flagged", "64",
                     pct(k, 20 * trials)))
        s = each(scale30)
        rows.append(("1.5x scale, 1 of 30 features: flagged in the first "
                     "batch", "500",
                     f"{pct(sum(a for a, _ in s), trials)}, that feature "
                     f"drifted in {sum(b for _, b in s)}"))
        k = sum(each(no_drift, 10, 500, 30))
        rows.append(("  no drift, 30 features: batches flagged", "500",
                     pct(k, 10 * trials)))
        s = each(missing)
        rows.append(("50% missing in 1 of 10 features: flagged in the first "
                     "batch", "64",
                     f"{pct(sum(a for a, _ in s), trials)}, that feature "
                     f"drifted in {sum(b for _, b in s)}"))
        for m in (1, 2, 64):
            s = each(constant, m)
            rows.append((f"constant column takes a new value in {m} "
                         f"row{'s' if m > 1 else ''}: flagged", "64",
                         f"{pct(sum(a for a, _ in s), trials)}, that "
                         f"feature drifted in {sum(b for _, b in s)}"))
        s = each(shift1_small)
        rows.append(("0.5-sd shift, 1 of 10 features: batches flagged",
                     "20", pct(sum(a for a, _, _ in s), 60 * trials)))
        rows.append(("  the same, over a window of 60 batches: flagged",
                     "1200", f"{pct(sum(b for _, b, _ in s), trials)}, "
                     f"that feature drifted in {sum(c for _, _, c in s)}"))
        s = each(shift1_small, "0")
        rows.append(("  no drift: batches flagged", "20",
                     pct(sum(a for a, _, _ in s), 60 * trials)))
        rows.append(("  no drift, window of 60: flagged", "1200",
                     pct(sum(b for _, b, _ in s), trials)))
        s = each(zeros, 0.5)
        rows.append(("95% zeros in 1 of 11 features fall to 50%: flagged "
                     "in the first batch", "64",
                     f"{pct(sum(a for a, _, _ in s), trials)}, that "
                     f"feature drifted in {sum(b for _, b, _ in s)}"))
        s = each(zeros, 0.95)
        rows.append(("  no drift, 95% zeros: batches flagged", "64",
                     pct(sum(c for _, _, c in s), 20 * trials)))
    print(f"drift power: mm-psi with the default drift.yaml (alpha 0.01 "
          f"after BH, moderate 0.1), {trials} trials, 5000-row references")
    w = max(len(r[0]) for r in rows)
    print(f"{'scenario':<{w}}  {'rows':>5}  result")
    for name, n, res in rows:
        print(f"{name:<{w}}  {n:>5}  {res}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
