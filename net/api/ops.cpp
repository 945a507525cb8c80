// Shipping quotes and the operations endpoints that need the node's
// services (/readyz, /openapi.json). /healthz and /metrics belong to the
// HTTP server itself.
#include "net/api/api.hpp"
#include "net/api/common.hpp"
#include "net/api/idempotency.hpp"

#include "actors/shipping/shipping.hpp"
#include "net/http/body.hpp"

namespace agora::net::api {

/// The OpenAPI document (net/api/openapi.json, embedded at build time).
extern const char* const openapi_json;

namespace {

void shipping_quote(services& s, http::request& req, http::responder res) {
  auto lat = http::query_number(req, "lat", -90.0, 90.0);
  if (!lat)
    return res.error(lat.error());
  auto lon = http::query_number(req, "lon", -180.0, 180.0);
  if (!lon)
    return res.error(lon.error());
  if (!*lat)
    return res.error(invalid_field("lat", "is required"));
  if (!*lon)
    return res.error(invalid_field("lon", "is required"));
  auto q = shipping::quote_for(s.cfg->shipping, **lat, **lon);
  if (!q)
    return res.error(errc::unavailable, "no warehouse is configured");
  json::object wh;
  wh["name"] = q->from.name;
  wh["lat"] = q->from.lat;
  wh["lon"] = q->from.lon;
  json::object o;
  o["distance_km"] = static_cast<double>(q->distance_m) / 1000.0;
  o["cost_cents"] = q->cost_cents;
  o["currency"] = q->currency;
  o["warehouse"] = std::move(wh);
  reply_json(res, 200, o);
}

void readyz(services& s, http::request&, http::responder res) {
  s.readiness([res](bool ready, std::string reason) {
    json::object o;
    o["status"] = ready ? "ready" : "not_ready";
    if (!ready) {
      o["reason"] = reason;
      res.send(http::response::json(503, json::serialize(o)).with_header("Retry-After", "1"));
      return;
    }
    reply_json(res, 200, o);
  });
}

void openapi(services&, http::request&, http::responder res) {
  res.json(200, openapi_json);
}

} // namespace

void add_shipping_routes(http::router& r, services& s) {
  r.get("/api/v1/shipping/quote", http::auth_requirement::none, bind(s, shipping_quote));
}

void add_ops_routes(http::router& r, services& s) {
  r.get("/readyz", http::auth_requirement::none, bind(s, readyz));
  r.get("/openapi.json", http::auth_requirement::none, bind(s, openapi));
}

void add_routes(http::router& r, services& s) {
  add_auth_routes(r, s);
  add_product_routes(r, s);
  add_inventory_routes(r, s);
  add_cart_routes(r, s);
  add_checkout_routes(r, s);
  add_order_routes(r, s);
  add_payment_routes(r, s);
  add_shipping_routes(r, s);
  add_ops_routes(r, s);
  make_posts_idempotent(r, s);
}

} // namespace agora::net::api
