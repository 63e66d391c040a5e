-- wrk script of bench/serve.sh: POST /api/ingest, one 64-row batch
-- record a request, each with a batch_id no other request carries.
--
--   wrk ... -s bench/serve_ingest.lua URL -- FILE SECONDS PREFIX
--
-- FILE holds batch records, one a line, each starting with its
-- "batch_id"; the requests take them in turn, the id replaced by
-- PREFIX<thread>-<n>.  The key is $MM_API_KEY.
--
-- Exactly once needs every request sent to be answered before wrk
-- stops (wrk drops the requests under way when its time is up, and the
-- server may still store them).  So requests are sent for SECONDS only,
-- and wrk's -d must leave time after that: once SECONDS have passed,
-- delay() keeps each connection idle after its last answer.
--
-- After the run, one line of numbers for bench/serve.sh:
--
--   serve-wrk requests=N seconds=S non2xx=N ... max_ms=X
--     sent=N ok=N enriched=N span=S
--
-- sent counts the requests made, ok the answers with a 2xx status
-- (counted here, to compare with wrk's own count), enriched the 2xx
-- answers holding a record with its decision, span the seconds from the
-- first request sent to the last answer.

local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } serve_timespec;
int clock_gettime(int clock, serve_timespec *ts);
]]
local tsbuf = ffi.new("serve_timespec")

local function now()	-- CLOCK_MONOTONIC, the same for every thread
	ffi.C.clock_gettime(1, tsbuf)
	return tonumber(tsbuf.tv_sec) + tonumber(tsbuf.tv_nsec) * 1e-9
end

local threads = {}
local nthreads = 0

function setup(thread)
	thread:set("tid", nthreads)
	nthreads = nthreads + 1
	threads[nthreads] = thread
end

-- Per thread (each has a Lua state of its own).
local bodies = {}	-- the records less their '{"batch_id":"..."'
local seconds, prefix, headers
local first, deadline
local n = 0		-- requests made by request()
sent, ok, enriched, t_first, t_last = 0, 0, 0, 0, 0

function init(args)
	local f = assert(io.open(args[1], "rb"))
	for line in f:lines() do
		local rest = line:match('^{"batch_id":"[^"]*"(.*)$')
		assert(rest, "a line of " .. args[1] .. " has no batch_id first")
		bodies[#bodies + 1] = rest
	end
	f:close()
	assert(#bodies > 0, args[1] .. " is empty")
	seconds = assert(tonumber(args[2]), "SECONDS is not a number")
	prefix = args[3] .. tid .. "-"
	headers = {
		["Authorization"] = "Bearer " .. (os.getenv("MM_API_KEY") or ""),
		["Content-Type"] = "application/x-ndjson",
	}
end

-- Every request, the first of a connection too, comes after a delay()
-- that returned 0: that is where requests are counted and the clock
-- starts.  (wrk also calls request() once before the run, to look at
-- it, so request() counts nothing.)
local function clock()
	local t = now()
	if first == nil then
		first, deadline = t, t + seconds
		t_first = t
	end
	return t
end

function delay()
	if clock() >= deadline then
		return 3600 * 1000	-- time is up: send nothing more
	end
	sent = sent + 1
	return 0
end

function request()
	local body = '{"batch_id":"' .. prefix .. n .. '"' ..
	    bodies[n % #bodies + 1] .. "\n"
	n = n + 1
	return wrk.format("POST", "/api/ingest", headers, body)
end

function response(status, hdrs, body)
	t_last = now()
	if status >= 200 and status < 300 then
		ok = ok + 1
		if body:find('"decision":', 1, true) and
		    body:find('"batch_id":"' .. prefix, 1, true) == 2 then
			enriched = enriched + 1
		end
	elseif bad == nil then
		bad = status .. " " .. body:gsub("%s+$", "")
	end
end

function done(summary, latency, requests)
	local e = summary.errors
	local s, k, en, t0, t1 = 0, 0, 0, nil, 0
	for _, th in ipairs(threads) do
		s = s + th:get("sent")
		k = k + th:get("ok")
		en = en + th:get("enriched")
		local a, b = th:get("t_first"), th:get("t_last")
		if a > 0 and (t0 == nil or a < t0) then t0 = a end
		if b > t1 then t1 = b end
		local why = th:get("bad")
		if why ~= nil then
			io.stderr:write("serve_ingest.lua: first answer not 2xx: ",
			    why, "\n")
		end
	end
	io.write(string.format("serve-wrk requests=%d seconds=%.6f " ..
	    "non2xx=%d connect=%d read=%d write=%d timeout=%d " ..
	    "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
	    "sent=%d ok=%d enriched=%d span=%.6f\n",
	    summary.requests, summary.duration / 1e6, e.status, e.connect,
	    e.read, e.write, e.timeout, latency:percentile(50) / 1e3,
	    latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
	    latency.max / 1e3, s, k, en, t0 and t1 - t0 or 0))
end
