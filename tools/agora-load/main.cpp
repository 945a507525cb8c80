// agora-load: asynchronous HTTP/1.1 load generator for an Agora node. See
// README.md beside this file and `agora-load --help`.
#include <iostream>
#include <string>
#include <variant>
#include <vector>

#include "tools/agora-load/engine.hpp"
#include "tools/agora-load/options.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = agora::load::parse_options(args);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    std::cerr << "agora-load: " << *error << "\n";
    return 2;
  }
  auto& opt = std::get<agora::load::options>(parsed);
  if (opt.help) {
    std::cout << agora::load::usage();
    return 0;
  }
  try {
    return agora::load::run(opt);
  } catch (const std::exception& e) {
    std::cerr << "agora-load: " << e.what() << "\n";
    return 3;
  }
}
