-- wrk script: POST /api/v1/carts/{id}/items, spreading requests over the carts
-- listed (one id per line) in $AGORA_BENCH_CARTS and the SKUs in
-- $AGORA_BENCH_SKUS. Every (cart, SKU) request is formatted once, at start,
-- and there is no response() callback (wrk then parses every answer into
-- Lua values): the load generator shares the machine with the node, so its
-- cost per request is kept low. wrk itself counts answers with status >= 400
-- (summary.errors.status), which done() reports as errors.
local carts, skus = {}, {}
for line in io.lines(os.getenv("AGORA_BENCH_CARTS")) do carts[#carts + 1] = line end
for line in io.lines(os.getenv("AGORA_BENCH_SKUS")) do skus[#skus + 1] = line end

local requests = {}
local counter = 0

function init(args)
  -- Request i adds SKU floor(i / #carts) to cart i mod #carts: consecutive
  -- requests go to different carts.
  for i = 0, #carts * #skus - 1 do
    local cart = carts[(i % #carts) + 1]
    local sku = skus[(math.floor(i / #carts) % #skus) + 1]
    requests[i + 1] = wrk.format("POST", "/api/v1/carts/" .. cart .. "/items",
                                 {["Content-Type"] = "application/json"},
                                 '{"sku":"' .. sku .. '","quantity":1}')
  end
  -- Threads start at different offsets so they do not march in step.
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
