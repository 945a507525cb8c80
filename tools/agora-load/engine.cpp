#include "tools/agora-load/engine.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "tools/agora-load/client.hpp"
#include "tools/agora-load/stats.hpp"
#include "tools/agora-load/verify.hpp"

namespace agora::load {

namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

/// Set-up failed: the run cannot start (exit status 3).
struct setup_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct product {
  std::string sku;
  std::string name;
  int64_t available = 0;
  int64_t price_cents = 0;
};

struct account {
  std::string email;
  std::string token;
  std::string customer_id;
};

/// Everything the workers share, read-only once the load starts.
struct plan {
  const options* opt = nullptr;
  std::vector<tcp::endpoint> endpoints;
  std::string host_header;
  std::vector<product> catalogue;
  /// Lower-case words of product names, for the browse searches.
  std::vector<std::string> words;
  std::vector<account> accounts;
  /// The admin, logged in at set-up when a journey or the verification
  /// needs it (flash-sale, mixed, checkout's order count).
  account admin;
  /// on_hand of every catalogue SKU at set-up (checkout, cart, mixed with
  /// verification): the baseline of stock conservation.
  sku_units initial_on_hand;
  std::string flash_sku;
  std::string checkout_body;
  /// Journeys start at t_start; those started in [t_record, t_end) are
  /// recorded; at t_drain whatever still runs is cut off.
  clock::time_point t_start, t_record, t_end, t_drain;

  /// A connection of the measured journeys: each request times out after
  /// --timeout.
  std::unique_ptr<connection> make_connection(asio::any_io_executor ex) const {
    return connect_with(std::move(ex), opt->timeout_s);
  }

  /// A connection for set-up and verification, off the clock: at least 30 s
  /// per request, so a short --timeout (a latency budget for the journeys)
  /// does not fail the run before it starts or while it checks the result.
  std::unique_ptr<connection> make_setup_connection(asio::any_io_executor ex) const {
    return connect_with(std::move(ex), std::max(opt->timeout_s, 30.0));
  }

  std::unique_ptr<connection> connect_with(asio::any_io_executor ex, double timeout_s) const {
    return std::make_unique<connection>(
      std::move(ex), endpoints, host_header, opt->url.prefix,
      std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000)));
  }
};

