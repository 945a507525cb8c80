#include "tools/agora-saga/timeline.hpp"

#include <algorithm>
#include <utility>

#include "actors/common/json.hpp"
#include "actors/common/time.hpp"
#include "sagas/checkout.hpp"

namespace agora::saga_tool {

namespace {

/// Cuts `text` to at most `width` bytes, ending in "…" when cut, never inside
/// a UTF-8 sequence.
std::string fit(std::string text, size_t width) {
  if (text.size() <= width)
    return text;
  constexpr std::string_view ellipsis = "…";
  size_t keep = width > ellipsis.size() ? width - ellipsis.size() : 0;
  while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80)
    --keep;
  text.resize(keep);
  text += ellipsis;
  return text;
}

/// Pads `text` with spaces to `width` display columns (UTF-8 aware enough for
/// the arrows and ellipses we print).
std::string pad(std::string_view text, size_t width) {
  size_t columns = 0;
  for (char c : text)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80)
      ++columns;
  std::string out(text);
  if (columns < width)
    out.append(width - columns, ' ');
  return out;
}

bool needs_quotes(std::string_view s) {
  if (s.empty())
    return true;
  return std::any_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '"' || c == '=' || c == '\t' || c == '\n' || c == '{' || c == '}' ||
           c == '[' || c == ']' || c == ',';
  });
}

std::string text_value(std::string_view s) {
  return needs_quotes(s) ? json::serialize(json::string(s)) : std::string(s);
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_secret(std::string_view key) {
  return key.find("password") != std::string_view::npos || key == "secret";
}

struct summarizer {
  std::string_view checkout_id;

  std::string value(std::string_view key, const json::value& v) const {
    if (auto* s = v.if_string()) {
      std::string_view sv = *s;
      // Step keys and ids derived from the checkout id ("<id>/<step>").
      if (!checkout_id.empty() && sv.size() > checkout_id.size() &&
          sv.substr(0, checkout_id.size()) == checkout_id && sv[checkout_id.size()] == '/')
        return "…" + text_value(sv.substr(checkout_id.size()));
      return text_value(sv);
    }
    if (auto* i = v.if_int64()) {
      if (ends_with(key, "_at") && *i > 0)
        return format_rfc3339(*i);
      return std::to_string(*i);
    }
    if (auto* a = v.if_array())
      return array(*a);
    if (auto* o = v.if_object())
      return "{" + fields(*o) + "}";
    return json::serialize(v);
  }

  /// Order lines as "SKU×quantity"; other arrays element by element.
  std::string array(const json::array& a) const {
    std::string out = "[";
    for (const auto& e : a) {
      if (out.size() > 1)
        out += ' ';
      auto* o = e.if_object();
      auto sku = o ? get_string(*o, "sku") : std::nullopt;
      if (sku) {
        out += *sku;
        if (auto q = get_int(*o, "quantity"))
          out += "×" + std::to_string(*q);
      } else {
        out += value({}, e);
      }
    }
    return out + "]";
  }

  /// key=value for every field but "at" and secrets; scalars first, then
  /// arrays and objects (so truncation cuts the bulky part).
  std::string fields(const json::object& o) const {
    std::string out;
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& [k, v] : o) {
        std::string_view key = k;
        bool composite = v.is_array() || v.is_object();
        if ((pass == 0) == composite || key == "at" || is_secret(key))
          continue;
        // Every event of this timeline belongs to this checkout.
        if (key == "checkout_id" && v.is_string() && v.get_string() == checkout_id)
          continue;
        if (!out.empty())
          out += ' ';
        out.append(key);
        out += '=';
        out += value(key, v);
      }
    }
    return out;
  }
};

