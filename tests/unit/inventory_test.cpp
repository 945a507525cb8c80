// The inventory entity: adjustments, reservations and their idempotency,
// expiry through the deadline hooks.
#include <catch2/catch.hpp>

#include <string>

#include "actors/inventory/inventory.hpp"
#include "actors/inventory/stock_cache.hpp"
#include "tests/unit/entity_test_support.hpp"

using namespace agora;
using namespace agora::inventory;
using test::ctx;

namespace {

using traits = inventory_traits;

/// An item with `on_hand` units and nothing reserved.
state stocked(int64_t on_hand) {
  state st;
  test::run<traits>(st, adjust{on_hand, "initial stock", {}}, ctx(100, "SKU-1"));
  return st;
}

/// "r<i>"; built by appending (GCC 12 warns falsely on "r" + std::string).
std::string rid(size_t i) {
  std::string id = "r";
  id += std::to_string(i);
  return id;
}

/// Checks `p` is the conflict of a reservation that is not active.
void check_not_active(const problem& p, const std::string& id, std::string_view reason) {
  CHECK(p.code == errc::conflict);
  CHECK_FALSE(p.message.empty());
  auto d = test::details(p);
  CHECK(d.at("sku") == "SKU-1");
  CHECK(d.at("reservation_id") == json::value(id));
  CHECK(d.at("reason") == json::value(reason));
}

} // namespace

