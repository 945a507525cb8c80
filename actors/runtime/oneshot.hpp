// Runs a callable once in a short-lived event-based actor: the way non-actor
// code (HTTP handlers, start-up) makes a request/response exchange with a
// typed actor without blocking its thread. For cold paths only; the hot
// entity path goes through region_ref::tell and spawns nothing.
#pragma once

#include <utility>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

namespace agora::runtime {

/// Spawns an actor that runs `fn(self)`; the actor ends when `fn` leaves it
/// nothing to wait for. (The callable travels as a spawn argument: CAF 0.17
/// dereferences a null argument tuple when a function-based actor is spawned
/// without arguments, which UBSan reports.)
template <class F>
void spawn_oneshot(caf::actor_system& sys, F fn) {
  sys.spawn([](caf::event_based_actor* self, F f) { f(self); }, std::move(fn));
}

} // namespace agora::runtime
