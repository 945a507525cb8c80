#include "net/http/body.hpp"

#include <charconv>
#include <cmath>

#include <boost/json/parse.hpp>

#include <fmt/format.h>

namespace agora::net::http {

namespace {

bool is_blank(std::string_view text) noexcept {
  for (char c : text)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
      return false;
  return true;
}

/// Unicode code points of a valid UTF-8 string (Boost.JSON validated it).
size_t code_points(std::string_view s) noexcept {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80)
      ++n;
  return n;
}

std::string fmt_number(double v) {
  return fmt::format("{}", v);
}

/// The path (`a.b[2].c`) of the first string in `v`, key or value, that holds
/// U+0000, which PostgreSQL's text and jsonb cannot store; nullopt when none
/// does. A key that holds it is named by its object's path ("" for the body).
std::optional<std::string> nul_at(const json::value& v, const std::string& path) {
  if (const auto* s = v.if_string())
    return std::string_view(*s).find('\0') == std::string_view::npos
             ? std::nullopt
             : std::optional<std::string>{path};
  if (const auto* a = v.if_array()) {
    for (size_t i = 0; i < a->size(); ++i)
      if (auto at = nul_at((*a)[i], path + "[" + std::to_string(i) + "]"))
        return at;
  } else if (const auto* o = v.if_object()) {
    for (const auto& [k, x] : *o) {
      if (k.find('\0') != std::string_view::npos)
        return path;
      if (auto at = nul_at(x, path.empty() ? std::string(k) : path + "." + std::string(k)))
        return at;
    }
  }
  return std::nullopt;
}

} // namespace

result<json::object> parse_json_object(std::string_view body) {
  if (is_blank(body))
    return json::object{};
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec)
    return make_problem(errc::invalid_request, "malformed JSON");
  if (!v.is_object())
    return make_problem(errc::invalid_request, "body must be a JSON object");
  // Only an escape can put U+0000 in a string: raw control characters are
  // malformed JSON.
  if (body.find("\\u0000") != std::string_view::npos)
    if (auto at = nul_at(v, {}))
      return at->empty() ? make_problem(errc::invalid_request, "text must not contain U+0000")
                         : invalid_field(*at, *at + " must not contain U+0000");
  return std::move(v.get_object());
}

// -- object_fields ------------------------------------------------------------

object_fields::object_fields(const json::object& obj, std::string path)
  : obj_(&obj), path_(std::move(path)) {
}

const json::value* object_fields::find(std::string_view key) const noexcept {
  auto* v = obj_->if_contains(key);
  if (v == nullptr || v->is_null())
    return nullptr;
  return v;
}

bool object_fields::has(std::string_view key) const noexcept {
  return find(key) != nullptr;
}

std::string object_fields::field_name(std::string_view key) const {
  if (path_.empty())
    return std::string(key);
  return path_ + "." + std::string(key);
}

result<std::optional<std::string>> object_fields::optional_string(std::string_view key,
                                                                  size_t max_chars,
                                                                  size_t min_chars) const {
  auto* v = find(key);
  if (v == nullptr)
    return std::optional<std::string>{};
  auto name = field_name(key);
  if (!v->is_string())
    return invalid_field(name, name + " must be a string");
  auto s = v->get_string();
  auto n = code_points(s);
  if (n < min_chars)
    return invalid_field(name, min_chars == 1 ? name + " must not be empty"
                                              : fmt::format("{} must be at least {} characters",
                                                            name, min_chars));
  if (n > max_chars)
    return invalid_field(name, fmt::format("{} must be at most {} characters", name, max_chars));
  return std::optional<std::string>{std::string(s)};
}

result<std::string> object_fields::required_string(std::string_view key, size_t max_chars,
                                                   size_t min_chars) const {
  auto s = optional_string(key, max_chars, min_chars);
  if (!s)
    return std::move(s).error();
  if (!s->has_value())
    return invalid_field(field_name(key), field_name(key) + " is required");
  return std::move(**s);
}

result<std::optional<int64_t>> object_fields::optional_int(std::string_view key, int64_t min,
                                                           int64_t max) const {
  auto* v = find(key);
  if (v == nullptr)
    return std::optional<int64_t>{};
  auto name = field_name(key);
  int64_t x = 0;
  if (v->is_int64()) {
    x = v->get_int64();
  } else if (v->is_uint64()) {
    // Only values beyond INT64_MAX are stored as uint64: always out of range.
    return invalid_field(name, fmt::format("{} must be between {} and {}", name, min, max));
  } else if (v->is_double()) {
    auto d = v->get_double();
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) >= 9.2e18)
      return invalid_field(name, fmt::format("{} must be between {} and {}", name, min, max));
    return invalid_field(name, name + " must be an integer");
  } else {
    return invalid_field(name, name + " must be an integer");
  }
  if (x < min || x > max)
    return invalid_field(name, fmt::format("{} must be between {} and {}", name, min, max));
  return std::optional<int64_t>{x};
}

