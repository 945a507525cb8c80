"""Malformed requests: bad JSON, wrong types, unknown routes and methods,
oversized and mistyped bodies, huge numbers, and raw malformed HTTP over a
socket. None of them may return 500, change state, or hurt the node."""

import json
import random
import socket
import time
import unittest

import harness


class ErrorTest(harness.NodeTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls._make_cart()
        except BaseException:
            cls.api.close()
            cls._cleanup()
            raise

    @classmethod
    def _make_cart(cls):
        """A cart with one line whose state every test compares at its end."""
        api = cls.api
        r = api.post("/api/v1/auth/login",
                     {"email": harness.ADMIN_EMAIL, "password": harness.ADMIN_PASSWORD})
        if r.status != 200:
            raise AssertionError("admin login: %r" % r)
        cls._admin_token = r.json["token"]
        cls.sku = "ERR-" + harness.random_token(8).upper()
        r = api.post("/api/v1/products",
                     {"sku": cls.sku, "name": "Error test product", "description": "d",
                      "price_cents": 700, "currency": "USD", "category": "E2E",
                      "initial_stock": 50}, token=cls._admin_token)
        if r.status != 201:
            raise AssertionError("create product: %r" % r)
        r = api.post("/api/v1/carts", {})
        if r.status != 201:
            raise AssertionError("create cart: %r" % r)
        cls.cart_id = r.json["cart_id"]
        r = api.post("/api/v1/carts/%s/items" % cls.cart_id, {"sku": cls.sku, "quantity": 2})
        if r.status != 200:
            raise AssertionError("add item: %r" % r)
        cls.cart_before = r.json

    def setUp(self):
        self.items_path = "/api/v1/carts/%s/items" % self.cart_id

    def tearDown(self):
        # Whatever the test sent, the node is healthy and the cart unchanged.
        api = self.node.client(timeout=10)
        try:
            self.assertTrue(self.node.alive(), "the node died:\n" + self.node.log_tail())
            self.assertEqual(api.get("/healthz").status, 200)
            r = api.get("/api/v1/carts/" + self.cart_id)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json, self.cart_before)
        finally:
            api.close()

    # -- bodies ------------------------------------------------------------

    def test_malformed_json_is_400(self):
        for raw in ('{"sku": "A", "quantity": 1', "{", "}", "nope", '{"sku": }', "\x00\x01",
                    '{"sku": "A" "quantity": 1}', '{"quantity": 1,}', "'single'"):
            r = self.api.post(self.items_path, raw=raw, content_type="application/json")
            self.assert_error(r, 400, "invalid_request")

    def test_non_object_json_bodies_are_400(self):
        for raw in ("[]", '[{"sku": "A", "quantity": 1}]', "1", '"text"', "null", "true"):
            r = self.api.post(self.items_path, raw=raw, content_type="application/json")
            self.assert_error(r, 400, "invalid_request")
        r = self.api.post("/api/v1/auth/login", raw="[]", content_type="application/json")
        self.assert_error(r, 400, "invalid_request")

    def test_wrong_types_are_400_naming_the_field(self):
        cases = [({"sku": 12, "quantity": 1}, "sku"), ({"sku": ["x"], "quantity": 1}, "sku"),
                 ({"sku": self.sku, "quantity": {"n": 1}}, "quantity"),
                 ({"sku": self.sku, "quantity": "1"}, "quantity")]
        for body, field in cases:
            r = self.api.post(self.items_path, body)
            self.assert_error(r, 400, "invalid_request", field=field)
        r = self.api.post("/api/v1/auth/login", {"email": 1, "password": "x"})
        self.assert_error(r, 400, "invalid_request", field="email")
        r = self.api.post("/api/v1/auth/register", {"email": "a@b.example", "password": 12345678,
                                                    "name": "x"})
        self.assert_error(r, 400, "invalid_request", field="password")

    def test_huge_numbers_are_400(self):
        for raw in ('{"sku": "%s", "quantity": 1e30}', '{"sku": "%s", "quantity": -1e30}',
                    '{"sku": "%s", "quantity": 99999999999999999999}',
                    '{"sku": "%s", "quantity": 9223372036854775808}',
                    '{"sku": "%s", "quantity": -9223372036854775809}',
                    '{"sku": "%s", "quantity": 1e400}',
                    '{"sku": "%s", "quantity": 4294967297}'):
            r = self.api.post(self.items_path, raw=raw % self.sku, content_type="application/json")
            self.assert_error(r, 400, "invalid_request", field="quantity")
        for raw in ('{"sku": "E-1", "name": "n", "description": "d", "price_cents": 1e30, '
                    '"currency": "USD", "category": "c"}',
                    '{"sku": "E-1", "name": "n", "description": "d", '
                    '"price_cents": 99999999999999999999, "currency": "USD", "category": "c"}'):
            r = self.api.post("/api/v1/products", raw=raw, content_type="application/json",
                              token=self.admin_token())
            self.assert_error(r, 400, "invalid_request", field="price_cents")
        self.assert_error(self.api.get("/api/v1/products/E-1"), 404, "not_found")

    def test_text_postgresql_cannot_store_is_400(self):
        # U+0000 in a JSON string: the journal refused the write (503, "retry").
        before = self.api.get("/api/v1/products/" + self.sku).json
        r = self.api.patch("/api/v1/products/" + self.sku, {"name": "a\u0000b"},
                           token=self.admin_token())
        self.assert_error(r, 400, "invalid_request", field="name")
        self.assertEqual(self.api.get("/api/v1/products/" + self.sku).json, before)
        r = self.api.post("/api/v1/carts/%s/checkout" % self.cart_id,
                          {"shipping_address": {"name": "\u0000", "line1": "1 Main St",
                                                "city": "Springfield", "postal_code": "12345",
                                                "country": "US"},
                           "payment": {"method": "card", "token": "tok_ok"}})
        self.assert_error(r, 400, "invalid_request", field="shipping_address.name")
        # Bytes that are not UTF-8 in the target: a search for them failed in
        # the database (500).
        for path in ("/api/v1/products?q=%ff", "/api/v1/products/suggest?q=%C0%80",
                     "/api/v1/products/%00", "/api/v1/carts/" + self.cart_id + "%ed%a0%80"):
            self.assert_error(self.api.get(path), 400, "invalid_request")

    def test_deeply_nested_json_is_400(self):
        raw = '{"sku": "%s", "quantity": 1, "x": %s%s}' % (self.sku, "[" * 100000, "]" * 100000)
        r = self.api.post(self.items_path, raw=raw, content_type="application/json")
        self.assertIn(r.status, (400, 413), r)

    # -- routes and methods ------------------------------------------------

    def test_unknown_routes_are_404_in_the_contract_format(self):
        for path in ("/nope", "/api/v1/nope", "/api/v2/products", "/api/v1/carts/x/y/z/w",
                     "/api/v1/products/A/B/C"):
            r = self.api.get(path)
            self.assert_error(r, 404, "not_found")
            self.assertIn("json", r.header("content-type", ""), r.headers)
        r = self.api.post("/api/v1/nope", {})
        self.assert_error(r, 404, "not_found")

    def test_wrong_methods_are_405(self):
        for method, path in (("DELETE", "/api/v1/products"), ("PATCH", "/api/v1/carts"),
                             ("PUT", "/api/v1/carts/" + self.cart_id),
                             ("GET", "/api/v1/auth/login"), ("POST", "/healthz"),
                             ("DELETE", "/api/v1/carts/%s/items" % self.cart_id)):
            r = self.api.request(method, path)
            self.assert_error(r, 405, "method_not_allowed")

    # -- content type and size ---------------------------------------------

    def test_text_plain_body_is_415(self):
        r = self.api.post(self.items_path, raw='{"sku": "%s", "quantity": 1}' % self.sku,
                          content_type="text/plain")
        self.assert_error(r, 415, "unsupported_media_type")
        r = self.api.post("/api/v1/carts", raw="{}", content_type="text/plain")
        self.assert_error(r, 415, "unsupported_media_type")
        r = self.api.post(self.items_path, raw='{"sku": "%s", "quantity": 1}' % self.sku)
        self.assert_error(r, 415, "unsupported_media_type")

    def test_json_with_charset_is_accepted(self):
        r = self.api.post("/api/v1/carts", raw="{}", content_type="application/json; charset=utf-8")
        self.assertEqual(r.status, 201, r)

    def test_bodyless_post_without_content_type_is_accepted(self):
        r = self.api.post("/api/v1/carts")
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["items"], [])
        # Also on a fresh raw connection with no Content-Length at all.
        raw = harness.raw_exchange(
            self.node.port, b"POST /api/v1/carts HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(harness.status_of(raw), 201, raw[:300])

    def test_body_over_one_mib_is_413(self):
        size = (1 << 20) + 1
        head = ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Content-Length: %d\r\n\r\n" % (self.items_path, size)).encode()
        body = b'{"sku": "' + b"A" * (size - 25) + b'", "quantity": 1}'
        body = body[:size].ljust(size, b" ")
        with socket.create_connection(("127.0.0.1", self.node.port), timeout=10) as s:
            s.sendall(head)
            # A server that rejects on the header answers now; one that reads
            # the body first answers after it. Send the body only if needed,
            # so an early close cannot reset the answer away.
            s.settimeout(1.5)
            answer = b""
            try:
                answer = s.recv(65536)
            except socket.timeout:
                try:
                    s.settimeout(10)
                    s.sendall(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass
            s.settimeout(10)
            deadline = time.monotonic() + 10
            while not harness._complete_response(answer) and time.monotonic() < deadline:
                try:
                    chunk = s.recv(65536)
                except (socket.timeout, ConnectionResetError):
                    break
                if not chunk:
                    break
                answer += chunk
        self.assertEqual(harness.status_of(answer), 413, answer[:500])
        self.assertIn(b"payload_too_large", answer)
        self.assertIn(b"x-request-id", answer.lower())

    def test_body_of_exactly_one_mib_is_not_413(self):
        raw = '{"sku": "%s", "quantity": 0}' % self.sku
        raw += " " * ((1 << 20) - len(raw))
        self.assertEqual(len(raw.encode()), 1 << 20)
        r = self.api.post(self.items_path, raw=raw, content_type="application/json")
        # Read and validated: quantity 0 is 400 on quantity, not 413.
        self.assert_error(r, 400, "invalid_request", field="quantity")

    # -- raw malformed HTTP -----------------------------------------------

    def test_garbage_over_raw_sockets(self):
        port = self.node.port
        cases = [
            b"GARBAGE\r\n\r\n",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)),
            b"GET / HTTP/9.9\r\n\r\n",
            b"GET\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nNo colon here\r\n\r\n",
            b"POST /api/v1/carts HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
            b"POST /api/v1/carts HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
            b"POST /api/v1/carts HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
            b"Content-Length: 3\r\n\r\n{}",
            b"POST /api/v1/carts HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"zz\r\n{}\r\n0\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (20 * 1024) + b"\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(3000))
            + b"\r\n",
            b"GET /" + b"a" * (20 * 1024) + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            b"\r\n\r\n\r\n",
        ]
        for data in cases:
            answer = harness.raw_exchange(port, data, read_timeout=3, close_write=True)
            status = harness.status_of(answer)
            self.assertNotEqual(status, 500, (data[:80], answer[:300]))
            if status is not None:
                self.assertTrue(400 <= status < 500 or status == 505,
                                (data[:80], answer[:300]))
                self.check_raw_error(answer)
        # A huge header must be refused, not answered as if it were fine.
        answer = harness.raw_exchange(port, cases[9], read_timeout=3, close_write=True)
        self.assertIn(harness.status_of(answer), (None, 400, 413, 431), answer[:300])

    def check_raw_error(self, answer):
        """A raw error answer has an X-Request-Id and, if it has a body, the
        contract's error body."""
        head, _, body = answer.partition(b"\r\n\r\n")
        self.assertRegex(head.lower(), rb"\r\nx-request-id: *\S", head)
        if body:
            err = json.loads(body.decode("utf-8"))["error"]
            self.assertTrue({"code", "message", "details"} <= set(err), err)

    def test_truncated_bodies_change_nothing(self):
        port = self.node.port
        body = ('{"sku": "%s", "quantity": 5}' % self.sku).encode()
        head = ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Content-Length: %d\r\n\r\n" % (self.items_path, len(body))).encode()
        for cut in (0, 1, len(body) // 2, len(body) - 1):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(head + body[:cut])
            # Closed without the rest: nothing may have been applied.
        # Half-closed: the server sees EOF before the body is complete.
        answer = harness.raw_exchange(port, head + body[:10], read_timeout=3, close_write=True)
        self.assertNotEqual(harness.status_of(answer), 200, answer[:300])
        # Connections that open and close, or stall mid-header, are harmless.
        for data in (b"", b"GET /heal", b"POST /api/v1/carts HTTP/1.1\r\nHost"):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                if data:
                    s.sendall(data)

    def test_pipelined_requests_on_one_connection_are_all_answered(self):
        req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        with socket.create_connection(("127.0.0.1", self.node.port), timeout=5) as s:
            s.sendall(req * 5 + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        self.assertEqual(data.count(b"HTTP/1.1 200"), 6, data[:1000])

    def test_a_burst_of_garbage_leaves_the_node_healthy(self):
        port = self.node.port
        payloads = [b"GARBAGE\r\n\r\n", b"POST / HTTP/1.1\r\nContent-Length: 99\r\n\r\n{",
                    b"\xff" * 4096, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: " + b"b" * 17000,
                    ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Content-Length: 30\r\n\r\n{\"sku\": " % self.items_path).encode()]

        def worker(i):
            for k in range(25):
                data = payloads[(i + k) % len(payloads)]
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                        s.sendall(data)
                        s.shutdown(socket.SHUT_WR)
                        s.settimeout(2)
                        try:
                            while s.recv(65536):
                                pass
                        except (socket.timeout, ConnectionResetError):
                            pass
                except (BrokenPipeError, ConnectionResetError):
                    pass
        harness.Threads(8, worker).start().join(timeout=120)
        api = self.node.client()
        try:
            self.assertEqual(api.get("/healthz").status, 200)
            self.assertEqual(api.get("/readyz").status, 200)
            # Normal requests still work (a fresh cart, removed from the
            # comparison by being another cart).
            r = api.post("/api/v1/carts", {})
            self.assertEqual(r.status, 201, r)
        finally:
            api.close()



class RandomInputTest(harness.NodeTestCase):
    """Seeded random input to every write endpoint and to query parameters:
    JSON of the wrong shapes, types and sizes, odd text (U+0000, lone
    surrogates, bytes that are not UTF-8), odd keys. Every answer is below
    500, the node stays up, and it logs no error (a database refusing what a
    client sent shows there first: it is how U+0000 and %ff were found)."""

    SEED = 20261206
    ROUNDS = 1500

    def test_random_input_gets_no_5xx_and_logs_no_error(self):
        rnd = random.Random(self.SEED)
        api, admin = self.api, self.admin_token()
        cart = api.post("/api/v1/carts", {}).json["cart_id"]
        sku = api.get("/api/v1/products?limit=1").json["items"]
        sku = sku[0]["sku"] if sku else "NONE-1"
        values = [None, True, 0, -1, 2 ** 31, 2 ** 63, -2 ** 63, 2 ** 64, 1e308, 1.5, "", "x",
                  "x" * 5000, "\u0000", "a\u0000b", "\ud800", "\udfff\ud800", "\U0010ffff", "é",
                  [], {}, [1, "\u0000"], {"k\u0000": 1}, {"a": {"b": "\u0000"}}, "2026-13-45"]
        fields = ["sku", "quantity", "name", "description", "price_cents", "currency", "category",
                  "initial_stock", "delta", "reason", "email", "password", "shipping_address",
                  "payment", "token", "method", "amount_cents", "carrier", "tracking_number",
                  "attributes", "lat", "lon", "country"]
        raw_bodies = [b"{", b"[]", b"null", b"\xff\xfe", b'{"a":' * 300, b'{"quantity":1e999}',
                      b'{"sku":"\\ud800","quantity":1}', b'{"name":"\\u0000"}',
                      b'{"quantity":1,"quantity":2}']
        writes = [("POST", "/api/v1/auth/register"), ("POST", "/api/v1/auth/login"),
                  ("POST", "/api/v1/products"), ("PUT", "/api/v1/products/" + sku),
                  ("PATCH", "/api/v1/products/" + sku),
                  ("POST", "/api/v1/inventory/%s/adjust" % sku), ("POST", "/api/v1/carts"),
                  ("POST", "/api/v1/carts/%s/items" % cart),
                  ("PUT", "/api/v1/carts/%s/items/%s" % (cart, sku)),
                  ("POST", "/api/v1/carts/%s/checkout" % cart),
                  ("POST", "/api/v1/orders/no-such-order/cancel"),
                  ("POST", "/api/v1/payments/no-such-payment/refund"),
                  ("POST", "/admin/v1/sagas/no-such-checkout/close")]
        reads = ["/api/v1/products?limit=%s", "/api/v1/products?cursor=%s",
                 "/api/v1/products?q=%s", "/api/v1/products/suggest?q=%s",
                 "/api/v1/shipping/quote?lat=%s&lon=1", "/api/v1/orders?limit=%s",
                 "/api/v1/analytics/sales/daily?days=%s", "/admin/v1/actors?type=%s",
                 "/admin/v1/sagas?status=%s", "/api/v1/products/%s", "/api/v1/inventory/%s",
                 "/api/v1/checkouts/%s", "/api/v1/orders/%s", "/api/v1/carts/%s",
                 "/admin/v1/sagas/%s/timeline", "/admin/v1/actors/inventory/%s"]
        params = ["", "-1", "0", "99999999999999999999", "nan", "1e309", "%00", "%ff", "%C0%80",
                  "%ED%A0%80", "%E2%82%AC", "x" * 3000, "..%2F..", "%27%22%3B", "%25", "a+b"]
        bad = []
        for _ in range(self.ROUNDS):
            method, path = rnd.choice(writes)
            if rnd.random() < 0.2:
                raw = rnd.choice(raw_bodies)
            else:
                body = {f: rnd.choice(values) for f in rnd.sample(fields, rnd.randint(0, 6))}
                raw = json.dumps(body).encode("utf-8", errors="surrogatepass")
            headers = {}
            if rnd.random() < 0.2:
                headers["Idempotency-Key"] = rnd.choice(["", "k", "x" * 300, "key-%d" % rnd.randint(0, 3)])
            r = api.request(method, path, raw=raw, content_type="application/json",
                            token=admin if rnd.random() < 0.7 else None, headers=headers,
                            check=False)
            if r.status >= 500:
                bad.append(r)
            r = api.get(rnd.choice(reads) % rnd.choice(params),
                        token=admin if rnd.random() < 0.7 else None, check=False)
            if r.status >= 500:
                bad.append(r)
        self.assertEqual(bad[:5], [], "seed %d" % self.SEED)
        self.assertTrue(self.node.alive(), self.node.log_tail())
        errors = self.node.log_lines_with(" error ") + self.node.log_lines_with(" critical ")
        self.assertEqual(errors[:5], [], "seed %d" % self.SEED)

if __name__ == "__main__":
    unittest.main()
