#!/usr/bin/env bats
# Rules 2 and 3 through the real programs: mm-gen's batches, scored by a
# model of mm-train --synthetic in mm-predict, judged by mm-decide with
# the model store (the model's own baseline, the live version's pool).
#   - stable data in 32-, 64- and 256-row batches, 2000 batches each:
#     no rollback and no retrain;
#   - a concept change that costs about 0.10 of F1: a retrain within
#     1500 labelled rows of the change, in 64-row batches;
#   - labels that no longer match (swapped, or a broken model made
#     live): a rollback in the first batch when there is a version to
#     roll back to, a retrain soon after when there is none.
# Numbers go to the TAP stream as "# ..." lines.  The statistics of the
# bound itself are in tests/unit/test_metrics.c.

load helper

# v1 and v2 trained on the same population; v2 live, v1 before it.
make_store() {
	mkdir -p C
	printf 'n_estimators: 50\n' >C/model.yaml
	mm-train --synthetic --rows 5000 --seed 1 --models m --config C \
	    --now 1764140000 >/dev/null
	if [ "${1:-}" != single ]; then
		mm-train --synthetic --rows 5000 --seed 7 --models m \
		    --config C --now 1764140100 --stage >/dev/null
		mm-models --models m --now 1764140200 promote >/dev/null
	fi
	BASELINE=$(sed 's/.*"baseline_f1":\([^}]*\)}.*/\1/' m/active.json)
}

# mm-decide on the live version of m/, keeping only each decision (the
# records are long, and sed's .* on them slow).
decide() {
	mm-decide --models m | grep -o '"decision":{"action".*'
}

# The action of each decision, one a line.
actions() {
	sed 's/.*"decision":{"action":"\([a-z]*\)".*/\1/'
}

# One metadata number of each decision.
md() {
	sed 's/.*"metadata"://' | grep -o "\"$1\":[^,}]*" | sed "s/^\"$1\"://"
}

# The smallest of a column of numbers.
least() {
	sort -g | head -n 1
}

# Swap the labels 0 and 1 of every batch from batch $1 on.
swap_from() {
	perl -pe 'if ($. > '"$1"') { s/("labels":\[)([^\]]*)/$1 . ($2 =~ tr|01|10|r)/e }'
}

note() {
	echo "# $*" >&3
}

@test "stable data: no rollback and no retrain in 2000 batches of 32, 64 or 256 rows" {
	make_store
	for size in 32 64 256; do
		mm-gen --batches 2000 --batch-size "$size" --seed $((size + 1)) |
		    mm-predict --models m | decide >d$size
		[ "$(wc -l <d$size)" -eq 2000 ]
		rb=$(actions <d$size | grep -c '^rollback$' || true)
		rt=$(actions <d$size | grep -c '^retrain$' || true)
		other=$(actions <d$size | grep -vc '^none$' || true)
		fu=$(md f1_upper <d$size | least)
		pu=$(md pooled_upper <d$size | least)
		pf=$(md pooled_f1 <d$size | tail -n 1)
		note "$size-row batches: $rb rollbacks, $rt retrains," \
		    "$other not none in 2000; least batch bound $fu" \
		    "(rollback below $(awk -v b="$BASELINE" 'BEGIN { print b - 0.15 }'))," \
		    "least pooled bound $pu" \
		    "(retrain below $(awk -v b="$BASELINE" 'BEGIN { print b - 0.02 }'))," \
		    "last pooled F1 $pf, baseline $BASELINE"
		assert_equal "$rb" 0
		assert_equal "$rt" 0
		assert_equal "$other" 0
		# The pool is the live version's last 2000 rows or fewer.
		assert_equal "$(md pooled_rows <d$size | tail -n 1)" \
		    $((2000 / size * size))
		assert_equal "$(md has_previous <d$size | sort -u)" true
	done
}

