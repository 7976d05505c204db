-- wrk script for bench/flash_bench.py: the flash sale crowd, each request another buyer.
--   wrk -tT ... -s bench/flash.lua URL -- FILE THREADS
-- FILE  lines "sessionid csrftoken flashtoken"; thread k of THREADS takes lines k, k+T, ...
--       and cycles through them (a refused buyer tries again, as crowds do).
-- After the run, one line: BENCH {"requests":..,"rps":..,"status":{...}}

local threads = {}
local count = 0

function setup(thread)
  thread:set("id", count)
  count = count + 1
  table.insert(threads, thread)
end

function init(args)
  local file, nthreads = args[1], tonumber(args[2] or "1")
  buyers = {}
  local i = 0
  for line in io.lines(file) do
    if i % nthreads == id then
      local key, csrf, token = string.match(line, "(%S+) (%S+) (%S+)")
      table.insert(buyers, {key = key, csrf = csrf, token = token})
    end
    i = i + 1
  end
  sent = 0
  s201, s409, s429, s4xx, s5xx = 0, 0, 0, 0, 0
end

function request()
  sent = sent + 1
  local b = buyers[(sent - 1) % #buyers + 1]
  local headers = {
    ["Cookie"] = "sessionid=" .. b.key .. "; csrftoken=" .. b.csrf,
    ["X-CSRFToken"] = b.csrf,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }
  local body = "token=" .. b.token .. "&key=flash-" .. id .. "-" .. sent
  return wrk.format("POST", wrk.path, headers, body)
end

function response(status, headers, body)
  if status == 201 or status == 200 then s201 = s201 + 1
  elseif status == 409 then s409 = s409 + 1
  elseif status == 429 then s429 = s429 + 1
  elseif status >= 500 then s5xx = s5xx + 1
  else s4xx = s4xx + 1 end
end

function done(summary, latency, requests)
  local t = {s201 = 0, s409 = 0, s429 = 0, s4xx = 0, s5xx = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(t) do t[name] = t[name] + (thread:get(name) or 0) end
  end
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'BENCH {"requests":%d,"seconds":%.3f,"rps":%.2f,"p50_ms":%.3f,"p99_ms":%.3f,' ..
    '"socket_errors":%d,"status":{"placed":%d,"409":%d,"429":%d,"other_4xx":%d,"5xx":%d}}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    t.s201, t.s409, t.s429, t.s4xx, t.s5xx))
end
