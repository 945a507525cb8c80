// Property test of the inventory invariants: thousands of random commands
// (with many repeated reservation ids, so retries and races are common), and
// after every decided event:
//
//   0 <= reserved <= on_hand, reserved == sum of the active reservations,
//   on_hand == units received - units written off - units committed,
//
// plus: a rejected command changes nothing, replaying the journal (through
// the codec) and restoring a snapshot give the same state.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>

#include "actors/common/overloaded.hpp"
#include "actors/inventory/inventory.hpp"
#include "tests/unit/entity_test_support.hpp"

using namespace agora;
using namespace agora::inventory;

namespace {

using traits = inventory_traits;

struct model {
  int64_t received = 0;     // sum of positive deltas
  int64_t written_off = 0;  // sum of |negative deltas|
  int64_t committed = 0;    // sum of committed quantities
  int64_t reserved_ever = 0;
  int64_t finished_units = 0; // released + committed + expired quantities
};

void check_invariants(const state& st, const model& m) {
  REQUIRE(st.reserved >= 0);
  REQUIRE(st.reserved <= st.on_hand);
  int64_t sum = 0;
  for (const auto& [id, r] : st.reservations) {
    REQUIRE(r.quantity > 0);
    REQUIRE_FALSE(st.finished.contains(id));
    sum += r.quantity;
  }
  REQUIRE(sum == st.reserved);
  REQUIRE(st.on_hand == m.received - m.written_off - m.committed);
  // A reservation is committed, released or expired -- never lost.
  REQUIRE(m.reserved_ever == st.reserved + m.finished_units);
  REQUIRE(st.finished.size() <= max_finished_reservations);
}

/// Books an event into the model's running totals.
void account(model& m, const event& ev) {
  std::visit(overloaded{
               [&](const adjusted& e) {
                 if (e.delta > 0)
                   m.received += e.delta;
                 else
                   m.written_off -= e.delta;
               },
               [&](const reserved& e) { m.reserved_ever += e.quantity; },
               [&](const released& e) { m.finished_units += e.quantity; },
               [&](const committed& e) {
                 m.committed += e.quantity;
                 m.finished_units += e.quantity;
               },
               [&](const expired& e) { m.finished_units += e.quantity; },
             },
             ev);
}

command random_command(std::mt19937_64& rng, timestamp_us now) {
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>{lo, hi}(rng);
  };
  auto id = [&] {
    std::string out = "r"; // appended: GCC 12 warns falsely on "r" + std::string
    out += std::to_string(pick(0, 60));
    return out;
  };
  switch (pick(0, 9)) {
    case 0:
    case 1: {
      auto delta = pick(-30, 40);
      return adjust{delta, "random"};
    }
    case 2:
    case 3:
    case 4:
      return reserve{id(), pick(0, 25), now + pick(-1'000, 20'000)};
    case 5:
      return release{id()};
    case 6:
    case 7:
      return commit{id()};
    case 8:
      return traits::on_deadline(now);
    default:
      return get{};
  }
}

} // namespace

TEST_CASE("random command sequences keep 0 <= reserved <= on_hand", "[inventory]") {
  for (uint64_t seed : {1u, 2u, 3u, 42u, 2026u}) {
    INFO("seed " << seed);
    std::mt19937_64 rng{seed};
    state st;
    model m;
    std::vector<event> journal;
    timestamp_us now = 1'000'000;
    int rejections = 0;
    for (int step = 0; step < 4'000; ++step) {
      now += std::uniform_int_distribution<int64_t>{0, 700}(rng);
      auto cmd = random_command(rng, now);
      auto decided = traits::decide(st, cmd, test::ctx(now, "SKU-P"));
      if (!decided) {
        ++rejections;
        auto code = decided.error().code;
        REQUIRE((code == errc::invalid_request || code == errc::out_of_stock ||
                 code == errc::insufficient_stock));
        continue;
      }
      for (const auto& ev : *decided) {
        account(m, ev);
        st = traits::apply_event(std::move(st), ev);
        journal.push_back(ev);
        check_invariants(st, m);
      }
      // The deadline hook never points at the past once it has fired.
      if (std::holds_alternative<expire>(cmd))
        if (auto next = traits::next_deadline(st))
          REQUIRE(*next > std::get<expire>(cmd).now);
      if (step % 500 == 0) {
        auto back = traits::decode_state(traits::encode_state(st));
        REQUIRE(back.has_value());
        REQUIRE(*back == st);
      }
    }
    // Both outcomes were exercised, not just one.
    CHECK(rejections > 0);
    CHECK(m.committed > 0);
    CHECK(m.reserved_ever > m.committed);
    CHECK(st.version == static_cast<int64_t>(journal.size()));

    // Recovery: the journal, read back through the codec, rebuilds the state.
    state replayed;
    for (const auto& ev : journal) {
      auto decoded = traits::decode_event(traits::event_type(ev), traits::encode_event(ev));
      REQUIRE(decoded.has_value());
      replayed = traits::apply_event(std::move(replayed), *decoded);
    }
    CHECK(replayed == st);
  }
}
