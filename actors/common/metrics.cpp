#include "actors/common/metrics.hpp"

#include <cmath>
#include <map>
#include <memory>
#include <mutex>

#include <fmt/format.h>

namespace agora::metrics {

histogram::histogram(std::vector<double> bounds)
  : bounds_(std::move(bounds)),
    buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  for (size_t i = 0; i <= bounds_.size(); ++i)
    buckets_[i].store(0);
}

void histogram::observe(double v) noexcept {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i])
    ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micro_.fetch_add(static_cast<int64_t>(std::llround(v * 1e6)), std::memory_order_relaxed);
}

std::vector<uint64_t> histogram::cumulative() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t acc = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    acc += buckets_[i].load(std::memory_order_relaxed);
    out[i] = acc;
  }
  return out;
}

double histogram::sum() const noexcept {
  return static_cast<double>(sum_micro_.load(std::memory_order_relaxed)) / 1e6;
}

const std::vector<double>& latency_buckets() {
  static const std::vector<double> b = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                        0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   2.5,
                                        5.0,    10.0};
  return b;
}

namespace {

enum class kind { counter, gauge, histogram, callback };

struct family {
  kind k;
  std::string help;
  // Keyed by the rendered label text so output is stable and sorted.
  std::map<std::string, std::unique_ptr<counter>> counters;
  std::map<std::string, std::unique_ptr<gauge>> gauges;
  std::map<std::string, std::unique_ptr<histogram>> histograms;
  std::function<std::vector<std::pair<labels, double>>()> fn;
};

struct registry {
  std::mutex mtx;
  std::map<std::string, family, std::less<>> families;
};

registry& reg() {
  static registry r;
  return r;
}

std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string render_labels(const labels& ls, std::string_view extra = {}) {
  if (ls.empty() && extra.empty())
    return {};
  std::string out = "{";
  bool first = true;
  for (auto& [k, v] : ls) {
    if (!first)
      out += ',';
    first = false;
    out += k;
    out += "=\"";
    out += escape_label(v);
    out += '"';
  }
  if (!extra.empty()) {
    if (!first)
      out += ',';
    out += extra;
  }
  out += '}';
  return out;
}

family& fam(std::string_view name, std::string_view help, kind k) {
  auto& r = reg();
  auto i = r.families.find(name);
  if (i == r.families.end())
    i = r.families.emplace(std::string(name), family{k, std::string(help), {}, {}, {}, {}}).first;
  return i->second;
}

std::string fmt_double(double v) {
  if (std::isinf(v))
    return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

} // namespace

counter& get_counter(std::string_view name, std::string_view help, const labels& ls) {
  auto& r = reg();
  std::lock_guard guard{r.mtx};
  auto& f = fam(name, help, kind::counter);
  auto& slot = f.counters[render_labels(ls)];
  if (!slot)
    slot = std::make_unique<counter>();
  return *slot;
}

gauge& get_gauge(std::string_view name, std::string_view help, const labels& ls) {
  auto& r = reg();
  std::lock_guard guard{r.mtx};
  auto& f = fam(name, help, kind::gauge);
  auto& slot = f.gauges[render_labels(ls)];
  if (!slot)
    slot = std::make_unique<gauge>();
  return *slot;
}

histogram& get_histogram(std::string_view name, std::string_view help,
                         const std::vector<double>& bounds, const labels& ls) {
  auto& r = reg();
  std::lock_guard guard{r.mtx};
  auto& f = fam(name, help, kind::histogram);
  auto key = render_labels(ls);
  auto& slot = f.histograms[key];
  if (!slot)
    slot = std::make_unique<histogram>(bounds);
  return *slot;
}

void register_callback(std::string_view name, std::string_view help,
                       std::function<std::vector<std::pair<labels, double>>()> fn) {
  auto& r = reg();
  std::lock_guard guard{r.mtx};
  auto& f = fam(name, help, kind::callback);
  f.fn = std::move(fn);
}

std::string render_prometheus() {
  auto& r = reg();
  std::string out;
  std::lock_guard guard{r.mtx};
  for (auto& [name, f] : r.families) {
    const char* type = f.k == kind::counter     ? "counter"
                       : f.k == kind::histogram ? "histogram"
                                                : "gauge";
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, f.help, name, type);
    for (auto& [ls, c] : f.counters)
      out += fmt::format("{}{} {}\n", name, ls, c->value());
    for (auto& [ls, g] : f.gauges)
      out += fmt::format("{}{} {}\n", name, ls, g->value());
    for (auto& [ls, h] : f.histograms) {
      // Re-insert `le` into the rendered label set.
      std::string inner = ls.empty() ? std::string{} : ls.substr(1, ls.size() - 2);
      auto cum = h->cumulative();
      for (size_t i = 0; i <= h->bounds().size(); ++i) {
        auto le = i < h->bounds().size() ? fmt_double(h->bounds()[i]) : std::string("+Inf");
        out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, inner,
                           inner.empty() ? "" : ",", le, cum[i]);
      }
      out += fmt::format("{}_sum{} {}\n", name, ls, fmt_double(h->sum()));
      out += fmt::format("{}_count{} {}\n", name, ls, h->count());
    }
    if (f.fn) {
      for (auto& [ls, v] : f.fn())
        out += fmt::format("{}{} {}\n", name, render_labels(ls), fmt_double(v));
    }
  }
  return out;
}

} // namespace agora::metrics
