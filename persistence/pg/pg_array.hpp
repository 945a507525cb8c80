// PostgreSQL arrays as query parameters, used to send a whole batch of rows as
// one parameter per column (INSERT ... SELECT FROM unnest): text-format
// literals ('{"a","b\"c"}') and binary-format arrays (the journal's insert,
// its hottest statement). Pure functions: no libpq, unit-tested in
// tests/integration/pg_array_test.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace agora::persistence::pg {

/// Appends `value` as one quoted array element: wrapped in double quotes,
/// with `"` and `\` escaped by a backslash. Every element is quoted, so
/// empty strings, NULL-looking words, braces, commas and blanks survive.
void append_array_element(std::string& out, std::string_view value);

/// `{"a","b"}` for a text/jsonb array parameter.
std::string text_array(const std::vector<std::string>& values);

/// Builds an array literal element by element without an intermediate vector.
class array_builder {
public:
  array_builder() : text_("{") {}
  void add(std::string_view value);
  void add(int64_t value);
  /// The finished literal; the builder is empty afterwards.
  std::string finish();

private:
  std::string text_;
  bool first_ = true;
};

/// Element types of the binary arrays (PostgreSQL's pg_type OIDs).
inline constexpr uint32_t int8_oid = 20;
inline constexpr uint32_t text_oid = 25;
inline constexpr uint32_t jsonb_oid = 3802;

/// Builds a one-dimensional array in PostgreSQL's binary format (the layout
/// array_recv reads), for a parameter sent with format 1: each element is its
/// length and its bytes, so nothing is quoted here and nothing is parsed as a
/// literal by the server. The element type must match the parameter's
/// (`$1::text[]` takes text_oid), or the server rejects the statement.
class binary_array_builder {
public:
  explicit binary_array_builder(uint32_t element_oid);
  /// A text element (text_oid): its bytes, which must be valid UTF-8.
  void add(std::string_view value);
  /// An int8 element (int8_oid).
  void add(int64_t value);
  /// A jsonb element (jsonb_oid): a JSON document as text.
  void add_jsonb(std::string_view json);
  /// The finished array; the builder is empty afterwards.
  std::string finish();

private:
  void start();
  void add_length(uint32_t n);

  uint32_t oid_;
  uint32_t count_ = 0;
  std::string data_;
};

/// Reads an array binary_array_builder wrote (one dimension, no NULLs) whose
/// elements are of type `element_oid`: the elements' bytes, a jsonb element
/// without its format version byte. False on malformed input or another
/// element type.
bool parse_binary_array(std::string_view data, uint32_t element_oid,
                        std::vector<std::string>& out);

} // namespace agora::persistence::pg
