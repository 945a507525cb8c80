-- wrk script: POST /api/v1/carts/{id}/items, spreading requests over the carts
-- listed (one id per line) in $AGORA_BENCH_CARTS and the SKUs in
-- $AGORA_BENCH_SKUS. Counts non-200 answers so the run reports errors.
local carts, skus = {}, {}
for line in io.lines(os.getenv("AGORA_BENCH_CARTS")) do carts[#carts + 1] = line end
for line in io.lines(os.getenv("AGORA_BENCH_SKUS")) do skus[#skus + 1] = line end

local counter = 0
local non200 = 0

function init(args)
  -- Threads start at different offsets so they do not march in step.
  counter = math.random(0, #carts * #skus)
end

function request()
  counter = counter + 1
  local cart = carts[(counter % #carts) + 1]
  local sku = skus[(math.floor(counter / #carts) % #skus) + 1]
  return wrk.format("POST", "/api/v1/carts/" .. cart .. "/items",
                    {["Content-Type"] = "application/json"},
                    '{"sku":"' .. sku .. '","quantity":1}')
end

function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("requests: %d, non-2xx/errors: %d, p50: %.2f ms, p99: %.2f ms\n",
                         summary.requests, summary.errors.status,
                         latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
