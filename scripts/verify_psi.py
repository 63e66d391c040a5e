#!/usr/bin/python3
"""Check mm-psi against an independent numpy/scipy computation.

usage: verify_psi.py all MM-PSI DIR
       verify_psi.py gen DIR
       verify_psi.py check TRAIN REF BATCHES OUT [--alpha A]
                           [--threshold test|fixed] [--smoothing S]
                           [--eps E] [--window N] [--merge]
       verify_psi.py same OUT1 OUT2

gen writes DIR/train.ndjson (5000 rows in five records), DIR/small.ndjson
(30 batches of 20 rows) and DIR/large.ndjson (5 batches of 5000 rows),
seeded, with features of every kind: numeric, numeric with many ties and
46% zeros (a point mass at the bottom), numeric with point masses in the
middle and at the top, discrete, binary, constant, categorical (more than
20 strings, escapes, non-ASCII) and partly missing; some batches drift,
one of them only in how often the point masses occur.

check recomputes from TRAIN (the records REF was fitted on), REF and
BATCHES what mm-psi wrote to OUT, and prints one line per check:

  reference    kinds, edges (numpy.quantile, to the last bit), values,
               categories, counts
  split edges  each edge nextafter(v, inf) that gives a point mass v (a
               value two quantiles share) a bin of its own: the edge, to
               the last bit, and the count of v in that bin
  counts       each batch's bins: numeric by the edges, discrete by value,
               categorical by string, "other" and "missing"
  psi          smoothed PSI, psi_adj and psi_crit (scipy.stats.chi2)
  p chi2       scipy.stats.chi2_contingency(correction=False) where every
               expected count is at least 5
  p exact      two bins: hypergeometric tails (scipy.stats.hypergeom),
               two-sided as lib/psi.c's exact2: counts at least as far
               from the expected count as the observed one
  p merged     neighbouring bins merged as lib/psi.c does when Monte
               Carlo would cost too much, then chi2_contingency or exact
  p monte carlo  the rest: within the tails (1e-6) of mm's sequential
               estimator's distribution around a numpy simulation of
               2000 to 10000 tables with the same margins
  status       Benjamini-Hochberg on mm's p-values, drifted (order
               included), drift_score and status

to 1e-9 relative, edges and values exactly.  --window N: OUT came from
mm-psi --window N (counts summed over the last N batches); --merge: OUT
holds the one record of mm-psi --merge over all of BATCHES.

all does everything below in DIR with the program MM-PSI: gen, --fit,
then checks PSI per batch of 20 and of 5000 rows, --window 5, --counts
then --merge, --window 30 = --merge of drift records = --merge of
counts, and --threshold fixed with smoothing: 0 (make verify).

same checks that the drift objects of the last records of OUT1 and OUT2
agree (to 1e-9), e.g. --window over all batches and --merge.

Exits 1 on any difference, 2 on bad usage.
"""
import json
import math
import os
import subprocess
import sys

import numpy as np
from scipy import stats

TOL = 1e-9
MIN_EXPECTED = 5.0
MC_HITS = 20
MC_BUDGET = 4e7
MC_TAIL = 1e-6


def close(a, b, tol=TOL):
    if a is None or b is None:
        return a is None and b is None
    return a == b or abs(a - b) <= tol * max(abs(a), abs(b), 1e-300)


class Tally:
    """Values checked and values that differ, per check."""

    def __init__(self):
        self.names = []
        self.n = {}
        self.bad = {}
        self.extra = {}

    def add(self, name, ok, what=None):
        if name not in self.n:
            self.names.append(name)
            self.n[name] = self.bad[name] = 0
        self.n[name] += 1
        if not ok:
            self.bad[name] += 1
            if what is not None and self.bad[name] <= 10:
                print(f"  {name}: {what}")

    def report(self):
        for name in self.names:
            print(f"{name}: {self.n[name]} values checked, "
                  f"{self.bad[name]} differ{self.extra.get(name, '')}")
        total = sum(self.n.values())
        bad = sum(self.bad.values())
        print(f"verify_psi: {total} values checked, {bad} differ")
        return bad


# Data.

CATS = ["north", "south", "east", "west", "centre", "caf\u00e9", 'say "hi"',
        "back\\slash", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j",
        "k", "l", "m", "n", "o", "p", "q", "r", "s", "t"]


