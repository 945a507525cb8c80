// Helpers for testing a domain entity through its traits: run a command
// (decide + fold), expect a rejection, read problem details, check codecs.
#pragma once

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actors/common/json.hpp"
#include "actors/common/problem.hpp"
#include "actors/runtime/entity_traits.hpp"

namespace Catch {

template <>
struct StringMaker<agora::problem> {
  static std::string convert(const agora::problem& p) {
    return std::string(agora::to_string(p.code)) + ": " + p.message + " " + p.details;
  }
};

template <>
struct StringMaker<agora::errc> {
  static std::string convert(agora::errc code) {
    return std::string(agora::to_string(code));
  }
};

} // namespace Catch

namespace agora::test {

/// A decision context at time `now` for the entity `id`.
inline runtime::context ctx(timestamp_us now, std::string id = "entity-1") {
  return runtime::context{now, std::move(id), "corr-1"};
}

/// Decides `cmd`, requires success, folds the events into `st` and returns them.
template <class Traits>
std::vector<typename Traits::event> run(typename Traits::state& st,
                                        const typename Traits::command& cmd,
                                        const runtime::context& c) {
  auto decided = Traits::decide(st, cmd, c);
  if (!decided)
    FAIL("rejected: " << Catch::StringMaker<problem>::convert(decided.error()));
  for (const auto& ev : *decided)
    st = Traits::apply_event(std::move(st), ev);
  return std::move(decided).value();
}

/// Decides `cmd`, requires a rejection and returns it.
template <class Traits>
problem reject(const typename Traits::state& st, const typename Traits::command& cmd,
               const runtime::context& c) {
  auto decided = Traits::decide(st, cmd, c);
  REQUIRE_FALSE(decided.has_value());
  return decided.error();
}

/// The `details` of a problem as a JSON object.
inline json::object details(const problem& p) {
  auto v = parse_json(p.details);
  REQUIRE(v);
  REQUIRE(v->is_object());
  return v->get_object();
}

/// Checks a rejection is `invalid_request` naming `field`.
inline void check_invalid_field(const problem& p, std::string_view field) {
  CHECK(p.code == errc::invalid_request);
  CHECK_FALSE(p.message.empty());
  auto d = details(p);
  REQUIRE(d.contains("field"));
  CHECK(d.at("field") == json::value(field));
}

/// The key set of a JSON object text.
inline std::set<std::string> keys_of(std::string_view text) {
  auto v = parse_json(text);
  REQUIRE(v);
  REQUIRE(v->is_object());
  std::set<std::string> out;
  for (const auto& kv : v->get_object())
    out.emplace(kv.key());
  return out;
}

/// encode -> decode gives back the same event, under the same type name.
template <class Traits>
void check_event_round_trip(const typename Traits::event& ev) {
  auto type = Traits::event_type(ev);
  auto text = Traits::encode_event(ev);
  INFO(type << " " << text);
  auto back = Traits::decode_event(type, text);
  REQUIRE(back.has_value());
  CHECK(*back == ev);
  CHECK(Traits::event_type(*back) == type);
  CHECK(Traits::encode_event(*back) == text);
}

/// encode_state -> decode_state gives back the same state and the same text.
template <class Traits>
void check_state_round_trip(const typename Traits::state& st) {
  auto text = Traits::encode_state(st);
  INFO(text);
  auto back = Traits::decode_state(text);
  REQUIRE(back.has_value());
  CHECK(*back == st);
  CHECK(Traits::encode_state(*back) == text);
}

/// Replays a history twice, once from the events and once from their
/// decoded journal form, checking every event and every intermediate state
/// (snapshot included) round-trips; returns the final state.
template <class Traits>
typename Traits::state check_history(const std::vector<typename Traits::event>& history) {
  typename Traits::state direct;
  typename Traits::state replayed;
  check_state_round_trip<Traits>(direct);
  for (const auto& ev : history) {
    check_event_round_trip<Traits>(ev);
    auto decoded = Traits::decode_event(Traits::event_type(ev), Traits::encode_event(ev));
    REQUIRE(decoded.has_value());
    direct = Traits::apply_event(std::move(direct), ev);
    replayed = Traits::apply_event(std::move(replayed), *decoded);
    CHECK(replayed == direct);
    check_state_round_trip<Traits>(direct);
  }
  CHECK(direct.version == static_cast<int64_t>(history.size()));
  return direct;
}

} // namespace agora::test