/// Counters the progress line reads while the workers run.
struct live_counters {
  std::atomic<uint64_t> journeys{0};
  std::atomic<uint64_t> ok{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<int64_t> in_flight{0};
};

int64_t micros(clock::duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

std::string random_uuid(std::mt19937_64& rng) {
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
  auto secs = std::chrono::system_clock::to_time_t(t);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

std::string json_string(std::string_view s) {
  return json::serialize(json::value(json::string(s)));
}

// -- one answer, one journey ----------------------------------------------------

struct answer {
  http_result r;
  outcome o = outcome::error;
  std::string code;
  bool ok() const { return o == outcome::ok; }
};

struct journey_result {
  outcome o = outcome::error;
  /// The business code when o is business (e.g. out_of_stock).
  std::string code;
  /// Cut off by the end of the run: not counted at all.
  bool aborted = false;
  /// A checkout whose end was not learnt (no answer, 5xx, still running
  /// or stuck when polling stopped).
  bool undecided = false;
  /// The journey label in the statistics (default: the scenario's name).
  const char* label = nullptr;
  std::optional<checkout_record> checkout;
};

/// A journey that ended as planned.
journey_result succeeded() {
  journey_result jr;
  jr.o = outcome::ok;
  return jr;
}

journey_result ended_by(const answer& a) {
  journey_result j;
  j.o = a.o;
  j.code = a.code;
  j.aborted = a.r.failure == "aborted";
  return j;
}

/// A virtual customer: the connection it runs on, its account (-1: guest)
/// and when its current journey started (or was due, in open loop).
/// The lines of a cart: SKU and quantity.
using cart_lines = std::vector<std::pair<std::string, int>>;

struct customer {
  connection* conn = nullptr;
  int account = -1;
  clock::time_point journey_start{};
  /// flash-sale: the cart filled before the sale opens (empty when that
  /// failed: the journey then fills one itself).
  std::string cart_id;
};

// -- a worker: one io_context, its customers, its statistics ------------------

class worker {
public:
  worker(const plan& p, live_counters& live, int index, uint64_t seed)
      : plan_(p), opt_(*p.opt), live_(live), index_(index), rng_(seed) {}

  asio::io_context ioc{1};
  run_stats stats;
  clock::time_point last_done{};
  int connect_failures = 0;

  /// Phase 1 (closed loop): opens the customers' connections.
  void prepare_closed(int first_customer, int count) {
    for (int i = 0; i < count; ++i) {
      conns_.push_back(plan_.make_connection(ioc.get_executor()));
      int acct = plan_.accounts.empty()
                   ? -1
                   : (first_customer + i) % static_cast<int>(plan_.accounts.size());
      customers_.push_back(customer{conns_.back().get(), acct, {}, {}});
    }
    preparing_ = true;
    if (once())
      for (auto& c : customers_)
        asio::co_spawn(ioc, fill_flash_cart(c), asio::detached);
    else
      for (auto& c : conns_)
        asio::co_spawn(ioc, connect_one(c.get()), asio::detached);
    ioc.run();
    ioc.restart();
    preparing_ = false;
  }

  /// Phase 2: runs the load until every journey is done or cut off.
  void run_load() {
    if (opt_.open_loop()) {
      ++active_;
      asio::co_spawn(ioc, scheduler(), asio::detached);
    } else {
      for (auto& c : customers_) {
        ++active_;
        asio::co_spawn(ioc, closed_customer(c), asio::detached);
      }
    }
    asio::co_spawn(ioc, supervisor(), asio::detached);
    ioc.run();
  }

  /// After the load (and after "load done", so closing thousands of
  /// connections is not in a measured window): closes the keep-alive
  /// connections.
  void close_connections() {
    for (auto& c : conns_)
      c->close();
  }

private:
  const plan& plan_;
  const options& opt_;
  live_counters& live_;
  int index_;
  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<connection>> conns_;
  std::vector<customer> customers_;
  int64_t active_ = 0;
  bool stopping_ = false;
  uint64_t next_account_ = 0;

  // Open loop: idle connections and journeys waiting for one.
  struct waiter {
    explicit waiter(asio::any_io_executor ex) : timer(std::move(ex), clock::time_point::max()) {}
    asio::steady_timer timer;
    connection* conn = nullptr;
  };
  std::vector<connection*> idle_;
  /// Catalogue entries this worker found out of stock.
  std::vector<char> sold_out_;
  std::deque<std::shared_ptr<waiter>> waiters_;
  /// mixed: paid orders of this worker's checkouts waiting to be shipped,
  /// and shipped ones waiting to be delivered (oldest first).
  std::deque<std::string> to_ship_;
  std::deque<std::string> to_deliver_;
  uint64_t shipments_ = 0;

  bool once() const { return opt_.scenario == scenario::flash_sale; }
  /// Before the clock starts (prepare_closed): nothing is recorded.
  bool preparing_ = false;

  asio::awaitable<void> connect_one(connection* c) {
    std::string failure;
    if (!co_await c->ensure_connected(failure))
      ++connect_failures;
  }

  asio::awaitable<void> sleep_until(clock::time_point t) {
    asio::steady_timer timer(ioc, t);
    co_await timer.async_wait(use_tuple);
  }

  /// Ends the run once every journey is done (or at t_drain, cutting off
  /// what still runs).
  asio::awaitable<void> supervisor() {
    asio::steady_timer timer(ioc);
    for (;;) {
      timer.expires_after(20ms);
      co_await timer.async_wait(use_tuple);
      auto now = clock::now();
      if (active_ == 0 && (once() || now >= plan_.t_end))
        break;
      if (now >= plan_.t_drain) {
        hard_stop();
        break;
      }
    }
  }

  void hard_stop() {
    stopping_ = true;
    for (auto& c : conns_)
      c->close();
    for (auto& w : waiters_)
      w->timer.cancel();
    waiters_.clear();
  }

  // -- recording ---------------------------------------------------------------

  /// Inside the measured window (flash sale: everything from the start).
  bool in_window(clock::time_point t) const {
    return !preparing_ && t >= plan_.t_record && (once() || t < plan_.t_end);
  }

  /// One request: sends it, classifies the answer, records it when its
  /// journey started inside the measured window (so requests and journeys
  /// cover the same work). `also_ok` is a second success status.
  ///
  /// (Every coroutine call here takes named objects, never braced or string
  /// temporaries: g++ 12 miscompiles some temporaries that live across a
  /// co_await and destroys them twice.)
  asio::awaitable<answer> call(customer& c, const char* label, const request_spec& spec,
                               int expected, int also_ok = 0) {
    answer a;
    a.r = co_await c.conn->send(spec);
    if (a.r.failure == "aborted" && stopping_)
      co_return a;
    if (a.r.status == 0)
      a.code = a.r.failure;
    else if (a.r.status >= 400)
      a.code = error_code(a.r.body);
    a.o = also_ok && a.r.status == also_ok ? outcome::ok : classify(a.r.status, a.code, expected);
    live_.requests.fetch_add(1, std::memory_order_relaxed);
    if (a.o == outcome::error)
      live_.errors.fetch_add(1, std::memory_order_relaxed);
    if (in_window(c.journey_start)) {
      auto& rs = entry(stats.requests, label);
      if (a.r.status != 0)
        rs.latency.record(static_cast<uint64_t>(a.r.latency_us()));
      ++rs.statuses[a.r.status];
      if (a.o == outcome::error)
        count(stats.errors,
              {label, a.r.status, a.code.empty() ? std::string_view{"unexpected"} : a.code});
      else if (a.o == outcome::business)
        count(stats.business, {label, a.r.status, a.code});
    }
    co_return a;
  }

  void record_journey(clock::time_point start, const journey_result& jr) {
    if (jr.aborted && stopping_)
      return;
    auto now = clock::now();
    live_.journeys.fetch_add(1, std::memory_order_relaxed);
    if (jr.o == outcome::ok)
      live_.ok.fetch_add(1, std::memory_order_relaxed);
    if (!in_window(start))
      return;
    auto& js = entry(stats.journeys, jr.label ? jr.label : to_string(opt_.scenario));
    switch (jr.o) {
    case outcome::ok:
      ++entry(js.outcomes, "ok");
      js.latency.record(static_cast<uint64_t>(micros(now - start)));
      break;
    case outcome::business:
      ++entry(js.outcomes, jr.code.empty() ? std::string_view{"business"} : jr.code);
      break;
    case outcome::error:
      ++entry(js.outcomes, "error");
      break;
    }
    last_done = std::max(last_done, now);
  }

  // -- closed loop ---------------------------------------------------------------

  asio::awaitable<void> closed_customer(customer c) {
    co_await sleep_until(plan_.t_start);
    do {
      if (stopping_)
        break;
      auto start = clock::now();
      c.journey_start = start;
      live_.in_flight.fetch_add(1, std::memory_order_relaxed);
      auto jr = co_await journey(c);
      live_.in_flight.fetch_sub(1, std::memory_order_relaxed);
      record_journey(start, jr);
    } while (!once() && clock::now() < plan_.t_end);
    --active_;
  }

  // -- open loop -----------------------------------------------------------------

  asio::awaitable<void> scheduler() {
    double per_worker = *opt_.rate / opt_.threads;
    double interval = 1.0 / per_worker;
    // Workers interleave their schedules instead of firing together.
    double offset = interval * index_ / opt_.threads;
    asio::steady_timer timer(ioc);
    for (uint64_t k = 0;; ++k) {
      auto due = plan_.t_start + std::chrono::duration_cast<clock::duration>(
                                   std::chrono::duration<double>(offset + k * interval));
      if (due >= plan_.t_end || stopping_)
        break;
      if (due > clock::now()) {
        timer.expires_at(due);
        co_await timer.async_wait(use_tuple);
      }
      ++active_;
      asio::co_spawn(ioc, open_journey(due, next_account_++), asio::detached);
    }
    --active_;
  }

  /// One journey due at `due`: its latency counts from then, including any
  /// wait for a connection.
  asio::awaitable<void> open_journey(clock::time_point due, uint64_t n) {
    live_.in_flight.fetch_add(1, std::memory_order_relaxed);
    journey_result jr;
    connection* conn = co_await acquire();
    if (conn) {
      int acct = plan_.accounts.empty()
                   ? -1
                   : static_cast<int>(n % plan_.accounts.size());
      customer c{conn, acct, due, {}};
      jr = co_await journey(c);
      release(conn);
    } else {
      jr.aborted = true;
    }
    live_.in_flight.fetch_sub(1, std::memory_order_relaxed);
    record_journey(due, jr);
    --active_;
  }

  asio::awaitable<connection*> acquire() {
    if (!idle_.empty()) {
      auto* c = idle_.back();
      idle_.pop_back();
      co_return c;
    }
    int cap = std::max(1, opt_.max_connections / opt_.threads);
    if (static_cast<int>(conns_.size()) < cap) {
      conns_.push_back(plan_.make_connection(ioc.get_executor()));
      co_return conns_.back().get();
    }
    auto w = std::make_shared<waiter>(ioc.get_executor());
    waiters_.push_back(w);
    co_await w->timer.async_wait(use_tuple);
    co_return w->conn;
  }

  void release(connection* c) {
    if (stopping_)
      return;
    if (!waiters_.empty()) {
      auto w = waiters_.front();
      waiters_.pop_front();
      w->conn = c;
      w->timer.cancel();
      return;
    }
    idle_.push_back(c);
  }

  // -- journeys ------------------------------------------------------------------

  const std::string* token_of(const customer& c) const {
    return c.account >= 0 ? &plan_.accounts[static_cast<std::size_t>(c.account)].token : nullptr;
  }

  /// A catalogue entry drawn uniformly.
  const product& random_product() {
    return plan_.catalogue[std::uniform_int_distribution<std::size_t>(
      0, plan_.catalogue.size() - 1)(rng_)];
  }

  asio::awaitable<journey_result> journey(customer& c) {
    switch (opt_.scenario) {
    case scenario::checkout:
      co_return co_await checkout_journey(c);
    case scenario::cart:
      co_return co_await cart_journey(c);
    case scenario::browse:
      co_return co_await browse_journey(c);
    case scenario::flash_sale:
      co_return co_await flash_journey(c);
    case scenario::mixed:
      co_return co_await mixed_journey(c);
    }
    co_return journey_result{};
  }

  std::string add_body(const std::string& sku, int quantity) {
    return "{\"sku\":" + json_string(sku) + ",\"quantity\":" + std::to_string(quantity) + "}";
  }

  /// POST /carts; the cart id or the answer that ended the journey.
  asio::awaitable<std::variant<std::string, journey_result>> create_cart(customer& c) {
    static const std::string empty = "{}";
    request_spec spec{"POST", "/api/v1/carts", &empty, token_of(c)};
    auto a = co_await call(c, "POST /carts", spec, 201);
    if (!a.ok())
      co_return ended_by(a);
    auto id = string_field(a.r.body, "cart_id");
    if (id.empty()) {
      if (in_window(c.journey_start))
        count(stats.errors, {"POST /carts", a.r.status, "no cart_id in the answer"});
      co_return journey_result{};
    }
    co_return id;
  }

  /// Adds --lines (a number drawn from its range) distinct random SKUs,
  /// one unit each, and notes each line added in `lines`. A SKU found out
  /// of stock is not picked again by this worker (a shopper sees "sold
  /// out"): the run keeps measuring checkouts, not a drained catalogue.
  asio::awaitable<std::optional<journey_result>> add_lines(customer& c, const std::string& cart,
                                                           cart_lines& lines) {
    auto path = "/api/v1/carts/" + cart + "/items";
    if (sold_out_.size() != plan_.catalogue.size())
      sold_out_.assign(plan_.catalogue.size(), 0);
    const auto picked = pick_distinct(static_cast<std::size_t>(pick_lines(opt_.lines, rng_)),
                                      plan_.catalogue.size(), rng_, &sold_out_);
    if (picked.empty()) {
      journey_result jr;
      jr.o = outcome::business;
      jr.code = "catalogue_sold_out";
      co_return jr;
    }
    for (std::size_t i : picked) {
      const auto& sku = plan_.catalogue[i].sku;
      auto body = add_body(sku, 1);
      request_spec spec{"POST", path, &body, token_of(c)};
      auto a = co_await call(c, "POST /carts/{id}/items", spec, 200);
      if (a.o == outcome::business && a.code == "out_of_stock")
        sold_out_[i] = 1;
      if (!a.ok())
        co_return ended_by(a);
      lines.emplace_back(sku, 1);
    }
    co_return std::nullopt;
  }

  /// POST /carts/{id}/checkout?wait=true, then (on 202) polls the checkout
  /// until it ends. A success is recorded (with the cart's `lines`) as soon
  /// as it is known; a checkout whose end the run does not learn is
  /// recorded as unresolved, for the verification to look up.
  asio::awaitable<journey_result> check_out(customer& c, const std::string& cart,
                                            const cart_lines& lines) {
    auto key = opt_.idempotency_key ? std::optional<std::string>(random_uuid(rng_)) : std::nullopt;
    request_spec spec{"POST", "/api/v1/carts/" + cart + "/checkout?wait=true",
                      &plan_.checkout_body, token_of(c), key ? &*key : nullptr};
    auto a = co_await call(c, "POST /carts/{id}/checkout", spec, 201, 202);
    // Not built for a refusal, the flash sale's common answer.
    auto record = [&] {
      auto ids = string_fields(a.r.body, {"checkout_id", "order_id"});
      return checkout_record{std::move(ids[0]), std::move(ids[1]), c.account, cart, lines};
    };
    if (!a.ok()) {
      auto jr = ended_by(a);
      // No answer or a server failure: the checkout may have run anyway.
      jr.undecided = a.r.status == 0 || a.r.status >= 500;
      if (jr.undecided)
        stats.unresolved.push_back(record());
      else if (opt_.scenario == scenario::flash_sale && a.o == outcome::business)
        stats.refusals.emplace_back(std::move(a.r.body), c.account); // read after the race
      co_return jr;
    }
    auto rec = record();
    if (a.r.status == 202) {
      auto done = co_await poll_checkout(c, rec.checkout_id);
      if (done.o != outcome::ok) {
        if (done.undecided)
          stats.unresolved.push_back(rec);
        co_return done;
      }
    }
    stats.checkouts.push_back(rec);
    if (opt_.scenario == scenario::mixed && !rec.order_id.empty()) {
      // The order is paid: the ship journeys of this worker take it.
      to_ship_.push_back(rec.order_id);
      if (to_ship_.size() > 10000)
        to_ship_.pop_front();
    }
    auto jr = succeeded();
    jr.checkout = std::move(rec);
    co_return jr;
  }

  asio::awaitable<journey_result> poll_checkout(customer& c, const std::string& id) {
    const char* label = "GET /checkouts/{id}";
    request_spec spec{"GET", "/api/v1/checkouts/" + id, nullptr, token_of(c)};
    for (int i = 0; i < 600 && !stopping_; ++i) {
      co_await sleep_until(clock::now() + 100ms);
      auto a = co_await call(c, label, spec, 200);
      if (!a.ok()) {
        auto jr = ended_by(a);
        jr.undecided = true;
        co_return jr;
      }
      auto fields = string_fields(a.r.body, {"status", "reason"});
      const auto& status = fields[0];
      if (status == "running")
        continue;
      journey_result jr;
      if (status == "completed")
        co_return succeeded();
      const auto& reason = fields[1];
      bool recorded = in_window(c.journey_start);
      if (status == "compensated" && reason.find("out_of_stock") != std::string::npos) {
        jr.o = outcome::business;
        jr.code = "out_of_stock";
        if (recorded)
          count(stats.business, {label, 200, "compensated: out_of_stock"});
      } else if (recorded) {
        count(stats.errors, {label, 200, status + ": " + reason});
      }
      // stuck waits for an operator: its stock may still move.
      jr.undecided = status == "stuck";
      co_return jr;
    }
    journey_result jr;
    jr.aborted = stopping_;
    jr.undecided = true;
    co_return jr;
  }

  asio::awaitable<journey_result> checkout_journey(customer& c) {
    request_spec browse{"GET", "/api/v1/products?limit=20"};
    auto a = co_await call(c, "GET /products?limit=20", browse, 200);
    if (!a.ok())
      co_return ended_by(a);
    auto cart = co_await create_cart(c);
    if (auto* ended = std::get_if<journey_result>(&cart))
      co_return *ended;
    const auto& cart_id = std::get<std::string>(cart);
    cart_lines lines;
    if (auto ended = co_await add_lines(c, cart_id, lines))
      co_return *ended;
    auto jr = co_await check_out(c, cart_id, lines);
    if (jr.o != outcome::ok || c.account < 0)
      co_return jr;
    request_spec order{"GET", "/api/v1/orders/" + jr.checkout->order_id, nullptr, token_of(c)};
    auto o = co_await call(c, "GET /orders/{id}", order, 200);
    if (!o.ok())
      co_return ended_by(o);
    co_return jr;
  }

  asio::awaitable<journey_result> cart_journey(customer& c) {
    auto cart = co_await create_cart(c);
    if (auto* ended = std::get_if<journey_result>(&cart))
      co_return *ended;
    const auto& cart_id = std::get<std::string>(cart);
    cart_lines lines;
    if (auto ended = co_await add_lines(c, cart_id, lines))
      co_return *ended;
    auto jr = succeeded();
    if (lines.empty())
      co_return jr;
    static const std::string two = "{\"quantity\":2}";
    request_spec spec{"PUT", "/api/v1/carts/" + cart_id + "/items/" + lines.front().first, &two,
                      token_of(c)};
    auto a = co_await call(c, "PUT /carts/{id}/items/{sku}", spec, 200);
    if (!a.ok())
      co_return ended_by(a);
    co_return jr;
  }

  asio::awaitable<journey_result> browse_journey(customer& c) {
    request_spec list{"GET", "/api/v1/products?limit=20"};
    auto a = co_await call(c, "GET /products?limit=20", list, 200);
    if (!a.ok())
      co_return ended_by(a);
    if (!plan_.words.empty()) {
      const auto& word = plan_.words[std::uniform_int_distribution<std::size_t>(
        0, plan_.words.size() - 1)(rng_)];
      request_spec search{"GET", "/api/v1/products?q=" + word + "&limit=20"};
      a = co_await call(c, "GET /products?q={word}", search, 200);
      if (!a.ok())
        co_return ended_by(a);
    }
    const auto& sku = random_product().sku;
    request_spec get{"GET", "/api/v1/products/" + sku};
    a = co_await call(c, "GET /products/{sku}", get, 200);
    if (!a.ok())
      co_return ended_by(a);
    co_return succeeded();
  }

  /// The flash sale's shopping before it opens (not measured): connect,
  /// create a cart, add the SKU. The race is the checkouts.
  asio::awaitable<void> fill_flash_cart(customer& c) {
    co_await connect_one(c.conn);
    auto filled = co_await fill_cart(c);
    if (auto* id = std::get_if<std::string>(&filled))
      c.cart_id = std::move(*id);
  }

  /// POST /carts and the flash-sale SKU added: the cart id, or the answer
  /// that ended the journey.
  asio::awaitable<std::variant<std::string, journey_result>> fill_cart(customer& c) {
    auto cart = co_await create_cart(c);
    if (std::holds_alternative<journey_result>(cart))
      co_return cart;
    auto body = add_body(plan_.flash_sku, 1);
    request_spec spec{"POST", "/api/v1/carts/" + std::get<std::string>(cart) + "/items", &body,
                      token_of(c)};
    auto a = co_await call(c, "POST /carts/{id}/items", spec, 200);
    if (!a.ok())
      co_return ended_by(a);
    co_return cart;
  }

  asio::awaitable<journey_result> flash_journey(customer& c) {
    if (c.cart_id.empty()) {
      auto filled = co_await fill_cart(c);
      if (auto* ended = std::get_if<journey_result>(&filled))
        co_return *ended;
      c.cart_id = std::get<std::string>(filled);
    }
    cart_lines lines{{plan_.flash_sku, 1}};
    co_return co_await check_out(c, c.cart_id, lines);
  }

  // -- mixed ---------------------------------------------------------------------

  /// One journey of a kind drawn by --mix, recorded under the kind's name.
  asio::awaitable<journey_result> mixed_journey(customer& c) {
    auto kind = pick_kind(opt_.mix, rng_);
    journey_result jr;
    switch (kind) {
    case mix_kind::checkout:
      jr = co_await checkout_journey(c);
      break;
    case mix_kind::price:
      jr = co_await price_journey(c);
      break;
    case mix_kind::orders:
      jr = co_await orders_journey(c);
      break;
    case mix_kind::ship:
      jr = co_await ship_journey(c);
      break;
    }
    jr.label = to_string(kind);
    co_return jr;
  }

  /// The admin sets a product's price: PATCH /products/{sku} {price_cents},
  /// within 10% of its price at set-up (so a cart's total stays near what
  /// the gateway approves).
  asio::awaitable<journey_result> price_journey(customer& c) {
    const auto& pr = random_product();
    int64_t base = pr.price_cents > 0 ? pr.price_cents : 1000;
    int64_t price = std::max<int64_t>(
      1, base * std::uniform_int_distribution<int64_t>(90, 110)(rng_) / 100);
    auto body = "{\"price_cents\":" + std::to_string(price) + "}";
    request_spec spec{"PATCH", "/api/v1/products/" + pr.sku, &body, &plan_.admin.token};
    auto a = co_await call(c, "PATCH /products/{sku}", spec, 200);
    if (!a.ok())
      co_return ended_by(a);
    co_return succeeded();
  }

  /// A registered customer reads its order list (newest first).
  asio::awaitable<journey_result> orders_journey(customer& c) {
    request_spec spec{"GET", "/api/v1/orders?limit=20", nullptr,
                      c.account >= 0 ? token_of(c) : &plan_.admin.token};
    auto a = co_await call(c, "GET /orders", spec, 200);
    if (!a.ok())
      co_return ended_by(a);
    co_return succeeded();
  }

  /// The admin moves an order of this run along: delivers a shipped one or
  /// ships a paid one (each about half the time when both wait). With
  /// neither waiting (early in the run) the journey is the business outcome
  /// nothing_to_ship.
  asio::awaitable<journey_result> ship_journey(customer& c) {
    bool deliver = !to_deliver_.empty() && (to_ship_.empty() || (rng_() & 1) != 0);
    if (!deliver && to_ship_.empty()) {
      journey_result jr;
      jr.o = outcome::business;
      jr.code = "nothing_to_ship";
      co_return jr;
    }
    auto& queue = deliver ? to_deliver_ : to_ship_;
    std::string order_id = queue.front();
    queue.pop_front();
    answer a;
    if (deliver) {
      request_spec spec{"POST", "/api/v1/orders/" + order_id + "/deliver", nullptr,
                        &plan_.admin.token};
      a = co_await call(c, "POST /orders/{id}/deliver", spec, 200);
    } else {
      auto body = "{\"carrier\":\"DHL\",\"tracking_number\":\"LOAD-" + std::to_string(index_) +
                  "-" + std::to_string(++shipments_) + "\"}";
      request_spec spec{"POST", "/api/v1/orders/" + order_id + "/ship", &body,
                        &plan_.admin.token};
      a = co_await call(c, "POST /orders/{id}/ship", spec, 200);
      if (a.ok())
        to_deliver_.push_back(order_id);
    }
    if (!a.ok())
      co_return ended_by(a);
    co_return succeeded();
  }
};

// -- set-up and verification (one connection or a few lanes, off the clock) -----

/// Runs the coroutines to completion on `ioc`; rethrows the first failure.
void run_all(asio::io_context& ioc, std::vector<asio::awaitable<void>> tasks) {
  std::exception_ptr first;
  for (auto& t : tasks)
    asio::co_spawn(ioc, std::move(t), [&first](std::exception_ptr e) {
      if (e && !first)
        first = e;
    });
  ioc.restart();
  ioc.run();
  if (first)
    std::rethrow_exception(first);
}

std::string describe(const http_result& r) {
  if (r.status == 0)
    return r.failure == "connect" ? "no answer (could not connect)"
                                  : "no answer (" + r.failure + ")";
  auto body = r.body.size() > 300 ? r.body.substr(0, 300) + "..." : r.body;
  return std::to_string(r.status) + " " + body;
}

asio::awaitable<http_result> expect(connection& conn, const request_spec& spec, int status,
                                    const std::string& what) {
  auto r = co_await conn.send(spec);
  if (r.status != status)
    throw setup_error(what + ": " + spec.method + " " + spec.target +
                      (r.status == 0 ? " got " : " answered ") + describe(r));
  co_return r;
}

json::object parse_object(const std::string& body, const std::string& what) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object())
    throw setup_error(what + ": the answer is not a JSON object");
  return std::move(v.get_object());
}

asio::awaitable<void> read_catalogue(connection& conn, plan& p) {
  std::string cursor;
  for (int page = 0; page < 10000; ++page) {
    std::string target = "/api/v1/products?limit=200";
    if (!cursor.empty())
      target += "&cursor=" + cursor;
    request_spec spec{"GET", target};
    const std::string what = "reading the catalogue";
    auto r = co_await expect(conn, spec, 200, what);
    auto body = parse_object(r.body, "reading the catalogue");
    if (auto* items = body.if_contains("items"); items && items->is_array())
      for (auto& item : items->get_array()) {
        if (!item.is_object())
          continue;
        auto& o = item.get_object();
        product pr;
        if (auto* s = o.if_contains("sku"); s && s->is_string())
          pr.sku = s->get_string();
        if (auto* n = o.if_contains("name"); n && n->is_string())
          pr.name = n->get_string();
        if (auto* a = o.if_contains("available"); a && a->is_int64())
          pr.available = a->get_int64();
        if (auto* c = o.if_contains("price_cents"); c && c->is_int64())
          pr.price_cents = c->get_int64();
        if (!pr.sku.empty() && pr.available > 0)
          p.catalogue.push_back(std::move(pr));
      }
    auto* next = body.if_contains("next_cursor");
    if (!next || !next->is_string() || next->get_string().empty())
      break;
    cursor = next->get_string();
  }
}

void collect_words(plan& p) {
  std::vector<std::string> words;
  for (const auto& pr : p.catalogue) {
    std::string word;
    for (char ch : pr.name + " ") {
      if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
        word += static_cast<char>(ch | 0x20);
        continue;
      }
      if (word.size() >= 4)
        words.push_back(word);
      word.clear();
    }
  }
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  p.words = std::move(words);
}

