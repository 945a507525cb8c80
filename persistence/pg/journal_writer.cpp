#include "persistence/pg/journal_writer.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <unordered_map>

#include <caf/all.hpp>

#include "actors/common/log.hpp"
#include "actors/common/metrics.hpp"
#include "config/config.hpp"
#include "persistence/pg/connection.hpp"
#include "persistence/pg/journal_reader.hpp"
#include "persistence/pg/pg_array.hpp"

namespace agora::persistence {

// -- batch encoding -------------------------------------------------------------

void journal_insert_params::add(const event_row& row) {
  ids.add(row.persistence_id);
  seqs.add(row.seq_nr);
  types.add(row.event_type);
  payloads.add(row.payload);
  correlations.add(row.correlation_id);
}

std::vector<std::string> journal_insert_params::finish() {
  return {ids.finish(), seqs.finish(), types.finish(), payloads.finish(),
          correlations.finish()};
}

std::vector<std::string> snapshot_params(const std::vector<snapshot_row>& snaps) {
  pg::array_builder ids, seqs, states;
  for (const auto& s : snaps) {
    ids.add(s.persistence_id);
    seqs.add(s.seq_nr);
    states.add(s.state);
  }
  return {ids.finish(), seqs.finish(), states.finish()};
}

namespace {

// -- SQL ----------------------------------------------------------------------

constexpr const char* insert_sql = R"sql(
INSERT INTO journal (persistence_id, seq_nr, event_type, payload, correlation_id)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::jsonb[], $5::text[])
RETURNING persistence_id, seq_nr, global_offset
)sql";

// Keeps only the newest snapshot of an entity.
constexpr const char* snapshot_sql = R"sql(
INSERT INTO snapshots (persistence_id, seq_nr, state)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::jsonb[])
ON CONFLICT (persistence_id) DO UPDATE
  SET seq_nr = excluded.seq_nr, state = excluded.state, created_at = now()
  WHERE snapshots.seq_nr < excluded.seq_nr
)sql";

// -- metrics ------------------------------------------------------------------

struct journal_metrics {
  metrics::histogram& batch_events;
  metrics::histogram& commit_seconds;
  metrics::counter& events_total;
  metrics::counter& conflicts_total;

  static journal_metrics& get() {
    static journal_metrics m{
      metrics::get_histogram("agora_journal_batch_events", "Events per journal commit",
                             {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000}),
      metrics::get_histogram("agora_journal_commit_seconds",
                             "Duration of one journal group commit",
                             metrics::latency_buckets()),
      metrics::get_counter("agora_journal_events_total", "Events committed to the journal"),
      metrics::get_counter("agora_journal_conflicts_total",
                           "Appends rejected by optimistic concurrency"),
    };
    return m;
  }
};

// -- messages between collector and committers --------------------------------

struct write_batch {
  std::vector<append_request> appends;
  std::vector<snapshot_row> snapshots;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_batch& x) {
  return f(caf::meta::type_name("write_batch"), x.appends, x.snapshots);
}

/// The fate of one append of a batch.
struct append_outcome {
  int64_t last_seq_nr = 0;
  int64_t last_global_offset = 0;
  /// 0 (committed) or an errc value.
  uint8_t error = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, append_outcome& x) {
  return f(caf::meta::type_name("append_outcome"), x.last_seq_nr, x.last_global_offset,
           x.error);
}

struct write_result {
  /// One entry per append of the batch, same order.
  std::vector<append_outcome> outcomes;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_result& x) {
  return f(caf::meta::type_name("write_result"), x.outcomes);
}

using committer_actor = caf::typed_actor<caf::replies_to<write_batch>::with<write_result>>;

// -- the blocking commit (runs in a detached committer) -------------------------

std::string row_key(std::string_view pid, int64_t seq) {
  std::string key{pid};
  key += '\x1f';
  key += std::to_string(seq);
  return key;
}

/// Fills `out` from the RETURNING rows of the insert of `appends`.
void acknowledge(const pg::outcome& res, const std::vector<append_request>& appends,
                 std::vector<append_outcome>& out) {
  std::unordered_map<std::string, int64_t> offsets;
  offsets.reserve(static_cast<size_t>(res.rows()));
  for (int r = 0; r < res.rows(); ++r)
    offsets.emplace(row_key(res.text(r, 0), res.int64(r, 1)), res.int64(r, 2));
  for (size_t i = 0; i < appends.size(); ++i) {
    auto& o = out[i];
    for (const auto& row : appends[i].rows) {
      o.last_seq_nr = std::max(o.last_seq_nr, row.seq_nr);
      if (auto j = offsets.find(row_key(row.persistence_id, row.seq_nr)); j != offsets.end())
        o.last_global_offset = std::max(o.last_global_offset, j->second);
    }
  }
}

