// Helpers shared by the resource handlers: asking an entity with the reply
// mapped to HTTP, the JSON renderings of entity states, and access checks.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/common/json.hpp"
#include "actors/common/problem.hpp"
#include "actors/runtime/region.hpp"
#include "net/http/handler.hpp"

namespace agora::net::api {

struct services;

/// A resource handler that needs the node's services.
using resource_fn = void (*)(services&, http::request&, http::responder);

/// Binds a resource handler to the services for the router.
inline http::handler bind(services& s, resource_fn fn) {
  return [&s, fn](http::request& req, http::responder res) { fn(s, req, std::move(res)); };
}

/// Sends `cmd` to entity `id` (its events carry `correlation_id`, the
/// request id); a rejection becomes the error response, a success calls
/// `ok(view, res)` (on a CAF thread; it must not block).
template <class Traits, class F>
void ask(const runtime::region_ref<Traits>& region, std::string id,
         typename Traits::command cmd, std::string correlation_id, http::responder res, F ok) {
  region.tell(std::move(id), std::move(cmd), std::move(correlation_id),
              [res = std::move(res), ok = std::move(ok)](result<runtime::view_t<Traits>> r) mutable {
                if (!r)
                  return res.error(r.error());
                ok(std::move(*r), res);
              });
}

/// Sends each `(id, command)` to its entity at once; `done` gets the replies
/// in the same order once every entity answered (at once when there are
/// none). Runs on whichever thread answers last; must not block.
template <class Traits>
void tell_all(const runtime::region_ref<Traits>& region,
              std::vector<std::pair<std::string, typename Traits::command>> commands,
              const std::string& correlation_id,
              std::function<void(std::vector<result<runtime::view_t<Traits>>>)> done) {
  using reply = result<runtime::view_t<Traits>>;
  struct gather {
    std::vector<std::optional<reply>> replies;
    size_t left = 0;
    std::mutex mtx;
  };
  if (commands.empty())
    return done({});
  auto g = std::make_shared<gather>();
  g->replies.resize(commands.size());
  g->left = commands.size();
  for (size_t i = 0; i < commands.size(); ++i)
    region.tell(std::move(commands[i].first), std::move(commands[i].second), correlation_id,
                [g, i, done](reply r) {
                  std::unique_lock lock{g->mtx};
                  g->replies[i] = std::move(r);
                  if (--g->left > 0)
                    return;
                  lock.unlock();
                  std::vector<reply> out;
                  out.reserve(g->replies.size());
                  for (auto& x : g->replies)
                    out.push_back(std::move(*x));
                  done(std::move(out));
                });
}

/// 401 when an owned resource is accessed without a token, 403 when the
/// caller is neither its owner nor an admin; nullopt when access is fine.
/// A resource without an owner (a guest cart) is open to anyone.
std::optional<problem> check_owner(const std::optional<auth::principal>& caller,
                                   const std::optional<std::string>& owner);

/// Renders a JSON value as the response body.
inline void reply_json(const http::responder& res, unsigned status, const json::value& v) {
  res.json(status, json::serialize(v));
}

} // namespace agora::net::api
