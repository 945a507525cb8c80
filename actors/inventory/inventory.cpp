// The inventory entity's decisions and event fold (pure: no I/O, no clock).
#include "actors/inventory/inventory.hpp"

#include <algorithm>
#include <utility>

#include "actors/common/json.hpp"
#include "actors/common/json_writer.hpp"
#include "actors/common/overloaded.hpp"

namespace agora::inventory {

static_assert(runtime::entity_traits<inventory_traits>);
static_assert(runtime::has_deadlines<inventory_traits>);

problem out_of_stock(std::string_view sku, int64_t requested, int64_t available) {
  json_writer details{64 + sku.size()};
  details.begin_object()
    .member("sku", sku)
    .member("requested", requested)
    .member("available", available)
    .end_object();
  return make_problem(errc::out_of_stock,
                      "SKU " + std::string(sku) + ": requested " + std::to_string(requested) +
                        ", available " + std::to_string(available),
                      details.take());
}

namespace {

using events = std::vector<event>;

size_t code_points(std::string_view utf8) noexcept {
  size_t n = 0;
  for (char c : utf8)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) // not a continuation byte
      ++n;
  return n;
}

/// A reservation id that is no longer (or never was) active.
problem reservation_over(const state& st, const std::string& id, const runtime::context& ctx) {
  json::object details;
  details["sku"] = ctx.entity_id;
  details["reservation_id"] = id;
  details["reason"] =
    st.finished.contains(id) || st.committed.contains(id) ? "finished" : "unknown";
  return make_problem(errc::conflict,
                      "SKU " + ctx.entity_id + ": reservation " + id +
                        " is not active (released, expired or never made)",
                      json::serialize(details));
}

result<events> decide_adjust(const state& st, const adjust& cmd, const runtime::context& ctx) {
  if (cmd.delta == 0 || cmd.delta > max_quantity || cmd.delta < -max_quantity)
    return invalid_field("delta", "delta must be a non-zero integer between -1000000000 and "
                                  "1000000000");
  if (code_points(cmd.reason) > max_reason_length)
    return invalid_field("reason", "reason must be at most 200 characters");
  if (cmd.key.size() > max_reservation_id_length)
    return invalid_field("key", "key must be at most 200 bytes");
  if (!cmd.key.empty() && st.finished.contains(cmd.key))
    return events{}; // applied already
  int64_t after = 0;
  if (__builtin_add_overflow(st.on_hand, cmd.delta, &after))
    return invalid_field("delta", "delta would overflow the stock level");
  if (after < st.reserved) {
    json::object details;
    details["sku"] = ctx.entity_id;
    details["on_hand"] = st.on_hand;
    details["reserved"] = st.reserved;
    details["delta"] = cmd.delta;
    return make_problem(errc::insufficient_stock,
                        "SKU " + ctx.entity_id + ": on_hand " + std::to_string(st.on_hand) +
                          " with delta " + std::to_string(cmd.delta) +
                          " would drop below reserved " + std::to_string(st.reserved),
                        json::serialize(details));
  }
  return events{adjusted{cmd.delta, cmd.reason, after, ctx.now, cmd.key}};
}

result<events> decide_reserve(const state& st, const reserve& cmd,
                              const runtime::context& ctx) {
  if (cmd.reservation_id.empty() || cmd.reservation_id.size() > max_reservation_id_length)
    return invalid_field("reservation_id", "reservation_id must be 1-200 bytes");
  if (cmd.quantity < 1 || cmd.quantity > max_quantity)
    return invalid_field("quantity", "quantity must be an integer 1-1000000000");
  if (st.reservations.count(cmd.reservation_id) > 0)
    return events{}; // a retried reserve: already done
  if (st.finished.contains(cmd.reservation_id) || st.committed.contains(cmd.reservation_id))
    return reservation_over(st, cmd.reservation_id, ctx);
  if (st.available() < cmd.quantity)
    return out_of_stock(ctx.entity_id, cmd.quantity, st.available());
  return events{reserved{cmd.reservation_id, cmd.quantity, cmd.expires_at, ctx.now}};
}

/// release: an unknown or finished id decides nothing (compensation is
/// always safe to repeat).
result<events> decide_release(const state& st, const std::string& id,
                              const runtime::context& ctx) {
  auto i = st.reservations.find(id);
  if (i == st.reservations.end()) {
    if (st.admissions.contains(id))
      return events{admission_withdrawn{id, ctx.now}};
    return events{};
  }
  return events{released{id, i->second.quantity, ctx.now}};
}

/// The live admissions' total at `now`, without `id`'s own.
int64_t admitted_except(const state& st, const std::string& id, timestamp_us now) {
  int64_t total = st.admitted;
  for (const auto& [until, expired_id] : st.admission_expiries) {
    if (until > now)
      break;
    total -= st.admissions.at(expired_id).quantity;
  }
  if (auto i = st.admissions.find(id); i != st.admissions.end() && i->second.until > now)
    total -= i->second.quantity;
  return total;
}

result<events> decide_admit(const state& st, const admit& cmd, const runtime::context& ctx) {
  if (cmd.reservation_id.empty() || cmd.reservation_id.size() > max_reservation_id_length)
    return invalid_field("reservation_id", "reservation_id must be 1-200 bytes");
  if (cmd.quantity < 1 || cmd.quantity > max_quantity)
    return invalid_field("quantity", "quantity must be an integer 1-1000000000");
  if (st.reservations.contains(cmd.reservation_id))
    return events{}; // reserved already
  if (auto i = st.admissions.find(cmd.reservation_id);
      i != st.admissions.end() && i->second.until > ctx.now && i->second.quantity == cmd.quantity)
    return events{}; // a repeated admission
  auto left = st.available() - admitted_except(st, cmd.reservation_id, ctx.now);
  if (left < cmd.quantity)
    return out_of_stock(ctx.entity_id, cmd.quantity, std::max<int64_t>(left, 0));
  return events{admitted{cmd.reservation_id, cmd.quantity, cmd.until, ctx.now}};
}

/// commit: a repeated commit decides nothing; a reservation that was
/// released, expired or never made is a conflict (the sale must not be
/// recorded as if the stock had been held).
result<events> decide_commit(const state& st, const std::string& id,
                             const runtime::context& ctx) {
  auto i = st.reservations.find(id);
  if (i != st.reservations.end())
    return events{committed{id, i->second.quantity, ctx.now}};
  if (st.committed.contains(id))
    return events{};
  return reservation_over(st, id, ctx);
}

result<events> decide_expire(const state& st, const expire& cmd, const runtime::context& ctx) {
  // Oldest deadline first; ids break ties.
  events out;
  for (auto i = st.expiries.begin(); i != st.expiries.end() && i->first <= cmd.now; ++i)
    out.emplace_back(expired{i->second, st.reservations.at(i->second).quantity, ctx.now});
  return out;
}

/// Forgets admission `id`, if any (a reservation took its place, it was
/// withdrawn, or it expired).
void drop_admission(state& st, const std::string& id) {
  auto i = st.admissions.find(id);
  if (i == st.admissions.end())
    return;
  st.admission_expiries.erase({i->second.until, id});
  st.admitted -= i->second.quantity;
  st.admissions.erase(i);
}

/// Forgets the admissions whose time is up at `now`.
void drop_expired_admissions(state& st, timestamp_us now) {
  while (!st.admission_expiries.empty() && st.admission_expiries.begin()->first <= now) {
    auto id = st.admission_expiries.begin()->second;
    drop_admission(st, id);
  }
}

/// Moves an active reservation to the finished set; returns its quantity as
/// recorded in the state (0 if it was not active). Unindexes it too (see
/// hold_reservation).
int64_t finish_reservation(state& st, const std::string& id) {
  int64_t quantity = 0;
  if (auto i = st.reservations.find(id); i != st.reservations.end()) {
    quantity = i->second.quantity;
    st.expiries.erase({i->second.expires_at, id});
    st.reservations.erase(i);
  }
  st.finished.insert(id);
  return quantity;
}

} // namespace

