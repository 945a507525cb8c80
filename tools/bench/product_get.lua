-- wrk script: GET /api/v1/products/{sku}, cycling through the SKUs listed
-- (one per line) in $AGORA_BENCH_SKUS. Counts non-200 answers so the run
-- reports errors.
local skus = {}
for line in io.lines(os.getenv("AGORA_BENCH_SKUS")) do skus[#skus + 1] = line end

local counter = 0
local non200 = 0

function init(args)
  counter = math.random(0, #skus)
end

function request()
  counter = counter + 1
  return wrk.format("GET", "/api/v1/products/" .. skus[(counter % #skus) + 1])
end

function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("requests: %d, non-200: %d, p50: %.2f ms, p99: %.2f ms\n",
                         summary.requests, non200,
                         latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