def draw(rng, rng2, n, drift=None):
    """
    n rows of every feature; drift names what moves.  "mass" draws from
    rng2 so that the other features are what they were before it.
    """
    drift = drift or {}
    w = 1.0 / np.arange(1, len(CATS) + 1) ** 1.1
    cols = {}
    cols["num"] = rng.normal(drift.get("shift", 0), drift.get("scale", 1), n)
    t = np.round(rng.exponential(2.0, n), 1)
    t[rng.random(n) < drift.get("zeros", 0.45)] = 0.0
    cols["ties"] = t
    cols["disc"] = rng.choice(6, n, p=[.3, .25, .2, .1, .1, .05]).astype(float)
    if "disc_new" in drift:
        cols["disc"][:drift["disc_new"]] = 6.0
    cols["flag"] = (rng.random(n) < drift.get("flag", 0.04)).astype(float)
    c = np.full(n, 7.0)
    c[rng.random(n) < drift.get("const", 0)] = 8.0
    cols["const"] = c
    cat = [CATS[i] for i in rng.choice(len(CATS), n, p=w / w.sum())]
    for i in np.flatnonzero(rng.random(n) < drift.get("cat_new", 0)):
        cat[i] = "new" + str(i % 3)
    cols["cat"] = cat
    p = rng.normal(10, 2, n).tolist()
    for i in np.flatnonzero(rng.random(n) < drift.get("missing", 0.15)):
        p[i] = None
    cols["part"] = p
    # Point masses: 40 in a quarter of the rows (two quantiles or more
    # share it), and the cap 65 in about 17% (the top two quantiles).
    m = np.minimum(np.round(rng2.normal(50, 20, n), 2), 65.0)
    m[rng2.random(n) < drift.get("mass", 0.25)] = 40.0
    cols["mass"] = m
    return cols


def record(bid, cols):
    feats = {}
    for k, v in cols.items():
        feats[k] = [None if x is None else
                    x if isinstance(x, str) else float(x) for x in v]
    return json.dumps({"batch_id": bid, "features": feats},
                      separators=(",", ":"))


def gen(outdir):
    rng = np.random.default_rng(20251126)
    rng2 = np.random.default_rng(20261130)
    with open(os.path.join(outdir, "train.ndjson"), "w") as f:
        for i in range(5):
            print(record(f"t{i}", draw(rng, rng2, 1000)), file=f)
    small = {}
    for b in range(10, 15):
        small[b] = {"shift": 1.5}
    for b in range(15, 20):
        small[b] = {"const": 0.3, "flag": 0.5}
    for b in range(20, 25):
        small[b] = {"cat_new": 0.4}
    for b in range(25, 30):
        small[b] = {"missing": 0.6, "zeros": 1.0}
    with open(os.path.join(outdir, "small.ndjson"), "w") as f:
        for b in range(30):
            print(record(f"s{b:02d}", draw(rng, rng2, 20, small.get(b))),
                  file=f)
    large = [None,
             {"shift": 0.08, "missing": 0.16, "disc_new": 1},
             {"scale": 1.5, "cat_new": 0.001, "disc_new": 3, "const": 2e-4},
             {"missing": 1.0, "flag": 0.06},
             {"zeros": 0.7, "mass": 0.05}]
    with open(os.path.join(outdir, "large.ndjson"), "w") as f:
        for b, d in enumerate(large):
            print(record(f"l{b}", draw(rng, rng2, 5000, d)), file=f)


# The reference, recomputed.

def columns(path):
    cols = {}
    with open(path) as f:
        for line in f:
            for k, v in json.loads(line)["features"].items():
                cols.setdefault(k, []).extend(v)
    return cols


def quantile_edges(x, bins):
    """
    The edges of numeric bins: the quantiles 0, 1/bins, ..., 1 in order,
    each pushed when above the quantile before it (and the last edge); a
    quantile equal to the one before it is a point mass v, which gets
    the bin [v, nextafter(v, inf)) once per run of equal quantiles.
    Returns the edges and the indexes of the nextafter ones.
    """
    q = np.quantile(x, np.linspace(0, 1, bins + 1))
    edges, split, run = [], [], False
    for k, y in enumerate(q):
        if k == 0 or y > q[k - 1]:
            if not edges or y > edges[-1]:
                edges.append(float(y))
            run = False
        elif not run:
            split.append(len(edges))
            edges.append(float(np.nextafter(y, np.inf)))
            run = True
    return edges, split


