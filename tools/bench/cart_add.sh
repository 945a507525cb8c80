#!/usr/bin/env bash
# Measures durable cart add-item requests against a running node:
#   tools/bench/cart_add.sh [base_url] [connections] [seconds]
# Creates 20 products with 1,000,000 units each and one cart per connection,
# runs wrk, and reads the journal's events and commits from /metrics before
# and after to report events/s and the average batch size.
set -euo pipefail

BASE=${1:-http://127.0.0.1:8080}
CONNS=${2:-64}
SECS=${3:-15}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }

TOKEN=$(curl -sf -X POST "$BASE/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d '{"email":"admin@agora.local","password":"agora-admin-dev"}' | json_field token)
RUN=$(date +%s)
for i in $(seq 1 20); do
  sku="BENCH-$RUN-$i"
  curl -sf -o /dev/null -X POST "$BASE/api/v1/products" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' \
    -d "{\"sku\":\"$sku\",\"name\":\"Bench item $i\",\"description\":\"benchmark\",\"price_cents\":100,\"currency\":\"USD\",\"category\":\"Bench\",\"initial_stock\":1000000}"
  echo "$sku" >> "$WORK/skus"
done
for _ in $(seq 1 "$CONNS"); do
  curl -sf -X POST "$BASE/api/v1/carts" | json_field cart_id >> "$WORK/carts"
done

metric() { # sum of a metric family's samples (without labels filtering)
  curl -sf "$BASE/metrics" | awk -v m="$1" '$1 == m || index($1, m"{") == 1 { s += $2 } END { printf "%d", s }'
}
events0=$(metric agora_journal_events_total)
commits0=$(metric agora_journal_batch_events_count)

AGORA_BENCH_CARTS="$WORK/carts" AGORA_BENCH_SKUS="$WORK/skus" \
  wrk -t1 -c"$CONNS" -d"${SECS}s" --latency -s "$HERE/cart_add.lua" "$BASE"

events1=$(metric agora_journal_events_total)
commits1=$(metric agora_journal_batch_events_count)
events=$((events1 - events0))
commits=$((commits1 - commits0))
echo "journal: $events events in $commits commits over ${SECS}s:" \
  "$((events / SECS)) events/s, average batch $(python3 -c "print(round($events / max($commits, 1), 1))") events"
