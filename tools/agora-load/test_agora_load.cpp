// agora-load's pure parts: the histogram's buckets and percentiles, the
// command line (scenarios, modes, validation), and how answers count.
#include <catch2/catch.hpp>

#include <array>
#include <random>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "tools/agora-load/histogram.hpp"
#include "tools/agora-load/options.hpp"
#include "tools/agora-load/stats.hpp"
#include "tools/agora-load/verify.hpp"

using namespace agora::load;

namespace {

options parse_ok(std::vector<std::string> args) {
  auto r = parse_options(args);
  if (auto* e = std::get_if<std::string>(&r))
    FAIL("unexpected error: " << *e);
  return std::get<options>(r);
}

std::string parse_error(std::vector<std::string> args) {
  auto r = parse_options(args);
  if (std::holds_alternative<options>(r))
    FAIL("expected an error for " << args.front());
  return std::get<std::string>(r);
}

} // namespace

TEST_CASE("histogram: exact below 2048 us, within 0.1% above") {
  for (uint64_t v : {0ull, 1ull, 2ull, 1000ull, 2047ull}) {
    auto b = histogram::bucket_of(v);
    CHECK(histogram::bucket_low(b) == v);
    CHECK(histogram::bucket_high(b) == v);
  }
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    uint64_t v = rng() % histogram::max_trackable;
    auto b = histogram::bucket_of(v);
    REQUIRE(b < histogram::bucket_count());
    REQUIRE(histogram::bucket_low(b) <= v);
    REQUIRE(v <= histogram::bucket_high(b));
    // Bucket width relative to its values: at most 1/1024.
    REQUIRE(static_cast<double>(histogram::bucket_high(b) - histogram::bucket_low(b) + 1) <=
            static_cast<double>(histogram::bucket_low(b)) / 1024.0 + 1);
  }
  // Buckets tile the range without gaps.
  for (std::size_t b = 1; b < histogram::bucket_count(); ++b)
    REQUIRE(histogram::bucket_low(b) == histogram::bucket_high(b - 1) + 1);
  CHECK(histogram::bucket_of(histogram::max_trackable * 4) ==
        histogram::bucket_of(histogram::max_trackable));
}

TEST_CASE("histogram: percentiles of known distributions") {
  histogram h;
  CHECK(h.value_at_percentile(50) == 0);
  CHECK(h.count() == 0);
  CHECK(h.mean() == 0);

  SECTION("1..1000 (exact region)") {
    for (uint64_t v = 1; v <= 1000; ++v)
      h.record(v);
    CHECK(h.count() == 1000);
    CHECK(h.min() == 1);
    CHECK(h.max() == 1000);
    CHECK(h.value_at_percentile(50) == 500);
    CHECK(h.value_at_percentile(90) == 900);
    CHECK(h.value_at_percentile(99) == 990);
    CHECK(h.value_at_percentile(99.9) == 999);
    CHECK(h.value_at_percentile(100) == 1000);
    CHECK(h.value_at_percentile(0) == 1);
    CHECK(h.mean() == Approx(500.5));
  }
  SECTION("1..1,000,000 (log region): within 0.1%") {
    for (uint64_t v = 1; v <= 1000000; ++v)
      h.record(v);
    for (double p : {50.0, 90.0, 99.0, 99.9}) {
      double want = p / 100.0 * 1e6;
      CHECK(static_cast<double>(h.value_at_percentile(p)) == Approx(want).epsilon(0.001));
    }
    CHECK(h.value_at_percentile(100) == 1000000);
  }
  SECTION("a long tail shows in p99.9 and max, not in p50") {
    for (int i = 0; i < 9990; ++i)
      h.record(1000);
    for (int i = 0; i < 10; ++i)
      h.record(5000000);
    CHECK(h.value_at_percentile(50) == 1000);
    CHECK(h.value_at_percentile(99.9) == 1000);
    CHECK(static_cast<double>(h.value_at_percentile(99.95)) == Approx(5e6).epsilon(0.001));
    CHECK(h.max() == 5000000);
  }
  SECTION("one value") {
    h.record(123456);
    CHECK(h.value_at_percentile(1) == 123456); // clamped to [min, max]
    CHECK(h.value_at_percentile(99.9) == 123456);
  }
}

