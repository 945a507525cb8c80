// A transparent hash for unordered containers keyed by std::string: with
// std::equal_to<>, lookups by std::string_view build no string.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace agora {

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

} // namespace agora
