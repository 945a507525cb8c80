// The payment gateway protocol: what Agora sends to a card processor and what
// it answers. The checkout saga and the payment entity talk to a
// `gateway_actor`; today that is the simulator (simulated_gateway.hpp), and a
// real provider can implement the same interface later.
//
//   authorize --approved--> capture --approved--> refund (partial or full)
//       |
//       +--approved--> void_authorization (only while uncaptured)
//
// Every request carries an idempotency key derived from the logical
// operation (payment id + operation + attempt group). A gateway answers a
// repeated key with the result of the first request carrying it and acts only
// once, so a retry after a timeout can never charge twice.
//
// Light on purpose (no caf/all.hpp): the saga and the HTTP layer include it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/type_ids.hpp"

namespace agora::payment {

// -- vocabulary ---------------------------------------------------------------

/// How a gateway operation ended.
///
/// - approved: done; `gateway_ref` names what was created.
/// - declined: a final "no" from the issuer (card declined, amount over the
///   limit, unknown card); retrying cannot help.
/// - failed: the operation did not happen (technical failure, or a request
///   the gateway refuses such as capturing more than was authorized); a new
///   attempt (with a new idempotency key) may succeed.
enum class outcome : uint8_t {
  approved = 1,
  declined,
  failed,
};

/// The operations a gateway performs, as recorded in its ledger.
enum class operation : uint8_t {
  authorize = 1,
  capture,
  void_authorization,
  refund,
};

/// "approved", "declined" or "failed".
inline std::string to_string(outcome x) {
  switch (x) {
    case outcome::approved:
      return "approved";
    case outcome::declined:
      return "declined";
    case outcome::failed:
      return "failed";
  }
  return "unknown";
}

/// "authorize", "capture", "void_authorization" or "refund".
inline std::string to_string(operation x) {
  switch (x) {
    case operation::authorize:
      return "authorize";
    case operation::capture:
      return "capture";
    case operation::void_authorization:
      return "void_authorization";
    case operation::refund:
      return "refund";
  }
  return "unknown";
}

// -- requests -----------------------------------------------------------------

/// Reserves `amount_cents` on the card behind `token` for `payment_id`.
/// An approved answer's gateway_ref is the authorization reference that
/// capture and void_authorization name.
struct authorize {
  std::string idempotency_key;
  std::string payment_id;
  int64_t amount_cents = 0;
  /// ISO 4217 code, e.g. "USD".
  std::string currency;
  /// The card token from the client (API.md: tok_ok, tok_declined, ...).
  std::string token;

  friend bool operator==(const authorize&, const authorize&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, authorize& x) {
  return f(caf::meta::type_name("authorize"), x.idempotency_key, x.payment_id,
           x.amount_cents, x.currency, x.token);
}

/// Takes at most the authorized amount of an approved, uncaptured and
/// unvoided authorization of the same payment. An approved answer's
/// gateway_ref is the capture reference that refund names.
struct capture {
  std::string idempotency_key;
  std::string payment_id;
  std::string authorization_ref;
  int64_t amount_cents = 0;

  friend bool operator==(const capture&, const capture&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, capture& x) {
  return f(caf::meta::type_name("capture"), x.idempotency_key, x.payment_id,
           x.authorization_ref, x.amount_cents);
}

/// Releases an approved authorization that was not captured.
struct void_authorization {
  std::string idempotency_key;
  std::string payment_id;
  std::string authorization_ref;

  friend bool operator==(const void_authorization&, const void_authorization&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, void_authorization& x) {
  return f(caf::meta::type_name("void_authorization"), x.idempotency_key, x.payment_id,
           x.authorization_ref);
}

/// Returns money of an approved capture of the same payment: at most what
/// was captured minus what was already refunded from it.
struct refund {
  std::string idempotency_key;
  std::string payment_id;
  std::string capture_ref;
  int64_t amount_cents = 0;

