#!/bin/sh
# mm benchmarks. Run from anywhere; `make bench` builds mm first and
# installs hyperfine, GNU time, python3-numpy and python3-sklearn.
#
# Usage: bench/run.sh [SECTION ...]     (default: all)
#   psi       mm-psi against json+numpy and a strtod scan; peak RSS
#   model     mm-train and mm-predict against scikit-learn's random forest
#   storage   mm-record's rate and mm-aggregate over a million rows
#   serve     mm-serve under wrk, beside a FastAPI + uvicorn peer
#   pg        mm-record by 1, 4 and 8 writers into SQLite and PostgreSQL;
#             mm-aggregate over a million batches on each
#   chain     the inference chain at 64-row batches, each stage alone, the
#             latency it adds, against the Python hot path it replaces
#   profile   where mm-psi spends its time (perf, or callgrind)
#   all       every benchmark section (not profile)
#
# Environment: BIN (programs, default bin), RUNS (timed runs per command,
# default 5), GEN (batch generator, default $BIN/mm-gen).
#
# Every section writes its raw measurements and a summary to bench/out/
# (bench/out/<section>.txt) and prints the summary. Exit status: 0 when
# every target is met, 1 when one is missed, 2 on a usage error, 3 when
# a benchmark cannot run.
#
# To add a benchmark: write bench_NAME (and NAME_data if it needs
# input), add NAME to SECTIONS and to the two cases in main.
set -eu

cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
RUNS=${RUNS:-5}
GEN=${GEN:-$BIN/mm-gen}
OUT=bench/out
PY=/usr/bin/python3	# the system python, which has numpy
SECTIONS="psi model storage serve pg chain"

# shellcheck source=bench/common.sh
. bench/common.sh

build_tools() {
	mkdir -p "$OUT"
	cc -O2 -Wall -Wextra -o "$OUT/strtod_scan" bench/strtod_scan.c
}

# Run "$@" (stdout to /dev/null) $RUNS times under GNU time; print the
# largest peak RSS in KiB.
peak_rss_kib() {
	max=0
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		/usr/bin/time -f %M -o "$OUT/time.tmp" "$@" >/dev/null
		kib=$(tail -n 1 "$OUT/time.tmp")
		[ "$kib" -gt "$max" ] && max=$kib
		i=$((i + 1))
	done
	rm -f "$OUT/time.tmp"
	echo "$max"
}

# --- psi -----------------------------------------------------------------

PSI_GEN_ARGS="--batches 50 --batch-size 10000 --seed 7"
PSI_FIT_ARGS="--rows 5000 --seed 1"
PSI_DATA=$OUT/psi-batches.ndjson
PSI_REF=$OUT/psi-reference.json
PSI_CONFIG=$OUT/config	# empty: the defaults (10 bins, smoothing 0.5)

# The input (kept between runs while the generator and its arguments are
# unchanged) and a fresh reference.
psi_data() {
	need "$GEN" "$BIN/mm-psi"
	mkdir -p "$PSI_CONFIG"
	stamp="$GEN $PSI_GEN_ARGS"
	if [ ! -s "$PSI_DATA" ] ||
	    [ -n "$(find "$GEN" -newer "$PSI_DATA" 2>/dev/null)" ] ||
	    [ "$(cat "$PSI_DATA.cmd" 2>/dev/null)" != "$stamp" ]; then
		echo "bench: generating $PSI_DATA" >&2
		# shellcheck disable=SC2086
		"$GEN" $PSI_GEN_ARGS >"$PSI_DATA.tmp" ||
			die "$GEN $PSI_GEN_ARGS failed"
		mv "$PSI_DATA.tmp" "$PSI_DATA"
		echo "$stamp" >"$PSI_DATA.cmd"
	fi
	# shellcheck disable=SC2086
	"$GEN" $PSI_FIT_ARGS >"$OUT/psi-train.ndjson" ||
		die "$GEN $PSI_FIT_ARGS failed"
	"$BIN/mm-psi" --fit --config "$PSI_CONFIG" "$OUT/psi-train.ndjson" \
	    >"$PSI_REF" || die "mm-psi --fit failed"
}

