// Message-flow tests of the generic entity shell and shard region on CAF's
// deterministic scheduler, with an in-memory journal.
#include <catch2/catch.hpp>

#include "actors/runtime/entity_shell.hpp"
#include "tests/actor/counter_entity.hpp"
#include "tests/support/deterministic_system.hpp"
#include "tests/support/memory_journal.hpp"

using namespace agora;
using namespace agora::test;
using counter = counter_traits;

namespace {

struct fixture : deterministic_system {
  std::shared_ptr<memory_journal_data> data = std::make_shared<memory_journal_data>();
  persistence::journal_actor journal = sys.spawn(memory_journal, data);
  runtime::region_settings settings;

  fixture() {
    settings.idle_timeout = std::chrono::hours(1);
  }

  /// Regions keep their idle sweep armed while entities live, so they must be
  /// stopped (drained) before the system shuts down.
  std::vector<caf::actor> regions;

  ~fixture() {
    for (auto& r : regions)
      self->send(r, stop_atom_v);
    run();
  }

  runtime::region_ref<counter> region() {
    auto r = runtime::spawn_region<counter>(sys, journal, settings);
    regions.push_back(r.handle());
    return r;
  }

  /// Sends a command and collects the reply slot (filled once run).
  std::shared_ptr<std::optional<result<counter::state>>>
  send(const runtime::region_ref<counter>& r, std::string id, counter::command cmd) {
    auto slot = std::make_shared<std::optional<result<counter::state>>>();
    r.tell(std::move(id), std::move(cmd), "corr-1",
           [slot](result<counter::state> res) { *slot = std::move(res); });
    return slot;
  }

  int64_t value_of(const runtime::region_ref<counter>& r, std::string id) {
    auto slot = send(r, std::move(id), counter::get{});
    run();
    REQUIRE(slot->has_value());
    REQUIRE(slot->value());
    return slot->value()->value;
  }

  /// tell_new(`first`) and then tell(`second`) to `id`, run; their replies.
  std::vector<result<counter::state>> new_then(const runtime::region_ref<counter>& r,
                                               const std::string& id, counter::command first,
                                               counter::command second) {
    auto replies = std::make_shared<std::vector<result<counter::state>>>();
    auto keep = [replies](result<counter::state> res) { replies->push_back(std::move(res)); };
    r.tell_new(id, std::move(first), "corr-1", keep);
    r.tell(id, std::move(second), "corr-2", keep);
    run();
    REQUIRE(replies->size() == 2);
    return std::move(*replies);
  }

  void drain(const runtime::region_ref<counter>& r) {
    self->send(r.handle(), stop_atom_v);
    run();
  }
};

} // namespace

TEST_CASE("a command's reply comes only after its events are durable", "[runtime]") {
  fixture f;
  auto r = f.region();
  auto reply = f.send(r, "a", counter::add{5});
  // One step at a time: the entity decides and asks the journal, but the
  // reply must not arrive before the journal acknowledged.
  while (!f.data->appends && f.sched.try_run_once())
    REQUIRE_FALSE(reply->has_value());
  REQUIRE(f.data->appends == 1);
  f.run();
  REQUIRE(reply->has_value());
  REQUIRE(reply->value());
  CHECK(reply->value()->value == 5);
  auto& stream = f.data->streams["counter|a"];
  REQUIRE(stream.size() == 1);
  CHECK(stream[0].event_type == "counter.added");
  CHECK(stream[0].correlation_id == "corr-1");
  CHECK(stream[0].seq_nr == 1);
}

TEST_CASE("commands arriving during a write are persisted together", "[runtime]") {
  fixture f;
  auto r = f.region();
  std::vector<std::shared_ptr<std::optional<result<counter::state>>>> replies;
  for (int i = 0; i < 100; ++i)
    replies.push_back(f.send(r, "hot", counter::add{1}));
  f.run();
  // The first command's write goes alone; the other 99 are decided against
  // the pending state while it is in flight and go in the next write.
  CHECK(f.data->appends == 2);
  CHECK(f.data->streams["counter|hot"].size() == 100);
  for (size_t i = 0; i < replies.size(); ++i) {
    REQUIRE(replies[i]->has_value());
    REQUIRE(replies[i]->value());
    CHECK(replies[i]->value()->value == static_cast<int64_t>(i) + 1);
  }
}

TEST_CASE("a rejected command persists nothing and does not wait", "[runtime]") {
  fixture f;
  auto r = f.region();
  auto reply = f.send(r, "a", counter::add{-1});
  f.run();
  REQUIRE(reply->has_value());
  REQUIRE_FALSE(reply->value());
  CHECK(reply->value().error().code == errc::invalid_request);
  CHECK(f.data->appends == 0);
}

