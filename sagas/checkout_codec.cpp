// The checkout saga's journal payloads and snapshot format (JSON).
//
//   checkout.started, checkout.refused (a start with "refused", which ends
//   the checkout compensated):
//                            {"checkout_id","cart_id","order_id","payment_id",
//                             "customer_id":str|null,"shipping_address":{...},
//                             "payment_token","at","refused":{"code","message","details"}?,
//                             "request_hash"?,"waits"?}  (the last two with an Idempotency-Key)
//   checkout.step_attempted: {"step","phase","attempt","ok","retryable","definite",
//                             "error":{"code","message","details"}|null,
//                             "priced":{...}?,"started_at","verdict","at"}
//   checkout.completed:      {"at"}
//   checkout.compensated / checkout.stuck: {"reason","at"}
//   checkout.resumed:        {"by","at"}
//   checkout.closed:         {"by","reason","at"}
//   checkout.request_rejected: {"request_hash","status","response","at"}
//
// priced: {"customer_id":str|null,"items":[...order items...],"subtotal_cents",
//          "shipping_cents","total_cents","currency"}.
#include "sagas/checkout.hpp"

#include <utility>

#include "actors/common/json.hpp"
#include "actors/common/json_writer.hpp"
#include "actors/common/overloaded.hpp"
#include "actors/order/order_json.hpp"

namespace agora::checkout {

namespace {

json::value encode_problem(const std::optional<problem>& p) {
  if (!p)
    return nullptr;
  json::object o;
  o["code"] = to_string(p->code);
  o["message"] = p->message;
  auto details = parse_json(p->details);
  o["details"] = details && details->is_object() ? std::move(*details) : json::object{};
  return o;
}

/// checkout.started / checkout.refused, the flash sale's one row per
/// customer, written as text: the same members as a json::object would
/// hold, the address and the problem's details spliced in as the JSON they
/// are (both texts this program serialized) instead of parsed into values.
std::string encode_started(const started& e) {
  json_writer w{448 + e.shipping_address.size()};
  w.begin_object()
    .member("checkout_id", e.checkout_id)
    .member("cart_id", e.cart_id)
    .member("order_id", e.order_id)
    .member("payment_id", e.payment_id)
    .member("customer_id", e.customer_id)
    .key("shipping_address");
  order::write_address(w, e.shipping_address);
  w.member("payment_token", e.payment_token).member("at", e.at);
  if (e.refused) {
    w.key("refused");
    write_problem(w, to_string(e.refused->code), *e.refused);
  }
  if (!e.request_hash.empty())
    w.member("request_hash", e.request_hash).member("waits", e.waits);
  w.end_object();
  return w.take();
}

bool decode_problem(const json::object& o, std::string_view key, std::optional<problem>& out) {
  auto* v = o.if_contains(key);
  if (!v)
    return false;
  if (v->is_null()) {
    out.reset();
    return true;
  }
  auto* p = v->if_object();
  if (!p)
    return false;
  auto code = get_string(*p, "code");
  auto message = get_string(*p, "message");
  auto* details = get_object(*p, "details");
  if (!code || !message || !details || !parse_errc(*code))
    return false;
  out = problem{*parse_errc(*code), std::move(*message), json::serialize(*details)};
  return true;
}

json::object encode_priced(const priced& p) {
  json::object o;
  o["customer_id"] = nullable_string(p.customer_id);
  o["items"] = order::encode_items(p.items);
  o["subtotal_cents"] = p.subtotal_cents;
  o["shipping_cents"] = p.shipping_cents;
  o["total_cents"] = p.total_cents;
  o["currency"] = p.currency;
  return o;
}

bool decode_priced(const json::object& o, std::string_view key, std::optional<priced>& out) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) {
    out.reset();
    return true;
  }
  auto* p = v->if_object();
  if (!p)
    return false;
  priced x;
  auto subtotal = get_int(*p, "subtotal_cents");
  auto shipping = get_int(*p, "shipping_cents");
  auto total = get_int(*p, "total_cents");
  auto currency = get_string(*p, "currency");
  if (!subtotal || !shipping || !total || !currency ||
      !read_nullable_string(*p, "customer_id", x.customer_id) || !order::decode_items(*p, x.items))
    return false;
  x.subtotal_cents = *subtotal;
  x.shipping_cents = *shipping;
  x.total_cents = *total;
  x.currency = std::move(*currency);
  out = std::move(x);
  return true;
}

std::optional<phase> parse_phase(std::string_view text) {
  if (text == "forward")
    return phase::forward;
  if (text == "compensating")
    return phase::compensating;
  return std::nullopt;
}

