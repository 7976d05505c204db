-- wrk script for bench/buy_bench.py: POST requests, each from another shopper.
--   wrk -tT ... -s bench/buy.lua URL -- MODE FILE THREADS OFFSET SKUS PAYMENT
-- MODE  "order": POST URL (/api/orders) with the member's saved address; each member
--         once (placing empties their cart): the thread stops when its members run out.
--       "cart": POST URL (/api/cart/lines) {"sku_id", "quantity": 1}, guests and SKUs in turn.
--       "bare": POST URL with no body, no cookie (the bare conditional-update view).
-- FILE  lines "sessionid csrftoken address_id"; thread k of THREADS takes lines k, k+T, ...
--       after skipping OFFSET lines (those a warm-up run used).
-- SKUS  comma-separated SKU ids for "cart"; PAYMENT the payment method for "order".
-- After the run, one line: BENCH {"requests":..,"rps":..,"p50_ms":..,"status":{...}}

local threads = {}
local count = 0

function setup(thread)
  thread:set("id", count)
  count = count + 1
  table.insert(threads, thread)
end

function init(args)
  mode, file = args[1], args[2]
  local nthreads, offset = tonumber(args[3] or "1"), tonumber(args[4] or "0")
  skus = {}
  for s in string.gmatch(args[5] or "", "[^,]+") do table.insert(skus, s) end
  payment = args[6] or "sandbox"
  shoppers = {}
  if file and mode ~= "bare" then
    local i = 0
    for line in io.lines(file) do
      if i >= offset and (i - offset) % nthreads == id then
        local key, csrf, address = string.match(line, "(%S+) (%S+) (%S+)")
        table.insert(shoppers, {key = key, csrf = csrf, address = address})
      end
      i = i + 1
    end
  end
  sent, used = 0, 0
  s2xx, s409, s4xx, s5xx, exhausted = 0, 0, 0, 0, 0
  stamp = tostring(os.time())
end

local function headers_for(shopper)
  return {
    ["Cookie"] = "sessionid=" .. shopper.key .. "; csrftoken=" .. shopper.csrf,
    ["X-CSRFToken"] = shopper.csrf,
    ["Content-Type"] = "application/json",
  }
end

function request()
  sent = sent + 1
  if mode == "bare" then
    return wrk.format("POST", wrk.path)
  end
  if mode == "cart" then
    local shopper = shoppers[(sent - 1) % #shoppers + 1]
    local sku = skus[(sent * 7 + id) % #skus + 1]
    local body = '{"sku_id":' .. sku .. ',"quantity":1}'
    return wrk.format("POST", wrk.path, headers_for(shopper), body)
  end
  if sent > #shoppers then  -- every member of this thread has placed an order
    exhausted = 1
    wrk.thread:stop()
  end
  used = math.min(sent, #shoppers)
  local shopper = shoppers[used]
  local body = string.format(
    '{"address_id":%s,"payment_method":"%s","idempotency_key":"bench-%s-%d-%d"}',
    shopper.address, payment, stamp, id, sent)
  return wrk.format("POST", wrk.path, headers_for(shopper), body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then s2xx = s2xx + 1
  elseif status == 409 then s409 = s409 + 1
  elseif status >= 500 then s5xx = s5xx + 1
  else s4xx = s4xx + 1 end
end

function done(summary, latency, requests)
  local t = {s2xx = 0, s409 = 0, s4xx = 0, s5xx = 0, used = 0, exhausted = 0}
  local most = 0  -- members used by the busiest thread: the next run skips that many rounds
  for _, thread in ipairs(threads) do
    for name, _ in pairs(t) do t[name] = t[name] + (thread:get(name) or 0) end
    most = math.max(most, thread:get("used") or 0)
  end
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"seconds":%.3f,"rps":%.2f,"p50_ms":%.3f,"p90_ms":%.3f,' ..
    '"p99_ms":%.3f,"max_ms":%.3f,"non_2xx_3xx":%d,"socket_errors":%d,' ..
    '"status":{"2xx":%d,"409":%d,"other_4xx":%d,"5xx":%d},"shoppers_used":%d,' ..
    '"shoppers_exhausted":%d,"rounds_used":%d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout,
    t.s2xx, t.s409, t.s4xx, t.s5xx, t.used, t.exhausted, most))
end
