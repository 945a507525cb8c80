// agora-saga: operator CLI for checkout sagas. Reads the journal straight from
// PostgreSQL (list, show, replay, export) and asks the node's admin API to
// act on stuck sagas (resume, compensate). See README.md.
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "actors/common/json.hpp"
#include "actors/common/log.hpp"
#include "config/config.hpp"
#include "sagas/checkout.hpp"
#include "tools/agora-saga/admin_client.hpp"
#include "tools/agora-saga/args.hpp"
#include "tools/agora-saga/fixture.hpp"
#include "tools/agora-saga/store.hpp"
#include "tools/agora-saga/timeline.hpp"

extern char** environ;

namespace agora::saga_tool {
namespace {

/// Exit statuses (README.md).
constexpr int exit_ok = 0;
constexpr int exit_negative = 1; // a divergence, a refusal, no such checkout
constexpr int exit_error = 2;    // usage, configuration, database, connection

int error(const std::string& message) {
  std::cerr << "agora-saga: " << message << "\n";
  return exit_error;
}

int negative(const std::string& message) {
  std::cerr << "agora-saga: " << message << "\n";
  return exit_negative;
}

int cmd_list(saga_store& store, const options& o) {
  auto sagas = store.list(o.status, o.limit);
  if (!sagas)
    return error(sagas.error().message);
  std::vector<saga_row> rows;
  for (const auto& st : *sagas)
    rows.push_back(to_saga_row(st));
  if (rows.empty()) {
    std::cerr << "no checkouts" << (o.status ? " with status " + *o.status : "") << "\n";
    return exit_ok;
  }
  std::cout << format_list(rows);
  return exit_ok;
}

int cmd_show(saga_store& store, const options& o) {
  auto own = store.saga_events(o.checkout_id);
  if (!own)
    return error(own.error().message);
  auto caused = store.correlated_events(o.checkout_id);
  if (!caused)
    return error(caused.error().message);
  if (own->empty() && caused->empty())
    return negative("no checkout with id " + o.checkout_id);
  if (!own->empty()) {
    auto st = fold_saga(*own);
    if (!st)
      return error(st.error().message);
    std::cout << format_saga(*st) << "\n";
  } else {
    std::cout << "no saga events for checkout " << o.checkout_id
              << "; events correlated with it:\n";
  }
  auto rows = merge_timeline(std::move(*own), std::move(*caused));
  std::cout << "timeline (" << rows.size() << " events):\n"
            << format_timeline(rows, o.checkout_id);
  return exit_ok;
}

/// The recorded history as a fixture (from the journal or a file).
std::optional<fixture> load_history(saga_store* store, const options& o, int64_t max_attempts,
                                    std::vector<journal_row>* rows, int& status) {
  if (o.fixture_file) {
    std::ifstream in(*o.fixture_file, std::ios::binary);
    if (!in) {
      status = error("cannot read " + *o.fixture_file);
      return std::nullopt;
    }
    std::stringstream text;
    text << in.rdbuf();
    std::string problem;
    auto f = parse_fixture(text.str(), problem);
    if (!f)
      status = error(*o.fixture_file + ": " + problem);
    return f;
  }
  auto own = store->saga_events(o.checkout_id);
  if (!own) {
    status = error(own.error().message);
    return std::nullopt;
  }
  if (own->empty()) {
    status = negative("no checkout with id " + o.checkout_id);
    return std::nullopt;
  }
  fixture f{o.checkout_id, max_attempts, {}};
  for (const auto& row : *own)
    f.events.push_back({row.event_type, row.payload});
  if (rows)
    *rows = std::move(*own);
  return f;
}

int cmd_replay(saga_store* store, const options& o, int64_t max_attempts) {
  int status = exit_ok;
  std::vector<journal_row> rows;
  auto f = load_history(store, o, max_attempts, &rows, status);
  if (!f)
    return status;
  auto where = [&](int64_t index) {
    std::string out = "event " + std::to_string(index);
    if (index >= 0 && static_cast<size_t>(index) < rows.size())
      out += " (seq_nr " + std::to_string(rows[index].seq_nr) + ", offset " +
             std::to_string(rows[index].global_offset) + ")";
    return out;
  };
  std::cout << "checkout " << f->checkout_id << ": " << f->events.size()
            << " events, max_attempts " << f->max_attempts << "\n";
  // A recorded event that today's codec cannot read is a divergence too.
  std::vector<checkout::event> history;
  for (size_t i = 0; i < f->events.size(); ++i) {
    const auto& e = f->events[i];
    auto ev = checkout::checkout_traits::decode_event(e.type, e.payload);
    if (!ev) {
      std::cout << "divergence at " << where(static_cast<int64_t>(i)) << ": recorded " << e.type
                << " does not decode with today's codec\n";
      return exit_negative;
    }
    history.push_back(std::move(*ev));
  }
  auto report = checkout::replay(history, static_cast<int>(f->max_attempts));
  if (report.divergence.empty()) {
    std::cout << "no divergence\n";
    return exit_ok;
  }
  std::cout << "divergence at " << where(report.at_event) << ": " << report.divergence << "\n";
  return exit_negative;
}

int cmd_export(saga_store& store, const options& o, int64_t max_attempts) {
  int status = exit_ok;
  auto f = load_history(&store, o, max_attempts, nullptr, status);
  if (!f)
    return status;
  std::cout << encode_fixture(*f);
  return std::cout.flush() ? exit_ok : error("cannot write the fixture");
}

std::string path_segment(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

int cmd_operate(const config& cfg, const options& o) {
  auto url_text = o.url.value_or(default_url(cfg.http.host, cfg.http.port));
  std::string problem;
  auto url = parse_base_url(url_text, problem);
  if (!url)
    return error("--url: " + problem);
  // The node answers within http.request_timeout_ms; allow for the login's
  // password hashing on top.
  admin_client client(*url, std::chrono::milliseconds(cfg.http.request_timeout_ms + 5000));
  auto token = client.login(cfg.auth.admin_email, cfg.auth.admin_password);
  if (!token)
    return token.error().code == errc::unavailable ? error(token.error().message)
                                                   : negative(token.error().message);
  bool resume = o.command == command_kind::resume;
  json::object body;
  if (!resume)
    body["reason"] = o.reason;
  auto path = "/admin/v1/sagas/" + path_segment(o.checkout_id) + (resume ? "/resume" : "/close");
  auto res = client.post(path, json::serialize(body));
  if (!res)
    return error(res.error().message);
  if (res->status != 200)
    return negative((resume ? "resume refused: " : "compensate refused: ") +
                    describe_error(*res));
  auto parsed = parse_json(res->body);
  std::string status = "?", reason;
  if (parsed && parsed->is_object()) {
    const auto& obj = parsed->get_object();
    status = get_string(obj, "status").value_or("?");
    reason = get_string(obj, "reason").value_or("");
  }
  std::cout << "checkout " << o.checkout_id << (resume ? " resumed" : " closed by hand")
            << ": status " << status << (reason.empty() ? "" : " (" + reason + ")") << "\n";
  return exit_ok;
}

int run(int argc, char** argv) {
  std::string program = argc > 0 ? argv[0] : "agora-saga";
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  auto parsed = parse_args(args, program);
  if (!parsed.error.empty())
    return error(parsed.error + "\nRun `" + program + " --help` for usage.");
  const auto& o = parsed.opts;
  if (o.command == command_kind::help) {
    std::cout << usage(program);
    return exit_ok;
  }
  std::vector<const char*> config_argv;
  for (const auto& a : o.config_args)
    config_argv.push_back(a.c_str());
  config_argv.push_back(nullptr);
  auto loaded = load_config(static_cast<int>(o.config_args.size()), config_argv.data(), environ);
  if (!loaded.cfg)
    return error(loaded.error);
  const auto& cfg = *loaded.cfg;
  configure_logging(cfg.log.format, "warn");
  switch (o.command) {
    case command_kind::resume:
    case command_kind::compensate:
      return cmd_operate(cfg, o);
    case command_kind::replay:
      if (o.fixture_file)
        return cmd_replay(nullptr, o, cfg.checkout.max_attempts);
      break;
    default:
      break;
  }
  saga_store store(cfg.pg.conninfo);
  switch (o.command) {
    case command_kind::list:
      return cmd_list(store, o);
    case command_kind::show:
      return cmd_show(store, o);
    case command_kind::replay:
      return cmd_replay(&store, o, cfg.checkout.max_attempts);
    case command_kind::export_fixture:
      return cmd_export(store, o, cfg.checkout.max_attempts);
    default:
      return error("unhandled command");
  }
}

} // namespace
} // namespace agora::saga_tool

int main(int argc, char** argv) {
  return agora::saga_tool::run(argc, argv);
}