TEST_CASE("histogram: add merges counts, min, max and mean") {
  histogram a, b;
  for (uint64_t v = 1; v <= 500; ++v)
    a.record(v);
  for (uint64_t v = 501; v <= 1000; ++v)
    b.record(v);
  histogram empty;
  a.add(empty);
  CHECK(a.count() == 500);
  a.add(b);
  CHECK(a.count() == 1000);
  CHECK(a.min() == 1);
  CHECK(a.max() == 1000);
  CHECK(a.value_at_percentile(50) == 500);
  CHECK(a.mean() == Approx(500.5));
  histogram c;
  c.add(b);
  CHECK(c.min() == 501);
  a.reset();
  CHECK(a.count() == 0);
  CHECK(a.max() == 0);
}

TEST_CASE("options: defaults are a closed-loop checkout on :8080") {
  auto o = parse_ok({});
  CHECK(o.scenario == scenario::checkout);
  CHECK_FALSE(o.open_loop());
  CHECK(o.customers == 16);
  CHECK(o.lines.min == 1);
  CHECK(o.lines.max == 5);
  CHECK(o.lines.text() == "1-5");
  CHECK(o.threads == 1);
  CHECK(o.url.host == "127.0.0.1");
  CHECK(o.url.port == "8080");
  CHECK(o.idempotency_key);
  CHECK(o.verify);
}

TEST_CASE("options: scenarios, modes and values in both spellings") {
  auto o = parse_ok({"--scenario", "cart", "--customers=64", "--duration", "20", "--warmup=5",
                     "--lines", "5", "--threads", "2", "--url", "http://localhost:9090/shop/",
                     "--out", "r.json", "--seed", "42", "--progress=never"});
  CHECK(o.scenario == scenario::cart);
  CHECK(o.customers == 64);
  CHECK(o.duration_s == 20);
  CHECK(o.warmup_s == 5);
  CHECK(o.lines.min == 5);
  CHECK(o.lines.max == 5);
  CHECK(o.lines.text() == "5");
  CHECK(o.threads == 2);
  CHECK(o.url.host == "localhost");
  CHECK(o.url.port == "9090");
  CHECK(o.url.prefix == "/shop");
  CHECK(o.out_path == "r.json");
  CHECK(o.seed == 42);
  CHECK(o.progress == "never");
  CHECK(o.argv.size() == 17);

  auto open = parse_ok({"--scenario=browse", "--rate", "250.5", "--max-connections", "100"});
  CHECK(open.open_loop());
  CHECK(*open.rate == 250.5);
  CHECK(open.max_connections == 100);

  auto flags = parse_ok({"--register", "--no-idempotency-key", "--verify=false"});
  CHECK(flags.do_register);
  CHECK_FALSE(flags.idempotency_key);
  CHECK_FALSE(flags.verify);

  for (auto name : {"checkout", "cart", "browse", "flash-sale", "mixed"})
    CHECK(to_string(*parse_scenario(name)) == std::string(name));
  CHECK(parse_scenario("flash_sale") == scenario::flash_sale);
  CHECK_FALSE(parse_scenario("Checkout"));
}

TEST_CASE("options: flash sale sizes its crowd from the stock") {
  auto f = parse_ok({"--scenario", "flash-sale", "--stock", "50"});
  CHECK(f.stock == 50);
  CHECK(f.customers == 100);
  auto g = parse_ok({"--scenario", "flash-sale", "--stock", "50", "--customers", "500",
                     "--admin-email", "a@b.c", "--admin-password", "pw"});
  CHECK(g.customers == 500);
  CHECK(g.admin_email == "a@b.c");
  CHECK(g.admin_password == "pw");
}

