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

std::optional<bool> get_bool(const json::object& obj, std::string_view key) {
  auto* v = obj.if_contains(key);
  if (!v || !v->is_bool())
    return std::nullopt;
  return v->get_bool();
}

json::value nullable_string(const std::optional<std::string>& x) {
  if (x)
    return json::value(*x);
  return json::value(nullptr);
}

bool read_nullable_string(const json::object& obj, std::string_view key,
                          std::optional<std::string>& out) {
  auto* v = obj.if_contains(key);
  if (!v)
    return false;
  if (v->is_null()) {
    out.reset();
    return true;
  }
  if (!v->is_string())
    return false;
  out.emplace(v->get_string());
  return true;
}

bool read_idempotency_key(const json::object& obj, std::string& out) {
  auto* v = obj.if_contains("key");
  if (!v)
    return true;
  if (!v->is_string() || v->get_string().empty())
    return false;
  out = v->get_string();
  return true;
}

void write_idempotency_key(json::object& obj, const std::string& key) {
  if (!key.empty())
    obj["key"] = key;
}

} // namespace agora
