// JWT HS256 tokens and the bcrypt pool.
#include <catch2/catch.hpp>

#include <future>
#include <thread>

#include <jwt/jwt.hpp>

#include "actors/common/time.hpp"
#include "net/auth/jwt.hpp"
#include "net/auth/password.hpp"

using namespace agora::net::auth;
using namespace std::chrono_literals;

namespace {

const std::string secret_key = "test-secret-0123456789";

std::string sign_raw(const jwt::jwt_payload& claims, const std::string& key,
                     const char* alg = "HS256") {
  using namespace jwt::params;
  jwt::jwt_object obj{algorithm(alg), secret(key)};
  obj.payload(claims);
  return obj.signature();
}

jwt::jwt_payload good_claims() {
  jwt::jwt_payload p;
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  p.add_claim("sub", std::string("c-1"));
  p.add_claim("email", std::string("a@b.c"));
  p.add_claim("role", std::string("customer"));
  p.add_claim("iss", std::string("agora"));
  p.add_claim("iat", static_cast<uint64_t>(now));
  p.add_claim("exp", static_cast<uint64_t>(now + 60));
  p.add_claim("jti", std::string("j-1"));
  return p;
}

token_error error_of(const std::variant<principal, token_error>& v) {
  REQUIRE(std::holds_alternative<token_error>(v));
  return std::get<token_error>(v);
}

} // namespace

TEST_CASE("a token round-trips its claims", "[net][auth]") {
  token_service svc{secret_key, "agora"};
  auto before = agora::now_us();
  auto t = svc.issue("cust-42", "x@y.z", role::admin, 3600s);
  CHECK(std::count(t.token.begin(), t.token.end(), '.') == 2);
  CHECK(t.expires_at_us >= before + 3599'000'000);
  CHECK(t.expires_at_us <= agora::now_us() + 3600'000'000);
  auto v = svc.verify(t.token);
  REQUIRE(std::holds_alternative<principal>(v));
  auto& p = std::get<principal>(v);
  CHECK(p.customer_id == "cust-42");
  CHECK(p.email == "x@y.z");
  CHECK(p.role == role::admin);
  CHECK(p.is_admin());
  CHECK(p.token_id == t.token_id);
  CHECK(p.token_id.size() == 36);
  CHECK(p.expires_at_us == t.expires_at_us);
  auto other = svc.issue("cust-42", "x@y.z", role::customer, 60s);
  CHECK(other.token_id != t.token_id);
  CHECK(std::get<principal>(svc.verify(other.token)).role == role::customer);
}

TEST_CASE("expired, tampered, foreign and malformed tokens are refused", "[net][auth]") {
  token_service svc{secret_key, "agora"};
  SECTION("expired") {
    auto t = svc.issue("c", "e", role::customer, -5s);
    CHECK(error_of(svc.verify(t.token)) == token_error::expired);
  }
  SECTION("tampered signature") {
    auto t = svc.issue("c", "e", role::customer, 60s).token;
    auto& last = t.back();
    last = last == 'A' ? 'B' : 'A';
    CHECK(error_of(svc.verify(t)) == token_error::bad_signature);
  }
  SECTION("tampered payload: a customer promotes itself") {
    auto honest = svc.issue("c", "e", role::customer, 60s).token;
    auto forged = good_claims();
    forged.add_claim("role", std::string("admin"), true);
    auto other = sign_raw(forged, "attacker-key");
    // Header and payload of the forgery, signature of the honest token.
    auto forged_body = other.substr(0, other.rfind('.'));
    auto honest_sig = honest.substr(honest.rfind('.'));
    CHECK(error_of(svc.verify(forged_body + honest_sig)) == token_error::bad_signature);
  }
  SECTION("wrong secret") {
    token_service other{"another-secret", "agora"};
    auto t = other.issue("c", "e", role::admin, 60s);
    CHECK(error_of(svc.verify(t.token)) == token_error::bad_signature);
  }
  SECTION("alg none") {
    auto t = sign_raw(good_claims(), "", "none");
    CHECK(error_of(svc.verify(t)) == token_error::wrong_algorithm);
    CHECK(error_of(svc.verify(t + "xyz")) != token_error::bad_claims);
  }
  SECTION("another HMAC algorithm") {
    auto t = sign_raw(good_claims(), secret_key, "HS512");
    CHECK(error_of(svc.verify(t)) == token_error::wrong_algorithm);
  }
  SECTION("wrong issuer") {
    token_service other{secret_key, "someone-else"};
    auto t = other.issue("c", "e", role::customer, 60s);
    CHECK(error_of(svc.verify(t.token)) == token_error::wrong_issuer);
  }
  SECTION("missing or bad claims") {
    auto no_role = good_claims();
    no_role.remove_claim("role");
    CHECK(error_of(svc.verify(sign_raw(no_role, secret_key))) == token_error::bad_claims);
    auto bad_role = good_claims();
    bad_role.add_claim("role", std::string("root"), true);
    CHECK(error_of(svc.verify(sign_raw(bad_role, secret_key))) == token_error::bad_claims);
    auto no_exp = good_claims();
    no_exp.remove_claim("exp");
    CHECK(error_of(svc.verify(sign_raw(no_exp, secret_key))) == token_error::bad_claims);
    auto no_sub = good_claims();
    no_sub.remove_claim("sub");
    CHECK(error_of(svc.verify(sign_raw(no_sub, secret_key))) == token_error::bad_claims);
    CHECK(std::holds_alternative<principal>(svc.verify(sign_raw(good_claims(), secret_key))));
  }
  SECTION("garbage") {
    for (auto bad : {"", "abc", "a.b", "a.b.c", "..", "...", "e30.e30.", "%%%.%%%.%%%",
                     "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln"}) {
      INFO(bad);
      CHECK(std::holds_alternative<token_error>(svc.verify(bad)));
    }
    CHECK(error_of(svc.verify(std::string(10000, 'a'))) == token_error::malformed);
  }
}

