// The checkout saga as an event-sourced entity (key = checkout id): the
// durable log of a checkout's progress, and the pure decisions over it.
//
// The entity never acts. A runner (checkout_runner.hpp) asks next_action()
// what to do, does it (a command to an entity, a gateway call) and records
// what came back with `record`. decide() turns that reply into events: the
// step is done, will be retried, or was given up, and what follows from it
// (compensation starts, the saga completes, is compensated or gets stuck).
// Because both decisions are pure, replay() re-runs them with today's code
// against a recorded history and finds the first place they would differ.
//
//   forward:  price_cart → reserve_inventory → authorize_payment →
//             place_order → capture_payment (pivot) → commit_inventory →
//             close_cart → completed
//   a step given up before the pivot: compensate it and every earlier step
//             in reverse (reopen cart, release stock, void/refund, cancel
//             order) → compensated
//   a step given up after the pivot (money was taken): stuck
//   a compensation given up: stuck; an operator resumes (retries it) or
//             closes the saga by hand (failed)
//   refused at the start (start::refused, its admission refused): one
//             `checkout.refused` event (a `started` with the refusal), which
//             ends it compensated; no step run
//
// A checkout POST with an Idempotency-Key gets an id derived from the key
// (net/api/carts.cpp), so this record is also the key's memory: `started`
// holds the request's body digest and whether it waited, and an answer given
// before any checkout began (a 4xx) is recorded as `rejected`. A repeat of
// the key finds the record (a fresh id's first write conflicts, and the shell
// decides again on the recovered state) instead of a separate key store.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "actors/common/problem.hpp"
#include "actors/common/time.hpp"
#include "actors/order/order.hpp"
#include "actors/runtime/entity_traits.hpp"

namespace agora::checkout {

// -- steps --------------------------------------------------------------------

enum class step_name : uint8_t {
  price_cart,
  reserve_inventory,
  authorize_payment,
  place_order,
  capture_payment,
  commit_inventory,
  close_cart,
};

inline constexpr size_t step_count = 7;

/// The last step that can be compensated; a step after it that fails leaves
/// the saga stuck instead (money has been captured).
inline constexpr step_name pivot = step_name::capture_payment;

/// "price_cart", ... (API.md "Checkout").
std::string_view to_string(step_name x) noexcept;
std::optional<step_name> parse_step_name(std::string_view text) noexcept;

/// True for the steps whose effects compensation undoes: price_cart (reopen
/// the cart), reserve_inventory (release), authorize_payment (void, or
/// refund what a timed-out capture took), place_order (cancel).
bool has_compensation(step_name x) noexcept;

enum class step_status : uint8_t { pending, running, done, failed, compensated };
std::string_view to_string(step_status x) noexcept;

enum class saga_status : uint8_t { running, completed, compensated, stuck, failed };
std::string_view to_string(saga_status x) noexcept;
std::optional<saga_status> parse_saga_status(std::string_view text) noexcept;

/// Forward steps run in order; compensations run in reverse.
enum class phase : uint8_t { forward, compensating };
std::string_view to_string(phase x) noexcept;

// -- values -------------------------------------------------------------------

/// The step's idempotency key: `"<checkout_id>/<step>"`.
std::string step_key(std::string_view checkout_id, step_name step);

/// What price_cart fixed: the lines at their prices and the totals.
struct priced {
  std::optional<std::string> customer_id;
  std::vector<order::item> items;
  int64_t subtotal_cents = 0;
  int64_t shipping_cents = 0;
  int64_t total_cents = 0;
  std::string currency;

  friend bool operator==(const priced&, const priced&) = default;
};

/// The outcome of one attempt of a step or compensation, as the runner saw
/// it. `retryable`: trying again may help (a timeout, a dependency down, a
/// gateway failure). `definite`: the operation surely did not happen (a
/// rejection or a gateway "failed"); a timeout is not definite.
struct reply {
  step_name step = step_name::price_cart;
  checkout::phase phase = checkout::phase::forward;
  /// 1, 2, ... within the step and phase.
  int attempt = 1;
  bool ok = false;
  std::optional<problem> error;
  bool retryable = false;
  bool definite = true;
  /// price_cart's result (forward, ok).
  std::optional<checkout::priced> priced;
  timestamp_us started_at = 0;

