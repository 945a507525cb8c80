#include "net/http/server.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <strings.h>
#include <sys/resource.h>
#include <thread>
#include <unordered_map>
#include <vector>

#include "actors/common/ids.hpp"
#include "actors/common/json.hpp"
#include "actors/common/log.hpp"
#include "actors/common/metrics.hpp"
#include "net/asio.hpp"
#include "net/auth/jwt.hpp"
#include "net/http/errors.hpp"
#include "net/http/target.hpp"

namespace agora::net::http {

void detail::serialize_response(std::string& out, const response& r,
                                std::string_view request_id, unsigned minor, bool keep_alive,
                                bool with_body) {
  auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(r.status));
  auto length = std::to_string(with_body ? r.body.size() : 0);
  auto line = [&out](std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
  };
  size_t size = 64 + reason.size() + request_id.size() + r.content_type.size() + length.size();
  for (const auto& [name, value] : r.headers)
    size += name.size() + value.size() + 4;
  out.reserve(out.size() + size + (with_body ? r.body.size() : 0));
  out.append(minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
    .append(std::to_string(r.status))
    .append(" ")
    .append(reason.data(), reason.size())
    .append("\r\n");
  line("Server", "agora");
  line("X-Request-Id", request_id);
  if (!r.content_type.empty())
    line("Content-Type", r.content_type);
  for (const auto& [name, value] : r.headers)
    line(name, value);
  if (minor == 0 && keep_alive)
    line("Connection", "keep-alive");
  else if (minor != 0 && !keep_alive)
    line("Connection", "close");
  line("Content-Length", length);
  out.append("\r\n");
  if (with_body)
    out.append(r.body);
}

namespace {

using clock = std::chrono::steady_clock;

/// How long a connection closed after an error reads and discards what the
/// client still sends (session::linger).
constexpr std::chrono::milliseconds linger_for{2000};

// -- small helpers --------------------------------------------------------------

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

/// A client's X-Request-Id is echoed when it is 1–128 visible ASCII chars.
bool sane_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 128)
    return false;
  for (char c : id)
    if (c < 0x21 || c > 0x7E)
      return false;
  return true;
}

/// `application/json`, optionally with parameters (`; charset=utf-8`).
bool is_json_media_type(std::string_view ct) noexcept {
  auto semi = ct.find(';');
  auto type = ct.substr(0, semi);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t'))
    type.remove_prefix(1);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
    type.remove_suffix(1);
  return iequals(type, "application/json");
}

verb to_verb(bhttp::verb v) noexcept {
  switch (v) {
    case bhttp::verb::get: return verb::get;
    case bhttp::verb::post: return verb::post;
    case bhttp::verb::put: return verb::put;
    case bhttp::verb::patch: return verb::patch;
    case bhttp::verb::delete_: return verb::del;
    case bhttp::verb::head: return verb::head;
    case bhttp::verb::options: return verb::options;
    default: return verb::other;
  }
}

/// Whether an I/O error is an ordinary end of a connection (not worth a log).
bool quiet_error(const beast::error_code& ec) noexcept {
  return ec == asio::error::operation_aborted || ec == bhttp::error::end_of_stream
         || ec == asio::error::eof || ec == asio::error::connection_reset
         || ec == asio::error::broken_pipe
         || ec == asio::error::not_connected || ec == asio::error::bad_descriptor
         || ec == bhttp::error::partial_message;
}

/// 431 has no code of its own in the contract: the body says invalid_request.
response header_too_large() {
  auto r = response::json(431, render_error_body(make_problem(
                                 errc::invalid_request, "request header fields too large")));
  return r;
}

// -- shared server state ----------------------------------------------------------

class session;

/// Guards posting replies into the io_context: once closed (after the I/O
/// threads are joined) late replies from actor threads are dropped instead of
/// touching a dead io_context.
struct reply_gate {
  std::shared_mutex mtx;
  bool open = true;
};

