#!/usr/bin/env bats
# mm-serve: every endpoint and error status, with curl; pages that stay
# the same while batches are recorded; the API key; Prometheus' own
# tools and server reading /metrics; SIGTERM.

bats_require_minimum_version 1.5.0
load helper
load serve_helper

T0=1764140000
A=20251126T065320Z
B=20251126T065420Z

# A store with A live (and with "staged", B staged), and a database of
# six recorded 100-row batches, their windows and decisions.
setup_file() {
	local d=$BATS_FILE_TMPDIR

	mkdir -p "$d/cfg"
	echo 'n_estimators: 10' >"$d/cfg/model.yaml"
	mm-train --synthetic --rows 600 --models "$d/m" --config "$d/cfg" \
	    --now $T0 >/dev/null
	mm-gen --batches 6 --batch-size 100 --seed 3 |
	    mm-predict --models "$d/m" | mm-psi --models "$d/m" | mm-trust |
	    mm-record --db "$d/d.db" --config "$d/cfg" |
	    mm-decide --config "$d/cfg" --baseline-f1 0.99 |
	    mm-exec --db "$d/d.db" --models "$d/m" --config "$d/cfg" \
	    --now $((T0 + 400)) >/dev/null
	mm-aggregate --db "$d/d.db" --models "$d/m" --now $((T0 + 300)) \
	    >/dev/null
}

# A copy of the store and database for a test that changes them.
fresh() {
	cp -a "$BATS_FILE_TMPDIR/m" m
	cp "$BATS_FILE_TMPDIR/d.db" d.db
}

@test "GET /health: the database, the store and the live version" {
	fresh
	serve --db d.db --models m
	run get /health
	assert_output '200 {"status":"ok","database":"ok","models":"ok","active_version":"'$A'"}'
	# No live version: null.  A store that cannot be read: 503.
	mkdir empty
	kill $PID; wait $PID
	serve --db d.db --models empty
	run get /health
	assert_output '200 {"status":"ok","database":"ok","models":"ok","active_version":null}'
	echo '{' >empty/active.json
	run get /health
	assert_output --regexp '^503 \{"error":"empty/active.json: .*"\}$'
}

@test "GET /api/metrics: pages newest first, the same while batches are recorded" {
	fresh
	serve --db d.db --models m
	run get '/api/metrics?limit=2'
	[ "${output%% *}" = 200 ]
	assert_equal "$(grep -o '"id":[0-9]*' body | paste -sd' ')" '"id":6 "id":5'
	assert_equal "$(grep -o '"next_cursor":[^}]*' body)" '"next_cursor":5'
	grep -q '"batch_id":"b000005","ts":1764140300,"model_version":"'$A'","n_samples":100,"n_labelled":100,' body
	grep -q '"confusion":\[\[[0-9]*,[0-9]*\],\[[0-9]*,[0-9]*\]\],"drift":{"psi":{"f0":' body
	run get '/api/metrics?limit=2&cursor=5'
	cp body page2
	assert_equal "$(grep -o '"id":[0-9]*' body | paste -sd' ')" '"id":4 "id":3'
	# Three more batches recorded while paging: the page is the same.
	mm-gen --batches 3 --batch-size 50 --seed 9 |
	    sed 's/"batch_id":"b/"batch_id":"x/' | mm-predict --models m | mm-psi --models m | mm-trust |
	    mm-record --db d.db --config "$BATS_FILE_TMPDIR/cfg" >/dev/null
	run get '/api/metrics?limit=2&cursor=5'
	cmp body page2
	run get '/api/metrics?limit=2&cursor=3'
	assert_equal "$(grep -o '"id":[0-9]*' body | paste -sd' ')" '"id":2 "id":1'
	assert_equal "$(grep -o '"next_cursor":[^}]*' body)" '"next_cursor":null'
	# The new batches come before the first page.
	run get '/api/metrics?limit=3'
	assert_equal "$(grep -o '"id":[0-9]*' body | paste -sd' ')" '"id":9 "id":8 "id":7'
}

