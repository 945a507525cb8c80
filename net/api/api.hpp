// The API resources of API.md, registered on a router. Each resource file
// (products.cpp, carts.cpp, ...) validates input, asks entities through their
// shard regions (never blocking the I/O thread) and renders the reply.
#pragma once

#include <functional>

#include "actors/cart/cart.hpp"
#include "actors/catalogue/product_cache.hpp"
#include "actors/customer/customer.hpp"
#include "actors/inventory/inventory.hpp"
#include "actors/inventory/stock_cache.hpp"
#include "actors/order/order.hpp"
#include "actors/payment/gateway.hpp"
#include "actors/payment/payment.hpp"
#include "actors/product/product.hpp"
#include "actors/runtime/region.hpp"
#include "config/config.hpp"
#include "net/api/catalogue_client.hpp"
#include "net/api/read_cache.hpp"
#include "net/auth/jwt.hpp"
#include "net/auth/password.hpp"
#include "net/auth/revocations.hpp"
#include "net/http/router.hpp"
#include "persistence/pg/idempotency_store.hpp"
#include "persistence/pg/reader.hpp"
#include "sagas/checkout.hpp"
#include "sagas/checkout_runner.hpp"

namespace agora::net::api {

/// Everything the handlers use. Owned by the node's main; outlives the server.
struct services {
  const agora::config* cfg = nullptr;
  caf::actor_system* actor_system = nullptr;
  runtime::region_ref<product::product_traits> products;
  runtime::region_ref<inventory::inventory_traits> inventory;
  runtime::region_ref<cart::cart_traits> carts;
  runtime::region_ref<customer::customer_traits> customers;
  runtime::region_ref<order::order_traits> orders;
  runtime::region_ref<payment::payment_traits> payments;
  runtime::region_ref<checkout::checkout_traits> checkouts;
  sagas::checkout_runner runner;
  payment::gateway_actor gateway;
  catalogue::product_cache* cache = nullptr;
  /// Available stock of the settled inventory entities (null: ask the
  /// entity every time).
  inventory::stock_cache* stock = nullptr;
  catalogue_client catalogue;
  /// Recent catalogue read-model answers (null: none kept).
  read_cache* reads = nullptr;
  auth::token_service* tokens = nullptr;
  auth::password_hasher* hasher = nullptr;
  auth::revocation_list* revocations = nullptr;
  persistence::idempotency_store_actor idempotency;
  /// Blocking journal reads (order list, saga list and timeline).
  persistence::pg::reader reader;
  /// A bcrypt hash of a random password: logins for unknown e-mails verify
  /// against it so that timing does not reveal which accounts exist.
  std::string unknown_account_hash;
  /// Answers whether the node is ready (PostgreSQL reachable); async.
  std::function<void(std::function<void(bool, std::string)>)> readiness;
};

void add_auth_routes(http::router& r, services& s);
void add_product_routes(http::router& r, services& s);
void add_inventory_routes(http::router& r, services& s);
void add_cart_routes(http::router& r, services& s);
void add_checkout_routes(http::router& r, services& s);
void add_order_routes(http::router& r, services& s);
void add_payment_routes(http::router& r, services& s);
void add_shipping_routes(http::router& r, services& s);
void add_ops_routes(http::router& r, services& s);

/// All of the above, with Idempotency-Key support on the POSTs.
void add_routes(http::router& r, services& s);

} // namespace agora::net::api