struct server_core {
  // -- configuration (immutable after start) --
  router routes;
  std::shared_ptr<const auth::token_service> tokens;
  std::function<bool(const auth::principal&)> is_revoked;
  config::http_section cfg;
  std::chrono::milliseconds read_timeout{30000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds request_timeout{10000};
  size_t threads_wanted = 1;

  // -- state --
  std::atomic<bool> started{false};
  std::atomic<bool> stopping{false};
  std::atomic<bool> stopped{false};
  std::atomic<uint16_t> bound_port{0};
  std::shared_ptr<reply_gate> gate = std::make_shared<reply_gate>();

  // -- sessions --
  mutable std::mutex sessions_mtx;
  std::condition_variable sessions_cv;
  std::unordered_map<uint64_t, std::weak_ptr<session>> sessions;
  uint64_t next_session_id = 1;
  /// Most connections open at once (http.max_connections, resolved).
  size_t max_connections = 0;
  /// No accept is pending because max_connections are open; the next
  /// connection to close resumes accepting.
  bool accept_paused = false;

  // -- metrics --
  metrics::gauge& connections_open =
    metrics::get_gauge("agora_http_connections_open", "HTTP connections currently open");
  metrics::gauge& requests_in_flight =
    metrics::get_gauge("agora_http_requests_in_flight", "HTTP requests being handled");
  std::mutex metrics_mtx;
  std::unordered_map<uint64_t, metrics::counter*> request_counters;
  std::unordered_map<uint64_t, metrics::histogram*> duration_histograms;

  // -- I/O (declared last: destroyed first, while the rest is alive) --
  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  /// Accepting, pausing at max_connections and making room run here, one
  /// at a time whatever http.threads is.
  asio::strand<asio::io_context::executor_type> accept_strand{asio::make_strand(ioc)};
  tcp::acceptor acceptor{accept_strand};
  asio::steady_timer accept_retry{accept_strand};
  /// Finds the sessions whose deadline passed (sweep_deadlines), every
  /// sweep_every.
  asio::steady_timer sweep_timer{accept_strand};
  clock::duration sweep_every{std::chrono::milliseconds(250)};
  std::vector<std::thread> io_threads;

  server_core(router r, std::shared_ptr<const auth::token_service> t)
    : routes(std::move(r)), tokens(std::move(t)) {
  }

  void do_accept();
  /// True (and accepting paused) when max_connections are open.
  bool pause_accepting();
  /// While accepting is paused: once a connection waits in the backlog,
  /// closes idle keep-alive connections to make room for it.
  void make_room_when_asked();
  void close_idle_keep_alive();
  uint64_t add_session(const std::shared_ptr<session>& s);
  void remove_session(uint64_t id);
  void sweep_deadlines();
  void record(const route* r, verb method, unsigned status, double seconds);
};

// -- session ------------------------------------------------------------------------

/// One connection: read → dispatch → (handler replies) → write → read.
class session : public std::enable_shared_from_this<session> {
public:
  session(server_core& srv, tcp::socket socket) : srv_(srv), socket_(std::move(socket)) {
    beast::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    if (!ec)
      remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  ~session() {
    if (awaiting_)
      srv_.requests_in_flight.add(-1); // force-closed while its handler ran
    if (id_ != 0) {
      srv_.connections_open.add(-1);
      srv_.remove_session(id_);
    }
  }

  void start() {
    id_ = srv_.add_session(shared_from_this());
    srv_.connections_open.add(1);
    wait_for_request(srv_.read_timeout);
  }

  /// Posted by stop(): an idle keep-alive connection closes now; a busy one
  /// closes after its response.
  void on_server_stop() {
    if (idle_)
      socket_.cancel();
  }

  /// Between two requests of a keep-alive connection. Read on other threads
  /// as a hint; close_if_idle_keep_alive reads it again on the session's own.
  bool idle_keep_alive() const { return keep_alive_idle_.load(std::memory_order_relaxed); }

  /// Posted when the server is at http.max_connections: a keep-alive
  /// connection waiting for its next request closes, to make room.
  void close_if_idle_keep_alive() {
    if (idle_keep_alive())
      socket_.cancel();
  }

  /// Posted by stop() when the grace period is over.
  void force_close() { close(); }

  asio::any_io_executor executor() { return socket_.get_executor(); }

  /// A handler's reply, on this session's executor.
  void on_reply(uint64_t seq, response&& r) {
    if (!awaiting_ || seq != seq_)
      return;
    finish(std::move(r), false);
  }

  /// The deadline of what the session waits for now (reading, a handler's
  /// reply, writing), or 0; read by the sweep on another thread.
  int64_t deadline() const { return deadline_.load(std::memory_order_relaxed); }

  /// Called by the sweep for a passed deadline; false when a sweep already
  /// posted on_deadline and it has not run yet.
  bool claim_deadline() { return !deadline_posted_.exchange(true, std::memory_order_relaxed); }

  /// Posted by the sweep: the deadline it saw has passed. What the session
  /// waits for may have changed since; only a deadline still set and passed
  /// counts. A handler that did not reply is answered 503; anything else
  /// (a slow client, a stalled write, an idle keep-alive) closes.
  void on_deadline() {
    deadline_posted_.store(false, std::memory_order_relaxed);
    auto d = deadline();
    if (d == 0 || clock::now().time_since_epoch().count() < d)
      return;
    if (awaiting_)
      return on_request_timeout();
    close();
  }

private:
  // -- reading ----------------------------------------------------------------

  void wait_for_request(std::chrono::milliseconds timeout) {
    if (srv_.stopping.load()) {
      close();
      return;
    }
    if (buffer_.size() > 0) {
      read_header();
      return;
    }
    idle_ = true;
    keep_alive_idle_.store(seq_ > 0, std::memory_order_relaxed);
    set_deadline(timeout);
    socket_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->on_first_bytes(ec, n);
                            });
  }

