"""Catalogue: product CRUD as admin, access control, listing with search,
filters, sorting and cursor pagination (from the read model, polled until it
catches up), suggestions, categories, and the demo seed."""

import time
import unittest
import urllib.parse

import harness

PRODUCT_FIELDS = {"sku", "name", "description", "price_cents", "currency", "category",
                  "attributes", "available", "version", "updated_at"}


def query(path, **params):
    return path + "?" + urllib.parse.urlencode(params)


class CatalogueTest(harness.NodeTestCase):

    # -- helpers -----------------------------------------------------------

    def list_page(self, **params):
        r = self.api.get(query("/api/v1/products", **params))
        self.assertEqual(r.status, 200, r)
        self.assertIn("items", r.json, r)
        self.assertIn("next_cursor", r.json, r)
        return r.json

    def list_skus(self, **params):
        return [p["sku"] for p in self.list_page(**params)["items"]]

    def wait_listed(self, expected, **params):
        """Polls the list until it returns exactly `expected` SKUs in order."""
        expected = list(expected)

        def check():
            return self.list_skus(**params) == expected
        try:
            harness.wait_until(check, what="list %r == %r" % (params, expected))
        except AssertionError as e:
            raise AssertionError("%s; last list: %r" % (e, self.list_skus(**params)))

    def check_product(self, p, body):
        self.assertTrue(PRODUCT_FIELDS <= set(p), sorted(PRODUCT_FIELDS - set(p)))
        for key in ("sku", "name", "description", "price_cents", "currency", "category"):
            self.assertEqual(p[key], body[key], key)
        self.assertEqual(p["attributes"], body.get("attributes", {}))
        self.assertIsInstance(p["version"], int)
        self.assert_timestamp(p["updated_at"], "updated_at")

    # -- create / read / update / delete ------------------------------------

    def test_create_returns_201_with_every_field(self):
        body = self.product_body(name="Espresso Machine", price_cents=34900, currency="EUR",
                                 category="Kitchen", attributes={"brand": "Acme", "bar": "15"},
                                 initial_stock=7)
        r = self.api.post("/api/v1/products", body, token=self.admin_token())
        self.assertEqual(r.status, 201, r)
        self.check_product(r.json, body)
        self.assertEqual(r.json["available"], 7)
        g = self.api.get("/api/v1/products/" + body["sku"])
        self.assertEqual(g.status, 200, g)
        self.check_product(g.json, body)
        self.assertEqual(g.json["available"], 7)
        self.assertEqual(g.json["version"], r.json["version"])

    def test_create_without_attributes_or_stock(self):
        body = self.product_body()
        del body["attributes"], body["initial_stock"]
        r = self.api.post("/api/v1/products", body, token=self.admin_token())
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["attributes"], {})
        self.assertEqual(r.json["available"], 0)

    def test_duplicate_sku_is_409(self):
        p = self.create_product()
        r = self.api.post("/api/v1/products", self.product_body(p["sku"]),
                          token=self.admin_token())
        self.assert_error(r, 409, "conflict")

    def test_invalid_sku_is_400_on_sku(self):
        for bad in ("", "has space", "slash/inside", "ümlaut", "x" * 65, 123, None):
            body = self.product_body()
            body["sku"] = bad
            r = self.api.post("/api/v1/products", body, token=self.admin_token())
            self.assert_error(r, 400, "invalid_request", field="sku")

    def test_sku_of_64_allowed_characters_is_accepted(self):
        sku = ("A.b_c-9" + harness.random_token(10) + "z" * 64)[:64]
        r = self.api.post("/api/v1/products", self.product_body(sku), token=self.admin_token())
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.api.get("/api/v1/products/" + sku).status, 200)

    def test_invalid_fields_are_400_naming_the_field(self):
        cases = [("price_cents", -1), ("price_cents", "12"), ("price_cents", 1.5),
                 ("name", ""), ("name", 7), ("currency", 3), ("attributes", [1, 2]),
                 ("initial_stock", -5)]
        for field, value in cases:
            body = self.product_body()
            body[field] = value
            r = self.api.post("/api/v1/products", body, token=self.admin_token())
            self.assert_error(r, 400, "invalid_request", field=field)

    def test_customer_token_cannot_create_a_product(self):
        c = self.register_customer()
        r = self.api.post("/api/v1/products", self.product_body(), token=c["token"])
        self.assert_error(r, 403, "forbidden")

    def test_no_token_cannot_create_a_product(self):
        r = self.api.post("/api/v1/products", self.product_body())
        self.assert_error(r, 401, "unauthenticated")

    def test_authentication_is_checked_before_the_body(self):
        r = self.api.post("/api/v1/products", raw="{not json", content_type="application/json")
        self.assert_error(r, 401, "unauthenticated")
        c = self.register_customer()
        r = self.api.post("/api/v1/products", raw="{not json", content_type="application/json",
                          token=c["token"])
        self.assert_error(r, 403, "forbidden")

    def test_put_replaces_the_product(self):
        p = self.create_product(attributes={"old": "yes"})
        new = {"name": "Replaced name", "description": "Replaced description",
               "price_cents": 555, "currency": "USD", "category": "Replaced",
               "attributes": {"new": "1"}}
        r = self.api.put("/api/v1/products/" + p["sku"], new, token=self.admin_token())
        self.assertEqual(r.status, 200, r)
        self.check_product(r.json, dict(new, sku=p["sku"]))
        self.assertGreater(r.json["version"], p["version"])
        g = self.api.get("/api/v1/products/" + p["sku"])
        self.check_product(g.json, dict(new, sku=p["sku"]))

    def test_put_unknown_sku_is_404(self):
        new = self.product_body()
        del new["sku"], new["initial_stock"]
        r = self.api.put("/api/v1/products/NO-SUCH-" + harness.random_token(6), new,
                         token=self.admin_token())
        self.assert_error(r, 404, "not_found")

    def test_patch_changes_only_the_given_fields(self):
        p = self.create_product(price_cents=1000)
        r = self.api.patch("/api/v1/products/" + p["sku"], {"price_cents": 1250},
                           token=self.admin_token())
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["price_cents"], 1250)
        for key in ("name", "description", "currency", "category", "attributes"):
            self.assertEqual(r.json[key], p[key], key)
        self.assertEqual(self.api.get("/api/v1/products/" + p["sku"]).json["price_cents"], 1250)

    def test_patch_and_delete_need_admin(self):
        p = self.create_product()
        c = self.register_customer()
        path = "/api/v1/products/" + p["sku"]
        self.assert_error(self.api.patch(path, {"price_cents": 1}), 401, "unauthenticated")
        self.assert_error(self.api.patch(path, {"price_cents": 1}, token=c["token"]),
                          403, "forbidden")
        self.assert_error(self.api.delete(path, token=c["token"]), 403, "forbidden")
        self.assertEqual(self.api.get(path).json["price_cents"], p["price_cents"])

    def test_get_unknown_sku_is_404(self):
        r = self.api.get("/api/v1/products/NO-SUCH-" + harness.random_token(6))
        self.assert_error(r, 404, "not_found")

    def test_delete_retires_the_product(self):
        category = "Retire-" + harness.random_token(6)
        keep = self.create_product(category=category, name="Keep me")
        gone = self.create_product(category=category, name="Retire me")
        self.wait_listed([keep["sku"], gone["sku"]], category=category)
        r = self.api.delete("/api/v1/products/" + gone["sku"], token=self.admin_token())
        self.assertEqual(r.status, 204, r)
        self.assert_error(self.api.get("/api/v1/products/" + gone["sku"]), 404, "not_found")
        r = self.api.post("/api/v1/products", self.product_body(gone["sku"]),
                          token=self.admin_token())
        self.assert_error(r, 409, "conflict")
        self.wait_listed([keep["sku"]], category=category)
        r = self.api.delete("/api/v1/products/" + gone["sku"], token=self.admin_token())
        self.assert_error(r, 404, "not_found")

    # -- listing -----------------------------------------------------------

    def test_search_requires_every_term(self):
        t1, t2 = harness.random_word(), harness.random_word()
        both = self.create_product(name="%s %s lamp" % (t1.title(), t2.title()))
        only1 = self.create_product(name="%s chair" % t1.title())
        self.wait_listed([both["sku"]], q="%s %s" % (t1, t2))
        found = harness.wait_until(lambda: set(self.list_skus(q=t1)) == {both["sku"], only1["sku"]},
                                   what="both products found by %s" % t1)
        self.assertTrue(found)

    def test_search_ranks_a_name_match_above_a_description_match(self):
        term = harness.random_word()
        in_desc = self.create_product(name="Plain kettle",
                                      description="Works well with the %s adapter." % term)
        in_name = self.create_product(name="%s adapter" % term.title(),
                                      description="An adapter.")
        self.wait_listed([in_name["sku"], in_desc["sku"]], q=term)
        self.wait_listed([in_name["sku"], in_desc["sku"]], q=term, sort="relevance")

    def test_search_is_case_insensitive(self):
        term = harness.random_word()
        p = self.create_product(name="%s bottle" % term.title())
        self.wait_listed([p["sku"]], q=term.upper())

    def test_category_filter_is_exact_and_case_sensitive(self):
        base = "Cat" + harness.random_token(6)
        exact = self.create_product(category=base, name="Exact category")
        lower = self.create_product(category=base.lower(), name="Lower category")
        longer = self.create_product(category=base + " Extra", name="Longer category")
        self.wait_listed([exact["sku"]], category=base)
        self.wait_listed([lower["sku"]], category=base.lower())
        self.wait_listed([longer["sku"]], category=base + " Extra")
        self.wait_listed([], category=base[:-1])

    def _priced_category(self):
        category = "Price-" + harness.random_token(6)
        names = [("Delta", 300), ("Alpha", 200), ("Charlie", 100), ("Bravo", 400)]
        skus = {}
        for name, price in names:
            skus[name] = self.create_product(category=category, name=name,
                                             price_cents=price)["sku"]
        return category, skus

    def test_price_filters_are_inclusive(self):
        category, s = self._priced_category()
        self.wait_listed([s["Alpha"], s["Delta"]], category=category, min_price=200,
                         max_price=300, sort="price_asc")
        self.wait_listed([s["Delta"], s["Bravo"]], category=category, min_price=300,
                         sort="price_asc")
        self.wait_listed([s["Charlie"]], category=category, max_price=100)
        self.wait_listed([], category=category, min_price=401)

    def test_sort_orders(self):
        category, s = self._priced_category()
        by_price = [s["Charlie"], s["Alpha"], s["Delta"], s["Bravo"]]
        self.wait_listed(by_price, category=category, sort="price_asc")
        self.wait_listed(list(reversed(by_price)), category=category, sort="price_desc")
        by_name = [s["Alpha"], s["Bravo"], s["Charlie"], s["Delta"]]
        self.wait_listed(by_name, category=category, sort="name")
        # Without q the default order is by name.
        self.wait_listed(by_name, category=category)

    def test_listed_items_are_products(self):
        body = self.product_body(category="Shape-" + harness.random_token(6),
                                 attributes={"k": "v"}, initial_stock=3)
        r = self.api.post("/api/v1/products", body, token=self.admin_token())
        self.assertEqual(r.status, 201, r)
        self.wait_listed([body["sku"]], category=body["category"])
        # The product and its stock are separate events (product, inventory):
        # the read model may list the product a moment before its stock.
        harness.wait_until(
            lambda: self.list_page(category=body["category"])["items"][0]["available"] == 3,
            what="the listed product shows its initial stock")
        item = self.list_page(category=body["category"])["items"][0]
        self.check_product(item, body)
        self.assertEqual(item["available"], 3)

    def test_invalid_list_parameters_are_400(self):
        for value in ("0", "201", "abc", "-1", "1.5"):
            r = self.api.get(query("/api/v1/products", limit=value))
            self.assert_error(r, 400, "invalid_request", field="limit")
        r = self.api.get(query("/api/v1/products", sort="sideways"))
        self.assert_error(r, 400, "invalid_request", field="sort")
        r = self.api.get(query("/api/v1/products", min_price="cheap"))
        self.assert_error(r, 400, "invalid_request", field="min_price")
        for limit in (1, 200):
            self.assertEqual(self.api.get(query("/api/v1/products", limit=limit)).status, 200)

    def test_default_limit_is_20(self):
        category = "Many-" + harness.random_token(6)
        for i in range(23):
            self.create_product(category=category, name="Item %02d" % i)
        harness.wait_until(lambda: len(self.list_skus(category=category, limit=200)) == 23,
                           what="23 products listed")
        page = self.list_page(category=category)
        self.assertEqual(len(page["items"]), 20)
        self.assertIsNotNone(page["next_cursor"])

    def test_cursor_pagination_returns_every_product_once(self):
        category = "Pages-" + harness.random_token(6)
        created = set()
        for i in range(11):
            created.add(self.create_product(category=category, name="Paged %02d" % i,
                                            price_cents=100 + (i * 37) % 11)["sku"])
        harness.wait_until(lambda: set(self.list_skus(category=category, limit=200)) == created,
                           what="11 products listed")
        for sort in ("name", "price_asc", "price_desc"):
            seen, pages, cursor = [], 0, None
            while True:
                params = {"category": category, "limit": 3, "sort": sort}
                if cursor is not None:
                    params["cursor"] = cursor
                page = self.list_page(**params)
                pages += 1
                self.assertLessEqual(len(page["items"]), 3)
                seen.extend(p["sku"] for p in page["items"])
                cursor = page["next_cursor"]
                if cursor is None:
                    break
                self.assertRegex(cursor, r"^[A-Za-z0-9_-]+=*$", "cursor not base64url")
                self.assertLess(pages, 10, "pagination does not end")
            self.assertEqual(sorted(seen), sorted(created), sort)
            self.assertEqual(len(seen), len(set(seen)), "duplicates with sort=%s" % sort)
            self.assertEqual(seen, self.list_skus(category=category, limit=200, sort=sort), sort)

    def test_tampered_cursor_is_400(self):
        category = "Cursor-" + harness.random_token(6)
        for i in range(3):
            self.create_product(category=category, name="Cursor %d" % i)
        harness.wait_until(lambda: len(self.list_skus(category=category)) == 3,
                           what="3 products listed")
        cursor = self.list_page(category=category, limit=1)["next_cursor"]
        self.assertIsNotNone(cursor)
        for bad in ("garbage!!", "%%%", cursor[: len(cursor) // 2], "AAAA" + cursor[4:],
                    harness.b64url(b'{"not":"a cursor"}')):
            if bad == cursor:
                continue
            r = self.api.get(query("/api/v1/products", category=category, limit=1, cursor=bad))
            self.assert_error(r, 400, "invalid_request", field="cursor")

    # -- suggest and categories -------------------------------------------

    def test_suggest_matches_word_prefixes_case_insensitively(self):
        word = harness.random_word(10)
        first = self.create_product(name="%s Speaker" % word.title())
        second = self.create_product(name="Super %s Mini" % word.upper())
        inside = self.create_product(name="Ab%s Thing" % word)
        prefix = word[:6]

        def suggestions(p):
            r = self.api.get(query("/api/v1/products/suggest", prefix=p, limit=10))
            self.assertEqual(r.status, 200, r)
            self.assertIsInstance(r.json["suggestions"], list, r)
            return r.json["suggestions"]
        expected = {first["name"], second["name"]}
        harness.wait_until(lambda: set(suggestions(prefix)) == expected,
                           what="suggestions for %s" % prefix)
        self.assertEqual(set(suggestions(prefix.upper())), expected)
        self.assertNotIn(inside["name"], suggestions(prefix))
        self.assertEqual(len(suggestions(prefix)), 2)
        r = self.api.get(query("/api/v1/products/suggest", prefix=prefix, limit=1))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.json["suggestions"]), 1, r)

    def test_categories_count_listed_products(self):
        category = "Counted-" + harness.random_token(6)
        skus = [self.create_product(category=category)["sku"] for _ in range(3)]

        def count():
            r = self.api.get("/api/v1/categories")
            self.assertEqual(r.status, 200, r)
            for item in r.json["items"]:
                self.assertTrue({"name", "product_count"} <= set(item), item)
                if item["name"] == category:
                    return item["product_count"]
            return 0
        harness.wait_until(lambda: count() == 3, what="category count 3")
        r = self.api.delete("/api/v1/products/" + skus[0], token=self.admin_token())
        self.assertEqual(r.status, 204, r)
        harness.wait_until(lambda: count() == 2, what="category count 2 after a delete")


