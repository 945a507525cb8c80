"""The operator's view of checkouts (API.md "Inspection"): the saga list and
timeline, and a stuck saga that an operator resumes or closes by hand.

A saga gets stuck here for real: reservations live 1 s and the gateway
answers after 1.5 s, so by commit_inventory (after the money was captured,
past the point of no return) the reservation has expired and the commit is
refused. The saga must not compensate a captured payment on its own; it
parks as stuck with the reason until an operator acts."""

import unittest

import harness
from test_checkout import CheckoutCase


class StuckSagaTest(CheckoutCase):
    node_flags = ("--inventory.reservation_ttl_s=1", "--payments.gateway_latency_ms=1500",
                  "--checkout.step_timeout_ms=5000", "--checkout.retry_base_ms=10",
                  "--checkout.retry_max_ms=20")

    def admin_post(self, path, body=None):
        return self.api.post(path, body if body is not None else {}, token=self.admin_token())

    def stuck_checkout(self):
        cart_id, skus = self.stocked_cart([(2, 10)])
        r = self.checkout(cart_id, wait=False)
        self.assertEqual(r.status, 202, r)
        saga = self.wait_saga_end(r.json["checkout_id"], timeout=40)
        self.assertEqual(saga["status"], "stuck", saga)
        return saga, skus[0]

    def test_a_saga_stuck_after_the_pivot_waits_for_an_operator(self):
        saga, sku = self.stuck_checkout()
        checkout_id = saga["checkout_id"]
        self.assertIn("commit_inventory", saga["reason"])
        steps = {s["name"]: s for s in saga["steps"]}
        self.assertEqual(steps["capture_payment"]["status"], "done")
        self.assertEqual(steps["commit_inventory"]["status"], "failed")
        self.assertEqual(steps["commit_inventory"]["error_code"], "conflict")
        # Money was taken and is not given back behind the operator's back.
        _, totals = self.ledger(saga["payment_id"])
        self.assertEqual(totals["captured_cents"], saga["total_cents"])
        self.assertEqual(self.order(saga["order_id"]).json["status"], "paid")
        # The admin list shows it under stuck.
        r = self.api.get("/admin/v1/sagas?status=stuck", token=self.admin_token())
        self.assertEqual(r.status, 200, r)
        self.assertIn(checkout_id, [c["checkout_id"] for c in r.json["items"]])
        r = self.api.get("/admin/v1/sagas?status=completed", token=self.admin_token())
        self.assertNotIn(checkout_id, [c["checkout_id"] for c in r.json["items"]])
        # Resume retries the step; it is refused again and parks again.
        r = self.admin_post("/admin/v1/sagas/%s/resume" % checkout_id)
        self.assertEqual(r.status, 200, r)
        again = self.wait_saga_end(checkout_id)
        self.assertEqual(again["status"], "stuck", again)
        self.assertEqual({s["name"]: s for s in again["steps"]}["commit_inventory"]["attempts"],
                         2 * steps["commit_inventory"]["attempts"])
        # The operator settles it by hand: failed, with the operator's reason.
        self.assert_error(self.admin_post("/admin/v1/sagas/%s/close" % checkout_id), 400,
                          "invalid_request", field="reason")
        r = self.admin_post("/admin/v1/sagas/%s/close" % checkout_id,
                            {"reason": "stock counted and adjusted by hand"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["status"], r.json["reason"]),
                         ("failed", "stock counted and adjusted by hand"))
        self.assert_timestamp(r.json["finished_at"])
        # Once closed it is no longer stuck.
        self.assert_error(self.admin_post("/admin/v1/sagas/%s/resume" % checkout_id), 409,
                          "conflict")
        r = self.api.get("/admin/v1/sagas?status=failed", token=self.admin_token())
        self.assertIn(checkout_id, [c["checkout_id"] for c in r.json["items"]])
        # The timeline holds the saga and the entities' events, in order.
        r = self.api.get("/admin/v1/sagas/%s/timeline" % checkout_id, token=self.admin_token())
        self.assertEqual(r.status, 200, r)
        events = r.json["events"]
        offsets = [e["offset"] for e in events]
        self.assertEqual(offsets, sorted(offsets))
        kinds = [e["event"] for e in events]
        for kind in ("checkout.started", "cart.checkout_started", "inventory.reserved",
                     "payment.authorized", "order.placed", "payment.captured", "order.paid",
                     "inventory.expired", "checkout.stuck", "checkout.resumed", "checkout.closed"):
            self.assertIn(kind, kinds)
        self.assertTrue(all(e["persistence_id"] == "checkout|" + checkout_id or
                            e["correlation_id"] == checkout_id or
                            e["event"] == "inventory.expired" for e in events), events)
        del sku

    def test_operator_endpoints_reject_what_they_cannot_do(self):
        cart_id, _ = self.stocked_cart([(1, 5)])
        customer = self.register_customer()
        unknown = "00000000-0000-4000-8000-000000000000"
        self.assert_error(self.api.post("/admin/v1/sagas/%s/resume" % unknown, {}), 401,
                          "unauthenticated")
        self.assert_error(self.api.post("/admin/v1/sagas/%s/resume" % unknown, {},
                                        token=customer["token"]), 403, "forbidden")
        self.assert_error(self.admin_post("/admin/v1/sagas/%s/resume" % unknown), 404,
                          "not_found")
        self.assert_error(self.admin_post("/admin/v1/sagas/nope/close", {"reason": "x"}), 404,
                          "not_found")
        self.assert_error(self.api.get("/admin/v1/sagas/%s/timeline" % unknown,
                                       token=self.admin_token()), 404, "not_found")
        self.assert_error(self.api.get("/admin/v1/sagas?status=lost", token=self.admin_token()),
                          400, "invalid_request", field="status")
        self.assert_error(self.api.get("/admin/v1/sagas?limit=0", token=self.admin_token()),
                          400, "invalid_request", field="limit")
        # A running or finished saga cannot be resumed or closed.
        r = self.checkout(cart_id, "tok_declined")
        checkout_id = r.json["error"]["details"]["checkout_id"]
        self.assert_error(self.admin_post("/admin/v1/sagas/%s/resume" % checkout_id), 409,
                          "conflict")
        self.assert_error(self.admin_post("/admin/v1/sagas/%s/close" % checkout_id,
                                          {"reason": "x"}), 409, "conflict")


if __name__ == "__main__":
    unittest.main()
