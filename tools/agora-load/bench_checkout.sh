#!/usr/bin/env bash
# The checkout-journey measurement of docs/PERFORMANCE.md ("Checkout journey"):
#   tools/agora-load/bench_checkout.sh <build dir> <pg port> [http port] [levels...]
# For each concurrency level (default 1 16 64): a fresh database on the running
# PostgreSQL at <pg port>, a Release agora-node seeded with the demo catalogue,
# then `agora-load --scenario checkout --customers N --duration 20 --warmup 5`.
# While the measured window runs it reads the CPU time of the node, of the
# PostgreSQL server's processes, of agora-load and of the whole machine from
# /proc (so "other" is everything else on the box), the journal's commits
# (/metrics), PostgreSQL's WAL, checkpoints, autovacuums and the three tables
# read most by sequential scans, and keeps a `top -b -n1` snapshot. Ends with
# the trivial-endpoint baseline on a fresh node:
# wrk -t1 -c64 -d10s /healthz. Results go to $AGORA_BENCH_OUT (default
# ./bench-checkout-<date>): one JSON per level, top snapshots, a summary.
# Extra node flags: AGORA_BENCH_NODE_ARGS (e.g. --payments.gateway_latency_ms=0).
set -euo pipefail

BUILD=${1:?usage: bench_checkout.sh <build dir> <pg port> [http port] [levels...]}
PG_PORT=${2:?usage: bench_checkout.sh <build dir> <pg port> [http port] [levels...]}
HTTP_PORT=${3:-18391}
shift $(($# < 3 ? $# : 3))
LEVELS=("$@")
((${#LEVELS[@]})) || LEVELS=(1 16 64)
DURATION=${AGORA_BENCH_DURATION:-20}
WARMUP=${AGORA_BENCH_WARMUP:-5}
OUT=${AGORA_BENCH_OUT:-bench-checkout-$(date -u +%Y%m%dT%H%M%SZ)}
NODE=$BUILD/tools/agora-node/agora-node
LOAD=$BUILD/tools/agora-load/agora-load
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../pg/pg.sh
source "$HERE/../pg/pg.sh"
mkdir -p "$OUT"

NODE_PID=""
stop_node() {
  if [[ -n $NODE_PID ]]; then
    kill -TERM "$NODE_PID" 2>/dev/null || true
    wait "$NODE_PID" 2>/dev/null || true
    NODE_PID=""
  fi
}
trap stop_node EXIT

start_node() { # database name
  if curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/healthz"; then
    echo "port $HTTP_PORT is taken by another server; pass a free http port" >&2
    return 1
  fi
  pg_psql "$PG_PORT" postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
  # shellcheck disable=SC2086 # AGORA_BENCH_NODE_ARGS is a list of flags
  "$NODE" --catalogue.seed_demo=true --http.port="$HTTP_PORT" --log.level=warn \
    ${AGORA_BENCH_NODE_ARGS:-} --pg.conninfo="$(pg_conninfo "$PG_PORT" "$1")" >"$OUT/node-$1-$run.log" 2>&1 &
  NODE_PID=$!
  for _ in $(seq 1 100); do
    kill -0 "$NODE_PID" 2>/dev/null || break
    curl -sf "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "node did not become ready; its log:" >&2
  cat "$OUT/node-$1-$run.log" >&2
  return 1
}

# CPU ticks (utime + stime) of a process and its threads.
ticks_of() {
  awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
# CPU ticks of the PostgreSQL server listening on PG_PORT: the postmaster
# (the oldest process with "-p PORT" on its command line) and its children.
pg_ticks() {
  local master sum pid
  master=$(pgrep -o -f -- "-p $PG_PORT " || true)
  [[ -n $master ]] || { echo 0; return; }
  sum=$(ticks_of "$master")
  for pid in $(pgrep -P "$master"); do
    sum=$((sum + $(ticks_of "$pid")))
  done
  echo "$sum"
}
machine_idle() { # idle + iowait ticks of all CPUs (exact even on a tickless kernel)
  awk '/^cpu / { print $5 + $6 }' /proc/stat
}
CPUS=$(nproc)
HZ=$(getconf CLK_TCK)
# PostgreSQL's WAL and checkpoint counters: records, full-page images, bytes, checkpoints.
wal() {
  pg_psql "$PG_PORT" postgres -tA -F ' ' -c "SELECT w.wal_records, w.wal_fpi, w.wal_bytes,
    b.checkpoints_timed + b.checkpoints_req FROM pg_stat_wal w, pg_stat_bgwriter b"
}
table_scans() { # database: "table seq_scan seq_tup_read idx_scan" per table
  pg_psql "$PG_PORT" "$1" -tA -F ' ' -c "SELECT relname, seq_scan, seq_tup_read,
    coalesce(idx_scan, 0) FROM pg_stat_user_tables"
}
autovacuums() { # database: autovacuum and autoanalyze runs on its tables so far
  pg_psql "$PG_PORT" "$1" -tA -c "SELECT coalesce(sum(autovacuum_count + autoanalyze_count), 0)
    FROM pg_stat_user_tables"
}
# The journal's counters: events, commits, seconds spent committing.
journal() {
  curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" | awk '
    $1 == "agora_journal_events_total" { e = $2 }
    $1 == "agora_journal_batch_events_count" { c = $2 }
    $1 == "agora_journal_commit_seconds_sum" { s = $2 }
    END { printf "%d %d %f", e, c, s }'
}

summary="$OUT/summary.txt"
: >"$summary"
run=0
for n in "${LEVELS[@]}"; do
  run=$((run + 1))
  db="agora_bench_c$n"
  tag="$run-c$n" # file names: the same level may run more than once
  start_node "$db"
  echo "== checkout, $n customers (node pid $NODE_PID, database $db)" | tee -a "$summary"
  "$LOAD" --url "http://127.0.0.1:$HTTP_PORT" --scenario checkout --customers "$n" \
    --duration "$DURATION" --warmup "$WARMUP" --progress=never --out "$OUT/checkout-$tag.json" \
    >"$OUT/checkout-$tag.txt" 2>&1 &
  load_pid=$!
  sleep $((WARMUP + 1))
  t0=$(date +%s.%N) n0=$(ticks_of "$NODE_PID") p0=$(pg_ticks) l0=$(ticks_of "$load_pid") m0=$(machine_idle)
  j0=$(journal) w0=$(wal) a0=$(autovacuums "$db")
  table_scans "$db" >"$OUT/tables0-$tag.txt"
  sleep $((DURATION / 2))
  top -b -n1 -w 200 | head -20 >"$OUT/top-$tag.txt"
  sleep $((DURATION / 2 - 2))
  t1=$(date +%s.%N) n1=$(ticks_of "$NODE_PID") p1=$(pg_ticks) l1=$(ticks_of "$load_pid") m1=$(machine_idle)
  j1=$(journal) w1=$(wal) a1=$(autovacuums "$db")
  table_scans "$db" >"$OUT/tables1-$tag.txt"
  wait "$load_pid" || echo "agora-load exited with $?" | tee -a "$summary"
  # shellcheck disable=SC2086 # j0, j1, w0 and w1 are lists of numbers
  python3 - "$t0" "$t1" "$n0" "$n1" "$p0" "$p1" "$l0" "$l1" "$m0" "$m1" "$HZ" $j0 $j1 "$CPUS" $w0 $w1 "$a0" "$a1" <<'PY' | tee -a "$summary"
import sys
(t0, t1, n0, n1, p0, p1, l0, l1, m0, m1, hz, e0, c0, s0, e1, c1, s1, cpus,
 wr0, wf0, wb0, ck0, wr1, wf1, wb1, ck1, av0, av1) = map(float, sys.argv[1:])
wall = t1 - t0
pct = lambda a, b: 100.0 * (b - a) / hz / wall
node, pg, load = pct(n0, n1), pct(p0, p1), pct(l0, l1)
machine = 100.0 * cpus - pct(m0, m1)
print(f"cpu over {wall:.1f} s (100% = one core, machine max 200%): node {node:.0f}%, "
      f"postgres {pg:.0f}%, agora-load {load:.0f}%, everything else {machine - node - pg - load:.0f}%, "
      f"machine {machine:.0f}%")
events, commits, secs = e1 - e0, c1 - c0, s1 - s0
print(f"journal over the same window: {events / wall:.0f} events/s in {commits / wall:.0f} commits/s "
      f"({events / max(commits, 1):.1f} events per commit, {1000 * secs / max(commits, 1):.2f} ms per commit)")
print(f"postgres WAL: {(wr1 - wr0) / wall:.0f} records/s, {(wb1 - wb0) / wall / 1e6:.1f} MB/s, "
      f"{(wf1 - wf0) / wall:.0f} full-page images/s, {ck1 - ck0:.0f} checkpoints, "
      f"{av1 - av0:.0f} autovacuum/autoanalyze runs")
PY
  python3 - "$OUT/tables0-$tag.txt" "$OUT/tables1-$tag.txt" "$t0" "$t1" <<'PY' | tee -a "$summary"
import sys
def load(path):
    rows = {}
    for line in open(path):
        f = line.split()
        if len(f) == 4:
            rows[f[0]] = tuple(int(x) for x in f[1:])
    return rows
a, b = load(sys.argv[1]), load(sys.argv[2])
wall = float(sys.argv[4]) - float(sys.argv[3])
d = {t: tuple(y - x for x, y in zip(a.get(t, (0, 0, 0)), v)) for t, v in b.items()}
top = sorted(d.items(), key=lambda kv: -kv[1][1])[:3]
print("table reads per second (seq scans / rows they read / index scans): " +
      ", ".join(f"{t} {s / wall:.0f} / {r / wall:.0f} / {i / wall:.0f}" for t, (s, r, i) in top))
PY
  sed -n '/^  request/,$p' "$OUT/checkout-$tag.txt" >>"$summary"
  stop_node
done

start_node agora_bench_wrk
echo "== baseline: wrk -t1 -c64 -d10s /healthz" | tee -a "$summary"
wrk -t1 -c64 -d10s --latency "http://127.0.0.1:$HTTP_PORT/healthz" | tee "$OUT/wrk.txt" |
  grep -E "Requests/sec|50%|99%" | tee -a "$summary"
stop_node
echo "results in $OUT"
