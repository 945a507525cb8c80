#include "tools/agora-load/stats.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include <boost/json.hpp>

namespace agora::load {

const char* to_string(outcome o) {
  switch (o) {
  case outcome::ok:
    return "ok";
  case outcome::business:
    return "business";
  case outcome::error:
    return "error";
  }
  return "?";
}

uint64_t journey_stats::count(std::string_view name) const {
  auto it = outcomes.find(name);
  return it == outcomes.end() ? 0 : it->second;
}

void count(error_counts& counts, const error_key_ref& k) {
  auto it = counts.find(k);
  if (it == counts.end())
    it = counts.emplace(error_key{std::string(k.request), k.status, std::string(k.code)}, 0).first;
  ++it->second;
}

void run_stats::merge(const run_stats& other) {
  for (const auto& [label, r] : other.requests) {
    auto& mine = requests[label];
    mine.latency.add(r.latency);
    for (auto [status, n] : r.statuses)
      mine.statuses[status] += n;
  }
  for (const auto& [label, j] : other.journeys) {
    auto& mine = journeys[label];
    mine.latency.add(j.latency);
    for (const auto& [name, n] : j.outcomes)
      mine.outcomes[name] += n;
  }
  for (const auto& [k, n] : other.errors)
    errors[k] += n;
  for (const auto& [k, n] : other.business)
    business[k] += n;
  checkouts.insert(checkouts.end(), other.checkouts.begin(), other.checkouts.end());
  unresolved.insert(unresolved.end(), other.unresolved.begin(), other.unresolved.end());
  refusals.insert(refusals.end(), other.refusals.begin(), other.refusals.end());
}

uint64_t run_stats::total_requests() const {
  uint64_t n = 0;
  for (const auto& [label, r] : requests)
    for (auto [status, c] : r.statuses)
      n += c;
  return n;
}

uint64_t run_stats::total_errors() const {
  uint64_t n = 0;
  for (const auto& [k, c] : errors)
    n += c;
  return n;
}

outcome classify(int status, std::string_view code, int expected) {
  if (status == expected)
    return outcome::ok;
  if (status == 422 && code == "out_of_stock")
    return outcome::business;
  return outcome::error;
}

namespace {

/// The string at `path` (object keys, outermost first) of a JSON object
/// body; "" when the body is not one or the path does not lead to a string.
std::string string_at(std::string_view body, std::initializer_list<std::string_view> path) {
  if (body.empty() || body.front() != '{')
    return {};
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec)
    return {};
  const boost::json::value* at = &v;
  for (auto key : path) {
    if (!at->is_object() || !(at = at->get_object().if_contains(key)))
      return {};
  }
  return at->is_string() ? std::string(at->get_string()) : std::string();
}

} // namespace

std::string error_code(std::string_view body) {
  return string_at(body, {"error", "code"});
}

std::string refused_checkout_id(std::string_view body) {
  return string_at(body, {"error", "details", "checkout_id"});
}

std::string string_field(std::string_view body, std::string_view key) {
  return std::move(string_fields(body, {key})[0]);
}

std::vector<std::string> string_fields(std::string_view body,
                                       std::initializer_list<std::string_view> keys) {
  std::vector<std::string> out(keys.size());
  if (body.empty() || body.front() != '{')
    return out;
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object())
    return out;
  size_t i = 0;
  for (auto key : keys) {
    if (auto* field = v.get_object().if_contains(key); field && field->is_string())
      out[i] = std::string(field->get_string());
    ++i;
  }
  return out;
}

std::vector<std::size_t> pick_distinct(std::size_t n, std::size_t size, std::mt19937_64& rng,
                                       const std::vector<char>* excluded) {
  std::vector<std::size_t> out;
  if (size == 0 || n == 0)
    return out;
  auto allowed = [&](std::size_t i) {
    return (!excluded || !(*excluded)[i]) && std::find(out.begin(), out.end(), i) == out.end();
  };
  std::uniform_int_distribution<std::size_t> any(0, size - 1);
  // Small n against a large catalogue: rejection is cheap and unbiased. When
  // most indexes are excluded it gives up and draws from the list of the
  // allowed ones.
  for (int tries = 0; out.size() < n && tries < 64 * static_cast<int>(n); ++tries) {
    auto i = any(rng);
    if (allowed(i))
      out.push_back(i);
  }
  if (out.size() < n) {
    std::vector<std::size_t> rest;
    for (std::size_t i = 0; i < size; ++i)
      if (allowed(i))
        rest.push_back(i);
    std::shuffle(rest.begin(), rest.end(), rng);
    for (std::size_t k = 0; k < rest.size() && out.size() < n; ++k)
      out.push_back(rest[k]);
  }
  return out;
}

summary summarize(const histogram& h, double seconds) {
  auto ms = [](uint64_t us) { return static_cast<double>(us) / 1000.0; };
  summary s;
  s.count = h.count();
  s.per_second = seconds > 0 ? static_cast<double>(h.count()) / seconds : 0;
  s.mean_ms = h.mean() / 1000.0;
  s.p50_ms = ms(h.value_at_percentile(50));
  s.p90_ms = ms(h.value_at_percentile(90));
  s.p99_ms = ms(h.value_at_percentile(99));
  s.p999_ms = ms(h.value_at_percentile(99.9));
  s.max_ms = ms(h.max());
  return s;
}

namespace {

std::string format(const char* fmt, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

std::string latency_row(const std::string& name, const summary& s, const std::string& extra) {
  return format("  %-34s %9llu %9.1f %8.2f %8.2f %8.2f %8.2f %9.2f  %s\n", name.c_str(),
                static_cast<unsigned long long>(s.count), s.per_second, s.p50_ms, s.p90_ms,
                s.p99_ms, s.p999_ms, s.max_ms, extra.c_str());
}

std::string header(const char* what) {
  return format("  %-34s %9s %9s %8s %8s %8s %8s %9s\n", what, "count", "per s", "p50 ms",
                "p90 ms", "p99 ms", "p99.9 ms", "max ms");
}

} // namespace

std::string render_table(const run_stats& s, double seconds) {
  std::string out;
  out += header("request");
  for (const auto& [label, r] : s.requests) {
    std::string statuses;
    for (auto [status, n] : r.statuses) {
      if (!statuses.empty())
        statuses += ' ';
      statuses += status ? std::to_string(status) : std::string("none");
      statuses += 'x';
      statuses += std::to_string(n);
    }
    out += latency_row(label, summarize(r.latency, seconds), statuses);
  }
  out += '\n';
  out += header("journey (latency: ok only)");
  for (const auto& [label, j] : s.journeys) {
    std::string outcomes;
    for (const auto& [name, n] : j.outcomes) {
      if (!outcomes.empty())
        outcomes += ' ';
      outcomes += name;
      outcomes += '=';
      outcomes += std::to_string(n);
    }
    out += latency_row(label, summarize(j.latency, seconds), outcomes);
  }
  auto list = [&](const char* title, const error_counts& m) {
    if (m.empty())
      return;
    out += format("\n  %s\n", title);
    for (const auto& [k, n] : m)
      out += format("  %9llu  %-34s %s %s\n", static_cast<unsigned long long>(n),
                    k.request.c_str(), k.status ? std::to_string(k.status).c_str() : "---",
                    k.code.c_str());
  };
  list("business outcomes (not errors)", s.business);
  if (s.errors.empty())
    out += "\n  errors: none\n";
  else
    list("errors", s.errors);
  return out;
}

} // namespace agora::load
