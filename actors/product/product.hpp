// A catalogue product as an event-sourced entity (key = SKU): commands,
// events, state and the traits struct the generic entity shell runs.
//
//   command --decide(state, ctx)--> events --apply_event--> new state
//
// decide() validates every field (API.md "Catalogue") and may reject;
// apply_event() never fails and also replays the journal on recovery. The
// JSON codec (product_codec.cpp) defines the journal payloads, which the SQL
// read model of the catalogue reads by field name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "actors/common/problem.hpp"
#include "actors/common/time.hpp"
#include "actors/runtime/entity_traits.hpp"

namespace agora::product {

// -- limits -------------------------------------------------------------------

/// Field limits of API.md; lengths count Unicode code points.
inline constexpr size_t max_name_length = 200;
inline constexpr size_t max_description_length = 5000;
inline constexpr size_t max_category_length = 100;
inline constexpr int64_t max_price_cents = 1'000'000'000'000;

// -- commands -----------------------------------------------------------------

/// POST /products. `attributes_json` is a JSON object text (`{}` when absent).
struct create {
  std::string sku;
  std::string name;
  std::string description;
  int64_t price_cents = 0;
  std::string currency;
  std::string category;
  std::string attributes_json = "{}";
};

/// PUT /products/{sku}: every field but the SKU.
struct replace {
  std::string name;
  std::string description;
  int64_t price_cents = 0;
  std::string currency;
  std::string category;
  std::string attributes_json = "{}";
};

/// PATCH /products/{sku}: any subset of the fields.
struct patch {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<int64_t> price_cents;
  std::optional<std::string> currency;
  std::optional<std::string> category;
  std::optional<std::string> attributes_json;
};

/// DELETE /products/{sku}: the product is no longer listed or addable; its SKU
/// stays taken.
struct retire {};

/// A read: decides no events and never fails.
struct get {};

using command = std::variant<create, replace, patch, retire, get>;

// -- events -------------------------------------------------------------------

/// `product.created`. `attributes_json` is a canonical JSON object text.
struct created {
  std::string sku;
  std::string name;
  std::string description;
  int64_t price_cents = 0;
  std::string currency;
  std::string category;
  std::string attributes_json = "{}";
  timestamp_us at = 0;

  friend bool operator==(const created&, const created&) = default;
};

/// `product.replaced`: the full new field set (the SKU is repeated).
struct replaced {
  std::string sku;
  std::string name;
  std::string description;
  int64_t price_cents = 0;
  std::string currency;
  std::string category;
  std::string attributes_json = "{}";
  timestamp_us at = 0;

  friend bool operator==(const replaced&, const replaced&) = default;
};

/// `product.patched`: only the fields that changed.
struct patched {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<int64_t> price_cents;
  std::optional<std::string> currency;
  std::optional<std::string> category;
  std::optional<std::string> attributes_json;
  timestamp_us at = 0;

  friend bool operator==(const patched&, const patched&) = default;
};

/// `product.retired`.
struct retired {
  timestamp_us at = 0;

  friend bool operator==(const retired&, const retired&) = default;
};

using event = std::variant<created, replaced, patched, retired>;

// -- state --------------------------------------------------------------------

/// A product as the journal says it is. Default-constructed = never created.
struct state {
  bool exists = false;
  bool retired = false;
  std::string sku;
  std::string name;
  std::string description;
  int64_t price_cents = 0;
  std::string currency;
  std::string category;
  /// A canonical JSON object text.
  std::string attributes_json = "{}";
  /// Number of events applied.
  int64_t version = 0;
  timestamp_us created_at = 0;
  timestamp_us updated_at = 0;

  friend bool operator==(const state&, const state&) = default;
};

// -- traits -------------------------------------------------------------------

/// The product entity for the generic shell (actors/runtime/entity_traits.hpp).
/// 404 `not_found` with details {sku}: the one answer for an unknown or
/// retired SKU, wherever it is noticed (product, cart, HTTP handlers).
problem not_found(std::string_view sku);

struct product_traits {
  static constexpr std::string_view type = "product";
  using state = product::state;
  using command = product::command;
  using event = product::event;

  /// Validates `cmd` against `st`; the events to persist (possibly none) or a
  /// problem (invalid_request, not_found, conflict).
  static result<std::vector<event>> decide(const state& st, const command& cmd,
                                           const runtime::context& ctx);
  /// Folds one event into the state. Total: never fails.
  static state apply_event(state st, const event& ev);

  /// `"product.created"`, ...
  static std::string_view event_type(const event& ev);
  static std::string encode_event(const event& ev);
  /// nullopt for an unknown type or a malformed payload; never throws.
  static std::optional<event> decode_event(std::string_view type, std::string_view json);
  static std::string encode_state(const state& st);
  static std::optional<state> decode_state(std::string_view json);
};

// -- validation helpers (shared with other entities) --------------------------

/// The number of Unicode code points of a UTF-8 text.
size_t text_length(std::string_view utf8) noexcept;

/// True for an ISO 4217-shaped code: exactly three upper-case ASCII letters.
bool valid_currency(std::string_view code) noexcept;

/// Parses `text` as a JSON object and returns its canonical serialization;
/// nullopt when it is not valid JSON or not an object.
std::optional<std::string> canonical_json_object(std::string_view text);

} // namespace agora::product