TEST_CASE("a failed write fails its replies and the entity recovers", "[runtime]") {
  fixture f;
  auto r = f.region();
  CHECK(f.value_of(r, "a") == 0);
  auto ok = f.send(r, "a", counter::add{2});
  f.run();
  REQUIRE(ok->value());
  f.data->fail_next_appends = 1;
  auto failed = f.send(r, "a", counter::add{40});
  f.run();
  REQUIRE(failed->has_value());
  REQUIRE_FALSE(failed->value());
  CHECK(failed->value().error().code == errc::unavailable);
  // Nothing of the failed write is visible: the entity recovered from the journal.
  CHECK(f.value_of(r, "a") == 2);
  auto again = f.send(r, "a", counter::add{3});
  f.run();
  REQUIRE(again->value());
  CHECK(again->value()->value == 5);
}

TEST_CASE("a conflicting append is rejected and the entity recovers the other writer's events",
          "[runtime]") {
  fixture f;
  auto r = f.region();
  auto first = f.send(r, "a", counter::add{1});
  f.run();
  REQUIRE(first->value());
  // Another writer appends seq_nr 2 behind this entity's back.
  f.data->streams["counter|a"].push_back(
    persistence::event_row{"counter|a", 2, "counter.added", R"({"n":100})", "other", 0, 0});
  auto conflicting = f.send(r, "a", counter::add{1});
  f.run();
  REQUIRE(conflicting->has_value());
  REQUIRE_FALSE(conflicting->value());
  CHECK(conflicting->value().error().code == errc::unavailable);
  CHECK(f.value_of(r, "a") == 101);
  auto after = f.send(r, "a", counter::add{1});
  f.run();
  REQUIRE(after->value());
  CHECK(after->value()->value == 102);
  CHECK(f.data->streams["counter|a"].back().seq_nr == 3);
}

TEST_CASE("an entity told it is new starts without reading the journal", "[runtime]") {
  fixture f;
  auto r = f.region();
  auto loads = f.data->loads;
  std::optional<result<counter::state>> reply;
  r.tell_new("fresh", counter::add{3}, "corr-1",
             [&reply](result<counter::state> res) { reply = std::move(res); });
  f.run();
  REQUIRE(reply);
  REQUIRE(*reply);
  CHECK((*reply)->value == 3);
  CHECK(f.data->loads == loads);
  CHECK(f.data->streams["counter|fresh"].size() == 1);
}

TEST_CASE("a wrong 'new' hint costs a conflict and a recovery, never an event", "[runtime]") {
  fixture f;
  auto r = f.region();
  CHECK(f.value_of(r, "old") == 0);
  f.send(r, "old", counter::add{5});
  f.run();
  f.drain(r); // passivated: the next message spawns it again
  auto r2 = f.region();
  auto replies = f.new_then(r2, "old", counter::add{1}, counter::add{2});
  // The append of seq_nr 1 conflicts with the stored event: the entity
  // recovers the real history and decides the command again on it. The
  // command behind it waited for the first write and comes after it.
  REQUIRE(replies[0]);
  CHECK(replies[0]->value == 6);
  REQUIRE(replies[1]);
  CHECK(replies[1]->value == 8);
  CHECK(f.data->streams["counter|old"].size() == 3);
  CHECK(f.value_of(r2, "old") == 8);
}

TEST_CASE("a right 'new' hint writes without a recovery read", "[runtime]") {
  fixture f;
  auto r = f.region();
  auto replies = f.new_then(r, "new", counter::add{3}, counter::add{4});
  REQUIRE(replies[0]);
  CHECK(replies[0]->value == 3);
  REQUIRE(replies[1]);
  CHECK(replies[1]->value == 7);
  CHECK(f.data->streams["counter|new"].size() == 2);
  CHECK(f.data->loads == 0);
}

TEST_CASE("a fresh entity whose first write fails otherwise fails what waits behind it",
          "[runtime]") {
  fixture f;
  auto r = f.region();
  f.data->fail_next_appends = 1;
  auto replies = f.new_then(r, "new", counter::add{3}, counter::add{4});
  // Not a conflict: nothing is decided again; both are told to retry, and
  // the entity recovers (its journal is empty) and serves the next command.
  for (const auto& rep : replies) {
    REQUIRE_FALSE(rep);
    CHECK(rep.error().code == errc::unavailable);
  }
  CHECK(f.data->streams["counter|new"].empty());
  CHECK(f.value_of(r, "new") == 0);
  auto next = f.send(r, "new", counter::add{5});
  f.run();
  REQUIRE(next->has_value());
  REQUIRE(next->value());
  CHECK(next->value()->value == 5);
}

