#include "persistence/pg/pg_array.hpp"

namespace agora::persistence::pg {

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

std::string int_array(const std::vector<int64_t>& values) {
  array_builder b;
  for (auto v : values)
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

bool parse_text_array(std::string_view in, std::vector<std::string>& out) {
  out.clear();
  if (in.size() < 2 || in.front() != '{' || in.back() != '}')
    return false;
  size_t i = 1;
  const size_t end = in.size() - 1;
  if (i == end)
    return true;
  for (;;) {
    std::string elem;
    if (i < end && in[i] == '"') {
      ++i;
      bool closed = false;
      while (i < end) {
        char c = in[i++];
        if (c == '\\') {
          if (i >= end)
            return false;
          elem += in[i++];
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          elem += c;
        }
      }
      if (!closed)
        return false;
    } else {
      size_t start = i;
      while (i < end && in[i] != ',')
        ++i;
      elem.assign(in.substr(start, i - start));
      if (elem.empty())
        return false;
      if (elem == "NULL")
        elem.clear();
    }
    out.push_back(std::move(elem));
    if (i == end)
      return true;
    if (in[i] != ',')
      return false;
    ++i;
  }
}

} // namespace agora::persistence::pg
