"""Checkout (API.md "Checkout"): the saga over real entities and the simulated
gateway. Every payment token path ends in its documented state with the
gateway's ledger agreeing; a flash sale never oversells; a checkout retried
with one Idempotency-Key is one order and one charge; bad requests change
nothing."""

import concurrent.futures
import time
import unittest

import harness

ADDRESS = {"name": "Ada Lovelace", "line1": "12 Analytical St", "city": "London",
           "postal_code": "NW1", "country": "GB"}

#: tok_slow answers after 8 s: longer than the 3 attempts of 2 s of a step,
#: shorter than the 10 s a ?wait=true request waits.
SLOW_FLAGS = ("--payments.slow_delay_ms=8000", "--checkout.step_timeout_ms=2000",
              "--checkout.compensation_timeout_ms=9000")


def checkout_body(token="tok_ok", address=None):
    return {"shipping_address": address or ADDRESS, "payment": {"method": "card", "token": token}}


class CheckoutCase(harness.NodeTestCase):
    node_flags = SLOW_FLAGS

    # -- helpers --------------------------------------------------------------

    def stocked_cart(self, lines=((2, 100),), token=None, price=1999):
        """A cart holding, for each (quantity, stock), a line of a new product."""
        cart = self.create_cart(token=token)
        skus = []
        for quantity, stock in lines:
            product = self.create_product(initial_stock=stock, price_cents=price)
            r = self.api.post("/api/v1/carts/%s/items" % cart["cart_id"],
                              {"sku": product["sku"], "quantity": quantity}, token=token)
            self.assertEqual(r.status, 200, r)
            skus.append(product["sku"])
        return cart["cart_id"], skus

    def checkout(self, cart_id, token_name="tok_ok", wait=True, token=None, key=None):
        path = "/api/v1/carts/%s/checkout%s" % (cart_id, "?wait=true" if wait else "")
        headers = {"Idempotency-Key": key} if key else None
        return self.api.post(path, checkout_body(token_name), token=token, headers=headers)

    def levels(self, sku):
        r = self.api.get("/api/v1/inventory/%s" % sku)
        self.assertEqual(r.status, 200, r)
        return r.json

    def saga(self, checkout_id, token=None):
        r = self.api.get("/api/v1/checkouts/%s" % checkout_id, token=token)
        self.assertEqual(r.status, 200, r)
        return r.json

    def wait_saga_end(self, checkout_id, timeout=30.0):
        box = {}

        def ended():
            box["s"] = self.saga(checkout_id)
            return box["s"]["status"] != "running"
        harness.wait_until(ended, timeout=timeout, what="checkout %s to end" % checkout_id)
        return box["s"]

    def ledger(self, payment_id):
        r = self.api.get("/admin/v1/gateway/ledger?payment_id=%s" % payment_id,
                         token=self.admin_token())
        self.assertEqual(r.status, 200, r)
        totals = r.json["totals"][0] if r.json["totals"] else {
            "authorized_cents": 0, "captured_cents": 0, "voided_cents": 0, "refunded_cents": 0}
        return r.json["entries"], totals

    def payment(self, payment_id):
        r = self.api.get("/api/v1/payments/%s" % payment_id, token=self.admin_token())
        self.assertEqual(r.status, 200, r)
        return r.json

    def order(self, order_id, token=None):
        return self.api.get("/api/v1/orders/%s" % order_id, token=token or self.admin_token())

    def assert_another_buys(self, sku, quantity):
        """A new cart checks out `quantity` of `sku`: nothing else holds them."""
        buyer = self.create_cart()
        r = self.api.post("/api/v1/carts/%s/items" % buyer["cart_id"],
                          {"sku": sku, "quantity": quantity})
        self.assertEqual(r.status, 200, r)
        r = self.checkout(buyer["cart_id"])
        self.assertEqual(r.status, 201, r)

    def assert_compensated(self, r, code, skus, stock):
        err = self.assert_error(r, 422, code)
        checkout_id = err["details"]["checkout_id"]
        saga = self.saga(checkout_id)
        self.assertEqual(saga["status"], "compensated", saga)
        self.assertEqual(saga["reason"], code, saga)
        for sku, on_hand in zip(skus, stock):
            lv = self.levels(sku)
            self.assertEqual((lv["on_hand"], lv["reserved"]), (on_hand, 0), lv)
        cart = self.api.get("/api/v1/carts/%s" % saga["cart_id"]).json
        self.assertEqual(cart["status"], "open", cart)
        return saga