result<int64_t> object_fields::required_int(std::string_view key, int64_t min,
                                            int64_t max) const {
  auto x = optional_int(key, min, max);
  if (!x)
    return std::move(x).error();
  if (!x->has_value())
    return invalid_field(field_name(key), field_name(key) + " is required");
  return **x;
}

result<std::optional<double>> object_fields::optional_number(std::string_view key, double min,
                                                             double max) const {
  auto* v = find(key);
  if (v == nullptr)
    return std::optional<double>{};
  auto name = field_name(key);
  double d = 0;
  if (v->is_int64())
    d = static_cast<double>(v->get_int64());
  else if (v->is_uint64())
    d = static_cast<double>(v->get_uint64());
  else if (v->is_double())
    d = v->get_double();
  else
    return invalid_field(name, name + " must be a number");
  if (!std::isfinite(d) || d < min || d > max)
    return invalid_field(name, fmt::format("{} must be between {} and {}", name,
                                           fmt_number(min), fmt_number(max)));
  return std::optional<double>{d};
}

result<double> object_fields::required_number(std::string_view key, double min,
                                              double max) const {
  auto x = optional_number(key, min, max);
  if (!x)
    return std::move(x).error();
  if (!x->has_value())
    return invalid_field(field_name(key), field_name(key) + " is required");
  return **x;
}

result<std::optional<bool>> object_fields::optional_bool(std::string_view key) const {
  auto* v = find(key);
  if (v == nullptr)
    return std::optional<bool>{};
  if (!v->is_bool())
    return invalid_field(field_name(key), field_name(key) + " must be a boolean");
  return std::optional<bool>{v->get_bool()};
}

result<std::optional<object_fields>> object_fields::optional_object(std::string_view key) const {
  auto* v = find(key);
  if (v == nullptr)
    return std::optional<object_fields>{};
  auto name = field_name(key);
  if (!v->is_object())
    return invalid_field(name, name + " must be an object");
  return std::optional<object_fields>{object_fields{v->get_object(), std::move(name)}};
}

result<object_fields> object_fields::required_object(std::string_view key) const {
  auto x = optional_object(key);
  if (!x)
    return std::move(x).error();
  if (!x->has_value())
    return invalid_field(field_name(key), field_name(key) + " is required");
  return std::move(**x);
}

// -- query parameters ---------------------------------------------------------

result<std::optional<int64_t>> query_int(const request& req, std::string_view name,
                                         int64_t min, int64_t max) {
  auto text = req.query_param(name);
  if (!text)
    return std::optional<int64_t>{};
  auto field = std::string(name);
  int64_t x = 0;
  auto* first = text->data();
  auto* last = first + text->size();
  auto [end, ec] = std::from_chars(first, last, x);
  if (text->empty() || end != last) 
    return invalid_field(field, field + " must be an integer");
  if (ec == std::errc::result_out_of_range || x < min || x > max)
    return invalid_field(field, fmt::format("{} must be between {} and {}", field, min, max));
  if (ec != std::errc{})
    return invalid_field(field, field + " must be an integer");
  return std::optional<int64_t>{x};
}

result<std::optional<double>> query_number(const request& req, std::string_view name,
                                           double min, double max) {
  auto text = req.query_param(name);
  if (!text)
    return std::optional<double>{};
  auto field = std::string(name);
  double x = 0;
  auto* first = text->data();
  auto* last = first + text->size();
  auto [end, ec] = std::from_chars(first, last, x, std::chars_format::fixed);
  if (text->empty() || end != last || ec != std::errc{} || !std::isfinite(x))
    return invalid_field(field, field + " must be a number");
  if (x < min || x > max)
    return invalid_field(field, fmt::format("{} must be between {} and {}", field,
                                            fmt_number(min), fmt_number(max)));
  return std::optional<double>{x};
}

result<page_params> page_query(const request& req, int64_t default_limit, int64_t max_limit) {
  page_params out;
  out.limit = default_limit;
  auto limit = query_int(req, "limit", 1, max_limit);
  if (!limit)
    return std::move(limit).error();
  if (limit->has_value())
    out.limit = **limit;
  if (auto cursor = req.query_param("cursor"))
    out.cursor = std::string(*cursor);
  return out;
}

} // namespace agora::net::http