@test "a concept change costing 0.10 of F1 is retrained on within 1500 rows" {
	make_store
	# --concept-strength 0.09 moves the label of 9% of the rows: on
	# 50,000 rows the model's F1 falls from 0.961 to 0.858.
	mm-gen --batches 50 --batch-size 1000 --seed 3 --concept-at 0 \
	    --concept-strength 0.09 | mm-predict --models m >after
	mm-gen --batches 50 --batch-size 1000 --seed 4 |
	    mm-predict --models m >before
	f1() {
		grep -o '"confusion":\[\[[0-9]*,[0-9]*\],\[[0-9]*,[0-9]*\]\]' "$1" |
		    tr -c '0-9\n' ' ' | awk '{ fp += $2; fn += $3; tp += $4 }
		    END { printf "%.4f", 2 * tp / (2 * tp + fp + fn) }'
	}
	drop=$(awk -v a="$(f1 before)" -v b="$(f1 after)" \
	    'BEGIN { printf "%.4f", a - b }')
	note "F1 on 50,000 rows: $(f1 before) stable, $(f1 after) after the change ($drop less)"
	awk -v d="$drop" 'BEGIN { exit !(d > 0.08 && d < 0.12) }'

	# 40 batches before the change fill the pool with stable rows.
	for size in 64 32 256; do
		mm-gen --batches $((40 + 3000 / size)) --batch-size $size \
		    --seed 5 --concept-at 40 --concept-strength 0.09 |
		    mm-predict --models m | decide >d$size
		first=$(actions <d$size | grep -vn '^none$' | head -n 1)
		n=${first%%:*}
		note "$size-row batches: first action '${first#*:}' at batch $((n - 1))," \
		    "$(((n - 40) * size)) labelled rows after the change;" \
		    "pooled F1 then $(md pooled_f1 <d$size | sed -n "${n}p")" \
		    "over $(md pooled_rows <d$size | sed -n "${n}p") rows"
		if [ $size = 64 ]; then
			assert_equal "${first#*:}" retrain
			[ "$n" -gt 40 ]
			[ $(((n - 40) * size)) -le 1500 ]
		fi
	done
}

@test "swapped labels: a rollback in the first batch, a retrain soon where there is no previous version" {
	make_store
	mm-gen --batches 30 --batch-size 64 --seed 6 >orig
	swap_from 20 <orig >swapped
	# The labels of batch 20 on are swapped, nothing else.
	labels() { sed -n "$2p" "$1" | grep -o '"labels":\[[01,]*\]'; }
	assert_equal "$(head -n 20 swapped)" "$(head -n 20 orig)"
	assert_equal "$(labels swapped 21)" "$(labels orig 21 | tr 01 10)"
	assert_equal "$(sed 's/"labels":\[[01,]*\]//' swapped)" \
	    "$(sed 's/"labels":\[[01,]*\]//' orig)"
	mm-predict --models m swapped | decide >d
	assert_equal "$(actions <d | head -n 20 | sort -u)" none
	assert_equal "$(actions <d | sed -n 21p)" rollback
	note "swapped labels, 64-row batches: batch 20 $(actions <d | sed -n 21p)," \
	    "F1 $(md f1 <d | sed -n 21p), bound $(md f1_upper <d | sed -n 21p)"

	# In 32-row batches too.
	mm-gen --batches 30 --batch-size 32 --seed 6 | swap_from 20 |
	    mm-predict --models m | decide >d32
	assert_equal "$(actions <d32 | head -n 20 | sort -u)" none
	assert_equal "$(actions <d32 | sed -n 21p)" rollback

	# No version to roll back to: the collapse is retrained on at once,
	# though the pool still holds the good rows of before.
	rm -r m
	make_store single
	mm-predict --models m swapped | decide >d1
	assert_equal "$(md has_previous <d1 | sort -u)" false
	assert_equal "$(actions <d1 | head -n 20 | sort -u)" none
	first=$(actions <d1 | grep -vn '^none$' | head -n 1)
	n=${first%%:*}
	note "no previous version: first action '${first#*:}' at batch" \
	    "$((n - 1)), swapped batch number $((n - 20)); pooled F1" \
	    "$(md pooled_f1 <d1 | sed -n "${n}p") over" \
	    "$(md pooled_rows <d1 | sed -n "${n}p") rows"
	assert_equal "${first#*:}" retrain
	assert_equal "$n" 21
}

@test "a broken model made live is rolled back on its first batch" {
	make_store single
	mm-train --synthetic --rows 5000 --seed 7 --models m --config C \
	    --now 1764140100 --stage --shuffle-labels >/dev/null
	mm-models --models m --now 1764140200 promote >/dev/null
	mm-gen --batches 3 --batch-size 64 --seed 8 | mm-predict --models m |
	    mm-decide --models m >d
	assert_equal "$(actions <d | head -n 1)" rollback
	note "broken model, 64-row batch: F1 $(md f1 <d | head -n 1)," \
	    "bound $(md f1_upper <d | head -n 1), baseline $BASELINE"
}
