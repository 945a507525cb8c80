// JSON in Agora: simdjson On-Demand parses (fast, no DOM), Boost.JSON builds
// and serializes (correct escaping). Nothing in Agora writes JSON by hand.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agora {

namespace json = boost::json;

/// Parses a JSON text into a Boost.JSON value; nullopt if it is not valid JSON.
/// For cold paths (codecs, config, tests). Hot request paths use simdjson.
std::optional<json::value> parse_json(std::string_view text);

/// Reads `obj[key]` as a string / int64 / object; nullopt when absent or of
/// another type.
std::optional<std::string> get_string(const json::object& obj, std::string_view key);
std::optional<int64_t> get_int(const json::object& obj, std::string_view key);
const json::object* get_object(const json::object& obj, std::string_view key);

} // namespace agora