asio::awaitable<account> log_in(connection& conn, const std::string& email,
                                const std::string& password) {
  auto body = "{\"email\":" + json_string(email) + ",\"password\":" + json_string(password) + "}";
  request_spec spec{"POST", "/api/v1/auth/login", &body};
  const std::string what = "logging in " + email;
  auto r = co_await expect(conn, spec, 200, what);
  auto o = parse_object(r.body, "login");
  account a;
  a.email = email;
  if (auto* t = o.if_contains("token"); t && t->is_string())
    a.token = t->get_string();
  if (auto* id = o.if_contains("customer_id"); id && id->is_string())
    a.customer_id = id->get_string();
  if (a.token.empty())
    throw setup_error("login of " + email + " returned no token");
  co_return a;
}

/// Registers and logs in accounts [lane, lane + lanes, ...).
asio::awaitable<void> register_lane(const plan& p, plan& out, std::string run_id, int lane,
                                    int lanes) {
  auto conn = p.make_setup_connection(co_await asio::this_coro::executor);
  const std::string password = "load-password-1";
  for (int i = lane; i < static_cast<int>(out.accounts.size()); i += lanes) {
    auto email = "load-" + run_id + "-" + std::to_string(i) + "@load.test";
    auto body = "{\"email\":" + json_string(email) + ",\"password\":" + json_string(password) +
                ",\"name\":" + json_string("Load Customer " + std::to_string(i)) + "}";
    request_spec spec{"POST", "/api/v1/auth/register", &body};
    const std::string what = "registering " + email;
    co_await expect(*conn, spec, 201, what);
    out.accounts[static_cast<std::size_t>(i)] = co_await log_in(*conn, email, password);
  }
}