  void on_first_bytes(beast::error_code ec, size_t n) {
    idle_ = false;
    keep_alive_idle_.store(false, std::memory_order_relaxed);
    if (ec) {
      if (!quiet_error(ec))
        net_log().debug("{}: read: {}", remote_, ec.message());
      close();
      return;
    }
    buffer_.commit(n);
    read_header();
  }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(srv_.cfg.max_header_bytes));
    parser_->body_limit(static_cast<uint64_t>(srv_.cfg.max_body_bytes));
    set_deadline(srv_.read_timeout);
    bhttp::async_read_header(socket_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, size_t) {
                               self->on_header(ec);
                             });
  }

  void on_header(beast::error_code ec) {
    if (ec)
      return on_read_error(ec);
    auto& msg = parser_->get();
    auto expect = msg[bhttp::field::expect];
    if (!parser_->is_done() && iequals(expect, "100-continue")) {
      static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(socket_, asio::buffer(cont.data(), cont.size()),
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          if (ec)
                            return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    if (parser_->is_done())
      return on_request();
    bhttp::async_read(socket_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec)
                          return self->on_read_error(ec);
                        self->on_request();
                      });
  }

  void on_read_error(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || quiet_error(ec)) {
      close();
      return;
    }
    begin_unrouted();
    if (ec == bhttp::error::body_limit) {
      finish(response::error(make_problem(
               errc::payload_too_large,
               "request body exceeds " + std::to_string(srv_.cfg.max_body_bytes) + " bytes")),
             true);
    } else if (ec == bhttp::error::header_limit) {
      finish(header_too_large(), true);
    } else {
      net_log().debug("{}: malformed request: {}", remote_, ec.message());
      finish(response::error(make_problem(errc::invalid_request, "malformed HTTP request")),
             true);
    }
  }

  /// Fills the bookkeeping for a response that no route handles (read errors).
  void begin_unrouted() {
    ++seq_;
    started_ = clock::now();
    route_ = nullptr;
    method_ = verb::other;
    keep_alive_ = false;
    version_ = 11;
    request_id_.clear();
    if (parser_) {
      auto& msg = parser_->get();
      version_ = msg.version() == 10 ? 10 : 11;
      method_ = to_verb(msg.method());
      auto rid = msg["X-Request-Id"];
      if (sane_request_id(rid))
        request_id_ = std::string(rid);
    }
    if (request_id_.empty())
      request_id_ = new_uuid();
    srv_.requests_in_flight.add(1);
  }

  // -- dispatch -----------------------------------------------------------------

  void on_request() {
    auto msg = parser_->release();
    parser_.reset();
    ++seq_;
    started_ = clock::now();
    srv_.requests_in_flight.add(1);
    route_ = nullptr;
    method_ = to_verb(msg.method());
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();

    request req;
    req.method = method_;
    req.target = std::string(msg.target());
    req.remote_address = remote_;
    req.headers.reserve(16);
    for (auto& f : msg)
      req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    req.body = std::move(msg.body());
    auto rid = req.header("X-Request-Id");
    request_id_ = rid && sane_request_id(*rid) ? std::string(*rid) : new_uuid();
    req.request_id = request_id_;

    auto target = parse_target(req.target);
    if (!target)
      return finish(response::error(make_problem(
                      errc::invalid_request,
                      "malformed request target (a bad %-escape, or text that is not UTF-8)")),
                    false);
    req.path = std::move(target->path);
    req.query = std::move(target->query);

    auto m = srv_.routes.match(method_, target->segments);
    if (m.kind == route_match::outcome::not_found)
      return finish(response::error(make_problem(errc::not_found, "no route for " + req.path)),
                    false);
    if (m.kind == route_match::outcome::method_not_allowed) {
      auto r = response::error(make_problem(
        errc::method_not_allowed,
        std::string(to_string(method_)) + " is not allowed on " + req.path));
      r.headers.emplace_back("Allow", m.allow);
      return finish(std::move(r), false);
    }
    route_ = m.matched;
    req.route = route_->pattern;
    req.path_params = std::move(m.params);

    if (auto p = authenticate(req))
      return finish(std::move(*p), false);
    if (!req.body.empty()) {
      auto ct = req.header("Content-Type");
      if (!ct || !is_json_media_type(*ct))
        return finish(response::error(make_problem(errc::unsupported_media_type,
                                                   "request bodies must be application/json")),
                      false);
    }
    call_handler(req);
  }

  /// Authentication (401) then authorization (403); nullopt to go on.
  std::optional<response> authenticate(request& req) {
    auto need = route_->auth;
    if (need == auth_requirement::none)
      return std::nullopt;
    auto unauthenticated = [](std::string message, std::string reason) {
      json::object details;
      if (!reason.empty())
        details["reason"] = reason;
      auto r = response::error(make_problem(errc::unauthenticated, std::move(message),
                                            json::serialize(details)));
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return r;
    };
    if (auto header = req.header("Authorization")) {
      auto token = auth::bearer_token(*header);
      if (token.empty())
        return unauthenticated("the Authorization header must be 'Bearer <token>'",
                               "malformed");
      if (!srv_.tokens)
        return unauthenticated("tokens are not accepted by this server", "malformed");
      auto verified = srv_.tokens->verify(token);
      if (auto* err = std::get_if<auth::token_error>(&verified)) {
        return unauthenticated(*err == auth::token_error::expired ? "the token has expired"
                                                                  : "the token is invalid",
                               std::string(auth::to_string(*err)));
      }
      auto& who = std::get<auth::principal>(verified);
      if (srv_.is_revoked && srv_.is_revoked(who))
        return unauthenticated("the token has been revoked", "revoked");
      req.bearer_token = std::string(token);
      req.caller = std::move(who);
    }
    if (!req.caller && need != auth_requirement::optional)
      return unauthenticated("authentication required", "");
    if (need == auth_requirement::admin && !req.caller->is_admin())
      return response::error(make_problem(errc::forbidden, "this operation needs the admin role"));
    return std::nullopt;
  }

  void call_handler(request& req) {
    awaiting_ = true;
    auto claim = std::make_shared<detail::reply_claim>();
    claim_ = claim;
    // Runs on any thread. Holds no executor (a strand must not outlive its
    // io_context): it finds the session under the gate, which stop() closes
    // only after the I/O threads are joined and before the io_context dies.
    auto deliver = [gate = srv_.gate, weak = weak_from_this(), seq = seq_](response&& r) {
      std::shared_lock guard{gate->mtx};
      if (!gate->open)
        return;
      if (auto self = weak.lock()) {
        auto ex = self->executor();
        asio::post(ex, [self = std::move(self), seq, r = std::move(r)]() mutable {
          self->on_reply(seq, std::move(r));
        });
      }
    };
    responder res{std::make_shared<detail::reply_slot>(claim, std::move(deliver))};
    // No I/O is pending while the handler runs: the session keeps itself
    // alive until its reply or the deadline's 503 (finish) or a close.
    alive_ = shared_from_this();
    set_deadline(route_->timeout.count() > 0 ? route_->timeout : srv_.request_timeout);
    try {
      route_->fn(req, res);
    } catch (const std::exception& e) {
      net_log().error("{} {} [{}]: handler threw: {}", to_string(method_), route_->pattern,
                      request_id_, e.what());
      res.error(errc::internal, "internal error");
    } catch (...) {
      net_log().error("{} {} [{}]: handler threw a non-exception", to_string(method_),
                      route_->pattern, request_id_);
      res.error(errc::internal, "internal error");
    }
  }

  void on_request_timeout() {
    if (!claim_ || !claim_->try_claim())
      return; // the reply won the race; it is on its way
    net_log().warn("{} {} [{}]: no reply in time", to_string(method_),
                   route_ ? route_->pattern : "?", request_id_);
    finish(response::error(make_problem(errc::unavailable, "the request timed out")), false);
  }

  // -- writing ----------------------------------------------------------------------

  /// Writes `r`; `close_after` forces Connection: close (read errors).
  void finish(response&& r, bool close_after) {
    auto self = std::move(alive_); // the write's handler keeps the session from here on
    awaiting_ = false;
    claim_.reset();
    auto elapsed = std::chrono::duration<double>(clock::now() - started_).count();
    srv_.record(route_, method_, r.status, elapsed);
    if (r.status >= 500)
      net_log().error("{} {} [{}]: {} {}", to_string(method_), route_ ? route_->pattern : "-",
                      request_id_, r.status, r.body);
    else
      net_log().debug("{} {} [{}]: {} in {:.3f} ms", to_string(method_),
                      route_ ? route_->pattern : "-", request_id_, r.status, elapsed * 1e3);
    bool keep = keep_alive_ && !close_after && !srv_.stopping.load();
    out_.clear();
    detail::serialize_response(out_, r, request_id_, version_ == 10 ? 0 : 1, keep,
                               method_ != verb::head);
    lingering_ = close_after;
    set_deadline(srv_.read_timeout);
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this(), keep](beast::error_code ec, size_t) {
                        self->on_write(ec, keep);
                      });
  }

  void on_write(beast::error_code ec, bool keep) {
    srv_.requests_in_flight.add(-1);
    // Keep the buffer for the next response, unless a large one grew it.
    if (out_.capacity() > 64 * 1024)
      std::string{}.swap(out_);
    if (ec) {
      if (!quiet_error(ec))
        net_log().debug("{}: write: {}", remote_, ec.message());
      return close();
    }
    if (!keep)
      return lingering_ ? linger() : close();
    wait_for_request(srv_.idle_timeout);
  }

  /// After an error that leaves unread request bytes (413, 431, garbage):
  /// half-close, then read and discard for a while so the client receives
  /// the response instead of a reset.
  void linger() {
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    drained_ = 0;
    set_deadline(linger_for);
    drain();
  }

  void drain() {
    buffer_.clear();
    socket_.async_read_some(buffer_.prepare(65536),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              auto limit = static_cast<size_t>(self->srv_.cfg.max_body_bytes) * 4
                                           + (1u << 20);
                              if (ec || self->drained_ > limit)
                                return self->close();
                              self->drain();
                            });
  }

  void close() {
    deadline_.store(0, std::memory_order_relaxed);
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    alive_.reset();
  }

  /// What the session waits for now must happen within `timeout`.
  void set_deadline(clock::duration timeout) {
    deadline_.store((clock::now() + timeout).time_since_epoch().count(),
                    std::memory_order_relaxed);
  }

  server_core& srv_;
  tcp::socket socket_;
  /// A steady_clock time in its own ticks, or 0 (none, or closed). Sessions
  /// arm no timer of their own: a timer per read, write and handler cost the
  /// reactor a heap operation and a cancellation each, under its lock, and
  /// with thousands of connections that was a tenth of a flash sale's CPU
  /// in the node. The server's sweep looks at every deadline instead.
  std::atomic<int64_t> deadline_{0};
  std::atomic<bool> deadline_posted_{false};
  /// The session itself while a handler runs (no I/O handler holds it then).
  std::shared_ptr<session> alive_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  /// The response being written (its capacity is kept for the next one,
  /// up to 64 KiB).
  std::string out_;
  std::string remote_;
  uint64_t id_ = 0;

  // -- the request in flight --
  uint64_t seq_ = 0;
  std::atomic<bool> keep_alive_idle_{false};
  bool idle_ = false;
  bool awaiting_ = false;
  bool keep_alive_ = false;
  bool lingering_ = false;
  unsigned version_ = 11;
  size_t drained_ = 0;
  verb method_ = verb::other;
  const route* route_ = nullptr;
  std::string request_id_;
  clock::time_point started_;
  std::shared_ptr<detail::reply_claim> claim_;
};

