// A customer account as an event-sourced entity (key = normalized email):
// registration, and the pure helpers that validate e-mail addresses and
// passwords before anything is hashed or sent to an actor.
//
// The password arrives here already hashed (bcrypt runs off the scheduler
// threads, in net/auth); the entity only stores the hash.
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

namespace agora::customer {

// -- limits -------------------------------------------------------------------

inline constexpr size_t max_email_length = 254;
inline constexpr size_t max_name_length = 200;
inline constexpr size_t min_password_length = 8;  // code points
inline constexpr size_t max_password_bytes = 72;  // bcrypt ignores the rest

/// The two roles of API.md "Auth".
inline constexpr std::string_view role_customer = "customer";
inline constexpr std::string_view role_admin = "admin";

// -- commands -----------------------------------------------------------------

/// POST /auth/register (and the configured admin at first start). `email`
/// must be the entity key, i.e. already normalized.
struct register_customer {
  std::string customer_id;
  std::string email;
  std::string name;
  std::string password_hash;
  std::string role = std::string(role_customer);
};

/// A read: decides no events and never fails.
struct get {};

using command = std::variant<register_customer, get>;

// -- events -------------------------------------------------------------------

/// `customer.registered`.
struct registered {
  std::string customer_id;
  std::string email;
  std::string name;
  std::string password_hash;
  std::string role;
  timestamp_us at = 0;

  friend bool operator==(const registered&, const registered&) = default;
};

using event = std::variant<registered>;

// -- state --------------------------------------------------------------------

/// An account as the journal says it is. Default-constructed = not registered.
struct state {
  bool exists = false;
  std::string customer_id;
  std::string email;
  std::string name;
  std::string password_hash;
  std::string role;
  /// Number of events applied.
  int64_t version = 0;
  timestamp_us created_at = 0;
  timestamp_us updated_at = 0;

  friend bool operator==(const state&, const state&) = default;
};

// -- traits -------------------------------------------------------------------

/// The customer entity for the generic shell (actors/runtime/entity_traits.hpp).
struct customer_traits {
  static constexpr std::string_view type = "customer";
  using state = customer::state;
  using command = customer::command;
  using event = customer::event;

  /// Validates `cmd` against `st`; the events to persist (possibly none) or a
  /// problem (invalid_request, conflict).
  static result<std::vector<event>> decide(const state& st, const command& cmd,
                                           const runtime::context& ctx);
  /// Folds one event into the state. Total: never fails.
  static state apply_event(state st, const event& ev);

  /// `"customer.registered"`.
  static std::string_view event_type(const event& ev);
  static std::string encode_event(const event& ev);
  /// nullopt for an unknown type or a malformed payload; never throws.
  static std::optional<event> decode_event(std::string_view type, std::string_view json);
  static std::string encode_state(const state& st);
  static std::optional<state> decode_state(std::string_view json);
};

// -- helpers ------------------------------------------------------------------

/// Trims surrounding whitespace, checks that the text is a plausible address
/// (one '@', non-empty local part, a domain with an inner dot, at most 254
/// characters, no whitespace or control characters) and lower-cases it.
std::optional<std::string> normalize_email(std::string_view text);

/// At least 8 characters and at most 72 bytes (bcrypt's limit).
bool valid_password(std::string_view password) noexcept;

} // namespace agora::customer
