// The shard region: the only way to reach an entity. Callers name an entity
// by type and id; the region finds the live actor or spawns it (recovering it
// from the journal), passivates idle ones and caps how many live per node.
// Today a region has one member (this node); clustering will route to the
// owning node's region without changing callers.
//
// This header is light on purpose (no caf/all.hpp): net/ and sagas/ include it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/runtime/envelope.hpp"
#include "persistence/journal.hpp"

namespace agora::runtime {

/// Tuning shared by every entity of a region.
struct region_settings {
  int64_t snapshot_every = 100;
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(2)};
  int64_t max_live = 100000;
};

/// Called on the entity's thread with its durable state whenever that state
/// changed: after recovery, and after a write was acknowledged with nothing
/// else pending, before the replies that waited for the write go out. Called
/// with nullptr when a decision leaves the entity with events not yet
/// durable: until the next call its durable state is about to move. A cache
/// that drops its entry then and stores the next state is never behind what
/// asking the entity would answer.
template <class Traits>
using change_hook = std::function<void(const std::string& id, const typename Traits::state*)>;

/// A handle to the region of one entity type. Cheap to copy; thread-safe.
template <class Traits>
class region_ref {
public:
  region_ref() = default;
  explicit region_ref(caf::actor region) : region_(std::move(region)) {}

  /// Sends `cmd` to entity `id`; `reply` (may be empty) gets the outcome.
  void tell(std::string id, typename Traits::command cmd, std::string correlation_id,
            reply_fn<Traits> reply) const;

  /// tell() to an entity whose id is most likely unused (a new UUID, or one
  /// derived from an Idempotency-Key; see envelope::fresh): saves the
  /// recovery read of a brand-new entity. If the id was used after all, the
  /// entity recovers and decides `cmd` on its recovered state.
  void tell_new(std::string id, typename Traits::command cmd, std::string correlation_id,
                reply_fn<Traits> reply) const;

  /// For a record nobody is expected to address soon (a refused checkout):
  /// decides `cmd` for the brand-new entity `id` on the calling thread and
  /// has the region journal its events without starting the entity, which
  /// a later command recovers from the journal like any other. `reply` gets
  /// the view after the events once they are durable, or the rejection.
  /// Only for types without deadlines (no live entity arms them). The
  /// region's change hook gets the new state once it is durable, before the
  /// reply, as from an entity. If the id had events already, the reply is
  /// errc::concurrency_conflict and nothing was written.
  void record_new(std::string id, typename Traits::command cmd, std::string correlation_id,
                  reply_fn<Traits> reply) const
    requires(!has_deadlines<Traits>);

  const caf::actor& handle() const noexcept { return region_; }

private:
  caf::actor region_;
};

/// Spawns the region for `Traits` on `sys`.
template <class Traits>
region_ref<Traits> spawn_region(caf::actor_system& sys, persistence::journal_actor journal,
                                region_settings settings, change_hook<Traits> on_change = {});

/// Live entities per type, for /metrics and the admin API.
int64_t live_entities(std::string_view type);

/// Commands sent to a type's region that no entity has taken yet (mailbox
/// depth of the region and its entities together).
int64_t queued_commands(std::string_view type);

} // namespace agora::runtime