// -- impl -----------------------------------------------------------------------------

/// `configured`, or when 0 the process's open-file limit less the
/// descriptors the node keeps for itself (its PostgreSQL, Redis and Kafka
/// connections, files): clients that took every descriptor would leave the
/// node unable to reach its own database.
size_t resolve_max_connections(int64_t configured) {
  constexpr rlim_t reserved = 256;
  if (configured > 0)
    return static_cast<size_t>(configured);
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return std::numeric_limits<size_t>::max();
  return static_cast<size_t>(std::max<rlim_t>(rl.rlim_cur, 2 * reserved) - reserved);
}

void server_core::do_accept() {
  // One strand per connection only when several threads could run its handlers.
  auto ex = threads_wanted > 1 ? asio::any_io_executor{asio::make_strand(ioc)}
                               : asio::any_io_executor{ioc.get_executor()};
  acceptor.async_accept(ex, [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || stopping.load())
      return;
    if (ec) {
      // Out of descriptors and the like: back off instead of spinning.
      net_log().warn("accept: {}", ec.message());
      accept_retry.expires_after(std::chrono::milliseconds(100));
      accept_retry.async_wait([this](beast::error_code ec) {
        if (!ec && !stopping.load())
          do_accept();
      });
      return;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::make_shared<session>(*this, std::move(socket))->start();
    if (!pause_accepting())
      do_accept();
  });
}

