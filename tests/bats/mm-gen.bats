#!/usr/bin/env bats
# mm-gen: deterministic synthetic batches, their shape, and drift scenarios.

bats_require_minimum_version 1.5.0
load helper

PY=/usr/bin/python3

# mm-gen with its standard error checked to be empty.
gen() {
	mm-gen "$@" 2>gen.err && [ ! -s gen.err ]
}

# slurp VAR FILE: the bytes of FILE, trailing newlines and all.
slurp() {
	IFS= read -r -d '' "$1" <"$2" || true
}

# same A B: cmp A B, without the process, for small text files: bash
# reads a byte at a time, and cmp is the quicker from some 100 kB.
same() {
	local mm_a mm_b

	slurp mm_a "$1"
	slurp mm_b "$2"
	[ "$mm_a" = "$mm_b" ]
}

# head -n N FILE, in $head; for small files, as same.
head_of() {
	local mm_l

	mapfile -n "$1" mm_l <"$2"
	printf -v head '%s' "${mm_l[@]}"
}

# wc -l FILE, in $wc_l: the lines that end in a newline.
wc_l() {
	local mm_l

	mapfile mm_l <"$1"
	wc_l=${#mm_l[@]}
	if [[ $wc_l -gt 0 && ${mm_l[-1]} != *$'\n' ]]; then
		wc_l=$((wc_l - 1))
	fi
}

# run_stats FILE CODE: run of Python on the batch records of FILE,
# their column-major features as one matrix; CODE sees X (rows x
# features), y, ids, ts.  (Python is given the script itself, so that
# run_merged can exec it.)
run_stats() {
	run_merged "$PY" -c "$STATS_PY" "$@"
}
STATS_PY='
import json, sys
import numpy as np
recs = [json.loads(l) for l in open(sys.argv[1])]
nf = len(recs[0]["features"])
X = np.concatenate([np.array([r["features"]["f%d" % j]
    for j in range(nf)]).T for r in recs])
y = np.concatenate([r.get("labels", []) for r in recs]).astype(int)
ids = [r["batch_id"] for r in recs]
ts = [r["ts"] for r in recs]
size = len(recs[0]["features"]["f0"])
def check(ok, msg):
    print("ok" if ok else msg)
exec(sys.argv[2])
'

@test "same flags write the same bytes, on every run and machine" {
	gen > a
	gen > b
	cmp a b
	run_merged sha256sum a
	assert_output "daffa98ce482a848dee2bcafe07e384ae128260e6d5fef72f9419188ba428909  a"
	# Two runs, the first with no standard error (run merged it).
	gen --rows 1000 --seed 1 --format csv > c1
	mm-gen --rows 1000 --seed 1 --format csv > c2
	cmp c1 c2
}

@test "defaults: 10 batches of 256 rows, f0 to f9, two classes" {
	run_split mm-gen
	assert_success
	[ "$stderr" = "" ]
	printf '%s\n' "$output" > out
	run_stats out 'check(len(ids) == 10 and size == 256 and
    X.shape == (2560, 10) and set(y) == {0, 1}, (len(ids), X.shape))'
	assert_output ok
}

