#!/usr/bin/env bats
# Real tables: a categorical column, blank cells and string labels, from
# training (the model's schema) through mm-predict to mm-psi.  Rows come
# from tests/tabgen.py: x numeric, region north/south/east/west, 5% of
# cells blank, "fraud" far more often in the east.

bats_require_minimum_version 1.5.0
load helper

PY=/usr/bin/python3
GEN=$MM_TOP/tests/tabgen.py
T0=1764140000
V1=20251126T065320Z

# An empty configuration (the defaults) but for min_validation_rows.
train_tab() {
	mkdir -p conf
	"$GEN" 600 1 --id train "$@" >tr.ndjson
	"$GEN" 300 2 --id valid "$@" >va.ndjson
}

# Binary F1 of class pos and the confusion matrix, in the order classes,
# from a record's labels and pred.
score() {
	$PY -c '
import json, sys
pos, classes = json.loads(sys.argv[1]), json.loads(sys.argv[2])
r = json.loads(sys.stdin.read())
y, p = r["labels"], r["pred"]
tp = sum(a == pos and b == pos for a, b in zip(y, p))
fp = sum(a != pos and b == pos for a, b in zip(y, p))
fn = sum(a == pos and b != pos for a, b in zip(y, p))
cm = [[sum(a == t and b == q for a, b in zip(y, p)) for q in classes]
      for t in classes]
print(repr(2 * tp / (2 * tp + fp + fn)), json.dumps(cm, separators=(",", ":")))
' "$@"
}

