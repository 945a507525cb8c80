#include "persistence/pg/journal_reader.hpp"

#include <deque>
#include <map>
#include <memory>
#include <unordered_map>

#include <caf/all.hpp>

#include "actors/common/log.hpp"
#include "config/config.hpp"
#include "persistence/pg/connection.hpp"
#include "persistence/pg/pg_array.hpp"

namespace agora::persistence {

namespace {

// -- SQL ----------------------------------------------------------------------

// One statement, hence one MVCC snapshot: the events read are exactly those
// after the snapshot read. 's' rows are snapshots, 'e' rows events.
constexpr const char* load_sql = R"sql(
WITH ids AS (SELECT DISTINCT unnest($1::text[]) AS pid),
     snap AS (SELECT s.persistence_id, s.seq_nr, s.state
                FROM snapshots s JOIN ids ON s.persistence_id = ids.pid)
SELECT 's' AS kind, persistence_id, seq_nr, '' AS event_type, state::text AS body,
       '' AS correlation_id, 0::bigint AS created_us, 0::bigint AS global_offset
  FROM snap
UNION ALL
SELECT 'e', j.persistence_id, j.seq_nr, j.event_type, j.payload::text, j.correlation_id,
       (extract(epoch FROM j.created_at) * 1000000)::bigint, j.global_offset
  FROM journal j
  JOIN ids ON j.persistence_id = ids.pid
  LEFT JOIN snap ON snap.persistence_id = j.persistence_id
 WHERE j.seq_nr > coalesce(snap.seq_nr, 0)
 ORDER BY 2, 1 DESC, 3
)sql";

/// Most persistence ids in one query.
constexpr size_t max_ids_per_query = 512;

// -- messages between collector and readers -----------------------------------

struct read_batch {
  std::vector<std::string> ids;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, read_batch& x) {
  return f(caf::meta::type_name("read_batch"), x.ids);
}

struct read_result {
  /// One entry per id of the batch, same order; empty when `error` is set.
  std::vector<recovered> items;
  /// 0 or an errc value.
  uint8_t error = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, read_result& x) {
  return f(caf::meta::type_name("read_result"), x.items, x.error);
}

using reader_actor = caf::typed_actor<caf::replies_to<read_batch>::with<read_result>>;

// -- detached reader ----------------------------------------------------------

struct reader_state {
  static inline const char* name = "journal-reader";
  std::unique_ptr<pg::connection> conn;
};

reader_actor::behavior_type reader_impl(reader_actor::stateful_pointer<reader_state> self,
                                        std::string conninfo, int64_t read_timeout_ms) {
  self->state.conn = std::make_unique<pg::connection>(std::move(conninfo), "agora-journal-reader");
  // Recovery reads look up a few persistence ids: an index probe is always
  // right. With statistics taken while the journal was small (a fresh
  // database filling fast, before autoanalyze catches up), the planner chose
  // sequential scans of the whole journal and recovery got 150x slower
  // (docs/PERFORMANCE.md, "the slow mode"); this session never scans. Its
  // statements are bounded here, so the entities that wait for a load set no
  // CAF timeout of their own.
  self->state.conn->set_session("SET enable_seqscan = off; SET statement_timeout = "
                                + std::to_string(read_timeout_ms));
  self->state.conn->prepare("journal_load", load_sql);
  return {
    [=](read_batch& batch) -> read_result {
      auto res = load_recovered(*self->state.conn, batch.ids);
      if (!res)
        return read_result{{}, static_cast<uint8_t>(res.error().code)};
      return read_result{std::move(*res), 0};
    },
  };
}

// -- collector ----------------------------------------------------------------

struct collector_state {
  static inline const char* name = "journal-reader-collector";
  /// Waiting loads by persistence id (several loads of one id share a read).
  std::map<std::string, std::vector<caf::typed_response_promise<recovered>>> waiting;
  /// Ids in arrival order (each id at most once).
  std::deque<std::string> order;
  std::vector<reader_actor> idle;
};

using collector_pointer = journal_reader_actor::stateful_pointer<collector_state>;

void dispatch(collector_pointer self) {
  auto& st = self->state;
  while (!st.idle.empty() && !st.order.empty()) {
    auto reader = st.idle.back();
    st.idle.pop_back();
    read_batch batch;
    using promises = std::vector<caf::typed_response_promise<recovered>>;
    std::vector<promises> waiters;
    while (!st.order.empty() && batch.ids.size() < max_ids_per_query) {
      auto id = std::move(st.order.front());
      st.order.pop_front();
      auto i = st.waiting.find(id);
      waiters.push_back(std::move(i->second));
      st.waiting.erase(i);
      batch.ids.push_back(std::move(id));
    }
    self->request(reader, caf::infinite, std::move(batch))
      .then(
        [=](read_result& res) mutable {
          for (size_t i = 0; i < waiters.size(); ++i) {
            for (auto& rp : waiters[i]) {
              if (res.error != 0)
                rp.deliver(caf::make_error(static_cast<errc>(res.error)));
              else
                rp.deliver(res.items[i]);
            }
          }
          self->state.idle.push_back(reader);
          dispatch(self);
        },
        [=](caf::error& err) mutable {
          persistence_log().error("journal reader failed: {}", caf::to_string(err));
          for (auto& ws : waiters)
            for (auto& rp : ws)
              rp.deliver(caf::make_error(errc::unavailable));
          if (err != caf::sec::request_receiver_down)
            self->state.idle.push_back(reader);
          dispatch(self);
        });
  }
}

journal_reader_actor::behavior_type collector_impl(collector_pointer self, std::string conninfo,
                                                   int64_t readers, int64_t read_timeout_ms) {
  for (int64_t i = 0; i < std::max<int64_t>(1, readers); ++i)
    self->state.idle.push_back(
      self->spawn<caf::detached + caf::linked>(reader_impl, conninfo, read_timeout_ms));
  return {
    [=](load_atom, std::string& id) -> caf::result<recovered> {
      auto rp = self->make_response_promise<recovered>();
      auto& st = self->state;
      auto [i, fresh] = st.waiting.try_emplace(id);
      i->second.push_back(rp);
      if (fresh)
        st.order.push_back(std::move(id));
      dispatch(self);
      return rp;
    },
  };
}

} // namespace