std::string summarize_checkout(const checkout::event& ev) {
  using namespace checkout;
  if (auto* e = std::get_if<started>(&ev)) {
    return "token=" + e->payment_token + " customer=" + e->customer_id.value_or("guest") +
           " cart=" + e->cart_id + " order=" + e->order_id + " payment=" + e->payment_id;
  }
  if (auto* e = std::get_if<step_attempted>(&ev)) {
    const auto& r = e->reply;
    std::string out = r.phase == phase::compensating ? "compensate " : "";
    out += to_string(r.step);
    out += " attempt " + std::to_string(r.attempt) + ": ";
    if (r.ok) {
      out += "ok";
      if (r.priced)
        out += ", total " + std::to_string(r.priced->total_cents) + " " + r.priced->currency +
               " (" + std::to_string(r.priced->items.size()) +
               (r.priced->items.size() == 1 ? " line)" : " lines)");
    } else {
      out += r.error ? std::string(to_string(r.error->code)) : "failed";
      if (r.retryable)
        out += " (retryable)";
      if (!r.definite)
        out += " (outcome unknown)";
    }
    out += " → ";
    out += to_string(e->verdict);
    if (!r.ok && r.error && !r.error->message.empty())
      out += ": " + r.error->message;
    return out;
  }
  if (auto* e = std::get_if<compensated>(&ev))
    return "reason=" + text_value(e->reason);
  if (auto* e = std::get_if<stuck>(&ev))
    return "reason=" + text_value(e->reason);
  if (auto* e = std::get_if<resumed>(&ev))
    return "by=" + text_value(e->by);
  if (auto* e = std::get_if<closed>(&ev))
    return "by=" + text_value(e->by) + " reason=" + text_value(e->reason);
  if (auto* e = std::get_if<rejected>(&ev))
    return "answered " + std::to_string(e->status) + " before any checkout began";
  return {};
}

} // namespace

std::vector<journal_row> merge_timeline(std::vector<journal_row> a, std::vector<journal_row> b) {
  a.reserve(a.size() + b.size());
  for (auto& row : b)
    a.push_back(std::move(row));
  std::stable_sort(a.begin(), a.end(), [](const journal_row& x, const journal_row& y) {
    return x.global_offset < y.global_offset;
  });
  a.erase(std::unique(a.begin(), a.end(),
                      [](const journal_row& x, const journal_row& y) {
                        return x.global_offset == y.global_offset;
                      }),
          a.end());
  return a;
}

std::string summarize_payload(std::string_view event_type, std::string_view payload,
                              std::string_view checkout_id, size_t max_width) {
  if (event_type.substr(0, 9) == "checkout.") {
    if (auto ev = checkout::checkout_traits::decode_event(event_type, payload))
      return fit(summarize_checkout(*ev), max_width);
  }
  auto parsed = parse_json(payload);
  if (!parsed || !parsed->is_object())
    return fit(std::string(payload), max_width);
  return fit(summarizer{checkout_id}.fields(parsed->get_object()), max_width);
}

int64_t event_time(const journal_row& row) {
  auto parsed = parse_json(row.payload);
  if (parsed && parsed->is_object())
    if (auto at = get_int(parsed->get_object(), "at"); at && *at > 0)
      return *at;
  return row.created_at_us;
}

std::string format_timeline(const std::vector<journal_row>& rows, std::string_view checkout_id) {
  size_t pid_width = 14, type_width = 10, offset_width = 6;
  for (const auto& r : rows) {
    pid_width = std::max(pid_width, r.persistence_id.size());
    type_width = std::max(type_width, r.event_type.size());
    offset_width = std::max(offset_width, std::to_string(r.global_offset).size());
  }
  std::string out;
  out += pad("offset", offset_width) + "  " + pad("time", 13) + "  " +
         pad("persistence_id", pid_width) + "  " + pad("event", type_width) + "  summary\n";
  std::string day;
  for (const auto& r : rows) {
    auto when = format_rfc3339(event_time(r)); // 2026-11-21T10:15:00.123Z
    auto date = when.substr(0, 10);
    if (date != day) {
      day = date;
      out += "-- " + day + "\n";
    }
    auto offset = std::to_string(r.global_offset);
    out += std::string(offset_width - offset.size(), ' ') + offset + "  ";
    out += pad(when.size() > 11 ? when.substr(11) : when, 13) + "  ";
    out += pad(r.persistence_id, pid_width) + "  ";
    out += pad(r.event_type, type_width) + "  ";
    out += summarize_payload(r.event_type, r.payload, checkout_id);
    while (out.back() == ' ')
      out.pop_back();
    out += '\n';
  }
  return out;
}