def same_float(a, b):
    """a and b are the same double (0 and -0 apart)."""
    return isinstance(a, (int, float)) and isinstance(b, (int, float)) \
        and float(a) == float(b) and \
        math.copysign(1, float(a)) == math.copysign(1, float(b))


def fit(values, bins, max_categories):
    """The bins of one feature as numpy and the design fix them."""
    present = [v for v in values if v is not None]
    feat = {"n": len(values)}
    if any(isinstance(v, str) for v in present):
        names, counts = np.unique(np.asarray(present, dtype=object),
                                  return_counts=True)
        order = sorted(range(len(names)),
                       key=lambda i: (-counts[i], names[i].encode()))
        keep = order[:max_categories]
        feat["kind"] = "categorical"
        feat["categories"] = [names[i] for i in keep]
        other = sum(int(counts[i]) for i in order[max_categories:])
        feat["counts"] = [int(counts[i]) for i in keep] + [other]
    else:
        x = np.asarray(present, dtype=float) + 0.0
        vals = np.unique(x)
        if len(vals) <= bins:
            feat["kind"] = "discrete"
            feat["values"] = vals.tolist()
            feat["counts"] = [int((x == v).sum()) for v in vals] + [0]
        else:
            edges, split = quantile_edges(x, bins)
            feat["kind"] = "numeric"
            feat["split"] = split
            feat["edges"] = [float(e) for e in edges]
            idx = np.searchsorted(np.asarray(edges[1:-1]), x, side="right")
            feat["counts"] = np.bincount(
                idx, minlength=len(edges) - 1).tolist()
    feat["counts"].append(len(values) - len(present))
    return feat


def check_reference(tally, train, ref):
    cols = columns(train)
    tally.add("reference", ref.get("format") == "mm-reference/2",
              f"format {ref.get('format')}")
    tally.add("reference", ref["rows"] == max(len(v) for v in cols.values()),
              f"rows {ref['rows']}")
    for feat in ref["features"]:
        name = feat["name"]
        want = fit(cols[name], ref["bins"], ref["max_categories"])
        tally.add("reference", feat["kind"] == want["kind"],
                  f"{name} kind {feat['kind']} != {want['kind']}")
        if feat["kind"] != want["kind"]:
            continue
        for key in ("edges", "values", "categories"):
            if key not in want:
                continue
            got = feat.get(key, [])
            tally.add("reference", len(got) == len(want[key]),
                      f"{name} {key}: {got} != {want[key]}")
            for a, b in zip(got, want[key]):
                tally.add("reference", same_float(a, b)
                          if key != "categories" else a == b,
                          f"{name} {key}: {a!r} != {b!r}")
        tally.add("reference", feat["counts"] == want["counts"],
                  f"{name} counts {feat['counts']} != {want['counts']}")
        tally.add("reference", feat["n"] == want["n"], f"{name} n")
        if feat["kind"] == "numeric":
            check_split(tally, name, feat, want, cols[name])


def check_split(tally, name, feat, want, values):
    """
    Each point mass's edge is one ulp above the mass, and the mass's bin
    holds exactly the training values equal to it (counted here by
    value, not through the edges).
    """
    x = np.asarray([v for v in values if v is not None], dtype=float)
    got, counts = feat["edges"], feat["counts"]
    for i in want["split"]:
        v = want["edges"][i - 1]
        ok = i < len(got) and same_float(got[i], want["edges"][i]) and \
            got[i] == np.nextafter(got[i - 1], np.inf)
        tally.add("split edges", ok, f"{name} edge {i}: {got[i:i + 1]} "
                  f"!= nextafter({v!r})")
        k = int((x == v).sum())
        tally.add("split edges", counts[i - 1:i] == [k],
                  f"{name} bin {i - 1} of mass {v!r}: "
                  f"{counts[i - 1:i]} != {k}")


def bin_counts(feat, values):
    """Counts of one batch column in the bins of feat."""
    kind = feat["kind"]
    if kind == "numeric":
        e = np.asarray(feat["edges"])
        nb = len(e)
        x = np.asarray([v for v in values if v is not None], dtype=float)
        c = np.bincount(np.searchsorted(e[1:-1], x, side="right"),
                        minlength=nb - 1).tolist()
    else:
        keys = feat["values"] if kind == "discrete" else feat["categories"]
        pos = {k: i for i, k in enumerate(keys)}
        c = [0] * (len(keys) + 1)
        for v in values:
            if v is None:
                continue
            if isinstance(v, str) != (kind == "categorical"):
                raise ValueError(f"{feat['name']}: kind mismatch")
            c[pos.get(v + 0.0 if kind == "discrete" else v, len(keys))] += 1
    c.append(sum(v is None for v in values))
    return np.asarray(c, dtype=np.int64)


