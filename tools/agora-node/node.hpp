// The wiring of one node: brokers, regions, read models, HTTP server, and the
// orderly shutdown that drains them in reverse.
#pragma once

#include <csignal>

#include "config/config.hpp"

namespace agora::node {

/// Runs the node until one of `stop_signals` arrives (they must be blocked in
/// every thread). Returns the process exit code.
int run(const config& cfg, const sigset_t& stop_signals);

} // namespace agora::node
