#include "tools/agora-saga/args.hpp"

#include <charconv>
#include <string_view>

#include "config/config.hpp"

namespace agora::saga_tool {

namespace {

struct command_spec {
  std::string_view name;
  command_kind kind;
  /// Takes a checkout id operand.
  bool takes_id;
};

constexpr command_spec commands[] = {
  {"list", command_kind::list, false},
  {"show", command_kind::show, true},
  {"replay", command_kind::replay, true},
  {"resume", command_kind::resume, true},
  {"compensate", command_kind::compensate, true},
  {"export", command_kind::export_fixture, true},
  {"help", command_kind::help, false},
};

constexpr std::string_view statuses[] = {"running", "completed", "compensated", "failed",
                                         "stuck"};

bool is_bool_literal(std::string_view text) {
  return text == "true" || text == "false" || text == "1" || text == "0";
}

/// True when `name` ("section.key") is a boolean setting of the node's config.
bool is_boolean_setting(std::string_view name) {
  static const auto settings = config_settings();
  for (const auto& s : settings)
    if (s.name == name)
      return s.type == "boolean";
  return false;
}

bool starts_with_dashes(std::string_view text) {
  return text.substr(0, 2) == "--";
}

} // namespace

parse_outcome parse_args(const std::vector<std::string>& args, const std::string& program) {
  parse_outcome out;
  auto& o = out.opts;
  o.config_args.push_back(program);
  auto fail = [&](std::string message) {
    if (out.error.empty())
      out.error = std::move(message);
  };
  std::vector<std::string> operands;
  // Which tool options were given, for the per-command checks below.
  bool has_status = false, has_limit = false, has_url = false, has_reason = false,
       has_file = false, help = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "-h" || arg == "--help") {
      help = true;
      continue;
    }
    if (!starts_with_dashes(arg) || arg.size() == 2) {
      if (arg == "--") {
        // Everything after "--" is an operand (a checkout id never starts with
        // dashes, but this keeps the usual convention).
        for (++i; i < args.size(); ++i)
          operands.push_back(args[i]);
        break;
      }
      if (arg.size() > 1 && arg[0] == '-') {
        fail("unknown option " + std::string(arg));
        continue;
      }
      operands.emplace_back(arg);
      continue;
    }
    auto eq = arg.find('=');
    auto name = arg.substr(2, eq == std::string_view::npos ? std::string_view::npos : eq - 2);
    std::optional<std::string> value;
    if (eq != std::string_view::npos)
      value = std::string(arg.substr(eq + 1));
    auto next_value = [&]() -> bool {
      if (value)
        return true;
      if (i + 1 < args.size() && !starts_with_dashes(args[i + 1])) {
        value = args[++i];
        return true;
      }
      return false;
    };
    // -- configuration flags: handed to load_config as written --
    if (name == "config" || name.find('.') != std::string_view::npos) {
      std::string flag(arg);
      if (eq == std::string_view::npos) {
        if (name != "config" && is_boolean_setting(name)) {
          if (i + 1 < args.size() && is_bool_literal(args[i + 1]))
            flag += "=" + args[++i];
        } else if (next_value()) {
          flag += "=" + *value;
        }
      }
      o.config_args.push_back(std::move(flag));
      continue;
    }
    // -- the tool's own options --
    auto need_value = [&]() -> bool {
      if (next_value())
        return true;
      fail("--" + std::string(name) + ": expected a value");
      return false;
    };
    if (name == "status") {
      has_status = true;
      if (!need_value())
        continue;
      bool known = false;
      for (auto s : statuses)
        known = known || s == *value;
      if (!known)
        fail("--status: expected running, completed, compensated, failed or stuck, got \"" +
             *value + "\"");
      o.status = *value;
    } else if (name == "limit") {
      has_limit = true;
      if (!need_value())
        continue;
      int64_t n = 0;
      auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
      if (ec != std::errc{} || end != value->data() + value->size() || n < 1 || n > 100000)
        fail("--limit: expected an integer in 1..100000, got \"" + *value + "\"");
      else
        o.limit = n;
    } else if (name == "url") {
      has_url = true;
      if (!need_value())
        continue;
      std::string problem;
      if (!parse_base_url(*value, problem))
        fail("--url: " + problem);
      o.url = *value;
    } else if (name == "reason") {
      has_reason = true;
      if (!need_value())
        continue;
      o.reason = *value;
    } else if (name == "file") {
      has_file = true;
      if (!need_value())
        continue;
      o.fixture_file = *value;
    } else {
      fail("unknown option --" + std::string(name) +
           " (settings are --section.key=VALUE; see --help)");
    }
  }
  if (help) {
    o.command = command_kind::help;
    out.error.clear();
    return out;
  }
  if (!out.error.empty())
    return out;
  if (operands.empty()) {
    fail("expected a command: list, show, replay, resume, compensate or export");
    return out;
  }
  const command_spec* spec = nullptr;
  for (const auto& c : commands)
    if (c.name == operands.front())
      spec = &c;
  if (!spec) {
    fail("unknown command \"" + operands.front() +
         "\" (expected list, show, replay, resume, compensate or export)");
    return out;
  }
  o.command = spec->kind;
  auto cmd = std::string(spec->name);
  bool from_file = spec->kind == command_kind::replay && has_file;
  if (spec->takes_id && !from_file) {
    if (operands.size() < 2 || operands[1].empty()) {
      fail(cmd + ": expected a checkout id");
      return out;
    }
    o.checkout_id = operands[1];
  }
  size_t expected_operands = spec->takes_id && !from_file ? 2 : 1;
  if (operands.size() > expected_operands) {
    fail(cmd + ": unexpected argument \"" + operands[expected_operands] + "\"");
    return out;
  }
  auto only_for = [&](bool given, std::string_view option, bool allowed) {
    if (given && !allowed)
      fail(cmd + ": --" + std::string(option) + " does not apply");
  };
  only_for(has_status, "status", spec->kind == command_kind::list);
  only_for(has_limit, "limit", spec->kind == command_kind::list);
  only_for(has_url, "url",
           spec->kind == command_kind::resume || spec->kind == command_kind::compensate);
  only_for(has_reason, "reason", spec->kind == command_kind::compensate);
  only_for(has_file, "file", spec->kind == command_kind::replay);
  if (spec->kind == command_kind::compensate && o.reason.empty())
    fail("compensate: --reason \"...\" is required (what the operator did by hand)");
  return out;
}

