// JSON on the request path of the cart and checkout endpoints: parsing the
// bodies of POST /carts/{id}/items and POST /carts/{id}/checkout with the
// handlers' own parsers (net/api/cart_bodies.hpp), and rendering the cart,
// order and checkout responses with net/api/render.hpp + json::serialize, as
// the handlers do before they hand the text to Beast, and the 422 of a
// checkout refused at admission.
#include <benchmark/benchmark.h>

#include <string>

#include "actors/common/time.hpp"
#include "bench/bench_support.hpp"
#include "actors/common/json.hpp"
#include "actors/inventory/inventory.hpp"
#include "net/api/cart_bodies.hpp"
#include "net/api/render.hpp"
#include "net/http/handler.hpp"

namespace agora::bench {
namespace {

// -- request bodies -------------------------------------------------------------

const std::string add_item_text = R"({"sku":"EL-0001","quantity":2})";

const std::string checkout_text =
  R"({"shipping_address":{"name":"Ana Silva","line1":"Rua Augusta 27","city":"Lisbon",)"
  R"("postal_code":"1100-048","country":"PT","lat":38.7108,"lon":-9.1368},)"
  R"("payment":{"method":"card","token":"tok_visa_4242"}})";

/// POST /carts/{id}/items: Boost.JSON parse + field checks (sku, quantity).
void BM_parse_add_item_body(benchmark::State& state) {
  auto once = net::api::parse_add_item_body(add_item_text);
  if (!verify(state, once && once->sku == "EL-0001" && once->quantity == 2,
              "parse_add_item_body did not read sku EL-0001 x 2"))
    return;
  for (auto _ : state) {
    auto body = net::api::parse_add_item_body(add_item_text);
    benchmark::DoNotOptimize(body);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(add_item_text.size()));
}
BENCHMARK(BM_parse_add_item_body);

/// POST /carts/{id}/checkout: parse, address and payment checks, and the
/// canonical address text the saga stores.
void BM_parse_checkout_body(benchmark::State& state) {
  auto once = net::api::checkout_body(checkout_text);
  if (!verify(state,
              once && once->second == "tok_visa_4242" &&
                once->first.find(R"("city":"Lisbon")") != std::string::npos,
              "checkout_body did not read the address and the token"))
    return;
  for (auto _ : state) {
    auto body = net::api::checkout_body(checkout_text);
    benchmark::DoNotOptimize(body);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(checkout_text.size()));
}
BENCHMARK(BM_parse_checkout_body);

// -- responses ----------------------------------------------------------------

struct cart_fixture {
  std::string cart_id = fake_uuid(1);
  cart::state st;
  catalogue::product_refs products;
  int64_t subtotal = 0;

