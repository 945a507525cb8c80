// Multi-line reservations across inventory entities: all or nothing, and
// retries that never believe stock is held when it is not.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "actors/common/json.hpp"
#include "actors/inventory/reservations.hpp"
#include "tests/support/deterministic_system.hpp"
#include "tests/support/memory_journal.hpp"

using namespace agora;
using namespace agora::test;

namespace {

struct fixture : deterministic_system {
  std::shared_ptr<memory_journal_data> data = std::make_shared<memory_journal_data>();
  persistence::journal_actor journal = sys.spawn(memory_journal, data);
  runtime::region_ref<inventory::inventory_traits> items;

  fixture() {
    runtime::region_settings settings;
    settings.idle_timeout = std::chrono::hours(1);
    items = runtime::spawn_region<inventory::inventory_traits>(sys, journal, settings);
  }

  ~fixture() {
    self->send(items.handle(), stop_atom_v);
    run();
  }

  void stock(const std::string& sku, int64_t units) {
    items.tell(sku, inventory::adjust{units, "test", {}}, "setup", {});
    run();
  }

  inventory::levels levels(const std::string& sku) {
    std::optional<inventory::levels> out;
    items.tell(sku, inventory::get{}, "test",
               [&out](result<inventory::levels> r) { out = *r; });
    run();
    REQUIRE(out);
    return *out;
  }

  /// Runs one of the *_all calls and returns its outcome.
  template <class F>
  std::optional<problem> outcome_of(F call) {
    std::optional<std::optional<problem>> out;
    call([&out](std::optional<problem> p) { out = std::move(p); });
    run();
    REQUIRE(out.has_value());
    return *out;
  }
};

timestamp_us in_an_hour() {
  return now_us() + 3'600'000'000;
}

} // namespace

TEST_CASE("a multi-line reservation reserves every line", "[inventory][reservations]") {
  fixture f;
  f.stock("A", 10);
  f.stock("B", 5);
  auto refused = f.outcome_of([&](inventory::outcome_fn done) {
    inventory::reserve_all(f.items, "r-1", {{"A", 3}, {"B", 5}}, in_an_hour(), "co-1", done);
  });
  CHECK_FALSE(refused);
  CHECK(f.levels("A").reserved == 3);
  CHECK(f.levels("B").reserved == 5);
  // Commit moves the stock out.
  auto commit_failed = f.outcome_of([&](inventory::outcome_fn done) {
    inventory::commit_all(f.items, "r-1", {"A", "B"}, "co-1", done);
  });
  CHECK_FALSE(commit_failed);
  CHECK(f.levels("A").on_hand == 7);
  CHECK(f.levels("A").reserved == 0);
  CHECK(f.levels("B").on_hand == 0);
}

TEST_CASE("one refused line releases the lines already reserved", "[inventory][reservations]") {
  fixture f;
  f.stock("A", 10);
  f.stock("B", 1);
  auto refused = f.outcome_of([&](inventory::outcome_fn done) {
    inventory::reserve_all(f.items, "r-2", {{"A", 4}, {"B", 2}}, in_an_hour(), "co-2", done);
  });
  REQUIRE(refused);
  CHECK(refused->code == errc::out_of_stock);
  CHECK(refused->details.find("\"sku\":\"B\"") != std::string::npos);
  CHECK(f.levels("A").reserved == 0);
  CHECK(f.levels("B").reserved == 0);
  CHECK(f.levels("A").on_hand == 10);
  // The journal tells the story: A was reserved, then released.
  auto& a = f.data->streams["inventory|A"];
  REQUIRE(a.size() == 3);
  CHECK(a[1].event_type == "inventory.reserved");
  CHECK(a[2].event_type == "inventory.released");
  CHECK(a[2].correlation_id == "co-2");
}

TEST_CASE("lines of the same SKU are reserved together", "[inventory][reservations]") {
  fixture f;
  f.stock("A", 5);
  auto refused = f.outcome_of([&](inventory::outcome_fn done) {
    inventory::reserve_all(f.items, "r-3", {{"A", 3}, {"A", 3}}, in_an_hour(), "co-3", done);
  });
  REQUIRE(refused);
  CHECK(refused->code == errc::out_of_stock);
  CHECK(f.levels("A").reserved == 0);
}

