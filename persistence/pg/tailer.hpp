// Reading the journal in global_offset order, for projections, the Kafka
// relay, the WebSocket hub and tools. Offsets become visible in commit order
// (see persistence/README.md, "Ordering"), so reading `global_offset > last`
// in offset order never skips a row that commits later.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/common/problem.hpp"
#include "persistence/journal.hpp"

namespace agora::persistence {

namespace pg {
class connection;
} // namespace pg

/// Reads journal rows after an offset, in batches. Blocking: use it from a
/// detached actor or a thread of its own.
class journal_tailer {
public:
  /// `event_type_prefixes` filters by event type (`"product."` matches
  /// `product.created`); empty reads every row.
  explicit journal_tailer(std::vector<std::string> event_type_prefixes = {});

  /// Up to `limit` rows with global_offset > `after`, in offset order.
  result<std::vector<event_row>> read(pg::connection& conn, int64_t after, int64_t limit) const;

  /// The LIKE patterns of the filter (prefix with %, _ and \ escaped, then %).
  const std::vector<std::string>& patterns() const noexcept { return patterns_; }

private:
  std::vector<std::string> patterns_;
};

/// Escapes `%`, `_` and `\` for a LIKE pattern with the default escape `\`.
std::string escape_like(std::string_view text);

/// The highest global_offset committed so far (0 for an empty journal).
result<int64_t> journal_head(pg::connection& conn);

} // namespace agora::persistence
