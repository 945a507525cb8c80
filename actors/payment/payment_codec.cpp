// The payment entity's journal payloads and snapshot format (JSON).
//
//   payment.opened:         {"payment_id","order_id","checkout_id","amount_cents",
//                            "currency","at"}
//   payment.authorized / payment.captured / payment.voided / payment.refunded:
//                           {"gateway_ref","amount_cents","at"}
//   payment.declined / payment.capture_failed:
//                           {"gateway_ref","reason","amount_cents","at"}
//
// Every payload also has "key" (the command's idempotency key) when it had one.
// Times are µs since the epoch; money is integer minor units.
#include "actors/payment/payment.hpp"

#include <utility>

#include "actors/common/json.hpp"
#include "actors/common/overloaded.hpp"

namespace agora::payment {

namespace {

/// authorized, captured, voided, refunded: {"gateway_ref","amount_cents","at"}.
template <class Ev>
json::object encode_answer(const Ev& e) {
  json::object o;
  o["gateway_ref"] = e.gateway_ref;
  o["amount_cents"] = e.amount_cents;
  o["at"] = e.at;
  write_idempotency_key(o, e.key);
  return o;
}

template <class Ev>
std::optional<event> decode_answer(const json::object& o) {
  Ev e;
  auto ref = get_string(o, "gateway_ref");
  auto amount = get_int(o, "amount_cents");
  auto at = get_int(o, "at");
  if (!ref || !amount || !at || !read_idempotency_key(o, e.key))
    return std::nullopt;
  e.gateway_ref = std::move(*ref);
  e.amount_cents = *amount;
  e.at = *at;
  return event{std::move(e)};
}

/// declined, capture_failed: an answer with a "reason".
template <class Ev>
json::object encode_failure(const Ev& e) {
  json::object o;
  o["gateway_ref"] = e.gateway_ref;
  o["reason"] = e.reason;
  o["amount_cents"] = e.amount_cents;
  o["at"] = e.at;
  write_idempotency_key(o, e.key);
  return o;
}

template <class Ev>
std::optional<event> decode_failure(const json::object& o) {
  Ev e;
  auto ref = get_string(o, "gateway_ref");
  auto reason = get_string(o, "reason");
  auto amount = get_int(o, "amount_cents");
  auto at = get_int(o, "at");
  if (!ref || !reason || !amount || !at || !read_idempotency_key(o, e.key))
    return std::nullopt;
  e.gateway_ref = std::move(*ref);
  e.reason = std::move(*reason);
  e.amount_cents = *amount;
  e.at = *at;
  return event{std::move(e)};
}

std::optional<event> decode_opened(const json::object& o) {
  opened e;
  auto payment_id = get_string(o, "payment_id");
  auto order_id = get_string(o, "order_id");
  auto checkout_id = get_string(o, "checkout_id");
  auto amount = get_int(o, "amount_cents");
  auto currency = get_string(o, "currency");
  auto at = get_int(o, "at");
  if (!payment_id || !order_id || !checkout_id || !amount || !currency || !at ||
      !read_idempotency_key(o, e.key))
    return std::nullopt;
  e.payment_id = std::move(*payment_id);
  e.order_id = std::move(*order_id);
  e.checkout_id = std::move(*checkout_id);
  e.amount_cents = *amount;
  e.currency = std::move(*currency);
  e.at = *at;
  return event{std::move(e)};
}

} // namespace

std::string_view payment_traits::event_type(const event& ev) {
  return std::visit(
    overloaded{
      [](const opened&) { return std::string_view{"payment.opened"}; },
      [](const authorized&) { return std::string_view{"payment.authorized"}; },
      [](const declined&) { return std::string_view{"payment.declined"}; },
      [](const captured&) { return std::string_view{"payment.captured"}; },
      [](const capture_failed&) { return std::string_view{"payment.capture_failed"}; },
      [](const voided&) { return std::string_view{"payment.voided"}; },
      [](const refunded&) { return std::string_view{"payment.refunded"}; },
    },
    ev);
}

std::string payment_traits::encode_event(const event& ev) {
  auto obj = std::visit(overloaded{
                          [](const opened& e) {
                            json::object o;
                            o["payment_id"] = e.payment_id;
                            o["order_id"] = e.order_id;
                            o["checkout_id"] = e.checkout_id;
                            o["amount_cents"] = e.amount_cents;
                            o["currency"] = e.currency;
                            o["at"] = e.at;
                            write_idempotency_key(o, e.key);
                            return o;
                          },
                          [](const authorized& e) { return encode_answer(e); },
                          [](const declined& e) { return encode_failure(e); },
                          [](const captured& e) { return encode_answer(e); },
                          [](const capture_failed& e) { return encode_failure(e); },
                          [](const voided& e) { return encode_answer(e); },
                          [](const refunded& e) { return encode_answer(e); },
                        },
                        ev);
  return json::serialize(obj);
}

std::optional<event> payment_traits::decode_event(std::string_view type,
                                                  std::string_view text) {
  return decode_json_object<event>(text, [&](const json::object& o) -> std::optional<event> {
    if (type == "payment.opened")
      return decode_opened(o);
    if (type == "payment.authorized")
      return decode_answer<authorized>(o);
    if (type == "payment.declined")
      return decode_failure<declined>(o);
    if (type == "payment.captured")
      return decode_answer<captured>(o);
    if (type == "payment.capture_failed")
      return decode_failure<capture_failed>(o);
    if (type == "payment.voided")
      return decode_answer<voided>(o);
    if (type == "payment.refunded")
      return decode_answer<refunded>(o);
    return std::nullopt;
  });
}

// Snapshot: {"exists","payment_id","order_id","checkout_id","currency","amount_cents",
//            "status","captured_cents","refunded_cents","failure_reason":str|null,
//            "events":[{"type","amount_cents","at","gateway_ref"}],
//            "created_at","updated_at","version","applied_keys":[keys, oldest first]}
std::string payment_traits::encode_state(const state& st) {
  json::object o;
  o["exists"] = st.exists;
  o["payment_id"] = st.payment_id;
  o["order_id"] = st.order_id;
  o["checkout_id"] = st.checkout_id;
  o["currency"] = st.currency;
  o["amount_cents"] = st.amount_cents;
  o["status"] = to_string(st.status);
  o["captured_cents"] = st.captured_cents;
  o["refunded_cents"] = st.refunded_cents;
  o["failure_reason"] = nullable_string(st.failure_reason);
  json::array events;
  events.reserve(st.events.size());
  for (const auto& e : st.events) {
    json::object item;
    item["type"] = e.type;
    item["amount_cents"] = e.amount_cents;
    item["at"] = e.at;
    item["gateway_ref"] = e.gateway_ref;
    events.emplace_back(std::move(item));
  }
  o["events"] = std::move(events);
  o["created_at"] = st.created_at;
  o["updated_at"] = st.updated_at;
  o["version"] = st.version;
  o["applied_keys"] = st.applied_keys.to_json();
  return json::serialize(o);
}

std::optional<state> payment_traits::decode_state(std::string_view text) {
  return decode_json_object<state>(text, [&](const json::object& o) -> std::optional<state> {
    state st;
    auto exists = get_bool(o, "exists");
    auto payment_id = get_string(o, "payment_id");
    auto order_id = get_string(o, "order_id");
    auto checkout_id = get_string(o, "checkout_id");
    auto currency = get_string(o, "currency");
    auto amount = get_int(o, "amount_cents");
    auto status_text = get_string(o, "status");
    auto captured_cents = get_int(o, "captured_cents");
    auto refunded_cents = get_int(o, "refunded_cents");
    auto created_at = get_int(o, "created_at");
    auto updated_at = get_int(o, "updated_at");
    auto version = get_int(o, "version");
    auto* events = o.if_contains("events");
    auto* keys = o.if_contains("applied_keys");
    if (!exists || !payment_id || !order_id || !checkout_id || !currency || !amount ||
        !status_text || !captured_cents || !refunded_cents || !created_at || !updated_at ||
        !version || !events || !events->is_array() || !keys ||
        !read_nullable_string(o, "failure_reason", st.failure_reason))
      return std::nullopt;
    auto status = parse_payment_status(*status_text);
    if (!status)
      return std::nullopt;
    st.exists = *exists;
    st.payment_id = std::move(*payment_id);
    st.order_id = std::move(*order_id);
    st.checkout_id = std::move(*checkout_id);
    st.currency = std::move(*currency);
    st.amount_cents = *amount;
    st.status = *status;
    st.captured_cents = *captured_cents;
    st.refunded_cents = *refunded_cents;
    st.created_at = *created_at;
    st.updated_at = *updated_at;
    st.version = *version;
    for (const auto& v : events->get_array()) {
      const auto* item = v.if_object();
      if (!item)
        return std::nullopt;
      auto type = get_string(*item, "type");
      auto item_amount = get_int(*item, "amount_cents");
      auto at = get_int(*item, "at");
      auto ref = get_string(*item, "gateway_ref");
      if (!type || !item_amount || !at || !ref)
        return std::nullopt;
      st.events.push_back(gateway_event{std::move(*type), *item_amount, *at, std::move(*ref)});
    }
    if (!decltype(st.applied_keys)::from_json(*keys, st.applied_keys))
      return std::nullopt;
    // A snapshot that breaks the money invariants is corrupt, not a state.
    if (st.amount_cents < 0 ||
        st.captured_cents < 0 || st.captured_cents > st.amount_cents ||
        st.refunded_cents < 0 || st.refunded_cents > st.captured_cents)
      return std::nullopt;
    return st;
  });
}

} // namespace agora::payment
