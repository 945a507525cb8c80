// The simulated payment gateway: a `book` that decides operations and keeps
// the ledger (plain C++, no actor code), and the actor around it that
// enforces idempotency keys and answers after the simulated latency.
//
//   request --fresh key--> book.decide(): ledger entry (written to the table)
//      |                     --timer, and written--> answer every waiter
//      +--key in flight--> join its waiters
//      +--key answered---> replay the recorded result after the latency
//
// A fresh key is decided when it arrives and answered once its latency has
// passed and its decision is written: like a provider whose answer takes the
// configured latency, its own bookkeeping included. (Decided at the end of
// the latency, each answer waited for the table's commit on top of it.)
//
// With a ledger table, a payment memory does not hold (forgotten beyond
// payments.gateway_max_payments, or decided by an earlier run) is read back
// from the table before its requests are handled, in one statement for all
// the payments asked for meanwhile.
#include "actors/payment/simulated_gateway.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <list>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <caf/all.hpp>

#include "actors/common/log.hpp"
#include "actors/common/metrics.hpp"
#include "actors/common/overloaded.hpp"
#include "config/config.hpp"
#include "persistence/pg/connection.hpp"
#include "persistence/pg/pg_array.hpp"

namespace agora::payment {

namespace {

// -- settings and tokens ------------------------------------------------------

struct settings {
  caf::timespan latency{0};
  caf::timespan slow_delay{0};
  double failure_rate = 0;
  int64_t amount_limit_cents = 0;
  /// Payments kept in memory by a simulator with a ledger table.
  size_t max_payments = 0;
  /// How long one statement on the ledger table may run.
  int64_t statement_timeout_ms = 0;
};

settings settings_of(const agora::config& cfg) {
  settings result;
  result.latency = std::chrono::milliseconds(cfg.payments.gateway_latency_ms);
  result.slow_delay = std::chrono::milliseconds(cfg.payments.slow_delay_ms);
  result.failure_rate = cfg.payments.gateway_failure_rate;
  result.amount_limit_cents = cfg.payments.amount_limit_cents;
  result.max_payments = static_cast<size_t>(cfg.payments.gateway_max_payments);
  result.statement_timeout_ms = cfg.pg.write_timeout_ms;
  return result;
}

/// The behaviour a test token asks for.
enum class card {
  ok,
  declined,
  capture_fails,
  slow,
  flaky,
  unknown,
};

card card_of(std::string_view token) {
  if (token == "tok_ok")
    return card::ok;
  if (token == "tok_declined")
    return card::declined;
  if (token == "tok_capture_fails")
    return card::capture_fails;
  if (token == "tok_slow")
    return card::slow;
  if (token == "tok_flaky")
    return card::flaky;
  return card::unknown;
}

bool is_currency_code(std::string_view code) {
  if (code.size() != 3)
    return false;
  for (auto c : code)
    if (c < 'A' || c > 'Z')
      return false;
  return true;
}

using request = std::variant<authorize, capture, void_authorization, refund>;

const std::string& payment_id_of(const request& req) {
  return std::visit([](const auto& x) -> const std::string& { return x.payment_id; }, req);
}

// -- book ---------------------------------------------------------------------

/// The gateway's memory and its decisions: authorizations, captures, the
/// token of each payment, attempt counts for tok_flaky, and the ledger.
/// Pure state, no actor code; the actor calls decide() once per key.
class book {
public:
  book(settings cfg, uint64_t seed) : cfg_(cfg), rng_(seed) {
    // A per-instance tag keeps references unique across simulator restarts.
    char tag[9];
    std::snprintf(tag, sizeof tag, "%08x", static_cast<unsigned>(rng_() & 0xffffffffu));
    instance_ = tag;
  }

  const settings& setup() const noexcept {
    return cfg_;
  }

  /// Notes the arrival of a request with a fresh key and returns how long
  /// the gateway takes to answer it. An authorization's token is remembered
  /// here, so later operations of the payment follow it.
  caf::timespan arrival(const request& req) {
    if (auto a = std::get_if<authorize>(&req))
      tokens_[a->payment_id] = a->token;
    return card_of(token_of(payment_id_of(req))) == card::slow ? cfg_.slow_delay
                                                               : cfg_.latency;
  }