class CheckoutTokenPathsTest(CheckoutCase):

    def test_tok_ok_completes_with_a_paid_order_charged_once(self):
        cart_id, skus = self.stocked_cart([(2, 10), (1, 5)])
        r = self.checkout(cart_id)
        self.assertEqual(r.status, 201, r)
        body = r.json
        self.assertEqual(body["status"], "completed")
        order = body["order"]
        self.assertEqual(order["order_id"], body["order_id"])
        self.assertEqual(order["status"], "paid")
        self.assertEqual(order["checkout_id"], body["checkout_id"])
        self.assertEqual(order["subtotal_cents"], 3 * 1999)
        self.assertEqual(order["shipping_cents"], 999)  # flat: no coordinates
        self.assertEqual(order["total_cents"], 3 * 1999 + 999)
        self.assertEqual([h["status"] for h in order["history"]], ["pending", "paid"])
        self.assertEqual([(i["sku"], i["quantity"]) for i in order["items"]],
                         [(skus[0], 2), (skus[1], 1)])
        # Stock left the warehouse, nothing stays reserved.
        self.assertEqual((self.levels(skus[0])["on_hand"], self.levels(skus[0])["reserved"]),
                         (8, 0))
        self.assertEqual((self.levels(skus[1])["on_hand"], self.levels(skus[1])["reserved"]),
                         (4, 0))
        saga = self.saga(body["checkout_id"])
        self.assertEqual([s["status"] for s in saga["steps"]], ["done"] * 7, saga)
        self.assertEqual([s["name"] for s in saga["steps"]],
                         ["price_cart", "reserve_inventory", "authorize_payment", "place_order",
                          "capture_payment", "commit_inventory", "close_cart"])
        for step in saga["steps"]:
            self.assert_timestamp(step["started_at"])
            self.assert_timestamp(step["finished_at"])
        self.assertIsNone(saga["reason"])
        self.assert_timestamp(saga["finished_at"])
        cart = self.api.get("/api/v1/carts/%s" % cart_id).json
        self.assertEqual(cart["status"], "checked_out")
        pay = self.payment(order["payment_id"])
        self.assertEqual((pay["status"], pay["captured_cents"]), ("captured", order["total_cents"]))
        entries, totals = self.ledger(order["payment_id"])
        self.assertEqual(totals["captured_cents"], order["total_cents"])
        self.assertEqual(totals["authorized_cents"], order["total_cents"])
        self.assertEqual(sorted((e["operation"], e["outcome"]) for e in entries),
                         [("authorize", "approved"), ("capture", "approved")])

    def test_without_wait_answers_202_and_the_saga_runs_on(self):
        cart_id, _ = self.stocked_cart()
        r = self.checkout(cart_id, wait=False)
        self.assertEqual(r.status, 202, r)
        self.assertEqual(r.json["status"], "running")
        self.assertEqual(r.header("location"), "/api/v1/checkouts/" + r.json["checkout_id"])
        saga = self.wait_saga_end(r.json["checkout_id"])
        self.assertEqual(saga["status"], "completed", saga)
        self.assertEqual(self.order(r.json["order_id"]).json["status"], "paid")

    def test_tok_declined_reserves_and_charges_nothing(self):
        cart_id, skus = self.stocked_cart([(2, 10)])
        r = self.checkout(cart_id, "tok_declined")
        saga = self.assert_compensated(r, "payment_declined", skus, [10])
        steps = {s["name"]: s for s in saga["steps"]}
        self.assertEqual(steps["authorize_payment"]["status"], "failed")
        self.assertEqual(steps["reserve_inventory"]["status"], "compensated")
        self.assertEqual(steps["place_order"]["status"], "pending")
        entries, totals = self.ledger(saga["payment_id"])
        self.assertEqual(totals["authorized_cents"], 0)
        self.assertEqual(totals["captured_cents"], 0)
        self.assertEqual([(e["operation"], e["outcome"]) for e in entries],
                         [("authorize", "declined")])
        self.assertEqual(self.order(saga["order_id"]).status, 404)

    def test_an_amount_over_the_limit_is_declined(self):
        cart_id, skus = self.stocked_cart([(1, 10)], price=2_000_000)
        r = self.checkout(cart_id)
        self.assert_compensated(r, "payment_declined", skus, [10])

    def test_tok_capture_fails_cancels_the_order_and_voids_the_authorization(self):
        cart_id, skus = self.stocked_cart([(3, 10)])
        r = self.checkout(cart_id, "tok_capture_fails")
        saga = self.assert_compensated(r, "payment_failed", skus, [10])
        steps = {s["name"]: s for s in saga["steps"]}
        self.assertEqual(steps["capture_payment"]["status"], "failed")
        self.assertEqual(steps["capture_payment"]["attempts"], 3)
        self.assertEqual(steps["place_order"]["status"], "compensated")
        order = self.order(saga["order_id"]).json
        self.assertEqual(order["status"], "cancelled", order)
        pay = self.payment(saga["payment_id"])
        self.assertEqual(pay["status"], "voided", pay)
        self.assertEqual(pay["captured_cents"], 0)
        _, totals = self.ledger(saga["payment_id"])
        self.assertEqual(totals["captured_cents"], 0)
        self.assertEqual(totals["voided_cents"], totals["authorized_cents"])
        self.assertGreater(totals["authorized_cents"], 0)

    def test_tok_flaky_retries_each_operation_and_charges_once(self):
        cart_id, _ = self.stocked_cart([(1, 10)])
        r = self.checkout(cart_id, "tok_flaky")
        self.assertEqual(r.status, 201, r)
        saga = self.saga(r.json["checkout_id"])
        steps = {s["name"]: s for s in saga["steps"]}
        self.assertEqual(steps["authorize_payment"]["attempts"], 2)
        self.assertEqual(steps["capture_payment"]["attempts"], 2)
        entries, totals = self.ledger(saga["payment_id"])
        self.assertEqual(totals["captured_cents"], r.json["order"]["total_cents"])
        self.assertEqual(sum(1 for e in entries if e["outcome"] == "approved"), 2)
        self.assertEqual(len({e["idempotency_key"] for e in entries}), len(entries))

    def test_tok_slow_times_out_and_leaves_nothing_held(self):
        cart_id, skus = self.stocked_cart([(1, 10)])
        started = time.monotonic()
        r = self.checkout(cart_id, "tok_slow")
        if r.status == 202:  # a busy machine: the compensation outlasted the wait
            saga = self.wait_saga_end(r.json["checkout_id"])
            self.assertEqual(saga["status"], "compensated", saga)
            checkout_id = saga["checkout_id"]
        else:
            checkout_id = self.assert_compensated(r, "payment_failed", skus, [10])["checkout_id"]
        saga = self.saga(checkout_id)
        self.assertEqual(saga["reason"], "payment_failed")
        steps = {s["name"]: s for s in saga["steps"]}
        self.assertEqual(steps["authorize_payment"]["attempts"], 3)
        self.assertGreaterEqual(time.monotonic() - started, 6.0)
        # The late approval was voided: the card holds nothing.
        _, totals = self.ledger(saga["payment_id"])
        self.assertEqual(totals["captured_cents"], 0)
        self.assertEqual(totals["voided_cents"], totals["authorized_cents"])
        self.assertEqual(self.payment(saga["payment_id"])["status"], "voided")


