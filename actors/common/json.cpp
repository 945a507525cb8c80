#include "actors/common/json.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>

#include "actors/common/json_writer.hpp"

namespace agora {

std::optional<json::value> parse_json(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec)
    return std::nullopt;
  return v;
}

namespace {

/// A basic_parser handler that builds nothing: the parser only checks.
struct validator {
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  using ec_t = boost::system::error_code;
  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_array_begin(ec_t&) { return true; }
  bool on_array_end(std::size_t, ec_t&) { return true; }
  bool on_object_begin(ec_t&) { return true; }
  bool on_object_end(std::size_t, ec_t&) { return true; }
  bool on_string_part(json::string_view, std::size_t, ec_t&) { return true; }
  bool on_string(json::string_view, std::size_t, ec_t&) { return true; }
  bool on_key_part(json::string_view, std::size_t, ec_t&) { return true; }
  bool on_key(json::string_view, std::size_t, ec_t&) { return true; }
  bool on_number_part(json::string_view, ec_t&) { return true; }
  bool on_int64(int64_t, json::string_view, ec_t&) { return true; }
  bool on_uint64(uint64_t, json::string_view, ec_t&) { return true; }
  bool on_double(double, json::string_view, ec_t&) { return true; }
  bool on_bool(bool, ec_t&) { return true; }
  bool on_null(ec_t&) { return true; }
  bool on_comment_part(json::string_view, ec_t&) { return true; }
  bool on_comment(json::string_view, ec_t&) { return true; }
};

} // namespace

bool is_json_object(std::string_view text) noexcept {
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '{')
    return false;
  json::basic_parser<validator> p{json::parse_options{}};
  boost::system::error_code ec;
  auto n = p.write_some(false, text.data(), text.size(), ec);
  return !ec && n == text.size();
}

std::string with_string_member(std::string_view object, std::string_view key,
                               std::string_view value) {
  json_writer member;
  member.begin_object().member(key, value).end_object();
  auto m = member.take(); // {"key":"value"}
  auto quoted_key = std::string_view{m}.substr(1, m.find(':') - 1);
  // The key's text anywhere (even in a value) takes the parse, which replaces it.
  if (object.size() >= 2 && object.back() == '}' &&
      object.find(quoted_key) == std::string_view::npos && is_json_object(object)) {
    if (object == "{}")
      return m;
    std::string out{object.substr(0, object.size() - 1)};
    out += ',';
    out.append(m, 1);
    return out;
  }
  json::object o;
  if (auto parsed = parse_json(object); parsed && parsed->is_object())
    o = std::move(parsed->get_object());
  o[key] = value;
  return json::serialize(o);
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
