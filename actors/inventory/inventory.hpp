// A stock-keeping item as an event-sourced entity (key = SKU): stock on hand,
// the reservations that hold part of it, and the pure functions over them.
//
//   adjust ──> adjusted                     (on_hand +/- delta)
//   reserve ─> reserved ──┬─ release ─> released   (reserved -= q)
//                         ├─ commit ──> committed  (on_hand -= q, reserved -= q)
//                         └─ expire ──> expired    (reserved -= q, at expires_at)
//
// Invariant after every event: 0 <= reserved <= on_hand. Reservation ids are
// idempotency keys: reserving an active id, releasing an unknown or finished
// id and committing a committed id decide no events. Reserving a finished id
// and committing one that is not active (released, expired, never made) are
// conflicts: a retry must never believe stock is held when it is not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <variant>
#include <vector>

#include "actors/common/problem.hpp"
#include "actors/common/recent_set.hpp"
#include "actors/common/time.hpp"
#include "actors/runtime/entity_traits.hpp"

namespace agora::inventory {

// -- limits -------------------------------------------------------------------

/// Largest |delta| of one adjustment and largest quantity of one reservation.
inline constexpr int64_t max_quantity = 1'000'000'000;
/// Longest adjustment reason and reservation id (code points / bytes).
inline constexpr size_t max_reason_length = 200;
inline constexpr size_t max_reservation_id_length = 200;
/// How many finished reservation ids are remembered for idempotency.
inline constexpr size_t max_finished_reservations = 10'000;

// -- commands -----------------------------------------------------------------

/// POST /inventory/{sku}/adjust: receive (delta > 0) or write off (delta < 0).
/// `key` (optional) makes it idempotent: an adjustment whose key was applied
/// decides nothing (a cancelled order's stock returns once).
struct adjust {
  int64_t delta = 0;
  std::string reason;
  std::string key;
};

/// Holds `quantity` units for `reservation_id` until `expires_at`.
struct reserve {
  std::string reservation_id;
  int64_t quantity = 0;
  timestamp_us expires_at = 0;
};

/// Gives a reservation's units back (checkout compensation).
struct release {
  std::string reservation_id;
};

/// Turns a reservation into a sale: the units leave the warehouse.
struct commit {
  std::string reservation_id;
};

/// Expires every reservation with `expires_at <= now` (the deadline timer).
struct expire {
  timestamp_us now = 0;
};

/// A checkout's admission (the stock check before its saga, with
/// ?wait=true): holds `quantity` for `reservation_id` in memory until its
/// reservation arrives, it is released, or `until` passes, so that checkouts
/// arriving together see each other before any of them has reserved. It is
/// refused with out_of_stock when `available` minus the other live
/// admissions is short. Advisory only: nothing is journaled, a reservation
/// never looks at admissions, and a restart or passivation forgets them.
struct admit {
  std::string reservation_id;
  int64_t quantity = 0;
  timestamp_us until = 0;

  friend bool operator==(const admit&, const admit&) = default;
};

/// A read: decides no events and never fails.
struct get {};

using command = std::variant<adjust, reserve, release, commit, expire, admit, get>;

// -- events -------------------------------------------------------------------

/// `inventory.adjusted`; `on_hand` is the level after the adjustment.
struct adjusted {
  int64_t delta = 0;
  std::string reason;
  int64_t on_hand = 0;
  timestamp_us at = 0;
  /// The command's idempotency key (empty: none); kept with the finished ids.
  std::string key;

  friend bool operator==(const adjusted&, const adjusted&) = default;
};

/// `inventory.reserved`.
struct reserved {
  std::string reservation_id;
  int64_t quantity = 0;
  timestamp_us expires_at = 0;
  timestamp_us at = 0;

  friend bool operator==(const reserved&, const reserved&) = default;
};

/// `inventory.released`.
struct released {
  std::string reservation_id;
  int64_t quantity = 0;
  timestamp_us at = 0;

  friend bool operator==(const released&, const released&) = default;
};

/// `inventory.committed`.
struct committed {
  std::string reservation_id;
  int64_t quantity = 0;
  timestamp_us at = 0;

  friend bool operator==(const committed&, const committed&) = default;
};

/// `inventory.expired`.
struct expired {
  std::string reservation_id;
  int64_t quantity = 0;
  timestamp_us at = 0;

  friend bool operator==(const expired&, const expired&) = default;
};

/// An admission taken (ephemeral: applied, never journaled). Admissions
/// whose `until` is at or before `at` are dropped first.
struct admitted {
  std::string reservation_id;
  int64_t quantity = 0;
  timestamp_us until = 0;
  timestamp_us at = 0;

