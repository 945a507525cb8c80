"""Auth and customers: register, login, /me, logout, and every way a bearer
token can be wrong (garbage, another secret, expired, alg none, revoked)."""

import json
import time
import unittest

import harness

# Passed explicitly so the tests can sign tokens the node would accept.
JWT_SECRET = "e2e-jwt-secret-" + harness.random_token(16)
ISSUER = "agora"


class AuthTest(harness.NodeTestCase):
    node_flags = ("--auth.jwt_secret=%s" % JWT_SECRET, "--auth.issuer=%s" % ISSUER)

    def register(self, email=None, password="long-enough-pw", name="Ada Lovelace"):
        email = email or "%s@e2e.example" % harness.random_token(12)
        return self.api.post("/api/v1/auth/register",
                             {"email": email, "password": password, "name": name})

    # -- register ----------------------------------------------------------

    def test_register_returns_201_with_the_customer(self):
        email = "%s@e2e.example" % harness.random_token(12)
        r = self.register(email=email, name="Grace Hopper")
        self.assertEqual(r.status, 201, r)
        self.assertTrue({"customer_id", "email", "name"} <= set(r.json), r)
        self.assertIsInstance(r.json["customer_id"], str)
        self.assertTrue(r.json["customer_id"])
        self.assertEqual(r.json["email"], email)
        self.assertEqual(r.json["name"], "Grace Hopper")
        self.assertNotIn("password", r.json)
        self.assertNotIn("password_hash", r.json)

    def test_register_with_an_existing_email_is_409(self):
        email = "%s@e2e.example" % harness.random_token(12)
        self.assertEqual(self.register(email=email).status, 201)
        r = self.register(email=email, password="another-password")
        self.assert_error(r, 409, "conflict")

    def test_register_with_a_short_password_is_400_on_password(self):
        r = self.register(password="1234567")
        self.assert_error(r, 400, "invalid_request", field="password")

    def test_register_with_an_eight_char_password_is_accepted(self):
        r = self.register(password="12345678")
        self.assertEqual(r.status, 201, r)

    def test_register_with_a_bad_email_is_400_on_email(self):
        for bad in ("not-an-email", "", "a@", "@b.example", 42):
            r = self.api.post("/api/v1/auth/register",
                              {"email": bad, "password": "long-enough-pw", "name": "X"})
            self.assert_error(r, 400, "invalid_request", field="email")

    def test_register_without_email_is_400_on_email(self):
        r = self.api.post("/api/v1/auth/register", {"password": "long-enough-pw", "name": "X"})
        self.assert_error(r, 400, "invalid_request", field="email")

    # -- login -------------------------------------------------------------

    def test_login_returns_a_token(self):
        email = "%s@e2e.example" % harness.random_token(12)
        reg = self.register(email=email, password="correct horse")
        self.assertEqual(reg.status, 201, reg)
        r = self.api.post("/api/v1/auth/login", {"email": email, "password": "correct horse"})
        self.assertEqual(r.status, 200, r)
        self.assertIsInstance(r.json["token"], str)
        self.assertEqual(len(r.json["token"].split(".")), 3, r.json["token"])
        self.assert_timestamp(r.json["expires_at"], "expires_at")
        self.assertEqual(r.json["customer_id"], reg.json["customer_id"])
        self.assertEqual(r.json["role"], "customer")

    def test_login_with_bad_credentials_is_401(self):
        email = "%s@e2e.example" % harness.random_token(12)
        self.assertEqual(self.register(email=email, password="right-password").status, 201)
        r = self.api.post("/api/v1/auth/login", {"email": email, "password": "wrong-password"})
        self.assert_error(r, 401, "unauthenticated")
        r = self.api.post("/api/v1/auth/login",
                          {"email": "nobody-%s@e2e.example" % harness.random_token(8),
                           "password": "right-password"})
        self.assert_error(r, 401, "unauthenticated")

    def test_admin_login_has_role_admin(self):
        r = self.api.post("/api/v1/auth/login",
                          {"email": harness.ADMIN_EMAIL, "password": harness.ADMIN_PASSWORD})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["role"], "admin")
        me = self.api.get("/api/v1/me", token=r.json["token"])
        self.assertEqual(me.status, 200, me)
        self.assertEqual(me.json["role"], "admin")
        self.assertEqual(me.json["email"], harness.ADMIN_EMAIL)

    # -- /me ---------------------------------------------------------------

    def test_me_returns_the_customer(self):
        c = self.register_customer(name="Barbara Liskov")
        r = self.api.get("/api/v1/me", token=c["token"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["customer_id"], c["customer_id"])
        self.assertEqual(r.json["email"], c["email"])
        self.assertEqual(r.json["name"], "Barbara Liskov")
        self.assertEqual(r.json["role"], "customer")
        self.assert_timestamp(r.json["created_at"], "created_at")

    def test_me_without_a_token_is_401(self):
        self.assert_error(self.api.get("/api/v1/me"), 401, "unauthenticated")

    def test_me_with_garbage_tokens_is_401(self):
        for bad in ("garbage", "a.b.c", "....", "Zm9v.YmFy.YmF6", "x" * 5000):
            r = self.api.get("/api/v1/me", token=bad)
            self.assert_error(r, 401, "unauthenticated")
        r = self.api.get("/api/v1/me", headers={"Authorization": "Basic YWRtaW46eA=="})
        self.assert_error(r, 401, "unauthenticated")

    def _claims(self):
        c = self.register_customer()
        claims = harness.jwt_claims(c["token"])
        self.assertIn("exp", claims, claims)
        return c, claims

    def test_a_token_we_sign_with_the_node_secret_is_accepted(self):
        # Proves the crafted tokens below fail for the reason they test.
        c, claims = self._claims()
        token = harness.make_jwt(claims, JWT_SECRET)
        r = self.api.get("/api/v1/me", token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["customer_id"], c["customer_id"])

    def test_a_token_signed_with_another_secret_is_401(self):
        _, claims = self._claims()
        token = harness.make_jwt(claims, "not-the-secret-" + harness.random_token(8))
        self.assert_error(self.api.get("/api/v1/me", token=token), 401, "unauthenticated")

    def test_an_expired_token_is_401(self):
        _, claims = self._claims()
        now = int(time.time())
        claims.update({"iat": now - 7200, "exp": now - 3600})
        token = harness.make_jwt(claims, JWT_SECRET)
        self.assert_error(self.api.get("/api/v1/me", token=token), 401, "unauthenticated")
        token = harness.make_jwt(claims, "wrong-secret")
        self.assert_error(self.api.get("/api/v1/me", token=token), 401, "unauthenticated")

    def test_a_token_with_alg_none_is_401(self):
        _, claims = self._claims()
        header = harness.b64url(b'{"alg":"none","typ":"JWT"}')
        payload = harness.b64url(json.dumps(claims).encode())
        for token in (header + "." + payload + ".", header + "." + payload + ".AAAA"):
            self.assert_error(self.api.get("/api/v1/me", token=token), 401, "unauthenticated")

    def test_a_token_promoted_to_admin_by_the_client_is_401(self):
        _, claims = self._claims()
        claims["role"] = "admin"
        token = harness.make_jwt(claims, "guessed-secret")
        self.assert_error(self.api.get("/api/v1/me", token=token), 401, "unauthenticated")
        r = self.api.post("/api/v1/products", self.product_body(), token=token)
        self.assert_error(r, 401, "unauthenticated")

    # -- logout ------------------------------------------------------------

    def test_logout_revokes_the_token(self):
        c = self.register_customer()
        self.assertEqual(self.api.get("/api/v1/me", token=c["token"]).status, 200)
        r = self.api.post("/api/v1/auth/logout", token=c["token"])
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.raw, b"", r)
        self.assert_error(self.api.get("/api/v1/me", token=c["token"]), 401, "unauthenticated")
        # Another login still works and gives a fresh, valid token.
        r = self.api.post("/api/v1/auth/login", {"email": c["email"], "password": c["password"]})
        self.assertEqual(r.status, 200, r)
        self.assertNotEqual(r.json["token"], c["token"])
        self.assertEqual(self.api.get("/api/v1/me", token=r.json["token"]).status, 200)

    def test_a_revoked_token_stays_revoked_after_a_restart(self):
        c = self.register_customer()
        r = self.api.post("/api/v1/auth/logout", token=c["token"])
        self.assertEqual(r.status, 204, r)
        self.restart_node()
        self.assert_error(self.api.get("/api/v1/me", token=c["token"]), 401, "unauthenticated")

    def test_logout_without_a_token_is_401(self):
        self.assert_error(self.api.post("/api/v1/auth/logout"), 401, "unauthenticated")


if __name__ == "__main__":
    unittest.main()