std::optional<base_url> parse_base_url(std::string_view url, std::string& error) {
  constexpr std::string_view scheme = "http://";
  if (url.substr(0, scheme.size()) != scheme) {
    error = "expected http://HOST:PORT, got \"" + std::string(url) + "\"";
    return std::nullopt;
  }
  auto rest = url.substr(scheme.size());
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  base_url out;
  if (slash != std::string_view::npos) {
    out.prefix = std::string(rest.substr(slash));
    while (!out.prefix.empty() && out.prefix.back() == '/')
      out.prefix.pop_back();
  }
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "unterminated IPv6 address in \"" + std::string(url) + "\"";
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        error = "unexpected text after the host in \"" + std::string(url) + "\"";
        return std::nullopt;
      }
      port = after.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) {
    error = "no host in \"" + std::string(url) + "\"";
    return std::nullopt;
  }
  out.host = std::string(host);
  if (!port.empty() || authority.back() == ':') {
    int n = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (ec != std::errc{} || end != port.data() + port.size() || n < 1 || n > 65535) {
      error = "bad port in \"" + std::string(url) + "\"";
      return std::nullopt;
    }
    out.port = std::to_string(n);
  }
  return out;
}

std::string default_url(std::string_view host, int64_t port) {
  std::string h(host);
  if (h.empty() || h == "0.0.0.0")
    h = "127.0.0.1";
  else if (h == "::" || h == "[::]")
    h = "[::1]";
  else if (h.find(':') != std::string::npos && h.front() != '[')
    h = "[" + h + "]";
  return "http://" + h + ":" + std::to_string(port);
}

std::string usage(const std::string& program) {
  std::string p = program.empty() ? "agora-saga" : program;
  return "Usage: " + p + " COMMAND [ARGS] [--config FILE] [--section.key=VALUE ...]\n"
         "\n"
         "Operator tool for checkout sagas. Reads the journal directly from PostgreSQL\n"
         "(pg.conninfo); resume and compensate go through the node's admin HTTP API.\n"
         "\n"
         "Commands:\n"
         "  list [--status S] [--limit N]   checkouts, newest first: status, current step,\n"
         "                                  reason, started and updated time. S is running,\n"
         "                                  completed, compensated, failed or stuck;\n"
         "                                  N defaults to 50.\n"
         "  show CHECKOUT_ID                the saga's steps, then every event of the saga\n"
         "                                  and of the entities it touched (correlation id\n"
         "                                  = checkout id), in journal order\n"
         "  replay CHECKOUT_ID              re-runs the saga's decisions with today's code\n"
         "  replay --file FIXTURE.json      ... against a fixture written by export\n"
         "                                  exit 0: no divergence, 1: divergence\n"
         "  resume CHECKOUT_ID [--url U]    retry a stuck saga from where it stopped\n"
         "  compensate CHECKOUT_ID --reason TEXT [--url U]\n"
         "                                  close a stuck saga that the operator settled by\n"
         "                                  hand (it ends failed)\n"
         "  export CHECKOUT_ID              the saga's events as a JSON fixture on stdout\n"
         "\n"
         "The node (resume, compensate) is at --url, default http://<http.host>:<http.port>;\n"
         "the tool logs in with auth.admin_email / auth.admin_password.\n"
         "Settings come from the node's configuration: defaults < --config FILE <\n"
         "AGORA_<SECTION>__<KEY> variables < --section.key=VALUE flags (agora-node --help\n"
         "lists them). replay and export use checkout.max_attempts.\n"
         "\n"
         "Exit status: 0 success, 1 a divergence (replay) or a refusal by the node,\n"
         "2 a usage, configuration, database or connection error.\n";
}

} // namespace agora::saga_tool