bool server_core::pause_accepting() {
  {
    std::lock_guard guard{sessions_mtx};
    if (sessions.size() < max_connections)
      return false;
    if (!accept_paused)
      net_log().warn("{} connections open, the most http.max_connections allows: new ones "
                     "wait in the listen backlog while idle keep-alive ones are closed",
                     sessions.size());
    accept_paused = true;
  }
  make_room_when_asked();
  return true;
}

void server_core::make_room_when_asked() {
  acceptor.async_wait(tcp::acceptor::wait_read, [this](beast::error_code ec) {
    if (ec || stopping.load())
      return;
    close_idle_keep_alive();
    // Closing resumes accepting; if none closed (or they turned busy), look
    // again in a while.
    accept_retry.expires_after(std::chrono::milliseconds(100));
    accept_retry.async_wait([this](beast::error_code ec) {
      if (ec || stopping.load())
        return;
      std::unique_lock guard{sessions_mtx};
      if (accept_paused) {
        guard.unlock();
        make_room_when_asked();
      }
    });
  });
}

void server_core::close_idle_keep_alive() {
  // As the idle timeout would, only sooner: a burst of clients that keep
  // their connections must not leave the next ones waiting for it.
  constexpr size_t at_once = 8;
  std::vector<std::shared_ptr<session>> idle;
  {
    std::lock_guard guard{sessions_mtx};
    if (!accept_paused)
      return;
    for (auto& [id, weak] : sessions) {
      if (idle.size() == at_once)
        break;
      if (auto s = weak.lock(); s && s->idle_keep_alive())
        idle.push_back(std::move(s));
    }
  }
  for (auto& s : idle)
    asio::post(s->executor(), [s] { s->close_if_idle_keep_alive(); });
}

