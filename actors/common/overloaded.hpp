// The std::visit helper: overloaded{[](const a&){...}, [](const b&){...}}.
#pragma once

namespace agora {

template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

} // namespace agora