enum class attempt { committed, statement_failed, connection_failed };

/// Sends one command of the pipeline; false when libpq refused it.
bool send_params(PGconn* c, const char* sql) {
  return PQsendQueryParams(c, sql, 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
}

bool send_prepared(PGconn* c, const char* name, const std::vector<std::string>& params) {
  std::vector<const char*> ps;
  for (const auto& p : params)
    ps.push_back(p.c_str());
  return PQsendQueryPrepared(c, name, static_cast<int>(ps.size()), ps.data(), nullptr, nullptr,
                             0)
         == 1;
}

/// The fast path: one pipeline, one transaction, one Sync.
attempt commit_pipelined(pg::connection& conn, const write_batch& batch,
                         std::vector<append_outcome>& out, std::string& why) {
  PGconn* c = conn.raw();
  if (PQenterPipelineMode(c) != 1) {
    why = PQerrorMessage(c);
    return attempt::connection_failed;
  }
  int commands = 0;
  int insert_index = -1;
  bool sent = send_params(c, "BEGIN");
  ++commands;
  if (sent && !batch.appends.empty()) {
    journal_insert_params ip;
    for (const auto& a : batch.appends)
      for (const auto& row : a.rows)
        ip.add(row);
    sent = send_prepared(c, "journal_insert", ip.finish());
    insert_index = commands++;
  }
  if (sent && !batch.snapshots.empty()) {
    sent = send_prepared(c, "snapshot_upsert", snapshot_params(batch.snapshots));
    ++commands;
  }
  if (sent) {
    sent = send_params(c, "COMMIT");
    ++commands;
  }
  if (!sent || PQpipelineSync(c) != 1) {
    why = PQerrorMessage(c);
    conn.reset();
    return attempt::connection_failed;
  }
  // Collect one result per command (each followed by a NULL), then the Sync.
  attempt verdict = attempt::committed;
  for (int i = 0; i < commands; ++i) {
    pg::result_ptr res{PQgetResult(c)};
    if (!res) {
      why = PQerrorMessage(c);
      conn.reset();
      return attempt::connection_failed;
    }
    auto status = PQresultStatus(res.get());
    if (status == PGRES_PIPELINE_ABORTED) {
      // skipped because an earlier command failed
    } else if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      auto err = pg::classify(c, res.get());
      why = err.message;
      if (err.kind == pg::failure_kind::unavailable) {
        conn.reset();
        return attempt::connection_failed;
      }
      verdict = attempt::statement_failed;
    } else if (i == insert_index) {
      acknowledge(pg::to_outcome(c, std::move(res)), batch.appends, out);
    }
    while (pg::result_ptr extra{PQgetResult(c)}) {
      // nothing else is expected before the NULL that ends a command's results
    }
  }
  pg::result_ptr sync{PQgetResult(c)};
  if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
    why = PQerrorMessage(c);
    conn.reset();
    return attempt::connection_failed;
  }
  if (PQexitPipelineMode(c) != 1) {
    why = PQerrorMessage(c);
    conn.reset();
    return attempt::connection_failed;
  }
  // Sync does not end an explicit transaction that failed: roll it back.
  if (PQtransactionStatus(c) != PQTRANS_IDLE) {
    std::string first_error = why;
    if (auto res = conn.exec("ROLLBACK"); !res) {
      why = res.error().message;
      conn.reset();
      return attempt::connection_failed;
    }
    why = first_error;
  }
  return verdict;
}

/// The slow path after a failed statement: one SAVEPOINT per append, so only
/// the appends that fail are rejected. Returns false when the connection
/// failed (every append then fails with errc::unavailable).
bool commit_isolated(pg::connection& conn, const write_batch& batch,
                     std::vector<append_outcome>& out, std::string& why) {
  auto fail = [&](const pg::db_error& err) {
    why = err.message;
    if (err.kind == pg::failure_kind::unavailable)
      conn.reset();
    else
      conn.exec("ROLLBACK");
    return false;
  };
  if (auto res = conn.exec("BEGIN"); !res)
    return fail(res.error());
  for (size_t i = 0; i < batch.appends.size(); ++i) {
    if (auto res = conn.exec("SAVEPOINT append"); !res)
      return fail(res.error());
    journal_insert_params ip;
    for (const auto& row : batch.appends[i].rows)
      ip.add(row);
    auto res = conn.exec_prepared("journal_insert", ip.finish());
    if (res) {
      std::vector<append_outcome> one(1);
      acknowledge(res, {batch.appends[i]}, one);
      out[i] = one[0];
      if (auto rel = conn.exec("RELEASE SAVEPOINT append"); !rel)
        return fail(rel.error());
      continue;
    }
    const auto& err = res.error();
    if (err.kind == pg::failure_kind::unavailable)
      return fail(err);
    const auto& pid = batch.appends[i].rows.front().persistence_id;
    if (err.kind == pg::failure_kind::conflict) {
      out[i].error = static_cast<uint8_t>(errc::concurrency_conflict);
      persistence_log().info("{}: append rejected, concurrency conflict", pid);
    } else {
      out[i].error = static_cast<uint8_t>(errc::internal);
      persistence_log().error("{}: append rejected: {}", pid, err.message);
    }
    if (auto rb = conn.exec("ROLLBACK TO SAVEPOINT append"); !rb)
      return fail(rb.error());
  }
  for (const auto& snap : batch.snapshots) {
    if (auto res = conn.exec("SAVEPOINT snap"); !res)
      return fail(res.error());
    if (auto res = conn.exec_prepared("snapshot_upsert", snapshot_params({snap})); !res) {
      persistence_log().error("{}: snapshot at {} not stored: {}", snap.persistence_id,
                              snap.seq_nr, res.error().message);
      if (auto rb = conn.exec("ROLLBACK TO SAVEPOINT snap"); !rb)
        return fail(rb.error());
    } else if (auto rel = conn.exec("RELEASE SAVEPOINT snap"); !rel) {
      return fail(rel.error());
    }
  }
  if (auto res = conn.exec("COMMIT"); !res)
    return fail(res.error());
  return true;
}

