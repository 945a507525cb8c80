// Carts (API.md "Carts"). A change is one cart command: the cart's decide()
// checks who may touch it (401/403), its status, the product and the stock.
// Only a malformed request reads the cart first, so that 401/403 still come
// before its 400 (the contract's order of checks).
#include <memory>

#include "net/api/api.hpp"
#include "net/api/cart_bodies.hpp"
#include "net/api/common.hpp"
#include "net/api/idempotency.hpp"
#include "net/api/render.hpp"

#include "actors/common/ids.hpp"
#include "actors/inventory/reservations.hpp"
#include "net/http/body.hpp"
#include "sagas/checkout.hpp"

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
  // Views into the lines: they stay in place when st moves (its vector
  // hands over its buffer).
  auto skus = st.skus();
  s.cache->lookup_all(skus, [cart_id = std::move(cart_id), st = std::move(st), res,
                             status](catalogue::product_refs p) {
    auto out = http::response::json(status, render_cart(cart_id, st, p));
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
  ask(s.carts, id, cart::get{}, req.request_id, std::move(res),
      [caller = req.caller, id, validate = std::move(validate), next = std::move(next)](
        cart::state&& st, http::responder& res) mutable {
        if (st.exists)
          if (auto denied = check_owner(caller, st.customer_id))
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
  s.carts.tell_new(id, std::move(cmd), req.request_id,
                   [&s, id, res = std::move(res)](result<cart::state> st) {
                     if (!st)
                       return res.error(st.error());
                     reply_cart(s, id, std::move(*st), res, 201);
                   });
}

void get_cart(services& s, http::request& req, http::responder res) {
  with_cart(s, req, std::move(res), no_body_checks,
            [&s, id = std::string(req.param("cart_id"))](cart::state& st,
                                                          http::responder& res) {
              reply_cart(s, id, std::move(st), std::move(res));
            });
}

/// The caller, for the cart's ownership rule (checked in its decide()).
cart::access access_of(const http::request& req) {
  cart::access by;
  by.checked = true;
  if (req.caller) {
    by.customer_id = req.caller->customer_id;
    by.admin = req.caller->is_admin();
  }
  return by;
}

/// Sends a cart command and replies with the cart.
void change_cart(services& s, const std::string& request_id, http::responder res,
                 std::string cart_id, cart::command cmd) {
  ask(s.carts, cart_id, std::move(cmd), request_id, std::move(res),
      [&s, cart_id](cart::state&& st, http::responder& res) {
        reply_cart(s, cart_id, std::move(st), std::move(res));
      });
}

/// Shared by add (POST) and set (PUT) once the body is valid: looks up the
/// product and its stock (the stock cache, else the inventory entity), then
/// sends `make(product, available)` to the cart, which checks access,
/// status, the product and the stock in one decision.
template <class Make>
void change_line(services& s, const http::request& req, http::responder res, std::string sku,
                 Make make) {
  auto cart_id = std::string(req.param("cart_id"));
  s.cache->lookup(sku, [&s, rid = req.request_id, res, cart_id, sku, make = std::move(make)](
                         std::optional<catalogue::product_info> info) mutable {
    if (!info || !info->listed)
      return change_cart(s, rid, res, cart_id, make(std::nullopt, 0));
    if (auto available = s.stock ? s.stock->available(sku) : std::nullopt)
      return change_cart(s, rid, res, cart_id, make(info, *available));
    ask(s.inventory, sku, inventory::get{}, rid, res,
        [&s, rid, cart_id, info, make](const inventory::levels& lv, http::responder& res) {
          change_cart(s, rid, res, cart_id, make(info, lv.on_hand - lv.reserved));
        });
  });
}

/// A malformed cart id or body: the cart is read first so that 401/403 come
/// before the 400 (API.md's order of checks); a malformed id is 404.
void reject_invalid(services& s, http::request& req, http::responder res, problem invalid) {
  with_cart(s, req, std::move(res), [invalid] { return std::optional<problem>{invalid}; },
            [](const cart::state&, http::responder&) {});
}

void add_item(services& s, http::request& req, http::responder res) {
  auto body = parse_add_item_body(req.body);
  if (!body)
    return reject_invalid(s, req, std::move(res), body.error());
  if (!is_uuid(req.param("cart_id")))
    return res.error(cart_not_found(req.param("cart_id")));
  change_line(s, req, std::move(res), body->sku,
              [sku = body->sku, quantity = body->quantity, by = access_of(req)](
                std::optional<catalogue::product_info> info, int64_t available) -> cart::command {
                return cart::add_item{sku, quantity, available,
                                      info ? info->currency : std::string{}, by,
                                      info.has_value()};
              });
}

void set_item(services& s, http::request& req, http::responder res) {
  auto sku = std::string(req.param("sku"));
  auto body = http::parse_json_object(req.body);
  if (!body)
    return reject_invalid(s, req, std::move(res), body.error());
  auto qty = http::object_fields{*body}.required_int("quantity", 0, cart::max_line_quantity);
  if (!qty)
    return reject_invalid(s, req, std::move(res), qty.error());
  if (!is_uuid(req.param("cart_id")))
    return res.error(cart_not_found(req.param("cart_id")));
  if (!is_valid_sku(sku)) {
    // No such product can exist, and no line of it: 404, or nothing to remove.
    return with_cart(s, req, std::move(res), no_body_checks,
                     [&s, sku, quantity = *qty, id = std::string(req.param("cart_id"))](
                       const cart::state& st, http::responder& res) {
                       if (quantity > 0)
                         return res.error(product::not_found(sku));
                       reply_cart(s, id, st, std::move(res));
                     });
  }
  change_line(s, req, std::move(res), sku,
              [sku, quantity = *qty, by = access_of(req)](
                std::optional<catalogue::product_info> info, int64_t available) -> cart::command {
                return cart::set_quantity{sku, quantity, available,
                                          info ? info->currency : std::string{}, by,
                                          info.has_value()};
              });
}

void remove_item(services& s, http::request& req, http::responder res) {
  auto cart_id = std::string(req.param("cart_id"));
  if (!is_uuid(cart_id))
    return res.error(cart_not_found(cart_id));
  change_cart(s, req.request_id, std::move(res), cart_id,
              cart::remove_item{std::string(req.param("sku")), access_of(req)});
}

/// 202 with the checkout's ids and its status (`shown`: the status a
/// repeat of a POST answered 202 "running" shows again).
void reply_checkout_status(const checkout::state& st, const http::responder& res,
                           std::optional<checkout::saga_status> shown = std::nullopt) {
  json::object body;
  body["checkout_id"] = st.checkout_id;
  body["order_id"] = st.order_id;
  body["status"] = checkout::to_string(shown.value_or(st.status));
  auto out = http::response::json(202, json::serialize(body));
  out.with_header("Location", "/api/v1/checkouts/" + st.checkout_id);
  res.send(std::move(out));
}

/// The answer of a checkout that was waited for: 201 with the order once
/// completed, 422 with the reason once compensated, else 202 with its status.
void reply_checkout_outcome(services& s, const checkout::state& st, http::responder res) {
  if (st.status == checkout::saga_status::compensated) {
    // The failure carries the saga's reason as its code (out_of_stock, ...).
    auto p = st.failure.value_or(make_problem(errc::conflict, "checkout was compensated"));
    return res.error(p.code, p.message,
                     with_string_member(p.details, "checkout_id", st.checkout_id));
  }
  if (st.status != checkout::saga_status::completed)
    return reply_checkout_status(st, res);
  json::object body;
  body["checkout_id"] = st.checkout_id;
  body["order_id"] = st.order_id;
  body["status"] = checkout::to_string(st.status);
  ask(s.orders, st.order_id, order::get{}, st.checkout_id, std::move(res),
      [body = std::move(body), id = st.checkout_id](const order::state& o,
                                                    http::responder& res) mutable {
        body["order"] = render_order(o);
        auto out = http::response::json(201, json::serialize(body));
        out.with_header("Location", "/api/v1/checkouts/" + id);
        res.send(std::move(out));
      });
}

// -- Idempotency-Key ----------------------------------------------------------
//
// A checkout POST with a key starts the checkout whose id the key derives
// (keyed_id of the key's scope and the key), so the checkout's own record is
// the key's memory: nothing else is written for the key. `checkout.started`
// holds the body's digest and whether the POST waited; an answer given before
// any checkout began (a 4xx) is recorded in the same stream as
// `checkout.request_rejected`. A repeat reaches that record through the cart (it
// names the checkout that holds it), or because starting or rejecting the
// derived id finds it taken, and is answered from it.

/// A keyed checkout POST: the derived checkout id and the body's digest.
struct checkout_key {
  std::string id;
  std::string hash;
};

/// Answers a repeat of a keyed checkout POST from the key's record: 409 for
/// another body, the recorded 4xx, or the checkout as the first POST was
/// answered (202 "running"; or, if it waited, the outcome, waited for again).
void answer_repeat(services& s, const checkout_key& key, const checkout::state& st,
                   http::responder res) {
  if (st.request_hash != key.hash)
    return res.error(errc::conflict, "this Idempotency-Key was used with another request body");
  if (st.rejected_status != 0) {
    if (auto r = decode_response(st.rejected_status, st.rejected_response))
      return res.send(std::move(*r));
    return res.error(errc::internal, "the recorded response is unreadable");
  }
  if (!st.waits)
    return reply_checkout_status(st, res, checkout::saga_status::running);
  if (st.terminal())
    return reply_checkout_outcome(s, st, std::move(res));
  s.runner.watch(st.checkout_id, std::chrono::milliseconds(s.cfg->checkout.wait_ms),
                 [&s, res](result<checkout::state> done) {
                   if (!done)
                     return res.error(done.error());
                   reply_checkout_outcome(s, *done, res);
                 });
}

/// The responder for what a keyed checkout POST answers before any checkout
/// began: a 4xx is recorded under the key (checkout::reject) and answered
/// from the record, so a repeat gets it again, or, when the key was taken
/// meanwhile, answered as a repeat. Other answers pass through. Once the
/// POST goes on to start its checkout, it takes `passed` (the responder's
/// claim to reply), and the responder is done: it neither answers nor, when
/// its last copy goes, complains that it did not.
http::responder recording_rejections(services& s, std::string rid, checkout_key key,
                                     http::responder original,
                                     std::shared_ptr<http::detail::reply_claim> passed) {
  auto sink = [&s, rid = std::move(rid), key = std::move(key), original](http::response&& r) {
    if (r.status < 400 || r.status > 499)
      return original.send(std::move(r));
    checkout::reject cmd{key.hash, static_cast<int32_t>(r.status), encode_response(r)};
    s.checkouts.tell_new(key.id, std::move(cmd), rid,
                         [&s, key, original](result<checkout::state> st) {
                           if (!st)
                             return original.error(st.error());
                           answer_repeat(s, key, *st, original);
                         });
  };
  return http::responder{std::make_shared<http::detail::reply_slot>(std::move(passed),
                                                                      std::move(sink))};
}

/// A waiting checkout refused at admission: recorded as refused (one
/// checkout.refused event) by its region without a live saga entity,
/// which a flash sale would otherwise start for every customer it turns
/// away; answered 422 out_of_stock. With a key whose record exists already
/// (the journal refuses the record's first seq_nr), that record answers
/// the repeat.
void refuse_checkout(services& s, const std::string& rid, std::string id, checkout::start cmd,
                     std::optional<checkout_key> key, http::responder res) {
  s.checkouts.record_new(
    id, std::move(cmd), rid,
    [&s, rid, id, key = std::move(key), res = std::move(res)](result<checkout::state> refused) {
      if (!refused && key && refused.error().code == errc::concurrency_conflict)
        return ask(s.checkouts, id, checkout::get{}, rid, res,
                   [&s, key](const checkout::state& st, http::responder& res) {
                     answer_repeat(s, *key, st, res);
                   });
      if (!refused)
        return res.error(refused.error());
      reply_checkout_outcome(s, *refused, res);
    });
}

/// Records checkout `id`, hands it to the runner and answers 202, or waits
/// for its end. `admitted`: the SKUs its admission holds
/// (inventory::admit_all), withdrawn if the checkout ends without reserving
/// them (the reservation takes an admission's place).
void begin_checkout(services& s, const std::string& rid, std::string id, checkout::start cmd,
                    std::optional<checkout_key> key, std::vector<std::string> admitted,
                    http::responder res) {
  auto give_back = [&s, rid, id, admitted = std::move(admitted)] {
    if (admitted.empty())
      return;
    auto reservation_id = checkout::step_key(id, checkout::step_name::reserve_inventory);
    inventory::release_all(s.inventory, std::move(reservation_id), admitted, rid,
                           [](std::optional<problem>) {});
  };
  auto withdraw = [give_back](const checkout::state* st) {
    if (!st || st->at(checkout::step_name::reserve_inventory).attempts == 0)
      give_back();
  };
  bool waits = cmd.waits;
  auto order_id = cmd.order_id;
  s.checkouts.tell_new(
    id, std::move(cmd), rid,
    [&s, id, waits, order_id, key = std::move(key), withdraw, give_back,
     res = std::move(res)](result<checkout::state> started) {
      if (!started) {
        withdraw(nullptr);
        return res.error(started.error());
      }
      if (started->order_id != order_id) {
        // The key's record existed: this POST started nothing. An admission
        // under the checkout's reservation id is the first POST's while that
        // checkout runs, and this one's once it has ended (its reservation
        // was committed or released; an operator's checkout keeps its own).
        using checkout::saga_status;
        if (!started->exists || started->status == saga_status::completed ||
            started->status == saga_status::compensated)
          give_back();
        return answer_repeat(s, *key, *started, res);
      }
      s.runner.run(id);
      if (!waits)
        return reply_checkout_status(*started, res);
      s.runner.watch(id, std::chrono::milliseconds(s.cfg->checkout.wait_ms),
                     [&s, withdraw, res](result<checkout::state> done) {
                       if (!done)
                         return res.error(done.error());
                       if (done->terminal())
                         withdraw(&*done);
                       reply_checkout_outcome(s, *done, res);
                     });
    });
}

/// POST /carts/{id}/checkout[?wait=true]: starts the saga (the caller must
/// be allowed to touch the cart, which must be open) and answers 202, or
/// waits for its end.
void start_checkout(services& s, http::request& req, http::responder res) {
  std::optional<checkout_key> key;
  // `early` answers what comes before the checkout: with a key, through the
  // key's record (until `passed` is taken); `res` answers from the checkout on.
  http::responder early = res;
  std::shared_ptr<http::detail::reply_claim> passed;
  if (auto header = req.header("Idempotency-Key")) {
    if (!valid_idempotency_key(*header))
      return res.error(invalid_idempotency_key());
    key = checkout_key{keyed_id(idempotency_scope(req), *header), body_digest(req.body)};
    passed = std::make_shared<http::detail::reply_claim>();
    early = recording_rejections(s, req.request_id, *key, res, passed);
  }
  auto body = checkout_body(req.body);
  if (!body)
    return reject_invalid(s, req, std::move(early), body.error());
  auto wait = req.query_param("wait");
  if (wait && *wait != "true" && *wait != "false")
    return reject_invalid(s, req, std::move(early),
                          invalid_field("wait", "wait must be true or false"));
  bool waits = wait && *wait == "true";
  std::optional<std::string> binding;
  if (req.caller && !req.caller->is_admin())
    binding = req.caller->customer_id;
  with_cart(s, req, std::move(early), no_body_checks,
            [&s, rid = req.request_id, cart_id = std::string(req.param("cart_id")),
             body = std::move(*body), binding, waits, key, passed,
             res](const cart::state& cart, http::responder& early) {
              if (key && cart.checkout_id == key->id) {
                // The cart is held by this key's checkout: a repeat.
                passed->try_claim();
                return ask(s.checkouts, key->id, checkout::get{}, rid, res,
                           [&s, key](const checkout::state& st, http::responder& res) {
                             answer_repeat(s, *key, st, res);
                           });
              }
              if (cart.status != cart::cart_status::open) {
                json::object details;
                details["cart_id"] = cart_id;
                details["status"] = cart::to_string(cart.status);
                details["checkout_id"] = cart.checkout_id;
                return early.error(errc::conflict,
                                   "cart " + cart_id + " is " +
                                     std::string(cart::to_string(cart.status)),
                                   json::serialize(details));
              }
              if (passed) // on to the checkout: `early` is done
                passed->try_claim();
              checkout::start cmd{cart_id,
                                  new_uuid(),
                                  new_uuid(),
                                  cart.customer_id ? cart.customer_id : binding,
                                  body.first,
                                  body.second,
                                  std::nullopt,
                                  key ? key->hash : std::string{},
                                  waits};
              auto id = key ? key->id : new_uuid();
              if (!waits)
                return begin_checkout(s, rid, std::move(id), std::move(cmd), key, {}, res);
              // A waiting checkout is admitted first: checkouts arriving
              // together see each other's admissions, and one whose stock is
              // short is answered 422 out_of_stock at once, recorded as
              // refused in one append instead of running the saga to its
              // reservation and back. (Without ?wait=true the contract's 202
              // says "running": the saga runs.)
              std::vector<inventory::line> lines;
              std::vector<std::string> skus;
              for (const auto& l : cart.lines) {
                lines.push_back({l.sku, l.quantity});
                skus.push_back(l.sku);
              }
              auto until = now_us() + s.cfg->checkout.wait_ms * 1000;
              inventory::admit_all(
                s.inventory, checkout::step_key(id, checkout::step_name::reserve_inventory),
                std::move(lines), until, rid,
                [&s, rid, id, cmd = std::move(cmd), skus = std::move(skus), key,
                 res](std::optional<problem> refused) mutable {
                  if (refused) { // admit_all withdrew what it had admitted
                    cmd.refused = std::move(refused);
                    return refuse_checkout(s, rid, std::move(id), std::move(cmd),
                                           std::move(key), std::move(res));
                  }
                  begin_checkout(s, rid, std::move(id), std::move(cmd), std::move(key),
                                 std::move(skus), std::move(res));
                });
            });
}

} // namespace

// -- request bodies (declared in cart_bodies.hpp) ------------------------------

result<add_item_body> parse_add_item_body(std::string_view text) {
  auto body = http::parse_json_object(text);
  if (!body)
    return body.error();
  http::object_fields f{*body};
  auto sku = f.required_string("sku", 64);
  if (!sku)
    return sku.error();
  if (!is_valid_sku(*sku))
    return invalid_field("sku", "must match [A-Za-z0-9._-]{1,64}");
  auto qty = f.required_int("quantity", 1, cart::max_line_quantity);
  if (!qty)
    return qty.error();
  return add_item_body{std::move(*sku), *qty};
}

result<std::pair<std::string, std::string>> checkout_body(const std::string& text) {
  auto body = http::parse_json_object(text);
  if (!body)
    return body.error();
  http::object_fields f{*body};
  auto address = f.required_object("shipping_address");
  if (!address)
    return address.error();
  json::object canonical;
  for (auto key : {"name", "line1", "city", "postal_code", "country"}) {
    auto v = address->required_string(key, order::max_text_length);
    if (!v)
      return v.error();
    canonical[key] = *v;
  }
  auto line2 = address->optional_string("line2", order::max_text_length);
  if (!line2)
    return line2.error();
  if (*line2)
    canonical["line2"] = **line2;
  auto lat = address->optional_number("lat", -90, 90);
  if (!lat)
    return lat.error();
  auto lon = address->optional_number("lon", -180, 180);
  if (!lon)
    return lon.error();
  if (lat->has_value() != lon->has_value())
    return invalid_field(address->field_name(lat->has_value() ? "lon" : "lat"),
                         "lat and lon go together");
  if (*lat) {
    canonical["lat"] = **lat;
    canonical["lon"] = **lon;
  }
  auto pay = f.required_object("payment");
  if (!pay)
    return pay.error();
  auto method = pay->required_string("method", 32);
  if (!method)
    return method.error();
  if (*method != "card")
    return invalid_field(pay->field_name("method"), "the only payment method is \"card\"");
  auto token = pay->required_string("token", 200);
  if (!token)
    return token.error();
  return std::pair{json::serialize(canonical), std::move(*token)};
}

void add_cart_routes(http::router& r, services& s) {
  using http::auth_requirement;
  r.post("/api/v1/carts", auth_requirement::optional, bind(s, create_cart));
  r.get("/api/v1/carts/{cart_id}", auth_requirement::optional, bind(s, get_cart));
  r.post("/api/v1/carts/{cart_id}/items", auth_requirement::optional, bind(s, add_item));
  r.put("/api/v1/carts/{cart_id}/items/{sku}", auth_requirement::optional, bind(s, set_item));
  r.del("/api/v1/carts/{cart_id}/items/{sku}", auth_requirement::optional, bind(s, remove_item));
  // ?wait=true may wait checkout.wait_ms for the saga, then for its order.
  auto& checkout = r.post("/api/v1/carts/{cart_id}/checkout", auth_requirement::optional,
                          bind(s, start_checkout));
  checkout.timeout = std::chrono::milliseconds(s.cfg->checkout.wait_ms + 5000);
  checkout.keeps_idempotency_keys = true;
}

} // namespace agora::net::api