/// The result of the end-of-run checks.
struct verification {
  struct check {
    std::string name;
    bool ok = true;
    std::string detail;
  };
  std::vector<check> checks;
  bool ok() const {
    for (const auto& c : checks)
      if (!c.ok)
        return false;
    return true;
  }
};

struct inventory_level {
  int64_t on_hand = 0, reserved = 0, available = 0;
};

asio::awaitable<inventory_level> read_inventory(connection& conn, const std::string& sku) {
  request_spec spec{"GET", "/api/v1/inventory/" + sku};
  const std::string what = "reading inventory";
  auto r = co_await expect(conn, spec, 200, what);
  auto o = parse_object(r.body, "inventory");
  inventory_level lv;
  auto get = [&](const char* key) -> int64_t {
    auto* v = o.if_contains(key);
    return v && v->is_int64() ? v->get_int64() : 0;
  };
  lv.on_hand = get("on_hand");
  lv.reserved = get("reserved");
  lv.available = get("available");
  co_return lv;
}

struct readback {
  std::size_t checked = 0, good = 0;
  std::vector<std::string> problems;
};

/// Reads back checkouts [lane, lane + lanes, ...) of `sample`.
asio::awaitable<void> readback_lane(const plan& p, const std::vector<checkout_record>& sample,
                                    readback& out, int lane, int lanes) {
  auto conn = p.make_setup_connection(co_await asio::this_coro::executor);
  for (std::size_t i = static_cast<std::size_t>(lane); i < sample.size();
       i += static_cast<std::size_t>(lanes)) {
    const auto& rec = sample[i];
    std::string problem;
    if (rec.customer >= 0) {
      const auto& token = p.accounts[static_cast<std::size_t>(rec.customer)].token;
      request_spec spec{"GET", "/api/v1/orders/" + rec.order_id, nullptr, &token};
      auto r = co_await conn->send(spec);
      auto status = string_field(r.body, "status");
      if (r.status != 200 || (status != "paid" && status != "shipped" && status != "delivered"))
        problem = "order " + rec.order_id + ": " + (r.status == 200 ? "status " + status : describe(r));
    } else {
      request_spec spec{"GET", "/api/v1/checkouts/" + rec.checkout_id};
      auto r = co_await conn->send(spec);
      auto fields = string_fields(r.body, {"status", "order_id"});
      const auto& status = fields[0];
      const auto& order = fields[1];
      if (r.status != 200 || status != "completed" || order != rec.order_id)
        problem = "checkout " + rec.checkout_id + ": " +
                  (r.status == 200 ? "status " + status + ", order " + order : describe(r));
    }
    ++out.checked;
    if (problem.empty())
      ++out.good;
    else if (out.problems.size() < 5)
      out.problems.push_back(problem);
  }
}