@test "GET /api/metrics/tail and /latest" {
	serve --db "$BATS_FILE_TMPDIR/d.db" --models "$BATS_FILE_TMPDIR/m"
	run get '/api/metrics/tail?n=3'
	[ "${output%% *}" = 200 ]
	assert_equal "$(grep -o '"id":[0-9]*' body | paste -sd' ')" '"id":4 "id":5 "id":6'
	run grep -c next_cursor body
	assert_output 0
	run get /api/metrics/latest
	[ "${output%% *}" = 200 ]
	assert_equal "$(grep -o '^{"id":[0-9]*,"batch_id":"[^"]*"' body)" '{"id":6,"batch_id":"b000005"'
	# An empty database: 404.
	kill $PID; wait $PID
	serve --db new.db --models "$BATS_FILE_TMPDIR/m"
	run get /api/metrics/latest
	assert_output '404 {"error":"nothing recorded yet"}'
	run get /api/metrics
	assert_output '200 {"items":[],"next_cursor":null}'
}

@test "GET /api/metrics/summary/WINDOW and its history" {
	serve --db "$BATS_FILE_TMPDIR/d.db" --models "$BATS_FILE_TMPDIR/m"
	run get /api/metrics/summary/5m
	[ "${output%% *}" = 200 ]
	grep -q '^{"window":"5m","ts":1764140300,"n_batches":5,"model_version":"'$A'","n_samples":500,' body
	run get /api/metrics/summary/24h/history
	[ "${output%% *}" = 200 ]
	grep -q '^{"items":\[{"id":[0-9]*,"window":"24h","ts":1764140300,"n_batches":6,' body
	run get /api/metrics/summary/7x
	assert_output '404 {"error":"no such window: give a length such as 5m, 1h or 24h"}'
	run get /api/metrics/summary/2h
	assert_output '404 {"error":"nothing recorded yet"}'
	run get /api/metrics/summary/5m/more
	assert_output '404 {"error":"no such path"}'
}

@test "GET /api/decisions/history and /api/models" {
	serve --db "$BATS_FILE_TMPDIR/d.db" --models "$BATS_FILE_TMPDIR/m"
	run get '/api/decisions/history?limit=1'
	[ "${output%% *}" = 200 ]
	grep -q '^{"items":\[{"id":6,"ts":1764140300,"source":"b000005","action":"[a-z]*","reason":"[^"]*","metadata":{' body
	assert_equal "$(grep -o '"next_cursor":[^}]*' body)" '"next_cursor":6'
	run get /api/models
	[ "${output%% *}" = 200 ]
	grep -q '^{"active":{"version":"'$A'","previous_version":null,' body
	grep -q '"candidate":null,"versions":\[{"version":"'$A'","card":{"format":"mm-card/1",' body
}

@test "bad requests: no such path, wrong method, bad arguments, a body too large" {
	serve --db "$BATS_FILE_TMPDIR/d.db" --models "$BATS_FILE_TMPDIR/m"
	run get /nope
	assert_output '404 {"error":"no such path"}'
	run get /api/metrics -X DELETE
	assert_output '405 {"error":"method not allowed"}'
	run curl -s -D - -o /dev/null -X POST "$URL/health"
	assert_line --regexp '^Allow: GET, HEAD'
	run curl -s -o /dev/null -w '%{http_code}' -I "$URL/health"
	assert_output 200
	run get /api/models/promote
	assert_output '405 {"error":"method not allowed"}'
	run get '/api/metrics?limit=0'
	assert_output "400 {\"error\":\"limit: '0' is not a whole number from 1 to 1000\"}"
	run get '/api/metrics?cursor=x'
	assert_output "400 {\"error\":\"cursor: 'x' is not a whole number from 1 to 9223372036854775807\"}"
	head -c 1100000 /dev/zero | tr '\0' ' ' >big
	run get /api/models/rollback -X POST --data-binary @big
	assert_output '413 {"error":"the body is larger than 1 MiB"}'
}

@test "writes: off without a key, 401 without the right one, and as mm-models with it" {
	fresh
	serve --db d.db --models m
	run get /api/models/promote -X POST
	assert_output '403 {"error":"writes are off: no API key is configured (MM_API_KEY or --key-file)"}'
	kill $PID; wait $PID
	mm-train --synthetic --rows 600 --seed 2 --models m \
	    --config "$BATS_FILE_TMPDIR/cfg" --now $((T0 + 60)) --stage >/dev/null
	MM_API_KEY=s3cret serve --db d.db --models m
	run get /api/models/promote -X POST
	assert_output "401 {\"error\":\"this needs 'Authorization: Bearer KEY'\"}"
	run curl -s -D - -o /dev/null -X POST -H 'Authorization: Bearer s3cre' "$URL/api/models/promote"
	assert_line --regexp '^WWW-Authenticate: Bearer'
	run get /api/models/promote -X POST -H 'Authorization: Bearer s3cre'
	assert_output '401 {"error":"wrong API key"}'
	grep -q '"version":"'$A'"' m/active.json
	run get /api/models/promote -X POST -H 'Authorization: Bearer s3cret'
	assert_output '200 {"action":"promote","version":"'$B'","previous_version":"'$A'"}'
	grep -q '"version":"'$B'"' m/active.json
	run get /api/models/promote -X POST -H 'Authorization: Bearer s3cret'
	assert_output '409 {"error":"no staged candidate to promote"}'
	run get /api/models/rollback -X POST -H 'Authorization: Bearer s3cret' -d '{"version":7}'
	assert_output '400 {"error":"the body is a JSON object, {\"version\":\"V\"} or {}"}'
	run get /api/models/rollback -X POST -H 'Authorization: Bearer s3cret' -d '{"version":"nope"}'
	[ "${output%% *}" = 409 ]
	run get /api/models/rollback -X POST -H 'Authorization: Bearer s3cret'
	assert_output '200 {"action":"rollback","version":"'$A'","previous_version":"'$B'"}'
	grep -q '"version":"'$A'"' m/active.json
	# A key file: the first line, and only its owner may read it.
	kill $PID; wait $PID
	printf 'from-file\nignored\n' >key
	chmod 644 key
	run_split mm-serve --key-file key
	assert_failure 2
	assert_equal "$stderr" "mm-serve: --key-file: key can be read by others (mode 0644): chmod 600 it"
	chmod 600 key
	serve --db d.db --models m --key-file key
	run get /api/models/rollback -X POST -H 'Authorization: Bearer from-file'
	assert_output '409 {"error":"no previous version to roll back to"}'
}

@test "/metrics: Prometheus text that promtool accepts, with the newest batch and the windows" {
	command -v promtool >/dev/null || skip "promtool is not installed"
	serve --db "$BATS_FILE_TMPDIR/d.db" --models "$BATS_FILE_TMPDIR/m"
	curl -s "$URL/health" >/dev/null
	curl -s -o metrics "$URL/metrics"
	run promtool check metrics <metrics
	assert_success
	assert_equal "$(grep '^mm_up ' metrics)" 'mm_up 1'
	assert_equal "$(grep '^mm_model_info' metrics)" 'mm_model_info{version="'$A'"} 1'
	trust=$(curl -s "$URL/api/metrics/latest" | grep -o '"trust_score":[^,]*' | cut -d: -f2)
	assert_equal "$(grep '^mm_trust_score ' metrics)" "mm_trust_score $trust"
	grep -q '^mm_feature_psi_adj{feature="f0"} ' metrics
	grep -q '^mm_window_f1{window="5m"} 0\.' metrics
	grep -q '^mm_decisions_total{action="[a-z]*"} [1-6]$' metrics
	assert_equal "$(grep -c '^mm_http_request_duration_seconds_bucket' metrics)" 13
	grep -q '^mm_http_requests_total 1$' metrics
}

@test "a real Prometheus scrapes mm-serve and answers mm_trust_score" {
	command -v prometheus >/dev/null || skip "prometheus is not installed"
	serve --db "$BATS_FILE_TMPDIR/d.db" --models "$BATS_FILE_TMPDIR/m"
	trust=$(curl -s "$URL/api/metrics/latest" | grep -o '"trust_score":[^,]*' | cut -d: -f2)
	cat >prom.yml <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: mm
    static_configs:
      - targets: ["127.0.0.1:$PORT"]
EOF
	# A free port for Prometheus (its own log would name 0 for port 0).
	p=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	prometheus --config.file=prom.yml --storage.tsdb.path=tsdb \
	    --web.listen-address=127.0.0.1:$p --log.level=warn 2>prom.log 3>&- &
	PROM=$!
	for _ in $(seq 150); do
		got=$(curl -s "http://127.0.0.1:$p/api/v1/query?query=mm_trust_score" |
		    grep -o '"value":\[[^]]*\]' | sed 's/.*,"\(.*\)"\]/\1/')
		[ -n "$got" ] && break
		sleep 0.1
	done
	assert_equal "$got" "$trust"
}

@test "slow and vanishing clients: no thread is held, idle connections are closed after --timeout" {
	serve --db "$BATS_FILE_TMPDIR/d.db" --models "$BATS_FILE_TMPDIR/m" --timeout 1
	# 40 clients (five times the threads) each send half a request and stop.
	fds=()
	for _ in $(seq 40); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
		printf 'GET /health HTTP/1.1\r\nHost: x\r\n' >&"$fd"
		fds+=("$fd")
	done
	# One that goes away in the middle of its body.
	exec {gone}<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'POST /api/ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"batch' >&"$gone"
	exec {gone}>&-
	# Others are answered meanwhile.
	run get /health
	assert_output --partial '200 {"status":"ok"'
	# After the timeout the server has closed the idle ones: reading
	# each finds its end, with no answer.
	sleep 2
	for fd in "${fds[@]}"; do
		run timeout 5 cat <&"$fd"
		assert_success
		assert_output ''
		exec {fd}>&-
	done
	run get /health
	assert_output --partial '200 {"status":"ok"'
	kill -TERM $PID
	rc=0
	wait $PID || rc=$?
	assert_equal "$rc" 0
	PID=
}

@test "SIGTERM: stops taking connections, finishes, exits 0" {
	serve --db "$BATS_FILE_TMPDIR/d.db" --models "$BATS_FILE_TMPDIR/m"
	curl -s "$URL/health" >/dev/null
	# A connection kept open after its request, as a scraper keeps it:
	# closed at once, not waited for (that wait was 10 s).
	exec {ka}<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n' >&"$ka"
	read -r -t 5 line <&"$ka"
	assert_equal "${line%$'\r'}" "HTTP/1.1 200 OK"
	kill -TERM $PID
	for _ in $(seq 100); do
		kill -0 $PID 2>/dev/null || break
		sleep 0.05
	done
	kill -0 $PID 2>/dev/null && fail "mm-serve still waits for an idle connection"
	rc=0
	wait $PID || rc=$?
	assert_equal "$rc" 0
	PID=
	exec {ka}>&-
	assert_equal "$(tail -n 1 serve.log)" "mm-serve: stopped on SIGTERM after 2 requests"
	run curl -s "$URL/health"
	assert_failure
}

@test "usage: --help, a bad --listen, a database that cannot be opened, a busy port" {
	run_split mm-serve --help
	assert_success
	assert_line --index 0 'usage: mm-serve [--db FILE] [--models DIR] [--config DIR] [--listen ADDR:PORT]'
	assert_line --index 1 '                [--key-file FILE] [--timeout S]'
	run_split mm-serve --listen 8000
	assert_failure 2
	assert_equal "$stderr" "mm-serve: --listen: '8000' is not ADDR:PORT (127.0.0.1:8000, [::1]:8000)"
	run_split mm-serve --listen 127.0.0.1:70000
	assert_failure 2
	run_split mm-serve --timeout 0
	assert_failure 2
	assert_equal "$stderr" "mm-serve: --timeout: '0' is not a whole number from 1 to 3600"
	: >notadb
	echo garbage >notadb
	run_split mm-serve --db notadb --listen 127.0.0.1:0
	assert_failure 3
	assert_regex "$stderr" '^mm-serve: notadb: '
	serve --db "$BATS_FILE_TMPDIR/d.db" --models "$BATS_FILE_TMPDIR/m"
	run_split mm-serve --db "$BATS_FILE_TMPDIR/d.db" --listen 127.0.0.1:$PORT
	assert_failure 3
	assert_regex "$stderr" "^mm-serve: cannot listen on 127.0.0.1:$PORT: "
	run_split mm-serve extra
	assert_failure 2
}

@test "GET /: the dashboard renders in headless Chromium, self-contained, reloading itself" {
	serve --db "$BATS_FILE_TMPDIR/d.db" --models "$BATS_FILE_TMPDIR/m"
	run curl -s -D headers -o page.html "$URL/"
	assert_success
	grep -q '^Content-Type: text/html; charset=utf-8' headers
	grep -q "^Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; img-src data:" headers
	grep -q '<meta http-equiv="refresh" content="30">' page.html
	# The page is mm-report's, over the last 24 hours of the data.
	grep -q '<section id="trust">' page.html
	run "$MM_TOP/tests/report_screenshot.sh" "$URL/" shot.png
	[ "$status" -ne 77 ] || skip "chromium is not installed"
	assert_success
}
