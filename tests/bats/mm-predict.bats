#!/usr/bin/env bats
# mm-predict: pred, proba and metrics; records passed through; features;
# the model store it follows, reloads and pins; what it refuses.

bats_require_minimum_version 1.5.0
load helper

PY=/usr/bin/python3

T0=1764140000
V1=20251126T065320Z
V2=20251126T065420Z

# The stores, trained once for the file: m1 holds version V1 (active)
# of a small forest trained on mm-gen's rows, --rows 400 --seed 1; m2
# holds V1 and V2 (staged), --seed 2; m3 a forest of three classes,
# mm-gen --rows 400 --seed 1 --classes 3, at T0.  A test that only
# reads a store (mm-predict does not write one) uses it where it is; one
# that changes it takes a copy with make_store.
setup_file() {
	local d=$BATS_FILE_TMPDIR
	mkdir -p "$d/conf"
	printf 'n_estimators: 20\n' >"$d/conf/model.yaml"
	mm-train --config "$d/conf" --models "$d/m1" --synthetic --rows 400 \
	    --seed 1 --now $T0 >/dev/null
	cp -r "$d/m1" "$d/m2"
	mm-train --config "$d/conf" --models "$d/m2" --synthetic --rows 400 \
	    --seed 2 --now $((T0 + 60)) --stage >/dev/null
	mm-gen --rows 400 --seed 1 --classes 3 |
	    mm-train --config "$d/conf" --models "$d/m3" --now $T0 >/dev/null
}

M1=$BATS_FILE_TMPDIR/m1
M3=$BATS_FILE_TMPDIR/m3

# make_store [two]: a copy of m1, or with "two" of m2, at m.
make_store() {
	if [ "${1:-}" = two ]; then
		cp -r "$BATS_FILE_TMPDIR/m2" m
	else
		cp -r "$M1" m
	fi
}

# mm-gen --batches 1 --batch-size 8 --seed 4 --flip-y 0.2
B8='{"batch_id":"b000000","ts":1764140000,"features":{"f0":[0.208373,1.40969,-0.00969,2.266707,0.244412,2.964411,0.886439,-1.244365],"f1":[-0.983294,-0.355612,2.611346,1.760426,-0.549805,3.410418,-4.972484,2.73677],"f2":[-0.526241,-0.196052,-1.430487,0.621245,-0.278212,1.076507,0.242314,0.553197],"f3":[-0.689713,-0.658888,0.771652,0.875628,1.171767,-1.570525,-1.393495,1.855522],"f4":[3.144523,1.670364,1.536461,2.067988,3.664042,-1.749122,1.797558,3.771054],"f5":[0.867463,-0.187087,-0.323131,-2.069689,1.985913,-2.824682,-0.880278,-0.91493],"f6":[-1.517454,-0.879993,-1.593075,-2.074576,-1.512344,-0.558721,0.081548,-3.588217],"f7":[0.403292,1.204262,0.610426,2.554767,-0.282836,3.651525,0.250288,0.843805],"f8":[-1.117599,0.014186,-1.634282,0.255439,-0.120048,-0.703401,-0.419909,-0.256677],"f9":[-1.717593,-2.841857,0.062771,0.949364,0.075193,-1.526212,-0.481584,-1.662022]},"labels":[1,1,1,1,1,0,0,1]}'
# Against V1:
#   labels 1 1 1 1 1 0 0 1
#   pred   0 1 1 1 1 1 0 0
# TP 4, FP 1 (row 6), FN 2 (rows 1 and 8), TN 1:
#   accuracy 5/8 = .625, F1 = 2 TP / (2 TP + FP + FN) = 8/11
#   confusion (row = true class) [[TN, FP], [FN, TP]] = [[1,1],[2,4]]
# avg_confidence is the mean of the unrounded probabilities.
P8='"pred":[0,1,1,1,1,1,0,0],"proba":[0.551598,0.964464,0.960179,1,0.652149,0.820238,0.804113,0.533274]'
M8='"metrics":{"n_samples":8,"n_labelled":8,"accuracy":0.625,"f1":0.7272727272727273,"confusion":[[1,1],[2,4]],"avg_confidence":0.7857517482517482,"latency_ms":L,"model_version":"20251126T065320Z"}'