# Print: values in the largest batch (rows x features), the largest
# |PSI difference| between mm-psi output $1 and psi_numpy.py output $2,
# and the number of batches.
psi_compare() {
	"$PY" - "$1" "$2" <<'EOF'
import json, sys
mm = [json.loads(l)["drift"] for l in open(sys.argv[1], "rb")]
npy = [json.loads(l) for l in open(sys.argv[2], "rb")]
assert len(mm) == len(npy), "batch counts differ"
diff = 0.0
for a, b in zip(mm, npy):
    for key in ("psi", "psi_adj", "p_value"):
        for k, v in b[key].items():
            diff = max(diff, abs(a[key][k] - v))
values = max(r["n"] * len(r["psi"]) for r in npy)
print(values, "%.3g" % diff, len(npy))
EOF
}

bench_psi() {
	need hyperfine /usr/bin/time "$PY" sha256sum cc
	"$PY" -c 'import numpy' 2>/dev/null ||
		die "$PY has no numpy (make bench installs python3-numpy)"
	build_tools
	psi_data

	mm="$BIN/mm-psi --config $PSI_CONFIG --ref $PSI_REF $PSI_DATA"
	np="$PY bench/psi_numpy.py --ref $PSI_REF $PSI_DATA"
	sc="$OUT/strtod_scan $PSI_DATA"
	bytes=$(wc -c <"$PSI_DATA")

	# Sanity: the output of a run does not depend on the runs before it,
	# and the numpy baseline computes the same PSI.
	# shellcheck disable=SC2086
	$mm >"$OUT/psi-mm.out" || die "mm-psi failed"
	# shellcheck disable=SC2086
	sum1=$(sha256sum <"$OUT/psi-mm.out" | cut -d' ' -f1)
	# shellcheck disable=SC2086
	sum2=$($mm | sha256sum | cut -d' ' -f1)
	# shellcheck disable=SC2086
	$np >"$OUT/psi-numpy.out" || die "psi_numpy.py failed"
	# shellcheck disable=SC2086
	$sc >"$OUT/psi-strtod.out" || die "strtod_scan failed"
	cmp=$(psi_compare "$OUT/psi-mm.out" "$OUT/psi-numpy.out") ||
		die "comparing mm-psi and numpy output failed"
	# shellcheck disable=SC2086
	set -- $cmp
	values=$1 diff=$2 batches=$3
	rm -f "$OUT/psi-mm.out"

	hyperfine -N --warmup 1 --runs "$RUNS" \
	    --export-json "$OUT/psi-hyperfine.json" \
	    -n mm-psi "$mm" -n numpy "$np" -n strtod "$sc" >&2
	t_mm=$(hf_median "$OUT/psi-hyperfine.json" 0)
	t_np=$(hf_median "$OUT/psi-hyperfine.json" 1)
	t_sc=$(hf_median "$OUT/psi-hyperfine.json" 2)
	# shellcheck disable=SC2086
	rss=$(peak_rss_kib $mm)

	{
		echo "psi: $batches batches, $values values in the largest," \
		    "$bytes bytes ($(date -u +%Y-%m-%dT%H:%M:%SZ)," \
		    "$(nproc) CPUs, median of $RUNS runs; MB = 10^6 bytes)"
		awk -v b="$bytes" -v m="$t_mm" -v n="$t_np" -v s="$t_sc" 'BEGIN {
			printf "  %-26s %10s %10s\n", "", "seconds", "MB/s"
			printf "  %-26s %10.3f %10.1f\n", "mm-psi", m, b / m / 1e6
			printf "  %-26s %10.3f %10.1f\n", "numpy (json + numpy)", n,
			    b / n / 1e6
			printf "  %-26s %10.3f %10.1f\n", "strtod scan (floor)", s,
			    b / s / 1e6
		}'
		target "mm-psi / numpy" "$(awk -v a="$t_np" -v b="$t_mm" \
		    'BEGIN { print a / b }')" ge 2.5 x
		target "mm-psi / strtod" "$(awk -v a="$t_sc" -v b="$t_mm" \
		    'BEGIN { print a / b }')" ge 0.7 x
		# 2 x 8 bytes per value of the largest batch + 16 MB
		target "mm-psi peak RSS" "$(awk -v k="$rss" \
		    'BEGIN { print k * 1024 / 1e6 }')" le "$(awk -v v="$values" \
		    'BEGIN { print (16 * v + 16e6) / 1e6 }')" MB
		if [ "$sum1" = "$sum2" ]; then
			echo "  output of run 1 = run 2 (sha256" \
			    "$(echo "$sum1" | cut -c1-16)...)   PASS"
		else
			echo "  output of run 1 != run 2 ($sum1 $sum2)   MISS"
			missed=1
		fi
		if awk -v d="$diff" 'BEGIN { exit !(d <= 1e-9) }'; then
			echo "  mm-psi = numpy PSI, psi_adj, p (max |diff| $diff)   PASS"
		else
			echo "  mm-psi != numpy PSI (max |diff| $diff)   MISS"
			missed=1
		fi
	} >"$OUT/psi.txt"
	cat "$OUT/psi.txt"
}

