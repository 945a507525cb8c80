#include "actors/inventory/reservations.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

namespace agora::inventory {

namespace {

/// Every SKU's answer, in SKU order.
using answers = std::map<std::string, result<levels>>;

/// Sends one command per SKU and calls `done` once with every SKU's answer.
void fan_out(const runtime::region_ref<inventory_traits>& items,
             const std::vector<std::pair<std::string, command>>& commands,
             const std::string& correlation_id, std::function<void(answers)> done) {
  struct gather {
    std::mutex mtx;
    size_t missing = 0;
    answers all;
    std::function<void(answers)> done;
  };
  auto g = std::make_shared<gather>();
  g->missing = commands.size();
  g->done = std::move(done);
  if (commands.empty())
    return g->done({});
  for (const auto& [sku, cmd] : commands)
    items.tell(sku, cmd, correlation_id, [g, sku](result<levels> r) {
      bool last = false;
      {
        std::lock_guard guard{g->mtx};
        g->all.emplace(sku, std::move(r));
        last = --g->missing == 0;
      }
      if (last)
        g->done(std::move(g->all));
    });
}

/// One command per SKU, `make(quantity)`, for the lines merged by SKU.
template <class Make>
std::vector<std::pair<std::string, command>> per_sku(std::vector<line> lines, Make make) {
  std::map<std::string, int64_t> merged;
  for (auto& l : lines)
    merged[std::move(l.sku)] += l.quantity;
  std::vector<std::pair<std::string, command>> commands;
  for (auto& [sku, quantity] : merged)
    commands.emplace_back(sku, make(quantity));
  return commands;
}

/// The first failure in SKU order, if any.
std::optional<problem> first_failure(const answers& all) {
  for (const auto& [sku, answer] : all)
    if (!answer)
      return answer.error();
  return std::nullopt;
}

template <class Command>
void apply_all(const runtime::region_ref<inventory_traits>& items, std::string reservation_id,
               std::vector<std::string> skus, std::string correlation_id, outcome_fn done) {
  std::sort(skus.begin(), skus.end());
  skus.erase(std::unique(skus.begin(), skus.end()), skus.end());
  std::vector<std::pair<std::string, command>> commands;
  for (auto& sku : skus)
    commands.emplace_back(std::move(sku), Command{reservation_id});
  fan_out(items, commands, correlation_id,
          [done = std::move(done)](auto all) { done(first_failure(all)); });
}

/// Sends one command per SKU; when `refusal_of` finds a refusal among the
/// answers, releases `reservation_id` on the SKUs that took theirs, then
/// reports the refusal (or the release's failure, when `undo_must_hold`).
template <class Pick>
void all_or_none(const runtime::region_ref<inventory_traits>& items, std::string reservation_id,
                 const std::vector<std::pair<std::string, command>>& commands,
                 std::string correlation_id, Pick refusal_of, bool undo_must_hold,
                 outcome_fn done) {
  fan_out(items, commands, correlation_id,
          [items, reservation_id, correlation_id, refusal_of, undo_must_hold,
           done = std::move(done)](answers all) mutable {
            auto refusal = refusal_of(all);
            if (!refusal)
              return done(std::nullopt);
            std::vector<std::string> took;
            for (const auto& [sku, answer] : all)
              if (answer)
                took.push_back(sku);
            release_all(items, reservation_id, std::move(took), correlation_id,
                        [refusal, undo_must_hold, done = std::move(done)](
                          std::optional<problem> undo_failed) {
                          done(undo_failed && undo_must_hold ? undo_failed : refusal);
                        });
          });
}

} // namespace

void reserve_all(const runtime::region_ref<inventory_traits>& items, std::string reservation_id,
                 std::vector<line> lines, timestamp_us expires_at, std::string correlation_id,
                 outcome_fn done) {
  auto commands = per_sku(std::move(lines), [&](int64_t quantity) {
    return reserve{reservation_id, quantity, expires_at};
  });
  all_or_none(items, std::move(reservation_id), commands, std::move(correlation_id),
              first_failure, true, std::move(done));
}

void admit_all(const runtime::region_ref<inventory_traits>& items, std::string reservation_id,
               std::vector<line> lines, timestamp_us until, std::string correlation_id,
               outcome_fn done) {
  auto commands = per_sku(std::move(lines), [&](int64_t quantity) {
    return admit{reservation_id, quantity, until};
  });
  // Advisory: only a refusal counts, not a SKU that could not be reached.
  auto first_refusal = [](const answers& all) -> std::optional<problem> {
    for (const auto& [sku, answer] : all)
      if (!answer && answer.error().code == errc::out_of_stock)
        return answer.error();
    return std::nullopt;
  };
  all_or_none(items, std::move(reservation_id), commands, std::move(correlation_id),
              first_refusal, false, std::move(done));
}

void release_all(const runtime::region_ref<inventory_traits>& items, std::string reservation_id,
                 std::vector<std::string> skus, std::string correlation_id, outcome_fn done) {
  apply_all<release>(items, std::move(reservation_id), std::move(skus), std::move(correlation_id),
                     std::move(done));
}

void commit_all(const runtime::region_ref<inventory_traits>& items, std::string reservation_id,
                std::vector<std::string> skus, std::string correlation_id, outcome_fn done) {
  apply_all<commit>(items, std::move(reservation_id), std::move(skus), std::move(correlation_id),
                    std::move(done));
}

} // namespace agora::inventory
