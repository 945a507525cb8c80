#include "net/api/common.hpp"

namespace agora::net::api {

std::optional<problem> check_owner(const std::optional<auth::principal>& caller,
                                   const std::optional<std::string>& owner) {
  if (!owner)
    return std::nullopt;
  if (!caller)
    return make_problem(errc::unauthenticated, "this resource belongs to a customer: log in");
  if (caller->is_admin() || caller->customer_id == *owner)
    return std::nullopt;
  return make_problem(errc::forbidden, "this resource belongs to another customer");
}

} // namespace agora::net::api