// -- detached committer ---------------------------------------------------------

struct committer_state {
  static inline const char* name = "journal-committer";
  std::unique_ptr<pg::connection> conn;
  /// No reconnect attempt before this point after a failure.
  std::chrono::steady_clock::time_point retry_at;
  std::chrono::milliseconds backoff{0};
};

using committer_pointer = committer_actor::stateful_pointer<committer_state>;

void mark_down(committer_pointer self, const std::string& why) {
  auto& st = self->state;
  st.backoff = std::clamp(st.backoff * 2, std::chrono::milliseconds{100},
                          std::chrono::milliseconds{5000});
  st.retry_at = std::chrono::steady_clock::now() + st.backoff;
  persistence_log().warn("journal committer: database unavailable ({}), retry in {} ms", why,
                         st.backoff.count());
}

write_result fail_all(const write_batch& batch, errc code) {
  write_result res;
  res.outcomes.resize(batch.appends.size());
  for (auto& o : res.outcomes)
    o.error = static_cast<uint8_t>(code);
  return res;
}

write_result commit(committer_pointer self, const write_batch& batch) {
  auto& st = self->state;
  auto& conn = *st.conn;
  if (!conn.connected()) {
    if (std::chrono::steady_clock::now() < st.retry_at)
      return fail_all(batch, errc::unavailable);
    if (!conn.ensure_connected()) {
      mark_down(self, conn.last_error().message);
      return fail_all(batch, errc::unavailable);
    }
    if (st.backoff.count() > 0)
      persistence_log().info("journal committer: reconnected");
    st.backoff = std::chrono::milliseconds{0};
  }
  auto& m = journal_metrics::get();
  auto started = std::chrono::steady_clock::now();
  write_result res;
  res.outcomes.resize(batch.appends.size());
  std::string why;
  auto verdict = commit_pipelined(conn, batch, res.outcomes, why);
  if (verdict == attempt::statement_failed) {
    persistence_log().debug("journal batch failed ({}), retrying with savepoints", why);
    res.outcomes.assign(batch.appends.size(), append_outcome{});
    verdict = commit_isolated(conn, batch, res.outcomes, why) ? attempt::committed
                                                               : attempt::connection_failed;
    if (verdict != attempt::committed && conn.connected()) {
      persistence_log().error("journal batch failed: {}", why);
      return fail_all(batch, errc::internal);
    }
  }
  if (verdict == attempt::connection_failed) {
    conn.reset();
    mark_down(self, why);
    return fail_all(batch, errc::unavailable);
  }
  size_t events = 0;
  uint64_t conflicts = 0;
  for (size_t i = 0; i < batch.appends.size(); ++i) {
    if (res.outcomes[i].error == 0)
      events += batch.appends[i].rows.size();
    else if (res.outcomes[i].error == static_cast<uint8_t>(errc::concurrency_conflict))
      ++conflicts;
  }
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  m.commit_seconds.observe(took.count());
  if (events > 0)
    m.batch_events.observe(static_cast<double>(events));
  m.events_total.inc(events);
  if (conflicts > 0)
    m.conflicts_total.inc(conflicts);
  return res;
}

