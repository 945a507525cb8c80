// runtime::use_lean_scheduler: a real actor system on the node's scheduler
// (two workers and CAF's clock thread) runs messages across many actors,
// delivers a delayed message, and shuts down.
#include <catch2/catch.hpp>

#include <chrono>
#include <dirent.h>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "actors/runtime/scheduler.hpp"
#include "actors/runtime/system_config.hpp"

using namespace agora;
using namespace std::chrono_literals;

namespace {

/// Passes a count on to `next`, or to `sink` at the end of the chain, one
/// more than it got.
caf::behavior relay(caf::event_based_actor* self, caf::actor next, caf::actor sink) {
  return {[=](int hops) { self->send(next ? next : sink, hops + 1); }};
}

/// This process's threads named `name`.
int threads_named(const std::string& name) {
  int n = 0;
  if (auto* dir = ::opendir("/proc/self/task")) {
    while (auto* e = ::readdir(dir)) {
      std::ifstream comm(std::string("/proc/self/task/") + e->d_name + "/comm");
      std::string line;
      if (std::getline(comm, line) && line == name)
        ++n;
    }
    ::closedir(dir);
  }
  return n;
}

} // namespace

TEST_CASE("the node's scheduler runs actors, timers and its shutdown", "[runtime]") {
  runtime::system_config cfg;
  cfg.set("scheduler.max-threads", size_t{2});
  runtime::use_lean_scheduler(cfg);
  {
    caf::actor_system sys{cfg};
    // Each worker names its thread once it runs.
    for (int i = 0; i < 500 && threads_named("caf.worker") < 2; ++i)
      std::this_thread::sleep_for(10ms);
    CHECK(threads_named("caf.worker") == 2);
    caf::scoped_actor self{sys};
    constexpr int length = 50, messages = 200;
    std::vector<caf::actor> chain(length);
    for (int i = length - 1; i >= 0; --i)
      chain[static_cast<size_t>(i)] =
        sys.spawn(relay, i + 1 < length ? chain[static_cast<size_t>(i) + 1] : caf::actor{},
                  caf::actor_cast<caf::actor>(self));
    for (int i = 0; i < messages; ++i)
      self->send(chain.front(), 0);
    self->delayed_send(chain.front(), 50ms, 1000);
    int arrived = 0, delayed = 0;
    bool timed_out = false;
    for (int i = 0; i < messages + 1 && !timed_out; ++i)
      self->receive(
        [&](int hops) {
          if (hops == length)
            ++arrived;
          else if (hops == 1000 + length)
            ++delayed;
        },
        caf::after(10s) >> [&] { timed_out = true; });
    CHECK_FALSE(timed_out);
    CHECK(arrived == messages);
    CHECK(delayed == 1);
    for (auto& a : chain)
      self->send_exit(a, caf::exit_reason::user_shutdown);
  }
  // The system's destructor stopped the workers and the clock.
  CHECK(threads_named("caf.worker") == 0);
}
