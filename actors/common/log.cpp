#include "actors/common/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <array>
#include <memory>
#include <mutex>

namespace agora {

namespace {

constexpr std::array<const char*, 5> module_names = {"actors", "persistence", "sagas", "net",
                                                     "node"};

struct registry {
  std::mutex mtx;
  std::array<std::shared_ptr<spdlog::logger>, module_names.size()> loggers;

  registry() {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    for (size_t i = 0; i < loggers.size(); ++i)
      loggers[i] = std::make_shared<spdlog::logger>(module_names[i], sink);
  }
};

registry& reg() {
  static registry r;
  return r;
}

/// `%*`: the message, escaped for a JSON string (spdlog's %v is raw).
class json_message_flag : public spdlog::custom_flag_formatter {
public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    auto escaped = log_escape(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(escaped.data(), escaped.data() + escaped.size());
  }

  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<json_message_flag>();
  }
};

} // namespace

spdlog::logger& actors_log() { return *reg().loggers[0]; }
spdlog::logger& persistence_log() { return *reg().loggers[1]; }
spdlog::logger& sagas_log() { return *reg().loggers[2]; }
spdlog::logger& net_log() { return *reg().loggers[3]; }
spdlog::logger& node_log() { return *reg().loggers[4]; }

bool configure_logging(std::string_view format, std::string_view level) {
  auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off")
    return false;
  spdlog::sink_ptr sink;
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  if (format == "json") {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    formatter->add_flag<json_message_flag>('*').set_pattern(
      R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","lvl":"%l","logger":"%n","msg":"%*"})");
  } else if (format == "pretty") {
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    formatter->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %-11n %v");
  } else {
    return false;
  }
  sink->set_formatter(std::move(formatter));
  auto& r = reg();
  std::lock_guard guard{r.mtx};
  for (auto& lg : r.loggers) {
    lg->sinks().clear();
    lg->sinks().push_back(sink);
    lg->set_level(lvl);
  }
  return true;
}

std::string log_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          out += ' ';
        else
          out += c;
    }
  }
  return out;
}

} // namespace agora