class CheckoutRulesTest(CheckoutCase):

    def test_out_of_stock_compensates_every_line(self):
        cart_id, skus = self.stocked_cart([(1, 5), (3, 3)])
        # Stock written off after the line was added: the second line cannot be held.
        r = self.api.post("/api/v1/inventory/%s/adjust" % skus[1], {"delta": -1},
                          token=self.admin_token())
        self.assertEqual(r.status, 200, r)
        r = self.checkout(cart_id)
        err = self.assert_error(r, 422, "out_of_stock")
        self.assertEqual(err["details"]["sku"], skus[1])
        self.assert_compensated(r, "out_of_stock", skus, [5, 2])

    def test_stock_already_gone_refuses_the_checkout_without_running_a_step(self):
        cart_id, skus = self.stocked_cart([(2, 5)])
        r = self.api.post("/api/v1/inventory/%s/adjust" % skus[0], {"delta": -4},
                          token=self.admin_token())
        self.assertEqual(r.status, 200, r)
        cart_before = self.api.get("/api/v1/carts/%s" % cart_id).json
        key = "refused-" + harness.random_token(10)
        first = self.checkout(cart_id, key=key)
        err = self.assert_error(first, 422, "out_of_stock")
        self.assertEqual((err["details"]["sku"], err["details"]["requested"],
                          err["details"]["available"]), (skus[0], 2, 1), err)
        saga = self.assert_compensated(first, "out_of_stock", skus, [1])
        steps = {s["name"]: s for s in saga["steps"]}
        self.assertEqual((steps["price_cart"]["status"], steps["price_cart"]["attempts"]),
                         ("pending", 0), saga)
        reserve = steps["reserve_inventory"]
        self.assertEqual((reserve["status"], reserve["attempts"], reserve["error"]),
                         ("failed", 1, err["message"]), saga)
        self.assertIsNotNone(saga["finished_at"])
        # The cart was never locked: not one event of it.
        self.assertEqual(self.api.get("/api/v1/carts/%s" % cart_id).json, cart_before)
        r = self.api.get("/admin/v1/sagas/%s/timeline" % saga["checkout_id"],
                         token=self.admin_token())
        self.assertEqual(r.status, 200, r)
        self.assertEqual([e["event"] for e in r.json["events"]],
                         ["checkout.refused"], r.json)
        # The operator's list finds it among the compensated, not the running.
        for status, listed in (("compensated", True), ("running", False)):
            r = self.api.get("/admin/v1/sagas?status=%s&limit=200" % status,
                             token=self.admin_token())
            self.assertEqual(r.status, 200, r)
            ids = [s["checkout_id"] for s in r.json["items"]]
            self.assertEqual(saga["checkout_id"] in ids, listed, (status, r.json))
        # The same key answers the same refusal.
        again = self.checkout(cart_id, key=key)
        self.assertEqual((again.status, again.json), (first.status, first.json))
        # Not waiting: 202 running, as the contract says; the saga finds the
        # stock short at its reservation and compensates.
        r = self.checkout(cart_id, wait=False)
        self.assertEqual((r.status, r.json["status"]), (202, "running"), r)
        saga = self.wait_saga_end(r.json["checkout_id"])
        self.assertEqual((saga["status"], saga["reason"]), ("compensated", "out_of_stock"))
        self.assertEqual(saga["steps"][0]["status"], "compensated", saga)
        self.assertEqual(self.api.get("/api/v1/carts/%s" % cart_id).json["status"], "open")
        # Stock back: the cart checks out.
        r = self.api.post("/api/v1/inventory/%s/adjust" % skus[0], {"delta": 1},
                          token=self.admin_token())
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.checkout(cart_id).status, 201)

    def test_an_empty_cart_is_compensated_with_cart_empty(self):
        cart = self.create_cart()
        r = self.checkout(cart["cart_id"])
        saga = self.assert_compensated(r, "cart_empty", [], [])
        self.assertEqual(saga["steps"][0]["status"], "failed")

    def test_a_retired_product_is_product_unavailable(self):
        cart_id, skus = self.stocked_cart([(1, 5)])
        r = self.api.delete("/api/v1/products/%s" % skus[0], token=self.admin_token())
        self.assertIn(r.status, (200, 204), r)
        r = self.checkout(cart_id)
        self.assert_compensated(r, "product_unavailable", skus, [5])

    def test_a_checkout_that_ends_before_reserving_gives_its_admission_back(self):
        # Admitted on both lines, then refused at price_cart (one product was
        # retired): its admission on the other SKU must not hold a unit.
        cart_id, skus = self.stocked_cart([(1, 5), (1, 5)])
        r = self.api.delete("/api/v1/products/%s" % skus[1], token=self.admin_token())
        self.assertIn(r.status, (200, 204), r)
        self.assert_compensated(self.checkout(cart_id), "product_unavailable", skus, [5, 5])
        self.assert_another_buys(skus[0], 5)

    def test_a_checkout_the_journal_refuses_gives_its_admission_back(self):
        # Admitted, then checkout.started cannot be written (a trigger refuses
        # it): 503, nothing recorded, and its admission must not hold the unit
        # for checkout.wait_ms.
        cart_id, skus = self.stocked_cart([(1, 1)])
        self.db.query(
            "CREATE FUNCTION refuse_start() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'refused by the test'; END $$; "
            "CREATE TRIGGER refuse_start BEFORE INSERT ON journal FOR EACH ROW "
            "WHEN (NEW.event_type = 'checkout.started' AND NEW.payload->>'cart_id' = '%s') "
            "EXECUTE FUNCTION refuse_start()" % cart_id)
        try:
            r = self.checkout(cart_id)
        finally:
            self.db.query("DROP TRIGGER refuse_start ON journal; DROP FUNCTION refuse_start()")
        self.assert_error(r, 503, "unavailable")
        self.assertEqual(self.db.query(
            "SELECT count(*) FROM journal WHERE event_type = 'checkout.started' "
            "AND payload->>'cart_id' = '%s'" % cart_id), [["0"]])
        self.assertEqual(self.api.get("/api/v1/carts/%s" % cart_id).json["status"], "open")
        self.assert_another_buys(skus[0], 1)

    def test_a_cart_being_or_already_checked_out_is_409(self):
        cart_id, _ = self.stocked_cart()
        self.assertEqual(self.checkout(cart_id).status, 201)
        self.assert_error(self.checkout(cart_id), 409, "conflict")
        r = self.api.post("/api/v1/carts/%s/items" % cart_id, {"sku": "X-1", "quantity": 1})
        self.assert_error(r, 409, "conflict")

    def test_a_compensated_checkout_reopens_the_cart_for_another_try(self):
        cart_id, _ = self.stocked_cart([(1, 5)])
        self.assert_error(self.checkout(cart_id, "tok_declined"), 422, "payment_declined")
        r = self.checkout(cart_id)
        self.assertEqual(r.status, 201, r)

    def test_a_customer_checkout_binds_the_guest_cart_and_the_order(self):
        customer = self.register_customer()
        cart_id, _ = self.stocked_cart()
        r = self.checkout(cart_id, token=customer["token"])
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["order"]["customer_id"], customer["customer_id"])
        cart = self.api.get("/api/v1/carts/%s" % cart_id, token=customer["token"]).json
        self.assertEqual(cart["customer_id"], customer["customer_id"])
        # The checkout, the order and the payment are the customer's now.
        other = self.register_customer()
        checkout_id = r.json["checkout_id"]
        self.assert_error(self.api.get("/api/v1/checkouts/%s" % checkout_id), 401,
                          "unauthenticated")
        self.assert_error(self.api.get("/api/v1/checkouts/%s" % checkout_id,
                                       token=other["token"]), 403, "forbidden")
        self.assertEqual(self.saga(checkout_id, token=customer["token"])["status"], "completed")
        self.assert_error(self.order(r.json["order_id"], token=other["token"]), 403, "forbidden")
        self.assertEqual(self.order(r.json["order_id"], token=customer["token"]).status, 200)
        payment_id = r.json["order"]["payment_id"]
        self.assert_error(self.api.get("/api/v1/payments/%s" % payment_id, token=other["token"]),
                          403, "forbidden")

    def test_another_customers_cart_cannot_be_checked_out(self):
        owner = self.register_customer()
        cart_id, _ = self.stocked_cart(token=owner["token"])
        self.assert_error(self.checkout(cart_id), 401, "unauthenticated")
        other = self.register_customer()
        self.assert_error(self.checkout(cart_id, token=other["token"]), 403, "forbidden")
        # Even with a malformed body the access check comes first.
        r = self.api.post("/api/v1/carts/%s/checkout" % cart_id, {"payment": {}},
                          token=other["token"])
        self.assert_error(r, 403, "forbidden")

    def test_malformed_requests_are_400_and_start_nothing(self):
        cart_id, skus = self.stocked_cart([(1, 5)])
        bad = [
            ({"payment": {"method": "card", "token": "tok_ok"}}, "shipping_address"),
            ({"shipping_address": ADDRESS}, "payment"),
            ({"shipping_address": dict(ADDRESS, city=""), "payment": {"method": "card",
                                                                      "token": "tok_ok"}},
             "shipping_address.city"),
            ({"shipping_address": dict(ADDRESS, lat=91, lon=0),
              "payment": {"method": "card", "token": "tok_ok"}}, "shipping_address.lat"),
            ({"shipping_address": dict(ADDRESS, lat=10),
              "payment": {"method": "card", "token": "tok_ok"}}, "shipping_address.lon"),
            ({"shipping_address": ADDRESS, "payment": {"method": "cash", "token": "tok_ok"}},
             "payment.method"),
            ({"shipping_address": ADDRESS, "payment": {"method": "card"}}, "payment.token"),
        ]
        for body, field in bad:
            r = self.api.post("/api/v1/carts/%s/checkout" % cart_id, body)
            self.assert_error(r, 400, "invalid_request", field=field)
        r = self.api.post("/api/v1/carts/%s/checkout?wait=maybe" % cart_id, checkout_body())
        self.assert_error(r, 400, "invalid_request", field="wait")
        r = self.api.post("/api/v1/carts/%s/checkout" % cart_id, raw=b"{not json",
                          headers={"Content-Type": "application/json"})
        self.assert_error(r, 400, "invalid_request")
        self.assert_error(self.checkout("not-a-uuid"), 404, "not_found")
        self.assert_error(self.checkout("00000000-0000-4000-8000-000000000000"), 404,
                          "not_found")
        self.assert_error(self.api.get("/api/v1/checkouts/nope"), 404, "not_found")
        cart = self.api.get("/api/v1/carts/%s" % cart_id).json
        self.assertEqual(cart["status"], "open")
        self.assertEqual(self.levels(skus[0])["reserved"], 0)

    def test_coordinates_price_shipping_by_distance(self):
        cart_id, _ = self.stocked_cart([(1, 5)])
        body = checkout_body(address=dict(ADDRESS, lat=52.52, lon=13.405))  # at the Berlin warehouse
        r = self.api.post("/api/v1/carts/%s/checkout?wait=true" % cart_id, body)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["order"]["shipping_cents"], 499)
        self.assertEqual(r.json["order"]["shipping_address"]["lat"], 52.52)