verification::check verify_checkouts(asio::io_context& ioc, const plan& p,
                                     std::vector<checkout_record> all, std::size_t limit,
                                     uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::shuffle(all.begin(), all.end(), rng);
  std::size_t total = all.size();
  if (all.size() > limit)
    all.resize(limit);
  readback rb;
  std::vector<asio::awaitable<void>> lanes;
  for (int lane = 0; lane < 8; ++lane)
    lanes.push_back(readback_lane(p, all, rb, lane, 8));
  run_all(ioc, std::move(lanes));
  verification::check c;
  bool registered = !p.accounts.empty();
  c.name = "checkouts read back";
  c.ok = rb.good == rb.checked;
  c.detail = std::to_string(rb.good) + " of " + std::to_string(rb.checked) + " sampled (of " +
             std::to_string(total) + " successful journeys) " +
             (registered ? "have their order paid, shipped or delivered (GET /orders/{id})"
                         : "are completed with their order (GET /checkouts/{id})");
  for (const auto& problem : rb.problems)
    c.detail += "; " + problem;
  return c;
}

using level_map = std::map<std::string, inventory_level>;

/// Reads every catalogue SKU's inventory, 8 lanes in parallel.
level_map read_levels(asio::io_context& ioc, const plan& p) {
  level_map out;
  // (A named closure: a coroutine lambda's captures live in the closure.)
  auto lane = [&](int first, int lanes) -> asio::awaitable<void> {
    auto conn = p.make_setup_connection(co_await asio::this_coro::executor);
    for (std::size_t i = static_cast<std::size_t>(first); i < p.catalogue.size();
         i += static_cast<std::size_t>(lanes)) {
      const auto& sku = p.catalogue[i].sku;
      auto lv = co_await read_inventory(*conn, sku);
      out[sku] = lv;
    }
  };
  std::vector<asio::awaitable<void>> lanes;
  for (int l = 0; l < 8; ++l)
    lanes.push_back(lane(l, 8));
  run_all(ioc, std::move(lanes));
  return out;
}

std::size_t count_reserved(const level_map& levels) {
  std::size_t n = 0;
  for (const auto& [sku, lv] : levels)
    n += lv.reserved != 0 ? 1 : 0;
  return n;
}

/// At set-up: the on_hand of every SKU the run may buy, read once no SKU
/// is reserved (a checkout from before the run still settling would move
/// on_hand during it); waits at most 30 s for that.
void record_initial_stock(asio::io_context& ioc, plan& p) {
  std::fprintf(stderr, "agora-load: reading the stock of %zu SKUs...\n", p.catalogue.size());
  auto deadline = clock::now() + 30s;
  level_map levels;
  for (;;) {
    levels = read_levels(ioc, p);
    if (count_reserved(levels) == 0 || clock::now() >= deadline)
      break;
    std::this_thread::sleep_for(500ms);
  }
  if (auto n = count_reserved(levels))
    std::fprintf(stderr,
                 "agora-load: warning: %zu SKUs still have reserved > 0 after 30 s; stock "
                 "conservation may report checkouts from before the run\n",
                 n);
  p.initial_on_hand.clear();
  for (const auto& [sku, lv] : levels)
    p.initial_on_hand[sku] = lv.on_hand;
}

/// The state of the shop once the load has stopped and settled.
struct settled_state {
  level_map levels;
  /// SKUs still reserved at the last read.
  std::size_t reserved_skus = 0;
  double waited_s = 0;
  /// Unresolved checkouts by what their cart says now: checked_out (the
  /// checkout completed), open (it did not), anything else or unreadable.
  std::vector<checkout_record> completed, unknown;
  std::size_t not_completed = 0;
};

/// Sorts unresolved checkouts by their cart's status (GET /carts/{id}).
void resolve_carts(asio::io_context& ioc, const plan& p, std::vector<checkout_record> pending,
                   settled_state& out) {
  out.completed.clear();
  out.unknown.clear();
  out.not_completed = 0;
  auto lane = [&](std::size_t first, std::size_t lanes) -> asio::awaitable<void> {
    auto conn = p.make_setup_connection(co_await asio::this_coro::executor);
    for (std::size_t i = first; i < pending.size(); i += lanes) {
      const auto& rec = pending[i];
      const std::string* token =
        rec.customer >= 0 ? &p.accounts[static_cast<std::size_t>(rec.customer)].token : nullptr;
      request_spec spec{"GET", "/api/v1/carts/" + rec.cart_id, nullptr, token};
      auto r = co_await conn->send(spec);
      auto status = r.status == 200 ? string_field(r.body, "status") : std::string();
      if (status == "checked_out")
        out.completed.push_back(rec);
      else if (status == "open")
        ++out.not_completed;
      else
        out.unknown.push_back(rec);
    }
  };
  std::vector<asio::awaitable<void>> lanes;
  for (std::size_t l = 0; l < std::min<std::size_t>(8, pending.size()); ++l)
    lanes.push_back(lane(l, 8));
  run_all(ioc, std::move(lanes));
}

/// Waits (at most 30 s) until no SKU is reserved and every unresolved
/// checkout's cart says how it ended: checkouts cut off by the end of the
/// run may still be running or compensating.
settled_state settle(asio::io_context& ioc, const plan& p, const run_stats& stats) {
  settled_state st;
  auto begin = clock::now();
  auto deadline = begin + 30s;
  // A POST cut off at the hard stop may still be on its way into the node.
  if (!stats.unresolved.empty())
    std::this_thread::sleep_for(1s);
  for (;;) {
    st.levels = read_levels(ioc, p);
    st.reserved_skus = count_reserved(st.levels);
    if (st.reserved_skus == 0)
      resolve_carts(ioc, p, stats.unresolved, st);
    bool done = st.reserved_skus == 0 && st.unknown.empty();
    if (done || clock::now() >= deadline)
      break;
    std::this_thread::sleep_for(500ms);
  }
  if (st.reserved_skus != 0) // timed out: resolve what can be
    resolve_carts(ioc, p, stats.unresolved, st);
  st.waited_s = std::chrono::duration<double>(clock::now() - begin).count();
  return st;
}

verification::check check_levels(const settled_state& st) {
  std::size_t bad = 0;
  std::vector<std::string> problems;
  for (const auto& [sku, lv] : st.levels)
    if (lv.available < 0 || lv.reserved < 0 || lv.on_hand < 0 || lv.reserved > lv.on_hand) {
      ++bad;
      if (problems.size() < 5)
        problems.push_back(sku + ": on_hand " + std::to_string(lv.on_hand) + ", reserved " +
                           std::to_string(lv.reserved) + ", available " +
                           std::to_string(lv.available));
    }
  verification::check c;
  c.name = "no negative stock";
  c.ok = bad == 0;
  c.detail = std::to_string(st.levels.size()) + " SKUs read (GET /inventory/{sku}): " +
             (bad == 0 ? std::string("none negative, 0 <= reserved <= on_hand everywhere")
                       : std::to_string(bad) + " violate 0 <= reserved <= on_hand");
  for (const auto& problem : problems)
    c.detail += "; " + problem;
  return c;
}

/// Counts the orders placed since `since_ms` (admin GET /orders, newest
/// first, 200 a page, until a page reaches older orders).
asio::awaitable<void> count_orders(const plan& p, int64_t since_ms, order_tally& tally,
                                   int& pages) {
  auto conn = p.make_setup_connection(co_await asio::this_coro::executor);
  std::string cursor;
  for (pages = 0; pages < 100000;) {
    std::string target = "/api/v1/orders?limit=200";
    if (!cursor.empty())
      target += "&cursor=" + cursor;
    request_spec spec{"GET", target, nullptr, &p.admin.token};
    const std::string what = "listing orders";
    auto r = co_await expect(*conn, spec, 200, what);
    ++pages;
    auto body = parse_object(r.body, what);
    bool older = false;
    if (auto* items = body.if_contains("items"); items && items->is_array())
      for (auto& item : items->get_array()) {
        if (!item.is_object())
          continue;
        auto& o = item.get_object();
        auto* created = o.if_contains("created_at");
        auto at = created && created->is_string()
                    ? parse_timestamp_ms(std::string_view(created->get_string()))
                    : std::nullopt;
        if (!at)
          throw setup_error("listing orders: an order without a readable created_at");
        if (*at < since_ms) {
          older = true;
          continue;
        }
        auto* status = o.if_contains("status");
        tally.add(status && status->is_string() ? std::string_view(status->get_string())
                                                : std::string_view());
      }
    auto* next = body.if_contains("next_cursor");
    if (older || !next || !next->is_string() || next->get_string().empty())
      break;
    cursor = next->get_string();
  }
}

/// Figures of the end-of-run verification, for the JSON result.
struct verify_figures {
  bool present = false;
  uint64_t checkouts_reported = 0;
  uint64_t cut_off = 0, cut_off_completed = 0, cut_off_open = 0, cut_off_unknown = 0;
  std::optional<order_tally> orders;
  int64_t units_sold = 0;
  std::size_t skus = 0;
  double settle_s = 0;
};

