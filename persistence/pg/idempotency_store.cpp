#include "persistence/pg/idempotency_store.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <caf/all.hpp>

#include "actors/common/log.hpp"
#include "actors/type_ids.hpp"
#include "persistence/pg/connection.hpp"
#include "persistence/pg/pg_array.hpp"

namespace agora::persistence {

namespace {

// The statements are prepared and run on their generic plans, made once per
// connection, so their shape must hold whatever the statistics: each key is
// found through the primary key (ON CONFLICT's arbiter, or a LATERAL probe
// that LIMIT keeps from being flattened into a join). A join of the batch
// with the table leaves the plan to the statistics, and the generic plan of
// such a join, made while the table was nearly empty, scanned all of it for
// every batch.

// Claims a batch of distinct keys in one statement: each is inserted, or
// takes over a claim abandoned in progress, and comes back in the first
// branch. The second branch gives every key's row as it was when the
// statement started (none for a new key); run_segment pairs them up.
constexpr const char* claim_sql = R"(
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS t(scope, key, request_hash)),
claimed AS (
  INSERT INTO idempotency_keys(scope, key, request_hash)
    SELECT scope, key, request_hash FROM input
  ON CONFLICT (scope, key) DO UPDATE
    SET request_hash = EXCLUDED.request_hash, created_at = now()
    WHERE idempotency_keys.status = 0
      AND idempotency_keys.created_at < now() - make_interval(secs => $4::int)
  RETURNING scope, key)
SELECT true, scope, key, NULL, 0, '' FROM claimed
UNION ALL
SELECT false, input.scope, input.key, k.request_hash, k.status, coalesce(k.response::text, '')
  FROM input, LATERAL (SELECT request_hash, status, response FROM idempotency_keys x
                         WHERE x.scope = input.scope AND x.key = input.key LIMIT 1) k)";

// Stores the answers. A key's row normally exists (its claim); one that is
// gone (purged after 48 hours) is written again with its request hash.
constexpr const char* complete_sql = R"(
INSERT INTO idempotency_keys (scope, key, request_hash, status, response)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::jsonb[])
ON CONFLICT (scope, key) DO UPDATE SET status = EXCLUDED.status, response = EXCLUDED.response)";

// Releases (a 5xx answer) delete by primary key: a nested loop of index
// probes, also in the generic plan of an empty table.
constexpr const char* release_sql = R"(
DELETE FROM idempotency_keys k USING unnest($1::text[], $2::text[]) AS u(scope, key)
  WHERE k.scope = u.scope AND k.key = u.key)";

constexpr const char* purge_sql =
  "DELETE FROM idempotency_keys WHERE created_at < now() - interval '48 hours'";

/// The public interface plus the batch's commit, which queues behind the
/// claims and completions that arrived with it.
using store_actor = idempotency_store_actor::extend<caf::reacts_to<commit_atom>>;

/// A claim or a completion waiting for the batch's transaction, and where
/// its answer goes.
struct pending {
  std::variant<idempotency_claim, idempotency_completion> what;
  std::variant<claim_fn, completion_fn> done;
};

struct store_state {
  static inline const char* name = "idempotency-store";
  std::unique_ptr<pg::connection> conn;
  std::chrono::steady_clock::time_point next_purge{};
  std::vector<pending> batch;
  bool commit_scheduled = false;
};

/// Forgets keys older than 48 hours, at most once an hour.
void maybe_purge(store_state& st) {
  auto now = std::chrono::steady_clock::now();
  if (now < st.next_purge)
    return;
  st.next_purge = now + std::chrono::hours(1);
  if (auto res = st.conn->exec(purge_sql); !res)
    persistence_log().warn("idempotency keys: purge failed: {}", res.error().message);
}

/// What a claim's row says: fresh when `claimed`, else what the key's
/// existing row (request hash, status, response) makes of it.
idempotency_record judge(const idempotency_claim& c, bool claimed,
                         std::optional<std::string_view> hash, int64_t status,
                         std::string_view response) {
  idempotency_record out;
  claim_kind kind = claim_kind::replay;
  if (claimed)
    kind = claim_kind::fresh;
  else if (!hash) // no visible row: another transaction inserted it just now
    kind = claim_kind::in_progress;
  else if (*hash != c.request_hash)
    kind = claim_kind::mismatch;
  else if (status == 0)
    kind = claim_kind::in_progress;
  out.kind = kind;
  if (kind == claim_kind::replay) {
    out.status = static_cast<int32_t>(status);
    out.response = std::string(response);
  }
  return out;
}