uint64_t server_core::add_session(const std::shared_ptr<session>& s) {
  std::lock_guard guard{sessions_mtx};
  auto id = next_session_id++;
  sessions.emplace(id, s);
  return id;
}

void server_core::remove_session(uint64_t id) {
  bool resume = false;
  {
    std::lock_guard guard{sessions_mtx};
    sessions.erase(id);
    resume = accept_paused && sessions.size() < max_connections;
    if (resume)
      accept_paused = false;
  }
  sessions_cv.notify_all();
  if (resume)
    asio::post(accept_strand, [this] {
      if (!stopping.load())
        do_accept();
    });
}

void server_core::sweep_deadlines() {
  auto now = clock::now().time_since_epoch().count();
  std::vector<std::shared_ptr<session>> due;
  {
    std::lock_guard guard{sessions_mtx};
    for (auto& [id, weak] : sessions) {
      auto s = weak.lock();
      if (!s)
        continue;
      auto d = s->deadline();
      if (d != 0 && d <= now && s->claim_deadline())
        due.push_back(std::move(s));
    }
  }
  for (auto& s : due)
    asio::post(s->executor(), [s] { s->on_deadline(); });
  sweep_timer.expires_after(sweep_every);
  sweep_timer.async_wait([this](beast::error_code ec) {
    if (!ec)
      sweep_deadlines();
  });
}

