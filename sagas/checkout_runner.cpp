#include "sagas/checkout_runner.hpp"

#include <atomic>
#include <climits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <unordered_map>

#include <caf/all.hpp>

#include "actors/catalogue/product_cache.hpp"
#include "actors/common/log.hpp"
#include "actors/inventory/reservations.hpp"
#include "actors/runtime/oneshot.hpp"
#include "config/config.hpp"
#include "sagas/pricing.hpp"

namespace agora::sagas {

namespace {

using namespace checkout;
using std::chrono::milliseconds;
using done_fn = std::function<void(reply)>;

std::atomic<int64_t> running_count{0};
std::array<std::atomic<int64_t>, 5> outcome_counts{};

// -- replies ------------------------------------------------------------------

reply success(const action& a) {
  reply r;
  r.step = a.step;
  r.phase = a.phase;
  r.attempt = a.attempt;
  r.ok = true;
  return r;
}

/// A failed attempt. Unavailable dependencies and timeouts are worth another
/// attempt and leave the outcome open; every other problem is a decision.
reply failure(const action& a, problem p) {
  auto r = success(a);
  r.ok = false;
  bool transient = p.code == errc::unavailable || p.code == errc::internal ||
                   p.code == errc::concurrency_conflict;
  r.retryable = transient;
  r.definite = !transient;
  r.error = std::move(p);
  return r;
}

/// The gateway said "failed": nothing happened, another attempt may work.
reply gateway_failure(const action& a, const payment::gateway_result& g) {
  auto r = failure(a, make_problem(errc::payment_failed, "payment gateway: " + g.reason));
  r.retryable = true;
  r.definite = true;
  return r;
}

// -- one attempt --------------------------------------------------------------

/// Everything one attempt needs, shared by its callbacks.
struct attempt_ctx {
  const checkout_deps* deps = nullptr;
  caf::actor_system* sys = nullptr;
  /// The saga as the attempt runs on it, shared with the runner's entry
  /// (never changed: the runner replaces its own pointer).
  std::shared_ptr<const state> st;
  action act;
  done_fn done;