using answer = std::variant<idempotency_record, bool>;

/// A run of the batch in which every key is distinct: its claims and its
/// completions do not see each other, so each kind is one statement.
struct segment {
  std::vector<std::size_t> claims, completions, releases;
  std::set<std::pair<std::string_view, std::string_view>> keys;
};

/// Runs one segment's statements; false when one failed.
bool run_segment(pg::connection& conn, const std::vector<pending>& batch, const segment& seg,
                 std::vector<answer>& answers) {
  auto column = [&](const std::vector<std::size_t>& rows, auto field) {
    pg::array_builder b;
    for (auto i : rows)
      std::visit([&](const auto& what) { field(b, what); }, batch[i].what);
    return b.finish();
  };
  auto scope = [](pg::array_builder& b, const auto& w) { b.add(w.scope); };
  auto key = [](pg::array_builder& b, const auto& w) { b.add(w.key); };
  auto hash = [](pg::array_builder& b, const auto& w) { b.add(w.request_hash); };
  if (!seg.claims.empty()) {
    auto res = conn.exec_prepared("idempotency_claim",
                                  {column(seg.claims, scope), column(seg.claims, key),
                                   column(seg.claims, hash),
                                   std::to_string(abandoned_claim_seconds)});
    if (!res) {
      persistence_log().warn("idempotency keys: claims failed: {}", res.error().message);
      return false;
    }
    // The claimed keys and each key's earlier row, by (scope, key).
    using key_ref = std::pair<std::string_view, std::string_view>;
    std::set<key_ref> claimed;
    std::map<key_ref, int> earlier;
    for (int r = 0; r < res.rows(); ++r) {
      key_ref k{res.text(r, 1), res.text(r, 2)};
      if (res.text(r, 0) == "t")
        claimed.insert(k);
      else
        earlier.emplace(k, r);
    }
    for (auto i : seg.claims) {
      const auto& c = std::get<idempotency_claim>(batch[i].what);
      key_ref k{c.scope, c.key};
      std::optional<std::string_view> hash;
      int64_t status = 0;
      std::string_view response;
      if (auto e = earlier.find(k); e != earlier.end()) {
        hash = res.text(e->second, 3);
        status = res.int64(e->second, 4);
        response = res.text(e->second, 5);
      }
      answers[i] = judge(c, claimed.contains(k), hash, status, response);
    }
  }
  if (!seg.completions.empty()) {
    auto status = [](pg::array_builder& b, const auto& w) {
      if constexpr (requires { w.status; })
        b.add(int64_t{w.status});
    };
    auto response = [](pg::array_builder& b, const auto& w) {
      if constexpr (requires { w.response; })
        b.add(w.response);
    };
    auto res = conn.exec_prepared("idempotency_complete",
                                  {column(seg.completions, scope), column(seg.completions, key),
                                   column(seg.completions, hash),
                                   column(seg.completions, status),
                                   column(seg.completions, response)});
    if (!res) {
      persistence_log().warn("idempotency keys: completions failed: {}", res.error().message);
      return false;
    }
  }
  if (!seg.releases.empty()) {
    auto res = conn.exec_prepared("idempotency_release",
                                  {column(seg.releases, scope), column(seg.releases, key)});
    if (!res) {
      persistence_log().warn("idempotency keys: releases failed: {}", res.error().message);
      return false;
    }
  }
  for (auto i : seg.completions)
    answers[i] = true;
  for (auto i : seg.releases)
    answers[i] = true;
  return true;
}

