// Catalogue: products (API.md "Catalogue"). Writes and single-product reads go
// to the product entity (always current); lists, search, suggestions and
// categories come from the read model fed by the journal.
#include "net/api/api.hpp"

#include "net/api/common.hpp"
#include "net/api/render.hpp"

#include "actors/common/ids.hpp"
#include "net/http/body.hpp"

namespace agora::net::api {

namespace {

using http::object_fields;
using product::product_traits;

/// The product fields shared by POST and PUT (`sku` only in POST).
struct product_fields {
  std::string name, description, currency, category;
  int64_t price_cents = 0;
  std::string attributes_json = "{}";
};

result<product_fields> read_fields(const object_fields& f) {
  product_fields out;
  auto name = f.required_string("name", product::max_name_length);
  if (!name)
    return std::move(name).error();
  auto description = f.required_string("description", product::max_description_length, 0);
  if (!description)
    return std::move(description).error();
  auto price = f.required_int("price_cents", 0, product::max_price_cents);
  if (!price)
    return std::move(price).error();
  auto currency = f.required_string("currency", 3, 3);
  if (!currency)
    return std::move(currency).error();
  auto category = f.required_string("category", product::max_category_length);
  if (!category)
    return std::move(category).error();
  auto attributes = f.optional_object("attributes");
  if (!attributes)
    return std::move(attributes).error();
  out.name = std::move(*name);
  out.description = std::move(*description);
  out.price_cents = *price;
  out.currency = std::move(*currency);
  out.category = std::move(*category);
  if (*attributes)
    out.attributes_json = json::serialize((*attributes)->object());
  return out;
}

/// The product with its availability (201 adds Location).
http::response product_response(const product::state& st, const inventory::levels& lv,
                                 unsigned status) {
  auto out = http::response::json(status, json::serialize(render_product(st, lv.available())));
  if (status == 201)
    out.with_header("Location", "/api/v1/products/" + st.sku);
  return out;
}

/// Replies with the product and its current availability.
void reply_product(services& s, const product::state& st, const std::string& request_id,
                   http::responder res, unsigned status) {
  ask(s.inventory, st.sku, inventory::get{}, request_id, std::move(res),
      [st, status](const inventory::levels& lv, http::responder& res) {
        res.send(product_response(st, lv, status));
      });
}

void create_product(services& s, http::request& req, http::responder res) {
  auto body = http::parse_json_object(req.body);
  if (!body)
    return res.error(body.error());
  object_fields f{*body};
  auto sku = f.required_string("sku", 64);
  if (!sku)
    return res.error(sku.error());
  if (!is_valid_sku(*sku) || *sku == "suggest")
    return res.error(invalid_field("sku", "must match [A-Za-z0-9._-]{1,64} (and not be \"suggest\")"));
  auto fields = read_fields(f);
  if (!fields)
    return res.error(fields.error());
  auto initial = f.optional_int("initial_stock", 0, inventory::max_quantity);
  if (!initial)
    return res.error(initial.error());
  product::create cmd{*sku,          fields->name,     fields->description, fields->price_cents,
                      fields->currency, fields->category, fields->attributes_json};
  auto stock = initial->value_or(0);
  ask(s.products, *sku, std::move(cmd), req.request_id, std::move(res),
      [&s, stock, rid = req.request_id](const product::state& st, http::responder& res) {
        if (stock == 0)
          return reply_product(s, st, rid, std::move(res), 201);
        ask(s.inventory, st.sku, inventory::adjust{stock, "initial stock", {}}, rid, std::move(res),
            [st](const inventory::levels& lv, http::responder& res) {
              res.send(product_response(st, lv, 201));
            });
      });
}

void get_product(services& s, http::request& req, http::responder res) {
  auto sku = std::string(req.param("sku"));
  if (!is_valid_sku(sku))
    return res.error(product::not_found(sku));
  ask(s.products, sku, product::get{}, req.request_id, std::move(res),
      [&s, sku, rid = req.request_id](const product::state& st, http::responder& res) {
        if (!st.exists || st.retired)
          return res.error(product::not_found(sku));
        reply_product(s, st, rid, std::move(res), 200);
      });
}

void replace_product(services& s, http::request& req, http::responder res) {
  auto sku = std::string(req.param("sku"));
  auto body = http::parse_json_object(req.body);
  if (!body)
    return res.error(body.error());
  object_fields f{*body};
  if (f.has("sku")) {
    auto in_body = f.required_string("sku", 64);
    if (!in_body || *in_body != sku)
      return res.error(invalid_field("sku", "must be absent or equal to the SKU in the path"));
  }
  auto fields = read_fields(f);
  if (!fields)
    return res.error(fields.error());
  if (!is_valid_sku(sku))
    return res.error(product::not_found(sku));
  product::replace cmd{fields->name,     fields->description, fields->price_cents,
                       fields->currency, fields->category,    fields->attributes_json};
  ask(s.products, sku, std::move(cmd), req.request_id, std::move(res),
      [&s, rid = req.request_id](const product::state& st, http::responder& res) {
        reply_product(s, st, rid, std::move(res), 200);
      });
}

void patch_product(services& s, http::request& req, http::responder res) {
  auto sku = std::string(req.param("sku"));
  auto body = http::parse_json_object(req.body);
  if (!body)
    return res.error(body.error());
  object_fields f{*body};
  product::patch cmd;
  auto name = f.optional_string("name", product::max_name_length, 1);
  if (!name)
    return res.error(name.error());
  auto description = f.optional_string("description", product::max_description_length, 0);
  if (!description)
    return res.error(description.error());
  auto price = f.optional_int("price_cents", 0, product::max_price_cents);
  if (!price)
    return res.error(price.error());
  auto currency = f.optional_string("currency", 3, 3);
  if (!currency)
    return res.error(currency.error());
  auto category = f.optional_string("category", product::max_category_length, 1);
  if (!category)
    return res.error(category.error());
  auto attributes = f.optional_object("attributes");
  if (!attributes)
    return res.error(attributes.error());
  cmd.name = std::move(*name);
  cmd.description = std::move(*description);
  cmd.price_cents = *price;
  cmd.currency = std::move(*currency);
  cmd.category = std::move(*category);
  if (*attributes)
    cmd.attributes_json = json::serialize((*attributes)->object());
  if (!is_valid_sku(sku))
    return res.error(product::not_found(sku));
  ask(s.products, sku, std::move(cmd), req.request_id, std::move(res),
      [&s, rid = req.request_id](const product::state& st, http::responder& res) {
        reply_product(s, st, rid, std::move(res), 200);
      });
}

void retire_product(services& s, http::request& req, http::responder res) {
  auto sku = std::string(req.param("sku"));
  if (!is_valid_sku(sku))
    return res.error(product::not_found(sku));
  ask(s.products, sku, product::retire{}, req.request_id, std::move(res),
      [](const product::state&, http::responder& res) { res.no_content(); });
}

// -- read model ---------------------------------------------------------------

/// Answers from the read cache when it holds a fresh body under `key`.
bool reply_cached(services& s, const http::responder& res, const std::string& key) {
  if (!s.reads)
    return false;
  auto body = s.reads->find(key);
  if (!body)
    return false;
  res.json(200, std::move(*body));
  return true;
}

/// Sends `body` (200) and keeps it in the read cache under `key`.
void reply_and_cache(services& s, const http::responder& res, std::string key,
                     const json::value& body) {
  auto text = json::serialize(body);
  if (s.reads)
    s.reads->store(std::move(key), text);
  res.json(200, std::move(text));
}

/// The read cache key of a product list: every field of the query.
std::string list_key(const persistence::catalogue::list_request& q) {
  return read_cache::key({"list", q.q, q.category, std::to_string(q.min_price),
                          std::to_string(q.max_price), q.sort, std::to_string(q.limit),
                          q.cursor});
}

void list_products(services& s, http::request& req, http::responder res) {
  auto page = http::page_query(req);
  if (!page)
    return res.error(page.error());
  persistence::catalogue::list_request q;
  q.limit = page->limit;
  q.cursor = page->cursor;
  if (auto v = req.query_param("q"))
    q.q = std::string(*v);
  if (auto v = req.query_param("category"))
    q.category = std::string(*v);
  auto min_price = http::query_int(req, "min_price", 0, product::max_price_cents);
  if (!min_price)
    return res.error(min_price.error());
  auto max_price = http::query_int(req, "max_price", 0, product::max_price_cents);
  if (!max_price)
    return res.error(max_price.error());
  q.min_price = min_price->value_or(q.min_price);
  q.max_price = max_price->value_or(q.max_price);
  if (auto v = req.query_param("sort")) {
    if (*v != "relevance" && *v != "price_asc" && *v != "price_desc" && *v != "name")
      return res.error(
        invalid_field("sort", "must be one of relevance, price_asc, price_desc, name"));
    q.sort = std::string(*v);
  }
  auto key = list_key(q);
  if (reply_cached(s, res, key))
    return;
  s.catalogue.list(std::move(q), [&s, res, key = std::move(key)](
                                   result<persistence::catalogue::product_page> page) mutable {
    if (!page)
      return res.error(page.error());
    json::array items;
    items.reserve(page->items.size());
    for (auto& p : page->items)
      items.push_back(render_product_view(p));
    json::object body;
    body["items"] = std::move(items);
    if (page->next_cursor)
      body["next_cursor"] = *page->next_cursor;
    else
      body["next_cursor"] = nullptr;
    reply_and_cache(s, res, std::move(key), body);
  });
}

void suggest_products(services& s, http::request& req, http::responder res) {
  auto prefix = req.query_param("prefix");
  if (!prefix || prefix->empty())
    return res.error(invalid_field("prefix", "is required"));
  if (prefix->size() > 100)
    return res.error(invalid_field("prefix", "must be at most 100 characters"));
  auto limit = http::query_int(req, "limit", 1, 50);
  if (!limit)
    return res.error(limit.error());
  auto key = read_cache::key({"suggest", *prefix, std::to_string(limit->value_or(10))});
  if (reply_cached(s, res, key))
    return;
  s.catalogue.suggest(std::string(*prefix), limit->value_or(10),
                      [&s, res, key = std::move(key)](
                        result<std::vector<std::string>> names) mutable {
                        if (!names)
                          return res.error(names.error());
                        json::array arr;
                        for (auto& n : *names)
                          arr.emplace_back(n);
                        json::object body;
                        body["suggestions"] = std::move(arr);
                        reply_and_cache(s, res, std::move(key), body);
                      });
}

void list_categories(services& s, http::request&, http::responder res) {
  if (reply_cached(s, res, read_cache::key({"categories"})))
    return;
  s.catalogue.categories(
    [&s, res](result<std::vector<persistence::catalogue::category_count>> cats) {
    if (!cats)
      return res.error(cats.error());
    json::array arr;
    for (auto& c : *cats) {
      json::object o;
      o["name"] = c.name;
      o["product_count"] = c.product_count;
      arr.push_back(std::move(o));
    }
    json::object body;
    body["items"] = std::move(arr);
    reply_and_cache(s, res, read_cache::key({"categories"}), body);
  });
}

} // namespace

void add_product_routes(http::router& r, services& s) {
  using http::auth_requirement;
  r.post("/api/v1/products", auth_requirement::admin, bind(s, create_product));
  r.get("/api/v1/products", auth_requirement::none, bind(s, list_products));
  r.get("/api/v1/products/suggest", auth_requirement::none, bind(s, suggest_products));
  r.get("/api/v1/products/{sku}", auth_requirement::none, bind(s, get_product));
  r.put("/api/v1/products/{sku}", auth_requirement::admin, bind(s, replace_product));
  r.patch("/api/v1/products/{sku}", auth_requirement::admin, bind(s, patch_product));
  r.del("/api/v1/products/{sku}", auth_requirement::admin, bind(s, retire_product));
  r.get("/api/v1/categories", auth_requirement::none, bind(s, list_categories));
}

} // namespace agora::net::api
