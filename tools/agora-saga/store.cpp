#include "tools/agora-saga/store.hpp"

#include <algorithm>

#include "actors/runtime/entity_traits.hpp"
#include "persistence/journal.hpp"
#include "persistence/pg/connection.hpp"
#include "persistence/pg/pg_array.hpp"

namespace agora::saga_tool {

namespace {

constexpr const char* row_columns = R"sql(
  global_offset, persistence_id, seq_nr, event_type, payload::text, correlation_id,
  (extract(epoch FROM created_at) * 1000000)::bigint
)sql";

/// Sagas folded per round trip by `list`.
constexpr size_t list_batch = 200;

std::string saga_pid(const std::string& checkout_id) {
  return runtime::persistence_id(checkout::checkout_traits::type, checkout_id);
}

} // namespace

saga_store::saga_store(std::string conninfo)
    : conn_(std::make_unique<persistence::pg::connection>(std::move(conninfo), "agora-saga")) {}

saga_store::~saga_store() = default;

result<std::vector<journal_row>> saga_store::query(const std::string& sql,
                                                   const std::vector<std::string>& params) {
  if (!conn_->ensure_connected())
    return make_problem(errc::unavailable,
                        "cannot connect to PostgreSQL: " + conn_->last_error().message);
  auto res = conn_->exec_params(sql, params);
  if (!res)
    return make_problem(errc::internal, "journal query failed: " + res.error().message);
  std::vector<journal_row> rows;
  rows.reserve(static_cast<size_t>(res.rows()));
  for (int r = 0; r < res.rows(); ++r) {
    journal_row row;
    row.global_offset = res.int64(r, 0);
    row.persistence_id = res.text(r, 1);
    row.seq_nr = res.int64(r, 2);
    row.event_type = res.text(r, 3);
    row.payload = res.text(r, 4);
    row.correlation_id = res.text(r, 5);
    row.created_at_us = res.int64(r, 6);
    rows.push_back(std::move(row));
  }
  return rows;
}

result<std::vector<journal_row>> saga_store::saga_events(const std::string& checkout_id) {
  return query(std::string("SELECT") + row_columns +
                 "FROM journal WHERE persistence_id = $1 ORDER BY seq_nr",
               {saga_pid(checkout_id)});
}

result<std::vector<journal_row>> saga_store::correlated_events(const std::string& checkout_id) {
  // The expiry of the saga's reservation is decided by the inventory's timer
  // (correlation id "deadline:<sku>"), yet it often explains what the saga
  // did next: it is found by its reservation id, "<checkout_id>/reserve_inventory".
  return query(std::string("SELECT") + row_columns +
                 "FROM journal WHERE " + persistence::journal_correlated_sql +
                 " OR (event_type = 'inventory.expired' AND payload->>'reservation_id' = $2) "
                 "ORDER BY global_offset",
               {checkout_id,
                checkout::step_key(checkout_id, checkout::step_name::reserve_inventory)});
}

result<std::vector<checkout::state>> saga_store::list(const std::optional<std::string>& status,
                                                      int64_t limit) {
  // Every checkout starts with checkout.started, or is one checkout.refused
  // (indexed by event type): newest first, then their events a batch at a
  // time until `limit` match.
  auto started = query(std::string("SELECT") + row_columns +
                         "FROM journal WHERE event_type IN ('checkout.started', "
                         "'checkout.refused') ORDER BY global_offset DESC",
                       {});
  if (!started)
    return started.error();
  std::vector<checkout::state> out;
  const auto& heads = *started;
  for (size_t from = 0; from < heads.size() && static_cast<int64_t>(out.size()) < limit;
       from += list_batch) {
    std::vector<std::string> pids;
    for (size_t i = from; i < std::min(heads.size(), from + list_batch); ++i)
      pids.push_back(heads[i].persistence_id);
    auto rows = query(std::string("SELECT") + row_columns +
                        "FROM journal WHERE persistence_id = ANY($1::text[]) "
                        "ORDER BY global_offset",
                      {persistence::pg::text_array(pids)});
    if (!rows)
      return rows.error();
    // Byte order (the database's collation may sort differently).
    std::sort(rows->begin(), rows->end(), [](const journal_row& a, const journal_row& b) {
      return a.persistence_id != b.persistence_id ? a.persistence_id < b.persistence_id
                                                  : a.seq_nr < b.seq_nr;
    });
    // Group by persistence id, then keep the newest-first order of `pids`.
    for (const auto& pid : pids) {
      auto first = std::lower_bound(
        rows->begin(), rows->end(), pid,
        [](const journal_row& r, const std::string& p) { return r.persistence_id < p; });
      auto last = std::upper_bound(
        first, rows->end(), pid,
        [](const std::string& p, const journal_row& r) { return p < r.persistence_id; });
      auto st = fold_saga(std::vector<journal_row>(first, last));
      if (!st)
        return st.error();
      if (status && checkout::to_string(st->status) != *status)
        continue;
      out.push_back(std::move(*st));
      if (static_cast<int64_t>(out.size()) >= limit)
        break;
    }
  }
  return out;
}

result<checkout::state> fold_saga(const std::vector<journal_row>& rows) {
  checkout::state st;
  for (const auto& row : rows) {
    auto ev = checkout::checkout_traits::decode_event(row.event_type, row.payload);
    if (!ev)
      return make_problem(errc::internal, "cannot decode " + row.persistence_id + " #" +
                                             std::to_string(row.seq_nr) + " (" +
                                             row.event_type + ", offset " +
                                             std::to_string(row.global_offset) + ")");
    st = checkout::checkout_traits::apply_event(std::move(st), *ev);
  }
  return st;
}

} // namespace agora::saga_tool
