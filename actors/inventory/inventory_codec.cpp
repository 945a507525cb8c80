// The inventory entity's journal payloads and snapshot format (JSON).
//
//   inventory.adjusted:  {"delta":n,"reason":"...","on_hand":<after>,"at":<µs>,"key"?}
//   inventory.reserved:  {"reservation_id":"...","quantity":n,"expires_at":<µs>,"at":<µs>}
//   inventory.released / inventory.committed / inventory.expired:
//                        {"reservation_id":"...","quantity":n,"at":<µs>}
//
// The stock read model (persistence/projections) reads these by field name.
#include "actors/inventory/inventory.hpp"

#include <utility>

#include "actors/common/json.hpp"
#include "actors/common/overloaded.hpp"

namespace agora::inventory {

namespace {

template <class Ev>
json::object encode_finish(const Ev& e) {
  json::object o;
  o["reservation_id"] = e.reservation_id;
  o["quantity"] = e.quantity;
  o["at"] = e.at;
  return o;
}

template <class Ev>
std::optional<event> decode_finish(const json::object& o) {
  auto id = get_string(o, "reservation_id");
  auto quantity = get_int(o, "quantity");
  auto at = get_int(o, "at");
  if (!id || !quantity || !at)
    return std::nullopt;
  return event{Ev{std::move(*id), *quantity, *at}};
}

std::optional<event> decode_adjusted(const json::object& o) {
  auto delta = get_int(o, "delta");
  auto reason = get_string(o, "reason");
  auto on_hand = get_int(o, "on_hand");
  auto at = get_int(o, "at");
  std::string key;
  if (!delta || !reason || !on_hand || !at || !read_idempotency_key(o, key))
    return std::nullopt;
  return event{adjusted{*delta, std::move(*reason), *on_hand, *at, std::move(key)}};
}

std::optional<event> decode_reserved(const json::object& o) {
  auto id = get_string(o, "reservation_id");
  auto quantity = get_int(o, "quantity");
  auto expires_at = get_int(o, "expires_at");
  auto at = get_int(o, "at");
  if (!id || !quantity || !expires_at || !at)
    return std::nullopt;
  return event{reserved{std::move(*id), *quantity, *expires_at, *at}};
}

} // namespace

std::string_view inventory_traits::event_type(const event& ev) {
  return std::visit(overloaded{
                      [](const adjusted&) { return std::string_view{"inventory.adjusted"}; },
                      [](const reserved&) { return std::string_view{"inventory.reserved"}; },
                      [](const released&) { return std::string_view{"inventory.released"}; },
                      [](const committed&) { return std::string_view{"inventory.committed"}; },
                      [](const expired&) { return std::string_view{"inventory.expired"}; },
                      [](const admitted&) { return std::string_view{"inventory.admitted"}; },
                      [](const admission_withdrawn&) {
                        return std::string_view{"inventory.admission_withdrawn"};
                      },
                    },
                    ev);
}

std::string inventory_traits::encode_event(const event& ev) {
  auto obj = std::visit(overloaded{
                          [](const adjusted& e) {
                            json::object o;
                            o["delta"] = e.delta;
                            o["reason"] = e.reason;
                            o["on_hand"] = e.on_hand;
                            o["at"] = e.at;
                            write_idempotency_key(o, e.key);
                            return o;
                          },
                          [](const reserved& e) {
                            json::object o;
                            o["reservation_id"] = e.reservation_id;
                            o["quantity"] = e.quantity;
                            o["expires_at"] = e.expires_at;
                            o["at"] = e.at;
                            return o;
                          },
                          [](const released& e) { return encode_finish(e); },
                          [](const committed& e) { return encode_finish(e); },
                          [](const expired& e) { return encode_finish(e); },
                          // Ephemeral: never journaled, so never encoded.
                          [](const admitted&) { return json::object{}; },
                          [](const admission_withdrawn&) { return json::object{}; },
                        },
                        ev);
  return json::serialize(obj);
}

std::optional<event> inventory_traits::decode_event(std::string_view type,
                                                    std::string_view text) {
  return decode_json_object<event>(text, [&](const json::object& o) -> std::optional<event> {
    if (type == "inventory.adjusted")
      return decode_adjusted(o);
    if (type == "inventory.reserved")
      return decode_reserved(o);
    if (type == "inventory.released")
      return decode_finish<released>(o);
    if (type == "inventory.committed")
      return decode_finish<committed>(o);
    if (type == "inventory.expired")
      return decode_finish<expired>(o);
    return std::nullopt;
  });
}

// Snapshot: {"on_hand","reserved","reservations":[{"id","quantity","expires_at"}],
//            "finished":[ids, oldest first],"committed":[ids]?,"version","updated_at"}
std::string inventory_traits::encode_state(const state& st) {
  json::object o;
  o["on_hand"] = st.on_hand;
  o["reserved"] = st.reserved;
  json::array reservations;
  reservations.reserve(st.reservations.size());
  for (const auto& [id, r] : st.reservations) {
    json::object item;
    item["id"] = id;
    item["quantity"] = r.quantity;
    item["expires_at"] = r.expires_at;
    reservations.emplace_back(std::move(item));
  }
  o["reservations"] = std::move(reservations);
  o["finished"] = st.finished.to_json();
  o["committed"] = st.committed.to_json();
  o["version"] = st.version;
  o["updated_at"] = st.updated_at;
  return json::serialize(o);
}

std::optional<state> inventory_traits::decode_state(std::string_view text) {
  return decode_json_object<state>(text, [&](const json::object& o) -> std::optional<state> {
    auto on_hand = get_int(o, "on_hand");
    auto reserved_units = get_int(o, "reserved");
    auto version = get_int(o, "version");
    auto updated_at = get_int(o, "updated_at");
    auto* reservations = o.if_contains("reservations");
    auto* finished = o.if_contains("finished");
    if (!on_hand || !reserved_units || !version || !updated_at || !reservations ||
        !reservations->is_array() || !finished)
      return std::nullopt;
    state st;
    st.on_hand = *on_hand;
    st.reserved = *reserved_units;
    st.version = *version;
    st.updated_at = *updated_at;
    int64_t sum = 0;
    for (const auto& v : reservations->get_array()) {
      const auto* item = v.if_object();
      if (!item)
        return std::nullopt;
      auto id = get_string(*item, "id");
      auto quantity = get_int(*item, "quantity");
      auto expires_at = get_int(*item, "expires_at");
      if (!id || !quantity || !expires_at || *quantity < 1 || *quantity > max_quantity)
        return std::nullopt;
      if (!hold_reservation(st, *id, reservation{*quantity, *expires_at}))
        return std::nullopt; // duplicate id
      sum += *quantity;
    }
    if (!decltype(st.finished)::from_json(*finished, st.finished))
      return std::nullopt;
    if (auto* committed = o.if_contains("committed"))
      if (!decltype(st.committed)::from_json(*committed, st.committed))
        return std::nullopt;
    // A snapshot that breaks the stock invariants is corrupt, not a state.
    if (sum != st.reserved || st.reserved < 0 || st.reserved > st.on_hand)
      return std::nullopt;
    return st;
  });
}

} // namespace agora::inventory
