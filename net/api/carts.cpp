// Carts (API.md "Carts"). Every cart route first reads the cart to check who
// may touch it (401/403 come before body errors, per the contract's order of
// checks), then validates the body, then runs the command.
#include "net/api/api.hpp"
#include "net/api/common.hpp"
#include "net/api/render.hpp"

#include "actors/common/ids.hpp"
#include "net/http/body.hpp"

namespace agora::net::api {

namespace {

using cart::cart_traits;

problem cart_not_found(std::string_view id) {
  json::object details;
  details["cart_id"] = id;
  return make_problem(errc::not_found, "no cart with id " + std::string(id),
                      json::serialize(details));
}

/// Replies with the cart rendered at current catalogue prices.
void reply_cart(services& s, std::string cart_id, cart::state st, http::responder res,
                unsigned status = 200) {
  std::vector<std::string> skus;
  skus.reserve(st.lines.size());
  for (auto& l : st.lines)
    skus.push_back(l.sku);
  s.cache->lookup_all(skus, [cart_id = std::move(cart_id), st = std::move(st), res,
                             status](std::unordered_map<std::string, catalogue::product_info> p) {
    auto out = http::response::json(status, json::serialize(render_cart(cart_id, st, p)));
    if (status == 201)
      out.with_header("Location", "/api/v1/carts/" + cart_id);
    res.send(std::move(out));
  });
}

/// Reads the cart, checks access, then calls `next(state, res)`.
/// `validate` runs after the access check and before the existence check.
template <class Validate, class Next>
void with_cart(services& s, http::request& req, http::responder res, Validate validate,
               Next next) {
  auto id = std::string(req.param("cart_id"));
  if (!is_uuid(id)) {
    if (auto bad = validate(); bad)
      return res.error(*bad);
    return res.error(cart_not_found(id));
  }
  ask(s.carts, id, cart::get{}, req, std::move(res),
      [req, id, validate = std::move(validate), next = std::move(next)](
        const cart::state& st, http::responder& res) mutable {
        if (st.exists)
          if (auto denied = check_owner(req, st.customer_id))
            return res.error(*denied);
        if (auto bad = validate(); bad)
          return res.error(*bad);
        if (!st.exists)
          return res.error(cart_not_found(id));
        next(st, res);
      });
}

std::optional<problem> no_body_checks() {
  return std::nullopt;
}

void create_cart(services& s, http::request& req, http::responder res) {
  auto body = http::parse_json_object(req.body);
  if (!body)
    return res.error(body.error());
  cart::create cmd;
  if (req.caller)
    cmd.customer_id = req.caller->customer_id;
  cmd.currency = s.cfg->shipping.currency;
  auto id = new_uuid();
  ask(s.carts, id, std::move(cmd), req, std::move(res),
      [&s, id](const cart::state& st, http::responder& res) {
        reply_cart(s, id, st, std::move(res), 201);
      });
}

void get_cart(services& s, http::request& req, http::responder res) {
  with_cart(s, req, std::move(res), no_body_checks,
            [&s, id = std::string(req.param("cart_id"))](const cart::state& st,
                                                          http::responder& res) {
              reply_cart(s, id, st, std::move(res));
            });
}

/// Shared by add (POST) and set (PUT): looks up the product and its stock,
/// then sends `make(info, available)` to the cart.
template <class Make>
void change_line(services& s, const http::request& req, http::responder res, std::string cart_id,
                 std::string sku, bool allow_absent_product, Make make) {
  s.cache->lookup(sku, [&s, req, res, cart_id = std::move(cart_id), sku, allow_absent_product,
                        make = std::move(make)](std::optional<catalogue::product_info> info) {
    if ((!info || !info->listed) && !allow_absent_product)
      return res.error(product_not_found(sku));
    auto send = [&s, req, cart_id, make](std::optional<catalogue::product_info> info,
                                         int64_t available, http::responder res) {
      ask(s.carts, cart_id, make(info, available), req, std::move(res),
          [&s, cart_id](const cart::state& st, http::responder& res) {
            reply_cart(s, cart_id, st, std::move(res));
          });
    };
    if (!info || !info->listed)
      return send(std::nullopt, 0, res);
    ask(s.inventory, sku, inventory::get{}, req, res,
        [send, info](const inventory::levels& lv, http::responder& res) {
          send(info, lv.on_hand - lv.reserved, res);
        });
  });
}

void add_item(services& s, http::request& req, http::responder res) {
  auto body = http::parse_json_object(req.body);
  std::optional<problem> invalid;
  std::string sku;
  int64_t quantity = 0;
  if (!body) {
    invalid = body.error();
  } else {
    http::object_fields f{*body};
    auto sku_field = f.required_string("sku", 64);
    auto qty = f.required_int("quantity", 1, cart::max_line_quantity);
    if (!sku_field)
      invalid = sku_field.error();
    else if (!is_valid_sku(*sku_field))
      invalid = invalid_field("sku", "must match [A-Za-z0-9._-]{1,64}");
    else if (!qty)
      invalid = qty.error();
    else {
      sku = *sku_field;
      quantity = *qty;
    }
  }
  with_cart(s, req, std::move(res), [invalid] { return invalid; },
            [&s, req, sku, quantity](const cart::state&, http::responder& res) {
              change_line(s, req, res, std::string(req.param("cart_id")), sku, false,
                          [sku, quantity](std::optional<catalogue::product_info> info,
                                          int64_t available) -> cart::command {
                            return cart::add_item{sku, quantity, available, info->currency};
                          });
            });
}

void set_item(services& s, http::request& req, http::responder res) {
  auto sku = std::string(req.param("sku"));
  auto body = http::parse_json_object(req.body);
  std::optional<problem> invalid;
  int64_t quantity = 0;
  if (!body) {
    invalid = body.error();
  } else {
    auto qty = http::object_fields{*body}.required_int("quantity", 0, cart::max_line_quantity);
    if (!qty)
      invalid = qty.error();
    else
      quantity = *qty;
  }
  with_cart(s, req, std::move(res), [invalid] { return invalid; },
            [&s, req, sku, quantity](const cart::state&, http::responder& res) {
              // Setting 0 removes the line, even of a product retired since.
              if (quantity > 0 && !is_valid_sku(sku))
                return res.error(product_not_found(sku));
              change_line(s, req, res, std::string(req.param("cart_id")), sku, quantity == 0,
                          [sku, quantity](std::optional<catalogue::product_info> info,
                                          int64_t available) -> cart::command {
                            return cart::set_quantity{sku, quantity, available,
                                                      info ? info->currency : std::string{}};
                          });
            });
}

void remove_item(services& s, http::request& req, http::responder res) {
  with_cart(s, req, std::move(res), no_body_checks,
            [&s, req](const cart::state&, http::responder& res) {
              auto id = std::string(req.param("cart_id"));
              ask(s.carts, id, cart::remove_item{std::string(req.param("sku"))}, req,
                  std::move(res), [&s, id](const cart::state& st, http::responder& res) {
                    reply_cart(s, id, st, std::move(res));
                  });
            });
}

} // namespace

void add_cart_routes(http::router& r, services& s) {
  using http::auth_requirement;
  r.post("/api/v1/carts", auth_requirement::optional, bind(s, create_cart));
  r.get("/api/v1/carts/{cart_id}", auth_requirement::optional, bind(s, get_cart));
  r.post("/api/v1/carts/{cart_id}/items", auth_requirement::optional, bind(s, add_item));
  r.put("/api/v1/carts/{cart_id}/items/{sku}", auth_requirement::optional, bind(s, set_item));
  r.del("/api/v1/carts/{cart_id}/items/{sku}", auth_requirement::optional, bind(s, remove_item));
}

} // namespace agora::net::api