committer_actor::behavior_type committer_impl(committer_pointer self, std::string conninfo,
                                              int64_t write_timeout_ms) {
  self->state.conn = std::make_unique<pg::connection>(std::move(conninfo), "agora-journal-writer");
  // Entities wait for the journal's answer without a timeout of their own:
  // no batch may hang (with the connection's TCP limits, every write ends).
  self->state.conn->set_session("SET statement_timeout = " + std::to_string(write_timeout_ms));
  self->state.conn->prepare("journal_insert", insert_sql);
  self->state.conn->prepare("snapshot_upsert", snapshot_sql);
  return {
    [=](write_batch& batch) -> write_result { return commit(self, batch); },
  };
}

// -- collector ------------------------------------------------------------------

struct pending_append {
  append_request req;
  caf::typed_response_promise<append_ack> rp;
};

struct collector_state {
  static inline const char* name = "journal";
  std::deque<pending_append> appends;
  /// The newest pending snapshot per entity.
  std::map<std::string, snapshot_row> snapshots;
  std::vector<committer_actor> idle;
  size_t max_batch = 2000;
  journal_reader_actor reader;
};

using collector_pointer = journal_actor::stateful_pointer<collector_state>;

void dispatch(collector_pointer self) {
  auto& st = self->state;
  while (!st.idle.empty() && (!st.appends.empty() || !st.snapshots.empty())) {
    auto committer = st.idle.back();
    st.idle.pop_back();
    write_batch batch;
    std::vector<caf::typed_response_promise<append_ack>> promises;
    size_t events = 0;
    while (!st.appends.empty()
           && (promises.empty() || events + st.appends.front().req.rows.size() <= st.max_batch)) {
      auto& next = st.appends.front();
      events += next.req.rows.size();
      batch.appends.push_back(std::move(next.req));
      promises.push_back(std::move(next.rp));
      st.appends.pop_front();
    }
    for (auto& [pid, snap] : st.snapshots)
      batch.snapshots.push_back(std::move(snap));
    st.snapshots.clear();
    self->request(committer, caf::infinite, std::move(batch))
      .then(
        [=](write_result& res) mutable {
          for (size_t i = 0; i < promises.size(); ++i) {
            const auto& o = res.outcomes[i];
            if (o.error != 0)
              promises[i].deliver(caf::make_error(static_cast<errc>(o.error)));
            else
              promises[i].deliver(append_ack{o.last_seq_nr, o.last_global_offset});
          }
          self->state.idle.push_back(committer);
          dispatch(self);
        },
        [=](caf::error& err) mutable {
          persistence_log().error("journal committer failed: {}", caf::to_string(err));
          for (auto& rp : promises)
            rp.deliver(caf::make_error(errc::unavailable));
          if (err != caf::sec::request_receiver_down)
            self->state.idle.push_back(committer);
          dispatch(self);
        });
  }
}

bool consecutive(const append_request& req) {
  const auto& pid = req.rows.front().persistence_id;
  for (size_t i = 0; i < req.rows.size(); ++i) {
    if (req.rows[i].persistence_id != pid || req.rows[i].seq_nr <= 0
        || (i > 0 && req.rows[i].seq_nr != req.rows[i - 1].seq_nr + 1))
      return false;
  }
  return true;
}

journal_actor::behavior_type collector_impl(collector_pointer self, agora::config cfg,
                                            journal_reader_actor reader) {
  auto& st = self->state;
  st.max_batch = static_cast<size_t>(std::max<int64_t>(1, cfg.pg.max_batch));
  for (int64_t i = 0; i < std::max<int64_t>(1, cfg.pg.writers); ++i)
    st.idle.push_back(self->spawn<caf::detached + caf::linked>(committer_impl, cfg.pg.conninfo,
                                                            cfg.pg.write_timeout_ms));
  // Linked both ways: the reader stops with the journal and vice versa.
  st.reader = std::move(reader);
  self->link_to(st.reader);
  return {
    [=](append_atom, append_request& req) -> caf::result<append_ack> {
      if (req.rows.empty() || !consecutive(req))
        return caf::make_error(errc::invalid_request,
                               "an append needs rows of one entity with consecutive seq_nr");
      auto rp = self->make_response_promise<append_ack>();
      self->state.appends.push_back(pending_append{std::move(req), rp});
      dispatch(self);
      return rp;
    },
    [=](load_atom atm, std::string& pid) -> caf::result<recovered> {
      return self->delegate(self->state.reader, atm, std::move(pid));
    },
    [=](snapshot_atom, snapshot_row& snap) {
      auto& pending = self->state.snapshots;
      auto i = pending.find(snap.persistence_id);
      if (i == pending.end())
        pending.emplace(snap.persistence_id, std::move(snap));
      else if (i->second.seq_nr < snap.seq_nr)
        i->second = std::move(snap);
      dispatch(self);
    },
  };
}

} // namespace

journal_actor spawn_journal(caf::actor_system& sys, const agora::config& cfg) {
  return sys.spawn(collector_impl, cfg, spawn_journal_reader(sys, cfg));
}

} // namespace agora::persistence
