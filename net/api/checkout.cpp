// Checkouts (API.md "Checkout"): the saga's status, and the operator's
// resume / close of a stuck saga (used by agora-saga). Starting a checkout is
// a cart sub-resource (carts.cpp).
#include "net/api/api.hpp"
#include "net/api/common.hpp"
#include "net/api/render.hpp"

#include "actors/common/ids.hpp"
#include "net/http/body.hpp"

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

} // namespace

void add_checkout_routes(http::router& r, services& s) {
  using http::auth_requirement;
  r.get("/api/v1/checkouts/{checkout_id}", auth_requirement::optional, bind(s, get_checkout));
  r.post("/admin/v1/sagas/{checkout_id}/resume", auth_requirement::admin, bind(s, resume_saga));
  r.post("/admin/v1/sagas/{checkout_id}/close", auth_requirement::admin, bind(s, close_saga));
}

} // namespace agora::net::api
