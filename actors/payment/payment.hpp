// A payment as an event-sourced entity (key = payment id): what the payment
// gateway answered for one order's money, and what may be asked of it next.
//
//   command                from                           to
//   open                   (not opened)                   pending
//   record_authorization   pending                        authorized | declined
//     with `opening`       (not opened)                   authorized | declined
//   record_capture         authorized | failed            captured | failed
//   record_void            authorized | failed            voided
//   record_refund          captured | partially_refunded  partially_refunded | refunded
//
// Any other combination is errc::conflict {payment_id, status, operation},
// except that a refund of more than captured - refunded (a fully refunded
// payment included) is errc::refund_exceeds_captured.
//
// The entity never calls the gateway (decide() is pure). The caller (the
// checkout saga, the refund endpoint) asks the gateway first, with the key
// gateway_key() derives, then records the answer here. The helpers
// can_capture / can_void / refundable_cents / check_refund tell it beforehand
// whether the operation would be recorded.
//
// A failed capture leaves the authorization in place: the status is `failed`
// until a retried capture succeeds or the authorization is voided.
//
// Every mutating command carries an idempotency key (empty = none); a command
// whose key was already applied decides no events and succeeds. The newest
// max_applied_keys keys are remembered.
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

namespace agora::payment {

// -- limits -------------------------------------------------------------------

/// How many applied idempotency keys a payment remembers (the oldest go first).
inline constexpr size_t max_applied_keys = 1'000;
/// Longest gateway reference (bytes).
inline constexpr size_t max_gateway_ref_length = 200;
/// Gateway reasons longer than this (bytes) are cut at a character boundary.
inline constexpr size_t max_reason_length = 500;

// -- gateway operations -------------------------------------------------------

/// The operation names of gateway_key() and of conflict details.
inline constexpr std::string_view op_open = "open";
inline constexpr std::string_view op_authorize = "authorize";
inline constexpr std::string_view op_capture = "capture";
inline constexpr std::string_view op_void = "void";
inline constexpr std::string_view op_refund = "refund";

/// The idempotency key to send with a gateway call:
/// `"<payment_id>/<operation>/<attempt_group>"`. Retries of one logical
/// operation (a timed-out authorize retried by the saga) reuse the same
/// attempt group, so the gateway charges at most once; a new logical
/// operation (a second partial refund) takes the next group.
std::string gateway_key(std::string_view payment_id, std::string_view operation,
                        int attempt_group);

// -- commands -----------------------------------------------------------------

/// The checkout saga's first payment command: the payment about to be
/// authorized. `payment_id` must be the entity id; `amount_cents` > 0.
struct open {
  std::string payment_id;
  std::string order_id;
  std::string checkout_id;
  int64_t amount_cents = 0;
  std::string currency;
  std::string idempotency_key;
};

/// The gateway's answer to authorizing the whole amount (only while pending).
struct record_authorization {
  bool approved = false;
  std::string gateway_ref;
  /// Why it was declined; ignored when approved.
  std::string reason;
  std::string idempotency_key;
  /// The payment to open first when it was never opened: the saga's first
  /// attempt asks the gateway before the payment exists, and both are
  /// recorded in one journal write (`payment.opened`, then the answer). Not
  /// looked at once the payment exists.
  std::optional<open> opening = std::nullopt;
};

/// The gateway's answer to capturing `amount_cents` (1 to the authorized
/// amount) of an authorization; allowed while authorized or after a failed
/// capture.
struct record_capture {
  bool succeeded = false;
  int64_t amount_cents = 0;
  std::string gateway_ref;
  /// Why it failed; ignored when it succeeded.
  std::string reason;
  std::string idempotency_key;
};

/// The gateway voided the authorization (nothing was captured).
struct record_void {
  std::string gateway_ref;
  std::string idempotency_key;
};

/// The gateway refunded `amount_cents` (1 to refundable_cents()).
struct record_refund {
  int64_t amount_cents = 0;
  std::string gateway_ref;
  std::string idempotency_key;
};

/// A read: decides no events and never fails (a payment never opened has
/// `exists == false`).
struct get {};

using command =
  std::variant<open, record_authorization, record_capture, record_void, record_refund, get>;

// -- events -------------------------------------------------------------------
//
// `key` is the idempotency key of the command that produced the event (empty
// when it had none); it is written to the payload only when non-empty.

/// `payment.opened`.
struct opened {
  std::string payment_id;
  std::string order_id;
  std::string checkout_id;
  int64_t amount_cents = 0;
  std::string currency;
  timestamp_us at = 0;
  std::string key;

  friend bool operator==(const opened&, const opened&) = default;
};

/// `payment.authorized`: the whole amount is held.
struct authorized {
  std::string gateway_ref;
  int64_t amount_cents = 0;
  timestamp_us at = 0;
  std::string key;

  friend bool operator==(const authorized&, const authorized&) = default;
};

/// `payment.declined`.
struct declined {
  std::string gateway_ref;
  std::string reason;
  int64_t amount_cents = 0;
  timestamp_us at = 0;
  std::string key;

