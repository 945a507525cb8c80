"""Carts: guest and customer carts, adding, setting and removing lines,
quantity validation, stock and currency rules, current prices, ownership."""

import re
import unittest

import harness

CART_FIELDS = {"cart_id", "customer_id", "status", "items", "subtotal_cents", "currency",
               "version", "updated_at"}
LINE_FIELDS = {"sku", "name", "quantity", "unit_price_cents", "line_total_cents"}


class CartTest(harness.NodeTestCase):

    # -- helpers -----------------------------------------------------------

    def cart_path(self, cart, *rest):
        cart_id = cart["cart_id"] if isinstance(cart, dict) else cart
        return "/".join(["/api/v1/carts", cart_id] + list(rest))

    def add(self, cart, sku, quantity, token=None):
        return self.api.post(self.cart_path(cart, "items"), {"sku": sku, "quantity": quantity},
                             token=token)

    def set_qty(self, cart, sku, quantity, token=None):
        return self.api.put(self.cart_path(cart, "items", sku), {"quantity": quantity},
                            token=token)

    def get_cart(self, cart, token=None):
        r = self.api.get(self.cart_path(cart), token=token)
        self.assertEqual(r.status, 200, r)
        self.check_cart(r.json)
        return r.json

    def lines(self, cart_body):
        return {i["sku"]: i["quantity"] for i in cart_body["items"]}

    def check_cart(self, c):
        """The cart body's shape and arithmetic."""
        self.assertTrue(CART_FIELDS <= set(c), sorted(CART_FIELDS - set(c)))
        self.assertIn(c["status"], ("open", "checking_out", "checked_out"))
        self.assertIsInstance(c["version"], int)
        self.assert_timestamp(c["updated_at"], "updated_at")
        total = 0
        for line in c["items"]:
            self.assertTrue(LINE_FIELDS <= set(line), sorted(LINE_FIELDS - set(line)))
            self.assertEqual(line["line_total_cents"], line["quantity"] * line["unit_price_cents"],
                             line)
            total += line["line_total_cents"]
        self.assertEqual(c["subtotal_cents"], total, c)

    # -- create ------------------------------------------------------------

    def test_create_guest_cart(self):
        r = self.api.post("/api/v1/carts", {})
        self.assertEqual(r.status, 201, r)
        c = r.json
        self.check_cart(c)
        self.assertTrue(re.match(r"^[0-9a-f-]{36}$", c["cart_id"]), c["cart_id"])
        self.assertIsNone(c["customer_id"])
        self.assertEqual(c["status"], "open")
        self.assertEqual(c["items"], [])
        self.assertEqual(c["subtotal_cents"], 0)
        self.assertEqual(self.get_cart(c)["cart_id"], c["cart_id"])

    def test_create_cart_with_a_token_binds_it(self):
        cust = self.register_customer()
        c = self.create_cart(token=cust["token"])
        self.assertEqual(c["customer_id"], cust["customer_id"])
        self.assertEqual(self.get_cart(c, token=cust["token"])["customer_id"],
                         cust["customer_id"])

    def test_guest_cart_is_reachable_without_a_token(self):
        c = self.create_cart()
        p = self.create_product(initial_stock=5)
        self.assertEqual(self.add(c, p["sku"], 1).status, 200)
        self.assertEqual(self.lines(self.get_cart(c)), {p["sku"]: 1})
        other = self.register_customer()
        self.assertEqual(self.api.get(self.cart_path(c), token=other["token"]).status, 200)

    def test_unknown_cart_is_404(self):
        r = self.api.get(self.cart_path("00000000-0000-4000-8000-000000000000"))
        self.assert_error(r, 404, "not_found")
        p = self.create_product()
        r = self.add("00000000-0000-4000-8000-000000000000", p["sku"], 1)
        self.assert_error(r, 404, "not_found")
        self.assert_error(self.api.get(self.cart_path("not-a-uuid")), 404, "not_found")

    # -- lines -------------------------------------------------------------

    def test_add_item_adds_to_an_existing_line(self):
        c = self.create_cart()
        a = self.create_product(price_cents=250, initial_stock=50, name="Widget A")
        b = self.create_product(price_cents=1999, initial_stock=50, name="Widget B")
        r = self.add(c, a["sku"], 2)
        self.assertEqual(r.status, 200, r)
        self.check_cart(r.json)
        self.assertEqual(self.lines(r.json), {a["sku"]: 2})
        r = self.add(c, a["sku"], 3)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.lines(r.json), {a["sku"]: 5})
        r = self.add(c, b["sku"], 1)
        self.assertEqual(r.status, 200, r)
        self.check_cart(r.json)
        line = {i["sku"]: i for i in r.json["items"]}
        self.assertEqual(line[a["sku"]]["unit_price_cents"], 250)
        self.assertEqual(line[a["sku"]]["line_total_cents"], 1250)
        self.assertEqual(line[a["sku"]]["name"], "Widget A")
        self.assertEqual(line[b["sku"]]["unit_price_cents"], 1999)
        self.assertEqual(r.json["subtotal_cents"], 1250 + 1999)
        self.assertEqual(r.json["currency"], "USD")
        self.assertGreater(r.json["version"], c["version"])
        self.assertEqual(self.get_cart(c), r.json)

    def test_put_sets_creates_and_removes_lines(self):
        c = self.create_cart()
        a = self.create_product(initial_stock=50)
        b = self.create_product(initial_stock=50)
        r = self.set_qty(c, a["sku"], 4)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.lines(r.json), {a["sku"]: 4})
        r = self.set_qty(c, a["sku"], 2)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.lines(r.json), {a["sku"]: 2})
        r = self.set_qty(c, b["sku"], 3)
        self.assertEqual(self.lines(r.json), {a["sku"]: 2, b["sku"]: 3})
        r = self.set_qty(c, a["sku"], 0)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.lines(r.json), {b["sku"]: 3})
        self.check_cart(r.json)
        r = self.set_qty(c, a["sku"], 0)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.lines(r.json), {b["sku"]: 3})

    def test_delete_removes_a_line_and_is_a_no_op_when_absent(self):
        c = self.create_cart()
        a = self.create_product(initial_stock=50)
        b = self.create_product(initial_stock=50)
        self.add(c, a["sku"], 1)
        self.add(c, b["sku"], 2)
        r = self.api.delete(self.cart_path(c, "items", a["sku"]))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.lines(r.json), {b["sku"]: 2})
        r = self.api.delete(self.cart_path(c, "items", a["sku"]))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.lines(r.json), {b["sku"]: 2})
        self.check_cart(r.json)

    # -- validation --------------------------------------------------------

    def test_post_quantity_validation(self):
        c = self.create_cart()
        p = self.create_product(initial_stock=20000)
        for q in (0, -1, 1.5, "2", 10001, None, True, [1], 1e30):
            r = self.add(c, p["sku"], q)
            self.assert_error(r, 400, "invalid_request", field="quantity")
        r = self.api.post(self.cart_path(c, "items"), {"sku": p["sku"]})
        self.assert_error(r, 400, "invalid_request", field="quantity")
        r = self.api.post(self.cart_path(c, "items"),
                          raw='{"sku": "%s", "quantity": 99999999999999999999}' % p["sku"],
                          content_type="application/json")
        self.assert_error(r, 400, "invalid_request", field="quantity")
        self.assertEqual(self.get_cart(c)["items"], [])
        self.assertEqual(self.add(c, p["sku"], 10000).status, 200)
        self.assertEqual(self.lines(self.get_cart(c)), {p["sku"]: 10000})

    def test_put_quantity_validation(self):
        c = self.create_cart()
        p = self.create_product(initial_stock=20000)
        for q in (-1, 10001, 2.5, "3", None):
            r = self.set_qty(c, p["sku"], q)
            self.assert_error(r, 400, "invalid_request", field="quantity")
        self.assertEqual(self.get_cart(c)["items"], [])
        self.assertEqual(self.set_qty(c, p["sku"], 10000).status, 200)
        self.assertEqual(self.set_qty(c, p["sku"], 0).status, 200)
        self.assertEqual(self.get_cart(c)["items"], [])

    def test_missing_or_invalid_sku_is_400_on_sku(self):
        c = self.create_cart()
        for body in ({"quantity": 1}, {"sku": 5, "quantity": 1}, {"sku": "", "quantity": 1}):
            r = self.api.post(self.cart_path(c, "items"), body)
            self.assert_error(r, 400, "invalid_request", field="sku")

    # -- business rules ----------------------------------------------------

    def test_out_of_stock_is_422_with_details(self):
        c = self.create_cart()
        p = self.create_product(initial_stock=5)
        r = self.add(c, p["sku"], 6)
        err = self.assert_error(r, 422, "out_of_stock")
        self.assertEqual({k: err["details"].get(k) for k in ("sku", "requested", "available")},
                         {"sku": p["sku"], "requested": 6, "available": 5})
        self.assertEqual(self.add(c, p["sku"], 3).status, 200)
        r = self.add(c, p["sku"], 3)
        err = self.assert_error(r, 422, "out_of_stock")
        self.assertEqual(err["details"]["sku"], p["sku"])
        self.assertEqual(err["details"]["available"], 5)
        self.assertEqual(self.lines(self.get_cart(c)), {p["sku"]: 3})
        r = self.set_qty(c, p["sku"], 6)
        self.assert_error(r, 422, "out_of_stock")
        self.assertEqual(self.set_qty(c, p["sku"], 5).status, 200)
        self.assertEqual(self.lines(self.get_cart(c)), {p["sku"]: 5})

    def test_unknown_and_retired_skus_are_404(self):
        c = self.create_cart()
        r = self.add(c, "NO-SUCH-" + harness.random_token(6), 1)
        self.assert_error(r, 404, "not_found")
        p = self.create_product(initial_stock=5)
        r = self.api.delete("/api/v1/products/" + p["sku"], token=self.admin_token())
        self.assertEqual(r.status, 204, r)
        self.assert_error(self.add(c, p["sku"], 1), 404, "not_found")
        self.assert_error(self.set_qty(c, p["sku"], 1), 404, "not_found")
        self.assertEqual(self.get_cart(c)["items"], [])

    def test_currency_mismatch_is_422(self):
        c = self.create_cart()
        usd = self.create_product(currency="USD", initial_stock=5)
        eur = self.create_product(currency="EUR", initial_stock=5)
        self.assertEqual(self.add(c, usd["sku"], 1).status, 200)
        self.assert_error(self.add(c, eur["sku"], 1), 422, "currency_mismatch")
        self.assert_error(self.set_qty(c, eur["sku"], 1), 422, "currency_mismatch")
        self.assertEqual(self.lines(self.get_cart(c)), {usd["sku"]: 1})

    def test_a_price_change_shows_in_the_cart(self):
        c = self.create_cart()
        p = self.create_product(price_cents=1000, initial_stock=10)
        self.add(c, p["sku"], 3)
        self.assertEqual(self.get_cart(c)["subtotal_cents"], 3000)
        body = {k: p[k] for k in ("name", "description", "currency", "category", "attributes")}
        body["price_cents"] = 1234
        r = self.api.put("/api/v1/products/" + p["sku"], body, token=self.admin_token())
        self.assertEqual(r.status, 200, r)
        cart = self.get_cart(c)
        self.assertEqual(cart["items"][0]["unit_price_cents"], 1234)
        self.assertEqual(cart["subtotal_cents"], 3 * 1234)
        r = self.api.patch("/api/v1/products/" + p["sku"], {"price_cents": 999},
                           token=self.admin_token())
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.get_cart(c)["subtotal_cents"], 3 * 999)

    # -- ownership ---------------------------------------------------------

    def test_another_customers_cart_is_403_and_no_token_is_401(self):
        owner = self.register_customer()
        other = self.register_customer()
        c = self.create_cart(token=owner["token"])
        p = self.create_product(initial_stock=5)
        self.assertEqual(self.add(c, p["sku"], 1, token=owner["token"]).status, 200)
        self.assert_error(self.api.get(self.cart_path(c), token=other["token"]), 403, "forbidden")
        self.assert_error(self.add(c, p["sku"], 1, token=other["token"]), 403, "forbidden")
        self.assert_error(self.set_qty(c, p["sku"], 3, token=other["token"]), 403, "forbidden")
        self.assert_error(self.api.delete(self.cart_path(c, "items", p["sku"]),
                                          token=other["token"]), 403, "forbidden")
        self.assert_error(self.api.get(self.cart_path(c)), 401, "unauthenticated")
        self.assert_error(self.add(c, p["sku"], 1), 401, "unauthenticated")
        self.assertEqual(self.lines(self.get_cart(c, token=owner["token"])), {p["sku"]: 1})


if __name__ == "__main__":
    unittest.main()
