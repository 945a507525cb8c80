// The journal's write path off the database: the per-event codec encode the
// entity shell runs for every decided event (a cart event, and the refused
// checkout a flash sale writes per customer turned away), and the committer's
// encoding of a whole batch into the five binary-format array parameters of
// `INSERT ... SELECT * FROM unnest(...)` (persistence/pg/journal_writer.hpp).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "actors/cart/cart.hpp"
#include "sagas/checkout.hpp"
#include "bench/bench_support.hpp"
#include "persistence/journal.hpp"
#include "persistence/pg/journal_writer.hpp"
#include "persistence/pg/pg_array.hpp"

namespace agora::bench {
namespace {

using cart::cart_traits;

const cart::event item_added = cart::item_added{"EL-0001", 2, 3, fixed_now_us};

// -- per-event codec ----------------------------------------------------------

/// Traits' encode_event of `ev` in a loop, once it is checked to decode back;
/// the `bytes` counter is the payload's size.
template <class Traits>
void encode_event_loop(benchmark::State& state, const typename Traits::event& ev) {
  auto once = Traits::encode_event(ev);
  auto back = Traits::decode_event(Traits::event_type(ev), once);
  if (!verify(state, back && *back == ev, "the encoded event does not decode back"))
    return;
  for (auto _ : state) {
    auto payload = Traits::encode_event(ev);
    benchmark::DoNotOptimize(payload);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = static_cast<double>(once.size());
}

/// `cart.item_added` → its JSON payload (Boost.JSON object + serialize).
void BM_cart_encode_event(benchmark::State& state) {
  encode_event_loop<cart_traits>(state, item_added);
}
BENCHMARK(BM_cart_encode_event);

/// The inverse, run for every event an entity replays at recovery.
void BM_cart_decode_event(benchmark::State& state) {
  const auto type = std::string(cart_traits::event_type(item_added));
  const auto payload = cart_traits::encode_event(item_added);
  auto once = cart_traits::decode_event(type, payload);
  if (!verify(state, once && *once == item_added, "the cart event does not decode"))
    return;
  for (auto _ : state) {
    auto ev = cart_traits::decode_event(type, payload);
    benchmark::DoNotOptimize(ev);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_cart_decode_event);

/// `checkout.refused`: a checkout refused at its admission, one journal row
/// per customer a flash sale turns away.
void BM_checkout_encode_refused(benchmark::State& state) {
  using checkout::checkout_traits;
  const checkout::event refused = checkout::started{
    "8bab03bf-8b6e-8f8b-8e86-fc0c30c50643", "596f055d-25f1-4902-ac62-f84d95178696",
    "b2c3f9b8-8abb-4674-9208-e2d1fe8d81d1", "1c58ba2d-2ee2-4729-90a7-434995392ae3", std::nullopt,
    R"({"name":"Load","line1":"1 Test St","city":"Berlin","postal_code":"10115","country":"DE"})",
    "tok_ok", fixed_now_us,
    make_problem(errc::out_of_stock, "SKU FLASH-2e8904743f: requested 1, available 0",
                 R"({"sku":"FLASH-2e8904743f","requested":1,"available":0})"),
    "a3648b03e0f8c2a4300fd8952534230bc26c18769cc030183a2605c91c6f212b", true};
  encode_event_loop<checkout_traits>(state, refused);
}
BENCHMARK(BM_checkout_encode_refused);

// -- batch encoding -------------------------------------------------------------

/// A group-commit batch of `events` appends of one cart event each, rows as
/// the shell makes them (persistence id, seq_nr, type, payload, correlation).
std::vector<persistence::append_request> make_batch(int64_t events) {
  std::vector<persistence::append_request> batch;
  for (int64_t i = 0; i < events; ++i) {
    auto n = static_cast<uint64_t>(i);
    cart::event ev = cart::item_added{fake_sku(static_cast<int>(i % 255) + 1), 1 + i % 3,
                                      1 + i % 3, fixed_now_us + i};
    persistence::append_request req;
    req.rows.push_back(persistence::event_row{
      runtime::persistence_id(cart_traits::type, fake_uuid(n)), 1 + i % 7,
      std::string(cart_traits::event_type(ev)), cart_traits::encode_event(ev),
      fake_uuid(1'000'000 + n), 0, 0});
    batch.push_back(std::move(req));
  }
  return batch;
}

std::vector<std::string> encode_batch(const std::vector<persistence::append_request>& batch) {
  persistence::journal_insert_params ip;
  for (const auto& a : batch)
    for (const auto& row : a.rows)
      ip.add(row);
  return ip.finish();
}

/// True when the five arrays read back to the batch's persistence ids and
/// payloads, in order.
bool round_trips(const std::vector<persistence::append_request>& batch,
                 const std::vector<std::string>& params) {
  namespace pg = persistence::pg;
  if (params.size() != 5)
    return false;
  std::vector<std::string> ids, payloads;
  if (!pg::parse_binary_array(params[0], pg::text_oid, ids) ||
      !pg::parse_binary_array(params[3], pg::jsonb_oid, payloads))
    return false;
  if (ids.size() != batch.size() || payloads.size() != batch.size())
    return false;
  for (size_t i = 0; i < batch.size(); ++i)
    if (ids[i] != batch[i].rows[0].persistence_id || payloads[i] != batch[i].rows[0].payload)
      return false;
  return true;
}

/// The committer's parameter encoding of one batch (what it sends to
/// PQsendQueryPrepared for the journal insert).
void BM_journal_insert_params(benchmark::State& state) {
  auto batch = make_batch(state.range(0));
  auto once = encode_batch(batch);
  if (!verify(state, round_trips(batch, once), "the batch parameters do not read back"))
    return;
  int64_t bytes = 0;
  for (const auto& p : once)
    bytes += static_cast<int64_t>(p.size());
  for (auto _ : state) {
    auto params = encode_batch(batch);
    benchmark::DoNotOptimize(params);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0)); // events
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["param_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_journal_insert_params)->ArgName("events")->Arg(1)->Arg(20)->Arg(200);

} // namespace
} // namespace agora::bench