TEST_CASE("adjusting stock records the level after it", "[inventory]") {
  state st;
  auto evs = test::run<traits>(st, adjust{10, "received", {}}, ctx(1'000, "SKU-1"));
  REQUIRE(evs.size() == 1);
  CHECK(std::get<adjusted>(evs[0]) == adjusted{10, "received", 10, 1'000, {}});
  CHECK(st.on_hand == 10);
  CHECK(st.reserved == 0);
  CHECK(st.available() == 10);
  CHECK(st.version == 1);
  CHECK(st.updated_at == 1'000);

  evs = test::run<traits>(st, adjust{-4, "damaged", {}}, ctx(2'000, "SKU-1"));
  CHECK(std::get<adjusted>(evs[0]) == adjusted{-4, "damaged", 6, 2'000, {}});
  CHECK(st.on_hand == 6);

  test::run<traits>(st, adjust{-6, "", {}}, ctx(3'000, "SKU-1"));
  CHECK(st.on_hand == 0);
}

TEST_CASE("adjustments validate delta and reason", "[inventory]") {
  state st = stocked(5);
  auto c = ctx(1, "SKU-1");
  test::check_invalid_field(test::reject<traits>(st, adjust{0, "x", {}}, c), "delta");
  test::check_invalid_field(test::reject<traits>(st, adjust{max_quantity + 1, "x", {}}, c),
                            "delta");
  test::check_invalid_field(test::reject<traits>(st, adjust{-max_quantity - 1, "x", {}}, c),
                            "delta");
  test::check_invalid_field(test::reject<traits>(st, adjust{1, std::string(201, 'r'), {}}, c),
                            "reason");
  test::run<traits>(st, adjust{max_quantity, std::string(200, 'r'), {}}, c);
  CHECK(st.on_hand == 5 + max_quantity);
}

TEST_CASE("stock never drops below what is reserved", "[inventory]") {
  state st = stocked(10);
  test::run<traits>(st, reserve{"r1", 7, 10'000}, ctx(200, "SKU-1"));
  auto p = test::reject<traits>(st, adjust{-4, "lost", {}}, ctx(300, "SKU-1"));
  CHECK(p.code == errc::insufficient_stock);
  auto d = test::details(p);
  CHECK(d.at("sku") == "SKU-1");
  CHECK(d.at("on_hand") == 10);
  CHECK(d.at("reserved") == 7);
  CHECK(d.at("delta") == -4);
  CHECK_FALSE(p.message.empty());
  // Down to exactly the reserved level is fine.
  test::run<traits>(st, adjust{-3, "lost", {}}, ctx(300, "SKU-1"));
  CHECK(st.on_hand == 7);
  CHECK(st.available() == 0);

  state empty;
  CHECK(test::reject<traits>(empty, adjust{-1, "x", {}}, ctx(1, "SKU-1")).code ==
        errc::insufficient_stock);
}

TEST_CASE("reserving holds units until released, committed or expired", "[inventory]") {
  state st = stocked(10);
  auto evs = test::run<traits>(st, reserve{"r1", 3, 50'000}, ctx(1'000, "SKU-1"));
  REQUIRE(evs.size() == 1);
  CHECK(std::get<reserved>(evs[0]) == reserved{"r1", 3, 50'000, 1'000});
  CHECK(st.on_hand == 10);
  CHECK(st.reserved == 3);
  CHECK(st.available() == 7);
  REQUIRE(st.reservations.count("r1") == 1);
  CHECK(st.reservations.at("r1") == reservation{3, 50'000});
  CHECK(st.updated_at == 1'000);
}

TEST_CASE("reserving more than available is out_of_stock", "[inventory]") {
  state st = stocked(5);
  test::run<traits>(st, reserve{"r1", 3, 50'000}, ctx(1, "SKU-1"));
  auto p = test::reject<traits>(st, reserve{"r2", 3, 50'000}, ctx(2, "SKU-1"));
  CHECK(p.code == errc::out_of_stock);
  auto d = test::details(p);
  CHECK(d.at("sku") == "SKU-1");
  CHECK(d.at("requested") == 3);
  CHECK(d.at("available") == 2);
  CHECK(p.message == "SKU SKU-1: requested 3, available 2");
  // Exactly what is available is fine.
  test::run<traits>(st, reserve{"r2", 2, 50'000}, ctx(3, "SKU-1"));
  CHECK(st.available() == 0);
}

TEST_CASE("reservations validate id and quantity", "[inventory]") {
  state st = stocked(5);
  auto c = ctx(1, "SKU-1");
  test::check_invalid_field(test::reject<traits>(st, reserve{"r", 0, 9}, c), "quantity");
  test::check_invalid_field(test::reject<traits>(st, reserve{"r", -2, 9}, c), "quantity");
  test::check_invalid_field(test::reject<traits>(st, reserve{"r", max_quantity + 1, 9}, c),
                            "quantity");
  test::check_invalid_field(test::reject<traits>(st, reserve{"", 1, 9}, c), "reservation_id");
  test::check_invalid_field(test::reject<traits>(st, reserve{std::string(201, 'i'), 1, 9}, c),
                            "reservation_id");
}

TEST_CASE("reserve is idempotent per reservation id", "[inventory]") {
  state st = stocked(5);
  test::run<traits>(st, reserve{"r1", 3, 50'000}, ctx(1, "SKU-1"));
  // Active: a retry decides nothing, even when it could no longer be served.
  CHECK(test::run<traits>(st, reserve{"r1", 3, 50'000}, ctx(2, "SKU-1")).empty());
  CHECK(test::run<traits>(st, reserve{"r1", 4, 60'000}, ctx(2, "SKU-1")).empty());
  CHECK(st.reserved == 3);
  // Finished: a late retry after the release must not reserve again, and
  // must not believe the stock is held either: a conflict.
  test::run<traits>(st, release{"r1"}, ctx(3, "SKU-1"));
  check_not_active(test::reject<traits>(st, reserve{"r1", 3, 50'000}, ctx(4, "SKU-1")), "r1",
                   "finished");
  CHECK(st.reserved == 0);
  CHECK(st.reservations.empty());
  // Committed ids are finished too.
  test::run<traits>(st, reserve{"r2", 1, 50'000}, ctx(5, "SKU-1"));
  test::run<traits>(st, commit{"r2"}, ctx(6, "SKU-1"));
  check_not_active(test::reject<traits>(st, reserve{"r2", 1, 50'000}, ctx(7, "SKU-1")), "r2",
                   "finished");
  // Validation still comes first.
  test::check_invalid_field(test::reject<traits>(st, reserve{"r1", 0, 50'000}, ctx(8, "SKU-1")),
                            "quantity");
}

TEST_CASE("releasing gives the units back, once", "[inventory]") {
  state st = stocked(5);
  test::run<traits>(st, reserve{"r1", 3, 50'000}, ctx(1, "SKU-1"));
  auto evs = test::run<traits>(st, release{"r1"}, ctx(2, "SKU-1"));
  REQUIRE(evs.size() == 1);
  CHECK(std::get<released>(evs[0]) == released{"r1", 3, 2});
  CHECK(st.on_hand == 5);
  CHECK(st.reserved == 0);
  CHECK(st.reservations.empty());
  CHECK(st.finished.contains("r1"));
  CHECK(test::run<traits>(st, release{"r1"}, ctx(3, "SKU-1")).empty());
  CHECK(test::run<traits>(st, release{"never-made"}, ctx(3, "SKU-1")).empty());
  // A released reservation cannot be sold afterwards.
  check_not_active(test::reject<traits>(st, commit{"r1"}, ctx(3, "SKU-1")), "r1", "finished");
  CHECK_FALSE(st.committed.contains("r1"));
  CHECK(st.on_hand == 5);
  CHECK(st.version == 3);
}

TEST_CASE("committing takes the units out of stock, once", "[inventory]") {
  state st = stocked(5);
  test::run<traits>(st, reserve{"r1", 3, 50'000}, ctx(1, "SKU-1"));
  test::run<traits>(st, reserve{"r2", 1, 50'000}, ctx(1, "SKU-1"));
  auto evs = test::run<traits>(st, commit{"r1"}, ctx(2, "SKU-1"));
  REQUIRE(evs.size() == 1);
  CHECK(std::get<committed>(evs[0]) == committed{"r1", 3, 2});
  CHECK(st.on_hand == 2);
  CHECK(st.reserved == 1);
  CHECK(st.available() == 1);
  CHECK(st.finished.contains("r1"));
  CHECK(st.committed.contains("r1"));
  CHECK_FALSE(st.committed.contains("r2"));
  // A repeated commit (a retried commit_inventory) decides nothing; so does
  // a late release (compensation is always safe).
  CHECK(test::run<traits>(st, commit{"r1"}, ctx(3, "SKU-1")).empty());
  CHECK(test::run<traits>(st, release{"r1"}, ctx(3, "SKU-1")).empty());
  // A reservation never made cannot be sold.
  check_not_active(test::reject<traits>(st, commit{"unknown"}, ctx(3, "SKU-1")), "unknown",
                   "unknown");
  CHECK(st.on_hand == 2);
  CHECK(st.reserved == 1);
  CHECK(st.version == 4);
}

TEST_CASE("the deadline is the earliest expiry of an active reservation", "[inventory]") {
  state st = stocked(10);
  CHECK_FALSE(traits::next_deadline(st).has_value());
  test::run<traits>(st, reserve{"late", 1, 9'000}, ctx(1, "SKU-1"));
  CHECK(traits::next_deadline(st) == std::optional<timestamp_us>{9'000});
  test::run<traits>(st, reserve{"early", 1, 5'000}, ctx(1, "SKU-1"));
  CHECK(traits::next_deadline(st) == std::optional<timestamp_us>{5'000});
  test::run<traits>(st, commit{"early"}, ctx(2, "SKU-1"));
  CHECK(traits::next_deadline(st) == std::optional<timestamp_us>{9'000});
  test::run<traits>(st, release{"late"}, ctx(3, "SKU-1"));
  CHECK_FALSE(traits::next_deadline(st).has_value());
}

TEST_CASE("on_deadline expires every reservation that is due", "[inventory]") {
  state st = stocked(10);
  test::run<traits>(st, reserve{"b", 2, 5'000}, ctx(1, "SKU-1"));
  test::run<traits>(st, reserve{"a", 1, 5'000}, ctx(1, "SKU-1"));
  test::run<traits>(st, reserve{"c", 3, 4'000}, ctx(1, "SKU-1"));
  test::run<traits>(st, reserve{"d", 4, 7'000}, ctx(1, "SKU-1"));
  auto cmd = traits::on_deadline(5'000);
  REQUIRE(std::holds_alternative<expire>(cmd));
  CHECK(std::get<expire>(cmd).now == 5'000);

  // Before anything is due, nothing happens.
  CHECK(test::run<traits>(st, traits::on_deadline(3'999), ctx(3'999, "SKU-1")).empty());

  auto evs = test::run<traits>(st, cmd, ctx(5'001, "SKU-1"));
  // Oldest deadline first, ties by id; expires_at == now counts as due.
  REQUIRE(evs.size() == 3);
  CHECK(std::get<expired>(evs[0]) == expired{"c", 3, 5'001});
  CHECK(std::get<expired>(evs[1]) == expired{"a", 1, 5'001});
  CHECK(std::get<expired>(evs[2]) == expired{"b", 2, 5'001});
  CHECK(st.reserved == 4);
  CHECK(st.on_hand == 10);
  CHECK(st.reservations.size() == 1);
  CHECK(traits::next_deadline(st) == std::optional<timestamp_us>{7'000});
  // Expired ids are finished: no double release; committing or reserving
  // one again is a conflict (the stock is no longer held).
  CHECK(test::run<traits>(st, release{"a"}, ctx(6'000, "SKU-1")).empty());
  check_not_active(test::reject<traits>(st, commit{"b"}, ctx(6'000, "SKU-1")), "b", "finished");
  check_not_active(test::reject<traits>(st, reserve{"c", 3, 99'000}, ctx(6'000, "SKU-1")), "c",
                   "finished");
  CHECK(st.reserved == 4);
  CHECK(st.committed.size() == 0);
  CHECK(test::run<traits>(st, cmd, ctx(6'000, "SKU-1")).empty());
}

TEST_CASE("the finished-id memory keeps the newest 10,000 ids", "[inventory]") {
  state st = stocked(10);
  const size_t n = max_finished_reservations + 5;
  for (size_t i = 0; i < n; ++i) {
    auto id = rid(i);
    st = traits::apply_event(std::move(st), reserved{id, 1, 1'000, 1});
    st = traits::apply_event(std::move(st), released{id, 1, 2});
  }
  CHECK(st.finished.size() == max_finished_reservations);
  CHECK(st.finished.size() == max_finished_reservations);
  CHECK(st.finished.oldest_first().front() == "r5");
  CHECK(st.finished.oldest_first().back() == rid(n - 1));
  CHECK(!st.finished.contains("r4"));
  CHECK(st.finished.contains("r5"));
  CHECK(st.reserved == 0);
  // A remembered id is refused; a forgotten one is a new reservation.
  check_not_active(test::reject<traits>(st, reserve{"r5", 1, 9'000}, ctx(3, "SKU-1")), "r5",
                   "finished");
  CHECK(test::run<traits>(st, reserve{"r4", 1, 9'000}, ctx(3, "SKU-1")).size() == 1);
}

TEST_CASE("the committed-id memory keeps the newest 10,000 commits", "[inventory]") {
  state st = stocked(max_quantity);
  const size_t n = max_finished_reservations + 3;
  for (size_t i = 0; i < n; ++i) {
    auto id = rid(i);
    st = traits::apply_event(std::move(st), reserved{id, 1, 1'000, 1});
    st = traits::apply_event(std::move(st), committed{id, 1, 2});
  }
  CHECK(st.committed.size() == max_finished_reservations);
  CHECK(st.committed.oldest_first().front() == "r3");
  CHECK(st.on_hand == max_quantity - static_cast<int64_t>(n));
  // A remembered commit repeats as a no-op; a forgotten one is unknown.
  CHECK(test::run<traits>(st, commit{"r3"}, ctx(3, "SKU-1")).empty());
  check_not_active(test::reject<traits>(st, commit{"r2"}, ctx(3, "SKU-1")), "r2", "unknown");
}

TEST_CASE("a committed id stays refused after the finished memory forgot it", "[inventory]") {
  state st = stocked(10);
  st = traits::apply_event(std::move(st), reserved{"sold", 1, 1'000, 1});
  st = traits::apply_event(std::move(st), committed{"sold", 1, 2});
  for (size_t i = 0; i < max_finished_reservations; ++i) {
    auto id = rid(i);
    st = traits::apply_event(std::move(st), reserved{id, 1, 1'000, 3});
    st = traits::apply_event(std::move(st), released{id, 1, 4});
  }
  REQUIRE_FALSE(st.finished.contains("sold"));
  REQUIRE(st.committed.contains("sold"));
  check_not_active(test::reject<traits>(st, reserve{"sold", 1, 9'000}, ctx(5, "SKU-1")), "sold",
                   "finished");
}

TEST_CASE("reading stock decides nothing and never fails", "[inventory]") {
  state st;
  CHECK(test::run<traits>(st, get{}, ctx(1, "SKU-1")).empty());
  st = stocked(3);
  CHECK(test::run<traits>(st, get{}, ctx(1, "SKU-1")).empty());
  CHECK(st.version == 1);
}

TEST_CASE("admissions hold stock in memory until their reservation, release or time",
          "[inventory]") {
  auto st = stocked(3);
  auto before = st.version;
  auto evs = test::run<traits>(st, admit{"c1", 2, 5'000}, ctx(1'000, "SKU-1"));
  REQUIRE(evs.size() == 1);
  CHECK(ephemeral(evs[0]));
  CHECK(std::get<admitted>(evs[0]) == admitted{"c1", 2, 5'000, 1'000});
  // Memory only: no version, no level, not in a snapshot.
  CHECK(st.version == before);
  CHECK((st.available() == 3 && st.admitted == 2));
  auto back = traits::decode_state(traits::encode_state(st));
  REQUIRE(back);
  CHECK(back->admissions.empty());
  // Another checkout finds one unit left for it.
  auto p = test::reject<traits>(st, admit{"c2", 2, 5'000}, ctx(1'100, "SKU-1"));
  CHECK(p.code == errc::out_of_stock);
  CHECK(test::details(p).at("available") == json::value(1));
  CHECK(test::run<traits>(st, admit{"c1", 2, 5'000}, ctx(1'200, "SKU-1")).empty()); // a repeat
  CHECK_FALSE(ephemeral(event{reserved{"c1", 2, 9'000, 1'300}}));
  // Its reservation takes the admission's place; a release withdraws one.
  test::run<traits>(st, reserve{"c1", 2, 900'000}, ctx(1'300, "SKU-1"));
  CHECK((st.admissions.empty() && st.admitted == 0 && st.reserved == 2));
  CHECK(test::run<traits>(st, admit{"c1", 2, 5'000}, ctx(1'400, "SKU-1")).empty());
  test::run<traits>(st, admit{"c3", 1, 5'000}, ctx(1'500, "SKU-1"));
  auto withdrawn = test::run<traits>(st, release{"c3"}, ctx(1'600, "SKU-1"));
  REQUIRE(withdrawn.size() == 1);
  CHECK(std::get<admission_withdrawn>(withdrawn[0]) == admission_withdrawn{"c3", 1'600});
  CHECK(st.admitted == 0);
  // One whose time is up counts no more, and is dropped by the next admission.
  test::run<traits>(st, admit{"c4", 1, 2'000}, ctx(1'700, "SKU-1"));
  CHECK(test::reject<traits>(st, admit{"c5", 1, 9'000}, ctx(1'900, "SKU-1")).code ==
        errc::out_of_stock);
  test::run<traits>(st, admit{"c5", 1, 9'000}, ctx(2'000, "SKU-1"));
  CHECK((st.admissions.size() == 1 && st.admissions.contains("c5") && st.admitted == 1));
  // Bad ids and quantities are the reservation's 400s.
  test::check_invalid_field(test::reject<traits>(st, admit{"", 1, 9'000}, ctx(2'100, "SKU-1")),
                            "reservation_id");
  test::check_invalid_field(test::reject<traits>(st, admit{"c6", 0, 9'000}, ctx(2'100, "SKU-1")),
                            "quantity");
}

TEST_CASE("the stock cache holds what a settled item has available, and nothing while it "
          "changes",
          "[inventory]") {
  stock_cache cache;
  CHECK_FALSE(cache.available("SKU-1"));
  auto st = stocked(10);
  test::run<traits>(st, reserve{"r1", 3, 10'000}, ctx(200, "SKU-1"));
  auto hook = cache.hook();
  hook("SKU-1", &st);
  CHECK(cache.available("SKU-1") == 7);
  CHECK_FALSE(cache.available("SKU-2"));
  hook("SKU-1", nullptr);
  CHECK_FALSE(cache.available("SKU-1"));
}