  /// Decides `req` (sent with `key`), records the ledger entry and returns
  /// the answer.
  gateway_result decide(const std::string& key, const request& req) {
    ledger_entry entry;
    entry.idempotency_key = key;
    entry.payment_id = payment_id_of(req);
    auto& pay = payments_[entry.payment_id];
    gateway_result result = std::visit(
      [&](const auto& x) { return decide_one(x, pay, entry); }, req);
    entry.outcome = result.outcome;
    entry.gateway_ref = result.gateway_ref;
    entry.reason = result.reason;
    add_entry(pay, std::move(entry));
    return result;
  }

  /// The entries and totals of `payment_id`, or of everything when empty.
  ledger snapshot(const std::string& payment_id) const {
    ledger result;
    auto add_totals = [&](const std::string& id, const payment_record& pay) {
      result.totals.push_back(pay.totals);
      result.totals.back().payment_id = id;
    };
    if (!payment_id.empty()) {
      // The payment's own entries (in decision order), not a scan of all.
      if (auto i = payments_.find(payment_id); i != payments_.end()) {
        for (auto seq : i->second.entries)
          result.entries.push_back(entries_.at(seq));
        add_totals(i->first, i->second);
      }
      return result;
    }
    for (const auto& [_, e] : entries_)
      result.entries.push_back(e);
    for (const auto& [id, pay] : payments_)
      add_totals(id, pay);
    std::sort(result.totals.begin(), result.totals.end(),
              [](const auto& a, const auto& b) { return a.payment_id < b.payment_id; });
    return result;
  }

  /// Re-applies a decision made before (by an earlier run of the
  /// simulator, read back from its ledger table): the same effects as
  /// decide() had, without deciding again.
  void restore(const std::string& key, const request& req, const gateway_result& result) {
    ledger_entry entry;
    entry.idempotency_key = key;
    entry.payment_id = payment_id_of(req);
    entry.outcome = result.outcome;
    entry.gateway_ref = result.gateway_ref;
    entry.reason = result.reason;
    auto& pay = payments_[entry.payment_id];
    bool ok = result.approved();
    std::visit(
      overloaded{
        [&](const authorize& x) {
          tokens_[x.payment_id] = x.token;
          entry.operation = operation::authorize;
          entry.amount_cents = x.amount_cents;
          if (ok) {
            authorizations_[result.gateway_ref] = authorization_record{x.payment_id,
                                                                       x.amount_cents};
            pay.refs.push_back(result.gateway_ref);
            pay.totals.authorized_cents += x.amount_cents;
          }
        },
        [&](const capture& x) {
          entry.operation = operation::capture;
          entry.amount_cents = x.amount_cents;
          auto* auth = find_authorization(x.payment_id, x.authorization_ref);
          if (ok && auth) {
            auth->captured = true;
            captures_[result.gateway_ref] = capture_record{x.payment_id, x.amount_cents};
            pay.refs.push_back(result.gateway_ref);
            pay.totals.captured_cents += x.amount_cents;
          }
        },
        [&](const void_authorization& x) {
          entry.operation = operation::void_authorization;
          auto* auth = find_authorization(x.payment_id, x.authorization_ref);
          entry.amount_cents = auth ? auth->amount_cents : 0;
          if (ok && auth) {
            auth->voided = true;
            pay.totals.voided_cents += auth->amount_cents;
          }
        },
        [&](const refund& x) {
          entry.operation = operation::refund;
          entry.amount_cents = x.amount_cents;
          auto i = captures_.find(x.capture_ref);
          if (ok && i != captures_.end()) {
            i->second.refunded_cents += x.amount_cents;
            pay.totals.refunded_cents += x.amount_cents;
          }
        },
      },
      req);
    pay.attempts[entry.operation]++;
    add_entry(pay, std::move(entry));
  }

  /// Forgets `payment_id`: its token, authorizations, captures and ledger
  /// entries (the simulator reads them back from its table when needed).
  void forget(const std::string& payment_id) {
    tokens_.erase(payment_id);
    auto i = payments_.find(payment_id);
    if (i == payments_.end())
      return;
    for (const auto& ref : i->second.refs) {
      authorizations_.erase(ref);
      captures_.erase(ref);
    }
    for (auto seq : i->second.entries)
      entries_.erase(seq);
    payments_.erase(i);
  }

private:
  struct payment_record {
    /// Attempts per operation that reached the tok_flaky check.
    std::map<operation, int64_t> attempts;
    payment_totals totals;
    /// Its approved authorizations and captures, and its ledger entries.
    std::vector<std::string> refs;
    std::vector<uint64_t> entries;
  };

