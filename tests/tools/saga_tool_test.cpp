// agora-saga's pure parts: the command line (and what it hands to
// load_config), the node URL, the one-line payload summaries, the order of a
// timeline and the list/show tables.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "actors/common/json.hpp"
#include "actors/common/time.hpp"
#include "config/config.hpp"
#include "sagas/checkout.hpp"
#include "tools/agora-saga/args.hpp"
#include "tools/agora-saga/timeline.hpp"

using namespace agora;
using namespace agora::saga_tool;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

parse_outcome parse(std::vector<std::string> args) {
  return parse_args(args, "agora-saga");
}

/// Runs load_config on what parse_args set aside for it.
config_outcome load(const options& o) {
  std::vector<const char*> argv;
  for (const auto& a : o.config_args)
    argv.push_back(a.c_str());
  argv.push_back(nullptr);
  const char* const envp[] = {nullptr};
  return load_config(static_cast<int>(o.config_args.size()), argv.data(), envp);
}

const std::string id = "0190f3c2-7a1b-7c3d-8e4f-5a6b7c8d9e0f";

journal_row row(int64_t offset, std::string pid, std::string type, std::string payload) {
  journal_row r;
  r.global_offset = offset;
  r.persistence_id = std::move(pid);
  r.event_type = std::move(type);
  r.payload = std::move(payload);
  r.correlation_id = id;
  r.created_at_us = 1'700'000'000'000'000;
  return r;
}

} // namespace

// -- command line ---------------------------------------------------------------

TEST_CASE("list takes a status filter and a limit", "[args]") {
  auto p = parse({"list"});
  REQUIRE(p.error.empty());
  CHECK(p.opts.command == command_kind::list);
  CHECK_FALSE(p.opts.status);
  CHECK(p.opts.limit == 50);
  CHECK(p.opts.config_args == std::vector<std::string>{"agora-saga"});

  p = parse({"list", "--status", "stuck", "--limit=5"});
  REQUIRE(p.error.empty());
  CHECK(p.opts.status == std::optional<std::string>("stuck"));
  CHECK(p.opts.limit == 5);

  CHECK_THAT(parse({"list", "--status=lost"}).error, StartsWith("--status:"));
  CHECK_THAT(parse({"list", "--limit", "0"}).error, StartsWith("--limit:"));
  CHECK_THAT(parse({"list", "--limit", "ten"}).error, StartsWith("--limit:"));
  CHECK_THAT(parse({"list", "--limit"}).error, Contains("expected a value"));
  CHECK_THAT(parse({"list", id}).error, Contains("unexpected argument"));
}

TEST_CASE("commands on one saga take its id", "[args]") {
  for (auto [name, kind] : {std::pair{"show", command_kind::show},
                            std::pair{"replay", command_kind::replay},
                            std::pair{"resume", command_kind::resume},
                            std::pair{"export", command_kind::export_fixture}}) {
    auto p = parse({name, id});
    INFO(name);
    REQUIRE(p.error.empty());
    CHECK(p.opts.command == kind);
    CHECK(p.opts.checkout_id == id);
    CHECK_THAT(parse({name}).error, Contains("expected a checkout id"));
    CHECK_THAT(parse({name, id, "extra"}).error, Contains("unexpected argument \"extra\""));
  }
}

TEST_CASE("compensate needs a reason; options belong to their commands", "[args]") {
  CHECK_THAT(parse({"compensate", id}).error, Contains("--reason"));
  auto p = parse({"compensate", id, "--reason", "refunded by hand, ticket 42"});
  REQUIRE(p.error.empty());
  CHECK(p.opts.command == command_kind::compensate);
  CHECK(p.opts.reason == "refunded by hand, ticket 42");

  p = parse({"resume", id, "--url", "http://10.0.0.5:9090"});
  REQUIRE(p.error.empty());
  CHECK(p.opts.url == std::optional<std::string>("http://10.0.0.5:9090"));
  CHECK_THAT(parse({"resume", id, "--url", "https://x"}).error, StartsWith("--url:"));

  CHECK_THAT(parse({"show", id, "--url", "http://h:1"}).error, Contains("--url does not apply"));
  CHECK_THAT(parse({"show", id, "--reason", "x"}).error, Contains("--reason does not apply"));
  CHECK_THAT(parse({"resume", id, "--status", "stuck"}).error,
             Contains("--status does not apply"));
  CHECK_THAT(parse({"list", "--file", "f.json"}).error, Contains("--file does not apply"));
}