/// checkout, mixed and cart: stock levels, stock conservation per SKU and
/// (checkout, mixed) orders created against checkouts reported, and a
/// sample of checkouts read back.
void verify_run(asio::io_context& ioc, const plan& p, const run_stats& stats, int64_t since_ms,
                uint64_t seed, verification& v, verify_figures& fig) {
  const auto& opt = *p.opt;
  bool buys = opt.scenario != scenario::cart;
  auto st = settle(ioc, p, stats);
  fig.present = true;
  fig.checkouts_reported = stats.checkouts.size();
  fig.cut_off = stats.unresolved.size();
  fig.cut_off_completed = st.completed.size();
  fig.cut_off_open = st.not_completed;
  fig.cut_off_unknown = st.unknown.size();
  fig.settle_s = st.waited_s;

  v.checks.push_back(check_levels(st));
  {
    verification::check c;
    c.name = "reservations released";
    c.ok = st.reserved_skus == 0;
    char waited[32];
    std::snprintf(waited, sizeof waited, "%.1f", st.waited_s);
    c.detail = c.ok ? std::string("no SKU reserved after the run (settled in ") + waited + " s)"
                    : std::to_string(st.reserved_skus) +
                        " SKUs still have reserved > 0 30 s after the run (a checkout stuck or "
                        "a reservation leaked)";
    v.checks.push_back(c);
  }

  sku_units sold, maybe;
  add_units(stats.checkouts, sold);
  add_units(st.completed, sold);
  add_units(st.unknown, maybe);
  sku_units final_on_hand;
  for (const auto& [sku, lv] : st.levels)
    final_on_hand[sku] = lv.on_hand;
  auto cons = check_conservation(p.initial_on_hand, final_on_hand, sold, maybe);
  fig.units_sold = cons.units_sold;
  fig.skus = cons.skus;
  {
    verification::check c;
    c.name = "stock conservation";
    c.ok = cons.ok();
    c.detail = cons.detail();
    if (!st.completed.empty() || !st.unknown.empty())
      c.detail += " (sold includes " + std::to_string(st.completed.size()) +
                  " cut-off checkouts found completed" +
                  (st.unknown.empty()
                     ? std::string()
                     : ", and allows for " + std::to_string(st.unknown.size()) +
                         " whose outcome is unknown") +
                  ")";
    v.checks.push_back(c);
  }
  if (!buys)
    return;

  order_tally tally;
  int pages = 0;
  auto count = [&]() -> asio::awaitable<void> {
    co_await count_orders(p, since_ms, tally, pages);
  };
  std::vector<asio::awaitable<void>> one;
  one.push_back(count());
  run_all(ioc, std::move(one));
  fig.orders = tally;
  auto oc = check_order_count(tally, stats.checkouts.size(), st.completed.size(),
                              st.unknown.size());
  std::string cut;
  if (!stats.unresolved.empty())
    cut = "; " + std::to_string(stats.unresolved.size()) +
          " journeys were cut off after their checkout POST was sent (" +
          std::to_string(st.completed.size()) + " completed, unreported; " +
          std::to_string(st.not_completed) + " did not; " + std::to_string(st.unknown.size()) +
          " unknown)";
  v.checks.push_back({"orders created == checkouts reported", oc.ok,
                      oc.detail + cut + " [admin GET /orders, " + std::to_string(pages) +
                        " pages]"});
  v.checks.push_back(verify_checkouts(ioc, p, stats.checkouts,
                                      static_cast<std::size_t>(opt.verify_sample), seed));
}

struct flash_result {
  uint64_t succeeded = 0;
  inventory_level level;
  bool zero_oversell = false;
  bool sold_exactly = false;
  std::string verdict;
  /// The reservation decisions on the node's clock (read_decisions).
  decision_span decisions;
  /// Checkouts of the race whose decision could not be read.
  std::size_t unread = 0;
};

/// Reads the reservation decision of every checkout of the race, the
/// successful ones and the refused ones, through GET /checkouts/{id} (8
/// lanes): the race's decisions on the node's clock, from the first
/// checkout's start to the last decision. A winner's answer comes only at
/// the end of its checkout, after the payment, so the client's clock cannot
/// tell when its unit was decided.
void read_decisions(asio::io_context& ioc, const plan& p, const run_stats& stats,
                    flash_result& f) {
  std::vector<std::pair<std::string, int>> ids; // checkout id, customer
  for (const auto& c : stats.checkouts)
    ids.emplace_back(c.checkout_id, c.customer);
  for (const auto& [body, customer] : stats.refusals)
    ids.emplace_back(refused_checkout_id(body), customer);
  std::vector<decision_times> decided;
  // (A named closure: a coroutine lambda's captures live in the closure.)
  auto lane = [&](std::size_t first, std::size_t lanes) -> asio::awaitable<void> {
    auto conn = p.make_setup_connection(co_await asio::this_coro::executor);
    for (std::size_t i = first; i < ids.size(); i += lanes) {
      const auto& [id, customer] = ids[i];
      if (id.empty()) {
        ++f.unread;
        continue;
      }
      const std::string* token =
        customer >= 0 ? &p.accounts[static_cast<std::size_t>(customer)].token : nullptr;
      request_spec spec{"GET", "/api/v1/checkouts/" + id, nullptr, token};
      auto r = co_await conn->send(spec);
      auto d = r.status == 200 ? parse_decision(r.body) : std::nullopt;
      if (d)
        decided.push_back(*d);
      else
        ++f.unread;
    }
  };
  std::vector<asio::awaitable<void>> lanes;
  for (std::size_t l = 0; l < 8; ++l)
    lanes.push_back(lane(l, 8));
  run_all(ioc, std::move(lanes));
  f.decisions = span_of(decided);
}

flash_result verify_flash(asio::io_context& ioc, const plan& p, const run_stats& stats,
                          verification& v) {
  const auto& opt = *p.opt;
  flash_result f;
  f.succeeded = stats.checkouts.size();
  // Checkouts cut off by the end of the run may still be compensating:
  // wait (up to 30 s) for reservations to drain.
  auto conn = p.make_setup_connection(ioc.get_executor());
  auto deadline = clock::now() + 30s;
  // (A named closure: a coroutine lambda's captures live in the closure.)
  auto read = [&]() -> asio::awaitable<void> {
    f.level = co_await read_inventory(*conn, p.flash_sku);
  };
  for (;;) {
    std::vector<asio::awaitable<void>> one;
    one.push_back(read());
    run_all(ioc, std::move(one));
    if (f.level.reserved == 0 || clock::now() >= deadline)
      break;
    std::this_thread::sleep_for(200ms);
  }
  auto stock = static_cast<uint64_t>(opt.stock);
  auto expected = std::min<uint64_t>(stock, static_cast<uint64_t>(opt.customers));
  f.zero_oversell = f.succeeded <= stock && f.level.on_hand >= 0 &&
                    static_cast<uint64_t>(f.level.on_hand) + f.succeeded == stock &&
                    f.level.reserved == 0;
  f.sold_exactly = f.succeeded == expected;
  if (!f.zero_oversell)
    f.verdict = "VIOLATION: " + std::to_string(f.succeeded) + " checkouts succeeded for " +
                std::to_string(stock) + " units; inventory on_hand " +
                std::to_string(f.level.on_hand) + ", reserved " +
                std::to_string(f.level.reserved);
  else
    f.verdict = "zero oversell: " + std::to_string(f.succeeded) + " of " +
                std::to_string(opt.customers) + " customers bought one of " +
                std::to_string(stock) + " units; on_hand " + std::to_string(f.level.on_hand) +
                ", reserved " + std::to_string(f.level.reserved);
  v.checks.push_back({"flash sale", f.zero_oversell, f.verdict});
  v.checks.push_back({"flash sale: sold min(stock, customers)", f.sold_exactly,
                      std::to_string(f.succeeded) + " succeeded, expected " +
                        std::to_string(expected)});
  read_decisions(ioc, p, stats, f);
  return f;
}

// -- output ---------------------------------------------------------------------

json::object summary_json(const summary& s) {
  json::object o;
  o["count"] = s.count;
  o["per_second"] = s.per_second;
  o["mean_ms"] = s.mean_ms;
  o["p50_ms"] = s.p50_ms;
  o["p90_ms"] = s.p90_ms;
  o["p99_ms"] = s.p99_ms;
  o["p99_9_ms"] = s.p999_ms;
  o["max_ms"] = s.max_ms;
  return o;
}

void pretty(std::ostream& os, const json::value& v, int indent = 0) {
  auto pad = [&](int n) { os << std::string(static_cast<std::size_t>(n), ' '); };
  if (v.is_object() && !v.get_object().empty()) {
    os << "{\n";
    bool first = true;
    for (const auto& [k, x] : v.get_object()) {
      if (!first)
        os << ",\n";
      first = false;
      pad(indent + 2);
      os << json::serialize(json::value(json::string(k))) << ": ";
      pretty(os, x, indent + 2);
    }
    os << "\n";
    pad(indent);
    os << "}";
  } else if (v.is_array() && !v.get_array().empty()) {
    os << "[\n";
    bool first = true;
    for (const auto& x : v.get_array()) {
      if (!first)
        os << ",\n";
      first = false;
      pad(indent + 2);
      pretty(os, x, indent + 2);
    }
    os << "\n";
    pad(indent);
    os << "]";
  } else if (v.is_double()) {
    // Plain decimals (Boost.JSON would write 3.0333333333333332E1):
    // microsecond resolution is three decimals of a millisecond.
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", v.get_double());
    std::string text = buf;
    while (text.back() == '0')
      text.pop_back();
    if (text.back() == '.')
      text.pop_back();
    os << text;
  } else {
    os << json::serialize(v);
  }
}