  explicit cart_fixture(int lines) {
    st.exists = true;
    st.customer_id = fake_uuid(2);
    st.currency = "USD";
    st.created_at = fixed_now_us - 600'000'000;
    st.updated_at = fixed_now_us;
    for (int i = 0; i < lines; ++i) {
      auto sku = fake_sku(i + 1);
      int64_t qty = i % 3 + 1;
      int64_t price = 1'999 + 100 * i;
      st.lines.push_back(cart::line{sku, qty});
      products.push_back(std::make_shared<const catalogue::product_info>(
        catalogue::product_info{sku, "Stainless steel bottle " + sku, price, "USD", true}));
      subtotal += qty * price;
    }
    st.version = lines + 1;
  }
};

/// The cart body every cart endpoint answers with: render_cart (current
/// prices from the product cache's answer), written as text.
void BM_render_cart(benchmark::State& state) {
  cart_fixture f{static_cast<int>(state.range(0))};
  auto once = net::api::render_cart(f.cart_id, f.st, f.products);
  if (!verify(state,
              once.find(R"("subtotal_cents":)" + std::to_string(f.subtotal)) != std::string::npos,
              "render_cart did not total the lines"))
    return;
  for (auto _ : state) {
    auto text = net::api::render_cart(f.cart_id, f.st, f.products);
    benchmark::DoNotOptimize(text);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(once.size()));
  state.counters["body_bytes"] = static_cast<double>(once.size());
}
BENCHMARK(BM_render_cart)->ArgName("lines")->Arg(1)->Arg(5)->Arg(20);

order::state make_order(int lines) {
  order::state st;
  st.exists = true;
  st.order_id = fake_uuid(10);
  st.customer_id = fake_uuid(2);
  st.checkout_id = fake_uuid(11);
  st.status = order::order_status::paid;
  for (int i = 0; i < lines; ++i) {
    int64_t qty = i % 3 + 1;
    int64_t price = 1'999 + 100 * i;
    st.items.push_back(order::item{fake_sku(i + 1), "Stainless steel bottle " + fake_sku(i + 1),
                                   qty, price, qty * price});
    st.subtotal_cents += qty * price;
  }
  st.shipping_cents = 499;
  st.total_cents = st.subtotal_cents + st.shipping_cents;
  st.currency = "USD";
  // The canonical text checkout_body makes of the request's address.
  auto body = net::api::checkout_body(checkout_text);
  st.shipping_address = body ? body->first : std::string{};
  st.payment_id = fake_uuid(12);
  st.history = {{order::order_status::pending, fixed_now_us - 2'000'000},
                {order::order_status::paid, fixed_now_us - 1'000'000}};
  st.created_at = fixed_now_us - 2'000'000;
  st.updated_at = fixed_now_us - 1'000'000;
  st.version = 2;
  return st;
}

/// The order body: GET /orders/{id}, and the `order` of the 201 that a
/// checkout with ?wait=true answers (which adds checkout_id, order_id and
/// status around it).
void BM_render_order(benchmark::State& state) {
  auto st = make_order(static_cast<int>(state.range(0)));
  auto once = json::serialize(net::api::render_order(st));
  if (!verify(state,
              !st.shipping_address.empty() &&
                once.find(R"("total_cents":)" + std::to_string(st.total_cents)) !=
                  std::string::npos &&
                once.find(R"("city":"Lisbon")") != std::string::npos,
              "render_order did not render the total and the address"))
    return;
  for (auto _ : state) {
    auto text = json::serialize(net::api::render_order(st));
    benchmark::DoNotOptimize(text);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(once.size()));
  state.counters["body_bytes"] = static_cast<double>(once.size());
}
BENCHMARK(BM_render_order)->ArgName("lines")->Arg(1)->Arg(5)->Arg(20);

/// The checkout body (GET /checkouts/{id}) of a completed saga: seven steps
/// with their attempts and times.
void BM_render_checkout(benchmark::State& state) {
  checkout::state st;
  st.exists = true;
  st.checkout_id = fake_uuid(11);
  st.cart_id = fake_uuid(1);
  st.order_id = fake_uuid(10);
  st.payment_id = fake_uuid(12);
  st.customer_id = fake_uuid(2);
  st.status = checkout::saga_status::completed;
  for (size_t i = 0; i < checkout::step_count; ++i) {
    auto& s = st.steps[i];
    s.status = checkout::step_status::done;
    s.attempts = 1;
    s.started_at = fixed_now_us + static_cast<int64_t>(i) * 2'000;
    s.finished_at = s.started_at + 1'500;
  }
  st.priced = checkout::priced{st.customer_id, {}, 5'997, 499, 6'496, "USD"};
  st.started_at = fixed_now_us;
  st.finished_at = fixed_now_us + 15'000;
  st.updated_at = fixed_now_us + 15'000;
  auto once = json::serialize(net::api::render_checkout(st));
  if (!verify(state,
              once.find(R"("status":"completed")") != std::string::npos &&
                once.find(R"("name":"close_cart")") != std::string::npos,
              "render_checkout did not render the status and the steps"))
    return;
  for (auto _ : state) {
    auto text = json::serialize(net::api::render_checkout(st));
    benchmark::DoNotOptimize(text);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(once.size()));
  state.counters["body_bytes"] = static_cast<double>(once.size());
}
BENCHMARK(BM_render_checkout);

/// The 422 of a checkout refused at admission, the flash sale's common
/// answer: the entity's out_of_stock problem, its details with the checkout
/// id added (with_string_member), the error body (response::error).
void BM_render_refusal(benchmark::State& state) {
  auto id = fake_uuid(11);
  auto render = [&id] {
    auto p = inventory::out_of_stock("FLASH-0001", 1, 0);
    return net::http::response::error(
             make_problem(p.code, p.message, with_string_member(p.details, "checkout_id", id)))
      .body;
  };
  auto once = render();
  auto v = parse_json(once);
  if (!verify(state,
              v && v->at("error").at("details").at("checkout_id").as_string() == id &&
                v->at("error").at("code").as_string() == "out_of_stock",
              "the refusal's body lacks its code or checkout id"))
    return;
  for (auto _ : state) {
    auto text = render();
    benchmark::DoNotOptimize(text);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["body_bytes"] = static_cast<double>(once.size());
}
BENCHMARK(BM_render_refusal);

/// One timestamp of a rendering (`"2025-10-09T08:53:20.000Z"`): every body
/// above has between one (cart) and seventeen (checkout) of them.
void BM_format_rfc3339(benchmark::State& state) {
  if (!verify(state, format_rfc3339(fixed_now_us) == "2025-10-09T08:53:20.000Z",
              "format_rfc3339 of the fixed time is wrong"))
    return;
  timestamp_us t = fixed_now_us;
  for (auto _ : state) {
    benchmark::DoNotOptimize(t);
    auto text = format_rfc3339(t);
    benchmark::DoNotOptimize(text);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_format_rfc3339);

} // namespace
} // namespace agora::bench