@test "a record is batch_id, ts, features f0..f9, labels, in that order" {
	# tr -d "0-9.-" of the output; stderr, merged by run, is empty.
	run_split mm-gen --batches 1 --batch-size 2
	assert_success
	assert_equal "$stderr" ""
	output=${output//[0-9.-]/}
	assert_output '{"batch_id":"b","ts":,"features":{"f":[,],"f":[,],"f":[,],"f":[,],"f":[,],"f":[,],"f":[,],"f":[,],"f":[,],"f":[,]},"labels":[,]}'
	run_split mm-gen --batches 1 --batch-size 3
	assert_equal "$stderr" ""
	output=${output:0:61}
	assert_output '{"batch_id":"b000000","ts":1764140000,"features":{"f0":[-3.25'
}

@test "batch_id counts from b000000 and ts steps by --interval from --start" {
	# cut -d, -f1,2 and then -f2 of each line, in builtins (a line
	# without a comma cut leaves whole); stderr, merged by run, is empty.
	run_split mm-gen --batches 4 --batch-size 1 --start 1000 \
	    --interval 30
	assert_success
	assert_equal "$stderr" ""
	cut=
	while IFS= read -r l; do
		if [[ $l == *,* ]]; then
			rest=${l#*,}
			l=${l%%,*},${rest%%,*}
		fi
		cut+=$l$'\n'
	done <<<"$output"
	assert_equal "${cut%$'\n'}" '{"batch_id":"b000000","ts":1000
{"batch_id":"b000001","ts":1030
{"batch_id":"b000002","ts":1060
{"batch_id":"b000003","ts":1090'
	run_split mm-gen --batches 2 --batch-size 1 --start 0.5 \
	    --interval 0.25
	assert_equal "$stderr" ""
	cut=
	while IFS= read -r l; do
		if [[ $l == *,* ]]; then
			rest=${l#*,}
			l=${rest%%,*}
		fi
		cut+=$l$'\n'
	done <<<"$output"
	assert_equal "${cut%$'\n'}" '"ts":0.5
"ts":0.75'
}

@test "--batch-size sets the length of every feature and of labels" {
	gen --batches 3 --batch-size 7 > out
	run_stats out 'import collections
lens = {len(v) for l in open("out") for r in [json.loads(l)]
    for v in list(r["features"].values()) + [r["labels"]]}
check(lens == {7} and len(ids) == 3, lens)'
	assert_output ok
}

@test "fewer batches are a prefix of more with the same seed" {
	gen --batches 3 > three
	mm-gen --batches 5 > five
	# cmp three <(head -n 3 five), in builtins.
	slurp want three
	head_of 3 five
	[ "$head" = "$want" ]
}

@test "--rows writes one batch \"train\" at --start" {
	run_split mm-gen --rows 5000 --seed 1 --start 1700000000
	assert_success
	[ "$stderr" = "" ]
	printf '%s\n' "$output" > out
	run_stats out 'check(ids == ["train"] and ts == [1700000000] and
    X.shape == (5000, 10) and len(y) == 5000, (ids, ts, X.shape))'
	assert_output ok
}

@test "a training set is not batch 0 of the same seed" {
	# cut -c1-70 of each line of the two outputs, in builtins; stderr,
	# merged by run, is empty.
	run_split mm-gen --rows 4
	assert_equal "$stderr" ""
	rows=$output
	run_split mm-gen --batches 1 --batch-size 4
	assert_equal "$stderr" ""
	cut=
	while IFS= read -r l; do
		cut+=${l:0:70}$'\n'
	done <<<"$rows
$output"
	assert_equal "${cut%$'\n'}" '{"batch_id":"train","ts":1764140000,"features":{"f0":[2.324425,-1.2746
{"batch_id":"b000000","ts":1764140000,"features":{"f0":[-3.251933,1.17'
}

@test "--seed draws other rows from the same population" {
	gen --rows 20000 --seed 1 > s1
	gen --rows 20000 --seed 2 > s2
	if cmp -s s1 s2; then fail "--seed 1 and --seed 2 drew the same rows"; fi
	run_stats s1 '
X2 = X; y2 = y
recs = [json.loads(l) for l in open("s2")]
X = np.array([recs[0]["features"]["f%d" % j] for j in range(10)]).T
y = np.array(recs[0]["labels"])
sd = X2.std(0)
d = np.abs(X.mean(0) - X2.mean(0)) / sd
r = X.std(0) / sd
check(d.max() < 0.05 and np.abs(r - 1).max() < 0.03 and
    abs(y.mean() - y2.mean()) < 0.02 and abs(y.mean() - 0.5) < 0.02,
    (d, r, y.mean(), y2.mean()))'
	assert_output ok
}

@test "--population changes the population" {
	gen --rows 20000 --seed 1 > p42
	gen --rows 20000 --seed 1 --population 43 > p43
	run_stats p42 '
X2 = X
recs = [json.loads(l) for l in open("p43")]
X = np.array([recs[0]["features"]["f%d" % j] for j in range(10)]).T
d = np.abs(X.mean(0) - X2.mean(0)) / X2.std(0)
# Noise features f8 and f9 are N(0, 1) in every population.
check(d[:8].max() > 0.5 and d[8:].max() < 0.05, d)'
	assert_output ok
}

@test "--format rows writes one flat object per row" {
	# wc -l, in builtins; gen checks the standard error run merged.
	gen --batches 3 --batch-size 5 --format rows > rows
	wc_l rows
	assert_equal "$wc_l" 15
	run_merged mm-gen --batches 2 --batch-size 2 --format rows \
	    --features 2 --informative 2 --redundant 0
	assert_success
	assert_output '{"batch_id":"b000000","ts":1764140000,"f0":-2.297119,"f1":0.065654,"label":0}
{"batch_id":"b000000","ts":1764140000,"f0":1.555878,"f1":-1.414199,"label":1}
{"batch_id":"b000001","ts":1764140060,"f0":2.076623,"f1":2.062279,"label":1}
{"batch_id":"b000001","ts":1764140060,"f0":-1.339945,"f1":-1.696461,"label":0}'
}

@test "--format rows and csv hold the values of the batch records" {
	gen --batches 2 --batch-size 50 > b
	gen --batches 2 --batch-size 50 --format rows > r
	gen --batches 2 --batch-size 50 --format csv > c
	run_merged $PY -c '
import csv, json
b = [json.loads(l) for l in open("b")]
want = [[r["batch_id"], r["ts"]] + [r["features"]["f%d" % j][i]
    for j in range(10)] + [r["labels"][i]]
    for r in b for i in range(50)]
rows = [list(json.loads(l).values()) for l in open("r")]
cs = list(csv.reader(open("c")))
conv = [[x[0], float(x[1])] + [float(v) for v in x[2:12]] + [int(x[12])]
    for x in cs[1:]]
print(rows == want, conv == want, cs[0] == ["batch_id", "ts"] +
    ["f%d" % j for j in range(10)] + ["label"])'
	assert_output "True True True"
}

@test "--format csv: a header and one line per row" {
	run_merged mm-gen --rows 3 --format csv --features 3 --informative 2 \
	    --redundant 1
	assert_success
	assert_output 'batch_id,ts,f0,f1,f2,label
train,1764140000,1.357448,-1.052576,0.035924,1
train,1764140000,-2.256768,-0.10236,1.311738,0
train,1764140000,-0.104671,-2.308863,1.766853,0'
	gen --batches 4 --batch-size 25 --format csv > csv
	wc_l csv
	assert_equal "$wc_l" 101
}

@test "--no-labels leaves labels out and the features as they were" {
	# One run for grep -c (no line holds "labels") and for the bytes;
	# gen checks the standard error run merged.
	gen --no-labels > nolabels
	slurp nolabels nolabels
	[[ $nolabels != *labels* ]]
	cmp nolabels <(mm-gen | sed 's/,"labels":\[[0-9,]*\]//')
	run_split mm-gen --rows 2 --no-labels --format csv
	assert_equal "$stderr" ""
	assert_equal "${output%%$'\n'*}" "batch_id,ts,f0,f1,f2,f3,f4,f5,f6,f7,f8,f9"
	run_split mm-gen --rows 1 --no-labels --format rows
	assert_equal "$stderr" ""
	# grep -c label: none.
	[[ $output != *label* ]]
}

@test "--classes 3: labels 0, 1 and 2 in about equal shares" {
	gen --rows 30000 --classes 3 > out
	run_stats out 'c = np.bincount(y) / len(y)
check(len(c) == 3 and np.abs(c - 1 / 3).max() < 0.02, c)'
	assert_output ok
}

@test "--drift-at: listed features shift by shift * sd from batch K on" {
	gen --batches 20 --batch-size 1000 --seed 3 > base
	gen --batches 20 --batch-size 1000 --seed 3 --drift-at 10 \
	    --shift 1.5 > drift
	# Batches before K are untouched.  (cmp, not head_of: bash takes
	# longer than three processes over megabytes.)
	cmp <(head -n 10 base) <(head -n 10 drift)
	run_stats drift '
D = X
recs = [json.loads(l) for l in open("base")]
B = np.concatenate([np.array([r["features"]["f%d" % j]
    for j in range(10)]).T for r in recs])
sd = B.std(0)
late = np.arange(len(D)) >= 10000
# Within the drifted run, late batches against early ones.
d = (D[late].mean(0) - D[~late].mean(0)) / sd
# Row by row against the same seed without drift.
e = (D[late] - B[late]) / sd
check(np.abs(d[:3] - 1.5).max() < 0.1 and np.abs(d[3:]).max() < 0.1 and
    np.abs(e[:, :3] - 1.5).max() < 0.05 and np.all(e[:, 3:] == 0),
    (d, np.abs(e).max(0)))'
	assert_output ok
	# Labels are those of the undrifted rows.
	cmp <(grep -o '"labels":.*' base) <(grep -o '"labels":.*' drift)
}

@test "--scale widens the listed features about their mean" {
	gen --batches 4 --batch-size 5000 --drift-at 2 --scale 2 --shift 0 \
	    --drift-features f1,f8 > out
	run_stats out '
late = np.arange(len(X)) >= 10000
r = X[late].std(0) / X[~late].std(0)
d = (X[late].mean(0) - X[~late].mean(0)) / X[~late].std(0)
want = np.ones(10); want[[1, 8]] = 2
check(np.abs(r - want).max() < 0.06 and np.abs(d).max() < 0.1, (r, d))'
	assert_output ok
}

@test "--rows: a drift scenario applies if it starts at 0" {
	gen --rows 100 > plain
	gen --rows 100 --drift-at 1 > late
	gen --rows 100 --drift-at 0 > now
	same plain late
	if cmp -s plain now; then fail "--drift-at 0 changed nothing"; fi
}

@test "--concept-at: about P of the labels move, the features do not" {
	gen --batches 10 --batch-size 2000 --seed 5 > base
	gen --batches 10 --batch-size 2000 --seed 5 --concept-at 5 \
	    --concept-strength 0.2 > concept
	cmp <(head -n 5 base) <(head -n 5 concept)
	cmp <(sed 's/,"labels".*//' base) <(sed 's/,"labels".*//' concept)
	run_stats concept '
C = y
recs = [json.loads(l) for l in open("base")]
B = np.concatenate([r["labels"] for r in recs])
late = np.arange(len(C)) >= 10000
moved = C != B
agree = 1 - moved[late].mean()
# The rule: rows above a threshold on f0 change class, the others keep it.
f0 = X[late, 0]
sep = f0[moved[late]].min() > f0[~moved[late]].max()
check(not moved[~late].any() and abs(agree - 0.8) < 0.015 and sep and
    np.all(C[moved] == 1 - B[moved]), (agree, sep))'
	assert_output ok
}

@test "--concept-at with three classes moves a class to the next" {
	gen --rows 6000 --classes 3 > base
	gen --rows 6000 --classes 3 --concept-at 0 --concept-feature f3 \
	    > concept
	run_stats concept '
C = y
B = np.array(json.loads(open("base").readline())["labels"])
m = C != B
check(abs(m.mean() - 0.1) < 0.015 and np.all(C[m] == (B[m] + 1) % 3) and
    X[m, 3].min() > X[~m, 3].max(), m.mean())'
	assert_output ok
}

@test "drift and concept combined: labels of one, features of the other" {
	gen --batches 3 --batch-size 500 --drift-at 1 > d
	gen --batches 3 --batch-size 500 --concept-at 1 > c
	gen --batches 3 --batch-size 500 --drift-at 1 --concept-at 1 > dc
	cmp <(sed 's/,"labels".*//' dc) <(sed 's/,"labels".*//' d)
	cmp <(grep -o '"labels":.*' dc) <(grep -o '"labels":.*' c)
}

@test "bad values exit 2 with the option named" {
	run_split mm-gen --batches x
	assert_failure 2
	assert_output ""
	[ "$stderr" = "mm-gen: --batches: 'x' is not a whole number from 1 to 1000000" ]
	run_split mm-gen --batch-size 0
	assert_failure 2
	[ "$stderr" = "mm-gen: --batch-size: '0' is not a whole number from 1 to 1000000" ]
	run_split mm-gen --concept-at 2 --concept-strength 1.5
	assert_failure 2
	[ "$stderr" = "mm-gen: --concept-strength: '1.5' is not a number from 0 to 1" ]
	run_split mm-gen --format xml
	assert_failure 2
	[ "$stderr" = "mm-gen: --format: 'xml' is not 'batch', 'rows' or 'csv'" ]
	run_split mm-gen --classes 11
	assert_failure 2
	[ "$stderr" = "mm-gen: --classes: '11' is not a whole number from 2 to 10" ]
	run_split mm-gen --drift-at 1 --drift-features f0,f10
	assert_failure 2
	[ "$stderr" = "mm-gen: --drift-features: 'f10' is not a feature (f0 to f9)" ]
	run_split mm-gen --concept-at 1 --concept-feature f01
	assert_failure 2
	[ "$stderr" = "mm-gen: --concept-feature: 'f01' is not a feature (f0 to f9)" ]
	run_split mm-gen --features 7
	assert_failure 2
	[ "$stderr" = "mm-gen: 6 informative and 2 redundant features do not fit in 7" ]
	run_split mm-gen --features 1 --informative 1 --redundant 0
	assert_failure 2
	[ "$stderr" = "mm-gen: 2 classes need 4 clusters, more than the 2 corners of 1 informative features" ]
}

@test "options that go with others are refused alone" {
	run_split mm-gen --shift 2
	assert_failure 2
	[ "$stderr" = "mm-gen: --shift goes with --drift-at" ]
	run_split mm-gen --concept-strength 0.3
	assert_failure 2
	[ "$stderr" = "mm-gen: --concept-strength goes with --concept-at" ]
	run_split mm-gen --rows 10 --batches 2
	assert_failure 2
	[ "$stderr" = "mm-gen: --rows excludes --batches, --batch-size and --interval" ]
}

@test "unknown options and arguments print the usage" {
	run_split mm-gen --bogus
	assert_failure 2
	assert_output ""
	# head -n 2 of it.
	mapfile -t -n 2 two <<<"$stderr"
	printf -v head '%s\n' "${two[@]}"
	[ "${head%$'\n'}" = "mm-gen: unknown option '--bogus'
usage: mm-gen [--batches N] [--batch-size N] [--start TS] [--interval SECONDS]" ]
	run_split mm-gen extra
	assert_failure 2
	[ "${stderr%%$'\n'*}" = "mm-gen: unexpected argument 'extra'" ]
}

@test "--help and --version" {
	run_split mm-gen --help
	assert_success
	[ "$stderr" = "" ]
	assert_line --index 0 "usage: mm-gen [--batches N] [--batch-size N] [--start TS] [--interval SECONDS]"
	assert_line "      --drift-at K           move features from batch K on"
	run_split mm-gen --version
	assert_success
	assert_output "mm-gen 0.1.0"
}

@test "a full disk is exit 3; a closed pipe ends quietly" {
	run_split sh -c 'mm-gen > /dev/full'
	assert_failure 3
	[ "$stderr" = "mm-gen: write error: No space left on device" ]
	run_split sh -c 'mm-gen --batches 100000 | head -c 20'
	assert_success
	assert_output '{"batch_id":"b000000'
	[ "$stderr" = "" ]
}
