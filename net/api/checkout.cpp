// Checkouts (API.md "Checkout"): the saga's status, and the operator's
// resume / close of a stuck saga (used by agora-saga). Starting a checkout is
// a cart sub-resource (carts.cpp).
#include "net/api/api.hpp"
#include "net/api/common.hpp"
#include "net/api/render.hpp"

#include "actors/common/ids.hpp"
#include "net/http/body.hpp"
#include "persistence/journal.hpp"
#include "persistence/pg/connection.hpp"

namespace agora::net::api {

namespace {

problem checkout_not_found(std::string_view id) {
  json::object details;
  details["checkout_id"] = id;
  return make_problem(errc::not_found, "no checkout with id " + std::string(id),
                      json::serialize(details));
}

void get_checkout(services& s, http::request& req, http::responder res) {
  auto id = std::string(req.param("checkout_id"));
  if (!is_uuid(id))
    return res.error(checkout_not_found(id));
  ask(s.checkouts, id, checkout::get{}, req.request_id, std::move(res),
      [caller = req.caller, id](const checkout::state& st, http::responder& res) {
        if (!st.exists)
          return res.error(checkout_not_found(id));
        if (auto denied = check_owner(caller, st.customer_id))
          return res.error(*denied);
        reply_json(res, 200, render_checkout(st));
      });
}

/// resume and close: an operator command to a stuck saga; the runner then
/// drives it again (resume) or it has ended (close).
template <class Make>
void operate(services& s, http::request& req, http::responder res, Make make) {
  auto id = std::string(req.param("checkout_id"));
  auto body = http::parse_json_object(req.body.empty() ? std::string_view{"{}"} : req.body);
  if (!body)
    return res.error(body.error());
  auto cmd = make(http::object_fields{*body}, req.caller ? req.caller->email : std::string{});
  if (!cmd)
    return res.error(cmd.error());
  if (!is_uuid(id))
    return res.error(checkout_not_found(id));
  ask(s.checkouts, id, std::move(*cmd), req.request_id, std::move(res),
      [&s, id](const checkout::state& st, http::responder& res) {
        s.runner.run(id);
        reply_json(res, 200, render_checkout(st));
      });
}

void resume_saga(services& s, http::request& req, http::responder res) {
  operate(s, req, std::move(res),
          [](const http::object_fields&, std::string by) -> result<checkout::command> {
            return checkout::command{checkout::resume{std::move(by)}};
          });
}

void close_saga(services& s, http::request& req, http::responder res) {
  operate(s, req, std::move(res),
          [](const http::object_fields& f, std::string by) -> result<checkout::command> {
            auto reason = f.required_string("reason", 500);
            if (!reason)
              return reason.error();
            return checkout::command{checkout::close{std::move(by), std::move(*reason)}};
          });
}

/// The newest event types that end a saga or park it, by status filter
/// (a checkout refused at its start is one checkout.refused event).
std::optional<std::string> status_condition(std::string_view status) {
  if (status.empty())
    return "";
  if (status == "running")
    return "NOT IN ('checkout.completed', 'checkout.compensated', 'checkout.refused', "
           "'checkout.closed', 'checkout.stuck')";
  if (status == "compensated")
    return "IN ('checkout.compensated', 'checkout.refused')";
  if (status == "completed" || status == "stuck")
    return "= 'checkout." + std::string(status) + "'";
  if (status == "failed")
    return "= 'checkout.closed'";
  return std::nullopt;
}

/// GET /admin/v1/sagas?status=&limit=: checkouts, newest first, with their steps.
void list_sagas(services& s, http::request& req, http::responder res) {
  auto limit = http::query_int(req, "limit", 1, 200);
  if (!limit)
    return res.error(limit.error());
  auto condition = status_condition(req.query_param("status").value_or(""));
  if (!condition)
    return res.error(invalid_field(
      "status", "status must be one of running, completed, compensated, stuck, failed"));
  std::string sql = "SELECT substr(s.persistence_id, 10) FROM journal s "
                    "WHERE s.event_type IN ('checkout.started', 'checkout.refused')";
  if (!condition->empty())
    sql += " AND (SELECT l.event_type FROM journal l WHERE l.persistence_id = s.persistence_id "
           "ORDER BY l.seq_nr DESC LIMIT 1) " +
           *condition;
  sql += " ORDER BY s.global_offset DESC LIMIT " + std::to_string(limit->value_or(20));
  s.reader.run([&s, rid = req.request_id, res, sql](persistence::pg::connection* conn) {
    if (!conn)
      return res.error(errc::unavailable, "PostgreSQL is unreachable");
    auto rows = conn->exec(sql);
    if (!rows)
      return res.error(errc::unavailable, "cannot read checkouts: " + rows.error().message);
    std::vector<std::pair<std::string, checkout::command>> reads;
    for (int i = 0; i < rows.rows(); ++i)
      reads.emplace_back(std::string(rows.text(i, 0)), checkout::get{});
    tell_all(s.checkouts, std::move(reads), rid,
             [res](std::vector<result<checkout::state>> sagas) {
               json::array items;
               for (const auto& st : sagas)
                 if (st && st->exists)
                   items.emplace_back(render_checkout(*st));
               json::object body;
               body["items"] = std::move(items);
               reply_json(res, 200, body);
             });
  });
}

/// GET /admin/v1/sagas/{id}/timeline: the saga's events, every event its
/// commands caused (same correlation id) and the expiry of its reservation
/// (caused by a timer, not by the saga), in journal order.
void saga_timeline(services& s, http::request& req, http::responder res) {
  auto id = std::string(req.param("checkout_id"));
  if (!is_uuid(id))
    return res.error(checkout_not_found(id));
  s.reader.run([res, id](persistence::pg::connection* conn) {
    if (!conn)
      return res.error(errc::unavailable, "PostgreSQL is unreachable");
    auto rows = conn->exec_params(
      "SELECT persistence_id, seq_nr, global_offset, event_type, payload::text, correlation_id, "
      "(extract(epoch FROM created_at) * 1000000)::bigint FROM journal "
      "WHERE persistence_id = 'checkout|' || $1 OR " +
        std::string(persistence::journal_correlated_sql) +
        " OR (event_type = 'inventory.expired' AND payload->>'reservation_id' = $2) "
        "ORDER BY global_offset",
      {id, checkout::step_key(id, checkout::step_name::reserve_inventory)});
    if (!rows)
      return res.error(errc::unavailable, "cannot read the journal: " + rows.error().message);
    if (rows.rows() == 0)
      return res.error(checkout_not_found(id));
    json::array events;
    for (int i = 0; i < rows.rows(); ++i) {
      json::object e;
      e["persistence_id"] = rows.text(i, 0);
      e["seq_nr"] = rows.int64(i, 1);
      e["offset"] = rows.int64(i, 2);
      e["event"] = rows.text(i, 3);
      auto data = parse_json(rows.text(i, 4));
      e["data"] = data ? std::move(*data) : json::value(nullptr);
      e["correlation_id"] = rows.text(i, 5);
      e["at"] = format_rfc3339(rows.int64(i, 6));
      events.emplace_back(std::move(e));
    }
    json::object body;
    body["checkout_id"] = id;
    body["events"] = std::move(events);
    reply_json(res, 200, body);
  });
}

} // namespace

void add_checkout_routes(http::router& r, services& s) {
  using http::auth_requirement;
  r.get("/api/v1/checkouts/{checkout_id}", auth_requirement::optional, bind(s, get_checkout));
  r.get("/admin/v1/sagas", auth_requirement::admin, bind(s, list_sagas));
  r.get("/admin/v1/sagas/{checkout_id}/timeline", auth_requirement::admin,
        bind(s, saga_timeline));
  r.post("/admin/v1/sagas/{checkout_id}/resume", auth_requirement::admin, bind(s, resume_saga));
  r.post("/admin/v1/sagas/{checkout_id}/close", auth_requirement::admin, bind(s, close_saga));
}

} // namespace agora::net::api