# Drift, recomputed.

def psi_of(r, c, smoothing, eps):
    keep = (r + c) > 0
    r, c = r[keep].astype(float), c[keep].astype(float)
    k = len(r)
    m, n = r.sum(), c.sum()
    if smoothing > 0:
        a = (c + smoothing) / (n + smoothing * k)
        e = (r + smoothing) / (m + smoothing * k)
        return float(np.sum((a - e) * np.log(a / e))), k
    a, e = c / n, r / m
    return float(np.sum((a - e) * np.log((a + eps) / (e + eps)))), k


def exact2(r, c):
    """Two bins: P(X at least as far from its expectation as c[0])."""
    m, n = int(r.sum()), int(c.sum())
    t = r + c
    total = m + n
    e = n * float(t[0]) / total
    d = abs(c[0] - e)
    tol = 1e-9 * (1 + e)
    lo = math.floor(e - d + tol)
    hi = math.ceil(e + d - tol)
    h = stats.hypergeom(total, int(t[0]), n)
    p = 0.0
    if lo >= 0:
        p += h.cdf(lo)
    p += h.sf(hi - 1) if hi > 0 else 1.0
    return min(1.0, float(p))


def merge_small(r, c):
    m, n = float(r.sum()), float(c.sum())
    total = m + n
    rr, cc = [], []
    ar = ac = 0
    for i in range(len(r)):
        ar += int(r[i])
        ac += int(c[i])
        if min(m * (ar + ac), n * (ar + ac)) / total >= MIN_EXPECTED or \
                i == len(r) - 1:
            rr.append(ar)
            cc.append(ac)
            ar = ac = 0
    if len(rr) >= 2 and min(m, n) * (rr[-1] + cc[-1]) / total < MIN_EXPECTED:
        r1, c1 = rr.pop(), cc.pop()
        rr[-1] += r1
        cc[-1] += c1
    return np.asarray(rr, dtype=np.int64), np.asarray(cc, dtype=np.int64)


def min_expected(r, c):
    m, n = float(r.sum()), float(c.sum())
    t = (r + c).astype(float)
    total = m + n
    return min(np.min(m * t / total), np.min(n * t / total))


def chi2_p(r, c):
    return float(stats.chi2_contingency(np.array([r, c]),
                                        correction=False)[1])


def homogeneity(r, c, p_min):
    """(method, p) as the design asks; p is None for Monte Carlo."""
    keep = (r + c) > 0
    r, c = r[keep], c[keep]
    m, n = int(r.sum()), int(c.sum())
    if len(r) < 2:
        return "none", 1.0
    nmax = math.ceil(2.0 / max(p_min, 1e-7))
    if min_expected(r, c) >= MIN_EXPECTED:
        return "p chi2", chi2_p(r, c)
    if len(r) == 2:
        return "p exact", exact2(r, c)
    if min(m, n) * len(r) * float(nmax) <= MC_BUDGET:
        return "p monte carlo", None
    r, c = merge_small(r, c)
    if len(r) < 2:
        return "p merged", 1.0
    if len(r) == 2 and min_expected(r, c) < MIN_EXPECTED:
        return "p merged", exact2(r, c)
    return "p merged", chi2_p(r, c)


_mc_cache = {}


def simulate(r, c):
    """A numpy estimate of the Monte Carlo p-value: (hits, tables)."""
    keep = (r + c) > 0
    r, c = r[keep], c[keep]
    key = (tuple(r), tuple(c))
    if key in _mc_cache:
        return _mc_cache[key]
    t = r + c
    m, n = float(r.sum()), float(c.sum())
    total = m + n
    er, ec = m * t / total, n * t / total

    def pearson(x):
        return (((x - ec) ** 2 / ec).sum(axis=-1) +
                ((t - x - er) ** 2 / er).sum(axis=-1))

    obs = pearson(c.astype(float))
    tol = 1e-9 * (1 + obs)
    rng = np.random.default_rng([int(v) for v in key[0] + key[1]])
    draws = int(min(m, n))
    tables = min(10000, max(2000, int(2e5 / draws)))
    x = rng.multivariate_hypergeometric(t, draws, size=tables,
                                        method="count")
    if m < n:
        x = t - x
    hits = int((pearson(x.astype(float)) >= obs - tol).sum())
    _mc_cache[key] = hits, tables
    return hits, tables


