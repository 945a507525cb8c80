// Orders and payments (API.md "Orders", "Payments"). A customer sees and
// cancels its own orders; an admin ships, delivers and refunds.
//
// Cancelling a paid order and refunding a payment in full run the same
// refund sequence, each step idempotent by a key derived from the order:
// refund the money at the gateway (its key is the payment's next refund
// group, so a repeat after a crash re-asks the same refund), record it on
// the payment, return the stock (inventory adjustments keyed
// `<order_id>/restock/<sku>`), then move the order (cancelled or refunded).
// A repeat of the request after a failure continues where it stopped.
#include "net/api/api.hpp"
#include "net/api/common.hpp"
#include "net/api/render.hpp"

#include <caf/event_based_actor.hpp>

#include "actors/common/ids.hpp"
#include "actors/runtime/oneshot.hpp"
#include "net/http/body.hpp"
#include "persistence/pg/connection.hpp"
#include "persistence/projections/catalogue_cursor.hpp"

namespace agora::net::api {

namespace {

problem not_found_problem(std::string_view what, std::string_view field, std::string_view id) {
  json::object details;
  details[field] = id;
  return make_problem(errc::not_found,
                      "no " + std::string(what) + " with id " + std::string(id),
                      json::serialize(details));
}

/// Reads the order, checks that it exists and that the caller may see it.
template <class Next>
void with_order(services& s, const http::request& req, http::responder res, std::string id,
                Next next) {
  if (!is_uuid(id))
    return res.error(not_found_problem("order", "order_id", id));
  ask(s.orders, id, order::get{}, req.request_id, std::move(res),
      [caller = req.caller, id, next = std::move(next)](const order::state& st,
                                                         http::responder& res) mutable {
        if (!st.exists)
          return res.error(not_found_problem("order", "order_id", id));
        if (auto denied = check_owner(caller, st.customer_id))
          return res.error(*denied);
        next(st, res);
      });
}

/// The journal event that puts an order in each status.
std::optional<std::string> status_event(std::string_view status) {
  auto st = order::parse_order_status(status);
  if (!st)
    return std::nullopt;
  if (*st == order::order_status::pending)
    return "order.placed";
  return "order." + std::string(status);
}

/// The cursor of the order list: base64url of the journal offset of the
/// last order placed on the page.
std::optional<int64_t> decode_order_cursor(std::string_view text) {
  auto raw = persistence::catalogue::base64url_decode(text);
  if (!raw || raw->empty() || raw->size() > 19)
    return std::nullopt;
  int64_t v = 0;
  for (char c : *raw) {
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

/// Reads the orders named by `ids` (in order) and answers the page.
void reply_order_page(services& s, const std::string& rid, const std::vector<std::string>& ids,
                      std::optional<std::string> next, http::responder res) {
  std::vector<std::pair<std::string, order::command>> reads;
  for (const auto& id : ids)
    reads.emplace_back(id, order::get{});
  tell_all(s.orders, std::move(reads), rid,
           [next, res](std::vector<result<order::state>> orders) {
             json::array items;
             for (const auto& o : orders)
               if (o && o->exists)
                 items.emplace_back(render_order(*o));
             json::object body;
             body["items"] = std::move(items);
             body["next_cursor"] = next ? json::value(*next) : json::value(nullptr);
             reply_json(res, 200, body);
           });
}

/// GET /orders: the caller's orders (an admin's: everyone's, or one
/// customer's with ?customer_id=), newest first, read from the journal.
void list_orders(services& s, http::request& req, http::responder res) {
  auto page = http::page_query(req);
  if (!page)
    return res.error(page.error());
  std::string status_filter;
  if (auto st = req.query_param("status"); st && !st->empty()) {
    auto ev = status_event(*st);
    if (!ev)
      return res.error(invalid_field(
        "status", "status must be one of pending, paid, shipped, delivered, cancelled, refunded"));
    status_filter = *ev;
  }
  std::optional<int64_t> before;
  if (!page->cursor.empty()) {
    before = decode_order_cursor(page->cursor);
    if (!before)
      return res.error(invalid_field("cursor", "not a cursor of this list"));
  }
  std::string customer = req.caller->customer_id;
  if (req.caller->is_admin())
    customer = std::string(req.query_param("customer_id").value_or(""));
  auto limit = page->limit;
  s.reader.run([&s, rid = req.request_id, res, customer, status_filter, before,
                limit](persistence::pg::connection* conn) {
    if (!conn)
      return res.error(errc::unavailable, "PostgreSQL is unreachable");
    auto rows = conn->exec_params(
      "SELECT substr(p.persistence_id, 7), p.global_offset FROM journal p "
      "WHERE p.event_type = 'order.placed' "
      "AND ($1 = '' OR p.payload->>'customer_id' = $1) "
      "AND p.global_offset < $2::bigint "
      "AND ($3 = '' OR (SELECT l.event_type FROM journal l "
      "     WHERE l.persistence_id = p.persistence_id AND l.event_type <> 'order.customer_bound' "
      "     ORDER BY l.seq_nr DESC LIMIT 1) = $3) "
      "ORDER BY p.global_offset DESC LIMIT $4::int",
      {customer, std::to_string(before.value_or(std::numeric_limits<int64_t>::max())),
       status_filter, std::to_string(limit + 1)});
    if (!rows)
      return res.error(errc::unavailable, "cannot read orders: " + rows.error().message);
    std::vector<std::string> ids;
    std::optional<std::string> next;
    for (int i = 0; i < rows.rows() && static_cast<int64_t>(ids.size()) < limit; ++i)
      ids.emplace_back(rows.text(i, 0));
    if (rows.rows() > limit)
      next = persistence::catalogue::base64url_encode(
        std::to_string(rows.int64(static_cast<int>(limit) - 1, 1)));
    reply_order_page(s, rid, ids, std::move(next), res);
  });
}

void get_order(services& s, http::request& req, http::responder res) {
  with_order(s, req, std::move(res), std::string(req.param("order_id")),
             [](const order::state& st, http::responder& res) {
               reply_json(res, 200, render_order(st));
             });
}

/// Sends an order command and answers with the order.
void change_order(services& s, const std::string& rid, http::responder res,
                  const std::string& order_id, order::command cmd) {
  ask(s.orders, order_id, std::move(cmd), rid, std::move(res),
      [](const order::state& st, http::responder& res) {
        reply_json(res, 200, render_order(st));
      });
}

/// Returns the order's stock, one idempotent adjustment per line, then
/// calls `next(res)`.
void restock(services& s, const order::state& o, http::responder res,
             std::function<void(http::responder)> next) {
  std::vector<std::pair<std::string, inventory::command>> returns;
  for (const auto& item : o.items)
    returns.emplace_back(item.sku,
                         inventory::adjust{item.quantity, "order " + o.order_id + " returned",
                                           o.order_id + "/restock/" + item.sku});
  tell_all(s.inventory, std::move(returns), o.order_id,
           [res, next](std::vector<result<inventory::levels>> done) {
             for (const auto& r : done)
               if (!r)
                 return res.error(r.error());
             next(res);
           });
}

/// Refunds `amount` of the payment at the gateway and records it; `next`
/// gets the payment afterwards.
void refund_payment(services& s, const payment::state& ps, int64_t amount, std::string key,
                    http::responder res, std::function<void(payment::state, http::responder)> next) {
  int group = 1;
  for (const auto& e : ps.events)
    group += e.type == "refunded" ? 1 : 0;
  payment::refund req{payment::gateway_key(ps.payment_id, payment::op_refund, group),
                      ps.payment_id, payment::capture_ref(ps), amount};
  auto timeout = std::chrono::milliseconds(s.cfg->checkout.step_timeout_ms);
  runtime::spawn_oneshot(*s.actor_system, [&s, req = std::move(req), timeout, amount,
                                           key = std::move(key), res, next = std::move(next)](
                                            caf::event_based_actor* self) mutable {
    self->request(s.gateway, timeout, req)
      .then(
        [&s, req, amount, key, res, next](payment::gateway_result& g) {
          if (!g.approved())
            return res.error(errc::payment_failed, "payment gateway: " + g.reason);
          payment::record_refund cmd{amount, g.gateway_ref, key};
          ask(s.payments, req.payment_id, std::move(cmd), key, res,
              [next](payment::state after, http::responder& res) {
                next(std::move(after), res);
              });
        },
        [res](caf::error& err) {
          res.error(errc::unavailable, "payment gateway did not answer: " + caf::to_string(err));
        });
  });
}

/// Refunds whatever of the order's payment is still refundable, returns
/// its stock and sends `finish` to the order.
void refund_order(services& s, const std::string& rid, const order::state& o,
                  order::command finish, http::responder res) {
  auto done = [&s, rid, o, finish = std::move(finish)](http::responder res) {
    restock(s, o, res, [&s, rid, o, finish](http::responder res) {
      change_order(s, rid, std::move(res), o.order_id, finish);
    });
  };
  ask(s.payments, o.payment_id, payment::get{}, rid, std::move(res),
      [&s, o, done](const payment::state& ps, http::responder& res) {
        auto left = payment::refundable_cents(ps);
        if (left <= 0)
          return done(res);
        refund_payment(s, ps, left, o.order_id + "/refund", res,
                       [done](payment::state, http::responder res) { done(std::move(res)); });
      });
}

void cancel_order(services& s, http::request& req, http::responder res) {
  auto order_id = std::string(req.param("order_id"));
  with_order(s, req, std::move(res), order_id,
             [&s, rid = req.request_id](const order::state& o, http::responder& res) {
               // The refund sequence's last step is keyed, so that a repeat after a
               // failure finishes it; any other cancel is decided as it comes
               // (a cancelled order answers invalid_transition).
               if (o.status == order::order_status::paid)
                 return refund_order(s, rid, o,
                                     order::cancel{"cancelled by the customer",
                                                   o.order_id + "/cancel"},
                                     std::move(res));
               if (o.status != order::order_status::pending)
                 return change_order(s, rid, std::move(res), o.order_id,
                                     order::cancel{"cancelled by the customer", {}});
               // A pending order belongs to a checkout that has not finished:
               // the saga decides (it cancels the order when it compensates).
               json::object details;
               details["order_id"] = o.order_id;
               details["checkout_id"] = o.checkout_id;
               details["reason"] = "checkout_running";
               res.error(errc::conflict,
                         "order " + o.order_id + " is still being checked out; try again shortly",
                         json::serialize(details));
             });
}

void ship_order(services& s, http::request& req, http::responder res) {
  auto body = http::parse_json_object(req.body);
  if (!body)
    return res.error(body.error());
  http::object_fields f{*body};
  auto carrier = f.required_string("carrier", order::max_shipping_text_length);
  if (!carrier)
    return res.error(carrier.error());
  auto tracking = f.required_string("tracking_number", order::max_shipping_text_length);
  if (!tracking)
    return res.error(tracking.error());
  auto order_id = std::string(req.param("order_id"));
  if (!is_uuid(order_id))
    return res.error(not_found_problem("order", "order_id", order_id));
  change_order(s, req.request_id, std::move(res), order_id,
               order::ship{std::move(*carrier), std::move(*tracking), {}});
}

void deliver_order(services& s, http::request& req, http::responder res) {
  auto order_id = std::string(req.param("order_id"));
  if (!is_uuid(order_id))
    return res.error(not_found_problem("order", "order_id", order_id));
  change_order(s, req.request_id, std::move(res), order_id, order::deliver{});
}

/// Reads the payment and its order (whose customer owns the payment).
template <class Next>
void with_payment(services& s, const http::request& req, http::responder res, Next next) {
  auto id = std::string(req.param("payment_id"));
  if (!is_uuid(id))
    return res.error(not_found_problem("payment", "payment_id", id));
  ask(s.payments, id, payment::get{}, req.request_id, std::move(res),
      [&s, caller = req.caller, rid = req.request_id, id, next = std::move(next)](
        const payment::state& ps, http::responder& res) mutable {
        if (!ps.exists)
          return res.error(not_found_problem("payment", "payment_id", id));
        ask(s.orders, ps.order_id, order::get{}, rid, res,
            [caller, ps, next = std::move(next)](const order::state& o,
                                                  http::responder& res) mutable {
              if (auto denied = check_owner(caller, o.customer_id))
                return res.error(*denied);
              next(ps, o, res);
            });
      });
}

void get_payment(services& s, http::request& req, http::responder res) {
  with_payment(s, req, std::move(res),
               [](const payment::state& ps, const order::state&, http::responder& res) {
                 reply_json(res, 200, render_payment(ps));
               });
}

void refund(services& s, http::request& req, http::responder res) {
  auto body = http::parse_json_object(req.body.empty() ? std::string_view{"{}"} : req.body);
  if (!body)
    return res.error(body.error());
  auto amount = http::object_fields{*body}.optional_int("amount_cents", 1,
                                                        std::numeric_limits<int64_t>::max());
  if (!amount)
    return res.error(amount.error());
  with_payment(
    s, req, std::move(res),
    [&s, rid = req.request_id, asked = *amount](const payment::state& ps, const order::state& o,
                                                http::responder& res) {
      // Without an amount: the remainder. When nothing remains, asking for one
      // cent gets the contract's answer (refund_exceeds_captured).
      auto value = asked.value_or(std::max<int64_t>(payment::refundable_cents(ps), 1));
      if (auto bad = payment::check_refund(ps, value))
        return res.error(*bad);
      refund_payment(s, ps, value, rid + "/refund", res,
                     [&s, rid, o](payment::state after, http::responder res) {
                       bool full = after.refunded_cents == after.captured_cents;
                       if (!full || o.status != order::order_status::paid)
                         return reply_json(res, 200, render_payment(after));
                       // A full refund of a paid order: stock returns, order refunded.
                       restock(s, o, res, [&s, rid, o, after](http::responder res) {
                         ask(s.orders, o.order_id, order::mark_refunded{o.order_id + "/refund"},
                             rid, std::move(res),
                             [after](const order::state&, http::responder& res) {
                               reply_json(res, 200, render_payment(after));
                             });
                       });
                     });
    });
}

json::object render_ledger(const payment::ledger& l) {
  json::array entries;
  for (const auto& e : l.entries) {
    json::object o;
    o["idempotency_key"] = e.idempotency_key;
    o["operation"] = payment::to_string(e.operation);
    o["payment_id"] = e.payment_id;
    o["amount_cents"] = e.amount_cents;
    o["outcome"] = payment::to_string(e.outcome);
    o["gateway_ref"] = e.gateway_ref;
    o["reason"] = e.reason;
    entries.emplace_back(std::move(o));
  }
  json::array totals;
  for (const auto& t : l.totals) {
    json::object o;
    o["payment_id"] = t.payment_id;
    o["authorized_cents"] = t.authorized_cents;
    o["captured_cents"] = t.captured_cents;
    o["voided_cents"] = t.voided_cents;
    o["refunded_cents"] = t.refunded_cents;
    totals.emplace_back(std::move(o));
  }
  json::object out;
  out["entries"] = std::move(entries);
  out["totals"] = std::move(totals);
  return out;
}

/// GET /admin/v1/gateway/ledger[?payment_id=]: what the payment gateway
/// says it did (the simulator's ledger), to reconcile against payments.
void gateway_ledger(services& s, http::request& req, http::responder res) {
  std::string pid{req.query_param("payment_id").value_or("")};
  runtime::spawn_oneshot(*s.actor_system, [&s, pid, res](caf::event_based_actor* self) {
    self->request(s.gateway, std::chrono::seconds(5), payment::get_ledger{pid})
      .then([res](payment::ledger& l) { reply_json(res, 200, render_ledger(l)); },
            [res](caf::error& err) {
              res.error(errc::unavailable, "payment gateway did not answer: " +
                                             caf::to_string(err));
            });
  });
}

} // namespace

void add_order_routes(http::router& r, services& s) {
  using http::auth_requirement;
  r.get("/api/v1/orders", auth_requirement::customer, bind(s, list_orders));
  r.get("/api/v1/orders/{order_id}", auth_requirement::customer, bind(s, get_order));
  r.post("/api/v1/orders/{order_id}/cancel", auth_requirement::customer, bind(s, cancel_order));
  r.post("/api/v1/orders/{order_id}/ship", auth_requirement::admin, bind(s, ship_order));
  r.post("/api/v1/orders/{order_id}/deliver", auth_requirement::admin, bind(s, deliver_order));
}

void add_payment_routes(http::router& r, services& s) {
  using http::auth_requirement;
  r.get("/api/v1/payments/{payment_id}", auth_requirement::customer, bind(s, get_payment));
  r.post("/api/v1/payments/{payment_id}/refund", auth_requirement::admin, bind(s, refund));
  r.get("/admin/v1/gateway/ledger", auth_requirement::admin, bind(s, gateway_ledger));
}

} // namespace agora::net::api
