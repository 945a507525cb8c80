// Inventory levels (API.md "Inventory").
#include "net/api/api.hpp"
#include "net/api/common.hpp"
#include "net/api/render.hpp"

#include "actors/common/ids.hpp"
#include "net/http/body.hpp"

namespace agora::net::api {

namespace {

/// Calls `next` when `sku` names a product that was created (retired ones
/// keep their stock records), else answers 404.
template <class Next>
void with_product(services& s, const std::string& sku, http::responder res, Next next) {
  if (!is_valid_sku(sku))
    return res.error(product::not_found(sku));
  s.cache->lookup(sku, [sku, res, next = std::move(next)](
                         std::optional<catalogue::product_info> info) mutable {
    if (!info)
      return res.error(product::not_found(sku));
    next(std::move(res));
  });
}

void get_levels(services& s, http::request& req, http::responder res) {
  auto sku = std::string(req.param("sku"));
  with_product(s, sku, std::move(res), [&s, rid = req.request_id, sku](http::responder res) {
    ask(s.inventory, sku, inventory::get{}, rid, std::move(res),
        [sku](const inventory::levels& lv, http::responder& res) {
          reply_json(res, 200, render_levels(sku, lv));
        });
  });
}

void adjust_levels(services& s, http::request& req, http::responder res) {
  auto sku = std::string(req.param("sku"));
  auto body = http::parse_json_object(req.body);
  if (!body)
    return res.error(body.error());
  http::object_fields f{*body};
  auto delta = f.required_int("delta", -inventory::max_quantity, inventory::max_quantity);
  if (!delta)
    return res.error(delta.error());
  if (*delta == 0)
    return res.error(invalid_field("delta", "must not be 0"));
  auto reason = f.optional_string("reason", inventory::max_reason_length);
  if (!reason)
    return res.error(reason.error());
  inventory::adjust cmd{*delta, reason->value_or(""), {}};
  with_product(s, sku, std::move(res), [&s, rid = req.request_id, sku, cmd](http::responder res) {
    ask(s.inventory, sku, cmd, rid, std::move(res),
        [sku](const inventory::levels& lv, http::responder& res) {
          reply_json(res, 200, render_levels(sku, lv));
        });
  });
}

} // namespace

void add_inventory_routes(http::router& r, services& s) {
  using http::auth_requirement;
  r.get("/api/v1/inventory/{sku}", auth_requirement::none, bind(s, get_levels));
  r.post("/api/v1/inventory/{sku}/adjust", auth_requirement::admin, bind(s, adjust_levels));
}

} // namespace agora::net::api
