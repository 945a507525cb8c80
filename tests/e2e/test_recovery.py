"""Crash recovery of checkouts: a node started with checkout.crash_after_step
kills itself (SIGKILL) right after that step is recorded; restarted without
the hook, it resumes every unfinished checkout from its last recorded step.
Each checkout must end completed (or compensated, for a failing card), and
the sums must agree: the money the gateway captured is the paid order's
total, and the stock that left the warehouse is the ordered units."""

import re
import time
import unittest

import harness
from test_checkout import CheckoutCase, checkout_body

STEPS = ["price_cart", "reserve_inventory", "authorize_payment", "place_order",
         "capture_payment", "commit_inventory", "close_cart"]


class RecoveryCase(CheckoutCase):
    node_flags = ()

    def crash_checkout(self, step, token="tok_ok", quantity=2, stock=10, key=None):
        """Runs one checkout on a node that dies after `step`, starts the
        node again without the hook and returns (checkout_id, cart_id, sku).
        With `key`, the POST carries it as its Idempotency-Key and waits."""
        cart_id, skus = self.stocked_cart([(quantity, stock)])
        self.api.close()
        self.node.stop()
        self.node.extra_flags = list(self.node_flags) + ["--checkout.crash_after_step=" + step]
        self.node.start()
        type(self).api = self.node.client()
        try:
            if key:
                self.api.post("/api/v1/carts/%s/checkout?wait=true" % cart_id,
                              checkout_body(token), headers={"Idempotency-Key": key})
            else:
                self.api.post("/api/v1/carts/%s/checkout" % cart_id, checkout_body(token))
        except (OSError, harness.http.client.HTTPException):
            pass  # the node may die before it answers
        deadline = time.monotonic() + 30
        while self.node.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertFalse(self.node.alive(), "the node did not crash after " + step)
        self.assertEqual(self.node.proc.returncode, -9)
        rows = self.db.query("SELECT substr(persistence_id, 10) FROM journal WHERE "
                             "event_type = 'checkout.started' AND payload->>'cart_id' = '%s'"
                             % cart_id)
        self.assertEqual(len(rows), 1, rows)
        self.node.extra_flags = list(self.node_flags)
        self.api.close()
        self.node.start()
        type(self).api = self.node.client()
        return rows[0][0], cart_id, skus[0]

    def assert_completed_and_sums_agree(self, checkout_id, sku, quantity, stock):
        saga = self.wait_saga_end(checkout_id)
        self.assertEqual(saga["status"], "completed", saga)
        order = self.order(saga["order_id"]).json
        self.assertEqual(order["status"], "paid", order)
        _, totals = self.ledger(order["payment_id"])
        self.assertEqual(totals["captured_cents"], order["total_cents"])
        self.assertEqual(totals["authorized_cents"], order["total_cents"])
        pay = self.payment(order["payment_id"])
        self.assertEqual(pay["captured_cents"], order["total_cents"])
        lv = self.levels(sku)
        self.assertEqual((lv["on_hand"], lv["reserved"]), (stock - quantity, 0), lv)
        cart = self.api.get("/api/v1/carts/%s" % saga["cart_id"]).json
        self.assertEqual(cart["status"], "checked_out")


