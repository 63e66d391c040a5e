#!/bin/sh
# The serve benchmark: mm-serve under load from wrk on loopback, beside
# a peer that answers the same query from the same SQLite file with
# FastAPI and uvicorn (bench/serve_peer.py).  bench/run.sh runs it as
# the section "serve"; it also runs on its own:
#
#   bench/serve.sh
#
#   1. summary: GET /api/metrics/summary/1h, on mm-serve and on the peer
#      (one uvicorn worker, then two; the better counts), wrk -t2 -c32
#      for SECONDS each;
#   2. ingest: POST /api/ingest with the API key, one 64-row labelled
#      batch record a request, every one with its own batch_id
#      (bench/serve_ingest.lua); then the database must hold each batch
#      answered 2xx exactly once, and no other.  Skipped, with a line
#      saying so, when mm-serve answers 404 there.
#
# Environment: BIN (programs, default bin), SECONDS_PER_RUN (seconds of
# each wrk run, default 10).
#
# Writes its data and wrk's output to bench/out/ (serve-*, serve/), and
# the summary it prints to bench/out/serve.txt.  Exit status: 0 when
# every target is met, 1 when one is missed, 3 when the benchmark cannot
# run.
set -eu

cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
SECS=${SECONDS_PER_RUN:-10}
OUT=bench/out
PY=/usr/bin/python3	# the system python, with python3-fastapi
THREADS=2
CONNS=32

T0=1764140000		# ts of the first batch
NBATCH=120		# batches recorded before the run: two hours
NINGEST=200		# distinct records the ingest requests take in turn
DIR=$OUT/serve		# made again by every run
DB=$DIR/metrics.db
MODELS=$DIR/models
CONFIG=$DIR/config	# empty: the defaults
INGEST_DATA=$DIR/ingest.ndjson
PREFIX=load		# batch_id of the ingest requests: load<thread>-<n>

# shellcheck source=bench/common.sh
. bench/common.sh

# The servers under way; each is stopped on the way out, whatever the
# way.
pids=
# shellcheck disable=SC2317	# called by the trap
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null || :
	done
	for p in $pids; do
		wait "$p" 2>/dev/null || :
	done
	pids=
}
trap cleanup EXIT
trap 'exit 3' HUP INT TERM

# start NAME COMMAND...: run COMMAND in the background, its standard
# error in $OUT/serve-NAME.err, until it names its port there ("listening
# on http://127.0.0.1:PORT"); sets pid and port.
start() {
	name=$1
	shift
	err=$OUT/serve-$name.err
	: >"$err"
	"$@" 2>"$err" &
	pid=$!
	pids="$pids $pid"
	port=
	i=0
	while [ "$i" -lt 100 ]; do
		port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$err")
		[ -n "$port" ] && return 0
		kill -0 "$pid" 2>/dev/null ||
			die "$name did not start: $(cat "$err")"
		sleep 0.1
		i=$((i + 1))
	done
	die "$name named no port in 10 seconds"
}

# stop PID: stop that server and wait for it.
stop() {
	kill "$1" 2>/dev/null || :
	wait "$1" 2>/dev/null || :
	rest=
	for p in $pids; do
		[ "$p" = "$1" ] || rest="$rest $p"
	done
	pids=$rest
}

# wrk_run NAME WRK-ARGS...: wrk with its output in $OUT/serve-NAME.wrk;
# sets res to the numbers line the script wrote (serve_summary.lua,
# serve_ingest.lua).
wrk_run() {
	name=$1
	shift
	wrk -t"$THREADS" -c"$CONNS" --latency "$@" >"$OUT/serve-$name.wrk" \
	    2>&1 || die "wrk ($name) failed: $(cat "$OUT/serve-$name.wrk")"
	res=$(grep '^serve-wrk ' "$OUT/serve-$name.wrk") ||
		die "wrk ($name) wrote no numbers: $(cat "$OUT/serve-$name.wrk")"
}

