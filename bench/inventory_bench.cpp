// The inventory entity's pure core on a hot SKU: decide() for reserve
// (accepted, and rejected for out of stock), release and commit, apply_event()
// of the events they produce, and next_deadline(), which the entity shell
// calls after every durable write to re-arm the reservation timer. The item
// holds `live` active reservations (0, 100, 10,000) and, like any SKU that
// has sold for a while, full finished/committed id memories (10,000 each).
#include <benchmark/benchmark.h>

#include <map>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "actors/inventory/inventory.hpp"
#include "bench/bench_support.hpp"

namespace agora::bench {
namespace {

using inventory::inventory_traits;

const std::string sku = "EL-0001";
const runtime::context ctx{fixed_now_us, sku, "checkout-correlation"};

/// A reservation id as the checkout saga makes them (`<checkout_id>/<step>`).
std::string reservation_id(uint64_t n) {
  return fake_uuid(n) + "/reserve_inventory";
}

std::string live_id(int64_t i) {
  return reservation_id(1'000'000 + static_cast<uint64_t>(i));
}

timestamp_us live_expiry(int64_t i) {
  return fixed_now_us + 900'000'000 + i * 1'000;
}

inventory::state fold(inventory::state st, const inventory::event& ev) {
  return inventory_traits::apply_event(std::move(st), ev);
}

/// On hand 1,000,000,000 minus 10,000 sold; `live` reservations of one unit.
/// Built by folding events, as recovery would. Cached: the 10,000 case takes
/// milliseconds and Google Benchmark calls a benchmark several times.
const inventory::state& hot_item(int64_t live) {
  static std::mutex mtx;
  static std::map<int64_t, inventory::state> cache;
  std::lock_guard lock{mtx};
  if (auto i = cache.find(live); i != cache.end())
    return i->second;
  inventory::state st;
  st = fold(std::move(st), inventory::adjusted{inventory::max_quantity, "received",
                                               inventory::max_quantity, fixed_now_us, {}});
  for (size_t i = 0; i < inventory::max_finished_reservations; ++i) {
    auto id = reservation_id(2'000'000 + i);
    st = fold(std::move(st), inventory::reserved{id, 1, fixed_now_us, fixed_now_us});
    st = fold(std::move(st), inventory::committed{id, 1, fixed_now_us});
  }
  for (int64_t i = 0; i < live; ++i)
    st = fold(std::move(st), inventory::reserved{live_id(i), 1, live_expiry(i), fixed_now_us});
  return cache.emplace(live, std::move(st)).first->second;
}

template <class Event>
bool decided_one(const result<std::vector<inventory::event>>& r) {
  return r && r->size() == 1 && std::holds_alternative<Event>(r->front());
}

void set_live_args(benchmark::internal::Benchmark* b) {
  b->ArgName("live")->Arg(0)->Arg(100)->Arg(10'000);
}

/// release/commit need a reservation to act on.
void set_nonempty_live_args(benchmark::internal::Benchmark* b) {
  b->ArgName("live")->Arg(1)->Arg(100)->Arg(10'000);
}

// -- decide -------------------------------------------------------------------

void BM_inventory_decide_reserve_accepted(benchmark::State& state) {
  const auto& st = hot_item(state.range(0));
  const inventory::command cmd =
    inventory::reserve{reservation_id(42), 2, fixed_now_us + 900'000'000};
  auto once = inventory_traits::decide(st, cmd, ctx);
  if (!verify(state, decided_one<inventory::reserved>(once) &&
                       std::get<inventory::reserved>(once->front()).quantity == 2,
              "reserve was not accepted"))
    return;
  for (auto _ : state) {
    auto r = inventory_traits::decide(st, cmd, ctx);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_inventory_decide_reserve_accepted)->Apply(set_live_args);

void BM_inventory_decide_reserve_out_of_stock(benchmark::State& state) {
  const auto& st = hot_item(state.range(0));
  const inventory::command cmd =
    inventory::reserve{reservation_id(42), st.available() + 1, fixed_now_us + 900'000'000};
  auto once = inventory_traits::decide(st, cmd, ctx);
  if (!verify(state, !once && once.error().code == errc::out_of_stock,
              "reserve beyond the available stock was not out_of_stock"))
    return;
  for (auto _ : state) {
    auto r = inventory_traits::decide(st, cmd, ctx);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_inventory_decide_reserve_out_of_stock)->Apply(set_live_args);

void BM_inventory_decide_release(benchmark::State& state) {
  const auto& st = hot_item(state.range(0));
  const inventory::command cmd = inventory::release{live_id(state.range(0) / 2)};
  auto once = inventory_traits::decide(st, cmd, ctx);
  if (!verify(state, decided_one<inventory::released>(once), "release decided no released event"))
    return;
  for (auto _ : state) {
    auto r = inventory_traits::decide(st, cmd, ctx);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_inventory_decide_release)->Apply(set_nonempty_live_args);

void BM_inventory_decide_commit(benchmark::State& state) {
  const auto& st = hot_item(state.range(0));
  const inventory::command cmd = inventory::commit{live_id(state.range(0) / 2)};
  auto once = inventory_traits::decide(st, cmd, ctx);
  if (!verify(state, decided_one<inventory::committed>(once), "commit decided no committed event"))
    return;
  for (auto _ : state) {
    auto r = inventory_traits::decide(st, cmd, ctx);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_inventory_decide_commit)->Apply(set_nonempty_live_args);

/// A flash sale's admission: `live` reservations plus as many live
/// admissions (checkouts admitted, not yet reserved) on the item.
void BM_inventory_decide_admit(benchmark::State& state) {
  auto st = hot_item(state.range(0));
  for (int64_t i = 0; i < state.range(0); ++i)
    st = fold(std::move(st),
              inventory::admitted{reservation_id(3'000'000 + static_cast<uint64_t>(i)), 1,
                                  live_expiry(i), fixed_now_us});
  const inventory::command cmd =
    inventory::admit{reservation_id(42), 2, fixed_now_us + 10'000'000};
  auto once = inventory_traits::decide(st, cmd, ctx);
  if (!verify(state, decided_one<inventory::admitted>(once), "admit was not accepted"))
    return;
  for (auto _ : state) {
    auto r = inventory_traits::decide(st, cmd, ctx);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_inventory_decide_admit)->Apply(set_live_args);

// -- apply_event ----------------------------------------------------------------

/// Fresh reservation ids for the fold benchmarks: more of them than the
/// finished memory holds, so an id comes back only after it was forgotten and
/// every finish inserts a new id and evicts the oldest, as in production.
constexpr size_t id_pool = 16'384;
static_assert(id_pool > inventory::max_finished_reservations);

/// One cycle = reserved then `Finish` (released or committed) of a fresh id:
/// two events folded the way the shell folds them (state moved in and out).
template <class Finish>
void apply_cycle(benchmark::State& state) {
  auto st = hot_item(state.range(0)); // a copy: the fold mutates it
  std::vector<inventory::event> reserve_events, finish_events;
  reserve_events.reserve(id_pool);
  finish_events.reserve(id_pool);
  for (size_t i = 0; i < id_pool; ++i) {
    auto id = reservation_id(3'000'000 + i);
    reserve_events.emplace_back(
      inventory::reserved{id, 2, fixed_now_us + 900'000'000, fixed_now_us});
    finish_events.emplace_back(Finish{id, 2, fixed_now_us});
  }
  {
    auto check = fold(fold(st, reserve_events.back()), finish_events.back());
    if (!verify(state,
                check.reservations.size() == st.reservations.size() &&
                  check.reserved == st.reserved &&
                  check.finished.contains(reservation_id(3'000'000 + id_pool - 1)),
                "reserve + finish did not leave the reservations as they were"))
      return;
  }
  size_t i = 0;
  for (auto _ : state) {
    st = inventory_traits::apply_event(std::move(st), reserve_events[i]);
    st = inventory_traits::apply_event(std::move(st), finish_events[i]);
    benchmark::DoNotOptimize(st.version);
    if (++i == id_pool)
      i = 0;
  }
  state.SetItemsProcessed(2 * state.iterations()); // events folded
}

void BM_inventory_apply_reserve_release(benchmark::State& state) {
  apply_cycle<inventory::released>(state);
}
BENCHMARK(BM_inventory_apply_reserve_release)->Apply(set_live_args);

void BM_inventory_apply_reserve_commit(benchmark::State& state) {
  apply_cycle<inventory::committed>(state);
}
BENCHMARK(BM_inventory_apply_reserve_commit)->Apply(set_live_args);

// -- next_deadline --------------------------------------------------------------

/// The earliest expiry: the shell's arm_deadline() calls it after every
/// durable write of the item (a scan of every live reservation).
void BM_inventory_next_deadline(benchmark::State& state) {
  const auto& st = hot_item(state.range(0));
  auto once = inventory_traits::next_deadline(st);
  if (!verify(state, state.range(0) == 0 ? !once : once && *once == live_expiry(0),
              "next_deadline is not the earliest expiry"))
    return;
  for (auto _ : state) {
    auto next = inventory_traits::next_deadline(st);
    benchmark::DoNotOptimize(next);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_inventory_next_deadline)->Apply(set_live_args);

// -- snapshots ------------------------------------------------------------------

/// The snapshot of a hot item (the shell writes one every snapshot_every
/// events at most; its size sets how often, see entity_shell.hpp), and
/// reading it back, as recovery does.
void BM_inventory_encode_state(benchmark::State& state) {
  const auto& st = hot_item(state.range(0));
  auto text = inventory_traits::encode_state(st);
  auto back = inventory_traits::decode_state(text);
  if (!verify(state, back && *back == st, "the snapshot does not read back as the state"))
    return;
  for (auto _ : state) {
    auto t = inventory_traits::encode_state(st);
    benchmark::DoNotOptimize(t);
  }
  state.counters["bytes"] = static_cast<double>(text.size());
}
BENCHMARK(BM_inventory_encode_state)->Apply(set_live_args)->Unit(benchmark::kMicrosecond);

void BM_inventory_decode_state(benchmark::State& state) {
  const auto text = inventory_traits::encode_state(hot_item(state.range(0)));
  for (auto _ : state) {
    auto st = inventory_traits::decode_state(text);
    benchmark::DoNotOptimize(st);
  }
  state.counters["bytes"] = static_cast<double>(text.size());
}
BENCHMARK(BM_inventory_decode_state)->Apply(set_live_args)->Unit(benchmark::kMicrosecond);

} // namespace
} // namespace agora::bench