journal_reader_actor spawn_journal_reader(caf::actor_system& sys, const agora::config& cfg) {
  return sys.spawn(collector_impl, cfg.pg.conninfo, cfg.pg.readers, cfg.pg.read_timeout_ms);
}

result<std::vector<recovered>> load_recovered(pg::connection& conn,
                                              const std::vector<std::string>& ids) {
  if (!conn.has_statement("journal_load"))
    conn.prepare("journal_load", load_sql);
  auto res = conn.exec_prepared("journal_load", {pg::text_array(ids)});
  if (!res) {
    auto code = res.error().kind == pg::failure_kind::unavailable ? errc::unavailable
                                                                   : errc::internal;
    persistence_log().error("journal load of {} ids failed: {}", ids.size(), res.error().message);
    return make_problem(code, res.error().message);
  }
  std::unordered_map<std::string_view, size_t> index;
  for (size_t i = 0; i < ids.size(); ++i)
    index.emplace(ids[i], i);
  std::vector<recovered> out(ids.size());
  for (int r = 0; r < res.rows(); ++r) {
    auto pid = res.text(r, 1);
    auto i = index.find(pid);
    if (i == index.end())
      continue;
    auto& rec = out[i->second];
    if (res.text(r, 0) == "s") {
      rec.snapshot = snapshot_row{std::string{pid}, res.int64(r, 2), std::string{res.text(r, 4)}};
    } else {
      event_row ev;
      ev.persistence_id = pid;
      ev.seq_nr = res.int64(r, 2);
      ev.event_type = res.text(r, 3);
      ev.payload = res.text(r, 4);
      ev.correlation_id = res.text(r, 5);
      ev.created_at_us = res.int64(r, 6);
      ev.global_offset = res.int64(r, 7);
      rec.events.push_back(std::move(ev));
    }
  }
  // Duplicate ids in `ids` share the first entry's rows.
  for (size_t i = 0; i < ids.size(); ++i) {
    auto first = index.at(ids[i]);
    if (first != i)
      out[i] = out[first];
  }
  return out;
}

} // namespace agora::persistence