class DemoSeedTest(harness.NodeTestCase):
    node_flags = ("--catalogue.seed_demo=true",)

    def all_products(self):
        items, cursor = [], None
        for _ in range(50):
            path = "/api/v1/products?limit=200" + ("&cursor=" + cursor if cursor else "")
            r = self.api.get(path)
            self.assertEqual(r.status, 200, r)
            items.extend(r.json["items"])
            cursor = r.json["next_cursor"]
            if cursor is None:
                return items
        self.fail("pagination does not end")

    def seed_rows(self):
        """Journal events of products and inventory items (what seeding writes)."""
        return int(self.db.query(
            "SELECT count(*) FROM journal WHERE persistence_id LIKE 'product|%' "
            "OR persistence_id LIKE 'inventory|%'")[0][0])

    def settled_seed_rows(self):
        """The seed row count once it stays the same for half a second."""
        def settled():
            before = self.seed_rows()
            time.sleep(0.5)
            after = self.seed_rows()
            return after if after == before and after > 0 else None
        return harness.wait_until(settled, timeout=30, what="the seed to stop writing")

    def test_demo_catalogue_is_seeded_once(self):
        def enough():
            ps = self.all_products()
            return ps if len(ps) >= 200 else None
        products = harness.wait_until(enough, timeout=30, what=">= 200 demo products listed")
        skus = [p["sku"] for p in products]
        self.assertEqual(len(skus), len(set(skus)), "a product is listed twice")
        # Count once the read model has caught up with the whole seed: as many
        # listed products as product streams in the journal.
        rows = self.settled_seed_rows()
        streams = int(self.db.query(
            "SELECT count(DISTINCT persistence_id) FROM journal "
            "WHERE persistence_id LIKE 'product|%'")[0][0])

        def caught_up():
            ps = self.all_products()
            return ps if len(ps) == streams else None
        products = harness.wait_until(caught_up, timeout=30, what="the read model to catch up")
        r = self.api.get("/api/v1/categories")
        self.assertEqual(r.status, 200, r)
        counted = {c["name"]: c["product_count"] for c in r.json["items"]}
        self.assertGreaterEqual(len(counted), 5, counted)
        skus = [p["sku"] for p in products]
        self.assertEqual(sum(counted.values()), len(products), counted)
        in_stock = [p for p in products if p["available"] > 0]
        self.assertGreater(len(in_stock), len(products) // 2)
        sample = in_stock[:: max(1, len(in_stock) // 10)]
        levels = {}
        for p in sample:
            r = self.api.get("/api/v1/inventory/" + p["sku"])
            self.assertEqual(r.status, 200, r)
            self.assertGreater(r.json["on_hand"], 0, r)
            levels[p["sku"]] = r.json["on_hand"]

        self.restart_node()
        # A second seed would append product and inventory events; give it the
        # time a seed takes to start, then compare.
        time.sleep(1.5)
        self.assertEqual(self.seed_rows(), rows, "the restart seeded again")
        again = self.all_products()
        self.assertEqual(sorted(p["sku"] for p in again), sorted(skus))
        for sku, on_hand in levels.items():
            r = self.api.get("/api/v1/inventory/" + sku)
            self.assertEqual(r.json["on_hand"], on_hand, sku)


if __name__ == "__main__":
    unittest.main()