  friend bool operator==(const declined&, const declined&) = default;
};

/// `payment.captured`.
struct captured {
  std::string gateway_ref;
  int64_t amount_cents = 0;
  timestamp_us at = 0;
  std::string key;

  friend bool operator==(const captured&, const captured&) = default;
};

/// `payment.capture_failed`: `amount_cents` was asked for and not captured.
struct capture_failed {
  std::string gateway_ref;
  std::string reason;
  int64_t amount_cents = 0;
  timestamp_us at = 0;
  std::string key;

  friend bool operator==(const capture_failed&, const capture_failed&) = default;
};

/// `payment.voided`: the authorization of `amount_cents` was released.
struct voided {
  std::string gateway_ref;
  int64_t amount_cents = 0;
  timestamp_us at = 0;
  std::string key;

  friend bool operator==(const voided&, const voided&) = default;
};

/// `payment.refunded`: `amount_cents` went back to the customer.
struct refunded {
  std::string gateway_ref;
  int64_t amount_cents = 0;
  timestamp_us at = 0;
  std::string key;

  friend bool operator==(const refunded&, const refunded&) = default;
};

using event =
  std::variant<opened, authorized, declined, captured, capture_failed, voided, refunded>;

// -- state --------------------------------------------------------------------

/// The statuses of API.md "Payments", plus `pending` before the
/// authorization result is recorded.
enum class payment_status : uint8_t {
  pending,
  authorized,
  captured,
  voided,
  refunded,
  partially_refunded,
  declined,
  failed,
};

/// `"pending"`, `"authorized"`, ..., `"partially_refunded"`, `"declined"`, `"failed"`.
std::string_view to_string(payment_status x) noexcept;

/// The inverse of to_string.
std::optional<payment_status> parse_payment_status(std::string_view text) noexcept;

/// One gateway answer as the payment body lists it. `type` is the event's
/// name without the prefix: "authorized", "declined", "captured",
/// "capture_failed", "voided", "refunded".
struct gateway_event {
  std::string type;
  int64_t amount_cents = 0;
  timestamp_us at = 0;
  std::string gateway_ref;

  friend bool operator==(const gateway_event&, const gateway_event&) = default;
};

/// A payment as the journal says it is. Default-constructed = never opened.
struct state {
  bool exists = false;
  std::string payment_id;
  std::string order_id;
  std::string checkout_id;
  std::string currency;
  /// The amount opened and authorized.
  int64_t amount_cents = 0;
  payment_status status = payment_status::pending;
  int64_t captured_cents = 0;
  /// Sum of the refunds; never above captured_cents.
  int64_t refunded_cents = 0;
  /// The reason of the last decline or failed capture (cleared by a capture).
  std::optional<std::string> failure_reason;
  /// The gateway answers, oldest first.
  std::vector<gateway_event> events;
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

// -- queries ------------------------------------------------------------------

/// True when a capture may be recorded: authorized, or a capture failed.
bool can_capture(const state& st) noexcept;

/// True when a void may be recorded: authorized (or a capture failed) and
/// nothing captured.
bool can_void(const state& st) noexcept;

/// The gateway reference of the approved authorization (what a capture and
/// a void name), or empty.
std::string authorization_ref(const state& st);

/// The gateway reference of the successful capture (what a refund names),
/// or empty.
std::string capture_ref(const state& st);

/// `captured_cents - refunded_cents` once money was captured, else 0.
int64_t refundable_cents(const state& st) noexcept;

/// The problem record_refund{amount_cents} would meet, or nullopt: not_found,
/// invalid_request (amount <= 0), conflict (nothing captured yet, or voided /
/// declined / failed), refund_exceeds_captured (more than refundable_cents(),
/// a fully refunded payment included). Call it before asking the gateway.
std::optional<problem> check_refund(const state& st, int64_t amount_cents);

// -- traits -------------------------------------------------------------------

/// The payment entity for the generic shell (actors/runtime/entity_traits.hpp).
struct payment_traits {
  static constexpr std::string_view type = "payment";
  using state = payment::state;
  using command = payment::command;
  using event = payment::event;

  /// Validates `cmd` against `st`; the events to persist (possibly none) or a
  /// problem (invalid_request, not_found, conflict, refund_exceeds_captured).
  static result<std::vector<event>> decide(const state& st, const command& cmd,
                                           const runtime::context& ctx);
  /// Folds one event into the state. Total: never fails.
  static state apply_event(state st, const event& ev);

  /// `"payment.authorized"`, ...
  static std::string_view event_type(const event& ev);
  static std::string encode_event(const event& ev);
  /// nullopt for an unknown type or a malformed payload; never throws.
  static std::optional<event> decode_event(std::string_view type, std::string_view json);
  static std::string encode_state(const state& st);
  static std::optional<state> decode_state(std::string_view json);
};

} // namespace agora::payment