# get KEY LINE: the value of KEY=VALUE in LINE.
get() {
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# errors LINE: non-2xx answers and socket errors.
errors() {
	echo $(($(get non2xx "$1") + $(get connect "$1") + $(get read "$1") +
	    $(get write "$1") + $(get timeout "$1")))
}

# The database and the store, made by mm itself: a model, NBATCH
# batches of 64 labelled rows a minute apart through mm-predict,
# mm-psi, mm-trust and mm-record, the window summaries of mm-aggregate
# at the last one; and the records the ingest requests send.
serve_data() {
	rm -rf "$DIR"
	mkdir -p "$CONFIG"
	"$BIN/mm-train" --synthetic --rows 2000 --seed 1 --models "$MODELS" \
	    --config "$CONFIG" --now $((T0 - 3600)) >/dev/null ||
		die "mm-train failed"
	"$BIN/mm-gen" --batches "$NBATCH" --batch-size 64 --seed 5 \
	    --start "$T0" |
	    "$BIN/mm-predict" --models "$MODELS" |
	    "$BIN/mm-psi" --models "$MODELS" --config "$CONFIG" |
	    "$BIN/mm-trust" --config "$CONFIG" |
	    "$BIN/mm-record" --db "$DB" --config "$CONFIG" >/dev/null ||
		die "recording the batches failed"
	"$BIN/mm-aggregate" --db "$DB" --models "$MODELS" --config "$CONFIG" \
	    --now $((T0 + 60 * (NBATCH - 1) + 30)) >/dev/null ||
		die "mm-aggregate failed"
	[ "$(sqlite3 "$DB" 'SELECT count(*) FROM metrics')" = "$NBATCH" ] ||
		die "$DB does not hold the $NBATCH batches recorded"
	"$BIN/mm-gen" --batches "$NINGEST" --batch-size 64 --seed 13 \
	    --start $((T0 + 60 * NBATCH)) >"$INGEST_DATA" ||
		die "mm-gen failed"
}

# Print the numbers line of a summary run as a table row: NAME LINE.
row() {
	awk -v name="$1" -v n="$(get requests "$2")" \
	    -v s="$(get seconds "$2")" -v p50="$(get p50_ms "$2")" \
	    -v p99="$(get p99_ms "$2")" -v e="$(errors "$2")" 'BEGIN {
		printf "  %-26s %10.0f %10.2f %10.2f %8d\n", name, n / s, p50,
		    p99, e
	}'
}