  friend bool operator==(const reply&, const reply&) = default;
};

// -- commands -----------------------------------------------------------------

/// Begins the saga (POST /carts/{id}/checkout). Ids are chosen by the caller;
/// `shipping_address` is canonical JSON object text.
struct start {
  std::string cart_id;
  std::string order_id;
  std::string payment_id;
  std::optional<std::string> customer_id;
  std::string shipping_address;
  std::string payment_token;
  /// Set when the caller's admission found a line short before the saga
  /// began (inventory::admit_all: out_of_stock). The checkout is recorded as
  /// refused in one event, `started` with the refusal (journaled as
  /// `checkout.refused`), which ends it compensated: no step ran,
  /// reserve_inventory failed once, and nothing was locked or held, so
  /// nothing is compensated. A flash sale's refusals cost one journal row
  /// instead of a saga's round trips. (Before, a refusal was journaled as
  /// `checkout.started` and `checkout.compensated`; both forms read back
  /// alike, and replay() takes the older one as the newer.)
  std::optional<problem> refused;
  /// SHA-256 (hex) of the request body when the POST carried an
  /// Idempotency-Key, else empty. With a digest, a start on a checkout that
  /// exists (or was rejected) decides nothing: the caller answers the repeat.
  std::string request_hash;
  /// The POST waited (?wait=true): a repeat answers as the first did.
  bool waits = false;
};

/// Records the answer (a 4xx) given to a keyed checkout POST before any
/// checkout began, so a repeat of the key gets it again. Decides nothing on
/// a checkout that exists or was rejected already.
struct reject {
  std::string request_hash;
  int32_t status = 0;
  /// The response as the HTTP layer encodes it (opaque here).
  std::string response;
};

/// The runner's report of one attempt. Stale reports (not the step and
/// attempt next_action() asks for) are refused with `conflict`.
struct record {
  checkout::reply reply;
  /// Attempts per step and phase before giving up (the runner's policy).
  int max_attempts = 3;
};

/// An operator retries a stuck saga from where it stopped.
struct resume {
  std::string by;
};

/// An operator closes a stuck saga by hand: it ends `failed`.
struct close {
  std::string by;
  std::string reason;
};

struct get {};

using command = std::variant<start, record, resume, close, get, reject>;

// -- events -------------------------------------------------------------------

/// `checkout.started`, or `checkout.refused` when `refused` is set.
struct started {
  std::string checkout_id;
  std::string cart_id;
  std::string order_id;
  std::string payment_id;
  std::optional<std::string> customer_id;
  std::string shipping_address;
  std::string payment_token;
  timestamp_us at = 0;
  /// start::refused: the checkout ended before its first step.
  std::optional<problem> refused;
  std::string request_hash;
  bool waits = false;

  friend bool operator==(const started&, const started&) = default;
};

/// `checkout.request_rejected`: reject's answer. No checkout exists.
struct rejected {
  std::string request_hash;
  int32_t status = 0;
  std::string response;
  timestamp_us at = 0;

  friend bool operator==(const rejected&, const rejected&) = default;
};

/// What decide() made of a reply.
enum class verdict : uint8_t { done, retry, give_up };
std::string_view to_string(verdict x) noexcept;

/// `checkout.step_attempted`: one reply and its verdict.
struct step_attempted {
  checkout::reply reply;
  checkout::verdict verdict = checkout::verdict::done;
  timestamp_us at = 0;

  friend bool operator==(const step_attempted&, const step_attempted&) = default;
};

/// `checkout.completed`.
struct completed {
  timestamp_us at = 0;
  friend bool operator==(const completed&, const completed&) = default;
};

/// `checkout.compensated`: every compensation ran; `reason` is the error
/// code of the step that failed.
struct compensated {
  std::string reason;
  timestamp_us at = 0;
  friend bool operator==(const compensated&, const compensated&) = default;
};

/// `checkout.stuck`: waits for an operator.
struct stuck {
  std::string reason;
  timestamp_us at = 0;
  friend bool operator==(const stuck&, const stuck&) = default;
};

/// `checkout.resumed`: the stuck step gets a fresh set of attempts.
struct resumed {
  std::string by;
  timestamp_us at = 0;
  friend bool operator==(const resumed&, const resumed&) = default;
};

/// `checkout.closed`: an operator settled it by hand (status failed).
struct closed {
  std::string by;
  std::string reason;
  timestamp_us at = 0;
  friend bool operator==(const closed&, const closed&) = default;
};

using event =
  std::variant<started, step_attempted, completed, compensated, stuck, resumed, closed, rejected>;

// -- state --------------------------------------------------------------------

struct step_state {
  step_status status = step_status::pending;
  /// Forward attempts, and compensation attempts.
  int attempts = 0;
  int compensation_attempts = 0;
  /// Gateway answers "failed" among the attempts (payment steps): the next
  /// gateway call uses attempt group definite_failures + 1.
  int definite_failures = 0;
  /// True while the last attempt's outcome is unknown (a timeout).
  bool uncertain = false;
  timestamp_us started_at = 0;
  timestamp_us finished_at = 0;
  std::optional<problem> error;

