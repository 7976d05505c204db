-- wrk script for bench/run.py: GETs and form POSTs, one machine-readable line at the end.
--   wrk -tT ... -s bench/shop.lua URL -- MODE [FILE] [THREADS]
-- MODE "get":       GET URL (a cookie, when needed, comes in through wrk's -H option).
--      "post":      POST URL with no body (the floors' conditional stock update).
--      "paths":     GET the paths of FILE (one a line) in turn; thread k of THREADS starts
--                   k/THREADS of the way down the list, so the threads do not move together.
--      "guest-add": POST URL (the shop's add-to-cart form) as a new guest every time: no
--                   session cookie, a fresh CSRF cookie and token; FILE lines "sku_id path"
--                   (the SKU to add, the product page the form was on).
-- After the run: BENCH {"requests":..,"rps":..,"p50_ms":..,"status":{"2xx":..,...},"distinct":..}

local threads = {}
local count = 0

function setup(thread)
  thread:set("id", count)
  count = count + 1
  table.insert(threads, thread)
end

function init(args)
  mode, file = args[1] or "get", args[2]
  local nthreads = tonumber(args[3] or "1")
  lines = {}
  if file and file ~= "" then
    for line in io.lines(file) do
      if line ~= "" then table.insert(lines, line) end
    end
  end
  nlines = #lines
  pos = math.floor(#lines * id / nthreads)
  s2xx, s3xx, s4xx, s5xx = 0, 0, 0, 0
  math.randomseed(os.time() * 1000 + id)
end

local CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

local function secret()  -- a CSRF secret as Django makes them: 32 letters and digits
  local t = {}
  for i = 1, 32 do
    local k = math.random(1, #CHARS)
    t[i] = CHARS:sub(k, k)
  end
  return table.concat(t)
end

local function quote(s)
  return (s:gsub("[^%w%-_%.~/]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function request()
  if mode == "get" then return wrk.format("GET", wrk.path) end
  if mode == "post" then return wrk.format("POST", wrk.path) end
  pos = pos % #lines + 1
  local line = lines[pos]
  if mode == "paths" then return wrk.format("GET", line) end
  local sku, page = line:match("(%S+) (%S+)")
  local token = secret()
  local body = "sku=" .. sku .. "&quantity=1&next=" .. quote(page) ..
    "&csrfmiddlewaretoken=" .. token
  return wrk.format("POST", wrk.path, {
    ["Cookie"] = "csrftoken=" .. token,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end

function response(status, headers, body)
  if status < 300 then s2xx = s2xx + 1
  elseif status < 400 then s3xx = s3xx + 1
  elseif status < 500 then s4xx = s4xx + 1
  else s5xx = s5xx + 1 end
end

function done(summary, latency, requests)
  local t = {s2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(t) do t[name] = t[name] + (thread:get(name) or 0) end
  end
  local distinct = math.max(1, threads[1] and threads[1]:get("nlines") or 1)
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"seconds":%.3f,"rps":%.2f,"p50_ms":%.3f,"p90_ms":%.3f,' ..
    '"p99_ms":%.3f,"max_ms":%.3f,"non_2xx_3xx":%d,"socket_errors":%d,' ..
    '"status":{"2xx":%d,"3xx":%d,"4xx":%d,"5xx":%d},"distinct":%d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout,
    t.s2xx, t.s3xx, t.s4xx, t.s5xx, distinct))
end