json::array keys_json(const error_counts& m) {
  json::array a;
  for (const auto& [k, n] : m) {
    json::object o;
    o["request"] = k.request;
    o["status"] = k.status;
    o["code"] = k.code;
    o["count"] = n;
    a.push_back(std::move(o));
  }
  return a;
}

std::string mode_text(const options& opt) {
  char buf[300];
  if (opt.scenario == scenario::flash_sale)
    std::snprintf(buf, sizeof buf, "%d customers racing for %lld units", opt.customers,
                  static_cast<long long>(opt.stock));
  else if (opt.open_loop())
    std::snprintf(buf, sizeof buf, "open loop, %.1f journeys/s, %.0f s measured after %.0f s warm-up",
                  *opt.rate, opt.duration_s, opt.warmup_s);
  else
    std::snprintf(buf, sizeof buf, "closed loop, %d customers, %.0f s measured after %.0f s warm-up",
                  opt.customers, opt.duration_s, opt.warmup_s);
  std::string text = buf;
  if (opt.scenario == scenario::mixed)
    text += ", mix " + opt.mix.text();
  if (opt.scenario == scenario::checkout || opt.scenario == scenario::cart ||
      opt.scenario == scenario::mixed)
    text += ", " + opt.lines.text() + " lines per cart";
  return text;
}

// -- progress -------------------------------------------------------------------

void print_progress(const plan& p, const live_counters& live, uint64_t& last_journeys,
                    uint64_t& last_requests, double dt) {
  auto now = clock::now();
  const char* phase = now < p.t_record ? "warm-up" : now < p.t_end ? "measuring" : "draining";
  double t = std::chrono::duration<double>(now - p.t_start).count();
  auto j = live.journeys.load(std::memory_order_relaxed);
  auto r = live.requests.load(std::memory_order_relaxed);
  std::fprintf(stderr,
               "\r[%6.1fs] %-9s journeys %llu (%.0f/s, ok %llu)  requests %llu (%.0f/s)  errors "
               "%llu  in flight %lld   ",
               t, phase, static_cast<unsigned long long>(j),
               static_cast<double>(j - last_journeys) / dt,
               static_cast<unsigned long long>(live.ok.load(std::memory_order_relaxed)),
               static_cast<unsigned long long>(r), static_cast<double>(r - last_requests) / dt,
               static_cast<unsigned long long>(live.errors.load(std::memory_order_relaxed)),
               static_cast<long long>(live.in_flight.load(std::memory_order_relaxed)));
  std::fflush(stderr);
  last_journeys = j;
  last_requests = r;
}

void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

} // namespace

