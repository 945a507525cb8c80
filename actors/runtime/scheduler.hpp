// The node's CAF scheduler: CAF's work-stealing coordinator and policy, with
// a worker loop of its own. CAF's worker (caf/scheduler/worker.hpp) pushes
// the logger's actor id for every job it resumes, through a
// `dynamic_cast<abstract_actor*>` of the job; Debian's CAF is built with
// CAF_LOG_LEVEL set (to QUIET), so that runs although nothing is logged. A
// cast across CAF's actor classes walks their whole hierarchy: about 1,200
// instructions a job, a tenth of the node's instructions in a checkout
// (docs/PERFORMANCE.md). This worker runs the same loop without it.
#pragma once

#include <caf/fwd.hpp>

namespace agora::runtime {

/// Makes the actor system built from `cfg` run on the scheduler above
/// (its settings are CAF's: `scheduler.max-threads`, `work-stealing.*`).
/// Not for a configuration whose scheduler is CAF's test coordinator.
void use_lean_scheduler(caf::actor_system_config& cfg);

} // namespace agora::runtime