// -- traits -------------------------------------------------------------------

result<std::vector<event>> inventory_traits::decide(const state& st, const command& cmd,
                                                    const runtime::context& ctx) {
  return std::visit(
    overloaded{
      [&](const adjust& c) { return decide_adjust(st, c, ctx); },
      [&](const reserve& c) { return decide_reserve(st, c, ctx); },
      [&](const release& c) { return decide_release(st, c.reservation_id, ctx); },
      [&](const commit& c) { return decide_commit(st, c.reservation_id, ctx); },
      [&](const expire& c) { return decide_expire(st, c, ctx); },
      [&](const admit& c) { return decide_admit(st, c, ctx); },
      [&](const get&) { return result<events>{events{}}; },
    },
    cmd);
}

// The fold trusts the journal but stays total: a finishing event for an id
// that is not active (which decide() never produces) only marks it finished,
// so the invariant 0 <= reserved <= on_hand survives any event sequence that
// decide() could have produced.
state inventory_traits::apply_event(state st, const event& ev) {
  std::visit(overloaded{
               [&](const adjusted& e) {
                 st.on_hand = e.on_hand;
                 if (!e.key.empty())
                   st.finished.insert(e.key);
                 st.updated_at = e.at;
               },
               [&](const reserved& e) {
                 drop_admission(st, e.reservation_id); // the admission became the reservation
                 hold_reservation(st, e.reservation_id, reservation{e.quantity, e.expires_at});
                 st.reserved += e.quantity;
                 st.updated_at = e.at;
               },
               [&](const released& e) {
                 st.reserved -= finish_reservation(st, e.reservation_id);
                 st.updated_at = e.at;
               },
               [&](const committed& e) {
                 auto quantity = finish_reservation(st, e.reservation_id);
                 st.committed.insert(e.reservation_id);
                 st.reserved -= quantity;
                 st.on_hand -= quantity;
                 st.updated_at = e.at;
               },
               [&](const expired& e) {
                 st.reserved -= finish_reservation(st, e.reservation_id);
                 st.updated_at = e.at;
               },
               [&](const admitted& e) {
                 drop_expired_admissions(st, e.at);
                 drop_admission(st, e.reservation_id);
                 st.admissions.emplace(e.reservation_id,
                                       admit{e.reservation_id, e.quantity, e.until});
                 st.admission_expiries.emplace(e.until, e.reservation_id);
                 st.admitted += e.quantity;
               },
               [&](const admission_withdrawn& e) { drop_admission(st, e.reservation_id); },
             },
             ev);
  if (!ephemeral(ev))
    ++st.version;
  return st;
}

bool ephemeral(const event& ev) noexcept {
  return std::holds_alternative<admitted>(ev) || std::holds_alternative<admission_withdrawn>(ev);
}

bool hold_reservation(state& st, const std::string& id, reservation r) {
  auto [i, fresh] = st.reservations.try_emplace(id, r);
  if (!fresh) {
    st.expiries.erase({i->second.expires_at, id});
    i->second = r;
  }
  st.expiries.emplace(r.expires_at, id);
  return fresh;
}

std::optional<timestamp_us> inventory_traits::next_deadline(const state& st) {
  if (st.expiries.empty())
    return std::nullopt;
  return st.expiries.begin()->first;
}

inventory_traits::command inventory_traits::on_deadline(timestamp_us now) {
  return expire{now};
}

} // namespace agora::inventory
