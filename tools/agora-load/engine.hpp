// The load run: set-up through the API (catalogue, accounts, the flash-sale
// SKU), the workers (one io_context each) running the journeys closed- or
// open-loop, the end-of-run verification, and the report (table on stdout,
// JSON file).
#pragma once

#include "tools/agora-load/options.hpp"

namespace agora::load {

/// Runs the whole load test; returns the process exit status (see usage()).
int run(const options& opt);

} // namespace agora::load