  friend bool operator==(const step_state&, const step_state&) = default;
};

struct state {
  bool exists = false;
  std::string checkout_id;
  std::string cart_id;
  std::string order_id;
  std::string payment_id;
  std::optional<std::string> customer_id;
  std::string shipping_address;
  std::string payment_token;
  /// The Idempotency-Key's body digest (started or rejected), and whether
  /// the first POST waited.
  std::string request_hash;
  bool waits = false;
  /// A rejected key (exists stays false): the recorded status and response.
  int32_t rejected_status = 0;
  std::string rejected_response;
  saga_status status = saga_status::running;
  checkout::phase phase = checkout::phase::forward;
  /// The step running (forward) or being compensated.
  step_name current = step_name::price_cart;
  /// Attempts of the current step/compensation since the last resume.
  int attempts_since_resume = 0;
  /// The error code that ended the forward path (e.g. "out_of_stock"), and
  /// the step's problem with that code (what ?wait=true answers).
  std::optional<std::string> reason;
  std::optional<problem> failure;
  /// Why the saga waits for an operator (while stuck).
  std::optional<std::string> stuck_reason;
  /// What the operator said when closing it by hand.
  std::optional<std::string> closed_reason;
  std::optional<checkout::priced> priced;
  std::array<step_state, step_count> steps{};
  timestamp_us started_at = 0;
  std::optional<timestamp_us> finished_at;
  timestamp_us updated_at = 0;
  int64_t version = 0;

  const step_state& at(step_name s) const { return steps[static_cast<size_t>(s)]; }
  step_state& at(step_name s) { return steps[static_cast<size_t>(s)]; }
  /// Completed, compensated or failed: nothing more will happen.
  bool terminal() const noexcept {
    return status == saga_status::completed || status == saga_status::compensated ||
           status == saga_status::failed;
  }

  friend bool operator==(const state&, const state&) = default;
};

// -- decisions ----------------------------------------------------------------

/// What the runner should do next.
struct action {
  enum class kind : uint8_t { run, wait_operator, finished } what = kind::finished;
  step_name step = step_name::price_cart;
  checkout::phase phase = checkout::phase::forward;
  /// The attempt the reply must carry.
  int attempt = 1;

  friend bool operator==(const action&, const action&) = default;
};

/// The next action of a saga (pure).
action next_action(const state& st);

/// `"run reserve_inventory attempt 2"`, `"compensate place_order attempt 1"`,
/// `"wait for an operator at commit_inventory (forward)"`, `"nothing (finished)"`.
std::string describe(const action& a);

/// A divergence found by replay, or none.
struct replay_report {
  /// Events compared.
  int64_t events = 0;
  /// Empty when the recorded history is what today's code decides.
  std::string divergence;
  /// Index of the first recorded event that differs (-1 when none).
  int64_t at_event = -1;
};

/// Re-executes the saga's decisions with today's code against a recorded
/// history (the events in order): the start recorded in checkout.started
/// and every recorded reply (which must be the answer to what next_action()
/// asks for) must make decide() produce exactly the recorded events.
/// `max_attempts` is the policy of the recording.
replay_report replay(const std::vector<event>& history, int max_attempts = 3);

// -- traits -------------------------------------------------------------------

struct checkout_traits {
  static constexpr std::string_view type = "checkout";
  using state = checkout::state;
  using command = checkout::command;
  using event = checkout::event;

  static result<std::vector<event>> decide(const state& st, const command& cmd,
                                           const runtime::context& ctx);
  static state apply_event(state st, const event& ev);

  static std::string_view event_type(const event& ev);
  static std::string encode_event(const event& ev);
  static std::optional<event> decode_event(std::string_view type, std::string_view json);
  static std::string encode_state(const state& st);
  static std::optional<state> decode_state(std::string_view json);
};

} // namespace agora::checkout
