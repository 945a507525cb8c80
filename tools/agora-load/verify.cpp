#include "tools/agora-load/verify.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>

#include <boost/json.hpp>

namespace agora::load {

mix_kind pick_kind(const mix_weights& m, std::mt19937_64& rng) {
  auto total = m.total();
  auto r = std::uniform_int_distribution<int64_t>(0, total - 1)(rng);
  for (std::size_t i = 0; i < mix_kind_count; ++i) {
    if (r < m.weight[i])
      return static_cast<mix_kind>(i);
    r -= m.weight[i];
  }
  return mix_kind::checkout; // unreachable with a positive total
}

int pick_lines(const line_range& r, std::mt19937_64& rng) {
  if (r.min >= r.max)
    return r.min;
  return std::uniform_int_distribution<int>(r.min, r.max)(rng);
}

void add_units(const std::vector<checkout_record>& checkouts, sku_units& into) {
  for (const auto& c : checkouts)
    for (const auto& [sku, quantity] : c.lines)
      into[sku] += quantity;
}

namespace {

int64_t units_of(const sku_units& m, const std::string& sku) {
  auto it = m.find(sku);
  return it == m.end() ? 0 : it->second;
}

} // namespace

conservation check_conservation(const sku_units& initial_on_hand, const sku_units& final_on_hand,
                                const sku_units& sold, const sku_units& maybe_sold,
                                std::size_t examples) {
  conservation c;
  auto note = [&](std::string text) {
    ++c.mismatches;
    if (c.examples.size() < examples)
      c.examples.push_back(std::move(text));
  };
  for (const auto& [sku, initial] : initial_on_hand) {
    ++c.skus;
    auto sold_here = units_of(sold, sku);
    auto maybe_here = units_of(maybe_sold, sku);
    c.units_sold += sold_here;
    auto fin = final_on_hand.find(sku);
    if (fin == final_on_hand.end()) {
      note(sku + ": not read at the end");
      continue;
    }
    auto decrease = initial - fin->second;
    c.units_decreased += decrease;
    if (decrease < sold_here || decrease > sold_here + maybe_here) {
      std::string text = sku + ": on_hand " + std::to_string(initial) + " -> " +
                         std::to_string(fin->second) + " (down " + std::to_string(decrease) +
                         "), checkouts sold " + std::to_string(sold_here);
      if (maybe_here > 0)
        text += " (+ up to " + std::to_string(maybe_here) + " by undecided checkouts)";
      note(std::move(text));
    }
  }
  // Units sold of a SKU that was never read at set-up cannot be checked:
  // that is a fault of the run's bookkeeping, reported as such.
  for (const auto& [sku, units] : sold)
    if (units != 0 && !initial_on_hand.count(sku))
      note(sku + ": " + std::to_string(units) + " units sold but no initial on_hand recorded");
  return c;
}

std::string conservation::detail() const {
  std::string d = std::to_string(skus) + " SKUs: initial on_hand - final on_hand == units sold by "
                  "successful checkouts; " + std::to_string(units_sold) + " units sold, on_hand down " +
                  std::to_string(units_decreased);
  if (mismatches == 0)
    d += ", every SKU balances";
  else
    d += ", " + std::to_string(mismatches) +
         (mismatches == 1 ? " SKU does not balance" : " SKUs do not balance");
  for (const auto& e : examples)
    d += "; " + e;
  return d;
}

void order_tally::add(std::string_view status) {
  if (status == "paid" || status == "shipped" || status == "delivered" || status == "refunded")
    ++completed;
  else if (status == "cancelled")
    ++cancelled;
  else if (status == "pending")
    ++pending;
  else
    ++other;
}

order_count_check check_order_count(const order_tally& orders, uint64_t reported,
                                    uint64_t unreported, uint64_t unknown) {
  order_count_check c;
  auto lo = reported + unreported;
  auto hi = lo + unknown;
  c.ok = orders.completed >= lo && orders.completed <= hi;
  c.detail = std::to_string(orders.total()) + " orders created since the run began (" +
             std::to_string(orders.completed) + " paid/shipped/delivered, " +
             std::to_string(orders.cancelled) + " cancelled by compensation, " +
             std::to_string(orders.pending) + " pending";
  if (orders.other)
    c.detail += ", " + std::to_string(orders.other) + " other";
  c.detail += "); " + std::to_string(reported) + " checkouts reported successful";
  if (unreported)
    c.detail += " + " + std::to_string(unreported) +
                " unreported (cut off after their checkout POST, found completed)";
  if (unknown)
    c.detail += " + up to " + std::to_string(unknown) +
                " cut off whose outcome is unknown";
  if (c.ok)
    c.detail += unreported || unknown ? ": the difference is explained by cut-off journeys"
                                      : ": equal";
  else if (orders.completed < lo)
    c.detail += ": " + std::to_string(lo - orders.completed) + " successful checkouts have no order";
  else
    c.detail += ": " + std::to_string(orders.completed - hi) +
                " orders more than checkouts that could have placed them";
  return c;
}

std::optional<int64_t> parse_timestamp_ms(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS[.fff...](Z|+00:00)
  auto num = [&](std::size_t at, std::size_t len) -> std::optional<int> {
    if (at + len > t.size())
      return std::nullopt;
    int v = 0;
    auto [end, ec] = std::from_chars(t.data() + at, t.data() + at + len, v);
    if (ec != std::errc{} || end != t.data() + at + len)
      return std::nullopt;
    return v;
  };
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't') ||
      t[13] != ':' || t[16] != ':')
    return std::nullopt;
  auto y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2),
       s = num(17, 2);
  if (!y || !mo || !d || !h || !mi || !s || *h > 23 || *mi > 59 || *s > 60)
    return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{*y},
                                  std::chrono::month{static_cast<unsigned>(*mo)},
                                  std::chrono::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok())
    return std::nullopt;
  std::size_t i = 19;
  int64_t ms = 0;
  if (i < t.size() && t[i] == '.') {
    ++i;
    int digits = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      if (digits < 3)
        ms = ms * 10 + (t[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0)
      return std::nullopt;
    for (; digits < 3; ++digits)
      ms *= 10;
  }
  auto zone = t.substr(i);
  if (zone != "Z" && zone != "z" && zone != "+00:00")
    return std::nullopt;
  auto days = std::chrono::sys_days{ymd}.time_since_epoch().count();
  return ((static_cast<int64_t>(days) * 24 + *h) * 60 + *mi) * 60000 + int64_t{*s} * 1000 + ms;
}

