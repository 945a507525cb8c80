#!/usr/bin/env bash
# This machine's own limits, measured the same way each time, to put Agora's
# figures in proportion:
#   tools/bench/baselines.sh <pg conninfo> [node base_url]
# - PostgreSQL durable commits: pgbench, 100-row INSERT batches per
#   transaction (4 clients) and single-row autocommit INSERTs (1 client);
# - HTTP: wrk -t1 -c64 on the node's trivial /healthz.
set -euo pipefail

CONNINFO=${1:?usage: baselines.sh <pg conninfo> [base_url]}
BASE=${2:-http://127.0.0.1:8080}
SECS=${AGORA_BENCH_SECONDS:-10}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

psql "$CONNINFO" -q -c "DROP TABLE IF EXISTS bench_rows" \
  -c "CREATE TABLE bench_rows(id bigserial primary key, k text, v jsonb)"
cat > "$WORK/batch.sql" <<'SQL'
INSERT INTO bench_rows(k, v) SELECT 'key-' || g, '{"n": 1}'::jsonb FROM generate_series(1, 100) g;
SQL
cat > "$WORK/single.sql" <<'SQL'
INSERT INTO bench_rows(k, v) VALUES ('key', '{"n": 1}'::jsonb);
SQL
echo "== pgbench: 100-row INSERT per transaction, 4 clients, ${SECS}s"
pgbench -n -M prepared -c 4 -j 2 -T "$SECS" -f "$WORK/batch.sql" "$CONNINFO" |
  awk '/^tps/ { printf "%s tx/s = %d rows/s\n", $3, $3 * 100 }'
echo "== pgbench: single-row autocommit INSERT, 1 client, ${SECS}s"
pgbench -n -M prepared -c 1 -T "$SECS" -f "$WORK/single.sql" "$CONNINFO" |
  awk '/^tps/ { printf "%s commits/s\n", $3 }'
psql "$CONNINFO" -q -c "DROP TABLE bench_rows"
echo "== wrk -t1 -c64 -d${SECS}s $BASE/healthz"
wrk -t1 -c64 -d"${SECS}s" --latency "$BASE/healthz" | grep -E "Requests/sec|50%|99%"
