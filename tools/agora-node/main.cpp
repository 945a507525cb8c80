// agora-node: one Agora server process. Loads the configuration (defaults <
// TOML file < AGORA_* environment < flags), then runs the node until SIGTERM
// or SIGINT. `agora-node --help` lists every setting.
#include <csignal>
#include <cstdio>
#include <iostream>

#include "config/config.hpp"
#include "tools/agora-node/node.hpp"

extern char** environ;

int main(int argc, char** argv) {
  // Block the stop signals before any thread exists: every thread inherits
  // the mask and the main thread collects them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto loaded = agora::load_config(argc, argv, environ);
  if (loaded.help) {
    std::cout << agora::config_help(argv[0]);
    return 0;
  }
  if (!loaded.cfg) {
    std::cerr << "agora-node: " << loaded.error << "\n"
              << "Run `" << argv[0] << " --help` for every setting.\n";
    return 2;
  }
  return agora::node::run(*loaded.cfg, stop_signals);
}