TEST_CASE("replay reads a fixture file instead of a checkout id", "[args]") {
  auto p = parse({"replay", "--file", "tests/fixtures/sagas/completed.json"});
  REQUIRE(p.error.empty());
  CHECK(p.opts.command == command_kind::replay);
  CHECK(p.opts.fixture_file == std::optional<std::string>("tests/fixtures/sagas/completed.json"));
  CHECK(p.opts.checkout_id.empty());
  CHECK_THAT(parse({"replay"}).error, Contains("expected a checkout id"));
}

TEST_CASE("unknown commands and options are refused, --help wins", "[args]") {
  CHECK_THAT(parse({}).error, Contains("expected a command"));
  CHECK_THAT(parse({"frobnicate"}).error, Contains("unknown command \"frobnicate\""));
  CHECK_THAT(parse({"list", "--verbose"}).error, Contains("unknown option --verbose"));
  CHECK_THAT(parse({"list", "-v"}).error, Contains("unknown option -v"));
  auto p = parse({"show", "--bogus", "--help"});
  CHECK(p.error.empty());
  CHECK(p.opts.command == command_kind::help);
  CHECK(parse({"help"}).opts.command == command_kind::help);
}

TEST_CASE("configuration flags go to load_config in every form it accepts", "[args]") {
  auto p = parse({"--config", "node.toml", "show", id, "--pg.conninfo", "host=db port=6432",
                  "--checkout.max_attempts=5", "--http.port", "9090"});
  REQUIRE(p.error.empty());
  CHECK(p.opts.command == command_kind::show);
  CHECK(p.opts.checkout_id == id);
  CHECK(p.opts.config_args ==
        std::vector<std::string>{"agora-saga", "--config=node.toml",
                                 "--pg.conninfo=host=db port=6432", "--checkout.max_attempts=5",
                                 "--http.port=9090"});

  // A boolean setting takes the next argument only when it is a literal.
  p = parse({"--pg.migrate", "show", id});
  REQUIRE(p.error.empty());
  CHECK(p.opts.command == command_kind::show);
  CHECK(p.opts.config_args == std::vector<std::string>{"agora-saga", "--pg.migrate"});
  p = parse({"--pg.migrate", "false", "show", id});
  REQUIRE(p.error.empty());
  CHECK(p.opts.config_args == std::vector<std::string>{"agora-saga", "--pg.migrate=false"});

  // ... and load_config reads them as the node would.
  p = parse({"replay", id, "--checkout.max_attempts", "5", "--pg.conninfo=host=db",
             "--auth.admin_email=ops@example.com", "--pg.migrate", "false"});
  REQUIRE(p.error.empty());
  auto loaded = load(p.opts);
  INFO(loaded.error);
  REQUIRE(loaded.cfg);
  CHECK(loaded.cfg->checkout.max_attempts == 5);
  CHECK(loaded.cfg->pg.conninfo == "host=db");
  CHECK(loaded.cfg->auth.admin_email == "ops@example.com");
  CHECK_FALSE(loaded.cfg->pg.migrate);

  // Unknown or malformed settings are load_config's to report.
  p = parse({"list", "--pg.connifo=x"});
  REQUIRE(p.error.empty());
  CHECK_THAT(load(p.opts).error, Contains("unknown setting"));
  p = parse({"list", "--checkout.max_attempts=many"});
  REQUIRE(p.error.empty());
  CHECK_THAT(load(p.opts).error, Contains("checkout.max_attempts"));
}

