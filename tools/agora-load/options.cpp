#include "tools/agora-load/options.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>

namespace agora::load {

const char* to_string(scenario s) {
  switch (s) {
  case scenario::checkout:
    return "checkout";
  case scenario::cart:
    return "cart";
  case scenario::browse:
    return "browse";
  case scenario::flash_sale:
    return "flash-sale";
  case scenario::mixed:
    return "mixed";
  }
  return "?";
}

const char* to_string(mix_kind k) {
  switch (k) {
  case mix_kind::checkout:
    return "checkout";
  case mix_kind::price:
    return "price";
  case mix_kind::orders:
    return "orders";
  case mix_kind::ship:
    return "ship";
  }
  return "?";
}

std::optional<scenario> parse_scenario(const std::string& text) {
  for (auto s : {scenario::checkout, scenario::cart, scenario::browse, scenario::flash_sale,
                 scenario::mixed})
    if (text == to_string(s))
      return s;
  if (text == "flash_sale")
    return scenario::flash_sale;
  return std::nullopt;
}

std::variant<base_url, std::string> parse_url(const std::string& text) {
  const std::string scheme = "http://";
  if (text.rfind("https://", 0) == 0)
    return std::string("https is not supported: use http://");
  if (text.rfind(scheme, 0) != 0)
    return std::string("expected http://host[:port][/prefix], got \"" + text + "\"");
  std::string rest = text.substr(scheme.size());
  base_url url;
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) {
    url.prefix = rest.substr(slash);
    while (!url.prefix.empty() && url.prefix.back() == '/')
      url.prefix.pop_back();
  }
  if (authority.empty())
    return std::string("no host in \"" + text + "\"");
  auto colon = authority.rfind(':');
  if (authority.front() == '[') { // [::1]:8080
    auto close = authority.find(']');
    if (close == std::string::npos)
      return std::string("unclosed [ in \"" + text + "\"");
    url.host = authority.substr(1, close - 1);
    colon = authority.size() > close + 1 && authority[close + 1] == ':' ? close + 1
                                                                         : std::string::npos;
  } else {
    url.host = authority.substr(0, colon);
  }
  if (colon != std::string::npos) {
    url.port = authority.substr(colon + 1);
    int port = 0;
    auto [end, ec] = std::from_chars(url.port.data(), url.port.data() + url.port.size(), port);
    if (ec != std::errc{} || end != url.port.data() + url.port.size() || port < 1 ||
        port > 65535)
      return std::string("bad port in \"" + text + "\"");
  }
  if (url.host.empty())
    return std::string("no host in \"" + text + "\"");
  return url;
}

namespace {

std::optional<double> to_number(const std::string& v) {
  double d = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec != std::errc{} || end != v.data() + v.size() || !std::isfinite(d))
    return std::nullopt;
  return d;
}

std::optional<int64_t> to_integer(const std::string& v) {
  int64_t i = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), i);
  if (ec != std::errc{} || end != v.data() + v.size())
    return std::nullopt;
  return i;
}

std::optional<bool> to_bool(const std::string& v) {
  if (v == "true" || v == "1" || v == "yes" || v == "on")
    return true;
  if (v == "false" || v == "0" || v == "no" || v == "off")
    return false;
  return std::nullopt;
}

} // namespace

int64_t mix_weights::total() const {
  int64_t t = 0;
  for (auto w : weight)
    t += w;
  return t;
}

std::string mix_weights::text() const {
  std::string out;
  for (std::size_t i = 0; i < mix_kind_count; ++i) {
    if (!out.empty())
      out += ",";
    out += std::string(to_string(static_cast<mix_kind>(i))) + "=" + std::to_string(weight[i]);
  }
  return out;
}

std::variant<mix_weights, std::string> parse_mix(const std::string& text) {
  mix_weights m;
  m.weight.fill(0);
  std::array<bool, mix_kind_count> seen{};
  const std::string expected =
    " (expected KIND=WEIGHT,... with KIND one of checkout, price, orders, ship and WEIGHT a "
    "non-negative integer, e.g. checkout=70,price=10,orders=15,ship=5)";
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto comma = text.find(',', pos);
    auto part = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? text.size() + 1 : comma + 1;
    auto eq = part.find('=');
    if (part.empty() || eq == std::string::npos)
      return "\"" + part + "\" is not KIND=WEIGHT" + expected;
    auto name = part.substr(0, eq);
    auto value = part.substr(eq + 1);
    std::optional<std::size_t> kind;
    for (std::size_t i = 0; i < mix_kind_count; ++i)
      if (name == to_string(static_cast<mix_kind>(i)))
        kind = i;
    if (!kind)
      return "unknown journey kind \"" + name + "\"" + expected;
    if (seen[*kind])
      return "\"" + name + "\" is given twice";
    seen[*kind] = true;
    auto w = to_integer(value);
    if (!w || *w < 0 || *w > 1000000)
      return "weight of " + name + " must be an integer in 0..1000000, got \"" + value + "\"";
    m.weight[*kind] = *w;
  }
  if (m.total() == 0)
    return "every weight is 0: at least one kind needs a positive weight";
  return m;
}

