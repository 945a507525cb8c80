// The journal protocol: what the entity shell (actors/runtime) and the tools
// send to the PostgreSQL broker actors, and what they answer. The broker
// implementations live in persistence/pg/; nothing here does I/O.
//
//   entity --append(rows)-->  journal_writer (collector)  --batch--> committer
//          <--append_ack----                                (detached, libpq)
//   entity --load(pid)----->  journal_reader (collector)  --batch--> reader
//          <--recovered-----                                (detached, libpq)
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/typed_actor.hpp>
#include <caf/replies_to.hpp>

#include "actors/type_ids.hpp"

namespace agora::persistence {

/// One journal row. `payload` is a JSON object text; `event_type` is the
/// stable name `"<entity type>.<event>"`.
struct event_row {
  std::string persistence_id;
  int64_t seq_nr = 0;
  std::string event_type;
  std::string payload;
  std::string correlation_id;
  /// Filled by the journal when read back (microseconds since the epoch).
  int64_t created_at_us = 0;
  /// Filled when read back.
  int64_t global_offset = 0;

  friend bool operator==(const event_row&, const event_row&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_row& x) {
  return f(caf::meta::type_name("event_row"), x.persistence_id, x.seq_nr, x.event_type,
           x.payload, x.correlation_id, x.created_at_us, x.global_offset);
}

/// "Caused by the commands correlated with $1", as SQL. The journal's
/// correlation index (migration 0008) leaves out the event types no read
/// finds by correlation id: a cart's line edits, which carry their request's
/// id, and a saga's step records, read by persistence id. The condition
/// states the same exclusion, so that PostgreSQL can use the index.
inline constexpr const char* journal_correlated_sql =
  "(correlation_id = $1 AND correlation_id <> '' AND event_type NOT IN ("
  "'cart.created', 'cart.currency_set', 'cart.item_added', 'cart.quantity_set', "
  "'cart.item_removed', 'checkout.step_attempted'))";

/// The latest state of one entity as of `seq_nr` (a JSON text).
struct snapshot_row {
  std::string persistence_id;
  int64_t seq_nr = 0;
  std::string state;

  friend bool operator==(const snapshot_row&, const snapshot_row&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot_row& x) {
  return f(caf::meta::type_name("snapshot_row"), x.persistence_id, x.seq_nr, x.state);
}

/// A snapshot or nothing. (CAF 0.17 cannot serialize std::optional, and its
/// own optional trips a false -Wstringop-overflow in GCC 12.)
struct maybe_snapshot {
  bool present = false;
  snapshot_row row;

  explicit operator bool() const noexcept { return present; }
  const snapshot_row* operator->() const noexcept { return &row; }
  const snapshot_row& operator*() const noexcept { return row; }
  maybe_snapshot& operator=(snapshot_row r) {
    present = true;
    row = std::move(r);
    return *this;
  }

  friend bool operator==(const maybe_snapshot&, const maybe_snapshot&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, maybe_snapshot& x) {
  return f(caf::meta::type_name("maybe_snapshot"), x.present, x.row);
}

/// What recovery needs: the newest snapshot (if any) and every event after it.
struct recovered {
  maybe_snapshot snapshot;
  std::vector<event_row> events;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, recovered& x) {
  return f(caf::meta::type_name("recovered"), x.snapshot, x.events);
}

/// One entity's write: rows of a single persistence id with consecutive
/// seq_nr. Either all rows are committed or none.
struct append_request {
  std::vector<event_row> rows;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, append_request& x) {
  return f(caf::meta::type_name("append_request"), x.rows);
}

/// The seq_nr of the last row committed and the global offset it got.
struct append_ack {
  int64_t last_seq_nr = 0;
  int64_t last_global_offset = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, append_ack& x) {
  return f(caf::meta::type_name("append_ack"), x.last_seq_nr, x.last_global_offset);
}

/// An append answered through a callback instead of a response. For an actor
/// with many appends in flight at once (a region recording refusals): CAF
/// keeps an actor's pending responses in a flat map that each answer searches
/// and shifts, which costs in proportion to the appends in flight. `done`
/// runs on the journal's thread, once, and must not block: it posts to its
/// actor. Node-local (it carries a callback).
struct append_notify {
  std::function<void(caf::expected<append_ack>)> done;
};

/// The journal's interface.
///
/// - append: commits the rows in the next group-commit transaction and
///   answers after COMMIT returned; fails with errc::concurrency_conflict when
///   (persistence_id, seq_nr) already exists (another writer moved the
///   stream; the entity must recover) and with errc::unavailable when the
///   database cannot be reached. Other appends of the same batch are not
///   affected by one append's conflict. With an append_notify, the same
///   outcome goes to its callback.
/// - load: the newest snapshot and the events after it, in seq_nr order.
/// - snapshot: stores a snapshot (fire and forget; a lost snapshot only
///   makes the next recovery read more events).
using journal_actor = caf::typed_actor<
  caf::replies_to<append_atom, append_request>::with<append_ack>,
  caf::reacts_to<append_atom, append_request, append_notify>,
  caf::replies_to<load_atom, std::string>::with<recovered>,
  caf::reacts_to<snapshot_atom, snapshot_row>>;

} // namespace agora::persistence

namespace caf {

template <>
struct allowed_unsafe_message_type<agora::persistence::append_notify> : std::true_type {};

} // namespace caf
