// One spdlog logger per module (Redpanda's clusterlog style). configure_logging
// is called once by each executable; until then the loggers print to stderr.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace agora {

spdlog::logger& actors_log();
spdlog::logger& persistence_log();
spdlog::logger& sagas_log();
spdlog::logger& net_log();
spdlog::logger& node_log();

/// `format` is "json" (JSON lines) or "pretty"; `level` is an spdlog level
/// name. Returns false for an unknown level or format.
bool configure_logging(std::string_view format, std::string_view level);

/// Escapes a string for inclusion inside a JSON string (the JSON log format
/// escapes every message with it).
std::string log_escape(std::string_view text);

} // namespace agora
