// The payment entity's decisions and event fold (pure: no I/O, no clock, no
// gateway).
#include "actors/payment/payment.hpp"

#include <utility>

#include "actors/common/json.hpp"
#include "actors/common/overloaded.hpp"
#include "actors/product/product.hpp"

namespace agora::payment {

static_assert(runtime::entity_traits<payment_traits>);

// -- status -------------------------------------------------------------------

std::string_view to_string(payment_status x) noexcept {
  switch (x) {
    case payment_status::pending: return "pending";
    case payment_status::authorized: return "authorized";
    case payment_status::captured: return "captured";
    case payment_status::voided: return "voided";
    case payment_status::refunded: return "refunded";
    case payment_status::partially_refunded: return "partially_refunded";
    case payment_status::declined: return "declined";
    case payment_status::failed: return "failed";
  }
  return "pending";
}

std::optional<payment_status> parse_payment_status(std::string_view text) noexcept {
  for (auto x : {payment_status::pending, payment_status::authorized, payment_status::captured,
                 payment_status::voided, payment_status::refunded,
                 payment_status::partially_refunded, payment_status::declined,
                 payment_status::failed})
    if (to_string(x) == text)
      return x;
  return std::nullopt;
}

bool state::applied(const std::string& key) const noexcept {
  return !key.empty() && applied_keys.contains(key);
}

std::string gateway_key(std::string_view payment_id, std::string_view operation,
                        int attempt_group) {
  std::string key;
  key.reserve(payment_id.size() + operation.size() + 14);
  key.append(payment_id).push_back('/');
  key.append(operation).push_back('/');
  key += std::to_string(attempt_group);
  return key;
}

// -- queries ------------------------------------------------------------------

bool can_capture(const state& st) noexcept {
  return st.exists &&
         (st.status == payment_status::authorized || st.status == payment_status::failed);
}

bool can_void(const state& st) noexcept {
  return can_capture(st) && st.captured_cents == 0;
}

namespace {

/// The gateway reference of the newest gateway answer of `type`, or empty.
std::string last_ref(const state& st, std::string_view type) {
  for (auto i = st.events.rbegin(); i != st.events.rend(); ++i)
    if (i->type == type)
      return i->gateway_ref;
  return {};
}

} // namespace

std::string authorization_ref(const state& st) {
  return last_ref(st, "authorized");
}

std::string capture_ref(const state& st) {
  return last_ref(st, "captured");
}

int64_t refundable_cents(const state& st) noexcept {
  switch (st.status) {
    case payment_status::captured:
    case payment_status::partially_refunded:
    case payment_status::refunded: return st.captured_cents - st.refunded_cents;
    default: return 0;
  }
}

namespace {

using events = std::vector<event>;

problem unknown_payment(std::string_view id) {
  json::object details;
  details["payment_id"] = id;
  return make_problem(errc::not_found, "payment " + std::string(id) + " not found",
                      json::serialize(details));
}

/// The conflict of an operation the status does not allow.
problem not_now(const state& st, std::string_view id, std::string_view operation) {
  json::object details;
  details["payment_id"] = id;
  details["status"] = to_string(st.status);
  details["operation"] = operation;
  return make_problem(errc::conflict,
                      "payment " + std::string(id) + " is " + std::string(to_string(st.status)) +
                        " and cannot " + std::string(operation),
                      json::serialize(details));
}

std::optional<problem> check_ref(const std::string& ref) {
  if (ref.size() > max_gateway_ref_length)
    return invalid_field("gateway_ref", "gateway_ref must be at most 200 bytes");
  return std::nullopt;
}

/// A gateway's reason, cut to max_reason_length bytes at a character start.
std::string clip_reason(const std::string& reason) {
  if (reason.size() <= max_reason_length)
    return reason;
  size_t end = max_reason_length;
  while (end > 0 && (static_cast<unsigned char>(reason[end]) & 0xC0) == 0x80)
    --end; // do not split a multi-byte character
  return reason.substr(0, end);
}

/// The gate every recording command passes after its own fields: the key's
/// length, not_found, and a repeated key. Returns the early answer (the
/// rejection, or no events for a repeat), nullopt when the command goes on.
std::optional<result<events>> gate(const state& st, const std::string& key,
                                   const runtime::context& ctx) {
  if (auto p = check_idempotency_key(key))
    return result<events>{std::move(*p)};
  if (!st.exists)
    return result<events>{unknown_payment(ctx.entity_id)};
  if (st.applied(key))
    return result<events>{events{}};
  return std::nullopt;
}

result<events> decide_open(const state& st, const open& cmd, const runtime::context& ctx) {
  if (auto p = check_idempotency_key(cmd.idempotency_key))
    return std::move(*p);
  if (cmd.payment_id.empty() || cmd.payment_id != ctx.entity_id)
    return invalid_field("payment_id", "payment_id must be the payment's id");
  if (cmd.order_id.empty())
    return invalid_field("order_id", "order_id must not be empty");
  if (cmd.checkout_id.empty())
    return invalid_field("checkout_id", "checkout_id must not be empty");
  if (cmd.amount_cents < 1)
    return invalid_field("amount_cents", "amount_cents must be a positive integer");
  if (!product::valid_currency(cmd.currency))
    return invalid_field("currency", "currency must be three upper-case letters (ISO 4217)");
  if (st.exists) {
    if (st.applied(cmd.idempotency_key))
      return events{};
    return not_now(st, ctx.entity_id, op_open);
  }
  return events{opened{cmd.payment_id, cmd.order_id, cmd.checkout_id, cmd.amount_cents,
                       cmd.currency, ctx.now, cmd.idempotency_key}};
}

result<events> decide_authorization(const state& st, const record_authorization& cmd,
                                    const runtime::context& ctx) {
  if (cmd.opening && !st.exists) {
    auto evs = decide_open(st, *cmd.opening, ctx);
    if (!evs)
      return evs;
    auto opened = st;
    for (const auto& e : *evs)
      opened = payment_traits::apply_event(std::move(opened), e);
    auto answer = decide_authorization(opened, cmd, ctx);
    if (!answer)
      return answer;
    evs->insert(evs->end(), answer->begin(), answer->end());
    return evs;
  }
  if (auto p = check_ref(cmd.gateway_ref))
    return std::move(*p);
  if (auto early = gate(st, cmd.idempotency_key, ctx))
    return std::move(*early);
  if (st.status != payment_status::pending)
    return not_now(st, ctx.entity_id, op_authorize);
  if (cmd.approved)
    return events{authorized{cmd.gateway_ref, st.amount_cents, ctx.now, cmd.idempotency_key}};
  return events{declined{cmd.gateway_ref, clip_reason(cmd.reason), st.amount_cents, ctx.now,
                         cmd.idempotency_key}};
}

result<events> decide_capture(const state& st, const record_capture& cmd,
                              const runtime::context& ctx) {
  if (auto p = check_ref(cmd.gateway_ref))
    return std::move(*p);
  if (cmd.amount_cents < 1)
    return invalid_field("amount_cents", "amount_cents must be a positive integer");
  if (auto early = gate(st, cmd.idempotency_key, ctx))
    return std::move(*early);
  if (!can_capture(st))
    return not_now(st, ctx.entity_id, op_capture);
  if (cmd.amount_cents > st.amount_cents)
    return invalid_field("amount_cents", "amount_cents must not exceed the authorized " +
                                           std::to_string(st.amount_cents));
  if (cmd.succeeded)
    return events{captured{cmd.gateway_ref, cmd.amount_cents, ctx.now, cmd.idempotency_key}};
  return events{capture_failed{cmd.gateway_ref, clip_reason(cmd.reason), cmd.amount_cents,
                               ctx.now, cmd.idempotency_key}};
}

result<events> decide_void(const state& st, const record_void& cmd,
                           const runtime::context& ctx) {
  if (auto p = check_ref(cmd.gateway_ref))
    return std::move(*p);
  if (auto early = gate(st, cmd.idempotency_key, ctx))
    return std::move(*early);
  if (!can_void(st))
    return not_now(st, ctx.entity_id, op_void);
  return events{voided{cmd.gateway_ref, st.amount_cents, ctx.now, cmd.idempotency_key}};
}

result<events> decide_refund(const state& st, const record_refund& cmd,
                             const runtime::context& ctx) {
  if (auto p = check_ref(cmd.gateway_ref))
    return std::move(*p);
  if (auto early = gate(st, cmd.idempotency_key, ctx))
    return std::move(*early);
  if (auto p = check_refund(st, cmd.amount_cents))
    return std::move(*p);
  return events{refunded{cmd.gateway_ref, cmd.amount_cents, ctx.now, cmd.idempotency_key}};
}

/// Records an applied key (the oldest are forgotten beyond max_applied_keys).
void remember(state& st, const std::string& key) {
  if (!key.empty())
    st.applied_keys.insert(key);
}

/// The bookkeeping of a gateway answer: the events list, the time, the key.
template <class Ev>
void record(state& st, std::string type, const Ev& e) {
  st.events.push_back(gateway_event{std::move(type), e.amount_cents, e.at, e.gateway_ref});
  st.updated_at = e.at;
  remember(st, e.key);
}

} // namespace

std::optional<problem> check_refund(const state& st, int64_t amount_cents) {
  if (!st.exists)
    return unknown_payment(st.payment_id);
  if (amount_cents < 1)
    return invalid_field("amount_cents", "amount_cents must be a positive integer");
  switch (st.status) {
    case payment_status::captured:
    case payment_status::partially_refunded:
    case payment_status::refunded: break;
    default: return not_now(st, st.payment_id, op_refund);
  }
  auto refundable = refundable_cents(st);
  if (amount_cents > refundable) {
    json::object details;
    details["payment_id"] = st.payment_id;
    details["requested"] = amount_cents;
    details["refundable"] = refundable;
    return make_problem(errc::refund_exceeds_captured,
                        "payment " + st.payment_id + ": refund of " +
                          std::to_string(amount_cents) + " exceeds the refundable " +
                          std::to_string(refundable),
                        json::serialize(details));
  }
  return std::nullopt;
}

// -- traits -------------------------------------------------------------------

result<std::vector<event>> payment_traits::decide(const state& st, const command& cmd,
                                                  const runtime::context& ctx) {
  return std::visit(overloaded{
                      [&](const open& c) { return decide_open(st, c, ctx); },
                      [&](const record_authorization& c) {
                        return decide_authorization(st, c, ctx);
                      },
                      [&](const record_capture& c) { return decide_capture(st, c, ctx); },
                      [&](const record_void& c) { return decide_void(st, c, ctx); },
                      [&](const record_refund& c) { return decide_refund(st, c, ctx); },
                      [&](const get&) { return result<events>{events{}}; },
                    },
                    cmd);
}

state payment_traits::apply_event(state st, const event& ev) {
  std::visit(overloaded{
               [&](const opened& e) {
                 st.exists = true;
                 st.payment_id = e.payment_id;
                 st.order_id = e.order_id;
                 st.checkout_id = e.checkout_id;
                 st.amount_cents = e.amount_cents;
                 st.currency = e.currency;
                 st.status = payment_status::pending;
                 st.created_at = e.at;
                 st.updated_at = e.at;
                 remember(st, e.key);
               },
               [&](const authorized& e) {
                 st.status = payment_status::authorized;
                 record(st, "authorized", e);
               },
               [&](const declined& e) {
                 st.status = payment_status::declined;
                 st.failure_reason = e.reason;
                 record(st, "declined", e);
               },
               [&](const captured& e) {
                 st.status = payment_status::captured;
                 st.captured_cents = e.amount_cents;
                 st.failure_reason.reset();
                 record(st, "captured", e);
               },
               [&](const capture_failed& e) {
                 st.status = payment_status::failed;
                 st.failure_reason = e.reason;
                 record(st, "capture_failed", e);
               },
               [&](const voided& e) {
                 st.status = payment_status::voided;
                 record(st, "voided", e);
               },
               [&](const refunded& e) {
                 st.refunded_cents += e.amount_cents;
                 st.status = st.refunded_cents >= st.captured_cents
                               ? payment_status::refunded
                               : payment_status::partially_refunded;
                 record(st, "refunded", e);
               },
             },
             ev);
  ++st.version;
  return st;
}

} // namespace agora::payment
