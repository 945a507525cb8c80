// Saga fixtures: a recorded checkout history as a JSON file, written by
// `agora-saga export` and replayed by the test suite (tests/tools) and by
// `agora-saga replay --file`.
//
//   {"checkout_id": "...", "max_attempts": 3,
//    "events": [{"type": "checkout.started", "payload": {...}}, ...]}
//
// `payload` is the journal payload as recorded (the codec of
// sagas/checkout_codec.cpp); `max_attempts` the policy of the recording node.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sagas/checkout.hpp"

namespace agora::saga_tool {

struct fixture_event {
  std::string type;
  /// JSON object text.
  std::string payload;
};

struct fixture {
  std::string checkout_id;
  int64_t max_attempts = 3;
  std::vector<fixture_event> events;
};

/// The fixture as JSON text: one event per line, so that recorded fixtures
/// diff well. Payloads that are not JSON objects are written as strings (and
/// fail to decode later).
std::string encode_fixture(const fixture& f);

/// Parses a fixture; nullopt with `error` set when the text is not one.
std::optional<fixture> parse_fixture(std::string_view text, std::string& error);

/// Decodes every event with checkout_traits::decode_event; nullopt with
/// `error` naming the first event that does not decode.
std::optional<std::vector<checkout::event>> decode_events(const fixture& f, std::string& error);

} // namespace agora::saga_tool
