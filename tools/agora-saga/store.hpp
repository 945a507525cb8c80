// agora-saga's reads: straight from the PostgreSQL journal (pg.conninfo),
// read-only, one blocking connection. See README.md for why the tool reads
// the journal itself instead of asking a node.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/common/problem.hpp"
#include "sagas/checkout.hpp"
#include "tools/agora-saga/timeline.hpp"

namespace agora::persistence::pg {
class connection;
}

namespace agora::saga_tool {

class saga_store {
public:
  explicit saga_store(std::string conninfo);
  ~saga_store();
  saga_store(const saga_store&) = delete;
  saga_store& operator=(const saga_store&) = delete;

  /// The saga's own events (persistence id `checkout|<id>`), by seq_nr.
  result<std::vector<journal_row>> saga_events(const std::string& checkout_id);

  /// Every event whose correlation id is the checkout id, and the expiry of
  /// the saga's inventory reservation (a timer's event), by global_offset.
  result<std::vector<journal_row>> correlated_events(const std::string& checkout_id);

  /// Checkouts newest first (by when they started), folded with today's
  /// apply_event, keeping those of `status` (all when empty), at most `limit`.
  result<std::vector<checkout::state>> list(const std::optional<std::string>& status,
                                            int64_t limit);

private:
  result<std::vector<journal_row>> query(const std::string& sql,
                                         const std::vector<std::string>& params);

  std::unique_ptr<persistence::pg::connection> conn_;
};

/// Folds a saga's events (in seq_nr order) with checkout_traits::apply_event;
/// a payload that does not decode is an error naming it.
result<checkout::state> fold_saga(const std::vector<journal_row>& rows);

} // namespace agora::saga_tool
