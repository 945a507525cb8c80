"""Orders and payments after checkout (API.md "Orders", "Payments"): the
status machine over HTTP, cancel of a paid order (refund + stock back),
partial and full refunds, and who may do what."""

import unittest

import harness
from test_checkout import CheckoutCase


class OrdersTest(CheckoutCase):
    node_flags = ()

    def paid_order(self, quantity=2, stock=10, token=None):
        cart_id, skus = self.stocked_cart([(quantity, stock)], token=token)
        r = self.checkout(cart_id, token=token)
        self.assertEqual(r.status, 201, r)
        return r.json["order"], skus[0]

    def test_ship_then_deliver(self):
        order, _ = self.paid_order()
        path = "/api/v1/orders/%s" % order["order_id"]
        r = self.api.post(path + "/ship", {"carrier": "DHL", "tracking_number": "JD0001"},
                          token=self.admin_token())
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["status"], r.json["carrier"], r.json["tracking_number"]),
                         ("shipped", "DHL", "JD0001"))
        r = self.api.post(path + "/deliver", token=self.admin_token())
        self.assertEqual(r.status, 200, r)
        self.assertEqual([h["status"] for h in r.json["history"]],
                         ["pending", "paid", "shipped", "delivered"])
        # delivered is final.
        self.assert_error(self.api.post(path + "/cancel", token=self.admin_token()), 409,
                          "invalid_transition")
        self.assert_error(self.api.post(path + "/ship", {"carrier": "x", "tracking_number": "y"},
                                        token=self.admin_token()), 409, "invalid_transition")

    def test_deliver_before_ship_is_an_invalid_transition(self):
        order, _ = self.paid_order()
        r = self.api.post("/api/v1/orders/%s/deliver" % order["order_id"],
                          token=self.admin_token())
        self.assert_error(r, 409, "invalid_transition")

    def test_ship_needs_admin_and_a_valid_body(self):
        customer = self.register_customer()
        order, _ = self.paid_order(token=customer["token"])
        path = "/api/v1/orders/%s/ship" % order["order_id"]
        body = {"carrier": "DHL", "tracking_number": "1"}
        self.assert_error(self.api.post(path, body), 401, "unauthenticated")
        self.assert_error(self.api.post(path, body, token=customer["token"]), 403, "forbidden")
        self.assert_error(self.api.post(path, {"carrier": "DHL"}, token=self.admin_token()), 400,
                          "invalid_request", field="tracking_number")
        self.assert_error(self.api.post(path, {"carrier": "", "tracking_number": "1"},
                                        token=self.admin_token()), 400, "invalid_request",
                          field="carrier")
        self.assert_error(self.api.post("/api/v1/orders/nope/ship", body,
                                        token=self.admin_token()), 404, "not_found")
        self.assertEqual(self.order(order["order_id"]).json["status"], "paid")

    def test_cancel_of_a_paid_order_refunds_it_and_returns_the_stock(self):
        customer = self.register_customer()
        order, sku = self.paid_order(quantity=3, stock=10, token=customer["token"])
        self.assertEqual(self.levels(sku)["on_hand"], 7)
        other = self.register_customer()
        path = "/api/v1/orders/%s/cancel" % order["order_id"]
        self.assert_error(self.api.post(path, token=other["token"]), 403, "forbidden")
        r = self.api.post(path, token=customer["token"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "cancelled")
        self.assertEqual(self.levels(sku)["on_hand"], 10)
        pay = self.payment(order["payment_id"])
        self.assertEqual((pay["status"], pay["refunded_cents"]), ("refunded", order["total_cents"]))
        _, totals = self.ledger(order["payment_id"])
        self.assertEqual(totals["refunded_cents"], order["total_cents"])
        # A second cancel changes nothing: money and stock went back once.
        self.assert_error(self.api.post(path, token=customer["token"]), 409, "invalid_transition")
        self.assertEqual(self.levels(sku)["on_hand"], 10)
        _, totals = self.ledger(order["payment_id"])
        self.assertEqual(totals["refunded_cents"], order["total_cents"])

    def test_partial_then_full_refund(self):
        order, sku = self.paid_order(quantity=2, stock=10)
        path = "/api/v1/payments/%s/refund" % order["payment_id"]
        total = order["total_cents"]
        r = self.api.post(path, {"amount_cents": 500}, token=self.admin_token())
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["status"], r.json["refunded_cents"]), ("partially_refunded", 500))
        self.assertEqual(self.order(order["order_id"]).json["status"], "paid")
        self.assertEqual(self.levels(sku)["on_hand"], 8)
        r = self.api.post(path, {"amount_cents": total}, token=self.admin_token())
        err = self.assert_error(r, 422, "refund_exceeds_captured")
        self.assertEqual(self.payment(order["payment_id"])["refunded_cents"], 500)
        r = self.api.post(path, {}, token=self.admin_token())  # the remainder
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["status"], r.json["refunded_cents"]), ("refunded", total))
        self.assertEqual(self.order(order["order_id"]).json["status"], "refunded")
        self.assertEqual(self.levels(sku)["on_hand"], 10)
        self.assert_error(self.api.post(path, {}, token=self.admin_token()), 422,
                          "refund_exceeds_captured")
        _, totals = self.ledger(order["payment_id"])
        self.assertEqual(totals["refunded_cents"], total)
        del err

    def test_refund_rules(self):
        order, _ = self.paid_order()
        path = "/api/v1/payments/%s/refund" % order["payment_id"]
        customer = self.register_customer()
        self.assert_error(self.api.post(path, {}), 401, "unauthenticated")
        self.assert_error(self.api.post(path, {}, token=customer["token"]), 403, "forbidden")
        for bad in ({"amount_cents": 0}, {"amount_cents": -5}, {"amount_cents": "10"},
                    {"amount_cents": 1.5}):
            self.assert_error(self.api.post(path, bad, token=self.admin_token()), 400,
                              "invalid_request", field="amount_cents")
        self.assert_error(self.api.post("/api/v1/payments/nope/refund", {},
                                        token=self.admin_token()), 404, "not_found")
        self.assertEqual(self.payment(order["payment_id"])["refunded_cents"], 0)

    def test_a_repeated_refund_with_one_key_refunds_once(self):
        order, _ = self.paid_order()
        path = "/api/v1/payments/%s/refund" % order["payment_id"]
        headers = {"Idempotency-Key": "refund-" + harness.random_token(8)}
        first = self.api.post(path, {"amount_cents": 100}, token=self.admin_token(),
                              headers=headers)
        again = self.api.post(path, {"amount_cents": 100}, token=self.admin_token(),
                              headers=headers)
        self.assertEqual((first.status, again.status), (200, 200))
        self.assertEqual(again.json, first.json)
        self.assertEqual(self.payment(order["payment_id"])["refunded_cents"], 100)

    def test_orders_need_a_token_and_an_owner(self):
        customer = self.register_customer()
        order, _ = self.paid_order(token=customer["token"])
        path = "/api/v1/orders/%s" % order["order_id"]
        self.assert_error(self.api.get(path), 401, "unauthenticated")
        r = self.api.get(path, token=customer["token"])
        self.assertEqual(r.status, 200, r)
        for key in ("order_id", "customer_id", "checkout_id", "status", "items", "subtotal_cents",
                    "shipping_cents", "total_cents", "currency", "shipping_address", "payment_id",
                    "history", "created_at", "updated_at"):
            self.assertIn(key, r.json)
        self.assert_error(self.api.get("/api/v1/orders/00000000-0000-4000-8000-000000000000",
                                       token=customer["token"]), 404, "not_found")
        pay = self.api.get("/api/v1/payments/%s" % order["payment_id"], token=customer["token"])
        self.assertEqual(pay.status, 200, pay)
        self.assertEqual([e["type"] for e in pay.json["events"]], ["authorized", "captured"])
        for e in pay.json["events"]:
            self.assertTrue(e["gateway_ref"])
            self.assert_timestamp(e["at"])

    def test_list_pages_newest_first_and_filters_by_status(self):
        customer = self.register_customer()
        token = customer["token"]
        ids = [self.paid_order(quantity=1, token=token)[0]["order_id"] for _ in range(3)]
        r = self.api.get("/api/v1/orders?limit=2", token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual([o["order_id"] for o in r.json["items"]], ids[::-1][:2])
        self.assertIsInstance(r.json["next_cursor"], str)
        r2 = self.api.get("/api/v1/orders?limit=2&cursor=%s" % r.json["next_cursor"], token=token)
        self.assertEqual(r2.status, 200, r2)
        self.assertEqual([o["order_id"] for o in r2.json["items"]], [ids[0]])
        self.assertIsNone(r2.json["next_cursor"])
        cancel = self.api.post("/api/v1/orders/%s/cancel" % ids[1], token=token)
        self.assertEqual(cancel.status, 200, cancel)
        r = self.api.get("/api/v1/orders?status=cancelled", token=token)
        self.assertEqual([o["order_id"] for o in r.json["items"]], [ids[1]])
        r = self.api.get("/api/v1/orders?status=paid", token=token)
        self.assertEqual([o["order_id"] for o in r.json["items"]], [ids[2], ids[0]])
        # Another customer sees none of them; an admin sees them by customer.
        other = self.register_customer()
        self.assertEqual(self.api.get("/api/v1/orders", token=other["token"]).json["items"], [])
        r = self.api.get("/api/v1/orders?customer_id=%s" % customer["customer_id"],
                         token=self.admin_token())
        self.assertEqual([o["order_id"] for o in r.json["items"]], ids[::-1])
        r = self.api.get("/api/v1/orders?limit=200", token=self.admin_token())
        self.assertTrue(set(ids) <= {o["order_id"] for o in r.json["items"]})

    def test_list_rejects_bad_parameters(self):
        customer = self.register_customer()
        self.assert_error(self.api.get("/api/v1/orders"), 401, "unauthenticated")
        for query, field in (("status=lost", "status"), ("limit=0", "limit"),
                             ("limit=201", "limit"), ("cursor=a*b", "cursor"),
                             ("cursor=bm90LWEtbnVtYmVy", "cursor")):
            r = self.api.get("/api/v1/orders?" + query, token=customer["token"])
            self.assert_error(r, 400, "invalid_request", field=field)


if __name__ == "__main__":
    unittest.main()
