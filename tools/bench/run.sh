#!/usr/bin/env bash
# The benchmark suite behind `tools/dev bench`:
#   tools/bench/run.sh <build dir> <pg port> <out dir> [scenario...]
#
# Scenarios (default: all, in this order):
#   baselines    pgbench (100-row INSERT batches, 4 clients; single-row
#                autocommit INSERTs, 1 client) and wrk -t1 -c64 on /healthz
#   product-get  wrk -t1 -c64 on GET /api/v1/products/{sku} over 100 SKUs
#   cart-add     wrk -t1 -c64 on POST /api/v1/carts/{id}/items (cart_add.sh)
#   browse, cart, checkout, mixed
#                agora-load closed loop with $CUSTOMERS customers; NAME:N runs
#                it with N customers (e.g. checkout:1 checkout:16 checkout:64)
#   checkout-aged
#                checkout on a catalogue that has sold for a while: every item
#                has 1,000,000 more units and remembers 10,000 finished and
#                committed reservations (made-up ids), as an item does after
#                selling that many; checkout-aged:N with N customers
#   flash-sale   agora-load: $FLASH_CUSTOMERS customers race for $FLASH_STOCK units;
#                flash-sale:CxS has C customers race for S units (results
#                flash-sale-CxS), e.g. flash-sale:12000x100
#
# Every scenario gets a fresh database on the PostgreSQL at <pg port> (fsync
# on) and a fresh Release agora-node seeded with the demo catalogue, then
# ANALYZEd, then CHECKPOINTed. While a scenario's measured window runs, the
# CPU time of the node, of PostgreSQL's processes, of the load generator and
# of the whole machine is read from
# /proc, with the node's context switches, the journal's events and commits
# (/metrics) and PostgreSQL's committed transactions. Results go to
# <out dir>: per scenario NAME.txt (the tool's output), NAME.json (agora-load
# results) and NAME.cpu.json (the CPU and journal sample). report.py turns
# them into the dated report of docs/PERFORMANCE.md.
#
# Environment: AGORA_BENCH_DURATION (measured seconds, default 20),
# AGORA_BENCH_WARMUP (5), AGORA_BENCH_CUSTOMERS (64), AGORA_BENCH_FLASH_CUSTOMERS
# (2000), AGORA_BENCH_FLASH_STOCK (500), AGORA_BENCH_HTTP_PORT (18391),
# AGORA_BENCH_NODE_ARGS (extra node flags).
set -euo pipefail

