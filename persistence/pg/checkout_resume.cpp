#include "persistence/pg/checkout_resume.hpp"

#include <string_view>

#include "persistence/pg/connection.hpp"

namespace agora::persistence::pg {

namespace {

constexpr const char* mark_name = "checkout-resume";

/// The checkouts above the mark, oldest first, each with the type of its
/// newest event (an index probe per checkout).
constexpr const char* scan_sql =
  "SELECT s.global_offset, substr(s.persistence_id, 10), "
  "(SELECT l.event_type FROM journal l WHERE l.persistence_id = s.persistence_id "
  " ORDER BY l.seq_nr DESC LIMIT 1) "
  "FROM journal s WHERE s.event_type = 'checkout.started' AND s.global_offset > $1 "
  "ORDER BY s.global_offset";

bool ended(std::string_view newest) {
  return newest == "checkout.completed" || newest == "checkout.compensated" ||
         newest == "checkout.closed";
}

} // namespace

result<checkout_scan> scan_checkouts(connection& conn) {
  auto fail = [](const outcome& res) {
    return make_problem(errc::unavailable, "checkout resume scan: " + res.error().message);
  };
  checkout_scan out;
  auto stored =
    conn.exec_params("SELECT last_offset FROM projection_offsets WHERE name = $1", {mark_name});
  if (!stored)
    return fail(stored);
  if (stored.rows() > 0)
    out.mark_before = stored.int64(0, 0);
  auto rows = conn.exec_params(scan_sql, {std::to_string(out.mark_before)});
  if (!rows)
    return fail(rows);
  out.mark = out.mark_before;
  out.scanned = rows.rows();
  bool held = false;
  for (int r = 0; r < rows.rows(); ++r) {
    auto newest = rows.text(r, 2);
    if (!ended(newest)) {
      // The mark stops below the first checkout that has not ended.
      held = true;
      if (newest != "checkout.stuck")
        out.unfinished.emplace_back(rows.text(r, 1));
    } else if (!held) {
      out.mark = rows.int64(r, 0);
    }
  }
  if (out.mark > out.mark_before) {
    auto saved = conn.exec_params(
      "INSERT INTO projection_offsets (name, last_offset) VALUES ($1, $2) "
      "ON CONFLICT (name) DO UPDATE "
      "SET last_offset = GREATEST(projection_offsets.last_offset, excluded.last_offset)",
      {mark_name, std::to_string(out.mark)});
    if (!saved)
      return fail(saved);
  }
  return out;
}

} // namespace agora::persistence::pg
