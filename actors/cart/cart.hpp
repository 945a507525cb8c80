// A shopping cart as an event-sourced entity (key = cart id): commands,
// events, state and the traits struct the generic entity shell runs.
//
//   create ──> created                      (status open)
//   add_item / set_quantity / remove_item ──> item_added / quantity_set /
//                                             item_removed (+ currency_set)
//
// Prices are not stored: the HTTP layer shows current catalogue prices and the
// checkout saga fixes them. What the cart cannot know by itself (the stock
// available and the product's currency) arrives in the command, looked up by
// the caller just before, so decide() stays pure.
//
// Status, moved by the checkout saga (the cart remembers which checkout holds it):
//
//   open ──begin_checkout──> checking_out ──complete_checkout──> checked_out
//     ^                            │
//     └──────abort_checkout────────┘
//
// Repeating a transition for the checkout that made it decides nothing, so
// the saga's retries are safe; another checkout gets a conflict.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "actors/common/problem.hpp"
#include "actors/common/time.hpp"
#include "actors/runtime/entity_traits.hpp"

namespace agora::cart {

// -- limits -------------------------------------------------------------------

/// Largest quantity of one line (API.md "Carts").
inline constexpr int64_t max_line_quantity = 10'000;

// -- commands -----------------------------------------------------------------

/// POST /carts. `customer_id` is empty for a guest cart; `currency` may be
/// empty (the first item then decides it).
struct create {
  std::optional<std::string> customer_id;
  std::string currency;
};

/// Who sends a change, for API.md's ownership rule: a customer may touch
/// only its own carts, a guest cart is open to anyone holding its id, an
/// admin may touch any. Unchecked access (the default) is for trusted
/// callers inside the engine, such as the checkout saga.
struct access {
  bool checked = false;
  /// The caller's customer id; nullopt when no token was sent.
  std::optional<std::string> customer_id;
  bool admin = false;
};

/// POST /carts/{id}/items: adds `quantity` (1-10,000) to the line of `sku`.
/// `available` and `product_currency` are the product's current values;
/// `product_listed` is false for an unknown or retired SKU (404 once access
/// and status allow the change).
struct add_item {
  std::string sku;
  int64_t quantity = 0;
  int64_t available = 0;
  std::string product_currency;
  cart::access access{};
  bool product_listed = true;
};

/// PUT /carts/{id}/items/{sku}: sets the line to `quantity` (0-10,000; 0
/// removes it).
struct set_quantity {
  std::string sku;
  int64_t quantity = 0;
  int64_t available = 0;
  std::string product_currency;
  cart::access access{};
  /// As in add_item; setting 0 removes the line even of an unlisted SKU.
  bool product_listed = true;
};

/// DELETE /carts/{id}/items/{sku}: an absent line is a no-op.
struct remove_item {
  std::string sku;
  cart::access access{};
};

/// The checkout saga's price_cart step: locks an open, non-empty cart for
/// `checkout_id` (cart_empty when it has no line) and binds a guest cart to
/// `customer_id` when one is given. A checkout that gave the cart up already
/// cannot take it again (conflict).
struct begin_checkout {
  std::string checkout_id;
  std::optional<std::string> customer_id;
};

/// Compensation: unlocks the cart if `checkout_id` holds it (else a no-op).
struct abort_checkout {
  std::string checkout_id;
};

/// The close_cart step: the cart held by `checkout_id` is checked out.
struct complete_checkout {
  std::string checkout_id;
};

/// A read: decides no events and never fails.
struct get {};

using command = std::variant<create, add_item, set_quantity, remove_item, begin_checkout,
                             abort_checkout, complete_checkout, get>;

// -- events -------------------------------------------------------------------

/// `cart.created`.
struct created {
  std::optional<std::string> customer_id;
  std::string currency;
  timestamp_us at = 0;

  friend bool operator==(const created&, const created&) = default;
};

/// `cart.currency_set`: an empty cart adopted the currency of a product.
struct currency_set {
  std::string currency;
  timestamp_us at = 0;

  friend bool operator==(const currency_set&, const currency_set&) = default;
};

/// `cart.item_added`: `quantity` units were added; `line_quantity` is the
/// line's quantity afterwards.
struct item_added {
  std::string sku;
  int64_t quantity = 0;
  int64_t line_quantity = 0;
  timestamp_us at = 0;