int run(const options& opt_in) {
  options opt = opt_in;
  raise_fd_limit();
  uint64_t seed = opt.seed ? opt.seed
                           : static_cast<uint64_t>(clock::now().time_since_epoch().count()) ^
                               (static_cast<uint64_t>(getpid()) << 32);
  std::mt19937_64 seeder(seed);

  plan p;
  p.opt = &opt;
  p.host_header = opt.url.host + ":" + opt.url.port;
  p.checkout_body =
    R"({"shipping_address":{"name":"Load","line1":"1 Test St","city":"Berlin","postal_code":"10115","country":"DE"},"payment":{"method":"card","token":"tok_ok"}})";
  char run_id[32];
  std::snprintf(run_id, sizeof run_id, "%llx",
                static_cast<unsigned long long>(seeder() & 0xffffffffffULL));

  asio::io_context setup_ioc{1};
  try {
    tcp::resolver resolver(setup_ioc);
    boost::system::error_code ec;
    auto results = resolver.resolve(opt.url.host, opt.url.port, ec);
    if (ec)
      throw setup_error("cannot resolve " + opt.url.host + ": " + ec.message());
    for (const auto& r : results)
      p.endpoints.push_back(r.endpoint());

    auto conn = p.make_setup_connection(setup_ioc.get_executor());
    // (A named closure: a coroutine lambda's captures live in the closure.)
    auto setup = [&]() -> asio::awaitable<void> {
      request_spec health{"GET", "/healthz"};
      const std::string reach = "reaching the node at " + opt.url_text;
      co_await expect(*conn, health, 200, reach);
      bool verifies_orders =
        opt.verify && (opt.scenario == scenario::checkout || opt.scenario == scenario::mixed);
      if (opt.scenario == scenario::flash_sale || opt.scenario == scenario::mixed ||
          verifies_orders) {
        p.admin = co_await log_in(*conn, opt.admin_email, opt.admin_password);
      }
      if (opt.scenario == scenario::flash_sale) {
        const auto& admin = p.admin;
        p.flash_sku = std::string("FLASH-") + run_id;
        auto body = "{\"sku\":" + json_string(p.flash_sku) +
                    ",\"name\":\"Flash sale item\",\"description\":\"agora-load flash sale\","
                    "\"price_cents\":1000,\"currency\":\"USD\",\"category\":\"Load\","
                    "\"initial_stock\":" +
                    std::to_string(opt.stock) + "}";
        request_spec create{"POST", "/api/v1/products", &body, &admin.token};
        const std::string what = "creating the flash-sale product";
        co_await expect(*conn, create, 201, what);
        p.catalogue.push_back({p.flash_sku, "Flash sale item", opt.stock});
      } else {
        // The list comes from a read model that trails the journal by up to
        // a second: a freshly seeded node may list nothing yet, or part of
        // its catalogue. Read until two reads a second apart agree.
        auto deadline = clock::now() + 30s;
        std::size_t previous = 0;
        for (;;) {
          p.catalogue.clear();
          co_await read_catalogue(*conn, p);
          if ((!p.catalogue.empty() && p.catalogue.size() == previous) ||
              clock::now() >= deadline)
            break;
          previous = p.catalogue.size();
          asio::steady_timer wait(co_await asio::this_coro::executor, 1s);
          co_await wait.async_wait(use_tuple);
        }
        if (p.catalogue.empty())
          throw setup_error("the catalogue has no product with available > 0 (start the node "
                            "with --catalogue.seed_demo=true, or add stock)");
        collect_words(p);
      }
    };
    std::vector<asio::awaitable<void>> steps;
    steps.push_back(setup());
    run_all(setup_ioc, std::move(steps));
    conn->close();
    if (opt.verify && (opt.scenario == scenario::checkout || opt.scenario == scenario::cart ||
                       opt.scenario == scenario::mixed))
      record_initial_stock(setup_ioc, p);

    if (opt.do_register) {
      p.accounts.resize(static_cast<std::size_t>(opt.customers));
      std::fprintf(stderr, "agora-load: registering and logging in %d customers...\n",
                   opt.customers);
      std::vector<asio::awaitable<void>> lanes;
      for (int lane = 0; lane < 8; ++lane)
        lanes.push_back(register_lane(p, p, run_id, lane, 8));
      run_all(setup_ioc, std::move(lanes));
    }
  } catch (const std::exception& e) {
    std::cerr << "agora-load: set-up failed: " << e.what() << "\n";
    return 3;
  }

  // Workers: closed-loop customers are split between them and connect
  // before the clock starts.
  live_counters live;
  std::vector<std::unique_ptr<worker>> workers;
  for (int i = 0; i < opt.threads; ++i)
    workers.push_back(std::make_unique<worker>(p, live, i, seeder()));
  if (!opt.open_loop()) {
    std::vector<std::thread> threads;
    int first = 0;
    for (int i = 0; i < opt.threads; ++i) {
      int count = opt.customers / opt.threads + (i < opt.customers % opt.threads ? 1 : 0);
      threads.emplace_back([&w = *workers[static_cast<std::size_t>(i)], first, count] {
        w.prepare_closed(first, count);
      });
      first += count;
    }
    for (auto& t : threads)
      t.join();
    int failures = 0;
    for (auto& w : workers)
      failures += w->connect_failures;
    if (failures > 0)
      std::fprintf(stderr, "agora-load: %d of %d connections failed to open (they retry)\n",
                   failures, opt.customers);
  }

  bool once = opt.scenario == scenario::flash_sale;
  p.t_start = clock::now() + 50ms;
  p.t_record = once ? p.t_start
                    : p.t_start + std::chrono::duration_cast<clock::duration>(
                                    std::chrono::duration<double>(opt.warmup_s));
  p.t_end = once ? p.t_start
                 : p.t_record + std::chrono::duration_cast<clock::duration>(
                                  std::chrono::duration<double>(opt.duration_s));
  p.t_drain = once ? p.t_start + std::chrono::duration_cast<clock::duration>(
                                   std::chrono::duration<double>(3 * opt.timeout_s + 70))
                   : p.t_end + std::chrono::duration_cast<clock::duration>(
                                 std::chrono::duration<double>(opt.timeout_s + 5));
  auto start_wall = std::chrono::system_clock::now() + 50ms;
  auto record_wall = start_wall + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                    p.t_record - p.t_start);

  std::fprintf(stderr, "agora-load %s: %s, %d thread%s, %s\n", to_string(opt.scenario),
               mode_text(opt).c_str(), opt.threads, opt.threads == 1 ? "" : "s",
               opt.url_text.c_str());

  std::atomic<int> running{opt.threads};
  std::vector<std::thread> threads;
  for (auto& w : workers)
    threads.emplace_back([&w = *w, &running] {
      w.run_load();
      running.fetch_sub(1);
    });
  bool show = opt.progress == "always" || (opt.progress == "auto" && isatty(STDERR_FILENO));
  uint64_t last_j = 0, last_r = 0;
  auto last = clock::now();
  while (running.load() > 0) {
    std::this_thread::sleep_for(50ms);
    auto now = clock::now();
    if (show && now - last >= 1s) {
      print_progress(p, live, last_j, last_r, std::chrono::duration<double>(now - last).count());
      last = now;
    }
  }
  for (auto& t : threads)
    t.join();
  if (show)
    std::fprintf(stderr, "\n");
  std::fprintf(stderr, "agora-load: load done%s\n", opt.verify ? "; verifying..." : "");
  for (auto& w : workers)
    w->close_connections();

  run_stats stats;
  clock::time_point last_done = p.t_start;
  for (auto& w : workers) {
    stats.merge(w->stats);
    last_done = std::max(last_done, w->last_done);
  }
  double seconds = once ? std::max(std::chrono::duration<double>(last_done - p.t_start).count(), 1e-3)
                        : opt.duration_s;
  // Recorded journeys still finishing after the window: short in closed
  // loop; in open loop a long drain means the node did not keep up with the
  // offered rate (per-second figures are then the offered rate).
  double drain_s =
    once ? 0.0 : std::max(0.0, std::chrono::duration<double>(last_done - p.t_end).count());

  // Verification through the API.
  verification v;
  verify_figures figures;
  std::optional<flash_result> flash;
  try {
    if (once) {
      flash = verify_flash(setup_ioc, p, stats, v);
      if (opt.verify)
        v.checks.push_back(verify_checkouts(setup_ioc, p, stats.checkouts,
                                            std::max<std::size_t>(1000, opt.verify_sample), seeder()));
    } else if (opt.verify && (opt.scenario == scenario::checkout ||
                              opt.scenario == scenario::cart || opt.scenario == scenario::mixed)) {
      auto since_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        start_wall.time_since_epoch())
                        .count();
      verify_run(setup_ioc, p, stats, since_ms, seeder(), v, figures);
    }
  } catch (const std::exception& e) {
    v.checks.push_back({"verification", false, std::string("could not complete: ") + e.what()});
  }

  // Report.
  std::printf("\nagora-load %s: %s, %d thread%s, %s\n", to_string(opt.scenario),
              mode_text(opt).c_str(), opt.threads, opt.threads == 1 ? "" : "s",
              opt.url_text.c_str());
  std::printf("measured %.1f s from %s; latency of requests from send to answer, of journeys "
              "from their %s start\n\n",
              seconds, rfc3339(record_wall).c_str(), opt.open_loop() ? "scheduled" : "actual");
  std::printf("%s", render_table(stats, seconds).c_str());
  if (drain_s > std::max(1.0, 0.1 * seconds))
    std::printf("\nnote: recorded journeys kept finishing for %.1f s after the window closed: the "
                "node did not keep up%s (journeys completed per second over window + drain: "
                "%.1f)\n",
                drain_s, opt.open_loop() ? " with the offered rate" : "",
                [&] {
                  uint64_t n = 0;
                  for (const auto& [label, j] : stats.journeys)
                    for (const auto& [name, c] : j.outcomes)
                      n += c;
                  return static_cast<double>(n) / (seconds + drain_s);
                }());
  if (!v.checks.empty()) {
    std::printf("\nverification (through the API)\n");
    for (const auto& c : v.checks)
      std::printf("  %-9s %s: %s\n", c.ok ? "OK" : "VIOLATION", c.name.c_str(), c.detail.c_str());
    std::printf("  %s\n", v.ok() ? "=> every check passed"
                                 : "=> VIOLATION: at least one check failed (exit status 1)");
  }
  if (flash) {
    std::printf("\n%s\n", flash->verdict.c_str());
    const auto& d = flash->decisions;
    std::printf("reservation decisions on the node's clock: %zu in %.3f s, %.0f/s (from the "
                "first checkout's start to the last reserve_inventory, GET /checkouts/{id})%s\n",
                d.decided, d.seconds(), d.per_second(),
                flash->unread ? (", " + std::to_string(flash->unread) + " unread").c_str() : "");
  }
  std::fflush(stdout);

  if (opt.out_path) {
    json::object out;
    out["tool"] = "agora-load";
    json::array cmd;
    cmd.push_back(json::string("agora-load"));
    for (const auto& a : opt.argv)
      cmd.push_back(json::string(a));
    out["command_line"] = std::move(cmd);
    out["start_time"] = rfc3339(start_wall);
    out["measured_from"] = rfc3339(record_wall);
    out["url"] = opt.url_text;
    out["scenario"] = to_string(opt.scenario);
    out["mode"] = once ? "one journey per customer" : opt.open_loop() ? "open" : "closed";
    if (opt.open_loop())
      out["rate"] = *opt.rate;
    else
      out["customers"] = opt.customers;
    out["threads"] = opt.threads;
    out["lines"] = opt.lines.text();
    if (opt.scenario == scenario::mixed) {
      json::object mix;
      for (std::size_t i = 0; i < mix_kind_count; ++i)
        mix[to_string(static_cast<mix_kind>(i))] = opt.mix.weight[i];
      out["mix"] = std::move(mix);
    }
    out["registered"] = opt.do_register;
    out["warmup_s"] = once ? 0.0 : opt.warmup_s;
    out["measured_s"] = seconds;
    out["drain_s"] = drain_s;
    out["seed"] = seed;
    json::object requests;
    for (const auto& [label, r] : stats.requests) {
      auto o = summary_json(summarize(r.latency, seconds));
      json::object statuses;
      for (auto [status, n] : r.statuses)
        statuses[status ? std::to_string(status) : "none"] = n;
      o["statuses"] = std::move(statuses);
      requests[label] = std::move(o);
    }
    out["requests"] = std::move(requests);
    json::object journeys;
    for (const auto& [label, j] : stats.journeys) {
      auto o = summary_json(summarize(j.latency, seconds));
      json::object outcomes;
      for (const auto& [name, n] : j.outcomes)
        outcomes[name] = n;
      o["outcomes"] = std::move(outcomes);
      journeys[label] = std::move(o);
    }
    out["journeys"] = std::move(journeys);
    out["errors"] = keys_json(stats.errors);
    out["business_outcomes"] = keys_json(stats.business);
    json::object ver;
    ver["ok"] = v.ok();
    json::array checks;
    for (const auto& c : v.checks) {
      json::object o;
      o["name"] = c.name;
      o["ok"] = c.ok;
      o["detail"] = c.detail;
      checks.push_back(std::move(o));
    }
    ver["checks"] = std::move(checks);
    if (figures.present) {
      json::object f;
      f["checkouts_reported"] = figures.checkouts_reported;
      f["checkouts_cut_off"] = figures.cut_off;
      f["cut_off_completed_unreported"] = figures.cut_off_completed;
      f["cut_off_not_completed"] = figures.cut_off_open;
      f["cut_off_unknown"] = figures.cut_off_unknown;
      if (figures.orders) {
        f["orders_created"] = figures.orders->total();
        f["orders_completed"] = figures.orders->completed;
        f["orders_cancelled"] = figures.orders->cancelled;
        f["orders_pending"] = figures.orders->pending;
      }
      f["skus_checked"] = figures.skus;
      f["units_sold"] = figures.units_sold;
      f["settle_s"] = figures.settle_s;
      ver["figures"] = std::move(f);
    }
    out["verification"] = std::move(ver);
    if (flash) {
      json::object f;
      f["sku"] = p.flash_sku;
      f["stock"] = opt.stock;
      f["customers"] = opt.customers;
      f["succeeded"] = flash->succeeded;
      f["on_hand"] = flash->level.on_hand;
      f["reserved"] = flash->level.reserved;
      f["zero_oversell"] = flash->zero_oversell;
      f["verdict"] = flash->verdict;
      const auto& d = flash->decisions;
      f["decisions"] = {{"count", d.decided},
                        {"seconds", d.seconds()},
                        {"per_second", d.per_second()},
                        {"unread", flash->unread}};
      out["flash_sale"] = std::move(f);
    }
    std::ofstream file(*opt.out_path);
    pretty(file, out);
    file << "\n";
    if (!file) {
      std::cerr << "agora-load: cannot write " << *opt.out_path << "\n";
      return 3;
    }
  }
  return v.ok() ? 0 : 1;
}

} // namespace agora::load