TEST_CASE("repeating a reservation or its release changes nothing", "[inventory][reservations]") {
  fixture f;
  f.stock("A", 5);
  for (int i = 0; i < 2; ++i) {
    auto refused = f.outcome_of([&](inventory::outcome_fn done) {
      inventory::reserve_all(f.items, "r-4", {{"A", 2}}, in_an_hour(), "co-4", done);
    });
    CHECK_FALSE(refused);
    CHECK(f.levels("A").reserved == 2);
  }
  for (int i = 0; i < 2; ++i) {
    auto failed = f.outcome_of([&](inventory::outcome_fn done) {
      inventory::release_all(f.items, "r-4", {"A"}, "co-4", done);
    });
    CHECK_FALSE(failed);
    CHECK(f.levels("A").reserved == 0);
  }
  CHECK(f.levels("A").on_hand == 5);
}

TEST_CASE("a repeated commit changes nothing; a released reservation cannot be committed",
          "[inventory][reservations]") {
  fixture f;
  f.stock("A", 5);
  f.stock("B", 5);
  auto refused = f.outcome_of([&](inventory::outcome_fn done) {
    inventory::reserve_all(f.items, "r-5", {{"A", 2}, {"B", 1}}, in_an_hour(), "co-5", done);
  });
  REQUIRE_FALSE(refused);
  for (int i = 0; i < 2; ++i) {
    auto failed = f.outcome_of([&](inventory::outcome_fn done) {
      inventory::commit_all(f.items, "r-5", {"A", "B"}, "co-5", done);
    });
    CHECK_FALSE(failed);
    CHECK(f.levels("A").on_hand == 3);
    CHECK(f.levels("B").on_hand == 4);
  }
  CHECK(f.data->streams["inventory|A"].size() == 3); // adjusted, reserved, committed

  // r-6 is released, then committed: the sale is refused, the stock stays.
  refused = f.outcome_of([&](inventory::outcome_fn done) {
    inventory::reserve_all(f.items, "r-6", {{"A", 1}}, in_an_hour(), "co-6", done);
  });
  REQUIRE_FALSE(refused);
  auto failed = f.outcome_of([&](inventory::outcome_fn done) {
    inventory::release_all(f.items, "r-6", {"A"}, "co-6", done);
  });
  REQUIRE_FALSE(failed);
  failed = f.outcome_of([&](inventory::outcome_fn done) {
    inventory::commit_all(f.items, "r-6", {"A"}, "co-6", done);
  });
  REQUIRE(failed);
  CHECK(failed->code == errc::conflict);
  CHECK(failed->details.find("\"reservation_id\":\"r-6\"") != std::string::npos);
  CHECK(f.levels("A").on_hand == 3);
  CHECK(f.levels("A").reserved == 0);

  // A reservation never made cannot be committed either.
  failed = f.outcome_of([&](inventory::outcome_fn done) {
    inventory::commit_all(f.items, "r-never", {"B"}, "co-7", done);
  });
  REQUIRE(failed);
  CHECK(failed->code == errc::conflict);
  CHECK(f.levels("B").on_hand == 4);
}

TEST_CASE("a reservation retried after one of its lines finished is refused and holds nothing",
          "[inventory][reservations]") {
  fixture f;
  f.stock("A", 5);
  f.stock("B", 5);
  auto reserve = [&] {
    return f.outcome_of([&](inventory::outcome_fn done) {
      inventory::reserve_all(f.items, "r-8", {{"A", 2}, {"B", 1}}, in_an_hour(), "co-8", done);
    });
  };
  REQUIRE_FALSE(reserve());
  // B's line ends (released here; an expiry is the same).
  auto failed = f.outcome_of([&](inventory::outcome_fn done) {
    inventory::release_all(f.items, "r-8", {"B"}, "co-8", done);
  });
  REQUIRE_FALSE(failed);
  CHECK(f.levels("A").reserved == 2);

  // The retry must not report the stock as held: B refuses, A is released.
  auto refused = reserve();
  REQUIRE(refused);
  CHECK(refused->code == errc::conflict);
  CHECK(refused->details.find("\"sku\":\"B\"") != std::string::npos);
  CHECK(f.levels("A").reserved == 0);
  CHECK(f.levels("B").reserved == 0);
  CHECK(f.levels("A").on_hand == 5);
  // Nothing reserves it again after that: A is finished now too.
  refused = reserve();
  REQUIRE(refused);
  CHECK(refused->code == errc::conflict);
  CHECK(f.levels("A").reserved == 0);
  auto& a = f.data->streams["inventory|A"];
  REQUIRE(a.size() == 3);
  CHECK(a[1].event_type == "inventory.reserved");
  CHECK(a[2].event_type == "inventory.released");
}