std::optional<verdict> parse_verdict(std::string_view text) {
  for (auto v : {verdict::done, verdict::retry, verdict::give_up})
    if (to_string(v) == text)
      return v;
  return std::nullopt;
}

void encode_reply(json::object& o, const reply& r) {
  o["step"] = to_string(r.step);
  o["phase"] = to_string(r.phase);
  o["attempt"] = r.attempt;
  o["ok"] = r.ok;
  o["retryable"] = r.retryable;
  o["definite"] = r.definite;
  o["error"] = encode_problem(r.error);
  if (r.priced)
    o["priced"] = encode_priced(*r.priced);
  o["started_at"] = r.started_at;
}

bool decode_reply(const json::object& o, reply& r) {
  auto step = get_string(o, "step");
  auto ph = get_string(o, "phase");
  auto attempt = get_int(o, "attempt");
  auto ok = get_bool(o, "ok");
  auto retryable = get_bool(o, "retryable");
  auto definite = get_bool(o, "definite");
  auto started_at = get_int(o, "started_at");
  if (!step || !ph || !attempt || !ok || !retryable || !definite || !started_at ||
      !parse_step_name(*step) || !parse_phase(*ph) || *attempt < 1 || *attempt > 1'000'000 ||
      !decode_problem(o, "error", r.error) || !decode_priced(o, "priced", r.priced))
    return false;
  r.step = *parse_step_name(*step);
  r.phase = *parse_phase(*ph);
  r.attempt = static_cast<int>(*attempt);
  r.ok = *ok;
  r.retryable = *retryable;
  r.definite = *definite;
  r.started_at = *started_at;
  return true;
}

/// "request_hash" and "waits", present together or not at all.
bool read_key_memory(const json::object& o, std::string& hash, bool& waits) {
  if (!o.contains("request_hash"))
    return !o.contains("waits");
  auto h = get_string(o, "request_hash");
  auto w = get_bool(o, "waits");
  if (!h || h->empty() || !w)
    return false;
  hash = std::move(*h);
  waits = *w;
  return true;
}

void write_key_memory(json::object& o, const std::string& hash, bool waits) {
  if (hash.empty())
    return;
  o["request_hash"] = hash;
  o["waits"] = waits;
}

std::optional<event> decode_rejected(const json::object& o) {
  rejected e;
  auto hash = get_string(o, "request_hash");
  auto status = get_int(o, "status");
  auto response = get_string(o, "response");
  auto at = get_int(o, "at");
  if (!hash || hash->empty() || !status || *status < 400 || *status > 499 || !response || !at)
    return std::nullopt;
  e.request_hash = std::move(*hash);
  e.status = static_cast<int32_t>(*status);
  e.response = std::move(*response);
  e.at = *at;
  return event{std::move(e)};
}

std::optional<event> decode_started(const json::object& o) {
  started e;
  auto id = get_string(o, "checkout_id");
  auto cart = get_string(o, "cart_id");
  auto order_id = get_string(o, "order_id");
  auto payment_id = get_string(o, "payment_id");
  auto token = get_string(o, "payment_token");
  auto at = get_int(o, "at");
  if (!id || !cart || !order_id || !payment_id || !token || !at ||
      !read_nullable_string(o, "customer_id", e.customer_id) ||
      !order::read_address(o, true, e.shipping_address) ||
      (o.contains("refused") && !decode_problem(o, "refused", e.refused)) ||
      !read_key_memory(o, e.request_hash, e.waits))
    return std::nullopt;
  e.checkout_id = std::move(*id);
  e.cart_id = std::move(*cart);
  e.order_id = std::move(*order_id);
  e.payment_id = std::move(*payment_id);
  e.payment_token = std::move(*token);
  e.at = *at;
  return event{std::move(e)};
}

std::optional<event> decode_attempted(const json::object& o) {
  step_attempted e;
  auto v = get_string(o, "verdict");
  auto at = get_int(o, "at");
  if (!v || !at || !parse_verdict(*v) || !decode_reply(o, e.reply))
    return std::nullopt;
  e.verdict = *parse_verdict(*v);
  e.at = *at;
  return event{std::move(e)};
}

/// completed, compensated, stuck, resumed, closed: some of "by", "reason", "at".
template <class Ev>
std::optional<event> decode_plain(const json::object& o) {
  Ev e;
  auto at = get_int(o, "at");
  if (!at)
    return std::nullopt;
  e.at = *at;
  if constexpr (requires { e.by; }) {
    auto by = get_string(o, "by");
    if (!by)
      return std::nullopt;
    e.by = std::move(*by);
  }
  if constexpr (requires { e.reason; }) {
    auto reason = get_string(o, "reason");
    if (!reason)
      return std::nullopt;
    e.reason = std::move(*reason);
  }
  return event{std::move(e)};
}

