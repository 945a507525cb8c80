"""Durability: concurrent writers add items to carts while the node is killed
with SIGKILL (and, in a second round, stopped with SIGTERM) in the middle of
the load. After a restart on the same database every acknowledged add must
be there and nothing else may have appeared:

    acknowledged(cart, sku) <= quantity(cart, sku) <= acknowledged + in flight

where "in flight" counts the adds that got no answer (or a 5xx), whose fate
the client cannot know. The journal itself is checked with psql: every
entity's seq_nr runs 1..n with no gap and no duplicate, and no snapshot is
ahead of its journal."""

import collections
import http.client
import json
import random
import sys
import threading
import time
import unittest

import harness

N_CARTS = 20
N_PRODUCTS = 8
N_THREADS = 16
STOCK = 1_000_000


class LoadResult:
    """What the clients know about the adds they sent."""

    def __init__(self):
        self.acked = collections.Counter()      # (cart, sku) -> quantity answered 200
        self.uncertain = collections.Counter()  # (cart, sku) -> quantity with unknown fate
        self.rejected = []                      # 4xx answers (none are expected)
        self.refused = 0                        # never sent: connection refused
        self.requests = 0
        self.lock = threading.Lock()

    def merge(self, acked, uncertain, rejected, refused, requests):
        with self.lock:
            self.acked.update(acked)
            self.uncertain.update(uncertain)
            self.rejected.extend(rejected)
            self.refused += refused
            self.requests += requests

    def add(self, other):
        self.merge(other.acked, other.uncertain, other.rejected, other.refused, other.requests)


def writer(port, carts, skus, stop, result, seed):
    rng = random.Random(seed)
    acked, uncertain = collections.Counter(), collections.Counter()
    rejected, refused, requests = [], 0, 0
    conn = None
    while not stop.is_set():
        cart, sku, qty = rng.choice(carts), rng.choice(skus), rng.randint(1, 3)
        body = json.dumps({"sku": sku, "quantity": qty})
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
            try:
                conn.connect()
            except ConnectionRefusedError:
                conn = None
                refused += 1
                time.sleep(0.02)
                continue
            except OSError:
                conn = None
                time.sleep(0.02)
                continue
        requests += 1
        try:
            conn.request("POST", "/api/v1/carts/%s/items" % cart, body=body,
                         headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            payload = resp.read()
            status = resp.status
            if resp.will_close:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException):
            uncertain[(cart, sku)] += qty
            conn.close()
            conn = None
            continue
        if status == 200:
            acked[(cart, sku)] += qty
        elif status >= 500:
            uncertain[(cart, sku)] += qty
        else:
            rejected.append((status, payload[:300]))
    if conn is not None:
        conn.close()
    result.merge(acked, uncertain, rejected, refused, requests)


