// For actors a node cannot run without: their waiters have no timeout of
// their own (entities wait for every journal write's answer), so losing one
// must end the process, for its supervisor to restart it, rather than leave
// requests hanging.
#pragma once

#include <functional>
#include <string>

#include <caf/actor.hpp>

namespace agora::runtime {

/// Calls `then` (after logging `what` and the reason) when `hdl` stops
/// for any reason but `caf::exit_reason::user_shutdown`, the node's own
/// shutdown. `then` runs on the thread that cleans up the actor.
void on_lost(const caf::actor& hdl, std::string what, std::function<void()> then);

} // namespace agora::runtime
