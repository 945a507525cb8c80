#include "persistence/pg/revocation_store.hpp"

#include <memory>

#include <caf/all.hpp>

#include "actors/common/log.hpp"
#include "persistence/pg/connection.hpp"

namespace agora::persistence {

namespace {

struct store_state {
  static inline const char* name = "revocation-store";
  std::unique_ptr<pg::connection> conn;
};

constexpr const char* insert_sql =
  "INSERT INTO revoked_tokens(token_id, expires_at) "
  "VALUES ($1, to_timestamp($2::bigint / 1e6)) ON CONFLICT (token_id) DO NOTHING";

revocation_store_actor::behavior_type
store_impl(revocation_store_actor::stateful_pointer<store_state> self, std::string conninfo) {
  self->state.conn = std::make_unique<pg::connection>(std::move(conninfo), "agora-revocations");
  return {
    [=](revoke_atom, const std::string& token_id, int64_t expires_at) -> caf::result<bool> {
      auto& conn = *self->state.conn;
      auto res = conn.exec_params(insert_sql, {token_id, std::to_string(expires_at)});
      if (!res) {
        persistence_log().warn("cannot store a token revocation: {}", res.error().message);
        conn.reset();
        return caf::make_error(errc::unavailable);
      }
      return true;
    },
  };
}

} // namespace

revocation_store_actor spawn_revocation_store(caf::actor_system& sys, std::string conninfo) {
  return sys.spawn<caf::detached>(store_impl, std::move(conninfo));
}

result<std::vector<std::pair<std::string, int64_t>>>
load_revocations(const std::string& conninfo) {
  pg::connection conn{conninfo, "agora-revocations"};
  auto purge = conn.exec("DELETE FROM revoked_tokens WHERE expires_at < now()");
  if (!purge)
    return make_problem(errc::unavailable, purge.error().message);
  auto res = conn.exec("SELECT token_id, (extract(epoch FROM expires_at) * 1e6)::bigint "
                       "FROM revoked_tokens");
  if (!res)
    return make_problem(errc::unavailable, res.error().message);
  std::vector<std::pair<std::string, int64_t>> out;
  out.reserve(static_cast<size_t>(res.rows()));
  for (int r = 0; r < res.rows(); ++r)
    out.emplace_back(std::string(res.text(r, 0)), res.int64(r, 1));
  return out;
}

} // namespace agora::persistence