  const std::string& id() const { return st->checkout_id; }
  std::string key(std::string_view suffix = {}) const {
    auto k = step_key(st->checkout_id, act.step);
    if (!suffix.empty()) {
      k += '/';
      k.append(suffix);
    }
    return k;
  }
  void ok() const { done(success(act)); }
  void fail(problem p) const { done(failure(act, std::move(p))); }
  int group(step_name s) const { return st->at(s).definite_failures + 1; }
  std::vector<std::string> skus() const {
    std::vector<std::string> out;
    if (st->priced)
      for (const auto& i : st->priced->items)
        out.push_back(i.sku);
    return out;
  }
};

using ctx_ptr = std::shared_ptr<const attempt_ctx>;

/// Sends `cmd` to an entity; a rejection fails the attempt, a success calls
/// `next(view)`. `fresh`: the entity is told as new (see first_attempt).
template <class Traits, class Next>
void tell(const ctx_ptr& c, const runtime::region_ref<Traits>& region, const std::string& id,
          typename Traits::command cmd, Next next, bool fresh = false) {
  auto reply = [c, next = std::move(next)](result<runtime::view_t<Traits>> r) mutable {
    if (!r)
      return c->fail(r.error());
    next(std::move(*r));
  };
  if (fresh)
    region.tell_new(id, std::move(cmd), c->id(), std::move(reply));
  else
    region.tell(id, std::move(cmd), c->id(), std::move(reply));
}

/// Calls the gateway; a request that fails (gateway down) fails the attempt
/// without knowing the outcome. The attempt's own timer bounds the wait: the
/// request sets no CAF timeout of its own (two wake-ups of CAF's clock
/// thread per call), and a late answer is ignored by the attempt's token.
template <class Request, class Next>
void call_gateway(const ctx_ptr& c, Request req, Next next) {
  runtime::spawn_oneshot(*c->sys, [c, req = std::move(req), next = std::move(next)](
                                    caf::event_based_actor* self) mutable {
    self->request(c->deps->gateway, caf::infinite, std::move(req))
      .then([next](payment::gateway_result& g) mutable { next(std::move(g)); },
            [c](caf::error& err) {
              c->fail(make_problem(errc::unavailable,
                                   "payment gateway did not answer: " + caf::to_string(err)));
            });
  });
}

/// The inventory outcome callback for reserve_all/release_all/commit_all.
inventory::outcome_fn inventory_outcome(const ctx_ptr& c) {
  return [c](std::optional<problem> p) {
    if (p)
      return c->fail(std::move(*p));
    c->ok();
  };
}

void price(const ctx_ptr& c) {
  tell(c, c->deps->carts, c->st->cart_id, cart::begin_checkout{c->id(), c->st->customer_id},
       [c](cart::state cart) {
         c->deps->cache->lookup_all(
           cart.skus(), [c, cart](catalogue::product_refs products) {
             auto priced = price_cart(cart, products, c->st->shipping_address,
                                      c->deps->cfg->shipping);
             if (!priced)
               return c->fail(priced.error());
             auto r = success(c->act);
             r.priced = std::move(*priced);
             c->done(std::move(r));
           });
       });
}

void reserve(const ctx_ptr& c) {
  std::vector<inventory::line> lines;
  for (const auto& i : c->st->priced->items)
    lines.push_back({i.sku, i.quantity});
  auto ttl = c->deps->cfg->inventory.reservation_ttl_s * 1'000'000;
  inventory::reserve_all(c->deps->inventory, step_key(c->id(), step_name::reserve_inventory),
                         std::move(lines), now_us() + ttl, c->id(), inventory_outcome(c));
}

/// The first attempt of a step creating an entity whose id the saga chose:
/// the entity cannot exist unless an earlier attempt created it, so it is
/// told as new (no recovery read); a wrong guess only costs a conflict.
bool first_attempt(const ctx_ptr& c) {
  return c->act.phase == phase::forward && c->act.attempt == 1;
}

/// The payment the saga opens: its amount and currency are the priced total.
payment::open open_payment(const ctx_ptr& c) {
  const auto& p = *c->st->priced;
  return payment::open{c->st->payment_id, c->st->order_id, c->id(), p.total_cents, p.currency,
                       c->key("open")};
}

/// The payment entity; `open_if_missing` opens it first when it was never
/// opened.
template <class Next>
void with_payment(const ctx_ptr& c, bool open_if_missing, Next next) {
  tell(c, c->deps->payments, c->st->payment_id, payment::get{},
       [c, open_if_missing, next = std::move(next)](payment::state ps) mutable {
         if (ps.exists || !open_if_missing)
           return next(std::move(ps));
         tell(c, c->deps->payments, c->st->payment_id, open_payment(c), std::move(next));
       });
}

/// Asks the gateway to authorize (the same key as every earlier attempt
/// whose outcome is open) and records its answer; `next(payment)` follows.
/// `opening`: the payment was never opened, and the answer opens it.
template <class Next>
void authorize_and_record(const ctx_ptr& c, bool opening, Next next) {
  int group = c->group(step_name::authorize_payment);
  const auto& pid = c->st->payment_id;
  payment::authorize req{payment::gateway_key(pid, payment::op_authorize, group), pid,
                         c->st->priced->total_cents, c->st->priced->currency, c->st->payment_token};
  call_gateway(c, std::move(req),
               [c, group, opening, next = std::move(next)](payment::gateway_result g) mutable {
                 if (g.outcome == payment::outcome::failed)
                   return c->done(gateway_failure(c->act, g));
                 payment::record_authorization cmd{
                   g.approved(), g.gateway_ref, g.reason,
                   step_key(c->id(), step_name::authorize_payment) + "/" + std::to_string(group)};
                 if (opening)
                   cmd.opening = open_payment(c);
                 tell(c, c->deps->payments, c->st->payment_id, std::move(cmd), std::move(next),
                      opening);
               });
}

void authorize(const ctx_ptr& c) {
  auto settle = [c](const payment::state& ps) {
    if (ps.status == payment::payment_status::declined)
      return c->fail(make_problem(errc::payment_declined,
                                  "payment declined: " + ps.failure_reason.value_or("")));
    if (ps.status == payment::payment_status::pending)
      return c->fail(make_problem(errc::unavailable, "authorization not recorded"));
    c->ok();
  };
  // Before the first attempt the payment cannot exist: the gateway is asked
  // first and its answer opens the payment, one durable write instead of two.
  // A later attempt opens it first if no attempt got that far.
  if (first_attempt(c))
    return authorize_and_record(c, true, settle);
  with_payment(c, true, [c, settle](payment::state ps) {
    if (ps.status != payment::payment_status::pending)
      return settle(ps);
    authorize_and_record(c, false, settle);
  });
}

void place(const ctx_ptr& c) {
  const auto& p = *c->st->priced;
  order::place cmd{p.customer_id, c->id(),      p.items,   p.subtotal_cents,
                   p.shipping_cents, p.total_cents, p.currency, c->st->shipping_address,
                   c->st->payment_id, c->key()};
  tell(c, c->deps->orders, c->st->order_id, std::move(cmd),
       [c](const order::state&) { c->ok(); }, first_attempt(c));
}

/// Captures the authorization (same key while the outcome is open) and
/// records the answer; `next(payment)` follows a recorded answer.
template <class Next>
void capture_and_record(const ctx_ptr& c, const payment::state& ps, Next next) {
  int group = c->group(step_name::capture_payment);
  const auto& pid = c->st->payment_id;
  payment::capture req{payment::gateway_key(pid, payment::op_capture, group), pid,
                       payment::authorization_ref(ps), ps.amount_cents};
  call_gateway(c, std::move(req),
               [c, group, amount = ps.amount_cents, next = std::move(next)](
                 payment::gateway_result g) mutable {
                 payment::record_capture cmd{g.approved(), amount, g.gateway_ref, g.reason,
                                             step_key(c->id(), step_name::capture_payment) +
                                               "/" + std::to_string(group)};
                 tell(c, c->deps->payments, c->st->payment_id, std::move(cmd), std::move(next));
               });
}

void capture(const ctx_ptr& c) {
  with_payment(c, false, [c](payment::state ps) {
    using payment::payment_status;
    if (ps.status == payment_status::captured)
      return c->ok();
    if (!payment::can_capture(ps))
      return c->fail(make_problem(errc::payment_failed,
                                  "payment is " + std::string(to_string(ps.status)) +
                                    " and cannot be captured"));
    capture_and_record(c, ps, [c](const payment::state& after) {
      if (after.status == payment_status::captured)
        return c->ok();
      c->done(gateway_failure(c->act, {payment::outcome::failed, {},
                                       after.failure_reason.value_or("capture failed")}));
    });
  });
}

/// Commits the reservation and marks the order paid, side by side: both
/// follow the capture and neither needs the other, so the checkout waits for
/// one durable write instead of two. The order's command keeps the key it
/// had when capture_payment sent it, so a saga that marked the order paid in
/// that step marks nothing twice. The attempt fails with the first failure.
void commit(const ctx_ptr& c) {
  auto left = std::make_shared<std::atomic<int>>(2); // the replies may come on two threads
  auto one_done = [c, left] {
    if (--*left == 0)
      c->ok();
  };
  inventory::commit_all(c->deps->inventory, step_key(c->id(), step_name::reserve_inventory),
                        c->skus(), c->id(), [c, one_done](std::optional<problem> p) {
                          if (p)
                            return c->fail(std::move(*p));
                          one_done();
                        });
  tell(c, c->deps->orders, c->st->order_id,
       order::mark_paid{step_key(c->id(), step_name::capture_payment)},
       [one_done](const order::state&) { one_done(); });
}

void close_cart(const ctx_ptr& c) {
  tell(c, c->deps->carts, c->st->cart_id, cart::complete_checkout{c->id()},
       [c](const cart::state&) { c->ok(); });
}

// -- compensations ------------------------------------------------------------

/// Reopens the cart. Unless reserve_inventory was attempted (and is
/// compensated on its own), it also releases the reservation of the cart's
/// lines: reserving may have run ahead of a price_cart record that was lost,
/// and then pricing again failed (see go_ahead). Releasing what was never
/// reserved changes nothing.
void reopen_cart(const ctx_ptr& c) {
  tell(c, c->deps->carts, c->st->cart_id, cart::abort_checkout{c->id()},
       [c](const cart::state& cart) {
         if (c->st->at(step_name::reserve_inventory).attempts > 0 || cart.lines.empty())
           return c->ok();
         auto skus = cart.skus();
         inventory::release_all(c->deps->inventory,
                                step_key(c->id(), step_name::reserve_inventory),
                                {skus.begin(), skus.end()}, c->id(), inventory_outcome(c));
       });
}

void release(const ctx_ptr& c) {
  inventory::release_all(c->deps->inventory, step_key(c->id(), step_name::reserve_inventory),
                         c->skus(), c->id(), inventory_outcome(c));
}

/// Gives back whatever the payment holds: learns the outcome of a gateway
/// call that timed out (by repeating it with the same key), then refunds a
/// capture or voids an authorization.
void undo_payment(const ctx_ptr& c, payment::state ps, bool capture_settled) {
  using payment::payment_status;
  if (!ps.exists)
    return c->ok(); // no attempt was recorded (with_payment opens it after one)
  auto again = [c, capture_settled](payment::state next) {
    undo_payment(c, std::move(next), capture_settled);
  };
  if (ps.status == payment_status::pending) {
    if (c->st->at(step_name::authorize_payment).attempts == 0)
      return c->ok();
    return authorize_and_record(c, false, again);
  }
  if (!capture_settled && c->st->at(step_name::capture_payment).uncertain &&
      payment::can_capture(ps))
    return capture_and_record(c, ps, [c](payment::state next) {
      undo_payment(c, std::move(next), true);
    });
  const auto& pid = c->st->payment_id;
  if (auto refundable = payment::refundable_cents(ps); refundable > 0) {
    int group = 1;
    for (const auto& e : ps.events)
      group += e.type == "refunded" ? 1 : 0;
    payment::refund req{payment::gateway_key(pid, payment::op_refund, group), pid,
                        payment::capture_ref(ps), refundable};
    return call_gateway(c, std::move(req), [c, refundable](payment::gateway_result g) {
      if (!g.approved())
        return c->done(gateway_failure(c->act, g));
      tell(c, c->deps->payments, c->st->payment_id,
           payment::record_refund{refundable, g.gateway_ref, c->key("refund")},
           [c](const payment::state&) { c->ok(); });
    });
  }
  if (payment::can_void(ps)) {
    payment::void_authorization req{payment::gateway_key(pid, payment::op_void, 1), pid,
                                    payment::authorization_ref(ps)};
    return call_gateway(c, std::move(req), [c](payment::gateway_result g) {
      if (!g.approved())
        return c->done(gateway_failure(c->act, g));
      tell(c, c->deps->payments, c->st->payment_id,
           payment::record_void{g.gateway_ref, c->key("void")},
           [c](const payment::state&) { c->ok(); });
    });
  }
  c->ok(); // declined, voided or refunded already
}

void cancel_order(const ctx_ptr& c) {
  order::cancel cmd{"checkout " + c->id() + ": " + c->st->reason.value_or("failed"),
                    c->key("compensate")};
  c->deps->orders.tell(c->st->order_id, std::move(cmd), c->id(),
                       [c](result<order::state> r) {
                         if (r || r.error().code == errc::not_found)
                           return c->ok(); // cancelled, or never placed
                         c->fail(r.error());
                       });
}

void execute(const ctx_ptr& c) {
  if (c->act.phase == phase::forward) {
    switch (c->act.step) {
      case step_name::price_cart:
        return price(c);
      case step_name::reserve_inventory:
        return reserve(c);
      case step_name::authorize_payment:
        return authorize(c);
      case step_name::place_order:
        return place(c);
      case step_name::capture_payment:
        return capture(c);
      case step_name::commit_inventory:
        return commit(c);
      case step_name::close_cart:
        return close_cart(c);
    }
  }
  switch (c->act.step) {
    case step_name::price_cart:
      return reopen_cart(c);
    case step_name::reserve_inventory:
      return c->st->priced ? release(c) : c->ok();
    case step_name::authorize_payment:
      // An attempt may have reached the gateway and not opened the payment
      // (the first opens it with the answer): opened now, its outcome is
      // learnt and undone below.
      return with_payment(c, c->st->at(step_name::authorize_payment).attempts > 0,
                          [c](payment::state ps) { undo_payment(c, std::move(ps), false); });
    case step_name::place_order:
      return cancel_order(c);
    default:
      return c->ok(); // no compensation
  }
}

// -- the runner actor ---------------------------------------------------------

struct run_msg {
  std::string id;
};
struct state_msg {
  std::string id;
  result<state> st;
};
struct reply_msg {
  std::string id;
  uint64_t token = 0;
  reply r;
};
/// The runner's one pending clock event: the deadlines due by `at`.
struct sweep_msg {
  caf::actor_clock::time_point at;
};
struct go_msg {
  std::string id;
  uint64_t token = 0;
};
struct reload_msg {
  std::string id;
};
struct watch_msg {
  std::string id;
  milliseconds limit{0};
  checkout_watch_fn done;
};

} // namespace
} // namespace agora::sagas

