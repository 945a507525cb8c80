// runtime::on_lost: the node's reaction to losing an actor it cannot run
// without fires on any stop but its own shutdown.
#include <catch2/catch.hpp>

#include "actors/runtime/lifeline.hpp"
#include "tests/support/deterministic_system.hpp"

using namespace agora;

namespace {

/// An actor that only waits. (It takes an argument: CAF 0.17 dereferences a
/// null argument tuple when a function-based actor is spawned without any,
/// which UBSan reports.)
caf::behavior idle(caf::event_based_actor*, int) {
  return {[](int) {}};
}

} // namespace

TEST_CASE("losing a vital actor calls the reaction once", "[runtime]") {
  test::deterministic_system f;
  // (An exit message with reason `normal` does not stop an actor.)
  for (auto reason : {caf::exit_reason::kill, caf::exit_reason::unhandled_exception,
                      caf::exit_reason::unknown}) {
    INFO(caf::to_string(reason));
    auto vital = f.sys.spawn(idle, 0);
    int calls = 0;
    runtime::on_lost(vital, "the vital actor", [&calls] { ++calls; });
    f.run();
    CHECK(calls == 0);
    f.self->send_exit(vital, reason);
    f.run();
    CHECK(calls == 1);
  }
}

TEST_CASE("the node's own shutdown of a vital actor is not a loss", "[runtime]") {
  test::deterministic_system f;
  auto vital = f.sys.spawn(idle, 0);
  int calls = 0;
  runtime::on_lost(vital, "the vital actor", [&calls] { ++calls; });
  f.self->send_exit(vital, caf::exit_reason::user_shutdown);
  f.run();
  CHECK(calls == 0);
}
