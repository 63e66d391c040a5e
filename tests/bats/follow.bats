#!/usr/bin/env bats
# Programs that read the live version follow the store as it changes.

load helper

ref_ids() {
	/usr/bin/python3 -c '
import json, sys
for l in sys.stdin:
    print(json.loads(l)["drift"]["ref"])'
}

@test "mm-psi follows the live version: a promote brings its reference" {
	mm-train --synthetic --rows 500 --models m --now 1764140000 >/dev/null
	mm-gen --rows 600 --seed 9 --population 7 |
	    mm-train --models m --now 1764140060 --stage >/dev/null
	v1=$(sed -E 's/.*"version":"([^"]*)".*/\1/' m/active.json)
	mm-gen --batches 1 --batch-size 200 >a.ndjson
	mm-gen --batches 2 --batch-size 200 --seed 4 >b.ndjson
	# One mm-psi across the promote: it reads a, then the promote
	# happens, then b.
	mkfifo in
	mm-psi --models m <in >out.ndjson &
	exec 5>in
	cat a.ndjson >&5
	while [ "$(wc -l <out.ndjson)" -lt 1 ]; do sleep 0.1; done
	mm-models --models m --now 1764140120 promote >/dev/null
	v2=$(sed -E 's/.*"version":"([^"]*)".*/\1/' m/active.json)
	cat b.ndjson >&5
	exec 5>&-
	wait
	r1=$(grep -o '"id":"[0-9a-f]*"' m/versions/$v1/reference.json | head -1 | cut -d'"' -f4)
	r2=$(grep -o '"id":"[0-9a-f]*"' m/versions/$v2/reference.json | head -1 | cut -d'"' -f4)
	[ "$r1" != "$r2" ]
	run ref_ids <out.ndjson
	assert_output "$r1
$r2
$r2"
}

@test "mm-psi --ref stays with its file whatever the store does" {
	mm-train --synthetic --rows 500 --models m --now 1764140000 >/dev/null
	v1=$(sed -E 's/.*"version":"([^"]*)".*/\1/' m/active.json)
	mm-gen --batches 2 --batch-size 100 |
	    mm-psi --ref m/versions/$v1/reference.json --models nowhere >out.ndjson
	r1=$(grep -o '"id":"[0-9a-f]*"' m/versions/$v1/reference.json | head -1 | cut -d'"' -f4)
	run ref_ids <out.ndjson
	assert_output "$r1
$r1"
}

@test "mm-predict follows a switch to a model with more classes" {
	# The probability buffers were sized for the old number of classes
	# (a heap overflow under ASan, a crash in a release build).
	mm-train --synthetic --rows 500 --models m --now 1764140000 >/dev/null
	mm-gen --rows 600 --classes 3 |
	    mm-train --models m --now 1764140060 --stage >/dev/null
	mm-gen --batches 1 --batch-size 2000 >a.ndjson
	mm-gen --batches 2 --batch-size 2000 --seed 4 >b.ndjson
	mkfifo in
	mm-predict --models m <in >out.ndjson 2>err &
	exec 5>in
	cat a.ndjson >&5
	while [ "$(wc -l <out.ndjson)" -lt 1 ]; do sleep 0.1; done
	mm-models --models m --now 1764140120 promote >/dev/null
	cat b.ndjson >&5
	exec 5>&-
	wait $!
	assert_equal "$(wc -l <out.ndjson)" 3
	# Three classes: the last batch's confusion is 3 x 3.
	run sh -c "tail -n 1 out.ndjson | grep -o '\"confusion\":\[\[[0-9]*,[0-9]*,[0-9]*\],\[[0-9]*,[0-9]*,[0-9]*\],\[[0-9]*,[0-9]*,[0-9]*\]\]'"
	assert_success
	assert_equal "$(grep -c 'now using model version' err)" 1
}