void server_core::record(const route* r, verb method, unsigned status, double seconds) {
  auto route_key = r ? static_cast<uint64_t>(r->id) + 1 : 0;
  if (r)
    method = r->method;
  uint64_t hist_key = (route_key << 8) | static_cast<uint64_t>(method);
  uint64_t count_key = (hist_key << 16) | status;
  metrics::counter* c = nullptr;
  metrics::histogram* h = nullptr;
  {
    std::lock_guard guard{metrics_mtx};
    if (auto i = request_counters.find(count_key); i != request_counters.end())
      c = i->second;
    if (auto i = duration_histograms.find(hist_key); i != duration_histograms.end())
      h = i->second;
  }
  if (c == nullptr || h == nullptr) {
    std::string route_label = r ? r->name : "unmatched";
    std::string method_label{to_string(method)};
    c = &metrics::get_counter("agora_http_requests_total", "HTTP requests answered",
                              {{"route", route_label},
                               {"method", method_label},
                               {"status", std::to_string(status)}});
    h = &metrics::get_histogram("agora_http_request_duration_seconds",
                                "Time from a complete request to its response",
                                metrics::latency_buckets(),
                                {{"route", route_label}, {"method", method_label}});
    std::lock_guard guard{metrics_mtx};
    request_counters.emplace(count_key, c);
    duration_histograms.emplace(hist_key, h);
  }
  c->inc();
  h->observe(seconds);
}

} // namespace

// -- http_server --------------------------------------------------------------------

struct http_server::impl : server_core {
  using server_core::server_core;
};

http_server::http_server(router routes, std::shared_ptr<const auth::token_service> tokens)
  : impl_(std::make_unique<impl>(std::move(routes), std::move(tokens))) {
}

http_server::~http_server() {
  stop(std::chrono::milliseconds(0));
}

void http_server::set_revocation_check(std::function<bool(const auth::principal&)> is_revoked) {
  impl_->is_revoked = std::move(is_revoked);
}

