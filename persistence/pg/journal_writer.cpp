#include "persistence/pg/journal_writer.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

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
  payloads.add_jsonb(row.payload);
  correlations.add(row.correlation_id);
}

std::vector<std::string> journal_insert_params::finish() {
  return {ids.finish(), seqs.finish(), types.finish(), payloads.finish(),
          correlations.finish()};
}

std::vector<std::string> snapshot_params(const std::vector<snapshot_row>& snaps) {
  pg::binary_array_builder ids{pg::text_oid}, seqs{pg::int8_oid}, states{pg::jsonb_oid};
  for (const auto& s : snaps) {
    ids.add(s.persistence_id);
    seqs.add(s.seq_nr);
    states.add_jsonb(s.state);
  }
  return {ids.finish(), seqs.finish(), states.finish()};
}

namespace {

// -- SQL ----------------------------------------------------------------------

constexpr const char* insert_sql = R"sql(
INSERT INTO journal (persistence_id, seq_nr, event_type, payload, correlation_id)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::jsonb[], $5::text[])
RETURNING global_offset
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

// -- the queue between collector and committers ---------------------------------

struct write_batch {
  std::vector<append_request> appends;
};

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

/// What a committer did with the appends numbered first_id, first_id + 1, ...
struct batch_done {
  uint64_t first_id = 0;
  /// One entry per append of the batch, same order.
  std::vector<append_outcome> outcomes;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, batch_done& x) {
  return f(caf::meta::type_name("batch_done"), x.first_id, x.outcomes);
}

/// Appends wait here for a committer. The collector adds to it; a committer
/// that finishes a commit takes the next batch itself, so no message round
/// trip through the collector (two thread wake-ups) separates two commits.
struct write_queue {
  std::mutex mtx;
  /// appends[i] is the append numbered front_id + i.
  std::deque<append_request> appends;
  uint64_t front_id = 0;
  /// Committers waiting for work (indexes into the collector's list).
  std::vector<size_t> idle;
  size_t max_batch = 2000;

  /// Takes the next batch (at most max_batch events, at least one append).
  /// Returns false, and lists `committer` as idle, when nothing waits.
  bool take(size_t committer, write_batch& batch, uint64_t& first_id) {
    std::lock_guard<std::mutex> guard{mtx};
    if (appends.empty()) {
      idle.push_back(committer);
      return false;
    }
    first_id = front_id;
    size_t events = 0;
    while (!appends.empty()
           && (batch.appends.empty() || events + appends.front().rows.size() <= max_batch)) {
      events += appends.front().rows.size();
      batch.appends.push_back(std::move(appends.front()));
      appends.pop_front();
      ++front_id;
    }
    return true;
  }
};

using committer_actor = caf::typed_actor<caf::reacts_to<commit_atom>>;

/// The journal's interface and the committers' reports.
using collector_actor = journal_actor::extend<caf::reacts_to<commit_atom, batch_done>>;

// -- the blocking commit (runs in a detached committer) -------------------------

/// Fills `out` from the RETURNING rows of the insert of `appends`. Each row
/// draws its offset from the sequence as the insert reads it from unnest, in
/// the order the rows were added, and the sequence only grows: the offsets in
/// ascending order are the rows' offsets in the order of `appends`.
void acknowledge(const pg::outcome& res, const std::vector<append_request>& appends,
                 std::vector<append_outcome>& out) {
  std::vector<int64_t> offsets(static_cast<size_t>(res.rows()));
  for (int r = 0; r < res.rows(); ++r)
    offsets[static_cast<size_t>(r)] = res.int64(r, 0);
  std::sort(offsets.begin(), offsets.end());
  size_t next = 0;
  for (size_t i = 0; i < appends.size(); ++i) {
    auto& o = out[i];
    for (const auto& row : appends[i].rows) {
      o.last_seq_nr = std::max(o.last_seq_nr, row.seq_nr);
      if (next < offsets.size())
        o.last_global_offset = std::max(o.last_global_offset, offsets[next++]);
    }
  }
}

enum class attempt { committed, statement_failed, connection_failed };

/// The fast path: the batch's one insert, its own implicit transaction (one
/// round trip: Bind, Execute, Sync), committed or rolled back as a whole.
attempt commit_batch(pg::connection& conn, const write_batch& batch,
                     std::vector<append_outcome>& out, std::string& why) {
  journal_insert_params ip;
  for (const auto& a : batch.appends)
    for (const auto& row : a.rows)
      ip.add(row);
  auto res = conn.exec_prepared("journal_insert", ip.finish(), pg::param_format::binary);
  if (res) {
    acknowledge(res, batch.appends, out);
    return attempt::committed;
  }
  why = res.error().message;
  if (res.error().kind != pg::failure_kind::unavailable)
    return attempt::statement_failed;
  conn.reset();
  return attempt::connection_failed;
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
    auto res = conn.exec_prepared("journal_insert", ip.finish(), pg::param_format::binary);
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
  if (auto res = conn.exec("COMMIT"); !res)
    return fail(res.error());
  return true;
}