  friend bool operator==(const admitted&, const admitted&) = default;
};

/// An admission released before its reservation (ephemeral).
struct admission_withdrawn {
  std::string reservation_id;
  timestamp_us at = 0;

  friend bool operator==(const admission_withdrawn&, const admission_withdrawn&) = default;
};

using event = std::variant<adjusted, reserved, released, committed, expired, admitted,
                           admission_withdrawn>;

/// True for the events that only change memory (admissions): the shell
/// applies them without journaling them, and they count in no version.
bool ephemeral(const event& ev) noexcept;

// -- state --------------------------------------------------------------------

/// An active reservation.
struct reservation {
  int64_t quantity = 0;
  timestamp_us expires_at = 0;

  friend bool operator==(const reservation&, const reservation&) = default;
};

/// The stock levels of one SKU. Default-constructed = nothing received yet.
struct state {
  int64_t on_hand = 0;
  /// Sum of the quantities of `reservations`.
  int64_t reserved = 0;
  /// Active reservations by id.
  std::map<std::string, reservation> reservations;
  /// The same reservations by deadline, then id: the earliest deadline and
  /// the expired ones are read without scanning every reservation.
  std::set<std::pair<timestamp_us, std::string>> expiries;
  /// Finished (released, committed or expired) ids, oldest first; at most
  /// max_finished_reservations. `finished` indexes the same ids.
  recent_set<max_finished_reservations> finished;
  /// The committed ones among them (a repeated commit is a no-op).
  recent_set<max_finished_reservations> committed;
  /// Number of events applied.
  int64_t version = 0;
  timestamp_us updated_at = 0;
  /// Live admissions (admit) by reservation id, the same by `until`, and
  /// their total quantity. Memory only: not in snapshots, empty after
  /// recovery.
  std::map<std::string, admit> admissions;
  std::set<std::pair<timestamp_us, std::string>> admission_expiries;
  int64_t admitted = 0;

  /// `on_hand - reserved`.
  int64_t available() const noexcept { return on_hand - reserved; }

  friend bool operator==(const state&, const state&) = default;
};

/// Holds `r` under `id` in `reservations` and `expiries` together, replacing
/// a reservation of that id; false when one was replaced. It and the fold's
/// finishing of a reservation are the only writers of either, so the index
/// always holds exactly the active reservations.
bool hold_reservation(state& st, const std::string& id, reservation r);

/// The refusal of a reservation (or of a checkout's admission): 422
/// `out_of_stock` with details {sku, requested, available}.
problem out_of_stock(std::string_view sku, int64_t requested, int64_t available);

// -- traits -------------------------------------------------------------------

/// The inventory entity for the generic shell (actors/runtime/entity_traits.hpp).
/// What a reply carries: the stock levels, not the reservation book (which
/// can hold thousands of ids and is copied for nobody).
struct levels {
  int64_t on_hand = 0;
  int64_t reserved = 0;
  int64_t version = 0;
  timestamp_us updated_at = 0;

  int64_t available() const noexcept { return on_hand - reserved; }

  friend bool operator==(const levels&, const levels&) = default;
};

struct inventory_traits {
  static constexpr std::string_view type = "inventory";
  static bool ephemeral(const event& ev) noexcept { return inventory::ephemeral(ev); }
  using state = inventory::state;
  using command = inventory::command;
  using event = inventory::event;
  using view = inventory::levels;

  static view make_view(const state& st) {
    return view{st.on_hand, st.reserved, st.version, st.updated_at};
  }

  /// Validates `cmd` against `st`; the events to persist (possibly none) or a
  /// problem (invalid_request, insufficient_stock, out_of_stock).
  static result<std::vector<event>> decide(const state& st, const command& cmd,
                                           const runtime::context& ctx);
  /// Folds one event into the state. Total: never fails.
  static state apply_event(state st, const event& ev);

  /// The earliest `expires_at` of the active reservations.
  static std::optional<timestamp_us> next_deadline(const state& st);
  /// The command the shell decides when the deadline has passed.
  static command on_deadline(timestamp_us now);

  /// `"inventory.reserved"`, ...
  static std::string_view event_type(const event& ev);
  static std::string encode_event(const event& ev);
  /// nullopt for an unknown type or a malformed payload; never throws.
  static std::optional<event> decode_event(std::string_view type, std::string_view json);
  static std::string encode_state(const state& st);
  static std::optional<state> decode_state(std::string_view json);
};

} // namespace agora::inventory
