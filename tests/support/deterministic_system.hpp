// A CAF actor system on the deterministic test scheduler, usable inside
// Catch2 (CAF's own fixture needs CAF's test runner). Messages run only when
// the test calls run(); timeouts fire only when it calls run_timeouts().
#pragma once

#include <caf/all.hpp>

#include "actors/runtime/system_config.hpp"

namespace agora::test {

struct deterministic_system {
  runtime::system_config cfg;
  caf::actor_system sys;
  caf::scoped_actor self;
  caf::scheduler::test_coordinator& sched;

  deterministic_system()
    : sys(init(cfg)),
      self(sys, true),
      sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {}

  ~deterministic_system() {
    // Pending request timeouts hold strong references to their actors; fire
    // them, or ~actor_system() waits forever.
    run();
    while (sched.trigger_timeouts() > 0)
      run();
  }

  /// Runs every runnable job (no timeouts).
  void run() {
    while (sched.run() > 0)
      ; // nop
  }

  /// Fires every pending timeout once and runs what that caused.
  void run_timeouts() {
    sched.trigger_timeouts();
    run();
  }

  /// Moves the clock on by `d`, fires the timeouts due by then and runs what
  /// that caused.
  void advance(caf::timespan d) {
    sched.clock().advance_time(d);
    run();
  }

private:
  static runtime::system_config& init(runtime::system_config& cfg) {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    cfg.set("logger.console-verbosity", caf::atom("quiet"));
    return cfg;
  }
};

} // namespace agora::test