TEST_CASE("options: errors name the option") {
  CHECK_THAT(parse_error({"--scenario", "shop"}), Catch::Contains("--scenario"));
  CHECK_THAT(parse_error({"--lines", "6"}), Catch::Contains("--lines"));
  CHECK_THAT(parse_error({"--lines", "0"}), Catch::Contains("1..5"));
  CHECK_THAT(parse_error({"--customers", "many"}), Catch::Contains("--customers"));
  CHECK_THAT(parse_error({"--rate", "0"}), Catch::Contains("--rate"));
  CHECK_THAT(parse_error({"--rate", "10", "--customers", "5"}), Catch::Contains("exclude"));
  CHECK_THAT(parse_error({"--duration", "-1"}), Catch::Contains("--duration"));
  CHECK_THAT(parse_error({"--url", "https://x"}), Catch::Contains("https"));
  CHECK_THAT(parse_error({"--url", "localhost:8080"}), Catch::Contains("http://"));
  CHECK_THAT(parse_error({"--url", "http://h:99999"}), Catch::Contains("port"));
  CHECK_THAT(parse_error({"--frobnicate"}), Catch::Contains("unknown option --frobnicate"));
  CHECK_THAT(parse_error({"--out"}), Catch::Contains("needs a value"));
  CHECK_THAT(parse_error({"checkout"}), Catch::Contains("unexpected argument"));
  CHECK_THAT(parse_error({"--register=maybe"}), Catch::Contains("true or false"));
  CHECK_THAT(parse_error({"--scenario", "browse", "--register"}), Catch::Contains("--register"));
  CHECK_THAT(parse_error({"--scenario", "flash-sale", "--rate", "5"}), Catch::Contains("flash-sale"));
  CHECK_THAT(parse_error({"--customers", "2", "--threads", "4"}), Catch::Contains("--threads"));
  // --rate with --register: --customers sizes the account pool.
  auto o = parse_ok({"--rate", "10", "--register", "--customers", "20"});
  CHECK(o.customers == 20);
  CHECK(parse_ok({"--help"}).help);
}

TEST_CASE("url: hosts, ports, prefixes") {
  auto u = std::get<base_url>(parse_url("http://127.0.0.1:8080"));
  CHECK(u.host == "127.0.0.1");
  CHECK(u.port == "8080");
  CHECK(u.prefix.empty());
  auto d = std::get<base_url>(parse_url("http://example.test"));
  CHECK(d.port == "80");
  auto v6 = std::get<base_url>(parse_url("http://[::1]:9000/"));
  CHECK(v6.host == "::1");
  CHECK(v6.port == "9000");
  CHECK(v6.prefix.empty());
  CHECK(std::holds_alternative<std::string>(parse_url("http://")));
  CHECK(std::holds_alternative<std::string>(parse_url("http://:80")));
}

TEST_CASE("answers: success, business outcome or error") {
  CHECK(classify(201, "", 201) == outcome::ok);
  CHECK(classify(422, "out_of_stock", 201) == outcome::business);
  CHECK(classify(422, "payment_declined", 201) == outcome::error);
  CHECK(classify(409, "conflict", 200) == outcome::error);
  CHECK(classify(200, "", 201) == outcome::error);
  CHECK(classify(0, "timeout", 200) == outcome::error);

  CHECK(error_code(R"({"error":{"code":"out_of_stock","message":"m","details":{}}})") ==
        "out_of_stock");
  CHECK(error_code("") == "");
  CHECK(error_code("<html>") == "");
  CHECK(error_code(R"({"error":"x"})") == "");
  CHECK(string_field(R"({"cart_id":"c-1","order":{"cart_id":"nested"}})", "cart_id") == "c-1");
  CHECK(string_field(R"({"order":{"cart_id":"nested"}})", "cart_id") == "");
  CHECK(string_field(R"({"cart_id":7})", "cart_id") == "");
  CHECK(string_field("not json", "cart_id") == "");
  CHECK(string_fields(R"({"status":"compensated","reason":"out_of_stock","n":1})",
                      {"status", "n", "reason", "absent"}) ==
        std::vector<std::string>{"compensated", "", "out_of_stock", ""});
  CHECK(string_fields("not json", {"a", "b"}) == std::vector<std::string>{"", ""});
}

TEST_CASE("stats: counting by a key reference builds each key once, in error_key's order") {
  error_counts counts;
  std::string code = "out_of_stock";
  count(counts, {"POST /carts/{id}/checkout", 422, code});
  count(counts, {"POST /carts/{id}/checkout", 422, code});
  count(counts, {"POST /carts", 0, "timeout"});
  count(counts, {"POST /carts/{id}/checkout", 409, "conflict"});
  REQUIRE(counts.size() == 3);
  CHECK(counts.at(error_key{"POST /carts/{id}/checkout", 422, "out_of_stock"}) == 2);
  std::vector<error_key> order;
  for (const auto& [k, n] : counts)
    order.push_back(k);
  CHECK(std::is_sorted(order.begin(), order.end()));
  std::map<std::string, int, std::less<>> named;
  ++entry(named, std::string_view{"ok"});
  ++entry(named, "ok");
  CHECK(named.at("ok") == 2);
}

