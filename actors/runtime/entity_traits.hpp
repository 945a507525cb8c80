// The contract between a domain entity (a functional core) and the generic
// entity shell. An entity type is described by a traits struct:
//
//   struct cart_traits {
//     static constexpr std::string_view type = "cart";   // persistence id "cart|<id>"
//     using state = cart::state;      // default-constructible; "not created" by default
//     using command = cart::command;  // std::variant of command structs
//     using event = cart::event;      // std::variant of event structs
//     static result<std::vector<event>> decide(const state&, const command&, const context&);
//     static state apply_event(state, const event&);             // total, never fails
//     static std::string_view event_type(const event&);           // "cart.item_added"
//     static std::string encode_event(const event&);              // JSON object text
//     static std::optional<event> decode_event(std::string_view type, std::string_view json);
//     static std::string encode_state(const state&);              // snapshot JSON
//     static std::optional<state> decode_state(std::string_view json);
//   };
//
// Optionally, for entities with timers (reservation TTLs):
//     static std::optional<timestamp_us> next_deadline(const state&);
//     static command on_deadline(timestamp_us now);   // decided like any command
// The shell runs on_deadline once next_deadline(state) <= now (never early).
//
// decide() and apply_event() are pure: time, ids and anything else from
// outside arrive in the command or in the context.
#pragma once

#include <concepts>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/common/problem.hpp"
#include "actors/common/time.hpp"

namespace agora::runtime {

/// What decide() may know about the world besides state and command.
struct context {
  /// The wall-clock time of the decision.
  timestamp_us now = 0;
  /// The entity's id (without the type prefix).
  std::string entity_id;
  /// The correlation id the resulting events will carry (request or checkout id).
  std::string correlation_id;
};

template <class T>
concept entity_traits = requires(const typename T::state& st, const typename T::command& cmd,
                                 const typename T::event& ev, const context& ctx,
                                 std::string_view sv) {
  { T::type } -> std::convertible_to<std::string_view>;
  { T::decide(st, cmd, ctx) } -> std::same_as<result<std::vector<typename T::event>>>;
  { T::apply_event(st, ev) } -> std::same_as<typename T::state>;
  { T::event_type(ev) } -> std::convertible_to<std::string_view>;
  { T::encode_event(ev) } -> std::same_as<std::string>;
  { T::decode_event(sv, sv) } -> std::same_as<std::optional<typename T::event>>;
  { T::encode_state(st) } -> std::same_as<std::string>;
  { T::decode_state(sv) } -> std::same_as<std::optional<typename T::state>>;
};

template <class T>
concept has_deadlines = requires(const typename T::state& st, timestamp_us now) {
  { T::next_deadline(st) } -> std::same_as<std::optional<timestamp_us>>;
  { T::on_deadline(now) } -> std::convertible_to<typename T::command>;
};

/// Entities with events that only change memory: the shell applies an event
/// for which `ephemeral(ev)` is true without journaling it.
template <class T>
concept has_ephemeral_events = requires(const typename T::event& ev) {
  { T::ephemeral(ev) } -> std::same_as<bool>;
};

/// The persistence id of an entity: `"<type>|<id>"`.
inline std::string persistence_id(std::string_view type, std::string_view id) {
  std::string out;
  out.reserve(type.size() + 1 + id.size());
  out.append(type).push_back('|');
  out.append(id);
  return out;
}

} // namespace agora::runtime