template <class Ev>
void encode_plain(json::object& o, const Ev& e) {
  if constexpr (requires { e.by; })
    o["by"] = e.by;
  if constexpr (requires { e.reason; })
    o["reason"] = e.reason;
  o["at"] = e.at;
}

json::object encode_step(const step_state& s) {
  json::object o;
  o["status"] = to_string(s.status);
  o["attempts"] = s.attempts;
  o["compensation_attempts"] = s.compensation_attempts;
  o["definite_failures"] = s.definite_failures;
  o["uncertain"] = s.uncertain;
  o["started_at"] = s.started_at;
  o["finished_at"] = s.finished_at;
  o["error"] = encode_problem(s.error);
  return o;
}

std::optional<step_status> parse_step_status(std::string_view text) {
  for (auto s : {step_status::pending, step_status::running, step_status::done,
                 step_status::failed, step_status::compensated})
    if (to_string(s) == text)
      return s;
  return std::nullopt;
}

bool decode_step(const json::value& v, step_state& s) {
  auto* o = v.if_object();
  if (!o)
    return false;
  auto status = get_string(*o, "status");
  auto attempts = get_int(*o, "attempts");
  auto comp = get_int(*o, "compensation_attempts");
  auto definite = get_int(*o, "definite_failures");
  auto uncertain = get_bool(*o, "uncertain");
  auto started_at = get_int(*o, "started_at");
  auto finished_at = get_int(*o, "finished_at");
  if (!status || !parse_step_status(*status) || !attempts || !comp || !definite || !uncertain ||
      !started_at || !finished_at || !decode_problem(*o, "error", s.error))
    return false;
  s.status = *parse_step_status(*status);
  s.attempts = static_cast<int>(*attempts);
  s.compensation_attempts = static_cast<int>(*comp);
  s.definite_failures = static_cast<int>(*definite);
  s.uncertain = *uncertain;
  s.started_at = *started_at;
  s.finished_at = *finished_at;
  return true;
}

json::value nullable_int(const std::optional<int64_t>& x) {
  return x ? json::value(*x) : json::value(nullptr);
}

} // namespace

std::string_view checkout_traits::event_type(const event& ev) {
  return std::visit(overloaded{
                      [](const started& e) {
                        return e.refused ? "checkout.refused" : "checkout.started";
                      },
                      [](const step_attempted&) { return "checkout.step_attempted"; },
                      [](const completed&) { return "checkout.completed"; },
                      [](const compensated&) { return "checkout.compensated"; },
                      [](const stuck&) { return "checkout.stuck"; },
                      [](const resumed&) { return "checkout.resumed"; },
                      [](const closed&) { return "checkout.closed"; },
                      [](const rejected&) { return "checkout.request_rejected"; },
                    },
                    ev);
}

std::string checkout_traits::encode_event(const event& ev) {
  if (const auto* e = std::get_if<started>(&ev))
    return encode_started(*e);
  json::object o;
  std::visit(overloaded{
               [&](const started&) {}, // encode_started, above
               [&](const rejected& e) {
                 o["request_hash"] = e.request_hash;
                 o["status"] = e.status;
                 o["response"] = e.response;
                 o["at"] = e.at;
               },
               [&](const step_attempted& e) {
                 encode_reply(o, e.reply);
                 o["verdict"] = to_string(e.verdict);
                 o["at"] = e.at;
               },
               [&](const auto& e) { encode_plain(o, e); },
             },
             ev);
  return json::serialize(o);
}

std::optional<event> checkout_traits::decode_event(std::string_view type, std::string_view text) {
  return decode_json_object<event>(text, [type](const json::object& o) -> std::optional<event> {
    if (type == "checkout.started")
      return decode_started(o); // with "refused": a refusal of before checkout.refused
    if (type == "checkout.refused") {
      auto ev = decode_started(o);
      if (!ev || !std::get<started>(*ev).refused)
        return std::nullopt;
      return ev;
    }
    if (type == "checkout.step_attempted")
      return decode_attempted(o);
    if (type == "checkout.completed")
      return decode_plain<completed>(o);
    if (type == "checkout.compensated")
      return decode_plain<compensated>(o);
    if (type == "checkout.stuck")
      return decode_plain<stuck>(o);
    if (type == "checkout.resumed")
      return decode_plain<resumed>(o);
    if (type == "checkout.closed")
      return decode_plain<closed>(o);
    if (type == "checkout.request_rejected")
      return decode_rejected(o);
    return std::nullopt;
  });
}

