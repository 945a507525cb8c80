// Property test of the inventory invariants: thousands of random commands
// (with many repeated reservation ids, so retries and races are common), and
// after every decided event:
//
//   0 <= reserved <= on_hand, reserved == sum of the active reservations,
//   on_hand == units received - units written off - units committed,
//
// plus: a reservation id is refused (conflict) exactly when it is not
// active and reserving it again or committing it could believe stock is held
// that is not; admissions (memory only) sum to `admitted`, are never of an
// active reservation, and an admission is refused exactly when the stock
// less the other live admissions is short; replaying the journal (through
// the codec) and restoring a snapshot give the same state, admissions aside.
#include <catch2/catch.hpp>

#include <cstdint>
#include <iterator>
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
    REQUIRE(st.expiries.contains({r.expires_at, id}));
    sum += r.quantity;
  }
  REQUIRE(sum == st.reserved);
  // The expiry index holds exactly the active reservations.
  REQUIRE(st.expiries.size() == st.reservations.size());
  REQUIRE(st.on_hand == m.received - m.written_off - m.committed);
  // A reservation is committed, released or expired -- never lost.
  REQUIRE(m.reserved_ever == st.reserved + m.finished_units);
  REQUIRE(st.finished.size() <= max_finished_reservations);
  // Committed ids are finished ones (the test never overflows either memory).
  for (const auto& id : st.committed.oldest_first())
    REQUIRE(st.finished.contains(id));
  // Admissions: indexed by `until`, summed in `admitted`, never of a reservation.
  int64_t admitted_sum = 0;
  for (const auto& [id, a] : st.admissions) {
    REQUIRE(a.quantity > 0);
    REQUIRE(st.admission_expiries.contains({a.until, id}));
    REQUIRE_FALSE(st.reservations.contains(id));
    admitted_sum += a.quantity;
  }
  REQUIRE(st.admission_expiries.size() == st.admissions.size());
  REQUIRE(admitted_sum == st.admitted);
}

/// The state without its admissions (memory only: not journaled, not in a
/// snapshot).
state durable_part(state st) {
  st.admissions.clear();
  st.admission_expiries.clear();
  st.admitted = 0;
  return st;
}

/// What the other live admissions hold at `now`.
int64_t others_admitted(const state& st, const std::string& id, timestamp_us now) {
  int64_t sum = 0;
  for (const auto& [other, a] : st.admissions)
    if (other != id && a.until > now)
      sum += a.quantity;
  return sum;
}

/// Whether `cmd` must be refused as a conflict in `st`: reserving a finished
/// id, committing an id neither active nor committed.
bool conflict_expected(const state& st, const command& cmd) {
  if (const auto* r = std::get_if<reserve>(&cmd))
    return r->quantity >= 1 && st.reservations.count(r->reservation_id) == 0 &&
           st.finished.contains(r->reservation_id);
  if (const auto* c = std::get_if<commit>(&cmd))
    return st.reservations.count(c->reservation_id) == 0 &&
           !st.committed.contains(c->reservation_id);
  return false;
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
               [&](const admitted&) {},
               [&](const admission_withdrawn&) {},
             },
             ev);
}

command random_command(std::mt19937_64& rng, const state& st, timestamp_us now, int step) {
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>{lo, hi}(rng);
  };
  // A window of 40 ids that slides on: repeats (retries, races) stay common
  // while fresh ids keep coming, as finished ids cannot be reserved again.
  auto id = [&] {
    std::string out = "r"; // appended: GCC 12 warns falsely on "r" + std::string
    out += std::to_string(pick(step / 25, step / 25 + 40));
    return out;
  };
  // Half the releases and commits name an active reservation.
  auto finishing = [&] {
    if (st.reservations.empty() || pick(0, 1) == 0)
      return id();
    auto i = st.reservations.begin();
    std::advance(i, pick(0, static_cast<int64_t>(st.reservations.size()) - 1));
    return i->first;
  };
  switch (pick(0, 9)) {
    case 0:
    case 1: {
      auto delta = pick(-30, 40);
      return adjust{delta, "random", {}};
    }
    case 2:
    case 3:
    case 4:
      return reserve{id(), pick(0, 25), now + pick(-1'000, 20'000)};
    case 5:
      return release{finishing()};
    case 6:
    case 7:
      return commit{finishing()};
    case 8:
      return traits::on_deadline(now);
    case 9:
      if (pick(0, 2) > 0)
        return admit{id(), pick(0, 30), now + pick(1, 6'000)};
      [[fallthrough]];
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
    int conflicts = 0;
    int repeated_commits = 0;
    int admissions = 0;
    int admissions_refused = 0;
    for (int step = 0; step < 4'000; ++step) {
      now += std::uniform_int_distribution<int64_t>{0, 700}(rng);
      auto cmd = random_command(rng, st, now, step);
      bool conflict = conflict_expected(st, cmd);
      auto decided = traits::decide(st, cmd, test::ctx(now, "SKU-P"));
      if (const auto* a = std::get_if<admit>(&cmd); a && a->quantity >= 1) {
        // Refused exactly when the stock less the other live admissions is short.
        bool short_now = !st.reservations.contains(a->reservation_id) &&
                         st.available() - others_admitted(st, a->reservation_id, now) < a->quantity;
        REQUIRE(!decided == short_now);
        if (!decided)
          REQUIRE(decided.error().code == errc::out_of_stock);
        (decided ? admissions : admissions_refused) += 1;
      }
      if (!decided) {
        ++rejections;
        auto code = decided.error().code;
        REQUIRE((code == errc::invalid_request || code == errc::out_of_stock ||
                 code == errc::insufficient_stock || code == errc::conflict));
        REQUIRE((code == errc::conflict) == conflict);
        REQUIRE_FALSE(std::holds_alternative<release>(cmd));
        conflicts += conflict ? 1 : 0;
        continue;
      }
      REQUIRE_FALSE(conflict);
      // Releasing never fails; a repeated commit decides nothing.
      if (const auto* c = std::get_if<commit>(&cmd))
        if (st.committed.contains(c->reservation_id)) {
          REQUIRE(decided->empty());
          ++repeated_commits;
        }
      for (const auto& ev : *decided) {
        account(m, ev);
        st = traits::apply_event(std::move(st), ev);
        if (!traits::ephemeral(ev))
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
        REQUIRE(*back == durable_part(st));
      }
    }
    // Both outcomes were exercised, not just one.
    CHECK(rejections > 0);
    CHECK(conflicts > 0);
    CHECK(repeated_commits > 0);
    CHECK(admissions > 0);
    CHECK(admissions_refused > 0);
    CHECK(rejections > conflicts);
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
    CHECK(replayed == durable_part(st));
  }
}