# --- model ---------------------------------------------------------------

MODEL_GEN_ARGS="--rows 5000 --seed 42"	# the rows of mm-train --synthetic
MODEL_BATCH_ARGS="--batches 20 --batch-size 10000 --seed 7"
MODEL_ALL=$OUT/model-all.ndjson
MODEL_TRAIN=$OUT/model-train.ndjson
MODEL_VALID=$OUT/model-valid.ndjson
MODEL_BATCHES=$OUT/model-batches.ndjson
MODEL_CONFIG=$OUT/config	# empty: 200 trees, depth 6, min leaf 5
MODEL_STORE=$OUT/model-store
MODEL_NOW=1764140000

# The training rows split 75/25 (stratified, seed 0) into a training and
# a validation file, and the prediction batches (kept between runs while
# the generator and its arguments are unchanged).
model_data() {
	need "$GEN" "$BIN/mm-train" "$BIN/mm-predict"
	mkdir -p "$MODEL_CONFIG"
	# shellcheck disable=SC2086
	"$GEN" $MODEL_GEN_ARGS >"$MODEL_ALL" ||
		die "$GEN $MODEL_GEN_ARGS failed"
	"$PY" scripts/verify_model.py split "$MODEL_ALL" "$MODEL_TRAIN" \
	    "$MODEL_VALID" --seed 0 >/dev/null ||
		die "splitting $MODEL_ALL failed"
	stamp="$GEN $MODEL_BATCH_ARGS"
	if [ ! -s "$MODEL_BATCHES" ] ||
	    [ -n "$(find "$GEN" -newer "$MODEL_BATCHES" 2>/dev/null)" ] ||
	    [ "$(cat "$MODEL_BATCHES.cmd" 2>/dev/null)" != "$stamp" ]; then
		echo "bench: generating $MODEL_BATCHES" >&2
		# shellcheck disable=SC2086
		"$GEN" $MODEL_BATCH_ARGS >"$MODEL_BATCHES.tmp" ||
			die "$GEN $MODEL_BATCH_ARGS failed"
		mv "$MODEL_BATCHES.tmp" "$MODEL_BATCHES"
		echo "$stamp" >"$MODEL_BATCHES.cmd"
	fi
}

median() {
	"$PY" -c 'import statistics, sys
print(statistics.median(float(a) for a in sys.argv[1:]))' "$@"
}