std::string line_range::text() const {
  return min == max ? std::to_string(min) : std::to_string(min) + "-" + std::to_string(max);
}

std::variant<line_range, std::string> parse_lines(const std::string& text) {
  const std::string error = "expected a number of lines in 1..5 or a range MIN-MAX such as 1-5 "
                            "(1 <= MIN <= MAX <= 5), got \"" + text + "\"";
  auto dash = text.find('-');
  auto lo = to_integer(text.substr(0, dash));
  auto hi = dash == std::string::npos ? lo : to_integer(text.substr(dash + 1));
  if (!lo || !hi || *lo < 1 || *hi > 5 || *lo > *hi)
    return error;
  return line_range{static_cast<int>(*lo), static_cast<int>(*hi)};
}

std::variant<options, std::string> parse_options(const std::vector<std::string>& args) {
  options o;
  o.argv = args;
  bool customers_given = false;
  bool mix_given = false;
  std::string error;

  auto integer = [&](const std::string& name, int64_t lo, int64_t hi) {
    return [&error, name, lo, hi](const std::string& v, auto& field) {
      auto i = to_integer(v);
      if (!i || *i < lo || *i > hi) {
        error = "--" + name + ": expected an integer in " + std::to_string(lo) + ".." +
                std::to_string(hi) + ", got \"" + v + "\"";
        return;
      }
      field = static_cast<std::remove_reference_t<decltype(field)>>(*i);
    };
  };
  auto seconds = [&](const std::string& name, double lo) {
    return [&error, name, lo](const std::string& v, double& field) {
      auto d = to_number(v);
      if (!d || *d < lo) {
        error = "--" + name + ": expected a number of seconds >= " + std::to_string(lo).substr(0, 3) +
                ", got \"" + v + "\"";
        return;
      }
      field = *d;
    };
  };

  // Options that take a value; each handler sets `error` on failure.
  std::map<std::string, std::function<void(const std::string&)>> valued = {
    {"scenario",
     [&](const std::string& v) {
       auto s = parse_scenario(v);
       if (!s)
         error = "--scenario: expected checkout, cart, browse, flash-sale or mixed, got \"" + v +
                 "\"";
       else
         o.scenario = *s;
     }},
    {"url",
     [&](const std::string& v) {
       auto u = parse_url(v);
       if (auto* e = std::get_if<std::string>(&u))
         error = "--url: " + *e;
       else {
         o.url = std::get<base_url>(u);
         o.url_text = v;
       }
     }},
    {"customers",
     [&](const std::string& v) {
       integer("customers", 1, 100000)(v, o.customers);
       customers_given = true;
     }},
    {"rate",
     [&](const std::string& v) {
       auto d = to_number(v);
       if (!d || *d <= 0 || *d > 1e6)
         error = "--rate: expected journeys per second in (0, 1000000], got \"" + v + "\"";
       else
         o.rate = *d;
     }},
    {"max-connections", [&](const std::string& v) { integer("max-connections", 1, 100000)(v, o.max_connections); }},
    {"duration", [&](const std::string& v) { seconds("duration", 0.1)(v, o.duration_s); }},
    {"warmup", [&](const std::string& v) { seconds("warmup", 0)(v, o.warmup_s); }},
    {"threads", [&](const std::string& v) { integer("threads", 1, 64)(v, o.threads); }},
    {"lines",
     [&](const std::string& v) {
       auto r = parse_lines(v);
       if (auto* e = std::get_if<std::string>(&r))
         error = "--lines: " + *e;
       else
         o.lines = std::get<line_range>(r);
     }},
    {"mix",
     [&](const std::string& v) {
       auto r = parse_mix(v);
       if (auto* e = std::get_if<std::string>(&r))
         error = "--mix: " + *e;
       else
         o.mix = std::get<mix_weights>(r);
       mix_given = true;
     }},
    {"stock", [&](const std::string& v) { integer("stock", 1, 1000000)(v, o.stock); }},
    {"admin-email", [&](const std::string& v) { o.admin_email = v; }},
    {"admin-password", [&](const std::string& v) { o.admin_password = v; }},
    {"timeout", [&](const std::string& v) { seconds("timeout", 0.1)(v, o.timeout_s); }},
    {"verify-sample", [&](const std::string& v) { integer("verify-sample", 0, 1000000)(v, o.verify_sample); }},
    {"seed",
     [&](const std::string& v) {
       auto i = to_integer(v);
       if (!i || *i < 0)
         error = "--seed: expected a non-negative integer, got \"" + v + "\"";
       else
         o.seed = static_cast<uint64_t>(*i);
     }},
    {"out", [&](const std::string& v) { o.out_path = v; }},
    {"progress",
     [&](const std::string& v) {
       if (v != "auto" && v != "always" && v != "never")
         error = "--progress: expected auto, always or never, got \"" + v + "\"";
       else
         o.progress = v;
     }},
  };
  // Flags: `--flag` means true; `--flag=false` is accepted too.
  std::map<std::string, bool*> flags = {
    {"register", &o.do_register},
    {"idempotency-key", &o.idempotency_key},
    {"verify", &o.verify},
    {"help", &o.help},
  };

  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h") {
      o.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0)
      return "unexpected argument \"" + arg + "\" (options start with --; see --help)";
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (auto f = flags.find(name); f != flags.end()) {
      if (!value) {
        *f->second = true;
        continue;
      }
      auto b = to_bool(*value);
      if (!b)
        return "--" + name + ": expected true or false, got \"" + *value + "\"";
      *f->second = *b;
      continue;
    }
    if (name.rfind("no-", 0) == 0 && !value) {
      if (auto f = flags.find(name.substr(3)); f != flags.end()) {
        *f->second = false;
        continue;
      }
    }
    auto h = valued.find(name);
    if (h == valued.end())
      return "unknown option --" + name + " (see --help)";
    if (!value) {
      if (i + 1 >= args.size())
        return "--" + name + " needs a value";
      value = args[++i];
    }
    h->second(*value);
    if (!error.empty())
      return error;
  }

  if (o.help)
    return o;
  if (mix_given && o.scenario != scenario::mixed)
    return std::string("--mix applies to the mixed scenario only");
  // Order lists need a customer: mixed runs registered customers.
  if (o.scenario == scenario::mixed)
    o.do_register = true;
  // A flash sale races twice as many customers as units unless told.
  if (o.scenario == scenario::flash_sale && !customers_given)
    o.customers = static_cast<int>(std::min<int64_t>(2 * o.stock, 100000));
  if (o.rate && o.scenario == scenario::flash_sale)
    return std::string("--rate: flash-sale runs one journey per customer; use --customers");
  if (o.rate && customers_given && !o.do_register)
    return std::string(
      "--customers and --rate exclude each other (with --rate, --customers only sizes the "
      "pool of --register accounts)");
  if (o.do_register && o.scenario != scenario::checkout && o.scenario != scenario::flash_sale &&
      o.scenario != scenario::mixed)
    return std::string("--register applies to checkout, flash-sale and mixed only");
  if (o.threads > 1 && o.scenario == scenario::flash_sale)
    return std::string("--threads: flash-sale runs on one thread");
  if (!o.rate && o.customers < o.threads)
    return std::string("--threads must not exceed --customers");
  return o;
}