TEST_CASE("the node's URL", "[args]") {
  std::string error;
  auto u = parse_base_url("http://127.0.0.1:8080", error);
  REQUIRE(u);
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == "8080");
  CHECK(u->prefix.empty());
  u = parse_base_url("http://node.example/agora/", error);
  REQUIRE(u);
  CHECK(u->host == "node.example");
  CHECK(u->port == "80");
  CHECK(u->prefix == "/agora");
  u = parse_base_url("http://[::1]:9090", error);
  REQUIRE(u);
  CHECK(u->host == "::1");
  CHECK(u->port == "9090");
  CHECK_FALSE(parse_base_url("https://node:443", error));
  CHECK_FALSE(parse_base_url("http://:8080", error));
  CHECK_FALSE(parse_base_url("http://node:0", error));
  CHECK_FALSE(parse_base_url("http://node:80x", error));
  CHECK_FALSE(parse_base_url("http://node:", error));

  CHECK(default_url("127.0.0.1", 8080) == "http://127.0.0.1:8080");
  CHECK(default_url("0.0.0.0", 8080) == "http://127.0.0.1:8080");
  CHECK(default_url("::", 81) == "http://[::1]:81");
  CHECK(default_url("fe80::1", 81) == "http://[fe80::1]:81");
}

// -- summaries --------------------------------------------------------------------

TEST_CASE("an entity event is summarized as its fields", "[summary]") {
  CHECK(summarize_payload("cart.item_added",
                          R"({"sku":"EL-0001","quantity":2,"line_quantity":3,"at":1700000000000000})") ==
        "sku=EL-0001 quantity=2 line_quantity=3");

  // The idempotency key of a saga step shows the step; the checkout id
  // itself is left out; times are RFC 3339.
  auto expires = format_rfc3339(1'700'000'900'000'000);
  CHECK(summarize_payload("inventory.reserved",
                          R"({"key":")" + id + R"(/reserve_inventory","reservation_id":")" + id +
                            R"(/reserve_inventory",)"
                            R"("quantity":2,"expires_at":1700000900000000,"at":1})",
                          id) ==
        "key=…/reserve_inventory reservation_id=…/reserve_inventory quantity=2 expires_at=" +
          expires);
  CHECK(summarize_payload("payment.opened",
                          R"({"payment_id":"p-1","checkout_id":")" + id +
                            R"(","amount_cents":4997,"currency":"USD","at":1})",
                          id) == "payment_id=p-1 amount_cents=4997 currency=USD");

  // Order lines as SKU×quantity; nested objects and arrays come last.
  CHECK(summarize_payload(
          "order.placed",
          R"({"items":[{"sku":"A-1","quantity":2,"name":"x"},{"sku":"B-2","quantity":1}],)"
          R"("shipping_address":{"city":"Berlin","name":"Ada L."},"total_cents":4997,"at":1})") ==
        R"(total_cents=4997 items=[A-1×2 B-2×1] shipping_address={city=Berlin name="Ada L."})");

  // Text that needs it is quoted; null and booleans as JSON.
  CHECK(summarize_payload("order.cancelled", R"({"reason":"payment failed","from":null,"ok":true})") ==
        R"(reason="payment failed" from=null ok=true)");

  // A keyed checkout POST's 4xx, recorded before any checkout began.
  CHECK(summarize_payload("checkout.request_rejected",
                          R"({"request_hash":"ab","status":409,"response":"{}","at":1})") ==
        "answered 409 before any checkout began");
}

TEST_CASE("secrets are never summarized", "[summary]") {
  auto s = summarize_payload(
    "customer.registered",
    R"({"customer_id":"c-1","email":"a@b.c","password_hash":"$2b$10$abc","role":"customer"})");
  CHECK(s == "customer_id=c-1 email=a@b.c role=customer");
}