  void add_entry(payment_record& pay, ledger_entry entry) {
    pay.entries.push_back(++last_entry_);
    entries_.emplace_hint(entries_.end(), last_entry_, std::move(entry));
  }

  struct authorization_record {
    std::string payment_id;
    int64_t amount_cents = 0;
    bool captured = false;
    bool voided = false;
  };

  struct capture_record {
    std::string payment_id;
    int64_t amount_cents = 0;
    int64_t refunded_cents = 0;
  };

  // -- decisions, one per request type --

  gateway_result decide_one(const authorize& req, payment_record& pay, ledger_entry& entry) {
    entry.operation = operation::authorize;
    entry.amount_cents = req.amount_cents;
    auto ref = next_ref("auth");
    if (req.amount_cents <= 0)
      return fail(ref, "amount must be positive");
    if (!is_currency_code(req.currency))
      return fail(ref, "currency must be a three-letter ISO 4217 code");
    auto kind = card_of(req.token);
    if (kind == card::unknown)
      return decline(ref, "unknown token");
    if (kind == card::declined)
      return decline(ref, "card declined");
    if (req.amount_cents > cfg_.amount_limit_cents)
      return decline(ref, "amount exceeds the limit of "
                            + std::to_string(cfg_.amount_limit_cents) + " cents");
    if (auto err = transient_failure(kind, pay, operation::authorize))
      return fail(ref, *err);
    authorizations_[ref] = authorization_record{req.payment_id, req.amount_cents};
    pay.refs.push_back(ref);
    pay.totals.authorized_cents += req.amount_cents;
    return approve(ref);
  }

  gateway_result decide_one(const capture& req, payment_record& pay, ledger_entry& entry) {
    entry.operation = operation::capture;
    entry.amount_cents = req.amount_cents;
    auto ref = next_ref("cap");
    if (req.amount_cents <= 0)
      return fail(ref, "amount must be positive");
    auto auth = find_authorization(req.payment_id, req.authorization_ref);
    if (auth == nullptr)
      return fail(ref, "no approved authorization " + req.authorization_ref
                         + " for payment " + req.payment_id);
    if (auth->voided)
      return fail(ref, "authorization was voided");
    if (auth->captured)
      return fail(ref, "authorization was already captured");
    if (req.amount_cents > auth->amount_cents)
      return fail(ref, "capture exceeds the authorized amount of "
                         + std::to_string(auth->amount_cents) + " cents");
    auto kind = card_of(token_of(req.payment_id));
    if (kind == card::capture_fails)
      return fail(ref, "capture refused by the issuer");
    if (auto err = transient_failure(kind, pay, operation::capture))
      return fail(ref, *err);
    auth->captured = true;
    captures_[ref] = capture_record{req.payment_id, req.amount_cents};
    pay.refs.push_back(ref);
    pay.totals.captured_cents += req.amount_cents;
    return approve(ref);
  }

  gateway_result decide_one(const void_authorization& req, payment_record& pay,
                            ledger_entry& entry) {
    entry.operation = operation::void_authorization;
    auto ref = next_ref("void");
    auto auth = find_authorization(req.payment_id, req.authorization_ref);
    if (auth == nullptr)
      return fail(ref, "no approved authorization " + req.authorization_ref
                         + " for payment " + req.payment_id);
    entry.amount_cents = auth->amount_cents;
    if (auth->voided)
      return fail(ref, "authorization was already voided");
    if (auth->captured)
      return fail(ref, "authorization was already captured");
    auto kind = card_of(token_of(req.payment_id));
    if (auto err = transient_failure(kind, pay, operation::void_authorization))
      return fail(ref, *err);
    auth->voided = true;
    pay.totals.voided_cents += auth->amount_cents;
    return approve(ref);
  }

  gateway_result decide_one(const refund& req, payment_record& pay, ledger_entry& entry) {
    entry.operation = operation::refund;
    entry.amount_cents = req.amount_cents;
    auto ref = next_ref("rfnd");
    if (req.amount_cents <= 0)
      return fail(ref, "amount must be positive");
    auto i = captures_.find(req.capture_ref);
    if (i == captures_.end() || i->second.payment_id != req.payment_id)
      return fail(ref, "no approved capture " + req.capture_ref + " for payment "
                         + req.payment_id);
    auto& cap = i->second;
    auto refundable = cap.amount_cents - cap.refunded_cents;
    if (req.amount_cents > refundable)
      return fail(ref, "refund exceeds the refundable " + std::to_string(refundable)
                         + " cents (captured minus refunded)");
    auto kind = card_of(token_of(req.payment_id));
    if (auto err = transient_failure(kind, pay, operation::refund))
      return fail(ref, *err);
    cap.refunded_cents += req.amount_cents;
    pay.totals.refunded_cents += req.amount_cents;
    return approve(ref);
  }

