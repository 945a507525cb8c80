// Asks the catalogue read model (persistence/projections) from HTTP handlers
// without blocking an I/O thread: each call runs a short-lived requester
// actor whose reply lands in the callback (on a CAF thread). Catalogue reads
// are not the hot path; the per-call actor keeps this simple.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/common/problem.hpp"
#include "persistence/projections/catalogue_queries.hpp"

namespace agora::net::api {

class catalogue_client {
public:
  catalogue_client() = default;
  catalogue_client(caf::actor_system& sys, persistence::catalogue::catalogue_query_actor queries,
                   std::chrono::milliseconds timeout);

  void list(persistence::catalogue::list_request req,
            std::function<void(result<persistence::catalogue::product_page>)> done) const;
  void suggest(std::string prefix, int64_t limit,
               std::function<void(result<std::vector<std::string>>)> done) const;
  void categories(
    std::function<void(result<std::vector<persistence::catalogue::category_count>>)> done) const;

private:
  caf::actor_system* sys_ = nullptr;
  persistence::catalogue::catalogue_query_actor queries_;
  std::chrono::milliseconds timeout_{5000};
};

} // namespace agora::net::api