def mc_consistent(p_mm, hits, tables, nmax):
    """
    Is mm's estimate p_mm a plausible outcome of its estimator for some
    p within a 1e-6 interval of the simulation's?  mm stops at the
    MC_HITS-th table at least as extreme (p = MC_HITS / draws) or after
    nmax tables (p = (hits + 1) / (nmax + 1)).
    """
    lo = stats.beta.ppf(MC_TAIL, hits, tables - hits + 1) if hits else 0.0
    hi = stats.beta.ppf(1 - MC_TAIL, hits + 1, tables - hits)
    p = np.append(np.linspace(max(lo, 1e-12), min(hi, 1.0), 41),
                  (hits + 0.5) / (tables + 1))
    if p_mm * nmax >= MC_HITS * (1 - 1e-9):
        # P(estimate <= p_mm) = P(R >= r), R the draws to MC_HITS hits.
        r = round(MC_HITS / p_mm)
        below = stats.nbinom.sf(r - MC_HITS - 1, MC_HITS, p)
        above = stats.nbinom.cdf(r - MC_HITS, MC_HITS, p)
    else:
        x = round(p_mm * (nmax + 1)) - 1
        below = stats.binom.cdf(x, nmax, p)
        above = stats.binom.sf(x - 1, nmax, p)
    best = float(np.max(np.minimum(below[:-1], above[:-1])))
    # The mid-p transform at the simulation's estimate: uniform on
    # average over many p-values if mm's estimator is unbiased.
    mid = 0.5 * (float(below[-1]) + 1.0 - float(above[-1]))
    return best >= MC_TAIL, best, mid


def bh(p, alpha):
    """Benjamini-Hochberg over the p-values that are not None."""
    idx = [i for i, v in enumerate(p) if v is not None]
    idx.sort(key=lambda i: (p[i], i))
    k = len(idx)
    last = -1
    for j, i in enumerate(idx):
        if p[i] <= (j + 1) / k * alpha:
            last = j
    return set(idx[:last + 1])


def band(v, moderate, severe):
    if v is None or not v >= moderate:
        return 0
    return 2 if v >= severe else 1


STATUS = ["stable", "moderate", "severe"]


