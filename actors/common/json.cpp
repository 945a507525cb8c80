#include "actors/common/json.hpp"

#include <boost/json/parse.hpp>

namespace agora {

std::optional<json::value> parse_json(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec)
    return std::nullopt;
  return v;
}

std::optional<std::string> get_string(const json::object& obj, std::string_view key) {
  auto* v = obj.if_contains(key);
  if (!v || !v->is_string())
    return std::nullopt;
  return std::string(v->get_string());
}

std::optional<int64_t> get_int(const json::object& obj, std::string_view key) {
  auto* v = obj.if_contains(key);
  if (!v)
    return std::nullopt;
  if (v->is_int64())
    return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(INT64_MAX))
    return static_cast<int64_t>(v->get_uint64());
  return std::nullopt;
}

const json::object* get_object(const json::object& obj, std::string_view key) {
  auto* v = obj.if_contains(key);
  return v ? v->if_object() : nullptr;
}

} // namespace agora
