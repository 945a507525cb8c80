// The customer entity's journal payload and snapshot format (JSON).
//
//   customer.registered: {"customer_id","email","name","password_hash","role","at":<µs>}
//
// The payload holds the bcrypt hash, never a password.
#include "actors/customer/customer.hpp"

#include <utility>

#include "actors/common/json.hpp"

namespace agora::customer {

std::string_view customer_traits::event_type(const event&) {
  return "customer.registered";
}

std::string customer_traits::encode_event(const event& ev) {
  const auto& e = std::get<registered>(ev);
  json::object o;
  o["customer_id"] = e.customer_id;
  o["email"] = e.email;
  o["name"] = e.name;
  o["password_hash"] = e.password_hash;
  o["role"] = e.role;
  o["at"] = e.at;
  return json::serialize(o);
}

std::optional<event> customer_traits::decode_event(std::string_view type,
                                                   std::string_view text) {
  if (type != "customer.registered")
    return std::nullopt;
  return decode_json_object<event>(text, [](const json::object& o) -> std::optional<event> {
    auto customer_id = get_string(o, "customer_id");
    auto email = get_string(o, "email");
    auto name = get_string(o, "name");
    auto password_hash = get_string(o, "password_hash");
    auto role = get_string(o, "role");
    auto at = get_int(o, "at");
    if (!customer_id || !email || !name || !password_hash || !role || !at)
      return std::nullopt;
    return event{registered{std::move(*customer_id), std::move(*email), std::move(*name),
                            std::move(*password_hash), std::move(*role), *at}};
  });
}

// Snapshot: {"exists","customer_id","email","name","password_hash","role",
//            "version","created_at","updated_at"}
std::string customer_traits::encode_state(const state& st) {
  json::object o;
  o["exists"] = st.exists;
  o["customer_id"] = st.customer_id;
  o["email"] = st.email;
  o["name"] = st.name;
  o["password_hash"] = st.password_hash;
  o["role"] = st.role;
  o["version"] = st.version;
  o["created_at"] = st.created_at;
  o["updated_at"] = st.updated_at;
  return json::serialize(o);
}

std::optional<state> customer_traits::decode_state(std::string_view text) {
  return decode_json_object<state>(text, [&](const json::object& o) -> std::optional<state> {
    auto exists = get_bool(o, "exists");
    auto customer_id = get_string(o, "customer_id");
    auto email = get_string(o, "email");
    auto name = get_string(o, "name");
    auto password_hash = get_string(o, "password_hash");
    auto role = get_string(o, "role");
    auto version = get_int(o, "version");
    auto created_at = get_int(o, "created_at");
    auto updated_at = get_int(o, "updated_at");
    if (!exists || !customer_id || !email || !name || !password_hash || !role || !version ||
        !created_at || !updated_at)
      return std::nullopt;
    return state{*exists,
                 std::move(*customer_id),
                 std::move(*email),
                 std::move(*name),
                 std::move(*password_hash),
                 std::move(*role),
                 *version,
                 *created_at,
                 *updated_at};
  });
}

} // namespace agora::customer
