#include "persistence/pg/idempotency_store.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <type_traits>
#include <variant>
#include <vector>

#include <caf/all.hpp>

#include "actors/common/log.hpp"
#include "actors/type_ids.hpp"
#include "persistence/pg/connection.hpp"

namespace agora::persistence {

namespace {

// Inserts the claim, or takes over one abandoned in progress; either way the
// CTE returns a row. Otherwise the existing row tells what happened before
// (the outer SELECT sees rows committed before the statement started).
constexpr const char* claim_sql = R"(
WITH claimed AS (
  INSERT INTO idempotency_keys(scope, key, request_hash) VALUES ($1, $2, $3)
  ON CONFLICT (scope, key) DO UPDATE
    SET request_hash = EXCLUDED.request_hash, created_at = now()
    WHERE idempotency_keys.status = 0
      AND idempotency_keys.created_at < now() - make_interval(secs => $4::int)
  RETURNING 1)
SELECT (SELECT count(*) FROM claimed), k.request_hash, k.status, coalesce(k.response::text, '')
  FROM (SELECT 1) AS one
  LEFT JOIN idempotency_keys k ON k.scope = $1 AND k.key = $2)";

constexpr const char* complete_sql =
  "UPDATE idempotency_keys SET status = $3::int, response = $4::jsonb "
  "WHERE scope = $1 AND key = $2";

constexpr const char* release_sql = "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2";

constexpr const char* purge_sql =
  "DELETE FROM idempotency_keys WHERE created_at < now() - interval '48 hours'";

/// The public interface plus the batch's commit, which queues behind the
/// claims and completions that arrived with it.
using store_actor = idempotency_store_actor::extend<caf::reacts_to<commit_atom>>;

/// A claim or a completion waiting for the batch's transaction.
struct pending {
  std::variant<idempotency_claim, idempotency_completion> what;
  std::variant<caf::typed_response_promise<idempotency_record>, caf::typed_response_promise<bool>>
    promise;
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

/// Runs a claim; its record, or nullopt when the statement failed.
std::optional<idempotency_record> run(pg::connection& conn, const idempotency_claim& c) {
  auto res =
    conn.exec_params(claim_sql, {c.scope, c.key, c.request_hash, std::to_string(abandoned_claim_seconds)});
  if (!res) {
    persistence_log().warn("idempotency keys: claim failed: {}", res.error().message);
    return std::nullopt;
  }
  idempotency_record out;
  if (res.int64(0, 0) > 0) {
    out.kind = static_cast<uint8_t>(claim_kind::fresh);
  } else if (res.is_null(0, 1) || res.text(0, 1) != c.request_hash) {
    // No visible row means another transaction inserted it just now.
    out.kind = static_cast<uint8_t>(res.is_null(0, 1) ? claim_kind::in_progress : claim_kind::mismatch);
  } else if (res.int64(0, 2) == 0) {
    out.kind = static_cast<uint8_t>(claim_kind::in_progress);
  } else {
    out.kind = static_cast<uint8_t>(claim_kind::replay);
    out.status = static_cast<int32_t>(res.int64(0, 2));
    out.response = std::string(res.text(0, 3));
  }
  return out;
}

/// Runs a completion; true when the statement succeeded.
std::optional<bool> run(pg::connection& conn, const idempotency_completion& c) {
  auto res = c.status > 0
               ? conn.exec_params(complete_sql, {c.scope, c.key, std::to_string(c.status), c.response})
               : conn.exec_params(release_sql, {c.scope, c.key});
  if (!res) {
    persistence_log().warn("idempotency keys: completion failed: {}", res.error().message);
    return std::nullopt;
  }
  return true;
}

/// Runs the batch in one transaction (one commit for all; a single entry
/// runs on its own) and answers every entry once it is committed, or all
/// of them with `unavailable` when anything failed.
void commit_batch(store_state& st) {
  auto batch = std::move(st.batch);
  st.batch.clear();
  auto& conn = *st.conn;
  maybe_purge(st);
  using answer = std::variant<idempotency_record, bool>;
  std::vector<answer> answers;
  answers.reserve(batch.size());
  bool ok = batch.size() == 1 || static_cast<bool>(conn.exec("BEGIN"));
  for (std::size_t i = 0; ok && i < batch.size(); ++i)
    std::visit(
      [&](const auto& what) {
        if (auto a = run(conn, what))
          answers.emplace_back(std::move(*a));
        else
          ok = false;
      },
      batch[i].what);
  if (ok && batch.size() > 1)
    ok = static_cast<bool>(conn.exec("COMMIT"));
  if (!ok)
    conn.reset(); // drops an open transaction with the connection
  for (std::size_t i = 0; i < batch.size(); ++i)
    std::visit(
      [&](auto& rp) {
        using value = std::conditional_t<
          std::is_same_v<std::decay_t<decltype(rp)>, caf::typed_response_promise<bool>>, bool,
          idempotency_record>;
        if (ok)
          rp.deliver(std::get<value>(std::move(answers[i])));
        else
          rp.deliver(caf::make_error(errc::unavailable));
      },
      batch[i].promise);
}

store_actor::behavior_type store_impl(store_actor::stateful_pointer<store_state> self,
                                      std::string conninfo, int64_t write_timeout_ms) {
  self->state.conn = std::make_unique<pg::connection>(std::move(conninfo), "agora-idempotency");
  self->state.conn->set_session("SET statement_timeout = " + std::to_string(write_timeout_ms));
  // Claims and completions arriving together share one transaction: the
  // commit message queues behind them.
  auto enqueue = [self](auto what, auto promise) {
    auto& st = self->state;
    st.batch.push_back(pending{std::move(what), std::move(promise)});
    if (!st.commit_scheduled) {
      st.commit_scheduled = true;
      self->send(self, commit_atom_v);
    }
  };
  return {
    [=](idempotency_claim& c) -> caf::result<idempotency_record> {
      auto rp = self->make_response_promise<idempotency_record>();
      enqueue(std::move(c), rp);
      return rp;
    },
    [=](idempotency_completion& c) -> caf::result<bool> {
      auto rp = self->make_response_promise<bool>();
      enqueue(std::move(c), rp);
      return rp;
    },
    [=](commit_atom) {
      self->state.commit_scheduled = false;
      commit_batch(self->state);
    },
  };
}

} // namespace

idempotency_store_actor spawn_idempotency_store(caf::actor_system& sys, std::string conninfo,
                                                int64_t write_timeout_ms) {
  return sys.spawn<caf::detached>(store_impl, std::move(conninfo), write_timeout_ms);
}

} // namespace agora::persistence