bench_model() {
	need hyperfine "$PY"
	"$PY" -c 'import sklearn' 2>/dev/null ||
		die "$PY has no scikit-learn" \
		    "(make bench installs python3-sklearn)"
	model_data

	train="$BIN/mm-train --models $MODEL_STORE --config $MODEL_CONFIG \
--validate $MODEL_VALID --now $MODEL_NOW $MODEL_TRAIN"
	predict="$BIN/mm-predict --models $MODEL_STORE $MODEL_BATCHES"
	bytes=$(wc -c <"$MODEL_BATCHES")

	# mm-train's own fit time (its summary line) over RUNS runs; the
	# last run leaves the store mm-predict reads.
	fits=
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		rm -rf "$MODEL_STORE"
		# shellcheck disable=SC2086
		$train >"$OUT/model-train.out" || die "mm-train failed"
		fits="$fits $("$PY" -c 'import json, sys
print(json.load(open(sys.argv[1]))["timings"]["fit_s"])' \
		    "$OUT/model-train.out")"
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	fit_mm=$(median $fits)
	ntrain=$("$PY" -c 'import json, sys
print(json.load(open(sys.argv[1]))["rows"]["train"])' "$OUT/model-train.out")
	# Sanity: both forests predict the batches about equally well.
	# shellcheck disable=SC2086
	$predict >"$OUT/model-predict.out" || die "mm-predict failed"
	acc_mm=$("$PY" -c 'import json, sys
n = a = 0
for line in open(sys.argv[1], "rb"):
    m = json.loads(line)["metrics"]
    n += m["n_labelled"]
    a += m["accuracy"] * m["n_labelled"]
print(a / n)' "$OUT/model-predict.out")
	rm -f "$OUT/model-predict.out"

	"$PY" bench/train_sklearn.py --runs "$RUNS" "$MODEL_TRAIN" \
	    "$MODEL_BATCHES" >"$OUT/model-sklearn.out" ||
		die "bench/train_sklearn.py failed"
	fit_sk=$(kv fit_s "$OUT/model-sklearn.out")
	[ "$(kv rows "$OUT/model-sklearn.out")" = "$ntrain" ] ||
		die "mm-train and scikit-learn trained on different rows"
	pred_sk=$(kv predict_ms "$OUT/model-sklearn.out")
	brows=$(kv batch_rows "$OUT/model-sklearn.out")
	nb=$(kv batches "$OUT/model-sklearn.out")
	acc_sk=$(kv accuracy "$OUT/model-sklearn.out")

	hyperfine -N --warmup 1 --runs "$RUNS" --prepare "rm -rf $MODEL_STORE" \
	    --export-json "$OUT/model-train-hyperfine.json" \
	    -n mm-train "$train" >&2
	hyperfine -N --warmup 1 --runs "$RUNS" \
	    --export-json "$OUT/model-predict-hyperfine.json" \
	    -n mm-predict "$predict" >&2
	t_train=$(hf_median "$OUT/model-train-hyperfine.json" 0)
	t_pred=$(hf_median "$OUT/model-predict-hyperfine.json" 0)
	# ms per 10,000 rows: mm-predict's whole run over every row, and
	# scikit-learn's median batch.
	ms_mm=$(awk -v t="$t_pred" -v n="$nb" -v r="$brows" \
	    'BEGIN { print t * 1e3 / (n * r / 1e4) }')
	ms_sk=$(awk -v t="$pred_sk" -v r="$brows" \
	    'BEGIN { print t / (r / 1e4) }')

	{
		echo "model: train on $ntrain rows (mm-gen $MODEL_GEN_ARGS, 75%" \
		    "stratified), 200 trees, depth 6, min leaf 5; predict" \
		    "$nb batches x $brows rows, $bytes bytes" \
		    "($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, median of" \
		    "$RUNS runs)"
		awk -v a="$t_train" -v f="$fit_mm" -v s="$fit_sk" -v m="$ms_mm" \
		    -v k="$ms_sk" 'BEGIN {
			printf "  %-26s %10s %12s\n", "", "train s",
			    "ms/10k rows"
			printf "  %-26s %10.3f\n", "mm-train (whole process)", a
			printf "  %-26s %10.3f\n", "mm-train (fit_s)", f
			printf "  %-26s %10.3f\n", "sklearn fit", s
			printf "  %-26s %10s %12.2f\n", "mm-predict (whole process)",
			    "", m
			printf "  %-26s %10s %12.2f\n", "sklearn predict_proba", "", k
		}'
		target "train: sklearn / mm-train" "$(awk -v a="$fit_sk" \
		    -v b="$t_train" 'BEGIN { print a / b }')" ge 3 x
		target "predict: sklearn / mm" "$(awk -v a="$ms_sk" -v b="$ms_mm" \
		    'BEGIN { print a / b }')" ge 5 x
		if awk -v a="$acc_mm" -v b="$acc_sk" \
		    'BEGIN { d = a - b; exit !(d <= 0.01 && d >= -0.01) }'; then
			v=PASS
		else
			v=MISS
			missed=1
		fi
		awk -v a="$acc_mm" -v b="$acc_sk" -v v="$v" 'BEGIN {
			printf "  accuracy on the batches: mm %.4f, sklearn %.4f" \
			    " (|diff| <= 0.01)   %s\n", a, b, v
		}'
	} >"$OUT/model.txt"
	cat "$OUT/model.txt"
}