TEST_CASE("journeys: distinct SKUs per cart") {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 1000; ++i) {
    auto picked = pick_distinct(5, 20, rng);
    REQUIRE(picked.size() == 5);
    REQUIRE(std::set<std::size_t>(picked.begin(), picked.end()).size() == 5);
    for (auto p : picked)
      REQUIRE(p < 20);
  }
  CHECK(pick_distinct(3, 2, rng).size() == 2);
  CHECK(pick_distinct(3, 0, rng).empty());
  // Every index gets picked (no bias to one end).
  std::set<std::size_t> seen;
  for (int i = 0; i < 10000; ++i)
    for (auto p : pick_distinct(1, 255, rng))
      seen.insert(p);
  CHECK(seen.size() == 255);

  // Excluded indexes are never picked; when few are left, those few are.
  std::vector<char> excluded(100, 0);
  for (std::size_t i = 0; i < 100; i += 2)
    excluded[i] = 1;
  for (int i = 0; i < 1000; ++i)
    for (auto p : pick_distinct(3, 100, rng, &excluded))
      REQUIRE(p % 2 == 1);
  std::fill(excluded.begin(), excluded.end(), 1);
  excluded[42] = 0;
  excluded[7] = 0;
  auto few = pick_distinct(3, 100, rng, &excluded);
  CHECK(std::set<std::size_t>(few.begin(), few.end()) == std::set<std::size_t>{7, 42});
  excluded[42] = excluded[7] = 1;
  CHECK(pick_distinct(3, 100, rng, &excluded).empty());
}

TEST_CASE("stats: merge adds up, the table names requests, journeys and errors") {
  run_stats a, b;
  a.requests["POST /carts"].latency.record(1000);
  a.requests["POST /carts"].statuses[201] = 1;
  b.requests["POST /carts"].latency.record(3000);
  b.requests["POST /carts"].statuses[201] = 1;
  b.requests["POST /carts"].statuses[0] = 1;
  b.journeys["checkout"].outcomes["ok"] = 2;
  b.journeys["checkout"].latency.record(50000);
  b.errors[error_key{"POST /carts", 0, "timeout"}] = 1;
  b.business[error_key{"POST /carts/{id}/checkout", 422, "out_of_stock"}] = 4;
  b.checkouts.push_back({"c", "o", -1, "cart", {{"A", 1}}});
  b.unresolved.push_back({"", "", 0, "cart2", {{"B", 2}}});
  a.merge(b);
  CHECK(a.requests["POST /carts"].latency.count() == 2);
  CHECK(a.requests["POST /carts"].statuses[201] == 2);
  CHECK(a.total_requests() == 3);
  CHECK(a.total_errors() == 1);
  CHECK(a.journeys["checkout"].count("ok") == 2);
  CHECK(a.checkouts.size() == 1);
  CHECK(a.unresolved.size() == 1);
  CHECK(a.unresolved.front().lines.front().second == 2);

  auto s = summarize(a.requests["POST /carts"].latency, 2.0);
  CHECK(s.count == 2);
  CHECK(s.per_second == 1.0);
  CHECK(s.p50_ms == 1.0);
  CHECK(s.max_ms == 3.0);

  auto table = render_table(a, 2.0);
  CHECK_THAT(table, Catch::Contains("POST /carts"));
  CHECK_THAT(table, Catch::Contains("checkout"));
  CHECK_THAT(table, Catch::Contains("timeout"));
  CHECK_THAT(table, Catch::Contains("out_of_stock"));
}

