#include "persistence/pg/tailer.hpp"

#include "persistence/pg/connection.hpp"
#include "persistence/pg/pg_array.hpp"

namespace agora::persistence {

namespace {

// The head is the highest offset visible to the statement's snapshot; every
// lower offset is visible too (README, "Ordering"), so the rows up to it that
// do not match never need reading again. The outer join returns the head
// also when no row matches.
constexpr const char* tail_sql = R"sql(
SELECT h.head, j.*
  FROM (SELECT coalesce(max(global_offset), 0) AS head FROM journal) h
  LEFT JOIN LATERAL (
    SELECT global_offset, persistence_id, seq_nr, event_type, payload::text, correlation_id,
           (extract(epoch FROM created_at) * 1000000)::bigint
      FROM journal
     WHERE global_offset > $1::bigint AND global_offset <= h.head
       AND (cardinality($3::text[]) = 0 OR event_type LIKE ANY ($3::text[]))
     ORDER BY global_offset
     LIMIT $2::bigint) j ON true
)sql";

problem to_problem(const pg::db_error& err) {
  return make_problem(err.kind == pg::failure_kind::unavailable ? errc::unavailable
                                                                : errc::internal,
                      err.message);
}

} // namespace

std::string escape_like(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\')
      out += '\\';
    out += c;
  }
  return out;
}

journal_tailer::journal_tailer(std::vector<std::string> event_type_prefixes) {
  for (const auto& p : event_type_prefixes)
    patterns_.push_back(escape_like(p) + "%");
}

result<tail_batch> journal_tailer::read(pg::connection& conn, int64_t after,
                                        int64_t limit) const {
  if (!conn.has_statement("journal_tail"))
    conn.prepare("journal_tail", tail_sql);
  auto res = conn.exec_prepared(
    "journal_tail", {std::to_string(after), std::to_string(limit), pg::text_array(patterns_)});
  if (!res)
    return to_problem(res.error());
  tail_batch batch;
  auto& rows = batch.rows;
  rows.reserve(static_cast<size_t>(res.rows()));
  for (int r = 0; r < res.rows() && !res.is_null(r, 1); ++r) {
    event_row ev;
    ev.global_offset = res.int64(r, 1);
    ev.persistence_id = res.text(r, 2);
    ev.seq_nr = res.int64(r, 3);
    ev.event_type = res.text(r, 4);
    ev.payload = res.text(r, 5);
    ev.correlation_id = res.text(r, 6);
    ev.created_at_us = res.int64(r, 7);
    rows.push_back(std::move(ev));
  }
  // A full batch may have stopped short of the head.
  if (std::ssize(rows) >= limit)
    batch.scanned_to = rows.empty() ? after : rows.back().global_offset;
  else
    batch.scanned_to = std::max(after, res.rows() > 0 ? res.int64(0, 0) : 0);
  return batch;
}

result<int64_t> journal_head(pg::connection& conn) {
  auto res = conn.exec("SELECT coalesce(max(global_offset), 0) FROM journal");
  if (!res)
    return to_problem(res.error());
  return res.int64(0, 0);
}

} // namespace agora::persistence
