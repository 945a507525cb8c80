// The message every entity command travels in: the target id, the command,
// the correlation id its events will carry, and the callback that receives
// the answer once the events it depends on are durable.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>

#include "actors/common/problem.hpp"
#include "actors/runtime/entity_traits.hpp"
#include "persistence/journal.hpp"

namespace agora::runtime {

namespace detail {

template <class T, class = void>
struct view_of {
  using type = typename T::state;
};

template <class T>
struct view_of<T, std::void_t<typename T::view>> {
  using type = typename T::view;
};

} // namespace detail

/// What a command's reply carries: `Traits::view` when the entity defines a
/// smaller read view (built with `Traits::make_view(state)`), else the state.
template <class Traits>
using view_t = typename detail::view_of<Traits>::type;

template <class Traits>
view_t<Traits> make_view(const typename Traits::state& st) {
  if constexpr (std::is_same_v<view_t<Traits>, typename Traits::state>)
    return st;
  else
    return Traits::make_view(st);
}

/// The same from a state no longer needed: moved when it is the view.
template <class Traits>
view_t<Traits> make_view(typename Traits::state&& st) {
  if constexpr (std::is_same_v<view_t<Traits>, typename Traits::state>)
    return std::move(st);
  else
    return Traits::make_view(st);
}

/// Receives the state (or view) right after the command, or the rejection.
/// Called exactly once, on a CAF worker thread; must not block.
template <class Traits>
using reply_fn = std::function<void(result<view_t<Traits>>)>;

template <class Traits>
struct envelope {
  std::string id;
  typename Traits::command cmd;
  std::string correlation_id;
  /// May be empty for fire-and-forget commands.
  reply_fn<Traits> reply;
  /// The id is most likely unused (a new UUID, or derived from a fresh
  /// Idempotency-Key): when the entity is not live, it starts empty instead
  /// of reading its (empty) journal. Only a hint: if the id did exist after
  /// all, the first write conflicts, and the entity recovers from the
  /// journal and decides this command again.
  bool fresh = false;
};

/// region_ref::record_new's message: the events of a brand-new entity,
/// decided by the caller, and its state after them: for the region's change
/// hook, and the view answered once they are durable.
template <class Traits>
struct record_request {
  std::string id;
  std::vector<persistence::event_row> rows;
  typename Traits::state state;
  reply_fn<Traits> reply;
};

/// The journal's outcome of a record_request, back at its region.
template <class Traits>
struct record_done {
  std::shared_ptr<record_request<Traits>> rec;
  /// Empty when the record is durable.
  std::optional<caf::error> failure;
};

} // namespace agora::runtime

namespace caf {

// Envelopes carry a callback, so they are node-local messages; the cluster
// region will translate them into request/response across nodes.
template <class Traits>
struct allowed_unsafe_message_type<agora::runtime::envelope<Traits>> : std::true_type {};

template <class Traits>
struct allowed_unsafe_message_type<agora::runtime::record_request<Traits>> : std::true_type {};

template <class Traits>
struct allowed_unsafe_message_type<agora::runtime::record_done<Traits>> : std::true_type {};

} // namespace caf
