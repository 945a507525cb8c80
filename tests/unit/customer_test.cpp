// The customer entity and its input helpers.
#include <catch2/catch.hpp>

#include <string>

#include "actors/customer/customer.hpp"
#include "tests/unit/entity_test_support.hpp"

using namespace agora;
using namespace agora::customer;
using test::ctx;

namespace {

using traits = customer_traits;

const std::string hash = "$2b$10$abcdefghijklmnopqrstuuJ4m8b3hF8bqk1Zr5m2oX4l2o7Q1x8yW";

register_customer alice() {
  return register_customer{"cust-1", "alice@example.com", "Alice", hash, "customer"};
}

} // namespace

TEST_CASE("normalize_email trims, validates and lower-cases", "[customer]") {
  CHECK(normalize_email("alice@example.com") == std::optional<std::string>{"alice@example.com"});
  CHECK(normalize_email("  Alice.Smith+tag@Example.CO.uk\t\n") ==
        std::optional<std::string>{"alice.smith+tag@example.co.uk"});
  CHECK(normalize_email("a@b.co") == std::optional<std::string>{"a@b.co"});
  for (const char* bad : {"", "   ", "alice", "alice@", "@example.com", "alice@example",
                          "a@@example.com", "a@b@example.com", "al ice@example.com",
                          "alice@exa mple.com", "alice@.com", "alice@example.", "alice@ex\x01.com"})
    CHECK_FALSE(normalize_email(bad).has_value());
  // 254 characters is the longest address.
  std::string domain = "@example.com";
  std::string longest = std::string(254 - domain.size(), 'a') + domain;
  CHECK(normalize_email(longest) == std::optional<std::string>{longest});
  CHECK_FALSE(normalize_email("a" + longest).has_value());
}

TEST_CASE("valid_password wants 8 characters and at most 72 bytes", "[customer]") {
  CHECK_FALSE(valid_password(""));
  CHECK_FALSE(valid_password("1234567"));
  CHECK(valid_password("12345678"));
  CHECK(valid_password(std::string(72, 'p')));
  CHECK_FALSE(valid_password(std::string(73, 'p')));
  CHECK(valid_password("éééééééé"));       // 8 characters, 16 bytes
  CHECK_FALSE(valid_password("ééééééé"));  // 7 characters, 14 bytes
  std::string wide;
  for (int i = 0; i < 19; ++i)
    wide += "😀"; // 19 characters, 76 bytes
  CHECK_FALSE(valid_password(wide));
}

TEST_CASE("registering a customer records the account", "[customer]") {
  state st;
  auto cmd = alice();
  cmd.email = "  Alice@Example.com ";
  auto evs = test::run<traits>(st, cmd, ctx(1'000, "alice@example.com"));
  REQUIRE(evs.size() == 1);
  CHECK(std::get<registered>(evs[0]) ==
        registered{"cust-1", "alice@example.com", "Alice", hash, "customer", 1'000});
  CHECK(st.exists);
  CHECK(st.customer_id == "cust-1");
  CHECK(st.email == "alice@example.com");
  CHECK(st.name == "Alice");
  CHECK(st.password_hash == hash);
  CHECK(st.role == "customer");
  CHECK(st.version == 1);
  CHECK(st.created_at == 1'000);
  CHECK(st.updated_at == 1'000);

  state admin;
  auto a = alice();
  a.role = "admin";
  test::run<traits>(admin, a, ctx(1, "alice@example.com"));
  CHECK(admin.role == "admin");
}

TEST_CASE("registering an existing email is a conflict", "[customer]") {
  state st;
  test::run<traits>(st, alice(), ctx(1, "alice@example.com"));
  auto again = alice();
  again.customer_id = "cust-2";
  auto p = test::reject<traits>(st, again, ctx(2, "alice@example.com"));
  CHECK(p.code == errc::conflict);
  CHECK(test::details(p).at("email") == "alice@example.com");
  CHECK(st.customer_id == "cust-1");
}

TEST_CASE("registration validates every field", "[customer]") {
  state st;
  auto c = ctx(1, "alice@example.com");
  auto with = [](auto change) {
    auto cmd = alice();
    change(cmd);
    return command{cmd};
  };
  test::check_invalid_field(
    test::reject<traits>(st, with([](register_customer& x) { x.customer_id = ""; }), c),
    "customer_id");
  test::check_invalid_field(
    test::reject<traits>(st, with([](register_customer& x) { x.email = "not-an-email"; }), c),
    "email");
  test::check_invalid_field(
    test::reject<traits>(st, with([](register_customer& x) { x.name = ""; }), c), "name");
  test::check_invalid_field(
    test::reject<traits>(st, with([](register_customer& x) { x.name = std::string(201, 'n'); }),
                         c),
    "name");
  test::check_invalid_field(
    test::reject<traits>(st, with([](register_customer& x) { x.password_hash = ""; }), c),
    "password_hash");
  test::check_invalid_field(
    test::reject<traits>(st, with([](register_customer& x) { x.role = "root"; }), c), "role");
}

TEST_CASE("reading a customer decides nothing and never fails", "[customer]") {
  state st;
  CHECK(test::run<traits>(st, get{}, ctx(1, "x@example.com")).empty());
  CHECK_FALSE(st.exists);
  test::run<traits>(st, alice(), ctx(1, "alice@example.com"));
  CHECK(test::run<traits>(st, get{}, ctx(2, "alice@example.com")).empty());
  CHECK(st.version == 1);
}
