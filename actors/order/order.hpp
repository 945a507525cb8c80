// An order as an event-sourced entity (key = order id): the record of what a
// checkout sold, at which prices, to whom, and how far it has come.
//
//   place ──> placed (pending)
//
//             mark_paid        ship           deliver
//   pending ────────────> paid ─────> shipped ─────────> delivered
//      │                   │ │
//      │ cancel     cancel │ │ mark_refunded
//      └──────> cancelled <┘ └──────────────> refunded
//
// Any other transition is errc::invalid_transition (API.md "Orders").
// bind_customer attaches a guest order to a customer once.
//
// Every mutating command carries an idempotency key (empty = none). The
// events it produces record the key, and a command whose key was already
// applied decides no events and succeeds: the checkout saga's retries
// (`<checkout_id>/<step>`) and the HTTP layer's repeats cannot act twice.
// The newest max_applied_keys keys are remembered.
//
// Prices, totals and the address are fixed by the caller (the checkout saga);
// decide() checks that they add up and keeps them as given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <variant>
#include <vector>

#include "actors/common/problem.hpp"
#include "actors/common/recent_set.hpp"
#include "actors/common/time.hpp"
#include "actors/runtime/entity_traits.hpp"

namespace agora::order {

// -- limits -------------------------------------------------------------------

/// How many applied idempotency keys an order remembers (the oldest go first).
inline constexpr size_t max_applied_keys = 1'000;
/// Longest carrier and tracking number (code points).
inline constexpr size_t max_shipping_text_length = 100;
/// Longest cancellation reason (code points).
inline constexpr size_t max_reason_length = 200;
/// Longest item name and address field (code points).
inline constexpr size_t max_text_length = 200;
/// Largest quantity of one item line (the cart's line limit).
inline constexpr int64_t max_item_quantity = 10'000;

// -- status -------------------------------------------------------------------

/// The order status machine of API.md "Orders".
enum class order_status : uint8_t { pending, paid, shipped, delivered, cancelled, refunded };

/// `"pending"`, `"paid"`, `"shipped"`, `"delivered"`, `"cancelled"`, `"refunded"`.
std::string_view to_string(order_status x) noexcept;

/// The inverse of to_string.
std::optional<order_status> parse_order_status(std::string_view text) noexcept;

/// True for the transitions of the status machine: pending → paid → shipped
/// → delivered, pending|paid → cancelled, paid → refunded.
bool can_transition(order_status from, order_status to) noexcept;

// -- values -------------------------------------------------------------------

/// One line of an order, priced at checkout.
struct item {
  std::string sku;
  std::string name;
  int64_t quantity = 0;
  int64_t unit_price_cents = 0;
  /// quantity × unit_price_cents.
  int64_t line_total_cents = 0;

  friend bool operator==(const item&, const item&) = default;
};

/// One status change: the status entered and when.
struct history_entry {
  order_status status = order_status::pending;
  timestamp_us at = 0;

  friend bool operator==(const history_entry&, const history_entry&) = default;
};

// -- commands -----------------------------------------------------------------

/// The checkout saga's `place_order` step: creates the order as pending.
/// The order id is the entity id. `shipping_address` is a JSON object text
/// `{name, line1, city, postal_code, country, lat?, lon?}`.
struct place {
  std::optional<std::string> customer_id;
  std::string checkout_id;
  std::vector<item> items;
  int64_t subtotal_cents = 0;
  int64_t shipping_cents = 0;
  int64_t total_cents = 0;
  std::string currency;
  std::string shipping_address;
  std::string payment_id;
  std::string idempotency_key;
};

/// pending → paid (the payment was captured).
struct mark_paid {
  std::string idempotency_key;
};

/// paid → shipped. Carrier and tracking number: 1-100 characters each.
struct ship {
  std::string carrier;
  std::string tracking_number;
  std::string idempotency_key;
};

/// shipped → delivered.
struct deliver {
  std::string idempotency_key;
};

/// pending|paid → cancelled. `reason` may be empty (at most 200 characters).
struct cancel {
  std::string reason;
  std::string idempotency_key;
};

/// paid → refunded (the payment was refunded in full).
struct mark_refunded {
  std::string idempotency_key;
};

/// Attaches a guest order to `customer_id`. Binding the customer the order
/// already has is a no-op; another customer is a conflict.
struct bind_customer {
  std::string customer_id;
  std::string idempotency_key;
};

/// A read: decides no events and never fails (an order never placed has
/// `exists == false`).
struct get {};

using command =
  std::variant<place, mark_paid, ship, deliver, cancel, mark_refunded, bind_customer, get>;

// -- events -------------------------------------------------------------------
//
// `key` is the idempotency key of the command that produced the event (empty
// when it had none); it is written to the payload only when non-empty.

/// `order.placed`. `shipping_address` is the canonical JSON object text.
struct placed {
  std::string order_id;
  std::optional<std::string> customer_id;
  std::string checkout_id;
  std::vector<item> items;
  int64_t subtotal_cents = 0;
  int64_t shipping_cents = 0;
  int64_t total_cents = 0;
  std::string currency;
  std::string shipping_address;
  std::string payment_id;
  timestamp_us at = 0;
  std::string key;

