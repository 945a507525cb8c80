// The readiness probe: answers whether PostgreSQL accepts queries, from a
// detached actor with its own connection so /readyz never blocks a CAF
// scheduler or Beast I/O thread.
#pragma once

#include <string>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/type_ids.hpp"

namespace agora::persistence {

/// ping → true when `SELECT 1` succeeded (reconnecting first if needed).
using pg_probe_actor = caf::typed_actor<caf::replies_to<caf::ping_atom>::with<bool>>;

/// Spawns the probe (detached). A connection attempt gives up after 3 s
/// unless `conninfo` sets connect_timeout. Stop it with an exit message.
pg_probe_actor spawn_pg_probe(caf::actor_system& sys, std::string conninfo);

} // namespace agora::persistence
