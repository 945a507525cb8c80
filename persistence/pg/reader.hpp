// A detached actor with its own connection that runs blocking read jobs off
// the scheduler and I/O threads: the order list, the saga list and timeline
// of the admin API. A job gets the connection (already connected, or it
// reports the failure itself) and answers its caller through its own
// callback; jobs run one after another in arrival order.
#pragma once

#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

namespace agora::persistence::pg {

class connection;

/// Runs on the reader's thread. `conn` is null when PostgreSQL cannot be
/// reached; the job must still answer its caller.
using read_job = std::function<void(connection* conn)>;

class reader {
public:
  reader() = default;
  explicit reader(caf::actor hdl) : hdl_(std::move(hdl)) {}

  void run(read_job job) const;

  const caf::actor& handle() const noexcept { return hdl_; }

private:
  caf::actor hdl_;
};

reader spawn_reader(caf::actor_system& sys, std::string conninfo);

} // namespace agora::persistence::pg