TEST_CASE("options: --lines takes a number or a range") {
  auto one = parse_ok({"--lines", "3"});
  CHECK(one.lines.min == 3);
  CHECK(one.lines.max == 3);
  auto range = parse_ok({"--lines=2-4"});
  CHECK(range.lines.min == 2);
  CHECK(range.lines.max == 4);
  CHECK(range.lines.text() == "2-4");
  auto same = parse_ok({"--lines", "5-5"});
  CHECK(same.lines.text() == "5");
  for (auto bad : {"0", "6", "0-3", "1-6", "4-2", "-3", "3-", "1-2-3", "a-b", "", "1..5", " 2"}) {
    INFO(bad);
    auto e = parse_error({"--lines", bad});
    CHECK_THAT(e, Catch::Contains("--lines") && Catch::Contains("MIN-MAX"));
  }
}

TEST_CASE("options: mixed weights its journey kinds") {
  auto d = parse_ok({"--scenario", "mixed"});
  CHECK(d.scenario == scenario::mixed);
  CHECK(d.mix.of(mix_kind::checkout) == 70);
  CHECK(d.mix.of(mix_kind::price) == 10);
  CHECK(d.mix.of(mix_kind::orders) == 15);
  CHECK(d.mix.of(mix_kind::ship) == 5);
  CHECK(d.mix.text() == "checkout=70,price=10,orders=15,ship=5");
  // Order lists need a customer: mixed registers its customers.
  CHECK(d.do_register);

  auto m = parse_ok({"--scenario=mixed", "--mix", "checkout=1,ship=3"});
  CHECK(m.mix.of(mix_kind::checkout) == 1);
  CHECK(m.mix.of(mix_kind::price) == 0);
  CHECK(m.mix.of(mix_kind::orders) == 0);
  CHECK(m.mix.of(mix_kind::ship) == 3);
  CHECK(m.mix.total() == 4);

  // With --rate, --customers sizes the pool of accounts.
  auto open = parse_ok({"--scenario", "mixed", "--rate", "50", "--customers", "10"});
  CHECK(open.customers == 10);
  CHECK(open.do_register);

  auto err = [](std::string mix) { return parse_error({"--scenario", "mixed", "--mix", mix}); };
  CHECK_THAT(err("checkout=70,refund=5"), Catch::Contains("--mix") && Catch::Contains("refund"));
  CHECK_THAT(err("checkout=-1,price=3"), Catch::Contains("weight of checkout"));
  CHECK_THAT(err("checkout=1.5"), Catch::Contains("weight of checkout"));
  CHECK_THAT(err("checkout=0,price=0"), Catch::Contains("every weight is 0"));
  CHECK_THAT(err("checkout=0"), Catch::Contains("every weight is 0"));
  CHECK_THAT(err("checkout"), Catch::Contains("KIND=WEIGHT"));
  CHECK_THAT(err("checkout=1,"), Catch::Contains("KIND=WEIGHT"));
  CHECK_THAT(err(""), Catch::Contains("KIND=WEIGHT"));
  CHECK_THAT(err("price=1,price=2"), Catch::Contains("twice"));
  CHECK_THAT(parse_error({"--mix", "checkout=1"}), Catch::Contains("mixed scenario only"));
}

TEST_CASE("mixed: the picker follows the weights and never picks a zero weight") {
  mix_weights m;
  m.weight = {6, 0, 3, 1};
  std::mt19937_64 rng(11);
  std::array<int, mix_kind_count> seen{};
  const int n = 100000;
  for (int i = 0; i < n; ++i)
    ++seen[static_cast<std::size_t>(pick_kind(m, rng))];
  CHECK(seen[static_cast<std::size_t>(mix_kind::price)] == 0);
  CHECK(seen[static_cast<std::size_t>(mix_kind::checkout)] == Approx(0.6 * n).epsilon(0.03));
  CHECK(seen[static_cast<std::size_t>(mix_kind::orders)] == Approx(0.3 * n).epsilon(0.03));
  CHECK(seen[static_cast<std::size_t>(mix_kind::ship)] == Approx(0.1 * n).epsilon(0.05));

  mix_weights only;
  only.weight = {0, 0, 0, 7};
  for (int i = 0; i < 100; ++i)
    REQUIRE(pick_kind(only, rng) == mix_kind::ship);
}

