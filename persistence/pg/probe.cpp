#include "persistence/pg/probe.hpp"

#include <memory>

#include <caf/all.hpp>

#include "actors/common/log.hpp"
#include "persistence/pg/connection.hpp"

namespace agora::persistence {

namespace {

struct probe_state {
  static inline const char* name = "pg-probe";
  std::unique_ptr<pg::connection> conn;
  bool last = true;
};

pg_probe_actor::behavior_type probe_impl(pg_probe_actor::stateful_pointer<probe_state> self,
                                         std::string conninfo) {
  self->state.conn = std::make_unique<pg::connection>(std::move(conninfo), "agora-probe");
  return {
    [=](caf::ping_atom) -> bool {
      auto& st = self->state;
      auto res = st.conn->exec("SELECT 1");
      if (!res)
        st.conn->reset();
      bool ok = static_cast<bool>(res);
      if (ok != st.last) {
        if (ok)
          persistence_log().info("postgres reachable again");
        else
          persistence_log().warn("postgres not reachable: {}", res.error().message);
        st.last = ok;
      }
      return ok;
    },
  };
}

} // namespace

pg_probe_actor spawn_pg_probe(caf::actor_system& sys, std::string conninfo) {
  return sys.spawn<caf::detached>(probe_impl, std::move(conninfo));
}

} // namespace agora::persistence
