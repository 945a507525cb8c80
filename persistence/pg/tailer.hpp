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

/// One read of the tailer.
struct tail_batch {
  /// The matching rows, in offset order.
  std::vector<event_row> rows;
  /// Every matching row up to this offset is in `rows`: the offset to read
  /// after next time. With a filter it passes the rows that did not match,
  /// so the next read does not scan them again.
  int64_t scanned_to = 0;
};

/// Reads journal rows after an offset, in batches. Blocking: use it from a
/// detached actor or a thread of its own.
class journal_tailer {
public:
  /// `event_type_prefixes` filters by event type (`"product."` matches
  /// `product.created`); empty reads every row.
  explicit journal_tailer(std::vector<std::string> event_type_prefixes = {});

  /// Up to `limit` matching rows with global_offset > `after`, in offset
  /// order, and how far the read got.
  result<tail_batch> read(pg::connection& conn, int64_t after, int64_t limit) const;

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