usage() { sed -n '/^set -euo/q; 2,$s/^# \{0,1\}//p' "$0"; }
(($# >= 3)) || { usage >&2; exit 2; }
BUILD=$1 PG_PORT=$2 OUT=$3
shift 3
SCENARIOS=("$@")
((${#SCENARIOS[@]})) ||
  SCENARIOS=(baselines product-get cart-add browse cart checkout checkout-aged flash-sale
    flash-sale:12000x100 mixed)
DURATION=${AGORA_BENCH_DURATION:-20}
WARMUP=${AGORA_BENCH_WARMUP:-5}
CUSTOMERS=${AGORA_BENCH_CUSTOMERS:-64}
FLASH_CUSTOMERS=${AGORA_BENCH_FLASH_CUSTOMERS:-2000}
FLASH_STOCK=${AGORA_BENCH_FLASH_STOCK:-500}
HTTP_PORT=${AGORA_BENCH_HTTP_PORT:-18391}
BASE=http://127.0.0.1:$HTTP_PORT
NODE=$BUILD/tools/agora-node/agora-node
LOAD=$BUILD/tools/agora-load/agora-load
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../pg/pg.sh
source "$HERE/../pg/pg.sh"
mkdir -p "$OUT"
for bin in "$NODE" "$LOAD"; do
  [[ -x $bin ]] || { echo "run.sh: $bin is not built" >&2; exit 2; }
done

# -- the node ---------------------------------------------------------------------

NODE_PID=""
stop_node() {
  if [[ -n $NODE_PID ]]; then
    kill -TERM "$NODE_PID" 2>/dev/null || true
    wait "$NODE_PID" 2>/dev/null || true
    NODE_PID=""
  fi
}
trap stop_node EXIT

DB=""
start_node() { # scenario name [node flags]: a fresh database agora_bench_<name>, a node on it
  DB="agora_bench_${1//-/_}"
  if curl -s -o /dev/null "$BASE/healthz"; then
    echo "run.sh: port $HTTP_PORT is taken by another server (set AGORA_BENCH_HTTP_PORT)" >&2
    return 1
  fi
  pg_psql "$PG_PORT" postgres -q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
  : >"$OUT/$1.node.log"
  launch_node "$@"
}

launch_node() { # scenario name [node flags]: a node on $DB (seeded if empty), ready
  # shellcheck disable=SC2086 # AGORA_BENCH_NODE_ARGS is a list of flags
  "$NODE" --catalogue.seed_demo=true --http.port="$HTTP_PORT" --log.level=warn \
    ${AGORA_BENCH_NODE_ARGS:-} "${@:2}" --pg.conninfo="$(pg_conninfo "$PG_PORT" "$DB")" \
    >>"$OUT/$1.node.log" 2>&1 &
  NODE_PID=$!
  for _ in $(seq 1 150); do
    kill -0 "$NODE_PID" 2>/dev/null || break
    if curl -sf "$BASE/readyz" >/dev/null 2>&1; then
      wait_for_catalogue
      return 0
    fi
    sleep 0.2
  done
  echo "run.sh: the node did not become ready; its log:" >&2
  cat "$OUT/$1.node.log" >&2
  return 1
}

# Table statistics as a running shop has them: autovacuum gathers them only
# after a minute or so, and without them the planner's choice for the product
# list varied between runs of the same scenario (0.1 or 0.7 ms per query).
# Then a CHECKPOINT, so that a checkpoint begun by what ran before (the
# baselines' pgbench writes half a gigabyte of WAL; PostgreSQL spreads that
# checkpoint over a minute and then syncs every file it wrote) does not stall
# this scenario's commits: in a fresh cluster it put cart-add's p99 at 52 ms.
# A checkpoint the scenario's own writes call for still runs inside it.
settle_database() {
  pg_psql "$PG_PORT" "$DB" -q -c "ANALYZE" -c "CHECKPOINT"
}

# The product list is a read model filled a moment after the seed: wait until
# it lists products, so no scenario starts on a half-empty catalogue.
wait_for_catalogue() {
  for _ in $(seq 1 100); do
    [[ $(curl -sf "$BASE/api/v1/products?limit=50" | python3 -c \
      'import json,sys; print(len(json.load(sys.stdin).get("items", [])))' 2>/dev/null) == 50 ]] &&
      { sleep 1; settle_database; return 0; }
    sleep 0.2
  done
  echo "run.sh: the catalogue stayed empty" >&2
  return 1
}

# -- what a measured window costs -------------------------------------------------

ticks_of() { # CPU ticks (utime + stime) of a process and its threads
  awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
pg_ticks() { # the postmaster listening on PG_PORT and its children
  local master sum pid
  master=$(pgrep -o -f -- "-p $PG_PORT " || true)
  [[ -n $master ]] || { echo 0; return; }
  # The postmaster's own ticks and those of its children that have ended
  # (cutime + cstime): a backend that exits inside the window keeps counting.
  sum=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$master/stat" 2>/dev/null || echo 0)
  for pid in $(pgrep -P "$master"); do
    sum=$((sum + $(ticks_of "$pid")))
  done
  echo "$sum"
}
machine_idle() { # idle + iowait ticks of all CPUs
  awk '/^cpu / { print $5 + $6 }' /proc/stat
}
journal() { # events, commits
  curl -sf "$BASE/metrics" | awk '
    $1 == "agora_journal_events_total" { e = $2 }
    $1 == "agora_journal_batch_events_count" { c = $2 }
    END { printf "%d %d", e, c }'
}
switches_of() { # context switches (voluntary and not) of a process's threads
  cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'
}
pg_commits() { # transactions committed in the scenario's database
  pg_psql "$PG_PORT" postgres -tA -c "SELECT xact_commit FROM pg_stat_database WHERE datname = '$DB'"
}
sample() {
  # The load generator first: after a flash sale's "load done" line it
  # verifies and exits within tens of milliseconds, which reading
  # PostgreSQL's processes took before it was read.
  local at load
  at=$(date +%s.%N)
  load=$(ticks_of "$1")
  echo "$at $(ticks_of "$NODE_PID") $(pg_ticks) $load $(machine_idle) $(journal)" \
    "$(switches_of "$NODE_PID") $(pg_commits)"
}

# measure NAME PID DELAY LENGTH: samples the window [DELAY, DELAY + LENGTH) s
# after now while PID (the load generator) runs; writes NAME.cpu.json.
measure() {
  local name=$1 pid=$2 s0
  sleep "$3"
  s0=$(sample "$pid")
  sleep "$4"
  window "$name" "$s0" "$(sample "$pid")"
}

# window NAME S0 S1: writes NAME.cpu.json from two samples.
window() {
  # shellcheck disable=SC2086 # the samples are lists of numbers
  python3 - "$(nproc)" "$(getconf CLK_TCK)" $2 $3 >"$OUT/$1.cpu.json" <<'PY'
import json, sys
cpus, hz = int(sys.argv[1]), float(sys.argv[2])
t0, n0, p0, l0, m0, e0, c0, x0, k0, t1, n1, p1, l1, m1, e1, c1, x1, k1 = map(float, sys.argv[3:])
wall = t1 - t0
pct = lambda a, b: round(100.0 * (b - a) / hz / wall, 1)
machine = round(100.0 * cpus - pct(m0, m1), 1)
# A load generator that is gone at a sample reads as 0 ticks: unknown.
load = pct(l0, l1) if l0 > 0 and l1 >= l0 else None
json.dump({"seconds": round(wall, 2), "cpus": cpus, "node_pct": pct(n0, n1),
           "postgres_pct": pct(p0, p1), "load_pct": load, "machine_pct": machine,
           "journal_events_per_s": round((e1 - e0) / wall), "journal_commits_per_s": round((c1 - c0) / wall),
           "node_switches_per_s": round((x1 - x0) / wall), "pg_commits_per_s": round((k1 - k0) / wall)},
          sys.stdout)
PY
}

# await_line PID FILE PATTERN: waits until FILE has a line matching PATTERN
# (status 0) or PID has exited without one (status 1).
await_line() {
  grep -q -m1 -e "$3" < <(tail --pid="$1" -n +1 -f "$2" 2>/dev/null)
}

# -- scenarios ----------------------------------------------------------------------

run_baselines() {
  echo "== baselines"
  AGORA_BENCH_SECONDS=10 "$HERE/baselines.sh" "$(pg_conninfo "$PG_PORT" postgres)" "$BASE" \
    | tee "$OUT/baselines.txt"
}

run_wrk() { # name lua-script-or-empty path
  local name=$1 script=$2 path=$3 args=(-t1 -c64 -d"${DURATION}s" --latency)
  [[ -z $script ]] || args+=(-s "$script")
  wrk "${args[@]}" "$BASE$path" >"$OUT/$name.txt" 2>&1 &
  local pid=$!
  measure "$name" "$pid" 2 $((DURATION - 4))
  wait "$pid"
  grep -E "Requests/sec|50%|99%|requests:" "$OUT/$name.txt"
}

run_product_get() {
  echo "== product-get: wrk -t1 -c64 -d${DURATION}s GET /api/v1/products/{sku} (100 SKUs)"
  curl -sf "$BASE/api/v1/products?limit=100" | python3 -c \
    'import json,sys; [print(p["sku"]) for p in json.load(sys.stdin)["items"]]' >"$OUT/product-get.skus"
  AGORA_BENCH_SKUS="$OUT/product-get.skus" run_wrk product-get "$HERE/product_get.lua" /
}

run_cart_add() {
  echo "== cart-add: wrk -t1 -c64 -d${DURATION}s POST /api/v1/carts/{id}/items"
  "$HERE/cart_add.sh" "$BASE" 64 "$DURATION" >"$OUT/cart-add.txt" 2>&1 &
  local pid=$!
  # cart_add.sh sets up products and carts first; wrk's window starts later.
  local waited=0
  until pgrep -P "$pid" -x wrk >/dev/null || ((waited > 600)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  measure cart-add "$(pgrep -P "$pid" -x wrk || echo "$pid")" 2 $((DURATION - 4))
  wait "$pid"
  grep -E "Requests/sec|50%|99%|requests:|journal:" "$OUT/cart-add.txt"
}

run_load() { # name agora-load arguments...
  local name=$1
  shift
  echo "== $name: agora-load $*"
  "$LOAD" --url "$BASE" --progress=never --out "$OUT/$name.json" "$@" >"$OUT/$name.txt" 2>&1 &
  local pid=$!
  measure "$name" "$pid" $((WARMUP + 1)) $((DURATION - 2))
  local status=0
  wait "$pid" || status=$?
  sed -n '/^  journey/,/^$/p; /verification/,$p' "$OUT/$name.txt"
  return "$status"
}

run_flash_sale() { # name customers stock
  local name=$1 customers=$2 stock=$3
  echo "== $name: agora-load, $customers customers, $stock units"
  # The window is the race: from agora-load's start line (the carts are
  # filled by then) to its "load done" line, so set-up and verification are
  # not in it. tail follows the output by inotify: a polling loop would take
  # CPU from a race that saturates the machine.
  local pid s0 status=0 txt="$OUT/$name.txt"
  "$LOAD" --url "$BASE" --progress=never --out "$OUT/$name.json" --scenario flash-sale \
    --customers "$customers" --stock "$stock" >"$txt" 2>&1 &
  pid=$!
  if await_line "$pid" "$txt" "^agora-load flash-sale:"; then
    s0=$(sample "$pid")
    await_line "$pid" "$txt" "^agora-load: load done" && window "$name" "$s0" "$(sample "$pid")"
  fi
  wait "$pid" || status=$?
  sed -n '/verification/,$p' "$txt"
  return "$status"
}

# checkout-aged's catalogue. Its first node snapshots every event, so the
# seed leaves each item a snapshot; each item gets 1,000,000 units through
# the API; then, with the node stopped, each snapshot is given the finished
# and committed ids an item remembers after selling 10,000 reservations, and
# a node with the usual settings starts on it.
age_catalogue() { # scenario name
  python3 - "$BASE" <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=None if body is None else json.dumps(body).encode())
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"{}")
token = call("POST", "/api/v1/auth/login",
             {"email": "admin@agora.local", "password": "agora-admin-dev"})["token"]
cursor = ""
while True:
    page = call("GET", "/api/v1/products?limit=100" + (f"&cursor={cursor}" if cursor else ""))
    for p in page["items"]:
        call("POST", f"/api/v1/inventory/{p['sku']}/adjust",
             {"delta": 1000000, "reason": "received"}, token)
    cursor = page.get("next_cursor")
    if not cursor:
        break
PY
  stop_node
  pg_psql "$PG_PORT" "$DB" -q -c "
    WITH ids AS (SELECT jsonb_agg(format('%s-aged/reserve_inventory', md5(g::text)) ORDER BY g) AS a
                 FROM generate_series(1, 10000) g)
    UPDATE snapshots SET state = state || jsonb_build_object('finished', ids.a, 'committed', ids.a)
      FROM ids WHERE persistence_id LIKE 'inventory|%'"
  launch_node "$1"
}

failed=()
for s in "${SCENARIOS[@]}"; do
  name=${s%%:*} customers=$CUSTOMERS
  [[ $s != *:* ]] || customers=${s#*:}
  case $name in
    baselines | product-get | cart-add) [[ $s != *:* ]] ;;
    flash-sale) [[ $s != *:* || $customers =~ ^[1-9][0-9]*x[1-9][0-9]*$ ]] ;;
    browse | cart | checkout | checkout-aged | mixed) [[ $customers =~ ^[1-9][0-9]*$ ]] ;;
    *) false ;;
  esac || { echo "run.sh: unknown scenario $s" >&2; exit 2; }
  flags=()
  [[ $name != checkout-aged ]] || flags=(--entity.snapshot_every=1) # see age_catalogue
  start_node "${s/:/-}" "${flags[@]}" # its database and log are named after its results
  case $name in
    baselines) run_baselines ;;
    product-get) run_product_get ;;
    cart-add) run_cart_add ;;
    checkout-aged)
      age_catalogue "${s/:/-}"
      run_load "${s/:/-}" --scenario checkout --customers "$customers" --duration "$DURATION" \
        --warmup "$WARMUP" || failed+=("$s")
      ;;
    flash-sale)
      if [[ $s == *:* ]]; then
        run_flash_sale "flash-sale-$customers" "${customers%x*}" "${customers#*x}"
      else
        run_flash_sale flash-sale "$FLASH_CUSTOMERS" "$FLASH_STOCK"
      fi || failed+=("$s")
      ;;
    *)
      # Results of NAME:N are named NAME-N.
      run_load "${s/:/-}" --scenario "$name" --customers "$customers" --duration "$DURATION" \
        --warmup "$WARMUP" || failed+=("$s")
      ;;
  esac
  stop_node
done
if ((${#failed[@]})); then
  echo "run.sh: verification failed in: ${failed[*]}" >&2
  exit 1
fi