class RecoveryTest(RecoveryCase):
    # The resume mark moves every second instead of every minute.
    node_flags = ("--checkout.resume_mark_interval_s=1",)

    def test_every_step_resumes_after_a_crash(self):
        for step in STEPS:
            with self.subTest(step=step):
                checkout_id, _, sku = self.crash_checkout(step)
                self.assert_completed_and_sums_agree(checkout_id, sku, 2, 10)

    def test_a_keyed_checkout_cut_by_a_crash_answers_its_retry(self):
        # The client never got an answer; its retry with the same key finds
        # the checkout the crash interrupted and gets its outcome, once the
        # restarted node has finished it.
        key = "crash-" + harness.random_token(10)
        checkout_id, cart_id, sku = self.crash_checkout("authorize_payment", key=key)
        r = self.api.post("/api/v1/carts/%s/checkout?wait=true" % cart_id, checkout_body(),
                          headers={"Idempotency-Key": key})
        self.assertEqual((r.status, r.json["checkout_id"]), (201, checkout_id), r)
        self.assertEqual(r.json["order"]["status"], "paid", r)
        self.assert_completed_and_sums_agree(checkout_id, sku, 2, 10)

    def test_start_up_reads_only_the_checkouts_above_the_resume_mark(self):
        checkout_id, _, sku = self.crash_checkout("place_order")
        self.assert_completed_and_sums_agree(checkout_id, sku, 2, 10)
        started = int(self.db.query(
            "SELECT global_offset FROM journal WHERE persistence_id = 'checkout|%s' "
            "AND seq_nr = 1" % checkout_id)[0][0])
        # The running node moves the mark past the ended checkout, so a
        # start-up does not read it again.
        mark_sql = "SELECT last_offset FROM projection_offsets WHERE name = 'checkout-resume'"
        harness.wait_until(lambda: int((self.db.query(mark_sql) or [["0"]])[0][0]) >= started,
                           timeout=15, what="the resume mark to pass the ended checkout")
        self.restart_node()
        with open(self.node.log_path, encoding="utf-8", errors="replace") as f:
            lines = [line for line in f if "read above offset" in line]
        self.assertTrue(lines, self.node.log_tail())
        m = re.search(r"resume: (\d+) checkout\(s\) read above offset (\d+)", lines[-1])
        self.assertIsNotNone(m, lines[-1])
        self.assertGreaterEqual(int(m.group(2)), started, lines[-1])

    def test_a_failing_capture_compensates_after_a_crash(self):
        checkout_id, cart_id, sku = self.crash_checkout("place_order", token="tok_capture_fails")
        saga = self.wait_saga_end(checkout_id)
        self.assertEqual((saga["status"], saga["reason"]), ("compensated", "payment_failed"), saga)
        _, totals = self.ledger(saga["payment_id"])
        self.assertEqual(totals["captured_cents"], 0)
        self.assertEqual(totals["voided_cents"], totals["authorized_cents"])
        lv = self.levels(sku)
        self.assertEqual((lv["on_hand"], lv["reserved"]), (10, 0), lv)
        self.assertEqual(self.order(saga["order_id"]).json["status"], "cancelled")
        self.assertEqual(self.api.get("/api/v1/carts/%s" % cart_id).json["status"], "open")


class ReservationExpiryAcrossRestartTest(RecoveryCase):
    """A reservation outlives the node that took it and still expires on
    time: the restarted node wakes the inventory entities that hold recent
    reservations, and their recovery re-arms the expiry timer. The saga
    meanwhile waits on a slow card, so nothing else touches the stock."""
    node_flags = ("--inventory.reservation_ttl_s=2", "--payments.slow_delay_ms=30000",
                  "--checkout.step_timeout_ms=5000", "--checkout.compensation_timeout_ms=40000")

    def test_a_reservation_expires_after_a_restart(self):
        checkout_id, _, sku = self.crash_checkout("reserve_inventory", token="tok_slow")
        reservation = checkout_id + "/reserve_inventory"

        def expired():
            rows = self.db.query(
                "SELECT count(*) FROM journal WHERE event_type = 'inventory.expired' "
                "AND persistence_id = 'inventory|%s' AND payload->>'reservation_id' = '%s'"
                % (sku, reservation))
            return rows == [["1"]]
        harness.wait_until(expired, timeout=10, what="the reservation to expire")
        # The saga was still authorizing: nothing but the timer touched the stock.
        saga = self.saga(checkout_id)
        self.assertEqual(saga["status"], "running", saga)
        lv = self.levels(sku)
        self.assertEqual((lv["on_hand"], lv["reserved"]), (10, 0), lv)


if __name__ == "__main__":
    unittest.main()
