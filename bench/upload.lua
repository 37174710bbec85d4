-- wrk script: one-shot multipart uploads (POST /api/v1/documents) of a real PDF.
-- Every request carries unique bytes (a trailing comment after %%EOF) so the server's
-- per-user dedupe never short-circuits the work being measured.
-- Environment: BENCH_PDF (path), BENCH_TOKEN (JWT), BENCH_RUN (a run id).
-- done() prints one line: WRK requests=… rps=… p50_ms=… p90_ms=… p99_ms=… max_ms=…
--   non2xx=… socket_errors=…

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local boundary = "----ingestd-bench-7c1e"
local head, tail, headers
local counter = 0
bad = 0

function init(args)
  local f = assert(io.open(os.getenv("BENCH_PDF"), "rb"))
  local pdf = f:read("*a")
  f:close()
  head = "--" .. boundary .. "\r\n" ..
         "Content-Disposition: form-data; name=\"file\"; filename=\"bench.pdf\"\r\n" ..
         "Content-Type: application/pdf\r\n\r\n" .. pdf
  tail = "\r\n--" .. boundary .. "--\r\n"
  headers = {
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
    ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
  }
end

function request()
  counter = counter + 1
  local body = head .. "\n%bench " .. os.getenv("BENCH_RUN") .. "-" .. tid .. "-" ..
               counter .. "\n" .. tail
  return wrk.format("POST", "/api/v1/documents", headers, body)
end

function response(status, resp_headers, body)
  if status ~= 202 then
    bad = bad + 1
    if bad <= 3 then io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n") end
  end
end

function done(summary, latency, requests)
  local not_accepted = 0
  for _, t in ipairs(threads) do not_accepted = not_accepted + t:get("bad") end
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    "WRK requests=%d rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f " ..
    "not_accepted=%d socket_errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, not_accepted, socket_errors))
end