std::string checkout_traits::encode_state(const state& st) {
  json::object o;
  o["exists"] = st.exists;
  o["checkout_id"] = st.checkout_id;
  o["cart_id"] = st.cart_id;
  o["order_id"] = st.order_id;
  o["payment_id"] = st.payment_id;
  o["customer_id"] = nullable_string(st.customer_id);
  o["shipping_address"] = order::address_value(st.shipping_address);
  o["payment_token"] = st.payment_token;
  write_key_memory(o, st.request_hash, st.waits);
  if (st.rejected_status != 0) {
    o["rejected_status"] = st.rejected_status;
    o["rejected_response"] = st.rejected_response;
  }
  o["status"] = to_string(st.status);
  o["phase"] = to_string(st.phase);
  o["current"] = to_string(st.current);
  o["attempts_since_resume"] = st.attempts_since_resume;
  o["reason"] = nullable_string(st.reason);
  o["failure"] = encode_problem(st.failure);
  o["stuck_reason"] = nullable_string(st.stuck_reason);
  o["closed_reason"] = nullable_string(st.closed_reason);
  if (st.priced)
    o["priced"] = encode_priced(*st.priced);
  json::array steps;
  for (const auto& s : st.steps)
    steps.emplace_back(encode_step(s));
  o["steps"] = std::move(steps);
  o["started_at"] = st.started_at;
  o["finished_at"] = nullable_int(st.finished_at);
  o["updated_at"] = st.updated_at;
  o["version"] = st.version;
  return json::serialize(o);
}

std::optional<state> checkout_traits::decode_state(std::string_view text) {
  return decode_json_object<state>(text, [](const json::object& o) -> std::optional<state> {
    state st;
    auto exists = get_bool(o, "exists");
    auto id = get_string(o, "checkout_id");
    auto cart = get_string(o, "cart_id");
    auto order_id = get_string(o, "order_id");
    auto payment_id = get_string(o, "payment_id");
    auto token = get_string(o, "payment_token");
    auto status = get_string(o, "status");
    auto ph = get_string(o, "phase");
    auto current = get_string(o, "current");
    auto since = get_int(o, "attempts_since_resume");
    auto started_at = get_int(o, "started_at");
    auto updated_at = get_int(o, "updated_at");
    auto version = get_int(o, "version");
    auto* steps = o.if_contains("steps");
    auto* finished = o.if_contains("finished_at");
    if (!exists || !id || !cart || !order_id || !payment_id || !token || !status || !ph ||
        !current || !since || !started_at || !updated_at || !version || !steps ||
        !steps->is_array() || steps->get_array().size() != step_count || !finished ||
        !(finished->is_null() || finished->is_int64()) || !parse_saga_status(*status) ||
        !parse_phase(*ph) || !parse_step_name(*current) ||
        !read_nullable_string(o, "customer_id", st.customer_id) ||
        !read_nullable_string(o, "reason", st.reason) ||
        !read_nullable_string(o, "stuck_reason", st.stuck_reason) ||
        !read_nullable_string(o, "closed_reason", st.closed_reason) ||
        !decode_problem(o, "failure", st.failure) || !decode_priced(o, "priced", st.priced) ||
        !order::read_address(o, true, st.shipping_address) ||
        !read_key_memory(o, st.request_hash, st.waits))
      return std::nullopt;
    if (o.contains("rejected_status")) {
      auto rs = get_int(o, "rejected_status");
      auto rr = get_string(o, "rejected_response");
      if (!rs || *rs < 400 || *rs > 499 || !rr)
        return std::nullopt;
      st.rejected_status = static_cast<int32_t>(*rs);
      st.rejected_response = std::move(*rr);
    }
    for (size_t i = 0; i < step_count; ++i)
      if (!decode_step(steps->get_array()[i], st.steps[i]))
        return std::nullopt;
    st.exists = *exists;
    st.checkout_id = std::move(*id);
    st.cart_id = std::move(*cart);
    st.order_id = std::move(*order_id);
    st.payment_id = std::move(*payment_id);
    st.payment_token = std::move(*token);
    st.status = *parse_saga_status(*status);
    st.phase = *parse_phase(*ph);
    st.current = *parse_step_name(*current);
    st.attempts_since_resume = static_cast<int>(*since);
    if (finished->is_int64())
      st.finished_at = finished->get_int64();
    st.started_at = *started_at;
    st.updated_at = *updated_at;
    st.version = *version;
    return st;
  });
}

} // namespace agora::checkout