# --- profile -------------------------------------------------------------

# Top symbols of mm-psi on the psi input: perf when it works, else
# callgrind on the first 5 batches.
bench_profile() {
	psi_data
	mm="$BIN/mm-psi --config $PSI_CONFIG --ref $PSI_REF"
	# shellcheck disable=SC2086
	if command -v perf >/dev/null 2>&1 &&
	    perf record -q -F 4999 -o "$OUT/psi.perf.data" -- \
	    $mm "$PSI_DATA" >/dev/null 2>"$OUT/perf.err"; then
		perf report -i "$OUT/psi.perf.data" --stdio --no-children \
		    --sort symbol 2>/dev/null | grep -v '^#' | grep -v '^$' |
		    head -n 10 | tee "$OUT/profile.txt"
	elif command -v valgrind >/dev/null 2>&1; then
		head -n 5 "$PSI_DATA" >"$OUT/psi-small.ndjson"
		# shellcheck disable=SC2086
		valgrind -q --tool=callgrind \
		    --callgrind-out-file="$OUT/psi.callgrind" \
		    $mm "$OUT/psi-small.ndjson" >/dev/null
		callgrind_annotate "$OUT/psi.callgrind" 2>/dev/null |
		    grep -E '^ *[0-9,]+ .*:' | head -n 10 |
		    tee "$OUT/profile.txt"
	else
		die "neither perf nor valgrind works here"
	fi
}

main() {
	run=
	[ $# -gt 0 ] || set -- all
	for s in "$@"; do
		case $s in
		all) run="$run $SECTIONS" ;;
		psi|model|storage|serve|pg|chain|profile) run="$run $s" ;;
		-h|--help)
			sed -n '2,/^set -eu/p' "$0" | sed '$d' |
			    sed 's/^# \{0,1\}//'
			exit 0 ;;
		*) echo "bench: unknown section '$s' (psi, model, storage," \
			    "serve, pg, chain, profile, all)" >&2
			exit 2 ;;
		esac
	done
	for s in $run; do
		case $s in
		psi) bench_psi ;;
		model) bench_model ;;
		storage) BIN=$BIN bench/storage.sh || missed=1 ;;
		serve) BIN=$BIN bench/serve.sh || missed=1 ;;
		pg) BIN=$BIN bench/pg.sh || missed=1 ;;
		chain) BIN=$BIN RUNS=$RUNS bench/chain.sh || missed=1 ;;
		profile) bench_profile ;;
		esac
	done
	exit "$missed"
}

main "$@"