  // -- helpers --

  /// The failures of an otherwise valid operation: tok_flaky's first attempt
  /// per operation, and the configured random failure rate for tok_ok.
  std::optional<std::string> transient_failure(card kind, payment_record& pay, operation op) {
    if (kind == card::flaky && pay.attempts[op]++ == 0)
      return "temporary gateway failure (first attempt with tok_flaky)";
    if (kind == card::ok && cfg_.failure_rate > 0
        && std::uniform_real_distribution<double>{0.0, 1.0}(rng_) < cfg_.failure_rate)
      return "simulated gateway failure";
    return std::nullopt;
  }

  /// The token of the payment's latest authorization ("" if none arrived).
  const std::string& token_of(const std::string& payment_id) const {
    static const std::string none;
    auto i = tokens_.find(payment_id);
    return i != tokens_.end() ? i->second : none;
  }

  authorization_record* find_authorization(const std::string& payment_id,
                                           const std::string& ref) {
    auto i = authorizations_.find(ref);
    if (i == authorizations_.end() || i->second.payment_id != payment_id)
      return nullptr;
    return &i->second;
  }

  std::string next_ref(std::string_view prefix) {
    std::string result{prefix};
    result += '_';
    result += instance_;
    result += '_';
    result += std::to_string(++last_ref_);
    return result;
  }

  static gateway_result approve(std::string ref) {
    return {outcome::approved, std::move(ref), {}};
  }

  static gateway_result decline(std::string ref, std::string reason) {
    return {outcome::declined, std::move(ref), std::move(reason)};
  }

  static gateway_result fail(std::string ref, std::string reason) {
    return {outcome::failed, std::move(ref), std::move(reason)};
  }