TEST_CASE("admissions let checkouts arriving together see each other before they reserve",
          "[inventory][reservations]") {
  fixture f;
  f.stock("A", 10);
  f.stock("B", 5);
  REQUIRE_FALSE(f.outcome_of([&](inventory::outcome_fn done) {
    inventory::reserve_all(f.items, "r-0", {{"B", 3}}, in_an_hour(), "co-0", done);
  }));
  auto admit = [&](const std::string& id, std::vector<inventory::line> lines) {
    return f.outcome_of([&](inventory::outcome_fn done) {
      inventory::admit_all(f.items, id, std::move(lines), in_an_hour(), id, done);
    });
  };
  auto reserve = [&](const std::string& id, std::vector<inventory::line> lines) {
    return f.outcome_of([&](inventory::outcome_fn done) {
      inventory::reserve_all(f.items, id, std::move(lines), in_an_hour(), id, done);
    });
  };
  auto journaled = f.data->appends;
  auto a = f.levels("A");
  auto b = f.levels("B");

  // B has 2 available (3 of 5 reserved): two admissions of one unit fit, the
  // third does not, though nothing more was reserved.
  CHECK_FALSE(admit("c-1", {{"A", 1}, {"B", 1}}));
  CHECK_FALSE(admit("c-2", {{"B", 1}}));
  auto refused = admit("c-3", {{"A", 2}, {"B", 1}});
  REQUIRE(refused);
  CHECK(refused->code == errc::out_of_stock);
  CHECK(parse_json(refused->details)->as_object().at("sku").as_string() == "B");
  CHECK(parse_json(refused->details)->as_object().at("available").as_int64() == 0);
  // Repeating an admission changes nothing; lines of one SKU are merged.
  CHECK_FALSE(admit("c-2", {{"B", 1}}));
  CHECK(admit("c-4", {{"A", 5}, {"A", 5}})); // 10 of A, 1 admitted already
  // Nothing was journaled, nothing reserved.
  CHECK(f.data->appends == journaled);
  CHECK(f.levels("A") == a);
  CHECK(f.levels("B") == b);

  // The refused checkout's admission on A was withdrawn: 9 of A are free.
  CHECK_FALSE(admit("c-5", {{"A", 9}}));
  CHECK(admit("c-6", {{"A", 1}}));
  // A reservation takes its admission's place (it does not count twice)...
  CHECK_FALSE(reserve("c-1", {{"A", 1}, {"B", 1}}));
  CHECK(f.levels("B").available() == 1);
  CHECK(admit("c-7", {{"B", 1}})); // c-2's admission holds the last unit
  // ...and a release withdraws an admission that never reserved.
  REQUIRE_FALSE(f.outcome_of([&](inventory::outcome_fn done) {
    inventory::release_all(f.items, "c-2", {"B"}, "c-2", done);
  }));
  CHECK_FALSE(admit("c-7", {{"B", 1}}));
  // Reservations ignore admissions: the reservation decides.
  CHECK_FALSE(reserve("c-8", {{"A", 1}}));
  CHECK(f.levels("A").reserved == 2);

  // A SKU that cannot be read counts as admitted: the reservation decides.
  f.data->fail_next_loads = 1;
  CHECK_FALSE(admit("c-9", {{"C", 1}}));
  f.run_timeouts(); // the entity's recovery retry
  CHECK(f.levels("C").available() == 0);
}

TEST_CASE("admissions end when their time is up", "[inventory][reservations]") {
  fixture f;
  f.stock("A", 1);
  auto admit = [&](const std::string& id, timestamp_us until) {
    return f.outcome_of([&](inventory::outcome_fn done) {
      inventory::admit_all(f.items, id, {{"A", 1}}, until, id, done);
    });
  };
  CHECK_FALSE(admit("c-1", now_us() + 1'000'000));
  CHECK(admit("c-2", in_an_hour()));
  std::this_thread::sleep_for(std::chrono::milliseconds(1'100));
  CHECK_FALSE(admit("c-2", in_an_hour()));
  CHECK(admit("c-3", in_an_hour()));
}