uint16_t http_server::start(const config::http_section& cfg) {
  auto& d = *impl_;
  if (d.started.exchange(true))
    throw std::logic_error("http_server::start called twice");
  d.cfg = cfg;
  d.read_timeout = std::chrono::milliseconds(std::max<int64_t>(cfg.read_timeout_ms, 1));
  d.idle_timeout = std::chrono::milliseconds(std::max<int64_t>(cfg.idle_timeout_ms, 1));
  d.request_timeout = std::chrono::milliseconds(std::max<int64_t>(cfg.request_timeout_ms, 1));
  d.threads_wanted = static_cast<size_t>(std::max<int64_t>(cfg.threads, 1));
  d.max_connections = resolve_max_connections(cfg.max_connections);
  if (d.cfg.max_header_bytes <= 0)
    d.cfg.max_header_bytes = 16 * 1024;
  if (d.cfg.max_body_bytes < 0)
    d.cfg.max_body_bytes = 0;

  if (!d.routes.has(verb::get, "/healthz"))
    d.routes.get("/healthz", auth_requirement::none, [](request&, responder res) {
      res.json(200, R"({"status":"ok"})");
    });
  if (!d.routes.has(verb::get, "/metrics"))
    d.routes.get("/metrics", auth_requirement::none, [](request&, responder res) {
      res.send(response::text(200, metrics::render_prometheus(),
                              "text/plain; version=0.0.4; charset=utf-8"));
    });

  beast::error_code ec;
  auto address = asio::ip::make_address(cfg.host, ec);
  if (ec)
    throw std::runtime_error("http.host is not an IP address: " + cfg.host);
  if (cfg.port < 0 || cfg.port > 65535)
    throw std::runtime_error("http.port is out of range: " + std::to_string(cfg.port));
  tcp::endpoint ep{address, static_cast<uint16_t>(cfg.port)};
  d.acceptor.open(ep.protocol(), ec);
  if (!ec)
    d.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    d.acceptor.bind(ep, ec);
  if (!ec)
    d.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + cfg.host + ":" + std::to_string(cfg.port)
                             + ": " + ec.message());
  d.bound_port = d.acceptor.local_endpoint().port();
  d.work.emplace(d.ioc.get_executor());
  d.do_accept();
  // A deadline passes at most an eighth of the shortest timeout late.
  auto shortest = std::min({d.read_timeout, d.idle_timeout, d.request_timeout, linger_for});
  if (auto route = d.routes.shortest_route_timeout(); route.count() > 0)
    shortest = std::min(shortest, route);
  d.sweep_every = std::clamp<clock::duration>(shortest / 8, std::chrono::milliseconds(5),
                                              std::chrono::milliseconds(250));
  asio::post(d.accept_strand, [&d] { d.sweep_deadlines(); });
  for (size_t i = 0; i < d.threads_wanted; ++i)
    d.io_threads.emplace_back([&d] {
      for (;;) {
        try {
          d.ioc.run();
          return;
        } catch (const std::exception& e) {
          // Handlers catch their own exceptions; this is a last resort so an
          // I/O thread never dies silently.
          net_log().error("I/O thread: unexpected exception: {}", e.what());
        }
      }
    });
  net_log().info("HTTP listening on {}:{} with {} I/O thread(s)", cfg.host, d.bound_port.load(),
                 d.threads_wanted);
  return d.bound_port;
}

void http_server::stop(std::chrono::milliseconds grace) {
  auto& d = *impl_;
  if (!d.started.load() || d.stopped.exchange(true))
    return;
  d.stopping = true;
  asio::post(d.ioc, [&d] {
    beast::error_code ec;
    d.acceptor.close(ec);
    d.accept_retry.cancel();
  });

  auto for_each_session = [&d](auto fn) {
    std::vector<std::shared_ptr<session>> live;
    {
      std::lock_guard guard{d.sessions_mtx};
      for (auto& [id, weak] : d.sessions)
        if (auto s = weak.lock())
          live.push_back(std::move(s));
    }
    for (auto& s : live)
      asio::post(s->executor(), [s, fn] { fn(*s); });
  };
  for_each_session([](session& s) { s.on_server_stop(); });

  auto deadline = clock::now() + grace;
  {
    std::unique_lock guard{d.sessions_mtx};
    d.sessions_cv.wait_until(guard, deadline, [&d] { return d.sessions.empty(); });
  }
  size_t left = 0;
  {
    std::lock_guard guard{d.sessions_mtx};
    left = d.sessions.size();
  }
  if (left > 0) {
    net_log().warn("HTTP stop: closing {} connection(s) still busy after the grace period", left);
    for_each_session([](session& s) { s.force_close(); });
    std::unique_lock guard{d.sessions_mtx};
    d.sessions_cv.wait_for(guard, std::chrono::milliseconds(500),
                           [&d] { return d.sessions.empty(); });
  }
  d.work.reset();
  d.ioc.stop();
  for (auto& t : d.io_threads)
    t.join();
  d.io_threads.clear();
  {
    std::unique_lock guard{d.gate->mtx};
    d.gate->open = false;
  }
  net_log().info("HTTP stopped");
}

uint16_t http_server::port() const noexcept {
  return impl_->bound_port.load();
}

size_t http_server::open_connections() const {
  std::lock_guard guard{impl_->sessions_mtx};
  return impl_->sessions.size();
}

} // namespace agora::net::http