class CheckoutConcurrencyTest(CheckoutCase):

    def test_flash_sale_sells_exactly_the_stock(self):
        stock, buyers = 5, 40
        product = self.create_product(initial_stock=stock)
        carts = []
        for _ in range(buyers):
            cart = self.create_cart()
            r = self.api.post("/api/v1/carts/%s/items" % cart["cart_id"],
                              {"sku": product["sku"], "quantity": 1})
            self.assertEqual(r.status, 200, r)
            carts.append(cart["cart_id"])

        def buy(cart_id):
            client = self.node.client()
            try:
                return client.post("/api/v1/carts/%s/checkout?wait=true" % cart_id,
                                   checkout_body())
            finally:
                client.close()
        with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
            results = list(pool.map(buy, carts))
        statuses = sorted(r.status for r in results)
        self.assertEqual(statuses.count(201), stock, [(r.status, r.json) for r in results])
        self.assertEqual(statuses.count(422), buyers - stock)
        for r in results:
            if r.status == 422:
                self.assertEqual(r.json["error"]["code"], "out_of_stock", r)
                # Admitted checkouts hold the stock they will reserve, so every
                # refusal came at admission: one append, no step run.
                saga = self.saga(r.json["error"]["details"]["checkout_id"])
                self.assertEqual([s["status"] for s in saga["steps"][:2]],
                                 ["pending", "failed"], saga)
        lv = self.levels(product["sku"])
        self.assertEqual((lv["on_hand"], lv["reserved"]), (0, 0), lv)
        orders = {r.json["order_id"] for r in results if r.status == 201}
        self.assertEqual(len(orders), stock)
        for order_id in orders:
            self.assertEqual(self.order(order_id).json["status"], "paid")

    def test_ten_concurrent_retries_with_one_key_are_one_order_and_one_charge(self):
        cart_id, skus = self.stocked_cart([(1, 10)])
        key = "checkout-" + harness.random_token(10)

        def attempt(_):
            client = self.node.client()
            try:
                return client.post("/api/v1/carts/%s/checkout?wait=true" % cart_id,
                                   checkout_body(), headers={"Idempotency-Key": key})
            finally:
                client.close()
        with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
            results = list(pool.map(attempt, range(10)))
        # Each repeat waits for the first POST's checkout and answers its outcome.
        ok = [r for r in results if r.status == 201]
        self.assertEqual(len(ok), 10, results)
        self.assertEqual(len({r.json["checkout_id"] for r in ok}), 1)
        # Repeats after the end get the first response too.
        again = self.checkout(cart_id, key=key)
        self.assertEqual(again.status, 201, again)
        self.assertEqual(again.json["checkout_id"], ok[0].json["checkout_id"])
        started = self.db.query(
            "SELECT count(*) FROM journal WHERE event_type = 'checkout.started' "
            "AND payload->>'cart_id' = '%s'" % cart_id)
        self.assertEqual(started, [["1"]])
        _, totals = self.ledger(ok[0].json["order"]["payment_id"])
        self.assertEqual(totals["captured_cents"], ok[0].json["order"]["total_cents"])
        self.assertEqual(self.levels(skus[0])["on_hand"], 9)


