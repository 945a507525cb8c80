#include "persistence/projections/catalogue_queries.hpp"

#include <memory>

#include <caf/all.hpp>

#include "actors/common/log.hpp"
#include "actors/type_ids.hpp"
#include "config/config.hpp"
#include "persistence/pg/connection.hpp"
#include "persistence/pg/tailer.hpp"

namespace agora::persistence::catalogue {

namespace {

problem db_problem(const pg::db_error& err, std::string_view what) {
  if (err.kind == pg::failure_kind::unavailable)
    return make_problem(errc::unavailable, "catalogue store unavailable");
  persistence_log().error("catalogue {} failed: {}", what, err.message);
  return make_problem(errc::internal, "catalogue query failed");
}

// -- list SQL -------------------------------------------------------------------

// The selected columns; `rank` is the relevance (0 without q).
constexpr std::string_view list_select = R"sql(
SELECT * FROM (
  SELECT sku, name, coalesce(description, '') AS description, price_cents, currency, category,
         attributes::text AS attributes, greatest(on_hand - reserved, 0) AS available, version,
         (extract(epoch FROM updated_at) * 1000000)::bigint AS updated_us,
         CASE WHEN $1 = '' OR numnode(query.tsq) = 0 THEN 0::real
              ELSE ts_rank(search, query.tsq) END AS rank
    FROM catalogue_products,
         (SELECT plainto_tsquery('english', $1) AS tsq) AS query
   WHERE listed
     AND ($1 = '' OR numnode(query.tsq) = 0 OR search @@ query.tsq)
     AND ($2 = '' OR category = $2)
     AND price_cents BETWEEN $3::bigint AND $4::bigint
) p
)sql";

struct order_sql {
  /// Keyset predicate with $6 = key, $7 = sku.
  std::string_view after;
  std::string_view order_by;
};

order_sql order_for(sort_order s) {
  switch (s) {
    case sort_order::relevance:
      return {"WHERE (rank < $6::real OR (rank = $6::real AND sku > $7))",
              "ORDER BY rank DESC, sku"};
    case sort_order::price_asc:
      return {"WHERE (price_cents, sku) > ($6::bigint, $7)", "ORDER BY price_cents, sku"};
    case sort_order::price_desc:
      return {"WHERE (price_cents < $6::bigint OR (price_cents = $6::bigint AND sku > $7))",
              "ORDER BY price_cents DESC, sku"};
    case sort_order::name:
      break;
  }
  return {"WHERE (lower(name), name, sku) > (lower($6), $6, $7)",
          "ORDER BY lower(name), name, sku"};
}

// -- detached worker ------------------------------------------------------------

struct worker_state {
  static inline const char* name = "catalogue-query";
  std::unique_ptr<pg::connection> conn;
};

template <class T>
caf::result<T> reply(result<T>&& res) {
  if (!res)
    return to_error(res.error());
  return std::move(*res);
}

catalogue_query_actor::behavior_type
worker_impl(catalogue_query_actor::stateful_pointer<worker_state> self, std::string conninfo) {
  self->state.conn = std::make_unique<pg::connection>(std::move(conninfo), "agora-catalogue");
  return {
    [=](list_request& req) -> caf::result<product_page> {
      return reply(list_products(*self->state.conn, req));
    },
    [=](suggest_request& req) -> caf::result<suggestions> {
      return reply(suggest_products(*self->state.conn, req));
    },
    [=](categories_request&) -> caf::result<category_list> {
      return reply(list_categories(*self->state.conn));
    },
    [=](price_book_request&) -> caf::result<price_book> {
      return reply(load_price_book(*self->state.conn));
    },
  };
}

// -- dispatcher -----------------------------------------------------------------

struct dispatcher_state {
  static inline const char* name = "catalogue-queries";
  std::vector<catalogue_query_actor> workers;
  size_t next = 0;

  const catalogue_query_actor& pick() {
    return workers[next++ % workers.size()];
  }
};

catalogue_query_actor::behavior_type
dispatcher_impl(catalogue_query_actor::stateful_pointer<dispatcher_state> self,
                std::string conninfo, int64_t workers) {
  for (int64_t i = 0; i < std::max<int64_t>(1, workers); ++i)
    self->state.workers.push_back(
      self->spawn<caf::detached + caf::linked>(worker_impl, conninfo));
  return {
    [=](list_request& req) -> caf::result<product_page> {
      return self->delegate(self->state.pick(), std::move(req));
    },
    [=](suggest_request& req) -> caf::result<suggestions> {
      return self->delegate(self->state.pick(), std::move(req));
    },
    [=](categories_request& req) -> caf::result<category_list> {
      return self->delegate(self->state.pick(), req);
    },
    [=](price_book_request& req) -> caf::result<price_book> {
      return self->delegate(self->state.pick(), req);
    },
  };
}

} // namespace

catalogue_query_actor spawn_catalogue_queries(caf::actor_system& sys, const agora::config& cfg) {
  return sys.spawn(dispatcher_impl, cfg.pg.conninfo, cfg.pg.readers);
}

// -- errors ---------------------------------------------------------------------

caf::error to_error(const problem& p) {
  return caf::make_error(p.code, p.message, p.details);
}