def check_drift(tally, ref, counts, rows, d, opt, where):
    alpha, smoothing, eps = opt["alpha"], opt["smoothing"], opt["eps"]
    fixed = opt["threshold"] == "fixed"
    feats = ref["features"]
    names = [f["name"] for f in feats]
    tally.add("counts", d.get("ref") == ref["id"], f"{where} ref")
    tally.add("counts", d["n"] == rows, f"{where} n {d['n']} != {rows}")
    res = {}
    for f in feats:
        name = f["name"]
        r = np.asarray(f["counts"], dtype=np.int64)
        c = counts[name]
        tally.add("counts", d["counts"][name] == c.tolist(),
                  f"{where} {name} {d['counts'][name]} != {c.tolist()}")
        tally.add("counts", d["missing"][name] == int(c[-1]),
                  f"{where} {name} missing")
        psi, k = psi_of(r, c, smoothing, eps)
        m, n = f["n"], rows
        adj = max(0.0, psi - (k - 1) * (1 / m + 1 / n))
        crit = float(stats.chi2.isf(alpha, k - 1) * (1 / m + 1 / n)) \
            if k >= 2 else None
        for what, want in (("psi", psi), ("psi_adj", adj),
                           ("psi_crit", crit)):
            got = d[what][name]
            tally.add("psi", close(got, want),
                      f"{where} {name} {what}: {got} != {want}")
        res[name] = (psi, adj, k, r, c)
    tested = sum(1 for name in names if res[name][2] >= 2)
    p_min = alpha / (tested or 1)
    nmax = math.ceil(2.0 / max(p_min, 1e-7))
    for name in names:
        psi, adj, k, r, c = res[name]
        got = d["p_value"][name]
        method, p = homogeneity(r, c, p_min)
        if method == "none":
            tally.add("p one bin", got == 1.0, f"{where} {name}: {got}")
        elif p is not None:
            tally.add(method, close(got, p),
                      f"{where} {name} p_value {got} != {p}")
        else:
            hits, tables = simulate(r, c)
            ok, tail, mid = mc_consistent(got, hits, tables, nmax)
            opt["mc_tail"] = min(opt.get("mc_tail", 1.0), tail)
            opt.setdefault("mc_mid", []).append(mid)
            tally.add("p monte carlo", ok,
                      f"{where} {name} p_value {got}, simulation "
                      f"{hits}/{tables} (tail {tail:.2g})")
    # Benjamini-Hochberg on the p-values mm wrote (checked above).
    pv = [d["p_value"][n] if res[n][2] >= 2 else None for n in names]
    sig = bh(pv, alpha)
    drifted = []
    for i, name in enumerate(names):
        v = res[name][0] if fixed else res[name][1]
        b = band(v, opt["moderate"], opt["severe"])
        if b and (fixed or i in sig):
            drifted.append(i)
    drifted.sort(key=lambda i: (-res[names[i]][1], i))
    want = [names[i] for i in drifted]
    tally.add("status", d["drifted"] == want,
              f"{where} drifted {d['drifted']} != {want}")
    score = float(np.mean([res[n][0] if fixed else res[n][1]
                           for n in names]))
    tally.add("status", close(d["drift_score"], score),
              f"{where} drift_score {d['drift_score']} != {score}")
    if fixed:
        status = STATUS[band(score, opt["moderate"], opt["severe"])]
    else:
        status = STATUS[max([band(res[names[i]][1], opt["moderate"],
                                  opt["severe"]) for i in drifted] or [0])]
    tally.add("status", d["status"] == status,
              f"{where} status {d['status']} != {status}")
    return d["status"]


def check(argv):
    """The check command: 0 when nothing differs."""
    args, opts, i = [], {}, 0
    while i < len(argv):
        if argv[i] == "--merge":
            opts["--merge"] = True
        elif argv[i].startswith("--") and i + 1 < len(argv):
            opts[argv[i]] = argv[i + 1]
            i += 1
        else:
            args.append(argv[i])
        i += 1
    if len(args) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    train, refpath, batches, outpath = args
    opt = {"alpha": float(opts.get("--alpha", 0.01)),
           "smoothing": float(opts.get("--smoothing", 0.5)),
           "eps": float(opts.get("--eps", 1e-6)),
           "threshold": opts.get("--threshold", "test"),
           "moderate": 0.1, "severe": 0.2}
    return check_files(train, refpath, batches, outpath, opt,
                       int(opts.get("--window", 1)), "--merge" in opts)


def check_files(train, refpath, batches, outpath, opt, window=1,
                merge=False):
    ref = json.load(open(refpath))
    tally = Tally()
    check_reference(tally, train, ref)
    recs = [json.loads(line) for line in open(batches)]
    outs = [json.loads(line) for line in open(outpath)]
    per = []
    for rec in recs:
        per.append({f["name"]: bin_counts(f, rec["features"][f["name"]])
                    for f in ref["features"]})
    if merge:
        windows = [(0, len(recs) - 1)]
        tally.add("counts", len(outs) == 1 and
                  outs[0]["n_records"] == len(recs), "n_records")
    else:
        windows = [(max(0, i - window + 1), i) for i in range(len(recs))]
        tally.add("counts", len(outs) == len(recs),
                  f"{len(outs)} records for {len(recs)}")
    seen = {}
    for (lo, hi), out in zip(windows, outs):
        counts = {name: sum(per[j][name] for j in range(lo, hi + 1))
                  for name in per[0]}
        rows = sum(len(next(iter(recs[j]["features"].values())))
                   for j in range(lo, hi + 1))
        if not merge:
            tally.add("counts", out["batch_id"] == recs[hi]["batch_id"],
                      f"record {hi} batch_id")
        s = check_drift(tally, ref, counts, rows, out["drift"], opt,
                        f"record {hi}")
        seen[s] = seen.get(s, 0) + 1
    if "p monte carlo" in tally.n:
        # Over all Monte Carlo p-values, a biased estimator shows.
        mid = np.asarray(opt["mc_mid"])
        z = (mid.mean() - 0.5) / math.sqrt(1 / 12 / len(mid))
        tally.add("p monte carlo bias", abs(z) < 5,
                  f"mean mid-p {mid.mean():.3f} over {len(mid)}, z {z:.2f}")
        tally.extra["p monte carlo"] = (
            f" (smallest tail {opt['mc_tail']:.2g}, failing below "
            f"{MC_TAIL:g})")
        tally.extra["p monte carlo bias"] = (
            f" (mean mid-p {mid.mean():.3f}, z {z:+.2f}, failing above 5)")
    bad = tally.report()
    print("  statuses: " + ", ".join(f"{seen.get(s, 0)} {s}"
                                     for s in STATUS))
    return 1 if bad else 0