class DurabilityTest(harness.NodeTestCase):
    # Snapshots often, so recovery goes through snapshot + tail as well.
    node_flags = ("--entity.snapshot_every=7",)

    def run_load(self, seconds, action_at, action):
        """Writers for `seconds`; `action()` (kill or stop) after `action_at`."""
        result = LoadResult()
        stop = threading.Event()
        port = self.node.port
        threads = [threading.Thread(target=writer, daemon=True,
                                    args=(port, self.carts, self.skus, stop, result,
                                          random.random()))
                   for _ in range(N_THREADS)]
        start = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(action_at)
        action_result = action()
        time.sleep(max(0.0, seconds - (time.monotonic() - start)))
        stop.set()
        for t in threads:
            t.join(60)
        self.assertFalse(any(t.is_alive() for t in threads), "writers did not stop")
        return result, action_result

    def check_carts(self, total, phase):
        """Every cart against the bounds; returns {cart: body}."""
        api = self.node.client()
        bodies = {}
        problems = []
        try:
            for cart in self.carts:
                r = api.get("/api/v1/carts/" + cart)
                self.assertEqual(r.status, 200, r)
                bodies[cart] = r.json
                got = {i["sku"]: i["quantity"] for i in r.json["items"]}
                for sku in set(self.skus) | set(got):
                    q = got.get(sku, 0)
                    lo = total.acked[(cart, sku)]
                    hi = lo + total.uncertain[(cart, sku)]
                    if not lo <= q <= hi:
                        problems.append("cart %s sku %s: quantity %d, acknowledged %d, "
                                        "in flight %d" % (cart, sku, q, lo, hi - lo))
                subtotal = sum(i["line_total_cents"] for i in r.json["items"])
                self.assertEqual(r.json["subtotal_cents"], subtotal, r)
        finally:
            api.close()
        self.assertEqual(problems, [], "%s: acknowledged writes lost or phantom writes" % phase)
        return bodies

    def check_journal(self):
        rows = self.db.query(
            "SELECT persistence_id, count(*), count(DISTINCT seq_nr), min(seq_nr), max(seq_nr) "
            "FROM journal GROUP BY persistence_id")
        by_pid = {}
        bad = []
        for pid, n, distinct, lo, hi in rows:
            n, distinct, lo, hi = int(n), int(distinct), int(lo), int(hi)
            by_pid[pid] = hi
            if not (n == distinct == hi and lo == 1):
                bad.append("%s: %d rows, %d distinct, seq_nr %d..%d" % (pid, n, distinct, lo, hi))
        self.assertEqual(bad, [], "journal seq_nr not contiguous from 1")
        for cart in self.carts:
            self.assertIn("cart|" + cart, by_pid, "no journal for cart %s" % cart)
        snaps = self.db.query("SELECT persistence_id, seq_nr FROM snapshots")
        ahead = ["%s: snapshot at %s, journal ends at %s" % (pid, seq, by_pid.get(pid))
                 for pid, seq in snaps if int(seq) > by_pid.get(pid, 0)]
        self.assertEqual(ahead, [], "snapshots ahead of the journal")
        return by_pid, snaps

    def report(self, phase, result):
        sys.stderr.write(
            "\n  %s: %d requests, %d acknowledged units, %d units in flight, %d refused\n"
            % (phase, result.requests, sum(result.acked.values()),
               sum(result.uncertain.values()), result.refused))

    def test_acknowledged_writes_survive_sigkill_and_sigterm(self):
        self.skus = [self.create_product(name="Durable %02d" % i, price_cents=100 + i,
                                         initial_stock=STOCK)["sku"]
                     for i in range(N_PRODUCTS)]
        self.carts = [self.create_cart()["cart_id"] for _ in range(N_CARTS)]
        self.api.close()
        total = LoadResult()

        # Round 1: SIGKILL in the middle of the load.
        def kill():
            self.node.kill()
            return time.monotonic()
        result, _ = self.run_load(3.0, 1.8, kill)
        self.report("SIGKILL round", result)
        self.assertEqual(result.rejected, [], "unexpected 4xx answers under load")
        self.assertGreater(sum(result.acked.values()), 100, "too little load to mean anything")
        total.add(result)
        self.node.start()
        self.check_carts(total, "after SIGKILL")
        self.check_journal()

        # Round 2: SIGTERM in the middle of the load (graceful: in-flight
        # requests finish, then the process exits 0).
        stopped = {}

        def terminate():
            stopped["result"] = self.node.stop()
        result, _ = self.run_load(2.0, 1.0, terminate)
        self.report("SIGTERM round", result)
        self.assertEqual(result.rejected, [], "unexpected 4xx answers under load")
        code, in_time = stopped["result"]
        self.assertTrue(in_time, "no exit within the grace period after SIGTERM")
        self.assertEqual(code, 0, "exit code after SIGTERM\n" + self.node.log_tail())
        total.add(result)
        self.node.start()
        bodies = self.check_carts(total, "after SIGTERM")

        # The recovered carts go on from where their journals end.
        api = self.node.client()
        try:
            for cart in self.carts:
                sku = random.choice(self.skus)
                before = {i["sku"]: i["quantity"] for i in bodies[cart]["items"]}.get(sku, 0)
                r = api.post("/api/v1/carts/%s/items" % cart, {"sku": sku, "quantity": 1})
                self.assertEqual(r.status, 200, r)
                after = {i["sku"]: i["quantity"] for i in r.json["items"]}[sku]
                self.assertEqual(after, before + 1, r)
                self.assertGreater(r.json["version"], bodies[cart]["version"], r)
        finally:
            api.close()
        by_pid, snaps = self.check_journal()
        cart_snaps = [pid for pid, _ in snaps if pid.startswith("cart|")]
        busiest = max(by_pid["cart|" + c] for c in self.carts)
        if busiest >= 7:
            self.assertTrue(cart_snaps, "snapshot_every=7 but no cart has a snapshot")


if __name__ == "__main__":
    unittest.main()
