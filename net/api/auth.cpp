// Auth and customers (API.md "Auth and customers"). Customers are entities
// keyed by their normalized e-mail; passwords are bcrypt-hashed on the
// hasher's own threads, never on I/O or actor threads.
#include "net/api/api.hpp"
#include "net/api/common.hpp"
#include "net/api/render.hpp"

#include "actors/common/ids.hpp"
#include "actors/common/time.hpp"
#include "net/http/body.hpp"

namespace agora::net::api {

namespace {

problem bad_credentials() {
  return make_problem(errc::unauthenticated, "unknown e-mail or wrong password");
}

void register_customer(services& s, http::request& req, http::responder res) {
  auto body = http::parse_json_object(req.body);
  if (!body)
    return res.error(body.error());
  http::object_fields f{*body};
  auto email = f.required_string("email", customer::max_email_length);
  if (!email)
    return res.error(email.error());
  auto normalized = customer::normalize_email(*email);
  if (!normalized)
    return res.error(invalid_field("email", "is not a valid e-mail address"));
  auto password = f.required_string("password", 1024);
  if (!password)
    return res.error(password.error());
  if (!customer::valid_password(*password))
    return res.error(invalid_field("password", "must be 8 to 72 bytes long"));
  auto name = f.required_string("name", customer::max_name_length);
  if (!name)
    return res.error(name.error());
  s.hasher->hash(*password, [&s, rid = req.request_id, res, email = *normalized,
                             name = *name](std::optional<std::string> hash) {
    if (!hash)
      return res.error(errc::internal, "password hashing failed");
    customer::register_customer cmd{new_uuid(), email, name, *hash,
                                    std::string(customer::role_customer)};
    ask(s.customers, email, std::move(cmd), rid, res,
        [](const customer::state& st, http::responder& res) {
          json::object o;
          o["customer_id"] = st.customer_id;
          o["email"] = st.email;
          o["name"] = st.name;
          reply_json(res, 201, o);
        });
  });
}

void login(services& s, http::request& req, http::responder res) {
  auto body = http::parse_json_object(req.body);
  if (!body)
    return res.error(body.error());
  http::object_fields f{*body};
  auto email = f.required_string("email", customer::max_email_length);
  if (!email)
    return res.error(email.error());
  auto password = f.required_string("password", 1024);
  if (!password)
    return res.error(password.error());
  auto normalized = customer::normalize_email(*email);
  if (!normalized)
    return res.error(bad_credentials());
  ask(s.customers, *normalized, customer::get{}, req.request_id, std::move(res),
      [&s, password = *password](const customer::state& st, http::responder& res) {
        // Verify against a fixed hash for unknown accounts too, so response
        // time does not tell which e-mails are registered.
        auto hash = st.exists ? st.password_hash : s.unknown_account_hash;
        s.hasher->verify(password, hash, [&s, st, res](bool ok) {
          if (!ok || !st.exists)
            return res.error(bad_credentials());
          auto role = auth::parse_role(st.role).value_or(auth::role::customer);
          auto tok = s.tokens->issue(st.customer_id, st.email, role,
                                     std::chrono::seconds(s.cfg->auth.token_ttl_s));
          json::object o;
          o["token"] = tok.token;
          o["expires_at"] = format_rfc3339(tok.expires_at_us);
          o["customer_id"] = st.customer_id;
          o["role"] = auth::to_string(role);
          reply_json(res, 200, o);
        });
      });
}

void logout(services& s, http::request& req, http::responder res) {
  s.revocations->revoke(req.caller->token_id, req.caller->expires_at_us, [res](bool stored) {
    if (!stored)
      return res.error(errc::unavailable, "the logout could not be stored; retry");
    res.no_content();
  });
}

void me(services& s, http::request& req, http::responder res) {
  ask(s.customers, req.caller->email, customer::get{}, req.request_id, std::move(res),
      [](const customer::state& st, http::responder& res) {
        if (!st.exists)
          return res.error(errc::unauthenticated, "the account of this token does not exist");
        reply_json(res, 200, render_me(st));
      });
}

} // namespace

void add_auth_routes(http::router& r, services& s) {
  using http::auth_requirement;
  r.post("/api/v1/auth/register", auth_requirement::none, bind(s, register_customer));
  r.post("/api/v1/auth/login", auth_requirement::none, bind(s, login));
  r.post("/api/v1/auth/logout", auth_requirement::customer, bind(s, logout));
  r.get("/api/v1/me", auth_requirement::customer, bind(s, me));
}

} // namespace agora::net::api