class CheckoutKeyTest(CheckoutCase):
    """A checkout POST keeps its Idempotency-Key in the checkout's own record
    (API.md "Conventions"): a repeat answers what the first POST answered,
    4xx included, and another body is 409."""

    def path(self, cart_id, wait=True):
        return "/api/v1/carts/%s/checkout%s" % (cart_id, "?wait=true" if wait else "")

    def test_a_repeat_answers_what_the_first_post_answered(self):
        cart_id, skus = self.stocked_cart([(1, 10)])
        key = "first-" + harness.random_token(10)
        first = self.checkout(cart_id, wait=False, key=key)
        self.assertEqual((first.status, first.json["status"]), (202, "running"), first)
        saga = self.wait_saga_end(first.json["checkout_id"])
        self.assertEqual(saga["status"], "completed", saga)
        # The checkout has ended; a repeat, waiting or not, is answered as the
        # first POST was: 202 "running", the same ids.
        for wait in (False, True):
            again = self.checkout(cart_id, wait=wait, key=key)
            self.assertEqual((again.status, again.json), (first.status, first.json))
            self.assertEqual(again.headers.get("location"), first.headers.get("location"))
        other = self.api.post(self.path(cart_id), checkout_body("tok_declined"),
                              headers={"Idempotency-Key": key})
        self.assert_error(other, 409, "conflict")
        # One checkout, one charge; the key's memory is the checkout itself.
        self.assertEqual(self.db.query(
            "SELECT count(*), min(payload->>'request_hash') IS NOT NULL FROM journal "
            "WHERE event_type = 'checkout.started' AND payload->>'cart_id' = '%s'" % cart_id),
            [["1", "t"]])
        self.assertEqual(self.db.query(
            "SELECT count(*) FROM idempotency_keys WHERE scope LIKE '%%/carts/%s/checkout'"
            % cart_id), [["0"]])
        self.assertEqual(self.levels(skus[0])["on_hand"], 9)
        _, totals = self.ledger(saga["payment_id"])
        self.assertEqual(totals["captured_cents"], self.order(saga["order_id"]).json["total_cents"])

    def test_an_answer_before_any_checkout_is_answered_again(self):
        cart_id, skus = self.stocked_cart([(1, 10)])
        held = self.checkout(cart_id, "tok_slow", wait=False)
        self.assertEqual(held.status, 202, held)
        # The 202 comes before the saga's price_cart locks the cart.
        harness.wait_until(
            lambda: self.api.get("/api/v1/carts/%s" % cart_id).json["status"] == "checking_out",
            timeout=10, what="the cart to be locked")
        key = "busy-" + harness.random_token(10)
        busy = self.checkout(cart_id, key=key)
        err = self.assert_error(busy, 409, "conflict")
        self.assertEqual(err["details"]["checkout_id"], held.json["checkout_id"])
        saga = self.wait_saga_end(held.json["checkout_id"])
        self.assertEqual(saga["status"], "compensated", saga)
        self.assertEqual(self.api.get("/api/v1/carts/%s" % cart_id).json["status"], "open")
        # The cart could check out now, but the key answers what it answered.
        again = self.checkout(cart_id, key=key)
        self.assertEqual((again.status, again.json), (busy.status, busy.json))
        other = self.api.post(self.path(cart_id), checkout_body("tok_declined"),
                              headers={"Idempotency-Key": key})
        self.assert_error(other, 409, "conflict")
        self.assertNotIn("checkout_id", other.json["error"]["details"])
        self.assertEqual(self.checkout(cart_id, key=key + "-new").status, 201)
        # A malformed body's 400 is kept as well: a valid body under its key
        # is another body.
        bad_key = "bad-" + harness.random_token(10)
        bad = {"payment": {"method": "card", "token": "tok_ok"}}
        first = self.api.post(self.path(cart_id), bad, headers={"Idempotency-Key": bad_key})
        self.assert_error(first, 400, "invalid_request", field="shipping_address")
        again = self.api.post(self.path(cart_id), bad, headers={"Idempotency-Key": bad_key})
        self.assertEqual((again.status, again.json), (first.status, first.json))
        other = self.api.post(self.path(cart_id), checkout_body(),
                              headers={"Idempotency-Key": bad_key})
        self.assert_error(other, 409, "conflict")
        # Only the one checkout that ran: the rejections started nothing.
        self.assertEqual(self.levels(skus[0])["on_hand"], 9)
        self.assertEqual(self.db.query(
            "SELECT count(*) FROM journal WHERE event_type = 'checkout.started' "
            "AND payload->>'cart_id' = '%s'" % cart_id), [["2"]])
        self.assertEqual(self.db.query(
            "SELECT count(*) FROM idempotency_keys WHERE scope LIKE '%%/carts/%s/checkout'"
            % cart_id), [["0"]])

    def test_a_recorded_answer_that_no_longer_reads_is_500_and_starts_nothing(self):
        # Only a damaged journal row can do this. The repeat cannot give the
        # first answer again: it says so in the contract's format, and runs
        # no checkout in its place.
        cart_id, skus = self.stocked_cart([(1, 10)])
        key = "damaged-" + harness.random_token(10)
        bad = {"payment": {"method": "card", "token": "tok_ok"}}
        first = self.api.post(self.path(cart_id), bad, headers={"Idempotency-Key": key})
        self.assert_error(first, 400, "invalid_request", field="shipping_address")
        damaged = self.db.query(
            "UPDATE journal SET payload = jsonb_set(payload, '{response}', '\"not a response\"') "
            "WHERE global_offset = (SELECT max(global_offset) FROM journal "
            "WHERE event_type = 'checkout.request_rejected') RETURNING payload->>'status'")
        self.assertEqual(damaged, [["400"]])
        self.restart_node()  # the record is read again from the journal
        # A 500 here is the node's own data, not the request (which is why the
        # harness's rule against 500 is lifted for this call).
        again = self.api.post(self.path(cart_id), bad, headers={"Idempotency-Key": key},
                              check=False)
        self.assert_error(again, 500, "internal")
        self.assertEqual(again.json["error"]["message"], "the recorded response is unreadable")
        # The record stands: another body under the key is still another body.
        other = self.api.post(self.path(cart_id), checkout_body(), headers={"Idempotency-Key": key})
        self.assert_error(other, 409, "conflict")
        self.assertEqual(self.api.get("/api/v1/carts/%s" % cart_id).json["status"], "open")
        self.assertEqual(self.levels(skus[0])["on_hand"], 10)
        self.assertEqual(self.db.query(
            "SELECT count(*) FROM journal WHERE event_type = 'checkout.started' "
            "AND payload->>'cart_id' = '%s'" % cart_id), [["0"]])

    def test_an_answer_the_journal_cannot_record_is_503_and_recorded_on_retry(self):
        # A 4xx under a key is an answer only once it is recorded: while the
        # journal refuses the record, the POST is 503 and the key stays free.
        cart_id, _ = self.stocked_cart([(1, 10)])
        key = "unrecorded-" + harness.random_token(10)
        bad = {"payment": {"method": "card", "token": "tok_ok"}}
        count = ("SELECT count(*) FROM journal "
                 "WHERE event_type = 'checkout.request_rejected'")
        before = self.db.query(count)
        self.db.query(
            "CREATE FUNCTION refuse_rejection() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'refused by the test'; END $$; "
            "CREATE TRIGGER refuse_rejection BEFORE INSERT ON journal FOR EACH ROW "
            "WHEN (NEW.event_type = 'checkout.request_rejected') "
            "EXECUTE FUNCTION refuse_rejection()")
        try:
            r = self.api.post(self.path(cart_id), bad, headers={"Idempotency-Key": key})
        finally:
            self.db.query("DROP TRIGGER refuse_rejection ON journal; "
                          "DROP FUNCTION refuse_rejection()")
        self.assert_error(r, 503, "unavailable")
        self.assertEqual(self.db.query(count), before)
        again = self.api.post(self.path(cart_id), bad, headers={"Idempotency-Key": key})
        self.assert_error(again, 400, "invalid_request", field="shipping_address")
        # Recorded now: a valid body under the key is another body.
        other = self.api.post(self.path(cart_id), checkout_body(), headers={"Idempotency-Key": key})
        self.assert_error(other, 409, "conflict")
        self.assertEqual(self.api.get("/api/v1/carts/%s" % cart_id).json["status"], "open")

    def test_a_refusal_at_admission_is_answered_again_after_a_restart(self):
        product = self.create_product(initial_stock=1)
        carts = [self.create_cart()["cart_id"] for _ in range(2)]
        for cart_id in carts:
            r = self.api.post("/api/v1/carts/%s/items" % cart_id,
                              {"sku": product["sku"], "quantity": 1})
            self.assertEqual(r.status, 200, r)
        self.assertEqual(self.checkout(carts[0]).status, 201)
        key = "late-" + harness.random_token(10)
        first = self.checkout(carts[1], key=key)
        self.assert_error(first, 422, "out_of_stock")
        r = self.api.post("/api/v1/inventory/%s/adjust" % product["sku"], {"delta": 1},
                          token=self.admin_token())
        self.assertEqual(r.status, 200, r)
        self.restart_node()
        # The unit is back; the repeat is admitted on it, finds the refusal
        # recorded, answers it and gives the unit back.
        again = self.checkout(carts[1], key=key)
        self.assertEqual((again.status, again.json), (first.status, first.json))
        r = self.checkout(carts[1], key=key + "-2")
        self.assertEqual(r.status, 201, r)
        lv = self.levels(product["sku"])
        self.assertEqual((lv["on_hand"], lv["reserved"]), (0, 0), lv)


if __name__ == "__main__":
    unittest.main()
