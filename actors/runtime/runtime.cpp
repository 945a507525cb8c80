// Non-template parts of the entity runtime.
#include "actors/runtime/entity_shell.hpp"

#include <memory>

namespace agora::runtime {

namespace detail {

std::atomic<int64_t>& live_counter(std::string_view type) {
  static std::mutex mtx;
  static std::map<std::string, std::unique_ptr<std::atomic<int64_t>>, std::less<>> counters;
  std::lock_guard guard{mtx};
  auto i = counters.find(type);
  if (i == counters.end())
    i = counters.emplace(std::string(type), std::make_unique<std::atomic<int64_t>>(0)).first;
  return *i->second;
}

} // namespace detail

int64_t live_entities(std::string_view type) {
  return detail::live_counter(type).load(std::memory_order_relaxed);
}

} // namespace agora::runtime

// -- system_config ------------------------------------------------------------

#include "actors/runtime/system_config.hpp"

namespace agora::runtime {

system_config::system_config() {
  add_message_types<caf::id_block::agora>();
}

} // namespace agora::runtime