TEST_CASE("a restarted entity recovers from snapshot plus later events", "[runtime]") {
  fixture f;
  f.settings.snapshot_every = 10;
  auto r = f.region();
  for (int i = 0; i < 25; ++i) {
    auto rep = f.send(r, "s", counter::add{1});
    f.run(); // one write per command, so snapshots are taken at 10 and 20
    REQUIRE(rep->value());
  }
  REQUIRE(f.data->snapshots.count("counter|s") == 1);
  CHECK(f.data->snapshots["counter|s"].seq_nr == 20);
  f.drain(r);
  CHECK(runtime::live_entities("counter") == 0);
  auto r2 = f.region();
  CHECK(f.value_of(r2, "s") == 25);
}

TEST_CASE("a state much larger than its events is snapshotted once its events since the last "
          "snapshot hold as many bytes", "[runtime]") {
  fixture f;
  f.settings.snapshot_every = 10;
  const std::string pid = "counter|big";
  auto r = f.region();
  auto step = [&](counter::command cmd) {
    auto rep = f.send(r, "big", std::move(cmd));
    f.run(); // one write per command
    REQUIRE(rep->value());
  };
  auto snapshot_seq = [&] {
    auto i = f.data->snapshots.find(pid);
    return i == f.data->snapshots.end() ? int64_t{0} : i->second.seq_nr;
  };
  step(counter::pad{4000});
  for (int i = 0; i < 9; ++i)
    step(counter::add{1});
  // The first snapshot: snapshot_every events, nothing to compare with yet.
  REQUIRE(snapshot_seq() == 10);
  const auto first_bytes = f.data->snapshots[pid].state.size();
  REQUIRE(first_bytes > 4000);
  // Every add journals {"n":1}, 7 bytes: no snapshot until those bytes reach
  // the first snapshot's size, then one at once.
  const size_t add_bytes = 7;
  const auto needed = static_cast<int64_t>((first_bytes + add_bytes - 1) / add_bytes);
  for (int64_t i = 1; i < needed; ++i) {
    step(counter::add{1});
    REQUIRE(snapshot_seq() == 10);
  }
  step(counter::add{1});
  CHECK(snapshot_seq() == 10 + needed);
  CHECK(f.data->streams[pid].back().payload.size() == add_bytes);

  // Recovery counts the replayed events' bytes against the snapshot it read.
  for (int i = 0; i < 20; ++i)
    step(counter::add{1});
  f.drain(r);
  r = f.region();
  const auto second_bytes = f.data->snapshots[pid].state.size();
  const auto second_seq = snapshot_seq();
  const auto needed_again = static_cast<int64_t>((second_bytes + add_bytes - 1) / add_bytes);
  for (int64_t i = 21; i < needed_again; ++i) {
    step(counter::add{1});
    REQUIRE(snapshot_seq() == second_seq);
  }
  step(counter::add{1});
  CHECK(snapshot_seq() == second_seq + needed_again);
  CHECK(f.value_of(r, "big") == 9 + needed + 20 + needed_again - 20);
}

TEST_CASE("the region caps live entities, passivating the least recently used", "[runtime]") {
  fixture f;
  f.settings.max_live = 2;
  auto r = f.region();
  for (auto id : {"x", "y", "z"}) {
    auto rep = f.send(r, id, counter::add{1});
    f.run();
    REQUIRE(rep->value());
  }
  CHECK(runtime::live_entities("counter") == 2);
  // The passivated one comes back with its state on its next message.
  CHECK(f.value_of(r, "x") == 1);
  CHECK(runtime::live_entities("counter") == 2);
  f.drain(r);
}

TEST_CASE("an idle entity is passivated and recovers on its next message", "[runtime]") {
  fixture f;
  f.settings.idle_timeout = std::chrono::milliseconds(5);
  auto r = f.region();
  auto rep = f.send(r, "idle", counter::add{7});
  f.run();
  REQUIRE(rep->value());
  CHECK(runtime::live_entities("counter") == 1);
  f.advance(std::chrono::milliseconds(10)); // past the idle timeout: the next sweep stops it
  CHECK(runtime::live_entities("counter") == 0);
  auto loads = f.data->loads;
  CHECK(f.value_of(r, "idle") == 7);
  CHECK(f.data->loads == loads + 1);
  f.drain(r);
}

TEST_CASE("the idle sweep stops only entities without messages for the idle timeout",
          "[runtime]") {
  fixture f;
  f.settings.idle_timeout = std::chrono::milliseconds(100); // swept every 25 ms
  auto r = f.region();
  f.send(r, "busy", counter::add{1});
  f.send(r, "quiet", counter::add{1});
  f.run();
  CHECK(runtime::live_entities("counter") == 2);
  for (int i = 0; i < 4; ++i) { // 100 ms: neither is idle long enough yet
    f.sched.advance_time(std::chrono::milliseconds(24));
    f.send(r, "busy", counter::add{1});
    f.run();
  }
  CHECK(runtime::live_entities("counter") == 2);
  for (int i = 0; i < 4; ++i) { // 100 ms more: "quiet" is asked and stops
    f.sched.advance_time(std::chrono::milliseconds(25));
    f.send(r, "busy", counter::add{1});
    f.run();
  }
  CHECK(runtime::live_entities("counter") == 1);
  CHECK(f.value_of(r, "busy") == 9);
  auto loads = f.data->loads;
  CHECK(f.value_of(r, "quiet") == 1);
  CHECK(f.data->loads == loads + 1); // it came back by recovery
  f.drain(r);
}