TEST_CASE("checkout events get a dedicated summary", "[summary]") {
  using namespace agora::checkout;
  using traits = checkout_traits;
  auto summary = [](const event& ev) {
    return summarize_payload(traits::event_type(ev), traits::encode_event(ev), id);
  };
  started s;
  s.checkout_id = id;
  s.cart_id = "cart-1";
  s.order_id = "order-1";
  s.payment_id = "pay-1";
  s.shipping_address = R"({"name":"A","line1":"B","city":"C","postal_code":"1","country":"DE"})";
  s.payment_token = "tok_ok";
  s.at = 1;
  CHECK(summary(s) == "token=tok_ok customer=guest cart=cart-1 order=order-1 payment=pay-1");

  step_attempted ok;
  ok.reply.step = step_name::price_cart;
  ok.reply.ok = true;
  ok.reply.priced = priced{std::nullopt, {{"A-1", "Lamp", 2, 2000, 4000}}, 4000, 999, 4999, "USD"};
  ok.verdict = verdict::done;
  CHECK(summary(ok) == "price_cart attempt 1: ok, total 4999 USD (1 line) → done");

  step_attempted failed;
  failed.reply.step = step_name::reserve_inventory;
  failed.reply.attempt = 2;
  failed.reply.error = make_problem(errc::unavailable, "inventory timed out");
  failed.reply.retryable = true;
  failed.reply.definite = false;
  failed.verdict = verdict::retry;
  CHECK(summary(failed) == "reserve_inventory attempt 2: unavailable (retryable) (outcome "
                           "unknown) → retry: inventory timed out");

  step_attempted undo;
  undo.reply.step = step_name::place_order;
  undo.reply.phase = phase::compensating;
  undo.reply.ok = true;
  undo.verdict = verdict::done;
  CHECK(summary(undo) == "compensate place_order attempt 1: ok → done");

  CHECK(summary(compensated{"payment_declined", 1}) == "reason=payment_declined");
  CHECK(summary(stuck{"compensation of authorize_payment keeps failing", 1}) ==
        R"(reason="compensation of authorize_payment keeps failing")");
  CHECK(summary(closed{"admin@agora.local", "refunded by hand", 1}) ==
        R"(by=admin@agora.local reason="refunded by hand")");
  CHECK(summary(completed{1}).empty());
}

TEST_CASE("a summary fits its width without splitting a character", "[summary]") {
  auto s = summarize_payload("x.y", R"({"a":"ééééééééééééééééééééé"})", {}, 12);
  CHECK(s.size() <= 12);
  CHECK_THAT(s, StartsWith("a="));
  CHECK_THAT(s, Catch::Matchers::EndsWith("…"));
  // Every byte before the ellipsis belongs to a whole character: "é" is 2 bytes.
  CHECK((s.size() - 2 - std::string("…").size()) % 2 == 0);

  CHECK(summarize_payload("x.y", "not json") == "not json");
  CHECK(summarize_payload("x.y", "[1,2]") == "[1,2]");
  CHECK(summarize_payload("checkout.started", R"({"unexpected":1})") == "unexpected=1");
}

// -- timeline -----------------------------------------------------------------------

TEST_CASE("a timeline is the union of both reads in global_offset order", "[timeline]") {
  std::string pid = "checkout|" + id;
  std::vector<journal_row> own = {row(10, pid, "checkout.started", "{}"),
                                  row(14, pid, "checkout.step_attempted", "{}"),
                                  row(12, pid, "checkout.step_attempted", "{}")};
  // The saga's own events may carry the checkout id as correlation id too.
  std::vector<journal_row> caused = {row(13, "inventory|A-1", "inventory.reserved", "{}"),
                                     row(12, pid, "checkout.step_attempted", "{}"),
                                     row(11, "cart|c-1", "cart.checkout_started", "{}"),
                                     row(15, "payment|p-1", "payment.opened", "{}")};
  auto merged = merge_timeline(own, caused);
  std::vector<int64_t> offsets;
  for (const auto& r : merged)
    offsets.push_back(r.global_offset);
  CHECK(offsets == std::vector<int64_t>{10, 11, 12, 13, 14, 15});
  CHECK(merged[1].persistence_id == "cart|c-1");
  CHECK(merge_timeline({}, {}).empty());
  CHECK(merge_timeline({}, caused).size() == 4);
}

