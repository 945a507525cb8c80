// Tests of the configuration loader: defaults, the TOML file, AGORA_*
// variables and flags in that order of precedence; every kind of error
// (unknown setting, wrong type, out of range, bad enum value, bad warehouse
// list, production with default secrets) naming the setting and its source;
// --help listing every setting; and the shipped config/agora.toml.
#include "config/config.hpp"

#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <catch2/catch.hpp>

namespace {

using agora::config_outcome;

// -- helpers ------------------------------------------------------------------

/// A TOML file in the temp folder, removed at scope exit.
class temp_toml {
public:
  explicit temp_toml(const std::string& text) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path()
            / ("agora-config-test-" + std::to_string(::getpid()) + "-"
               + std::to_string(counter++) + ".toml");
    std::ofstream out{path_};
    out << text;
  }

  ~temp_toml() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }

  temp_toml(const temp_toml&) = delete;
  temp_toml& operator=(const temp_toml&) = delete;

  std::string path() const {
    return path_.string();
  }

private:
  std::filesystem::path path_;
};

/// Calls load_config with `args` (after a program name) and `env`
/// ("NAME=value" strings).
config_outcome load(std::vector<std::string> args, std::vector<std::string> env = {}) {
  std::vector<const char*> argv{"agora-node"};
  for (const auto& a : args)
    argv.push_back(a.c_str());
  std::vector<const char*> envp;
  for (const auto& e : env)
    envp.push_back(e.c_str());
  envp.push_back(nullptr);
  return agora::load_config(static_cast<int>(argv.size()), argv.data(), envp.data());
}