  friend bool operator==(const placed&, const placed&) = default;
};

/// `order.paid`.
struct paid {
  timestamp_us at = 0;
  std::string key;

  friend bool operator==(const paid&, const paid&) = default;
};

/// `order.shipped`.
struct shipped {
  std::string carrier;
  std::string tracking_number;
  timestamp_us at = 0;
  std::string key;

  friend bool operator==(const shipped&, const shipped&) = default;
};

/// `order.delivered`.
struct delivered {
  timestamp_us at = 0;
  std::string key;

  friend bool operator==(const delivered&, const delivered&) = default;
};

/// `order.cancelled`; `from` is the status the order left (a paid order's
/// stock and money go back, a pending one's do not).
struct cancelled {
  std::string reason;
  order_status from = order_status::pending;
  timestamp_us at = 0;
  std::string key;

  friend bool operator==(const cancelled&, const cancelled&) = default;
};

/// `order.refunded`.
struct refunded {
  timestamp_us at = 0;
  std::string key;

  friend bool operator==(const refunded&, const refunded&) = default;
};

/// `order.customer_bound`.
struct customer_bound {
  std::string customer_id;
  timestamp_us at = 0;
  std::string key;

  friend bool operator==(const customer_bound&, const customer_bound&) = default;
};

using event =
  std::variant<placed, paid, shipped, delivered, cancelled, refunded, customer_bound>;

// -- state --------------------------------------------------------------------

/// An order as the journal says it is. Default-constructed = never placed.
struct state {
  bool exists = false;
  std::string order_id;
  std::optional<std::string> customer_id;
  std::string checkout_id;
  order_status status = order_status::pending;
  std::vector<item> items;
  int64_t subtotal_cents = 0;
  int64_t shipping_cents = 0;
  int64_t total_cents = 0;
  std::string currency;
  /// Canonical JSON object text; empty while the order does not exist.
  std::string shipping_address;
  std::string payment_id;
  std::optional<std::string> carrier;
  std::optional<std::string> tracking_number;
  /// Set when the order is cancelled.
  std::optional<std::string> cancel_reason;
  /// One entry per status entered, oldest first (placed = pending).
  std::vector<history_entry> history;
  timestamp_us created_at = 0;
  timestamp_us updated_at = 0;
  /// Number of events applied.
  int64_t version = 0;
  /// The newest max_applied_keys applied idempotency keys.
  recent_set<max_applied_keys> applied_keys;

  /// True when `key` is non-empty and was applied.
  bool applied(const std::string& key) const noexcept;

  friend bool operator==(const state&, const state&) = default;
};

// -- traits -------------------------------------------------------------------

/// The order entity for the generic shell (actors/runtime/entity_traits.hpp).
struct order_traits {
  static constexpr std::string_view type = "order";
  using state = order::state;
  using command = order::command;
  using event = order::event;

  /// Validates `cmd` against `st`; the events to persist (possibly none) or a
  /// problem (invalid_request, not_found, conflict, invalid_transition).
  static result<std::vector<event>> decide(const state& st, const command& cmd,
                                           const runtime::context& ctx);
  /// Folds one event into the state. Total: never fails.
  static state apply_event(state st, const event& ev);

  /// `"order.placed"`, ...
  static std::string_view event_type(const event& ev);
  static std::string encode_event(const event& ev);
  /// nullopt for an unknown type or a malformed payload; never throws.
  static std::optional<event> decode_event(std::string_view type, std::string_view json);
  static std::string encode_state(const state& st);
  static std::optional<state> decode_state(std::string_view json);
};

} // namespace agora::order