main() {
	need wrk curl sqlite3 "$PY" "$BIN/mm-serve" "$BIN/mm-gen" \
	    "$BIN/mm-train" "$BIN/mm-predict" "$BIN/mm-psi" "$BIN/mm-trust" \
	    "$BIN/mm-record" "$BIN/mm-aggregate"
	"$PY" -c 'import fastapi, uvicorn' 2>/dev/null ||
		die "$PY has no fastapi or uvicorn" \
		    "(make bench installs python3-fastapi, python3-uvicorn)"
	mkdir -p "$OUT"
	rm -f "$OUT"/serve-*.wrk "$OUT"/serve-*.err
	serve_data

	MM_API_KEY=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	export MM_API_KEY
	start mm "$BIN/mm-serve" --db "$DB" --models "$MODELS" \
	    --config "$CONFIG" --listen 127.0.0.1:0
	mm_pid=$pid mm=http://127.0.0.1:$port
	path=/api/metrics/summary/1h

	# --- summary -------------------------------------------------------

	curl -sf -o "$OUT/serve-summary-mm.json" "$mm$path" ||
		die "GET $path on mm-serve failed"
	wrk_run summary-mm -d"$SECS"s -s bench/serve_summary.lua "$mm$path"
	sum_mm=$res

	best=
	for w in 1 2; do
		start "peer$w" "$PY" bench/serve_peer.py --db "$DB" --workers "$w"
		curl -sf -o "$OUT/serve-summary-peer.json" \
		    "http://127.0.0.1:$port$path" ||
			die "GET $path on the peer failed"
		wrk_run "summary-peer$w" -d"$SECS"s -s bench/serve_summary.lua \
		    "http://127.0.0.1:$port$path"
		stop "$pid"
		if [ "$w" = 1 ]; then
			sum_peer1=$res
		else
			sum_peer2=$res
		fi
		rate=$(awk -v n="$(get requests "$res")" \
		    -v s="$(get seconds "$res")" 'BEGIN { print n / s }')
		if [ -z "$best" ] || awk -v a="$rate" -v b="$best_rate" \
		    'BEGIN { exit !(a > b) }'; then
			best=$w best_rate=$rate
		fi
	done
	same=0
	cmp -s "$OUT/serve-summary-mm.json" "$OUT/serve-summary-peer.json" &&
		same=1
	sbytes=$(wc -c <"$OUT/serve-summary-mm.json")
	mm_rate=$(awk -v n="$(get requests "$sum_mm")" \
	    -v s="$(get seconds "$sum_mm")" 'BEGIN { print n / s }')

	# --- ingest --------------------------------------------------------

	key_hdr="Authorization: Bearer $MM_API_KEY"
	head -n 1 "$INGEST_DATA" |
	    sed 's/^{"batch_id":"[^"]*"/{"batch_id":"probe-1"/' \
	    >"$DIR/probe.ndjson"
	code=$(curl -s -o "$DIR/probe.out" -w '%{http_code}' -H "$key_hdr" \
	    --data-binary @"$DIR/probe.ndjson" "$mm/api/ingest") ||
		die "POST /api/ingest failed"
	ingest=1
	case $code in
	404) ingest=0 ;;
	200) ;;
	*) die "POST /api/ingest of one batch answered $code:" \
		    "$(cat "$DIR/probe.out")" ;;
	esac
	if [ "$ingest" = 1 ]; then
		printf '{"batch_id":"probe-2","ts":1,"features":{"f0":[1,' \
		    >"$DIR/bad.ndjson"
		bad_code=$(curl -s -o "$DIR/bad.out" -w '%{http_code}' \
		    -H "$key_hdr" --data-binary @"$DIR/bad.ndjson" \
		    "$mm/api/ingest") || die "POST /api/ingest failed"
		bad_text=$(head -c 100 "$DIR/bad.out")
		n0=$(sqlite3 "$DB" 'SELECT count(*) FROM metrics')
		wrk_run ingest -d$((SECS + 3))s -s bench/serve_ingest.lua \
		    "$mm" -- "$INGEST_DATA" "$SECS" "$PREFIX"
		ing=$res
		# shellcheck disable=SC2046
		set -- $(sqlite3 -separator ' ' "$DB" "SELECT count(*),
		    count(DISTINCT batch_id),
		    (SELECT count(*) FROM metrics WHERE batch_id LIKE
		    '$PREFIX%'), (SELECT count(DISTINCT batch_id) FROM metrics
		    WHERE batch_id LIKE '$PREFIX%') FROM metrics")
		db_all=$1 db_distinct=$2 db_load=$3 db_load_distinct=$4
		n_ok=$(get ok "$ing")
		wrk_ok=$(($(get requests "$ing") - $(get non2xx "$ing")))
		sent=$(get sent "$ing")
		ing_rate=$(awk -v n="$n_ok" -v s="$(get span "$ing")" \
		    'BEGIN { print (s > 0 ? n / s : 0) }')
	fi
	stop "$mm_pid"

	{
		echo "serve: mm-serve and a FastAPI + uvicorn peer on loopback," \
		    "wrk -t$THREADS -c$CONNS, ${SECS}s a run; GET $path" \
		    "($sbytes bytes) from a database of $NBATCH batches; POST" \
		    "/api/ingest of 64-row batches" \
		    "($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs)"
		printf "  %-26s %10s %10s %10s %8s\n" "" "req/s" "p50 ms" \
		    "p99 ms" "errors"
		row "mm-serve summary" "$sum_mm"
		row "peer summary, 1 worker" "$sum_peer1"
		row "peer summary, 2 workers" "$sum_peer2"
		if [ "$ingest" = 1 ]; then
			awk -v r="$ing_rate" -v p50="$(get p50_ms "$ing")" \
			    -v p99="$(get p99_ms "$ing")" -v e="$(errors "$ing")" \
			    'BEGIN {
				printf "  %-26s %10.0f %10.2f %10.2f %8d\n",
				    "mm-serve ingest (batches)", r, p50, p99, e
			}'
		fi
		target "summary: mm-serve req/s" "$mm_rate" ge 5000 req/s
		target "summary: mm-serve p99" "$(get p99_ms "$sum_mm")" le 20 ms
		target "summary: mm / peer ($best w)" "$(awk -v a="$mm_rate" \
		    -v b="$best_rate" 'BEGIN { print a / b }')" ge 10 x
		check "$same" "mm-serve and the peer answer the same" \
		    "$sbytes bytes"
		check "$([ "$(errors "$sum_mm")" = 0 ] && echo 1)" \
		    "summary: no errors on mm-serve ($(errors "$sum_mm"))"
		check "$([ "$(errors "$sum_peer1")" = 0 ] &&
		    [ "$(errors "$sum_peer2")" = 0 ] && echo 1)" \
		    "summary: no errors on the peer ($(errors "$sum_peer1")," \
		    "$(errors "$sum_peer2"))"
		if [ "$ingest" = 0 ]; then
			echo "  ingest: POST /api/ingest answers 404 (not in this" \
			    "mm-serve)   SKIP"
		else
			target "ingest: mm-serve" "$ing_rate" ge 1000 bat/s
			check "$([ "$(errors "$ing")" = 0 ] && echo 1)" \
			    "ingest: no errors ($(errors "$ing"))"
			check "$([ "$bad_code" = 400 ] &&
			    echo "$bad_text" | grep -q '"error"' && echo 1)" \
			    "ingest: a cut record answers $bad_code $bad_text"
			check "$([ "$n_ok" = "$wrk_ok" ] && [ "$n_ok" = "$sent" ] &&
			    [ "$n_ok" = "$db_load" ] &&
			    [ "$n_ok" = "$db_load_distinct" ] &&
			    [ "$db_all" = $((n0 + n_ok)) ] &&
			    [ "$db_all" = "$db_distinct" ] && echo 1)" \
			    "ingest: exactly once: $n_ok answered 2xx (wrk" \
			    "$wrk_ok, of $sent sent), $db_load stored," \
			    "$db_load_distinct distinct; $db_all rows in all," \
			    "$n0 before, $db_distinct distinct"
		fi
	} >"$OUT/serve.txt"
	cat "$OUT/serve.txt"
	exit "$missed"
}

main "$@"
