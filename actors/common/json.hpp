// JSON in Agora: Boost.JSON parses, builds and serializes (correct escaping).
// The one exception is json_writer.hpp, which writes the hottest answers
// straight into text (escaping through Boost.JSON). Request bodies are parsed with
// Boost.JSON too (net/http/body.hpp says why). simdjson is linked but not
// used yet: parsing is not where request time goes (an add-item body parses
// in about 0.4 us, bench/json_bench.cpp).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

namespace agora {

namespace json = boost::json;

/// Parses a JSON text into a Boost.JSON value; nullopt if it is not valid JSON.
std::optional<json::value> parse_json(std::string_view text);

/// True when `text` is one valid JSON object (surrounding whitespace allowed).
/// Checks without building a value.
bool is_json_object(std::string_view text) noexcept;

/// `object` (a JSON object text) with the string member `key` set to
/// `value`: appended when the object ends in its `}` and holds no `"key"`
/// text anywhere, otherwise through a parse (which replaces the member).
/// Not an object: an object of that member only.
std::string with_string_member(std::string_view object, std::string_view key,
                               std::string_view value);

/// Reads `obj[key]` as a string / int64 / object; nullopt when absent or of
/// another type.
std::optional<std::string> get_string(const json::object& obj, std::string_view key);
std::optional<int64_t> get_int(const json::object& obj, std::string_view key);
const json::object* get_object(const json::object& obj, std::string_view key);
std::optional<bool> get_bool(const json::object& obj, std::string_view key);

// -- codec conventions shared by the entities' event and snapshot codecs ------

/// Parses `text` as a JSON object and hands it to `read`, which returns the
/// decoded T or nullopt. Text that is not a JSON object, and a `read` that
/// throws (Boost.JSON's accessors do on a wrong type), give nullopt.
template <class T, class F>
std::optional<T> decode_json_object(std::string_view text, F&& read) noexcept {
  try {
    auto parsed = parse_json(text);
    if (!parsed || !parsed->is_object())
      return std::nullopt;
    return read(parsed->get_object());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

/// A string, or JSON null for nullopt.
json::value nullable_string(const std::optional<std::string>& x);

/// Reads `obj[key]`, which must be present and be a string or null; false
/// when it is absent or of another type.
bool read_nullable_string(const json::object& obj, std::string_view key,
                          std::optional<std::string>& out);

/// Events of commands with an idempotency key carry it as "key" (absent when
/// the command had none). Reading: absent → empty; present → a non-empty
/// string, else false.
bool read_idempotency_key(const json::object& obj, std::string& out);
void write_idempotency_key(json::object& obj, const std::string& key);

} // namespace agora