/// Every setting's value as text, keyed by name.
std::map<std::string, std::string> values_of(const agora::config& cfg) {
  std::map<std::string, std::string> result;
  for (const auto& s : agora::config_settings(cfg))
    result[s.name] = s.value;
  return result;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

// -- sources and precedence -----------------------------------------------------

TEST_CASE("without file, variables or flags the defaults apply", "[config]") {
  auto out = load({});
  REQUIRE(out.error.empty());
  REQUIRE(out.cfg);
  CHECK_FALSE(out.help);
  CHECK(values_of(*out.cfg) == values_of(agora::config{}));
  CHECK(out.cfg->http.port == 8080);
  CHECK(out.cfg->shipping.warehouses.size() == 2);
}

TEST_CASE("the file overrides defaults, variables the file, flags the variables",
          "[config]") {
  temp_toml file{"[http]\nport = 7000\nthreads = 3\n[log]\nlevel = \"debug\"\n"};
  SECTION("file only") {
    auto out = load({"--config", file.path()});
    REQUIRE(out.cfg);
    CHECK(out.cfg->http.port == 7000);
    CHECK(out.cfg->http.threads == 3);
    CHECK(out.cfg->log.level == "debug");
    CHECK(out.cfg->http.host == "127.0.0.1"); // untouched default
  }
  SECTION("file and variable") {
    auto out = load({"--config", file.path()}, {"AGORA_HTTP__PORT=8000"});
    REQUIRE(out.cfg);
    CHECK(out.cfg->http.port == 8000);
    CHECK(out.cfg->http.threads == 3);
  }
  SECTION("file, variable and flag") {
    auto out = load({"--config", file.path(), "--http.port=9000"}, {"AGORA_HTTP__PORT=8000"});
    REQUIRE(out.cfg);
    CHECK(out.cfg->http.port == 9000);
    CHECK(out.cfg->log.level == "debug");
  }
  SECTION("a flag before --config still wins over the file") {
    auto out = load({"--http.port", "9001", "--config=" + file.path()});
    REQUIRE(out.cfg);
    CHECK(out.cfg->http.port == 9001);
  }
}

TEST_CASE("flags take --key=value and --key value", "[config]") {
  auto out = load({"--http.port=9090", "--pg.conninfo", "host=/tmp port=1 dbname=x",
                   "--node.id", "node-7"});
  REQUIRE(out.error.empty());
  CHECK(out.cfg->http.port == 9090);
  CHECK(out.cfg->pg.conninfo == "host=/tmp port=1 dbname=x");
  CHECK(out.cfg->node.id == "node-7");
}

TEST_CASE("an empty value after = is a value, not a missing one", "[config]") {
  auto out = load({"--auth.issuer="});
  CHECK_FALSE(out.cfg);
  CHECK(contains(out.error, "auth.issuer: expected a non-empty string"));
}

TEST_CASE("booleans accept true, false, 1 and 0", "[config]") {
  CHECK(load({}, {"AGORA_CATALOGUE__SEED_DEMO=true"}).cfg->catalogue.seed_demo);
  CHECK(load({}, {"AGORA_CATALOGUE__SEED_DEMO=1"}).cfg->catalogue.seed_demo);
  CHECK_FALSE(load({}, {"AGORA_PG__MIGRATE=false"}).cfg->pg.migrate);
  CHECK_FALSE(load({}, {"AGORA_PG__MIGRATE=0"}).cfg->pg.migrate);
  CHECK(load({"--catalogue.seed_demo=true"}).cfg->catalogue.seed_demo);
  SECTION("a bare boolean flag means true") {
    auto out = load({"--catalogue.seed_demo", "--http.port", "1234"});
    REQUIRE(out.cfg);
    CHECK(out.cfg->catalogue.seed_demo);
    CHECK(out.cfg->http.port == 1234);
  }
  SECTION("a literal may follow a boolean flag") {
    auto out = load({"--pg.migrate", "false"});
    REQUIRE(out.cfg);
    CHECK_FALSE(out.cfg->pg.migrate);
  }
  SECTION("anything else is an error") {
    auto out = load({}, {"AGORA_CATALOGUE__SEED_DEMO=yes"});
    CHECK_FALSE(out.cfg);
    CHECK(out.error
          == "catalogue.seed_demo: expected a boolean (true, false, 1 or 0), got \"yes\" "
             "(from AGORA_CATALOGUE__SEED_DEMO)");
  }
}

TEST_CASE("variables without a double underscore are not settings", "[config]") {
  auto out = load({}, {"AGORA_TEST_PG=host=x", "AGORA_DEV_PG_PORT=5433", "PATH=/usr/bin",
                       "AGORA_HTTP__PORT=8181"});
  REQUIRE(out.error.empty());
  CHECK(out.cfg->http.port == 8181);
}

TEST_CASE("a null environment is the same as an empty one", "[config]") {
  const char* argv[] = {"agora-node"};
  auto out = agora::load_config(1, argv, nullptr);
  REQUIRE(out.cfg);
  CHECK(out.cfg->http.port == 8080);
}

// -- help -----------------------------------------------------------------------

TEST_CASE("--help and -h ask for help, whatever else is given", "[config]") {
  for (const auto& flag : {"--help", "-h"}) {
    auto out = load({"--http.port=abc", flag, "--no.such=1"});
    CHECK(out.help);
    CHECK_FALSE(out.cfg);
  }
}

TEST_CASE("the help text lists every setting with type, default, variable and flag",
          "[config]") {
  auto help = agora::config_help("agora-node");
  CHECK(contains(help, "Usage: agora-node"));
  CHECK(contains(help, "AGORA_<SECTION>__<KEY>"));
  CHECK(contains(help, "--config FILE"));
  auto all = agora::config_settings();
  REQUIRE(all.size() >= 36);
  for (const auto& s : all) {
    INFO(s.name);
    CHECK(contains(help, "  " + s.name + "  (" + s.type + ", default "));
    CHECK(contains(help, s.env));
    CHECK(contains(help, s.flag + "\n"));
    CHECK(contains(help, s.value));
    CHECK_FALSE(s.help.empty());
  }
  CHECK(contains(help, "one of development|production"));
  CHECK(contains(help, "an integer in 1..65535"));
  CHECK(contains(help, "Berlin:52.52:13.405;Newark:40.7357:-74.1724"));
}

TEST_CASE("setting names map to variables and flags by one rule", "[config]") {
  for (const auto& s : agora::config_settings()) {
    INFO(s.name);
    auto dot = s.name.find('.');
    REQUIRE(dot != std::string::npos);
    std::string env = "AGORA_";
    for (size_t i = 0; i < s.name.size(); ++i)
      env += i == dot ? std::string{"__"}
                      : std::string(1, static_cast<char>(std::toupper(s.name[i])));
    CHECK(s.env == env);
    CHECK(s.flag == "--" + s.name);
  }
}

TEST_CASE("passwords, keys and connection strings are marked secret", "[config]") {
  std::map<std::string, bool> secret;
  for (const auto& s : agora::config_settings())
    secret[s.name] = s.secret;
  CHECK(secret.at("auth.admin_password"));
  CHECK(secret.at("auth.jwt_secret"));
  CHECK(secret.at("pg.conninfo"));
  CHECK_FALSE(secret.at("http.port"));
  CHECK_FALSE(secret.at("auth.admin_email"));
}

// -- errors: unknown settings -----------------------------------------------------

TEST_CASE("unknown settings are refused, with a hint when one is close", "[config]") {
  SECTION("in the file") {
    temp_toml file{"[http]\nport = 8080\nprot = 1\n"};
    auto out = load({"--config", file.path()});
    CHECK_FALSE(out.cfg);
    CHECK(out.error
          == "http.prot: unknown setting; did you mean http.port? (from " + file.path()
               + " line 3)");
  }
  SECTION("an unknown section in the file") {
    temp_toml file{"[htp]\nport = 1\n"};
    auto out = load({"--config", file.path()});
    CHECK(contains(out.error, "htp: unknown section"));
    CHECK(contains(out.error, file.path() + " line 1"));
  }
  SECTION("a key outside any section") {
    temp_toml file{"port = 1\n"};
    auto out = load({"--config", file.path()});
    CHECK(contains(out.error, "port: unknown setting"));
  }
  SECTION("a known section that is not a table") {
    temp_toml file{"http = 5\n"};
    auto out = load({"--config", file.path()});
    CHECK(contains(out.error, "http: expected a table [http], got 5"));
  }
  SECTION("in a variable") {
    auto out = load({}, {"AGORA_HTTP__PROT=1"});
    CHECK(out.error
          == "http.prot: unknown setting; did you mean http.port? (from AGORA_HTTP__PROT)");
  }
  SECTION("in a variable with an unknown section") {
    auto out = load({}, {"AGORA_NOPE__THING=1"});
    CHECK(out.error == "nope.thing: unknown setting (from AGORA_NOPE__THING)");
  }
  SECTION("in a flag") {
    auto out = load({"--http.prot=1"});
    CHECK(out.error == "--http.prot: unknown setting; did you mean --http.port? (see --help)");
  }
  SECTION("a flag without a section") {
    auto out = load({"--port=1"});
    CHECK(contains(out.error, "--port: unknown setting"));
  }
  SECTION("a stray argument") {
    auto out = load({"serve"});
    CHECK(contains(out.error, "unexpected argument \"serve\""));
  }
  SECTION("a flag without its value") {
    auto out = load({"--http.port"});
    CHECK(out.error == "--http.port: expected a value (--http.port=VALUE)");
  }
  SECTION("--config without a file") {
    CHECK(load({"--config"}).error == "--config: expected a file name");
  }
}

// -- errors: types and ranges -------------------------------------------------------

TEST_CASE("integers must parse and be in range", "[config]") {
  CHECK(load({}, {"AGORA_HTTP__PORT=abc"}).error
        == "http.port: expected an integer in 1..65535, got \"abc\" (from AGORA_HTTP__PORT)");
  CHECK(load({}, {"AGORA_HTTP__PORT=80x"}).error
        == "http.port: expected an integer in 1..65535, got \"80x\" (from AGORA_HTTP__PORT)");
  CHECK(load({"--http.port=0"}).error
        == "http.port: expected an integer in 1..65535, got \"0\" (from --http.port)");
  CHECK(load({"--http.port=65536"}).error
        == "http.port: expected an integer in 1..65535, got \"65536\" (from --http.port)");
  CHECK(load({"--http.port=99999999999999999999999"}).error
        == "http.port: expected an integer in 1..65535, got \"99999999999999999999999\" "
           "(from --http.port)");
  CHECK(load({"--http.threads=0"}).error
        == "http.threads: expected an integer in 1..256, got \"0\" (from --http.threads)");
  CHECK(contains(load({"--auth.bcrypt_cost=9"}).error,
                 "auth.bcrypt_cost: expected an integer in 10..31"));
  CHECK(contains(load({"--http.max_body_bytes=-1"}).error, "http.max_body_bytes"));
  SECTION("0 is allowed where documented") {
    auto out = load({"--node.threads=0", "--shipping.base_cents=0", "--http.shutdown_grace_ms=0"});
    REQUIRE(out.cfg);
    CHECK(out.cfg->node.threads == 0);
  }
  SECTION("the ends of a range are inside it") {
    CHECK(load({"--http.port=1"}).cfg->http.port == 1);
    CHECK(load({"--http.port=65535"}).cfg->http.port == 65535);
  }
}

TEST_CASE("TOML values must have the setting's type", "[config]") {
  SECTION("a string where an integer belongs") {
    temp_toml file{"[http]\nport = \"8080\"\n"};
    CHECK(load({"--config", file.path()}).error
          == "http.port: expected an integer in 1..65535, got \"8080\" (from " + file.path()
               + " line 2)");
  }
  SECTION("an integer out of range") {
    temp_toml file{"[http]\n\nport = 70000\n"};
    CHECK(load({"--config", file.path()}).error
          == "http.port: expected an integer in 1..65535, got 70000 (from " + file.path()
               + " line 3)");
  }
  SECTION("a float where an integer belongs") {
    temp_toml file{"[pg]\nwriters = 1.5\n"};
    CHECK(contains(load({"--config", file.path()}).error,
                   "pg.writers: expected an integer in 1..64, got 1.5"));
  }
  SECTION("a string where a boolean belongs") {
    temp_toml file{"[pg]\nmigrate = \"true\"\n"};
    CHECK(contains(load({"--config", file.path()}).error,
                   "pg.migrate: expected a boolean (true or false), got \"true\""));
  }
  SECTION("an integer where a string belongs") {
    temp_toml file{"[node]\nid = 7\n"};
    CHECK(contains(load({"--config", file.path()}).error, "node.id: expected"));
  }
}

TEST_CASE("numbers accept decimals and integers within their range", "[config]") {
  CHECK(agora::config{}.payments.gateway_failure_rate == 0.0);
  CHECK(load({"--payments.gateway_failure_rate=0.25"}).cfg->payments.gateway_failure_rate
        == 0.25);
  CHECK(load({}, {"AGORA_PAYMENTS__GATEWAY_FAILURE_RATE=1"}).cfg->payments.gateway_failure_rate
        == 1.0);
  CHECK(load({"--payments.gateway_failure_rate=1.5"}).error
        == "payments.gateway_failure_rate: expected a number in 0..1, got \"1.5\" (from "
           "--payments.gateway_failure_rate)");
  CHECK(contains(load({"--payments.gateway_failure_rate=nan"}).error,
                 "payments.gateway_failure_rate: expected a number in 0..1"));
  CHECK(contains(load({"--payments.gateway_failure_rate=0.5x"}).error,
                 "payments.gateway_failure_rate: expected a number in 0..1"));
  SECTION("TOML takes a float or an integer, not a string") {
    temp_toml floating{"[payments]\ngateway_failure_rate = 0.125\n"};
    CHECK(load({"--config", floating.path()}).cfg->payments.gateway_failure_rate == 0.125);
    temp_toml integral{"[payments]\ngateway_failure_rate = 0\n"};
    CHECK(load({"--config", integral.path()}).cfg->payments.gateway_failure_rate == 0.0);
    temp_toml text{"[payments]\ngateway_failure_rate = \"0.5\"\n"};
    CHECK(load({"--config", text.path()}).error
          == "payments.gateway_failure_rate: expected a number in 0..1, got \"0.5\" (from "
               + text.path() + " line 2)");
  }
  SECTION("the value round-trips through config_settings") {
    auto out = load({"--payments.gateway_failure_rate=0.1"});
    REQUIRE(out.cfg);
    auto text = values_of(*out.cfg).at("payments.gateway_failure_rate");
    CHECK(load({"--payments.gateway_failure_rate=" + text}).cfg->payments.gateway_failure_rate
          == 0.1);
  }
}

TEST_CASE("enum-like strings accept only their listed values", "[config]") {
  CHECK(load({"--node.mode=prod"}).error
        == "node.mode: expected one of development|production, got \"prod\" (from --node.mode)");
  CHECK(load({}, {"AGORA_LOG__FORMAT=xml"}).error
        == "log.format: expected one of pretty|json, got \"xml\" (from AGORA_LOG__FORMAT)");
  CHECK(contains(load({"--log.level=verbose"}).error,
                 "log.level: expected one of trace|debug|info|warn|error|critical|off"));
  for (const auto& level : {"trace", "debug", "info", "warn", "error", "critical", "off"})
    CHECK(load({std::string{"--log.level="} + level}).cfg->log.level == level);
  CHECK(load({"--log.format=json"}).cfg->log.format == "json");
}

TEST_CASE("checked strings reject malformed values", "[config]") {
  CHECK(contains(load({"--node.id=node 1"}).error, "node.id: expected 1 to 64 characters"));
  CHECK(contains(load({"--shipping.currency=usd"}).error,
                 "shipping.currency: expected a three-letter upper-case ISO 4217 code"));
  CHECK(contains(load({"--auth.admin_email=admin"}).error,
                 "auth.admin_email: expected an e-mail address"));
  CHECK(contains(load({}, {"AGORA_PG__CONNINFO="}).error,
                 "pg.conninfo: expected a non-empty string, got \"\" (from AGORA_PG__CONNINFO)"));
  CHECK(load({"--shipping.currency=EUR"}).cfg->shipping.currency == "EUR");
}

// -- warehouses -------------------------------------------------------------------

TEST_CASE("warehouses come from an array of tables in TOML", "[config]") {
  temp_toml file{"[shipping]\nwarehouses = [\n"
                 "  { name = \"Lyon\", lat = 45.76, lon = 4.84 },\n"
                 "  { name = \"Quito\", lat = 0, lon = -78.5 },\n"
                 "]\n"};
  auto out = load({"--config", file.path()});
  REQUIRE(out.error.empty());
  const auto& w = out.cfg->shipping.warehouses;
  REQUIRE(w.size() == 2);
  CHECK(w[0].name == "Lyon");
  CHECK(w[0].lat == Approx(45.76));
  CHECK(w[0].lon == Approx(4.84));
  CHECK(w[1].name == "Quito");
  CHECK(w[1].lat == 0.0);
  CHECK(w[1].lon == Approx(-78.5));
}

TEST_CASE("warehouses in TOML [[shipping.warehouses]] form", "[config]") {
  temp_toml file{"[[shipping.warehouses]]\nname = \"Oslo\"\nlat = 59.91\nlon = 10.75\n"};
  auto out = load({"--config", file.path()});
  REQUIRE(out.error.empty());
  REQUIRE(out.cfg->shipping.warehouses.size() == 1);
  CHECK(out.cfg->shipping.warehouses[0].name == "Oslo");
}

TEST_CASE("bad warehouses in TOML are refused", "[config]") {
  auto error_of = [](const std::string& toml) {
    temp_toml file{toml};
    return load({"--config", file.path()}).error;
  };
  CHECK(contains(error_of("[shipping]\nwarehouses = [{ name = \"X\", lat = 95, lon = 0 }]\n"),
                 "shipping.warehouses: warehouse \"X\": expected lat in [-90, 90], got 95"));
  CHECK(contains(error_of("[shipping]\nwarehouses = [{ name = \"X\", lat = 0, lon = -181 }]\n"),
                 "expected lon in [-180, 180], got -181"));
  CHECK(contains(error_of("[shipping]\nwarehouses = [{ name = \"X\", lat = 0 }]\n"),
                 "shipping.warehouses[0].lon: expected a number"));
  CHECK(contains(error_of("[shipping]\nwarehouses = [{ lat = 0, lon = 0 }]\n"),
                 "shipping.warehouses[0].name: expected a string"));
  CHECK(contains(
    error_of("[shipping]\nwarehouses = [{ name = \"X\", lat = 0, lon = 0, alt = 3 }]\n"),
    "shipping.warehouses[0].alt: unknown key"));
  CHECK(contains(error_of("[shipping]\nwarehouses = []\n"),
                 "shipping.warehouses: expected at least one warehouse"));
  CHECK(contains(error_of("[shipping]\nwarehouses = \"A:1:2\"\n"),
                 "shipping.warehouses: expected an array of tables {name, lat, lon}"));
  CHECK(contains(error_of("[shipping]\nwarehouses = [1]\n"),
                 "shipping.warehouses[0]: expected a table"));
  CHECK(contains(error_of("[shipping]\nwarehouses = [{ name = \"A\", lat = 1, lon = 1 },"
                          " { name = \"A\", lat = 2, lon = 2 }]\n"),
                 "warehouse name \"A\" appears twice"));
}

TEST_CASE("warehouses come as name:lat:lon;... from variables and flags", "[config]") {
  auto out = load({}, {"AGORA_SHIPPING__WAREHOUSES=Lyon:45.76:4.84; Quito:-0.18:-78.47;"});
  REQUIRE(out.error.empty());
  const auto& w = out.cfg->shipping.warehouses;
  REQUIRE(w.size() == 2);
  CHECK(w[0].name == "Lyon");
  CHECK(w[1].name == "Quito");
  CHECK(w[1].lat == Approx(-0.18));
  CHECK(w[1].lon == Approx(-78.47));

  auto flag = load({"--shipping.warehouses", "Oslo:59.91:10.75"});
  REQUIRE(flag.cfg);
  CHECK(flag.cfg->shipping.warehouses.size() == 1);

  CHECK(contains(load({"--shipping.warehouses=Oslo:59.91"}).error,
                 "shipping.warehouses: expected a list of warehouses \"name:lat:lon;name:lat:lon\","
                 " got \"Oslo:59.91\" (from --shipping.warehouses)"));
  CHECK(contains(load({"--shipping.warehouses=Oslo:north:10"}).error, "got \"Oslo:north:10\""));
  CHECK(contains(load({"--shipping.warehouses=Oslo:91:10"}).error,
                 "expected lat in [-90, 90], got 91 (from --shipping.warehouses)"));
  CHECK(contains(load({"--shipping.warehouses=;"}).error, "expected at least one warehouse"));
  CHECK(contains(load({"--shipping.warehouses=:1:2"}).error, "must be non-empty"));
}

TEST_CASE("the warehouse text form round-trips through config_settings", "[config]") {
  std::string text;
  for (const auto& s : agora::config_settings())
    if (s.name == "shipping.warehouses")
      text = s.value;
  auto out = load({"--shipping.warehouses=" + text});
  REQUIRE(out.cfg);
  CHECK(values_of(*out.cfg) == values_of(agora::config{}));
}

// -- production guard -----------------------------------------------------------------

TEST_CASE("production mode refuses the default secrets", "[config]") {
  SECTION("default admin password") {
    auto out = load({"--node.mode=production", "--auth.jwt_secret=0123456789abcdef0123"});
    CHECK_FALSE(out.cfg);
    CHECK(contains(out.error, "auth.admin_password: the default development password"));
  }
  SECTION("default JWT secret") {
    auto out = load({"--node.mode=production"}, {"AGORA_AUTH__ADMIN_PASSWORD=s3cret-pass"});
    CHECK_FALSE(out.cfg);
    CHECK(contains(out.error, "auth.jwt_secret: the default development secret"));
  }
  SECTION("both changed") {
    auto out = load({"--node.mode=production"}, {"AGORA_AUTH__ADMIN_PASSWORD=s3cret-pass",
                                                "AGORA_AUTH__JWT_SECRET=another-long-secret"});
    REQUIRE(out.error.empty());
    CHECK(out.cfg->node.mode == "production");
  }
  SECTION("development mode keeps the defaults") {
    CHECK(load({"--node.mode=development"}).cfg);
  }
}

// -- files --------------------------------------------------------------------------

TEST_CASE("a missing or malformed file is reported", "[config]") {
  CHECK(contains(load({"--config", "/nonexistent/agora.toml"}).error,
                 "--config: cannot load /nonexistent/agora.toml"));
  temp_toml broken{"[http]\nport = = 1\n"};
  auto out = load({"--config", broken.path()});
  CHECK_FALSE(out.cfg);
  CHECK(contains(out.error, "--config: cannot load " + broken.path() + " line 2"));
}

TEST_CASE("the shipped config/agora.toml sets every setting to its default", "[config]") {
  std::string path = std::string{AGORA_SOURCE_DIR} + "/config/agora.toml";
  auto out = load({"--config", path});
  REQUIRE(out.error.empty());
  CHECK(values_of(*out.cfg) == values_of(agora::config{}));
  // Every setting is written out (uncommented) in its section.
  std::ifstream in{path};
  REQUIRE(in);
  std::string line;
  std::string section;
  std::map<std::string, int> seen;
  while (std::getline(in, line)) {
    if (line.rfind("[[", 0) == 0) {
      auto name = line.substr(2, line.find("]]") - 2);
      seen[name] += 1;
    } else if (line.rfind("[", 0) == 0) {
      section = line.substr(1, line.find(']') - 1);
    } else if (auto eq = line.find(" = "); eq != std::string::npos && line[0] != '#'
                                          && line[0] != ' ') {
      seen[section + "." + line.substr(0, eq)] += 1;
    }
  }
  for (const auto& s : agora::config_settings()) {
    INFO(s.name);
    CHECK(seen[s.name] >= 1);
  }
}

TEST_CASE("node.threads = 0 starts a CAF worker per core the HTTP threads leave, at least one",
          "[config]") {
  agora::config cfg;
  CHECK(scheduler_threads(cfg, 2) == 1);
  CHECK(scheduler_threads(cfg, 8) == 7);
  CHECK(scheduler_threads(cfg, 1) == 1);
  cfg.http.threads = 4;
  CHECK(scheduler_threads(cfg, 4) == 1);
  CHECK(scheduler_threads(cfg, 16) == 12);
  cfg.node.threads = 3;
  CHECK(scheduler_threads(cfg, 2) == 3);
}
