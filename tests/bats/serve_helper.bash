# mm-serve in the background for a bats file: serve, get, and a
# teardown that stops it (and a Prometheus, if PROM is set).

# serve ARG...: mm-serve on a free port of 127.0.0.1, in the background;
# PORT, PID, URL and the log serve.log.
serve() {
	mm-serve --listen 127.0.0.1:0 "$@" 2>serve.log 3>&- &
	PID=$!
	for _ in $(seq 100); do
		grep -q 'listening on' serve.log 2>/dev/null && break
		sleep 0.05
	done
	PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\) .*/\1/p' serve.log)
	[ -n "$PORT" ] || fail "mm-serve did not start: $(cat serve.log)"
	URL=http://127.0.0.1:$PORT
}

teardown() {
	[ -n "${PID:-}" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	[ -n "${PROM:-}" ] && kill "$PROM" 2>/dev/null && wait "$PROM" 2>/dev/null
	return 0
}

# get PATH [CURL-ARG...]: status and body, as "STATUS BODY".
get() {
	curl -s -o body -w '%{http_code}' "$URL$1" "${@:2}"
	echo " $(cat body)"
}
