#!/usr/bin/python3
"""Check mm-train's random forest against scikit-learn's on the same rows.

usage: verify_model.py split DATA.ndjson TRAIN.ndjson VALID.ndjson [--seed N]
       verify_model.py check TRAIN.ndjson VALID.ndjson SUMMARY.json
                             MODELS PREDICTED.ndjson

split: DATA is one batch record (mm-gen --rows); its rows are split 75/25,
stratified by label, with sklearn's train_test_split(random_state=SEED,
default 0), into TRAIN and VALID: one batch record each, fields as mm-gen
writes them, rows in their original order.

check: SUMMARY is the line mm-train printed after training on TRAIN with
--validate VALID into the store MODELS, and PREDICTED what mm-predict
wrote for VALID with that model.  mm's F1 on VALID must be the same in
the summary, in card.json and computed here from mm-predict's pred (and
in mm-predict's metrics).  scikit-learn's RandomForestClassifier with
mm's defaults (n_estimators=200, max_depth=6, min_samples_leaf=5,
max_features="sqrt", random_state=0) is fitted on the same TRAIN rows
and scored on VALID.  The last line is the verdict:

  verify_model: F1 mm 0.9542 sklearn 0.9543 diff -0.0001, within 0.01

Exits 1 when |diff| > 0.01 or mm's F1 values disagree, 2 on bad input.
"""
import json
import os
import sys

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split

TOL = 0.01
PARAMS = {"n_estimators": 200, "max_depth": 6, "min_samples_leaf": 5}
SAME = 1e-12  # mm's F1 and sklearn's formula may differ in the last bit


def die(msg):
    print(f"verify_model: {msg}", file=sys.stderr)
    sys.exit(2)


def record(path):
    with open(path) as f:
        recs = [json.loads(line) for line in f if line.strip()]
    if len(recs) != 1:
        die(f"{path}: {len(recs)} records, want 1")
    return recs[0]


def table(rec):
    names = list(rec["features"])
    cols = [rec["features"][k] for k in names]
    if any(v is None for c in cols for v in c) or None in rec["labels"]:
        die("missing values or labels are not expected")
    return names, np.column_stack(cols).astype(float), \
        np.asarray(rec["labels"], dtype=int)


def write(path, rec, batch_id, rows):
    out = {"batch_id": batch_id, "ts": rec["ts"],
           "features": {k: [v[i] for i in rows]
                        for k, v in rec["features"].items()},
           "labels": [rec["labels"][i] for i in rows]}
    with open(path, "w") as f:
        f.write(json.dumps(out, separators=(",", ":")) + "\n")


def split(data, train, valid, seed):
    rec = record(data)
    _, _, y = table(rec)
    tr, va = train_test_split(np.arange(len(y)), test_size=0.25,
                              stratify=y, random_state=seed)
    write(train, rec, "train", sorted(tr))
    write(valid, rec, "valid", sorted(va))
    print(f"split: {len(tr)} train rows, {len(va)} validation rows "
          f"(stratified, seed {seed})")
    return 0


def check(train, valid, summary, models, predicted):
    bad = 0
    names, xtr, ytr = table(record(train))
    vnames, xva, yva = table(record(valid))
    if vnames != names:
        die("TRAIN and VALID features differ")
    with open(summary) as f:
        summ = json.loads(f.readline())
    with open(os.path.join(models, "versions", summ["version"],
                           "card.json")) as f:
        card = json.load(f)
    pred_rec = record(predicted)

    for k, v in PARAMS.items():
        if card["params"][k] != v:
            print(f"card.json params.{k} is {card['params'][k]}, not {v}")
            bad += 1
    if card["rows"] != {"train": len(ytr), "validation": len(yva),
                        "with_missing": 0}:
        print(f"card.json rows {card['rows']}: want {len(ytr)} train, "
              f"{len(yva)} validation")
        bad += 1

    mm = summ["metrics"]["f1"]
    pred = np.asarray(pred_rec["pred"], dtype=int)
    from_pred = float(f1_score(yva, pred))
    for what, v in (("card.json metrics.f1", card["metrics"]["f1"]),
                    ("mm-predict metrics.f1", pred_rec["metrics"]["f1"]),
                    ("F1 of mm-predict's pred", from_pred)):
        if abs(v - mm) > SAME:
            print(f"{what} {v!r} != mm-train's {mm!r}")
            bad += 1
    print(f"mm-train:  F1 {mm:.6f} on {len(yva)} validation rows "
          f"(card.json, mm-predict: {'same' if not bad else 'DIFFER'})")

    rf = RandomForestClassifier(**PARAMS, max_features="sqrt",
                                random_state=0, n_jobs=-1)
    rf.fit(xtr, ytr)
    sk = float(f1_score(yva, rf.predict(xva)))
    print(f"sklearn:   F1 {sk:.6f} (RandomForestClassifier, "
          f"{len(ytr)} train rows)")

    diff = mm - sk
    ok = abs(diff) <= TOL
    print(f"verify_model: F1 mm {mm:.4f} sklearn {sk:.4f} diff "
          f"{diff:+.4f}, {'within' if ok else 'beyond'} {TOL}")
    return 0 if ok and not bad else 1


def main(argv):
    args = argv[1:]
    seed = 0
    if len(args) == 6 and args[4] == "--seed":
        seed = int(args[5])
        args = args[:4]
    if args[:1] == ["split"] and len(args) == 4:
        return split(*args[1:], seed)
    if args[:1] == ["check"] and len(args) == 6:
        return check(*args[1:])
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