problem to_problem(const caf::error& err) {
  if (err.category() == caf::atom("agora")) {
    auto code = static_cast<errc>(err.code());
    const auto& ctx = err.context();
    if (ctx.match_elements<std::string, std::string>())
      return make_problem(code, ctx.get_as<std::string>(0), ctx.get_as<std::string>(1));
    if (ctx.match_elements<std::string>())
      return make_problem(code, ctx.get_as<std::string>(0));
    return make_problem(code, std::string{agora::to_string(code)});
  }
  if (err == caf::sec::request_timeout || err == caf::sec::request_receiver_down)
    return make_problem(errc::unavailable, "catalogue queries unavailable");
  return make_problem(errc::internal, caf::to_string(err));
}

// -- blocking queries -----------------------------------------------------------

result<product_page> list_products(pg::connection& conn, const list_request& req) {
  sort_order sort = req.q.empty() ? sort_order::name : sort_order::relevance;
  if (!req.sort.empty()) {
    auto s = parse_sort(req.sort);
    if (!s)
      return invalid_field("sort", "sort must be relevance, price_asc, price_desc or name");
    sort = *s;
  }
  if (req.limit < 1 || req.limit > 200)
    return invalid_field("limit", "limit must be between 1 and 200");
  std::optional<cursor_key> after;
  if (!req.cursor.empty()) {
    auto c = decode_cursor(req.cursor, sort);
    if (!c)
      return std::move(c).error();
    after = std::move(*c);
  }
  auto order = order_for(sort);
  std::string sql{list_select};
  if (after)
    sql.append(order.after).append("\n");
  sql.append(order.order_by).append("\nLIMIT $5::bigint");
  std::vector<std::string> params{
    req.q,
    req.category,
    std::to_string(req.min_price),
    std::to_string(req.max_price),
    std::to_string(req.limit + 1),
  };
  if (after) {
    params.push_back(after->key);
    params.push_back(after->sku);
  }
  auto res = conn.exec_params(sql, params);
  if (!res)
    return db_problem(res.error(), "list");
  product_page page;
  auto n = std::min<int64_t>(res.rows(), req.limit);
  for (int r = 0; r < n; ++r) {
    product_view v;
    v.sku = res.text(r, 0);
    v.name = res.text(r, 1);
    v.description = res.text(r, 2);
    v.price_cents = res.int64(r, 3);
    v.currency = res.text(r, 4);
    v.category = res.text(r, 5);
    v.attributes_json = res.text(r, 6);
    v.available = res.int64(r, 7);
    v.version = res.int64(r, 8);
    v.updated_at_us = res.int64(r, 9);
    page.items.push_back(std::move(v));
  }
  if (res.rows() > req.limit && n > 0) {
    int last = static_cast<int>(n) - 1;
    cursor_key next{sort, "", std::string{res.text(last, 0)}};
    switch (sort) {
      case sort_order::relevance: next.key = res.text(last, 10); break;
      case sort_order::price_asc:
      case sort_order::price_desc: next.key = res.text(last, 3); break;
      case sort_order::name: next.key = res.text(last, 1); break;
    }
    page.next_cursor = encode_cursor(next);
  }
  return page;
}

result<suggestions> suggest_products(pg::connection& conn, const suggest_request& req) {
  if (req.limit < 1 || req.limit > 200)
    return invalid_field("limit", "limit must be between 1 and 200");
  suggestions out;
  if (req.prefix.empty())
    return out;
  // A name qualifies when one of its words starts with the prefix; names
  // where that word comes earlier, then shorter names, rank first.
  constexpr const char* sql = R"sql(
SELECT name FROM (
  SELECT p.name, min(w.ord) AS pos
    FROM catalogue_products p
   CROSS JOIN LATERAL unnest(regexp_split_to_array(lower(p.name), '[^[:alnum:]]+'))
         WITH ORDINALITY AS w(word, ord)
   WHERE p.listed
     AND lower(p.name) LIKE '%' || lower($1) || '%'
     AND w.word LIKE lower($1) || '%'
   GROUP BY p.name
) s
ORDER BY pos, length(name), name
LIMIT $2::bigint
)sql";
  auto res = conn.exec_params(sql, {escape_like(req.prefix), std::to_string(req.limit)});
  if (!res)
    return db_problem(res.error(), "suggest");
  for (int r = 0; r < res.rows(); ++r)
    out.names.emplace_back(res.text(r, 0));
  return out;
}

result<category_list> list_categories(pg::connection& conn) {
  auto res = conn.exec("SELECT category, count(*) FROM catalogue_products"
                       " WHERE listed GROUP BY category ORDER BY category");
  if (!res)
    return db_problem(res.error(), "categories");
  category_list out;
  for (int r = 0; r < res.rows(); ++r)
    out.items.push_back(category_count{std::string{res.text(r, 0)}, res.int64(r, 1)});
  return out;
}

result<price_book> load_price_book(pg::connection& conn) {
  auto res = conn.exec("SELECT sku, name, price_cents, currency, listed FROM catalogue_products"
                       " WHERE name IS NOT NULL ORDER BY sku");
  if (!res)
    return db_problem(res.error(), "price book");
  price_book out;
  for (int r = 0; r < res.rows(); ++r)
    out.entries.push_back(price_entry{std::string{res.text(r, 0)}, std::string{res.text(r, 1)},
                                      res.int64(r, 2), std::string{res.text(r, 3)},
                                      res.boolean(r, 4)});
  return out;
}

} // namespace agora::persistence::catalogue