TEST_CASE("the timeline prints one line per event, a date line per day", "[timeline]") {
  std::string pid = "checkout|" + id;
  // 2023-11-14T22:13:20Z and, a day later, 2023-11-15T22:13:20Z.
  auto day1 = int64_t{1'700'000'000'000'000};
  auto day2 = day1 + int64_t{86'400'000'000};
  std::vector<journal_row> rows = {
    row(7, pid, "checkout.compensated",
        R"({"reason":"out_of_stock","at":)" + std::to_string(day1) + "}"),
    row(9, "cart|c-1", "cart.checkout_aborted", R"({"checkout_id":")" + id + R"(","at":)" +
                                                   std::to_string(day2) + "}"),
    // No "at": the row's created_at.
    row(11, "inventory|A-1", "inventory.adjusted", R"({"delta":5,"reason":"restock"})")};
  rows[2].created_at_us = day2 + 1000;
  auto text = format_timeline(rows, id);
  std::vector<std::string> lines;
  for (size_t start = 0, nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.push_back(text.substr(start, nl - start));
  REQUIRE(lines.size() == 6);
  CHECK_THAT(lines[0], StartsWith("offset"));
  CHECK(lines[1] == "-- 2023-11-14");
  CHECK_THAT(lines[2], StartsWith("     7  22:13:20.000Z  " + pid + "  checkout.compensated"));
  CHECK_THAT(lines[2], Catch::Matchers::EndsWith("reason=out_of_stock"));
  CHECK(lines[3] == "-- 2023-11-15");
  CHECK_THAT(lines[4], Contains("cart|c-1"));
  CHECK_THAT(lines[4], Catch::Matchers::EndsWith("cart.checkout_aborted"));
  CHECK_THAT(lines[5], Contains("22:13:20.001Z"));
  CHECK_THAT(lines[5], Catch::Matchers::EndsWith("delta=5 reason=restock"));
}

TEST_CASE("list rows and the saga header come from the folded state", "[timeline]") {
  using namespace agora::checkout;
  state st;
  started s;
  s.checkout_id = id;
  s.cart_id = "cart-1";
  s.order_id = "order-1";
  s.payment_id = "pay-1";
  s.payment_token = "tok_declined";
  s.at = 1'700'000'000'000'000;
  st = checkout_traits::apply_event(st, s);
  auto r = to_saga_row(st);
  CHECK(r.checkout_id == id);
  CHECK(r.status == "running");
  CHECK(r.step == "price_cart");
  CHECK(r.reason.empty());

  st.phase = phase::compensating;
  st.current = step_name::reserve_inventory;
  st.reason = "payment_declined";
  CHECK(to_saga_row(st).step == "reserve_inventory (compensating)");
  CHECK(to_saga_row(st).reason == "payment_declined");
  st.status = saga_status::stuck;
  st.stuck_reason = "compensation of reserve_inventory keeps failing";
  CHECK(to_saga_row(st).reason == "compensation of reserve_inventory keeps failing");
  st = checkout_traits::apply_event(st, closed{"ops", "released by hand", s.at + 5});
  r = to_saga_row(st);
  CHECK(r.status == "failed");
  CHECK(r.step == "-");
  CHECK(r.reason == "released by hand");
  CHECK(r.updated_at == s.at + 5);

  auto table = format_list({r});
  CHECK_THAT(table, StartsWith("checkout_id"));
  CHECK_THAT(table, Contains(id + "  failed"));
  CHECK_THAT(table, Contains(format_rfc3339(s.at)));
  CHECK_THAT(table, Contains("released by hand"));

  auto header = format_saga(st);
  CHECK_THAT(header, Contains("status    failed (payment_declined)"));
  CHECK_THAT(header, Contains("closed    released by hand"));
  CHECK_THAT(header, Contains("payment   pay-1 (token tok_declined)"));
  CHECK_THAT(header, Contains("  price_cart"));
  CHECK_THAT(header, Contains("  close_cart"));
}