/// Runs the batch in one transaction (one commit for all; a batch that is
/// one statement runs on its own) and answers every entry once it is
/// committed, or all of them with `unavailable` when anything failed. The
/// batch is cut into segments of distinct keys, in arrival order, so a key
/// claimed or completed twice in one batch is judged as if one at a time.
void commit_batch(store_state& st) {
  auto batch = std::move(st.batch);
  st.batch.clear();
  auto& conn = *st.conn;
  maybe_purge(st);
  std::vector<segment> segments(1);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto [scope, key] = std::visit(
      [](const auto& w) { return std::pair<std::string_view, std::string_view>{w.scope, w.key}; },
      batch[i].what);
    if (segments.back().keys.contains({scope, key}))
      segments.emplace_back();
    auto& seg = segments.back();
    seg.keys.insert({scope, key});
    if (std::holds_alternative<idempotency_claim>(batch[i].what))
      seg.claims.push_back(i);
    else if (std::get<idempotency_completion>(batch[i].what).status > 0)
      seg.completions.push_back(i);
    else
      seg.releases.push_back(i);
  }
  const auto& only = segments.front();
  bool one_statement = segments.size() == 1 && (only.claims.empty() + only.completions.empty() +
                                                only.releases.empty()) == 2;
  std::vector<answer> answers(batch.size());
  bool ok = one_statement || static_cast<bool>(conn.exec("BEGIN"));
  for (std::size_t s = 0; ok && s < segments.size(); ++s)
    ok = run_segment(conn, batch, segments[s], answers);
  if (ok && !one_statement)
    ok = static_cast<bool>(conn.exec("COMMIT"));
  if (!ok)
    conn.reset(); // drops an open transaction with the connection
  auto unavailable = make_problem(errc::unavailable, "idempotency keys are unavailable");
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (auto* done = std::get_if<claim_fn>(&batch[i].done))
      (*done)(ok ? result<idempotency_record>{std::get<idempotency_record>(std::move(answers[i]))}
                 : result<idempotency_record>{unavailable});
    else
      std::get<completion_fn>(batch[i].done)(ok ? result<bool>{true} : result<bool>{unavailable});
  }
}

store_actor::behavior_type store_impl(store_actor::stateful_pointer<store_state> self,
                                      std::string conninfo, int64_t write_timeout_ms) {
  self->state.conn = std::make_unique<pg::connection>(std::move(conninfo), "agora-idempotency");
  // Every statement here looks up a batch of keys by primary key, so an
  // index probe per key is always right. With keys recent enough to be in
  // shared buffers, the planner's cost model preferred hashing the whole
  // table for each batch: 10 ms per 480 completions at 12,000 keys, and
  // growing with the table (docs/PERFORMANCE.md); this session never scans.
  self->state.conn->set_session("SET statement_timeout = " + std::to_string(write_timeout_ms)
                                + "; SET enable_seqscan = off"
                                + "; SET plan_cache_mode = force_generic_plan");
  // Planned once per connection (the plans above): with a few keys per
  // batch, as in the checkout journey, planning a claim took longer than
  // running it, and PostgreSQL kept planning it for every batch.
  self->state.conn->prepare("idempotency_claim", claim_sql);
  self->state.conn->prepare("idempotency_complete", complete_sql);
  self->state.conn->prepare("idempotency_release", release_sql);
  // Claims and completions arriving together share one transaction: the
  // commit message queues behind them.
  auto enqueue = [self](auto what, auto done) {
    auto& st = self->state;
    st.batch.push_back(pending{std::move(what), std::move(done)});
    if (!st.commit_scheduled) {
      st.commit_scheduled = true;
      self->send(self, commit_atom_v);
    }
  };
  return {
    [=](claim_request& r) { enqueue(std::move(r.claim), std::move(r.done)); },
    [=](completion_request& r) { enqueue(std::move(r.completion), std::move(r.done)); },
    [=](commit_atom) {
      self->state.commit_scheduled = false;
      commit_batch(self->state);
    },
  };
}

} // namespace

void claim(const idempotency_store_actor& store, idempotency_claim c, claim_fn done) {
  caf::anon_send(store, claim_request{std::move(c), std::move(done)});
}

void complete(const idempotency_store_actor& store, idempotency_completion c,
              completion_fn done) {
  caf::anon_send(store, completion_request{std::move(c), std::move(done)});
}

idempotency_store_actor spawn_idempotency_store(caf::actor_system& sys, std::string conninfo,
                                                int64_t write_timeout_ms) {
  return sys.spawn<caf::detached>(store_impl, std::move(conninfo), write_timeout_ms);
}

} // namespace agora::persistence