// -- detached committer ---------------------------------------------------------

/// A connection's reconnect pacing after failures: 100 ms, doubling up to 5 s.
struct reconnect_backoff {
  /// No reconnect attempt before this point.
  std::chrono::steady_clock::time_point retry_at;
  std::chrono::milliseconds delay{0};

  bool waiting() const { return std::chrono::steady_clock::now() < retry_at; }

  /// A failure: the next attempt waits longer; returns how long, in ms.
  int64_t failed() {
    delay = std::clamp(delay * 2, std::chrono::milliseconds{100}, std::chrono::milliseconds{5000});
    retry_at = std::chrono::steady_clock::now() + delay;
    return delay.count();
  }

  /// A success; true when it ends a run of failures.
  bool succeeded() { return std::exchange(delay, std::chrono::milliseconds{0}).count() > 0; }
};

struct committer_state {
  static inline const char* name = "journal-committer";
  std::unique_ptr<pg::connection> conn;
  reconnect_backoff backoff;
};

using committer_pointer = committer_actor::stateful_pointer<committer_state>;

void mark_down(committer_pointer self, const std::string& why) {
  persistence_log().warn("journal committer: database unavailable ({}), retry in {} ms", why,
                         self->state.backoff.failed());
}

using outcomes = std::vector<append_outcome>;

outcomes fail_all(const write_batch& batch, errc code) {
  append_outcome failed;
  failed.error = static_cast<uint8_t>(code);
  return outcomes(batch.appends.size(), failed);
}

