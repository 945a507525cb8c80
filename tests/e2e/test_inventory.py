"""Inventory: stock levels and admin adjustments."""

import unittest

import harness


class InventoryTest(harness.NodeTestCase):

    def levels(self, sku):
        r = self.api.get("/api/v1/inventory/" + sku)
        self.assertEqual(r.status, 200, r)
        return r.json

    def adjust(self, sku, body, token=None):
        return self.api.post("/api/v1/inventory/%s/adjust" % sku, body,
                             token=token if token is not None else self.admin_token())

    def test_levels_of_a_new_product(self):
        p = self.create_product(initial_stock=12)
        lv = self.levels(p["sku"])
        self.assertEqual({k: lv.get(k) for k in ("sku", "on_hand", "reserved", "available")},
                         {"sku": p["sku"], "on_hand": 12, "reserved": 0, "available": 12})

    def test_levels_without_initial_stock_are_zero(self):
        p = self.create_product(initial_stock=None)
        lv = self.levels(p["sku"])
        self.assertEqual((lv["on_hand"], lv["reserved"], lv["available"]), (0, 0, 0))

    def test_adjust_changes_on_hand(self):
        p = self.create_product(initial_stock=10)
        r = self.adjust(p["sku"], {"delta": 5, "reason": "restock"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["sku"], r.json["on_hand"], r.json["reserved"],
                          r.json["available"]), (p["sku"], 15, 0, 15))
        r = self.adjust(p["sku"], {"delta": -15, "reason": "write-off"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["on_hand"], 0)
        lv = self.levels(p["sku"])
        self.assertEqual((lv["on_hand"], lv["available"]), (0, 0))
        # The product shows the same availability.
        self.assertEqual(self.api.get("/api/v1/products/" + p["sku"]).json["available"], 0)

    def test_adjust_below_reserved_is_422_insufficient_stock(self):
        p = self.create_product(initial_stock=3)
        r = self.adjust(p["sku"], {"delta": -4, "reason": "oops"})
        self.assert_error(r, 422, "insufficient_stock")
        self.assertEqual(self.levels(p["sku"])["on_hand"], 3)

    def test_adjust_needs_admin(self):
        p = self.create_product(initial_stock=3)
        c = self.register_customer()
        r = self.adjust(p["sku"], {"delta": 100, "reason": "free stuff"}, token=c["token"])
        self.assert_error(r, 403, "forbidden")
        r = self.api.post("/api/v1/inventory/%s/adjust" % p["sku"], {"delta": 1, "reason": "x"})
        self.assert_error(r, 401, "unauthenticated")
        self.assertEqual(self.levels(p["sku"])["on_hand"], 3)

    def test_unknown_sku_is_404(self):
        sku = "NO-SUCH-" + harness.random_token(6)
        self.assert_error(self.api.get("/api/v1/inventory/" + sku), 404, "not_found")
        self.assert_error(self.adjust(sku, {"delta": 1, "reason": "x"}), 404, "not_found")

    def test_bad_delta_is_400_on_delta(self):
        p = self.create_product(initial_stock=3)
        for body in ({"delta": "5", "reason": "x"}, {"delta": 1.5, "reason": "x"},
                     {"delta": None, "reason": "x"}, {"reason": "x"},
                     {"delta": 1e30, "reason": "x"},
                     {"delta": True, "reason": "x"}):
            self.assert_error(self.adjust(p["sku"], body), 400, "invalid_request", field="delta")
        r = self.api.post("/api/v1/inventory/%s/adjust" % p["sku"],
                          raw='{"delta": 99999999999999999999, "reason": "x"}',
                          content_type="application/json", token=self.admin_token())
        self.assert_error(r, 400, "invalid_request", field="delta")
        self.assertEqual(self.levels(p["sku"])["on_hand"], 3)

    def test_many_adjustments_add_up(self):
        p = self.create_product(initial_stock=0)
        for delta in (7, -2, 11, -5, 1):
            r = self.adjust(p["sku"], {"delta": delta, "reason": "count"})
            self.assertEqual(r.status, 200, r)
        self.assertEqual(self.levels(p["sku"])["on_hand"], 12)


if __name__ == "__main__":
    unittest.main()
