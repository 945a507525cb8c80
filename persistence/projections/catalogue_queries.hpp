// Reads of the catalogue read model (table catalogue_products, fed by
// catalogue_projection): list/search with keyset pagination, suggestions,
// categories, and the price book that warms a node's catalogue cache.
//
// The HTTP layer sends the request structs to a catalogue_query_actor (a
// dispatcher over detached workers, each with its own connection) and gets
// the result structs back. Errors arrive as caf::error: errc::invalid_request
// for a bad cursor/sort (use to_problem() to recover the problem with
// details.field), errc::unavailable when PostgreSQL is down.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/fwd.hpp>
#include <caf/optional.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/problem.hpp"
#include "persistence/projections/catalogue_cursor.hpp"

namespace agora {
struct config;
} // namespace agora

namespace agora::persistence::pg {
class connection;
} // namespace agora::persistence::pg

namespace agora::persistence::catalogue {

// -- requests -----------------------------------------------------------------

/// GET /api/v1/products. The HTTP layer has validated ranges already; the
/// query checks `sort` and `cursor` again (they are opaque text here).
struct list_request {
  /// Full-text query over name and description; every term must match.
  std::string q;
  /// Exact, case-sensitive category; empty = any.
  std::string category;
  /// Inclusive bounds; the defaults admit every price.
  int64_t min_price = 0;
  int64_t max_price = std::numeric_limits<int64_t>::max();
  /// relevance | price_asc | price_desc | name; empty = relevance with q,
  /// name without.
  std::string sort;
  /// 1..200.
  int64_t limit = 20;
  /// The next_cursor of the previous page; empty for the first page.
  std::string cursor;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, list_request& x) {
  return f(caf::meta::type_name("catalogue_list_request"), x.q, x.category, x.min_price,
           x.max_price, x.sort, x.limit, x.cursor);
}

/// GET /api/v1/products/suggest.
struct suggest_request {
  std::string prefix;
  int64_t limit = 10;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, suggest_request& x) {
  return f(caf::meta::type_name("catalogue_suggest_request"), x.prefix, x.limit);
}

/// GET /api/v1/categories.
struct categories_request {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, categories_request&) {
  return f(caf::meta::type_name("catalogue_categories_request"));
}

/// Every product row of the read model (start-up cache warm-up).
struct price_book_request {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, price_book_request&) {
  return f(caf::meta::type_name("catalogue_price_book_request"));
}

// -- results ------------------------------------------------------------------

/// One listed product as the list endpoint shows it.
struct product_view {
  std::string sku;
  std::string name;
  std::string description;
  int64_t price_cents = 0;
  std::string currency;
  std::string category;
  /// A JSON object text.
  std::string attributes_json = "{}";
  /// on_hand - reserved (0 when no inventory event arrived yet).
  int64_t available = 0;
  /// The product entity's seq_nr of its last product event.
  int64_t version = 0;
  int64_t updated_at_us = 0;

  friend bool operator==(const product_view&, const product_view&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, product_view& x) {
  return f(caf::meta::type_name("catalogue_product_view"), x.sku, x.name, x.description,
           x.price_cents, x.currency, x.category, x.attributes_json, x.available, x.version,
           x.updated_at_us);
}

struct product_page {
  std::vector<product_view> items;
  /// Set when more items follow.
  caf::optional<std::string> next_cursor;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, product_page& x) {
  return f(caf::meta::type_name("catalogue_product_page"), x.items, x.next_cursor);
}

struct suggestions {
  /// Product names, best first.
  std::vector<std::string> names;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, suggestions& x) {
  return f(caf::meta::type_name("catalogue_suggestions"), x.names);
}

struct category_count {
  std::string name;
  int64_t product_count = 0;

  friend bool operator==(const category_count&, const category_count&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, category_count& x) {
  return f(caf::meta::type_name("catalogue_category_count"), x.name, x.product_count);
}

struct category_list {
  /// Categories of listed products, ordered by name.
  std::vector<category_count> items;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, category_list& x) {
  return f(caf::meta::type_name("catalogue_category_list"), x.items);
}

struct price_entry {
  std::string sku;
  std::string name;
  int64_t price_cents = 0;
  std::string currency;
  bool listed = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, price_entry& x) {
  return f(caf::meta::type_name("catalogue_price_entry"), x.sku, x.name, x.price_cents,
           x.currency, x.listed);
}

struct price_book {
  /// Every product of the read model (retired ones with listed = false),
  /// ordered by SKU.
  std::vector<price_entry> entries;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, price_book& x) {
  return f(caf::meta::type_name("catalogue_price_book"), x.entries);
}

// -- the query actor ----------------------------------------------------------

using catalogue_query_actor = caf::typed_actor<
  caf::replies_to<list_request>::with<product_page>,
  caf::replies_to<suggest_request>::with<suggestions>,
  caf::replies_to<categories_request>::with<category_list>,
  caf::replies_to<price_book_request>::with<price_book>>;

/// Spawns a dispatcher and `cfg.pg.readers` detached workers (linked to it),
/// each with its own connection to `cfg.pg.conninfo`. Stop it with an exit
/// message.
catalogue_query_actor spawn_catalogue_queries(caf::actor_system& sys, const agora::config& cfg);

/// A problem as a caf::error (code + context (message, details)), the form
/// in which the query actor reports failures.
caf::error to_error(const problem& p);

/// The problem carried by an error from the query actor (or a generic one
/// for other errors: request timeouts become errc::unavailable).
problem to_problem(const caf::error& err);

// -- blocking queries (used by the workers; handy in tools and tests) ---------

result<product_page> list_products(pg::connection& conn, const list_request& req);
result<suggestions> suggest_products(pg::connection& conn, const suggest_request& req);
result<category_list> list_categories(pg::connection& conn);
result<price_book> load_price_book(pg::connection& conn);

} // namespace agora::persistence::catalogue