  settings cfg_;
  std::mt19937_64 rng_;
  std::string instance_;
  uint64_t last_ref_ = 0;
  // Hashed: as trees keyed by ids with long common prefixes, their string
  // compares took a third of the simulator's CPU under checkout load.
  /// Token of each payment's latest authorization, noted on arrival.
  std::unordered_map<std::string, std::string> tokens_;
  std::unordered_map<std::string, payment_record> payments_;
  std::unordered_map<std::string, authorization_record> authorizations_;
  std::unordered_map<std::string, capture_record> captures_;
  /// The ledger in decision order.
  std::map<uint64_t, ledger_entry> entries_;
  uint64_t last_entry_ = 0;
};

// -- actor --------------------------------------------------------------------

/// The public interface plus the simulator's own timer messages:
/// (settle, key) decides a pending key and answers its waiters; (settle,
/// ticket) answers one replay of an already decided key.
using simulator_actor = gateway_actor::extend<caf::reacts_to<settle_atom, std::string>,
                                              caf::reacts_to<settle_atom, uint64_t>,
                                              caf::reacts_to<commit_atom>,
                                              caf::reacts_to<load_atom>,
                                              caf::reacts_to<tick_atom>>;

using promise = caf::typed_response_promise<gateway_result>;

/// One idempotency key: its first request, its result (decided on arrival),
/// and the callers waiting for their answer.
struct key_record {
  request first;
  gateway_result result;
  std::vector<promise> waiting;
  /// False while the decision waits to be written to the ledger table (it is
  /// not answered before).
  bool saved = true;
  /// False until the request's latency has passed (it is not answered before).
  bool due = true;
  /// False while a decision is not in the table: its write failed (it is
  /// written again with the next decisions). Such a payment stays in memory.
  bool in_table = true;
};

/// A repeated key whose result is known, answered after the latency.
struct replay {
  promise rp;
  gateway_result result;
};

/// A payment in memory: the idempotency keys of its requests, and its place
/// in the order of use.
struct held_payment {
  std::vector<std::string> keys;
  std::list<std::string>::iterator use;
};

struct simulator_state {
  static inline const char* name = "payment-gateway-sim";
  std::optional<book> ledger_book;
  /// Where decisions are kept across restarts; null for an in-memory ledger.
  std::unique_ptr<persistence::pg::connection> store;
  /// Keys decided but not yet written (answered once written), and whether
  /// a commit message is on its way to write them in one statement.
  std::vector<std::string> unsaved;
  bool commit_scheduled = false;
  /// Decided keys whose write to the table failed, written with the next
  /// ones, or by a retry (tick) unwritten_retry after the failure.
  std::vector<std::string> unwritten;
  bool retry_scheduled = false;
  std::unordered_map<std::string, key_record> keys;
  std::map<uint64_t, replay> replays;
  uint64_t last_ticket = 0;
  /// The payments in memory, and their ids least recently used first. A
  /// simulator with a table forgets the least recently used beyond
  /// settings::max_payments (with their keys) and reads them back when a
  /// request or a ledger query needs them.
  std::unordered_map<std::string, held_payment> held;
  std::list<std::string> use_order;
  /// True when the table may hold payments that memory does not: it had
  /// rows when the simulator started, or a payment was forgotten since.
  bool table_has_more = false;
  /// Requests for payments to read back from the table first, and whether a
  /// load message is on its way to read them all in one statement.
  std::map<std::string, std::vector<std::pair<request, promise>>> to_read;
  bool load_scheduled = false;
};

metrics::gauge& payments_in_memory() {
  static auto& g = metrics::get_gauge("agora_gateway_sim_payments",
                                      "Payments the simulated gateway holds in memory");
  return g;
}

using self_ptr = simulator_actor::stateful_pointer<simulator_state>;

/// How long after a failed write the simulator writes its unwritten
/// decisions again when no new decision has written them meanwhile.
constexpr auto unwritten_retry = std::chrono::seconds(1);

template <class... Ts>
void send_later(self_ptr self, caf::timespan delay, Ts&&... xs) {
  auto me = caf::actor_cast<simulator_actor>(self);
  if (delay <= caf::timespan{0})
    self->send(me, std::forward<Ts>(xs)...);
  else
    self->delayed_send(me, delay, std::forward<Ts>(xs)...);
}

held_payment& hold(simulator_state& st, const std::string& payment_id);
void forget_beyond_limit(simulator_state& st);

const std::string& key_of(const request& req) {
  return std::visit([](const auto& x) -> const std::string& { return x.idempotency_key; }, req);
}

/// Answers the callers waiting for `rec` once it is due and written.
void answer_waiting(key_record& rec) {
  if (!rec.due || !rec.saved)
    return;
  for (auto& rp : rec.waiting)
    rp.deliver(rec.result);
  rec.waiting.clear();
}

/// Answers `req` through `rp`: decides a fresh key at once and answers it
/// after the latency, joins a key in flight, or replays an answered one. Its
/// payment must be in memory if the table may know it (read_back); the caller
/// trims memory afterwards.
void handle(self_ptr self, request req, promise rp) {
  auto& st = self->state;
  auto key = key_of(req);
  auto& payment = hold(st, payment_id_of(req));
  auto [i, fresh] = st.keys.try_emplace(key);
  auto& rec = i->second;
  if (fresh) {
    payment.keys.push_back(key);
    rec.first = std::move(req);
    rec.waiting.push_back(std::move(rp));
    auto latency = st.ledger_book->arrival(rec.first);
    rec.result = st.ledger_book->decide(key, rec.first);
    rec.due = false;
    if (st.store) {
      // Written while the latency runs; decisions arriving together are
      // written together (the commit message queues behind them).
      rec.saved = false;
      st.unsaved.push_back(key);
      if (!st.commit_scheduled) {
        st.commit_scheduled = true;
        self->send(self, commit_atom_v);
      }
    }
    send_later(self, latency, settle_atom_v, std::move(key));
  } else {
    if (!(rec.first == req))
      actors_log().warn("payment gateway: idempotency key {} reused for a different request; "
                        "answering the first request's result",
                        key);
    if (!rec.due || !rec.saved) {
      // The first request is still in flight: its answer answers this one too.
      rec.waiting.push_back(std::move(rp));
    } else {
      auto ticket = ++st.last_ticket;
      st.replays.emplace(ticket, replay{std::move(rp), rec.result});
      send_later(self, st.ledger_book->setup().latency, settle_atom_v, ticket);
    }
  }
}

template <class Request>
caf::result<gateway_result> on_request(self_ptr self, Request& req) {
  auto& st = self->state;
  if (req.idempotency_key.empty())
    return gateway_result{outcome::failed, {}, "missing idempotency key"};
  auto rp = self->make_response_promise<gateway_result>();
  if (st.store && st.table_has_more && st.held.count(req.payment_id) == 0) {
    // The table may know this payment: read it back first, together with the
    // others asked for meanwhile.
    st.to_read[req.payment_id].emplace_back(request{std::move(req)}, rp);
    if (!st.load_scheduled) {
      st.load_scheduled = true;
      self->send(self, load_atom_v);
    }
    return rp;
  }
  handle(self, request{std::move(req)}, rp);
  forget_beyond_limit(st);
  return rp;
}

// -- the ledger table ----------------------------------------------------------

constexpr const char* insert_sql =
  "INSERT INTO gateway_ledger (idempotency_key, operation, payment_id, amount_cents, currency, "
  "token, target_ref, outcome, gateway_ref, reason) "
  "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], "
  "$6::text[], $7::text[], $8::text[], $9::text[], $10::text[]) "
  "ON CONFLICT (idempotency_key) DO NOTHING";

std::optional<outcome> parse_outcome(std::string_view text) {
  for (auto x : {outcome::approved, outcome::declined, outcome::failed})
    if (to_string(x) == text)
      return x;
  return std::nullopt;
}

/// Writes the decisions of `keys` in one statement (blocking: the simulator
/// runs detached when it keeps a table). False when the write failed
/// (logged): the decisions stand in memory and go again with the next ones.
bool persist(simulator_state& st, const std::vector<std::string>& keys) {
  std::array<std::vector<std::string>, 10> columns;
  for (const auto& key : keys) {
    const auto& rec = st.keys.at(key);
    std::string op, currency, token, target;
    int64_t amount = 0;
    std::visit(overloaded{
                 [&](const authorize& x) {
                   op = to_string(operation::authorize);
                   amount = x.amount_cents;
                   currency = x.currency;
                   token = x.token;
                 },
                 [&](const capture& x) {
                   op = to_string(operation::capture);
                   amount = x.amount_cents;
                   target = x.authorization_ref;
                 },
                 [&](const void_authorization& x) {
                   op = to_string(operation::void_authorization);
                   target = x.authorization_ref;
                 },
                 [&](const refund& x) {
                   op = to_string(operation::refund);
                   amount = x.amount_cents;
                   target = x.capture_ref;
                 },
               },
               rec.first);
    std::array<std::string, 10> row{key,    op,     payment_id_of(rec.first),
                                    std::to_string(amount), currency, token, target,
                                    to_string(rec.result.outcome), rec.result.gateway_ref,
                                    rec.result.reason};
    for (size_t c = 0; c < row.size(); ++c)
      columns[c].push_back(std::move(row[c]));
  }
  auto& conn = *st.store;
  if (!conn.ensure_connected()) {
    actors_log().error("payment gateway: cannot record {} decisions: PostgreSQL unreachable",
                       keys.size());
    return false;
  }
  std::vector<std::string> params;
  for (const auto& col : columns)
    params.push_back(persistence::pg::text_array(col));
  auto r = conn.exec_prepared("ledger_insert", params);
  if (!r)
    actors_log().error("payment gateway: cannot record {} decisions: {}", keys.size(),
                       r.error().message);
  return static_cast<bool>(r);
}

constexpr const char* select_sql =
  "SELECT idempotency_key, operation, payment_id, amount_cents, currency, token, target_ref, "
  "outcome, gateway_ref, reason FROM gateway_ledger";

/// One decision read back from the table: its key, request and result.
struct recorded {
  std::string key;
  request req;
  gateway_result result;
};

std::vector<recorded> read_rows(const persistence::pg::outcome& rows) {
  std::vector<recorded> out;
  for (int i = 0; i < rows.rows(); ++i) {
    std::string key{rows.text(i, 0)};
    auto op = rows.text(i, 1);
    std::string pid{rows.text(i, 2)};
    auto amount = rows.int64(i, 3);
    std::string target{rows.text(i, 6)};
    auto out_come = parse_outcome(rows.text(i, 7));
    if (!out_come)
      continue;
    request req;
    if (op == to_string(operation::authorize))
      req = authorize{key, pid, amount, std::string{rows.text(i, 4)}, std::string{rows.text(i, 5)}};
    else if (op == to_string(operation::capture))
      req = capture{key, pid, target, amount};
    else if (op == to_string(operation::void_authorization))
      req = void_authorization{key, pid, target};
    else if (op == to_string(operation::refund))
      req = refund{key, pid, target, amount};
    else
      continue;
    gateway_result result{*out_come, std::string{rows.text(i, 8)}, std::string{rows.text(i, 9)}};
    out.push_back({std::move(key), std::move(req), std::move(result)});
  }
  return out;
}

/// Prepares the statements and notes whether the table holds decisions of
/// an earlier run (read back payment by payment as they are needed).
bool open_ledger(simulator_state& st) {
  auto& conn = *st.store;
  if (!conn.ensure_connected() || !conn.prepare("ledger_insert", insert_sql) ||
      !conn.prepare("ledger_of_payments", std::string(select_sql) +
                                            " WHERE payment_id = ANY($1::text[]) ORDER BY seq"))
    return false;
  auto rows = conn.exec("SELECT count(*) FROM gateway_ledger");
  if (!rows)
    return false;
  st.table_has_more = rows.int64(0, 0) > 0;
  actors_log().info("payment gateway: {} ledger entries in its table, read back by payment as "
                    "they are needed",
                    rows.int64(0, 0));
  return true;
}

/// Makes `payment_id` the most recently used payment in memory.
held_payment& hold(simulator_state& st, const std::string& payment_id) {
  auto [i, fresh] = st.held.try_emplace(payment_id);
  if (fresh) {
    i->second.use = st.use_order.insert(st.use_order.end(), payment_id);
    payments_in_memory().set(static_cast<int64_t>(st.held.size()));
  } else {
    st.use_order.splice(st.use_order.end(), st.use_order, i->second.use);
  }
  return i->second;
}

/// Reads the decisions of `payment_ids` back from the table (one statement)
/// into the book and the key map; the payments are in memory afterwards.
/// False when the table could not be read: nothing is in memory then, since
/// deciding a payment without its history could charge it twice.
bool read_back(simulator_state& st, const std::vector<std::string>& payment_ids) {
  auto rows = st.store->exec_prepared("ledger_of_payments",
                                      {persistence::pg::text_array(payment_ids)});
  if (!rows) {
    actors_log().error("payment gateway: cannot read {} payments back from its ledger: {}",
                       payment_ids.size(), rows.error().message);
    return false;
  }
  for (const auto& id : payment_ids)
    hold(st, id);
  for (auto& r : read_rows(rows)) {
    if (st.keys.count(r.key) > 0)
      continue; // decided in memory already
    st.ledger_book->restore(r.key, r.req, r.result);
    hold(st, payment_id_of(r.req)).keys.push_back(r.key);
    st.keys[r.key] = key_record{std::move(r.req), std::move(r.result), {}};
  }
  return true;
}

/// A key still waiting for its latency, its write or its answer, or whose
/// write failed: forgetting it would let its key be decided again.
bool busy(const simulator_state& st, const held_payment& p) {
  for (const auto& key : p.keys)
    if (auto i = st.keys.find(key);
        i != st.keys.end() &&
        (!i->second.due || !i->second.saved || !i->second.in_table ||
         !i->second.waiting.empty()))
      return true;
  return false;
}

/// A simulator with a table forgets its least recently used payments beyond
/// settings::max_payments (none with a request in flight).
void forget_beyond_limit(simulator_state& st) {
  if (!st.store)
    return;
  auto limit = st.ledger_book->setup().max_payments;
  for (auto tries = st.held.size(); st.held.size() > limit && tries > 0; --tries) {
    auto i = st.held.find(st.use_order.front());
    if (busy(st, i->second)) {
      st.use_order.splice(st.use_order.end(), st.use_order, i->second.use);
      continue;
    }
    for (const auto& key : i->second.keys)
      st.keys.erase(key);
    st.ledger_book->forget(i->first);
    st.use_order.erase(i->second.use);
    st.held.erase(i);
    st.table_has_more = true;
  }
  payments_in_memory().set(static_cast<int64_t>(st.held.size()));
}

/// The whole ledger, from the table when memory does not hold all of it.
caf::result<ledger> whole_ledger(simulator_state& st) {
  if (!st.store || !st.table_has_more)
    return st.ledger_book->snapshot({});
  auto rows = st.store->exec(std::string(select_sql) + " ORDER BY seq");
  if (!rows) {
    actors_log().error("payment gateway: cannot read its ledger table: {}",
                       rows.error().message);
    return caf::make_error(errc::unavailable);
  }
  book all{st.ledger_book->setup(), 0};
  for (const auto& r : read_rows(rows))
    all.restore(r.key, r.req, r.result);
  return all.snapshot({});
}

simulator_actor::behavior_type simulator_impl(self_ptr self, settings cfg, uint64_t seed,
                                              std::string ledger_conninfo) {
  self->state.ledger_book.emplace(cfg, seed);
  if (!ledger_conninfo.empty()) {
    self->state.store = std::make_unique<persistence::pg::connection>(ledger_conninfo,
                                                                      "agora-gateway-sim");
    // Reading payments back must probe the payment index however stale the
    // table's statistics are: a plan made while the table was small scanned
    // it whole for every read (5.8 ms per read at 80,000 rows). A statement
    // stuck behind a lock fails after pg.write_timeout_ms instead of holding
    // every gateway call.
    self->state.store->set_session("SET enable_seqscan = off; SET statement_timeout = " +
                                   std::to_string(cfg.statement_timeout_ms));
    if (!open_ledger(self->state))
      actors_log().error("payment gateway: cannot open its ledger table; starting empty");
  }
  return {
    [=](authorize& req) { return on_request(self, req); },
    [=](capture& req) { return on_request(self, req); },
    [=](void_authorization& req) { return on_request(self, req); },
    [=](refund& req) { return on_request(self, req); },
    [=](const get_ledger& req) -> caf::result<ledger> {
      auto& st = self->state;
      if (req.payment_id.empty())
        return whole_ledger(st);
      if (st.store && st.table_has_more && st.held.count(req.payment_id) == 0 &&
          !read_back(st, {req.payment_id}))
        return caf::make_error(errc::unavailable);
      hold(st, req.payment_id);
      auto result = st.ledger_book->snapshot(req.payment_id);
      forget_beyond_limit(st);
      return result;
    },
    [=](load_atom) {
      auto& st = self->state;
      st.load_scheduled = false;
      auto waiting = std::move(st.to_read);
      st.to_read.clear();
      std::vector<std::string> ids;
      for (const auto& [id, _] : waiting)
        ids.push_back(id);
      bool known = read_back(st, ids);
      for (auto& [_, requests] : waiting)
        for (auto& [req, rp] : requests) {
          if (known)
            handle(self, std::move(req), std::move(rp));
          else // the outcome is unknown to the caller, which asks again with the same key
            rp.deliver(caf::make_error(errc::unavailable));
        }
      forget_beyond_limit(st);
    },
    [=](settle_atom, const std::string& key) {
      auto& st = self->state;
      auto i = st.keys.find(key);
      if (i == st.keys.end())
        return;
      i->second.due = true;
      answer_waiting(i->second);
    },
    [=](commit_atom) {
      auto& st = self->state;
      st.commit_scheduled = false;
      auto keys = std::move(st.unsaved);
      st.unsaved.clear();
      // Decisions whose write failed before go again (the insert skips a
      // key the table has already).
      auto batch = keys;
      batch.insert(batch.end(), st.unwritten.begin(), st.unwritten.end());
      bool written = persist(st, batch);
      st.unwritten.clear();
      for (const auto& key : batch) {
        st.keys.at(key).in_table = written;
        if (!written)
          st.unwritten.push_back(key);
      }
      if (!written && !st.retry_scheduled) {
        st.retry_scheduled = true;
        self->delayed_send(self, unwritten_retry, tick_atom_v);
      }
      for (const auto& key : keys) {
        auto& rec = st.keys.at(key);
        rec.saved = true;
        answer_waiting(rec);
      }
    },
    [=](tick_atom) {
      auto& st = self->state;
      st.retry_scheduled = false;
      if (!st.unwritten.empty() && !st.commit_scheduled) {
        st.commit_scheduled = true;
        self->send(self, commit_atom_v);
      }
    },
    [=](settle_atom, uint64_t ticket) {
      auto& st = self->state;
      auto i = st.replays.find(ticket);
      if (i == st.replays.end())
        return;
      i->second.rp.deliver(i->second.result);
      st.replays.erase(i);
    },
  };
}

} // namespace

uint64_t random_seed() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

gateway_actor spawn_simulated_gateway(caf::actor_system& sys, const agora::config& cfg,
                                      uint64_t seed) {
  return sys.spawn(simulator_impl, settings_of(cfg), seed, std::string{});
}

gateway_actor spawn_durable_simulated_gateway(caf::actor_system& sys, const agora::config& cfg,
                                              uint64_t seed) {
  return sys.spawn<caf::detached>(simulator_impl, settings_of(cfg), seed, cfg.pg.conninfo);
}

} // namespace agora::payment