  friend bool operator==(const refund&, const refund&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, refund& x) {
  return f(caf::meta::type_name("refund"), x.idempotency_key, x.payment_id, x.capture_ref,
           x.amount_cents);
}

// -- reply --------------------------------------------------------------------

/// The answer to authorize, capture, void_authorization and refund. A
/// gateway never answers these with an error message; a caller sees a
/// caf::error only when the request itself failed (timeout, gateway down).
struct gateway_result {
  payment::outcome outcome = payment::outcome::failed;
  /// The gateway's reference of this operation ("auth_…", "cap_…",
  /// "void_…", "rfnd_…"), also for declines and failures; empty only when
  /// the request was refused unread (missing idempotency key).
  std::string gateway_ref;
  /// Why it was declined or failed; empty when approved.
  std::string reason;

  bool approved() const noexcept {
    return outcome == payment::outcome::approved;
  }

  friend bool operator==(const gateway_result&, const gateway_result&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gateway_result& x) {
  return f(caf::meta::type_name("gateway_result"), x.outcome, x.gateway_ref, x.reason);
}

// -- ledger (what the gateway did, for tests and reconciliation) -------------

/// One operation the gateway decided, in the order it decided them. A
/// repeated idempotency key adds no entry.
struct ledger_entry {
  std::string idempotency_key;
  payment::operation operation = payment::operation::authorize;
  std::string payment_id;
  /// The request's amount; for a void, the amount of the voided
  /// authorization (0 when it was not found).
  int64_t amount_cents = 0;
  payment::outcome outcome = payment::outcome::failed;
  std::string gateway_ref;
  std::string reason;

  friend bool operator==(const ledger_entry&, const ledger_entry&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ledger_entry& x) {
  return f(caf::meta::type_name("ledger_entry"), x.idempotency_key, x.operation,
           x.payment_id, x.amount_cents, x.outcome, x.gateway_ref, x.reason);
}

/// Money moved for one payment, counting approved operations only. The
/// ledger holds one per payment id it has entries for.
struct payment_totals {
  std::string payment_id;
  /// Sum of approved authorizations.
  int64_t authorized_cents = 0;
  /// Sum of approved captures: what the customer was charged.
  int64_t captured_cents = 0;
  /// Sum of the amounts of voided authorizations.
  int64_t voided_cents = 0;
  /// Sum of approved refunds.
  int64_t refunded_cents = 0;

  friend bool operator==(const payment_totals&, const payment_totals&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, payment_totals& x) {
  return f(caf::meta::type_name("payment_totals"), x.payment_id, x.authorized_cents,
           x.captured_cents, x.voided_cents, x.refunded_cents);
}

/// Asks for the ledger of one payment, or of all payments when
/// `payment_id` is empty. Answered at once (no simulated latency).
struct get_ledger {
  std::string payment_id;

  friend bool operator==(const get_ledger&, const get_ledger&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, get_ledger& x) {
  return f(caf::meta::type_name("get_ledger"), x.payment_id);
}

/// The answer to get_ledger: entries in decision order, totals by payment id.
struct ledger {
  std::vector<ledger_entry> entries;
  std::vector<payment_totals> totals;

  /// The totals of `payment_id` (all zero when the gateway never approved
  /// anything for it).
  payment_totals totals_of(std::string_view payment_id) const {
    for (const auto& t : totals)
      if (t.payment_id == payment_id)
        return t;
    payment_totals none;
    none.payment_id = std::string{payment_id};
    return none;
  }

  friend bool operator==(const ledger&, const ledger&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ledger& x) {
  return f(caf::meta::type_name("ledger"), x.entries, x.totals);
}

// -- interface ----------------------------------------------------------------

/// A payment gateway. Each operation answers with a gateway_result; a
/// repeated idempotency key answers the first result again and changes
/// nothing, also while the first request is still being processed.
using gateway_actor = caf::typed_actor<caf::replies_to<authorize>::with<gateway_result>,
                                       caf::replies_to<capture>::with<gateway_result>,
                                       caf::replies_to<void_authorization>::with<gateway_result>,
                                       caf::replies_to<refund>::with<gateway_result>,
                                       caf::replies_to<get_ledger>::with<ledger>>;

} // namespace agora::payment