std::string usage() {
  return R"(agora-load: HTTP load generator for an Agora node (API.md v1)

usage: agora-load [--scenario checkout|cart|browse|flash-sale|mixed] [options]

Modes
  --customers N        closed loop: N virtual customers, each running journeys
                       back to back on its own keep-alive connection (default 16)
  --rate R             open loop: start R journeys per second on schedule,
                       whatever the responses; journey latency counts from the
                       scheduled start (no coordinated omission)
  --max-connections N  open loop: at most N journeys in flight (default 4096)
  --duration S         measured seconds (default 30)
  --warmup S           seconds run first and not recorded (default 5)
  --threads N          I/O threads, each with its own io_context (default 1)
  --url URL            node base URL (default http://127.0.0.1:8080)

Scenarios (journeys)
  checkout    browse a page, create a cart, add --lines lines, check out with
              ?wait=true (201; 422 out_of_stock is a business outcome), and
              with --register read the order; verified through the API at the end
              (orders created = checkouts reported, stock conserved per SKU)
  cart        create a cart, add --lines lines, change one line's quantity
  mixed       each journey one kind, drawn by --mix weights: checkout (as
              above), price (an admin PATCHes a product's price), orders (a
              customer lists its orders), ship (an admin ships a paid order
              of this run, or delivers a shipped one); customers register
              automatically; verified like checkout
  browse      list a page, full-text search, read one product
  flash-sale  an admin creates one SKU with --stock units; every customer
              fills a cart with one unit before the sale opens (not
              measured), then all race to check out at the same instant;
              checks exactly min(stock, customers) sold, on_hand and
              reserved left as they must be: "zero oversell"

Scenario options
  --lines N|MIN-MAX    lines per cart, 1-5; a range is drawn uniformly per
                       journey (default 1-5)
  --mix K=W,...        mixed: journey kinds and weights (default
                       checkout=70,price=10,orders=15,ship=5; kinds left out
                       weigh 0)
  --register           register and log in every virtual customer first and
                       send its token (checkout, flash-sale; mixed always)
  --stock N            flash-sale units (default 100)
  --admin-email E      admin for flash-sale set-up, mixed price/ship journeys
                       and the order count at verification (default
                       admin@agora.local)
  --admin-password P   (default agora-admin-dev)
  --no-idempotency-key do not send Idempotency-Key on checkout POSTs
  --timeout S          per-request timeout of the journeys (default 30); set-up and
                       verification requests wait at least 30 s
  --verify-sample N    checkouts read back one by one at the end (default 200)
  --no-verify          skip the end-of-run verification
  --seed N             random seed (default: from the clock)

Output
  --out FILE           JSON result (command line, start time, every figure)
  --progress auto|always|never
                       a progress line on stderr each second (auto: only when
                       stderr is a terminal)

Exit status: 0 done, 1 a verification failed, 2 bad usage, 3 set-up failed.
)";
}

} // namespace agora::load
