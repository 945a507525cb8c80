"""Idempotency-Key on mutating POSTs: the same key and body give the first
response again without doing anything twice (4xx included), another body is
409, keys are scoped to the caller and to method + path, and they survive a
restart."""

import unittest

import harness


class IdempotencyTest(harness.NodeTestCase):

    def post_keyed(self, path, body, key, token=None):
        return self.api.post(path, body, token=token, headers={"Idempotency-Key": key})

    def test_a_repeated_create_returns_the_first_cart(self):
        key = "cart-" + harness.random_token(8)
        first = self.post_keyed("/api/v1/carts", {}, key)
        self.assertEqual(first.status, 201, first)
        again = self.post_keyed("/api/v1/carts", {}, key)
        self.assertEqual(again.status, 201, again)
        self.assertEqual(again.json["cart_id"], first.json["cart_id"])
        self.assertEqual(again.headers.get("location"), first.headers.get("location"))
        # The query string is not part of the scope.
        with_query = self.post_keyed("/api/v1/carts?source=retry", {}, key)
        self.assertEqual(with_query.json["cart_id"], first.json["cart_id"])
        # Without a key every POST is a new request.
        other = self.api.post("/api/v1/carts", {})
        self.assertNotEqual(other.json["cart_id"], first.json["cart_id"])

    def test_a_repeated_add_adds_once(self):
        product = self.create_product(initial_stock=50)
        cart = self.create_cart()
        path = "/api/v1/carts/%s/items" % cart["cart_id"]
        body = {"sku": product["sku"], "quantity": 2}
        key = "add-" + harness.random_token(8)
        for _ in range(3):
            r = self.post_keyed(path, body, key)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json["items"][0]["quantity"], 2)
        r = self.api.get("/api/v1/carts/" + cart["cart_id"])
        self.assertEqual(r.json["items"][0]["quantity"], 2)
        self.assertEqual(r.json["version"], 2)

    def test_another_body_with_the_same_key_is_a_conflict(self):
        product = self.create_product(initial_stock=50)
        cart = self.create_cart()
        path = "/api/v1/carts/%s/items" % cart["cart_id"]
        key = "add-" + harness.random_token(8)
        self.assertEqual(self.post_keyed(path, {"sku": product["sku"], "quantity": 1}, key).status,
                         200)
        r = self.post_keyed(path, {"sku": product["sku"], "quantity": 3}, key)
        self.assert_error(r, 409, "conflict")
        r = self.api.get("/api/v1/carts/" + cart["cart_id"])
        self.assertEqual(r.json["items"][0]["quantity"], 1)

    def refused_add(self, key_prefix):
        """A keyed add of 5 units of a product that has 1: its 422 is recorded
        under the key. Returns the product, the cart, the path, the body and the key."""
        product = self.create_product(initial_stock=1)
        cart = self.create_cart()
        path = "/api/v1/carts/%s/items" % cart["cart_id"]
        body = {"sku": product["sku"], "quantity": 5}
        key = key_prefix + harness.random_token(8)
        self.assert_error(self.post_keyed(path, body, key), 422, "out_of_stock")
        return product, cart, path, body, key

    def test_a_client_error_is_replayed_too(self):
        product, _, path, body, key = self.refused_add("oos-")
        r = self.api.post("/api/v1/inventory/%s/adjust" % product["sku"],
                          {"delta": 100, "reason": "restock"}, token=self.admin_token())
        self.assertEqual(r.status, 200, r)
        # Stock is there now, but the key answers what it answered first.
        self.assert_error(self.post_keyed(path, body, key), 422, "out_of_stock")
        self.assertEqual(self.post_keyed(path, body, key + "-new").status, 200)

    def test_a_recorded_answer_that_no_longer_reads_is_500_and_performs_nothing(self):
        product, cart, path, body, key = self.refused_add("damaged-")
        # Only a damaged row can do this: the node cannot give the first
        # answer again. The 500 is the node's own data, not the request
        # (which is why the harness's rule against 500 is lifted here).
        self.assertEqual(self.db.query(
            "UPDATE idempotency_keys SET response = '\"not a response\"' "
            "WHERE key = '%s' RETURNING status" % key), [["422"]])
        r = self.api.post(path, body, headers={"Idempotency-Key": key}, check=False)
        self.assert_error(r, 500, "internal")
        self.assertEqual(r.json["error"]["message"], "the recorded response is unreadable")
        # Nothing ran in its place, and the key still holds its request.
        self.assertEqual(self.api.get("/api/v1/carts/" + cart["cart_id"]).json["items"], [])
        self.assert_error(self.post_keyed(path, {"sku": product["sku"], "quantity": 1}, key),
                          409, "conflict")

    def test_keys_are_scoped_to_the_caller(self):
        key = "shared-" + harness.random_token(8)
        guest = self.post_keyed("/api/v1/carts", {}, key)
        customer = self.register_customer()
        mine = self.post_keyed("/api/v1/carts", {}, key, token=customer["token"])
        self.assertEqual(mine.status, 201, mine)
        self.assertNotEqual(mine.json["cart_id"], guest.json["cart_id"])
        self.assertEqual(mine.json["customer_id"], customer["customer_id"])

    def test_a_malformed_key_is_rejected(self):
        for key in ["x" * 256, "has space"]:
            r = self.post_keyed("/api/v1/carts", {}, key)
            self.assert_error(r, 400, "invalid_request", field="Idempotency-Key")

    def test_keys_survive_a_restart(self):
        key = "restart-" + harness.random_token(8)
        first = self.post_keyed("/api/v1/carts", {}, key)
        self.assertEqual(first.status, 201, first)
        self.restart_node()
        again = self.post_keyed("/api/v1/carts", {}, key)
        self.assertEqual(again.json["cart_id"], first.json["cart_id"])


if __name__ == "__main__":
    unittest.main()
