// Idempotency keys of mutating requests (API.md "Conventions"), kept in
// PostgreSQL so they survive restarts and are shared by every node. A
// detached broker actor with its own connection claims a key atomically,
// records the response once it is known, and forgets keys after 48 hours.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/problem.hpp"
#include "actors/type_ids.hpp"

namespace agora::persistence {

/// Asks for (scope, key): the caller may run the request only when the
/// answer is `fresh`.
struct idempotency_claim {
  std::string scope;
  std::string key;
  /// A digest of the request body: the same key with another body is refused.
  std::string request_hash;
};

enum class claim_kind : uint8_t {
  /// First use: run the request, then complete the key.
  fresh,
  /// Done before with the same body: `status` and `response` are the answer.
  replay,
  /// Used before with another body.
  mismatch,
  /// A request with this key is still running.
  in_progress,
};

struct idempotency_record {
  claim_kind kind = claim_kind::fresh;
  int32_t status = 0;
  /// What complete() stored: a JSON object text.
  std::string response;
};

/// Records the answer of a claimed key; `status` 0 releases the claim
/// instead (the request failed in a way that must not be replayed).
struct idempotency_completion {
  std::string scope;
  std::string key;
  int32_t status = 0;
  std::string response;
  /// The claim's request hash, written with the answer if the key's row is
  /// gone (purged while the request ran).
  std::string request_hash;
};

/// Where an answer goes: called once, on the store's thread, after the
/// batch commits. It must not block. Both fail with errc::unavailable when
/// PostgreSQL cannot be reached.
using claim_fn = std::function<void(result<idempotency_record>)>;
using completion_fn = std::function<void(result<bool>)>;

/// A claim or a completion with its callback: node-local messages (they
/// carry a callback), so a caller that is not an actor (an HTTP handler)
/// spawns none for the answer.
struct claim_request {
  idempotency_claim claim;
  claim_fn done;
};
struct completion_request {
  idempotency_completion completion;
  completion_fn done;
};

using idempotency_store_actor =
  caf::typed_actor<caf::reacts_to<claim_request>, caf::reacts_to<completion_request>>;

/// Sends a claim or a completion whose answer goes to `done`.
void claim(const idempotency_store_actor& store, idempotency_claim c, claim_fn done);
void complete(const idempotency_store_actor& store, idempotency_completion c,
              completion_fn done);

/// A claim still in progress after this long is considered abandoned (its
/// node died) and may be taken over.
inline constexpr int abandoned_claim_seconds = 60;

/// The store's statements run at most `write_timeout_ms` (its connection's
/// statement_timeout, like the journal writers'), so every request gets an
/// answer and callers need no timeout of their own.
idempotency_store_actor spawn_idempotency_store(caf::actor_system& sys, std::string conninfo,
                                                int64_t write_timeout_ms = 30000);

} // namespace agora::persistence

namespace caf {

template <>
struct allowed_unsafe_message_type<agora::persistence::claim_request> : std::true_type {};
template <>
struct allowed_unsafe_message_type<agora::persistence::completion_request> : std::true_type {};

} // namespace caf