  friend bool operator==(const item_added&, const item_added&) = default;
};

/// `cart.quantity_set`: the line of `sku` now holds `quantity` (>= 1),
/// created at the end if it was absent.
struct quantity_set {
  std::string sku;
  int64_t quantity = 0;
  timestamp_us at = 0;

  friend bool operator==(const quantity_set&, const quantity_set&) = default;
};

/// `cart.item_removed`.
struct item_removed {
  std::string sku;
  timestamp_us at = 0;

  friend bool operator==(const item_removed&, const item_removed&) = default;
};

/// `cart.checkout_started`: locked for `checkout_id`; `customer_id` is set
/// when a guest cart was bound by it.
struct checkout_started {
  std::string checkout_id;
  std::optional<std::string> customer_id;
  timestamp_us at = 0;

  friend bool operator==(const checkout_started&, const checkout_started&) = default;
};

/// `cart.checkout_aborted`: open again.
struct checkout_aborted {
  std::string checkout_id;
  timestamp_us at = 0;

  friend bool operator==(const checkout_aborted&, const checkout_aborted&) = default;
};

/// `cart.checked_out`.
struct checked_out {
  std::string checkout_id;
  timestamp_us at = 0;

  friend bool operator==(const checked_out&, const checked_out&) = default;
};

using event = std::variant<created, currency_set, item_added, quantity_set, item_removed,
                           checkout_started, checkout_aborted, checked_out>;

// -- state --------------------------------------------------------------------

/// open -> checking_out -> checked_out (and back to open on compensation);
/// the transitions belong to the checkout saga.
enum class cart_status : uint8_t { open, checking_out, checked_out };

/// `"open"`, `"checking_out"`, `"checked_out"` (API.md cart body).
std::string_view to_string(cart_status x) noexcept;

/// The inverse of to_string.
std::optional<cart_status> parse_cart_status(std::string_view text) noexcept;

/// One cart line.
struct line {
  std::string sku;
  int64_t quantity = 0;

  friend bool operator==(const line&, const line&) = default;
};

/// A cart as the journal says it is. Default-constructed = never created.
struct state {
  bool exists = false;
  std::optional<std::string> customer_id;
  cart_status status = cart_status::open;
  /// Lines in insertion order; every quantity is 1-10,000.
  std::vector<line> lines;
  /// Empty when never set.
  std::string currency;
  /// The checkout holding the cart (checking_out / checked_out), else empty.
  std::string checkout_id;
  /// The last checkout that gave the cart up (abort_checkout): a late
  /// begin_checkout of it must not lock the cart again.
  std::string aborted_checkout_id;
  /// Number of events applied.
  int64_t version = 0;
  timestamp_us created_at = 0;
  timestamp_us updated_at = 0;

  /// The line of `sku`, or nullptr.
  const line* find(std::string_view sku) const noexcept;

  /// The SKUs of the lines, in order (views into the lines).
  std::vector<std::string_view> skus() const;

  friend bool operator==(const state&, const state&) = default;
};

// -- traits -------------------------------------------------------------------

/// The cart entity for the generic shell (actors/runtime/entity_traits.hpp).
struct cart_traits {
  static constexpr std::string_view type = "cart";
  using state = cart::state;
  using command = cart::command;
  using event = cart::event;

  /// Validates `cmd` against `st`; the events to persist (possibly none) or a
  /// problem (invalid_request, not_found, conflict, out_of_stock,
  /// currency_mismatch).
  static result<std::vector<event>> decide(const state& st, const command& cmd,
                                           const runtime::context& ctx);
  /// Folds one event into the state. Total: never fails.
  static state apply_event(state st, const event& ev);

  /// `"cart.item_added"`, ...
  static std::string_view event_type(const event& ev);
  static std::string encode_event(const event& ev);
  /// nullopt for an unknown type or a malformed payload; never throws.
  static std::optional<event> decode_event(std::string_view type, std::string_view json);
  static std::string encode_state(const state& st);
  static std::optional<state> decode_state(std::string_view json);
};

} // namespace agora::cart
