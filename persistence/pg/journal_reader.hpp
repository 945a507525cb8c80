// The journal reader: recovery reads for entities. A collector actor on the
// CAF scheduler gathers the load requests that arrive while its detached
// readers are busy; each reader owns one PostgreSQL connection and answers a
// whole batch of persistence ids with one query (`persistence_id = ANY($1)`),
// so many entities recovering at once (after a restart or a shard take-over)
// cost one round trip per batch instead of one per entity.
#pragma once

#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "persistence/journal.hpp"

namespace agora {
struct config;
} // namespace agora

namespace agora::persistence {

namespace pg {
class connection;
} // namespace pg

/// The reading half of journal_actor.
using journal_reader_actor
  = caf::typed_actor<caf::replies_to<load_atom, std::string>::with<recovered>>;

/// Spawns the reader collector and `cfg.pg.readers` detached readers (linked
/// to the collector). Errors: errc::unavailable when PostgreSQL cannot be
/// reached. Stop it with an exit message (its readers follow).
journal_reader_actor spawn_journal_reader(caf::actor_system& sys, const agora::config& cfg);

/// Loads the newest snapshot and the later events of each id in `ids`
/// (blocking, one query). The result has one entry per id, in the order of
/// `ids`. Used by the readers and by tools.
result<std::vector<recovered>> load_recovered(pg::connection& conn,
                                              const std::vector<std::string>& ids);

} // namespace agora::persistence