TEST_CASE("a timer derived from state fires a command and is re-armed on recovery",
          "[runtime]") {
  fixture f;
  auto r = f.region();
  auto rep = f.send(r, "t", counter::set_timer{now_us() - 1});
  f.run();
  REQUIRE(rep->value());
  f.run_timeouts();
  CHECK(f.data->streams["counter|t"].back().event_type == "counter.timer_fired");
  // A timer recorded before a restart fires after it.
  auto rep2 = f.send(r, "t2", counter::set_timer{now_us() - 1});
  f.run();
  REQUIRE(rep2->value());
  f.drain(r);
  REQUIRE(f.data->streams["counter|t2"].back().event_type == "counter.timer_set");
  auto r2 = f.region();
  CHECK(f.value_of(r2, "t2") == 0); // wakes the entity: recovery arms the timer
  f.run_timeouts();
  CHECK(f.data->streams["counter|t2"].back().event_type == "counter.timer_fired");
  f.drain(r2);
}

TEST_CASE("a deadline that moves later arms no timer; a timer that finds its deadline "
          "moved waits for the new one",
          "[runtime]") {
  fixture f;
  auto r = f.region();
  auto timers = [&] { return f.sched.clock().schedule().size(); };
  auto events = [&] { return f.data->streams["counter|m"].size(); };
  auto set = [&](timestamp_us at) {
    auto rep = f.send(r, "m", counter::set_timer{at});
    f.run();
    REQUIRE(rep->has_value());
    REQUIRE(rep->value());
  };
  set(now_us() + 3'600'000'000);
  auto armed = timers();
  // Later and later: the pending timer (earlier) stays the only one.
  for (int64_t i = 2; i <= 5; ++i)
    set(now_us() + i * 3'600'000'000);
  CHECK(timers() == armed);
  // The timer armed for the first hour fires: its deadline is 5 hours away
  // now, so nothing runs and a timer is armed for it (a later deadline
  // still arms nothing; the region's sweep timers moved meanwhile, so
  // count afresh).
  auto before = events();
  f.sched.advance_time(std::chrono::hours(1) + std::chrono::seconds(1));
  f.run();
  CHECK(events() == before);
  CHECK(f.data->streams["counter|m"].back().event_type == "counter.timer_set");
  armed = timers();
  set(now_us() + 6 * 3'600'000'000LL);
  CHECK(timers() == armed);
  // An earlier deadline arms at once and fires.
  set(now_us() - 1);
  CHECK(timers() == armed + 1);
  f.sched.trigger_timeouts();
  f.run();
  CHECK(f.data->streams["counter|m"].back().event_type == "counter.timer_fired");
  f.drain(r);
}

TEST_CASE("draining the region stops entities after their writes", "[runtime]") {
  fixture f;
  auto r = f.region();
  auto rep = f.send(r, "d", counter::add{1});
  f.drain(r);
  REQUIRE(rep->has_value());
  REQUIRE(rep->value());
  CHECK(f.data->streams["counter|d"].size() == 1);
  CHECK(runtime::live_entities("counter") == 0);
}

TEST_CASE("the change hook drops the state while a write is pending and stores the new one "
          "before the write's replies",
          "[runtime]") {
  fixture f;
  std::vector<std::string> log;
  auto r = runtime::spawn_region<counter>(
    f.sys, f.journal, f.settings, [&log](const std::string&, const counter::state* st) {
      log.push_back(st ? "settled " + std::to_string(st->value) : "pending");
    });
  f.regions.push_back(r.handle());
  auto note_reply = [&log](result<counter::state> res) {
    log.push_back(res ? "reply " + std::to_string(res->value) : "failed");
  };
  r.tell("a", counter::add{5}, "c", note_reply);
  f.run();
  CHECK(log == std::vector<std::string>{"settled 0", "pending", "settled 5", "reply 5"});

  // A read changes nothing. The second add is written after the first: the
  // state is stored only once nothing is pending.
  log.clear();
  r.tell("a", counter::get{}, "c", note_reply);
  r.tell("a", counter::add{1}, "c", note_reply);
  r.tell("a", counter::add{2}, "c", note_reply);
  f.run();
  CHECK(log == std::vector<std::string>{"reply 5", "pending", "reply 6", "settled 8", "reply 8"});
}
