"""agora-load against a real node: a flash sale whose carts are filled before
the sale opens (only the checkouts are measured) sells exactly the stock and
verifies itself; a short closed-loop checkout run verifies itself too; more
customers than the node takes connections are all served; a set-up that fails
exits 3 and says why."""

import json
import os
import subprocess
import tempfile
import unittest

import harness


class AgoraLoadTest(harness.NodeTestCase):
    node_flags = ("--catalogue.seed_demo=true",)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The product list is a read model filled a moment after the seed.
        harness.wait_until(lambda: cls.api.get("/api/v1/products?limit=1").json["items"],
                           timeout=30, what="the demo catalogue to be listed")

    def run_load(self, *args, port=None, ok=True):
        """Runs agora-load against the node (or `port`). `ok`: it must pass,
        and its result file and output are returned; otherwise the process."""
        binary = os.environ.get("AGORA_LOAD_BIN", "")
        self.assertTrue(os.access(binary, os.X_OK), "AGORA_LOAD_BIN=%r" % binary)
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "result.json")
            proc = subprocess.run(
                [binary, "--url", "http://127.0.0.1:%d" % (port or self.node.port),
                 "--progress", "never", "--out", out, "--seed", "7", *args],
                capture_output=True, text=True, timeout=240)
            if not ok:
                self.assertFalse(os.path.exists(out), proc.stdout + proc.stderr)
                return proc
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
            with open(out) as f:
                return json.load(f), proc.stdout

    def test_a_set_up_that_fails_exits_3_and_says_why(self):
        proc = self.run_load("--scenario", "cart", "--customers", "2", "--duration", "1",
                             port=harness.free_port(), ok=False)
        self.assertEqual(proc.returncode, 3, proc.stderr)
        self.assertIn("set-up failed: reaching the node at http://127.0.0.1:", proc.stderr)
        self.assertIn("GET /healthz got no answer (could not connect)", proc.stderr)
        proc = self.run_load("--scenario", "flash-sale", "--customers", "2", "--stock", "1",
                             "--admin-password", "not-the-password", ok=False)
        self.assertEqual(proc.returncode, 3, proc.stderr)
        self.assertIn("set-up failed: logging in admin@agora.local: POST /api/v1/auth/login "
                      "answered 401", proc.stderr)

    def test_a_flash_sale_measures_the_checkouts_and_sells_exactly_the_stock(self):
        result, text = self.run_load("--scenario", "flash-sale", "--customers", "120",
                                     "--stock", "15")
        self.assertTrue(result["verification"]["ok"], text)
        flash = result["flash_sale"]
        self.assertEqual((flash["succeeded"], flash["on_hand"], flash["reserved"]), (15, 0, 0))
        self.assertTrue(flash["zero_oversell"], flash)
        # The carts were filled before the sale opened: the race is the checkouts.
        self.assertEqual(list(result["requests"]), ["POST /carts/{id}/checkout"], result)
        statuses = result["requests"]["POST /carts/{id}/checkout"]["statuses"]
        self.assertEqual(statuses, {"201": 15, "422": 105}, result)
        outcomes = result["journeys"]["flash-sale"]["outcomes"]
        self.assertEqual(outcomes, {"ok": 15, "out_of_stock": 105}, result)
        # Every checkout's reservation decision, read back on the node's clock,
        # falls inside the race the client measured (timestamps in ms).
        decisions = flash["decisions"]
        self.assertEqual((decisions["count"], decisions["unread"]), (120, 0), flash)
        self.assertGreaterEqual(decisions["seconds"], 0, flash)
        self.assertLessEqual(decisions["seconds"], result["measured_s"] + 0.002, result)
        self.assertIn("reservation decisions on the node's clock: 120 in ", text)

    def test_a_closed_loop_checkout_run_verifies_itself(self):
        result, text = self.run_load("--scenario", "checkout", "--customers", "4",
                                     "--warmup", "0.5", "--duration", "2", "--lines", "1-3")
        self.assertTrue(result["verification"]["ok"], text)
        journeys = result["journeys"]["checkout"]["outcomes"]
        self.assertGreater(journeys.get("ok", 0), 0, result)
        figures = result["verification"]["figures"]
        self.assertEqual(figures["orders_created"], figures["checkouts_reported"]
                         + figures["cut_off_completed_unreported"], figures)


class AgoraLoadAtTheConnectionLimitTest(AgoraLoadTest):
    """More customers than the node takes connections: the ones waiting in the
    listen backlog get room as idle keep-alive connections are closed, and
    agora-load sends a request that found its connection closed again."""
    node_flags = ("--catalogue.seed_demo=true", "--http.max_connections=4")

    # The scenarios of the parent class are not run again here.
    test_a_flash_sale_measures_the_checkouts_and_sells_exactly_the_stock = None
    test_a_closed_loop_checkout_run_verifies_itself = None
    test_a_set_up_that_fails_exits_3_and_says_why = None

    def test_every_customer_is_served(self):
        result, text = self.run_load("--scenario", "cart", "--customers", "12",
                                     "--warmup", "0", "--duration", "2")
        self.assertTrue(result["verification"]["ok"], text)
        self.assertEqual(result["errors"], [], text)
        outcomes = result["journeys"]["cart"]["outcomes"]
        self.assertGreater(outcomes.get("ok", 0), 12, result)


if __name__ == "__main__":
    unittest.main()
