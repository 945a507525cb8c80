// The checkout saga's decisions, event fold and replay (pure: no I/O, no clock).
#include "sagas/checkout.hpp"

#include <utility>

#include "actors/common/json.hpp"
#include "actors/common/overloaded.hpp"

namespace agora::checkout {

static_assert(runtime::entity_traits<checkout_traits>);

namespace {

using events = std::vector<event>;

constexpr std::array<std::string_view, step_count> step_names = {
  "price_cart",     "reserve_inventory", "authorize_payment", "place_order",
  "capture_payment", "commit_inventory", "close_cart",
};

size_t index(step_name s) noexcept {
  return static_cast<size_t>(s);
}

std::optional<step_name> next_step(step_name s) noexcept {
  if (index(s) + 1 >= step_count)
    return std::nullopt;
  return static_cast<step_name>(index(s) + 1);
}

/// The nearest step before `s` that has a compensation.
std::optional<step_name> previous_compensable(step_name s) noexcept {
  for (auto i = index(s); i-- > 0;)
    if (has_compensation(static_cast<step_name>(i)))
      return static_cast<step_name>(i);
  return std::nullopt;
}

/// The first step to compensate when `failed` was given up: the step itself
/// when it has a compensation (its effect may be partial or unknown), else
/// the nearest earlier one.
std::optional<step_name> first_compensation(step_name failed) noexcept {
  return has_compensation(failed) ? std::optional{failed} : previous_compensable(failed);
}

/// The saga's reason for a forward step given up: the error's code, except
/// that a payment step that was not declined fails with payment_failed.
std::string reason_for(step_name step, const std::optional<problem>& error) {
  auto code = error ? error->code : errc::unavailable;
  bool payment = step == step_name::authorize_payment || step == step_name::capture_payment;
  if (payment && code != errc::payment_declined)
    code = errc::payment_failed;
  return std::string(to_string(code));
}

std::string stuck_reason(const reply& r) {
  std::string out = r.phase == phase::compensating ? "compensation of " : "";
  out.append(to_string(r.step));
  out += " keeps failing";
  if (r.error) {
    out += ": ";
    out += r.error->message;
  }
  return out;
}

problem stale(const state& st, const reply& r) {
  json::object details;
  details["checkout_id"] = st.checkout_id;
  details["expected"] = describe(next_action(st));
  return make_problem(errc::conflict,
                      "checkout " + st.checkout_id + " does not wait for " +
                        std::string(to_string(r.step)) + " attempt " +
                        std::to_string(r.attempt),
                      json::serialize(details));
}

problem not_stuck(const state& st) {
  json::object details;
  details["checkout_id"] = st.checkout_id;
  details["status"] = to_string(st.status);
  return make_problem(errc::conflict,
                      "checkout " + st.checkout_id + " is " +
                        std::string(to_string(st.status)) + ", not stuck",
                      json::serialize(details));
}

problem no_checkout(const runtime::context& ctx) {
  json::object details;
  details["checkout_id"] = ctx.entity_id;
  return make_problem(errc::not_found, "no checkout with id " + ctx.entity_id,
                      json::serialize(details));
}

result<events> decide_start(const state& st, const start& cmd, const runtime::context& ctx) {
  if (cmd.cart_id.empty() || cmd.order_id.empty() || cmd.payment_id.empty())
    return invalid_field("cart_id", "cart_id, order_id and payment_id are required");
  if (!cmd.request_hash.empty() && (st.exists || st.rejected_status != 0))
    return events{}; // the key's repeat: the caller answers it from the state
  if (st.exists) {
    if (st.cart_id == cmd.cart_id && st.order_id == cmd.order_id)
      return events{}; // a repeated start
    return make_problem(errc::conflict, "checkout " + ctx.entity_id + " exists already");
  }
  events out{started{ctx.entity_id, cmd.cart_id, cmd.order_id, cmd.payment_id, cmd.customer_id,
                     cmd.shipping_address, cmd.payment_token, ctx.now, cmd.refused,
                     cmd.request_hash, cmd.waits}};
  return out;
}

result<events> decide_reject(const state& st, const reject& cmd, const runtime::context& ctx) {
  if (cmd.request_hash.empty())
    return invalid_field("request_hash", "a rejection is recorded under a key's body digest");
  if (cmd.status < 400 || cmd.status > 499)
    return invalid_field("status", "only a 4xx answer is recorded");
  if (st.exists || st.rejected_status != 0)
    return events{}; // the key was used: the caller answers from the state
  return events{rejected{cmd.request_hash, cmd.status, cmd.response, ctx.now}};
}

verdict judge(const state& st, const record& cmd) {
  const auto& r = cmd.reply;
  if (r.ok)
    return verdict::done;
  if (r.retryable && st.attempts_since_resume + 1 < cmd.max_attempts)
    return verdict::retry;
  return verdict::give_up;
}

result<events> decide_record(const state& st, const record& cmd, const runtime::context& ctx) {
  if (!st.exists)
    return no_checkout(ctx);
  const auto& r = cmd.reply;
  auto expected = next_action(st);
  if (expected.what != action::kind::run || expected.step != r.step ||
      expected.phase != r.phase || expected.attempt != r.attempt)
    return stale(st, r);
  if (r.phase == phase::forward && r.step == step_name::price_cart && r.ok && !r.priced)
    return invalid_field("priced", "a successful price_cart carries the priced cart");
  auto v = judge(st, cmd);
  events out{step_attempted{r, v, ctx.now}};
  // The reason the saga has once the attempt is applied (a copy of the
  // state, so only on the paths that end it compensated).
  auto reason_after = [&] {
    return checkout_traits::apply_event(st, out.front()).reason.value_or("");
  };
  if (r.phase == phase::forward) {
    if (v == verdict::done && r.step == step_name::close_cart)
      out.emplace_back(completed{ctx.now});
    else if (v == verdict::give_up && index(r.step) > index(pivot))
      out.emplace_back(stuck{stuck_reason(r), ctx.now});
    else if (v == verdict::give_up && !first_compensation(r.step))
      out.emplace_back(compensated{reason_after(), ctx.now});
  } else if (v == verdict::give_up) {
    out.emplace_back(stuck{stuck_reason(r), ctx.now});
  } else if (v == verdict::done && !previous_compensable(r.step)) {
    out.emplace_back(compensated{reason_after(), ctx.now});
  }
  return out;
}

void apply_reply(state& st, const step_attempted& ev) {
  const auto& r = ev.reply;
  auto& s = st.at(r.step);
  bool forward = r.phase == phase::forward;
  (forward ? s.attempts : s.compensation_attempts) = r.attempt;
  ++st.attempts_since_resume;
  if (s.started_at == 0 && forward)
    s.started_at = r.started_at;
  s.uncertain = !r.ok && !r.definite;
  if (!r.ok && r.definite && r.retryable)
    ++s.definite_failures;
  if (!r.ok)
    s.error = r.error;
  switch (ev.verdict) {
    case verdict::retry:
      if (forward)
        s.status = step_status::running;
      return;
    case verdict::done:
      st.attempts_since_resume = 0;
      if (!forward) {
        if (s.status == step_status::done)
          s.status = step_status::compensated;
        if (auto prev = previous_compensable(r.step))
          st.current = *prev;
        return;
      }
      s.status = step_status::done;
      s.error.reset();
      s.finished_at = ev.at;
      if (r.step == step_name::price_cart && r.priced) {
        st.priced = r.priced;
        if (r.priced->customer_id)
          st.customer_id = r.priced->customer_id;
      }
      if (auto next = next_step(r.step)) {
        st.current = *next;
        st.at(*next).status = step_status::running;
        st.at(*next).started_at = ev.at;
      }
      return;
    case verdict::give_up:
      if (!forward)
        return;
      s.status = step_status::failed;
      s.finished_at = ev.at;
      if (index(r.step) > index(pivot))
        return;
      st.phase = phase::compensating;
      st.reason = reason_for(r.step, r.error);
      st.failure = r.error;
      if (st.failure)
        st.failure->code = *parse_errc(*st.reason);
      st.attempts_since_resume = 0;
      if (auto first = first_compensation(r.step))
        st.current = *first;
      return;
  }
}

/// A checkout refused before its first step (checkout::start::refused): no
/// step ran; reserve_inventory failed once with the refusal, and there is
/// nothing to compensate.
void refuse(state& st, const started& e) {
  auto& s = st.at(step_name::reserve_inventory);
  s.status = step_status::failed;
  s.attempts = 1;
  s.started_at = e.at;
  s.finished_at = e.at;
  s.error = e.refused;
  st.current = step_name::reserve_inventory;
  st.reason = std::string(to_string(e.refused->code));
  st.failure = e.refused;
  st.status = saga_status::compensated;
  st.finished_at = e.at;
}

} // namespace

// -- names --------------------------------------------------------------------

std::string_view to_string(step_name x) noexcept {
  return index(x) < step_count ? step_names[index(x)] : "unknown";
}

std::optional<step_name> parse_step_name(std::string_view text) noexcept {
  for (size_t i = 0; i < step_count; ++i)
    if (step_names[i] == text)
      return static_cast<step_name>(i);
  return std::nullopt;
}

bool has_compensation(step_name x) noexcept {
  return index(x) <= index(step_name::place_order);
}

std::string_view to_string(step_status x) noexcept {
  switch (x) {
    case step_status::pending:
      return "pending";
    case step_status::running:
      return "running";
    case step_status::done:
      return "done";
    case step_status::failed:
      return "failed";
    case step_status::compensated:
      return "compensated";
  }
  return "unknown";
}

std::string_view to_string(saga_status x) noexcept {
  switch (x) {
    case saga_status::running:
      return "running";
    case saga_status::completed:
      return "completed";
    case saga_status::compensated:
      return "compensated";
    case saga_status::stuck:
      return "stuck";
    case saga_status::failed:
      return "failed";
  }
  return "unknown";
}

std::optional<saga_status> parse_saga_status(std::string_view text) noexcept {
  for (auto s : {saga_status::running, saga_status::completed, saga_status::compensated,
                 saga_status::stuck, saga_status::failed})
    if (to_string(s) == text)
      return s;
  return std::nullopt;
}

std::string_view to_string(phase x) noexcept {
  return x == phase::forward ? "forward" : "compensating";
}

std::string_view to_string(verdict x) noexcept {
  switch (x) {
    case verdict::done:
      return "done";
    case verdict::retry:
      return "retry";
    case verdict::give_up:
      return "give_up";
  }
  return "unknown";
}

std::string step_key(std::string_view checkout_id, step_name step) {
  std::string out{checkout_id};
  out += '/';
  out += to_string(step);
  return out;
}

// -- decisions ----------------------------------------------------------------

action next_action(const state& st) {
  if (!st.exists || st.terminal())
    return {};
  if (st.status == saga_status::stuck)
    return {action::kind::wait_operator, st.current, st.phase, 0};
  const auto& s = st.at(st.current);
  int done = st.phase == phase::forward ? s.attempts : s.compensation_attempts;
  return {action::kind::run, st.current, st.phase, done + 1};
}

std::string describe(const action& a) {
  switch (a.what) {
    case action::kind::finished:
      return "nothing (finished)";
    case action::kind::wait_operator:
      return "wait for an operator at " + std::string(to_string(a.step)) + " (" +
             std::string(to_string(a.phase)) + ")";
    case action::kind::run:
      break;
  }
  return std::string(a.phase == phase::forward ? "run " : "compensate ") +
         std::string(to_string(a.step)) + " attempt " + std::to_string(a.attempt);
}

result<std::vector<event>> checkout_traits::decide(const state& st, const command& cmd,
                                                   const runtime::context& ctx) {
  return std::visit(
    overloaded{
      [&](const start& c) { return decide_start(st, c, ctx); },
      [&](const record& c) { return decide_record(st, c, ctx); },
      [&](const resume& c) -> result<events> {
        if (!st.exists)
          return no_checkout(ctx);
        if (st.status != saga_status::stuck)
          return not_stuck(st);
        return events{resumed{c.by, ctx.now}};
      },
      [&](const close& c) -> result<events> {
        if (!st.exists)
          return no_checkout(ctx);
        if (st.status != saga_status::stuck)
          return not_stuck(st);
        return events{closed{c.by, c.reason, ctx.now}};
      },
      [&](const get&) -> result<events> { return events{}; },
      [&](const reject& c) { return decide_reject(st, c, ctx); },
    },
    cmd);
}

state checkout_traits::apply_event(state st, const event& ev) {
  std::visit(overloaded{
               [&](const started& e) {
                 st.exists = true;
                 st.checkout_id = e.checkout_id;
                 st.cart_id = e.cart_id;
                 st.order_id = e.order_id;
                 st.payment_id = e.payment_id;
                 st.customer_id = e.customer_id;
                 st.shipping_address = e.shipping_address;
                 st.payment_token = e.payment_token;
                 st.request_hash = e.request_hash;
                 st.waits = e.waits;
                 st.started_at = e.at;
                 if (e.refused)
                   return refuse(st, e);
                 st.at(step_name::price_cart).status = step_status::running;
                 st.at(step_name::price_cart).started_at = e.at;
               },
               [&](const step_attempted& e) { apply_reply(st, e); },
               [&](const completed& e) {
                 st.status = saga_status::completed;
                 st.finished_at = e.at;
               },
               [&](const compensated& e) {
                 st.status = saga_status::compensated;
                 st.finished_at = e.at;
               },
               [&](const stuck& e) {
                 st.status = saga_status::stuck;
                 st.stuck_reason = e.reason;
               },
               [&](const resumed&) {
                 st.status = saga_status::running;
                 st.stuck_reason.reset();
                 st.attempts_since_resume = 0;
               },
               [&](const closed& e) {
                 st.status = saga_status::failed;
                 st.stuck_reason.reset();
                 st.closed_reason = e.reason;
                 st.finished_at = e.at;
               },
               [&](const rejected& e) {
                 st.request_hash = e.request_hash;
                 st.rejected_status = e.status;
                 st.rejected_response = e.response;
               },
             },
             ev);
  st.updated_at = std::visit([](const auto& e) { return e.at; }, ev);
  ++st.version;
  return st;
}

// -- replay -------------------------------------------------------------------

namespace {

/// What a recorded event asks decide() again, or nullopt for events that
/// decide() produces as consequences.
std::optional<command> command_of(const event& ev, int max_attempts) {
  if (auto* s = std::get_if<started>(&ev))
    return command{start{s->cart_id, s->order_id, s->payment_id, s->customer_id,
                         s->shipping_address, s->payment_token, s->refused, s->request_hash,
                         s->waits}};
  if (auto* r = std::get_if<rejected>(&ev))
    return command{reject{r->request_hash, r->status, r->response}};
  if (auto* a = std::get_if<step_attempted>(&ev))
    return command{record{a->reply, max_attempts}};
  if (auto* r = std::get_if<resumed>(&ev))
    return command{resume{r->by}};
  if (auto* c = std::get_if<closed>(&ev))
    return command{close{c->by, c->reason}};
  return std::nullopt;
}

std::string summary(const event& ev) {
  std::string out{checkout_traits::event_type(ev)};
  if (auto* a = std::get_if<step_attempted>(&ev)) {
    out += ' ';
    out += to_string(a->reply.step);
    out += a->reply.phase == phase::forward ? " attempt " : " compensation attempt ";
    out += std::to_string(a->reply.attempt);
    out += " → ";
    out += to_string(a->verdict);
  }
  return out;
}

} // namespace

replay_report replay(const std::vector<event>& history, int max_attempts) {
  replay_report report;
  report.events = static_cast<int64_t>(history.size());
  auto diverge = [&](size_t at, std::string what) {
    report.at_event = static_cast<int64_t>(at);
    report.divergence = std::move(what);
    return report;
  };
  if (history.empty())
    return report;
  const auto* first = std::get_if<started>(&history.front());
  if (first && first->refused && history.size() > 1) {
    // A refusal journaled before it took one event: `started` with the
    // refusal and then `compensated` with its code, which today's
    // `started` implies.
    const auto* end = std::get_if<compensated>(&history[1]);
    if (end && end->reason == to_string(first->refused->code) && end->at == first->at) {
      auto newer = history;
      newer.erase(newer.begin() + 1);
      auto rep = replay(newer, max_attempts);
      rep.events = report.events;
      if (rep.at_event >= 1)
        ++rep.at_event;
      return rep;
    }
  }
  if (!first && !std::holds_alternative<rejected>(history.front()))
    return diverge(0, "the history does not begin with checkout.started or "
                      "checkout.request_rejected");
  std::string id = first ? first->checkout_id : std::string{};
  state st;
  size_t i = 0;
  while (i < history.size()) {
    const auto& ev = history[i];
    auto cmd = command_of(ev, max_attempts);
    if (!cmd)
      return diverge(i, "recorded " + summary(ev) + " where today's code decides nothing");
    if (auto* rec = std::get_if<record>(&*cmd)) {
      auto asked = next_action(st);
      if (asked.what != action::kind::run || asked.step != rec->reply.step ||
          asked.phase != rec->reply.phase || asked.attempt != rec->reply.attempt)
        return diverge(i, "recorded " + summary(ev) + " but today's code would " +
                            describe(asked));
    }
    runtime::context ctx{std::visit([](const auto& e) { return e.at; }, ev), id, id};
    auto decided = checkout_traits::decide(st, *cmd, ctx);
    if (!decided)
      return diverge(i, "recorded " + summary(ev) + " but today's code refuses it: " +
                          decided.error().message);
    for (size_t k = 0; k < decided->size(); ++k) {
      if (i + k >= history.size())
        return diverge(i + k, "today's code decides " + summary((*decided)[k]) +
                                " after the end of the recording");
      if (!((*decided)[k] == history[i + k]))
        return diverge(i + k, "recorded " + summary(history[i + k]) +
                                " but today's code decides " + summary((*decided)[k]));
    }
    if (decided->empty())
      return diverge(i, "recorded " + summary(ev) + " but today's code decides no event");
    for (const auto& e : *decided)
      st = checkout_traits::apply_event(std::move(st), e);
    i += decided->size();
  }
  return report;
}

} // namespace agora::checkout
