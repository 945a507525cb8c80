#include "persistence/pg/idempotency_store.hpp"

#include <chrono>
#include <memory>

#include <caf/all.hpp>

#include "actors/common/log.hpp"
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

struct store_state {
  static inline const char* name = "idempotency-store";
  std::unique_ptr<pg::connection> conn;
  std::chrono::steady_clock::time_point next_purge{};
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

idempotency_store_actor::behavior_type
store_impl(idempotency_store_actor::stateful_pointer<store_state> self, std::string conninfo) {
  self->state.conn = std::make_unique<pg::connection>(std::move(conninfo), "agora-idempotency");
  return {
    [=](idempotency_claim& c) -> caf::result<idempotency_record> {
      auto& st = self->state;
      maybe_purge(st);
      auto res = st.conn->exec_params(
        claim_sql, {c.scope, c.key, c.request_hash, std::to_string(abandoned_claim_seconds)});
      if (!res) {
        persistence_log().warn("idempotency keys: claim failed: {}", res.error().message);
        st.conn->reset();
        return caf::make_error(errc::unavailable);
      }
      idempotency_record out;
      if (res.int64(0, 0) > 0) {
        out.kind = static_cast<uint8_t>(claim_kind::fresh);
      } else if (res.is_null(0, 1) || res.text(0, 1) != c.request_hash) {
        // No visible row means another transaction inserted it just now.
        out.kind = static_cast<uint8_t>(res.is_null(0, 1) ? claim_kind::in_progress
                                                          : claim_kind::mismatch);
      } else if (res.int64(0, 2) == 0) {
        out.kind = static_cast<uint8_t>(claim_kind::in_progress);
      } else {
        out.kind = static_cast<uint8_t>(claim_kind::replay);
        out.status = static_cast<int32_t>(res.int64(0, 2));
        out.response = std::string(res.text(0, 3));
      }
      return out;
    },
    [=](idempotency_completion& c) -> caf::result<bool> {
      auto& conn = *self->state.conn;
      auto res = c.status > 0
                   ? conn.exec_params(complete_sql,
                                      {c.scope, c.key, std::to_string(c.status), c.response})
                   : conn.exec_params(release_sql, {c.scope, c.key});
      if (!res) {
        persistence_log().warn("idempotency keys: completion failed: {}", res.error().message);
        conn.reset();
        return caf::make_error(errc::unavailable);
      }
      return true;
    },
  };
}

} // namespace

idempotency_store_actor spawn_idempotency_store(caf::actor_system& sys, std::string conninfo) {
  return sys.spawn<caf::detached>(store_impl, std::move(conninfo));
}

} // namespace agora::persistence