TEST_CASE("bearer credentials are parsed from the Authorization header", "[net][auth]") {
  CHECK(bearer_token("Bearer abc.def.ghi") == "abc.def.ghi");
  CHECK(bearer_token("bearer   tok  ") == "tok");
  CHECK(bearer_token("BEARER tok") == "tok");
  CHECK(bearer_token("Basic dXNlcjpwdw==").empty());
  CHECK(bearer_token("Bearer").empty());
  CHECK(bearer_token("Bearertok").empty());
  CHECK(bearer_token("").empty());
  CHECK(parse_role("admin") == role::admin);
  CHECK_FALSE(parse_role("Admin"));
  CHECK(to_string(role::customer) == "customer");
}

TEST_CASE("bcrypt hashes verify on the pool, off the caller's thread", "[net][auth]") {
  password_hasher pool{4, 2};
  std::promise<std::pair<std::optional<std::string>, std::thread::id>> hashed;
  pool.hash("correct horse", [&](std::optional<std::string> h) {
    hashed.set_value({std::move(h), std::this_thread::get_id()});
  });
  auto [hash, tid] = hashed.get_future().get();
  REQUIRE(hash);
  CHECK(tid != std::this_thread::get_id());
  CHECK(hash->rfind("$2b$04$", 0) == 0);
  CHECK(hash->size() == 60);

  auto check = [&](std::string pw, std::string h) {
    std::promise<bool> p;
    pool.verify(std::move(pw), std::move(h), [&](bool ok) { p.set_value(ok); });
    return p.get_future().get();
  };
  CHECK(check("correct horse", *hash));
  CHECK_FALSE(check("correct hors", *hash));
  CHECK_FALSE(check("Correct horse", *hash));
  CHECK_FALSE(check("correct horse", ""));
  CHECK_FALSE(check("correct horse", "not-a-hash"));
  CHECK_FALSE(check("", *hash));
  auto tampered = *hash;
  tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
  CHECK_FALSE(check("correct horse", tampered));

  // Two hashes of one password differ (fresh salts) and both verify.
  auto again = password_hasher::hash_blocking("correct horse", 4);
  REQUIRE(again);
  CHECK(*again != *hash);
  CHECK(password_hasher::verify_blocking("correct horse", *again));
  // A NUL byte cannot go through crypt(3): refused rather than truncated.
  CHECK_FALSE(password_hasher::hash_blocking(std::string("ab\0cd", 5), 4));
  CHECK_FALSE(password_hasher::verify_blocking(std::string("correct horse\0x", 15), *hash));
  CHECK_THROWS_AS(password_hasher(3, 1), std::invalid_argument);
  CHECK_THROWS_AS(password_hasher(32, 1), std::invalid_argument);
}

TEST_CASE("the default cost-10 hash takes real work", "[net][auth]") {
  auto h = password_hasher::hash_blocking("agora-admin-dev", 10);
  REQUIRE(h);
  CHECK(h->rfind("$2b$10$", 0) == 0);
  CHECK(password_hasher::verify_blocking("agora-admin-dev", *h));
}

TEST_CASE("destroying the pool finishes queued jobs", "[net][auth]") {
  std::atomic<int> done{0};
  {
    password_hasher pool{4, 1};
    for (int i = 0; i < 4; ++i)
      pool.hash("pw" + std::to_string(i), [&](std::optional<std::string> h) {
        if (h)
          ++done;
      });
  }
  CHECK(done == 4);
}
