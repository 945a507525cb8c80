#include "actors/runtime/lifeline.hpp"

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/exit_reason.hpp>

#include "actors/common/log.hpp"

namespace agora::runtime {

void on_lost(const caf::actor& hdl, std::string what, std::function<void()> then) {
  caf::actor_cast<caf::abstract_actor*>(hdl)->attach_functor(
    [what = std::move(what), then = std::move(then)](const caf::error& reason) {
      if (reason == caf::exit_reason::user_shutdown)
        return;
      actors_log().critical("{} stopped ({})", what, caf::to_string(reason));
      actors_log().flush();
      then();
    });
}

} // namespace agora::runtime
