// A minimal entity for testing the generic shell: a counter with an optional
// timer, so every shell feature (batching, recovery, snapshots, deadlines)
// can be exercised without any real domain.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "actors/common/json.hpp"
#include "actors/common/overloaded.hpp"
#include "actors/runtime/entity_traits.hpp"

namespace agora::test {

struct counter_traits {
  static constexpr std::string_view type = "counter";

  struct add {
    int64_t n = 0;
  };
  struct get {};
  struct set_timer {
    timestamp_us at = 0;
  };
  struct fire {
    timestamp_us now = 0;
  };
  /// Makes the state (and its snapshot) `bytes` larger and its event small.
  struct pad {
    int64_t bytes = 0;
  };
  using command = std::variant<add, get, set_timer, fire, pad>;

  struct added {
    int64_t n = 0;
  };
  struct timer_set {
    timestamp_us at = 0;
  };
  struct timer_fired {};
  struct padded {
    int64_t bytes = 0;
  };
  using event = std::variant<added, timer_set, timer_fired, padded>;

  struct state {
    int64_t value = 0;
    int64_t version = 0;
    std::optional<timestamp_us> timer;
    int64_t fired = 0;
    std::string padding;
  };

  static result<std::vector<event>> decide(const state& st, const command& cmd,
                                           const runtime::context&) {
    return std::visit(
      overloaded{
        [](const add& c) -> result<std::vector<event>> {
          if (c.n <= 0)
            return invalid_field("n", "must be positive");
          return std::vector<event>{added{c.n}};
        },
        [](const get&) -> result<std::vector<event>> { return std::vector<event>{}; },
        [](const set_timer& c) -> result<std::vector<event>> {
          return std::vector<event>{timer_set{c.at}};
        },
        [&st](const fire& c) -> result<std::vector<event>> {
          if (st.timer && *st.timer <= c.now)
            return std::vector<event>{timer_fired{}};
          return std::vector<event>{};
        },
        [](const pad& c) -> result<std::vector<event>> {
          if (c.bytes <= 0)
            return invalid_field("bytes", "must be positive");
          return std::vector<event>{padded{c.bytes}};
        },
      },
      cmd);
  }

  static state apply_event(state st, const event& ev) {
    std::visit(overloaded{
                 [&](const added& e) { st.value += e.n; },
                 [&](const timer_set& e) { st.timer = e.at; },
                 [&](const timer_fired&) {
                   st.timer.reset();
                   ++st.fired;
                 },
                 [&](const padded& e) {
                   st.padding.append(static_cast<size_t>(e.bytes), 'x');
                 },
               },
               ev);
    ++st.version;
    return st;
  }

  static std::optional<timestamp_us> next_deadline(const state& st) { return st.timer; }
  static command on_deadline(timestamp_us now) { return fire{now}; }

  static std::string_view event_type(const event& ev) {
    return std::visit(overloaded{
                        [](const added&) { return std::string_view{"counter.added"}; },
                        [](const timer_set&) { return std::string_view{"counter.timer_set"}; },
                        [](const timer_fired&) { return std::string_view{"counter.timer_fired"}; },
                        [](const padded&) { return std::string_view{"counter.padded"}; },
                      },
                      ev);
  }

  static std::string encode_event(const event& ev) {
    json::object o;
    std::visit(overloaded{
                 [&](const added& e) { o["n"] = e.n; },
                 [&](const timer_set& e) { o["at"] = e.at; },
                 [&](const timer_fired&) {},
                 [&](const padded& e) { o["bytes"] = e.bytes; },
               },
               ev);
    return json::serialize(o);
  }

  static std::optional<event> decode_event(std::string_view type, std::string_view text) {
    auto v = parse_json(text);
    if (!v || !v->is_object())
      return std::nullopt;
    auto& o = v->get_object();
    if (type == "counter.added") {
      if (auto n = get_int(o, "n"))
        return added{*n};
    } else if (type == "counter.timer_set") {
      if (auto at = get_int(o, "at"))
        return timer_set{*at};
    } else if (type == "counter.timer_fired") {
      return timer_fired{};
    } else if (type == "counter.padded") {
      if (auto bytes = get_int(o, "bytes"))
        return padded{*bytes};
    }
    return std::nullopt;
  }

  static std::string encode_state(const state& st) {
    json::object o;
    o["value"] = st.value;
    o["version"] = st.version;
    o["fired"] = st.fired;
    if (st.timer)
      o["timer"] = *st.timer;
    if (!st.padding.empty())
      o["padding"] = st.padding;
    return json::serialize(o);
  }

  static std::optional<state> decode_state(std::string_view text) {
    auto v = parse_json(text);
    if (!v || !v->is_object())
      return std::nullopt;
    auto& o = v->get_object();
    state st;
    auto value = get_int(o, "value");
    auto version = get_int(o, "version");
    auto fired = get_int(o, "fired");
    if (!value || !version || !fired)
      return std::nullopt;
    st.value = *value;
    st.version = *version;
    st.fired = *fired;
    if (auto t = get_int(o, "timer"))
      st.timer = *t;
    if (auto padding = get_string(o, "padding"))
      st.padding = *padding;
    return st;
  }
};

static_assert(runtime::entity_traits<counter_traits>);
static_assert(runtime::has_deadlines<counter_traits>);

} // namespace agora::test
