#include "net/api/catalogue_client.hpp"

#include <caf/all.hpp>

#include "actors/runtime/oneshot.hpp"

namespace agora::net::api {

namespace catalogue = persistence::catalogue;

namespace {

template <class Reply, class Request, class Done, class Map>
void ask_queries(caf::actor_system& sys, const catalogue::catalogue_query_actor& queries,
                 std::chrono::milliseconds timeout, Request req, Done done, Map map) {
  runtime::spawn_oneshot(sys, [queries, timeout, req = std::move(req), done = std::move(done),
                               map = std::move(map)](caf::event_based_actor* self) mutable {
    self->request(queries, timeout, std::move(req))
      .then([done, map](Reply& reply) mutable { done(map(std::move(reply))); },
            [done](caf::error& err) mutable { done(catalogue::to_problem(err)); });
  });
}

} // namespace

catalogue_client::catalogue_client(caf::actor_system& sys,
                                   catalogue::catalogue_query_actor queries,
                                   std::chrono::milliseconds timeout)
  : sys_(&sys), queries_(std::move(queries)), timeout_(timeout) {}

void catalogue_client::list(catalogue::list_request req,
                            std::function<void(result<catalogue::product_page>)> done) const {
  ask_queries<catalogue::product_page>(*sys_, queries_, timeout_, std::move(req), std::move(done),
                                       [](catalogue::product_page p) { return p; });
}

void catalogue_client::suggest(std::string prefix, int64_t limit,
                               std::function<void(result<std::vector<std::string>>)> done) const {
  ask_queries<catalogue::suggestions>(*sys_, queries_, timeout_,
                                      catalogue::suggest_request{std::move(prefix), limit},
                                      std::move(done),
                                      [](catalogue::suggestions s) { return std::move(s.names); });
}

void catalogue_client::categories(
  std::function<void(result<std::vector<catalogue::category_count>>)> done) const {
  ask_queries<catalogue::category_list>(
    *sys_, queries_, timeout_, catalogue::categories_request{}, std::move(done),
    [](catalogue::category_list c) { return std::move(c.items); });
}

} // namespace agora::net::api