namespace caf {
template <>
struct allowed_unsafe_message_type<agora::sagas::run_msg> : std::true_type {};
template <>
struct allowed_unsafe_message_type<agora::sagas::state_msg> : std::true_type {};
template <>
struct allowed_unsafe_message_type<agora::sagas::reply_msg> : std::true_type {};
template <>
struct allowed_unsafe_message_type<agora::sagas::sweep_msg> : std::true_type {};
template <>
struct allowed_unsafe_message_type<agora::sagas::go_msg> : std::true_type {};
template <>
struct allowed_unsafe_message_type<agora::sagas::reload_msg> : std::true_type {};
template <>
struct allowed_unsafe_message_type<agora::sagas::watch_msg> : std::true_type {};
} // namespace caf

namespace agora::sagas {

namespace {

/// What comes due at a deadline: the attempt `token` of a saga timing out,
/// or (`watcher` > 0) a watch running out.
struct due {
  std::string id;
  uint64_t token = 0;
  uint64_t watcher = 0;
};

using deadline_map = std::multimap<caf::actor_clock::time_point, due>;

struct watch_entry {
  checkout_watch_fn done;
  deadline_map::iterator deadline;
};

struct saga_entry {
  /// The saga as its entity has it (durable).
  std::shared_ptr<const state> st;
  uint64_t token = 0;
  bool in_flight = false;
  action current;
  timestamp_us attempt_started = 0;
  /// The in-flight attempt's timeout.
  std::optional<deadline_map::iterator> deadline;
  std::map<uint64_t, watch_entry> watchers;
  /// A reply is on its way to the saga entity (`record`), answering `recorded`.
  bool recording = false;
  action recorded;
  /// Set while the runner has gone ahead of that record (see go_ahead): the
  /// state it will have, which the next step runs on.
  std::shared_ptr<const state> ahead;
  /// The reply of the step run ahead, when it came before the record it
  /// followed was durable; recorded as soon as that one is.
  std::optional<reply> held;
  /// This runner ran a step of it. Only such sagas count in
  /// finished_checkouts: one that had ended before (read again for a watch
  /// or a run) was counted by the runner that drove it.
  bool drove = false;
};

struct runner_state {
  static inline const char* name = "checkout-runner";
  checkout_deps deps;
  retry_policy backoff;
  int max_attempts = 3;
  milliseconds step_timeout{0};
  milliseconds compensation_timeout{0};
  std::unordered_map<std::string, saga_entry> sagas;
  /// Attempt timeouts and watch limits. One clock event serves them all (a
  /// clock event per attempt woke CAF's clock thread seven times per
  /// checkout): `armed` holds the times of the sweeps on their way, and a
  /// deadline arms one only when it is earlier than all of them.
  deadline_map deadlines;
  std::set<caf::actor_clock::time_point> armed;
  uint64_t last_token = 0;
  uint64_t last_watcher = 0;
  std::mt19937_64 rng{std::random_device{}()};
};

using runner_actor = caf::stateful_actor<runner_state>;

void load(runner_actor* self, const std::string& id) {
  auto me = caf::actor_cast<caf::actor>(self);
  self->state.deps.checkouts.tell(id, get{}, id, [me, id](result<state> r) {
    caf::anon_send(me, state_msg{id, std::move(r)});
  });
}

/// Sends a sweep for `at` unless one on its way comes no later.
void arm(runner_actor* self, caf::actor_clock::time_point at) {
  auto& s = self->state;
  if (!s.armed.empty() && *s.armed.begin() <= at)
    return;
  s.armed.insert(at);
  auto now = self->clock().now();
  self->delayed_send(self, at > now ? at - now : caf::actor_clock::time_point::duration::zero(),
                     sweep_msg{at});
}

deadline_map::iterator add_deadline(runner_actor* self, milliseconds after, due d) {
  auto at = self->clock().now() + after;
  auto it = self->state.deadlines.emplace(at, std::move(d));
  arm(self, at);
  return it;
}

void finish(runner_actor* self, const std::string& id, saga_entry& e) {
  auto& s = self->state;
  if (e.drove && e.st && e.st->exists)
    outcome_counts[static_cast<size_t>(e.st->status)]++;
  for (auto& [_, w] : e.watchers) {
    s.deadlines.erase(w.deadline);
    w.done(*e.st);
  }
  s.sagas.erase(id);
  --running_count;
}

void attempt(runner_actor* self, const std::string& id, saga_entry& e) {
  auto& s = self->state;
  e.drove = true;
  e.in_flight = true;
  e.attempt_started = now_us();
  auto timeout = e.current.phase == phase::forward ? s.step_timeout : s.compensation_timeout;
  auto me = caf::actor_cast<caf::actor>(self);
  auto token = e.token;
  auto c = std::make_shared<attempt_ctx>();
  c->deps = &s.deps;
  c->sys = &self->system();
  c->st = e.ahead ? e.ahead : e.st;
  c->act = e.current;
  // Exactly one reply per attempt reaches the runner; late ones are ignored by token.
  c->done = [me, id, token](reply r) { caf::anon_send(me, reply_msg{id, token, std::move(r)}); };
  e.deadline = add_deadline(self, timeout, due{id, token, 0});
  execute(c);
}

void advance(runner_actor* self, const std::string& id, saga_entry& e) {
  auto a = next_action(e.ahead ? *e.ahead : *e.st);
  if (a.what != action::kind::run)
    return finish(self, id, e);
  auto& s = self->state;
  e.current = a;
  e.token = ++s.last_token;
  milliseconds delay{0};
  if (a.attempt > 1)
    delay = s.backoff.delay_before(std::min(a.attempt, s.backoff.max_attempts),
                                   std::uniform_real_distribution<double>{0.0, 1.0}(s.rng))
              .value_or(milliseconds{0});
  if (delay.count() > 0)
    self->delayed_send(self, delay, go_msg{id, e.token});
  else
    attempt(self, id, e);
}

/// The state `st` takes once `rec` is recorded, when the runner may run the
/// next step before that record is durable: a forward step was done and
/// another forward step follows. Every such step is keyed
/// (`<checkout_id>/<step>`), so if the record is lost (a journal failure, a
/// crash), running the step again from the durable state does nothing twice,
/// and the step run ahead had the inputs the durable state gives it.
/// price_cart's record fixes the prices the payment charges, and pricing
/// again after a lost record could give others: what runs ahead of it is
/// reserve_inventory, which takes the locked cart's quantities and no
/// prices, and authorize_payment runs only once that record is durable (a
/// step's reply is recorded after the record before it). If pricing again
/// fails, compensating price_cart releases the reservation (reopen_cart).
/// Ending the saga is not run ahead: a `?wait=true` answer waits for the
/// durable end.
std::shared_ptr<const state> go_ahead(const state& st, const record& rec) {
  const auto& r = rec.reply;
  if (!r.ok || r.phase != phase::forward)
    return nullptr;
  auto decided =
    checkout_traits::decide(st, command{rec}, runtime::context{now_us(), st.checkout_id, {}});
  if (!decided)
    return nullptr;
  auto next = st;
  for (const auto& ev : *decided)
    next = checkout_traits::apply_event(std::move(next), ev);
  auto a = next_action(next);
  if (a.what != action::kind::run || a.phase != phase::forward)
    return nullptr;
  return std::make_shared<const state>(std::move(next));
}

/// Records the reply of the attempt `e.current` in the saga entity, and runs
/// the next step meanwhile when go_ahead allows it.
void record_reply(runner_actor* self, const std::string& id, saga_entry& e, reply r) {
  r.step = e.current.step;
  r.phase = e.current.phase;
  r.attempt = e.current.attempt;
  r.started_at = e.attempt_started;
  auto me = caf::actor_cast<caf::actor>(self);
  auto& s = self->state;
  if (!r.ok)
    sagas_log().info("checkout {}: {} {} attempt {} failed: {}", id, to_string(r.phase),
                      to_string(r.step), r.attempt, r.error ? r.error->message : "");
  record rec{std::move(r), s.max_attempts};
  e.ahead = go_ahead(*e.st, rec);
  e.recording = true;
  e.recorded = e.current;
  s.deps.checkouts.tell(id, std::move(rec), id, [me, id](result<state> st) {
    caf::anon_send(me, state_msg{id, std::move(st)});
  });
  if (e.ahead)
    advance(self, id, e);
}

/// The in-flight attempt is over: its timeout goes.
void end_attempt(runner_actor* self, saga_entry& e) {
  e.in_flight = false;
  if (e.deadline) {
    self->state.deadlines.erase(*e.deadline);
    e.deadline.reset();
  }
}

/// The attempt `e.current` ended with `r` (or timed out).
void attempt_done(runner_actor* self, const std::string& id, saga_entry& e, reply r) {
  end_attempt(self, e);
  if (e.recording)
    e.held = std::move(r); // run ahead; the record before it is not durable yet
  else
    record_reply(self, id, e, std::move(r));
}

/// Forgets the step run ahead (its late reply is ignored by its token).
void drop_ahead(runner_actor* self, saga_entry& e) {
  e.ahead.reset();
  e.held.reset();
  e.token = ++self->state.last_token;
  end_attempt(self, e);
}

/// The saga entity answered a record: `e.st` is its durable state now.
void on_recorded(runner_actor* self, const std::string& id, saga_entry& e) {
  e.recording = false;
  if (self->state.deps.after_record)
    self->state.deps.after_record(*e.st, e.recorded);
  if (!e.ahead)
    return advance(self, id, e);
  // The entity took the record, so it had the state the runner planned on
  // (decide refuses a record that does not answer its next action) and now
  // has `ahead` but for the events' timestamps (decide and apply_event are
  // pure; only their clock differs), which the step run ahead does not use.
  e.ahead.reset();
  if (e.held) {
    auto r = std::move(*e.held);
    e.held.reset();
    record_reply(self, id, e, std::move(r));
  }
}

/// A sweep found the attempt's deadline passed (its entry is gone already).
void attempt_timed_out(runner_actor* self, const due& d) {
  auto i = self->state.sagas.find(d.id);
  if (i == self->state.sagas.end() || i->second.token != d.token || !i->second.in_flight)
    return;
  auto& e = i->second;
  e.deadline.reset();
  auto limit = e.current.phase == phase::forward ? self->state.step_timeout
                                                 : self->state.compensation_timeout;
  auto r = failure(e.current, make_problem(errc::unavailable,
                                           std::string(to_string(e.current.step)) +
                                             " did not finish within " +
                                             std::to_string(limit.count()) + " ms"));
  attempt_done(self, d.id, e, std::move(r));
}

/// A sweep found the watch's limit passed (its entry is gone already).
void watch_ran_out(runner_actor* self, const due& d) {
  auto i = self->state.sagas.find(d.id);
  if (i == self->state.sagas.end())
    return;
  auto w = i->second.watchers.find(d.watcher);
  if (w == i->second.watchers.end())
    return;
  auto done = std::move(w->second.done);
  i->second.watchers.erase(w);
  if (i->second.st)
    done(*i->second.st);
  else
    done(make_problem(errc::unavailable, "the checkout could not be read in time"));
}

caf::behavior runner(runner_actor* self, checkout_deps deps) {
  auto& s = self->state;
  const auto& cfg = *deps.cfg;
  s.deps = std::move(deps);
  s.backoff = checkout_retry_policy(cfg);
  s.backoff.max_attempts = INT_MAX;
  s.max_attempts = static_cast<int>(cfg.checkout.max_attempts);
  s.step_timeout = milliseconds(cfg.checkout.step_timeout_ms);
  s.compensation_timeout = milliseconds(cfg.checkout.compensation_timeout_ms);
  auto ensure = [self](const std::string& id) -> saga_entry& {
    auto [i, fresh] = self->state.sagas.try_emplace(id);
    if (fresh) {
      ++running_count;
      load(self, id);
    }
    return i->second;
  };
  return {
    [self, ensure](run_msg& m) { ensure(m.id); },
    [self, ensure](watch_msg& m) {
      auto& e = ensure(m.id);
      auto w = ++self->state.last_watcher;
      e.watchers.emplace(w, watch_entry{std::move(m.done),
                                        add_deadline(self, m.limit, due{m.id, 0, w})});
    },
    [self](sweep_msg& m) {
      auto& s = self->state;
      s.armed.erase(m.at);
      auto now = self->clock().now();
      while (!s.deadlines.empty() && s.deadlines.begin()->first <= now) {
        auto d = std::move(s.deadlines.begin()->second);
        s.deadlines.erase(s.deadlines.begin());
        if (d.watcher > 0)
          watch_ran_out(self, d);
        else
          attempt_timed_out(self, d);
      }
      if (!s.deadlines.empty())
        arm(self, s.deadlines.begin()->first);
    },
    [self](state_msg& m) {
      auto i = self->state.sagas.find(m.id);
      if (i == self->state.sagas.end())
        return;
      auto& e = i->second;
      if (!m.st) {
        // The journal did not answer, or the record was stale: read the saga
        // again, and run its next step from what the entity has.
        sagas_log().warn("checkout {}: {}; re-reading it", m.id, m.st.error().message);
        e.recording = false;
        drop_ahead(self, e);
        self->delayed_send(self, std::chrono::milliseconds(200), reload_msg{m.id});
        return;
      }
      e.st = std::make_shared<const state>(std::move(*m.st));
      if (e.recording)
        return on_recorded(self, m.id, e);
      advance(self, m.id, e);
    },
    [self](reload_msg& m) {
      if (self->state.sagas.count(m.id) > 0)
        load(self, m.id);
    },
    [self](go_msg& m) {
      auto i = self->state.sagas.find(m.id);
      if (i != self->state.sagas.end() && i->second.token == m.token && !i->second.in_flight)
        attempt(self, m.id, i->second);
    },
    [self](reply_msg& m) {
      auto i = self->state.sagas.find(m.id);
      if (i == self->state.sagas.end() || i->second.token != m.token || !i->second.in_flight)
        return;
      attempt_done(self, m.id, i->second, std::move(m.r));
    },
  };
}

} // namespace

void checkout_runner::run(std::string checkout_id) const {
  caf::anon_send(hdl_, run_msg{std::move(checkout_id)});
}

void checkout_runner::watch(std::string checkout_id, std::chrono::milliseconds limit,
                            checkout_watch_fn done) const {
  caf::anon_send(hdl_, watch_msg{std::move(checkout_id), limit, std::move(done)});
}

checkout_runner spawn_checkout_runner(caf::actor_system& sys, checkout_deps deps) {
  return checkout_runner{sys.spawn(runner, std::move(deps))};
}

retry_policy checkout_retry_policy(const agora::config& cfg) {
  retry_policy p;
  p.max_attempts = static_cast<int>(cfg.checkout.max_attempts);
  p.base_delay = milliseconds(cfg.checkout.retry_base_ms);
  p.max_delay = milliseconds(cfg.checkout.retry_max_ms);
  return p;
}

int64_t running_checkouts() {
  return running_count.load();
}

int64_t finished_checkouts(saga_status status) {
  return outcome_counts[static_cast<size_t>(status)].load();
}

} // namespace agora::sagas
