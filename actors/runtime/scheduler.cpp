#include "actors/runtime/scheduler.hpp"

#include <cstddef>
#include <thread>

#include <caf/actor_system_config.hpp>
#include <caf/detail/set_thread_name.hpp>
#include <caf/execution_unit.hpp>
#include <caf/logger.hpp>
#include <caf/policy/work_stealing.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduler/worker.hpp>

namespace agora::runtime::detail {

/// CAF's work stealing under a type of its own, so that its coordinator
/// makes the worker below.
struct lean_stealing : caf::policy::work_stealing {};

} // namespace agora::runtime::detail

namespace caf::scheduler {

/// CAF's worker<Policy> for lean_stealing: the members the coordinator and
/// the policy use, and CAF's loop but for the logger's per-job actor id.
template <>
class worker<agora::runtime::detail::lean_stealing> : public execution_unit {
public:
  using policy = agora::runtime::detail::lean_stealing;
  using job_ptr = resumable*;
  using coordinator_ptr = coordinator<policy>*;
  using policy_data = policy::worker_data;

  worker(size_t worker_id, coordinator_ptr parent, const policy_data& init, size_t throughput);
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  void start() {
    this_thread_ = std::thread{[this] {
      logger::set_current_actor_system(&system());
      caf::detail::set_thread_name("caf.worker");
      system().thread_started();
      run();
      system().thread_terminates();
    }};
  }

  /// From another thread.
  void external_enqueue(job_ptr job) { policy_.external_enqueue(this, job); }

  /// From a job this worker runs.
  void exec_later(job_ptr job) override { policy_.internal_enqueue(this, job); }

  coordinator_ptr parent() { return parent_; }
  size_t id() const { return id_; }
  std::thread& get_thread() { return this_thread_; }
  policy_data& data() { return data_; }
  size_t max_throughput() { return max_throughput_; }

private:
  void run() {
    for (;;) {
      auto job = policy_.dequeue(this);
      policy_.before_resume(this, job);
      auto res = job->resume(this, max_throughput_);
      policy_.after_resume(this, job);
      switch (res) {
        case resumable::resume_later:
          // The job stays in the loop: it keeps its reference.
          policy_.resume_job_later(this, job);
          break;
        case resumable::done:
          policy_.after_completion(this, job);
          intrusive_ptr_release(job);
          break;
        case resumable::awaiting_message:
          // Enqueued again with its next message.
          intrusive_ptr_release(job);
          break;
        case resumable::shutdown_execution_unit:
          policy_.after_completion(this, job);
          policy_.before_shutdown(this);
          return;
      }
    }
  }

  size_t max_throughput_;
  std::thread this_thread_;
  size_t id_;
  coordinator_ptr parent_;
  policy_data data_;
  policy policy_;
};

} // namespace caf::scheduler

// After the worker: the coordinator's members make it.
#include <caf/scheduler/coordinator.hpp>

namespace caf::scheduler {

worker<agora::runtime::detail::lean_stealing>::worker(size_t worker_id, coordinator_ptr parent,
                                                      const policy_data& init,
                                                      size_t throughput)
    : execution_unit(&parent->system()),
      max_throughput_(throughput),
      id_(worker_id),
      parent_(parent),
      data_(init) {}

} // namespace caf::scheduler

namespace agora::runtime {

void use_lean_scheduler(caf::actor_system_config& cfg) {
  cfg.load<caf::scheduler::coordinator<detail::lean_stealing>>();
}

} // namespace agora::runtime
