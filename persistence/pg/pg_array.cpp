#include "persistence/pg/pg_array.hpp"

namespace agora::persistence::pg {

namespace {

// The binary array layout: ndim, flags (1 = has NULLs), element type, then per
// dimension its size and lower bound, then per element its length and bytes;
// all integers 32-bit big-endian but the int8 elements (64-bit).
constexpr size_t binary_header_size = 5 * 4;

void put_u32(std::string& out, uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  out.append(b, 4);
}

void write_u32(char* at, uint32_t v) {
  at[0] = static_cast<char>(v >> 24);
  at[1] = static_cast<char>(v >> 16);
  at[2] = static_cast<char>(v >> 8);
  at[3] = static_cast<char>(v);
}

bool get_u32(std::string_view& in, uint32_t& v) {
  if (in.size() < 4)
    return false;
  v = 0;
  for (int i = 0; i < 4; ++i)
    v = (v << 8) | static_cast<unsigned char>(in[static_cast<size_t>(i)]);
  in.remove_prefix(4);
  return true;
}

/// The jsonb binary format's version byte, before the document's text.
constexpr char jsonb_version = 1;

} // namespace

binary_array_builder::binary_array_builder(uint32_t element_oid) : oid_(element_oid) {
  start();
}

void binary_array_builder::start() {
  data_.assign(binary_header_size, '\0');
  count_ = 0;
}

void binary_array_builder::add_length(uint32_t n) {
  put_u32(data_, n);
  ++count_;
}

void binary_array_builder::add(std::string_view value) {
  add_length(static_cast<uint32_t>(value.size()));
  data_.append(value);
}

void binary_array_builder::add(int64_t value) {
  add_length(8);
  auto u = static_cast<uint64_t>(value);
  put_u32(data_, static_cast<uint32_t>(u >> 32));
  put_u32(data_, static_cast<uint32_t>(u));
}

void binary_array_builder::add_jsonb(std::string_view json) {
  add_length(static_cast<uint32_t>(json.size() + 1));
  data_ += jsonb_version;
  data_.append(json);
}

std::string binary_array_builder::finish() {
  if (count_ == 0) {
    // An empty array has no dimensions.
    data_.resize(3 * 4);
    write_u32(data_.data(), 0);
  } else {
    write_u32(data_.data(), 1);
    write_u32(data_.data() + 12, count_);
    write_u32(data_.data() + 16, 1);
  }
  write_u32(data_.data() + 4, 0);
  write_u32(data_.data() + 8, oid_);
  std::string out;
  out.swap(data_);
  start();
  return out;
}

bool parse_binary_array(std::string_view in, uint32_t element_oid,
                        std::vector<std::string>& out) {
  out.clear();
  uint32_t ndim = 0, flags = 0, oid = 0;
  if (!get_u32(in, ndim) || !get_u32(in, flags) || !get_u32(in, oid) || flags != 0 ||
      oid != element_oid || ndim > 1)
    return false;
  if (ndim == 0)
    return in.empty();
  uint32_t count = 0, lower = 0;
  if (!get_u32(in, count) || !get_u32(in, lower) || lower != 1)
    return false;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t n = 0;
    if (!get_u32(in, n) || in.size() < n)
      return false;
    auto elem = in.substr(0, n);
    in.remove_prefix(n);
    if (element_oid == jsonb_oid) {
      if (elem.empty() || elem.front() != jsonb_version)
        return false;
      elem.remove_prefix(1);
    }
    out.emplace_back(elem);
  }
  return in.empty();
}

void append_array_element(std::string& out, std::string_view value) {
  out.reserve(out.size() + value.size() + 2);
  out += '"';
  for (char c : value) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  out += '"';
}

std::string text_array(const std::vector<std::string>& values) {
  array_builder b;
  for (const auto& v : values)
    b.add(v);
  return b.finish();
}

void array_builder::add(std::string_view value) {
  if (!first_)
    text_ += ',';
  first_ = false;
  append_array_element(text_, value);
}

void array_builder::add(int64_t value) {
  if (!first_)
    text_ += ',';
  first_ = false;
  text_ += std::to_string(value);
}

std::string array_builder::finish() {
  text_ += '}';
  std::string out;
  out.swap(text_);
  text_.push_back('{');
  first_ = true;
  return out;
}

} // namespace agora::persistence::pg