def same(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    return same_files(*argv)


def same_files(path1, path2):
    a, b = (json.loads(open(p).read().splitlines()[-1])["drift"]
            for p in (path1, path2))
    tally = Tally()

    def walk(x, y, path):
        if isinstance(x, dict) and isinstance(y, dict):
            tally.add("same", x.keys() == y.keys(), f"{path} keys")
            for k in x.keys() & y.keys():
                walk(x[k], y[k], f"{path}.{k}")
        elif isinstance(x, list) and isinstance(y, list):
            tally.add("same", len(x) == len(y), f"{path} length")
            for i, (u, v) in enumerate(zip(x, y)):
                walk(u, v, f"{path}[{i}]")
        elif isinstance(x, (int, float)) and isinstance(y, (int, float)):
            tally.add("same", close(x, y), f"{path}: {x} != {y}")
        else:
            tally.add("same", x == y, f"{path}: {x} != {y}")

    walk(a, b, "drift")
    return 1 if tally.report() else 0


def run_all(mm_psi, outdir):
    """Generate, run mm-psi in every mode and check each result."""
    def path(name):
        return os.path.join(outdir, name)

    def psi(out, *args, stdin=None):
        with open(path(out), "w") as f:
            subprocess.run([mm_psi, "--ref", path("ref.json"), *args],
                           stdin=stdin, stdout=f, check=True)

    gen(outdir)
    os.mkdir(path("config0"))
    with open(path("config0/drift.yaml"), "w") as f:
        f.write("smoothing: 0\n")
    with open(path("train.ndjson")) as i, open(path("ref.json"), "w") as o:
        subprocess.run([mm_psi, "--fit"], stdin=i, stdout=o, check=True)
    train, ref = path("train.ndjson"), path("ref.json")
    small, large = path("small.ndjson"), path("large.ndjson")
    opt = {"alpha": 0.01, "smoothing": 0.5, "eps": 1e-6,
           "threshold": "test", "moderate": 0.1, "severe": 0.2}
    bad = 0

    print("PSI, 30 batches of 20 rows:")
    psi("out1", small)
    bad += check_files(train, ref, small, path("out1"), dict(opt))
    print("PSI, 5 batches of 5000 rows:")
    psi("out2", large)
    bad += check_files(train, ref, large, path("out2"), dict(opt))
    print("PSI, --window 5 over the 20-row batches:")
    psi("out3", "--window", "5", small)
    bad += check_files(train, ref, small, path("out3"), dict(opt), window=5)
    print("PSI, --counts then --merge of the 20-row batches:")
    psi("counts", "--counts", small)
    with open(path("counts")) as f:
        psi("out4", "--merge", stdin=f)
    bad += check_files(train, ref, small, path("out4"), dict(opt),
                       merge=True)
    print("PSI, --window 30 and --merge of drift records = --merge of "
          "counts:")
    psi("out5", "--window", "30", small)
    psi("out6", "--merge", path("out1"))
    bad += same_files(path("out5"), path("out4"))
    bad += same_files(path("out6"), path("out4"))
    print("PSI, --threshold fixed, --alpha 0.05, smoothing: 0, 5000 rows:")
    psi("out7", "--config", path("config0"), "--threshold", "fixed",
        "--alpha", "0.05", large)
    bad += check_files(train, ref, large, path("out7"),
                       dict(opt, alpha=0.05, threshold="fixed",
                            smoothing=0.0))
    return 1 if bad else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "gen":
        gen(argv[2])
        return 0
    if len(argv) == 4 and argv[1] == "all":
        return run_all(argv[2], argv[3])
    if len(argv) >= 2 and argv[1] == "check":
        return check(argv[2:])
    if len(argv) >= 2 and argv[1] == "same":
        return same(argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