saga_row to_saga_row(const checkout::state& st) {
  saga_row row;
  row.checkout_id = st.checkout_id;
  row.status = std::string(checkout::to_string(st.status));
  if (st.terminal()) {
    row.step = "-";
  } else {
    row.step = std::string(checkout::to_string(st.current));
    if (st.phase == checkout::phase::compensating)
      row.step += " (compensating)";
  }
  if (st.closed_reason)
    row.reason = *st.closed_reason;
  else if (st.stuck_reason)
    row.reason = *st.stuck_reason;
  else if (st.reason)
    row.reason = *st.reason;
  row.started_at = st.started_at;
  row.updated_at = st.updated_at;
  return row;
}

std::string format_list(const std::vector<saga_row>& rows) {
  size_t id_width = 11, status_width = 11, step_width = 4;
  for (const auto& r : rows) {
    id_width = std::max(id_width, r.checkout_id.size());
    status_width = std::max(status_width, r.status.size());
    step_width = std::max(step_width, r.step.size());
  }
  std::string out = pad("checkout_id", id_width) + "  " + pad("status", status_width) + "  " +
                    pad("step", step_width) + "  " + pad("started", 24) + "  " +
                    pad("updated", 24) + "  reason\n";
  for (const auto& r : rows) {
    out += pad(r.checkout_id, id_width) + "  " + pad(r.status, status_width) + "  " +
           pad(r.step, step_width) + "  " + pad(format_rfc3339(r.started_at), 24) + "  " +
           pad(format_rfc3339(r.updated_at), 24) + "  " + (r.reason.empty() ? "-" : r.reason) +
           "\n";
  }
  return out;
}

std::string format_saga(const checkout::state& st) {
  using namespace checkout;
  std::string out;
  auto line = [&](std::string_view label, std::string_view value) {
    out += pad(label, 10);
    out += value;
    out += '\n';
  };
  line("checkout", st.checkout_id);
  std::string status(to_string(st.status));
  if (st.reason)
    status += " (" + *st.reason + ")";
  line("status", status);
  if (st.stuck_reason)
    line("stuck", *st.stuck_reason);
  if (st.closed_reason)
    line("closed", *st.closed_reason);
  line("next", describe(next_action(st)));
  line("cart", st.cart_id);
  line("order", st.order_id);
  line("payment", st.payment_id + " (token " + st.payment_token + ")");
  line("customer", st.customer_id.value_or("guest"));
  if (st.priced)
    line("total", std::to_string(st.priced->total_cents) + " " + st.priced->currency +
                    " (subtotal " + std::to_string(st.priced->subtotal_cents) + ", shipping " +
                    std::to_string(st.priced->shipping_cents) + ")");
  line("started", format_rfc3339(st.started_at));
  line("updated", format_rfc3339(st.updated_at) + " (version " + std::to_string(st.version) +
                    ")");
  out += "\nsteps:\n";
  for (size_t i = 0; i < step_count; ++i) {
    auto name = static_cast<step_name>(i);
    const auto& s = st.at(name);
    out += "  " + pad(to_string(name), 18) + pad(to_string(s.status), 12);
    std::string attempts = std::to_string(s.attempts) + " attempt" + (s.attempts == 1 ? "" : "s");
    if (s.compensation_attempts > 0)
      attempts += ", " + std::to_string(s.compensation_attempts) + " compensation";
    out += pad(attempts, 28);
    if (s.started_at > 0)
      out += format_rfc3339(s.started_at);
    if (s.finished_at > 0)
      out += " → " + format_rfc3339(s.finished_at).substr(11);
    if (s.error)
      out += "  " + std::string(to_string(s.error->code)) + ": " + s.error->message;
    out += '\n';
  }
  return out;
}

} // namespace agora::saga_tool
