// The catalogue projection: keeps the read model catalogue_products in step
// with the journal's product.* and inventory.* events. It runs in a detached
// actor that polls the journal every catalogue.poll_interval_ms and applies
// each batch in one transaction together with its offset in
// projection_offsets (name "catalogue"), so every event is applied exactly
// once, across restarts and with several nodes running the projection (the
// offset row is locked for the transaction).
#pragma once

#include <cstdint>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/problem.hpp"
#include "actors/type_ids.hpp"

namespace agora {
struct config;
} // namespace agora

namespace agora::persistence::pg {
class connection;
} // namespace agora::persistence::pg

namespace agora::persistence::catalogue {

/// The projection's name in projection_offsets.
inline constexpr const char* projection_name = "catalogue";

/// tick: poll now (the actor also polls on its own timer).
/// stats: the journal offset up to which events have been applied.
using catalogue_projection_actor
  = caf::typed_actor<caf::reacts_to<tick_atom>, caf::replies_to<stats_atom>::with<int64_t>>;

/// Spawns the projection (detached, own connection). Stop it with an exit
/// message.
catalogue_projection_actor spawn_catalogue_projection(caf::actor_system& sys,
                                                      const agora::config& cfg);

/// What one projection step did.
struct step_report {
  /// Journal rows applied in this step.
  int64_t applied = 0;
  /// Rows of the projection's event types read (a full batch: more may follow).
  int64_t read = 0;
  /// The stored offset after the step.
  int64_t offset = 0;
};

/// Applies at most `max_events` events after the stored offset, in one
/// transaction with the offset update (blocking). An event that cannot be
/// applied (malformed payload) is logged and skipped, never retried forever.
result<step_report> project_catalogue_once(pg::connection& conn, int64_t max_events = 500);

} // namespace agora::persistence::catalogue