@test "categorical features, blanks and string labels: the schema, --positive, F1 of that class" {
	train_tab
	run_split mm-train --models m --config conf --validate va.ndjson \
	    --positive fraud --now $T0 tr.ndjson
	assert_success
	assert_equal "$stderr" ""
	summary=$output
	# Codes by each category's share of fraud in the training rows,
	# computed here independently; classes in byte order with the
	# positive class moved second.
	want=$($PY -c '
import json
r = json.load(open("tr.ndjson"))
share = {}
for v, y in zip(r["features"]["region"], r["labels"]):
    if v is not None:
        n, f = share.get(v, (0, 0))
        share[v] = (n + 1, f + (y == "fraud"))
print(json.dumps(sorted(share, key=lambda c: (share[c][1] / share[c][0], c))))')
	run grep -o '"schema":{.*},"params"' m/versions/$V1/model.json
	assert_output "\"schema\":{\"features\":[{\"name\":\"x\",\"kind\":\"numeric\"},{\"name\":\"region\",\"kind\":\"categorical\",\"categories\":${want//, /,}}],\"classes\":[\"ok\",\"fraud\"],\"positive\":\"fraud\"},\"params\""
	grep -q '"class_balance":{"ok":[0-9]*,"fraud":[0-9]*}' m/versions/$V1/card.json
	# Every blank is trained on: 600 rows, none left out.
	grep -q '"rows":{"train":600,"validation":300,"with_missing":[1-9][0-9]*}' \
	    m/versions/$V1/card.json
	# mm-predict writes the classes as labels; its F1 is fraud's, and
	# the same as mm-train's on the same rows.
	mm-predict --models m va.ndjson >p.ndjson
	grep -q '"pred":\["\(ok\|fraud\)"' p.ndjson
	read -r f1 cm < <(score '"fraud"' '["ok","fraud"]' <p.ndjson)
	assert_equal "$(grep -o '"f1":[^,]*' p.ndjson)" "\"f1\":$f1"
	assert_equal "$(grep -o '"confusion":[^a]*,"avg' p.ndjson)" \
	    "\"confusion\":$cm,\"avg"
	assert_equal "$(grep -o '"f1":[^}]*' <<<"$summary")" "\"f1\":$f1"
}

@test "a category never seen in training, and a blank one, take the same default branch" {
	train_tab
	mm-train --models m --config conf --validate va.ndjson --now $T0 \
	    tr.ndjson >/dev/null
	printf '%s\n' '{"batch_id":"u","features":{"x":[0.3,0.3,-1,-1,2,2],"region":["mars",null,"atlantis",null,"",null]}}' |
	    mm-predict --models m >u.ndjson
	$PY -c '
import json
r = json.load(open("u.ndjson"))
p = r["proba"]
assert p[0] == p[1] and p[2] == p[3] and p[4] == p[5], p
assert r["metrics"]["n_samples"] == 6 and r["metrics"]["f1"] is None'
}

@test "integer labels with --positive 0: classes [1,0], and F1 and confusion follow" {
	train_tab --labels int
	mm-train --models m --config conf --validate va.ndjson --positive 0 \
	    --now $T0 tr.ndjson >/dev/null
	grep -q '"classes":\[1,0\],"positive":0}' m/versions/$V1/model.json
	mm-predict --models m va.ndjson >p.ndjson
	grep -q '"pred":\[[01],' p.ndjson
	read -r f1 cm < <(score 0 '[1,0]' <p.ndjson)
	assert_equal "$(grep -o '"f1":[^,]*' p.ndjson)" "\"f1\":$f1"
	assert_equal "$(grep -o '"confusion":[^a]*,"avg' p.ndjson)" \
	    "\"confusion\":$cm,\"avg"
	# The card's F1 is the same class's.
	assert_equal "$(grep -o '"f1":[^}]*' m/versions/$V1/card.json)" "\"f1\":$f1"
}

@test "--positive: a label the data does not have, or more than two classes" {
	train_tab
	run_split mm-train --models m --config conf --positive froud tr.ndjson
	assert_failure 2
	assert_equal "$stderr" "mm-train: --positive 'froud' is not one of the labels"
	sed 's/"ok","ok"/"ok","maybe"/' tr.ndjson >t3.ndjson
	run_split mm-train --models m --config conf --positive fraud t3.ndjson
	assert_failure 2
	assert_equal "$stderr" "mm-train: --positive 'fraud': the labels hold 3 classes; a positive class goes with two"
	run_split mm-train --models m --config conf --positive '' tr.ndjson
	assert_failure 2
	assert_equal "$stderr" "mm-train: --positive needs a label"
	# A validation label the training labels do not have.
	sed 's/"ok","ok"/"ok","maybe"/' va.ndjson >v3.ndjson
	run_split mm-train --models m --config conf --validate v3.ndjson tr.ndjson
	assert_failure 2
	assert_regex "$stderr" "^mm-train: v3.ndjson: row [0-9]+: label \"maybe\" is not one of the model's classes$"
	[ ! -e m ]
}

@test "mm-predict: a label that is not one of the model's classes is bad input" {
	train_tab
	mm-train --models m --config conf --validate va.ndjson --now $T0 \
	    tr.ndjson >/dev/null
	printf '%s\n' '{"batch_id":"a","features":{"x":[1,2],"region":["east","west"]},"labels":["ok","fraud"]}' \
	    '{"batch_id":"b","features":{"x":[1,2],"region":["east","west"]},"labels":["ok","maybe"]}' \
	    >in.ndjson
	run_split mm-predict --models m in.ndjson
	assert_failure 2
	assert_equal "$(wc -l <<<"$output")" 1
	assert_equal "$stderr" "mm-predict: in.ndjson:2: row 1: label \"maybe\" is not one of the model's classes (model $V1)"
	# The integer 1 is not the string class "fraud".
	run_split mm-predict --models m <<<'{"batch_id":"c","features":{"x":[1],"region":["east"]},"labels":[1]}'
	assert_failure 2
	assert_equal "$stderr" "mm-predict: line 1: row 0: label 1 is not one of the model's classes (model $V1)"
}

@test "drift in a categorical feature and in blanks is flagged; the same mix is stable" {
	train_tab
	mm-train --models m --config conf --validate va.ndjson --now $T0 \
	    tr.ndjson >/dev/null
	# The reference bins region by category, most frequent first.
	grep -q '"name":"region","kind":"categorical","n":600,"categories":\["east","' \
	    m/versions/$V1/reference.json
	for size in 200 2000; do
		"$GEN" $size 7 --id same >same.ndjson
		"$GEN" $size 8 --id mix --east 0.6 >mix.ndjson
		"$GEN" $size 9 --id blanks --blank 0.3 >blanks.ndjson
		cat same.ndjson mix.ndjson blanks.ndjson |
		    mm-predict --models m | mm-psi --models m >d.ndjson
		run $PY -c '
import json
for line in open("d.ndjson"):
    r = json.loads(line)
    d = r["drift"]
    print(r["batch_id"], d["status"], ",".join(d["drifted"]),
          d["missing"]["x"] > 0)'
		assert_line --index 0 "same stable  True"
		assert_line --index 1 --regexp '^mix (moderate|severe) region True$'
		assert_line --index 2 --regexp '^blanks (moderate|severe) (x,region|region,x) True$'
	done
}

@test "mm-record keeps the metrics of string-labelled batches, not their rows as evidence" {
	train_tab
	mm-train --models m --config conf --validate va.ndjson --now $T0 \
	    tr.ndjson >/dev/null
	mm-predict --models m va.ndjson >p.ndjson
	run_split mm-record --db d.db --config conf p.ndjson
	assert_success
	assert_equal "$stderr" "mm-record: batch 'valid': feature 'region' holds strings; its rows are not kept as evidence"
	assert_equal "$(sqlite3 d.db 'SELECT n_samples, n_labelled FROM metrics')" "300|300"
	assert_equal "$(sqlite3 d.db 'SELECT count(*) FROM evidence')" 0
	# Numeric features with string labels: the labels are the reason.
	printf '%s\n' '{"batch_id":"s","features":{"x":[1,2]},"labels":["ok",null],"metrics":{"n_samples":2,"n_labelled":1,"accuracy":1,"f1":null,"confusion":[[1,0],[0,0]],"avg_confidence":0.9,"latency_ms":0.1,"model_version":"v"}}' >s.ndjson
	run_split mm-record --db d2.db --config conf s.ndjson
	assert_success
	assert_equal "$stderr" "mm-record: batch 's': its labels are strings; its rows are not kept as evidence"
	assert_equal "$(sqlite3 d2.db 'SELECT n_labelled FROM metrics')" 1
}

@test "from CSV: breast_cancer with a category and blanks; a mix change and a rise in blanks are flagged" {
	# 569 rows (scripts/make_tabular.py): the first 400 train, the other
	# 169 are production as they are, with region 70% east, and with 40%
	# of mean_radius blank.
	$PY "$MM_TOP/scripts/make_tabular.py" breast_cancer bc
	{ head -n 401 bc/table.csv; } >tr.csv
	{ head -n 1 bc/table.csv; tail -n +402 bc/table.csv; } >prod.csv
	$PY - <<'PYEOF'
import csv, random
rows = list(csv.reader(open("prod.csv")))
head, body = rows[0], rows[1:]
rng = random.Random(5)
ri, mi = head.index("region"), head.index("mean_radius")
for name, col, p, value in (("mix", ri, 0.7, "east"),
                            ("blank", mi, 0.4, "")):
    with open(name + ".csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(head)
        for r in body:
            r = list(r)
            if rng.random() < p:
                r[col] = value
            w.writerow(r)
PYEOF
	mkdir -p conf
	run_split sh -c "mm-batch --csv --id-prefix train --size 1000 tr.csv |
	    mm-train --models m --config conf --positive malignant --now $T0"
	assert_success
	assert_equal "$stderr" ""
	grep -q '"name":"region","kind":"categorical"' m/versions/$V1/model.json
	grep -q '"classes":\["benign","malignant"\],"positive":"malignant"}' \
	    m/versions/$V1/model.json
	for f in prod mix blank; do
		mm-batch --csv --schema m --id-prefix $f --size 1000 $f.csv
	done | mm-predict --models m | mm-psi --models m >d.ndjson
	run $PY -c '
import json
for line in open("d.ndjson"):
    r = json.loads(line)
    d = r["drift"]
    print(r["batch_id"], d["n"], d["status"], "region" in d["drifted"],
          "mean_radius" in d["drifted"], d["missing"]["mean_radius"])'
	assert_line --index 0 --regexp '^prod000000 169 stable False False [0-9]$'
	assert_line --index 1 --regexp '^mix000000 169 severe True False [0-9]$'
	assert_line --index 2 --regexp '^blank000000 169 severe False True [0-9]{2}$'
}

@test "--positive does not change which rows are held out, nor the accuracy on them" {
	train_tab
	a=$(mm-train --models m1 --config conf --positive fraud --now $T0 tr.ndjson)
	b=$(mm-train --models m2 --config conf --positive ok --now $T0 tr.ndjson)
	assert_equal "$(grep -o '"accuracy":[^,]*' <<<"$a")" \
	    "$(grep -o '"accuracy":[^,]*' <<<"$b")"
	assert_equal "$(grep -o '"rows":{[^}]*}' <<<"$a")" \
	    '"rows":{"train":450,"validation":150}'
	assert_equal "$(grep -o '"rows":{[^}]*}' <<<"$b")" \
	    '"rows":{"train":450,"validation":150}'
	# Mixed labels: an integer above 999 is refused as such.
	sed 's/"labels":\["ok"/"labels":[1000/' tr.ndjson >big.ndjson
	run_split mm-train --models m3 --config conf big.ndjson
	assert_failure 2
	assert_equal "$stderr" "mm-train: label 1000 is above the largest class mm supports (999)"
}