outcomes commit(committer_pointer self, const write_batch& batch) {
  auto& st = self->state;
  auto& conn = *st.conn;
  if (!conn.connected()) {
    if (st.backoff.waiting())
      return fail_all(batch, errc::unavailable);
    if (!conn.ensure_connected()) {
      mark_down(self, conn.last_error().message);
      return fail_all(batch, errc::unavailable);
    }
    if (st.backoff.succeeded())
      persistence_log().info("journal committer: reconnected");
  }
  auto& m = journal_metrics::get();
  auto started = std::chrono::steady_clock::now();
  outcomes res(batch.appends.size());
  std::string why;
  auto verdict = commit_batch(conn, batch, res, why);
  if (verdict == attempt::statement_failed) {
    persistence_log().debug("journal batch failed ({}), retrying with savepoints", why);
    res.assign(batch.appends.size(), append_outcome{});
    verdict = commit_isolated(conn, batch, res, why) ? attempt::committed
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
    if (res[i].error == 0)
      events += batch.appends[i].rows.size();
    else if (res[i].error == static_cast<uint8_t>(errc::concurrency_conflict))
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
                                              int64_t write_timeout_ms,
                                              std::shared_ptr<write_queue> queue, size_t index,
                                              collector_actor collector) {
  self->state.conn = std::make_unique<pg::connection>(std::move(conninfo), "agora-journal-writer");
  // Entities wait for the journal's answer without a timeout of their own:
  // no batch may hang (with the connection's TCP limits, every write ends).
  self->state.conn->set_session("SET statement_timeout = " + std::to_string(write_timeout_ms));
  self->state.conn->prepare("journal_insert", insert_sql);
  return {
    // Woken by the collector when it queues work for an idle committer; then
    // commits batch after batch until the queue is empty.
    [=](commit_atom) {
      write_batch batch;
      uint64_t first_id = 0;
      while (queue->take(index, batch, first_id)) {
        self->send(collector, commit_atom_v, batch_done{first_id, commit(self, batch)});
        batch = write_batch{};
      }
    },
  };
}

// -- snapshot writer ------------------------------------------------------------

/// Snapshots go on a connection of their own, outside the appends' commits: a
/// large one (an inventory item's is 1.1 MB, about 30 ms of PostgreSQL) would
/// otherwise hold up every append of its batch. Fire and forget: a snapshot
/// that is not stored only makes its entity's next recovery read more events.
using snapshot_writer_actor =
  caf::typed_actor<caf::reacts_to<snapshot_atom, snapshot_row>, caf::reacts_to<commit_atom>>;

struct snapshot_writer_state {
  static inline const char* name = "journal-snapshots";
  std::unique_ptr<pg::connection> conn;
  /// The newest snapshot per entity, not yet written.
  std::map<std::string, snapshot_row> pending;
  /// A commit_atom to itself is queued: it writes `pending` after the
  /// snapshots that arrived before it, all in one statement.
  bool write_queued = false;
  /// While it waits, snapshots are dropped without a try.
  reconnect_backoff backoff;
};

using snapshot_writer_pointer = snapshot_writer_actor::stateful_pointer<snapshot_writer_state>;

struct snapshot_metrics {
  metrics::counter& stored;
  metrics::counter& dropped;
  metrics::counter& bytes;

  static snapshot_metrics& get() {
    static snapshot_metrics m{
      metrics::get_counter("agora_snapshots_stored_total", "Entity snapshots stored"),
      metrics::get_counter("agora_snapshots_dropped_total",
                           "Entity snapshots not stored (rejected, or the database unreachable)"),
      metrics::get_counter("agora_snapshot_bytes_total", "Bytes of entity snapshots stored"),
    };
    return m;
  }
};

/// Snapshots written together hold at most this many bytes of state (unless
/// one alone is larger), so that no statement grows with a burst of them.
constexpr size_t max_snapshot_write_bytes = 8 << 20;

bool store(pg::connection& conn, const std::vector<snapshot_row>& snaps, pg::db_error& err) {
  auto res =
    conn.exec_prepared("snapshot_upsert", snapshot_params(snaps), pg::param_format::binary);
  if (!res) {
    err = res.error();
    return false;
  }
  auto& m = snapshot_metrics::get();
  m.stored.inc(snaps.size());
  for (const auto& s : snaps)
    m.bytes.inc(s.state.size());
  return true;
}

void write_snapshots(snapshot_writer_pointer self, std::vector<snapshot_row> snaps) {
  auto& st = self->state;
  auto& conn = *st.conn;
  auto& dropped = snapshot_metrics::get().dropped;
  // The `lost` snapshots, not tried or not stored, go with the connection.
  auto down = [&](const std::string& why, size_t lost) {
    conn.reset();
    dropped.inc(lost);
    persistence_log().warn("snapshot writer: database unavailable ({}), {} snapshot(s) dropped; "
                           "retry in {} ms", why, lost, st.backoff.failed());
  };
  if (!conn.connected()) {
    if (st.backoff.waiting())
      return dropped.inc(snaps.size());
    if (!conn.ensure_connected())
      return down(conn.last_error().message, snaps.size());
    st.backoff.succeeded();
  }
  pg::db_error err;
  if (store(conn, snaps, err))
    return;
  if (err.kind == pg::failure_kind::unavailable)
    return down(err.message, snaps.size());
  // One of them is bad (say, a state that is not JSON): store the others.
  for (size_t i = 0; i < snaps.size(); ++i) {
    const auto& snap = snaps[i];
    if (store(conn, {snap}, err))
      continue;
    if (err.kind == pg::failure_kind::unavailable)
      return down(err.message, snaps.size() - i);
    dropped.inc();
    persistence_log().error("{}: snapshot at {} not stored: {}", snap.persistence_id,
                            snap.seq_nr, err.message);
  }
}

snapshot_writer_actor::behavior_type snapshot_writer_impl(snapshot_writer_pointer self,
                                                          std::string conninfo,
                                                          int64_t write_timeout_ms) {
  auto& conn = self->state.conn;
  conn = std::make_unique<pg::connection>(std::move(conninfo), "agora-snapshot-writer");
  conn->set_session("SET statement_timeout = " + std::to_string(write_timeout_ms));
  conn->prepare("snapshot_upsert", snapshot_sql);
  return {
    [=](snapshot_atom, snapshot_row& snap) {
      auto& st = self->state;
      auto [i, fresh] = st.pending.try_emplace(snap.persistence_id);
      if (fresh || i->second.seq_nr < snap.seq_nr)
        i->second = std::move(snap);
      if (!st.write_queued) {
        st.write_queued = true;
        self->send(self, commit_atom_v);
      }
    },
    [=](commit_atom) {
      auto& st = self->state;
      st.write_queued = false;
      // One upsert per max_snapshot_write_bytes of states at most.
      std::vector<snapshot_row> snaps;
      size_t bytes = 0;
      for (auto& [pid, snap] : st.pending) {
        if (!snaps.empty() && bytes + snap.state.size() > max_snapshot_write_bytes) {
          write_snapshots(self, std::move(snaps));
          snaps.clear();
          bytes = 0;
        }
        bytes += snap.state.size();
        snaps.push_back(std::move(snap));
      }
      st.pending.clear();
      write_snapshots(self, std::move(snaps));
    },
  };
}

// -- collector ------------------------------------------------------------------

/// An append waiting for its commit: answered through its response promise,
/// or through its callback (append_notify) when it came with one.
struct waiting_append {
  caf::typed_response_promise<append_ack> rp;
  append_notify notify;
  bool answered = false;

  void deliver(caf::expected<append_ack> outcome) {
    if (notify.done)
      notify.done(std::move(outcome));
    else if (outcome)
      rp.deliver(*outcome);
    else
      rp.deliver(outcome.error());
  }
};

struct collector_state {
  static inline const char* name = "journal";
  std::shared_ptr<write_queue> queue = std::make_shared<write_queue>();
  std::vector<committer_actor> committers;
  snapshot_writer_actor snapshot_writer;
  /// waiting[i] answers the append numbered waiting_base + i.
  std::deque<waiting_append> waiting;
  uint64_t waiting_base = 0;
  journal_reader_actor reader;

  /// A journal that stops with appends unanswered fails them: CAF does so
  /// for requests, and a callback must hear it too (a region that drains
  /// waits for every record's outcome).
  ~collector_state() {
    for (auto& w : waiting)
      if (!w.answered && w.notify.done)
        w.notify.done(caf::make_error(errc::unavailable, "the journal stopped"));
  }
};

using collector_pointer = collector_actor::stateful_pointer<collector_state>;

/// Queues an append (under the queue's lock) and wakes an idle committer if
/// there is one.
void enqueue(collector_pointer self, append_request&& req) {
  auto& st = self->state;
  std::optional<size_t> wake;
  {
    std::lock_guard<std::mutex> guard{st.queue->mtx};
    st.queue->appends.push_back(std::move(req));
    if (!st.queue->idle.empty()) {
      wake = st.queue->idle.back();
      st.queue->idle.pop_back();
    }
  }
  if (wake)
    self->send(st.committers[*wake], commit_atom_v);
}

void answer(collector_pointer self, batch_done& done) {
  auto& st = self->state;
  for (size_t i = 0; i < done.outcomes.size(); ++i) {
    auto& w = st.waiting[done.first_id + i - st.waiting_base];
    const auto& o = done.outcomes[i];
    if (o.error != 0)
      w.deliver(caf::make_error(static_cast<errc>(o.error)));
    else
      w.deliver(append_ack{o.last_seq_nr, o.last_global_offset});
    w.answered = true;
  }
  // Several committers may finish out of order.
  while (!st.waiting.empty() && st.waiting.front().answered) {
    st.waiting.pop_front();
    ++st.waiting_base;
  }
}

caf::error invalid_append() {
  return caf::make_error(errc::invalid_request,
                         "an append needs rows of one entity with consecutive seq_nr");
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

collector_actor::behavior_type collector_impl(collector_pointer self, agora::config cfg,
                                              journal_reader_actor reader) {
  auto& st = self->state;
  st.queue->max_batch = static_cast<size_t>(std::max<int64_t>(1, cfg.pg.max_batch));
  collector_actor me = caf::actor_cast<collector_actor>(self);
  for (size_t i = 0; i < static_cast<size_t>(std::max<int64_t>(1, cfg.pg.writers)); ++i) {
    st.committers.push_back(self->spawn<caf::detached + caf::linked>(
      committer_impl, cfg.pg.conninfo, cfg.pg.write_timeout_ms, st.queue, i, me));
    st.queue->idle.push_back(i);
  }
  st.snapshot_writer = self->spawn<caf::detached + caf::linked>(
    snapshot_writer_impl, cfg.pg.conninfo, cfg.pg.write_timeout_ms);
  // Linked both ways: the reader stops with the journal and vice versa.
  st.reader = std::move(reader);
  self->link_to(st.reader);
  return {
    [=](append_atom, append_request& req) -> caf::result<append_ack> {
      if (req.rows.empty() || !consecutive(req))
        return invalid_append();
      auto rp = self->make_response_promise<append_ack>();
      self->state.waiting.push_back(waiting_append{rp, {}});
      enqueue(self, std::move(req));
      return rp;
    },
    [=](append_atom, append_request& req, append_notify& notify) {
      if (req.rows.empty() || !consecutive(req))
        return notify.done(invalid_append());
      self->state.waiting.push_back(waiting_append{{}, std::move(notify)});
      enqueue(self, std::move(req));
    },
    [=](load_atom atm, std::string& pid) -> caf::result<recovered> {
      return self->delegate(self->state.reader, atm, std::move(pid));
    },
    [=](snapshot_atom atm, snapshot_row& snap) {
      self->send(self->state.snapshot_writer, atm, std::move(snap));
    },
    [=](commit_atom, batch_done& done) { answer(self, done); },
  };
}

} // namespace

journal_actor spawn_journal(caf::actor_system& sys, const agora::config& cfg) {
  return sys.spawn(collector_impl, cfg, spawn_journal_reader(sys, cfg));
}

} // namespace agora::persistence
