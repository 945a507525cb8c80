#include "tools/agora-saga/fixture.hpp"

#include "actors/common/json.hpp"

namespace agora::saga_tool {

std::string encode_fixture(const fixture& f) {
  // Serialized piece by piece (every value by Boost.JSON) to get one event
  // per line; the whole is a plain JSON object.
  std::string out = "{\n";
  out += "  \"checkout_id\": " + json::serialize(json::string(f.checkout_id)) + ",\n";
  out += "  \"max_attempts\": " + std::to_string(f.max_attempts) + ",\n";
  out += "  \"events\": [";
  bool first = true;
  for (const auto& e : f.events) {
    json::object o;
    o["type"] = e.type;
    auto payload = parse_json(e.payload);
    o["payload"] = payload && payload->is_object() ? std::move(*payload) : json::value(e.payload);
    out += first ? "\n    " : ",\n    ";
    out += json::serialize(o);
    first = false;
  }
  out += first ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

std::optional<fixture> parse_fixture(std::string_view text, std::string& error) {
  auto parsed = parse_json(text);
  if (!parsed || !parsed->is_object()) {
    error = "not a JSON object";
    return std::nullopt;
  }
  const auto& o = parsed->get_object();
  fixture f;
  auto id = get_string(o, "checkout_id");
  auto max_attempts = get_int(o, "max_attempts");
  auto* events = o.if_contains("events");
  if (!id || !max_attempts || *max_attempts < 1 || !events || !events->is_array()) {
    error = "expected {\"checkout_id\": string, \"max_attempts\": integer >= 1, \"events\": [...]}";
    return std::nullopt;
  }
  f.checkout_id = *id;
  f.max_attempts = *max_attempts;
  size_t i = 0;
  for (const auto& e : events->get_array()) {
    auto* eo = e.if_object();
    auto type = eo ? get_string(*eo, "type") : std::nullopt;
    auto* payload = eo ? get_object(*eo, "payload") : nullptr;
    if (!type || !payload) {
      error = "event " + std::to_string(i) + ": expected {\"type\": string, \"payload\": object}";
      return std::nullopt;
    }
    f.events.push_back({*type, json::serialize(*payload)});
    ++i;
  }
  return f;
}

std::optional<std::vector<checkout::event>> decode_events(const fixture& f, std::string& error) {
  std::vector<checkout::event> out;
  out.reserve(f.events.size());
  for (size_t i = 0; i < f.events.size(); ++i) {
    auto ev = checkout::checkout_traits::decode_event(f.events[i].type, f.events[i].payload);
    if (!ev) {
      error = "event " + std::to_string(i) + " (" + f.events[i].type + ") does not decode";
      return std::nullopt;
    }
    out.push_back(std::move(*ev));
  }
  return out;
}

} // namespace agora::saga_tool
