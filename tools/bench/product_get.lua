-- wrk script: GET /api/v1/products/{sku}, cycling through the SKUs listed
-- (one per line) in $AGORA_BENCH_SKUS. As in cart_add.lua, the requests are
-- formatted once and there is no response() callback, so the load costs
-- about what the script-less /healthz baseline costs; wrk counts answers
-- with status >= 400 (summary.errors.status), reported as errors.
local skus = {}
for line in io.lines(os.getenv("AGORA_BENCH_SKUS")) do skus[#skus + 1] = line end

local requests = {}
local counter = 0

function init(args)
  for i, sku in ipairs(skus) do
    requests[i] = wrk.format("GET", "/api/v1/products/" .. sku)
  end
  counter = math.random(0, #requests - 1)
end

function request()
  counter = (counter + 1) % #requests
  return requests[counter + 1]
end

function done(summary, latency, requests)
  io.write(string.format("requests: %d, non-2xx/errors: %d, p50: %.2f ms, p99: %.2f ms\n",
                         summary.requests, summary.errors.status,
                         latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
