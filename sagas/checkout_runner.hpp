// The checkout runner: drives checkout sagas. For each running checkout it
// asks the saga entity what to do next (checkout::next_action), does it — a
// command to the cart, inventory, order or payment entity, a call to the
// payment gateway — with a timeout, and records the reply in the saga
// entity, until the saga completes, is compensated or gets stuck. After a
// successful forward step it runs the next one while the record is written
// (sagas/README.md says when).
//
// The runner holds no state that matters: everything it knows is in the
// journal. After a crash, agora-node finds the checkouts that did not end at
// start-up and runs them again from their last recorded step; every command
// carries `<checkout_id>/<step>` (or a key derived from it) so a repeated
// attempt never acts twice.
//
// One runner actor per node; its work per message is bookkeeping only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/cart/cart.hpp"
#include "actors/inventory/inventory.hpp"
#include "actors/order/order.hpp"
#include "actors/payment/gateway.hpp"
#include "actors/payment/payment.hpp"
#include "actors/runtime/region.hpp"
#include "sagas/checkout.hpp"
#include "sagas/retry_policy.hpp"

namespace agora {
struct config;
} // namespace agora

namespace agora::catalogue {
class product_cache;
} // namespace agora::catalogue

namespace agora::sagas {

/// What the runner talks to. Everything outlives the runner.
struct checkout_deps {
  runtime::region_ref<checkout::checkout_traits> checkouts;
  runtime::region_ref<cart::cart_traits> carts;
  runtime::region_ref<inventory::inventory_traits> inventory;
  runtime::region_ref<order::order_traits> orders;
  runtime::region_ref<payment::payment_traits> payments;
  payment::gateway_actor gateway;
  catalogue::product_cache* cache = nullptr;
  const agora::config* cfg = nullptr;
  /// Called after each recorded attempt with the saga's new state and the
  /// action the attempt answered (the crash hook of the tests uses it). Runs
  /// on the runner's thread; must not block.
  std::function<void(const checkout::state&, const checkout::action&)> after_record;
};

/// Receives the saga's state when it has ended, got stuck, or the wait ran out.
using checkout_watch_fn = std::function<void(result<checkout::state>)>;

class checkout_runner {
public:
  checkout_runner() = default;
  explicit checkout_runner(caf::actor hdl) : hdl_(std::move(hdl)) {}

  /// Starts driving `checkout_id` (a no-op while it runs already).
  void run(std::string checkout_id) const;

  /// Calls `done` once the checkout is no longer running (completed,
  /// compensated, stuck, failed) or after `limit`, with its state then.
  void watch(std::string checkout_id, std::chrono::milliseconds limit,
             checkout_watch_fn done) const;

  const caf::actor& handle() const noexcept { return hdl_; }

private:
  caf::actor hdl_;
};

/// Spawns the runner.
checkout_runner spawn_checkout_runner(caf::actor_system& sys, checkout_deps deps);

/// The retry policy of checkout steps, from configuration.
retry_policy checkout_retry_policy(const agora::config& cfg);

/// Sagas currently being driven by runners of this process (for /metrics).
int64_t running_checkouts();

/// Sagas the runners of this process drove to an end (or to an operator)
/// since start, by outcome (for /metrics). A saga read again after it had
/// ended, for a watch or a run, is not counted again.
int64_t finished_checkouts(checkout::saga_status status);

} // namespace agora::sagas
