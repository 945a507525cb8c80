#include "actors/common/json_writer.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "actors/common/json.hpp"

namespace agora {

namespace {

/// The bytes a JSON string holds as they are: printable ASCII but `"` and `\\`.
constexpr auto plain_char = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c <= 0x7e; ++c)
    t[static_cast<size_t>(c)] = c != '"' && c != '\\';
  return t;
}();

} // namespace

json_writer::json_writer(std::size_t size_hint) {
  out_.reserve(size_hint);
}

void json_writer::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (depth_ == 0)
    return;
  auto bit = uint64_t{1} << (depth_ - 1);
  if (nonempty_ & bit)
    out_ += ',';
  nonempty_ |= bit;
}

json_writer& json_writer::open(char c) {
  separate();
  out_ += c;
  ++depth_;
  nonempty_ &= ~(uint64_t{1} << (depth_ - 1));
  return *this;
}

json_writer& json_writer::close(char c) {
  out_ += c;
  --depth_;
  return *this;
}

void json_writer::append_string(std::string_view s) {
  // Printable ASCII without quote or backslash needs no escaping: most
  // strings (ids, SKUs, codes, times) are copied as they are.
  auto plain = [](char c) { return plain_char[static_cast<unsigned char>(c)]; };
  if (std::all_of(s.begin(), s.end(), plain)) {
    out_ += '"';
    out_ += s;
    out_ += '"';
    return;
  }
  // At most 6 bytes per input byte (\u00XX) plus the quotes.
  auto at = out_.size();
  out_.resize(at + s.size() * 6 + 2);
  escaper_.reset(s);
  auto written = escaper_.read(out_.data() + at, out_.size() - at);
  out_.resize(at + written.size());
}

json_writer& json_writer::key(std::string_view k) {
  separate();
  append_string(k);
  out_ += ':';
  after_key_ = true;
  return *this;
}

json_writer& json_writer::value(std::string_view s) {
  separate();
  append_string(s);
  return *this;
}

json_writer& json_writer::value(int64_t n) {
  separate();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out_.append(buf, end);
  return *this;
}

json_writer& json_writer::value(bool b) {
  separate();
  out_ += b ? "true" : "false";
  return *this;
}

json_writer& json_writer::value(std::nullptr_t) {
  separate();
  out_ += "null";
  return *this;
}

json_writer& json_writer::value(const std::optional<std::string>& s) {
  return s ? value(std::string_view{*s}) : value(nullptr);
}

json_writer& json_writer::time(timestamp_us t) {
  char buf[rfc3339_max];
  return value(std::string_view{buf, format_rfc3339(t, buf)});
}

json_writer& json_writer::raw(std::string_view json) {
  separate();
  out_ += json;
  return *this;
}

json_writer& json_writer::object_text(std::string_view text) {
  return raw(is_json_object(text) ? text : std::string_view{"{}"});
}

std::string json_writer::take() {
  std::string text = std::move(out_);
  out_.clear();
  nonempty_ = 0;
  depth_ = 0;
  after_key_ = false;
  return text;
}

} // namespace agora
