"""Operations endpoints: /healthz, /readyz, /metrics, /openapi.json, request
ids, and a clean SIGTERM stop followed by a restart on the same database."""

import re
import unittest

import harness

# Every (method, path) of API.md; path parameters are compared by position
# only ({sku} and {id} are the same template).
CORE_PATHS = [
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/me"),
    ("post", "/api/v1/products"),
    ("get", "/api/v1/products"),
    ("put", "/api/v1/products/{sku}"),
    ("patch", "/api/v1/products/{sku}"),
    ("delete", "/api/v1/products/{sku}"),
    ("get", "/api/v1/products/{sku}"),
    ("get", "/api/v1/products/suggest"),
    ("get", "/api/v1/categories"),
    ("get", "/api/v1/inventory/{sku}"),
    ("post", "/api/v1/inventory/{sku}/adjust"),
    ("post", "/api/v1/carts"),
    ("get", "/api/v1/carts/{cart_id}"),
    ("post", "/api/v1/carts/{cart_id}/items"),
    ("put", "/api/v1/carts/{cart_id}/items/{sku}"),
    ("delete", "/api/v1/carts/{cart_id}/items/{sku}"),
    ("get", "/api/v1/shipping/quote"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
]

LATER_PATHS = [
    ("post", "/api/v1/carts/{cart_id}/checkout"),
    ("get", "/api/v1/checkouts/{checkout_id}"),
    ("get", "/api/v1/orders/{order_id}"),
    ("get", "/api/v1/orders"),
    ("post", "/api/v1/orders/{order_id}/cancel"),
    ("post", "/api/v1/orders/{order_id}/ship"),
    ("post", "/api/v1/orders/{order_id}/deliver"),
    ("get", "/api/v1/payments/{payment_id}"),
    ("post", "/api/v1/payments/{payment_id}/refund"),
    ("get", "/api/v1/analytics/dashboard"),
    ("get", "/api/v1/analytics/sales/daily"),
    ("get", "/api/v1/analytics/products/top-selling"),
    ("get", "/api/v1/ws"),
    ("get", "/admin/v1/cluster"),
    ("get", "/admin/v1/actors"),
    ("get", "/admin/v1/actors/{type}/{id}"),
    ("get", "/admin/v1/sagas"),
    ("get", "/admin/v1/sagas/{checkout_id}/timeline"),
    ("get", "/admin/v1/ws"),
]

SAMPLE_LINE = re.compile(
    r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+'
    r'([-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|NaN|[-+]?Inf))(\s+-?[0-9]+)?$')


def template(path):
    return re.sub(r"\{[^}/]*\}", "{}", path)


def parse_metrics(text):
    """{metric name: [(labels text, value)]}; raises on a malformed line."""
    samples = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = SAMPLE_LINE.match(line)
        if not m:
            raise AssertionError("not a Prometheus sample line: %r" % line)
        samples.setdefault(m.group(1), []).append((m.group(2) or "", float(m.group(3))))
    return samples


class OpsTest(harness.NodeTestCase):

    def test_healthz_answers_200(self):
        r = self.api.get("/healthz")
        self.assertEqual(r.status, 200, r)

    def test_readyz_answers_200_when_postgres_is_reachable(self):
        r = self.api.get("/readyz")
        self.assertEqual(r.status, 200, r)

    def test_request_id_is_echoed_when_sent(self):
        for path in ("/healthz", "/api/v1/products/NO-SUCH-SKU", "/api/v1/nowhere"):
            r = self.api.get(path, headers={"X-Request-Id": "e2e-req-4711"})
            self.assertEqual(r.header("x-request-id"), "e2e-req-4711", r)

    def test_request_id_is_generated_when_absent_and_differs_per_request(self):
        ids = set()
        for _ in range(5):
            r = self.api.get("/healthz")
            ids.add(r.header("x-request-id"))
        self.assertEqual(len(ids), 5, ids)

    def test_metrics_is_prometheus_text_with_http_and_journal_series(self):
        # A write so the journal has committed at least one batch.
        self.create_cart()
        r = self.api.get("/metrics", headers={"Accept": "text/plain"})
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("content-type", "").startswith("text/plain"), r.headers)
        samples = parse_metrics(r.text)
        self.assertIn("# TYPE agora_http_requests_total counter", r.text)
        self.assertIn("agora_http_requests_total", samples, sorted(samples))
        self.assertTrue(any(name.startswith("agora_journal_batch_events") for name in samples),
                        sorted(samples))

    def test_http_request_counter_grows(self):
        def total():
            r = self.api.get("/metrics")
            self.assertEqual(r.status, 200, r)
            return sum(v for _, v in parse_metrics(r.text).get("agora_http_requests_total", []))
        before = total()
        for _ in range(10):
            self.assertEqual(self.api.get("/healthz").status, 200)
        after = total()
        self.assertGreaterEqual(after - before, 10, (before, after))

    def test_openapi_document_is_openapi_3(self):
        r = self.api.get("/openapi.json")
        self.assertEqual(r.status, 200, r)
        self.assertIsInstance(r.json, dict, r)
        self.assertIsInstance(r.json.get("openapi"), str, r.json.get("openapi"))
        self.assertTrue(r.json["openapi"].startswith("3."), r.json["openapi"])
        self.assertIsInstance(r.json.get("paths"), dict)
        self.assertIn("info", r.json)

    def _missing_paths(self, wanted):
        r = self.api.get("/openapi.json")
        self.assertEqual(r.status, 200, r)
        paths = {template(p): ops for p, ops in r.json.get("paths", {}).items()}
        missing = []
        for method, path in wanted:
            ops = paths.get(template(path))
            if not isinstance(ops, dict) or method not in ops:
                missing.append("%s %s" % (method.upper(), path))
        return missing

    def test_openapi_has_the_auth_catalogue_cart_shipping_and_ops_paths(self):
        missing = self._missing_paths(CORE_PATHS)
        self.assertEqual(missing, [], "paths of API.md missing from /openapi.json")

    def test_openapi_has_every_path_of_the_contract(self):
        missing = self._missing_paths(CORE_PATHS + LATER_PATHS)
        self.assertEqual(missing, [], "paths of API.md missing from /openapi.json")


class StopAndRestartTest(harness.NodeTestCase):

    def test_sigterm_stops_cleanly_and_a_restart_keeps_the_data(self):
        cart = self.create_cart()
        product = self.create_product(initial_stock=10)
        r = self.api.post("/api/v1/carts/%s/items" % cart["cart_id"],
                          {"sku": product["sku"], "quantity": 2})
        self.assertEqual(r.status, 200, r)
        self.api.close()
        code, in_time = self.node.stop()
        self.assertTrue(in_time, "the node did not stop within the grace period after SIGTERM")
        self.assertEqual(code, 0, "exit code after SIGTERM:\n%s" % self.node.log_tail())
        # Same database: migrations must be idempotent, state must be back.
        self.node.start()
        api = self.node.client()
        type(self).api = api
        r = api.get("/api/v1/carts/%s" % cart["cart_id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual([(i["sku"], i["quantity"]) for i in r.json["items"]],
                         [(product["sku"], 2)])
        r = api.get("/api/v1/products/%s" % product["sku"])
        self.assertEqual(r.status, 200, r)
        r = api.get("/api/v1/inventory/%s" % product["sku"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["on_hand"], 10, r)
        self.assertEqual(api.get("/readyz").status, 200)


if __name__ == "__main__":
    unittest.main()
