// Non-template parts of the entity runtime.
#include "actors/runtime/entity_shell.hpp"

#include <memory>

namespace agora::runtime {

namespace detail {

namespace {

/// One atomic per entity type, created on first use and never destroyed.
class counters_by_type {
public:
  std::atomic<int64_t>& get(std::string_view type) {
    std::lock_guard guard{mtx_};
    auto i = counters_.find(type);
    if (i == counters_.end())
      i = counters_.emplace(std::string(type), std::make_unique<std::atomic<int64_t>>(0)).first;
    return *i->second;
  }

private:
  std::mutex mtx_;
  std::map<std::string, std::unique_ptr<std::atomic<int64_t>>, std::less<>> counters_;
};

} // namespace

std::atomic<int64_t>& live_counter(std::string_view type) {
  static counters_by_type counters;
  return counters.get(type);
}

std::atomic<int64_t>& queued_counter(std::string_view type) {
  static counters_by_type counters;
  return counters.get(type);
}

} // namespace detail

int64_t live_entities(std::string_view type) {
  return detail::live_counter(type).load(std::memory_order_relaxed);
}

int64_t queued_commands(std::string_view type) {
  return detail::queued_counter(type).load(std::memory_order_relaxed);
}

} // namespace agora::runtime

// -- system_config ------------------------------------------------------------

#include "actors/runtime/system_config.hpp"

// Registering the type-ID block needs every type in it complete.
#include "actors/payment/gateway.hpp"

namespace agora::runtime {

system_config::system_config() {
  add_message_types<caf::id_block::agora>();
}

} // namespace agora::runtime
