// The built-in simulated payment gateway: a gateway_actor with configurable
// latency and failure rate that honours the test tokens of API.md and keeps
// its own ledger, so tests can prove that a payment was charged exactly once.
//
// Tokens (given at authorize; capture, void and refund of a payment follow
// the token of its authorization):
//   tok_ok             approves (subject to payments.gateway_failure_rate)
//   tok_declined       declines the authorization
//   tok_capture_fails  authorizes, but every capture fails
//   tok_slow           approves, answering only after payments.slow_delay_ms
//   tok_flaky          the first attempt of each operation of a payment fails
//                      (whatever its idempotency key), later attempts approve
//   anything else      declined, reason "unknown token"
// Authorizations above payments.amount_limit_cents are declined.
//
// Answers come after payments.gateway_latency_ms through a timer message to
// the actor itself (never by blocking a scheduler thread). The operation is
// decided and recorded in the ledger when it arrives, and answered when its
// timer fires (and, with a ledger table, its entry is written: the write
// runs while the latency does, as a provider's own bookkeeping is part of
// the time it takes to answer). A repeated idempotency key, also one
// arriving before the answer, gets the same answer and records nothing.
#pragma once

#include <cstdint>

#include <caf/fwd.hpp>

#include "actors/payment/gateway.hpp"

namespace agora {
struct config;
} // namespace agora

namespace agora::payment {

/// A seed from std::random_device, for production use of the simulator.
uint64_t random_seed();

/// Spawns a simulated gateway configured by `cfg.payments`. `seed` drives
/// the random failures of gateway_failure_rate, so equal seeds and equal
/// request sequences give equal answers. The actor runs until it receives an
/// exit message (pending timers keep it alive until they fire).
gateway_actor spawn_simulated_gateway(caf::actor_system& sys, const agora::config& cfg,
                                      uint64_t seed = random_seed());

/// The same simulator keeping its ledger in PostgreSQL (table gateway_ledger
/// at cfg.pg.conninfo), like a real provider that outlives the node: a
/// request repeated after a crash with the same idempotency key is answered
/// from it and never charged twice. It holds at most
/// cfg.payments.gateway_max_payments payments in memory (the least recently
/// used go first) and reads a payment's decisions back from the table when a
/// request or a ledger query needs them, also after a restart. Runs detached
/// (it writes each decision before answering and reads back synchronously).
gateway_actor spawn_durable_simulated_gateway(caf::actor_system& sys, const agora::config& cfg,
                                              uint64_t seed = random_seed());

} // namespace agora::payment