std::optional<decision_times> parse_decision(std::string_view body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object())
    return std::nullopt;
  const auto& o = v.get_object();
  auto time_of = [](const boost::json::object& x, std::string_view key) {
    auto* t = x.if_contains(key);
    return t && t->is_string() ? parse_timestamp_ms(t->get_string()) : std::nullopt;
  };
  auto started = time_of(o, "started_at");
  auto* steps = o.if_contains("steps");
  if (!started || !steps || !steps->is_array())
    return std::nullopt;
  for (const auto& step : steps->get_array()) {
    if (!step.is_object())
      continue;
    auto* name = step.get_object().if_contains("name");
    if (!name || !name->is_string() || name->get_string() != "reserve_inventory")
      continue;
    auto decided = time_of(step.get_object(), "finished_at");
    if (!decided)
      return std::nullopt;
    return decision_times{*started, *decided};
  }
  return std::nullopt;
}

double decision_span::per_second() const {
  return static_cast<double>(decided) * 1000.0 /
         static_cast<double>(std::max<int64_t>(last_ms - first_ms, 1));
}

decision_span span_of(const std::vector<decision_times>& decisions) {
  decision_span s;
  for (const auto& d : decisions) {
    s.first_ms = s.decided == 0 ? d.started_ms : std::min(s.first_ms, d.started_ms);
    s.last_ms = s.decided == 0 ? d.decided_ms : std::max(s.last_ms, d.decided_ms);
    ++s.decided;
  }
  return s;
}

} // namespace agora::load
