#include "persistence/projections/catalogue_cursor.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "actors/common/json.hpp"

namespace agora::persistence::catalogue {

namespace {

constexpr std::string_view alphabet
  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int sextet(char c) noexcept {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '-')
    return 62;
  if (c == '_')
    return 63;
  return -1;
}

bool valid_int(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc{} && end == s.data() + s.size();
}

bool valid_float(const std::string& s) {
  if (s.empty() || s.size() > 40)
    return false;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(v);
}

} // namespace

std::string_view to_string(sort_order s) noexcept {
  switch (s) {
    case sort_order::relevance: return "relevance";
    case sort_order::price_asc: return "price_asc";
    case sort_order::price_desc: return "price_desc";
    case sort_order::name: return "name";
  }
  return "name";
}

std::optional<sort_order> parse_sort(std::string_view text) noexcept {
  for (auto s : {sort_order::relevance, sort_order::price_asc, sort_order::price_desc,
                 sort_order::name})
    if (to_string(s) == text)
      return s;
  return std::nullopt;
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8)
                 | uint32_t(uint8_t(bytes[i + 2]));
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  if (auto rest = bytes.size() - i; rest == 1) {
    uint32_t n = uint32_t(uint8_t(bytes[i])) << 16;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
  } else if (rest == 2) {
    uint32_t n = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1)
    return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = sextet(c);
    if (v < 0)
      return std::nullopt;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  // Canonical encodings leave the unused low bits zero.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
    return std::nullopt;
  return out;
}

std::string encode_cursor(const cursor_key& c) {
  json::object obj;
  obj["s"] = to_string(c.sort);
  obj["k"] = c.key;
  obj["id"] = c.sku;
  return base64url_encode(json::serialize(obj));
}

result<cursor_key> decode_cursor(std::string_view text, sort_order expected) {
  auto bad = [](std::string why) { return invalid_field("cursor", "invalid cursor: " + why); };
  if (text.empty() || text.size() > 2048)
    return bad("empty or too long");
  auto raw = base64url_decode(text);
  if (!raw)
    return bad("not base64url");
  auto doc = parse_json(*raw);
  if (!doc || !doc->is_object())
    return bad("malformed");
  const auto& obj = doc->as_object();
  auto s = get_string(obj, "s");
  auto k = get_string(obj, "k");
  auto id = get_string(obj, "id");
  if (!s || !k || !id || obj.size() != 3)
    return bad("malformed");
  auto sort = parse_sort(*s);
  if (!sort)
    return bad("unknown sort order");
  if (*sort != expected)
    return bad("it belongs to another sort order");
  if ((*sort == sort_order::price_asc || *sort == sort_order::price_desc) && !valid_int(*k))
    return bad("malformed price key");
  if (*sort == sort_order::relevance && !valid_float(*k))
    return bad("malformed rank key");
  return cursor_key{*sort, std::move(*k), std::move(*id)};
}

} // namespace agora::persistence::catalogue
