// A JSON text written straight into a string, for hot answers (the cart that
// every cart request returns): building a Boost.JSON value first and then
// serializing it took three times as long (bench/json_bench.cpp). Strings
// that need escaping go through Boost.JSON's own serializer, so the text is
// exactly what json::serialize writes; printable ASCII without quote or
// backslash is copied as it is. tests/unit/json_writer_test.cpp checks every
// ASCII byte and whole documents against Boost.JSON.
#pragma once

#include <boost/json/serializer.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "actors/common/time.hpp"

namespace agora {

class json_writer {
public:
  /// `size_hint`: the bytes to reserve (the text can grow past them).
  explicit json_writer(std::size_t size_hint = 512);

  json_writer& begin_object() { return open('{'); }
  json_writer& end_object() { return close('}'); }
  json_writer& begin_array() { return open('['); }
  json_writer& end_array() { return close(']'); }

  /// The key of the next member (inside an object).
  json_writer& key(std::string_view k);

  json_writer& value(std::string_view s);
  json_writer& value(const std::string& s) { return value(std::string_view{s}); }
  json_writer& value(const char* s) { return value(std::string_view{s}); }
  json_writer& value(int64_t n);
  json_writer& value(bool b);
  json_writer& value(std::nullptr_t);
  /// The string, or null for nullopt.
  json_writer& value(const std::optional<std::string>& s);
  /// A timestamp as RFC 3339 text (format_rfc3339).
  json_writer& time(timestamp_us t);
  /// `json` as it is: a whole JSON value this program wrote (a canonical
  /// address), which the writer does not check.
  json_writer& raw(std::string_view json);
  /// `text` as it is when it is one JSON object (is_json_object), else {}:
  /// a problem's details.
  json_writer& object_text(std::string_view text);

  /// `key(k).value(v)`.
  template <class T>
  json_writer& member(std::string_view k, const T& v) {
    return key(k).value(v);
  }

  /// The text written so far; the writer is empty afterwards.
  std::string take();

private:
  json_writer& open(char c);
  json_writer& close(char c);
  /// A comma before every element of a container but its first.
  void separate();
  void append_string(std::string_view s);

  std::string out_;
  boost::json::serializer escaper_;
  /// Bit d: the container at depth d has an element already.
  uint64_t nonempty_ = 0;
  int depth_ = 0;
  /// The last thing written was a key: its value needs no comma.
  bool after_key_ = false;
};

} // namespace agora
