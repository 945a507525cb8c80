// agora-saga's command line (pure): the subcommand, its operands and options,
// and the configuration flags that go on to agora::load_config unchanged.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agora::saga_tool {

enum class command_kind { help, list, show, replay, resume, compensate, export_fixture };

struct options {
  command_kind command = command_kind::help;
  /// show, replay, resume, compensate, export.
  std::string checkout_id;
  /// list: "running", "completed", "compensated", "failed" or "stuck".
  std::optional<std::string> status;
  /// list: most checkouts printed.
  int64_t limit = 50;
  /// resume, compensate: the node's base URL (default from http.host/port).
  std::optional<std::string> url;
  /// compensate: why the operator settled the saga by hand.
  std::string reason;
  /// replay: a fixture file instead of the database.
  std::optional<std::string> fixture_file;
  /// For load_config: the program name, then every --config and
  /// --section.key[=value] argument in the order given.
  std::vector<std::string> config_args;
};

struct parse_outcome {
  options opts;
  /// Non-empty when the command line is wrong.
  std::string error;
};

/// Parses argv[1..] (without the program name; `program` becomes
/// config_args[0]). An argument `--section.key` or `--config` is a
/// configuration flag (with `=VALUE` or the next argument as its value; a
/// boolean setting takes the next argument only when it is a boolean literal);
/// every other `--name` is one of the tool's options.
parse_outcome parse_args(const std::vector<std::string>& args, const std::string& program);

/// Where the node listens: from `http://HOST:PORT[/prefix]`.
struct base_url {
  std::string host;
  std::string port = "80";
  /// Path prefix without the trailing slash ("" normally).
  std::string prefix;
};

/// Parses `http://HOST[:PORT][/PREFIX]` (IPv6 hosts in brackets); nullopt
/// with `error` set otherwise (https is not supported).
std::optional<base_url> parse_base_url(std::string_view url, std::string& error);

/// The node's URL from http.host / http.port: a wildcard listen address
/// (0.0.0.0, ::) becomes the loopback address.
std::string default_url(std::string_view host, int64_t port);

/// The --help text.
std::string usage(const std::string& program);

} // namespace agora::saga_tool
