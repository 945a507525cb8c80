// Durable token revocations (logout): a detached broker actor with its own
// connection stores each revocation before the logout is acknowledged, and
// the node loads the unexpired ones at start-up.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/problem.hpp"
#include "actors/type_ids.hpp"

namespace agora::persistence {

/// (revoke_atom, token id, expires at µs) → true once committed; fails with
/// errc::unavailable when PostgreSQL cannot be reached.
using revocation_store_actor =
  caf::typed_actor<caf::replies_to<revoke_atom, std::string, int64_t>::with<bool>>;

revocation_store_actor spawn_revocation_store(caf::actor_system& sys, std::string conninfo);

/// Unexpired revocations (token id, expires at µs), oldest entries purged.
/// Blocking: for start-up only.
result<std::vector<std::pair<std::string, int64_t>>> load_revocations(const std::string& conninfo);

} // namespace agora::persistence
