// Text-format PostgreSQL array literals ('{"a","b\"c"}'), used to send a whole
// batch of rows as one parameter per column (INSERT ... SELECT FROM unnest).
// Pure functions: no libpq, unit-tested in tests/integration/pg_array_test.cpp.
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

/// `{1,2,3}` for a bigint array parameter.
std::string int_array(const std::vector<int64_t>& values);

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

/// Parses a one-dimensional text array literal as PostgreSQL prints it
/// (quoted or bare elements); NULL elements become empty strings. Returns
/// false on malformed input. The inverse of text_array, for reading arrays.
bool parse_text_array(std::string_view literal, std::vector<std::string>& out);

} // namespace agora::persistence::pg