# The records of TEXT with latency_ms, which is measured, replaced by L,
# in $got: sed -E 's/"latency_ms":[0-9]+\.[0-9]{3},/"latency_ms":L,/'
# line by line, in builtins.  The regex takes the rest of the line too,
# to cut the line by lengths: ${l/match/L} or ${l%%match*} take 100 ms
# on the long lines here.
unlatent() {
	local l g=

	while IFS= read -r l; do
		if [[ $l =~ (\"latency_ms\":[0-9]+\.[0-9]{3},)(.*)$ ]]; then
			l=${l:0:${#l}-${#BASH_REMATCH[0]}}'"latency_ms":L,'${BASH_REMATCH[2]}
		fi
		g+=$l$'\n'
	done <<<"$1"
	chomp g
	got=$g
}

# wc -l <<<"$1" in $nlines: as the here-string ends each line with a
# newline, the lines mapfile reads.  (Not ${1//[!$'\n']/}, slow on long
# text.)
nlines() {
	local mm_l

	mapfile -t mm_l <<<"$1"
	nlines=${#mm_l[@]}
}

# Ten features named f0..f9 of n rows, all value v: "f0":[v,v],...,
# in $features.
features() {
	local n=$1 v=$2 i j row=

	for ((i = 0; i < n; i++)); do
		row+=$v,
	done
	row="[${row%,}]"
	features=
	for j in 0 1 2 3 4 5 6 7 8 9; do
		printf -v features '%s%s"f%d":%s' "$features" \
		    "${features:+,}" $j "$row"
	done
}

@test "pred, proba and metrics of a batch, computed by hand" {
	run_split mm-predict --models "$M1" <<<"$B8"
	assert_success
	assert_equal "$stderr" ""
	assert_output --regexp '"latency_ms":[0-9]+\.[0-9]{3},'
	unlatent "$output"
	assert_equal "$got" "${B8%\}},$P8,$M8}"
}

@test "proba, avg_confidence, accuracy and f1 agree with an independent count" {
	mm-gen --batches 6 --batch-size 50 --seed 5 --flip-y 0.1 >in.ndjson
	mm-predict --models "$M1" in.ndjson >out.ndjson
	run_merged $PY -c '
import json, sys
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
ins = open("in.ndjson").read().split("\n")[:-1]
outs = open("out.ndjson").read().split("\n")[:-1]
assert len(ins) == len(outs) == 6
for i, o in zip(ins, outs):
    r = json.loads(o)
    p, y, m = r["proba"], r["labels"], r["metrics"]
    # The input record comes first, unchanged.
    assert o.startswith(i[:-1] + ",\"pred\":["), "not passed through"
    assert len(r["pred"]) == len(p) == m["n_samples"] == 50
    assert all(0.5 <= v <= 1 for v in p), p
    assert all(round(v, 6) == v for v in p)
    assert abs(m["avg_confidence"] - sum(p) / len(p)) <= 1e-6
    assert m["n_labelled"] == 50
    assert abs(m["accuracy"] - accuracy_score(y, r["pred"])) < 1e-12
    assert abs(m["f1"] - f1_score(y, r["pred"])) < 1e-12
    assert m["confusion"] == confusion_matrix(y, r["pred"],
                                              labels=[0, 1]).tolist()
    assert m["model_version"] == "20251126T065320Z"
print("ok")
'
	assert_output ok
}

@test "every other field passes through byte for byte; own fields are replaced in place" {
	features 2 1.50
	in="{ \"z\":[1, 2] , \"batch_id\" : \"b1\",\"metrics\":{\"old\":1},\"x\":1.50,\"e\":1e-7,\"features\":{$features}, \"pred\":[9,9] ,\"u\":{\"k\":[null,\"s\\\"}\"]},\"n\":-0.0}"
	run_split mm-predict --models "$M1" <<<"$in"
	assert_success
	assert_equal "$stderr" ""
	want=${in/\"metrics\":\{\"old\":1\}/\"metrics\":{\"n_samples\":2,\"n_labelled\":0,\"accuracy\":null,\"f1\":null,\"confusion\":[[0,0],[0,0]],\"avg_confidence\":0.7642307692307692,\"latency_ms\":L,\"model_version\":\"$V1\"\}}
	want=${want/\"pred\":\[9,9\]/\"pred\":[1,1]}
	unlatent "$output"
	assert_equal "$got" "${want%\}},\"proba\":[0.764231,0.764231]}"
}

@test "without labels, accuracy and f1 are null and nothing is counted" {
	nolab=${B8%,\"labels\":*}}
	run_split mm-predict --models "$M1" <<<"$nolab"
	assert_success
	assert_equal "$stderr" ""
	unlatent "$output"
	assert_equal "$got" "${nolab%\}},$P8,\"metrics\":{\"n_samples\":8,\"n_labelled\":0,\"accuracy\":null,\"f1\":null,\"confusion\":[[0,0],[0,0]],\"avg_confidence\":0.7857517482517482,\"latency_ms\":L,\"model_version\":\"$V1\"}}"
}

@test "labels partly unknown: accuracy and f1 over the known ones" {
	part=${B8/\"labels\":\[1,1,1,1,1,0,0,1\]/\"labels\":[1,null,1,null,1,0,null,1]}
	# Known rows 1 3 5 6 8: labels 1 1 1 0 1, pred 0 1 1 1 0.
	# TP 2, FP 1, FN 2, TN 0: accuracy 2/5, F1 4/7; the unknown ones are
	# not counted: confusion [[0,1],[2,2]].
	run_split mm-predict --models "$M1" <<<"$part"
	assert_success
	assert_equal "$stderr" ""
	unlatent "$output"
	assert_equal "$got" "${part%\}},$P8,\"metrics\":{\"n_samples\":8,\"n_labelled\":5,\"accuracy\":0.4,\"f1\":0.5714285714285714,\"confusion\":[[0,1],[2,2]],\"avg_confidence\":0.7857517482517482,\"latency_ms\":L,\"model_version\":\"$V1\"}}"
}

@test "three classes: proba of the predicted class, macro F1" {
	mm-gen --batches 1 --batch-size 8 --seed 4 --flip-y 0.2 --classes 3 \
	    >b3.ndjson
	run_split mm-predict --models "$M3" b3.ndjson
	assert_success
	assert_equal "$stderr" ""
	# labels 0 1 1 2 1 2 1 1, pred 1 1 0 2 0 0 1 0:
	#   class 0: TP 0          F1 0
	#   class 1: TP 2 FP 1 FN 3 F1 4/8
	#   class 2: TP 1 FP 0 FN 1 F1 2/3
	# macro F1 = (0 + .5 + .6667) / 3 = .38889; accuracy 3/8.
	# confusion, row = true class: 0 -> [0,1,0]; 1 (rows 2 3 5 7 8,
	# predicted 1 0 0 1 0) -> [3,2,0]; 2 (rows 4 6: 2 0) -> [1,0,1].
	# sed 's/.*"labels"/"labels"/' on each line.
	unlatent "$output"
	while IFS= read -r l; do
		if [[ $l == *'"labels"'* ]]; then
			l=\"labels\"${l##*\"labels\"}
		fi
		cut+=$l$'\n'
	done <<<"$got"
	assert_equal "${cut%$'\n'}" \
	    '"labels":[0,1,1,2,1,2,1,1],"pred":[1,1,0,2,0,0,1,0],"proba":[0.562105,0.594518,0.61325,0.785025,0.501246,0.649029,0.461771,0.652401],"metrics":{"n_samples":8,"n_labelled":8,"accuracy":0.375,"f1":0.38888888888888884,"confusion":[[0,1,0],[3,2,0],[1,0,1]],"avg_confidence":0.6024182355120751,"latency_ms":L,"model_version":"20251126T065320Z"}}'
}

@test "accuracy and f1 are those of the confusion counts, which sum over batches" {
	# Two and three classes, a fifth of the labels unknown: per batch,
	# confusion is scikit-learn's confusion_matrix over the known rows
	# (labels = the model's classes), and accuracy and f1 are both
	# scikit-learn's on those rows and what the counts give: the
	# diagonal's share, and F1 of class 1 (binary) or the macro F1 over
	# the classes that occur in a row or column.  So a window's summed
	# counts give the accuracy and F1 of all its rows.
	# The stores of the file: m1 of two classes, m3 of three.
	for k in 2 3; do
		mm-gen --batches 6 --batch-size 40 --seed 5 --flip-y 0.2 \
		    --classes $k | sed -E 's/(\[|,)[0-9]+(,[0-9]+,[0-9]+,[0-9]+,[0-9]+\]?)/\1null\2/g' |
		    mm-predict --models "$BATS_FILE_TMPDIR/m$((k == 2 ? 1 : 3))"
	done >out.ndjson
	run_merged $PY - out.ndjson <<'PY'
import json, sys
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

def f1_of(cm):
    k = len(cm)
    classes = [1] if k == 2 else [c for c in range(k)
        if sum(cm[c]) + sum(cm[t][c] for t in range(k)) > 0]
    s = 0
    for c in classes:
        tp = cm[c][c]
        fn = sum(cm[c]) - tp
        fp = sum(cm[t][c] for t in range(k)) - tp
        s += 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0
    return s / len(classes)

n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    m, k = r["metrics"], len(r["metrics"]["confusion"])
    rows = [(y, p) for y, p in zip(r["labels"], r["pred"]) if y is not None]
    y, p = [a for a, _ in rows], [b for _, b in rows]
    assert 0 < len(rows) < 40, len(rows)
    cm = confusion_matrix(y, p, labels=list(range(k))).tolist()
    assert m["confusion"] == cm, (m["confusion"], cm)
    assert m["n_labelled"] == len(rows) == sum(map(sum, cm))
    acc = sum(cm[c][c] for c in range(k)) / len(rows)
    assert m["accuracy"] == acc
    assert abs(acc - accuracy_score(y, p)) < 1e-15
    assert m["f1"] == f1_of(cm), (m["f1"], f1_of(cm))
    avg = "binary" if k == 2 else "macro"
    assert abs(m["f1"] - f1_score(y, p, average=avg)) < 1e-12
    n += 1
print(n)
PY
	assert_output 12
}

@test "a label that is not a class of the model is bad input" {
	# Model V1 has classes 0 and 1: row 3's label 2 cannot be counted.
	bad=${B8/\"labels\":\[1,1,1,1,1,0,0,1\]/\"labels\":[1,1,1,2,1,0,null,1]}
	printf '%s\n' "$B8" "$bad" "$B8" >in.ndjson
	run_split mm-predict --models "$M1" in.ndjson
	assert_failure 2
	unlatent "$output"
	assert_equal "$got" "${B8%\}},$P8,$M8}"
	assert_equal "$stderr" "mm-predict: in.ndjson:2: row 3: label 2 is not one of the model's classes (model $V1)"
	run_split mm-predict --models "$M1" --skip-bad in.ndjson
	assert_success
	unlatent "$output"
	assert_equal "$got" "${B8%\}},$P8,$M8}
${B8%\}},$P8,$M8}"
	assert_equal "$stderr" "mm-predict: skipped 1 bad record"
}

@test "features are matched by name, in any order" {
	# B8 with its features in reverse order.
	rev=$($PY -c '
import json, sys
r = json.loads(sys.argv[1])
print(json.dumps({"batch_id": r["batch_id"], "ts": r["ts"],
    "features": dict(reversed(list(r["features"].items()))),
    "labels": r["labels"]}, separators=(",", ":")))' "$B8")
	[[ $rev == *'"features":{"f9":'* ]]
	run_split mm-predict --models "$M1" <<<"$rev"
	assert_success
	assert_equal "$stderr" ""
	unlatent "$output"
	assert_equal "$got" "${rev%\}},$P8,$M8}"
}

@test "a feature of the model missing from a batch stops at that line" {
	nof3=${B8/\"f3\":\[*\],\"f4\"/\"f4\"}
	[[ $nof3 != *'"f3"'* ]]
	printf '%s\n' "$B8" "$nof3" "$B8" >in.ndjson
	run_split mm-predict --models "$M1" in.ndjson
	assert_failure 2
	unlatent "$output"
	assert_equal "$got" "${B8%\}},$P8,$M8}"
	assert_equal "$stderr" \
	    "mm-predict: in.ndjson:2: feature 'f3' of model $V1 is missing from the batch"
	run_split mm-predict --models "$M1" <in.ndjson
	assert_failure 2
	assert_equal "$stderr" \
	    "mm-predict: line 2: feature 'f3' of model $V1 is missing from the batch"
}

@test "features the model does not use are ignored with one warning per run" {
	extra="${B8/\"features\":\{/\"features\":{\"zz\":[0,0,0,0,0,0,0,0],}"
	extra="${extra/\"f9\":/\"f10\":[1,1,1,1,1,1,1,1],\"f9\":}"
	printf '%s\n' "$extra" "$extra" >x.ndjson
	run_split mm-predict --models "$M1" x.ndjson x.ndjson
	assert_success
	assert_equal "$stderr" \
	    "mm-predict: ignoring features the model does not use, such as 'zz'"
	# sort -u of the lines: one line, if all are one; if not, more than
	# one line either way.
	unlatent "$output"
	uniq=
	while IFS= read -r l; do
		[[ $'\n'$uniq == *$'\n'"$l"$'\n'* ]] || uniq+=$l$'\n'
	done <<<"$got"
	assert_equal "${uniq%$'\n'}" "${extra%\}},$P8,$M8}"
	nlines "$output"
	assert_equal "$nlines" 4
}

@test "bad records: the line is named, earlier records are written; --skip-bad" {
	printf '%s\n' "$B8" '{"features":{"f0":[1]}}' "$B8" >bad.ndjson
	run_split mm-predict --models "$M1" bad.ndjson
	assert_failure 2
	unlatent "$output"
	assert_equal "$got" "${B8%\}},$P8,$M8}"
	assert_equal "$stderr" "mm-predict: bad.ndjson:2: 'batch_id' missing"
	run_split mm-predict --models "$M1" --skip-bad bad.ndjson
	assert_success
	nlines "$output"
	assert_equal "$nlines" 2
	assert_equal "$stderr" "mm-predict: skipped 1 bad record"
	features 2 0
	run_split mm-predict --models "$M1" <<<"{\"batch_id\":\"a\",\"features\":{$features},\"labels\":[1]}"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" \
	    "mm-predict: line 1: 'labels' has 1 values, features have 2"
}

@test "strings in a feature the model takes as numeric are bad input" {
	s='"f3":[null,"north","south","north",null,"east","west","north"],"f4"'
	run_split mm-predict --models "$M1" <<<"${B8/\"f3\":\[*\],\"f4\"/$s}"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" \
	    "mm-predict: line 1: feature 'f3' holds strings; model $V1 takes numbers there"
	# Strings after numbers in one feature are refused as they are read.
	run_split mm-predict --models "$M1" <<<"${B8/\"f3\":\[-0.689713/\"f3\":[-0.689713,\"north\"}"
	assert_failure 2
	assert_equal "$stderr" "mm-predict: line 1: feature 'f3' value 1 is a string, earlier values are numbers"
}

@test "no active version: a usage error that says what to do" {
	run_split mm-predict <<<"$B8"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-predict: models: no active model version: train one with mm-train, or give --model-version"
	mkdir empty
	run_split mm-predict --models empty <<<"$B8"
	assert_failure 2
	assert_equal "$stderr" "mm-predict: empty: no active model version: train one with mm-train, or give --model-version"
	# No input, no model needed.
	run_split mm-predict --models empty </dev/null
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
}

@test "the store comes from --models, MM_MODELS or ./models" {
	make_store
	# exec: bash forks twice for a command with a redirection.
	out=$(exec mm-predict --models m <<<"$B8")
	unlatent "$out"
	want=$got
	MM_MODELS=m run_split mm-predict <<<"$B8"
	assert_success
	unlatent "$output"
	assert_equal "$got" "$want"
	mv m models
	run_split mm-predict <<<"$B8"
	assert_success
	unlatent "$output"
	assert_equal "$got" "$want"
	assert_equal "$stderr" ""
}

@test "--model-version pins a version other than the active one" {
	make_store two
	mm-models --models m --now $T0 promote >/dev/null
	out=$(exec mm-predict --models m <<<"$B8")
	unlatent "$out"
	want2=$got
	[[ $want2 == *"\"model_version\":\"$V2\"}}" ]]
	run_split mm-predict --models m --model-version $V1 <<<"$B8"
	assert_success
	assert_equal "$stderr" ""
	unlatent "$output"
	assert_equal "$got" "${B8%\}},$P8,$M8}"
	run_split mm-predict --models m -V $V2 <<<"$B8"
	assert_success
	unlatent "$output"
	assert_equal "$got" "$want2"
	# A pinned version needs no active one.
	rm m/active.json
	run_split mm-predict --models m -V $V1 <<<"$B8"
	assert_success
	unlatent "$output"
	assert_equal "$got" "${B8%\}},$P8,$M8}"
}

@test "the vector walk and the walk by nodes (MM_SIMD=none) write the same records" {
	# Three classes; a value in 11 missing, at training and at
	# prediction, so splits learn to send missing values either way.
	mm-gen --batches 3 --batch-size 700 --seed 6 --classes 3 |
	    $PY -c '
import json, sys
for n, line in enumerate(sys.stdin):
    r = json.loads(line)
    for j, v in enumerate(r["features"].values()):
        for i in range(j, len(v), 11):
            if r["labels"][i] != 0 or i % 2:
                v[i] = None
    print(json.dumps(r, separators=(",", ":")))' >nulls.ndjson
	mkdir -p conf
	printf 'n_estimators: 30\n' >conf/model.yaml
	# head -1 and tail -n 2 of the three lines.
	mapfile -t nulls <nulls.ndjson
	mm-train --config conf --models m --now $T0 <<<"${nulls[0]}" \
	    >/dev/null
	printf '%s\n' "${nulls[@]: -2}" >b.ndjson
	run_merged mm-predict --models m b.ndjson
	assert_success
	unlatent "$output"
	vec=$got
	MM_SIMD=none run_merged mm-predict --models m b.ndjson
	assert_success
	unlatent "$output"
	assert_equal "$got" "$vec"
	# 1400 rows, each with a probability of 6 decimals or 1.  grep -o
	# and tr in builtins; grep -c stays a program, as a loop of bash over
	# 1400 values would take a second under bats.
	grep_o '"proba":\[[^]]*' "$vec"
	assert_equal "$(exec grep -cE '(^|\[)(0\.[0-9]{1,6}|1)$' \
	    <<<"${matches//,/$'\n'}")" 1400
}

@test "a promote or rollback between batches is followed, with a note" {
	make_store two
	mkfifo in out
	# (bats keeps file descriptor 3 for itself.)
	mm-predict --models m <in >out 2>err 3>&- &
	pid=$!
	exec 5>in 6<out
	# Each batch's record is read back before the store changes.
	printf '%s\n' "$B8" >&5
	read -r -t 20 r1 <&6
	mm-models --models m --now $((T0 + 100)) promote >/dev/null
	printf '%s\n' "$B8" >&5
	read -r -t 20 r2 <&6
	printf '%s\n' "$B8" >&5
	read -r -t 20 r3 <&6
	mm-models --models m --now $((T0 + 200)) rollback >/dev/null
	printf '%s\n' "$B8" >&5
	exec 5>&-
	read -r -t 20 r4 <&6
	exec 6<&-
	wait $pid
	grep_o '"model_version":"[^"]*"' "$r1
$r2
$r3
$r4"
	assert_equal "$matches" "\"model_version\":\"$V1\"
\"model_version\":\"$V2\"
\"model_version\":\"$V2\"
\"model_version\":\"$V1\""
	unlatent "$r1"
	assert_equal "$got" "${B8%\}},$P8,$M8}"
	unlatent "$r4"
	assert_equal "$got" "${B8%\}},$P8,$M8}"
	assert_equal "$(<err)" "mm-predict: now using model version $V2 (was $V1)
mm-predict: now using model version $V1 (was $V2)"
}

@test "an edited model.json is refused: it does not match its card" {
	make_store
	f=m/versions/$V1/model.json
	dd of=$f bs=1 seek=500 count=1 conv=notrunc 2>/dev/null <<<X
	run_split mm-predict --models m <<<"$B8"
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-predict: $f: corrupt: does not match the checksum in card.json (edited or truncated?)"
	truncate -s 100 $f
	run_split mm-predict --models m <<<"$B8"
	assert_failure 3
	assert_equal "$stderr" "mm-predict: $f: corrupt: does not match the checksum in card.json (edited or truncated?)"
	rm $f
	run_split mm-predict --models m <<<"$B8"
	assert_failure 3
	assert_equal "$stderr" "mm-predict: $f: no such file (is '$V1' a version?)"
}

@test "--help and --version" {
	run_split mm-predict --help
	assert_success
	assert_line --index 0 'usage: mm-predict [--models DIR] [--model-version V] [--skip-bad] [--max-record BYTES] [FILE ...]'
	assert_equal "$stderr" ""
	run_split mm-predict --version
	assert_success
	assert_output --regexp '^mm-predict [0-9]+\.[0-9]+\.[0-9]+$'
}