TEST_CASE("journeys: lines per cart drawn uniformly from the range") {
  std::mt19937_64 rng(5);
  std::array<int, 6> seen{};
  for (int i = 0; i < 50000; ++i) {
    int n = pick_lines(line_range{1, 5}, rng);
    REQUIRE(n >= 1);
    REQUIRE(n <= 5);
    ++seen[static_cast<std::size_t>(n)];
  }
  for (int n = 1; n <= 5; ++n)
    CHECK(seen[static_cast<std::size_t>(n)] == Approx(10000).epsilon(0.05));
  for (int i = 0; i < 100; ++i)
    REQUIRE(pick_lines(line_range{3, 3}, rng) == 3);
}

TEST_CASE("verification: stock conservation per SKU") {
  std::vector<checkout_record> done(2);
  done[0].lines = {{"A", 1}, {"B", 1}};
  done[1].lines = {{"A", 1}, {"C", 2}};
  sku_units sold;
  add_units(done, sold);
  CHECK(sold == sku_units{{"A", 2}, {"B", 1}, {"C", 2}});

  sku_units initial{{"A", 10}, {"B", 5}, {"C", 7}, {"D", 3}};

  SECTION("balanced") {
    auto c = check_conservation(initial, {{"A", 8}, {"B", 4}, {"C", 5}, {"D", 3}}, sold);
    CHECK(c.ok());
    CHECK(c.skus == 4);
    CHECK(c.units_sold == 5);
    CHECK(c.units_decreased == 5);
    CHECK_THAT(c.detail(), Catch::Contains("every SKU balances"));
  }
  SECTION("a unit more left than sold (a lost commit) or fewer (an oversell) is a violation") {
    auto c = check_conservation(initial, {{"A", 9}, {"B", 4}, {"C", 4}, {"D", 3}}, sold);
    CHECK_FALSE(c.ok());
    CHECK(c.mismatches == 2);
    REQUIRE(c.examples.size() == 2);
    CHECK_THAT(c.examples[0], Catch::Contains("A: on_hand 10 -> 9 (down 1), checkouts sold 2"));
    CHECK_THAT(c.examples[1], Catch::Contains("C: on_hand 7 -> 4 (down 3), checkouts sold 2"));
    CHECK_THAT(c.detail(), Catch::Contains("2 SKUs do not balance"));
  }
  SECTION("stock that moved without a sale is a violation") {
    auto c = check_conservation(initial, {{"A", 8}, {"B", 4}, {"C", 5}, {"D", 2}}, sold);
    CHECK(c.mismatches == 1);
    CHECK_THAT(c.examples.at(0), Catch::Contains("D:"));
  }
  SECTION("undecided checkouts widen the range, not beyond") {
    sku_units maybe{{"D", 1}};
    CHECK(check_conservation(initial, {{"A", 8}, {"B", 4}, {"C", 5}, {"D", 2}}, sold, maybe).ok());
    CHECK(check_conservation(initial, {{"A", 8}, {"B", 4}, {"C", 5}, {"D", 3}}, sold, maybe).ok());
    CHECK_FALSE(
      check_conservation(initial, {{"A", 8}, {"B", 4}, {"C", 5}, {"D", 1}}, sold, maybe).ok());
  }
  SECTION("missing readings and unknown SKUs are violations, examples capped") {
    auto c = check_conservation(initial, {{"A", 8}}, sold, {}, 1);
    CHECK(c.mismatches == 3);
    CHECK(c.examples.size() == 1);
    sku_units extra = sold;
    extra["Z"] = 1;
    auto z = check_conservation(initial, {{"A", 8}, {"B", 4}, {"C", 5}, {"D", 3}}, extra);
    CHECK(z.mismatches == 1);
    CHECK_THAT(z.examples.at(0), Catch::Contains("no initial on_hand"));
  }
}

