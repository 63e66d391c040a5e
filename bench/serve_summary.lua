-- wrk script of bench/serve.sh: after the run, one line of numbers the
-- script reads, instead of wrk's own text (whose units change with the
-- size of the number):
--
--   serve-wrk requests=N seconds=S non2xx=N connect=N read=N write=N
--     timeout=N p50_ms=X p90_ms=X p99_ms=X max_ms=X
--
-- non2xx counts the answers wrk calls errors (a status of 400 or more,
-- wrk's "Non-2xx or 3xx responses"); connect, read, write and timeout
-- are its socket errors.

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("serve-wrk requests=%d seconds=%.6f " ..
	    "non2xx=%d connect=%d read=%d write=%d timeout=%d " ..
	    "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
	    summary.requests, summary.duration / 1e6, e.status, e.connect,
	    e.read, e.write, e.timeout, latency:percentile(50) / 1e3,
	    latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
	    latency.max / 1e3))
end