TEST_CASE("verification: orders created against checkouts reported") {
  order_tally t;
  for (auto s : {"paid", "paid", "shipped", "delivered", "cancelled", "pending", "weird"})
    t.add(s);
  CHECK(t.completed == 4);
  CHECK(t.cancelled == 1);
  CHECK(t.pending == 1);
  CHECK(t.other == 1);
  CHECK(t.total() == 7);

  auto equal = check_order_count(t, 4, 0, 0);
  CHECK(equal.ok);
  CHECK_THAT(equal.detail, Catch::Contains("7 orders created") && Catch::Contains(": equal"));

  // Two journeys cut off after their POST, found completed: unreported.
  auto cut = check_order_count(t, 2, 2, 0);
  CHECK(cut.ok);
  CHECK_THAT(cut.detail, Catch::Contains("2 unreported") && Catch::Contains("explained"));
  // Up to the undecided ones, no further.
  CHECK(check_order_count(t, 3, 0, 1).ok);
  CHECK_FALSE(check_order_count(t, 2, 0, 1).ok);
  CHECK_THAT(check_order_count(t, 2, 0, 1).detail, Catch::Contains("1 orders more"));
  // A successful checkout without its order.
  auto missing = check_order_count(t, 5, 0, 0);
  CHECK_FALSE(missing.ok);
  CHECK_THAT(missing.detail, Catch::Contains("1 successful checkouts have no order"));
}

TEST_CASE("verification: the node's timestamps") {
  CHECK(parse_timestamp_ms("1970-01-01T00:00:00.000Z") == 0);
  CHECK(parse_timestamp_ms("1970-01-01T00:00:01Z") == 1000);
  CHECK(parse_timestamp_ms("2026-11-21T10:15:00.123Z") == 1795256100123);
  CHECK(parse_timestamp_ms("2026-11-21T10:15:00.1Z") == 1795256100100);
  CHECK(parse_timestamp_ms("2026-11-21T10:15:00.123456+00:00") == 1795256100123);
  CHECK(*parse_timestamp_ms("2024-03-01T00:00:00Z") - *parse_timestamp_ms("2024-02-28T00:00:00Z") ==
        2 * 86400000);
  for (auto bad : {"", "2026-11-21", "2026-11-21T10:15:00", "2026-13-01T00:00:00Z",
                   "2026-02-30T00:00:00Z", "2026-11-21T10:15:00.Z", "2026-11-21T10:15:00+01:00",
                   "2026-11-21 10:15:00Z", "2026-11-21T25:00:00Z"}) {
    INFO(bad);
    CHECK_FALSE(parse_timestamp_ms(bad));
  }
}

TEST_CASE("flash sale: a refusal's checkout id") {
  CHECK(refused_checkout_id(R"({"error":{"code":"out_of_stock","message":"m",)"
                            R"("details":{"sku":"F-1","checkout_id":"c-9"}}})") == "c-9");
  for (auto bad : {"", "{}", "[1]", "not json", R"({"error":{"code":"out_of_stock"}})",
                   R"({"error":{"details":{"checkout_id":7}}})", R"({"error":"details"})"}) {
    INFO(bad);
    CHECK(refused_checkout_id(bad).empty());
  }
}

TEST_CASE("flash sale: a checkout's reservation decision and the race's span") {
  auto body = [](const char* started, const char* reserve_finished) {
    return std::string(R"({"checkout_id":"c","status":"completed","steps":[)"
                       R"({"name":"price_cart","status":"done","finished_at":"2026-12-06T10:00:00.001Z"},)"
                       R"({"name":"reserve_inventory","status":"done","finished_at":)") +
           reserve_finished + R"(}],"started_at":)" + started + "}";
  };
  auto won = parse_decision(body(R"("2026-12-06T10:00:00.000Z")", R"("2026-12-06T10:00:00.084Z")"));
  REQUIRE(won);
  CHECK(won->decided_ms - won->started_ms == 84);
  CHECK_FALSE(parse_decision(body(R"("2026-12-06T10:00:00.000Z")", "null"))); // still running
  CHECK_FALSE(parse_decision(body("null", R"("2026-12-06T10:00:00.084Z")")));
  CHECK_FALSE(parse_decision(R"({"started_at":"2026-12-06T10:00:00.000Z","steps":[]})"));
  CHECK_FALSE(parse_decision("not json"));

  CHECK(span_of({}).decided == 0);
  auto s = span_of({{1000, 1050}, {990, 1100}, {1020, 1020}});
  CHECK(s.decided == 3);
  CHECK(s.first_ms == 990);
  CHECK(s.last_ms == 1100);
  CHECK(s.seconds() == Approx(0.110));
  CHECK(s.per_second() == Approx(3 / 0.110));
  // Decided within the timestamps' millisecond: counted as one.
  CHECK(span_of({{5, 5}, {5, 5}}).per_second() == Approx(2000.0));
}
